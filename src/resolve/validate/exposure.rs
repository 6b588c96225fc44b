//! Exposure beyond the Ingress: `agent-service`'s source ranges and traffic policy, the Service an extra port has to itself
//! (`agent.ports.<name>.service: {...}`: fields that need a `type` they lack, source ranges
//! that are no CIDR, a name over a Service's 63 characters) and the HTTPRoute's further paths
//! and hosts (`httpRoute.extraPaths`, `httpRoute.extraHosts`: each path or host once, each to
//! a TCP port of `agent-service` the gateway's proxies are let in to).

use super::{Checker, label_key, label_key_suggestion};
use crate::config::{Config, Names, OwnService, ServiceType};

/// The rule groups of this file, run after [`super::rules::RULES`].
pub(super) const RULES: &[fn(&mut Checker, &Config)] =
    &[port_services, agent_service, route_extras];

/// Every extra port's own Service.
fn port_services(k: &mut Checker, c: &Config) {
    let names = Names::of(c);
    let agent = c
        .agent
        .ports
        .iter()
        .map(|(n, p)| (format!("agent.ports.{n}.service"), n, p));
    let sidecars = c.agent.sidecars.iter().flat_map(|(s, sc)| {
        sc.ports
            .iter()
            .map(move |(n, p)| (format!("agent.sidecars.{s}.ports.{n}.service"), n, p))
    });
    let all: Vec<_> = agent.chain(sidecars).collect();
    for (path, name, p) in all {
        if let Some(s) = p.service.own() {
            own_service(k, &path, &names.port_service(name), s);
        }
    }
}

fn own_service(k: &mut Checker, path: &str, service: &str, s: &OwnService) {
    if service.len() > 63 {
        k.fail_key(
            path.rsplit_once(".service").map_or(path, |(port, _)| port),
            format!(
                "its Service `{service}` would be {} characters long, over the 63 of a Service name (an RFC 1035 label)",
                service.len()
            ),
            Some("use a shorter port name or `instance`".into()),
        );
    }
    outside(
        k,
        path,
        s.service_type,
        &s.load_balancer_source_ranges,
        s.external_traffic_policy.is_some(),
    );
    for key in s.annotations.keys() {
        if let Err(why) = label_key(key) {
            let help = label_key_suggestion(key).map(|fixed| format!("did you mean `{fixed}`?"));
            k.fail_key(
                &format!("{path}.annotations.{key}"),
                format!("`{key}` is not a valid annotation key: {why}"),
                help,
            );
        }
    }
}

/// `agent.service`'s fields for traffic from outside the cluster, as a port's own Service's.
fn agent_service(k: &mut Checker, c: &Config) {
    let s = &c.agent.service;
    outside(
        k,
        "agent.service",
        s.service_type,
        &s.load_balancer_source_ranges,
        s.external_traffic_policy.is_some(),
    );
}

/// A Service's source ranges (only on a load balancer, each a CIDR) and traffic policy (not
/// on `ClusterIP`), at `path`.
fn outside(k: &mut Checker, path: &str, ty: ServiceType, ranges: &[String], policy: bool) {
    if !ranges.is_empty() && ty != ServiceType::LoadBalancer {
        k.fail(
            &format!("{path}.loadBalancerSourceRanges"),
            format!("`loadBalancerSourceRanges` limits a load balancer's clients, and this Service is `{ty:?}`"),
            Some(format!("set `{path}.type: LoadBalancer`, or remove `loadBalancerSourceRanges`")),
        );
    }
    for (i, cidr) in ranges.iter().enumerate() {
        k.cidr(&format!("{path}.loadBalancerSourceRanges.{i}"), cidr);
    }
    if policy && ty == ServiceType::ClusterIP {
        k.fail(
            &format!("{path}.externalTrafficPolicy"),
            "`externalTrafficPolicy` is for traffic from outside the cluster, and this Service is `ClusterIP`".into(),
            Some(format!("set `{path}.type: LoadBalancer` (or `NodePort`), or remove `externalTrafficPolicy`")),
        );
    }
}

/// `httpRoute.extraPaths` and `httpRoute.extraHosts`, when the route is rendered.
fn route_extras(k: &mut Checker, c: &Config) {
    let r = &c.http_route;
    if !r.enabled {
        return;
    }
    let f = &super::front::ROUTE;
    let mut seen: Vec<&str> = r.paths.iter().map(String::as_str).collect();
    for (name, e) in &r.extra_paths {
        let path = format!("httpRoute.extraPaths.{name}");
        f.extra_path(k, &mut seen, &path, name, &e.path);
        f.port(k, c, &format!("{path}.port"), e.port.as_deref());
    }
    let mut hosts: Vec<&str> = r.hostnames.iter().map(String::as_str).collect();
    let route = Names::of(c).get("agent-route");
    for (name, e) in &r.extra_hosts {
        let path = format!("httpRoute.extraHosts.{name}");
        if super::dns1123_label(name).is_err() || route.len() + 1 + name.len() > 253 {
            k.fail_key(
                &path,
                format!("`{name}` names the HTTPRoute `{route}-{name}`: use lowercase letters, digits and '-'"),
                Some(format!("e.g. `{}`", super::suggest_name(name, false))),
            );
        }
        f.extra_host(k, &mut hosts, &path, &e.host);
        if e.paths.is_empty() {
            k.fail(
                &format!("{path}.paths"),
                "the host has no paths: its route would send nothing to the agent".into(),
                Some("list at least one, e.g. `paths: [/]`".into()),
            );
        }
        for (i, p) in e.paths.iter().enumerate() {
            k.http_path(&format!("{path}.paths.{i}"), p, "path");
        }
        f.port(k, c, &format!("{path}.port"), e.port.as_deref());
    }
}
