//! What every test module shares: one way to run the built binary ([`agentctl`], a builder as
//! just's tests have: arguments, directory, environment, stdin and the expected exit code, then
//! `run`; the same fixed environment for every run), one way to write a run into a snapshot
//! ([`Run::transcript`]: exit code, stdout, stderr), scratch directories, the snapshot
//! settings, and the few calls into the library the tests make (kept here, in [`lib`], so a
//! change of the library's module paths touches this file only; `merge_props` and `kubectl`'s
//! YAML 1.1 oracle are the exceptions, see their imports). No module wraps the runner again:
//! a test reads `agentctl([...]).current_dir(dir).code(2).run()` wherever it is.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The repository root (`CARGO_MANIFEST_DIR`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built `agentctl` binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_agentctl");

/// A scratch directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("agentctl-test-")
        .tempdir()
        .expect("a temporary directory")
}

/// Writes `text` to `dir/name`, creating parent directories.
pub fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// Every file under `dir` (symlinks as their target path, directories as `<dir>`), for
/// "nothing changed" checks.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("list scratch dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            let kind = entry.file_type().expect("file type");
            let rel = path.strip_prefix(dir).expect("inside").to_owned();
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).expect("link");
                out.insert(rel, target.to_string_lossy().as_bytes().to_vec());
            } else if kind.is_dir() {
                out.insert(rel, b"<dir>".to_vec());
                stack.push(path);
            } else {
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------- the binary

/// `HOME` of every run: a directory of its own under cargo's per-target temporary directory,
/// so nothing a test does can touch (or depend on) the real home directory.
fn home() -> PathBuf {
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("agentctl-home");
    std::fs::create_dir_all(&home).expect("create the test HOME");
    home
}

/// One run of `agentctl`, built up and then run (the builder every test module uses, as
/// just's `Test` is for just): the arguments, the working directory, extra environment,
/// standard input and the expected exit code, then [`Agentctl::run`]. Every run starts from an
/// empty environment plus a fixed set: `HOME` (a scratch directory), `PATH`,
/// `TERM=xterm-256color`, `COLUMNS=100`, `LANG`/`LC_ALL=C.UTF-8`; no `NO_COLOR`, `CLICOLOR*` or
/// `AGENTCTL_*` from the caller. The working directory is the repository root unless
/// [`Agentctl::current_dir`] says otherwise. Off a terminal (the default), `--color auto` prints
/// no color.
///
/// ```ignore
/// let r = agentctl(["render", "-f", "x.yaml"]).current_dir(dir).code(2).run();
/// assert!(r.stderr.contains("x.yaml:3:5"), "{}", r.stderr);
/// ```
#[must_use]
pub struct Agentctl {
    /// Run `sh -c ARGS[0]` (the binary's directory first on `PATH`) instead of the binary.
    shell: bool,
    args: Vec<OsString>,
    cwd: PathBuf,
    env: Vec<(OsString, OsString)>,
    stdin: Option<String>,
    code: Option<i32>,
}

/// `agentctl ARGS`, run in the repository root until [`Agentctl::current_dir`] changes it.
pub fn agentctl<I, S>(args: I) -> Agentctl
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Agentctl {
        shell: false,
        args: Vec::new(),
        cwd: root(),
        env: Vec::new(),
        stdin: None,
        code: None,
    }
    .args(args)
}

/// `sh -c SCRIPT` in the same fixed environment, with the built binary's directory first on
/// `PATH` (so `agentctl` in the script is the binary under test): a command line as a user
/// types it, with pipes and redirections (the README's blocks, `tests/it/readme.rs`).
pub fn shell(script: &str) -> Agentctl {
    Agentctl {
        shell: true,
        ..agentctl([script])
    }
}

impl Agentctl {
    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// More arguments, in order.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Runs in `dir` instead of the repository root.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = dir.as_ref().to_owned();
        self
    }

    /// Sets one more environment variable (on top of the fixed ones).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Writes `input` to standard input (otherwise stdin is empty: `/dev/null`).
    pub fn stdin(mut self, input: impl Into<String>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// The exit code the run must end with: [`Agentctl::run`] fails the test otherwise, showing
    /// the command line, the working directory, stdout and stderr.
    pub fn code(mut self, code: i32) -> Self {
        self.code = Some(code);
        self
    }

    /// The extra environment as a shell would take it before a command: `K=V ` each.
    fn env_words(&self) -> String {
        self.env
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={} ",
                    k.to_string_lossy(),
                    shell_word(&v.to_string_lossy())
                )
            })
            .collect()
    }

    /// `program` with the fixed environment, the extra variables and the working directory.
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", home())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TERM", "xterm-256color")
            .env("COLUMNS", "100")
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .current_dir(&self.cwd);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs to completion and returns what it did, after checking the exit code if
    /// [`Agentctl::code`] gave one. Fails the test if the binary cannot run, is killed by a
    /// signal, panics, or prints anything that is not UTF-8.
    #[track_caller]
    pub fn run(self) -> Run {
        use std::io::Write;
        let mut cmd = if self.shell {
            let dir = Path::new(BIN)
                .parent()
                .expect("the binary is in a directory");
            let mut path = OsString::from(dir);
            path.push(":");
            path.push(std::env::var_os("PATH").unwrap_or_default());
            let mut cmd = self.command("sh");
            cmd.env("PATH", path).arg("-c");
            cmd
        } else {
            self.command(BIN)
        };
        cmd.args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = match &self.stdin {
            None => cmd
                .stdin(Stdio::null())
                .output()
                .expect("the agentctl binary runs"),
            Some(input) => {
                let mut child = cmd
                    .stdin(Stdio::piped())
                    .spawn()
                    .expect("the agentctl binary runs");
                let mut stdin = child.stdin.take().expect("stdin");
                let input = input.clone();
                // A writer of its own: a run that stops reading early must not block the test.
                let writer = std::thread::spawn(move || {
                    let _ = stdin.write_all(input.as_bytes());
                });
                let out = child.wait_with_output().expect("waits");
                writer.join().expect("writer");
                out
            }
        };
        self.finish(
            out.status.code().expect("exited, not killed by a signal"),
            String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        )
    }

    /// Starts it without waiting (stdout and stderr inherited), for concurrency tests.
    pub fn spawn(self) -> Child {
        assert!(
            self.code.is_none() && self.stdin.is_none(),
            "a spawned run is checked by its caller"
        );
        self.command(BIN)
            .args(&self.args)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn agentctl")
    }

    /// Runs it on a pseudo-terminal (util-linux `script`), so `--color auto` sees a terminal;
    /// returns the terminal's output (stdout and stderr together, in [`Run::stdout`]).
    #[track_caller]
    pub fn run_on_terminal(self) -> Run {
        assert!(self.stdin.is_none(), "a terminal run reads no stdin");
        let line: Vec<String> = std::iter::once(OsStr::new(BIN))
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(|a| shell_word(&a.to_string_lossy()))
            .collect();
        let out = self
            .command("script")
            .args(["-qec", &line.join(" "), "/dev/null"])
            .output()
            .expect("util-linux `script` is installed (needed by this test)");
        self.finish(
            out.status.code().expect("exited, not killed by a signal"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The [`Run`], once its exit code is the expected one.
    #[track_caller]
    fn finish(self, code: i32, stdout: String, stderr: String) -> Run {
        let run = Run {
            code,
            stdout,
            stderr,
            env: self.env_words(),
            args: self
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        };
        // No run may panic, whatever it is expected to do (a panic is a bug, never an exit).
        assert!(
            !run.stderr.contains("panicked"),
            "$ {}\n(in {})\nagentctl panicked (exit code {code}):\n{}",
            run.command_line(),
            self.cwd.display(),
            run.stderr
        );
        if let Some(expected) = self.code
            && expected != code
        {
            panic!(
                "$ {}\n(in {})\nexit code {code}, expected {expected}\n----- stdout -----\n{}----- stderr -----\n{}",
                run.command_line(),
                self.cwd.display(),
                run.stdout,
                run.stderr
            );
        }
        run
    }
}

/// The fixed environment is all a run gets: nothing of the caller's (`NO_COLOR`,
/// `AGENTCTL_*`, the real `HOME`, …) leaks in.
#[test]
fn every_run_gets_exactly_the_fixed_environment() {
    let out = agentctl(["unused"])
        .env("EXTRA", "1")
        .command("env")
        .output()
        .expect("env runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let mut names: Vec<&str> = text.lines().filter_map(|l| l.split('=').next()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["COLUMNS", "EXTRA", "HOME", "LANG", "LC_ALL", "PATH", "TERM"],
        "{text}"
    );
    let home = format!("HOME={}", home().display());
    assert!(text.lines().any(|l| l == home), "{text}");
}

/// The builder's own promises: standard input reaches the binary, the expected exit code is
/// checked (and its failure shows the command line and both streams), and the command line a
/// run records quotes what a shell would need quoted.
#[test]
fn the_runner_feeds_stdin_checks_the_code_and_records_the_command() {
    let r = agentctl(["config", "-f", "-"])
        .stdin("namespace: from-stdin\n")
        .code(0)
        .run();
    assert!(
        r.stdout.starts_with("namespace: from-stdin\n"),
        "{}",
        r.stdout
    );
    let wrong = std::panic::catch_unwind(|| agentctl(["no-such-command"]).code(0).run());
    let message = wrong.expect_err("a wrong exit code fails the test");
    let message = message
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.starts_with("$ agentctl no-such-command\n")
            && message.contains("exit code 2, expected 0")
            && message.contains("----- stderr -----\nerror"),
        "{message}"
    );
    let r = agentctl(["explain", "it's"])
        .arg("a b")
        .env("AGENTCTL_X", "two words")
        .run();
    assert_eq!(
        r.command_line(),
        r"AGENTCTL_X='two words' agentctl explain 'it'\''s' 'a b'"
    );
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Everything printed to stdout.
    pub stdout: String,
    /// Everything printed to stderr.
    pub stderr: String,
    /// The extra environment of the command line, `K=V ` each.
    env: String,
    /// The arguments it ran with.
    args: Vec<String>,
}

impl Run {
    /// The command line that ran, as a shell would take it: `K=V … agentctl ARGS` (extra
    /// environment first; words quoted where the shell needs it).
    pub fn command_line(&self) -> String {
        let words: Vec<String> = self.args.iter().map(|a| shell_word(a)).collect();
        format!("{}agentctl {}", self.env, words.join(" "))
    }

    /// The arguments it ran with (for a snapshot's description: `agentctl ARGS`, unquoted).
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The run as a snapshot shows it: see [`Transcript`].
    pub fn transcript(&self) -> Transcript<'_> {
        Transcript {
            run: self,
            command: None,
            code: true,
            stdout: Some(&self.stdout),
            brief: false,
        }
    }
}

/// `a` as one POSIX shell word: bare when that is safe, else single-quoted.
pub fn shell_word(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        a.to_owned()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

// -------------------------------------------------------------------------------- snapshots

/// The one formatter of a run for a snapshot: exit code, stdout and stderr, optionally after
/// the command line. The full form is
///
/// ```text
/// $ agentctl ARGS            (with_command)
/// exit code: N
/// ----- stdout -----
/// STDOUT----- stderr -----
/// STDERR
/// ```
///
/// A part is left out only when the test has pinned it otherwise, and leaving it out checks
/// that: [`Transcript::without_stdout`] fails unless stdout is empty,
/// [`Transcript::without_code`] unless the code is the one given. With stdout left out, stderr
/// follows without the two headers. [`Transcript::brief`] is the form of the galleries, many
/// runs to a snapshot: `exit N`, then stderr without its trailing blank lines.
#[must_use]
pub struct Transcript<'a> {
    run: &'a Run,
    command: Option<String>,
    code: bool,
    stdout: Option<&'a str>,
    brief: bool,
}

impl<'a> Transcript<'a> {
    /// Starts with `$ ` and the command line that ran ([`Run::command_line`]).
    pub fn with_command(self) -> Self {
        Transcript {
            command: Some(self.run.command_line()),
            ..self
        }
    }

    /// Starts with `$ ` and the command line as the test wrote it, `words` standing for the
    /// arguments (placeholders for credentials or escapes that must not reach a snapshot); the
    /// extra environment is shown as it ran.
    pub fn with_command_as<S: AsRef<str>>(self, words: &[S]) -> Self {
        let env = &self.run.env;
        let words: Vec<String> = words.iter().map(|w| shell_word(w.as_ref())).collect();
        Transcript {
            command: Some(format!("{env}agentctl {}", words.join(" "))),
            ..self
        }
    }

    /// Shows `placeholder` in place of stdout (a unified diff pinned elsewhere, say).
    pub fn stdout_as(self, placeholder: &'a str) -> Self {
        Transcript {
            stdout: Some(placeholder),
            ..self
        }
    }

    /// Leaves stdout out; fails unless it is empty.
    #[track_caller]
    pub fn without_stdout(self) -> Self {
        assert!(
            self.run.stdout.is_empty(),
            "$ {}\nstdout is not empty, so a snapshot must show it:\n{}",
            self.run.command_line(),
            self.run.stdout
        );
        Transcript {
            stdout: None,
            ..self
        }
    }

    /// Leaves the exit code out; fails unless it is `code`.
    #[track_caller]
    pub fn without_code(self, code: i32) -> Self {
        assert_eq!(
            self.run.code,
            code,
            "$ {}\nstderr:\n{}",
            self.run.command_line(),
            self.run.stderr
        );
        Transcript {
            code: false,
            ..self
        }
    }

    /// The galleries' form: `exit N` and stderr without trailing blank lines; stdout is left
    /// out, so it must be empty ([`Transcript::without_stdout`]).
    #[track_caller]
    pub fn brief(self) -> Self {
        Transcript {
            brief: true,
            ..self.without_stdout()
        }
    }

    /// The text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if let Some(line) = &self.command {
            out.push_str(&format!("$ {line}\n"));
        }
        if self.brief {
            if self.code {
                out.push_str(&format!("exit {}\n", self.run.code));
            }
            out.push_str(self.run.stderr.trim_end());
            out.push('\n');
            return out;
        }
        if self.code {
            out.push_str(&format!("exit code: {}\n", self.run.code));
        }
        match self.stdout {
            Some(stdout) => out.push_str(&format!(
                "----- stdout -----\n{stdout}----- stderr -----\n{}",
                self.run.stderr
            )),
            None => out.push_str(&self.run.stderr),
        }
        out
    }
}

/// Pins `body` as `snapshots/GROUP/NAME.snap` (GROUP may have several segments, e.g.
/// `manifests/dev`), with `description` in the snapshot's header. The same settings for every
/// snapshot: no module prefix, no expression. `cargo insta test --check
/// --unreferenced=reject` fails on a snapshot under `snapshots/` that no test pins. A run is
/// written into `body` by [`Run::transcript`], the one formatter of runs.
pub fn snapshot(group: &str, name: &str, description: &str, body: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots").join(group));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(description);
    settings.bind(|| insta::assert_snapshot!(name, body));
}

// ------------------------------------------------------------------------------ the library

/// Every call the tests make into the `agentctl` library (besides `merge_props`).
pub mod lib {
    use std::path::Path;

    /// Parses one YAML document into JSON values (the library's YAML reader).
    pub fn yaml(text: &str) -> Result<serde_json::Value, String> {
        agentctl::input::yaml::from_str(text)
    }

    /// Parses a manifest stream (several documents) the way the library reads its output.
    pub fn parse_manifests(text: &str) -> Result<Vec<serde_json::Value>, String> {
        agentctl::input::yaml::parse_manifests(text)
    }

    /// Every plain (unquoted) string scalar of `text`, with its position (`line:col`).
    pub fn plain_strings(text: &str) -> Result<Vec<(String, String)>, String> {
        Ok(agentctl::input::yaml::plain_strings(text)?
            .into_iter()
            .map(|(s, pos)| (s, pos.to_string()))
            .collect())
    }

    /// One `patches:` entry applied to `base` by the library's patch engine: the indices of
    /// `[base]` the entry's target selects, and the patched object; a parse or apply error as
    /// its debug text.
    pub fn patch(
        base: &serde_json::Value,
        entry: &serde_json::Value,
    ) -> Result<(Vec<usize>, serde_json::Value), String> {
        use agentctl::config::patches;
        let p = patches::parse(entry).map_err(|e| format!("{e:?}"))?;
        let mut obj = base.clone();
        let selected = patches::select(&p.target, std::slice::from_ref(&obj));
        patches::apply(&mut obj, &p).map_err(|e| format!("{e:?}"))?;
        Ok((selected, obj))
    }

    /// Whether `words` (starting with `agentctl`) parse as an `agentctl diff` command line.
    pub fn parses_as_diff(words: &[&str]) -> Result<bool, String> {
        let cli = <agentctl::cli::Cli as clap::Parser>::try_parse_from(words)
            .map_err(|e| e.to_string())?;
        Ok(matches!(cli.command, agentctl::cli::Command::Diff { .. }))
    }

    /// The inputs of `agentctl render -p P… -f F… --set S…` (override files relative to `root`).
    pub fn inputs(
        root: &Path,
        profiles: &[&str],
        files: &[&str],
        sets: &[&str],
    ) -> agentctl::input::layers::Inputs {
        agentctl::input::layers::Inputs {
            profiles: profiles.iter().map(|s| (*s).to_owned()).collect(),
            files: files.iter().map(|f| root.join(f)).collect(),
            sets: sets.iter().map(|s| (*s).to_owned()).collect(),
            inline: None,
            read: Default::default(),
            root: None,
        }
    }

    /// One rendered output file: its name and its full content.
    pub type File = (String, String);

    /// Renders in-process what `agentctl render -p P… -f F… --set S…` renders (override files
    /// relative to `root`); the output files in order, or the error as text.
    pub fn render(
        root: &Path,
        profiles: &[&str],
        files: &[&str],
        sets: &[&str],
    ) -> Result<Vec<File>, String> {
        let renderer = agentctl::render::Renderer::new().map_err(|e| e.to_string())?;
        let inputs = inputs(root, profiles, files, sets);
        let (_, bundle) =
            agentctl::pipeline::build(&renderer, &inputs).map_err(|e| e.to_string())?;
        Ok(bundle
            .files
            .into_iter()
            .map(|f| (f.name, f.content))
            .collect())
    }

    /// Whether the credential policy calls a setting name a credential's.
    pub fn is_sensitive(name: &str) -> bool {
        agentctl::config::credentials::is_sensitive(name)
    }

    /// The environments of the project file at `path` that read each override file, and
    /// whether they share one reading of it (the same text, read once): path → (environments,
    /// shared).
    pub fn project_reads(
        path: &Path,
    ) -> Result<std::collections::BTreeMap<String, (Vec<String>, bool)>, String> {
        let p = agentctl::input::project::load(path, false).map_err(|e| e.to_string())?;
        let mut out = std::collections::BTreeMap::<String, (Vec<String>, bool)>::new();
        let mut first = std::collections::BTreeMap::new();
        for env in &p.environments {
            for (file, source) in &env.read {
                let name = file
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let entry = out.entry(name.clone()).or_insert((Vec::new(), true));
                entry.0.push(env.name.clone());
                let one = first
                    .entry(name)
                    .or_insert_with(|| std::sync::Arc::clone(source));
                entry.1 &= std::sync::Arc::ptr_eq(one, source);
            }
        }
        Ok(out)
    }

    /// Renders the defaults with one built-in template replaced by `text`; the error as
    /// agentctl prints it (through the one renderer of errors), or `None` when it renders.
    pub fn render_with_template_shown(name: &str, text: &str) -> Option<String> {
        let renderer =
            agentctl::render::Renderer::with_templates(&[(name, text)]).expect("compiles");
        agentctl::render::bundle::build(&renderer, &agentctl::config::Config::default())
            .err()
            .map(|e| agentctl::diag::Error::Other(e).to_string())
    }

    /// Renders the defaults with one built-in template replaced by `text`; the error as text,
    /// or `None` when it renders.
    pub fn render_with_template(name: &str, text: &str) -> Option<String> {
        let renderer =
            agentctl::render::Renderer::with_templates(&[(name, text)]).expect("compiles");
        agentctl::render::bundle::build(&renderer, &agentctl::config::Config::default())
            .err()
            .map(|e| format!("{e:#}"))
    }
}

/// A render of the defaults in `old/` and a byte copy of it in `new/` (the two sides of a
/// `diff --base-dir old -o new` a test then edits).
pub fn two_copies() -> tempfile::TempDir {
    let work = tempdir();
    let w = work.path();
    let render = agentctl(["render", "-q", "-o", "old"]).current_dir(w).run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    std::fs::create_dir(w.join("new")).expect("mkdir");
    for name in tree(&w.join("old")).keys() {
        std::fs::copy(w.join("old").join(name), w.join("new").join(name)).expect("copy");
    }
    work
}

/// Rewrites the file at `path` with `f` of its text.
pub fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).expect("read");
    std::fs::write(path, f(text)).expect("write");
}
