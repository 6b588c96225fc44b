//! The one renderer: a [`Diagnostic`] as a compiler renders one (headline, `-->` place, the
//! quoted line with a caret, related places, notes, help), laid out by `annotate-snippets` (the
//! rustc layout; already in the tree through serde-saphyr) with display widths from
//! `unicode-width`. What this file adds is what reaches it: each quoted line is masked (the
//! source's credential values, value shapes such as tokens, and a culprit whose path is a
//! credential) and made printable *before* it is handed over, so carets line up under what is
//! shown; quoted values in messages are clipped, the values an excerpt masked are masked
//! wherever a message quotes them, and long notes are wrapped. Lines wider than the window are
//! cut around the caret by the layout itself.

use std::fmt;
use std::ops::Range;

use annotate_snippets::{
    Annotation, AnnotationKind, Group, Level, Origin as At, Renderer, Snippet,
};
use unicode_width::UnicodeWidthStr;

use super::diagnostic::Diagnostic;
use super::safe::{REDACTED, redact, safe, unprintable};
use super::source::{Origin, Pos, Source, token_len};
use crate::config::credentials::{is_credential, merge, value_spans};

/// Widest an excerpt line gets, gutter included; a longer source line is cut around the caret
/// (`...` marks a cut).
const MAX_SHOWN: usize = 100;

/// Longest `quoted` value shown in a message; a longer one (a pasted blob, a hostile file) is
/// cut, so a message stays a line however big the input.
const MAX_QUOTED: usize = 72;

/// The widest a note's text gets before it is continued on the next line (display columns).
const NOTE_WIDTH: usize = 89;

/// One source line as shown: masked, printable, and where its caret goes.
struct Excerpt {
    /// Where the line is: a file's path (the layout adds `:line:col`), none for a command-line
    /// flag or argument (the line shown is the flag itself).
    path: Option<String>,
    /// The line number, for a line of a file.
    line: Option<usize>,
    /// The line as shown.
    text: String,
    /// The caret, in bytes of `text`.
    caret: Range<usize>,
    /// The place as the layout names it (`path:line:col`, the column counted in the line as
    /// shown), and as it is (`Source::locate`: the column in the file, a profile by name).
    named: Option<(String, String)>,
}

/// The line `pos` points into, as shown, with its credential values masked. `secret`: the
/// culprit itself may be a credential (its path says so), so it is masked from the caret to the
/// end of the line whatever the line looks like (a value continued on the next line has no key
/// beside it). What was masked is added to `hidden`, for the messages.
fn excerpt(
    hidden: &mut Vec<String>,
    source: &Source,
    pos: Pos,
    len: usize,
    secret: bool,
) -> Option<Excerpt> {
    let (path, line, text, col) = match &source.origin {
        Origin::Default => return None,
        Origin::Set(arg) => (None, None, format!("--set {arg}"), pos.col + "--set ".len()),
        Origin::Argument(before) => (
            None,
            None,
            format!("{before}{}", source.text),
            pos.col + before.chars().count(),
        ),
        origin => {
            let path = match origin {
                Origin::Profile(name) => safe(&format!("profiles/{name}.yaml")),
                Origin::File(p) | Origin::Project(p) => safe(&p.display().to_string()),
                _ => return None,
            };
            let text = source.text.lines().nth(pos.line.saturating_sub(1))?;
            (Some(path), Some(pos.line), text.to_owned(), pos.col)
        }
    };
    let chars: Vec<char> = text.chars().collect();
    let caret = (col.saturating_sub(1).min(chars.len()), len.max(1));
    let mut masks = source.masks(&chars);
    masks.extend(value_spans(&chars));
    if secret && caret.0 < chars.len() {
        let from = match &source.origin {
            // The flag's value, not its path.
            Origin::Set(_) => caret
                .0
                .max(chars.iter().position(|c| *c == '=').map_or(0, |i| i + 1)),
            _ => caret.0,
        };
        masks.retain(|(_, e)| *e <= from);
        masks.push((from, chars.len()));
    }
    let masks = merge(masks);
    for (s, e) in &masks {
        let h: String = chars[*s..*e].iter().collect();
        let h = h.trim().trim_matches(['"', '\'']).to_owned();
        // A key holding a credential (`api_token=hunter2`): its value part, which a message
        // may quote rewritten (a suggested key `api_token-hunter2`), is hidden on its own too.
        if let Some((_, value)) = h.split_once(['=', ':'])
            && value.chars().count() >= 4
            && crate::config::credentials::key_holds_credential(&h)
        {
            hidden.push(value.to_owned());
        }
        hidden.push(h);
    }
    let (chars, (start, width)) = redact(&chars, &masks, caret);
    // On a line too long to show whole, a caret wider than half the window (a long quoted
    // value) is cut, so the layout centres the window on it instead of showing all of it.
    let width = if chars.len() > MAX_SHOWN {
        width.min(MAX_SHOWN / 2)
    } else {
        width
    };
    // Shown as everywhere else agentctl prints (`safe`): a character that must not reach a
    // terminal as it is, escaped as `\u{..}` (a tab as a space); the caret moves with it.
    let mut text = String::with_capacity(chars.len());
    let mut at = Vec::with_capacity(chars.len() + 1);
    for c in &chars {
        at.push(text.len());
        match c {
            '\t' => text.push(' '),
            c if unprintable(*c) => text.push_str(&format!("\\u{{{:x}}}", u32::from(*c))),
            c => text.push(*c),
        }
    }
    at.push(text.len());
    let byte = |n: usize| at[n.min(chars.len())];
    let caret = byte(start)..byte(start + width);
    text.truncate(text.trim_end().len().max(caret.end));
    let named = path.as_ref().map(|p| {
        let col = text[..caret.start].chars().count() + 1;
        (format!("{p}:{}:{col}", pos.line), source.locate(pos))
    });
    Some(Excerpt {
        path,
        line,
        text,
        caret,
        named,
    })
}

impl Excerpt {
    /// The excerpt handed to the layout, its caret labelled `label`: `primary` (`^`) for the
    /// culprit, else context (`-`).
    fn snippet<'a>(&'a self, label: Option<&'a str>, primary: bool) -> Snippet<'a, Annotation<'a>> {
        let kind = if primary {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        let snippet = Snippet::source(self.text.as_str())
            .line_start(self.line.unwrap_or(1))
            .line_numbering(self.line.is_some())
            .annotation(kind.span(self.caret.clone()).label(label));
        match &self.path {
            Some(p) => snippet.path(p.as_str()),
            None => snippet,
        }
    }
}

/// Masks, in every `` `quoted` `` span of a message, the values an excerpt masked: a quoted
/// span that is one of them, or contains one of four characters or more; outside the quotes,
/// one of eight characters or more. (What the excerpt hides, the headline, notes and help must
/// not show.)
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
            // Unquoted, a masked value of eight characters or more is still that value.
            let mut part = part.to_owned();
            for h in hidden.iter().filter(|h| h.chars().count() >= 8) {
                part = part.replace(h.as_str(), REDACTED);
            }
            out.push_str(&part);
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

/// Breaks a long note (a list of valid keys, say) into lines of at most [`NOTE_WIDTH`] display
/// columns; the layout continues each line under the note's first character.
pub(super) fn wrap_note(text: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for (i, word) in text.split(' ').enumerate() {
        let w = word.width();
        if i > 0 && width + 1 + w > NOTE_WIDTH {
            out.push('\n');
            width = 0;
        } else if i > 0 {
            out.push(' ');
            width += 1;
        }
        out.push_str(word);
        width += w;
    }
    out
}

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

/// The layout names a place by the column in the line as it is shown, which a mask before the
/// caret shifts, and by the file's path alone; each `-->`/`:::` line is renamed to the place as
/// it is (the column in the file; `profile NAME (profiles/NAME.yaml:..)`), in the order the
/// places were handed over.
fn rename<'a>(rendered: &str, mut places: impl Iterator<Item = &'a (String, String)>) -> String {
    let mut next = places.next();
    let mut out = String::with_capacity(rendered.len() + 64);
    for (i, line) in rendered.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let body = line.trim_start();
        let marker = body.get(..4).filter(|m| matches!(*m, "--> " | "::: "));
        match (marker, next) {
            (Some(marker), Some((named, real))) if body[4..] == **named => {
                out.push_str(&line[..line.len() - body.len()]);
                out.push_str(marker);
                out.push_str(real);
                next = places.next();
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// A place as handed to the layout: a quoted line, or, where there is none to show (a
/// built-in default, a flag named in full), a line that only names it.
type Place = Result<Excerpt, String>;

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every text is made printable before the layout sees it (it would draw control
        // characters as symbols); the whole is made safe again at the end.
        let text = |t: &str| safe(&clip_quoted(t));
        let mut hidden = Vec::new();
        let title = match &self.path {
            Some(p) => format!("{}: {}", clip(p, 2 * MAX_QUOTED), self.message),
            None => self.message.clone(),
        };
        let culprit: Option<Place> = self.source.as_ref().map(|s| {
            let secret = self.secret || self.path.as_deref().is_some_and(is_credential);
            excerpt(&mut hidden, s, self.pos, self.len, secret).ok_or_else(|| s.locate(self.pos))
        });
        // A related place's label goes under its caret, or, with no line shown, before the place.
        let related: Vec<(String, Place)> = self
            .related
            .iter()
            .map(|r| {
                let label = text(&clip(&r.label, 2 * MAX_QUOTED));
                let Some(s) = &r.source else {
                    return (label.clone(), Err(format!("{label}: built-in default")));
                };
                let secret = r.label.split(' ').next().is_some_and(is_credential);
                match excerpt(&mut hidden, s, r.pos, token_len(s, r.pos), secret) {
                    // A flag is named in full on the `:::` line; no need to repeat it below.
                    Some(e) if e.path.is_some() => (label, Ok(e)),
                    _ => (label.clone(), Err(format!("{label}: {}", s.locate(r.pos)))),
                }
            })
            .collect();
        let label = self.label.as_deref().map(text);
        let notes: Vec<String> = self.notes.iter().map(|n| wrap_note(&text(n))).collect();
        let help = self.help.as_deref().map(text);

        let mut group = Group::with_title(Level::ERROR.primary_title(text(&title)));
        match &culprit {
            Some(Ok(e)) => group = group.element(e.snippet(label.as_deref(), true)),
            Some(Err(place)) => group = group.element(At::path(place.as_str())),
            None => {}
        }
        for (label, place) in &related {
            group = match place {
                Ok(e) => group.element(e.snippet(Some(label), false)),
                Err(named) => group.element(At::path(named.as_str())),
            };
        }
        for n in &notes {
            group = group.element(Level::NOTE.message(n.as_str()));
        }
        if let Some(h) = &help {
            group = group.element(Level::HELP.message(h.as_str()));
        }
        let out = Renderer::plain().term_width(MAX_SHOWN).render(&[group]);
        let excerpts = culprit.iter().chain(related.iter().map(|(_, p)| p));
        let mut out = rename(
            &out,
            excerpts.filter_map(|p| p.as_ref().ok()?.named.as_ref()),
        );
        out.push('\n');
        f.write_str(&safe(&hide_quoted(&out, &hidden)))
    }
}
