//! A credential's *name* given a value inside a string, in the assignment forms of the config
//! languages and shells an object's strings embed: `password=x`, `password = "x"` (shell,
//! INI, TOML), `password:x` and `"password": "x"` (YAML, JSON, properties), `password := x`
//! (Go, make), `:password => 'x'` (Ruby, Perl, PHP), `password: [x]` and `password: {v: x}`
//! (a flow list or map around it), a line's `password: x` (a YAML or config line's key), `set
//! password x`, `config set requirepass x`, `ENV PASSWORD x` and redis.conf's `requirepass x`
//! (a keyword or a directive, then the value after a space). `pwd` counts where its value is
//! no path (`PWD=/home/x` is the shell's directory). Not a value: a reference (`$(VAR)`,
//! `${VAR}`, `{{ .Values.x }}`, `<placeholder>`, `%s`, a `valueFrom`/`secretKeyRef` map, a file
//! path such as `/run/secrets/db`), an empty one, a location (`secret.yaml:1:1`), a scope
//! (`secrets:read`), and prose (`ask for the password: refuse`). A placeholder that is a
//! word (`changeme`) is a value: a server accepts it. Pure; no I/O.

use super::{Span, is_sensitive};

/// Whether `name` (a credential's name by the policy, or `pwd` given something other than a
/// path) names a credential given `value`.
fn names_one(name: &str, value: &[char]) -> bool {
    let bare = name.trim_start_matches('-');
    is_sensitive(bare)
        || (bare.eq_ignore_ascii_case("pwd")
            && !matches!(value.first(), Some('/' | '~' | '.' | '$')))
}

/// Whether a value is a reference to one, or no value at all (see the module).
fn reference(value: &[char]) -> bool {
    let text: String = value.iter().collect();
    let path = text.starts_with('/') && text[1..].contains('/');
    !value.iter().any(|c| c.is_alphanumeric())
        || matches!(value.first(), Some('$' | '<' | '%' | '{'))
        || path
        || text.starts_with("file:")
}

/// Words after `name:` (no space) that make it a scope or a location, not a value.
const NOT_VALUES: &[&str] = &[
    "read",
    "write",
    "readwrite",
    "admin",
    "none",
    "all",
    "list",
    "get",
    "create",
    "delete",
    "update",
    "watch",
    "true",
    "false",
    "null",
    "required",
    "optional",
];

/// The values a credential's name is given inside one string, whatever the value's shape:
/// `password=hunter2`, `export DB_PASSWORD="…"`, `&password=x` (JDBC), `Password=x;` (ADO.NET),
/// `--password=x` and `--password x`, a JSON or YAML key with a quoted value or none after its
/// colon (`"password": "x"`, `password:"x"`), `password:x`, `password := x`, `password => x`,
/// `password: [x]`, `password: {v: x}`. Not one: see the module. A colon, a space and an
/// unquoted word (`ask for the password: refuse`) after an unquoted name is prose.
pub(super) fn named_values(line: &[char]) -> Vec<Span> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let quote = |c: Option<&char>| matches!(c, Some('"' | '\''));
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if !name_char(line[i]) || (i > 0 && name_char(line[i - 1])) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < line.len() && name_char(line[end]) {
            end += 1;
        }
        let name_quoted = i > 0 && quote(line.get(i - 1)) && quote(line.get(end));
        let mut j = end + usize::from(name_quoted);
        let spaced_from = j;
        while line.get(j) == Some(&' ') {
            j += 1;
        }
        let sep = line.get(j).copied();
        let flag = line[i] == '-' && line.get(i + 1) == Some(&'-');
        // `:=` and `=>` assign; `==` compares; a colon may be prose.
        let mut assigns = true;
        match (sep, line.get(j + 1)) {
            (Some(':'), Some('=')) | (Some('='), Some('>')) => j += 2,
            (Some('='), Some('=')) => {
                i = end;
                continue;
            }
            (Some('='), _) => j += 1,
            (Some(':'), _) => {
                assigns = false;
                j += 1;
            }
            _ if flag && j > spaced_from => {}
            _ => {
                i = end;
                continue;
            }
        }
        // `password:hunter2`: glued to its name on both sides.
        let glued =
            !assigns && j == spaced_from + 1 && line.get(j).is_some_and(|c| c.is_alphanumeric());
        while line.get(j) == Some(&' ') {
            j += 1;
        }
        let bracket = matches!(line.get(j), Some('[' | '{'))
            && !matches!(line.get(j + 1), Some('{' | '}' | ']'));
        if bracket {
            let name = text(line, i, end);
            match inner_scalar(line, j) {
                Some((s, e))
                    if !reference(&line[s..e])
                        && names_one(&name, &line[s..e])
                        && !own_field(&name) =>
                {
                    out.push((s, e));
                }
                _ => {}
            }
            i = end;
            continue;
        }
        // A quote escaped inside a quoted scalar (`secret := \"x\"` in YAML's `"…"`).
        if line.get(j) == Some(&'\\') && quote(line.get(j + 1)) {
            j += 1;
        }
        let open = quote(line.get(j)).then(|| line[j]);
        if open.is_some() {
            j += 1;
        } else if !assigns && !name_quoted && !glued {
            // `password: refuse` (prose, or a YAML line whose value is its own string, which
            // `config_line` reads) and `secret.yaml:1:1` (a location).
            i = end;
            continue;
        }
        let start = j;
        j = value_end(line, j, open);
        let value = &line[start..j];
        // A location (`secret.yaml:1:1`), a scope (`secrets:read`), a chain of names
        // (Prometheus's `job:tokens:rate5m`).
        let spared = glued
            && (value.iter().all(char::is_ascii_digit)
                || value.contains(&':')
                || (i > 0 && line[i - 1] == ':')
                || NOT_VALUES.contains(&text(line, start, j).to_ascii_lowercase().as_str()));
        if !reference(value) && !spared && names_one(&text(line, i, end), value) {
            out.push((start, j));
        }
        i = end;
    }
    out
}

fn text(line: &[char], s: usize, e: usize) -> String {
    line[s..e].iter().collect()
}

/// Where a value starting at `j` ends: its closing quote (`open`, or the same quote escaped),
/// else the first space or delimiter.
fn value_end(line: &[char], mut j: usize, open: Option<char>) -> usize {
    while j < line.len()
        && match open {
            Some(q) => line[j] != q && !(line[j] == '\\' && line.get(j + 1) == Some(&q)),
            None => {
                !(line[j].is_whitespace()
                    || matches!(
                        line[j],
                        ';' | '&' | ',' | '"' | '\'' | '`' | '}' | ']' | ')'
                    ))
            }
        }
    {
        j += 1;
    }
    j
}

/// Keys of a flow map around a value that make it a reference (`{valueFrom: …}`, `{file:
/// /run/x}`, `{secretKeyRef: …}`), lower case.
const REFERENCE_KEYS: &[&str] = &["from", "ref", "file", "path", "env", "name", "vault"];

/// The first scalar inside the flow list or map at `j` (`[x]`, `["x", y]`, `{v: x}`, `{"v":
/// "x"}`): its span; `None` when it is empty or a reference's key names it.
fn inner_scalar(line: &[char], mut j: usize) -> Option<Span> {
    let mut map = false;
    while matches!(line.get(j), Some('[' | '{' | ' ')) {
        map |= line[j] == '{';
        j += 1;
    }
    if map {
        let q = usize::from(matches!(line.get(j), Some('"' | '\'')));
        let ks = j + q;
        let mut k = ks;
        while k < line.len()
            && (line[k].is_ascii_alphanumeric() || matches!(line[k], '_' | '-' | '.'))
        {
            k += 1;
        }
        let key = text(line, ks, k).to_ascii_lowercase();
        k += q;
        while line.get(k) == Some(&' ') {
            k += 1;
        }
        if k > ks && matches!(line.get(k), Some(':' | '=')) {
            if REFERENCE_KEYS.iter().any(|r| key.contains(r)) {
                return None;
            }
            j = k + 1;
            while line.get(j) == Some(&' ') {
                j += 1;
            }
        }
    }
    let open = matches!(line.get(j), Some('"' | '\'')).then(|| line[j]);
    let start = j + usize::from(open.is_some());
    let end = value_end(line, start, open);
    (end > start).then_some((start, end))
}

/// A field of agentctl's own schema that holds a Secret's *name* (`tlsSecret: agents-tls`,
/// `imagePullSecrets: [registry-cred]`): no credential. Its one-word fields (`password`,
/// `token`: a key's name in a `keda` trigger) say nothing, and are judged like any name.
fn own_field(name: &str) -> bool {
    super::names::words(name).len() > 1 && crate::config::schema::is_field_name(name)
}

/// A config line whose key names a credential, the value after it as one word: a YAML (or
/// `key: value` config) line's `  password: hunter2`, `- api_token: abc123`; `set password x`,
/// `config set requirepass x`, `ENV PASSWORD x`, redis.conf's `requirepass x` and `masterauth
/// x`. The key must start the line (after indentation and list dashes), so prose (`ask for the
/// password: refuse`) is spared; a value of several words is prose too (`Password: never say
/// it`). Not one: a reference (`${X}`, `<x>`, `%s`, `*anchor`), a block (`|`, `>`), `null`,
/// `~`, a boolean, and a field of agentctl's own schema that names a Secret (`tlsSecret:
/// agents-tls`, as a source line shows).
pub(super) fn config_line(line: &[char], out: &mut Vec<Span>) {
    let word_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let word_at = |mut k: usize| {
        let s = k;
        while k < line.len() && word_char(line[k]) {
            k += 1;
        }
        (s, k)
    };
    let mut i = 0;
    while i < line.len() && (line[i] == ' ' || line[i] == '\t' || line[i] == '-') {
        i += 1;
    }
    let (mut name_start, mut name_end) = word_at(i);
    let first = text(line, name_start, name_end).to_ascii_lowercase();
    let spaced = |k: usize| matches!(line.get(k), Some(' ' | '\t'));
    // A keyword, then the name, then the value after a space.
    let keyword = matches!(first.as_str(), "set" | "config" | "env") && spaced(name_end);
    let directive = matches!(first.as_str(), "requirepass" | "masterauth") && spaced(name_end);
    if keyword {
        let mut k = name_end;
        while spaced(k) {
            k += 1;
        }
        (name_start, name_end) = word_at(k);
        if first == "config" {
            if !text(line, name_start, name_end).eq_ignore_ascii_case("set") {
                return;
            }
            k = name_end;
            while spaced(k) {
                k += 1;
            }
            (name_start, name_end) = word_at(k);
        }
    }
    i = name_end;
    if name_end == name_start {
        return;
    }
    if keyword || directive {
        if !spaced(i) {
            return;
        }
    } else {
        if line.get(i) != Some(&':') {
            return;
        }
        i += 1;
        if !spaced(i) {
            return;
        }
    }
    while spaced(i) {
        i += 1;
    }
    let start = i;
    while i < line.len() && !line[i].is_whitespace() {
        i += 1;
    }
    let end = i;
    // One word, then the end of the line or a comment.
    let rest = text(line, end, line.len());
    let rest = rest.trim();
    if start == end || !(rest.is_empty() || rest.starts_with('#')) {
        return;
    }
    let value = text(line, start, end);
    let special = matches!(
        value.to_ascii_lowercase().as_str(),
        "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off"
    );
    let name = text(line, name_start, name_end);
    let redis = matches!(
        name.to_ascii_lowercase().as_str(),
        "requirepass" | "masterauth"
    );
    let named = directive || redis || names_one(&name, &line[start..end]);
    if !special
        && super::shapes::plain_value(&value)
        && !reference(&line[start..end])
        && named
        && !own_field(&name)
    {
        out.push((start, end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: &str) -> Vec<String> {
        let chars: Vec<char> = line.chars().collect();
        let mut spans = named_values(&chars);
        config_line(&chars, &mut spans);
        let mut v: Vec<String> = spans
            .into_iter()
            .map(|(s, e)| chars[s..e].iter().collect())
            .collect();
        v.dedup();
        v
    }

    #[test]
    fn every_assignment_form_is_found() {
        for line in [
            "password:hunter2",
            "password => hunter2",
            ":password => 'hunter2',",
            "'password' => \"hunter2\"",
            "PASSWORD := hunter2",
            "password := \"hunter2\"",
            "k: \"secret := \\\"hunter2\\\"\"",
            "password: [hunter2]",
            "password: [\"hunter2\", other]",
            "password: {v: hunter2}",
            "{\"password\": {\"value\": \"hunter2\"}}",
            "pwd=hunter2",
            "set password hunter2",
            "SET secret hunter2",
            "set api_key hunter2 # prod",
            "config set requirepass hunter2",
            "requirepass hunter2",
            "  masterauth hunter2",
            "ENV DB_PASSWORD hunter2",
            "passwd: hunter2",
            "token:hunter2",
            "$password = 'hunter2';",
            "  secret = hunter2",
            "api_key=hunter2",
            "password: changeme",
        ] {
            let f = found(line);
            assert!(
                f.iter().any(|v| v == "hunter2" || v == "changeme"),
                "{line}: {f:?}"
            );
            assert!(super::super::may_hold_one(line), "pre-filter: {line}");
        }
    }

    #[test]
    fn references_prose_and_neighbours_are_not() {
        for line in [
            "password=$(REDIS_PASSWORD)",
            "password: ${DB_PASSWORD}",
            "password := ${DB_PASSWORD}",
            "password => $(X)",
            "password: {valueFrom: {secretKeyRef: {name: s, key: k}}}",
            "password: {{ .Values.password }}",
            "password: []",
            "password: {}",
            "password=/run/secrets/db-password",
            "password: <redacted>",
            "password:",
            "PWD=/home/agent",
            "pwd=./x",
            "If asked for the password: refuse.",
            "see secret.yaml:12:3 for details",
            "permissions: secrets:read",
            "record: job:agent_tokens:rate5m",
            "expr: sum by (model) (agent:tokens:rate5m)",
            "token == expected",
            "set the password in the vault",
            "settings password x y",
            "the token:",
            "tlsSecret: agents-tls",
            "imagePullSecrets: [Registry_Cred]",
            "{\"imagePullSecrets\": [\"Registry_Cred\"]}",
            "redis-server --requirepass \"$REDIS_PASSWORD\"",
        ] {
            assert!(found(line).is_empty(), "{line}: {:?}", found(line));
        }
    }
}
