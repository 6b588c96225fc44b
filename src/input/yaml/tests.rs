use super::manifests::*;
use super::plain::*;
use super::*;

#[test]
fn manifests_from_events_read_exactly_as_serde_saphyr_or_defer() {
    let mut taken = 0;
    for scalar in [
        "x",
        "agent-deployment",
        "10",
        "0",
        "-3",
        "1.5",
        "0.25",
        "true",
        "false",
        "null",
        "~",
        "",
        "on",
        "yes",
        "No",
        "Y",
        "012",
        "0644",
        "0x1F",
        "0o17",
        "1e3",
        ".5",
        "+1",
        "1:20",
        "2024-01-01",
        "1.5.0",
        "nan",
        "NaN",
        ".inf",
        "-.inf",
        "Infinity",
        "500m",
        "4Gi",
        "64Mi",
        "0Mi",
        "2E",
        "3e",
        "/data",
        "/a:b",
        "100Ki",
        "1_000",
        "TRUE",
        "Null",
        "99999999999999999999",
        "'q'",
        "\"d\"",
        "a b",
    ] {
        let text =
            format!("apiVersion: v1\nkind: X\nitems: [{scalar}]\nk: {scalar}\n---\n- {scalar}\n");
        let slow: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text)
            .map(|d: Vec<serde_json::Value>| d.into_iter().filter(|d| !d.is_null()).collect())
            .unwrap_or_default();
        if let Some(fast) = manifests_from_events(&text) {
            assert_eq!(fast, slow, "{scalar:?} read differently");
            taken += 1;
        }
    }
    assert!(
        taken >= 15,
        "the fast path should take the common scalars ({taken})"
    );
    // Anchors, tags, duplicate keys and syntax errors always defer.
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: 1\na: 2\n",
        "a: [1\n",
        "8080: x\n",
    ] {
        assert_eq!(manifests_from_events(text), None, "{text:?}");
    }
}

#[test]
fn rendered_files_take_the_event_path_and_read_the_same() {
    let renderer = crate::render::Renderer::new().expect("templates compile");
    for profile in ["", "dev", "high-throughput", "low-latency"] {
        let inputs = crate::input::layers::Inputs {
            profiles: [profile]
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| (*p).to_owned())
                .collect(),
            ..Default::default()
        };
        let merged = crate::pipeline::resolve(&inputs).expect("resolves");
        for (name, text) in renderer.render(&merged.config).expect("renders") {
            let fast = manifests_from_events(&text)
                .unwrap_or_else(|| panic!("{profile}/{name} left the event path"));
            let slow: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text)
                .map(|d: Vec<serde_json::Value>| d.into_iter().filter(|d| !d.is_null()).collect())
                .expect("serde-saphyr reads it");
            assert_eq!(fast, slow, "{profile}/{name}");
        }
    }
}

/// What serde-saphyr reads from a stream (null documents left out), the reference every
/// faster reader is held to.
fn saphyr(text: &str) -> Option<Vec<serde_json::Value>> {
    serde_saphyr::from_str_multiple(text)
        .map(|d: Vec<serde_json::Value>| d.into_iter().filter(|d| !d.is_null()).collect())
        .ok()
}

#[test]
fn rendered_files_take_the_line_path_and_read_the_same() {
    let renderer = crate::render::Renderer::new().expect("templates compile");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut renders: Vec<(Vec<&str>, Vec<&str>)> = ["", "dev", "high-throughput", "low-latency"]
        .iter()
        .map(|p| (vec![*p], Vec::new()))
        .collect();
    renders.push((vec!["high-throughput", "low-latency"], Vec::new()));
    for example in [
        "adopter",
        "everything",
        "override",
        "patches",
        "pinned-digests",
    ] {
        renders.push((vec![""], vec![example]));
    }
    let mut files = 0;
    for (profiles, examples) in renders {
        let inputs = crate::input::layers::Inputs {
            profiles: profiles
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| (*p).to_owned())
                .collect(),
            files: examples
                .iter()
                .map(|e| root.join(format!("examples/{e}.yaml")))
                .collect(),
            ..Default::default()
        };
        let merged = crate::pipeline::resolve(&inputs).expect("resolves");
        for (name, text) in renderer.render(&merged.config).expect("renders") {
            let fast = super::lines::manifests_from_lines(&text)
                .unwrap_or_else(|| panic!("{profiles:?} {examples:?} {name} left the line path"));
            assert_eq!(
                Some(fast),
                saphyr(&text),
                "{profiles:?} {examples:?} {name}"
            );
            files += 1;
        }
    }
    assert!(files > 100, "{files}");
}

#[test]
fn every_rendered_object_is_written_directly_as_serde_saphyr_writes_it() {
    let renderer = crate::render::Renderer::new().expect("templates compile");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut renders: Vec<(Vec<&str>, Vec<&str>)> = ["", "dev", "high-throughput", "low-latency"]
        .iter()
        .map(|p| (vec![*p], Vec::new()))
        .collect();
    renders.push((vec!["high-throughput", "low-latency"], Vec::new()));
    for example in [
        "adopter",
        "everything",
        "override",
        "patches",
        "pinned-digests",
    ] {
        renders.push((vec![""], vec![example]));
    }
    let mut objects = 0;
    for (profiles, examples) in renders {
        let inputs = crate::input::layers::Inputs {
            profiles: profiles
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| (*p).to_owned())
                .collect(),
            files: examples
                .iter()
                .map(|e| root.join(format!("examples/{e}.yaml")))
                .collect(),
            ..Default::default()
        };
        let merged = crate::pipeline::resolve(&inputs).expect("resolves");
        for (name, text) in renderer.render(&merged.config).expect("renders") {
            for obj in parse_manifests(&text).expect("parses") {
                let direct = super::canonical::canonical(&obj, false)
                    .unwrap_or_else(|| panic!("{profiles:?} {examples:?} {name} deferred"));
                assert_eq!(
                    Ok(direct),
                    canonical_by_saphyr(&obj),
                    "{profiles:?} {examples:?} {name}"
                );
                objects += 1;
            }
        }
    }
    assert!(objects > 100, "{objects}");
}

#[test]
fn the_direct_writer_writes_odd_keys_and_values_as_serde_saphyr_or_defers() {
    use serde_json::json;
    let strings = [
        "x",
        "",
        " ",
        "a b",
        " a",
        "a ",
        "yes",
        "No",
        "ON",
        "y",
        "null",
        "Null",
        "~",
        "true",
        "nan",
        "inf",
        ".inf",
        "1",
        "012",
        "0x1F",
        "1e3",
        "1.5",
        "2024-01-01",
        "1:20",
        "a: b",
        "a:b",
        "a:",
        ":a",
        "a #b",
        "a#b",
        "#a",
        "- a",
        "-a",
        "-",
        "?",
        "? a",
        "?a",
        "&a",
        "*a",
        "!a",
        "|a",
        ">a",
        "'a'",
        "\"a\"",
        "%a",
        "@a",
        "`a`",
        "[a]",
        "{a}",
        "a,b",
        ",a",
        "<<",
        "=",
        "---",
        "--- a",
        "...",
        "a\nb",
        "a\nb\n",
        "a\n\nb\n",
        "\na",
        "  a\nb",
        "a\n  b\n",
        "a\n\n",
        "a\n\n\n",
        "\n\na\n",
        "a \nb  \n",
        "a\n b\n\n  c",
        "x\n",
        "\n",
        "{\n  \"a\": \"${b}\"\n}\n",
        "a\n#b\n- c: d\n",
        "a\tb",
        "a\rb",
        "é",
        "a\u{85}b",
        "\u{feff}a",
        "/data",
        "/a:b",
        "http://x/y",
        "a=b c",
        "CKV_K8S_35=the agent reads the Secret as env vars",
        "{{ $value | humanize }}%",
        "sum(rate(x[5m])) > 0.05",
        "app.kubernetes.io/name",
    ];
    let mut direct = 0;
    for s in strings {
        for value in [
            json!({ "k": s }),
            json!({ s: "v" }),
            json!({ s: { s: [s, { s: s, "z": [s] }] } }),
            json!({ "a": [{ "b": s, "c": { "d": s } }], "e": [s, s] }),
            json!({ "a": { "b": [{ "c": [{ "d": s }] }] } }),
            json!({ "a": [1, -2, 1.5, true, null, {}, []], "b": {}, "c": [] }),
            json!({ "a": [[s]], "b": [{}], "c": [[]] }),
        ] {
            if let Some(text) = super::canonical::canonical(&value, false) {
                assert_eq!(Ok(text), canonical_by_saphyr(&value), "{value}");
                direct += 1;
            }
        }
    }
    assert!(
        direct >= 200,
        "the direct writer should take most ({direct})"
    );
}

#[test]
fn the_line_reader_reads_exactly_as_serde_saphyr_or_defers() {
    // Scalars, in every place a value can be.
    let mut taken = 0;
    let scalars = [
        "x",
        "agent-deployment",
        "10",
        "0",
        "-3",
        "1.5",
        "true",
        "false",
        "null",
        "~",
        "on",
        "yes",
        "No",
        "012",
        "0x1F",
        "1e3",
        "+1",
        "1:20",
        "2024-01-01",
        "nan",
        ".inf",
        "500m",
        "64Mi",
        "/data",
        "/a:b",
        "1_000",
        "TRUE",
        "99999999999999999999",
        "'q'",
        "\"d\"",
        "\"a\\u00e9\\n\"",
        "a b",
        "a#b",
        "a # c",
        "a[b]",
        "a, b",
        "{}",
        "[]",
        "{\"a\": 1}",
        "[1, \"b\", null, true]",
        "[1.5]",
        "[99999999999999999999]",
        "{\"a\": 1, \"a\": 2}",
        "\"\\ud83d\\ude00\"",
        "\"x\" # c",
        "\"x\"#c",
        "- a",
        "-1",
        "|",
        ">",
        "&a x",
        "*a",
        "!!str 1",
        "@x",
        "`x`",
        "%x",
        "?x",
        "? x",
        "a:b",
        "a: b",
        "a:",
        ": a",
        "#x",
    ];
    for scalar in scalars {
        for text in [
            format!("k: {scalar}\n"),
            format!("- {scalar}\n"),
            format!("a:\n  k: {scalar}\n  j: 1\n---\n- - {scalar}\n  - 2\n"),
            format!("a:\n- {scalar}\n- x: {scalar}\n  y: 1\nb: 2\n"),
        ] {
            if let Some(fast) = super::lines::manifests_from_lines(&text) {
                assert_eq!(Some(fast), saphyr(&text), "{text:?} read differently");
                taken += 1;
            }
        }
    }
    assert!(
        taken >= 100,
        "the line path should take the usual scalars ({taken})"
    );
    // Shapes: each either reads as serde-saphyr reads it or defers.
    for text in [
        "a:\n  b:\n    c: 1\n  d: [1]\ne: x\n",
        "- a: 1\n  b:\n  - 2\n  - 3\n- c\n",
        "-   a: 1\n    b: 2\n",
        "- - - 1\n",
        "\"k\": 1\n\"j k\":\n  - 1\n",
        "a: 1\n# c\n\n  # indented comment\nb: 2 # c\n",
        "---\n---\na: 1\n...\n",
        "# only a comment\n---\na: 1\n",
        "a:\nb:\n",
        "a: b\n  c\n",
        "a:\n  b: 1\n c: 2\n",
        "a:\n    b: 1\n  c: 2\n",
        "- a\n - b\n",
        "- a: 1\n   b: 2\n",
        "a: 1\n- b\n",
        "  a: 1\n",
        "a: 1\na: 2\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: |\n  x\n",
        "a: &x 1\nb: *x\n",
        "8080: x\n",
        "true: x\n",
        "a b: x\n",
        "-\n  a: 1\n",
        "- \"x\": 1\n  \"y\": 2\n",
        "a: [1,\n  2]\n",
        "%YAML 1.2\n---\na: 1\n",
        "--- a\n",
    ] {
        if let Some(fast) = super::lines::manifests_from_lines(text) {
            assert_eq!(Some(fast), saphyr(text), "{text:?} read differently");
        }
    }
    // What the subset leaves out always defers.
    for text in [
        "a: b\n  c\n",
        "a: 1\na: 2\n",
        "a: |\n  x\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "8080: x\n",
        "a:\tb\n",
        "a: [1.5]\n",
        "a: {\"b\": 1, \"b\": 2}\n",
        "a:\n  b: 1\n c: 2\n",
        "  a: 1\n",
    ] {
        assert_eq!(super::lines::manifests_from_lines(text), None, "{text:?}");
    }
}

#[test]
fn plain_scalars_follow_yaml_1_2_where_every_reader_agrees() {
    assert_eq!(resolve_plain("on"), Value::Str("on".into()));
    assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
    assert_eq!(resolve_plain(".5"), Value::Float(0.5));
    assert_eq!(resolve_plain("1.5.0"), Value::Str("1.5.0".into()));
    assert_eq!(resolve_plain("~"), Value::Null);
    assert_eq!(resolve_plain("NULL"), Value::Null);
    assert_eq!(resolve_plain("TRUE"), Value::Bool(true));
    assert_eq!(resolve_plain("+1"), Value::Int(1));
    assert_eq!(resolve_plain("-0"), Value::Int(0));
    assert_eq!(resolve_plain("0"), Value::Int(0));
    assert_eq!(resolve_plain("500m"), Value::Str("500m".into()));
    // YAML 1.2 reads these as numbers, YAML 1.1 (Kubernetes, PyYAML) differently or not at
    // all: never a number here, whatever the source.
    for text in [
        "012", "0777", "-017", "00", "089", "0x10", "0X1f", "-0x10", "0o17", "0b11", "1_000",
        "1e3", "1E3", "1.5e+3", ".5e1", "1:30", "1:30:00",
    ] {
        assert_eq!(resolve_plain(text), Value::Str(text.into()), "{text}");
        assert!(not_decimal(text).is_some(), "{text}");
    }
    for (text, write) in [
        ("0x10", "16"),
        ("0o17", "15"),
        ("017", "17, or 15 for the octal value"),
        ("0777", "777, or 511 for the octal value"),
        ("089", "89"),
        ("0b11", "3"),
        ("1_000", "1000"),
        ("1e3", "1000"),
        ("1:30", "90"),
        ("-0x10", "-16"),
    ] {
        assert_eq!(
            not_decimal(text).map(|n| n.write),
            Some(write.into()),
            "{text}"
        );
    }
    for text in [
        "0", "10", "-3", "+1", "1.5", "0.5", "v1.2", "1.2.3", "0x", "0b2", "1:", "a:1",
    ] {
        assert_eq!(not_decimal(text), None, "{text}");
    }
}

fn error_of(text: &str) -> SyntaxError {
    match parse_layer(text) {
        Err(e) => e,
        Ok(n) => panic!("{text:?} parsed as {n:?}"),
    }
}

#[test]
fn refused_constructs_are_located_at_their_token() {
    let tab = error_of("agent:\n  \tport: 1\n");
    assert_eq!((tab.pos, tab.len), (Pos { line: 2, col: 3 }, 1));
    let anchor = error_of("agent: &base\n  port: 1\n");
    assert_eq!((anchor.pos, anchor.len), (Pos { line: 1, col: 8 }, 5));
    let alias = error_of("namespace: *ns\n");
    assert_eq!((alias.pos, alias.len), (Pos { line: 1, col: 12 }, 3));
    let tag = error_of("agent:\n  port: !!int 1\n");
    assert_eq!((tag.pos, tag.len), (Pos { line: 2, col: 9 }, 5));
    let merge = error_of("agent:\n  <<: {port: 1}\n");
    assert!(merge.message.contains("merge keys"), "{}", merge.message);
    let dup = error_of("a: 1\nb: 2\na: 3\n");
    assert_eq!(dup.pos, Pos { line: 3, col: 1 });
    assert_eq!(dup.related.map(|(_, p)| p), Some(Pos { line: 1, col: 1 }));
}

#[test]
fn empty_documents_and_bounds() {
    for empty in ["", "# only a comment\n", "---\n", "---\n...\n", "\n\n"] {
        assert!(error_of(empty).message.contains("empty"), "{empty:?}");
    }
    // An explicit null is a value (the schema check says the top level must be a map).
    assert_eq!(parse_layer("~\n").map(|n| n.value), Ok(Value::Null));
    let deep = format!(
        "a: {}{}\n",
        "[".repeat(MAX_DEPTH + 1),
        "]".repeat(MAX_DEPTH + 1)
    );
    assert!(error_of(&deep).message.contains("nesting"));
    let many = format!("a: [{}]\n", vec!["1"; MAX_ENTRIES + 1].join(","));
    assert!(error_of(&many).message.contains("entries"));
    let ok = format!("a: [{}]\n", vec!["1"; MAX_ENTRIES].join(","));
    assert!(parse_layer(&ok).is_ok());
}

#[test]
fn ambiguous_strings_are_quoted_on_output() {
    for s in [
        "on",
        "no",
        "y",
        "012",
        "2024-01-01",
        "1:20",
        "~",
        " lead",
        "true",
        "1e3",
        "0X1F",
        "0O17",
        "0B11",
        "1_000",
    ] {
        let yaml = to_canonical(&serde_json::json!({ "k": s })).unwrap_or_default();
        assert_ne!(yaml.trim(), format!("k: {s}"), "{s} was emitted bare");
    }
}

/// The insertion over indices places every key where the insertion over the keys did, the
/// keys whose order is not total included (`v1a`, `v9`, `v10`), over thousands of them.
#[test]
fn keys_sorted_over_indices_as_over_the_keys() {
    let mut owned: Vec<String> = Vec::new();
    for i in 0..2000 {
        owned.push(format!("example.com/a{i}"));
        owned.push(format!("v{}{}", i % 97, ["a", "", "0", "_b", "B"][i % 5]));
    }
    owned.sort_unstable();
    owned.dedup();
    let keys: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut expected: Vec<&str> = Vec::new();
    for key in &keys {
        let at = expected.partition_point(|k| !go_yaml_less(key, k));
        expected.insert(at, key);
    }
    assert_eq!(go_yaml_sorted(keys), expected);
}

#[test]
fn keys_sort_as_go_yaml_sorts_them() {
    // The order `kubectl kustomize` (5.5) printed for a ConfigMap's data.
    let kustomize = [
        "A_B", "A2", "A10", "AB", "L9", "X10", "X1AA", "XB", "Xa", "l-a", "l.c", "l_b", "l0", "lA",
        "la", "x1", "x01",
    ];
    let mut bytewise = kustomize.to_vec();
    bytewise.sort_unstable();
    assert_eq!(go_yaml_sorted(bytewise), kustomize);
    for pair in kustomize.windows(2) {
        assert!(go_yaml_less(pair[0], pair[1]), "{} < {}", pair[0], pair[1]);
        assert!(
            !go_yaml_less(pair[1], pair[0]),
            "not {} < {}",
            pair[1],
            pair[0]
        );
    }
    // Not a total order: sorting such keys must not panic, and is the same every time.
    let cycle = go_yaml_sorted(vec!["v10", "v1a", "v9"]);
    assert_eq!(cycle, go_yaml_sorted(vec!["v10", "v1a", "v9"]));
    let value: serde_json::Value =
        serde_json::json!({"A10": 1, "A2": 2, "AB": 3, "A_B": 4, "b": {"x10": 1, "x9": 2}});
    assert_eq!(
        to_canonical(&value).unwrap(),
        "A_B: 4\nA2: 2\nA10: 1\nAB: 3\nb:\n  x9: 2\n  x10: 1\n"
    );
}

#[test]
fn plain_values_have_their_paths_and_quoted_ones_are_left_out() {
    let got = plain_values("a: 1\nb: [x, \"y\"]\nc: {d: 010}\n").unwrap_or_default();
    let got: Vec<(String, String)> = got
        .into_iter()
        .map(|(path, v, _)| {
            let p = path
                .iter()
                .map(|s| match s {
                    PathSeg::Key(k) => k.clone(),
                    PathSeg::Index(i) => i.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".");
            (p, v)
        })
        .collect();
    let want = [("a", "1"), ("b.0", "x"), ("c.d", "010")];
    for (p, v) in want {
        assert!(got.contains(&(p.to_owned(), v.to_owned())), "{got:?}");
    }
    assert!(!got.iter().any(|(_, v)| v == "y"), "{got:?}");
}

#[test]
fn a_number_kubectl_reads_otherwise_is_an_error_at_its_line() {
    for (text, line) in [
        ("a: 1\nb: 010\n", 2),
        ("a:\n  - 1_000\n", 2),
        ("x: 0b11\n", 1),
        ("x: 0X1F\n", 1),
        ("---\na: 1\n---\nb: -017\n", 4),
    ] {
        let e = read_alike(text);
        assert!(
            e.as_ref().is_err_and(|e| e.pos.line == line),
            "{text:?}: {e:?}"
        );
    }
    for text in [
        "a: 10\n",
        "a: \"010\"\n",
        "a: 0x1f\n",
        "a: 0o17\n",
        "a: 0.5\n",
        "a: 0\n",
        "a: 09\n",
    ] {
        assert!(read_alike(text).is_ok(), "{text:?}");
    }
}

#[test]
fn every_base_60_form_is_quoted_as_go_yaml_quotes_it() {
    for s in ["0:0", "1:20", "-0:30", "12:34:56", "1:20.5"] {
        let yaml = to_canonical(&serde_json::json!({ "k": s })).unwrap_or_default();
        assert_eq!(yaml, format!("k: \"{s}\"\n"), "{s}");
    }
    for s in ["1:60", "a:1", "1:2:x"] {
        let yaml = to_canonical(&serde_json::json!({ "k": s })).unwrap_or_default();
        assert_ne!(
            yaml,
            format!("k: \"{s}\"\n"),
            "{s} quoted, go-yaml writes it plain"
        );
    }
}
