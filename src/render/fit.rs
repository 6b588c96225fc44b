//! The render-context values derived from the fitting settings ([`crate::config::fit`]): the
//! Kubernetes shapes of tolerations, spread constraints and node affinity, the Redis wiring
//! (in-cluster or managed), the namespaces the NetworkPolicy admits, and the
//! keys of the agent Secret the output references. Pure functions of the configuration; the
//! templates decide where the values go.

use std::collections::BTreeMap;

use serde_json::{Map, Value as J, json};

use crate::config::{CHECKSUM_ANNOTATION, Config, Names, NodeOperator, ZoneSpread};

/// Context entries for the templates, to be added to the render context.
pub fn context(
    cfg: &Config,
    names: &Names,
    agent_labels: &BTreeMap<String, String>,
    agent_pod_base: &BTreeMap<String, String>,
    checksum: &str,
) -> Map<String, J> {
    let a = &cfg.agent;
    let selector = json!(names.selector("agent"));
    let mut pod_labels = agent_pod_base.clone();
    pod_labels.extend(a.pod_labels.clone());
    let mut pod_annotations = a.pod_annotations.clone();
    pod_annotations.insert(CHECKSUM_ANNOTATION.into(), checksum.into());
    let mut sa_labels = agent_labels.clone();
    sa_labels.extend(a.service_account.labels.clone());

    // `agent.dnsConfig`: options as Kubernetes lists them, a bare option without `value`.
    let dns_config = a.dns_config.as_ref().map_or(J::Null, |d| {
        let mut j = serde_json::Map::new();
        if !d.nameservers.is_empty() {
            j.insert("nameservers".into(), json!(d.nameservers));
        }
        if !d.searches.is_empty() {
            j.insert("searches".into(), json!(d.searches));
        }
        if !d.options.is_empty() {
            let options: Vec<J> = d
                .options
                .iter()
                .map(|(n, v)| {
                    if v.is_empty() {
                        json!({"name": n})
                    } else {
                        json!({"name": n, "value": v})
                    }
                })
                .collect();
            j.insert("options".into(), J::Array(options));
        }
        J::Object(j)
    });
    let tolerations: Vec<J> = a
        .tolerations
        .iter()
        .map(|t| strip_nulls(serde_json::to_value(t).unwrap_or(J::Null)))
        .collect();

    let mut spread = Vec::new();
    let zone = match a.zone_spread {
        ZoneSpread::None => None,
        ZoneSpread::Preferred => Some("ScheduleAnyway"),
        ZoneSpread::Required => Some("DoNotSchedule"),
    };
    if let Some(when) = zone {
        spread.push(json!({
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": selector},
        }));
    }
    for c in &a.topology_spread_constraints {
        spread.push(json!({
            "maxSkew": c.max_skew,
            "topologyKey": c.topology_key,
            "whenUnsatisfiable": c.when_unsatisfiable,
            "labelSelector": {"matchLabels": selector},
        }));
    }

    let mut out = Map::new();
    out.insert("agent_pod_labels".into(), json!(pod_labels));
    out.insert("agent_pod_annotations".into(), json!(pod_annotations));
    out.insert("service_account_labels".into(), json!(sa_labels));
    out.insert("agent_tolerations".into(), J::Array(tolerations));
    out.insert("agent_dns_config".into(), dns_config);
    out.insert("agent_topology_spread".into(), J::Array(spread));
    out.insert("agent_node_affinity".into(), node_affinity(cfg));
    out.insert("caller_namespaces".into(), json!(caller_namespaces(cfg)));
    out.extend(redis(cfg, names));
    out.extend(crate::render::parts::context(cfg));
    out
}

/// `nodeAffinity`: the required rules as one term (all must hold), each preference on its own;
/// `false` when there is none (the template leaves the block out).
fn node_affinity(cfg: &Config) -> J {
    let expr = |r: &crate::config::NodeAffinityRule| {
        let mut e = json!({"key": r.key, "operator": r.operator});
        if !matches!(
            r.operator,
            NodeOperator::Exists | NodeOperator::DoesNotExist
        ) {
            e["values"] = json!(r.values);
        }
        e
    };
    let rules = &cfg.agent.node_affinity;
    let required: Vec<J> = rules
        .values()
        .filter(|r| r.weight.is_none())
        .map(expr)
        .collect();
    let preferred: Vec<J> = rules
        .values()
        .filter_map(|r| {
            r.weight
                .map(|w| json!({"weight": w, "preference": {"matchExpressions": [expr(r)]}}))
        })
        .collect();
    let mut na = Map::new();
    if !required.is_empty() {
        na.insert(
            "requiredDuringSchedulingIgnoredDuringExecution".into(),
            json!({"nodeSelectorTerms": [{"matchExpressions": required}]}),
        );
    }
    if !preferred.is_empty() {
        na.insert(
            "preferredDuringSchedulingIgnoredDuringExecution".into(),
            J::Array(preferred),
        );
    }
    if na.is_empty() {
        J::Bool(false)
    } else {
        J::Object(na)
    }
}

/// The namespaces (besides the agent's own) whose pods may call the agent port, in order, once
/// each: `networkPolicy.ingressNamespaces`, the ingress controller's, the gateway proxies'.
pub fn caller_namespaces(cfg: &Config) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |ns: &str| {
        if ns != cfg.namespace && !out.iter().any(|n| n == ns) {
            out.push(ns.to_owned());
        }
    };
    cfg.network_policy
        .ingress_namespaces
        .iter()
        .for_each(|n| add(n));
    if cfg.ingress.enabled
        && let Some(ns) = &cfg.ingress.controller_namespace
    {
        add(ns);
    }
    if cfg.http_route.enabled {
        match &cfg.http_route.proxy_namespaces {
            Some(list) => list.iter().for_each(|n| add(n)),
            None => cfg
                .http_route
                .parent_refs
                .iter()
                .filter_map(|p| p.namespace.as_deref())
                .for_each(&mut add),
        }
    }
    out
}

/// The Redis wiring of the agent: host, port, TLS, the password's Secret key and a URL Secret.
fn redis(cfg: &Config, names: &Names) -> Map<String, J> {
    let r = &cfg.redis;
    let secret_key = |k: &crate::config::SecretKey| json!({"name": k.name.clone().unwrap_or_else(|| cfg.secret.name.clone()), "key": k.key});
    let mut m = Map::new();
    if r.none {
        // No Redis at all: no variable, no KEDA address (its trigger is refused).
        for key in [
            "redis_host",
            "redis_port",
            "redis_tls",
            "redis_password",
            "redis_url_secret",
            "keda_redis_address",
            "keda_redis_tls",
            "keda_redis_password",
        ] {
            m.insert(key.into(), J::Null);
        }
    } else if r.enabled {
        let service = names.get("redis-service");
        m.insert("redis_host".into(), json!(service));
        m.insert("redis_port".into(), json!(r.port));
        m.insert("redis_tls".into(), J::Null);
        m.insert(
            "redis_password".into(),
            json!({"name": cfg.secret.name, "key": cfg.secret.redis_password_key}),
        );
        m.insert("redis_url_secret".into(), J::Null);
        m.insert(
            "keda_redis_address".into(),
            json!(format!("{service}.{}.svc:{}", cfg.namespace, r.port)),
        );
        m.insert("keda_redis_tls".into(), json!(false));
        m.insert("keda_redis_password".into(), json!(true));
    } else {
        let e = &r.external;
        m.insert("redis_host".into(), json!(e.host));
        m.insert("redis_port".into(), json!(e.port));
        // A URL from a Secret says everything (scheme included): no other Redis variable.
        let tls = if e.url.is_some() {
            J::Null
        } else {
            json!(e.tls)
        };
        m.insert("redis_tls".into(), tls);
        m.insert(
            "redis_password".into(),
            e.password.as_ref().map_or(J::Null, secret_key),
        );
        m.insert(
            "redis_url_secret".into(),
            e.url.as_ref().map_or(J::Null, secret_key),
        );
        // KEDA's Redis scaler takes `host:port` and TLS as a flag; validation refuses the
        // trigger with a URL from a Secret (which KEDA cannot read).
        let host = e.host.clone().unwrap_or_default();
        m.insert(
            "keda_redis_address".into(),
            json!(format!("{host}:{}", e.port)),
        );
        // A TriggerAuthentication gives TLS itself (KEDA refuses `tls` set in both places).
        let authenticated = cfg.keda.redis_list.authentication_ref.is_some();
        m.insert(
            "keda_redis_tls".into(),
            json!(e.tls && e.url.is_none() && !authenticated),
        );
        m.insert("keda_redis_password".into(), json!(e.password.is_some()));
    }
    m
}

/// Drops `null` members (unset optional fields) from an object.
pub(super) fn strip_nulls(v: J) -> J {
    match v {
        J::Object(m) => J::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EnvSource, EnvValue, ParentRef, SecretKey};

    #[test]
    fn the_secret_command_lists_every_key_the_output_references() {
        let mut cfg = Config::default();
        let keys = |c: &Config| c.agent_secret_keys();
        assert_eq!(keys(&cfg), ["anthropic-api-key", "redis-password"]);
        cfg.agent.env.insert(
            "OPENAI_API_KEY".into(),
            EnvValue::From(EnvSource {
                secret_key: Some("openai-api-key".into()),
                ..EnvSource::default()
            }),
        );
        cfg.agent.env.insert(
            "OTHER".into(),
            EnvValue::From(EnvSource {
                secret: Some("elsewhere".into()),
                key: Some("k".into()),
                ..EnvSource::default()
            }),
        );
        cfg.secret.api_key_key = None;
        assert_eq!(keys(&cfg), ["redis-password", "openai-api-key"]);
        // A managed Redis: its password key when it is in the agent Secret, nothing otherwise.
        cfg.redis.enabled = false;
        cfg.redis.external.password = Some(SecretKey {
            name: None,
            key: "redis-auth-token".into(),
        });
        assert_eq!(keys(&cfg), ["redis-auth-token", "openai-api-key"]);
        cfg.redis.external.password = Some(SecretKey {
            name: Some("redis-credentials".into()),
            key: "token".into(),
        });
        assert_eq!(keys(&cfg), ["openai-api-key"]);
    }

    #[test]
    fn the_network_policy_admits_the_controller_and_gateway_namespaces_once() {
        let mut cfg = Config::default();
        assert!(caller_namespaces(&cfg).is_empty());
        cfg.network_policy.ingress_namespaces = vec!["ingress-nginx".into(), "batch".into()];
        cfg.ingress.enabled = true;
        cfg.http_route.enabled = true;
        cfg.http_route.parent_refs = vec![
            ParentRef {
                name: "public".into(),
                namespace: Some("gateway-system".into()),
                ..ParentRef::default()
            },
            ParentRef {
                name: "local".into(),
                ..ParentRef::default()
            },
        ];
        assert_eq!(
            caller_namespaces(&cfg),
            ["ingress-nginx", "batch", "gateway-system"]
        );
        cfg.http_route.proxy_namespaces = Some(vec!["envoy-gateway-system".into()]);
        assert_eq!(
            caller_namespaces(&cfg),
            ["ingress-nginx", "batch", "envoy-gateway-system"]
        );
    }
}
