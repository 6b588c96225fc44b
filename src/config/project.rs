//! The project file's contract (`agentctl.yaml`) as types, and its JSON Schema.
//!
//! The project file is read and checked by `input::project` (located errors, override files
//! read once, output directories that must not overlap); these types say what that reader
//! accepts, so that the schema an editor reads (`agentctl schema --project`, written by `agentctl
//! init --project`) is generated from them by schemars, like the override file's schema, and
//! cannot drift: `input::project` holds its key lists to these types by a test, and an
//! environment's `set:` is the override file's schema itself ([`super::schema::schema`]).
//! Must not do I/O or know YAML trees.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde_json::Value as J;

/// A project file: many environments (clusters, regions, stages) rendered from one file.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)] // Only its schema is used: `input::project` reads the file as a located tree.
pub struct ProjectFile {
    /// The environments, by name (a DNS-1123 label: lowercase letters, digits and `-`, at most
    /// 63 characters). Each renders into its own directory under `-o DIR` (`render --all`,
    /// `render --env NAME`, `diff --all`). At least one.
    environments: BTreeMap<String, Option<Environment>>,
}

/// One environment: the production defaults, then its `profiles`, its `overrides` files, its
/// `set:` settings and any `--set` flags, later wins.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Environment {
    /// Built-in profiles applied over the defaults, in order (see `agentctl profiles`), e.g.
    /// `[high-throughput, low-latency]`. Default: none.
    profiles: Option<Vec<String>>,
    /// Override files applied after the profiles, in order, relative to the project file's
    /// directory and inside it (unless `--allow-outside-project`), e.g.
    /// `[image.yaml, envs/prod.yaml]`. Default: none.
    overrides: Option<Vec<String>>,
    /// The Kubernetes version of the environment's cluster, `MAJOR.MINOR` (e.g. `"1.30"`):
    /// every feature it lacks is refused, naming the version it needs. The same as `set:
    /// {kubeVersion: ...}` (which may not also set it); `--kube-version` wins. Default: `1.27`.
    #[schemars(rename = "kubeVersion", with = "Option<super::KubeVersionText>")]
    kube_version: Option<String>,
    /// CustomResourceDefinition files, relative to the project file (as `overrides:`), whose
    /// kinds the environment's extra objects (`resources:`) may then have, each checked
    /// against its CRD's schema. The same as `set: {crds: [...]}` (which may not also list
    /// them). Default: none.
    crds: Option<Vec<String>>,
    /// Settings applied after the override files, written as in an override file (the same
    /// keys, types and removal by `null`), e.g. `{namespace: agents-eu}`. Default: none.
    set: Option<Settings>,
    /// The environment's directory under `-o DIR`, a relative path without `..` (e.g.
    /// `prod/eu-west`). Default: the environment's name. No two environments may share or
    /// nest their directories.
    output: Option<String>,
}

/// An environment's `set:`: the override file's schema, placed under `$defs` by [`schema`].
struct Settings;

impl JsonSchema for Settings {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        SETTINGS.into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // Replaced by the override file's schema in [`schema`].
        schemars::json_schema!({})
    }
}

/// The name of the override file's schema among the project schema's `$defs`.
const SETTINGS: &str = "Settings";

/// The project file's JSON Schema: the types above, with the override file's schema for
/// `set:`, the environment names' grammar and `profiles` limited to `profiles` (the built-in
/// profile names, which this module cannot list itself).
pub fn schema(profiles: &[&str]) -> J {
    let mut project = schemars::schema_for!(ProjectFile).to_value();
    let mut settings = super::schema::schema().clone();
    let Some(settings_obj) = settings.as_object_mut() else {
        return project;
    };
    let override_defs = settings_obj.remove("$defs");
    for key in ["$schema", "$id", "title"] {
        settings_obj.remove(key);
    }
    let Some(obj) = project.as_object_mut() else {
        return project;
    };
    obj.insert(
        "$id".into(),
        J::String("https://agentctl.dev/schema/project.json".into()),
    );
    obj.insert("title".into(), J::String("agentctl project file".into()));
    obj.insert("required".into(), serde_json::json!(["environments"]));
    if let Some(envs) = obj
        .get_mut("properties")
        .and_then(|p| p.get_mut("environments"))
        .and_then(J::as_object_mut)
    {
        envs.insert("minProperties".into(), J::from(1));
        envs.insert(
            "propertyNames".into(),
            serde_json::json!({"pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"}),
        );
    }
    let defs = obj
        .entry("$defs")
        .or_insert_with(|| J::Object(Default::default()));
    let Some(defs) = defs.as_object_mut() else {
        return project;
    };
    if let Some(J::Object(extra)) = override_defs {
        for (name, def) in extra {
            // The two sets of types share no name (a test holds that); the project's own wins.
            defs.entry(name).or_insert(def);
        }
    }
    defs.insert(SETTINGS.into(), settings);
    if let Some(env) = defs.get_mut("Environment") {
        if let Some(list) = env.pointer_mut("/properties/profiles") {
            *list = restrict_items(list.take(), profiles);
        }
        // `output: null` is refused (it is a path or absent), unlike the lists and `set:`.
        if let Some(output) = env.pointer_mut("/properties/output/type") {
            *output = J::from("string");
        }
        if let Some(set) = env.pointer_mut("/properties/set") {
            nullable_ref(set);
        }
    }
    if let Some(env) = project.pointer_mut("/properties/environments/additionalProperties") {
        nullable_ref(env);
    }
    for name in ["Environment", SETTINGS] {
        if let Some(t) = project.pointer_mut(&format!("/$defs/{name}/type")) {
            *t = serde_json::json!(["object", "null"]);
        }
    }
    project
}

/// `{"anyOf": [{"$ref": R}, {"type": "null"}]}` (schemars' `Option` of a type) becomes
/// `{"$ref": R}`, R itself admitting `null` (see [`schema`]): a validator then reports a
/// mistake inside the object at its own path, not "not valid under any of the schemas" at the
/// environment.
fn nullable_ref(node: &mut J) {
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    let target = obj
        .get("anyOf")
        .and_then(J::as_array)
        .and_then(|alts| alts.iter().find_map(|a| a.get("$ref").cloned()));
    if let Some(target) = target {
        obj.remove("anyOf");
        obj.insert("$ref".into(), target);
    }
}

/// `profiles`' items limited to the built-in names (the list may still be `null`).
fn restrict_items(mut list: J, names: &[&str]) -> J {
    fn walk(node: &mut J, names: &[&str]) {
        match node {
            J::Object(obj) => {
                if obj.get("type").is_some_and(|t| t == "string") {
                    obj.insert("enum".into(), serde_json::json!(names));
                }
                obj.values_mut().for_each(|v| walk(v, names));
            }
            J::Array(items) => items.iter_mut().for_each(|v| walk(v, names)),
            _ => {}
        }
    }
    if let Some(items) = list.get_mut("items") {
        walk(items, names);
    }
    list
}

/// The keys of the project file's top level and of one environment, sorted, from the types:
/// what `input::project` must accept, no more, no less.
pub fn keys() -> (Vec<String>, Vec<String>) {
    let s = schema(&[]);
    let names = |v: Option<&J>| -> Vec<String> {
        v.and_then(J::as_object)
            .map(|o| {
                let mut keys: Vec<String> = o.keys().cloned().collect();
                keys.sort();
                keys
            })
            .unwrap_or_default()
    };
    (
        names(s.get("properties")),
        names(s.pointer("/$defs/Environment/properties")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_types_and_the_override_types_share_no_name() {
        let project = schemars::schema_for!(ProjectFile).to_value();
        let over = super::super::schema::schema();
        let ours = project["$defs"].as_object().map(|o| o.keys().count());
        for name in project["$defs"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
        {
            assert!(
                over["$defs"].get(name).is_none(),
                "`{name}` is both a project type and an override type: rename one"
            );
        }
        assert!(ours.is_some_and(|n| n >= 1));
    }

    #[test]
    fn set_is_the_override_schema_and_profiles_are_the_names_given() {
        let s = schema(&["dev", "high-throughput"]);
        let env = &s["$defs"]["Environment"]["properties"];
        assert_eq!(env["set"]["$ref"], "#/$defs/Settings");
        assert_eq!(
            s["$defs"]["Settings"]["type"],
            serde_json::json!(["object", "null"])
        );
        assert!(s["$defs"]["Settings"]["properties"]["agent"].is_object());
        assert!(s["$defs"]["Settings"]["properties"]["patches"].is_object());
        let text = env["profiles"].to_string();
        assert!(
            text.contains(r#""enum":["dev","high-throughput"]"#),
            "{text}"
        );
    }
}
