//! The gallery of one directory, one owner (issue 20, class 6): a single render aimed at a
//! project environment's directory, which the project's next `render --all` would overwrite or
//! remove, and a record claiming one directory for two projects. Each refusal names the
//! project file, the environment and exactly what to change; nothing is written. Run as
//! `attacks_output`'s cases are, pinned in `snapshots/attacks/claims.snap`.

use crate::attacks_output::{Attack, Holds, ONE, Step, TWO_PROJECTS_RENDERED, run_gallery};

const STATE: &str = "deploy/.agentctl-state.json";

fn leak<T: ?Sized>(b: Box<T>) -> &'static T {
    Box::leak(b)
}

fn record(projects: &str) -> &'static str {
    leak(format!(r#"{{"generator": "agentctl", "version": 1, "projects": {projects}}}"#).into())
}

fn with(base: &'static [Step], more: Vec<Step>) -> &'static [Step] {
    leak([base.to_vec(), more].concat().into_boxed_slice())
}

#[test]
fn one_directory_one_owner_gallery() {
    use Holds::*;
    use Step::*;
    let one: &'static [Step] = &[
        Write("agentctl.yaml", ONE),
        Run(&["render", "--all", "-q", "-o", "deploy"]),
    ];
    // A project file elsewhere, an environment with its own `output:`.
    let elsewhere: &'static [Step] = &[
        Write(
            "p/proj.yaml",
            "environments:\n  dev: {}\n  eu:\n    profiles: [high-throughput]\n    output: prod/eu\n",
        ),
        Run(&[
            "render",
            "--all",
            "-q",
            "--project",
            "p/proj.yaml",
            "-o",
            "out",
        ]),
    ];
    let both = TWO_PROJECTS_RENDERED;
    let render_a: &[&str] = &["render", "--all", "--project", "a.yaml", "-o", "deploy"];
    run_gallery(
        "claims",
        "One directory, one owner: a single render into a project environment's directory, and two projects claiming one directory, each refused with the project file, the environment and what to change",
        &[
            // ---- A single render into an environment's directory.
            Attack {
                name: "a single render into an environment's directory is refused",
                scene: one,
                args: &["render", "-o", "deploy/staging"],
                env: &[],
                code: 2,
                shows: &[
                    "refusing a single render into `deploy/staging`: it is the output directory of environment `staging` of the project `agentctl.yaml`, defined at agentctl.yaml:2:3 (`deploy/staging/.agentctl-owner` says so); the project's next `agentctl render --all -o deploy` would overwrite or remove what this render writes",
                    "help: change environment `staging` in agentctl.yaml:2:3 (its `set:`, `profiles:` or `overrides:`) and render it with `agentctl render --env staging -o deploy`; or give the single render a directory of its own (`-o deploy/staging-single`)",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "the same through another project file, an `output:` path and a trailing slash",
                scene: elsewhere,
                args: &["render", "-p", "dev", "-o", "out/prod/eu/"],
                env: &[],
                code: 2,
                shows: &[
                    "environment `eu` of the project `p/proj.yaml`, defined at p/proj.yaml:3:3",
                    "`agentctl render --env eu --project p/proj.yaml -o out`",
                    "`-o out/prod/eu-single`",
                ],
                holds: &[Same("out")],
            },
            Attack {
                name: "the same for an older agentctl's directory: the record above says so",
                scene: with(one, vec![Remove("deploy/staging/.agentctl-owner")]),
                args: &["render", "-o", "deploy/staging"],
                env: &[],
                code: 2,
                shows: &[
                    "environment `staging` of the project `agentctl.yaml`",
                    "(`deploy/.agentctl-state.json` says so)",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "the same when the project file is gone: the project is named, the environment not",
                scene: with(one, vec![Remove("agentctl.yaml")]),
                args: &["render", "-o", "deploy/staging"],
                env: &[],
                code: 2,
                shows: &[
                    "it is the output directory of an environment of the project `agentctl.yaml`",
                    "`agentctl render --all -o deploy`",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "a copy of an environment's directory is a single render's to write",
                scene: with(one, vec![Copy("deploy/staging", "backup/staging")]),
                args: &["render", "-q", "-p", "dev", "-o", "backup/staging"],
                env: &[],
                code: 0,
                shows: &[],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "a forged record entry over a single render's output refuses it, naming the record",
                scene: with(
                    one,
                    vec![
                        Run(&["render", "-q", "-o", "deploy/notes"]),
                        Write(
                            STATE,
                            record(r#"{"../agentctl.yaml": ["staging", "notes"]}"#),
                        ),
                    ],
                ),
                args: &["render", "-q", "-p", "dev", "-o", "deploy/notes"],
                env: &[],
                code: 2,
                shows: &[
                    "refusing a single render into `deploy/notes`: `deploy/.agentctl-state.json` records it as the output of the project `agentctl.yaml`, though no environment of it renders there",
                    "help: if that entry is stale or forged, remove \"notes\" from the list of \"../agentctl.yaml\" in deploy/.agentctl-state.json",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "a record entry over a directory whose marker names another directory claims nothing",
                scene: with(
                    one,
                    vec![
                        Run(&["render", "-q", "-o", "deploy/notes"]),
                        Write(
                            "deploy/notes/.agentctl-owner",
                            r#"{"generator":"agentctl","project":"../agentctl.yaml","dir":"staging"}"#,
                        ),
                        Write(
                            STATE,
                            record(r#"{"../agentctl.yaml": ["staging", "notes"]}"#),
                        ),
                    ],
                ),
                args: &["render", "-q", "-p", "dev", "-o", "deploy/notes"],
                env: &[],
                code: 0,
                shows: &[],
                holds: &[Same("deploy/staging")],
            },
            // ---- Two projects, one directory: which entry to remove.
            Attack {
                name: "a record claiming another project's directory: its marker says which entry goes",
                scene: with(
                    both,
                    vec![Write(
                        STATE,
                        record(r#"{"../a.yaml": ["a1", "b1"], "../b.yaml": ["b1"]}"#),
                    )],
                ),
                args: render_a,
                env: &[],
                code: 2,
                shows: &[
                    "`deploy/.agentctl-state.json` claims the directory \"b1\" for two projects, \"../a.yaml\" and \"../b.yaml\"",
                    "help: deploy/b1/.agentctl-owner names \"../b.yaml\": remove \"b1\" from the list of \"../a.yaml\" in deploy/.agentctl-state.json",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "nested claims: a forged inner entry under another project's directory",
                scene: with(
                    both,
                    vec![Write(
                        STATE,
                        record(r#"{"../a.yaml": ["a1", "b1/x"], "../b.yaml": ["b1"]}"#),
                    )],
                ),
                args: render_a,
                env: &[],
                code: 2,
                shows: &[
                    "claims nested directories for two projects: \"b1\" for \"../b.yaml\" and \"b1/x\" inside it for \"../a.yaml\"",
                    "help: deploy/b1/.agentctl-owner names \"../b.yaml\": remove \"b1/x\" from the list of \"../a.yaml\"",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "nested claims both real: one project moves its environment",
                scene: with(
                    both,
                    vec![
                        Write(
                            STATE,
                            record(r#"{"../a.yaml": ["a1"], "../b.yaml": ["a1/x"]}"#),
                        ),
                        Write(
                            "deploy/a1/x/.agentctl-owner",
                            r#"{"generator":"agentctl","project":"../b.yaml","dir":"a1/x"}"#,
                        ),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 2,
                shows: &[
                    "both are real outputs (deploy/a1/.agentctl-owner names \"../a.yaml\", deploy/a1/x/.agentctl-owner names \"../b.yaml\"): give the environment of b.yaml that renders into \"a1/x\" another `output:` outside \"a1\"",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "a claim no marker settles names both project files",
                scene: with(
                    both,
                    vec![Write(
                        STATE,
                        record(r#"{"../a.yaml": ["a1", "q"], "../b.yaml": ["b1", "q"]}"#),
                    )],
                ),
                args: &["render", "--all", "--project", "b.yaml", "-o", "deploy"],
                env: &[],
                code: 2,
                shows: &[
                    "no owner marker says which is right: check the `output:` of the environments of a.yaml and b.yaml",
                    "remove \"q\" from the list of \"../a.yaml\" or \"q\" from the list of \"../b.yaml\"",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "an environment inside another project's recorded directory says which `output:` to change",
                scene: with(
                    both,
                    vec![Write(
                        "a.yaml",
                        "environments:\n  a1: {}\n  a2:\n    output: b1/sub\n",
                    )],
                ),
                args: render_a,
                env: &[],
                code: 2,
                shows: &[
                    "environment `a2` of a.yaml: deploy/b1/sub overlaps `b1`, which deploy/.agentctl-state.json records as the output of another project, b.yaml",
                    "give `a2` an `output:` in a.yaml that is neither `b1` nor inside it nor around it",
                    "run `agentctl render --all --project b.yaml -o deploy` (it drops the entry)",
                ],
                holds: &[Same("deploy")],
            },
            Attack {
                name: "an environment around another project's directory, the same",
                scene: with(
                    both,
                    vec![
                        Write("b.yaml", "environments:\n  b1:\n    output: shared/b1\n"),
                        Run(&[
                            "render",
                            "--all",
                            "-q",
                            "--project",
                            "b.yaml",
                            "-o",
                            "deploy",
                        ]),
                        Write(
                            "a.yaml",
                            "environments:\n  a1: {}\n  a2:\n    output: shared\n",
                        ),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 2,
                shows: &["environment `a2` of a.yaml: deploy/shared overlaps `shared/b1`"],
                holds: &[Same("deploy")],
            },
        ],
    );
}
