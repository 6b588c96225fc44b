//! The schema `agentctl schema` prints, checked by an independent JSON Schema validator (the
//! `jsonschema` crate): it is a valid draft 2020-12 schema, closed (`additionalProperties:
//! false` on every section), documented and defaulted; it accepts every shipped profile and
//! example, the `init` starter and every `config` output; and it rejects what agentctl rejects.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{self, root};

fn agentctl(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let r = support::agentctl(args).current_dir(dir).run();
    (r.code, r.stdout, r.stderr)
}

/// The schema, exactly as users get it.
fn schema() -> Value {
    let (code, stdout, stderr) = agentctl(&root(), &["schema"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("agentctl schema prints JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&schema()).expect("the schema compiles")
}

/// The same schema read by a draft-07 engine, as the YAML language server (and VS Code's JSON
/// service under it) validates instances: it must give the same verdicts.
fn draft7_validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&schema()).expect("the schema compiles as draft 7")
}

fn yaml(text: &str) -> Value {
    support::lib::yaml(text).expect("valid YAML")
}

/// Errors of one instance, as `path: message` lines.
fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn it_is_a_valid_draft_2020_12_schema() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    jsonschema::meta::validate(&s).expect("valid against its meta-schema");
}

/// Walks every subschema, calling `f(json_pointer, schema)`.
fn walk(node: &Value, at: &str, f: &mut dyn FnMut(&str, &Value)) {
    match node {
        Value::Object(map) => {
            f(at, node);
            for (k, v) in map {
                walk(v, &format!("{at}/{k}"), f);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{at}/{i}"), f);
            }
        }
        _ => {}
    }
}

#[test]
fn every_section_is_closed_documented_and_defaulted() {
    let s = schema();
    let mut sections = 0;
    let mut fields = 0;
    walk(&s, "#", &mut |at, node| {
        let Some(props) = node.get("properties").and_then(Value::as_object) else {
            if node.get("type") == Some(&Value::from("object")) {
                assert!(
                    node.get("additionalProperties")
                        .is_some_and(Value::is_object),
                    "{at}: an object without properties must be a typed map"
                );
            }
            return;
        };
        sections += 1;
        assert_eq!(
            node.get("additionalProperties"),
            Some(&Value::Bool(false)),
            "{at}: unknown keys must be disallowed"
        );
        for (name, prop) in props {
            fields += 1;
            let doc = prop.get("description").and_then(Value::as_str);
            assert!(
                doc.is_some_and(|d| d.len() > 10),
                "{at}/properties/{name} has no documentation"
            );
            assert!(
                prop.get("default").is_some(),
                "{at}/properties/{name} has no default"
            );
        }
    });
    assert!(
        sections >= 15 && fields >= 60,
        "{sections} sections, {fields} fields"
    );
}

#[test]
fn it_accepts_every_shipped_profile_and_example() {
    let mut files = yaml_files("profiles");
    files.extend(yaml_files("examples"));
    assert!(files.len() >= 5, "{files:?}");
    for v in [validator(), draft7_validator()] {
        for f in &files {
            let instance = yaml(&std::fs::read_to_string(f).unwrap());
            let errs = errors(&v, &instance);
            assert!(errs.is_empty(), "{}: {errs:#?}", f.display());
        }
    }
}

#[test]
fn it_accepts_the_init_starter_and_every_effective_configuration() {
    let v = validator();
    let dir = support::tempdir();
    let (code, _, stderr) = agentctl(dir.path(), &["init", "starter.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    let starter = std::fs::read_to_string(dir.path().join("starter.yaml")).unwrap();
    assert!(errors(&v, &yaml(&starter)).is_empty());
    for profile in [
        None,
        Some("dev"),
        Some("high-throughput"),
        Some("low-latency"),
    ] {
        let mut args = vec!["config"];
        if let Some(p) = profile {
            args.extend(["-p", p]);
        }
        let (code, stdout, stderr) = agentctl(&root(), &args);
        assert_eq!(code, 0, "{stderr}");
        let errs = errors(&v, &yaml(&stdout));
        assert!(errs.is_empty(), "config {profile:?}: {errs:#?}");
    }
}

/// Files with one mistake each: the schema rejects every one at the right place, and so
/// does agentctl itself (the editor and the tool agree).
#[test]
fn it_rejects_what_agentctl_rejects() {
    let v = validator();
    let v7 = draft7_validator();
    let cases = [
        ("unknown top-level key", "namespce: x\n", ""),
        (
            "unknown nested key",
            "agent:\n  replicas:\n    mx: 3\n",
            "/agent/replicas",
        ),
        ("wrong type", "agent:\n  port: eighty\n", "/agent/port"),
        (
            "bad enum value",
            "agent:\n  antiAffinity: sometimes\n",
            "/agent/antiAffinity",
        ),
        (
            "out of range",
            "agent:\n  replicas:\n    min: 0\n",
            "/agent/replicas/min",
        ),
        ("list for a map", "labels: [a, b]\n", "/labels"),
    ];
    let dir = support::tempdir();
    for (what, text, at) in cases {
        for (engine, v) in [("2020-12", &v), ("draft 7", &v7)] {
            let errs = errors(v, &yaml(text));
            assert!(
                errs.iter().any(|e| e.starts_with(&format!("{at}: "))),
                "{what} ({engine}): expected an error at {at:?}, got {errs:#?}"
            );
        }
        std::fs::write(dir.path().join("bad.yaml"), text).unwrap();
        let (code, _, stderr) = agentctl(dir.path(), &["render", "-f", "bad.yaml"]);
        assert_eq!(code, 2, "{what}: agentctl accepted it");
        assert!(stderr.contains("bad.yaml:"), "{what}: {stderr}");
    }
}
