//! The patched objects checked once, after every patch, and each problem located at the patch
//! that wrote it. Every object a patch changed is scanned (names, values, structure,
//! credentials) and goes through its Kubernetes type (or its CRD's schema) once, in its final
//! form, so the work is linear in the patches times the objects each selects plus the size of
//! the final objects, whatever the patches add. What the final object has and its original did
//! not is the patches' doing: each problem is put on the last patch that wrote its path (or a
//! value above it; else one that removed something there); a problem no patch's path leads to
//! (a mount whose volume a patch removed) is put on the patch after which it first appears,
//! found by replaying the object's patches (bisection: only on that error path). Problems are
//! reported in the order the patches were applied, as if each patch had been checked alone.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Value as J};

use super::messages::{credential_error, credential_path, lost_message};
use super::{Applied, Found, Scan, label, steps};
use crate::config::credentials::{self, Hit};
use crate::config::patches::{self, Carried, Change, PatchError, PathDisplay, Seg};
use crate::diag::SHOWN_ERRORS;
use crate::render::custom;
use crate::render::k8s_check::{self, TypeError};
use crate::resolve::merge::Merged;

/// One patch applied to one object.
pub(super) struct App {
    /// The patch's index in `Merged::patches`.
    pub patch: usize,
    /// What it changed.
    pub changes: Vec<Change>,
}

/// An object some patch selected: as it was, and the patches applied to it.
pub(super) struct Touched {
    original: J,
    /// Indices into [`Run::log`], in the order they were applied.
    pub apps: Vec<usize>,
    /// What its patches carry from one to the next (what JSON 6902 copies may still add, the
    /// keys of its merged lists).
    pub carried: Carried,
}

impl Touched {
    /// `obj` before its first patch; `copies`: what copies may still add in the render.
    pub fn new(obj: &J, copies: &std::sync::Arc<std::sync::atomic::AtomicUsize>) -> Touched {
        Touched {
            original: obj.clone(),
            apps: Vec::new(),
            carried: Carried::sharing(copies),
        }
    }
}

/// The state of applying the patches: every application, the objects they touched (by index
/// over all objects, the Kustomization included), the problems found.
pub(super) struct Run {
    /// What JSON 6902 copies may still add in this render, every object together
    /// (`patches::MAX_COPIED_RUN` at first).
    pub copies: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pub log: Vec<App>,
    pub touched: Vec<Option<Touched>>,
    pub problems: Vec<Problem>,
    /// Per object, what its type read back when something was lost ([`objects`]).
    pub read: Vec<Option<J>>,
    /// Per object, its `Kind/name` and credential hits in its final form, where that is the
    /// form it keeps (`super::Scanned`).
    pub scanned: Vec<Option<(String, Vec<Hit>)>>,
}

/// A problem of a patch on an object, built into a diagnostic only if it is among the first
/// [`SHOWN_ERRORS`].
pub(super) struct Problem {
    patch: usize,
    object: usize,
    what: What,
}

impl Problem {
    pub fn new(patch: usize, object: usize, what: What) -> Problem {
        Problem {
            patch,
            object,
            what,
        }
    }

    /// Within one patch and object: the patch itself, credentials, names and values, then
    /// what the type or schema refused.
    fn rank(&self) -> u8 {
        match self.what {
            What::NoMatch | What::Apply(_) => 0,
            What::Credential { .. } => 1,
            What::Unfit { .. } => 2,
            What::Custom { .. } | What::Lost { .. } => 3,
        }
    }
}

/// What went wrong; the rarer, larger payloads boxed, so a problem is 40 bytes (10,000
/// failing patches over 25 objects are 250,000 of them, nearly all [`What::Lost`]).
pub(super) enum What {
    /// The target selects nothing.
    NoMatch,
    /// The patch could not be applied (a path inside the patch entry).
    Apply(Box<PatchError>),
    /// Paths below are object paths, `app` the application that wrote them.
    Credential {
        app: usize,
        hit: Box<Hit>,
    },
    Unfit {
        app: usize,
        e: Box<PatchError>,
    },
    /// The problem and the CRD that judged it.
    Custom {
        app: usize,
        e: Box<(PatchError, String)>,
    },
    /// What the type did not keep: the path (with indices) and what happened to it.
    Lost {
        app: usize,
        lost: Rc<patches::LostAt>,
    },
}

/// Who wrote each path of one object: the last application whose change is at or above it.
/// The paths are borrowed from the log's changes (no copy per change). Looked up by exact path
/// (hashed: 10,000 patches writing into one object are 10,000 paths, and a sorted map compared
/// them key by key on every insert); the paths in order are sorted only when a range is asked
/// for (what a dropped map took with it), once per object.
struct Writers<'a> {
    wrote: Paths<'a>,
    removed: Paths<'a>,
    wrote_sorted: OnceCell<Vec<(&'a [Seg], usize)>>,
    removed_sorted: OnceCell<Vec<(&'a [Seg], usize)>>,
}

/// Applications by the path they wrote. Hashed with foldhash (already hashbrown's, through
/// jsonschema): std's SipHash was a sixth of 10,000 failing patches' time.
type Paths<'a> = HashMap<&'a [Seg], usize, foldhash::fast::RandomState>;

/// The entries of `m` (sorted by path) at or below `keyed`, in order.
fn at_or_below<'m, 'a>(
    m: &'m [(&'a [Seg], usize)],
    keyed: &'m [Seg],
) -> impl Iterator<Item = &'m (&'a [Seg], usize)> {
    let from = m.partition_point(|(k, _)| *k < keyed);
    m.get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(move |(k, _)| k.starts_with(keyed))
}

/// `m`'s entries sorted by path.
fn sorted<'a>(m: &Paths<'a>) -> Vec<(&'a [Seg], usize)> {
    let mut v: Vec<(&'a [Seg], usize)> = m.iter().map(|(k, a)| (*k, *a)).collect();
    v.sort_unstable();
    v
}

impl<'a> Writers<'a> {
    fn new(log: &'a [App], apps: &[usize]) -> Writers<'a> {
        let (mut wrote, mut removed) = (Paths::default(), Paths::default());
        for &a in apps {
            for c in log.get(a).map(|x| &x.changes[..]).unwrap_or_default() {
                let map = if c.removed { &mut removed } else { &mut wrote };
                // In the order applied: the last application at a path is the one kept.
                map.insert(&c.object_path[..], a);
            }
        }
        Writers {
            wrote,
            removed,
            wrote_sorted: OnceCell::new(),
            removed_sorted: OnceCell::new(),
        }
    }

    /// The applications that wrote strictly below `keyed`.
    fn below(&self, keyed: &[Seg]) -> Vec<usize> {
        let wrote = self.wrote_sorted.get_or_init(|| sorted(&self.wrote));
        let mut apps: Vec<usize> = at_or_below(wrote, keyed)
            .filter(|(k, _)| k.len() > keyed.len())
            .map(|(_, a)| *a)
            .collect();
        apps.sort_unstable();
        apps.dedup();
        apps
    }

    /// `keyed`: a path with list items by merge key, as changes record them.
    fn of(&self, keyed: &[Seg]) -> Option<usize> {
        let above = |m: &Paths<'_>| {
            (0..=keyed.len())
                .filter_map(|l| keyed.get(..l).and_then(|p| m.get(p)).copied())
                .max()
        };
        above(&self.wrote).or_else(|| {
            if self.removed.is_empty() {
                return None;
            }
            let removed = self.removed_sorted.get_or_init(|| sorted(&self.removed));
            let below = at_or_below(removed, keyed).map(|(_, a)| *a).max();
            above(&self.removed).max(below)
        })
    }
}

/// Checks every object a patch changed, in its final form; an object without a problem takes
/// the form the API server stores (its type's round trip), one with a problem adds them to
/// `run.problems`.
pub(super) fn objects(
    merged: &Merged,
    labels: &Map<String, J>,
    files: &mut [(String, Vec<J>)],
    run: &mut Run,
) {
    let is_kustomization = |o: &J| o.get("kind").and_then(J::as_str) == Some("Kustomization");
    let owned = super::super::claims::owned(
        files
            .iter()
            .flat_map(|(_, o)| o)
            .filter(|o| !is_kustomization(o)),
    );
    let mut all: Vec<&mut J> = files
        .iter_mut()
        .flat_map(|(_, objs)| objs.iter_mut())
        .collect();
    run.read.resize(run.touched.len(), None);
    run.scanned.resize(run.touched.len(), None);
    for (i, slot) in run.touched.iter().enumerate() {
        let (Some(t), Some(obj)) = (slot, all.get_mut(i)) else {
            continue;
        };
        if t.apps.is_empty() {
            continue;
        }
        let replay = Replay {
            merged,
            labels,
            log: &run.log,
            t,
        };
        let writers = Writers::new(&run.log, &t.apps);
        let at = |path: &[Seg], present: &dyn Fn(&J) -> bool| {
            writers
                .of(&patches::keyed_path_cow(obj, path))
                .unwrap_or_else(|| replay.introduced(present))
        };
        let mut found: Vec<What> = Vec::new();
        // The object as it was is scanned only when its final form has something to compare
        // (what it already had is not the patches' doing): a clean object is scanned once.
        let after = Scan::of(obj, &owned);
        let final_hits = after.credentials.clone();
        let before = if after.credentials.is_empty() && after.unfit.is_empty() {
            Scan::default()
        } else {
            Scan::of(&t.original, &owned)
        };
        for hit in after
            .credentials
            .into_iter()
            .filter(|c| !before.credentials.contains(c))
        {
            let app = at(&hit.path, &|s| credentials::in_object(s).contains(&hit));
            found.push(What::Credential {
                app,
                hit: Box::new(hit),
            });
        }
        for e in after
            .unfit
            .into_iter()
            .filter(|e| !before.unfit.iter().any(|b| b.message == e.message))
        {
            // At the same place (a total's message names the total, which grows patch by
            // patch), or said the same way.
            let app = at(&e.path, &|s| {
                Scan::of(s, &owned)
                    .unfit
                    .iter()
                    .any(|u| u.path == e.path || u.message == e.message)
            });
            found.push(What::Unfit {
                app,
                e: Box::new(e),
            });
        }
        // A patch whose names or values are wrong is not checked against the type as well.
        let unfit_apps: HashSet<usize> = found
            .iter()
            .filter_map(|w| match w {
                What::Unfit { app, .. } => Some(*app),
                _ => None,
            })
            .collect();
        let (api, kind) = (
            crate::k8s::object::field_str(obj, "/apiVersion").to_owned(),
            crate::k8s::object::field_str(obj, "/kind").to_owned(),
        );
        let mut checked = None;
        if let Some(def) = custom::judged_by(&merged.crds, &api, &kind) {
            // A custom kind: its CRD's schema instead of a Kubernetes type's round trip.
            let errors = custom::validate(&def, obj).unwrap_or_else(|unusable| {
                vec![PatchError {
                    path: vec![Seg::Key("kind".into())],
                    on_key: false,
                    message: unusable,
                    hint: Some("fix the CRD file (a structural schema, as `kubectl get crd NAME -o yaml` prints it)".into()),
                }]
            });
            for e in errors {
                let app = at(&e.path, &|s| {
                    custom::validate(&def, s)
                        .is_ok_and(|v| v.iter().any(|x| x.path == e.path && x.message == e.message))
                });
                if !unfit_apps.contains(&app) {
                    found.push(What::Custom {
                        app,
                        e: Box::new((e, def.named())),
                    });
                }
            }
            checked = Some((**obj).clone());
        } else {
            let (lost, back, read) = round_trip_all(obj);
            if let Some(slot) = run.read.get_mut(i) {
                *slot = read;
            }
            for (path, what) in lost {
                let keyed = patches::keyed_path_cow(obj, &path);
                let mut apps = vec![writers.of(&keyed).unwrap_or_else(|| {
                    replay.introduced(&|s| {
                        round_trip_all(s)
                            .0
                            .iter()
                            .any(|(p, w)| *p == path && *w == what)
                    })
                })];
                if what == "dropped"
                    && patches::walk(obj, &path).is_some_and(|v| v.is_object() || v.is_array())
                {
                    // A dropped map drops what every patch wrote inside it: each is told (a
                    // dropped scalar holds nothing, whatever was written there before it).
                    apps.extend(writers.below(&keyed));
                    apps.sort_unstable();
                    apps.dedup();
                }
                // One path, shared by every application it is put on (a dropped map: each
                // patch that wrote inside it).
                drop(keyed);
                let lost = Rc::new((path, what));
                for app in apps {
                    if !unfit_apps.contains(&app) {
                        found.push(What::Lost {
                            app,
                            lost: Rc::clone(&lost),
                        });
                    }
                }
            }
            checked = checked.or(back);
        }
        if found.is_empty() {
            // Lint reads the final form: the hits hold for it if it is the form scanned.
            let same = checked.as_ref().is_none_or(|c| *c == **obj);
            if let Some(c) = checked {
                **obj = c;
            }
            if same && let Some(slot) = run.scanned.get_mut(i) {
                *slot = Some((patches::object_id(obj), final_hits));
            }
        } else {
            run.problems.extend(
                found
                    .into_iter()
                    .map(|w| Problem::new(run.log.get(app_of(&w)).map_or(0, |a| a.patch), i, w)),
            );
        }
    }
}

fn app_of(w: &What) -> usize {
    match w {
        What::Credential { app, .. }
        | What::Unfit { app, .. }
        | What::Custom { app, .. }
        | What::Lost { app, .. } => *app,
        What::NoMatch | What::Apply(_) => 0,
    }
}

/// One object's patches applied again from its original, to find the one after which a
/// problem no patch's path leads to first appears.
struct Replay<'a> {
    merged: &'a Merged,
    labels: &'a Map<String, J>,
    log: &'a [App],
    t: &'a Touched,
}

impl Replay<'_> {
    /// The object after its first `k` applications.
    fn state(&self, k: usize) -> J {
        let mut s = self.t.original.clone();
        let mut carried = Carried::default();
        for a in self.t.apps.iter().take(k) {
            if let Some(lp) = self
                .log
                .get(*a)
                .and_then(|a| self.merged.patches.get(a.patch))
            {
                // Each applied the first time, so it applies again.
                let _ = patches::apply_in_place(&mut s, &lp.patch, &mut carried);
                label(&mut s, self.labels);
            }
        }
        s
    }

    /// The application after which `present` first holds (absent from the original, present
    /// in the final object): by bisection, a logarithmic number of replays.
    fn introduced(&self, present: &dyn Fn(&J) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.t.apps.len());
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if present(&self.state(mid)) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        self.t.apps.get(hi.saturating_sub(1)).copied().unwrap_or(0)
    }
}

/// Everything `obj` loses through its Kubernetes type (paths into `obj`, with what happened),
/// and the round-tripped object in its stored form when it loses nothing, else what the type
/// read back (where a dropped field's suggestion comes from). A value of the wrong
/// type stops the type's reader at the first: each is set aside (a map's key; not a list's
/// item, which would move the others) and the object read again, up to [`SHOWN_ERRORS`] of
/// them, so one run reports them all.
/// What an object lost in its round trip, its stored form (when it lost nothing) and what its
/// type read back (when it lost something).
type RoundTrip = (Vec<patches::LostAt>, Option<J>, Option<J>);

fn round_trip_all(obj: &J) -> RoundTrip {
    let mut found: Vec<patches::LostAt> = Vec::new();
    let mut scratch: Option<J> = None;
    let mut set_aside: Vec<Vec<Seg>> = Vec::new();
    for _ in 0..=SHOWN_ERRORS {
        let here = scratch.as_ref().unwrap_or(obj);
        match k8s_check::roundtrip(here) {
            Ok(back) => {
                let mut lost = patches::lost(here, &back);
                // What the type fills in for a value set aside is not lost.
                lost.retain(|(p, _)| !set_aside.iter().any(|s| p.starts_with(s)));
                if lost.is_empty() && found.is_empty() {
                    let mut back = back;
                    crate::render::stored::apply(&mut back);
                    return (found, Some(back), None);
                }
                found.extend(lost);
                return (found, None, Some(back));
            }
            Err(e) => match e.downcast_ref::<TypeError>() {
                Some(t) => {
                    let path = steps(&t.path);
                    found.push((path.clone(), t.message.clone().into()));
                    let s = scratch.get_or_insert_with(|| obj.clone());
                    if !remove_key(s, &path) {
                        break;
                    }
                    set_aside.push(path);
                }
                None => {
                    found.push((Vec::new(), e.to_string().into()));
                    break;
                }
            },
        }
    }
    (found, None, None)
}

/// Removes the map key at `path`; false when the path does not end at one.
fn remove_key(obj: &mut J, path: &[Seg]) -> bool {
    let Some((Seg::Key(last), parent)) = path.split_last() else {
        return false;
    };
    let mut here = obj;
    for seg in parent {
        here = match (seg, here) {
            (Seg::Key(k), J::Object(m)) => match m.get_mut(k.as_str()) {
                Some(v) => v,
                None => return false,
            },
            (Seg::Index(n), J::Array(items)) => match items.get_mut(*n) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match here {
        J::Object(m) => m.remove(last.as_str()).is_some(),
        _ => false,
    }
}

/// Builds the problems (the first [`SHOWN_ERRORS`] of them, the rest counted), in the order
/// the patches were applied; returns what each patch changed in each object.
pub(super) fn report(
    merged: &Merged,
    files: &[(String, Vec<J>)],
    run: Run,
    found: &mut Found,
) -> Vec<Applied> {
    let all: Vec<&J> = files.iter().flat_map(|(_, objs)| objs).collect();
    let targets = || {
        all.iter()
            .copied()
            .filter(|o| o.get("kind").and_then(J::as_str) != Some("Kustomization"))
    };
    // The order: by patch, object and rank, equal ones as they came. Sorted as small keys
    // (the index last) rather than moving the problems themselves: 10,000 failing patches
    // over 25 objects are 250,000 problems.
    let mut order: Vec<(usize, usize, u8, usize)> = run
        .problems
        .iter()
        .enumerate()
        .map(|(i, p)| (p.patch, p.object, p.rank(), i))
        .collect();
    order.sort_unstable();
    // One patch selecting many objects makes the same mistake in each: once.
    let (mut seen, mut past) = (HashSet::new(), HashSet::new());
    for p in order.iter().filter_map(|k| run.problems.get(k.3)) {
        let (Some(lp), Some(obj)) = (merged.patches.get(p.patch), all.get(p.object)) else {
            continue;
        };
        let changes = |app: &usize| {
            run.log
                .get(*app)
                .map(|a| &a.changes[..])
                .unwrap_or_default()
        };
        let locate =
            |app: &usize, path: &[Seg]| patches::locate(obj, &lp.patch, changes(app), path);
        match &p.what {
            What::NoMatch => found.push(|| lp.error(&patches::no_match(&lp.patch, targets()))),
            What::Apply(e) => found.push(|| lp.error(e)),
            What::Credential { app, hit } => {
                let at = locate(app, &hit.path);
                if seen.insert((p.patch, PathDisplay(&at).to_string(), hit.describe())) {
                    found.push(|| {
                        let shown = credential_path("patches", lp.index, &at, hit);
                        {
                            let d = lp.error(&credential_error(at.clone(), hit)).path(shown);
                            if hit.masks_its_line() { d.secret() } else { d }
                        }
                    });
                }
            }
            What::Unfit { app, e } => {
                if found.full() {
                    // Counted once per place in the object, without locating it in the file
                    // (nor writing its path: borrowed, not copied).
                    if past.insert((p.patch, &e.path[..], e.message.as_str())) {
                        found.more += 1;
                    }
                    continue;
                }
                let at = locate(app, &e.path);
                if seen.insert((p.patch, PathDisplay(&at).to_string(), e.message.clone())) {
                    found.push(|| {
                        lp.error(&PatchError {
                            path: at,
                            ..(**e).clone()
                        })
                    });
                }
            }
            What::Custom { app, e } => found.push(|| {
                let (e, crd) = &**e;
                lp.error(&PatchError {
                    path: locate(app, &e.path),
                    ..e.clone()
                })
                .note(crd.clone())
            }),
            What::Lost { app, lost } => found.push(|| {
                let (path, what) = &**lost;
                let read = run.read.get(p.object).and_then(Option::as_ref);
                let (message, hint) = lost_message(obj, path, what, read);
                lp.error(&PatchError {
                    path: inside(changes(app), &patches::keyed_path_cow(obj, path))
                        .unwrap_or_else(|| locate(app, path)),
                    on_key: what == "dropped",
                    message,
                    hint,
                })
            }),
        }
    }
    if !found.diags.is_empty() {
        return Vec::new();
    }
    let objects = applications(&run);
    run.log
        .into_iter()
        .zip(objects)
        .filter_map(|(a, object)| {
            let lp = merged.patches.get(a.patch)?;
            Some(Applied {
                origin: lp.origin(),
                index: lp.index,
                object: patches::object_id(all.get(object)?),
                located: a.changes,
            })
        })
        .collect()
}

/// Where in the patch a value was written below `keyed` (what a dropped map took with it), when
/// the patch wrote nothing at or above it: the patch's path at `keyed`'s depth.
fn inside(changes: &[Change], keyed: &[Seg]) -> Option<Vec<Seg>> {
    let live = changes.iter().filter(|c| !c.removed);
    if live.clone().any(|c| keyed.starts_with(&c.object_path)) {
        return None;
    }
    let c = live
        .filter(|c| c.object_path.starts_with(keyed))
        .min_by_key(|c| c.object_path.len())?;
    let deeper = c.object_path.len() - keyed.len();
    let keep = c.patch_path.len().saturating_sub(deeper).max(1);
    c.patch_path.get(..keep).map(<[Seg]>::to_vec)
}

/// The object of each application, in the log's order.
fn applications(run: &Run) -> Vec<usize> {
    let mut of = vec![0; run.log.len()];
    for (i, t) in run.touched.iter().enumerate() {
        for a in t.iter().flat_map(|t| &t.apps) {
            if let Some(slot) = of.get_mut(*a) {
                *slot = i;
            }
        }
    }
    of
}
