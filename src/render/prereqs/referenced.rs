//! The ConfigMaps and PersistentVolumeClaims the pods read that the render does not create
//! (`agent.volumes`, `configMap` environment references, patches), and the KEDA trigger
//! authentications the ScaledObjects name: prerequisites created out of band, each said once,
//! after the namespace (created once, by the first that needs it).

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
