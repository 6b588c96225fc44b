//! Rendered manifests read line by line: the first and fastest of the three readers of
//! [`super::parse_manifests`], for the YAML our templates write and nothing else.
//!
//! The templates write block mappings and sequences of plain words, with every value from the
//! settings auto-escaped as JSON (a double-quoted scalar or a flow collection on one line). That
//! subset needs no YAML scanner: a line's indentation says where it belongs, a plain scalar is
//! resolved by the same rule as the event reader's ([`super::manifests::plain_value`]), and a
//! JSON value is read by serde_json, a few times faster than a YAML scanner reads the same text
//! (a JSON string and a JSON flow collection read as YAML give the same value). Anything outside
//! the subset (a block scalar, an anchor, a tag, a tab, a quoted key that is not JSON, a float, a
//! duplicate key, a plain scalar continued on the next line, an indentation YAML would refuse)
//! returns `None` and the caller reads the text with the event reader, then serde-saphyr: this
//! reader is exact or it defers, never approximate (`tests`: every rendered file of every
//! profile and example reads the same as serde-saphyr reads it).

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as J};

use super::manifests::plain_value;

/// One line with content: its indentation and its text (no indentation, no trailing spaces).
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// The documents of `text`, or `None` when anything is outside the subset (see the module docs).
pub(super) fn manifests_from_lines(text: &str) -> Option<Vec<J>> {
    let mut docs = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    if text.bytes().any(|b| b == b'\t' || b == b'\r') {
        return None;
    }
    for raw in text.split('\n') {
        let trimmed = raw.trim_end_matches(' ');
        let body = trimmed.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = trimmed.len() - body.len();
        if indent == 0
            && (body.starts_with("---") || body.starts_with("...") || body.starts_with('%'))
        {
            if body != "---" {
                return None;
            }
            document(&mut lines, &mut docs)?;
            continue;
        }
        lines.push(Line { indent, text: body });
    }
    document(&mut lines, &mut docs)?;
    Some(docs)
}

/// Reads the lines of one document (none: an empty document, skipped) into `docs`.
fn document<'a>(lines: &mut Vec<Line<'a>>, docs: &mut Vec<J>) -> Option<()> {
    if lines.is_empty() {
        return Some(());
    }
    if lines[0].indent != 0 {
        return None;
    }
    let mut r = Reader {
        lines: std::mem::take(lines),
        pos: 0,
    };
    let node = r.block(0)?;
    if r.pos != r.lines.len() {
        return None;
    }
    docs.push(node);
    Some(())
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

/// `- ` (or a lone `-`): a sequence entry.
fn is_dash(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    /// Whether the next line is deeper than `indent` (a continuation YAML would read
    /// differently, or refuse).
    fn deeper(&self, indent: usize) -> bool {
        self.peek().is_some_and(|l| l.indent > indent)
    }

    /// The block node whose first line is the current one, at `indent`.
    fn block(&mut self, indent: usize) -> Option<J> {
        if is_dash(self.peek()?.text) {
            self.seq(indent)
        } else {
            self.map(indent)
        }
    }

    fn seq(&mut self, indent: usize) -> Option<J> {
        let mut items = Vec::new();
        while let Some(line) = self
            .peek()
            .filter(|l| l.indent == indent && is_dash(l.text))
        {
            let rest = line.text.get(1..)?;
            let content = rest.trim_start_matches(' ');
            if content.is_empty() {
                return None;
            }
            // A compact node after the dash starts at the content's column.
            let column = indent + 1 + (rest.len() - content.len());
            let nested = Line {
                indent: column,
                text: content,
            };
            if is_dash(content) || key(content)?.is_some() {
                self.lines[self.pos] = nested;
                items.push(self.block(column)?);
            } else {
                items.push(inline(content)?);
                self.pos += 1;
            }
            if self.deeper(indent) {
                return None;
            }
        }
        Some(J::Array(items))
    }

    fn map(&mut self, indent: usize) -> Option<J> {
        let mut entries = Map::new();
        while let Some(line) = self
            .peek()
            .filter(|l| l.indent == indent && !is_dash(l.text))
        {
            let (name, rest) = key(line.text)??;
            if entries.contains_key(&name) {
                return None;
            }
            self.pos += 1;
            let value = if rest.is_empty() {
                match self.peek() {
                    Some(next) if next.indent > indent => self.block(next.indent)?,
                    Some(next) if next.indent == indent && is_dash(next.text) => {
                        self.seq(indent)?
                    }
                    _ => J::Null,
                }
            } else {
                inline(rest)?
            };
            if self.deeper(indent) {
                return None;
            }
            entries.insert(name, value);
        }
        Some(J::Object(entries))
    }
}

/// A mapping key at the start of `text` and what follows its `:` (`Some(None)`: not a key;
/// `None`: something this reader does not read).
fn key(text: &str) -> Option<Option<(String, &str)>> {
    if text.starts_with('"') {
        let (value, used) = json(text)?;
        let Some(after) = text[used..].strip_prefix(':') else {
            return Some(None);
        };
        if !(after.is_empty() || after.starts_with(' ')) {
            return None;
        }
        return match value {
            J::String(name) => Some(Some((name, after.trim_start_matches(' ')))),
            _ => None,
        };
    }
    let (name, rest) = match text.find(": ") {
        Some(i) => (&text[..i], text[i + 2..].trim_start_matches(' ')),
        None => match text.strip_suffix(':') {
            Some(name) => (name, ""),
            None => return Some(None),
        },
    };
    // Words only (`app.kubernetes.io/name`, `matchLabels`): anything else defers.
    let word = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
    if !word {
        return None;
    }
    match plain_value(name)? {
        J::String(name) => Some(Some((name, rest))),
        _ => None,
    }
}

/// A value written on its key's (or its dash's) line.
fn inline(text: &str) -> Option<J> {
    match text.as_bytes().first()? {
        b'"' | b'{' | b'[' => {
            let (value, used) = json(text)?;
            let rest = &text[used..];
            let comment = rest.starts_with(' ') && rest.trim_start_matches(' ').starts_with('#');
            (rest.is_empty() || comment).then_some(value)
        }
        b'|' | b'>' | b'&' | b'*' | b'!' | b'\'' | b'%' | b'@' | b'`' | b'?' | b',' | b'#'
        | b'}' | b']' => None,
        b'-' if is_dash(text) => None,
        _ => {
            let plain = match text.find(" #") {
                Some(i) => text[..i].trim_end_matches(' '),
                None => text,
            };
            if plain.contains(": ") || plain.ends_with(':') {
                return None;
            }
            plain_value(plain)
        }
    }
}

/// One JSON value at the start of `text` and the bytes it took; `None` for what YAML could read
/// differently: a float or an integer beyond `i64` (YAML's number rules are not JSON's), a
/// duplicate key (YAML refuses it), a surrogate escape.
fn json(text: &str) -> Option<(J, usize)> {
    if text.contains("\\ud") || text.contains("\\uD") {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Exact>();
    let Exact(value) = stream.next()?.ok()?;
    Some((value, stream.byte_offset()))
}

/// A JSON value that reads the same as YAML (see [`json`]).
struct Exact(J);

impl<'de> serde::Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExactVisitor).map(Exact)
    }
}

struct ExactVisitor;

impl<'de> Visitor<'de> for ExactVisitor {
    type Value = J;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value that YAML reads the same")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<J, E> {
        Ok(J::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<J, E> {
        Ok(J::from(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<J, E> {
        i64::try_from(v)
            .map(J::from)
            .map_err(|_| E::custom("beyond i64"))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<J, E> {
        Err(E::custom("a float"))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<J, E> {
        Ok(J::String(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<J, E> {
        Ok(J::String(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<J, E> {
        Ok(J::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Seed)? {
            items.push(item);
        }
        Ok(J::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut entries = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.contains_key(&key) {
                return Err(A::Error::custom("duplicate key"));
            }
            let value = map.next_value_seed(Seed)?;
            entries.insert(key, value);
        }
        Ok(J::Object(entries))
    }
}

struct Seed;

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = J;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        d.deserialize_any(ExactVisitor)
    }
}
