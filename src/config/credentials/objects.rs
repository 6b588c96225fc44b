//! The credential policy over a Kubernetes object: where a final object (a patched one, an
//! extra one) holds a credential's value. One function, [`in_object`], used by the patches
//! (a hit refuses the patch or extra object, located at it) and by lint rule AGT160 (the same
//! hits as findings), so typed settings, patches, extra objects and lint share one notion.
//!
//! A string is a credential when its *shape* says so (every string of the object, keys
//! included, line by line: [`super::value_spans`]) or when its *name* does
//! ([`super::is_sensitive`]) in the places that name a value: a ConfigMap's `data` and
//! `binaryData` keys, an environment variable's literal `value`, an annotation or a label, a
//! `--name=value` or `--name value` argument of `args`/`command`. A Secret's `data` and
//! `stringData` are credentials whatever their names: agentctl's output is committed, and
//! Secrets are created out of band.

use serde_json::Value as J;

use super::{is_sensitive, looks_like_credential};
use crate::config::patches::Seg;

/// Why a string is a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Its name says so (the variable, key, annotation or flag name).
    Named(String),
    /// Its shape says so (a token, a JWT, a private key, a URL's password).
    Shaped,
    /// It is a value of a Secret.
    SecretValue(String),
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
            Why::Named(name) => format!("`{name}` looks like a credential"),
            Why::Shaped => {
                "a value shaped like a credential (a token, a JWT, a private key or a URL's password)"
                    .to_owned()
            }
            Why::SecretValue(key) => format!("the Secret's value `{key}` is a credential"),
        }
    }

    /// The name under which the value is known, when it has one.
    pub fn name(&self) -> Option<&str> {
        match &self.why {
            Why::Named(n) | Why::SecretValue(n) => Some(n),
            Why::Shaped => None,
        }
    }
}

/// Every credential value in `obj`, one hit per value (a named hit wins over a shaped one at
/// the same path), in document order.
pub fn in_object(obj: &J) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    let kind = obj.get("kind").and_then(J::as_str).unwrap_or_default();
    let key = |k: &str| Seg::Key(k.to_owned());
    match kind {
        "ConfigMap" => {
            for field in ["data", "binaryData"] {
                for (k, v) in obj.get(field).and_then(J::as_object).into_iter().flatten() {
                    if is_sensitive(k) && filled(v) {
                        named(&mut out, vec![key(field), key(k)], k);
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

/// A value that holds something (an empty string or null is no credential).
fn filled(v: &J) -> bool {
    match v {
        J::String(s) => !s.is_empty(),
        J::Null => false,
        _ => true,
    }
}

fn named(out: &mut Vec<Hit>, path: Vec<Seg>, name: &str) {
    out.retain(|h| h.path != path);
    out.push(Hit {
        path,
        why: Why::Named(name.to_owned()),
    });
}

fn shaped(out: &mut Vec<Hit>, path: &[Seg]) {
    if !out.iter().any(|h| h.path == path) {
        out.push(Hit {
            path: path.to_vec(),
            why: Why::Shaped,
        });
    }
}

/// One step of the path being walked, borrowed (made a [`Seg`] only for a hit: the walk
/// visits every key of every object).
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn owned(path: &[Step<'_>]) -> Vec<Seg> {
    path.iter()
        .map(|s| match s {
            Step::Key(k) => Seg::Key((*k).to_owned()),
            Step::Index(i) => Seg::Index(*i),
        })
        .collect()
}

fn walk<'a>(v: &'a J, path: &mut Vec<Step<'a>>, out: &mut Vec<Hit>) {
    match v {
        J::String(s) if looks_like_credential(s) => shaped(out, &owned(path)),
        J::Array(items) => {
            let parent = match path.last() {
                Some(Step::Key(k)) => *k,
                _ => "",
            };
            if parent == "env" {
                for (i, item) in items.iter().enumerate() {
                    let name = item.get("name").and_then(J::as_str).unwrap_or_default();
                    if is_sensitive(name) && item.get("value").is_some_and(filled) {
                        let mut p = owned(path);
                        p.extend([Seg::Index(i), Seg::Key("value".into())]);
                        named(out, p, name);
                    }
                }
            }
            if matches!(parent, "args" | "command") {
                arguments(items, &owned(path), out);
            }
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(item, path, out);
                path.pop();
            }
        }
        J::Object(m) => {
            let in_metadata = matches!(path.last(), Some(Step::Key("metadata")));
            for (k, child) in m {
                path.push(Step::Key(k));
                if looks_like_credential(k) {
                    shaped(out, &owned(path));
                }
                if in_metadata && matches!(k.as_str(), "annotations" | "labels") {
                    for (name, value) in child.as_object().into_iter().flatten() {
                        // `example.com/api-token`: the name after the prefix.
                        let bare = name.rsplit('/').next().unwrap_or(name);
                        if is_sensitive(bare) && filled(value) {
                            let mut p = owned(path);
                            p.push(Seg::Key(name.clone()));
                            named(out, p, name);
                        }
                    }
                }
                walk(child, path, out);
                path.pop();
            }
        }
        _ => {}
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
        let at = |j: usize| {
            let mut p = path.to_vec();
            p.push(Seg::Index(j));
            p
        };
        match flag.split_once('=') {
            Some((name, value)) if is_sensitive(name) && !reference(value) => {
                named(out, at(i), name);
            }
            None if is_sensitive(flag) => {
                if let Some(value) = items.get(i + 1).and_then(J::as_str)
                    && !value.starts_with('-')
                    && !reference(value)
                {
                    named(out, at(i + 1), flag);
                }
            }
            _ => {}
        }
    }
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
    fn secrets_hold_credentials_by_kind() {
        let found = hits(json!({"kind": "Secret", "stringData": {"anything": "x", "empty": ""}}));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "stringData.anything");
    }
}
