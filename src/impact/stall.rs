//! Rollout stalls: a rollout the API server accepts but the namespace's ResourceQuota cannot
//! carry out. `kubectl apply -k` applies the ResourceQuota before the workloads, so a smaller
//! quota is in force when the controllers start replacing pods; quota admission then refuses a
//! new pod whenever the pods still running plus that pod exceed a `hard` figure. A Deployment
//! with `maxUnavailable: 0` keeps every old pod until a new one is ready, so it never gets one
//! (`updatedReplicas 0/N`); a one-replica StatefulSet deletes its pod first and then cannot
//! create the new one: no pod at all (for Redis, an outage).
//!
//! Owns the model of that: what runs now (the old side's workloads: Deployment replicas or the
//! autoscaler's bounds, per-pod requests and limits with init containers, sidecars and the
//! LimitRange's defaults, StatefulSets, a CronJob's pod), the new side's quota `hard` and pods,
//! and a step-by-step replay of the Deployment and StatefulSet controllers (rolling update
//! arithmetic as the controllers do it: surge rounded up, unavailable rounded down) under quota
//! admission, in every order the controllers may act. A rollout that cannot finish at the
//! guaranteed lower bound of running pods (e.g. the autoscaler's minimum) in any order "stalls";
//! one that cannot finish only at the upper bound (scaled out, a backup job running) or only in
//! some orders "may stall". Pure: reads the two object sets and the rollouts already found.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::semantic::{at, quantity_of, str_at};
use super::{Change, Class, Finding, Impact, Objects};
use crate::k8s::quantity::{cpu_text as format_cpu, memory_text as format_memory};

/// The pod-related quota resources, in the order messages name them.
const RESOURCES: [&str; 8] = [
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "requests.ephemeral-storage",
    "limits.ephemeral-storage",
    "pods",
    "count/pods",
];
const N: usize = RESOURCES.len();

/// The setting of agentctl's `agent-quota` that sets a `hard` figure.
fn setting(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "requests.cpu" => "quota.requestsCpu",
        "requests.memory" => "quota.requestsMemory",
        "limits.cpu" => "quota.limitsCpu",
        "limits.memory" => "quota.limitsMemory",
        "pods" => "quota.pods",
        _ => return None,
    })
}

/// The index of a quota `hard` key among [`RESOURCES`] (`cpu` is `requests.cpu`).
fn index(key: &str) -> Option<usize> {
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
struct Usage([i128; N]);

const ONE: i128 = 1_000_000_000;

impl Usage {
    fn add(&mut self, o: &Usage, times: i64) {
        for i in 0..N {
            self.0[i] = self.0[i].saturating_add(o.0[i].saturating_mul(i128::from(times)));
        }
    }
    fn max(&self, o: &Usage) -> Usage {
        let mut m = *self;
        for i in 0..N {
            m.0[i] = m.0[i].max(o.0[i]);
        }
        m
    }
}

/// A quantity of resource `i` for people: cores, a binary unit, or a pod count.
fn show(i: usize, v: i128) -> String {
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
struct Quota {
    name: String,
    hard: Vec<(usize, i128)>,
    /// The figures as written, for the fix.
    text: BTreeMap<usize, String>,
}

/// The quotas of a namespace that apply to every pod (a scoped quota is left out).
fn quotas(objs: &Objects, ns: Option<&str>) -> Vec<Quota> {
    objs.of_kind("ResourceQuota", ns)
        .filter(|q| at(q, "spec.scopes").is_none() && at(q, "spec.scopeSelector").is_none())
        .map(|q| {
            let mut hard = Vec::new();
            let mut text = BTreeMap::new();
            for (k, v) in at(q, "spec.hard")
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
                name: str_at(q, "metadata.name").unwrap_or_default().to_owned(),
                hard,
                text,
            }
        })
        .filter(|q| !q.hard.is_empty())
        .collect()
}

/// A refused pod: which quota, and per exceeded resource (what it would use, the hard figure).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    quota: String,
    over: Vec<(usize, i128, i128)>,
}

impl Refusal {
    fn describe(&self) -> String {
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
fn admit(quotas: &[Quota], used: &Usage, pod: &Usage) -> Result<(), Refusal> {
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

/// The LimitRange defaults of a namespace for containers: (default limits, default requests),
/// each by resource name (`cpu`, `memory`, `ephemeral-storage`).
type Defaults = (BTreeMap<String, i128>, BTreeMap<String, i128>);

fn defaults(objs: &Objects, ns: Option<&str>) -> Defaults {
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
fn container(c: &J, res: &str, d: &Defaults) -> (i128, i128) {
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
fn pod_usage(spec: &J, d: &Defaults) -> Usage {
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

/// A Deployment's rolling update, as the deployment and replica set controllers carry it out.
#[derive(Debug, Clone)]
struct Deploy {
    name: String,
    old_spec: i64,
    new_spec: i64,
    old_pods: i64,
    new_pods: i64,
    /// The wanted replicas.
    target: i64,
    surge: i64,
    unavailable: i64,
    old: Usage,
    new: Usage,
    refused: Option<Refusal>,
}

/// An int-or-percent of `of`, rounded up or down, as the controllers resolve them.
fn int_or_percent(v: Option<&J>, default: &str, of: i64, up: bool) -> i64 {
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

impl Deploy {
    fn done(&self) -> bool {
        self.new_pods == self.target && self.old_spec == 0 && self.old_pods == 0
    }
    fn used(&self) -> Usage {
        let mut u = Usage::default();
        u.add(&self.old, self.old_pods);
        u.add(&self.new, self.new_pods);
        u
    }
    /// One pass of the controllers; whether anything changed.
    fn step(&mut self, quotas: &[Quota], others: &Usage) -> bool {
        let before = (self.old_spec, self.new_spec, self.old_pods, self.new_pods);
        // reconcileNewReplicaSet
        if self.new_spec > self.target {
            self.new_spec = self.target;
        } else if self.new_spec < self.target {
            let current = self.old_spec + self.new_spec;
            let max_total = self.target + self.surge;
            if current < max_total {
                self.new_spec += (max_total - current).min(self.target - self.new_spec);
            }
        }
        // reconcileOldReplicaSets (every old pod is available)
        if self.old_spec > 0 {
            let min_available = self.target - self.unavailable;
            let all = self.old_spec + self.new_spec;
            let new_unavailable = self.new_spec - self.new_pods;
            if all - min_available - new_unavailable > 0 {
                let available = self.old_pods.min(self.old_spec) + self.new_pods;
                if available > min_available {
                    self.old_spec -= self.old_spec.min(available - min_available);
                }
            }
        }
        // the replica sets: delete old pods, create new ones through quota admission
        self.old_pods = self.old_pods.min(self.old_spec);
        while self.new_pods < self.new_spec {
            let mut used = *others;
            used.add(&self.used(), 1);
            match admit(quotas, &used, &self.new) {
                Ok(()) => {
                    self.new_pods += 1;
                    self.refused = None;
                }
                Err(r) => {
                    self.refused = Some(r);
                    break;
                }
            }
        }
        before != (self.old_spec, self.new_spec, self.old_pods, self.new_pods)
    }
}

/// A pod slot of a StatefulSet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Old,
    New,
    Missing,
}

/// A StatefulSet's rolling update (ordered, one pod at a time, highest ordinal first).
#[derive(Debug, Clone)]
struct Sts {
    name: String,
    pods: Vec<Slot>,
    old: Usage,
    new: Usage,
    refused: Option<Refusal>,
    /// Whether a moment came with none of its pods running.
    emptied: bool,
}

impl Sts {
    fn done(&self) -> bool {
        self.pods.iter().all(|s| *s == Slot::New)
    }
    fn used(&self) -> Usage {
        let mut u = Usage::default();
        for s in &self.pods {
            match s {
                Slot::Old => u.add(&self.old, 1),
                Slot::New => u.add(&self.new, 1),
                Slot::Missing => {}
            }
        }
        u
    }
    fn step(&mut self, quotas: &[Quota], others: &Usage) -> bool {
        if let Some(i) = self.pods.iter().position(|s| *s == Slot::Missing) {
            let mut used = *others;
            used.add(&self.used(), 1);
            return match admit(quotas, &used, &self.new) {
                Ok(()) => {
                    self.pods[i] = Slot::New;
                    self.refused = None;
                    true
                }
                Err(r) => {
                    self.refused = Some(r);
                    false
                }
            };
        }
        if let Some(i) = self.pods.iter().rposition(|s| *s == Slot::Old) {
            self.pods[i] = Slot::Missing;
            if self.pods.iter().all(|s| *s == Slot::Missing) {
                self.emptied = true;
            }
            return true;
        }
        false
    }
}

/// What runs now in a namespace, at one bound, with the rollouts to replay.
#[derive(Debug, Clone)]
struct World {
    fixed: Usage,
    deploys: Vec<Deploy>,
    stss: Vec<Sts>,
}

/// The outcome of one replay: per rolling workload (kind, name), the refusal it stalled on.
type Stalled = BTreeMap<(String, String), Stall>;

#[derive(Debug, Clone)]
struct Stall {
    refused: Option<Refusal>,
    /// Deployment: (new pods, wanted); StatefulSet: whether it was left with no pod.
    updated: (i64, i64),
    no_pod: bool,
}

impl World {
    fn used_except(&self, skip: (bool, usize)) -> Usage {
        let mut u = self.fixed;
        for (i, d) in self.deploys.iter().enumerate() {
            if skip != (true, i) {
                u.add(&d.used(), 1);
            }
        }
        for (i, s) in self.stss.iter().enumerate() {
            if skip != (false, i) {
                u.add(&s.used(), 1);
            }
        }
        u
    }

    /// The pods of the replay, old and new: each round that changes something moves at least
    /// one of them one step, which bounds the rounds.
    fn pods(&self) -> i64 {
        let d: i64 = self
            .deploys
            .iter()
            .map(|d| d.old_spec.max(0) + d.target.max(0) + d.surge.max(0))
            .sum();
        let s: i64 = self.stss.iter().map(|s| s.pods.len() as i64).sum();
        d + s
    }

    /// Replays the controllers, acting in `order` (indexes: deploys first, then stss) each
    /// round, until nothing changes. A replay that does not settle within its bound claims
    /// nothing (no stall).
    fn replay(mut self, quotas: &[Quota], order: &[usize]) -> Stalled {
        let rounds = 8 * (self.pods() + 8);
        let mut settled = false;
        for _ in 0..rounds {
            let mut moved = false;
            for &w in order {
                if w < self.deploys.len() {
                    let others = self.used_except((true, w));
                    moved |= self.deploys[w].step(quotas, &others);
                } else {
                    let s = w - self.deploys.len();
                    let others = self.used_except((false, s));
                    moved |= self.stss[s].step(quotas, &others);
                }
            }
            if !moved {
                settled = true;
                break;
            }
        }
        let mut out = Stalled::new();
        if !settled {
            return out;
        }
        for d in self.deploys.iter().filter(|d| !d.done()) {
            out.insert(
                ("Deployment".into(), d.name.clone()),
                Stall {
                    refused: d.refused.clone(),
                    updated: (d.new_pods, d.target),
                    no_pod: d.old_pods + d.new_pods == 0,
                },
            );
        }
        for s in self.stss.iter().filter(|s| !s.done()) {
            out.insert(
                ("StatefulSet".into(), s.name.clone()),
                Stall {
                    refused: s.refused.clone(),
                    updated: (
                        s.pods.iter().filter(|p| **p == Slot::New).count() as i64,
                        s.pods.len() as i64,
                    ),
                    no_pod: s.pods.iter().all(|p| *p == Slot::Missing) || s.emptied,
                },
            );
        }
        out
    }

    /// Every order of the rolling workloads (at most 6! of them; beyond, rotations only).
    fn orders(&self) -> Vec<Vec<usize>> {
        let n = self.deploys.len() + self.stss.len();
        let base: Vec<usize> = (0..n).collect();
        if n > 6 {
            return (0..n)
                .map(|r| base.iter().map(|i| (i + r) % n).collect())
                .collect();
        }
        let mut out = Vec::new();
        permutations(&mut base.clone(), 0, &mut out);
        out
    }
}

fn permutations(v: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k == v.len() {
        out.push(v.clone());
        return;
    }
    for i in k..v.len() {
        v.swap(k, i);
        permutations(v, k + 1, out);
        v.swap(k, i);
    }
}

/// The (min, max) replicas an autoscaler of `objs` gives workload `kind/name`, clamped to what
/// the replay can model ([`Objects::autoscaler_bounds`]).
fn bounds(objs: &Objects, ns: Option<&str>, kind: &str, name: &str) -> Option<(i64, i64)> {
    let (min, max) = objs.autoscaler_bounds(ns, kind, name)?;
    let min = min.clamp(0, MAX_PODS);
    Some((min, max.clamp(min, MAX_PODS)))
}

/// The object `kind/name` of a namespace.
fn find<'a>(objs: &'a Objects, kind: &'a str, ns: Option<&'a str>, name: &str) -> Option<&'a J> {
    objs.of_kind(kind, ns)
        .find(|o| str_at(o, "metadata.name") == Some(name))
}

/// Counts beyond this are no real namespace (and would overflow the arithmetic): clamped.
const MAX_PODS: i64 = 1_000_000;

fn replicas(o: &J) -> Option<i64> {
    at(o, "spec.replicas")
        .and_then(J::as_i64)
        .map(|n| n.clamp(0, MAX_PODS))
}

/// The two bounds of what runs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// The guaranteed lower bound: the autoscaler's minimum, no job running.
    Low,
    /// Scaled out to the autoscaler's maximum, a CronJob's pod running.
    High,
    /// The autoscaled Deployments at this many pods, no job running.
    Scaled(i64),
    /// As `Low`, and an autoscaler the new side no longer renders left running (`kubectl
    /// apply` without `--prune`): it keeps its Deployment within its old bounds.
    LeftBehind,
}

/// The world of namespace `ns` at a bound: old objects are what runs, `rolling` the workloads
/// whose pods are replaced (kind, name).
fn world(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    bound: Bound,
) -> (World, Vec<(String, i64)>) {
    let (d_old, d_new) = (defaults(old, ns), defaults(new, ns));
    let mut w = World {
        fixed: Usage::default(),
        deploys: Vec::new(),
        stss: Vec::new(),
    };
    let mut running = Vec::new();
    let rolls = |kind: &str, name: &str| rolling.iter().any(|(k, n)| k == kind && n == name);
    let new_of = |kind: &'static str, name: &str| find(new, kind, ns, name);
    for d in old.of_kind("Deployment", ns) {
        let name = str_at(d, "metadata.name").unwrap_or_default();
        let now = match bounds(old, ns, "Deployment", name) {
            Some((min, max)) => match bound {
                Bound::Low | Bound::LeftBehind => min,
                Bound::High => max,
                Bound::Scaled(n) => n.max(0),
            },
            None => replicas(d).unwrap_or(1),
        };
        running.push((format!("Deployment {name}"), now));
        let old_usage = pod_usage(at(d, "spec.template.spec").unwrap_or(&J::Null), &d_old);
        match new_of("Deployment", name).filter(|_| rolls("Deployment", name)) {
            Some(n) => {
                let mut target = match (replicas(n), bounds(new, ns, "Deployment", name)) {
                    (Some(r), _) => r,
                    (None, Some((min, max))) => now.clamp(min, max),
                    (None, None) => now,
                };
                if bound == Bound::LeftBehind
                    && bounds(new, ns, "Deployment", name).is_none()
                    && let Some((min, max)) = bounds(old, ns, "Deployment", name)
                {
                    target = target.clamp(min, max);
                }
                let surge = int_or_percent(
                    at(n, "spec.strategy.rollingUpdate.maxSurge"),
                    "25%",
                    target,
                    true,
                )
                .clamp(0, MAX_PODS);
                let mut unavailable = int_or_percent(
                    at(n, "spec.strategy.rollingUpdate.maxUnavailable"),
                    "25%",
                    target,
                    false,
                )
                .clamp(0, target.max(0));
                if surge == 0 && unavailable == 0 {
                    unavailable = 1;
                }
                // Recreate: every old pod goes before the first new one is created.
                let (surge, unavailable) = if str_at(n, "spec.strategy.type") == Some("Recreate") {
                    (0, target)
                } else {
                    (surge, unavailable)
                };
                w.deploys.push(Deploy {
                    name: name.to_owned(),
                    old_spec: now,
                    new_spec: 0,
                    old_pods: now,
                    new_pods: 0,
                    target,
                    surge,
                    unavailable,
                    old: old_usage,
                    new: pod_usage(at(n, "spec.template.spec").unwrap_or(&J::Null), &d_new),
                    refused: None,
                });
            }
            None => w.fixed.add(&old_usage, now),
        }
    }
    for s in old.of_kind("StatefulSet", ns) {
        let name = str_at(s, "metadata.name").unwrap_or_default();
        let now = replicas(s).unwrap_or(1);
        let old_usage = pod_usage(at(s, "spec.template.spec").unwrap_or(&J::Null), &d_old);
        match new_of("StatefulSet", name).filter(|_| rolls("StatefulSet", name)) {
            Some(n) => {
                let want = replicas(n).unwrap_or(1);
                let mut pods = vec![Slot::Old; usize::try_from(now).unwrap_or(0)];
                pods.resize(usize::try_from(want).unwrap_or(0), Slot::Missing);
                w.stss.push(Sts {
                    name: name.to_owned(),
                    pods,
                    old: old_usage,
                    new: pod_usage(at(n, "spec.template.spec").unwrap_or(&J::Null), &d_new),
                    refused: None,
                    emptied: false,
                });
            }
            None => w.fixed.add(&old_usage, now),
        }
    }
    for kind in ["DaemonSet", "ReplicaSet"] {
        for o in old.of_kind(kind, ns) {
            let u = pod_usage(at(o, "spec.template.spec").unwrap_or(&J::Null), &d_old);
            w.fixed.add(&u, replicas(o).unwrap_or(1));
        }
    }
    for p in old.of_kind("Pod", ns) {
        w.fixed
            .add(&pod_usage(p.get("spec").unwrap_or(&J::Null), &d_old), 1);
    }
    if bound == Bound::High {
        // A job may be running (started before the apply, on the old template) or start
        // during the rollout (on the new one).
        for c in old.of_kind("CronJob", ns) {
            let name = str_at(c, "metadata.name").unwrap_or_default();
            let path = "spec.jobTemplate.spec.template.spec";
            let mut u = pod_usage(at(c, path).unwrap_or(&J::Null), &d_old);
            if let Some(n) = new_of("CronJob", name) {
                u = u.max(&pod_usage(at(n, path).unwrap_or(&J::Null), &d_new));
            }
            w.fixed.add(&u, 1);
        }
    }
    (w, running)
}

/// The verdict on one workload.
#[derive(Debug, Clone)]
enum Verdict {
    /// Stalls at the lower bound, whatever order the controllers act in.
    Certain(Stall),
    /// Stalls at the upper bound, or only in some orders (at that bound).
    May(Stall, &'static str, Bound),
}

/// The verdict per stalling workload (kind, name).
type Verdicts = BTreeMap<(String, String), Verdict>;

/// Replays a namespace at both bounds under `quotas`; the verdict per rolling workload.
fn verdicts(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    quotas: &[Quota],
) -> (Verdicts, [Vec<(String, i64)>; 2]) {
    let mut out = BTreeMap::new();
    let (low, running) = world(old, new, ns, rolling, Bound::Low);
    let (high, high_running) = world(old, new, ns, rolling, Bound::High);
    let orders = low.orders();
    let low_runs: Vec<Stalled> = orders
        .iter()
        .map(|o| low.clone().replay(quotas, o))
        .collect();
    for key in rolling {
        let stalls: Vec<&Stall> = low_runs.iter().filter_map(|r| r.get(key)).collect();
        if stalls.len() == low_runs.len() && !stalls.is_empty() {
            out.insert(key.clone(), Verdict::Certain(stalls[0].clone()));
        } else if let Some(s) = stalls.first() {
            out.insert(
                key.clone(),
                Verdict::May(
                    (*s).clone(),
                    "depending on which controller acts first",
                    Bound::Low,
                ),
            );
        }
    }
    // An autoscaler no longer rendered, left running by `kubectl apply` without `--prune`.
    let left_behind = old.of_kind("Deployment", ns).any(|d| {
        let name = str_at(d, "metadata.name").unwrap_or_default();
        bounds(old, ns, "Deployment", name).is_some()
            && bounds(new, ns, "Deployment", name).is_none()
    });
    if left_behind {
        let (w, _) = world(old, new, ns, rolling, Bound::LeftBehind);
        for o in &orders {
            for (key, s) in w.clone().replay(quotas, o) {
                out.entry(key).or_insert(Verdict::May(
                    s,
                    "if the old autoscaler is left running (kubectl apply without --prune: it \
                     keeps the agent within its old bounds)",
                    Bound::LeftBehind,
                ));
            }
        }
    }
    for o in &orders {
        let r = high.clone().replay(quotas, o);
        for (key, s) in r {
            out.entry(key).or_insert(Verdict::May(
                s,
                "when scaled out (or while a backup job runs)",
                Bound::High,
            ));
        }
    }
    (out, [running, high_running])
}

/// When the rollouts stall at the autoscaler's minimum: the largest number of pods the
/// autoscaler may scale the agent down to (within its new bounds, e.g. under low load after its
/// scale-down window) at which every rollout completes, with the new minimum and the
/// Deployment's name; `None` when no such number exists or nothing is autoscaled.
fn resume(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    quotas: &[Quota],
) -> Option<(i64, i64, String)> {
    let (name, low, new_min) = old.of_kind("Deployment", ns).find_map(|d| {
        let name = str_at(d, "metadata.name")?;
        let (old_min, _) = bounds(old, ns, "Deployment", name)?;
        let (new_min, new_max) = bounds(new, ns, "Deployment", name)?;
        Some((name.to_owned(), old_min.clamp(new_min, new_max), new_min))
    })?;
    let completes = |c: i64| {
        let (w, _) = world(old, new, ns, rolling, Bound::Scaled(c));
        w.orders()
            .iter()
            .all(|o| w.clone().replay(quotas, o).is_empty())
    };
    // Fewer running pods leave more room: the largest count that completes, by bisection.
    if low <= new_min || !completes(new_min) {
        return None;
    }
    let (mut fits, mut stalls) = (new_min, low);
    while stalls - fits > 1 {
        let mid = fits + (stalls - fits) / 2;
        if completes(mid) {
            fits = mid;
        } else {
            stalls = mid;
        }
    }
    Some((fits, new_min, name))
}

/// Adds a `stall` finding to each rolling workload whose rollout the new quota cannot carry out.
/// `dir` is the output directory, for the commands of the fix.
pub(super) fn predict(old: &Objects, new: &Objects, impacts: &mut [Impact], dir: Option<&str>) {
    let mut namespaces: Vec<Option<String>> = Vec::new();
    for i in impacts.iter() {
        if !namespaces.contains(&i.namespace) && i.namespace.is_some() {
            namespaces.push(i.namespace.clone());
        }
    }
    for ns in namespaces {
        let ns = ns.as_deref();
        let quotas = quotas(new, ns);
        if quotas.is_empty() {
            continue;
        }
        let rolling: Vec<(String, String)> = impacts
            .iter()
            .filter(|i| {
                i.namespace.as_deref() == ns
                    && i.change == Change::Update
                    && matches!(i.kind.as_str(), "Deployment" | "StatefulSet")
                    && i.classes().contains(&Class::Rollout)
            })
            .map(|i| (i.kind.clone(), i.name.clone()))
            .collect();
        if rolling.is_empty() {
            continue;
        }
        // Beyond this many pods the replay would be slow: no claim.
        let (high, _) = world(old, new, ns, &rolling, Bound::High);
        if high.pods() > 20_000 {
            continue;
        }
        let (found, running) = verdicts(old, new, ns, &rolling, &quotas);
        if found.is_empty() {
            continue;
        }
        let mut fix = fix(old, new, ns, &rolling, &quotas, dir);
        if found
            .values()
            .any(|v| matches!(v, Verdict::May(_, _, Bound::LeftBehind)))
        {
            let gone: Vec<String> = ["HorizontalPodAutoscaler", "ScaledObject"]
                .iter()
                .flat_map(|kind| old.of_kind(kind, ns).map(move |o| (kind, o)))
                .filter(|(kind, o)| {
                    let name = str_at(o, "metadata.name").unwrap_or_default();
                    find(new, kind, ns, name).is_none()
                })
                .map(|(kind, o)| {
                    format!(
                        "kubectl delete {} {}{}",
                        kind.to_lowercase(),
                        str_at(o, "metadata.name").unwrap_or_default(),
                        ns.map(|n| format!(" -n {n}")).unwrap_or_default()
                    )
                })
                .collect();
            fix = format!(
                "remove the autoscaler the render no longer has before applying ({}), or apply \
                 with the prune command kustomization.yaml documents; if it still stalls: {fix}",
                gone.join(", ")
            );
        }
        let resumes = found
            .values()
            .any(|v| matches!(v, Verdict::Certain(_)))
            .then(|| resume(old, new, ns, &rolling, &quotas))
            .flatten();
        for i in impacts.iter_mut() {
            let key = (i.kind.clone(), i.name.clone());
            if i.namespace.as_deref() != ns {
                continue;
            }
            if let Some(v) = found.get(&key) {
                i.findings.push(Finding {
                    class: Some(Class::Stall),
                    reason: reason(&key, v, &running, old, ns, resumes.as_ref()),
                    fix: Some(fix.clone()),
                });
            }
        }
    }
}

/// Why a workload stalls, for people.
fn reason(
    key: &(String, String),
    v: &Verdict,
    running: &[Vec<(String, i64)>; 2],
    old: &Objects,
    ns: Option<&str>,
    resumes: Option<&(i64, i64, String)>,
) -> String {
    let until = match (v, resumes) {
        (Verdict::Certain(_), Some((c, min, name))) => format!(
            "; without the fix it resumes only if the autoscaler scales {name} down to {c} pod{} \
             or fewer (its new minimum is {min}: under low load, after its scale-down window), \
             and then when the controllers retry the refused pods (a backoff of up to 1000 s)",
            if *c == 1 { "" } else { "s" }
        ),
        _ => String::new(),
    };
    let (s, how) = match v {
        Verdict::Certain(s) => (s, "stalls for certain"),
        Verdict::May(s, _, _) => (s, "may stall"),
    };
    let why = s.refused.as_ref().map_or_else(
        || "the quota cannot hold its new pods next to the ones running".to_owned(),
        |r| {
            format!(
                "ResourceQuota {} (applied before the workloads) refuses its new pod: {}",
                r.quota,
                r.describe()
            )
        },
    );
    let when = match v {
        Verdict::Certain(_) => String::new(),
        Verdict::May(_, when, _) => format!(" {when}"),
    };
    let running = match v {
        Verdict::May(_, _, Bound::High) => &running[1],
        _ => &running[0],
    };
    let now = running
        .iter()
        .map(|(w, n)| format!("{n} pod{} of {w}", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ");
    let scaled = bounds(old, ns, &key.0, &key.1).is_some() && matches!(v, Verdict::Certain(_));
    let base = if scaled {
        format!(" with {now} running (the autoscaler's minimum today)")
    } else {
        format!(" with {now} running")
    };
    if key.0 == "StatefulSet" {
        let tail = if s.no_pod {
            format!(
                "its controller deletes a pod before creating its replacement, so {} is left \
                 with no pod{}",
                key.1,
                if key.1.contains("redis") {
                    ": a Redis outage, the agent loses its cache/state"
                } else {
                    ""
                }
            )
        } else {
            format!("{} of {} pods updated", s.updated.0, s.updated.1)
        };
        format!("rollout {how}{when}{base}: {why}; {tail}{until}")
    } else if matches!(v, Verdict::May(_, _, Bound::LeftBehind)) {
        // Which of the two depends on whether the rollout at the new replicas finishes before
        // the autoscaler acts (seen on the control plane: the rollout at 3 finished, then the
        // autoscaler asked for 10 and quota admission let 4 in).
        format!(
            "rollout {how}{when}{base}: {why}; the agent either stops part-way or ends with fewer \
             pods than the autoscaler asks for, depending on whether its rollout at the new \
             replicas finishes before the autoscaler acts"
        )
    } else {
        format!(
            "rollout {how}{when}{base}: {why}; it stays at updatedReplicas {}/{} (the old pods \
             keep running){until}",
            s.updated.0, s.updated.1
        )
    }
}

/// The fix: apply once with today's quota figures kept, wait for the rollouts, then apply the
/// new render (the quota shrinks under the new pods).
fn fix(
    old: &Objects,
    new: &Objects,
    ns: Option<&str>,
    rolling: &[(String, String)],
    quotas: &[Quota],
    dir: Option<&str>,
) -> String {
    let today = self::quotas(old, ns);
    // Per quota, the figures that shrink, at today's value.
    let mut keep: Vec<(String, usize, String)> = Vec::new();
    let mut bridge = quotas.to_vec();
    for q in &mut bridge {
        let Some(t) = today.iter().find(|t| t.name == q.name) else {
            continue;
        };
        for (i, hard) in &mut q.hard {
            if let Some((_, was)) = t.hard.iter().find(|(j, _)| j == i)
                && *was > *hard
            {
                *hard = *was;
                let text = t.text.get(i).cloned().unwrap_or_else(|| show(*i, *was));
                keep.push((q.name.clone(), *i, text));
            }
        }
    }
    let ns_flag = ns.map(|n| format!(" -n {n}")).unwrap_or_default();
    let dir = dir.unwrap_or("DIR");
    let statuses = rolling
        .iter()
        .map(|(k, n)| format!("kubectl rollout status {}/{n}{ns_flag}", k.to_lowercase()))
        .collect::<Vec<_>>()
        .join(" and ");
    // A quota the cluster does not have yet: the first apply goes without it.
    let created: Vec<&str> = quotas
        .iter()
        .filter(|q| !today.iter().any(|t| t.name == q.name))
        .map(|q| q.name.as_str())
        .collect();
    if !created.is_empty() {
        let first = if created == ["agent-quota"] {
            "render with `--set quota.enabled=false` added to the same inputs (no quota and no \
             LimitRange for this apply)"
                .to_owned()
        } else {
            format!("render without ResourceQuota {}", created.join(", "))
        };
        return format!(
            "apply in two steps so the quota comes after the rollout: 1. {first}, kubectl apply \
             -k {dir}, then {statuses}; 2. render the same inputs as before and kubectl apply -k \
             {dir} again (a quota may be created below what runs)"
        );
    }
    if keep.is_empty() {
        return "raise the ResourceQuota's figures so the running pods and the new ones fit \
                together during the rollout"
            .into();
    }
    let (bridged, _) = verdicts(old, new, ns, rolling, &bridge);
    let sets: Vec<String> = keep
        .iter()
        .filter(|(q, _, _)| q == "agent-quota")
        .filter_map(|(_, i, v)| setting(RESOURCES[*i]).map(|s| format!("--set {s}={v}")))
        .collect();
    let others: Vec<String> = keep
        .iter()
        .filter(|(q, i, _)| q != "agent-quota" || setting(RESOURCES[*i]).is_none())
        .map(|(q, i, v)| format!("{q} {}: {v}", RESOURCES[*i]))
        .collect();
    let mut first = Vec::new();
    if !sets.is_empty() {
        first.push(format!(
            "render with today's quota kept (add `{}` to the same inputs)",
            sets.join(" ")
        ));
    }
    if !others.is_empty() {
        first.push(format!(
            "keep today's figures ({}) in the rendered quota",
            others.join(", ")
        ));
    }
    let caveat = if bridged.is_empty() {
        ""
    } else {
        " (even today's figures do not hold every step: raise them further for the first apply)"
    };
    format!(
        "apply in two steps so the quota shrinks after the rollout: 1. {}, kubectl apply -k \
         {dir}, then {statuses}{caveat}; 2. render without {} and kubectl apply -k {dir} again",
        first.join(" and "),
        if sets.is_empty() {
            "those figures"
        } else {
            "those --set"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
            found.iter().all(|(_, t)| t
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
}
