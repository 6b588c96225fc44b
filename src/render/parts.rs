//! The render-context values of the agent pod's extra parts (`crate::config::pod`): the
//! sidecar and init containers in their Kubernetes shape (hardened security context, the
//! environment in the forms of `agent.env`, mounts, probes), the extra volumes and the agent's
//! mounts of them, the extra container and Service ports, and the NetworkPolicy rules that
//! follow them (extra ports let in from the callers, `networkPolicy.ingressFrom` and
//! `egressTo`). Pure functions of the configuration; the templates place the values.

use std::collections::BTreeMap;

use serde_json::{Map, Value as J, json};

use crate::config::{
    Config, Container, EnvValue, Lifecycle, Mount, PolicyRule, Port, PortFrom, PortValue, Probe,
    Protocol, PullPolicy, RulePort, Volume,
};

pub(super) fn is_digest(image: &str) -> bool {
    image.contains("@sha256:")
}

/// The pull policy: as configured, else `Always` for a tag and `IfNotPresent` for a digest.
pub(super) fn pull_policy(image: &str, configured: Option<PullPolicy>) -> J {
    let policy = configured.unwrap_or(if is_digest(image) {
        PullPolicy::IfNotPresent
    } else {
        PullPolicy::Always
    });
    serde_json::to_value(policy).unwrap_or(J::Null)
}

/// Context entries for the templates, to be added to the render context.
pub fn context(cfg: &Config) -> Map<String, J> {
    let a = &cfg.agent;
    let mut out = Map::new();
    out.insert("agent_probes".into(), agent_probes(cfg));
    out.insert(
        "agent_extra_ports".into(),
        J::Array(a.ports.iter().map(|(n, p)| container_port(n, p)).collect()),
    );
    out.insert(
        "agent_extra_mounts".into(),
        J::Array(
            a.volumes
                .iter()
                .filter_map(|(name, v)| {
                    v.mount_path.as_ref().map(|path| {
                        mount_json(
                            name,
                            &Mount {
                                mount_path: path.clone(),
                                read_only: v.read_only,
                                sub_path: None,
                            },
                            Some(v),
                        )
                    })
                })
                .collect(),
        ),
    );
    out.insert(
        "agent_lifecycle".into(),
        lifecycle(&a.lifecycle).unwrap_or(J::Null),
    );
    out.insert(
        "agent_extra_volumes".into(),
        J::Array(a.volumes.iter().map(|(n, v)| volume(n, v)).collect()),
    );
    out.insert(
        "agent_sidecars".into(),
        J::Array(
            a.sidecars
                .iter()
                .filter(|(_, c)| !c.native)
                .map(|(n, c)| container(cfg, n, c, false))
                .collect(),
        ),
    );
    out.insert(
        "agent_init_containers".into(),
        J::Array(
            init_order(cfg)
                .into_iter()
                .map(|(n, c, native)| container(cfg, n, c, native))
                .collect(),
        ),
    );
    let every_port = || {
        a.ports
            .iter()
            .chain(a.sidecars.values().flat_map(|c| c.ports.iter()))
    };
    out.insert(
        "service_extra_ports".into(),
        J::Array(
            every_port()
                .filter(|(_, p)| p.service.shared())
                .map(|(n, p)| {
                    let mut s =
                        json!({"name": n, "port": p.port, "targetPort": n, "protocol": p.protocol});
                    if let Some(ap) = &p.app_protocol {
                        s["appProtocol"] = json!(ap);
                    }
                    s
                })
                .collect(),
        ),
    );
    out.insert(
        "caller_extra_ports".into(),
        J::Array(
            every_port()
                .filter(|(_, p)| p.from == PortFrom::Callers)
                .map(|(_, p)| json!({"port": p.port, "protocol": p.protocol}))
                .collect(),
        ),
    );
    let np = &cfg.network_policy;
    out.insert(
        "policy_ingress_rules".into(),
        J::Array(
            np.ingress_from
                .values()
                .map(|r| {
                    let ports: Vec<J> = if r.ports.is_empty() {
                        vec![json!({"port": a.port, "protocol": "TCP"})]
                    } else {
                        r.ports.iter().map(|p| rule_port(cfg, p, true)).collect()
                    };
                    json!({"from": peers(r), "ports": ports})
                })
                .collect(),
        ),
    );
    out.insert(
        "policy_egress_rules".into(),
        J::Array(
            np.egress_to
                .values()
                .map(|r| {
                    let ports: Vec<J> = r.ports.iter().map(|p| rule_port(cfg, p, false)).collect();
                    json!({"to": peers(r), "ports": ports})
                })
                .collect(),
        ),
    );
    out
}

/// The pod's init containers in the order they run: by `order`, then native sidecars before
/// init containers, then by name. Each with whether it is a native sidecar.
pub fn init_order(cfg: &Config) -> Vec<(&str, &Container, bool)> {
    let a = &cfg.agent;
    let mut list: Vec<(&str, &Container, bool)> = a
        .sidecars
        .iter()
        .filter(|(_, c)| c.native)
        .map(|(n, c)| (n.as_str(), c, true))
        .chain(
            a.init_containers
                .iter()
                .map(|(n, c)| (n.as_str(), c, false)),
        )
        .collect();
    list.sort_by(|x, y| (x.1.order, !x.2, x.0).cmp(&(y.1.order, !y.2, y.0)));
    list
}

/// A port of a NetworkPolicy rule; on ingress a name is resolved to the agent pod's number.
fn rule_port(cfg: &Config, p: &RulePort, ingress: bool) -> J {
    let (port, protocol) = p.parts();
    let port = match port {
        PortValue::Name(n) if ingress => pod_port(cfg, n).map_or(json!(n), |(num, _)| json!(num)),
        PortValue::Name(n) => json!(n),
        PortValue::Number(n) => json!(n),
    };
    json!({"port": port, "protocol": protocol})
}

/// A named port of the agent pod: `http`, `metrics`, an `agent.ports` entry or a sidecar's.
pub fn pod_port(cfg: &Config, name: &str) -> Option<(u16, Protocol)> {
    let a = &cfg.agent;
    match name {
        "http" => Some((a.port, Protocol::Tcp)),
        "metrics" => a.metrics_port.map(|p| (p, Protocol::Tcp)),
        _ => a
            .ports
            .iter()
            .chain(
                a.sidecars
                    .values()
                    .chain(a.init_containers.values())
                    .flat_map(|c| c.ports.iter()),
            )
            .find(|(n, _)| *n == name)
            .map(|(_, p)| (p.port, p.protocol)),
    }
}

/// The peers of a rule: an `ipBlock`, or a namespace and/or pod selector.
fn peers(r: &PolicyRule) -> J {
    if let Some(cidr) = &r.cidr {
        let mut block = json!({"cidr": cidr});
        if !r.except.is_empty() {
            block["except"] = json!(r.except);
        }
        return json!([{"ipBlock": block}]);
    }
    let mut peer = Map::new();
    if let Some(ns) = &r.namespaces {
        peer.insert("namespaceSelector".into(), selector(ns));
    }
    if let Some(pods) = &r.pods {
        peer.insert("podSelector".into(), selector(pods));
    }
    json!([peer])
}

fn selector(labels: &BTreeMap<String, String>) -> J {
    if labels.is_empty() {
        json!({})
    } else {
        json!({"matchLabels": labels})
    }
}

fn container_port(name: &str, p: &Port) -> J {
    json!({"name": name, "containerPort": p.port, "protocol": p.protocol})
}

fn mount_json(volume: &str, m: &Mount, v: Option<&Volume>) -> J {
    // The agent's own `tmp` and `data` are writable.
    let default_ro = v.is_some_and(Volume::read_only_by_default);
    let mut j = json!({"name": volume, "mountPath": m.mount_path});
    if m.read_only.unwrap_or(default_ro) {
        j["readOnly"] = json!(true);
    }
    if let Some(s) = &m.sub_path {
        j["subPath"] = json!(s);
    }
    j
}

fn keys(name_field: &str, k: &crate::config::KeysVolume) -> J {
    let mut j = json!({name_field: k.name});
    if !k.items.is_empty() {
        j["items"] = J::Array(
            k.items
                .iter()
                .map(|(key, path)| json!({"key": key, "path": path}))
                .collect(),
        );
    }
    if k.optional {
        j["optional"] = json!(true);
    }
    j
}

/// One volume of the pod spec.
fn volume(name: &str, v: &Volume) -> J {
    let mut j = json!({"name": name});
    if let Some(c) = &v.config_map {
        j["configMap"] = keys("name", c);
    } else if let Some(s) = &v.secret {
        j["secret"] = keys("secretName", s);
    } else if let Some(e) = &v.empty_dir {
        let mut d = json!({});
        if let Some(m) = e.medium {
            d["medium"] = json!(m);
        }
        if let Some(l) = &e.size_limit {
            d["sizeLimit"] = json!(l);
        }
        j["emptyDir"] = d;
    } else if let Some(c) = &v.persistent_volume_claim {
        j["persistentVolumeClaim"] = json!({"claimName": c.claim_name});
    } else if let Some(c) = &v.csi {
        let mut d = json!({"driver": c.driver, "readOnly": v.read_only.unwrap_or(true)});
        if !c.volume_attributes.is_empty() {
            d["volumeAttributes"] = json!(c.volume_attributes);
        }
        if let Some(fs) = &c.fs_type {
            d["fsType"] = json!(fs);
        }
        if let Some(s) = &c.node_publish_secret {
            d["nodePublishSecretRef"] = json!({"name": s});
        }
        j["csi"] = d;
    } else if let Some(p) = &v.projected {
        let sources: Vec<J> = p
            .sources
            .iter()
            .map(|s| {
                if let Some(c) = &s.config_map {
                    json!({"configMap": keys("name", c)})
                } else if let Some(c) = &s.secret {
                    json!({"secret": keys("name", c)})
                } else if let Some(t) = &s.service_account_token {
                    let mut tok =
                        json!({"expirationSeconds": t.expiration_seconds, "path": t.path});
                    if let Some(aud) = &t.audience {
                        tok["audience"] = json!(aud);
                    }
                    json!({"serviceAccountToken": tok})
                } else {
                    json!({})
                }
            })
            .collect();
        j["projected"] = json!({"sources": sources});
    }
    j
}

/// One environment variable in the forms of `agent.env`.
pub fn env_var(cfg: &Config, name: &str, v: &EnvValue) -> J {
    match v {
        EnvValue::Value(s) => json!({"name": name, "value": s}),
        EnvValue::From(src) => {
            let (kind, obj, key) = match (&src.secret_key, &src.secret, &src.config_map) {
                (Some(k), _, _) => ("secretKeyRef", &cfg.secret.name, k),
                (None, Some(s), _) => ("secretKeyRef", s, src.key.as_ref().unwrap_or(s)),
                (None, None, Some(m)) => ("configMapKeyRef", m, src.key.as_ref().unwrap_or(m)),
                _ => return json!({"name": name}),
            };
            let mut r = json!({"name": obj, "key": key});
            if src.optional && src.secret_key.is_none() {
                r["optional"] = json!(true);
            }
            json!({"name": name, "valueFrom": {kind: r}})
        }
    }
}

/// A container's `lifecycle` in its Kubernetes shape (`None`: no hook).
fn lifecycle(l: &Lifecycle) -> Option<J> {
    let h = l.pre_stop.as_ref()?;
    let hook = match (&h.exec, h.sleep) {
        (Some(cmd), _) => json!({"exec": {"command": cmd}}),
        (None, Some(seconds)) => json!({"sleep": {"seconds": seconds}}),
        (None, None) => return None,
    };
    Some(json!({"preStop": hook}))
}

/// The agent container's probes, by field (`startupProbe`, ...): each probe's own handler, else
/// an HTTP GET of its `path` (else `agent.healthPath`) on the serving port `http`; an HTTP
/// GET without a port probes that port too.
fn agent_probes(cfg: &Config) -> J {
    let a = &cfg.agent;
    let mut out = Map::new();
    for (field, p) in [
        ("startupProbe", &a.probes.startup),
        ("livenessProbe", &a.probes.liveness),
        ("readinessProbe", &a.probes.readiness),
    ] {
        let mut j = probe(p);
        if p.handlers() == 0 {
            j["httpGet"] = json!({
                "path": p.path.as_deref().unwrap_or(&a.health_path),
                "port": "http",
            });
        } else if p
            .http_get
            .as_ref()
            .is_some_and(|h| h.port == PortValue::Number(0))
        {
            j["httpGet"]["port"] = json!("http");
        }
        out.insert(field.into(), j);
    }
    J::Object(out)
}

fn probe(p: &Probe) -> J {
    let mut j = json!({
        "periodSeconds": p.period_seconds,
        "timeoutSeconds": p.timeout_seconds,
        "failureThreshold": p.failure_threshold,
    });
    if p.initial_delay_seconds > 0 {
        j["initialDelaySeconds"] = json!(p.initial_delay_seconds);
    }
    if let Some(h) = &p.http_get {
        j["httpGet"] = json!({"path": h.path, "port": h.port});
        if let Some(scheme) = h.scheme {
            j["httpGet"]["scheme"] = json!(scheme);
        }
    } else if let Some(t) = &p.tcp_socket {
        j["tcpSocket"] = json!({"port": t.port});
    } else if let Some(g) = &p.grpc {
        let mut gj = json!({"port": g.port});
        if let Some(s) = &g.service {
            gj["service"] = json!(s);
        }
        j["grpc"] = gj;
    } else if let Some(cmd) = &p.exec {
        j["exec"] = json!({"command": cmd});
    }
    j
}

/// `value` as JSON without its unset (`null`) map entries, at every depth (the `present`
/// filter; a typed part's `resources`).
pub(crate) fn present_json(value: &impl serde::Serialize) -> J {
    fn strip(j: &mut J) {
        match j {
            J::Object(m) => {
                m.retain(|_, v| !v.is_null());
                m.values_mut().for_each(strip);
            }
            J::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut j = serde_json::to_value(value).unwrap_or(J::Null);
    strip(&mut j);
    j
}

/// A sidecar or init container in its Kubernetes shape, with the agent's hardened security
/// context.
fn container(cfg: &Config, name: &str, c: &Container, native: bool) -> J {
    let uid = c.run_as_user.or(cfg.agent.run_as_user);
    let mut j = json!({
        "name": name,
        "image": c.image,
        // Unset: the agent's policy when it sets one (a cluster that pulls once, an air-gapped
        // registry), else by the image's pinning.
        "imagePullPolicy": pull_policy(&c.image, c.image_pull_policy.or(cfg.agent.image_pull_policy)),
        "resources": present_json(&c.resources),
        "securityContext": {
            "runAsNonRoot": true,
            "allowPrivilegeEscalation": false,
            "privileged": false,
            "readOnlyRootFilesystem": c.read_only_root_filesystem,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    });
    // Unset (`agent.runAsUser: null`): the platform assigns them (OpenShift).
    if let Some(uid) = uid {
        j["securityContext"]["runAsUser"] = json!(uid);
        j["securityContext"]["runAsGroup"] = json!(uid);
    }
    if let Some(policy) = cfg.agent.termination_message_policy {
        j["terminationMessagePolicy"] = json!(policy);
    }
    if native {
        j["restartPolicy"] = json!("Always");
    }
    if !c.command.is_empty() {
        j["command"] = json!(c.command);
    }
    if !c.args.is_empty() {
        j["args"] = json!(c.args);
    }
    if !c.env.is_empty() {
        j["env"] = J::Array(c.env.iter().map(|(n, v)| env_var(cfg, n, v)).collect());
    }
    if !c.ports.is_empty() {
        j["ports"] = J::Array(c.ports.iter().map(|(n, p)| container_port(n, p)).collect());
    }
    if !c.mounts.is_empty() {
        j["volumeMounts"] = J::Array(
            c.mounts
                .iter()
                .map(|(v, m)| mount_json(v, m, cfg.agent.volumes.get(v)))
                .collect(),
        );
    }
    if let Some(l) = lifecycle(&c.lifecycle) {
        j["lifecycle"] = l;
    }
    for (kind, p) in [
        ("startupProbe", &c.probes.startup),
        ("livenessProbe", &c.probes.liveness),
        ("readinessProbe", &c.probes.readiness),
    ] {
        if let Some(p) = p {
            j[kind] = probe(p);
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(image: &str, order: i32, native: bool) -> Container {
        Container {
            image: image.into(),
            order,
            native,
            ..Container::default()
        }
    }

    #[test]
    fn init_containers_run_by_order_then_native_sidecars_then_name() {
        let mut cfg = Config::default();
        let a = &mut cfg.agent;
        a.init_containers
            .insert("zz-first".into(), container("busybox:1.36", -1, false));
        a.init_containers
            .insert("migrate".into(), container("busybox:1.36", 0, false));
        a.init_containers
            .insert("fetch".into(), container("busybox:1.36", 0, false));
        a.sidecars
            .insert("proxy".into(), container("envoy:1", 0, true));
        a.sidecars
            .insert("shipper".into(), container("fluent-bit:3", 0, false));
        let order: Vec<&str> = init_order(&cfg).into_iter().map(|(n, _, _)| n).collect();
        assert_eq!(order, ["zz-first", "proxy", "fetch", "migrate"]);
        let ctx = context(&cfg);
        let inits = ctx["agent_init_containers"].as_array().unwrap();
        assert_eq!(inits[1]["restartPolicy"], "Always");
        assert!(inits[0].get("restartPolicy").is_none());
        let sidecars = ctx["agent_sidecars"].as_array().unwrap();
        assert_eq!(sidecars.len(), 1);
        assert_eq!(sidecars[0]["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            sidecars[0]["securityContext"]["capabilities"]["drop"][0],
            "ALL"
        );
    }

    #[test]
    fn extra_ports_follow_into_service_and_network_policy() {
        let mut cfg = Config::default();
        cfg.agent.ports.insert(
            "grpc".into(),
            Port {
                port: 9000,
                app_protocol: Some("grpc".into()),
                service: crate::config::PortService::Shared(true),
                ..Port::default()
            },
        );
        cfg.agent.ports.insert(
            "admin".into(),
            Port {
                port: 9100,
                from: PortFrom::IngressFrom,
                ..Port::default()
            },
        );
        cfg.network_policy.ingress_from.insert(
            "ops".into(),
            PolicyRule {
                namespaces: Some(BTreeMap::from([("team".into(), "ops".into())])),
                ports: vec![RulePort::Port(PortValue::Name("admin".into()))],
                ..PolicyRule::default()
            },
        );
        let ctx = context(&cfg);
        assert_eq!(
            ctx["service_extra_ports"],
            json!([{"name": "grpc", "port": 9000, "targetPort": "grpc", "protocol": "TCP", "appProtocol": "grpc"}])
        );
        assert_eq!(
            ctx["caller_extra_ports"],
            json!([{"port": 9000, "protocol": "TCP"}])
        );
        assert_eq!(
            ctx["policy_ingress_rules"],
            json!([{"from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}}], "ports": [{"port": 9100, "protocol": "TCP"}]}])
        );
    }
}
