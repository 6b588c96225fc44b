//! The render-context values of the objects around the agent workload: the HPA's behavior (and
//! KEDA's HPA's), KEDA's further triggers and the TriggerAuthentications they reference, the agent ServiceMonitor's endpoint and the
//! Ingress's rules and TLS (`ingress.hosts` with `paths` and `extraPaths`, then each of
//! `extraHosts`). Pure functions of the configuration; the templates decide where they go.

use serde_json::{Map, Value as J, json};

use crate::config::{Config, KedaAuthenticationRef, Names, PathType, ScalingRules};

/// Context entries for the templates, to be added to the render context.
pub fn context(cfg: &Config, names: &Names) -> Map<String, J> {
    let mut out = Map::new();
    let (up, down) = cfg.autoscaling.effective_behavior(false);
    out.insert("hpa_behavior".into(), behavior(up.as_ref(), &down));
    let (up, down) = cfg.autoscaling.effective_behavior(true);
    out.insert("keda_behavior".into(), behavior(up.as_ref(), &down));
    out.insert("agent_endpoint".into(), endpoint(cfg));
    out.insert("keda_triggers".into(), J::Array(keda_triggers(cfg)));
    out.insert(
        "keda_authentications".into(),
        J::Array(keda_authentications(cfg)),
    );
    let redis_ref = cfg.keda.redis_list.authentication_ref.as_ref();
    out.insert(
        "keda_redis_authentication_ref".into(),
        redis_ref.map_or(J::Null, |a| authentication_ref(cfg, a)),
    );
    let (rules, tls) = ingress(cfg, names);
    out.insert("ingress_rules".into(), J::Array(rules));
    out.insert("ingress_tls".into(), J::Array(tls));
    out
}

/// `spec.behavior`: `scaleDown`, then `scaleUp` when rendered, each field only when set.
fn behavior(up: Option<&ScalingRules>, down: &ScalingRules) -> J {
    let rules = |r: &ScalingRules| {
        let mut m = Map::new();
        if let Some(w) = r.stabilization_window_seconds {
            m.insert("stabilizationWindowSeconds".into(), json!(w));
        }
        if let Some(p) = r.select_policy {
            m.insert("selectPolicy".into(), json!(p));
        }
        if let Some(p) = &r.policies {
            m.insert("policies".into(), json!(p));
        }
        J::Object(m)
    };
    let mut m = Map::new();
    m.insert("scaleDown".into(), rules(down));
    if let Some(up) = up {
        m.insert("scaleUp".into(), rules(up));
    }
    J::Object(m)
}

/// `keda.triggers`, in name order, each named by its key.
fn keda_triggers(cfg: &Config) -> Vec<J> {
    cfg.keda
        .triggers
        .iter()
        .map(|(name, t)| {
            let mut j = json!({"type": t.kind, "name": name, "metadata": t.metadata});
            if let Some(a) = &t.authentication_ref {
                j["authenticationRef"] = authentication_ref(cfg, a);
            }
            if let Some(m) = t.metric_type {
                j["metricType"] = json!(m);
            }
            j
        })
        .collect()
}

/// A trigger's `authenticationRef`: one of `keda.authentications` by its object's name.
fn authentication_ref(cfg: &Config, a: &KedaAuthenticationRef) -> J {
    json!({
        "name": cfg.keda.reference_name(cfg.instance.as_deref(), a),
        "kind": a.kind,
    })
}

/// `keda.authentications`, in name order: each TriggerAuthentication's name and its
/// `secretTargetRef` entries (parameter order; a Secret unset is `secret.name`).
fn keda_authentications(cfg: &Config) -> Vec<J> {
    cfg.keda
        .authentications
        .iter()
        .map(|(name, a)| {
            let refs: Vec<J> = a
                .secret_target_ref
                .iter()
                .map(|(parameter, r)| {
                    json!({
                        "parameter": parameter,
                        "name": r.name.as_deref().unwrap_or(&cfg.secret.name),
                        "key": r.key,
                    })
                })
                .collect();
            json!({
                "name": cfg.keda.authentication_name(cfg.instance.as_deref(), name),
                "secretTargetRef": refs,
            })
        })
        .collect()
}

/// The agent ServiceMonitor's endpoint.
fn endpoint(cfg: &Config) -> J {
    let sm = &cfg.monitoring.service_monitor;
    let port = if cfg.agent.metrics_port.is_some() {
        "metrics"
    } else {
        "http"
    };
    let mut e = json!({
        "port": port,
        "path": sm.path,
        "interval": sm.interval,
        "scrapeTimeout": sm.scrape_timeout,
        "scheme": sm.scheme,
    });
    if sm.honor_labels {
        e["honorLabels"] = json!(true);
    }
    let steps = |list: &[crate::config::Relabeling]| -> Vec<J> {
        list.iter()
            .map(|r| crate::render::fit::strip_nulls(json!(r)))
            .map(|mut r| {
                // An empty `sourceLabels` is Prometheus' default: left out.
                if r["sourceLabels"].as_array().is_some_and(Vec::is_empty)
                    && let Some(m) = r.as_object_mut()
                {
                    m.remove("sourceLabels");
                }
                r
            })
            .collect()
    };
    if !sm.relabelings.is_empty() {
        e["relabelings"] = J::Array(steps(&sm.relabelings));
    }
    if !sm.metric_relabelings.is_empty() {
        e["metricRelabelings"] = J::Array(steps(&sm.metric_relabelings));
    }
    if let Some(tls) = &sm.tls_config {
        e["tlsConfig"] = crate::render::exposure::scrape_tls(tls);
    }
    e
}

/// The Ingress's rules (one per host of `hosts`, or one for every host with none, then one
/// per `extraHosts` entry) and its TLS entries (`tlsSecret` for `hosts`, then each extra
/// host's own).
fn ingress(cfg: &Config, names: &Names) -> (Vec<J>, Vec<J>) {
    let i = &cfg.ingress;
    let service = names.get("agent-service");
    let item = |path: &str, kind: PathType, port: Option<&str>| {
        json!({
            "path": path,
            "pathType": kind,
            "backend": {"service": {"name": service, "port": {"name": port.unwrap_or("http")}}},
        })
    };
    let mut paths: Vec<J> = i.paths.iter().map(|p| item(p, i.path_type, None)).collect();
    paths.extend(i.extra_paths.values().map(|e| {
        item(
            &e.path,
            e.path_type.unwrap_or(i.path_type),
            e.port.as_deref(),
        )
    }));
    let mut rules: Vec<J> = if i.hosts.is_empty() {
        vec![json!({"http": {"paths": paths}})]
    } else {
        i.hosts
            .iter()
            .map(|h| json!({"host": h, "http": {"paths": paths}}))
            .collect()
    };
    let mut tls = Vec::new();
    if let Some(secret) = &i.tls_secret {
        tls.push(json!({"hosts": i.hosts, "secretName": secret}));
    }
    for e in i.extra_hosts.values() {
        let kind = e.path_type.unwrap_or(i.path_type);
        let paths: Vec<J> = e
            .paths
            .iter()
            .map(|p| item(p, kind, e.port.as_deref()))
            .collect();
        rules.push(json!({"host": e.host, "http": {"paths": paths}}));
        if let Some(secret) = &e.tls_secret {
            tls.push(json!({"hosts": [e.host], "secretName": secret}));
        }
    }
    (rules, tls)
}
