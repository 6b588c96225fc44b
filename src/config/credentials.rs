//! What a credential is: the one policy for which values are never shown. Two facts, both pure:
//! a *name* that holds a credential ([`is_sensitive`], held to the corpus of real agent setting
//! names in `tests/corpus/setting-names.txt`), and a *value* that looks like one whatever its
//! key ([`value_spans`]: Anthropic, OpenAI, GitHub, AWS, Slack tokens, JWTs, PEM private keys,
//! passwords in URLs, high-entropy strings after `=` or `:`). Input applies both when it reads
//! a source (the spans to mask in a shown line); diagnostics apply the value shapes to every
//! line they print, so a value quoted in a headline or an internal error is masked too. No I/O.

mod lines;
mod names;
mod objects;
mod shapes;
mod tokens;

pub use names::{
    REDACTED_KEY, is_credential, is_sensitive, key_holds_credential, shown_key, shown_path,
};
pub use objects::{Hit, Redactor, Why, in_object, redact_keys};
pub use shapes::encoded_spans;

/// A span of a line, (start, end) in characters, 0-based, end exclusive.
pub type Span = (usize, usize);

/// Characters of a token (base64, base64url, hex, the separators tokens use).
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/' | '.' | '~')
}

/// The spans of `line` whose *value* looks like a credential, whatever key it has: the token
/// formats of Anthropic, OpenAI, GitHub, GitLab, AWS, Slack, Hugging Face, Google and npm,
/// JWTs, a PEM private key (from its `BEGIN` line to the end of the line, and a bare base64
/// body line), the password of a `scheme://user:password@host` URL, and a high-entropy token
/// after `=`, `: ` or alone on a line.
pub fn value_spans(line: &[char]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let text: String = line.iter().collect();
    if let Some(b) = text.find("-----BEGIN ")
        && text[b..].contains("PRIVATE KEY")
    {
        let start = text[..b].chars().count();
        out.push((start, line.len()));
    }
    // URL passwords: `://user:password@`.
    let mut from = 0;
    while let Some(k) = text[from..].find("://") {
        let s = from + k + 3;
        let rest = &text[s..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '"' | '\'' | ',' | '}' | ']'))
            .unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@')
            && let Some(colon) = rest[..at].find(':')
            // `$(GITHUB_TOKEN)`: the kubelet's expansion of an environment variable (one
            // from a Secret), as `${GITHUB_TOKEN}` is the shell's: a reference, no value.
            && !is_env_reference(&rest[colon + 1..at])
        {
            let a = text[..s + colon + 1].chars().count();
            let b = text[..s + at].chars().count();
            if b > a {
                out.push((a, b));
            }
        }
        from = s;
    }
    // The same without a scheme: `user:password@host[:port][/db]`.
    out.extend(bare_userinfo(&text));
    // A credential's name given a value inside the string, a config line's key.
    out.extend(lines::named_values(line));
    lines::config_line(line, &mut out);
    // Embedded netrc, XML, command flags, HTTP and docker credentials.
    out.extend(shapes::spans(line, &text));
    // Tokens, and random strings in base64, hex, base32 or percent-encoding.
    tokens::spans(line, &mut out);
    merge(out)
}

/// A whole `$(NAME)` or `${NAME}`: a reference to an environment variable (the kubelet
/// expands `$(NAME)` in `command`, `args` and `env` values), never a credential's value.
fn is_env_reference(s: &str) -> bool {
    let inner = s
        .strip_prefix("$(")
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| s.strip_prefix("${").and_then(|r| r.strip_suffix('}')));
    inner.is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    })
}

/// The passwords of `user:password@host` written without a scheme (`app:hunter2@db:5432/app`,
/// a `DATABASE_URL` some clients accept): the span between the userinfo's first `:` and the
/// `@`, in characters. Not a password: an e-mail address (`a@b`, no `:` before the `@`), an
/// image digest (`agent:1.2@sha256:...`, `image@sha256:...`), a `host:port` (no `@`), a path
/// segment (`/repo:tag@...`: after a `/`), a `mailto:` address (`mailto:user@example.com`,
/// `mailto:a:b@x`: what follows the scheme is an e-mail address's local part), and what the
/// `://` scan already found.
fn bare_userinfo(text: &str) -> Vec<Span> {
    let stop = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\''
                    | '`'
                    | '/'
                    | ','
                    | '='
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '<'
                    | '>'
                    | ';'
                    | '|'
                    | '@'
            )
    };
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at].rfind(stop).map_or(0, |i| i + 1);
        let head = &text[..start];
        // After a `/`: a path (an image's repository) or `scheme://` (the URL scan's).
        if head.ends_with('/') && (!head.ends_with("//") || head.ends_with("://")) {
            continue;
        }
        let Some(colon) = text[start..at].find(':') else {
            continue;
        };
        if text[start..start + colon].eq_ignore_ascii_case("mailto") {
            continue;
        }
        let host = &text[at + 1..];
        let digest = ["sha256:", "sha384:", "sha512:"]
            .iter()
            .any(|d| host.starts_with(d));
        let hosty = host
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '[');
        if colon == 0 || start + colon + 1 == at || digest || !hosty {
            continue;
        }
        let a = text[..start + colon + 1].chars().count();
        let b = text[..at].chars().count();
        out.push((a, b));
    }
    out
}

use tokens::SHORTEST;

/// Whether a whole value looks like a credential by its shape (see [`value_spans`]).
pub fn looks_like_credential(value: &str) -> bool {
    value
        .lines()
        .filter(|l| may_hold_one(l))
        .any(|l| !value_spans(&l.chars().collect::<Vec<_>>()).is_empty())
}

/// Whether a line could hold a credential's shape at all, cheaply, without allocating: a run
/// of at least [`SHORTEST`] token characters that starts like a known token (a prefix, an AWS
/// key id, a JWT's `eyJ`), here or where a word starts inside it (after `/`, `.`, `_`, ...),
/// mixes upper- and lower-case letters and digits (a random string), or is long hex or base32
/// (not after `sha…:`), a percent-encoded line of 20 bytes or more, a URL with a user (`://`
/// and `@`), or a PEM private key. Most strings of an object
/// are none of these, and the policy runs over every string of every final object.
fn may_hold_one(line: &str) -> bool {
    // Shorter than `a://b:c@`: nothing (most keys and values of an object).
    if line.len() < 8 {
        return false;
    }
    if has(line.as_bytes(), b"PRIVATE KEY")
        || line.rfind('@').is_some_and(|at| line[..at].contains(':'))
    {
        return true;
    }
    // A credential's name given a value (`password=x`, `"token": "x"`, `--token x`).
    if assigns_a_credential_name(line.as_bytes()) {
        return true;
    }
    if line.len() < SHORTEST {
        return false;
    }
    let bytes = line.as_bytes();
    let token =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/' | b'.' | b'~');
    let hex = |b: Option<&u8>| b.is_some_and(u8::is_ascii_hexdigit);
    let mut percent = false;
    let mut i = 0;
    while i < bytes.len() {
        if !token(bytes[i]) {
            percent |= bytes[i] == b'%' && hex(bytes.get(i + 1)) && hex(bytes.get(i + 2));
            i += 1;
            continue;
        }
        let start = i;
        let (mut upper, mut lower, mut digit) = (0, 0, 0);
        while i < bytes.len() && token(bytes[i]) {
            upper += usize::from(bytes[i].is_ascii_uppercase());
            lower += usize::from(bytes[i].is_ascii_lowercase());
            digit += usize::from(bytes[i].is_ascii_digit());
            i += 1;
        }
        if i - start < SHORTEST {
            continue;
        }
        let run = &bytes[start..i];
        if tokens::starts_a_token(run) || (upper >= 3 && lower >= 3 && digit >= 3) {
            return true;
        }
        // A word starting inside the run (`https://h/xoxb-…`, `a.xoxb-…`).
        if (1..run.len()).any(|k| {
            matches!(run[k - 1], b'/' | b'.' | b'_' | b'-' | b'+' | b'~')
                && tokens::starts_a_token(&run[k..])
        }) {
            return true;
        }
        // Hex (one case, not a digest's `sha256:…`) and base32, long enough for a key.
        let n = run.len();
        let letters = upper + lower;
        let hex_run = n >= 32
            && digit >= 4
            && letters >= 4
            && (upper == 0 || lower == 0)
            && run.iter().all(u8::is_ascii_hexdigit)
            && !has(&bytes[start.saturating_sub(8)..start], b"sha")
            && !has(&bytes[start.saturating_sub(8)..start], b"md5");
        let base32_run = n >= 24
            && digit >= 3
            && lower == 0
            && digit + upper == n
            && run.iter().all(|b| !matches!(b, b'0' | b'1' | b'8' | b'9'));
        if hex_run || base32_run {
            return true;
        }
    }
    // Percent-encoding: the decoded text is looked at closer.
    percent && line.len() >= 20
}

/// Whether `needle` is in `hay`: each place of its first byte, then the rest compared. For the
/// short strings of an object (`str::contains` sets up a searcher on every call, which cost
/// more than the scan).
fn has(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(p) = hay[from..].iter().position(|&b| b == first) {
        let after = from + p + 1;
        if hay[after..].starts_with(rest) {
            return true;
        }
        from = after;
    }
    false
}

/// Whether a word holding a credential word's stem ([`names_a_credential`]) stands where
/// `lines::named_values` looks for a name given a value: right before an `=` or a `:` (after an
/// optional closing quote and spaces), or as a `--flag` followed by a space. The words of a
/// line are tested, not the line: a dashboard's `"expr": "rate(agent_tokens_total[5m])"` names
/// tokens but gives them no value, and costs no closer look (issue 26's lint budget). Each word
/// is also offered to [`shapes::word_hints`] (the words that start a shape of `shapes`).
fn assigns_a_credential_name(line: &[u8]) -> bool {
    let name_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    // A keyword starting the line (`set password x`, `config set …`, `ENV PASSWORD x`).
    let lead = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'-'))
        .unwrap_or(line.len());
    if matches!(
        line.get(lead),
        Some(b's' | b'S' | b'c' | b'C' | b'e' | b'E')
    ) && [&b"set "[..], b"config ", b"env "].iter().any(|k| {
        line.get(lead..lead + k.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(k))
    }) {
        return true;
    }
    let mut i = 0;
    while i < line.len() {
        if !name_byte(line[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < line.len() && name_byte(line[i]) {
            i += 1;
        }
        let word = &line[start..i];
        let before = start.checked_sub(1).map(|p| line[p]);
        if shapes::word_hints(word, before, line.get(i).copied()) {
            return true;
        }
        let mut j = i + usize::from(matches!(line.get(i), Some(b'"' | b'\'')));
        let spaced_from = j;
        while line.get(j) == Some(&b' ') {
            j += 1;
        }
        let assigned = matches!(line.get(j), Some(b'=' | b':'));
        let flag = word.starts_with(b"--") && j > spaced_from;
        if (assigned || flag) && names_a_credential(word) {
            return true;
        }
    }
    false
}

/// Whether `line` holds the stem of a credential word (see `names::SECRET_WORDS`), in any case:
/// a cheap test, one pass over the line, before `lines::named_values` looks closer.
fn names_a_credential(line: &[u8]) -> bool {
    const STEMS: &[&[u8]] = &[
        b"pass", b"pwd", b"secret", b"token", b"key", b"cred", b"dsn", b"cookie", b"bearer",
        b"hmac", b"conn",
    ];
    line.iter().enumerate().any(|(i, b)| {
        let b = b.to_ascii_lowercase();
        matches!(b, b'p' | b's' | b't' | b'k' | b'c' | b'd' | b'b' | b'h')
            && STEMS.iter().any(|s| {
                s[0] == b
                    && line
                        .get(i..i + s.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(s))
            })
    })
}

/// Sorts spans and merges the overlapping ones.
pub fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::names::words;
    use super::*;

    fn masked(line: &str) -> Vec<String> {
        let chars: Vec<char> = line.chars().collect();
        value_spans(&chars)
            .into_iter()
            .map(|(s, e)| chars[s..e].iter().collect())
            .collect()
    }

    #[test]
    fn the_cheap_test_passes_every_line_a_named_value_is_found_in() {
        let v = "hunter2";
        for line in [
            format!(r#"{{"db": {{"user": "app", "password": "{v}"}}}}"#),
            format!(r#"export DB_PASSWORD="{v}""#),
            format!("sh -c 'agent --password={v}'"),
            format!("agent --password {v} --verbose"),
            format!("agent --api-token  {v}"),
            format!("jdbc:postgresql://db/app?user=app&password={v}"),
            format!("Server=db;User Id=app;Password={v};"),
            format!("'SECRET_KEY' : '{v}'"),
            format!("smtp_pass='{v}'"),
            format!("clientSecret={v}"),
        ] {
            let chars: Vec<char> = line.chars().collect();
            assert!(!lines::named_values(&chars).is_empty(), "{line}");
            assert!(may_hold_one(&line), "{line}");
        }
        // Words that name a credential but give it no value: no closer look.
        for line in [
            r#""expr": "sum(rate(agent_tokens_total[5m])) by (model)","#,
            r#""legendFormat": "{{model}} tokens per second","#,
            "description: the agent's token budget is spent",
        ] {
            assert!(!assigns_a_credential_name(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn a_credential_s_name_given_a_value_in_a_string_is_found() {
        let v = "Xq7vK2pL9mZ4rT8wB3nY";
        for line in [
            format!(r#"{{"db": {{"user": "app", "password": "{v}"}}}}"#),
            format!(r#"export DB_PASSWORD="{v}""#),
            format!("exec agent --password={v}"),
            format!("exec agent --password {v} --verbose"),
            format!("jdbc:postgresql://db/app?user=app&password={v}"),
            format!("Server=db;User Id=app;Password={v};"),
            format!("smtp_pass='{v}'"),
        ] {
            assert_eq!(masked(&line), [v], "{line}");
            assert!(looks_like_credential(&line), "{line}");
        }
        // Short, low-entropy values too: the name says what they are.
        assert_eq!(masked("sh -c 'agent --password=hunter2'"), ["hunter2"]);
        // References, placeholders, prose and settings about a credential are not.
        for line in [
            "password=$(DB_PASSWORD)",
            "password: ${DB_PASSWORD}",
            "If the user asks for a password: refuse.",
            "token_limit=4096",
            "--secret-name agent-secrets",
            "password=",
            "BYPASS=on",
        ] {
            assert!(masked(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn credential_names_glued_or_abbreviated_are_sensitive() {
        for name in [
            "AUTHTOKEN",
            "SECRETKEY",
            "API_SECRETKEY",
            "CLIENTSECRET",
            "DB_PASS",
            "REDIS_PASS",
            "DBPASS",
            "DB_PWD",
            "PASS_WORD",
            "AUTH_BEARER",
            "HMAC",
            "CONN_STR",
            "CONNECTION_STRING",
            "smtpPass",
        ] {
            assert!(is_sensitive(name), "{name}");
        }
        for name in [
            "PWD",
            "BYPASS",
            "MAXTOKEN",
            "HMAC_ALGORITHM",
            "TOKEN_LIMIT",
            "PASS_THROUGH",
        ] {
            assert!(!is_sensitive(name), "{name}");
        }
    }

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("apiKeyKey"), ["API", "KEY", "KEY"]);
        assert_eq!(words("MAX_OUTPUT_TOKENS"), ["MAX", "OUTPUT", "TOKENS"]);
        assert_eq!(words("db-password.v2"), ["DB", "PASSWORD", "V2"]);
    }

    #[test]
    fn token_shapes_are_found_in_any_line() {
        let cases = [
            "x: sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
            "OPENAI=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123",
            "tag: ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            "[aws] key = AKIAIOSFODNN7EXAMPLE",
            "hook xoxb-123456789012-abcdefABCDEF",
            "auth: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ];
        for c in cases {
            assert_eq!(masked(c).len(), 1, "{c}");
        }
        assert_eq!(masked("url: postgres://app:hunter2@db:5432/x"), ["hunter2"]);
        // The kubelet's `$(VAR)` and the shell's `${VAR}` are references, a literal is not.
        for reference in ["$(GITHUB_TOKEN)", "${GITHUB_TOKEN}"] {
            let line = format!("git clone https://x-access-token:{reference}@github.com/o/r /w");
            assert!(masked(&line).is_empty(), "{line}");
        }
        assert_eq!(
            masked("git clone https://x-access-token:$(GITHUB_TOKEN)x@github.com/o/r"),
            ["$(GITHUB_TOKEN)x"]
        );
        assert_eq!(
            masked("key: |  -----BEGIN RSA PRIVATE KEY-----"),
            ["-----BEGIN RSA PRIVATE KEY-----"]
        );
        assert_eq!(
            masked("X=Zk3q9LmN2pQ7rS4tV8wY1bC6dF0gH5j"),
            ["Zk3q9LmN2pQ7rS4tV8wY1bC6dF0gH5j"]
        );
    }

    #[test]
    fn a_password_without_a_scheme_is_found() {
        assert_eq!(
            masked("DB: app:hunter2hunter2@db:5432/app"),
            ["hunter2hunter2"]
        );
        assert_eq!(masked("--upstream=svc:pw123456@10.0.0.7"), ["pw123456"]);
        assert_eq!(masked("x: \"default:s3cr3t@redis\""), ["s3cr3t"]);
        for c in [
            "contact: ops@example.com",
            "image: ghcr.io/acme/agent:1.2@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "image: busybox@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "upstream: redis:6379",
            "remote: git@github.com:acme/agent.git",
            "at: user@:x",
        ] {
            assert!(masked(c).is_empty(), "{c}: {:?}", masked(c));
        }
        assert!(looks_like_credential("app:hunter2@db"));
        assert!(!looks_like_credential("ops@example.com"));
    }

    #[test]
    fn keys_that_hold_a_credential() {
        for k in [
            "password=hunter2",
            "--api-token=abc",
            "db_password:hunter2",
            "ghp_Z9y8X7w6V5u4T3s2R1q0PpOoNnMmLlKk",
            "app:hunter2@db",
        ] {
            assert!(key_holds_credential(k), "{k}");
        }
        for k in [
            "DB_PASSWORD",
            "password=",
            "token=$(TOKEN)",
            "--token=…",
            "example.com/api-token",
            "mode=fast",
            "agent",
        ] {
            assert!(!key_holds_credential(k), "{k}");
        }
        assert_eq!(
            shown_path("agent.podAnnotations.password=hunter2"),
            "agent.podAnnotations.<redacted>"
        );
        assert_eq!(
            shown_path("data.app:pw123456@db.example.com"),
            "data.<redacted>.example.com"
        );
        assert_eq!(shown_path("agent.env.DB_PASSWORD"), "agent.env.DB_PASSWORD");
    }

    #[test]
    fn ordinary_values_are_not_masked() {
        for c in [
            "image: ghcr.io/acme/agent:1.2.3",
            "digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "model: claude-sonnet-4-20250514",
            "error: networkPolicy.egressExcept.0: bad",
            "path: /var/lib/agent/data/cache",
            "namespace: production-agents",
            "A=sk-1",
            "storageClassName: premium-ssd",
        ] {
            assert!(masked(c).is_empty(), "{c}: {:?}", masked(c));
        }
    }
}
