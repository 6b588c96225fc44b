//! The Kubernetes round trip: every rendered object goes through its Kubernetes type and back.
//!
//! Each document a template produced is parsed, deserialized into its k8s-openapi type (or, for
//! the CRD kinds (ServiceMonitor, PrometheusRule, VerticalPodAutoscaler, ScaledObject,
//! ExternalSecret) and the Kustomization, a typed struct here), serialized
//! again and compared with what the template wrote. A field that does not survive (misspelled,
//! misplaced, wrong type) is a template bug and is reported with the template name and the field
//! path; nothing is written. The round-tripped value, in the form the API server stores
//! ([`super::stored`]: canonical quantities), is what the bundle emits.

use anyhow::{Result, anyhow, bail};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, PersistentVolumeClaim, ResourceQuota, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as J;

use crate::input::yaml;

pub use super::crds::*;

/// A value that does not fit its Kubernetes type, at a path (`spec.template.spec.containers[0].ports[0].containerPort`).
#[derive(Debug)]
pub struct TypeError {
    /// Where, as serde saw it (map keys and list indices).
    pub path: Vec<PathStep>,
    /// What serde said (`invalid type: string "x", expected i32`).
    pub message: String,
}

/// One step of a [`TypeError`] path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

impl std::fmt::Display for TypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for TypeError {}

fn through<T: DeserializeOwned + Serialize>(doc: &J) -> Result<J> {
    let typed: T = serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(PathStep::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(PathStep::Key(key.clone())),
                _ => None,
            })
            .collect();
        anyhow::Error::new(TypeError {
            path,
            message: e.into_inner().to_string(),
        })
    })?;
    Ok(serde_json::to_value(typed)?)
}

/// One kind of object agentctl renders: its `apiVersion`, `kind` and the typed round trip.
struct ObjectKind {
    api: &'static str,
    kind: &'static str,
    through: fn(&J) -> Result<J>,
}

/// Every kind of object agentctl may render. A new object: add its row (with a typed struct
/// above for a CRD kind that k8s-openapi does not have); an object not listed here is refused.
const KINDS: &[ObjectKind] = &[
    ObjectKind {
        api: "v1",
        kind: "Namespace",
        through: through::<Namespace>,
    },
    ObjectKind {
        api: "v1",
        kind: "ConfigMap",
        through: through::<ConfigMap>,
    },
    ObjectKind {
        api: "v1",
        kind: "ServiceAccount",
        through: through::<ServiceAccount>,
    },
    ObjectKind {
        api: "v1",
        kind: "PersistentVolumeClaim",
        through: through::<PersistentVolumeClaim>,
    },
    ObjectKind {
        api: "v1",
        kind: "Service",
        through: through::<Service>,
    },
    ObjectKind {
        api: "apps/v1",
        kind: "Deployment",
        through: through::<Deployment>,
    },
    ObjectKind {
        api: "apps/v1",
        kind: "StatefulSet",
        through: through::<StatefulSet>,
    },
    ObjectKind {
        api: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        through: through::<Role>,
    },
    ObjectKind {
        api: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        through: through::<RoleBinding>,
    },
    ObjectKind {
        api: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        through: through::<HorizontalPodAutoscaler>,
    },
    ObjectKind {
        api: "policy/v1",
        kind: "PodDisruptionBudget",
        through: through::<PodDisruptionBudget>,
    },
    ObjectKind {
        api: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        through: through::<NetworkPolicy>,
    },
    ObjectKind {
        api: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        through: through::<ServiceMonitor>,
    },
    ObjectKind {
        api: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        through: through::<PrometheusRule>,
    },
    ObjectKind {
        api: "batch/v1",
        kind: "CronJob",
        through: through::<CronJob>,
    },
    ObjectKind {
        api: "v1",
        kind: "ResourceQuota",
        through: through::<ResourceQuota>,
    },
    ObjectKind {
        api: "v1",
        kind: "LimitRange",
        through: through::<LimitRange>,
    },
    ObjectKind {
        api: "autoscaling.k8s.io/v1",
        kind: "VerticalPodAutoscaler",
        through: through::<VerticalPodAutoscaler>,
    },
    ObjectKind {
        api: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        through: through::<ScaledObject>,
    },
    ObjectKind {
        api: "external-secrets.io/v1",
        kind: "ExternalSecret",
        through: through::<ExternalSecret>,
    },
    ObjectKind {
        api: "networking.k8s.io/v1",
        kind: "Ingress",
        through: through::<Ingress>,
    },
    ObjectKind {
        api: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        through: through::<super::httproute::HttpRoute>,
    },
    ObjectKind {
        api: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        through: through::<Kustomization>,
    },
];

/// The kinds an extra object may be (`Kind (apiVersion)`): every registered kind but the
/// output's own Namespace and Kustomization.
pub fn kinds() -> Vec<String> {
    KINDS
        .iter()
        .filter(|k| !matches!(k.kind, "Namespace" | "Kustomization"))
        .map(|k| format!("{} ({})", k.kind, k.api))
        .collect()
}

/// Every registered kind but the output's own Namespace and Kustomization, as
/// `(group, group/version/Kind)` in the form of kubectl's `--prune-allowlist`
/// (`("", "core/v1/ConfigMap")`, `("apps", "apps/v1/Deployment")`).
pub fn allowlist_kinds() -> Vec<(&'static str, String)> {
    KINDS
        .iter()
        .filter(|k| !matches!(k.kind, "Namespace" | "Kustomization"))
        .map(|k| match k.api.split_once('/') {
            Some((group, version)) => (group, format!("{group}/{version}/{}", k.kind)),
            None => ("", format!("core/{}/{}", k.api, k.kind)),
        })
        .collect()
}

/// The API groups the API server serves itself: no CRD or operator needed, and the server
/// normalizes their quantities ([`super::stored`]). The one list; [`super::prereqs`] and
/// [`super::stored`] read it.
pub const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
];

/// Round-trips one document through its type.
pub fn roundtrip(doc: &J) -> Result<J> {
    let api = doc
        .get("apiVersion")
        .and_then(J::as_str)
        .unwrap_or_default();
    let kind = doc.get("kind").and_then(J::as_str).unwrap_or_default();
    match KINDS.iter().find(|k| k.api == api && k.kind == kind) {
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
            doc.pointer("/metadata/name")
                .and_then(J::as_str)
                .unwrap_or("?")
        );
        let back = roundtrip(doc)
            .map_err(|e| anyhow!("template {name}, document {} ({what}): {e}", i + 1))?;
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
        super::stored::apply(&mut back);
        out.push(back);
    }
    Ok(out)
}
