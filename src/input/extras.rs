//! Extras: a layer's `patches:` and `resources:`, the escape hatch for what no typed setting
//! covers.
//!
//! When a file or a project environment's `set:` is read, these two top-level keys are taken
//! out of its tree before the schema check (their content is Kubernetes', not agentctl's), and
//! each entry is checked for shape by [`crate::config::patches`] right away, so a malformed
//! patch is an error at its own line like any other. Each entry keeps its located tree, so
//! errors found later (when the patch is applied to the rendered objects and the result goes
//! through its Kubernetes type) point at the patch's line too ([`at`]). A `patch:` written as a
//! string (Kustomize's `patch: |-` style) is parsed here, its positions moved to where its
//! text sits in the file. Must not apply patches (that is `render`).

use std::sync::Arc;

use serde_json::Value as J;

use crate::config::patches::{self, Patch, PatchError, PathDisplay, Seg};
use crate::diag::{Diagnostic, Source};
use crate::input::yaml::{self, Key, Node, Pos, Value};

/// The two top-level keys a layer may hold besides settings.
pub const KEYS: &[&str] = &["patches", "resources", "accept", "crds"];

/// One `patches:` entry with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedPatch {
    /// The layer it came from.
    pub source: Arc<Source>,
    /// Its index in that layer's `patches:` list.
    pub index: usize,
    /// The entry as written (a string `patch:` replaced by its parsed, located tree).
    pub node: Node,
    /// The parsed patch.
    pub patch: Patch,
}

/// One `resources:` entry (an extra object) with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedObject {
    /// The layer it came from.
    pub source: Arc<Source>,
    /// Its index in that layer's `resources:` list.
    pub index: usize,
    /// The entry as written.
    pub node: Node,
    /// The object.
    pub object: J,
}

/// One `accept:` entry: a lint finding accepted for one object, with the reason, where it was
/// written.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedAccept {
    /// The layer it came from.
    pub source: Arc<Source>,
    /// Its index in that layer's `accept:` list.
    pub index: usize,
    /// The entry as written.
    pub node: Node,
    /// The rule ID (`AGT101`).
    pub rule: String,
    /// `Kind/name` of the object.
    pub object: String,
    /// Why (mandatory).
    pub reason: String,
}

impl LocatedAccept {
    /// `file:line:col` of the entry.
    pub fn origin(&self) -> String {
        self.source.locate(self.node.pos)
    }
}

/// A layer's patches and extra objects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extras {
    /// `patches:`, in order.
    pub patches: Vec<LocatedPatch>,
    /// `resources:`, in order.
    pub resources: Vec<LocatedObject>,
    /// `accept:`, in order.
    pub accepts: Vec<LocatedAccept>,
    /// `crds:`, in order (their files read by [`crate::input::layers::load_partial`]).
    pub crds: Vec<crate::input::crds::LocatedCrds>,
    /// How many entries each list of [`NUMBERED`] has in this layer, malformed ones included:
    /// the layers' entries are numbered across every layer in layer order ([`renumber`]).
    pub entries: [usize; 3],
}

/// The lists whose entries are numbered across layers (`crds:` names files, each layer's own).
pub const NUMBERED: [&str; 3] = ["patches", "resources", "accept"];

/// Numbers this layer's entries, and the paths of its problems (`patches[0]...`), after the
/// `offsets` entries of the layers before it (per list of [`NUMBERED`]): `patches[3]` is the fourth
/// patch of the whole configuration in every message, whichever file it is in.
pub fn renumber(extras: Option<&mut Extras>, diags: &mut [Diagnostic], offsets: [usize; 3]) {
    if offsets == [0; 3] {
        return;
    }
    if let Some(e) = extras {
        e.patches.iter_mut().for_each(|p| p.index += offsets[0]);
        e.resources.iter_mut().for_each(|r| r.index += offsets[1]);
        e.accepts.iter_mut().for_each(|a| a.index += offsets[2]);
    }
    for d in diags {
        let Some(path) = &d.path else { continue };
        for (key, offset) in NUMBERED.iter().zip(offsets) {
            if let Some(rest) = path.strip_prefix(key).and_then(|r| r.strip_prefix('['))
                && let Some((n, tail)) = rest.split_once(']')
                && let Ok(n) = n.parse::<usize>()
            {
                d.path = Some(format!("{key}[{}]{tail}", n + offset));
                break;
            }
        }
    }
}

impl LocatedPatch {
    /// A diagnostic for a problem at `path` inside this entry.
    pub fn error(&self, e: &PatchError) -> Diagnostic {
        diagnostic(&self.source, &self.node, "patches", self.index, e)
    }

    /// `file:line:col` of the entry.
    pub fn origin(&self) -> String {
        self.source.locate(self.node.pos)
    }
}

impl LocatedObject {
    /// A diagnostic for a problem at `path` inside this entry.
    pub fn error(&self, e: &PatchError) -> Diagnostic {
        diagnostic(&self.source, &self.node, "resources", self.index, e)
    }

    /// `file:line:col` of the entry.
    pub fn origin(&self) -> String {
        self.source.locate(self.node.pos)
    }
}

/// Where `path` is inside `node`: the value's position and width, and its key's position when
/// the last step is a map key. A list item is found by index or by its merge key. Stops at the
/// deepest step that exists.
pub fn at(node: &Node, path: &[Seg]) -> (Pos, usize, Option<(Pos, usize)>) {
    let mut here = node;
    let mut key = None;
    for seg in path {
        let next = match (seg, &here.value) {
            (Seg::Key(k), Value::Map(entries)) => entries
                .iter()
                .find(|(name, _)| name.name == *k)
                .map(|(name, v)| (Some((name.pos, name.name.chars().count().max(1))), v)),
            (Seg::Index(i), Value::Seq(items)) => items.get(*i).map(|v| (None, v)),
            // A list item by its merge key, as a strategic-merge patch writes it.
            (Seg::Item(it), Value::Seq(items)) => items
                .iter()
                .find(|item| match &item.value {
                    Value::Map(entries) => entries.iter().any(|(name, v)| {
                        name.name == it.key
                            && match &v.value {
                                Value::Str(s) => *s == it.value,
                                Value::Int(n) => n.to_string() == it.value,
                                _ => false,
                            }
                    }),
                    _ => false,
                })
                .map(|v| (None, v)),
            _ => None,
        };
        match next {
            Some((k, v)) => {
                key = k;
                here = v;
            }
            None => break,
        }
    }
    (here.pos, here.len, key)
}

fn diagnostic(
    source: &Arc<Source>,
    node: &Node,
    list: &str,
    index: usize,
    e: &PatchError,
) -> Diagnostic {
    let (pos, len, key) = at(node, &e.path);
    let (pos, len) = match key {
        Some(k) if e.on_key => k,
        _ => (pos, len),
    };
    let inner = PathDisplay(&e.path).to_string();
    let path = if inner.is_empty() {
        format!("{list}[{index}]")
    } else if inner.starts_with('[') {
        format!("{list}[{index}]{inner}")
    } else {
        format!("{list}[{index}].{inner}")
    };
    let mut d = Diagnostic::new(e.message.clone())
        .path(path)
        .at(source, pos, len);
    if let Some(h) = &e.hint {
        d = d.help(h.clone());
    }
    d
}

/// Takes `patches:` and `resources:` out of a layer's tree and checks each entry's shape.
pub fn split(tree: &mut Node, source: &Arc<Source>) -> (Extras, Vec<Diagnostic>) {
    let mut extras = Extras::default();
    let mut diags = Vec::new();
    let Value::Map(entries) = &mut tree.value else {
        return (extras, diags);
    };
    let mut taken: Vec<(Key, Node)> = Vec::new();
    entries.retain(|(k, v)| {
        if KEYS.contains(&k.name.as_str()) {
            taken.push((k.clone(), v.clone()));
            false
        } else {
            true
        }
    });
    for (key, list) in taken {
        let items = match list.value {
            Value::Seq(items) => {
                if let Some(i) = NUMBERED.iter().position(|k| *k == key.name) {
                    extras.entries[i] = items.len();
                }
                items
            }
            Value::Null => Vec::new(),
            other => {
                let example = match key.name.as_str() {
                    "patches" => "a list of `{target: {kind: ..., name: ...}, patch: ...}`",
                    "accept" => "a list of `{rule: AGT1xx, object: Kind/name, reason: ...}`",
                    "crds" => "a list of CRD file paths, relative to this file",
                    _ => "a list of whole Kubernetes objects",
                };
                diags.push(
                    Diagnostic::new(format!(
                        "`{}` must be a list, found {}",
                        key.name,
                        other.type_name()
                    ))
                    .path(key.name.clone())
                    .at(source, list.pos, list.len)
                    .help(format!("`{}` is {example}", key.name)),
                );
                continue;
            }
        };
        for (index, mut node) in items.into_iter().enumerate() {
            if key.name == "crds" {
                match crate::input::crds::entry(node, source, index) {
                    Ok(c) => extras.crds.push(c),
                    Err(d) => diags.push(d),
                }
                continue;
            }
            if key.name == "accept" {
                match accept(&node, source, index) {
                    Ok(a) => extras.accepts.push(a),
                    Err(d) => diags.push(d),
                }
                continue;
            }
            if key.name == "patches" {
                if let Err(d) = parse_string_body(&mut node, source, index) {
                    diags.push(d);
                    continue;
                }
                if let Some(d) = empty_body(&node, source, index) {
                    diags.push(d);
                    continue;
                }
                let entry = yaml::to_json(&node);
                match patches::parse(&entry) {
                    Ok(patch) => extras.patches.push(LocatedPatch {
                        source: Arc::clone(source),
                        index,
                        node,
                        patch,
                    }),
                    Err(e) => diags.push(diagnostic(source, &node, "patches", index, &e)),
                }
            } else {
                let object = yaml::to_json(&node);
                let located = LocatedObject {
                    source: Arc::clone(source),
                    index,
                    node,
                    object,
                };
                match patches::check_extra(&located.object) {
                    Ok(()) => extras.resources.push(located),
                    Err(e) => {
                        let mut d = located.error(&e);
                        if matches!(located.object, J::String(_)) {
                            d = d.help("agentctl takes extra objects inline (they are part of this layer, with its line numbers): paste the object's YAML here instead of a file name");
                        }
                        diags.push(d);
                    }
                }
            }
        }
    }
    (extras, diags)
}

/// One `accept:` entry, checked: a map of `rule` (a known rule ID), `object` (`Kind/name`) and
/// a non-empty `reason`, nothing else.
fn accept(node: &Node, source: &Arc<Source>, index: usize) -> Result<LocatedAccept, Diagnostic> {
    let at = |path: &str, n: &Node| {
        Diagnostic::new(String::new())
            .path(format!("accept[{index}]{path}"))
            .at(source, n.pos, n.len)
    };
    let usage = "an acceptance is `{rule: AGT1xx, object: Kind/name, reason: \"why this is fine here\"}` (see `agentctl lint`)";
    let Value::Map(entries) = &node.value else {
        let mut d = at("", node);
        d.message = format!(
            "an `accept:` entry must be a map, found {}",
            node.value.type_name()
        );
        return Err(d.help(usage));
    };
    let field = |name: &str| -> Result<String, Diagnostic> {
        match entries.iter().find(|(k, _)| k.name == name) {
            Some((_, v)) => match &v.value {
                Value::Str(s) if !s.trim().is_empty() => Ok(s.clone()),
                _ => {
                    let mut d = at(&format!(".{name}"), v);
                    d.message = format!("`{name}` must be a non-empty string");
                    Err(d.help(usage))
                }
            },
            None => {
                let mut d = at("", node);
                d.message = format!("this acceptance has no `{name}`");
                Err(d.help(if name == "reason" {
                    "the reason is mandatory: say why the finding is acceptable for this object (it is shown wherever the finding is)"
                } else {
                    usage
                }))
            }
        }
    };
    let (rule, object, reason) = (field("rule")?, field("object")?, field("reason")?);
    if let Some((k, _)) = entries
        .iter()
        .find(|(k, _)| !["rule", "object", "reason"].contains(&k.name.as_str()))
    {
        let mut d = Diagnostic::new(format!("`{}` is not a field of an acceptance", k.name))
            .path(format!("accept[{index}].{}", k.name))
            .at(source, k.pos, k.name.chars().count().max(1));
        d = d.help(usage);
        return Err(d);
    }
    if crate::lint::rule(&rule).is_none() {
        let v = entries
            .iter()
            .find(|(k, _)| k.name == "rule")
            .map_or(node, |(_, v)| v);
        let mut d = at(".rule", v);
        d.message = format!("`{rule}` is not a lint rule");
        let hint =
            match crate::suggest::did_you_mean(&rule, crate::lint::RULES.iter().map(|r| r.id)) {
                Some(n) => {
                    format!("did you mean `{n}`? `agentctl lint` names the rule of each finding")
                }
                None => "`agentctl lint` names the rule of each finding (AGT101...)".to_owned(),
            };
        return Err(d.help(hint));
    }
    // The reason is printed wherever the finding is (lint's text, JSON and SARIF, `config`,
    // `explain`): the one credential policy holds it to what any value is held to.
    if crate::config::credentials::looks_like_credential(&reason)
        || reason
            .split_whitespace()
            .any(crate::config::credentials::key_holds_credential)
    {
        let v = entries
            .iter()
            .find(|(k, _)| k.name == "reason")
            .map_or(node, |(_, v)| v);
        let mut d = at(".reason", v);
        d.message = "this reason holds what looks like a credential (a token, key, a password in a URL or `password=...`); a reason is printed wherever its finding is: lint's text, JSON and SARIF, `config`, `explain`".into();
        return Err(d.help(
            "say why in words; a credential belongs in a Secret, never in agentctl's inputs",
        ));
    }
    Ok(LocatedAccept {
        source: Arc::clone(source),
        index,
        node: node.clone(),
        rule,
        object,
        reason,
    })
}

/// A `patch:` that is an empty map (a strategic merge of nothing) or an empty list (no JSON 6902
/// operation), written inline or as text: `kubectl kustomize` refuses both, so the entry is an
/// error at its `patch:`, like an empty patch text.
fn empty_body(entry: &Node, source: &Arc<Source>, index: usize) -> Option<Diagnostic> {
    let Value::Map(entries) = &entry.value else {
        return None;
    };
    let (_, body) = entries.iter().find(|(k, _)| k.name == "patch")?;
    let (shown, what) = match &body.value {
        Value::Map(m) if m.is_empty() => ("{}", "a strategic merge of no field"),
        Value::Seq(s) if s.is_empty() => ("[]", "a JSON 6902 patch of no operation"),
        _ => return None,
    };
    Some(
        Diagnostic::new(format!(
            "the patch is empty (`{shown}`, {what}): it patches nothing"
        ))
        .path(format!("patches[{index}].patch"))
        .at(source, body.pos, body.len.max(1))
        .help("write the patch as YAML under `patch:` (a map, or a list of operations), or remove the entry; `kubectl kustomize` refuses an empty patch"),
    )
}

/// A `patch:` written as a string (Kustomize's `patch: |-`) becomes its parsed tree, its
/// positions moved to where the text is in the file (exact for a block scalar `|`/`>`; the
/// string's own position otherwise).
fn parse_string_body(
    entry: &mut Node,
    source: &Arc<Source>,
    index: usize,
) -> Result<(), Diagnostic> {
    let Value::Map(entries) = &mut entry.value else {
        return Ok(());
    };
    let Some((key, body)) = entries.iter_mut().find(|(k, _)| k.name == "patch") else {
        return Ok(());
    };
    let Value::Str(text) = &body.value else {
        return Ok(());
    };
    // A block scalar (`patch: |-`): its text starts on the first non-empty line after the
    // key's, at that line's indentation.
    let after_key = source
        .text
        .lines()
        .nth(key.pos.line.saturating_sub(1))
        .map(|l| {
            l.chars()
                .skip(key.pos.col.saturating_sub(1) + "patch:".len())
                .collect::<String>()
        })
        .unwrap_or_default();
    let block = after_key.trim_start().starts_with(['|', '>']);
    let shift = if block {
        source
            .text
            .lines()
            .enumerate()
            .skip(key.pos.line)
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i, l.len() - l.trim_start().len()))
    } else {
        None
    };
    let origin = body.pos;
    let mut parsed = yaml::parse_layer(text).map_err(|e| {
        let pos = match shift {
            Some((line, indent)) => Pos {
                line: line + e.pos.line,
                col: indent + e.pos.col,
            },
            None => origin,
        };
        let message = if e.kind == yaml::SyntaxKind::Empty {
            "the patch text is empty (or only comments): it patches nothing".to_owned()
        } else {
            format!("the patch text is not valid YAML: {}", e.message)
        };
        Diagnostic::new(message)
            .path(format!("patches[{index}].patch"))
            .at(source, pos, 1)
            .help("write the patch as YAML under `patch:` (a map, or a list of operations)")
    })?;
    move_positions(&mut parsed, shift, origin);
    *body = parsed;
    Ok(())
}

fn move_positions(node: &mut Node, shift: Option<(usize, usize)>, origin: Pos) {
    let mv = |p: &mut Pos| {
        *p = match shift {
            Some((line, indent)) => Pos {
                line: line + p.line,
                col: indent + p.col,
            },
            None => origin,
        };
    };
    mv(&mut node.pos);
    match &mut node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                mv(&mut k.pos);
                move_positions(v, shift, origin);
            }
        }
        Value::Seq(items) => {
            for v in items {
                move_positions(v, shift, origin);
            }
        }
        _ => {}
    }
}
