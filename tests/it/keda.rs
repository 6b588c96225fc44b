//! KEDA against a managed Redis over TLS (issue 21's Memorystore case): the Redis list
//! trigger's `authenticationRef` typed (`keda.redisList.authenticationRef`), the
//! TriggerAuthentication it names a prerequisite unless rendered as an extra object of a listed
//! CRD; and the built-in ScaledObject and ExternalSecret schemas as wide as their CRDs (a
//! trigger's `authenticationRef`, `name`, `metricType`, `useCachedMetrics`; a `scaleTargetRef`
//! without `apiVersion`; an ExternalSecret target without `creationPolicy`).

use std::path::Path;

use serde_json::Value as J;

use crate::support::{self, agentctl, root, write};

const MEMORYSTORE: &str = "autoscaling: {enabled: false}
keda:
  enabled: true
  prometheus: {enabled: false}
  redisList:
    enabled: true
    authenticationRef: {name: memorystore-tls}
redis:
  enabled: false
  external: {host: 10.1.2.3, port: 6378, tls: true, password: {key: redis-auth}}
";

fn render(dir: &Path, args: &[&str]) -> (Vec<J>, String) {
    let run = agentctl(["render"].iter().chain(args))
        .current_dir(dir)
        .code(0)
        .run();
    (
        support::lib::parse_manifests(&run.stdout).expect("YAML"),
        run.stderr,
    )
}

fn scaled_object(docs: &[J]) -> &J {
    docs.iter()
        .find(|o| o["kind"] == "ScaledObject")
        .expect("a ScaledObject")
}

#[test]
fn the_redis_trigger_reads_a_trigger_authentication() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(dir, "keda.yaml", MEMORYSTORE);
    let (docs, stderr) = render(dir, &["-f", "keda.yaml"]);
    let trigger = &scaled_object(&docs)["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "redis");
    assert_eq!(
        trigger["authenticationRef"],
        serde_json::json!({"kind": "TriggerAuthentication", "name": "memorystore-tls"})
    );
    // TLS comes from the TriggerAuthentication: KEDA refuses it set in both places.
    assert!(trigger["metadata"].get("enableTLS").is_none(), "{trigger}");
    assert_eq!(trigger["metadata"]["address"], "10.1.2.3:6378");
    assert!(
        stderr.contains("  - KEDA TriggerAuthentication memorystore-tls in namespace production-agents (its Secrets in the same namespace), created out of band: the redis trigger of ScaledObject agent-scaledobject reads its connection parameters"),
        "{stderr}"
    );
    // Without the setting the trigger keeps its own TLS flag, and nothing is a prerequisite.
    let (docs, stderr) = render(
        dir,
        &[
            "-f",
            "keda.yaml",
            "--set",
            "keda.redisList.authenticationRef=null",
        ],
    );
    let trigger = &scaled_object(&docs)["spec"]["triggers"][0];
    assert_eq!(trigger["metadata"]["enableTLS"], "true");
    assert!(trigger.get("authenticationRef").is_none());
    assert!(!stderr.contains("TriggerAuthentication"), "{stderr}");
    // A cluster-wide one.
    let (docs, stderr) = render(
        dir,
        &[
            "-f",
            "keda.yaml",
            "--set",
            "keda.redisList.authenticationRef.kind=ClusterTriggerAuthentication",
        ],
    );
    assert_eq!(
        scaled_object(&docs)["spec"]["triggers"][0]["authenticationRef"]["kind"],
        "ClusterTriggerAuthentication"
    );
    assert!(
        stderr.contains("KEDA ClusterTriggerAuthentication memorystore-tls (cluster-wide"),
        "{stderr}"
    );
}

/// The TriggerAuthentication rendered as an extra object (its CRD listed): no prerequisite;
/// a patch writes every trigger field KEDA's CRD has, and a `scaleTargetRef` with its name
/// only; an ExternalSecret without `target.creationPolicy` renders as written.
#[test]
fn patches_and_extra_objects_write_what_the_crds_accept() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(dir, "keda.yaml", MEMORYSTORE);
    let crd = std::fs::read_to_string(root().join("tests/data/crds/triggerauthentication.yaml"))
        .expect("CRD");
    write(dir, "crds/ta.yaml", &crd);
    write(
        dir,
        "extra.yaml",
        "crds: [crds/ta.yaml]
resources:
  - apiVersion: keda.sh/v1alpha1
    kind: TriggerAuthentication
    metadata: {name: memorystore-tls}
    spec:
      secretTargetRef:
        - {parameter: tls, name: memorystore-ca, key: tls}
        - {parameter: ca, name: memorystore-ca, key: ca.crt}
  - apiVersion: external-secrets.io/v1
    kind: ExternalSecret
    metadata: {name: db}
    spec:
      secretStoreRef: {kind: ClusterSecretStore, name: gcp}
      target: {name: db-credentials}
      data:
        - secretKey: url
          remoteRef: {key: db-url, version: latest}
patches:
  - target: {kind: ScaledObject, name: agent-scaledobject}
    patch:
      spec:
        scaleTargetRef: {apiVersion: null, kind: null, name: agent-deployment}
        triggers:
          - type: redis
            name: queue
            metricType: AverageValue
            useCachedMetrics: true
            metadata: {address: '10.1.2.3:6378', listName: tasks, listLength: '5'}
            authenticationRef: {name: memorystore-tls}
",
    );
    let (docs, stderr) = render(dir, &["-f", "keda.yaml", "-f", "extra.yaml"]);
    assert!(
        !stderr.contains("KEDA TriggerAuthentication memorystore-tls"),
        "rendered, so no prerequisite: {stderr}"
    );
    let so = scaled_object(&docs);
    assert_eq!(
        so["spec"]["scaleTargetRef"],
        serde_json::json!({"name": "agent-deployment"})
    );
    let t = &so["spec"]["triggers"][0];
    assert_eq!(t["name"], "queue");
    assert_eq!(t["metricType"], "AverageValue");
    assert_eq!(t["useCachedMetrics"], true);
    assert_eq!(t["authenticationRef"]["name"], "memorystore-tls");
    let es = docs
        .iter()
        .find(|o| o["kind"] == "ExternalSecret")
        .expect("ExternalSecret");
    assert_eq!(
        es["spec"]["target"],
        serde_json::json!({"name": "db-credentials"})
    );
    assert_eq!(es["spec"]["data"][0]["remoteRef"]["version"], "latest");
    // A misspelled trigger field is still refused, at its line.
    write(
        dir,
        "typo.yaml",
        "patches:
  - target: {kind: ScaledObject, name: agent-scaledobject}
    patch:
      spec:
        triggers:
          - type: redis
            metadata: {address: 'a:1', listName: t}
            authenticationRf: {name: x}
",
    );
    let bad = agentctl(["render", "-f", "keda.yaml", "-f", "typo.yaml"])
        .current_dir(dir)
        .run();
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("authenticationRf"), "{}", bad.stderr);
    assert!(bad.stderr.contains("typo.yaml:8:"), "{}", bad.stderr);
}

/// The trigger check is on the final ScaledObject: with both typed triggers off, a patch that
/// supplies one (a kind no typed setting has) renders; without it, AGT176 at `keda.enabled`.
#[test]
fn a_patched_trigger_counts_and_none_is_refused() {
    let tmp = crate::support::tempdir();
    let base = "autoscaling: {enabled: false}
keda:
  enabled: true
  prometheus: {enabled: false}
  redisList: {enabled: false}
";
    let patched = format!(
        "{base}patches:
  - target: {{kind: ScaledObject, name: agent-scaledobject}}
    patch:
      - op: replace
        path: /spec/triggers
        value:
          - {{type: aws-sqs-queue, metadata: {{queueURL: \"https://sqs.eu-west-1.amazonaws.com/1/q\", queueLength: \"20\", awsRegion: eu-west-1}}}}
"
    );
    crate::support::write(tmp.path(), "sqs.yaml", &patched);
    let ok = crate::support::agentctl(["render", "-q", "-f", "sqs.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("type: aws-sqs-queue"), "{}", ok.stdout);
    crate::support::write(tmp.path(), "none.yaml", base);
    let none = crate::support::agentctl(["render", "-q", "-f", "none.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(
        none.stderr.contains("AGT176") && none.stderr.contains("none.yaml:3:12"),
        "{}",
        none.stderr
    );
}

/// Scale to zero (`keda.idleReplicaCount: 0`), as the conformance rendering writes it: KEDA
/// idles at 0 and wakes to `agent.replicas.min`; the disruption budget's 50% stands (nothing
/// to evict at 0); AgentDown waits for the Deployment to want pods; the TriggerAuthentication
/// is rendered with Secret keys only, the Secret it names printed as a prerequisite, and the
/// trigger references it by its object's name (`instance` prefixes it).
#[test]
fn scale_to_zero_is_followed_by_the_budget_alerts_and_authentications() {
    let file = root().join("scripts/conformance/overrides/scale-to-zero.yaml");
    let file = file.to_str().expect("utf-8 path");
    let tmp = support::tempdir();
    let (docs, stderr) = render(tmp.path(), &["-f", file]);
    let so = scaled_object(&docs);
    assert_eq!(so["spec"]["idleReplicaCount"], 0);
    assert_eq!(so["spec"]["minReplicaCount"], 1);
    let pdb = docs
        .iter()
        .find(|o| o["kind"] == "PodDisruptionBudget")
        .expect("the budget");
    assert_eq!(pdb["spec"]["maxUnavailable"], "50%");
    let rules = docs
        .iter()
        .find(|o| o["kind"] == "PrometheusRule")
        .expect("alerts");
    let down = rules["spec"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .find(|r| r["alert"] == "AgentDown")
        .expect("AgentDown");
    assert!(
        down["expr"].as_str().is_some_and(|e| e.contains(
            "and on () (kube_deployment_spec_replicas{namespace=\"production-agents\",deployment=\"agent-deployment\"} > 0)"
        )),
        "{down}"
    );
    let ta = docs
        .iter()
        .find(|o| o["kind"] == "TriggerAuthentication")
        .expect("a TriggerAuthentication");
    assert_eq!(ta["metadata"]["name"], "sqs");
    assert_eq!(
        ta["spec"],
        serde_json::json!({"secretTargetRef": [
            {"parameter": "awsAccessKeyID", "name": "sqs-credentials", "key": "AWS_ACCESS_KEY_ID"},
            {"parameter": "awsSecretAccessKey", "name": "sqs-credentials", "key": "AWS_SECRET_ACCESS_KEY"}
        ]})
    );
    let sqs = so["spec"]["triggers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["type"] == "aws-sqs-queue")
        .expect("the SQS trigger");
    assert_eq!(sqs["authenticationRef"]["name"], "sqs");
    assert!(
        stderr.contains("  - Secret sqs-credentials with keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, created out of band (never committed): KEDA's scalers read it (TriggerAuthentication)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("KEDA TriggerAuthentication sqs"),
        "rendered, so not a prerequisite: {stderr}"
    );
    // Two deployments in one namespace: the object and the reference are both prefixed.
    let (docs, _) = render(tmp.path(), &["-f", file, "--set", "instance=support"]);
    let ta = docs
        .iter()
        .find(|o| o["kind"] == "TriggerAuthentication")
        .expect("a TriggerAuthentication");
    assert_eq!(ta["metadata"]["name"], "support-sqs");
    let so = scaled_object(&docs);
    assert!(
        so["spec"]["triggers"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["authenticationRef"]["name"] == "support-sqs"),
        "{so}"
    );
    // Without scale to zero: AgentDown is the plain absence again, no idle count.
    let (docs, _) = render(
        tmp.path(),
        &["-f", file, "--set", "keda.idleReplicaCount=null"],
    );
    assert!(
        scaled_object(&docs)["spec"]
            .get("idleReplicaCount")
            .is_none()
    );
    let rules = docs
        .iter()
        .find(|o| o["kind"] == "PrometheusRule")
        .expect("alerts");
    assert!(!rules.to_string().contains("kube_deployment_spec_replicas{namespace=\\\"production-agents\\\",deployment=\\\"agent-deployment\\\"} > 0"));
}

/// The trial's W1: a patch that scales to zero (`minReplicaCount: 0`) with a 50% budget
/// renders (at 0 nothing is evicted; at the 1 pod KEDA wakes to, 50% allows one eviction),
/// while a budget that blocks the lowest running count is still refused.
#[test]
fn a_budget_is_judged_at_the_fewest_pods_that_run() {
    let tmp = support::tempdir();
    let base = "autoscaling: {enabled: false}
agent: {replicas: {min: 2, max: 4}}
keda:
  enabled: true
  prometheus: {enabled: false}
  redisList: {enabled: true}
patches:
  - target: {kind: ScaledObject, name: agent-scaledobject}
    patch:
      spec: {minReplicaCount: 0}
";
    write(
        tmp.path(),
        "half.yaml",
        &format!("{base}disruptionBudget: {{maxUnavailable: 50%}}\n"),
    );
    let ok = agentctl(["render", "-q", "-f", "half.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    write(
        tmp.path(),
        "one.yaml",
        &format!("{base}disruptionBudget: {{minAvailable: 1}}\n"),
    );
    let blocked = agentctl(["render", "-q", "-f", "one.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(blocked.code, 2, "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains("AGT170")
            && blocked
                .stderr
                .contains("at 1 replica of Deployment/agent-deployment"),
        "{}",
        blocked.stderr
    );
}
