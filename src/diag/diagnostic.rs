//! [`Diagnostic`]: one problem with everything needed to find and fix it (message, config
//! path, place, label, notes, help, related places), and the builder the stages use to make
//! one, including the "did you mean" help over `crate::suggest`. Building only; rendering is
//! `render`.

use std::sync::Arc;

use super::source::{Pos, Source};
use crate::suggest::did_you_mean;

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
    /// Further problems found after this one but never built, past the most an error prints
    /// ([`super::error::SHOWN_ERRORS`]): counted in the error's total, nothing else.
    pub more: usize,
    /// The culprit is a credential's value whatever its path says (a credential refusal): the
    /// excerpt masks it from the caret to the end of its line, as for a credential's path. A
    /// value found only with the words around it in other items (`-phunter2` after `mysql` in
    /// `command`) is not masked by the line's own scan.
    pub secret: bool,
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
            more: 0,
            secret: false,
        }
    }

    /// Marks the culprit a credential's value (see [`Diagnostic::secret`]).
    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    /// Sets the config path.
    /// A segment that holds a credential (a map key such as `password=hunter2` or a token)
    /// is kept as `<redacted>` (`credentials::shown_path`): no format shows the path raw.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = crate::config::credentials::shown_path(&path.into());
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

impl Diagnostic {
    /// Adds `help(m)` if `word` is a plausible typo of one of `candidates` (`Ok`); else returns
    /// the diagnostic unchanged (`Err`) for the caller's fallback help.
    pub fn suggest<'a>(
        self,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str>,
        help: impl FnOnce(&str) -> String,
    ) -> Result<Diagnostic, Diagnostic> {
        match did_you_mean(word, candidates) {
            Some(m) => Ok(self.help(help(m))),
            None => Err(self),
        }
    }

    /// An unknown key among `names`: notes the valid keys here and suggests the closest.
    pub fn unknown_key<'a>(self, word: &str, names: impl IntoIterator<Item = &'a str>) -> Self {
        let names: Vec<&str> = names.into_iter().collect();
        self.note(format!("valid keys here: {}", names.join(", ")))
            .suggest(word, names, |m| format!("did you mean `{m}`?"))
            .unwrap_or_else(|d| d)
    }
}
