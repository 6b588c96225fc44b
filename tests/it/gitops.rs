//! The target Kubernetes version and the GitOps paths (issue 25): `--kube-version`,
//! `kubeVersion:` in an override file or a project environment, the gates of what a version
//! lacks over the final objects (a native sidecar a patch adds), and the way Argo CD and Flux
//! run agentctl.

use crate::support::{self, agentctl, write};

/// A patch that adds a native sidecar (an init container with `restartPolicy: Always`).
const SIDECAR: &str = "\
patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec:
        template:
          spec:
            initContainers:
              - name: log-shipper
                image: fluent/fluent-bit:3.2.2
                restartPolicy: Always
                resources:
                  requests: {cpu: 50m, memory: 64Mi}
                  limits: {cpu: 100m, memory: 128Mi}
                securityContext:
                  runAsNonRoot: true
                  runAsUser: 10001
                  allowPrivilegeEscalation: false
                  readOnlyRootFilesystem: true
                  capabilities: {drop: [ALL]}
                  seccompProfile: {type: RuntimeDefault}
";

#[test]
fn a_native_sidecar_from_a_patch_needs_1_29_and_is_refused_at_its_line() {
    let dir = support::tempdir();
    write(dir.path(), "sidecar.yaml", SIDECAR);
    let refused = agentctl(["render", "-f", "sidecar.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stdout.is_empty());
    for want in [
        "initContainers[name=log-shipper].restartPolicy: native sidecars",
        "needs Kubernetes 1.29; the target is 1.27",
        "--> sidecar.yaml:10:32",
        "written by patches[0]",
        "--kube-version 1.29",
    ] {
        assert!(
            refused.stderr.contains(want),
            "missing {want:?}:\n{}",
            refused.stderr
        );
    }
    // 1.28 lacks it too; every way of writing 1.29 and newer has it.
    let at = |v: &str| {
        agentctl(["render", "-f", "sidecar.yaml", "--kube-version", v])
            .current_dir(dir.path())
            .run()
    };
    assert_eq!(at("1.28").code, 2);
    let base = at("1.29");
    assert_eq!(base.code, 0, "{}", base.stderr);
    assert!(base.stdout.contains("restartPolicy: Always"));
    for v in ["v1.29.3", "1.30.1-eks-1552ad0", "1.31+", "1.33"] {
        let r = at(v);
        assert_eq!(r.code, 0, "{v}: {}", r.stderr);
        // The target decides what is refused, not what is written.
        assert_eq!(r.stdout, base.stdout, "{v}");
    }
    // The same in the override file, as a YAML number (1.30 is not 1.3).
    write(dir.path(), "version.yaml", "kubeVersion: 1.30\n");
    let r = agentctl(["render", "-f", "version.yaml", "-f", "sidecar.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn every_refused_feature_names_the_version_it_needs() {
    let dir = support::tempdir();
    // Pod-level resources: beta from 1.34, beyond what agentctl knows: refused at any target.
    write(
        dir.path(),
        "pod-resources.yaml",
        "kubeVersion: \"1.33\"\npatches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      spec:\n        template:\n          spec:\n            resources:\n              limits: {cpu: \"4\", memory: 8Gi}\n",
    );
    let r = agentctl(["render", "-f", "pod-resources.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("pod-level resources (spec.resources) needs a feature gate in every Kubernetes version agentctl knows (up to 1.33)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("the target, 1.33, is set at pod-resources.yaml:1:14"),
        "{}",
        r.stderr
    );
    // A Service's trafficDistribution: 1.31.
    write(
        dir.path(),
        "traffic.yaml",
        "patches:\n  - target: {kind: Service, name: agent-service}\n    patch:\n      spec:\n        trafficDistribution: PreferClose\n",
    );
    let r = agentctl(["render", "-f", "traffic.yaml", "--kube-version", "1.30"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("Service/agent-service spec.trafficDistribution: a Service's trafficDistribution needs Kubernetes 1.31; the target is 1.30"), "{}", r.stderr);
    let r = agentctl(["render", "-f", "traffic.yaml", "--kube-version", "1.31"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_project_environment_names_its_cluster_version_and_the_flag_wins() {
    let dir = support::tempdir();
    write(dir.path(), "sidecar.yaml", SIDECAR);
    write(
        dir.path(),
        "agentctl.yaml",
        "environments:\n  old:\n    kubeVersion: 1.27\n    overrides: [sidecar.yaml]\n  new:\n    kubeVersion: \"1.30\"\n    overrides: [sidecar.yaml]\n",
    );
    let old = agentctl(["render", "--env", "old"])
        .current_dir(dir.path())
        .run();
    assert_eq!(old.code, 2, "{}", old.stderr);
    assert!(
        old.stderr
            .contains("the target, 1.27, is set at agentctl.yaml:3:18"),
        "{}",
        old.stderr
    );
    assert!(
        old.stderr.contains("in environment `old`"),
        "{}",
        old.stderr
    );
    let new = agentctl(["render", "--env", "new"])
        .current_dir(dir.path())
        .run();
    assert_eq!(new.code, 0, "{}", new.stderr);
    let flag = agentctl(["render", "--env", "old", "--kube-version", "1.29"])
        .current_dir(dir.path())
        .run();
    assert_eq!(flag.code, 0, "{}", flag.stderr);
    let config = agentctl(["config", "--env", "new", "--kube-version", "1.31"])
        .current_dir(dir.path())
        .run();
    assert!(
        config.stdout.contains("kubeVersion: \"1.31\""),
        "{}",
        config.stdout
    );
    // Set twice in one environment: refused, both places shown.
    write(
        dir.path(),
        "agentctl.yaml",
        "environments:\n  both:\n    kubeVersion: \"1.30\"\n    set: {kubeVersion: \"1.31\"}\n",
    );
    let twice = agentctl(["render", "--env", "both"])
        .current_dir(dir.path())
        .run();
    assert_eq!(twice.code, 2);
    assert!(
        twice.stderr.contains("sets kubeVersion twice"),
        "{}",
        twice.stderr
    );
    assert!(
        twice.stderr.contains("agentctl.yaml:4:11"),
        "{}",
        twice.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Argo CD: the config management plugin, run as argocd-cmp-server runs it.

/// Issue 21, W7: `--kube-version` is shown as the flag the user typed, in errors and in
/// `explain`'s layers, never as a `--set kubeVersion=` nobody wrote.
#[test]
fn the_kube_version_flag_is_shown_as_itself() {
    let tmp = support::tempdir();
    let low = agentctl(["render", "-o", "out", "--kube-version", "1.20"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(low.code, 2, "{}", low.stderr);
    assert!(low.stderr.contains("--kube-version 1.20"), "{}", low.stderr);
    assert!(!low.stderr.contains("--set"), "{}", low.stderr);
    assert!(!tmp.path().join("out").exists());
    let explain = agentctl(["explain", "kubeVersion", "--kube-version", "1.30"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain.stdout.contains("--kube-version 1.30"),
        "{}",
        explain.stdout
    );
    assert!(
        !explain.stdout.contains("--set kubeVersion"),
        "{}",
        explain.stdout
    );
    // Not a version at all: the error points into the flag's value.
    let bad = agentctl(["render", "-o", "out", "--kube-version", "latest"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("--kube-version latest"),
        "{}",
        bad.stderr
    );
    // A written render records no note about a flag that changes no file.
    let ok = agentctl(["render", "-o", "out", "--kube-version", "1.31"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(!ok.stderr.contains("recorded nowhere"), "{}", ok.stderr);
}

/// `gitops/argocd/plugin.yaml`, parsed.
fn plugin() -> serde_json::Value {
    let text = std::fs::read_to_string(support::root().join("gitops/argocd/plugin.yaml"))
        .expect("gitops/argocd/plugin.yaml");
    support::lib::yaml(&text).expect("plugin.yaml parses")
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What argocd-cmp-server does for one GenerateManifest request (cmpserver/plugin/plugin.go):
/// the discovery (`discover.fileName`, a glob in the app's directory), then `exec` of
/// `generate.command[0]` with `command[1:] + args`, its working directory the application's
/// path in the extracted repository, its environment the sidecar's own plus the request's
/// (reposerver's `newEnv` and `getPluginEnvs`: ARGOCD_APP_*, KUBE_VERSION, KUBE_API_VERSIONS,
/// the Application's plugin env as ARGOCD_ENV_<name>, ARGOCD_APP_PARAMETERS).
fn cmp_generate(app: &std::path::Path, request: &[(&str, &str)]) -> (i32, String, String) {
    let p = plugin();
    let spec = &p["spec"];
    let file = spec["discover"]["fileName"]
        .as_str()
        .expect("discover.fileName");
    assert!(
        app.join(file).is_file(),
        "the plugin would not discover {}",
        app.display()
    );
    let mut argv = strings(&spec["generate"]["command"]);
    argv.extend(strings(&spec["generate"]["args"]));
    let bin_dir = std::path::Path::new(support::BIN)
        .parent()
        .expect("bin dir");
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(app)
        .env_clear()
        // The sidecar's environment (os.Environ() of argocd-cmp-server, user 999).
        .env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display()),
        )
        .env("HOME", "/home/argocd")
        .env("ARGOCD_BINARY_NAME", "argocd-cmp-server");
    for (k, v) in [
        ("ARGOCD_APP_NAME", "agents-production"),
        ("ARGOCD_APP_NAMESPACE", "agents-prod"),
        ("ARGOCD_APP_PROJECT_NAME", "default"),
        (
            "ARGOCD_APP_REVISION",
            "f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8",
        ),
        ("ARGOCD_APP_REVISION_SHORT", "f913b6c"),
        ("ARGOCD_APP_REVISION_SHORT_8", "f913b6cb"),
        (
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.com/agents.git",
        ),
        ("ARGOCD_APP_SOURCE_PATH", "deploy/agents"),
        ("ARGOCD_APP_SOURCE_TARGET_REVISION", "main"),
        ("KUBE_VERSION", "1.30"),
        (
            "KUBE_API_VERSIONS",
            "v1,apps/v1,batch/v1,policy/v1,autoscaling/v2,networking.k8s.io/v1,monitoring.coreos.com/v1",
        ),
        ("ARGOCD_APP_PARAMETERS", "[]"),
    ] {
        cmd.env(k, v);
    }
    for (k, v) in request {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the generate command");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The manifests Argo CD takes from a generate's stdout (kube.SplitYAMLToString: documents
/// split at `---`, empty ones dropped).
fn documents(stdout: &str) -> usize {
    stdout
        .split("\n---")
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
        })
        .count()
}

#[test]
fn the_argocd_plugin_renders_the_environment_and_never_succeeds_empty() {
    let p = plugin();
    assert_eq!(p["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(p["kind"], "ConfigManagementPlugin");
    assert_eq!(p["spec"]["discover"]["fileName"], "agentctl.yaml");
    // The repository as the repo-server extracts it; the application's path in it.
    let work = support::tempdir();
    let app = work.path().join("deploy/agents");
    std::fs::create_dir_all(&app).expect("app dir");
    write(&app, "sidecar.yaml", SIDECAR);
    write(
        &app,
        "agentctl.yaml",
        "environments:\n  staging:\n    profiles: [dev]\n    set: {namespace: agents-staging}\n  production:\n    kubeVersion: \"1.29\"\n    profiles: [high-throughput]\n    overrides: [sidecar.yaml]\n    set: {namespace: agents-prod}\n",
    );
    let direct = agentctl([
        "render",
        "--quiet",
        "--env",
        "production",
        "--kube-version",
        "1.30",
    ])
    .current_dir(&app)
    .run();
    assert_eq!(direct.code, 0, "{}", direct.stderr);

    let mut runs = Vec::new();
    let mut run = |name: &str, request: &[(&str, &str)]| {
        let r = cmp_generate(&app, request);
        runs.push((name.to_owned(), r.clone()));
        r
    };
    // The environment from the Application's plugin env, the version from Argo CD.
    let (code, stdout, stderr) = run("production", &[("ARGOCD_ENV_AGENTCTL_ENV", "production")]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout, direct.stdout,
        "the plugin's output is `agentctl render --env`'s"
    );
    assert!(documents(&stdout) >= 15, "{} objects", documents(&stdout));
    assert!(stdout.contains("namespace: agents-prod"));
    // Argo CD passes KUBE_VERSION empty when it does not know it: the project's version.
    let (code, stdout, stderr) = run(
        "no-version",
        &[
            ("ARGOCD_ENV_AGENTCTL_ENV", "production"),
            ("KUBE_VERSION", ""),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, direct.stdout);
    // The cluster lacks what the environment needs: refused, naming the version.
    let (code, stdout, stderr) = run(
        "cluster-too-old",
        &[
            ("ARGOCD_ENV_AGENTCTL_ENV", "production"),
            ("KUBE_VERSION", "1.28"),
        ],
    );
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("needs Kubernetes 1.29; the target is 1.28"),
        "{stderr}"
    );
    // An Application may pin the version (plugin env KUBE_VERSION).
    let (code, _, stderr) = run(
        "pinned",
        &[
            ("ARGOCD_ENV_AGENTCTL_ENV", "production"),
            ("KUBE_VERSION", "1.28"),
            ("ARGOCD_ENV_KUBE_VERSION", "1.29"),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    // Every other failure: a non-zero exit, the reason on stderr, nothing on stdout.
    let (code, _, stderr) = run("no-env", &[]);
    assert_ne!(code, 0);
    assert!(stderr.contains("set the environment to render"), "{stderr}");
    let (code, _, stderr) = run("unknown-env", &[("ARGOCD_ENV_AGENTCTL_ENV", "prod")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("prod"), "{stderr}");
    let (code, _, _) = run(
        "cluster-below-floor",
        &[
            ("ARGOCD_ENV_AGENTCTL_ENV", "staging"),
            ("KUBE_VERSION", "1.26"),
        ],
    );
    assert_eq!(code, 2);
    let (code, _, _) = run(
        "cluster-newer",
        &[
            ("ARGOCD_ENV_AGENTCTL_ENV", "staging"),
            ("KUBE_VERSION", "1.34"),
        ],
    );
    assert_eq!(code, 2);
    std::fs::write(app.join("agentctl.yaml"), "environments: [\n").expect("break it");
    let (code, _, _) = run(
        "broken-project",
        &[("ARGOCD_ENV_AGENTCTL_ENV", "production")],
    );
    assert_eq!(code, 2);
    // The promise that makes auto-prune safe: success always has objects, failure never
    // prints any.
    for (name, (code, stdout, _)) in &runs {
        if *code == 0 {
            assert!(documents(stdout) > 0, "{name}: exit 0 with no objects");
        } else {
            assert!(stdout.is_empty(), "{name}: exit {code} printed:\n{stdout}");
        }
    }
}
