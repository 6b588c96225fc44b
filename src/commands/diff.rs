//! `agentctl diff` (and `render --check`): the render compared with an output directory,
//! as a unified diff on stdout; exit 1 when they differ. With `--all`/`--env`, every selected
//! environment against its directory, plus the directories of environments no longer in the
//! project (with `--all`).

use std::path::Path;

use super::{Ctx, Outcome, is_project, plural, render_command, selection};
use crate::cli::{InputArgs, ProjectArgs};
use crate::diag::{Refusal, Result};
use crate::input::layers::Inputs;
use crate::output;
use crate::pipeline::{self, Drift, Target};
use crate::render::Renderer;

/// Runs `diff`.
pub fn run(ctx: Ctx, inputs: &InputArgs, project: &ProjectArgs, dir: &Path) -> Result<Outcome> {
    let renderer = Renderer::new()?;
    if !is_project(project) {
        return single(ctx, &renderer, Inputs::from(inputs), dir);
    }
    let (_, envs) = selection(project)?;
    let targets: Vec<Target> = envs
        .iter()
        .map(|e| Target::environment(e, &inputs.sets, dir))
        .collect();
    environments(ctx, &renderer, project.all, &targets, dir)
}

/// The single render of the command line against `dir`.
pub fn single(ctx: Ctx, renderer: &Renderer, inputs: Inputs, dir: &Path) -> Result<Outcome> {
    let rendered = pipeline::build_all(renderer, &[Target::single(inputs.clone(), dir)])?;
    if !dir.is_dir() {
        let command = render_command(&inputs, dir);
        return Err(Refusal::NothingToCompare(dir.to_owned(), command).into());
    }
    let drifts = pipeline::diff_all(&rendered, ctx.style)?;
    let text: String = drifts.iter().map(|d| d.text.as_str()).collect();
    output::print(&text)?;
    let Some(summary) = drifts.first().map(|d| &d.summary) else {
        return Ok(Outcome::Ok);
    };
    if summary.is_empty() {
        if !ctx.quiet {
            eprintln!("{} is up to date ({} files)", dir.display(), summary.same);
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
        eprintln!(
            "{} differs from the inputs in {} file{} ({}); update it with:\n  {}",
            dir.display(),
            summary.len(),
            plural(summary.len(), "s"),
            kinds.join(", "),
            render_command(&inputs, dir)
        );
    }
    Ok(Outcome::Found)
}

/// Project environments against their directories under `root` (which must exist).
pub fn environments(
    ctx: Ctx,
    renderer: &Renderer,
    all: bool,
    targets: &[Target],
    root: &Path,
) -> Result<Outcome> {
    let rendered = pipeline::build_all(renderer, targets)?;
    if !root.is_dir() {
        let command = format!("agentctl render --all -o {}", root.display());
        return Err(Refusal::NothingToCompare(root.to_owned(), command).into());
    }
    let mut drifts = pipeline::diff_all(&rendered, ctx.style)?;
    if all {
        drifts.extend(pipeline::orphan_drifts(root, &rendered, ctx.style)?);
    }
    let text: String = drifts.iter().map(|d| d.text.as_str()).collect();
    output::print(&text)?;
    let drifted: Vec<&Drift> = drifts.iter().filter(|d| !d.summary.is_empty()).collect();
    if !ctx.quiet {
        let mut msg = String::new();
        for d in &drifted {
            let n = d.summary.len();
            msg.push_str(&format!(
                "drifted: {} ({}): {n} file{} differ{}\n",
                d.name,
                d.dir.display(),
                plural(n, "s"),
                if n == 1 { "s" } else { "" },
            ));
        }
        if drifted.is_empty() {
            msg.push_str(&format!(
                "{} environment{} up to date under {}\n",
                drifts.len(),
                plural(drifts.len(), "s"),
                root.display()
            ));
        } else {
            msg.push_str(&format!(
                "{} of {} environments drifted; update them with `agentctl render --all -o {}`\n",
                drifted.len(),
                drifts.len(),
                root.display()
            ));
        }
        eprint!("{msg}");
    }
    Ok(if drifted.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Found
    })
}
