//! The target Kubernetes version over the final objects: what a patch or an extra object
//! writes that the target cluster lacks (a native sidecar for 1.27, a group/version it no
//! longer serves) is refused, naming the version it needs, at the line of the patch or extra
//! object that wrote it.
//!
//! The typed settings are gated where they are validated (`resolve::validate`, through
//! `KubeVersion::supports`); this pass reads what only the final objects show, from one
//! table of field paths (`FIELDS`) per feature of `crate::k8s::version`. A field the
//! target lacks is not an error the API server reports: an older server drops an unknown field
//! silently (a sidecar then blocks its pod's start forever), so it is refused here, before
//! anything is written.

use serde_json::Value as J;

use crate::config::patches::{PathDisplay, Seg, object_id};
use crate::diag::Diagnostic;
use crate::k8s::object;
use crate::k8s::version::{self, Feature};
use crate::render::patches::Applied;
use crate::render::provenance::Known;
use crate::resolve::merge::Merged;

/// Where each feature shows, as a path below the pod spec (`pod:`), the object (`obj:`) or a
/// Job spec (`job:`, a Job's `spec` or a CronJob's `spec.jobTemplate.spec`); `[]` is every
/// item of a list, `C` both container lists, `A` both affinity kinds; `=V` only that value.
const FIELDS: &[(Feature, &str)] = &[
    (
        Feature::NativeSidecars,
        "pod:initContainers[].restartPolicy=Always",
    ),
    (Feature::SleepAction, "pod:C[].lifecycle.preStop.sleep"),
    (Feature::SleepAction, "pod:C[].lifecycle.postStart.sleep"),
    (
        Feature::AppArmorProfile,
        "pod:securityContext.appArmorProfile",
    ),
    (
        Feature::AppArmorProfile,
        "pod:C[].securityContext.appArmorProfile",
    ),
    (
        Feature::RecursiveReadOnlyMounts,
        "pod:C[].volumeMounts[].recursiveReadOnly",
    ),
    (
        Feature::AffinityMatchLabelKeys,
        "pod:affinity.A.requiredDuringSchedulingIgnoredDuringExecution[].matchLabelKeys",
    ),
    (
        Feature::AffinityMatchLabelKeys,
        "pod:affinity.A.requiredDuringSchedulingIgnoredDuringExecution[].mismatchLabelKeys",
    ),
    (
        Feature::AffinityMatchLabelKeys,
        "pod:affinity.A.preferredDuringSchedulingIgnoredDuringExecution[].podAffinityTerm.matchLabelKeys",
    ),
    (
        Feature::AffinityMatchLabelKeys,
        "pod:affinity.A.preferredDuringSchedulingIgnoredDuringExecution[].podAffinityTerm.mismatchLabelKeys",
    ),
    (Feature::InPlacePodResize, "pod:C[].resizePolicy"),
    (Feature::UserNamespaces, "pod:hostUsers=false"),
    (
        Feature::SupplementalGroupsPolicy,
        "pod:securityContext.supplementalGroupsPolicy",
    ),
    (Feature::PodLevelResources, "pod:resources"),
    (Feature::ImageVolume, "pod:volumes[].image"),
    (Feature::ContainerStopSignal, "pod:C[].lifecycle.stopSignal"),
    (Feature::TrafficDistribution, "obj:spec.trafficDistribution"),
    (Feature::JobSuccessPolicy, "job:successPolicy"),
    (Feature::JobBackoffLimitPerIndex, "job:backoffLimitPerIndex"),
    (Feature::JobManagedBy, "job:managedBy"),
    (Feature::CronJobTimeZone, "obj:spec.timeZone"),
    (
        Feature::UnhealthyPodEvictionPolicy,
        "obj:spec.unhealthyPodEvictionPolicy",
    ),
];

/// Every place in `o` where `feature`s show: `(feature, path)`.
pub fn uses(o: &J) -> Vec<(Feature, Vec<Seg>)> {
    let keys = |p: &[&str]| -> Vec<Seg> { p.iter().map(|k| Seg::Key((*k).into())).collect() };
    let pod = object::pod_spec_path(object::api_version(o), object::kind(o)).map(keys);
    let job = match (object::api_version(o), object::kind(o)) {
        ("batch/v1", "Job") => Some(keys(&["spec"])),
        ("batch/v1", "CronJob") => Some(keys(&["spec", "jobTemplate", "spec"])),
        _ => None,
    };
    let mut out = Vec::new();
    for &(feature, spec) in FIELDS {
        let Some((scope, rest)) = spec.split_once(':') else {
            continue;
        };
        let base = match scope {
            "pod" => pod.clone(),
            "job" => job.clone(),
            _ => Some(Vec::new()),
        };
        let Some(base) = base else { continue };
        let (pattern, want) = match rest.split_once('=') {
            Some((p, v)) => (p, Some(v)),
            None => (rest, None),
        };
        // Only where the field applies: `obj:spec.timeZone` is a CronJob's.
        if scope == "obj" && !applies(feature, object::kind(o)) {
            continue;
        }
        let steps: Vec<&str> = pattern.split('.').collect();
        walk(o, &base, &steps, want, &mut |path| {
            out.push((feature, path))
        });
    }
    out
}

/// The kinds an object-level field belongs to.
fn applies(feature: Feature, kind: &str) -> bool {
    match feature {
        Feature::TrafficDistribution => kind == "Service",
        Feature::CronJobTimeZone => kind == "CronJob",
        Feature::UnhealthyPodEvictionPolicy => kind == "PodDisruptionBudget",
        _ => true,
    }
}

/// Follows `base` then `steps` through `o`, calling `found` with each concrete path.
fn walk(o: &J, base: &[Seg], steps: &[&str], want: Option<&str>, found: &mut dyn FnMut(Vec<Seg>)) {
    let mut here = o;
    for seg in base {
        let Seg::Key(k) = seg else { return };
        match here.get(k.as_str()) {
            Some(v) => here = v,
            None => return,
        }
    }
    step(here, base.to_vec(), steps, want, found);
}

fn step(
    v: &J,
    path: Vec<Seg>,
    steps: &[&str],
    want: Option<&str>,
    found: &mut dyn FnMut(Vec<Seg>),
) {
    let Some((first, rest)) = steps.split_first() else {
        let hit = match want {
            None => !v.is_null(),
            Some(w) => match v {
                J::String(s) => s == w,
                J::Bool(b) => b.to_string() == w,
                _ => false,
            },
        };
        if hit {
            found(path);
        }
        return;
    };
    let (name, list) = match first.strip_suffix("[]") {
        Some(n) => (n, true),
        None => (*first, false),
    };
    let names: Vec<&str> = match name {
        "C" => vec!["initContainers", "containers"],
        "A" => vec!["podAffinity", "podAntiAffinity"],
        n => vec![n],
    };
    for n in names {
        let Some(child) = v.get(n) else { continue };
        let mut p = path.clone();
        p.push(Seg::Key((*n).into()));
        if list {
            for (i, item) in child.as_array().into_iter().flatten().enumerate() {
                let mut q = p.clone();
                q.push(Seg::Index(i));
                step(item, q, rest, want, found);
            }
        } else {
            step(child, p, rest, want, found);
        }
    }
}

/// Refuses every field and group/version of the final objects the target version lacks.
pub fn gate(merged: &Merged, applied: &[Applied], files: &[(String, Vec<J>)]) -> Vec<Diagnostic> {
    let target = merged.config.kube_version();
    let objects: Vec<&J> = files.iter().flat_map(|(_, o)| o).collect();
    let known = Known::new(merged, applied, &objects);
    let mut out = Vec::new();
    let at_version = || {
        merged
            .origin("kubeVersion")
            .filter(|s| !matches!(s.source.origin, crate::diag::Origin::Default))
            .map(|s| format!("the target, {target}, is set at {}", s.source.locate(s.pos)))
    };
    for o in &objects {
        let id = object_id(o);
        let mut problems: Vec<(String, String, Vec<Seg>)> = Vec::new();
        if let Err(why) = version::served(object::api_version(o), object::kind(o), target) {
            problems.push((
                format!("{id}: {why}"),
                "use a group/version the target serves (`kubectl api-versions` on the cluster), or target the version it needs with --kube-version".into(),
                vec![Seg::Key("apiVersion".into())],
            ));
        }
        for (feature, path) in uses(o) {
            if target.supports(feature) {
                continue;
            }
            let shown = crate::config::patches::keyed_path(o, &path);
            problems.push((
                format!("{id} {}: {}", PathDisplay(&shown), feature.refusal(target)),
                feature.help(),
                path,
            ));
        }
        for (message, help, path) in problems {
            let mut d = Diagnostic::new(message).help(help);
            if let Some((source, pos, len, entry)) = known.site(&id, &path) {
                d = d.at(&source, pos, len).label(format!("written by {entry}"));
            }
            if let Some(note) = at_version() {
                d = d.note(note);
            }
            out.push(d);
        }
    }
    out
}
