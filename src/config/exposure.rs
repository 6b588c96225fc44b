//! Where the agent is reached from: the Ingress's further paths and hosts
//! (`ingress.extraPaths`, `ingress.extraHosts`; each to a port of `agent-service`, a host with
//! its own TLS Secret), the HTTPRoute's (`httpRoute.extraPaths`, `httpRoute.extraHosts`), and
//! the Service an extra port may have to itself (`agent.ports.<name>.service`: `true` puts the
//! port on `agent-service`, a map gives it its own Service, e.g. a public UDP load balancer
//! beside a cluster-internal HTTP API).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{PathType, ServiceType};

/// Which Service exposes an extra port (`agent.ports.<name>.service`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PortService {
    /// `true`: on `agent-service` (same number and name); `false`: on no Service.
    Shared(bool),
    /// A Service of its own, `agent-service-<name>`, exposing this port alone.
    Own(OwnService),
}

impl Default for PortService {
    fn default() -> Self {
        PortService::Shared(false)
    }
}

impl PortService {
    /// Whether the port is on `agent-service`.
    pub fn shared(&self) -> bool {
        matches!(self, PortService::Shared(true))
    }

    /// Whether a Service exposes the port (`agent-service` or its own).
    pub fn exposed(&self) -> bool {
        !matches!(self, PortService::Shared(false))
    }

    /// The port's own Service, when it has one.
    pub fn own(&self) -> Option<&OwnService> {
        match self {
            PortService::Own(s) => Some(s),
            PortService::Shared(_) => None,
        }
    }
}

/// The Service of one extra port alone (`agent.ports.<name>.service: {...}`), named
/// `agent-service-<name>` (with `instance`, its prefix too).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct OwnService {
    /// `ClusterIP`, `NodePort` or `LoadBalancer`. `NodePort` and `LoadBalancer` open the port
    /// outside the cluster (lint AGT140 is off on purpose for this Service, a note names this
    /// setting), and the NetworkPolicy lets in from where that traffic comes: the
    /// `loadBalancerSourceRanges` with `externalTrafficPolicy: Local` (client addresses kept),
    /// else any address (`0.0.0.0/0`, `::/0`: the nodes forward it, after address
    /// translation). Default: `ClusterIP`.
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    /// Annotations, e.g. a cloud's internal load balancer or its UDP health check. Default:
    /// none.
    pub annotations: BTreeMap<String, String>,
    /// With `type: LoadBalancer`: the client addresses the load balancer admits (CIDRs, e.g.
    /// `203.0.113.0/24`). Default: none (every address).
    pub load_balancer_source_ranges: Vec<String>,
    /// With `type: NodePort` or `LoadBalancer`: `Local` keeps the client's address and sends
    /// only to a node's own pods; `Cluster` spreads over every node, the client's address
    /// translated. Default: unset (Kubernetes' `Cluster`).
    pub external_traffic_policy: Option<TrafficPolicy>,
}

/// A Service's `externalTrafficPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TrafficPolicy {
    /// Spread over every node; the client's address is translated.
    Cluster,
    /// Only to pods on the node that received it; the client's address is kept.
    Local,
}

/// A further Ingress path on every host of `ingress.hosts`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct IngressPath {
    /// The HTTP path, e.g. `/ws` (required).
    pub path: String,
    /// The `agent-service` port it goes to: `http` (the agent's) or the name of an
    /// `agent.ports` entry with `service: true`. Default: `http`.
    pub port: Option<String>,
    /// How the path matches. Default: unset (`ingress.pathType`).
    pub path_type: Option<PathType>,
}

/// A further Ingress host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct IngressHost {
    /// The host name, e.g. `agents.internal.example.com` (`*.example.com` allowed; required).
    pub host: String,
    /// Paths sent to the agent on this host. Default: `["/"]`.
    pub paths: Vec<String>,
    /// How they match. Default: unset (`ingress.pathType`).
    pub path_type: Option<PathType>,
    /// The `agent-service` port they go to: `http` or an `agent.ports` entry with
    /// `service: true`. Default: `http`.
    pub port: Option<String>,
    /// Existing TLS Secret (`kubernetes.io/tls`) for this host; unset: no TLS for it.
    /// Default: unset.
    pub tls_secret: Option<String>,
}

impl Default for IngressHost {
    fn default() -> Self {
        IngressHost {
            host: String::new(),
            paths: vec!["/".into()],
            path_type: None,
            port: None,
            tls_secret: None,
        }
    }
}

/// How an HTTPRoute path matches (Gateway API `path.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum RouteMatch {
    /// The path and everything below it, by whole segments (default).
    #[default]
    PathPrefix,
    /// The path exactly.
    Exact,
}

/// A further rule of the HTTPRoute (`httpRoute.extraPaths`): one path to one port of
/// `agent-service`, on the route's host names.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RoutePath {
    /// The HTTP path, e.g. `/ws` (required).
    pub path: String,
    /// The `agent-service` port it goes to: `http` (the agent's) or the name of an
    /// `agent.ports` entry with `service: true`. Default: `http`.
    pub port: Option<String>,
    /// `PathPrefix` or `Exact`. Default: `PathPrefix`.
    pub path_type: RouteMatch,
}

/// A further host of the Gateway API route (`httpRoute.extraHosts`): its own HTTPRoute,
/// `agent-route-<key>`, on the same Gateways (host names belong to a route, not a rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteHost {
    /// The host name, e.g. `agents.internal.example.com` (`*.example.com` allowed; required).
    pub host: String,
    /// Path prefixes (or exact paths, `pathType: Exact`) sent to the agent. Default: `["/"]`.
    pub paths: Vec<String>,
    /// `PathPrefix` or `Exact`. Default: `PathPrefix`.
    pub path_type: RouteMatch,
    /// The `agent-service` port they go to: `http` or an `agent.ports` entry with
    /// `service: true`. Default: `http`.
    pub port: Option<String>,
    /// The Gateways' listener for this host (e.g. one whose TLS certificate covers it); unset:
    /// each `parentRefs` entry's own `sectionName`. Default: unset.
    pub section_name: Option<String>,
}

impl Default for RouteHost {
    fn default() -> Self {
        RouteHost {
            host: String::new(),
            paths: vec!["/".into()],
            path_type: RouteMatch::PathPrefix,
            port: None,
            section_name: None,
        }
    }
}
