//! `agentctl profiles diff A B`: the settings in which two profiles' effective configurations
//! differ, as a table in reference order. Read-only over [`Merged`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use crate::diag::Origin;
use crate::resolve::explain::view::{flat, shown};
use crate::resolve::merge::Merged;

/// `agentctl profiles diff A B`: a table of the settings whose effective values differ;
/// `(default)` marks a value the profile leaves at the built-in default.
pub fn profiles_diff(a: (&str, &Merged), b: (&str, &Merged)) -> anyhow::Result<String> {
    let left = flat(&a.1.config)?;
    let right = flat(&b.1.config)?;
    let left_map: BTreeMap<&str, &J> = left.iter().map(|(p, v)| (p.as_str(), v)).collect();
    let right_map: BTreeMap<&str, &J> = right.iter().map(|(p, v)| (p.as_str(), v)).collect();
    // Union in reference order: both sides share it except for map entries.
    let mut order: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut j = 0;
    for (p, _) in &left {
        if let Some(k) = right.iter().position(|(q, _)| q == p) {
            while j < k {
                let q = right[j].0.as_str();
                if seen.insert(q) {
                    order.push(q);
                }
                j += 1;
            }
            j = j.max(k + 1);
        }
        if seen.insert(p) {
            order.push(p);
        }
    }
    for (q, _) in &right[j.min(right.len())..] {
        if seen.insert(q) {
            order.push(q);
        }
    }
    let cell = |m: &Merged, v: Option<&&J>, path: &str| match v {
        None => "(not set)".to_owned(),
        Some(v) => {
            let from_default = m
                .origin(path)
                .is_none_or(|s| s.source.origin == Origin::Default);
            if from_default {
                format!("{} (default)", shown(v))
            } else {
                shown(v)
            }
        }
    };
    let mut rows = vec![("setting".to_owned(), a.0.to_owned(), b.0.to_owned())];
    for p in order {
        let (l, r) = (left_map.get(p), right_map.get(p));
        if l == r {
            continue;
        }
        rows.push((p.to_owned(), cell(a.1, l, p), cell(b.1, r, p)));
    }
    if rows.len() == 1 {
        return Ok(format!(
            "profiles {} and {} have the same effective configuration\n",
            a.0, b.0
        ));
    }
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (p, l, r) in rows {
        let line = format!("{p:w0$}  {l:w1$}  {r}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Ok(out)
}
