//! The ConfigMaps and PersistentVolumeClaims the pods read that the render does not create
//! (`agent.volumes`, `configMap` environment references, patches), the KEDA trigger
//! authentications the ScaledObjects name, and the Secrets and ConfigMaps a ServiceMonitor's
//! `tlsConfig` reads: prerequisites created out of band, each said once, after the namespace
//! (created once, by the first that needs it).

use serde_json::Value as J;

use super::{Need, join};
use crate::k8s::object::{self, field_str};
use crate::shell::quote as q;

/// The ConfigMaps and PersistentVolumeClaims the pods read that the render does not create
/// (`agent.volumes`, `agent.env`, `envFrom`, patches): created out of band, in the namespace.
pub(super) fn needs(
    objects: &[J],
    namespace: &str,
    mut create_namespace: bool,
    out: &mut Vec<Need>,
) {
    let rendered = |kind: &str, n: &str| {
        objects
            .iter()
            .any(|o| field_str(o, "/kind") == kind && object::name(o) == n)
    };
    let crate::k8s::refs::Refs {
        config_maps: maps,
        claims,
        ..
    } = crate::k8s::refs::of(objects);
    trigger_authentications(objects, namespace, rendered, out);
    let mut namespace_first = |commands: &mut Vec<String>| {
        if std::mem::take(&mut create_namespace) {
            commands.push(format!("kubectl create namespace {}", q(namespace)));
        }
    };
    for (map, keys) in maps.iter().filter(|(m, _)| !rendered("ConfigMap", m)) {
        let mut commands = Vec::new();
        namespace_first(&mut commands);
        commands.push(create_config_map(map, namespace));
        let keys_text = if keys.is_empty() {
            String::new()
        } else {
            format!(" with keys {}", join(keys.iter().cloned()))
        };
        out.push(Need {
            what: format!("ConfigMap {map}{keys_text}, created out of band (a directory of files, one per key)"),
            because: "the pods read it and agentctl does not render it".into(),
            commands,
        });
    }
    for claim in claims
        .iter()
        .filter(|c| !rendered("PersistentVolumeClaim", c))
    {
        let mut commands = Vec::new();
        namespace_first(&mut commands);
        out.push(Need {
            what: format!("PersistentVolumeClaim {claim} in namespace {namespace}, bound"),
            because:
                "the pods mount it and agentctl does not render it; they stay Pending without it"
                    .into(),
            commands,
        });
    }
    let (secrets, maps) = scrape_tls(objects);
    for (map, keys) in maps.iter().filter(|(m, _)| !rendered("ConfigMap", m)) {
        let mut commands = Vec::new();
        namespace_first(&mut commands);
        commands.push(create_config_map(map, namespace));
        out.push(Need {
            what: format!(
                "ConfigMap {map} with keys {}, created out of band",
                join(keys.iter().cloned())
            ),
            because: SCRAPE_TLS.into(),
            commands,
        });
    }
    for (secret, keys) in secrets.iter().filter(|(s, _)| !rendered("Secret", s)) {
        out.push(Need {
            what: format!(
                "Secret {secret} in namespace {namespace} with keys {}, created out of band (never committed)",
                join(keys.iter().cloned())
            ),
            because: SCRAPE_TLS.into(),
            commands: Vec::new(),
        });
    }
}

/// Why a ServiceMonitor's TLS files are needed.
const SCRAPE_TLS: &str = "a ServiceMonitor's tlsConfig reads it: without it the Prometheus Operator drops the endpoint and the agent is not scraped";

type Keys = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

/// The Secrets and ConfigMaps (name to keys) the ServiceMonitors' endpoints' `tlsConfig` read.
fn scrape_tls(objects: &[J]) -> (Keys, Keys) {
    let (mut secrets, mut maps) = (Keys::new(), Keys::new());
    let add = |into: &mut Keys, r: Option<&J>| {
        if let Some(r) = r {
            let (name, key) = (field_str(r, "/name"), field_str(r, "/key"));
            if !name.is_empty() {
                into.entry(name.to_owned())
                    .or_default()
                    .insert(key.to_owned());
            }
        }
    };
    for sm in objects
        .iter()
        .filter(|o| field_str(o, "/kind") == "ServiceMonitor")
    {
        for e in object::items(sm, "/spec/endpoints") {
            let Some(tls) = e.get("tlsConfig") else {
                continue;
            };
            for file in ["/ca", "/cert"] {
                add(&mut secrets, tls.pointer(&format!("{file}/secret")));
                add(&mut maps, tls.pointer(&format!("{file}/configMap")));
            }
            add(&mut secrets, tls.pointer("/keySecret"));
        }
    }
    (secrets, maps)
}

/// The KEDA trigger authentications the ScaledObjects' triggers name (`authenticationRef`,
/// `keda.redisList.authenticationRef`) that the render does not create: KEDA reads their
/// parameters (TLS, CA, password) from them, and a trigger without its own cannot connect.
fn trigger_authentications(
    objects: &[J],
    namespace: &str,
    rendered: impl Fn(&str, &str) -> bool,
    out: &mut Vec<Need>,
) {
    let mut seen = std::collections::BTreeSet::new();
    for so in objects
        .iter()
        .filter(|o| field_str(o, "/kind") == "ScaledObject")
    {
        for t in object::items(so, "/spec/triggers") {
            let name = field_str(t, "/authenticationRef/name");
            if name.is_empty() {
                continue;
            }
            let kind = match field_str(t, "/authenticationRef/kind") {
                "" => "TriggerAuthentication",
                k => k,
            };
            if rendered(kind, name) || !seen.insert((kind.to_owned(), name.to_owned())) {
                continue;
            }
            let (where_, scope) = if kind == "ClusterTriggerAuthentication" {
                (
                    String::new(),
                    "cluster-wide; its Secrets in KEDA's namespace",
                )
            } else {
                (
                    format!(" in namespace {namespace}"),
                    "its Secrets in the same namespace",
                )
            };
            out.push(Need {
                what: format!("KEDA {kind} {name}{where_} ({scope}), created out of band"),
                because: format!(
                    "the {} trigger of ScaledObject {} reads its connection parameters (tls, ca, password) from it; without it KEDA cannot read the trigger and the fallback replicas hold",
                    field_str(t, "/type"),
                    object::name(so)
                ),
                commands: Vec::new(),
            });
        }
    }
}

/// The command that creates ConfigMap `map` in `namespace` from a directory of files, one per
/// key (`$DIR_PROMPTS` for `prompts`): what the prerequisites print and `doctor` suggests.
pub fn create_config_map(map: &str, namespace: &str) -> String {
    format!(
        "kubectl create configmap {} --namespace={} --from-file=\"${}\"",
        q(map),
        q(namespace),
        super::secret::dir_var(map)
    )
}
