//! Command-line interface declarations only: the clap types. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Render a production Kubernetes deployment for an AI agent system.
///
/// Typed profiles over production defaults, merged with override files and --set flags,
/// rendered into a Kustomize directory (`kubectl apply -k`) or a stream (`kubectl apply -f -`).
#[derive(Debug, Parser)]
#[command(
    name = "agentctl",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Examples:\n  \
        agentctl render -p high-throughput -f my.yaml -o deploy/out\n  \
        agentctl diff -p high-throughput -f my.yaml -o deploy/out   # CI: exit 1 on drift\n  \
        agentctl explain agent.replicas -p high-throughput -f my.yaml\n  \
        agentctl init my.yaml\n\n\
        Exit codes: 0 ok, 1 drift (diff, render --check), findings (lint, doctor), not healthy\n\
        (status), 2 error (nothing written), 3 a change of a --fail-on impact class (diff,\n\
        render --check), 4 an I/O error after render -o started changing files (the message\n\
        lists what changed)."
)]
pub struct Cli {
    /// Print nothing but data and errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// When to color output: `auto` colors only a terminal and honors `NO_COLOR`.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
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
    /// Override file (YAML) applied after the profiles; repeat for several, in order. `-f -`
    /// reads standard input.
    #[arg(long = "file", short = 'f', value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Set one value, applied last, typed by the schema at PATH:
    /// `--set agent.resources.limits.memory=4Gi`, `--set networkPolicy.egressPorts=[443,8443]`;
    /// a key holding dots in double quotes: `--set 'labels."example.com/team"=agents'`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// The Kubernetes version of the target cluster (`1.29`, `v1.29.3`, Argo CD's
    /// `$KUBE_VERSION`): every feature it lacks is refused, naming the version it needs.
    /// Applied after the `--set` flags, so it wins over a project environment's
    /// `kubeVersion:`. From 1.27 (the default) to 1.33.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
}

/// Environments of a project file (`agentctl.yaml`), instead of -p/-f inputs.
#[derive(Debug, Clone, Args, Default)]
pub struct ProjectArgs {
    /// Every environment of the project file, each into `-o DIR/<env>/`.
    #[arg(long, conflicts_with_all = ["envs", "profiles", "files"])]
    pub all: bool,
    /// One environment of the project file; repeat for several.
    #[arg(long = "env", value_name = "NAME", conflicts_with_all = ["profiles", "files"])]
    pub envs: Vec<String>,
    /// The project file for --all / --env (default: `agentctl.yaml` in the current directory).
    #[arg(long, value_name = "FILE")]
    pub project: Option<PathBuf>,
    /// Let the project file's `overrides:` read files outside its directory (absolute paths,
    /// `..`, symbolic links out of it). Off by default: a project file from a pull request
    /// must not make agentctl read, and quote, files such as `/proc/self/environ`.
    #[arg(long)]
    pub allow_outside_project: bool,
}

/// How long to wait for another agentctl run writing the same directory.
#[derive(Debug, Clone, Copy, Args)]
pub struct LockArgs {
    /// Seconds to wait for another agentctl run that holds the output directory (it is named
    /// while waiting) before giving up with exit code 2.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "AGENTCTL_LOCK_TIMEOUT",
        default_value_t = 60
    )]
    pub lock_timeout: u64,
}

/// `diff`'s impact report: its format and the classes that fail the run.
#[derive(Debug, Clone, Args, Default)]
pub struct ImpactArgs {
    /// What to print on stdout: `text` (the unified diff; a summary and one impact line per
    /// changed object on stderr), `json` (the impact report, schema `agentctl impact v1`, see
    /// the README) or `markdown` (the impact report as a pull-request comment).
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: DiffFormat,
    /// Exit 3 when a change of one of these impact classes is present (comma-separated or
    /// repeated): in-place, rollout, stall, recreate, data-loss, security.
    #[arg(long, value_name = "CLASS", value_delimiter = ',')]
    pub fail_on: Vec<ImpactClass>,
}

/// How to reach the cluster, as kubectl takes it (`status`, `doctor`, `diff --live`).
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// The kubeconfig file (default: the files of KUBECONFIG, else ~/.kube/config, else the
    /// in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// The namespace. The rendered objects name theirs (`namespace:` setting), so this only
    /// checks it is the same, as `kubectl apply -n` does.
    #[arg(long, short = 'n', value_name = "NAME")]
    pub namespace: Option<String>,
    /// Seconds to wait for each answer of the API server before giving up (exit 2).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub request_timeout: u64,
}

/// The format of a cluster command's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    /// One line per object (or finding) and a verdict.
    #[default]
    Text,
    /// The same as JSON.
    Json,
}

/// The output of `diff` and `render --check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DiffFormat {
    /// The unified diff on stdout; the summary and the impact lines on stderr.
    #[default]
    Text,
    /// The impact report as JSON.
    Json,
    /// The impact report as Markdown, for a pull-request comment.
    Markdown,
}

/// The output of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LintFormat {
    /// One block per finding: rule, object, field path, origin, fix.
    #[default]
    Text,
    /// `{"findings": [...]}`.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML: a test case per rule.
    Junit,
}

/// An impact class of a change (`agentctl diff --fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImpactClass {
    /// Updated in place, no pod replaced.
    InPlace,
    /// Pods replaced by a rolling update.
    Rollout,
    /// A rollout the namespace's ResourceQuota cannot carry out (new pods refused; a one-pod
    /// StatefulSet left with no pod).
    Stall,
    /// The API server rejects the update (immutable field): delete and apply again.
    Recreate,
    /// A volume claim (or the namespace holding it) goes away or is replaced.
    DataLoss,
    /// Access widened or hardening relaxed.
    Security,
}

/// One environment of a project file, for the commands that read one configuration (`config`,
/// `explain`, `restore-help`), instead of -p/-f inputs.
#[derive(Debug, Clone, Args, Default)]
pub struct EnvArgs {
    /// An environment of the project file: its profiles, overrides and `set:` (the `--set`
    /// flags still apply last).
    #[arg(long = "env", value_name = "NAME", conflicts_with_all = ["profiles", "files"])]
    pub env: Option<String>,
    /// The project file for --env (default: `agentctl.yaml` in the current directory).
    #[arg(long, value_name = "FILE", requires = "env")]
    pub project: Option<PathBuf>,
    /// Let the project file's `overrides:` read files outside its directory (see `render
    /// --help`).
    #[arg(long, requires = "env")]
    pub allow_outside_project: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the deployment: into a Kustomize directory with -o, else as a stream on stdout.
    ///
    /// Examples:
    ///   agentctl render -o out/
    ///   agentctl render -p high-throughput -p low-latency -f my.yaml -o out/
    ///   agentctl render -f my.yaml --set agent.image=reg/agent:v2 -o out/
    ///   agentctl render -p dev | kubectl apply -f -
    ///   agentctl render --all -o deploy/          # every environment of agentctl.yaml
    #[command(verbatim_doc_comment)]
    Render {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// Project environments.
        #[command(flatten)]
        project: ProjectArgs,
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
        /// Wait.
        #[command(flatten)]
        lock: LockArgs,
        /// With --check: what to print on stdout (see `agentctl diff --help`).
        #[arg(
            long,
            value_name = "FORMAT",
            default_value = "text",
            requires = "check"
        )]
        format: DiffFormat,
        /// With --check: exit 3 when a change of one of these impact classes is present.
        #[arg(long, value_name = "CLASS", value_delimiter = ',', requires = "check")]
        fail_on: Vec<ImpactClass>,
    },
    /// Compare the render with an output directory: exit 0 identical, 1 different, 2 error,
    /// 3 a change of a --fail-on class.
    ///
    /// Prints the unified diff on stdout and, under the summary on stderr, one line per changed
    /// object saying what applying it does: in-place, rollout, stall (the namespace's quota
    /// cannot carry the rollout out), recreate (an immutable field), data-loss, security.
    ///
    /// Examples:
    ///   agentctl diff -p high-throughput -f deploy/prod.yaml -o deploy/out
    ///   agentctl diff --all -o deploy/            # every environment of agentctl.yaml
    ///   agentctl diff -f deploy/prod.yaml -o deploy/out --format json --fail-on recreate,data-loss
    ///   agentctl diff --base origin/main -o deploy/ --format markdown   # CI: what this PR does
    ///   agentctl diff --live -p high-throughput -f deploy/prod.yaml --context prod
    #[command(verbatim_doc_comment)]
    Diff {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// Project environments.
        #[command(flatten)]
        project: ProjectArgs,
        /// The directory to compare with.
        #[arg(long, short, value_name = "DIR", required_unless_present = "live")]
        output: Option<PathBuf>,
        /// Instead of a directory, compare with the cluster: what `kubectl apply` of this render
        /// would do to the objects running now (their live form as the base; hand edits shown
        /// as what applying reverts; objects with this deployment's labels the render no longer
        /// has, as `--prune` would delete them). Reads only (get, list, server-side dry-run).
        #[arg(long, conflicts_with_all = ["output", "base", "base_dir"])]
        live: bool,
        /// With --live: the cluster.
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Wait.
        #[command(flatten)]
        lock: LockArgs,
        /// Instead of rendering, compare DIR as committed at git revision REV (old) with DIR in
        /// the working tree (new): what merging this change does (e.g. `--base origin/main`).
        #[arg(
            long,
            value_name = "REV",
            conflicts_with_all = ["profiles", "files", "sets", "all", "envs", "project", "base_dir"]
        )]
        base: Option<String>,
        /// Instead of rendering, compare directory OLD (old) with DIR (new).
        #[arg(
            long,
            value_name = "OLD",
            conflicts_with_all = ["profiles", "files", "sets", "all", "envs", "project"]
        )]
        base_dir: Option<PathBuf>,
        /// Impact report and exit code.
        #[command(flatten)]
        impact: ImpactArgs,
    },
    /// Check the objects as they will be applied (after patches and extra objects) against
    /// the production-readiness rules: exit 0 clean, 1 findings, 2 bad input.
    ///
    /// Each finding names its rule (`AGT1xx`, error or warning), the object, the field path,
    /// the line of the override file whose patch or extra object produced the value, and the
    /// fix. `render` refuses the errors and prints the warnings.
    ///
    /// Examples:
    ///   agentctl lint -p high-throughput -f deploy/prod.yaml
    ///   agentctl lint --all --format sarif > agentctl.sarif   # GitHub code scanning
    ///   agentctl lint -f my.yaml --format junit > lint.xml
    #[command(verbatim_doc_comment)]
    Lint {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// Project environments.
        #[command(flatten)]
        project: ProjectArgs,
        /// What to print on stdout.
        #[arg(long, value_name = "FORMAT", default_value = "text")]
        format: LintFormat,
        /// Turn on an opt-in rule (repeatable): `AGT124`, every image pinned by digest.
        #[arg(long = "enable", value_name = "RULE")]
        enable: Vec<String>,
    },
    /// Check the deployment running in the cluster against the render: exit 0 healthy, 1 not,
    /// 2 error.
    ///
    /// One line per rendered object: present, matching the render (the API server's dry-run of
    /// applying it changes nothing, as `kubectl diff` judges), and for what runs, how far
    /// along: rollouts (updated, ready, available), the autoscaler's current and desired
    /// replicas and whether it can compute its metrics, claims Bound, the disruption budget's
    /// allowance, the backup CronJob's last success. Reads only (get, list, dry-run).
    ///
    /// Examples:
    ///   agentctl status -p high-throughput -f deploy/prod.yaml
    ///   agentctl status --env production --context prod --wait --timeout 600
    ///   agentctl status -f deploy/prod.yaml --format json
    #[command(verbatim_doc_comment)]
    Status {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// Project environments.
        #[command(flatten)]
        project: ProjectArgs,
        /// The cluster.
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Wait until every object is healthy (a rollout finished, claims bound), showing
        /// progress on stderr; exit 1 if it is still not after --timeout, or a rollout is stuck.
        #[arg(long)]
        wait: bool,
        /// With --wait: seconds to wait.
        #[arg(long, value_name = "SECONDS", default_value_t = 300, requires = "wait")]
        timeout: u64,
        /// What to print: `text` (one line per object, then the verdict) or `json`.
        #[arg(long, value_name = "FORMAT", default_value = "text")]
        format: ReportFormat,
    },
    /// Check what the render needs from the cluster, live, and troubleshoot what runs: exit 0
    /// clean, 1 findings, 2 error.
    ///
    /// Prerequisites: the API groups of the custom kinds (Prometheus Operator, KEDA, External
    /// Secrets, VPA, Gateway API), the metrics APIs the autoscaler reads (metrics.k8s.io, the
    /// custom pods metric), the StorageClasses (or a default one), every Secret and key the
    /// pods read, PriorityClasses, nodes the pods fit (enough for required anti-affinity), the
    /// quota's headroom. Then: pods Pending (the scheduler's reason), CreateContainerConfigError,
    /// ImagePullBackOff, CrashLoopBackOff and OOMKilled, claims Pending, pods refused by the
    /// quota, an autoscaler that cannot scale, Redis unreachable. Each finding names the cause
    /// and the commands that fix it. Reads only; never prints a Secret's value.
    ///
    /// Examples:
    ///   agentctl doctor -p high-throughput -f deploy/prod.yaml
    ///   agentctl doctor --env production --context prod --format json
    #[command(verbatim_doc_comment)]
    Doctor {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// Project environments.
        #[command(flatten)]
        project: ProjectArgs,
        /// The cluster.
        #[command(flatten)]
        cluster: ClusterArgs,
        /// What to print: `text` (passed checks, findings with cause and fix, notes) or `json`.
        #[arg(long, value_name = "FORMAT", default_value = "text")]
        format: ReportFormat,
    },
    /// Print the commands that restore Redis from a backup, for this deployment.
    ///
    /// Redis runs with appendonly on, so copying dump.rdb into /data and restarting restores
    /// nothing; these steps load the snapshot into the running Redis and rewrite its
    /// append-only file. They name your namespace, port, image and autoscaler (same -p/-f/--set
    /// as render). The in-pod script is the one scripts/test-redis-restore.sh tests.
    /// With redis.enabled false there is no in-cluster Redis to restore: it exits 2, naming
    /// the managed Redis (redis.external) to restore with its provider's own tools.
    ///
    /// Example:
    ///   agentctl restore-help -p high-throughput -f deploy/prod.yaml > restore.sh
    ///   agentctl restore-help --env production > restore.sh    # an environment of agentctl.yaml
    #[command(verbatim_doc_comment)]
    RestoreHelp {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// A project environment.
        #[command(flatten)]
        env: EnvArgs,
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
    /// With --project, the schema of project files (agentctl.yaml) instead; `init` and
    /// `init --project` write these next to the files they create.
    ///
    /// Examples:
    ///   agentctl schema > agentctl.schema.json
    ///   agentctl schema --project > agentctl-project.schema.json
    #[command(verbatim_doc_comment)]
    Schema {
        /// The schema of project files (agentctl.yaml), whose `set:` maps are override files.
        #[arg(long)]
        project: bool,
    },
    /// Print the effective configuration (all layers merged) as YAML.
    ///
    /// The output is itself a valid override file. With --show-origin, every setting carries a
    /// comment naming the layer that set it: `default`, a profile with its file:line, an
    /// override file's file:line, or the `--set` flag.
    ///
    /// Examples:
    ///   agentctl config -p high-throughput -f my.yaml
    ///   agentctl config --show-origin -p high-throughput -f my.yaml --set agent.replicas.max=30
    ///   agentctl config --show-origin --env production     # an environment of agentctl.yaml
    #[command(verbatim_doc_comment)]
    Config {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// A project environment.
        #[command(flatten)]
        env: EnvArgs,
        /// Annotate every setting with the layer that set it.
        #[arg(long)]
        show_origin: bool,
    },
    /// Explain a setting: documentation, type, default, every layer's value, the final value.
    ///
    /// PATH is a dotted config path; a section (`agent`) lists its fields; no PATH lists the
    /// top-level sections.
    ///
    /// Examples:
    ///   agentctl explain agent.replicas.max -p high-throughput --set agent.replicas.max=30
    ///   agentctl explain agent
    ///   agentctl explain namespace --env staging    # in an environment of agentctl.yaml
    #[command(verbatim_doc_comment)]
    Explain {
        /// The setting or section, e.g. `agent.resources.limits.memory`.
        #[arg(value_name = "PATH")]
        path: Option<String>,
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// A project environment.
        #[command(flatten)]
        env: EnvArgs,
    },
    /// Write a commented starter override file (never overwrites an existing file).
    ///
    /// Also writes `agentctl.schema.json` next to it unless one exists; the starter's
    /// `# yaml-language-server: $schema=...` line points editors at it. With --project, a
    /// project file and `agentctl-project.schema.json`, the same way.
    ///
    /// Examples:
    ///   agentctl init
    ///   agentctl init deploy/prod.yaml && agentctl render -f deploy/prod.yaml -o deploy/out
    ///   agentctl init --project && agentctl render --all -o deploy/
    #[command(verbatim_doc_comment)]
    Init {
        /// The file to create (a directory gets `overrides.yaml` inside it).
        #[arg(value_name = "PATH", default_value = "overrides.yaml")]
        path: PathBuf,
        /// Write a project file with two environments instead (default `agentctl.yaml`);
        /// then `agentctl render --all -o deploy/`.
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "agentctl.yaml")]
        project: Option<PathBuf>,
    },
    /// Print a shell completion script.
    ///
    /// Examples:
    ///   agentctl completions bash > ~/.local/share/bash-completion/completions/agentctl
    ///   agentctl completions zsh > ~/.zfunc/_agentctl
    ///   agentctl completions fish > ~/.config/fish/completions/agentctl.fish
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page, or write one page per command into a directory.
    ///
    /// Examples:
    ///   agentctl man | man -l -
    ///   agentctl man --out /usr/local/share/man/man1
    #[command(verbatim_doc_comment)]
    Man {
        /// Write `agentctl.1` and `agentctl-COMMAND.1` pages into DIR (created if missing).
        #[arg(long, short, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Print the table of rendered objects and kinds (for the conformance scripts).
    ///
    /// Hidden: not in --help, the man pages or the completions. The scripts under scripts/
    /// read the kinds agentctl renders from it instead of keeping lists of their own.
    #[command(name = "__objects", hide = true)]
    Objects {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ObjectsFormat::Text)]
        format: ObjectsFormat,
    },
}

/// The format of `__objects`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectsFormat {
    /// Two aligned tables: the files, then the kinds.
    Text,
    /// One JSON document: `objects` and `kinds`.
    Json,
}

/// `agentctl profiles` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfilesAction {
    /// Print a profile's settings.
    ///
    /// Example:
    ///   agentctl profiles show high-throughput
    #[command(verbatim_doc_comment)]
    Show {
        /// Profile name.
        name: String,
    },
    /// Show the settings in which two profiles' effective configurations differ.
    ///
    /// `(default)` marks a value the profile leaves at the built-in default.
    ///
    /// Example:
    ///   agentctl profiles diff dev high-throughput
    #[command(verbatim_doc_comment)]
    Diff {
        /// First profile.
        a: String,
        /// Second profile.
        b: String,
    },
}

/// When to color output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Color when stdout is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always color (even into a pipe; overrides `NO_COLOR`).
    Always,
    /// Never color.
    Never,
}
