//! `agentctl restore-help`: prints the restore procedure the render stage writes for the
//! resolved deployment ([`crate::render::restore::for_deployment`]) on stdout, with the Redis
//! image the render runs (a patch's, when one overrides `redis.image`); exit 2 with a located
//! error when the in-cluster Redis is off.

use super::{OneConfiguration, Outcome};
use crate::diag::{Error, Result};
use crate::output;
use crate::render::restore;

/// Runs `restore-help`.
pub fn run(one: &OneConfiguration) -> Result<Outcome> {
    let merged = one.resolve()?;
    // A patch can change the Redis image the StatefulSet runs: the reader pod follows what is
    // rendered, so with patches the render runs too (its problems are this command's).
    let overrides = if merged.patches.is_empty() || !merged.config.redis.enabled {
        Vec::new()
    } else {
        let renderer = crate::render::Renderer::new()?;
        crate::pipeline::build(&renderer, &one.inputs)?.1.overrides
    };
    let text = restore::for_deployment(&merged, &overrides).map_err(|d| Error::Input(vec![d]))?;
    output::print(&text)?;
    Ok(Outcome::Ok)
}
