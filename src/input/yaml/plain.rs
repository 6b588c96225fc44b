//! Plain (unquoted) scalars as other YAML readers type them: the path of every plain value
//! of a text (`plain_values`, for the YAML 1.1 reading of a kustomization file), and the
//! numbers Go's reader (kustomize's kyaml) takes otherwise than agentctl's YAML 1.2 reader
//! (`read_alike`, for the files `diff` reads back). Part of [`super`], the one module that
//! names the YAML crate.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::{Pos, SyntaxError, pos_of};

/// One segment of a [`plain_values`] path: a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Every plain (unquoted) scalar that is a value (not a map key) in the documents of a YAML
/// text, with its path from the document's root and its position: what a reader that
/// types plain scalars differently (YAML 1.1, Go's `strconv.ParseInt` base 0) could read as
/// something else. `Err` on a syntax error (the caller reports those its own way).
pub fn plain_values(text: &str) -> Result<Vec<(Vec<PathSeg>, String, Pos)>, String> {
    /// A collection being read, and whether entering it pushed a segment on the path.
    enum Frame {
        Seq(usize, bool),
        Map(Option<String>, bool),
    }
    /// Where the next node goes: `Some(true)` a segment was pushed for it, `Some(false)` the
    /// document's root, `None` it is a map key.
    fn enter(stack: &mut [Frame], path: &mut Vec<PathSeg>) -> Option<bool> {
        match stack.last_mut() {
            None => Some(false),
            Some(Frame::Seq(i, _)) => {
                path.push(PathSeg::Index(*i));
                *i += 1;
                Some(true)
            }
            Some(Frame::Map(pending, _)) => pending.take().map(|k| {
                path.push(PathSeg::Key(k));
                true
            }),
        }
    }
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut path: Vec<PathSeg> = Vec::new();
    let options = serde_saphyr::granit_parser::options! { emit_comments: false };
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.map_err(|e| e.info())?;
        match event {
            Event::Scalar(value, style, ..) => match enter(&mut stack, &mut path) {
                None => {
                    if let Some(Frame::Map(pending, _)) = stack.last_mut() {
                        *pending = Some(value.into_owned());
                    }
                }
                Some(pushed) => {
                    if style == ScalarStyle::Plain {
                        out.push((path.clone(), value.into_owned(), pos_of(&span)));
                    }
                    if pushed {
                        path.pop();
                    }
                }
            },
            Event::Alias(_) => match enter(&mut stack, &mut path) {
                Some(true) => {
                    path.pop();
                }
                // An alias as a map key: the next node is its value, under an unnamed key.
                None => {
                    if let Some(Frame::Map(pending, _)) = stack.last_mut() {
                        *pending = Some(String::new());
                    }
                }
                Some(false) => {}
            },
            Event::SequenceStart(..) => {
                let pushed = enter(&mut stack, &mut path) == Some(true);
                stack.push(Frame::Seq(0, pushed));
            }
            Event::MappingStart(..) => {
                let pushed = enter(&mut stack, &mut path) == Some(true);
                stack.push(Frame::Map(None, pushed));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(Frame::Seq(_, true) | Frame::Map(_, true)) = stack.pop() {
                    path.pop();
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The number Go's YAML reader (kustomize's kyaml, `strconv.ParseInt` with base 0 after
/// dropping `_`) makes of a plain scalar when YAML 1.2 (agentctl's reader) reads it otherwise:
/// a leading-zero octal (`010`: 8, agentctl 10), digit groups (`1_000`), binary (`0b11`),
/// upper-case prefixes (`0X1F`, `0O17`); `None` when both read the same.
fn kubectl_number(text: &str) -> Option<i128> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if body.is_empty() || body.starts_with('_') || !body.is_ascii() {
        return None;
    }
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let (digits, radix) = if let Some(d) = lower.strip_prefix("0x") {
        (d, 16)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (d, 8)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (d, 2)
    } else if clean.len() > 1 && clean.starts_with('0') {
        (&clean[1..], 8)
    } else {
        (clean.as_str(), 10)
    };
    let v = i128::from_str_radix(digits, radix).ok()?;
    let v = if negative { -v } else { v };
    // What YAML 1.2's core schema reads the same: lower-case `0x`/`0o` without groups, and
    // plain decimals (a leading zero with digits 8 or 9 falls back to the decimal in Go too).
    let same =
        !body.contains('_') && (body.starts_with("0x") || body.starts_with("0o") || radix == 10);
    (!same).then_some(v)
}

/// Whether every plain value of a file kustomize builds reads as agentctl reads it: a number
/// Go's YAML reader takes otherwise ([`kubectl_number`]) is the error at its position.
pub(crate) fn read_alike(text: &str) -> Result<(), SyntaxError> {
    let values = plain_values(text).unwrap_or_default();
    for (_, value, pos) in values {
        if let Some(v) = kubectl_number(&value) {
            return Err(SyntaxError {
                len: value.chars().count().max(1),
                ..super::err(
                    format!(
                        "kubectl reads `{value}` as the number {v}; agentctl's YAML 1.2 reader does not, so the comparison would show a value kubectl never applies"
                    ),
                    pos,
                    Some(&format!(
                        "write `{v}` (or quote `\"{value}\"` for the text), or run `agentctl render` again to write the file afresh"
                    )),
                )
            });
        }
    }
    Ok(())
}
