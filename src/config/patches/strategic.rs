//! Strategic merge: Kubernetes' list merge keys for the kinds agentctl renders, the `$patch`
//! directives, and the merger that applies a strategic-merge body to an object (the semantics
//! are described in the parent module).

use serde_json::{Map, Value as J};
use smol_str::SmolStr;

use super::lists::key_repr;
use super::*;

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

pub(super) fn builtin(api: &str) -> bool {
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
    let Some(prefix) = crate::k8s::object::pod_spec_path(api, kind) else {
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
pub(super) fn key_text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) struct Merger<'a> {
    pub(super) api: &'a str,
    pub(super) kind: &'a str,
    pub(super) changes: Vec<Change>,
    /// The keys of the object's merged lists, kept across patches ([`Lists`]).
    pub(super) lists: &'a mut Lists,
}

/// The directive of a map, if any (`$patch: replace|delete|merge`).
pub(super) fn directive(
    m: &Map<String, J>,
    at: &[Seg],
) -> Result<Option<&'static str>, PatchError> {
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

pub(super) fn check_directive_keys(m: &Map<String, J>, at: &[Seg]) -> Result<(), PatchError> {
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
    pub(super) fn record(&mut self, obj: &[Seg], patch: &[Seg], removed: bool) {
        // What was at or below the change is gone or new: so are the keys of its lists.
        self.lists.drop_under(obj);
        self.changes.push(Change {
            object_path: obj.to_vec(),
            patch_path: patch.to_vec(),
            removed,
        });
    }

    /// A patch value placed where nothing was to merge with: directives resolved, `null`s
    /// dropped. `None`: the value deletes itself (`$patch: delete`).
    pub(super) fn fresh(
        &self,
        v: &J,
        fields: &mut Vec<SmolStr>,
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
                    fields.push(k.as_str().into());
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

    pub(super) fn strategy(&self, fields: &[SmolStr]) -> ListMerge {
        let f: Vec<&str> = fields.iter().map(SmolStr::as_str).collect();
        list_merge(self.api, self.kind, &f)
    }

    /// Merges patch map `p` into `dest`. Returns false when the patch deletes the map.
    pub(super) fn merge_map(
        &mut self,
        dest: &mut Map<String, J>,
        p: &Map<String, J>,
        fields: &mut Vec<SmolStr>,
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
            fields.push(k.as_str().into());
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

    pub(super) fn merge_entry(
        &mut self,
        dest: &mut Map<String, J>,
        k: &str,
        pv: &J,
        fields: &mut Vec<SmolStr>,
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
                // Taken, not copied: the list is merged at the cost of the patch's items and
                // the list's length (a failing merge leaves it empty: `apply_in_place` applies
                // a patch that may fail to a copy).
                let old = match existing {
                    Some(J::Array(old)) => Some(std::mem::take(old)),
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

    pub(super) fn merge_list(
        &mut self,
        old: Vec<J>,
        items: &[J],
        mk: &'static str,
        fields: &mut Vec<SmolStr>,
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
        if let Some(out) = self.all_new(&old, items, mk, fields, obj, at)? {
            let mut out = out;
            out.extend(old);
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
        // Items merged, added or deleted by a scan: the list's keys are read again when it is
        // next merged.
        self.lists.forget(obj);
        Ok(out)
    }

    /// The patch's items when every one is new to the list `old` (its key is none of the
    /// list's, as the object's [`Lists`] hold them, and it holds no directive), each placed as
    /// a fresh item, without a scan of the list; `None` when one is not.
    fn all_new(
        &mut self,
        old: &[J],
        items: &[J],
        mk: &'static str,
        fields: &mut Vec<SmolStr>,
        obj: &mut Vec<Seg>,
        at: &mut Vec<Seg>,
    ) -> Result<Option<Vec<J>>, PatchError> {
        let Some(keys) = self.lists.keys_of(obj, old, mk) else {
            return Ok(None);
        };
        let mut new = Vec::with_capacity(items.len());
        for item in items {
            let J::Object(m) = item else { return Ok(None) };
            let Some(kv) = m.get(mk).filter(|v| !v.is_null()) else {
                return Ok(None);
            };
            let k = key_repr(kv);
            // Two new items of one key are both added, as a scan adds them.
            if m.contains_key("$patch") || keys.contains(&k) {
                return Ok(None);
            }
            new.push(k);
        }
        keys.extend(new);
        let mut out = Vec::with_capacity(items.len() + old.len());
        for (i, item) in items.iter().enumerate() {
            let kv = item.get(mk).map(key_text).unwrap_or_default();
            at.push(Seg::Index(i));
            obj.push(Seg::item(SmolStr::new_static(mk), kv));
            let r = self.fresh(item, fields, at);
            if let Ok(Some(_)) = &r {
                self.record(obj, at, false);
            }
            obj.pop();
            at.pop();
            out.extend(r?);
        }
        Ok(Some(out))
    }

    pub(super) fn merge_item(
        &mut self,
        old: &mut [Option<J>],
        item: &J,
        mk: &'static str,
        fields: &mut Vec<SmolStr>,
        obj: &mut Vec<Seg>,
        at: &mut Vec<Seg>,
    ) -> Result<Option<J>, PatchError> {
        let J::Object(pm) = item else {
            return Err(PatchError::new(
                at.clone(),
                format!(
                    "an item of `{}` must be a map with `{mk}`, found {}",
                    fields.last().map(SmolStr::as_str).unwrap_or_default(),
                    type_name(item)
                ),
            ));
        };
        let kv = merge_key_of(pm, mk, at, fields)?;
        obj.push(Seg::item(SmolStr::new_static(mk), key_text(kv)));
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

pub(super) fn is_replace_marker(m: &Map<String, J>) -> bool {
    m.len() == 1 && m.get("$patch").and_then(J::as_str) == Some("replace")
}

pub(super) fn merge_key_of<'m>(
    m: &'m Map<String, J>,
    mk: &str,
    at: &[Seg],
    fields: &[SmolStr],
) -> Result<&'m J, PatchError> {
    match m.get(mk) {
        Some(v) if !v.is_null() => Ok(v),
        _ => {
            let list = fields.last().map(SmolStr::as_str).unwrap_or_default();
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
