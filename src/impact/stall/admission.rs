//! Quota admission as the API server does it for a pod: the pod-related quota resources
//! ([`RESOURCES`]), a usage vector over them ([`Usage`], nano-units), the namespace's quotas
//! that apply to every pod ([`quotas`]) and the admission check itself ([`admit`]), which says
//! which quota refuses a pod and by how much. Pure.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::super::Objects;
use super::super::semantic::quantity_of;
use crate::k8s::object::{at, str_at};
use crate::k8s::quantity::{cpu_text as format_cpu, memory_text as format_memory};

/// The pod-related quota resources, in the order messages name them.
pub(super) const RESOURCES: [&str; 8] = [
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "requests.ephemeral-storage",
    "limits.ephemeral-storage",
    "pods",
    "count/pods",
];
pub(super) const N: usize = RESOURCES.len();

/// The index of a quota `hard` key among [`RESOURCES`] (`cpu` is `requests.cpu`).
pub(super) fn index(key: &str) -> Option<usize> {
    let key = match key {
        "cpu" => "requests.cpu",
        "memory" => "requests.memory",
        "ephemeral-storage" => "requests.ephemeral-storage",
        k => k,
    };
    RESOURCES.iter().position(|r| *r == key)
}

/// One pod's (or many pods') use of each resource, in nano-units (pods: 10⁹ each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Usage(pub(super) [i128; N]);

pub(super) const ONE: i128 = 1_000_000_000;

impl Usage {
    pub(super) fn add(&mut self, o: &Usage, times: i64) {
        for i in 0..N {
            self.0[i] = self.0[i].saturating_add(o.0[i].saturating_mul(i128::from(times)));
        }
    }
    pub(super) fn max(&self, o: &Usage) -> Usage {
        let mut m = *self;
        for i in 0..N {
            m.0[i] = m.0[i].max(o.0[i]);
        }
        m
    }
}

/// A quantity of resource `i` for people: cores, a binary unit, or a pod count.
pub(super) fn show(i: usize, v: i128) -> String {
    let milli = u128::try_from(v.max(0) / 1_000_000).unwrap_or_default();
    if RESOURCES[i].ends_with("cpu") {
        format_cpu(milli)
    } else if RESOURCES[i].ends_with("pods") {
        (v / ONE).to_string()
    } else {
        format_memory(milli)
    }
}

/// One ResourceQuota: its name and the pod-related `hard` figures it sets.
#[derive(Debug, Clone)]
pub(super) struct Quota {
    pub(super) name: String,
    pub(super) hard: Vec<(usize, i128)>,
    /// The figures as written, for the fix.
    pub(super) text: BTreeMap<usize, String>,
}

/// The quotas of a namespace that apply to every pod (a scoped quota is left out).
pub(super) fn quotas(objs: &Objects, ns: Option<&str>) -> Vec<Quota> {
    objs.of_kind("ResourceQuota", ns)
        .filter(|q| at(q, "/spec/scopes").is_none() && at(q, "/spec/scopeSelector").is_none())
        .map(|q| {
            let mut hard = Vec::new();
            let mut text = BTreeMap::new();
            for (k, v) in at(q, "/spec/hard")
                .and_then(J::as_object)
                .into_iter()
                .flatten()
            {
                if let (Some(i), Some(n)) = (index(k), quantity_of(v)) {
                    hard.push((i, n));
                    text.insert(i, v.as_str().map_or_else(|| v.to_string(), str::to_owned));
                }
            }
            Quota {
                name: str_at(q, "/metadata/name").unwrap_or_default().to_owned(),
                hard,
                text,
            }
        })
        .filter(|q| !q.hard.is_empty())
        .collect()
}

/// A refused pod: which quota, and per exceeded resource (what it would use, the hard figure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub(super) quota: String,
    pub(super) over: Vec<(usize, i128, i128)>,
}

impl Refusal {
    pub(super) fn describe(&self) -> String {
        self.over
            .iter()
            .map(|(i, would, hard)| {
                format!(
                    "{} would be {} of {}",
                    RESOURCES[*i],
                    show(*i, *would),
                    show(*i, *hard)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether quota admission lets a pod using `pod` in next to `used`.
pub(super) fn admit(quotas: &[Quota], used: &Usage, pod: &Usage) -> Result<(), Refusal> {
    for q in quotas {
        let over: Vec<(usize, i128, i128)> = q
            .hard
            .iter()
            .filter(|(i, _)| pod.0[*i] > 0)
            .filter(|(i, hard)| used.0[*i].saturating_add(pod.0[*i]) > *hard)
            .map(|(i, hard)| (*i, used.0[*i].saturating_add(pod.0[*i]), *hard))
            .collect();
        if !over.is_empty() {
            return Err(Refusal {
                quota: q.name.clone(),
                over,
            });
        }
    }
    Ok(())
}
