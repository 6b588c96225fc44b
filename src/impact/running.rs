//! What runs in the cluster now, for `diff --live`: each workload's pod count and what each
//! namespace's ResourceQuotas already count as used, read from the live objects' `status` (the
//! one place the impact stage reads a status: rendered objects have none). With it the stall
//! replay starts from the pods running now instead of the autoscaler's bounds, and counts what
//! the quotas hold for pods the render does not own (another team's workload, a running job) as
//! fixed usage, so a rollout that fits an empty namespace but not this one is predicted. Pure.

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::k8s::object::{int_at, str_at};
use crate::k8s::quantity::Quantity;

/// A workload's identity: (kind, namespace, name).
type Workload = (String, Option<String>, String);

/// What runs now, from the live objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Running {
    /// Pods each workload has now (all revisions): `status.replicas`, a DaemonSet's
    /// `status.currentNumberScheduled`.
    pods: BTreeMap<Workload, i64>,
    /// Per namespace, per quota resource (`requests.cpu`, ...), what its unscoped quotas count
    /// as used (`status.used`), in nano-units: the largest figure when several count it.
    used: BTreeMap<Option<String>, BTreeMap<String, i128>>,
}

impl Running {
    /// Reads the live objects (as the API server returns them, status included).
    pub fn read<'a>(live: impl IntoIterator<Item = &'a J>) -> Running {
        let mut r = Running::default();
        for o in live {
            let kind = str_at(o, "/kind").unwrap_or_default();
            let ns = str_at(o, "/metadata/namespace").map(str::to_owned);
            let name = str_at(o, "/metadata/name").unwrap_or_default();
            let count = match kind {
                "Deployment" | "StatefulSet" | "ReplicaSet" => int_at(o, "/status/replicas"),
                "DaemonSet" => int_at(o, "/status/currentNumberScheduled"),
                "ResourceQuota" => {
                    let scoped = o.pointer("/spec/scopes").is_some()
                        || o.pointer("/spec/scopeSelector").is_some();
                    let used = o.pointer("/status/used").and_then(J::as_object);
                    if let (false, Some(used)) = (scoped, used) {
                        let figures = r.used.entry(ns.clone()).or_default();
                        for (k, v) in used {
                            if let Some(q) = Quantity::of_json(v) {
                                let f = figures.entry(k.clone()).or_insert(0);
                                *f = (*f).max(q.nanos());
                            }
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(n) = count {
                r.pods
                    .insert((kind.to_owned(), ns, name.to_owned()), n.max(0));
            }
        }
        r
    }

    /// The pods workload `kind/name` of namespace `ns` has now, if the cluster said.
    pub(crate) fn pods(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<i64> {
        self.pods
            .get(&(kind.to_owned(), ns.map(str::to_owned), name.to_owned()))
            .copied()
    }

    /// What the quotas of namespace `ns` count as used now, per resource (nano-units).
    pub(crate) fn used(&self, ns: Option<&str>) -> Option<&BTreeMap<String, i128>> {
        self.used.get(&ns.map(str::to_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_come_from_status_and_scoped_quotas_are_left_out() {
        let live = [
            json!({"kind": "Deployment", "metadata": {"name": "a", "namespace": "ns"},
                   "spec": {"replicas": 2}, "status": {"replicas": 5}}),
            json!({"kind": "DaemonSet", "metadata": {"name": "d", "namespace": "ns"},
                   "status": {"currentNumberScheduled": 3}}),
            json!({"kind": "Deployment", "metadata": {"name": "fresh", "namespace": "ns"},
                   "spec": {"replicas": 2}}),
            json!({"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "ns"},
                   "status": {"used": {"requests.cpu": "1500m", "pods": "4"}}}),
            json!({"kind": "ResourceQuota", "metadata": {"name": "q2", "namespace": "ns"},
                   "status": {"used": {"requests.cpu": "2", "pods": "3"}}}),
            json!({"kind": "ResourceQuota", "metadata": {"name": "scoped", "namespace": "ns"},
                   "spec": {"scopes": ["BestEffort"]},
                   "status": {"used": {"pods": "40"}}}),
        ];
        let r = Running::read(&live);
        assert_eq!(r.pods("Deployment", Some("ns"), "a"), Some(5));
        assert_eq!(r.pods("DaemonSet", Some("ns"), "d"), Some(3));
        assert_eq!(r.pods("Deployment", Some("ns"), "fresh"), None);
        assert_eq!(r.pods("Deployment", Some("other"), "a"), None);
        let used = r.used(Some("ns")).expect("quota usage read");
        assert_eq!(used["requests.cpu"], 2_000_000_000);
        assert_eq!(used["pods"], 4_000_000_000);
    }
}
