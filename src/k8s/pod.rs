//! What one pod counts against a namespace's ResourceQuota, as the API server's quota admission
//! computes it (k8s.io/component-helpers `PodRequests` / `PodLimits`, the pod evaluator's usage):
//!
//! 1. each container's resources after defaulting: a request defaults to the container's own
//!    limit (pod defaulting), then the LimitRange fills what is still missing (`default` for
//!    limits, `defaultRequest` for requests; a LimitRange item's own `defaultRequest` defaults
//!    to its `default`, then to `min`, and its `default` to `max`);
//! 2. per resource, the larger of: the regular containers plus the native sidecars (init
//!    containers with `restartPolicy: Always`), and each init container at its peak (a plain
//!    one plus the sidecars started before it; a sidecar with those before it);
//! 3. pod-level `resources` (cpu, memory, hugepages) replace the containers' sum when set;
//! 4. `overhead` is added to the requests, and to every limit that is set and not zero.
//!
//! [`usage`] is the one function the quota recount (render) and the stall replay (impact) call,
//! so they agree by construction.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::object::{is_sidecar, items, kind, str_at};
use super::quantity::Quantity;

/// Resources by name (`cpu`, `memory`, `ephemeral-storage`, `hugepages-2Mi`, `example.com/gpu`).
pub type ResourceList = BTreeMap<String, Quantity>;

fn list(v: Option<&J>) -> ResourceList {
    v.and_then(J::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, q)| Some((k.clone(), Quantity::of_json(q)?)))
        .collect()
}

/// Every request, limit or overhead of a pod spec that is not a quantity agentctl can count
/// (not a quantity at all, which the API server refuses, or past 10²⁹): (where, as a path
/// such as `initContainers[0].resources.limits.cpu`, the text, why). [`usage`] leaves these
/// out, so a caller that counts must refuse them first.
pub fn unreadable(spec: &J) -> Vec<(String, String, super::quantity::Error)> {
    let mut out = Vec::new();
    let mut check = |at: String, map: Option<&J>| {
        for (r, v) in map.and_then(J::as_object).into_iter().flatten() {
            let text = match v {
                J::String(s) => s.trim().to_owned(),
                J::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            if let Err(e) = Quantity::parse(&text) {
                out.push((format!("{at}.{r}"), text, e));
            }
        }
    };
    for list in ["initContainers", "containers"] {
        for (i, c) in items(spec, &format!("/{list}")).enumerate() {
            for which in ["requests", "limits"] {
                check(
                    format!("{list}[{i}].resources.{which}"),
                    super::object::pointer(c, &format!("/resources/{which}")),
                );
            }
        }
    }
    for which in ["requests", "limits"] {
        check(
            format!("resources.{which}"),
            super::object::pointer(spec, &format!("/resources/{which}")),
        );
    }
    check("overhead".to_owned(), spec.get("overhead"));
    out
}

/// What a namespace's LimitRanges fill into containers that omit a request or a limit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Defaults {
    /// Filled into missing limits.
    pub limits: ResourceList,
    /// Filled into missing requests.
    pub requests: ResourceList,
}

impl Defaults {
    /// The defaults of a namespace's LimitRange objects, in the order given (other kinds are
    /// skipped): within one LimitRange a later `Container` item overrides an earlier one; a
    /// resource a LimitRange defaults is not defaulted again by a later LimitRange.
    pub fn from_limit_ranges<'a>(objects: impl IntoIterator<Item = &'a J>) -> Defaults {
        let mut d = Defaults::default();
        for lr in objects.into_iter().filter(|o| kind(o) == "LimitRange") {
            let mut one = Defaults::default();
            for item in items(lr, "/spec/limits") {
                if str_at(item, "/type") != Some("Container") {
                    continue;
                }
                // The API server's defaulting of the item itself.
                let mut limits = list(item.get("default"));
                for (r, q) in list(item.get("max")) {
                    limits.entry(r).or_insert(q);
                }
                let mut requests = list(item.get("defaultRequest"));
                for (r, q) in limits
                    .iter()
                    .map(|(r, q)| (r.clone(), *q))
                    .chain(list(item.get("min")))
                {
                    requests.entry(r).or_insert(q);
                }
                one.limits.extend(limits);
                one.requests.extend(requests);
            }
            for (r, q) in one.limits {
                d.limits.entry(r).or_insert(q);
            }
            for (r, q) in one.requests {
                d.requests.entry(r).or_insert(q);
            }
        }
        d
    }
}

/// One container's (requests, limits) after defaulting (see the module doc).
pub fn container(c: &J, defaults: &Defaults) -> (ResourceList, ResourceList) {
    let mut limits = list(super::object::pointer(c, "/resources/limits"));
    let mut requests = list(super::object::pointer(c, "/resources/requests"));
    for (r, q) in &limits {
        requests.entry(r.clone()).or_insert(*q);
    }
    for (r, q) in &defaults.limits {
        limits.entry(r.clone()).or_insert(*q);
    }
    for (r, q) in &defaults.requests {
        requests.entry(r.clone()).or_insert(*q);
    }
    (requests, limits)
}

fn add(into: &mut ResourceList, from: &ResourceList) {
    for (r, q) in from {
        into.entry(r.clone())
            .and_modify(|v| *v = v.saturating_add(*q))
            .or_insert(*q);
    }
}

fn max(into: &mut ResourceList, from: &ResourceList) {
    for (r, q) in from {
        into.entry(r.clone())
            .and_modify(|v| *v = (*v).max(*q))
            .or_insert(*q);
    }
}

/// The resources pod-level `resources` may set.
fn pod_level(resource: &str) -> bool {
    matches!(resource, "cpu" | "memory") || resource.starts_with("hugepages-")
}

/// A pod's requests and limits, as the scheduler and quota admission count them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Summed requests (a resource is present when a container or the pod sets it).
    pub requests: ResourceList,
    /// Summed limits (likewise).
    pub limits: ResourceList,
}

/// The requests and limits of a pod spec (see the module doc).
pub fn usage(spec: &J, defaults: &Defaults) -> Usage {
    let mut out = [ResourceList::new(), ResourceList::new()];
    let mut sidecars = [ResourceList::new(), ResourceList::new()];
    let mut init_peak = [ResourceList::new(), ResourceList::new()];
    for c in items(spec, "/containers") {
        let (req, lim) = container(c, defaults);
        add(&mut out[0], &req);
        add(&mut out[1], &lim);
    }
    for c in items(spec, "/initContainers") {
        let (req, lim) = container(c, defaults);
        for (i, own) in [req, lim].into_iter().enumerate() {
            if is_sidecar(c) {
                add(&mut out[i], &own);
                add(&mut sidecars[i], &own);
                let running = sidecars[i].clone();
                max(&mut init_peak[i], &running);
            } else {
                let mut running = own;
                add(&mut running, &sidecars[i]);
                max(&mut init_peak[i], &running);
            }
        }
    }
    for i in 0..2 {
        let peak = std::mem::take(&mut init_peak[i]);
        max(&mut out[i], &peak);
    }
    let [mut requests, mut limits] = out;
    let pod_requests = list(super::object::pointer(spec, "/resources/requests"));
    let pod_limits = list(super::object::pointer(spec, "/resources/limits"));
    // Pod-level requests default to pod-level limits, as container requests do.
    let mut level = pod_requests.clone();
    for (r, q) in &pod_limits {
        level.entry(r.clone()).or_insert(*q);
    }
    for (r, q) in level.into_iter().filter(|(r, _)| pod_level(r)) {
        requests.insert(r, q);
    }
    for (r, q) in pod_limits.into_iter().filter(|(r, _)| pod_level(r)) {
        limits.insert(r, q);
    }
    let overhead = list(spec.get("overhead"));
    add(&mut requests, &overhead);
    for (r, q) in &overhead {
        if let Some(l) = limits.get_mut(r)
            && !l.is_zero()
        {
            *l = l.saturating_add(*q);
        }
    }
    Usage { requests, limits }
}

impl Usage {
    /// The figure of a ResourceQuota `hard` key this pod counts (`requests.cpu`, `cpu`,
    /// `limits.memory`, `pods`, `count/pods`, `requests.hugepages-2Mi`, `requests.example.com/gpu`);
    /// `None` when the pod counts nothing of it.
    pub fn quota(&self, key: &str) -> Option<Quantity> {
        match key {
            "pods" | "count/pods" => Some(Quantity::units(1)),
            "cpu" | "memory" | "ephemeral-storage" => self.requests.get(key).copied(),
            _ if key.starts_with("hugepages-") => self.requests.get(key).copied(),
            _ => {
                if let Some(r) = key.strip_prefix("requests.") {
                    self.requests.get(r).copied()
                } else if let Some(r) = key.strip_prefix("limits.") {
                    // Quota tracks only these limits.
                    matches!(r, "cpu" | "memory" | "ephemeral-storage")
                        .then(|| self.limits.get(r).copied())
                        .flatten()
                } else {
                    None
                }
            }
        }
    }

    /// The request of a resource, zero when none.
    pub fn request(&self, resource: &str) -> Quantity {
        self.requests.get(resource).copied().unwrap_or_default()
    }

    /// The limit of a resource, zero when none.
    pub fn limit(&self, resource: &str) -> Quantity {
        self.limits.get(resource).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
