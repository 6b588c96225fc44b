//! Patches applied in place, at the cost of what they change: a patch that cannot fail (a
//! strategic merge of maps and scalars, one JSON 6902 operation that keeps the object's
//! identity) changes the object itself; any other is applied to a copy that replaces the object
//! only when the whole patch applied. Either way a patch that fails leaves the object as it was.
//! And the bound on what JSON 6902 `copy` operations may add to one object.

use serde_json::Value as J;

use super::*;

/// What the `copy` operations of all patches may add to one object, in bytes of its JSON text
/// (the bound on the files agentctl writes, `render::size`, is the same 16 MiB).
pub const MAX_COPIED: usize = 16 << 20;

/// `n` bytes for people: `16 MiB`, `3.2 KiB`, `12 bytes`.
pub(super) fn human_bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / f64::from(1 << 10)),
        n => format!("{n} bytes"),
    }
}

/// About the length of `v`'s JSON text, counted only up to `cap` (then `cap + 1`).
fn size_upto(v: &J, cap: usize) -> usize {
    let mut total = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(match v {
            J::Null | J::Bool(_) => 5,
            J::Number(_) => 8,
            J::String(s) => s.len() + 3,
            J::Array(items) => {
                stack.extend(items.iter());
                2 + items.len()
            }
            J::Object(m) => {
                stack.extend(m.values());
                m.keys().map(|k| k.len() + 4).sum::<usize>() + 2
            }
        });
        if total > cap {
            return cap + 1;
        }
    }
    total
}

/// Takes what a `copy` from `from` adds out of `copied`; `Err` when it does not fit.
pub(super) fn copy_within(obj: &J, from: &str, copied: &mut usize) -> Result<(), ()> {
    let Some(v) = crate::k8s::object::pointer(obj, from) else {
        // json-patch reports the missing source.
        return Ok(());
    };
    let size = size_upto(v, *copied);
    if size > *copied {
        return Err(());
    }
    *copied -= size;
    Ok(())
}

/// Whether a strategic-merge body can fail on some object: only a `$` directive or a list can
/// (a list's items are checked against its merge key, a directive against the known ones).
fn may_fail(body: &J) -> bool {
    match body {
        J::Array(_) => true,
        J::Object(m) => m.iter().any(|(k, v)| k.starts_with('$') || may_fail(v)),
        _ => false,
    }
}

/// Whether a JSON 6902 operation may change what identifies the object (its root,
/// `apiVersion`, `kind`, `metadata`, `metadata.name`, `metadata.namespace`).
fn touches_identity(op: &json_patch::PatchOperation) -> bool {
    let writes = |p: &str| {
        [
            "",
            "/apiVersion",
            "/kind",
            "/metadata",
            "/metadata/name",
            "/metadata/namespace",
        ]
        .contains(&p)
    };
    match op {
        json_patch::PatchOperation::Test(_) => false,
        json_patch::PatchOperation::Move(m) => writes(m.path.as_str()) || writes(m.from.as_str()),
        other => writes(other.path().as_str()),
    }
}

/// [`apply_within`] that leaves `obj` unchanged when the patch fails, copying the object only
/// for a patch that could fail half-way (a list or directive in a strategic merge, several JSON
/// 6902 operations, one that may change the object's identity).
pub fn apply_in_place(
    obj: &mut J,
    patch: &Patch,
    copied: &mut usize,
) -> Result<Vec<Change>, PatchError> {
    let in_place = match &patch.body {
        Body::Strategic(b) => !may_fail(b),
        Body::Json6902(ops) => ops.len() <= 1 && !ops.iter().any(touches_identity),
    };
    if in_place {
        // A strategic merge without lists or directives fails only before it changes anything
        // (a body's kind); one JSON 6902 operation is applied by json-patch whole or not at all.
        return apply_within(obj, patch, copied);
    }
    let mut work = obj.clone();
    let changes = apply_within(&mut work, patch, copied)?;
    *obj = work;
    Ok(changes)
}
