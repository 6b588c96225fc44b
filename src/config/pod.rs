//! The agent pod's extra parts, typed so that what depends on them follows: sidecars and init
//! containers (`agent.sidecars`, `agent.initContainers`), volumes (`agent.volumes`), extra
//! named ports (`agent.ports`) and the NetworkPolicy's own rules (`networkPolicy.ingressFrom`,
//! `networkPolicy.egressTo`).
//!
//! Part of the typed contract (see the parent module): plain data with documentation and
//! defaults, no I/O. Every collection is a map keyed by a name (the container's, the volume's,
//! the port's, the rule's) so that a later layer can change or remove (`null`) one entry; the
//! rendered order is the names' order (init containers: `order`, then the name), never the
//! order of the YAML map.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::INT32_MAX;
use super::exposure::PortService;
use super::fit::EnvValue;
use super::workloads::{PullPolicy, Resources};

/// A container beside the agent: a sidecar (`agent.sidecars`) or an init container
/// (`agent.initContainers`). It runs with the agent's hardened security context (non-root as
/// `agent.runAsUser`, read-only root filesystem, no privilege escalation, every capability
/// dropped, `RuntimeDefault` seccomp), so Pod Security `restricted` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Container {
    /// Container image, `registry/repository:tag` or `registry/repository@sha256:<digest>`.
    /// Required.
    pub image: String,
    /// Image pull policy. Default (unset): `agent.imagePullPolicy` when that is set; else
    /// `Always` for an image pinned by tag, `IfNotPresent` for one pinned by digest (as the
    /// agent's).
    pub image_pull_policy: Option<PullPolicy>,
    /// Init containers only: where it runs among the pod's init containers, lower first
    /// (native sidecars included); at equal `order`, native sidecars first, then by name. The
    /// order of the YAML map never matters (layers merge key by key). Default: `0`.
    #[schemars(range(min = -1000, max = 1000))]
    pub order: i32,
    /// Sidecars only: run as a native sidecar (an init container with `restartPolicy: Always`,
    /// Kubernetes 1.29 or later): it starts before the agent and the init containers ordered
    /// after it, and stops after the agent. Default: `false` (a regular container).
    pub native: bool,
    /// The entrypoint (the image's `ENTRYPOINT` when unset). Default: none.
    pub command: Vec<String>,
    /// Arguments (the image's `CMD` when unset). Default: none.
    pub args: Vec<String>,
    /// Environment variables by name, in the forms of `agent.env`: a literal string, or
    /// `{secretKey: KEY}` (a key of the agent Secret), `{secret: NAME, key: KEY}`,
    /// `{configMap: NAME, key: KEY}`. Default: none.
    pub env: BTreeMap<String, EnvValue>,
    /// Named container ports (see `agent.ports`; the same fields). A port used only inside the
    /// pod (over localhost) needs no entry. Default: none.
    pub ports: BTreeMap<String, Port>,
    /// CPU and memory requests and limits (counted by the quota: sidecars add to the pod, an
    /// init container counts while it runs). Default: requests 50m/64Mi, limits 200m/256Mi.
    pub resources: Resources,
    /// Volumes mounted in this container, by volume name: one of `agent.volumes`, or the
    /// agent's own `tmp` and `data`. Default: none.
    pub mounts: BTreeMap<String, Mount>,
    /// Probes (sidecars only; for a native sidecar `startup`, `liveness` and `readiness` all
    /// apply). Default: none.
    pub probes: ContainerProbes,
    /// Sidecars only: what runs when the container is stopped (`lifecycle.preStop`), as
    /// `agent.lifecycle`. Default: nothing (the container gets SIGTERM at once).
    pub lifecycle: Lifecycle,
    /// User and group the container runs as (non-root). Default: `agent.runAsUser`.
    pub run_as_user: Option<u32>,
    /// Mount the root filesystem read-only (mount an emptyDir where it writes). Default:
    /// `true`.
    pub read_only_root_filesystem: bool,
}

impl Default for Container {
    fn default() -> Self {
        Container {
            image: String::new(),
            image_pull_policy: None,
            order: 0,
            native: false,
            command: Vec::new(),
            args: Vec::new(),
            env: BTreeMap::new(),
            ports: BTreeMap::new(),
            resources: Resources::new("50m", "64Mi", "200m", "256Mi"),
            mounts: BTreeMap::new(),
            probes: ContainerProbes::default(),
            lifecycle: Lifecycle::default(),
            run_as_user: None,
            read_only_root_filesystem: true,
        }
    }
}

/// A container's lifecycle hooks (`agent.lifecycle`, a sidecar's `lifecycle`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Lifecycle {
    /// Runs when the pod is stopped (a rollout, a scale-down, a drain), before the container
    /// gets SIGTERM: `{sleep: 5}` holds the container while the endpoints controller and the
    /// load balancers stop sending it new requests, so none arrives after it stopped
    /// listening; `{exec: [/app/drain]}` runs a command of the image. The hook counts against
    /// `agent.terminationGracePeriodSeconds`: a `sleep` must be below it. Default: none (SIGTERM
    /// at once).
    pub pre_stop: Option<Hook>,
}

/// A lifecycle hook: exactly one of `exec` and `sleep`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Hook {
    /// A command run in the container (no shell unless you name one), e.g.
    /// `[/bin/sh, -c, "sleep 5; /app/drain"]`. The kubelet waits for it, up to the grace
    /// period.
    pub exec: Option<Vec<String>>,
    /// Seconds the kubelet waits before SIGTERM, with no command in the image (Kubernetes
    /// 1.30 or later, `kubeVersion`); below `agent.terminationGracePeriodSeconds`.
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub sleep: Option<u32>,
}

/// Where a volume is mounted in a container.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Mount {
    /// Absolute path in the container, e.g. `/etc/otelcol`. Required.
    pub mount_path: String,
    /// Mount read-only. Default (unset): `true` for `configMap`, `secret`, `projected` and
    /// `csi` volumes, `false` for `emptyDir` and `persistentVolumeClaim` ones.
    pub read_only: Option<bool>,
    /// Mount only this file or directory of the volume. Default: the whole volume.
    pub sub_path: Option<String>,
}

/// The probes of a sidecar; each is optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerProbes {
    /// Restarts the container when it fails.
    pub liveness: Option<ContainerProbe>,
    /// Takes the pod out of the Service while it fails.
    pub readiness: Option<ContainerProbe>,
    /// Holds the other probes until it succeeds.
    pub startup: Option<ContainerProbe>,
}

/// One probe: exactly one of `httpGet`, `tcpSocket`, `grpc` and `exec`, and its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerProbe {
    /// An HTTP GET on the container: `{path: /healthz, port: 13133}` (port by number or name).
    pub http_get: Option<HttpGet>,
    /// A TCP connection: `{port: 4317}`.
    pub tcp_socket: Option<ProbePort>,
    /// A gRPC health check: `{port: 9000}` (by number).
    pub grpc: Option<GrpcProbe>,
    /// A command run in the container; exit 0 is healthy.
    pub exec: Option<Vec<String>>,
    /// Seconds after container start before the first probe. Default: `0`.
    #[schemars(range(max = INT32_MAX))]
    pub initial_delay_seconds: u32,
    /// Seconds between probes. Default: `10`, or one more than a `timeoutSeconds` you write
    /// that is not below it.
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub period_seconds: u32,
    /// Seconds a probe may take; must be below `periodSeconds`. Default: `5`, or one less than
    /// a `periodSeconds` you write that is not above it (at least 1).
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub timeout_seconds: u32,
    /// Consecutive failures before the probe counts as failed. Default: `3`.
    #[schemars(range(min = 1, max = INT32_MAX))]
    pub failure_threshold: u32,
}

impl Default for ContainerProbe {
    fn default() -> Self {
        ContainerProbe {
            http_get: None,
            tcp_socket: None,
            grpc: None,
            exec: None,
            initial_delay_seconds: 0,
            period_seconds: 10,
            timeout_seconds: 5,
            failure_threshold: 3,
        }
    }
}

/// An HTTP probe's target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpGet {
    /// HTTP path, e.g. `/healthz`. Default: `/`.
    pub path: String,
    /// Port, by number or by the name of one of the container's `ports`. Required.
    pub port: PortValue,
}

impl Default for HttpGet {
    fn default() -> Self {
        HttpGet {
            path: "/".into(),
            port: PortValue::Number(0),
        }
    }
}

/// A TCP probe's port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProbePort {
    /// Port, by number or by the name of one of the container's `ports`. Required.
    pub port: PortValue,
}

impl Default for ProbePort {
    fn default() -> Self {
        ProbePort {
            port: PortValue::Number(0),
        }
    }
}

/// A gRPC probe's port and service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcProbe {
    /// Port number (gRPC probes take no port name). Required.
    pub port: u16,
    /// Service name sent in the health check request. Default: none.
    pub service: Option<String>,
}

/// A port by number or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PortValue {
    /// A port number, 1-65535.
    Number(u16),
    /// A port name (`IANA_SVC_NAME`: at most 15 lowercase letters, digits and '-').
    Name(String),
}

impl std::fmt::Display for PortValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortValue::Number(n) => write!(f, "{n}"),
            PortValue::Name(s) => f.write_str(s),
        }
    }
}

/// A named port of the agent container (`agent.ports`) or of a sidecar (`ports`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Port {
    /// Port number the container listens on, 1-65535. Required.
    pub port: u16,
    /// `TCP`, `UDP` or `SCTP`. Default: `TCP`.
    pub protocol: Protocol,
    /// Application protocol, e.g. `grpc`, `http`, `kubernetes.io/h2c` (set on the Service
    /// port, for load balancers and meshes). Default: unset.
    pub app_protocol: Option<String>,
    /// `true`: expose the port on the Service `agent-service` (same number and name); a map:
    /// on a Service of its own, `agent-service-<name>`, with this port alone (`type`,
    /// `annotations`, `loadBalancerSourceRanges`, `externalTrafficPolicy`), e.g. a public UDP
    /// load balancer while the HTTP API stays cluster-internal. Default: `false`.
    pub service: PortService,
    /// Who the NetworkPolicy lets in: `callers` (where the agent's main port is reachable
    /// from: the agent's namespace, `networkPolicy.ingressNamespaces`, the ingress controller,
    /// the gateway) or `ingressFrom` (only the `networkPolicy.ingressFrom` rules that list the
    /// port). Default: `callers`.
    pub from: PortFrom,
}

impl Default for Port {
    fn default() -> Self {
        Port {
            port: 0,
            protocol: Protocol::Tcp,
            app_protocol: None,
            service: PortService::Shared(false),
            from: PortFrom::Callers,
        }
    }
}

/// Who the NetworkPolicy lets in on an extra port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PortFrom {
    /// The sources of the agent's main port.
    Callers,
    /// Only the `networkPolicy.ingressFrom` rules that list this port.
    IngressFrom,
}

/// A transport protocol.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Protocol {
    /// TCP.
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

/// A volume of the agent pod (`agent.volumes`): exactly one source, and where the agent
/// container mounts it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Volume {
    /// An existing ConfigMap's keys as files: `{name: agent-prompts}`.
    pub config_map: Option<KeysVolume>,
    /// An existing Secret's keys as files: `{name: tls-client}`.
    pub secret: Option<KeysVolume>,
    /// Scratch space of the pod, gone with it: `{}` or `{sizeLimit: 1Gi}`.
    pub empty_dir: Option<EmptyDir>,
    /// An existing PersistentVolumeClaim: `{claimName: models-cache}`.
    pub persistent_volume_claim: Option<ClaimVolume>,
    /// A CSI driver's inline volume, e.g. the Secrets Store CSI driver.
    pub csi: Option<CsiVolume>,
    /// Several sources in one directory (ConfigMaps, Secrets, a service account token).
    pub projected: Option<Projected>,
    /// Where the agent container mounts it, an absolute path such as `/app/prompts`. Unset:
    /// not mounted in the agent (only by the sidecars that list it in `mounts`).
    pub mount_path: Option<String>,
    /// Mount it read-only in the agent. Default (unset): `true` for `configMap`, `secret`,
    /// `projected` and `csi`, `false` for `emptyDir` and `persistentVolumeClaim`.
    pub read_only: Option<bool>,
}

impl Volume {
    /// The sources set, by their field names.
    pub fn sources(&self) -> Vec<&'static str> {
        [
            ("configMap", self.config_map.is_some()),
            ("secret", self.secret.is_some()),
            ("emptyDir", self.empty_dir.is_some()),
            (
                "persistentVolumeClaim",
                self.persistent_volume_claim.is_some(),
            ),
            ("csi", self.csi.is_some()),
            ("projected", self.projected.is_some()),
        ]
        .into_iter()
        .filter_map(|(n, set)| set.then_some(n))
        .collect()
    }

    /// Whether a mount of it is read-only when the mount does not say.
    pub fn read_only_by_default(&self) -> bool {
        self.empty_dir.is_none() && self.persistent_volume_claim.is_none()
    }
}

/// A ConfigMap or Secret as files.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KeysVolume {
    /// Name of the existing ConfigMap or Secret (a prerequisite agentctl prints).
    pub name: String,
    /// Only these keys, each as the relative file path given (`{system.md: prompts/system.md}`).
    /// Default: every key, as a file of its name.
    pub items: BTreeMap<String, String>,
    /// Start the pod even when it is missing. Default: `false`.
    pub optional: bool,
}

/// An emptyDir.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct EmptyDir {
    /// `Memory` for a tmpfs (counted against the container's memory limit). Default: the
    /// node's disk.
    pub medium: Option<EmptyDirMedium>,
    /// Most it may hold, e.g. `1Gi`. Default: no limit.
    #[schemars(with = "Option<super::Quantity>")]
    pub size_limit: Option<String>,
}

/// An emptyDir's medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum EmptyDirMedium {
    /// A tmpfs in memory.
    Memory,
}

/// An existing PersistentVolumeClaim.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ClaimVolume {
    /// Name of the claim in the agent's namespace (a prerequisite agentctl prints).
    pub claim_name: String,
}

/// A CSI inline volume.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct CsiVolume {
    /// The CSI driver, e.g. `secrets-store.csi.k8s.io`.
    pub driver: String,
    /// The driver's attributes, e.g. `{secretProviderClass: agent-vault}`. Default: none.
    pub volume_attributes: BTreeMap<String, String>,
    /// Filesystem type, e.g. `ext4`. Default: the driver's.
    pub fs_type: Option<String>,
    /// A Secret the driver reads when mounting. Default: none.
    pub node_publish_secret: Option<String>,
}

/// A projected volume's sources.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Projected {
    /// The sources, in order; each has exactly one of `configMap`, `secret` and
    /// `serviceAccountToken`.
    pub sources: Vec<ProjectedSource>,
}

/// One source of a projected volume.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ProjectedSource {
    /// An existing ConfigMap's keys.
    pub config_map: Option<KeysVolume>,
    /// An existing Secret's keys.
    pub secret: Option<KeysVolume>,
    /// A token of the agent's ServiceAccount for an audience, e.g. a vault's.
    pub service_account_token: Option<TokenProjection>,
}

/// A projected ServiceAccount token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct TokenProjection {
    /// Who the token is for, e.g. `vault`. Default: the API server.
    pub audience: Option<String>,
    /// Lifetime requested, at least 600. Default: `3600`.
    #[schemars(range(min = 600, max = INT32_MAX))]
    pub expiration_seconds: u32,
    /// File name in the volume. Default: `token`.
    pub path: String,
}

impl Default for TokenProjection {
    fn default() -> Self {
        TokenProjection {
            audience: None,
            expiration_seconds: 3600,
            path: "token".into(),
        }
    }
}

/// One NetworkPolicy rule of `networkPolicy.ingressFrom` (who may call the agent) or
/// `networkPolicy.egressTo` (what the agent may reach), under a name of your choosing. Peers:
/// `cidr` (with `except`), or `namespaces` and/or `pods` (label selectors: `pods` alone means
/// pods in the agent's namespace, `namespaces` alone every pod in those namespaces, both the
/// matching pods in the matching namespaces).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyRule {
    /// Namespace labels, e.g. `{kubernetes.io/metadata.name: models}`; `{}` is every
    /// namespace (in `ingressFrom`, lint warns: AGT135).
    pub namespaces: Option<BTreeMap<String, String>>,
    /// Pod labels, e.g. `{app.kubernetes.io/name: vllm}`.
    pub pods: Option<BTreeMap<String, String>>,
    /// Addresses, e.g. `10.20.0.0/16` (not with `namespaces`/`pods`).
    pub cidr: Option<String>,
    /// Addresses within `cidr` left out, e.g. `[10.20.5.0/24]`. Default: none.
    pub except: Vec<String>,
    /// Ports, by number (`8000`), name (`grpc`) or `{port: 53, protocol: UDP}`. `ingressFrom`:
    /// the agent pod's ports (a name is one of its ports), default the agent's `port`;
    /// `egressTo`: the destination's ports, at least one (a rule without ports would open
    /// every port).
    pub ports: Vec<RulePort>,
}

/// A port of a NetworkPolicy rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RulePort {
    /// A TCP port, by number or name.
    Port(PortValue),
    /// A port and its protocol.
    Spec(RulePortSpec),
}

impl RulePort {
    /// The port and its protocol.
    pub fn parts(&self) -> (&PortValue, Protocol) {
        match self {
            RulePort::Port(p) => (p, Protocol::Tcp),
            RulePort::Spec(s) => (&s.port, s.protocol),
        }
    }
}

/// A port with its protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RulePortSpec {
    /// Port number or name. Required.
    pub port: PortValue,
    /// `TCP`, `UDP` or `SCTP`. Default: `TCP`.
    pub protocol: Protocol,
}

impl Default for RulePortSpec {
    fn default() -> Self {
        RulePortSpec {
            port: PortValue::Number(0),
            protocol: Protocol::Tcp,
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        })
    }
}
