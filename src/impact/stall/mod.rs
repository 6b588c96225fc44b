//! Rollout stalls: a rollout the API server accepts but the namespace's ResourceQuota cannot
//! carry out. `kubectl apply -k` applies the ResourceQuota before the workloads, so a smaller
//! quota is in force when the controllers start replacing pods; quota admission then refuses a
//! new pod whenever the pods still running plus that pod exceed a `hard` figure. A Deployment
//! with `maxUnavailable: 0` keeps every old pod until a new one is ready, so it never gets one
//! (`updatedReplicas 0/N`); a one-replica StatefulSet deletes its pod first and then cannot
//! create the new one: no pod at all (for Redis, an outage).
//!
//! Owns the model of that: what runs now (the old side's workloads: Deployment replicas or the
//! autoscaler's bounds, per-pod requests and limits with init containers, sidecars and the
//! LimitRange's defaults, StatefulSets, a CronJob's pod), the new side's quota `hard` and pods,
//! and a step-by-step replay of the Deployment and StatefulSet controllers (rolling update
//! arithmetic as the controllers do it: surge rounded up, unavailable rounded down) under quota
//! admission, in every order the controllers may act. A rollout that cannot finish at the
//! guaranteed lower bound of running pods (e.g. the autoscaler's minimum) in any order "stalls";
//! one that cannot finish only at the upper bound (scaled out, a backup job running) or only in
//! some orders "may stall". Pure: reads the two object sets and the rollouts already found.
//!
//! By concern: [`admission`] (quota resources, usage, the admission check), [`kube`] (the
//! Kubernetes readings: a pod's quota usage, surge, replicas, autoscaler bounds),
//! [`controllers`] (the Deployment and StatefulSet controllers' steps), [`replay`] (rounds in
//! an order until nothing moves; which orders), [`world`] (what runs now at a bound), this file
//! (the verdicts over bounds and orders, the finding) and [`explain`] (the user text: reason and
//! fix).

mod admission;
mod controllers;
mod explain;
mod kube;
mod replay;
mod world;

use std::collections::BTreeMap;

use super::semantic::str_at;
use super::{Change, Class, Finding, Impact, Objects};
use admission::{Quota, quotas};
use explain::{fix, reason};
use kube::bounds;
use replay::{EVERY_ORDER_UP_TO, Stall, Stalled};
use world::{Bound, find, world};

/// The verdict on one workload.
#[derive(Debug, Clone)]
enum Verdict {
    /// Stalls at the lower bound, whatever order the controllers act in.
    Certain(Stall),
    /// Stalls at the upper bound, or only in some orders (at that bound).
    May(Stall, &'static str, Bound),
}

/// The verdict per stalling workload (kind, name).
type Verdicts = BTreeMap<(String, String), Verdict>;

/// Replays a namespace at both bounds under `quotas`; the verdict per rolling workload.
fn verdicts(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    quotas: &[Quota],
) -> (Verdicts, [Vec<(String, i64)>; 2]) {
    let mut out = BTreeMap::new();
    let (low, running) = world(old, new, ns, rolling, Bound::Low);
    let (high, high_running) = world(old, new, ns, rolling, Bound::High);
    let orders = low.orders();
    let low_runs: Vec<Stalled> = orders
        .iter()
        .map(|o| low.clone().replay(quotas, o))
        .collect();
    for key in rolling {
        let stalls: Vec<&Stall> = low_runs.iter().filter_map(|r| r.get(key)).collect();
        if stalls.len() == low_runs.len() && !stalls.is_empty() {
            out.insert(key.clone(), Verdict::Certain(stalls[0].clone()));
        } else if let Some(s) = stalls.first() {
            out.insert(
                key.clone(),
                Verdict::May(
                    (*s).clone(),
                    "depending on which controller acts first",
                    Bound::Low,
                ),
            );
        }
    }
    // An autoscaler no longer rendered, left running by `kubectl apply` without `--prune`.
    let left_behind = old.of_kind("Deployment", ns).any(|d| {
        let name = str_at(d, "metadata.name").unwrap_or_default();
        bounds(old, ns, "Deployment", name).is_some()
            && bounds(new, ns, "Deployment", name).is_none()
    });
    if left_behind {
        let (w, _) = world(old, new, ns, rolling, Bound::LeftBehind);
        for o in &orders {
            for (key, s) in w.clone().replay(quotas, o) {
                out.entry(key).or_insert(Verdict::May(
                    s,
                    "if the old autoscaler is left running (kubectl apply without --prune: it \
                     keeps the agent within its old bounds)",
                    Bound::LeftBehind,
                ));
            }
        }
    }
    for o in &orders {
        let r = high.clone().replay(quotas, o);
        for (key, s) in r {
            out.entry(key).or_insert(Verdict::May(
                s,
                "when scaled out (or while a backup job runs)",
                Bound::High,
            ));
        }
    }
    (out, [running, high_running])
}

/// When the rollouts stall at the autoscaler's minimum: the largest number of pods the
/// autoscaler may scale the agent down to (within its new bounds, e.g. under low load after its
/// scale-down window) at which every rollout completes, with the new minimum and the
/// Deployment's name; `None` when no such number exists or nothing is autoscaled.
fn resume(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    quotas: &[Quota],
) -> Option<(i64, i64, String)> {
    let (name, low, new_min) = old.of_kind("Deployment", ns).find_map(|d| {
        let name = str_at(d, "metadata.name")?;
        let (old_min, _) = bounds(old, ns, "Deployment", name)?;
        let (new_min, new_max) = bounds(new, ns, "Deployment", name)?;
        Some((name.to_owned(), old_min.clamp(new_min, new_max), new_min))
    })?;
    let completes = |c: i64| {
        let (w, _) = world(old, new, ns, rolling, Bound::Scaled(c));
        w.orders()
            .iter()
            .all(|o| w.clone().replay(quotas, o).is_empty())
    };
    // Fewer running pods leave more room: the largest count that completes, by bisection.
    if low <= new_min || !completes(new_min) {
        return None;
    }
    let (mut fits, mut stalls) = (new_min, low);
    while stalls - fits > 1 {
        let mid = fits + (stalls - fits) / 2;
        if completes(mid) {
            fits = mid;
        } else {
            stalls = mid;
        }
    }
    Some((fits, new_min, name))
}

/// Past this many pods moved by the rollouts of one namespace (old, new and surge, at the upper
/// bound), the replay is not run: each rolling workload gets a "not analyzed" note instead. A
/// replay costs O(pods × workloads²) per order, so this bounds a namespace's analysis.
const MAX_REPLAYED_PODS: i64 = 20_000;

/// Adds a `stall` finding to each rolling workload whose rollout the new quota cannot carry out.
/// `dir` is the output directory, for the commands of the fix.
pub(super) fn predict(old: &Objects, new: &Objects, impacts: &mut [Impact], dir: Option<&str>) {
    let mut namespaces: Vec<Option<String>> = Vec::new();
    for i in impacts.iter() {
        if !namespaces.contains(&i.namespace) && i.namespace.is_some() {
            namespaces.push(i.namespace.clone());
        }
    }
    for ns in namespaces {
        let ns = ns.as_deref();
        let quotas = quotas(new, ns);
        if quotas.is_empty() {
            continue;
        }
        let rolling: Vec<(String, String)> = impacts
            .iter()
            .filter(|i| {
                i.namespace.as_deref() == ns
                    && i.change == Change::Update
                    && matches!(i.kind.as_str(), "Deployment" | "StatefulSet")
                    && i.classes().contains(&Class::Rollout)
            })
            .map(|i| (i.kind.clone(), i.name.clone()))
            .collect();
        if rolling.is_empty() {
            continue;
        }
        let (high, _) = world(old, new, ns, &rolling, Bound::High);
        if high.pods() > MAX_REPLAYED_PODS {
            let note = format!(
                "not analyzed for a quota stall: the rollouts in namespace {} move {} pods, past \
                 the replay's bound of {MAX_REPLAYED_PODS}",
                ns.unwrap_or_default(),
                high.pods()
            );
            for i in impacts.iter_mut().filter(|i| {
                i.namespace.as_deref() == ns && rolling.contains(&(i.kind.clone(), i.name.clone()))
            }) {
                i.findings.push(Finding {
                    class: None,
                    reason: note.clone(),
                    fix: None,
                });
            }
            continue;
        }
        // Past EVERY_ORDER_UP_TO workloads, not every order is replayed: the verdict says so.
        let orders = (high.workloads() > EVERY_ORDER_UP_TO).then(|| {
            format!(
                " ({} rolling workloads in this namespace: replayed in the {} orders where each \
                 pair acts first or last, not in every order)",
                high.workloads(),
                high.orders().len()
            )
        });
        let (found, running) = verdicts(old, new, ns, &rolling, &quotas);
        if found.is_empty() {
            continue;
        }
        let mut fix = fix(old, new, ns, &rolling, &quotas, dir);
        if found
            .values()
            .any(|v| matches!(v, Verdict::May(_, _, Bound::LeftBehind)))
        {
            let gone: Vec<String> = ["HorizontalPodAutoscaler", "ScaledObject"]
                .iter()
                .flat_map(|kind| old.of_kind(kind, ns).map(move |o| (kind, o)))
                .filter(|(kind, o)| {
                    let name = str_at(o, "metadata.name").unwrap_or_default();
                    find(new, kind, ns, name).is_none()
                })
                .map(|(kind, o)| {
                    format!(
                        "kubectl delete {} {}{}",
                        kind.to_lowercase(),
                        str_at(o, "metadata.name").unwrap_or_default(),
                        ns.map(|n| format!(" -n {n}")).unwrap_or_default()
                    )
                })
                .collect();
            fix = format!(
                "remove the autoscaler the render no longer has before applying ({}), or apply \
                 with the prune command kustomization.yaml documents; if it still stalls: {fix}",
                gone.join(", ")
            );
        }
        let resumes = found
            .values()
            .any(|v| matches!(v, Verdict::Certain(_)))
            .then(|| resume(old, new, ns, &rolling, &quotas))
            .flatten();
        for i in impacts.iter_mut() {
            let key = (i.kind.clone(), i.name.clone());
            if i.namespace.as_deref() != ns {
                continue;
            }
            if let Some(v) = found.get(&key) {
                i.findings.push(Finding {
                    class: Some(Class::Stall),
                    reason: reason(&key, v, &running, old, ns, resumes.as_ref())
                        + orders.as_deref().unwrap_or_default(),
                    fix: Some(fix.clone()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
