//! The attacks gallery of the project record (`.agentctl-state.json`) and the owner marker
//! (`.agentctl-owner`) in each directory a project writes: the record is committed, so a pull
//! request can forge it, and a forged or foreign record must never delete or overwrite output.
//! Each case is run as `attacks_output`'s are (a scene, one command, its exit code, what stderr
//! says, what holds on disk), pinned in `snapshots/attacks/state.snap`.

use crate::attacks_output::{Attack, Holds, ONE, Step, TWO_PROJECTS_RENDERED, run_gallery};

/// A record naming `projects` (the JSON object's text).
fn record(projects: &str) -> &'static str {
    leak(format!(
        r#"{{"generator": "agentctl", "version": 1, "projects": {projects}}}"#
    ))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn forged_record_gallery() {
    use Holds::*;
    use Step::*;
    const STATE: &str = "deploy/.agentctl-state.json";
    let both = TWO_PROJECTS_RENDERED;
    let one: &'static [Step] = &[
        Write("agentctl.yaml", ONE),
        Run(&["render", "--all", "-q", "-o", "deploy"]),
    ];
    let with = |base: &'static [Step], more: Vec<Step>| -> &'static [Step] {
        Box::leak([base.to_vec(), more].concat().into_boxed_slice())
    };
    let render_a: &[&str] = &["render", "--all", "--project", "a.yaml", "-o", "deploy"];
    let render_all: &[&str] = &["render", "--all", "-o", "deploy"];
    let long_entry = "abcd/".repeat(1000) + "e";
    let long_name = "n".repeat(300);
    let many: Vec<String> = (0..10_001).map(|i| format!("\"e{i}\"")).collect();
    run_gallery(
        "state",
        "Attacks through the project record and the owner markers: forged entries, two owners, duplicate keys, over-long names",
        &[
            // ---- An entry alone never deletes: the directory's marker must name the project
            // ---- and the directory.
            Attack {
                name: "a forged entry naming another project's environment deletes nothing",
                scene: with(
                    both,
                    vec![Write(STATE, record(r#"{"../a.yaml": ["a1", "b1"]}"#))],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[
                    "warning: left deploy/b1 alone, though deploy/.agentctl-state.json records it for this project: deploy/b1/.agentctl-owner names another project, ../b.yaml",
                ],
                holds: &[Same("deploy/b1"), Present("deploy/a1/kustomization.yaml")],
            },
            Attack {
                name: "a forged entry naming a single render's output deletes nothing",
                scene: with(
                    one,
                    vec![
                        Run(&["render", "-q", "-o", "deploy/single"]),
                        Write(
                            STATE,
                            record(r#"{"../agentctl.yaml": ["staging", "single"]}"#),
                        ),
                    ],
                ),
                args: render_all,
                env: &[],
                code: 0,
                shows: &["left deploy/single alone", "it has no .agentctl-owner"],
                holds: &[
                    Same("deploy/single"),
                    Present("deploy/staging/kustomization.yaml"),
                ],
            },
            Attack {
                name: "a forged entry naming a copy of the project's own directory deletes nothing",
                scene: with(
                    one,
                    vec![
                        Copy("deploy/staging", "deploy/backup"),
                        Write(
                            STATE,
                            record(r#"{"../agentctl.yaml": ["staging", "backup"]}"#),
                        ),
                    ],
                ),
                args: render_all,
                env: &[],
                code: 0,
                shows: &["deploy/backup/.agentctl-owner names another directory (a copy)"],
                holds: &[Same("deploy/backup")],
            },
            Attack {
                name: "a forged entry and a forged marker still delete only generated files",
                scene: with(
                    one,
                    vec![
                        Write(
                            "deploy/notes/deployment.yaml",
                            "# mine, not generated\nkind: Deployment\n",
                        ),
                        Write(
                            "deploy/notes/.agentctl-owner",
                            r#"{"generator":"agentctl","project":"../agentctl.yaml","dir":"notes"}"#,
                        ),
                        Write(
                            STATE,
                            record(r#"{"../agentctl.yaml": ["staging", "notes"]}"#),
                        ),
                    ],
                ),
                args: render_all,
                env: &[],
                code: 0,
                shows: &["removed deploy/notes: 0 generated files"],
                holds: &[
                    Same("deploy/notes/deployment.yaml"),
                    Present("deploy/staging/kustomization.yaml"),
                ],
            },
            Attack {
                name: "a marker of another project in a deleted environment's place is left alone",
                scene: with(
                    both,
                    vec![
                        Write("a.yaml", "environments:\n  a2: {}\n"),
                        Write(
                            "deploy/a1/.agentctl-owner",
                            r#"{"generator":"agentctl","project":"../b.yaml","dir":"a1"}"#,
                        ),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &["left deploy/a1 alone", "names another project, ../b.yaml"],
                holds: &[Same("deploy/a1"), Same("deploy/b1"), Present("deploy/a2")],
            },
            // ---- Two projects, one directory.
            Attack {
                name: "a record where two projects claim nested directories is refused",
                scene: with(
                    both,
                    vec![Write(
                        STATE,
                        record(r#"{"../a.yaml": ["a1", "b1"], "../b.yaml": ["b1/x"]}"#),
                    )],
                ),
                args: render_a,
                env: &[],
                code: 2,
                shows: &[
                    "`deploy/.agentctl-state.json` claims nested directories for two projects: \"b1\" for \"../a.yaml\" and \"b1/x\" inside it for \"../b.yaml\"",
                    "help: deploy/b1/.agentctl-owner names \"../b.yaml\": remove \"b1\" from the list of \"../a.yaml\"",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "writing into another project's directory is refused even when the record forgets it",
                scene: with(
                    both,
                    vec![
                        Remove(STATE),
                        Write("a.yaml", "environments:\n  a1: {}\n  x:\n    output: b1\n"),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 2,
                shows: &[
                    "environment `x`: deploy/b1 is the output of another project, b.yaml (its deploy/b1/.agentctl-owner says so); two projects cannot share one directory: give `x` another `output:` in a.yaml, or, if the directory is this project's now, delete deploy/b1/.agentctl-owner",
                    "nothing was written to any environment",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "an owner marker that is a symlink is refused, not followed",
                scene: with(
                    one,
                    vec![
                        Write(
                            "elsewhere",
                            r#"{"generator":"agentctl","project":"../agentctl.yaml","dir":"staging"}"#,
                        ),
                        Remove("deploy/staging/.agentctl-owner"),
                        Link("deploy/staging/.agentctl-owner", "../../elsewhere"),
                        Write(
                            "agentctl.yaml",
                            "environments:\n  staging:\n    profiles: [high-throughput]\n",
                        ),
                    ],
                ),
                args: render_all,
                env: &[],
                code: 2,
                shows: &[
                    "deploy/staging/.agentctl-owner is not an owner marker agentctl can trust: it is a symlink or not a regular file",
                ],
                holds: &[Same("deploy"), Same("elsewhere")],
            },
            Attack {
                name: "a directory without a marker (an older agentctl's) is adopted",
                scene: with(one, vec![Remove("deploy/staging/.agentctl-owner")]),
                args: render_all,
                env: &[],
                code: 0,
                shows: &[],
                holds: &[Present("deploy/staging/.agentctl-owner")],
            },
            // ---- The record read strictly: what a JSON reader would quietly take.
            Attack {
                name: "a project key given twice is refused, not last-wins",
                scene: with(
                    one,
                    vec![Write(
                        STATE,
                        record(
                            r#"{"../agentctl.yaml": ["staging"], "../agentctl.yaml": ["staging", "prod"]}"#,
                        ),
                    )],
                ),
                args: render_all,
                env: &[],
                code: 2,
                shows: &["the project \"../agentctl.yaml\" is a key twice"],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "a top-level key given twice is refused",
                scene: with(
                    one,
                    vec![Write(
                        STATE,
                        r#"{"generator": "agentctl", "version": 1, "projects": {}, "projects": {"../agentctl.yaml": ["staging"]}}"#,
                    )],
                ),
                args: render_all,
                env: &[],
                code: 2,
                shows: &["duplicate field `projects`"],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "a directory listed twice is refused",
                scene: with(
                    one,
                    vec![Write(
                        STATE,
                        record(r#"{"../agentctl.yaml": ["staging", "staging"]}"#),
                    )],
                ),
                args: render_all,
                env: &[],
                code: 2,
                shows: &["the directory \"staging\" is listed twice"],
                holds: &[Same("deploy")],
            },
            // ---- Over-long names: a clear message, never an OS error.
            Attack {
                name: "an over-long recorded path is refused with its length",
                scene: with(
                    one,
                    vec![Write(
                        STATE,
                        record(&format!(
                            r#"{{"../agentctl.yaml": ["staging", "{long_entry}"]}}"#
                        )),
                    )],
                ),
                args: render_all,
                env: &[],
                code: 2,
                shows: &["is 5001 bytes long, over the 4096 a path may have"],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "an over-long recorded directory name is refused with its length",
                scene: with(
                    one,
                    vec![Write(
                        STATE,
                        record(&format!(
                            r#"{{"../agentctl.yaml": ["staging", "x/{long_name}"]}}"#
                        )),
                    )],
                ),
                args: render_all,
                env: &[],
                code: 2,
                shows: &["has a component of 300 bytes, over the 255 a file name may have"],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "a record of more directories than agentctl records is refused",
                scene: with(
                    one,
                    vec![Write(
                        STATE,
                        record(&format!(r#"{{"../agentctl.yaml": [{}]}}"#, many.join(","))),
                    )],
                ),
                args: render_all,
                env: &[],
                code: 2,
                shows: &["it lists 10001 directories, more than the 10000 agentctl records"],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "an environment output with an over-long directory name is a located error",
                scene: leak_steps(vec![Write(
                    "agentctl.yaml",
                    leak(format!(
                        "environments:\n  prod:\n    output: a/{long_name}\n"
                    )),
                )]),
                args: render_all,
                env: &[],
                code: 2,
                shows: &[
                    "`output` must be a subdirectory of -o DIR: a directory name of 300 bytes is over the 255 a file system allows",
                    "agentctl.yaml:3:13",
                ],
                holds: &[Absent("deploy")],
            },
            Attack {
                name: "an over-long environment output is a located error",
                scene: leak_steps(vec![Write(
                    "agentctl.yaml",
                    leak(format!(
                        "environments:\n  prod:\n    output: {long_entry}\n"
                    )),
                )]),
                args: render_all,
                env: &[],
                code: 2,
                shows: &[
                    "it is 5001 bytes long, over the 1024 agentctl allows",
                    "agentctl.yaml:3:13",
                ],
                holds: &[Absent("deploy")],
            },
        ],
    );
}

fn leak_steps(steps: Vec<Step>) -> &'static [Step] {
    Box::leak(steps.into_boxed_slice())
}

/// A file over 16 MiB where agentctl reads back its own output (the output directory,
/// `--base-dir`, a commit for `--base`) is refused with its name and the cap, never read whole;
/// a large file that is not agentctl's is left alone as before.
#[test]
fn files_over_the_read_cap_are_refused_by_name() {
    const HEADER: &str = "# Generated by agentctl. Do not edit: change the inputs and run `agentctl render` again.\n";
    let tmp = crate::support::tempdir();
    let root = tmp.path();
    let r = crate::support::agentctl(["render", "-q", "-o", "out"])
        .current_dir(root)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let huge = format!("{HEADER}{}", "# padding line\n".repeat(1_200_000));
    assert!(huge.len() > 16 << 20);
    std::fs::write(root.join("out/deployment.yaml"), &huge).unwrap();
    std::fs::write(root.join("out/notes.yaml"), "x".repeat(17 << 20)).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(root)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "out"]);
    git(&["commit", "-q", "-m", "big"]);
    let cap =
        "is larger than 16 MiB (16777216 bytes), the most agentctl reads back from its output";
    for (args, shown) in [
        (&["render", "-o", "out"][..], "out/deployment.yaml"),
        (&["diff", "-o", "out"][..], "out/deployment.yaml"),
        (
            &["diff", "--base-dir", "out", "-o", "out"][..],
            "out/deployment.yaml",
        ),
        (
            &["diff", "--base", "HEAD", "-o", "out"][..],
            "HEAD:out/deployment.yaml",
        ),
    ] {
        let r = crate::support::agentctl(args).current_dir(root).run();
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{shown} {cap}")),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("notes.yaml"), "{args:?}: {}", r.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(root.join("out/deployment.yaml")).unwrap(),
        huge
    );
}
