//! The KEDA ScaledObject (keda.sh/v1alpha1) as a typed struct with `deny_unknown_fields`, for
//! the round trip in `k8s_check`: every field of the CRD KEDA v2.20 publishes
//! (`keda.sh_scaledobjects.yaml`), with its required ones required and no others, so a patch or
//! extra object may write what KEDA accepts (a trigger's `authenticationRef`, `name`,
//! `metricType`, `useCachedMetrics`; a `scaleTargetRef` without `apiVersion`) and a misspelled
//! field is still refused. The HPA behavior is k8s-openapi's autoscaling/v2 type, as KEDA's.
//! Also the TriggerAuthentication (`keda.authentications`), from KEDA's
//! `keda.sh_triggerauthentications.yaml`.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

crate::render::crds::custom_resource!(
    ScaledObject,
    "keda.sh",
    "v1alpha1",
    "ScaledObject",
    "scaledobjects"
);

/// The KEDA ScaledObject (keda.sh/v1alpha1).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScaledObject {
    /// `keda.sh/v1alpha1`.
    pub api_version: String,
    /// `ScaledObject`.
    pub kind: String,
    /// Standard metadata.
    pub metadata: ObjectMeta,
    /// The spec.
    pub spec: ScaledObjectSpec,
}

/// ScaledObject spec (`scaleTargetRef` and `triggers` required, as in the CRD).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    /// The workload.
    pub scale_target_ref: ScaleTargetRef,
    /// Fewest replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_replica_count: Option<i32>,
    /// Most replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replica_count: Option<i32>,
    /// Replicas while no trigger is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_replica_count: Option<i32>,
    /// Seconds between trigger checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polling_interval: Option<i32>,
    /// Seconds before scaling back to the minimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_period: Option<i32>,
    /// Seconds before the first scale-in after creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_cooldown_period: Option<i32>,
    /// Replicas when triggers cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<KedaFallback>,
    /// The HPA KEDA creates, and scaling modifiers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advanced: Option<KedaAdvanced>,
    /// What to scale on.
    pub triggers: Vec<KedaTrigger>,
}

/// KEDA `scaleTargetRef`: only the name is required (`apps/v1` `Deployment` when absent).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScaleTargetRef {
    /// API version of the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name of the target.
    pub name: String,
    /// The container whose environment the triggers' `...FromEnv` parameters read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env_source_container_name: Option<String>,
}

/// ScaledObject fallback.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaFallback {
    /// `static`, `currentReplicas`, `currentReplicasIfHigher`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behavior: Option<String>,
    /// Failed reads before the fallback applies.
    pub failure_threshold: i32,
    /// Replicas then.
    pub replicas: i32,
}

/// ScaledObject advanced settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaAdvanced {
    /// The generated HPA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horizontal_pod_autoscaler_config: Option<KedaHpaConfig>,
    /// Give the target its replica count back when the ScaledObject is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_to_original_replica_count: Option<bool>,
    /// A formula over the triggers' metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling_modifiers: Option<ScalingModifiers>,
}

/// A formula over the triggers' metrics (`advanced.scalingModifiers`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingModifiers {
    /// Activation target of the composed metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_target: Option<String>,
    /// The formula, over the triggers' names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// `AverageValue` or `Value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    /// Target of the composed metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The HPA KEDA generates.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaHpaConfig {
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its scaling behavior (the autoscaling/v2 type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behavior: Option<HorizontalPodAutoscalerBehavior>,
}

/// One KEDA trigger.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaTrigger {
    /// Scaler type, e.g. `prometheus`, `redis`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Its name (what `scalingModifiers.formula` refers to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Scaler parameters (all strings).
    pub metadata: BTreeMap<String, String>,
    /// The TriggerAuthentication (or ClusterTriggerAuthentication) holding its credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
    /// `AverageValue`, `Value` or `Utilization`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    /// Serve the metric from KEDA's cache between polls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_cached_metrics: Option<bool>,
}

/// A trigger's `authenticationRef`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthenticationRef {
    /// `TriggerAuthentication` (in the namespace, the default) or
    /// `ClusterTriggerAuthentication`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its name.
    pub name: String,
}

crate::render::crds::custom_resource!(
    TriggerAuthentication,
    "keda.sh",
    "v1alpha1",
    "TriggerAuthentication",
    "triggerauthentications"
);

/// The KEDA TriggerAuthentication (keda.sh/v1alpha1): where a scaler reads its credentials.
/// Every field of the CRD KEDA publishes (`keda.sh_triggerauthentications.yaml`), required as
/// there; the references to a secret manager's entries (`awsSecretManager`, `azureKeyVault`,
/// `gcpSecretManager`, `hashiCorpVault`), which no setting renders, are kept as JSON: a patch or
/// extra object that writes one is checked field by field when the KEDA CRD is listed in `crds:`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TriggerAuthentication {
    /// `keda.sh/v1alpha1`.
    pub api_version: String,
    /// `TriggerAuthentication`.
    pub kind: String,
    /// Standard metadata.
    pub metadata: ObjectMeta,
    /// The spec (required).
    pub spec: TriggerAuthenticationSpec,
}

/// TriggerAuthentication spec: each way of giving a scaler its parameters, all optional.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TriggerAuthenticationSpec {
    /// Parameters from Secrets' keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_target_ref: Option<Vec<TargetRef>>,
    /// Parameters from ConfigMaps' keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_map_target_ref: Option<Vec<TargetRef>>,
    /// Parameters from the scale target's environment variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<AuthEnvironment>>,
    /// Parameters from a bound ServiceAccount token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_service_account_token: Option<Vec<BoundServiceAccountToken>>,
    /// The platform's workload identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_identity: Option<PodIdentity>,
    /// AWS Secrets Manager entries (kept as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_secret_manager: Option<serde_json::Value>,
    /// Azure Key Vault entries (kept as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure_key_vault: Option<serde_json::Value>,
    /// GCP Secret Manager entries (kept as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcp_secret_manager: Option<serde_json::Value>,
    /// HashiCorp Vault entries (kept as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashi_corp_vault: Option<serde_json::Value>,
}

/// One parameter from a Secret's or ConfigMap's key (all three required).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetRef {
    /// The scaler parameter.
    pub parameter: String,
    /// The Secret or ConfigMap.
    pub name: String,
    /// Its key.
    pub key: String,
}

/// One parameter from an environment variable of the scale target.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthEnvironment {
    /// The scaler parameter.
    pub parameter: String,
    /// The variable.
    pub name: String,
    /// The container (the first when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
}

/// One parameter from a ServiceAccount's bound token.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BoundServiceAccountToken {
    /// The scaler parameter.
    pub parameter: String,
    /// The ServiceAccount.
    pub service_account_name: String,
}

/// `podIdentity`: `provider` required.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodIdentity {
    /// `azure-workload`, `gcp`, `aws`, `aws-eks` or `none`.
    pub provider: String,
    /// AWS External ID when assuming a role.
    #[serde(rename = "externalID", skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Azure authority host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_authority_host: Option<String>,
    /// The identity's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_id: Option<String>,
    /// `keda` or `workload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_owner: Option<String>,
    /// Azure tenant id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_tenant_id: Option<String>,
    /// The AWS role to assume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}
