//! The effective configuration as `agentctl config` prints it, and the words for where a value
//! came from.
//!
//! [`config_yaml`] emits the merged configuration in the order the reference declares the
//! settings (itself a valid override file, `patches:` and `resources:` included), with
//! `--show-origin` a `# <layer>` comment on every leaf. The small helpers that say a value or
//! its origin on one line ([`origin_label`], `shown`, [`extras_list`]) live here because
//! `explain` and `profiles diff` print the same words. Read-only over [`Merged`].

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::config::Config;
use crate::config::patches;
use crate::input::yaml::{self, Node, Value};
use crate::resolve::merge::{self, Merged, Setting};

/// One leaf of the configuration: a scalar, a list or an empty map.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Leaf {
    /// Dotted path.
    path: String,
    /// 1-based line of its key in the emitted YAML.
    line: usize,
    /// Its value.
    value: J,
}

/// The configuration as YAML in reference order, with its leaves.
pub(super) fn ordered(config: &Config) -> anyhow::Result<(String, Vec<Leaf>)> {
    let text = yaml::to_string_ordered(config).map_err(anyhow::Error::msg)?;
    let tree = yaml::parse_layer(&text).map_err(|e| {
        anyhow::anyhow!(
            "the effective configuration does not read back: {}",
            e.message
        )
    })?;
    let mut leaves = Vec::new();
    collect(&tree, &mut Vec::new(), 0, &mut leaves);
    Ok((text, leaves))
}

fn collect(node: &Node, path: &mut Vec<String>, line: usize, out: &mut Vec<Leaf>) {
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => {
            for (key, value) in entries {
                path.push(key.name.clone());
                collect(value, path, key.pos.line, out);
                path.pop();
            }
        }
        _ if !path.is_empty() => out.push(Leaf {
            path: path.join("."),
            line,
            value: merge::to_json(node),
        }),
        _ => {}
    }
}

/// Where a setting came from, in words: `default`, `profile dev (profiles/dev.yaml:3:8)`,
/// `my.yaml:12:5`, `--set agent.replicas.max=30`.
pub fn origin_label(setting: &Setting) -> String {
    one_line(&setting.source.locate(setting.pos))
}

/// A text on one line: control characters (a newline in a `--set` value) escaped.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

pub(super) fn origin_of(merged: &Merged, path: &str) -> String {
    merged
        .origin(path)
        .map_or_else(|| "default".to_owned(), origin_label)
}

/// `agentctl config`: the effective configuration as YAML (itself a valid override file);
/// with `show_origin`, every leaf carries a `# <layer>` comment.
pub fn config_yaml(merged: &Merged, show_origin: bool) -> anyhow::Result<String> {
    config_yaml_with(merged, show_origin, &[])
}

/// [`config_yaml`], with the settings a patch overrides (the setting's path, the note for its
/// own line, the note for a line inside it) said on their lines.
pub fn config_yaml_with(
    merged: &Merged,
    show_origin: bool,
    overridden: &[(String, String, String)],
) -> anyhow::Result<String> {
    let (text, leaves) = ordered(&merged.config)?;
    let extras = extras_yaml(merged, show_origin)?;
    if !show_origin {
        return Ok(text + &extras);
    }
    let under = |path: &str, prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|r| r.starts_with('.'))
    };
    // Where each override is said: on the line of the field it sets (or the lines inside it);
    // a field no setting has (`agent.probes.liveness.exec`, written by a patch only) is said on
    // every line of the setting that renders it (`agent.probes.liveness.*`), so every typed
    // line a patch overrides is marked, not only the footer.
    let targets: Vec<(&str, &str, &str)> = overridden
        .iter()
        .map(|(set, own, inside)| {
            let shown = leaves.iter().any(|l| l.path == *set || under(&l.path, set));
            let at = if shown {
                set.as_str()
            } else {
                let mut at = set.as_str();
                while let Some((parent, _)) = at.rsplit_once('.') {
                    at = parent;
                    if leaves.iter().any(|l| l.path == at || under(&l.path, at)) {
                        break;
                    }
                }
                at
            };
            (at, own.as_str(), inside.as_str())
        })
        .collect();
    // One patch that overrides a setting in two places (`exec` added, `httpGet` removed) is
    // said once on each line: the first place names it.
    let mut targets = targets;
    let mut seen = std::collections::BTreeSet::new();
    targets.retain(|(at, own, _)| seen.insert((*at, own.split(" at ").next().unwrap_or(own))));
    let mut notes: BTreeMap<usize, String> = BTreeMap::new();
    for leaf in &leaves {
        let mut note = origin_of(merged, &leaf.path);
        for (setting, own, inside) in &targets {
            if leaf.path == *setting {
                note.push_str(&format!("; {own}"));
            } else if under(&leaf.path, setting) {
                note.push_str(&format!("; {inside}"));
            }
        }
        notes.insert(leaf.line, note);
    }
    let width = text
        .lines()
        .enumerate()
        .filter(|(i, _)| notes.contains_key(&(i + 1)))
        .map(|(_, l)| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(56);
    let mut out = String::with_capacity(text.len() * 2);
    for (i, line) in text.lines().enumerate() {
        out.push_str(line);
        if let Some(note) = notes.get(&(i + 1)) {
            let pad = width.saturating_sub(line.chars().count()) + 2;
            out.push_str(&" ".repeat(pad));
            out.push_str("# ");
            out.push_str(note);
        }
        out.push('\n');
    }
    out.push_str(&extras);
    Ok(out)
}

/// `patches:` and `resources:` as YAML (so `agentctl config` output is a complete override
/// file), each entry after a comment naming where it was written when `show_origin`.
fn extras_yaml(merged: &Merged, show_origin: bool) -> anyhow::Result<String> {
    let mut out = String::new();
    for (key, entries) in [
        (
            "patches",
            merged
                .patches
                .iter()
                .map(|p| yaml::to_json(&p.node))
                .collect::<Vec<_>>(),
        ),
        (
            "resources",
            merged.resources.iter().map(|r| r.object.clone()).collect(),
        ),
    ] {
        if entries.is_empty() {
            continue;
        }
        out.push_str(key);
        out.push(':');
        if show_origin {
            out.push_str("  # accumulate over layers, in this order");
        }
        out.push('\n');
        let notes = extras_list(merged, key);
        for (mut entry, note) in entries.into_iter().zip(notes) {
            redact(&mut entry);
            if show_origin {
                out.push_str(&format!("  # {note}\n"));
            }
            let text = yaml::to_canonical(&J::Array(vec![entry])).map_err(anyhow::Error::msg)?;
            for line in text.lines() {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// A patch or extra object with every credential value (the one policy,
/// `credentials::in_object`) replaced by `<redacted>`: `config` shows where one is, never
/// what. A strategic patch's body is read as an object of its target's kind.
fn redact(entry: &mut J) {
    use crate::config::credentials::in_object;
    let kind = entry.pointer("/target/kind").cloned();
    let mut hits: Vec<Vec<patches::Seg>> = in_object(entry).into_iter().map(|h| h.path).collect();
    if let Some(J::Object(body)) = entry.get("patch") {
        let mut body = body.clone();
        if let Some(kind) = kind {
            body.entry("kind").or_insert(kind);
        }
        hits.extend(in_object(&J::Object(body)).into_iter().map(|h| {
            let mut p = vec![patches::Seg::Key("patch".into())];
            p.extend(h.path);
            p
        }));
    }
    for path in hits {
        let mut at = Some(&mut *entry);
        for seg in &path {
            at = match (seg, at) {
                (patches::Seg::Key(k), Some(J::Object(m))) => m.get_mut(k.as_str()),
                (patches::Seg::Index(i), Some(J::Array(a))) => a.get_mut(*i),
                _ => None,
            };
        }
        if let Some(v) = at {
            *v = J::String(crate::diag::REDACTED.to_owned());
        }
    }
    // Keys last: the hits' paths name them.
    crate::config::credentials::redact_keys(entry);
}

/// A value in one line: strings bare, everything else as JSON (which is YAML flow syntax).
pub(super) fn shown(v: &J) -> String {
    match v {
        J::String(s) if s.is_empty() || s.contains(char::is_control) => v.to_string(),
        _ => merge::compact(v),
    }
}

/// One line per patch or extra object: what it is, and where it was written.
pub fn extras_list(merged: &Merged, path: &str) -> Vec<String> {
    if path == "crds" {
        return merged
            .crds
            .iter()
            .map(|c| {
                format!(
                    "{} ({}; served: {}) from `{}`, listed at {}",
                    c.kind,
                    c.group,
                    c.served().join(", "),
                    c.file,
                    c.listed_at
                )
            })
            .collect();
    }
    if path == "accept" {
        return merged
            .accepts
            .iter()
            .map(|a| {
                format!(
                    "accept[{}] {} on {} from {}: {}",
                    a.index,
                    a.rule,
                    a.object,
                    a.origin(),
                    a.reason
                )
            })
            .collect();
    }
    if path == "patches" {
        merged
            .patches
            .iter()
            .map(|p| {
                let how = match &p.patch.body {
                    patches::Body::Strategic(_) => "strategic merge".to_owned(),
                    patches::Body::Json6902(ops) => format!(
                        "JSON 6902, {} operation{}",
                        ops.len(),
                        if ops.len() == 1 { "" } else { "s" }
                    ),
                };
                format!(
                    "patches[{}] target {} ({how}) from {}",
                    p.index,
                    p.patch.target,
                    p.origin()
                )
            })
            .collect()
    } else {
        merged
            .resources
            .iter()
            .map(|r| {
                format!(
                    "resources[{}] {} from {}",
                    r.index,
                    patches::object_id(&r.object),
                    r.origin()
                )
            })
            .collect()
    }
}

/// Every leaf path and value, map entries included, empty maps left out.
pub(super) fn flat(config: &Config) -> anyhow::Result<Vec<(String, J)>> {
    let (_, leaves) = ordered(config)?;
    Ok(leaves
        .into_iter()
        .filter(|l| l.value != J::Object(serde_json::Map::new()))
        .map(|l| (l.path, l.value))
        .collect())
}
