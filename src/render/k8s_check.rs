//! The Kubernetes round trip: every rendered object goes through its Kubernetes type and back.
//!
//! Each document a template produced is parsed, deserialized into its type (the row of its kind
//! in the table, [`super::objects`]: k8s-openapi's type, or a typed struct for the CRD kinds
//! and the Kustomization), serialized again and compared with what the template wrote. A field
//! that does not survive (misspelled, misplaced, wrong type) is a template bug and is reported
//! with the template name and the field path; so is an object of a kind the template's row does
//! not list. Nothing is written. The round-tripped value, in the form the API server stores
//! ([`super::stored`]: canonical quantities), is what the bundle emits.

use anyhow::{Result, anyhow, bail};
use serde_json::Value as J;

use crate::input::yaml;
use crate::render::objects::{self, KINDS};
use crate::render::stored;

pub use crate::render::typed::{PathStep, TypeError};

/// The kinds an extra object may be (`Kind (apiVersion)`): every registered kind that
/// `kubectl apply` sends into the namespace (not the output's own Namespace, cluster-scoped,
/// nor its Kustomization, which kubectl reads).
pub fn kinds() -> Vec<String> {
    KINDS
        .iter()
        .filter(|k| k.namespaced_in_cluster())
        .map(|k| format!("{} ({})", k.kind, k.api))
        .collect()
}

/// The same kinds as [`kinds`], each with whether the API server serves it itself and its
/// `group/version/Kind` in the form of kubectl's `--prune-allowlist` (`core/v1/ConfigMap`,
/// `apps/v1/Deployment`).
pub fn allowlist_kinds() -> Vec<(bool, String)> {
    KINDS
        .iter()
        .filter(|k| k.namespaced_in_cluster())
        .map(|k| {
            let gvk = match k.api.split_once('/') {
                Some((group, version)) => format!("{group}/{version}/{}", k.kind),
                None => format!("core/{}/{}", k.api, k.kind),
            };
            (k.served == objects::Served::BuiltIn, gvk)
        })
        .collect()
}

/// Round-trips one document through its type.
pub fn roundtrip(doc: &J) -> Result<J> {
    let api = doc
        .get("apiVersion")
        .and_then(J::as_str)
        .unwrap_or_default();
    let kind = doc.get("kind").and_then(J::as_str).unwrap_or_default();
    match objects::kind(api, kind).or_else(|| super::builtin::kind(api, kind)) {
        Some(k) => (k.through)(doc),
        None => bail!("unsupported object {api}/{kind}"),
    }
}

/// Paths where `a` and `b` differ.
pub fn differences(a: &J, b: &J, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            for (k, v) in x {
                let p = format!("{path}.{k}");
                match y.get(k) {
                    Some(w) => differences(v, w, &p, out),
                    None => out.push(format!("{p} (dropped)")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{path}.{k} (added)"));
            }
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(v, w, &format!("{path}[{i}]"), out);
            }
        }
        (J::Number(x), J::Number(y)) if x.as_f64() == y.as_f64() => {}
        _ if a == b => {}
        _ => out.push(format!("{path} ({a} became {b})")),
    }
}

/// Parses a rendered file and checks every object in it; returns the round-tripped objects.
pub fn check_file(name: &str, text: &str) -> Result<Vec<J>> {
    let docs = yaml::parse_manifests(text)
        .map_err(|e| anyhow!("template {name} produced invalid YAML: {e}"))?;
    if docs.is_empty() {
        bail!("template {name} produced no object");
    }
    let mut out = Vec::with_capacity(docs.len());
    for (i, doc) in docs.iter().enumerate() {
        let what = format!(
            "{}/{}",
            doc.get("kind").and_then(J::as_str).unwrap_or("?"),
            crate::k8s::object::pointer(doc, "/metadata/name")
                .and_then(J::as_str)
                .unwrap_or("?")
        );
        let back = roundtrip(doc)
            .map_err(|e| anyhow!("template {name}, document {} ({what}): {e}", i + 1))?;
        let kind = doc.get("kind").and_then(J::as_str).unwrap_or_default();
        if let Some(row) = objects::object(name)
            && !row.kinds.iter().any(|k| k.kind == kind)
        {
            bail!(
                "template {name}, document {} ({what}): a {kind}, which the row of {name} in the table of objects (render::objects) does not list",
                i + 1
            );
        }
        let mut diffs = Vec::new();
        if doc != &back {
            differences(doc, &back, "", &mut diffs);
        }
        if !diffs.is_empty() {
            bail!(
                "template {name}, document {} ({what}): fields did not survive the round trip through the Kubernetes type: {}",
                i + 1,
                diffs.join(", ")
            );
        }
        // What the API server stores: the output is that form, so nothing drifts after apply.
        let mut back = back;
        stored::apply(&mut back);
        out.push(back);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_renders_only_the_kinds_its_row_lists() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
        assert!(check_file("configmap.yaml", cm).is_ok());
        let err = check_file("hpa.yaml", cm).unwrap_err().to_string();
        assert!(
            err.contains("template hpa.yaml, document 1 (ConfigMap/x): a ConfigMap, which the row of hpa.yaml"),
            "{err}"
        );
        let unknown = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: x\n";
        let err = check_file("deployment.yaml", unknown)
            .unwrap_err()
            .to_string();
        // A built-in kind agentctl never renders round-trips, but no row lists it.
        assert!(
            err.contains("a DaemonSet, which the row of deployment.yaml"),
            "{err}"
        );
        let unknown = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: x\n";
        let err = check_file("deployment.yaml", unknown)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unsupported object example.com/v1/Widget"),
            "{err}"
        );
    }

    #[test]
    fn extra_objects_and_the_allowlist_leave_out_namespace_and_kustomization() {
        let kinds = kinds();
        assert!(kinds.contains(&"ConfigMap (v1)".to_owned()));
        assert!(
            !kinds
                .iter()
                .any(|k| k.starts_with("Namespace") || k.starts_with("Kustomization"))
        );
        let allow = allowlist_kinds();
        assert_eq!(allow.len(), kinds.len());
        assert!(allow.contains(&(true, "core/v1/ConfigMap".to_owned())));
        assert!(allow.contains(&(true, "apps/v1/Deployment".to_owned())));
        assert!(allow.contains(&(false, "monitoring.coreos.com/v1/ServiceMonitor".to_owned())));
    }
}
