//! AGT125, the LimitRange as its admission applies it, case by case.

use super::*;

/// AGT125 as LimitRange admission: the default filled in before the request is compared with
/// it, `min`, `max` and `maxLimitRequestRatio`, each at the container's field.
#[test]
fn a_limit_range_is_applied_as_admission_applies_it() {
    let lr = |item: J| {
        json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr", "namespace": "ns"},
            "spec": {"limits": [item]}})
    };
    let fired = |limits: J, item: J| {
        let all = with(|a| {
            set(a, 0, &format!("{C}/resources/limits"), limits.clone());
            a.push(lr(item.clone()));
        });
        let objects: Vec<&J> = all.iter().collect();
        lint(&objects, &Patched)
            .into_iter()
            .filter(|f| f.rule.id == "AGT125")
            .map(|f| (f.path_text(), f.message))
            .collect::<Vec<_>>()
    };
    let limits = "spec.template.spec.containers[0].resources.limits";
    // The default limit comes back below the request of 1.
    let got = fired(
        json!({"memory": "1Gi"}),
        json!({"type": "Container", "default": {"cpu": "500m"}}),
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, format!("{limits}.cpu"));
    assert!(
        got[0]
            .1
            .contains("its cpu request 1 is above its cpu limit 500m (the LimitRange's default)"),
        "{got:?}"
    );
    // A default at or above the request passes.
    assert!(
        fired(
            json!({"memory": "1Gi"}),
            json!({"type": "Container", "default": {"cpu": "2"}})
        )
        .is_empty()
    );
    // min, max, ratio.
    let got = fired(
        json!({"cpu": "1", "memory": "1Gi"}),
        json!({"type": "Container", "min": {"memory": "2Gi"}}),
    );
    assert_eq!(
        got.len(),
        2,
        "request and limit both below the minimum: {got:?}"
    );
    let got = fired(
        json!({"cpu": "4", "memory": "1Gi"}),
        json!({"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}}),
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].1.contains("more than 2 times its request 1"),
        "{got:?}"
    );
    assert!(
        fired(
            json!({"cpu": "2", "memory": "1Gi"}),
            json!({"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}})
        )
        .is_empty()
    );
    // A Pod-type item is not a container bound.
    assert!(
        fired(
            json!({"cpu": "1", "memory": "1Gi"}),
            json!({"type": "Pod", "max": {"cpu": "100m"}})
        )
        .is_empty()
    );
}
