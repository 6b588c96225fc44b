//! Patches: Kustomize's own vocabulary for what no typed setting covers, applied to the
//! rendered objects at render time.
//!
//! This module owns the patch *semantics* over plain JSON values: the shape of one `patches:`
//! entry (Kustomize's `target:` + `patch:`), which rendered objects a target selects, the
//! strategic merge (with Kubernetes' list merge keys for the kinds agentctl renders and the
//! `$patch` directives), JSON 6902 operations (through the `json-patch` crate), the list of
//! changes each patch made (for provenance and for pointing a failed round trip back at the
//! patch line that caused it), and the identity rules (a patch never changes an object's kind,
//! API version, name or namespace, so it can never turn anything into a Secret). It knows
//! nothing of YAML, files or positions: every error carries a path *inside the patch entry*,
//! and the layer code that parsed the entry turns that path into file:line:col.
//!
//! Semantics follow `kubectl kustomize` (kustomize v5), checked against it by tests:
//! - a map in the patch merges key by key; `null` deletes a key; `$patch: replace` replaces the
//!   whole map; `$patch: delete` removes it;
//! - a list with a Kubernetes merge key (containers, initContainers, volumes, env by `name`;
//!   container ports by `containerPort`; volumeMounts by `mountPath`; Service ports by `port`;
//!   ...) merges item by item: an item whose key exists is merged into it, a new item is added,
//!   `{name: X, $patch: delete}` removes item X, and an item `{$patch: replace}` makes the
//!   patch's items the whole list. The result lists the patch's items first (in patch order),
//!   then the items the patch did not mention, in their original order: kustomize's order;
//! - any other list (tolerations, args, NetworkPolicy rules, every list of a custom resource)
//!   is replaced as a whole.
//!
//! Two deliberate differences from kustomize, both errors where kustomize silently does
//! something surprising: an item of a merged list without its merge key (kustomize empties the
//! list), and a target that selects nothing (kustomize ignores the patch).

use std::fmt;

use serde_json::{Map, Value as J};

use crate::suggest::did_you_mean;

/// One step of a path: a map key, a list index, or a list item named by its merge key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
    /// A list item identified by its merge key (`containers[name=sidecar]`).
    Item {
        /// The merge key (`name`, `containerPort`, `mountPath`, ...).
        key: String,
        /// Its value, as written in messages (`sidecar`, `8080`).
        value: String,
    },
}

/// A path written as users read it: `spec.template.spec.containers[name=agent].env[0]`.
pub struct PathDisplay<'a>(pub &'a [Seg]);

impl fmt::Display for PathDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Item { key, value } => write!(f, "[{key}={value}]")?,
            }
        }
        Ok(())
    }
}

/// What went wrong in one patch entry, and where inside the entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchError {
    /// Path inside the `patches:` entry (`[Key("patch"), Key("spec"), ...]`); the layer code
    /// turns it into file:line:col. Empty: the entry as a whole.
    pub path: Vec<Seg>,
    /// When true the caret belongs on the key at `path`, not on its value.
    pub on_key: bool,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we know.
    pub hint: Option<String>,
}

impl PatchError {
    fn new(path: Vec<Seg>, message: impl Into<String>) -> Self {
        PatchError {
            path,
            on_key: false,
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    fn on_key(mut self) -> Self {
        self.on_key = true;
        self
    }
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

/// Which objects a patch applies to: Kustomize's `target:` selector (exact matches; an absent
/// field matches anything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// API group (`apps`; empty for the core group).
    pub group: Option<String>,
    /// API version (`v1`).
    pub version: Option<String>,
    /// Kind (`Deployment`).
    pub kind: Option<String>,
    /// Object name (`agent-deployment`); exact, not a regular expression.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Equality-based label selector (`app=agent,tier!=cache`), parsed.
    pub label_selector: Vec<(String, bool, String)>,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (name, v) in [
            ("group", &self.group),
            ("version", &self.version),
            ("kind", &self.kind),
            ("name", &self.name),
            ("namespace", &self.namespace),
        ] {
            if let Some(v) = v {
                parts.push(format!("{name}: {v}"));
            }
        }
        if !self.label_selector.is_empty() {
            let sel: Vec<String> = self
                .label_selector
                .iter()
                .map(|(k, eq, v)| format!("{k}{}{v}", if *eq { "=" } else { "!=" }))
                .collect();
            parts.push(format!("labelSelector: {}", sel.join(",")));
        }
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// The body of a patch.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A strategic-merge patch: a partial object.
    Strategic(J),
    /// JSON 6902 operations, each with its source value (for messages).
    Json6902(Vec<json_patch::PatchOperation>),
}

/// One parsed `patches:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// The objects it applies to.
    pub target: Target,
    /// What it does.
    pub body: Body,
    /// Whether `target:` was written (otherwise it came from the body's kind and name).
    pub explicit_target: bool,
}

/// What one patch did to one object, for provenance and for locating round-trip failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Where in the object (list items by merge key where the list has one).
    pub object_path: Vec<Seg>,
    /// Where in the patch entry the value (or the deleting directive) was written.
    pub patch_path: Vec<Seg>,
    /// True when the patch removed the value.
    pub removed: bool,
}

const ENTRY_KEYS: &[&str] = &["target", "patch"];
const TARGET_KEYS: &[&str] = &[
    "group",
    "version",
    "kind",
    "name",
    "namespace",
    "labelSelector",
];
const OPS: &[&str] = &["add", "remove", "replace", "move", "copy", "test"];

fn unknown_key(path: Vec<Seg>, k: &str, valid: &[&str], what: &str) -> PatchError {
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

fn type_name(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "a map",
    }
}

fn string_at(v: &J, path: Vec<Seg>, what: &str) -> Result<String, PatchError> {
    match v {
        J::String(s) => Ok(s.clone()),
        other => Err(PatchError::new(
            path,
            format!("{what} must be a string, found {}", type_name(other)),
        )),
    }
}

fn parse_selector(text: &str, path: Vec<Seg>) -> Result<Vec<(String, bool, String)>, PatchError> {
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

fn parse_target(v: &J) -> Result<Target, PatchError> {
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

fn split_api_version(api: &str) -> (&str, &str) {
    api.split_once('/').unwrap_or(("", api))
}

// Long on purpose: one arm per JSON 6902 operation, each with its own located errors; the arms
// share the path and `from` handling.
fn parse_op(i: usize, v: &J) -> Result<json_patch::PatchOperation, PatchError> {
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

fn bad_escape(s: &str) -> Option<String> {
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

fn str_at<'a>(obj: &'a J, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(J::as_str).unwrap_or_default()
}

/// `Kind/name` of an object, for messages.
pub fn object_id(obj: &J) -> String {
    format!("{}/{}", str_at(obj, "/kind"), str_at(obj, "/metadata/name"))
}

/// Whether `target` selects `obj`.
pub fn matches(target: &Target, obj: &J) -> bool {
    let (group, version) = split_api_version(str_at(obj, "/apiVersion"));
    let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
    eq(&target.group, group)
        && eq(&target.version, version)
        && eq(&target.kind, str_at(obj, "/kind"))
        && eq(&target.name, str_at(obj, "/metadata/name"))
        && eq(&target.namespace, str_at(obj, "/metadata/namespace"))
        && target.label_selector.iter().all(|(k, want_eq, v)| {
            let have = obj
                .pointer("/metadata/labels")
                .and_then(|l| l.get(k))
                .and_then(J::as_str);
            (have == Some(v.as_str())) == *want_eq
        })
}

/// Indices of the objects `target` selects.
pub fn select(target: &Target, objects: &[J]) -> Vec<usize> {
    objects
        .iter()
        .enumerate()
        .filter(|(_, o)| matches(target, o))
        .map(|(i, _)| i)
        .collect()
}

/// The error for a target that selects nothing: the closest `Kind/name` among `objects` and
/// the list of them all.
pub fn no_match(patch: &Patch, objects: &[J]) -> PatchError {
    let ids: Vec<String> = objects.iter().map(object_id).collect();
    // The caret goes where the typo most likely is: the name, else the kind.
    let path = match (
        patch.explicit_target,
        &patch.target.name,
        &patch.target.kind,
    ) {
        (true, Some(_), _) => vec![key("target"), key("name")],
        (true, None, Some(_)) => vec![key("target"), key("kind")],
        (true, None, None) => vec![key("target")],
        (false, _, _) => vec![key("patch"), key("metadata"), key("name")],
    };
    let wanted = format!(
        "{}/{}",
        patch.target.kind.as_deref().unwrap_or("*"),
        patch.target.name.as_deref().unwrap_or("*")
    );
    let mut e = PatchError::new(
        path,
        format!(
            "this patch's target {} matches none of the rendered objects",
            patch.target
        ),
    );
    let best = did_you_mean(&wanted, ids.iter().map(String::as_str)).or_else(|| {
        // Same kind, any name: the likeliest intent.
        let kind = patch.target.kind.as_deref()?;
        ids.iter()
            .map(String::as_str)
            .find(|id| id.split('/').next() == Some(kind))
    });
    let list = ids.join(", ");
    e = match best {
        Some(b) => e.hint(format!("did you mean `{b}`? rendered objects: {list}")),
        None => e.hint(format!("rendered objects: {list}")),
    };
    e
}

/// How a list is merged by a strategic-merge patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMerge {
    /// Replaced as a whole.
    Replace,
    /// Merged item by item on this key.
    ByKey(&'static str),
    /// A list of scalars merged as a set (`metadata.finalizers`).
    Set,
}

fn pod_spec_prefix(api: &str, kind: &str) -> Option<&'static [&'static str]> {
    match (api, kind) {
        ("v1", "Pod") => Some(&["spec"]),
        ("v1", "PodTemplate") => Some(&["template", "spec"]),
        ("v1", "ReplicationController")
        | ("apps/v1", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch/v1", "Job") => Some(&["spec", "template", "spec"]),
        ("batch/v1", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

fn builtin(api: &str) -> bool {
    let (group, _) = split_api_version(api);
    !group.contains('.') || group.ends_with(".k8s.io")
}

/// The merge strategy of the list at `fields` (the field names from the object's root, list
/// indices left out) in an object of this API version and kind, as Kubernetes declares it
/// (`x-kubernetes-patch-merge-key`). Lists of custom resources are replaced, as kustomize does
/// without their schema.
pub fn list_merge(api: &str, kind: &str, fields: &[&str]) -> ListMerge {
    if !builtin(api) {
        return ListMerge::Replace;
    }
    match fields {
        [.., "metadata", "finalizers"] => return ListMerge::Set,
        [.., "metadata", "ownerReferences"] => return ListMerge::ByKey("uid"),
        ["spec", "ports"] if api == "v1" && kind == "Service" => return ListMerge::ByKey("port"),
        _ => {}
    }
    let Some(prefix) = pod_spec_prefix(api, kind) else {
        return ListMerge::Replace;
    };
    let Some(rest) = fields.strip_prefix(prefix) else {
        return ListMerge::Replace;
    };
    match rest {
        ["containers" | "initContainers" | "ephemeralContainers"]
        | ["volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates"] => {
            ListMerge::ByKey("name")
        }
        ["hostAliases"] => ListMerge::ByKey("ip"),
        ["topologySpreadConstraints"] => ListMerge::ByKey("topologyKey"),
        [
            "containers" | "initContainers" | "ephemeralContainers",
            list,
        ] => match *list {
            "env" => ListMerge::ByKey("name"),
            "ports" => ListMerge::ByKey("containerPort"),
            "volumeMounts" => ListMerge::ByKey("mountPath"),
            "volumeDevices" => ListMerge::ByKey("devicePath"),
            _ => ListMerge::Replace,
        },
        _ => ListMerge::Replace,
    }
}

/// A merge-key value as written in paths and messages.
fn key_text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Merger<'a> {
    api: &'a str,
    kind: &'a str,
    changes: Vec<Change>,
}

/// The directive of a map, if any (`$patch: replace|delete|merge`).
fn directive(m: &Map<String, J>, at: &[Seg]) -> Result<Option<&'static str>, PatchError> {
    match m.get("$patch") {
        None => Ok(None),
        Some(J::String(s)) if s == "replace" => Ok(Some("replace")),
        Some(J::String(s)) if s == "delete" => Ok(Some("delete")),
        Some(J::String(s)) if s == "merge" => Ok(None),
        Some(other) => {
            let mut p = at.to_vec();
            p.push(key("$patch"));
            Err(PatchError::new(
                p,
                format!("unknown directive `$patch: {}`", key_text(other)),
            )
            .hint("`$patch` is `replace`, `delete` or `merge`"))
        }
    }
}

fn check_directive_keys(m: &Map<String, J>, at: &[Seg]) -> Result<(), PatchError> {
    for k in m.keys() {
        if k.starts_with('$') && k != "$patch" {
            let mut p = at.to_vec();
            p.push(key(k));
            return Err(PatchError::new(p, format!("the directive `{k}` is not supported")).on_key().hint(
                "agentctl supports `$patch: replace|delete|merge` and `null`; for anything else use a JSON 6902 patch (`op: remove`, ...)",
            ));
        }
    }
    Ok(())
}

impl Merger<'_> {
    fn record(&mut self, obj: &[Seg], patch: &[Seg], removed: bool) {
        self.changes.push(Change {
            object_path: obj.to_vec(),
            patch_path: patch.to_vec(),
            removed,
        });
    }

    /// A patch value placed where nothing was to merge with: directives resolved, `null`s
    /// dropped. `None`: the value deletes itself (`$patch: delete`).
    fn fresh(
        &self,
        v: &J,
        fields: &mut Vec<String>,
        at: &mut Vec<Seg>,
    ) -> Result<Option<J>, PatchError> {
        match v {
            J::Object(m) => {
                check_directive_keys(m, at)?;
                if directive(m, at)? == Some("delete") {
                    return Ok(None);
                }
                let mut out = Map::new();
                for (k, val) in m {
                    if k == "$patch" || val.is_null() {
                        continue;
                    }
                    fields.push(k.clone());
                    at.push(key(k));
                    let r = self.fresh(val, fields, at);
                    at.pop();
                    fields.pop();
                    if let Some(x) = r? {
                        out.insert(k.clone(), x);
                    }
                }
                Ok(Some(J::Object(out)))
            }
            J::Array(items) => {
                let strategy = self.strategy(fields);
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    at.push(Seg::Index(i));
                    let r = match item {
                        J::Object(m) if is_replace_marker(m) => Ok(None),
                        J::Object(m) => {
                            if let ListMerge::ByKey(k) = strategy {
                                merge_key_of(m, k, at, fields)?;
                            }
                            self.fresh(item, fields, at)
                        }
                        other => Ok(Some(other.clone())),
                    };
                    at.pop();
                    if let Some(x) = r? {
                        out.push(x);
                    }
                }
                Ok(Some(J::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    fn strategy(&self, fields: &[String]) -> ListMerge {
        let f: Vec<&str> = fields.iter().map(String::as_str).collect();
        list_merge(self.api, self.kind, &f)
    }

    /// Merges patch map `p` into `dest`. Returns false when the patch deletes the map.
    fn merge_map(
        &mut self,
        dest: &mut Map<String, J>,
        p: &Map<String, J>,
        fields: &mut Vec<String>,
        obj: &mut Vec<Seg>,
        at: &mut Vec<Seg>,
    ) -> Result<bool, PatchError> {
        check_directive_keys(p, at)?;
        match directive(p, at)? {
            Some("delete") => {
                self.record(obj, at, true);
                return Ok(false);
            }
            Some(_) => {
                let Some(J::Object(fresh)) = self.fresh(&J::Object(p.clone()), fields, at)? else {
                    return Ok(false);
                };
                *dest = fresh;
                self.record(obj, at, false);
                return Ok(true);
            }
            None => {}
        }
        for (k, pv) in p {
            if k == "$patch" {
                continue;
            }
            fields.push(k.clone());
            obj.push(key(k));
            at.push(key(k));
            let r = self.merge_entry(dest, k, pv, fields, obj, at);
            at.pop();
            obj.pop();
            fields.pop();
            r?;
        }
        Ok(true)
    }

    fn merge_entry(
        &mut self,
        dest: &mut Map<String, J>,
        k: &str,
        pv: &J,
        fields: &mut Vec<String>,
        obj: &mut Vec<Seg>,
        at: &mut Vec<Seg>,
    ) -> Result<(), PatchError> {
        match (dest.get_mut(k), pv) {
            (_, J::Null) => {
                if dest.remove(k).is_some() {
                    self.record(obj, at, true);
                }
            }
            (Some(J::Object(d)), J::Object(pm)) => {
                if !self.merge_map(d, pm, fields, obj, at)? {
                    dest.remove(k);
                }
            }
            (existing, J::Array(items)) => {
                let strategy = self.strategy(fields);
                let old = match existing {
                    Some(J::Array(old)) => Some(old.clone()),
                    _ => None,
                };
                let merged = match (strategy, old) {
                    (ListMerge::ByKey(mk), Some(old)) => {
                        self.merge_list(old, items, mk, fields, obj, at)?
                    }
                    (ListMerge::Set, Some(old)) => {
                        let mut out: Vec<J> = items.clone();
                        for o in old {
                            if !out.contains(&o) {
                                out.push(o);
                            }
                        }
                        self.record(obj, at, false);
                        out
                    }
                    _ => {
                        let Some(J::Array(out)) = self.fresh(pv, fields, at)? else {
                            return Ok(());
                        };
                        self.record(obj, at, false);
                        out
                    }
                };
                dest.insert(k.to_owned(), J::Array(merged));
            }
            (_, J::Object(_)) => match self.fresh(pv, fields, at)? {
                Some(v) => {
                    dest.insert(k.to_owned(), v);
                    self.record(obj, at, false);
                }
                None => {
                    if dest.remove(k).is_some() {
                        self.record(obj, at, true);
                    }
                }
            },
            (_, scalar) => {
                // Only what changes is a change (a list item's merge key is rewritten as is).
                if dest.insert(k.to_owned(), scalar.clone()).as_ref() != Some(scalar) {
                    self.record(obj, at, false);
                }
            }
        }
        Ok(())
    }

    fn merge_list(
        &mut self,
        old: Vec<J>,
        items: &[J],
        mk: &'static str,
        fields: &mut Vec<String>,
        obj: &mut Vec<Seg>,
        at: &mut Vec<Seg>,
    ) -> Result<Vec<J>, PatchError> {
        if items
            .iter()
            .any(|i| matches!(i, J::Object(m) if is_replace_marker(m)))
        {
            let Some(J::Array(out)) = self.fresh(&J::Array(items.to_vec()), fields, at)? else {
                return Ok(old);
            };
            self.record(obj, at, false);
            return Ok(out);
        }
        let mut old: Vec<Option<J>> = old.into_iter().map(Some).collect();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            at.push(Seg::Index(i));
            let r = self.merge_item(&mut old, item, mk, fields, obj, at);
            at.pop();
            if let Some(v) = r? {
                out.push(v);
            }
        }
        out.extend(old.into_iter().flatten());
        Ok(out)
    }

    fn merge_item(
        &mut self,
        old: &mut [Option<J>],
        item: &J,
        mk: &'static str,
        fields: &mut Vec<String>,
        obj: &mut Vec<Seg>,
        at: &mut Vec<Seg>,
    ) -> Result<Option<J>, PatchError> {
        let J::Object(pm) = item else {
            return Err(PatchError::new(
                at.clone(),
                format!(
                    "an item of `{}` must be a map with `{mk}`, found {}",
                    fields.last().map(String::as_str).unwrap_or_default(),
                    type_name(item)
                ),
            ));
        };
        let kv = merge_key_of(pm, mk, at, fields)?;
        obj.push(Seg::Item {
            key: mk.to_owned(),
            value: key_text(kv),
        });
        let found = old
            .iter_mut()
            .find(|o| o.as_ref().and_then(|o| o.get(mk)) == Some(kv));
        let result = match found {
            Some(slot) => {
                let mut existing = slot.take();
                match &mut existing {
                    Some(J::Object(d)) => {
                        if self.merge_map(d, pm, fields, obj, at)? {
                            existing
                        } else {
                            None
                        }
                    }
                    _ => None,
                }
            }
            None => {
                let v = self.fresh(item, fields, at)?;
                if v.is_some() {
                    self.record(obj, at, false);
                }
                v
            }
        };
        obj.pop();
        Ok(result)
    }
}

fn is_replace_marker(m: &Map<String, J>) -> bool {
    m.len() == 1 && m.get("$patch").and_then(J::as_str) == Some("replace")
}

fn merge_key_of<'m>(
    m: &'m Map<String, J>,
    mk: &str,
    at: &[Seg],
    fields: &[String],
) -> Result<&'m J, PatchError> {
    match m.get(mk) {
        Some(v) if !v.is_null() => Ok(v),
        _ => {
            let list = fields.last().map(String::as_str).unwrap_or_default();
            Err(PatchError::new(
                at.to_vec(),
                format!("this item of `{list}` has no `{mk}`, the key Kubernetes merges `{list}` by"),
            )
            .hint(format!(
                "add `{mk}:` to say which item to change (or to add a new one); to replace the whole list, add an item `$patch: replace`"
            )))
        }
    }
}

/// The fields a patch may not change: they identify the object.
const IDENTITY: &[&str] = &[
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
];

fn identity_error(path: Vec<Seg>, what: &str, before: &J, after: &J) -> PatchError {
    PatchError::new(
        path,
        format!(
            "a patch cannot change an object's {what} ({} to {})",
            key_text(before),
            key_text(after)
        ),
    )
    .hint(match what {
        "kind" | "apiVersion" => "a patch changes fields of the object it targets; to add an object of another kind, put it under `resources:` (Secrets are never rendered: create them out of band)",
        _ => "names and the namespace come from agentctl's typed settings (`namespace`, ...); remove this change",
    })
}

fn identity(obj: &J) -> Vec<J> {
    IDENTITY
        .iter()
        .map(|p| obj.pointer(p).cloned().unwrap_or(J::Null))
        .collect()
}

/// Applies one patch to one object; returns what it changed.
///
/// A strategic-merge body's `apiVersion` and `kind` must be the object's (a patch never turns
/// an object into another kind); its `metadata.name` and `metadata.namespace` only select the
/// object when there is no `target:`, and never rename it.
// Long on purpose: one pass over the two patch kinds and the identity check before and after; the
// steps share the object snapshot that identity errors compare against.
pub fn apply(obj: &mut J, patch: &Patch) -> Result<Vec<Change>, PatchError> {
    let api = str_at(obj, "/apiVersion").to_owned();
    let kind = str_at(obj, "/kind").to_owned();
    let before = identity(obj);
    match &patch.body {
        Body::Strategic(body) => {
            let J::Object(b) = body else {
                return Ok(Vec::new());
            };
            let mut b = b.clone();
            for (k, have) in [("apiVersion", &api), ("kind", &kind)] {
                if let Some(v) = b.remove(k)
                    && v.as_str() != Some(have.as_str())
                {
                    return Err(identity_error(
                        vec![key("patch"), key(k)],
                        k,
                        &J::String(have.clone()),
                        &v,
                    ));
                }
            }
            if let Some(J::Object(meta)) = b.get_mut("metadata") {
                meta.remove("name");
                meta.remove("namespace");
            }
            let J::Object(dest) = obj else {
                return Ok(Vec::new());
            };
            let mut m = Merger {
                api: &api,
                kind: &kind,
                changes: Vec::new(),
            };
            m.merge_map(
                dest,
                &b,
                &mut Vec::new(),
                &mut Vec::new(),
                &mut vec![key("patch")],
            )?;
            Ok(m.changes)
        }
        Body::Json6902(ops) => {
            let mut changes = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let at = |k: &str| vec![key("patch"), Seg::Index(i), key(k)];
                let ptr = op.path().to_string();
                // Remove records where the value was before it went.
                let removed_path = match op {
                    json_patch::PatchOperation::Remove(_) => Some(keyed(obj, &api, &kind, &ptr)),
                    _ => None,
                };
                if let Err(e) = json_patch::patch(obj, std::slice::from_ref(op)) {
                    return Err(op_error(obj, op, &e.kind, i));
                }
                for (n, p) in IDENTITY.iter().enumerate() {
                    let now = obj.pointer(p).cloned().unwrap_or(J::Null);
                    if let Some(was) = before.get(n)
                        && *was != now
                    {
                        let what = p.rsplit('/').next().unwrap_or(p);
                        return Err(identity_error(at("path"), what, was, &now));
                    }
                }
                match op {
                    json_patch::PatchOperation::Test(_) => {}
                    json_patch::PatchOperation::Remove(_) => changes.push(Change {
                        object_path: removed_path.unwrap_or_default(),
                        patch_path: at("path"),
                        removed: true,
                    }),
                    json_patch::PatchOperation::Add(_) | json_patch::PatchOperation::Replace(_) => {
                        changes.push(Change {
                            object_path: keyed(obj, &api, &kind, &ptr),
                            patch_path: at("value"),
                            removed: false,
                        })
                    }
                    json_patch::PatchOperation::Move(_) | json_patch::PatchOperation::Copy(_) => {
                        changes.push(Change {
                            object_path: keyed(obj, &api, &kind, &ptr),
                            patch_path: at("from"),
                            removed: false,
                        })
                    }
                }
            }
            Ok(changes)
        }
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn tokens(ptr: &str) -> Vec<String> {
    if ptr.is_empty() {
        return Vec::new();
    }
    ptr.split('/').skip(1).map(unescape).collect()
}

/// An object path for a JSON pointer into `obj`: list items by merge key where the list has
/// one (`-` resolves to the last item).
pub fn keyed(obj: &J, api: &str, kind: &str, ptr: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut fields: Vec<&str> = Vec::new();
    let mut here = Some(obj);
    let toks = tokens(ptr);
    for t in &toks {
        match here {
            Some(J::Array(items)) => {
                let idx = if t == "-" {
                    items.len().checked_sub(1)
                } else {
                    t.parse::<usize>().ok()
                };
                let item = idx.and_then(|i| items.get(i));
                let seg = match (list_merge(api, kind, &fields), item) {
                    (ListMerge::ByKey(k), Some(it)) => match it.get(k) {
                        Some(v) => Seg::Item {
                            key: k.to_owned(),
                            value: key_text(v),
                        },
                        None => Seg::Index(idx.unwrap_or_default()),
                    },
                    _ => Seg::Index(idx.unwrap_or_default()),
                };
                out.push(seg);
                here = item;
            }
            Some(J::Object(m)) => {
                out.push(Seg::Key(t.clone()));
                fields.push(t);
                here = m.get(t.as_str());
            }
            _ => {
                out.push(match t.parse::<usize>() {
                    Ok(n) => Seg::Index(n),
                    Err(_) => Seg::Key(t.clone()),
                });
                here = None;
            }
        }
    }
    out
}

/// Converts an object path with indices (as a round-trip comparison reports it) to one with
/// list items by merge key.
pub fn keyed_path(obj: &J, path: &[Seg]) -> Vec<Seg> {
    let api = str_at(obj, "/apiVersion");
    let kind = str_at(obj, "/kind");
    let mut ptr = String::new();
    for seg in path {
        ptr.push('/');
        match seg {
            Seg::Key(k) => ptr.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => ptr.push_str(&i.to_string()),
            Seg::Item { value, .. } => ptr.push_str(value),
        }
    }
    keyed(obj, api, kind, &ptr)
}

fn op_error(
    obj: &J,
    op: &json_patch::PatchOperation,
    kind: &json_patch::PatchErrorKind,
    i: usize,
) -> PatchError {
    let at = |k: &str| vec![key("patch"), Seg::Index(i), key(k)];
    match kind {
        json_patch::PatchErrorKind::TestFailed => PatchError::new(
            at("value"),
            "the `test` operation failed: the value differs",
        )
        .hint(format!(
            "the object has {} at `{}`",
            obj.pointer(op.path().as_ref())
                .map_or("nothing".into(), |v| format!("`{v}`")),
            op.path()
        )),
        json_patch::PatchErrorKind::InvalidFromPointer => {
            let from = match op {
                json_patch::PatchOperation::Move(m) => m.from.to_string(),
                json_patch::PatchOperation::Copy(c) => c.from.to_string(),
                _ => String::new(),
            };
            pointer_error(obj, at("from"), &from, true)
        }
        json_patch::PatchErrorKind::CannotMoveInsideItself => {
            PatchError::new(at("from"), "cannot move a value inside itself")
        }
        _ => {
            let must_exist = !matches!(op, json_patch::PatchOperation::Add(_));
            pointer_error(obj, at("path"), op.path().as_ref(), must_exist)
        }
    }
}

/// The error for a JSON pointer that does not lead anywhere in `obj`: names the first step
/// that does not exist, with a "did you mean" among what is there.
fn pointer_error(obj: &J, at: Vec<Seg>, ptr: &str, must_exist: bool) -> PatchError {
    let toks = tokens(ptr);
    let mut here = obj;
    let mut walked = String::new();
    for (n, t) in toks.iter().enumerate() {
        let last = n + 1 == toks.len();
        let next = match here {
            J::Object(m) => m.get(t.as_str()),
            J::Array(items) => t.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(v) => {
                walked.push('/');
                walked.push_str(t);
                here = v;
            }
            None if last && !must_exist => {
                let e = PatchError::new(
                    at,
                    format!(
                        "`{ptr}`: `{}` cannot take `{t}`",
                        if walked.is_empty() { "/" } else { &walked }
                    ),
                );
                return match here {
                    J::Array(items) => e.hint(format!(
                        "the list has {} items: add at an index from 0 to {}, or at `-` to append",
                        items.len(),
                        items.len()
                    )),
                    other => e.hint(format!("`{walked}` is {}", type_name(other))),
                };
            }
            None => {
                let place = if walked.is_empty() {
                    "/".to_owned()
                } else {
                    walked.clone()
                };
                let mut e = PatchError::new(
                    at,
                    format!("`{ptr}` does not exist in the object: `{place}` has no `{t}`"),
                );
                e = match here {
                    J::Object(m) => {
                        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
                        match did_you_mean(t, keys.iter().copied()) {
                            Some(n) => e.hint(format!("did you mean `{place}{}{n}`?", if place == "/" { "" } else { "/" })),
                            None if !must_exist || last => e.hint(format!(
                                "`{place}` has {}; to create a value use `op: add` (its parent must exist)",
                                keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                            )),
                            None => e.hint(format!(
                                "`{place}` has {}; create the missing parent first with `op: add`",
                                keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                            )),
                        }
                    }
                    J::Array(items) => e.hint(format!(
                        "the list at `{place}` has {} items (indices 0 to {}); `-` means after the last one for `add`",
                        items.len(),
                        items.len().saturating_sub(1)
                    )),
                    other => e.hint(format!("`{place}` is {}", type_name(other))),
                };
                return e;
            }
        }
    }
    PatchError::new(at, format!("`{ptr}` is not a valid path in this object"))
}

/// Where in the patch entry the value at `object_path` (a path with list indices, as a
/// round-trip comparison of the patched object reports it) was written, given the changes
/// the patch made. `obj` is the patched object, `patch` the patch.
pub fn locate(obj: &J, patch: &Patch, changes: &[Change], object_path: &[Seg]) -> Vec<Seg> {
    let keyed = keyed_path(obj, object_path);
    let best = changes
        .iter()
        .filter(|c| !c.removed && keyed.starts_with(&c.object_path))
        .max_by_key(|c| c.object_path.len());
    let Some(change) = best else {
        return vec![key("patch")];
    };
    let mut out = change.patch_path.clone();
    // Inside a value the patch wrote whole: walk the patch value itself.
    let body = match &patch.body {
        Body::Strategic(b) => b.clone(),
        Body::Json6902(ops) => serde_json::to_value(ops).unwrap_or(J::Null),
    };
    let mut here = out.get(1..).and_then(|p| walk(&body, p));
    for seg in keyed.get(change.object_path.len()..).unwrap_or_default() {
        let next = match (seg, here) {
            (Seg::Key(k), Some(J::Object(m))) => m.get(k).map(|v| (Seg::Key(k.clone()), v)),
            (Seg::Item { key: k, value }, Some(J::Array(items))) => items
                .iter()
                .enumerate()
                .find(|(_, it)| it.get(k).map(key_text).as_deref() == Some(value))
                .map(|(i, it)| (Seg::Index(i), it)),
            (Seg::Index(i), Some(J::Array(items))) => items.get(*i).map(|it| (Seg::Index(*i), it)),
            _ => None,
        };
        match next {
            Some((s, v)) => {
                out.push(s);
                here = Some(v);
            }
            None => break,
        }
    }
    out
}

fn walk<'a>(v: &'a J, path: &[Seg]) -> Option<&'a J> {
    let mut here = v;
    for seg in path {
        here = match (seg, here) {
            (Seg::Key(k), J::Object(m)) => m.get(k)?,
            (Seg::Index(i), J::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

/// Paths (with list indices) where `after` lost or changed something `before` had: what did
/// not survive a round trip through a Kubernetes type.
pub fn lost(before: &J, after: &J) -> Vec<(Vec<Seg>, String)> {
    let mut out = Vec::new();
    lost_into(before, after, &mut Vec::new(), &mut out);
    out
}

fn lost_into(a: &J, b: &J, path: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, String)>) {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            for (k, v) in x {
                path.push(Seg::Key(k.clone()));
                match y.get(k) {
                    Some(w) => lost_into(v, w, path, out),
                    None => out.push((path.clone(), "dropped".into())),
                }
                path.pop();
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                path.push(Seg::Key(k.clone()));
                out.push((path.clone(), "added".into()));
                path.pop();
            }
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                path.push(Seg::Index(i));
                lost_into(v, w, path, out);
                path.pop();
            }
        }
        (J::Number(x), J::Number(y)) if x.as_f64() == y.as_f64() => {}
        _ if a == b => {}
        _ => out.push((path.clone(), format!("{a} became {b}"))),
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
    match obj.pointer("/metadata/name") {
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

/// What `explain patches` says: the rules of the escape hatch.
pub const PATCHES_DOC: &str = "Kustomize patches applied to the rendered objects (override files and project environments; not --set). \
Each entry: `target:` (group, version, kind, name, namespace, labelSelector; exact matches) and `patch:`: a map is a strategic-merge patch \
(maps merge by key, `null` deletes a key, `$patch: replace|delete`; containers, initContainers, volumes, env, imagePullSecrets merge by `name`, \
container ports by `containerPort`, volumeMounts by `mountPath`, Service ports by `port`; other lists are replaced; the patch's items come first), \
a list is JSON 6902 operations (`op`, `path`, `value`/`from`), a string is parsed as YAML (Kustomize's `patch: |-`). \
Without `target:` a strategic-merge patch names its object with `kind:` and `metadata.name:`. \
Unlike settings, patches ACCUMULATE over layers, applied in layer order after rendering. A patched object goes through its Kubernetes type: \
an unknown field, a wrong type, a bad JSON pointer or a target that matches nothing is an error at the patch's line. \
A patch never changes an object's kind, apiVersion, name or namespace, and never adds a literal value for a credential-like env var. \
`agentctl config --show-origin` lists every patch with its file:line. Default: none.";

/// What `explain resources` says.
pub const RESOURCES_DOC: &str = "Extra Kubernetes objects added to the output (e.g. a ConfigMap of prompts, a second Service), \
written whole (apiVersion, kind, metadata.name, ...) in override files and project environments; not --set. \
They go to `extra-objects.yaml` (listed in kustomization.yaml), in the output's namespace, with the common labels, and through their Kubernetes type \
like every rendered object; patches apply to them too. Never a Secret (create Secrets out of band), never the Namespace or an object agentctl renders \
(patch it instead). They accumulate over layers; an object of the same kind and name in a later layer replaces the earlier one. Default: none.";

/// The JSON Schema properties of `patches:` and `resources:`, for editors and `explain`.
pub fn schema() -> Map<String, J> {
    let field =
        |doc: &str| serde_json::json!({"type": "string", "description": doc, "default": null});
    let mut m = Map::new();
    m.insert(
        "patches".into(),
        serde_json::json!({
            "description": PATCHES_DOC,
            "type": "array",
            "default": [],
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["patch"],
                "properties": {
                    "target": {
                        "description": "Which objects the patch applies to (exact matches; an absent field matches anything). Without it, a strategic-merge patch names its object with `kind:` and `metadata.name:`.",
                        "type": "object",
                        "default": null,
                        "additionalProperties": false,
                        "properties": {
                            "group": field("API group (`apps`; empty for the core group)."),
                            "version": field("API version (`v1`)."),
                            "kind": field("Kind (`Deployment`)."),
                            "name": field("Object name (`agent-deployment`), exact."),
                            "namespace": field("Namespace of the object."),
                            "labelSelector": field("Equality-based label selector: `app=agent,tier!=cache`.")
                        }
                    },
                    "patch": {
                        "description": "A map (strategic merge), a list of JSON 6902 operations, or either as a YAML string (Kustomize's `patch: |-`).",
                        "type": ["object", "array", "string"],
                        "default": null
                    }
                }
            }
        }),
    );
    m.insert(
        "resources".into(),
        serde_json::json!({
            "description": RESOURCES_DOC,
            "type": "array",
            "default": [],
            "items": {
                "type": "object",
                "required": ["apiVersion", "kind", "metadata"],
                "additionalProperties": {}
            }
        }),
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> J {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "agent-deployment", "namespace": "production-agents", "labels": {"app": "agent"}},
            "spec": {
                "replicas": 3,
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {
                        "containers": [{
                            "name": "agent",
                            "image": "agent:1",
                            "args": ["a", "b"],
                            "env": [
                                {"name": "A", "value": "1"},
                                {"name": "B", "value": "2"},
                                {"name": "C", "value": "3"}
                            ],
                            "ports": [{"containerPort": 8000, "name": "http"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            "resources": {"limits": {"cpu": "2", "memory": "2Gi"}}
                        }],
                        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "agent-data-pvc"}}],
                        "tolerations": [{"key": "a", "operator": "Exists"}],
                        "nodeSelector": {"node-type": "x", "zone": "y"}
                    }
                }
            }
        })
    }

    fn smp(body: J) -> Patch {
        parse(&json!({"target": {"kind": "Deployment", "name": "agent-deployment"}, "patch": body}))
            .unwrap()
    }

    fn patched(body: J) -> J {
        let mut d = deployment();
        apply(&mut d, &smp(body)).unwrap();
        d
    }

    fn pod(d: &J) -> &J {
        d.pointer("/spec/template/spec").unwrap()
    }

    fn names(list: &J) -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| key_text(i.get("name").unwrap()))
            .collect()
    }

    fn container(body: J) -> J {
        json!({"spec": {"template": {"spec": {"containers": [body]}}}})
    }

    #[test]
    fn a_container_merges_by_name() {
        let d = patched(container(json!({"name": "agent", "image": "agent:2"})));
        let c = &pod(&d)["containers"];
        assert_eq!(names(c), ["agent"]);
        assert_eq!(c[0]["image"], "agent:2");
        assert_eq!(c[0]["args"], json!(["a", "b"]), "untouched fields stay");
    }

    #[test]
    fn a_new_container_comes_first_as_kustomize_orders_it() {
        let d = patched(container(json!({"name": "sidecar", "image": "side:1"})));
        assert_eq!(names(&pod(&d)["containers"]), ["sidecar", "agent"]);
    }

    #[test]
    fn env_entry_deleted_with_patch_delete_and_order_is_patch_first() {
        let d = patched(container(json!({"name": "agent", "env": [
            {"name": "B", "$patch": "delete"},
            {"name": "D", "value": "4"},
            {"name": "A", "value": "one"}
        ]})));
        let env = &pod(&d)["containers"][0]["env"];
        assert_eq!(names(env), ["D", "A", "C"]);
        assert_eq!(env[1]["value"], "one");
    }

    #[test]
    fn deleting_an_item_that_is_not_there_is_a_no_op() {
        let d = patched(container(
            json!({"name": "agent", "env": [{"name": "NOPE", "$patch": "delete"}]}),
        ));
        assert_eq!(names(&pod(&d)["containers"][0]["env"]), ["A", "B", "C"]);
    }

    #[test]
    fn patch_replace_item_replaces_the_whole_list() {
        let d = patched(json!({"spec": {"template": {"spec": {"volumes": [
            {"$patch": "replace"},
            {"name": "only", "emptyDir": {}}
        ]}}}}));
        assert_eq!(
            pod(&d)["volumes"],
            json!([{"name": "only", "emptyDir": {}}])
        );
    }

    #[test]
    fn patch_replace_on_a_map_replaces_it() {
        let d = patched(container(
            json!({"name": "agent", "resources": {"$patch": "replace", "requests": {"cpu": "100m"}}}),
        ));
        assert_eq!(
            pod(&d)["containers"][0]["resources"],
            json!({"requests": {"cpu": "100m"}})
        );
    }

    #[test]
    fn patch_delete_on_a_map_removes_it() {
        let d = patched(
            json!({"spec": {"template": {"spec": {"nodeSelector": {"$patch": "delete"}}}}}),
        );
        assert!(pod(&d).get("nodeSelector").is_none());
    }

    #[test]
    fn null_deletes_a_map_key() {
        let d = patched(
            json!({"spec": {"template": {"spec": {"nodeSelector": {"zone": null}, "tolerations": null}}}}),
        );
        assert_eq!(pod(&d)["nodeSelector"], json!({"node-type": "x"}));
        assert!(pod(&d).get("tolerations").is_none());
    }

    #[test]
    fn null_inside_a_list_item_deletes_its_field() {
        let d = patched(container(json!({"name": "agent", "env": [
            {"name": "A", "value": null, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
        ]})));
        assert_eq!(
            pod(&d)["containers"][0]["env"][0],
            json!({"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
        );
    }

    #[test]
    fn a_field_inside_a_list_item_that_does_not_exist_yet() {
        // The init container does not exist: it is created, with its nested env list, and
        // directives inside it are resolved (a delete of nothing disappears).
        let d = patched(json!({"spec": {"template": {"spec": {"initContainers": [{
            "name": "init", "image": "busybox",
            "env": [{"name": "Q", "value": "1"}, {"name": "Z", "$patch": "delete"}],
            "securityContext": {"runAsUser": null, "runAsNonRoot": true}
        }]}}}}));
        assert_eq!(
            pod(&d)["initContainers"],
            json!([{"name": "init", "image": "busybox", "env": [{"name": "Q", "value": "1"}], "securityContext": {"runAsNonRoot": true}}])
        );
    }

    #[test]
    fn container_ports_merge_by_container_port_and_mounts_by_mount_path() {
        let d = patched(container(json!({"name": "agent",
            "ports": [{"containerPort": 8000, "name": "web"}, {"containerPort": 9090, "name": "metrics"}],
            "volumeMounts": [{"name": "data2", "mountPath": "/data"}]
        })));
        let c = &pod(&d)["containers"][0];
        assert_eq!(
            c["ports"],
            json!([{"containerPort": 8000, "name": "web"}, {"containerPort": 9090, "name": "metrics"}])
        );
        assert_eq!(
            c["volumeMounts"],
            json!([{"name": "data2", "mountPath": "/data"}])
        );
    }

    #[test]
    fn lists_without_a_merge_key_are_replaced() {
        let d = patched(json!({"spec": {"template": {"spec": {
            "tolerations": [{"key": "b", "operator": "Exists"}],
            "containers": [{"name": "agent", "args": ["c"]}]
        }}}}));
        assert_eq!(
            pod(&d)["tolerations"],
            json!([{"key": "b", "operator": "Exists"}])
        );
        assert_eq!(pod(&d)["containers"][0]["args"], json!(["c"]));
    }

    #[test]
    fn custom_resource_lists_are_replaced_and_service_ports_merge_by_port() {
        let mut sm = json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"},
            "spec": {"endpoints": [{"port": "http", "path": "/metrics"}, {"port": "other"}]}});
        let p = parse(&json!({"target": {"kind": "ServiceMonitor"}, "patch": {"spec": {"endpoints": [{"port": "other", "path": "/m3"}]}}})).unwrap();
        apply(&mut sm, &p).unwrap();
        assert_eq!(
            sm["spec"]["endpoints"],
            json!([{"port": "other", "path": "/m3"}])
        );

        let mut svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8000}, {"name": "grpc", "port": 90}]}});
        let p = parse(&json!({"target": {"kind": "Service"}, "patch": {"spec": {"ports": [{"name": "http2", "port": 80, "targetPort": 8080}]}}})).unwrap();
        apply(&mut svc, &p).unwrap();
        assert_eq!(
            svc["spec"]["ports"],
            json!([{"name": "http2", "port": 80, "targetPort": 8080}, {"name": "grpc", "port": 90}])
        );
    }

    #[test]
    fn an_item_without_its_merge_key_is_a_located_error() {
        let mut d = deployment();
        let e = apply(&mut d, &smp(container(json!({"image": "nokey"})))).unwrap_err();
        assert_eq!(
            PathDisplay(&e.path).to_string(),
            "patch.spec.template.spec.containers[0]"
        );
        assert!(e.message.contains("has no `name`"), "{}", e.message);
    }

    #[test]
    fn unsupported_and_unknown_directives_are_errors() {
        let mut d = deployment();
        let e = apply(&mut d, &smp(json!({"spec": {"$retainKeys": ["replicas"]}}))).unwrap_err();
        assert_eq!(PathDisplay(&e.path).to_string(), "patch.spec.$retainKeys");
        let e = apply(&mut d, &smp(json!({"spec": {"$patch": "remove"}}))).unwrap_err();
        assert!(e.message.contains("unknown directive"), "{}", e.message);
    }

    #[test]
    fn changes_name_the_patch_line_by_merge_key() {
        let mut d = deployment();
        let ch = apply(
            &mut d,
            &smp(container(json!({"name": "sidecar", "image": "s"}))),
        )
        .unwrap();
        assert_eq!(ch.len(), 1);
        assert_eq!(
            PathDisplay(&ch[0].object_path).to_string(),
            "spec.template.spec.containers[name=sidecar]"
        );
        assert_eq!(
            PathDisplay(&ch[0].patch_path).to_string(),
            "patch.spec.template.spec.containers[0]"
        );
    }

    #[test]
    fn a_dropped_field_is_located_in_the_patch() {
        let p = smp(json!({"spec": {"template": {"spec": {"containers": [
            {"name": "sidecar", "image": "s", "ports": [{"containerPort": 1, "nmae": "x"}]},
            {"name": "agent", "imagePullPolicyy": "Always"}
        ]}}}}));
        let mut d = deployment();
        let ch = apply(&mut d, &p).unwrap();
        // As a round trip reports them: indices into the patched object.
        let at = locate(
            &d,
            &p,
            &ch,
            &[
                key("spec"),
                key("template"),
                key("spec"),
                key("containers"),
                Seg::Index(1),
                key("imagePullPolicyy"),
            ],
        );
        assert_eq!(
            PathDisplay(&at).to_string(),
            "patch.spec.template.spec.containers[1].imagePullPolicyy"
        );
        let at = locate(
            &d,
            &p,
            &ch,
            &[
                key("spec"),
                key("template"),
                key("spec"),
                key("containers"),
                Seg::Index(0),
                key("ports"),
                Seg::Index(0),
                key("nmae"),
            ],
        );
        assert_eq!(
            PathDisplay(&at).to_string(),
            "patch.spec.template.spec.containers[0].ports[0].nmae"
        );
    }

    #[test]
    fn json6902_ops_apply_and_are_located() {
        let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [
            {"op": "replace", "path": "/spec/replicas", "value": 5},
            {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "E", "value": "5"}},
            {"op": "remove", "path": "/spec/template/spec/tolerations"}
        ]})).unwrap();
        let mut d = deployment();
        let ch = apply(&mut d, &p).unwrap();
        assert_eq!(d["spec"]["replicas"], 5);
        assert_eq!(
            names(&pod(&d)["containers"][0]["env"]),
            ["A", "B", "C", "E"]
        );
        assert!(pod(&d).get("tolerations").is_none());
        assert_eq!(
            PathDisplay(&ch[1].object_path).to_string(),
            "spec.template.spec.containers[name=agent].env[name=E]"
        );
        assert_eq!(PathDisplay(&ch[1].patch_path).to_string(), "patch[1].value");
        assert!(ch[2].removed);
    }

    #[test]
    fn a_bad_json_pointer_names_the_missing_step_with_a_suggestion() {
        let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [
            {"op": "add", "path": "/spec/template/spec/containers/0/evn/-", "value": {"name": "E"}}
        ]}))
        .unwrap();
        let e = apply(&mut deployment(), &p).unwrap_err();
        assert_eq!(PathDisplay(&e.path).to_string(), "patch[0].path");
        assert!(e.message.contains("has no `evn`"), "{}", e.message);
        assert_eq!(
            e.hint.as_deref(),
            Some("did you mean `/spec/template/spec/containers/0/env`?")
        );
        // Not a pointer at all.
        let e = parse(&json!({"target": {"kind": "Deployment"}, "patch": [{"op": "remove", "path": "spec.replicas"}]})).unwrap_err();
        assert_eq!(PathDisplay(&e.path).to_string(), "patch[0].path");
        assert_eq!(e.hint.as_deref(), Some("write `/spec/replicas`"));
    }

    #[test]
    fn malformed_operations_are_located() {
        let t = json!({"kind": "Deployment"});
        for (op, at, needle) in [
            (
                json!({"op": "ad", "path": "/a", "value": 1}),
                "patch[0].op",
                "did you mean `add`",
            ),
            (
                json!({"op": "add", "path": "/a"}),
                "patch[0]",
                "needs `value`",
            ),
            (
                json!({"op": "remove", "path": "/a", "value": 1}),
                "patch[0].value",
                "unknown key",
            ),
            (json!({"path": "/a"}), "patch[0]", "needs `op`"),
            (json!("add /a"), "patch[0]", "must be a map"),
        ] {
            let e = parse(&json!({"target": t, "patch": [op]})).unwrap_err();
            assert_eq!(PathDisplay(&e.path).to_string(), at);
            assert!(
                format!("{} {:?}", e.message, e.hint).contains(needle),
                "{e:?}"
            );
        }
    }

    #[test]
    fn entry_shape_errors() {
        let e = parse(&json!({"patch": {"spec": {"replicas": 2}}})).unwrap_err();
        assert!(e.message.contains("without `target:`"), "{}", e.message);
        let e = parse(&json!({"patch": [{"op": "remove", "path": "/spec"}]})).unwrap_err();
        assert!(e.message.contains("needs `target:`"));
        let e = parse(&json!({"targte": {}, "patch": {}})).unwrap_err();
        assert_eq!(
            e.hint
                .as_deref()
                .map(|h| h.starts_with("did you mean `target`")),
            Some(true)
        );
        let e = parse(&json!({"target": {"kind": "Deployment", "nmae": "x"}, "patch": {}}))
            .unwrap_err();
        assert_eq!(PathDisplay(&e.path).to_string(), "target.nmae");
        let e = parse(&json!({"target": {"kind": "Deployment"}, "patch": "spec: {}"})).unwrap_err();
        assert!(e.message.contains("must be a map"));
    }

    #[test]
    fn target_from_the_body_and_selection() {
        let p = parse(&json!({"patch": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent-deployment"}}})).unwrap();
        let objs = vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "agent-service"}}),
            deployment(),
        ];
        assert_eq!(select(&p.target, &objs), [1]);
        let p = parse(
            &json!({"target": {"kind": "Deployment", "labelSelector": "app=agent"}, "patch": {}}),
        )
        .unwrap();
        assert_eq!(select(&p.target, &objs), [1]);
        let p = parse(
            &json!({"target": {"kind": "Deployment", "labelSelector": "app!=agent"}, "patch": {}}),
        )
        .unwrap();
        assert!(select(&p.target, &objs).is_empty());
    }

    #[test]
    fn no_match_suggests_the_nearest_object() {
        let objs = vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "agent-service"}}),
            deployment(),
        ];
        let p = parse(
            &json!({"target": {"kind": "Deployment", "name": "agent-deploymnet"}, "patch": {}}),
        )
        .unwrap();
        let e = no_match(&p, &objs);
        assert_eq!(e.path, [key("target"), key("name")]);
        assert!(
            e.hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `Deployment/agent-deployment`?"),
            "{:?}",
            e.hint
        );
    }

    #[test]
    fn a_patch_never_changes_kind_or_name() {
        let mut d = deployment();
        let e = apply(
            &mut d,
            &smp(json!({"kind": "Secret", "stringData": {"k": "v"}})),
        )
        .unwrap_err();
        assert_eq!(PathDisplay(&e.path).to_string(), "patch.kind");
        let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [{"op": "replace", "path": "/kind", "value": "Secret"}]})).unwrap();
        let e = apply(&mut deployment(), &p).unwrap_err();
        assert_eq!(PathDisplay(&e.path).to_string(), "patch[0].path");
        let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [{"op": "replace", "path": "/metadata/name", "value": "x"}]})).unwrap();
        assert!(apply(&mut deployment(), &p).is_err());
        // With a target, the body's name only identifies, as in kustomize: it never renames.
        let d = patched(json!({"metadata": {"name": "placeholder"}, "spec": {"replicas": 1}}));
        assert_eq!(d["metadata"]["name"], "agent-deployment");
        assert_eq!(d["spec"]["replicas"], 1);
    }

    #[test]
    fn extra_objects_are_whole_and_never_secrets() {
        assert!(
            check_extra(
                &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}})
            )
            .is_ok()
        );
        let e =
            check_extra(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "p"}}))
                .unwrap_err();
        assert_eq!(e.path, [key("kind")]);
        assert!(check_extra(&json!({"apiVersion": "v1", "kind": "ConfigMap"})).is_err());
        assert!(check_extra(&json!({"kind": "ConfigMap", "metadata": {"name": "p"}})).is_err());
    }

    #[test]
    fn lost_reports_paths_with_indices() {
        let a = json!({"spec": {"c": [{"x": 1, "y": 2}]}});
        let b = json!({"spec": {"c": [{"x": 1}]}});
        assert_eq!(
            lost(&a, &b),
            [(
                vec![key("spec"), key("c"), Seg::Index(0), key("y")],
                "dropped".to_owned()
            )]
        );
    }

    #[test]
    fn finalizers_merge_as_a_set() {
        let mut d = deployment();
        d["metadata"]["finalizers"] = json!(["a"]);
        apply(
            &mut d,
            &smp(json!({"metadata": {"finalizers": ["b", "a"]}})),
        )
        .unwrap();
        assert_eq!(d["metadata"]["finalizers"], json!(["b", "a"]));
    }
}
