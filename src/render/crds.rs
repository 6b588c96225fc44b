//! Typed structs for the objects k8s-openapi has no type for: the custom resources agentctl
//! renders (Prometheus Operator, VPA, External Secrets) and the Kustomization, each with
//! the fields we emit: a field they do not have is dropped by the round trip, which
//! `k8s_check` reports for a template and the escape hatch for a patch (as the API server prunes
//! a field the CRD's schema does not have), every such field of an object at once. (The
//! Gateway API HTTPRoute and the KEDA ScaledObject have their own files, `httproute.rs` and
//! `keda.rs`.)

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

/// The identity of a namespaced custom resource type, as k8s-openapi's types have it
/// ([`k8s_openapi::Resource`]): what its row in the table of kinds (`render::objects`) reads. The group,
/// version, kind and plural are the CRD's (`spec.group`, a served `spec.versions[].name`,
/// `spec.names.kind`, `spec.names.plural`); the conformance harness checks them against the
/// CRDs (`check.py registry`).
macro_rules! custom_resource {
    ($ty:ty, $group:literal, $version:literal, $kind:literal, $plural:literal) => {
        impl k8s_openapi::Resource for $ty {
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }
    };
}
pub(crate) use custom_resource;

custom_resource!(
    ServiceMonitor,
    "monitoring.coreos.com",
    "v1",
    "ServiceMonitor",
    "servicemonitors"
);
custom_resource!(
    PrometheusRule,
    "monitoring.coreos.com",
    "v1",
    "PrometheusRule",
    "prometheusrules"
);
custom_resource!(
    VerticalPodAutoscaler,
    "autoscaling.k8s.io",
    "v1",
    "VerticalPodAutoscaler",
    "verticalpodautoscalers"
);
custom_resource!(
    ExternalSecret,
    "external-secrets.io",
    "v1",
    "ExternalSecret",
    "externalsecrets"
);

/// The Prometheus Operator ServiceMonitor (monitoring.coreos.com/v1), the fields we emit.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitor {
    /// `monitoring.coreos.com/v1`.
    pub api_version: String,
    /// `ServiceMonitor`.
    pub kind: String,
    /// Standard metadata.
    pub metadata: ObjectMeta,
    /// The spec.
    pub spec: ServiceMonitorSpec,
}

/// ServiceMonitor spec.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Services to scrape.
    pub selector: LabelSelector,
    /// Namespaces to look for them in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// Endpoints to scrape.
    pub endpoints: Vec<Endpoint>,
}

/// ServiceMonitor namespace selector.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Select all namespaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub any: Option<bool>,
    /// Namespace names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_names: Option<Vec<String>>,
}

/// ServiceMonitor endpoint.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Named Service port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// HTTP path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Scrape interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Scrape timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
    /// `http` or `https`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Keep the scraped labels on a clash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
    /// Relabelings of the targets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relabelings: Option<Vec<RelabelConfig>>,
    /// Relabelings of the scraped series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_relabelings: Option<Vec<RelabelConfig>>,
    /// TLS of the scrape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
}

/// A ServiceMonitor endpoint's `tlsConfig`, the fields agentctl writes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsConfig {
    /// The CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<SecretOrConfigMap>,
    /// The client certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<SecretOrConfigMap>,
    /// The client key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_secret: Option<KeySelector>,
    /// The name checked on the target's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Skip the check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insecure_skip_verify: Option<bool>,
}

/// A Secret's or ConfigMap's key.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretOrConfigMap {
    /// From a Secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<KeySelector>,
    /// From a ConfigMap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_map: Option<KeySelector>,
}

/// A key of a Secret or ConfigMap.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySelector {
    /// Its name.
    pub name: String,
    /// The key.
    pub key: String,
}

/// A relabeling step of a ServiceMonitor endpoint (the operator's `RelabelConfig`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelabelConfig {
    /// The action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The labels whose values are matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_labels: Option<Vec<String>>,
    /// Their separator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// The regular expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// The label written or compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_label: Option<String>,
    /// The value written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// The modulus of `hashmod`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modulus: Option<u64>,
}

/// The Prometheus Operator PrometheusRule (monitoring.coreos.com/v1), the fields we emit.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRule {
    /// `monitoring.coreos.com/v1`.
    pub api_version: String,
    /// `PrometheusRule`.
    pub kind: String,
    /// Standard metadata.
    pub metadata: ObjectMeta,
    /// The spec.
    pub spec: PrometheusRuleSpec,
}

/// PrometheusRule spec: the rule groups (a Prometheus rules file).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleSpec {
    /// Rule groups.
    pub groups: Vec<RuleGroup>,
}

/// One rule group.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleGroup {
    /// Group name, unique in the object.
    pub name: String,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// One alerting rule.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Alert name.
    pub alert: String,
    /// PromQL expression.
    pub expr: String,
    /// How long the expression must hold before the alert fires.
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// Alert labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Alert annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `kustomization.yaml` (kustomize.config.k8s.io/v1beta1), the fields we emit.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization {
    /// API version.
    pub api_version: String,
    /// `Kustomization`.
    pub kind: String,
    /// Namespace set on every object.
    pub namespace: String,
    /// Labels added to every object.
    pub labels: Vec<LabelSet>,
    /// Resource files.
    pub resources: Vec<String>,
}

/// One `labels:` entry of a Kustomization.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSet {
    /// The labels.
    pub pairs: BTreeMap<String, String>,
    /// Also add them to selectors.
    pub include_selectors: bool,
    /// Also add them to pod templates.
    pub include_templates: bool,
}

/// Reference to the scaled/managed workload (VPA `targetRef`, KEDA `scaleTargetRef`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRef {
    /// API version of the target.
    pub api_version: String,
    /// Kind of the target.
    pub kind: String,
    /// Name of the target.
    pub name: String,
}

/// The VerticalPodAutoscaler (autoscaling.k8s.io/v1), the fields we emit.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerticalPodAutoscaler {
    /// `autoscaling.k8s.io/v1`.
    pub api_version: String,
    /// `VerticalPodAutoscaler`.
    pub kind: String,
    /// Standard metadata.
    pub metadata: ObjectMeta,
    /// The spec.
    pub spec: VpaSpec,
}

/// VPA spec.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpaSpec {
    /// The workload.
    pub target_ref: TargetRef,
    /// How recommendations are applied.
    pub update_policy: VpaUpdatePolicy,
    /// Per-container limits of the recommendations.
    pub resource_policy: VpaResourcePolicy,
}

/// VPA update policy.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpaUpdatePolicy {
    /// `Off`, `Initial`, `Recreate`, `InPlaceOrRecreate` or `Auto`.
    pub update_mode: String,
}

/// VPA resource policy.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpaResourcePolicy {
    /// One policy per container.
    pub container_policies: Vec<VpaContainerPolicy>,
}

/// VPA container policy.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpaContainerPolicy {
    /// The container.
    pub container_name: String,
    /// `cpu` and/or `memory`.
    pub controlled_resources: Vec<String>,
    /// Lowest recommendation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_allowed: Option<BTreeMap<String, Quantity>>,
    /// Highest recommendation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_allowed: Option<BTreeMap<String, Quantity>>,
}

/// The ExternalSecret (external-secrets.io/v1), the fields we emit.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecret {
    /// `external-secrets.io/v1`.
    pub api_version: String,
    /// `ExternalSecret`.
    pub kind: String,
    /// Standard metadata.
    pub metadata: ObjectMeta,
    /// The spec.
    pub spec: ExternalSecretSpec,
}

/// ExternalSecret spec.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    /// How often to re-read the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<String>,
    /// `CreatedOnce`, `Periodic`, `OnChange`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_policy: Option<String>,
    /// The store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_store_ref: Option<StoreRef>,
    /// The Secret to create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<ExternalSecretTarget>,
    /// One entry per Secret key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<ExternalSecretData>>,
    /// Whole store entries (extract, find, rewrite): the operator's schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_from: Option<Vec<serde_json::Value>>,
    /// When the operator may sync: the operator's schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_windows: Option<serde_json::Value>,
}

/// ExternalSecret store reference.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreRef {
    /// `SecretStore` or `ClusterSecretStore`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// ExternalSecret target: every field is optional in the CRD (`creationPolicy` defaults to
/// `Owner`, the name to the ExternalSecret's).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretTarget {
    /// Secret name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Owner` (the Secret belongs to the ExternalSecret), `Orphan`, `Merge`, `None`,
    /// `CreateOrMerge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_policy: Option<String>,
    /// `Delete`, `Merge`, `Retain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<String>,
    /// Make the Secret immutable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// The Secret's template (type, metadata, templated data): the operator's schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<serde_json::Value>,
    /// A non-Secret manifest to create instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<serde_json::Value>,
}

/// One Secret key and where it comes from.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretData {
    /// The key in the Secret.
    pub secret_key: String,
    /// Where it is in the store.
    pub remote_ref: RemoteRef,
    /// Another store or a generator for this key: the operator's schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<serde_json::Value>,
}

/// A value in the store.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRef {
    /// Key (path).
    pub key: String,
    /// Property within it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The store's version of the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `Default`, `Unicode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion_strategy: Option<String>,
    /// `Auto`, `Base64`, `Base64URL`, `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoding_strategy: Option<String>,
    /// `None`, `Fetch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_policy: Option<String>,
    /// `Ignore`, `Fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_byte_policy: Option<String>,
}
