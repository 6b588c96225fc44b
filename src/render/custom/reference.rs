//! The CRDs of the custom kinds agentctl renders itself (ServiceMonitor, PrometheusRule,
//! VerticalPodAutoscaler, ScaledObject, ExternalSecret, HTTPRoute), built in: the
//! `openAPIV3Schema` of the version agentctl renders, from the releases of
//! `../shared/reference/README.md`, with what the check never reads left out
//! (`scripts/reference-crds.py` writes `reference/*.json`; a test holds them to the
//! reference CRDs when they are there). A patched or extra object of one of these kinds is
//! checked against its CRD's schema, as one of a listed CRD is ([`super::validate`]), not against
//! agentctl's typed model of what it emits (which holds only the fields the templates write).

use std::sync::{Arc, OnceLock};

use serde_json::Value as J;

use crate::input::crds::{Crd, CrdVersion};

/// What `listed_at` says of a built-in CRD: [`super::Found::named`] words it.
pub const BUILT_IN: &str = "built into agentctl";

/// The embedded files, one per kind.
const FILES: &[&str] = &[
    include_str!("reference/servicemonitor.json"),
    include_str!("reference/prometheusrule.json"),
    include_str!("reference/verticalpodautoscaler.json"),
    include_str!("reference/scaledobject.json"),
    include_str!("reference/externalsecret.json"),
    include_str!("reference/httproute.json"),
];

/// The built-in CRDs, read once.
pub fn crds() -> &'static [Arc<Crd>] {
    static CRDS: OnceLock<Vec<Arc<Crd>>> = OnceLock::new();
    CRDS.get_or_init(|| FILES.iter().filter_map(|t| crd(t)).map(Arc::new).collect())
}

/// One embedded file as a [`Crd`] with its one served version.
fn crd(text: &str) -> Option<Crd> {
    let j: J = serde_json::from_str(text).ok()?;
    let s = |k: &str| j.get(k).and_then(J::as_str).map(str::to_owned);
    Some(Crd {
        group: s("group")?,
        kind: s("kind")?,
        plural: s("plural")?,
        namespaced: j.get("namespaced").and_then(J::as_bool)?,
        versions: vec![CrdVersion {
            name: s("version")?,
            served: true,
            schema: j.get("schema")?.clone(),
        }],
        file: s("file")?,
        listed_at: format!("{BUILT_IN}, {}", s("release")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::objects::{KINDS, Served};

    #[test]
    fn every_custom_kind_agentctl_renders_has_its_crd_built_in() {
        assert_eq!(crds().len(), FILES.len(), "an embedded file did not read");
        for k in KINDS
            .iter()
            .filter(|k| matches!(k.served, Served::Crd { .. }))
        {
            let c = crds().iter().find(|c| c.kind == k.kind);
            let c = c.unwrap_or_else(|| panic!("no built-in CRD for {}", k.kind));
            assert_eq!(c.api(&c.versions[0].name), k.api, "{}", k.kind);
            assert_eq!(c.plural, k.plural, "{}", k.kind);
        }
    }

    /// The reference CRD's schema with what `scripts/reference-crds.py` leaves out left out.
    fn trim(s: &J) -> J {
        const KEEP: [&str; 3] = [
            "x-kubernetes-preserve-unknown-fields",
            "x-kubernetes-int-or-string",
            "x-kubernetes-embedded-resource",
        ];
        const DROP: [&str; 6] = [
            "description",
            "format",
            "default",
            "example",
            "externalDocs",
            "title",
        ];
        match s {
            J::Object(m) => J::Object(
                m.iter()
                    .filter(|(k, _)| {
                        !DROP.contains(&k.as_str())
                            && (!k.starts_with("x-kubernetes-") || KEEP.contains(&k.as_str()))
                    })
                    .map(|(k, v)| {
                        let v = match (k.as_str(), v) {
                            ("properties", J::Object(p)) => {
                                J::Object(p.iter().map(|(n, x)| (n.clone(), trim(x))).collect())
                            }
                            _ => trim(v),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            J::Array(a) => J::Array(a.iter().map(trim).collect()),
            other => other.clone(),
        }
    }

    #[test]
    fn the_built_in_crds_are_the_reference_ones_when_they_are_there() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let Some(dir) = ["../shared/reference/crds", "../../shared/reference/crds"]
            .iter()
            .map(|d| dir.join(d))
            .find(|d| d.is_dir())
        else {
            // A fresh clone has no ../shared: nothing to compare with.
            return;
        };
        for c in crds() {
            let text = std::fs::read_to_string(dir.join(&c.file)).expect("reference CRD");
            let docs = crate::input::yaml::parse_manifests(&text).expect("YAML");
            let doc = docs
                .iter()
                .find(|d| d.pointer("/spec/names/kind").and_then(J::as_str) == Some(&c.kind))
                .expect("the kind's CRD");
            let v = &c.versions[0];
            let version = doc
                .pointer("/spec/versions")
                .and_then(J::as_array)
                .and_then(|vs| {
                    vs.iter()
                        .find(|x| x.get("name").and_then(J::as_str) == Some(&v.name))
                })
                .expect("the version");
            let schema = version
                .pointer("/schema/openAPIV3Schema")
                .expect("a schema");
            assert!(
                trim(schema) == v.schema,
                "src/render/custom/reference/{}.json differs from {}: run scripts/reference-crds.py",
                c.kind.to_lowercase(),
                c.file
            );
        }
    }
}
