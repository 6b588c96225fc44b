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

/// A StatefulSet's rolling update (ordered, one pod at a time, highest ordinal first). The
/// ordinals are counted, not listed: the controller fills the lowest missing ordinal and deletes
/// the highest old one, so which ordinal it is never changes what the quota sees.
#[derive(Debug, Clone)]
pub(super) struct Sts {
    pub(super) name: String,
    /// Pods on the old template, on the new one, and ordinals with no pod.
    pub(super) old_pods: i64,
    pub(super) new_pods: i64,
    pub(super) missing: i64,
    pub(super) old: Usage,
    pub(super) new: Usage,
    pub(super) refused: Option<Refusal>,
    /// Whether a moment came with none of its pods running.
    pub(super) emptied: bool,
}

impl Sts {
    /// `now` pods running on the old template, `want` replicas on the new one (a smaller
    /// `want` drops the highest ordinals at once).
    pub(super) fn new(name: &str, now: i64, want: i64, old: Usage, new: Usage) -> Sts {
        let (now, want) = (now.max(0), want.max(0));
        Sts {
            name: name.to_owned(),
            old_pods: now.min(want),
            new_pods: 0,
            missing: (want - now).max(0),
            old,
            new,
            refused: None,
            emptied: false,
        }
    }
    /// The replicas it is rolled to.
    pub(super) fn replicas(&self) -> i64 {
        self.old_pods + self.new_pods + self.missing
    }
    pub(super) fn done(&self) -> bool {
        self.old_pods == 0 && self.missing == 0
    }
    pub(super) fn used(&self) -> Usage {
        let mut u = Usage::default();
        u.add(&self.old, self.old_pods);
        u.add(&self.new, self.new_pods);
        u
    }
    pub(super) fn step(&mut self, quotas: &[Quota], others: &Usage) -> bool {
        if self.missing > 0 {
            let mut used = *others;
            used.add(&self.used(), 1);
            return match admit(quotas, &used, &self.new) {
                Ok(()) => {
                    self.missing -= 1;
                    self.new_pods += 1;
                    self.refused = None;
                    true
                }
                Err(r) => {
                    self.refused = Some(r);
                    false
                }
            };
        }
        if self.old_pods > 0 {
            self.old_pods -= 1;
            self.missing += 1;
            if self.old_pods == 0 && self.new_pods == 0 {
                self.emptied = true;
            }
            return true;
        }
        false
    }
}
