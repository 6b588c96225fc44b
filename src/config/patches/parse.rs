//! Reading one `patches:` entry: its keys, its target (with label selectors), and its body,
//! a strategic-merge map or a list of JSON 6902 operations, each problem with its path inside
//! the entry; and the shape of one `resources:` entry (a whole object, never a Secret).

use serde_json::Value as J;

use super::*;

pub(super) const ENTRY_KEYS: &[&str] = &["target", "patch"];
pub(super) const TARGET_KEYS: &[&str] = &[
    "group",
    "version",
    "kind",
    "name",
    "namespace",
    "labelSelector",
];
pub(super) const OPS: &[&str] = &["add", "remove", "replace", "move", "copy", "test"];

pub(super) fn unknown_key(path: Vec<Seg>, k: &str, valid: &[&str], what: &str) -> PatchError {
    let mut e = PatchError::new(path, format!("unknown key `{k}` in {what}")).on_key();
    let list = valid
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    e = match did_you_mean(k, valid.iter().copied()) {
        Some(n) => e.hint(format!("did you mean `{n}`? valid keys: {list}")),
        None => e.hint(format!("valid keys: {list}")),
    };
    e
}

pub(super) fn type_name(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "a map",
    }
}

pub(super) fn string_at(v: &J, path: Vec<Seg>, what: &str) -> Result<String, PatchError> {
    match v {
        J::String(s) => Ok(s.clone()),
        other => Err(PatchError::new(
            path,
            format!("{what} must be a string, found {}", type_name(other)),
        )),
    }
}

pub(super) fn parse_selector(
    text: &str,
    path: Vec<Seg>,
) -> Result<Vec<(String, bool, String)>, PatchError> {
    let mut out = Vec::new();
    for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (k, eq, v) = if let Some((k, v)) = term.split_once("!=") {
            (k, false, v)
        } else if let Some((k, v)) = term.split_once("==") {
            (k, true, v)
        } else if let Some((k, v)) = term.split_once('=') {
            (k, true, v)
        } else {
            return Err(PatchError::new(
                path,
                format!("label selector term `{term}` is not `key=value` or `key!=value`"),
            )
            .hint("agentctl supports equality-based selectors: `app=agent,tier!=cache`"));
        };
        out.push((k.trim().to_owned(), eq, v.trim().to_owned()));
    }
    Ok(out)
}

pub(super) fn parse_target(v: &J) -> Result<Target, PatchError> {
    let here = vec![key("target")];
    let J::Object(m) = v else {
        return Err(PatchError::new(
            here,
            format!("`target` must be a map, found {}", type_name(v)),
        )
        .hint("e.g. `target: {kind: Deployment, name: agent-deployment}`"));
    };
    let mut t = Target::default();
    for (k, val) in m {
        let p = vec![key("target"), key(k)];
        let what = format!("`target.{k}`");
        match k.as_str() {
            "group" => t.group = Some(string_at(val, p, &what)?),
            "version" => t.version = Some(string_at(val, p, &what)?),
            "kind" => t.kind = Some(string_at(val, p, &what)?),
            "name" => t.name = Some(string_at(val, p, &what)?),
            "namespace" => t.namespace = Some(string_at(val, p, &what)?),
            "labelSelector" => {
                let s = string_at(val, p.clone(), &what)?;
                t.label_selector = parse_selector(&s, p)?;
            }
            other => {
                let mut e = unknown_key(p, other, TARGET_KEYS, "a patch target");
                if other == "annotationSelector" {
                    e = e.hint("agentctl selects by group, version, kind, name, namespace and labelSelector; use `name` to pick the object");
                }
                return Err(e);
            }
        }
    }
    Ok(t)
}

pub(super) fn split_api_version(api: &str) -> (&str, &str) {
    api.split_once('/').unwrap_or(("", api))
}

// Long on purpose: one arm per JSON 6902 operation, each with its own located errors; the arms
// share the path and `from` handling.
pub(super) fn parse_op(i: usize, v: &J) -> Result<json_patch::PatchOperation, PatchError> {
    let here = vec![key("patch"), Seg::Index(i)];
    let J::Object(m) = v else {
        return Err(PatchError::new(
            here,
            format!(
                "a JSON 6902 operation must be a map, found {}",
                type_name(v)
            ),
        )
        .hint(
            "e.g. `- {op: add, path: /spec/template/metadata/annotations/team, value: agents}`",
        ));
    };
    let op = match m.get("op") {
        Some(J::String(op)) => op.as_str(),
        Some(other) => {
            let mut p = here;
            p.push(key("op"));
            return Err(PatchError::new(
                p,
                format!("`op` must be a string, found {}", type_name(other)),
            ));
        }
        None => {
            return Err(PatchError::new(here, "a JSON 6902 operation needs `op`")
                .hint("`op` is one of add, remove, replace, move, copy, test"));
        }
    };
    let allowed: &[&str] = match op {
        "add" | "replace" | "test" => &["op", "path", "value"],
        "remove" => &["op", "path"],
        "move" | "copy" => &["op", "from", "path"],
        _ => {
            let mut p = here;
            p.push(key("op"));
            let e = PatchError::new(p, format!("unknown JSON 6902 operation `{op}`"));
            return Err(match did_you_mean(op, OPS.iter().copied()) {
                Some(n) => e.hint(format!(
                    "did you mean `{n}`? operations: add, remove, replace, move, copy, test"
                )),
                None => e.hint("operations: add, remove, replace, move, copy, test"),
            });
        }
    };
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            let mut p = here.clone();
            p.push(key(k));
            return Err(unknown_key(p, k, allowed, &format!("a `{op}` operation")));
        }
    }
    for k in allowed {
        if !m.contains_key(*k) {
            return Err(
                PatchError::new(here, format!("the `{op}` operation needs `{k}`")).hint(format!(
                    "a `{op}` operation has {}",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    for k in ["path", "from"] {
        if let Some(p) = m.get(k) {
            let mut at = here.clone();
            at.push(key(k));
            let s = string_at(p, at.clone(), &format!("`{k}`"))?;
            if !s.is_empty() && !s.starts_with('/') {
                return Err(PatchError::new(
                    at,
                    format!("`{s}` is not a JSON pointer: it must start with `/`"),
                )
                .hint(format!("write `/{}`", s.replace('.', "/"))));
            }
            if let Some(bad) = bad_escape(&s) {
                return Err(PatchError::new(
                    at,
                    format!("`{s}` is not a JSON pointer: `~` must be followed by 0 or 1 (found `{bad}`)"),
                )
                .hint("write `~0` for `~` and `~1` for `/` inside a key, e.g. `/metadata/annotations/example.com~1team`"));
            }
        }
    }
    serde_json::from_value(v.clone()).map_err(|e| PatchError::new(here, e.to_string()))
}

pub(super) fn bad_escape(s: &str) -> Option<String> {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.peek() {
                Some('0') | Some('1') => {}
                Some(n) => return Some(format!("~{n}")),
                None => return Some("~".into()),
            }
        }
    }
    None
}

/// Parses one `patches:` entry (`{target: ..., patch: ...}`), checking its shape.
///
/// `patch:` is a map (strategic merge) or a list (JSON 6902 operations). A strategic-merge
/// patch without `target:` names its object itself (`kind:` and `metadata.name:`, optionally
/// `apiVersion:`), as in Kustomize; a JSON 6902 patch needs `target:`.
// Long on purpose: checks one `patches:` entry key by key (target, body, directives) so every error
// names its own path; splitting would thread the same error context through each piece.
pub fn parse(entry: &J) -> Result<Patch, PatchError> {
    let J::Object(m) = entry else {
        return Err(PatchError::new(
            vec![],
            format!("a patch must be a map, found {}", type_name(entry)),
        )
        .hint("each entry of `patches:` is `{target: {kind: ..., name: ...}, patch: ...}`"));
    };
    for k in m.keys() {
        if !ENTRY_KEYS.contains(&k.as_str()) {
            let mut e = unknown_key(vec![key(k)], k, ENTRY_KEYS, "a patch");
            e = match k.as_str() {
                "path" => e.hint("agentctl takes the patch inline: put its content under `patch:` (it is part of this layer, with its own line numbers)"),
                "options" => e.hint("a patch can never change an object's name or kind; `options` is not supported"),
                _ => e,
            };
            return Err(e);
        }
    }
    let explicit = m.get("target").map(parse_target).transpose()?;
    let Some(body) = m.get("patch") else {
        return Err(PatchError::new(vec![], "a patch needs `patch:`").hint(
            "`patch:` is a partial object (strategic merge) or a list of `{op, path, value}` (JSON 6902)",
        ));
    };
    match body {
        J::Object(b) => {
            for (k, what) in [("apiVersion", "`apiVersion`"), ("kind", "`kind`")] {
                if let Some(v) = b.get(k) {
                    string_at(v, vec![key("patch"), key(k)], what)?;
                }
            }
            let target = match explicit {
                Some(t) => t,
                None => {
                    let kind = b.get("kind").and_then(J::as_str);
                    let name = body.pointer("/metadata/name").and_then(J::as_str);
                    let (Some(kind), Some(name)) = (kind, name) else {
                        return Err(PatchError::new(
                            vec![key("patch")],
                            "a strategic-merge patch without `target:` must name its object with `kind:` and `metadata.name:`",
                        )
                        .hint("add `target: {kind: Deployment, name: agent-deployment}` (or `kind:` and `metadata: {name: ...}` in the patch)"));
                    };
                    let (group, version) = match b.get("apiVersion").and_then(J::as_str) {
                        Some(api) => {
                            let (g, v) = split_api_version(api);
                            (Some(g.to_owned()), Some(v.to_owned()))
                        }
                        None => (None, None),
                    };
                    Target {
                        group,
                        version,
                        kind: Some(kind.to_owned()),
                        name: Some(name.to_owned()),
                        ..Target::default()
                    }
                }
            };
            Ok(Patch {
                explicit_target: m.contains_key("target"),
                target,
                body: Body::Strategic(body.clone()),
            })
        }
        J::Array(ops) => {
            let Some(target) = explicit else {
                return Err(PatchError::new(
                    vec![key("patch")],
                    "a JSON 6902 patch needs `target:` (its operations do not name an object)",
                )
                .hint("add `target: {kind: Deployment, name: agent-deployment}`"));
            };
            let ops = ops
                .iter()
                .enumerate()
                .map(|(i, op)| parse_op(i, op))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Patch {
                target,
                body: Body::Json6902(ops),
                explicit_target: true,
            })
        }
        other => Err(PatchError::new(
            vec![key("patch")],
            format!(
                "`patch` must be a map (strategic merge) or a list (JSON 6902), found {}",
                type_name(other)
            ),
        )
        .hint("write the patch as YAML under `patch:`, e.g. `patch: {spec: {replicas: 2}}` or `patch: [{op: replace, path: /spec/replicas, value: 2}]`")),
    }
}

/// Checks an extra object (`resources:` entry): a full object with `apiVersion`, `kind` and
/// `metadata.name`, never a Secret. Paths are inside the entry.
pub fn check_extra(obj: &J) -> Result<(), PatchError> {
    let J::Object(m) = obj else {
        return Err(PatchError::new(
            vec![],
            format!("an extra object must be a map, found {}", type_name(obj)),
        )
        .hint("each entry of `resources:` is a whole Kubernetes object: `apiVersion`, `kind`, `metadata: {name: ...}`, ..."));
    };
    for k in ["apiVersion", "kind"] {
        match m.get(k) {
            Some(J::String(_)) => {}
            Some(other) => {
                return Err(PatchError::new(
                    vec![key(k)],
                    format!("`{k}` must be a string, found {}", type_name(other)),
                ));
            }
            None => {
                return Err(PatchError::new(vec![], format!("an extra object needs `{k}`")).hint(
                    "each entry of `resources:` is a whole Kubernetes object: `apiVersion`, `kind`, `metadata: {name: ...}`, ...",
                ));
            }
        }
    }
    if obj.get("kind").and_then(J::as_str) == Some("Secret") {
        return Err(PatchError::new(
            vec![key("kind")],
            "agentctl never renders a Secret: not from its settings, not as an extra object",
        )
        .hint("create the Secret out of band (`kubectl create secret generic NAME --from-literal=KEY=...`) and reference it by name, e.g. with `secretKeyRef` in an env entry"));
    }
    match crate::k8s::object::pointer(obj, "/metadata/name") {
        Some(J::String(s)) if !s.is_empty() => Ok(()),
        _ => Err(PatchError::new(
            if m.contains_key("metadata") {
                vec![key("metadata")]
            } else {
                vec![]
            },
            "an extra object needs `metadata.name`",
        )
        .hint("e.g. `metadata: {name: agent-prompts}`")),
    }
}
