//! Real-tool tests: the rendered directory of every profile is built by the real
//! `kubectl kustomize`, and agentctl's stream (no `-o`) is byte-identical to what kubectl
//! prints for that directory. A missing kubectl fails these tests loudly; it never passes them.

use std::path::Path;
use std::process::Command;

use crate::support::{self, agentctl};

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
    &["-f", "examples/sidecar-agent.yaml"],
    &["-p", "dev", "-f", "examples/sidecar-agent.yaml"],
    &["-f", "examples/realtime-agent.yaml"],
    &["-p", "dev", "-f", "examples/realtime-agent.yaml"],
    &["-f", "examples/patches.yaml"],
    &["-p", "dev", "-f", "examples/patches.yaml"],
];

/// `kubectl kustomize DIR`'s output (the test fails loudly without kubectl).
pub(crate) fn kubectl_kustomize(dir: &Path) -> String {
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
        let out = agentctl(&args).run();
        assert_eq!(out.code, 0, "render {case:?}: {}", out.stderr);
        let built = kubectl_kustomize(&dir);
        let mut stream_args = vec!["render"];
        stream_args.extend_from_slice(case);
        let stream = agentctl(&stream_args).run();
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
        // The realtime example serves through both an Ingress and a route.
        let exposed = adopter || case.contains(&"examples/realtime-agent.yaml");
        let dev = case.contains(&"dev");
        for (name, present) in [
            ("agent-deployment", true),
            ("agent-service", true),
            ("redis-service", !adopter),
            ("agent-data-pvc", dev),
            ("agent-network-policy", true),
            ("agent-config", true),
            ("agent-ingress", exposed),
            ("agent-route", exposed),
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
    let out = agentctl([
        "render",
        "-q",
        "-f",
        overrides.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ])
    .run();
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
        let out = agentctl(&args).run();
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

// ---------------------------------------------------------------------------------------------
// Stream == `kubectl kustomize DIR`, over generated values.

use proptest::prelude::*;

/// Characters that stress an emitter: YAML indicators, quotes, escapes, a non-ASCII letter, a
/// tab. (Control characters other than tab and line feed, and the Unicode line breaks U+0085,
/// U+2028 and U+2029, are refused on input: kustomize writes the breaks raw and `kubectl apply
/// -k` reads them back changed; see `attacks::characters_kustomize_would_change_are_refused`.)
const TRICKY_CHARS: &[&str] = &[
    "a", "Z", "0", "1", "9", ".", "=", ":", " ", "#", "-", "_", "'", "\"", "\\", "é", "\t", "{",
    "}", "[", "]", ",", "&", "*", "!", "|", ">", "%", "@", "`", "~", "?", "/",
];

/// Whole values YAML readers like to retype.
const TRICKY_WORDS: &[&str] = &[
    "on",
    "yes",
    "No",
    "1.2.3",
    "0x10",
    "017",
    "1e3",
    "null",
    "~",
    "2024-01-01",
    "1:30",
    "=",
    "",
    " ",
    "- a",
    "a: b",
    "#x",
    "True",
    "1_000",
    ".inf",
    "-",
    "?",
    "<<",
];

fn tricky_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(TRICKY_WORDS).prop_map(str::to_owned),
        prop::collection::vec(prop::sample::select(TRICKY_CHARS), 1..8).prop_map(|v| v.concat()),
    ]
}

/// Keys where byte order and go-yaml's order differ (`A2`/`A10`, `A_B`/`AB`), with digits
/// only at the end: go-yaml's order is not total for a digit run followed by letters against a
/// longer digit run (`v1a`, `v9`, `v10`), where kustomize's order depends on its input (README).
fn tricky_key(prefix: &'static str) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(&["A", "B", "_", "a"][..]), 0..3),
        prop::sample::select(&["", "0", "1", "2", "9", "10", "01", "100"][..]),
    )
        .prop_map(move |(letters, digits)| format!("{prefix}{}{digits}", letters.concat()))
}

/// A label key (letters, digits, `-`, `.`, `_` inside) whose byte and go-yaml orders differ.
fn label_key() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop::sample::select(&["a", "B", "-a", "_b", ".c"][..]),
            0..3,
        ),
        prop::sample::select(&["", "0", "1", "2", "10", "01"][..]),
    )
        .prop_map(|(letters, digits)| format!("l{}{digits}", letters.concat()))
}

/// A label value (`[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63) that YAML may retype.
fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            &[
                "on",
                "1.2.3",
                "017",
                "1e3",
                "0x10",
                "2024-01-01",
                "y",
                "True",
                "v1",
                ""
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z0-9]([-a-z0-9_.]{0,6}[a-z0-9])?",
    ]
}

/// A double-quoted YAML scalar for `s`, with the Unicode line breaks escaped.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A line with its value taken off (`  KEY: value` → `  KEY: `, `  - "a: b"` → `  - `): the
/// structure a line carries. (Keys here are plain: a quote after the dash starts a value.)
fn shape(line: &str) -> &str {
    let body = line.trim_start_matches(' ');
    if let Some(item) = body.strip_prefix("- ")
        && item.starts_with(['"', '\''])
    {
        return &line[..line.len() - item.len()];
    }
    match line.find(": ") {
        Some(i) => &line[..i + 2],
        None => line,
    }
}

/// Renders `file` as a stream and as a directory, builds the directory with the real
/// `kubectl kustomize`, and compares: the same objects in the same order (both read by a YAML
/// 1.2 reader), the same keys in the same order on the same lines; and every line whose bytes
/// differ differs only in how its value is quoted or escaped. Returns those lines.
fn stream_against_kustomize(file: &str) -> Vec<(String, String)> {
    let tmp = support::tempdir();
    let f = tmp.path().join("values.yaml");
    std::fs::write(&f, file).expect("write");
    let f = f.to_str().expect("utf-8");
    let dir = tmp.path().join("out");
    let written = agentctl(["render", "-q", "-f", f, "-o", dir.to_str().expect("utf-8")]).run();
    assert_eq!(
        written.code, 0,
        "render -o failed for\n{file}\n{}",
        written.stderr
    );
    let stream = agentctl(["render", "-f", f]).run();
    assert_eq!(stream.code, 0, "{}", stream.stderr);
    let built = kubectl_kustomize(&dir);
    let ours = support::lib::parse_manifests(&stream.stdout).expect("the stream parses");
    let theirs = support::lib::parse_manifests(&built).expect("kubectl's build parses");
    assert_eq!(ours.len(), theirs.len(), "object count, for\n{file}");
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "object {} differs, for\n{file}", a["kind"]);
    }
    let (ours, theirs): (Vec<&str>, Vec<&str>) =
        (stream.stdout.lines().collect(), built.lines().collect());
    assert_eq!(ours.len(), theirs.len(), "line count, for\n{file}");
    let mut differing = Vec::new();
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(
            shape(a),
            shape(b),
            "key order or nesting differs, for\n{file}"
        );
        if a != b {
            differing.push(((*a).to_owned(), (*b).to_owned()));
        }
    }
    differing
}

/// Whether our line and kustomize's differ only in the way the README documents: how the
/// value is quoted (the objects were already found equal, so it is the same string), and
/// never with agentctl's plain where kustomize's is quoted: agentctl quotes at least what
/// kustomize quotes (`"1.2.3"` and `1.2.3`, `"="` and `=`, `'.'` and `.`).
fn documented_difference(ours: &str, theirs: &str) -> bool {
    let value = |l: &str| l[shape(l).len()..].to_owned();
    let (ours, theirs) = (value(ours), value(theirs));
    ours != theirs && ours.starts_with(['"', '\''])
}

proptest! {
    // kubectl costs about 60 ms a run, and each case runs agentctl twice: keep it modest.
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_stream_is_what_kubectl_kustomize_builds_for_generated_values(
        extra in prop::collection::btree_map(tricky_key("X"), tricky_value(), 1..6),
        env in prop::collection::btree_map(tricky_key("E"), tricky_value(), 1..4),
        labels in prop::collection::btree_map(label_key(), label_value(), 1..4),
    ) {
        let mut file = String::from("agent:\n  config:\n    extra:\n");
        for (k, v) in &extra {
            file.push_str(&format!("      {k}: {}\n", quoted(v)));
        }
        file.push_str("  env:\n");
        for (k, v) in &env {
            file.push_str(&format!("    {k}: {}\n", quoted(v)));
        }
        file.push_str("labels:\n");
        for (k, v) in &labels {
            file.push_str(&format!("  {k}: {}\n", quoted(v)));
        }
        for (ours, theirs) in stream_against_kustomize(&file) {
            prop_assert!(
                documented_difference(&ours, &theirs),
                "an undocumented difference from kubectl kustomize:\n  ours:   {ours:?}\n  theirs: {theirs:?}\nfor\n{file}"
            );
        }
    }
}

/// Words for long values: plain words, YAML indicators that force single or double quotes in
/// go-yaml (`: `, ` #`, a leading `- `, a tab, a quote), non-ASCII letters and double spaces.
const LONG_WORDS: &[&str] = &[
    "echo",
    "run",
    "--flag=value",
    "a:",
    "b: c",
    "#x",
    "x #y",
    "'q'",
    "\"dq\"",
    "é",
    "日本",
    "tab\there",
    "",
    "-",
    "--",
    "/usr/local/bin/agent",
    "&&",
    "|",
    ">",
    "%",
    "@",
    "`",
    "{a}",
    "[b]",
];

/// A value longer than 80 columns once placed, with spaces at many columns (words joined by
/// one or two spaces).
fn long_value() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(LONG_WORDS), 12..40),
        prop::collection::vec(prop::bool::weighted(0.15), 40),
    )
        .prop_map(|(words, doubles)| {
            let mut s = String::new();
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    s.push_str(if doubles[i] { "  " } else { " " });
                }
                s.push_str(w);
            }
            s
        })
}

/// A render with long values in every place a scalar goes: a sidecar's `command` and `args`
/// items (after `- `), an environment variable's value (after `value: `, in a list item's map)
/// and a ConfigMap entry (after `KEY: `).
fn long_values_file(values: &[String]) -> String {
    let q: Vec<String> = values.iter().map(|v| quoted(v)).collect();
    format!(
        "agent:\n  config:\n    extra:\n      LONG_SETTING: {0}\n  env:\n    LONG_ENV: {1}\n  sidecars:\n    helper:\n      image: busybox:1.36\n      command: [\"/bin/sh\", \"-c\", {2}]\n      args: [{3}, {4}]\n",
        q[0], q[1], q[2], q[3], q[4]
    )
}

#[test]
fn long_values_break_on_the_lines_kubectl_kustomize_breaks_them() {
    let values = [
        "echo this is a very long command line that goes on and on and on beyond eighty columns for sure yes",
        "a 'quoted' value with: colons and # hashes that is long enough to wrap past the eighty column limit ok",
        "x  double  spaces  here  and there and a long long long long long long tail value end",
        "tab\tinside a long value forces double quotes in go-yaml so the break is in a double-quoted scalar  with two spaces",
        "- starts like a list item and goes on and on past the width of eighty columns for sure ok",
    ]
    .map(str::to_owned);
    let file = long_values_file(&values);
    // Every line byte-identical: the long values break where go-yaml breaks them, quoted as
    // go-yaml quotes them (the rest of this render has no value the two quote differently).
    assert_eq!(
        stream_against_kustomize(&file),
        Vec::<(String, String)>::new(),
        "lines that differ from kubectl kustomize (ours, theirs)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn long_generated_values_break_as_kubectl_kustomize_breaks_them(
        values in prop::collection::vec(long_value(), 5),
    ) {
        let file = long_values_file(&values);
        for (ours, theirs) in stream_against_kustomize(&file) {
            prop_assert!(
                documented_difference(&ours, &theirs),
                "an undocumented difference from kubectl kustomize:\n  ours:   {ours:?}\n  theirs: {theirs:?}\nfor\n{file}"
            );
        }
    }
}
