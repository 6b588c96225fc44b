//! Which objects a patch's target selects: the objects indexed once by kind and by name, and
//! the last target's selection kept while no patch changed what a target reads.

use std::collections::HashMap;

use serde_json::Value as J;

use crate::config::patches;

/// The objects a patch may select (every one but the Kustomization), indexed once by kind and
/// by name, so a target that names a kind or a name is matched against those objects only
/// (a label selector alone reads every object). No patch changes an object's kind (refused);
/// one that drops a name (`metadata: {$patch: replace}`) or changes it drops the index
/// ([`Selectable::changed`]): from then on every object is read, as without it.
pub(super) struct Selectable {
    /// Indices over all objects, in order.
    all: Vec<usize>,
    /// Each object's kind and name when indexed (`None`: the Kustomization).
    ids: Vec<Option<(String, String)>>,
    /// Indices by kind, then by name, in order; `None` once an identity changed.
    index: Option<(Buckets, Buckets)>,
    /// The last target matched and what it selected, while no patch could have changed what a
    /// target reads (an identity or a label): 10,000 patches of one target match once.
    last: Option<(patches::Target, Vec<usize>)>,
}

/// Object indices by a kind or a name.
type Buckets = HashMap<String, Vec<usize>>;

fn kind_and_name(o: &J) -> (&str, &str) {
    fn field(v: Option<&J>) -> &str {
        v.and_then(J::as_str).unwrap_or_default()
    }
    (
        field(o.get("kind")),
        field(o.get("metadata").and_then(|m| m.get("name"))),
    )
}

impl Selectable {
    pub(super) fn new(files: &[(String, Vec<J>)]) -> Selectable {
        let mut all = Vec::new();
        let mut ids = Vec::new();
        let (mut by_kind, mut by_name) = (HashMap::new(), HashMap::new());
        for (i, o) in files.iter().flat_map(|(_, objs)| objs).enumerate() {
            let (kind, name) = kind_and_name(o);
            if kind == "Kustomization" {
                ids.push(None);
                continue;
            }
            all.push(i);
            by_kind
                .entry(kind.to_owned())
                .or_insert_with(Vec::new)
                .push(i);
            by_name
                .entry(name.to_owned())
                .or_insert_with(Vec::new)
                .push(i);
            ids.push(Some((kind.to_owned(), name.to_owned())));
        }
        Selectable {
            all,
            ids,
            index: Some((by_kind, by_name)),
            last: None,
        }
    }

    /// The objects `target` selects among `all` (every object, in order).
    pub(super) fn select(&mut self, target: &patches::Target, all: &[&mut J]) -> Vec<usize> {
        if let Some((t, selected)) = &self.last
            && t == target
        {
            return selected.clone();
        }
        let selected: Vec<usize> = self
            .candidates(target)
            .iter()
            .copied()
            .filter(|&i| all.get(i).is_some_and(|o| patches::matches(target, o)))
            .collect();
        self.last = Some((target.clone(), selected.clone()));
        selected
    }

    /// After a patch changed an object where a target may read (its identity or labels: a
    /// JSON 6902 patch anywhere, a strategic merge at the root or in `metadata`).
    pub(super) fn relabelled(&mut self) {
        self.last = None;
    }

    /// The objects `target` may select, in order (each still matched in full).
    fn candidates(&self, target: &patches::Target) -> &[usize] {
        let Some((by_kind, by_name)) = &self.index else {
            return &self.all;
        };
        let bucket = match (&target.name, &target.kind) {
            (Some(n), _) => by_name.get(n),
            (None, Some(k)) => by_kind.get(k),
            (None, None) => return &self.all,
        };
        bucket.map_or(&[][..], Vec::as_slice)
    }

    /// After a patch changed object `i`: an identity no longer the indexed one drops the index.
    pub(super) fn changed(&mut self, i: usize, obj: &J) {
        if self.index.is_none() {
            return;
        }
        let same = self
            .ids
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|(k, n)| {
                let (kind, name) = kind_and_name(obj);
                kind == k.as_str() && name == n.as_str()
            });
        if !same {
            self.index = None;
        }
    }
}
