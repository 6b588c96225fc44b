//! The ConfigMaps and PersistentVolumeClaims the pods read that the render does not create
//! (`agent.volumes`, `configMap` environment references, patches): prerequisites created out
//! of band, each said once, after the namespace (created once, by the first that needs it).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use super::{Need, join};
use crate::k8s::object::{self, field_str, items, pod_spec};
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
    let mut maps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut claims: BTreeSet<String> = BTreeSet::new();
    for spec in objects.iter().filter_map(pod_spec) {
        for c in items(spec, "/containers").chain(items(spec, "/initContainers")) {
            for e in items(c, "/env") {
                if let Some(r) = e.pointer("/valueFrom/configMapKeyRef") {
                    maps.entry(field_str(r, "/name").to_owned())
                        .or_default()
                        .insert(field_str(r, "/key").to_owned());
                }
            }
            for e in items(c, "/envFrom") {
                if let Some(r) = e.pointer("/configMapRef") {
                    maps.entry(field_str(r, "/name").to_owned()).or_default();
                }
            }
        }
        for v in items(spec, "/volumes") {
            let sources = v
                .pointer("/configMap")
                .into_iter()
                .chain(items(v, "/projected/sources").filter_map(|s| s.pointer("/configMap")));
            for r in sources {
                maps.entry(field_str(r, "/name").to_owned())
                    .or_default()
                    .extend(items(r, "/items").map(|i| field_str(i, "/key").to_owned()));
            }
            if let Some(c) = v
                .pointer("/persistentVolumeClaim/claimName")
                .and_then(J::as_str)
            {
                claims.insert(c.to_owned());
            }
        }
    }
    let mut namespace_first = |commands: &mut Vec<String>| {
        if std::mem::take(&mut create_namespace) {
            commands.push(format!("kubectl create namespace {}", q(namespace)));
        }
    };
    for (map, keys) in maps.iter().filter(|(m, _)| !rendered("ConfigMap", m)) {
        let var: String = map
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        let mut commands = Vec::new();
        namespace_first(&mut commands);
        commands.push(format!(
            "kubectl create configmap {} --namespace={} --from-file=\"${var}_DIR\"",
            q(map),
            q(namespace)
        ));
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
