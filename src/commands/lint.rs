//! `agentctl lint`: the production-readiness rules ([`crate::lint`]) over the objects a render
//! would apply, for one set of inputs or the environments of a project file; the findings as
//! text, JSON, SARIF or JUnit on stdout. Exit 0 clean, 1 findings, 2 bad input.

use std::path::Path;

use super::{Ctx, Outcome, is_project, selection};
use crate::cli::{InputArgs, LintFormat, ProjectArgs};
use crate::diag::{Diagnostic, Error, Result};
use crate::input::layers::Inputs;
use crate::lint::{Finding, report};
use crate::output;
use crate::pipeline::{self, Target};
use crate::render::Renderer;

/// Runs `lint`.
pub fn run(
    ctx: Ctx,
    inputs: &InputArgs,
    project: &ProjectArgs,
    format: LintFormat,
    enable: &[String],
) -> Result<Outcome> {
    let enabled = opt_in(enable)?;
    let renderer = Renderer::new()?;
    let targets: Vec<Target> = if is_project(project) {
        let (_, envs) = selection(project)?;
        envs.iter()
            .map(|e| Target::environment(e, &inputs.all_sets(), Path::new("")))
            .collect()
    } else {
        vec![Target::single(Inputs::from(inputs), Path::new(""))]
    };
    let rendered = pipeline::build_all(&renderer, &targets)?;
    let findings: Vec<(&str, &Finding)> = rendered
        .iter()
        .flat_map(|r| r.bundle.findings.iter().map(move |f| (r.name(), f)))
        .filter(|(_, f)| f.shown(&enabled))
        .collect();
    let envs: Vec<&str> = rendered.iter().map(|r| r.name()).collect();
    let text = match format {
        LintFormat::Text => report::text(&findings),
        LintFormat::Json => report::json(&findings),
        LintFormat::Sarif => report::sarif(&findings),
        LintFormat::Junit => report::junit(&envs, &findings, &enabled),
    };
    match format {
        LintFormat::Text if ctx.quiet && findings.is_empty() => {}
        LintFormat::Json | LintFormat::Sarif => output::print_json(&text)?,
        LintFormat::Text | LintFormat::Junit => output::print(&text)?,
    }
    Ok(if findings.iter().all(|(_, f)| f.waived()) {
        Outcome::Ok
    } else {
        Outcome::Found
    })
}

/// The opt-in rules `--enable` names; an ID that is no rule, or a rule that is always on, is
/// an error (it would otherwise silently enable nothing).
fn opt_in(enable: &[String]) -> Result<Vec<&'static str>> {
    let opt: Vec<&str> = crate::lint::RULES
        .iter()
        .filter(|r| r.opt_in)
        .map(|r| r.id)
        .collect();
    let mut bad = Vec::new();
    let mut ids = Vec::new();
    for id in enable {
        match crate::lint::rule(id) {
            Some(r) if r.opt_in => ids.push(r.id),
            Some(r) => bad.push(
                Diagnostic::new(format!("`--enable {id}`: {} is always on", r.id)).help(format!(
                    "only the opt-in rules need --enable: {}",
                    opt.join(", ")
                )),
            ),
            None => bad.push(
                Diagnostic::new(format!("`--enable {id}`: no such lint rule")).help(
                    match crate::suggest::did_you_mean(id, opt.iter().copied()) {
                        Some(s) => {
                            format!("did you mean `{s}`? The opt-in rules: {}", opt.join(", "))
                        }
                        None => format!("the opt-in rules: {}", opt.join(", ")),
                    },
                ),
            ),
        }
    }
    if bad.is_empty() {
        Ok(ids)
    } else {
        Err(Error::Input(bad))
    }
}
