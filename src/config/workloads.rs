//! The workloads: the agent Deployment and its parts (replicas, resources, probes, rollout,
//! storage, settings), and the parts the Redis StatefulSet shares with it (`redis`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::INT32_MAX;
use super::fit::{
    AgentService, AgentStorage, EnvFrom, EnvValue, NodeAffinityRule, ServiceAccount, Toleration,
    TopologySpread, ZoneSpread,
};
use super::probe::Probe;

/// The agent workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Agent {
    /// Container image, `registry/repository:tag` or pinned `registry/repository@sha256:<digest>`.
    /// Pin by digest in production. Default: `your-registry/production-agent:v1.0.0`.
    pub image: String,
    /// Image pull policy. Default (unset): `Always` for an image pinned by tag, so a re-pushed
    /// tag is never served stale from a node's cache; `IfNotPresent` for one pinned by digest.
    pub image_pull_policy: Option<PullPolicy>,
    /// Replica bounds. With autoscaling on they are the HPA's `minReplicas`/`maxReplicas` and
    /// the Deployment leaves `spec.replicas` to the HPA; with it off, `min` is the fixed count.
    /// Default: 3–10.
    pub replicas: Replicas,
    /// Container port serving the API (and, unless `metricsPort` is set, the metrics); the
    /// Service `agent-service` exposes it under the same number. Default: `8000`.
    pub port: u16,
    /// HTTP path of the health endpoint, probed by all three probes on `port` (a probe's own
    /// `path` overrides it). Default: `/health`.
    pub health_path: String,
    /// A separate port for the metrics endpoint (path: `monitoring.serviceMonitor.path`); the
    /// Service exposes it as `metrics`, the ServiceMonitor scrapes it and the NetworkPolicy
    /// admits Prometheus to it only. Unset: metrics are served on `port`. Default: unset.
    pub metrics_port: Option<u16>,
    /// CPU and memory requests and limits. Default: requests 500m/1Gi, limits 2000m/2Gi.
    pub resources: Resources,
    /// Liveness, readiness and startup probes: an HTTP GET of `healthPath` on `port` unless
    /// a probe names its own handler (`httpGet` with its `scheme`, `tcpSocket`, `grpc`,
    /// `exec`), the one probe type of sidecars too.
    pub probes: Probes,
    /// Rolling update: extra pods during an update and pods that may be unavailable.
    /// Default: maxSurge 1, maxUnavailable 0 (zero downtime).
    pub rolling_update: RollingUpdate,
    /// Pod anti-affinity across nodes: `none`, `preferred` (spread when possible) or `required`
    /// (never two agent pods on one node). Default: `preferred`.
    pub anti_affinity: AntiAffinity,
    /// Node labels the agent pods must run on, e.g. `node-type: high-performance`; a later
    /// layer removes one with `null`. Default: none.
    pub node_selector: BTreeMap<String, String>,
    /// Node affinity rules by a name of your choosing (the name lets a later layer change or
    /// remove one with `null`). Default: none.
    pub node_affinity: BTreeMap<String, NodeAffinityRule>,
    /// Tolerations of node taints, e.g. a dedicated pool tainted `dedicated=agents:NoSchedule`
    /// (add a `nodeSelector` to also keep the pods on it). A list: a layer replaces it whole.
    /// Default: none.
    pub tolerations: Vec<Toleration>,
    /// Spread agent pods over zones (`topology.kubernetes.io/zone`): `none`, `preferred` or
    /// `required`. Default: `none`.
    pub zone_spread: ZoneSpread,
    /// Further topology spread constraints over the agent pods, in full. Default: none.
    pub topology_spread_constraints: Vec<TopologySpread>,
    /// PriorityClass of the agent pods (it must exist). Default: unset.
    pub priority_class_name: Option<String>,
    /// RuntimeClass of the agent pods, e.g. `gvisor` or `kata` (it must exist). Default: unset.
    pub runtime_class_name: Option<String>,
    /// `false` runs the agent pods in a user namespace of their own (`hostUsers: false`,
    /// KEP-127): a process that is root in the container is no user of the node. Needs
    /// Kubernetes 1.33 or newer (beta, on by default; checked against `kubeVersion`) and a
    /// node runtime and filesystem that support it. Unset: the node's user namespace.
    pub host_users: Option<bool>,
    /// DNS settings of the agent pods (`dnsConfig`), merged with the cluster's (`dnsPolicy:
    /// ClusterFirst`): extra `nameservers` (IP addresses, at most 3), `searches` (domains, at
    /// most 32), `options` (`ndots: "2"`; `""` for a bare option such as
    /// `single-request-reopen`). Default: unset.
    pub dns_config: Option<super::DnsConfig>,
    /// Annotations on the agent pods (e.g. for a log or metrics agent); `checksum/config` is
    /// agentctl's. Default: none.
    pub pod_annotations: BTreeMap<String, String>,
    /// Extra labels on the agent pods (not in the selector); the `app.kubernetes.io/*` labels
    /// agentctl sets and the `kubernetes.io`/`k8s.io` prefixes are reserved. Default: none.
    pub pod_labels: BTreeMap<String, String>,
    /// Secrets (`kubernetes.io/dockerconfigjson`) to pull the image with, by name. Default: none.
    pub image_pull_secrets: Vec<String>,
    /// The ServiceAccount the agent runs as (`rbac.yaml`): its name, annotations for
    /// workload identity, or an existing one.
    pub service_account: ServiceAccount,
    /// The Service `agent-service`.
    pub service: AgentService,
    /// Extra environment variables by name: a literal string, or `{secretKey: KEY}` (a key of
    /// the agent Secret), `{secret: NAME, key: KEY}`, `{configMap: NAME, key: KEY}`. They win
    /// over the ConfigMap and `envFrom`. Default: none.
    pub env: BTreeMap<String, EnvValue>,
    /// Whole existing Secrets or ConfigMaps as variables: `{secret: NAME}` or
    /// `{configMap: NAME}`, with an optional `prefix`. Default: none.
    pub env_from: Vec<EnvFrom>,
    /// User, group and filesystem group the containers run as (non-root; ≥ 10000 keeps
    /// clear of host users), for the agent, its sidecars and init containers. `null` leaves
    /// `runAsUser`, `runAsGroup` and `fsGroup` unset for the platform to assign (OpenShift's
    /// `restricted-v2` SCC picks them from the namespace's range and refuses a pod that names
    /// others); `runAsNonRoot: true` and the rest of the hardened context stay, so the image's
    /// `USER` must then be numeric and not 0 wherever nothing assigns one. Default: `10001`.
    pub run_as_user: Option<u32>,
    /// Seconds a pod gets to finish in-flight work on shutdown, counted from the start of
    /// the `preStop` hooks (`agent.lifecycle`, a sidecar's `lifecycle`): after it, SIGKILL.
    /// Default: `30`.
    #[schemars(range(max = INT32_MAX))]
    pub termination_grace_period_seconds: u32,
    /// Where the kubelet reads a stopped container's termination message (the reason `kubectl
    /// describe pod` shows), for the agent, its sidecars and init containers: `File` (the
    /// file `/dev/termination-log`, Kubernetes' default) or `FallbackToLogsOnError` (the last
    /// lines of the log when the file is empty and the container failed: a crash's stack
    /// trace). Unset: Kubernetes' default, `File`.
    pub termination_message_policy: Option<TerminationMessagePolicy>,
    /// The agent container's lifecycle hooks: `preStop`, e.g. `{preStop: {sleep: 5}}` so a
    /// stopping pod keeps serving while it leaves the Service's endpoints. Default: none.
    pub lifecycle: super::Lifecycle,
    /// Size limit of the writable `/tmp` (an emptyDir; the root filesystem is read-only).
    /// Default: `1Gi`.
    #[schemars(with = "super::Quantity")]
    pub tmp_size_limit: String,
    /// The data volume at `/app/data`: per-pod `emptyDir` (default), the shared PVC
    /// `agent-data-pvc`, or none.
    pub storage: AgentStorage,
    /// Agent settings, rendered into the ConfigMap `agent-config` and read as environment
    /// variables. A change rolls the pods (checksum annotation on the pod template).
    pub config: AgentSettings,
    /// Containers beside the agent, by name: a log shipper, an OpenTelemetry Collector, an
    /// auth proxy (`native: true` makes one a native sidecar). They run with the agent's
    /// hardened security context. Default: none.
    pub sidecars: BTreeMap<String, super::Container>,
    /// Containers that run to completion before the agent starts, by name, in the order of
    /// their `order` field (then by name; see `order`). Default: none.
    pub init_containers: BTreeMap<String, super::Container>,
    /// Volumes of the agent pod, by name: exactly one source each (`configMap`, `secret`,
    /// `emptyDir`, `persistentVolumeClaim`, `csi`, `projected`), mounted in the agent at
    /// `mountPath` and in sidecars through their `mounts`. `tmp` and `data` are the agent's
    /// own. Default: none.
    pub volumes: BTreeMap<String, super::Volume>,
    /// Extra named ports of the agent container (`http` and `metrics` are agentctl's), each
    /// let in by the NetworkPolicy (`from`) and, with `service: true`, exposed on
    /// `agent-service`. Default: none.
    pub ports: BTreeMap<String, super::Port>,
}

impl Default for Agent {
    fn default() -> Self {
        Agent {
            image: "your-registry/production-agent:v1.0.0".into(),
            image_pull_policy: None,
            replicas: Replicas { min: 3, max: 10 },
            port: 8000,
            health_path: "/health".into(),
            metrics_port: None,
            resources: Resources::new("500m", "1Gi", "2000m", "2Gi"),
            probes: Probes::default(),
            rolling_update: RollingUpdate::default(),
            anti_affinity: AntiAffinity::Preferred,
            node_selector: BTreeMap::new(),
            node_affinity: BTreeMap::new(),
            tolerations: Vec::new(),
            zone_spread: ZoneSpread::None,
            topology_spread_constraints: Vec::new(),
            priority_class_name: None,
            runtime_class_name: None,
            host_users: None,
            dns_config: None,
            pod_annotations: BTreeMap::new(),
            pod_labels: BTreeMap::new(),
            image_pull_secrets: Vec::new(),
            service_account: ServiceAccount::default(),
            service: AgentService::default(),
            env: BTreeMap::new(),
            env_from: Vec::new(),
            run_as_user: Some(10001),
            termination_grace_period_seconds: 30,
            termination_message_policy: None,
            lifecycle: super::Lifecycle::default(),
            tmp_size_limit: "1Gi".into(),
            storage: AgentStorage::default(),
            config: AgentSettings::default(),
            sidecars: BTreeMap::new(),
            init_containers: BTreeMap::new(),
            volumes: BTreeMap::new(),
            ports: BTreeMap::new(),
        }
    }
}

/// Where a stopped container's termination message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TerminationMessagePolicy {
    /// The file `/dev/termination-log` only.
    File,
    /// The file, else the end of the container's log when it failed.
    FallbackToLogsOnError,
}

/// Image pull policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    /// Always pull.
    Always,
    /// Pull when the image is not on the node.
    IfNotPresent,
    /// Never pull.
    Never,
}

/// Replica bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Replicas {
    /// Minimum (and, without autoscaling, fixed) number of agent pods. Default: `3`. At least
    /// 1: to stop every pod while there is no work, use KEDA's scale to zero
    /// (`keda.idleReplicaCount: 0`), with which this stays the fewest pods while there is.
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub min: u32,
    /// Maximum number of agent pods the HPA may scale to. Default: `10`.
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub max: u32,
}

impl Default for Replicas {
    fn default() -> Self {
        Replicas { min: 3, max: 10 }
    }
}

/// Requests and limits of one container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves for the container.
    pub requests: Compute,
    /// The most the container may use (CPU is throttled, memory is OOM-killed, past its
    /// `ephemeral-storage` the pod is evicted).
    pub limits: Limits,
}

impl Resources {
    pub(crate) fn new(req_cpu: &str, req_mem: &str, lim_cpu: &str, lim_mem: &str) -> Self {
        Resources {
            requests: Compute {
                cpu: req_cpu.into(),
                memory: req_mem.into(),
                ephemeral_storage: None,
            },
            limits: Limits {
                cpu: Some(lim_cpu.into()),
                memory: lim_mem.into(),
                ephemeral_storage: None,
            },
        }
    }
}

/// CPU and memory (and, optionally, local disk) as Kubernetes quantities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Compute {
    /// CPU quantity: cores (`2`, `.5`) or millicores (`500m`).
    #[schemars(with = "super::Quantity")]
    pub cpu: String,
    /// Memory quantity in bytes with a binary (`Mi`, `Gi`) or decimal (`M`, `G`) suffix.
    #[schemars(with = "super::Quantity")]
    pub memory: String,
    /// Local disk (`ephemeral-storage`: the container's writable layer, its logs and its
    /// `emptyDir` volumes not in memory), a byte quantity such as `1Gi`. Unset: none.
    #[serde(rename = "ephemeral-storage")]
    #[schemars(with = "Option<super::Quantity>")]
    pub ephemeral_storage: Option<String>,
}

/// A container's limits: memory always; CPU unless `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// CPU quantity: cores (`2`, `.5`) or millicores (`500m`). `null`: no CPU limit (the
    /// container may use its node's idle CPU, never throttled; its request still reserves its
    /// share). With the namespace quota on, the ResourceQuota then counts no `limits.cpu` and
    /// the LimitRange sets no default CPU limit: either would refuse the pod or impose a limit
    /// on it.
    #[schemars(with = "Option<super::Quantity>")]
    pub cpu: Option<String>,
    /// Memory quantity in bytes with a binary (`Mi`, `Gi`) or decimal (`M`, `G`) suffix.
    #[schemars(with = "super::Quantity")]
    pub memory: String,
    /// Local disk (`ephemeral-storage`), a byte quantity such as `2Gi`: past it the kubelet
    /// evicts the pod. Unset: none.
    #[serde(rename = "ephemeral-storage")]
    #[schemars(with = "Option<super::Quantity>")]
    pub ephemeral_storage: Option<String>,
}

/// The three probes of the agent container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Probes {
    /// Restarts the container when it stops answering. Default: `healthPath` every 10s, timeout 5s, 3 failures.
    pub liveness: Probe,
    /// Takes the pod out of the Service while it cannot serve. Default: `healthPath` every 5s, timeout 3s, 3 failures.
    pub readiness: Probe,
    /// Holds the other probes until the agent has started. Default: `healthPath` every 5s, timeout 3s, 30 failures (150s).
    pub startup: Probe,
}

impl Default for Probes {
    fn default() -> Self {
        Probes {
            liveness: Probe::new(10, 5, 3),
            readiness: Probe::new(5, 3, 3),
            startup: Probe::new(5, 3, 30),
        }
    }
}

/// Rolling update parameters: an absolute number of pods or a percentage such as `25%`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RollingUpdate {
    /// Pods created above the desired count during an update. Default: `1`.
    pub max_surge: IntOrPercent,
    /// Pods that may be unavailable during an update. Default: `0`.
    pub max_unavailable: IntOrPercent,
}

impl Default for RollingUpdate {
    fn default() -> Self {
        RollingUpdate {
            max_surge: IntOrPercent::Int(1),
            max_unavailable: IntOrPercent::Int(0),
        }
    }
}

/// A count of pods (`1`) or a percentage of the desired count (`"25%"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IntOrPercent {
    /// An absolute number of pods.
    Int(#[schemars(range(max = INT32_MAX))] u32),
    /// A percentage, written `N%` with N from 0 to 100.
    Percent(String),
}

/// Pod anti-affinity mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AntiAffinity {
    /// No anti-affinity.
    None,
    /// Prefer spreading agent pods over nodes (scheduling never blocks on it).
    Preferred,
    /// Never schedule two agent pods on the same node.
    Required,
}

/// A PersistentVolumeClaim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    /// Requested size, a memory-style quantity such as `10Gi`.
    #[schemars(with = "super::Quantity")]
    pub size: String,
    /// StorageClass name; unset uses the cluster's default class.
    pub storage_class: Option<String>,
    /// Access mode. `ReadWriteMany` lets agent pods on several nodes share the volume;
    /// `ReadWriteOnce` only suits a single replica (or a single node).
    pub access_mode: AccessMode,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            size: "10Gi".into(),
            storage_class: None,
            access_mode: AccessMode::ReadWriteOnce,
        }
    }
}

/// Volume access mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AccessMode {
    /// Mounted read-write by a single node.
    ReadWriteOnce,
    /// Mounted read-write by a single pod.
    ReadWriteOncePod,
    /// Mounted read-write by many nodes.
    ReadWriteMany,
}

/// Settings the agent reads from the ConfigMap `agent-config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentSettings {
    /// `LOG_LEVEL`. Default: `INFO`.
    pub log_level: LogLevel,
    /// `ENVIRONMENT`, e.g. `production`, `staging`, `development`. Default: `production`.
    pub environment: String,
    /// `MAX_RETRIES`: retries of a failed model call. Default: `3`.
    pub max_retries: u32,
    /// `CIRCUIT_BREAKER_THRESHOLD`: consecutive failures that open the circuit. Default: `5`.
    pub circuit_breaker_threshold: u32,
    /// `TOKEN_BUDGET_PER_REQUEST`: token budget of one request. Default: `10000`.
    pub token_budget_per_request: u32,
    /// Further settings, added to the ConfigMap verbatim: keys are environment variable
    /// names (`[A-Za-z_][A-Za-z0-9_]*`), values are strings (quote `"on"`, `"012"`, ...).
    pub extra: BTreeMap<String, String>,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            log_level: LogLevel::Info,
            environment: "production".into(),
            max_retries: 3,
            circuit_breaker_threshold: 5,
            token_budget_per_request: 10000,
            extra: BTreeMap::new(),
        }
    }
}

/// Log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Everything, for development.
    Debug,
    /// Normal operation (default).
    Info,
    /// Unexpected but handled events.
    Warning,
    /// Failures only.
    Error,
}
