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
