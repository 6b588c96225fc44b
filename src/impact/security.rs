//! Security rules: access widened or hardening relaxed between an object's old and new form.
//! RBAC rules and bindings, NetworkPolicy ingress and egress, pod and container security
//! contexts, host namespaces, images moved from a digest to a tag, and Pod Security labels.

use std::net::IpAddr;

use serde_json::Value as J;

use super::accessors::{pod_template, subject};
use super::semantic::{same, short};
use super::{Class, Finding};
use crate::k8s::object::{at, str_at};

/// Every loosening of `new` against `old`, as one security finding.
pub(super) fn update(old: &J, new: &J, out: &mut Vec<Finding>) {
    let mut why = Vec::new();
    let kind = new.get("kind").and_then(J::as_str).unwrap_or_default();
    match kind {
        "Role" | "ClusterRole" => rbac_rules(old, new, &mut why),
        "RoleBinding" | "ClusterRoleBinding" => binding_subjects(old, new, &mut why),
        "NetworkPolicy" => network_policy(old, new, &mut why),
        "Namespace" => pod_security_labels(old, new, &mut why),
        "Service" => service_exposure(old, new, &mut why),
        "Pod" => pod(old, new, &mut why),
        _ => {
            if let (Some(a), Some(b)) = (pod_template(old), pod_template(new)) {
                pod(a, b, &mut why);
            }
        }
    }
    if !why.is_empty() {
        out.push(Finding {
            class: Some(Class::Security),
            reason: why.join("; "),
            fix: None,
        });
    }
}

// ------------------------------------------------------------------------------------- RBAC

/// One permission: (apiGroup, resource, verb, resourceName or `*`), or a non-resource URL.
type Grant = (String, String, String, String);

fn strings(v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn grants(role: &J) -> Vec<Grant> {
    let mut out = Vec::new();
    for rule in role
        .get("rules")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let verbs = strings(rule.get("verbs"));
        for url in strings(rule.get("nonResourceURLs")) {
            for v in &verbs {
                out.push(("url".into(), url.clone(), v.clone(), "*".into()));
            }
        }
        let names = strings(rule.get("resourceNames"));
        let names = if names.is_empty() {
            vec!["*".to_owned()]
        } else {
            names
        };
        for g in strings(rule.get("apiGroups")) {
            for r in strings(rule.get("resources")) {
                for v in &verbs {
                    for n in &names {
                        out.push((g.clone(), r.clone(), v.clone(), n.clone()));
                    }
                }
            }
        }
    }
    out
}

fn covers(a: &str, b: &str) -> bool {
    a == "*" || a == b
}

fn rbac_rules(old: &J, new: &J, why: &mut Vec<String>) {
    let before = grants(old);
    let mut added: Vec<String> = Vec::new();
    for (g, r, v, n) in grants(new) {
        let held = before.iter().any(|(og, or, ov, on)| {
            covers(og, &g) && covers(or, &r) && covers(ov, &v) && covers(on, &n)
        });
        if !held {
            let group = if g.is_empty() { "core".to_owned() } else { g };
            let what = if group == "url" {
                format!("{v} {r}")
            } else if n == "*" {
                format!("{v} {r} ({group})")
            } else {
                format!("{v} {r}/{n} ({group})")
            };
            if !added.contains(&what) {
                added.push(what);
            }
        }
    }
    if !added.is_empty() {
        why.push(format!(
            "RBAC rules widened: now also allows {}",
            added.join(", ")
        ));
    }
}

fn binding_subjects(old: &J, new: &J, why: &mut Vec<String>) {
    let before: Vec<J> = old
        .get("subjects")
        .and_then(J::as_array)
        .cloned()
        .unwrap_or_default();
    let added: Vec<String> = new
        .get("subjects")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter(|s| !before.iter().any(|b| same(b, s)))
        .map(subject)
        .collect();
    if !added.is_empty() {
        why.push(format!(
            "binding granted to more subjects: {}",
            added.join(", ")
        ));
    }
    if !same(
        old.get("roleRef").unwrap_or(&J::Null),
        new.get("roleRef").unwrap_or(&J::Null),
    ) {
        why.push(format!(
            "binds another role: {} → {} (check what it allows)",
            short(at(old, "/roleRef/name")),
            short(at(new, "/roleRef/name"))
        ));
    }
}

// ---------------------------------------------------------------------------- NetworkPolicy

/// `app=agent,tier=web`-style text of a label selector (empty: every pod).
pub(super) fn selector_labels(sel: Option<&J>) -> String {
    let mut parts: Vec<String> = sel
        .and_then(|s| s.get("matchLabels"))
        .and_then(J::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    for e in sel
        .and_then(|s| s.get("matchExpressions"))
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        parts.push(format!(
            "{} {} ({})",
            str_at(e, "/key").unwrap_or_default(),
            str_at(e, "/operator").unwrap_or_default(),
            strings(e.get("values")).join(",")
        ));
    }
    parts.join(",")
}

/// Whether a label selector selects pods with these labels (`matchExpressions` are taken to
/// match: a policy is assumed to still apply when in doubt).
pub(super) fn selects(sel: Option<&J>, labels: &J) -> bool {
    sel.and_then(|s| s.get("matchLabels"))
        .and_then(J::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
}

/// A selector for people: `app=agent`, or `(all)`.
pub(super) fn selector_text(sel: Option<&J>) -> String {
    let text = selector_labels(sel);
    if text.is_empty() {
        "(all)".into()
    } else {
        text
    }
}

/// The directions a policy restricts.
fn restricts(p: &J, dir: &str) -> bool {
    match at(p, "/spec/policyTypes").and_then(J::as_array) {
        Some(types) => types.iter().any(|t| t.as_str() == Some(dir)),
        None => dir == "Ingress" || at(p, "/spec/egress").is_some(),
    }
}

fn cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (ip, len) = text.split_once('/').unwrap_or((text, ""));
    let ip: IpAddr = ip.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = if len.is_empty() {
        max
    } else {
        len.parse().ok()?
    };
    (len <= max).then_some((ip, len))
}

/// Whether CIDR `outer` contains CIDR `inner`.
fn cidr_contains(outer: &str, inner: &str) -> bool {
    let (Some((a, la)), Some((b, lb))) = (cidr(outer), cidr(inner)) else {
        return outer == inner;
    };
    if la > lb {
        return false;
    }
    let bits = |ip: IpAddr| -> (u128, u32) {
        match ip {
            IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
            IpAddr::V6(v) => (u128::from(v), 128),
        }
    };
    let ((a, wa), (b, wb)) = (bits(a), bits(b));
    if wa != wb {
        return false;
    }
    let shift = wa - u32::from(la);
    shift >= 128 || (a >> shift) == (b >> shift)
}

fn peer_covers(o: &J, n: &J) -> bool {
    if same(o, n) {
        return true;
    }
    let (Some(ob), Some(nb)) = (o.get("ipBlock"), n.get("ipBlock")) else {
        return false;
    };
    let oc = str_at(ob, "/cidr").unwrap_or_default();
    let nc = str_at(nb, "/cidr").unwrap_or_default();
    if !cidr_contains(oc, nc) {
        return false;
    }
    // Every range the old block excluded must stay excluded where it overlaps the new one.
    let n_except = strings(nb.get("except"));
    strings(ob.get("except")).iter().all(|e| {
        !(cidr_contains(nc, e) || cidr_contains(e, nc))
            || n_except.iter().any(|x| cidr_contains(x, e))
    })
}

fn port_range(p: &J) -> (String, String, i64) {
    let proto = str_at(p, "/protocol").unwrap_or("TCP").to_owned();
    let port = p.get("port").map(|v| short(Some(v))).unwrap_or_default();
    let end = p.get("endPort").and_then(J::as_i64).unwrap_or(0);
    (proto, port, end)
}

fn port_covers(o: &J, n: &J) -> bool {
    let (op, oport, oend) = port_range(o);
    let (np, nport, nend) = port_range(n);
    if op != np {
        return false;
    }
    if oport.is_empty() {
        return true;
    }
    match (oport.parse::<i64>(), nport.parse::<i64>()) {
        (Ok(a), Ok(b)) => {
            let oend = oend.max(a);
            let nend = nend.max(b);
            a <= b && nend <= oend
        }
        _ => oport == nport && nend <= oend,
    }
}

/// Whether old rule `o` allows everything new rule `n` allows.
fn rule_covers(o: &J, n: &J, peers: &str) -> bool {
    let list =
        |r: &J, k: &str| -> Vec<J> { r.get(k).and_then(J::as_array).cloned().unwrap_or_default() };
    let (op, np) = (list(o, peers), list(n, peers));
    let (oports, nports) = (list(o, "ports"), list(n, "ports"));
    let peers_ok = op.is_empty()
        || (!np.is_empty() && np.iter().all(|p| op.iter().any(|q| peer_covers(q, p))));
    let ports_ok = oports.is_empty()
        || (!nports.is_empty()
            && nports
                .iter()
                .all(|p| oports.iter().any(|q| port_covers(q, p))));
    peers_ok && ports_ok
}

fn peer_text(p: &J) -> String {
    if let Some(b) = p.get("ipBlock") {
        let except = strings(b.get("except"));
        let c = str_at(b, "/cidr").unwrap_or_default();
        return if except.is_empty() {
            c.to_owned()
        } else {
            format!("{c} except {}", except.join(","))
        };
    }
    let ns = p.get("namespaceSelector");
    let pods = p.get("podSelector");
    let ns_text = ns.map(|s| {
        let name = str_at(s, "/matchLabels/kubernetes.io~1metadata.name");
        match name {
            Some(n) => format!("namespace {n}"),
            None if selector_labels(Some(s)).is_empty() => "all namespaces".into(),
            None => format!("namespaces {}", selector_labels(Some(s))),
        }
    });
    let pod_text = pods.map(|s| format!("pods {}", selector_text(Some(s))));
    match (pod_text, ns_text) {
        (Some(p), Some(n)) => format!("{p} in {n}"),
        (Some(p), None) => format!("{p} in its namespace"),
        (None, Some(n)) => n,
        (None, None) => "anywhere".into(),
    }
}

fn rule_text(r: &J, peers: &str) -> String {
    let peers_text: Vec<String> = r
        .get(peers)
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .map(peer_text)
        .collect();
    let ports: Vec<String> = r
        .get("ports")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let (proto, port, end) = port_range(p);
            match (port.is_empty(), end > 0) {
                (true, _) => format!("all {proto} ports"),
                (false, true) => format!("{port}-{end}/{proto}"),
                (false, false) => format!("{port}/{proto}"),
            }
        })
        .collect();
    format!(
        "{} on {}",
        if peers_text.is_empty() {
            "anywhere".to_owned()
        } else {
            peers_text.join(", ")
        },
        if ports.is_empty() {
            "all ports".to_owned()
        } else {
            ports.join(", ")
        }
    )
}

fn network_policy(old: &J, new: &J, why: &mut Vec<String>) {
    if !same(
        at(old, "/spec/podSelector").unwrap_or(&J::Null),
        at(new, "/spec/podSelector").unwrap_or(&J::Null),
    ) {
        why.push(format!(
            "applies to other pods ({} → {}): pods it no longer selects lose its restrictions",
            selector_text(at(old, "/spec/podSelector")),
            selector_text(at(new, "/spec/podSelector"))
        ));
    }
    for (dir, key, peers, verb) in [
        ("Ingress", "ingress", "from", "from"),
        ("Egress", "egress", "to", "to"),
    ] {
        if !restricts(old, dir) {
            continue;
        }
        if !restricts(new, dir) {
            why.push(format!(
                "{} no longer restricted (policyTypes lost {dir})",
                key
            ));
            continue;
        }
        let rules = |p: &J| -> Vec<J> {
            at(p, &format!("/spec/{key}"))
                .and_then(J::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let before = rules(old);
        for r in rules(new) {
            if !before.iter().any(|o| rule_covers(o, &r, peers)) {
                why.push(format!("{key} opened: {verb} {}", rule_text(&r, peers)));
            }
        }
    }
}

// ------------------------------------------------------------------------ namespaces, Services

const LEVELS: &[&str] = &["privileged", "baseline", "restricted"];

fn pod_security_labels(old: &J, new: &J, why: &mut Vec<String>) {
    for mode in ["enforce", "audit", "warn"] {
        let label = format!("pod-security.kubernetes.io/{mode}");
        let level = |o: &J| {
            o.get("metadata")
                .and_then(|m| m.get("labels"))
                .and_then(|l| l.get(&label))
                .and_then(J::as_str)
                .map(str::to_owned)
        };
        let (a, b) = (level(old), level(new));
        let rank = |l: &Option<String>| {
            l.as_deref()
                .and_then(|l| LEVELS.iter().position(|x| *x == l))
                .unwrap_or(0)
        };
        if rank(&b) < rank(&a) {
            why.push(format!(
                "Pod Security {mode} loosened: {} → {}",
                a.as_deref().unwrap_or("(none)"),
                b.as_deref().unwrap_or("(none)")
            ));
        }
    }
}

fn service_exposure(old: &J, new: &J, why: &mut Vec<String>) {
    let rank = |o: &J| match str_at(o, "/spec/type").unwrap_or("ClusterIP") {
        "NodePort" => 1,
        "LoadBalancer" => 2,
        _ => 0,
    };
    if rank(new) > rank(old) {
        why.push(format!(
            "exposed outside the cluster: type {} → {}",
            str_at(old, "/spec/type").unwrap_or("ClusterIP"),
            str_at(new, "/spec/type").unwrap_or("ClusterIP")
        ));
    }
}

// -------------------------------------------------------------------------------------- pods

fn containers(pod_spec: Option<&J>) -> Vec<&J> {
    let mut out = Vec::new();
    for key in ["initContainers", "containers"] {
        out.extend(
            pod_spec
                .and_then(|s| s.get(key))
                .and_then(J::as_array)
                .into_iter()
                .flatten(),
        );
    }
    out
}

/// A container's setting, else the pod's.
fn effective<'a>(c: &'a J, pod: Option<&'a J>, field: &str) -> Option<&'a J> {
    at(c, &format!("/securityContext/{field}"))
        .or_else(|| pod.and_then(|p| at(p, &format!("/securityContext/{field}"))))
}

fn is_true(v: Option<&J>) -> bool {
    v.and_then(J::as_bool) == Some(true)
}

fn seccomp_on(v: Option<&J>) -> bool {
    matches!(
        v.and_then(|s| s.get("type")).and_then(J::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

/// Loosenings between two pod templates (or pods): `{metadata, spec}`.
fn pod(old: &J, new: &J, why: &mut Vec<String>) {
    let (os, ns) = (old.get("spec"), new.get("spec"));
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(ns.and_then(|s| s.get(host))) && !is_true(os.and_then(|s| s.get(host))) {
            why.push(format!("{host}: true"));
        }
    }
    let old_containers = containers(os);
    for c in containers(ns) {
        let cname = str_at(c, "/name").unwrap_or_default();
        let Some(o) = old_containers
            .iter()
            .find(|o| str_at(o, "/name") == Some(cname))
            .or(old_containers.first())
        else {
            continue;
        };
        let mut lost = Vec::new();
        if is_true(effective(o, os, "runAsNonRoot")) && !is_true(effective(c, ns, "runAsNonRoot")) {
            lost.push("runAsNonRoot no longer true".to_owned());
        }
        let uid = |x: &J, p| effective(x, p, "runAsUser").and_then(J::as_i64);
        if uid(c, ns) == Some(0) && uid(o, os) != Some(0) {
            lost.push("runs as root (runAsUser: 0)".to_owned());
        }
        if is_true(at(c, "/securityContext/privileged"))
            && !is_true(at(o, "/securityContext/privileged"))
        {
            lost.push("privileged: true".to_owned());
        }
        let escalation =
            |x: &J| at(x, "/securityContext/allowPrivilegeEscalation").and_then(J::as_bool);
        if escalation(o) == Some(false) && escalation(c) != Some(false) {
            lost.push(format!(
                "allowPrivilegeEscalation: false → {}",
                short(at(c, "/securityContext/allowPrivilegeEscalation"))
            ));
        }
        let caps = |x: &J, k: &str| strings(at(x, &format!("/securityContext/capabilities/{k}")));
        let added: Vec<String> = caps(c, "add")
            .into_iter()
            .filter(|a| !caps(o, "add").contains(a))
            .collect();
        if !added.is_empty() {
            lost.push(format!("capabilities added: {}", added.join(", ")));
        }
        if caps(o, "drop").iter().any(|d| d == "ALL") && !caps(c, "drop").iter().any(|d| d == "ALL")
        {
            lost.push("capabilities no longer drop ALL".to_owned());
        }
        if is_true(at(o, "/securityContext/readOnlyRootFilesystem"))
            && !is_true(at(c, "/securityContext/readOnlyRootFilesystem"))
        {
            lost.push("readOnlyRootFilesystem no longer true".to_owned());
        }
        if seccomp_on(effective(o, os, "seccompProfile"))
            && !seccomp_on(effective(c, ns, "seccompProfile"))
        {
            lost.push("seccomp profile removed".to_owned());
        }
        let image = |x: &J| str_at(x, "/image").unwrap_or_default().to_owned();
        if image(o).contains("@sha256:")
            && !image(c).contains('@')
            && str_at(o, "/name") == Some(cname)
        {
            lost.push(format!(
                "image moved from a digest to a tag: {} → {}",
                short(Some(&J::String(image(o)))),
                image(c)
            ));
        }
        if !lost.is_empty() {
            why.push(format!("container {cname}: {}", lost.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_contain() {
        assert!(cidr_contains("0.0.0.0/0", "10.0.0.0/8"));
        assert!(cidr_contains("10.0.0.0/8", "10.1.0.0/16"));
        assert!(!cidr_contains("10.1.0.0/16", "10.0.0.0/8"));
        assert!(!cidr_contains("10.0.0.0/8", "11.0.0.0/8"));
        assert!(cidr_contains("fd00::/8", "fd12::/16"));
        assert!(!cidr_contains("fd00::/8", "10.0.0.0/8"));
    }
}
