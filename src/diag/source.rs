//! Where a problem is: a [`Pos`] in a [`Source`] (a layer's text and its [`Origin`]), how a
//! place is named (`file:line:col`, the `--set` flag, the profile), and how wide the token at a
//! place is. A source carries the [`Masker`] its reader hands over, so whoever shows one of its
//! lines can mask the credential values in it; this file only applies it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::safe::{Mask, redact};

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
    pub(super) fn masks(&self, line: &[char]) -> Vec<Mask> {
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

/// Width of the value (or key) written at `pos` (a related place carries only its start): a quoted
/// scalar up to its closing quote, else up to the next space, comma, bracket or comment.
pub(super) fn token_len(source: &Source, pos: Pos) -> usize {
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
