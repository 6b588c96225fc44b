//! Where a patch went wrong: JSON pointers turned into keyed paths (`containers[name=agent]`),
//! the errors of failed JSON 6902 operations, the patch line a failed round trip points back to,
//! and the fields a patch lost.

use std::borrow::Cow;

use serde_json::Value as J;

use super::*;

/// A JSON pointer token unescaped (`~1` is `/`, `~0` is `~`); borrowed when it has no `~`,
/// as most have.
pub(super) fn unescape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        std::borrow::Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

pub(super) fn tokens(ptr: &str) -> Vec<std::borrow::Cow<'_, str>> {
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
                        Some(v) => Seg::item(k, key_text(v)),
                        None => Seg::Index(idx.unwrap_or_default()),
                    },
                    _ => Seg::Index(idx.unwrap_or_default()),
                };
                out.push(seg);
                here = item;
            }
            Some(J::Object(m)) => {
                out.push(Seg::Key(t.as_ref().into()));
                fields.push(t);
                here = m.get(&**t);
            }
            _ => {
                out.push(match t.parse::<usize>() {
                    Ok(n) => Seg::Index(n),
                    Err(_) => Seg::Key(t.as_ref().into()),
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
    keyed_path_cow(obj, path).into_owned()
}

/// [`keyed_path`], borrowing `path` when it is its own keyed form.
pub fn keyed_path_cow<'a>(obj: &J, path: &'a [Seg]) -> std::borrow::Cow<'a, [Seg]> {
    // Map keys that are all there are their own keyed form (only list indices change): the
    // common case, without a pointer written and read again.
    let mut here = Some(obj);
    let plain = path.iter().all(|s| match s {
        Seg::Key(k) => {
            here = here.and_then(|h| h.get(k.as_str()));
            here.is_some()
        }
        _ => false,
    });
    if plain {
        return std::borrow::Cow::Borrowed(path);
    }
    let api = field_str(obj, "/apiVersion");
    let kind = field_str(obj, "/kind");
    let mut ptr = String::new();
    for seg in path {
        ptr.push('/');
        match seg {
            Seg::Key(k) => ptr.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => ptr.push_str(&i.to_string()),
            Seg::Item(it) => ptr.push_str(&it.value),
        }
    }
    std::borrow::Cow::Owned(keyed(obj, api, kind, &ptr))
}

pub(super) fn op_error(
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
            crate::k8s::object::pointer(obj, op.path().as_ref())
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
pub(super) fn pointer_error(obj: &J, at: Vec<Seg>, ptr: &str, must_exist: bool) -> PatchError {
    let toks = tokens(ptr);
    let mut here = obj;
    let mut walked = String::new();
    for (n, t) in toks.iter().enumerate() {
        let last = n + 1 == toks.len();
        let next = match here {
            J::Object(m) => m.get(&**t),
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
    // What a removal left behind (a list emptied by deleting its items, a required field
    // removed): the directive that removed something at or below the path.
    let removal = || {
        changes
            .iter()
            .filter(|c| c.removed)
            .find(|c| c.object_path.starts_with(&keyed) || keyed.starts_with(&c.object_path))
    };
    let Some(change) = best.or_else(removal) else {
        return vec![key("patch")];
    };
    if change.removed {
        return change.patch_path.clone();
    }
    let mut out = change.patch_path.clone();
    // Inside a value the patch wrote whole: walk the patch value itself.
    let body = match &patch.body {
        Body::Strategic(b) => b.clone(),
        Body::Json6902(ops) => serde_json::to_value(ops).unwrap_or(J::Null),
    };
    let mut here = out.get(1..).and_then(|p| walk(&body, p));
    for seg in keyed.get(change.object_path.len()..).unwrap_or_default() {
        let next = match (seg, here) {
            (Seg::Key(k), Some(J::Object(m))) => {
                m.get(k.as_str()).map(|v| (Seg::Key(k.as_str().into()), v))
            }
            (Seg::Item(ik), Some(J::Array(items))) => items
                .iter()
                .enumerate()
                .find(|(_, it)| {
                    it.get(ik.key.as_str()).map(key_text).as_deref() == Some(ik.value.as_str())
                })
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

/// The value at `path` (map keys and list indices) in `v`, if there is one.
pub fn walk<'a>(v: &'a J, path: &[Seg]) -> Option<&'a J> {
    let mut here = v;
    for seg in path {
        here = match (seg, here) {
            (Seg::Key(k), J::Object(m)) => m.get(k.as_str())?,
            (Seg::Index(i), J::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

/// A path (with list indices) and what happened to the value there (`dropped`, `added`,
/// `X became Y`): the words of the two common cases are not allocated per path.
pub type LostAt = (Vec<Seg>, Cow<'static, str>);

/// Paths (with list indices) where `after` lost or changed something `before` had: what did
/// not survive a round trip through a Kubernetes type.
pub fn lost(before: &J, after: &J) -> Vec<LostAt> {
    let mut out = Vec::new();
    lost_into(before, after, &mut Vec::new(), &mut out);
    out
}

pub(super) fn lost_into(a: &J, b: &J, path: &mut Vec<Seg>, out: &mut Vec<LostAt>) {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            for (k, v) in x {
                path.push(Seg::Key(k.as_str().into()));
                match y.get(k) {
                    Some(w) => lost_into(v, w, path, out),
                    None => out.push((path.clone(), Cow::Borrowed("dropped"))),
                }
                path.pop();
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                path.push(Seg::Key(k.as_str().into()));
                out.push((path.clone(), Cow::Borrowed("added")));
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
        // A quantity written as a number (`cpu: 4`), which its type (and kubectl) reads as the
        // quantity "4": the same value, not lost.
        (J::Number(x), J::String(y)) if x.to_string() == *y => {}
        _ if a == b => {}
        _ => out.push((path.clone(), Cow::Owned(format!("{a} became {b}")))),
    }
}
