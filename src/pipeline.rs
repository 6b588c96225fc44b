//! The pipeline driver: the one path from inputs to rendered bundles, used by every command.
//!
//! input (layers) → resolve (merge, validate) → render (templates, Kubernetes round trip,
//! bundle). A single render is a project of one environment: a [`Target`] with no name, whose
//! errors are reported as they are; the environments of a project file are named targets,
//! rendered in parallel with one shared [`Renderer`], whose identical errors are merged and
//! labelled with the environments they come from. Writing and comparing the results go
//! through [`output`], and the impact of a difference through [`impact`]. Must not print anything (commands decide what to say) and must not
//! know about the command line.

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::diag::{Diagnostic, Error, Refusal, Result};
use crate::impact::{self, Analysis};
use crate::input::layers::{self, Inputs};
use crate::input::project::Environment;
use crate::output;
use crate::output::diff::Summary;
use crate::par::par_map;
use crate::render::Renderer;
use crate::render::bundle::{self, Bundle};
use crate::render::patches;
use crate::resolve::merge::{self, Merged};
use crate::resolve::validate;
use crate::term::Style;

mod gather;
use gather::{gather, in_environments};

/// Layers, merge and validation: the effective configuration of some inputs. When a layer
/// has entries the schema refuses, the rest is still merged and validated, so one run
/// reports both kinds of problem (a rule's problem about a refused entry is left out: it
/// would be about a value the user did not write).
pub fn resolve(inputs: &Inputs) -> Result<Merged> {
    let (merged, extras) = resolve_settings(inputs)?;
    if extras.is_empty() {
        Ok(merged)
    } else {
        Err(Error::Input(extras))
    }
}

/// [`resolve`], keeping the configuration when every setting is valid and only some
/// `patches:`/`resources:` entries are malformed (they are left out; their problems are the
/// second part), so that the rest of the patches can still be applied in the same run.
fn resolve_settings(inputs: &Inputs) -> Result<(Merged, Vec<Diagnostic>)> {
    let (layers, mut diags, pruned) = layers::load_partial(inputs);
    if diags.is_empty() || pruned.as_ref().is_some_and(Vec::is_empty) {
        let merged = match merge::merge(layers) {
            Ok(m) => m,
            Err(e) if diags.is_empty() => return Err(e),
            Err(Error::Input(more)) => {
                diags.extend(more);
                return Err(Error::Input(diags));
            }
            Err(_) => return Err(Error::Input(diags)),
        };
        return match validate::validate(&merged) {
            Ok(()) => Ok((merged, diags)),
            Err(Error::Input(more)) => {
                diags.extend(more);
                Err(Error::Input(diags))
            }
            Err(e) => Err(e),
        };
    }
    if let Some(pruned) = pruned
        && let Ok(merged) = merge::merge(layers)
        && let Err(Error::Input(more)) = validate::validate(&merged)
    {
        let touches = |p: &str| {
            pruned.iter().any(|q| {
                p == q
                    || p.strip_prefix(q.as_str())
                        .is_some_and(|r| r.starts_with('.'))
                    || q.strip_prefix(p).is_some_and(|r| r.starts_with('.'))
            })
        };
        diags.extend(more.into_iter().filter(|d| {
            !d.path.as_deref().is_some_and(touches)
                && !d
                    .related
                    .iter()
                    .any(|r| r.label.split(' ').next().is_some_and(touches))
        }));
    }
    Err(Error::Input(diags))
}

/// The whole pipeline up to the in-memory bundle, for one set of inputs.
///
/// Every problem is reported in one run where the next step can still run: malformed patch
/// entries do not stop the others from being applied; invalid settings do (there is nothing
/// valid to render and patch).
pub fn build(renderer: &Renderer, inputs: &Inputs) -> Result<(Merged, Bundle)> {
    let (merged, mut diags) = resolve_settings(inputs)?;
    let mut files = bundle::objects(renderer, &merged.config)?;
    let before = crate::render::provenance::before(&merged, &files);
    let (patched, mut scanned) = match patches::apply(&merged, &mut files) {
        Ok(patched) if diags.is_empty() => patched,
        Ok(_) => return Err(Error::Input(diags)),
        Err(more) => {
            diags.extend(more);
            return Err(Error::Input(diags));
        }
    };
    let renamed = crate::render::kept::check(&merged, &patched, &files);
    if !renamed.is_empty() {
        return Err(Error::Input(renamed));
    }
    let overrides = crate::render::provenance::overrides(&merged, &patched, &before, &files);
    let followed = crate::render::provenance::follow(
        &crate::config::Names::of(&merged.config),
        &overrides,
        &mut files,
    );
    if !followed.is_empty() {
        // What the check scanned may have changed since.
        scanned.clear();
    }
    let gated = crate::render::version::gate(&merged, &patched, &files);
    if !gated.is_empty() {
        return Err(Error::Input(gated));
    }
    let (findings, lint_errors, unmatched) =
        crate::render::provenance::lint(&merged, &patched, &scanned, &files);
    if !unmatched.is_empty() {
        return Err(Error::Input(unmatched));
    }
    crate::render::flux::mark(&mut files);
    let over = crate::render::size::annotations(&merged, &patched, &files);
    if !over.is_empty() {
        return Err(Error::Input(over));
    }
    let ids: Vec<Vec<String>> = files
        .iter()
        .map(|(_, objs)| objs.iter().map(crate::config::patches::object_id).collect())
        .collect();
    let mut bundle = bundle::assemble(&merged.config, files)?;
    let large = crate::render::size::refuse(&merged, &patched, &bundle, &ids);
    if !large.is_empty() {
        return Err(Error::Input(large));
    }
    bundle.patched = patched;
    bundle.overrides = overrides;
    bundle.notes.extend(followed);
    bundle.findings = findings;
    bundle.lint_errors = lint_errors;
    bundle
        .notes
        .extend(crate::render::notes::redis_off(&merged));
    bundle
        .notes
        .extend(crate::render::notes::shared_namespace(&merged));
    bundle
        .notes
        .extend(crate::render::notes::platform_user(&merged));
    Ok((merged, bundle))
}

/// Refuses renders with an error-severity lint finding (every one, as diagnostics located at
/// the override file that produced the value); returns the warnings' text, once per finding,
/// for the command to print.
pub fn refuse_lint_errors(rendered: &[Rendered]) -> Result<String> {
    let mut errors = Vec::new();
    let mut warnings = String::new();
    for r in rendered {
        for d in &r.bundle.lint_errors {
            let mut d = d.clone();
            if let Some(n) = &r.name {
                d = d.note(in_environments(&[n]));
            }
            errors.push(d);
        }
        for f in &r.bundle.findings {
            if f.waived() || !f.shown(&[]) || f.rule.severity == crate::lint::Severity::Error {
                continue;
            }
            warnings.push_str(&crate::lint::report::text_one(f, r.name()));
            warnings.push('\n');
        }
    }
    for r in rendered {
        // A patch over a typed setting: once per setting (the first field it changed).
        let mut said: Vec<&str> = Vec::new();
        for o in &r.bundle.overrides {
            if said.contains(&o.setting.as_str()) {
                continue;
            }
            said.push(&o.setting);
            let text = o.warning();
            let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
            warnings.push_str(first);
            if let Some(name) = &r.name {
                warnings.push_str(&format!(" (environment `{name}`)"));
            }
            warnings.push('\n');
            warnings.push_str(rest);
        }
    }
    for r in rendered {
        for n in &r.bundle.notes {
            // The environment goes on the note's first line; the rest are its items.
            let (first, rest) = n.split_once('\n').unwrap_or((n, ""));
            warnings.push_str(&format!("note: {first}"));
            if let Some(name) = &r.name {
                warnings.push_str(&format!(" (environment `{name}`)"));
            }
            warnings.push('\n');
            if !rest.is_empty() {
                warnings.push_str(rest);
                warnings.push('\n');
            }
        }
    }
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(Error::Input(errors))
    }
}

/// One thing to render: a project environment, or (no name) the single render of the command
/// line.
#[derive(Debug, Clone)]
pub struct Target {
    /// The environment's name; `None` for a single render.
    pub name: Option<String>,
    /// What it is made of.
    pub inputs: Inputs,
    /// Its output directory.
    pub dir: PathBuf,
}

impl Target {
    /// The single render of the command line, into `dir` (empty: stdout).
    pub fn single(inputs: Inputs, dir: &Path) -> Target {
        Target {
            name: None,
            inputs,
            dir: dir.to_owned(),
        }
    }

    /// A project environment, into `root/<its output>`, with `--set` flags applied last.
    pub fn environment(env: &Environment, sets: &[String], root: &Path) -> Target {
        Target {
            name: Some(env.name.clone()),
            inputs: env.inputs(sets),
            dir: root.join(&env.output),
        }
    }
}

/// One target rendered in memory.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The environment's name (`None`: a single render).
    pub name: Option<String>,
    /// Its output directory.
    pub dir: PathBuf,
    /// The effective configuration.
    pub merged: Merged,
    /// The files.
    pub bundle: Bundle,
}

impl Rendered {
    /// What the cluster needs for these renders, as `render` prints it on stderr: once, one
    /// block per namespace (and per distinct set of needs).
    pub fn prerequisites(rendered: &[&Rendered]) -> String {
        let rows: Vec<(Option<&str>, &str, &[crate::render::prereqs::Need])> = rendered
            .iter()
            .map(|r| {
                (
                    r.name.as_deref(),
                    r.merged.config.namespace.as_str(),
                    r.bundle.needs.as_slice(),
                )
            })
            .collect();
        crate::render::prereqs::report(&rows)
    }

    /// The environment's name, or empty for a single render.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

/// Renders every target (in parallel over the available cores, one shared renderer) and
/// returns them in order, or every problem of every target.
pub fn build_all(renderer: &Renderer, targets: &[Target]) -> Result<Vec<Rendered>> {
    build_each(renderer, targets, false)
}

/// [`build_all`] for a command that only writes or compares the files (`render --all`, `diff
/// --all`): each render keeps only what those commands read afterwards (the files, the
/// cluster's needs, the findings, overrides and notes it prints, the effective configuration
/// without its provenance), the rest dropped as soon as it is built, so memory grows with the
/// files of the environments, not with the provenance of every setting and patch of each.
pub fn build_all_files(renderer: &Renderer, targets: &[Target]) -> Result<Vec<Rendered>> {
    build_each(renderer, targets, true)
}

fn build_each(renderer: &Renderer, targets: &[Target], slim: bool) -> Result<Vec<Rendered>> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let one = |t: &Target| -> Result<Rendered> {
        let (mut merged, mut bundle) = build(renderer, &t.inputs)?;
        if slim {
            merged.history = Default::default();
            merged.patches = Vec::new();
            merged.resources = Vec::new();
            merged.accepts = Vec::new();
            merged.crds = Vec::new();
            bundle.patched = Vec::new();
        }
        Ok(Rendered {
            name: t.name.clone(),
            dir: t.dir.clone(),
            merged,
            bundle,
        })
    };
    let results = par_map(targets, cores, one, || {
        Err(Error::Other(anyhow!("a render thread panicked")))
    });
    gather(targets, results)
}

/// How a write or comparison goes: the project it is for (`None`: a single render), `--force`
/// and how long to wait for another run's lock.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The project file and `--all` (`None`: a single render).
    pub project: Option<output::Project<'a>>,
    /// `--force`.
    pub force: bool,
    /// `--lock-timeout`.
    pub wait: output::Wait,
}

fn request<'a>(
    root: &'a Path,
    rendered: &'a [Rendered],
    opts: &Options<'a>,
) -> output::Request<'a> {
    output::Request {
        root,
        targets: rendered
            .iter()
            .map(|r| output::Target {
                name: r.name.as_deref(),
                dir: &r.dir,
                bundle: &r.bundle,
            })
            .collect(),
        project: opts.project,
        force: opts.force,
        wait: opts.wait,
    }
}

/// Writes every rendered target under `root` (a single render: `root` is its directory) after
/// checking every directory (and, for a project, the directories it will clean up): one
/// problem anywhere and nothing is written. One run holds the root for the whole write.
pub fn write_all(root: &Path, rendered: &[Rendered], opts: &Options) -> Result<output::Written> {
    Ok(output::write(&request(root, rendered, opts))?)
}

/// One target's difference from its directory.
#[derive(Debug, Clone)]
pub struct Drift {
    /// The environment (empty: a single render; `(no longer in the project)` for a directory
    /// the project recorded and no longer has).
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// The unified diff (empty: up to date).
    pub text: String,
    /// Which files differ.
    pub summary: Summary,
    /// What the differences would do to the running system (empty: up to date).
    pub impact: Analysis,
}

/// Compares every rendered target with its directory under `root` (a directory that does not
/// exist yet is all drift); with `--all`, also the recorded directories of environments no
/// longer in the project (their generated files, to remove).
pub fn diff_all(
    root: &Path,
    rendered: &[Rendered],
    opts: &Options,
    style: Style,
) -> Result<Vec<Drift>> {
    let outputs = output::compare(&request(root, rendered, opts))?;
    outputs
        .into_iter()
        .map(|c| {
            let env = if c.orphan {
                c.dir.file_name().map(|n| n.to_string_lossy().into_owned())
            } else {
                c.name.clone()
            };
            let on_disk = |name: &str| c.dir.join(name);
            let rendered = |name: &str| PathBuf::from(format!("(render) {name}"));
            let (text, summary, impact) = compared(
                &c.dir,
                &c.changes,
                style,
                env.as_deref(),
                &c.dir.display().to_string(),
                (&on_disk, &rendered),
                (&[], &[]),
            )?;
            Ok(Drift {
                name: if c.orphan {
                    "(no longer in the project)".into()
                } else {
                    c.name.unwrap_or_default()
                },
                dir: c.dir,
                text,
                summary,
                impact,
            })
        })
        .collect()
}

/// The directory of a group of `diff_base` as the user would type it (`deploy`, `deploy/prod`).
fn drift_dir(dir: &Path, group: &str) -> String {
    if group.is_empty() {
        dir.display().to_string()
    } else {
        dir.join(group).display().to_string()
    }
}

/// What `diff --base` / `--base-dir` compares a directory with.
#[derive(Debug, Clone)]
pub enum Base {
    /// The directory as committed at a git revision.
    Revision(String),
    /// Another directory.
    Directory(PathBuf),
}

/// Compares the generated files of `base` (old) with those under `dir` (new), without
/// rendering: one [`Drift`] per directory holding files (an environment of a project output,
/// named by its path under `dir`; the top level unnamed), in path order.
///
/// `environments` names the project's environments by their output directory (relative to
/// `dir`), so an environment's impact lines carry the label `diff --all` gives them; a
/// directory no environment writes is labelled with its path.
pub fn diff_base(
    dir: &Path,
    base: &Base,
    environments: &[(PathBuf, String)],
    style: Style,
) -> Result<Vec<Drift>> {
    let old = match base {
        Base::Revision(rev) => output::git::committed_files(dir, rev)?,
        Base::Directory(d) if !d.is_dir() => {
            return Err(Refusal::BaseNotADirectory(d.clone()).into());
        }
        Base::Directory(d) => output::generated_tree(d)?,
    };
    let new = output::generated_tree(dir)?;
    // Every file of each side, whatever directory: a `resources` entry may name a directory.
    let old_names: Vec<String> = old.iter().map(|(n, _)| n.clone()).collect();
    let new_names: Vec<String> = new.iter().map(|(n, _)| n.clone()).collect();
    let old_names: Vec<&str> = old_names.iter().map(String::as_str).collect();
    let new_names: Vec<&str> = new_names.iter().map(String::as_str).collect();
    // Each text moved into its change, never copied: the sides are read once, bounded per
    // directory (`output::MAX_READ_DIR_BYTES`).
    let mut paired: std::collections::BTreeMap<String, output::Change> = Default::default();
    for (old_side, (name, text)) in old
        .into_iter()
        .map(|f| (true, f))
        .chain(new.into_iter().map(|f| (false, f)))
    {
        let change = paired
            .entry(name.clone())
            .or_insert_with(|| output::Change {
                name,
                old: None,
                new: None,
            });
        if old_side {
            change.old = Some(text);
        } else {
            change.new = Some(text);
        }
    }
    let mut groups: Vec<(String, Vec<output::Change>)> = Vec::new();
    for (name, change) in paired {
        let group = name.rsplit_once('/').map_or("", |(g, _)| g).to_owned();
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, changes)) => changes.push(change),
            None => groups.push((group, vec![change])),
        }
    }
    let mut drifts = Vec::new();
    for (group, changes) in groups {
        let env = environments
            .iter()
            .find(|(out, _)| out.as_path() == Path::new(&group))
            .map(|(_, name)| name.as_str())
            .or((!group.is_empty()).then_some(group.as_str()));
        let old_at = |name: &str| match base {
            Base::Revision(rev) => PathBuf::from(format!("{rev}:{}", dir.join(name).display())),
            Base::Directory(d) => d.join(name),
        };
        let new_at = |name: &str| dir.join(name);
        let (text, summary, impact) = compared(
            dir,
            &changes,
            style,
            env,
            &drift_dir(dir, &group),
            (&old_at, &new_at),
            (&old_names, &new_names),
        )?;
        drifts.push(Drift {
            name: group.clone(),
            dir: dir.join(&group),
            text,
            summary,
            impact,
        });
    }
    Ok(drifts)
}

/// Where a file of each side (old, new) is, as the user would find it (`HEAD:deploy/x.yaml`).
type Sides<'a> = (&'a dyn Fn(&str) -> PathBuf, &'a dyn Fn(&str) -> PathBuf);

/// Every file of each side (old, new) below the compared root, whatever its directory (empty
/// when a side is one directory).
type Trees<'a> = (&'a [&'a str], &'a [&'a str]);

/// One directory's comparison: the unified diff of its files, what it changes and the impact,
/// with every credential value found in either side's objects hidden in both the diff and the
/// impact (`<redacted N>`, one N per value: a changed credential shows as a change, never as
/// what it is). Nothing is analyzed when nothing changed.
fn compared(
    shown: &Path,
    changes: &[output::Change],
    style: Style,
    environment: Option<&str>,
    dir: &str,
    sides: Sides<'_>,
    trees: Trees<'_>,
) -> Result<(String, Summary, Analysis)> {
    if changes.iter().all(|c| c.old == c.new) {
        let (text, summary) = output::diff::unified(shown, changes, style);
        return Ok((text, summary, Analysis::default()));
    }
    let mut redactor = crate::config::credentials::Redactor::default();
    let impact = impact_of(changes, environment, Some(dir), sides, trees, &mut redactor)?;
    let (text, summary) = if redactor.is_empty() {
        output::diff::unified(shown, changes, style)
    } else {
        let masked: Vec<output::Change> = changes
            .iter()
            .map(|c| output::Change {
                name: c.name.clone(),
                old: c.old.as_deref().map(|t| redactor.text(t)),
                new: c.new.as_deref().map(|t| redactor.text(t)),
            })
            .collect();
        output::diff::unified(shown, &masked, style)
    };
    Ok((text, summary, impact))
}

/// The impact ([`impact`]) of the file changes of one directory (every file, changed or not: unchanged files
/// give the context, such as the HPA of a changed Deployment), labelled with `environment`;
/// `dir` is the directory as the user named it (for the commands of a fix). A file of either
/// side that is not a manifest stream read as kubectl reads it is an error at its place
/// (`old_at`/`new_at` name a file of each side as the user would find it).
fn impact_of(
    changes: &[output::Change],
    environment: Option<&str>,
    dir: Option<&str>,
    (old_at, new_at): Sides<'_>,
    (old_tree, new_tree): Trees<'_>,
    redactor: &mut crate::config::credentials::Redactor,
) -> Result<Analysis> {
    let mut unreadable = Vec::new();
    let (mut broken_old, mut broken_new) = (Vec::new(), Vec::new());
    let old = impact::read_side(
        changes
            .iter()
            .filter_map(|c| c.old.as_deref().map(|t| (c.name.as_str(), t))),
        old_tree,
        &mut unreadable,
        &mut broken_old,
        redactor,
    );
    let new = impact::read_side(
        changes
            .iter()
            .filter_map(|c| c.new.as_deref().map(|t| (c.name.as_str(), t))),
        new_tree,
        &mut unreadable,
        &mut broken_new,
        redactor,
    );
    let mut problems = Vec::new();
    for (broken, at, old_side) in [(broken_old, old_at, true), (broken_new, new_at, false)] {
        for (name, e) in broken {
            let text = changes
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| {
                    if old_side {
                        c.old.clone()
                    } else {
                        c.new.clone()
                    }
                })
                .unwrap_or_default();
            let source =
                crate::input::credentials::source(crate::diag::Origin::File(at(&name)), text);
            problems.push(e.into_diagnostic(&source));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    let mut impacts = impact::analyze_in(&old, &new, dir);
    for i in &mut impacts {
        i.environment = environment.map(str::to_owned);
    }
    Ok(Analysis {
        impacts,
        unreadable,
    })
}
