//! Rendered objects against live ones: the API path of an object (group, version, plural,
//! namespace; a custom kind's plural from the CRD the user listed), the rendered objects of a bundle, and what differs between two forms of an
//! object once the fields only the server writes (managedFields, resourceVersion, generation,
//! status) are set aside. Pure: no request is made here.

use std::fmt;
use std::sync::Arc;

use serde_json::Value as J;

use crate::input::crds::Crd;

use crate::impact::semantic::{self, Delta};
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
    /// The plural its kind is served under when a CRD the user listed (`crds:`) says it
    /// ([`Ref::of_listed`]); else the table's or the English rule ([`plural`]).
    pub plural: Option<String>,
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
            plural: None,
        }
    }

    /// [`Ref::of`], with the plural of the listed CRD that defines the object's kind, if one
    /// does (`names.plural` is the CRD's to choose: `Policy` may be served as `policys`).
    pub fn of_listed(o: &J, crds: &[Arc<Crd>]) -> Ref {
        let mut r = Ref::of(o);
        r.plural = listed_plural(crds, &r.api_version, &r.kind).map(str::to_owned);
        r
    }

    /// The object's API path.
    pub fn path(&self) -> String {
        let plural = self.plural.clone().unwrap_or_else(|| plural(&self.kind));
        format!(
            "{}/{}",
            collection_at(&self.api_version, &plural, self.namespace.as_deref()),
            self.name
        )
    }
}

/// The plural of a kind a listed CRD defines in the group of `api_version`.
pub fn listed_plural<'a>(crds: &'a [Arc<Crd>], api_version: &str, kind: &str) -> Option<&'a str> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    crds.iter()
        .find(|c| c.kind == kind && c.group == group)
        .map(|c| c.plural.as_str())
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
    collection_at(api_version, &plural(kind), namespace)
}

/// The path of the collection served under `plural` in a namespace (or cluster-wide).
pub fn collection_at(api_version: &str, plural: &str, namespace: Option<&str>) -> String {
    let base = if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    };
    match namespace {
        Some(ns) => format!("{base}/namespaces/{ns}/{plural}"),
        None => format!("{base}/{plural}"),
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

/// What differs between `a` and `b` once the server-only fields are set aside, compared as
/// the impact rules compare (one comparison: [`semantic::deltas`]: quantities by value, named
/// lists by name, a field left out the same as its empty default), e.g.
/// `spec.template.spec.containers[agent].image`.
pub fn differences(a: &J, b: &J) -> Vec<Delta> {
    semantic::deltas(
        Some(&without_server_fields(a)),
        Some(&without_server_fields(b)),
        "",
    )
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

    /// A custom kind is read at the plural its listed CRD gives (not the English rule), in
    /// the CRD's group only.
    #[test]
    fn a_listed_crds_plural_makes_the_path() {
        let crd = crate::input::crds::Crd {
            group: "example.com".into(),
            kind: "Policy".into(),
            plural: "policys".into(),
            namespaced: true,
            versions: Vec::new(),
            file: "crds/policy.yaml".into(),
            listed_at: "a.yaml:2:3".into(),
        };
        let crds = [Arc::new(crd)];
        let o = json!({"apiVersion": "example.com/v1", "kind": "Policy", "metadata": {"name": "p", "namespace": "ns"}});
        assert_eq!(
            Ref::of_listed(&o, &crds).path(),
            "/apis/example.com/v1/namespaces/ns/policys/p"
        );
        assert_eq!(
            Ref::of(&o).path(),
            "/apis/example.com/v1/namespaces/ns/policies/p"
        );
        let elsewhere = json!({"apiVersion": "other.io/v1", "kind": "Policy", "metadata": {"name": "p", "namespace": "ns"}});
        assert_eq!(Ref::of_listed(&elsewhere, &crds).plural, None);
    }

    #[test]
    fn differences_name_containers_and_ignore_server_fields() {
        let live = json!({"metadata": {"name": "a", "resourceVersion": "7", "managedFields": [1]},
            "spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "agent", "image": "x:v2"}]}}},
            "status": {"replicas": 5}});
        let applied = json!({"metadata": {"name": "a", "resourceVersion": "8"},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "agent", "image": "x:v1"}]}}}});
        let paths: Vec<String> = differences(&live, &applied)
            .into_iter()
            .map(|d| d.path)
            .collect();
        assert_eq!(
            paths,
            vec![
                "spec.replicas",
                "spec.template.spec.containers[agent].image"
            ]
        );
        // The server writes `1` for `1000m` and leaves out an empty list: no drift.
        let server =
            json!({"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1"}}}]}});
        let ours = json!({"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1000m"}}, "ports": []}]}});
        assert!(differences(&server, &ours).is_empty());
        assert!(differences(&live, &live.clone()).is_empty());
    }
}
