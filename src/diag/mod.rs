//! Diagnostics: located, explained errors, rendered the way a compiler renders them.
//!
//! Every problem agentctl reports about its inputs is a [`Diagnostic`]: what is wrong, the
//! config path, the layer and `line:column` it came from, the source line with a caret under
//! the culprit, what was expected and, where one exists, a fix ("did you mean `min`?"). Stages
//! collect all the problems they find and return them together, so one run shows them all.
//! Rendering keeps messages safe and short whatever the input: values of keys that look like
//! credentials are masked in quoted lines and `--set` flags, long lines are cut to a window
//! around the caret (measured in display columns), and long quoted values are clipped.
//!
//! Owns the one error family ([`Error`]: input diagnostics, typed [`Refusal`]s, other errors
//! with context) and its one renderer (`Display`), and the suggestion helper. Must not decide
//! what is wrong or what a credential's span is (the stages and `input::credentials` do), parse
//! YAML, or touch files: it only renders what it is given.

pub mod refusal;
mod suggest;

pub use refusal::Refusal;
pub use suggest::did_you_mean;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A position in a source text: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Where a layer comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in production defaults.
    Default,
    /// A built-in profile (`-p NAME`).
    Profile(String),
    /// An override file (`-f PATH`), as the user wrote the path.
    File(PathBuf),
    /// A `--set PATH=VALUE` flag; holds the flag's argument.
    Set(String),
    /// An inline `set:` entry of an environment in the project file.
    Project(PathBuf),
    /// A command-line argument that is not a setting (the PATH of `agentctl explain PATH`):
    /// holds the command line before it, e.g. `agentctl explain `; the source text is the
    /// argument.
    Argument(String),
}

/// Finds the spans of credential values in one line of a source, as shown (for `--set`, the
/// line `--set PATH=VALUE`). Supplied by whoever reads the source (`input::credentials`).
pub type Masker = fn(&Origin, &[char]) -> Vec<Mask>;

/// A source text and where it came from; diagnostics quote lines from it.
///
/// Which spans of a line are credentials is decided by the reader of the source, which hands
/// its [`Masker`] over with the text (see `input::credentials`); rendering only applies it, to
/// the few lines it shows.
#[derive(Debug, Clone)]
pub struct Source {
    /// Which layer.
    pub origin: Origin,
    /// Its full text (for `--set`, the flag's argument).
    pub text: Arc<str>,
    /// The credential spans of a shown line; `None`: nothing to mask.
    pub masker: Option<Masker>,
}

impl PartialEq for Source {
    fn eq(&self, other: &Self) -> bool {
        self.origin == other.origin && self.text == other.text
    }
}

impl Eq for Source {}

impl Source {
    /// A new source with nothing to mask (built-in text, a command-line argument).
    pub fn new(origin: Origin, text: impl Into<Arc<str>>) -> Arc<Source> {
        Arc::new(Source {
            origin,
            text: text.into(),
            masker: None,
        })
    }

    /// A new source whose credential values `masker` finds.
    pub fn with_masker(origin: Origin, text: impl Into<Arc<str>>, masker: Masker) -> Arc<Source> {
        Arc::new(Source {
            origin,
            text: text.into(),
            masker: Some(masker),
        })
    }

    /// The credential spans of a shown line.
    fn masks(&self, line: &[char]) -> Vec<Mask> {
        self.masker
            .map(|m| m(&self.origin, line))
            .unwrap_or_default()
    }

    /// A `--set` flag as shown: its credential value masked.
    fn shown_set(&self, arg: &str) -> String {
        let line: Vec<char> = format!("--set {arg}").chars().collect();
        let (shown, _) = redact(&line, &self.masks(&line), (0, 1));
        shown.into_iter().collect()
    }

    /// `file:line:col`, or the flag for `--set`, or the profile's file.
    pub fn locate(&self, pos: Pos) -> String {
        match &self.origin {
            Origin::Default => "default".into(),
            Origin::Profile(name) => format!("profile {name} (profiles/{name}.yaml:{pos})"),
            Origin::Set(arg) => self.shown_set(arg),
            Origin::File(path) | Origin::Project(path) => format!("{}:{pos}", path.display()),
            Origin::Argument(before) => format!("{before}{}", self.text),
        }
    }
}

/// A located label pointing at a second place (e.g. the other half of a cross-field rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    /// What is there.
    pub label: String,
    /// Which source, if any (defaults have none).
    pub source: Option<Arc<Source>>,
    /// Where in it.
    pub pos: Pos,
}

/// One problem, with everything needed to find and fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// What is wrong, in one line.
    pub message: String,
    /// Config path the problem is about (`agent.resources.limits.memory`).
    pub path: Option<String>,
    /// The source of the culprit, if it came from one.
    pub source: Option<Arc<Source>>,
    /// Where in it.
    pub pos: Pos,
    /// Width of the caret.
    pub len: usize,
    /// Label under the caret.
    pub label: Option<String>,
    /// Further facts ("expected one of: ...").
    pub notes: Vec<String>,
    /// The suggested fix.
    pub help: Option<String>,
    /// Other places involved.
    pub related: Vec<Related>,
}

impl Diagnostic {
    /// A diagnostic with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            path: None,
            source: None,
            pos: Pos::default(),
            len: 1,
            label: None,
            notes: Vec::new(),
            help: None,
            related: Vec::new(),
        }
    }

    /// Sets the config path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.path = (!path.is_empty()).then_some(path);
        self
    }

    /// Points at a place in a source.
    pub fn at(mut self, source: &Arc<Source>, pos: Pos, len: usize) -> Self {
        self.source = Some(Arc::clone(source));
        self.pos = pos;
        self.len = len.max(1);
        self
    }

    /// Points at a place if there is one.
    pub fn at_opt(self, source: Option<&Arc<Source>>, pos: Pos, len: usize) -> Self {
        match source {
            Some(s) => self.at(s, pos, len),
            None => self,
        }
    }

    /// Label under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the suggested fix.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a related place.
    pub fn related(
        mut self,
        label: impl Into<String>,
        source: Option<&Arc<Source>>,
        pos: Pos,
    ) -> Self {
        self.related.push(Related {
            label: label.into(),
            source: source.cloned(),
            pos,
        });
        self
    }
}

/// What a masked credential is shown as.
pub const REDACTED: &str = "<redacted>";

/// Widest source line shown in full; longer lines are cut to a window around the caret.
const MAX_SHOWN: usize = 100;

use crate::config::credentials::{is_credential, value_spans};

/// Whether a character must not reach a terminal as it is: control characters (C0, DEL, C1
/// such as U+0085), line and paragraph separators, and the bidirectional overrides and
/// isolates that reorder what a reader sees ("Trojan Source").
fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A text made safe to print, line by line: every value shaped like a credential masked
/// (the policy's [`value_spans`], so a value quoted in a headline, a note or an internal error
/// is masked like one in a source line) and every `unprintable` character but the line
/// breaks escaped as `\u{..}`. Everything agentctl prints on stderr goes through it.
pub fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let chars: Vec<char> = line.chars().collect();
        let (chars, _) = redact(&chars, &value_spans(&chars), (0, 1));
        for c in chars {
            if unprintable(c) {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// A span of a shown line replaced by [`REDACTED`]: (start, end) in characters, 0-based.
pub type Mask = (usize, usize);

/// The line with its credential values masked, and the caret (0-based start, width) moved to
/// match.
pub fn redact(line: &[char], masks: &[Mask], caret: (usize, usize)) -> (Vec<char>, (usize, usize)) {
    let (mut start, mut width) = caret;
    let mut shown = Vec::with_capacity(line.len());
    let mut prev = 0;
    let mut shift: isize = 0;
    for &(s, e) in masks {
        shown.extend_from_slice(&line[prev..s]);
        let new_start = (s as isize + shift) as usize;
        shown.extend(REDACTED.chars());
        if caret.0 >= s && caret.0 < e {
            start = new_start;
            width = REDACTED.len();
        } else if caret.0 >= e {
            start = (start as isize + REDACTED.len() as isize - (e - s) as isize) as usize;
        }
        shift += REDACTED.len() as isize - (e - s) as isize;
        prev = e;
    }
    shown.extend_from_slice(&line[prev..]);
    (shown, (start, width))
}

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
fn window(line: Vec<char>, caret: (usize, usize)) -> (Vec<char>, (usize, usize)) {
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

/// Width of the value (or key) written at `pos` (a related place carries only its start): a quoted
/// scalar up to its closing quote, else up to the next space, comma, bracket or comment.
pub(crate) fn token_len(source: &Source, pos: Pos) -> usize {
    let line: Vec<char> = match &source.origin {
        Origin::Set(arg) => arg.chars().collect(),
        Origin::Argument(_) => source.text.chars().collect(),
        Origin::Default => return 1,
        _ => source
            .text
            .lines()
            .nth(pos.line.saturating_sub(1))
            .unwrap_or_default()
            .chars()
            .collect(),
    };
    let rest = line.get(pos.col.saturating_sub(1)..).unwrap_or_default();
    let len = match rest.first() {
        Some(q @ ('"' | '\'')) => rest[1..]
            .iter()
            .position(|c| c == q)
            .map_or(rest.len(), |i| i + 2),
        _ => (0..rest.len())
            .position(|i| {
                matches!(rest[i], ' ' | ',' | ']' | '}' | '#')
                    || (rest[i] == ':' && rest.get(i + 1).is_none_or(|n| *n == ' '))
            })
            .unwrap_or(rest.len()),
    };
    len.max(1)
}

/// Width of the mapping key `name` written at `pos`: as written in a file (quotes included),
/// or the path segment of a `--set` flag (which may hold spaces a file key would quote).
pub(crate) fn key_len(source: &Source, pos: Pos, name: &str) -> usize {
    match source.origin {
        Origin::Set(_) => name.chars().count().max(1),
        _ => token_len(source, pos),
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
fn clip_quoted(text: &str) -> String {
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

/// Everything that ends a run with exit code 2.
#[derive(Debug)]
pub enum Error {
    /// Problems in the inputs, all of them.
    Input(Vec<Diagnostic>),
    /// Anything else (I/O, refused output), with context.
    Other(anyhow::Error),
}

/// An I/O error after the first file was replaced: some files are new, the rest old (each
/// file is whole, never torn). Exit code 4; the message lists exactly what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialWrite {
    /// What changed before the error, one line each (`updated deploy/prod/service.yaml`).
    pub done: Vec<String>,
    /// The operation that failed and why.
    pub failed: String,
    /// Files whose new content was staged but not put in place (they keep their old content).
    pub pending: Vec<String>,
}

impl fmt::Display for PartialWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; the output is partly written (every file is either old or new, none is torn)",
            self.failed
        )?;
        if self.done.is_empty() {
            f.write_str(
                "
  nothing had changed yet",
            )?;
        } else {
            f.write_str(
                "
  changed before the error:",
            )?;
            for line in &self.done {
                write!(
                    f,
                    "
    {line}"
                )?;
            }
        }
        if !self.pending.is_empty() {
            f.write_str(
                "
  not changed (still the old content):",
            )?;
            for line in &self.pending {
                write!(
                    f,
                    "
    {line}"
                )?;
            }
        }
        f.write_str(
            "
   = help: fix the cause and run the same command again: it completes the write",
        )
    }
}

impl std::error::Error for PartialWrite {}

impl Error {
    /// The exit code this error ends a run with: 4 for a write interrupted after its first
    /// change ([`PartialWrite`]), else 2. (3 is `diff --fail-on`'s, an outcome, not an error.)
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Other(e) if e.chain().any(|c| c.is::<PartialWrite>()) => 4,
            _ => 2,
        }
    }

    /// The refusal this error is, if it is one (wrapped in any context): for tests by kind.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Input(_) => None,
            Error::Other(e) => e.chain().find_map(|c| c.downcast_ref::<Refusal>()),
        }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Error::Other(anyhow::Error::new(r))
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Other(e)
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Input(vec![d])
    }
}

impl From<Vec<Diagnostic>> for Error {
    fn from(d: Vec<Diagnostic>) -> Self {
        Error::Input(d)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(diags) => {
                for (i, d) in diags.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{d}")?;
                }
                if diags.len() > 1 {
                    write!(f, "\n{} errors; nothing was written\n", diags.len())?;
                }
                Ok(())
            }
            Error::Other(e) => {
                let mut out = format!("error: {e}");
                for cause in e.chain().skip(1) {
                    out.push_str(&format!("\n  caused by: {cause}"));
                }
                out.push('\n');
                f.write_str(&safe(&out))
            }
        }
    }
}

/// Result alias for the pipeline.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
