//! `diff --live`: the change-impact report with the cluster as the base. The old side is
//! each live object; the new side is what applying the render would leave (the API server's
//! dry-run of it, so defaults and the server's normal forms agree on both sides), or the
//! rendered object when it does not exist yet. Objects that carry this deployment's labels but
//! are no longer rendered are on the old side only: what `kubectl apply --prune` deletes, unless
//! the object lacks kubectl's last-applied configuration (applied server-side, e.g. by Flux's
//! kustomize-controller), which kubectl never prunes: the report then says it stays, who
//! applied it (Flux, Argo CD, a field manager) and how it goes. A field the live object holds
//! against its own last applied configuration was changed by hand (`kubectl set image`,
//! `kubectl scale`): the report says applying reverts it.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value as J;

use super::live::{Ref, without_server_fields};
use super::{Cluster, ClusterError};
use crate::impact::{self, Finding, Impact, Objects};
use crate::input::crds::Crd;

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
    /// Objects no longer rendered that `kubectl apply --prune` keeps (no last-applied
    /// configuration), with who applied them: see [`kept_by_kubectl`].
    pub kept: Vec<(Ref, String)>,
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Why `kubectl apply --prune` keeps a live object the render no longer has, or `None` when
/// it deletes it. kubectl prunes only objects holding its last-applied configuration (its
/// `prune.go`: "don't prune resources not created with apply"); a server-side apply never
/// writes it, and Flux's kustomize-controller removes it. Says who applied it, from the marks
/// each GitOps tool leaves (Flux's `kustomize.toolkit.fluxcd.io/name`/`namespace` labels, Argo
/// CD's `argocd.argoproj.io/tracking-id` annotation) or else the field manager of its apply.
pub fn kept_by_kubectl(live: &J) -> Option<String> {
    let meta = live.get("metadata")?;
    let annotations = meta.get("annotations");
    if annotations.and_then(|a| a.get(LAST_APPLIED)).is_some() {
        return None;
    }
    let label = |k: &str| {
        meta.pointer(&format!("/labels/{}", k.replace('/', "~1")))
            .and_then(J::as_str)
    };
    let who = if let (Some(name), Some(ns)) = (
        label("kustomize.toolkit.fluxcd.io/name"),
        label("kustomize.toolkit.fluxcd.io/namespace"),
    ) {
        format!(
            "Flux applied it (Kustomization {ns}/{name}): Flux's prune deletes it when that Kustomization has `prune: true`"
        )
    } else if let Some(id) = annotations
        .and_then(|a| a.get("argocd.argoproj.io/tracking-id"))
        .and_then(J::as_str)
    {
        let app = id.split(':').next().unwrap_or(id);
        format!("Argo CD applied it (Application {app}): Argo CD's sync deletes it when it prunes")
    } else {
        let managers: Vec<&str> = meta
            .get("managedFields")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter(|m| m.get("operation").and_then(J::as_str) == Some("Apply"))
            .filter_map(|m| m.get("manager").and_then(J::as_str))
            .collect();
        match managers.as_slice() {
            [] => "it was not created by `kubectl apply`".to_owned(),
            m => format!(
                "it was applied server-side (field manager {})",
                m.join(", ")
            ),
        }
    };
    Some(format!(
        "`kubectl apply --prune` keeps it: it has no last-applied configuration ({LAST_APPLIED}), and {who}"
    ))
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

/// The label selector of this deployment's objects (the prune command's): `instance` is the
/// value of `app.kubernetes.io/instance` ([`crate::config::Names::instance_label`]: the
/// `instance` setting, or the namespace).
pub fn instance_selector(instance: &str) -> String {
    format!("app.kubernetes.io/managed-by=agentctl,app.kubernetes.io/instance={instance}")
}

impl Cluster {
    /// Reads both sides for the rendered `objects` in `namespace`; `instance`: the value of
    /// their `app.kubernetes.io/instance` label, which prune candidates carry too; `crds`: the
    /// CRDs the user listed, whose kinds are read (at their plurals) and searched for prune
    /// candidates like the built-in ones.
    pub fn live_base(
        &self,
        objects: &[J],
        namespace: &str,
        instance: &str,
        crds: &[Arc<Crd>],
    ) -> Result<LiveBase, ClusterError> {
        let mut base = LiveBase::default();
        let mut rendered: BTreeSet<(String, String)> = BTreeSet::new();
        let mut live_objects: Vec<J> = Vec::new();
        for o in objects {
            let r = Ref::of_listed(o, crds);
            rendered.insert((r.kind.clone(), r.name.clone()));
            match self.get(&r)? {
                Some(live) => {
                    match self.dry_run_apply_at(&r, o)? {
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
        let selector = instance_selector(instance);
        let built_in = crate::render::k8s_check::allowlist_kinds()
            .into_iter()
            .filter_map(|(_, gvk)| {
                let (api, kind) = gvk.rsplit_once('/')?;
                let api = api.strip_prefix("core/").unwrap_or(api).to_owned();
                Some((api, kind.to_owned(), crate::cluster::live::plural(kind)))
            });
        let kinds: Vec<(String, String, String)> =
            built_in.chain(listed_kinds(objects, crds)).collect();
        for (api, kind, plural) in &kinds {
            let Some(found) =
                self.list_plural(api, kind, plural, Some(namespace), Some(&selector))?
            else {
                continue;
            };
            for o in found {
                let r = Ref::of(&o);
                if !rendered.contains(&(r.kind.clone(), r.name.clone()))
                    && o.pointer("/metadata/ownerReferences").is_none()
                {
                    if let Some(why) = kept_by_kubectl(&o) {
                        base.kept.push((r.clone(), why));
                    }
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

/// The kinds of the listed CRDs to search for prune candidates, namespaced ones only (an
/// extra object lives in the deployment's namespace): each at the version the render uses
/// for it, else the CRD's first served one (the server converts), with its plural.
fn listed_kinds(objects: &[J], crds: &[Arc<Crd>]) -> Vec<(String, String, String)> {
    crds.iter()
        .filter(|c| c.namespaced)
        .filter_map(|c| {
            let rendered = objects.iter().map(Ref::of).find(|r| {
                r.kind == c.kind && r.api_version.rsplit_once('/').map(|(g, _)| g) == Some(&c.group)
            });
            let api = match rendered {
                Some(r) => r.api_version,
                None => c.api(c.served().first()?),
            };
            Some((api, c.kind.clone(), c.plural.clone()))
        })
        .collect()
}

/// The impacts of applying the render to the cluster, hand edits named as reverted, and
/// objects the server refuses as such.
pub fn impacts(base: &LiveBase) -> Vec<Impact> {
    let old = Objects::new(base.old.clone()).with_running(base.running.clone());
    let new = Objects::new(base.new.clone());
    let mut out = impact::analyze(&old, &new);
    for i in &mut out {
        if let Some((r, why)) = base
            .kept
            .iter()
            .find(|(r, _)| r.kind == i.kind && r.name == i.name)
        {
            let scope = r
                .namespace
                .as_deref()
                .map(|ns| format!(" -n {}", crate::shell::quote(ns)))
                .unwrap_or_default();
            i.findings.insert(
                0,
                Finding {
                    class: None,
                    reason: why.clone(),
                    fix: Some(format!(
                        "let the tool that applied it prune it, or delete it: `kubectl delete {} {}{scope}`",
                        r.kind.to_lowercase(),
                        crate::shell::quote(&r.name)
                    )),
                },
            );
            continue;
        }
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
    // What changed since the last apply, named as the render's changes are (one comparison,
    // so a key holding dots such as `data.config.yaml` is found on both sides).
    let since = super::live::differences(&last, live);
    super::live::differences(live, applied)
        .into_iter()
        .filter(|d| !d.path.starts_with("metadata.annotations"))
        .filter_map(|d| {
            let now = d.old?;
            // The change since the last apply at this field or around it (a list replaced
            // whole). Absent from the last apply (a default, or the autoscaler's replicas): not
            // a hand edit.
            since
                .iter()
                .find(|s| within(&d.path, &s.path))
                .and_then(|s| s.old.as_ref())?;
            Some(format!(
                "{} {now} → {}",
                d.path,
                d.new.map_or("(removed)".to_owned(), |v| v.to_string())
            ))
        })
        .collect()
}

/// Whether field `path` is `outer` or inside it (`a.b[c].d` is inside `a.b`, `a.b[c]`).
fn within(path: &str, outer: &str) -> bool {
    path.strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
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
    fn a_key_holding_dots_is_found_and_a_quantity_rewritten_by_the_server_is_not_an_edit() {
        let last = json!({"data": {"config.yaml": "a: 1"},
            "spec": {"resources": {"limits": {"cpu": "1000m"}}}});
        let annotated = |data: &str| {
            json!({"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": last.to_string()}},
                "data": {"config.yaml": data}, "spec": {"resources": {"limits": {"cpu": "1"}}}})
        };
        let applied = json!({"data": {"config.yaml": "a: 2"},
            "spec": {"resources": {"limits": {"cpu": "2"}}}});
        // Edited by hand to `a: 3`; the render changes it to `a: 2` and the CPU limit to 2,
        // which the server stored as `1` for the `1000m` last applied: not an edit.
        assert_eq!(
            hand_edits(&annotated("a: 3"), &applied),
            vec!["data.config.yaml \"a: 3\" → \"a: 2\""]
        );
        assert!(hand_edits(&annotated("a: 1"), &applied).is_empty());
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
            kept: vec![],
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

    #[test]
    fn kubectl_prune_keeps_what_it_did_not_apply_and_says_who_did() {
        let obj = |labels: J, annotations: J, managed: J| {
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny-all", "namespace": "prod", "labels": labels,
                  "annotations": annotations, "managedFields": managed}})
        };
        let ssa = json!([{"manager": "kustomize-controller", "operation": "Apply"},
            {"manager": "kube-controller-manager", "operation": "Update"}]);
        let flux = obj(
            json!({"kustomize.toolkit.fluxcd.io/name": "agents", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}),
            json!({}),
            ssa.clone(),
        );
        let why = kept_by_kubectl(&flux).expect("no last-applied: kubectl keeps it");
        assert!(
            why.starts_with(
                "`kubectl apply --prune` keeps it: it has no last-applied configuration"
            ) && why.contains("Flux applied it (Kustomization flux-system/agents)"),
            "{why}"
        );
        let argo = obj(
            json!({}),
            json!({"argocd.argoproj.io/tracking-id": "agents-prod:networking.k8s.io/NetworkPolicy:prod/default-deny-all"}),
            json!([]),
        );
        assert!(
            kept_by_kubectl(&argo)
                .unwrap()
                .contains("Argo CD applied it (Application agents-prod)")
        );
        let server_side = obj(json!({}), json!({}), ssa);
        assert!(
            kept_by_kubectl(&server_side)
                .unwrap()
                .contains("applied server-side (field manager kustomize-controller)")
        );
        // Applied by kubectl (client-side, or Argo CD's default sync): pruned, no note.
        let applied = obj(
            json!({"kustomize.toolkit.fluxcd.io/name": "agents", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}),
            json!({LAST_APPLIED: "{}"}),
            json!([]),
        );
        assert_eq!(kept_by_kubectl(&applied), None);

        // In the report: still on the delete list (the tool that applied it prunes it), with
        // the note first and the command that deletes it.
        let base = LiveBase {
            old: vec![bare(&flux)],
            new: vec![],
            refused: vec![],
            running: impact::Running::default(),
            kept: vec![(Ref::of(&flux), kept_by_kubectl(&flux).unwrap())],
        };
        let out = impacts(&base);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].change, impact::Change::Delete);
        assert!(out[0].findings[0].reason.contains("keeps it"), "{out:#?}");
        assert_eq!(
            out[0].findings[0].fix.as_deref(),
            Some(
                "let the tool that applied it prune it, or delete it: `kubectl delete networkpolicy default-deny-all -n prod`"
            )
        );
    }
}
