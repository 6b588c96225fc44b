//! CLI tests of the everyday commands, run through the built binary: `config`, `explain`,
//! `profiles`, `schema`, `diff` / `render --check`, `init`, `completions`, `man`, `--help`,
//! `--quiet` and `--color`. Each user-facing outcome is pinned as an insta snapshot of the exit
//! code, stdout and stderr (`snapshots/cli/`, and `snapshots/resolved/` for `config` and
//! `explain`); properties that must hold whatever the text (round trips, color decisions,
//! files on disk) are asserted directly. Also: the README's samples and test command are real.

use std::path::Path;
use std::process::Command;

use crate::support::{self, Run, agentctl, root};

/// Snapshots of effective settings (`config`, `explain`): pinned under `snapshots/resolved/`;
/// every other run under `snapshots/cli/`.
const RESOLVED: &[&str] = &[
    "config",
    "config_show_origin",
    "explain_leaf",
    "explain_file",
    "explain_section",
    "explain_top",
    "explain_list",
    "explain_map_entry",
];

/// Pins exit code, stdout and stderr of one run as `snapshots/{cli,resolved}/NAME.snap`.
fn snap(name: &str, r: &Run) {
    let group = if RESOLVED.contains(&name) {
        "resolved"
    } else {
        "cli"
    };
    let description = format!("agentctl {}", r.args().join(" "));
    support::snapshot(group, name, &description, &r.transcript().text());
}

/// Runs in the repository root (so `examples/...` paths are short and stable) and pins it.
fn case(name: &str, args: &[&str], code: i32) -> Run {
    let r = agentctl(args).code(code).run();
    snap(name, &r);
    r
}

// ---------------------------------------------------------------------------------------- config

#[test]
fn config_prints_the_effective_configuration() {
    let r = case("config", &["config", "-p", "dev"], 0);
    assert!(
        r.stdout.starts_with("namespace: dev-agents\n"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.is_empty());
}

#[test]
fn config_show_origin_names_every_layer() {
    let r = case(
        "config_show_origin",
        &[
            "config",
            "--show-origin",
            "-p",
            "high-throughput",
            "-f",
            "examples/override.yaml",
            "--set",
            "agent.replicas.max=30",
        ],
        0,
    );
    for expected in [
        "# default",
        "# profile high-throughput (profiles/high-throughput.yaml:",
        "# examples/override.yaml:",
        "# --set agent.replicas.max=30",
    ] {
        assert!(r.stdout.contains(expected), "missing {expected:?}");
    }
    // Every leaf line carries an origin; section lines (`agent:`) carry none.
    for line in r.stdout.lines() {
        let is_section = line.trim_end().ends_with(':');
        let is_list_item = line.trim_start().starts_with("- ");
        assert_eq!(
            line.contains(" # "),
            !is_section && !is_list_item,
            "{line:?}"
        );
    }
}

/// The printed configuration is itself an override file that renders exactly what its inputs
/// render, with and without origin comments.
#[test]
fn config_output_round_trips_through_render() {
    let inputs = [
        "-p",
        "high-throughput",
        "-p",
        "low-latency",
        "-f",
        "examples/override.yaml",
        "-f",
        "examples/pinned-digests.yaml",
        "--set",
        "agent.config.extra.FLAG=on",
        "--set",
        "networkPolicy.egressPorts=[443,8443]",
        "--set",
        "agent.config.extra.NOTE=a #b: c",
        "--set",
        "agent.config.extra.MULTI=line one\nline two",
        "--set",
        "labels.team=012",
    ];
    let direct = agentctl([&["render"][..], &inputs].concat()).run();
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    let dir = support::tempdir();
    for flag in [None, Some("--show-origin")] {
        let mut args = vec!["config"];
        args.extend(flag);
        args.extend(inputs);
        let config = agentctl(&args).run();
        assert_eq!(config.code, 0, "{}", config.stderr);
        let file = dir.path().join("full.yaml");
        std::fs::write(&file, &config.stdout).unwrap();
        let again = agentctl(["render", "-f", file.to_str().unwrap()]).run();
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert_eq!(
            again.stdout, direct.stdout,
            "config {flag:?} does not round-trip"
        );
    }
}

#[test]
fn config_reports_bad_input() {
    case(
        "config_bad_input",
        &["config", "--set", "agent.replicas.mn=3"],
        2,
    );
}

// --------------------------------------------------------------------------------------- explain

#[test]
fn explain_a_leaf_shows_every_layer() {
    let r = case(
        "explain_leaf",
        &[
            "explain",
            "agent.replicas.max",
            "-p",
            "high-throughput",
            "-f",
            "examples/override.yaml",
            "--set",
            "agent.replicas.max=30",
        ],
        0,
    );
    assert!(
        r.stdout
            .contains("profile high-throughput (profiles/high-throughput.yaml:5:")
    );
    assert!(
        r.stdout
            .contains("value: 30 (from --set agent.replicas.max=30)")
    );
}

#[test]
fn explain_a_value_from_a_file_names_its_line() {
    let r = case(
        "explain_file",
        &[
            "explain",
            "agent.resources.limits.memory",
            "-p",
            "high-throughput",
            "-f",
            "examples/override.yaml",
        ],
        0,
    );
    let line = std::fs::read_to_string(root().join("examples/override.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.trim() == "memory: 3Gi")
        .unwrap()
        + 1;
    assert!(
        r.stdout
            .contains(&format!("examples/override.yaml:{line}:")),
        "{}",
        r.stdout
    );
}

#[test]
fn explain_a_section_lists_its_fields() {
    let r = case(
        "explain_section",
        &["explain", "agent", "-p", "low-latency"],
        0,
    );
    for field in ["image:", "replicas: section", "nodeSelector: map of string"] {
        assert!(r.stdout.contains(field), "missing {field}");
    }
}

#[test]
fn explain_without_a_path_lists_the_sections() {
    let r = case("explain_top", &["explain"], 0);
    assert!(r.stdout.contains("lists replace"));
}

#[test]
fn explain_a_list_says_lists_replace() {
    let r = case(
        "explain_list",
        &[
            "explain",
            "networkPolicy.ingressNamespaces",
            "-f",
            "examples/override.yaml",
            "--set",
            "networkPolicy.ingressNamespaces=[ingress-nginx,gateway]",
        ],
        0,
    );
    assert!(r.stdout.contains("Lists replace"));
}

#[test]
fn explain_a_map_entry() {
    let r = case(
        "explain_map_entry",
        &[
            "explain",
            "agent.nodeSelector.node-type",
            "-p",
            "low-latency",
        ],
        0,
    );
    assert!(r.stdout.contains("Maps merge key by key"));
}

#[test]
fn explain_an_unknown_path_suggests_the_right_one() {
    let r = case("explain_typo", &["explain", "agent.replicas.mx"], 2);
    assert!(r.stderr.contains("did you mean `agent.replicas.max`?"));
    assert!(r.stdout.is_empty());
    let r = case("explain_tail", &["explain", "replicas.max"], 2);
    assert!(r.stderr.contains("did you mean `agent.replicas.max`?"));
    case("explain_not_a_section", &["explain", "agent.image.tag"], 2);
    let r = case("explain_empty_segment", &["explain", "agent..port"], 2);
    assert!(
        r.stderr
            .contains(" | agentctl explain agent..port\n |                        ^\n")
    );
}

// -------------------------------------------------------------------------------------- profiles

#[test]
fn profiles_list_show_and_diff() {
    case("profiles", &["profiles"], 0);
    let r = case("profiles_show", &["profiles", "show", "low-latency"], 0);
    assert_eq!(
        r.stdout,
        std::fs::read_to_string(root().join("profiles/low-latency.yaml")).unwrap()
    );
    let r = case(
        "profiles_diff",
        &["profiles", "diff", "dev", "high-throughput"],
        0,
    );
    assert!(r.stdout.contains("agent.replicas.max"));
    assert!(
        !r.stdout.contains("agent.port"),
        "only differing settings are listed"
    );
    case("profiles_diff_same", &["profiles", "diff", "dev", "dev"], 0);
    case(
        "profiles_diff_unknown",
        &["profiles", "diff", "dev", "hgh-throughput"],
        2,
    );
}

// ---------------------------------------------------------------------------------------- schema

#[test]
fn schema_is_json_schema_2020_12() {
    let r = agentctl(["schema"]).run();
    let schema: serde_json::Value = serde_json::from_str(&r.stdout).expect("the schema is JSON");
    let summary = format!(
        "exit code: {}\n$schema: {}\ntitle: {}\nadditionalProperties: {}\nproperties: {}\n----- stderr -----\n{}",
        r.code,
        schema["$schema"],
        schema["title"],
        schema["additionalProperties"],
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        r.stderr
    );
    support::snapshot("cli", "schema", "agentctl schema (summary)", &summary);
}

// ------------------------------------------------------------------------------ diff and --check

/// A temporary project: a rendered `out/` for the `dev` profile.
fn rendered() -> tempfile::TempDir {
    let dir = support::tempdir();
    let r = agentctl(["render", "-p", "dev", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

#[test]
fn diff_is_silent_and_exits_0_when_up_to_date() {
    let dir = rendered();
    let args = ["diff", "-p", "dev", "-o", "out"];
    let r = agentctl(args).current_dir(dir.path()).run();
    assert_eq!(r.code, 0);
    snap("diff_up_to_date", &r);
    let r = agentctl(["render", "--check", "-p", "dev", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn diff_shows_changed_added_and_removed_files() {
    let dir = rendered();
    // A hand-edited generated file, a stale generated one, and a feature switched on (a new
    // file) in the inputs.
    let out = dir.path().join("out");
    let service = std::fs::read_to_string(out.join("service.yaml")).unwrap();
    std::fs::write(
        out.join("service.yaml"),
        service.replace("port: 8000", "port: 9000"),
    )
    .unwrap();
    let header = service.lines().next().unwrap();
    // (Stale: a file agentctl generates for a feature now off. A generated-looking file under
    // a name agentctl never writes, a backup copy, is not its to remove.)
    std::fs::write(out.join("vpa.yaml"), format!("{header}\nkind: ConfigMap\n")).unwrap();
    std::fs::write(out.join("old.yaml"), format!("{header}\nkind: ConfigMap\n")).unwrap();
    let args = [
        "diff",
        "-p",
        "dev",
        "--set",
        "monitoring.serviceMonitor.enabled=true",
        "-o",
        "out",
    ];
    let r = agentctl(args).current_dir(dir.path()).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    snap("diff_drift", &r);
    assert!(
        r.stdout
            .contains("--- /dev/null\n+++ b/out/servicemonitor.yaml\n")
    );
    assert!(r.stdout.contains("--- a/out/vpa.yaml\n+++ /dev/null\n"));
    assert!(!r.stdout.contains("old.yaml"));
    assert!(r.stdout.contains("-    port: 9000\n+    port: 8000\n"));
    // Nothing was written.
    assert!(!out.join("servicemonitor.yaml").exists());
    assert!(out.join("old.yaml").exists());

    // `render --check` is the same check.
    let mut check = vec!["render", "--check"];
    check.extend(&args[1..]);
    let c = agentctl(&check).current_dir(dir.path()).run();
    assert_eq!((c.code, &c.stdout), (1, &r.stdout));
}

/// The diff is a real patch: `git apply` turns the directory into what render would write.
#[test]
fn diff_output_applies_as_a_patch() {
    let dir = rendered();
    let out = dir.path().join("out");
    std::fs::remove_file(out.join("configmap.yaml")).unwrap();
    let args = [
        "diff",
        "-p",
        "dev",
        "--set",
        "monitoring.serviceMonitor.enabled=true",
        "--set",
        "agent.config.logLevel=INFO",
        "-o",
        "out",
    ];
    let r = agentctl(args).current_dir(dir.path()).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    std::fs::write(dir.path().join("drift.patch"), &r.stdout).unwrap();
    let git = Command::new("git")
        .args(["apply", "-p1", "drift.patch"])
        .current_dir(dir.path())
        .output()
        .expect("git is installed (needed by this test)");
    assert!(
        git.status.success(),
        "git apply: {}",
        String::from_utf8_lossy(&git.stderr)
    );
    let after = agentctl(args).current_dir(dir.path()).run();
    assert_eq!(after.code, 0, "{}", after.stdout);
}

#[test]
fn diff_errors_exit_2() {
    let dir = support::tempdir();
    let args = ["diff", "-p", "dev", "-o", "missing"];
    let r = agentctl(args).current_dir(dir.path()).run();
    assert_eq!(r.code, 2);
    snap("diff_missing_dir", &r);
    let args = ["diff", "-p", "dve", "-o", "missing"];
    let r = agentctl(args).current_dir(dir.path()).run();
    assert_eq!(r.code, 2);
    snap("diff_bad_input", &r);
}

#[test]
fn quiet_leaves_only_data_and_errors() {
    let dir = rendered();
    let r = agentctl(["-q", "render", "-p", "dev", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!((r.code, r.stderr.as_str(), r.stdout.as_str()), (0, "", ""));
    let r = agentctl(["diff", "-q", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 1);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(r.stdout.contains("+++ b/out/"), "the diff is data");
    let r = agentctl(["--quiet", "init", "x.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!((r.code, r.stderr.as_str(), r.stdout.as_str()), (0, "", ""));
    let r = agentctl(["--quiet", "man", "--out", "man"])
        .current_dir(dir.path())
        .run();
    assert_eq!((r.code, r.stderr.as_str(), r.stdout.as_str()), (0, "", ""));
    // Errors are never quiet.
    let r = agentctl(["-q", "diff", "-p", "dve", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown profile"));
}

// ----------------------------------------------------------------------------------------- color

fn drifted() -> tempfile::TempDir {
    let dir = rendered();
    let out = dir.path().join("out");
    let service = std::fs::read_to_string(out.join("service.yaml")).unwrap();
    std::fs::write(
        out.join("service.yaml"),
        service.replace("port: 8000", "port: 9000"),
    )
    .unwrap();
    dir
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let dir = drifted();
    let diff = ["diff", "-p", "dev", "-o", "out"];
    let plain = agentctl(diff).current_dir(dir.path()).run();
    assert_eq!(plain.code, 1);
    assert!(!plain.stdout.contains('\x1b'), "a pipe gets no color");
    let always = agentctl([&diff[..], &["--color", "always"]].concat())
        .current_dir(dir.path())
        .run();
    assert!(always.stdout.contains("\x1b[31m-    port: 9000\x1b[0m\n"));
    assert!(always.stdout.contains("\x1b[32m+    port: 8000\x1b[0m\n"));
    let forced = agentctl([&diff[..], &["--color=always"]].concat())
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .run();
    assert_eq!(
        forced.stdout, always.stdout,
        "--color always beats NO_COLOR"
    );
    let never = agentctl([&diff[..], &["--color", "never"]].concat())
        .current_dir(dir.path())
        .run();
    assert_eq!(never.stdout, plain.stdout);
    let bad = agentctl([&diff[..], &["--color", "sometimes"]].concat())
        .current_dir(dir.path())
        .run();
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("possible values: auto, always, never"));
}

/// Runs `agentctl ARGS` on a pseudo-terminal, so `--color auto` sees a terminal; `NO_COLOR=1`
/// when `no_color`. Expects exit code 1 (drift); returns what the terminal shows.
fn on_terminal(dir: &Path, args: &str, no_color: bool) -> String {
    let mut cmd = agentctl(args.split_whitespace()).current_dir(dir);
    if no_color {
        cmd = cmd.env("NO_COLOR", "1");
    }
    let out = cmd.run_on_terminal();
    assert_eq!(out.code, 1, "{out:?}");
    out.stdout
}

#[test]
fn auto_colors_a_terminal_unless_no_color() {
    let dir = drifted();
    let tty = on_terminal(dir.path(), "diff -p dev -o out", false);
    assert!(tty.contains("\x1b[31m-    port: 9000\x1b[0m"), "{tty:?}");
    let tty = on_terminal(dir.path(), "diff -p dev -o out", true);
    assert!(tty.contains("-    port: 9000"), "{tty:?}");
    assert!(!tty.contains("\x1b[31m"), "NO_COLOR is honored: {tty:?}");
    let tty = on_terminal(dir.path(), "diff --color never -p dev -o out", false);
    assert!(!tty.contains("\x1b[31m"), "{tty:?}");
}

/// Diagnostics are colored on a terminal like clap's usage errors (`error:` bold red, the
/// carets red), plain into a pipe, with `NO_COLOR` or `--color never`.
#[test]
fn diagnostics_are_colored_on_a_terminal() {
    let dir = support::tempdir();
    support::write(dir.path(), "bad.yaml", "agent:\n  replica: 3\n");
    let tty = |args: &str, no_color: bool| {
        let mut cmd = agentctl(args.split_whitespace()).current_dir(dir.path());
        if no_color {
            cmd = cmd.env("NO_COLOR", "1");
        }
        let out = cmd.run_on_terminal();
        assert_eq!(out.code, 2, "{out:?}");
        out.stdout
    };
    let colored = tty("render -f bad.yaml", false);
    assert!(colored.contains("\x1b[1;31merror\x1b[0m"), "{colored:?}");
    assert!(
        colored.contains("\x1b[1;31m   ^^^^^^^ unknown key\x1b[0m"),
        "{colored:?}"
    );
    assert!(
        colored.contains("\x1b[1;32m= help:\x1b[0m did you mean `replicas`?"),
        "{colored:?}"
    );
    // A refusal too.
    assert!(tty("render -o bad.yaml", false).contains("\x1b[1;31merror\x1b[0m"));
    for plain in [
        tty("render -f bad.yaml", true),
        tty("--color never render -f bad.yaml", false),
    ] {
        assert!(!plain.contains('\x1b'), "{plain:?}");
        assert!(
            plain.contains("error: agent: unknown key `replica`"),
            "{plain:?}"
        );
    }
    let piped = agentctl(["render", "-f", "bad.yaml"])
        .current_dir(dir.path())
        .run();
    assert!(!piped.stderr.contains('\x1b'), "{:?}", piped.stderr);
    let forced = agentctl(["--color", "always", "render", "-f", "bad.yaml"])
        .current_dir(dir.path())
        .run();
    assert!(
        forced.stderr.contains("\x1b[1;31merror"),
        "{:?}",
        forced.stderr
    );
}

#[test]
fn color_choice_reaches_clap_help_and_usage_errors() {
    let dir = support::tempdir();
    // Off a terminal: plain, unless `--color always` (wherever it is on the line).
    let plain = agentctl(["render", "--bogus"])
        .current_dir(dir.path())
        .run();
    assert_eq!(plain.code, 2);
    assert!(!plain.stderr.contains('\x1b'), "{:?}", plain.stderr);
    for args in [
        &["--color", "always", "render", "--bogus"][..],
        &["render", "--bogus", "--color=always"][..],
    ] {
        let r = agentctl(args).current_dir(dir.path()).run();
        assert_eq!(r.code, 2);
        assert!(
            r.stderr.contains("\x1b[1m\x1b[31merror:"),
            "{args:?}: {:?}",
            r.stderr
        );
    }
    // On a terminal: clap colors its help, and `--color never` turns that off.
    let tty = |args: &str| {
        let out = agentctl(args.split_whitespace())
            .current_dir(dir.path())
            .run_on_terminal();
        assert_eq!(out.code, 0, "{out:?}");
        out.stdout
    };
    assert!(
        tty("render --help").contains('\x1b'),
        "clap colors help on a terminal"
    );
    let never = tty("--color never render --help");
    assert!(!never.contains('\x1b'), "{never:?}");
    assert!(never.contains("Usage: agentctl render"), "{never:?}");
}

// ------------------------------------------------------------------------------------------ init

#[test]
fn init_writes_a_starter_and_the_schema_and_never_overwrites() {
    let dir = support::tempdir();
    let r = agentctl(["init"]).current_dir(dir.path()).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    snap("init", &r);
    let starter = std::fs::read_to_string(dir.path().join("overrides.yaml")).unwrap();
    support::snapshot(
        "cli",
        "init_starter",
        "overrides.yaml written by `agentctl init`",
        &starter,
    );
    assert!(starter.starts_with("# yaml-language-server: $schema=./agentctl.schema.json\n"));
    let schema = std::fs::read_to_string(dir.path().join("agentctl.schema.json")).unwrap();
    assert_eq!(
        schema,
        agentctl(["schema"]).current_dir(dir.path()).run().stdout
    );

    // A second run refuses and changes nothing.
    std::fs::write(dir.path().join("overrides.yaml"), "namespace: mine\n").unwrap();
    let again = agentctl(["init"]).current_dir(dir.path()).run();
    assert_eq!(again.code, 2);
    snap("init_exists", &again);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("overrides.yaml")).unwrap(),
        "namespace: mine\n"
    );

    // A new file next to an existing schema keeps that schema.
    std::fs::write(dir.path().join("agentctl.schema.json"), "{}").unwrap();
    let other = agentctl(["init", "staging.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(other.code, 0, "{}", other.stderr);
    assert!(
        other
            .stderr
            .contains("kept the existing agentctl.schema.json")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("agentctl.schema.json")).unwrap(),
        "{}"
    );

    // Into a new directory: it is created, the schema goes next to the file.
    let nested = agentctl(["init", "deploy/prod.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(nested.code, 0, "{}", nested.stderr);
    assert!(dir.path().join("deploy/agentctl.schema.json").is_file());
    // A directory, new or existing, gets `overrides.yaml` inside it.
    assert_eq!(
        agentctl(["init", "fresh/"])
            .current_dir(dir.path())
            .run()
            .code,
        0
    );
    assert!(dir.path().join("fresh/overrides.yaml").is_file());
    assert_eq!(
        agentctl(["init", "deploy"])
            .current_dir(dir.path())
            .run()
            .code,
        0
    );
    assert!(dir.path().join("deploy/overrides.yaml").is_file());
}

/// As written, the starter renders exactly what each profile renders (the defaults, every
/// built-in profile, a combination, and after another override file); with every commented-out
/// example setting uncommented, it is still valid and renders.
#[test]
fn the_starter_renders_cleanly_before_and_after_uncommenting() {
    let dir = support::tempdir();
    assert_eq!(
        agentctl(["init", "o.yaml"])
            .current_dir(dir.path())
            .run()
            .code,
        0
    );
    let listed = agentctl(["profiles"]).current_dir(dir.path()).run();
    let mut profiles: Vec<Vec<&str>> = vec![vec![]];
    for line in listed.stdout.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        profiles.push(vec!["-p", name]);
    }
    assert!(profiles.len() >= 4, "{}", listed.stdout);
    profiles.push(vec!["-p", "high-throughput", "-p", "low-latency"]);
    // After another override file too (a project's `overrides: [image.yaml, envs/prod.yaml]`
    // once had the starter's image silently replace the image CI wrote).
    support::write(
        dir.path(),
        "image.yaml",
        "agent:\n  image: reg.example/agent:abc123\n",
    );
    profiles.push(vec!["-f", "image.yaml"]);
    profiles.push(vec!["-p", "dev", "-f", "image.yaml"]);
    for p in &profiles {
        let bare: Vec<&str> = ["render"].into_iter().chain(p.iter().copied()).collect();
        let mut with = bare.clone();
        with.extend(["-f", "o.yaml"]);
        let with = agentctl(&with).current_dir(dir.path()).run();
        assert_eq!(with.code, 0, "{p:?}: {}", with.stderr);
        assert!(
            with.stdout == agentctl(&bare).current_dir(dir.path()).run().stdout,
            "the starter changes what `agentctl {}` renders",
            bare.join(" ")
        );
    }

    let starter = std::fs::read_to_string(dir.path().join("o.yaml")).unwrap();
    let mut uncommented = String::new();
    let mut count = 0;
    for line in starter.lines() {
        let indent = line.len() - line.trim_start().len();
        let rest = line.trim_start();
        // `# key:` / `#   key: value` — a commented setting, not prose.
        let setting = rest.strip_prefix("# ").filter(|r| {
            let r = r.trim_start();
            let key = r.split(':').next().unwrap_or_default();
            !key.is_empty()
                && r.len() > key.len()
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        match setting {
            Some(s) => {
                count += 1;
                uncommented.push_str(&" ".repeat(indent));
                uncommented.push_str(s);
            }
            None => uncommented.push_str(line),
        }
        uncommented.push('\n');
    }
    assert!(count > 20, "the starter shows examples ({count} lines)");
    std::fs::write(dir.path().join("all.yaml"), &uncommented).unwrap();
    let all = agentctl(["render", "-f", "all.yaml", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(
        all.code, 0,
        "uncommented starter:\n{uncommented}\n{}",
        all.stderr
    );
    let origin = agentctl(["config", "--show-origin", "-f", "all.yaml"])
        .current_dir(dir.path())
        .run();
    assert!(
        origin.stdout.contains("team: agents") && origin.stdout.contains("# all.yaml:"),
        "{}",
        origin.stdout
    );
}

// ----------------------------------------------------------------------- completions and man

#[test]
fn completions_for_every_shell() {
    let dir = support::tempdir();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = agentctl(["completions", shell])
            .current_dir(dir.path())
            .run();
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stderr.is_empty());
        // The script hands every TAB to agentctl itself (the dynamic engine).
        assert!(
            r.stdout.contains(&format!("COMPLETE={shell}"))
                || r.stdout.contains(&format!("COMPLETE = \"{shell}\""))
                || r.stdout.contains(&format!("COMPLETE=\"{shell}\"")),
            "{shell}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("agentctl"), "{shell}");
    }
    // bash itself accepts the script.
    let script = dir.path().join("agentctl.bash");
    std::fs::write(
        &script,
        agentctl(["completions", "bash"])
            .current_dir(dir.path())
            .run()
            .stdout,
    )
    .unwrap();
    let bash = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    let r = agentctl(["completions", "tcsh"]).run();
    assert_eq!(r.code, 2);
    snap("completions_unknown_shell", &r);
}

/// What the shell's TAB gets: agentctl's completion entry point (`COMPLETE=fish agentctl --
/// WORDS`, the protocol the registered script speaks), one candidate per line.
fn complete(dir: &Path, words: &[&str]) -> Vec<String> {
    let mut args = vec!["--", "agentctl"];
    args.extend(words);
    let r = agentctl(&args)
        .current_dir(dir)
        .env("COMPLETE", "fish")
        .run();
    assert_eq!(r.code, 0, "{words:?}: {}", r.stderr);
    // Flags are offered beside values; keep them only when a flag is being typed.
    let flag = words.last().is_some_and(|w| w.starts_with('-'));
    r.stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .filter(|c| flag || !c.starts_with('-'))
        .collect()
}

/// Completion offers what only agentctl knows: profile names (`-p`, `profiles show|diff`),
/// the environments of the project file in the current directory (`--env`), and setting
/// paths (`explain`), besides commands and flags.
#[test]
fn completion_offers_profiles_environments_and_setting_paths() {
    let dir = support::tempdir();
    let profiles = ["dev", "high-throughput", "low-latency"];
    assert_eq!(complete(dir.path(), &["render", "-p", ""]), profiles);
    assert_eq!(
        complete(dir.path(), &["render", "-p", "h"]),
        ["high-throughput"]
    );
    assert_eq!(complete(dir.path(), &["profiles", "show", ""]), profiles);
    assert_eq!(
        complete(dir.path(), &["profiles", "diff", "dev", "l"]),
        ["low-latency"]
    );
    // No project file here: no environments (and no error).
    assert!(complete(dir.path(), &["render", "--env", ""]).is_empty());
    support::write(
        dir.path(),
        "agentctl.yaml",
        "environments:\n  staging: {}\n  prod-eu: {}\n",
    );
    assert_eq!(
        complete(dir.path(), &["render", "--env", ""]),
        ["staging", "prod-eu"]
    );
    assert_eq!(
        complete(dir.path(), &["explain", "--env", "p"]),
        ["prod-eu"]
    );
    assert_eq!(
        complete(dir.path(), &["explain", "agent.replicas."]),
        ["agent.replicas.max", "agent.replicas.min"]
    );
    assert!(complete(dir.path(), &["explain", ""]).contains(&"namespace".to_owned()));
    assert_eq!(complete(dir.path(), &["ren"]), ["render"]);
    assert!(complete(dir.path(), &["config", "--show-o"]).contains(&"--show-origin".to_owned()));
}

#[test]
fn man_pages() {
    let dir = support::tempdir();
    let r = agentctl(["man"]).current_dir(dir.path()).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH agentctl 1"), "{}", &r.stdout[..200]);
    assert!(r.stdout.contains("explain"));

    let r = agentctl(["man", "--out", "man1"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    snap("man_out", &r);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path().join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for page in [
        "agentctl.1",
        "agentctl-render.1",
        "agentctl-diff.1",
        "agentctl-explain.1",
        "agentctl-profiles-diff.1",
    ] {
        assert!(pages.contains(&page.to_owned()), "{pages:?}");
    }
    // groff reads them without warnings.
    let groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(dir.path().join("man1/agentctl-explain.1"))
        .output()
        .expect("groff is installed (needed by this test)");
    assert!(
        groff.status.success() && groff.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&groff.stderr)
    );

    // Regenerating is fine; a foreign file in the way is not.
    assert_eq!(
        agentctl(["man", "--out", "man1"])
            .current_dir(dir.path())
            .run()
            .code,
        0
    );
    std::fs::write(dir.path().join("man1/agentctl-diff.1"), "my notes\n").unwrap();
    let r = agentctl(["man", "--out", "man1"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2);
    snap("man_out_refused", &r);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("man1/agentctl-diff.1")).unwrap(),
        "my notes\n"
    );
}

/// The example commands of a `--help` text: the lines of its `Example:`/`Examples:` blocks.
fn help_examples(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line == "Examples:" || line == "Example:" {
            inside = true;
        } else if line.trim().is_empty() {
            inside = false;
        } else if inside {
            out.push(line.to_owned());
        }
    }
    out
}

/// Examples stay copy-pasteable: in every command's `--help` at 100 columns each example is
/// one whole indented line (clap did not wrap it), and every man page shows each of its
/// command's examples as the same single line (roff did not justify or hyphenate it).
#[test]
fn help_and_man_keep_every_example_on_one_line() {
    let dir = support::tempdir();
    assert_eq!(
        agentctl(["-q", "man", "--out", "man1"])
            .current_dir(dir.path())
            .run()
            .code,
        0
    );
    let mut pages: Vec<String> = std::fs::read_dir(dir.path().join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let mut checked = 0;
    for page in &pages {
        let words: Vec<&str> = page.trim_end_matches(".1").split('-').skip(1).collect();
        // `restore-help` is one command with a dash.
        let words: Vec<String> = if words == ["restore", "help"] {
            vec!["restore-help".to_owned()]
        } else {
            words.iter().map(|w| (*w).to_owned()).collect()
        };
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("--help");
        let help = agentctl(&args).current_dir(dir.path()).run();
        assert_eq!(help.code, 0, "{args:?}: {}", help.stderr);
        let examples = help_examples(&help.stdout);
        let man = Command::new("groff")
            .args(["-man", "-Tutf8", "-rLL=100n", "-P-cbou"])
            .arg(dir.path().join("man1").join(page))
            .output()
            .expect("groff is installed (needed by this test)");
        let man = String::from_utf8_lossy(&man.stdout).replace(['\u{2010}', '\u{2212}'], "-");
        let man_lines: Vec<&str> = man.lines().map(str::trim).collect();
        for example in &examples {
            assert!(
                example.starts_with("  ") && example.chars().count() <= 100,
                "`agentctl {}`: an example wrapped or overlong at 100 columns: {example:?}\n{}",
                args.join(" "),
                help.stdout
            );
            assert!(
                man_lines.contains(&example.trim()),
                "{page}: the example {example:?} is not one line of the page:\n{man}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} examples found");
}

// ------------------------------------------------------------------------------------------ help

#[test]
fn every_command_help_shows_an_example() {
    let dir = support::tempdir();
    let commands: &[&[&str]] = &[
        &[],
        &["render"],
        &["diff"],
        &["status"],
        &["doctor"],
        &["config"],
        &["explain"],
        &["profiles"],
        &["profiles", "show"],
        &["profiles", "diff"],
        &["schema"],
        &["init"],
        &["completions"],
        &["man"],
    ];
    for c in commands {
        let r = agentctl([*c, &["--help"]].concat())
            .current_dir(dir.path())
            .run();
        assert_eq!(r.code, 0, "{c:?}: {}", r.stderr);
        assert!(
            r.stdout.contains("Example") && r.stdout.contains("agentctl "),
            "`agentctl {} --help` shows no example:\n{}",
            c.join(" "),
            r.stdout
        );
        assert!(r.stderr.is_empty());
    }
}

// ---------------------------------------------------------------------------------------- README

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The fenced blocks of one language in the README section that starts with `heading`.
fn blocks(heading: &str, lang: &str) -> Vec<String> {
    let text = readme();
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has {heading}"));
    let section = &text[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let fence = format!("```{lang}");
    section
        .match_indices(&fence)
        .filter_map(|(i, _)| {
            // `lang` alone or with a mark after a space (`sh offline`: tests/it/readme.rs).
            let rest = &section[i + fence.len()..];
            let (info, body) = rest.split_once('\n')?;
            (info.is_empty() || info.starts_with(' '))
                .then(|| body[..body.find("```").expect("closed fence")].to_owned())
        })
        .collect()
}

/// The CI jobs users copy are valid YAML, and every agentctl command in them parses.
#[test]
fn readme_ci_jobs_are_valid() {
    let jobs = blocks("## Use in CI", "yaml");
    assert_eq!(
        jobs.len(),
        3,
        "a GitHub Actions job, its pull-request impact job and a GitLab job"
    );
    let mut commands = 0;
    for job in jobs {
        support::lib::yaml(&job).expect("the job is YAML");
        for line in job.lines() {
            let Some(i) = line.find("agentctl diff") else {
                continue;
            };
            commands += 1;
            let words: Vec<&str> = line[i..].split_whitespace().collect();
            let diff = support::lib::parses_as_diff(&words)
                .unwrap_or_else(|e| panic!("{}: {e}", words.join(" ")));
            assert!(diff, "{}", words.join(" "));
        }
    }
    assert_eq!(commands, 3);
}

/// "Use in CI" gives the image-per-commit workflow its real answer (an override file CI
/// writes), never a `--set` that the next `diff` would call drift and its update revert.
#[test]
fn readme_ci_sends_an_image_per_commit_to_an_override_file() {
    let text = readme();
    let start = text.find("## Use in CI").expect("the section");
    let section = &text[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    assert!(
        section.contains("[An image per commit](#many-environments)"),
        "{section}"
    );
    assert!(section.contains("-f deploy/image.yaml"), "{section}");
    for block in blocks("## Use in CI", "yaml")
        .into_iter()
        .chain(blocks("## Use in CI", "sh"))
    {
        assert!(!block.contains("--set"), "a CI step with --set:\n{block}");
    }
    assert!(
        text.contains("**An image per commit.** CI writes the image into an override file"),
        "the recipe the section points to"
    );
}

/// The command `diff` prints for fixing drift, run by a shell, fixes the drift.
#[test]
fn the_printed_update_command_fixes_the_drift() {
    let dir = rendered();
    let args = [
        "diff",
        "-p",
        "dev",
        "--set",
        "agent.config.extra.NOTE=it's a note",
        "-o",
        "out",
    ];
    let r = agentctl(args).current_dir(dir.path()).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let hint = r
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("agentctl "))
        .unwrap_or_else(|| panic!("no command in {}", r.stderr));
    assert!(
        hint.contains("--set \"agent.config.extra.NOTE=it's a note\""),
        "{hint}"
    );
    // The words a shell makes of the printed command, run (with the fixed environment).
    let sh = Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\0' {hint}"))
        .output()
        .expect("sh runs");
    assert!(
        sh.status.success(),
        "{}",
        String::from_utf8_lossy(&sh.stderr)
    );
    let words = String::from_utf8(sh.stdout).unwrap();
    let words: Vec<&str> = words.split_terminator('\0').collect();
    assert!(
        words.contains(&"agent.config.extra.NOTE=it's a note"),
        "{words:?}"
    );
    agentctl(words).current_dir(dir.path()).code(0).run();
    agentctl(args).current_dir(dir.path()).code(0).run();
}

#[test]
fn restore_help_for_the_namespace_carries_the_tested_script() {
    let script =
        std::fs::read_to_string(root().join("templates/scripts/redis-restore.sh")).unwrap();
    let r = case(
        "restore_help",
        &["restore-help", "-p", "high-throughput"],
        0,
    );
    assert!(
        r.stdout.contains(&script),
        "the in-pod step is the tested script, verbatim"
    );
    assert!(r.stdout.contains(
        "kubectl -n production-agents exec -i redis-0 -- env REDIS_PORT=6379 RESTORE_PORT=6380"
    ));
    assert!(r.stdout.contains("--replicas=10    # the HPA takes over"));
    assert!(r.stdout.contains("claimName\":\"redis-backup-pvc\""));
    // dev: no backup volume, fixed replicas, its own namespace.
    let dev = agentctl(["restore-help", "-p", "dev"]).run();
    assert_eq!(dev.code, 0, "{}", dev.stderr);
    assert!(dev.stdout.contains("kubectl -n dev-agents exec -i redis-0"));
    assert!(!dev.stdout.contains("redis-backup-reader"));
    assert!(
        dev.stdout
            .contains("scale deployment agent-deployment --replicas=1\n")
    );
    // KEDA: paused, not scaled.
    let keda = agentctl(["restore-help", "-f", "examples/everything.yaml"]).run();
    assert!(
        keda.stdout
            .contains("autoscaling.keda.sh/paused-replicas=0"),
        "{}",
        keda.stdout
    );
    assert!(!keda.stdout.contains("scale deployment"));
}

#[test]
fn restore_help_with_the_in_cluster_redis_off_says_so_instead_of_a_runbook_for_redis_0() {
    // examples/adopter.yaml uses a managed Redis (ElastiCache): no redis-0 exists.
    let r = agentctl(["restore-help", "-f", "examples/adopter.yaml"]).run();
    assert_eq!(r.code, 2, "an error, not a runbook: {}", r.stderr);
    assert_eq!(r.stdout, "", "nothing a `> restore.sh` would keep");
    assert!(
        r.stderr.contains("`redis.enabled` is false")
            && r.stderr.contains("examples/adopter.yaml:44:12"),
        "located where Redis was turned off: {}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("support-agents.abc123.ng.0001.euw1.cache.amazonaws.com:6379"),
        "names the managed Redis the agent uses: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("snapshot restore")
            && r.stderr
                .contains("kubectl -n support-agents rollout restart deployment/agent-deployment"),
        "says what to do instead: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("exec -i redis-0"));
}

#[test]
fn render_says_what_the_cluster_needs_once_when_something_changed() {
    let dir = support::tempdir();
    let first = agentctl(["render", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(
        first
            .stderr
            .matches("The cluster needs, for namespace production-agents:")
            .count(),
        1,
        "{}",
        first.stderr
    );
    for need in [
        "Prometheus Operator: ServiceMonitor agent-metrics",
        "metrics-server",
        "Prometheus Adapter serving the pods metric http_requests_per_second",
        "a default StorageClass that provisions ReadWriteOnce volumes: PersistentVolumeClaims data-redis-0 10Gi",
        "kubectl create namespace production-agents\n",
        "kubectl create secret generic agent-secrets --namespace=production-agents",
    ] {
        assert!(
            first.stderr.contains(need),
            "missing {need:?} in:\n{}",
            first.stderr
        );
    }
    // Nothing changed: no reminder.
    let again = agentctl(["render", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert!(
        !again.stderr.contains("The cluster needs"),
        "{}",
        again.stderr
    );
    // Stream mode: on stderr, the stream untouched on stdout.
    let stream = agentctl(["render", "-p", "dev"])
        .current_dir(dir.path())
        .run();
    assert!(
        stream
            .stderr
            .starts_with("The cluster needs, for namespace dev-agents:\n"),
        "{}",
        stream.stderr
    );
    assert!(!stream.stdout.contains("The cluster needs"));
    assert!(
        !stream.stderr.contains("Prometheus Operator"),
        "dev renders no ServiceMonitor"
    );
    // -q silences it.
    let quiet = agentctl(["-q", "render", "-p", "dev"])
        .current_dir(dir.path())
        .run();
    assert_eq!(quiet.stderr, "");
    // An ExternalSecret replaces the commands with its store.
    let es = agentctl([
        "render",
        "-f",
        &root().join("examples/everything.yaml").to_string_lossy(),
    ])
    .current_dir(dir.path())
    .run();
    assert!(
        es.stderr.contains(
            "ClusterSecretStore vault-backend, readable by the External Secrets Operator"
        ),
        "{}",
        es.stderr
    );
    assert!(!es.stderr.contains("kubectl create secret"));
}

#[test]
fn readme_prerequisites_are_what_the_default_render_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- prerequisites: generated from the default render -->\n```text\n")
        .expect("README has the generated Prerequisites block");
    let body = &readme[start..];
    let body = &body[body.find("```text\n").unwrap() + 8..];
    let body = &body[..body.find("```").unwrap()];
    let stream = agentctl(["render"]).run();
    assert_eq!(
        body, stream.stderr,
        "README's Prerequisites block differs from what `agentctl render` prints; paste the stderr of `agentctl render >/dev/null` into it"
    );
}

#[test]
fn the_restore_test_runs_redis_as_the_statefulset_does() {
    // scripts/test-redis-restore.sh must start redis-server the way the rendered StatefulSet
    // does, or its restore proves nothing about this deployment.
    let stream = agentctl(["render"]).run().stdout;
    assert!(stream.contains("printf 'requirepass %s\\n' \"$REDIS_PASSWORD\" > /tmp/redis.conf"));
    assert!(
        stream.contains(
            "exec redis-server /tmp/redis.conf --port 6379 --dir /data --appendonly yes\n"
        )
    );
    let test = std::fs::read_to_string(root().join("scripts/test-redis-restore.sh")).unwrap();
    assert!(test.contains("printf 'requirepass %s\\n' \"$password\" >\"$tmp/conf/redis.conf\""));
    assert!(test.contains(
        "redis-server \"$tmp/conf/redis.conf\" --port \"$port\" --dir \"$data\" --appendonly yes"
    ));
    let backup = std::fs::read_to_string(root().join("templates/scripts/redis-backup.sh")).unwrap();
    for line in backup.lines().filter(|l| !l.is_empty()) {
        assert!(
            stream.contains(&format!("{line}\n")),
            "the CronJob runs the tested backup script; missing: {line}"
        );
    }
}

#[test]
fn disabling_an_operations_object_removes_everything_that_served_it() {
    let all = agentctl(["render", "-f", "examples/everything.yaml"])
        .run()
        .stdout;
    for present in [
        "name: redis-backup\n",
        "name: redis-backup-pvc\n",
        "name: redis-backup-network-policy\n",
        "app.kubernetes.io/name: redis-backup\n",
        "name: agent-quota\n",
        "name: agent-limits\n",
        "name: agent-vpa\n",
        "name: agent-scaledobject\n",
        "kubernetes.io/metadata.name: keda\n",
        "kind: ExternalSecret\n",
    ] {
        assert!(all.contains(present), "everything.yaml renders {present:?}");
    }
    let none = agentctl([
        "render",
        "-f",
        "examples/everything.yaml",
        "--set",
        "backup.enabled=false",
        "--set",
        "quota.enabled=false",
        "--set",
        "vpa.enabled=false",
        "--set",
        "keda.enabled=false",
        "--set",
        "autoscaling.enabled=true",
        "--set",
        "externalSecret.enabled=false",
    ])
    .run();
    assert_eq!(none.code, 0, "{}", none.stderr);
    for gone in [
        "redis-backup",
        "agent-quota",
        "agent-limits",
        "agent-vpa",
        "agent-scaledobject",
        "keda",
        "ExternalSecret",
    ] {
        assert!(
            !none.stdout.contains(gone),
            "{gone} is gone with its switch"
        );
    }
    // The default render without them is the render of the defaults with them off (and the
    // example's rule-selector label).
    let plain = agentctl([
        "render",
        "--set",
        "backup.enabled=false",
        "--set",
        "quota.enabled=false",
        "--set",
        "monitoring.alerts.labels.release=prometheus",
    ])
    .run();
    assert_eq!(none.stdout, plain.stdout);
}

/// The README's quick start runs the test suite with one command, `scripts/test.sh`, and
/// `.ci/run` runs exactly that line; the script pins the cargo-insta of the insta in
/// `Cargo.lock` and runs `cargo insta test --check --unreferenced=reject`.
#[test]
fn the_ci_runs_the_readme_test_command() {
    let quick = blocks("## Quick start", "sh").concat();
    let line = quick
        .lines()
        .find(|l| l.contains("# run the whole test suite"))
        .expect("the README's quick start runs the test suite");
    let test = line[..line.find(" #").unwrap()].trim();
    assert_eq!(test, "scripts/test.sh", "{quick}");
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l == test),
        ".ci/run does not run the README's `{test}`:\n{ci}"
    );
    let script = std::fs::read_to_string(root().join(test)).unwrap();
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let insta = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"insta\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"'))
        .expect("insta is in Cargo.lock");
    assert!(
        script.lines().any(|l| l == format!("version={insta}")),
        "scripts/test.sh must install cargo-insta {insta}, the insta of Cargo.lock:\n{script}"
    );
}

/// Every `cargo install` the README shows is `--locked` (the crate versions CI tested, not the
/// newest that happen to match).
#[test]
fn every_cargo_install_in_the_readme_is_locked() {
    let readme = readme();
    let installs: Vec<&str> = readme
        .match_indices("cargo install")
        .map(|(at, _)| readme[at..].lines().next().unwrap())
        .collect();
    assert!(installs.len() >= 3, "{installs:#?}");
    for line in installs {
        assert!(
            line["cargo install".len()..]
                .trim_start()
                .starts_with("--locked"),
            "not --locked: {line}"
        );
    }
}

/// `scripts/test.sh` on a machine with no cargo-insta, with another version, and with the
/// pinned one: it installs the pinned version (`--locked`, into the target directory, once)
/// only when needed, and always runs the same command. Offline: `cargo` and `cargo-insta` are
/// stand-ins that record how they were called (the real cargo is not on their PATH).
#[test]
fn the_test_script_installs_the_pinned_cargo_insta_only_when_missing() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = support::tempdir();
    let t = tmp.path();
    let log = t.join("log");
    let script = |name: &str, text: &str| {
        support::write(t, name, &format!("#!/bin/sh\n{text}"));
        std::fs::set_permissions(t.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let cargo_insta = |version: &str| {
        format!(
            "[ \"$1\" = --version ] && {{ echo 'cargo-insta {version}'; exit 0; }}\necho \"$0 $*\" >> '{}'\n",
            log.display()
        )
    };
    script("old/cargo-insta", &cargo_insta("1.40.0"));
    script("pinned/cargo-insta", &cargo_insta("1.49.0"));
    // `cargo install … --root DIR cargo-insta@1.49.0` leaves that stand-in in DIR/bin.
    script(
        "bin/cargo",
        &format!(
            "echo \"cargo $*\" >> '{log}'\nroot=$(echo \"$*\" | sed -n 's/.*--root \\([^ ]*\\) .*/\\1/p')\nmkdir -p \"$root/bin\" && cp '{pinned}' \"$root/bin/cargo-insta\"\n",
            log = log.display(),
            pinned = t.join("pinned/cargo-insta").display()
        ),
    );
    let run = |first: &str| -> String {
        let _ = std::fs::remove_file(&log);
        let out = Command::new("bash")
            .arg(root().join("scripts/test.sh"))
            .args(["--", "cli::"])
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:{}:/usr/bin:/bin",
                    t.join(first).display(),
                    t.join("bin").display()
                ),
            )
            .env("CARGO_TARGET_DIR", t.join("target"))
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&log).unwrap_or_default()
    };
    let tools = t.join("target/tools/cargo-insta-1.49.0");
    let test = "test --check --unreferenced=reject -- cli::";
    let installed = format!("{}/bin/cargo-insta {test}\n", tools.display());
    // None on PATH: installed once, then used.
    assert_eq!(
        run("none"),
        format!(
            "cargo install --locked --quiet --root {} cargo-insta@1.49.0\n{installed}",
            tools.display()
        )
    );
    assert_eq!(run("none"), installed);
    // Another version on PATH: left alone; the pinned one installed beside it is used.
    assert_eq!(run("old"), installed);
    std::fs::remove_dir_all(t.join("target")).unwrap();
    assert!(run("old").starts_with("cargo install --locked"));
    // The pinned version on PATH: used as it is, nothing installed.
    std::fs::remove_dir_all(t.join("target")).unwrap();
    assert_eq!(
        run("pinned"),
        format!("{} {test}\n", t.join("pinned/cargo-insta").display())
    );
}

/// `explain` of a list's item, or of a field in it (`[0]`, `[]` or `.0`), documents it and
/// sends the user to the list for the value (lists are set as a whole).
#[test]
fn explain_documents_a_list_item() {
    for path in [
        "agent.tolerations[0].key",
        "agent.tolerations[].key",
        "agent.tolerations.0.key",
    ] {
        let r = agentctl(["explain", path]).run();
        assert_eq!(r.code, 0, "{path}: {}", r.stderr);
        assert!(
            r.stdout
                .starts_with("agent.tolerations[].key: string (optional)\n"),
            "{path}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("Taint key"), "{}", r.stdout);
        assert!(
            r.stdout.contains("`agentctl explain agent.tolerations`"),
            "{}",
            r.stdout
        );
    }
    let r = agentctl(["explain", "agent.tolerations[0]"]).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("fields:\n  effect: "), "{}", r.stdout);
    let r = agentctl(["explain", "agent.tolerations[0].kye"]).run();
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `agent.tolerations[].key`?"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_hidden_objects_table_lists_every_rendered_kind_and_hides_from_help() {
    let help = agentctl(["--help"]).run();
    assert!(!help.stdout.contains("__objects"), "{}", help.stdout);
    let r = agentctl(["__objects", "--format", "json"]).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let table: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let kinds: Vec<(String, String)> = table["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .map(|k| {
            (
                k["apiVersion"].as_str().unwrap().to_owned(),
                k["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Everything examples/everything.yaml renders (every optional object on) is in the table.
    let all = agentctl(["render", "-f", "examples/everything.yaml"]).run();
    assert_eq!(all.code, 0, "{}", all.stderr);
    for doc in agentctl::input::yaml::parse_manifests(&all.stdout).expect("stream") {
        let key = (
            doc["apiVersion"].as_str().unwrap().to_owned(),
            doc["kind"].as_str().unwrap().to_owned(),
        );
        assert!(
            kinds.contains(&key),
            "{key:?} is rendered but not in __objects"
        );
    }
    let files: Vec<&str> = table["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.first(), Some(&"namespace.yaml"));
    assert_eq!(files.last(), Some(&"kustomization.yaml"));
}
