//! Canonical YAML written directly: the fast path of [`super::to_canonical`], for the shapes
//! and scalars whose serde-saphyr form is certain, byte for byte.
//!
//! Every rendered object is emitted once per render, and serde-saphyr's serializer, general
//! and careful, was a fifth of a whole-process render. The layout of a Kubernetes object is
//! simple (block maps, compact lists, two-space indent, `{}`/`[]` for empty collections), and
//! most of its scalars are words that need no quotes; those are written here. A scalar that is
//! not certainly plain (quotes, a multi-line block, a float) is written by serde-saphyr itself,
//! alone, and placed (a block scalar's body moved to its column); a shape this writer does not
//! know (a list directly in a list, an empty collection as a list item, a key serde-saphyr does
//! not write on one line) returns `None`, and the caller emits the whole object with
//! serde-saphyr. `tests`: every object of every profile and example, and odd keys and values at
//! every depth, come out identical to serde-saphyr's.

use serde_json::Value as J;

use super::manifests::{emit, go_yaml_sorted};

/// `value` (a non-empty map: an object) as canonical YAML, or `None` (see the module docs).
/// `fold`: long single-line values broken as kubectl kustomize breaks them ([`super::fold`]);
/// without it, the text is serde-saphyr's byte for byte.
pub(super) fn canonical(value: &J, fold: bool) -> Option<String> {
    let J::Object(m) = value else { return None };
    if m.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(1024);
    map(&mut out, m, 0, false, fold)?;
    Some(out)
}

fn indent(out: &mut String, column: usize) {
    out.extend(std::iter::repeat_n(' ', column));
}

/// The entries of `m` at `column`; `inline`: the first one follows a list's `- `.
fn map(
    out: &mut String,
    m: &serde_json::Map<String, J>,
    column: usize,
    inline: bool,
    fold: bool,
) -> Option<()> {
    for (i, k) in go_yaml_sorted(m.keys().map(String::as_str).collect())
        .into_iter()
        .enumerate()
    {
        if i > 0 || !inline {
            indent(out, column);
        }
        key(out, k)?;
        out.push(':');
        let v = &m[k];
        match v {
            J::Object(inner) if inner.is_empty() => out.push_str(" {}\n"),
            J::Object(inner) => {
                out.push('\n');
                map(out, inner, column + 2, false, fold)?;
            }
            J::Array(items) if items.is_empty() => out.push_str(" []\n"),
            J::Array(items) => {
                out.push('\n');
                seq(out, items, column, fold)?;
            }
            scalar => {
                out.push(' ');
                value(out, scalar, column, Place::MapValue, fold)?;
            }
        }
    }
    Some(())
}

/// The items of `items`, their dashes at `column` (lists are compact: a list value's dashes
/// are at its key's column).
fn seq(out: &mut String, items: &[J], column: usize, fold: bool) -> Option<()> {
    for item in items {
        indent(out, column);
        out.push_str("- ");
        match item {
            J::Object(m) if !m.is_empty() => map(out, m, column + 2, true, fold)?,
            J::Object(_) | J::Array(_) => return None,
            scalar => value(out, scalar, column, Place::SeqItem, fold)?,
        }
    }
    Some(())
}

/// Where a scalar is written: after `key: `, or after `- `.
#[derive(Clone, Copy)]
enum Place {
    MapValue,
    SeqItem,
}

/// A scalar and its line end; a block scalar's body indented past `column` (its key's or its
/// dash's); with `fold`, a long value broken as go-yaml breaks it, its continuation lines at
/// `column + 2`.
fn value(out: &mut String, v: &J, column: usize, place: Place, fold: bool) -> Option<()> {
    if fold
        && let J::String(s) = v
        && let Some(text) = super::fold::folded(s, line_column(out), column + 2)
    {
        out.push_str(&text);
        out.push('\n');
        return Some(());
    }
    match v {
        J::Null => out.push_str("null\n"),
        J::Bool(true) => out.push_str("true\n"),
        J::Bool(false) => out.push_str("false\n"),
        J::Number(n) if n.is_i64() || n.is_u64() => {
            out.push_str(&n.to_string());
            out.push('\n');
        }
        J::String(s) if plain_value(s) => {
            out.push_str(s);
            out.push('\n');
        }
        // go-yaml quotes every base-60 form (`0:0` too, which serde-saphyr leaves plain): the
        // stream must be what `kubectl kustomize` writes. Digits, `_`, `:`, `.`, a sign: no escape.
        J::String(s) if go_base60(s) => {
            out.push('"');
            out.push_str(s);
            out.push_str("\"\n");
        }
        J::String(s) if literal_block(out, s, column) => {}
        _ => {
            // serde-saphyr writes it, as the value of a one-entry map or a one-item list at
            // column 0; its lines after the first (a block scalar's body) move to `column`.
            let (alone, prefix) = match place {
                Place::MapValue => (emit(&serde_json::json!({ "k": v })).ok()?, "k: "),
                Place::SeqItem => (emit(&serde_json::json!([v])).ok()?, "- "),
            };
            let text = alone.strip_prefix(prefix)?;
            let mut lines = text.split_inclusive('\n');
            out.push_str(lines.next()?);
            for line in lines {
                if line != "\n" {
                    indent(out, column);
                }
                out.push_str(line);
            }
        }
    }
    Some(())
}

/// A multi-line string serde-saphyr certainly writes as a literal block scalar (`|`), written
/// here as it writes it: printable ASCII lines, the first line with content not indented (else
/// it adds an indentation indicator), something besides the line breaks. The header's chomping
/// indicator says how many line breaks end it (none: `|-`, one: `|`, more: `|+` and an empty
/// line per extra break); each line with content at `column + 2`, empty lines empty. Whether it
/// wrote it (else serde-saphyr does). The alerts' descriptions and the dashboard's JSON (tens
/// of kilobytes) are such strings: serde-saphyr looked at them character by character.
fn literal_block(out: &mut String, s: &str, column: usize) -> bool {
    let content = s.trim_end_matches('\n');
    if !content.contains('\n') && content.len() == s.len()
        || content.is_empty()
        || !s.bytes().all(|b| b == b'\n' || (0x20..0x7f).contains(&b))
        || content
            .split('\n')
            .find(|l| !l.is_empty())
            .is_some_and(|l| l.starts_with(' '))
    {
        return false;
    }
    let breaks = s.len() - content.len();
    out.push_str(match breaks {
        0 => "|-\n",
        1 => "|\n",
        _ => "|+\n",
    });
    for line in content.split('\n') {
        if !line.is_empty() {
            indent(out, column + 2);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..breaks {
        out.push('\n');
    }
    true
}

/// The column the next character of `out` is written at, in characters as go-yaml counts.
fn line_column(out: &str) -> usize {
    let start = out.rfind('\n').map_or(0, |i| i + 1);
    out[start..].chars().count()
}

/// A mapping key: a word as it is, anything else as serde-saphyr writes it (on one line, or
/// `None`).
fn key(out: &mut String, k: &str) -> Option<()> {
    if plain_key(k) {
        out.push_str(k);
        return Some(());
    }
    let mut one = serde_json::Map::new();
    one.insert(k.to_owned(), J::Null);
    let alone = emit(&J::Object(one)).ok()?;
    let written = alone.strip_suffix(": null\n")?;
    if written.contains('\n') || written.starts_with('?') {
        return None;
    }
    out.push_str(written);
    Some(())
}

/// Words any YAML reader could take for something else (case-insensitive): serde-saphyr
/// quotes them (YAML 1.1 booleans, null, the float words).
const SPECIAL_WORDS: &[&str] = &[
    "null", "true", "false", "y", "n", "yes", "no", "on", "off", "nan", "inf",
];

/// A string serde-saphyr certainly writes plain as a value: printable ASCII starting with a
/// letter or `/`, no `: `, no ` #`, no trailing `:` or space, not a special word. Anything else
/// goes to serde-saphyr (which may still write it plain).
fn plain_value(s: &str) -> bool {
    let b = s.as_bytes();
    // One pass over the bytes: printable ASCII, and no space after a `:` or before a `#`.
    let clean = |(i, &c): (usize, &u8)| {
        (0x20..0x7f).contains(&c)
            && (c != b' ' || !(i > 0 && b[i - 1] == b':' || b.get(i + 1) == Some(&b'#')))
    };
    matches!(b.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'/')
        && !matches!(b.last(), Some(b' ' | b':'))
        && b.iter().enumerate().all(clean)
        && !(b.len() <= 5 && SPECIAL_WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)))
}

/// go-yaml's base-60 float, which its encoder always quotes:
/// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`.
fn go_base60(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut parts = main.split(':');
    let first = parts.next().unwrap_or_default();
    let sixty = |p: &str| {
        let b = p.as_bytes();
        match b {
            [d] => d.is_ascii_digit(),
            [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
            _ => false,
        }
    };
    let rest: Vec<&str> = parts.collect();
    first.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && first.bytes().all(|c| c.is_ascii_digit() || c == b'_')
        && !rest.is_empty()
        && rest.iter().all(|p| sixty(p))
        && frac.bytes().all(|c| c.is_ascii_digit() || c == b'_')
}

/// A key serde-saphyr certainly writes plain: a [`plain_value`] of word characters only
/// (`app.kubernetes.io/name`, `LOG_LEVEL`).
fn plain_key(k: &str) -> bool {
    plain_value(k)
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
}
