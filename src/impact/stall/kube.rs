//! The Kubernetes readings the replay takes from objects: a pod's quota usage as quota
//! admission counts it (containers, init containers, native sidecars, LimitRange defaults:
//! [`pod_usage`]), a rolling update's surge and unavailability ([`int_or_percent`]), replicas and
//! autoscaler bounds clamped to what the replay can model. Kept together, apart from the
//! replay, so one shared Kubernetes model can replace them in one place. Pure.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::super::Objects;
use super::super::semantic::{at, quantity_of, str_at};
use super::admission::{ONE, Usage};

/// The LimitRange defaults of a namespace for containers: (default limits, default requests),
/// each by resource name (`cpu`, `memory`, `ephemeral-storage`).
pub(super) type Defaults = (BTreeMap<String, i128>, BTreeMap<String, i128>);

pub(super) fn defaults(objs: &Objects, ns: Option<&str>) -> Defaults {
    let mut d = Defaults::default();
    for lr in objs.of_kind("LimitRange", ns) {
        for item in at(lr, "spec.limits")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            if str_at(item, "type") != Some("Container") {
                continue;
            }
            for (key, into) in [("default", &mut d.0), ("defaultRequest", &mut d.1)] {
                for (r, v) in item.get(key).and_then(J::as_object).into_iter().flatten() {
                    if let Some(n) = quantity_of(v) {
                        into.entry(r.clone()).or_insert(n);
                    }
                }
            }
        }
    }
    d
}

/// What one container uses of `cpu`/`memory`/`ephemeral-storage`: (request, limit), with the
/// API server's defaulting (a request defaults to the limit) and the LimitRange's.
pub(super) fn container(c: &J, res: &str, d: &Defaults) -> (i128, i128) {
    let get = |which: &str| {
        c.get("resources")
            .and_then(|r| r.get(which))
            .and_then(|m| m.get(res))
            .and_then(quantity_of)
    };
    let limit = get("limits").or_else(|| d.0.get(res).copied());
    let request = get("requests")
        .or_else(|| get("limits"))
        .or_else(|| d.1.get(res).copied())
        .or(limit);
    (request.unwrap_or(0), limit.unwrap_or(0))
}

/// A pod's usage as quota admission counts it: the containers' sum, the sidecars (init
/// containers with `restartPolicy: Always`) added, or the largest init container (with the
/// sidecars started before it) when more.
pub(super) fn pod_usage(spec: &J, d: &Defaults) -> Usage {
    let mut u = Usage::default();
    let list = |key: &str| {
        spec.get(key)
            .and_then(J::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (containers, inits) = (list("containers"), list("initContainers"));
    for (res, request, limit) in [("cpu", 0, 2), ("memory", 1, 3), ("ephemeral-storage", 4, 5)] {
        for (which, i) in [(0usize, request), (1, limit)] {
            let pick = |c: &J| {
                let (r, l) = container(c, res, d);
                if which == 0 { r } else { l }
            };
            let regular = containers
                .iter()
                .map(pick)
                .fold(0i128, i128::saturating_add);
            let (mut sidecars, mut init_peak) = (0i128, 0i128);
            for c in &inits {
                if str_at(c, "restartPolicy") == Some("Always") {
                    sidecars = sidecars.saturating_add(pick(c));
                    init_peak = init_peak.max(sidecars);
                } else {
                    init_peak = init_peak.max(sidecars.saturating_add(pick(c)));
                }
            }
            u.0[i] = regular.saturating_add(sidecars).max(init_peak);
        }
    }
    u.0[6] = ONE;
    u.0[7] = ONE;
    u
}

/// An int-or-percent of `of`, rounded up or down, as the controllers resolve them.
pub(super) fn int_or_percent(v: Option<&J>, default: &str, of: i64, up: bool) -> i64 {
    let text = match v {
        Some(J::Number(n)) => return n.as_i64().unwrap_or(0),
        Some(J::String(s)) => s.clone(),
        _ => default.to_owned(),
    };
    match text.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
        Some(p) if up => p.saturating_mul(of).saturating_add(99) / 100,
        Some(p) => p.saturating_mul(of) / 100,
        None => text.parse().unwrap_or(0),
    }
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
    at(o, "spec.replicas")
        .and_then(J::as_i64)
        .map(|n| n.clamp(0, MAX_PODS))
}
