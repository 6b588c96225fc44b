//! "Did you mean": the one suggestion helper for unknown names (keys, profiles, environments,
//! enum values, paths). Edit distance only; no knowledge of what the names are.

use super::Diagnostic;

pub use crate::suggest::did_you_mean;

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
