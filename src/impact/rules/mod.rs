//! The rules, by kind: which fields the API server lets change in place, which changes replace
//! pods and how, and what a create or a delete means for the running system. Security rules are
//! in [`super::security`].

//!
//! By concern: this file (the findings of a create and a delete, and the update dispatch by
//! kind), [`workloads`] (selectors, pod templates, how a workload rolls, StatefulSet, Job and
//! CronJob rules) and [`kinds`] (PersistentVolumeClaim, Service, bindings, ConfigMap and
//! Secret, a KEDA ScaledObject's scale to zero).

mod kinds;
mod workloads;

use serde_json::Value as J;

use super::accessors::{kind, name, namespace, ns_flag, pod_template, q, role_ref, subjects};
use super::semantic::{Delta, deltas, describe, pointer, short};
use super::{Class, Ctx, Finding, security};
use crate::k8s::object::{at, str_at};
use kinds::{binding, configmap, pvc, scaled_object, service};
use workloads::{cronjob, job, statefulset, workload};

pub(super) fn finding(class: Class, reason: impl Into<String>, fix: Option<String>) -> Finding {
    Finding {
        class: Some(class),
        reason: reason.into(),
        fix,
    }
}

pub(super) fn note(reason: impl Into<String>) -> Finding {
    Finding {
        class: None,
        reason: reason.into(),
        fix: None,
    }
}

/// What a PVC holds, as far as its name tells (an `instance`'s prefix included).
pub(super) fn data_of(claim: &str) -> String {
    if claim.contains("backup") {
        format!("the Redis backups (RDB snapshots) on {claim}")
    } else if claim.contains("redis") {
        format!("Redis's data (its append-only file and snapshots) on {claim}")
    } else if claim.starts_with("agent") || claim.contains("-agent-") {
        format!("the agent's data on {claim}")
    } else {
        format!("the data on {claim}")
    }
}

/// The claims a StatefulSet's templates give its pods: `data-redis-0`, ...
pub(super) fn claims_of_statefulset(sts: &J) -> Vec<String> {
    let replicas = at(sts, "/spec/replicas").and_then(J::as_i64).unwrap_or(1);
    let sts_name = name(sts);
    let mut out = Vec::new();
    for t in at(sts, "/spec/volumeClaimTemplates")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let t_name = str_at(t, "/metadata/name").unwrap_or_default();
        for i in 0..replicas.clamp(1, 3) {
            out.push(format!("{t_name}-{sts_name}-{i}"));
        }
        if replicas > 3 {
            out.push(format!("... {t_name}-{sts_name}-{}", replicas - 1));
        }
    }
    out
}

// ------------------------------------------------------------------------------------- create

/// A new object.
pub(super) fn create(_ctx: &Ctx, new: &J) -> Vec<Finding> {
    let mut out = Vec::new();
    match kind(new) {
        "RoleBinding" | "ClusterRoleBinding" => {
            out.push(finding(
                Class::Security,
                format!(
                    "grants {} to {}",
                    role_ref(new),
                    subjects(new).join(", ").if_empty("no subject")
                ),
                None,
            ));
        }
        "Deployment" | "StatefulSet" | "DaemonSet" => {
            out.push(note("new workload: its pods start"));
        }
        "PersistentVolumeClaim" => {
            out.push(note(format!(
                "new claim: a volume of {} is provisioned",
                short(at(new, "/spec/resources/requests/storage"))
            )));
        }
        _ => {}
    }
    out
}

trait IfEmpty {
    fn if_empty(self, other: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, other: &str) -> String {
        if self.is_empty() {
            other.to_owned()
        } else {
            self
        }
    }
}

// ------------------------------------------------------------------------------------- delete

/// An object no longer rendered.
pub(super) fn delete(ctx: &Ctx, old: &J) -> Vec<Finding> {
    const PRUNE: &str = "when it is pruned or deleted (`kubectl apply -k` without `--prune` \
                         leaves it in place)";
    let mut out = Vec::new();
    match kind(old) {
        "PersistentVolumeClaim" => out.push(finding(
            Class::DataLoss,
            format!(
                "{} will be lost {PRUNE}, with the default reclaim policy `Delete`",
                data_of(name(old))
            ),
            Some(format!(
                "back it up first, or set its PersistentVolume's reclaim policy to Retain: \
                 kubectl patch pv \"$(kubectl get pvc {}{} -o jsonpath='{{.spec.volumeName}}')\" \
                 -p '{{\"spec\":{{\"persistentVolumeReclaimPolicy\":\"Retain\"}}}}'",
                q(name(old)),
                ns_flag(old)
            )),
        )),
        "StatefulSet" => {
            let claims = claims_of_statefulset(old);
            if !claims.is_empty() {
                let policy = str_at(
                    old,
                    "/spec/persistentVolumeClaimRetentionPolicy/whenDeleted",
                )
                .unwrap_or("Retain");
                let what = claims
                    .iter()
                    .map(|c| data_of(c))
                    .collect::<Vec<_>>()
                    .join(", ");
                let reason = if policy == "Delete" {
                    format!(
                        "{what} will be deleted with it (persistentVolumeClaimRetentionPolicy whenDeleted: Delete) {PRUNE}"
                    )
                } else {
                    format!(
                        "its volume claim templates go {PRUNE}: {what} stays (whenDeleted: Retain) but nothing mounts it any more"
                    )
                };
                out.push(finding(Class::DataLoss, reason, None));
            } else {
                out.push(note(format!("its pods stop {PRUNE}")));
            }
        }
        "Namespace"
            if ctx
                .new
                .items
                .iter()
                .any(|(_, o)| namespace(o) == Some(name(old))) =>
        {
            // The deployment stays in it (`createNamespace: false`): the Namespace is only no
            // longer rendered, and `--prune` never deletes one.
            out.push(note(
                "no longer rendered (createNamespace: false): the namespace and everything in it stay, `kubectl apply --prune` never deletes a Namespace; its labels are no longer agentctl's (the Pod Security ones become a prerequisite)",
            ));
        }
        "Namespace" => {
            let ns = name(old);
            let mut held: Vec<String> = ctx
                .old
                .of_kind("PersistentVolumeClaim", Some(ns))
                .map(|c| data_of(name(c)))
                .collect();
            for sts in ctx.old.of_kind("StatefulSet", Some(ns)) {
                held.extend(claims_of_statefulset(sts).iter().map(|c| data_of(c)));
            }
            let reason = format!(
                "deleting Namespace {ns} deletes everything in it{}",
                if held.is_empty() {
                    String::new()
                } else {
                    format!(", including {}", held.join(", "))
                }
            );
            let class = if held.is_empty() {
                None
            } else {
                Some(Class::DataLoss)
            };
            out.push(Finding {
                class,
                reason: format!("{reason}, {PRUNE}"),
                fix: class.map(|_| {
                    format!("move the data before deleting the old namespace; never prune Namespace {ns} while it holds claims")
                }),
            });
        }
        "NetworkPolicy" => {
            let sel = at(old, "/spec/podSelector");
            let still_there = ctx.new.items.iter().any(|(_, o)| {
                let labels = pod_template(o).and_then(|t| at(t, "/metadata/labels"));
                namespace(o) == namespace(old) && labels.is_some_and(|l| security::selects(sel, l))
            });
            if still_there {
                out.push(finding(
                    Class::Security,
                    format!(
                        "the traffic it restricted for pods {} is no longer limited by it {PRUNE}",
                        security::selector_text(sel)
                    ),
                    None,
                ));
            } else {
                out.push(note(format!(
                    "no rendered pod matches it any more ({})",
                    security::selector_text(sel)
                )));
            }
        }
        "HorizontalPodAutoscaler" | "ScaledObject" => out.push(note(format!(
            "without `--prune` the old autoscaler stays and keeps scaling {}",
            str_at(old, "/spec/scaleTargetRef/name").unwrap_or("its target")
        ))),
        "Deployment" | "DaemonSet" | "Job" | "CronJob" => {
            out.push(note(format!("its pods stop {PRUNE}")))
        }
        _ => {}
    }
    out
}

// ------------------------------------------------------------------------------------- update

/// An object in both, different.
pub(super) fn update(ctx: &Ctx, old: &J, new: &J) -> Vec<Finding> {
    let mut out = Vec::new();
    match kind(new) {
        "Deployment" | "DaemonSet" | "ReplicaSet" => workload(ctx, old, new, &mut out),
        "StatefulSet" => statefulset(old, new, &mut out),
        "Job" => job(old, new, &mut out),
        "CronJob" => cronjob(old, new, &mut out),
        "PersistentVolumeClaim" => pvc(old, new, &mut out),
        "Service" => service(old, new, &mut out),
        "RoleBinding" | "ClusterRoleBinding" => binding(old, new, &mut out),
        "ConfigMap" | "Secret" => configmap(old, new, &mut out),
        "ScaledObject" => scaled_object(old, new, &mut out),
        _ => {}
    }
    security::update(old, new, &mut out);
    let mechanic = out.iter().any(|f| {
        matches!(
            f.class,
            Some(Class::InPlace | Class::Rollout | Class::Recreate)
        )
    });
    if !mechanic {
        let d = deltas(Some(old), Some(new), "");
        out.insert(
            0,
            finding(
                Class::InPlace,
                format!("updated in place, no pod replaced: {}", describe(&d, 3)),
                None,
            ),
        );
    }
    out
}

/// Deltas under a path of both objects.
pub(super) fn deltas_at(old: &J, new: &J, path: &str) -> Vec<Delta> {
    let p = pointer(path);
    deltas(at(old, &p), at(new, &p), path)
}
