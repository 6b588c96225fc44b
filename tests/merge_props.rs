//! Property tests of the layer merge and of the input pipeline's robustness.
//!
//! Merge: random stacks of partial layers (built from schema-valid assignments) are merged and
//! checked against the rules: later layers win, maps merge key by key, lists replace whole, the
//! history's last setter of every path holds the final value, and layering is associative (the
//! effective configuration of some layers, written out as one layer, stands for them).
//! Robustness: arbitrary bytes, and YAML-shaped text, go through layer → merge → validate
//! (→ render when valid) and must end in a value or a diagnostic, never a panic.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use agentctl::diag::{Origin, Source};
use agentctl::layers::{self, Layer};
use agentctl::merge::{self, Merged};
use agentctl::render::Renderer;
use agentctl::{bundle, validate, yaml};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Value as J, json};

/// Cases per property: `PROPTEST_CASES` when set (for long local runs), else `cases`. Failing
/// seeds are kept in `tests/merge_props.proptest-regressions` (committed) and replayed first on
/// every run, so a failure found once, here or in CI, stays a test.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/merge_props.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// One assignment: a dotted leaf path and a schema-valid value for it.
type Assignment = (String, J);

fn assignment() -> impl Strategy<Value = Assignment> {
    prop_oneof![
        "[a-z][a-z0-9]{0,7}".prop_map(|s| ("namespace".to_owned(), json!(s))),
        (1u16..=65535).prop_map(|p| ("agent.port".to_owned(), json!(p))),
        (1u32..20).prop_map(|n| ("agent.replicas.min".to_owned(), json!(n))),
        (1u32..60).prop_map(|n| ("agent.replicas.max".to_owned(), json!(n))),
        "[a-z]{1,6}/[a-z]{1,6}:v[0-9]".prop_map(|s| ("agent.image".to_owned(), json!(s))),
        prop::sample::select(vec!["512Mi", "1Gi", "2Gi", "3Gi"])
            .prop_map(|s| ("agent.resources.limits.memory".to_owned(), json!(s))),
        any::<bool>().prop_map(|b| ("autoscaling.enabled".to_owned(), json!(b))),
        prop::collection::vec(1u16..=65535, 0..4)
            .prop_map(|v| ("networkPolicy.egressPorts".to_owned(), json!(v))),
        (
            prop::sample::select(vec!["team", "tier", "cost"]),
            "[a-z]{1,5}"
        )
            .prop_map(|(k, v)| (format!("labels.{k}"), json!(v))),
        (prop::sample::select(vec!["REGION", "MODE"]), "[a-z]{1,5}")
            .prop_map(|(k, v)| (format!("agent.config.extra.{k}"), json!(v))),
    ]
}

/// A layer's assignments, each path at most once (later wins within a layer too).
fn layer_assignments() -> impl Strategy<Value = Vec<Assignment>> {
    prop::collection::vec(assignment(), 1..6).prop_map(|mut v| {
        let mut seen = std::collections::BTreeSet::new();
        v.reverse();
        v.retain(|(p, _)| seen.insert(p.clone()));
        v.reverse();
        v
    })
}

fn nest(assignments: &[Assignment]) -> J {
    let mut root = json!({});
    for (path, value) in assignments {
        let mut here = &mut root;
        let segments: Vec<&str> = path.split('.').collect();
        for seg in &segments[..segments.len() - 1] {
            here = here
                .as_object_mut()
                .expect("map")
                .entry((*seg).to_owned())
                .or_insert_with(|| json!({}));
        }
        here.as_object_mut()
            .expect("map")
            .insert(segments[segments.len() - 1].to_owned(), value.clone());
    }
    root
}

/// A layer from assignments, through its text (JSON is YAML flow syntax), as a file would be.
fn layer(name: &str, assignments: &[Assignment]) -> Layer {
    let text = serde_json::to_string_pretty(&nest(assignments)).expect("json");
    let source = Source::new(Origin::File(format!("{name}.yaml").into()), text);
    layers::from_text(source).unwrap_or_else(|d| panic!("generated layer {name} rejected: {d:?}"))
}

fn stack(layer_sets: &[Vec<Assignment>]) -> Vec<Layer> {
    let mut all = vec![layers::defaults()];
    for (i, a) in layer_sets.iter().enumerate() {
        all.push(layer(&format!("layer{i}"), a));
    }
    all
}

fn at<'a>(config: &'a J, path: &str) -> &'a J {
    let pointer = format!("/{}", path.replace('.', "/"));
    config
        .pointer(&pointer)
        .unwrap_or_else(|| panic!("{path} is not in the effective config"))
}

fn effective(merged: &Merged) -> J {
    serde_json::to_value(&merged.config).expect("config serializes")
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn later_layers_win_and_history_ends_with_the_final_value(
        sets in prop::collection::vec(layer_assignments(), 1..5)
    ) {
        let layers = stack(&sets);
        let merged = merge::merge(&layers).expect("schema-valid layers merge");
        let config = effective(&merged);
        let defaults = serde_json::to_value(agentctl::config::Config::default()).expect("json");
        let mut last: std::collections::BTreeMap<&str, (usize, &J)> = Default::default();
        for (i, set) in sets.iter().enumerate() {
            for (path, value) in set {
                last.insert(path, (i + 1, value));
            }
        }
        for (path, (layer_index, value)) in &last {
            // Later wins; a list replaces the earlier list whole (no concatenation).
            prop_assert_eq!(at(&config, path), *value, "{}", path);
            // The history's last setter is the layer that set it last, with that value.
            let origin = merged.origin(path).expect("history has every set path");
            prop_assert!(Arc::ptr_eq(&origin.source, &layers[*layer_index].source), "{}", path);
            prop_assert_eq!(&origin.value, *value);
            // Every layer that set the path is in its history, in order.
            let setters = sets.iter().filter(|s| s.iter().any(|(p, _)| p == path)).count();
            let from_default = usize::from(defaults.pointer(&format!("/{}", path.replace('.', "/"))).is_some());
            prop_assert_eq!(merged.history[*path].len(), setters + from_default, "{}", path);
        }
        // Maps merge key by key: labels set by different layers all survive.
        let label_keys: std::collections::BTreeSet<&str> = last
            .keys()
            .filter_map(|p| p.strip_prefix("labels."))
            .collect();
        let final_keys: std::collections::BTreeSet<&str> = config["labels"]
            .as_object()
            .expect("labels map")
            .keys()
            .map(String::as_str)
            .collect();
        prop_assert_eq!(label_keys, final_keys);
        // Paths no layer set keep their default.
        for path in ["agent.probes.liveness.periodSeconds", "redis.port", "secret.name"] {
            if !last.contains_key(path) {
                prop_assert_eq!(at(&config, path), at(&defaults, path));
            }
        }
    }

    #[test]
    fn layering_is_associative(
        a in layer_assignments(),
        b in layer_assignments(),
        c in layer_assignments(),
    ) {
        // defaults ⊕ a ⊕ b ⊕ c == (defaults ⊕ a ⊕ b), written out as one layer, ⊕ c.
        let whole = merge::merge(&stack(&[a.clone(), b.clone(), c.clone()])).expect("merge");
        let ab = merge::merge(&stack(&[a, b])).expect("merge");
        let text = yaml::to_string_ordered(&ab.config).expect("effective config as YAML");
        let ab_layer = layers::from_text(Source::new(Origin::File("ab.yaml".into()), text))
            .unwrap_or_else(|d| panic!("the effective config is not a valid layer: {d:?}"));
        let regrouped = merge::merge(&[layers::defaults(), ab_layer, layer("c", &c)])
            .expect("merge");
        prop_assert_eq!(effective(&whole), effective(&regrouped));
    }

    #[test]
    fn merging_is_deterministic_and_idempotent(a in layer_assignments()) {
        let once = merge::merge(&stack(std::slice::from_ref(&a))).expect("merge");
        let twice = merge::merge(&stack(&[a.clone(), a])).expect("merge");
        prop_assert_eq!(effective(&once), effective(&twice));
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness: nothing panics, whatever the bytes.

fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(|| Renderer::new(None).expect("built-in templates compile"))
}

/// The fuzz target's pipeline: bytes → layer → merged → validated → rendered.
fn pipeline(bytes: Vec<u8>) {
    let path = Path::new("input.yaml");
    let Ok(text) = layers::text_of(path, bytes) else {
        return;
    };
    let layer = match layers::from_text(Source::new(Origin::File(path.to_owned()), text)) {
        Ok(l) => l,
        Err(diags) => {
            assert!(!diags.is_empty());
            for d in diags {
                assert!(!d.to_string().is_empty());
            }
            return;
        }
    };
    let Ok(merged) = merge::merge(&[layers::defaults(), layer]) else {
        return;
    };
    match validate::validate(&merged) {
        Err(e) => assert!(e.to_string().starts_with("error")),
        Ok(()) => {
            if let Err(e) = bundle::build(renderer(), &merged.config) {
                panic!("a configuration that validates failed to render: {e:#}");
            }
        }
    }
}

/// Every setting's path (the leaves of the default configuration, a list counting as a leaf),
/// plus a key inside each free-form map.
fn setting_paths() -> Vec<String> {
    fn walk(prefix: &str, v: &J, out: &mut Vec<String>) {
        match v {
            J::Object(m) if !m.is_empty() => {
                for (k, v) in m {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&path, v, out);
                }
            }
            J::Object(_) => {
                out.push(prefix.to_owned());
                out.push(format!("{prefix}.team"));
                out.push(format!("{prefix}.API_TOKEN"));
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let defaults = serde_json::to_value(agentctl::config::Config::default()).expect("json");
    let mut out = Vec::new();
    walk("", &defaults, &mut out);
    assert!(out.len() > 80, "too few settings found: {out:?}");
    out
}

/// YAML-shaped text: real setting paths (so inputs get past the parser and the schema) with
/// values from a pool of valid, invalid and tricky scalars, written as block YAML.
fn yamlish() -> impl Strategy<Value = String> {
    let path = prop::sample::select(setting_paths());
    let scalar = prop::sample::select(vec![
        "1",
        "0",
        "2",
        "3",
        "10",
        "65536",
        ".5",
        "500m",
        "500mi",
        "1.5.0Gi",
        "2Gi",
        "4Gi",
        "true",
        "false",
        "no",
        "~",
        "\"\"",
        "x",
        "reg/a:v1",
        "a@sha256:00",
        "25%",
        "150%",
        "30s",
        "1m",
        "[]",
        "[443, 8443]",
        "[0]",
        "10.0.0.0/8",
        "ReadWriteOnce",
        "ReadWriteMany",
        "\"ünï\"",
        "premium-ssd",
        "anthropic-api-key",
        "{}",
        "{release: prom}",
        "[kube-system]",
        "[\"10.0.0.0/8\", \"0.0.0.0/0\"]",
        "0.0.0.0/0",
        "Always",
        "Never",
        "required",
        "none",
        "preferred",
        "DEBUG",
        "restricted",
        "baseline",
        "-1",
        "null",
        "\"1\"",
        "100m",
        "65535",
        "2147483648",
        "/health",
        "/",
    ]);
    prop::collection::vec((path, scalar), 1..8).prop_map(|assignments| {
        // Nest the assignments (later wins), then print block YAML.
        let mut tree = std::collections::BTreeMap::<String, Tree>::new();
        for (path, value) in assignments {
            let mut here = &mut tree;
            let segments: Vec<&str> = path.split('.').collect();
            for seg in &segments[..segments.len() - 1] {
                let entry = here
                    .entry((*seg).to_owned())
                    .or_insert_with(|| Tree::Map(Default::default()));
                if let Tree::Leaf(_) = entry {
                    *entry = Tree::Map(Default::default());
                }
                let Tree::Map(next) = entry else {
                    unreachable!()
                };
                here = next;
            }
            here.insert(
                segments[segments.len() - 1].to_owned(),
                Tree::Leaf(value.to_owned()),
            );
        }
        let mut out = String::new();
        print_tree(&tree, 0, &mut out);
        out
    })
}

enum Tree {
    Leaf(String),
    Map(std::collections::BTreeMap<String, Tree>),
}

fn print_tree(tree: &std::collections::BTreeMap<String, Tree>, depth: usize, out: &mut String) {
    for (k, v) in tree {
        match v {
            Tree::Leaf(s) => out.push_str(&format!("{}{k}: {s}\n", "  ".repeat(depth))),
            Tree::Map(m) => {
                out.push_str(&format!("{}{k}:\n", "  ".repeat(depth)));
                print_tree(m, depth + 1, out);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        pipeline(bytes);
    }

    #[test]
    fn yaml_shaped_text_never_panics(text in yamlish()) {
        pipeline(text.into_bytes());
    }
}
