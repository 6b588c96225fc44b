//! Output: the only module that touches the output directory.
//!
//! A write is planned completely before the first byte changes, under the locks it needs (one
//! exclusive lock on the root, `-o DIR`, for the whole run, and one on each environment's
//! directory; `diff` takes shared ones). Planning refuses the whole write on any problem: a
//! dangerous root ([`guard`], on the resolved path), a symlink anywhere below the root (every
//! directory is reached through [`nofollow`]'s handles, never through a symlink), a foreign
//! file in the way (unless `--force`), a second Kustomize file, another project's directory, a
//! record ([`state`]) that is not ours. Which recorded directories to clean up (`--all`) comes
//! from that record, never from a scan; which files in a directory are stale, from the names
//! agentctl generates and the header. Then every changed file of every directory is staged as
//! a temporary file beside its target, and the whole batch synced at once (an error here
//! undoes everything: exit 2), then each renamed over its target, atomically; stale files are
//! removed; the record is updated. An I/O error after the first rename is a `PartialWrite`
//! listing exactly what changed (exit 4). A write that changes nothing writes nothing.
//! Unchanged files are left alone (their mtimes stay). A file agentctl wrote is recognized by
//! its [`HEADER`] line, also after a byte-order mark and with CRLF line ends.
//!
//! Owns every write (the output directory, [`atomic`], [`files`] for `init` and man pages),
//! unified diffs ([`diff`]) and stdout ([`print()`]). Must not render, validate or decide what
//! the files contain.

pub mod atomic;
pub mod claims;
pub mod diff;
pub mod files;
pub mod git;
pub mod guard;
pub mod memo;
pub mod nofollow;
pub mod state;

mod plan;
mod writer;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::diag::Error;
use crate::render::bundle::{Bundle, HEADER};
pub use nofollow::Wait;
use nofollow::{Dir, Kind, Walk};
pub use plan::{Compared, compare};
use state::{STATE_FILE, State};
pub use writer::{Written, write};

/// What a write changed in one directory.
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
            crate::term::path_line(dir),
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
    /// Content on disk (None: absent); a generated file's line endings and byte-order mark
    /// are normalized (a checkout with CRLF is the same file).
    pub old: Option<String>,
    /// Content the bundle has (None: would be removed).
    pub new: Option<String>,
}

impl Change {
    fn is_noop(&self) -> bool {
        self.old == self.new
    }
}

/// The largest file agentctl reads back from an output directory, `--base-dir` or a commit
/// (`--base`), and the largest it writes: far more than any file it generates (a ConfigMap's
/// settings are at most 1 MiB, a Kubernetes object at most 1.5 MiB), so a larger file there is
/// not one agentctl wrote, and reading it whole would cost its size several times over.
/// It is the render's own bound ([`crate::render::size::MAX_FILE_BYTES`]): `render` refuses to
/// write a larger file, so every file agentctl writes is one it reads back.
pub const MAX_READ_BYTES: u64 = crate::render::size::MAX_FILE_BYTES;

/// The error for a file over [`MAX_READ_BYTES`] where agentctl reads its own output.
pub fn too_big(path: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{path} is larger than 16 MiB ({MAX_READ_BYTES} bytes), the most agentctl reads back from its output: agentctl refuses to write a file that large, so this one was written or grown by something else (or by an agentctl before that check); move it out of the output directory, or delete it if it is a stale render"
    )
}

/// The most agentctl reads back from one directory of an output directory, `--base-dir` or a
/// commit (`--base`), every file it reads there together: the render's own bound
/// ([`crate::render::size::MAX_DIR_BYTES`]: `render` refuses to write more into one directory),
/// so `diff` holds at most this much text per directory and side, whatever was committed.
pub const MAX_READ_DIR_BYTES: u64 = crate::render::size::MAX_DIR_BYTES;

/// The most agentctl reads back from one side of a comparison, every directory together: the
/// render's own bound on one run ([`crate::render::size::MAX_TOTAL_BYTES`]).
pub const MAX_READ_TOTAL_BYTES: u64 = crate::render::size::MAX_TOTAL_BYTES;

/// What has been read back, per directory (relative path, `""` the top) and in all: the error
/// of [`Budget::take`] once a directory's files pass [`MAX_READ_DIR_BYTES`], or everything read
/// on this side passes [`MAX_READ_TOTAL_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct Budget {
    read: std::collections::HashMap<String, u64>,
    total: u64,
}

impl Budget {
    /// A budget for another directory of the same side, `total` bytes read already.
    pub fn carrying(total: u64) -> Budget {
        Budget {
            total,
            ..Budget::default()
        }
    }

    /// Everything counted on this side so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Counts `len` bytes of the file `name` (relative, `/`-separated; its directory is what
    /// is counted), shown to the user as `shown`, within `root` (as the user named it).
    pub fn take(&mut self, root: &str, name: &str, shown: &str, len: u64) -> anyhow::Result<()> {
        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
        self.total = self.total.saturating_add(len);
        if self.total > MAX_READ_TOTAL_BYTES {
            return Err(anyhow::anyhow!(
                "{shown} ({len} bytes) brings the files agentctl reads back in this run to {} bytes, over 512 MiB ({MAX_READ_TOTAL_BYTES} bytes), the most it reads back from one side of a comparison: agentctl refuses to write that much in one run, so files there were written or grown by something else; move the files that are not agentctl's out of the output, delete stale renders, or compare fewer environments at a time (--env)",
                self.total
            ));
        }
        let total = self.read.entry(dir.to_owned()).or_default();
        *total += len;
        if *total <= MAX_READ_DIR_BYTES {
            return Ok(());
        }
        let at = if dir.is_empty() {
            root.to_owned()
        } else {
            format!("{}/{dir}", root.trim_end_matches('/'))
        };
        Err(anyhow::anyhow!(
            "{shown} ({len} bytes) brings the files agentctl reads back from {at} to {} bytes, over 32 MiB ({MAX_READ_DIR_BYTES} bytes), the most it reads back from one directory: agentctl refuses to write that much into one directory, so files there were written or grown by something else (or by an agentctl before that check); move the files that are not agentctl's out of the directory, delete stale renders, or split the extra objects over several environments (each renders into its own directory)",
            *total
        ))
    }
}

/// Names of a second Kustomize file that must not sit beside ours (kubectl refuses a
/// directory with more than one).
const OTHER_KUSTOMIZATIONS: &[&str] = &["kustomization.yml", "Kustomization"];

/// `text` without a leading byte-order mark and with CRLF line ends made LF.
fn normalized(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    text.replace("\r\n", "\n")
}

/// Whether a file's bytes are one agentctl generated (its first line is [`HEADER`], also
/// after a byte-order mark and with a CRLF line end).
pub fn is_generated(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let line = HEADER.trim_end_matches('\n').as_bytes();
    bytes.starts_with(line) && matches!(&bytes[line.len()..], [b'\n', ..] | [b'\r', b'\n', ..])
}

/// Whether the last component of `name` is one kustomize reads a directory's kustomization
/// from (`kustomization.yaml`, `kustomization.yml`, `Kustomization`).
pub(crate) fn kustomization_file(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name);
    last == "kustomization.yaml" || OTHER_KUSTOMIZATIONS.contains(&last)
}

/// Every file name agentctl can generate in an output directory: the only names it ever
/// removes as stale (a backup copy such as `deployment-old.yaml` is never touched).
fn generatable(name: &str) -> bool {
    crate::render::objects::object(name).is_some() || name == crate::render::patches::EXTRA_FILE
}

/// One directory to bring up to date: the bundle for an environment, or nothing (an
/// environment no longer in the project).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The environment's name (`None`: a single render).
    pub name: Option<&'a str>,
    /// The directory, as the user reaches it (`-o DIR` joined with the environment's `output`).
    pub dir: &'a Path,
    /// The files it must hold.
    pub bundle: &'a Bundle,
}

/// What a project write is for: the project file (its record in the root's state file) and
/// whether every environment was selected (only then are others cleaned up).
#[derive(Debug, Clone, Copy)]
pub struct Project<'a> {
    /// The project file.
    pub file: &'a Path,
    /// `--all`.
    pub all: bool,
}

/// A write or comparison request: the root, what goes in it, and how.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `-o DIR`.
    pub root: &'a Path,
    /// The directories (for a single render, one: the root itself).
    pub targets: Vec<Target<'a>>,
    /// A project render (`None`: a single render).
    pub project: Option<Project<'a>>,
    /// `--force`: overwrite foreign files in the way.
    pub force: bool,
    /// How long to wait for another run.
    pub wait: Wait,
}

/// Deepest directory level below a directory searched by [`nested_outputs`].
const NESTED_DEPTH: usize = 4;

/// The directories below `root` that hold agentctl output (never `root` itself): those its
/// record names (any depth) and those found holding generated files (up to four levels; no
/// symlink followed). Read-only: this only decides a refusal (a single render into a
/// project's root), never what to delete.
pub fn nested_outputs(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = std::collections::BTreeSet::new();
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let Some(dir) = Dir::open_root(root, root)? else {
        return Ok(Vec::new());
    };
    if dir.kind(STATE_FILE)? == Some(Kind::File)
        && let Ok(state) = State::parse(&dir.read(STATE_FILE)?)
    {
        for rel in state.projects.values().flatten() {
            if let Some(parts) = state::split(rel)
                && matches!(dir.walk(&parts), Ok(Walk::Found(_)))
            {
                found.insert(parts.iter().fold(root.to_owned(), |p, c| p.join(c)));
            }
        }
    }
    let mut pending = vec![(Vec::<String>::new(), 0)];
    while let Some((rel, depth)) = pending.pop() {
        let Ok(Walk::Found(d)) = dir.walk(&rel) else {
            continue;
        };
        let Ok(entries) = d.entries() else { continue };
        let mut generated = false;
        for (name, kind) in entries {
            if kind == Kind::Dir && depth < NESTED_DEPTH {
                let mut sub = rel.clone();
                sub.push(name);
                pending.push((sub, depth + 1));
            } else if !rel.is_empty() && !generated && kind == Kind::File && name.ends_with(".yaml")
            {
                generated = d.read(&name).is_ok_and(|b| is_generated(&b));
            }
        }
        if generated {
            found.insert(rel.iter().fold(root.to_owned(), |p, c| p.join(c)));
        }
    }
    Ok(found.into_iter().collect())
}

/// Writes text to stdout through [`term::visible`](crate::term::visible): a control
/// character, escape sequence or bidirectional control in a value is shown, never obeyed. A
/// closed pipe is not an error.
pub fn print(text: &str) -> Result<(), Error> {
    write_stdout(&crate::term::visible(text))
}

/// Writes a manifest stream to stdout through [`term::visible_data`](crate::term::visible_data):
/// exactly the files' text (an invisible character kept, as a pipe into `kubectl` needs it).
pub fn print_manifests(text: &str) -> Result<(), Error> {
    write_stdout(&crate::term::visible_data(text))
}

/// Writes a JSON document to stdout through
/// [`term::json_visible`](crate::term::json_visible) (the same value, every unprintable
/// character a `\uXXXX` escape).
pub fn print_json(text: &str) -> Result<(), Error> {
    write_stdout(&crate::term::json_visible(text))
}

/// Writes colored text to stdout as it is: for text whose every piece but the colors was made
/// visible before it was painted (a unified diff from [`diff`], `status` and `doctor` reports).
pub fn print_painted(text: &str) -> Result<(), Error> {
    write_stdout(text)
}

fn write_stdout(text: &str) -> Result<(), Error> {
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

/// The files agentctl generated under `dir`, recursively, and every kustomization file whoever
/// wrote it (kubectl reads it) (symlinks and other files skipped): each path relative to `dir` (`/`-separated), with its content, sorted. A missing `dir` has
/// none. A directory whose files total more than [`MAX_READ_DIR_BYTES`] is an error
/// (`Budget`).
pub fn generated_tree(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut budget = Budget::default();
    let root = crate::term::path_line(dir).to_string();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .with_context(|| format!("reading {}", crate::term::path_line(&d)))?
        {
            let entry = entry.with_context(|| format!("reading {}", crate::term::path_line(&d)))?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let big = entry.metadata().is_ok_and(|m| m.len() > MAX_READ_BYTES);
                if big {
                    // Only its first line decides whether it is ours (then it is refused).
                    let mut head = vec![0; HEADER.len() + 3];
                    let n = std::fs::File::open(&path)
                        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                        .unwrap_or(0);
                    if is_generated(&head[..n])
                        || kustomization_file(&entry.file_name().to_string_lossy())
                    {
                        return Err(too_big(&crate::term::path_line(&path).to_string()));
                    }
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                // A kustomization file is what `kubectl apply -k` reads, whoever wrote it.
                if is_generated(text.as_bytes())
                    || kustomization_file(&entry.file_name().to_string_lossy())
                {
                    let rel = path.strip_prefix(dir).unwrap_or(&path);
                    let rel: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    let rel = rel.join("/");
                    let shown = crate::term::path_line(&path).to_string();
                    budget.take(&root, &rel, &shown, text.len() as u64)?;
                    out.push((rel, text));
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
    use crate::diag::Refusal;
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
    fn what_one_side_reads_back_is_bounded_across_its_directories() {
        // Each directory under its own bound, together over the side's.
        let per_dir = MAX_READ_DIR_BYTES - 1;
        let mut read = 0u64;
        let mut dirs = 0u64;
        let err = loop {
            let mut budget = Budget::carrying(read);
            if let Err(e) = budget.take("deploy", "kustomization.yaml", "f", per_dir) {
                break e;
            }
            read = budget.total();
            dirs += 1;
            assert!(dirs < 100, "never refused");
        };
        assert_eq!(dirs, MAX_READ_TOTAL_BYTES / per_dir);
        let text = err.to_string();
        assert!(text.contains("over 512 MiB"), "{text}");
        assert!(text.contains("--env"), "{text}");
        // A count near u64::MAX saturates, it does not wrap under the bound.
        let mut budget = Budget::carrying(u64::MAX - 1);
        assert!(budget.take("d", "a", "a", 10).is_err());
        // And the render refuses to write what could not be read back.
        assert!(crate::render::size::refuse_total(MAX_READ_TOTAL_BYTES, 3).is_ok());
        let d = crate::render::size::refuse_total(MAX_READ_TOTAL_BYTES + 1, 3).unwrap_err();
        assert!(d.to_string().contains("these 3 environments"), "{d}");
    }

    fn write_one(dir: &Path, bundle: &Bundle) -> Result<Written> {
        write(&Request {
            root: dir,
            targets: vec![Target {
                name: None,
                dir,
                bundle,
            }],
            project: None,
            force: false,
            wait: Wait::seconds(1, true),
        })
    }

    #[test]
    fn refusals_are_typed_kinds() {
        use std::fs;
        let bundle = bundle();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(&bundle.files[0].name), "mine\n").unwrap();
        let e = write_one(&dir, &bundle).unwrap_err();
        assert!(matches!(refusal(&e), Some(Refusal::ForeignFiles(f)) if f.len() == 1));

        let file = tmp.path().join("a-file");
        fs::write(&file, "x").unwrap();
        let e = write_one(&file, &bundle).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::NotADirectory(file)));

        for marker in guard::REPOSITORY_MARKERS {
            let repo = tmp.path().join(format!("repo{marker}"));
            fs::create_dir_all(repo.join(marker)).unwrap();
            let e = write_one(&repo, &bundle).unwrap_err();
            assert!(
                matches!(refusal(&e), Some(Refusal::RepositoryRoot(_, m)) if m == marker),
                "{marker}: {e:#}"
            );
            // Also reached through a path that does not exist yet.
            let e = write_one(&repo.join("nothere/.."), &bundle).unwrap_err();
            assert!(
                matches!(refusal(&e), Some(Refusal::RepositoryRoot(..))),
                "{e:#}"
            );
        }
    }

    #[test]
    fn generated_files_are_recognized_through_crlf_and_a_bom() {
        let lf = format!("{HEADER}a: 1\n");
        assert!(is_generated(lf.as_bytes()));
        assert!(is_generated(lf.replace('\n', "\r\n").as_bytes()));
        assert!(is_generated(format!("\u{feff}{lf}").as_bytes()));
        assert!(!is_generated(format!("x{lf}").as_bytes()));
        assert!(!is_generated(HEADER.trim_end().as_bytes()));
        assert!(!is_generated(
            format!("{}extra\n", HEADER.trim_end()).as_bytes()
        ));
        assert_eq!(
            normalized(format!("\u{feff}{lf}").replace('\n', "\r\n").as_bytes()),
            lf
        );
    }
}
