//! Snapshot tests: every output file of every profile, profile combination and example
//! override, pinned as `snapshots/manifests/CASE/FILE.snap` (one snapshot per file per case,
//! the inputs recorded in each snapshot's description). A new case or output file fails until
//! its snapshot is reviewed and committed; a snapshot no case produces any more fails
//! `cargo insta test --unreferenced=reject`.

use crate::support::{self, lib, root};

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
