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
//! a synced temporary file beside its target (an error here undoes everything: exit 2), then
//! renamed over it, each atomically; stale files are removed; the record is updated. An I/O
//! error after the first rename is a [`PartialWrite`] listing exactly what changed (exit 4).
//! Unchanged files are left alone (their mtimes stay). A file agentctl wrote is recognized by
//! its [`HEADER`] line, also after a byte-order mark and with CRLF line ends.
//!
//! Owns every write (the output directory, [`atomic`], [`files`] for `init` and man pages),
//! unified diffs ([`diff`]) and stdout ([`print()`]). Must not render, validate or decide what
//! the files contain.

pub mod atomic;
pub mod diff;
pub mod files;
pub mod git;
pub mod guard;
pub mod nofollow;
pub mod state;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::diag::{Error, PartialWrite, Refusal};
use crate::render::bundle::{Bundle, HEADER};
pub use nofollow::Wait;
use nofollow::{Contended, Dir, Kind, Lock, Walk, is_tmp};
use state::{STATE_FILE, State};

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

/// The planned state of one directory.
#[derive(Debug)]
struct DirPlan {
    /// As shown.
    shown: PathBuf,
    /// Below the root.
    rel: Vec<String>,
    /// Open, if it exists.
    dir: Option<Dir>,
    /// File by file.
    changes: Vec<Change>,
    /// Temporary files a killed run left.
    leftovers: Vec<String>,
    /// A directory of an environment no longer in the project.
    orphan: bool,
}

/// Everything a write will do, checked.
#[derive(Debug)]
struct Plan {
    root: Option<Dir>,
    /// What the root's record should say after the write (`None`: leave it).
    state: Option<(Vec<u8>, bool)>,
    dirs: Vec<DirPlan>,
    _locks: Vec<Lock>,
}

/// The components of `dir` below `root` (as the user wrote both).
fn below(root: &Path, dir: &Path) -> Vec<String> {
    dir.strip_prefix(root)
        .unwrap_or(Path::new(""))
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

fn lock_error(dir: &Path, e: Contended, wait: &Wait) -> anyhow::Error {
    match e {
        Contended::TimedOut(holder) => Refusal::LockTimeout {
            dir: dir.to_owned(),
            holder,
            seconds: wait.timeout.as_secs(),
        }
        .into(),
        Contended::Io(e) => anyhow::Error::new(e).context(format!(
            "locking {} against concurrent agentctl runs",
            dir.display()
        )),
    }
}

/// Compares the bundle's files with a directory (absent: all new). Symlinks and special files
/// in the way go to `unsafe_paths`, foreign files to `foreign` (unless `force`).
fn plan_files(
    dir: Option<&Dir>,
    shown: &Path,
    bundle: Option<&Bundle>,
    force: bool,
    unsafe_paths: &mut Vec<String>,
    foreign: &mut Vec<String>,
) -> Result<(Vec<Change>, Vec<String>)> {
    let files: &[crate::render::bundle::File] = bundle.map_or(&[], |b| b.files.as_slice());
    let Some(dir) = dir else {
        let changes = files
            .iter()
            .map(|f| Change {
                name: f.name.clone(),
                old: None,
                new: Some(f.content.clone()),
            })
            .collect();
        return Ok((changes, Vec::new()));
    };
    let entries = dir
        .entries()
        .with_context(|| format!("listing {}", shown.display()))?;
    let kind_of = |name: &str| entries.iter().find(|(n, _)| n == name).map(|(_, k)| *k);
    let mut changes = Vec::new();
    for file in files {
        let path = shown.join(&file.name);
        match kind_of(&file.name) {
            None => changes.push(Change {
                name: file.name.clone(),
                old: None,
                new: Some(file.content.clone()),
            }),
            Some(Kind::Symlink) => unsafe_paths.push(format!(
                "{} is a symlink; agentctl never writes through a symlink",
                path.display()
            )),
            Some(Kind::Dir | Kind::Other) => unsafe_paths.push(format!(
                "{} exists and is not a regular file",
                path.display()
            )),
            Some(Kind::File) => {
                let old = dir
                    .read(&file.name)
                    .with_context(|| format!("reading {}", path.display()))?;
                let ours = is_generated(&old);
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
                        path.display()
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
                    shown.join(other).display()
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
            .read(name)
            .with_context(|| format!("reading {}", shown.join(name).display()))?;
        if is_generated(&content) {
            changes.push(Change {
                name: name.clone(),
                old: Some(normalized(&content)),
                new: None,
            });
        }
    }
    Ok((changes, leftovers))
}

/// The refusal for one directory's problems (symlinks first, then foreign files).
fn refusal(unsafe_paths: Vec<String>, foreign: Vec<String>) -> Option<Refusal> {
    if !unsafe_paths.is_empty() {
        Some(Refusal::UnsafePaths(unsafe_paths))
    } else if !foreign.is_empty() {
        Some(Refusal::ForeignFiles(foreign))
    } else {
        None
    }
}

/// A directory to plan: the environment's name, the directory as shown, below the root, and
/// its bundle (`None`: an environment no longer in the project).
type Wanted<'a> = (Option<&'a str>, PathBuf, Vec<String>, Option<&'a Bundle>);

/// Plans a request completely: every check that can be made before the first write.
/// `exclusive`: take the locks a writer takes (else shared, for `diff`).
fn plan_request(req: &Request, exclusive: bool) -> Result<Plan> {
    let root_resolved =
        guard::resolve(req.root).with_context(|| format!("resolving {}", req.root.display()))?;
    if let Ok(meta) = std::fs::symlink_metadata(req.root)
        && !req.root.is_dir()
    {
        if meta.file_type().is_symlink() {
            bail!(Refusal::SymlinkTarget(req.root.to_owned()));
        }
        if req.project.is_some() {
            bail!(Refusal::ProjectOutputIsFile(req.root.to_owned()));
        }
        bail!(Refusal::NotADirectory(req.root.to_owned()));
    }
    if exclusive {
        guard::check(req.root, &root_resolved)?;
    }
    let root = Dir::open_root(&root_resolved, req.root)
        .with_context(|| format!("opening {}", req.root.display()))?;
    let mut locks = Vec::new();
    if let Some(root) = &root {
        locks.push(
            root.lock(exclusive, &req.wait)
                .map_err(|e| lock_error(req.root, e, &req.wait))?,
        );
    }
    // The root's record (projects only).
    let mut problems: Vec<String> = Vec::new();
    let mut state = None;
    let mut key = String::new();
    if let Some(project) = req.project {
        let file = project
            .file
            .canonicalize()
            .with_context(|| format!("resolving {}", project.file.display()))?;
        key = guard::relative(&root_resolved, &file)
            .to_string_lossy()
            .into_owned();
        let shown = req.root.join(STATE_FILE);
        state = Some(match &root {
            None => State::new(),
            Some(root) => match root.kind(STATE_FILE)? {
                None => State::new(),
                Some(Kind::File) => {
                    let bytes = root
                        .read(STATE_FILE)
                        .with_context(|| format!("reading {}", shown.display()))?;
                    match State::parse(&bytes) {
                        Ok(s) => s,
                        Err(why) => bail!(Refusal::BadState(shown, why)),
                    }
                }
                Some(_) => bail!(Refusal::BadState(
                    shown,
                    "it is a symlink or not a regular file".into()
                )),
            },
        });
    }
    // Each target directory, then (--all) each recorded directory no longer in the project.
    let mut dirs = Vec::new();
    let mut refused: Vec<(Option<&str>, Refusal)> = Vec::new();
    let mut wanted: Vec<Wanted> = req
        .targets
        .iter()
        .map(|t| {
            (
                t.name,
                t.dir.to_owned(),
                below(req.root, t.dir),
                Some(t.bundle),
            )
        })
        .collect();
    if let (Some(state), Some(project)) = (&state, req.project) {
        for t in &wanted {
            if let Some((other, dir)) = state.owner_other_than(&key, &t.2) {
                problems.push(format!(
                    "environment `{}`: {} overlaps `{dir}`, which {} records as the output of another project, {other}",
                    t.0.unwrap_or_default(),
                    t.1.display(),
                    req.root.join(STATE_FILE).display(),
                ));
            }
        }
        if project.all {
            let keep: Vec<String> = wanted.iter().map(|t| state::join(&t.2)).collect();
            for dir in state.projects.get(&key).into_iter().flatten() {
                if !keep.contains(dir)
                    && let Some(rel) = state::split(dir)
                {
                    wanted.push((None, req.root.join(dir), rel, None));
                }
            }
        }
    }
    for (name, shown, rel, bundle) in wanted {
        let orphan = bundle.is_none();
        if exclusive && !orphan {
            let resolved: PathBuf = rel.iter().fold(root_resolved.clone(), |p, c| p.join(c));
            if let Err(r) = guard::check(&shown, &resolved) {
                refused.push((name, r));
                continue;
            }
        }
        let dir = match &root {
            None => None,
            Some(root) => match root.walk(&rel)? {
                Walk::Found(d) => Some(d),
                Walk::Missing(_) => None,
                Walk::Symlink(p) => {
                    refused.push((
                        name,
                        Refusal::UnsafePaths(vec![format!(
                            "{} is a symlink; agentctl never follows a symlink under the output directory",
                            p.display()
                        )]),
                    ));
                    continue;
                }
                Walk::NotADirectory(p) => {
                    refused.push((
                        name,
                        Refusal::UnsafePaths(vec![format!(
                            "{} exists and is not a directory",
                            p.display()
                        )]),
                    ));
                    continue;
                }
            },
        };
        if orphan && dir.is_none() {
            continue;
        }
        if let Some(d) = &dir
            && !rel.is_empty()
        {
            locks.push(
                d.lock(exclusive, &req.wait)
                    .map_err(|e| lock_error(&shown, e, &req.wait))?,
            );
        }
        let (mut unsafe_paths, mut foreign) = (Vec::new(), Vec::new());
        let force = req.force || !exclusive;
        let (changes, leftovers) = plan_files(
            dir.as_ref(),
            &shown,
            bundle,
            force,
            &mut unsafe_paths,
            &mut foreign,
        )?;
        if let Some(r) = refusal(unsafe_paths, foreign) {
            refused.push((name, r));
            continue;
        }
        dirs.push(DirPlan {
            shown,
            rel,
            dir,
            changes,
            leftovers,
            orphan,
        });
    }
    match (req.project, refused.len()) {
        (None, 1) if problems.is_empty() => {
            if let Some((_, r)) = refused.pop() {
                bail!(r);
            }
        }
        _ => {}
    }
    for (name, r) in refused {
        problems.push(match name {
            Some(name) => format!("environment `{name}`: {r}"),
            None => format!("no longer in the project: {r}"),
        });
    }
    if !problems.is_empty() {
        bail!(Refusal::EnvironmentsRefused(problems));
    }
    let state = match (state, req.project) {
        (Some(mut s), Some(project)) => {
            let before = s.to_bytes();
            let mine = s.projects.entry(key).or_default();
            if project.all {
                mine.clear();
            }
            mine.extend(
                dirs.iter()
                    .filter(|d| !d.orphan)
                    .map(|d| state::join(&d.rel)),
            );
            let after = s.to_bytes();
            let changed = before != after
                || root
                    .as_ref()
                    .is_none_or(|r| !matches!(r.kind(STATE_FILE), Ok(Some(_))));
            Some((after, changed))
        }
        _ => None,
    };
    Ok(Plan {
        root,
        state,
        dirs,
        _locks: locks,
    })
}

/// One directory's difference with the disk, as `diff` shows it.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The environment's name (`None`: a single render, or an environment no longer in the
    /// project).
    pub name: Option<String>,
    /// The directory as shown.
    pub dir: PathBuf,
    /// File by file.
    pub changes: Vec<Change>,
    /// A directory of an environment no longer in the project.
    pub orphan: bool,
}

/// What `diff` shows: the plan of a write with `force` (a foreign file is drift, not a
/// refusal), under shared locks so a concurrent `render` is never seen half-written. Never
/// writes. The targets come first, in order, then (with `--all`) the recorded directories of
/// environments no longer in the project.
pub fn compare(req: &Request) -> Result<Vec<Compared>> {
    let plan = plan_request(req, false)?;
    let mut out = Vec::new();
    for d in plan.dirs {
        let name = req
            .targets
            .iter()
            .find(|t| t.dir == d.shown)
            .and_then(|t| t.name.map(str::to_owned));
        out.push(Compared {
            name,
            dir: d.shown,
            changes: d.changes,
            orphan: d.orphan,
        });
    }
    Ok(out)
}

/// Threads staging the files of a multi-directory write.
const STAGE_THREADS: usize = 8;

/// A staged file: its directory's index in the plan, temporary name, final name, and
/// whether it replaces a file.
type StagedFile = (usize, String, String, bool);

/// Stages every changed file of some directories; what was staged, and the first error.
fn stage_dirs(part: &[(usize, &Dir, &DirPlan)]) -> (Vec<StagedFile>, Option<anyhow::Error>) {
    let mut staged = Vec::new();
    for (i, dir, d) in part {
        for c in &d.changes {
            if let (Some(new), false) = (&c.new, c.is_noop()) {
                match dir.stage(new.as_bytes()) {
                    Ok(tmp) => staged.push((*i, tmp, c.name.clone(), c.old.is_some())),
                    Err(e) => {
                        let e = anyhow::Error::new(e)
                            .context(format!("writing a temporary file in {}", d.shown.display()));
                        return (staged, Some(e));
                    }
                }
            }
        }
    }
    (staged, None)
}

/// What a write did.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// One report per target, in order.
    pub reports: Vec<Report>,
    /// Directories of environments no longer in the project, and how many generated files
    /// were removed from each.
    pub removed: Vec<(PathBuf, usize)>,
    /// Temporary files of killed runs removed.
    pub leftovers: usize,
}

/// A staged file: its directory, temporary name, final name, and whether it replaces one.
struct Staged<'a> {
    dir: &'a Dir,
    shown: &'a Path,
    tmp: String,
    name: String,
    existed: bool,
    target: usize,
}

/// Writes a request; see the module docs for the rules. An error before the first rename
/// leaves every directory as it was (exit 2); one after it is a [`PartialWrite`] that lists
/// exactly what changed (exit 4).
pub fn write(req: &Request) -> Result<Written> {
    // The root is created only after every check passed, and removed again if planning
    // refuses.
    let resolved = guard::resolve(req.root)?;
    if resolved.parent().is_some() && !resolved.exists() {
        guard::check(req.root, &resolved)?;
        let first_missing = std::iter::successors(Some(resolved.as_path()), |p| p.parent())
            .take_while(|p| !p.exists())
            .last()
            .map(Path::to_owned);
        std::fs::create_dir_all(&resolved)
            .with_context(|| format!("creating output directory {}", req.root.display()))?;
        return match write_planned(req) {
            Ok(w) => Ok(w),
            Err(e) => {
                if !e.chain().any(|c| c.is::<PartialWrite>())
                    && let Some(top) = first_missing
                {
                    let mut p = resolved.clone();
                    while p.starts_with(&top) && std::fs::remove_dir(&p).is_ok() {
                        if !p.pop() {
                            break;
                        }
                    }
                }
                Err(e)
            }
        };
    }
    write_planned(req)
}

fn write_planned(req: &Request) -> Result<Written> {
    let plan = plan_request(req, true)?;
    let Some(root) = plan.root.as_ref() else {
        bail!("{} disappeared while planning", req.root.display());
    };
    // Phase 1: create missing directories and stage every new content beside its target, for
    // every directory. An error here undoes it all: nothing changed.
    let mut created_dirs: Vec<(Vec<String>, PathBuf)> = Vec::new();
    let mut opened: Vec<Option<Dir>> = Vec::new();
    let mut staged: Vec<StagedFile> = Vec::new();
    let mut phase1 = (|| -> Result<()> {
        for d in &plan.dirs {
            let needs = d.changes.iter().any(|c| c.new.is_some() && !c.is_noop());
            if d.dir.is_none() && needs {
                let (dir, created) = root
                    .create(&d.rel)
                    .with_context(|| format!("creating {}", d.shown.display()))?;
                created_dirs.extend(created);
                opened.push(Some(dir));
            } else {
                opened.push(None);
            }
        }
        Ok(())
    })();
    // Staging is waiting on the disk (every file is synced), so directories are staged on
    // several threads to overlap the waits.
    if phase1.is_ok() {
        let work: Vec<(usize, &Dir, &DirPlan)> = plan
            .dirs
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((i, d.dir.as_ref().or(opened[i].as_ref())?, d)))
            .collect();
        // With a test fault injected (debug builds), one thread, so the N-th call is the same
        // file on every run and the fault tests are deterministic.
        let threads = if cfg!(debug_assertions) && std::env::var_os("AGENTCTL_TEST_FAULT").is_some()
        {
            1
        } else {
            STAGE_THREADS
        };
        let chunk = work.len().div_ceil(threads).max(1);
        let results: Vec<(Vec<StagedFile>, Option<anyhow::Error>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = work
                .chunks(chunk)
                .map(|part| scope.spawn(move || stage_dirs(part)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        (
                            Vec::new(),
                            Some(anyhow::anyhow!("a writer thread panicked")),
                        )
                    })
                })
                .collect()
        });
        for (done, err) in results {
            staged.extend(done);
            if let (Some(e), Ok(())) = (err, &phase1) {
                phase1 = Err(e);
            }
        }
    }
    let dir_of = |i: usize| plan.dirs[i].dir.as_ref().or(opened[i].as_ref());
    if let Err(e) = phase1 {
        for (i, tmp, _, _) in &staged {
            if let Some(dir) = dir_of(*i) {
                let _ = dir.remove_file(tmp);
            }
        }
        for (rel, _) in created_dirs.iter().rev() {
            if let Some((last, parent)) = rel.split_last()
                && let Ok(Walk::Found(p)) = root.walk(parent)
            {
                let _ = p.remove_empty_dir(last);
            }
        }
        return Err(anyhow::anyhow!("{e:#}; nothing was changed"));
    }
    let staged: Vec<Staged> = staged
        .into_iter()
        .filter_map(|(i, tmp, name, existed)| {
            Some(Staged {
                dir: dir_of(i)?,
                shown: &plan.dirs[i].shown,
                tmp,
                name,
                existed,
                target: i,
            })
        })
        .collect();
    // Phase 2: each rename replaces one file atomically. From here an error leaves some files
    // new and the rest old; the journal says which.
    let mut journal: Vec<String> = created_dirs
        .iter()
        .map(|(_, p)| format!("created directory {}", p.display()))
        .collect();
    let mut reports: Vec<Report> = plan.dirs.iter().map(|_| Report::default()).collect();
    for (n, s) in staged.iter().enumerate() {
        let path = s.shown.join(&s.name);
        if let Err(e) = s.dir.rename(&s.tmp, &s.name) {
            for rest in &staged[n..] {
                let _ = rest.dir.remove_file(&rest.tmp);
            }
            let pending: Vec<String> = staged[n..]
                .iter()
                .map(|s| s.shown.join(&s.name).display().to_string())
                .collect();
            bail!(PartialWrite {
                done: journal,
                failed: format!("replacing {}: {e}", path.display()),
                pending,
            });
        }
        journal.push(format!(
            "{} {}",
            if s.existed { "updated" } else { "created" },
            path.display()
        ));
        let report = &mut reports[s.target];
        if s.existed {
            report.updated.push(s.name.clone());
        } else {
            report.created.push(s.name.clone());
        }
    }
    // Phase 3: generated files no longer produced, and the directories of environments no
    // longer in the project once they are empty.
    let mut removed = Vec::new();
    let mut leftovers = 0;
    for (i, d) in plan.dirs.iter().enumerate() {
        let Some(dir) = dir_of(i) else { continue };
        for c in &d.changes {
            if c.is_noop() {
                reports[i].unchanged.push(c.name.clone());
            } else if c.new.is_none() {
                let path = d.shown.join(&c.name);
                if let Err(e) = dir.remove_file(&c.name) {
                    bail!(PartialWrite {
                        done: journal,
                        failed: format!("removing {}: {e}", path.display()),
                        pending: Vec::new(),
                    });
                }
                journal.push(format!("removed {}", path.display()));
                reports[i].removed.push(c.name.clone());
            }
        }
        for tmp in &d.leftovers {
            if dir.remove_file(tmp).is_ok() {
                leftovers += 1;
            }
        }
        if !d.changes.iter().all(Change::is_noop) {
            let _ = dir.sync();
        }
        if d.orphan {
            removed.push((d.shown.clone(), reports[i].removed.len()));
            dir.drop_note();
            // The directory, then its parents up to the root, while they are empty.
            for depth in (1..=d.rel.len()).rev() {
                let (last, parent) = (&d.rel[depth - 1], &d.rel[..depth - 1]);
                let emptied = match root.walk(parent) {
                    Ok(Walk::Found(p)) => p.remove_empty_dir(last).unwrap_or(false),
                    _ => false,
                };
                if !emptied {
                    break;
                }
            }
        }
    }
    // Phase 4: the record of what this project owns.
    if let Some((bytes, true)) = &plan.state {
        let shown = req.root.join(STATE_FILE);
        let written = root.stage(bytes).and_then(|tmp| {
            root.rename(&tmp, STATE_FILE).inspect_err(|_| {
                let _ = root.remove_file(&tmp);
            })
        });
        if let Err(e) = written {
            bail!(PartialWrite {
                done: journal,
                failed: format!("recording {}: {e}", shown.display()),
                pending: Vec::new(),
            });
        }
    }
    if req.project.is_some() {
        if let Ok(entries) = root.entries() {
            for (name, kind) in entries {
                if kind == Kind::File && is_tmp(&name) && root.remove_file(&name).is_ok() {
                    leftovers += 1;
                }
            }
        }
        let _ = root.sync();
    }
    let reports = reports
        .into_iter()
        .zip(&plan.dirs)
        .filter(|(_, d)| !d.orphan)
        .map(|(r, _)| r)
        .collect();
    Ok(Written {
        reports,
        removed,
        leftovers,
    })
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
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let entry = entry.with_context(|| format!("reading {}", d.display()))?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                if is_generated(text.as_bytes()) {
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
