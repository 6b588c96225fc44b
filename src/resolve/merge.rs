//! Merge: layers folded into one effective configuration, remembering who set what.
//!
//! The one merge rule, in precedence order (later wins): built-in defaults → each `-p PROFILE`
//! in order → each `-f FILE` in order → each `--set PATH=VALUE` in order. Maps merge key by key;
//! lists and scalars replace the earlier value as a whole. For every config path the merge keeps
//! the history of layers that set it, so `config --show-origin` and `explain` can say where a
//! value came from and what it replaced, and validation can point at the place that set it.
//!
//! `patches:` and `resources:` (the escape hatch) do not follow "lists replace": they
//! accumulate over the layers in order, as Kustomize overlays do; an extra object with the
//! same kind and name as one of an earlier layer replaces it (twice in one layer is an error).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Config;
use crate::config::patches;
use crate::config::path::ConfigPath;
use crate::config::schema::{self, Removal};
use crate::diag::{Diagnostic, Error, Source};
use crate::input::extras::{LocatedAccept, LocatedObject, LocatedPatch};
use crate::input::layers::Layer;
use crate::input::yaml::{Node, Pos, Value};

/// One layer's value at one path.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The layer's source.
    pub source: Arc<Source>,
    /// Where the value was written.
    pub pos: Pos,
    /// Width of the value in its source line.
    pub len: usize,
    /// Where the key that set it was written (`None` for the root).
    pub key: Option<Pos>,
    /// The layer's whole tree, shared by every setting of the layer, and where in it this
    /// value is (one entry index per map level), for [`Setting::value`].
    tree: Arc<Node>,
    at: Box<[u32]>,
}

impl Setting {
    /// The value that layer gave (as JSON), built when asked (messages, `explain`): a copy of
    /// every section's value at every path held ~0.27 MiB per environment, most of the memory
    /// of a project render, for the few values a run ever shows.
    pub fn value(&self) -> serde_json::Value {
        let mut node = &*self.tree;
        for &i in &self.at {
            match &node.value {
                Value::Map(entries) => match entries.get(i as usize) {
                    Some((_, child)) => node = child,
                    None => return serde_json::Value::Null,
                },
                _ => return serde_json::Value::Null,
            }
        }
        to_json(node)
    }
}

/// The merged configuration with its provenance.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The typed effective configuration.
    pub config: Config,
    /// For each dotted path (sections and leaves), every layer that set it, in order.
    pub history: BTreeMap<String, Vec<Setting>>,
    /// The patches of every layer, in layer order (they accumulate).
    pub patches: Vec<LocatedPatch>,
    /// The extra objects of every layer, a later layer's replacing an earlier one's of the same
    /// kind and name.
    pub resources: Vec<LocatedObject>,
    /// The lint findings accepted by every layer (they accumulate), each with its reason.
    pub accepts: Vec<LocatedAccept>,
    /// The CustomResourceDefinitions every layer lists (`crds:`), a later layer's replacing an
    /// earlier one's of the same group and kind.
    pub crds: Vec<Arc<crate::input::crds::Crd>>,
    /// `crds:` entries whose file could not be read (each already an error): an object of an
    /// unknown kind may be one of theirs.
    pub crds_unread: usize,
}

impl Merged {
    /// The layer that set the effective value of `path` (its last setter).
    pub fn origin(&self, path: &str) -> Option<&Setting> {
        self.history.get(path).and_then(|h| h.last())
    }

    /// A diagnostic located where `path` was last set (nowhere for a built-in default).
    /// A path inside a list (`agent.tolerations.0.value`), or a field the user left out of an
    /// entry they wrote, is located at the nearest enclosing setting the user wrote.
    pub fn locate(&self, d: Diagnostic, path: &ConfigPath) -> Diagnostic {
        let d = d.path(path.as_str());
        if self.origin(path.as_str()).is_none() {
            let mut at = path.as_str();
            while let Some((parent, _)) = at.rsplit_once('.') {
                at = parent;
                if let Some(s) = self.origin(at)
                    && s.source.origin != crate::diag::Origin::Default
                {
                    return d.at(&s.source, s.pos, s.len);
                }
            }
        }
        match self.origin(path.as_str()) {
            Some(s) if s.source.origin != crate::diag::Origin::Default => {
                d.at(&s.source, s.pos, s.len)
            }
            Some(s) => d.note(format!(
                "`{path}` has its built-in default ({})",
                compact(&s.value())
            )),
            None => d,
        }
    }

    /// A diagnostic about the key of `path` itself (a user's label name, say): the caret is on
    /// the key where it was last set, not on its value.
    pub fn locate_key(&self, d: Diagnostic, path: &ConfigPath) -> Diagnostic {
        if let Some(s) = self.origin(path.as_str())
            && s.source.origin != crate::diag::Origin::Default
            && let Some(key) = s.key
        {
            let name = path.as_str().rsplit('.').next().unwrap_or_default();
            let width = crate::diag::key_len(&s.source, key, name);
            d.path(path.as_str()).at(&s.source, key, width)
        } else {
            self.locate(d, path)
        }
    }

    /// Adds a pointer to where `path` was set, for the other half of a cross-field rule.
    pub fn relate(&self, d: Diagnostic, path: &ConfigPath) -> Diagnostic {
        match self.origin(path.as_str()) {
            Some(s) if s.source.origin != crate::diag::Origin::Default => d.related(
                format!("{path} = {} set here", compact(&s.value())),
                Some(&s.source),
                s.pos,
            ),
            Some(s) => d.related(
                format!("{path} = {}", compact(&s.value())),
                None,
                Pos::default(),
            ),
            None => d,
        }
    }
}

/// A value in one line, for messages.
pub fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub use crate::input::yaml::to_json;

/// Merges `over` into `base` at `path`. `null` removes (the one rule, [`Removal`]): a map
/// entry goes away, a whole map is emptied, an optional setting is unset.
fn merge_into(base: &mut Node, over: &Node, path: &mut Vec<String>) {
    match (&mut base.value, &over.value) {
        (Value::Map(base_entries), Value::Map(over_entries)) => {
            for (key, value) in over_entries {
                path.push(key.name.clone());
                let segments: Vec<&str> = path.iter().map(String::as_str).collect();
                let removal = if matches!(value.value, Value::Null) {
                    schema::removal(&segments)
                } else {
                    Removal::No
                };
                let at = base_entries.iter().position(|(k, _)| k.name == key.name);
                match (removal, at) {
                    (Removal::Entry, Some(i)) => {
                        base_entries.remove(i);
                    }
                    (Removal::Entry, None) => {}
                    (Removal::Map, _) => {
                        let empty = Node {
                            value: Value::Map(Vec::new()),
                            ..value.clone()
                        };
                        match at {
                            Some(i) => base_entries[i].1 = empty,
                            None => base_entries.push((key.clone(), empty)),
                        }
                    }
                    (_, Some(i)) => merge_into(&mut base_entries[i].1, value, path),
                    (_, None) => base_entries.push((key.clone(), value.clone())),
                }
                path.pop();
            }
        }
        _ => *base = over.clone(),
    }
}

/// Where a layer's values are: the tree, the source, and the path being walked (names and
/// entry indices).
struct Walk<'a> {
    tree: &'a Arc<Node>,
    source: &'a Arc<Source>,
    path: Vec<&'a str>,
    at: Vec<u32>,
}

fn record<'a>(
    node: &'a Node,
    key: Option<Pos>,
    walk: &mut Walk<'a>,
    history: &mut BTreeMap<String, Vec<Setting>>,
) {
    if !walk.path.is_empty() {
        history
            .entry(walk.path.join("."))
            .or_default()
            .push(Setting {
                source: Arc::clone(walk.source),
                pos: node.pos,
                len: node.len,
                key,
                tree: Arc::clone(walk.tree),
                at: walk.at.as_slice().into(),
            });
    }
    if let Value::Map(entries) = &node.value {
        for (i, (k, v)) in entries.iter().enumerate() {
            walk.path.push(&k.name);
            walk.at.push(u32::try_from(i).unwrap_or(u32::MAX));
            record(v, Some(k.pos), walk, history);
            walk.at.pop();
            walk.path.pop();
        }
    }
}

/// Merges layers (defaults first) into the effective configuration. Takes them: their
/// patches, extra objects and trees move into the result (10,000 patches were cloned, a
/// tenth of rendering them).
pub fn merge(layers: Vec<Layer>) -> Result<Merged, Error> {
    let mut history = BTreeMap::new();
    let mut tree: Option<Node> = None;
    let mut patches = Vec::new();
    let mut accepts = Vec::new();
    let mut resources: Vec<LocatedObject> = Vec::new();
    // Where each extra object's identity is in `resources`: one lookup per object, so merging
    // N extra objects is linear (a scan per object made 2,700 ConfigMaps take 20 s).
    let mut listed: std::collections::HashMap<(String, String, String), usize> =
        std::collections::HashMap::new();
    let mut crds: Vec<Arc<crate::input::crds::Crd>> = Vec::new();
    let mut crds_unread = 0;
    let mut diags = Vec::new();
    for layer in layers {
        crds_unread += layer
            .extras
            .crds
            .iter()
            .filter(|c| c.defs.is_empty())
            .count();
        for def in layer.extras.crds.iter().flat_map(|c| &c.defs) {
            match crds
                .iter_mut()
                .find(|c| c.group == def.group && c.kind == def.kind)
            {
                Some(earlier) => *earlier = Arc::clone(def),
                None => crds.push(Arc::clone(def)),
            }
        }
        patches.extend(layer.extras.patches);
        accepts.extend(layer.extras.accepts);
        for extra in layer.extras.resources {
            let id = extra_id(&extra.object);
            let place = listed.get(&id).copied();
            match place.and_then(|i| resources.get_mut(i)) {
                Some(earlier) if Arc::ptr_eq(&earlier.source, &extra.source) => diags.push(
                    Diagnostic::new(format!(
                        "the extra object {} is listed twice in `resources:`",
                        patches::object_id(&extra.object)
                    ))
                    .path(format!("resources[{}]", extra.index))
                    .at(&extra.source, extra.node.pos, extra.node.len)
                    .related(
                        format!("first listed as resources[{}]", earlier.index),
                        Some(&earlier.source),
                        earlier.node.pos,
                    )
                    .help(
                        "keep one of them (a later file may replace an object of an earlier one)",
                    ),
                ),
                Some(earlier) => *earlier = extra,
                None => {
                    listed.insert(id, resources.len());
                    resources.push(extra);
                }
            }
        }
        match &mut tree {
            None => tree = Some(layer.tree.clone()),
            Some(t) => merge_into(t, &layer.tree, &mut Vec::new()),
        }
        let shared = Arc::new(layer.tree);
        let mut walk = Walk {
            tree: &shared,
            source: &layer.source,
            path: Vec::new(),
            at: Vec::new(),
        };
        record(&shared, None, &mut walk, &mut history);
    }
    if !diags.is_empty() {
        return Err(Error::Input(diags));
    }
    // Most paths are set by one layer: a vector's first growth holds four settings.
    history.values_mut().for_each(Vec::shrink_to_fit);
    let json = tree
        .as_ref()
        .map(to_json)
        .unwrap_or(serde_json::Value::Null);
    let mut config: Config = serde_json::from_value(json).map_err(|e| {
        Error::Input(vec![Diagnostic::new(format!(
            "the merged configuration does not fit the schema: {e}"
        ))])
    })?;
    // `instance`: the name settings at their built-in default take its prefix.
    crate::config::instance::follow_defaults(&mut config, |path| {
        history
            .get(path)
            .and_then(|h| h.last())
            .is_none_or(|s| s.source.origin == crate::diag::Origin::Default)
    });
    // `redis.none: true` turns the in-cluster Redis off unless the user wrote `enabled`.
    crate::config::follow_redis_none(&mut config, |path| {
        history
            .get(path)
            .and_then(|h| h.last())
            .is_none_or(|s| s.source.origin == crate::diag::Origin::Default)
    });
    // A probe's timeout left at its default follows the period the user wrote (`periodSeconds:
    // 5` alone is not refused because the default timeout is 5).
    follow_probe_periods(&mut config, |path| {
        history
            .get(path)
            .and_then(|h| h.last())
            .is_none_or(|s| s.source.origin == crate::diag::Origin::Default)
    });
    Ok(Merged {
        config,
        history,
        patches,
        resources,
        accepts,
        crds,
        crds_unread,
    })
}

/// Every probe whose `timeoutSeconds` is at its default (`defaulted(path)`) and not below its
/// `periodSeconds` gets the longest timeout below the period (at least 1 s, Kubernetes'
/// least), and a period at its default below a timeout the user wrote gets one more second
/// than the timeout: a default never turns a value the user wrote into an error. The check
/// (`timeout below period`) then reads only timeouts the user wrote.
pub fn follow_probe_periods(config: &mut Config, defaulted: impl Fn(&str) -> bool) {
    use crate::config::INT32_MAX;
    let fix = |base: String, period: &mut u32, timeout: &mut u32| {
        if *timeout < *period {
            return;
        }
        if defaulted(&format!("{base}.timeoutSeconds")) {
            *timeout = period.saturating_sub(1).max(1);
        } else if defaulted(&format!("{base}.periodSeconds")) && *timeout < INT32_MAX {
            // A timeout the user wrote with the period left at its default: the period follows
            // (a timeout at Kubernetes' largest leaves no period above it: then refused).
            *period = *timeout + 1;
        }
    };
    let probes = &mut config.agent.probes;
    for (kind, p) in [
        ("liveness", &mut probes.liveness),
        ("readiness", &mut probes.readiness),
        ("startup", &mut probes.startup),
    ] {
        fix(
            format!("agent.probes.{kind}"),
            &mut p.period_seconds,
            &mut p.timeout_seconds,
        );
    }
    let a = &mut config.agent;
    for (field, containers) in [
        ("sidecars", &mut a.sidecars),
        ("initContainers", &mut a.init_containers),
    ] {
        for (name, c) in containers.iter_mut() {
            let p = &mut c.probes;
            for (kind, p) in [
                ("liveness", &mut p.liveness),
                ("readiness", &mut p.readiness),
                ("startup", &mut p.startup),
            ] {
                if let Some(p) = p {
                    fix(
                        format!("agent.{field}.{name}.probes.{kind}"),
                        &mut p.period_seconds,
                        &mut p.timeout_seconds,
                    );
                }
            }
        }
    }
}

/// What identifies an extra object across layers: API group, kind and name.
fn extra_id(obj: &serde_json::Value) -> (String, String, String) {
    let s = |p: &str| {
        crate::k8s::object::pointer(obj, p)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let api = s("/apiVersion");
    let group = api.split_once('/').map_or("", |(g, _)| g).to_owned();
    (group, s("/kind"), s("/metadata/name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Origin;
    use crate::input::layers;

    /// A default timeout or period follows the one the user wrote, never past Kubernetes'
    /// `int32` (a timeout at the largest keeps its default period, and the check refuses it).
    #[test]
    fn probe_defaults_follow_what_was_written_within_int32() {
        let mut c = Config::default();
        c.agent.probes.liveness.period_seconds = 5;
        c.agent.probes.startup.timeout_seconds = 7;
        c.agent.probes.readiness.timeout_seconds = crate::config::INT32_MAX;
        let written = [
            "agent.probes.liveness.periodSeconds",
            "agent.probes.startup.timeoutSeconds",
            "agent.probes.readiness.timeoutSeconds",
        ];
        follow_probe_periods(&mut c, |p| !written.contains(&p));
        let p = &c.agent.probes;
        assert_eq!(
            (p.liveness.period_seconds, p.liveness.timeout_seconds),
            (5, 4)
        );
        assert_eq!(
            (p.startup.period_seconds, p.startup.timeout_seconds),
            (8, 7)
        );
        assert_eq!(p.readiness.period_seconds, 5);
    }

    fn merged(files: &[&str], sets: &[&str]) -> Merged {
        let mut all = vec![layers::defaults()];
        for (i, text) in files.iter().enumerate() {
            let source = Source::new(Origin::File(format!("f{i}.yaml").into()), *text);
            all.push(layers::from_text(source).expect("a valid layer"));
        }
        for s in sets {
            all.push(layers::set(s).expect("a valid --set"));
        }
        merge(all).expect("merges")
    }

    #[test]
    fn null_removes_a_map_entry_in_a_file_and_with_set() {
        let base = "agent:\n  nodeSelector:\n    node-type: fast\n    zone: a\n";
        let m = merged(
            &[base, "agent:\n  nodeSelector:\n    node-type: null\n"],
            &[],
        );
        assert_eq!(
            m.config.agent.node_selector.keys().collect::<Vec<_>>(),
            ["zone"]
        );
        let m = merged(&[base], &["agent.nodeSelector.zone=null"]);
        assert_eq!(
            m.config.agent.node_selector.keys().collect::<Vec<_>>(),
            ["node-type"]
        );
        // Removing an entry no earlier layer set is not an error, and sets nothing.
        let m = merged(&[], &["agent.nodeSelector.absent=~"]);
        assert!(m.config.agent.node_selector.is_empty());
    }

    #[test]
    fn null_on_a_map_removes_every_earlier_entry_but_not_later_ones() {
        let m = merged(
            &["agent:\n  podAnnotations: {a: '1', b: '2'}\n"],
            &["agent.podAnnotations=null", "agent.podAnnotations.c=3"],
        );
        assert_eq!(
            m.config.agent.pod_annotations.keys().collect::<Vec<_>>(),
            ["c"]
        );
    }

    #[test]
    fn null_unsets_an_optional_value_even_with_a_default() {
        let m = merged(&["autoscaling:\n  targetMemoryUtilization: null\n"], &[]);
        assert_eq!(m.config.autoscaling.target_memory_utilization, None);
        let m = merged(&[], &["secret.apiKeyKey=null"]);
        assert_eq!(m.config.secret.api_key_key, None);
    }

    #[test]
    fn null_is_refused_for_lists_sections_and_required_values() {
        for text in [
            "agent:\n  tolerations: null\n",
            "agent:\n  port: null\n",
            "agent:\n  probes: null\n",
        ] {
            let source = Source::new(Origin::File("f.yaml".into()), text);
            assert!(layers::from_text(source).is_err(), "{text}");
        }
        assert!(layers::set("agent.port=null").is_err());
        assert!(layers::set("agent.tolerations=null").is_err());
    }

    #[test]
    fn a_quoted_null_in_set_is_the_string() {
        let m = merged(
            &[],
            &[
                "agent.config.extra.MODE=\"null\"",
                "agent.nodeSelector.a='~'",
            ],
        );
        assert_eq!(m.config.agent.config.extra["MODE"], "null");
        assert_eq!(m.config.agent.node_selector["a"], "~");
    }
}
