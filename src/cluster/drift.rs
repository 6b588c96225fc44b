//! `diff --live`: the change-impact report with the cluster as the base. The old side is
//! each live object; the new side is what applying the render would leave (the API server's
//! dry-run of it, so defaults and the server's normal forms agree on both sides), or the
//! rendered object when it does not exist yet. Objects that carry this deployment's labels but
//! are no longer rendered are on the old side only: what `kubectl apply --prune` deletes. A
//! field the live object holds against its own last applied configuration was changed by
//! hand (`kubectl set image`, `kubectl scale`): the report says applying reverts it.

use std::collections::BTreeSet;

use serde_json::Value as J;

use super::live::{Ref, without_server_fields};
use super::{Cluster, ClusterError};
use crate::impact::{self, Finding, Impact, Objects};

/// Both sides, as read.
#[derive(Debug, Clone, Default)]
pub struct LiveBase {
    /// The live objects (server-written fields aside).
    pub old: Vec<J>,
    /// What the cluster would hold after applying the render.
    pub new: Vec<J>,
    /// Objects the server refuses to apply as rendered, with its reason.
    pub refused: Vec<(Ref, String)>,
    /// What runs now (pod counts, quota usage), read from the live objects' status before it
    /// is set aside: the stall replay starts from it.
    pub running: impact::Running,
}

/// Managed fields and versions change on every write: not part of the comparison.
fn bare(o: &J) -> J {
    // The status is set aside (what runs now is read from it first, into `LiveBase::running`).
    let mut o = without_server_fields(o);
    if let Some(meta) = o.get_mut("metadata").and_then(J::as_object_mut) {
        meta.remove("uid");
        meta.remove("creationTimestamp");
    }
    o
}

/// The label selector of this deployment's objects (the prune command's).
pub fn instance_selector(namespace: &str) -> String {
    format!("app.kubernetes.io/managed-by=agentctl,app.kubernetes.io/instance={namespace}")
}

impl Cluster {
    /// Reads both sides for the rendered `objects` in `namespace`.
    pub fn live_base(&self, objects: &[J], namespace: &str) -> Result<LiveBase, ClusterError> {
        let mut base = LiveBase::default();
        let mut rendered: BTreeSet<(String, String)> = BTreeSet::new();
        let mut live_objects: Vec<J> = Vec::new();
        for o in objects {
            let r = Ref::of(o);
            rendered.insert((r.kind.clone(), r.name.clone()));
            match self.get(&r)? {
                Some(live) => {
                    match self.dry_run_apply(o)? {
                        Ok(applied) => base.new.push(bare(&applied)),
                        Err(why) => {
                            base.refused.push((r, why));
                            base.new.push(o.clone());
                        }
                    }
                    base.old.push(bare(&live));
                    live_objects.push(live);
                }
                None => base.new.push(o.clone()),
            }
        }
        // What carries our labels in the namespace but is no longer rendered.
        let selector = instance_selector(namespace);
        for (_, gvk) in crate::render::k8s_check::allowlist_kinds() {
            let Some((api, kind)) = gvk.rsplit_once('/') else {
                continue;
            };
            let api = api.strip_prefix("core/").unwrap_or(api).to_owned();
            let Some(found) = self.list(&api, kind, Some(namespace), Some(&selector))? else {
                continue;
            };
            for o in found {
                let r = Ref::of(&o);
                if !rendered.contains(&(r.kind.clone(), r.name.clone()))
                    && o.pointer("/metadata/ownerReferences").is_none()
                {
                    rendered.insert((r.kind, r.name));
                    base.old.push(bare(&o));
                    live_objects.push(o);
                }
            }
        }
        base.running = impact::Running::read(&live_objects);
        Ok(base)
    }
}

/// The impacts of applying the render to the cluster, hand edits named as reverted, and
/// objects the server refuses as such.
pub fn impacts(base: &LiveBase) -> Vec<Impact> {
    let old = Objects::new(base.old.clone()).with_running(base.running.clone());
    let new = Objects::new(base.new.clone());
    let mut out = impact::analyze(&old, &new);
    for i in &mut out {
        let Some(live) = base.old.iter().find(|o| {
            o["kind"] == i.kind.as_str()
                && o.pointer("/metadata/name").and_then(J::as_str) == Some(&i.name)
        }) else {
            continue;
        };
        let Some(applied) = base.new.iter().find(|o| {
            o["kind"] == i.kind.as_str()
                && o.pointer("/metadata/name").and_then(J::as_str) == Some(&i.name)
        }) else {
            continue;
        };
        let edits = hand_edits(live, applied);
        if !edits.is_empty() {
            i.findings.insert(
                0,
                Finding {
                    class: None,
                    reason: format!(
                        "reverts a change made in the cluster, not by the render: {}",
                        edits.join(", ")
                    ),
                    fix: None,
                },
            );
        }
        if let Some((_, why)) = base
            .refused
            .iter()
            .find(|(r, _)| r.kind == i.kind && r.name == i.name)
        {
            i.findings.push(Finding {
                class: Some(impact::Class::Recreate),
                reason: format!("the API server refuses the update: {why}"),
                fix: None,
            });
        }
    }
    out
}

/// Fields where the live object differs from its own last applied configuration
/// (`kubectl.kubernetes.io/last-applied-configuration`) and applying the render changes them:
/// someone changed them by hand. `path: live → applied`.
pub fn hand_edits(live: &J, applied: &J) -> Vec<String> {
    let Some(last) = live
        .pointer("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration")
        .and_then(J::as_str)
        .and_then(|t| serde_json::from_str::<J>(t).ok())
    else {
        return Vec::new();
    };
    super::live::differences(live, applied)
        .into_iter()
        .filter(|p| !p.starts_with("metadata.annotations"))
        .filter_map(|p| {
            let now = super::live::value_at(live, &p)?;
            let then = super::live::value_at(&last, &p);
            let after = super::live::value_at(applied, &p);
            // Absent from the last apply (a default, or the autoscaler's replicas) or the
            // same as then: not a hand edit.
            (then.is_some() && then != Some(now)).then(|| {
                format!(
                    "{p} {now} → {}",
                    after.map_or("(removed)".to_owned(), J::to_string)
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_set_image_is_a_hand_edit_and_a_default_is_not() {
        let last = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "agent", "image": "a:v1"}]}}}});
        let live = json!({"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": last.to_string()}},
            "spec": {"replicas": 5, "revisionHistoryLimit": 10,
              "template": {"spec": {"containers": [{"name": "agent", "image": "a:v2"}]}}}});
        let applied = json!({"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": last.to_string()}},
            "spec": {"replicas": 3, "revisionHistoryLimit": 5,
              "template": {"spec": {"containers": [{"name": "agent", "image": "a:v1"}]}}}});
        assert_eq!(
            hand_edits(&live, &applied),
            vec![
                "spec.replicas 5 → 3",
                "spec.template.spec.containers[agent].image \"a:v2\" → \"a:v1\""
            ]
        );
        let untouched = json!({"spec": {"replicas": 5}});
        assert!(hand_edits(&untouched, &applied).is_empty());
    }

    #[test]
    fn an_object_no_longer_rendered_is_a_delete_and_a_hand_edit_is_named() {
        let last = json!({"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "a:v1"}]}}}});
        let dep = |image: &str| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "agent-deployment", "namespace": "ns",
              "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last.to_string()}},
            "spec": {"template": {"spec": {"containers": [{"name": "agent", "image": image}]}}}})
        };
        let stale = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "old-data", "namespace": "ns"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}});
        let base = LiveBase {
            old: vec![dep("a:hotfix"), stale],
            new: vec![dep("a:v1")],
            refused: vec![],
            running: impact::Running::default(),
        };
        let out = impacts(&base);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(
            (out[0].kind.as_str(), out[0].change),
            ("Deployment", impact::Change::Update)
        );
        assert!(
            out[0].findings[0]
                .reason
                .contains("containers[agent].image \"a:hotfix\" → \"a:v1\""),
            "{:?}",
            out[0].findings
        );
        assert_eq!(
            (out[1].name.as_str(), out[1].change),
            ("old-data", impact::Change::Delete)
        );
        assert!(
            out[1].classes().contains(&impact::Class::DataLoss),
            "{:?}",
            out[1]
        );
    }
}
