//! The only module that names the YAML crate (serde-saphyr and its parser, granit-parser).
//!
//! Inbound, it turns the text of one layer into a located [`Node`] tree: every key and value
//! keeps its line and column, scalars are resolved by the YAML 1.2 core schema, and the things a
//! configuration file has no business containing are refused with a located error instead of
//! being half-understood: duplicate keys, tabs in indentation, tags, anchors, aliases and merge
//! keys (which also rules out "billion laughs"), several documents, nesting deeper than
//! [`MAX_DEPTH`], a list or map of more than [`MAX_ENTRIES`]. Duplicate detection is a hash
//! lookup per key, so a file of many keys parses in linear time. Outbound, it parses
//! rendered manifests into JSON values and emits canonical YAML, where serde-saphyr quotes every
//! string that a YAML 1.1 reader (Kubernetes) would turn into a boolean, number or date.
//!
//! Owns the YAML crate. Must not know about settings, schemas or files: callers hand it text.
//! The rule for plain scalars (and the numbers and characters refused) is in `scalar`; the
//! outbound side (manifests, canonical YAML) in `manifests`.

use serde_saphyr::granit_parser::{ErrorKind, Event, Parser, ScalarStyle, Span};

/// Deepest nesting accepted in a layer; the schema itself is at most six levels deep.
pub const MAX_DEPTH: usize = 32;

/// Most entries accepted in one list or map: far above any real setting (labels, environment
/// variables, ports), and low enough that a hostile file cannot make rendering slow.
pub const MAX_ENTRIES: usize = 1000;

pub use crate::diag::Pos;

/// A parsed YAML value with the position it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value starts (for a map or list, its first entry).
    pub pos: Pos,
    /// Length of the value's source text on its line (for carets), at least 1.
    pub len: usize,
}

/// A YAML value, scalars resolved by the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string (any quoted scalar, or a plain one that is nothing else).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys, in source order.
    Map(Vec<(Key, Node)>),
}

impl Value {
    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }
}

/// A mapping key and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Position of the key.
    pub pos: Pos,
}

/// A YAML syntax or structure error at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub pos: Pos,
    /// Width of the culprit for the caret, at least 1.
    pub len: usize,
    /// How to fix it, when we know.
    pub hint: Option<String>,
    /// A second place involved (e.g. where a duplicated key was first written).
    pub related: Option<(String, Pos)>,
    /// Which error it is, for callers that explain some kinds in their own terms.
    pub kind: SyntaxKind,
}

/// The kinds of [`SyntaxError`] a caller may want to tell apart (never by message text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxKind {
    /// A key written twice in one map; holds the key.
    DuplicateKey(String),
    /// A second `---` document.
    SecondDocument,
    /// Nothing but comments.
    Empty,
    /// Anything else.
    Other,
}

impl SyntaxError {
    /// The diagnostic for this error in `source`: the one conversion of YAML errors.
    pub fn into_diagnostic(
        self,
        source: &std::sync::Arc<crate::diag::Source>,
    ) -> crate::diag::Diagnostic {
        let mut d = crate::diag::Diagnostic::new(self.message).at(source, self.pos, self.len);
        if let Some((label, pos)) = self.related {
            d = d.related(label, Some(source), pos);
        }
        if let Some(h) = self.hint {
            d = d.help(h);
        }
        d
    }
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

fn len_of(span: &Span) -> usize {
    if span.end.line() == span.start.line() {
        span.end.col().saturating_sub(span.start.col()).max(1)
    } else {
        1
    }
}

fn err(message: impl Into<String>, pos: Pos, hint: Option<&str>) -> SyntaxError {
    SyntaxError {
        message: message.into(),
        pos,
        len: 1,
        hint: hint.map(str::to_owned),
        related: None,
        kind: SyntaxKind::Other,
    }
}

enum Frame {
    Seq(Vec<Node>, Pos),
    /// Entries, start, the key waiting for its value, and the keys seen (for duplicates in
    /// constant time per key: a file of many keys must not parse in quadratic time).
    Map(
        Vec<(Key, Node)>,
        Pos,
        Option<Key>,
        std::collections::HashMap<String, Pos>,
    ),
}

/// Parses one layer's text into a [`Node`].
///
/// Exactly one document is allowed; an empty or comment-only text is an error (an override
/// file that sets nothing is almost always a mistake, e.g. the wrong file).
/// (Long on purpose: the loop is the one state machine over the parser's events, one short
/// arm per event; its helpers are `no_tabs`, `parse_error`, `scalar_node`, `open`, `attach`.)
pub fn parse_layer(text: &str) -> Result<Node, SyntaxError> {
    no_tabs(text)?;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    // Anchor events carry the `&name` span, so an anchor is reported where it is written;
    // unresolved aliases come as events too, so `*name` gets the same message either way.
    let options = serde_saphyr::granit_parser::options! {
        emit_anchor_events: true,
        emit_unresolved_aliases: true,
        // Comments are not data (kube-rs turns the parser's `comments` feature on).
        emit_comments: false,
    };
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.map_err(|e| parse_error(&e))?;
        let pos = pos_of(&span);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        kind: SyntaxKind::SecondDocument,
                        ..err(
                            "a second YAML document (`---`) in one file",
                            pos,
                            Some(
                                "an override file holds one document; split it into several files and pass each with -f",
                            ),
                        )
                    });
                }
                continue;
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                return Err(unsupported(
                    "YAML aliases (`*name`) are not supported",
                    "write the value out in full; agentctl layers are merged by key, so repeat only what differs",
                    pos,
                    len_of(&span),
                ));
            }
            Event::Anchor(..) => {
                return Err(unsupported(
                    "YAML anchors (`&name`) are not supported",
                    "remove the anchor and write values out in full; agentctl layers are merged by key, so repeat only what differs",
                    pos,
                    len_of(&span),
                ));
            }
            Event::Scalar(scalar, style, _, tag) => {
                check_tag(tag.is_some(), text, pos)?;
                match scalar_node(&scalar, style, &span, &stack)? {
                    Some(node) => node,
                    None => continue,
                }
            }
            Event::SequenceStart(_, _, tag) => {
                check_tag(tag.is_some(), text, pos)?;
                open(&mut stack, Frame::Seq(Vec::new(), pos), pos)?;
                continue;
            }
            Event::MappingStart(_, _, tag) => {
                check_tag(tag.is_some(), text, pos)?;
                open(
                    &mut stack,
                    Frame::Map(Vec::new(), pos, None, Default::default()),
                    pos,
                )?;
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, start)) => Node {
                    value: Value::Seq(items),
                    pos: start,
                    len: 1,
                },
                _ => return Err(err("unbalanced sequence", pos, None)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(entries, start, _, _)) => Node {
                    value: Value::Map(entries),
                    pos: start,
                    len: 1,
                },
                _ => return Err(err("unbalanced mapping", pos, None)),
            },
            #[allow(unreachable_patterns)]
            _ => continue,
        };
        attach(&mut stack, &mut root, node)?;
    }
    root.ok_or_else(|| SyntaxError {
        kind: SyntaxKind::Empty,
        ..err(
            "the file is empty (or only comments): it sets nothing",
            Pos { line: 1, col: 1 },
            None,
        )
    })
}

/// Refuses tabs in indentation before parsing (the parser's own message is obscure).
fn no_tabs(text: &str) -> Result<(), SyntaxError> {
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indent].find('\t') {
            return Err(err(
                "tab character used for indentation",
                Pos {
                    line: i + 1,
                    col: tab + 1,
                },
                Some("YAML indents with spaces only; replace the tab with spaces"),
            ));
        }
    }
    Ok(())
}

/// A parser error as a [`SyntaxError`], with a hint where we know the usual cause.
fn parse_error(e: &serde_saphyr::granit_parser::ScanError) -> SyntaxError {
    let mark = e.marker();
    let pos = Pos {
        line: mark.line(),
        col: mark.col() + 1,
    };
    if matches!(e.kind(), ErrorKind::RecursionLimitExceeded) {
        return too_deep(pos);
    }
    let info = e.info();
    let hint = parse_hint(&info);
    err(format!("invalid YAML: {info}"), pos, hint)
}

/// A YAML feature agentctl refuses (aliases, anchors), at the span that uses it.
fn unsupported(message: &str, hint: &str, pos: Pos, len: usize) -> SyntaxError {
    SyntaxError {
        len,
        ..err(message, pos, Some(hint))
    }
}

/// The node of a scalar event; `None` for the empty scalar of a content-less document.
fn scalar_node(
    scalar: &str,
    style: ScalarStyle,
    span: &Span,
    stack: &[Frame],
) -> Result<Option<Node>, SyntaxError> {
    let pos = pos_of(span);
    if stack.is_empty() && style == ScalarStyle::Plain && span.start.index() == span.end.index() {
        // A document with no content (`---` alone): empty, like an empty file.
        return Ok(None);
    }
    if style == ScalarStyle::Plain
        && scalar == "<<"
        && matches!(stack.last(), Some(Frame::Map(_, _, None, _)))
    {
        return Err(SyntaxError {
            len: 2,
            ..err(
                "YAML merge keys (`<<`) are not supported",
                pos,
                Some(
                    "write the keys out in full; agentctl merges layers by key, so repeat only what differs",
                ),
            )
        });
    }
    if let Some(message) = unfit_character(scalar) {
        return Err(SyntaxError {
            len: len_of(span),
            ..err(
                message,
                pos,
                Some(
                    "remove it; for a line break write `\\n` in a double-quoted string, or use a `|` block",
                ),
            )
        });
    }
    let value = if style == ScalarStyle::Plain {
        resolve_plain(scalar)
    } else {
        Value::Str(scalar.to_owned())
    };
    Ok(Some(Node {
        value,
        pos,
        len: len_of(span),
    }))
}

/// Anchors are refused at their own `Event::Anchor` (which carries the `&name` span); tags here.
fn check_tag(tagged: bool, text: &str, pos: Pos) -> Result<(), SyntaxError> {
    if !tagged {
        return Ok(());
    }
    // The node's span starts after its properties; point at the tag itself when it is on the
    // same line (the last `!` before the node).
    let line: Vec<char> = text
        .lines()
        .nth(pos.line.saturating_sub(1))
        .unwrap_or_default()
        .chars()
        .collect();
    let before = pos.col.saturating_sub(1).min(line.len());
    let (pos, len) = match line[..before].iter().rposition(|c| *c == '!') {
        Some(mut start) => {
            while start > 0 && line[start - 1] == '!' {
                start -= 1;
            }
            let len = line[start..before]
                .iter()
                .take_while(|c| !c.is_whitespace())
                .count();
            (
                Pos {
                    line: pos.line,
                    col: start + 1,
                },
                len,
            )
        }
        None => (pos, 1),
    };
    Err(SyntaxError {
        len: len.max(1),
        ..err(
            "YAML tags (`!tag`, `!!type`) are not supported",
            pos,
            Some(
                "remove the tag; every setting has a fixed type (quote a value to make it a string)",
            ),
        )
    })
}

fn too_deep(pos: Pos) -> SyntaxError {
    err(
        format!("nesting deeper than {MAX_DEPTH} levels"),
        pos,
        Some("no agentctl setting is nested this deep; check the indentation and the brackets"),
    )
}

fn too_many(kind: &str, pos: Pos) -> SyntaxError {
    SyntaxError {
        message: format!("a {kind} with more than {MAX_ENTRIES} entries"),
        pos,
        len: 1,
        hint: Some(format!(
            "no agentctl setting holds more than {MAX_ENTRIES} entries; is this the right file?"
        )),
        related: None,
        kind: SyntaxKind::Other,
    }
}

/// A fix for the parser's most common complaints.
fn parse_hint(info: &str) -> Option<&'static str> {
    if info.contains("mapping values are not allowed") {
        Some(
            "a value that contains `: ` must be quoted; otherwise this line is indented differently from the keys around it",
        )
    } else if info.contains("did not find expected key") {
        Some("keys of one section must line up at the same indentation")
    } else if info.contains("unclosed bracket") || info.contains("did not find expected ',' or") {
        Some("close the bracket, or write the list one `- item` per line")
    } else if info.contains("unclosed quote") || info.contains("found unexpected end of stream") {
        Some("close the quote on the same line")
    } else {
        None
    }
}

fn open(stack: &mut Vec<Frame>, frame: Frame, pos: Pos) -> Result<(), SyntaxError> {
    if stack.len() >= MAX_DEPTH {
        return Err(too_deep(pos));
    }
    stack.push(frame);
    Ok(())
}

fn attach(stack: &mut [Frame], root: &mut Option<Node>, node: Node) -> Result<(), SyntaxError> {
    match stack.last_mut() {
        None => *root = Some(node),
        Some(Frame::Seq(items, _)) => {
            if items.len() >= MAX_ENTRIES {
                return Err(too_many("list", node.pos));
            }
            items.push(node);
        }
        Some(Frame::Map(entries, _, pending, seen)) => match pending.take() {
            Some(key) => entries.push((key, node)),
            None => {
                let name = match node.value {
                    Value::Str(s) => s,
                    Value::Int(i) => i.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Float(f) => f.to_string(),
                    Value::Null => {
                        return Err(err("a mapping key is empty or null", node.pos, None));
                    }
                    Value::Seq(_) | Value::Map(_) => {
                        return Err(err(
                            "a mapping key is a list or map",
                            node.pos,
                            Some("keys are plain names"),
                        ));
                    }
                };
                if let Some(first) = seen.get(&name) {
                    return Err(SyntaxError {
                        len: node.len,
                        related: Some((format!("`{name}` first set here"), *first)),
                        kind: SyntaxKind::DuplicateKey(name.clone()),
                        ..err(
                            format!("duplicate key `{name}`"),
                            node.pos,
                            Some("YAML keys must be unique within a map; delete one of the two"),
                        )
                    });
                }
                if entries.len() >= MAX_ENTRIES {
                    return Err(too_many("map", node.pos));
                }
                seen.insert(name.clone(), node.pos);
                *pending = Some(Key {
                    name,
                    pos: node.pos,
                });
            }
        },
    }
    Ok(())
}

/// Converts a located tree to JSON.
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), to_json(v)))
                .collect(),
        ),
    }
}

/// Parses a scalar or flow value given on the command line (`--set path=[a, b]`).
/// Unlike a file, an empty value is not "a file that sets nothing": it is an empty value.
pub fn parse_inline(text: &str) -> Result<Node, SyntaxError> {
    if text.trim().is_empty() {
        return Err(err(
            "the value is empty",
            Pos { line: 1, col: 1 },
            Some("write `{}` for an empty map or `[]` for an empty list"),
        ));
    }
    parse_layer(text)
}

/// Parses a stream of rendered manifests (one or more documents) into JSON values.
///
/// Every render parses a dozen rendered files, so the common case is read line by line
/// (`lines`: the templates' subset of YAML, JSON values read by serde_json), then
/// built straight from the parser's events (about 7% of a whole-process render saved,
/// measured); anything those paths are not certain to read exactly as serde-saphyr does is read
/// by serde-saphyr, which also gives the error messages.
pub fn parse_manifests(text: &str) -> Result<Vec<serde_json::Value>, String> {
    match lines::manifests_from_lines(text) {
        Some(docs) => Ok(docs),
        None => manifests::manifests_after_lines(text),
    }
}

/// Where a YAML error of the YAML crate is (its first position) and what it says, with no
/// text of the file in it: no snippet, and every quoted span of the part that can come from the
/// file (before `, expected`) shown as `<...>`, except the key a `missing field`,
/// `unknown field` or `duplicate mapping key` names. For files that hold credentials in clear
/// (a kubeconfig), whose lines agentctl cannot trust itself to mask.
pub fn unquoted_error(e: &serde_saphyr::Error) -> (Option<Pos>, String) {
    use serde_saphyr::MessageFormatter;
    let e = e.without_snippet();
    let pos = e.location().map(|l| Pos {
        line: usize::try_from(l.line()).unwrap_or(usize::MAX),
        col: usize::try_from(l.column()).unwrap_or(usize::MAX),
    });
    let message = serde_saphyr::DefaultMessageFormatter
        .format_message(e)
        .into_owned();
    (pos.filter(|p| p.line > 0), unquoted(&message))
}

/// [`unquoted_error`]'s message: quoted spans of the part before `, expected` hidden.
fn unquoted(message: &str) -> String {
    let (mine, expected) = match message.find(", expected") {
        Some(i) => message.split_at(i),
        None => (message, ""),
    };
    let keeps = [
        "missing field `",
        "unknown field `",
        "duplicate mapping key `",
    ];
    let mut out = String::new();
    let mut rest = mine;
    while let Some(i) = rest.find(['"', '`', '\'', '[']) {
        let open = rest[i..].chars().next().unwrap_or('"');
        let close = if open == '[' { ']' } else { open };
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(close) else {
            out.push_str("<...>");
            rest = "";
            break;
        };
        let kept = open == '`' && keeps.iter().any(|k| out.ends_with(&k[..k.len() - 1]));
        let inner = &after[..end];
        if kept
            && inner.len() <= 64
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            out.push(open);
            out.push_str(inner);
            out.push(close);
        } else {
            out.push_str("<...>");
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.push_str(&crate::term::one_line(expected));
    crate::term::one_line(&out).into_owned()
}

/// Emits a JSON value as canonical YAML: keys in go-yaml's order ([`go_yaml_less`]), lists
/// compact, ambiguous strings quoted.
///
/// The order is the one `kubectl kustomize` re-emits string maps in (labels, annotations,
/// `nodeSelector`, ConfigMap `data`: `A2` before `A10`, `A_B` before `AB`), and for every other
/// map it keeps the order of the file; so the stream, the files and kustomize's build of the
/// files list keys in one order.
///
/// A long single-line value is broken over lines where `kubectl kustomize` (go-yaml v2) breaks
/// it, past column 80 (`fold`), so the two texts agree line for line; the same string.
///
/// Written directly (`canonical`) where the result is certain, else by serde-saphyr (an
/// object of a shape the direct writer does not know, a list directly in a list: its long
/// values are not folded).
pub fn to_canonical(value: &serde_json::Value) -> Result<String, String> {
    match canonical::canonical(value, true) {
        Some(text) => Ok(text),
        None => manifests::canonical_by_saphyr(value),
    }
}

mod canonical;
mod fold;
mod lines;
mod manifests;
mod plain;
mod scalar;
#[cfg(test)]
mod tests;

pub use plain::{PathSeg, plain_values};
pub use scalar::{NotDecimal, not_decimal, resolve_plain, unfit_character};

pub use manifests::{
    YAML11_BOOLS, check_objects, from_str, go_yaml_less, is_yaml11_only_bool, plain_strings,
    read_manifests, to_string_ordered, yaml11_retypes,
};
