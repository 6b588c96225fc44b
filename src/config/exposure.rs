//! The Ingress's further paths and hosts (`ingress.extraPaths`, `ingress.extraHosts`): each
//! to a port of `agent-service`, a host with its own TLS Secret.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PathType;

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
