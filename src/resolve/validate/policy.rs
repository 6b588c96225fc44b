//! The NetworkPolicy's own rules (`networkPolicy.ingressFrom`, `networkPolicy.egressTo`):
//! peers (namespace and pod labels, or a CIDR with its exceptions), ports by number or by a
//! name the pod declares (with "did you mean"), and no rule while the policies are off. Part of
//! [`super`]'s one pass; the pod's own ports are [`super::pod`]'s.

use super::pod::port_name_ok;
use super::{Checker, cidr_within, parse_cidr};
use crate::config::{Config, PolicyRule, PortValue, RulePort};
use crate::suggest::did_you_mean;

/// `networkPolicy.ingressFrom` and `networkPolicy.egressTo`.
pub(super) fn policy_rules(k: &mut Checker, c: &Config) {
    let np = &c.network_policy;
    if !np.enabled {
        for (field, map) in [
            ("ingressFrom", &np.ingress_from),
            ("egressTo", &np.egress_to),
        ] {
            if let Some(name) = map.keys().next() {
                k.cross(
                    &format!("networkPolicy.{field}.{name}"),
                    "networkPolicy.enabled",
                    format!("no NetworkPolicy is rendered (`networkPolicy.enabled: false`), so the rule `{name}` goes nowhere"),
                    format!("remove `networkPolicy.{field}`, or set `networkPolicy.enabled: true`"),
                );
            }
        }
        return;
    }
    // The pod's ports, by name and number, for the ingress rules.
    let a = &c.agent;
    let mut pod_ports: Vec<(String, u16)> = vec![("http".into(), a.port)];
    if let Some(m) = a.metrics_port {
        pod_ports.push(("metrics".into(), m));
    }
    for (n, p) in a
        .ports
        .iter()
        .chain(a.sidecars.values().flat_map(|s| s.ports.iter()))
    {
        if !pod_ports.iter().any(|(known, _)| known == n) {
            pod_ports.push((n.clone(), p.port));
        }
    }
    for (field, map, ingress) in [
        ("ingressFrom", &np.ingress_from, true),
        ("egressTo", &np.egress_to, false),
    ] {
        for (name, r) in map {
            let path = format!("networkPolicy.{field}.{name}");
            rule(k, &path, r, ingress, &pod_ports);
        }
    }
}

fn rule(k: &mut Checker, path: &str, r: &PolicyRule, ingress: bool, pod_ports: &[(String, u16)]) {
    let selectors = r.namespaces.is_some() || r.pods.is_some();
    match (&r.cidr, selectors) {
        (None, false) => k.fail(
            path,
            format!(
                "the rule names no {}",
                if ingress { "source" } else { "destination" }
            ),
            Some("add `namespaces` and/or `pods` (labels), or `cidr`".into()),
        ),
        (Some(_), true) => k.fail(
            &format!("{path}.cidr"),
            "`cidr` cannot be combined with `namespaces` or `pods` in one rule".into(),
            Some("split it into two rules, one with `cidr`, one with the selectors".into()),
        ),
        _ => {}
    }
    if let Some(ns) = &r.namespaces {
        k.labels(&format!("{path}.namespaces"), ns);
    }
    if let Some(pods) = &r.pods {
        k.labels(&format!("{path}.pods"), pods);
    }
    if let Some(cidr) = &r.cidr {
        k.cidr(&format!("{path}.cidr"), cidr);
    }
    if !r.except.is_empty() && r.cidr.is_none() {
        k.fail(
            &format!("{path}.except"),
            "`except` narrows a `cidr`, and the rule has none".into(),
            Some("add `cidr`, or remove `except`".into()),
        );
    }
    for (i, e) in r.except.iter().enumerate() {
        let at = format!("{path}.except.{i}");
        k.cidr(&at, e);
        if let (Some(outer), Some(inner)) = (r.cidr.as_deref().and_then(parse_cidr), parse_cidr(e))
            && (!cidr_within(outer, inner) || outer == inner)
        {
            k.cross(
                &at,
                &format!("{path}.cidr"),
                format!(
                    "`{e}` is not a range strictly inside `{}`; Kubernetes rejects the NetworkPolicy",
                    r.cidr.as_deref().unwrap_or_default()
                ),
                "list only ranges inside `cidr`, or widen `cidr`".into(),
            );
        }
    }
    if !ingress && r.ports.is_empty() {
        k.fail(
            path,
            "an egress rule without `ports` would let the agent reach every port".into(),
            Some("list the ports, e.g. `ports: [8000]`".into()),
        );
    }
    for (i, p) in r.ports.iter().enumerate() {
        let at = match p {
            RulePort::Port(_) => format!("{path}.ports.{i}"),
            RulePort::Spec(_) => format!("{path}.ports.{i}.port"),
        };
        match p.parts().0 {
            PortValue::Number(0) => k.port_number(&at, 0),
            PortValue::Number(n) if ingress && !pod_ports.iter().any(|(_, p)| p == n) => k.fail(
                &at,
                format!("the agent pod serves nothing on port {n}"),
                Some(format!(
                    "use one of its ports: {}",
                    pod_ports
                        .iter()
                        .map(|(name, p)| format!("{p} ({name})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ),
            PortValue::Name(n) if !port_name_ok(n) => {
                k.fail(
                    &at,
                    format!("`{n}` is neither a port number nor a valid port name"),
                    Some("write a number (`8000`) or a name of at most 15 lowercase letters, digits and '-'".into()),
                );
            }
            PortValue::Name(n) if ingress && !pod_ports.iter().any(|(name, _)| name == n) => {
                let help = match did_you_mean(n, pod_ports.iter().map(|(n, _)| n.as_str())) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "the agent pod's ports: {}",
                        pod_ports
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                k.fail(
                    &at,
                    format!("the agent pod has no port named `{n}`"),
                    Some(help),
                );
            }
            _ => {}
        }
    }
}
