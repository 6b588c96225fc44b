//! The two controllers the replay runs, one step at a time under quota admission: a
//! Deployment's rolling update as the deployment and replica set controllers carry it out
//! (surge rounded up, unavailable rounded down; [`Deploy`]), and a StatefulSet's (ordered, one
//! pod at a time, highest ordinal first; [`Sts`]). Pure.

use super::admission::{Quota, Refusal, Usage, admit};

/// A Deployment's rolling update, as the deployment and replica set controllers carry it out.
#[derive(Debug, Clone)]
pub(super) struct Deploy {
    pub(super) name: String,
    pub(super) old_spec: i64,
    pub(super) new_spec: i64,
    pub(super) old_pods: i64,
    pub(super) new_pods: i64,
    /// The wanted replicas.
    pub(super) target: i64,
    pub(super) surge: i64,
    pub(super) unavailable: i64,
    pub(super) old: Usage,
    pub(super) new: Usage,
    pub(super) refused: Option<Refusal>,
}

impl Deploy {
    pub(super) fn done(&self) -> bool {
        self.new_pods == self.target && self.old_spec == 0 && self.old_pods == 0
    }
    pub(super) fn used(&self) -> Usage {
        let mut u = Usage::default();
        u.add(&self.old, self.old_pods);
        u.add(&self.new, self.new_pods);
        u
    }
    /// One pass of the controllers; whether anything changed.
    pub(super) fn step(&mut self, quotas: &[Quota], others: &Usage) -> bool {
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
pub(super) enum Slot {
    Old,
    New,
    Missing,
}

/// A StatefulSet's rolling update (ordered, one pod at a time, highest ordinal first).
#[derive(Debug, Clone)]
pub(super) struct Sts {
    pub(super) name: String,
    pub(super) pods: Vec<Slot>,
    pub(super) old: Usage,
    pub(super) new: Usage,
    pub(super) refused: Option<Refusal>,
    /// Whether a moment came with none of its pods running.
    pub(super) emptied: bool,
}

impl Sts {
    pub(super) fn done(&self) -> bool {
        self.pods.iter().all(|s| *s == Slot::New)
    }
    pub(super) fn used(&self) -> Usage {
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
    pub(super) fn step(&mut self, quotas: &[Quota], others: &Usage) -> bool {
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
