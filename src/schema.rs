//! The JSON Schema of the configuration, and checking a located layer tree against it.
//!
//! The schema is generated from the [`Config`] types by schemars, so the
//! docs, defaults and the set of valid keys can never drift from the code. The same schema is
//! what `agentctl schema` prints (for editors), what a layer is checked against (every unknown
//! key, wrong type, bad enum value and out-of-range number in one pass, each located, with the
//! valid keys and a "did you mean"), what types a `--set` value, and what `explain` documents.

use std::sync::{Arc, OnceLock};

use serde_json::Value as J;

use crate::config::Config;
use crate::diag::{Diagnostic, Source, did_you_mean};
use crate::yaml::{Node, Pos, Value};

/// The schema document, generated once per process.
pub fn schema() -> &'static J {
    static SCHEMA: OnceLock<J> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = schemars::schema_for!(Config).to_value();
        if let Some(obj) = schema.as_object_mut() {
            obj.insert(
                "$id".into(),
                J::String("https://agentctl.dev/schema/override.json".into()),
                // A stable identifier; the schema is always taken from `agentctl schema`.
            );
            obj.insert("title".into(), J::String("agentctl override file".into()));
        }
        schema
    })
}

/// Follows a local `$ref` (`#/$defs/Name`).
fn resolve(schema: &J) -> &J {
    let mut current = schema;
    for _ in 0..8 {
        match current.get("$ref").and_then(J::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                match schema_defs().and_then(|d| d.get(name)) {
                    Some(target) => current = target,
                    None => return current,
                }
            }
            None => return current,
        }
    }
    current
}

fn schema_defs() -> Option<&'static serde_json::Map<String, J>> {
    schema().get("$defs").and_then(J::as_object)
}

/// The alternatives of a schema (`anyOf` / `oneOf`), or the schema itself.
fn branches(schema: &J) -> Vec<&J> {
    let schema = resolve(schema);
    for key in ["anyOf", "oneOf"] {
        if let Some(list) = schema.get(key).and_then(J::as_array) {
            return list.iter().flat_map(branches).collect();
        }
    }
    vec![schema]
}

fn types_of(schema: &J) -> Vec<&str> {
    match schema.get("type") {
        Some(J::String(t)) => vec![t.as_str()],
        Some(J::Array(ts)) => ts.iter().filter_map(J::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The allowed constant values, if the schema is an enumeration.
fn consts_of(schema: &J) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for b in branches(schema) {
        if types_of(b) == ["null"] {
            continue;
        }
        if let Some(c) = b.get("const").and_then(J::as_str) {
            out.push(c.to_owned());
        } else if let Some(e) = b.get("enum").and_then(J::as_array) {
            out.extend(e.iter().filter_map(J::as_str).map(str::to_owned));
        } else {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Every JSON type a value of this schema may have.
fn all_types(schema: &J) -> Vec<&str> {
    let mut out: Vec<&str> = branches(schema).into_iter().flat_map(types_of).collect();
    out.dedup();
    out
}

/// A human description of a schema's type, for messages and `explain`.
pub fn describe(schema: &J) -> String {
    if let Some(values) = consts_of(schema) {
        return format!("one of: {}", values.join(", "));
    }
    let parts: Vec<String> = branches(schema)
        .into_iter()
        .flat_map(|b| {
            types_of(b)
                .into_iter()
                .filter(|t| *t != "null")
                .map(|t| describe_type(b, t))
                .collect::<Vec<_>>()
        })
        .collect();
    let nullable = all_types(schema).contains(&"null");
    let mut text = parts.join(" or ");
    if nullable {
        text.push_str(" (optional)");
    }
    text
}

fn describe_type(schema: &J, t: &str) -> String {
    match t {
        "object" => match schema.get("additionalProperties") {
            Some(J::Object(_)) if schema.get("properties").is_none() => {
                let inner = schema
                    .get("additionalProperties")
                    .map(describe)
                    .unwrap_or_default();
                format!("map of {inner}")
            }
            _ => "section".into(),
        },
        "array" => {
            let inner = schema.get("items").map(describe).unwrap_or_default();
            format!("list of {inner}")
        }
        "integer" => {
            let min = schema.get("minimum").and_then(J::as_i64);
            let max = schema.get("maximum").and_then(J::as_i64);
            match (min, max) {
                // Kubernetes int32 fields: the lower bound is the news, the cap a footnote.
                (Some(a), Some(b)) if b == i64::from(i32::MAX) => {
                    format!("integer ≥ {a} (at most {b})")
                }
                (Some(a), Some(b)) => format!("integer {a}..={b}"),
                (Some(a), None) if a > 0 => format!("integer ≥ {a}"),
                _ => "integer".into(),
            }
        }
        other => other.into(),
    }
}

/// Looks up the schema of a config path (`agent.resources.limits`), descending through
/// sections and map values.
pub fn lookup(path: &[&str]) -> Result<&'static J, (usize, Vec<String>)> {
    let mut current = schema();
    for (i, seg) in path.iter().enumerate() {
        let obj = branches(current)
            .into_iter()
            .find(|b| types_of(b).contains(&"object"));
        let Some(obj) = obj else {
            return Err((i, Vec::new()));
        };
        if let Some(p) = obj.get("properties").and_then(|p| p.get(*seg)) {
            current = p;
        } else if let Some(ap @ J::Object(_)) = obj.get("additionalProperties") {
            current = ap;
        } else {
            return Err((i, property_names(obj)));
        }
    }
    Ok(current)
}

/// What `null` does at a path (the one removal rule, for files, project `set:` and `--set`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// An entry of a map (`agent.nodeSelector.node-type`): the entry goes away.
    Entry,
    /// A whole map (`agent.nodeSelector`): every entry earlier layers set goes away.
    Map,
    /// An optional setting (`agent.priorityClassName`): it goes back to unset.
    Unset,
    /// Nothing can be removed here (a section, a list, a required value).
    No,
}

/// Whether the schema is a map (named entries of one type), not a section.
fn is_map(schema: &J) -> bool {
    branches(schema).into_iter().any(|b| {
        types_of(b).contains(&"object")
            && b.get("properties").is_none()
            && matches!(b.get("additionalProperties"), Some(J::Object(_)))
    })
}

/// What `null` means at `path` (see [`Removal`]).
pub fn removal(path: &[&str]) -> Removal {
    let Some((last, parent)) = path.split_last() else {
        return Removal::No;
    };
    let Ok(parent_schema) = lookup(parent) else {
        return Removal::No;
    };
    let in_props = branches(parent_schema)
        .into_iter()
        .any(|b| b.get("properties").and_then(|p| p.get(*last)).is_some());
    if !in_props && is_map(parent_schema) {
        return Removal::Entry;
    }
    match lookup(path) {
        Ok(s) if is_map(s) => Removal::Map,
        Ok(s) if all_types(s).contains(&"null") => Removal::Unset,
        _ => Removal::No,
    }
}

/// Kubernetes (and Helm-chart) names users write under a pod-shaped section, and the typed
/// setting that says the same thing.
const POD_FIELD_SETTINGS: &[(&str, &str)] = &[
    ("affinity", "`agent.nodeAffinity` (node rules) and `agent.antiAffinity`"),
    ("annotations", "`agent.podAnnotations`"),
    ("labels", "`agent.podLabels`"),
    ("containerPort", "`agent.port` (and `agent.metricsPort`)"),
    ("ports", "`agent.port` (and `agent.metricsPort`)"),
    ("livenessProbe", "`agent.probes.liveness` (path: `agent.healthPath`)"),
    ("readinessProbe", "`agent.probes.readiness` (path: `agent.healthPath`)"),
    ("startupProbe", "`agent.probes.startup` (path: `agent.healthPath`)"),
    ("healthCheckPath", "`agent.healthPath`"),
    ("serviceAccountName", "`agent.serviceAccount.name`"),
    ("extraEnv", "`agent.env`"),
    ("extraEnvVars", "`agent.env`"),
    ("environment", "`agent.env` (or `agent.config.extra` for plain settings)"),
    ("replicaCount", "`agent.replicas.min` / `agent.replicas.max`"),
    ("strategy", "`agent.rollingUpdate`"),
    ("securityContext", "`agent.runAsUser` (the rest of the hardened context is fixed)"),
    ("ingress", "the top-level `ingress` section"),
    ("persistence", "`agent.storage`"),
    ("volume", "`agent.storage`"),
];

/// The help for an unknown key `key` in the section `parent` when no key is close enough for a
/// "did you mean": under a pod-shaped section, the typed setting that covers it, else how to
/// say it with a patch; under `agent.config`, the `extra` map.
pub fn unknown_key_help(parent: &str, key: &str) -> Option<String> {
    if parent == "agent.config" {
        return Some(format!(
            "settings the agent reads go under `agent.config.extra`: `agent.config.extra.{key}`"
        ));
    }
    let (object, root) = if parent == "agent" || parent.starts_with("agent.") {
        ("Deployment, name: agent-deployment", "agent")
    } else if parent == "redis" || parent.starts_with("redis.") {
        ("StatefulSet, name: redis", "redis")
    } else {
        return None;
    };
    if let Some((_, setting)) = POD_FIELD_SETTINGS.iter().find(|(k, _)| *k == key)
        && root == "agent"
    {
        return Some(format!("the typed setting for this is {setting}"));
    }
    Some(format!(
        "no typed setting covers `{key}`: say it with a patch, a `patches:` entry with \
         `target: {{kind: {object}}}` (README \"Patches\", examples/patches.yaml)"
    ))
}

/// Whether `name` is the name of some setting anywhere in the schema.
pub fn is_field_name(name: &str) -> bool {
    static NAMES: OnceLock<std::collections::BTreeSet<String>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let mut names = std::collections::BTreeSet::new();
            let defs = schema_defs().into_iter().flat_map(|d| d.values());
            for s in std::iter::once(schema()).chain(defs) {
                names.extend(property_names(s));
            }
            names
        })
        .contains(name)
}

/// The settings that hold a Kubernetes quantity, by their last path segment. YAML reads
/// `cpu: 2` or `cpu: .5` as a number; Kubernetes accepts both, so we take the number's text.
const QUANTITY_FIELDS: &[&str] = &[
    "cpu",
    "memory",
    "size",
    "tmpSizeLimit",
    "targetAverageValue",
];

/// The valid keys of a section schema.
pub fn property_names(schema: &J) -> Vec<String> {
    resolve(schema)
        .get("properties")
        .and_then(J::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Documentation of a schema node.
pub fn description(schema: &J) -> Option<String> {
    let own = schema.get("description").and_then(J::as_str);
    own.or_else(|| resolve(schema).get("description").and_then(J::as_str))
        .map(str::to_owned)
}

/// Turns bare numbers written for quantity settings (`cpu: 2`, `cpu: .5`) into the strings
/// Kubernetes reads them as, keeping their source text; their grammar is checked in `validate`.
pub fn coerce_quantities(node: &mut Node, source: &Source) {
    fn walk(node: &mut Node, path: &mut Vec<String>, source: &Source) {
        match &mut node.value {
            Value::Map(entries) => {
                for (key, child) in entries {
                    path.push(key.name.clone());
                    walk(child, path, source);
                    path.pop();
                }
            }
            Value::Int(_) | Value::Float(_)
                if path
                    .last()
                    .is_some_and(|l| QUANTITY_FIELDS.contains(&l.as_str())) =>
            {
                let segments: Vec<&str> = path.iter().map(String::as_str).collect();
                if lookup(&segments).is_ok_and(|s| all_types(s) == ["string"]) {
                    let raw = source_slice(source, node.pos, node.len);
                    if !raw.is_empty() {
                        node.value = Value::Str(raw);
                    }
                }
            }
            _ => {}
        }
    }
    walk(node, &mut Vec::new(), source);
}

/// Checks a layer tree against the schema and returns every problem found.
pub fn check(node: &Node, source: &Arc<Source>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if !matches!(node.value, Value::Map(_)) {
        diags.push(
            Diagnostic::new(format!(
                "the top level must be a map of settings, found {}",
                node.value.type_name()
            ))
            .at(source, node.pos, node.len)
            .help("start with a section name such as `agent:` or `namespace: my-agents`"),
        );
        return diags;
    }
    let mut path = Vec::new();
    check_node(schema(), node, &mut path, source, &mut diags);
    diags
}

fn source_slice(source: &Source, pos: Pos, len: usize) -> String {
    source
        .text
        .lines()
        .nth(pos.line.saturating_sub(1))
        .map(|l| {
            l.chars()
                .skip(pos.col.saturating_sub(1))
                .take(len)
                .collect()
        })
        .unwrap_or_default()
}

fn check_node(
    schema: &J,
    node: &Node,
    path: &mut Vec<String>,
    source: &Arc<Source>,
    diags: &mut Vec<Diagnostic>,
) {
    let here = path.join(".");
    if matches!(node.value, Value::Null) {
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        if removal(&segments) != Removal::No {
            return;
        }
    }
    if let Some(values) = consts_of(schema) {
        match &node.value {
            Value::Str(s) if values.contains(s) => {}
            Value::Null if all_types(schema).contains(&"null") => {}
            other => {
                let shown = match other {
                    Value::Str(s) => format!("`{s}`"),
                    v => v.type_name().to_owned(),
                };
                let word = if let Value::Str(s) = other {
                    s.as_str()
                } else {
                    ""
                };
                let mut d = Diagnostic::new(format!("invalid value {shown}"))
                    .path(&here)
                    .at(source, node.pos, node.len)
                    .label("not allowed here")
                    .note(format!("expected one of: {}", values.join(", ")));
                if let Some(m) = did_you_mean(word, values.iter().map(String::as_str)) {
                    d = d.help(format!("did you mean `{m}`?"));
                }
                diags.push(d);
            }
        }
        return;
    }
    let candidates = branches(schema);
    let kind = match &node.value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "number",
        Value::Str(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    };
    let matching = candidates.iter().find(|b| {
        let ts = types_of(b);
        ts.contains(&kind) || (kind == "integer" && ts.contains(&"number"))
    });
    let Some(branch) = matching else {
        let expected = describe(schema);
        let wants = all_types(schema);
        let is_number = matches!(node.value, Value::Int(_) | Value::Float(_));
        let secret = crate::diag::is_credential(&here);
        let raw = source_slice(source, node.pos, node.len);
        let found = if secret {
            format!("{} (value not shown)", node.value.type_name())
        } else {
            found_text(&node.value, &raw)
        };
        let mut d = Diagnostic::new(format!("expected {expected}, found {found}"))
            .path(&here)
            .at(source, node.pos, node.len)
            .label(format!("expected {expected}"));
        if secret && wants.contains(&"string") && is_number {
            d = d.help("quote the value to make it a string");
        } else if wants.contains(&"string")
            && matches!(node.value, Value::Int(_) | Value::Float(_) | Value::Bool(_))
        {
            d = d.help(format!(
                "quote it to make it a string: \"{raw}\" (YAML reads it unquoted as {})",
                node.value.type_name()
            ));
        } else if let Value::Str(s) = &node.value
            && !secret
            && (wants.contains(&"integer")
                || wants.contains(&"boolean")
                || wants.contains(&"number"))
            && super::yaml::parse_inline(s).is_ok_and(|n| !matches!(n.value, Value::Str(_)))
        {
            d = d.help(format!("remove the quotes: {s}"));
        } else if let Value::Str(s) = &node.value
            && wants.contains(&"boolean")
            && matches!(
                s.to_ascii_lowercase().as_str(),
                "yes" | "no" | "on" | "off" | "y" | "n"
            )
        {
            d = d.help(format!(
                "write `true` or `false`; YAML 1.2 reads `{s}` as a string, not a boolean"
            ));
        } else if matches!(node.value, Value::Null) && wants.contains(&"object") {
            d = d.help("the section is empty; add settings under it (indented) or delete the line");
        } else if matches!(node.value, Value::Null) && wants.contains(&"array") {
            d = d.help("`null` removes map entries and optional settings; for an empty list write `[]`");
        } else if matches!(node.value, Value::Null) {
            d = d.help("`null` removes map entries and optional settings, and this one is required: write a value (`agentctl explain` shows its default)");
        }
        diags.push(d);
        return;
    };
    match &node.value {
        Value::Map(entries) => {
            let props = branch.get("properties").and_then(J::as_object);
            let additional = branch.get("additionalProperties");
            for (key, child) in entries {
                if let Some(sub) = props.and_then(|p| p.get(&key.name)) {
                    path.push(key.name.clone());
                    check_node(sub, child, path, source, diags);
                    path.pop();
                } else if let Some(sub @ J::Object(_)) = additional {
                    path.push(key.name.clone());
                    check_node(sub, child, path, source, diags);
                    path.pop();
                } else {
                    let names: Vec<&str> = props
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let mut d = Diagnostic::new(format!("unknown key `{}`", key.name))
                        .path(if here.is_empty() {
                            "(top level)".to_owned()
                        } else {
                            here.clone()
                        })
                        .at(source, key.pos, key.name.chars().count())
                        .label("unknown key")
                        .note(format!("valid keys here: {}", names.join(", ")));
                    if let Some(m) = did_you_mean(&key.name, names.iter().copied()) {
                        d = d.help(format!("did you mean `{m}`?"));
                    } else if let Some(h) = unknown_key_help(&here, &key.name) {
                        d = d.help(h);
                    }
                    diags.push(d);
                }
            }
        }
        Value::Seq(items) => {
            if let Some(item_schema) = branch.get("items") {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    check_node(item_schema, item, path, source, diags);
                    path.pop();
                }
            }
        }
        Value::Int(i) => {
            let min = branch.get("minimum").and_then(J::as_f64);
            let max = branch.get("maximum").and_then(J::as_f64);
            let v = *i as f64;
            if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
                diags.push(
                    Diagnostic::new(format!("{i} is out of range"))
                        .path(&here)
                        .at(source, node.pos, node.len)
                        .label(format!("expected {}", describe(schema))),
                );
            }
        }
        Value::Float(f) if !f.is_finite() => diags.push(
            Diagnostic::new("expected a finite number")
                .path(&here)
                .at(source, node.pos, node.len),
        ),
        _ => {}
    }
}

fn found_text(value: &Value, raw: &str) -> String {
    match value {
        Value::Str(s) => format!("the string \"{}\"", s.escape_debug()),
        Value::Seq(_) | Value::Map(_) | Value::Null => value.type_name().to_owned(),
        v => format!("{} `{raw}`", v.type_name()),
    }
}

/// Converts a `--set` value to a node of the type the schema expects at that path.
///
/// Strings stay verbatim (`--set agent.config.extra.FLAG=on` is the string `on`); numbers and
/// booleans must parse as such; lists and maps are written in YAML flow syntax (`[443, 8443]`);
/// `null` or `~` removes, as in a file ([`removal`]: a map entry, a whole map, an optional
/// setting); a string that is quoted (`"null"`, `'~'`) is that string, unquoted.
pub fn typed_set_value(schema: &J, path: &[&str], raw: &str, pos: Pos) -> Result<Node, String> {
    let types = all_types(schema);
    let len = raw.chars().count().max(1);
    let node = |value| Node { value, pos, len };
    if raw == "null" || raw == "~" {
        return match removal(path) {
            Removal::No => Err(format!(
                "`{raw}` removes map entries and optional settings; `{}` is {} and required",
                path.join("."),
                describe(schema)
            )),
            _ => Ok(node(Value::Null)),
        };
    }
    if consts_of(schema).is_some() || (types.contains(&"string") && !types.contains(&"integer")) {
        let quoted = raw.len() >= 2
            && ((raw.starts_with('"') && raw.ends_with('"'))
                || (raw.starts_with('\'') && raw.ends_with('\'')));
        if quoted
            && let Ok(Node {
                value: Value::Str(s),
                ..
            }) = crate::yaml::parse_inline(raw)
        {
            return Ok(node(Value::Str(s)));
        }
        return Ok(node(Value::Str(raw.to_owned())));
    }
    if types.contains(&"integer") {
        if let Ok(i) = raw.parse::<i64>() {
            return Ok(node(Value::Int(i)));
        }
        if types.contains(&"string") {
            return Ok(node(Value::Str(raw.to_owned())));
        }
        return Err(format!("expected {}, found `{raw}`", describe(schema)));
    }
    if types.contains(&"number") {
        return raw
            .parse::<f64>()
            .map(|f| node(Value::Float(f)))
            .map_err(|_| format!("expected a number, found `{raw}`"));
    }
    if types.contains(&"boolean") {
        return match raw {
            "true" => Ok(node(Value::Bool(true))),
            "false" => Ok(node(Value::Bool(false))),
            _ => Err(format!("expected true or false, found `{raw}`")),
        };
    }
    // Lists and maps: YAML flow syntax.
    match crate::yaml::parse_inline(raw) {
        Ok(mut n) => {
            relocate(&mut n, pos);
            Ok(n)
        }
        Err(e) => Err(format!(
            "expected {} in YAML flow syntax (e.g. `[a, b]` or `{{k: v}}`): {}",
            describe(schema),
            e.message
        )),
    }
}

fn relocate(node: &mut Node, base: Pos) {
    node.pos = Pos {
        line: base.line,
        col: base.col + node.pos.col.saturating_sub(1),
    };
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| relocate(n, base)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, n)| {
            k.pos = Pos {
                line: base.line,
                col: base.col + k.pos.col.saturating_sub(1),
            };
            relocate(n, base);
        }),
        _ => {}
    }
}
