//! The token half of the value shapes: a run of token characters that is a known token (a
//! prefix of Anthropic, OpenAI, GitHub, GitLab, Slack, Hugging Face, Google, npm; an AWS key
//! id; a JWT), wherever a word can start inside the run too (`/xoxb-…` in a URL's path,
//! `a.xoxb-…`, `_xoxb-…`: `/`, `.`, `_`, `-`, `+` and `~` are token characters, so the run
//! starts before them), or a random string after `=`, `:` or alone: base64 by its mix of
//! letters and digits, and hex, base32 and percent-encoding by the same reasoning (about 120
//! bits of randomness: 20 base64, 24 base32 or 32 hex characters), digests spared (`sha256:…`,
//! a value named `checksum`, `digest`, `commit`, ...). Pure; no I/O.

use super::{Span, token_char};

/// Known token prefixes and the least number of token characters after them.
pub(super) const PREFIXES: &[(&str, usize)] = &[
    ("sk-ant-", 16),
    ("sk-proj-", 16),
    ("sk-svcacct-", 16),
    ("sk-", 20),
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 20),
    ("glpat-", 16),
    ("xoxb-", 10),
    ("xoxp-", 10),
    ("xoxa-", 10),
    ("xoxo-", 10),
    ("xoxs-", 10),
    ("xoxr-", 10),
    ("xapp-", 10),
    ("hf_", 20),
    ("AIza", 30),
    ("npm_", 30),
];

/// AWS access key id prefixes (then 16 upper-case letters or digits).
pub(super) const AWS: &[&str] = &[
    "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA",
];

/// The fewest characters of a token [`spans`] finds (the shortest, a Slack token: `xoxb-` and
/// 10 more).
pub(super) const SHORTEST: usize = 15;

/// Shannon entropy of a string, in bits per character.
fn entropy(s: &[char]) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    for c in s {
        *counts.entry(*c).or_insert(0usize) += 1;
    }
    let n = s.len() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a token (a run of [`token_char`]s) looks random enough to be a secret: at least 20
/// characters, at least three each of upper-case letters, lower-case letters and digits, and
/// more than 4 bits of entropy per character.
/// (Hex digests, version strings, words and paths do not qualify.)
pub(super) fn high_entropy(t: &[char]) -> bool {
    let count = |f: fn(&char) -> bool| t.iter().filter(|c| f(c)).count();
    t.len() >= 20
        && count(char::is_ascii_uppercase) >= 3
        && count(char::is_ascii_lowercase) >= 3
        && count(char::is_ascii_digit) >= 3
        && !t.iter().any(|c| *c == '/' && t.len() < 40)
        && entropy(t) > 4.0
}

/// A secret written in hex (one case, at least 32 digits: 128 bits, at least four each of
/// letters and digits, more than 3 bits of entropy per character; only after `=`, `:` or
/// alone: a commit's id in a command line is no secret) or in base32 (`A`-`Z`, `2`-`7`, at
/// least 24 characters before its padding, three digits, more than 3.5 bits; after `=`, `:`,
/// alone, or 40 characters and more anywhere, as base64).
fn encoded_secret(t: &[char], after_assign: bool) -> bool {
    let t = {
        let mut n = t.len();
        while n > 0 && t[n - 1] == '=' {
            n -= 1;
        }
        &t[..n]
    };
    let digits = t.iter().filter(|c| c.is_ascii_digit()).count();
    let lower_hex = t
        .iter()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(c));
    let upper_hex = t
        .iter()
        .all(|c| c.is_ascii_digit() || ('A'..='F').contains(c));
    if lower_hex || upper_hex {
        return after_assign
            && t.len() >= 32
            && digits >= 4
            && t.len() - digits >= 4
            && entropy(t) > 3.0;
    }
    let base32 = t
        .iter()
        .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(c));
    (after_assign || t.len() >= 40) && base32 && t.len() >= 24 && digits >= 3 && entropy(t) > 3.5
}

/// Words that name a digest, not a secret, in the name a hex value is given to
/// (`checksum/config: …`, `sha256:…`, `git-commit=…`).
const DIGEST_WORDS: &[&str] = &[
    "sha",
    "md5",
    "digest",
    "checksum",
    "hash",
    "commit",
    "revision",
    "etag",
    "fingerprint",
    "integrity",
    "git",
    "blake",
    "crc",
];

/// Whether `name` names a digest (see [`DIGEST_WORDS`]), in any case.
pub(super) fn names_a_digest(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    DIGEST_WORDS.iter().any(|w| lower.contains(w))
}

/// The name right before the value at `i` of `line` (`checksum/config` in `checksum/config:
/// abc`, `sha256` in `image@sha256:abc`), after its `:` or `=`, spaces and quotes.
fn name_before(line: &[char], i: usize) -> String {
    let mut k = i;
    while k > 0 && matches!(line[k - 1], ' ' | '"' | '\'') {
        k -= 1;
    }
    if k == 0 || !matches!(line[k - 1], ':' | '=') {
        return String::new();
    }
    k -= 1;
    while k > 0 && matches!(line[k - 1], ' ' | '"' | '\'') {
        k -= 1;
    }
    let end = k;
    while k > 0 && (token_char(line[k - 1]) || line[k - 1] == '@') {
        k -= 1;
    }
    line[k..end].iter().collect()
}

/// The body of a token after `prefix` at `at` of `line`, up to `end`: its characters are
/// letters and digits, and `-` or `_` where the format has them (GitHub's classic tokens,
/// Hugging Face's, npm's and OpenAI's legacy ones have none: `hf_cache_dir` is no token).
fn body_end(line: &[char], at: usize, end: usize, prefix: &str) -> usize {
    let alnum_only = (prefix.ends_with('_') && prefix != "github_pat_") || prefix == "sk-";
    let mut k = at;
    while k < end
        && (line[k].is_ascii_alphanumeric()
            || (!alnum_only && matches!(line[k], '-' | '_'))
            || (prefix == "github_pat_" && line[k] == '_'))
    {
        k += 1;
    }
    k
}

/// A known token starting at `p` of `line`, inside a run of token characters ending at `end`,
/// where a word starts (after `/`, `.`, `_`, `-`, `+`, `~`): its span. The body must hold a
/// letter and a digit (ordinary names rarely do both past 10 characters).
fn inner_token(line: &[char], p: usize, end: usize) -> Option<Span> {
    let first = line[p];
    // The first letters of the prefixes (most words inside a run start with none).
    if !matches!(first, 's' | 'g' | 'x' | 'h' | 'A' | 'n' | 'e') {
        return None;
    }
    let rest = &line[p..end];
    let starts = |s: &str| rest.len() >= s.len() && s.chars().zip(rest).all(|(a, b)| a == *b);
    for (prefix, min) in PREFIXES {
        if !prefix.starts_with(first) || !starts(prefix) {
            continue;
        }
        let at = p + prefix.chars().count();
        let e = body_end(line, at, end, prefix);
        let body = &line[at..e];
        let mixed =
            body.iter().any(char::is_ascii_digit) && body.iter().any(char::is_ascii_alphabetic);
        return (body.len() >= *min && mixed).then_some((p, e));
    }
    if rest.len() >= 20
        && AWS.iter().any(|a| starts(a))
        && rest[..20]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && rest.get(20).is_none_or(|c| !c.is_ascii_alphanumeric())
    {
        return Some((p, p + 20));
    }
    if starts("eyJ") {
        let s: String = rest.iter().collect();
        let jwt_end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(s.len());
        if is_jwt(&s[..jwt_end]) {
            return Some((p, p + jwt_end));
        }
    }
    None
}

/// The tokens of `line` (see the module), pushed on `out`.
pub(super) fn spans(line: &[char], out: &mut Vec<Span>) {
    let mut i = 0;
    while i < line.len() {
        if !token_char(line[i]) || (i > 0 && token_char(line[i - 1])) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < line.len() && token_char(line[end]) {
            end += 1;
        }
        // A word starting inside the run: `https://h/xoxb-…`, `a.xoxb-…`, `_xoxb-…`.
        for p in i + 1..end {
            if matches!(line[p - 1], '/' | '.' | '_' | '-' | '+' | '~')
                && line[p].is_ascii_alphabetic()
                && let Some(s) = inner_token(line, p, end)
            {
                out.push(s);
            }
        }
        // Base64 padding ends a token; any other `=` separates a key from its value.
        while end < line.len()
            && line[end] == '='
            && line.get(end + 1).is_none_or(|c| !token_char(*c))
        {
            end += 1;
        }
        let t = &line[i..end];
        if t.len() < SHORTEST {
            i = end;
            continue;
        }
        let s: String = t.iter().collect();
        let known = PREFIXES
            .iter()
            .any(|(p, min)| s.starts_with(p) && s.len() >= p.len() + min)
            || (t.len() >= 20
                && AWS.iter().any(|p| s.starts_with(p))
                && t[..20]
                    .iter()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
            || is_jwt(&s);
        // After `=`, `:` or nothing, a quote between (`a: "…"`, `x='…'`).
        let before = line[..i]
            .iter()
            .rev()
            .find(|c| !matches!(**c, ' ' | '"' | '\''));
        let after_assign = matches!(before, Some('=' | ':')) || before.is_none();
        let encoded = encoded_secret(t, after_assign) && !names_a_digest(&name_before(line, i));
        if known
            || (after_assign && high_entropy(t))
            || (t.len() >= 40 && high_entropy(t))
            || encoded
        {
            out.push((i, end));
        }
        i = end;
    }
    percent(line, out);
}

/// Whether `c` is a hex digit.
fn hex(c: Option<&char>) -> Option<u8> {
    c.and_then(|c| c.to_digit(16))
        .and_then(|d| u8::try_from(d).ok())
}

/// Percent-encoded runs (`%2B`, `%3D`: a value in a URL's query or a form body) whose decoded
/// text holds a credential's shape ([`super::value_spans`], once more, over the decoded text):
/// the whole run.
fn percent(line: &[char], out: &mut Vec<Span>) {
    let stop = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>');
    let mut i = 0;
    while i < line.len() {
        if stop(line[i]) {
            i += 1;
            continue;
        }
        let s = i;
        let mut encoded = false;
        while i < line.len() && !stop(line[i]) {
            encoded |=
                line[i] == '%' && hex(line.get(i + 1)).is_some() && hex(line.get(i + 2)).is_some();
            i += 1;
        }
        if !encoded || i - s < 20 {
            continue;
        }
        let mut bytes = Vec::with_capacity(i - s);
        let mut k = s;
        while k < i {
            match (line[k], hex(line.get(k + 1)), hex(line.get(k + 2))) {
                ('%', Some(a), Some(b)) if k + 2 < i => {
                    bytes.push(a * 16 + b);
                    k += 3;
                }
                (c, _, _) => {
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    k += 1;
                }
            }
        }
        let decoded: Vec<char> = String::from_utf8_lossy(&bytes).chars().collect();
        if !super::value_spans(&decoded).is_empty() {
            out.push((s, i));
        }
    }
}

/// `header.payload.signature`, base64url, the header a JSON object (`eyJ`).
pub(super) fn is_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[0].len() >= 10
        && parts[1].len() >= 10
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Whether a known token may start at `bytes[0]` (the cheap half of [`inner_token`], for the
/// pre-filter: a word's start inside a run of token characters).
pub(super) fn starts_a_token(bytes: &[u8]) -> bool {
    let starts = |p: &[u8]| bytes.starts_with(p);
    match bytes.first() {
        Some(b's') => starts(b"sk-"),
        Some(b'g') => {
            starts(b"gh") && bytes.get(3) == Some(&b'_')
                || starts(b"github_pat_")
                || starts(b"glpat-")
        }
        Some(b'x') => starts(b"xox") || starts(b"xapp-"),
        Some(b'h') => starts(b"hf_"),
        Some(b'n') => starts(b"npm_"),
        Some(b'e') => starts(b"eyJ"),
        Some(b'A') => starts(b"AIza") || AWS.iter().any(|a| starts(a.as_bytes())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    fn masked(line: &str) -> Vec<String> {
        let chars: Vec<char> = line.chars().collect();
        super::super::value_spans(&chars)
            .into_iter()
            .map(|(s, e)| chars[s..e].iter().collect())
            .collect()
    }

    const SLACK: &str = "xoxb-123456789012-abcdefABCDEF";

    #[test]
    fn a_known_token_where_a_word_starts_inside_a_run() {
        for (line, want) in [
            (format!("/{SLACK}"), SLACK.to_owned()),
            (format!("https://h/{SLACK}"), SLACK.to_owned()),
            (
                format!("https://hooks.example.com/services/{SLACK}/x"),
                SLACK.to_owned(),
            ),
            (format!("a.{SLACK}"), SLACK.to_owned()),
            (format!("_{SLACK}"), SLACK.to_owned()),
            (format!("x-{SLACK}"), SLACK.to_owned()),
            (
                "https://api.example.com/v1/ghp_0123456789abcdefghijABCDEFGHIJ".into(),
                "ghp_0123456789abcdefghijABCDEFGHIJ".into(),
            ),
            (
                "cache/sk-ant-api03-AbCdEfGhIjKlMnOp0123".into(),
                "sk-ant-api03-AbCdEfGhIjKlMnOp0123".into(),
            ),
            (
                "s3://bucket/AKIAIOSFODNN7EXAMPLE/x".into(),
                "AKIAIOSFODNN7EXAMPLE".into(),
            ),
            (
                "ci.glpat-Ab12Cd34Ef56Gh78Ij90".into(),
                "glpat-Ab12Cd34Ef56Gh78Ij90".into(),
            ),
        ] {
            assert!(
                masked(&line).iter().any(|m| m.contains(&want)),
                "{line}: {:?}",
                masked(&line)
            );
            assert!(super::super::may_hold_one(&line), "pre-filter: {line}");
        }
        // Ordinary names with a prefix's letters inside: no token.
        for line in [
            "/var/cache/hf_cache_directory_for_models_v2",
            "my-task-sk-learn-model-cache-version-2",
            "example.com/xoxo-greetings-card-generator",
            "dir/github_pat_rotation_policy_document",
            "app.kubernetes.io/AKIAIOSFODNN7EXAMPLEANDMORE",
            "/usr/share/npm_modules_cache_directory",
        ] {
            assert!(masked(line).is_empty(), "{line}: {:?}", masked(line));
        }
    }

    #[test]
    fn hex_base32_and_percent_encoded_secrets() {
        let hex = "4f9c2a7e81b3d6059e4c1f8a2b7d3e6c";
        let hex64 = "9a1f3c7e5b2d8f4a6c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a";
        let b32 = "QNTDF4V5XLMO3RTBZJ46E7L4PESLT7DZ";
        for (line, want) in [
            (format!("SIGNING_KEY={hex}"), hex),
            (format!("key: {hex64}"), hex64),
            (hex64.to_owned(), hex64),
            (format!("otp={b32}"), b32),
            (b32.to_owned(), b32),
        ] {
            assert_eq!(masked(&line), [want], "{line}");
            assert!(super::super::may_hold_one(&line), "pre-filter: {line}");
        }
        let pct = "Zk3q9LmN2pQ7rS4tV8w%2BY1bC6dF0g%3D";
        for line in [
            format!("https://h/cb?client_secret={pct}"),
            format!("X={pct}"),
            "https://h/x?t=ghp_0123456789%41bcdefghijABCDEFGHIJ".to_owned(),
        ] {
            assert!(
                masked(&line)
                    .iter()
                    .any(|m| m.contains(pct) || m.contains("%41")),
                "{line}: {:?}",
                masked(&line)
            );
            assert!(super::super::may_hold_one(&line), "pre-filter: {line}");
        }
        // Digests, UUIDs, versions, SHAs named as such, percent-encoded prose.
        for line in [
            format!("image: busybox@sha256:{hex64}"),
            format!("digest: sha256:{hex64}"),
            format!("checksum/config: {hex64}"),
            "git-commit: 3f2a9c7d1e8b4a6f0c5d2e9b7a1f3c8d6e4b2a0f".to_owned(),
            "uid: 9f86d081-884c-7d65-9a2f-eaa0c55ad015".to_owned(),
            "resourceVersion: 123456789012345678901234567890123".to_owned(),
            "path: /search?q=hello%20world%20and%20more%20words".to_owned(),
            "NAME: ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_owned(),
            "x: deadbeefdeadbeefdeadbeefdeadbeef".to_owned(),
            "run: git checkout 3f2a9c7d1e8b4a6f0c5d2e9b7a1f3c8d6e4b2a0f".to_owned(),
        ] {
            assert!(masked(&line).is_empty(), "{line}: {:?}", masked(&line));
        }
    }
}
