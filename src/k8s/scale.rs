//! How many pods a workload runs: the bounds an autoscaler gives it (HPA `minReplicas` /
//! `maxReplicas`; KEDA ScaledObject `minReplicaCount` / `maxReplicaCount`, 0 and 100 when
//! absent) and a rolling update's surge and unavailable pods (an int or a percentage of the
//! desired replicas; surge rounded up, unavailable down, 25 % each when absent, as the
//! Deployment controller resolves them). Pure functions of JSON objects.

use serde_json::Value as J;

use super::object::{int_at, kind, str_at};

/// An autoscaler's replica bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The fewest replicas it sets.
    pub min: i64,
    /// The most replicas it sets.
    pub max: i64,
}

/// The bounds of an autoscaler object, as written or defaulted (`None` for other kinds): an
/// HPA's `minReplicas` (default 1) and `maxReplicas` (required; its minimum when absent), a
/// KEDA ScaledObject's `minReplicaCount` (default 0) and `maxReplicaCount` (default 100).
pub fn bounds(autoscaler: &J) -> Option<Bounds> {
    let int = |p: &str| int_at(autoscaler, p);
    match kind(autoscaler) {
        "HorizontalPodAutoscaler" => {
            let min = int("/spec/minReplicas").unwrap_or(1);
            Some(Bounds {
                min,
                max: int("/spec/maxReplicas").unwrap_or(min),
            })
        }
        "ScaledObject" => Some(Bounds {
            min: int("/spec/minReplicaCount").unwrap_or(0),
            max: int("/spec/maxReplicaCount").unwrap_or(100),
        }),
        _ => None,
    }
}

/// Whether an autoscaler (HPA or ScaledObject) scales the workload `kind/name`
/// (`scaleTargetRef.kind` is `Deployment` when absent, as KEDA reads it).
pub fn targets(autoscaler: &J, target_kind: &str, target_name: &str) -> bool {
    bounds(autoscaler).is_some()
        && str_at(autoscaler, "/spec/scaleTargetRef/name") == Some(target_name)
        && str_at(autoscaler, "/spec/scaleTargetRef/kind").unwrap_or("Deployment") == target_kind
}

/// The bounds the first autoscaler among `objects` that scales `kind/name` gives it, with that
/// autoscaler (HPAs before ScaledObjects, as the API server would see them fight otherwise).
pub fn autoscaler_of<'a>(
    objects: impl IntoIterator<Item = &'a J> + Clone,
    target_kind: &str,
    target_name: &str,
) -> Option<(Bounds, &'a J)> {
    ["HorizontalPodAutoscaler", "ScaledObject"]
        .into_iter()
        .find_map(|k| {
            objects
                .clone()
                .into_iter()
                .find(|o| kind(o) == k && targets(o, target_kind, target_name))
        })
        .and_then(|o| Some((bounds(o)?, o)))
}

/// The objects [`autoscaler_of`] reads (HPAs and ScaledObjects), for a caller that asks for
/// many workloads: each then costs the autoscalers, not every object (2,000 extra Deployments
/// asked every object for theirs, 4 million reads per rule).
pub fn autoscalers<'a>(objects: impl IntoIterator<Item = &'a J>) -> Vec<&'a J> {
    objects
        .into_iter()
        .filter(|o| matches!(kind(o), "HorizontalPodAutoscaler" | "ScaledObject"))
        .collect()
}

/// The most pods of a workload at once: (replicas at their maximum: the autoscaler's among
/// `objects`, else `spec.replicas`, default 1; the rolling-update surge on top, for a
/// Deployment). A Job or CronJob runs `parallelism` pods (default 1), a Pod one; `None` for a
/// DaemonSet (one per node, which the objects do not say) and kinds that run no pods.
pub fn most_pods<'a>(
    objects: impl IntoIterator<Item = &'a J> + Clone,
    w: &J,
) -> Option<(i64, i64)> {
    let replicas = || {
        autoscaler_of(objects.clone(), kind(w), super::object::name(w))
            .map(|(b, _)| b.max)
            .unwrap_or_else(|| int_at(w, "/spec/replicas").unwrap_or(1))
    };
    match kind(w) {
        "Deployment" => {
            let n = replicas();
            Some((n, max_surge(w, n)))
        }
        "StatefulSet" | "ReplicaSet" | "ReplicationController" => Some((replicas(), 0)),
        "Job" => Some((int_at(w, "/spec/parallelism").unwrap_or(1), 0)),
        "CronJob" => Some((
            int_at(w, "/spec/jobTemplate/spec/parallelism").unwrap_or(1),
            0,
        )),
        "Pod" => Some((1, 0)),
        _ => None,
    }
}

/// A count of pods or a percentage of the desired count (`maxSurge`, `maxUnavailable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    /// Pods.
    Int(i64),
    /// Percent of the desired replicas.
    Percent(i64),
}

impl IntOrPercent {
    /// Reads `1` or `"25%"`; `None` for anything else (a string without `%`, as Go refuses it).
    pub fn of_json(v: &J) -> Option<IntOrPercent> {
        match v {
            J::Number(n) => n.as_i64().map(IntOrPercent::Int),
            J::String(s) => s.strip_suffix('%')?.parse().ok().map(IntOrPercent::Percent),
            _ => None,
        }
    }

    /// Pods out of `of` desired replicas: a percentage rounded up or down (saturating).
    pub fn resolve(self, of: i64, round_up: bool) -> i64 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let scaled = i128::from(p) * i128::from(of);
                let pods = if round_up {
                    scaled.div_euclid(100) + i128::from(scaled.rem_euclid(100) != 0)
                } else {
                    scaled.div_euclid(100)
                };
                i64::try_from(pods).unwrap_or(if pods < 0 { i64::MIN } else { i64::MAX })
            }
        }
    }
}

/// The default of `maxSurge` and `maxUnavailable` of a Deployment.
const DEFAULT: IntOrPercent = IntOrPercent::Percent(25);

/// A Deployment's rolling update at `replicas` desired replicas: (surge, unavailable), as the
/// controller resolves them (surge rounded up, unavailable down; a negative value, which the
/// API server refuses, as 0; both 0 makes unavailable 1). A `Recreate` Deployment surges
/// nothing and stops every pod.
pub fn rolling_update(deployment: &J, replicas: i64) -> (i64, i64) {
    if str_at(deployment, "/spec/strategy/type") == Some("Recreate") {
        return (0, replicas);
    }
    let read = |key: &str| {
        super::object::pointer(deployment, "/spec/strategy/rollingUpdate")
            .and_then(|r| r.get(key))
            .map_or(Some(DEFAULT), IntOrPercent::of_json)
    };
    let surge = read("maxSurge").map_or(0, |v| v.resolve(replicas, true).max(0));
    let unavailable = read("maxUnavailable").map_or(0, |v| v.resolve(replicas, false).max(0));
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// The extra pods a Deployment runs during a rollout at `replicas` desired replicas.
pub fn max_surge(deployment: &J, replicas: i64) -> i64 {
    rolling_update(deployment, replicas).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn autoscaler_bounds_and_defaults() {
        let hpa = json!({"kind": "HorizontalPodAutoscaler", "spec": {"maxReplicas": 50,
            "scaleTargetRef": {"kind": "Deployment", "name": "agent"}}});
        assert_eq!(bounds(&hpa), Some(Bounds { min: 1, max: 50 }));
        let so = json!({"kind": "ScaledObject", "spec": {"scaleTargetRef": {"name": "agent"}}});
        assert_eq!(bounds(&so), Some(Bounds { min: 0, max: 100 }));
        let so2 = json!({"kind": "ScaledObject", "spec": {"minReplicaCount": 2, "maxReplicaCount": 7,
            "scaleTargetRef": {"name": "agent"}}});
        assert_eq!(bounds(&so2), Some(Bounds { min: 2, max: 7 }));
        assert_eq!(bounds(&json!({"kind": "Deployment"})), None);
        assert!(targets(&hpa, "Deployment", "agent"));
        assert!(!targets(&hpa, "StatefulSet", "agent"));
        assert!(!targets(&hpa, "Deployment", "other"));
        assert!(
            targets(&so, "Deployment", "agent"),
            "KEDA's kind defaults to Deployment"
        );
        let objs = [so2.clone(), hpa.clone()];
        let (b, o) = autoscaler_of(&objs, "Deployment", "agent").unwrap();
        assert_eq!(
            (b.max, kind(o)),
            (50, "HorizontalPodAutoscaler"),
            "an HPA first"
        );
        assert_eq!(autoscaler_of(&objs, "Deployment", "x"), None);
    }

    #[test]
    fn surge_rounds_up_and_unavailable_down() {
        let dep = |ru: J| json!({"spec": {"strategy": {"rollingUpdate": ru}}});
        assert_eq!(
            rolling_update(&json!({}), 10),
            (3, 2),
            "25% each: 2.5 up and down"
        );
        assert_eq!(rolling_update(&json!({}), 1), (1, 0));
        assert_eq!(
            rolling_update(&dep(json!({"maxSurge": 1, "maxUnavailable": 0})), 50),
            (1, 0)
        );
        assert_eq!(
            rolling_update(
                &dep(json!({"maxSurge": "10%", "maxUnavailable": "10%"})),
                15
            ),
            (2, 1)
        );
        assert_eq!(
            rolling_update(&dep(json!({"maxSurge": 0, "maxUnavailable": 0})), 5),
            (0, 1)
        );
        assert_eq!(
            rolling_update(&dep(json!({"maxSurge": "1%", "maxUnavailable": "1%"})), 5),
            (1, 0)
        );
        let recreate = json!({"spec": {"strategy": {"type": "Recreate"}}});
        assert_eq!(rolling_update(&recreate, 4), (0, 4));
        assert_eq!(max_surge(&dep(json!({"maxSurge": "bad"})), 4), 0);
        assert_eq!(
            rolling_update(&dep(json!({"maxSurge": -2, "maxUnavailable": -1})), 4),
            (0, 1)
        );
        let huge = IntOrPercent::Percent(900_000_000_000_000_000);
        assert_eq!(huge.resolve(i64::MAX, true), i64::MAX, "saturates");
        assert_eq!(IntOrPercent::of_json(&json!("5")), None);
        assert_eq!(
            IntOrPercent::of_json(&json!("5%")),
            Some(IntOrPercent::Percent(5))
        );
    }
}
