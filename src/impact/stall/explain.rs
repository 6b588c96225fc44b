//! The user text of a stall: why a workload stalls ([`reason`]: the bound, the refusing quota
//! and by how much, what is left running) and the fix ([`fix`]: apply in two steps, today's
//! quota figures kept for the first, with the `--set` flags that keep them). Pure.

use super::super::Objects;
use super::admission::{self, Quota, RESOURCES, show};
use super::kube::bounds;
use super::verdicts::{Verdict, verdicts};
use super::world::{Bound, world};

use crate::config::quota::setting_of as setting;

/// Why a workload stalls, for people.
pub(super) fn reason(
    key: &(String, String),
    v: &Verdict,
    running: &[Vec<(String, i64)>; 2],
    (old, new): (&Objects, &Objects),
    ns: Option<&str>,
    resumes: Option<&(i64, i64, String)>,
) -> String {
    let until = match (v, resumes) {
        (Verdict::Certain(_), Some((c, min, name))) => format!(
            "; without the fix it resumes only if the autoscaler scales {name} down to {c} pod{} \
             or fewer (its new minimum is {min}: under low load, after its scale-down window), \
             and then when the controllers retry the refused pods (a backoff of up to 1000 s)",
            if *c == 1 { "" } else { "s" }
        ),
        _ => String::new(),
    };
    let (s, how) = match v {
        Verdict::Certain(s) => (s, "stalls for certain"),
        Verdict::May(s, _, _) => (s, "may stall"),
    };
    let why = s.refused.as_ref().map_or_else(
        || "the quota cannot hold its new pods next to the ones running".to_owned(),
        |r| {
            format!(
                "ResourceQuota {} (applied before the workloads) refuses its new pod: {}",
                r.quota,
                r.describe()
            )
        },
    );
    let when = match v {
        Verdict::Certain(_) => String::new(),
        Verdict::May(_, when, _) => format!(" {when}"),
    };
    let running = match v {
        Verdict::May(_, _, Bound::High) => &running[1],
        _ => &running[0],
    };
    let now = running
        .iter()
        .map(|(w, n)| format!("{n} pod{} of {w}", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ");
    let scaled = bounds(old, ns, &key.0, &key.1).is_some() && matches!(v, Verdict::Certain(_));
    // What runs lists the Deployments (a StatefulSet's pods are in its own text).
    let live = old.running.is_some();
    let foreign = if live {
        let (w, _) = world(old, new, ns, &[], Bound::Low);
        let held: Vec<String> = RESOURCES
            .iter()
            .enumerate()
            .filter(|(i, _)| w.foreign.0[*i] > 0)
            .map(|(i, r)| format!("{r} {}", show(i, w.foreign.0[i])))
            .collect();
        if held.is_empty() {
            String::new()
        } else {
            format!(
                ", and the quota already counts {} for pods the render does not own",
                held.join(", ")
            )
        }
    } else {
        String::new()
    };
    let base = if now.is_empty() {
        foreign
            .strip_prefix(", and")
            .map_or_else(String::new, |f| format!(" while{f}"))
    } else if live {
        format!(" with {now} running now (read from the cluster){foreign}")
    } else if scaled {
        format!(" with {now} running (the autoscaler's minimum today)")
    } else {
        format!(" with {now} running")
    };
    if key.0 == "StatefulSet" {
        let tail = if s.no_pod {
            format!(
                "its controller deletes a pod before creating its replacement, so {} is left \
                 with no pod{}",
                key.1,
                if key.1.contains("redis") {
                    ": a Redis outage, the agent loses its cache/state"
                } else {
                    ""
                }
            )
        } else {
            format!("{} of {} pods updated", s.updated.0, s.updated.1)
        };
        format!("rollout {how}{when}{base}: {why}; {tail}{until}")
    } else if matches!(v, Verdict::May(_, _, Bound::LeftBehind)) {
        // Which of the two depends on whether the rollout at the new replicas finishes before
        // the autoscaler acts (seen on the control plane: the rollout at 3 finished, then the
        // autoscaler asked for 10 and quota admission let 4 in).
        format!(
            "rollout {how}{when}{base}: {why}; the agent either stops part-way or ends with fewer \
             pods than the autoscaler asks for, depending on whether its rollout at the new \
             replicas finishes before the autoscaler acts"
        )
    } else {
        format!(
            "rollout {how}{when}{base}: {why}; it stays at updatedReplicas {}/{} (the old pods \
             keep running){until}",
            s.updated.0, s.updated.1
        )
    }
}

/// The fix: apply once with today's quota figures kept, wait for the rollouts, then apply the
/// new render (the quota shrinks under the new pods).
pub(super) fn fix(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    quotas: &[Quota],
    dir: Option<&str>,
) -> String {
    let today = admission::quotas(old, ns);
    // Per quota, the figures that shrink, at today's value.
    let mut keep: Vec<(String, usize, String)> = Vec::new();
    let mut bridge = quotas.to_vec();
    for q in &mut bridge {
        let Some(t) = today.iter().find(|t| t.name == q.name) else {
            continue;
        };
        for (i, hard) in &mut q.hard {
            if let Some((_, was)) = t.hard.iter().find(|(j, _)| j == i)
                && *was > *hard
            {
                *hard = *was;
                let text = t.text.get(i).cloned().unwrap_or_else(|| show(*i, *was));
                keep.push((q.name.clone(), *i, text));
            }
        }
    }
    let ns_flag = ns
        .map(|n| format!(" -n {}", crate::shell::quote(n)))
        .unwrap_or_default();
    let dir = dir.map_or("DIR".into(), crate::shell::quote);
    let statuses = rolling
        .iter()
        .map(|(k, n)| {
            format!(
                "kubectl rollout status {}/{}{ns_flag}",
                crate::shell::quote(&k.to_lowercase()),
                crate::shell::quote(n)
            )
        })
        .collect::<Vec<_>>()
        .join(" and ");
    // A quota the cluster does not have yet: the first apply goes without it.
    let created: Vec<&str> = quotas
        .iter()
        .filter(|q| !today.iter().any(|t| t.name == q.name))
        .map(|q| q.name.as_str())
        .collect();
    if !created.is_empty() {
        let first = if created.len() == 1 && agentctl_quota(created[0]) {
            "render with `--set quota.enabled=false` added to the same inputs (no quota and no \
             LimitRange for this apply)"
                .to_owned()
        } else {
            format!("render without ResourceQuota {}", created.join(", "))
        };
        return format!(
            "apply in two steps so the quota comes after the rollout: 1. {first}, kubectl apply \
             -k {dir}, then {statuses}; 2. render the same inputs as before and kubectl apply -k \
             {dir} again (a quota may be created below what runs)"
        );
    }
    if keep.is_empty() {
        return "raise the ResourceQuota's figures so the running pods and the new ones fit \
                together during the rollout"
            .into();
    }
    let (bridged, _) = verdicts(old, new, ns, rolling, &bridge);
    let sets: Vec<String> = keep
        .iter()
        .filter(|(q, _, _)| agentctl_quota(q))
        .filter_map(|(_, i, v)| {
            setting(RESOURCES[*i]).map(|s| format!("--set {s}={}", crate::shell::quote(v)))
        })
        .collect();
    let others: Vec<String> = keep
        .iter()
        .filter(|(q, i, _)| !agentctl_quota(q) || setting(RESOURCES[*i]).is_none())
        .map(|(q, i, v)| format!("{q} {}: {v}", RESOURCES[*i]))
        .collect();
    let mut first = Vec::new();
    if !sets.is_empty() {
        first.push(format!(
            "render with today's quota kept (add `{}` to the same inputs)",
            sets.join(" ")
        ));
    }
    if !others.is_empty() {
        first.push(format!(
            "keep today's figures ({}) in the rendered quota",
            others.join(", ")
        ));
    }
    let caveat = if bridged.is_empty() {
        ""
    } else {
        " (even today's figures do not hold every step: raise them further for the first apply)"
    };
    format!(
        "apply in two steps so the quota shrinks after the rollout: 1. {}, kubectl apply -k \
         {dir}, then {statuses}{caveat}; 2. render without {} and kubectl apply -k {dir} again",
        first.join(" and "),
        if sets.is_empty() {
            "those figures"
        } else {
            "those --set"
        }
    )
}

/// Whether a ResourceQuota is the one agentctl renders (`agent-quota`, `NAME-agent-quota` with
/// `instance` set), whose figures `quota.*` settings change.
fn agentctl_quota(name: &str) -> bool {
    name == "agent-quota" || name.ends_with("-agent-quota")
}
