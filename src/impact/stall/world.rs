//! World building: what runs now in a namespace at one [`Bound`] (the old objects: every
//! workload's pods at its replicas or its autoscaler's bound, DaemonSets, bare pods, a CronJob's
//! job), and which of it rolls to what (the new objects' templates and strategies). Pure.

use serde_json::Value as J;

use super::super::Objects;
use super::admission::{Usage, index};
use super::controllers::{Deploy, Sts};
use super::kube::{MAX_PODS, bounds, defaults, pod_spec, pod_usage, replicas, rolling_update};
use super::replay::World;
use crate::k8s::object::str_at;

/// The object `kind/name` of a namespace.
pub(super) fn find<'a>(
    objs: &'a Objects,
    kind: &'a str,
    ns: Option<&'a str>,
    name: &str,
) -> Option<&'a J> {
    objs.of_kind(kind, ns)
        .find(|o| str_at(o, "/metadata/name") == Some(name))
}

/// The two bounds of what runs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    /// The guaranteed lower bound: the autoscaler's minimum, no job running.
    Low,
    /// Scaled out to the autoscaler's maximum, a CronJob's pod running.
    High,
    /// The autoscaled Deployments at this many pods, no job running.
    Scaled(i64),
    /// As `Low`, and an autoscaler the new side no longer renders left running (`kubectl
    /// apply` without `--prune`): it keeps its Deployment within its old bounds.
    LeftBehind,
}

/// The world of namespace `ns` at a bound: old objects are what runs, `rolling` the workloads
/// whose pods are replaced (kind, name).
pub(super) fn world(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    bound: Bound,
) -> (World, Vec<(String, i64)>) {
    let (d_old, d_new) = (defaults(old, ns), defaults(new, ns));
    let mut w = World {
        fixed: Usage::default(),
        deploys: Vec::new(),
        stss: Vec::new(),
        foreign: Usage::default(),
    };
    let mut running = Vec::new();
    let live_pods = |kind: &str, name: &str| {
        old.running
            .as_ref()
            .and_then(|r| r.pods(kind, ns, name))
            .map(|n| n.clamp(0, MAX_PODS))
    };
    let rolls = |kind: &str, name: &str| rolling.iter().any(|(k, n)| k == kind && n == name);
    let new_of = |kind: &'static str, name: &str| find(new, kind, ns, name);
    for d in old.of_kind("Deployment", ns) {
        let name = str_at(d, "/metadata/name").unwrap_or_default();
        // Live (`diff --live`): the pods running now are the lower bound; the autoscaler may
        // still scale out to its maximum during the rollout.
        let live = live_pods("Deployment", name);
        let now = match (bounds(old, ns, "Deployment", name), live) {
            (Some((_, max)), Some(n)) => match bound {
                Bound::Low | Bound::LeftBehind => n,
                Bound::High => max.max(n),
                Bound::Scaled(s) => s.max(0),
            },
            (Some((min, max)), None) => match bound {
                Bound::Low | Bound::LeftBehind => min,
                Bound::High => max,
                Bound::Scaled(n) => n.max(0),
            },
            (None, Some(n)) => n,
            (None, None) => replicas(d).unwrap_or(1),
        };
        running.push((format!("Deployment {name}"), now));
        let old_usage = pod_usage(pod_spec(d), &d_old);
        match new_of("Deployment", name).filter(|_| rolls("Deployment", name)) {
            Some(n) => {
                let mut target = match (replicas(n), bounds(new, ns, "Deployment", name)) {
                    (Some(r), _) => r,
                    (None, Some((min, max))) => now.clamp(min, max),
                    (None, None) => now,
                };
                if bound == Bound::LeftBehind
                    && bounds(new, ns, "Deployment", name).is_none()
                    && let Some((min, max)) = bounds(old, ns, "Deployment", name)
                {
                    target = target.clamp(min, max);
                }
                let (surge, unavailable) = rolling_update(n, target);
                w.deploys.push(Deploy {
                    name: name.to_owned(),
                    old_spec: now,
                    new_spec: 0,
                    old_pods: now,
                    new_pods: 0,
                    target,
                    surge,
                    unavailable,
                    old: old_usage,
                    new: pod_usage(pod_spec(n), &d_new),
                    refused: None,
                });
            }
            None => w.fixed.add(&old_usage, now),
        }
    }
    for s in old.of_kind("StatefulSet", ns) {
        let name = str_at(s, "/metadata/name").unwrap_or_default();
        let now = live_pods("StatefulSet", name)
            .or_else(|| replicas(s))
            .unwrap_or(1);
        let old_usage = pod_usage(pod_spec(s), &d_old);
        match new_of("StatefulSet", name).filter(|_| rolls("StatefulSet", name)) {
            Some(n) => {
                let want = replicas(n).unwrap_or(1);
                let new_usage = pod_usage(pod_spec(n), &d_new);
                w.stss.push(Sts::new(name, now, want, old_usage, new_usage));
            }
            None => w.fixed.add(&old_usage, now),
        }
    }
    for kind in ["DaemonSet", "ReplicaSet"] {
        for o in old.of_kind(kind, ns) {
            let u = pod_usage(pod_spec(o), &d_old);
            let name = str_at(o, "/metadata/name").unwrap_or_default();
            let n = live_pods(kind, name).or_else(|| replicas(o)).unwrap_or(1);
            w.fixed.add(&u, n);
        }
    }
    for p in old.of_kind("Pod", ns) {
        w.fixed.add(&pod_usage(pod_spec(p), &d_old), 1);
    }
    if bound == Bound::High {
        // A job may be running (started before the apply, on the old template) or start
        // during the rollout (on the new one).
        for c in old.of_kind("CronJob", ns) {
            let name = str_at(c, "/metadata/name").unwrap_or_default();
            let mut u = pod_usage(pod_spec(c), &d_old);
            if let Some(n) = new_of("CronJob", name) {
                u = u.max(&pod_usage(pod_spec(n), &d_new));
            }
            w.fixed.add(&u, 1);
        }
    }
    // Live: what the quotas already count beyond the pods above is held by pods the render does
    // not own (another workload, a running job): it stays while the rollout runs.
    if let Some(used) = old.running.as_ref().and_then(|r| r.used(ns)) {
        let ours = w.used_except((true, usize::MAX));
        for (key, figure) in used {
            if let Some(i) = index(key) {
                w.foreign.0[i] = w.foreign.0[i].max(figure.saturating_sub(ours.0[i]).max(0));
            }
        }
        let foreign = w.foreign;
        w.fixed.add(&foreign, 1);
    }
    (w, running)
}
