//! Property tests of the layer merge and of the input pipeline's robustness.
//!
//! Merge: random stacks of partial layers (built from schema-valid assignments) are merged and
//! checked against the rules: later layers win, maps merge key by key, lists replace whole, the
//! history's last setter of every path holds the final value, and layering is associative (the
//! effective configuration of some layers, written out as one layer, stands for them).
//! Robustness: arbitrary bytes, YAML-shaped text over every setting, and plausible
//! configurations (each value valid alone; most combinations validate) go through layer → merge
//! → validate (→ render when valid) and must end in a bundle or a diagnostic: never a panic, and
//! never a configuration that validates but fails to render; so must every seed in
//! `fuzz/corpus/`. For a long run:
//! `PROPTEST_CASES=200000 cargo test --release --test it merge_props`.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use agentctl::diag::{Origin, Source};
use agentctl::input::layers::{self, Layer};
use agentctl::input::yaml;
use agentctl::render::Renderer;
use agentctl::render::bundle;
use agentctl::resolve::merge::{self, Merged};
use agentctl::resolve::validate;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Value as J, json};

/// Cases per property: `PROPTEST_CASES` when set (for long local runs), else `cases`. Failing
/// seeds are kept in `tests/it/merge_props.proptest-regressions` (committed) and replayed first on
/// every run, so a failure found once, here or in CI, stays a test.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/it/merge_props.proptest-regressions",
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
        let merged = merge::merge(layers.clone()).expect("schema-valid layers merge");
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
            prop_assert_eq!(&origin.value(), *value);
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
        let whole = merge::merge(stack(&[a.clone(), b.clone(), c.clone()])).expect("merge");
        let ab = merge::merge(stack(&[a, b])).expect("merge");
        let text = yaml::to_string_ordered(&ab.config).expect("effective config as YAML");
        let ab_layer = layers::from_text(Source::new(Origin::File("ab.yaml".into()), text))
            .unwrap_or_else(|d| panic!("the effective config is not a valid layer: {d:?}"));
        let regrouped = merge::merge(vec![layers::defaults(), ab_layer, layer("c", &c)])
            .expect("merge");
        prop_assert_eq!(effective(&whole), effective(&regrouped));
    }

    #[test]
    fn merging_is_deterministic_and_idempotent(a in layer_assignments()) {
        let once = merge::merge(stack(std::slice::from_ref(&a))).expect("merge");
        let twice = merge::merge(stack(&[a.clone(), a])).expect("merge");
        prop_assert_eq!(effective(&once), effective(&twice));
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness: nothing panics, whatever the bytes.

fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(|| Renderer::new().expect("built-in templates compile"))
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
    let Ok(merged) = merge::merge(vec![layers::defaults(), layer]) else {
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
    let defaults = serde_json::to_value(agentctl::config::Config::default()).expect("json");
    let mut settings = Vec::new();
    leaves("", &defaults, &mut settings);
    let mut out = Vec::new();
    for (path, _) in settings {
        if is_free_form(&path) {
            out.push(format!("{path}.team"));
            out.push(format!("{path}.API_TOKEN"));
        }
        out.push(path);
    }
    assert!(out.len() > 80, "too few settings found: {out:?}");
    out
}

/// Every leaf of a configuration as (path, value), free-form maps and lists counting as leaves.
fn leaves(prefix: &str, v: &J, out: &mut Vec<(String, J)>) {
    match v {
        J::Object(m) if !m.is_empty() && !is_free_form(prefix) => {
            for (k, v) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&path, v, out);
            }
        }
        _ => out.push((prefix.to_owned(), v.clone())),
    }
}

/// The maps whose keys are the user's (labels, node selector, extra settings).
fn is_free_form(path: &str) -> bool {
    matches!(
        path,
        "labels" | "agent.nodeSelector" | "agent.config.extra" | "monitoring.serviceMonitor.labels"
    )
}

/// For every setting, values each of which is valid on its own (as YAML flow text): its default,
/// every profile's and shipped example's value, and the usual and boundary values of its kind.
/// Combinations still break cross-field rules now and then; the point is that most of them
/// validate, so rendering gets exercised.
fn plausible_pools() -> Vec<(String, Vec<String>)> {
    let mut stacks = vec![vec![layers::defaults()]];
    for p in ["dev", "high-throughput", "low-latency"] {
        stacks.push(vec![
            layers::defaults(),
            layers::profile(p).expect("profile"),
        ]);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for e in ["examples/override.yaml", "examples/pinned-digests.yaml"] {
        let layer = layers::file(&root.join(e)).expect("example");
        stacks.push(vec![layers::defaults(), layer]);
    }
    let mut pools = std::collections::BTreeMap::<String, std::collections::BTreeSet<String>>::new();
    for stack in stacks {
        let merged = merge::merge(stack).expect("shipped inputs merge");
        let mut out = Vec::new();
        leaves("", &effective(&merged), &mut out);
        for (path, value) in out {
            pools.entry(path).or_default().insert(value.to_string());
        }
    }
    for (path, pool) in &mut pools {
        let sample: J = serde_json::from_str(pool.iter().next().expect("one value")).expect("json");
        let extra: &[&str] = match &sample {
            J::Bool(_) => &["true", "false"],
            J::Number(_) if path.ends_with("port") || path.ends_with("Port") => {
                &["1", "80", "8080", "65535"]
            }
            J::Number(_) => &["0", "1", "2", "3", "5", "10", "60", "100", "2147483647"],
            J::String(s) if s.ends_with('s') && s[..s.len() - 1].parse::<u32>().is_ok() => {
                &["1s", "5s", "15s", "1m", "2m30s"]
            }
            J::String(s) if looks_like_quantity(s) => {
                &["1", "100m", "250m", "0.5", "1Gi", "512Mi", "64Gi"]
            }
            J::Array(_) if path.ends_with("Ports") => &["[]", "[443]", "[443, 8443]", "[65535]"],
            J::Array(_) if path.ends_with("Namespaces") => &["[]", "[ingress-nginx]"],
            J::Array(_) => &["[]", "[\"10.0.0.0/8\", \"192.168.0.0/16\"]"],
            J::Object(_) => &["{}", "{team: payments}", "{release: prom, tier: b}"],
            _ => &[],
        };
        pool.extend(extra.iter().map(|s| (*s).to_owned()));
    }
    pools
        .into_iter()
        .map(|(p, v)| (p, v.into_iter().collect()))
        .collect()
}

/// Whether a default string looks like a Kubernetes quantity (`500m`, `2Gi`, `10000`).
fn looks_like_quantity(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Plausible configurations: 1–6 settings, each set to one of its plausible values.
fn plausible() -> impl Strategy<Value = String> {
    static POOLS: OnceLock<Vec<(String, Vec<String>)>> = OnceLock::new();
    let pools = POOLS.get_or_init(plausible_pools);
    prop::collection::vec((0..pools.len(), any::<prop::sample::Index>()), 1..7).prop_map(
        move |picks| {
            let mut tree = std::collections::BTreeMap::<String, Tree>::new();
            for (i, value) in picks {
                let (path, pool) = &pools[i];
                insert(&mut tree, path, value.get::<String>(pool));
            }
            let mut out = String::new();
            print_tree(&tree, 0, &mut out);
            out
        },
    )
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
            insert(&mut tree, &path, value);
        }
        let mut out = String::new();
        print_tree(&tree, 0, &mut out);
        out
    })
}

/// Sets a dotted path in a tree of YAML snippets, replacing a leaf on the way by a map.
fn insert(tree: &mut std::collections::BTreeMap<String, Tree>, path: &str, value: &str) {
    let mut here = tree;
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

    #[test]
    fn plausible_configurations_validate_or_render(text in plausible()) {
        pipeline(text.into_bytes());
    }
}

/// Every seed the fuzzer kept (`fuzz/corpus/`, inputs that reached new code, and the inputs CI
/// found bugs with) goes through the same pipeline on every `cargo test`, so what fuzzing found
/// stays covered without AFL installed.
#[test]
fn fuzz_corpus_replays_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    seeds.sort();
    assert!(
        seeds.len() > 1000,
        "the corpus shrank to {} seeds",
        seeds.len()
    );
    for seed in seeds {
        let bytes = std::fs::read(&seed).expect("seed");
        let result = std::panic::catch_unwind(|| pipeline(bytes));
        assert!(result.is_ok(), "seed {} failed (see above)", seed.display());
    }
}
