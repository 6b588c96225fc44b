//! Snapshot tests: every output file of every profile, profile combination and example
//! override, pinned as `snapshots/manifests/CASE/FILE.snap` (one snapshot per file per case,
//! the inputs recorded in each snapshot's description). A new case or output file fails until
//! its snapshot is reviewed and committed; a snapshot no case produces any more fails
//! `cargo insta test --unreferenced=reject`.

use crate::support::{self, agentctl, lib, root};

/// (case name, profiles, override files, --set flags)
pub type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

pub const CASES: &[Case] = &[
    ("default", &[], &[], &[]),
    ("dev", &["dev"], &[], &[]),
    ("high-throughput", &["high-throughput"], &[], &[]),
    ("low-latency", &["low-latency"], &[], &[]),
    (
        "high-throughput+low-latency",
        &["high-throughput", "low-latency"],
        &[],
        &[],
    ),
    (
        "override-example",
        &["high-throughput"],
        &["examples/override.yaml", "examples/pinned-digests.yaml"],
        &[
            "agent.replicas.max=30",
            "autoscaling.requestRate.enabled=false",
        ],
    ),
    ("everything", &[], &["examples/everything.yaml"], &[]),
    ("adopter", &[], &["examples/adopter.yaml"], &[]),
    ("sidecar-agent", &[], &["examples/sidecar-agent.yaml"], &[]),
    (
        "realtime-agent",
        &[],
        &["examples/realtime-agent.yaml"],
        &[],
    ),
    // The fitting settings the adopter example leaves out: an existing ServiceAccount, named
    // node affinity rules, a full spread constraint, a RuntimeClass, env from other Secrets and
    // ConfigMaps, the shared PVC, an Ingress for every host, a Redis URL from a Secret, and the
    // low-latency profile's node selector removed with `null`.
    (
        "fitted",
        &["low-latency"],
        &[],
        &[
            "agent.nodeSelector.node-type=null",
            "agent.serviceAccount.create=false",
            "agent.serviceAccount.name=platform-agent",
            "agent.nodeAffinity={pool: {key: node-pool, values: [agents, batch]}, big: {key: node.kubernetes.io/instance-type, operator: NotIn, values: [t3.small], weight: 40}}",
            "agent.topologySpreadConstraints=[{topologyKey: kubernetes.io/hostname, maxSkew: 2, whenUnsatisfiable: DoNotSchedule}]",
            "agent.runtimeClassName=gvisor",
            "agent.env={DATABASE_URL: {secret: db-credentials, key: url}, REGION: {configMap: cluster-info, key: region, optional: true}, GREETING: hello}",
            "agent.envFrom=[{configMap: shared-settings}, {secret: shared-credentials, prefix: SHARED_, optional: true}]",
            "agent.storage.type=persistentVolumeClaim",
            // low-latency leaves the agent's class alone (its default volume has none).
            "agent.storage.storageClass=premium-ssd",
            "agent.probes.liveness.path=/livez",
            "agent.podLabels.team=agents",
            "agent.service.annotations={service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"}",
            "ingress.enabled=true",
            "ingress.paths=[/api, /v1]",
            "redis.enabled=false",
            "monitoring.redisExporter.enabled=false",
            "backup.enabled=false",
            "redis.external.url={name: redis-connection, key: url}",
            "redis.external.cidr=10.0.0.0/8",
        ],
    ),
    ("patches-example", &[], &["examples/patches.yaml"], &[]),
];

/// Renders one case in-process; panics with the error when it does not render.
fn render(case: &str, profiles: &[&str], files: &[&str], sets: &[&str]) -> Vec<lib::File> {
    lib::render(&root(), profiles, files, sets)
        .unwrap_or_else(|e| panic!("case {case} failed to render:\n{e}"))
}

#[test]
fn every_output_file_of_every_case() {
    for (case, profiles, files, sets) in CASES {
        let description = format!(
            "agentctl render{}{}{}",
            profiles
                .iter()
                .map(|p| format!(" -p {p}"))
                .collect::<String>(),
            files.iter().map(|f| format!(" -f {f}")).collect::<String>(),
            sets.iter()
                .map(|s| format!(" --set {s}"))
                .collect::<String>(),
        );
        for (name, content) in render(case, profiles, files, sets) {
            support::snapshot(
                &format!("manifests/{case}"),
                name.trim_end_matches(".yaml"),
                &description,
                &content,
            );
        }
    }
}

#[test]
fn disabled_features_leave_their_files_out() {
    let files = render("dev", &["dev"], &[], &[]);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert!(!names.contains(&"hpa.yaml"), "{names:?}");
    assert!(!names.contains(&"servicemonitor.yaml"), "{names:?}");
    assert!(!names.contains(&"pdb.yaml"), "{names:?}");
    let kustomization = &files.last().expect("files").1;
    assert!(kustomization.contains("- deployment.yaml"));
    assert!(!kustomization.contains("hpa.yaml"));
    assert!(!kustomization.contains("servicemonitor.yaml"));
    let deployment = &files
        .iter()
        .find(|(name, _)| name == "deployment.yaml")
        .expect("deployment")
        .1;
    assert!(
        deployment.contains("\n  replicas: 1\n"),
        "without an HPA the Deployment sets replicas"
    );
    let prod = render("default", &[], &[], &[]);
    let deployment = &prod
        .iter()
        .find(|(name, _)| name == "deployment.yaml")
        .expect("deployment")
        .1;
    assert!(
        !deployment.contains("\n  replicas:"),
        "with an HPA the Deployment leaves replicas to it"
    );
}

#[test]
fn output_is_deterministic() {
    let inputs = (&["high-throughput"][..], &["examples/override.yaml"][..]);
    let once = render("override", inputs.0, inputs.1, &[]);
    let again = render("override", inputs.0, inputs.1, &[]);
    assert_eq!(once, again);
}

/// The quota counts every container of every pod the render can run: a new workload or sidecar
/// that `config::quota::inputs` does not know about fails here, before a quota too small for it
/// ships.
#[test]
fn the_quota_counts_every_container_rendered() {
    use agentctl::config::quota;
    let renderer = agentctl::render::Renderer::new().expect("built-in templates compile");
    // Patches and extra objects are counted from the final objects instead (next test).
    for (case, profiles, files, sets) in CASES
        .iter()
        .filter(|c| !c.2.contains(&"examples/patches.yaml"))
    {
        let (merged, bundle) =
            agentctl::pipeline::build(&renderer, &lib::inputs(&root(), profiles, files, sets))
                .unwrap_or_else(|e| panic!("case {case} failed to render:\n{e}"));
        let (workloads, volumes, _) = quota::inputs(&merged.config);
        let mut pods: Vec<(String, Vec<String>)> = Vec::new();
        let mut claims = 0;
        for file in &bundle.files {
            for obj in agentctl::input::yaml::parse_manifests(&file.content).unwrap() {
                let kind = obj["kind"].as_str().unwrap_or_default().to_owned();
                let spec = match kind.as_str() {
                    "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => {
                        &obj["spec"]["template"]["spec"]
                    }
                    "CronJob" => &obj["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                    "PersistentVolumeClaim" => {
                        claims += 1;
                        continue;
                    }
                    _ => continue,
                };
                claims += obj["spec"]["volumeClaimTemplates"]
                    .as_array()
                    .map_or(0, Vec::len);
                // What runs for the pod's life: its containers and native sidecars. A plain
                // init container counts only while it runs; the recount from the final objects
                // (`k8s::pod::usage`) holds it (tests/it/quota.rs).
                let native = |c: &serde_json::Value| c["restartPolicy"] == "Always";
                let mut cpu: Vec<String> = spec["containers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(
                        spec["initContainers"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .filter(native),
                    )
                    .map(|c| {
                        c["resources"]["requests"]["cpu"]
                            .as_str()
                            .unwrap_or("none")
                            .to_owned()
                    })
                    .collect();
                cpu.sort();
                pods.push((kind, cpu));
            }
        }
        let name_of = |kind: &str| match kind {
            "Deployment" => "agent",
            "StatefulSet" => "redis",
            "CronJob" => "backup job",
            other => panic!("case {case}: a {other} the quota does not know about"),
        };
        for (kind, cpu) in &pods {
            let w = workloads
                .iter()
                .find(|w| w.name == name_of(kind))
                .unwrap_or_else(|| panic!("case {case}: no quota workload for the {kind}"));
            let mut counted = w.per_pod.requests_cpu.clone();
            counted.sort();
            assert_eq!(
                &counted, cpu,
                "case {case}: the quota's {} pod differs from the rendered {kind}",
                w.name
            );
        }
        // Every workload but the ad-hoc pod is rendered, and every claim is counted.
        assert_eq!(workloads.len(), pods.len() + 1, "case {case}");
        assert_eq!(volumes.sizes.len(), claims, "case {case}");
    }
}

/// A container a patch adds and a workload an extra object adds are in the quota: a derived
/// figure grows to hold them, a figure set by hand that no longer holds them is an error.
#[test]
fn the_quota_counts_what_patches_and_extra_objects_add() {
    let dir = support::tempdir();
    let sidecar = "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec:
        template:
          spec:
            containers:
              - name: heavy-sidecar
                image: registry.example.com/sidecar:1.0
                securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
                resources:
                  requests: {cpu: '2', memory: 4Gi}
                  limits: {cpu: '2', memory: 4Gi}
resources:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: worker}
    spec:
      replicas: 2
      selector: {matchLabels: {app: worker}}
      template:
        metadata: {labels: {app: worker}}
        spec:
          containers:
            - name: worker
              image: registry.example.com/worker:1.0
              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
              resources:
                requests: {cpu: '1', memory: 1Gi}
                limits: {cpu: '1', memory: 1Gi}
";
    support::write(dir.path(), "sidecar.yaml", sidecar);
    let hard = |args: &[&str]| -> serde_json::Value {
        let out = agentctl(args).current_dir(dir.path()).run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        let docs = lib::parse_manifests(&out.stdout).unwrap();
        docs.into_iter()
            .find(|d| d["kind"] == "ResourceQuota")
            .expect("a quota")["spec"]["hard"]
            .clone()
    };
    let plain = hard(&["render", "-p", "high-throughput"]);
    let patched = hard(&["render", "-p", "high-throughput", "-f", "sidecar.yaml"]);
    // high-throughput: 50 replicas + 1 surge; each agent pod gains 2 CPUs, the worker adds 2 × 1.
    let cpu = |v: &serde_json::Value| {
        v["requests.cpu"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap_or(0.0)
    };
    assert!(
        cpu(&patched) >= cpu(&plain) + 51.0 * 2.0 + 2.0,
        "plain {plain}, patched {patched}"
    );
    assert_ne!(
        plain["pods"], patched["pods"],
        "the worker's pods are counted"
    );
    // A figure set by hand that held the plain deployment no longer holds the patched one.
    let out = agentctl([
        "render",
        "-p",
        "high-throughput",
        "-f",
        "sidecar.yaml",
        "--set",
        &format!(
            "quota.requestsCpu={}",
            plain["requests.cpu"].as_str().unwrap()
        ),
    ])
    .current_dir(dir.path())
    .run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cannot hold this deployment with its patches and extra objects"),
        "{}",
        out.stderr
    );
}

/// An existing namespace (`createNamespace: false`): no Namespace object or file, and the Pod
/// Security labels it must carry are the first prerequisite, with the `kubectl label` command;
/// nothing tells the user to create it. Nothing namespace-wide binds other teams' pods: the
/// default deny selects this deployment's pods only (under a name a platform's own
/// `default-deny-all` does not have), no ResourceQuota nor LimitRange unless asked for, and one
/// note says so.
#[test]
fn an_existing_namespace_is_a_prerequisite_not_an_object() {
    let files = render("existing-ns", &[], &[], &["createNamespace=false"]);
    assert!(!files.iter().any(|(n, _)| n == "namespace.yaml"));
    assert!(
        !files
            .iter()
            .any(|(_, text)| text.contains("kind: Namespace"))
    );
    assert!(
        !files.iter().any(|(n, _)| n == "quota.yaml"),
        "no namespace-wide quota"
    );
    let policy = &files
        .iter()
        .find(|(n, _)| n == "networkpolicy.yaml")
        .expect("networkpolicy.yaml")
        .1;
    assert!(
        !policy.contains("podSelector: {}\n  policyTypes"),
        "{policy}"
    );
    assert!(!policy.contains("default-deny-all"), "{policy}");
    assert!(
        policy.contains("name: agent-default-deny\n  namespace: production-agents\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/managed-by: agentctl\n      app.kubernetes.io/part-of: agent-system\n"),
        "{policy}"
    );
    let kustomization = &files.last().expect("files").1;
    assert!(!kustomization.contains("namespace.yaml"), "{kustomization}");
    let opted = render(
        "existing-ns-quota",
        &[],
        &[],
        &["createNamespace=false", "quota.enabled=true"],
    );
    assert!(opted.iter().any(|(n, _)| n == "quota.yaml"), "opted in");
    let r = crate::support::agentctl([
        "render",
        "--set",
        "createNamespace=false",
        "--set",
        "namespace=team-a",
    ])
    .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("note: `createNamespace: false` (--set createNamespace=false): namespace team-a exists and may hold other teams' pods"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`quota.enabled: true` renders them"),
        "{}",
        r.stderr
    );
    let needs = r
        .stderr
        .split_once("The cluster needs, for namespace team-a:\n")
        .expect("needs")
        .1;
    let first = needs.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "  - namespace team-a, existing, labelled pod-security.kubernetes.io/audit=restricted"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("kubectl label namespace team-a pod-security.kubernetes.io/audit=restricted pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest pod-security.kubernetes.io/warn=restricted --overwrite"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("kubectl create namespace")
            && !r.stderr.contains("create the namespace"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("namespace team-a must exist (createNamespace: false), then the Secret"),
        "{}",
        r.stderr
    );
}
