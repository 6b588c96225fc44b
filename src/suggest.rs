//! "Did you mean": the one suggestion helper for unknown names (keys, profiles, environments,
//! enum values, paths, patch targets). Edit distance only; no knowledge of what the names are.
//! A leaf module, so every stage can use it; `Diagnostic::suggest` and `unknown_key` wrap it
//! into a diagnostic's help.

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
