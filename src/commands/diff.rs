//! `agentctl diff` (and `render --check`): the render compared with an output directory,
//! as a unified diff on stdout; exit 1 when they differ. With `--all`/`--env`, every selected
//! environment against its directory, plus the directories of environments no longer in the
//! project (with `--all`). Under the summary, one line per changed object says what applying
//! it does to the running system (`impact`); `--format json|markdown` prints that
//! report on stdout instead of the diff, and `--fail-on CLASS,...` exits 3 when a change of
//! one of those classes is present.

use std::path::Path;

use super::{Ctx, Outcome, is_project, plural, render_command, selection};
use crate::cli::{DiffFormat, ImpactArgs, ImpactClass, InputArgs, ProjectArgs};
use crate::diag::{Refusal, Result};
use crate::impact::{Class, Impact, report};
use crate::input::layers::Inputs;
use crate::input::project;
use crate::output::{self, Wait};
use crate::pipeline::{self, Base, Drift, Options, Target};
use crate::render::Renderer;

/// Runs `diff`.
pub fn run(
    ctx: Ctx,
    inputs: &InputArgs,
    project: &ProjectArgs,
    dir: &Path,
    wait: Wait,
    impact: &ImpactArgs,
) -> Result<Outcome> {
    let renderer = Renderer::new()?;
    if !is_project(project) {
        return single(ctx, &renderer, Inputs::from(inputs), dir, wait, impact);
    }
    let (file, envs) = selection(project)?;
    let targets: Vec<Target> = envs
        .iter()
        .map(|e| Target::environment(e, &inputs.all_sets(), dir))
        .collect();
    let opts = Options {
        project: Some(output::Project {
            file: &file.path,
            all: project.all,
        }),
        force: true,
        wait,
    };
    environments(ctx, &renderer, &targets, dir, &opts, impact)
}

/// The single render of the command line against `dir`.
pub fn single(
    ctx: Ctx,
    renderer: &Renderer,
    inputs: Inputs,
    dir: &Path,
    wait: Wait,
    impact: &ImpactArgs,
) -> Result<Outcome> {
    let rendered = pipeline::build_all(renderer, &[Target::single(inputs.clone(), dir)])?;
    if !dir.is_dir() {
        let command = render_command(&inputs, dir);
        return Err(Refusal::NothingToCompare(dir.to_owned(), command).into());
    }
    let opts = Options {
        project: None,
        force: true,
        wait,
    };
    let drifts = pipeline::diff_all(dir, &rendered, &opts, ctx.style)?;
    print_stdout(&drifts, impact.format)?;
    let Some(summary) = drifts.first().map(|d| &d.summary) else {
        return Ok(Outcome::Ok);
    };
    if summary.is_empty() {
        if !ctx.quiet {
            crate::sayln!(
                "{} is up to date ({} files)",
                crate::term::path_line(dir),
                summary.same
            );
        }
        return Ok(Outcome::Ok);
    }
    if !ctx.quiet {
        let mut kinds = Vec::new();
        for (n, what) in [
            (summary.changed.len(), "changed"),
            (summary.added.len(), "to create"),
            (summary.removed.len(), "to remove"),
        ] {
            if n > 0 {
                kinds.push(format!("{n} {what}"));
            }
        }
        crate::sayln!(
            "{} differs from the inputs in {} file{} ({}); update it with:\n  {}",
            crate::term::path_line(dir),
            summary.len(),
            plural(summary.len(), "s"),
            kinds.join(", "),
            render_command(&inputs, dir)
        );
    }
    Ok(conclude(ctx, &drifts, impact))
}

/// The `agentctl render` command line that brings the environments `targets` under `root` up
/// to date: the same selection and the same `--set` flags as the diff (without them, the
/// update would revert what they set).
fn project_render_command(
    project: Option<&Path>,
    all: bool,
    targets: &[Target],
    root: &Path,
) -> String {
    let mut cmd = String::from("agentctl render");
    // Another project file than the default one: named, or the command renders another project.
    if let Some(file) = project.filter(|f| *f != Path::new(crate::input::project::FILE_NAME)) {
        cmd.push_str(&format!(
            " --project {}",
            super::shell_word(&file.display().to_string())
        ));
    }
    if all {
        cmd.push_str(" --all");
    } else {
        for t in targets {
            cmd.push_str(&format!(
                " --env {}",
                super::shell_word(t.name.as_deref().unwrap_or_default())
            ));
        }
    }
    for s in targets
        .first()
        .map(|t| t.inputs.sets.as_slice())
        .unwrap_or_default()
    {
        cmd.push_str(&format!(" --set {}", super::shell_word(s)));
    }
    cmd.push_str(&format!(
        " -o {}",
        super::shell_word(&root.display().to_string())
    ));
    cmd
}

/// Project environments against their directories under `root` (which must exist).
pub fn environments(
    ctx: Ctx,
    renderer: &Renderer,
    targets: &[Target],
    root: &Path,
    opts: &Options,
    impact: &ImpactArgs,
) -> Result<Outcome> {
    let rendered = pipeline::build_all_files(renderer, targets)?;
    if !root.is_dir() {
        let command = format!("agentctl render --all -o {}", crate::term::path_line(root));
        return Err(Refusal::NothingToCompare(root.to_owned(), command).into());
    }
    let drifts = pipeline::diff_all(root, &rendered, opts, ctx.style)?;
    print_stdout(&drifts, impact.format)?;
    let drifted: Vec<&Drift> = drifts.iter().filter(|d| !d.summary.is_empty()).collect();
    if !ctx.quiet {
        let mut msg = String::new();
        for d in &drifted {
            let n = d.summary.len();
            msg.push_str(&format!(
                "drifted: {} ({}): {n} file{} differ{}\n",
                d.name,
                crate::term::path_line(&d.dir),
                plural(n, "s"),
                if n == 1 { "s" } else { "" },
            ));
        }
        if drifted.is_empty() {
            msg.push_str(&format!(
                "{} environment{} up to date under {}\n",
                drifts.len(),
                plural(drifts.len(), "s"),
                crate::term::path_line(root)
            ));
        } else {
            msg.push_str(&format!(
                "{} of {} environments drifted; update them with `{}`\n",
                drifted.len(),
                drifts.len(),
                project_render_command(
                    opts.project.map(|p| p.file),
                    opts.project.is_some_and(|p| p.all),
                    targets,
                    root
                )
            ));
        }
        crate::say!("{msg}");
    }
    Ok(if drifted.is_empty() {
        Outcome::Ok
    } else {
        conclude(ctx, &drifts, impact)
    })
}

/// `diff --base REV` / `--base-dir OLD`: two states of `dir` compared, nothing rendered.
pub fn base(ctx: Ctx, dir: &Path, base: &Base, impact: &ImpactArgs) -> Result<Outcome> {
    // The project in the current directory, when there is one, names the environments as
    // `diff --all` does; without one (or unreadable) the directories name themselves.
    let environments: Vec<(std::path::PathBuf, String)> = project::locate(None)
        .ok()
        .and_then(|p| project::load(&p, false).ok())
        .map(|p| {
            p.environments
                .into_iter()
                .map(|e| (e.output, e.name))
                .collect()
        })
        .unwrap_or_default();
    let drifts = pipeline::diff_base(dir, base, &environments, ctx.style)?;
    print_stdout(&drifts, impact.format)?;
    let label = match base {
        Base::Revision(rev) => format!("`{rev}`"),
        Base::Directory(old) => format!("`{}`", crate::term::path_line(old)),
    };
    let changed: Vec<&Drift> = drifts.iter().filter(|d| !d.summary.is_empty()).collect();
    if changed.is_empty() {
        if !ctx.quiet {
            let n: usize = drifts.iter().map(|d| d.summary.same).sum();
            let same = match base {
                Base::Revision(_) => format!("is the same at {label} and now"),
                Base::Directory(_) => format!("is the same as {label}"),
            };
            crate::sayln!(
                "{} {same} ({n} generated file{})",
                crate::term::path_line(dir),
                plural(n, "s")
            );
        }
        return Ok(Outcome::Ok);
    }
    if !ctx.quiet {
        let (mut c, mut a, mut r) = (0, 0, 0);
        for d in &changed {
            c += d.summary.changed.len();
            a += d.summary.added.len();
            r += d.summary.removed.len();
        }
        let mut kinds = Vec::new();
        for (n, what) in [(c, "changed"), (a, "added"), (r, "removed")] {
            if n > 0 {
                kinds.push(format!("{n} {what}"));
            }
        }
        let n = c + a + r;
        crate::sayln!(
            "{} differs from {label} in {n} file{} ({})",
            crate::term::path_line(dir),
            plural(n, "s"),
            kinds.join(", ")
        );
    }
    Ok(conclude(ctx, &drifts, impact))
}

/// stdout: the unified diffs, or the impact report as JSON or Markdown.
fn print_stdout(drifts: &[Drift], format: DiffFormat) -> Result<()> {
    let impacts = || -> Vec<Impact> {
        drifts
            .iter()
            .flat_map(|d| d.impact.impacts.iter().cloned())
            .collect()
    };
    match format {
        // Each line was made visible before it was painted (`output::diff`).
        DiffFormat::Text => {
            output::print_painted(&drifts.iter().map(|d| d.text.as_str()).collect::<String>())
        }
        DiffFormat::Json => output::print_json(&report::json(&impacts(), &not_analyzed(drifts))),
        DiffFormat::Markdown => output::print(&report::markdown(&impacts(), &not_analyzed(drifts))),
    }
}

/// What the drifts could not read, so did not analyze.
fn not_analyzed(drifts: &[Drift]) -> Vec<String> {
    drifts
        .iter()
        .flat_map(|d| d.impact.unreadable.iter().cloned())
        .collect()
}

/// The class a `--fail-on` name stands for.
fn class(c: ImpactClass) -> Class {
    match c {
        ImpactClass::InPlace => Class::InPlace,
        ImpactClass::Rollout => Class::Rollout,
        ImpactClass::Stall => Class::Stall,
        ImpactClass::Recreate => Class::Recreate,
        ImpactClass::DataLoss => Class::DataLoss,
        ImpactClass::Security => Class::Security,
    }
}

/// After drift was found: the impact lines on stderr, and exit 1, or 3 when a change of a
/// `--fail-on` class is present.
fn conclude(ctx: Ctx, drifts: &[Drift], args: &ImpactArgs) -> Outcome {
    let impacts: Vec<&Impact> = drifts.iter().flat_map(|d| &d.impact.impacts).collect();
    let owned: Vec<Impact> = impacts.iter().map(|i| (*i).clone()).collect();
    let not_analyzed = not_analyzed(drifts);
    if !ctx.quiet && (!owned.is_empty() || !not_analyzed.is_empty()) {
        let mut text = String::new();
        if !owned.is_empty() {
            text.push_str(&format!("{}\n", report::heading(&owned)));
            text.push_str(&report::human(&owned));
        }
        for u in &not_analyzed {
            text.push_str(&format!("  (not analyzed: {u})\n"));
        }
        crate::say!("{text}");
    }
    let fail_on: Vec<Class> = args.fail_on.iter().map(|c| class(*c)).collect();
    let hits: Vec<&Impact> = impacts
        .into_iter()
        .filter(|i| i.classes().iter().any(|c| fail_on.contains(c)))
        .collect();
    // What was not analyzed may hold a change of any class: `--fail-on` fails on it too.
    if !args.fail_on.is_empty() && !not_analyzed.is_empty() {
        if !ctx.quiet {
            crate::sayln!(
                "exit 3: {} file{} not analyzed, which may hold a change of any class (--fail-on)",
                not_analyzed.len(),
                plural(not_analyzed.len(), "s")
            );
        }
        return Outcome::Blocked;
    }
    if hits.is_empty() {
        return Outcome::Found;
    }
    if !ctx.quiet {
        let mut names: Vec<&str> = Vec::new();
        for c in Class::ALL {
            if fail_on.contains(&c) && hits.iter().any(|i| i.classes().contains(&c)) {
                names.push(c.name());
            }
        }
        crate::sayln!(
            "exit 3: {} change{} of class {} (--fail-on {})",
            hits.len(),
            plural(hits.len(), "s"),
            names.join(", "),
            args.fail_on
                .iter()
                .map(|c| class(*c).name())
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    Outcome::Blocked
}

/// `diff --live`: the impact of applying each render to the cluster now, on stdout (`text`:
/// the human report; `json`, `markdown` as for a directory); exit 0 nothing to change, 1
/// changes, 3 a change of a `--fail-on` class.
pub fn live(
    ctx: Ctx,
    targets: &[Target],
    cluster: &crate::cli::ClusterArgs,
    impact: &ImpactArgs,
) -> Result<Outcome> {
    let renderer = Renderer::new()?;
    let rendered = pipeline::build_all(&renderer, targets)?;
    let conn = super::connect(cluster, &rendered)?;
    let mut all: Vec<Impact> = Vec::new();
    for r in &rendered {
        let objects = crate::cluster::live::rendered_objects(&r.bundle);
        let names = crate::config::Names::of(&r.merged.config);
        let base = conn.live_base(
            &objects,
            &r.merged.config.namespace,
            names.instance_label(),
            &r.merged.crds,
        )?;
        let mut impacts = crate::cluster::drift::impacts(&base);
        for i in &mut impacts {
            i.environment = r.name.clone();
        }
        all.extend(impacts);
    }
    match impact.format {
        DiffFormat::Text if all.is_empty() => {}
        DiffFormat::Text => output::print(&format!(
            "{}\n{}",
            report::heading(&all),
            report::human(&all)
        ))?,
        DiffFormat::Json => output::print_json(&report::json(&all, &[]))?,
        DiffFormat::Markdown => output::print(&report::markdown(&all, &[]))?,
    }
    if all.is_empty() {
        if !ctx.quiet {
            crate::sayln!(
                "the cluster at {} holds what the render has: applying it changes nothing",
                conn.origin
            );
        }
        return Ok(Outcome::Ok);
    }
    let fail_on: Vec<Class> = impact.fail_on.iter().map(|c| class(*c)).collect();
    let hits = all
        .iter()
        .filter(|i| i.classes().iter().any(|c| fail_on.contains(c)))
        .count();
    if !ctx.quiet {
        crate::sayln!(
            "applying the render to {} changes {} object{}",
            conn.origin,
            all.len(),
            plural(all.len(), "s")
        );
    }
    Ok(if hits > 0 {
        Outcome::Blocked
    } else {
        Outcome::Found
    })
}
