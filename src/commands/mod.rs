//! Commands: one file per subcommand, each a thin layer over [`crate::pipeline`].
//!
//! A command turns its parsed arguments into pipeline calls, prints data to stdout (through
//! [`crate::output::print`]) and its account of what it did to stderr, and returns an
//! [`Outcome`] that `main` maps to an exit code. Must not parse YAML, render templates or touch
//! files itself: those are the stages' jobs.

pub mod completions;
pub mod config;
pub mod diff;
pub mod doctor;
pub mod explain;
pub mod init;
pub mod lint;
pub mod man;
pub mod objects;
pub mod profiles;
pub mod render;
pub mod restore_help;
pub mod schema;
pub mod status;

use std::path::Path;

use crate::cli::{Cli, ClusterArgs, Command, EnvArgs, ImpactArgs, InputArgs, ProjectArgs};
use crate::cluster::Cluster;
use crate::diag::{Error, Refusal, Result};
use crate::input::layers::Inputs;
use crate::input::project::{self, Environment, Project};
use crate::output::Wait;
use crate::pipeline::{Base, Rendered, Target};
use crate::term::Style;

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: the thing asked about was found (drift).
    Found,
    /// Exit 3: drift with a change of an impact class named by `--fail-on`.
    Blocked,
}

/// What every command may need besides its own arguments.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// Colors for stdout.
    pub style: Style,
    /// `--quiet`: nothing but data and errors.
    pub quiet: bool,
}

impl From<&InputArgs> for Inputs {
    fn from(a: &InputArgs) -> Self {
        Inputs {
            profiles: a.profiles.clone(),
            files: a.files.clone(),
            sets: a.all_sets(),
            inline: None,
            read: Default::default(),
            root: None,
        }
    }
}

impl InputArgs {
    /// The `--set` flags, then `--kube-version V` after them (it wins over a project
    /// environment's `kubeVersion:`), in the form the layer reader shows as the flag itself
    /// ([`crate::input::layers::KUBE_VERSION_FLAG`]).
    pub(crate) fn all_sets(&self) -> Vec<String> {
        let mut sets = self.sets.clone();
        sets.extend(
            self.kube_version
                .iter()
                .map(|v| format!("{}{v}", crate::input::layers::KUBE_VERSION_FLAG)),
        );
        sets
    }
}

/// Prints a command-line error (or the help and version clap answers with): as clap renders it,
/// unless that quotes a value shaped like a credential (`--fail-on sk-ant-…`, a mistyped
/// `AGENTCTL_LOCK_TIMEOUT`) or a control character: then masked and escaped, uncolored, like
/// every other message ([`crate::diag::safe`]).
pub fn print_parse_error(e: &clap::Error) {
    let plain = e.render().to_string();
    let shown = crate::diag::safe(&plain);
    if shown == plain {
        let _ = e.print();
    } else if e.use_stderr() {
        eprint!("{shown}");
    } else {
        print!("{shown}");
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
    let matches = match Cli::command().color(choice).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => return Err(shown_words(e, &args, choice)),
    };
    Cli::from_arg_matches(&matches)
}

/// A usage error about the command line as clap reports it, with every word that holds a
/// control or invisible character (`agentctl $'\e]0;x\a'`) shown escaped. clap quotes the
/// word as it is: its plain text strips an escape sequence (so [`print_parse_error`]'s check
/// cannot see it), and its styled text, on a terminal, writes it raw (a terminal title set, the
/// screen cleared). So the error is made again from the words escaped (`\u{1b}]0;x\u{7}`),
/// which clap then quotes as they are.
fn shown_words(
    e: clap::Error,
    args: &[std::ffi::OsString],
    choice: clap::ColorChoice,
) -> clap::Error {
    use clap::CommandFactory;
    let hidden = |a: &std::ffi::OsString| {
        a.to_string_lossy()
            .chars()
            .any(|c| c == '\n' || crate::term::hidden(c))
    };
    if !e.use_stderr() || !args.iter().skip(1).any(hidden) {
        return e;
    }
    let shown: Vec<String> = args
        .iter()
        .map(|a| crate::term::one_line(&a.to_string_lossy()).into_owned())
        .collect();
    match Cli::command().color(choice).try_get_matches_from(shown) {
        Err(again) if again.use_stderr() => again,
        // Escaped, the words parse (or ask for help): say what clap said, as plain text.
        _ => Cli::command().color(choice).error(
            clap::error::ErrorKind::InvalidValue,
            crate::term::visible(&e.render().to_string()).trim_start_matches("error: "),
        ),
    }
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> Result<Outcome> {
    let ctx = Ctx {
        style: Style::for_stdout(cli.color),
        quiet: cli.quiet,
    };
    match &cli.command {
        Command::Render {
            inputs,
            project,
            output,
            check,
            force,
            lock,
            format,
            fail_on,
        } => render::run(
            ctx,
            &render::Args {
                inputs,
                project,
                dir: output.as_deref(),
                check: *check,
                force: *force,
                wait: Wait::seconds(lock.lock_timeout, ctx.quiet),
                impact: ImpactArgs {
                    format: *format,
                    fail_on: fail_on.clone(),
                },
            },
        ),
        Command::Lint {
            inputs,
            project,
            format,
            enable,
        } => lint::run(ctx, inputs, project, *format, enable),
        Command::Diff {
            inputs,
            project,
            output,
            live,
            cluster,
            lock,
            base,
            base_dir,
            impact,
        } => match (output, base, base_dir) {
            _ if *live => diff::live(ctx, &cluster_targets(inputs, project)?, cluster, impact),
            (None, _, _) => Err(Refusal::NoOutputDirectory(1).into()),
            (Some(output), Some(rev), _) => {
                diff::base(ctx, output, &Base::Revision(rev.clone()), impact)
            }
            (Some(output), None, Some(old)) => {
                diff::base(ctx, output, &Base::Directory(old.clone()), impact)
            }
            (Some(output), None, None) => diff::run(
                ctx,
                inputs,
                project,
                output,
                Wait::seconds(lock.lock_timeout, ctx.quiet),
                impact,
            ),
        },
        Command::Status {
            inputs,
            project,
            cluster,
            wait,
            timeout,
            format,
        } => status::run(
            ctx,
            &status::Args {
                targets: cluster_targets(inputs, project)?,
                cluster,
                wait: wait.then(|| std::time::Duration::from_secs(*timeout)),
                format: *format,
            },
        ),
        Command::Doctor {
            inputs,
            project,
            cluster,
            format,
        } => doctor::run(
            ctx,
            &doctor::Args {
                targets: cluster_targets(inputs, project)?,
                cluster,
                format: *format,
            },
        ),
        Command::Profiles { action } => profiles::run(action.as_ref()),
        Command::Schema { project } => schema::run(*project),
        Command::Config {
            inputs,
            env,
            show_origin,
        } => config::run(&one_configuration(inputs, env)?, *show_origin),
        Command::Explain { path, inputs, env } => {
            explain::run(&one_configuration(inputs, env)?, path.as_deref())
        }
        Command::Init { path, project } => init::run(ctx, path, project.as_deref()),
        Command::Completions { shell } => completions::run(*shell),
        Command::RestoreHelp { inputs, env } => restore_help::run(&one_configuration(inputs, env)?),
        Command::Man { out } => man::run(ctx, out.as_deref()),
        Command::Objects { format } => objects::run(*format),
    }
}

/// Whether the command line names project environments instead of -p/-f inputs.
fn is_project(args: &ProjectArgs) -> bool {
    args.all || !args.envs.is_empty() || args.project.is_some()
}

/// The project file and the environments the command line selects.
fn selection(args: &ProjectArgs) -> Result<(Project, Vec<Environment>)> {
    let project = project::load(
        &project::locate(args.project.as_deref())?,
        args.allow_outside_project,
    )?;
    if !args.all && args.envs.is_empty() {
        return Err(Refusal::NoEnvironmentSelected.into());
    }
    let envs = project::select(&project, args.all, &args.envs)?
        .into_iter()
        .cloned()
        .collect();
    Ok((project, envs))
}

/// The inputs of a command that reads one configuration: the `-p/-f/--set` of the command
/// line, or with `--env`, that environment of the project file (its `--set` flags last).
pub struct OneConfiguration {
    /// What it is made of.
    pub inputs: Inputs,
    /// The environment's name, when it is one.
    pub env: Option<String>,
}

impl OneConfiguration {
    /// The effective configuration; with an environment, its problems name it.
    pub fn resolve(&self) -> Result<crate::resolve::merge::Merged> {
        crate::pipeline::resolve(&self.inputs).map_err(|e| match (e, &self.env) {
            (Error::Input(ds), Some(name)) => Error::Input(
                ds.into_iter()
                    .map(|d| d.note(format!("in environment `{name}`")))
                    .collect(),
            ),
            (e, _) => e,
        })
    }
}

fn one_configuration(inputs: &InputArgs, env: &EnvArgs) -> Result<OneConfiguration> {
    let Some(name) = &env.env else {
        return Ok(OneConfiguration {
            inputs: Inputs::from(inputs),
            env: None,
        });
    };
    let project = project::load(
        &project::locate(env.project.as_deref())?,
        env.allow_outside_project,
    )?;
    let selected = project::select(&project, false, std::slice::from_ref(name))?;
    let inputs = selected
        .first()
        .map(|e| e.inputs(&inputs.all_sets()))
        .unwrap_or_default();
    Ok(OneConfiguration {
        inputs,
        env: Some(name.clone()),
    })
}

/// Prints an error to stderr: the one renderer of [`Error`], colored on a terminal under
/// `--color` (as clap colors its usage errors).
pub fn report(e: &Error, color: crate::cli::ColorChoice) {
    use std::io::Write;
    // Made visible before the paint: the colors are the only escape sequences that get out.
    let text = crate::term::visible(&e.to_string()).into_owned();
    let painted = Style::for_stderr(color).paint_diagnostics(&text);
    let _ = std::io::stderr().lock().write_all(painted.as_bytes());
}

/// A shell word, quoted only when it needs to be ([`crate::shell::quote`]).
pub(crate) fn shell_word(word: &str) -> String {
    crate::shell::quote(word).into_owned()
}

/// The `agentctl render` command line that brings `dir` up to date with `inputs`.
pub(crate) fn render_command(inputs: &Inputs, dir: &Path) -> String {
    let mut cmd = String::from("agentctl render");
    for p in &inputs.profiles {
        cmd.push_str(&format!(" -p {}", shell_word(p)));
    }
    for f in &inputs.files {
        cmd.push_str(&format!(" -f {}", shell_word(&f.display().to_string())));
    }
    for s in &inputs.sets {
        cmd.push_str(&format!(" --set {}", shell_word(&shown_set(s))));
    }
    cmd.push_str(&format!(" -o {}", shell_word(&dir.display().to_string())));
    cmd
}

/// A `--set PATH=VALUE` argument as agentctl may print it: the value hidden when the
/// credential policy calls it a credential (by its path or its shape), and each segment of the
/// path that itself holds one (a token used as a key) hidden too: a printed line names the
/// flag, never what it set.
fn shown_set(s: &str) -> String {
    use crate::config::credentials::{is_credential, looks_like_credential, shown_path};
    match s.split_once('=') {
        Some((path, value)) if is_credential(path) || looks_like_credential(value) => {
            format!("{}={}", shown_path(path), crate::diag::REDACTED)
        }
        Some((path, value)) => format!("{}={value}", shown_path(path)),
        None => shown_path(s),
    }
}

/// A plural ending: `""` for one, else `many`.
fn plural(n: usize, many: &'static str) -> &'static str {
    if n == 1 { "" } else { many }
}

/// After writing with `--set` flags: they are recorded nowhere, so a later `diff` without them
/// reports drift and its update command reverts them.
/// Says so, and what to do for a value that must stick (an image per commit): a file the
/// inputs list.
pub(crate) fn set_note(sets: &[String]) {
    // The target version changes what is refused, never the files: no drift to warn of.
    let flags: Vec<String> = sets
        .iter()
        .filter(|s| {
            !s.starts_with("kubeVersion=")
                && !s.starts_with(crate::input::layers::KUBE_VERSION_FLAG)
        })
        .map(|s| format!("--set {}", shell_word(&shown_set(s))))
        .collect();
    if flags.is_empty() {
        return;
    }
    crate::sayln!(
        "note: `{}` is recorded nowhere: `agentctl diff` without it reports drift, and the update it suggests reverts it; \
         for a value that must stay (an image per commit), write it to an override file the inputs list (-f, or the project's `overrides:`)",
        flags.join(" ")
    );
}

/// What a cluster command checks: the single render of the command line, or the selected
/// environments of the project file.
pub(crate) fn cluster_targets(inputs: &InputArgs, project: &ProjectArgs) -> Result<Vec<Target>> {
    if !is_project(project) {
        return Ok(vec![Target::single(Inputs::from(inputs), Path::new(""))]);
    }
    let (_, envs) = selection(project)?;
    Ok(envs
        .iter()
        .map(|e| Target::environment(e, &inputs.all_sets(), Path::new("")))
        .collect())
}

/// Connects to the cluster of `args` for the renders: `--namespace`, when given, must be the
/// namespace each render names (as `kubectl apply -n` refuses objects of another).
pub(crate) fn connect(args: &ClusterArgs, rendered: &[Rendered]) -> Result<Cluster> {
    if let Some(ns) = &args.namespace {
        for r in rendered {
            let theirs = &r.merged.config.namespace;
            if theirs != ns {
                let env = r
                    .name
                    .as_deref()
                    .map(|n| format!(" (environment {n})"))
                    .unwrap_or_default();
                return Err(crate::cluster::connect::fail(
                    format!("--namespace {ns} differs from the namespace the render puts its objects in, {theirs}{env}"),
                    format!("drop --namespace, or render for that namespace: --set namespace={}", shell_word(ns)),
                )
                .into());
            }
        }
    }
    Ok(Cluster::connect(&crate::cluster::Options {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        timeout: std::time::Duration::from_secs(args.request_timeout.max(1)),
    })?)
}
