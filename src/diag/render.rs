//! The one renderer: a [`Diagnostic`] as a compiler renders one (headline, `-->` place, the
//! quoted line with a caret, related places, notes, help). Keeps every message safe and short
//! whatever the input: credential values masked in quoted lines, `--set` flags and wherever a
//! message quotes what an excerpt masked; long lines cut to a window around the caret
//! (measured in display columns); long quoted values clipped; long notes wrapped.

use std::fmt;

use super::diagnostic::Diagnostic;
use super::safe::{REDACTED, redact, safe, unprintable};
use super::source::{Origin, Pos, Source, token_len};
use crate::config::credentials::is_credential;

/// Widest source line shown in full; longer lines are cut to a window around the caret.
pub(super) const MAX_SHOWN: usize = 100;

/// Terminal columns a character takes: 2 for East Asian wide and fullwidth characters and
/// emoji, else 1 (control characters are shown as a space).
fn width(c: char) -> usize {
    let wide = matches!(u32::from(c),
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F6FF
        | 0x1F900..=0x1FAFF
        | 0x20000..=0x2FFFD
        | 0x30000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// Cuts a long line to a window around the caret, marking the cuts with `…`.
pub(super) fn window(line: Vec<char>, caret: (usize, usize)) -> (Vec<char>, (usize, usize)) {
    if line.len() <= MAX_SHOWN {
        return (line, caret);
    }
    let (start, width) = caret;
    let width = width.min(MAX_SHOWN / 2);
    let from = start
        .saturating_sub(MAX_SHOWN / 3)
        .min(line.len().saturating_sub(MAX_SHOWN));
    let to = (from + MAX_SHOWN).min(line.len());
    let mut shown = Vec::with_capacity(MAX_SHOWN + 2);
    let mut caret_start = start - from;
    if from > 0 {
        shown.push('…');
        caret_start += 1;
    }
    shown.extend_from_slice(&line[from..to]);
    if to < line.len() {
        shown.push('…');
    }
    (shown, (caret_start, width))
}

/// One quoted source line with a caret. `secret`: the culprit itself may be a credential (its
/// path says so), so it is masked from the caret to the end of the line whatever the line looks
/// like (a value continued on the next line has no key beside it).
fn snippet(
    out: &mut String,
    hidden: &mut Vec<String>,
    source: &Source,
    pos: Pos,
    len: usize,
    label: Option<&str>,
    secret: bool,
) {
    let line_text = match &source.origin {
        Origin::Set(arg) => Some(format!("--set {arg}")),
        Origin::Argument(before) => Some(format!("{before}{}", source.text)),
        Origin::Default => None,
        _ => source
            .text
            .lines()
            .nth(pos.line.saturating_sub(1))
            .map(str::to_owned),
    };
    let Some(line_text) = line_text else { return };
    let (line_no, col) = match &source.origin {
        Origin::Set(_) => (String::new(), pos.col + "--set ".len()),
        Origin::Argument(before) => (String::new(), pos.col + before.chars().count()),
        _ => (pos.line.to_string(), pos.col),
    };
    let gutter = " ".repeat(line_no.len().max(1));
    let chars: Vec<char> = line_text.chars().collect();
    let caret = (col.saturating_sub(1).min(chars.len()), len.max(1));
    let mut masked = source.masks(&chars);
    if secret && caret.0 < chars.len() {
        let from = match &source.origin {
            // The flag's value, not its path.
            Origin::Set(_) => caret
                .0
                .max(chars.iter().position(|c| *c == '=').map_or(0, |i| i + 1)),
            _ => caret.0,
        };
        masked.retain(|(_, e)| *e <= from);
        masked.push((from, chars.len()));
    }
    masked = crate::config::credentials::merge(masked);
    hidden.extend(masked.iter().map(|(s, e)| {
        let h: String = chars[*s..*e].iter().collect();
        h.trim().trim_matches(['"', '\'']).to_owned()
    }));
    let (chars, caret) = redact(&chars, &masked, caret);
    let (chars, (caret_start, caret_width)) = window(chars, caret);
    let shown: String = chars
        .iter()
        .map(|c| if unprintable(*c) { ' ' } else { *c })
        .collect();
    out.push_str(&format!(
        "{gutter} |\n{line_no:>w$} | {}\n",
        shown.trim_end(),
        w = gutter.len()
    ));
    // Pad and underline by display width, so carets line up under wide (CJK, emoji) text.
    let columns = |cs: &[char]| cs.iter().map(|c| width(*c)).sum::<usize>();
    let start = caret_start.min(chars.len());
    let end = (caret_start + caret_width).min(chars.len());
    let pad = " ".repeat(columns(&chars[..start]));
    let carets = "^".repeat(columns(&chars[start..end]).max(1));
    match label {
        Some(l) => out.push_str(&format!("{gutter} | {pad}{carets} {l}\n")),
        None => out.push_str(&format!("{gutter} | {pad}{carets}\n")),
    }
}

/// Longest `quoted` value shown in a message; a longer one (a pasted blob, a hostile file) is
/// cut, so a message stays a line however big the input.
const MAX_QUOTED: usize = 72;

/// Masks, in every `` `quoted` `` span of a message, the values an excerpt masked: a quoted
/// span that is one of them, or contains one of four characters or more. (What the excerpt
/// hides, the headline, notes and help must not show.)
fn hide_quoted(text: &str, hidden: &[String]) -> String {
    if hidden.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            let mut part = part.to_owned();
            for h in hidden {
                let clipped = part.strip_suffix('…').filter(|p| p.chars().count() >= 4);
                if part == *h || clipped.is_some_and(|p| h.starts_with(p)) {
                    part = REDACTED.to_owned();
                } else if h.chars().count() >= 4 {
                    part = part.replace(h.as_str(), REDACTED);
                }
            }
            out.push_str(&part);
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Cuts every `` `quoted` `` span of a message longer than [`MAX_QUOTED`] characters.
pub(super) fn clip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1024));
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd parts are inside backticks.
        if i % 2 == 1 && part.chars().count() > MAX_QUOTED {
            out.extend(part.chars().take(MAX_QUOTED));
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Breaks a long note (a list of valid keys, say) into lines of at most [`NOTE_WIDTH`]
/// columns, continued under its first character, so no message line runs off a terminal.
fn wrap_note(text: &str) -> String {
    const INDENT: &str = "           "; // the width of "   = note: "
    let mut out = String::new();
    let mut width = INDENT.len();
    for (i, word) in text.split(' ').enumerate() {
        let w = word.chars().count();
        if i > 0 && width + 1 + w > NOTE_WIDTH {
            out.push('\n');
            out.push_str(INDENT);
            width = INDENT.len();
        } else if i > 0 {
            out.push(' ');
            width += 1;
        }
        out.push_str(word);
        width += w;
    }
    out
}

/// The widest a note line gets (see [`wrap_note`]).
const NOTE_WIDTH: usize = 100;

/// Cuts a text to `max` characters.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    } else {
        text.to_owned()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let mut hidden = Vec::new();
        let message = clip_quoted(&self.message);
        match &self.path {
            Some(p) => out.push_str(&format!("error: {}: {message}\n", clip(p, 2 * MAX_QUOTED))),
            None => out.push_str(&format!("error: {message}\n")),
        }
        if let Some(source) = &self.source {
            out.push_str(&format!("  --> {}\n", source.locate(self.pos)));
            let secret = self.path.as_deref().is_some_and(is_credential);
            snippet(
                &mut out,
                &mut hidden,
                source,
                self.pos,
                self.len,
                self.label.as_deref(),
                secret,
            );
        }
        for r in &self.related {
            match &r.source {
                Some(s) => {
                    out.push_str(&format!(
                        "  ::: {}: {}\n",
                        clip(&r.label, 2 * MAX_QUOTED),
                        s.locate(r.pos)
                    ));
                    let secret = r.label.split(' ').next().is_some_and(is_credential);
                    snippet(
                        &mut out,
                        &mut hidden,
                        s,
                        r.pos,
                        token_len(s, r.pos),
                        None,
                        secret,
                    );
                }
                None => out.push_str(&format!(
                    "  ::: {}: built-in default\n",
                    clip(&r.label, 2 * MAX_QUOTED)
                )),
            }
        }
        for n in &self.notes {
            out.push_str(&format!("   = note: {}\n", wrap_note(&clip_quoted(n))));
        }
        if let Some(h) = &self.help {
            out.push_str(&format!("   = help: {}\n", clip_quoted(h)));
        }
        f.write_str(&safe(&hide_quoted(&out, &hidden)))
    }
}
