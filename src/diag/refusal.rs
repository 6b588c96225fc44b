//! Refusals: what agentctl declines to do to the file system, as typed kinds.
//!
//! Every refusal a user can meet from the output directory, `init` and `man --out` is a
//! variant here, so a test can match the kind instead of grepping text. A refusal travels
//! inside the `anyhow` chain of [`super::Error::Other`] (so `environment `x`:` context can wrap
//! it) and is rendered by [`super::Error`]'s one renderer: `error: message` then
//! `   = help: fix`. Must not touch the file system: the caller decides, this only names.

use std::fmt;
use std::path::PathBuf;

/// One refusal, with what it needs to be explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `-o` names a symlink to something that is not a directory.
    SymlinkTarget(PathBuf),
    /// `-o` names an existing file.
    NotADirectory(PathBuf),
    /// `-o` is the current directory.
    CurrentDirectory(PathBuf),
    /// `-o` contains the current directory.
    ContainsCurrentDirectory(PathBuf),
    /// `-o` is the home directory.
    HomeDirectory(PathBuf),
    /// `-o` (or an environment's directory) is a repository root; holds the marker found
    /// (`.git`, `.hg`, `.jj`, `.svn`).
    RepositoryRoot(PathBuf, String),
    /// `-o` (or an environment's directory) is or is inside a version control metadata
    /// directory; holds the directory's name (`.git`, `.hg`, ...).
    VcsMetadata(PathBuf, String),
    /// `-o` (or an environment's directory) has a component named like one of agentctl's own
    /// files (`.agentctl.lock`, `.agentctl-state.json`, `.agentctl-owner`, a staged
    /// `.agentctl-*.tmp`); holds that component.
    AgentctlFile(PathBuf, String),
    /// Another run held the directory's lock for the whole `--lock-timeout`.
    LockTimeout {
        /// The locked directory.
        dir: PathBuf,
        /// Who holds it, as it said.
        holder: String,
        /// How long we waited.
        seconds: u64,
    },
    /// The state file at a project's output root is not one agentctl wrote; holds it and why.
    BadState(PathBuf, String),
    /// `-o` is `/`.
    FilesystemRoot,
    /// Symlinks or non-regular files in the way (one line each).
    UnsafePaths(Vec<String>),
    /// Files agentctl did not generate in the way, without `--force` (one line each).
    ForeignFiles(Vec<String>),
    /// `render --all -o FILE`.
    ProjectOutputIsFile(PathBuf),
    /// A project output directory refused for some environments (one line each, with the
    /// environment named); nothing was written to any.
    EnvironmentsRefused(Vec<String>),
    /// `--project` without `--all` or `--env`.
    NoEnvironmentSelected,
    /// The record at a project's output root claims one directory (or nested ones) for two
    /// projects.
    ClaimedTwice {
        /// The record, as shown.
        record: PathBuf,
        /// Each claim: the project file as recorded, the directory it claims.
        claims: [(String, String); 2],
        /// Exactly what to change, from what the directories' owner markers say.
        fix: String,
    },
    /// A single render (`-p/-f`, no `--all`/`--env`) into the directory of a project's
    /// environment, which the project's next render overwrites or removes.
    SingleIntoEnvironment {
        /// The `-o` directory.
        dir: PathBuf,
        /// What says the project owns it (its owner marker, or the record above it).
        evidence: PathBuf,
        /// The project file, as shown from here.
        project: PathBuf,
        /// The environment's name and where the project file defines it (`file:line:col`),
        /// when the project file could be read and has it.
        environment: Option<(String, String)>,
        /// The project file was read and no environment of it renders there: the record's
        /// entry is stale or forged; (the record as shown, the project as it names it, the
        /// directory as it names it).
        stale: Option<(PathBuf, String, String)>,
        /// The project's output root (`-o` of its renders).
        root: PathBuf,
    },
    /// A single render (`-p/-f`, no `--all`/`--env`) into a directory holding directories
    /// agentctl rendered (a project's environments): the directory, those directories (each
    /// with the environment it is, when the project file says), and the project file found.
    SingleIntoEnvironments {
        /// The `-o` directory.
        dir: PathBuf,
        /// The rendered directories below it, as shown.
        nested: Vec<String>,
        /// The project file in the current directory, if any.
        project: Option<PathBuf>,
    },
    /// Several environments to render and no `-o DIR`; holds how many.
    NoOutputDirectory(usize),
    /// `diff` (or `render --check`) against a directory that does not exist; holds it and the
    /// command that renders it.
    NothingToCompare(PathBuf, String),
    /// `diff --base REV` where the directory is not in a git repository.
    NotAGitRepository(PathBuf),
    /// `diff --base REV` where REV names no commit; holds it and the nearest ref name.
    UnknownRevision(String, Option<String>),
    /// `diff --base REV -o DIR` where DIR (relative to the repository root) is not at REV.
    PathNotInRevision(String, String),
    /// `diff --base-dir OLD` where OLD is not a directory.
    BaseNotADirectory(PathBuf),
    /// `init PATH` where PATH exists (checked before writing).
    InitExists(PathBuf),
    /// `init PATH` where PATH appeared while writing.
    InitRaced(PathBuf),
    /// `init --project PATH` where PATH exists.
    ProjectInitExists(PathBuf),
    /// `man --out PATH` where PATH is not a directory.
    ManNotADirectory(PathBuf),
    /// `man --out DIR` where files that are not agentctl man pages are in the way.
    ManForeignFiles(Vec<String>),
    /// `render -o all.yaml` where nothing is yet: a file's name for a directory to create.
    OutputNamedLikeAFile(PathBuf),
}

fn d_display(p: &std::path::Path) -> String {
    crate::term::path_line(p)
}

/// The `help` every refusal to write into a directory of the user's gives.
const OWN_DIRECTORY: &str = "agentctl manages a directory of its own, e.g. -o deploy/out";

impl Refusal {
    /// The message and the help, as rendered after `error: ` and `   = help: `.
    /// (Long on purpose: one arm per refusal kind, every user-visible text side by side.)
    fn parts(&self) -> (String, Option<String>) {
        use Refusal::*;
        let own = || Some(OWN_DIRECTORY.to_owned());
        match self {
            SymlinkTarget(d) => (
                format!(
                    "output path `{}` is a symlink to something that is not a directory",
                    crate::term::path_line(d)
                ),
                Some("pass a directory with -o".into()),
            ),
            NotADirectory(d) => (
                format!("output path `{}` is an existing file, not a directory", crate::term::path_line(d)),
                Some("agentctl writes a directory of manifests; pick another -o path".into()),
            ),
            CurrentDirectory(d) => (
                format!("refusing to write into the current directory `{}`", crate::term::path_line(d)),
                own(),
            ),
            ContainsCurrentDirectory(d) => (
                format!(
                    "refusing to write into `{}`: it contains the current directory",
                    crate::term::path_line(d)
                ),
                own(),
            ),
            HomeDirectory(d) => (
                format!("refusing to write into `{}`: it is your home directory or contains it", crate::term::path_line(d)),
                own(),
            ),
            RepositoryRoot(d, marker) => (
                format!("refusing to write into `{}`: it is a repository root (it has `{marker}`)", crate::term::path_line(d)),
                Some(format!("use a subdirectory such as `{}`", crate::term::path_line(&d.join("deploy")))),
            ),
            VcsMetadata(d, name) => (
                format!(
                    "refusing to write into `{}`: it is inside a `{name}` directory, a repository's version control metadata",
                    crate::term::path_line(d)
                ),
                Some("write the manifests to a directory of the working tree, such as `deploy`".into()),
            ),
            AgentctlFile(d, name) => (
                format!(
                    "refusing to write into `{}`: `{}` is named like one of agentctl's own files (its lock note, record, owner marker, staged files)",
                    crate::term::path_line(d),
                    crate::term::one_line(name)
                ),
                Some("choose a directory whose names do not start with `.agentctl`, such as `deploy`".into()),
            ),
            LockTimeout { dir, holder, seconds } => (
                format!(
                    "gave up after {seconds}s waiting for {holder}, which holds the lock on `{}`; nothing was written",
                    d_display(dir)
                ),
                Some("wait for it to finish and run again, or raise --lock-timeout (AGENTCTL_LOCK_TIMEOUT)".into()),
            ),
            BadState(path, why) => (
                format!(
                    "`{}` is not a state file agentctl can trust: {why}; nothing was written",
                    crate::term::path_line(path)
                ),
                Some("it records which environment directories a project owns under -o DIR; delete it and render with --all again (environments removed before that are then not cleaned up)".into()),
            ),
            FilesystemRoot => ("refusing to write into the filesystem root".into(), None),
            UnsafePaths(lines) => (
                format!(
                    "refusing to write; nothing was changed:\n  {}",
                    lines.join("\n  ")
                ),
                Some("remove or rename them (agentctl writes regular files only), or choose another -o directory".into()),
            ),
            ForeignFiles(lines) => (
                format!(
                    "refusing to overwrite files agentctl did not write; nothing was changed:\n  {}",
                    lines.join("\n  ")
                ),
                Some("move them away, choose another -o directory, or pass --force to overwrite them".into()),
            ),
            ProjectOutputIsFile(d) => (
                format!(
                    "output path `{}` is an existing file, not a directory; each environment is written to a directory inside it (pick another -o path)",
                    crate::term::path_line(d)
                ),
                None,
            ),
            EnvironmentsRefused(lines) => (
                format!("{}\nnothing was written to any environment", lines.join("\n")),
                None,
            ),
            ClaimedTwice {
                record,
                claims: [(a, a_dir), (b, b_dir)],
                fix,
            } => (
                if a_dir == b_dir {
                    format!(
                        "`{}` claims the directory {a_dir:?} for two projects, {a:?} and {b:?}: one directory has one owner; nothing was written",
                        crate::term::path_line(record)
                    )
                } else {
                    format!(
                        "`{}` claims nested directories for two projects: {a_dir:?} for {a:?} and {b_dir:?} inside it for {b:?}: one directory has one owner; nothing was written",
                        crate::term::path_line(record)
                    )
                },
                Some(fix.clone()),
            ),
            SingleIntoEnvironment {
                dir,
                evidence,
                project,
                environment,
                stale,
                root,
            } => {
                let d = crate::term::path_line(dir).to_string();
                let root = crate::term::path_line(root).to_string();
                let r = crate::shell::quote(&root);
                let p = crate::term::path_line(project).to_string();
                let project_flag = if project.file_name().is_some_and(|n| n == "agentctl.yaml")
                    && project.parent().is_some_and(|d| d.as_os_str().is_empty())
                {
                    String::new()
                } else {
                    format!(" --project {}", crate::shell::quote(&p))
                };
                let why = format!(
                    "; the project's next `agentctl render --all{project_flag} -o {r}` would overwrite or remove what this render writes"
                );
                let says = crate::term::path_line(evidence);
                let (headline, change) = match (environment, stale) {
                    (Some((name, at)), _) => (
                        format!(
                            "it is the output directory of environment `{name}` of the project `{p}`, defined at {at} (`{says}` says so){why}"
                        ),
                        format!(
                            "change environment `{name}` in {at} (its `set:`, `profiles:` or `overrides:`) and render it with `agentctl render --env {}{project_flag} -o {r}`",
                            crate::shell::quote(name)
                        ),
                    ),
                    (None, Some((record, key, rel))) => (
                        format!(
                            "`{says}` records it as the output of the project `{p}`, though no environment of it renders there"
                        ),
                        format!(
                            "if that entry is stale or forged, remove {rel:?} from the list of {key:?} in {}",
                            crate::term::path_line(record)
                        ),
                    ),
                    (None, None) => (
                        format!(
                            "it is the output directory of an environment of the project `{p}` (`{says}` says so){why}"
                        ),
                        format!(
                            "change its environment in `{p}` and render it with `agentctl render --all{project_flag} -o {r}`"
                        ),
                    ),
                };
                (
                    format!("refusing a single render into `{d}`: {headline}"),
                    Some(format!(
                        "{change}; or give the single render a directory of its own (`-o {}`)",
                        crate::shell::quote(&format!("{}-single", d.trim_end_matches('/')))
                    )),
                )
            }
            NoEnvironmentSelected => (
                "--project needs --all or --env NAME to say which environments to render".into(),
                None,
            ),
            SingleIntoEnvironments {
                dir,
                nested,
                project,
            } => {
                let d = crate::term::path_line(dir).to_string();
                // As a word of the printed commands.
                let dq = crate::shell::quote(&d);
                let from = project
                    .as_ref()
                    .map(|p| format!(" of {}", crate::term::path_line(p)))
                    .unwrap_or_default();
                (
                    format!(
                        "refusing a single render into `{d}`: it holds rendered environments{from}:\n  {}\n\
                         a kustomization.yaml at `{d}` would sit above them: `kubectl kustomize {dq}` would build it alone, and `diff --all` would never look at it",
                        nested.join("\n  ")
                    ),
                    Some(format!(
                        "render the environments with `agentctl render --all -o {dq}` (or `--env NAME`), or give a single render a directory of its own (`-o {}`)",
                        crate::shell::quote(&dir.join("single").display().to_string())
                    )),
                )
            }
            NoOutputDirectory(n) => (
                format!(
                    "rendering {n} environments needs an output directory: add `-o DIR` (each goes into DIR/<environment>/)"
                ),
                None,
            ),
            // A name like agentctl's own files is no output directory: no render suggested
            // (render refuses it, `Refusal::AgentctlFile`).
            NothingToCompare(dir, _)
                if dir.components().any(|c| {
                    crate::config::names::agentctl_file(&c.as_os_str().to_string_lossy())
                        .is_some()
                }) =>
            {
                (
                    format!(
                        "`{}` is not a directory, and is named like one of agentctl's own files (its lock note, record, owner marker, staged files), which no render writes into",
                        crate::term::path_line(dir)
                    ),
                    Some("compare a directory agentctl renders, such as `deploy`".into()),
                )
            }
            NothingToCompare(dir, command) => (
                format!(
                    "`{}` is not a directory; render it first with `{command}`",
                    crate::term::path_line(dir)
                ),
                None,
            ),
            NotAGitRepository(d) => (
                format!(
                    "`{}` is not in a git repository, so --base has no revision to read it at",
                    crate::term::path_line(d)
                ),
                Some(
                    "run it in the repository's checkout, or compare two directories with \
                     --base-dir OLD -o NEW"
                        .into(),
                ),
            ),
            UnknownRevision(rev, near) => (
                format!("unknown git revision `{rev}`"),
                Some(match near {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => "name a commit, branch or tag this clone has; fetch it first (`git \
                             fetch origin main`; with actions/checkout, `fetch-depth: 0`)"
                        .into(),
                }),
            ),
            PathNotInRevision(path, rev) => (
                format!(
                    "`{}` is not in revision `{rev}`",
                    if path.is_empty() { "." } else { path }
                ),
                Some(
                    "a directory new in this change has nothing to compare with: compare with \
                     an empty directory (--base-dir EMPTY) to see every object as created"
                        .into(),
                ),
            ),
            BaseNotADirectory(d) => (
                format!("--base-dir `{}` is not a directory", crate::term::path_line(d)),
                Some("pass the directory that holds the old render".into()),
            ),
            // The `init` refusals predate the `= help:` form and keep their indented second
            // line (snapshots pin it).
            InitExists(p) => (
                format!(
                    "`{}` already exists; agentctl init never overwrites a file\n  \
                     pick another name (`agentctl init other.yaml`) or edit the existing file",
                    crate::term::path_line(p)
                ),
                None,
            ),
            InitRaced(p) => (
                format!(
                    "`{}` already exists; agentctl init never overwrites a file",
                    crate::term::path_line(p)
                ),
                None,
            ),
            ProjectInitExists(p) => (
                format!(
                    "`{}` already exists; agentctl init never overwrites a file\n  edit it, or pass another path: `agentctl init --project other.yaml`",
                    crate::term::path_line(p)
                ),
                None,
            ),
            ManNotADirectory(p) => (
                format!("`{}` exists and is not a directory", crate::term::path_line(p)),
                None,
            ),
            ManForeignFiles(lines) => (
                format!(
                    "refusing to overwrite files that are not agentctl man pages; nothing was written:\n  {}",
                    lines.join("\n  ")
                ),
                None,
            ),
            OutputNamedLikeAFile(p) => (
                format!(
                    "-o `{}` names a file, but -o is the directory agentctl writes its manifests into",
                    crate::term::path_line(p)
                ),
                Some(format!(
                    "for one file, print the stream instead: `agentctl render ... > {}`; for the Kustomize directory, pick a name without the extension",
                    crate::shell::quote(&p.display().to_string())
                )),
            ),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (message, help) = self.parts();
        f.write_str(&message)?;
        if let Some(help) = help {
            write!(f, "\n   = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}
