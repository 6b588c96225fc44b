//! The rules of the fitting settings ([`crate::config::fit`]): environment variable names and
//! sources, reserved pod labels and annotations, scheduling terms, exposure and the managed
//! Redis. Part of [`super`]'s one pass: every problem is collected and located.

use std::collections::BTreeMap;

use super::{
    Checker, dns1123_label, is_sensitive, label_key, label_key_suggestion, label_value,
    looks_like_credential,
};
use crate::config::{
    Config, EnvValue, NodeOperator, TaintEffect, TolerationOperator, WhenUnsatisfiable, ZoneSpread,
};

/// Pod label keys agentctl sets itself; a pod label must not change them (the selectors and
/// the `kustomization.yaml` labels depend on them).
pub(super) const RESERVED_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
];

/// Environment variables agentctl sets on the agent container, and where to change them.
pub(super) fn reserved_env(c: &Config) -> Vec<(&'static str, &'static str)> {
    let mut r = vec![
        ("LOG_LEVEL", "agent.config.logLevel"),
        ("ENVIRONMENT", "agent.config.environment"),
        ("MAX_RETRIES", "agent.config.maxRetries"),
        (
            "CIRCUIT_BREAKER_THRESHOLD",
            "agent.config.circuitBreakerThreshold",
        ),
        (
            "TOKEN_BUDGET_PER_REQUEST",
            "agent.config.tokenBudgetPerRequest",
        ),
        ("REDIS_HOST", "redis.external.host"),
        ("REDIS_PORT", "redis.port or redis.external.port"),
        ("REDIS_URL", "redis.external.url"),
        ("REDIS_TLS", "redis.external.tls"),
        ("REDIS_PASSWORD", "redis.external.password"),
    ];
    if c.secret.api_key_key.is_some() {
        r.push(("ANTHROPIC_API_KEY", "secret.apiKeyKey"));
    }
    r
}

/// How messages name the keys a Secret or ConfigMap reference points at.
const KEY: &str = "Secret or ConfigMap key";

impl Checker<'_> {
    /// An environment variable name: its grammar, then whether agentctl sets it itself.
    /// Returns whether it is acceptable.
    pub(super) fn env_name(&mut self, path: &str, key: &str, c: &Config) -> bool {
        self.env_var_name(path, key, c, true)
    }

    /// An environment variable name; `agent`: of the agent container, where agentctl sets
    /// some itself.
    fn env_var_name(&mut self, path: &str, key: &str, c: &Config, agent: bool) -> bool {
        let valid = key
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
            && key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !valid {
            self.fail_key(
                path,
                format!("`{key}` is not a valid environment variable name"),
                Some("use letters, digits and '_', not starting with a digit".into()),
            );
            return false;
        }
        if let Some((_, field)) = reserved_env(c).iter().find(|(r, _)| agent && *r == key) {
            self.fail_key(
                path,
                format!("`{key}` is set by agentctl itself"),
                Some(format!("use `{field}` instead")),
            );
            return false;
        }
        true
    }

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

/// `agent.env`: names, exactly one source each, no literal credentials.
pub(super) fn env(k: &mut Checker, c: &Config) {
    k.env_map("agent.env", &c.agent.env, c, true);
}

impl Checker<'_> {
    /// A map of environment variables in the forms of `agent.env` at `base` (the agent's, or a
    /// sidecar's or init container's, `agent` telling which): names, exactly one source each,
    /// no literal credentials (the credential policy of `agent.env`).
    pub(super) fn env_map(
        &mut self,
        base: &str,
        map: &BTreeMap<String, EnvValue>,
        c: &Config,
        agent: bool,
    ) {
        let k = self;
        for (name, value) in map {
            let path = format!("{base}.{name}");
            if !k.env_var_name(&path, name, c, agent) {
                continue;
            }
            k.env_value(&path, name, value, c, agent);
        }
    }

    fn env_value(&mut self, path: &str, name: &str, value: &EnvValue, c: &Config, agent: bool) {
        let k = self;
        let path = path.to_owned();
        if agent && c.agent.config.extra.contains_key(name) {
            k.fail_key(
                &path,
                format!("`{name}` is also a ConfigMap setting (`agent.config`)"),
                Some("set it in one place: `agent.config.extra` for a plain setting, `agent.env` for a reference".into()),
            );
        }
        match value {
            EnvValue::Value(v) if !is_sensitive(name) && looks_like_credential(v) => k.fail(
                &path,
                format!("the value of `{name}` looks like a credential (a token, a key, a password in a URL); a literal value would sit in the manifest (value not shown)"),
                Some(format!(
                    "put it in the Secret `{}` and write `{name}: {{secretKey: <key>}}`",
                    c.secret.name
                )),
            ),
            EnvValue::Value(_) if is_sensitive(name) => k.fail(
                &path,
                format!("`{name}` looks like a credential; a literal value would sit in the manifest (value not shown)"),
                Some(format!(
                    "put it in the Secret `{}` and write `{name}: {{secretKey: <key>}}`",
                    c.secret.name
                )),
            ),
            EnvValue::Value(_) => {}
            EnvValue::From(src) => {
                let sources = [
                    src.secret_key.is_some(),
                    src.secret.is_some(),
                    src.config_map.is_some(),
                ]
                .iter()
                .filter(|b| **b)
                .count();
                if sources != 1 {
                    k.fail(
                        &path,
                        format!("`{name}` needs exactly one source, found {sources}"),
                        Some("write one of `{secretKey: KEY}`, `{secret: NAME, key: KEY}`, `{configMap: NAME, key: KEY}` (a later layer that changes the source sets the old one to `null`)".into()),
                    );
                    return;
                }
                if let Some(key) = &src.secret_key {
                    k.secret_key_name(&format!("{path}.secretKey"), key, KEY);
                    if src.key.is_some() {
                        k.fail(
                            &format!("{path}.key"),
                            "`key` goes with `secret` or `configMap`; `secretKey` already names the key".into(),
                            Some("remove `key`".into()),
                        );
                    }
                } else {
                    let (field, name_value) = match (&src.secret, &src.config_map) {
                        (Some(s), _) => ("secret", s),
                        (_, Some(m)) => ("configMap", m),
                        _ => return,
                    };
                    k.dns_subdomain(&format!("{path}.{field}"), name_value);
                    match &src.key {
                        Some(key) => k.secret_key_name(&format!("{path}.key"), key, KEY),
                        None => k.fail(
                            &format!("{path}.{field}"),
                            format!("`{name}` names a {field} but not the key to read"),
                            Some(format!("add `key: <key in {name_value}>`")),
                        ),
                    }
                }
            }
        }
    }
}

/// `agent.envFrom`: exactly one of a Secret and a ConfigMap, a valid prefix.
pub(super) fn env_from(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    for (i, e) in a.env_from.iter().enumerate() {
        let path = format!("agent.envFrom.{i}");
        match (&e.secret, &e.config_map) {
            (Some(n), None) => k.dns_subdomain(&format!("{path}.secret"), n),
            (None, Some(n)) => k.dns_subdomain(&format!("{path}.configMap"), n),
            _ => k.fail(
                &path,
                "an envFrom entry needs exactly one of `secret` and `configMap`".into(),
                Some("write `{secret: NAME}` or `{configMap: NAME}`".into()),
            ),
        }
        if let Some(p) = &e.prefix
            && !(p
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
                && p.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'))
        {
            k.fail(
                &format!("{path}.prefix"),
                format!("`{p}` is not a valid environment variable prefix"),
                Some("use letters, digits and '_', e.g. `DB_`".into()),
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

/// Tolerations, priority and runtime classes.
pub(super) fn scheduling(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    tolerations(k, "agent.tolerations", &a.tolerations);
    for (path, v) in [
        ("agent.priorityClassName", &a.priority_class_name),
        ("agent.runtimeClassName", &a.runtime_class_name),
    ] {
        if let Some(v) = v {
            k.dns_subdomain(path, v);
        }
    }
}

/// Tolerations of a pod (`base`: `agent.tolerations`, `redis.tolerations`), as Kubernetes
/// validates them.
pub(super) fn tolerations(k: &mut Checker, base: &str, list: &[crate::config::Toleration]) {
    for (i, t) in list.iter().enumerate() {
        let path = format!("{base}.{i}");
        match t.operator {
            TolerationOperator::Exists if t.value.is_some() => k.fail(
                &format!("{path}.value"),
                "a toleration with `operator: Exists` matches any value; it takes none".into(),
                Some("remove `value`, or use `operator: Equal`".into()),
            ),
            TolerationOperator::Equal if t.key.is_none() => k.fail(
                &path,
                "a toleration with `operator: Equal` needs a `key`".into(),
                Some(
                    "add `key: <taint key>`, or use `operator: Exists` to tolerate every taint"
                        .into(),
                ),
            ),
            _ => {}
        }
        if let Some(key) = &t.key
            && let Err(why) = label_key(key)
        {
            k.fail(
                &format!("{path}.key"),
                format!("`{key}` is not a valid taint key: {why}"),
                None,
            );
        }
        if let Some(v) = &t.value
            && let Err(why) = label_value(v)
        {
            k.fail(
                &format!("{path}.value"),
                format!("`{v}` is not a valid taint value: {why}"),
                None,
            );
        }
        if t.toleration_seconds.is_some() && t.effect != Some(TaintEffect::NoExecute) {
            k.fail(
                &format!("{path}.tolerationSeconds"),
                "`tolerationSeconds` only applies to `effect: NoExecute`".into(),
                Some("remove it, or set `effect: NoExecute`".into()),
            );
        }
    }
}

/// Spread constraints (the zone choice and the full ones, never twice the same) and node
/// affinity rules.
pub(super) fn placement(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    let mut spread_keys: Vec<(String, WhenUnsatisfiable)> = Vec::new();
    match a.zone_spread {
        ZoneSpread::None => {}
        ZoneSpread::Preferred => spread_keys.push((
            "topology.kubernetes.io/zone".into(),
            WhenUnsatisfiable::ScheduleAnyway,
        )),
        ZoneSpread::Required => spread_keys.push((
            "topology.kubernetes.io/zone".into(),
            WhenUnsatisfiable::DoNotSchedule,
        )),
    }
    for (i, t) in a.topology_spread_constraints.iter().enumerate() {
        let path = format!("agent.topologySpreadConstraints.{i}");
        if let Err(why) = label_key(&t.topology_key) {
            k.fail(
                &format!("{path}.topologyKey"),
                format!("`{}` is not a valid node label key: {why}", t.topology_key),
                Some("e.g. `topology.kubernetes.io/zone` or `kubernetes.io/hostname`".into()),
            );
        }
        if spread_keys.contains(&(t.topology_key.clone(), t.when_unsatisfiable)) {
            k.fail(
                &path,
                format!(
                    "a spread constraint on `{}` with `{:?}` is already there",
                    t.topology_key, t.when_unsatisfiable
                ),
                Some("Kubernetes refuses two: drop this one, or `agent.zoneSpread: none`".into()),
            );
        }
        spread_keys.push((t.topology_key.clone(), t.when_unsatisfiable));
    }
    for (name, r) in &a.node_affinity {
        let path = format!("agent.nodeAffinity.{name}");
        if let Err(why) = label_key(&r.key) {
            k.fail(
                &format!("{path}.key"),
                format!("`{}` is not a valid node label key: {why}", r.key),
                None,
            );
        }
        let problem = match r.operator {
            NodeOperator::In | NodeOperator::NotIn if r.values.is_empty() => {
                Some("`In` and `NotIn` need at least one value")
            }
            NodeOperator::Exists | NodeOperator::DoesNotExist if !r.values.is_empty() => {
                Some("`Exists` and `DoesNotExist` take no values")
            }
            NodeOperator::Gt | NodeOperator::Lt
                if r.values.len() != 1 || r.values[0].parse::<i64>().is_err() =>
            {
                Some("`Gt` and `Lt` take exactly one integer value")
            }
            _ => None,
        };
        if let Some(p) = problem {
            // Missing values are the operator's problem; surplus ones are the values'.
            let at = if r.values.is_empty() {
                "operator"
            } else {
                "values"
            };
            k.fail(
                &format!("{path}.{at}"),
                p.into(),
                Some("e.g. `operator: In` with `values: [agents]`".into()),
            );
        }
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
                Some("set `redis.external.host` (or `redis.external.url` from a Secret)".into()),
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
