//! Who owns a directory agentctl writes, told to the user with exactly what to change: a
//! single render aimed at a project environment's directory ([`environment_claim`]: the
//! directory's owner marker, or the record of a root above it, says so), and a record that
//! claims one directory for two projects (`claimed_twice`: the directories' owner markers say
//! which claim is the real one). Read-only: this only decides and words a refusal.
//!
//! The record and the markers are committed, so one pull request can forge both: before a
//! recorded directory is cleaned up, `rival` asks the other project files agentctl can find
//! (the record's other keys, and every project file beside the one rendered and beside the
//! output root) whether one of their environments renders there; a project file is what such
//! a pull request cannot change unseen.

use std::path::{Component, Path, PathBuf};

use anyhow::Result;

use super::nofollow::{Dir, Kind, Walk};
use super::state::{self, MAX_BYTES, OWNER_FILE, Owner, STATE_FILE, State};
use crate::diag::Refusal;

/// How many directories above `-o DIR` are searched for a project's record.
const ABOVE: usize = 16;

/// A project environment's claim on a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The project's output root, as shown from here.
    pub root: PathBuf,
    /// The project file, as shown from here.
    pub project: PathBuf,
    /// The directory below the root, as recorded (`/`-separated).
    pub dir: String,
    /// What says so: the owner marker, or the record.
    pub evidence: PathBuf,
    /// The record, as shown from here.
    pub record: PathBuf,
    /// The project file as the record names it (relative to the root).
    pub key: String,
}

/// `root` joined with `rel` (a project file as the record names it, relative to the root),
/// with `..` taken lexically: the path as the user would type it from here.
pub fn shown(root: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in root.join(rel).components() {
        match c {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Which project environment owns `dir` (`-o` of a single render): the record of the nearest
/// root above it lists it for a project, and the directory's owner marker, if it has one, names
/// that project and this very directory (a copy, or a forged entry over another's directory,
/// claims nothing). `None` for any other directory, a single render's own included.
pub fn environment_claim(dir: &Path) -> Result<Option<Claim>> {
    let resolved = super::guard::resolve(dir)?;
    // Not a directory (yet, or at all: refused later as such): no marker.
    let opened = if resolved.is_dir() {
        Dir::open_root(&resolved, dir)?
    } else {
        None
    };
    let marker: Option<Owner> = match opened {
        Some(d) if d.kind(OWNER_FILE)? == Some(Kind::File) => d
            .read_limited(OWNER_FILE, MAX_BYTES as u64)
            .ok()
            .and_then(|b| Owner::parse(&b).ok()),
        _ => None,
    };
    let mut shown_root = dir.to_owned();
    for above in resolved.ancestors().skip(1).take(ABOVE) {
        shown_root.push("..");
        let record = above.join(STATE_FILE);
        let Ok(meta) = std::fs::symlink_metadata(&record) else {
            continue;
        };
        // The nearest record decides; one agentctl cannot read claims nothing.
        if !meta.is_file() || meta.len() > MAX_BYTES as u64 {
            return Ok(None);
        }
        let Ok(Ok(state)) = std::fs::read(&record).map(|b| State::parse(&b)) else {
            return Ok(None);
        };
        let Ok(below) = resolved.strip_prefix(above) else {
            return Ok(None);
        };
        let rel: Vec<String> = below
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = state::join(&rel);
        let root = shown(&shown_root, "");
        let owner = state.projects.iter().find(|(project, dirs)| {
            dirs.contains(&rel)
                && marker
                    .as_ref()
                    .is_none_or(|m| m.project == **project && m.dir == rel)
        });
        return Ok(owner.map(|(project, _)| Claim {
            project: shown(&root, project),
            record: shown(&root, STATE_FILE),
            key: project.clone(),
            evidence: if marker.is_some() {
                dir.join(OWNER_FILE)
            } else {
                shown(&root, STATE_FILE)
            },
            root,
            dir: rel,
        }));
    }
    Ok(None)
}

/// The refusal of a record that claims directory `a_dir` for project `a` and `b_dir` (the same
/// or inside it) for `b`, with the fix the directories' owner markers point to: the claim a
/// marker confirms stays, the other is the entry to remove; nested directories both confirmed
/// are two projects' real outputs, and one of them must move.
pub(super) fn claimed_twice(
    root: Option<&Dir>,
    shown_root: &Path,
    (a, a_dir): (&str, &str),
    (b, b_dir): (&str, &str),
) -> Refusal {
    let record = shown_root.join(STATE_FILE);
    let says = |dir: &str| -> Option<Owner> {
        let parts = state::split(dir)?;
        let Ok(Walk::Found(d)) = root?.walk(&parts) else {
            return None;
        };
        let bytes = d.read_limited(OWNER_FILE, MAX_BYTES as u64).ok()?;
        Owner::parse(&bytes).ok()
    };
    // What each claim's own directory says: its marker names this claim (`Some(true)`),
    // names another project or directory (`Some(false)`: the claim is refuted), or there is
    // none agentctl can read (`None`).
    let verdict = |project: &str, dir: &str| {
        says(dir).map(|o| (o.project == project && o.dir == dir, o.project))
    };
    let marker = |dir: &str| shown_root.join(dir).join(OWNER_FILE);
    let remove = |project: &str, dir: &str| {
        format!(
            "remove {dir:?} from the list of {project:?} in {} (the record is committed: a pull request or a merge may have added it)",
            crate::term::path_line(&record)
        )
    };
    let (va, vb) = (verdict(a, a_dir), verdict(b, b_dir));
    let confirmed = |v: &Option<(bool, String)>| v.as_ref().is_some_and(|(yes, _)| *yes);
    let refuted = |v: &Option<(bool, String)>| v.as_ref().is_some_and(|(yes, _)| !*yes);
    // Why one claim goes: its own marker names someone else, or the other's marker confirms it.
    let why = |mine: &Option<(bool, String)>, my_dir: &str, other: &str, other_dir: &str| match mine
    {
        Some((false, owner)) => format!(
            "{} names {owner:?}",
            crate::term::path_line(&marker(my_dir))
        ),
        _ => format!(
            "{} names {other:?}",
            crate::term::path_line(&marker(other_dir))
        ),
    };
    let fix = if confirmed(&va) && confirmed(&vb) {
        format!(
            "both are real outputs ({} names {a:?}, {} names {b:?}): give the environment of {} that renders into {b_dir:?} another `output:` outside {a_dir:?}, remove {b_dir:?} from the list of {b:?} in {}, render {} with --all, then delete {} (its old output)",
            crate::term::path_line(&marker(a_dir)),
            crate::term::path_line(&marker(b_dir)),
            crate::term::path_line(&shown(shown_root, b)),
            crate::term::path_line(&record),
            crate::term::path_line(&shown(shown_root, b)),
            crate::term::path_line(&shown_root.join(b_dir))
        )
    } else if (refuted(&va) || confirmed(&vb)) && !refuted(&vb) {
        format!("{}: {}", why(&va, a_dir, b, b_dir), remove(a, a_dir))
    } else if (refuted(&vb) || confirmed(&va)) && !refuted(&va) {
        format!("{}: {}", why(&vb, b_dir, a, a_dir), remove(b, b_dir))
    } else {
        format!(
            "no owner marker says which is right: check the `output:` of the environments of {} and {} (default: the environment's name), then, in {}, remove {a_dir:?} from the list of {a:?} or {b_dir:?} from the list of {b:?}, whichever project does not render there (the record is committed: a pull request or a merge may have added it)",
            crate::term::path_line(&shown(shown_root, a)),
            crate::term::path_line(&shown(shown_root, b)),
            crate::term::path_line(&record)
        )
    };
    Refusal::ClaimedTwice {
        record,
        claims: [
            (a.to_owned(), a_dir.to_owned()),
            (b.to_owned(), b_dir.to_owned()),
        ],
        fix,
    }
}

/// How many files [`rival`] reads looking for project files.
const MAX_CANDIDATES: usize = 4096;
/// How many bytes in all [`rival`] reads looking for project files.
const MAX_READ: u64 = 64 * 1024 * 1024;

/// The directories searched for project files: the one of `mine`, and the root's parent with
/// its subdirectories [`DEPTH`] levels down (not hidden ones, not the root, no symlink
/// followed); `true` with them when there were more than [`MAX_DIRS`].
fn search_dirs(root: &Path, mine: &Path) -> (Vec<PathBuf>, bool) {
    let mut out: Vec<PathBuf> = mine.parent().map(Path::to_owned).into_iter().collect();
    let Some(top) = root.parent() else {
        return (out, false);
    };
    let mut level = vec![top.to_owned()];
    for depth in 0..=DEPTH {
        let mut next = Vec::new();
        for dir in level {
            if out.len() >= MAX_DIRS {
                return (out, true);
            }
            if depth < DEPTH
                && let Ok(entries) = std::fs::read_dir(&dir)
            {
                for e in entries.flatten() {
                    let hidden = e.file_name().to_string_lossy().starts_with('.');
                    let path = e.path();
                    if !hidden && path != root && e.file_type().is_ok_and(|t| t.is_dir()) {
                        next.push(path);
                    }
                }
            }
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
        level = next;
    }
    (out, false)
}

/// How many directory levels below the root's parent [`rival`] looks for project files.
const DEPTH: usize = 2;
/// The most directories [`rival`] reads.
const MAX_DIRS: usize = 128;

/// Another project file's environment whose output is a directory below the same root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rival {
    /// The project file, as shown from here, with the line and column of the environment.
    pub at: String,
    /// The project file, as shown from here.
    pub file: PathBuf,
    /// The environment.
    pub env: String,
    /// Its output below the root (`/`-separated).
    pub output: String,
}

/// The first environment of a project file other than `mine` (canonical) whose output
/// overlaps `rel` below the root (the same directory, inside it or around it, compared without
/// regard to case: a case-insensitive file system makes them one): the record's other keys
/// (resolved against the root) and every project file (any regular file, whatever its name,
/// whose YAML is a map with an `environments:` map) in the directory of `mine` and in the root's parent and its
/// subdirectories two levels down ([`search_dirs`]), each read for its environments' outputs
/// alone (`input::project::outputs`: a project file that does not render now still claims its
/// directories). `Err` (why) when there were more directories or files than it reads: then
/// nobody can say the directory is not another project's.
pub(super) fn rival(
    root_resolved: &Path,
    shown_root: &Path,
    mine: &Path,
    state: &State,
    rel: &[String],
) -> Result<Option<Rival>, String> {
    let mut candidates: Vec<(PathBuf, PathBuf)> = state
        .projects
        .keys()
        .map(|k| (root_resolved.join(k), shown(shown_root, k)))
        .collect();
    let (dirs, mut truncated) = search_dirs(root_resolved, mine);
    // Every file, whatever its name (`--project` takes any file: `b.YAML`, `agentctl`): a
    // project file is told by what it holds, below.
    'dirs: for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if candidates.len() >= MAX_CANDIDATES {
                truncated = true;
                break 'dirs;
            }
            let path = dir.join(entry.file_name());
            let rel = super::guard::relative(root_resolved, &path);
            candidates.push((path, shown(shown_root, &rel.to_string_lossy())));
        }
    }
    let fold =
        |parts: &[String]| -> Vec<String> { parts.iter().map(|p| p.to_lowercase()).collect() };
    let want = fold(rel);
    let mut seen = std::collections::BTreeSet::new();
    let mut read = 0u64;
    for (path, shown_path) in candidates {
        let Ok(real) = path.canonicalize() else {
            continue;
        };
        if real == mine || !seen.insert(real.clone()) {
            continue;
        }
        // A regular file (a forged record may name any path: never a device, a FIFO or a
        // kernel file that blocks), read as every input file is: non-blocking, capped, text.
        let Ok(meta) = std::fs::metadata(&real) else {
            continue;
        };
        let special = ["/proc", "/sys", "/dev"]
            .iter()
            .any(|p| real.starts_with(p));
        // Over the input cap: agentctl reads no project file that large, so it is none.
        if !meta.is_file() || special || meta.len() > crate::input::project::MAX_FILE_BYTES {
            continue;
        }
        read += meta.len();
        if read > MAX_READ {
            truncated = true;
            break;
        }
        let Ok(text) = crate::input::layers::read_text(
            &real,
            "project file",
            crate::input::project::MAX_FILE_BYTES,
            "",
        ) else {
            continue;
        };
        // A project file is a YAML map with an `environments:` map, whatever its name. Its
        // text spells that key, or holds a `\` (an escape in a quoted key): any other file is
        // no project file, and is not parsed (a repository's lock files and docs are text).
        if !text.contains("environments") && !text.contains('\\') {
            continue;
        }
        let Some(envs) = crate::input::project::outputs(&text) else {
            continue;
        };
        for (env, pos, out) in envs {
            let out_folded = fold(&out);
            let n = out_folded.len().min(want.len());
            if n > 0 && out_folded[..n] == want[..n] {
                return Ok(Some(Rival {
                    at: format!("{}:{pos}", crate::term::path_line(&shown_path)),
                    file: shown_path,
                    env,
                    output: state::join(&out),
                }));
            }
        }
    }
    if truncated {
        return Err(format!(
            "agentctl reads at most {MAX_DIRS} directories, {MAX_CANDIDATES} files and {} MiB looking for another project file that renders there",
            MAX_READ / (1024 * 1024)
        ));
    }
    Ok(None)
}

/// Why `dir` (`here` below the root), recorded for the project `key` (`file`) and marked as
/// its own, is left alone: another project file's environment renders into it.
pub(super) fn rival_kept(
    shown_root: &Path,
    dir: &Path,
    key: &str,
    here: &str,
    r: &Rival,
) -> String {
    let record = shown_root.join(STATE_FILE);
    let marker = dir.join(OWNER_FILE);
    format!(
        "left {dir} alone, though {record} records {here:?} for {key:?} and {marker} names it: {at}: environment `{env}` of {other} renders into {out:?}, and agentctl deletes nothing two project files claim (the record and the marker are committed: one pull request can forge both); the entry is dropped from the record. If {other} renders into {dir}, delete {marker} (its next `agentctl render --all --project {other_q} -o {root_q}` writes its own); if it renders into another output directory, delete {dir} by hand",
        dir = crate::term::path_line(dir),
        record = crate::term::path_line(&record),
        marker = crate::term::path_line(&marker),
        at = r.at,
        env = r.env,
        other = crate::term::path_line(&r.file),
        out = r.output,
        other_q = crate::shell::quote(&r.file.display().to_string()),
        root_q = crate::shell::quote(&shown_root.display().to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_file_is_shown_from_here() {
        assert_eq!(shown(Path::new("deploy"), "../a.yaml"), Path::new("a.yaml"));
        assert_eq!(
            shown(Path::new("out/deploy"), "../../p/agentctl.yaml"),
            Path::new("p/agentctl.yaml")
        );
        assert_eq!(
            shown(Path::new("."), "agentctl.yaml"),
            Path::new("agentctl.yaml")
        );
        assert_eq!(
            shown(Path::new(".."), "../x.yaml"),
            Path::new("../../x.yaml")
        );
    }
}
