//! Lint: production-readiness rules over the final objects, the ones that get applied (after
//! the layers' patches and extra objects), objects in, findings out, pure.
//!
//! The typed validation (`resolve::validate`) refuses a bad setting at its line; what only the
//! final objects show (a patch that makes a container privileged, an extra NetworkPolicy that
//! allows everything, a Role with `*`) is found here. Each rule has a stable ID (`AGT1xx`), a
//! severity ([`Severity::Error`]: the cluster refuses it or it breaks a promise of the render;
//! [`Severity::Warning`]: a readiness risk), a one-paragraph doc and a fix ([`RULES`]). A finding
//! names the object and the field path ([`Seg`]s, list items by index); where the value came
//! from (the line of a patch or extra object) is the caller's to say, through [`Provenance`]:
//! `pipeline` knows the layers, this module only the objects. `render` refuses errors,
//! `lint` prints every finding, `diff` classes a change that makes a rule fire as `security`.

mod capacity;
mod limits;
mod network;
mod pod;
mod ports;
pub mod report;
mod rules;
/// Where a workload's pod-template labels are (`spec.template.metadata.labels`, a CronJob's
/// three levels down): the field a finding about the pods as a whole is reported at.
pub(super) fn template_labels(o: &J) -> Vec<Seg> {
    use crate::k8s::object;
    let template = object::pod_template_pointer(object::api_version(o), object::kind(o))
        .unwrap_or_else(|| "/".into());
    let mut at: Vec<Seg> = template
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| Seg::Key(s.into()))
        .collect();
    at.extend(keys(&[], &["metadata", "labels"]));
    at
}

#[cfg(test)]
mod tests;
mod workload;

use serde_json::Value as J;

pub use crate::config::patches::Seg;
use crate::config::patches::{PathDisplay, object_id};
pub use rules::{RULES, Rule, rule};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A readiness risk: printed, not refused.
    Warning,
    /// The cluster refuses it (Pod Security admission) or it breaks a promise of the render
    /// (default-deny, least privilege, credentials only from Secrets): `render` refuses it.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One rule firing on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// `Kind/name` of the object.
    pub object: String,
    /// Where in the object (list items by index, as in the object).
    pub path: Vec<Seg>,
    /// What is wrong, for this object.
    pub message: String,
    /// The patch or extra object that produced the value, when one did (filled by the
    /// caller, which knows the layers).
    pub origin: Option<Origin>,
    /// Accepted by an override file's `accept:` entry: its reason and where it is written.
    /// An accepted finding is shown, never refused or counted.
    pub accepted: Option<String>,
    /// Turned off on purpose by a typed setting ([`Provenance::intent`]): the setting and where
    /// it is written. Shown as a note, never refused or counted.
    pub intent: Option<String>,
    /// The fields of other objects a cross-object finding follows from (`Kind/name`, path),
    /// in the order to blame them: the autoscaler's maximum and the pods' requests behind a
    /// quota that no longer fits, the CronJob behind a missing backup. The caller locates the
    /// finding at the first of them an override file wrote when the finding's own field was
    /// not.
    pub causes: Vec<(String, Vec<Seg>)>,
}

/// Where in an override file a value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// As people read it: `my.yaml:12:9`, `profile dev (profiles/dev.yaml:3:1)`.
    pub shown: String,
    /// The file, when the value is in one the user has (an override or project file).
    pub file: Option<String>,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What wrote it: `patches[0]`, `resources[1]`.
    pub entry: String,
}

impl Finding {
    /// The field path as people read it: `spec.template.spec.containers[0].securityContext`.
    pub fn path_text(&self) -> String {
        PathDisplay(&self.path).to_string()
    }

    /// Accepted, or turned off by a typed setting: shown, never refused or counted.
    pub fn waived(&self) -> bool {
        self.accepted.is_some() || self.intent.is_some()
    }

    /// Whether it is shown at all: an opt-in rule's findings only when asked for (`enabled`:
    /// the opt-in rules asked for).
    pub fn shown(&self, enabled: &[&str]) -> bool {
        !self.rule.opt_in || enabled.contains(&self.rule.id)
    }

    /// A key that stays the same when nothing about the finding changed (rule, object, path),
    /// for comparing two renders.
    pub fn key(&self) -> (String, String, String) {
        (
            self.rule.id.to_owned(),
            self.object.clone(),
            self.path_text(),
        )
    }
}

/// What the caller knows about the settings behind the objects (the objects alone do not say).
pub trait Provenance {
    /// The typed setting that deliberately turns off what `rule` checks on `object`
    /// (`Kind/name`), if one does: `networkPolicy.enabled: false` (a CNI that enforces no
    /// policy) for the isolation rule, `backup.enabled: false` for the backup rule. The finding
    /// is kept, with a note naming the setting and where it is written, and does not count.
    /// One mechanism for every rule: the table of which setting turns off which rule is the
    /// caller's (`render::provenance`), which knows the settings.
    /// `path` is where in the object the finding is (a rule's index in a list, say).
    fn intent(&self, rule: &Rule, object: &str, path: &[Seg]) -> Option<String>;

    /// The credential hits (`credentials::in_object`) of `object`, the `index`th of the
    /// objects linted, when the caller already scanned it in exactly this form (a render's
    /// patched objects, checked after the patches): AGT160 reports them without scanning it
    /// again. `None`: AGT160 scans it.
    fn scanned(&self, _index: usize, _object: &J) -> Option<Vec<crate::config::credentials::Hit>> {
        None
    }
}

/// No provenance: no typed setting turns any rule off (change impact compares objects only, and
/// turning a protection off is a security change there).
pub struct Typed;

impl Provenance for Typed {
    fn intent(&self, _: &Rule, _: &str, _: &[Seg]) -> Option<String> {
        None
    }
}

/// What the rules see: every object, and every pod template read once.
struct Ctx<'a> {
    objects: &'a [&'a J],
    pods: Vec<ports::Pod<'a>>,
    /// The autoscalers among `objects` (`scale::autoscalers`): what a workload's bounds read.
    autoscalers: Vec<&'a J>,
    /// The LimitRanges among `objects`: what a pod's defaults read (AGT125).
    limit_ranges: Vec<&'a J>,
}

/// Collects findings for one object.
pub(crate) struct Out<'a> {
    object: &'a J,
    findings: Vec<Finding>,
}

impl Out<'_> {
    pub(crate) fn fire(&mut self, id: &str, path: Vec<Seg>, message: impl Into<String>) {
        let Some(rule) = rule(id) else { return };
        self.findings.push(Finding {
            rule,
            object: object_id(self.object),
            path,
            message: message.into(),
            origin: None,
            accepted: None,
            intent: None,
            causes: Vec::new(),
        });
    }

    /// Adds a cause (a field of another object) to the finding fired last.
    pub(crate) fn cause(&mut self, object: &J, path: Vec<Seg>) {
        if let Some(f) = self.findings.last_mut() {
            f.causes.push((object_id(object), path));
        }
    }
}

/// A path from string keys and indices: `p(&["spec", "template"])`.
pub(crate) fn keys(base: &[Seg], more: &[&str]) -> Vec<Seg> {
    let mut p = base.to_vec();
    p.extend(more.iter().map(|k| Seg::Key((*k).into())));
    p
}

/// Every finding of every rule over `objects` (a `Kustomization` is skipped), in object order
/// then rule order.
pub fn lint(objects: &[&J], provenance: &dyn Provenance) -> Vec<Finding> {
    let ctx = Ctx {
        objects,
        pods: ports::pods(objects),
        autoscalers: crate::k8s::scale::autoscalers(objects.iter().copied()),
        limit_ranges: objects
            .iter()
            .copied()
            .filter(|o| crate::k8s::object::kind(o) == "LimitRange")
            .collect(),
    };
    let mut all = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        if crate::k8s::object::kind(o) == "Kustomization" {
            continue;
        }
        let mut out = Out {
            object: o,
            findings: Vec::new(),
        };
        pod::check(o, &mut out);
        // AGT160: the credential policy's hits, found once per object.
        let hits = provenance
            .scanned(i, o)
            .unwrap_or_else(|| crate::config::credentials::in_object(o));
        for hit in hits {
            out.fire("AGT160", hit.path.clone(), hit.describe());
        }
        workload::check(&ctx, o, &mut out);
        network::check(&ctx, o, &mut out);
        ports::check(&ctx, o, &mut out);
        capacity::check(&ctx, o, &mut out);
        limits::check(&ctx, o, &mut out);
        limits::quota_cpu(&ctx, o, &mut out);
        all.extend(out.findings);
    }
    for f in &mut all {
        f.intent = provenance.intent(f.rule, &f.object, &f.path);
    }
    all
}

/// Whether any finding is an error (accepted ones, and ones a typed setting turns off, do not
/// count; opt-in rules are warnings).
pub fn has_errors(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.rule.severity == Severity::Error && !f.waived())
}
