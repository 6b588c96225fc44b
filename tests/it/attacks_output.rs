//! The attacks gallery of the output directory: data loss and writes outside the target.
//!
//! Each case is a scene (files, symlinks, earlier agentctl runs), one command run against it,
//! and its outcome: the exit code, what stderr must say, and what must hold on disk afterwards
//! (a directory byte for byte unchanged, a file kept, a file or directory gone). Every case of
//! the gallery is pinned in `snapshots/attacks/output.snap` (the command, its exit code, its
//! stderr), so a reviewer reads it as the user would see it. The cases that need more than one
//! command to state (the mid-write I/O error and its recovery, concurrent runs) follow as plain
//! tests. The attacks on what agentctl reads and prints are in `attacks`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Child;

use crate::support::{self, agentctl, tree};

/// A project with two environments, `staging` and `prod`.
const TWO: &str =
    "environments:\n  staging:\n    profiles: [dev]\n  prod:\n    profiles: [high-throughput]\n";
/// The same project without `prod`.
pub(crate) const ONE: &str = "environments:\n  staging:\n    profiles: [dev]\n";

/// Project `a` (one environment) and project `b` (another, dev) of the galleries where two
/// projects share one output root.
pub(crate) const A: &str = "environments:\n  a1: {}\n";
/// See [`A`].
pub(crate) const B: &str = "environments:\n  b1:\n    profiles: [dev]\n";
/// Both projects written and rendered `--all` into `deploy/`, a before b.
pub(crate) const TWO_PROJECTS_RENDERED: &[Step] = &[
    Step::Write("a.yaml", A),
    Step::Write("b.yaml", B),
    Step::Run(&[
        "render",
        "--all",
        "-q",
        "--project",
        "a.yaml",
        "-o",
        "deploy",
    ]),
    Step::Run(&[
        "render",
        "--all",
        "-q",
        "--project",
        "b.yaml",
        "-o",
        "deploy",
    ]),
];

/// One step of a scene.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    /// Write a file (parents created).
    Write(&'static str, &'static str),
    /// Create a directory (and its parents).
    Mkdir(&'static str),
    /// A symlink at the first path to the second.
    Link(&'static str, &'static str),
    /// Copy a directory tree (a backup copy).
    Copy(&'static str, &'static str),
    /// Remove a directory tree or file.
    Remove(&'static str),
    /// Rewrite every file under a directory with CRLF line ends; the first also gets a BOM.
    Crlf(&'static str),
    /// Run agentctl (must succeed).
    Run(&'static [&'static str]),
    /// Hold the lock on a directory (`flock(1)`) until the attack is over.
    Hold(&'static str),
    /// A FIFO (`mkfifo(1)`): opening it for reading would block forever.
    Fifo(&'static str),
}

/// What must hold after the attack.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Holds {
    /// This path (file or tree) is byte for byte what it was before the attack.
    Same(&'static str),
    /// This path does not exist.
    Absent(&'static str),
    /// This path exists.
    Present(&'static str),
    /// No agentctl temporary file anywhere under the scratch directory.
    NoTempFiles,
}

/// One attack.
pub(crate) struct Attack {
    pub(crate) name: &'static str,
    pub(crate) scene: &'static [Step],
    pub(crate) args: &'static [&'static str],
    pub(crate) env: &'static [(&'static str, &'static str)],
    pub(crate) code: i32,
    /// Stderr contains each of these.
    pub(crate) shows: &'static [&'static str],
    pub(crate) holds: &'static [Holds],
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// What a path is now: every entry below it (a directory) or itself, each as its bytes (a
/// regular file), its target (a symlink), `<dir>`, or `<special>` (never opened: a FIFO
/// would block); `None` if it does not exist.
fn state(path: &Path) -> Option<BTreeMap<PathBuf, Vec<u8>>> {
    fn one(path: &Path, rel: PathBuf, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let meta = std::fs::symlink_metadata(path).expect("metadata");
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = std::fs::read_link(path).expect("link");
            out.insert(rel, target.to_string_lossy().as_bytes().to_vec());
        } else if kind.is_dir() {
            out.insert(rel.clone(), b"<dir>".to_vec());
            for entry in std::fs::read_dir(path).expect("list") {
                let entry = entry.expect("entry");
                one(&entry.path(), rel.join(entry.file_name()), out);
            }
        } else if kind.is_file() {
            out.insert(rel, std::fs::read(path).expect("read"));
        } else {
            out.insert(rel, b"<special>".to_vec());
        }
    }
    std::fs::symlink_metadata(path).ok()?;
    let mut out = BTreeMap::new();
    one(path, PathBuf::new(), &mut out);
    Some(out)
}

/// Holds the lock on `dir` in another process until killed; returns once it is held.
fn hold(dir: &Path) -> Child {
    let mut child = std::process::Command::new("flock")
        .arg(dir)
        .args(["sleep", "30"])
        .spawn()
        .expect("flock(1) runs");
    for _ in 0..200 {
        let free = std::process::Command::new("flock")
            .args(["-n"])
            .arg(dir)
            .arg("true")
            .status()
            .expect("flock -n");
        if !free.success() {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("flock never took the lock on {}", dir.display());
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    tree(dir)
        .into_keys()
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with(".agentctl-") && n.ends_with(".tmp")
            })
        })
        .collect()
}

pub(crate) fn run_gallery(name: &str, description: &str, attacks: &[Attack]) {
    let mut pinned = String::new();
    for a in attacks {
        let scratch = support::tempdir();
        let root = scratch.path();
        let mut held = Vec::new();
        for step in a.scene {
            match *step {
                Step::Write(path, text) => support::write(root, path, text),
                Step::Mkdir(path) => std::fs::create_dir_all(root.join(path)).expect("mkdir"),
                Step::Link(path, target) => {
                    let at = root.join(path);
                    std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
                    std::os::unix::fs::symlink(target, at).expect("symlink");
                }
                Step::Copy(from, to) => copy_tree(&root.join(from), &root.join(to)),
                Step::Remove(path) => {
                    let p = root.join(path);
                    if std::fs::symlink_metadata(&p).expect("exists").is_dir() {
                        std::fs::remove_dir_all(p).expect("rm -r");
                    } else {
                        std::fs::remove_file(p).expect("rm");
                    }
                }
                Step::Crlf(dir) => {
                    for (i, (rel, bytes)) in tree(&root.join(dir)).into_iter().enumerate() {
                        if bytes == b"<dir>" {
                            continue;
                        }
                        let text = String::from_utf8(bytes).expect("utf-8");
                        let bom = if i == 0 { "\u{feff}" } else { "" };
                        let crlf = format!("{bom}{}", text.replace('\n', "\r\n"));
                        std::fs::write(root.join(dir).join(rel), crlf).expect("write");
                    }
                }
                Step::Run(args) => {
                    let r = agentctl(args).current_dir(root).run();
                    assert_eq!(r.code, 0, "{}: scene step {args:?}\n{}", a.name, r.stderr);
                }
                Step::Hold(dir) => held.push(hold(&root.join(dir))),
                Step::Fifo(path) => {
                    let at = root.join(path);
                    std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
                    let ok = std::process::Command::new("mkfifo")
                        .arg(&at)
                        .status()
                        .expect("mkfifo runs");
                    assert!(ok.success(), "mkfifo {}", at.display());
                }
            }
        }
        let before: Vec<_> = a
            .holds
            .iter()
            .map(|h| match h {
                Holds::Same(p) => state(&root.join(p)),
                _ => None,
            })
            .collect();
        let mut cmd = agentctl(a.args).current_dir(root);
        for (k, v) in a.env {
            cmd = cmd.env(k, v);
        }
        let run = cmd.run();
        for mut child in held {
            let _ = child.kill();
            let _ = child.wait();
        }
        let shown = &run.stderr;
        assert_eq!(run.code, a.code, "{}: exit code\n{shown}", a.name);
        assert!(!shown.contains("panicked"), "{}: {shown}", a.name);
        for s in a.shows {
            assert!(shown.contains(s), "{}: stderr lacks {s:?}\n{shown}", a.name);
        }
        for (h, before) in a.holds.iter().zip(before) {
            match h {
                Holds::Same(p) => {
                    assert!(before == state(&root.join(p)), "{}: {p} changed", a.name)
                }
                Holds::Absent(p) => assert!(
                    std::fs::symlink_metadata(root.join(p)).is_err(),
                    "{}: {p} is still there",
                    a.name
                ),
                Holds::Present(p) => assert!(
                    std::fs::symlink_metadata(root.join(p)).is_ok(),
                    "{}: {p} is gone",
                    a.name
                ),
                Holds::NoTempFiles => {
                    let left = temp_files(root);
                    assert!(left.is_empty(), "{}: temporary files {left:?}", a.name);
                }
            }
        }
        let holds: Vec<String> = a.holds.iter().map(|h| format!("{h:?}")).collect();
        let shown = run.transcript().with_command_as(a.args).brief();
        pinned.push_str(&format!(
            "## {}\n{}holds: {}\n\n",
            a.name,
            shown.text(),
            holds.join(", ")
        ));
    }
    support::snapshot("attacks", name, description, &pinned);
}

#[test]
fn data_loss_gallery() {
    use Holds::*;
    use Step::*;
    let render_all: &[&str] = &["render", "--all", "-q", "-o", "deploy"];
    let _ = render_all;
    run_gallery(
        "output",
        "Attacks on the output directory: what may be deleted, where it may write, symlinks, locks, leftovers, foreign Kustomize files",
        &[
            // ---- What `render --all` may delete comes from its own record, never a scan.
            Attack {
                name: "another render's output under the root is never deleted",
                scene: &[
                    Write("agentctl.yaml", TWO),
                    Run(&["render", "-q", "-o", "deploy/other"]),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Write("agentctl.yaml", ONE),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 0,
                shows: &["removed deploy/prod: 15 generated files"],
                holds: &[
                    Same("deploy/other"),
                    Absent("deploy/prod"),
                    Present("deploy/staging"),
                ],
            },
            Attack {
                name: "the issue's example: another project's files beside the project root",
                scene: &[
                    Run(&["render", "-q", "-o", "projects/other/out"]),
                    Write("agentctl.yaml", TWO),
                    Write("sub/agentctl.yaml", TWO),
                ],
                args: &[
                    "render",
                    "--all",
                    "--project",
                    "sub/agentctl.yaml",
                    "-q",
                    "-o",
                    ".",
                ],
                env: &[],
                code: 2,
                shows: &["refusing to write into the current directory `.`"],
                holds: &[Same("projects"), Absent("staging"), Absent("prod")],
            },
            Attack {
                name: "a backup copy of an environment, and a backup file inside one, are never deleted",
                scene: &[
                    Write("agentctl.yaml", TWO),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Copy("deploy/prod", "deploy/prod.bak"),
                    Copy("deploy/staging", "deploy/staging-old"),
                    Write(
                        "deploy/staging/deployment-old.yaml",
                        "# Generated by agentctl. Do not edit: change the inputs and run `agentctl render` again.\nkind: Deployment\n",
                    ),
                    Write("agentctl.yaml", ONE),
                ],
                args: &["render", "--all", "-q", "-o", "deploy"],
                env: &[],
                code: 0,
                shows: &[],
                holds: &[
                    Same("deploy/prod.bak"),
                    Same("deploy/staging-old"),
                    Same("deploy/staging/deployment-old.yaml"),
                    Absent("deploy/prod"),
                ],
            },
            Attack {
                name: "an environment removed at any depth is cleaned up, empty parents too",
                scene: &[
                    Write(
                        "agentctl.yaml",
                        "environments:\n  staging:\n    profiles: [dev]\n  deep:\n    output: r/e/g/i/o/n\n",
                    ),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Write("deploy/r/e/NOTES.md", "the user's own file\n"),
                    Write("agentctl.yaml", ONE),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 0,
                shows: &["removed deploy/r/e/g/i/o/n: "],
                holds: &[Absent("deploy/r/e/g"), Same("deploy/r/e/NOTES.md")],
            },
            Attack {
                name: "a second project cannot take over a directory the first one owns",
                scene: &[
                    Write("a.yaml", "environments:\n  prod: {}\n"),
                    Write("b.yaml", "environments:\n  prod:\n    profiles: [dev]\n"),
                    Run(&[
                        "render",
                        "--all",
                        "-q",
                        "--project",
                        "a.yaml",
                        "-o",
                        "deploy",
                    ]),
                ],
                args: &["render", "--all", "--project", "b.yaml", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "environment `prod` of b.yaml: deploy/prod overlaps `prod`, which deploy/.agentctl-state.json records as the output of another project, a.yaml; one directory has one owner: give `prod` an `output:` in b.yaml that is neither `prod` nor inside it nor around it (e.g. `output: prod-b`)",
                    "nothing was written to any environment",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "two projects share a root; one's cleanup never touches the other's",
                scene: &[
                    Write("a.yaml", "environments:\n  a1: {}\n"),
                    Write("b.yaml", "environments:\n  b1:\n    profiles: [dev]\n"),
                    Run(&[
                        "render",
                        "--all",
                        "-q",
                        "--project",
                        "a.yaml",
                        "-o",
                        "deploy",
                    ]),
                    Run(&[
                        "render",
                        "--all",
                        "-q",
                        "--project",
                        "b.yaml",
                        "-o",
                        "deploy",
                    ]),
                    Write("a.yaml", "environments:\n  a2: {}\n"),
                ],
                args: &[
                    "render",
                    "--all",
                    "-q",
                    "--project",
                    "a.yaml",
                    "-o",
                    "deploy",
                ],
                env: &[],
                code: 0,
                shows: &[],
                holds: &[Same("deploy/b1"), Absent("deploy/a1"), Present("deploy/a2")],
            },
            Attack {
                name: "a tampered record pointing outside the root is refused",
                scene: &[
                    Write("agentctl.yaml", ONE),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Copy("deploy/staging", "victim"),
                    Write(
                        "deploy/.agentctl-state.json",
                        r#"{"generator": "agentctl", "version": 1, "projects": {"../agentctl.yaml": ["staging", "../victim"]}}"#,
                    ),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "is not a state file agentctl can trust: the entry \"../victim\" is not a plain relative path below the root",
                ],
                holds: &[Same("victim"), Same("deploy")],
            },
            Attack {
                name: "a record that is a symlink is refused",
                scene: &[
                    Write("agentctl.yaml", ONE),
                    Write(
                        "elsewhere.json",
                        r#"{"generator": "agentctl", "version": 1, "projects": {}}"#,
                    ),
                    Mkdir("deploy"),
                    Link("deploy/.agentctl-state.json", "../elsewhere.json"),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &["it is a symlink or not a regular file"],
                holds: &[Same("deploy"), Same("elsewhere.json")],
            },
            // ---- Dangerous directories, decided on the resolved path, for every write root.
            Attack {
                name: "a path through a missing directory into a git repository root",
                scene: &[Mkdir("repo/.git"), Write("repo/README.md", "# project\n")],
                args: &["render", "-o", "repo/nothere/.."],
                env: &[],
                code: 2,
                shows: &[
                    "refusing to write into `repo/nothere/..`: it is a repository root (it has `.git`)",
                ],
                holds: &[Same("repo")],
            },
            Attack {
                name: "a Mercurial repository root",
                scene: &[Mkdir("repo/.hg")],
                args: &["render", "-o", "repo"],
                env: &[],
                code: 2,
                shows: &["it is a repository root (it has `.hg`)"],
                holds: &[Same("repo")],
            },
            Attack {
                name: "a Jujutsu repository root, reached through `..`",
                scene: &[Mkdir("repo/.jj"), Mkdir("repo/sub")],
                args: &["render", "-o", "repo/sub/.."],
                env: &[],
                code: 2,
                shows: &["it is a repository root (it has `.jj`)"],
                holds: &[Same("repo")],
            },
            Attack {
                name: "a Subversion working copy root as the project root",
                scene: &[Mkdir("wc/.svn"), Write("agentctl.yaml", ONE)],
                args: &["render", "--all", "-o", "wc/x/.."],
                env: &[],
                code: 2,
                shows: &["it is a repository root (it has `.svn`)"],
                holds: &[Same("wc")],
            },
            Attack {
                name: "an environment directory that is a repository root (a worktree's `.git` file)",
                scene: &[
                    Write("agentctl.yaml", TWO),
                    Write("deploy/prod/.git", "gitdir: /elsewhere\n"),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "environment `prod`: refusing to write into `deploy/prod`: it is a repository root (it has `.git`)",
                ],
                holds: &[Same("deploy"), Absent("deploy/staging")],
            },
            Attack {
                name: "into a repository's `.git` directory",
                scene: &[Mkdir("repo/.git/refs")],
                args: &["render", "-o", "repo/.git/deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "refusing to write into `repo/.git/deploy`: it is inside a `.git` directory, a repository's version control metadata",
                ],
                holds: &[Same("repo")],
            },
            Attack {
                name: "a missing `.bzr` spelled in capitals",
                scene: &[],
                args: &["render", "-o", "x/.BZR"],
                env: &[],
                code: 2,
                shows: &["it is inside a `.bzr` directory"],
                holds: &[Absent("x")],
            },
            Attack {
                name: "a symlink into a `.hg` directory",
                scene: &[Mkdir("wc/.hg"), Link("hg", "wc/.hg")],
                args: &["render", "-o", "hg"],
                env: &[],
                code: 2,
                shows: &["it is inside a `.hg` directory"],
                holds: &[Same("wc")],
            },
            Attack {
                name: "the current directory through a missing path",
                scene: &[],
                args: &["render", "-o", "nothere/.."],
                env: &[],
                code: 2,
                shows: &["refusing to write into the current directory `nothere/..`"],
                holds: &[Absent("nothere")],
            },
            Attack {
                name: "a directory containing the home directory",
                scene: &[Mkdir("users/me")],
                args: &["render", "-o", "users"],
                env: &[("HOME", "users/me")],
                code: 2,
                shows: &["it is your home directory or contains it"],
                holds: &[Same("users")],
            },
            // ---- Symlinks under the root are never followed.
            Attack {
                name: "an environment's output through a symlinked directory",
                scene: &[
                    Write(
                        "agentctl.yaml",
                        "environments:\n  prod:\n    output: link/prod\n",
                    ),
                    Mkdir("elsewhere"),
                    Link("deploy/link", "../elsewhere"),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "deploy/link is a symlink; agentctl never follows a symlink under the output directory",
                ],
                holds: &[Same("elsewhere"), Same("deploy")],
            },
            Attack {
                name: "two environments colliding through a symlink",
                scene: &[
                    Write("agentctl.yaml", "environments:\n  a: {}\n"),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Write(
                        "agentctl.yaml",
                        "environments:\n  a: {}\n  b:\n    profiles: [dev]\n",
                    ),
                    Link("deploy/b", "a"),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "environment `b`: refusing to write; nothing was changed:\n  deploy/b is a symlink",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "an environment directory swapped for a symlink to someone else's files",
                scene: &[
                    Write("agentctl.yaml", TWO),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Copy("deploy/prod", "victim"),
                    Remove("deploy/prod"),
                    Link("deploy/prod", "../victim"),
                ],
                args: &[
                    "render",
                    "--all",
                    "--set",
                    "agent.port=9000",
                    "-o",
                    "deploy",
                ],
                env: &[],
                code: 2,
                shows: &["deploy/prod is a symlink"],
                holds: &[Same("victim"), Same("deploy")],
            },
            Attack {
                name: "a removed environment's directory swapped for a symlink is not cleaned through it",
                scene: &[
                    Write("agentctl.yaml", TWO),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Copy("deploy/prod", "victim"),
                    Remove("deploy/prod"),
                    Link("deploy/prod", "../victim"),
                    Write("agentctl.yaml", ONE),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "no longer in the project: refusing to write; nothing was changed:\n  deploy/prod is a symlink",
                ],
                holds: &[Same("victim"), Same("deploy")],
            },
            // ---- One run owns the root; a waiting run says whom it waits for, and gives up.
            Attack {
                name: "a held root makes `render --all` wait, name the holder, and give up",
                scene: &[
                    Write("agentctl.yaml", ONE),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Write(
                        "deploy/.agentctl.lock",
                        "pid 4242: agentctl render --all -o deploy\n",
                    ),
                    Hold("deploy"),
                ],
                args: &[
                    "render",
                    "--all",
                    "--set",
                    "agent.port=9000",
                    "--lock-timeout",
                    "1",
                    "-o",
                    "deploy",
                ],
                env: &[],
                code: 2,
                shows: &[
                    "waiting for pid 4242: agentctl render --all -o deploy, which holds the lock on deploy",
                    "gave up after 1s waiting for pid 4242",
                ],
                holds: &[Same("deploy/staging")],
            },
            Attack {
                name: "a held environment directory makes a single render give up (timeout from the environment)",
                scene: &[Run(&["render", "-q", "-o", "out"]), Hold("out")],
                args: &["render", "--set", "agent.port=9000", "-o", "out"],
                env: &[("AGENTCTL_LOCK_TIMEOUT", "1")],
                code: 2,
                shows: &["gave up after 1s waiting for another agentctl run"],
                holds: &[Same("out")],
            },
            Attack {
                name: "`diff` waits for a writer too (it never reads a half-written directory)",
                scene: &[
                    Write("agentctl.yaml", ONE),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Hold("deploy"),
                ],
                args: &["diff", "--all", "--lock-timeout", "1", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &["gave up after 1s"],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "the holder's note is shown escaped (no terminal escape reaches the terminal)",
                scene: &[
                    Run(&["render", "-q", "-o", "out"]),
                    Write(
                        "out/.agentctl.lock",
                        "pid 1: \u{1b}]0;pwned\u{7}\u{1b}[2J agentctl\n",
                    ),
                    Hold("out"),
                ],
                args: &["render", "--lock-timeout", "1", "-o", "out"],
                env: &[],
                code: 2,
                shows: &["waiting for pid 1: \\u{1b}]0;pwned\\u{7}\\u{1b}[2J agentctl"],
                holds: &[Same("out")],
            },
            Attack {
                name: "a symlink planted as the lock note is left as it is, never written through (no note written)",
                scene: &[
                    Run(&["render", "-q", "-o", "out"]),
                    Write("victim.txt", "precious\n"),
                    Link("out/.agentctl.lock", "../victim.txt"),
                ],
                args: &["render", "-q", "--set", "agent.port=9000", "-o", "out"],
                env: &[],
                code: 0,
                shows: &[],
                holds: &[Same("victim.txt"), Same("out/.agentctl.lock")],
            },
            // ---- Special files: refused without being opened (a FIFO would hang the run).
            Attack {
                name: "a FIFO where a generated file goes is refused, not opened",
                scene: &[Fifo("out/deployment.yaml")],
                args: &["render", "-o", "out"],
                env: &[],
                code: 2,
                shows: &["out/deployment.yaml exists and is not a regular file"],
                holds: &[Same("out")],
            },
            Attack {
                name: "a FIFO as the project's record is refused, not opened",
                scene: &[
                    Write("agentctl.yaml", ONE),
                    Fifo("deploy/.agentctl-state.json"),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &["it is a symlink or not a regular file"],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "a FIFO on an environment's output path is refused",
                scene: &[
                    Write("agentctl.yaml", "environments:\n  prod:\n    output: a/b\n"),
                    Fifo("deploy/a"),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &["deploy/a exists and is not a directory"],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "`-o` naming a FIFO is refused",
                scene: &[Fifo("out")],
                args: &["render", "-o", "out"],
                env: &[],
                code: 2,
                shows: &["output path `out` is an existing file, not a directory"],
                holds: &[Same("out")],
            },
            // ---- Leftovers of killed runs.
            Attack {
                name: "temporary files of a killed run are removed, nothing else",
                scene: &[
                    Write("agentctl.yaml", ONE),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                    Write(
                        "deploy/staging/.agentctl-999-000000001-0.tmp",
                        "half a file",
                    ),
                    Write("deploy/.agentctl-999-000000002-0.tmp", "{"),
                    Write("deploy/staging/.agentctl-notes.txt", "mine\n"),
                    Mkdir("deploy/staging/.agentctl-dir.tmp"),
                ],
                args: &["render", "--all", "-q", "-o", "deploy"],
                env: &[],
                code: 0,
                shows: &[],
                holds: &[
                    Absent("deploy/staging/.agentctl-999-000000001-0.tmp"),
                    Absent("deploy/.agentctl-999-000000002-0.tmp"),
                    Same("deploy/staging/.agentctl-notes.txt"),
                    Present("deploy/staging/.agentctl-dir.tmp"),
                ],
            },
            // ---- Foreign Kustomize files; our own files through CRLF and a BOM.
            Attack {
                name: "a second kustomization file beside ours is refused, even with --force",
                scene: &[
                    Run(&["render", "-q", "-o", "out"]),
                    Write("out/kustomization.yml", "resources: [mine.yaml]\n"),
                ],
                args: &["render", "--force", "--set", "agent.port=9000", "-o", "out"],
                env: &[],
                code: 2,
                shows: &[
                    "out/kustomization.yml sits beside agentctl's kustomization.yaml (kubectl refuses a directory with two kustomization files)",
                ],
                holds: &[Same("out")],
            },
            Attack {
                name: "a `Kustomization` file in an environment's directory refuses every environment",
                scene: &[
                    Write("agentctl.yaml", TWO),
                    Write("deploy/prod/Kustomization", "resources: []\n"),
                ],
                args: &["render", "--all", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "environment `prod`",
                    "deploy/prod/Kustomization sits beside",
                ],
                holds: &[Same("deploy"), Absent("deploy/staging")],
            },
            Attack {
                name: "a checkout with CRLF line ends and a BOM is ours and up to date",
                scene: &[Run(&["render", "-q", "-o", "out"]), Crlf("out")],
                args: &["render", "-o", "out"],
                env: &[],
                code: 0,
                shows: &["0 created, 0 updated, 15 unchanged, 0 removed"],
                holds: &[Same("out")],
            },
            Attack {
                name: "a CRLF checkout is no drift for `diff`",
                scene: &[Run(&["render", "-q", "-o", "out"]), Crlf("out")],
                args: &["diff", "-o", "out"],
                env: &[],
                code: 0,
                shows: &["out is up to date (15 files)"],
                holds: &[Same("out")],
            },
            Attack {
                name: "a CRLF checkout is updated like any generated file, not refused as foreign",
                scene: &[Run(&["render", "-q", "-o", "out"]), Crlf("out")],
                args: &["render", "--set", "agent.port=9000", "-o", "out"],
                env: &[],
                code: 0,
                shows: &["0 created, 3 updated"],
                holds: &[NoTempFiles],
            },
            // ---- I/O errors: before the first rename nothing changes; after it, exit 4.
            Attack {
                name: "an I/O error while staging changes nothing and leaves nothing behind",
                scene: &[
                    Write("agentctl.yaml", ONE),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                ],
                args: &[
                    "render",
                    "--all",
                    "--set",
                    "agent.port=9000",
                    "-o",
                    "deploy",
                ],
                env: &[("AGENTCTL_TEST_FAULT", "stage:2")],
                code: 2,
                shows: &["nothing was changed"],
                holds: &[Same("deploy"), NoTempFiles],
            },
            Attack {
                name: "an I/O error while staging a new environment removes the directories it created",
                scene: &[Write("agentctl.yaml", TWO)],
                args: &["render", "--all", "-o", "deploy/x/y"],
                env: &[("AGENTCTL_TEST_FAULT", "stage:20")],
                code: 2,
                shows: &["nothing was changed"],
                holds: &[Absent("deploy"), NoTempFiles],
            },
            Attack {
                name: "an I/O error after the first rename: exit 4 and the exact list of what changed",
                scene: &[
                    Write("agentctl.yaml", ONE),
                    Run(&["render", "--all", "-q", "-o", "deploy"]),
                ],
                args: &[
                    "render",
                    "--all",
                    "--set",
                    "agent.port=9000",
                    "-o",
                    "deploy",
                ],
                env: &[("AGENTCTL_TEST_FAULT", "rename:2")],
                code: 4,
                shows: &[
                    "the output is partly written",
                    "changed before the error:\n    updated deploy/staging/service.yaml\n  not changed (still the old content):\n    deploy/staging/deployment.yaml",
                ],
                holds: &[NoTempFiles],
            },
        ],
    );
}

/// The mid-write exit path in full: every file is old or new, the message lists exactly the
/// new ones, and running the same command again completes the write.
#[test]
fn a_mid_write_io_error_leaves_every_file_old_or_new_and_a_rerun_completes() {
    let scratch = support::tempdir();
    let root = scratch.path();
    support::write(root, "agentctl.yaml", TWO);
    let run = |args: &[&str], fault: Option<&str>| {
        let mut cmd = agentctl(args).current_dir(root);
        if let Some(f) = fault {
            cmd = cmd.env("AGENTCTL_TEST_FAULT", f);
        }
        cmd.run()
    };
    assert_eq!(run(&["render", "--all", "-q", "-o", "old"], None).code, 0);
    let new_args = ["render", "--all", "-q", "--set", "agent.port=9000", "-o"];
    let mut fresh = new_args.to_vec();
    fresh.push("new");
    assert_eq!(run(&fresh, None).code, 0);
    let old = tree(&root.join("old"));
    let new = tree(&root.join("new"));

    for n in [1, 3, 5] {
        let work = root.join(format!("work{n}"));
        copy_tree(&root.join("old"), &work);
        let dir = format!("work{n}");
        let mut args = new_args.to_vec();
        args.push(&dir);
        let r = run(&args, Some(&format!("rename:{n}")));
        assert_eq!(r.code, 4, "{}", r.stderr);
        let now = tree(&work);
        let mut listed = Vec::new();
        for (path, bytes) in &now {
            let name = path.to_string_lossy();
            if name.ends_with(".json") || bytes == b"<dir>" {
                continue;
            }
            let was_old = old.get(path) == Some(bytes);
            let is_new = new.get(path) == Some(bytes);
            assert!(was_old || is_new, "{name} is neither old nor new (torn)");
            if !was_old {
                listed.push(name.to_string());
                assert!(
                    r.stderr.contains(&format!("updated {dir}/{name}"))
                        || r.stderr.contains(&format!("created {dir}/{name}")),
                    "{name} changed but is not listed:\n{}",
                    r.stderr
                );
            }
        }
        assert_eq!(listed.len(), n - 1, "{}", r.stderr);
        assert!(temp_files(&work).is_empty());
        // Running it again completes the write: the same bytes as a fresh render.
        let again = run(&args, None);
        assert_eq!(again.code, 0, "{}", again.stderr);
        let done = tree(&work);
        assert_eq!(
            done.keys().collect::<Vec<_>>(),
            new.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in &new {
            if !path.to_string_lossy().ends_with(".json") {
                assert_eq!(done.get(path), Some(bytes), "{}", path.display());
            }
        }
    }
}

/// Two `render --all` runs into one root never interleave environment by environment: the
/// root is always entirely one render or the other.
#[test]
fn concurrent_render_all_runs_never_mix() {
    let scratch = support::tempdir();
    let root = scratch.path();
    support::write(root, "agentctl.yaml", TWO);
    let a: &[&str] = &["render", "--all", "-q", "-o", "deploy"];
    let b: &[&str] = &[
        "render",
        "--all",
        "-q",
        "--set",
        "agent.port=9000",
        "-o",
        "deploy",
    ];
    let reference = |args: &[&str], name: &str| {
        let dir = root.join(name);
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::copy(root.join("agentctl.yaml"), dir.join("agentctl.yaml")).expect("copy");
        let r = agentctl(args).current_dir(&dir).run();
        assert_eq!(r.code, 0, "{}", r.stderr);
        tree(&dir.join("deploy"))
    };
    let ref_a = reference(a, "ref-a");
    let ref_b = reference(b, "ref-b");
    assert_ne!(ref_a, ref_b);
    for i in 0..12 {
        let (first, second) = if i % 2 == 0 { (a, b) } else { (b, a) };
        let spawn = |args: &[&str]| agentctl(args).current_dir(root).spawn();
        let mut p1 = spawn(first);
        let mut p2 = spawn(second);
        assert!(p1.wait().expect("wait").success(), "iteration {i}");
        assert!(p2.wait().expect("wait").success(), "iteration {i}");
        let now = tree(&root.join("deploy"));
        assert!(
            now == ref_a || now == ref_b,
            "iteration {i}: the root is a mix of both renders"
        );
    }
}
