//! `doctor`: what the render needs from the cluster, checked live, then the guide's
//! troubleshooting made executable. Each problem is a [`Finding`]: the object it is about, the
//! cause in the cluster's own words translated, and the exact commands that fix it (shell
//! quoted). Pure over a [`Snapshot`] of what was read (`gather` reads it), so every rule is
//! tested over recorded API objects. What the render needs is read from the rendered objects,
//! as `render::prereqs` derives its list: the same pod specs, claims, autoscalers and groups.

mod capacity;
mod gather;
mod prereqs;
mod trouble;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as J;

pub(crate) fn s<'a>(v: &'a J, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(J::as_str).unwrap_or_default()
}

pub(crate) fn items<'a>(v: &'a J, pointer: &str) -> impl Iterator<Item = &'a J> {
    v.pointer(pointer)
        .and_then(J::as_array)
        .into_iter()
        .flatten()
}

/// One problem: what, why, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check or symptom (`secret`, `pod-pending`, `crash-loop`, ...), stable for scripts.
    pub check: &'static str,
    /// The object it is about (`Pod agent-deployment-7c9-x2`, `Secret agent-secrets`).
    pub subject: String,
    /// What is wrong and why, in a sentence or two.
    pub cause: String,
    /// Commands that fix it, in order (shell-quoted; a setting's fix is an `agentctl render`).
    pub fix: Vec<String>,
}

/// A prerequisite that holds, said in a few words (text output lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passed {
    /// The check.
    pub check: &'static str,
    /// What was found.
    pub detail: String,
}

/// Everything doctor says about one render.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Prerequisites that hold.
    pub passed: Vec<Passed>,
    /// Problems.
    pub findings: Vec<Finding>,
    /// What could not be decided (a NetworkPolicy-enforcing CNI cannot be detected).
    pub notes: Vec<String>,
}

/// What was read from the cluster for one render. Secret values are never kept: only the
/// names of their keys.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Served `group/version`s (`v1` for the core group).
    pub served: BTreeSet<String>,
    /// APIService objects (`apiregistration.k8s.io/v1`), for the aggregated metrics APIs.
    pub api_services: Vec<J>,
    /// Custom pods metrics asked for, and whether the custom metrics API serves them.
    pub pods_metrics: BTreeMap<String, bool>,
    /// StorageClasses.
    pub storage_classes: Vec<J>,
    /// Secrets the pods read: their key names (`None`: no such Secret).
    pub secrets: BTreeMap<String, Option<BTreeSet<String>>>,
    /// ConfigMaps the pods read that the render does not create: their key names (`None`: no
    /// such ConfigMap).
    pub config_maps: BTreeMap<String, Option<BTreeSet<String>>>,
    /// PriorityClasses named, and whether each exists.
    pub priority_classes: BTreeMap<String, bool>,
    /// RuntimeClasses named, and whether each exists.
    pub runtime_classes: BTreeMap<String, bool>,
    /// Nodes.
    pub nodes: Vec<J>,
    /// The namespace's ResourceQuotas, Deployments, StatefulSets, HPAs, Pods, PVCs, Events,
    /// EndpointSlices, NetworkPolicies (live).
    pub quotas: Vec<J>,
    /// Deployments and StatefulSets.
    pub workloads: Vec<J>,
    /// HorizontalPodAutoscalers.
    pub autoscalers: Vec<J>,
    /// Pods.
    pub pods: Vec<J>,
    /// PersistentVolumeClaims.
    pub claims: Vec<J>,
    /// Events.
    pub events: Vec<J>,
    /// EndpointSlices.
    pub endpoint_slices: Vec<J>,
    /// NetworkPolicies.
    pub network_policies: Vec<J>,
    /// DaemonSets of kube-system (`None`: not readable), to recognize a CNI.
    pub system_daemonsets: Option<Vec<J>>,
    /// Now.
    pub now: Option<jiff::Timestamp>,
    /// The namespace's labels (`Some(None)`: no such namespace; `None`: not read, or not
    /// readable by this user: reading a Namespace takes a cluster-wide permission).
    pub namespace_labels: Option<Option<BTreeMap<String, String>>>,
    /// The CRDs the user listed (`crds:`), each with what the cluster has of it: `None`
    /// unreadable (reading a CRD takes a cluster-wide permission), `Some(None)` not
    /// installed, `Some(Some(versions))` installed, serving those versions.
    pub listed_crds: Vec<(ListedCrd, Option<Option<Vec<String>>>)>,
}

/// A CRD the user listed (`crds:`), as `doctor` names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListedCrd {
    /// `plural.group`, the CRD's name in the cluster.
    pub name: String,
    /// `group`.
    pub group: String,
    /// The kind it defines.
    pub kind: String,
    /// The file, as the `crds:` entry names it.
    pub file: String,
    /// `file:line:col` of the `crds:` entry.
    pub listed_at: String,
}

impl ListedCrd {
    /// From a listed CRD.
    pub fn of(c: &crate::input::crds::Crd) -> ListedCrd {
        ListedCrd {
            name: format!("{}.{}", c.plural, c.group),
            group: c.group.clone(),
            kind: c.kind.clone(),
            file: c.file.clone(),
            listed_at: c.listed_at.clone(),
        }
    }
}

/// How a fix that changes settings is written: the `agentctl render` command of the same
/// inputs with more `--set`s (given `path=value` each).
pub type RenderWith<'a> = &'a dyn Fn(&[String]) -> String;

/// The report for the rendered `objects` in `namespace`.
pub fn examine(objects: &[J], namespace: &str, snap: &Snapshot, render_with: RenderWith) -> Report {
    examine_in(objects, namespace, &BTreeMap::new(), snap, render_with)
}

/// The labels an existing namespace must carry for `cfg` (`createNamespace: false`): what the
/// render's Namespace would, `namespaceLabels` and the Pod Security labels (theirs win, as in
/// the render). None when the render creates the namespace.
pub fn expected_labels(cfg: &crate::config::Config) -> BTreeMap<String, String> {
    if cfg.create_namespace {
        return BTreeMap::new();
    }
    let mut labels = cfg.namespace_labels.clone();
    labels.extend(crate::render::pod_security_labels(cfg));
    labels
}

/// [`examine`], for a namespace the render does not create (`createNamespace: false`) and
/// whose labels (`expect`: [`expected_labels`]) are a prerequisite.
pub fn examine_in(
    objects: &[J],
    namespace: &str,
    expect: &BTreeMap<String, String>,
    snap: &Snapshot,
    render_with: RenderWith,
) -> Report {
    let mut report = Report::default();
    let cx = Cx {
        objects,
        namespace,
        instance: instance_of(objects),
        expect,
        snap,
        render_with,
    };
    prereqs::check(&cx, &mut report);
    capacity::nodes(&cx, &mut report);
    capacity::quota(&cx, &mut report);
    trouble::check(&cx, &mut report);
    report
}

/// Records a prerequisite that holds.
pub(crate) fn pass(r: &mut Report, check: &'static str, detail: String) {
    r.passed.push(Passed { check, detail });
}

/// The render's `instance`, when set: the `app.kubernetes.io/instance` label of the agent
/// Deployment's pod template (pods carry it only then).
fn instance_of(objects: &[J]) -> Option<String> {
    objects
        .iter()
        .filter(|o| crate::k8s::object::kind(o) == "Deployment")
        .find_map(|o| {
            let labels = o.pointer("/spec/template/metadata/labels")?;
            (labels.get("app.kubernetes.io/name")?.as_str()? == "agent")
                .then(|| {
                    labels
                        .get(crate::config::instance::INSTANCE_LABEL)?
                        .as_str()
                })
                .flatten()
                .map(str::to_owned)
        })
}

/// What every rule reads.
pub(crate) struct Cx<'a> {
    pub objects: &'a [J],
    pub namespace: &'a str,
    /// The render's `instance`, when set: only its pods are this deployment's, and its
    /// objects' names carry its prefix ([`Cx::base`]).
    pub instance: Option<String>,
    /// Labels the existing namespace must carry (empty: the render creates it).
    pub expect: &'a BTreeMap<String, String>,
    pub snap: &'a Snapshot,
    pub render_with: RenderWith<'a>,
}

impl Cx<'_> {
    /// The render command with one more `--set path=value`.
    pub fn render1(&self, set: &str) -> String {
        (self.render_with)(&[set.to_owned()])
    }

    /// The built-in name of one of the render's objects (`agent-deployment` for
    /// `NAME-agent-deployment` with `instance: NAME`).
    pub fn base<'n>(&self, name: &'n str) -> &'n str {
        match &self.instance {
            Some(i) => name
                .strip_prefix(i.as_str())
                .and_then(|r| r.strip_prefix('-'))
                .unwrap_or(name),
            None => name,
        }
    }

    /// Whether a live object of the namespace (a pod, a claim, a workload, an autoscaler) is
    /// this deployment's, as far as the namespace tells: with `instance` set, only those
    /// labelled with it (another deployment shares the namespace); else every one.
    pub fn ours(&self, live: &J) -> bool {
        self.instance.as_deref().is_none_or(|i| {
            live.pointer("/metadata/labels")
                .and_then(|l| l.get(crate::config::instance::INSTANCE_LABEL))
                .and_then(J::as_str)
                == Some(i)
        })
    }

    /// `kubectl ... -n NAMESPACE` words.
    pub fn ns(&self) -> String {
        format!("-n {}", crate::shell::quote(self.namespace))
    }
}

/// The pod spec inside a workload object, if it has one.
pub(crate) fn pod_spec(obj: &J) -> Option<&J> {
    match s(obj, "/kind") {
        "Pod" => obj.pointer("/spec"),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            obj.pointer("/spec/template/spec")
        }
        "CronJob" => obj.pointer("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// The Secrets the pods read and the keys they read ([`crate::k8s::refs`], the walk the
/// render's prerequisites use too).
pub(crate) fn secret_refs(objects: &[J]) -> BTreeMap<String, BTreeSet<String>> {
    crate::k8s::refs::of(objects).secrets
}

/// The ConfigMaps the pods read that the render does not create (created out of band: the
/// render's prerequisites print how), with the keys they read.
pub(crate) fn out_of_band_config_maps(objects: &[J]) -> BTreeMap<String, BTreeSet<String>> {
    let mut maps = crate::k8s::refs::of(objects).config_maps;
    maps.retain(|name, _| {
        !objects
            .iter()
            .any(|o| s(o, "/kind") == "ConfigMap" && s(o, "/metadata/name") == name)
    });
    maps
}

#[cfg(test)]
mod tests;
