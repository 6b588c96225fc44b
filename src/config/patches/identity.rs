//! An object's identity (`apiVersion`, `kind`, `metadata.name`, `metadata.namespace`), which
//! no patch may change: the fields, the error that says so, and which JSON 6902 operations
//! could change them (the others are not checked after, the check costing more than they do).

use serde_json::Value as J;

use super::*;

/// The fields a patch may not change: they identify the object.
pub(super) const IDENTITY: &[&str] = &[
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
];

pub(super) fn identity_error(path: Vec<Seg>, what: &str, before: &J, after: &J) -> PatchError {
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
        "namespace" => "the namespace comes from the typed setting `namespace`; remove this change",
        _ => "names come from agentctl's typed settings: `instance: NAME` names every object `NAME-<name>` (for a second deployment in one namespace); remove this change",
    })
}

pub(super) fn identity(obj: &J) -> Vec<J> {
    IDENTITY
        .iter()
        .map(|p| {
            crate::k8s::object::pointer(obj, p)
                .cloned()
                .unwrap_or(J::Null)
        })
        .collect()
}

/// Whether a JSON 6902 operation could change an object's identity ([`IDENTITY`]): one that
/// writes or removes the whole object, `apiVersion`, `kind`, `metadata` or its `name` or
/// `namespace` (a `move` also where it takes from). A token spells these names one way only
/// (`~0` and `~1` stand for `~` and `/`), so any other operation leaves the identity as it was.
pub(super) fn touches_identity(op: &json_patch::PatchOperation) -> bool {
    fn at(ptr: &str) -> bool {
        let mut tokens = ptr.split('/').skip(1);
        match tokens.next() {
            None => true,
            Some("apiVersion" | "kind") => true,
            Some("metadata") => matches!(tokens.next(), None | Some("name" | "namespace")),
            Some(_) => false,
        }
    }
    match op {
        json_patch::PatchOperation::Test(_) => false,
        json_patch::PatchOperation::Move(m) => at(m.path.as_str()) || at(m.from.as_str()),
        other => at(other.path().as_str()),
    }
}

/// Where a strategic merge's directives would drop the object's identity, and why: `metadata:
/// null`, `$patch: replace`/`delete` on `metadata` (the patch's own name and namespace are not
/// merged, so a replaced `metadata` has none), a `$retainKeys` on `metadata` without `name`
/// or at the root without `apiVersion`, `kind` and `metadata`. Checked before the merge, which
/// then changes nothing when it is refused.
/// `id`: the object's `Kind/name`, made only for a message.
pub(super) fn drops_identity(body: &Map<String, J>, id: impl Fn() -> String) -> Option<PatchError> {
    const META: &str = "change metadata's fields one by one instead (labels and annotations merge key by key; `$patch: replace` inside `metadata.labels` replaces the labels alone)";
    let keeps_all = |keep: &J, want: &[&str]| {
        keep.as_array()
            .is_some_and(|k| want.iter().all(|w| k.iter().any(|x| x.as_str() == Some(w))))
    };
    if let Some(keep) = body.get("$retainKeys")
        && !keeps_all(keep, &["apiVersion", "kind", "metadata"])
    {
        return Some(
            PatchError::new(
                vec![key("patch"), key("$retainKeys")],
                format!("`$retainKeys` at the root of a patch without `apiVersion`, `kind` and `metadata` would drop the identity of {} (its kind, name and namespace)", id()),
            )
            .hint("list `apiVersion`, `kind` and `metadata` in `$retainKeys` too, or patch the fields to change without it"),
        );
    }
    match body.get("metadata") {
        Some(J::Null) => Some(
            PatchError::new(
                vec![key("patch"), key("metadata")],
                format!("`metadata: null` would delete the metadata of {}, its name and namespace with it", id()),
            )
            .hint(META),
        ),
        Some(J::Object(meta)) => {
            if let Some(d @ ("replace" | "delete")) = meta.get("$patch").and_then(J::as_str) {
                return Some(
                    PatchError::new(
                        vec![key("patch"), key("metadata"), key("$patch")],
                        format!("`$patch: {d}` on `metadata` would {d} the metadata of {}, its name and namespace with it", id()),
                    )
                    .hint(META),
                );
            }
            match meta.get("$retainKeys") {
                Some(keep) if !keeps_all(keep, &["name"]) => Some(
                    PatchError::new(
                        vec![key("patch"), key("metadata"), key("$retainKeys")],
                        format!("`$retainKeys` on `metadata` without `name` would drop the name of {}", id()),
                    )
                    .hint(META),
                ),
                _ => None,
            }
        }
        _ => None,
    }
}
