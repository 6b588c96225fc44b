//! The escape hatch applied: the layers' extra objects added and their patches applied to the
//! rendered, round-tripped objects, before the bundle is serialized.
//!
//! Order, as in a Kustomization: extra objects first (own file [`EXTRA_FILE`], listed in
//! `kustomization.yaml`, in the output's namespace, with the common labels), then every patch of
//! every layer in layer order, each to every object its target selects (extra objects too).
//! After each patch, each object it changed goes through its Kubernetes type again; what does
//! not survive (a field Kubernetes does not have, a value of the wrong type) is an error at the
//! line of the patch that wrote it. A target that selects nothing is an error with a "did you
//! mean" over the objects. Secrets stay refused: no extra object may be one, no patch may change
//! an object's kind, and no literal `value:` of an environment variable whose name looks like a
//! credential may come from a patch or an extra object. Every name in an object a patch changed
//! or an extra object added is checked for its kind ([`super::names`]): a name Kubernetes would
//! refuse never reaches a file, a printed command or a report. Knows nothing of files or YAML text:
//! locations come from [`crate::input::extras`].

use serde_json::{Map, Value as J};

use crate::config::credentials;
use crate::config::patches::{self, Change, PatchError, PathDisplay, Seg};
use crate::diag::Diagnostic;
use crate::input::extras::{LocatedObject, LocatedPatch};
use crate::render::k8s_check::{self, PathStep, TypeError};
use crate::resolve::merge::Merged;

/// The file extra objects are written to.
pub const EXTRA_FILE: &str = "extra-objects.yaml";

/// What one patch changed in one object, for provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// `file:line:col` of the patch entry.
    pub origin: String,
    /// Its index in its layer's `patches:`.
    pub index: usize,
    /// `Kind/name` of the object.
    pub object: String,
    /// What changed, where in the object (`spec.template.spec.containers[name=sidecar]`).
    pub changes: Vec<String>,
    /// The same changes with where in the patch entry each was written, for locating a lint
    /// finding at the patch's line ([`crate::render::provenance`]).
    pub located: Vec<Change>,
}

/// Namespace and common labels from the rendered `kustomization.yaml`: what `kubectl
/// kustomize` sets on every object, so the files already carry them.
struct Common {
    namespace: String,
    labels: Map<String, J>,
}

fn common(files: &[(String, Vec<J>)]) -> Common {
    let k = files
        .iter()
        .flat_map(|(_, objs)| objs)
        .find(|o| o.get("kind").and_then(J::as_str) == Some("Kustomization"));
    Common {
        namespace: k
            .and_then(|k| k.get("namespace"))
            .and_then(J::as_str)
            .unwrap_or_default()
            .to_owned(),
        labels: k
            .and_then(|k| k.pointer("/labels/0/pairs"))
            .and_then(J::as_object)
            .cloned()
            .unwrap_or_default(),
    }
}

/// Sets the common labels where kustomize's `labels` (without includeTemplates) puts them: the
/// object's own metadata. Pod templates are labelled by their templates (or the user's patch),
/// never a StatefulSet's immutable volumeClaimTemplates.
fn label(obj: &mut J, labels: &Map<String, J>) {
    if labels.is_empty() {
        return;
    }
    let Some(J::Object(meta)) = ensure(obj, "/metadata") else {
        return;
    };
    let entry = meta
        .entry("labels")
        .or_insert_with(|| J::Object(Map::new()));
    if let J::Object(l) = entry {
        for (k, v) in labels {
            l.insert(k.clone(), v.clone());
        }
    }
}

/// The value at `pointer`, created as empty maps along the way.
fn ensure<'a>(obj: &'a mut J, pointer: &str) -> Option<&'a mut J> {
    let mut here = obj;
    for t in pointer.split('/').skip(1) {
        let J::Object(m) = here else { return None };
        here = m
            .entry(t.to_owned())
            .or_insert_with(|| J::Object(Map::new()));
    }
    Some(here)
}

fn steps(path: &[PathStep]) -> Vec<Seg> {
    path.iter()
        .map(|s| match s {
            PathStep::Key(k) => Seg::Key(k.clone()),
            PathStep::Index(i) => Seg::Index(*i),
        })
        .collect()
}

/// The object through its Kubernetes type: the round-tripped value, or what did not survive
/// (paths into `obj`, with what happened).
fn round_trip(obj: &J) -> Result<J, Vec<(Vec<Seg>, String)>> {
    match k8s_check::roundtrip(obj) {
        Ok(back) => {
            let lost = patches::lost(obj, &back);
            if lost.is_empty() {
                let mut back = back;
                crate::render::stored::apply(&mut back);
                Ok(back)
            } else {
                Err(lost)
            }
        }
        Err(e) => match e.downcast_ref::<TypeError>() {
            Some(t) => Err(vec![(steps(&t.path), t.message.clone())]),
            None => Err(vec![(Vec::new(), e.to_string())]),
        },
    }
}

fn lost_message(obj: &J, path: &[Seg], what: &str) -> (String, Option<String>) {
    let shown = PathDisplay(&patches::keyed_path(obj, path)).to_string();
    let id = patches::object_id(obj);
    match what {
        "dropped" => {
            let field = match path.last() {
                Some(Seg::Key(k)) => k.clone(),
                _ => shown.clone(),
            };
            // k8s-openapi cannot list the fields a type has; the fields the object already has
            // at that place are the likeliest intent (`imagePullPolicyy` → `imagePullPolicy`).
            let parent = path.get(..path.len().saturating_sub(1)).unwrap_or_default();
            let mut here = Some(obj);
            for seg in parent {
                here = match (seg, here) {
                    (Seg::Key(k), Some(J::Object(m))) => m.get(k),
                    (Seg::Index(i), Some(J::Array(a))) => a.get(*i),
                    _ => None,
                };
            }
            let siblings: Vec<&str> = match here {
                Some(J::Object(m)) => m
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != field)
                    .collect(),
                _ => Vec::new(),
            };
            let kind = obj
                .get("kind")
                .and_then(J::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let mut explain = vec![kind];
            explain.extend(parent.iter().filter_map(|s| match s {
                Seg::Key(k) => Some(k.clone()),
                _ => None,
            }));
            let check = format!(
                "check the spelling and the nesting with `kubectl explain {}`",
                explain.join(".")
            );
            let hint = match crate::suggest::did_you_mean(&field, siblings.iter().copied()) {
                Some(n) => format!("did you mean `{n}`? {check}"),
                None => check,
            };
            (
                format!("`{field}` is not a field of {id} at `{shown}`: Kubernetes would drop it"),
                Some(hint),
            )
        }
        "added" => (
            format!("{id}: `{shown}` appeared in the round trip through its Kubernetes type"),
            None,
        ),
        other if path.is_empty() => (format!("{id}: {other}"), None),
        other => {
            // A number written in a form YAML readers disagree on (`0644`, `0x1F`) is read as
            // its text: say what to write.
            let mut value = Some(obj);
            for seg in path {
                value = match (seg, value) {
                    (Seg::Key(k), Some(J::Object(m))) => m.get(k),
                    (Seg::Index(i), Some(J::Array(a))) => a.get(*i),
                    _ => None,
                };
            }
            let help = match value.and_then(J::as_str).and_then(crate::input::yaml::not_decimal) {
                Some(nd) => format!(
                    "{}; write the number in plain decimal digits: {}",
                    nd.readings, nd.write
                ),
                None => "check the value's type against `kubectl explain` (numbers unquoted, strings quoted where YAML could misread them)".to_owned(),
            };
            (
                format!(
                    "wrong type for `{}` in {id}: {other}",
                    match path.last() {
                        Some(Seg::Key(k)) => k.clone(),
                        _ => shown.clone(),
                    }
                ),
                Some(help),
            )
        }
    }
}

/// The diagnostic's path for a credential: for a named one `...env.NAME` or `...data.NAME`,
/// whose last segment the credential policy recognizes, so the shown source line has the value
/// masked; for one known by its shape, the value's own path (the shape masks it).
fn credential_path(list: &str, index: usize, at: &[Seg], hit: &credentials::Hit) -> String {
    let Some(name) = hit.name() else {
        let inner = PathDisplay(at).to_string();
        let sep = if inner.is_empty() || inner.starts_with('[') {
            ""
        } else {
            "."
        };
        return format!("{list}[{index}]{sep}{inner}");
    };
    let env = match at.last() {
        Some(Seg::Key(k)) if k == "value" => at.len().saturating_sub(2),
        // A ConfigMap entry, an annotation, an argument: its key is already the last segment.
        _ => at.len().saturating_sub(1),
    };
    let inner = PathDisplay(at.get(..env).unwrap_or_default()).to_string();
    let sep = if inner.is_empty() || inner.starts_with('[') {
        ""
    } else {
        "."
    };
    // A name the policy would not call a credential on its own (a Secret's key): the path
    // still ends in one it does, so the line is masked.
    let name = if credentials::is_sensitive(name) {
        name.to_owned()
    } else {
        "secret".to_owned()
    };
    format!("{list}[{index}]{sep}{inner}.{name}")
}

/// The error for a credential in a patched or extra object: what it is, never its value.
fn credential_error(path: Vec<Seg>, hit: &credentials::Hit) -> PatchError {
    let hint = match (&hit.why, path.iter().rev().nth(1)) {
        (credentials::Why::Named(name), Some(Seg::Index(_))) if matches!(path.last(), Some(Seg::Key(k)) if k == "value") => format!(
            "create it in a Secret out of band and reference it: `- name: {name}` with `valueFrom: {{secretKeyRef: {{name: agent-secrets, key: <key>}}}}`"
        ),
        (credentials::Why::SecretValue(_), _) => "create the Secret out of band (kubectl create secret, an ExternalSecret): agentctl's output is committed".to_owned(),
        _ => "keep the value in a Secret created out of band and reference it (`valueFrom.secretKeyRef` for a variable, `$(VAR)` in args, a Secret volume for a file)".to_owned(),
    };
    PatchError {
        path,
        on_key: false,
        message: format!(
            "{}: agentctl never puts a credential's value into the output",
            hit.describe()
        ),
        hint: Some(hint),
    }
}

/// Adds the extra objects (returned as the objects of [`EXTRA_FILE`]) and applies the patches
/// to every object of `files`; returns what each patch changed, or every problem found.
pub fn apply(
    merged: &Merged,
    files: &mut Vec<(String, Vec<J>)>,
) -> Result<Vec<Applied>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    if merged.patches.is_empty() && merged.resources.is_empty() {
        // Typed init containers count only while they run: the recount from the objects
        // (`k8s::pod::usage`) is what holds them, patches or not.
        super::recount::quota(&merged.config, files)?;
        return Ok(Vec::new());
    }
    let common = common(files);
    let extras: Vec<J> = merged
        .resources
        .iter()
        .filter_map(|r| match extra(r, &common, files) {
            Ok(o) => Some(o),
            Err(d) => {
                diags.extend(d);
                None
            }
        })
        .collect();
    if !extras.is_empty() {
        for (_, objs) in files.iter_mut() {
            for o in objs.iter_mut() {
                if o.get("kind").and_then(J::as_str) == Some("Kustomization")
                    && let Some(J::Array(res)) = o.get_mut("resources")
                {
                    res.push(J::String(EXTRA_FILE.to_owned()));
                }
            }
        }
        let at = files
            .iter()
            .position(|(n, _)| n == "kustomization.yaml")
            .unwrap_or(files.len());
        files.insert(at, (EXTRA_FILE.to_owned(), extras));
    }
    let mut applied = Vec::new();
    for lp in &merged.patches {
        if let Err(d) = apply_one(lp, &common, files, &mut applied) {
            diags.extend(d);
        }
    }
    if diags.is_empty() {
        super::recount::quota(&merged.config, files)?;
        Ok(applied)
    } else {
        Err(diags)
    }
}

// Long on purpose: checks one extra object step by step (kind, clash, namespace, labels, identity),
// each with its own located error.
fn extra(
    r: &LocatedObject,
    common: &Common,
    files: &[(String, Vec<J>)],
) -> Result<J, Vec<Diagnostic>> {
    let mut obj = r.object.clone();
    let key = |k: &str| Seg::Key(k.to_owned());
    let kind = obj
        .get("kind")
        .and_then(J::as_str)
        .unwrap_or_default()
        .to_owned();
    let api = obj
        .get("apiVersion")
        .and_then(J::as_str)
        .unwrap_or_default()
        .to_owned();
    if kind == "Secret" && api == "v1" {
        return Err(vec![r.error(&PatchError {
            path: vec![key("kind")],
            on_key: false,
            message: "an extra object cannot be a Secret: no credential goes through agentctl's inputs or output".into(),
            hint: Some("create it out of band (`kubectl create secret generic ...`) or with `externalSecret`, and reference it by name".into()),
        })]);
    }
    let row = match super::builtin::lookup(&api, &kind) {
        Ok(row) => row,
        Err(u) => {
            return Err(vec![r.error(&PatchError {
                path: vec![key(if u.api_at_fault { "apiVersion" } else { "kind" })],
                on_key: false,
                message: u.message,
                hint: Some(u.hint),
            })]);
        }
    };
    if row.scope == super::objects::Scope::Cluster && kind != "Namespace" {
        return Err(vec![r.error(&PatchError {
            path: vec![key("kind")],
            on_key: false,
            message: format!("a {kind} is cluster-scoped: extra objects live in the output's namespace, and `kubectl apply --prune` of one namespace would never clean it up"),
            hint: Some("apply it once, out of band, with the cluster's other shared objects (`kubectl apply -f`)".into()),
        })]);
    }
    if matches!(kind.as_str(), "Kustomization" | "Namespace") {
        return Err(vec![r.error(&PatchError {
            path: vec![key("kind")],
            on_key: false,
            message: format!(
                "an extra object cannot be a {kind}: agentctl renders the output's own"
            ),
            hint: Some(
                "change the namespace with the `namespace` setting; the Kustomization is generated"
                    .into(),
            ),
        })]);
    }
    if let Some(clash) = files
        .iter()
        .flat_map(|(_, o)| o)
        .find(|o| patches::object_id(o) == patches::object_id(&obj))
    {
        return Err(vec![r.error(&PatchError {
            path: vec![key("metadata"), key("name")],
            on_key: false,
            message: format!(
                "{} is already rendered by agentctl",
                patches::object_id(clash)
            ),
            hint: Some(format!(
                "to change it, use a patch: `patches: [{{target: {{kind: {kind}, name: {}}}, patch: ...}}]`",
                clash.pointer("/metadata/name").and_then(J::as_str).unwrap_or_default()
            )),
        })]);
    }
    match obj.pointer("/metadata/namespace") {
        Some(J::String(ns)) if *ns != common.namespace => {
            return Err(vec![r.error(&PatchError {
                path: vec![key("metadata"), key("namespace")],
                on_key: false,
                message: format!(
                    "extra objects live in the output's namespace `{}`, not `{ns}`",
                    common.namespace
                ),
                hint: Some("remove `namespace:` (kustomization.yaml sets it); the `namespace` setting changes it for everything".into()),
            })]);
        }
        _ => {
            if let Some(J::Object(meta)) = obj.get_mut("metadata") {
                meta.insert("namespace".into(), J::String(common.namespace.clone()));
            }
        }
    }
    label(&mut obj, &common.labels);
    // Every problem of the object at once: names, values (quantities, CIDRs, ports), credentials.
    let mut problems: Vec<Diagnostic> = super::names::unfit(&obj)
        .into_iter()
        .chain(super::values::unfit(&obj))
        .map(|e| r.error(&e))
        .collect();
    for hit in credentials::in_object(&obj) {
        let shown = credential_path("resources", r.index, &hit.path, &hit);
        problems.push(
            r.error(&credential_error(hit.path.clone(), &hit))
                .path(shown),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    match round_trip(&obj) {
        Ok(back) => Ok(back),
        Err(lost) => Err(lost
            .into_iter()
            .map(|(path, what)| {
                let (message, hint) = lost_message(&obj, &path, &what);
                r.error(&PatchError {
                    path,
                    on_key: what == "dropped",
                    message,
                    hint,
                })
            })
            .collect()),
    }
}

fn apply_one(
    lp: &LocatedPatch,
    common: &Common,
    files: &mut [(String, Vec<J>)],
    applied: &mut Vec<Applied>,
) -> Result<(), Vec<Diagnostic>> {
    let mut all: Vec<&mut J> = files
        .iter_mut()
        .flat_map(|(_, objs)| objs.iter_mut())
        .filter(|o| o.get("kind").and_then(J::as_str) != Some("Kustomization"))
        .collect();
    let snapshot: Vec<J> = all.iter().map(|o| (**o).clone()).collect();
    let selected = patches::select(&lp.patch.target, &snapshot);
    if selected.is_empty() {
        return Err(vec![lp.error(&patches::no_match(&lp.patch, &snapshot))]);
    }
    let mut diags = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for i in selected {
        let Some(obj) = all.get_mut(i) else { continue };
        let before = credentials::in_object(obj);
        let names_before: Vec<String> = super::names::unfit(obj)
            .into_iter()
            .chain(super::values::unfit(obj))
            .map(|e| e.message)
            .collect();
        let mut work = (**obj).clone();
        let changes = match patches::apply(&mut work, &lp.patch) {
            Ok(c) => c,
            Err(e) => {
                diags.push(lp.error(&e));
                continue;
            }
        };
        // A credential refuses the patch; its other problems are still reported (one run).
        let mut refused = false;
        if let Some(hit) = credentials::in_object(&work)
            .into_iter()
            .find(|c| !before.contains(c))
        {
            let at = patches::locate(&work, &lp.patch, &changes, &hit.path);
            let shown = credential_path("patches", lp.index, &at, &hit);
            diags.push(lp.error(&credential_error(at, &hit)).path(shown));
            refused = true;
        }
        let unfit: Vec<PatchError> = super::names::unfit(&work)
            .into_iter()
            .chain(super::values::unfit(&work))
            .filter(|e| !names_before.contains(&e.message))
            .collect();
        if !unfit.is_empty() {
            for e in unfit {
                let at = patches::locate(&work, &lp.patch, &changes, &e.path);
                // One patch selecting many objects makes the same mistake in each: once.
                if seen.insert((PathDisplay(&at).to_string(), e.message.clone())) {
                    diags.push(lp.error(&PatchError { path: at, ..e }));
                }
            }
            continue;
        }
        label(&mut work, &common.labels);
        match round_trip(&work) {
            Ok(_) if refused => {}
            Ok(back) => {
                applied.push(Applied {
                    origin: lp.origin(),
                    index: lp.index,
                    object: patches::object_id(&back),
                    changes: describe(&changes),
                    located: changes.clone(),
                });
                **obj = back;
            }
            Err(lost) => {
                for (path, what) in lost {
                    let at = patches::locate(&work, &lp.patch, &changes, &path);
                    let (message, hint) = lost_message(&work, &path, &what);
                    diags.push(lp.error(&PatchError {
                        path: at,
                        on_key: what == "dropped",
                        message,
                        hint,
                    }));
                }
            }
        }
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}

fn describe(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            format!(
                "{}{}",
                if c.removed { "-" } else { "" },
                PathDisplay(&c.object_path)
            )
        })
        .collect()
}
