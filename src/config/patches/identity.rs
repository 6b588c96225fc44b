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
