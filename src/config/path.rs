//! Typed config paths: a dotted path (`agent.resources.limits.memory`, `networkPolicy.egressPorts.0`)
//! that names a setting of the schema.
//!
//! Diagnostics find where a value was set by its path; a path the schema does not have would
//! silently lose the location. So every path a rule reports about is a [`ConfigPath`], and
//! making one checks it against the schema (in debug builds, so every test run checks every
//! path a rule uses when it fires; release builds skip the lookup).

use std::fmt;

use super::schema::{branches, schema, types_of};

/// A dotted path that names a setting (a section, a leaf, a map entry or a list item).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigPath(String);

impl ConfigPath {
    /// The path `path`, which must name a setting of the schema: a path it does not have is a
    /// bug in the caller, caught in debug builds.
    pub fn new(path: impl Into<String>) -> Self {
        let path = path.into();
        debug_assert!(
            is_setting(&path),
            "`{path}` is not a path of the config schema"
        );
        ConfigPath(path)
    }

    /// The dotted text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConfigPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `path` names a setting: each segment a property of its section, an entry of a map
/// or (a number) an item of a list.
pub fn is_setting(path: &str) -> bool {
    let mut current = schema();
    for seg in path.split('.') {
        let mut entry = false;
        let next = branches(current).into_iter().find_map(|b| {
            let types = types_of(b);
            if types.contains(&"object") {
                b.get("properties").and_then(|p| p.get(seg)).or_else(|| {
                    entry = true;
                    b.get("additionalProperties").filter(|a| a.is_object())
                })
            } else if types.contains(&"array") && seg.parse::<usize>().is_ok() {
                b.get("items")
            } else {
                None
            }
        });
        match next {
            // A user's map key may itself hold dots (`labels.app.kubernetes.io/name`): an
            // entry of a map of plain values is the rest of the path.
            Some(n) if entry && branches(n).iter().all(|b| !types_of(b).contains(&"object")) => {
                return true;
            }
            Some(n) => current = n,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_against_the_schema() {
        for p in [
            "namespace",
            "agent.resources.limits.memory",
            "agent.config.extra.ANY_NAME",
            "networkPolicy.egressExcept.0",
            "monitoring.serviceMonitor.labels.release",
            "labels.app.kubernetes.io/name",
        ] {
            assert!(is_setting(p), "{p}");
        }
        for p in [
            "agent.replica.min",
            "agent.resources.limit",
            "networkPolicy.egressCidr.0",
            "",
        ] {
            assert!(!is_setting(p), "{p}");
        }
    }
}
