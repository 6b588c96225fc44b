//! The rules about objects beside the pods: RBAC roles and bindings, PodDisruptionBudgets against the
//! replicas the workload can run at its lowest, rollout history and alert runbooks. (AGT160,
//! credentials in any object, is fired by `lint` itself: the render hands over what it
//! already scanned, `Provenance::scanned`.)

use serde_json::Value as J;

use super::{Ctx, Out, Seg, keys};
use crate::k8s::object::{self, field_str, int_at, kind, str_at};
use crate::k8s::scale::{self, IntOrPercent};

pub(super) fn check(ctx: &Ctx, o: &J, out: &mut Out) {
    match kind(o) {
        "Role" | "ClusterRole" => rbac(o, out),
        "RoleBinding" | "ClusterRoleBinding" => binding(o, out),
        "PodDisruptionBudget" => pdb(ctx, o, out),
        "PrometheusRule" => runbooks(o, out),
        "ScaledObject" if object::items(o, "/spec/triggers").next().is_none() => out.fire(
            "AGT176",
            keys(&[], &["spec", "triggers"]),
            format!(
                "no trigger: KEDA would never scale {}",
                object::field_str(o, "/spec/scaleTargetRef/name")
            ),
        ),
        "Deployment" | "StatefulSet" | "DaemonSet" => {
            if int_at(o, "/spec/revisionHistoryLimit") == Some(0) {
                out.fire(
                    "AGT171",
                    keys(&[], &["spec", "revisionHistoryLimit"]),
                    "`revisionHistoryLimit: 0` keeps nothing to roll back to",
                );
            }
            unprotected(ctx, o, out);
        }
        _ => {}
    }
}

/// AGT175: more than one pod at most, and no PodDisruptionBudget selecting them.
fn unprotected(ctx: &Ctx, w: &J, out: &mut Out) {
    let Some((most, _)) = scale::most_pods(ctx.autoscalers.iter().copied(), w) else {
        return;
    };
    let Some(labels) = pod_labels(w) else { return };
    if most < 2 {
        return;
    }
    let covered = ctx.objects.iter().any(|p| {
        kind(p) == "PodDisruptionBudget"
            && same_namespace(p, w)
            && p.pointer("/spec/selector")
                .is_some_and(|s| label_selects(s, labels))
    });
    if !covered {
        out.fire(
            "AGT175",
            super::template_labels(w),
            format!("up to {most} pods and no PodDisruptionBudget selects them"),
        );
    }
}

fn strings(v: &J, key: &str) -> Vec<String> {
    object::items(v, &format!("/{key}"))
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn rbac(o: &J, out: &mut Out) {
    for (i, r) in object::items(o, "/rules").enumerate() {
        let at = vec![Seg::Key("rules".into()), Seg::Index(i)];
        for key in ["apiGroups", "resources", "verbs", "nonResourceURLs"] {
            if strings(r, key)
                .iter()
                .any(|s| s == "*" || s.ends_with("/*"))
            {
                out.fire(
                    "AGT150",
                    keys(&at, &[key]),
                    format!("`*` in {key} grants everything"),
                );
            }
        }
        let verbs = strings(r, "verbs");
        let resources = strings(r, "resources");
        let core = strings(r, "apiGroups").iter().any(|g| g.is_empty());
        if core && resources.iter().any(|s| s == "secrets") {
            let reads: Vec<&str> = ["list", "watch"]
                .into_iter()
                .filter(|v| verbs.iter().any(|x| x == v))
                .collect();
            if !reads.is_empty() {
                out.fire(
                    "AGT151",
                    keys(&at, &["verbs"]),
                    format!("{} on secrets reads every Secret", reads.join(" and ")),
                );
            }
        }
        let risky: Vec<&str> = ["escalate", "bind", "impersonate"]
            .into_iter()
            .filter(|v| verbs.iter().any(|x| x == v))
            .collect();
        if !risky.is_empty() {
            out.fire(
                "AGT152",
                keys(&at, &["verbs"]),
                format!("verb {}", risky.join(", ")),
            );
        }
    }
}

/// The built-in ClusterRoles that hold Secrets and pod creation (or everything).
const BROAD_ROLES: [&str; 3] = ["cluster-admin", "admin", "edit"];
/// The groups and user that stand for everyone (or every service account).
const EVERYONE: [&str; 4] = [
    "system:authenticated",
    "system:unauthenticated",
    "system:anonymous",
    "system:serviceaccounts",
];

fn binding(o: &J, out: &mut Out) {
    let role = str_at(o, "/roleRef/name").unwrap_or_default();
    if str_at(o, "/roleRef/kind") == Some("ClusterRole") && BROAD_ROLES.contains(&role) {
        out.fire(
            "AGT153",
            keys(&[], &["roleRef", "name"]),
            format!("binds the built-in ClusterRole `{role}`"),
        );
    }
    for (i, s) in object::items(o, "/subjects").enumerate() {
        let name = field_str(s, "/name");
        if EVERYONE.contains(&name) {
            out.fire(
                "AGT153",
                vec![
                    Seg::Key("subjects".into()),
                    Seg::Index(i),
                    Seg::Key("name".into()),
                ],
                format!("binds `{role}` to `{name}`, everyone"),
            );
        }
    }
}

pub(super) fn label_selects(selector: &J, labels: &J) -> bool {
    let want = selector.get("matchLabels").and_then(J::as_object);
    let have = labels.as_object();
    let labels_ok = want
        .into_iter()
        .flatten()
        .all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v));
    // matchExpressions: only `In` and `Exists` are read; anything else counts as not selecting.
    let exprs_ok = object::items(selector, "/matchExpressions").all(|e| {
        let key = field_str(e, "/key");
        let value = have.and_then(|h| h.get(key));
        match field_str(e, "/operator") {
            "In" => value.is_some_and(|v| object::items(e, "/values").any(|x| x == v)),
            "Exists" => value.is_some(),
            "NotIn" => !value.is_some_and(|v| object::items(e, "/values").any(|x| x == v)),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

/// Whether a Service's plain `selector` map picks pods with `labels` (an empty one picks none).
pub(super) fn map_selects(selector: &J, labels: &J) -> bool {
    selector.as_object().is_some_and(|m| {
        !m.is_empty()
            && m.iter()
                .all(|(k, v)| labels.get(k).is_some_and(|have| have == v))
    })
}

pub(super) fn pod_labels(o: &J) -> Option<&J> {
    object::pod_template(o)
        .and_then(|t| t.pointer("/metadata/labels"))
        .or_else(|| {
            (kind(o) == "Pod")
                .then(|| o.pointer("/metadata/labels"))
                .flatten()
        })
}

pub(super) fn same_namespace(a: &J, b: &J) -> bool {
    object::namespace(a) == object::namespace(b)
}

/// The fewest pods of a workload while it runs any, which is where a disruption budget
/// matters: at 0 pods a budget has nothing to protect and a drain evicts nothing.
enum Lowest {
    /// `spec.replicas: 0` and no autoscaler: it never runs a pod.
    Never,
    /// The fewest pods while it runs.
    Runs(i64),
}

/// The fewest replicas a workload runs while it runs any: the autoscaler's minimum (a KEDA
/// ScaledObject's `minReplicaCount`; at `minReplicaCount: 0`, or idle at
/// `idleReplicaCount: 0`, KEDA scales to 0 and back to at least 1), else `spec.replicas`
/// (default 1).
fn lowest(ctx: &Ctx, w: &J) -> Lowest {
    match scale::autoscaler_of(ctx.autoscalers.iter().copied(), kind(w), object::name(w)) {
        Some((b, _)) => Lowest::Runs(b.min.max(1)),
        None => match int_at(w, "/spec/replicas").unwrap_or(1) {
            0 => Lowest::Never,
            n => Lowest::Runs(n),
        },
    }
}

fn pdb(ctx: &Ctx, o: &J, out: &mut Out) {
    let Some(selector) = o.pointer("/spec/selector") else {
        return;
    };
    for w in ctx.objects.iter().filter(|w| {
        matches!(kind(w), "Deployment" | "StatefulSet" | "ReplicaSet") && same_namespace(w, o)
    }) {
        let Some(labels) = pod_labels(w) else {
            continue;
        };
        if !label_selects(selector, labels) {
            continue;
        }
        let n = match lowest(ctx, w) {
            // A workload that never runs a pod: nothing to evict, nothing blocked.
            Lowest::Never => continue,
            Lowest::Runs(n) => n,
        };
        let (allowed, field) = if let Some(m) = o.pointer("/spec/maxUnavailable") {
            let Some(v) = IntOrPercent::of_json(m) else {
                continue;
            };
            (v.resolve(n, true), "maxUnavailable")
        } else if let Some(m) = o.pointer("/spec/minAvailable") {
            let Some(v) = IntOrPercent::of_json(m) else {
                continue;
            };
            (n - v.resolve(n, true), "minAvailable")
        } else {
            continue;
        };
        if allowed < 1 {
            out.fire(
                "AGT170",
                keys(&[], &["spec", field]),
                format!(
                    "at {n} replica{} of {}/{} (its lowest), {field} {} allows no eviction",
                    if n == 1 { "" } else { "s" },
                    kind(w),
                    object::name(w),
                    super::report::show(o.pointer(&format!("/spec/{field}")).unwrap_or(&J::Null))
                ),
            );
            // The lowest count comes from the autoscaler's minimum, else the replicas.
            match scale::autoscaler_of(ctx.autoscalers.iter().copied(), kind(w), object::name(w)) {
                Some((_, a)) if kind(a) == "ScaledObject" => {
                    out.cause(a, keys(&[], &["spec", "minReplicaCount"]));
                }
                Some((_, a)) => out.cause(a, keys(&[], &["spec", "minReplicas"])),
                None => out.cause(w, keys(&[], &["spec", "replicas"])),
            }
        }
    }
}

fn runbooks(o: &J, out: &mut Out) {
    for (g, group) in object::items(o, "/spec/groups").enumerate() {
        for (i, r) in object::items(group, "/rules").enumerate() {
            let Some(alert) = str_at(r, "/alert") else {
                continue;
            };
            if str_at(r, "/annotations/runbook_url").is_none_or(str::is_empty) {
                out.fire(
                    "AGT180",
                    vec![
                        Seg::Key("spec".into()),
                        Seg::Key("groups".into()),
                        Seg::Index(g),
                        Seg::Key("rules".into()),
                        Seg::Index(i),
                        Seg::Key("annotations".into()),
                    ],
                    format!("alert `{alert}` has no runbook_url"),
                );
            }
        }
    }
}
