//! `agentctl doctor`: what the render needs from the cluster, checked live, then what the
//! cluster shows going wrong, each finding with its cause and the commands that fix it
//! (`cluster::doctor` decides); exit 0 clean, 1 findings, 2 error; text or JSON (schema
//! `agentctl doctor v1`).

use std::path::Path;

use serde_json::json;

use super::{Ctx, Outcome, connect, render_command, shell_word};
use crate::cli::{ClusterArgs, ReportFormat};
use crate::cluster::Cluster;
use crate::cluster::doctor::Report;
use crate::cluster::live;
use crate::diag::Result;
use crate::output;
use crate::pipeline::{self, Rendered, Target};
use crate::render::Renderer;
use crate::term::{Paint, Style, visible};

/// `doctor`'s arguments.
pub struct Args<'a> {
    /// What to check.
    pub targets: Vec<Target>,
    /// How to reach the cluster.
    pub cluster: &'a ClusterArgs,
    /// `--format`.
    pub format: ReportFormat,
}

/// Runs `doctor`.
pub fn run(ctx: Ctx, args: &Args) -> Result<Outcome> {
    let renderer = Renderer::new()?;
    let rendered = pipeline::build_all(&renderer, &args.targets)?;
    let cluster = connect(args.cluster, &rendered)?;
    let mut reports = Vec::new();
    for (r, t) in rendered.iter().zip(&args.targets) {
        let objects = live::rendered_objects(&r.bundle);
        let render_with = |sets: &[String]| -> String {
            match &r.name {
                None => {
                    let mut inputs = t.inputs.clone();
                    inputs.sets.extend(sets.iter().cloned());
                    render_command(&inputs, Path::new("OUT"))
                }
                Some(env) => {
                    let mut cmd = format!("agentctl render --env {}", shell_word(env));
                    for s in t.inputs.sets.iter().chain(sets) {
                        cmd.push_str(&format!(" --set {}", shell_word(s)));
                    }
                    cmd.push_str(" -o OUT");
                    cmd
                }
            }
        };
        let cfg = &r.merged.config;
        let expect = crate::cluster::doctor::expected_labels(cfg);
        let report = cluster.doctor(
            &objects,
            &cfg.namespace,
            &expect,
            &r.merged.crds,
            &render_with,
        )?;
        reports.push((r, report));
    }
    match args.format {
        // Each value was made visible before the words were painted.
        ReportFormat::Text => {
            output::print_painted(&text(&cluster, &reports, ctx.style, ctx.quiet))?
        }
        ReportFormat::Json => output::print_json(&json(&cluster, &reports))?,
    }
    Ok(if reports.iter().all(|(_, r)| r.findings.is_empty()) {
        Outcome::Ok
    } else {
        Outcome::Found
    })
}

fn text(cluster: &Cluster, reports: &[(&Rendered, Report)], style: Style, quiet: bool) -> String {
    let mut out = String::new();
    for (r, report) in reports {
        let env = r
            .name
            .as_deref()
            .map(|n| format!("environment {n}, "))
            .unwrap_or_default();
        out.push_str(&visible(&format!(
            "{env}namespace {} on {} (Kubernetes {}):\n",
            r.merged.config.namespace, cluster.origin, cluster.version
        )));
        if !quiet {
            for p in &report.passed {
                out.push_str(&format!(
                    "  {}  {}\n",
                    style.paint(Paint::Added, "ok"),
                    visible(&p.detail)
                ));
            }
        }
        for f in &report.findings {
            out.push_str(&format!(
                "  {} {}",
                style.paint(Paint::Removed, "FINDING"),
                visible(&format!(
                    "{} [{}]\n      cause: {}\n",
                    f.subject, f.check, f.cause
                ))
            ));
            for (i, fix) in f.fix.iter().enumerate() {
                out.push_str(&visible(&format!(
                    "      {} {fix}\n",
                    if i == 0 { "fix:  " } else { "      " }
                )));
            }
        }
        for n in &report.notes {
            out.push_str(&format!(
                "  {} {}\n",
                style.paint(Paint::Hunk, "note:"),
                visible(n)
            ));
        }
        let n = report.findings.len();
        out.push_str(&if n == 0 {
            format!("clean: {} checks passed\n", report.passed.len())
        } else {
            format!(
                "{n} finding{} ({} checks passed)\n",
                if n == 1 { "" } else { "s" },
                report.passed.len()
            )
        });
    }
    out
}

fn json(cluster: &Cluster, reports: &[(&Rendered, Report)]) -> String {
    let targets: Vec<serde_json::Value> = reports
        .iter()
        .map(|(r, report)| {
            json!({
                "environment": r.name,
                "namespace": r.merged.config.namespace,
                "instance": r.merged.config.instance,
                "clean": report.findings.is_empty(),
                "passed": report.passed,
                "findings": report.findings,
                "notes": report.notes,
            })
        })
        .collect();
    let doc = json!({
        "schema": "agentctl doctor v1",
        "server": cluster.origin.server,
        "context": cluster.origin.context,
        "version": cluster.version,
        "clean": reports.iter().all(|(_, r)| r.findings.is_empty()),
        "targets": targets,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
