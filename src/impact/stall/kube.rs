//! The Kubernetes readings the replay takes from objects, through the shared model
//! ([`crate::k8s`]): a pod's quota usage as quota admission counts it ([`pod_usage`]: the one
//! function the render stage's quota recount calls too, so they agree by construction), a
//! rolling update's surge and unavailability ([`rolling_update`]), replicas and autoscaler
//! bounds clamped to what the replay can model. Pure.

use serde_json::Value as J;

use super::super::Objects;
use super::admission::{N, RESOURCES, Usage};
use crate::k8s::{object, pod, scale};

/// The LimitRange defaults of a namespace for containers.
pub(super) type Defaults = pod::Defaults;

pub(super) fn defaults(objs: &Objects, ns: Option<&str>) -> Defaults {
    pod::Defaults::from_limit_ranges(objs.of_kind("LimitRange", ns))
}

/// The pod spec of a workload or Pod ([`object::pod_spec`]); null for other objects.
pub(super) fn pod_spec(o: &J) -> &J {
    object::pod_spec(o).unwrap_or(&J::Null)
}

/// A pod's usage of each quota resource, as quota admission counts it ([`pod::usage`]).
pub(super) fn pod_usage(spec: &J, d: &Defaults) -> Usage {
    let u = pod::usage(spec, d);
    let mut out = Usage::default();
    for (i, key) in RESOURCES.iter().enumerate().take(N) {
        out.0[i] = u.quota(key).map_or(0, |q| q.nanos());
    }
    out
}

/// A Deployment's (surge, unavailable) at `target` replicas ([`scale::rolling_update`]),
/// clamped to what the replay can model.
pub(super) fn rolling_update(deployment: &J, target: i64) -> (i64, i64) {
    let (surge, unavailable) = scale::rolling_update(deployment, target);
    (
        surge.clamp(0, MAX_PODS),
        unavailable.clamp(0, target.max(1)),
    )
}

/// The (min, max) replicas an autoscaler of `objs` gives workload `kind/name`, clamped to what
/// the replay can model ([`Objects::autoscaler_bounds`]).
pub(super) fn bounds(
    objs: &Objects,
    ns: Option<&str>,
    kind: &str,
    name: &str,
) -> Option<(i64, i64)> {
    let (min, max) = objs.autoscaler_bounds(ns, kind, name)?;
    let min = min.clamp(0, MAX_PODS);
    Some((min, max.clamp(min, MAX_PODS)))
}

/// Counts beyond this are no real namespace (and would overflow the arithmetic): clamped.
pub(super) const MAX_PODS: i64 = 1_000_000;

pub(super) fn replicas(o: &J) -> Option<i64> {
    object::int_at(o, "/spec/replicas").map(|n| n.clamp(0, MAX_PODS))
}
