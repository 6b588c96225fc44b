//! Opening a file below a directory without ever leaving it: how a project file's
//! `overrides:` are read. The project's directory is opened once by its path; from that handle
//! the override path is walked one component at a time with `openat(O_NOFOLLOW)`, and agentctl
//! resolves each symbolic link itself (`readlinkat`): a relative link is followed while it stays
//! below the directory, a `..` (written, or inside a link's target) that would climb above it,
//! or a link to an absolute path, is refused before anything is read. Every step is relative to
//! a handle already opened, so swapping a directory or a file for a symlink between a check and
//! the read cannot redirect the read outside (the race that checking a canonicalized path and
//! then opening it by name would leave open). What it cannot see: a hard link inside the
//! directory to a file outside it is that file (git cannot check one out; see the README).
//! Unix only, like the output stage's `nofollow`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;

/// Most symbolic links followed in one path, as the kernel's own limit (`ELOOP`).
const MAX_LINKS: usize = 40;

/// Why a path could not be opened below its directory.
#[derive(Debug)]
pub enum Refused {
    /// The path leaves the directory; the reason, for the message (e.g. "`conf` is a symbolic
    /// link out of it (to `/etc`)").
    Escapes(String),
    /// The path stays inside but cannot be opened; `at` is the part walked so far.
    Io(std::io::Error),
}

/// A file opened below a directory, with its identity (device, inode) so a file listed twice
/// (or through two names) is read once.
#[derive(Debug)]
pub struct Opened {
    /// The open file (read-only, non-blocking, not a controlling terminal).
    pub file: File,
    /// Device and inode of the file.
    pub id: (u64, u64),
}

/// Opens `rel` below `root` for reading, refusing any way out of `root` (see the module
/// documentation). `root` itself is opened by its path, symlinks in it followed: the user
/// named it. The result is whatever `rel` names (a regular file, a directory, a FIFO opened
/// without blocking); the caller checks its kind on the handle.
pub fn open(root: &Path, rel: &Path) -> Result<Opened, Refused> {
    if rel.has_root() {
        return Err(Refused::Escapes("it is an absolute path".into()));
    }
    // A `..` that climbs out as written is refused before anything is touched.
    let mut depth = 0usize;
    for c in components(rel) {
        if c == ".." {
            depth = depth
                .checked_sub(1)
                .ok_or_else(|| Refused::Escapes("`..` climbs out of it".into()))?;
        } else {
            depth += 1;
        }
    }
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let base = rustix::fs::openat(CWD, root, dir_flags, Mode::empty()).map_err(io)?;
    // The directories walked into, the root first; `..` pops (never past the root).
    let mut stack: Vec<OwnedFd> = vec![base];
    // Each name still to walk, with the link (path, target) whose target it comes from.
    let mut pending: VecDeque<(OsString, Option<Via>)> =
        components(rel).into_iter().map(|c| (c, None)).collect();
    let mut walked = PathBuf::new();
    let mut links = 0;
    while let Some((name, via)) = pending.pop_front() {
        if name == ".." {
            if stack.len() == 1 {
                return Err(Refused::Escapes(match via.as_deref() {
                    Some((link, target)) => format!(
                        "`{}` is a symbolic link out of it (to `{}`)",
                        link.display(),
                        target.display()
                    ),
                    None => "`..` climbs out of it".into(),
                }));
            }
            stack.pop();
            walked.pop();
            continue;
        }
        let last = pending.is_empty();
        let flags = if last {
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
        } else {
            dir_flags
        } | OFlags::NOFOLLOW;
        let Some(here) = stack.last() else {
            return Err(io(Errno::BADF));
        };
        match rustix::fs::openat(here, name.as_os_str(), flags, Mode::empty()) {
            Ok(fd) if last => {
                let stat = rustix::fs::fstat(&fd).map_err(io)?;
                return Ok(Opened {
                    file: File::from(fd),
                    id: (stat.st_dev, stat.st_ino),
                });
            }
            Ok(fd) => {
                stack.push(fd);
                walked.push(&name);
            }
            Err(e @ (Errno::LOOP | Errno::NOTDIR | Errno::MLINK)) => {
                // O_NOFOLLOW refuses a symlink with ELOOP (EMLINK on some BSDs; ENOTDIR with
                // O_DIRECTORY): read it and follow it ourselves, or report the real error.
                let target = match rustix::fs::readlinkat(here, name.as_os_str(), Vec::new()) {
                    Ok(t) => PathBuf::from(OsString::from_vec(t.into_bytes())),
                    Err(_) => return Err(io(e)),
                };
                links += 1;
                let link = walked.join(&name);
                if links > MAX_LINKS {
                    return Err(Refused::Io(std::io::Error::other(format!(
                        "more than {MAX_LINKS} symbolic links on the way (`{}` loops)",
                        link.display()
                    ))));
                }
                if target.has_root() {
                    return Err(Refused::Escapes(format!(
                        "`{}` is a symbolic link to an absolute path (`{}`)",
                        link.display(),
                        target.display()
                    )));
                }
                // A `..` that leads out is blamed on the link whose target holds it.
                let via = std::rc::Rc::new((link, target.clone()));
                for c in components(&target).into_iter().rev() {
                    pending.push_front((c, Some(std::rc::Rc::clone(&via))));
                }
            }
            Err(e) => return Err(io(e)),
        }
    }
    // The path named the root or a directory reached by `..`: hand back that directory.
    let Some(fd) = stack.pop() else {
        return Err(io(Errno::BADF));
    };
    let stat = rustix::fs::fstat(&fd).map_err(io)?;
    Ok(Opened {
        file: File::from(fd),
        id: (stat.st_dev, stat.st_ino),
    })
}

/// A symbolic link on the way (its path as walked, its target).
type Via = std::rc::Rc<(PathBuf, PathBuf)>;

/// Opens `path` for reading as the user named it, symlinks followed (`--allow-outside-project`),
/// without blocking on a FIFO; the caller checks its kind on the handle.
pub fn open_anywhere(path: &Path) -> Result<Opened, Refused> {
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(io)?;
    let stat = rustix::fs::fstat(&fd).map_err(io)?;
    Ok(Opened {
        file: File::from(fd),
        id: (stat.st_dev, stat.st_ino),
    })
}

/// The components of a relative path as names (`.` dropped, `..` kept as `..`).
fn components(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_owned()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .filter(|n| !n.as_bytes().is_empty())
        .collect()
}

fn io(e: Errno) -> Refused {
    Refused::Io(std::io::Error::from(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("proj/envs")).unwrap();
        std::fs::write(d.path().join("proj/envs/prod.yaml"), "a: 1\n").unwrap();
        std::fs::write(d.path().join("secret"), "token\n").unwrap();
        d
    }

    fn escapes(root: &Path, rel: &str) -> String {
        match open(root, Path::new(rel)) {
            Err(Refused::Escapes(why)) => why,
            other => panic!("{rel}: {other:?}"),
        }
    }

    #[test]
    fn links_inside_are_followed_links_out_are_refused() {
        let d = tree();
        let proj = d.path().join("proj");
        symlink("envs", proj.join("e")).unwrap();
        symlink("envs/../envs/prod.yaml", proj.join("p.yaml")).unwrap();
        symlink("../secret", proj.join("s.yaml")).unwrap();
        symlink("..", proj.join("up")).unwrap();
        symlink(d.path().join("secret"), proj.join("abs.yaml")).unwrap();
        symlink("loop", proj.join("loop")).unwrap();
        assert!(open(&proj, Path::new("e/prod.yaml")).is_ok());
        assert!(open(&proj, Path::new("p.yaml")).is_ok());
        assert!(open(&proj, Path::new("envs/../envs/./prod.yaml")).is_ok());
        assert_eq!(
            escapes(&proj, "s.yaml"),
            "`s.yaml` is a symbolic link out of it (to `../secret`)"
        );
        symlink("s.yaml", proj.join("chain.yaml")).unwrap();
        assert_eq!(
            escapes(&proj, "chain.yaml"),
            "`s.yaml` is a symbolic link out of it (to `../secret`)"
        );
        assert_eq!(
            escapes(&proj, "up/secret"),
            "`up` is a symbolic link out of it (to `..`)"
        );
        assert_eq!(
            escapes(&proj, "e/../up/secret"),
            "`up` is a symbolic link out of it (to `..`)"
        );
        assert!(escapes(&proj, "abs.yaml").contains("absolute path"));
        assert_eq!(escapes(&proj, "envs/../../secret"), "`..` climbs out of it");
        assert_eq!(escapes(&proj, "e/../../secret"), "`..` climbs out of it");
        assert_eq!(
            escapes(&proj, "nothere/../../secret"),
            "`..` climbs out of it"
        );
        assert!(matches!(
            open(&proj, Path::new("loop")),
            Err(Refused::Io(_))
        ));
        // The same file by two names has one identity.
        let a = open(&proj, Path::new("e/prod.yaml")).unwrap();
        let b = open(&proj, Path::new("envs/prod.yaml")).unwrap();
        assert_eq!(a.id, b.id);
    }
}
