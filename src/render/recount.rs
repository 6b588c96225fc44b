//! The namespace quota after patches and extra objects. The derived `agent-quota` is computed
//! from the settings (`config::quota`) when the templates render; a patch can add containers
//! (native sidecars and init containers among them) and an extra object can add workloads or
//! claims, so the figures are recounted from the final objects here, before the bundle is
//! assembled. A pod counts what quota admission counts of it (`k8s::pod::usage`, which the
//! stall replay of change impact uses too), so the quota rendered holds the pods it must.

use serde_json::Value as J;

use crate::config::{Config, quota};
use crate::diag::Diagnostic;
use crate::k8s::{object, pod, scale};

/// The quota after patches and extra objects: the derived `agent-quota` is computed from the
/// settings, so a container a patch adds, or a workload or claim an extra object adds, would
/// not fit in it. Counts the pods and claims of the final objects instead; derived figures grow
/// to fit them, and a figure set by hand that no longer holds them is an error.
pub fn quota(cfg: &Config, files: &mut [(String, Vec<J>)]) -> Result<(), Vec<Diagnostic>> {
    if !cfg.quota_on() {
        return Ok(());
    }
    let (mut workloads, mut volumes, mut set) = quota::inputs(cfg);
    let names = crate::config::Names::of(cfg);
    let quota_name = names.get("agent-quota");
    let (deployment, redis, backup) = (
        names.get("agent-deployment"),
        names.get("redis"),
        names.get("redis-backup"),
    );
    let objects = || files.iter().flat_map(|(_, objs)| objs.iter());
    // A derived figure a patch changed (`pods: "40"`) is the patch's, as a figure set by hand
    // is the setting's: kept when it holds the pods, an error when it does not; never replaced
    // by the recount silently while `config --show-origin` says the patch set it.
    if let Ok(rendered) = quota::fit(&workloads, &volumes, &set)
        && let Some(hard) = objects()
            .find(|o| object::kind(o) == "ResourceQuota" && object::name(o) == quota_name)
            .and_then(|o| o.pointer("/spec/hard"))
            .and_then(J::as_object)
    {
        patched_figures(&rendered, hard, &mut set);
    }
    // What quota admission counts of one pod: containers, native sidecars, init containers,
    // the rendered LimitRange's defaults and overhead (the same function the stall replay uses).
    let defaults = pod::Defaults::from_limit_ranges(objects());
    let per_pod = |spec: &J| {
        let u = pod::usage(spec, &defaults);
        let text = |q: crate::k8s::Quantity| vec![q.canonical()];
        quota::PodResources {
            requests_cpu: text(u.request("cpu")),
            requests_memory: text(u.request("memory")),
            limits_cpu: text(u.limit("cpu")),
            limits_memory: text(u.limit("memory")),
        }
    };
    let mut unreadable = Vec::new();
    let autoscalers = scale::autoscalers(objects());
    for obj in objects() {
        let (kind, name) = (object::kind(obj), object::name(obj));
        if kind == "PersistentVolumeClaim" {
            if !volumes.names.iter().any(|n| n == name)
                && let Some(size) = object::str_at(obj, "/spec/resources/requests/storage")
            {
                volumes.names.push(name.to_owned());
                volumes.sizes.push(size.to_owned());
            }
            continue;
        }
        let Some(spec) = object::pod_spec(obj) else {
            continue;
        };
        // A figure the pods could not be counted with: refused, never counted as nothing.
        for (at, text, why) in pod::unreadable(spec) {
            unreadable.push(
                Diagnostic::new(format!(
                    "{kind} {name}: `{text}` at {at} cannot be counted in the namespace quota: {why}"
                ))
                .help(
                    "write a Kubernetes quantity such as `500m`, `2` or `1Gi` in the patch or extra object that sets it",
                ),
            );
        }
        let ours = match kind {
            "Deployment" if name == deployment => Some("agent"),
            "StatefulSet" if name == redis => Some("redis"),
            "CronJob" if name == backup => Some("backup job"),
            _ => None,
        };
        match ours.and_then(|n| workloads.iter_mut().find(|w| w.name == n)) {
            Some(w) => w.per_pod = per_pod(spec),
            None => workloads.push(quota::Workload {
                name: format!("{kind} {name}"),
                // At its maximum, as lint's quota rule counts it (AGT173): the autoscaler's
                // maximum (else its replicas) plus the rolling update's surge.
                pods: scale::most_pods(autoscalers.iter().copied(), obj)
                    .map_or(1, |(n, surge)| n.saturating_add(surge))
                    .try_into()
                    .unwrap_or(0),
                why: String::new(),
                per_pod: per_pod(spec),
                surge: None,
            }),
        }
    }
    if !unreadable.is_empty() {
        return Err(unreadable);
    }
    match quota::fit(&workloads, &volumes, &set) {
        Ok(hard) => {
            for o in files.iter_mut().flat_map(|(_, objs)| objs.iter_mut()) {
                if object::kind(o) == "ResourceQuota"
                    && object::name(o) == quota_name
                    && let Some(h) = o.pointer_mut("/spec/hard")
                {
                    let mut derived = serde_json::to_value(&hard).unwrap_or_default();
                    // A figure the recount does not derive (an extended resource such as
                    // `requests.nvidia.com/gpu`, an object count such as `count/jobs.batch`)
                    // can only come from a patch: kept, never silently dropped.
                    if let (Some(d), Some(before)) = (derived.as_object_mut(), h.as_object()) {
                        for (k, v) in before {
                            d.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                    *h = derived;
                }
            }
            Ok(())
        }
        Err(short) => Err(short
            .iter()
            .map(|s| match &s.beyond {
                Some(max) => Diagnostic::new(format!(
                    "the quota figure `{}` would be {}, more than Kubernetes counts ({max}), with the patches and extra objects: {}",
                    s.resource, s.need, s.breakdown
                ))
                .help(format!("lower the per-pod `{}` figures or the replicas in that sum, so that it stays under {max}", s.resource)),
                None => Diagnostic::new(format!(
                    "quota `{}: {}` cannot hold this deployment with its patches and extra objects, which needs {}: {}",
                    s.resource, s.set, s.need, s.breakdown
                ))
                .help(format!(
                    "raise the quota figure to at least {}, or remove it to let agentctl derive it",
                    s.suggest
                )),
            })
            .collect()),
    }
}

/// Each figure of `hard` (agent-quota's, after the patches) that differs from what the settings
/// rendered (`rendered`) and that no setting fixed, written into `set` as set by hand.
fn patched_figures(
    rendered: &std::collections::BTreeMap<String, String>,
    hard: &serde_json::Map<String, J>,
    set: &mut quota::Requested,
) {
    let same =
        |a: &str, b: &str| a == b || quota::milli(a).is_some_and(|m| quota::milli(b) == Some(m));
    for (key, value) in hard {
        let text = match value {
            J::String(s) => s.clone(),
            J::Number(n) => n.to_string(),
            _ => continue,
        };
        if rendered.get(key).is_some_and(|r| same(r, &text)) {
            continue;
        }
        let count = || text.trim().parse::<u64>().ok();
        match key.as_str() {
            "requests.cpu" if set.requests_cpu.is_none() => set.requests_cpu = Some(text),
            "requests.memory" if set.requests_memory.is_none() => set.requests_memory = Some(text),
            "limits.cpu" if set.limits_cpu.is_none() => set.limits_cpu = Some(text),
            "limits.memory" if set.limits_memory.is_none() => set.limits_memory = Some(text),
            "requests.storage" if set.requests_storage.is_none() => {
                set.requests_storage = Some(text);
            }
            "pods" if set.pods.is_none() => set.pods = count(),
            "persistentvolumeclaims" if set.persistent_volume_claims.is_none() => {
                set.persistent_volume_claims = count();
            }
            _ => {}
        }
    }
}
