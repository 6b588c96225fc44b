//! `crds:`: extra objects of custom kinds checked against CRDs the user lists. End to end with
//! three real-world kinds (GKE `HealthCheckPolicy`, Gateway API `GRPCRoute`, KEDA
//! `TriggerAuthentication`, their CRDs in `tests/data/crds/`): they render, `kubectl
//! kustomize` builds the output to the same stream, and diff, impact, explain and the prune
//! command name them. Every way of getting one wrong is a gallery case
//! (`snapshots/errors/crds-*.snap`: exit 2, nothing written, stderr pinned) with a fixed twin
//! that renders.

use std::path::Path;
use std::process::Command;

use crate::support::{self, agentctl, root, tree, write};

/// The three CRD files, copied into `dir/crds/`.
fn crd_files(dir: &Path) {
    for f in [
        "healthcheckpolicy.yaml",
        "grpcroute.yaml",
        "triggerauthentication.yaml",
    ] {
        let text = std::fs::read_to_string(root().join("tests/data/crds").join(f)).expect("CRD");
        write(dir, &format!("crds/{f}"), &text);
    }
}

const LIST: &str = "crds:\n  - crds/healthcheckpolicy.yaml\n  - crds/grpcroute.yaml\n  - crds/triggerauthentication.yaml\n";

const HEALTH: &str = "  - apiVersion: networking.gke.io/v1
    kind: HealthCheckPolicy
    metadata:
      name: agent-health
    spec:
      default:
        checkIntervalSec: 15
        config:
          type: HTTP
          httpHealthCheck:
            port: 8080
            requestPath: /healthz
      targetRef:
        group: \"\"
        kind: Service
        name: agent-service
";

const GRPC: &str = "  - apiVersion: gateway.networking.k8s.io/v1
    kind: GRPCRoute
    metadata:
      name: agent-grpc
    spec:
      parentRefs:
        - name: shared-gateway
          namespace: gateways
      hostnames: [agent.example.com]
      rules:
        - matches:
            - method:
                service: agent.v1.Agent
          backendRefs:
            - name: agent-service
              port: 8080
";

const TRIGGER: &str = "  - apiVersion: keda.sh/v1alpha1
    kind: TriggerAuthentication
    metadata:
      name: redis-auth
    spec:
      secretTargetRef:
        - parameter: password
          name: redis-credentials
          key: password
";

/// The override file with the three objects.
fn good() -> String {
    format!("{LIST}resources:\n{HEALTH}{GRPC}{TRIGGER}")
}

fn render(dir: &Path, args: &[&str]) -> support::Run {
    agentctl(args).current_dir(dir).run()
}

#[test]
fn three_custom_kinds_render_build_and_show_everywhere() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    crd_files(dir);
    write(dir, "gke.yaml", &good());
    let stream = render(dir, &["render", "-q", "-f", "gke.yaml"]);
    assert_eq!(stream.code, 0, "{}", stream.stderr);
    // The objects, in the output's namespace with the common labels, as written.
    let docs = support::lib::parse_manifests(&stream.stdout).expect("YAML");
    for (kind, name) in [
        ("HealthCheckPolicy", "agent-health"),
        ("GRPCRoute", "agent-grpc"),
        ("TriggerAuthentication", "redis-auth"),
    ] {
        let o = docs
            .iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind}/{name} rendered"));
        assert_eq!(o["metadata"]["namespace"], "production-agents", "{o}");
        assert_eq!(
            o["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "agentctl"
        );
    }
    let grpc = docs.iter().find(|d| d["kind"] == "GRPCRoute").unwrap();
    assert_eq!(grpc["spec"]["rules"][0]["backendRefs"][0]["port"], 8080);
    // The CRDs are prerequisites, never rendered.
    assert!(!docs.iter().any(|d| d["kind"] == "CustomResourceDefinition"));
    let loud = render(dir, &["render", "-f", "gke.yaml"]);
    assert!(
        loud.stderr
            .contains("the CRDs of networking.gke.io listed under `crds:`"),
        "{}",
        loud.stderr
    );

    // kubectl kustomize builds the directory into the same stream.
    let out = render(dir, &["render", "-q", "-f", "gke.yaml", "-o", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let built = Command::new("kubectl")
        .args(["kustomize", "out"])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("!!! kubectl is required for this test ({e}) !!!"));
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert_eq!(String::from_utf8(built.stdout).unwrap(), stream.stdout);
    // The prune command in kustomization.yaml covers the custom kinds.
    let k = std::fs::read_to_string(dir.join("out/kustomization.yaml")).unwrap();
    for gvk in [
        "--prune-allowlist=networking.gke.io/v1/HealthCheckPolicy",
        "--prune-allowlist=gateway.networking.k8s.io/v1/GRPCRoute",
        "--prune-allowlist=keda.sh/v1alpha1/TriggerAuthentication",
    ] {
        assert!(k.contains(gvk), "{gvk}: {k}");
    }
    let extra = std::fs::read_to_string(dir.join("out/extra-objects.yaml")).unwrap();
    assert!(extra.contains("kind: HealthCheckPolicy") && extra.contains("kind: GRPCRoute"));

    // diff against an output without them: three objects to create, and what it does.
    let base = render(dir, &["render", "-q", "-o", "base"]);
    assert_eq!(base.code, 0, "{}", base.stderr);
    let diff = render(dir, &["diff", "-f", "gke.yaml", "-o", "base"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    for line in [
        "create HealthCheckPolicy production-agents/agent-health",
        "create GRPCRoute production-agents/agent-grpc",
        "create TriggerAuthentication production-agents/redis-auth",
    ] {
        assert!(diff.stderr.contains(line), "{line}: {}", diff.stderr);
    }
    assert!(diff.stdout.contains("+kind: GRPCRoute"), "{}", diff.stdout);
    // A change to one is classed like any object's.
    write(
        dir,
        "gke2.yaml",
        &good().replace("checkIntervalSec: 15", "checkIntervalSec: 30"),
    );
    let changed = render(dir, &["diff", "-f", "gke2.yaml", "-o", "out"]);
    assert_eq!(changed.code, 1, "{}", changed.stderr);
    assert!(
        changed
            .stderr
            .contains("HealthCheckPolicy production-agents/agent-health"),
        "{}",
        changed.stderr
    );
    assert!(
        changed.stdout.contains("+    checkIntervalSec: 30"),
        "{}",
        changed.stdout
    );

    // explain: where each object and each CRD came from.
    let explain = render(dir, &["explain", "crds", "-f", "gke.yaml"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    for kind in [
        "HealthCheckPolicy (networking.gke.io; served: v1)",
        "GRPCRoute (gateway.networking.k8s.io; served: v1, v1alpha2)",
        "ClusterTriggerAuthentication",
    ] {
        assert!(explain.stdout.contains(kind), "{kind}: {}", explain.stdout);
    }
    assert!(
        explain.stdout.contains("listed at gke.yaml:2:5"),
        "{}",
        explain.stdout
    );
    let explain = render(dir, &["explain", "resources", "-f", "gke.yaml"]);
    assert!(
        explain
            .stdout
            .contains("GRPCRoute/agent-grpc from gke.yaml:"),
        "{}",
        explain.stdout
    );
}

#[test]
fn a_patch_over_a_custom_object_is_checked_against_its_crd() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    crd_files(dir);
    let patch = |weight: &str| {
        format!(
            "{}patches:\n  - target: {{kind: GRPCRoute, name: agent-grpc}}\n    patch:\n      - op: add\n        path: /spec/rules/0/backendRefs/0/weight\n        value: {weight}\n",
            good()
        )
    };
    write(dir, "ok.yaml", &patch("10"));
    let ok = render(dir, &["render", "-q", "-f", "ok.yaml"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("weight: 10"), "{}", ok.stdout);
    write(dir, "bad.yaml", &patch("-5"));
    let before = tree(dir);
    let bad = render(dir, &["render", "-f", "bad.yaml", "-o", "out"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert_eq!(before, tree(dir));
    // At the patch's value, naming the CRD.
    let lines = bad.stderr.lines().count();
    let at = format!("bad.yaml:{}:", good().lines().count() + 6);
    assert!(bad.stderr.contains(&at), "{at}: {}", bad.stderr);
    assert!(
        bad.stderr.contains("-5 is less than the minimum of 0"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr.contains("the CRD `crds/grpcroute.yaml`"),
        "{lines}: {}",
        bad.stderr
    );
}

#[test]
fn a_project_lists_crds_from_an_environment_and_an_override_below_it() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    crd_files(dir);
    // The override in envs/ reaches the project's crds/ with `..`: inside the project.
    write(
        dir,
        "envs/prod.yaml",
        &format!("crds: [../crds/grpcroute.yaml]\nresources:\n{GRPC}"),
    );
    write(
        dir,
        "agentctl.yaml",
        "environments:\n  prod:\n    overrides: [envs/prod.yaml]\n    set:\n      crds: [crds/healthcheckpolicy.yaml]\n      resources:\n        - apiVersion: networking.gke.io/v1\n          kind: HealthCheckPolicy\n          metadata: {name: agent-health}\n          spec: {targetRef: {kind: Service, name: agent-service}}\n",
    );
    let all = render(dir, &["render", "--all", "-q", "-o", "deploy"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let extra = std::fs::read_to_string(dir.join("deploy/prod/extra-objects.yaml")).unwrap();
    assert!(extra.contains("kind: GRPCRoute") && extra.contains("kind: HealthCheckPolicy"));
    // Out of the project: refused before anything is read, and nothing written.
    write(
        dir,
        "envs/prod.yaml",
        &format!("crds: [../../grpcroute.yaml]\nresources:\n{GRPC}"),
    );
    let before = tree(dir);
    let out = render(dir, &["render", "--all", "-o", "deploy"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("CRD file `../../grpcroute.yaml` is outside the project's directory"),
        "{}",
        out.stderr
    );
    assert_eq!(before, tree(dir));
}

/// A gallery case: the bad override (with the CRD files and `extra` files around it) fails
/// with its pinned message and changes nothing; the fixed one renders.
fn case(name: &str, bad: &str, fixed: &str, extra: &[(&str, &str)]) {
    let tmp = support::tempdir();
    let dir = tmp.path();
    crd_files(dir);
    for (f, text) in extra {
        write(dir, f, text);
    }
    write(dir, "over.yaml", bad);
    let before = tree(dir);
    let run = render(dir, &["render", "-f", "over.yaml", "-o", "out"]);
    assert_eq!(run.code, 2, "{name}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    assert_eq!(before, tree(dir), "{name}: a failed run changed files");
    let body = run.transcript().with_command().without_stdout().text();
    support::snapshot("errors", name, &run.command_line(), &body);
    write(dir, "over.yaml", fixed);
    let ok = render(dir, &["render", "-q", "-f", "over.yaml", "-o", "out"]);
    assert_eq!(ok.code, 0, "{name}: the fixed twin failed: {}", ok.stderr);
}

#[test]
fn gallery_of_crd_errors() {
    let res = |objs: &str| format!("{LIST}resources:\n{objs}");
    // Against the schema: an unknown field, a value outside the enum, a quoted number, a
    // missing required field, every one at its line, naming the CRD.
    case(
        "crds-schema-problems",
        &res(&HEALTH
            .replace("checkIntervalSec", "checkIntervalSecs")
            .replace("type: HTTP", "type: HTPP")
            .replace("port: 8080", "port: \"8080\"")
            .replace("      targetRef:\n        group: \"\"\n        kind: Service\n        name: agent-service\n", "")),
        &res(HEALTH),
        &[],
    );
    // The version, the group, the kind: each a did-you-mean.
    case(
        "crds-version-group-kind",
        &res(&format!(
            "{}{}{}",
            GRPC.replace("/v1\n", "/v2\n"),
            HEALTH.replace("networking.gke.io/v1", "gke.io/v1"),
            TRIGGER.replace("kind: TriggerAuthentication", "kind: TriggerAuth")
        )),
        &res(&format!("{GRPC}{HEALTH}{TRIGGER}")),
        &[],
    );
    case(
        "crds-cluster-scoped",
        &res(&TRIGGER.replace("TriggerAuthentication", "ClusterTriggerAuthentication")),
        &res(TRIGGER),
        &[],
    );
    // Not listed at all: the fix says how to list it.
    case(
        "crds-not-listed",
        &format!("resources:\n{GRPC}"),
        &format!("crds: [crds/grpcroute.yaml]\nresources:\n{GRPC}"),
        &[],
    );
    // The files: missing (with the path it was looked for at), outside, not a CRD, not YAML,
    // an old apiextensions version, an entry that is not a path.
    case(
        "crds-missing-file",
        &format!("crds: [crds/grpcroutes.yaml]\nresources:\n{GRPC}"),
        &format!("crds: [crds/grpcroute.yaml]\nresources:\n{GRPC}"),
        &[],
    );
    case(
        "crds-outside",
        &format!("crds: [../grpcroute.yaml, /etc/hostname]\nresources:\n{GRPC}"),
        &format!("crds: [crds/grpcroute.yaml]\nresources:\n{GRPC}"),
        &[],
    );
    case(
        "crds-not-a-crd",
        &format!("crds: [crds/grpcroute.yaml, cm.yaml, empty.yaml]\nresources:\n{GRPC}"),
        &format!("crds: [crds/grpcroute.yaml]\nresources:\n{GRPC}"),
        &[
            (
                "cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            ),
            ("empty.yaml", "# nothing\n"),
        ],
    );
    case(
        "crds-not-yaml",
        &format!(
            "crds: [crds/grpcroute.yaml, broken.yaml, old.yaml, {{path: x}}]\nresources:\n{GRPC}"
        ),
        &format!("crds: [crds/grpcroute.yaml]\nresources:\n{GRPC}"),
        &[
            (
                "broken.yaml",
                "apiVersion: apiextensions.k8s.io/v1\nkind: [CustomResourceDefinition\n",
            ),
            (
                "old.yaml",
                "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com}\n",
            ),
        ],
    );
}

/// A CRD's group, kind, plural and version names are the API server's (a DNS subdomain with a
/// dot, DNS-1035 labels): they reach the objects' `apiVersion`/`kind` and the prune command
/// agentctl prints, where `ex$(touch PWNED).com` ran a command when pasted (issue 20 re-attack).
#[test]
fn a_crd_s_names_are_checked_before_they_are_printed() {
    let crd = |group: &str, kind: &str, plural: &str, version: &str| {
        format!(
            "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: x}}
spec:
  group: {group:?}
  names: {{kind: {kind:?}, plural: {plural:?}}}
  scope: Namespaced
  versions:
    - name: {version:?}
      served: true
      storage: true
      schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
"
        )
    };
    let bad = [
        crd("ex$(touch${IFS}PWNED).com", "Widget", "widgets", "v1"),
        crd("example", "Widget", "widgets", "v1"),
        crd("example.com", "Wid$(id)get", "widgets", "v1"),
        crd("example.com", "Widget", "wid gets", "v1"),
        crd("example.com", "Widget", "widgets", "v1`id`"),
    ];
    for (i, text) in bad.iter().enumerate() {
        let tmp = support::tempdir();
        let dir = tmp.path();
        write(dir, "crds/w.yaml", text);
        write(dir, "over.yaml", "crds: [crds/w.yaml]\n");
        let run = render(dir, &["render", "-f", "over.yaml", "-o", "out"]);
        assert_eq!(run.code, 2, "case {i}: {}", run.stderr);
        assert!(
            run.stderr.contains("which the API server refuses"),
            "case {i}: {}",
            run.stderr
        );
        assert!(!dir.join("out").exists(), "case {i}");
    }
    // The good twin renders, and its kind reaches the prune command as a plain word.
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(
        dir,
        "crds/w.yaml",
        &crd("example.com", "Widget", "widgets", "v1"),
    );
    write(
        dir,
        "over.yaml",
        "crds: [crds/w.yaml]\nresources:\n  - {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}\n",
    );
    let ok = render(dir, &["render", "-q", "-f", "over.yaml", "-o", "out"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let k = std::fs::read_to_string(dir.join("out/kustomization.yaml")).expect("kustomization");
    assert!(k.contains("--prune-allowlist=example.com/v1/Widget"), "{k}");
}

/// Built-in group/versions removed before 1.33 (flowcontrol v1beta2 in 1.29, v1beta3 in 1.32):
/// accepted by lookup only where the target serves them, else refused with the version that
/// stopped serving them; removed before the floor (batch/v1beta1): refused with when it went.
#[test]
fn group_versions_removed_before_1_33_follow_the_target() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let obj = |api: &str, kind: &str| {
        format!(
            "resources:\n  - {{apiVersion: {api}, kind: {kind}, metadata: {{name: x}}, spec: {{}}}}\n"
        )
    };
    let run = |text: &str, version: &str| {
        write(dir, "old.yaml", text);
        render(
            dir,
            &["render", "--kube-version", version, "-f", "old.yaml"],
        )
    };
    let fs = obj("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema");
    let gone = run(&fs, "1.32");
    assert_eq!(gone.code, 2, "{}", gone.stderr);
    assert!(
        gone.stderr.contains("flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is not served since Kubernetes 1.32; the target is 1.32"),
        "{}",
        gone.stderr
    );
    assert!(
        gone.stderr
            .contains("use `apiVersion: flowcontrol.apiserver.k8s.io/v1`"),
        "{}",
        gone.stderr
    );
    // Served by 1.31: then what refuses it is its scope, as for every cluster-scoped kind.
    let served = run(&fs, "1.31");
    assert_eq!(served.code, 2, "{}", served.stderr);
    assert!(
        served.stderr.contains("a FlowSchema is cluster-scoped"),
        "{}",
        served.stderr
    );
    let v1beta2 = run(
        &obj(
            "flowcontrol.apiserver.k8s.io/v1beta2",
            "PriorityLevelConfiguration",
        ),
        "1.29",
    );
    assert!(
        v1beta2.stderr.contains("not served since Kubernetes 1.29"),
        "{}",
        v1beta2.stderr
    );
    let cron = run(&obj("batch/v1beta1", "CronJob"), "1.27");
    assert_eq!(cron.code, 2, "{}", cron.stderr);
    assert!(
        cron.stderr.contains("`batch/v1beta1` is not served since Kubernetes 1.25: no version agentctl supports (1.27 to 1.33) serves it"),
        "{}",
        cron.stderr
    );
    assert!(
        cron.stderr.contains("did you mean `apiVersion: batch/v1`?"),
        "{}",
        cron.stderr
    );
}

/// A project gallery case: `agentctl render --all` of the bad `agentctl.yaml` (with the CRD
/// files and `extra` files around it) fails with its pinned message and changes nothing; the
/// fixed one renders.
fn project_case(name: &str, bad: &str, fixed: &str, extra: &[(&str, &str)]) {
    let tmp = support::tempdir();
    let dir = tmp.path();
    crd_files(dir);
    for (f, text) in extra {
        write(dir, f, text);
    }
    write(dir, "agentctl.yaml", bad);
    let before = tree(dir);
    let run = render(dir, &["render", "--all", "-o", "deploy"]);
    assert_eq!(run.code, 2, "{name}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    assert_eq!(before, tree(dir), "{name}: a failed run changed files");
    let body = run.transcript().with_command().without_stdout().text();
    support::snapshot("errors", name, &run.command_line(), &body);
    write(dir, "agentctl.yaml", fixed);
    let ok = render(dir, &["render", "--all", "-q", "-o", "deploy"]);
    assert_eq!(ok.code, 0, "{name}: the fixed twin failed: {}", ok.stderr);
}

/// `crds:` directly under an environment, beside `overrides:`: relative to the project file
/// (not to the override files that hold the objects), located at its line when wrong, and
/// refused when `set:` lists them too.
#[test]
fn an_environment_lists_crds_beside_its_overrides() {
    let prod = format!("resources:\n{GRPC}{HEALTH}");
    let env = "environments:\n  prod:\n    overrides: [envs/prod.yaml]\n    crds: [crds/grpcroute.yaml, crds/healthcheckpolicy.yaml]\n";
    let tmp = support::tempdir();
    let dir = tmp.path();
    crd_files(dir);
    write(dir, "envs/prod.yaml", &prod);
    write(dir, "agentctl.yaml", env);
    let all = render(dir, &["render", "--all", "-q", "-o", "deploy"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let extra = std::fs::read_to_string(dir.join("deploy/prod/extra-objects.yaml")).unwrap();
    assert!(extra.contains("kind: GRPCRoute") && extra.contains("kind: HealthCheckPolicy"));
    let explain = render(dir, &["explain", "crds", "--env", "prod"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain.stdout.contains("agentctl.yaml:4:"),
        "{}",
        explain.stdout
    );
    let files = [("envs/prod.yaml", prod.as_str())];
    // A misspelled file: at its entry in agentctl.yaml.
    project_case(
        "crds-environment-missing-file",
        &env.replace("crds/grpcroute.yaml", "crds/grpcroutes.yaml"),
        env,
        &files,
    );
    // Listed twice: under the environment and in its `set:`.
    project_case(
        "crds-environment-listed-twice",
        &format!("{env}    set:\n      crds: [crds/triggerauthentication.yaml]\n"),
        &format!("{env}    set:\n      namespace: agents-prod\n"),
        &files,
    );
    // Not a list.
    project_case(
        "crds-environment-not-a-list",
        &env.replace(
            "crds: [crds/grpcroute.yaml, crds/healthcheckpolicy.yaml]",
            "crds: crds/grpcroute.yaml",
        ),
        env,
        &files,
    );
}

/// The custom kinds agentctl renders (ServiceMonitor, PrometheusRule, ...) are judged by
/// agentctl's model of the fields its templates write, unless the user lists the operator's
/// CRD: then every field the CRD has passes, in a patch of agentctl's own object and in an
/// extra object, and a misspelled one is refused with the CRD named. The operators' CRDs are
/// read from `../shared/reference/crds` (CI has it; a fresh clone does not: said loudly, not run).
#[test]
fn the_kinds_agentctl_renders_take_every_field_of_a_listed_crd() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let reference = root().join("../shared/reference/crds");
    let files = [
        "monitoring.coreos.com_servicemonitors.yaml",
        "monitoring.coreos.com_prometheusrules.yaml",
    ];
    if !files.iter().all(|f| reference.join(f).is_file()) {
        eprintln!(
            "NOT RUN: the_kinds_agentctl_renders_take_every_field_of_a_listed_crd needs {} (the operators' CRDs)",
            reference.display()
        );
        return;
    }
    for f in files {
        let text = std::fs::read_to_string(reference.join(f)).expect("CRD");
        write(dir, &format!("crds/{f}"), &text);
    }
    // Without the CRDs listed: agentctl's model refuses a field it does not render, and says
    // how to have the CRD judge it.
    write(
        dir,
        "unlisted.yaml",
        "patches:\n  - target: {kind: ServiceMonitor, name: agent-metrics}\n    patch:\n      spec:\n        endpoints:\n          - port: http\n            followRedirects: true\n",
    );
    let unlisted = render(dir, &["render", "-q", "-f", "unlisted.yaml"]);
    assert_eq!(unlisted.code, 2, "{}", unlisted.stderr);
    assert!(
        unlisted.stderr.contains("list its CRD under `crds:`"),
        "{}",
        unlisted.stderr
    );
    // The operator's CRD may well have the field: agentctl does not claim it would be dropped.
    assert!(
        unlisted.stderr.contains("not a field agentctl's model of")
            && !unlisted.stderr.contains("would drop it"),
        "{}",
        unlisted.stderr
    );

    write(
        dir,
        "over.yaml",
        "crds:\n  - crds/monitoring.coreos.com_servicemonitors.yaml\n  - crds/monitoring.coreos.com_prometheusrules.yaml\npatches:
  - target: {kind: ServiceMonitor, name: agent-metrics}
    patch:
      spec:
        endpoints:
          - port: http
            scheme: https
            honorLabels: true
            authorization: {credentials: {name: scrape-token, key: token}}
            tlsConfig: {serverName: agent-service.production-agents.svc}
            metricRelabelings: [{action: drop, sourceLabels: [__name__], regex: go_.*}]
resources:
  - apiVersion: monitoring.coreos.com/v1
    kind: PrometheusRule
    metadata: {name: extra-alerts}
    spec:
      groups:
        - name: extra
          interval: 1m
          rules:
            - alert: SessionsDropping
              expr: sum(rate(sessions_dropped_total[5m])) > 1
              keep_firing_for: 10m
              labels: {severity: warning}
              annotations: {runbook_url: https://runbooks.example.com/sessions}
",
    );
    let run = render(dir, &["render", "-q", "-f", "over.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let docs = support::lib::parse_manifests(&run.stdout).expect("YAML");
    let find = |kind: &str, name: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind}/{name} rendered"))
            .clone()
    };
    let sm = find("ServiceMonitor", "agent-metrics");
    let ep = &sm["spec"]["endpoints"][0];
    assert_eq!(
        ep["tlsConfig"]["serverName"],
        "agent-service.production-agents.svc"
    );
    assert_eq!(ep["honorLabels"], true);
    assert_eq!(ep["authorization"]["credentials"]["key"], "token");
    assert_eq!(ep["metricRelabelings"][0]["action"], "drop");
    let rule = find("PrometheusRule", "extra-alerts");
    assert_eq!(rule["spec"]["groups"][0]["interval"], "1m");
    assert_eq!(
        rule["spec"]["groups"][0]["rules"][0]["keep_firing_for"],
        "10m"
    );
    // A field the listed CRD does not have is still refused, with the CRD named.
    write(
        dir,
        "bad.yaml",
        "crds:\n  - crds/monitoring.coreos.com_prometheusrules.yaml\nresources:\n  - apiVersion: monitoring.coreos.com/v1\n    kind: PrometheusRule\n    metadata: {name: extra-alerts}\n    spec:\n      groups:\n        - name: extra\n          rules:\n            - alert: X\n              expr: up == 0\n              keep_firing_fr: 10m\n",
    );
    let bad = render(dir, &["render", "-q", "-f", "bad.yaml"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("bad.yaml:13:"), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("did you mean `keep_firing_for`?"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr
            .contains("monitoring.coreos.com_prometheusrules.yaml"),
        "{}",
        bad.stderr
    );
}
