//! The attacks gallery: agentctl run as a hostile or careless user (or a pull request's
//! project file) would run it. Each case is a command line over a few files, and its outcome:
//! the exit code, what stderr must say, and what it must never show (a credential, a line of a
//! file that is not agentctl's, a raw terminal escape). Every run of a gallery is pinned in
//! `snapshots/attacks/<gallery>.snap` (command, exit code, stderr), so a reviewer reads the
//! gallery as a user would see it. The data-loss attacks on the output directory are in
//! `output_safety`.

use crate::support::{self, agentctl, lib};

/// An Anthropic API key (made up, shaped like a real one).
const ANTHROPIC: &str = "sk-ant-api03-Xq7bN2vR9kLm4PzW8tYc1HdJ6sFg3AeU5oKi0Tn";
/// A GitHub personal access token.
const GITHUB: &str = "ghp_R8mK2xQ9vL4nT7wZ1cY6bH3jF5dS0aPe9Ui2";
/// An AWS access key id.
const AWS: &str = "AKIAZ7Q2M4X9R3T8W1YB";
/// A Slack bot token.
const SLACK: &str = "xoxb-4829305718-5820194736-Qm7Rt2Xv9Lk4Pw8Zc1Hd";
/// A JWT.
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCIsImV4cCI6OTk5OX0.Vq3Xk8Lm2Pz7Wt9Yc4Hd1Jf6Sg5AeUoKi0TnRbN2rQ";
/// An OpenAI project key.
const OPENAI: &str = "sk-proj-Hn4Kq8Wz2Xv7Lm9Pt3Yc6Rb1Jd5Fg0AeUs";
/// A random password (no known prefix: found by its entropy).
const RANDOM: &str = "Zk3q9LmN2pQ7rS4tV8wY1bC6dF0gH5j";

/// One attack: files to lay out (paths under a scratch root; the command runs in `proj/`),
/// symbolic links (path, target), the command, standard input, and the outcome.
struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    links: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    stdin: Option<&'static str>,
    code: i32,
    /// Stderr contains each of these.
    shows: &'static [&'static str],
    /// Stderr contains none of these (nor any of the credentials above).
    hides: &'static [&'static str],
}

const NONE: &[(&str, &str)] = &[];

/// Runs every case of a gallery, checks it, and pins the gallery as one snapshot.
fn gallery(name: &str, description: &str, cases: &[Case]) {
    let mut pinned = String::new();
    for c in cases {
        let dir = support::tempdir();
        let root = dir.path();
        std::fs::create_dir_all(root.join("proj")).expect("mkdir");
        for (path, text) in c.files {
            let text = text
                .replace("{ANTHROPIC}", ANTHROPIC)
                .replace("{GITHUB}", GITHUB)
                .replace("{AWS}", AWS)
                .replace("{SLACK}", SLACK)
                .replace("{JWT}", JWT)
                .replace("{OPENAI}", OPENAI)
                .replace("{RANDOM}", RANDOM);
            support::write(root, path, &text);
        }
        for (path, target) in c.links {
            let at = root.join(path);
            std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
            std::os::unix::fs::symlink(target, &at).expect("symlink");
        }
        let args: Vec<String> = c
            .args
            .iter()
            .map(|a| {
                a.replace("{ANTHROPIC}", ANTHROPIC)
                    .replace("{GITHUB}", GITHUB)
                    .replace("{JWT}", JWT)
                    .replace("{ESC}", "\u{1b}")
                    .replace("{RLO}", "\u{202e}")
            })
            .collect();
        let cmd = agentctl(&args).current_dir(root.join("proj"));
        let run = match c.stdin {
            Some(input) => cmd.stdin(input),
            None => cmd,
        }
        .run();
        let shown = &run.stderr;
        assert_eq!(run.code, c.code, "{}: exit code\n{shown}", c.name);
        for s in c.shows {
            assert!(shown.contains(s), "{}: stderr lacks {s:?}\n{shown}", c.name);
        }
        let secrets = [ANTHROPIC, GITHUB, AWS, SLACK, JWT, OPENAI, RANDOM];
        for s in c.hides.iter().chain(secrets.iter()) {
            // A credential must not show in whole nor in a long part.
            let part: String = s.chars().take(16).collect();
            assert!(
                !shown.contains(&part),
                "{}: stderr shows {part:?}\n{shown}",
                c.name
            );
        }
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{202e}'),
            "{}: raw escape on stderr\n{shown:?}",
            c.name
        );
        // The command as written in the case (credentials and escapes as their placeholders).
        let shown = run.transcript().with_command_as(c.args).brief();
        pinned.push_str(&format!("## {}\n{}\n", c.name, shown.text()));
    }
    support::snapshot("attacks", name, description, &pinned);
}

/// A minimal project file with one environment reading `overrides`.
macro_rules! project {
    ($overrides:literal) => {
        concat!(
            "environments:\n  dev:\n    profiles: [dev]\n    overrides: [",
            $overrides,
            "]\n"
        )
    };
}

#[test]
fn a_project_file_reads_only_inside_its_directory() {
    gallery(
        "project-confinement",
        "A project file's overrides: stay inside its directory (absolute, `..`, symlinks refused)",
        &[
            Case {
                name: "the CI environment, by absolute path",
                files: &[("proj/agentctl.yaml", project!("/proc/self/environ"))],
                links: &[],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &[
                    "outside the project's directory: it is an absolute path",
                    "--allow-outside-project",
                ],
                hides: &["PATH=", "HOME="],
            },
            Case {
                name: "a file beside the project, by `..`",
                files: &[
                    ("proj/agentctl.yaml", project!("envs/../../secrets.yaml")),
                    ("secrets.yaml", "token: {ANTHROPIC}\n"),
                ],
                links: &[],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &["`..` climbs out of it"],
                hides: &[],
            },
            Case {
                name: "a symlink in the project to a file outside",
                files: &[
                    ("proj/agentctl.yaml", project!("envs/prod.yaml")),
                    (
                        "home/.aws/credentials",
                        "[default]\naws_access_key_id = {AWS}\n",
                    ),
                ],
                links: &[("proj/envs/prod.yaml", "../../home/.aws/credentials")],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &[
                    "`envs/prod.yaml` is a symbolic link out of it (to `../../home/.aws/credentials`)",
                ],
                hides: &["aws_access_key_id"],
            },
            Case {
                name: "a symlinked directory on the way out",
                files: &[
                    ("proj/agentctl.yaml", project!("conf/prod.yaml")),
                    ("elsewhere/prod.yaml", "namespace: elsewhere\n"),
                ],
                links: &[("proj/conf", "../elsewhere")],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &["`conf` is a symbolic link out of it"],
                hides: &[],
            },
            Case {
                name: "`..` through a symlink that stays inside as written",
                files: &[
                    ("proj/agentctl.yaml", project!("up/secrets.yaml")),
                    ("secrets.yaml", "token: {ANTHROPIC}\n"),
                ],
                links: &[("proj/up", "..")],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &["`up` is a symbolic link out of it (to `..`)"],
                hides: &["token:"],
            },
            Case {
                name: "a symlink in a middle component, deeper than the first",
                files: &[
                    ("proj/agentctl.yaml", project!("envs/prod/values.yaml")),
                    ("proj/envs/keep", ""),
                    ("other/values.yaml", "namespace: other\n"),
                ],
                links: &[("proj/envs/prod", "../../other")],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &["`envs/prod` is a symbolic link out of it (to `../../other`)"],
                hides: &[],
            },
            Case {
                name: "a chain of links whose last one leads out",
                files: &[
                    ("proj/agentctl.yaml", project!("a.yaml")),
                    ("secrets.yaml", "token: {ANTHROPIC}\n"),
                ],
                links: &[
                    ("proj/a.yaml", "b.yaml"),
                    ("proj/b.yaml", "../secrets.yaml"),
                ],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &[
                    "override file `a.yaml` is outside the project's directory: `b.yaml` is a symbolic link out of it (to `../secrets.yaml`)",
                ],
                hides: &["token:"],
            },
            Case {
                name: "a link to an absolute path, even one inside",
                files: &[
                    ("proj/agentctl.yaml", project!("abs.yaml")),
                    ("proj/base.yaml", "namespace: inside\n"),
                ],
                links: &[("proj/abs.yaml", "/etc/hostname")],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &["`abs.yaml` is a symbolic link to an absolute path (`/etc/hostname`)"],
                hides: &[],
            },
            Case {
                name: "a link loop",
                files: &[("proj/agentctl.yaml", project!("loop.yaml"))],
                links: &[("proj/loop.yaml", "loop.yaml")],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &["more than 40 symbolic links on the way"],
                hides: &[],
            },
            Case {
                name: "links that stay inside are followed",
                files: &[
                    ("proj/agentctl.yaml", project!("current/prod.yaml")),
                    ("proj/envs/v2/prod.yaml", "namespace: inside\n"),
                ],
                links: &[("proj/current", "envs/v2"), ("proj/envs/v1", "v2/../v2")],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 0,
                shows: &[],
                hides: &[],
            },
            Case {
                name: "opted in on the command line: an outside file is read",
                files: &[
                    ("proj/agentctl.yaml", project!("../shared/base.yaml")),
                    ("shared/base.yaml", "namespace: shared-agents\n"),
                ],
                links: &[],
                args: &["render", "--all", "--allow-outside-project", "-o", "out"],
                stdin: None,
                code: 0,
                shows: &[],
                hides: &[],
            },
            Case {
                name: "opted in: a symlink out is followed",
                files: &[
                    ("proj/agentctl.yaml", project!("shared.yaml")),
                    ("shared/base.yaml", "namespace: shared-agents\n"),
                ],
                links: &[("proj/shared.yaml", "../shared/base.yaml")],
                args: &[
                    "render",
                    "--all",
                    "--allow-outside-project",
                    "-q",
                    "-o",
                    "out",
                ],
                stdin: None,
                code: 0,
                shows: &[],
                hides: &[],
            },
            Case {
                name: "a `..` that stays inside is fine",
                files: &[
                    ("proj/agentctl.yaml", project!("envs/../base.yaml")),
                    ("proj/base.yaml", "namespace: inside\n"),
                    ("proj/envs/keep", ""),
                ],
                links: &[],
                args: &["render", "--all", "-o", "out"],
                stdin: None,
                code: 0,
                shows: &[],
                hides: &[],
            },
        ],
    );
}

/// The race that checking a path and then opening it by name leaves open: a link flipped
/// between a file inside and one outside while runs read it. Every run must read the inside
/// file or refuse; none may ever read the outside one.
#[test]
fn a_symlink_swapped_during_the_run_never_leads_out() {
    let dir = support::tempdir();
    let root = dir.path();
    support::write(root, "proj/agentctl.yaml", project!("current/values.yaml"));
    support::write(root, "proj/v1/values.yaml", "namespace: inside-agents\n");
    support::write(root, "outside/values.yaml", "namespace: outside-agents\n");
    let proj = root.join("proj");
    std::os::unix::fs::symlink("v1", proj.join("current")).expect("symlink");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let stop = std::sync::Arc::clone(&stop);
        let proj = proj.clone();
        std::thread::spawn(move || {
            let mut flips = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Atomic swaps of the middle component: inside, outside, inside, ...
                let target = if flips.is_multiple_of(2) {
                    "../outside"
                } else {
                    "v1"
                };
                let _ = std::fs::remove_file(proj.join("next"));
                let _ = std::os::unix::fs::symlink(target, proj.join("next"));
                let _ = std::fs::rename(proj.join("next"), proj.join("current"));
                flips += 1;
            }
            flips
        })
    };
    let (mut inside, mut refused) = (0, 0);
    for _ in 0..24 {
        let run = agentctl(["config", "--env", "dev"])
            .current_dir(&proj)
            .run();
        assert!(
            !run.stdout.contains("outside-agents") && !run.stderr.contains("outside-agents"),
            "a run read the file outside the project:\n{}{}",
            run.stdout,
            run.stderr
        );
        match run.code {
            0 => {
                assert!(run.stdout.contains("inside-agents"), "{}", run.stdout);
                inside += 1;
            }
            _ => {
                assert!(
                    run.stderr.contains("outside the project's directory")
                        || run.stderr.contains("does not exist"),
                    "{}",
                    run.stderr
                );
                refused += 1;
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let flips = flipper.join().expect("flipper");
    assert!(flips > 24, "the link was flipped only {flips} times");
    assert_eq!(inside + refused, 24);
}

/// Opted in, the CI environment is read but still not quoted (its position varies with the
/// environment, so this one is not in the pinned gallery).
#[test]
fn an_opted_in_environment_dump_is_still_not_quoted() {
    let dir = support::tempdir();
    support::write(dir.path(), "agentctl.yaml", project!("/proc/self/environ"));
    let run = agentctl(["render", "--all", "--allow-outside-project", "-o", "out"])
        .current_dir(dir.path())
        .env("ANTHROPIC_API_KEY", ANTHROPIC)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("binary data, not YAML"),
        "{}",
        run.stderr
    );
    for leak in ["ANTHROPIC_API_KEY", &ANTHROPIC[..16], "PATH=", "HOME="] {
        assert!(!run.stderr.contains(leak), "{leak}: {}", run.stderr);
    }
}

#[test]
fn files_that_are_not_agentctl_yaml_are_never_quoted() {
    gallery(
        "foreign-files",
        "Files that are not plausibly agentctl YAML: located, no line shown",
        &[
            Case {
                name: "a .env file",
                files: &[(
                    "proj/.env",
                    "ANTHROPIC_API_KEY={ANTHROPIC}\nexport GITHUB_TOKEN={GITHUB}\nMODEL=claude\n",
                )],
                links: &[],
                args: &["render", "-f", ".env"],
                stdin: None,
                code: 2,
                shows: &["at .env:1:1; no line of it is shown"],
                hides: &["ANTHROPIC_API_KEY", "MODEL=claude"],
            },
            Case {
                name: "an INI file",
                files: &[(
                    "proj/credentials",
                    "[default]\naws_access_key_id = {AWS}\naws_secret_access_key = {RANDOM}\n",
                )],
                links: &[],
                args: &["render", "-f", "credentials"],
                stdin: None,
                code: 2,
                shows: &["at credentials:", "no line of it is shown"],
                hides: &["aws_access_key_id", "[default]"],
            },
            Case {
                name: "a passwd-like file",
                files: &[(
                    "proj/passwd",
                    "root:x:0:0:root:/root:/bin/bash\nagent:x:1000:1000::/home/agent:/bin/sh\n",
                )],
                links: &[],
                args: &["render", "-f", "passwd"],
                stdin: None,
                code: 2,
                shows: &["no line of it is shown"],
                hides: &["/bin/bash", "root:x"],
            },
            Case {
                name: "a Kubernetes Secret manifest",
                files: &[(
                    "proj/secret.yaml",
                    "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  api-key: {OPENAI}\n",
                )],
                links: &[],
                args: &["render", "-f", "secret.yaml"],
                stdin: None,
                code: 2,
                shows: &["unknown key `apiVersion`", "no line of it is shown"],
                hides: &["stringData:", "api-key"],
            },
            Case {
                name: "binary data (NUL-separated, like /proc/self/environ)",
                files: &[("proj/environ", "PATH=/usr/bin\0SECRET={RANDOM}\0")],
                links: &[],
                args: &["render", "-f", "environ"],
                stdin: None,
                code: 2,
                shows: &["control character U+0000 at 1:14"],
                hides: &["PATH=/usr/bin"],
            },
            Case {
                name: "a project file that is not one",
                files: &[("proj/vars.env", "DB_PASSWORD={RANDOM}\nHOST=db\n")],
                links: &[],
                args: &["render", "--all", "--project", "vars.env", "-o", "out"],
                stdin: None,
                code: 2,
                shows: &[
                    "at vars.env:1:1; no line of it is shown",
                    "is it a project file?",
                ],
                hides: &["HOST=db", "DB_PASSWORD"],
            },
            Case {
                name: "an agentctl file with a typo is still quoted (it is ours)",
                files: &[("proj/mine.yaml", "agent:\n  replicas: {min: 2\n")],
                links: &[],
                args: &["render", "-f", "mine.yaml"],
                stdin: None,
                code: 2,
                shows: &["mine.yaml:"],
                hides: &[],
            },
        ],
    );
}

#[test]
fn credentials_are_masked_by_shape_and_by_name() {
    gallery(
        "masking",
        "Credential values never reach stderr: by key name and by value shape, in every place a message quotes input",
        &[
            Case {
                name: "a token as the value of --set (the excerpt of the flag)",
                files: NONE,
                links: &[],
                args: &["render", "--set", "agent.image={ANTHROPIC}"],
                stdin: None,
                code: 2,
                shows: &["--set agent.image=<redacted>"],
                hides: &[],
            },
            Case {
                name: "a GitHub token in a ConfigMap setting with a plain name",
                files: &[(
                    "proj/a.yaml",
                    "agent:\n  config:\n    extra:\n      MODEL_HINT: {GITHUB}\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &[
                    "the value of `MODEL_HINT` looks like a credential",
                    "<redacted>",
                ],
                hides: &[],
            },
            Case {
                name: "a key whose name is a real setting name (secretName)",
                files: &[(
                    "proj/a.yaml",
                    "agent:\n  config:\n    extra:\n      secretName: {AWS}\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["(value not shown)"],
                hides: &[],
            },
            Case {
                name: "a credential-named key in the ConfigMap",
                files: &[(
                    "proj/a.yaml",
                    "agent:\n  config:\n    extra:\n      SLACK_BOT_TOKEN: {SLACK}\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["`SLACK_BOT_TOKEN` looks like a credential"],
                hides: &[],
            },
            Case {
                name: "a JWT as a literal environment variable",
                files: &[("proj/a.yaml", "agent:\n  env:\n    UPSTREAM_AUTH: {JWT}\n")],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["looks like a credential"],
                hides: &[],
            },
            Case {
                name: "a PEM private key in a block scalar",
                files: &[(
                    "proj/a.yaml",
                    "agent:\n  config:\n    extra:\n      TLS_MATERIAL: |\n        -----BEGIN RSA PRIVATE KEY-----\n        MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n        -----END RSA PRIVATE KEY-----\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["looks like a credential"],
                hides: &["MIIEowIBAAKCAQEAu1SU1Lf"],
            },
            Case {
                name: "a label value under a credential-like key: the headline too",
                files: &[(
                    "proj/a.yaml",
                    "labels:\n  token: \"not a label value {RANDOM}\"\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["labels.token: `<redacted>` is not a valid label value"],
                hides: &["not a label value"],
            },
            Case {
                name: "a password in a URL",
                files: &[(
                    "proj/a.yaml",
                    "agent:\n  config:\n    extra:\n      DATABASE_URL: postgres://agent:{RANDOM}@db:5432/agent\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["looks like a credential", "postgres://agent:<redacted>@db"],
                hides: &[],
            },
            Case {
                name: "a high-entropy value after `=` in a --set of an unknown key",
                files: NONE,
                links: &[],
                args: &[
                    "render",
                    "--set",
                    "agent.config.extraa.X=Zk3q9LmN2pQ7rS4tV8wY1bC6dF0gH5j",
                ],
                stdin: None,
                code: 2,
                shows: &["unknown key `extraa`", "=<redacted>"],
                hides: &[],
            },
            Case {
                name: "a token in a wrongly typed value",
                files: &[("proj/a.yaml", "agent:\n  replicas:\n    min: {OPENAI}\n")],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["agent.replicas.min"],
                hides: &[],
            },
        ],
    );
}

#[test]
fn terminal_escapes_in_input_are_printed_escaped() {
    gallery(
        "escapes",
        "Control characters and bidi overrides from input are escaped in every message",
        &[
            Case {
                name: "an ANSI escape in a --set value",
                files: NONE,
                links: &[],
                args: &["render", "--set", "namespace=a{ESC}]0;pwned{ESC}[31m"],
                stdin: None,
                code: 2,
                shows: &["\\u{1b}"],
                hides: &[],
            },
            Case {
                name: "a right-to-left override in a --set path",
                files: NONE,
                links: &[],
                args: &["render", "--set", "agent.{RLO}replicas.min=2"],
                stdin: None,
                code: 2,
                shows: &["\\u{202e}"],
                hides: &[],
            },
            Case {
                name: "an escape in a file key",
                files: &[("proj/a.yaml", "agent:\n  \"re\\e[2Jplicas\": 3\n")],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["the control character U+001B", "a.yaml:2:3"],
                hides: &[],
            },
            Case {
                name: "an escape in a profile name",
                files: NONE,
                links: &[],
                args: &["render", "-p", "dev{ESC}[8m"],
                stdin: None,
                code: 2,
                shows: &["unknown profile"],
                hides: &[],
            },
        ],
    );
}

#[test]
fn inputs_that_are_not_regular_files_are_refused_not_waited_on() {
    let dir = support::tempdir();
    let fifo = dir.path().join("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    for args in [
        vec!["render", "-f", "fifo"],
        vec!["render", "--all", "--project", "fifo", "-o", "out"],
        vec!["config", "-f", "fifo"],
    ] {
        let started = std::time::Instant::now();
        let run = agentctl(&args).current_dir(dir.path()).run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not a regular file"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(started.elapsed().as_secs() < 20, "{args:?} waited");
    }
    // A FIFO listed in a project file's overrides.
    support::write(dir.path(), "agentctl.yaml", project!("fifo"));
    let run = agentctl(["render", "--all", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
}

#[test]
fn standard_input_is_read_when_asked_for_with_dash() {
    let dir = support::tempdir();
    let run = agentctl(["render", "-f", "-"])
        .current_dir(dir.path())
        .stdin("namespace: from-stdin\n")
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("name: from-stdin"), "{}", run.stdout);
    // Located as <stdin>.
    let run = agentctl(["render", "-f", "-"])
        .current_dir(dir.path())
        .stdin("namespace: Bad_Name\n")
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("<stdin>:1:12"), "{}", run.stderr);
    // Twice: refused, not silently empty.
    let run = agentctl(["render", "-f", "-", "-f", "-"])
        .current_dir(dir.path())
        .stdin("namespace: x\n")
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("more than once"), "{}", run.stderr);
}

#[test]
fn a_shared_override_file_is_read_once_for_all_environments() {
    let dir = support::tempdir();
    support::write(
        dir.path(),
        "agentctl.yaml",
        "environments:\n  a: {overrides: [base.yaml]}\n  b: {overrides: [./base.yaml]}\n  c: {overrides: [sub/../base.yaml, c.yaml]}\n",
    );
    support::write(dir.path(), "base.yaml", "namespace: shared\n");
    support::write(dir.path(), "c.yaml", "namespace: c-only\n");
    support::write(dir.path(), "sub/keep", "");
    let reads = lib::project_reads(&dir.path().join("agentctl.yaml")).expect("loads");
    let (envs, shared) = &reads["base.yaml"];
    assert_eq!(envs, &["a", "b", "c"]);
    assert!(shared, "each environment read base.yaml on its own");
    assert_eq!(reads["c.yaml"].0, ["c"]);
}

#[test]
fn an_internal_invalid_yaml_error_masks_the_rendered_line() {
    let template = format!("apiVersion: v1\nkind: ConfigMap\ndata: {{a: {ANTHROPIC}, b: [}}\n");
    let shown = lib::render_with_template_shown("configmap.yaml", &template)
        .expect("the broken template is an error");
    assert!(shown.contains("invalid YAML"), "{shown}");
    assert!(!shown.contains(&ANTHROPIC[..16]), "{shown}");
}

/// The detector is held to the corpus of real agent setting names, on both sides of the line.
#[test]
fn the_credential_detector_holds_to_the_corpus_of_setting_names() {
    let corpus = std::fs::read_to_string(support::root().join("tests/corpus/setting-names.txt"))
        .expect("the corpus");
    let mut wrong = Vec::new();
    let mut n = 0;
    for line in corpus.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (side, name) = line.split_once(' ').expect("`secret NAME` or `plain NAME`");
        let want = match side {
            "secret" => true,
            "plain" => false,
            other => panic!("unknown side `{other}` in the corpus"),
        };
        n += 1;
        if lib::is_sensitive(name) != want {
            wrong.push(format!("{side} {name}"));
        }
    }
    assert!(n > 100, "the corpus has {n} names");
    assert!(
        wrong.is_empty(),
        "the detector disagrees with the corpus: {wrong:?}"
    );
}

/// Plain settings whose names sound like credentials render, and are shown as they are.
#[test]
fn token_counts_and_secret_names_are_plain_settings() {
    let dir = support::tempdir();
    support::write(
        dir.path(),
        "a.yaml",
        "agent:\n  config:\n    extra:\n      MAX_TOKENS: \"4096\"\n      MAX_OUTPUT_TOKENS: \"1024\"\n      TOKEN_LIMIT: \"100000\"\n      SECRET_NAME: agent-secrets\n",
    );
    let run = agentctl(["render", "-f", "a.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("MAX_OUTPUT_TOKENS: \"1024\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("SECRET_NAME: agent-secrets"),
        "{}",
        run.stdout
    );
}

#[test]
fn output_kubernetes_would_reject_or_that_weakens_security_is_refused() {
    gallery(
        "rejected-output",
        "Settings Kubernetes would reject, or that silently weaken security: each a located input error",
        &[
            Case {
                name: "a common label that downgrades Pod Security",
                files: &[(
                    "proj/a.yaml",
                    "labels:\n  pod-security.kubernetes.io/enforce: privileged\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &[
                    "a.yaml:2:3",
                    "the label `pod-security.kubernetes.io/enforce` is reserved",
                    "podSecurity",
                ],
                hides: &[],
            },
            Case {
                name: "a common label that breaks every selector",
                files: &[("proj/a.yaml", "labels:\n  app.kubernetes.io/name: other\n")],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &[
                    "a.yaml:2:3",
                    "agentctl sets it, and the selectors depend on it",
                ],
                hides: &[],
            },
            Case {
                name: "labels under Kubernetes' prefixes, on the ServiceMonitor and the ServiceAccount",
                files: &[(
                    "proj/a.yaml",
                    "monitoring:\n  serviceMonitor:\n    labels:\n      node.kubernetes.io/role: x\nagent:\n  serviceAccount:\n    labels:\n      app.kubernetes.io/managed-by: helm\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &[
                    "a.yaml:4:7",
                    "a.yaml:8:7",
                    "reserved for Kubernetes",
                    "agentctl sets it",
                ],
                hides: &[],
            },
            Case {
                name: "the kube-system namespace",
                files: NONE,
                links: &[],
                args: &["render", "--set", "namespace=kube-system"],
                stdin: None,
                code: 2,
                shows: &["a Kubernetes system namespace", "kubectl delete -k"],
                hides: &[],
            },
            Case {
                name: "the default namespace, from a file",
                files: &[("proj/a.yaml", "namespace: default\n")],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["a.yaml:1:12", "Kubernetes' default namespace"],
                hides: &[],
            },
            Case {
                name: "kube-public and kube-node-lease and the kube- prefix",
                files: NONE,
                links: &[],
                args: &["render", "--set", "namespace=kube-node-lease"],
                stdin: None,
                code: 2,
                shows: &["a Kubernetes system namespace"],
                hides: &[],
            },
            Case {
                name: "runAsUser beyond int32",
                files: &[(
                    "proj/a.yaml",
                    "agent:\n  runAsUser: 4294967295\nredis:\n  runAsUser: 2147483648\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["a.yaml:2:14", "a.yaml:4:14", "beyond 2147483647"],
                hides: &[],
            },
            Case {
                name: "an egressExcept outside its egressCidr",
                files: &[(
                    "proj/a.yaml",
                    "networkPolicy:\n  egressCidr: 10.0.0.0/8\n  egressExcept: [192.168.0.0/16]\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["a.yaml:", "it is not inside it"],
                hides: &[],
            },
            Case {
                name: "an egressExcept of the other IP family",
                files: &[(
                    "proj/a.yaml",
                    "networkPolicy:\n  egressExcept: [\"fd00::/8\"]\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &[
                    "networkPolicy.egressExcept.0: `fd00::/8`",
                    "it is of the other IP family",
                ],
                hides: &[],
            },
            Case {
                name: "an egressExcept wider than its egressCidr",
                files: &[(
                    "proj/a.yaml",
                    "networkPolicy:\n  egressCidr: 10.1.0.0/16\n  egressExcept: [10.0.0.0/8]\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["it is not inside it"],
                hides: &[],
            },
            Case {
                name: "Secret key names `.` and `..`",
                files: &[(
                    "proj/a.yaml",
                    "secret:\n  apiKeyKey: \".\"\n  redisPasswordKey: \"..\"\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &[
                    "`.` is not a valid Secret key",
                    "`..` is not a valid Secret key",
                ],
                hides: &[],
            },
            Case {
                name: "a Secret key `..` in an environment variable reference",
                files: &[(
                    "proj/a.yaml",
                    "agent:\n  env:\n    OTHER_TOKEN: {secretKey: \"..\"}\n",
                )],
                links: &[],
                args: &["render", "-f", "a.yaml"],
                stdin: None,
                code: 2,
                shows: &["is not a valid Secret or ConfigMap key"],
                hides: &[],
            },
        ],
    );
}

/// A ConfigMap over 1 MiB (two files of 600 kB each): a located error, not an object the API
/// server rejects.
#[test]
fn a_configmap_over_one_mebibyte_is_a_located_error() {
    let dir = support::tempdir();
    let big = "x".repeat(600 * 1024);
    support::write(
        dir.path(),
        "a.yaml",
        &format!("agent:\n  config:\n    extra:\n      BLOB_A: {big}\n"),
    );
    support::write(
        dir.path(),
        "b.yaml",
        &format!("agent:\n  config:\n    extra:\n      BLOB_B: {big}\n"),
    );
    let run = agentctl(["render", "-f", "a.yaml", "-f", "b.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("over the 1048576 bytes Kubernetes accepts"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(":4:15"), "{}", run.stderr);
    // One of them fits.
    let run = agentctl(["render", "-f", "a.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The plain scalars a YAML 1.1 reader and a YAML 1.2 reader may read differently, and their
/// neighbours that every reader agrees on.
const NUMBER_FORMS: &[&str] = &[
    "0x10", "0X1F", "-0x10", "0o17", "017", "0777", "-017", "00", "089", "+1", "-0", "0", "10",
    "-1", "1_000", ".5", "1.0", "1e3", "1.5e+3", "0b11", ".inf", "-.inf", ".nan", "1:30", "~",
    "null", "NULL", "true", "True", "TRUE", "false", "yes", "no", "on", "off", "y", "n", "\"10\"",
    "'true'", "\"0x10\"",
];

/// The forms of [`NUMBER_FORMS`] that agentctl reads as text, in a file as in `--set`.
const TEXT_FORMS: &[&str] = &[
    "0x10", "0X1F", "-0x10", "0o17", "017", "0777", "-017", "00", "089", "1_000", "1e3", "1.5e+3",
    "0b11", "1:30", "yes", "no", "on", "off", "y", "n",
];

/// What `agentctl config` makes of `setting` = `value`, by an override file or by `--set`:
/// the exit code and either the setting's line of the effective configuration or every line
/// of the message but the location (the `-->` line and the excerpt differ by nature).
fn outcome(setting: &str, value: &str, by_file: bool) -> (i32, Vec<String>) {
    let dir = support::tempdir();
    let run = if by_file {
        let (section, key) = setting.split_once('.').expect("a dotted setting");
        support::write(
            dir.path(),
            "f.yaml",
            &format!("{section}:\n  {key}: {value}\n"),
        );
        agentctl(["config", "-f", "f.yaml"])
            .current_dir(dir.path())
            .run()
    } else {
        agentctl(["config", "--set", &format!("{setting}={value}")])
            .current_dir(dir.path())
            .run()
    };
    let key = setting.rsplit('.').next().expect("a key");
    let lines = if run.code == 0 {
        run.stdout
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map(str::to_owned)
            .collect()
    } else {
        run.stderr
            .lines()
            .filter(|l| {
                // Not the place: the `-->`/`:::` lines and the excerpts (`N | ...`, ` | ...`).
                let t = l.trim_start();
                l.starts_with("error")
                    || t.starts_with("= ")
                    || (l.starts_with("   ") && !t.starts_with(['|', '-', ':']))
            })
            .map(|l| l.trim_start().to_owned())
            .collect()
    };
    (run.code, lines)
}

/// One rule for numbers: every form means the same in an override file and in `--set` (the
/// same value, or the same error with the same advice), for an integer and a boolean setting.
#[test]
fn a_number_means_the_same_in_a_file_and_in_set() {
    let mut disagreements = Vec::new();
    for setting in ["agent.terminationGracePeriodSeconds", "autoscaling.enabled"] {
        for value in NUMBER_FORMS {
            let file = outcome(setting, value, true);
            let set = outcome(setting, value, false);
            assert!(!file.1.is_empty(), "{setting}={value}: no outcome");
            if file != set {
                disagreements.push(format!(
                    "{setting}={value}:\n  file {file:?}\n  --set {set:?}"
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    // The forms YAML readers disagree on are refused for a number, with the number to write.
    for (value, write) in [
        ("0x10", "16"),
        ("017", "17, or 15"),
        ("1e3", "1000"),
        ("1:30", "90"),
    ] {
        let (code, lines) = outcome("agent.terminationGracePeriodSeconds", value, false);
        assert_eq!(code, 2, "{value}");
        let text = lines.join("\n");
        assert!(
            text.contains("not a plain decimal number"),
            "{value}: {text}"
        );
        assert!(
            text.contains(&format!("plain decimal digits: {write}")),
            "{value}: {text}"
        );
    }
}

/// Reads a YAML stream with PyYAML, a YAML 1.1 reader like Kubernetes' own, into JSON.
fn read_as_yaml_1_1(stream: &str) -> serde_json::Value {
    let run = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d], default=str))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(stream.as_bytes())?;
            child.wait_with_output()
        })
        .expect("python3 with PyYAML is needed for this test (a YAML 1.1 reader); install python3-yaml");
    assert!(
        run.status.success(),
        "PyYAML failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).expect("json")
}

/// For a string setting, the text written is the text deployed, by file or `--set`: a YAML 1.1
/// reader (PyYAML, as Kubernetes reads) of the rendered stream sees each value as that string.
#[test]
fn a_string_that_looks_like_a_number_stays_that_string_for_a_yaml_1_1_reader() {
    let dir = support::tempdir();
    let strings: Vec<&str> = NUMBER_FORMS
        .iter()
        .copied()
        .filter(|v| !["~", "null", "NULL"].contains(v) && !v.starts_with(['"', '\'']))
        .collect();
    let mut env = String::from("agent:\n  env:\n");
    let mut extra = String::from("  config:\n    extra:\n");
    let mut sets = vec!["render".to_owned()];
    for (i, v) in strings.iter().enumerate() {
        // Written plain where agentctl reads the form as text (YAML readers disagree on it as
        // a number), quoted where every reader takes it for a number, boolean or null.
        let shown = if TEXT_FORMS.contains(v) {
            (*v).to_owned()
        } else {
            format!("\"{v}\"")
        };
        env.push_str(&format!("    E{i}: {shown}\n"));
        extra.push_str(&format!("      C{i}: {shown}\n"));
        sets.push("--set".into());
        sets.push(format!("agent.env.ES{i}={v}"));
        sets.push("--set".into());
        sets.push(format!("agent.config.extra.CS{i}={v}"));
    }
    support::write(dir.path(), "f.yaml", &format!("{env}{extra}"));
    sets.extend(["-f".into(), "f.yaml".into()]);
    let run = agentctl(&sets).current_dir(dir.path()).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let docs = read_as_yaml_1_1(&run.stdout);
    let docs = docs.as_array().expect("documents");
    let deployment = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "agent-deployment")
        .expect("the agent Deployment");
    let config = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == "agent-config")
        .expect("the agent ConfigMap");
    let env: Vec<&serde_json::Value> =
        deployment["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .expect("env")
            .iter()
            .collect();
    for (i, v) in strings.iter().enumerate() {
        for name in [format!("E{i}"), format!("ES{i}")] {
            let entry = env
                .iter()
                .find(|e| e["name"] == name.as_str())
                .unwrap_or_else(|| panic!("env {name} ({v})"));
            assert_eq!(entry["value"], serde_json::json!(v), "env {name}");
        }
        for name in [format!("C{i}"), format!("CS{i}")] {
            assert_eq!(
                config["data"][&name],
                serde_json::json!(v),
                "ConfigMap {name}"
            );
        }
    }
}

/// Characters `kubectl apply -k` would deliver changed (kustomize writes U+0085, U+2028 and
/// U+2029 raw and reads them back as a line break), and control characters a template would
/// emit raw into YAML (an internal "invalid YAML" error before), are located input errors, in
/// a file, a patch and `--set` alike; nothing is written.
#[test]
fn characters_kustomize_would_change_are_refused() {
    let cases: &[(&str, &str)] = &[
        (
            "agent:\n  env:\n    NOTE: \"a\\Lb\"\n",
            "U+2028 (LINE SEPARATOR)",
        ),
        (
            "agent:\n  config:\n    extra:\n      NOTE: \"a\\Nb\"\n",
            "U+0085 (NEXT LINE)",
        ),
        (
            "labels:\n  team: \"a\\Pb\"\n",
            "U+2029 (PARAGRAPH SEPARATOR)",
        ),
        (
            "agent:\n  env:\n    NOTE: \"a\\u007fb\"\n",
            "the control character U+007F",
        ),
        (
            "agent:\n  env:\n    NOTE: \"a\\u001bb\"\n",
            "the control character U+001B",
        ),
        (
            "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      metadata:\n        annotations: {note: \"a\\Lb\"}\n",
            "U+2028 (LINE SEPARATOR)",
        ),
    ];
    for (file, shows) in cases {
        let dir = support::tempdir();
        support::write(dir.path(), "f.yaml", file);
        let run = agentctl(["render", "-f", "f.yaml", "-o", "out"])
            .current_dir(dir.path())
            .run();
        assert_eq!(run.code, 2, "{file}\n{}", run.stderr);
        assert!(run.stderr.contains(shows), "{file}\n{}", run.stderr);
        assert!(
            run.stderr.contains("f.yaml:"),
            "not located: {}",
            run.stderr
        );
        assert!(
            !dir.path().join("out").exists(),
            "{file}: something was written"
        );
    }
    for (value, shows) in [
        ("a\u{2028}b", "U+2028 (LINE SEPARATOR)"),
        ("a\u{85}b", "U+0085 (NEXT LINE)"),
        ("a\u{7f}b", "the control character U+007F"),
    ] {
        let dir = support::tempdir();
        let run = agentctl(["render", "--set", &format!("agent.env.NOTE={value}")])
            .current_dir(dir.path())
            .run();
        assert_eq!(run.code, 2, "{value:?}\n{}", run.stderr);
        assert!(run.stderr.contains(shows), "{value:?}\n{}", run.stderr);
        assert!(run.stderr.contains("agent.env.NOTE"), "{}", run.stderr);
    }
}
