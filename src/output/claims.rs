//! Who owns a directory agentctl writes, told to the user with exactly what to change: a
//! single render aimed at a project environment's directory ([`environment_claim`]: the
//! directory's owner marker, or the record of a root above it, says so), and a record that
//! claims one directory for two projects (`claimed_twice`: the directories' owner markers say
//! which claim is the real one). Read-only: this only decides and words a refusal.

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
            record.display()
        )
    };
    let (va, vb) = (verdict(a, a_dir), verdict(b, b_dir));
    let confirmed = |v: &Option<(bool, String)>| v.as_ref().is_some_and(|(yes, _)| *yes);
    let refuted = |v: &Option<(bool, String)>| v.as_ref().is_some_and(|(yes, _)| !*yes);
    // Why one claim goes: its own marker names someone else, or the other's marker confirms it.
    let why = |mine: &Option<(bool, String)>, my_dir: &str, other: &str, other_dir: &str| match mine
    {
        Some((false, owner)) => format!("{} names {owner:?}", marker(my_dir).display()),
        _ => format!("{} names {other:?}", marker(other_dir).display()),
    };
    let fix = if confirmed(&va) && confirmed(&vb) {
        format!(
            "both are real outputs ({} names {a:?}, {} names {b:?}): give the environment of {} that renders into {b_dir:?} another `output:` outside {a_dir:?}, remove {b_dir:?} from the list of {b:?} in {}, render {} with --all, then delete {} (its old output)",
            marker(a_dir).display(),
            marker(b_dir).display(),
            shown(shown_root, b).display(),
            record.display(),
            shown(shown_root, b).display(),
            shown_root.join(b_dir).display()
        )
    } else if (refuted(&va) || confirmed(&vb)) && !refuted(&vb) {
        format!("{}: {}", why(&va, a_dir, b, b_dir), remove(a, a_dir))
    } else if (refuted(&vb) || confirmed(&va)) && !refuted(&va) {
        format!("{}: {}", why(&vb, b_dir, a, a_dir), remove(b, b_dir))
    } else {
        format!(
            "no owner marker says which is right: check the `output:` of the environments of {} and {} (default: the environment's name), then, in {}, remove {a_dir:?} from the list of {a:?} or {b_dir:?} from the list of {b:?}, whichever project does not render there (the record is committed: a pull request or a merge may have added it)",
            shown(shown_root, a).display(),
            shown(shown_root, b).display(),
            record.display()
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
