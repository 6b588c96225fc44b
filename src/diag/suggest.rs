//! "Did you mean": the one suggestion helper for unknown names (keys, profiles, environments,
//! enum values, paths). Edit distance only; no knowledge of what the names are.

use super::Diagnostic;

/// The closest candidate by edit distance, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1) || (*d <= 2 && c.len() > 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
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
