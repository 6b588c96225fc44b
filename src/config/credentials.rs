//! What a credential is: the one policy for which keys' values are never shown. A fact about
//! names, so it lives with the contract; input applies it when it reads a source (the spans
//! to mask), and diagnostics about a credential's path mask the culprit. No I/O.

/// Setting names that suggest a credential; such values are never printed.
const SENSITIVE: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

/// Token *counts* (`MAX_TOKENS`, `TOKEN_LIMIT`, ...) are model settings, not credentials.
/// (A stopgap until the detector is held to a corpus of real setting names.)
const TOKEN_COUNTS: &[&str] = &["TOKENS", "TOKEN_LIMIT", "TOKEN_BUDGET", "TOKEN_COUNT"];

/// Whether a config path may hold a credential.
pub fn is_sensitive(path: &str) -> bool {
    let mut upper = path.to_ascii_uppercase().replace(['-', '.'], "_");
    for count in TOKEN_COUNTS {
        upper = upper.replace(count, "");
    }
    SENSITIVE.iter().any(|s| upper.contains(s))
}

/// Whether a key (or the last segment of a dotted path) may name a credential whose value must
/// never be shown. agentctl's own settings never hold credentials (Secrets are created out of
/// band), so a real field such as `secret.apiKeyKey` (a key *name*) is not one.
pub fn is_credential(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    is_sensitive(last) && !super::schema::is_field_name(last)
}
