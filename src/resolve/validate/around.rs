//! The objects around the agent workload: the HPA's `behavior` (also KEDA's HPA's), KEDA's
//! further triggers, the
//! PodDisruptionBudget (`maxUnavailable` or `minAvailable`, the eviction policy of unready
//! pods), the agent ServiceMonitor's relabelings (actions and regexes Prometheus would refuse)
//! and the Ingress's further paths and hosts (their checks shared with the HTTPRoute's:
//! `front`).

use super::{Checker, is_zero};
use crate::config::{Config, IntOrPercent, RelabelAction, Relabeling, ScalingRules};
use crate::k8s::version::{Feature, KubeVersion};

/// Whether `path` holds a built-in value (a default or a profile's), not one a user wrote.
fn builtin(k: &Checker, path: &str) -> bool {
    k.merged.origin(path).is_none_or(|s| {
        matches!(
            s.source.origin,
            crate::diag::Origin::Default | crate::diag::Origin::Profile(_)
        )
    })
}

/// `autoscaling.behavior`: each direction's policies, when written, are at least one.
pub(super) fn behavior(k: &mut Checker, c: &Config) {
    let b = &c.autoscaling.behavior;
    for (dir, rules) in [("scaleUp", &b.scale_up), ("scaleDown", &b.scale_down)] {
        let ScalingRules { policies, .. } = rules;
        for (i, p) in policies.iter().flatten().enumerate() {
            let at = format!("autoscaling.behavior.{dir}.policies.{i}");
            let missing: Vec<&str> = [
                ("type", p.kind.is_none()),
                ("value", p.value == 0),
                ("periodSeconds", p.period_seconds == 0),
            ]
            .into_iter()
            .filter_map(|(f, m)| m.then_some(f))
            .collect();
            if !missing.is_empty() {
                k.fail(
                    &at,
                    format!("the policy has no {} (each is required, and at least 1)", missing.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")),
                    Some("write it whole, e.g. `{type: Pods, value: 1, periodSeconds: 60}` (`type: Percent` for a share of the replicas)".into()),
                );
            }
        }
        if policies.as_ref().is_some_and(Vec::is_empty) {
            k.fail(
                &format!("autoscaling.behavior.{dir}.policies"),
                "no scaling policy: the HPA needs at least one per direction".into(),
                Some("list one, e.g. `[{type: Pods, value: 1, periodSeconds: 60}]`, or remove `policies` for agentctl's; `selectPolicy: Disabled` stops scaling in this direction".into()),
            );
        }
    }
}

/// `keda.triggers`: a scaler, a name KEDA takes, an authentication reference by name.
pub(super) fn keda_triggers(k: &mut Checker, c: &Config) {
    if !c.keda.enabled {
        return;
    }
    for (name, t) in &c.keda.triggers {
        let path = format!("keda.triggers.{name}");
        if crate::config::names::dns1123_label(name).is_err() {
            k.fail_key(
                &path,
                format!("`{name}` is not a trigger name KEDA takes"),
                Some(
                    "use lowercase letters, digits and '-' (a DNS label), e.g. `orders-queue`"
                        .into(),
                ),
            );
        }
        let scaler = t.kind.as_str();
        if scaler.is_empty() {
            k.fail(
                &path,
                "the trigger has no `type`, the scaler".into(),
                Some("add `type: NAME`, e.g. `aws-sqs-queue`, `kafka`, `rabbitmq`, `cron`".into()),
            );
        } else if !scaler
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            k.fail(
                &format!("{path}.type"),
                format!("`{scaler}` is not a KEDA scaler name"),
                Some("KEDA's scalers are lowercase with '-', e.g. `aws-sqs-queue`".into()),
            );
        }
        if let Some(a) = &t.authentication_ref {
            k.dns_subdomain(&format!("{path}.authenticationRef.name"), &a.name);
        }
    }
}

/// The PodDisruptionBudget: exactly one of `maxUnavailable` and `minAvailable`, neither
/// blocking every drain nor protecting nothing.
pub(super) fn disruption_budget(k: &mut Checker, c: &Config) {
    let p = &c.disruption_budget;
    if !p.enabled {
        return;
    }
    let min = c.agent.replicas.min;
    match (&p.max_unavailable, &p.min_available) {
        (None, None) => k.fail(
            "disruptionBudget.maxUnavailable",
            "the budget has neither `maxUnavailable` nor `minAvailable`".into(),
            Some("set one, e.g. `maxUnavailable: 1`, or `disruptionBudget.enabled: false`".into()),
        ),
        (Some(_), Some(_)) if !builtin(k, "disruptionBudget.maxUnavailable") => k.cross(
            "disruptionBudget.minAvailable",
            "disruptionBudget.maxUnavailable",
            "a PodDisruptionBudget takes `maxUnavailable` or `minAvailable`, not both".into(),
            "remove one of them (`maxUnavailable: null` in a layer removes it)".into(),
        ),
        (_, Some(ma)) => {
            let path = "disruptionBudget.minAvailable";
            if let Some(ma) = k.percent_or_int(path, ma) {
                let all = match &ma {
                    IntOrPercent::Int(n) => min > 0 && *n >= min,
                    IntOrPercent::Percent(p) => p == "100%",
                };
                if is_zero(&ma) {
                    k.fail(
                        path,
                        "minAvailable 0 lets a drain take every agent pod: it protects nothing".into(),
                        Some("keep at least 1 pod available, or set `disruptionBudget.enabled: false`".into()),
                    );
                } else if all {
                    k.cross(
                        path,
                        "agent.replicas.min",
                        format!("minAvailable {} keeps every agent pod at the minimum scale ({min}): it blocks every node drain and cluster upgrade", show(&ma)),
                        format!("lower `disruptionBudget.minAvailable` below {min}, or use `maxUnavailable: 1`"),
                    );
                }
            }
        }
        (Some(mu), None) => {
            let path = "disruptionBudget.maxUnavailable";
            if let Some(mu) = k.percent_or_int(path, mu) {
                if is_zero(&mu) {
                    k.fail(
                        path,
                        "maxUnavailable 0 blocks every node drain and cluster upgrade".into(),
                        Some("allow at least 1 pod to be disrupted".into()),
                    );
                } else if let IntOrPercent::Int(n) = mu
                    && n >= min
                    && min > 0
                {
                    k.cross(
                        path,
                        "agent.replicas.min",
                        format!("the budget allows {n} of {min} agent pods down at once: it protects nothing"),
                        if min <= 1 {
                            "with a single replica set `disruptionBudget.enabled: false`, or run at least 2 replicas".into()
                        } else {
                            format!("lower `disruptionBudget.maxUnavailable` below {min}")
                        },
                    );
                }
            }
        }
    }
    if p.unhealthy_pod_eviction_policy.is_some()
        && let Ok(target) = KubeVersion::parse(&c.kube_version)
        && !target.supports(Feature::UnhealthyPodEvictionPolicy)
    {
        let f = Feature::UnhealthyPodEvictionPolicy;
        k.fail(
            "disruptionBudget.unhealthyPodEvictionPolicy",
            f.refusal(target),
            Some(f.help()),
        );
    }
}

fn show(v: &IntOrPercent) -> String {
    match v {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(p) => p.clone(),
    }
}

/// A label name as Prometheus reads it in a relabeling (`__meta_*`, `__address__` included):
/// `[a-zA-Z_][a-zA-Z0-9_]*`.
fn label_name_ok(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The agent ServiceMonitor's relabelings: what Prometheus (through the operator) refuses.
pub(super) fn relabelings(k: &mut Checker, c: &Config) {
    let sm = &c.monitoring.service_monitor;
    if !sm.enabled {
        return;
    }
    for (field, list) in [
        ("relabelings", &sm.relabelings),
        ("metricRelabelings", &sm.metric_relabelings),
    ] {
        for (i, r) in list.iter().enumerate() {
            relabeling(k, &format!("monitoring.serviceMonitor.{field}.{i}"), r);
        }
    }
}

fn relabeling(k: &mut Checker, path: &str, r: &Relabeling) {
    let action = r.action.unwrap_or(RelabelAction::Replace);
    let name = serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    for (i, l) in r.source_labels.iter().enumerate() {
        if !label_name_ok(l) {
            k.fail(
                &format!("{path}.sourceLabels.{i}"),
                format!("`{l}` is not a Prometheus label name"),
                Some("use letters, digits and '_', not starting with a digit (e.g. `__meta_kubernetes_pod_name`)".into()),
            );
        }
    }
    if let Some(re) = &r.regex
        && let Err(e) = regex::Regex::new(&format!("^(?:{re})$"))
    {
        let why = e.to_string();
        let why = why.lines().last().unwrap_or("it does not compile").trim();
        let why = why.strip_prefix("error: ").unwrap_or(why);
        k.fail(
            &format!("{path}.regex"),
            format!("the regex does not compile: {why}"),
            Some("write an RE2 regular expression (Prometheus anchors it at both ends)".into()),
        );
    }
    match &r.target_label {
        None if action.needs_target() => k.fail(
            &format!("{path}.action"),
            format!("action `{name}` needs `targetLabel`, the label it writes or compares"),
            Some("add `targetLabel: NAME`".into()),
        ),
        Some(t) if action.needs_target() && !t.contains('$') && !label_name_ok(t) => k.fail(
            &format!("{path}.targetLabel"),
            format!("`{t}` is not a Prometheus label name"),
            Some("use letters, digits and '_', not starting with a digit (`$1` templates are allowed)".into()),
        ),
        _ => {}
    }
    if action == RelabelAction::Hashmod && r.modulus.is_none() {
        k.fail(
            &format!("{path}.action"),
            "action `hashmod` needs `modulus`".into(),
            Some("add `modulus: N` (the number of shards)".into()),
        );
    }
    if matches!(action, RelabelAction::Keep | RelabelAction::Drop) && r.source_labels.is_empty() {
        k.fail(
            &format!("{path}.action"),
            format!(
                "action `{name}` needs `sourceLabels`, the labels its regex is matched against"
            ),
            Some("add `sourceLabels: [__name__]` (the metric name) or the labels to match".into()),
        );
    }
}

/// The Ingress's further paths and hosts: valid paths and host names, no host twice, each
/// to a TCP port `agent-service` exposes that the NetworkPolicy lets the controller reach.
pub(super) fn ingress(k: &mut Checker, c: &Config) {
    let i = &c.ingress;
    if !i.enabled {
        return;
    }
    let f = &super::front::INGRESS;
    let mut seen: Vec<&str> = i.paths.iter().map(String::as_str).collect();
    for (name, e) in &i.extra_paths {
        let path = format!("ingress.extraPaths.{name}");
        f.extra_path(k, &mut seen, &path, name, &e.path);
        f.port(k, c, &format!("{path}.port"), e.port.as_deref());
    }
    let mut hosts: Vec<&str> = i.hosts.iter().map(String::as_str).collect();
    for (name, e) in &i.extra_hosts {
        let path = format!("ingress.extraHosts.{name}");
        f.extra_host(k, &mut hosts, &path, &e.host);
        k.paths(&format!("{path}.paths"), &e.paths);
        k.unique(&format!("{path}.paths"), &e.paths, "path");
        if let Some(tls) = &e.tls_secret {
            k.dns_subdomain(&format!("{path}.tlsSecret"), tls);
        }
        f.port(k, c, &format!("{path}.port"), e.port.as_deref());
    }
}
