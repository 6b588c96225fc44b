//! The rules, by kind: which fields the API server lets change in place, which changes replace
//! pods and how, and what a create or a delete means for the running system. Security rules are
//! in [`super::security`].

use serde_json::Value as J;

use super::semantic::{Delta, at, deltas, describe, quantity_of, same, short, str_at};
use super::{Class, Ctx, Finding, security};

fn finding(class: Class, reason: impl Into<String>, fix: Option<String>) -> Finding {
    Finding {
        class: Some(class),
        reason: reason.into(),
        fix,
    }
}

fn note(reason: impl Into<String>) -> Finding {
    Finding {
        class: None,
        reason: reason.into(),
        fix: None,
    }
}

fn name(o: &J) -> &str {
    str_at(o, "metadata.name").unwrap_or_default()
}

fn namespace(o: &J) -> Option<&str> {
    str_at(o, "metadata.namespace")
}

fn kind(o: &J) -> &str {
    o.get("kind").and_then(J::as_str).unwrap_or_default()
}

/// ` -n NAMESPACE` for a kubectl command, or nothing.
fn ns_flag(o: &J) -> String {
    namespace(o).map(|n| format!(" -n {n}")).unwrap_or_default()
}

/// Where the pod template of a kind is.
pub(super) fn pod_template_path(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => Some("spec.template"),
        "CronJob" => Some("spec.jobTemplate.spec.template"),
        _ => None,
    }
}

/// What a PVC holds, as far as its name tells.
fn data_of(claim: &str) -> String {
    if claim.contains("backup") {
        format!("the Redis backups (RDB snapshots) on {claim}")
    } else if claim.contains("redis") {
        format!("Redis's data (its append-only file and snapshots) on {claim}")
    } else if claim.starts_with("agent") {
        format!("the agent's data on {claim}")
    } else {
        format!("the data on {claim}")
    }
}

/// The claims a StatefulSet's templates give its pods: `data-redis-0`, ...
fn claims_of_statefulset(sts: &J) -> Vec<String> {
    let replicas = at(sts, "spec.replicas").and_then(J::as_i64).unwrap_or(1);
    let sts_name = name(sts);
    let mut out = Vec::new();
    for t in at(sts, "spec.volumeClaimTemplates")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let t_name = str_at(t, "metadata.name").unwrap_or_default();
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
                short(at(new, "spec.resources.requests.storage"))
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

fn role_ref(binding: &J) -> String {
    format!(
        "{} {}",
        str_at(binding, "roleRef.kind").unwrap_or("Role"),
        str_at(binding, "roleRef.name").unwrap_or_default()
    )
}

fn subjects(binding: &J) -> Vec<String> {
    binding
        .get("subjects")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .map(subject)
        .collect()
}

pub(super) fn subject(s: &J) -> String {
    let kind = str_at(s, "kind").unwrap_or_default();
    let name = str_at(s, "name").unwrap_or_default();
    match str_at(s, "namespace") {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
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
                name(old),
                ns_flag(old)
            )),
        )),
        "StatefulSet" => {
            let claims = claims_of_statefulset(old);
            if !claims.is_empty() {
                let policy = str_at(old, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted")
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
            let sel = at(old, "spec.podSelector");
            let still_there = ctx.new.items.iter().any(|(_, o)| {
                let labels =
                    pod_template_path(kind(o)).and_then(|p| at(o, &format!("{p}.metadata.labels")));
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
            str_at(old, "spec.scaleTargetRef.name").unwrap_or("its target")
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
fn deltas_at(old: &J, new: &J, path: &str) -> Vec<Delta> {
    deltas(at(old, path), at(new, path), path)
}

/// The recreate finding of a selector change, or nothing.
fn selector(old: &J, new: &J, out: &mut Vec<Finding>) -> bool {
    let d = deltas_at(old, new, "spec.selector");
    if d.is_empty() {
        return false;
    }
    let k = kind(new).to_lowercase();
    let n = name(new);
    let fix = if k == "job" {
        format!(
            "kubectl delete job {n}{}, then apply again (the Job runs again)",
            ns_flag(new)
        )
    } else {
        format!(
            "kubectl delete {k} {n}{} --cascade=orphan, then apply again: the old pods keep \
             running unmanaged next to the new ones; delete them once the new pods are ready \
             (kubectl delete pods{} -l {})",
            ns_flag(new),
            ns_flag(new),
            security::selector_labels(at(old, "spec.selector"))
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
        None => at(w, "spec.replicas")
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
    if str_at(w, "spec.strategy.type") == Some("Recreate") {
        return format!("strategy Recreate: the {range} stop before the new ones start (downtime)");
    }
    let surge = at(w, "spec.strategy.rollingUpdate.maxSurge");
    let unavailable = at(w, "spec.strategy.rollingUpdate.maxUnavailable");
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
fn workload(ctx: &Ctx, old: &J, new: &J, out: &mut Vec<Finding>) {
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
                short(at(old, "spec.replicas")),
                short(at(new, "spec.replicas"))
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

fn statefulset(old: &J, new: &J, out: &mut Vec<Finding>) {
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
        let replicas = at(old, "spec.replicas").and_then(J::as_i64).unwrap_or(1);
        let pods = if replicas == 1 {
            format!("{n}-0 keeps")
        } else {
            format!("its {replicas} pods keep")
        };
        let mut fix = format!(
            "kubectl delete statefulset {n}{} --cascade=orphan, then apply again: {pods} \
             running (orphaned, no restart) and the new StatefulSet adopts {}",
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
        let replicas = at(new, "spec.replicas").and_then(J::as_i64).unwrap_or(1);
        if str_at(new, "spec.updateStrategy.type") == Some("OnDelete") {
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
                short(at(old, "spec.replicas")),
                short(at(new, "spec.replicas"))
            ),
            None,
        ));
    }
}

fn template_names(sts: &J) -> Vec<String> {
    at(sts, "spec.volumeClaimTemplates")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| str_at(t, "metadata.name").map(str::to_owned))
        .collect()
}

fn job(old: &J, new: &J, out: &mut Vec<Finding>) {
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
                name(new),
                ns_flag(new)
            )),
        ));
    }
}

fn cronjob(old: &J, new: &J, out: &mut Vec<Finding>) {
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

fn pvc(old: &J, new: &J, out: &mut Vec<Finding>) {
    let n = name(new);
    let mut rejected: Vec<String> = Vec::new();
    for field in [
        "storageClassName",
        "volumeMode",
        "volumeName",
        "selector",
        "dataSource",
        "dataSourceRef",
    ] {
        let path = format!("spec.{field}");
        if !same(
            at(old, &path).unwrap_or(&J::Null),
            at(new, &path).unwrap_or(&J::Null),
        ) {
            rejected.push(format!(
                "{path}: {} → {}",
                short(at(old, &path)),
                short(at(new, &path))
            ));
        }
    }
    let modes = |o: &J| {
        let mut m: Vec<String> = at(o, "spec.accessModes")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        m.sort();
        m
    };
    if modes(old) != modes(new) {
        rejected.push(format!(
            "spec.accessModes: {} → {}",
            modes(old).join(","),
            modes(new).join(",")
        ));
    }
    let size = |o: &J| at(o, "spec.resources.requests.storage").and_then(quantity_of);
    let (before, after) = (size(old), size(new));
    let text = |o: &J| short(at(o, "spec.resources.requests.storage"));
    let mut grows = false;
    match (before, after) {
        (Some(b), Some(a)) if a < b => rejected.push(format!(
            "spec.resources.requests.storage: {} → {} (a claim cannot shrink)",
            text(old),
            text(new)
        )),
        (Some(b), Some(a)) if a > b => grows = true,
        _ => {}
    }
    if !rejected.is_empty() {
        out.push(finding(
            Class::Recreate,
            format!(
                "a bound claim's spec is immutable except to grow its storage: the API server \
                 rejects {}",
                rejected.join(", ")
            ),
            Some(format!(
                "stop what uses it, back up its data, kubectl delete pvc {n}{}, apply again, restore",
                ns_flag(new)
            )),
        ));
        out.push(finding(
            Class::DataLoss,
            format!(
                "replacing the claim deletes {} (a new, empty volume is provisioned)",
                data_of(n)
            ),
            None,
        ));
        return;
    }
    if grows {
        let class = str_at(new, "spec.storageClassName")
            .map_or("the default StorageClass".to_owned(), |c| {
                format!("StorageClass {c}")
            });
        out.push(finding(
            Class::InPlace,
            format!(
                "the volume grows from {} to {}: it depends on {class}: expanded online if it \
                 allows volume expansion (allowVolumeExpansion: true), else the API server \
                 rejects the change",
                text(old),
                text(new)
            ),
            Some(format!(
                "check with kubectl get storageclass -o jsonpath='{{.items[*].allowVolumeExpansion}}'; \
                 if it does not allow expansion, the claim must be replaced (back up, delete pvc {n}, apply, restore)"
            )),
        ));
    }
}

fn service(old: &J, new: &J, out: &mut Vec<Finding>) {
    let a = at(old, "spec.clusterIP");
    let b = at(new, "spec.clusterIP");
    if !same(a.unwrap_or(&J::Null), b.unwrap_or(&J::Null)) {
        out.push(finding(
            Class::Recreate,
            format!(
                "spec.clusterIP is immutable{}: the API server rejects {} → {}",
                if a.and_then(J::as_str) == Some("None") || b.and_then(J::as_str) == Some("None") {
                    " (a headless Service cannot become a normal one or back)"
                } else {
                    ""
                },
                short(a),
                short(b)
            ),
            Some(format!(
                "kubectl delete service {}{}, then apply again: the Service gets a new cluster IP; \
                 clients that resolve it by DNS follow, open connections drop",
                name(new),
                ns_flag(new)
            )),
        ));
    }
}

fn binding(old: &J, new: &J, out: &mut Vec<Finding>) {
    let d = deltas_at(old, new, "roleRef");
    if !d.is_empty() {
        out.push(finding(
            Class::Recreate,
            format!(
                "roleRef is immutable: the API server rejects {}",
                describe(&d, 3)
            ),
            Some(format!(
                "kubectl delete {} {}{}, then apply again: its subjects lose {}'s permissions \
                 in between",
                kind(new).to_lowercase(),
                name(new),
                ns_flag(new),
                role_ref(old)
            )),
        ));
    }
}

fn configmap(old: &J, new: &J, out: &mut Vec<Finding>) {
    let data = [
        deltas_at(old, new, "data"),
        deltas_at(old, new, "binaryData"),
    ]
    .concat();
    if old.get("immutable").and_then(J::as_bool) == Some(true) && !data.is_empty() {
        out.push(finding(
            Class::Recreate,
            format!(
                "{} {} is immutable (immutable: true): the API server rejects a change of its data",
                kind(new),
                name(new)
            ),
            Some(format!(
                "kubectl delete {} {}{}, then apply again",
                kind(new).to_lowercase(),
                name(new),
                ns_flag(new)
            )),
        ));
    } else if !data.is_empty() {
        let keys: Vec<String> = data
            .iter()
            .map(|d| d.path.trim_start_matches("data.").to_owned())
            .collect();
        out.push(finding(
            Class::InPlace,
            format!(
                "data changed ({}): pods read it when they start; a workload whose checksum \
                 annotation hashes it rolls (see its line)",
                keys.join(", ")
            ),
            None,
        ));
    }
}
