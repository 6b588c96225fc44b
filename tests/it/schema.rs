//! The schema `agentctl schema` prints, checked by an independent JSON Schema validator (the
//! `jsonschema` crate): it is a valid draft 2020-12 schema, closed (`additionalProperties:
//! false` on every section), documented and defaulted; it accepts every shipped profile and
//! example, the `init` starter and every `config` output; and it rejects what agentctl rejects.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{self, agentctl, root};

/// The schema, exactly as users get it.
fn schema() -> Value {
    let stdout = agentctl(["schema"]).code(0).run().stdout;
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
    agentctl(["init", "starter.yaml"])
        .current_dir(dir.path())
        .code(0)
        .run();
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
        let stdout = agentctl(&args).code(0).run().stdout;
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
        let r = agentctl(["render", "-f", "bad.yaml"])
            .current_dir(dir.path())
            .run();
        assert_eq!(r.code, 2, "{what}: agentctl accepted it");
        assert!(r.stderr.contains("bad.yaml:"), "{what}: {}", r.stderr);
    }
}

// ------------------------------------------------------------------------ the project file

/// The project file's schema, exactly as users get it (`agentctl schema --project`).
fn project_schema() -> Value {
    let stdout = agentctl(["schema", "--project"]).code(0).run().stdout;
    serde_json::from_str(&stdout).expect("agentctl schema --project prints JSON")
}

/// Every project file the README shows (a `yaml` block with a top-level `environments:`).
fn readme_projects() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in readme.lines() {
        match &mut block {
            None if line == "```yaml" || line.starts_with("```yaml ") => {
                block = Some(String::new());
            }
            Some(text) if line == "```" => {
                if text.lines().any(|l| l.starts_with("environments:")) {
                    out.push(text.clone());
                }
                block = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn the_project_schema_is_valid_and_closed() {
    let s = project_schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    jsonschema::meta::validate(&s).expect("valid against its meta-schema");
    let mut closed = 0;
    walk(&s, "#", &mut |at, node| {
        if node.get("properties").is_some() {
            closed += 1;
            assert_eq!(
                node.get("additionalProperties"),
                Some(&Value::Bool(false)),
                "{at}: unknown keys must be disallowed"
            );
        }
    });
    assert!(closed >= 17, "{closed} closed sections");
    // An environment's `set:` is the override file's schema itself, not a copy that may drift.
    let mut settings = s["$defs"]["Settings"].clone();
    let mut over = schema();
    for key in ["$schema", "$id", "title", "$defs"] {
        over.as_object_mut().unwrap().remove(key);
    }
    // (It may be empty: `set:` with nothing under it sets nothing.)
    assert_eq!(settings["type"], serde_json::json!(["object", "null"]));
    for key in ["description", "type"] {
        settings.as_object_mut().unwrap().remove(key);
        over.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(settings, over);
}

#[test]
fn the_project_schema_accepts_every_project_the_readme_and_init_show() {
    let s = project_schema();
    let engines = [
        jsonschema::validator_for(&s).expect("compiles"),
        jsonschema::draft7::new(&s).expect("compiles as draft 7"),
    ];
    let mut projects = readme_projects();
    assert!(!projects.is_empty(), "the README shows no project file");
    projects.push(crate::project::PROJECT.to_owned());
    let dir = support::tempdir();
    agentctl(["init", "--project"])
        .current_dir(dir.path())
        .code(0)
        .run();
    let scaffold = std::fs::read_to_string(dir.path().join("agentctl.yaml")).unwrap();
    assert!(
        scaffold.starts_with("# yaml-language-server: $schema=./agentctl-project.schema.json\n"),
        "{scaffold}"
    );
    // The schema `init --project` wrote is the one `schema --project` prints.
    let written = std::fs::read_to_string(dir.path().join("agentctl-project.schema.json"))
        .expect("init --project writes the schema its modeline names");
    assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), s);
    projects.push(scaffold);
    for v in &engines {
        for p in &projects {
            let errs = errors(v, &yaml(p));
            assert!(errs.is_empty(), "{p}\n{errs:#?}");
        }
    }
}

/// The project-file mistakes a schema can see (the error gallery of `tests/it/project.rs`):
/// the editor rejects each, as agentctl does. (Missing files and overlapping directories
/// need the file system: only agentctl sees those.)
#[test]
fn the_project_schema_rejects_what_agentctl_rejects() {
    let s = project_schema();
    let engines = [
        ("2020-12", jsonschema::validator_for(&s).expect("compiles")),
        ("draft 7", jsonschema::draft7::new(&s).expect("compiles")),
    ];
    let seen = [
        ("unknown_keys", ""),
        ("not_dns_names", "/environments"),
        ("inline_set_schema", "/environments/prod/set/agent/replicas"),
        ("unknown_profile", "/environments/prod/profiles/1"),
        ("wrong_shapes", "/environments/a"),
        ("no_environments", ""),
    ];
    let mut checked = 0;
    for (name, text, _) in crate::project::ERRORS {
        let Some((_, at)) = seen.iter().find(|(n, _)| n == name) else {
            continue;
        };
        checked += 1;
        for (engine, v) in &engines {
            let errs = errors(v, &yaml(text));
            assert!(
                errs.iter().any(|e| e.starts_with(&format!("{at}: "))),
                "{name} ({engine}): expected an error at {at:?}, got {errs:#?}"
            );
        }
    }
    assert_eq!(checked, seen.len());
    // A misspelled environment key, and a misspelled setting in `set:`.
    for (text, at) in [
        (
            "environments:\n  prod:\n    overides: [a.yaml]\n",
            "/environments/prod",
        ),
        (
            "environments:\n  prod:\n    set: {namespce: x}\n",
            "/environments/prod/set",
        ),
        ("enviroments:\n  prod: {}\n", ""),
    ] {
        for (engine, v) in &engines {
            let errs = errors(v, &yaml(text));
            assert!(
                errs.iter().any(|e| e.starts_with(&format!("{at}: "))),
                "{text} ({engine}): expected an error at {at:?}, got {errs:#?}"
            );
        }
    }
}
