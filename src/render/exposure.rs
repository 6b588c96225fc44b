//! The render-context values of where the agent is reached from, beside the Ingress's
//! (`around`): the Service an extra port has to itself (`agent.ports.<name>.service: {...}`)
//! and the NetworkPolicy rule that lets in the traffic its load balancer or node port
//! forwards, and the HTTPRoute's further rules and hosts (`httpRoute.extraPaths`,
//! `httpRoute.extraHosts`), and the TLS the agent ServiceMonitor scrapes the agent over.
//! Pure functions of the configuration; the templates place them.

use serde_json::{Map, Value as J, json};

use crate::config::{Config, Names, OwnService, Port, RouteMatch, ServiceType, TrafficPolicy};

/// Context entries for the templates, to be added to the render context.
pub fn context(cfg: &Config, names: &Names) -> Map<String, J> {
    let mut out = Map::new();
    let own: Vec<(&String, &Port, &OwnService)> = own_services(cfg).collect();
    out.insert(
        "port_services".into(),
        J::Array(
            own.iter()
                .map(|(n, p, s)| service(names, n, p, s))
                .collect(),
        ),
    );
    out.insert(
        "port_service_rules".into(),
        J::Array(
            own.iter()
                .filter_map(|(_, p, s)| outside_rule(p, s))
                .collect(),
        ),
    );
    out.insert(
        "route_extra_rules".into(),
        J::Array(route_rules(cfg, names)),
    );
    out.insert(
        "route_extra_hosts".into(),
        J::Array(route_hosts(cfg, names)),
    );
    out
}

/// Every extra port (the agent's, then the sidecars') with a Service of its own.
pub fn own_services(cfg: &Config) -> impl Iterator<Item = (&String, &Port, &OwnService)> {
    let a = &cfg.agent;
    a.ports
        .iter()
        .chain(a.sidecars.values().flat_map(|c| c.ports.iter()))
        .filter_map(|(n, p)| p.service.own().map(|s| (n, p, s)))
}

/// The port's own Service: its name, annotations and spec.
fn service(names: &Names, name: &str, p: &Port, s: &OwnService) -> J {
    let mut port =
        json!({"name": name, "port": p.port, "targetPort": name, "protocol": p.protocol});
    if let Some(ap) = &p.app_protocol {
        port["appProtocol"] = json!(ap);
    }
    let mut spec = json!({
        "type": s.service_type,
        "selector": names.selector("agent"),
        "ports": [port],
    });
    if s.service_type == ServiceType::LoadBalancer && !s.load_balancer_source_ranges.is_empty() {
        spec["loadBalancerSourceRanges"] = json!(s.load_balancer_source_ranges);
    }
    if s.service_type != ServiceType::ClusterIP
        && let Some(t) = s.external_traffic_policy
    {
        spec["externalTrafficPolicy"] = json!(t);
    }
    json!({
        "name": names.port_service(name),
        "annotations": s.annotations,
        "spec": spec,
    })
}

/// The agent NetworkPolicy's ingress rule for a port a load balancer or node port opens
/// outside the cluster: from the `loadBalancerSourceRanges` when the client's address reaches
/// the pod (`externalTrafficPolicy: Local`), else from any address (a node forwards it, its own
/// address in place of the client's). `None` for a `ClusterIP` Service (its callers are the
/// port's `from`).
pub fn outside_rule(p: &Port, s: &OwnService) -> Option<J> {
    if s.service_type == ServiceType::ClusterIP {
        return None;
    }
    let kept = s.external_traffic_policy == Some(TrafficPolicy::Local)
        && s.service_type == ServiceType::LoadBalancer
        && !s.load_balancer_source_ranges.is_empty();
    let from: Vec<J> = if kept {
        s.load_balancer_source_ranges
            .iter()
            .map(|c| json!({"ipBlock": {"cidr": c}}))
            .collect()
    } else {
        vec![
            json!({"ipBlock": {"cidr": "0.0.0.0/0"}}),
            json!({"ipBlock": {"cidr": "::/0"}}),
        ]
    };
    Some(json!({"from": from, "ports": [{"port": p.port, "protocol": p.protocol}]}))
}

/// The number of the `agent-service` port named `port` (`http`, or an `agent.ports` entry on
/// it); validation has refused any other.
fn service_port(cfg: &Config, port: Option<&str>) -> u16 {
    match port {
        None | Some("http") => cfg.agent.port,
        Some(n) => cfg.agent.ports.get(n).map_or(cfg.agent.port, |p| p.port),
    }
}

/// A rule of an HTTPRoute: its path matches, to one port of `agent-service`.
fn rule(names: &Names, paths: &[&str], kind: RouteMatch, port: u16) -> J {
    json!({
        "matches": paths.iter().map(|p| json!({"path": {"type": kind, "value": p}})).collect::<Vec<_>>(),
        "backendRefs": [{
            "group": "",
            "kind": "Service",
            "name": names.get("agent-service"),
            "port": port,
            "weight": 1,
        }],
    })
}

/// `httpRoute.extraPaths`: one rule each, after the route's own.
fn route_rules(cfg: &Config, names: &Names) -> Vec<J> {
    cfg.http_route
        .extra_paths
        .values()
        .map(|e| {
            rule(
                names,
                &[e.path.as_str()],
                e.path_type,
                service_port(cfg, e.port.as_deref()),
            )
        })
        .collect()
}

/// `httpRoute.extraHosts`: an HTTPRoute each (host names are a route's, not a rule's), on the
/// same Gateways unless the entry names its own listener (`sectionName`).
fn route_hosts(cfg: &Config, names: &Names) -> Vec<J> {
    cfg.http_route
        .extra_hosts
        .iter()
        .map(|(key, e)| {
            let paths: Vec<&str> = e.paths.iter().map(String::as_str).collect();
            let parents: Vec<J> = cfg
                .http_route
                .parent_refs
                .iter()
                .map(|p| {
                    let mut j = json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": p.name});
                    if let Some(ns) = &p.namespace {
                        j["namespace"] = json!(ns);
                    }
                    if let Some(s) = e.section_name.as_ref().or(p.section_name.as_ref()) {
                        j["sectionName"] = json!(s);
                    }
                    if let Some(port) = p.port {
                        j["port"] = json!(port);
                    }
                    j
                })
                .collect();
            json!({
                "name": format!("{}-{key}", names.get("agent-route")),
                "spec": {
                    "parentRefs": parents,
                    "hostnames": [e.host],
                    "rules": [rule(names, &paths, e.path_type, service_port(cfg, e.port.as_deref()))],
                },
            })
        })
        .collect()
}

/// The agent ServiceMonitor endpoint's `tlsConfig` (the operator's `SafeTLSConfig` shape):
/// only what is set, `insecureSkipVerify` only when `true`.
pub fn scrape_tls(t: &crate::config::ScrapeTls) -> J {
    let mut j = crate::render::parts::present_json(t);
    if !t.insecure_skip_verify
        && let Some(m) = j.as_object_mut()
    {
        m.remove("insecureSkipVerify");
    }
    j
}
