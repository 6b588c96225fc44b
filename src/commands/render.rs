//! `agentctl render`: the deployment into a Kustomize directory (`-o`), or as a stream on
//! stdout; `--check` compares instead of writing (see [`super::diff`]). With `--all`/`--env`,
//! the environments of a project file, each into `-o DIR/<environment>/`.

use std::path::Path;

use super::{Ctx, Outcome, is_project, plural, selection};
use crate::cli::{ImpactArgs, InputArgs, ProjectArgs};
use crate::diag::{Refusal, Result};
use crate::input::layers::Inputs;
use crate::input::project;
use crate::output::{self, Wait};
use crate::pipeline::{self, Options, Rendered, Target};
use crate::render::Renderer;

/// `render`'s arguments.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    /// `-p`, `-f`, `--set`.
    pub inputs: &'a InputArgs,
    /// `--all`, `--env`, `--project`.
    pub project: &'a ProjectArgs,
    /// `-o DIR`.
    pub dir: Option<&'a Path>,
    /// `--check`.
    pub check: bool,
    /// `--force`.
    pub force: bool,
    /// `--lock-timeout`.
    pub wait: Wait,
    /// `--format`, `--fail-on` (with `--check`).
    pub impact: ImpactArgs,
}

/// Runs `render`.
pub fn run(ctx: Ctx, args: &Args) -> Result<Outcome> {
    let renderer = Renderer::new()?;
    if !is_project(args.project) {
        let inputs = Inputs::from(args.inputs);
        return match (args.dir, args.check) {
            (Some(dir), true) => {
                super::diff::single(ctx, &renderer, inputs, dir, args.wait, &args.impact)
            }
            (Some(dir), false) => single(ctx, &renderer, inputs, dir, args),
            (None, _) => stream(ctx, &renderer, &[Target::single(inputs, Path::new(""))]),
        };
    }
    let (project, envs) = selection(args.project)?;
    let sets = &args.inputs.all_sets();
    let Some(root) = args.dir else {
        let [env] = envs.as_slice() else {
            return Err(Refusal::NoOutputDirectory(envs.len()).into());
        };
        return stream(
            ctx,
            &renderer,
            &[Target::environment(env, sets, Path::new(""))],
        );
    };
    if !args.check {
        refuse_file_name(root)?;
    }
    let targets: Vec<Target> = envs
        .iter()
        .map(|e| Target::environment(e, sets, root))
        .collect();
    let opts = Options {
        project: Some(output::Project {
            file: &project.path,
            all: args.project.all,
        }),
        force: args.force,
        wait: args.wait,
    };
    if args.check {
        return super::diff::environments(ctx, &renderer, &targets, root, &opts, &args.impact);
    }
    let project_file = project.path.clone();
    let context = memo_context(ctx, args).zip(project_digest(&project));
    if let Some((context, digest)) = &context
        && let Some(memo) = project_up_to_date(context, digest, root)
    {
        if !ctx.quiet {
            crate::say!("{}", memo.said);
            super::set_note(sets);
            crate::say!("{}", memo.summary);
        }
        return Ok(Outcome::Ok);
    }
    let log = context.as_ref().and_then(|_| crate::input::reads::open());
    let rendered = pipeline::build_all_files(&renderer, &targets)?;
    let reads = log.map(crate::input::reads::Open::close);
    let warnings = pipeline::refuse_lint_errors(&rendered)?;
    if !ctx.quiet {
        crate::say!("{warnings}");
    }
    let written = pipeline::write_all(root, &rendered, &opts)?;
    match (context, reads) {
        (Some((context, project)), Some(reads))
            if reads.repeatable && written.removed.is_empty() && written.kept.is_empty() =>
        {
            save_project_memo(
                root,
                &rendered,
                (context, project),
                (&project_file, reads.reads),
                &warnings,
            );
        }
        _ => output::memo::forget_project(root),
    }
    if !ctx.quiet {
        super::set_note(sets);
    }
    let (reports, removed) = (&written.reports, &written.removed);
    // Said even with -q: a recorded directory was not cleaned up.
    for why in &written.kept {
        crate::sayln!("warning: {why}");
    }
    if !ctx.quiet {
        let mut text = String::new();
        for (dir, n) in removed {
            text.push_str(&format!(
                "removed {}: {n} generated file{} of an environment no longer in the project\n",
                crate::term::path_line(dir),
                plural(*n, "s")
            ));
        }
        for (r, report) in rendered.iter().zip(reports) {
            text.push_str(&report.summary(&r.dir));
            text.push('\n');
        }
        text.push_str(&format!(
            "{} environment{} from {}\n",
            rendered.len(),
            plural(rendered.len(), "s"),
            crate::term::path_line(&project.path),
        ));
        let changed: Vec<&Rendered> = rendered
            .iter()
            .zip(reports)
            .filter(|(_, report)| report.changed())
            .map(|(r, _)| r)
            .collect();
        if !changed.is_empty() || !removed.is_empty() {
            text.push('\n');
            text.push_str(&Rendered::prerequisites(
                &rendered.iter().collect::<Vec<_>>(),
            ));
        }
        crate::say!("{text}");
    }
    Ok(Outcome::Ok)
}

/// One target's stream on stdout; what the cluster needs on stderr.
fn stream(ctx: Ctx, renderer: &Renderer, target: &[Target]) -> Result<Outcome> {
    let rendered = pipeline::build_all(renderer, target)?;
    let warnings = pipeline::refuse_lint_errors(&rendered)?;
    if !ctx.quiet {
        crate::say!("{warnings}");
    }
    let stream = rendered
        .first()
        .map(|r| r.bundle.stream())
        .unwrap_or_default();
    output::print_manifests(&stream)?;
    if !ctx.quiet {
        crate::say!(
            "{}",
            Rendered::prerequisites(&rendered.iter().collect::<Vec<_>>())
        );
    }
    Ok(Outcome::Ok)
}

/// The single render of the command line into `dir`.
fn single(
    ctx: Ctx,
    renderer: &Renderer,
    inputs: Inputs,
    dir: &Path,
    args: &Args,
) -> Result<Outcome> {
    let sets = inputs.sets.clone();
    let context = memo_context(ctx, args);
    if let Some(context) = &context
        && let Some(memo) = up_to_date(context, dir)
    {
        if !ctx.quiet {
            crate::say!("{}", memo.said);
            super::set_note(&sets);
            let report = output::Report {
                unchanged: memo.files.into_iter().map(|(name, _)| name).collect(),
                ..Default::default()
            };
            crate::sayln!("{}", report.summary(dir));
        }
        return Ok(Outcome::Ok);
    }
    let log = context.as_ref().and_then(|_| crate::input::reads::open());
    let rendered = pipeline::build_all(renderer, &[Target::single(inputs, dir)])?;
    let reads = log.map(crate::input::reads::Open::close);
    let warnings = pipeline::refuse_lint_errors(&rendered)?;
    if !ctx.quiet {
        crate::say!("{warnings}");
    }
    refuse_file_name(dir)?;
    refuse_environment_root(dir)?;
    refuse_environment_dir(dir)?;
    let opts = Options {
        project: None,
        force: args.force,
        wait: args.wait,
    };
    let written = pipeline::write_all(dir, &rendered, &opts)?;
    if let (Some(context), Some(reads), Some(r)) = (context, reads, rendered.first())
        && reads.repeatable
    {
        output::memo::save(
            dir,
            &output::memo::Memo {
                version: output::memo::VERSION,
                context,
                reads: reads.reads,
                files: r
                    .bundle
                    .files
                    .iter()
                    .map(|f| {
                        let sha = crate::input::reads::sha256_hex(f.content.as_bytes());
                        (f.name.clone(), sha)
                    })
                    .collect(),
                said: warnings,
            },
        );
    }
    if !ctx.quiet {
        super::set_note(&sets);
    }
    if !ctx.quiet
        && let (Some(r), Some(report)) = (rendered.first(), written.reports.first())
    {
        crate::sayln!("{}", report.summary(dir));
        if report.changed() {
            crate::say!("{}", Rendered::prerequisites(&[r]));
        }
    }
    Ok(Outcome::Ok)
}

/// Turns the fast path off (any value): every single render takes the full path and keeps no
/// memo.
pub const NO_MEMO: &str = "AGENTCTL_NO_MEMO";

/// What a single render into a directory depends on besides the files it reads, as a
/// digest: the binary (its version, and the identity of its file: device, inode, size,
/// modification and change times), the whole command line as parsed, the current directory,
/// the style of what it prints, and the environment variables any part of it reads (`HOME`,
/// `TERM`, `NO_COLOR`; `AGENTCTL_LOCK_TIMEOUT` is in the parsed arguments). `None` when the
/// render must take the full path: `--check`, `-f -` (standard input cannot be read twice),
/// [`NO_MEMO`] or a test's fault injection set, or a binary or directory that cannot be told.
fn memo_context(ctx: Ctx, args: &Args) -> Option<String> {
    if args.check
        || args
            .inputs
            .files
            .iter()
            .any(|f| f == Path::new(crate::input::layers::STDIN))
        || std::env::var_os(NO_MEMO).is_some()
        || std::env::var_os("AGENTCTL_TEST_FAULT").is_some()
    {
        return None;
    }
    let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let mut parts: Vec<Vec<u8>> = vec![
        b"agentctl render memo".to_vec(),
        env!("CARGO_PKG_VERSION").as_bytes().to_vec(),
        binary_identity(&exe).into_bytes(),
        std::env::current_dir()
            .ok()?
            .as_os_str()
            .as_encoded_bytes()
            .to_vec(),
        format!("{args:?}").into_bytes(),
        format!(
            "{:?} {:?}",
            ctx.style,
            std::io::IsTerminal::is_terminal(&std::io::stderr())
        )
        .into_bytes(),
    ];
    for var in ["HOME", "TERM", "NO_COLOR"] {
        parts.push(
            std::env::var_os(var)
                .map(|v| [b"=".as_slice(), v.as_encoded_bytes()].concat())
                .unwrap_or_default(),
        );
    }
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&(p.len() as u64).to_le_bytes());
        all.extend_from_slice(&p);
    }
    Some(crate::input::reads::sha256_hex(&all))
}

/// The identity of the running binary's file (a rebuilt binary is another one).
fn binary_identity(exe: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        format!(
            "{} {} {} {}.{} {}.{}",
            exe.dev(),
            exe.ino(),
            exe.size(),
            exe.mtime(),
            exe.mtime_nsec(),
            exe.ctime(),
            exe.ctime_nsec()
        )
    }
    #[cfg(not(unix))]
    {
        format!("{} {:?}", exe.len(), exe.modified().ok())
    }
}

/// The SHA-256 of a project as read: the project file's path as given and as resolved, its
/// text, and each file it read (path and text), every environment's, in order. The same digest
/// on the next run means the project reads again to the same environments, owned the same
/// way; `None` when the project file cannot be resolved (no memo).
fn project_digest(project: &project::Project) -> Option<String> {
    // The real path too: the record and the owner markers name the project by it, so the
    // same text reached through another link is another project to them.
    let real = std::fs::canonicalize(&project.path).ok()?;
    let mut all: Vec<u8> = Vec::new();
    let mut part = |b: &[u8]| {
        all.extend_from_slice(&(b.len() as u64).to_le_bytes());
        all.extend_from_slice(b);
    };
    part(project.path.as_os_str().as_encoded_bytes());
    part(real.as_os_str().as_encoded_bytes());
    part(project.source.text.as_bytes());
    for env in &project.environments {
        part(env.name.as_bytes());
        for (path, source) in &env.read {
            part(path.as_os_str().as_encoded_bytes());
            part(source.text.as_bytes());
        }
    }
    Some(crate::input::reads::sha256_hex(&all))
}

/// Keeps the memo of a project render into `root` that wrote `rendered` (see
/// `output::memo::ProjectMemo`): each environment directory's files as written (the bundle's,
/// and the owner marker read back), the record at the root read back, and what a run that
/// finds them so prints. Nothing is kept when any of it cannot be told.
fn save_project_memo(
    root: &Path,
    rendered: &[Rendered],
    (context, project): (String, String),
    (project_file, mut reads): (&Path, Vec<crate::input::reads::Read>),
    warnings: &str,
) {
    use crate::input::reads::sha256_hex;
    use output::state::{OWNER_FILE, STATE_FILE};
    let read_back = |path: &Path| {
        std::fs::symlink_metadata(path)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|_| std::fs::read(path).ok())
            .map(|b| sha256_hex(&b))
    };
    // Each directory's digests (its files as rendered, its owner marker as written) on the
    // thread pool: 1,000 environments hash ~50 MB and read 1,000 markers.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let hashed = crate::par::par_map(
        rendered,
        cores,
        |r| {
            let rel = r
                .dir
                .strip_prefix(root)
                .ok()
                .and_then(Path::to_str)
                .filter(|s| !s.is_empty())?;
            let mut files: Vec<(String, String)> = r
                .bundle
                .files
                .iter()
                .map(|f| (f.name.clone(), sha256_hex(f.content.as_bytes())))
                .collect();
            files.push((OWNER_FILE.to_owned(), read_back(&r.dir.join(OWNER_FILE))?));
            Some((rel.replace(std::path::MAIN_SEPARATOR, "/"), files))
        },
        || None,
    );
    let mut dirs = Vec::new();
    let mut summary = String::new();
    for (r, entry) in rendered.iter().zip(hashed) {
        let Some(entry) = entry else {
            return output::memo::forget_project(root);
        };
        let report = output::Report {
            unchanged: r.bundle.files.iter().map(|f| f.name.clone()).collect(),
            ..Default::default()
        };
        summary.push_str(&report.summary(&r.dir));
        summary.push('\n');
        dirs.push(entry);
    }
    let Some(record) = read_back(&root.join(STATE_FILE)) else {
        return output::memo::forget_project(root);
    };
    summary.push_str(&format!(
        "{} environment{} from {}\n",
        rendered.len(),
        plural(rendered.len(), "s"),
        crate::term::path_line(project_file),
    ));
    reads.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    reads.dedup();
    output::memo::save_project(
        root,
        &output::memo::ProjectMemo {
            version: output::memo::VERSION,
            context,
            project,
            reads,
            root: vec![(STATE_FILE.to_owned(), record)],
            dirs,
            said: warnings.to_owned(),
            summary,
        },
    );
}

/// The memo of a project render into `root` when it proves that the render would change
/// nothing and print only what it recorded: the same context and project, every other file
/// read reading again to the same text, and the root and each environment directory holding
/// what the render left (`output::memo::verify_project`).
fn project_up_to_date(
    context: &str,
    project: &str,
    root: &Path,
) -> Option<output::memo::ProjectMemo> {
    let memo = output::memo::load_project(root)?;
    if memo.context != context
        || memo.project != project
        || !crate::input::again::unchanged(&memo.reads)
    {
        return None;
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    output::memo::verify_project(root, &memo.root, &memo.dirs, cores).then_some(memo)
}

/// The memo of `dir` when it proves that a render would change nothing and print only what
/// it recorded: the same context, every file it read reading again to the same text, none of
/// the refusals of a single render applying, and the directory holding exactly the files it
/// left (`output::memo::verify`). Anything else is `None`: the full path decides.
fn up_to_date(context: &str, dir: &Path) -> Option<output::memo::Memo> {
    let memo = output::memo::load(dir)?;
    if memo.context != context || !crate::input::again::unchanged(&memo.reads) {
        return None;
    }
    if refuse_file_name(dir).is_err()
        || refuse_environment_root(dir).is_err()
        || refuse_environment_dir(dir).is_err()
    {
        return None;
    }
    output::memo::verify(dir, &memo.files).then_some(memo)
}

/// Refuses `-o all.yaml` when nothing is there yet: a file's name, most likely meant as the
/// file to write the manifests into, would become a directory of them.
fn refuse_file_name(dir: &Path) -> Result<()> {
    let file_like = dir.extension().is_some_and(|e| {
        ["yaml", "yml", "json"].contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
    });
    if file_like && std::fs::symlink_metadata(dir).is_err() {
        return Err(Refusal::OutputNamedLikeAFile(dir.to_owned()).into());
    }
    Ok(())
}

/// Refuses a single render into the directory of a project's environment (its owner marker,
/// or the record of a root above it, says so): the project's next `render --all` would
/// overwrite it, or remove it with the environment. Names the environment and where the
/// project file defines it, when that file can be read.
fn refuse_environment_dir(dir: &Path) -> Result<()> {
    let Some(claim) = output::claims::environment_claim(dir)? else {
        return Ok(());
    };
    let loaded = project::load(&claim.project, false).ok();
    let environment = loaded.as_ref().and_then(|p| {
        p.environments
            .iter()
            .find(|e| e.output.to_string_lossy() == claim.dir)
            .map(|e| {
                (
                    e.name.clone(),
                    format!("{}:{}", crate::term::path_line(&claim.project), e.pos),
                )
            })
    });
    let stale = (loaded.is_some() && environment.is_none())
        .then(|| (claim.record.clone(), claim.key.clone(), claim.dir.clone()));
    Err(Refusal::SingleIntoEnvironment {
        dir: dir.to_owned(),
        evidence: claim.evidence,
        project: claim.project,
        environment,
        stale,
        root: claim.root,
    }
    .into())
}

/// Refuses a single render into a directory that holds directories agentctl rendered (the
/// environments of a project, `render --all -o DIR`): its `kustomization.yaml` would sit
/// above theirs, where `kubectl kustomize DIR` builds it alone and `diff --all` never looks.
/// The project file in the current directory, when there is one, names the environments.
fn refuse_environment_root(dir: &Path) -> Result<()> {
    // A root agentctl never writes (`/`, the home directory, a repository root) is refused as
    // such first, not by listing every directory below it.
    let resolved = output::guard::resolve(dir).map_err(anyhow::Error::from)?;
    output::guard::check(dir, &resolved)?;
    let nested = output::nested_outputs(dir)?;
    if nested.is_empty() {
        return Ok(());
    }
    let project = project::locate(None)
        .ok()
        .and_then(|p| project::load(&p, false).ok());
    let shown = nested
        .iter()
        .map(|n| {
            let env = project.as_ref().and_then(|p| {
                p.environments
                    .iter()
                    .find(|e| dir.join(&e.output) == *n)
                    .map(|e| format!(" (environment `{}`)", e.name))
            });
            format!("{}/{}", crate::term::path_line(n), env.unwrap_or_default())
        })
        .collect();
    Err(Refusal::SingleIntoEnvironments {
        dir: dir.to_owned(),
        nested: shown,
        project: project.map(|p| p.path),
    }
    .into())
}
