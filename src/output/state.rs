//! The record of what a project owns under its output root, and the owner marker in each of
//! its directories: together the only source of what `render --all` may clean up.
//!
//! `render --all -o ROOT` / `--env` keep a small JSON file at the root, [`STATE_FILE`], that
//! lists for each project file (named by its path relative to the root, so the record means
//! the same in every checkout) the environment directories it has written. An environment that
//! leaves the project is found there, at any depth, and only its generated files are removed;
//! nothing is ever found by scanning, so output of another project, a single render, or a
//! backup copy under the root is never touched. Two projects may share a root as long as their
//! directories do not overlap. The record is committed, so a pull request can forge it: it is
//! checked strictly when read (a regular file, our `generator`, no duplicate key or entry,
//! entries that are plain relative paths below the root and not over-long, no directory claimed
//! by two projects: [`State::overlap`], worded by `claims`) and refused otherwise, and an entry alone never deletes anything: each
//! directory a project writes also holds an [`OWNER_FILE`] naming the project and the directory
//! itself, and a recorded directory is cleaned up only when its marker names both (a single
//! render's output, another project's directory and a copy of one are left alone). A project
//! writes into a directory whose marker names another project only after the user removed it.
//! Must not touch the disk itself: [`super`] reads and writes both through directory handles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The name of the record at an output root.
pub const STATE_FILE: &str = ".agentctl-state.json";

/// The name of the owner marker in each directory a project render writes (no `.json` or
/// `.yaml` suffix, so no tool that globs manifests picks it up).
pub const OWNER_FILE: &str = ".agentctl-owner";

/// The longest record or marker read (bytes).
pub const MAX_BYTES: usize = 1 << 20;
/// The longest recorded path or project name (bytes), as Linux's `PATH_MAX`.
pub const MAX_PATH: usize = 4096;
/// The longest component of a recorded path (bytes), as Linux's `NAME_MAX`.
pub const MAX_NAME: usize = 255;
/// The most directories a record may list.
pub const MAX_ENTRIES: usize = 10_000;

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
    #[serde(deserialize_with = "unique_projects")]
    pub projects: BTreeMap<String, BTreeSet<String>>,
}

/// The first `n` characters of `s` with an ellipsis when cut, quoted: a name in a message.
fn shown(s: &str) -> String {
    const SHOWN: usize = 60;
    if s.chars().count() > SHOWN {
        format!(
            "{:?}",
            format!("{}…", s.chars().take(SHOWN).collect::<String>())
        )
    } else {
        format!("{s:?}")
    }
}

/// Reads the `projects` map refusing a key given twice (serde_json would keep the last) and an
/// entry listed twice.
fn unique_projects<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, BTreeSet<String>>, D::Error> {
    struct Projects;
    struct Dirs;
    impl<'de> Visitor<'de> for Dirs {
        type Value = BTreeSet<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of directories")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeSet::new();
            while let Some(dir) = seq.next_element::<String>()? {
                if out.contains(&dir) {
                    return Err(de::Error::custom(format!(
                        "the directory {} is listed twice",
                        shown(&dir)
                    )));
                }
                out.insert(dir);
            }
            Ok(out)
        }
    }
    struct DirsSeed;
    impl<'de> de::DeserializeSeed<'de> for DirsSeed {
        type Value = BTreeSet<String>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(Dirs)
        }
    }
    impl<'de> Visitor<'de> for Projects {
        type Value = BTreeMap<String, BTreeSet<String>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of project files to directories")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(de::Error::custom(format!(
                        "the project {} is a key twice (a JSON reader would keep only the last one)",
                        shown(&key)
                    )));
                }
                let dirs = map.next_value_seed(DirsSeed)?;
                out.insert(key, dirs);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Projects)
}

/// One claim of a record: the project file (as recorded) and a directory it claims.
pub type Claimed<'a> = (&'a str, &'a str);

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
        if bytes.len() > MAX_BYTES {
            return Err("it is over 1 MiB".into());
        }
        let state: State = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if state.generator != "agentctl" || state.version != 1 {
            return Err("it is not an agentctl state file (version 1)".into());
        }
        let entries: usize = state.projects.values().map(BTreeSet::len).sum();
        if entries > MAX_ENTRIES {
            return Err(format!(
                "it lists {entries} directories, more than the {MAX_ENTRIES} agentctl records"
            ));
        }
        for (project, dirs) in &state.projects {
            if project.len() > MAX_PATH || project.is_empty() || project.contains('\0') {
                return Err(format!(
                    "the project {} ({} bytes) is not a path agentctl records (1 to {MAX_PATH} bytes)",
                    shown(project),
                    project.len()
                ));
            }
            for dir in dirs {
                check_dir(dir)?;
            }
        }
        Ok(state)
    }

    /// Two projects whose recorded directories are the same or nested: (project, directory)
    /// of the outer claim, then of the inner one. A record with one is refused by its reader
    /// (`claims::claimed_twice` says which entry to remove).
    pub fn overlap(&self) -> Option<(Claimed<'_>, Claimed<'_>)> {
        let mut all: Vec<(Vec<&str>, &str, &str)> = self
            .projects
            .iter()
            .flat_map(|(p, dirs)| {
                dirs.iter()
                    .map(move |d| (d.split('/').collect(), p.as_str(), d.as_str()))
            })
            .collect();
        all.sort();
        // Sorted by components, every directory comes after the directories containing it; the
        // stack holds the chain of those that contain the current one.
        let mut stack: Vec<&(Vec<&str>, &str, &str)> = Vec::new();
        for entry in &all {
            while stack.last().is_some_and(|top| !entry.0.starts_with(&top.0)) {
                stack.pop();
            }
            if let Some(outer) = stack.iter().find(|o| o.1 != entry.1) {
                return Some(((outer.1, outer.2), (entry.1, entry.2)));
            }
            stack.push(entry);
        }
        None
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

/// Why a recorded directory is not one agentctl records, if it is not.
fn check_dir(dir: &str) -> Result<(), String> {
    if dir.len() > MAX_PATH {
        return Err(format!(
            "the entry {} is {} bytes long, over the {MAX_PATH} a path may have",
            shown(dir),
            dir.len()
        ));
    }
    if let Some(long) = dir.split('/').find(|p| p.len() > MAX_NAME) {
        return Err(format!(
            "the entry {} has a component of {} bytes, over the {MAX_NAME} a file name may have",
            shown(dir),
            long.len()
        ));
    }
    if split(dir).is_none() {
        return Err(format!(
            "the entry {} is not a plain relative path below the root",
            shown(dir)
        ));
    }
    Ok(())
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

/// The owner marker of a directory a project writes: which project wrote it, and where (a copy
/// of the directory elsewhere keeps the marker but is not the directory it names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// Always `agentctl`.
    pub generator: String,
    /// The project file, relative to the root (as the record names it).
    pub project: String,
    /// The directory, relative to the root (as the record names it).
    pub dir: String,
}

impl Owner {
    /// The marker of `dir` written by `project`.
    pub fn new(project: &str, dir: &str) -> Owner {
        Owner {
            generator: "agentctl".into(),
            project: project.into(),
            dir: dir.into(),
        }
    }

    /// Parses and checks a marker; the error says what is wrong with it.
    pub fn parse(bytes: &[u8]) -> Result<Owner, String> {
        if bytes.len() > MAX_PATH * 3 {
            return Err(format!("it is over {} bytes", MAX_PATH * 3));
        }
        let owner: Owner = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if owner.generator != "agentctl" {
            return Err("it is not an agentctl owner marker".into());
        }
        check_dir(&owner.dir)?;
        Ok(owner)
    }

    /// The file's bytes (one line of JSON and a newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string(self).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    }
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
    fn two_projects_claiming_one_directory_are_refused_only_then() {
        let parse = |projects: &str| {
            State::parse(
                format!(r#"{{"generator":"agentctl","version":1,"projects":{projects}}}"#)
                    .as_bytes(),
            )
            .unwrap()
        };
        // Siblings sharing a prefix, and one project's own nested directories, are no clash.
        assert_eq!(
            parse(r#"{"a":["prod","p/x"],"b":["production","p/y","q"]}"#).overlap(),
            None
        );
        assert_eq!(parse(r#"{"a":["prod","prod/eu"]}"#).overlap(), None);
        for (clash, want) in [
            (
                r#"{"a":["prod"],"b":["prod"]}"#,
                (("a", "prod"), ("b", "prod")),
            ),
            (
                r#"{"a":["x","prod"],"b":["prod/eu/1"]}"#,
                (("a", "prod"), ("b", "prod/eu/1")),
            ),
            (
                r#"{"a":["prod/eu"],"b":["m","prod"]}"#,
                (("b", "prod"), ("a", "prod/eu")),
            ),
            (
                r#"{"a":["prod","prod/eu"],"b":["prod/eu/x"]}"#,
                (("a", "prod"), ("b", "prod/eu/x")),
            ),
        ] {
            assert_eq!(parse(clash).overlap(), Some(want), "{clash}");
        }
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
