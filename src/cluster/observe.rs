//! The reads behind `status`: for each rendered object, the live object and the server's
//! dry-run of applying it; the Jobs of a namespace with a CronJob. Everything judged is in
//! [`super::health`].

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::health::{self, Line, Seen};
use super::live::Ref;
use super::{Cluster, ClusterError};

impl Cluster {
    /// One line per rendered object, in the render's order.
    pub fn status(&self, objects: &[J]) -> Result<Vec<Line>, ClusterError> {
        let mut jobs: BTreeMap<String, Vec<J>> = BTreeMap::new();
        for o in objects.iter().filter(|o| o["kind"] == "CronJob") {
            let ns = Ref::of(o).namespace.unwrap_or_default();
            if let std::collections::btree_map::Entry::Vacant(slot) = jobs.entry(ns) {
                let list = self.list("batch/v1", "Job", Some(slot.key()), None)?;
                slot.insert(list.unwrap_or_default());
            }
        }
        let now = jiff::Timestamp::now();
        let mut lines = Vec::with_capacity(objects.len());
        for o in objects {
            let r = Ref::of(o);
            let live = self.get(&r)?;
            let applied = match &live {
                Some(_) => Some(self.dry_run_apply(o)?),
                None => None,
            };
            let none = Vec::new();
            let ns_jobs = jobs
                .get(r.namespace.as_deref().unwrap_or_default())
                .unwrap_or(&none);
            lines.push(health::assess(
                o,
                &Seen {
                    live: live.as_ref(),
                    applied: applied.as_ref(),
                    jobs: ns_jobs,
                    now,
                },
            ));
        }
        Ok(lines)
    }
}
