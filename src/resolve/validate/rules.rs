//! The rule groups: one function per part of the configuration, each checking its settings
//! and their relations through the [`Checker`]. Only reads the configuration; never I/O.

use super::operations;
use super::*;

/// The rule groups, one per part of the configuration, in the order they report. A new rule
/// goes into the group of the object it is about (or a new group here).
pub(super) const RULES: &[fn(&mut Checker, &Config)] = &[
    super::version::kube_version,
    metadata,
    agent,
    agent_env,
    configmap_size,
    redis,
    autoscaling,
    super::around::behavior,
    super::around::disruption_budget,
    network_policy,
    super::monitoring::monitoring,
    super::around::relabelings,
    super::monitoring::redis_exporter,
    super::monitoring::alerts,
    super::monitoring::dashboard,
    operations::backup,
    operations::quota,
    operations::vpa,
    operations::keda,
    super::around::keda_triggers,
    super::keda::scale_to_zero,
    super::keda::authentications,
    operations::external_secret,
    fit::ports,
    super::env::env,
    super::env::env_from,
    fit::identity,
    super::scheduling::scheduling,
    super::dns::dns,
    super::scheduling::placement,
    fit::pod_metadata,
    fit::exposure,
    super::around::ingress,
    fit::managed_redis,
    super::pod::parts,
    super::lifecycle::hooks,
    super::policy::policy_rules,
    redis::redis_fit,
    redis::redis_off,
];

/// Namespace, labels and the Secret reference.
fn metadata(k: &mut Checker, c: &Config) {
    k.dns_label("namespace", &c.namespace);
    if let Some(why) = reserved_namespace(&c.namespace) {
        k.fail(
            "namespace",
            format!("`{}` is {why}: agentctl renders (and `kubectl delete -k` deletes) the namespace it deploys into", c.namespace),
            Some("deploy into a namespace of its own, e.g. `production-agents`".into()),
        );
    }
    if let Some(i) = &c.instance {
        if let Err(why) = crate::config::names::dns1035_label(i) {
            k.fail(
                "instance",
                format!("`{i}` is not a valid instance name: {why} (it begins the Services' names, RFC 1035 labels)"),
                Some(format!(
                    "use a lowercase letter, then lowercase letters, digits and '-', e.g. `{}`",
                    Some(suggest_name(i, false))
                        .filter(|n| crate::config::names::dns1035_label(n).is_ok())
                        .unwrap_or_else(|| "support".to_owned())
                )),
            );
        } else if let Some((message, help)) = crate::config::Names::of(c).too_long(c) {
            k.fail("instance", message, Some(help));
        }
    }
    k.labels("labels", &c.labels);
    k.reserved_labels("labels", &c.labels);
    k.dns_subdomain("secret.name", &c.secret.name);
    for (path, key) in [
        ("secret.apiKeyKey", c.secret.api_key_key.as_ref()),
        (
            "secret.redisPasswordKey",
            Some(&c.secret.redis_password_key),
        ),
    ] {
        if let Some(key) = key {
            k.secret_key_name(path, key, "Secret key");
        }
    }
    if c.secret.api_key_key.as_ref() == Some(&c.secret.redis_password_key) {
        k.cross(
            "secret.redisPasswordKey",
            "secret.apiKeyKey",
            "the API key and the Redis password use the same Secret key".into(),
            "give each credential its own key".into(),
        );
    }
}

/// The agent Deployment: image, replicas, ports, resources, probes, rollout, storage.
// Long on purpose: the agent's rules in the order its settings appear in `explain agent`.
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
    super::pod::agent_probes(k, c);
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
    if a.service.session_affinity_timeout_seconds.is_some()
        && a.service.session_affinity != crate::config::SessionAffinity::ClientIp
    {
        k.fail(
            "agent.service.sessionAffinityTimeoutSeconds",
            "a session affinity timeout without `sessionAffinity: ClientIP` does nothing".into(),
            Some("set `agent.service.sessionAffinity: ClientIP`, or remove the timeout".into()),
        );
    }
    if let Some(uid) = a.run_as_user {
        if uid == 0 {
            k.fail(
                "agent.runAsUser",
                "the agent must not run as root (UID 0)".into(),
                Some("use a UID of 10000 or more, e.g. 10001, or `null` to let the platform assign one (OpenShift)".into()),
            );
        }
        k.uid("agent.runAsUser", uid);
    }
    k.quantity("agent.tmpSizeLimit", &a.tmp_size_limit, Kind::Memory);
    k.quantity("agent.storage.size", &a.storage.size, Kind::Memory);
    if let Some(class) = &a.storage.storage_class {
        k.dns_subdomain("agent.storage.storageClass", class);
    }
    unused_claim_settings(k, c);
    if a.storage.kind == crate::config::DataVolume::PersistentVolumeClaim
        && a.storage.access_mode != AccessMode::ReadWriteMany
        && a.replicas.max > 1
    {
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
            "use `ReadWriteMany` (a storage class that supports it), `agent.storage.type: emptyDir`, or a single replica".into(),
        );
    }
}

/// Nothing is silently ignored: a claim's class while the agent's volume is no claim
/// (`emptyDir`, `none`) would do nothing. (No profile sets it, so every profile still renders
/// alone; `agentctl config` never writes it out where it is refused.) `accessMode` is left
/// alone: it always has a value, its default, which `config` writes out as well.
fn unused_claim_settings(k: &mut Checker, c: &Config) {
    let what = match c.agent.storage.kind {
        crate::config::DataVolume::PersistentVolumeClaim => return,
        crate::config::DataVolume::EmptyDir => {
            "`emptyDir` (each pod's own scratch space, no PersistentVolumeClaim)"
        }
        crate::config::DataVolume::None => "`none` (no data volume)",
    };
    let path = "agent.storage.storageClass";
    if c.agent.storage.storage_class.is_some() {
        k.cross(
            path,
            "agent.storage.type",
            format!("this setting would do nothing: the agent's data volume is {what}; only the claim `agent-data-pvc` (`agent.storage.type: persistentVolumeClaim`) has a class"),
            format!("set `agent.storage.type: persistentVolumeClaim` for the shared claim on that class, or remove `{path}`"),
        );
    }
}

/// The agent's ConfigMap settings: names, reserved names, credentials. (`agent.env` and the
/// other fitting settings are checked in `fit`.)
fn agent_env(k: &mut Checker, c: &Config) {
    for (key, value) in &c.agent.config.extra {
        let path = format!("agent.config.extra.{key}");
        if !k.env_name(&path, key, c) {
            continue;
        }
        if !is_sensitive(key) && looks_like_credential(value) {
            k.fail(
                &path,
                format!("the value of `{key}` looks like a credential (a token, a key, a password in a URL); the ConfigMap is not the place for it (value not shown)"),
                Some(format!("add it to the Secret `{}` and read it with `agent.env.{key}: {{secretKey: <key>}}`", c.secret.name)),
            );
        } else if is_sensitive(key) {
            // On the value, which the source excerpt then shows redacted (a caret on the key
            // would redact the key's own line from the key on).
            k.fail(
                &path,
                format!("`{key}` looks like a credential; the ConfigMap is not the place for it (value not shown)"),
                Some(format!("add it to the Secret `{}` and read it with `agent.env.{key}: {{secretKey: <key>}}`", c.secret.name)),
            );
        }
    }
}

/// The most a ConfigMap's data may hold (keys and values), in bytes: Kubernetes rejects a
/// larger one (`must have at most 1048576 bytes`).
const CONFIGMAP_MAX_BYTES: usize = 1024 * 1024;

/// Bytes kept for the keys agentctl itself writes into `agent-config` (`LOG_LEVEL`, ...).
const CONFIGMAP_BUILTIN_BYTES: usize = 1024;

/// The size of the agent's ConfigMap: its settings must fit what Kubernetes accepts.
fn configmap_size(k: &mut Checker, c: &Config) {
    let extra = &c.agent.config.extra;
    let total: usize = extra.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total + CONFIGMAP_BUILTIN_BYTES <= CONFIGMAP_MAX_BYTES {
        return;
    }
    let Some((largest, value)) = extra.iter().max_by_key(|(k, v)| k.len() + v.len()) else {
        return;
    };
    k.fail(
        &format!("agent.config.extra.{largest}"),
        format!(
            "the ConfigMap `agent-config` would hold {total} bytes of settings (this one {} bytes), over the {CONFIGMAP_MAX_BYTES} bytes Kubernetes accepts (with {CONFIGMAP_BUILTIN_BYTES} kept for agentctl's own keys)",
            largest.len() + value.len()
        ),
        Some("a ConfigMap holds settings, not data: mount large content from a volume or a ConfigMap of its own (`resources:`)".into()),
    );
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
    if let Some(uid) = r.run_as_user {
        if uid == 0 {
            k.fail(
                "redis.runAsUser",
                "Redis must not run as root (UID 0)".into(),
                Some("use a UID of 10000 or more, e.g. 10001, or `null` to let the platform assign one (OpenShift)".into()),
            );
        }
        k.uid("redis.runAsUser", uid);
    }
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
            let path = format!("networkPolicy.egressExcept.{i}");
            k.cidr(&path, e);
            if let (Some(outer), Some(inner)) = (parse_cidr(&n.egress_cidr), parse_cidr(e))
                && !cidr_within(outer, inner)
            {
                let why = if outer.0.is_ipv4() != inner.0.is_ipv4() {
                    "it is of the other IP family"
                } else {
                    "it is not inside it"
                };
                k.cross(
                    &path,
                    "networkPolicy.egressCidr",
                    format!(
                        "`{e}` cannot be excluded from `{}`: {why}; Kubernetes rejects the NetworkPolicy",
                        n.egress_cidr
                    ),
                    "list only ranges inside `egressCidr` (e.g. `10.0.0.0/8` inside `0.0.0.0/0`), or widen `egressCidr`".into(),
                );
            }
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
