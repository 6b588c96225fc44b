//! The attacks gallery of a forged owner: the record (`.agentctl-state.json`) and the owner
//! marker (`.agentctl-owner`) are both committed data, so one pull request can forge both to
//! make project a's `render --all` clean up project b's environment directory. What a project
//! file says is what such a pull request cannot change unseen: a recorded directory another
//! project file's environment renders into is left alone, whatever the record and the marker
//! say. Each case is run as `attacks_output`'s are (a scene, one command, its exit code, what
//! stderr says, what holds on disk), pinned in `snapshots/attacks/owner.snap`.

use crate::attacks_output::{A, Attack, B, Holds, Step, TWO_PROJECTS_RENDERED, run_gallery};

const STATE: &str = "deploy/.agentctl-state.json";

/// A record naming `projects` (the JSON object's text).
fn record(projects: &str) -> &'static str {
    leak(format!(
        r#"{{"generator": "agentctl", "version": 1, "projects": {projects}}}"#
    ))
}

/// An owner marker naming `project` and `dir`.
fn marker(project: &str, dir: &str) -> &'static str {
    leak(format!(
        r#"{{"generator":"agentctl","project":"{project}","dir":"{dir}"}}"#
    ))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn with(base: &'static [Step], more: Vec<Step>) -> &'static [Step] {
    Box::leak([base.to_vec(), more].concat().into_boxed_slice())
}

/// Project b in JSON, and in flow style: no line of either starts `environments:`.
const B_JSON: &str = "{\"environments\": {\"b1\": {\"profiles\": [\"dev\"]}}}\n";
/// See [`B_JSON`].
const B_FLOW: &str = "{environments: {b1: {profiles: [dev]}}}\n";

/// A file of 1 MiB (the most a project file may be) that is no project file.
fn one_mib() -> &'static str {
    static PAD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PAD.get_or_init(|| {
        let mut s = "# padding\n".repeat(1024 * 1024 / 10);
        s.push_str(&"#".repeat(1024 * 1024 - s.len() - 1));
        s.push('\n');
        s
    })
}

/// Project b kept as `file` (any name), rendered, then the record and b1's marker forged for
/// project a: b1 must be left alone, the warning naming `file` at `at`.
fn named(file: &'static str, text: &'static str, at: &'static str) -> Attack {
    use Holds::*;
    use Step::*;
    let render = |project: &'static str| {
        Run(leak_args(vec![
            "render",
            "--all",
            "-q",
            "--project",
            project,
            "-o",
            "deploy",
        ]))
    };
    Attack {
        name: leak(format!(
            "b's project file named {file:?} is found, and b1 left alone"
        )),
        scene: Box::leak(
            vec![
                Write("a.yaml", A),
                Write(file, text),
                render("a.yaml"),
                render(file),
                Write(STATE, record(r#"{"../a.yaml": ["a1", "b1"]}"#)),
                Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "b1")),
            ]
            .into_boxed_slice(),
        ),
        args: &["render", "--all", "--project", "a.yaml", "-o", "deploy"],
        env: &[],
        code: 0,
        shows: Box::leak(vec!["left deploy/b1 alone", at].into_boxed_slice()),
        holds: &[Same("deploy/b1"), Present("deploy/a1/kustomization.yaml")],
    }
}

fn leak_args(args: Vec<&'static str>) -> &'static [&'static str] {
    Box::leak(args.into_boxed_slice())
}

#[test]
fn forged_owner_gallery() {
    use Holds::*;
    use Step::*;
    let both = TWO_PROJECTS_RENDERED;
    let render_a: &[&str] = &["render", "--all", "--project", "a.yaml", "-o", "deploy"];
    // Project b kept in a subdirectory, its file a `.yml`: found below the root's parent.
    let teams: &'static [Step] = &[
        Write("a.yaml", A),
        Write("teams/b.yml", B),
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
            "teams/b.yml",
            "-o",
            "deploy",
        ]),
    ];
    // Project b rendering into a nested directory.
    let nested: &'static [Step] = &[
        Write("a.yaml", A),
        Write("b.yaml", "environments:\n  b1:\n    output: team/b1\n"),
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
    ];
    // Project a with a second environment, `x`, rendered.
    let a_with_x: &'static [Step] = &[
        Write("a.yaml", "environments:\n  a1: {}\n  x: {}\n"),
        Write("b.yaml", B),
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
    ];
    run_gallery(
        "owner",
        "Attacks forging the record and the owner marker together: a directory another project file renders into is never cleaned up",
        &[
            Attack {
                name: "the record and the marker forged together leave b's directory alone",
                scene: with(
                    both,
                    vec![
                        Write(STATE, record(r#"{"../a.yaml": ["a1", "b1"]}"#)),
                        Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "b1")),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[
                    "warning: left deploy/b1 alone, though deploy/.agentctl-state.json records \"b1\" for \"../a.yaml\" and deploy/b1/.agentctl-owner names it: b.yaml:2:3: environment `b1` of b.yaml renders into \"b1\"",
                    "If b.yaml renders into deploy/b1, delete deploy/b1/.agentctl-owner",
                ],
                holds: &[Same("deploy/b1"), Present("deploy/a1/kustomization.yaml")],
            },
            Attack {
                name: "b's entry kept in the record with another directory changes nothing",
                scene: with(
                    both,
                    vec![
                        Write(
                            STATE,
                            record(r#"{"../a.yaml": ["a1", "b1"], "../b.yaml": ["zz"]}"#),
                        ),
                        Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "b1")),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &["left deploy/b1 alone", "b.yaml:2:3: environment `b1`"],
                holds: &[Same("deploy/b1")],
            },
            Attack {
                name: "the marker forged alone deletes nothing",
                scene: with(
                    both,
                    vec![Write(
                        "deploy/b1/.agentctl-owner",
                        marker("../a.yaml", "b1"),
                    )],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[],
                holds: &[Same("deploy/b1")],
            },
            Attack {
                name: "a forged marker naming a third project deletes nothing",
                scene: with(
                    both,
                    vec![
                        Write(STATE, record(r#"{"../a.yaml": ["a1", "b1"]}"#)),
                        Write("deploy/b1/.agentctl-owner", marker("../c.yaml", "b1")),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &["left deploy/b1 alone", "names another project, ../c.yaml"],
                holds: &[Same("deploy/b1")],
            },
            Attack {
                name: "a project file in a subdirectory, as .yml, is found",
                scene: with(
                    teams,
                    vec![
                        Write(STATE, record(r#"{"../a.yaml": ["a1", "b1"]}"#)),
                        Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "b1")),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[
                    "left deploy/b1 alone",
                    "teams/b.yml:2:3: environment `b1` of teams/b.yml",
                ],
                holds: &[Same("deploy/b1")],
            },
            Attack {
                name: "a forged entry around another project's nested directory is left alone",
                scene: with(
                    nested,
                    vec![
                        Write(STATE, record(r#"{"../a.yaml": ["a1", "team"]}"#)),
                        Write("deploy/team/.agentctl-owner", marker("../a.yaml", "team")),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &["left deploy/team alone", "renders into \"team/b1\""],
                holds: &[Same("deploy/team")],
            },
            Attack {
                name: "a forged entry in another case names another directory and deletes nothing",
                scene: with(
                    both,
                    vec![
                        Write(STATE, record(r#"{"../a.yaml": ["a1", "B1"]}"#)),
                        Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "B1")),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[],
                holds: &[Same("deploy/b1")],
            },
            Attack {
                name: "a forged entry through a symlink to b's directory is refused",
                scene: with(
                    both,
                    vec![
                        Link("deploy/link", "b1"),
                        Write(STATE, record(r#"{"../a.yaml": ["a1", "link"]}"#)),
                        Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "link")),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 2,
                shows: &["deploy/link is a symlink; agentctl never follows a symlink"],
                holds: &[Same("deploy/b1")],
            },
            Attack {
                name: "b's project file that does not render now (its override file deleted) still claims its directory",
                scene: with(
                    both,
                    vec![
                        Write(
                            "b.yaml",
                            "environments:\n  b1:\n    overrides: [gone.yaml]\n",
                        ),
                        Write(STATE, record(r#"{"../a.yaml": ["a1", "b1"]}"#)),
                        Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "b1")),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[
                    "left deploy/b1 alone",
                    "b.yaml:2:3: environment `b1` of b.yaml",
                ],
                holds: &[Same("deploy/b1")],
            },
            Attack {
                name: "too many directories to search leave the directory alone",
                scene: with(
                    both,
                    (0..130)
                        .map(|i| Mkdir(leak(format!("junk/d{i}"))))
                        .chain((0..130).map(|i| Mkdir(leak(format!("x{i}")))))
                        .chain([
                            Write(STATE, record(r#"{"../a.yaml": ["a1", "b1"]}"#)),
                            Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "b1")),
                            Remove("b.yaml"),
                        ])
                        .collect(),
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[
                    "left deploy/b1 alone",
                    "agentctl reads at most 128 directories",
                ],
                holds: &[Same("deploy/b1")],
            },
            // ---- A project file is told by what it holds, not by its name (`--project`
            // takes any file): every one of these was not found before, and b1 was deleted.
            named("b.YAML", B, "b.YAML:2:3: environment `b1` of b.YAML"),
            named("b.Yml", B, "b.Yml:2:3: environment `b1` of b.Yml"),
            named(
                "b.project",
                B,
                "b.project:2:3: environment `b1` of b.project",
            ),
            named("agentctl", B, "agentctl:2:3: environment `b1` of agentctl"),
            named(
                "teams/B.JSON",
                B_JSON,
                "teams/B.JSON:1:19: environment `b1`",
            ),
            named("b.yaml", B_FLOW, "b.yaml:1:17: environment `b1` of b.yaml"),
            named(".b", B, ".b:2:3: environment `b1` of .b"),
            Attack {
                name: "more bytes to read than the bound leave the directory alone",
                scene: with(
                    both,
                    (0..65)
                        .map(|i| Write(leak(format!("pad/f{i:02}")), one_mib()))
                        .chain([
                            Write(STATE, record(r#"{"../a.yaml": ["a1", "b1"]}"#)),
                            Write("deploy/b1/.agentctl-owner", marker("../a.yaml", "b1")),
                            Remove("b.yaml"),
                        ])
                        .collect(),
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[
                    "left deploy/b1 alone",
                    "64 MiB looking for another project file",
                ],
                holds: &[Same("deploy/b1")],
            },
            // ---- What a project does on purpose still works.
            Attack {
                name: "an environment moved to another project is left for it, its entry dropped",
                scene: with(
                    a_with_x,
                    vec![
                        Write("a.yaml", A),
                        Write(
                            "b.yaml",
                            "environments:\n  b1:\n    profiles: [dev]\n  x: {}\n",
                        ),
                    ],
                ),
                args: render_a,
                env: &[],
                code: 0,
                shows: &[
                    "left deploy/x alone",
                    "b.yaml:4:3: environment `x` of b.yaml",
                ],
                holds: &[Same("deploy/x"), Same("deploy/b1")],
            },
            Attack {
                name: "an environment no other project file names is still cleaned up",
                scene: with(a_with_x, vec![Write("a.yaml", A)]),
                args: render_a,
                env: &[],
                code: 0,
                shows: &["removed deploy/x"],
                holds: &[Absent("deploy/x/kustomization.yaml"), Same("deploy/b1")],
            },
        ],
    );
}
