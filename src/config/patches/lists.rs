//! The merge keys of an object's merged lists, carried from one strategic merge to the next, so
//! a patch that adds an item to a long list (an environment variable, a port, a mount) costs
//! the size of the patch, not a scan of the list: per list (by its keyed path in the object),
//! the set of keys its items hold. A patch whose items are all new to the list puts them in
//! front without looking at the others; any other merge of the list scans it, as before. The
//! sets hold only while strategic merges alone change the object: every change the merger
//! records drops the sets of the lists at or below it (a list replaced, a map removed), and
//! anything else (a JSON 6902 patch, a merge that failed half-way on a copy) drops them all.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value as J;

use super::Seg;

/// The merge keys of the lists of one object, each set built when its list is first merged.
#[derive(Debug, Clone, Default)]
pub struct Lists {
    keys: BTreeMap<Vec<Seg>, HashSet<String>>,
}

/// A merge-key value as the sets hold it: its JSON text, so two keys are the same exactly when
/// the merger would match them (`80` and `"80"` differ, as they do for it).
pub(super) fn key_repr(v: &J) -> String {
    v.to_string()
}

impl Lists {
    /// Forgets every list (the object changed in a way the merger did not record).
    pub fn clear(&mut self) {
        self.keys.clear();
    }

    /// Forgets the lists at or below `path`, where a change was just made.
    pub(super) fn drop_under(&mut self, path: &[Seg]) {
        if self.keys.is_empty() {
            return;
        }
        use std::ops::Bound;
        let gone: Vec<Vec<Seg>> = self
            .keys
            .range::<[Seg], _>((Bound::Included(path), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(path))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.keys.remove(&k);
        }
    }

    /// The keys of the list at `path` (`items`, merged by `mk`), built from the list the first
    /// time.
    pub(super) fn keys_of(
        &mut self,
        path: &[Seg],
        items: &[J],
        mk: &str,
    ) -> Option<&mut HashSet<String>> {
        if !self.keys.contains_key(path) {
            let set = items
                .iter()
                .filter_map(|i| i.get(mk))
                .map(key_repr)
                .collect();
            self.keys.insert(path.to_vec(), set);
        }
        self.keys.get_mut(path)
    }

    /// Forgets the list at `path` only (its items changed in a way the set does not follow).
    pub(super) fn forget(&mut self, path: &[Seg]) {
        self.keys.remove(path);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::*;

    fn deployment() -> J {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "agent-deployment", "namespace": "ns"},
            "spec": {"template": {"spec": {
                "containers": [
                    {"name": "agent", "image": "agent:1",
                     "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                     "ports": [{"containerPort": 8000}]},
                    {"name": "side", "image": "side:1"}
                ],
                "volumes": [{"name": "data", "emptyDir": {}}]
            }}}
        })
    }

    fn patch(body: J) -> Patch {
        parse(&json!({"target": {"kind": "Deployment"}, "patch": body})).unwrap()
    }

    fn agent(c: J) -> J {
        let mut c = c;
        c["name"] = json!("agent");
        json!({"spec": {"template": {"spec": {"containers": [c]}}}})
    }

    fn env(items: J) -> J {
        agent(json!({"env": items}))
    }

    /// Patches that add, merge, delete and replace items of merged lists, and change them
    /// behind the merger's back (JSON 6902, a failed merge): applied one after the other with
    /// what each carries to the next, they give what each gives with nothing carried (every
    /// list's keys read again from the object), step by step: the same object, the same
    /// changes, the same errors.
    #[test]
    fn carried_keys_give_what_reading_the_list_gives() {
        let pod = "/spec/template/spec";
        let steps = vec![
            env(json!([{"name": "C", "value": "3"}])),
            env(json!([{"name": "D"}, {"name": "E"}, {"name": "D", "value": "again"}])),
            env(json!([{"name": "A", "value": "changed"}])),
            env(json!([{"name": "F"}])),
            env(json!([{"name": "B", "$patch": "delete"}])),
            env(json!([{"name": "B", "value": "back"}])),
            json!([{"op": "add", "path": format!("{pod}/containers/0/env/-"), "value": {"name": "X", "value": "json"}}]),
            env(json!([{"name": "X", "value": "merged"}])),
            json!([{"op": "replace", "path": format!("{pod}/containers/0/env/0/name"), "value": "RENAMED"}]),
            env(json!([{"name": "RENAMED", "value": "merged"}])),
            agent(json!({"env": null})),
            env(json!([{"name": "Y"}])),
            env(json!([{"name": "Y", "value": "y"}])),
            env(json!([{"$patch": "replace"}, {"name": "Z"}])),
            env(json!([{"name": "Z", "value": "z"}])),
            agent(json!({"ports": [{"containerPort": 9000}]})),
            agent(json!({"ports": [{"containerPort": "9000"}]})),
            agent(json!({"ports": [{"containerPort": 9000, "name": "metrics"}]})),
            agent(json!({"volumeMounts": [{"name": "data", "mountPath": "/data"}]})),
            agent(
                json!({"volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": true}]}),
            ),
            json!({"spec": {"template": {"spec": {"volumes": [{"name": "cache", "emptyDir": {}}]}}}}),
            json!({"spec": {"template": {"spec": {"volumes": [{"name": "cache", "$patch": "delete"}]}}}}),
            json!({"spec": {"template": {"spec": {"volumes": [{"name": "cache"}]}}}}),
            // Fails half-way on a copy (an item without its key): nothing changes.
            env(json!([{"name": "W"}, {"value": "no name"}])),
            env(json!([{"name": "W", "value": "w"}])),
            // The side container replaced whole, then merged.
            json!({"spec": {"template": {"spec": {"containers": [{"name": "side", "$patch": "replace", "image": "side:2", "env": [{"name": "S"}]}]}}}}),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "side", "env": [{"name": "S", "value": "s"}, {"name": "T"}]}]}}}}),
            // A new container, then its list merged.
            json!({"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "i:1", "env": [{"name": "I"}]}]}}}}),
            json!({"spec": {"template": {"spec": {"initContainers": [{"name": "init", "env": [{"name": "I", "value": "i"}, {"name": "J"}]}]}}}}),
            json!([{"op": "remove", "path": format!("{pod}/initContainers/0/env/0")}]),
            json!({"spec": {"template": {"spec": {"initContainers": [{"name": "init", "env": [{"name": "I", "value": "again"}]}]}}}}),
        ];
        let mut carried = Carried::default();
        let (mut a, mut b) = (deployment(), deployment());
        for (i, body) in steps.into_iter().enumerate() {
            let p = patch(body.clone());
            let ra = apply_in_place(&mut a, &p, &mut carried);
            let rb = apply_in_place(&mut b, &p, &mut Carried::default());
            assert_eq!(ra, rb, "step {i}: {body}");
            assert_eq!(a, b, "step {i}: {body}");
        }
        // What the steps built, read back: merged, not added twice.
        let agent = a
            .pointer("/spec/template/spec/containers")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .find(|c| c["name"] == "agent")
            .cloned()
            .unwrap_or_default();
        let env: Vec<String> = agent["env"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            env,
            [r#"{"name":"W","value":"w"}"#, r#"{"name":"Z","value":"z"}"#]
        );
        let ports = &agent["ports"];
        assert_eq!(
            ports,
            &json!([{"containerPort": 9000, "name": "metrics"}, {"containerPort": "9000"}, {"containerPort": 8000}])
        );
    }

    /// An item new to a long list is placed without reading the others: the list's keys are
    /// read once, when it is first merged.
    #[test]
    fn a_new_item_is_added_without_reading_the_list() {
        let mut d = deployment();
        let mut carried = Carried::default();
        apply_in_place(&mut d, &patch(env(json!([{"name": "N0"}]))), &mut carried).unwrap();
        // Behind the merger's back, and unrecorded: an item of a key the carried keys lack.
        // A merge that read the list would find and merge it; the carried keys do not.
        if let Some(J::Array(env)) = d.pointer_mut("/spec/template/spec/containers/0/env") {
            env.push(json!({"name": "HIDDEN", "value": "h"}));
        }
        apply_in_place(
            &mut d,
            &patch(env(json!([{"name": "HIDDEN", "value": "p"}]))),
            &mut carried,
        )
        .unwrap();
        let hidden = d["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["name"] == "HIDDEN")
            .count();
        assert_eq!(hidden, 2, "the carried keys were not used");
    }
}
