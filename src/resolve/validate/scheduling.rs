//! The rules of the agent's scheduling settings ([`crate::config::fit`]): tolerations (also
//! Redis's), priority and runtime classes, spread constraints and node affinity, as Kubernetes
//! validates them. Part of [`super`]'s one pass: every problem is collected and located.

use super::{Checker, label_key, label_value};
use crate::config::{
    Config, NodeOperator, TaintEffect, TolerationOperator, WhenUnsatisfiable, ZoneSpread,
};
use crate::k8s::version::Feature;

/// Tolerations, priority and runtime classes.
pub(super) fn scheduling(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    tolerations(k, "agent.tolerations", &a.tolerations);
    for (path, v) in [
        ("agent.priorityClassName", &a.priority_class_name),
        ("agent.runtimeClassName", &a.runtime_class_name),
    ] {
        if let Some(v) = v {
            k.dns_subdomain(path, v);
        }
    }
    let target = c.kube_version();
    if a.host_users == Some(false) && !target.supports(Feature::UserNamespaces) {
        k.cross(
            "agent.hostUsers",
            "kubeVersion",
            Feature::UserNamespaces.refusal(target),
            format!(
                "{}; an older API server drops the field and the pods run in the node's user namespace",
                Feature::UserNamespaces.help()
            ),
        );
    }
}

/// Tolerations of a pod (`base`: `agent.tolerations`, `redis.tolerations`), as Kubernetes
/// validates them.
pub(super) fn tolerations(k: &mut Checker, base: &str, list: &[crate::config::Toleration]) {
    for (i, t) in list.iter().enumerate() {
        let path = format!("{base}.{i}");
        match t.operator {
            TolerationOperator::Exists if t.value.is_some() => k.fail(
                &format!("{path}.value"),
                "a toleration with `operator: Exists` matches any value; it takes none".into(),
                Some("remove `value`, or use `operator: Equal`".into()),
            ),
            TolerationOperator::Equal if t.key.is_none() => k.fail(
                &path,
                "a toleration with `operator: Equal` needs a `key`".into(),
                Some(
                    "add `key: <taint key>`, or use `operator: Exists` to tolerate every taint"
                        .into(),
                ),
            ),
            _ => {}
        }
        if let Some(key) = &t.key
            && let Err(why) = label_key(key)
        {
            k.fail(
                &format!("{path}.key"),
                format!("`{key}` is not a valid taint key: {why}"),
                None,
            );
        }
        if let Some(v) = &t.value
            && let Err(why) = label_value(v)
        {
            k.fail(
                &format!("{path}.value"),
                format!("`{v}` is not a valid taint value: {why}"),
                None,
            );
        }
        if t.toleration_seconds.is_some() && t.effect != Some(TaintEffect::NoExecute) {
            k.fail(
                &format!("{path}.tolerationSeconds"),
                "`tolerationSeconds` only applies to `effect: NoExecute`".into(),
                Some("remove it, or set `effect: NoExecute`".into()),
            );
        }
    }
}

/// Spread constraints (the zone choice and the full ones, never twice the same) and node
/// affinity rules.
pub(super) fn placement(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    let mut spread_keys: Vec<(String, WhenUnsatisfiable)> = Vec::new();
    match a.zone_spread {
        ZoneSpread::None => {}
        ZoneSpread::Preferred => spread_keys.push((
            "topology.kubernetes.io/zone".into(),
            WhenUnsatisfiable::ScheduleAnyway,
        )),
        ZoneSpread::Required => spread_keys.push((
            "topology.kubernetes.io/zone".into(),
            WhenUnsatisfiable::DoNotSchedule,
        )),
    }
    for (i, t) in a.topology_spread_constraints.iter().enumerate() {
        let path = format!("agent.topologySpreadConstraints.{i}");
        if let Err(why) = label_key(&t.topology_key) {
            k.fail(
                &format!("{path}.topologyKey"),
                format!("`{}` is not a valid node label key: {why}", t.topology_key),
                Some("e.g. `topology.kubernetes.io/zone` or `kubernetes.io/hostname`".into()),
            );
        }
        if spread_keys.contains(&(t.topology_key.clone(), t.when_unsatisfiable)) {
            k.fail(
                &path,
                format!(
                    "a spread constraint on `{}` with `{:?}` is already there",
                    t.topology_key, t.when_unsatisfiable
                ),
                Some("Kubernetes refuses two: drop this one, or `agent.zoneSpread: none`".into()),
            );
        }
        spread_keys.push((t.topology_key.clone(), t.when_unsatisfiable));
    }
    for (name, r) in &a.node_affinity {
        let path = format!("agent.nodeAffinity.{name}");
        if let Err(why) = label_key(&r.key) {
            k.fail(
                &format!("{path}.key"),
                format!("`{}` is not a valid node label key: {why}", r.key),
                None,
            );
        }
        let problem = match r.operator {
            NodeOperator::In | NodeOperator::NotIn if r.values.is_empty() => {
                Some("`In` and `NotIn` need at least one value")
            }
            NodeOperator::Exists | NodeOperator::DoesNotExist if !r.values.is_empty() => {
                Some("`Exists` and `DoesNotExist` take no values")
            }
            NodeOperator::Gt | NodeOperator::Lt
                if r.values.len() != 1 || r.values[0].parse::<i64>().is_err() =>
            {
                Some("`Gt` and `Lt` take exactly one integer value")
            }
            _ => None,
        };
        if let Some(p) = problem {
            // Missing values are the operator's problem; surplus ones are the values'.
            let at = if r.values.is_empty() {
                "operator"
            } else {
                "values"
            };
            k.fail(
                &format!("{path}.{at}"),
                p.into(),
                Some("e.g. `operator: In` with `values: [agents]`".into()),
            );
        }
    }
}
