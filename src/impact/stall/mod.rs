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
//! an order until nothing moves; which orders), [`world`] (what runs now at a bound),
//! [`verdicts`] (over bounds and orders; when a stall resumes), this file (the finding per
//! namespace, the bound past which it is not analyzed) and [`explain`] (the user text: reason
//! and fix).

mod admission;
mod controllers;
mod explain;
mod kube;
mod replay;
mod verdicts;
mod world;

use super::{Change, Class, Finding, Impact, Objects};
use crate::k8s::object::str_at;
use admission::quotas;
use explain::{fix, reason};
use replay::EVERY_ORDER_UP_TO;
use verdicts::{Verdict, resume, verdicts};
use world::{Bound, find, world};

/// Past this many pods moved by the rollouts of one namespace (old, new and surge, at the upper
/// bound), the replay is not run: each rolling workload gets a "not analyzed" note instead. A
/// replay costs O(pods × workloads²) per order, so this bounds a namespace's analysis.
const MAX_REPLAYED_PODS: i64 = 20_000;

/// Past this much work (orders × pods × workloads², what the replays of one namespace cost),
/// the replay is not run either: each rolling workload gets a "not analyzed" note. 20 rolling
/// Deployments of 7 pods cost about 2·10⁸ and replay in a quarter of a second; 40 cost 6·10⁹
/// and took 4 s, 300 did not finish in minutes (the orders grow as n², each replay as n²).
const MAX_REPLAY_WORK: i64 = 1_000_000_000;

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
        let n = high.workloads() as i64;
        let work = high
            .order_count()
            .saturating_mul(high.pods().max(1))
            .saturating_mul(n.saturating_mul(n));
        let past = if high.pods() > MAX_REPLAYED_PODS {
            Some(format!(
                "the rollouts in namespace {} move {} pods, past the replay's bound of \
                 {MAX_REPLAYED_PODS}",
                ns.unwrap_or_default(),
                high.pods()
            ))
        } else if work > MAX_REPLAY_WORK {
            Some(format!(
                "the {n} rolling workloads in namespace {} ({} pods) would take the replay past \
                 its bound of {MAX_REPLAY_WORK} steps (orders × pods × workloads²): split them \
                 over namespaces, or roll them in smaller changes",
                ns.unwrap_or_default(),
                high.pods()
            ))
        } else {
            None
        };
        if let Some(past) = past {
            let note = format!("not analyzed for a quota stall: {past}");
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
                    let name = str_at(o, "/metadata/name").unwrap_or_default();
                    find(new, kind, ns, name).is_none()
                })
                .map(|(kind, o)| {
                    format!(
                        "kubectl delete {} {}{}",
                        crate::shell::quote(&kind.to_lowercase()),
                        crate::shell::quote(str_at(o, "/metadata/name").unwrap_or_default()),
                        ns.map(|n| format!(" -n {}", crate::shell::quote(n)))
                            .unwrap_or_default()
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
                    reason: reason(&key, v, &running, (old, new), ns, resumes.as_ref())
                        + orders.as_deref().unwrap_or_default(),
                    fix: Some(fix.clone()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
