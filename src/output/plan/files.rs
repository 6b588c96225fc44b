//! One directory's files against its bundle: each file's [`Change`] (read back, bounded with
//! the other directories of the run), what is in the way (symlinks, special files, files
//! agentctl did not write) and the stale generated files to remove; a write's changes made
//! light (they keep no text the writer does not read). The per-directory half of [`super`].

use std::path::Path;

use anyhow::{Context, Result};

use super::super::nofollow::{Dir, Kind, is_tmp};
use super::super::{
    Change, MAX_READ_BYTES, OTHER_KUSTOMIZATIONS, generatable, is_generated, normalized, too_big,
};
use crate::diag::Refusal;
use crate::render::bundle::Bundle;

/// A change as a write needs it (and a comparison of a directory that is up to date), without
/// the texts it does not read (a write of many environments then holds no file's text but its
/// bundle's): an up-to-date file holds none
/// (both sides empty: still a no-op); a replaced or removed file's old content is dropped
/// (empty: only that it existed counts); a new content is left in the bundle, which the writer
/// reads it from (here a one-byte stand-in: never equal to the empty old side, so the change is
/// still one).
pub(super) fn light(c: &mut Change) {
    if c.is_noop() {
        c.old = Some(String::new());
        c.new = Some(String::new());
    } else {
        if let Some(old) = &mut c.old {
            *old = String::new();
        }
        if let Some(new) = &mut c.new {
            *new = stand_in();
        }
    }
}

/// What a light change holds for a new content (see [`light`]).
fn stand_in() -> String {
    String::from("\n")
}

/// Compares the bundle's files with a directory (absent: all new). Symlinks and special files
/// in the way go to `unsafe_paths`, foreign files to `foreign` (unless `force`). `read`: the
/// bytes read back from the other directories of this run so far, and then with these.
/// `exclusive` (a write): a new file's change is made light at once (see [`light`]), its
/// content not copied (1,000 new environments are ~50 MB).
pub(in crate::output) fn plan_files(
    dir: Option<&Dir>,
    shown: &Path,
    bundle: Option<&Bundle>,
    (force, exclusive): (bool, bool),
    (unsafe_paths, foreign): (&mut Vec<String>, &mut Vec<String>),
    read: &mut u64,
) -> Result<(Vec<Change>, Vec<String>)> {
    let files: &[crate::render::bundle::File] = bundle.map_or(&[], |b| b.files.as_slice());
    let created = |f: &crate::render::bundle::File| Change {
        name: f.name.clone(),
        old: None,
        new: Some(if exclusive {
            stand_in()
        } else {
            f.content.clone()
        }),
    };
    let Some(dir) = dir else {
        let changes = files.iter().map(created).collect();
        return Ok((changes, Vec::new()));
    };
    let entries = dir
        .entries()
        .with_context(|| format!("listing {}", crate::term::path_line(shown)))?;
    let kind_of = |name: &str| entries.iter().find(|(n, _)| n == name).map(|(_, k)| *k);
    let mut changes = Vec::new();
    // What is read back of the directory, bounded as a whole and with the other directories.
    let mut budget = super::super::Budget::carrying(*read);
    let root = crate::term::path_line(shown).to_string();
    for file in files {
        let path = shown.join(&file.name);
        match kind_of(&file.name) {
            None => changes.push(created(file)),
            Some(Kind::Symlink) => unsafe_paths.push(format!(
                "{} is a symlink; agentctl never writes through a symlink",
                crate::term::path_line(&path)
            )),
            Some(Kind::Dir | Kind::Other) => unsafe_paths.push(format!(
                "{} exists and is not a regular file",
                crate::term::path_line(&path)
            )),
            Some(Kind::File) => {
                let old = dir
                    .read_limited(&file.name, MAX_READ_BYTES)
                    .with_context(|| format!("reading {}", crate::term::path_line(&path)))?;
                if old.len() as u64 > MAX_READ_BYTES {
                    return Err(too_big(&crate::term::path_line(&path).to_string()));
                }
                let ours = is_generated(&old);
                budget.take(
                    &root,
                    &file.name,
                    &crate::term::path_line(&path).to_string(),
                    old.len() as u64,
                )?;
                let old_text = if ours {
                    normalized(&old)
                } else {
                    String::from_utf8_lossy(&old).into_owned()
                };
                if old_text == file.content || ours || force {
                    changes.push(Change {
                        name: file.name.clone(),
                        old: Some(old_text),
                        new: Some(file.content.clone()),
                    });
                } else {
                    foreign.push(format!(
                        "{} exists and was not generated by agentctl (its first line is not the agentctl header)",
                        crate::term::path_line(&path)
                    ));
                }
            }
        }
    }
    if !files.is_empty() {
        for other in OTHER_KUSTOMIZATIONS {
            if kind_of(other).is_some() {
                unsafe_paths.push(format!(
                    "{} sits beside agentctl's kustomization.yaml (kubectl refuses a directory with two kustomization files)",
                    crate::term::path_line(&shown.join(other))
                ));
            }
        }
    }
    let mut leftovers = Vec::new();
    for (name, kind) in &entries {
        if *kind == Kind::File && is_tmp(name) {
            leftovers.push(name.clone());
            continue;
        }
        if *kind != Kind::File || !generatable(name) || files.iter().any(|f| &f.name == name) {
            continue;
        }
        let content = dir
            .read_limited(name, MAX_READ_BYTES)
            .with_context(|| format!("reading {}", crate::term::path_line(&shown.join(name))))?;
        if content.len() as u64 > MAX_READ_BYTES {
            if is_generated(&content) {
                return Err(too_big(
                    &crate::term::path_line(&shown.join(name)).to_string(),
                ));
            }
            continue;
        }
        if is_generated(&content) {
            budget.take(
                &root,
                name,
                &crate::term::path_line(&shown.join(name)).to_string(),
                content.len() as u64,
            )?;
            changes.push(Change {
                name: name.clone(),
                old: Some(normalized(&content)),
                new: None,
            });
        }
    }
    *read = budget.total();
    Ok((changes, leftovers))
}

/// The refusal for one directory's problems (symlinks first, then foreign files).
pub(in crate::output) fn refusal(
    unsafe_paths: Vec<String>,
    foreign: Vec<String>,
) -> Option<Refusal> {
    if !unsafe_paths.is_empty() {
        Some(Refusal::UnsafePaths(unsafe_paths))
    } else if !foreign.is_empty() {
        Some(Refusal::ForeignFiles(foreign))
    } else {
        None
    }
}
