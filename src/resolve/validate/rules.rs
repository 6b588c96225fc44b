//! The rule groups: one function per part of the configuration, each checking its settings
//! and their relations through the [`Checker`]. Only reads the configuration; never I/O.

use super::*;

/// The rule groups, one per part of the configuration, in the order they report. A new rule
/// goes into the group of the object it is about (or a new group here).
pub(super) const RULES: &[fn(&mut Checker, &Config)] = &[
    metadata,
    agent,
    agent_env,
    redis,
    autoscaling,
    disruption_budget,
    network_policy,
    monitoring,
];

/// Namespace, labels and the Secret reference.
fn metadata(k: &mut Checker, c: &Config) {
    k.dns_label("namespace", &c.namespace);
    k.labels("labels", &c.labels);
    k.dns_subdomain("secret.name", &c.secret.name);
    for (path, key) in [
        ("secret.apiKeyKey", &c.secret.api_key_key),
        ("secret.redisPasswordKey", &c.secret.redis_password_key),
    ] {
        let ok = !key.is_empty()
            && key.len() <= 253
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
        if !ok {
            k.fail(
                path,
                format!("`{key}` is not a valid Secret key"),
                Some("use letters, digits, '-', '_' and '.'".into()),
            );
        }
    }
    if c.secret.api_key_key == c.secret.redis_password_key {
        k.cross(
            "secret.redisPasswordKey",
            "secret.apiKeyKey",
            "the API key and the Redis password use the same Secret key".into(),
            "give each credential its own key".into(),
        );
    }
}

/// The agent Deployment: image, replicas, ports, resources, probes, rollout, storage.
fn agent(k: &mut Checker, c: &Config) {
    // Agent.
    let a = &c.agent;
    k.image("agent.image", &a.image);
    if a.replicas.min > a.replicas.max {
        k.cross(
            "agent.replicas.min",
            "agent.replicas.max",
            format!(
                "minimum replicas {} is above the maximum {}",
                a.replicas.min, a.replicas.max
            ),
            format!(
                "raise `agent.replicas.max` to at least {} or lower the minimum",
                a.replicas.min
            ),
        );
    }
    if a.port == 0 {
        k.fail(
            "agent.port",
            "port 0 is not a valid port".into(),
            Some("use 1-65535, e.g. 8000".into()),
        );
    }
    k.compute(
        "agent.resources",
        &a.resources.requests,
        &a.resources.limits,
    );
    k.probe("agent.probes.liveness", &a.probes.liveness);
    k.probe("agent.probes.readiness", &a.probes.readiness);
    k.probe("agent.probes.startup", &a.probes.startup);
    let surge = k.percent_or_int("agent.rollingUpdate.maxSurge", &a.rolling_update.max_surge);
    let unavail = k.percent_or_int(
        "agent.rollingUpdate.maxUnavailable",
        &a.rolling_update.max_unavailable,
    );
    if let (Some(s), Some(u)) = (surge, unavail)
        && is_zero(&s)
        && is_zero(&u)
    {
        k.cross(
            "agent.rollingUpdate.maxSurge",
            "agent.rollingUpdate.maxUnavailable",
            "maxSurge and maxUnavailable are both 0: a rollout could never make progress".into(),
            "set `agent.rollingUpdate.maxSurge` to 1 (zero downtime) or allow one unavailable pod"
                .into(),
        );
    }
    k.labels("agent.nodeSelector", &a.node_selector);
    if a.run_as_user == 0 {
        k.fail(
            "agent.runAsUser",
            "the agent must not run as root (UID 0)".into(),
            Some("use a UID of 10000 or more, e.g. 10001".into()),
        );
    }
    k.quantity("agent.tmpSizeLimit", &a.tmp_size_limit, Kind::Memory);
    k.storage("agent.storage", &a.storage);
    if a.storage.access_mode != AccessMode::ReadWriteMany && a.replicas.max > 1 {
        let spread = if a.anti_affinity == AntiAffinity::None {
            ""
        } else {
            " (and anti-affinity spreads them over nodes)"
        };
        k.cross(
            "agent.storage.accessMode",
            "agent.replicas.max",
            format!(
                "agent-data-pvc is {:?} but up to {} agent pods mount it{spread}: pods on a second node could never start",
                a.storage.access_mode, a.replicas.max
            ),
            "use `ReadWriteMany` (a storage class that supports it), or run a single replica".into(),
        );
    }
}

/// The agent's extra environment variables: names, reserved names, credentials.
fn agent_env(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    let reserved = [
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
        ("REDIS_HOST", "(set from redis)"),
        ("REDIS_PORT", "(set from redis.port)"),
        ("REDIS_URL", "(set from redis)"),
        ("REDIS_PASSWORD", "(from the Secret)"),
        ("ANTHROPIC_API_KEY", "(from the Secret)"),
    ];
    for key in a.config.extra.keys() {
        let path = format!("agent.config.extra.{key}");
        let valid = key
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
            && key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !valid {
            k.fail_key(
                &path,
                format!("`{key}` is not a valid environment variable name"),
                Some("use letters, digits and '_', not starting with a digit".into()),
            );
        } else if let Some((_, field)) = reserved.iter().find(|(r, _)| r == key) {
            k.fail_key(
                &path,
                format!("`{key}` is set by agentctl itself"),
                Some(format!("use {field} instead")),
            );
        } else if is_sensitive(key) {
            // On the value, which the source excerpt then shows redacted (a caret on the key
            // would redact the key's own line from the key on).
            k.fail(
                &path,
                format!("`{key}` looks like a credential; the ConfigMap is not the place for it (value not shown)"),
                Some(format!("add it to the Secret `{}` instead of the ConfigMap", c.secret.name)),
            );
        }
    }
}

/// Redis.
fn redis(k: &mut Checker, c: &Config) {
    // Redis.
    let r = &c.redis;
    k.image("redis.image", &r.image);
    if r.port == 0 {
        k.fail(
            "redis.port",
            "port 0 is not a valid port".into(),
            Some("use 1-65535, e.g. 6379".into()),
        );
    }
    k.compute(
        "redis.resources",
        &r.resources.requests,
        &r.resources.limits,
    );
    if r.run_as_user == 0 {
        k.fail(
            "redis.runAsUser",
            "Redis must not run as root (UID 0)".into(),
            Some("use a UID of 10000 or more, e.g. 10001".into()),
        );
    }
    k.storage("redis.storage", &r.storage);
}

/// The HorizontalPodAutoscaler.
fn autoscaling(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    // Autoscaling.
    let h = &c.autoscaling;
    if h.enabled {
        if h.request_rate.enabled {
            if h.request_rate.metric_name.is_empty() {
                k.fail(
                    "autoscaling.requestRate.metricName",
                    "the custom metric needs a name".into(),
                    Some("e.g. http_requests_per_second".into()),
                );
            }
            k.quantity(
                "autoscaling.requestRate.targetAverageValue",
                &h.request_rate.target_average_value,
                Kind::Plain,
            );
        }
        if a.replicas.min == a.replicas.max {
            k.cross(
                "agent.replicas.max",
                "autoscaling.enabled",
                format!("autoscaling is on but min and max replicas are both {}: the HPA could never scale", a.replicas.min),
                "raise `agent.replicas.max`, or set `autoscaling.enabled: false`".into(),
            );
        }
    }
}

/// The PodDisruptionBudget.
fn disruption_budget(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    // Disruption budget.
    let p = &c.disruption_budget;
    if p.enabled
        && let Some(mu) = k.percent_or_int("disruptionBudget.maxUnavailable", &p.max_unavailable)
    {
        if is_zero(&mu) {
            k.fail(
                "disruptionBudget.maxUnavailable",
                "maxUnavailable 0 blocks every node drain and cluster upgrade".into(),
                Some("allow at least 1 pod to be disrupted".into()),
            );
        } else if let IntOrPercent::Int(n) = mu
            && n >= a.replicas.min
        {
            k.cross(
                "disruptionBudget.maxUnavailable",
                "agent.replicas.min",
                format!("the budget allows {n} of {} agent pods down at once: it protects nothing", a.replicas.min),
                if a.replicas.min <= 1 {
                    "with a single replica set `disruptionBudget.enabled: false`, or run at least 2 replicas".into()
                } else {
                    format!("lower `disruptionBudget.maxUnavailable` below {}", a.replicas.min)
                },
            );
        }
    }
}

/// The NetworkPolicy (and the API server CIDR it opens).
fn network_policy(k: &mut Checker, c: &Config) {
    // Network policy.
    let n = &c.network_policy;
    if n.enabled {
        for (i, ns) in n.ingress_namespaces.iter().enumerate() {
            k.dns_label(&format!("networkPolicy.ingressNamespaces.{i}"), ns);
        }
        k.cidr("networkPolicy.egressCidr", &n.egress_cidr);
        for (i, e) in n.egress_except.iter().enumerate() {
            k.cidr(&format!("networkPolicy.egressExcept.{i}"), e);
        }
        if n.egress_ports.contains(&0) {
            k.fail(
                "networkPolicy.egressPorts",
                "port 0 is not a valid port".into(),
                Some("use 1-65535, e.g. 443".into()),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = n.egress_ports.iter().find(|p| !seen.insert(**p)) {
            k.fail(
                "networkPolicy.egressPorts",
                format!("port {dup} is listed more than once"),
                Some("list each port once".into()),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = n.ingress_namespaces.iter().find(|ns| !seen.insert(*ns)) {
            k.fail(
                "networkPolicy.ingressNamespaces",
                format!("namespace `{dup}` is listed more than once"),
                Some("list each namespace once".into()),
            );
        }
        if c.rbac.api_access {
            k.cidr("rbac.apiServerCidr", &c.rbac.api_server_cidr);
        }
    }
}

/// Monitoring: the Prometheus namespace and the ServiceMonitor.
fn monitoring(k: &mut Checker, c: &Config) {
    // Monitoring.
    let m = &c.monitoring;
    k.dns_label("monitoring.prometheusNamespace", &m.prometheus_namespace);
    let sm = &m.service_monitor;
    if sm.enabled {
        if !sm.path.starts_with('/') {
            k.fail(
                "monitoring.serviceMonitor.path",
                format!("metrics path `{}` must start with '/'", sm.path),
                Some(format!("write `/{}`", sm.path)),
            );
        }
        let interval = k.duration("monitoring.serviceMonitor.interval", &sm.interval);
        let timeout = k.duration(
            "monitoring.serviceMonitor.scrapeTimeout",
            &sm.scrape_timeout,
        );
        if let (Some(i), Some(t)) = (interval, timeout)
            && t > i
        {
            k.cross(
                "monitoring.serviceMonitor.scrapeTimeout",
                "monitoring.serviceMonitor.interval",
                format!(
                    "scrape timeout {} is longer than the interval {}",
                    sm.scrape_timeout, sm.interval
                ),
                "keep the timeout at or below the interval".into(),
            );
        }
        k.labels("monitoring.serviceMonitor.labels", &sm.labels);
    }
}
