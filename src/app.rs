//! The commands: each wires the pipeline stages together for one subcommand.
//!
//! Layers → merge → validate → render → check → bundle → output. Data goes to stdout,
//! diagnostics to stderr; the returned [`Outcome`] becomes the exit code in `main`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::bundle::{self, Bundle};
use crate::cli::{Cli, Command, InputArgs, ProfilesAction};
use crate::diag::{Error, Result};
use crate::layers::{self, Inputs};
use crate::merge::{self, Merged};
use crate::output;
use crate::profiles;
use crate::render::Renderer;
use crate::term::Style;
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

/// Parses the command line. `--color` is looked for first, so clap's own help and usage errors
/// follow it too (clap on its own only knows the terminal and `NO_COLOR`).
pub fn parse() -> std::result::Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches, ValueEnum};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut choice = clap::ColorChoice::Auto;
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        let value = match word.strip_prefix("--color") {
            Some("") => words.next().map(|w| w.into_owned()),
            Some(rest) => match rest.strip_prefix('=') {
                Some(value) => Some(value.to_owned()),
                None => continue, // `--colorful`: not ours
            },
            None if word == "--" => break,
            None => continue,
        };
        // The value names are cli.rs's; a bad one is left for the real parse to report.
        choice = match value.and_then(|v| crate::cli::ColorChoice::from_str(&v, false).ok()) {
            Some(crate::cli::ColorChoice::Always) => clap::ColorChoice::Always,
            Some(crate::cli::ColorChoice::Never) => clap::ColorChoice::Never,
            _ => clap::ColorChoice::Auto,
        };
    }
    let matches = Cli::command().color(choice).try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
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

/// Writes data to stdout; a closed pipe is not an error.
pub(crate) fn out(text: &str) -> Result<()> {
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

/// A shell word, quoted only when it needs to be.
fn shell_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The `agentctl render` command line that brings `dir` up to date with `inputs`.
fn render_command(inputs: &Inputs, templates: Option<&Path>, dir: &Path) -> String {
    let mut cmd = String::from("agentctl render");
    for p in &inputs.profiles {
        cmd.push_str(&format!(" -p {}", shell_word(p)));
    }
    for f in &inputs.files {
        cmd.push_str(&format!(" -f {}", shell_word(&f.display().to_string())));
    }
    for s in &inputs.sets {
        cmd.push_str(&format!(" --set {}", shell_word(s)));
    }
    if let Some(t) = templates {
        cmd.push_str(&format!(
            " --templates {}",
            shell_word(&t.display().to_string())
        ));
    }
    cmd.push_str(&format!(" -o {}", shell_word(&dir.display().to_string())));
    cmd
}

fn diff(
    renderer: &Renderer,
    inputs: &Inputs,
    templates: Option<&Path>,
    dir: &Path,
    style: Style,
    quiet: bool,
) -> Result<Outcome> {
    let (_, bundle) = build(renderer, inputs)?;
    if !dir.is_dir() {
        return Err(Error::Other(anyhow::anyhow!(
            "`{}` is not a directory; render it first with `{}`",
            dir.display(),
            render_command(inputs, templates, dir)
        )));
    }
    let changes = output::compare(dir, &bundle)?;
    let (text, summary) = crate::diff::unified(dir, &changes, style);
    out(&text)?;
    if summary.is_empty() {
        if !quiet {
            eprintln!("{} is up to date ({} files)", dir.display(), summary.same);
        }
        return Ok(Outcome::Ok);
    }
    if !quiet {
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
            if summary.len() == 1 { "" } else { "s" },
            kinds.join(", "),
            render_command(inputs, templates, dir)
        );
    }
    Ok(Outcome::Found)
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> Result<Outcome> {
    let quiet = cli.quiet;
    let style = Style::for_stdout(cli.color);
    match &cli.command {
        Command::Render {
            inputs,
            project,
            output: dir,
            check,
            force,
            templates,
        } => {
            let renderer = Renderer::new(templates.as_deref())?;
            if project.all || !project.envs.is_empty() || project.project.is_some() {
                return crate::project::render_command(
                    &renderer,
                    project,
                    &inputs.sets,
                    dir.as_deref(),
                    *check,
                    *force,
                    style,
                    quiet,
                );
            }
            let inputs = Inputs::from(inputs);
            match (dir, check) {
                (Some(dir), true) => {
                    diff(&renderer, &inputs, templates.as_deref(), dir, style, quiet)
                }
                (Some(dir), false) => {
                    let (merged, bundle) = build(&renderer, &inputs)?;
                    let report = output::write(dir, &bundle, *force)?;
                    if !quiet {
                        eprintln!("{}", report.summary(dir));
                        eprintln!(
                            "the deployment needs the Secret `{}` (keys {}); create it out of band:\n  {}",
                            merged.config.secret.name,
                            bundle::secret_keys_text(&merged.config),
                            bundle::secret_command(&merged.config)
                        );
                    }
                    Ok(Outcome::Ok)
                }
                (None, _) => {
                    let (_, bundle) = build(&renderer, &inputs)?;
                    out(&bundle.stream())?;
                    Ok(Outcome::Ok)
                }
            }
        }
        Command::Diff {
            inputs,
            project,
            output: dir,
            templates,
        } => {
            let renderer = Renderer::new(templates.as_deref())?;
            if project.all || !project.envs.is_empty() || project.project.is_some() {
                return crate::project::diff_command(
                    &renderer,
                    project,
                    &inputs.sets,
                    dir,
                    style,
                    quiet,
                );
            }
            diff(
                &renderer,
                &Inputs::from(inputs),
                templates.as_deref(),
                dir,
                style,
                quiet,
            )
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
        Command::Profiles {
            action: Some(ProfilesAction::Diff { a, b }),
        } => {
            let one = |name: &str| {
                resolve(&Inputs {
                    profiles: vec![name.to_owned()],
                    ..Inputs::default()
                })
            };
            let (left, right) = match (one(a), one(b)) {
                (Ok(l), Ok(r)) => (l, r),
                (Err(Error::Input(mut d)), Err(Error::Input(e))) => {
                    d.extend(e);
                    return Err(Error::Input(d));
                }
                (Err(e), _) | (_, Err(e)) => return Err(e),
            };
            out(&crate::explain::profiles_diff((a, &left), (b, &right))?)?;
            Ok(Outcome::Ok)
        }
        Command::Schema => {
            out(&schema_text()?)?;
            Ok(Outcome::Ok)
        }
        Command::Config {
            inputs,
            show_origin,
        } => {
            let merged = resolve(&Inputs::from(inputs))?;
            out(&crate::explain::config_yaml(&merged, *show_origin)?)?;
            Ok(Outcome::Ok)
        }
        Command::Explain { path, inputs } => {
            let merged = resolve(&Inputs::from(inputs))?;
            out(&crate::explain::explain(&merged, path.as_deref())?)?;
            Ok(Outcome::Ok)
        }
        Command::Init {
            project: Some(file),
            ..
        } => crate::project::init_command(file, quiet),
        Command::Init {
            path,
            project: None,
        } => {
            let written = crate::init::write(path, &schema_text()?)?;
            if !quiet {
                let (schema, wrote) = &written.schema;
                let schema_note = if *wrote {
                    format!("created {} for editors", schema.display())
                } else {
                    format!(
                        "kept the existing {} (refresh it with `agentctl schema > {}`)",
                        schema.display(),
                        schema.display()
                    )
                };
                eprintln!(
                    "created {}: a starter that changes nothing until you edit it; {schema_note}\nnext: agentctl render -f {} -o deploy/out",
                    written.file.display(),
                    shell_word(&written.file.display().to_string())
                );
            }
            Ok(Outcome::Ok)
        }
        Command::Completions { shell } => {
            out(&String::from_utf8_lossy(&crate::manual::completions(
                *shell,
            )))?;
            Ok(Outcome::Ok)
        }
        Command::Man { out: None } => {
            out(&String::from_utf8_lossy(&crate::manual::page()?))?;
            Ok(Outcome::Ok)
        }
        Command::Man { out: Some(dir) } => {
            let written = crate::manual::write_pages(dir)?;
            if !quiet {
                eprintln!("wrote {} man pages to {}", written.len(), dir.display());
            }
            Ok(Outcome::Ok)
        }
    }
}

/// The JSON Schema of override files, pretty-printed, with a final newline.
pub fn schema_text() -> Result<String> {
    let text =
        serde_json::to_string_pretty(crate::schema::schema()).context("serializing the schema")?;
    Ok(format!("{text}\n"))
}

/// Prints an error to stderr.
pub fn report(e: &Error) {
    eprint!("{e}");
}
