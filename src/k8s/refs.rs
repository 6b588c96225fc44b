//! What the pods of a set of objects read from their namespace by name: Secrets and
//! ConfigMaps (with the keys they read), PersistentVolumeClaims, image pull Secrets. One walk
//! over every pod template (containers, init containers and native sidecars: `env`, `envFrom`;
//! volumes: `secret`, `configMap`, `projected` sources, `csi.nodePublishSecretRef`,
//! `persistentVolumeClaim`; `imagePullSecrets`), which the render's prerequisites and
//! `agentctl doctor` both read, so what one says must exist the other checks. A reference
//! marked `optional: true` is not needed (the kubelet starts the pod without it) and is left
//! out. Also the Secrets and ConfigMaps a KEDA TriggerAuthentication gives its scalers
//! (`secretTargetRef`, `configMapTargetRef`: KEDA reads them, not a pod; [`Refs::scalers`]).
//! Pure.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use super::object::{field_str, items, pod_spec};

/// The names the pods need, each with the keys they read (empty: the whole object).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refs {
    /// Secrets: name → keys.
    pub secrets: BTreeMap<String, BTreeSet<String>>,
    /// ConfigMaps: name → keys.
    pub config_maps: BTreeMap<String, BTreeSet<String>>,
    /// PersistentVolumeClaims mounted by name (not a StatefulSet's claim templates).
    pub claims: BTreeSet<String>,
    /// Secrets named in `imagePullSecrets`.
    pub pull_secrets: BTreeSet<String>,
    /// The Secrets (of `secrets`) that only a TriggerAuthentication names, which KEDA reads.
    pub scalers: BTreeSet<String>,
}

fn optional(r: &J) -> bool {
    r.get("optional").and_then(J::as_bool) == Some(true)
}

fn add(map: &mut BTreeMap<String, BTreeSet<String>>, r: &J, name_at: &str, keys: &[String]) {
    if optional(r) {
        return;
    }
    let name = field_str(r, name_at);
    if name.is_empty() {
        return;
    }
    map.entry(name.to_owned())
        .or_default()
        .extend(keys.iter().cloned());
}

fn item_keys(r: &J) -> Vec<String> {
    items(r, "/items")
        .map(|i| field_str(i, "/key").to_owned())
        .collect()
}

/// The references of every pod template among `objects`.
pub fn of(objects: &[J]) -> Refs {
    let mut out = Refs::default();
    for spec in objects.iter().filter_map(pod_spec) {
        for c in items(spec, "/containers").chain(items(spec, "/initContainers")) {
            for e in items(c, "/env") {
                if let Some(r) = super::object::pointer(e, "/valueFrom/secretKeyRef") {
                    add(
                        &mut out.secrets,
                        r,
                        "/name",
                        &[field_str(r, "/key").to_owned()],
                    );
                }
                if let Some(r) = super::object::pointer(e, "/valueFrom/configMapKeyRef") {
                    add(
                        &mut out.config_maps,
                        r,
                        "/name",
                        &[field_str(r, "/key").to_owned()],
                    );
                }
            }
            for e in items(c, "/envFrom") {
                if let Some(r) = super::object::pointer(e, "/secretRef") {
                    add(&mut out.secrets, r, "/name", &[]);
                }
                if let Some(r) = super::object::pointer(e, "/configMapRef") {
                    add(&mut out.config_maps, r, "/name", &[]);
                }
            }
        }
        for v in items(spec, "/volumes") {
            if let Some(r) = super::object::pointer(v, "/secret") {
                add(&mut out.secrets, r, "/secretName", &item_keys(r));
            }
            if let Some(r) = super::object::pointer(v, "/configMap") {
                add(&mut out.config_maps, r, "/name", &item_keys(r));
            }
            for s in items(v, "/projected/sources") {
                if let Some(r) = super::object::pointer(s, "/secret") {
                    add(&mut out.secrets, r, "/name", &item_keys(r));
                }
                if let Some(r) = super::object::pointer(s, "/configMap") {
                    add(&mut out.config_maps, r, "/name", &item_keys(r));
                }
            }
            if let Some(r) = super::object::pointer(v, "/csi/nodePublishSecretRef") {
                add(&mut out.secrets, r, "/name", &[]);
            }
            let claim = field_str(v, "/persistentVolumeClaim/claimName");
            if !claim.is_empty() {
                out.claims.insert(claim.to_owned());
            }
        }
        for p in items(spec, "/imagePullSecrets") {
            let name = field_str(p, "/name");
            if !name.is_empty() {
                out.pull_secrets.insert(name.to_owned());
            }
        }
    }
    let authentications = objects
        .iter()
        .filter(|o| field_str(o, "/kind") == "TriggerAuthentication");
    for a in authentications {
        for r in items(a, "/spec/secretTargetRef") {
            let name = field_str(r, "/name");
            if !name.is_empty() && !out.secrets.contains_key(name) {
                out.scalers.insert(name.to_owned());
            }
            add(
                &mut out.secrets,
                r,
                "/name",
                &[field_str(r, "/key").to_owned()],
            );
        }
        for r in items(a, "/spec/configMapTargetRef") {
            add(
                &mut out.config_maps,
                r,
                "/name",
                &[field_str(r, "/key").to_owned()],
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_place_a_pod_names_a_secret_or_config_map_and_optional_ones_left_out() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
            "imagePullSecrets": [{"name": "regcred"}],
            "initContainers": [{"name": "sidecar", "restartPolicy": "Always",
                "env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "side", "key": "token"}}}]}],
            "containers": [{"name": "a",
                "env": [
                    {"name": "K", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                    {"name": "O", "valueFrom": {"secretKeyRef": {"name": "maybe", "key": "x", "optional": true}}},
                    {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "c"}}}],
                "envFrom": [{"secretRef": {"name": "all"}}, {"configMapRef": {"name": "allcm"}}]}],
            "volumes": [
                {"name": "v1", "secret": {"secretName": "s", "items": [{"key": "tls.crt", "path": "c"}]}},
                {"name": "v2", "configMap": {"name": "prompts"}},
                {"name": "v3", "projected": {"sources": [{"secret": {"name": "p", "items": [{"key": "a", "path": "a"}]}},
                                                        {"configMap": {"name": "pcm"}}]}},
                {"name": "v4", "csi": {"driver": "d", "nodePublishSecretRef": {"name": "csi"}}},
                {"name": "v5", "persistentVolumeClaim": {"claimName": "data"}},
                {"name": "v6", "secret": {"secretName": "opt", "optional": true}}]}}}});
        let r = of(&[d, json!({"kind": "ConfigMap", "metadata": {"name": "x"}})]);
        let keys = |m: &BTreeMap<String, BTreeSet<String>>, n: &str| {
            m[n].iter().cloned().collect::<Vec<_>>()
        };
        assert_eq!(
            r.secrets.keys().collect::<Vec<_>>(),
            ["all", "csi", "p", "s", "side"]
        );
        assert_eq!(keys(&r.secrets, "s"), ["k", "tls.crt"]);
        assert_eq!(keys(&r.secrets, "side"), ["token"]);
        assert_eq!(
            r.config_maps.keys().collect::<Vec<_>>(),
            ["allcm", "cm", "pcm", "prompts"]
        );
        assert_eq!(r.claims.iter().collect::<Vec<_>>(), ["data"]);
        assert_eq!(r.pull_secrets.iter().collect::<Vec<_>>(), ["regcred"]);
    }
}
