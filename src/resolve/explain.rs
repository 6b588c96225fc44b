//! Presenting the effective configuration and where each value came from.
//!
//! `agentctl config` prints the merged configuration as YAML, in the order the reference
//! declares the settings, and with `--show-origin` a comment on every leaf naming the layer
//! that set it (from [`Merged::history`]). `agentctl explain PATH` answers "what is this
//! setting and why does it have this value": documentation and type from the schema, the
//! built-in default, every layer's value with its file:line, and the final value.
//! `agentctl profiles diff A B` lists the settings in which two profiles differ. Everything
//! here is read-only presentation over [`Merged`]; the merge itself lives in [`crate::resolve::merge`].
//!
//! By concern: this file explains one path (`explain`); [`view`] prints the configuration and
//! says where a value came from; [`diff`] compares two profiles.

pub mod diff;
pub mod view;

pub use diff::profiles_diff;
pub use view::{config_yaml, config_yaml_with, extras_list, origin_label};

use serde_json::Value as J;

use crate::config::Config;
use crate::config::schema;
use crate::diag::{Diagnostic, Origin, Source};
use crate::input::yaml::{self, Pos, Value};
use crate::resolve::merge::Merged;
use crate::suggest::did_you_mean;
use view::{origin_of, shown};

/// The layer order, said once for every place that explains it.
pub const PRECEDENCE: &str = "Layers, later wins: built-in defaults → each -p PROFILE → each -f FILE \
→ each --set PATH=VALUE.\nMaps merge key by key; lists replace as a whole; `null` removes a map entry \
(or a whole map's entries) or unsets an optional value.";

fn get<'a>(root: &'a J, segments: &[&str]) -> Option<&'a J> {
    segments.iter().try_fold(root, |v, s| v.get(*s))
}

/// Every documented path of the schema (sections and leaves, not map entries).
fn all_paths() -> Vec<String> {
    fn walk(prefix: &mut Vec<String>, out: &mut Vec<String>) {
        if prefix.len() > 8 {
            return;
        }
        let segments: Vec<&str> = prefix.iter().map(String::as_str).collect();
        let Ok(s) = schema::lookup(&segments) else {
            return;
        };
        for name in schema::property_names(s) {
            prefix.push(name);
            out.push(prefix.join("."));
            walk(prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(&mut Vec::new(), &mut out);
    out
}

/// The first sentence of a doc text, on one line.
fn first_sentence(doc: &str) -> String {
    let para = doc.split("\n\n").next().unwrap_or_default();
    let joined = para.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = joined.match_indices(". ").map(|(i, _)| i).find(|&i| {
        let before = &joined[..i];
        !["e.g", "i.e", "etc", "vs"]
            .iter()
            .any(|abbr| before.ends_with(abbr))
    });
    match end {
        Some(i) => joined[..=i].to_owned(),
        None => joined,
    }
}

/// The fields of a section in reference (declaration) order.
fn ordered_fields(segments: &[&str], mut names: Vec<String>) -> Vec<String> {
    let declared: Vec<String> = yaml::to_string_ordered(&Config::default())
        .ok()
        .and_then(|text| yaml::parse_layer(&text).ok())
        .and_then(|tree| {
            let mut node = tree;
            for s in segments {
                let Value::Map(entries) = node.value else {
                    return None;
                };
                node = entries.into_iter().find(|(k, _)| k.name == *s)?.1;
            }
            match node.value {
                Value::Map(entries) => Some(entries.into_iter().map(|(k, _)| k.name).collect()),
                _ => None,
            }
        })
        .unwrap_or_default();
    let mut out: Vec<String> = declared.into_iter().filter(|d| names.contains(d)).collect();
    names.retain(|n| !out.contains(n));
    out.extend(names);
    out
}

/// A paragraph of our own, wrapped at 92 columns and indented by two spaces.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(" ");
    for word in text.split_whitespace() {
        if line.chars().count() + 1 + word.chars().count() > 92 && line.len() > 2 {
            out.push_str(&line);
            out.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("{by}{l}\n")
            }
        })
        .collect()
}

/// The error for a path that names no setting, with the valid keys and a suggestion.
fn unknown(segments: &[&str], at: usize, names: &[String]) -> Diagnostic {
    use crate::config::credentials::{shown_key, shown_path};
    // Every path and segment shown goes through the credential policy's display: the user
    // may have typed a credential (`agent.confg.password=hunter2`, a token as a segment).
    let prefix = segments[..at].join(".");
    let seg = shown_key(segments[at]);
    let shown_prefix = if prefix.is_empty() {
        "(top level)".to_owned()
    } else {
        prefix.clone()
    };
    if names.is_empty() {
        let kind = schema::lookup(&segments[..at])
            .map(schema::describe)
            .unwrap_or_default();
        return Diagnostic::new(format!("not a section ({kind}), so it has no `{seg}`"))
            .path(shown_prefix)
            .help(format!("see `agentctl explain {}`", shown_path(&prefix)));
    }
    let mut d = Diagnostic::new(format!("unknown setting `{seg}`"))
        .path(shown_prefix)
        .note(format!("valid keys here: {}", names.join(", ")));
    let join = |m: &str| {
        if prefix.is_empty() {
            m.to_owned()
        } else {
            format!("{prefix}.{m}")
        }
    };
    if let Some(m) = did_you_mean(segments[at], names.iter().map(String::as_str)) {
        let rest = &segments[at + 1..];
        let mut fixed = join(m);
        for r in rest {
            fixed.push('.');
            fixed.push_str(r);
        }
        d = d.help(format!("did you mean `{}`?", shown_path(&fixed)));
    } else {
        // `replicas.max` for `agent.replicas.max`: the path is the tail of a real one.
        let tail = segments[at..].join(".");
        let found: Vec<String> = all_paths()
            .into_iter()
            .filter(|p| p.ends_with(&format!(".{tail}")))
            .take(6)
            .collect();
        match found.as_slice() {
            [] => {
                d = d.help(
                    schema::unknown_key_help(&shown_path(&prefix), &seg, false).unwrap_or_else(
                        || "see `agentctl explain` for the top-level sections".into(),
                    ),
                );
            }
            [one] => d = d.help(format!("did you mean `{one}`?")),
            many => {
                d = d.help(format!(
                    "did you mean one of: {}?",
                    many.iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    d
}

/// `agentctl explain [PATH]` over an effective configuration.
pub fn explain(merged: &Merged, path: Option<&str>) -> Result<String, Diagnostic> {
    explained(merged, path).map(|text| hide_segments(path.unwrap_or(""), text))
}

/// `text` with every segment of the typed `path` that holds a credential (`password=hunter2`,
/// a token: what [`crate::config::credentials::shown_path`] hides) replaced by `<redacted>`,
/// wherever the text repeats it (the heading, "a later layer that sets `…`", the origins).
fn hide_segments(path: &str, mut text: String) -> String {
    let shown = crate::config::credentials::shown_path(path.trim());
    for (raw, seen) in path.trim().split('.').zip(shown.split('.')) {
        if raw != seen && !raw.is_empty() {
            text = text.replace(raw, seen);
        }
    }
    text
}

fn explained(merged: &Merged, path: Option<&str>) -> Result<String, Diagnostic> {
    let path = path.unwrap_or("").trim();
    let segments: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').collect()
    };
    // Errors point into the argument as typed, under the segment at fault.
    let at_segment = |d: Diagnostic, at: usize| {
        let source = Source::new(Origin::Argument("agentctl explain ".into()), path);
        let col = 1 + segments[..at]
            .iter()
            .map(|s| s.chars().count() + 1)
            .sum::<usize>();
        d.at(&source, Pos { line: 1, col }, segments[at].chars().count())
    };
    if let Some(at) = segments.iter().position(|s| s.is_empty()) {
        let d = Diagnostic::new(format!("`{path}` has an empty segment"))
            .help("paths are dotted keys such as `agent.resources.limits.memory`");
        return Err(at_segment(d, at));
    }
    if let Some(text) = list_item(merged, path) {
        return text;
    }
    let node = schema::lookup(&segments)
        .map_err(|(at, names)| at_segment(unknown(&segments, at, &names), at))?;
    let kind = schema::describe(node);
    // A map entry's or an optional section's fields are in its object branch
    // (`anyOf: [{$ref}, null]`): `agent.sidecars.NAME` lists a container's fields.
    let mut names = schema::property_names(node);
    if names.is_empty() {
        names = schema::branches(node)
            .into_iter()
            .find_map(|b| b.get("properties").and_then(J::as_object))
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
    }
    let fields = ordered_fields(&segments, names);
    let mut out = String::new();
    heading(&mut out, path, &segments, node, &kind);
    if fields.is_empty() {
        leaf(&mut out, merged, path, &segments, &kind);
    } else {
        section(&mut out, merged, path, &segments, &fields);
    }
    Ok(out)
}

/// `explain` of a list's item or of a field in it: `agent.tolerations[].key` (also written
/// `[0]` or `.0`). Documentation only: a list is set and replaced as a whole, so its value and
/// the layers that set it are the list's (`explain` of the list says them). `None` when the
/// path names no list item (then it is an ordinary path).
fn list_item(merged: &Merged, path: &str) -> Option<Result<String, Diagnostic>> {
    // `a[0].b`, `a[].b` and `a.0.b` all become the segments `a`, `[]`, `b`.
    let mut segments: Vec<String> = Vec::new();
    for part in path.split('.') {
        match part.split_once('[') {
            Some((name, rest))
                if rest.ends_with(']')
                    && rest[..rest.len() - 1].chars().all(|c| c.is_ascii_digit()) =>
            {
                if !name.is_empty() {
                    segments.push(name.to_owned());
                }
                segments.push("[]".to_owned());
            }
            _ if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) => {
                segments.push("[]".to_owned());
            }
            _ => segments.push(part.to_owned()),
        }
    }
    let first = segments.iter().position(|s| s == "[]")?;
    let list: Vec<&str> = segments[..first].iter().map(String::as_str).collect();
    let list_path = list.join(".");
    let mut node = schema::lookup(&list).ok()?;
    if !schema::all_types(node).contains(&"array") {
        return None;
    }
    let shown = segments.join(".").replace(".[]", "[]");
    for seg in &segments[first..] {
        let next = if seg == "[]" {
            schema::branches(node)
                .into_iter()
                .find_map(|b| b.get("items"))
        } else {
            schema::branches(node)
                .into_iter()
                .find(|b| schema::types_of(b).contains(&"object"))
                .and_then(|o| {
                    o.get("properties")
                        .and_then(|p| p.get(seg.as_str()))
                        .or_else(|| o.get("additionalProperties").filter(|a| a.is_object()))
                })
        };
        let Some(next) = next else {
            let names = schema::property_names(node);
            let (shown, seg) = (
                crate::config::credentials::shown_path(&shown),
                crate::config::credentials::shown_key(seg),
            );
            let d = if names.is_empty() {
                Diagnostic::new(format!(
                    "`{shown}`: an item of `{list_path}` has no `{seg}`"
                ))
            } else {
                Diagnostic::new(format!(
                    "`{shown}`: unknown field `{seg}` of an item of `{list_path}`"
                ))
                .note(format!("an item's fields: {}", names.join(", ")))
                .suggest(&seg, names.iter().map(String::as_str), |m| {
                    format!("did you mean `{}`?", shown.replace(&*seg, m))
                })
                .unwrap_or_else(|d| d)
            };
            let d = if d.help.is_some() {
                d
            } else {
                d.help(format!("see `agentctl explain {list_path}`"))
            };
            return Some(Err(d));
        };
        node = next;
    }
    let mut out = format!("{shown}: {}\n", schema::describe(node));
    if let Some(doc) = schema::description(node) {
        out.push('\n');
        out.push_str(&indent(&doc, "  "));
    }
    let fields = schema::property_names(node);
    if !fields.is_empty() {
        out.push_str("\nfields:\n");
        for name in &fields {
            let Some(f) = node
                .get("properties")
                .and_then(|p| p.get(name.as_str()))
                .or_else(|| {
                    schema::branches(node)
                        .into_iter()
                        .find_map(|b| b.get("properties").and_then(|p| p.get(name.as_str())))
                })
            else {
                continue;
            };
            out.push_str(&format!("  {name}: {}\n", schema::describe(f)));
            if let Some(doc) = schema::description(f) {
                out.push_str(&format!("      {}\n", first_sentence(&doc)));
            }
        }
    }
    out.push('\n');
    if crate::input::extras::NUMBERED.contains(&list_path.as_str()) {
        // `patches`, `resources`, `accept` accumulate: each entry is its own, numbered across
        // every layer in layer order, as every message numbers it.
        out.push_str(&wrap(&format!(
            "An entry of `{list_path}`. Entries accumulate over layers (defaults, -p, -f, project \
             environment) and are numbered across all of them in that order, as every message \
             numbers them; `agentctl explain {list_path}` lists them all."
        )));
        let index = path
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .and_then(|(n, _)| n.parse::<usize>().ok());
        if let Some(n) = index {
            let entries = view::extras_list(merged, &list_path);
            match entries.get(n) {
                Some(entry) => out.push_str(&format!("\nthis entry: {entry}\n")),
                None if entries.is_empty() => {
                    out.push_str(&format!("\nthis configuration has no `{list_path}` entry\n"));
                }
                None => out.push_str(&format!(
                    "\nthis configuration has {} `{list_path}` entr{} ({list_path}[0] to {list_path}[{}])\n",
                    entries.len(),
                    if entries.len() == 1 { "y" } else { "ies" },
                    entries.len() - 1
                )),
            }
        }
    } else {
        out.push_str(&wrap(&format!(
            "An item of the list `{list_path}`. Lists replace: a layer that sets `{list_path}` sets \
             all of its items at once, so the value and the layers that set it are the list's: \
             `agentctl explain {list_path}`."
        )));
    }
    Some(Ok(out))
}

/// The first lines: what the path is, and its documentation.
fn heading(out: &mut String, path: &str, segments: &[&str], node: &J, kind: &str) {
    if segments.is_empty() {
        out.push_str("agentctl configuration: the settings of an override file (-f), a profile or --set.\n\n");
        out.push_str(&indent(PRECEDENCE, "  "));
    } else {
        out.push_str(&format!("{path}: {kind}\n"));
        let doc = schema::description(node).or_else(|| {
            // A map entry (`agent.nodeSelector.node-type`) is documented by its map.
            let parent = schema::lookup(&segments[..segments.len() - 1]).ok()?;
            let parent_doc = schema::description(parent)?;
            Some(wrap(&format!(
                "An entry of `{}`: {parent_doc}",
                segments[..segments.len() - 1].join(".")
            )))
        });
        if let Some(doc) = doc {
            out.push('\n');
            if doc.starts_with("  ") {
                out.push_str(&doc);
            } else {
                out.push_str(&indent(&doc, "  "));
            }
        }
    }
}

/// A section: its fields, the layers that set something in it, where to look next.
fn section(out: &mut String, merged: &Merged, path: &str, segments: &[&str], fields: &[String]) {
    out.push_str("\nfields:\n");
    for name in fields {
        let mut sub = segments.to_vec();
        sub.push(name);
        let Ok(s) = schema::lookup(&sub) else {
            continue;
        };
        out.push_str(&format!("  {name}: {}\n", schema::describe(s)));
        if let Some(doc) = schema::description(s) {
            out.push_str(&format!("      {}\n", first_sentence(&doc)));
        }
    }
    let layers: Vec<String> = merged
        .history
        .get(path)
        .map(|h| {
            h.iter()
                .filter(|s| s.source.origin != Origin::Default)
                .map(origin_label)
                .collect()
        })
        .unwrap_or_default();
    if !layers.is_empty() {
        out.push_str("\nset here by:\n");
        for l in layers {
            out.push_str(&format!("  {l}\n"));
        }
    }
    let example = if segments.is_empty() {
        "SECTION".to_owned()
    } else {
        format!("{path}.FIELD")
    };
    out.push_str(&format!(
        "\nmore: agentctl explain {example}; agentctl config --show-origin\n"
    ));
}

/// A setting: how layers combine for it, its default, every layer's value, the final value.
fn leaf(out: &mut String, merged: &Merged, path: &str, segments: &[&str], kind: &str) {
    if matches!(path, "patches" | "resources" | "accept" | "crds") {
        return extras(out, merged, path);
    }
    let current = serde_json::to_value(&merged.config).unwrap_or(J::Null);
    let defaults = serde_json::to_value(Config::default()).unwrap_or(J::Null);
    let parent_is_map = segments.len() > 1
        && schema::lookup(&segments[..segments.len() - 1])
            .is_ok_and(|p| schema::describe(p).starts_with("map of"));
    let rule = if kind.starts_with("list of") {
        Some(format!(
            "Lists replace: a layer that sets `{path}` replaces the whole list; it is never \
             appended to (maps merge key by key). `[]` empties it."
        ))
    } else if kind.starts_with("map of") {
        Some(format!(
            "Maps merge key by key: each layer adds or replaces entries of `{path}`; an entry \
             set by an earlier layer stays (lists, by contrast, replace). `null` on an entry \
             removes it; `null` on `{path}` removes them all."
        ))
    } else if parent_is_map {
        Some(format!(
            "Maps merge key by key: a later layer that sets `{path}` replaces this entry and \
             keeps the map's other entries; `null` removes the entry."
        ))
    } else if kind.ends_with("(optional)") {
        Some(format!(
            "Optional: `null` in a later layer unsets `{path}` (`--set {path}=null`)."
        ))
    } else {
        None
    };
    if let Some(rule) = rule {
        out.push('\n');
        out.push_str(&wrap(&rule));
    }

    out.push('\n');
    let default = get(&defaults, segments);
    match (default, entry_default(segments)) {
        (None, Some(said)) => out.push_str(&format!("default: {said}\n")),
        _ => out.push_str(&format!(
            "default: {}\n",
            default.map_or_else(|| "none".to_owned(), shown)
        )),
    }
    let history = merged.history.get(path).map(Vec::as_slice).unwrap_or(&[]);
    if !history.is_empty() {
        out.push_str("layers (later wins):\n");
        let labels: Vec<String> = history.iter().map(origin_label).collect();
        let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        for (label, s) in labels.iter().zip(history) {
            let pad = width - label.chars().count();
            out.push_str(&format!(
                "  {label}{}  {}\n",
                " ".repeat(pad),
                shown(&s.value())
            ));
        }
    }
    match get(&current, segments) {
        Some(v) => out.push_str(&format!(
            "value: {} (from {})\n",
            shown(v),
            origin_of(merged, path)
        )),
        None => match history.last() {
            Some(s) if s.value().is_null() => out.push_str(&format!(
                "value: not set (removed by {})\n",
                origin_label(s)
            )),
            _ => out.push_str("value: not set\n"),
        },
    }
}

/// What a field of a map entry (`agent.sidecars.otel.image`: below an entry the user names)
/// is when the entry leaves it unset: the defaults hold no entry to read it from, so it is
/// said from the field's documentation (required, or its `Default:` sentence) or, failing
/// that, its schema default. `None`: the path is not inside a map entry.
fn entry_default(segments: &[&str]) -> Option<String> {
    // The map whose entry the path goes through (the innermost), and the entry's name.
    let at = (1..segments.len().saturating_sub(1))
        .rev()
        .find(|&i| schema::removal(&segments[..i]) == schema::Removal::Map)?;
    // An entry of a map itself (`agent.sidecars.otel.env.LOG_LEVEL`) has no default.
    if schema::removal(&segments[..segments.len() - 1]) == schema::Removal::Map {
        return None;
    }
    let map = segments[..at].join(".");
    let node = schema::lookup(segments).ok()?;
    let doc = schema::description(node).unwrap_or_default();
    let flat = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    let entry = format!("an entry of `{map}`");
    if flat.contains("Required.") || flat.ends_with("Required") {
        return Some(format!("none: required ({entry} without it is refused)"));
    }
    // The entry type's own default, where the schema has it (on the field, or on a field
    // above it within the entry: `resources` holds `limits.cpu`'s): exact, unless empty.
    let from_schema = (at + 1..segments.len()).rev().find_map(|k| {
        let d = schema::lookup(&segments[..=k]).ok()?.get("default")?;
        get(d, &segments[k + 1..]).filter(|v| !is_empty(v)).cloned()
    });
    if let Some(v) = from_schema {
        return Some(format!("when {entry} leaves it unset, {}", shown(&v)));
    }
    for marker in ["Default (unset): ", "Default: ", "Unset: "] {
        if let Some((_, rest)) = flat.split_once(marker)
            && !rest.starts_with("none")
        {
            return Some(format!("when {entry} leaves it unset, {rest}"));
        }
    }
    Some(format!(
        "none: nothing is rendered when {entry} leaves it unset (what that means is said above)"
    ))
}

/// Null, `""`, `[]` or `{}`: nothing to say as a default.
fn is_empty(v: &J) -> bool {
    match v {
        J::Null => true,
        J::String(s) => s.is_empty(),
        J::Array(a) => a.is_empty(),
        J::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `patches` / `resources`: they accumulate over layers; every entry with where it was written.
fn extras(out: &mut String, merged: &Merged, path: &str) {
    out.push('\n');
    out.push_str(&wrap(&format!(
        "Accumulates: every layer's `{path}` entries are kept, in layer order (defaults, -p, -f, \
         project environment); unlike other lists, a later layer adds to them{}.",
        match path {
            "resources" => " (an object of the same kind and name replaces the earlier one)",
            "crds" => " (a CRD of the same group and kind replaces the earlier one)",
            _ => "",
        }
    )));
    out.push_str("\ndefault: none\n");
    let entries = extras_list(merged, path);
    if entries.is_empty() {
        out.push_str("value: none\n");
    } else {
        out.push_str("value (in the order they apply):\n");
        for e in entries {
            out.push_str(&format!("  {e}\n"));
        }
    }
}

#[cfg(test)]
mod tests;
