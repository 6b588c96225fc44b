//! What every test module shares: one way to run the built binary (with the same, fixed
//! environment for every run), scratch directories, the snapshot settings, and the few calls
//! into the library the tests make (kept here, in [`lib`], so a change of the library's module
//! paths touches this file only; `merge_props` is the exception, see its imports).

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

/// One run of `agentctl`, built up and then run. Every run starts from an empty environment
/// plus a fixed set: `HOME` (a scratch directory), `PATH`, `TERM=xterm-256color`,
/// `COLUMNS=100`, `LANG`/`LC_ALL=C.UTF-8`; no `NO_COLOR`, `CLICOLOR*` or `AGENTCTL_*` from
/// the caller. The working directory is the repository root unless [`Agentctl::current_dir`]
/// says otherwise. Off a terminal (the default), `--color auto` prints no color.
#[must_use]
pub struct Agentctl {
    args: Vec<OsString>,
    cwd: PathBuf,
    env: Vec<(OsString, OsString)>,
}

/// `agentctl ARGS`, run in the repository root until [`Agentctl::current_dir`] changes it.
pub fn agentctl<I, S>(args: I) -> Agentctl
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Agentctl {
        args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
        cwd: root(),
        env: Vec::new(),
    }
}

impl Agentctl {
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

    /// Runs to completion (stdin empty) and returns what it did. Panics if the binary cannot
    /// run, is killed by a signal, or prints anything that is not UTF-8.
    pub fn run(self) -> Run {
        let out = self
            .command(BIN)
            .args(&self.args)
            .stdin(Stdio::null())
            .output()
            .expect("the agentctl binary runs");
        Run {
            code: out.status.code().expect("exited, not killed by a signal"),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Runs to completion with `input` on standard input.
    pub fn run_with_stdin(self, input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(BIN)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the agentctl binary runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.to_owned();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let out = child.wait_with_output().expect("waits");
        writer.join().expect("writer");
        Run {
            code: out.status.code().expect("exited, not killed by a signal"),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Starts it without waiting (stdout and stderr inherited), for concurrency tests.
    pub fn spawn(self) -> Child {
        self.command(BIN)
            .args(&self.args)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn agentctl")
    }

    /// Runs it on a pseudo-terminal (util-linux `script`), so `--color auto` sees a terminal;
    /// returns the terminal's output (stdout and stderr together).
    pub fn run_on_terminal(self) -> Run {
        let line: Vec<String> = std::iter::once(OsStr::new(BIN))
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(|a| shell_word(&a.to_string_lossy()))
            .collect();
        let out = self
            .command("script")
            .args(["-qec", &line.join(" "), "/dev/null"])
            .output()
            .expect("util-linux `script` is installed (needed by this test)");
        Run {
            code: out.status.code().expect("exited, not killed by a signal"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
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

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Everything printed to stdout.
    pub stdout: String,
    /// Everything printed to stderr.
    pub stderr: String,
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

/// Pins `body` as `snapshots/GROUP/NAME.snap` (GROUP may have several segments, e.g.
/// `manifests/dev`), with `description` in the snapshot's header. The same settings for every
/// snapshot: no module prefix, no expression. `cargo insta test --check
/// --unreferenced=reject` fails on a snapshot under `snapshots/` that no test pins.
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
