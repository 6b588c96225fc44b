//! The strict check of a layer tree against the config schema, as each source is read.
//!
//! Every key must be a setting (else "unknown setting", with "did you mean"), every value of
//! its type, enum, range and pattern; bare numbers written for quantities become their text;
//! `--set` values are typed by the schema at their path. Diagnostics point at the culprit's
//! line and column. Reads the schema from [`crate::config::schema`]; must not merge or apply
//! cross-field rules (that is [`crate::resolve`]).

use std::sync::Arc;

use serde_json::Value as J;

use crate::config::schema::{
    Removal, all_types, branches, consts_of, describe, lookup, removal, schema, types_of,
    unknown_key_help,
};
use crate::diag::{Diagnostic, Source};
use crate::input::yaml::{Key, Node, Pos, Value};

/// Turns bare numbers written for quantity settings (`cpu: 2`, `cpu: .5`) and versions
/// (`kubeVersion: 1.30`) into the strings Kubernetes reads them as, keeping their source text;
/// their grammar is checked in `validate`.
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
            Value::Int(_) | Value::Float(_) => {
                let segments: Vec<&str> = path.iter().map(String::as_str).collect();
                // YAML reads `cpu: 2` or `cpu: .5` as a number; Kubernetes reads both as
                // quantities, so a setting the schema marks as one takes the number's text;
                // so does a version (`kubeVersion: 1.30` is 1.30, not the number 1.3).
                if lookup(&segments).is_ok_and(|s| {
                    matches!(
                        s.get("format").and_then(|f| f.as_str()),
                        Some("quantity" | "kube-version")
                    )
                }) {
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

/// Takes out of a layer tree every entry [`check`] reports (unknown keys, values of the wrong
/// type, outside their enum or range), so the rest of the layer can still be merged and
/// validated and every problem reported in one run; returns the paths taken out.
pub fn prune(node: &mut Node, source: &Arc<Source>) -> Vec<String> {
    fn walk(
        schema: &J,
        node: &mut Node,
        path: &mut Vec<String>,
        source: &Arc<Source>,
        pruned: &mut Vec<String>,
    ) {
        let Some(branch) = branches(schema)
            .into_iter()
            .find(|b| types_of(b).contains(&"object"))
        else {
            return;
        };
        let Value::Map(entries) = &mut node.value else {
            return;
        };
        let props = branch.get("properties").and_then(J::as_object);
        let additional = branch.get("additionalProperties");
        entries.retain_mut(|(key, child)| {
            path.push(key.name.clone());
            let sub = props.and_then(|p| p.get(&key.name)).or(match additional {
                Some(a @ J::Object(_)) => Some(a),
                _ => None,
            });
            let keep = match sub {
                None => false,
                Some(sub) => {
                    let mut found = Vec::new();
                    check_node(sub, child, &mut path.clone(), source, &mut found);
                    if found.is_empty() {
                        true
                    } else if matches!(child.value, Value::Map(_))
                        && branches(sub)
                            .iter()
                            .any(|b| types_of(b).contains(&"object"))
                    {
                        walk(sub, child, path, source, pruned);
                        true
                    } else {
                        false
                    }
                }
            };
            if !keep {
                pruned.push(path.join("."));
            }
            path.pop();
            keep
        });
    }
    let mut pruned = Vec::new();
    walk(schema(), node, &mut Vec::new(), source, &mut pruned);
    pruned
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
        if let Some(d) = not_in_enum(&values, schema, node, path, source) {
            diags.push(d);
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
        diags.push(wrong_type(schema, node, &here, source));
        return;
    };
    match &node.value {
        Value::Map(entries) => check_map(branch, entries, &here, path, source, diags),
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

/// The entries of a map against its section's schema: known keys recurse, unknown keys are
/// reported with the valid ones.
fn check_map(
    branch: &J,
    entries: &[(Key, Node)],
    here: &str,
    path: &mut Vec<String>,
    source: &Arc<Source>,
    diags: &mut Vec<Diagnostic>,
) {
    let props = branch.get("properties").and_then(J::as_object);
    let additional = branch.get("additionalProperties");
    for (key, child) in entries {
        if let Some(sub) = props.and_then(|p| p.get(&key.name)) {
            path.push(key.name.clone());
            check_node(sub, child, path, source, diags);
            path.pop();
        } else if let Some(sub @ J::Object(_)) = additional {
            // A key of the user's (a ConfigMap key, a variable, a label, an annotation) is
            // written into the output: one that holds a credential itself is refused.
            if crate::config::credentials::key_holds_credential(&key.name) {
                let at = if here.is_empty() {
                    crate::config::credentials::REDACTED_KEY.to_owned()
                } else {
                    format!("{here}.{}", crate::config::credentials::REDACTED_KEY)
                };
                diags.push(
                    Diagnostic::new(
                        "this key holds a credential (a token, a URL's password, or a credential's name with its value, `password=...`): keys are written into the output as they are (key not shown)",
                    )
                    .path(at)
                    .at(source, key.pos, key.name.chars().count())
                    .label("a credential")
                    .help("name the setting, and keep the credential in a Secret created out of band (`agent.env.NAME: {secretKey: <key>}`)"),
                );
                continue;
            }
            path.push(key.name.clone());
            check_node(sub, child, path, source, diags);
            path.pop();
        } else {
            let names: Vec<&str> = props
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let d = Diagnostic::new(format!("unknown key `{}`", key.name))
                .path(if here.is_empty() {
                    "(top level)".to_owned()
                } else {
                    here.to_owned()
                })
                .at(source, key.pos, key.name.chars().count())
                .label("unknown key")
                .unknown_key(&key.name, names.iter().copied());
            let mut d = d;
            if let Some(h) = unknown_key_help(here, &key.name, d.help.is_some()) {
                d.help = Some(h);
            }
            diags.push(d);
        }
    }
}

/// The diagnostic for a value of the wrong type, with the likeliest fix (quote it, unquote it,
/// write `true`, fill the section).
fn wrong_type(schema: &J, node: &Node, here: &str, source: &Arc<Source>) -> Diagnostic {
    let expected = describe(schema);
    let wants = all_types(schema);
    let is_number = matches!(node.value, Value::Int(_) | Value::Float(_));
    let secret = crate::config::credentials::is_credential(here);
    let raw = source_slice(source, node.pos, node.len);
    let found = if secret {
        format!("{} (value not shown)", node.value.type_name())
    } else {
        found_text(&node.value, &raw)
    };
    let mut d = Diagnostic::new(format!("expected {expected}, found {found}"))
        .path(here)
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
        && (wants.contains(&"integer") || wants.contains(&"number"))
        && let Some(nd) = crate::input::yaml::not_decimal(s)
    {
        let shown = if secret { "the value" } else { s.as_str() };
        if !raw.starts_with(['"', '\'']) {
            d.message = format!("expected {expected}, found `{shown}`, not a plain decimal number");
        }
        if !secret {
            d = d.note(nd.readings);
        }
        d = d.help(format!(
            "write the number in plain decimal digits: {}",
            if secret {
                "without a leading zero, `0x`, `_` or an exponent".to_owned()
            } else {
                nd.write
            }
        ));
    } else if let Value::Float(f) = node.value
        && wants.contains(&"integer")
        && !wants.contains(&"number")
    {
        let digits = raw.strip_prefix(['-', '+']).unwrap_or(&raw);
        d = d.help(
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                "the number is too large for any setting; see `agentctl explain` for its range"
                    .to_owned()
            } else if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
                format!(
                    "write the whole number without a decimal point: {}",
                    f as i64
                )
            } else {
                "write a whole number (no decimal point, no `.inf` or `.nan`)".to_owned()
            },
        );
    } else if let Value::Str(s) = &node.value
        && !secret
        && (wants.contains(&"integer") || wants.contains(&"boolean") || wants.contains(&"number"))
        && crate::input::yaml::parse_inline(s).is_ok_and(|n| !matches!(n.value, Value::Str(_)))
    {
        d = d.help(format!("remove the quotes: {s}"));
    } else if let Value::Str(s) = &node.value
        && wants.contains(&"boolean")
        && crate::input::yaml::is_yaml11_only_bool(s)
    {
        d = d.help(format!(
            "write `true` or `false`; YAML 1.2 reads `{s}` as a string, not a boolean"
        ));
    } else if matches!(
        node.value,
        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Str(_)
    ) && wants == ["object"]
        && let fields = crate::config::schema::property_names(schema)
        && let Some(first) = fields.first()
    {
        // `agent.replicas: 5`: a single value for a section of several.
        // A short section gets an example; a long one, where the first field is likely not
        // the one meant, only the pointer to `explain`.
        let which = if fields.len() > 6 {
            format!("{}, ...)", fields[..6].join(", "))
        } else {
            format!("{}), e.g. `{here}.{first}`", fields.join(", "))
        };
        d = d.help(format!(
            "`{here}` is a section, not a single value: set one of its fields ({which}; `agentctl explain {here}` describes them"
        ));
    } else if matches!(node.value, Value::Null) && wants.contains(&"object") {
        d = d.help("the section is empty; add settings under it (indented) or delete the line");
    } else if matches!(node.value, Value::Null) && wants.contains(&"array") {
        d = d
            .help("`null` removes map entries and optional settings; for an empty list write `[]`");
    } else if matches!(node.value, Value::Null) {
        d = d.help("`null` removes map entries and optional settings, and this one is required: write a value (`agentctl explain` shows its default)");
    }
    d
}

/// The diagnostic for a value outside an enum, if it is one. It says what each choice does,
/// and suggests one only when the value is a plain misspelling of it (`prefered`, `always`):
/// a short word one letter away may mean the opposite (`zone` is not `none`, which turns
/// anti-affinity off). A value naming a sibling setting (`zone` beside `zoneSpread`) points
/// at that setting instead.
fn not_in_enum(
    values: &[String],
    schema: &J,
    node: &Node,
    path: &[String],
    source: &Arc<Source>,
) -> Option<Diagnostic> {
    let here = path.join(".");
    let shown = match &node.value {
        Value::Str(s) if values.contains(s) => return None,
        Value::Null if all_types(schema).contains(&"null") => return None,
        Value::Str(s) => format!("`{s}`"),
        v => v.type_name().to_owned(),
    };
    let word = if let Value::Str(s) = &node.value {
        s.as_str()
    } else {
        ""
    };
    let mut d = Diagnostic::new(format!("invalid value {shown}"))
        .path(&here)
        .at(source, node.pos, node.len)
        .label("not allowed here")
        .note(format!("expected one of: {}", values.join(", ")));
    let choices: Vec<(&str, String)> = branches(schema)
        .into_iter()
        .filter_map(|b| {
            let c = b.get("const").and_then(J::as_str)?;
            let what = b.get("description").and_then(J::as_str)?;
            Some((c, what.split_whitespace().collect::<Vec<_>>().join(" ")))
        })
        .collect();
    if choices.len() == values.len() {
        for (c, what) in &choices {
            d = d.note(format!("`{c}`: {what}"));
        }
    }
    if let Some(m) = misspelling_of(word, values) {
        return Some(d.help(format!("did you mean `{m}`?")));
    }
    if let Some(sibling) = sibling_setting(word, path) {
        return Some(d.help(format!(
            "`{word}` is not a choice of `{here}`; for that, see the setting `{sibling}` (`agentctl explain {sibling}`)"
        )));
    }
    Some(d)
}

/// The enum value `word` is a misspelling of: the same but for case, or, for a word of five
/// letters or more, one edit away with the same first letter (two for eight or more).
fn misspelling_of<'a>(word: &str, values: &'a [String]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    if let Some(v) = values.iter().find(|v| v.to_ascii_lowercase() == lower) {
        return Some(v);
    }
    let len = word.chars().count();
    let allowed = match len {
        0..=4 => return None,
        5..=7 => 1,
        _ => 2,
    };
    values
        .iter()
        .filter(|v| v.chars().next().map(|c| c.to_ascii_lowercase()) == lower.chars().next())
        .map(|v| {
            (
                strsim::damerau_levenshtein(&lower, &v.to_ascii_lowercase()),
                v,
            )
        })
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v.as_str())
}

/// A sibling setting whose name contains `word` (`agent.zoneSpread` for `zone` given to
/// `agent.antiAffinity`), as a full path.
fn sibling_setting(word: &str, path: &[String]) -> Option<String> {
    let (_, parent) = path.split_last()?;
    let lower = word.to_ascii_lowercase();
    if lower.chars().count() < 3 {
        return None;
    }
    let segments: Vec<&str> = parent.iter().map(String::as_str).collect();
    let section = if segments.is_empty() {
        Some(schema())
    } else {
        lookup(&segments).ok()
    }?;
    let own = path.last()?;
    crate::config::schema::property_names(section)
        .into_iter()
        .find(|n| n != own && n.to_ascii_lowercase().contains(&lower))
        .map(|n| {
            let mut full = parent.to_vec();
            full.push(n);
            full.join(".")
        })
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
/// Strings stay verbatim (`--set agent.config.extra.FLAG=on` is the string `on`); a number,
/// a boolean or `null` is read by the very rule a plain scalar of a file is read by
/// ([`crate::input::yaml::resolve_plain`]), so `--set agent.port=0x10` and `port: 0x10` in a
/// file are the same value and the same error; lists and maps are written in YAML flow syntax
/// (`[443, 8443]`); `null` or `~` removes, as in a file ([`removal`]: a map entry, a whole
/// map, an optional setting); a quoted string (`"null"`, `'~'`) is that string, unquoted.
pub fn typed_set_value(schema: &J, raw: &str, pos: Pos) -> Result<Node, String> {
    let types = all_types(schema);
    let len = raw.chars().count().max(1);
    let node = |value| Node { value, pos, len };
    if let Some(message) = crate::input::yaml::unfit_character(raw) {
        return Err(message);
    }
    let plain = if raw.is_empty() {
        Value::Str(String::new())
    } else {
        crate::input::yaml::resolve_plain(raw)
    };
    if plain == Value::Null {
        // Removes, as in a file; the schema check refuses it for a required setting with the
        // file's message.
        return Ok(node(Value::Null));
    }
    if consts_of(schema).is_some() || (types.contains(&"string") && !types.contains(&"integer")) {
        let quoted = raw.len() >= 2
            && ((raw.starts_with('"') && raw.ends_with('"'))
                || (raw.starts_with('\'') && raw.ends_with('\'')));
        if quoted
            && let Ok(Node {
                value: Value::Str(s),
                ..
            }) = crate::input::yaml::parse_inline(raw)
        {
            return Ok(node(Value::Str(s)));
        }
        return Ok(node(Value::Str(raw.to_owned())));
    }
    if types
        .iter()
        .any(|t| matches!(*t, "integer" | "number" | "boolean"))
    {
        // The schema check that follows judges it exactly as it judges a file's value; a
        // quoted value is the string inside the quotes, as in a file.
        if raw.starts_with(['"', '\''])
            && let Ok(Node {
                value: Value::Str(s),
                ..
            }) = crate::input::yaml::parse_inline(raw)
        {
            return Ok(node(Value::Str(s)));
        }
        return Ok(node(plain));
    }
    // Lists and maps: YAML flow syntax.
    match crate::input::yaml::parse_inline(raw) {
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
