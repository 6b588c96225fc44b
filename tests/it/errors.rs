//! The gallery of every user-facing error: each case runs the built binary in a scratch
//! directory and pins its exit code (2) and its full stderr as a snapshot,
//! `snapshots/errors/CASE.snap`, so reading those files shows exactly what a user sees. Every case
//! also has a minimally fixed twin that must succeed, and no bad run may change a file.
//!
//! Two kinds of case:
//! - the bad-input corpus, `tests/corpus/bad/NAME.yaml`, run as `agentctl render -f NAME.yaml`
//!   (a first line `# args: ...` adds arguments before `-f`), with its twin in
//!   `tests/corpus/fixed/NAME.yaml`;
//! - command-line cases in [`CLI_CASES`]: `--set`, profiles, files, usage and refused output.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{self, Run, agentctl, root, tree, write};

/// Credential values planted in cases; no message may ever show them.
const SECRETS: &[&str] = &["DO-NOT-LEAK", "DO_NOT_LEAK", "hunter2", "8675309123"];

/// Pins `$ agentctl ARGS`, the exit code and stderr as `snapshots/errors/NAME.snap`.
fn snapshot(name: &str, output: &Run) {
    let body = output.transcript().with_command().without_stdout().text();
    support::snapshot("errors", name, &output.command_line(), &body);
}

/// Runs a bad case: exit 2, nothing on stdout, no file changed, stderr pinned.
fn check_bad(name: &str, dir: &Path, args: &[String]) {
    let before = tree(dir);
    let started = Instant::now();
    let output = agentctl(args).current_dir(dir).run();
    let took = started.elapsed();
    assert_eq!(
        output.code, 2,
        "case {name}: expected exit 2\nstderr:\n{}",
        output.stderr
    );
    assert!(
        output.stdout.is_empty(),
        "case {name}: an error run printed to stdout:\n{}",
        output.stdout
    );
    let stderr = &output.stderr;
    assert!(stderr.starts_with("error"), "case {name}: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "case {name} panicked: {stderr}"
    );
    for secret in SECRETS {
        assert!(
            !stderr.contains(secret),
            "case {name} echoed the credential {secret}:\n{stderr}"
        );
    }
    assert_eq!(before, tree(dir), "case {name}: a failed run changed files");
    assert!(took < Duration::from_secs(10), "case {name}: took {took:?}");
    snapshot(name, &output);
}

/// Runs a fixed twin: exit 0 and no error output.
fn check_fixed(name: &str, dir: &Path, args: &[String]) {
    let output = agentctl(args).current_dir(dir).run();
    assert_eq!(
        output.code, 0,
        "case {name}: the fixed twin failed\nargs: {args:?}\nstderr:\n{}",
        output.stderr
    );
    assert!(
        !output.stderr.contains("error"),
        "case {name}: the fixed twin reported an error:\n{}",
        output.stderr
    );
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// The bad-input corpus.

/// Twins that are rewrites rather than a line or two of changes, and why.
const REWRITES: &[(&str, &str)] = &[
    (
        "extra-kind-near-misses",
        "three near misses, three one-word fixes",
    ),
    ("patch-values-checked", "four values, four one-word fixes"),
    (
        "patch-removes-containers",
        "three workloads emptied, three one-line fixes",
    ),
    (
        "redis-placement",
        "four Redis placement problems, four one-line fixes",
    ),
    (
        "managed-redis-keeps-in-cluster-extras",
        "three in-cluster Redis features to turn off, one line each",
    ),
    (
        "servicemonitor-tls",
        "five scrape TLS problems, one line each",
    ),
    ("binary-garbage", "the bad file is not text at all"),
    (
        "billion-laughs",
        "the fix is to drop the anchors, i.e. all of it",
    ),
    ("deep-nesting-block", "no setting is nested 40 deep"),
    ("anchor-alias", "aliases are written out in full"),
    (
        "unknown-keys-all-reported",
        "four typos, four one-line fixes",
    ),
    (
        "all-problems-in-one-run",
        "four problems, four one-line fixes",
    ),
    (
        "patch-problems-in-one-run",
        "four patch problems, four one-line fixes",
    ),
];

fn corpus() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let bad = root().join("tests/corpus/bad");
    let fixed = root().join("tests/corpus/fixed");
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(&bad).expect("tests/corpus/bad exists") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let twin = fixed.join(path.file_name().expect("file name"));
        let twin = std::fs::read(&twin)
            .unwrap_or_else(|_| panic!("corpus case {name} has no fixed twin {}", twin.display()));
        cases.push((name, std::fs::read(&path).expect("read case"), twin));
    }
    cases.sort();
    cases
}

fn corpus_args(name: &str, text: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(text);
    let mut args = vec!["render".to_owned()];
    if let Some(extra) = text.lines().next().and_then(|l| l.strip_prefix("# args: ")) {
        args.extend(extra.split_whitespace().map(str::to_owned));
    }
    args.extend(["-f".to_owned(), format!("{name}.yaml")]);
    args
}

/// Lines that differ between a case and its twin.
fn changed_lines(bad: &[u8], fixed: &[u8]) -> usize {
    let bad = String::from_utf8_lossy(bad);
    let fixed = String::from_utf8_lossy(fixed);
    similar::TextDiff::from_lines(bad.as_ref(), fixed.as_ref())
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .count()
}

#[test]
fn corpus_cases_fail_with_their_message_and_their_twins_render() {
    let cases = corpus();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    for (name, bad, fixed) in &cases {
        let dir = support::tempdir();
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, bad).expect("write case");
        check_bad(name, dir.path(), &corpus_args(name, bad));

        std::fs::write(&file, fixed).expect("write twin");
        check_fixed(name, dir.path(), &corpus_args(name, fixed));

        let changed = changed_lines(bad, fixed);
        if !REWRITES.iter().any(|(n, _)| n == name) {
            assert!(
                changed <= 4,
                "case {name}: the fixed twin changes {changed} lines; a twin shows the minimal fix"
            );
        }
    }
}

/// An unknown key does not hide a bad value of the same file: one run reports both.
#[test]
fn an_unknown_key_and_a_bad_value_are_reported_in_one_run() {
    let dir = support::tempdir();
    write(
        dir.path(),
        "my.yaml",
        "agent:\n  replica: 3\n  resources:\n    limits:\n      memory: 4GB\n",
    );
    let r = agentctl(["render", "-f", "my.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown key `replica`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("`4GB` is not a valid memory quantity"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 errors"), "{}", r.stderr);
    // The same mistakes with refused `--set` flags: every one in the same run.
    let r = agentctl([
        "render",
        "-f",
        "my.yaml",
        "--set",
        "agent.replicaz=3",
        "--set",
        "agent.resources.requests.cpu=lots",
    ])
    .current_dir(dir.path())
    .run();
    assert_eq!(r.code, 2);
    for expected in [
        "unknown key `replica`",
        "unknown key `replicaz`",
        "`4GB` is not a valid memory quantity",
        "`lots` is not a valid CPU quantity",
        "4 errors",
    ] {
        assert!(r.stderr.contains(expected), "{expected}: {}", r.stderr);
    }
    // And in a project environment's `set:`, each naming the environment.
    project_set_mistakes(dir.path());
    let r = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2);
    for expected in [
        "unknown key `replica`",
        "agentctl.yaml:5:9",
        "`4GB` is not a valid memory quantity",
        "agentctl.yaml:8:21",
        "in environment `staging`",
        "2 errors",
    ] {
        assert!(r.stderr.contains(expected), "{expected}: {}", r.stderr);
    }
    // Another environment alone still refuses the file: it is checked whole.
    let r = agentctl(["render", "--env", "prod"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("in environment `staging` (its `set:`)"),
        "{}",
        r.stderr
    );
    // A rule about a refused value is not reported: `min: x` is the problem, not `min > max`.
    write(
        dir.path(),
        "my.yaml",
        "agent:\n  replicas: {min: x, max: 2}\n",
    );
    let r = agentctl(["render", "-f", "my.yaml"])
        .current_dir(dir.path())
        .run();
    assert!(!r.stderr.contains("above the maximum"), "{}", r.stderr);
}

/// An enum suggestion never silently points at the opposite of what was meant: `zone` for
/// anti-affinity is not `none` (which turns it off); each choice is described instead.
#[test]
fn an_enum_typo_is_not_steered_to_the_opposite() {
    let r = agentctl(["render", "--set", "agent.antiAffinity=zone"]).run();
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains("did you mean `none`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("`none`: No anti-affinity."),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("agent.zoneSpread"), "{}", r.stderr);
    let r = agentctl(["render", "--set", "agent.antiAffinity=prefered"]).run();
    assert!(
        r.stderr.contains("did you mean `preferred`?"),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Command-line cases.

/// A command-line case: arguments and scratch-directory setup of the bad run and of its twin.
struct CliCase {
    name: &'static str,
    args: &'static [&'static str],
    setup: fn(&Path),
    fixed_args: &'static [&'static str],
    fixed_setup: fn(&Path),
}

fn nothing(_: &Path) {}

/// A project whose `staging` environment's `set:` has an unknown key and a bad value.
fn project_set_mistakes(dir: &Path) {
    write(
        dir,
        "agentctl.yaml",
        "environments:\n  staging:\n    set:\n      agent:\n        replica: 3\n        resources:\n          limits:\n            memory: 4GB\n  prod:\n    profiles: [high-throughput]\n",
    );
}

/// Its twin, both fixed.
fn project_set_fixed(dir: &Path) {
    write(
        dir,
        "agentctl.yaml",
        "environments:\n  staging:\n    set:\n      agent:\n        replicas: {min: 3}\n        resources:\n          limits:\n            memory: 4Gi\n  prod:\n    profiles: [high-throughput]\n",
    );
}

/// An override file with an unknown key and a bad value.
fn two_mistakes_file(dir: &Path) {
    write(
        dir,
        "my.yaml",
        "agent:\n  replica: 3\n  resources:\n    limits:\n      memory: 4GB\n",
    );
}

/// Its twin, both fixed.
fn two_mistakes_fixed(dir: &Path) {
    write(
        dir,
        "my.yaml",
        "agent:\n  replicas: {min: 3}\n  resources:\n    limits:\n      memory: 4Gi\n",
    );
}

fn prod_file(dir: &Path) {
    write(
        dir,
        "prod.yaml",
        "agent:\n  replicas:\n    min: 12\n    max: 20\n",
    );
}

fn conf_dir(dir: &Path) {
    std::fs::create_dir(dir.join("conf.d")).expect("mkdir");
}

fn conf_dir_with_file(dir: &Path) {
    write(dir, "conf.d/prod.yaml", "namespace: agents\n");
}

fn huge_file(dir: &Path) {
    let mut text = String::from("labels:\n");
    let mut i = 0;
    while text.len() <= 1024 * 1024 {
        text.push_str(&format!("  key-{i}: value\n"));
        i += 1;
    }
    write(dir, "huge.yaml", &text);
}

fn small_file(dir: &Path) {
    write(dir, "huge.yaml", "labels:\n  key-0: value\n");
}

fn bad_file(dir: &Path) {
    write(dir, "bad.yaml", "agent:\n  prot: 8080\n");
}

fn good_file(dir: &Path) {
    write(dir, "bad.yaml", "agent:\n  port: 8080\n");
}

fn output_is_a_file(dir: &Path) {
    write(dir, "out", "notes\n");
}

fn foreign_file_in_output(dir: &Path) {
    write(
        dir,
        "out/deployment.yaml",
        "# my hand-written deployment\nkind: Deployment\n",
    );
}

fn repo(dir: &Path) {
    std::fs::create_dir_all(dir.join("repo/.git")).expect("mkdir");
    write(dir, "repo/README.md", "# my project\n");
}

fn symlink_in_output(dir: &Path) {
    write(dir, "elsewhere/service.yaml", "kind: Service\n");
    std::fs::create_dir_all(dir.join("out")).expect("mkdir");
    std::os::unix::fs::symlink("../elsewhere/service.yaml", dir.join("out/service.yaml"))
        .expect("symlink");
}

fn plain_output(dir: &Path) {
    write(dir, "elsewhere/service.yaml", "kind: Service\n");
    std::fs::create_dir_all(dir.join("out")).expect("mkdir");
}

fn rendered_output(dir: &Path) {
    let out = agentctl(strings(&["render", "-q", "-o", "out"]))
        .current_dir(dir)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
}

/// A git repository with the defaults rendered into `deploy/` and committed.
fn committed_render(dir: &Path) {
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    let out = agentctl(strings(&["render", "-q", "-o", "deploy"]))
        .current_dir(dir)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    git(&["add", "deploy"]);
    git(&["commit", "-qm", "render"]);
    git(&["branch", "-f", "release"]);
}

const CLI_CASES: &[CliCase] = &[
    CliCase {
        name: "diff-base-outside-a-git-repository",
        args: &["diff", "--base", "origin/main", "-o", "out"],
        setup: rendered_output,
        fixed_args: &["diff", "--base-dir", "out", "-o", "out"],
        fixed_setup: rendered_output,
    },
    CliCase {
        name: "diff-base-unknown-revision",
        args: &["diff", "--base", "relaese", "-o", "deploy"],
        setup: committed_render,
        fixed_args: &["diff", "--base", "HEAD", "-o", "deploy"],
        fixed_setup: committed_render,
    },
    CliCase {
        name: "diff-base-path-not-in-revision",
        args: &["diff", "--base", "HEAD", "-o", "deploy/prod"],
        setup: committed_render,
        fixed_args: &["diff", "--base", "HEAD", "-o", "deploy"],
        fixed_setup: committed_render,
    },
    // Every problem at once, wherever it is written.
    CliCase {
        name: "project-set-unknown-key-and-bad-value",
        args: &["render", "--all", "-o", "deploy"],
        setup: project_set_mistakes,
        fixed_args: &["render", "--all", "-o", "deploy"],
        fixed_setup: project_set_fixed,
    },
    CliCase {
        name: "file-and-set-flags-every-problem-at-once",
        args: &[
            "render",
            "-f",
            "my.yaml",
            "--set",
            "agent.replicaz=3",
            "--set",
            "agent.port=eighty",
            "--set",
            "agent.resources.requests.cpu=lots",
        ],
        setup: two_mistakes_file,
        fixed_args: &[
            "render",
            "-f",
            "my.yaml",
            "--set",
            "agent.replicas.max=5",
            "--set",
            "agent.port=8080",
            "--set",
            "agent.resources.requests.cpu=1",
        ],
        fixed_setup: two_mistakes_fixed,
    },
    CliCase {
        name: "output-named-like-a-file",
        args: &["render", "-p", "dev", "-o", "manifests.yaml"],
        setup: nothing,
        fixed_args: &["render", "-p", "dev", "-o", "manifests"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "profiles-joined-with-a-comma",
        args: &["render", "-p", "high-throughput,low-latency"],
        setup: nothing,
        fixed_args: &["render", "-p", "high-throughput", "-p", "low-latency"],
        fixed_setup: nothing,
    },
    // --set
    CliCase {
        name: "set-null-for-a-required-value",
        args: &["render", "--set", "agent.replicas.min=null"],
        setup: nothing,
        // `null` removes a map entry: the low-latency profile's node selector goes away.
        fixed_args: &[
            "render",
            "-p",
            "low-latency",
            "--set",
            "agent.nodeSelector.node-type=null",
        ],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-service-field-is-patched-on-the-service",
        args: &[
            "render",
            "--set",
            "agent.service.ipFamilyPolicy=PreferDualStack",
        ],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.service.annotations.team=agents"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-service-type-typo",
        args: &["render", "--set", "agent.service.type=LoadBalancr"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.service.sessionAffinity=ClientIP"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-ephemeral-storage-not-a-quantity",
        args: &[
            "render",
            "--set",
            "agent.resources.limits.ephemeral-storage=2 gigs",
        ],
        setup: nothing,
        fixed_args: &[
            "render",
            "--set",
            "agent.resources.limits.ephemeral-storage=2Gi",
        ],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-extra-port-container-port",
        args: &[
            "render",
            "--set",
            "agent.ports.ws.containerPort=8081",
            "--set",
            "agent.ports.ws.port=8081",
        ],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.ports.ws.port=8081"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-unknown-pod-field",
        args: &["render", "--set", "agent.serviceAccountName=agent-runner"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.serviceAccount.name=agent-runner"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-unknown-key",
        args: &["render", "--set", "agent.replicas.mn=3"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.replicas.min=3"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-without-value",
        args: &["render", "--set", "agent.port"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.port=8080"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-not-an-integer",
        args: &["render", "--set", "agent.port=http"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.port=8080"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-not-a-boolean",
        args: &["render", "--set", "autoscaling.enabled=no"],
        setup: nothing,
        fixed_args: &["render", "--set", "autoscaling.enabled=false"],
        fixed_setup: nothing,
    },
    // Numbers: the rule of a file's plain scalars (`input::yaml::resolve_plain`), same messages.
    CliCase {
        name: "set-hexadecimal-integer",
        args: &["render", "--set", "agent.port=0x1F90"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.port=8080"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-leading-zero-integer",
        args: &["render", "--set", "agent.terminationGracePeriodSeconds=030"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.terminationGracePeriodSeconds=30"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-base-60-integer",
        args: &[
            "render",
            "--set",
            "autoscaling.scaleDownStabilizationSeconds=5:00",
        ],
        setup: nothing,
        fixed_args: &[
            "render",
            "--set",
            "autoscaling.scaleDownStabilizationSeconds=300",
        ],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-exponent-integer",
        args: &["render", "--set", "agent.config.tokenBudgetPerRequest=1e5"],
        setup: nothing,
        fixed_args: &[
            "render",
            "--set",
            "agent.config.tokenBudgetPerRequest=100000",
        ],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-digit-groups-integer",
        args: &[
            "render",
            "--set",
            "agent.config.tokenBudgetPerRequest=100_000",
        ],
        setup: nothing,
        fixed_args: &[
            "render",
            "--set",
            "agent.config.tokenBudgetPerRequest=100000",
        ],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-whole-number-with-a-decimal-point",
        args: &["render", "--set", "agent.replicas.min=2.0"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.replicas.min=2"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-enum-value-not-the-opposite",
        args: &["render", "--set", "agent.antiAffinity=zone"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.zoneSpread=preferred"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-bad-enum-value",
        args: &["render", "--set", "agent.imagePullPolicy=always"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.imagePullPolicy=Always"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-beyond-kubernetes-int32",
        args: &[
            "render",
            "--set",
            "agent.probes.readiness.failureThreshold=2147483648",
        ],
        setup: nothing,
        fixed_args: &[
            "render",
            "--set",
            "agent.probes.readiness.failureThreshold=5",
        ],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-unclosed-list",
        args: &["render", "--set", "networkPolicy.egressPorts=[443,8443"],
        setup: nothing,
        fixed_args: &["render", "--set", "networkPolicy.egressPorts=[443,8443]"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-empty-map-value",
        args: &["render", "--set", "agent.nodeSelector="],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.nodeSelector={}"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-list-of-wrong-items",
        args: &["render", "--set", "networkPolicy.egressPorts=[443, https]"],
        setup: nothing,
        fixed_args: &["render", "--set", "networkPolicy.egressPorts=[443, 8443]"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-empty-path-segment",
        args: &["render", "--set", "agent..port=8080"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.port=8080"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-below-a-leaf",
        args: &["render", "--set", "agent.port.number=8080"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.port=8080"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-multibyte-key",
        args: &["render", "--set", "agënt.port=8080"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.port=8080"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-invalid-quantity",
        args: &["render", "--set", "agent.resources.limits.memory=2000mi"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.resources.limits.memory=2000Mi"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-credential-not-echoed",
        args: &["render", "--set", "agent.config.extra.DB_PASSWORD=hunter2"],
        setup: nothing,
        fixed_args: &["render", "--set", "agent.config.extra.DB_HOST=db"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "set-conflicts-with-file",
        args: &["render", "-f", "prod.yaml", "--set", "agent.replicas.max=8"],
        setup: prod_file,
        fixed_args: &[
            "render",
            "-f",
            "prod.yaml",
            "--set",
            "agent.replicas.max=18",
        ],
        fixed_setup: prod_file,
    },
    CliCase {
        name: "set-several-errors-at-once",
        args: &[
            "render",
            "--set",
            "agent.replicas.mn=3",
            "--set",
            "agent.port=http",
            "--set",
            "redis.imagePullPolicy=sometimes",
        ],
        setup: nothing,
        fixed_args: &[
            "render",
            "--set",
            "agent.replicas.min=3",
            "--set",
            "agent.port=8080",
            "--set",
            "redis.imagePullPolicy=Always",
        ],
        fixed_setup: nothing,
    },
    // Profiles.
    CliCase {
        name: "profile-unknown",
        args: &["render", "-p", "staging"],
        setup: nothing,
        fixed_args: &["render", "-p", "dev"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "profile-typo",
        args: &["render", "-p", "hight-throughput"],
        setup: nothing,
        fixed_args: &["render", "-p", "high-throughput"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "profile-is-never-a-path",
        args: &["render", "-p", "./profiles/dev.yaml"],
        setup: nothing,
        fixed_args: &["render", "-p", "dev"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "profiles-show-unknown",
        args: &["profiles", "show", "low-latancy"],
        setup: nothing,
        fixed_args: &["profiles", "show", "low-latency"],
        fixed_setup: nothing,
    },
    // Files.
    CliCase {
        name: "file-missing",
        args: &["render", "-f", "prod.yaml"],
        setup: nothing,
        fixed_args: &["render", "-f", "prod.yaml"],
        fixed_setup: prod_file,
    },
    CliCase {
        name: "file-is-a-directory",
        args: &["render", "-f", "conf.d"],
        setup: conf_dir,
        fixed_args: &["render", "-f", "conf.d/prod.yaml"],
        fixed_setup: conf_dir_with_file,
    },
    CliCase {
        name: "file-too-large",
        args: &["render", "-f", "huge.yaml"],
        setup: huge_file,
        fixed_args: &["render", "-f", "huge.yaml"],
        fixed_setup: small_file,
    },
    CliCase {
        name: "errors-of-every-layer-at-once",
        args: &[
            "render",
            "-p",
            "prod",
            "-f",
            "bad.yaml",
            "--set",
            "agent.replicas.mn=1",
        ],
        setup: bad_file,
        fixed_args: &[
            "render",
            "-p",
            "dev",
            "-f",
            "bad.yaml",
            "--set",
            "agent.replicas.min=1",
        ],
        fixed_setup: good_file,
    },
    // Usage.
    CliCase {
        name: "usage-unknown-flag",
        args: &["render", "--profiel", "dev"],
        setup: nothing,
        fixed_args: &["render", "--profile", "dev"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "usage-missing-value",
        args: &["render", "-f"],
        setup: nothing,
        fixed_args: &["render", "-f", "prod.yaml"],
        fixed_setup: prod_file,
    },
    CliCase {
        name: "usage-unknown-command",
        args: &["rendr", "-p", "dev"],
        setup: nothing,
        fixed_args: &["render", "-p", "dev"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "usage-check-needs-output",
        args: &["render", "--check"],
        setup: nothing,
        fixed_args: &["render", "--check", "-o", "out"],
        fixed_setup: rendered_output,
    },
    // Refused output.
    CliCase {
        name: "output-is-a-file",
        args: &["render", "-o", "out"],
        setup: output_is_a_file,
        fixed_args: &["render", "-o", "deploy"],
        fixed_setup: output_is_a_file,
    },
    CliCase {
        name: "output-foreign-file-in-the-way",
        args: &["render", "-o", "out"],
        setup: foreign_file_in_output,
        fixed_args: &["render", "-o", "out", "--force"],
        fixed_setup: foreign_file_in_output,
    },
    CliCase {
        name: "output-current-directory",
        args: &["render", "-o", "."],
        setup: nothing,
        fixed_args: &["render", "-o", "out"],
        fixed_setup: nothing,
    },
    CliCase {
        // A key holding dots is quoted; an unclosed quote is located at its opening.
        name: "set-key-with-dots-unclosed-quote",
        args: &["render", "--set", "labels.\"example.com/team=agents"],
        setup: nothing,
        fixed_args: &["render", "--set", "labels.\"example.com/team\"=agents"],
        fixed_setup: nothing,
    },
    CliCase {
        // Refused as the root it is, before anything below it is looked at (it used to list
        // every rendered directory on the machine as "environments").
        name: "output-filesystem-root",
        args: &["render", "-o", "/"],
        setup: rendered_output,
        fixed_args: &["render", "-o", "out"],
        fixed_setup: nothing,
    },
    CliCase {
        name: "output-repository-root",
        args: &["render", "-o", "repo"],
        setup: repo,
        fixed_args: &["render", "-o", "repo/deploy"],
        fixed_setup: repo,
    },
    CliCase {
        name: "output-symlinked-file",
        args: &["render", "-o", "out"],
        setup: symlink_in_output,
        fixed_args: &["render", "-o", "out"],
        fixed_setup: plain_output,
    },
    CliCase {
        name: "diff-fail-on-unknown-class",
        args: &["diff", "--fail-on", "recreate,dataloss", "-o", "out"],
        setup: rendered_output,
        fixed_args: &["diff", "--fail-on", "recreate,data-loss", "-o", "out"],
        fixed_setup: rendered_output,
    },
    CliCase {
        name: "diff-without-directory",
        args: &["diff", "-o", "out"],
        setup: nothing,
        fixed_args: &["diff", "-o", "out"],
        fixed_setup: rendered_output,
    },
];

#[test]
fn command_line_cases_fail_with_their_message_and_their_twins_succeed() {
    for case in CLI_CASES {
        let dir = support::tempdir();
        (case.setup)(dir.path());
        check_bad(case.name, dir.path(), &strings(case.args));

        let dir = support::tempdir();
        (case.fixed_setup)(dir.path());
        check_fixed(case.name, dir.path(), &strings(case.fixed_args));
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs end (no hang) with a message cut to a window (the corpus pins the messages).

#[test]
fn hostile_inputs_fail_fast() {
    let cases: Vec<(&str, String)> = vec![
        (
            "flow-nesting-10k",
            format!("agent: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        (
            "block-nesting-200",
            (0..200)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect(),
        ),
        ("alias-bomb", {
            let mut t = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
            for i in 1..30 {
                let p = i - 1;
                t.push_str(&format!(
                    "a{i}: &a{i} [{}]\n",
                    vec![format!("*a{p}"); 9].join(", ")
                ));
            }
            t
        }),
        ("one-mebibyte-of-keys", {
            let mut t = String::from("labels:\n");
            let mut i = 0;
            while t.len() < 1024 * 1024 - 64 {
                t.push_str(&format!("  k{i}: v\n"));
                i += 1;
            }
            t
        }),
        ("one-mebibyte-of-comments-then-a-typo", {
            let mut t = String::new();
            while t.len() < 1024 * 1024 - 64 {
                t.push_str("# a long comment line, as a generated or pasted file might have\n");
            }
            t.push_str("agent:\n  prot: 1\n");
            t
        }),
        (
            "one-mebibyte-line",
            format!("namespace: {}\n", "x".repeat(1024 * 1000)),
        ),
    ];
    for (name, text) in cases {
        assert!(text.len() as u64 <= 1024 * 1024, "{name} is over the cap");
        let dir = support::tempdir();
        std::fs::write(dir.path().join("case.yaml"), &text).expect("write");
        let started = Instant::now();
        let out = agentctl(strings(&["render", "-f", "case.yaml"]))
            .current_dir(dir.path())
            .run();
        let took = started.elapsed();
        assert_eq!(out.code, 2, "{name}: {out:?}");
        let stderr = &out.stderr;
        assert!(
            stderr.lines().all(|l| l.chars().count() < 400),
            "{name}: a message line is not cut to a window:\n{}",
            &stderr[..stderr.len().min(2000)]
        );
        // A hang detector, not a timing (timings live in the benches): linear work here takes
        // ~0.01–0.3 s in a debug build; quadratic work on a 1 MiB input takes minutes. The bound
        // is wide enough that a loaded 2-core machine running the suite never trips it.
        eprintln!("{name}: {took:?}");
        assert!(
            took < Duration::from_secs(60),
            "{name} took {took:?}: a hang"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Case names. (A snapshot no case pins any more is caught by `cargo insta test
// --unreferenced=reject`.)

/// Two cases of one name would pin one snapshot between them and hide each other.
#[test]
fn every_case_has_its_own_name() {
    let mut expected: Vec<String> = corpus().into_iter().map(|(n, _, _)| n).collect();
    expected.extend(CLI_CASES.iter().map(|c| c.name.to_owned()));
    let unique: std::collections::BTreeSet<&String> = expected.iter().collect();
    assert_eq!(unique.len(), expected.len(), "two cases share a name");
}

/// Annotations over the API server's 256 KiB per object (keys and values): refused at the
/// setting that takes the total over, and at the patch that does, naming the object.
#[test]
fn annotations_over_the_api_server_limit_are_refused_where_they_are_set() {
    let dir = support::tempdir();
    let big = "y".repeat(150_000);
    write(
        dir.path(),
        "annotations.yaml",
        &format!("agent:\n  podAnnotations:\n    example.com/a: {big}\n    example.com/b: {big}\n"),
    );
    let r = agentctl(["render", "-f", "annotations.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    snapshot("annotations-over-limit-setting", &r);
    write(
        dir.path(),
        "patches.yaml",
        &format!(
            "patches:\n  - target: {{kind: Service, name: agent-service}}\n    patch: {{metadata: {{annotations: {{a0: {big}}}}}}}\n  - target: {{kind: Service, name: agent-service}}\n    patch: {{metadata: {{annotations: {{a1: {big}}}}}}}\n"
        ),
    );
    let r = agentctl(["render", "-f", "patches.yaml", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        !dir.path().join("out").exists(),
        "a refused render wrote files"
    );
    snapshot("annotations-over-limit-patch", &r);
    // Just under the limit renders.
    let under = "y".repeat(262_144 - 150_000 - 4);
    write(
        dir.path(),
        "patches.yaml",
        &format!(
            "patches:\n  - target: {{kind: Service, name: agent-service}}\n    patch: {{metadata: {{annotations: {{a0: {big}, a1: {under}}}}}}}\n"
        ),
    );
    let r = agentctl(["render", "-f", "patches.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
}
