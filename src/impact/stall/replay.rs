//! The replay: the rolling workloads of a namespace ([`World`]) stepped by their controllers,
//! round after round in one order, until nothing moves; what is left unfinished is a stall
//! ([`Stalled`]). Which orders are tried: [`World::orders`] (every one up to
//! [`EVERY_ORDER_UP_TO`] workloads, then a quadratic family). One replay costs O(rounds × n²) for n
//! workloads, whatever their pod counts (a StatefulSet's ordinals are counted, not listed). Pure.

use std::collections::BTreeMap;

use super::admission::{Quota, Refusal, Usage};
use super::controllers::{Deploy, Sts};

/// What runs now in a namespace, at one bound, with the rollouts to replay.
#[derive(Debug, Clone)]
pub(super) struct World {
    pub(super) fixed: Usage,
    pub(super) deploys: Vec<Deploy>,
    pub(super) stss: Vec<Sts>,
    /// Live only: what the quotas count for pods the render does not own (in `fixed` too).
    pub(super) foreign: Usage,
}

/// The outcome of one replay: per rolling workload (kind, name), the refusal it stalled on.
pub(super) type Stalled = BTreeMap<(String, String), Stall>;

#[derive(Debug, Clone)]
pub(super) struct Stall {
    pub(super) refused: Option<Refusal>,
    /// Deployment: (new pods, wanted); StatefulSet: whether it was left with no pod.
    pub(super) updated: (i64, i64),
    pub(super) no_pod: bool,
}

impl World {
    pub(super) fn used_except(&self, skip: (bool, usize)) -> Usage {
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
    pub(super) fn pods(&self) -> i64 {
        let d: i64 = self
            .deploys
            .iter()
            .map(|d| d.old_spec.max(0) + d.target.max(0) + d.surge.max(0))
            .sum();
        let s: i64 = self.stss.iter().map(Sts::replicas).sum();
        d + s
    }

    /// Replays the controllers, acting in `order` (indexes: deploys first, then stss) each
    /// round, until nothing changes. A replay that does not settle within its bound claims
    /// nothing (no stall).
    pub(super) fn replay(mut self, quotas: &[Quota], order: &[usize]) -> Stalled {
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
                    updated: (s.new_pods, s.replicas()),
                    no_pod: s.old_pods + s.new_pods == 0 || s.emptied,
                },
            );
        }
        out
    }

    /// The rolling workloads.
    pub(super) fn workloads(&self) -> usize {
        self.deploys.len() + self.stss.len()
    }

    /// How many orders [`World::orders`] gives, without listing them: at most `n!` up to
    /// [`EVERY_ORDER_UP_TO`] workloads, then at most `4·n·(n-1)`.
    pub(super) fn order_count(&self) -> i64 {
        let n = self.workloads() as i64;
        if self.workloads() > EVERY_ORDER_UP_TO {
            4 * n * (n - 1)
        } else {
            (1..=n).product()
        }
    }

    /// The orders the controllers are replayed in: every order up to [`EVERY_ORDER_UP_TO`]
    /// rolling workloads; beyond, [`pairs_first_and_last`] (a number of orders quadratic in
    /// the workloads, so a namespace's replay stays polynomial).
    pub(super) fn orders(&self) -> Vec<Vec<usize>> {
        let n = self.workloads();
        if n > EVERY_ORDER_UP_TO {
            return pairs_first_and_last(n);
        }
        let mut out = Vec::new();
        permutations(&mut (0..n).collect(), 0, &mut out);
        out
    }
}

/// Up to this many rolling workloads in a namespace, the replay tries every order the
/// controllers may act in (5! = 120 orders); beyond, [`pairs_first_and_last`], and the
/// finding says so.
pub(super) const EVERY_ORDER_UP_TO: usize = 5;

/// The orders in which each ordered pair of workloads acts first (a, then b) and last (b,
/// then a), the others in index order and in reverse: at most 4·n·(n-1) orders. The order most
/// favourable to a workload (it takes the room first) and the least (everyone else takes it
/// first), and the same for each pair, since two workloads competing for the same room is what
/// the verdicts hinge on. Checked against every order on generated namespaces (the stall tests).
pub(super) fn pairs_first_and_last(n: usize) -> Vec<Vec<usize>> {
    let up: Vec<usize> = (0..n).collect();
    let down: Vec<usize> = (0..n).rev().collect();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for a in 0..n {
        for b in (0..n).filter(|&b| b != a) {
            for rest in [&up, &down] {
                let others: Vec<usize> =
                    rest.iter().copied().filter(|&i| i != a && i != b).collect();
                let mut first = vec![a, b];
                first.extend(&others);
                let mut last = others;
                last.extend([b, a]);
                out.extend([first, last]);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

pub(super) fn permutations(v: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
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
