//! Command-line interface declarations only: the clap types. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Render a production Kubernetes deployment for an AI agent system.
///
/// Typed profiles over production defaults, merged with override files and --set flags,
/// rendered into a Kustomize directory (`kubectl apply -k`) or a stream (`kubectl apply -f -`).
#[derive(Debug, Parser)]
#[command(
    name = "agentctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Print nothing but data and errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The inputs of a render, in precedence order (later wins).
#[derive(Debug, Clone, Args, Default)]
pub struct InputArgs {
    /// Built-in profile to apply over the defaults; repeat to compose, in order
    /// (`-p high-throughput -p low-latency`). See `agentctl profiles`.
    #[arg(long = "profile", short = 'p', value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Override file (YAML) applied after the profiles; repeat for several, in order.
    #[arg(long = "file", short = 'f', value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Set one value, applied last, typed by the schema at PATH:
    /// `--set agent.resources.limits.memory=4Gi`, `--set networkPolicy.egressPorts=[443,8443]`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the deployment: into a Kustomize directory with -o, else as a stream on stdout.
    ///
    /// Examples:
    ///   agentctl render -o out/
    ///   agentctl render -p high-throughput -p low-latency -f my.yaml --set agent.image=reg/agent:v2 -o out/
    ///   agentctl render -p dev | kubectl apply -f -
    #[command(verbatim_doc_comment)]
    Render {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// Output directory (created if missing). Only files agentctl generated are ever
        /// overwritten or removed; unchanged files are not touched.
        #[arg(long, short, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Do not write: compare with -o DIR and exit 1 if they differ (like `agentctl diff`).
        #[arg(long, requires = "output")]
        check: bool,
        /// Overwrite files in DIR that agentctl did not generate.
        #[arg(long)]
        force: bool,
        /// Read templates from DIR instead of the built-in ones (same file names; missing
        /// files fall back to the built-in ones).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Compare the render with an output directory: exit 0 identical, 1 different, 2 error.
    ///
    /// Example:
    ///   agentctl diff -p high-throughput -f deploy/prod.yaml -o deploy/out
    #[command(verbatim_doc_comment)]
    Diff {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// The directory to compare with.
        #[arg(long, short, value_name = "DIR")]
        output: PathBuf,
        /// Read templates from DIR instead of the built-in ones.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// List the built-in profiles, or show one.
    ///
    /// Examples:
    ///   agentctl profiles
    ///   agentctl profiles show high-throughput
    #[command(verbatim_doc_comment)]
    Profiles {
        /// What to do; without one, list the profiles.
        #[command(subcommand)]
        action: Option<ProfilesAction>,
    },
    /// Print the JSON Schema of override files (for editors and the YAML language server).
    ///
    /// Example:
    ///   agentctl schema > agentctl.schema.json
    #[command(verbatim_doc_comment)]
    Schema,
}

/// `agentctl profiles` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfilesAction {
    /// Print a profile's settings.
    Show {
        /// Profile name.
        name: String,
    },
}
