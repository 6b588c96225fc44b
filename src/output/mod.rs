//! Output: the only module that touches the output directory.
//!
//! Writing is planned completely before the first byte changes: every file agentctl would
//! overwrite must be one it generated (its first line is [`HEADER`]) or
//! identical already; a foreign file in the way (unless `--force`), a symlink, or a dangerous
//! target (a regular file, the current directory or one containing it, the home directory, a
//! repository root) refuses the whole write. Then every changed file is first written to a
//! temporary file in the same directory (an error there leaves the directory as it was), and
//! only then renamed over its target, each atomically; unchanged files are left alone (their
//! mtimes stay), and generated files the bundle no longer has are removed.
//! The directory is locked for the duration, so two runs never interleave. `diff` compares the
//! same plan against the disk without writing, under a shared lock (never a half-written dir).
//!
//! Owns every write (the output directory, [`atomic`], [`files`] for `init` and man pages),
//! unified diffs ([`diff`]) and stdout ([`print()`]). Must not render, validate or decide what
//! the files contain.

pub mod atomic;
pub mod diff;
pub mod files;
pub mod git;
pub mod impact;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::diag::{Error, Refusal};
use crate::render::bundle::{Bundle, HEADER};

/// What a write changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Files created.
    pub created: Vec<String>,
    /// Files rewritten with new content.
    pub updated: Vec<String>,
    /// Files already up to date.
    pub unchanged: Vec<String>,
    /// Stale generated files removed.
    pub removed: Vec<String>,
}

impl Report {
    /// Whether the write created, updated or removed anything.
    pub fn changed(&self) -> bool {
        !(self.created.is_empty() && self.updated.is_empty() && self.removed.is_empty())
    }

    /// The one-line account of a write into `dir`, as `render` prints it.
    pub fn summary(&self, dir: &Path) -> String {
        format!(
            "wrote {}: {} created, {} updated, {} unchanged, {} removed",
            dir.display(),
            self.created.len(),
            self.updated.len(),
            self.unchanged.len(),
            self.removed.len()
        )
    }
}

/// One file's difference between the disk and the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// File name.
    pub name: String,
    /// Content on disk (None: absent).
    pub old: Option<String>,
    /// Content the bundle has (None: would be removed).
    pub new: Option<String>,
}

fn is_generated(content: &str) -> bool {
    content.starts_with(HEADER)
}

/// Refuses targets that are not an output directory agentctl may manage.
fn check_target(dir: &Path) -> Result<()> {
    if let Ok(meta) = fs::symlink_metadata(dir) {
        if meta.file_type().is_symlink() && !dir.is_dir() {
            bail!(Refusal::SymlinkTarget(dir.to_owned()));
        }
        if !dir.is_dir() {
            bail!(Refusal::NotADirectory(dir.to_owned()));
        }
        let canonical = dir
            .canonicalize()
            .with_context(|| format!("resolving {}", dir.display()))?;
        if let Ok(cwd) = std::env::current_dir().and_then(|c| c.canonicalize()) {
            if canonical == cwd {
                bail!(Refusal::CurrentDirectory(dir.to_owned()));
            }
            if cwd.starts_with(&canonical) {
                bail!(Refusal::ContainsCurrentDirectory(dir.to_owned()));
            }
        }
        if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
            && home.canonicalize().is_ok_and(|h| h == canonical)
        {
            bail!(Refusal::HomeDirectory(dir.to_owned()));
        }
        if canonical.join(".git").exists() {
            bail!(Refusal::RepositoryRoot(dir.to_owned()));
        }
        if canonical.parent().is_none() {
            bail!(Refusal::FilesystemRoot);
        }
    }
    Ok(())
}

/// Reads the generated files in `dir` that are not in the bundle (stale) and compares the
/// bundle's files with the disk. Refuses foreign files and symlinks in the way.
pub fn plan(dir: &Path, bundle: &Bundle, force: bool) -> Result<Vec<Change>> {
    check_target(dir)?;
    plan_checked(dir, bundle, force)
}

/// [`plan`] for a target [`check_target`] already accepted.
fn plan_checked(dir: &Path, bundle: &Bundle, force: bool) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let mut refused = Vec::new();
    let mut unsafe_paths = Vec::new();
    for file in &bundle.files {
        let path = dir.join(&file.name);
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => changes.push(Change {
                name: file.name.clone(),
                old: None,
                new: Some(file.content.clone()),
            }),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            Ok(meta) if meta.file_type().is_symlink() => {
                unsafe_paths.push(format!(
                    "{} is a symlink; agentctl never writes through a symlink",
                    path.display()
                ));
            }
            Ok(meta) if !meta.is_file() => {
                unsafe_paths.push(format!(
                    "{} exists and is not a regular file",
                    path.display()
                ));
            }
            Ok(_) => {
                let old = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let old = String::from_utf8_lossy(&old).into_owned();
                if old == file.content || is_generated(&old) || force {
                    changes.push(Change {
                        name: file.name.clone(),
                        old: Some(old),
                        new: Some(file.content.clone()),
                    });
                } else {
                    refused.push(format!(
                        "{} exists and was not generated by agentctl (its first line is not the agentctl header)",
                        path.display()
                    ));
                }
            }
        }
    }
    if !unsafe_paths.is_empty() {
        bail!(Refusal::UnsafePaths(unsafe_paths));
    }
    if !refused.is_empty() {
        bail!(Refusal::ForeignFiles(refused));
    }
    if dir.is_dir() {
        let mut stale = Vec::new();
        for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".yaml") || bundle.files.iter().any(|f| f.name == name) {
                continue;
            }
            if !entry.file_type()?.is_file() {
                continue;
            }
            let content = fs::read(entry.path()).unwrap_or_default();
            if content.starts_with(HEADER.as_bytes()) {
                stale.push(Change {
                    name,
                    old: Some(String::from_utf8_lossy(&content).into_owned()),
                    new: None,
                });
            }
        }
        stale.sort_by(|a, b| a.name.cmp(&b.name));
        changes.extend(stale);
    }
    Ok(changes)
}

/// Takes an exclusive lock on the output directory for the life of the returned handle.
fn lock(dir: &Path) -> Result<fs::File> {
    let handle = fs::File::open(dir).with_context(|| format!("opening {}", dir.display()))?;
    handle
        .lock()
        .with_context(|| format!("locking {} against concurrent agentctl runs", dir.display()))?;
    Ok(handle)
}

/// What `diff` shows: [`plan`] with `force` (a foreign file is drift, not a refusal), under a
/// shared lock so a concurrent `render` into `dir` is never seen half-written.
pub fn compare(dir: &Path, bundle: &Bundle) -> Result<Vec<Change>> {
    let _shared = match fs::File::open(dir) {
        Ok(handle) => {
            handle.lock_shared().with_context(|| {
                format!(
                    "locking {} against a concurrent agentctl render",
                    dir.display()
                )
            })?;
            Some(handle)
        }
        Err(_) => None,
    };
    plan(dir, bundle, true)
}

/// Writes a bundle into `dir`; see the module docs for the rules.
pub fn write(dir: &Path, bundle: &Bundle, force: bool) -> Result<Report> {
    check_target(dir)?;
    if !dir.exists() {
        fs::create_dir_all(dir)
            .with_context(|| format!("creating output directory {}", dir.display()))?;
    }
    let _lock = lock(dir)?;
    let changes = plan_checked(dir, bundle, force)?;
    let mut report = Report::default();
    // Phase 1: every new content into a temporary file beside its target. An error here (disk
    // full, permissions) drops the temporary files and leaves the directory as it was.
    let mut staged = Vec::new();
    let mut stale = Vec::new();
    for change in changes {
        match (&change.old, &change.new) {
            (Some(old), Some(new)) if old == new => report.unchanged.push(change.name),
            (old, Some(new)) => {
                let tmp = atomic::stage(dir, new.as_bytes())
                    .with_context(|| format!("writing a temporary file in {}", dir.display()))?;
                staged.push((tmp, change.name, old.is_some()));
            }
            (Some(_), None) => stale.push(change.name),
            (None, None) => {}
        }
    }
    // Phase 2: each rename atomically replaces one file.
    for (tmp, name, existed) in staged {
        let path: PathBuf = dir.join(&name);
        tmp.persist(&path)
            .with_context(|| format!("replacing {}", path.display()))?;
        if existed {
            report.updated.push(name);
        } else {
            report.created.push(name);
        }
    }
    // Phase 3: generated files the bundle no longer has.
    for name in stale {
        let path = dir.join(&name);
        fs::remove_file(&path).with_context(|| format!("removing stale {}", path.display()))?;
        report.removed.push(name);
    }
    Ok(report)
}

/// Deepest directory level below a project's `-o DIR` searched for abandoned environments.
const ORPHAN_DEPTH: usize = 4;

/// Directories below `root` (not `root` itself, none of `keep`) that hold files agentctl
/// generated: the output of environments no longer in the project. Symlinks are not followed.
pub fn orphans(root: &Path, keep: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let keep: std::collections::HashSet<&Path> = keep.iter().map(PathBuf::as_path).collect();
    let mut found = Vec::new();
    let mut pending = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        // Only a directory no environment owns can be abandoned; its files are looked at.
        let candidate = dir != root && !keep.contains(dir.as_path());
        let mut generated = false;
        for entry in entries {
            let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() && depth < ORPHAN_DEPTH {
                pending.push((path, depth + 1));
            } else if candidate
                && !generated
                && kind.is_file()
                && path.extension().is_some_and(|e| e == "yaml")
            {
                let mut head = vec![0; HEADER.len()];
                let n = fs::File::open(&path)
                    .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                    .unwrap_or(0);
                generated = n == HEADER.len() && head == HEADER.as_bytes();
            }
        }
        if generated {
            found.push(dir);
        }
    }
    found.sort();
    Ok(found)
}

/// What removing an abandoned environment directory would delete: its generated files.
pub fn plan_removal(dir: &Path) -> Result<Vec<Change>> {
    plan(
        dir,
        &Bundle {
            files: Vec::new(),
            needs: Vec::new(),
            patched: Vec::new(),
        },
        false,
    )
}

/// Removes the generated files of an abandoned environment directory (never any other
/// file), and the directory itself when that leaves it empty.
pub fn remove_orphan(dir: &Path) -> Result<Report> {
    let report = write(
        dir,
        &Bundle {
            files: Vec::new(),
            needs: Vec::new(),
            patched: Vec::new(),
        },
        false,
    )?;
    if fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none()) {
        fs::remove_dir(dir).with_context(|| format!("removing empty {}", dir.display()))?;
    }
    Ok(report)
}

/// Writes data to stdout; a closed pipe is not an error.
pub fn print(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Other(
            anyhow::Error::new(e).context("writing to stdout"),
        )),
    }
}

/// The files agentctl generated under `dir`, recursively (symlinks and other files skipped):
/// each path relative to `dir` (`/`-separated), with its content, sorted. A missing `dir` has
/// none.
pub fn generated_tree(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let entry = entry.with_context(|| format!("reading {}", d.display()))?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let Ok(text) = fs::read_to_string(&path) else {
                    continue;
                };
                if is_generated(&text) {
                    let rel = path.strip_prefix(dir).unwrap_or(&path);
                    let rel: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    out.push((rel.join("/"), text));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::input::layers::Inputs;
    use crate::render::Renderer;

    fn bundle() -> Bundle {
        let renderer = Renderer::new().expect("templates");
        crate::pipeline::build(&renderer, &Inputs::default())
            .expect("defaults render")
            .1
    }

    fn refusal(e: &anyhow::Error) -> Option<&Refusal> {
        e.downcast_ref::<Refusal>()
    }

    #[test]
    fn refusals_are_typed_kinds() {
        let bundle = bundle();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(&bundle.files[0].name), "mine\n").unwrap();
        let e = write(&dir, &bundle, false).unwrap_err();
        assert!(matches!(refusal(&e), Some(Refusal::ForeignFiles(f)) if f.len() == 1));

        let file = tmp.path().join("a-file");
        fs::write(&file, "x").unwrap();
        let e = write(&file, &bundle, false).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::NotADirectory(file)));

        fs::create_dir(tmp.path().join("repo")).unwrap();
        fs::create_dir(tmp.path().join("repo/.git")).unwrap();
        let e = write(&tmp.path().join("repo"), &bundle, false).unwrap_err();
        assert!(matches!(refusal(&e), Some(Refusal::RepositoryRoot(_))));
    }
}
