//! Capacity, live: nodes the pods fit (nodeSelector, required node affinity, taints against
//! tolerations) and enough of them for required anti-affinity at full scale, and the
//! ResourceQuota's headroom for the next pod and for the autoscaler's maximum plus the surge.

use serde_json::Value as J;

use super::{Cx, Finding, Report, items, pass, pod_spec, s};
use crate::config::quota::milli;
use crate::shell::quote;

/// Whether `node` can run a pod of `spec`: schedulable, its labels satisfy the nodeSelector
/// and a required node affinity term, and every NoSchedule/NoExecute taint is tolerated.
pub(super) fn node_fits(node: &J, spec: &J) -> bool {
    if node.pointer("/spec/unschedulable").and_then(J::as_bool) == Some(true) {
        return false;
    }
    let label = |k: &str| {
        node.pointer("/metadata/labels")
            .and_then(|l| l.get(k))
            .and_then(J::as_str)
    };
    let selector_ok = spec
        .pointer("/nodeSelector")
        .and_then(J::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let terms: Vec<&J> = items(
        spec,
        "/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
    )
    .collect();
    let affinity_ok = terms.is_empty()
        || terms.iter().any(|t| {
            items(t, "/matchExpressions").all(|e| {
                let values: Vec<&str> = items(e, "/values").filter_map(J::as_str).collect();
                let have = label(s(e, "/key"));
                match s(e, "/operator") {
                    "In" => have.is_some_and(|v| values.contains(&v)),
                    "NotIn" => have.is_none_or(|v| !values.contains(&v)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => true,
                }
            })
        });
    let tolerated = items(node, "/spec/taints")
        .filter(|t| matches!(s(t, "/effect"), "NoSchedule" | "NoExecute"))
        .all(|t| {
            items(spec, "/tolerations").any(|tol| {
                let key_ok = s(tol, "/key").is_empty() && s(tol, "/operator") == "Exists"
                    || s(tol, "/key") == s(t, "/key")
                        && (s(tol, "/operator") == "Exists" || s(tol, "/value") == s(t, "/value"));
                let effect_ok =
                    s(tol, "/effect").is_empty() || s(tol, "/effect") == s(t, "/effect");
                key_ok && effect_ok
            })
        });
    selector_ok && affinity_ok && tolerated
}

/// The most pods of a workload at once: the autoscaler's maximum (else its replicas) plus the
/// rolling update's surge.
pub(super) fn peak(o: &J, objects: &[J]) -> (u64, u64) {
    let name = s(o, "/metadata/name");
    let max = objects
        .iter()
        .find(|h| {
            s(h, "/kind") == "HorizontalPodAutoscaler" && s(h, "/spec/scaleTargetRef/name") == name
        })
        .and_then(|h| h.pointer("/spec/maxReplicas").and_then(J::as_u64))
        .or_else(|| o.pointer("/spec/replicas").and_then(J::as_u64))
        .unwrap_or(1);
    let surge = if s(o, "/kind") != "Deployment" || s(o, "/spec/strategy/type") == "Recreate" {
        0
    } else {
        match o.pointer("/spec/strategy/rollingUpdate/maxSurge") {
            Some(J::Number(n)) => n.as_u64().unwrap_or(0),
            Some(J::String(p)) => p
                .strip_suffix('%')
                .and_then(|p| p.parse::<u64>().ok())
                .map_or(1, |p| (max * p).div_ceil(100)),
            _ => max.div_ceil(4),
        }
    };
    (max, surge)
}

pub(super) fn nodes(cx: &Cx, r: &mut Report) {
    for o in cx
        .objects
        .iter()
        .filter(|o| matches!(s(o, "/kind"), "Deployment" | "StatefulSet"))
    {
        let Some(spec) = pod_spec(o) else { continue };
        let who = format!("{} {}", s(o, "/kind"), s(o, "/metadata/name"));
        let fitting: Vec<&J> = cx
            .snap
            .nodes
            .iter()
            .filter(|n| node_fits(n, spec))
            .collect();
        let selector: Vec<(String, String)> = spec
            .pointer("/nodeSelector")
            .and_then(J::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect();
        if fitting.is_empty() {
            let mut fix = Vec::new();
            if !selector.is_empty() {
                let labels: Vec<String> = selector
                    .iter()
                    .map(|(k, v)| quote(&format!("{k}={v}")).into_owned())
                    .collect();
                fix.push(format!("kubectl label node NODE {}", labels.join(" ")));
                if cx.base(s(o, "/metadata/name")) == "agent-deployment" {
                    for (k, _) in &selector {
                        fix.push(cx.render1(&format!("agent.nodeSelector.{k}=null")));
                    }
                }
            }
            let wanted = if selector.is_empty() {
                "its required node affinity and tolerations".to_owned()
            } else {
                format!(
                    "nodeSelector {}",
                    selector
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            r.findings.push(Finding {
                check: "nodes",
                subject: who,
                cause: format!(
                    "none of the {} nodes satisfies {wanted} (with their taints and the pods' tolerations): its pods stay Pending",
                    cx.snap.nodes.len()
                ),
                fix,
            });
            continue;
        }
        let (max, surge) = peak(o, cx.objects);
        let is_agent = cx.base(s(o, "/metadata/name")) == "agent-deployment";
        if let Some(short) = spread_shortfall(spec, &fitting, max + surge) {
            let mut fix = short.commands;
            if is_agent && let Some(set) = short.set {
                fix.push(cx.render1(set));
            }
            r.findings.push(Finding {
                check: "nodes",
                subject: who,
                cause: short.cause,
                fix,
            });
        } else {
            pass(
                r,
                "nodes",
                format!(
                    "{who}: {} of {} nodes fit",
                    fitting.len(),
                    cx.snap.nodes.len()
                ),
            );
        }
    }
}

/// Requests and limits of one pod of a pod spec, per quota resource name, in thousandths.
pub(super) fn per_pod(spec: &J) -> Vec<(&'static str, u128)> {
    let mut out = vec![("pods", 1000)];
    for (field, res, name) in [
        ("requests", "cpu", "requests.cpu"),
        ("requests", "memory", "requests.memory"),
        ("limits", "cpu", "limits.cpu"),
        ("limits", "memory", "limits.memory"),
    ] {
        let total: u128 = items(spec, "/containers")
            .filter_map(|c| {
                c.pointer(&format!("/resources/{field}/{res}"))
                    .and_then(J::as_str)
                    .and_then(milli)
            })
            .sum();
        out.push((name, total));
    }
    out
}

pub(super) fn show(resource: &str, m: u128) -> String {
    if resource.ends_with("memory") {
        crate::k8s::quantity::memory_text(m)
    } else if resource.ends_with("cpu") {
        crate::k8s::quantity::cpu_text(m)
    } else {
        (m / 1000).to_string()
    }
}

pub(super) fn quota(cx: &Cx, r: &mut Report) {
    for q in &cx.snap.quotas {
        let qname = s(q, "/metadata/name");
        let get = |which: &str, res: &str| {
            q.pointer(&format!("/status/{which}"))
                .and_then(|m| m.get(res))
                .and_then(J::as_str)
                .and_then(milli)
        };
        let mut problems = Vec::new();
        let mut next_pod = Vec::new();
        // The hard limit each short resource needs: (resource, new hard).
        let mut raise: Vec<(&'static str, u128)> = Vec::new();
        let mut need =
            |res: &'static str, hard: u128| match raise.iter_mut().find(|(r, _)| *r == res) {
                Some((_, h)) => *h = (*h).max(hard),
                None => raise.push((res, hard)),
            };
        for o in cx
            .objects
            .iter()
            .filter(|o| matches!(s(o, "/kind"), "Deployment" | "StatefulSet"))
        {
            let Some(spec) = pod_spec(o) else { continue };
            let name = s(o, "/metadata/name");
            let live = cx
                .snap
                .workloads
                .iter()
                .find(|w| s(w, "/kind") == s(o, "/kind") && s(w, "/metadata/name") == name);
            let running = live
                .and_then(|w| w.pointer("/status/replicas").and_then(J::as_u64))
                .unwrap_or(0);
            let (max, surge) = peak(o, cx.objects);
            let extra = (max + surge).saturating_sub(running) as u128;
            for (res, each) in per_pod(spec) {
                let (Some(hard), Some(used)) = (get("hard", res), get("used", res)) else {
                    continue;
                };
                let left = hard.saturating_sub(used);
                if each > left && running < max {
                    // Raised to what full scale needs, not just the next pod.
                    need(res, hard + (each * extra.max(1)).saturating_sub(left));
                    next_pod.push(format!(
                        "{res}: one more {name} pod needs {}, {} left of {}",
                        show(res, each),
                        show(res, left),
                        show(res, hard)
                    ));
                } else if each * extra > left {
                    need(res, hard + (each * extra - left));
                    problems.push(format!(
                        "{res}: {name} at full scale ({max} + surge {surge}, {running} now) needs {} more, {} left of {}",
                        show(res, each * extra), show(res, left), show(res, hard)
                    ));
                }
            }
        }
        let settings: Vec<String> = raise
            .iter()
            .filter_map(|(res, hard)| {
                let setting = crate::config::quota::setting_of(res)?;
                Some(format!("{setting}={}", show(res, *hard)))
            })
            .collect();
        let fix = vec![
            format!(
                "kubectl describe resourcequota {} {}",
                quote(qname),
                cx.ns()
            ),
            (cx.render_with)(&settings),
        ];
        if !next_pod.is_empty() {
            r.findings.push(Finding {
                check: "quota",
                subject: format!("ResourceQuota {qname}"),
                cause: format!(
                    "the next pod does not fit: {}; the API server refuses it (`exceeded quota`) and the rollout or scale-up stalls",
                    next_pod.join("; ")
                ),
                fix,
            });
        } else if !problems.is_empty() {
            r.findings.push(Finding {
                check: "quota",
                subject: format!("ResourceQuota {qname}"),
                cause: format!(
                    "no headroom for maximum scale: {}; pods past it are refused (`exceeded quota`)",
                    problems.join("; ")
                ),
                fix,
            });
        } else {
            pass(
                r,
                "quota",
                format!("ResourceQuota {qname} has headroom for maximum scale"),
            );
        }
    }
}

/// The label values of `key` among `nodes` (a node without the label is in no domain).
fn domains<'a>(nodes: &[&'a J], key: &str) -> std::collections::BTreeSet<&'a str> {
    nodes
        .iter()
        .filter_map(|n| {
            n.pointer("/metadata/labels")
                .and_then(|l| l.get(key))
                .and_then(J::as_str)
        })
        .collect()
}

/// Why the scheduler cannot place a workload's pods, and what relaxes the rule.
#[derive(Debug)]
pub(super) struct Shortfall {
    pub(super) cause: String,
    /// The typed setting that relaxes the rule, when the render's own setting made it.
    pub(super) set: Option<&'static str>,
    /// Commands that give the nodes what the rule needs.
    pub(super) commands: Vec<String>,
}

/// Why `peak` pods of `spec` cannot all be placed on the `fitting` nodes by the scheduler's
/// topology rules, with the `--set` that relaxes the rule: required pod anti-affinity (one pod
/// per value of its topology key, when every fitting node has the key: a node without it is
/// not constrained) and `DoNotSchedule` spread constraints (only nodes with the key are
/// eligible; with `minDomains` above the domains there are, at most `maxSkew` pods per domain).
pub(super) fn spread_shortfall(spec: &J, fitting: &[&J], peak: u64) -> Option<Shortfall> {
    let labelled = |key: &str| {
        fitting.iter().all(|n| {
            n.pointer("/metadata/labels")
                .and_then(|l| l.get(key))
                .is_some()
        })
    };
    for term in items(
        spec,
        "/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution",
    ) {
        let key = s(term, "/topologyKey");
        // The node name is every node's own domain (a kubelet always sets the label).
        let n = if key == "kubernetes.io/hostname" {
            fitting.len() as u64
        } else if labelled(key) {
            domains(fitting, key).len() as u64
        } else {
            continue;
        };
        if n < peak {
            let per = if key == "kubernetes.io/hostname" {
                "node".to_owned()
            } else {
                format!("value of node label {key}")
            };
            return Some(Shortfall {
                cause: format!(
                    "required anti-affinity puts one pod per {per}, and at full scale a rollout runs {peak} pods (the autoscaler's maximum or the replicas, plus the surge), but the nodes that fit offer only {n}: the last pods stay Pending"
                ),
                // `agent.antiAffinity` renders the term over node names.
                set: (key == "kubernetes.io/hostname").then_some("agent.antiAffinity=preferred"),
                commands: Vec::new(),
            });
        }
    }
    for c in items(spec, "/topologySpreadConstraints") {
        if !matches!(s(c, "/whenUnsatisfiable"), "" | "DoNotSchedule") {
            continue;
        }
        let key = s(c, "/topologyKey");
        let n = domains(fitting, key).len() as u64;
        let skew = c.pointer("/maxSkew").and_then(J::as_u64).unwrap_or(1);
        let min_domains = c.pointer("/minDomains").and_then(J::as_u64);
        // `agent.zoneSpread` renders the constraint over zones.
        let set = (key == "topology.kubernetes.io/zone").then_some("agent.zoneSpread=preferred");
        if n == 0 {
            return Some(Shortfall {
                cause: format!(
                    "a topology spread constraint over node label {key} (DoNotSchedule) needs nodes that carry the label, and none of the {} nodes that fit does: its pods stay Pending",
                    fitting.len()
                ),
                set,
                commands: vec![format!(
                    "kubectl label node NODE {}",
                    quote(&format!("{key}=VALUE"))
                )],
            });
        }
        if let Some(md) = min_domains
            && n < md
            && n.saturating_mul(skew) < peak
        {
            return Some(Shortfall {
                cause: format!(
                    "a topology spread constraint over node label {key} asks for {md} domains (minDomains) with a skew of at most {skew}; the nodes that fit span {n}, so at most {} pods can be placed of the {peak} a rollout at full scale runs: the last pods stay Pending",
                    n * skew
                ),
                set,
                commands: Vec::new(),
            });
        }
    }
    None
}
