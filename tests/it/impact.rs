//! Change impact end to end, from the built binary: `agentctl diff` and `render --check` say
//! per changed object what applying it does (human lines on stderr, `--format json`,
//! `--format markdown`), and `--fail-on` exits 3. Snapshots: `snapshots/impact/`.

use std::path::Path;

use crate::support::{self, Run, agentctl, root, write};

/// Pins a run (exit code, stdout unless it is the unified diff, stderr). The diff left out is
/// checked to be one: a diff per changed file, `--- a/` then `+++ b/`.
fn snap(name: &str, r: &Run, with_stdout: bool) {
    let shown = r.transcript();
    let shown = if with_stdout {
        shown
    } else {
        assert!(
            r.stdout.starts_with("--- a/") && r.stdout.contains("\n+++ b/"),
            "{name}: stdout is not the unified diff:\n{}",
            r.stdout
        );
        shown.stdout_as("(the unified diff)\n")
    };
    let description = format!("agentctl {}", r.args().join(" "));
    support::snapshot("impact", name, &description, &shown.text());
}

/// `out/` rendered from the defaults with every image pinned by digest.
fn rendered() -> tempfile::TempDir {
    let dir = support::tempdir();
    let pinned = std::fs::read_to_string(root().join("examples/pinned-digests.yaml")).unwrap();
    write(dir.path(), "pinned.yaml", &pinned);
    let r = agentctl(["render", "-f", "pinned.yaml", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

/// One change of every class against `out/`: images back to tags (rollout, security), a bigger
/// Redis volume (recreate), backups off (data loss: their claim), one more egress port
/// (security) and a higher HPA bound (in place).
const EVERY_CLASS: &[&str] = &[
    "diff",
    "--set",
    "redis.storage.size=20Gi",
    "--set",
    "backup.enabled=false",
    "--set",
    "networkPolicy.egressPorts=[443,8443]",
    "--set",
    "agent.replicas.max=20",
    "-o",
    "out",
];

fn args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut a = EVERY_CLASS.to_vec();
    a.extend(extra);
    a
}

#[test]
fn every_class_in_human_lines() {
    let dir = rendered();
    let r = agentctl(EVERY_CLASS).current_dir(dir.path()).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("+++ b/out/redis-statefulset.yaml"),
        "the diff is on stdout"
    );
    for line in [
        "update StatefulSet production-agents/redis: recreate, security",
        "update Deployment production-agents/agent-deployment: rollout, security",
        "zero-downtime rolling update of 3–20 pods, surge 1",
        "update HorizontalPodAutoscaler production-agents/agent-hpa: in-place",
        "delete PersistentVolumeClaim production-agents/redis-backup-pvc: data-loss",
        "egress opened: to 0.0.0.0/0 on 443/TCP, 8443/TCP",
        "kubectl delete statefulset redis -n production-agents --cascade=orphan",
    ] {
        assert!(r.stderr.contains(line), "{line}:\n{}", r.stderr);
    }
    snap("every_class_text", &r, false);
    // `render --check` says the same.
    let mut check = vec!["render", "--check"];
    check.extend(&EVERY_CLASS[1..]);
    let c = agentctl(&check).current_dir(dir.path()).run();
    assert_eq!((c.code, &c.stderr), (1, &r.stderr));
}

#[test]
fn every_class_as_json() {
    let dir = rendered();
    let a = args(&["--format", "json"]);
    let r = agentctl(&a).current_dir(dir.path()).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("stdout is JSON");
    assert_eq!(doc["schema"], "agentctl impact v1");
    let changes = doc["changes"].as_array().unwrap();
    let redis = changes
        .iter()
        .find(|c| c["kind"] == "StatefulSet" && c["name"] == "redis")
        .unwrap();
    assert_eq!(redis["change"], "update");
    assert_eq!(redis["namespace"], "production-agents");
    assert_eq!(redis["impact"], serde_json::json!(["recreate", "security"]));
    assert!(redis["fix"].as_str().unwrap().contains("--cascade=orphan"));
    for class in ["in-place", "rollout", "recreate", "data-loss", "security"] {
        assert!(
            doc["counts"][class].as_u64().unwrap() > 0,
            "{class}: {}",
            r.stdout
        );
    }
    snap("every_class_json", &r, true);
    let mut check = vec!["render", "--check"];
    check.extend(&a[1..]);
    assert_eq!(
        agentctl(&check).current_dir(dir.path()).run().stdout,
        r.stdout
    );
}

#[test]
fn every_class_as_markdown() {
    let dir = rendered();
    let a = args(&["--format", "markdown", "-q"]);
    let r = agentctl(&a).current_dir(dir.path()).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(r.stdout.starts_with("### agentctl: what this change does"));
    assert!(r.stdout.contains(
        "| update | `StatefulSet production-agents/redis` | **recreate**, **security** |"
    ));
    snap("every_class_markdown", &r, true);
}

#[test]
fn fail_on_exits_3_only_for_its_classes() {
    let dir = rendered();
    let a = args(&["--fail-on", "recreate,data-loss"]);
    let r = agentctl(&a).current_dir(dir.path()).run();
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.ends_with(
            "exit 3: 2 changes of class recreate, data-loss (--fail-on recreate,data-loss)\n"
        ),
        "{}",
        r.stderr
    );
    // Only in-place changes: drift (1), not 3.
    let only = [
        "diff",
        "-f",
        "pinned.yaml",
        "--set",
        "agent.replicas.max=20",
        "--fail-on",
        "recreate",
        "--fail-on",
        "security",
        "-o",
        "out",
    ];
    let r = agentctl(only).current_dir(dir.path()).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("impact of 2 changed objects: 2 in-place"),
        "{}",
        r.stderr
    );
    // Up to date: 0 whatever --fail-on says.
    let same = [
        "diff",
        "-f",
        "pinned.yaml",
        "--fail-on",
        "in-place",
        "-o",
        "out",
    ];
    assert_eq!(agentctl(same).current_dir(dir.path()).run().code, 0);
}

#[test]
fn project_environments_are_named_on_each_line() {
    let dir = support::tempdir();
    write(
        dir.path(),
        "agentctl.yaml",
        "environments:\n  staging:\n    profiles: [dev]\n    set: {namespace: staging-agents}\n  \
         prod:\n    set: {namespace: prod-agents}\n",
    );
    let r = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = [
        "diff",
        "--all",
        "--set",
        "agent.resources.limits.memory=3Gi",
        "-o",
        "deploy",
    ];
    let r = agentctl(a).current_dir(dir.path()).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("  [prod] update Deployment prod-agents/agent-deployment: rollout"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("  [staging] update Deployment staging-agents/agent-deployment: rollout"),
        "{}",
        r.stderr
    );
    snap("project_text", &r, false);
    let j = agentctl([
        "diff",
        "--all",
        "--set",
        "agent.resources.limits.memory=3Gi",
        "--format",
        "json",
        "-o",
        "deploy",
    ])
    .current_dir(dir.path())
    .run();
    let doc: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let envs: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["environment"].as_str())
        .collect();
    assert!(
        envs.contains(&"prod") && envs.contains(&"staging"),
        "{envs:?}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// Issue 20 class 7/8: a committed file kubectl would read otherwise than agentctl (a YAML
/// merge key, which kubectl resolves) or not at all (a syntax error) refuses the comparison,
/// exit 2, at `REV:file:line:col`; never "no change" and never a delete.
#[test]
fn a_committed_merge_key_or_broken_file_is_an_error_at_its_place() {
    let dir = support::tempdir();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let r = agentctl(["render", "-q", "-o", "deploy"])
        .current_dir(d)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let header = std::fs::read_to_string(d.join("deploy/quota.yaml")).expect("read");
    let header = header.lines().next().expect("header").to_owned();
    let deployment = std::fs::read_to_string(d.join("deploy/deployment.yaml")).expect("read");
    // The merge key in a flow map and in a block map, and a syntax error.
    for (what, committed) in [
        (
            "flow",
            deployment.replacen(
                "metadata:\n",
                "metadata:\n  extra: {<<: {privileged: true}}\n",
                1,
            ),
        ),
        (
            "block",
            deployment.replacen(
                "securityContext:\n",
                "securityContext:\n        <<: {privileged: true}\n",
                1,
            ),
        ),
        (
            "broken",
            format!("{header}\napiVersion: v1\nkind: [ConfigMap\n"),
        ),
    ] {
        std::fs::write(d.join("deploy/deployment.yaml"), &committed).expect("write");
        git(d, &["add", "deploy"]);
        git(d, &["commit", "-qm", what]);
        std::fs::write(d.join("deploy/deployment.yaml"), &deployment).expect("write");
        let run = agentctl(["diff", "--base", "HEAD", "-o", "deploy", "--format", "json"])
            .current_dir(d)
            .run();
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
        let at = committed
            .lines()
            .position(|l| l.contains("<<") || l.starts_with("kind: ["))
            .expect("the line")
            + 1;
        let place = format!("HEAD:deploy/deployment.yaml:{at}:");
        assert!(
            run.stderr.contains(&place),
            "{what}: no {place}:\n{}",
            run.stderr
        );
        let why = if what == "broken" {
            "invalid YAML"
        } else {
            "merge key"
        };
        assert!(run.stderr.contains(why), "{what}: {}", run.stderr);
    }
    // A quoted `"<<"` is an ordinary key (YAML 1.1 merges only the plain one): compared.
    let quoted = deployment.replacen("metadata:\n", "metadata:\n  extra: {\"<<\": x}\n", 1);
    std::fs::write(d.join("deploy/deployment.yaml"), &quoted).expect("write");
    let run = agentctl(["diff", "--base", "HEAD", "-o", "deploy"])
        .current_dir(d)
        .run();
    assert_eq!(
        run.code, 2,
        "the committed side is still broken: {}",
        run.stderr
    );
    git(d, &["add", "deploy"]);
    git(d, &["commit", "-qm", "quoted"]);
    let run = agentctl(["diff", "--base", "HEAD", "-o", "deploy"])
        .current_dir(d)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// CI: the directory as committed at a base revision against the working tree, and two
/// directories, without rendering.
#[test]
fn base_revision_and_base_directory() {
    let dir = support::tempdir();
    git(dir.path(), &["init", "-q"]);
    let r = agentctl(["render", "-q", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    git(dir.path(), &["add", "deploy"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    let same = agentctl(["diff", "--base", "HEAD", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert!(
        same.stderr.contains("deploy is the same at `HEAD` and now"),
        "{}",
        same.stderr
    );
    let r = agentctl([
        "render",
        "-q",
        "--set",
        "redis.storage.size=20Gi",
        "--set",
        "agent.replicas.min=2",
        "-o",
        "deploy",
    ])
    .current_dir(dir.path())
    .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = [
        "diff",
        "--base",
        "HEAD",
        "-o",
        "deploy",
        "--fail-on",
        "recreate",
    ];
    let r = agentctl(a).current_dir(dir.path()).run();
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("--- a/deploy/redis-statefulset.yaml\n+++ b/deploy/redis-statefulset.yaml\n"),
        "{}",
        r.stdout
    );
    snap("base_revision", &r, false);
    // Two directories: the committed state checked out elsewhere.
    let old = dir.path().join("old");
    std::fs::create_dir(&old).unwrap();
    let r2 = agentctl(["render", "-q", "-o", "old"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    let j = agentctl([
        "diff",
        "--base-dir",
        "old",
        "-o",
        "deploy",
        "--format",
        "json",
    ])
    .current_dir(dir.path())
    .run();
    assert_eq!(j.code, 1, "{}", j.stderr);
    let doc: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let kinds: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"StatefulSet") && kinds.contains(&"HorizontalPodAutoscaler"),
        "{kinds:?}"
    );
    // Two directories that agree: said in terms of directories, not of git revisions.
    let same = agentctl(["diff", "--base-dir", "old", "-o", "old"])
        .current_dir(dir.path())
        .run();
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert_eq!(
        same.stderr, "old is the same as `old` (15 generated files)\n",
        "{}",
        same.stderr
    );
}

/// An environment has one label: `diff --base` names it as `diff --all` does (its name, not
/// its output directory), when the project file is in the current directory.
#[test]
fn an_environment_has_one_label_in_every_diff() {
    let run = |d: &Path, args: &[&str]| agentctl(args).current_dir(d).run();
    let dir = support::tempdir();
    let d = dir.path();
    git(d, &["init", "-q"]);
    support::write(
        d,
        "agentctl.yaml",
        "environments:\n  prod-us-east:\n    set: {namespace: agents-us}\n    output: prod/us-east\n  staging:\n    set: {namespace: staging-agents}\n",
    );
    assert_eq!(run(d, &["render", "-q", "--all", "-o", "deploy"]).code, 0);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "base"]);
    support::write(
        d,
        "agentctl.yaml",
        "environments:\n  prod-us-east:\n    set: {namespace: agents-us, agent: {replicas: {min: 4}}}\n    output: prod/us-east\n  staging:\n    set: {namespace: staging-agents, agent: {replicas: {min: 4}}}\n",
    );
    let all = run(d, &["diff", "--all", "-o", "deploy"]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    assert_eq!(run(d, &["render", "-q", "--all", "-o", "deploy"]).code, 0);
    let base = run(d, &["diff", "--base", "HEAD", "-o", "deploy"]);
    assert_eq!(base.code, 1, "{}", base.stderr);
    let labels = |r: &Run| -> Vec<String> {
        r.stderr
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix('['))
            .filter_map(|l| l.split_once(']').map(|(label, _)| label.to_owned()))
            .collect()
    };
    assert_eq!(labels(&all), ["prod-us-east", "staging"], "{}", all.stderr);
    assert_eq!(labels(&base), labels(&all), "{}", base.stderr);
    // Without the project file the directories name themselves.
    std::fs::remove_file(d.join("agentctl.yaml")).unwrap();
    let bare = run(d, &["diff", "--base", "HEAD", "-o", "deploy"]);
    assert_eq!(
        labels(&bare),
        ["prod/us-east", "staging"],
        "{}",
        bare.stderr
    );
}

/// A claim template that shrinks is `recreate`, and its fix does not suggest resizing the
/// existing claim (a PVC can grow, never shrink); one that grows does.
#[test]
fn a_shrinking_claim_is_never_told_to_resize() {
    let dir = support::tempdir();
    let r = agentctl([
        "render",
        "-q",
        "-o",
        "deploy",
        "--set",
        "redis.storage.size=20Gi",
    ])
    .current_dir(dir.path())
    .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let shrink = agentctl(["diff", "-o", "deploy", "--set", "redis.storage.size=10Gi"])
        .current_dir(dir.path())
        .run();
    assert_eq!(shrink.code, 1, "{}", shrink.stderr);
    assert!(shrink.stderr.contains("recreate"), "{}", shrink.stderr);
    assert!(
        shrink.stderr.contains("a claim cannot shrink"),
        "{}",
        shrink.stderr
    );
    assert!(
        !shrink.stderr.contains("kubectl patch pvc"),
        "{}",
        shrink.stderr
    );
    let grow = agentctl(["diff", "-o", "deploy", "--set", "redis.storage.size=40Gi"])
        .current_dir(dir.path())
        .run();
    assert!(grow.stderr.contains("kubectl patch pvc"), "{}", grow.stderr);
    assert!(
        !grow.stderr.contains("a claim cannot shrink"),
        "{}",
        grow.stderr
    );
}

/// `old/` and `new/` rendered into one directory from two sets of inputs.
fn two_renders(old: &[&str], new: &[&str]) -> tempfile::TempDir {
    let dir = support::tempdir();
    for (args, out) in [(old, "old"), (new, "new")] {
        let mut a = vec!["render", "-q"];
        a.extend(args);
        a.extend(["-o", out]);
        let r = agentctl(&a).current_dir(dir.path()).run();
        assert_eq!(r.code, 0, "{a:?}: {}", r.stderr);
    }
    dir
}

/// The stall reasons of the JSON report: (kind/name, text, fix).
fn stalls(dir: &Path) -> Vec<(String, String, String)> {
    let r = agentctl(["diff", "--base-dir", "old", "-o", "new", "--format", "json"])
        .current_dir(dir)
        .run();
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let mut out = Vec::new();
    for c in doc["changes"].as_array().unwrap() {
        for reason in c["reasons"].as_array().unwrap() {
            if reason["class"] == "stall" {
                out.push((
                    format!(
                        "{}/{}",
                        c["kind"].as_str().unwrap(),
                        c["name"].as_str().unwrap()
                    ),
                    reason["text"].as_str().unwrap().to_owned(),
                    reason["fix"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
    }
    out
}

/// From `high-throughput` to the defaults: the quota shrinks to 25 CPU of limits while the
/// 10 running agent pods hold 40, as the control plane's upgrade matrix recorded. Both
/// rollouts stall for certain, Redis is left with no pod, and the fix keeps today's figures for
/// a first apply.
#[test]
fn a_quota_that_shrinks_under_running_pods_stalls_the_rollouts() {
    let dir = two_renders(&["-p", "high-throughput"], &[]);
    let found = stalls(dir.path());
    let names: Vec<&str> = found.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["Deployment/agent-deployment", "StatefulSet/redis"]);
    let (agent, redis) = (&found[0], &found[1]);
    assert!(
        agent
            .1
            .starts_with("rollout stalls for certain with 10 pods")
            && agent.1.contains("limits.cpu would be 42 of 25")
            && agent.1.contains("updatedReplicas 0/10")
            // 5 old pods (20 CPU) + Redis (2.1) + a new pod (2) fit in 25; 6 do not.
            && agent.1.contains(
                "without the fix it resumes only if the autoscaler scales agent-deployment down \
                 to 5 pods or fewer (its new minimum is 3"
            ),
        "{}",
        agent.1
    );
    assert!(
        redis.1.starts_with("rollout stalls for certain")
            && redis
                .1
                .contains("redis is left with no pod: a Redis outage"),
        "{}",
        redis.1
    );
    for fix in [&agent.2, &redis.2] {
        assert!(
            fix.contains("--set quota.limitsCpu=208 --set quota.limitsMemory=207Gi")
                && fix.contains("kubectl apply -k new")
                && fix.contains(
                    "kubectl rollout status deployment/agent-deployment -n production-agents"
                )
                && fix.contains("kubectl rollout status statefulset/redis -n production-agents"),
            "{fix}"
        );
    }
    // The three outputs, and --fail-on stall.
    for (name, format) in [
        ("stall_text", None),
        ("stall_json", Some("json")),
        ("stall_markdown", Some("markdown")),
    ] {
        let mut a = vec!["diff", "--base-dir", "old", "-o", "new"];
        if let Some(f) = format {
            a.extend(["--format", f]);
        }
        let r = agentctl(&a).current_dir(dir.path()).run();
        assert_eq!(r.code, 1, "{}", r.stderr);
        snap(name, &r, format.is_some());
    }
    let a = [
        "diff",
        "--base-dir",
        "old",
        "-o",
        "new",
        "--fail-on",
        "stall",
    ];
    let r = agentctl(a).current_dir(dir.path()).run();
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("exit 3: 2 changes of class stall (--fail-on stall)"),
        "{}",
        r.stderr
    );
}

/// A quota the cluster does not have yet, created smaller than what runs: the same stall, and
/// the fix applies once without it.
#[test]
fn a_quota_created_under_running_pods_stalls_the_rollouts() {
    let dir = two_renders(
        &["-p", "high-throughput", "--set", "quota.enabled=false"],
        &[],
    );
    let found = stalls(dir.path());
    assert_eq!(found.len(), 2, "{found:?}");
    for (_, text, fix) in &found {
        assert!(text.starts_with("rollout stalls for certain"), "{text}");
        assert!(
            fix.starts_with(
                "apply in two steps so the quota comes after the rollout: 1. render with \
                 `--set quota.enabled=false` added to the same inputs"
            ),
            "{fix}"
        );
    }
    // Its first step: nothing stalls.
    let step1 = two_renders(
        &["-p", "high-throughput", "--set", "quota.enabled=false"],
        &["--set", "quota.enabled=false"],
    );
    assert_eq!(stalls(step1.path()), []);
}

/// The fix really works (in the model): the first step, the new render with today's quota
/// kept, stalls nothing; the second step (the quota shrinking after the rollout) replaces no
/// pod, so it stalls nothing either.
#[test]
fn the_two_step_fix_stalls_nothing() {
    let keep = [
        "--set",
        "quota.limitsCpu=208",
        "--set",
        "quota.limitsMemory=207Gi",
        "--set",
        "quota.pods=54",
        "--set",
        "quota.requestsCpu=26",
        "--set",
        "quota.requestsMemory=52Gi",
    ];
    let step1 = two_renders(&["-p", "high-throughput"], &keep);
    assert_eq!(stalls(step1.path()), []);
    let step2 = two_renders(&keep, &[]);
    assert_eq!(stalls(step2.path()), []);
}

/// Where no stall may be predicted: the quota grows; the new render has no quota; the new
/// replicas are few enough that the old pods scale down first and free the room; only the
/// autoscaler's bounds change (no pod replaced); the autoscaler's new maximum is below what
/// runs (it scales the agent down at once).
#[test]
fn no_stall_where_the_quota_holds_the_rollout() {
    for (old, new) in [
        (&[][..], &["-p", "high-throughput"][..]),
        (
            &["-p", "high-throughput"],
            &["--set", "quota.enabled=false"],
        ),
        (
            &[
                "-p",
                "high-throughput",
                "--set",
                "autoscaling.enabled=false",
            ],
            &[
                "-p",
                "high-throughput",
                "--set",
                "autoscaling.enabled=false",
                "--set",
                "agent.replicas.min=3",
                "--set",
                "labels.team=x",
            ],
        ),
        (
            &["-p", "high-throughput"],
            &["-p", "high-throughput", "--set", "agent.replicas.max=12"],
        ),
        (
            &[],
            &["--set", "agent.replicas.max=5", "--set", "labels.team=x"],
        ),
    ] {
        let dir = two_renders(old, new);
        assert_eq!(stalls(dir.path()), [], "{old:?} -> {new:?}");
    }
}

/// The reverse, without the autoscaler: the new render fixes 3 replicas (room for them and a
/// surge pod), but `kubectl apply` without `--prune` leaves the old autoscaler running, which
/// asks for its old minimum of 10 again: that may stall (part-way, or below the 10 it asks for,
/// as the control plane showed), and the fix removes the autoscaler first.
#[test]
fn a_left_behind_autoscaler_may_stall_the_rollout() {
    let dir = two_renders(
        &["-p", "high-throughput"],
        &[
            "-p",
            "high-throughput",
            "--set",
            "autoscaling.enabled=false",
            "--set",
            "agent.replicas.min=3",
            "--set",
            "labels.team=x",
        ],
    );
    let found = stalls(dir.path());
    assert!(
        found.iter().any(|(n, t, _)| {
            n == "Deployment/agent-deployment"
            && t.starts_with(
                "rollout may stall if the old autoscaler is left running (kubectl apply without \
                 --prune"
            )
            && t.contains("ends with fewer pods than the autoscaler asks for")
        }),
        "{found:?}"
    );
    for (_, text, fix) in &found {
        assert!(text.starts_with("rollout may stall"), "{text}");
        assert!(
            fix.starts_with(
                "remove the autoscaler the render no longer has before applying (kubectl delete \
                 horizontalpodautoscaler agent-hpa -n production-agents)"
            ),
            "{fix}"
        );
    }
}

/// The reverse: a rollout that fits at the autoscaler's minimum but not scaled out to its
/// maximum "may stall when scaled out", not "stalls for certain"; and a render whose new pods
/// alone exceed nothing while a fixed set of larger old pods holds the quota stalls for certain
/// without any autoscaler.
#[test]
fn may_stall_when_scaled_out_and_certain_without_an_autoscaler() {
    let dir = two_renders(&["--set", "agent.resources.limits.cpu=3"], &[]);
    let found = stalls(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "Deployment/agent-deployment");
    assert!(
        found[0].1.starts_with(
            "rollout may stall when scaled out (or while a backup job runs) with 10 pods"
        ),
        "{}",
        found[0].1
    );
    let fixed = [
        "--set",
        "autoscaling.enabled=false",
        "--set",
        "agent.replicas.min=8",
    ];
    let mut old = fixed.to_vec();
    old.extend(["--set", "agent.resources.limits.cpu=3"]);
    let dir = two_renders(&old, &fixed);
    let found = stalls(dir.path());
    assert!(
        found
            .iter()
            .any(|(n, t, _)| n == "Deployment/agent-deployment"
                && t.starts_with("rollout stalls for certain with 8 pods")),
        "{found:?}"
    );
}
