//! The workload rules: a selector change (recreate), what in a pod template replaces pods and
//! how a Deployment, DaemonSet or ReplicaSet rolls, the StatefulSet's mutable fields and
//! volume claim templates, and Job and CronJob templates.

use serde_json::Value as J;

use super::super::accessors::{kind, name, namespace, ns_flag, q};
use super::super::semantic::{Delta, describe, quantity_of, short};
use super::super::{Class, Ctx, Finding, security};
use super::{claims_of_statefulset, data_of, deltas_at, finding};
use crate::k8s::object::{at, str_at};

/// A label selector as the words of a `-l` argument: `k=v` pairs, each key and value one shell
/// word, joined by commas (kubectl's syntax); an expression (`k In (a,b)`) quoted whole.
fn selector_words(sel: Option<&J>) -> String {
    if sel.and_then(|s| s.get("matchExpressions")).is_some() {
        return q(&security::selector_labels(sel)).into_owned();
    }
    sel.and_then(|s| s.get("matchLabels"))
        .and_then(J::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{}={}", q(k), q(v.as_str().unwrap_or_default())))
        .collect::<Vec<_>>()
        .join(",")
}

/// The recreate finding of a selector change, or nothing.
fn selector(old: &J, new: &J, out: &mut Vec<Finding>) -> bool {
    let d = deltas_at(old, new, "spec.selector");
    if d.is_empty() {
        return false;
    }
    let k = kind(new).to_lowercase();
    let n = q(name(new));
    let fix = if k == "job" {
        format!(
            "kubectl delete job {n}{}, then apply again (the Job runs again)",
            ns_flag(new)
        )
    } else {
        format!(
            "kubectl delete {} {n}{} --cascade=orphan, then apply again: the old pods keep \
             running unmanaged next to the new ones; delete them once the new pods are ready \
             (kubectl delete pods{} -l {})",
            q(&k),
            ns_flag(new),
            ns_flag(new),
            selector_words(at(old, "/spec/selector"))
        )
    };
    out.push(finding(
        Class::Recreate,
        format!(
            "spec.selector is immutable: the API server rejects {}",
            describe(&d, 2)
        ),
        Some(fix),
    ));
    true
}

/// Why the pod template changed: the ConfigMap checksum, other fields, or both.
fn template_cause(d: &[Delta]) -> String {
    let (checksums, fields): (Vec<&Delta>, Vec<&Delta>) = d
        .iter()
        .partition(|x| x.path.contains("metadata.annotations.checksum/"));
    let fields: Vec<Delta> = fields.into_iter().cloned().collect();
    let checksum = checksums.first().map(|c| {
        format!(
            "the ConfigMap checksum annotation ({}) changed: the settings it hashes changed",
            c.path.rsplit("annotations.").next().unwrap_or_default()
        )
    });
    match (checksum, fields.is_empty()) {
        (Some(c), true) => c,
        (Some(c), false) => format!("pod template fields ({}) and {c}", describe(&fields, 3)),
        (None, _) => format!("pod template fields changed ({})", describe(&fields, 3)),
    }
}

/// The replica range of a workload: its autoscaler's bounds, else its replicas.
fn replica_range(ctx: &Ctx, w: &J) -> String {
    match ctx.new.autoscaler_bounds(namespace(w), kind(w), name(w)) {
        Some((min, max)) if min == max => min.to_string(),
        Some((min, max)) => format!("{min}–{max}"),
        None => at(w, "/spec/replicas")
            .and_then(J::as_i64)
            .unwrap_or(1)
            .to_string(),
    }
}

fn is_zero(v: Option<&J>) -> bool {
    match v {
        Some(J::Number(n)) => n.as_i64() == Some(0),
        Some(J::String(s)) => s == "0" || s == "0%",
        _ => false,
    }
}

/// How a Deployment (or DaemonSet) rolls.
fn how_it_rolls(ctx: &Ctx, w: &J) -> String {
    if kind(w) == "DaemonSet" {
        return "rolling update of its pods, one node at a time".into();
    }
    let range = replica_range(ctx, w);
    let range = if range == "1" {
        "1 pod".to_owned()
    } else {
        format!("{range} pods")
    };
    if str_at(w, "/spec/strategy/type") == Some("Recreate") {
        return format!("strategy Recreate: the {range} stop before the new ones start (downtime)");
    }
    let surge = at(w, "/spec/strategy/rollingUpdate/maxSurge");
    let unavailable = at(w, "/spec/strategy/rollingUpdate/maxUnavailable");
    let surge_text = surge.map_or("25%".into(), |v| short(Some(v)));
    if is_zero(unavailable) {
        format!("zero-downtime rolling update of {range}, surge {surge_text}")
    } else {
        format!(
            "rolling update of {range}, surge {surge_text}, up to {} unavailable at a time",
            unavailable.map_or("25%".into(), |v| short(Some(v)))
        )
    }
}

/// Deployment, DaemonSet, ReplicaSet.
pub(super) fn workload(ctx: &Ctx, old: &J, new: &J, out: &mut Vec<Finding>) {
    if selector(old, new, out) {
        return;
    }
    let template = deltas_at(old, new, "spec.template");
    if !template.is_empty() {
        out.push(finding(
            Class::Rollout,
            format!(
                "{} {}: {}; {}",
                kind(new),
                name(new),
                template_cause(&template),
                how_it_rolls(ctx, new)
            ),
            None,
        ));
        return;
    }
    let replicas = deltas_at(old, new, "spec.replicas");
    if !replicas.is_empty() {
        out.push(finding(
            Class::InPlace,
            format!(
                "scales from {} to {} pods, none replaced",
                short(at(old, "/spec/replicas")),
                short(at(new, "/spec/replicas"))
            ),
            None,
        ));
    }
}

/// The StatefulSet fields the API server lets an update change.
const STATEFULSET_MUTABLE: &[&str] = &[
    "replicas",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
    "ordinals",
    "revisionHistoryLimit",
];

pub(super) fn statefulset(old: &J, new: &J, out: &mut Vec<Finding>) {
    let n = name(new);
    let template = deltas_at(old, new, "spec.template");
    if selector(old, new, out) {
        return;
    }
    let immutable: Vec<Delta> = deltas_at(old, new, "spec")
        .into_iter()
        .filter(|d| {
            let field = d.path.trim_start_matches("spec.");
            let top = field.split(['.', '[']).next().unwrap_or_default();
            !STATEFULSET_MUTABLE.contains(&top)
        })
        .collect();
    if !immutable.is_empty() {
        let claims = claims_of_statefulset(old);
        let replicas = at(old, "/spec/replicas").and_then(J::as_i64).unwrap_or(1);
        let pods = if replicas == 1 {
            format!("{n}-0 keeps")
        } else {
            format!("its {replicas} pods keep")
        };
        let mut fix = format!(
            "kubectl delete statefulset {}{} --cascade=orphan, then apply again: {pods} \
             running (orphaned, no restart) and the new StatefulSet adopts {}",
            q(n),
            ns_flag(new),
            if replicas == 1 { "it" } else { "them" },
        );
        if immutable
            .iter()
            .any(|d| d.path.contains("volumeClaimTemplates"))
            && !claims.is_empty()
        {
            // A claim can grow (when its class allows expansion) but never shrink.
            let shrinks = immutable.iter().any(|d| {
                d.path.ends_with("requests.storage")
                    && matches!(
                        (d.old.as_ref().and_then(quantity_of), d.new.as_ref().and_then(quantity_of)),
                        (Some(o), Some(n)) if n < o
                    )
            });
            let resize = if shrinks {
                "a claim cannot shrink: keep the old size, or move the data to a new claim"
            } else {
                "resize them with kubectl patch pvc if the StorageClass allows expansion"
            };
            fix.push_str(&format!(
                "; existing claims ({}) keep their old size and class (templates only shape new \
                 claims): {resize}",
                claims.join(", ")
            ));
        }
        if !template.is_empty() {
            if replicas == 1 && n.contains("redis") {
                fix.push_str(&format!(
                    "; then {n}-0 is replaced on the new template: Redis restarts and the agent \
                     loses its cache/state connection for the restart"
                ));
            } else {
                fix.push_str("; then the pods are replaced on the new template (a restart)");
            }
        }
        out.push(finding(
            Class::Recreate,
            format!(
                "StatefulSet spec fields other than replicas, template, updateStrategy, \
                 persistentVolumeClaimRetentionPolicy, minReadySeconds and ordinals are \
                 immutable: the API server rejects {}",
                describe(&immutable, 3)
            ),
            Some(fix),
        ));
        let old_templates = template_names(old);
        let new_templates = template_names(new);
        let gone: Vec<&String> = old_templates
            .iter()
            .filter(|t| !new_templates.contains(t))
            .collect();
        if !gone.is_empty() {
            out.push(finding(
                Class::DataLoss,
                format!(
                    "volume claim template{} {} removed or renamed: the pods no longer mount {}",
                    if gone.len() == 1 { "" } else { "s" },
                    gone.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    claims_of_statefulset(old)
                        .iter()
                        .map(|c| data_of(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None,
            ));
        }
        return;
    }
    if !template.is_empty() {
        let replicas = at(new, "/spec/replicas").and_then(J::as_i64).unwrap_or(1);
        if str_at(new, "/spec/updateStrategy/type") == Some("OnDelete") {
            out.push(finding(
                Class::InPlace,
                format!(
                    "{}; updateStrategy OnDelete: no pod is replaced until you delete it",
                    template_cause(&template)
                ),
                None,
            ));
            return;
        }
        let how = if replicas == 1 && n.contains("redis") {
            "Redis restarts: the agent loses its cache/state connection for the restart".to_owned()
        } else if replicas == 1 {
            format!("its one pod {n}-0 restarts: its clients lose their connection for the restart")
        } else {
            format!("rolling restart of {replicas} pods, one at a time, highest ordinal first")
        };
        out.push(finding(
            Class::Rollout,
            format!("StatefulSet {n}: {}; {how}", template_cause(&template)),
            None,
        ));
        return;
    }
    if !deltas_at(old, new, "spec.replicas").is_empty() {
        out.push(finding(
            Class::InPlace,
            format!(
                "scales from {} to {} pods",
                short(at(old, "/spec/replicas")),
                short(at(new, "/spec/replicas"))
            ),
            None,
        ));
    }
}

fn template_names(sts: &J) -> Vec<String> {
    at(sts, "/spec/volumeClaimTemplates")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| str_at(t, "/metadata/name").map(str::to_owned))
        .collect()
}

pub(super) fn job(old: &J, new: &J, out: &mut Vec<Finding>) {
    if selector(old, new, out) {
        return;
    }
    let template = deltas_at(old, new, "spec.template");
    if !template.is_empty() {
        out.push(finding(
            Class::Recreate,
            format!(
                "a Job's pod template is immutable: the API server rejects {}",
                describe(&template, 3)
            ),
            Some(format!(
                "kubectl delete job {}{}, then apply again (the Job runs again)",
                q(name(new)),
                ns_flag(new)
            )),
        ));
    }
}

pub(super) fn cronjob(old: &J, new: &J, out: &mut Vec<Finding>) {
    let d = deltas_at(old, new, "spec");
    if !d.is_empty() {
        out.push(finding(
            Class::InPlace,
            format!(
                "the next scheduled Job uses it, a running Job is not changed: {}",
                describe(&d, 3)
            ),
            None,
        ));
    }
}
