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
use smol_str::SmolStr;

use crate::config::credentials::shown_key;
use crate::k8s::object::field_str;
use crate::suggest::did_you_mean;

mod docs;
mod identity;
mod inplace;
mod lists;
mod locate;
mod parse;
mod strategic;

pub use docs::*;
use identity::*;
pub use inplace::*;
pub use lists::Lists;
pub use locate::*;
pub use parse::*;
pub use strategic::*;

/// A step of a path being walked, borrowed from the object: walks that visit every key of
/// every object build a [`Seg`] path only for what they report ([`Step::owned`]).
#[derive(Clone, Copy)]
pub enum Step<'a> {
    /// A map key.
    Key(&'a str),
    /// A list index.
    Index(usize),
}

impl Step<'_> {
    /// The path of a problem, as [`Seg`]s.
    pub fn owned(path: &[Step<'_>]) -> Vec<Seg> {
        path.iter()
            .map(|s| match s {
                Step::Key(k) => Seg::Key((*k).into()),
                Step::Index(i) => Seg::Index(*i),
            })
            .collect()
    }
}

/// One step of a path: a map key, a list index, or a list item named by its merge key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    /// A map key (inline up to 23 bytes: recording and comparing paths allocates nothing per
    /// key).
    Key(SmolStr),
    /// A list index.
    Index(usize),
    /// A list item identified by its merge key (`containers[name=sidecar]`); boxed, so a step
    /// is the size of a key (24 bytes, not 48: 250,000 recorded changes hold four paths each).
    Item(Box<ItemKey>),
}

/// A list item's merge key and its value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemKey {
    /// The merge key (`name`, `containerPort`, `mountPath`, ...).
    pub key: SmolStr,
    /// Its value, as written in messages (`sidecar`, `8080`).
    pub value: SmolStr,
}

impl Seg {
    /// The list item whose merge key `key` is `value`.
    pub fn item(key: impl Into<SmolStr>, value: impl Into<SmolStr>) -> Seg {
        Seg::Item(Box::new(ItemKey {
            key: key.into(),
            value: value.into(),
        }))
    }
}

/// A path written as users read it: `spec.template.spec.containers[name=agent].env[0]`.
pub struct PathDisplay<'a>(pub &'a [Seg]);

impl fmt::Display for PathDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                // A key that holds a credential (`password=hunter2`, a token) is never shown.
                Seg::Key(k) if i == 0 => write!(f, "{}", shown_key(k))?,
                Seg::Key(k) => write!(f, ".{}", shown_key(k))?,
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Item(it) => write!(f, "[{}={}]", it.key, shown_key(&it.value))?,
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
    Seg::Key(k.into())
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

/// `Kind/name` of an object, for messages.
pub fn object_id(obj: &J) -> String {
    format!(
        "{}/{}",
        field_str(obj, "/kind"),
        field_str(obj, "/metadata/name")
    )
}

/// Whether `target` selects `obj`. Read with one lookup per field (every patch reads every
/// object's identity: no pointer written and parsed per field).
pub fn matches(target: &Target, obj: &J) -> bool {
    fn field(v: Option<&J>) -> &str {
        v.and_then(J::as_str).unwrap_or_default()
    }
    let meta = obj.get("metadata");
    let (group, version) = split_api_version(field(obj.get("apiVersion")));
    let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
    eq(&target.group, group)
        && eq(&target.version, version)
        && eq(&target.kind, field(obj.get("kind")))
        && eq(&target.name, field(meta.and_then(|m| m.get("name"))))
        && eq(
            &target.namespace,
            field(meta.and_then(|m| m.get("namespace"))),
        )
        && target.label_selector.iter().all(|(k, want_eq, v)| {
            let have = meta
                .and_then(|m| m.get("labels"))
                .and_then(|l| l.get(k))
                .and_then(J::as_str);
            (have == Some(v.as_str())) == *want_eq
        })
}

/// Indices of the objects `target` selects.
pub fn select<'a>(target: &Target, objects: impl IntoIterator<Item = &'a J>) -> Vec<usize> {
    objects
        .into_iter()
        .enumerate()
        .filter(|(_, o)| matches(target, o))
        .map(|(i, _)| i)
        .collect()
}

/// The error for a target that selects nothing: the closest `Kind/name` among `objects` and
/// the list of them all.
pub fn no_match<'a>(patch: &Patch, objects: impl IntoIterator<Item = &'a J>) -> PatchError {
    let ids: Vec<String> = objects.into_iter().map(object_id).collect();
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

/// Applies one patch to one object; returns what it changed.
///
/// A strategic-merge body's `apiVersion` and `kind` must be the object's (a patch never turns
/// an object into another kind); its `metadata.name` and `metadata.namespace` only select the
/// object when there is no `target:`, and never rename it.
// Long on purpose: one pass over the two patch kinds and the identity check before and after; the
// steps share the object snapshot that identity errors compare against.
pub fn apply(obj: &mut J, patch: &Patch) -> Result<Vec<Change>, PatchError> {
    apply_in_place(obj, patch, &mut Carried::default())
}

/// [`apply`], with what the object's earlier patches carried ([`Carried`]): what JSON 6902
/// `copy` operations may still add to this object (taken from it as they do: the one operation
/// that makes an object larger than the patch that changes it, so repeated copies could double
/// an object with every patch), and the keys of its merged lists. A JSON 6902 patch that fails
/// leaves `obj` as it was; a strategic merge that fails may leave it half-merged
/// ([`apply_in_place`] does not).
pub fn apply_within(
    obj: &mut J,
    patch: &Patch,
    carried: &mut Carried,
) -> Result<Vec<Change>, PatchError> {
    // Inline (no allocation per application): `apps/v1`, `Deployment`.
    let api = SmolStr::new(field_str(obj, "/apiVersion"));
    let kind = SmolStr::new(field_str(obj, "/kind"));
    match &patch.body {
        Body::Strategic(body) => {
            let J::Object(b) = body else {
                return Ok(Vec::new());
            };
            // `$patch: delete` at the root deletes the whole object in kustomize. agentctl
            // does not let a patch delete what it renders (the object's own setting turns it
            // off, so everything that depends on it follows): a located error, never nothing.
            if let Some(d) = b.get("$patch").and_then(J::as_str)
                && d != "merge"
            {
                let id = object_id(obj);
                return Err(PatchError::new(
                    vec![key("patch"), key("$patch")],
                    format!(
                        "`$patch: {d}` at the root of a patch would {} {id} as kustomize does; agentctl does not let a patch {} an object it renders",
                        if d == "delete" { "delete" } else { "replace the whole of" },
                        if d == "delete" { "delete" } else { "replace" },
                    ),
                )
                .hint(if d == "delete" {
                    "turn the object off with its setting (`agentctl explain` lists them: `networkPolicy.enabled: false`, `backup.enabled: false`, ...), or change fields of it with a patch"
                } else {
                    "patch the fields to change (a map merges key by key; `$patch: replace` on a map inside the object replaces that map)"
                }));
            }
            if let Some(e) = drops_identity(b, || object_id(obj)) {
                return Err(e);
            }
            for k in ["apiVersion", "kind"] {
                let have = if k == "kind" { &kind } else { &api };
                if let Some(v) = b.get(k)
                    && v.as_str() != Some(have.as_str())
                {
                    return Err(identity_error(
                        vec![key("patch"), key(k)],
                        k,
                        &J::String(have.to_string()),
                        v,
                    ));
                }
            }
            // What names the object is not merged: copied without it only when the body has
            // it (the body is otherwise merged as written, never copied per object).
            let names = |m: &Map<String, J>| {
                m.contains_key("apiVersion")
                    || m.contains_key("kind")
                    || matches!(m.get("metadata"), Some(J::Object(meta)) if meta.contains_key("name") || meta.contains_key("namespace"))
            };
            let trimmed;
            let b = if names(b) {
                let mut t = b.clone();
                t.remove("apiVersion");
                t.remove("kind");
                if let Some(J::Object(meta)) = t.get_mut("metadata") {
                    meta.remove("name");
                    meta.remove("namespace");
                }
                trimmed = t;
                &trimmed
            } else {
                b
            };
            let J::Object(dest) = obj else {
                return Ok(Vec::new());
            };
            let mut m = Merger {
                api: &api,
                kind: &kind,
                changes: Vec::new(),
                lists: &mut carried.lists,
            };
            m.merge_map(
                dest,
                b,
                &mut Vec::new(),
                &mut Vec::new(),
                &mut vec![key("patch")],
            )?;
            Ok(m.changes)
        }
        Body::Json6902(ops) => {
            // Each operation applied in place, with what takes it back: a failing one takes
            // back those before it, so the patch applies whole or not at all. The lists' keys
            // follow strategic merges only.
            carried.lists.clear();
            // The identity is compared after an operation that could change it only.
            let before = if ops.iter().any(touches_identity) {
                identity(obj)
            } else {
                Vec::new()
            };
            let copied = &mut carried.copied;
            let budget = *copied;
            let run = &*carried.run;
            let run_budget = run.load(std::sync::atomic::Ordering::Relaxed);
            let mut undo = Vec::new();
            let mut changes = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                match apply_op(obj, op, i, &before, (&api, &kind), (copied, run), &mut undo) {
                    Ok(change) => changes.extend(change),
                    Err(e) => {
                        roll_back(obj, undo);
                        *copied = budget;
                        run.store(run_budget, std::sync::atomic::Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            Ok(changes)
        }
    }
}

/// Applies JSON 6902 operation number `i` of a patch in place, pushing what takes it back to
/// `undo`; returns what it changed. `before`: the object's identity before the patch.
fn apply_op(
    obj: &mut J,
    op: &json_patch::PatchOperation,
    i: usize,
    before: &[J],
    (api, kind): (&str, &str),
    (copied, run): (&mut usize, &std::sync::atomic::AtomicUsize),
    undo: &mut Vec<Undo>,
) -> Result<Option<Change>, PatchError> {
    use json_patch::PatchOperation as Op;
    let at = |k: &str| vec![key("patch"), Seg::Index(i), key(k)];
    let ptr = op.path().to_string();
    // Remove records where the value was before it went.
    let removed_path = match op {
        Op::Remove(_) => Some(keyed(obj, api, kind, &ptr)),
        _ => None,
    };
    if let Op::Copy(c) = op {
        copy_within(obj, c.from.as_str(), copied, run).map_err(|over| {
            let what = match over {
                inplace::Over::Object => format!(
                    "what the copies of all patches add to {} more than {}",
                    object_id(obj),
                    human_bytes(MAX_COPIED)
                ),
                inplace::Over::Run => format!(
                    "what the copies of all patches add in this render, to every object they \
                     select together, more than {}",
                    human_bytes(inplace::MAX_COPIED_RUN)
                ),
            };
            PatchError::new(at("from"), format!("this `copy` would make {what}"))
                .hint("copy a smaller value, or write the value in the patch (`op: add`)")
        })?;
    }
    let failed = |obj: &J, e: json_patch::PatchError| op_error(obj, op, &e.kind, i);
    match op {
        Op::Move(m) if !m.path.starts_with(&m.from) || m.path == m.from => {
            // A move is a remove and then an add, each taken back on its own.
            let (Some(u), Some(value)) = (
                undo_at(obj, &m.from, Does::Remove),
                crate::k8s::object::pointer(obj, m.from.as_str()).cloned(),
            ) else {
                return Err(json_patch::patch(obj, std::slice::from_ref(op))
                    .err()
                    .map_or_else(
                        || PatchError::new(at("from"), "the `move` failed"),
                        |e| failed(obj, e),
                    ));
            };
            let remove = Op::Remove(json_patch::RemoveOperation {
                path: m.from.clone(),
            });
            json_patch::patch(obj, std::slice::from_ref(&remove)).map_err(|e| failed(obj, e))?;
            undo.push(u);
            let add = Op::Add(json_patch::AddOperation {
                path: m.path.clone(),
                value,
            });
            let u = undo_at(obj, &m.path, Does::Write);
            if let Err(e) = json_patch::patch(obj, std::slice::from_ref(&add)) {
                return Err(op_error(obj, op, &e.kind, i));
            }
            undo.extend(u);
        }
        // One `test`, `add`, `remove`, `replace` or `copy` changes nothing when it fails (its
        // pointer is resolved before anything is written), and `undo` takes it back when a
        // later one fails: no undo stack of json-patch's own (a copy of the path per operation).
        Op::Test(_) => {
            json_patch::patch_unsafe(obj, std::slice::from_ref(op)).map_err(|e| failed(obj, e))?
        }
        Op::Move(_) => {
            let u = undo_at(obj, op.path(), Does::Write);
            json_patch::patch(obj, std::slice::from_ref(op)).map_err(|e| failed(obj, e))?;
            undo.extend(u);
        }
        _ => {
            let does = match op {
                Op::Remove(_) => Does::Remove,
                Op::Replace(_) => Does::Replace,
                _ => Does::Write,
            };
            let u = undo_at(obj, op.path(), does);
            json_patch::patch_unsafe(obj, std::slice::from_ref(op)).map_err(|e| failed(obj, e))?;
            undo.extend(u);
        }
    }
    // Compared where they are, after an operation that could change them.
    for (n, p) in IDENTITY.iter().enumerate().filter(|_| touches_identity(op)) {
        let now = crate::k8s::object::pointer(obj, p).unwrap_or(&J::Null);
        if let Some(was) = before.get(n)
            && was != now
        {
            let what = p.rsplit('/').next().unwrap_or(p);
            return Err(identity_error(at("path"), what, was, now));
        }
    }
    Ok(match op {
        Op::Test(_) => None,
        Op::Remove(_) => Some(Change {
            object_path: removed_path.unwrap_or_default(),
            patch_path: at("path"),
            removed: true,
        }),
        Op::Add(_) | Op::Replace(_) => Some(Change {
            object_path: keyed(obj, api, kind, &ptr),
            patch_path: at("value"),
            removed: false,
        }),
        Op::Move(_) | Op::Copy(_) => Some(Change {
            object_path: keyed(obj, api, kind, &ptr),
            patch_path: at("from"),
            removed: false,
        }),
    })
}

#[cfg(test)]
mod tests;
