//! The commands: each wires the pipeline stages together for one subcommand.
//!
//! Layers → merge → validate → render → check → bundle → output. Data goes to stdout,
//! diagnostics to stderr; the returned [`Outcome`] becomes the exit code in `main`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::bundle::{self, Bundle};
use crate::cli::{Cli, Command, InputArgs, ProfilesAction};
use crate::diag::{Diagnostic, Error, Result};
use crate::layers::{self, Inputs};
use crate::merge::{self, Merged};
use crate::output;
use crate::profiles;
use crate::render::Renderer;
use crate::validate;

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: the thing asked about was found (drift).
    Found,
}

impl From<&InputArgs> for Inputs {
    fn from(a: &InputArgs) -> Self {
        Inputs {
            profiles: a.profiles.clone(),
            files: a.files.clone(),
            sets: a.sets.clone(),
            inline: None,
        }
    }
}

/// Layers, merge and validation: the effective configuration of some inputs.
pub fn resolve(inputs: &Inputs) -> Result<Merged> {
    let layers = layers::load(inputs)?;
    let merged = merge::merge(&layers)?;
    validate::validate(&merged)?;
    Ok(merged)
}

/// The whole pipeline up to the in-memory bundle.
pub fn build(renderer: &Renderer, inputs: &Inputs) -> Result<(Merged, Bundle)> {
    let merged = resolve(inputs)?;
    let bundle = bundle::build(renderer, &merged.config)?;
    Ok((merged, bundle))
}

fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Other(
            anyhow::Error::new(e).context("writing to stdout"),
        )),
    }
}

/// A unified diff of the changes, one section per file; empty when nothing differs.
pub fn render_diff(dir: &Path, changes: &[output::Change]) -> String {
    let mut text = String::new();
    for c in changes {
        if c.old == c.new {
            continue;
        }
        let old = c.old.as_deref().unwrap_or("");
        let new = c.new.as_deref().unwrap_or("");
        let path = dir.join(&c.name);
        let a = if c.old.is_some() {
            format!("a/{}", path.display())
        } else {
            "/dev/null".into()
        };
        let b = if c.new.is_some() {
            format!("b/{}", path.display())
        } else {
            "/dev/null".into()
        };
        let diff = similar::TextDiff::from_lines(old, new);
        text.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&a, &b)
                .to_string(),
        );
    }
    text
}

fn diff(renderer: &Renderer, inputs: &Inputs, dir: &Path) -> Result<Outcome> {
    let (_, bundle) = build(renderer, inputs)?;
    if !dir.is_dir() {
        return Err(Error::Other(anyhow::anyhow!(
            "`{}` is not a directory; render it first with `agentctl render ... -o {}`",
            dir.display(),
            dir.display()
        )));
    }
    let changes = output::plan(dir, &bundle, true)?;
    let text = render_diff(dir, &changes);
    out(&text)?;
    Ok(if text.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Found
    })
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> Result<Outcome> {
    let quiet = cli.quiet;
    match &cli.command {
        Command::Render {
            inputs,
            output: dir,
            check,
            force,
            templates,
        } => {
            let renderer = Renderer::new(templates.as_deref())?;
            let inputs = Inputs::from(inputs);
            match (dir, check) {
                (Some(dir), true) => diff(&renderer, &inputs, dir),
                (Some(dir), false) => {
                    let (merged, bundle) = build(&renderer, &inputs)?;
                    let report = output::write(dir, &bundle, *force)?;
                    if !quiet {
                        eprintln!(
                            "wrote {}: {} created, {} updated, {} unchanged, {} removed",
                            dir.display(),
                            report.created.len(),
                            report.updated.len(),
                            report.unchanged.len(),
                            report.removed.len()
                        );
                        eprintln!(
                            "the deployment needs the Secret `{}` (keys `{}`, `{}`); create it out of band:\n  {}",
                            merged.config.secret.name,
                            merged.config.secret.api_key_key,
                            merged.config.secret.redis_password_key,
                            bundle::secret_command(&merged.config)
                        );
                    }
                    Ok(Outcome::Ok)
                }
                (None, _) => {
                    let (_, bundle) = build(&renderer, &inputs)?;
                    out(&bundle.stream()?)?;
                    Ok(Outcome::Ok)
                }
            }
        }
        Command::Diff {
            inputs,
            output: dir,
            templates,
        } => {
            let renderer = Renderer::new(templates.as_deref())?;
            diff(&renderer, &Inputs::from(inputs), dir)
        }
        Command::Profiles { action: None } => {
            let width = profiles::PROFILES
                .iter()
                .map(|p| p.name.len())
                .max()
                .unwrap_or(0);
            let mut text = String::new();
            for p in profiles::PROFILES {
                text.push_str(&format!("{:width$}  {}\n", p.name, p.description()));
            }
            out(&text)?;
            Ok(Outcome::Ok)
        }
        Command::Profiles {
            action: Some(ProfilesAction::Show { name }),
        } => {
            // Through the layer loader, so an unknown name gets the same diagnostic as -p.
            layers::profile(name).map_err(Error::Input)?;
            let p = profiles::find(name).context("profile vanished")?;
            out(p.text)?;
            Ok(Outcome::Ok)
        }
        Command::Schema => {
            let text = serde_json::to_string_pretty(crate::schema::schema())
                .context("serializing the schema")?;
            out(&format!("{text}\n"))?;
            Ok(Outcome::Ok)
        }
    }
}

/// Prints an error to stderr.
pub fn report(e: &Error) {
    let _ = Diagnostic::new("");
    eprint!("{e}");
}
