//! The rules of the other kinds that change in place or not: a PersistentVolumeClaim (immutable
//! fields, resizing), a Service (its cluster IP), a RoleBinding's role, a ConfigMap or Secret
//! (whose pods do not see the change until they restart), a KEDA ScaledObject that starts or
//! stops scaling to zero.

use serde_json::Value as J;

use super::super::accessors::{kind, name, ns_flag, q, role_ref};
use super::super::semantic::{describe, quantity_of, same, short};
use super::super::{Class, Finding};
use super::{data_of, deltas_at, finding};
use crate::k8s::object::{at, str_at};

pub(super) fn pvc(old: &J, new: &J, out: &mut Vec<Finding>) {
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
        let (path, p) = (format!("spec.{field}"), format!("/spec/{field}"));
        if !same(
            at(old, &p).unwrap_or(&J::Null),
            at(new, &p).unwrap_or(&J::Null),
        ) {
            rejected.push(format!(
                "{path}: {} → {}",
                short(at(old, &p)),
                short(at(new, &p))
            ));
        }
    }
    let modes = |o: &J| {
        let mut m: Vec<String> = at(o, "/spec/accessModes")
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
    let size = |o: &J| at(o, "/spec/resources/requests/storage").and_then(quantity_of);
    let (before, after) = (size(old), size(new));
    let text = |o: &J| short(at(o, "/spec/resources/requests/storage"));
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
                "stop what uses it, back up its data, kubectl delete pvc {}{}, apply again, restore",
                q(n),
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
        let class = str_at(new, "/spec/storageClassName")
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
                 if it does not allow expansion, the claim must be replaced (back up, delete pvc {}, apply, restore)",
                q(n)
            )),
        ));
    }
}

pub(super) fn service(old: &J, new: &J, out: &mut Vec<Finding>) {
    let a = at(old, "/spec/clusterIP");
    let b = at(new, "/spec/clusterIP");
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
                q(name(new)),
                ns_flag(new)
            )),
        ));
    }
}

pub(super) fn binding(old: &J, new: &J, out: &mut Vec<Finding>) {
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
                q(&kind(new).to_lowercase()),
                q(name(new)),
                ns_flag(new),
                role_ref(old)
            )),
        ));
    }
}

pub(super) fn configmap(old: &J, new: &J, out: &mut Vec<Finding>) {
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
                q(&kind(new).to_lowercase()),
                q(name(new)),
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

/// A KEDA ScaledObject that starts or stops scaling its workload to zero (`idleReplicaCount:
/// 0`, or `minReplicaCount: 0`): what happens to the pods that run now.
pub(super) fn scaled_object(old: &J, new: &J, out: &mut Vec<Finding>) {
    let to_zero = |o: &J| {
        at(o, "/spec/idleReplicaCount").and_then(J::as_i64) == Some(0)
            || at(o, "/spec/minReplicaCount")
                .and_then(J::as_i64)
                .unwrap_or(0)
                == 0
    };
    let target = format!(
        "{} {}",
        str_at(new, "/spec/scaleTargetRef/kind").unwrap_or("Deployment"),
        str_at(new, "/spec/scaleTargetRef/name").unwrap_or("?")
    );
    let min = at(new, "/spec/minReplicaCount")
        .and_then(J::as_i64)
        .unwrap_or(0)
        .max(1);
    match (to_zero(old), to_zero(new)) {
        (false, true) => out.push(finding(
            Class::InPlace,
            format!(
                "scale to zero: once no trigger is active for cooldownPeriod ({}s), KEDA stops every pod of {target} (each ends gracefully, its terminationGracePeriodSeconds); work that arrives then waits for a cold start of {min} pod{} (image pull, startup probe)",
                at(new, "/spec/cooldownPeriod")
                    .and_then(J::as_i64)
                    .unwrap_or(300),
                if min == 1 { "" } else { "s" }
            ),
            None,
        )),
        (true, false) => out.push(finding(
            Class::InPlace,
            format!(
                "no more scale to zero: a {target} idle at 0 is scaled to {min} pod{} at once (they start and must pass their probes); running pods are kept",
                if min == 1 { "" } else { "s" }
            ),
            None,
        )),
        _ => {}
    }
}
