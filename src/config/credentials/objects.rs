//! The credential policy over a Kubernetes object: where a final object (a patched one, an
//! extra one) holds a credential's value. One function, [`in_object`], used by the patches
//! (a hit refuses the patch or extra object, located at it) and by lint rule AGT160 (the same
//! hits as findings), so typed settings, patches, extra objects and lint share one notion.
//!
//! A string is a credential when its *shape* says so (every string of the object, keys
//! included, line by line: [`super::value_spans`]) or when its *name* does
//! ([`super::is_sensitive`]) in the places that name a value: a ConfigMap's `data` and
//! `binaryData` keys (a `binaryData` value also by the text it encodes), an environment
//! variable's literal `value`, an annotation or a label, a
//! `--name=value` or `--name value` argument of `args`/`command`. A Secret's `data` and
//! `stringData` are credentials whatever their names: agentctl's output is committed, and
//! Secrets are created out of band.

use serde_json::Value as J;

use super::{is_sensitive, looks_like_credential, shown_key};
use crate::config::patches::{Seg, Step};

/// Why a string is a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Its name says so (the variable, key, annotation or flag name).
    Named(String),
    /// Its shape says so (a token, a JWT, a private key, a URL's password).
    Shaped,
    /// It is a value of a Secret.
    SecretValue(String),
    /// The words of a container's command line around it say so (`mysql` in `command`,
    /// `-phunter2` in `args`): the item alone does not, so a source line showing it cannot
    /// find it by itself ([`Hit::masks_its_line`]).
    Command,
    /// An argument of `args`/`command` names it: the flag as written (`--db-password`), and
    /// whether the value is joined to it (`--db-password=x`) or the next argument.
    Argument {
        /// The flag, dashes included.
        flag: String,
        /// `--flag=value` (else `--flag value`).
        joined: bool,
    },
}

/// A credential in an object: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The path of the value in the object.
    pub path: Vec<Seg>,
    /// Why it is one.
    pub why: Why,
}

impl Hit {
    /// What the hit is, for a message: never the value.
    pub fn describe(&self) -> String {
        match &self.why {
            Why::Named(name) => format!("`{}` looks like a credential", shown_key(name)),
            Why::Shaped => {
                "a value shaped like a credential (a token, a JWT, a private key, a password in a URL, a config line, a header or a command)"
                    .to_owned()
            }
            Why::SecretValue(key) => {
                format!("the Secret's value `{}` is a credential", shown_key(key))
            }
            Why::Command => "a password its command line gives away (`mysql -p…`, `redis-cli -a …`, `curl -u user:…`)".to_owned(),
            Why::Argument { flag, .. } => {
                format!(
                    "`{}` looks like a credential",
                    shown_key(flag.trim_start_matches('-'))
                )
            }
        }
    }

    /// How the argument holding the value reads, with the value left out (`--db-password=…`,
    /// `--api-token …`), when an argument's flag names it.
    pub fn argument(&self) -> Option<String> {
        match &self.why {
            Why::Argument { flag, joined: true } => Some(format!("{}=…", shown_key(flag))),
            Why::Argument {
                flag,
                joined: false,
            } => Some(format!("{} …", shown_key(flag))),
            _ => None,
        }
    }

    /// Whether a message showing the value's source line must mask it from its place to the
    /// end of the line: the line's own scan cannot find it (see [`Why::Command`]).
    pub fn masks_its_line(&self) -> bool {
        self.why == Why::Command
    }

    /// The name under which the value is known, when it has one.
    /// A name that itself holds a credential ([`super::key_holds_credential`]) is none.
    pub fn name(&self) -> Option<&str> {
        let name = match &self.why {
            Why::Named(n) | Why::SecretValue(n) => n,
            Why::Argument { flag, .. } => flag.trim_start_matches('-'),
            Why::Shaped | Why::Command => return None,
        };
        (!super::key_holds_credential(name)).then_some(name)
    }
}

/// Every credential value in `obj`, one hit per value (a named hit wins over a shaped one at
/// the same path), in document order.
pub fn in_object(obj: &J) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    let kind = obj.get("kind").and_then(J::as_str).unwrap_or_default();
    let key = |k: &str| Seg::Key(k.into());
    match kind {
        "ConfigMap" => {
            for field in ["data", "binaryData"] {
                for (k, v) in obj.get(field).and_then(J::as_object).into_iter().flatten() {
                    if is_sensitive(k) && filled(v) {
                        named(&mut out, vec![key(field), key(k)], k);
                    } else if field == "binaryData"
                        && let Some(text) = v.as_str().and_then(decoded)
                        && looks_like_credential(&text)
                    {
                        // A file's bytes, base64 by definition: what they say is judged, not
                        // how random their encoding looks.
                        shaped(&mut out, &[key(field), key(k)]);
                    }
                }
            }
        }
        "Secret" => {
            for field in ["data", "stringData"] {
                for (k, v) in obj.get(field).and_then(J::as_object).into_iter().flatten() {
                    if filled(v) {
                        out.push(Hit {
                            path: vec![key(field), key(k)],
                            why: Why::SecretValue(k.clone()),
                        });
                    }
                }
            }
        }
        _ => {}
    }
    walk(obj, &mut Vec::new(), &mut out);
    out
}

/// The text a `binaryData` value encodes, when it is base64 of UTF-8.
fn decoded(v: &str) -> Option<String> {
    super::shapes::decode_base64(v).and_then(|b| String::from_utf8(b).ok())
}

/// A value that holds something (an empty string or null is no credential).
fn filled(v: &J) -> bool {
    match v {
        J::String(s) => !s.is_empty(),
        J::Null => false,
        _ => true,
    }
}

fn named(out: &mut Vec<Hit>, path: Vec<Seg>, name: &str) {
    hit(out, path, Why::Named(name.to_owned()));
}

/// A named hit wins over a shaped one at the same path.
fn hit(out: &mut Vec<Hit>, path: Vec<Seg>, why: Why) {
    out.retain(|h| h.path != path);
    out.push(Hit { path, why });
}

fn shaped(out: &mut Vec<Hit>, path: &[Seg]) {
    if !out.iter().any(|h| h.path == path) {
        out.push(Hit {
            path: path.to_vec(),
            why: Why::Shaped,
        });
    }
}

fn walk<'a>(v: &'a J, path: &mut Vec<Step<'a>>, out: &mut Vec<Hit>) {
    match v {
        J::String(s) if !digest(path, s) && looks_like_credential(s) => {
            shaped(out, &Step::owned(path))
        }
        J::Array(items) => {
            let parent = match path.last() {
                Some(Step::Key(k)) => *k,
                _ => "",
            };
            if parent == "env" {
                for (i, item) in items.iter().enumerate() {
                    let name = item.get("name").and_then(J::as_str).unwrap_or_default();
                    if is_sensitive(name) && item.get("value").is_some_and(filled) {
                        let mut p = Step::owned(path);
                        p.extend([Seg::Index(i), Seg::Key("value".into())]);
                        named(out, p, name);
                    }
                }
            }
            if matches!(parent, "args" | "command") {
                arguments(items, &Step::owned(path), out);
            }
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(item, path, out);
                path.pop();
            }
        }
        J::Object(m) => {
            let in_metadata = matches!(path.last(), Some(Step::Key("metadata")));
            let mut command_line = false;
            for (k, child) in m {
                command_line |= matches!(k.as_str(), "command" | "args") && child.is_array();
                path.push(Step::Key(k));
                if looks_like_credential(k) {
                    shaped(out, &Step::owned(path));
                }
                if in_metadata && matches!(k.as_str(), "annotations" | "labels") {
                    for (name, value) in child.as_object().into_iter().flatten() {
                        // `example.com/api-token`: the name after the prefix.
                        let bare = name.rsplit('/').next().unwrap_or(name);
                        if is_sensitive(bare) && filled(value) {
                            let mut p = Step::owned(path);
                            p.push(Seg::Key(name.as_str().into()));
                            named(out, p, name);
                        }
                    }
                }
                walk(child, path, out);
                path.pop();
            }
            if command_line {
                joined_arguments(m, path, out);
            }
        }
        _ => {}
    }
}

/// A hex digest, not a secret: under a key that names one (`checksum/config`, `git-commit`), or
/// a commit's 40 hex digits as a label's or an annotation's value.
fn digest(path: &[Step<'_>], s: &str) -> bool {
    let Some(Step::Key(key)) = path.last() else {
        return false;
    };
    let meta = matches!(
        path.iter().rev().nth(1),
        Some(Step::Key("labels" | "annotations"))
    );
    let hex = s.rsplit(':').next().unwrap_or(s);
    hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && (super::tokens::names_a_digest(key) || (meta && hex.len() == 40))
}

/// A container's `command` and `args` read as the one command line they run (`mysql` in
/// `command`, `-phunter2` in `args`; `curl`, `-u`, `user:pw`): the value shapes that need
/// the words around them ([`super::value_spans`]) found across items, each hit on the item
/// that holds the value.
fn joined_arguments(m: &serde_json::Map<String, J>, path: &[Step<'_>], out: &mut Vec<Hit>) {
    let mut line = String::new();
    let mut items: Vec<(usize, usize, &str, usize)> = Vec::new();
    let mut at = 0;
    for key in ["command", "args"] {
        for (i, item) in m
            .get(key)
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(s) = item.as_str() else { continue };
            if !line.is_empty() {
                line.push(' ');
                at += 1;
            }
            let n = s.chars().count();
            line.push_str(s);
            items.push((at, at + n, key, i));
            at += n;
        }
    }
    if !super::may_hold_one(&line) {
        return;
    }
    let chars: Vec<char> = line.chars().collect();
    for (a, b) in super::value_spans(&chars) {
        for (s, e, key, i) in &items {
            if a < *e && b > *s {
                let mut p = Step::owned(path);
                p.extend([Seg::Key((*key).into()), Seg::Index(*i)]);
                if !out.iter().any(|h| h.path == p) {
                    out.push(Hit {
                        path: p,
                        why: Why::Command,
                    });
                }
            }
        }
    }
}

/// `--password=x` and `--password x` in a container's `args` or `command` (a `$(VAR)`
/// reference is not a value).
fn arguments(items: &[J], path: &[Seg], out: &mut Vec<Hit>) {
    let reference = |v: &str| v.is_empty() || (v.starts_with("$(") && v.ends_with(')'));
    for (i, item) in items.iter().enumerate() {
        let Some(arg) = item.as_str() else { continue };
        let Some(flag) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            continue;
        };
        let dashes = &arg[..arg.len() - flag.len()];
        let at = |j: usize| {
            let mut p = path.to_vec();
            p.push(Seg::Index(j));
            p
        };
        match flag.split_once('=') {
            Some((name, value)) if is_sensitive(name) && !reference(value) => {
                let flag = format!("{dashes}{name}");
                hit(out, at(i), Why::Argument { flag, joined: true });
            }
            None if is_sensitive(flag) => {
                if let Some(value) = items.get(i + 1).and_then(J::as_str)
                    && !value.starts_with('-')
                    && !reference(value)
                {
                    let flag = format!("{dashes}{flag}");
                    hit(
                        out,
                        at(i + 1),
                        Why::Argument {
                            flag,
                            joined: false,
                        },
                    );
                }
            }
            _ => {}
        }
    }
}

/// `v` with every map key that holds a credential ([`super::key_holds_credential`]: a token,
/// `password=hunter2`) renamed [`super::REDACTED_KEY`] (`<redacted 2>`, ... for more in one
/// map), and the same segments of a JSON 6902 `path` or `from` hidden: for showing an entry
/// as written (`config`), whose keys no check has refused yet.
pub fn redact_keys(v: &mut J) {
    match v {
        J::Object(m) => {
            if m.keys().any(|k| super::key_holds_credential(k)) {
                let old = std::mem::take(m);
                let mut n = 0;
                for (k, child) in old {
                    let k = if super::key_holds_credential(&k) {
                        n += 1;
                        if n == 1 {
                            super::REDACTED_KEY.to_owned()
                        } else {
                            format!("<redacted {n}>")
                        }
                    } else {
                        k
                    };
                    m.insert(k, child);
                }
            }
            for (k, child) in m.iter_mut() {
                if let (true, J::String(p)) = (matches!(k.as_str(), "path" | "from"), &mut *child)
                    && p.starts_with('/')
                {
                    let hidden: Vec<String> = p
                        .split('/')
                        .map(|s| super::shown_key(s).into_owned())
                        .collect();
                    *p = hidden.join("/");
                }
                redact_keys(child);
            }
        }
        J::Array(items) => items.iter_mut().for_each(redact_keys),
        _ => {}
    }
}

/// Credential values hidden in what `diff` shows of files agentctl reads back (a committed
/// directory, an output directory edited by hand): each distinct value found by [`in_object`]
/// in any object given to [`Redactor::object`] (both sides of a comparison) becomes
/// `<redacted N>`, one N per value, so a changed credential still shows as a change and an
/// unchanged one as none, and what it is never shows. The same values are then hidden in the
/// files' text ([`Redactor::text`]) for the unified diff.
#[derive(Debug, Default)]
pub struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    /// Replaces every credential value of `obj` by its mask.
    pub fn object(&mut self, obj: &mut J) {
        for hit in in_object(obj) {
            let Some(v) = value_mut(obj, &hit.path) else {
                continue;
            };
            let value = match &*v {
                J::String(s) => s.clone(),
                J::Null => continue,
                other => other.to_string(),
            };
            *v = J::String(self.mask(value));
        }
        // Keys last: the hits' paths name them.
        self.keys(obj);
    }

    /// Every key of `v` that holds a credential ([`super::key_holds_credential`]) renamed by
    /// its mask, and remembered, so the files' text hides it too.
    fn keys(&mut self, v: &mut J) {
        match v {
            J::Object(m) => {
                if m.keys().any(|k| super::key_holds_credential(k)) {
                    for (k, child) in std::mem::take(m) {
                        let k = if super::key_holds_credential(&k) {
                            self.mask(k)
                        } else {
                            k
                        };
                        m.insert(k, child);
                    }
                }
                m.values_mut().for_each(|c| self.keys(c));
            }
            J::Array(items) => items.iter_mut().for_each(|c| self.keys(c)),
            _ => {}
        }
    }

    /// Whether any credential was found.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn mask(&mut self, value: String) -> String {
        let n = match self.values.iter().position(|v| *v == value) {
            Some(i) => i + 1,
            None => {
                self.values.push(value);
                self.values.len()
            }
        };
        format!("<redacted {n}>")
    }

    /// `text` (a file's YAML) with every line of every value found hidden: wherever the line
    /// holds it as a word (not inside a longer word), raw or as written inside double quotes;
    /// a value shorter than four characters only where it is the whole scalar ending a line
    /// (`key: x`, `- x`), so a short one does not hide ordinary words.
    pub fn text(&self, text: &str) -> String {
        if self.values.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let mut line = line.to_owned();
            for (i, value) in self.values.iter().enumerate() {
                let mask = format!("<redacted {}>", i + 1);
                // The whole value as a double-quoted scalar writes it (`"x\npassword = y\n"`):
                // its lines are then not lines of the text, and `\n` glues a letter to them.
                let escaped = serde_json::to_string(value).unwrap_or_default();
                if let Some(inner) = escaped.get(1..escaped.len().saturating_sub(1))
                    && inner.contains('\\')
                {
                    line = bounded(&line, inner, &mask);
                }
                for piece in value.lines().map(str::trim).filter(|p| !p.is_empty()) {
                    let quoted = serde_json::to_string(piece).unwrap_or_default();
                    let inner = quoted
                        .get(1..quoted.len().saturating_sub(1))
                        .unwrap_or(piece);
                    for needle in [piece, inner] {
                        line = if needle.chars().count() < 4 {
                            ending(&line, needle, &mask)
                        } else {
                            bounded(&line, needle, &mask)
                        };
                    }
                }
            }
            out.push_str(&line);
        }
        out
    }
}

/// `line` with `needle` replaced where no letter or digit touches it on either side.
fn bounded(line: &str, needle: &str, mask: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find(needle) {
        let before = out
            .chars()
            .last()
            .filter(|_| i == 0)
            .or(rest[..i].chars().last());
        let after = rest[i + needle.len()..].chars().next();
        out.push_str(&rest[..i]);
        if word(before) || word(after) {
            out.push_str(needle);
        } else {
            out.push_str(mask);
        }
        rest = &rest[i + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// `line` with `needle` replaced when it is the whole scalar at the end of the line.
fn ending(line: &str, needle: &str, mask: &str) -> String {
    let body = line.trim_end();
    let end = &line[body.len()..];
    for (open, close) in [("", ""), ("\"", "\""), ("'", "'")] {
        let full = format!("{open}{needle}{close}");
        if let Some(head) = body.strip_suffix(&full)
            && (head.ends_with(": ") || head.ends_with("- ") || head.ends_with('='))
        {
            return format!("{head}{mask}{end}");
        }
    }
    line.to_owned()
}

/// The value at `path` in `obj`.
fn value_mut<'a>(obj: &'a mut J, path: &[Seg]) -> Option<&'a mut J> {
    let mut v = obj;
    for seg in path {
        v = match seg {
            Seg::Key(k) => v.get_mut(k.as_str())?,
            Seg::Index(i) => v.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn hits(obj: J) -> Vec<(String, String)> {
        in_object(&obj)
            .into_iter()
            .map(|h| {
                (
                    crate::config::patches::PathDisplay(&h.path).to_string(),
                    h.describe(),
                )
            })
            .collect()
    }

    #[test]
    fn every_place_a_credential_hides() {
        let url = "postgres://app:s3cr3t-pass@db:5432/app";
        let token = "ghp_0123456789abcdefghijABCDEFGHIJ";
        let found = hits(json!({
            "kind": "ConfigMap",
            "metadata": {"name": "c", "annotations": {"example.com/api-token": "x", "note": url},
                         "labels": {"password": "y"}},
            "data": {"DB_URL": url, "API_KEY": "plain", "MAX_TOKENS": "100", "README": format!("line\nkey: {token}\n")},
            "binaryData": {"SECRET": "aGk="},
        }));
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        for want in [
            "data.API_KEY",
            "binaryData.SECRET",
            "data.DB_URL",
            "data.README",
            "metadata.annotations.example.com/api-token",
            "metadata.annotations.note",
            "metadata.labels.password",
        ] {
            assert!(paths.contains(&want), "{want} not found in {found:?}");
        }
        assert!(!paths.contains(&"data.MAX_TOKENS"), "{found:?}");
        for (_, why) in &found {
            assert!(!why.contains("s3cr3t") && !why.contains("ghp_"), "{why}");
        }
    }

    #[test]
    fn containers_env_args_and_command() {
        let found = hits(json!({
            "kind": "Deployment",
            "spec": {"template": {"spec": {"containers": [{
                "name": "c",
                "env": [
                    {"name": "API_TOKEN", "value": "hunter2"},
                    {"name": "TOKEN_FILE", "value": "/run/t"},
                    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                    {"name": "HOME", "value": "sk-ant-api03-abcdefghijklmnopqrstuv"},
                ],
                "args": ["--password=hunter2", "--api-key", "abc", "--token=$(TOKEN)", "--verbose"],
                "command": ["run", "-secret", "x"],
            }]}}},
        }));
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        let arguments: Vec<String> = in_object(&json!({"kind": "Pod", "spec": {"containers": [
            {"name": "c", "args": ["--password=hunter2", "-api-key", "abc"]}]}}))
        .iter()
        .filter_map(Hit::argument)
        .collect();
        assert_eq!(arguments, ["--password=…", "-api-key …"]);
        assert_eq!(
            paths,
            [
                "spec.template.spec.containers[0].args[0]",
                "spec.template.spec.containers[0].args[2]",
                "spec.template.spec.containers[0].command[2]",
                "spec.template.spec.containers[0].env[0].value",
                "spec.template.spec.containers[0].env[3].value",
            ],
            "{found:?}"
        );
    }

    #[test]
    fn the_redactor_hides_each_value_and_keeps_changes_visible() {
        let mut r = Redactor::default();
        let mut old = json!({"kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"DB_PASSWORD": "hunter2-one", "API_KEY": "k", "MODE": "fast"}});
        let mut new = json!({"kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"DB_PASSWORD": "hunter2-two", "API_KEY": "k", "MODE": "fast"}});
        r.object(&mut old);
        r.object(&mut new);
        let (was, now) = (&old["data"]["DB_PASSWORD"], &new["data"]["DB_PASSWORD"]);
        assert!(
            was.as_str().is_some_and(|v| v.starts_with("<redacted ")),
            "{was}"
        );
        assert!(
            now.as_str().is_some_and(|v| v.starts_with("<redacted ")),
            "{now}"
        );
        assert_ne!(was, now);
        assert_eq!(old["data"]["API_KEY"], new["data"]["API_KEY"]);
        assert_ne!(new["data"]["API_KEY"], "k");
        assert_eq!(new["data"]["MODE"], "fast");
        let text =
            "data:\n  API_KEY: k\n  DB_PASSWORD: \"hunter2-two\"\n  MODE: fast\n  kind: k8s\n";
        let shown = r.text(text);
        assert!(
            !shown.contains("hunter2") && !shown.contains(": k\n"),
            "{shown}"
        );
        assert!(shown.contains("  DB_PASSWORD: \"<redacted "), "{shown}");
        assert!(shown.contains("  MODE: fast\n  kind: k8s\n"), "{shown}");
        // A key that holds a credential: renamed in the object, hidden in the text.
        let mut keyed = json!({"kind": "ConfigMap", "data": {"password=hunter2": "x"}});
        r.object(&mut keyed);
        assert!(
            keyed["data"]
                .as_object()
                .is_some_and(|m| m.keys().all(|k| k.starts_with("<redacted "))),
            "{keyed}"
        );
        assert!(!r.text("  password=hunter2: x\n").contains("hunter2"));
        // Inside a longer word a value stays (it is not that value).
        assert_eq!(r.text("x: hunter2-twofold\n"), "x: hunter2-twofold\n");
    }

    #[test]
    fn secrets_hold_credentials_by_kind() {
        let found = hits(json!({"kind": "Secret", "stringData": {"anything": "x", "empty": ""}}));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "stringData.anything");
    }
}
