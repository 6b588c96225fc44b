//! The name half of the credential policy: which *names* (an environment variable, a ConfigMap
//! key, a path segment) hold a credential ([`is_sensitive`]), which keys hold one themselves
//! ([`key_holds_credential`]: a name with its value glued on, or a key shaped like a token), and
//! how keys and config paths are shown ([`shown_key`], [`shown_path`]). The value half (the
//! shapes of a credential's value) is the parent module's. Pure; no I/O.

use super::{looks_like_credential, value_spans};

/// Words that make a name a credential's, wherever they stand in it.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "PRIVATEKEY",
    "DSN",
    "COOKIE",
    "PASS",
    "BEARER",
    "HMAC",
    "CONNSTR",
    "CONNECTIONSTRING",
];

/// Pairs of words that together name a credential (`API_KEY`, `apiKey`, `ACCESS_KEY`, ...).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("SECRET", "KEY"),
    ("PRIVATE", "KEY"),
    ("ACCESS", "KEY"),
    ("SIGNING", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("MASTER", "KEY"),
    ("SESSION", "KEY"),
    ("AUTH", "KEY"),
    ("LICENSE", "KEY"),
    ("WEBHOOK", "URL"),
    ("CONNECTION", "STRING"),
    ("CONN", "STR"),
];

/// A word right after the credential word that makes the name a setting *about* the credential (its
/// name, where it lives, how long it lasts, how many tokens a model may use): such values are
/// shown and may sit in a ConfigMap.
const QUALIFIERS: &[&str] = &[
    "NAME",
    "NAMES",
    "REF",
    "FILE",
    "PATH",
    "DIR",
    "KEY",
    "KEYS",
    "LIMIT",
    "LIMITS",
    "COUNT",
    "BUDGET",
    "TTL",
    "TIMEOUT",
    "LENGTH",
    "LEN",
    "SIZE",
    "URL",
    "URI",
    "ENDPOINT",
    "HEADER",
    "TYPE",
    "ID",
    "ENABLED",
    "REQUIRED",
    "EXPIRY",
    "LIFETIME",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "MODE",
    "PREFIX",
    "VERSION",
    "FIELD",
    "PROVIDER",
    "STORE",
    "MOUNT",
    "ROTATION",
    "POLICY",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
    "SCOPES",
    "MIN",
    "MAX",
    "ALGORITHM",
    "ALG",
    "THROUGH",
    "PER",
];

/// Words that end in `PASS` and name no password (`BYPASS`): `DBPASS`, `SMTPPASS` do.
const NOT_PASSWORDS: &[&str] = &[
    "BYPASS",
    "COMPASS",
    "SURPASS",
    "TRESPASS",
    "OVERPASS",
    "UNDERPASS",
];

/// Words before `TOKEN` that make it a count of model tokens (`MAX_TOKENS`, `NUM_TOKEN`).
const COUNTING: &[&str] = &["MAX", "MIN", "NUM", "TOTAL", "OUTPUT", "INPUT", "CONTEXT"];

/// The words of a name, upper case: split at `_`, `-`, `.`, spaces and lower→upper case changes
/// (`apiKeyKey` → `API KEY KEY`, `MAX_OUTPUT_TOKENS` → `MAX OUTPUT TOKENS`).
pub(super) fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Words right before a plural `TOKENS` that make it model tokens (a count, a budget, the
/// tokenizer's special tokens), not credentials: `MAX_TOKENS`, `MAX_NEW_TOKENS`,
/// `THINKING_BUDGET_TOKENS`, `STOP_TOKENS`.
///
/// `TOKENS` is decided this way on purpose. In an agent's settings the plural is nearly always
/// about model tokens, but a list of credentials is named the same way (`GITHUB_TOKENS`,
/// `API_TOKENS`, `BOT_TOKENS`), and leaking one is silent while a refused ConfigMap key is
/// told (and fixed by moving it to a Secret, or renaming it). So the plural is a credential
/// unless the word before it says it counts or lists model tokens, or a qualifier follows it
/// (`TOKENS_PER_MINUTE`, `TOKENS_LIMIT`).
const MODEL_TOKENS: &[&str] = &[
    "MAX",
    "MIN",
    "NUM",
    "TOTAL",
    "OUTPUT",
    "INPUT",
    "CONTEXT",
    "BUDGET",
    "THINKING",
    "PROMPT",
    "COMPLETION",
    "REASONING",
    "NEW",
    "STOP",
    "SPECIAL",
    "CACHE",
    "CACHED",
    "RESPONSE",
    "GENERATION",
    "CHUNK",
    "RESERVED",
];

/// A word as the policy reads it: without trailing digits (`PASSWORD2`, `KEY2`: a second
/// credential is still one; `V2` → `V`).
fn bare(word: &str) -> &str {
    word.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// Whether one word (upper case, [`bare`]) is a credential word, alone (`PASSWORD`) or glued to
/// its owner's name (`PGPASSWORD`, `DBPASSWD`, `DBPASS`, `AUTHTOKEN`, `CLIENTSECRET`,
/// `SECRETKEY`; `DB_PWD`: alone, `PWD` is a directory). `prev`: the word before it.
fn credential_word(word: &str, prev: Option<&str>) -> bool {
    let counted = word == "TOKEN" && prev.is_some_and(|p| COUNTING.contains(&p));
    let glued = ["PASSWORD", "PASSWD", "SECRET", "SECRETKEY"]
        .iter()
        .any(|x| word.ends_with(x))
        || (word.ends_with("PASS") && !NOT_PASSWORDS.contains(&word))
        || (word.ends_with("TOKEN") && !COUNTING.iter().any(|c| word.starts_with(c)))
        || (word == "PWD" && prev.is_some());
    (SECRET_WORDS.contains(&word) || glued) && !counted
}

/// Whether a plural word is a credential word's plural (`PASSWORDS`, `SECRETS`, `APIKEYS`,
/// `DBPASSWORDS`; `TOKENS` unless [`MODEL_TOKENS`] says it counts model tokens). `PASSES` is
/// not one (`NUM_PASSES`): `PASS` is only a credential glued to an owner or alone.
fn credential_plural(word: &str, prev: Option<&str>) -> bool {
    let Some(stem) = word.strip_suffix('S').filter(|s| s.len() > 1) else {
        return false;
    };
    if stem.ends_with("TOKEN") && prev.is_some_and(|p| MODEL_TOKENS.contains(&p)) {
        return false;
    }
    credential_word(stem, prev)
}

/// Whether a setting name (an environment variable, a ConfigMap key, a path segment) holds a
/// credential: it contains a credential word (`PASSWORD`, `SECRET`, `TOKEN`, `API_KEY`, ...),
/// with a digit suffix or in the plural too (`PASSWORD2`, `API_KEY2`, `SECRETS`, `API_KEYS`),
/// whose next word is not a qualifier (`SECRET_NAME`, `TOKEN_LIMIT`, `apiKeyKey`) and is not a
/// count of model tokens (`MAX_TOKENS`, `MAX_OUTPUT_TOKENS`, `THINKING_BUDGET_TOKENS`: see
/// `MODEL_TOKENS`).
pub fn is_sensitive(name: &str) -> bool {
    let all = words(name);
    let w: Vec<&str> = all.iter().map(|x| bare(x)).collect();
    let mut last_match = None;
    let mut i = 0;
    while i < w.len() {
        let next = w.get(i + 1).copied().unwrap_or_default();
        let plural_key = next.strip_suffix('S') == Some("KEY");
        if i + 1 < w.len()
            && SECRET_PAIRS
                .iter()
                .any(|(a, b)| w[i] == *a && (next == *b || (plural_key && *b == "KEY")))
        {
            last_match = Some(i + 1);
            i += 2;
            continue;
        }
        let prev = i.checked_sub(1).map(|p| w[p]);
        if credential_word(w[i], prev) || credential_plural(w[i], prev) {
            last_match = Some(i);
        }
        i += 1;
    }
    match last_match {
        None => false,
        Some(m) => !w.get(m + 1).is_some_and(|q| QUALIFIERS.contains(q)),
    }
}

/// Whether a key, or the last segment of a dotted config path, names a credential (see
/// [`is_sensitive`]): its value is never shown. agentctl's own settings never hold credentials
/// (Secrets are created out of band): a field such as `ingress.tlsSecret` (a Secret's *name*)
/// is not one. A full path is checked as a path (`agent.config.extra.tlsSecret` is a user's
/// key, so a credential); a bare key (a line of a file, seen without its path) is exempt when
/// any section has a field of that name.
pub fn is_credential(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    if !is_sensitive(last) {
        return false;
    }
    if key.contains('.') {
        let path: Vec<&str> = key.split('.').collect();
        !crate::config::schema::is_property(&path)
    } else {
        !crate::config::schema::is_field_name(last)
    }
}

/// What a key that holds a credential is shown as, wherever a path or a name would show it.
pub const REDACTED_KEY: &str = "<redacted>";

/// Whether a *key* (of a map: a ConfigMap's data, an environment variable's name, a label, an
/// annotation, a `set:` path's segment) itself holds a credential, so it is never shown, in
/// any path, headline or format: it is shaped like one ([`looks_like_credential`]: a token,
/// a URL's password, `user:password@host`), or it is a credential's name with its value glued
/// on (`password=hunter2`, `--api-token=abc`, `db_password:hunter2`). A key that only *names*
/// a credential (`DB_PASSWORD`) is shown: that is where its value is.
pub fn key_holds_credential(key: &str) -> bool {
    let assigned = key.split_once(['=', ':']).is_some_and(|(name, value)| {
        let value = value.trim();
        let reference = value.starts_with("$(") || value.starts_with("${");
        // A value, not an ellipsis standing for one (`--token=…`).
        value.chars().any(char::is_alphanumeric)
            && !reference
            && is_sensitive(name.trim_start_matches('-'))
    });
    assigned || (key.len() >= 8 && looks_like_credential(key))
}

/// A key as it may be shown: itself, or [`REDACTED_KEY`] when it holds a credential
/// ([`key_holds_credential`]).
pub fn shown_key(key: &str) -> std::borrow::Cow<'_, str> {
    if key_holds_credential(key) {
        std::borrow::Cow::Borrowed(REDACTED_KEY)
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

/// A dotted config path as it may be shown: each segment that holds a credential
/// ([`key_holds_credential`]) replaced by [`REDACTED_KEY`]. A key with dots in it (a URL
/// `user:pass@db.example.com`) is judged by the segments it splits into, and the whole path
/// by the value shapes too (a JWT's three parts): what any of them finds is hidden.
pub fn shown_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('.').collect();
    let mut out: Vec<String> = segments.iter().map(|s| shown_key(s).into_owned()).collect();
    // A credential split by the dots: the shape of the whole path finds it.
    let chars: Vec<char> = path.chars().collect();
    let spans = value_spans(&chars);
    if !spans.is_empty() {
        let mut at = 0;
        for (i, s) in segments.iter().enumerate() {
            let len = s.chars().count();
            if spans.iter().any(|(a, b)| *a < at + len && *b > at) {
                out[i] = REDACTED_KEY.to_owned();
            }
            at += len + 1;
        }
    }
    out.join(".")
}
