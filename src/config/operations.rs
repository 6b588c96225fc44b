//! What runs around the deployment (issue 13): Redis backups, the namespace quota, the VPA,
//! KEDA instead of the HPA, and the Secret from a secret manager. Types only, no I/O.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AccessMode, Compute, INT32_MAX, Resources, Storage};

/// Scheduled Redis snapshots: the CronJob `redis-backup`, its volume `redis-backup-pvc` and its
/// ServiceAccount. Restore with the commands `agentctl restore-help` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Backup {
    /// Render `backup.yaml`. Default: `true` (`dev`: `false`).
    pub enabled: bool,
    /// When to take a snapshot, a cron expression (five fields) or a macro such as `@daily`.
    /// Default: `0 */6 * * *` (every 6 hours).
    pub schedule: String,
    /// Time zone of `schedule`, an IANA name such as `Europe/Berlin`; unset: the controller's
    /// (usually UTC). Default: unset.
    pub time_zone: Option<String>,
    /// Snapshots kept on the backup volume; older ones are deleted after each successful run.
    /// Default: `12` (three days at the default schedule).
    #[schemars(range(min = 1, max = 1000))]
    pub keep: u32,
    /// Seconds a backup run may take before it is stopped. Default: `3600`.
    #[schemars(range(min = 60, max = INT32_MAX))]
    pub active_deadline_seconds: u32,
    /// CPU and memory of the backup container. Default: requests 50m/64Mi, limits 500m/256Mi.
    pub resources: Resources,
    /// The volume `redis-backup-pvc` that holds the snapshots. Size it for `keep` snapshots of
    /// the dataset (at most Redis' memory limit each). Default: 20Gi, ReadWriteOnce, cluster
    /// default class.
    pub storage: Storage,
}

impl Default for Backup {
    fn default() -> Self {
        Backup {
            enabled: true,
            schedule: "0 */6 * * *".into(),
            time_zone: None,
            keep: 12,
            active_deadline_seconds: 3600,
            resources: Resources::new("50m", "64Mi", "500m", "256Mi"),
            storage: Storage {
                size: "20Gi".into(),
                storage_class: None,
                access_mode: AccessMode::ReadWriteOnce,
            },
        }
    }
}

/// The namespace budget: ResourceQuota `agent-quota` (and LimitRange `agent-limits`). Every
/// figure must hold the deployment at its maximum scale (agent pods at `agent.replicas.max`
/// plus the rolling update's surge, Redis, the backup job, one ad-hoc pod); unset figures are
/// derived (at least the guide's example), a smaller one set here is an error.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Quota {
    /// Render `quota.yaml` (the ResourceQuota and the LimitRange: namespace-wide, they bind
    /// every pod of the namespace). Unset: rendered when agentctl creates the namespace
    /// (`createNamespace: true`), not in an existing namespace, where they would constrain other
    /// teams' pods (render prints a note saying so); `true` renders them there too (a
    /// namespace of your own made by someone else). Default: unset (`dev`: `false`).
    pub enabled: Option<bool>,
    /// `requests.cpu`. Unset: the guide's `20`, or the need rounded up to whole cores when more.
    #[schemars(with = "Option<super::Quantity>")]
    pub requests_cpu: Option<String>,
    /// `requests.memory`. Unset: the guide's `40Gi`, or the need rounded up to Gi when more.
    #[schemars(with = "Option<super::Quantity>")]
    pub requests_memory: Option<String>,
    /// `limits.cpu`. Unset: the need, rounded up to whole cores.
    #[schemars(with = "Option<super::Quantity>")]
    pub limits_cpu: Option<String>,
    /// `limits.memory`. Unset: the need, rounded up to Gi.
    #[schemars(with = "Option<super::Quantity>")]
    pub limits_memory: Option<String>,
    /// `requests.storage`, the total size of all claims. Unset: not limited.
    #[schemars(with = "Option<super::Quantity>")]
    pub requests_storage: Option<String>,
    /// `pods`. Unset: the need (agent maximum + surge, Redis, backup job, one ad-hoc pod).
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub pods: Option<u32>,
    /// `persistentvolumeclaims`. Unset: the guide's `10`, or the claims rendered when more.
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub persistent_volume_claims: Option<u32>,
    /// Container defaults for pods that set no requests or limits (with a CPU/memory quota,
    /// such a pod is rejected otherwise).
    pub limit_range: LimitRange,
}

/// The LimitRange `agent-limits`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitRange {
    /// Render it (with the quota). Default: `true`.
    pub enabled: bool,
    /// Requests of a container that sets none. Default: 100m/128Mi.
    pub default_request: Compute,
    /// Limits of a container that sets none. Default: 500m/512Mi.
    pub default: Compute,
}

impl Default for LimitRange {
    fn default() -> Self {
        LimitRange {
            enabled: true,
            default_request: Compute {
                cpu: "100m".into(),
                memory: "128Mi".into(),
                ephemeral_storage: None,
            },
            default: Compute {
                cpu: "500m".into(),
                memory: "512Mi".into(),
                ephemeral_storage: None,
            },
        }
    }
}

/// The VerticalPodAutoscaler `agent-vpa` for the agent Deployment (needs the VPA CRDs and
/// recommender).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Vpa {
    /// Render `vpa.yaml`. Default: `false`.
    pub enabled: bool,
    /// `Off` only recommends (`kubectl describe vpa agent-vpa`); the other modes change the
    /// pods' requests and are refused on a resource the HPA scales on. Default: `Off`.
    pub update_mode: VpaUpdateMode,
    /// Resources the VPA recommends for (and, outside `Off`, sets). Default: `[cpu, memory]`.
    pub controlled_resources: Vec<ComputeResource>,
    /// Lowest requests it may recommend. Default: unset.
    pub min_allowed: Option<Compute>,
    /// Highest requests it may recommend. Default: unset.
    pub max_allowed: Option<Compute>,
}

impl Default for Vpa {
    fn default() -> Self {
        Vpa {
            enabled: false,
            update_mode: VpaUpdateMode::Off,
            controlled_resources: vec![ComputeResource::Cpu, ComputeResource::Memory],
            min_allowed: None,
            max_allowed: None,
        }
    }
}

/// VPA update mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VpaUpdateMode {
    /// Recommend only (default).
    Off,
    /// Set requests when pods are created.
    Initial,
    /// Evict pods to apply new requests.
    Recreate,
    /// Resize in place when possible, else evict.
    InPlaceOrRecreate,
    /// The VPA's current default automatic mode.
    Auto,
}

/// A compute resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ComputeResource {
    /// CPU.
    Cpu,
    /// Memory.
    Memory,
}

/// KEDA instead of the HPA: the ScaledObject `agent-scaledobject` (KEDA creates the HPA, named
/// `agent-hpa`). Turn `autoscaling.enabled` off with it. Replica bounds: `agent.replicas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Keda {
    /// Render `scaledobject.yaml`. Default: `false`.
    pub enabled: bool,
    /// Seconds between trigger checks. Default: `30`.
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub polling_interval: u32,
    /// Seconds after the last active trigger before scaling to the minimum. Default: `300`.
    #[schemars(range(max = INT32_MAX))]
    pub cooldown_period: u32,
    /// What to run when a trigger's source cannot be read.
    pub fallback: KedaFallback,
    /// Scale on a Prometheus query.
    pub prometheus: KedaPrometheus,
    /// Scale on the length of a Redis list (a work queue).
    pub redis_list: KedaRedisList,
    /// Further triggers, any KEDA scaler, by a name of your choosing (the trigger's `name`):
    /// e.g. `queue: {type: aws-sqs-queue, metadata: {queueURL: ..., queueLength: "5"},
    /// authenticationRef: {name: sqs-auth}}`. Default: none.
    pub triggers: BTreeMap<String, KedaTrigger>,
    /// Namespace of the KEDA operator; with the Redis trigger, the NetworkPolicy lets it reach
    /// Redis. Default: `keda`.
    pub operator_namespace: String,
    /// Scale to zero: `0` lets KEDA stop every agent pod while no trigger is active (for
    /// `cooldownPeriod` seconds) and start `agent.replicas.min` pods at once when one is again
    /// (a cold start); KEDA's `idleReplicaCount`, whose only supported value is `0`.
    /// `agent.replicas.min` (at least 1) stays the fewest pods while there is work. A trigger
    /// must be able to wake it: the Redis list, a `keda.prometheus.query` of your own (the
    /// default query is the agent's own request rate, which no pod reports at 0), or a
    /// `keda.triggers` scaler other than `cpu` and `memory`. What follows: the disruption budget
    /// has no pod to protect at 0 (a drain evicts nothing) and its figures hold at
    /// `agent.replicas.min`; `AgentDown` fires only while the Deployment wants pods
    /// (kube-state-metrics' `kube_deployment_spec_replicas` above 0); the quota still holds
    /// `agent.replicas.max`. Default: unset (never below `agent.replicas.min`).
    #[schemars(range(max = INT32_MAX))]
    pub idle_replica_count: Option<u32>,
    /// KEDA TriggerAuthentications agentctl renders, by name (objects beside the
    /// ScaledObject, named `<name>`, or `<instance>-<name>`): where a
    /// scaler reads its credentials, each a Secret's key, never a value. A trigger uses one with
    /// `authenticationRef: {name: <name>}` (`keda.triggers.<t>` or `keda.redisList`); the
    /// Secrets they name are printed with the prerequisites. E.g. `sqs: {secretTargetRef:
    /// {awsAccessKeyID: {name: sqs-credentials, key: AWS_ACCESS_KEY_ID}}}`. Default: none.
    pub authentications: BTreeMap<String, KedaAuthentication>,
}

impl Keda {
    /// The object name of `keda.authentications.<name>`: `<instance>-<name>` with `instance`
    /// set (two deployments in one namespace share no name), else `<name>`.
    pub fn authentication_name(&self, instance: Option<&str>, name: &str) -> String {
        match instance {
            Some(i) => format!("{i}-{name}"),
            None => name.to_owned(),
        }
    }

    /// The name a trigger's reference renders with: one of `keda.authentications` gets its
    /// object's name ([`Keda::authentication_name`]), any other is written as given (created
    /// out of band).
    pub fn reference_name(&self, instance: Option<&str>, r: &KedaAuthenticationRef) -> String {
        if r.kind == KedaAuthenticationKind::TriggerAuthentication
            && self.authentications.contains_key(&r.name)
        {
            self.authentication_name(instance, &r.name)
        } else {
            r.name.clone()
        }
    }
}

/// A KEDA TriggerAuthentication agentctl renders (`keda.authentications.<name>`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaAuthentication {
    /// The scaler parameters read from Secrets, by parameter name as the scaler names it
    /// (`password`, `awsAccessKeyID`, `host`, `tls`, `ca`, ...): each `{name: <Secret>, key:
    /// <key>}` (`name` unset: `secret.name`). At least one. Default: none.
    pub secret_target_ref: BTreeMap<String, KedaSecretTargetRef>,
}

/// One parameter of a TriggerAuthentication read from a Secret's key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaSecretTargetRef {
    /// The Secret, in the deployment's namespace. Unset: `secret.name`. Default: unset.
    pub name: Option<String>,
    /// Its key (required). Default: empty.
    pub key: String,
}

/// KEDA fallback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaFallback {
    /// Failed reads in a row before the fallback applies. Default: `3`.
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub failure_threshold: u32,
    /// Replicas held meanwhile (or the current count, if higher: KEDA never scales down
    /// blind), within `agent.replicas`. Unset: `agent.replicas.min`. Default: unset.
    pub replicas: Option<u32>,
}

/// KEDA Prometheus trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaPrometheus {
    /// Use this trigger. Default: `true`.
    pub enabled: bool,
    /// Prometheus URL. Unset: `http://prometheus-operated.<monitoring.prometheusNamespace>.svc:9090`.
    pub server_address: Option<String>,
    /// PromQL returning one number. Unset: the agent's request rate,
    /// `sum(rate(http_requests_total{namespace="<namespace>"}[2m]))`.
    pub query: Option<String>,
    /// Target value per replica. Default: `100`.
    #[schemars(with = "super::Quantity")]
    pub threshold: String,
}

/// KEDA Redis list trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaRedisList {
    /// Use this trigger. Default: `false`.
    pub enabled: bool,
    /// The list's key. Default: `agent-tasks`.
    pub list_name: String,
    /// Target list length per replica. Default: `10`.
    #[schemars(with = "super::Quantity")]
    pub list_length: String,
    /// The KEDA TriggerAuthentication (or ClusterTriggerAuthentication) the trigger reads its
    /// connection parameters from (`authenticationRef`): a managed Redis over TLS with its own
    /// CA (Memorystore, ElastiCache with a private CA), a password KEDA reads from a Secret.
    /// It gives `tls: enable` and `ca` (and `password`, else `passwordFromEnv` is kept); the
    /// trigger then sets no `enableTLS` of its own (KEDA refuses TLS set in both). One of
    /// `keda.authentications` by its name (rendered), or one created out of band beside the
    /// Secret it references. Default: unset.
    pub authentication_ref: Option<KedaAuthenticationRef>,
}

/// A KEDA trigger of any scaler (`keda.triggers`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaTrigger {
    /// The scaler, as KEDA names it: `aws-sqs-queue`, `kafka`, `rabbitmq`, `cron`,
    /// `azure-servicebus`, ... (required).
    #[serde(rename = "type")]
    pub kind: String,
    /// The scaler's parameters; KEDA reads every value as a string (quote numbers:
    /// `queueLength: "5"`). A credential belongs in the TriggerAuthentication, not here.
    /// Default: none.
    pub metadata: BTreeMap<String, String>,
    /// The TriggerAuthentication (or ClusterTriggerAuthentication) the scaler reads its
    /// credentials from: one of `keda.authentications` by its name, or one created out of band.
    /// Default: unset.
    pub authentication_ref: Option<KedaAuthenticationRef>,
    /// How the metric is compared with its target: `AverageValue` (per replica, KEDA's
    /// default), `Value` or `Utilization`. Default: unset.
    pub metric_type: Option<KedaMetricType>,
}

/// A KEDA trigger's `metricType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum KedaMetricType {
    /// The metric divided by the replicas.
    AverageValue,
    /// The metric itself.
    Value,
    /// A percentage (cpu and memory scalers).
    Utilization,
}

/// A KEDA trigger's `authenticationRef`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KedaAuthenticationRef {
    /// Its name, a DNS-1123 subdomain (required). Default: empty.
    pub name: String,
    /// `TriggerAuthentication` (in the deployment's namespace) or
    /// `ClusterTriggerAuthentication`. Default: `TriggerAuthentication`.
    pub kind: KedaAuthenticationKind,
}

/// The kind of a KEDA trigger authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum KedaAuthenticationKind {
    /// In the deployment's namespace.
    #[default]
    TriggerAuthentication,
    /// Cluster-wide.
    ClusterTriggerAuthentication,
}

/// An ExternalSecret (External Secrets Operator) that creates the Secret `secret.name` from a
/// secret manager. Still no Secret object is rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalSecret {
    /// Render `externalsecret.yaml`. Default: `false`.
    pub enabled: bool,
    /// The store to read from.
    pub store_ref: StoreRef,
    /// How often the operator re-reads the store, a duration such as `1h`. Default: `1h`.
    pub refresh_interval: String,
    /// One entry per key of the Secret: secret key → where it is in the store. Every key the
    /// render reads (`secret.apiKeyKey`, `secret.redisPasswordKey`) needs one. Default: none.
    pub data: BTreeMap<String, RemoteRef>,
}

/// A SecretStore or ClusterSecretStore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct StoreRef {
    /// `SecretStore` (in the namespace) or `ClusterSecretStore`. Default: `SecretStore`.
    pub kind: StoreKind,
    /// Its name (required when enabled). Default: empty.
    pub name: String,
}

/// Store kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum StoreKind {
    /// A store in the deployment's namespace.
    SecretStore,
    /// A cluster-wide store.
    ClusterSecretStore,
}

/// Where one secret value is in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteRef {
    /// The key (path) in the store.
    pub key: String,
    /// A property inside that key's value (e.g. a JSON field). Default: unset.
    pub property: Option<String>,
}

impl Default for Keda {
    fn default() -> Self {
        Keda {
            enabled: false,
            polling_interval: 30,
            cooldown_period: 300,
            fallback: KedaFallback::default(),
            prometheus: KedaPrometheus::default(),
            redis_list: KedaRedisList::default(),
            triggers: BTreeMap::new(),
            operator_namespace: "keda".into(),
            idle_replica_count: None,
            authentications: BTreeMap::new(),
        }
    }
}

impl Default for KedaFallback {
    fn default() -> Self {
        KedaFallback {
            failure_threshold: 3,
            replicas: None,
        }
    }
}

impl Default for KedaPrometheus {
    fn default() -> Self {
        KedaPrometheus {
            enabled: true,
            server_address: None,
            query: None,
            threshold: "100".into(),
        }
    }
}

impl Default for KedaRedisList {
    fn default() -> Self {
        KedaRedisList {
            enabled: false,
            list_name: "agent-tasks".into(),
            list_length: "10".into(),
            authentication_ref: None,
        }
    }
}

impl Default for ExternalSecret {
    fn default() -> Self {
        ExternalSecret {
            enabled: false,
            store_ref: StoreRef::default(),
            refresh_interval: "1h".into(),
            data: BTreeMap::new(),
        }
    }
}

impl Default for StoreRef {
    fn default() -> Self {
        StoreRef {
            kind: StoreKind::SecretStore,
            name: String::new(),
        }
    }
}
