//! The README, tried as a new user tries it: every block it marks as offline is run, in the
//! order it appears, against the built binary in one scratch directory (a fresh git repository
//! holding a copy of `examples/`, as a clone does), and every output it shows is compared with
//! what the binary prints. A README block that drifts from the program fails here.
//!
//! The marks are fence info strings (GitHub shows the block as its first word says and ignores
//! the rest) and one HTML comment:
//! - ```` ```sh offline ````: each line is a command, run by `sh -c` with the built `agentctl`
//!   first on `PATH` (a trailing `# comment` is the shell's own). It must exit 0 or 1 (1 is
//!   drift); 2 or more, an error, fails the test. Nothing in such a block may need a cluster or
//!   the network.
//! - ```` ```text output ````, right after an offline block: what its last command printed,
//!   stdout then stderr.
//! - ```` ```text transcript ````: `$ COMMAND` lines, each followed by what it prints (stdout
//!   then stderr); the command is run like an offline line.
//! - ```` ```yaml file=PATH ````: the file a user saves; written to PATH before the next block.
//! - ```` ```yaml ci ````: a CI job; every `agentctl diff` in it without a `$` variable is run
//!   where it stands in the README and must exit 0 (the recipe before it left nothing to report).
//! - `<!-- readme-test setup ... -->`: commands the README leaves to the reader (an override file
//!   it only names), run like an offline block, shown to nobody.
//!
//! In an expected output, a line `...` stands for any number of lines.

use std::path::Path;

use crate::support::{self, Run, root};

/// One marked part of the README, in order.
#[derive(Debug)]
enum Part {
    /// Commands to run (an offline block or a setup comment).
    Commands { line: usize, body: String },
    /// What the previous block's last command prints.
    Output { line: usize, body: String },
    /// `$ COMMAND` and its output, repeated.
    Transcript { line: usize, body: String },
    /// A file to write.
    File { path: String, body: String },
    /// A CI job whose `agentctl diff` commands must pass.
    Ci { line: usize, body: String },
}

/// The marked parts of `text`, in order.
fn parts(text: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let n = i + 1;
        if line.trim() == "<!-- readme-test setup" {
            let body: Vec<&str> = lines
                .by_ref()
                .map(|(_, l)| l)
                .take_while(|l| l.trim() != "-->")
                .collect();
            out.push(Part::Commands {
                line: n,
                body: body.join("\n"),
            });
            continue;
        }
        let Some(info) = line.strip_prefix("```").filter(|i| !i.is_empty()) else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| l.trim_end() != "```")
            .collect();
        let body = body.join("\n");
        let words: Vec<&str> = info.split_whitespace().collect();
        let part = match words.as_slice() {
            ["sh", "offline"] => Part::Commands { line: n, body },
            ["text", "output"] => Part::Output { line: n, body },
            ["text", "transcript"] => Part::Transcript { line: n, body },
            ["yaml", "ci"] => Part::Ci { line: n, body },
            ["yaml", file] if file.starts_with("file=") => Part::File {
                path: file["file=".len()..].to_owned(),
                body: body + "\n",
            },
            [_] => continue,
            _ => panic!("README.md:{n}: unknown block mark `{info}` (see tests/it/readme.rs)"),
        };
        out.push(part);
    }
    out
}

/// The commands of a block: its lines, without blank ones and whole-line comments.
fn commands(body: &str) -> impl Iterator<Item = &str> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn run(dir: &Path, command: &str) -> Run {
    support::shell(command)
        .current_dir(dir)
        .env("GIT_SHA", "3f2a1c9e")
        .run()
}

/// Whether `actual` is `expected`, where an expected line `...` is any number of lines.
fn matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| a == e && matches(rest, more)),
    }
}

fn compare(at: &str, command: &str, expected: &str, r: &Run) {
    let actual = format!("{}{}", r.stdout, r.stderr);
    let want: Vec<&str> = expected.lines().collect();
    let got: Vec<&str> = actual.lines().collect();
    assert!(
        matches(&want, &got),
        "{at}: the README shows another output for `{command}` (exit {})\n--- README\n{expected}\n--- agentctl\n{actual}",
        r.code
    );
}

/// Runs a command where the README runs it: must not fail (exit 0, or 1 for drift).
fn must_run(dir: &Path, at: &str, command: &str) -> Run {
    let r = run(dir, command);
    assert!(
        r.code <= 1,
        "{at}: `{command}` exits {}\n{}{}",
        r.code,
        r.stdout,
        r.stderr
    );
    r
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Every offline block of the README, in order, in one scratch directory; every output it
/// shows is what the binary prints.
#[test]
fn the_readme_runs_as_written() {
    let text = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let parts = parts(&text);
    let dir = support::tempdir();
    let dir = dir.path();
    copy_dir(&root().join("examples"), &dir.join("examples"));
    let git = std::process::Command::new("git")
        .args(["init", "-q", "."])
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(git.success());
    let mut last: Option<(String, Run)> = None;
    let mut counts = [0usize; 3];
    for part in &parts {
        match part {
            Part::Commands { line, body } => {
                for command in commands(body) {
                    let at = format!("README.md:{line}");
                    last = Some((command.to_owned(), must_run(dir, &at, command)));
                    counts[0] += 1;
                }
            }
            Part::Output { line, body } => {
                let (command, r) = last.take().unwrap_or_else(|| {
                    panic!("README.md:{line}: an output block with no command before it")
                });
                compare(&format!("README.md:{line}"), &command, body, &r);
                counts[1] += 1;
            }
            Part::Transcript { line, body } => {
                let mut rest = body.lines().peekable();
                while let Some(first) = rest.next() {
                    let command = first.strip_prefix("$ ").unwrap_or_else(|| {
                        panic!("README.md:{line}: a transcript starts with `$ COMMAND`")
                    });
                    let mut shown = Vec::new();
                    while let Some(l) = rest.next_if(|l| !l.starts_with("$ ")) {
                        shown.push(l);
                    }
                    let r = run(dir, command);
                    compare(&format!("README.md:{line}"), command, &shown.join("\n"), &r);
                    counts[1] += 1;
                }
            }
            Part::File { path, body } => support::write(dir, path, body),
            Part::Ci { line, body } => {
                for l in body.lines().filter(|l| !l.contains('$')) {
                    let Some(i) = l.find("agentctl diff") else {
                        continue;
                    };
                    let command = &l[i..];
                    let r = run(dir, command);
                    assert_eq!(
                        r.code, 0,
                        "README.md:{line}: the CI job's `{command}` fails right after the README's recipe\n{}{}",
                        r.stdout, r.stderr
                    );
                    counts[2] += 1;
                }
            }
        }
    }
    // After the README's steps, the schema every example points its editor at is there.
    for entry in std::fs::read_dir(root().join("examples")).expect("examples/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("an example");
        if let Some(target) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# yaml-language-server: $schema="))
        {
            assert!(
                dir.join("examples").join(target).is_file(),
                "{}: `$schema={target}` is not there after the README's steps",
                path.display()
            );
        }
    }
    // The marks are there: a README that lost them would test nothing.
    assert!(counts[0] >= 20, "offline commands run: {}", counts[0]);
    assert!(counts[1] >= 4, "outputs compared: {}", counts[1]);
    assert!(counts[2] >= 2, "CI drift checks run: {}", counts[2]);
}

#[test]
fn an_ellipsis_line_stands_for_any_lines() {
    assert!(matches(&["a", "...", "d"], &["a", "b", "c", "d"]));
    assert!(matches(&["a", "...", "d"], &["a", "d"]));
    assert!(matches(&["a", "..."], &["a"]));
    assert!(!matches(&["a", "...", "d"], &["a", "b"]));
    assert!(!matches(&["a", "b"], &["a", "b", "c"]));
    assert!(!matches(&["a", "x"], &["a", "b"]));
}

#[test]
fn unknown_marks_are_refused() {
    let parsed = std::panic::catch_unwind(|| parts("```sh oflline\nagentctl\n```\n"));
    assert!(
        parsed.is_err(),
        "a misspelt mark would silently test nothing"
    );
    let parsed =
        parts("```sh\nx\n```\n```sh offline\nagentctl profiles\n```\n```text output\nout\n```\n");
    assert!(
        matches!(
            parsed.as_slice(),
            [Part::Commands { .. }, Part::Output { .. }]
        ),
        "{parsed:?}"
    );
}

/// `--help` says what the README says: every exit code of its table, and `diff --help` every
/// impact class of Change impact's table.
#[test]
fn the_help_names_every_exit_code_and_impact_class_the_readme_documents() {
    let text = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let rows = |header: &str| -> Vec<String> {
        let start = text
            .find(header)
            .unwrap_or_else(|| panic!("README has {header}"));
        text[start..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                l.split('|')
                    .nth(1)
                    .unwrap_or_default()
                    .trim()
                    .trim_matches('`')
                    .to_owned()
            })
            .collect()
    };
    let codes = rows("| exit | `diff`, `render --check` | every other command |");
    assert_eq!(codes, ["0", "1", "2", "3", "4"]);
    let help = support::agentctl(["--help"]).run();
    assert_eq!(help.code, 0);
    let exits = &help.stdout[help
        .stdout
        .find("Exit codes:")
        .expect("exit codes in --help")..];
    for code in &codes {
        assert!(
            exits.contains(&format!("{code} ")),
            "`agentctl --help` does not name exit code {code}:\n{exits}"
        );
    }
    let classes = rows("| class | meaning | examples |");
    assert_eq!(classes.len(), 6, "{classes:?}");
    let diff = support::agentctl(["diff", "--help"]).run();
    let about = &diff.stdout[..diff.stdout.find("Examples:").expect("examples")];
    for class in &classes {
        assert!(
            about.contains(class.as_str()),
            "`agentctl diff --help` does not name the impact class {class}:\n{about}"
        );
    }
}

/// The README's Kubernetes version table is `k8s::version`'s `Feature::ALL`: one row per
/// version a feature needs (in order, the never-ungated last), each naming exactly the features
/// of that version by their titles (backticks aside), and the refusal and both forms of its
/// help quoted as the program words them. A feature added without its README row fails here.
#[test]
fn the_readme_version_table_is_feature_all() {
    use agentctl::k8s::version::{FLOOR, Feature, KubeVersion, NEWEST};
    let text = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let header = "| Needs | What (in a typed setting, a patch or an extra object) |";
    let start = text.find(header).expect("README has the version table");
    let rows: Vec<(String, String)> = text[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_owned(), cells[2].replace('`', ""))
        })
        .collect();
    let mut versions: Vec<Option<KubeVersion>> = Vec::new();
    for f in Feature::ALL {
        if !versions.contains(&f.since()) {
            versions.push(f.since());
        }
    }
    versions.sort_by_key(|v| v.map_or(u32::MAX, |v| v.minor()));
    let expected: Vec<(String, String)> = versions
        .iter()
        .map(|v| {
            let needs = match v {
                Some(v) if *v == FLOOR => format!("{v} (every supported version)"),
                Some(v) => v.to_string(),
                None => format!("never (a feature gate up to {NEWEST})"),
            };
            let what: Vec<&str> = Feature::ALL
                .iter()
                .filter(|f| f.since() == *v)
                .map(|f| f.title())
                .collect();
            (needs, what.join(", "))
        })
        .collect();
    let table = |rows: &[(String, String)]| {
        rows.iter()
            .map(|(n, w)| format!("| {n} | {w} |"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        table(&rows),
        table(&expected),
        "README.md's version table (backticks aside) must be Feature::ALL's; expected rows above"
    );
    // The words of a refusal and of both forms of its help, as the README quotes them.
    let oneline = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let sidecar = Feature::NativeSidecars;
    let gated = Feature::ALL
        .iter()
        .find(|f| f.since().is_none())
        .expect("a feature no known version runs ungated");
    for quoted in [sidecar.refusal(FLOOR), sidecar.help(), gated.help()] {
        assert!(
            oneline.contains(&format!("\"{quoted}\"")),
            "README.md does not quote {quoted:?}"
        );
    }
}
