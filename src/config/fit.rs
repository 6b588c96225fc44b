//! The settings that fit agentctl's deployment to a real agent image and cluster: environment
//! from Secrets and ConfigMaps, workload identity, scheduling, pod metadata, exposure through an
//! Ingress or a Gateway API HTTPRoute, a managed Redis and the agent's data volume.
//!
//! Part of the typed contract (see the parent module): plain data with documentation and
//! defaults, no I/O. Maps keyed by a name (`env`, `nodeAffinity`, annotations, labels) are maps
//! rather than lists so that a later layer can change or remove (`null`) one entry.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The pod-template annotation agentctl sets to the ConfigMap's hash, so a settings change
/// rolls the pods; `agent.podAnnotations` may not set it.
pub const CHECKSUM_ANNOTATION: &str = "checksum/config";

/// One environment variable of the agent container: a literal string, or a reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// A literal value, e.g. `FEATURE_X: "on"`. Settings the agent reads belong in
    /// `agent.config.extra` (the ConfigMap); a literal here suits a value that must be in the
    /// pod spec, such as one built from other variables with `$(NAME)`.
    Value(String),
    /// A value read from a Secret or ConfigMap when the pod starts.
    From(EnvSource),
}

/// Where an environment variable's value comes from: exactly one of `secretKey` (a key of the
/// agent Secret `secret.name`), `secret` + `key` (another existing Secret) or `configMap` +
/// `key` (an existing ConfigMap).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvSource {
    /// A key of the agent Secret (`secret.name`), e.g. `openai-api-key`; the printed
    /// `kubectl create secret` command then asks for it.
    pub secret_key: Option<String>,
    /// Name of another existing Secret (with `key`).
    pub secret: Option<String>,
    /// Name of an existing ConfigMap (with `key`).
    pub config_map: Option<String>,
    /// The key in `secret` or `configMap`.
    pub key: Option<String>,
    /// Start the pod even when the Secret, ConfigMap or key is missing. Default: `false`.
    pub optional: bool,
}

/// A whole Secret or ConfigMap as environment variables (`envFrom`): exactly one of `secret`
/// and `configMap`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvFrom {
    /// Name of an existing Secret; each of its keys becomes a variable.
    pub secret: Option<String>,
    /// Name of an existing ConfigMap; each of its keys becomes a variable.
    pub config_map: Option<String>,
    /// Prefix added to every variable name, e.g. `DB_`. Default: none.
    pub prefix: Option<String>,
    /// Start the pod even when it is missing. Default: `false`.
    pub optional: bool,
}

/// The agent's ServiceAccount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Render the ServiceAccount. `false` uses an existing one named `name` (created by your
    /// cloud tooling, say); the Role is still bound to it. Default: `true`.
    pub create: bool,
    /// Name of the ServiceAccount the agent pods run as. Default: `agent` (`NAME-agent` with
    /// `instance: NAME`).
    pub name: String,
    /// Annotations on the ServiceAccount: workload identity, e.g. EKS IRSA
    /// `eks.amazonaws.com/role-arn`, GKE `iam.gke.io/gcp-service-account`, Azure
    /// `azure.workload.identity/client-id` (Azure also needs the pod label
    /// `azure.workload.identity/use: "true"`, see `agent.podLabels`). Default: none.
    pub annotations: BTreeMap<String, String>,
    /// Extra labels on the ServiceAccount. Default: none.
    pub labels: BTreeMap<String, String>,
}

impl Default for ServiceAccount {
    fn default() -> Self {
        ServiceAccount {
            create: true,
            name: "agent".into(),
            annotations: BTreeMap::new(),
            labels: BTreeMap::new(),
        }
    }
}

/// The agent Service `agent-service`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentService {
    /// Annotations on the Service (e.g. for a service mesh or an internal load balancer).
    /// Default: none.
    pub annotations: BTreeMap<String, String>,
    /// Service type: `ClusterIP` (reached inside the cluster, and from outside through the
    /// `ingress` or `httpRoute` it renders), `NodePort` (a port on every node) or
    /// `LoadBalancer` (the cloud's load balancer; an internal one by its annotations in
    /// `annotations`). `NodePort` and `LoadBalancer` open the agent outside the cluster: lint
    /// AGT140 is off on purpose for `agent-service` (a note names this setting), `diff` classes
    /// the change `security`, and the NetworkPolicy still admits only the callers it lists:
    /// admit the load balancer's or the clients' addresses with `networkPolicy.ingressFrom`
    /// (`cidr`). Default: `ClusterIP`.
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    /// `ClientIP` sends each client's connections to the same agent pod (by source address;
    /// behind a proxy or load balancer that does not keep it, all clients look alike). Default:
    /// `None`.
    pub session_affinity: SessionAffinity,
    /// With `sessionAffinity: ClientIP`: seconds a client stays on its pod after its last
    /// connection (1 to 86400). Unset: Kubernetes' 10800 (3 hours).
    #[schemars(range(min = 1, max = 86400))]
    pub session_affinity_timeout_seconds: Option<u32>,
    /// With `type: LoadBalancer`: the client addresses the load balancer admits (CIDRs, e.g.
    /// `203.0.113.0/24`). The NetworkPolicy is not widened by it: admit the same addresses
    /// (with `externalTrafficPolicy: Local`) or the nodes' with `networkPolicy.ingressFrom`.
    /// Default: none (every address).
    pub load_balancer_source_ranges: Vec<String>,
    /// With `type: NodePort` or `LoadBalancer`: `Local` keeps the client's address and sends
    /// only to a node's own pods; `Cluster` spreads over every node, the client's address
    /// translated. Default: unset (Kubernetes' `Cluster`).
    pub external_traffic_policy: Option<crate::config::TrafficPolicy>,
}

/// The type of the Service `agent-service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    /// A cluster-internal address (default).
    #[default]
    ClusterIP,
    /// A port on every node, from 30000-32767.
    NodePort,
    /// A load balancer of the cloud provider (external, or internal by annotation).
    LoadBalancer,
}

/// How `agent-service` spreads a client's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum SessionAffinity {
    /// Every connection to any ready pod (default).
    #[default]
    None,
    /// A client's connections to one pod, by source address.
    #[serde(rename = "ClientIP")]
    ClientIp,
}

/// A toleration of a node taint, as in Kubernetes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key, e.g. `dedicated`. Unset with `operator: Exists` tolerates every taint.
    pub key: Option<String>,
    /// `Equal` (the taint's value must be `value`) or `Exists` (any value). Default: `Equal`.
    pub operator: TolerationOperator,
    /// Taint value, for `operator: Equal`.
    pub value: Option<String>,
    /// Taint effect: `NoSchedule`, `PreferNoSchedule` or `NoExecute`; unset matches all.
    pub effect: Option<TaintEffect>,
    /// With `NoExecute`: seconds the pod stays on a node after the taint appears; unset stays
    /// forever.
    pub toleration_seconds: Option<i64>,
}

/// Toleration operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    /// The taint's value must equal `value`.
    #[default]
    Equal,
    /// Any value of the taint key.
    Exists,
}

/// Taint effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    /// New pods are not scheduled on the node.
    NoSchedule,
    /// The scheduler avoids the node when it can.
    PreferNoSchedule,
    /// Running pods are evicted, new ones not scheduled.
    NoExecute,
}

/// Spreading agent pods over zones (`topology.kubernetes.io/zone`), the one-line choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ZoneSpread {
    /// No zone spreading (anti-affinity still spreads over nodes).
    None,
    /// Spread evenly when possible (`ScheduleAnyway`): never blocks scheduling.
    Preferred,
    /// Never one pod more in a zone than in another (`maxSkew: 1`, `DoNotSchedule`): a zone
    /// outage cannot take more than its share, but pods stay Pending when a zone is full.
    Required,
}

/// A topology spread constraint over the agent pods (the label selector is the agent's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct TopologySpread {
    /// Node label that defines the domains, e.g. `topology.kubernetes.io/zone` or
    /// `kubernetes.io/hostname`.
    pub topology_key: String,
    /// Largest allowed difference in agent pods between two domains. Default: `1`.
    #[schemars(range(min = 1, max = 2_147_483_647))]
    pub max_skew: u32,
    /// `DoNotSchedule` (a hard rule) or `ScheduleAnyway` (a preference). Default:
    /// `ScheduleAnyway`.
    pub when_unsatisfiable: WhenUnsatisfiable,
}

impl Default for TopologySpread {
    fn default() -> Self {
        TopologySpread {
            topology_key: String::new(),
            max_skew: 1,
            when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
        }
    }
}

/// What the scheduler does when a spread constraint cannot be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum WhenUnsatisfiable {
    /// Keep the pod Pending.
    DoNotSchedule,
    /// Schedule it anyway, preferring the least skewed domain.
    ScheduleAnyway,
}

/// One node affinity rule, under a name of your choosing (the name only lets a later layer
/// change or remove the rule). Without `weight` it is required (all required rules must hold);
/// with one it is a preference of that weight.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeAffinityRule {
    /// Node label key, e.g. `node.kubernetes.io/instance-type`.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt` or `Lt`. Default: `In`.
    pub operator: NodeOperator,
    /// Label values: one or more for `In`/`NotIn`, none for `Exists`/`DoesNotExist`, one
    /// integer for `Gt`/`Lt`.
    pub values: Vec<String>,
    /// 1–100: a preference of this weight; unset: a requirement.
    #[schemars(range(min = 1, max = 100))]
    pub weight: Option<u32>,
}

/// Node selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum NodeOperator {
    /// The label's value is one of `values`.
    #[default]
    In,
    /// The label's value is none of `values` (or the label is absent).
    NotIn,
    /// The node has the label.
    Exists,
    /// The node lacks the label.
    DoesNotExist,
    /// The label's value, an integer, is greater than `values[0]`.
    Gt,
    /// The label's value, an integer, is less than `values[0]`.
    Lt,
}

/// The agent's data volume at `/app/data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentStorage {
    /// `emptyDir` (each pod's own scratch space, gone with the pod), `persistentVolumeClaim`
    /// (the shared `agent-data-pvc`, which needs a `ReadWriteMany` storage class for more than
    /// one replica) or `none` (no data volume). Default: `emptyDir`: it schedules on every
    /// cluster, while most clusters (EBS, PD, Azure Disk, local-path) have no `ReadWriteMany`
    /// class and would leave every pod Pending; the system's durable state is in Redis.
    #[serde(rename = "type")]
    pub kind: DataVolume,
    /// Size: the PVC's request, or the emptyDir's `sizeLimit`. Default: `10Gi`.
    #[schemars(with = "super::Quantity")]
    pub size: String,
    /// StorageClass of the PVC; unset uses the cluster's default class.
    pub storage_class: Option<String>,
    /// Access mode of the PVC. `ReadWriteMany` lets agent pods on several nodes share it;
    /// `ReadWriteOnce` only suits a single replica. Default: `ReadWriteMany`.
    pub access_mode: super::AccessMode,
}

impl Default for AgentStorage {
    fn default() -> Self {
        AgentStorage {
            kind: DataVolume::EmptyDir,
            size: "10Gi".into(),
            storage_class: None,
            access_mode: super::AccessMode::ReadWriteMany,
        }
    }
}

/// The kind of the agent's data volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DataVolume {
    /// Per-pod scratch space (`emptyDir` with `sizeLimit: size`), lost when the pod goes.
    EmptyDir,
    /// The PersistentVolumeClaim `agent-data-pvc` (`pvc.yaml`), shared by every agent pod.
    PersistentVolumeClaim,
    /// No data volume at all.
    None,
}

/// A key of a Secret: `name` defaults to the agent Secret (`secret.name`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretKey {
    /// Secret name; unset: the agent Secret `secret.name`.
    pub name: Option<String>,
    /// Key within the Secret.
    pub key: String,
}

/// A managed Redis outside the cluster (with `redis.enabled: false`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalRedis {
    /// Host name of the managed Redis (ElastiCache, Memorystore, Azure Cache). The agent gets
    /// `REDIS_HOST`, `REDIS_PORT`, `REDIS_TLS` and `REDIS_URL` (`rediss://host:port/0` with
    /// TLS; no credentials in it).
    pub host: Option<String>,
    /// Port; with `url`, the port in it (the NetworkPolicy allows egress to this port only).
    /// Default: `6379`.
    pub port: u16,
    /// Connect with TLS (`rediss://`). Default: `true`.
    pub tls: bool,
    /// The password (or auth token), as `REDIS_PASSWORD`: a key of the agent Secret
    /// (`{key: redis-auth-token}`) or of another Secret (`{name: ..., key: ...}`). Unset: no
    /// password.
    pub password: Option<SecretKey>,
    /// Instead of `host`: the whole connection URL from a Secret, as `REDIS_URL`
    /// (`{name: redis-conn, key: url}`); agentctl then sets no other Redis variable.
    pub url: Option<SecretKey>,
    /// Addresses the agent may reach Redis at (NetworkPolicy egress, on `port` only); narrow
    /// it to the Redis subnet. Default: `0.0.0.0/0`.
    pub cidr: String,
}

impl Default for ExternalRedis {
    fn default() -> Self {
        ExternalRedis {
            host: None,
            port: 6379,
            tls: true,
            password: None,
            url: None,
            cidr: "0.0.0.0/0".into(),
        }
    }
}

/// An Ingress `agent-ingress` in front of `agent-service` (`ingress.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Ingress {
    /// Render `ingress.yaml`. Default: `false`.
    pub enabled: bool,
    /// IngressClass, e.g. `nginx`; unset uses the cluster's default class.
    pub class_name: Option<String>,
    /// Host names served, e.g. `agents.example.com` (`*.example.com` allowed); none: every
    /// host. Default: none.
    pub hosts: Vec<String>,
    /// Paths on every host sent to the agent. Default: `["/"]`.
    pub paths: Vec<String>,
    /// How `paths` match: `Prefix`, `Exact` or `ImplementationSpecific`. Default: `Prefix`.
    pub path_type: PathType,
    /// Existing TLS Secret (`kubernetes.io/tls`) for `hosts`, e.g. one cert-manager issues;
    /// unset: no TLS at the Ingress.
    pub tls_secret: Option<String>,
    /// Annotations on the Ingress (controller settings, cert-manager). Default: none.
    pub annotations: BTreeMap<String, String>,
    /// Further paths on every host of `hosts` (or on every host, with none), by a name of your
    /// choosing, each to a port of `agent-service`: `http` (the agent's) or an `agent.ports`
    /// entry with `service: true`, e.g. `websocket: {path: /ws, port: ws}`. Default: none.
    pub extra_paths: BTreeMap<String, super::IngressPath>,
    /// Further hosts, by a name of your choosing, each with its own paths, port and TLS
    /// Secret, e.g. `internal: {host: agents.corp.example.com, tlsSecret: corp-tls}`.
    /// Default: none.
    pub extra_hosts: BTreeMap<String, super::IngressHost>,
    /// Namespace of the ingress controller's pods, admitted to the agent port by the
    /// NetworkPolicy; `null` for a controller whose traffic comes from outside the cluster's
    /// pods (GKE's and AWS's load balancers reach the pods directly: admit their address
    /// ranges with `networkPolicy.ingressFrom`). Default: `ingress-nginx`.
    pub controller_namespace: Option<String>,
}

impl Default for Ingress {
    fn default() -> Self {
        Ingress {
            enabled: false,
            class_name: None,
            hosts: Vec::new(),
            paths: vec!["/".into()],
            path_type: PathType::Prefix,
            tls_secret: None,
            annotations: BTreeMap::new(),
            extra_paths: BTreeMap::new(),
            extra_hosts: BTreeMap::new(),
            controller_namespace: Some("ingress-nginx".into()),
        }
    }
}

/// Ingress path matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PathType {
    /// Path prefix, by `/`-separated elements.
    Prefix,
    /// The exact path.
    Exact,
    /// As the IngressClass defines it.
    ImplementationSpecific,
}

/// A Gateway API `HTTPRoute` `agent-route` to `agent-service` (`httproute.yaml`,
/// gateway.networking.k8s.io/v1; needs the Gateway API CRDs and a Gateway).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRoute {
    /// Render `httproute.yaml`. Default: `false`.
    pub enabled: bool,
    /// The Gateways the route attaches to (at least one).
    pub parent_refs: Vec<ParentRef>,
    /// Host names the route serves; none: every host of the Gateway's listeners.
    pub hostnames: Vec<String>,
    /// Path prefixes sent to the agent. Default: `["/"]`.
    pub paths: Vec<String>,
    /// Further rules, keyed by a name: a path to a port of `agent-service` (`http` or an
    /// `agent.ports` entry with `service: true`), e.g. `websocket: {path: /ws, port: ws}`.
    /// Default: none.
    pub extra_paths: BTreeMap<String, super::RoutePath>,
    /// Further hosts, keyed by a name: each its own HTTPRoute `agent-route-<name>` on the same
    /// Gateways (`host`, `paths`, `pathType`, `port`, `sectionName`). Default: none.
    pub extra_hosts: BTreeMap<String, super::RouteHost>,
    /// Annotations on the HTTPRoute (and each `extraHosts` route). Default: none.
    pub annotations: BTreeMap<String, String>,
    /// Namespaces of the gateway's proxy pods, admitted to the agent port by the NetworkPolicy.
    /// Unset: the `parentRefs`' namespaces (the Gateways' own, which is where most
    /// implementations run their proxies).
    pub proxy_namespaces: Option<Vec<String>>,
}

impl Default for HttpRoute {
    fn default() -> Self {
        HttpRoute {
            enabled: false,
            parent_refs: Vec::new(),
            hostnames: Vec::new(),
            paths: vec!["/".into()],
            extra_paths: BTreeMap::new(),
            extra_hosts: BTreeMap::new(),
            annotations: BTreeMap::new(),
            proxy_namespaces: None,
        }
    }
}

/// A Gateway the route attaches to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ParentRef {
    /// Gateway name.
    pub name: String,
    /// Gateway namespace; unset: the agent's namespace.
    pub namespace: Option<String>,
    /// Listener name on the Gateway, e.g. `https`; unset: every listener that allows the route.
    pub section_name: Option<String>,
    /// Listener port; unset: any.
    pub port: Option<u16>,
}

impl super::Config {
    /// The keys of the agent Secret (`secret.name`) the output references, in a stable order:
    /// the Anthropic key, the Redis password, then `agent.env` references by variable name, then
    /// the sidecars' and init containers' (by container name, then variable name).
    pub fn agent_secret_keys(&self) -> Vec<String> {
        let cfg = self;
        let mut keys: Vec<String> = Vec::new();
        let mut add = |key: &str| {
            if !keys.iter().any(|k| k == key) {
                keys.push(key.to_owned());
            }
        };
        if let Some(k) = &cfg.secret.api_key_key {
            add(k);
        }
        if cfg.redis.enabled {
            add(&cfg.secret.redis_password_key);
        } else {
            for k in [&cfg.redis.external.password, &cfg.redis.external.url]
                .into_iter()
                .flatten()
                .filter(|k| k.name.as_ref().is_none_or(|n| *n == cfg.secret.name))
            {
                add(&k.key);
            }
        }
        let a = &cfg.agent;
        let containers = a.sidecars.values().chain(a.init_containers.values());
        for (_, v) in a.env.iter().chain(containers.flat_map(|c| c.env.iter())) {
            if let EnvValue::From(src) = v
                && let Some(k) = &src.secret_key
            {
                add(k);
            }
        }
        keys
    }
}

/// A pod's DNS settings (`dnsConfig`), merged with the cluster DNS.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct DnsConfig {
    /// Name servers added to the cluster's, IP addresses (at most 3). Default: none.
    pub nameservers: Vec<String>,
    /// Search domains added to the cluster's (at most 32). Default: none.
    pub searches: Vec<String>,
    /// Resolver options by name, each with its value (`ndots: "2"`) or `""` for a bare option
    /// (`single-request-reopen: ""`). Default: none.
    pub options: BTreeMap<String, String>,
}
