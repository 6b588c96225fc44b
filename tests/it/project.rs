//! The project file end to end, from the built binary: several environments render into their
//! own directories (the same bytes as the equivalent `-p/-f/--set` render), `diff --all` is
//! clean, a changed override drifts exactly the environments that use it, one bad environment
//! writes nothing anywhere, and every project-file error has a pinned message
//! (`snapshots/errors/project/NAME.snap`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{self, agentctl, write};

/// Every file in a directory tree, relative path → content.
fn tree(dir: &Path) -> Vec<(PathBuf, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_owned();
                out.push((rel, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub(crate) const PROJECT: &str = "\
environments:
  dev:
    profiles: [dev]
  prod-eu-west:
    profiles: [high-throughput]
    overrides: [envs/prod.yaml, envs/eu-west.yaml]
    set: {namespace: agents-eu}
  prod-us-east:
    profiles: [high-throughput, low-latency]
    overrides: [envs/prod.yaml]
    set:
      namespace: agents-us
    output: prod/us-east
";

/// A project with three environments: two share `envs/prod.yaml`, one has its own output path.
fn project() -> tempfile::TempDir {
    let dir = support::tempdir();
    write(dir.path(), "agentctl.yaml", PROJECT);
    write(
        dir.path(),
        "envs/prod.yaml",
        "agent:\n  image: registry.example.com/agent:v2\n",
    );
    write(
        dir.path(),
        "envs/eu-west.yaml",
        "agent:\n  config:\n    environment: prod-eu-west\n",
    );
    dir
}

#[test]
fn renders_every_environment_as_the_equivalent_flags_would() {
    let p = project();
    let o = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    let err = o.stderr.clone();
    for dir in ["deploy/dev", "deploy/prod-eu-west", "deploy/prod/us-east"] {
        assert!(err.contains(&format!("wrote {dir}: ")), "{err}");
    }
    // Each environment's directory holds exactly what a single render with the same layers
    // as flags writes.
    let equivalents: &[(&str, &[&str])] = &[
        ("deploy/dev", &["-p", "dev"]),
        (
            "deploy/prod-eu-west",
            &[
                "-p",
                "high-throughput",
                "-f",
                "envs/prod.yaml",
                "-f",
                "envs/eu-west.yaml",
                "--set",
                "namespace=agents-eu",
            ],
        ),
        (
            "deploy/prod/us-east",
            &[
                "-p",
                "high-throughput",
                "-p",
                "low-latency",
                "-f",
                "envs/prod.yaml",
                "--set",
                "namespace=agents-us",
            ],
        ),
    ];
    for (i, (dir, flags)) in equivalents.iter().enumerate() {
        let single = format!("single-{i}");
        let mut args = vec!["render"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["-o", &single]);
        let o = agentctl(&args).current_dir(p.path()).run();
        assert_eq!(o.code, 0, "{}", o.stderr);
        let mut got = tree(&p.path().join(dir));
        assert!(!got.is_empty(), "{dir} is empty");
        // The project's owner marker is what a single render does not write.
        let at = got
            .iter()
            .position(|(p, _)| p == Path::new(".agentctl-owner"));
        let marker = at.map(|i| got.remove(i).1).unwrap_or_default();
        assert!(
            marker.contains("\"project\":\"../agentctl.yaml\""),
            "{dir} has no owner marker naming the project: {marker:?}"
        );
        assert_eq!(
            got,
            tree(&p.path().join(&single)),
            "{dir} differs from {flags:?}"
        );
    }
    let eu = fs::read_to_string(p.path().join("deploy/prod-eu-west/namespace.yaml")).unwrap();
    assert!(eu.contains("name: agents-eu"), "{eu}");
    let dev = tree(&p.path().join("deploy/dev"));
    assert!(
        !dev.iter().any(|(n, _)| n == Path::new("hpa.yaml")),
        "dev has no HPA"
    );
    // Nothing but the three environment directories and the record of them was created.
    let top: BTreeSet<String> = fs::read_dir(p.path().join("deploy"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        top,
        BTreeSet::from([
            ".agentctl-state.json".into(),
            "dev".into(),
            "prod-eu-west".into(),
            "prod".into()
        ])
    );
    // Rendering again changes nothing on disk: no directory gains, loses or renames an entry
    // (no lock note, no record rewritten), so every directory keeps its modification time.
    let dirs = [
        "deploy",
        "deploy/dev",
        "deploy/prod-eu-west",
        "deploy/prod/us-east",
    ];
    let stamps = |p: &Path| -> Vec<std::time::SystemTime> {
        dirs.iter()
            .map(|d| fs::metadata(p.join(d)).unwrap().modified().unwrap())
            .collect()
    };
    let before = stamps(p.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = agentctl(["render", "--all", "-q", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(before, stamps(p.path()), "an up-to-date render --all wrote");
}

#[test]
fn diff_is_clean_then_a_changed_override_drifts_the_environments_that_use_it() {
    let p = project();
    agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .code(0)
        .run();
    let o = agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "");
    assert!(
        o.stderr.contains("3 environments up to date"),
        "{}",
        o.stderr
    );

    // Only prod-eu-west uses eu-west.yaml.
    write(
        p.path(),
        "envs/eu-west.yaml",
        "agent:\n  config:\n    environment: prod-eu-west-2\n",
    );
    let o = agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 1, "{}", o.stderr);
    let err = o.stderr.clone();
    assert!(
        err.contains("drifted: prod-eu-west (deploy/prod-eu-west)"),
        "{err}"
    );
    assert!(!err.contains("drifted: dev"), "{err}");
    assert!(!err.contains("drifted: prod-us-east"), "{err}");
    assert!(err.contains("1 of 3 environments drifted"), "{err}");
    let diff = o.stdout.clone();
    assert!(
        diff.contains("--- a/deploy/prod-eu-west/configmap.yaml"),
        "{diff}"
    );
    assert!(diff.contains("+  ENVIRONMENT: prod-eu-west-2"), "{diff}");
    assert!(!diff.contains("deploy/dev/"), "{diff}");

    // prod.yaml is shared: both production environments drift, and render --check agrees.
    write(
        p.path(),
        "envs/prod.yaml",
        "agent:\n  image: registry.example.com/agent:v3\n",
    );
    let o = agentctl(["render", "--all", "--check", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 1);
    let err = o.stderr.clone();
    assert!(err.contains("drifted: prod-eu-west"), "{err}");
    assert!(
        err.contains("drifted: prod-us-east (deploy/prod/us-east)"),
        "{err}"
    );
    assert!(err.contains("2 of 3 environments drifted"), "{err}");

    // --check wrote nothing; rendering brings every environment back in line.
    agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .code(1)
        .run();
    agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .code(0)
        .run();
    agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .code(0)
        .run();
}

#[test]
fn an_environment_directory_not_rendered_yet_is_drift() {
    let p = project();
    agentctl(["render", "--env", "dev", "-o", "deploy"])
        .current_dir(p.path())
        .code(0)
        .run();
    assert!(
        !p.path().join("deploy/prod-eu-west").exists(),
        "--env renders only dev"
    );
    agentctl(["diff", "--env", "dev", "-o", "deploy"])
        .current_dir(p.path())
        .code(0)
        .run();
    let o = agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 1);
    assert!(
        o.stdout
            .contains("+++ b/deploy/prod-eu-west/deployment.yaml")
    );
    assert!(
        o.stderr.contains("2 of 3 environments drifted"),
        "{}",
        o.stderr
    );
}

#[test]
fn one_environment_streams_without_an_output_directory() {
    let p = project();
    let o = agentctl(["render", "--env", "prod-eu-west"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    let flags = agentctl([
        "render",
        "-p",
        "high-throughput",
        "-f",
        "envs/prod.yaml",
        "-f",
        "envs/eu-west.yaml",
        "--set",
        "namespace=agents-eu",
    ])
    .current_dir(p.path())
    .run();
    assert_eq!(o.stdout, flags.stdout);
    assert!(o.stdout.starts_with("apiVersion: v1\nkind: Namespace\n"));
    // Several environments need a directory each.
    let o = agentctl(["render", "--all"]).current_dir(p.path()).run();
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("needs an output directory"),
        "{}",
        o.stderr
    );
}

#[test]
fn set_flags_apply_to_every_environment_last() {
    let p = project();
    let o = agentctl([
        "render",
        "--all",
        "--set",
        "agent.image=reg.example/agent:ci",
        "-o",
        "deploy",
    ])
    .current_dir(p.path())
    .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    for dir in ["dev", "prod-eu-west", "prod/us-east"] {
        let d =
            fs::read_to_string(p.path().join("deploy").join(dir).join("deployment.yaml")).unwrap();
        assert!(d.contains("image: reg.example/agent:ci"), "{dir}: {d}");
    }
    // -p and -f belong to a single render, not to a project.
    let o = agentctl(["render", "--all", "-p", "dev", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("cannot be used with"), "{}", o.stderr);
}

/// A single render into the directory that holds a project's environments is refused, naming
/// them, and writes nothing: its kustomization.yaml would sit above theirs.
#[test]
fn a_single_render_into_the_environments_root_is_refused() {
    let p = project();
    agentctl(["-q", "render", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .code(0)
        .run();
    let before = tree(&p.path().join("deploy"));
    let o = agentctl(["render", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 2, "{}", o.stderr);
    let err = o.stderr.clone();
    assert!(
        err.contains("refusing a single render into `deploy`"),
        "{err}"
    );
    assert!(
        err.contains("deploy/prod/us-east/ (environment `prod-us-east`)"),
        "{err}"
    );
    assert!(err.contains("agentctl render --all -o deploy"), "{err}");
    assert_eq!(tree(&p.path().join("deploy")), before);
    // --force is about foreign files, not this.
    agentctl(["render", "--force", "-o", "deploy"])
        .current_dir(p.path())
        .code(2)
        .run();
    // Without a project file in sight, the rendered directories are still found.
    fs::remove_file(p.path().join("agentctl.yaml")).unwrap();
    let o = agentctl(["render", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("deploy/dev/\n"), "{}", o.stderr);
    // A directory of its own beside them is fine.
    agentctl(["-q", "render", "-o", "deploy-single"])
        .current_dir(p.path())
        .code(0)
        .run();
}

/// `config`, `explain` and `restore-help` read one environment of the project with `--env`:
/// the same configuration as its profiles, overrides and `set:` given as flags.
#[test]
fn config_and_explain_read_one_environment() {
    let p = project();
    let env = agentctl(["config", "--env", "prod-eu-west"])
        .current_dir(p.path())
        .run();
    assert_eq!(env.code, 0, "{}", env.stderr);
    let flags = agentctl([
        "config",
        "-p",
        "high-throughput",
        "-f",
        "envs/prod.yaml",
        "-f",
        "envs/eu-west.yaml",
        "--set",
        "namespace=agents-eu",
    ])
    .current_dir(p.path())
    .run();
    assert_eq!(env.stdout, flags.stdout);
    let o = agentctl([
        "explain",
        "namespace",
        "--env",
        "prod-us-east",
        "--project",
        "agentctl.yaml",
    ])
    .current_dir(p.path())
    .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("value: agents-us (from agentctl.yaml:"),
        "{}",
        o.stdout
    );
    let o = agentctl([
        "config",
        "--show-origin",
        "--env",
        "dev",
        "--set",
        "agent.config.logLevel=INFO",
    ])
    .current_dir(p.path())
    .run();
    assert!(
        o.stdout.contains("# --set agent.config.logLevel=INFO"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("# profile dev ("), "{}", o.stdout);
    let o = agentctl(["restore-help", "--env", "prod-us-east"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("agents-us"), "{}", o.stdout);
    // An unknown environment is an error with a suggestion; -p does not mix with --env.
    let o = agentctl(["explain", "--env", "prod-eu-wset"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("did you mean `--env prod-eu-west`?"),
        "{}",
        o.stderr
    );
    agentctl(["config", "--env", "dev", "-p", "dev"])
        .current_dir(p.path())
        .code(2)
        .run();
    // A problem of the environment names it.
    write(
        p.path(),
        "envs/eu-west.yaml",
        "agent:\n  replicas: {min: 60}\n",
    );
    let o = agentctl(["config", "--env", "prod-eu-west"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("in environment `prod-eu-west`"),
        "{}",
        o.stderr
    );
}

/// The image-per-commit workflow: CI writes the image into an override file the project
/// lists, renders, and commits both; `diff --all` is then clean, drifts when the file changes,
/// and the update it suggests keeps the file's image. A `--set` instead is said to be
/// recorded nowhere, and the update `diff` suggests repeats the `--set` flags it was given.
#[test]
fn an_image_per_commit_is_an_override_file_and_diff_agrees() {
    let dir = support::tempdir();
    write(
        dir.path(),
        "agentctl.yaml",
        "environments:\n  staging:\n    overrides: [image.yaml]\n    set: {namespace: staging-agents}\n  prod:\n    profiles: [high-throughput]\n    overrides: [image.yaml]\n",
    );
    let image = |sha: &str| {
        write(
            dir.path(),
            "image.yaml",
            &format!("agent:\n  image: reg.example/agent:{sha}\n"),
        );
    };
    image("abc123");
    agentctl(["-q", "render", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .code(0)
        .run();
    let clean = agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    image("def456");
    let drift = agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(drift.code, 1);
    assert!(
        drift
            .stderr
            .contains("update them with `agentctl render --all -o deploy`"),
        "{}",
        drift.stderr
    );
    agentctl(["-q", "render", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .code(0)
        .run();
    let deployment = fs::read_to_string(dir.path().join("deploy/prod/deployment.yaml")).unwrap();
    assert!(
        deployment.contains("reg.example/agent:def456"),
        "{deployment}"
    );
    agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .code(0)
        .run();

    // --set: rendered, but said to be recorded nowhere; diff's update repeats it.
    let set = ["--set", "agent.config.logLevel=DEBUG"];
    let r = agentctl([&["render", "--all", "-o", "deploy"][..], &set].concat())
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`--set agent.config.logLevel=DEBUG` is recorded nowhere"),
        "{}",
        r.stderr
    );
    agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .code(1)
        .run();
    let r = agentctl([&["diff", "--env", "prod", "-o", "deploy"][..], &set].concat())
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    image("0a1b2c");
    let r = agentctl([&["diff", "--env", "prod", "-o", "deploy"][..], &set].concat())
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("`agentctl render --env prod --set agent.config.logLevel=DEBUG -o deploy`"),
        "{}",
        r.stderr
    );
}

/// A problem in an environment's `set:` names that environment (the project file may hold
/// several `set:` maps that look alike).
#[test]
fn an_error_in_an_environments_set_names_the_environment() {
    let dir = support::tempdir();
    write(
        dir.path(),
        "agentctl.yaml",
        "environments:\n  staging:\n    set: {agent: {antiAffinity: zone}}\n  prod:\n    set: {agent: {replicas: {mni: 3}}}\n",
    );
    let o = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(o.code, 2);
    let err = o.stderr.clone();
    assert!(err.contains("in environment `staging`"), "{err}");
    assert!(err.contains("in environment `prod`"), "{err}");
    assert!(!dir.path().join("deploy").exists());
}

#[test]
fn one_bad_environment_writes_nothing_anywhere() {
    let p = project();
    let mut bad = PROJECT.to_owned();
    bad.push_str("  broken:\n    set: {agent: {replicas: {min: 9, max: 2}}}\n");
    write(p.path(), "agentctl.yaml", &bad);
    let o = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("in environment `broken`"), "{}", o.stderr);
    assert!(!p.path().join("deploy").exists(), "nothing may be written");

    // A foreign file in one environment's directory refuses all of them, before any write.
    write(p.path(), "agentctl.yaml", PROJECT);
    write(
        p.path(),
        "deploy/prod-eu-west/deployment.yaml",
        "mine: true\n",
    );
    let o = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 2);
    let err = o.stderr.clone();
    assert!(err.contains("environment `prod-eu-west`"), "{err}");
    assert!(
        err.contains("nothing was written to any environment"),
        "{err}"
    );
    assert!(!p.path().join("deploy/dev").exists());
    assert!(!p.path().join("deploy/prod").exists());
    assert_eq!(
        fs::read_to_string(p.path().join("deploy/prod-eu-west/deployment.yaml")).unwrap(),
        "mine: true\n"
    );
}

#[test]
fn an_output_path_that_is_a_file_is_refused() {
    let p = project();
    write(p.path(), "deploy", "not a directory\n");
    let o = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(p.path())
        .run();
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("output path `deploy` is an existing file, not a directory"),
        "{}",
        o.stderr
    );
    assert_eq!(
        fs::read_to_string(p.path().join("deploy")).unwrap(),
        "not a directory\n"
    );
}

#[test]
fn init_project_scaffolds_two_environments_that_render() {
    let dir = support::tempdir();
    let o = agentctl(["init", "--project"])
        .current_dir(dir.path())
        .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = fs::read_to_string(dir.path().join("agentctl.yaml")).unwrap();
    let o = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    let envs: BTreeSet<String> = fs::read_dir(dir.path().join("deploy"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        envs.len(),
        3,
        "two environments and the state file: {envs:?}"
    );
    // Never overwrites.
    fs::write(dir.path().join("agentctl.yaml"), "environments: {x: {}}\n").unwrap();
    let o = agentctl(["init", "--project"])
        .current_dir(dir.path())
        .run();
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("already exists"), "{}", o.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("agentctl.yaml")).unwrap(),
        "environments: {x: {}}\n"
    );
    assert!(text.contains("environments:"));
    // Another name, in a directory that does not exist yet.
    let o = agentctl(["init", "--project", "ci/agentctl.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("agentctl render --all --project ci/agentctl.yaml -o deploy/")
    );
    fs::rename(
        dir.path().join("ci/agentctl.yaml"),
        dir.path().join("ci.yaml"),
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("ci.yaml")).unwrap(),
        text
    );
    agentctl(["render", "--all", "--project", "ci.yaml", "-o", "d2"])
        .current_dir(dir.path())
        .code(0)
        .run();
}

/// Project-file error cases: (name, project text, extra args). Each runs `render --all -o
/// deploy` in a directory that also has `envs/prod.yaml`; every one must exit 2 and write
/// nothing; its stderr is pinned.
pub(crate) const ERRORS: &[(&str, &str, &[&str])] = &[
    (
        "unknown_keys",
        "environmets: {}\nenvironments:\n  dev:\n    profile: [dev]\n    sett: {namespace: x}\n",
        &[],
    ),
    (
        "missing_override",
        "environments:\n  prod:\n    overrides: [envs/prd.yaml, envs/none.yaml]\n",
        &[],
    ),
    (
        "duplicate_environment",
        "environments:\n  dev:\n    profiles: [dev]\n  prod: {}\n  dev:\n    profiles: [high-throughput]\n",
        &[],
    ),
    (
        "not_dns_names",
        "environments:\n  Prod_EU:\n    profiles: [high-throughput]\n  -staging: {}\n",
        &[],
    ),
    (
        "same_directory",
        "environments:\n  staging: {}\n  qa:\n    output: staging\n",
        &[],
    ),
    (
        "nested_directory",
        "environments:\n  prod: {}\n  prod-eu:\n    output: prod/eu\n  bad:\n    output: ../elsewhere\n",
        &[],
    ),
    (
        "vcs_metadata_output",
        "environments:\n  a:\n    output: .git\n  b:\n    output: x/.git\n  c:\n    output: .hg\n  d:\n    output: .jj/x\n  e:\n    output: y/.Svn/z\n  f:\n    output: .bzr\n  ok:\n    output: .github/x\n",
        &[],
    ),
    (
        "inline_set_schema",
        "environments:\n  prod:\n    set:\n      namespace: agents-eu\n      agent:\n        replicas: {mni: 3}\n        resources: {limits: {memory: lots}}\n",
        &[],
    ),
    (
        "unknown_profile",
        "environments:\n  prod:\n    profiles: [high-throughput, low-latencyy]\n",
        &[],
    ),
    (
        "wrong_shapes",
        "environments:\n  a: [dev]\n  b:\n    profiles: dev\n    overrides: {x: 1}\n    set: namespace=x\n    output: 3\n",
        &[],
    ),
    (
        "no_environments",
        "# only a comment\nprofiles: [dev]\n",
        &[],
    ),
    (
        "unknown_env_flag",
        "environments:\n  staging: {}\n  production: {}\n",
        &["--env", "prodution", "--env", "qa"],
    ),
    (
        "cross_field_in_two_environments",
        "environments:\n  a:\n    overrides: [envs/prod.yaml]\n  b:\n    overrides: [envs/prod.yaml]\n  c: {}\n",
        &[],
    ),
];

#[test]
fn project_file_errors_are_located_and_pinned() {
    for (name, text, extra) in ERRORS {
        let dir = support::tempdir();
        write(dir.path(), "agentctl.yaml", text);
        // Replicas min above max: a cross-field error in an override shared by two environments.
        write(
            dir.path(),
            "envs/prod.yaml",
            "agent:\n  replicas:\n    min: 20\n    max: 4\n",
        );
        let mut args = vec!["render"];
        if extra.is_empty() {
            args.push("--all");
        }
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", "deploy"]);
        let o = agentctl(&args).current_dir(dir.path()).run();
        assert_eq!(o.code, 2, "{name}: {}", o.stderr);
        assert!(
            !dir.path().join("deploy").exists(),
            "{name} wrote something"
        );
        support::snapshot(
            "errors/project",
            name,
            &format!("{}\nagentctl.yaml:\n{text}", o.command_line()),
            &o.transcript().without_code(2).without_stdout().text(),
        );
    }
}

#[test]
fn missing_project_file_is_explained() {
    let dir = support::tempdir();
    let o = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(o.code, 2);
    let err = o.stderr.clone();
    assert!(
        err.contains("no project file: `agentctl.yaml` is not in the current directory"),
        "{err}"
    );
    assert!(err.contains("agentctl init --project"), "{err}");
    let o = agentctl(["diff", "--all", "--project", "nope.yaml", "-o", "deploy"])
        .current_dir(dir.path())
        .run();
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("cannot read project file `nope.yaml`"),
        "{}",
        o.stderr
    );
}

#[test]
fn an_environment_removed_from_the_project_is_drift_and_render_all_removes_its_files() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(
        dir,
        "agentctl.yaml",
        "environments:\n  staging:\n    profiles: [dev]\n  prod-eu:\n    profiles: [high-throughput]\n    output: prod/eu\n",
    );
    agentctl(["render", "--all", "-q", "-o", "deploy"])
        .current_dir(dir)
        .code(0)
        .run();
    write(dir, "deploy/prod/eu/NOTES.md", "the user's own file\n");
    write(
        dir,
        "agentctl.yaml",
        "environments:\n  staging:\n    profiles: [dev]\n",
    );

    // --env renders only what it names and never touches other directories.
    agentctl(["render", "--env", "staging", "-q", "-o", "deploy"])
        .current_dir(dir)
        .code(0)
        .run();
    assert!(dir.join("deploy/prod/eu/deployment.yaml").exists());

    let drift = agentctl(["diff", "--all", "-o", "deploy"])
        .current_dir(dir)
        .run();
    assert_eq!(drift.code, 1, "{}", drift.stderr);
    assert!(
        drift
            .stdout
            .contains("--- a/deploy/prod/eu/deployment.yaml\n+++ /dev/null"),
        "{}",
        drift.stdout
    );
    assert!(!drift.stdout.contains("NOTES.md"));
    assert!(
        drift
            .stderr
            .contains("(no longer in the project) (deploy/prod/eu)"),
        "{}",
        drift.stderr
    );

    let render = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(dir)
        .run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert!(
        render
            .stderr
            .contains("removed deploy/prod/eu: 15 generated files"),
        "{}",
        render.stderr
    );
    let left: Vec<PathBuf> = tree(&dir.join("deploy/prod"))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        left,
        vec![PathBuf::from("eu/NOTES.md")],
        "only the user's file survives"
    );
    agentctl(["diff", "--all", "-q", "-o", "deploy"])
        .current_dir(dir)
        .code(0)
        .run();
}

/// Run from a subdirectory of a project, `--all` says where the project file is (it never
/// uses it silently: `-o` is relative to where you are).
#[test]
fn from_a_subdirectory_the_project_file_above_is_named() {
    let p = project();
    fs::create_dir_all(p.path().join("envs/sub")).unwrap();
    let o = agentctl(["render", "--all", "-o", "deploy"])
        .current_dir(p.path().join("envs/sub"))
        .run();
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains(
            "`../../agentctl.yaml` is in a parent directory: run from there (`cd ../..`), or pass `--project ../../agentctl.yaml`"
        ),
        "{}",
        o.stderr
    );
    assert!(!p.path().join("envs/sub/deploy").exists());
    // The command it suggests works.
    let o = agentctl([
        "render",
        "--all",
        "--project",
        "../../agentctl.yaml",
        "-o",
        "../../deploy",
    ])
    .current_dir(p.path().join("envs/sub"))
    .run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(p.path().join("deploy/dev/kustomization.yaml").is_file());
}

/// An empty override file listed by a project: the way out is the environment's `overrides:`,
/// not the `-f` a single render would drop.
#[test]
fn an_empty_override_file_is_refused_with_the_project_s_way_out() {
    let dir = support::tempdir();
    let text = "environments:\n  prod:\n    overrides: [envs/empty.yaml]\n";
    write(dir.path(), "agentctl.yaml", text);
    write(dir.path(), "envs/empty.yaml", "# nothing yet\n");
    let args = ["render", "--all", "-o", "deploy"];
    let o = agentctl(args).current_dir(dir.path()).code(2).run();
    assert!(!o.stderr.contains("-f"), "{}", o.stderr);
    assert!(!dir.path().join("deploy").exists());
    support::snapshot(
        "errors/project",
        "empty_override",
        &format!("agentctl {}\nagentctl.yaml:\n{text}", args.join(" ")),
        &o.stderr,
    );
}
