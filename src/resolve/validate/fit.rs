//! The rules of the fitting settings ([`crate::config::fit`]): the health path and metrics
//! port, reserved pod labels and annotations, the identity, exposure and the managed Redis
//! (environment variables: [`super::env`]; scheduling terms: [`super::scheduling`]). Part of
//! [`super`]'s one pass: every problem is collected and located.

use std::collections::BTreeMap;

use super::env::KEY;
use super::{Checker, dns1123_label, label_key, label_key_suggestion};
use crate::config::Config;

/// Pod label keys agentctl sets itself; a pod label must not change them (the selectors and
/// the `kustomization.yaml` labels depend on them).
pub(super) const RESERVED_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
];

impl Checker<'_> {
    /// Keys (and, for labels, values) of a map of labels or annotations.
    fn metadata(&mut self, path: &str, map: &BTreeMap<String, String>, labels: bool) {
        if labels {
            self.labels(path, map);
            return;
        }
        // The API server's limit on one object's annotations, keys and values together: at
        // the entry that takes the total over it.
        let mut total = 0;
        for (k, v) in map {
            total += crate::k8s::object::annotations_size([(k.as_str(), v.as_str())]);
            if total > crate::k8s::object::ANNOTATIONS_LIMIT {
                let whose = match path {
                    "agent.podAnnotations" => {
                        "the agent pods (the pod template of Deployment/agent-deployment)"
                    }
                    "agent.service.annotations" => "Service/agent-service",
                    "agent.serviceAccount.annotations" => "the agent's ServiceAccount",
                    "ingress.annotations" => "the agent's Ingress",
                    "httpRoute.annotations" => "the agent's HTTPRoute",
                    _ => "the object they land on",
                };
                let all = crate::k8s::object::annotations_size(
                    map.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                );
                self.fail(
                    &format!("{path}.{k}"),
                    format!(
                        "the annotations of {whose} total {all} bytes (keys and values), over the API server's limit of {} (256 KiB)",
                        crate::k8s::object::ANNOTATIONS_LIMIT
                    ),
                    Some("keep large data in a ConfigMap and reference it; an annotation is not storage".into()),
                );
                break;
            }
        }
        for k in map.keys() {
            if let Err(why) = label_key(k) {
                let help = label_key_suggestion(k).map(|fixed| format!("did you mean `{fixed}`?"));
                self.fail_key(
                    &format!("{path}.{k}"),
                    format!("`{k}` is not a valid annotation key: {why}"),
                    help,
                );
            }
        }
    }

    pub(super) fn hostname(&mut self, path: &str, host: &str) {
        let bare = host.strip_prefix("*.").unwrap_or(host);
        let ok = !bare.is_empty()
            && bare.len() <= 253
            && bare.contains('.') | !host.starts_with("*.")
            && bare.split('.').all(|l| dns1123_label(l).is_ok());
        if !ok {
            self.fail(
                path,
                format!("`{host}` is not a valid host name"),
                Some(
                    "write a lowercase DNS name such as `agents.example.com` (or `*.example.com`)"
                        .into(),
                ),
            );
        }
    }

    pub(super) fn unique(&mut self, path: &str, items: &[String], what: &str) {
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = items.iter().find(|i| !seen.insert(i.as_str())) {
            self.fail(
                path,
                format!("{what} `{dup}` is listed more than once"),
                Some(format!("list each {what} once")),
            );
        }
    }

    pub(super) fn paths(&mut self, path: &str, paths: &[String]) {
        if paths.is_empty() {
            self.fail(
                path,
                "no paths: nothing would reach the agent".into(),
                Some("list at least one path, e.g. `[\"/\"]`".into()),
            );
        }
        for (i, p) in paths.iter().enumerate() {
            self.http_path(&format!("{path}.{i}"), p, "path");
        }
    }
}

/// The health path and the metrics port.
pub(super) fn ports(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    k.http_path("agent.healthPath", &a.health_path, "health path");
    if let Some(m) = a.metrics_port {
        if m == 0 {
            k.fail(
                "agent.metricsPort",
                "port 0 is not a valid port".into(),
                Some("use 1-65535, e.g. 9090".into()),
            );
        } else if m == a.port {
            k.cross(
                "agent.metricsPort",
                "agent.port",
                format!("the metrics port {m} is the serving port"),
                "leave `agent.metricsPort` unset (`null`) to serve metrics on `agent.port`".into(),
            );
        }
    }
}

/// Pull secrets and the ServiceAccount.
pub(super) fn identity(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    for (i, s) in a.image_pull_secrets.iter().enumerate() {
        k.dns_subdomain(&format!("agent.imagePullSecrets.{i}"), s);
    }
    k.unique(
        "agent.imagePullSecrets",
        &a.image_pull_secrets,
        "pull secret",
    );
    let sa = &a.service_account;
    k.dns_subdomain("agent.serviceAccount.name", &sa.name);
    k.metadata("agent.serviceAccount.annotations", &sa.annotations, false);
    k.metadata("agent.serviceAccount.labels", &sa.labels, true);
    k.reserved_labels("agent.serviceAccount.labels", &sa.labels);
    if !sa.create && (!sa.annotations.is_empty() || !sa.labels.is_empty()) {
        let what = if sa.annotations.is_empty() {
            "labels"
        } else {
            "annotations"
        };
        k.cross(
            &format!("agent.serviceAccount.{what}"),
            "agent.serviceAccount.create",
            format!("the ServiceAccount `{}` is not rendered (`create: false`), so its {what} go nowhere", sa.name),
            format!("set the {what} on the existing ServiceAccount, or `agent.serviceAccount.create: true`"),
        );
    }
    if sa.create && sa.name == crate::config::Names::of(c).get("redis") && c.redis.enabled {
        k.fail(
            "agent.serviceAccount.name",
            format!("`{}` is the Redis ServiceAccount's name", sa.name),
            Some("choose another name, e.g. `agent`".into()),
        );
    }
}

/// Pod, Service and Namespace annotations and labels (reserved keys refused).
pub(super) fn pod_metadata(k: &mut Checker, c: &Config) {
    k.metadata("namespaceLabels", &c.namespace_labels, true);
    k.reserved_labels("namespaceLabels", &c.namespace_labels);
    k.metadata("namespaceAnnotations", &c.namespace_annotations, false);
    let a = &c.agent;
    k.metadata("agent.podAnnotations", &a.pod_annotations, false);
    if a.pod_annotations
        .contains_key(crate::config::CHECKSUM_ANNOTATION)
    {
        k.fail_key(
            &format!(
                "agent.podAnnotations.{}",
                crate::config::CHECKSUM_ANNOTATION
            ),
            "`checksum/config` is agentctl's: it rolls the pods when the ConfigMap changes".into(),
            Some("choose another annotation key".into()),
        );
    }
    k.metadata("agent.podLabels", &a.pod_labels, true);
    for key in a.pod_labels.keys() {
        let prefix = key.rsplit_once('/').map(|(p, _)| p);
        let kube = prefix.is_some_and(|p| {
            ["kubernetes.io", "k8s.io"]
                .iter()
                .any(|r| p == *r || p.ends_with(&format!(".{r}")))
        });
        let why = if RESERVED_LABELS.contains(&key.as_str()) {
            Some("agentctl sets it, and the selectors depend on it".to_owned())
        } else if kube && !key.starts_with("app.kubernetes.io/") {
            Some("the `kubernetes.io` and `k8s.io` prefixes are reserved for Kubernetes".to_owned())
        } else if c.labels.contains_key(key) {
            Some("`labels` already sets it on every object".to_owned())
        } else {
            None
        };
        if let Some(why) = why {
            k.fail_key(
                &format!("agent.podLabels.{key}"),
                format!("the pod label `{key}` is reserved: {why}"),
                Some("choose another key (e.g. with your own prefix, `example.com/team`)".into()),
            );
        }
    }
    k.metadata("agent.service.annotations", &a.service.annotations, false);
}

/// The Ingress and the HTTPRoute, when on.
pub(super) fn exposure(k: &mut Checker, c: &Config) {
    let i = &c.ingress;
    if i.enabled {
        for (n, h) in i.hosts.iter().enumerate() {
            k.hostname(&format!("ingress.hosts.{n}"), h);
        }
        k.unique("ingress.hosts", &i.hosts, "host");
        k.paths("ingress.paths", &i.paths);
        if let Some(class) = &i.class_name {
            k.dns_subdomain("ingress.className", class);
        }
        if let Some(tls) = &i.tls_secret {
            k.dns_subdomain("ingress.tlsSecret", tls);
            if i.hosts.is_empty() {
                k.cross(
                    "ingress.tlsSecret",
                    "ingress.hosts",
                    "TLS needs the host names the certificate is for".into(),
                    "list them in `ingress.hosts`".into(),
                );
            }
        }
        k.metadata("ingress.annotations", &i.annotations, false);
        if let Some(ns) = &i.controller_namespace {
            k.dns_label("ingress.controllerNamespace", ns);
        }
    }
    let h = &c.http_route;
    if h.enabled {
        if h.parent_refs.is_empty() {
            k.cross(
                "httpRoute.parentRefs",
                "httpRoute.enabled",
                "an HTTPRoute needs at least one Gateway to attach to".into(),
                "add `httpRoute.parentRefs`, e.g. `[{name: public-gateway, namespace: gateway-system}]`".into(),
            );
        }
        for (n, p) in h.parent_refs.iter().enumerate() {
            let path = format!("httpRoute.parentRefs.{n}");
            k.dns_subdomain(&format!("{path}.name"), &p.name);
            if let Some(ns) = &p.namespace {
                k.dns_label(&format!("{path}.namespace"), ns);
            }
            if let Some(s) = &p.section_name {
                k.dns_subdomain(&format!("{path}.sectionName"), s);
            }
            if p.port == Some(0) {
                k.fail(
                    &format!("{path}.port"),
                    "port 0 is not a valid port".into(),
                    Some("use 1-65535, e.g. 443".into()),
                );
            }
        }
        for (n, host) in h.hostnames.iter().enumerate() {
            k.hostname(&format!("httpRoute.hostnames.{n}"), host);
        }
        k.unique("httpRoute.hostnames", &h.hostnames, "host name");
        k.paths("httpRoute.paths", &h.paths);
        k.metadata("httpRoute.annotations", &h.annotations, false);
        for (n, ns) in h.proxy_namespaces.iter().flatten().enumerate() {
            k.dns_label(&format!("httpRoute.proxyNamespaces.{n}"), ns);
        }
    }
}

/// The managed Redis: on only with the in-cluster one off, a host or a URL Secret, not both.
pub(super) fn managed_redis(k: &mut Checker, c: &Config) {
    let e = &c.redis.external;
    let external_set = e.host.is_some() || e.url.is_some() || e.password.is_some();
    if c.redis.none {
        if c.redis.enabled {
            k.cross(
                "redis.enabled",
                "redis.none",
                "`redis.none: true` says the agent uses no Redis, but the in-cluster Redis is on".into(),
                "remove `redis.enabled: true` (`redis.none: true` turns it off), or remove `redis.none`".into(),
            );
        }
        for (what, set) in [
            ("host", e.host.is_some()),
            ("url", e.url.is_some()),
            ("password", e.password.is_some()),
        ] {
            if set {
                k.cross(
                    &format!("redis.external.{what}"),
                    "redis.none",
                    "a managed Redis is configured, but `redis.none: true` says the agent uses no Redis".into(),
                    "remove `redis.none` to use the managed Redis (with `redis.enabled: false`), or remove `redis.external`".into(),
                );
            }
        }
        return;
    }
    if c.redis.enabled {
        if external_set {
            let what = if e.host.is_some() {
                "host"
            } else if e.url.is_some() {
                "url"
            } else {
                "password"
            };
            k.cross(
                &format!("redis.external.{what}"),
                "redis.enabled",
                "a managed Redis is configured but the in-cluster Redis is still on".into(),
                "set `redis.enabled: false` to use the managed one".into(),
            );
        }
    } else {
        match (&e.host, &e.url) {
            (None, None) => k.fail(
                "redis.enabled",
                "with the in-cluster Redis off, the agent needs a managed one".into(),
                Some("set `redis.external.host` (or `redis.external.url` from a Secret); a stateless agent that uses no Redis at all: `redis.none: true`".into()),
            ),
            (Some(_), Some(_)) => k.cross(
                "redis.external.url",
                "redis.external.host",
                "both a host and a URL Secret: the agent would get two different addresses".into(),
                "keep one: `host` (with `port`, `tls`, `password`) or `url`".into(),
            ),
            (Some(host), None) => {
                let ok = !host.is_empty()
                    && (host.parse::<std::net::IpAddr>().is_ok()
                        || host.split('.').all(|l| dns1123_label(l).is_ok()));
                if !ok {
                    k.fail(
                        "redis.external.host",
                        format!("`{host}` is not a host name or IP address"),
                        Some("write the endpoint's DNS name, without `redis://` or a port".into()),
                    );
                }
            }
            (None, Some(_)) => {
                if e.password.is_some() {
                    k.cross(
                        "redis.external.password",
                        "redis.external.url",
                        "the URL from the Secret already carries the credentials".into(),
                        "remove `redis.external.password` (or use `host` instead of `url`)".into(),
                    );
                }
            }
        }
        if e.port == 0 {
            k.fail(
                "redis.external.port",
                "port 0 is not a valid port".into(),
                Some("use 1-65535, e.g. 6379".into()),
            );
        }
        for (field, s) in [("password", &e.password), ("url", &e.url)] {
            if let Some(s) = s {
                if let Some(n) = &s.name {
                    k.dns_subdomain(&format!("redis.external.{field}.name"), n);
                }
                k.secret_key_name(&format!("redis.external.{field}.key"), &s.key, KEY);
            }
        }
        if c.network_policy.enabled {
            k.cidr("redis.external.cidr", &e.cidr);
        }
    }
}
