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
