//! The memo of a single `render -o DIR` (issue 26's fast path): what its inputs were, the
//! files it left in `DIR` and what it printed, kept in the user's cache directory, so that a
//! later render of the same inputs into the same directory can show that nothing changed
//! without rendering again.
//!
//! The memo lives outside the output directory (`$XDG_CACHE_HOME/agentctl/render/`, else
//! `~/.cache/agentctl/render/`, mode 0700), one file per output directory (named by the
//! SHA-256 of its resolved path): an output directory is committed, and a record committed
//! beside it could be forged by the same pull request that forges the files (issue 20), which
//! would make a render leave forged files in place. A memo is only a shortcut: anything it
//! cannot prove sends the render down the full path, which then writes a new memo. It is
//! written without a sync (a torn memo does not parse, and is then ignored), and only when it
//! changes. [`verify`] holds `DIR` to exactly the memo's files: each a regular file with the
//! recorded SHA-256, nothing else in the directory (a stale, foreign or temporary file, a
//! lock note, a subdirectory, a symlink: the full path decides), under the same exclusive lock
//! a write takes, not waited for. A memo counts only when this user alone could have written
//! it (file and directory owned by the effective user, writable by no one else), opened
//! without following a link or blocking, and never inside `DIR`. Must not decide what a render
//! is.
//!
//! A project render (`render --all`/`--env -o ROOT`) keeps a [`ProjectMemo`] of `ROOT`, in a
//! file of its own (named by the SHA-256 of `project` and the resolved root): the digest of
//! the project file and every file it read, the record at the root, and each environment
//! directory's exact files. [`verify_project`] holds `ROOT` to it under the root's lock, each
//! environment directory reached from the root without following a link.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::nofollow::{Dir, Kind, Wait};
use super::{MAX_READ_BYTES, guard};
use crate::input::reads::{Read, sha256_hex};

/// The memo's format version.
pub const VERSION: u32 = 1;

/// The largest memo read (bytes): a project of 1,000 environments of 20 files each fits.
const MAX_MEMO_BYTES: u64 = 16 << 20;

/// What a single render into a directory did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Memo {
    /// [`VERSION`].
    pub version: u32,
    /// The SHA-256 of everything else the render depended on: the binary, the command line,
    /// the environment variables that matter, the current directory (see the caller).
    pub context: String,
    /// Every file the render read, as read.
    pub reads: Vec<Read>,
    /// Every file it left in the directory, with the SHA-256 of its bytes.
    pub files: Vec<(String, String)>,
    /// What it printed on stderr before its summary (lint warnings, notes).
    pub said: String,
}

/// What a project render into a root did (see the module's paragraph).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectMemo {
    /// [`VERSION`].
    pub version: u32,
    /// As [`Memo::context`].
    pub context: String,
    /// The SHA-256 of the project file's path and text and of every file it read, as read.
    pub project: String,
    /// Every other file the renders read (CRD files), each once, sorted.
    pub reads: Vec<Read>,
    /// Files at the root the renders depend on (the record), with the SHA-256 of their bytes.
    pub root: Vec<(String, String)>,
    /// Each environment directory (`/`-separated, below the root) and its exact files.
    pub dirs: Vec<(String, Vec<(String, String)>)>,
    /// What an up-to-date run prints on stderr (warnings, then the summary), not counting the
    /// `--set` note.
    pub said: String,
    /// What it prints after the `--set` note.
    pub summary: String,
}

/// Where the memos live: `$XDG_CACHE_HOME/agentctl/render`, else `$HOME/.cache/agentctl/render`
/// (both absolute); `None` without either.
fn home() -> Option<PathBuf> {
    let absolute = |v: Option<std::ffi::OsString>| {
        v.map(PathBuf::from)
            .filter(|p| p.is_absolute() && p.parent().is_some())
    };
    absolute(std::env::var_os("XDG_CACHE_HOME"))
        .or_else(|| absolute(std::env::var_os("HOME")).map(|h| h.join(".cache")))
        .map(|c| c.join("agentctl").join("render"))
}

/// The memo file of output directory `dir`: `None` when the memo directory is (or would be)
/// inside `dir`, where a memo could be committed with the files it vouches for.
fn path_of(dir: &Path) -> Option<PathBuf> {
    path_named(dir, "")
}

/// The memo file of a project render into `root`.
fn project_path_of(root: &Path) -> Option<PathBuf> {
    path_named(root, "project\0")
}

/// [`path_of`], the file's name the SHA-256 of `kind` and the resolved path.
fn path_named(dir: &Path, kind: &str) -> Option<PathBuf> {
    let resolved = guard::resolve(dir).ok()?;
    let home = home()?;
    // The memo directory as far as it exists, resolved: a link into `dir` counts as inside.
    let mut existing = home.as_path();
    let real = loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            break real;
        }
        existing = existing.parent()?;
    };
    if real.starts_with(&resolved) {
        return None;
    }
    let name = sha256_hex(&[kind.as_bytes(), resolved.as_os_str().as_encoded_bytes()].concat());
    Some(home.join(name))
}

/// Whether a file or directory with these metadata may vouch for a render of this user: owned
/// by the effective user, writable by no one else. A memo another user could write (a shared
/// or world-writable cache, a `sudo` run reading the invoking user's cache) could make a
/// render skip a changed input.
fn trusted(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    meta.uid() == rustix::process::geteuid().as_raw() && meta.mode() & 0o022 == 0
}

/// Whether the memo directory `parent` and the directory above it (`agentctl/`) are real
/// directories (not links) that are [`trusted`]: whoever could write to `agentctl/` could swap
/// `render/` for another directory of this user's.
fn trusted_dir(parent: &Path) -> bool {
    let real_and_trusted =
        |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir() && trusted(&m));
    real_and_trusted(parent) && parent.parent().is_some_and(real_and_trusted)
}

/// The memo of `dir`, if there is one that reads and that only this user could have written:
/// opened without following a link and without blocking (a FIFO in its place is not waited
/// on), a regular file.
pub fn load(dir: &Path) -> Option<Memo> {
    let memo: Memo = load_from(&path_of(dir)?)?;
    (memo.version == VERSION).then_some(memo)
}

/// The memo of a project render into `root`, as [`load`].
pub fn load_project(root: &Path) -> Option<ProjectMemo> {
    let memo: ProjectMemo = load_from(&project_path_of(root)?)?;
    (memo.version == VERSION).then_some(memo)
}

fn load_from<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if !trusted_dir(path.parent()?) {
        return None;
    }
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || !trusted(&meta) {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_MEMO_BYTES).read_to_end(&mut bytes).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Keeps `memo` for `dir` (best effort: a memo that cannot be written only costs the next run
/// its shortcut); nothing is written when the same memo is there.
pub fn save(dir: &Path, memo: &Memo) {
    if load(dir).as_ref() != Some(memo)
        && let Some(path) = path_of(dir)
    {
        save_to(&path, memo);
    }
}

/// Keeps `memo` for a project render into `root`, as [`save`].
pub fn save_project(root: &Path, memo: &ProjectMemo) {
    if load_project(root).as_ref() != Some(memo)
        && let Some(path) = project_path_of(root)
    {
        save_to(&path, memo);
    }
}

fn save_to<T: Serialize>(path: &Path, memo: &T) {
    let Some(parent) = path.parent() else { return };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    if builder.create(parent).is_err() || !trusted_dir(parent) {
        return;
    }
    let Ok(bytes) = serde_json::to_vec(memo) else {
        return;
    };
    let staged = tempfile::Builder::new()
        .prefix(".memo-")
        .tempfile_in(parent)
        .and_then(|mut tmp| {
            std::io::Write::write_all(&mut tmp, &bytes)?;
            Ok(tmp)
        });
    if let Ok(tmp) = staged {
        let _ = tmp.persist(path);
    }
}

/// Forgets the memo of `dir` (its directory is about to change in a way no memo describes).
pub fn forget(dir: &Path) {
    if let Some(path) = path_of(dir) {
        let _ = std::fs::remove_file(path);
    }
}

/// Forgets the memo of a project render into `root`.
pub fn forget_project(root: &Path) {
    if let Some(path) = project_path_of(root) {
        let _ = std::fs::remove_file(path);
    }
}

/// Whether `dir` holds exactly `files` (name, SHA-256 of the bytes), each a regular file, and
/// nothing else, checked under the directory's exclusive lock (not waited for: a held lock is
/// a write under way, for the full path to wait on). The root is reached as a write reaches
/// it, and a root a write would refuse is `false`.
pub fn verify(dir: &Path, files: &[(String, String)]) -> bool {
    let Some(root) = locked_root(dir) else {
        return false;
    };
    holds_exactly(&root.0, files)
}

/// Whether `root` holds what a project render left there: the root files of `files` as they
/// were (each a regular file with its SHA-256; nothing of a write under way or killed at the
/// root: no lock note, no temporary file), and each directory of `dirs`, reached from the root
/// without following a link, holding exactly its files ([`verify`]'s rule), all under the
/// root's exclusive lock and each directory's, none waited for. The directories are read on up to `threads`
/// threads.
pub fn verify_project(
    root: &Path,
    files: &[(String, String)],
    dirs: &[(String, Vec<(String, String)>)],
    threads: usize,
) -> bool {
    let Some((root, _lock)) = locked_root(root) else {
        return false;
    };
    let Ok(entries) = root.entries() else {
        return false;
    };
    if entries
        .iter()
        .any(|(name, _)| name == super::nofollow::LOCK_INFO || super::nofollow::is_tmp(name))
    {
        return false;
    }
    let same = |(name, sha): &(String, String)| {
        entries.iter().any(|(n, k)| n == name && *k == Kind::File)
            && root
                .read_limited(name, MAX_READ_BYTES)
                .is_ok_and(|b| b.len() as u64 <= MAX_READ_BYTES && sha256_hex(&b) == *sha)
    };
    if !files.iter().all(same) {
        return false;
    }
    crate::par::par_map(
        dirs,
        threads,
        |(rel, files)| {
            let parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
            if parts.iter().any(|p| p.is_empty() || p == "." || p == "..") {
                return false;
            }
            // Each directory's own lock too, not waited for, as a write takes it: a single
            // render or a `diff` of that directory under way sends the run down the full path,
            // which waits for it.
            matches!(root.walk(&parts), Ok(super::nofollow::Walk::Found(d))
                if d.lock(true, &Wait::seconds(0, true)).is_ok_and(|_lock| holds_exactly(&d, files)))
        },
        || false,
    )
    .into_iter()
    .all(|ok| ok)
}

/// The root of a write at `dir`, reached as a write reaches it, and its exclusive lock (not
/// waited for); `None` for a root a write would refuse or a lock held.
fn locked_root(dir: &Path) -> Option<(Dir, super::nofollow::Lock)> {
    let resolved = guard::resolve(dir).ok()?;
    guard::check(dir, &resolved).ok()?;
    let root = Dir::open_root(&resolved, dir).ok()??;
    let lock = root.lock(true, &Wait::seconds(0, true)).ok()?;
    Some((root, lock))
}

/// Whether the directory `d` holds exactly `files`, each a regular file with its SHA-256.
fn holds_exactly(d: &Dir, files: &[(String, String)]) -> bool {
    let Ok(entries) = d.entries() else {
        return false;
    };
    if entries.len() != files.len() {
        return false;
    }
    let mut expected: Vec<&(String, String)> = files.iter().collect();
    expected.sort();
    entries
        .iter()
        .zip(expected)
        .all(|((name, kind), (want, sha))| {
            name == want
                && *kind == Kind::File
                && d.read_limited(name, MAX_READ_BYTES)
                    .is_ok_and(|b| b.len() as u64 <= MAX_READ_BYTES && sha256_hex(&b) == *sha)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_holds_exactly_its_files_or_it_is_not_verified() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a.yaml"), "a\n").unwrap();
        std::fs::write(dir.join("b.yaml"), "b\n").unwrap();
        let files = vec![
            ("b.yaml".to_owned(), sha256_hex(b"b\n")),
            ("a.yaml".to_owned(), sha256_hex(b"a\n")),
        ];
        assert!(verify(&dir, &files));
        std::fs::write(dir.join("c.yaml"), "c\n").unwrap();
        assert!(!verify(&dir, &files), "a file more");
        std::fs::remove_file(dir.join("c.yaml")).unwrap();
        std::fs::write(dir.join("a.yaml"), "a \n").unwrap();
        assert!(!verify(&dir, &files), "a byte changed");
        std::fs::remove_file(dir.join("a.yaml")).unwrap();
        assert!(!verify(&dir, &files), "a file fewer");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("b.yaml"), dir.join("a.yaml")).unwrap();
            assert!(!verify(&dir, &files), "a symlink in place of a file");
        }
        assert!(!verify(&tmp.path().join("absent"), &files));
    }
}
