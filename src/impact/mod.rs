//! Change impact: what applying a change of rendered objects will do to the running system.
//!
//! Owns the typed analysis of two sets of rendered objects (parsed JSON values, as in the
//! output directory before and after): each object that changes, keyed by kind, namespace and
//! name, is a `create`, `update` or `delete` with a set of impact [`Class`]es, each with its
//! reason and, where there is one, the fix: `in-place`, `rollout` (pods replaced by the
//! controller, with the cause and how it rolls), `recreate` (the API server rejects the update
//! of an immutable field), `data-loss` (a volume, or the namespace holding it, goes away) and
//! `security` (access widened or hardening relaxed). Values are compared semantically
//! (`2000m` is `2`). It also renders the findings for people (one line per object), as JSON
//! and as Markdown ([`report`]). Pure: it reads no files and decides nothing about exit codes.
//!
//! A stage of its own beside `output` (objects in, impact out): it depends on `input` (to parse
//! a manifest stream, [`read_side`]) and `config` only, never on `output`; the adapter from the
//! output directory's file changes is `pipeline`'s.

mod accessors;
mod kustomize;
mod markdown;
mod rules;
mod running;
mod security;
pub mod semantic;
mod stall;

pub mod report;
pub use running::Running;

use std::collections::{BTreeSet, HashMap};

use serde_json::Value as J;

use crate::k8s;
use crate::lint;

/// What a change does to the running system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// The object is updated, no pod is replaced.
    InPlace,
    /// Pods are replaced through the controller's rolling update.
    Rollout,
    /// A rollout the namespace's ResourceQuota cannot carry out: the new pods are refused
    /// while the old ones hold the quota (a one-pod StatefulSet is left with no pod).
    Stall,
    /// The API server rejects the update (an immutable field): delete and create again.
    Recreate,
    /// Stored data goes away (a volume claim, or the namespace that holds it).
    DataLoss,
    /// Access widened or hardening relaxed.
    Security,
}

impl Class {
    /// Every class, in the order they are shown.
    pub const ALL: [Class; 6] = [
        Class::InPlace,
        Class::Rollout,
        Class::Stall,
        Class::Recreate,
        Class::DataLoss,
        Class::Security,
    ];

    /// The class's name on the command line and in every output.
    pub fn name(self) -> &'static str {
        match self {
            Class::InPlace => "in-place",
            Class::Rollout => "rollout",
            Class::Stall => "stall",
            Class::Recreate => "recreate",
            Class::DataLoss => "data-loss",
            Class::Security => "security",
        }
    }
}

/// Whether the object is new, changed or gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Only in the new objects.
    Create,
    /// In both, different.
    Update,
    /// Only in the old objects.
    Delete,
    /// In both and the same, but a lint rule now fires on it because of what changed around it
    /// (its HPA's minimum against this PDB, the NetworkPolicy that isolated these pods).
    Affected,
}

impl Change {
    /// `create`, `update` or `delete`.
    pub fn name(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Delete => "delete",
            Change::Affected => "affected",
        }
    }
}

/// One reason: its class (`None`: a note on a create or delete), what happens and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The class this reason is for.
    pub class: Option<Class>,
    /// What will happen, and why.
    pub reason: String,
    /// What to do about it, when something must be done.
    pub fix: Option<String>,
}

/// The impact of one changed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impact {
    /// The project environment (`None`: a single render or a plain directory).
    pub environment: Option<String>,
    /// Kubernetes kind.
    pub kind: String,
    /// Namespace (`None`: cluster-scoped).
    pub namespace: Option<String>,
    /// Object name.
    pub name: String,
    /// create, update or delete.
    pub change: Change,
    /// The reasons, by class.
    pub findings: Vec<Finding>,
}

impl Impact {
    /// The classes of this change, in [`Class::ALL`] order.
    pub fn classes(&self) -> Vec<Class> {
        let set: BTreeSet<Class> = self.findings.iter().filter_map(|f| f.class).collect();
        set.into_iter().collect()
    }

    /// The fixes of every finding, joined.
    pub fn fix(&self) -> Option<String> {
        let fixes: Vec<&str> = self
            .findings
            .iter()
            .filter_map(|f| f.fix.as_deref())
            .collect();
        (!fixes.is_empty()).then(|| fixes.join("; "))
    }

    /// `Kind namespace/name` (or `Kind name` when cluster-scoped).
    pub fn object(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// kind, namespace, name.
type Key = (String, Option<String>, String);

fn key(o: &J) -> Option<Key> {
    let kind = k8s::object::kind(o);
    let name = k8s::object::str_at(o, "/metadata/name")?;
    if kind.is_empty() || kind == "Kustomization" {
        return None;
    }
    let namespace = if k8s::object::cluster_scoped(kind) {
        None
    } else {
        k8s::object::namespace(o).map(str::to_owned)
    };
    Some((kind.to_owned(), namespace, name.to_owned()))
}

/// One side of a comparison: the objects of a directory (or a render), as `kubectl apply -k`
/// sends them (`read_side` builds a committed `kustomization.yaml`'s `namespace` in).
#[derive(Debug, Clone, Default)]
pub struct Objects {
    pub(crate) items: Vec<(Key, J)>,
    /// Where each key sits in `items`: lookups and the duplicate check stay linear in the
    /// number of objects (a scan per object was quadratic: 3,000 extra objects compared 9M keys).
    index: HashMap<Key, usize>,
    /// What runs now, when these are the live objects (`diff --live`): the stall replay starts
    /// from it.
    pub(crate) running: Option<Running>,
}

impl Objects {
    /// The objects, keyed; later duplicates of a key are dropped, objects without a kind or
    /// name (and the Kustomization itself) are not objects.
    pub fn new(objects: Vec<J>) -> Objects {
        let mut items: Vec<(Key, J)> = Vec::new();
        let mut index = HashMap::new();
        for o in objects {
            if let Some(k) = key(&o)
                && !index.contains_key(&k)
            {
                index.insert(k.clone(), items.len());
                items.push((k, o));
            }
        }
        Objects {
            items,
            index,
            running: None,
        }
    }

    /// These objects as what runs now in the cluster, with the pod counts and quota usage read
    /// from their live status ([`Running::read`]).
    #[must_use]
    pub fn with_running(mut self, running: Running) -> Objects {
        self.running = Some(running);
        self
    }

    fn get(&self, k: &Key) -> Option<&J> {
        self.index.get(k).map(|&i| &self.items[i].1)
    }

    /// The (min, max) replicas the autoscaler (HPA, else KEDA ScaledObject) of this namespace
    /// targeting workload `kind/name` gives it, as written or defaulted
    /// ([`k8s::scale::bounds`]), or `None` when nothing scales it. `rules` shows it, `stall`
    /// clamps and replays it.
    fn autoscaler_bounds<'a>(
        &'a self,
        ns: Option<&'a str>,
        kind: &str,
        name: &str,
    ) -> Option<(i64, i64)> {
        let scaler = |k: &'a str| {
            self.of_kind(k, ns)
                .find(|o| k8s::scale::targets(o, kind, name))
        };
        let b = k8s::scale::bounds(
            scaler("HorizontalPodAutoscaler").or_else(|| scaler("ScaledObject"))?,
        )?;
        Some((b.min, b.max))
    }

    /// Objects of a kind in a namespace.
    fn of_kind<'a>(&'a self, kind: &'a str, ns: Option<&'a str>) -> impl Iterator<Item = &'a J> {
        self.items
            .iter()
            .filter(move |((k, n, _), _)| k == kind && n.as_deref() == ns)
            .map(|(_, o)| o)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Both sides, for rules that look beyond the object (the HPA of a Deployment, the claims in a
/// namespace).
pub(crate) struct Ctx<'a> {
    pub old: &'a Objects,
    pub new: &'a Objects,
}

/// Every object that differs between `old` and `new`: updates and creates in the new objects'
/// order, then deletes in the old objects' order.
pub fn analyze(old: &Objects, new: &Objects) -> Vec<Impact> {
    analyze_in(old, new, None)
}

/// [`analyze`], with the output directory `dir` named in the commands of a fix.
pub fn analyze_in(old: &Objects, new: &Objects, dir: Option<&str>) -> Vec<Impact> {
    let ctx = Ctx { old, new };
    let fired = newly_fired(old, new);
    let mut out = Vec::new();
    for (k, n) in &new.items {
        let id = format!("{}/{}", k.0, k.2);
        let now_fires = fired.iter().filter(|f| f.object == id).map(|f| Finding {
            class: Some(Class::Security),
            reason: format!(
                "lint {} ({}) now fires at {}: {}",
                f.rule.id,
                f.rule.title,
                f.path_text(),
                f.message
            ),
            fix: Some(f.rule.fix_for(&f.object)),
        });
        let (change, mut findings) = match old.get(k) {
            // Unchanged, but a rule that reads other objects now fires on it: the change is
            // elsewhere, and this line says what it does here.
            Some(o) if semantic::same(o, n) => {
                let findings: Vec<Finding> = now_fires.collect();
                if !findings.is_empty() {
                    out.push(impact(k, Change::Affected, findings));
                }
                continue;
            }
            Some(o) => (Change::Update, rules::update(&ctx, o, n)),
            None => (Change::Create, rules::create(&ctx, n)),
        };
        findings.extend(now_fires);
        out.push(impact(k, change, findings));
    }
    for (k, o) in &old.items {
        if new.get(k).is_none() {
            out.push(impact(k, Change::Delete, rules::delete(&ctx, o)));
        }
    }
    stall::predict(old, new, &mut out, dir);
    no_option_words(old, new, &mut out);
    fold_namespaces(out)
}

/// A fix is a command to paste, and quoting keeps each name one word, but not a name that
/// starts with `-`: kubectl reads `--all` or `--selector=x` as an option, whatever the quotes
/// (`kubectl delete rolebinding --all` deletes every binding). A committed name the API server
/// refuses for its kind never gets here (`input::yaml::check_objects`: a located error), but an
/// RBAC object's name is a path segment, and `--all` is one; a fix that would name one as a
/// word of its command is replaced by what it cannot say, on every change it is on (a stall's
/// fix names other objects).
fn no_option_words(old: &Objects, new: &Objects, impacts: &mut [Impact]) {
    let mut words: Vec<String> = old
        .items
        .iter()
        .chain(&new.items)
        .flat_map(|((_, ns, name), _)| [Some(name.as_str()), ns.as_deref()])
        .flatten()
        .filter(|w| w.starts_with('-'))
        .map(|w| crate::shell::quote(w).into_owned())
        .collect();
    if words.is_empty() {
        return;
    }
    words.sort();
    words.dedup();
    for f in impacts.iter_mut().flat_map(|i| i.findings.iter_mut()) {
        let Some(fix) = &f.fix else { continue };
        let named = words.iter().find(|w| {
            fix.split_whitespace()
                .any(|t| t.trim_end_matches([',', ';', ')', '"']) == w.as_str())
        });
        if let Some(w) = named {
            f.fix = Some(format!(
                "none printed: the name `{w}` starts with `-`, which kubectl reads as an option, \
                 not a name; rename the object in the inputs (a name starting with a letter or \
                 digit) and run `agentctl render` again"
            ));
        }
    }
}

/// The lint findings of `new` that `old` does not have (same rule, object and field path): a
/// change that makes a rule fire, or removes what satisfied it, is a `security` change. No
/// typed setting turns a rule off here ([`lint::Typed`]): in a comparison, a protection turned
/// off or exposure added is a security change whoever asked for it.
fn newly_fired(old: &Objects, new: &Objects) -> Vec<lint::Finding> {
    let before: Vec<_> = lint::lint(&refs(old), &lint::Typed)
        .iter()
        .map(lint::Finding::key)
        .collect();
    lint::lint(&refs(new), &lint::Typed)
        .into_iter()
        .filter(|f| f.shown(&[]) && !before.contains(&f.key()))
        .collect()
}

fn refs(o: &Objects) -> Vec<&J> {
    o.items.iter().map(|(_, j)| j).collect()
}

/// Objects created in a new namespace, or deleted with their namespace, are one line: the
/// Namespace's, which counts them (its deletion already names the data that goes with it).
/// A created object with a classed finding (a lint rule that now fires on it, a binding that
/// grants a role) keeps its own line: an object moved into a new namespace is checked as any
/// other, so `--fail-on security` sees a pod spec a move made privileged.
fn fold_namespaces(impacts: Vec<Impact>) -> Vec<Impact> {
    let whole = |change: Change| -> Vec<String> {
        impacts
            .iter()
            .filter(|i| i.kind == "Namespace" && i.change == change)
            .map(|i| i.name.clone())
            .collect()
    };
    let (created, deleted) = (whole(Change::Create), whole(Change::Delete));
    let folded = |i: &Impact| {
        let ns = i.namespace.as_deref().unwrap_or_default();
        (i.change == Change::Create
            && created.iter().any(|n| n == ns)
            && i.findings.iter().all(|f| f.class.is_none()))
            || (i.change == Change::Delete && deleted.iter().any(|n| n == ns))
    };
    let mut out: Vec<Impact> = Vec::new();
    for i in &impacts {
        if folded(i) {
            continue;
        }
        let mut i = i.clone();
        if i.kind == "Namespace" && i.change != Change::Update {
            let inside: Vec<&Impact> = impacts
                .iter()
                .filter(|x| x.namespace.as_deref() == Some(&i.name) && folded(x))
                .collect();
            if !inside.is_empty() {
                let verb = if i.change == Change::Create {
                    "created in it"
                } else {
                    "no longer rendered in it"
                };
                i.findings.insert(
                    0,
                    Finding {
                        class: None,
                        reason: format!("{} objects {verb}: {}", inside.len(), kinds(&inside)),
                        fix: None,
                    },
                );
            }
        }
        out.push(i);
    }
    out
}

/// `2 Deployment, 1 StatefulSet, ...` in first-seen order.
fn kinds(impacts: &[&Impact]) -> String {
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for i in impacts {
        match counted.iter_mut().find(|(k, _)| *k == i.kind) {
            Some((_, n)) => *n += 1,
            None => counted.push((&i.kind, 1)),
        }
    }
    counted
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn impact(k: &Key, change: Change, findings: Vec<Finding>) -> Impact {
    Impact {
        environment: None,
        kind: k.0.clone(),
        namespace: k.1.clone(),
        name: k.2.clone(),
        change,
        findings,
    }
}

/// The impact of a comparison: what changes, and the files that could not be read as
/// manifests (hand-edited into something else), which are left out.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// The changed objects.
    pub impacts: Vec<Impact>,
    /// `file: why` for what `kubectl apply -k` applies beyond the files compared (a committed
    /// `kustomization.yaml`'s own entries).
    pub unreadable: Vec<String>,
}

/// Reads one side's files (name, text) into [`Objects`]. A file that is not a manifest
/// stream kubectl would read as agentctl does (a YAML error, a merge key, a document that is
/// not a whole object, in a file kustomize builds: `input::yaml::check_objects`) is not guessed at: it goes into `broken` with where, and the
/// caller refuses the comparison. `tree` names every file of the side below the compared root
/// (other directories' too), for a kustomization's `resources` entry that names a directory.
/// Every credential value is hidden as it is read (`redactor`,
/// one for both sides): what the report quotes of a file agentctl reads back never shows one.
pub fn read_side<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    tree: &[&str],
    unreadable: &mut Vec<String>,
    broken: &mut Vec<(String, crate::input::yaml::SyntaxError)>,
    redactor: &mut crate::config::credentials::Redactor,
) -> Objects {
    let files: Vec<(&str, &str)> = files.into_iter().collect();
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    let mut read = Vec::new();
    for &(name, text) in &files {
        match crate::input::yaml::read_manifests(text) {
            Ok(mut docs) => {
                // kustomize reads a kustomization file by its name, whatever its `kind` says
                // (none, empty, or a Component `kubectl kustomize` builds alike).
                if kustomize::is_kustomization(name)
                    && let Some(J::Object(first)) = docs.first_mut()
                    && matches!(first.get("kind"), None | Some(J::Null) | Some(J::String(_)))
                    && matches!(
                        first.get("kind").and_then(J::as_str).unwrap_or_default(),
                        "" | "Component"
                    )
                {
                    first.insert("kind".into(), J::String("Kustomization".into()));
                }
                for d in docs.iter().filter(|d| d["kind"] == "Kustomization") {
                    for why in foreign_entries(name, d, &names) {
                        let line = format!("{name}: {why}");
                        if !unreadable.contains(&line) {
                            unreadable.push(line);
                        }
                    }
                }
                read.push((name.to_owned(), docs));
            }
            Err(e) => broken.push((name.to_owned(), e)),
        }
    }
    // A kustomization file `kubectl kustomize` refuses makes the side no build at all; two in
    // one directory too.
    for &(name, text) in &files {
        if !kustomize::is_kustomization(name) || broken.iter().any(|(n, _)| n == name) {
            continue;
        }
        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
        let first = files.iter().map(|(n, _)| *n).find(|n| {
            kustomize::is_kustomization(n) && n.rsplit_once('/').map_or("", |(d, _)| d) == dir
        });
        if first.is_some_and(|f| f != name) {
            broken.push((
                name.to_owned(),
                crate::input::yaml::SyntaxError {
                    message: format!(
                        "{name} is a second kustomization file beside {}: `kubectl kustomize` refuses a directory with two",
                        first.unwrap_or_default()
                    ),
                    pos: crate::input::yaml::Pos { line: 1, col: 1 },
                    len: 1,
                    hint: Some("remove the one that is not agentctl's".into()),
                    related: None,
                    kind: crate::input::yaml::SyntaxKind::Other,
                },
            ));
        } else if let Some(e) = kustomize::refused(name, text, &read, tree) {
            broken.push((name.to_owned(), e));
        }
    }
    // A file `kubectl apply -k` builds (a `resources` entry, or any file of a side without a
    // kustomization.yaml) must hold whole objects; one it does not build is not compared.
    let listed: Vec<String> = read
        .iter()
        .flat_map(|(name, docs)| {
            let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
            docs.iter()
                .filter(|d| d["kind"] == "Kustomization")
                .flat_map(|d| d["resources"].as_array().cloned().unwrap_or_default())
                .filter_map(move |r| kustomize::resolve(dir, r.as_str().unwrap_or_default()))
        })
        .collect();
    let texts: std::collections::HashMap<&str, &str> = files.iter().copied().collect();
    read.retain(|(name, docs)| {
        let built = listed.is_empty() || listed.iter().any(|l| l == name);
        let text = texts.get(name.as_str()).copied().unwrap_or_default();
        match crate::input::yaml::check_objects(text, docs) {
            Err(e) if built => {
                broken.push((name.clone(), e));
                false
            }
            _ => true,
        }
    });
    let mut notes = Vec::new();
    let mut all = kustomize::build(read, &mut notes);
    for line in notes {
        if !unreadable.contains(&line) {
            unreadable.push(line);
        }
    }
    for d in &mut all {
        redactor.object(d);
    }
    Objects::new(all)
}

/// What a committed `kustomization.yaml` holds that agentctl does not write, so what
/// `kubectl apply -k` applies is not only the files compared: any field but the ones agentctl
/// writes (`patches`, `components`, `images`, generators, ...), and any `resources` entry
/// that is not a generated file beside it (a remote base, `../other`, a hand-written file).
fn foreign_entries(name: &str, k: &J, files: &[&str]) -> Vec<String> {
    // `patches` and `labels` are built (`kustomize`); what of them cannot be is noted there.
    const OURS: &[&str] = &[
        "apiVersion",
        "kind",
        "labels",
        "namespace",
        "patches",
        "resources",
    ];
    let mut out = Vec::new();
    for key in k.as_object().into_iter().flat_map(|m| m.keys()) {
        if !OURS.contains(&key.as_str()) {
            let key = crate::term::one_line(key);
            out.push(format!(
                "`{key}` is not written by agentctl: `kubectl apply -k` applies it, and it is not analyzed"
            ));
        }
    }
    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
    for r in k["resources"].as_array().into_iter().flatten() {
        let entry = r.as_str().unwrap_or_default();
        if !kustomize::resolve(dir, entry).is_some_and(|path| files.contains(&path.as_str())) {
            let entry = crate::term::one_line(entry);
            out.push(format!(
                "resources entry `{entry}` is not a file agentctl generated here: `kubectl apply -k` applies it, and it is not analyzed"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
