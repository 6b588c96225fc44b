//! `agentctl completions SHELL` and the completion engine behind it.
//!
//! The script a shell sources registers agentctl itself as its completer (clap_complete's
//! dynamic engine): on TAB the shell runs `COMPLETE=<shell> agentctl -- <words>`, and
//! [`command`] answers from the clap declarations plus what only a running agentctl knows:
//! the built-in profile names (`-p`, `profiles show|diff`), the environments of the project
//! file in the current directory (`--env`), and every setting path (`explain PATH`, `--set
//! PATH=`), the fields of a map entry included once its name is typed
//! (`agent.sidecars.otel.<TAB>`).
//! The candidates are attached here, not in [`crate::cli`], which declares only.

use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter, CompletionCandidate};
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
        // Setting paths are completed from what is typed (the fields after a map entry's
        // name, `agent.sidecars.otel.`, exist only once the name is written).
        let completer = match id.as_str() {
            "path" if cmd.get_name() == "explain" => Some(ArgValueCompleter::new(explain_paths)),
            "sets" => Some(ArgValueCompleter::new(set_paths)),
            _ => None,
        };
        if let Some(completer) = completer {
            cmd = cmd.mut_arg(id, |a| a.add(completer));
            continue;
        }
        let candidates = match id.as_str() {
            "profiles" => ArgValueCandidates::new(profile_names),
            "envs" | "env" => ArgValueCandidates::new(environment_names),
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

/// The first line of a schema node's documentation.
fn first_line(node: &serde_json::Value) -> String {
    schema::description(node)
        .and_then(|d| d.lines().next().map(str::to_owned))
        .unwrap_or_default()
}

/// Setting paths that start with `typed`: every path of the schema's sections, and the fields
/// below whatever `typed` names up to its last `.` (a map entry's fields after its name:
/// `agent.sidecars.otel.` offers `agent.sidecars.otel.image`, `....ports`, ...; a field of
/// one: `agent.sidecars.otel.resources.` offers `requests` and `limits`).
fn paths_from(typed: &str) -> Vec<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = setting_paths()
        .into_iter()
        .map(|c| {
            let path = c.get_value().to_string_lossy().into_owned();
            let help = c.get_help().map(ToString::to_string).unwrap_or_default();
            let leaf = is_leaf(&path);
            (path, help, leaf)
        })
        .filter(|(p, ..)| p.starts_with(typed))
        .collect();
    if let Some((parent, _)) = typed.rsplit_once('.')
        && !parent.is_empty()
        && !parent.split('.').any(str::is_empty)
    {
        let segments: Vec<&str> = parent.split('.').collect();
        if let Ok(node) = schema::lookup(&segments) {
            for name in entry_fields(node) {
                let path = format!("{parent}.{name}");
                if !path.starts_with(typed) || out.iter().any(|(p, ..)| *p == path) {
                    continue;
                }
                let child: Vec<&str> = path.split('.').collect();
                let help = schema::lookup(&child).map(first_line).unwrap_or_default();
                let leaf = is_leaf(&path);
                out.push((path, help, leaf));
            }
        }
    }
    out
}

/// The fields of a section or of a map entry's type (through `anyOf` and `$ref`).
fn entry_fields(node: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for b in schema::branches(node) {
        for n in schema::property_names(b) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names
}

/// Whether a setting path holds a value, not a section or a map of named entries.
fn is_leaf(path: &str) -> bool {
    let segments: Vec<&str> = path.split('.').collect();
    schema::lookup(&segments).is_ok_and(|n| {
        entry_fields(n).is_empty()
            && !schema::branches(n)
                .iter()
                .any(|b| b.get("additionalProperties").is_some_and(|a| a.is_object()))
    })
}

/// `explain PATH`.
fn explain_paths(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    paths_from(&typed)
        .into_iter()
        .map(|(p, help, _)| CompletionCandidate::new(p).help(Some(help.into())))
        .collect()
}

/// `--set PATH=VALUE`: the path, a value's with `=` after it; nothing once `=` is typed.
fn set_paths(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    if typed.contains('=') {
        return Vec::new();
    }
    paths_from(&typed)
        .into_iter()
        .map(|(p, help, leaf)| {
            let value = if leaf { format!("{p}=") } else { p };
            CompletionCandidate::new(value).help(Some(help.into()))
        })
        .collect()
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
