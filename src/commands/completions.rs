//! `agentctl completions SHELL` and the completion engine behind it.
//!
//! The script a shell sources registers agentctl itself as its completer (clap_complete's
//! dynamic engine): on TAB the shell runs `COMPLETE=<shell> agentctl -- <words>`, and
//! [`command`] answers from the clap declarations plus what only a running agentctl knows:
//! the built-in profile names (`-p`, `profiles show|diff`), the environments of the project
//! file in the current directory (`--env`), and every setting path (`explain PATH`).
//! The candidates are attached here, not in [`crate::cli`], which declares only.

use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::Shells;

use super::Outcome;
use crate::cli::Cli;
use crate::config::schema;
use crate::diag::Result;
use crate::input::{profiles, project};
use crate::output;

/// The environment variable that asks agentctl for completions instead of running.
pub const VAR: &str = "COMPLETE";

/// The command line's declarations with the dynamic candidates attached: what the
/// completion engine completes against.
pub fn command() -> clap::Command {
    with_candidates(Cli::command())
}

fn with_candidates(mut cmd: clap::Command) -> clap::Command {
    let profile_pair = matches!(cmd.get_name(), "show" | "diff");
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let candidates = match id.as_str() {
            "profiles" => ArgValueCandidates::new(profile_names),
            "envs" | "env" => ArgValueCandidates::new(environment_names),
            "path" if cmd.get_name() == "explain" => ArgValueCandidates::new(setting_paths),
            "enable" if cmd.get_name() == "lint" => ArgValueCandidates::new(opt_in_rules),
            "name" | "a" | "b" if profile_pair => ArgValueCandidates::new(profile_names),
            _ => continue,
        };
        cmd = cmd.mut_arg(id, |a| a.add(candidates));
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for s in subs {
        cmd = cmd.mut_subcommand(s, with_candidates);
    }
    cmd
}

/// The opt-in lint rules (`lint --enable`), each with its title.
fn opt_in_rules() -> Vec<CompletionCandidate> {
    crate::lint::RULES
        .iter()
        .filter(|r| r.opt_in)
        .map(|r| CompletionCandidate::new(r.id).help(Some(r.title.into())))
        .collect()
}

/// The built-in profiles, each with its one-line description.
fn profile_names() -> Vec<CompletionCandidate> {
    profiles::PROFILES
        .iter()
        .map(|p| CompletionCandidate::new(p.name).help(Some(p.description().into())))
        .collect()
}

/// The environments of `agentctl.yaml` in the current directory (none when there is no
/// valid one: completion never reports errors).
fn environment_names() -> Vec<CompletionCandidate> {
    project::locate(None)
        .ok()
        .and_then(|p| project::load(&p, false).ok())
        .map(|p| {
            p.environments
                .iter()
                .map(|e| CompletionCandidate::new(e.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Every setting path (`agent`, `agent.replicas`, `agent.replicas.max`, ...), with the first
/// line of its documentation.
fn setting_paths() -> Vec<CompletionCandidate> {
    fn walk(section: &serde_json::Value, prefix: &str, out: &mut Vec<CompletionCandidate>) {
        for name in schema::property_names(section) {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let segments: Vec<&str> = path.split('.').collect();
            let Ok(node) = schema::lookup(&segments) else {
                continue;
            };
            let help = schema::description(node)
                .and_then(|d| d.lines().next().map(str::to_owned))
                .unwrap_or_default();
            out.push(CompletionCandidate::new(path.clone()).help(Some(help.into())));
            if segments.len() < 8 {
                walk(node, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(schema::schema(), "", &mut out);
    out
}

/// The registration script for a shell: it makes the shell ask agentctl on every TAB.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(completer) = Shells::builtins().completer(&shell.to_string()) {
        // Writing into a Vec cannot fail.
        let _ = completer.write_registration(VAR, "agentctl", "agentctl", "agentctl", &mut buf);
    }
    buf
}

/// Runs `completions`.
pub fn run(shell: clap_complete::Shell) -> Result<Outcome> {
    output::print(&String::from_utf8_lossy(&script(shell)))?;
    Ok(Outcome::Ok)
}
