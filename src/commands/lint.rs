//! `agentctl lint`: the production-readiness rules ([`crate::lint`]) over the objects a render
//! would apply, for one set of inputs or the environments of a project file; the findings as
//! text, JSON, SARIF or JUnit on stdout. Exit 0 clean, 1 findings, 2 bad input.

use std::path::Path;

use super::{Ctx, Outcome, is_project, selection};
use crate::cli::{InputArgs, LintFormat, ProjectArgs};
use crate::diag::Result;
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
) -> Result<Outcome> {
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
        .collect();
    let envs: Vec<&str> = rendered.iter().map(|r| r.name()).collect();
    let text = match format {
        LintFormat::Text => report::text(&findings),
        LintFormat::Json => report::json(&findings),
        LintFormat::Sarif => report::sarif(&findings),
        LintFormat::Junit => report::junit(&envs, &findings),
    };
    match format {
        LintFormat::Text if ctx.quiet && findings.is_empty() => {}
        LintFormat::Json | LintFormat::Sarif => output::print_json(&text)?,
        LintFormat::Text | LintFormat::Junit => output::print(&text)?,
    }
    Ok(if findings.iter().all(|(_, f)| f.accepted.is_some()) {
        Outcome::Ok
    } else {
        Outcome::Found
    })
}
