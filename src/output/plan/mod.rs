//! Planning a write or a comparison: every target directory opened through [`super::nofollow`]
//! below the root, under the locks it needs, compared file by file with its bundle
//! ([`Change`]s), with what must refuse the whole write found first (a dangerous root, a
//! symlink or special file in the way, a foreign file, a second Kustomize file, another
//! project's directory, a record that is not ours), and, with `--all`, the recorded directories
//! of environments no longer in the project. [`compare`] is a plan under shared locks, never
//! written.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::nofollow::{Contended, Dir, Kind, Lock, Wait, Walk};
use super::state::{self, OWNER_FILE, Owner, STATE_FILE, State};
use super::{Change, Request, guard};
use crate::diag::Refusal;
use crate::render::bundle::Bundle;

mod files;

pub(super) use files::refusal;
use files::{light, plan_files};

/// The planned state of one directory.
#[derive(Debug)]
pub(super) struct DirPlan<'a> {
    /// The files it must hold (`None`: a directory no longer in the project). A write reads
    /// each new content from here (its [`Change`] holds none: see `light`).
    pub(super) bundle: Option<&'a Bundle>,
    /// The environment's name (`None`: a single render, or a directory no longer in the
    /// project).
    pub(super) name: Option<String>,
    /// As shown.
    pub(super) shown: PathBuf,
    /// Below the root.
    pub(super) rel: Vec<String>,
    /// Open, if it exists.
    pub(super) dir: Option<Dir>,
    /// File by file.
    pub(super) changes: Vec<Change>,
    /// Temporary files a killed run left.
    pub(super) leftovers: Vec<String>,
    /// A directory of an environment no longer in the project.
    pub(super) orphan: bool,
    /// Its lock (an existing directory below the root).
    pub(super) lock: Option<Lock>,
    /// The owner marker to write (a project's directory whose marker is missing or stale).
    pub(super) owner: Option<Vec<u8>>,
}

impl DirPlan<'_> {
    /// Whether writing this plan changes the directory (a file, a leftover, the directory
    /// itself).
    pub(super) fn writes(&self) -> bool {
        self.orphan
            || self.owner.is_some()
            || !self.leftovers.is_empty()
            || !self.changes.iter().all(Change::is_noop)
    }
}

/// Everything a write will do, checked.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    pub(super) root: Option<Dir>,
    /// What the root's record should say after the write (`None`: leave it).
    pub(super) state: Option<(Vec<u8>, bool)>,
    pub(super) dirs: Vec<DirPlan<'a>>,
    /// The root's lock.
    pub(super) root_lock: Option<Lock>,
    /// Recorded directories of environments no longer in the project that are left alone,
    /// each with why (their owner marker does not name this project and directory).
    pub(super) kept: Vec<String>,
}

impl Plan<'_> {
    /// Whether writing this plan changes anything on disk.
    pub(super) fn writes(&self) -> bool {
        self.state.as_ref().is_some_and(|(_, changed)| *changed)
            || self.dirs.iter().any(DirPlan::writes)
    }

    /// Names this run in the lock notes of the root and of every directory it changes (see
    /// [`Lock::announce`]).
    pub(super) fn announce(&self) {
        if let Some(l) = &self.root_lock {
            l.announce();
        }
        for d in self.dirs.iter().filter(|d| d.writes()) {
            if let Some(l) = &d.lock {
                l.announce();
            }
        }
    }
}

/// The components of `dir` below `root` (as the user wrote both).
pub(super) fn below(root: &Path, dir: &Path) -> Vec<String> {
    dir.strip_prefix(root)
        .unwrap_or(Path::new(""))
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

pub(super) fn lock_error(dir: &Path, e: Contended, wait: &Wait) -> anyhow::Error {
    match e {
        Contended::TimedOut(holder) => Refusal::LockTimeout {
            dir: dir.to_owned(),
            holder,
            seconds: wait.timeout.as_secs(),
        }
        .into(),
        Contended::Io(e) => anyhow::Error::new(e).context(format!(
            "locking {} against concurrent agentctl runs",
            crate::term::path_line(dir)
        )),
    }
}

/// What a directory's owner marker says to the project being written.
enum Marker {
    /// No marker: a single render's output, or written before agentctl wrote markers.
    Absent,
    /// This project's; `here`: written for this very directory (not a copy); its bytes.
    Ours { here: bool, bytes: Vec<u8> },
    /// Another project's (the project file as the marker names it).
    Other(String),
    /// Not a marker agentctl can read (why).
    Untrusted(String),
}

/// Reads the owner marker of `dir` for the project `key` writing the directory `here`.
fn marker(dir: &Dir, key: &str, here: &str) -> Result<Marker> {
    Ok(match dir.kind(OWNER_FILE)? {
        None => Marker::Absent,
        Some(Kind::File) => {
            let bytes = dir.read_limited(OWNER_FILE, state::MAX_BYTES as u64)?;
            match Owner::parse(&bytes) {
                Ok(o) if o.project == key => Marker::Ours {
                    here: o.dir == here,
                    bytes,
                },
                Ok(o) => Marker::Other(o.project),
                Err(why) => Marker::Untrusted(why),
            }
        }
        Some(_) => Marker::Untrusted("it is a symlink or not a regular file".into()),
    })
}

/// A directory to plan: the environment's name, the directory as shown, below the root, and
/// its bundle (`None`: an environment no longer in the project).
pub(super) type Wanted<'a> = (Option<&'a str>, PathBuf, Vec<String>, Option<&'a Bundle>);

/// Plans a request completely: every check that can be made before the first write.
/// `exclusive`: take the locks a writer takes (else shared, for `diff`).
pub(super) fn plan_request<'a>(req: &Request<'a>, exclusive: bool) -> Result<Plan<'a>> {
    let root_resolved = guard::resolve(req.root)
        .with_context(|| format!("resolving {}", crate::term::path_line(req.root)))?;
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
        .with_context(|| format!("opening {}", crate::term::path_line(req.root)))?;
    let root_lock = match &root {
        Some(root) => Some(
            root.lock(exclusive, &req.wait)
                .map_err(|e| lock_error(req.root, e, &req.wait))?,
        ),
        None => None,
    };
    // The root's record (projects only).
    let mut problems: Vec<String> = Vec::new();
    let mut state = None;
    let mut key = String::new();
    let mut mine = PathBuf::new();
    if let Some(project) = req.project {
        let file = project
            .file
            .canonicalize()
            .with_context(|| format!("resolving {}", crate::term::path_line(project.file)))?;
        mine.clone_from(&file);
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
                        .read_limited(STATE_FILE, state::MAX_BYTES as u64)
                        .with_context(|| format!("reading {}", crate::term::path_line(&shown)))?;
                    match State::parse(&bytes) {
                        Ok(s) => {
                            if let Some((outer, inner)) = s.overlap() {
                                bail!(super::claims::claimed_twice(
                                    Some(root),
                                    req.root,
                                    outer,
                                    inner
                                ));
                            }
                            s
                        }
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
    let mut kept = Vec::new();
    let mut refused: Vec<(Option<&str>, Refusal)> = Vec::new();
    // Bytes read back from every directory so far ([`super::Budget`]'s total).
    let mut read = 0u64;
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
    // Targets the record already refuses (their marker is not read again).
    let mut overlapping: Vec<Vec<String>> = Vec::new();
    if let (Some(state), Some(project)) = (&state, req.project) {
        for t in &wanted {
            if let Some((other, dir)) = state.owner_other_than(&key, &t.2) {
                overlapping.push(t.2.clone());
                let name = t.0.unwrap_or_default();
                let here = crate::term::path_line(project.file);
                let other_file = super::claims::shown(req.root, other);
                // The default (the name) unless that is the other's directory too.
                let stem = project
                    .file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let suggested = if dir.split('/').next() == Some(name) {
                    format!("{name}-{stem}")
                } else {
                    name.to_owned()
                };
                problems.push(format!(
                    "environment `{name}` of {here}: {} overlaps `{dir}`, which {} records as the output of another project, {}; one directory has one owner: give `{name}` an `output:` in {here} that is neither `{dir}` nor inside it nor around it (e.g. `output: {}`), or, if {} no longer renders into `{dir}`, run `agentctl render --all --project {} -o {}` (it drops the entry)",
                    t.1.display(),
                    crate::term::path_line(&req.root.join(STATE_FILE)),
                    crate::term::path_line(&other_file),
                    crate::shell::quote(&suggested),
                    crate::term::path_line(&other_file),
                    crate::shell::quote(&other_file.display().to_string()),
                    crate::shell::quote(&req.root.display().to_string()),
                ));
            }
        }
        if project.all {
            let keep: std::collections::HashSet<String> =
                wanted.iter().map(|t| state::join(&t.2)).collect();
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
                            crate::term::path_line(&p)
                        )]),
                    ));
                    continue;
                }
                Walk::NotADirectory(p) => {
                    refused.push((
                        name,
                        Refusal::UnsafePaths(vec![format!(
                            "{} exists and is not a directory",
                            crate::term::path_line(&p)
                        )]),
                    ));
                    continue;
                }
            },
        };
        if orphan && dir.is_none() {
            continue;
        }
        let lock = match &dir {
            Some(d) if !rel.is_empty() => Some(
                d.lock(exclusive, &req.wait)
                    .map_err(|e| lock_error(&shown, e, &req.wait))?,
            ),
            _ => None,
        };
        // A project's directory is its own only by its marker: a recorded directory is cleaned
        // up only when the marker names this project and this directory; a directory another
        // project's marker names is never written.
        let mut owner = None;
        if req.project.is_some() && !overlapping.contains(&rel) {
            let here = state::join(&rel);
            let path = shown.join(OWNER_FILE);
            let found = match &dir {
                Some(d) => marker(d, &key, &here)
                    .with_context(|| format!("reading {}", crate::term::path_line(&path)))?,
                None => Marker::Absent,
            };
            let env = name.map_or_else(String::new, |n| format!("environment `{n}`: "));
            match (orphan, found) {
                (true, Marker::Ours { here: true, .. }) => {
                    // The record and the marker are committed data a pull request can forge
                    // together: a project file that renders here says the directory is not
                    // this project's to delete. Left alone, not refused: moving an environment
                    // to another project is this too, and its entry must drop from the record.
                    if let Some(state) = &state {
                        match super::claims::rival(&root_resolved, req.root, &mine, state, &rel) {
                            Ok(None) => {}
                            Ok(Some(r)) => {
                                kept.push(super::claims::rival_kept(
                                    req.root, &shown, &key, &here, &r,
                                ));
                                continue;
                            }
                            Err(why) => {
                                kept.push(format!(
                                    "left {} alone, though {} records it for this project and its marker names it: {why}; delete it by hand if it is no longer needed",
                                    crate::term::path_line(&shown),
                                    crate::term::path_line(&req.root.join(STATE_FILE))
                                ));
                                continue;
                            }
                        }
                    }
                }
                (true, found) => {
                    let why = match found {
                        Marker::Absent => format!(
                            "it has no {OWNER_FILE} (a single render's output, or written before agentctl marked its directories)"
                        ),
                        Marker::Ours { .. } => {
                            format!(
                                "{} names another directory (a copy)",
                                crate::term::path_line(&path)
                            )
                        }
                        Marker::Other(p) => {
                            format!(
                                "{} names another project, {p}",
                                crate::term::path_line(&path)
                            )
                        }
                        Marker::Untrusted(why) => {
                            format!("{} cannot be trusted: {why}", crate::term::path_line(&path))
                        }
                    };
                    kept.push(format!(
                        "left {} alone, though {} records it for this project: {why}; delete it by hand if it is no longer needed",
                        crate::term::path_line(&shown),
                        crate::term::path_line(&req.root.join(STATE_FILE))
                    ));
                    continue;
                }
                (false, Marker::Other(p)) => {
                    let name = name.unwrap_or_default();
                    problems.push(format!(
                        "{env}{} is the output of another project, {} (its {} says so); two projects cannot share one directory: give `{name}` another `output:` in {}, or, if the directory is this project's now, delete {}",
                        crate::term::path_line(&shown),
                        crate::term::path_line(&super::claims::shown(req.root, &p)),
                        crate::term::path_line(&path),
                        req.project.map_or_else(String::new, |p| crate::term::path_line(p.file).to_string()),
                        crate::term::path_line(&path)
                    ));
                    continue;
                }
                (false, Marker::Untrusted(why)) => {
                    problems.push(format!(
                        "{env}{} is not an owner marker agentctl can trust: {why}; if {} is this project's output, delete the marker (the next render writes it again)",
                        crate::term::path_line(&path),
                        crate::term::path_line(&shown)
                    ));
                    continue;
                }
                (false, found) => {
                    let want = Owner::new(&key, &here).to_bytes();
                    if !matches!(found, Marker::Ours { bytes, .. } if bytes == want) {
                        owner = Some(want);
                    }
                }
            }
        }
        let (mut unsafe_paths, mut foreign) = (Vec::new(), Vec::new());
        let force = req.force || !exclusive;
        let (mut changes, leftovers) = plan_files(
            dir.as_ref(),
            &shown,
            bundle,
            (force, exclusive),
            (&mut unsafe_paths, &mut foreign),
            &mut read,
        )?;
        // A comparison needs no text of a directory that is up to date (its unchanged files
        // are the context of a change only where something changed): `diff --all` of many
        // up-to-date environments then holds only their bundles.
        if exclusive || changes.iter().all(Change::is_noop) {
            changes.iter_mut().for_each(light);
        }
        if let Some(r) = refusal(unsafe_paths, foreign) {
            refused.push((name, r));
            continue;
        }
        dirs.push(DirPlan {
            bundle,
            name: name.map(str::to_owned),
            shown,
            rel,
            dir,
            changes,
            leftovers,
            orphan,
            lock,
            owner,
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
        root_lock,
        kept,
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
        out.push(Compared {
            name: d.name,
            dir: d.shown,
            changes: d.changes,
            orphan: d.orphan,
        });
    }
    Ok(out)
}
