//! `agentctl status`: the deployment running in the cluster against the render, one line per
//! rendered object and a verdict (`cluster::health` judges); exit 0 healthy, 1 not, 2 error.
//! `--wait` polls until healthy (progress on stderr), `--format json` prints the report as
//! JSON (schema `agentctl status v1`).

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Ctx, Outcome, connect};
use crate::cli::{ClusterArgs, ReportFormat};
use crate::cluster::Cluster;
use crate::cluster::health::{self, Line, State};
use crate::cluster::live;
use crate::diag::Result;
use crate::output;
use crate::pipeline::{self, Rendered, Target};
use crate::render::Renderer;
use crate::term::{Paint, Style, visible};

/// `status`'s arguments.
pub struct Args<'a> {
    /// What to check.
    pub targets: Vec<Target>,
    /// How to reach the cluster.
    pub cluster: &'a ClusterArgs,
    /// `--wait --timeout`.
    pub wait: Option<Duration>,
    /// `--format`.
    pub format: ReportFormat,
}

/// One render's lines.
struct Report<'a> {
    rendered: &'a Rendered,
    lines: Vec<Line>,
}

/// Runs `status`.
pub fn run(ctx: Ctx, args: &Args) -> Result<Outcome> {
    let renderer = Renderer::new()?;
    let rendered = pipeline::build_all(&renderer, &args.targets)?;
    let cluster = connect(args.cluster, &rendered)?;
    let objects: Vec<Vec<serde_json::Value>> = rendered
        .iter()
        .map(|r| live::rendered_objects(&r.bundle))
        .collect();
    let observe = || -> Result<Vec<Report>> {
        rendered
            .iter()
            .zip(&objects)
            .map(|(r, o)| {
                Ok(Report {
                    rendered: r,
                    lines: cluster.status(o)?,
                })
            })
            .collect()
    };
    let mut reports = observe()?;
    if let Some(limit) = args.wait {
        let start = Instant::now();
        let mut last = String::new();
        while !healthy(&reports) && !stuck(&reports) && start.elapsed() < limit {
            let waiting = progress(&reports);
            if !ctx.quiet && waiting != last {
                crate::sayln!("waiting ({}s): {waiting}", start.elapsed().as_secs());
                last = waiting;
            }
            std::thread::sleep(Duration::from_secs(2));
            reports = observe()?;
        }
        if !ctx.quiet && !healthy(&reports) && !stuck(&reports) {
            crate::sayln!("gave up after {}s: {}", limit.as_secs(), progress(&reports));
        }
    }
    match args.format {
        // Each value was made visible before the words were painted.
        ReportFormat::Text => output::print_painted(&text(&cluster, &reports, ctx.style))?,
        ReportFormat::Json => output::print_json(&json(&cluster, &reports))?,
    }
    Ok(if healthy(&reports) {
        Outcome::Ok
    } else {
        Outcome::Found
    })
}

fn healthy(reports: &[Report]) -> bool {
    reports.iter().all(|r| health::verdict(&r.lines).0)
}

/// A rollout the controller gave up on (its progress deadline passed): waiting is pointless.
fn stuck(reports: &[Report]) -> bool {
    reports.iter().flat_map(|r| &r.lines).any(|l| {
        l.state == State::Failing && matches!(l.kind.as_str(), "Deployment" | "StatefulSet")
    })
}

/// The objects not yet healthy, in a few words each.
fn progress(reports: &[Report]) -> String {
    reports
        .iter()
        .flat_map(|r| &r.lines)
        .filter(|l| !l.state.healthy())
        .map(|l| format!("{} {} {}", l.kind, l.name, l.summary))
        .collect::<Vec<_>>()
        .join("; ")
}

fn paint(style: Style, state: State) -> String {
    let word = format!("{:<11}", state.word());
    match state {
        State::Ok => style.paint(Paint::Added, &word),
        State::Warning | State::Progressing => style.paint(Paint::Hunk, &word),
        _ => style.paint(Paint::Removed, &word),
    }
}

fn text(cluster: &Cluster, reports: &[Report], style: Style) -> String {
    let mut out = String::new();
    for r in reports {
        let env = r
            .rendered
            .name
            .as_deref()
            .map(|n| format!("environment {n}, "))
            .unwrap_or_default();
        out.push_str(&visible(&format!(
            "{}namespace {} on {} (Kubernetes {}):\n",
            env, r.rendered.merged.config.namespace, cluster.origin, cluster.version
        )));
        let width = r
            .lines
            .iter()
            .map(|l| l.kind.len() + l.name.len() + 1)
            .max()
            .unwrap_or(0);
        for l in &r.lines {
            let what = format!("{} {}", l.kind, l.name);
            out.push_str(&format!(
                "  {} {}\n",
                paint(style, l.state),
                visible(&format!("{what:<width$}  {}", l.summary))
            ));
            for d in &l.drift {
                out.push_str(&visible(&format!("      {d}\n")));
            }
        }
        let (ok, verdict) = health::verdict(&r.lines);
        let hint = if ok {
            ""
        } else {
            "; `agentctl doctor` with the same inputs says why and how to fix it"
        };
        out.push_str(&visible(&format!("{verdict}{hint}\n")));
    }
    out
}

fn json(cluster: &Cluster, reports: &[Report]) -> String {
    let targets: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let (ok, verdict) = health::verdict(&r.lines);
            json!({
                "environment": r.rendered.name,
                "namespace": r.rendered.merged.config.namespace,
                "instance": r.rendered.merged.config.instance,
                "healthy": ok,
                "verdict": verdict,
                "objects": r.lines,
            })
        })
        .collect();
    let doc = json!({
        "schema": "agentctl status v1",
        "server": cluster.origin.server,
        "context": cluster.origin.context,
        "version": cluster.version,
        "healthy": healthy(reports),
        "targets": targets,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
