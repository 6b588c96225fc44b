//! A committed `kustomization.yaml`'s `namespace:` as kustomize applies it (its
//! `NamespaceTransformer`, then the name references it leaves behind), so `diff --base`
//! compares the objects `kubectl apply -k` sends: every namespaced object
//! ([`k8s::object::cluster_scoped`]: any other kind, a custom one included, is namespaced, as
//! kustomize reads an unknown kind) gets `metadata.namespace` (overriding the one it had), a
//! `v1` Namespace is renamed to it, a RoleBinding's or ClusterRoleBinding's subject named
//! `default` gets it, so do an APIService's `spec.service.namespace` and a CRD's conversion
//! webhook service namespace (when present); then each binding subject that names a
//! ServiceAccount of the build follows that account into its namespace (kustomize's name
//! reference). Follows kustomize `api/filters/namespace`, the `namespace` field specs of
//! `builtinpluginconsts` and `api/filters/nameref`. Pure.

use serde_json::{Map, Value as J};

use crate::k8s;

/// Moves `objects` into namespace `ns` as kustomize's `namespace:` does.
pub fn set(objects: &mut [J], ns: &str) {
    let value = || J::String(ns.to_owned());
    for o in objects.iter_mut() {
        let kind = k8s::object::kind(o).to_owned();
        let api = k8s::object::api_version(o).to_owned();
        let group = k8s::object::group(o).to_owned();
        if kind == "Namespace" && api == "v1" {
            map_at(o, &["metadata"]).insert("name".into(), value());
        }
        if !k8s::object::cluster_scoped(&kind) {
            map_at(o, &["metadata"]).insert("namespace".into(), value());
        }
        if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
            for s in o
                .get_mut("subjects")
                .and_then(J::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(s) = s.as_object_mut()
                    && s.get("name").and_then(J::as_str) == Some("default")
                {
                    s.insert("namespace".into(), value());
                }
            }
        }
        if kind == "APIService" && group == "apiregistration.k8s.io" {
            map_at(o, &["spec", "service"]).insert("namespace".into(), value());
        }
        if kind == "CustomResourceDefinition"
            && group == "apiextensions.k8s.io"
            && let Some(service) = o
                .pointer_mut("/spec/conversion/webhook/clientConfig/service")
                .and_then(J::as_object_mut)
            && service.contains_key("namespace")
        {
            service.insert("namespace".into(), value());
        }
    }
}

/// The map at `path` below `o`, made (as kustomize's field specs with `create`) where absent
/// or not a map.
fn map_at<'a>(o: &'a mut J, path: &[&str]) -> &'a mut Map<String, J> {
    let mut at = o;
    for key in path {
        if !at.is_object() {
            *at = J::Object(Map::new());
        }
        let J::Object(m) = at else {
            unreachable!("made a map above")
        };
        at = m
            .entry((*key).to_owned())
            .or_insert_with(|| J::Object(Map::new()));
    }
    if !at.is_object() {
        *at = J::Object(Map::new());
    }
    match at {
        J::Object(m) => m,
        _ => unreachable!("made a map above"),
    }
}

/// The namespace of each object as kustomize keys it before its transformers (`default` for a
/// namespaced object naming none; `None` for a cluster-scoped one): what
/// [`subjects_follow_accounts`] searches by.
pub fn original(objects: &[J]) -> Vec<Option<String>> {
    objects.iter().map(effective).collect()
}

fn effective(o: &J) -> Option<String> {
    if k8s::object::cluster_scoped(k8s::object::kind(o)) {
        None
    } else {
        Some(k8s::object::namespace(o).unwrap_or("default").to_owned())
    }
}

/// kustomize's name reference for binding subjects (`api/filters/nameref`, after every
/// transformer): a subject of a RoleBinding or ClusterRoleBinding whose `name` is a
/// ServiceAccount of the build gets that account's namespace. The accounts it can reach: any,
/// for a ClusterRoleBinding; for a RoleBinding, those in its namespace and in the namespaces its
/// ServiceAccount subjects name. Among them, a subject with a `namespace` looks in the objects
/// that were in that namespace before the build (`original`), or else that are in it now; one
/// without looks at all. `Err` when accounts in several namespaces fit: kustomize refuses the
/// build.
pub fn subjects_follow_accounts(
    objects: &mut [J],
    original: &[Option<String>],
) -> Result<(), String> {
    // (kind, name, namespace before, namespace now, namespace as written now) of every object.
    type Id = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let ids: Vec<Id> = objects
        .iter()
        .zip(original)
        .map(|(o, before)| {
            (
                k8s::object::kind(o).to_owned(),
                k8s::object::name(o).to_owned(),
                before.clone(),
                effective(o),
                k8s::object::namespace(o).map(str::to_owned),
            )
        })
        .collect();
    if !ids.iter().any(|(k, ..)| k == "ServiceAccount") {
        return Ok(());
    }
    for o in objects.iter_mut() {
        let kind = k8s::object::kind(o).to_owned();
        if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
            continue;
        }
        let own = effective(o);
        let reachable: Vec<String> = k8s::object::items(o, "/subjects")
            .filter(|s| s["kind"] == "ServiceAccount")
            .filter_map(|s| s["namespace"].as_str().map(str::to_owned))
            .collect();
        let subset: Vec<&Id> = ids
            .iter()
            .filter(|(_, _, _, now, _)| match (&own, now) {
                (None, _) | (_, None) => true,
                (Some(own), Some(now)) => own == now || reachable.contains(now),
            })
            .collect();
        let binding = k8s::object::name(o).to_owned();
        for s in o
            .get_mut("subjects")
            .and_then(J::as_array_mut)
            .into_iter()
            .flatten()
        {
            let Some(s) = s.as_object_mut() else { continue };
            let Some(name) = s.get("name").and_then(J::as_str).map(str::to_owned) else {
                continue;
            };
            let wanted = s.get("namespace").and_then(J::as_str);
            let in_ns: Vec<_> = match wanted {
                None => subset.clone(),
                Some(w) => {
                    let before: Vec<_> = subset
                        .iter()
                        .copied()
                        .filter(|(_, _, b, ..)| b.as_deref() == Some(w))
                        .collect();
                    if before.is_empty() {
                        subset
                            .iter()
                            .copied()
                            .filter(|(_, _, _, now, _)| now.as_deref() == Some(w))
                            .collect()
                    } else {
                        before
                    }
                }
            };
            let mut fits: Vec<Option<&str>> = in_ns
                .iter()
                .filter(|(k, n, ..)| k == "ServiceAccount" && *n == name)
                .map(|(.., written)| written.as_deref())
                .collect();
            fits.sort_unstable();
            fits.dedup();
            match fits.as_slice() {
                [] => {}
                [Some(ns)] => {
                    s.insert("namespace".into(), J::String((*ns).to_owned()));
                }
                [None] => {}
                _ => {
                    return Err(format!(
                        "{kind} {binding} names ServiceAccount {name}, which the build holds in several namespaces: kustomize refuses it"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// An object (`Kind namespace/name`) the build holds twice, which kustomize refuses.
pub fn duplicate(objects: &[J]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    for o in objects {
        let kind = k8s::object::kind(o);
        let ns = if k8s::object::cluster_scoped(kind) {
            ""
        } else {
            k8s::object::namespace(o).unwrap_or("")
        };
        let id = (k8s::object::group(o), kind, ns, k8s::object::name(o));
        if !seen.insert(id) {
            let at = if ns.is_empty() {
                String::new()
            } else {
                format!("{ns}/")
            };
            return Some(format!("{kind} {at}{}", id.3));
        }
    }
    None
}
