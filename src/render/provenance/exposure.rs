//! The findings a port's own Service opens on purpose (`agent.ports.<name>.service: {type:
//! LoadBalancer}`): AGT140 on that Service, and AGT135 on the agent NetworkPolicy's rule that
//! lets in what its load balancer or node port forwards. Each is turned off by the setting's
//! `type`, as `agent.service.type` turns AGT140 off for `agent-service`; only while the final
//! object still holds what the setting rendered (a patch that changes it keeps the finding).

use std::collections::HashMap;

use serde_json::Value as J;

use crate::config::patches::Seg;
use crate::config::{Config, Names, OwnService, Port, ServiceType};
use crate::render::exposure::outside_rule;

/// Every port with a Service of its own that opens it outside the cluster, with the path of
/// its `type` setting.
fn opened(cfg: &Config) -> Vec<(String, &String, &Port, &OwnService)> {
    let a = &cfg.agent;
    let agent = a
        .ports
        .iter()
        .map(|(n, p)| (format!("agent.ports.{n}.service.type"), n, p));
    let sidecars = a.sidecars.iter().flat_map(|(c, s)| {
        s.ports
            .iter()
            .map(move |(n, p)| (format!("agent.sidecars.{c}.ports.{n}.service.type"), n, p))
    });
    agent
        .chain(sidecars)
        .filter_map(|(at, n, p)| p.service.own().map(|s| (at, n, p, s)))
        .filter(|(.., s)| s.service_type != ServiceType::ClusterIP)
        .collect()
}

/// The setting (its path) that opens what `rule` finds at `path` of `object`, if one does.
pub(super) fn intent(
    cfg: &Config,
    objects: &HashMap<String, &J>,
    rule: &str,
    object: &str,
    path: &[Seg],
) -> Option<String> {
    let names = Names::of(cfg);
    let final_object = objects.get(object)?;
    let ports = opened(cfg);
    match rule {
        "AGT140" => ports.into_iter().find_map(|(at, n, _, s)| {
            let typed = serde_json::to_value(s.service_type).ok()?;
            (object == format!("Service/{}", names.port_service(n))
                && final_object.pointer("/spec/type") == Some(&typed))
            .then_some(at)
        }),
        "AGT135" => {
            if object != format!("NetworkPolicy/{}", names.get("agent-network-policy")) {
                return None;
            }
            let [Seg::Key(spec), Seg::Key(ingress), Seg::Index(i), ..] = path else {
                return None;
            };
            if spec != "spec" || ingress != "ingress" {
                return None;
            }
            let rendered = final_object.pointer(&format!("/spec/ingress/{i}"))?;
            ports
                .into_iter()
                .find(|(_, _, p, s)| outside_rule(p, s).as_ref() == Some(rendered))
                .map(|(at, ..)| at)
        }
        _ => None,
    }
}
