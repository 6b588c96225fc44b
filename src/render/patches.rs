//! The escape hatch applied: the layers' extra objects added and their patches applied to the
//! rendered, round-tripped objects, before the bundle is serialized.
//!
//! Order, as in a Kustomization: extra objects first (own file [`EXTRA_FILE`], listed in
//! `kustomization.yaml`, in the output's namespace, with the common labels), then every patch of
//! every layer in layer order, each to every object its target selects (extra objects too).
//! After every patch, each object a patch changed goes through its Kubernetes type again, once
//! (`check`); what does not survive (a field Kubernetes does not have, a value of the wrong
//! type) is an error at the line of the patch that wrote it. A target that selects nothing is an error with a "did you
//! mean" over the objects. Secrets stay refused: no extra object may be one, no patch may change
//! an object's kind, and no literal `value:` of an environment variable whose name looks like a
//! credential may come from a patch or an extra object. Every name in an object a patch changed
//! or an extra object added is checked for its kind ([`super::names`]): a name Kubernetes would
//! refuse never reaches a file, a printed command or a report. Knows nothing of files or YAML text:
//! locations come from [`crate::input::extras`].

use serde_json::{Map, Value as J};

use crate::config::credentials;
use crate::config::patches::{self, Change, PatchError, PathDisplay, Seg};
use crate::diag::{Diagnostic, SHOWN_ERRORS};
use crate::input::extras::{LocatedObject, LocatedPatch};
use crate::render::custom;
use crate::render::k8s_check::{self, PathStep, TypeError};
use crate::resolve::merge::Merged;

mod check;
mod messages;
mod select;

use messages::{credential_error, credential_path, lost_message};
use select::Selectable;

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
    /// What changed, where in the object and where in the patch entry each was written, for
    /// locating a lint finding at the patch's line ([`crate::render::provenance`]).
    pub located: Vec<Change>,
}

impl Applied {
    /// What changed, where in the object (`spec.template.spec.containers[name=sidecar]`), as
    /// `config --show-origin` lists it: written when asked, not for every application.
    pub fn changes(&self) -> Vec<String> {
        describe(&self.located)
    }
}

/// The credential hits (`credentials::in_object`) of the patched objects as the check found them
/// in their final form, so lint's AGT160 does not scan them again: per object, over every
/// object of the files in order (the Kustomization included), `None` where not scanned in the
/// form lint reads (not patched, or changed since).
#[derive(Debug, Clone, Default)]
pub struct Scanned(Vec<Option<(String, Vec<credentials::Hit>)>>);

impl Scanned {
    /// The hits of `obj`, the `index`th object of the files, if the check scanned it as it is.
    pub fn hits(&self, index: usize, obj: &J) -> Option<&[credentials::Hit]> {
        match self.0.get(index) {
            Some(Some((id, hits))) if *id == patches::object_id(obj) => Some(hits),
            _ => None,
        }
    }

    /// Forgets every object for which `changed` holds (it was changed after the check).
    pub fn forget(&mut self, files: &[(String, Vec<J>)], changed: impl Fn(&J) -> bool) {
        let all = files.iter().flat_map(|(_, o)| o);
        for (slot, obj) in self.0.iter_mut().zip(all) {
            if changed(obj) {
                *slot = None;
            }
        }
    }

    /// Forgets every object.
    pub fn clear(&mut self) {
        self.0.clear();
    }
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
            .and_then(|k| crate::k8s::object::pointer(k, "/labels/0/pairs"))
            .and_then(J::as_object)
            .cloned()
            .unwrap_or_default(),
    }
}

/// Sets the common labels where kustomize's `labels` (without includeTemplates) puts them: the
/// object's own metadata. Pod templates are labelled by their templates (or the user's patch),
/// never a StatefulSet's immutable volumeClaimTemplates.
fn label(obj: &mut J, labels: &Map<String, J>) {
    // Already there (a patch that did not touch them): nothing to write.
    let held = || {
        let have = (obj.get("metadata"))
            .and_then(|m| m.get("labels"))
            .and_then(J::as_object);
        have.is_some_and(|h| labels.iter().all(|(k, v)| h.get(k) == Some(v)))
    };
    if labels.is_empty() || held() {
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
            PathStep::Key(k) => Seg::Key(k.as_str().into()),
            PathStep::Index(i) => Seg::Index(*i),
        })
        .collect()
}

/// The object through its Kubernetes type: the round-tripped value, or what did not survive
/// (paths into `obj`, with what happened) and what the type read back, if it read it.
type Lost = (Vec<patches::LostAt>, Option<J>);

fn round_trip(obj: &J) -> Result<J, Lost> {
    match k8s_check::roundtrip(obj) {
        Ok(back) => {
            let lost = patches::lost(obj, &back);
            if lost.is_empty() {
                let mut back = back;
                crate::render::stored::apply(&mut back);
                Ok(back)
            } else {
                Err((lost, Some(back)))
            }
        }
        Err(e) => match e.downcast_ref::<TypeError>() {
            Some(t) => Err((vec![(steps(&t.path), t.message.clone().into())], None)),
            None => Err((vec![(Vec::new(), e.to_string().into())], None)),
        },
    }
}

/// The problems of the escape hatch, at most [`SHOWN_ERRORS`] built: past them each further
/// problem is only counted (building one locates it in its file and quotes its line), so
/// 200,000 failing patch applications cost their detection, never 200,000 reports.
#[derive(Default)]
struct Found {
    diags: Vec<Diagnostic>,
    more: usize,
}

impl Found {
    fn push(&mut self, d: impl FnOnce() -> Diagnostic) {
        if self.diags.len() < SHOWN_ERRORS {
            self.diags.push(d());
        } else {
            self.more += 1;
        }
    }

    fn full(&self) -> bool {
        self.diags.len() >= SHOWN_ERRORS
    }

    fn into_diags(mut self) -> Vec<Diagnostic> {
        if let Some(last) = self.diags.last_mut() {
            last.more += self.more;
        }
        self.diags
    }
}

/// What the checks of a patched object find in one object: credential hits and the problems of
/// its names and values. A patch is refused for what it adds to its object's scan.
#[derive(Default)]
struct Scan {
    credentials: Vec<credentials::Hit>,
    unfit: Vec<PatchError>,
}

/// The problems of an object's names, values (quantities, CIDRs, ports), structure (a pod
/// spec's containers and mounts, the annotations' size) and alert labels (no template).
fn unfit(obj: &J) -> Vec<PatchError> {
    super::names::unfit(obj)
        .into_iter()
        .chain(super::values::unfit(obj))
        .chain(super::structure::unfit(obj))
        .chain(super::monitoring::templated_labels(obj))
        .collect()
}

impl Scan {
    /// `owned`: the StatefulSets' claims no other pod may mount.
    fn of(obj: &J, owned: &[super::claims::Owned]) -> Scan {
        let mut unfit = unfit(obj);
        if super::claims::may_hold(obj) {
            unfit.extend(super::claims::unfit(obj, owned));
        }
        Scan {
            credentials: credentials::in_object(obj),
            unfit,
        }
    }
}

/// Adds the extra objects (returned as the objects of [`EXTRA_FILE`]) and applies the patches
/// to every object of `files`; returns what each patch changed, or every problem found (at most
/// [`SHOWN_ERRORS`] of them built, the rest counted: [`Diagnostic::more`]). Time is linear in
/// the patches times the objects each selects plus the size of the final objects: selecting
/// reads the objects in place, a patch changes them in place, and each patched object is
/// checked once, after every patch (`check`).
pub fn apply(
    merged: &Merged,
    files: &mut Vec<(String, Vec<J>)>,
) -> Result<(Vec<Applied>, Scanned), Vec<Diagnostic>> {
    let mut found = Found::default();
    if merged.patches.is_empty() && merged.resources.is_empty() {
        // Typed init containers count only while they run: the recount from the objects
        // (`k8s::pod::usage`) is what holds them, patches or not.
        super::recount::quota(&merged.config, files)?;
        return Ok((Vec::new(), Scanned::default()));
    }
    let common = common(files);
    let extras: Vec<J> = merged
        .resources
        .iter()
        .filter_map(|r| match extra(r, &common, files, merged) {
            Ok(o) => Some(o),
            Err(d) => {
                for d in d {
                    found.push(|| d);
                }
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
    let count = files.iter().map(|(_, o)| o.len()).sum();
    let mut run = check::Run {
        copies: std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(patches::MAX_COPIED_RUN)),
        log: Vec::new(),
        touched: std::iter::repeat_with(|| None).take(count).collect(),
        problems: Vec::new(),
        read: Vec::new(),
        scanned: Vec::new(),
    };
    let mut selectable = Selectable::new(files);
    for (p, lp) in merged.patches.iter().enumerate() {
        apply_one(p, lp, &common, files, &mut selectable, &mut run);
    }
    check::objects(merged, &common.labels, files, &mut run);
    let mut scanned = Scanned(std::mem::take(&mut run.scanned));
    let applied = check::report(merged, files, run, &mut found);
    if found.diags.is_empty() {
        super::recount::quota(&merged.config, files)?;
        // The recount rewrites the quota's figures.
        scanned.forget(files, |o| {
            o.get("kind").and_then(J::as_str) == Some("ResourceQuota")
        });
        Ok((applied, scanned))
    } else {
        Err(found.into_diags())
    }
}

// Long on purpose: checks one extra object step by step (kind, clash, namespace, labels, identity),
// each with its own located error.
fn extra(
    r: &LocatedObject,
    common: &Common,
    files: &[(String, Vec<J>)],
    merged: &Merged,
) -> Result<J, Vec<Diagnostic>> {
    let crds = &merged.crds;
    let mut obj = r.object.clone();
    let key = |k: &str| Seg::Key(k.into());
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
    // A built-in kind or one agentctl renders, else one of the listed CRDs.
    let target = merged.config.kube_version();
    let (cluster_scoped, custom) = match super::builtin::lookup_for(&api, &kind, target) {
        // A group/version removed before 1.33: refused unless the target serves it (the one
        // table, `k8s::version::served`).
        Ok(row)
            if super::builtin::is_removed(row)
                && let Err(why) = crate::k8s::version::served(&api, &kind, target) =>
        {
            return Err(vec![r.error(&PatchError {
                path: vec![key("apiVersion")],
                on_key: false,
                message: why,
                hint: Some(match super::builtin::current_api(row) {
                    Some(now) => format!("use `apiVersion: {now}`, served by the target; or target a version that serves {api} with --kube-version"),
                    None => "use a group/version the target serves, or target a version that serves it with --kube-version".into(),
                }),
            })]);
        }
        Ok(row) => (
            row.scope == super::objects::Scope::Cluster,
            custom::judged_by(crds, &api, &kind),
        ),
        Err(u) => match custom::lookup(crds, &api, &kind) {
            Some(Ok(found)) => (!found.crd.namespaced, Some(found)),
            other => {
                let u = match other {
                    Some(Err(listed)) => listed,
                    _ if u.api_at_fault => u,
                    _ => match custom::near(crds, &kind) {
                        Some(hint) => super::builtin::Unknown { hint, ..u },
                        // Its CRD may be in the file that could not be read.
                        None if merged.crds_unread > 0 => super::builtin::Unknown {
                            hint: "a CRD file listed under `crds:` could not be read (see its error): this kind may be one of its".into(),
                            ..u
                        },
                        None => u,
                    },
                };
                return Err(vec![r.error(&PatchError {
                    path: vec![key(if u.api_at_fault { "apiVersion" } else { "kind" })],
                    on_key: false,
                    message: u.message,
                    hint: Some(u.hint),
                })]);
            }
        },
    };
    if cluster_scoped && kind != "Namespace" {
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
                crate::k8s::object::pointer(clash, "/metadata/name").and_then(J::as_str).unwrap_or_default()
            )),
        })]);
    }
    match crate::k8s::object::pointer(&obj, "/metadata/namespace") {
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
    let mut unfit: Vec<PatchError> = unfit(&obj);
    if super::claims::may_hold(&obj) {
        let owned = super::claims::owned(files.iter().flat_map(|(_, o)| o));
        unfit.extend(super::claims::unfit(&obj, &owned));
    }
    let mut problems: Vec<Diagnostic> = unfit.iter().map(|e| r.error(e)).collect();
    for hit in credentials::in_object(&obj) {
        let shown = credential_path("resources", r.index, &hit.path, &hit);
        problems.push({
            let d = r
                .error(&credential_error(hit.path.clone(), &hit))
                .path(shown);
            if hit.masks_its_line() { d.secret() } else { d }
        });
    }
    if let Some(found) = custom {
        // A custom kind: its CRD's schema instead of a Kubernetes type's round trip.
        // A value the checks above already refused (a port) is said once.
        problems.extend(custom_problems(&found, &obj, |e| {
            (!unfit.iter().any(|u| u.path == e.path)).then(|| r.error(e))
        }));
        return if problems.is_empty() {
            Ok(obj)
        } else {
            Err(problems)
        };
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    match round_trip(&obj) {
        Ok(back) => Ok(back),
        Err((lost, read)) => Err(lost
            .into_iter()
            .map(|(path, what)| {
                let (message, hint) = lost_message(&obj, &path, &what, read.as_ref());
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

/// The problems of an object of a listed CRD's kind against its schema, as diagnostics (made
/// by `error`, which locates a path), each naming the CRD.
fn custom_problems(
    found: &custom::Found<'_>,
    obj: &J,
    error: impl Fn(&PatchError) -> Option<Diagnostic>,
) -> Vec<Diagnostic> {
    match custom::validate(found, obj) {
        Ok(errors) => errors
            .iter()
            .filter_map(|e| error(e).map(|d| d.note(found.named())))
            .collect(),
        Err(unusable) => error(&PatchError {
            path: vec![Seg::Key("kind".into())],
            on_key: false,
            message: unusable,
            hint: Some("fix the CRD file (a structural schema, as `kubectl get crd NAME -o yaml` prints it)".into()),
        })
        .map(|d| d.note(found.named()))
        .into_iter()
        .collect(),
    }
}

/// Applies patch number `p` to every object it selects, in place: only what it changes is
/// touched (the checks of the patched objects come once, after every patch: [`check`]). A patch
/// that fails on an object leaves it as it was.
fn apply_one(
    p: usize,
    lp: &LocatedPatch,
    common: &Common,
    files: &mut [(String, Vec<J>)],
    selectable: &mut Selectable,
    run: &mut check::Run,
) {
    let mut all: Vec<&mut J> = files
        .iter_mut()
        .flat_map(|(_, objs)| objs.iter_mut())
        .collect();
    let selected = selectable.select(&lp.patch.target, &all);
    if selected.is_empty() {
        run.problems
            .push(check::Problem::new(p, 0, check::What::NoMatch));
        return;
    }
    for i in selected {
        let (Some(obj), Some(slot)) = (all.get_mut(i), run.touched.get_mut(i)) else {
            continue;
        };
        let t = slot.get_or_insert_with(|| check::Touched::new(obj, &run.copies));
        match patches::apply_in_place(obj, &lp.patch, &mut t.carried) {
            Ok(changes) => {
                // The common labels, where the patch may have removed one: a strategic merge
                // records every removal (a change at the root, at `metadata` or at
                // `metadata.labels` or below may be one); a JSON 6902 `move` records only
                // where it moved to.
                if matches!(lp.patch.body, patches::Body::Json6902(_))
                    || changes
                        .iter()
                        .any(|c| may_change_what_targets_read(&c.object_path))
                {
                    label(obj, &common.labels);
                    selectable.relabelled();
                }
                selectable.changed(i, obj);
                t.apps.push(run.log.len());
                run.log.push(check::App { patch: p, changes });
            }
            Err(e) => run
                .problems
                .push(check::Problem::new(p, i, check::What::Apply(Box::new(e)))),
        }
    }
}

/// Whether a change at `path` may have removed a common label (set by [`label`]) or changed
/// what a target reads (`metadata`: the name, the namespace, the labels).
fn may_change_what_targets_read(path: &[Seg]) -> bool {
    match path {
        [] => true,
        [Seg::Key(k)] if k == "apiVersion" || k == "kind" => true,
        [Seg::Key(m), rest @ ..] if m == "metadata" => match rest {
            [] => true,
            [Seg::Key(l), ..] => matches!(l.as_str(), "labels" | "name" | "namespace"),
            _ => false,
        },
        _ => false,
    }
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
