//! Directories opened by handle, never through a symlink: the file-system calls of the output
//! directory.
//!
//! The root of a write (`-o DIR`) is opened once by its path (the user named it, symlinks in
//! that path included); everything below it is reached from that handle one component at a
//! time with `openat(O_NOFOLLOW)`, so a symlink anywhere under the root is seen as a symlink and
//! refused, never followed, and a directory swapped for a symlink between the check and the
//! write cannot redirect a write outside (the handle stays on the directory that was checked).
//! Files are read with `O_NOFOLLOW`, staged with `O_CREAT|O_EXCL`, renamed and removed relative
//! to their directory's handle. The lock of a directory is an advisory lock on its handle; the
//! holder, once it is about to change the directory, writes who it is (pid and command line) in
//! [`LOCK_INFO`] so a waiting run can say
//! whom it waits for. Unix only, like the rest of the output stage.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

/// The file in a locked directory that names the run holding the lock.
pub const LOCK_INFO: &str = ".agentctl.lock";

/// Prefix and suffix of the temporary files agentctl stages beside their targets; a killed
/// run leaves them, the next run that locks the directory removes them.
pub const TMP_PREFIX: &str = ".agentctl-";
/// See [`TMP_PREFIX`].
pub const TMP_SUFFIX: &str = ".tmp";

/// Whether `name` is one of agentctl's temporary files: exactly the name [`Dir::stage`] gives
/// one, `.agentctl-PID-NANOS-N.tmp` (a process id, nine digits of nanoseconds, a counter), so
/// a file of the user's such as `.agentctl-notes.tmp` is never taken for one and removed.
pub fn is_tmp(name: &str) -> bool {
    let Some(middle) = name
        .strip_prefix(TMP_PREFIX)
        .and_then(|n| n.strip_suffix(TMP_SUFFIX))
    else {
        return false;
    };
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    match middle.split('-').collect::<Vec<_>>().as_slice() {
        [pid, nanos, n] => digits(pid, 1..=10) && digits(nanos, 9..=9) && digits(n, 1..=20),
        _ => false,
    }
}

/// The most bytes of a lock note agentctl reads: [`Lock::announce`] writes one line naming
/// the process and its command line.
const MAX_NOTE_BYTES: u64 = 64 * 1024;

/// Whether `bytes` are a lock note as [`Lock::announce`] writes one: `pid N: COMMAND LINE`
/// and a line end, nothing else.
fn is_note(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let Some(body) = text.strip_prefix("pid ").and_then(|t| t.strip_suffix('\n')) else {
        return false;
    };
    let Some((pid, _)) = body.split_once(": ") else {
        return false;
    };
    !pid.is_empty() && pid.len() <= 10 && pid.bytes().all(|b| b.is_ascii_digit())
}

/// What a directory entry is, without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed).
    Symlink,
    /// A FIFO, socket, device.
    Other,
}

fn kind_of(t: FileType) -> Kind {
    match t {
        FileType::RegularFile => Kind::File,
        FileType::Directory => Kind::Dir,
        FileType::Symlink => Kind::Symlink,
        _ => Kind::Other,
    }
}

/// An open directory and the path it was reached by (for messages).
#[derive(Debug)]
pub struct Dir {
    file: File,
    /// The path, as shown in messages.
    pub path: PathBuf,
}

/// A directory [`Dir::create`] made: its components below the starting directory, and its
/// path as shown.
pub type Created = (Vec<String>, PathBuf);

/// Where a walk below a directory stopped.
#[derive(Debug)]
pub enum Walk {
    /// Every component exists and is a directory.
    Found(Dir),
    /// This path (and everything after it) does not exist.
    Missing(PathBuf),
    /// This path is a symlink.
    Symlink(PathBuf),
    /// This path exists and is not a directory.
    NotADirectory(PathBuf),
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW);

impl Dir {
    /// Opens the root of a write by its path (symlinks in the path the user gave are
    /// followed), to be shown as `shown`; `None` if it does not exist.
    pub fn open_root(path: &Path, shown: &Path) -> std::io::Result<Option<Dir>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Dir {
                file: File::from(fd),
                path: shown.to_owned(),
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// What `name` in this directory is, not following a symlink; `None` if absent.
    pub fn kind(&self, name: &str) -> std::io::Result<Option<Kind>> {
        match rustix::fs::statat(&self.file, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(kind_of(FileType::from_raw_mode(st.st_mode)))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The subdirectory `name`, never through a symlink.
    fn child(&self, name: &str) -> std::io::Result<Walk> {
        let path = self.path.join(name);
        match rustix::fs::openat(&self.file, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(Walk::Found(Dir {
                file: File::from(fd),
                path,
            })),
            Err(Errno::NOENT) => Ok(Walk::Missing(path)),
            Err(Errno::LOOP | Errno::NOTDIR) => Ok(match self.kind(name)? {
                Some(Kind::Symlink) => Walk::Symlink(path),
                None => Walk::Missing(path),
                Some(_) => Walk::NotADirectory(path),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Walks `rel` (plain names) below this directory without following any symlink.
    pub fn walk(&self, rel: &[String]) -> std::io::Result<Walk> {
        let mut cur: Option<Dir> = None;
        for name in rel {
            let from = cur.as_ref().unwrap_or(self);
            match from.child(name)? {
                Walk::Found(d) => cur = Some(d),
                other => return Ok(other),
            }
        }
        Ok(Walk::Found(match cur {
            Some(d) => d,
            None => self.try_clone()?,
        }))
    }

    /// Walks `rel`, creating missing directories; returns the directory and the paths it
    /// created (outermost first). A symlink or a file in the way is an error.
    pub fn create(&self, rel: &[String]) -> std::io::Result<(Dir, Vec<Created>)> {
        let mut cur = self.try_clone()?;
        let mut created = Vec::new();
        for (i, name) in rel.iter().enumerate() {
            match cur.child(name)? {
                Walk::Found(d) => cur = d,
                Walk::Missing(path) => {
                    match rustix::fs::mkdirat(&cur.file, name.as_str(), Mode::from_raw_mode(0o755))
                    {
                        Ok(()) => created.push((rel[..=i].to_vec(), path)),
                        Err(Errno::EXIST) => {}
                        Err(e) => return Err(e.into()),
                    }
                    cur = match cur.child(name)? {
                        Walk::Found(d) => d,
                        _ => return Err(unsafe_component(&cur.path.join(name))),
                    };
                }
                Walk::Symlink(p) | Walk::NotADirectory(p) => return Err(unsafe_component(&p)),
            }
        }
        Ok((cur, created))
    }

    fn try_clone(&self) -> std::io::Result<Dir> {
        Ok(Dir {
            file: self.file.try_clone()?,
            path: self.path.clone(),
        })
    }

    /// The entries of this directory (not `.`/`..`), with what each is.
    pub fn entries(&self) -> std::io::Result<Vec<(String, Kind)>> {
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.file)? {
            let entry = entry?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            let name = name.to_string_lossy().into_owned();
            if name == "." || name == ".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => self.kind(&name)?.unwrap_or(Kind::Other),
                t => kind_of(t),
            };
            out.push((name, kind));
        }
        out.sort();
        Ok(out)
    }

    /// The bytes of the regular file `name`; a symlink or a special file is an error (never
    /// followed, never opened: a FIFO would block).
    pub fn read(&self, name: &str) -> std::io::Result<Vec<u8>> {
        match self.kind(name)? {
            Some(Kind::File) => {}
            _ => {
                return Err(std::io::Error::other(format!(
                    "{name} is not a regular file"
                )));
            }
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let mut file = File::from(rustix::fs::openat(&self.file, name, flags, Mode::empty())?);
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// The bytes of the regular file `name`, as [`Dir::read`], but at most `limit + 1` of
    /// them: a longer file is never read whole (the caller refuses it by its length).
    pub fn read_limited(&self, name: &str, limit: u64) -> std::io::Result<Vec<u8>> {
        match self.kind(name)? {
            Some(Kind::File) => {}
            _ => {
                return Err(std::io::Error::other(format!(
                    "{name} is not a regular file"
                )));
            }
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let file = File::from(rustix::fs::openat(&self.file, name, flags, Mode::empty())?);
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Writes `bytes` to a new temporary file in this directory (mode 0644), not yet synced:
    /// the writer syncs a whole batch at once (`writer::sync_batch`) before the first rename.
    /// Returns its name.
    pub fn stage(&self, bytes: &[u8]) -> std::io::Result<String> {
        fault("stage")?;
        self.stage_raw(bytes)
    }

    /// [`Dir::stage`] for the lock note (nothing depends on it surviving a crash).
    fn stage_unsynced(&self, bytes: &[u8]) -> std::io::Result<String> {
        self.stage_raw(bytes)
    }

    /// Flushes the regular file `name` in this directory to disk (never through a symlink):
    /// the portable way to make a staged file durable, one file at a time.
    pub fn sync_file(&self, name: &str) -> std::io::Result<()> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        File::from(rustix::fs::openat(&self.file, name, flags, Mode::empty())?).sync_all()
    }

    /// The file system this directory is on (`st_dev`): one [`Dir::sync_fs`] per file system
    /// covers every directory on it.
    pub fn device(&self) -> std::io::Result<u64> {
        Ok(rustix::fs::fstat(&self.file)?.st_dev)
    }

    /// Flushes every file and directory entry of the file system this directory is on, in one
    /// call (Linux `syncfs`; Linux 5.8 and later report a write-back error of any file on it).
    /// Elsewhere: `Unsupported`, and the caller syncs file by file.
    pub fn sync_fs(&self) -> std::io::Result<()> {
        fault("sync")?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            rustix::fs::syncfs(&self.file)?;
            Ok(())
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            Err(std::io::ErrorKind::Unsupported.into())
        }
    }

    fn stage_raw(&self, bytes: &[u8]) -> std::io::Result<String> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!(
                "{TMP_PREFIX}{}-{nanos:09}-{n}{TMP_SUFFIX}",
                std::process::id()
            );
            let fd = match rustix::fs::openat(
                &self.file,
                name.as_str(),
                flags,
                Mode::from_raw_mode(0o644),
            ) {
                Ok(fd) => fd,
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            };
            let mut file = File::from(fd);
            let written = (|| {
                use std::os::unix::fs::PermissionsExt;
                file.write_all(bytes)?;
                file.set_permissions(std::fs::Permissions::from_mode(0o644))
            })();
            if let Err(e) = written {
                let _ = self.remove_file(&name);
                return Err(e);
            }
            return Ok(name);
        }
    }

    /// Renames `from` over `to` in this directory (atomic; a symlink at `to` is replaced,
    /// never followed).
    pub fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
        fault("rename")?;
        rustix::fs::renameat(&self.file, from, &self.file, to)?;
        Ok(())
    }

    /// Removes the file `name` (a symlink itself, never its target).
    pub fn remove_file(&self, name: &str) -> std::io::Result<()> {
        fault("remove")?;
        rustix::fs::unlinkat(&self.file, name, AtFlags::empty())?;
        Ok(())
    }

    /// Removes the empty subdirectory `name`; `false` if it is not empty.
    pub fn remove_empty_dir(&self, name: &str) -> std::io::Result<bool> {
        match rustix::fs::unlinkat(&self.file, name, AtFlags::REMOVEDIR) {
            Ok(()) => Ok(true),
            Err(Errno::NOTEMPTY | Errno::EXIST) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Flushes this directory's entries (renames, removals) to disk.
    pub fn sync(&self) -> std::io::Result<()> {
        self.file.sync_all()
    }

    /// Locks this directory for the life of the returned guard: exclusively (a writer, which
    /// says who it is in [`LOCK_INFO`]) or shared (a reader, `diff`). Waits up to
    /// `wait.timeout`, telling the user once whom it waits for.
    pub fn lock(&self, exclusive: bool, wait: &Wait) -> Result<Lock, Contended> {
        let attempt = || {
            if exclusive {
                self.file.try_lock()
            } else {
                self.file.try_lock_shared()
            }
        };
        let start = Instant::now();
        let mut told = false;
        loop {
            match attempt() {
                Ok(()) => break,
                Err(std::fs::TryLockError::Error(e)) => return Err(Contended::Io(e)),
                Err(std::fs::TryLockError::WouldBlock) => {}
            }
            let holder = self.holder();
            if start.elapsed() >= wait.timeout {
                return Err(Contended::TimedOut(holder));
            }
            if !told && !wait.quiet {
                crate::sayln!(
                    "waiting for {holder}, which holds the lock on {} (giving up after {}s: --lock-timeout)",
                    self.path.display(),
                    wait.timeout.as_secs()
                );
                told = true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Lock {
            dir: self.try_clone().map_err(Contended::Io)?,
            exclusive,
            noted: std::sync::atomic::AtomicBool::new(false),
            tried: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Removes this run's lock note early (before removing the directory it is in).
    pub fn drop_note(&self) {
        self.remove_note();
    }

    /// Whether [`LOCK_INFO`] here is absent (`Some(false)`) or agentctl's own note, a regular
    /// file in the form [`Lock::announce`] writes (`Some(true)`); `None` for anything else
    /// under that name (a file of the user's, a symlink, a directory): never replaced, never
    /// removed.
    fn note_here(&self) -> Option<bool> {
        match self.kind(LOCK_INFO) {
            Ok(None) => Some(false),
            Ok(Some(Kind::File)) => self
                .read_limited(LOCK_INFO, MAX_NOTE_BYTES)
                .ok()
                .filter(|b| b.len() as u64 <= MAX_NOTE_BYTES && is_note(b))
                .map(|_| true),
            _ => None,
        }
    }

    /// Removes [`LOCK_INFO`] if it is agentctl's note ([`Dir::note_here`]), else leaves it.
    fn remove_note(&self) {
        if self.note_here() == Some(true) {
            let _ = rustix::fs::unlinkat(&self.file, LOCK_INFO, AtFlags::empty());
        }
    }

    /// Who holds the lock, as the holder wrote it.
    fn holder(&self) -> String {
        self.read_limited(LOCK_INFO, MAX_NOTE_BYTES)
            .ok()
            .filter(|b| is_note(b))
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .filter(|s| !s.is_empty() && s.len() < 4096)
            .map(|s| printable(&s))
            .unwrap_or_else(|| "another agentctl run (a `diff`, or one that did not say)".into())
    }
}

/// A held lock; dropping it removes the holder's note (if it wrote one) and releases the lock.
#[derive(Debug)]
pub struct Lock {
    dir: Dir,
    exclusive: bool,
    /// Whether [`Lock::announce`] wrote the note.
    noted: std::sync::atomic::AtomicBool,
    /// Whether [`Lock::announce`] was called (it tries once).
    tried: std::sync::atomic::AtomicBool,
}

impl Lock {
    /// Writes who holds this (exclusive) lock into [`LOCK_INFO`], for a run that waits on it;
    /// once. Called by a writer only when it is about to change the directory: a run that
    /// finds everything up to date writes nothing at all, not even the note (a waiter then
    /// says "another agentctl run"). Best effort and not synced: the lock is what serializes
    /// runs, the note only names the holder and is removed when the lock is released.
    pub fn announce(&self) {
        if !self.exclusive || self.tried.swap(true, Ordering::Relaxed) {
            return;
        }
        // Only over agentctl's own note (a stale one a killed run left): a file of the user's
        // by that name, or a symlink, is left as it is, and no note is written.
        if self.dir.note_here().is_none() {
            return;
        }
        let me = format!("pid {}: {}\n", std::process::id(), command_line());
        if let Ok(name) = self.dir.stage_unsynced(me.as_bytes()) {
            if rustix::fs::renameat(&self.dir.file, name.as_str(), &self.dir.file, LOCK_INFO)
                .is_ok()
            {
                self.noted.store(true, Ordering::Relaxed);
            } else {
                let _ = rustix::fs::unlinkat(&self.dir.file, name.as_str(), AtFlags::empty());
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if self.noted.load(Ordering::Relaxed) {
            self.dir.remove_note();
        }
    }
}

/// How long to wait for another run's lock, and whether to say so.
#[derive(Debug, Clone, Copy)]
pub struct Wait {
    /// Give up after this long.
    pub timeout: Duration,
    /// Do not print the "waiting for" line.
    pub quiet: bool,
}

impl Wait {
    /// Waits up to `seconds`, saying so unless `quiet`.
    pub fn seconds(seconds: u64, quiet: bool) -> Wait {
        Wait {
            timeout: Duration::from_secs(seconds),
            quiet,
        }
    }
}

/// Why a lock was not taken.
#[derive(Debug)]
pub enum Contended {
    /// Another run held it for the whole wait; who, as it said.
    TimedOut(String),
    /// Locking failed.
    Io(std::io::Error),
}

/// This process's command line, for the lock note.
fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` with control characters (terminal escapes included) shown escaped.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn unsafe_component(path: &Path) -> std::io::Error {
    std::io::Error::other(format!(
        "{} is a symlink or not a directory; agentctl never follows a symlink under the output directory",
        path.display()
    ))
}

/// Fault injection for the tests of the mid-write exit path, in debug builds only:
/// `AGENTCTL_TEST_FAULT=rename:N` (or `remove:N`) makes the N-th such call fail with an I/O
/// error, as a full or failing disk would. Release builds ignore it.
fn fault(op: &str) -> std::io::Result<()> {
    #[cfg(debug_assertions)]
    {
        static CALLS: AtomicU64 = AtomicU64::new(0);
        if let Ok(spec) = std::env::var("AGENTCTL_TEST_FAULT")
            && let Some((what, n)) = spec.split_once(':')
            && what == op
            && let Ok(n) = n.parse::<u64>()
            && CALLS.fetch_add(1, Ordering::SeqCst) + 1 == n
        {
            return Err(std::io::Error::other(
                "injected I/O error (AGENTCTL_TEST_FAULT)",
            ));
        }
    }
    let _ = op;
    Ok(())
}
