//! Where a value of the final objects came from: a patch (its entry and the line in it that
//! wrote the value) or an extra object (its `resources:` entry), else a typed setting. Feeds
//! [`crate::lint`] (which rules depend on it: exposure only a typed setting may ask for) and
//! locates each finding at the line of the override file that produced it.

use std::sync::Arc;

use serde_json::Value as J;

use crate::config::Config;
use crate::config::patches::{self, Seg};
use crate::diag::{Diagnostic, Origin as SourceOrigin, Pos, Source};
use crate::input::extras;
use crate::lint::{self, Finding, Origin, Provenance, Rule};
use crate::render::patches::Applied;
use crate::resolve::merge::{Merged, compact};

/// The provenance of one render's final objects.
pub struct Known<'a> {
    merged: &'a Merged,
    applied: &'a [Applied],
    objects: &'a [&'a J],
}

impl<'a> Known<'a> {
    /// From the merged layers (their patches and extra objects), what each patch changed and
    /// the final objects.
    pub fn new(merged: &'a Merged, applied: &'a [Applied], objects: &'a [&'a J]) -> Self {
        Known {
            merged,
            applied,
            objects,
        }
    }

    fn object(&self, id: &str) -> Option<&J> {
        self.objects
            .iter()
            .copied()
            .find(|o| patches::object_id(o) == id)
    }

    /// The last patch that wrote the value at `path` of `object` (or something inside it, or
    /// removed it), with the position in its entry.
    fn patch(&self, object: &str, path: &[Seg]) -> Option<Located> {
        let obj = self.object(object)?;
        let keyed = patches::keyed_path(obj, path);
        for a in self.applied.iter().rev().filter(|a| a.object == object) {
            let hit =
                a.located.iter().rev().find(|c| {
                    keyed.starts_with(&c.object_path) || c.object_path.starts_with(&keyed)
                });
            if let Some(c) = hit
                && let Some(lp) = self
                    .merged
                    .patches
                    .iter()
                    .find(|lp| lp.index == a.index && lp.origin() == a.origin)
            {
                let (pos, len, _) = extras::at(&lp.node, &c.patch_path);
                return Some(Located {
                    source: lp.source.clone(),
                    pos,
                    len,
                    entry: format!("patches[{}]", lp.index),
                });
            }
        }
        None
    }

    fn extra(&self, object: &str, path: &[Seg]) -> Option<Located> {
        let r = self
            .merged
            .resources
            .iter()
            .find(|r| patches::object_id(&r.object) == object)?;
        let (pos, len, _) = extras::at(&r.node, path);
        Some(Located {
            source: r.source.clone(),
            pos,
            len,
            entry: format!("resources[{}]", r.index),
        })
    }

    /// Where the value at `path` of `object` was written, if by a patch or an extra object:
    /// the source, the position and width of the value there, and the entry
    /// (`patches[0]`, `resources[1]`), for a diagnostic that quotes the line.
    pub fn site(&self, object: &str, path: &[Seg]) -> Option<(Arc<Source>, Pos, usize, String)> {
        let obj = self.object(object)?;
        let keyed = patches::keyed_path(obj, path);
        for a in self.applied.iter().rev().filter(|a| a.object == object) {
            let hit =
                a.located.iter().rev().find(|c| {
                    keyed.starts_with(&c.object_path) || c.object_path.starts_with(&keyed)
                });
            if let Some(c) = hit
                && let Some(lp) = self
                    .merged
                    .patches
                    .iter()
                    .find(|lp| lp.index == a.index && lp.origin() == a.origin)
            {
                // Below the change, the patch holds the value as the object does (keys, and
                // list items by merge key).
                let mut at_path = c.patch_path.clone();
                if keyed.starts_with(&c.object_path) {
                    at_path.extend(
                        keyed[c.object_path.len()..]
                            .iter()
                            .take_while(|s| !matches!(s, Seg::Index(_)))
                            .cloned(),
                    );
                }
                let (pos, len, _) = extras::at(&lp.node, &at_path);
                return Some((
                    Arc::clone(&lp.source),
                    pos,
                    len,
                    format!("patches[{}]", lp.index),
                ));
            }
        }
        let r = self
            .merged
            .resources
            .iter()
            .find(|r| patches::object_id(&r.object) == object)?;
        let (pos, len, _) = extras::at(&r.node, path);
        Some((
            Arc::clone(&r.source),
            pos,
            len,
            format!("resources[{}]", r.index),
        ))
    }

    /// Where the value a finding is about was written, if in an override file: the patch or
    /// extra object that wrote it, else the typed setting that rendered it ([`TYPED`]).
    fn locate(&self, f: &Finding) -> Option<Located> {
        self.patch(&f.object, &f.path)
            .or_else(|| self.extra(&f.object, &f.path))
            .or_else(|| self.typed(f))
    }

    /// The typed setting a rendered value comes from, where the user wrote it (a built-in
    /// default is nowhere to point at).
    fn typed(&self, f: &Finding) -> Option<Located> {
        let path = f.path_text();
        let (_, _, setting) = TYPED
            .iter()
            .find(|(object, at, _)| *object == f.object && path.starts_with(at))?;
        let s = self
            .merged
            .origin(setting)
            .filter(|s| s.source.origin != SourceOrigin::Default)?;
        Some(Located {
            source: s.source.clone(),
            pos: s.pos,
            len: s.len,
            entry: (*setting).to_owned(),
        })
    }
}

/// Where in an override file a value was written: its source, position and width, and the
/// entry (`patches[0]`, `resources[1]`) that wrote it.
struct Located {
    source: Arc<Source>,
    pos: Pos,
    len: usize,
    entry: String,
}

impl Located {
    fn origin(&self) -> Origin {
        Origin {
            shown: self.source.locate(self.pos),
            file: match &self.source.origin {
                SourceOrigin::File(p) | SourceOrigin::Project(p) => Some(p.display().to_string()),
                _ => None,
            },
            line: self.pos.line,
            column: self.pos.col,
            entry: self.entry.clone(),
        }
    }
}

/// The refusal of an error finding, in the one error family: quoted at the line of the patch
/// or extra object that produced the value (a caret under it), like every other input error.
fn refusal(f: &Finding, at: Option<&Located>) -> Diagnostic {
    let d = Diagnostic::new(format!(
        "{} {}: {} {}: {}",
        f.rule.id,
        f.rule.title,
        f.object,
        f.path_text(),
        f.message
    ))
    .help(f.rule.fix);
    match at {
        Some(l) => d.path(l.entry.clone()).at(&l.source, l.pos, l.len.max(1)),
        None => d,
    }
}

/// Where typed settings are rendered, for the findings a typed setting alone can cause (the
/// rules see objects, not settings): the object, the field path prefix, the setting.
const TYPED: &[(&str, &str, &str)] = &[
    (
        "Deployment/agent-deployment",
        "spec.template.spec.affinity.podAntiAffinity",
        "agent.antiAffinity",
    ),
    (
        "Deployment/agent-deployment",
        "spec.template.spec.topologySpreadConstraints",
        "agent.topologySpreadConstraints",
    ),
    (
        "Deployment/agent-deployment",
        "spec.template.spec.containers[0].imagePullPolicy",
        "agent.imagePullPolicy",
    ),
    (
        "StatefulSet/redis",
        "spec.template.spec.containers[0].imagePullPolicy",
        "redis.imagePullPolicy",
    ),
    (
        "PodDisruptionBudget/agent-pdb",
        "spec.maxUnavailable",
        "disruptionBudget.maxUnavailable",
    ),
];

/// A row of [`INTENTS`]: the rule, the setting's path, whether the configuration has it off.
type Intent = (&'static str, &'static str, fn(&Config) -> bool);

/// Which typed setting deliberately turns off which rule: the rule, the setting's path, and
/// whether the configuration has it off. One table for every rule ([`Provenance::intent`]).
const INTENTS: &[Intent] = &[
    // A cluster whose CNI enforces no NetworkPolicy: the render isolates nothing, on purpose.
    ("AGT131", "networkPolicy.enabled", |c| {
        !c.network_policy.enabled
    }),
    // No disruption budget (dev: one replica, evictions are fine).
    ("AGT175", "disruptionBudget.enabled", |c| {
        !c.disruption_budget.enabled
    }),
    // No scheduled backup (dev, or a Redis whose data is disposable).
    ("AGT174", "backup.enabled", |c| !c.backup.enabled),
];

impl Provenance for Known<'_> {
    fn intent(&self, rule: &Rule, _object: &str) -> Option<String> {
        let (_, path, _) = INTENTS
            .iter()
            .find(|(id, _, off)| *id == rule.id && off(&self.merged.config))?;
        let value = self
            .merged
            .origin(path)
            .map_or_else(|| "false".to_owned(), |s| compact(&s.value));
        let at = match self.merged.origin(path) {
            Some(s) if s.source.origin != SourceOrigin::Default => {
                format!(" at {}", s.source.locate(s.pos))
            }
            _ => " (its default)".to_owned(),
        };
        Some(format!("off by `{path}: {value}`{at}"))
    }
}

/// Lints the final objects of a render, locates every finding and marks the ones an `accept:`
/// entry accepts. Returns the findings; the refusal of every error finding that counts (for
/// `render`: located at the patch line, quoted with a caret); and the acceptances that match
/// no finding, errors at their line (they would otherwise silently accept nothing, or a later
/// finding nobody reviewed).
pub fn lint(
    merged: &Merged,
    applied: &[Applied],
    files: &[(String, Vec<J>)],
) -> (Vec<Finding>, Vec<Diagnostic>, Vec<Diagnostic>) {
    let objects: Vec<&J> = files.iter().flat_map(|(_, o)| o).collect();
    let known = Known::new(merged, applied, &objects);
    let mut findings = lint::lint(&objects, &known);
    let located: Vec<Option<Located>> = findings.iter().map(|f| known.locate(f)).collect();
    for (f, l) in findings.iter_mut().zip(&located) {
        f.origin = l.as_ref().map(Located::origin);
    }
    let mut unmatched = Vec::new();
    for a in &merged.accepts {
        let mut hit = false;
        for f in findings
            .iter_mut()
            .filter(|f| f.rule.id == a.rule && f.object == a.object)
        {
            f.accepted = Some(format!(
                "{} (accept[{}] at {})",
                a.reason,
                a.index,
                a.origin()
            ));
            hit = true;
        }
        if !hit {
            let fired: Vec<String> = findings
                .iter()
                .filter(|f| f.rule.id == a.rule)
                .map(|f| f.object.clone())
                .collect();
            let help =
                match crate::suggest::did_you_mean(&a.object, fired.iter().map(String::as_str)) {
                    Some(n) => format!("did you mean `{n}`? {} fires there", a.rule),
                    None if fired.is_empty() => format!(
                        "{} fires on no object of this render: remove the acceptance",
                        a.rule
                    ),
                    None => format!("{} fires on: {}", a.rule, fired.join(", ")),
                };
            unmatched.push(
                Diagnostic::new(format!(
                    "this acceptance matches no finding: {} does not fire on {}",
                    a.rule, a.object
                ))
                .path(format!("accept[{}]", a.index))
                .at(&a.source, a.node.pos, a.node.len)
                .help(help),
            );
        }
    }
    let refusals = findings
        .iter()
        .zip(&located)
        .filter(|(f, _)| f.rule.severity == lint::Severity::Error && !f.waived())
        .map(|(f, l)| refusal(f, l.as_ref()))
        .collect();
    (findings, refusals, unmatched)
}
