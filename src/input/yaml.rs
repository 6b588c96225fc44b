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

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        return Value::Float(text.parse::<f64>().unwrap_or(f64::INFINITY));
    }
    if let Some(hex) = text.strip_prefix("0x")
        && !hex.is_empty()
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Int(i);
    }
    if let Some(oct) = text.strip_prefix("0o")
        && !oct.is_empty()
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Int(i);
    }
    let is_float = {
        let mut chars = digits.chars().peekable();
        let mut mantissa = 0;
        let mut dot = false;
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                mantissa += 1;
            } else if c == '.' && !dot {
                dot = true;
            } else {
                break;
            }
            chars.next();
        }
        let mut ok = mantissa > 0;
        if ok && matches!(chars.peek(), Some('e' | 'E')) {
            chars.next();
            if matches!(chars.peek(), Some('+' | '-')) {
                chars.next();
            }
            let mut exp = 0;
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
                exp += 1;
            }
            ok = exp > 0;
        }
        ok && chars.next().is_none()
    };
    if is_float && let Ok(f) = text.parse::<f64>() {
        return Value::Float(f);
    }
    Value::Str(text.to_owned())
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
pub fn parse_layer(text: &str) -> Result<Node, SyntaxError> {
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
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    // Anchor events carry the `&name` span, so an anchor is reported where it is written;
    // unresolved aliases come as events too, so `*name` gets the same message either way.
    let options = serde_saphyr::granit_parser::options! {
        emit_anchor_events: true,
        emit_unresolved_aliases: true,
    };
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.map_err(|e| {
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
        })?;
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
                return Err(SyntaxError {
                    len: len_of(&span),
                    ..err(
                        "YAML aliases (`*name`) are not supported",
                        pos,
                        Some(
                            "write the value out in full; agentctl layers are merged by key, so repeat only what differs",
                        ),
                    )
                });
            }
            Event::Anchor(..) => {
                return Err(SyntaxError {
                    len: len_of(&span),
                    ..err(
                        "YAML anchors (`&name`) are not supported",
                        pos,
                        Some(
                            "remove the anchor and write values out in full; agentctl layers are merged by key, so repeat only what differs",
                        ),
                    )
                });
            }
            Event::Scalar(scalar, style, _, tag) => {
                check_tag(tag.is_some(), text, pos)?;
                if stack.is_empty()
                    && style == ScalarStyle::Plain
                    && span.start.index() == span.end.index()
                {
                    // A document with no content (`---` alone): empty, like an empty file.
                    continue;
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
                let value = if style == ScalarStyle::Plain {
                    resolve_plain(&scalar)
                } else {
                    Value::Str(scalar.into_owned())
                };
                Node {
                    value,
                    pos,
                    len: len_of(&span),
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
            Some("add the settings to override (e.g. `agent: {image: registry/agent:v2}`), or drop this -f"),
        )
    })
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

/// Every plain (unquoted) scalar in a YAML text that YAML 1.2 reads as a string, with its
/// position. Used by the YAML-safety tests to prove that no string is left bare where a YAML 1.1
/// reader (Kubernetes) would retype it.
pub fn plain_strings(text: &str) -> Result<Vec<(String, Pos)>, String> {
    let mut out = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| e.info())?;
        if let Event::Scalar(value, ScalarStyle::Plain, ..) = event
            && matches!(resolve_plain(&value), Value::Str(_))
        {
            out.push((value.into_owned(), pos_of(&span)));
        }
    }
    Ok(out)
}

/// Parses a stream of rendered manifests (one or more documents) into JSON values.
///
/// Every render parses a dozen rendered files, so the common case is built straight from the
/// parser's events (about 7% of a whole-process render saved, measured);
/// anything that path is not certain to read exactly as serde-saphyr does is read by
/// serde-saphyr, which also gives the error messages.
pub fn parse_manifests(text: &str) -> Result<Vec<serde_json::Value>, String> {
    if let Some(docs) = manifests_from_events(text) {
        return Ok(docs);
    }
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_str_multiple(text).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Plain scalars whose meaning is the same in every YAML reading: `null`/`~`/empty, `true`,
/// `false`, decimal integers without a leading zero, plain decimals, and words that start with a
/// letter; `None` for anything else (`yes`, `on`, `0644`, `1_000`, `1e3`, `1:20`, ...), which a
/// YAML 1.1 reading could take for something other than a string.
fn plain_scalar(text: &str) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    match text {
        "" | "~" | "null" => return Some(J::Null),
        "true" => return Some(J::Bool(true)),
        "false" => return Some(J::Bool(false)),
        _ => {}
    }
    let lower = text.to_ascii_lowercase();
    if is_yaml11_only_bool(text)
        || matches!(
            lower.as_str(),
            "null" | "true" | "false" | "nan" | "inf" | "-inf" | "infinity" | "-infinity"
        )
    {
        return None;
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let is_int = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'));
    match frac {
        None if is_int => text.parse::<i64>().ok().map(J::from),
        Some(f) if is_int && !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(J::Number),
        _ if is_quantity(text) => Some(J::String(text.to_owned())),
        _ => match resolve_plain(text) {
            Value::Str(_)
                if text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
                    && !text.contains(':') =>
            {
                Some(J::String(text.to_owned()))
            }
            _ => None,
        },
    }
}

/// YAML 1.1's booleans (the spec's exact list): what Kubernetes' reader turns into `true` or
/// `false`. The one copy of the rule; the writer quotes them, the reader and the schema
/// check explain them, the tests check rendered files against [`yaml11_retypes`].
pub const YAML11_BOOLS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
];

/// Whether `text`, in any case, is a YAML 1.1 boolean that YAML 1.2 reads as a string (`yes`,
/// `off`, `Y`, ...).
pub fn is_yaml11_only_bool(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    YAML11_BOOLS.contains(&lower.as_str()) && !matches!(lower.as_str(), "true" | "false")
}

/// YAML 1.1 implicit typing (what Kubernetes' reader applies to plain scalars): true when a
/// plain scalar would NOT be read back as the string it is.
pub fn yaml11_retypes(s: &str) -> bool {
    if s.is_empty()
        || s == "~"
        || s == "null"
        || s == "Null"
        || s == "NULL"
        || YAML11_BOOLS.contains(&s)
    {
        return true;
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits_ = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '_');
    // ints: decimal, octal 0..., hex, binary, sexagesimal; floats incl. sexagesimal; .inf/.nan
    if digits_(body)
        || body
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == '_'))
        || body
            .strip_prefix("0b")
            .is_some_and(|b| !b.is_empty() && b.chars().all(|c| c == '0' || c == '1' || c == '_'))
    {
        return true;
    }
    if body.contains(':')
        && body.split(':').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
        })
    {
        return true;
    }
    let lower = body.to_ascii_lowercase();
    if [".inf", ".nan"].contains(&lower.as_str()) {
        return true;
    }
    if body.chars().any(|c| c.is_ascii_digit())
        && body.parse::<f64>().is_ok()
        && !body.contains(['i', 'I', 'n', 'N'])
    {
        return true;
    }
    // timestamps: YYYY-M-D...
    let b = s.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && s[5..].starts_with(|c: char| c.is_ascii_digit())
}

/// `64Mi`, `500m`, `2`: digits and a Kubernetes quantity suffix, which no YAML reading takes
/// for anything but a string (the exponent-like suffixes `e`/`E` are left out).
fn is_quantity(text: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && !text.starts_with('0')
        && matches!(
            &text[digits..],
            "m" | "k" | "M" | "G" | "T" | "P" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
        )
}

/// Rendered manifests built directly from parser events; `None` when anything is out of the
/// ordinary (a syntax error, tags, anchors, aliases, a duplicate or non-string key), so the
/// caller reads the whole text with serde-saphyr. A plain scalar [`plain_scalar`] is unsure of
/// is resolved by serde-saphyr on its own, so it reads exactly as it would in the document.
fn manifests_from_events(text: &str) -> Option<Vec<serde_json::Value>> {
    use serde_json::Value as J;
    enum Frame {
        Seq(Vec<J>),
        Map(serde_json::Map<String, J>, Option<String>),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut docs = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, _) = event.ok()?;
        let node = match event {
            Event::Scalar(t, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                if style == ScalarStyle::Plain {
                    // The unusual ones (`64Mi`, `/data`) are read by serde-saphyr, alone.
                    match plain_scalar(&t) {
                        Some(v) => v,
                        None => match serde_saphyr::from_str::<J>(&t).ok()? {
                            J::Array(_) | J::Object(_) => return None,
                            v => v,
                        },
                    }
                } else {
                    J::String(t.into_owned())
                }
            }
            Event::SequenceStart(_, anchor, tag) | Event::MappingStart(_, anchor, tag)
                if anchor != 0 || tag.is_some() =>
            {
                return None;
            }
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq(Vec::new()));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push(Frame::Map(serde_json::Map::new(), None));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items)) => J::Array(items),
                _ => return None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(entries, None)) => J::Object(entries),
                _ => return None,
            },
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(..)
            | Event::DocumentEnd => {
                continue;
            }
            _ => return None,
        };
        match stack.last_mut() {
            None if node.is_null() => {}
            None => docs.push(node),
            Some(Frame::Seq(items)) => items.push(node),
            Some(Frame::Map(entries, pending)) => match pending.take() {
                Some(key) => {
                    entries.insert(key, node);
                }
                None => match node {
                    J::String(key) if !entries.contains_key(&key) => *pending = Some(key),
                    _ => return None,
                },
            },
        }
    }
    stack.is_empty().then_some(docs)
}

/// Parses one YAML document of any shape (used for foreign inputs such as a project file).
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

/// Emits a JSON value as canonical YAML: keys sorted, lists compact, ambiguous strings quoted.
pub fn to_canonical(value: &serde_json::Value) -> Result<String, String> {
    if maps_iterate_sorted() {
        emit(value)
    } else {
        let mut sorted = value.clone();
        sorted.sort_all_objects();
        emit(&sorted)
    }
}

/// Emits a value as YAML in its own order (struct fields as declared, so the effective
/// configuration reads like the reference), formatted and quoted like [`to_canonical`].
pub fn to_string_ordered<T: serde::Serialize>(value: &T) -> Result<String, String> {
    emit(value)
}

/// The one serializer configuration: two-space indent, compact lists, long one-line strings
/// kept on one line (no `>` folding; multi-line strings use `|`), a final newline.
fn emit<T: serde::Serialize>(value: &T) -> Result<String, String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.indent_step = 2;
    options.compact_list_indent = true;
    options.folded_wrap_chars = usize::MAX / 2;
    let mut out = String::new();
    serde_saphyr::to_fmt_writer_with_options(&mut out, value, options)
        .map_err(|e| e.to_string())?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Whether serde_json's maps iterate in key order (they do unless some crate in the build
/// enables its `preserve_order` feature); then a value serializes sorted as it is, with no copy.
fn maps_iterate_sorted() -> bool {
    static SORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SORTED.get_or_init(|| {
        let mut probe = serde_json::Map::new();
        probe.insert("b".into(), serde_json::Value::Null);
        probe.insert("a".into(), serde_json::Value::Null);
        probe.keys().next().is_some_and(|k| k == "a")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_from_events_read_exactly_as_serde_saphyr_or_defer() {
        let mut taken = 0;
        for scalar in [
            "x",
            "agent-deployment",
            "10",
            "0",
            "-3",
            "1.5",
            "0.25",
            "true",
            "false",
            "null",
            "~",
            "",
            "on",
            "yes",
            "No",
            "Y",
            "012",
            "0644",
            "0x1F",
            "0o17",
            "1e3",
            ".5",
            "+1",
            "1:20",
            "2024-01-01",
            "1.5.0",
            "nan",
            "NaN",
            ".inf",
            "-.inf",
            "Infinity",
            "500m",
            "4Gi",
            "64Mi",
            "0Mi",
            "2E",
            "3e",
            "/data",
            "/a:b",
            "100Ki",
            "1_000",
            "TRUE",
            "Null",
            "99999999999999999999",
            "'q'",
            "\"d\"",
            "a b",
        ] {
            let text = format!(
                "apiVersion: v1\nkind: X\nitems: [{scalar}]\nk: {scalar}\n---\n- {scalar}\n"
            );
            let slow: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text)
                .map(|d: Vec<serde_json::Value>| d.into_iter().filter(|d| !d.is_null()).collect())
                .unwrap_or_default();
            if let Some(fast) = manifests_from_events(&text) {
                assert_eq!(fast, slow, "{scalar:?} read differently");
                taken += 1;
            }
        }
        assert!(
            taken >= 15,
            "the fast path should take the common scalars ({taken})"
        );
        // Anchors, tags, duplicate keys and syntax errors always defer.
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: 1\na: 2\n",
            "a: [1\n",
            "8080: x\n",
        ] {
            assert_eq!(manifests_from_events(text), None, "{text:?}");
        }
    }

    #[test]
    fn rendered_files_take_the_event_path_and_read_the_same() {
        let renderer = crate::render::Renderer::new(None).expect("templates compile");
        for profile in ["", "dev", "high-throughput", "low-latency"] {
            let inputs = crate::input::layers::Inputs {
                profiles: [profile]
                    .iter()
                    .filter(|p| !p.is_empty())
                    .map(|p| (*p).to_owned())
                    .collect(),
                ..Default::default()
            };
            let merged = crate::pipeline::resolve(&inputs).expect("resolves");
            for (name, text) in renderer.render(&merged.config).expect("renders") {
                let fast = manifests_from_events(&text)
                    .unwrap_or_else(|| panic!("{profile}/{name} left the event path"));
                let slow: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text)
                    .map(|d: Vec<serde_json::Value>| {
                        d.into_iter().filter(|d| !d.is_null()).collect()
                    })
                    .expect("serde-saphyr reads it");
                assert_eq!(fast, slow, "{profile}/{name}");
            }
        }
    }

    #[test]
    fn plain_scalars_follow_yaml_1_2() {
        assert_eq!(resolve_plain("on"), Value::Str("on".into()));
        assert_eq!(resolve_plain("012"), Value::Int(12));
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("1.5.0"), Value::Str("1.5.0".into()));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain("500m"), Value::Str("500m".into()));
    }

    fn error_of(text: &str) -> SyntaxError {
        match parse_layer(text) {
            Err(e) => e,
            Ok(n) => panic!("{text:?} parsed as {n:?}"),
        }
    }

    #[test]
    fn refused_constructs_are_located_at_their_token() {
        let tab = error_of("agent:\n  \tport: 1\n");
        assert_eq!((tab.pos, tab.len), (Pos { line: 2, col: 3 }, 1));
        let anchor = error_of("agent: &base\n  port: 1\n");
        assert_eq!((anchor.pos, anchor.len), (Pos { line: 1, col: 8 }, 5));
        let alias = error_of("namespace: *ns\n");
        assert_eq!((alias.pos, alias.len), (Pos { line: 1, col: 12 }, 3));
        let tag = error_of("agent:\n  port: !!int 1\n");
        assert_eq!((tag.pos, tag.len), (Pos { line: 2, col: 9 }, 5));
        let merge = error_of("agent:\n  <<: {port: 1}\n");
        assert!(merge.message.contains("merge keys"), "{}", merge.message);
        let dup = error_of("a: 1\nb: 2\na: 3\n");
        assert_eq!(dup.pos, Pos { line: 3, col: 1 });
        assert_eq!(dup.related.map(|(_, p)| p), Some(Pos { line: 1, col: 1 }));
    }

    #[test]
    fn empty_documents_and_bounds() {
        for empty in ["", "# only a comment\n", "---\n", "---\n...\n", "\n\n"] {
            assert!(error_of(empty).message.contains("empty"), "{empty:?}");
        }
        // An explicit null is a value (the schema check says the top level must be a map).
        assert_eq!(parse_layer("~\n").map(|n| n.value), Ok(Value::Null));
        let deep = format!(
            "a: {}{}\n",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(error_of(&deep).message.contains("nesting"));
        let many = format!("a: [{}]\n", vec!["1"; MAX_ENTRIES + 1].join(","));
        assert!(error_of(&many).message.contains("entries"));
        let ok = format!("a: [{}]\n", vec!["1"; MAX_ENTRIES].join(","));
        assert!(parse_layer(&ok).is_ok());
    }

    #[test]
    fn ambiguous_strings_are_quoted_on_output() {
        for s in [
            "on",
            "no",
            "y",
            "012",
            "2024-01-01",
            "1:20",
            "~",
            " lead",
            "true",
            "1e3",
        ] {
            let yaml = to_canonical(&serde_json::json!({ "k": s })).unwrap_or_default();
            assert_ne!(yaml.trim(), format!("k: {s}"), "{s} was emitted bare");
        }
    }
}
