//! Patches applied in place, at the cost of what they change: a patch that cannot fail (a
//! strategic merge of maps and scalars, one JSON 6902 operation that keeps the object's
//! identity) changes the object itself; any other is applied to a copy that replaces the object
//! only when the whole patch applied. Either way a patch that fails leaves the object as it was.
//! And the bounds on what JSON 6902 `copy` operations may add: to one object, and in one
//! render to all objects together.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value as J;

use super::*;

/// What the `copy` operations of all patches may add to one object, in bytes of its JSON text
/// (the bound on the files agentctl writes, `render::size`, is the same 16 MiB).
pub const MAX_COPIED: usize = 16 << 20;

/// What the `copy` operations of all patches may add in one render, to all objects together:
/// one patch whose target selects many objects copies in each (a patch that doubles a
/// ConfigMap's data 14 times, over 300 selected ConfigMaps, would copy 4.8 GB under the bound of
/// each object).
pub const MAX_COPIED_RUN: usize = 64 << 20;

/// Which bound a `copy` would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Over {
    /// [`MAX_COPIED`], on the object.
    Object,
    /// [`MAX_COPIED_RUN`], in the render.
    Run,
}

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

/// Takes what a `copy` from `from` adds out of `copied` (the object's) and `run` (the
/// render's); `Err` with the bound it would pass when it does not fit.
pub(super) fn copy_within(
    obj: &J,
    from: &str,
    copied: &mut usize,
    run: &AtomicUsize,
) -> Result<(), Over> {
    let Some(v) = crate::k8s::object::pointer(obj, from) else {
        // json-patch reports the missing source.
        return Ok(());
    };
    let left = run.load(Ordering::Relaxed);
    let size = size_upto(v, (*copied).min(left));
    if size > *copied {
        return Err(Over::Object);
    }
    if size > left {
        return Err(Over::Run);
    }
    *copied -= size;
    run.store(left - size, Ordering::Relaxed);
    Ok(())
}

/// Whether a strategic-merge body may fail on an object of `api`/`kind`, told from the body
/// alone, conservatively: every check the merger makes ([`Merger`]) as if the object had every
/// list the body names. A `$` key other than `$patch`, a `$patch` other than `replace`,
/// `delete` or `merge`, or an item of a list merged by key that is not a map with its key. A
/// body that passes cannot fail half-way, so it is applied in place, lists included.
pub(super) fn may_fail<'a>(body: &'a J, api: &str, kind: &str, fields: &mut Vec<&'a str>) -> bool {
    match body {
        J::Object(m) => m.iter().any(|(k, v)| {
            if k.starts_with('$') {
                return k != "$patch"
                    || !matches!(v.as_str(), Some("replace" | "delete" | "merge"));
            }
            fields.push(k);
            let r = may_fail(v, api, kind, fields);
            fields.pop();
            r
        }),
        J::Array(items) => {
            let strategy = list_merge(api, kind, fields);
            items.iter().any(|item| match (item, strategy) {
                (J::Object(m), _) if is_replace_marker(m) => false,
                (J::Object(m), ListMerge::ByKey(k)) if m.get(k).is_none_or(J::is_null) => true,
                (J::Object(_), _) => may_fail(item, api, kind, fields),
                (_, ListMerge::ByKey(_)) => true,
                _ => false,
            })
        }
        _ => false,
    }
}

/// How to take back one change a JSON 6902 operation made, so the operations of one patch are
/// applied in place and a failing one takes back those before it: each costs what it changed
/// (the value it replaced or removed), never a copy of the object.
pub(super) enum Undo {
    /// Put this map's key back to its value.
    Set { map: String, key: String, old: J },
    /// Remove this map's key (it was not there).
    Unset { map: String, key: String },
    /// Put back the item removed from this list at `index`.
    Insert { list: String, index: usize, old: J },
    /// Remove the item inserted into this list at `index`.
    Delete { list: String, index: usize },
    /// Put back the value at this pointer (a list's item replaced, or the whole object).
    Put { at: String, old: J },
}

/// What an operation does at a path, for its [`Undo`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Does {
    /// `add`, `copy`, `move`'s destination: a map's key set, an item inserted.
    Write,
    /// `remove`, `move`'s source.
    Remove,
    /// `replace`.
    Replace,
}

/// The [`Undo`] of doing `does` at `path` of `obj` as it is now; `None` when the path does not
/// lead there (the operation then fails and changes nothing).
pub(super) fn undo_at(obj: &J, path: &json_patch::jsonptr::Pointer, does: Does) -> Option<Undo> {
    let Some((parent, last)) = path.split_back() else {
        return (does != Does::Remove).then(|| Undo::Put {
            at: String::new(),
            old: obj.clone(),
        });
    };
    let at = parent.as_str().to_owned();
    match crate::k8s::object::pointer(obj, &at)? {
        J::Object(m) => {
            let key = last.decoded().into_owned();
            Some(match m.get(&key) {
                Some(v) => Undo::Set {
                    map: at,
                    key,
                    old: v.clone(),
                },
                None => Undo::Unset { map: at, key },
            })
        }
        J::Array(items) => {
            let index = last.to_index().ok()?;
            match does {
                Does::Write => Some(Undo::Delete {
                    list: at,
                    index: index.for_len_incl(items.len()).ok()?,
                }),
                Does::Remove => {
                    let index = index.for_len(items.len()).ok()?;
                    Some(Undo::Insert {
                        list: at,
                        index,
                        old: items.get(index)?.clone(),
                    })
                }
                Does::Replace => {
                    let index = index.for_len(items.len()).ok()?;
                    Some(Undo::Put {
                        at: path.as_str().to_owned(),
                        old: items.get(index)?.clone(),
                    })
                }
            }
        }
        _ => None,
    }
}

/// Takes back `undo`, the last change first.
pub(super) fn roll_back(obj: &mut J, undo: Vec<Undo>) {
    for u in undo.into_iter().rev() {
        match u {
            Undo::Set { map, key, old } => {
                if let Some(J::Object(m)) = obj.pointer_mut(&map) {
                    m.insert(key, old);
                }
            }
            Undo::Unset { map, key } => {
                if let Some(J::Object(m)) = obj.pointer_mut(&map) {
                    m.remove(&key);
                }
            }
            Undo::Insert { list, index, old } => {
                if let Some(J::Array(items)) = obj.pointer_mut(&list)
                    && index <= items.len()
                {
                    items.insert(index, old);
                }
            }
            Undo::Delete { list, index } => {
                if let Some(J::Array(items)) = obj.pointer_mut(&list)
                    && index < items.len()
                {
                    items.remove(index);
                }
            }
            Undo::Put { at, old } => {
                if let Some(v) = obj.pointer_mut(&at) {
                    *v = old;
                }
            }
        }
    }
}

/// What the patches applied to one object carry from one to the next: what JSON 6902 `copy`
/// operations may still add to it ([`MAX_COPIED`] at first), and the merge keys of its merged
/// lists ([`Lists`]), so a patch costs its own size, not the object's.
#[derive(Debug, Clone)]
pub struct Carried {
    /// What `copy` operations may still add, in bytes of JSON text.
    pub copied: usize,
    /// The keys of the lists strategic merges have merged.
    pub lists: Lists,
    /// What `copy` operations may still add in the render, shared by its objects
    /// ([`MAX_COPIED_RUN`] at first).
    pub run: Arc<AtomicUsize>,
}

impl Default for Carried {
    /// An object's, with a render of its own.
    fn default() -> Self {
        Carried::sharing(&Arc::new(AtomicUsize::new(MAX_COPIED_RUN)))
    }
}

impl Carried {
    /// An object's, in the render whose copies `run` counts.
    pub fn sharing(run: &Arc<AtomicUsize>) -> Carried {
        Carried {
            copied: MAX_COPIED,
            lists: Lists::default(),
            run: Arc::clone(run),
        }
    }
}

/// [`apply_within`] that leaves `obj` unchanged when the patch fails, copying the object only
/// for a strategic merge that could fail half-way (a list item without its merge key, an
/// unknown directive): a JSON 6902 patch takes back its own operations
/// (`Undo`), whatever their number.
pub fn apply_in_place(
    obj: &mut J,
    patch: &Patch,
    carried: &mut Carried,
) -> Result<Vec<Change>, PatchError> {
    let in_place = match &patch.body {
        Body::Strategic(b) => !may_fail(
            b,
            field_str(obj, "/apiVersion"),
            field_str(obj, "/kind"),
            &mut Vec::new(),
        ),
        Body::Json6902(_) => true,
    };
    if in_place {
        // A strategic merge that passes `may_fail` fails only before it changes anything (a
        // body's kind); JSON 6902 operations are taken back by `apply_within` when one fails.
        return apply_within(obj, patch, carried);
    }
    let mut work = obj.clone();
    match apply_within(&mut work, patch, carried) {
        Ok(changes) => {
            *obj = work;
            Ok(changes)
        }
        Err(e) => {
            // The lists' keys followed the copy, which is dropped.
            carried.lists.clear();
            Err(e)
        }
    }
}
