//! What the two front doors share, the Ingress and the HTTPRoute: their further paths (each
//! once, a valid HTTP path), their further hosts (each once, a valid host name) and the port of
//! `agent-service` each path goes to (`http`, or an `agent.ports` entry on `agent-service`,
//! over TCP, that the NetworkPolicy lets the controller or the gateway reach). One set of
//! checks with the words of each door ([`Front`]).

use super::Checker;
use crate::config::{Config, Names, PortFrom, Protocol};

/// The words one front door's checks use.
pub(super) struct Front {
    /// The section: `ingress`, `httpRoute`.
    pub section: &'static str,
    /// The kind, after "an": `Ingress`, `HTTPRoute`.
    pub kind: &'static str,
    /// The object, after "send": `the Ingress`, `the route`.
    pub object: &'static str,
    /// Where its paths are served: `on these hosts`, `on this route`.
    pub served: &'static str,
    /// Its own paths and hosts: `ingress.paths`, `ingress.hosts`.
    pub paths: &'static str,
    pub hosts: &'static str,
    /// Who must reach the port, and why the port's `from: callers` lets it in.
    pub reacher: &'static str,
    pub callers: &'static str,
}

pub(super) const INGRESS: Front = Front {
    section: "ingress",
    kind: "Ingress",
    object: "the Ingress",
    served: "on these hosts",
    paths: "ingress.paths",
    hosts: "ingress.hosts",
    reacher: "the ingress controller",
    callers: "the controller's namespace is a caller",
};

pub(super) const ROUTE: Front = Front {
    section: "httpRoute",
    kind: "HTTPRoute",
    object: "the route",
    served: "on this route",
    paths: "httpRoute.paths",
    hosts: "httpRoute.hostnames",
    reacher: "the gateway's proxies",
    callers: "the gateway's namespaces are callers",
};

impl Front {
    /// An `extraPaths` entry `name` at `path` serving `p`, given the paths served before it.
    pub(super) fn extra_path<'a>(
        &self,
        k: &mut Checker,
        seen: &mut Vec<&'a str>,
        path: &str,
        name: &str,
        p: &'a str,
    ) {
        if p.is_empty() {
            k.fail(
                path,
                "the entry has no `path`".into(),
                Some(format!("add `path: /{name}` (the HTTP path it serves)")),
            );
        } else if seen.contains(&p) {
            k.fail(
                &format!("{path}.path"),
                format!(
                    "the path `{p}` is already sent elsewhere {}: one path, one backend",
                    self.served
                ),
                Some(format!(
                    "remove `{p}` from `{}` or from one `{}.extraPaths` entry",
                    self.paths, self.section
                )),
            );
        } else {
            k.http_path(&format!("{path}.path"), p, "path");
        }
        seen.push(p);
    }

    /// An `extraHosts` entry at `path` naming `host`, given the hosts named before it.
    pub(super) fn extra_host<'a>(
        &self,
        k: &mut Checker,
        hosts: &mut Vec<&'a str>,
        path: &str,
        host: &'a str,
    ) {
        if host.is_empty() {
            k.fail(
                path,
                "the entry has no `host`".into(),
                Some("add `host: NAME`, e.g. `host: agents.internal.example.com`".into()),
            );
            return;
        }
        k.hostname(&format!("{path}.host"), host);
        if hosts.contains(&host) {
            k.fail(
                &format!("{path}.host"),
                format!(
                    "the host `{host}` is also in `{}` or another `{}.extraHosts` entry",
                    self.hosts, self.section
                ),
                Some("list each host once: a host has one set of rules".into()),
            );
        }
        hosts.push(host);
    }

    /// A backend port at `path`: `http`, or an `agent.ports` entry on `agent-service`, over
    /// TCP, that the NetworkPolicy lets [`Front::reacher`] reach.
    pub(super) fn port(&self, k: &mut Checker, c: &Config, path: &str, port: Option<&str>) {
        let Some(name) = port.filter(|p| *p != "http") else {
            return;
        };
        let shared = || {
            std::iter::once("http").chain(
                c.agent
                    .ports
                    .iter()
                    .filter(|(_, p)| p.service.shared())
                    .map(|(n, _)| n.as_str()),
            )
        };
        let Some(p) = c.agent.ports.get(name) else {
            let hint = crate::suggest::did_you_mean(name, shared());
            k.fail(
                path,
                format!(
                    "`{name}` is not a port of `agent-service`{}",
                    hint.map(|h| format!(" (did you mean `{h}`?)"))
                        .unwrap_or_default()
                ),
                Some(format!(
                    "name `http` or an `agent.ports` entry with `service: true` (here: {})",
                    shared()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            return;
        };
        let kind = self.kind;
        if !p.service.shared() {
            k.cross(
                path,
                &format!("agent.ports.{name}.service"),
                match p.service.own() {
                    Some(_) => format!(
                        "the port `{name}` is on its own Service `{}`, not on `agent-service`, which the {kind} sends to",
                        Names::of(c).port_service(name)
                    ),
                    None => format!(
                        "the port `{name}` is not on `agent-service`, which the {kind} sends to"
                    ),
                },
                format!(
                    "set `agent.ports.{name}.service: true` (on `agent-service`), or send {} to another port",
                    self.object
                ),
            );
        } else if p.protocol != Protocol::Tcp {
            k.cross(
                path,
                &format!("agent.ports.{name}.protocol"),
                format!("an {kind} carries HTTP over TCP; the port `{name}` is not TCP"),
                format!("send {} to a TCP port", self.object),
            );
        } else if p.from != PortFrom::Callers && c.network_policy.enabled {
            k.cross(
                path,
                &format!("agent.ports.{name}.from"),
                format!(
                    "the NetworkPolicy lets only `networkPolicy.ingressFrom` rules in to the port `{name}`: {} could not reach it",
                    self.reacher
                ),
                format!("set `agent.ports.{name}.from: callers` ({})", self.callers),
            );
        }
    }
}
