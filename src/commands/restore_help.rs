//! `agentctl restore-help`: the commands that restore Redis from a backup, for the resolved
//! deployment (namespace, port, image, autoscaler, backup volume), on stdout.

use super::{OneConfiguration, Outcome};
use crate::diag::Result;
use crate::output;
use crate::render::restore::{self, Params, Scaler};

/// Runs `restore-help`.
pub fn run(one: &OneConfiguration) -> Result<Outcome> {
    let merged = one.resolve()?;
    let c = &merged.config;
    let scaler = if c.keda.enabled {
        Scaler::Keda
    } else if c.autoscaling.enabled {
        Scaler::Hpa
    } else {
        Scaler::Fixed
    };
    let text = restore::text(&Params {
        namespace: &c.namespace,
        redis_port: c.redis.port,
        redis_image: &c.redis.image,
        run_as_user: c.redis.run_as_user,
        backup_pvc: c.backup.enabled.then_some("redis-backup-pvc"),
        scaler,
        replicas: c.agent.replicas.min,
        append_only: c.redis.append_only,
    });
    output::print(&text)?;
    Ok(Outcome::Ok)
}
