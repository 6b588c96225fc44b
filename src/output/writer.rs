//! The write itself, once planned: missing directories created, every changed file (and each
//! directory's owner marker, and the project's record) staged as a temporary file beside its
//! target (on [`crate::par::par_map`], the one thread pool), then the whole batch made durable
//! at once (one `syncfs` per file system on Linux; elsewhere each file synced, on several
//! threads), then each renamed over its target, stale files removed, the marker and the record
//! renamed into place, and the renames made durable the same way. An error before the first
//! rename (staging or syncing) removes every temporary file and created directory: nothing
//! changed (exit 2); one after it is a [`PartialWrite`] listing exactly what changed (exit 4).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

use super::nofollow::{Dir, Kind, Walk, is_tmp};
use super::plan::{DirPlan, plan_request};
use super::state::{OWNER_FILE, STATE_FILE};
use super::{Change, Report, Request, guard};
use crate::diag::PartialWrite;
use crate::par::par_map;

/// Threads staging the files of a multi-directory write, and syncing them one by one where
/// the platform has no `syncfs`.
pub(super) const STAGE_THREADS: usize = 8;

/// What phase 1 staged in one directory: each file's temporary name, final name and whether
/// it replaces a file; the owner marker's temporary name.
#[derive(Debug, Default)]
struct StagedDir {
    files: Vec<(String, String, bool)>,
    owner: Option<String>,
}

/// Stages every changed file of one directory, then its owner marker (none synced yet: the
/// batch is synced at once); what was staged, and the error that stopped it.
fn stage_dir((_, dir, d): &(usize, &Dir, &DirPlan<'_>)) -> (StagedDir, Option<anyhow::Error>) {
    let mut staged = StagedDir::default();
    let context = || {
        format!(
            "writing a temporary file in {}",
            crate::term::path_line(&d.shown)
        )
    };
    for c in &d.changes {
        if let (Some(_), false) = (&c.new, c.is_noop()) {
            // The content is the bundle's (the plan keeps none: `plan::light`).
            let Some(new) = d
                .bundle
                .and_then(|b| b.files.iter().find(|f| f.name == c.name))
            else {
                let e = anyhow::anyhow!("{} has no content to write", c.name);
                return (staged, Some(e.context(context())));
            };
            match dir.stage(new.content.as_bytes()) {
                Ok(tmp) => staged.files.push((tmp, c.name.clone(), c.old.is_some())),
                Err(e) => return (staged, Some(anyhow::Error::new(e).context(context()))),
            }
        }
    }
    if let Some(bytes) = &d.owner {
        match dir.stage(bytes) {
            Ok(tmp) => staged.owner = Some(tmp),
            Err(e) => return (staged, Some(anyhow::Error::new(e).context(context()))),
        }
    }
    (staged, None)
}

/// Makes every staged file durable before the first rename, as a batch: one `syncfs` per file
/// system the directories are on (Linux), instead of one `fsync` per file (each waits on the
/// disk: ~1,400 of them for 100 environments). Where `syncfs` is missing, every file is synced
/// on its own, on several threads. An error here is before any rename: nothing changed.
fn sync_batch(dirs: &[&Dir], files: &[(&Dir, &str)]) -> std::io::Result<()> {
    match sync_devices(dirs) {
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
            let results = par_map(
                files,
                STAGE_THREADS,
                |(dir, name)| dir.sync_file(name),
                || Err(std::io::Error::other("a sync thread panicked")),
            );
            results.into_iter().collect()
        }
        other => other,
    }
}

/// One `syncfs` per distinct file system among `dirs`.
fn sync_devices(dirs: &[&Dir]) -> std::io::Result<()> {
    let mut synced: Vec<u64> = Vec::new();
    for dir in dirs {
        let device = dir.device()?;
        if !synced.contains(&device) {
            dir.sync_fs()?;
            synced.push(device);
        }
    }
    Ok(())
}

/// Makes the renames and removals of a finished write durable: one `syncfs` per file system,
/// or (without it) one sync per changed directory. Best effort: every file is already whole.
fn sync_entries(dirs: &[&Dir]) {
    if let Err(e) = sync_devices(dirs)
        && e.kind() == std::io::ErrorKind::Unsupported
    {
        for dir in dirs {
            let _ = dir.sync();
        }
    }
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
    /// Recorded directories left alone (their owner marker is not this project's), with why.
    pub kept: Vec<String>,
}

/// A staged file: its directory, temporary name, final name, and whether it replaces one.
pub(super) struct Staged<'a> {
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
        std::fs::create_dir_all(&resolved).with_context(|| {
            format!(
                "creating output directory {}",
                crate::term::path_line(req.root)
            )
        })?;
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

pub(super) fn write_planned(req: &Request) -> Result<Written> {
    let plan = plan_request(req, true)?;
    let Some(root) = plan.root.as_ref() else {
        bail!(
            "{} disappeared while planning",
            crate::term::path_line(req.root)
        );
    };
    // A write that changes nothing writes nothing, not even the lock note.
    let writes = plan.writes();
    if writes {
        plan.announce();
    }
    // Phase 1: create missing directories and stage every new content beside its target (the
    // files, the owner markers, the record), for every directory, then sync them all at once.
    // An error here undoes it all: nothing changed.
    let mut created_dirs: Vec<(Vec<String>, PathBuf)> = Vec::new();
    let mut opened: Vec<Option<Dir>> = Vec::new();
    let mut staged: Vec<StagedDir> = plan.dirs.iter().map(|_| StagedDir::default()).collect();
    let mut state_tmp: Option<String> = None;
    let mut phase1 = (|| -> Result<()> {
        for d in &plan.dirs {
            let needs =
                d.owner.is_some() || d.changes.iter().any(|c| c.new.is_some() && !c.is_noop());
            if d.dir.is_none() && needs {
                let (dir, created) = root
                    .create(&d.rel)
                    .with_context(|| format!("creating {}", crate::term::path_line(&d.shown)))?;
                created_dirs.extend(created);
                opened.push(Some(dir));
            } else {
                opened.push(None);
            }
        }
        Ok(())
    })();
    let dir_of = |i: usize| plan.dirs[i].dir.as_ref().or(opened[i].as_ref());
    // Staging is writing to the page cache and creating entries, so directories are staged on
    // several threads.
    if phase1.is_ok() {
        let work: Vec<(usize, &Dir, &DirPlan<'_>)> = (0..plan.dirs.len())
            .filter_map(|i| Some((i, dir_of(i)?, &plan.dirs[i])))
            .collect();
        // With a test fault injected (debug builds), one thread, so the N-th call is the same
        // file on every run and the fault tests are deterministic.
        let threads = if cfg!(debug_assertions) && std::env::var_os("AGENTCTL_TEST_FAULT").is_some()
        {
            1
        } else {
            STAGE_THREADS
        };
        // After a failure no further directory is staged (on one thread: nothing after the
        // failing file, as the fault tests expect); what was staged is removed below.
        let failed = AtomicBool::new(false);
        let results = par_map(
            &work,
            threads,
            |item| {
                if failed.load(Ordering::Relaxed) {
                    return (StagedDir::default(), None);
                }
                let (done, err) = stage_dir(item);
                if err.is_some() {
                    failed.store(true, Ordering::Relaxed);
                }
                (done, err)
            },
            || {
                (
                    StagedDir::default(),
                    Some(anyhow::anyhow!("a writer thread panicked")),
                )
            },
        );
        for ((i, _, _), (done, err)) in work.iter().zip(results) {
            staged[*i] = done;
            if let (Some(e), Ok(())) = (err, &phase1) {
                phase1 = Err(e);
            }
        }
    }
    if phase1.is_ok()
        && let Some((bytes, true)) = &plan.state
    {
        match root.stage(bytes) {
            Ok(tmp) => state_tmp = Some(tmp),
            Err(e) => {
                phase1 = Err(anyhow::Error::new(e).context(format!(
                    "writing a temporary file in {}",
                    crate::term::path_line(req.root)
                )));
            }
        }
    }
    if phase1.is_ok() {
        let mut dirs: Vec<&Dir> = Vec::new();
        let mut files: Vec<(&Dir, &str)> = Vec::new();
        for (i, s) in staged.iter().enumerate() {
            let Some(dir) = dir_of(i) else { continue };
            let before = files.len();
            files.extend(s.files.iter().map(|(tmp, _, _)| (dir, tmp.as_str())));
            files.extend(s.owner.iter().map(|tmp| (dir, tmp.as_str())));
            if files.len() > before {
                dirs.push(dir);
            }
        }
        if let Some(tmp) = &state_tmp {
            dirs.push(root);
            files.push((root, tmp));
        }
        if let Err(e) = sync_batch(&dirs, &files) {
            phase1 = Err(anyhow::Error::new(e).context(format!(
                "syncing the new files under {} to disk",
                crate::term::path_line(req.root)
            )));
        }
    }
    if let Err(e) = phase1 {
        for (i, s) in staged.iter().enumerate() {
            if let Some(dir) = dir_of(i) {
                for tmp in s.files.iter().map(|(tmp, _, _)| tmp).chain(&s.owner) {
                    let _ = dir.remove_file(tmp);
                }
            }
        }
        if let Some(tmp) = &state_tmp {
            let _ = root.remove_file(tmp);
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
    // From here an error leaves some files new and the rest old; the journal says which. The
    // temporary files not yet renamed are removed first (`unstage`).
    let unstage = |staged: &[StagedDir], from_dir: usize, state_tmp: &Option<String>| {
        for (i, s) in staged.iter().enumerate().skip(from_dir) {
            if let (Some(dir), Some(tmp)) = (dir_of(i), &s.owner) {
                let _ = dir.remove_file(tmp);
            }
        }
        if let Some(tmp) = state_tmp {
            let _ = root.remove_file(tmp);
        }
    };
    let mut files: Vec<Staged> = Vec::new();
    for (i, s) in staged.iter().enumerate() {
        let Some(dir) = dir_of(i) else { continue };
        for (tmp, name, existed) in &s.files {
            files.push(Staged {
                dir,
                shown: &plan.dirs[i].shown,
                tmp: tmp.clone(),
                name: name.clone(),
                existed: *existed,
                target: i,
            });
        }
    }
    // Phase 2: each rename replaces one file atomically.
    let mut journal: Vec<String> = created_dirs
        .iter()
        .map(|(_, p)| format!("created directory {}", crate::term::path_line(p)))
        .collect();
    let mut reports: Vec<Report> = plan.dirs.iter().map(|_| Report::default()).collect();
    for (n, s) in files.iter().enumerate() {
        let path = s.shown.join(&s.name);
        if let Err(e) = s.dir.rename(&s.tmp, &s.name) {
            for rest in &files[n..] {
                let _ = rest.dir.remove_file(&rest.tmp);
            }
            unstage(&staged, 0, &state_tmp);
            let pending: Vec<String> = files[n..]
                .iter()
                .map(|s| crate::term::path_line(&s.shown.join(&s.name)).to_string())
                .collect();
            bail!(PartialWrite {
                done: journal,
                failed: format!("replacing {}: {e}", crate::term::path_line(&path)),
                pending,
            });
        }
        journal.push(format!(
            "{} {}",
            if s.existed { "updated" } else { "created" },
            crate::term::path_line(&path)
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
    let mut changed_dirs: Vec<&Dir> = Vec::new();
    for (i, d) in plan.dirs.iter().enumerate() {
        let Some(dir) = dir_of(i) else { continue };
        for c in &d.changes {
            if c.is_noop() {
                reports[i].unchanged.push(c.name.clone());
            } else if c.new.is_none() {
                let path = d.shown.join(&c.name);
                if let Err(e) = dir.remove_file(&c.name) {
                    unstage(&staged, i, &state_tmp);
                    bail!(PartialWrite {
                        done: journal,
                        failed: format!("removing {}: {e}", crate::term::path_line(&path)),
                        pending: Vec::new(),
                    });
                }
                journal.push(format!("removed {}", crate::term::path_line(&path)));
                reports[i].removed.push(c.name.clone());
            }
        }
        for tmp in &d.leftovers {
            if dir.remove_file(tmp).is_ok() {
                leftovers += 1;
            }
        }
        if let Some(tmp) = &staged[i].owner {
            let path = d.shown.join(OWNER_FILE);
            if let Err(e) = dir.rename(tmp, OWNER_FILE) {
                unstage(&staged, i, &state_tmp);
                bail!(PartialWrite {
                    done: journal,
                    failed: format!("writing {}: {e}", crate::term::path_line(&path)),
                    pending: Vec::new(),
                });
            }
        }
        if d.owner.is_some() || !d.changes.iter().all(Change::is_noop) {
            changed_dirs.push(dir);
        }
        if d.orphan {
            removed.push((d.shown.clone(), reports[i].removed.len()));
            // The marker goes with the files it vouched for (checked ours when planned).
            let _ = dir.remove_file(OWNER_FILE);
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
    if let Some(tmp) = &state_tmp {
        let shown = req.root.join(STATE_FILE);
        if let Err(e) = root.rename(tmp, STATE_FILE) {
            let _ = root.remove_file(tmp);
            bail!(PartialWrite {
                done: journal,
                failed: format!("recording {}: {e}", crate::term::path_line(&shown)),
                pending: Vec::new(),
            });
        }
    }
    let mut root_changed = state_tmp.is_some();
    if req.project.is_some()
        && let Ok(entries) = root.entries()
    {
        for (name, kind) in entries {
            if kind == Kind::File && is_tmp(&name) && root.remove_file(&name).is_ok() {
                leftovers += 1;
                root_changed = true;
            }
        }
    }
    if root_changed || (req.project.is_some() && writes) {
        changed_dirs.push(root);
    }
    sync_entries(&changed_dirs);
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
        kept: plan.kept.clone(),
    })
}
