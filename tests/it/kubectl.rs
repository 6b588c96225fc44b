//! Real-tool tests: the rendered directory of every profile is built by the real
//! `kubectl kustomize`, and agentctl's stream (no `-o`) is byte-identical to what kubectl
//! prints for that directory. A missing kubectl fails these tests loudly; it never passes them.

use std::path::Path;
use std::process::Command;

use crate::support::{self, Run};

const CASES: &[&[&str]] = &[
    &[],
    &["-p", "dev"],
    &["-p", "high-throughput"],
    &["-p", "low-latency"],
    &["-p", "high-throughput", "-p", "low-latency"],
    &[
        "-p",
        "high-throughput",
        "-f",
        "examples/override.yaml",
        "-f",
        "examples/pinned-digests.yaml",
    ],
    &["-f", "examples/adopter.yaml"],
    &["-p", "dev", "-f", "examples/adopter.yaml"],
    &["-f", "examples/patches.yaml"],
    &["-p", "dev", "-f", "examples/patches.yaml"],
];

/// Runs `agentctl ARGS` in the repository root.
fn agentctl(args: &[&str]) -> Run {
    support::agentctl(args).run()
}

fn kubectl_kustomize(dir: &Path) -> String {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("!!! kubectl is required for this test and could not be run ({e}); install kubectl >= 1.27 !!!")
        });
    assert!(
        out.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn kubectl_kustomize_builds_every_profile_and_matches_the_stream() {
    for case in CASES {
        let tmp = support::tempdir();
        let dir = tmp.path().join("out");
        let dir_s = dir.to_str().expect("utf-8 path");
        let mut args = vec!["render", "-q"];
        args.extend_from_slice(case);
        args.extend_from_slice(&["-o", dir_s]);
        let out = agentctl(&args);
        assert_eq!(out.code, 0, "render {case:?}: {}", out.stderr);
        let built = kubectl_kustomize(&dir);
        let mut stream_args = vec!["render"];
        stream_args.extend_from_slice(case);
        let stream = agentctl(&stream_args);
        assert_eq!(stream.code, 0);
        let stream = stream.stdout;
        assert_eq!(
            stream, built,
            "agentctl render {case:?} (stream) differs from kubectl kustomize of its -o directory"
        );
        assert!(
            !built.contains("kind: Secret\n"),
            "a Secret was rendered for {case:?}"
        );
        // The guide's names; Redis only in the cluster, the shared PVC only when asked for.
        let adopter = case.contains(&"examples/adopter.yaml");
        let dev = case.contains(&"dev");
        for (name, present) in [
            ("agent-deployment", true),
            ("agent-service", true),
            ("redis-service", !adopter),
            ("agent-data-pvc", dev),
            ("agent-network-policy", true),
            ("agent-config", true),
            ("agent-ingress", adopter),
            ("agent-route", adopter),
        ] {
            assert_eq!(
                built.contains(&format!("name: {name}\n")),
                present,
                "{name} for {case:?}"
            );
        }
    }
}

use agentctl::input::yaml::yaml11_retypes;

#[test]
fn yaml_1_1_lookalikes_reach_the_cluster_as_strings() {
    let tricky = [
        ("V_ON", "on"),
        ("V_NO", "no"),
        ("V_Y", "y"),
        ("V_OCTAL", "012"),
        ("V_DATE", "2024-01-01"),
        ("V_SEXA", "1:20"),
        ("V_TILDE", "~"),
        ("V_TRUE", "True"),
        ("V_FLOAT", "1e3"),
        ("V_HEX", "0x1F"),
        ("V_SPACE", " leading space"),
        ("V_EMPTY", ""),
        ("V_NULL", "null"),
        ("V_MULTI", "line one\nline two\n"),
    ];
    let tmp = support::tempdir();
    let mut file = String::from("agent:\n  config:\n    extra:\n");
    for (k, v) in tricky {
        file.push_str(&format!(
            "      {k}: {}\n",
            serde_json::to_string(v).expect("json")
        ));
    }
    let overrides = tmp.path().join("tricky.yaml");
    std::fs::write(&overrides, &file).expect("write");
    let dir = tmp.path().join("out");
    let out = agentctl(&[
        "render",
        "-q",
        "-f",
        overrides.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // 1. In the file agentctl wrote, none of them is a plain scalar that YAML 1.1 retypes.
    let configmap = std::fs::read_to_string(dir.join("configmap.yaml")).expect("configmap");
    for (value, pos) in support::lib::plain_strings(&configmap).expect("parses") {
        assert!(
            !yaml11_retypes(&value),
            "`{value}` left unquoted at configmap.yaml:{pos}:\n{configmap}"
        );
    }
    assert!(configmap.contains("V_ON: \"on\"\n"), "{configmap}");
    // 2. After kubectl kustomize (Go YAML), each reads back as the exact same string.
    let built = kubectl_kustomize(&dir);
    let docs = support::lib::parse_manifests(&built).expect("kubectl output parses");
    let cm = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("ConfigMap present");
    for (k, v) in tricky {
        assert_eq!(
            cm["data"][k],
            serde_json::Value::String(v.to_owned()),
            "{k} changed on the way through kubectl"
        );
    }
}

#[test]
fn no_string_of_any_profile_is_left_bare_for_yaml_1_1() {
    for case in CASES {
        let mut args = vec!["render"];
        args.extend_from_slice(case);
        let out = agentctl(&args);
        assert_eq!(out.code, 0);
        let text = out.stdout;
        let strings = support::lib::plain_strings(&text).expect("parses");
        assert!(
            strings.len() > 100,
            "the check must see the output's strings ({} found)",
            strings.len()
        );
        for (value, pos) in strings {
            assert!(
                !yaml11_retypes(&value),
                "string `{value}` emitted bare at {pos} for {case:?}"
            );
        }
    }
}

#[test]
fn the_yaml_1_1_oracle_itself_discriminates() {
    for s in [
        "on",
        "no",
        "y",
        "012",
        "2024-01-01",
        "1:20",
        "~",
        "1e3",
        "0x1F",
        "",
    ] {
        assert!(yaml11_retypes(s), "{s}");
    }
    for s in [
        "production-agents",
        "500m",
        "2Gi",
        "v1.0.0",
        "redis:7.2-alpine",
        "/health",
    ] {
        assert!(!yaml11_retypes(s), "{s}");
    }
}
