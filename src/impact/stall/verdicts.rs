//! The verdicts: a namespace replayed at each bound of what runs (the autoscaler's minimum,
//! its maximum with a job running, an autoscaler left behind) in every order [`World::orders`]
//! gives, and per rolling workload whether it stalls for certain or may stall, and when
//! ([`verdicts`]); and the pod count at which a stalled rollout would resume ([`resume`]).
//!
//! [`World::orders`]: super::replay::World::orders

use std::collections::BTreeMap;

use super::super::Objects;
use super::admission::Quota;
use super::kube::bounds;
use super::replay::{Stall, Stalled};
use super::world::{Bound, world};
use crate::k8s::object::str_at;

/// The verdict on one workload.
#[derive(Debug, Clone)]
pub(super) enum Verdict {
    /// Stalls at the lower bound, whatever order the controllers act in.
    Certain(Stall),
    /// Stalls at the upper bound, or only in some orders (at that bound).
    May(Stall, &'static str, Bound),
}

/// The verdict per stalling workload (kind, name).
pub(super) type Verdicts = BTreeMap<(String, String), Verdict>;

/// Replays a namespace at both bounds under `quotas`; the verdict per rolling workload.
pub(super) fn verdicts(
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
        let name = str_at(d, "/metadata/name").unwrap_or_default();
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
pub(super) fn resume(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    quotas: &[Quota],
) -> Option<(i64, i64, String)> {
    let (name, low, new_min) = old.of_kind("Deployment", ns).find_map(|d| {
        let name = str_at(d, "/metadata/name")?;
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
