//! The typed contract: every setting agentctl understands, its documentation and its default.
//!
//! These types are the single source of truth. The built-in defaults are the production values
//! of the deployment guide (`Config::default()`); the same types produce the JSON Schema that
//! every layer is checked against (`agentctl schema`), the reference documentation shown by
//! `agentctl explain`, and the data the templates render. Every struct denies unknown fields and
//! defaults missing ones, so a layer may set any subset of fields and nothing is ever silently
//! dropped. This module does no I/O.
//!
//! Owns the types (`workloads`, `features`, `monitoring`), the JSON schema generated from them
//! ([`schema`]), Kubernetes name rules ([`names`]) and the credential policy
//! ([`credentials`]). Must not read, parse, print or know about YAML trees.

pub mod credentials;
pub mod fit;
pub mod instance;
pub mod names;
pub mod patches;
pub mod path;
pub mod project;
pub mod quota;
pub mod schema;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::k8s::version::KubeVersion;

mod exposure;
mod features;
mod monitoring;
mod operations;
mod pod;
mod probe;
mod redis;
mod workloads;

pub use exposure::*;
pub use features::*;
pub use fit::*;
pub use instance::Names;
pub use monitoring::*;
pub use operations::*;
pub use pod::*;
pub use probe::*;
pub use redis::*;
pub use workloads::*;

/// The largest value of a Kubernetes `int32` field (replicas, probe timings): the schema caps
/// the settings that land in one, so a value the API server would reject is a located input
/// error here, not a failed round trip after rendering.
pub(crate) const INT32_MAX: u32 = 2_147_483_647;

/// The effective configuration of one deployment.
///
/// Layers are merged in this order, later wins: built-in defaults, each `-p PROFILE`, each
/// `-f FILE`, each `--set PATH=VALUE`. Maps merge key by key; lists replace as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    /// Namespace every object is created in; the output creates it (`namespace.yaml`) unless
    /// `createNamespace: false`.
    /// A DNS-1123 label. Default: `production-agents`.
    pub namespace: String,
    /// A name for this deployment, for two or more agentctl deployments in one namespace (a
    /// shared namespace, `createNamespace: false`). Set to `NAME`: every object agentctl renders
    /// is named `NAME-` followed by its built-in name (`NAME-agent-deployment`,
    /// `NAME-redis-service`, `NAME-agent-config`, the Redis claims `data-NAME-redis-0`, ...), and
    /// so are `secret.name` and `agent.serviceAccount.name` while they have their built-in
    /// default (a name you set is used as written); every object carries
    /// `app.kubernetes.io/instance: NAME` (instead of the namespace), the pods too, and every
    /// selector (Services, NetworkPolicies and the default deny, the PodDisruptionBudget,
    /// workloads, monitors, spread and anti-affinity) also matches it, so two instances share
    /// no name, no pod, no alert and no prune selector (`kubectl apply --prune -l
    /// app.kubernetes.io/instance=NAME`). An RFC 1035 label (a lowercase letter first: it
    /// begins the Services' names), short enough for every name to fit its kind's limit (at
    /// most 39 characters with the backup CronJob, whose name is bounded to 52). Changing it
    /// renames every object: a new deployment, beside the old one's objects until they are
    /// pruned. Default: unset, the built-in names.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub instance: Option<String>,
    /// Render the Namespace object (`namespace.yaml`) with its Pod Security labels. `false`:
    /// deploy into an existing namespace (shared, or made by a platform team): no Namespace
    /// object, and the Pod Security labels the render relies on (`podSecurity`) become a
    /// prerequisite that render prints (the `kubectl label` command) and `agentctl doctor`
    /// checks on the live namespace. Default: `true`.
    pub create_namespace: bool,
    /// Pod Security Standards level the namespace enforces (`pod-security.kubernetes.io/enforce`).
    /// Default: `restricted`.
    pub pod_security: PodSecurityLevel,
    /// Extra labels on the Namespace (e.g. `istio-injection: enabled`, a team or cost-center
    /// label a platform's policies select on). The Pod Security labels are `podSecurity`'s and
    /// the `kubernetes.io`/`k8s.io` prefixes are reserved. With `createNamespace: false` they
    /// join the prerequisite's `kubectl label namespace` command. Default: none.
    pub namespace_labels: BTreeMap<String, String>,
    /// Annotations on the Namespace (e.g. OpenShift's `openshift.io/node-selector`, a
    /// scheduler's or a mesh's). With `createNamespace: false` they become a prerequisite,
    /// with the `kubectl annotate namespace` command. Default: none.
    pub namespace_annotations: BTreeMap<String, String>,
    /// Extra labels added to every object's metadata and to the pod templates, next to the
    /// recommended `app.kubernetes.io/*` labels (objects also carry `app.kubernetes.io/instance`:
    /// the namespace, or `instance` when set, what `kubectl apply --prune -l` selects). Never to
    /// selectors nor to the Redis StatefulSet's volumeClaimTemplates (immutable), so a change applies in place (and
    /// rolls the pods). Default: none.
    pub labels: BTreeMap<String, String>,
    /// The Secret holding the credentials. agentctl never renders it: create it out of band
    /// (`kubectl create secret generic agent-secrets ...`); the output only references it.
    pub secret: SecretRef,
    /// The agent Deployment (`agent-deployment`, container `agent`) and its Service.
    pub agent: Agent,
    /// The Redis StatefulSet (`redis`, pod `redis-0`) and its Service `redis-service`.
    pub redis: Redis,
    /// The HorizontalPodAutoscaler `agent-hpa` (autoscaling/v2) for the agent Deployment.
    pub autoscaling: Autoscaling,
    /// PodDisruptionBudget for the agent (`pdb.yaml`).
    pub disruption_budget: DisruptionBudget,
    /// NetworkPolicies (`networkpolicy.yaml`): default deny, then only the traffic the system needs.
    pub network_policy: NetworkPolicy,
    /// Prometheus Operator integration (`servicemonitor.yaml`).
    pub monitoring: Monitoring,
    /// Least-privilege RBAC for the agent (`rbac.yaml`).
    pub rbac: Rbac,
    /// Scheduled Redis snapshots (`backup.yaml`): the CronJob `redis-backup` and its volume.
    /// Restore with the commands `agentctl restore-help` prints.
    pub backup: Backup,
    /// The namespace's ResourceQuota `agent-quota` and LimitRange `agent-limits` (`quota.yaml`).
    pub quota: Quota,
    /// The VerticalPodAutoscaler `agent-vpa` (`vpa.yaml`), recommendations only by default.
    pub vpa: Vpa,
    /// KEDA instead of the HPA: the ScaledObject `agent-scaledobject` (`scaledobject.yaml`).
    pub keda: Keda,
    /// An ExternalSecret that creates the Secret from a secret manager (`externalsecret.yaml`).
    pub external_secret: ExternalSecret,
    /// An Ingress in front of the agent (`ingress.yaml`). Default: off.
    pub ingress: Ingress,
    /// A Gateway API HTTPRoute to the agent (`httproute.yaml`). Default: off.
    pub http_route: HttpRoute,
    /// The Kubernetes version of the cluster the render is for, `MAJOR.MINOR` (`"1.29"`; a `v`
    /// prefix, a patch and a build suffix are accepted). Every feature that version lacks
    /// (native sidecars before 1.29, ...) is refused, naming the version it needs; also
    /// `--kube-version` and a project environment's `kubeVersion:`. From 1.27 (the oldest
    /// supported) to 1.33 (the newest agentctl knows). Default: `1.27`.
    #[schemars(with = "KubeVersionText")]
    pub kube_version: String,
}

impl Config {
    /// The target Kubernetes version ([`Config::kube_version`], parsed): ask it
    /// `supports(Feature::...)`. An unreadable or out-of-range value is refused by `validate`
    /// before anything renders; here it reads as the floor.
    pub fn kube_version(&self) -> KubeVersion {
        KubeVersion::parse(&self.kube_version).unwrap_or(crate::k8s::version::FLOOR)
    }

    /// Whether `quota.yaml` (ResourceQuota and LimitRange) is rendered: `quota.enabled`, which
    /// unset follows `createNamespace` (namespace-wide objects only in a namespace of ours).
    pub fn quota_on(&self) -> bool {
        self.quota.enabled.unwrap_or(self.create_namespace)
    }
}

/// The schema of `kubeVersion`: a string marked `"format": "kube-version"` (so the input stage
/// reads `kubeVersion: 1.30` as the text `"1.30"`, not the number 1.3).
pub struct KubeVersionText;

impl JsonSchema for KubeVersionText {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "KubeVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "kube-version",
            "pattern": r"^\s*v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+].*)?\s*$"
        })
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            namespace: "production-agents".into(),
            instance: None,
            create_namespace: true,
            pod_security: PodSecurityLevel::Restricted,
            namespace_labels: BTreeMap::new(),
            namespace_annotations: BTreeMap::new(),
            labels: BTreeMap::new(),
            secret: SecretRef::default(),
            agent: Agent::default(),
            redis: Redis::default(),
            autoscaling: Autoscaling::default(),
            disruption_budget: DisruptionBudget::default(),
            network_policy: NetworkPolicy::default(),
            monitoring: Monitoring::default(),
            rbac: Rbac::default(),
            backup: Backup::default(),
            quota: Quota::default(),
            vpa: Vpa::default(),
            keda: Keda::default(),
            external_secret: ExternalSecret::default(),
            ingress: Ingress::default(),
            http_route: HttpRoute::default(),
            kube_version: crate::k8s::version::FLOOR.to_string(),
        }
    }
}

/// Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityLevel {
    /// Heavily restricted pods (the default; every pod agentctl renders meets it).
    Restricted,
    /// Minimally restrictive policy that prevents known privilege escalations.
    Baseline,
    /// Unrestricted.
    Privileged,
}

/// Name and keys of the out-of-band Secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretRef {
    /// Secret name. Default: `agent-secrets` (`NAME-agent-secrets` with `instance: NAME`).
    pub name: String,
    /// Key holding the Anthropic API key, read as `ANTHROPIC_API_KEY`; `null` for an agent
    /// that needs none (other keys come in through `agent.env`). Default: `anthropic-api-key`.
    pub api_key_key: Option<String>,
    /// Key holding the in-cluster Redis password (read as `REDIS_PASSWORD`). Default:
    /// `redis-password`.
    pub redis_password_key: String,
}

impl Default for SecretRef {
    fn default() -> Self {
        SecretRef {
            name: "agent-secrets".into(),
            api_key_key: Some("anthropic-api-key".into()),
            redis_password_key: "redis-password".into(),
        }
    }
}

/// The schema of a setting that holds a Kubernetes quantity (`500m`, `2`, `1Gi`): a string
/// marked `"format": "quantity"`, used as `#[schemars(with = "Quantity")]` on its field. The
/// marker is how the input stage knows to read `cpu: 2` as the quantity `"2"` (by the schema,
/// not by the setting's name), and it tells editors what the value is.
pub struct Quantity;

impl JsonSchema for Quantity {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "quantity"})
    }
}
