//! The claims a StatefulSet's controller makes from its `volumeClaimTemplates`
//! (`<template>-<statefulset>-<ordinal>`, one per pod: Redis's data is `data-redis-0`) are that
//! pod's alone. A patched or extra object that mounts one into another pod (a second writer on
//! Redis's data files), or an extra PersistentVolumeClaim of such a name (which the controller
//! would adopt as the pod's data), is refused at the patch or the extra object. Pure: objects
//! in, errors at paths in the object out.

use serde_json::Value as J;

use crate::config::patches::{PatchError, Seg};
use crate::k8s::object;

/// A StatefulSet's claim templates: the prefix of their claims (`data-redis-`) and whose they
/// are (`StatefulSet/redis`, template `data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    prefix: String,
    whose: String,
}

impl Owned {
    /// Whether `claim` is one of the claims of this template (`prefix` and an ordinal).
    fn owns(&self, claim: &str) -> bool {
        claim
            .strip_prefix(&self.prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// The claim templates of every StatefulSet among `objects`.
pub fn owned<'a>(objects: impl IntoIterator<Item = &'a J>) -> Vec<Owned> {
    let mut out = Vec::new();
    for o in objects {
        if object::kind(o) != "StatefulSet" {
            continue;
        }
        let sts = object::name(o);
        for t in object::items(o, "/spec/volumeClaimTemplates") {
            let template = object::field_str(t, "/metadata/name");
            if template.is_empty() {
                continue;
            }
            out.push(Owned {
                prefix: format!("{template}-{sts}-"),
                whose: format!("the claim template `{template}` of StatefulSet/{sts}"),
            });
        }
    }
    out
}

/// Whether `obj` could hold such a claim at all (a pod spec with a claim, or a claim): most
/// objects cannot, and the StatefulSets need not be looked up for them.
pub fn may_hold(obj: &J) -> bool {
    object::kind(obj) == "PersistentVolumeClaim" || !claims(obj).is_empty()
}

/// The `persistentVolumeClaim` volumes of `obj`'s pod spec: (path of `claimName`, claim).
fn claims(obj: &J) -> Vec<(Vec<Seg>, &str)> {
    let Some(spec) = object::pod_spec_path(object::api_version(obj), object::kind(obj)) else {
        return Vec::new();
    };
    let mut at: Vec<Seg> = spec.iter().map(|k| Seg::Key((*k).into())).collect();
    at.push(Seg::Key("volumes".into()));
    let pointer = format!("/{}/volumes", spec.join("/"));
    object::items(obj, &pointer)
        .enumerate()
        .filter_map(|(i, v)| {
            let claim = v.pointer("/persistentVolumeClaim/claimName")?.as_str()?;
            let mut p = at.clone();
            p.extend([
                Seg::Index(i),
                Seg::Key("persistentVolumeClaim".into()),
                Seg::Key("claimName".into()),
            ]);
            Some((p, claim))
        })
        .collect()
}

/// Every claim of `owned` that `obj` mounts, or that it is, as errors at their paths.
pub fn unfit(obj: &J, owned: &[Owned]) -> Vec<PatchError> {
    let id = crate::config::patches::object_id(obj);
    let mut out = Vec::new();
    for (path, claim) in claims(obj) {
        if let Some(o) = owned.iter().find(|o| o.owns(claim)) {
            out.push(PatchError {
                path,
                on_key: false,
                message: format!(
                    "{id} mounts `{claim}`, a claim of {}: that pod's own volume (Redis's data files for `data-redis-N`), and a second writer corrupts it",
                    o.whose
                ),
                hint: Some("mount a claim of your own, created out of band, with another name (or read Redis through its Service)".into()),
            });
        }
    }
    if object::kind(obj) == "PersistentVolumeClaim"
        && let Some(o) = owned.iter().find(|o| o.owns(object::name(obj)))
    {
        out.push(PatchError {
            path: vec![Seg::Key("metadata".into()), Seg::Key("name".into())],
            on_key: false,
            message: format!(
                "a PersistentVolumeClaim named `{}` would be adopted as a claim of {}: that pod's own volume",
                object::name(obj),
                o.whose
            ),
            hint: Some("name the claim so that it is no StatefulSet's (`<template>-<statefulset>-<ordinal>` is)".into()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn redis() -> J {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis"},
               "spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}})
    }

    fn mounting(claim: &str) -> J {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"},
               "spec": {"template": {"spec": {"containers": [{"name": "c"}], "volumes": [
                   {"name": "x", "emptyDir": {}},
                   {"name": "d", "persistentVolumeClaim": {"claimName": claim}}]}}}})
    }

    #[test]
    fn a_claim_template_claim_is_one_pod_s_alone() {
        let owned = owned([&redis()]);
        let found = unfit(&mounting("data-redis-0"), &owned);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            crate::config::patches::PathDisplay(&found[0].path).to_string(),
            "spec.template.spec.volumes[1].persistentVolumeClaim.claimName"
        );
        assert!(found[0].message.contains("StatefulSet/redis"), "{found:?}");
        assert_eq!(unfit(&mounting("data-redis-12"), &owned).len(), 1);
        // Not one: another claim, no ordinal, another StatefulSet's prefix.
        for other in [
            "data-redis",
            "data-redis-x",
            "data-redis-0a",
            "data-cache-0",
            "mine",
        ] {
            assert!(unfit(&mounting(other), &owned).is_empty(), "{other}");
        }
        let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data-redis-1"}});
        assert!(may_hold(&pvc));
        assert_eq!(unfit(&pvc, &owned).len(), 1);
        assert!(!may_hold(&redis()));
    }
}
