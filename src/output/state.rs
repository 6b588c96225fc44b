//! The record of what a project owns under its output root: the only source of what
//! `render --all` may clean up.
//!
//! `render --all -o ROOT` / `--env` keep a small JSON file at the root, [`STATE_FILE`], that
//! lists for each project file (named by its path relative to the root, so the record means
//! the same in every checkout) the environment directories it has written. An environment that
//! leaves the project is found there, at any depth, and only its generated files are removed;
//! nothing is ever found by scanning, so output of another project, a single render, or a
//! backup copy under the root is never touched. Two projects may share a root as long as their
//! directories do not overlap. The file is checked strictly when read (a regular file, our
//! `generator`, entries that are plain relative paths below the root) and refused otherwise.
//! Must not touch the disk itself: [`super`] reads and writes it through its directory handle.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The name of the record at an output root.
pub const STATE_FILE: &str = ".agentctl-state.json";

/// What the record says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Always `agentctl`: how the file is recognized as ours.
    pub generator: String,
    /// Format version (1).
    pub version: u32,
    /// Project file (relative to the root) → the environment directories it owns, each a
    /// `/`-separated path below the root.
    pub projects: BTreeMap<String, BTreeSet<String>>,
}

impl State {
    /// An empty record.
    pub fn new() -> State {
        State {
            generator: "agentctl".into(),
            version: 1,
            projects: BTreeMap::new(),
        }
    }

    /// Parses and checks a record; the error says what is wrong with it.
    pub fn parse(bytes: &[u8]) -> Result<State, String> {
        if bytes.len() > 1 << 20 {
            return Err("it is over 1 MiB".into());
        }
        let state: State = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if state.generator != "agentctl" || state.version != 1 {
            return Err("it is not an agentctl state file (version 1)".into());
        }
        for dirs in state.projects.values() {
            for dir in dirs {
                if split(dir).is_none() {
                    return Err(format!(
                        "the entry {dir:?} is not a plain relative path below the root"
                    ));
                }
            }
        }
        Ok(state)
    }

    /// The file's bytes (pretty JSON, sorted, one trailing newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    }

    /// The project that records `rel` or a directory overlapping it (containing it or inside
    /// it), other than `project`.
    pub fn owner_other_than(&self, project: &str, rel: &[String]) -> Option<(&str, &str)> {
        self.projects
            .iter()
            .filter(|(p, _)| p.as_str() != project)
            .flat_map(|(p, dirs)| dirs.iter().map(move |d| (p.as_str(), d.as_str())))
            .find(|(_, d)| {
                split(d).is_some_and(|parts| {
                    let n = parts.len().min(rel.len());
                    parts[..n] == rel[..n]
                })
            })
    }
}

/// The components of a recorded directory, if it is a plain relative path (no `..`, `.`,
/// empty or absolute parts, no control characters).
pub fn split(dir: &str) -> Option<Vec<String>> {
    let parts: Vec<String> = dir.split('/').map(str::to_owned).collect();
    let plain = |p: &String| {
        !p.is_empty() && p != "." && p != ".." && !p.chars().any(|c| c.is_control() || c == '\\')
    };
    (!parts.is_empty() && parts.iter().all(plain)).then_some(parts)
}

/// The recorded form of a directory below the root.
pub fn join(rel: &[String]) -> String {
    rel.join("/")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entries_that_leave_the_root_are_refused() {
        for bad in ["..", "a/../..", "/etc", "a//b", "", "./a", "a\u{1b}b"] {
            let text = format!(
                r#"{{"generator":"agentctl","version":1,"projects":{{"../p.yaml":[{bad:?}]}}}}"#
            );
            assert!(State::parse(text.as_bytes()).is_err(), "{bad:?} accepted");
        }
        let good =
            r#"{"generator":"agentctl","version":1,"projects":{"../p.yaml":["r/e/g/i/o/n"]}}"#;
        let state = State::parse(good.as_bytes()).unwrap();
        assert_eq!(State::parse(&state.to_bytes()).unwrap(), state);
        assert!(State::parse(br#"{"generator":"other","version":1,"projects":{}}"#).is_err());
    }

    #[test]
    fn overlapping_directories_of_another_project_are_found() {
        let mut state = State::new();
        state
            .projects
            .insert("../a.yaml".into(), ["prod".to_owned()].into());
        let rel = |s: &str| split(s).unwrap();
        assert!(state.owner_other_than("../b.yaml", &rel("prod")).is_some());
        assert!(
            state
                .owner_other_than("../b.yaml", &rel("prod/eu"))
                .is_some()
        );
        assert!(
            state
                .owner_other_than("../b.yaml", &rel("production"))
                .is_none()
        );
        assert!(state.owner_other_than("../a.yaml", &rel("prod")).is_none());
    }
}
