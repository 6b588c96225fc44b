//! The one probe type of every container agentctl renders (issue 21): the agent's
//! (`agent.probes`, an HTTP GET of `agent.healthPath` when it names no handler) and a sidecar's
//! (`probes`, exactly one handler): `httpGet` (with its `scheme`), `tcpSocket`, `grpc`, `exec`,
//! and the timing; and a port by number or name. Types only, no I/O.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::INT32_MAX;

/// One probe of the agent container (`agent.probes`) or of a sidecar (`probes`): at most one
/// of `httpGet`, `tcpSocket`, `grpc` and `exec` (a sidecar's exactly one; the agent's none: an
/// HTTP GET of `path`, else `agent.healthPath`, on its serving port), and its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    /// The agent's probes only: the HTTP path probed on the agent port, for this probe only
    /// (`httpGet` says more: a port, a `scheme`). Default: unset, i.e. `agent.healthPath`.
    pub path: Option<String>,
    /// An HTTP GET on the container: `{path: /healthz, port: 13133}` (port by number or name;
    /// `scheme: HTTPS` for TLS).
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
    /// Seconds between probes. Default: `10` (the agent's: see `agent.probes`), or one more
    /// than a `timeoutSeconds` you write that is not below it.
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

impl Probe {
    /// A probe with no handler and this timing (the agent's defaults).
    pub fn new(period: u32, timeout: u32, failures: u32) -> Self {
        Probe {
            path: None,
            http_get: None,
            tcp_socket: None,
            grpc: None,
            exec: None,
            initial_delay_seconds: 0,
            period_seconds: period,
            timeout_seconds: timeout,
            failure_threshold: failures,
        }
    }

    /// How many handlers it names (`httpGet`, `tcpSocket`, `grpc`, `exec`).
    pub fn handlers(&self) -> usize {
        [
            self.http_get.is_some(),
            self.tcp_socket.is_some(),
            self.grpc.is_some(),
            self.exec.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

impl Default for Probe {
    fn default() -> Self {
        Probe::new(10, 5, 3)
    }
}

/// An HTTP probe's target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpGet {
    /// HTTP path, e.g. `/healthz`. Default: `/`.
    pub path: String,
    /// Port, by number or by the name of one of the container's `ports`. Required for a
    /// sidecar; the agent's unset: its serving port (`http`).
    pub port: PortValue,
    /// `HTTP` or `HTTPS` (TLS, the certificate not verified, as the kubelet probes).
    /// Default: unset (`HTTP`).
    pub scheme: Option<ProbeScheme>,
}

impl Default for HttpGet {
    fn default() -> Self {
        HttpGet {
            path: "/".into(),
            port: PortValue::Number(0),
            scheme: None,
        }
    }
}

/// The scheme of an HTTP probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ProbeScheme {
    /// Plain HTTP.
    #[serde(rename = "HTTP")]
    Http,
    /// HTTP over TLS; the kubelet does not verify the certificate.
    #[serde(rename = "HTTPS")]
    Https,
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
