//! The namespace quota after patches and extra objects. The derived `agent-quota` is computed
//! from the settings (`config::quota`) when the templates render; a patch can add containers
//! and an extra object can add workloads or claims, so the figures are recounted from the final
//! objects here, before the bundle is assembled.

use serde_json::Value as J;

use crate::config::{Config, quota};
use crate::diag::Diagnostic;

/// The quota after patches and extra objects: the derived `agent-quota` is computed from the
/// settings, so a container a patch adds, or a workload or claim an extra object adds, would
/// not fit in it. Counts the pods and claims of the final objects instead; derived figures grow
/// to fit them, and a figure set by hand that no longer holds them is an error.
pub fn quota(cfg: &Config, files: &mut [(String, Vec<J>)]) -> Result<(), Vec<Diagnostic>> {
    if !cfg.quota.enabled {
        return Ok(());
    }
    let (mut workloads, mut volumes, set) = quota::inputs(cfg);
    let per_pod = |spec: &J| {
        let mut p = quota::PodResources::default();
        for c in spec
            .get("containers")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            let r = |which: &str, res: &str| {
                c.pointer(&format!("/resources/{which}/{res}"))
                    .and_then(|v| match v {
                        J::String(s) => Some(s.clone()),
                        J::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .unwrap_or_else(|| "0".into())
            };
            p.requests_cpu.push(r("requests", "cpu"));
            p.requests_memory.push(r("requests", "memory"));
            p.limits_cpu.push(r("limits", "cpu"));
            p.limits_memory.push(r("limits", "memory"));
        }
        p
    };
    for obj in files.iter().flat_map(|(_, objs)| objs.iter()) {
        let kind = obj.get("kind").and_then(J::as_str).unwrap_or_default();
        let name = obj
            .pointer("/metadata/name")
            .and_then(J::as_str)
            .unwrap_or_default();
        let spec = match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                obj.pointer("/spec/template/spec")
            }
            "CronJob" => obj.pointer("/spec/jobTemplate/spec/template/spec"),
            "Pod" => obj.get("spec"),
            "PersistentVolumeClaim" => {
                if !volumes.names.iter().any(|n| n == name)
                    && let Some(size) = obj
                        .pointer("/spec/resources/requests/storage")
                        .and_then(J::as_str)
                {
                    volumes.names.push(name.to_owned());
                    volumes.sizes.push(size.to_owned());
                }
                None
            }
            _ => None,
        };
        let Some(spec) = spec else { continue };
        let ours = match (kind, name) {
            ("Deployment", "agent-deployment") => Some("agent"),
            ("StatefulSet", "redis") => Some("redis"),
            ("CronJob", "redis-backup") => Some("backup job"),
            _ => None,
        };
        match ours.and_then(|n| workloads.iter_mut().find(|w| w.name == n)) {
            Some(w) => w.per_pod = per_pod(spec),
            None => workloads.push(quota::Workload {
                name: format!("{kind} {name}"),
                pods: obj
                    .pointer("/spec/replicas")
                    .and_then(J::as_u64)
                    .unwrap_or(1),
                why: String::new(),
                per_pod: per_pod(spec),
                surge: None,
            }),
        }
    }
    match quota::fit(&workloads, &volumes, &set) {
        Ok(hard) => {
            for o in files.iter_mut().flat_map(|(_, objs)| objs.iter_mut()) {
                if o.get("kind").and_then(J::as_str) == Some("ResourceQuota")
                    && o.pointer("/metadata/name").and_then(J::as_str) == Some("agent-quota")
                    && let Some(h) = o.pointer_mut("/spec/hard")
                {
                    *h = serde_json::to_value(&hard).unwrap_or_default();
                }
            }
            Ok(())
        }
        Err(short) => Err(short
            .iter()
            .map(|s| {
                Diagnostic::new(format!(
                    "quota `{}: {}` cannot hold this deployment with its patches and extra objects, which needs {}: {}",
                    s.resource, s.set, s.need, s.breakdown
                ))
                .help(format!(
                    "raise the quota figure to at least {}, or remove it to let agentctl derive it",
                    s.suggest
                ))
            })
            .collect()),
    }
}
