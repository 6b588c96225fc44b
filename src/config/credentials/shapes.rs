//! The shapes of a credential inside a longer string that neither a token's look nor a name
//! given a value (`lines`: `password=x`, a config line's `password: x`) finds: a netrc line
//! (`machine h login u password pw`), an XML element (`<password>pw</password>`), a MySQL client's glued `-phunter2` and redis-cli's `-a pw`,
//! curl's `-u user:pw` / `--user user:pw`, a docker config's `"auth": "<base64 of user:pass>"`
//! and an HTTP `Authorization` header (`Bearer <token>`, `Basic <base64 of user:pass>`).
//! [`spans`] is the closer look, part of the parent's `value_spans`; [`word_hints`] is its
//! cheap part of the pre-filter, asked once per word of a line the pre-filter already walks
//! (a few byte comparisons per word; no allocation). Pure; no I/O.

use super::{Span, is_sensitive};

/// Whether a word of a line (a run of letters, digits, `_`, `-`, `.`), with the bytes right
/// before and after it, could start one of this module's shapes: `password`/`passwd` followed
/// by a space (netrc), a credential word between `<` and `>` (XML), the commands whose flags
/// carry a password (`mysql…`, `mariadb…`, `redis-cli`, `curl`), redis.conf's `requirepass`
/// and `masterauth`, `auth`, `authorization`, `bearer` and `basic`.
pub(super) fn word_hints(word: &[u8], before: Option<u8>, after: Option<u8>) -> bool {
    let Some(first) = word.first() else {
        return false;
    };
    let is = |w: &[u8]| word.eq_ignore_ascii_case(w);
    let starts = |w: &[u8]| {
        word.get(..w.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(w))
    };
    let command = match first.to_ascii_lowercase() {
        b'p' => (is(b"password") || is(b"passwd")) && matches!(after, Some(b' ' | b'\t')),
        b'm' => starts(b"mysql") || starts(b"mariadb") || is(b"masterauth"),
        b'r' => is(b"redis-cli") || is(b"requirepass"),
        b'c' => is(b"curl"),
        b'a' => is(b"auth") || is(b"authorization") || is(b"proxy-authorization"),
        b'b' => is(b"bearer") || is(b"basic"),
        _ => false,
    };
    command || (before == Some(b'<') && after == Some(b'>') && super::names_a_credential(word))
}

/// The spans of `line` (`text`: the same line as a string) that this module's shapes find (see
/// the module's paragraph). Each shape is looked for only when the line holds its word (`password`, a command's name, `<`, `auth`/`bearer`/`basic`): the lines that
/// reach here are those the pre-filter passed, most of them for a long token, not for these.
pub(super) fn spans(line: &[char], text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let netrc_word = super::has(bytes, b"password");
    let command = ["mysql", "mariadb", "redis-cli", "curl"]
        .iter()
        .any(|c| super::has(bytes, c.as_bytes()));
    if netrc_word || command {
        let words = split(line);
        if netrc_word {
            netrc(line, &words, &mut out);
        }
        if command {
            commands(line, &words, &mut out);
        }
    }
    if bytes.contains(&b'<') {
        xml(line, &mut out);
    }
    let lower = |b: &u8| b.to_ascii_lowercase();
    if bytes.windows(4).any(|w| {
        matches!(
            [lower(&w[0]), lower(&w[1]), lower(&w[2]), lower(&w[3])],
            [b'a', b'u', b't', b'h'] | [b'a', b'r', b'e', b'r'] | [b'a', b's', b'i', b'c']
        )
    }) {
        headers(line, &mut out);
    }
    out
}

/// A value that is itself, not a reference to one or something else's syntax.
pub(super) fn plain_value(v: &str) -> bool {
    v.chars().any(char::is_alphanumeric)
        && !v.starts_with([
            '$', '<', '%', '{', '[', '*', '&', '!', '|', '>', '"', '\'', '#',
        ])
}

/// The words of a line split at whitespace: (start, end) in characters.
fn split(line: &[char]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if line[i].is_whitespace() {
            i += 1;
            continue;
        }
        let s = i;
        while i < line.len() && !line[i].is_whitespace() {
            i += 1;
        }
        out.push((s, i));
    }
    out
}

/// A word without the quotes around it (`'-phunter2'` → `-phunter2`), as a span.
fn unquoted(line: &[char], (mut s, mut e): Span) -> Span {
    let q = |c: char| matches!(c, '"' | '\'' | '`');
    while s < e && q(line[s]) {
        s += 1;
    }
    while e > s && (q(line[e - 1]) || matches!(line[e - 1], ',' | ';')) {
        e -= 1;
    }
    (s, e)
}

fn text(line: &[char], (s, e): Span) -> String {
    line[s..e].iter().collect()
}

/// A netrc entry: `password <value>` after `machine` or `default` on the same line (`machine h
/// login u password pw`, also inside a quoted string or a `--set` flag as a source line shows it), or
/// `password <value>` alone on its line (a netrc file's entry spread over lines).
fn netrc(line: &[char], words: &[Span], out: &mut Vec<Span>) {
    let word = |i: usize| text(line, unquoted(line, words[i]));
    let alone = words.len() == 2;
    let mut keyword = false;
    for i in 0..words.len() {
        let w = word(i);
        // The keyword may follow a quote or a `=` (`"machine`, `NETRC=machine`).
        let bare = w.rsplit(['=', '"', '\'']).next().unwrap_or(&w);
        if matches!(bare, "machine" | "default") {
            keyword = true;
        }
        if w == "password" && (keyword || alone) && i + 1 < words.len() {
            let v = unquoted(line, words[i + 1]);
            if plain_value(&text(line, v)) {
                out.push(v);
            }
        }
    }
}

/// The command words that carry a password in a flag, and which flag: a MySQL/MariaDB client's
/// glued `-p<password>`, redis-cli's `-a <password>`, curl's `-u user:pw`, `-uuser:pw`,
/// `--user user:pw`, `--user=user:pw` (and `--proxy-user`, `-U`). Each flag is looked for
/// after its command, up to the end of that command (`;`, `&&`, `||`, `|`).
fn commands(line: &[char], words: &[Span], out: &mut Vec<Span>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Cmd {
        None,
        Mysql,
        Redis,
        Curl,
    }
    let mut cmd = Cmd::None;
    let mut i = 0;
    while i < words.len() {
        let w = unquoted(line, words[i]);
        let t = text(line, w);
        if matches!(t.as_str(), ";" | "&&" | "||" | "|") {
            cmd = Cmd::None;
            i += 1;
            continue;
        }
        let base = t.rsplit('/').next().unwrap_or(&t);
        if base.starts_with("mysql") || base.starts_with("mariadb") {
            cmd = Cmd::Mysql;
        } else if base == "redis-cli" {
            cmd = Cmd::Redis;
        } else if base == "curl" {
            cmd = Cmd::Curl;
        }
        let next = words.get(i + 1).map(|n| unquoted(line, *n));
        match cmd {
            Cmd::Mysql if t.len() > 2 && t.starts_with("-p") => {
                let v = (w.0 + 2, w.1);
                if plain_value(&text(line, v)) {
                    out.push(v);
                }
            }
            Cmd::Redis if t == "-a" => {
                if let Some(n) = next
                    && plain_value(&text(line, n))
                {
                    out.push(n);
                    i += 1;
                }
            }
            Cmd::Curl => {
                let glued = ["--user=", "--proxy-user="]
                    .iter()
                    .find(|f| t.starts_with(*f))
                    .map(|f| f.len())
                    .or_else(|| {
                        let short = (t.starts_with("-u") || t.starts_with("-U"))
                            && !t.starts_with("--")
                            && t.len() > 2;
                        short.then_some(2)
                    });
                let userinfo = match glued {
                    Some(n) => Some((w.0 + n, w.1)),
                    None if matches!(t.as_str(), "-u" | "-U" | "--user" | "--proxy-user") => next,
                    None => None,
                };
                if let Some(u) = userinfo {
                    let ut = text(line, u);
                    if let Some(c) = ut.find(':') {
                        let pw = (u.0 + ut[..c].chars().count() + 1, u.1);
                        if pw.1 > pw.0 && plain_value(&text(line, pw)) {
                            out.push(pw);
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// `<password>pw</password>` (any element whose local name names a credential, attributes
/// allowed on the opening tag): the text between the tags.
fn xml(line: &[char], out: &mut Vec<Span>) {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    let mut i = 0;
    while i < line.len() {
        if line[i] != '<' {
            i += 1;
            continue;
        }
        let ns = i + 1;
        let mut j = ns;
        while j < line.len() && name_char(line[j]) {
            j += 1;
        }
        let name = text(line, (ns, j));
        let Some(gt) = line[j..].iter().position(|c| *c == '>').map(|p| j + p) else {
            return;
        };
        let local = name.rsplit(':').next().unwrap_or(&name);
        if name.is_empty() || line[gt - 1] == '/' || !is_sensitive(local) {
            i = j.max(i + 1);
            continue;
        }
        let start = gt + 1;
        let close: Vec<char> = format!("</{name}>").chars().collect();
        let Some(end) = (start..line.len()).find(|&k| line[k..].starts_with(&close)) else {
            i = start;
            continue;
        };
        let v = text(line, (start, end));
        if plain_value(v.trim()) {
            out.push((start, end));
        }
        i = end + close.len();
    }
}

/// HTTP credentials: an `Authorization` (or `Proxy-Authorization`) header's value after its
/// scheme (`Authorization: Bearer x`, `"Authorization": "token x"`, `-H 'Authorization: x'`),
/// `Bearer <token>` anywhere (a token: 8 or more token characters, a digit among them), a
/// `Basic <base64>` whose text is `user:password`, and a docker config's `"auth": "<base64>"`
/// whose text is `user:password`.
fn headers(line: &[char], out: &mut Vec<Span>) {
    let token_char = |c: char| super::token_char(c) || c == '=';
    let value_at = |mut k: usize| {
        while k < line.len() && matches!(line[k], ' ' | '"' | '\'' | ':' | '=') {
            k += 1;
        }
        let s = k;
        while k < line.len() && token_char(line[k]) {
            k += 1;
        }
        (s, k)
    };
    let find = |needle: &str, from: usize| -> Option<usize> {
        let n = needle.as_bytes();
        (from..line.len()).find(|&k| {
            line.len() - k >= n.len()
                && n.iter()
                    .zip(&line[k..])
                    .all(|(a, c)| c.is_ascii() && (*c as u8).eq_ignore_ascii_case(a))
        })
    };
    let word_start = |k: usize| k == 0 || !line[k - 1].is_ascii_alphanumeric();
    // `Authorization: <scheme> <credential>` (or the credential alone).
    let mut from = 0;
    while let Some(k) = find("authorization", from) {
        from = k + 1;
        let after = k + "authorization".len();
        let mut j = after;
        while j < line.len() && matches!(line[j], ' ' | '"' | '\'') {
            j += 1;
        }
        if !matches!(line.get(j), Some(':' | '=')) {
            continue;
        }
        let (s, e) = value_at(j);
        let first = text(line, (s, e));
        let v = if line.get(e) == Some(&' ') && first.chars().all(|c| c.is_ascii_alphabetic()) {
            value_at(e)
        } else {
            (s, e)
        };
        if v.1 > v.0 && plain_value(&text(line, v)) {
            out.push(v);
        }
    }
    for scheme in ["bearer ", "basic "] {
        let mut from = 0;
        while let Some(k) = find(scheme, from) {
            from = k + 1;
            if !word_start(k) {
                continue;
            }
            let (s, mut e) = (k + scheme.len(), k + scheme.len());
            while e < line.len() && token_char(line[e]) {
                e += 1;
            }
            let v = text(line, (s, e));
            let hit = if scheme == "bearer " {
                v.len() >= 8 && v.chars().any(|c| c.is_ascii_digit()) && plain_value(&v)
            } else {
                userinfo_base64(&v)
            };
            if hit {
                out.push((s, e));
            }
        }
    }
    // A docker config's `"auth": "<base64 of user:password>"`.
    let mut from = 0;
    while let Some(k) = find("auth", from) {
        from = k + 1;
        let end = k + 4;
        if !word_start(k) || line.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let mut j = end;
        while j < line.len() && matches!(line[j], ' ' | '"' | '\'') {
            j += 1;
        }
        if line.get(j) != Some(&':') {
            continue;
        }
        let v = value_at(j);
        if userinfo_base64(&text(line, v)) {
            out.push(v);
        }
    }
}

/// The base64 runs of a shown line (8 characters or more) whose decoded text holds a
/// credential (`super::looks_like_credential`): what diagnostics mask beside the value an
/// error is about (two `binaryData` values on one line). Only for the few lines a diagnostic
/// shows, never over every string of an object.
pub fn encoded_spans(line: &[char]) -> Vec<Span> {
    let b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=');
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if !b64(line[i]) {
            i += 1;
            continue;
        }
        let s = i;
        while i < line.len() && b64(line[i]) {
            i += 1;
        }
        if i - s < 8 {
            continue;
        }
        let run: String = line[s..i].iter().collect();
        if decode_base64(&run)
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|t| super::looks_like_credential(&t))
        {
            out.push((s, i));
        }
    }
    out
}

/// Whether `s` is base64 whose text is `user:password` (printable, a `:` with something on
/// both sides).
pub(super) fn userinfo_base64(s: &str) -> bool {
    decode_base64(s)
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|t| {
            !t.chars().any(char::is_control)
                && t.split_once(':')
                    .is_some_and(|(u, p)| !u.is_empty() && !p.is_empty())
        })
}

/// Standard or URL-safe base64, padding optional; `None` when `s` is not base64.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    if s.is_empty() || s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: &str) -> Vec<String> {
        let chars: Vec<char> = line.chars().collect();
        super::super::value_spans(&chars)
            .into_iter()
            .map(|(s, e)| chars[s..e].iter().collect())
            .collect()
    }

    #[test]
    fn each_shape_is_found() {
        for (line, want) in [
            ("  password: hunter2", "hunter2"),
            ("api_token: abc123", "abc123"),
            ("- db_password: pw1 # prod", "pw1"),
            ("machine h login u password pw", "pw"),
            ("  password pw", "pw"),
            (r#"netrc: "machine h login u password pw\n""#, "pw\\n"),
            ("--set a.NETRC=machine h password pw", "pw"),
            ("<password>pw</password>", "pw"),
            ("<db:Password attr=\"1\">s3cr3t</db:Password>", "s3cr3t"),
            ("mysql -uroot -phunter2 app", "hunter2"),
            ("/usr/bin/mysqldump -h db '-phunter2'", "hunter2"),
            ("redis-cli -h redis -a hunter2 ping", "hunter2"),
            ("curl -u user:pw https://x", "pw"),
            ("curl --user user:pw https://x", "pw"),
            ("curl --user=user:pw https://x", "pw"),
            ("curl -uuser:pw https://x", "pw"),
            (
                r#"{"auths": {"r.io": {"auth": "dXNlcjpwYXNz"}}}"#,
                "dXNlcjpwYXNz",
            ),
            ("Authorization: Bearer abc", "abc"),
            ("-H 'Authorization: token abc'", "abc"),
            (r#""Authorization": "Basic dXNlcjpwYXNz""#, "dXNlcjpwYXNz"),
            ("x Bearer 8f2a9c7d1e", "8f2a9c7d1e"),
            ("use Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ] {
            assert!(
                found(line).contains(&want.to_owned()),
                "{line}: {:?}",
                found(line)
            );
            let bytes = line.as_bytes();
            assert!(
                super::super::may_hold_one(line),
                "pre-filter: {bytes:?} {line}"
            );
        }
    }

    #[test]
    fn prose_and_neighbours_are_not_found() {
        for line in [
            "ask for the password: refuse",
            "Password: never say it",
            "password: ${DB_PASSWORD}",
            "password: |",
            "password_file: /run/pw",
            "enter the password and continue",
            "login with the password shown",
            "mkdir -p /var/lib/mysql",
            "mysql -P 3306 -h db",
            "docker run -u 1000:1000 img",
            "Bearer tokens are refused",
            "Basic auth is off",
            r#""auth": "required""#,
            "Authorization: ${TOKEN}",
            "<password/>",
            "<password></password>",
            "  tlsSecret: agents-tls",
        ] {
            assert!(found(line).is_empty(), "{line}: {:?}", found(line));
        }
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(
            decode_base64("dXNlcjpwYXNz").as_deref(),
            Some(&b"user:pass"[..])
        );
        assert_eq!(decode_base64("aGk=").as_deref(), Some(&b"hi"[..]));
        assert!(decode_base64("a").is_none());
        assert!(decode_base64("not base64!").is_none());
    }
}
