//! The CI loop end to end, through the built binary, as a user runs it:
//! `init` → edit → `render -o` → `diff` (0) → change an override → `diff` (1, shows the line)
//! → `render -o` → `diff` (0). Plus `render --check` agreeing with `diff` at every step.

use std::path::Path;

use crate::support::{self, agentctl};

/// `diff` and `render --check` give the same answer and the same diff.
fn check(dir: &Path, code: i32) -> String {
    let inputs = [
        "-p",
        "high-throughput",
        "-f",
        "deploy/prod.yaml",
        "-o",
        "deploy/out",
    ];
    let diff = agentctl([&["diff"][..], &inputs].concat())
        .current_dir(dir)
        .code(code)
        .run()
        .stdout;
    let again = agentctl([&["render", "--check"][..], &inputs].concat())
        .current_dir(dir)
        .code(code)
        .run()
        .stdout;
    assert_eq!(diff, again, "diff and render --check disagree");
    diff
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{from:?} not in {}:\n{text}",
        path.display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn init_edit_render_diff_drift_render_diff() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let file = dir.join("deploy/prod.yaml");

    // init, then edit like a user: uncomment the agent section, pin the image, uncomment and
    // set the replica bounds.
    agentctl(["init", "deploy/prod.yaml"])
        .current_dir(dir)
        .code(0)
        .run();
    edit(&file, "# agent:\n", "agent:\n");
    edit(
        &file,
        "#   image: your-registry/production-agent:v1.0.0",
        "  image: registry.example.com/agent:v2.1.0",
    );
    edit(
        &file,
        "#   replicas:\n#     min: 3\n#     max: 10\n",
        "  replicas:\n    min: 12\n    max: 40\n",
    );

    // render, then diff: identical.
    agentctl([
        "render",
        "-p",
        "high-throughput",
        "-f",
        "deploy/prod.yaml",
        "-o",
        "deploy/out",
    ])
    .current_dir(dir)
    .code(0)
    .run();
    let hpa = std::fs::read_to_string(dir.join("deploy/out/hpa.yaml")).unwrap();
    assert!(
        hpa.contains("  maxReplicas: 40\n"),
        "the edit took effect:\n{hpa}"
    );
    let deployment = std::fs::read_to_string(dir.join("deploy/out/deployment.yaml")).unwrap();
    assert!(deployment.contains("image: registry.example.com/agent:v2.1.0"));
    assert_eq!(check(dir, 0), "");

    // Change an override: drift, and the diff shows the changed line.
    edit(&file, "    max: 40\n", "    max: 45\n");
    let diff = check(dir, 1);
    assert!(
        diff.contains("--- a/deploy/out/hpa.yaml\n+++ b/deploy/out/hpa.yaml\n"),
        "{diff}"
    );
    assert!(
        diff.contains("\n-  maxReplicas: 40\n+  maxReplicas: 45\n"),
        "{diff}"
    );
    // The HPA, and the derived quota that must hold the new maximum (issue 13).
    assert!(
        diff.contains("--- a/deploy/out/quota.yaml\n+++ b/deploy/out/quota.yaml\n"),
        "{diff}"
    );
    assert_eq!(
        diff.lines().filter(|l| l.starts_with("--- ")).count(),
        2,
        "only hpa.yaml and quota.yaml changed:\n{diff}"
    );
    // The check wrote nothing.
    assert_eq!(
        std::fs::read_to_string(dir.join("deploy/out/hpa.yaml")).unwrap(),
        hpa
    );

    // Render again: up to date.
    agentctl([
        "render",
        "-p",
        "high-throughput",
        "-f",
        "deploy/prod.yaml",
        "-o",
        "deploy/out",
    ])
    .current_dir(dir)
    .code(0)
    .run();
    assert_eq!(check(dir, 0), "");

    // A broken override is an error (2), not drift, and the directory is untouched.
    edit(&file, "    max: 45\n", "    max: lots\n");
    let r = agentctl([
        "diff",
        "-p",
        "high-throughput",
        "-f",
        "deploy/prod.yaml",
        "-o",
        "deploy/out",
    ])
    .current_dir(dir)
    .code(2)
    .run();
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("deploy/prod.yaml:"), "{}", r.stderr);
}
