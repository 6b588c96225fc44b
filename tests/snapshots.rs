//! Snapshot tests: every output file of every profile, profile combination and example
//! override, pinned under the top-level `snapshots/` folder (one snapshot per file per case,
//! the inputs recorded in each snapshot). A new case or output file fails until its snapshot is
//! reviewed and committed; a snapshot no case produces any more fails too.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use agentctl::input::layers::Inputs;
use agentctl::render::Renderer;

/// (case name, profiles, override files, --set flags)
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const CASES: &[Case] = &[
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

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn inputs(profiles: &[&str], files: &[&str], sets: &[&str]) -> Inputs {
    Inputs {
        profiles: profiles.iter().map(|s| (*s).to_owned()).collect(),
        files: files.iter().map(|f| root().join(f)).collect(),
        sets: sets.iter().map(|s| (*s).to_owned()).collect(),
        inline: None,
    }
}

fn snapshot_name(case: &str, file: &str) -> String {
    format!("{case}__{}", file.trim_end_matches(".yaml"))
}

#[test]
fn every_output_file_of_every_case() {
    let renderer = Renderer::new().expect("built-in templates compile");
    for (case, profiles, files, sets) in CASES {
        let (_, bundle) = agentctl::pipeline::build(&renderer, &inputs(profiles, files, sets))
            .unwrap_or_else(|e| panic!("case {case} failed to render:\n{e}"));
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root().join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_description(format!(
            "agentctl render{}{}{}",
            profiles
                .iter()
                .map(|p| format!(" -p {p}"))
                .collect::<String>(),
            files.iter().map(|f| format!(" -f {f}")).collect::<String>(),
            sets.iter()
                .map(|s| format!(" --set {s}"))
                .collect::<String>(),
        ));
        settings.bind(|| {
            for file in &bundle.files {
                insta::assert_snapshot!(snapshot_name(case, &file.name), file.content);
            }
        });
    }
}

#[test]
fn no_stale_snapshots() {
    let renderer = Renderer::new().expect("built-in templates compile");
    let mut expected = BTreeSet::new();
    for (case, profiles, files, sets) in CASES {
        let (_, bundle) = agentctl::pipeline::build(&renderer, &inputs(profiles, files, sets))
            .unwrap_or_else(|e| panic!("case {case} failed to render:\n{e}"));
        for f in &bundle.files {
            expected.insert(format!("{}.snap", snapshot_name(case, &f.name)));
        }
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(root().join("snapshots"))
        .expect("snapshots/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".snap"))
        // `errors__*` snapshots belong to tests/errors.rs, which checks its own for staleness.
        .filter(|n| !n.starts_with("errors__"))
        // `cli__*` snapshots belong to tests/cli.rs, which checks its own for staleness.
        .filter(|n| !n.starts_with("cli__"))
        // `project__*` snapshots belong to tests/project.rs, which checks its own for staleness.
        .filter(|n| !n.starts_with("project__"))
        .collect();
    let stale: Vec<_> = on_disk.difference(&expected).collect();
    assert!(
        stale.is_empty(),
        "snapshots no case produces any more (delete them): {stale:?}"
    );
}

#[test]
fn disabled_features_leave_their_files_out() {
    let renderer = Renderer::new().expect("built-in templates compile");
    let (_, bundle) =
        agentctl::pipeline::build(&renderer, &inputs(&["dev"], &[], &[])).expect("dev renders");
    let names: Vec<&str> = bundle.files.iter().map(|f| f.name.as_str()).collect();
    assert!(!names.contains(&"hpa.yaml"), "{names:?}");
    assert!(!names.contains(&"servicemonitor.yaml"), "{names:?}");
    assert!(!names.contains(&"pdb.yaml"), "{names:?}");
    let kustomization = &bundle.files.last().expect("files").content;
    assert!(kustomization.contains("- deployment.yaml"));
    assert!(!kustomization.contains("hpa.yaml"));
    assert!(!kustomization.contains("servicemonitor.yaml"));
    let deployment = bundle
        .files
        .iter()
        .find(|f| f.name == "deployment.yaml")
        .expect("deployment");
    assert!(
        deployment.content.contains("\n  replicas: 1\n"),
        "without an HPA the Deployment sets replicas"
    );
    let (_, prod) =
        agentctl::pipeline::build(&renderer, &inputs(&[], &[], &[])).expect("defaults render");
    let deployment = prod
        .files
        .iter()
        .find(|f| f.name == "deployment.yaml")
        .expect("deployment");
    assert!(
        !deployment.content.contains("\n  replicas:"),
        "with an HPA the Deployment leaves replicas to it"
    );
}

#[test]
fn output_is_deterministic() {
    let renderer = Renderer::new().expect("built-in templates compile");
    let once = agentctl::pipeline::build(
        &renderer,
        &inputs(&["high-throughput"], &["examples/override.yaml"], &[]),
    )
    .expect("renders")
    .1;
    let again = agentctl::pipeline::build(
        &Renderer::new().expect("compile"),
        &inputs(&["high-throughput"], &["examples/override.yaml"], &[]),
    )
    .expect("renders")
    .1;
    assert_eq!(once, again);
}

/// The quota counts every container of every pod the render can run: a new workload or sidecar
/// that `config::quota::inputs` does not know about fails here, before a quota too small for it
/// ships.
#[test]
fn the_quota_counts_every_container_rendered() {
    use agentctl::config::quota;
    let renderer = Renderer::new().expect("built-in templates compile");
    for (case, profiles, files, sets) in CASES {
        let (merged, bundle) = agentctl::pipeline::build(&renderer, &inputs(profiles, files, sets))
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
                let mut cpu: Vec<String> = ["containers", "initContainers"]
                    .iter()
                    .flat_map(|k| spec[k].as_array().cloned().unwrap_or_default())
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
