//! Rendered objects against live ones: the API path of an object (group, version, plural,
//! namespace), the rendered objects of a bundle, and what differs between two forms of an
//! object once the fields only the server writes (managedFields, resourceVersion, generation,
//! status) are set aside. Pure: no request is made here.

use std::fmt;

use serde_json::Value as J;

use crate::render::bundle::Bundle;

fn s<'a>(v: &'a J, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(J::as_str).unwrap_or_default()
}

/// An object's identity: what the API path is made of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ref {
    /// `apps/v1`, `v1`, ...
    pub api_version: String,
    /// `Deployment`, ...
    pub kind: String,
    /// Its namespace (`None`: cluster-scoped).
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

impl Ref {
    /// The identity of an object (rendered objects name their namespace when they have one).
    pub fn of(o: &J) -> Ref {
        let ns = s(o, "/metadata/namespace");
        Ref {
            api_version: s(o, "/apiVersion").to_owned(),
            kind: s(o, "/kind").to_owned(),
            namespace: (!ns.is_empty()).then(|| ns.to_owned()),
            name: s(o, "/metadata/name").to_owned(),
        }
    }

    /// The object's API path.
    pub fn path(&self) -> String {
        format!(
            "{}/{}",
            collection_path(&self.api_version, &self.kind, self.namespace.as_deref()),
            self.name
        )
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// The plural a kind's resource is served under: the table of kinds' (k8s-openapi's
/// `URL_PATH_SEGMENT`, the CRD's `names.plural`) for every kind agentctl renders; for another
/// kind, the English rule the API server's discovery uses for most (`NetworkPolicy` →
/// `networkpolicies`, `Ingress` → `ingresses`).
pub fn plural(kind: &str) -> String {
    if let Some(k) = crate::render::objects::KINDS
        .iter()
        .find(|k| k.kind == kind)
    {
        return k.plural.to_owned();
    }
    let lower = kind.to_lowercase();
    if lower == "endpoints" {
        return lower;
    }
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

/// The path of a kind's collection in a namespace (or cluster-wide).
pub fn collection_path(api_version: &str, kind: &str, namespace: Option<&str>) -> String {
    let base = if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    };
    match namespace {
        Some(ns) => format!("{base}/namespaces/{ns}/{}", plural(kind)),
        None => format!("{base}/{}", plural(kind)),
    }
}

/// A query-string value, percent-encoded.
pub fn query_escape(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The objects a bundle sends to the cluster, in the stream's (apply) order.
pub fn rendered_objects(bundle: &Bundle) -> Vec<J> {
    crate::input::yaml::parse_manifests(&bundle.stream())
        .unwrap_or_default()
        .into_iter()
        .filter(|o| !o.is_null() && s(o, "/kind") != "Kustomization")
        .collect()
}

/// An object without what only the server writes: managed fields, versions, status.
pub fn without_server_fields(o: &J) -> J {
    let mut o = o.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = o.get_mut("metadata").and_then(J::as_object_mut) {
        for k in ["managedFields", "resourceVersion", "generation"] {
            meta.remove(k);
        }
    }
    o
}

/// The paths at which `a` and `b` differ (server-only fields aside), e.g.
/// `spec.template.spec.containers[agent].image`; list items with a `name` are named by it.
pub fn differences(a: &J, b: &J) -> Vec<String> {
    let mut out = Vec::new();
    walk(
        &without_server_fields(a),
        &without_server_fields(b),
        String::new(),
        &mut out,
    );
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(a: &J, b: &J, path: String, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = join(&path, k);
                match (x.get(k.as_str()), y.get(k.as_str())) {
                    (Some(u), Some(v)) => walk(u, v, p, out),
                    _ => out.push(p),
                }
            }
        }
        (J::Array(x), J::Array(y)) => {
            let named = |l: &Vec<J>| {
                l.iter()
                    .all(|i| i.get("name").and_then(J::as_str).is_some())
            };
            if x.len() == y.len() && named(x) && named(y) {
                for (u, v) in x.iter().zip(y) {
                    let (nu, nv) = (s(u, "/name"), s(v, "/name"));
                    if nu != nv {
                        out.push(path.clone());
                        return;
                    }
                    walk(u, v, format!("{path}[{nu}]"), out);
                }
            } else if x.len() == y.len() {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    walk(u, v, format!("{path}[{i}]"), out);
                }
            } else {
                out.push(path);
            }
        }
        _ => out.push(path),
    }
}

/// The value at a dotted path as [`differences`] writes it, for showing what changes.
pub fn value_at<'a>(o: &'a J, path: &str) -> Option<&'a J> {
    let mut cur = o;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => (k, Some(rest.trim_end_matches(']'))),
            None => (part, None),
        };
        if !key.is_empty() {
            cur = cur.get(key)?;
        }
        if let Some(ix) = index {
            let list = cur.as_array()?;
            cur = match ix.parse::<usize>() {
                Ok(i) => list.get(i)?,
                Err(_) => list
                    .iter()
                    .find(|i| i.get("name").and_then(J::as_str) == Some(ix))?,
            };
        }
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plurals_are_the_api_servers() {
        for (kind, want) in [
            ("Deployment", "deployments"),
            ("NetworkPolicy", "networkpolicies"),
            ("Ingress", "ingresses"),
            ("PriorityClass", "priorityclasses"),
            ("HorizontalPodAutoscaler", "horizontalpodautoscalers"),
            ("Gateway", "gateways"),
            ("Endpoints", "endpoints"),
            ("HTTPRoute", "httproutes"),
        ] {
            assert_eq!(plural(kind), want, "{kind}");
        }
    }

    #[test]
    fn paths_of_core_group_and_cluster_scoped_objects() {
        let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "ns"}});
        assert_eq!(
            Ref::of(&dep).path(),
            "/apis/apps/v1/namespaces/ns/deployments/a"
        );
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}});
        assert_eq!(Ref::of(&cm).path(), "/api/v1/namespaces/ns/configmaps/c");
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}});
        assert_eq!(Ref::of(&ns).path(), "/api/v1/namespaces/ns");
        assert_eq!(
            query_escape("app.kubernetes.io/instance=x,a in (b)"),
            "app.kubernetes.io%2Finstance%3Dx%2Ca%20in%20%28b%29"
        );
    }

    #[test]
    fn differences_name_containers_and_ignore_server_fields() {
        let live = json!({"metadata": {"name": "a", "resourceVersion": "7", "managedFields": [1]},
            "spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "agent", "image": "x:v2"}]}}},
            "status": {"replicas": 5}});
        let applied = json!({"metadata": {"name": "a", "resourceVersion": "8"},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "agent", "image": "x:v1"}]}}}});
        assert_eq!(
            differences(&live, &applied),
            vec![
                "spec.replicas",
                "spec.template.spec.containers[agent].image"
            ]
        );
        assert_eq!(
            value_at(&live, "spec.template.spec.containers[agent].image"),
            Some(&json!("x:v2"))
        );
        assert!(differences(&live, &live.clone()).is_empty());
    }
}
