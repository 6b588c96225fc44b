//! The stall replay's unit tests: pod usage, surge arithmetic, and stall findings end to end.

use serde_json::{Value as J, json};

use super::super::{Class, Objects};
use super::admission::ONE;
use super::kube::{defaults, int_or_percent, pod_usage};

fn lr() -> J {
    json!({"kind": "LimitRange", "metadata": {"name": "l", "namespace": "n"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"},
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}})
}

#[test]
fn pod_usage_counts_sidecars_init_containers_and_defaults() {
    let objs = Objects::new(vec![lr()]);
    let d = defaults(&objs, Some("n"));
    let spec = json!({
        "initContainers": [
            {"name": "sidecar", "restartPolicy": "Always",
             "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
            {"name": "migrate", "resources": {"requests": {"cpu": "3"}, "limits": {"cpu": "4"}}}
        ],
        "containers": [
            {"name": "a", "resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": "2"}}},
            {"name": "b"}
        ]
    });
    let u = pod_usage(&spec, &d);
    // requests.cpu: containers 0.5 + 0.1 (default) + sidecar 1 (request = its limit) =
    // 1.6; the init container with the sidecar: 3 + 1 = 4, larger.
    assert_eq!(u.0[0], 4 * ONE);
    // limits.cpu: 2 + 0.5 + 1 = 3.5; init: 4 + 1 = 5.
    assert_eq!(u.0[2], 5 * ONE);
    // limits.memory: b's default 512Mi + the sidecar's 1Gi (a has none: the default).
    assert_eq!(u.0[3], (512 + 512 + 1024) * (1 << 20) * ONE);
    assert_eq!(u.0[6], ONE);
}

#[test]
fn surge_rounds_up_unavailable_down() {
    assert_eq!(int_or_percent(Some(&json!("25%")), "25%", 10, true), 3);
    assert_eq!(int_or_percent(Some(&json!("25%")), "25%", 10, false), 2);
    assert_eq!(int_or_percent(None, "25%", 3, false), 0);
    assert_eq!(int_or_percent(Some(&json!(1)), "25%", 3, true), 1);
}

fn quota(cpu: &str) -> J {
    json!({"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "n"},
        "spec": {"hard": {"limits.cpu": cpu, "pods": "20"}}})
}

fn deployment(replicas: i64, cpu: &str, unavailable: i64, image: &str) -> J {
    json!({"kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
        "spec": {"replicas": replicas,
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": unavailable}},
            "template": {"spec": {"containers": [{"name": "c", "image": image,
                "resources": {"limits": {"cpu": cpu}}}]}}}})
}

fn statefulset(replicas: i64, cpu: &str, image: &str) -> J {
    json!({"kind": "StatefulSet", "metadata": {"name": "s", "namespace": "n"},
        "spec": {"replicas": replicas,
            "template": {"spec": {"containers": [{"name": "c", "image": image,
                "resources": {"limits": {"cpu": cpu}}}]}}}})
}

/// The stall findings' (kind/name, text).
fn stalls(old: Vec<J>, new: Vec<J>) -> Vec<(String, String)> {
    let impacts = super::super::analyze(&Objects::new(old), &Objects::new(new));
    impacts
        .iter()
        .flat_map(|i| {
            i.findings
                .iter()
                .filter(|f| f.class == Some(Class::Stall))
                .map(move |f| (format!("{}/{}", i.kind, i.name), f.reason.clone()))
        })
        .collect()
}

#[test]
fn max_unavailable_frees_the_room_a_surge_pod_needs() {
    // 4 pods of 2 CPU under a quota of 8: no room for a surge pod. With maxUnavailable 0
    // the rollout stalls; with 1, the old ReplicaSet first shrinks to 3 and it completes.
    let old = || vec![quota("8"), deployment(4, "2", 0, "a")];
    let found = stalls(old(), vec![quota("8"), deployment(4, "2", 0, "b")]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .1
            .starts_with("rollout stalls for certain with 4 pods")
            && found[0].1.contains("limits.cpu would be 10 of 8")
            && found[0].1.contains("updatedReplicas 0/4"),
        "{}",
        found[0].1
    );
    assert_eq!(
        stalls(old(), vec![quota("8"), deployment(4, "2", 1, "b")]),
        []
    );
}

#[test]
fn a_statefulset_of_three_stalls_part_way_and_keeps_two_pods() {
    // Three pods of 1 CPU become 2 CPU under a quota of 4: the controller replaces the
    // highest ordinal (2 + 1 + 1 = 4 fits), then ordinal 1 (2 + 2 + 1 = 5 does not).
    let found = stalls(
        vec![quota("4"), statefulset(3, "1", "a")],
        vec![quota("4"), statefulset(3, "2", "b")],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].1.contains("limits.cpu would be 5 of 4")
            && found[0].1.ends_with("1 of 3 pods updated"),
        "{}",
        found[0].1
    );
}

#[test]
fn who_acts_first_decides_and_that_is_a_may() {
    // Quota 5; a Deployment of 2 pods (1 CPU → 2 CPU, maxUnavailable 1) and a StatefulSet
    // of 1 pod (1 CPU → 2 CPU) both roll. Whichever takes the room first may starve the
    // other, so at least one of them may stall; none stalls for certain.
    let found = stalls(
        vec![
            quota("5"),
            deployment(2, "1", 1, "a"),
            statefulset(1, "1", "a"),
        ],
        vec![
            quota("5"),
            deployment(2, "2", 1, "b"),
            statefulset(1, "2", "b"),
        ],
    );
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|(_, t)| t
                .starts_with("rollout may stall depending on which controller acts first")),
        "{found:?}"
    );
}

#[test]
fn no_quota_or_no_rollout_no_stall() {
    // No quota on the new side (with --prune it is gone; without, the old, larger one stays).
    assert_eq!(
        stalls(
            vec![quota("8"), deployment(4, "2", 0, "a")],
            vec![deployment(4, "2", 0, "b")]
        ),
        []
    );
    // The quota shrinks below what runs, but no pod is replaced: nothing to refuse.
    assert_eq!(
        stalls(
            vec![quota("80"), deployment(4, "2", 0, "a")],
            vec![quota("8"), deployment(4, "2", 0, "a")]
        ),
        []
    );
}

#[test]
fn a_recreate_strategy_frees_the_old_pods_first() {
    let mut new = deployment(4, "2", 0, "b");
    new["spec"]["strategy"] = json!({"type": "Recreate"});
    assert_eq!(
        stalls(
            vec![quota("8"), deployment(4, "2", 0, "a")],
            vec![quota("8"), new]
        ),
        []
    );
}

#[test]
fn absurd_counts_and_quantities_do_not_overflow() {
    let old = json!({"kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
        "spec": {"replicas": i64::MAX, "strategy": {"rollingUpdate": {"maxSurge": "900000000000000000%"}},
            "template": {"spec": {"containers": [{"name": "c", "image": "a",
                "resources": {"limits": {"cpu": "9000000000000Ei"}}}]}}}});
    let mut new = old.clone();
    new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("b");
    // Beyond the bound of a replay: no claim, and no panic.
    assert_eq!(stalls(vec![quota("8"), old], vec![quota("8"), new]), []);
}
