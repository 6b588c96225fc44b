//! The write itself, once planned: missing directories created, every changed file staged as
//! a synced temporary file beside its target (on [`crate::par::par_map`], the one thread pool:
//! staging waits on the disk, so directories are staged on several threads), then renamed over
//! it, stale files removed, the record updated. An error before the first rename undoes
//! everything (exit 2); one after it is a [`PartialWrite`] listing exactly what changed (exit 4).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

use super::nofollow::{Dir, Kind, Walk, is_tmp};
use super::plan::{DirPlan, plan_request};
use super::state::{OWNER_FILE, STATE_FILE};
use super::{Change, Report, Request, guard};
use crate::diag::PartialWrite;
use crate::par::par_map;

/// Threads staging the files of a multi-directory write.
pub(super) const STAGE_THREADS: usize = 8;

/// A staged file: its directory's index in the plan, temporary name, final name, and
/// whether it replaces a file.
pub(super) type StagedFile = (usize, String, String, bool);

/// Stages every changed file of one directory; what was staged, and the error that stopped it.
fn stage_dir((i, dir, d): &(usize, &Dir, &DirPlan)) -> (Vec<StagedFile>, Option<anyhow::Error>) {
    let mut staged = Vec::new();
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

pub(super) fn write_planned(req: &Request) -> Result<Written> {
    let plan = plan_request(req, true)?;
    let Some(root) = plan.root.as_ref() else {
        bail!("{} disappeared while planning", req.root.display());
    };
    // A write that changes nothing writes nothing, not even the lock note.
    let writes = plan.writes();
    if writes {
        plan.announce();
    }
    // Phase 1: create missing directories and stage every new content beside its target, for
    // every directory. An error here undoes it all: nothing changed.
    let mut created_dirs: Vec<(Vec<String>, PathBuf)> = Vec::new();
    let mut opened: Vec<Option<Dir>> = Vec::new();
    let mut staged: Vec<StagedFile> = Vec::new();
    let mut phase1 = (|| -> Result<()> {
        for d in &plan.dirs {
            let needs =
                d.owner.is_some() || d.changes.iter().any(|c| c.new.is_some() && !c.is_noop());
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
        // After a failure no further directory is staged (on one thread: nothing after the
        // failing file, as the fault tests expect); what was staged is removed below.
        let failed = AtomicBool::new(false);
        let results = par_map(
            &work,
            threads,
            |item| {
                if failed.load(Ordering::Relaxed) {
                    return (Vec::new(), None);
                }
                let (done, err) = stage_dir(item);
                if err.is_some() {
                    failed.store(true, Ordering::Relaxed);
                }
                (done, err)
            },
            || {
                (
                    Vec::new(),
                    Some(anyhow::anyhow!("a writer thread panicked")),
                )
            },
        );
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
        if let Some(bytes) = &d.owner {
            let path = d.shown.join(OWNER_FILE);
            let written = dir.stage(bytes).and_then(|tmp| {
                dir.rename(&tmp, OWNER_FILE).inspect_err(|_| {
                    let _ = dir.remove_file(&tmp);
                })
            });
            if let Err(e) = written {
                bail!(PartialWrite {
                    done: journal,
                    failed: format!("writing {}: {e}", path.display()),
                    pending: Vec::new(),
                });
            }
        }
        if d.owner.is_some() || !d.changes.iter().all(Change::is_noop) {
            let _ = dir.sync();
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
        let mut removed_here = false;
        if let Ok(entries) = root.entries() {
            for (name, kind) in entries {
                if kind == Kind::File && is_tmp(&name) && root.remove_file(&name).is_ok() {
                    leftovers += 1;
                    removed_here = true;
                }
            }
        }
        if writes || removed_here {
            let _ = root.sync();
        }
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
        kept: plan.kept.clone(),
    })
}
