//! Where a value of the final objects came from: a patch (its entry and the line in it that
//! wrote the value) or an extra object (its `resources:` entry), else a typed setting. Feeds
//! [`crate::lint`] (which rules depend on it: exposure only a typed setting may ask for) and
//! locates each finding at the line of the override file that produced it. The one table of
//! where typed settings are rendered ([`TYPED`]) also says which setting a patch overrides
//! ([`overrides`]: compared before and after the patches, for `render`'s warning, `explain` and
//! `config --show-origin`, and what follows a patched value).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as J;

use crate::config::Config;
use crate::config::patches::{self, PathDisplay, Seg};
use crate::diag::{Diagnostic, Origin as SourceOrigin, Pos, Source};
use crate::input::extras;
use crate::lint::{self, Finding, Origin, Provenance, Rule};
use crate::render::patches::{Applied, Scanned};
use crate::resolve::merge::{Merged, compact};

mod exposure;
mod overrides;
mod typed;
pub use overrides::{Before, Override, before, follow, overrides};
pub use typed::{NOT_TYPED, Rendered, TYPED};

/// The provenance of one render's final objects.
pub struct Known<'a> {
    merged: &'a Merged,
    applied: &'a [Applied],
    /// The final objects by id (`Kind/name`), the first of each: a finding's object is looked
    /// up, not searched (a search per finding was quadratic: 2,000 extra Deployments).
    objects: HashMap<String, &'a J>,
    /// The index in `merged.resources` of each extra object, by id, the first of each.
    resources: HashMap<String, usize>,
    /// The credential hits the patches' check found, per object ([`Known::scanned_by`]).
    scanned: Option<&'a Scanned>,
}

impl<'a> Known<'a> {
    /// From the merged layers (their patches and extra objects), what each patch changed and
    /// the final objects.
    pub fn new(merged: &'a Merged, applied: &'a [Applied], objects: &'a [&'a J]) -> Self {
        let mut by_id = HashMap::new();
        for o in objects.iter().copied() {
            by_id.entry(patches::object_id(o)).or_insert(o);
        }
        let mut resources = HashMap::new();
        for (i, r) in merged.resources.iter().enumerate() {
            resources.entry(patches::object_id(&r.object)).or_insert(i);
        }
        Known {
            merged,
            applied,
            objects: by_id,
            resources,
            scanned: None,
        }
    }

    /// With the credential hits the patches' check found in the patched objects' final form
    /// (lint's AGT160 reads them instead of scanning those objects again).
    pub fn scanned_by(self, scanned: &'a Scanned) -> Self {
        Known {
            scanned: Some(scanned),
            ..self
        }
    }

    fn object(&self, id: &str) -> Option<&J> {
        self.objects.get(id).copied()
    }

    /// The extra object whose id is `id`.
    fn resource(&self, id: &str) -> Option<&'a crate::input::extras::LocatedObject> {
        self.resources
            .get(id)
            .and_then(|&i| self.merged.resources.get(i))
    }

    /// The last patch that wrote the value at `path` of `object` (or something inside it, or
    /// removed it), with the position in its entry.
    fn patch(&self, object: &str, path: &[Seg]) -> Option<Located> {
        let obj = self.object(object)?;
        self.patch_keyed(object, &patches::keyed_path(obj, path))
    }

    /// [`Self::patch`] for a path with list items by merge key.
    fn patch_keyed(&self, object: &str, keyed: &[Seg]) -> Option<Located> {
        for a in self.applied.iter().rev().filter(|a| a.object == object) {
            let hit =
                a.located.iter().rev().find(|c| {
                    keyed.starts_with(&c.object_path) || c.object_path.starts_with(keyed)
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
        let r = self.resource(object)?;
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
        let r = self.resource(object)?;
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
    /// A cross-object finding whose own field no override wrote is located at the first of
    /// its causes one did (a patch first, then an extra object), the entry naming that
    /// object and field: the HPA a patch scaled past the quota, the CronJob it suspended.
    fn locate(&self, f: &Finding) -> Option<Located> {
        let blamed = |found: Option<Located>, (object, path): &(String, Vec<Seg>)| {
            found.map(|mut l| {
                l.entry = format!("{} on {object} {}", l.entry, PathDisplay(path));
                l
            })
        };
        self.patch(&f.object, &f.path)
            .or_else(|| self.extra(&f.object, &f.path))
            .or_else(|| (f.causes.iter()).find_map(|c| blamed(self.patch(&c.0, &c.1), c)))
            .or_else(|| (f.causes.iter()).find_map(|c| blamed(self.extra(&c.0, &c.1), c)))
            .or_else(|| self.typed(f.rule.id, &f.object, &f.path))
            .or_else(|| (f.causes.iter()).find_map(|c| self.typed(f.rule.id, &c.0, &c.1)))
    }

    /// The typed setting a rendered value comes from, where the user wrote it (a built-in
    /// default is nowhere to point at): the first row of [`TYPED`] for the finding's rule
    /// whose field holds `path` of `object`.
    fn typed(&self, rule: &str, object: &str, path: &[Seg]) -> Option<Located> {
        let obj = self.object(object)?;
        let keyed = PathDisplay(&patches::keyed_path(obj, path)).to_string();
        let names = crate::config::Names::of(&self.merged.config);
        TYPED
            .iter()
            .filter(|r| names.id(r.object) == object && r.rules.contains(&rule))
            .find_map(|r| {
                let setting = r.setting_for(&keyed)?;
                let s = self
                    .merged
                    .origin(&setting)
                    .filter(|s| s.source.origin != SourceOrigin::Default)?;
                Some(Located {
                    source: s.source.clone(),
                    pos: s.pos,
                    len: s.len,
                    entry: setting,
                })
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
    .help(f.rule.fix_for(&f.object));
    match at {
        Some(l) => d.path(l.entry.clone()).at(&l.source, l.pos, l.len.max(1)),
        None => d,
    }
}

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
    // A NodePort or LoadBalancer `agent-service` the user asked for (AGT140 stays on for any
    // other Service, and for a patch that exposes this one: see `intent`).
    ("AGT140", "agent.service.type", |c| {
        c.agent.service.service_type != crate::config::ServiceType::ClusterIP
    }),
];

impl Provenance for Known<'_> {
    fn scanned(&self, index: usize, object: &J) -> Option<Vec<crate::config::credentials::Hit>> {
        self.scanned?.hits(index, object).map(<[_]>::to_vec)
    }

    fn intent(&self, rule: &Rule, object: &str, at: &[Seg]) -> Option<String> {
        let own = exposure::intent(&self.merged.config, &self.objects, rule.id, object, at);
        let path = match &own {
            Some(p) => p.as_str(),
            None => {
                let (_, path, _) = INTENTS
                    .iter()
                    .find(|(id, _, off)| *id == rule.id && off(&self.merged.config))?;
                // The typed Service type speaks for `agent-service` only.
                let service = crate::config::Names::of(&self.merged.config).get("agent-service");
                if rule.id == "AGT140" && object != format!("Service/{service}") {
                    return None;
                }
                path
            }
        };
        let value = self
            .merged
            .origin(path)
            .map_or_else(|| "false".to_owned(), |s| compact(&s.value()));
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
/// finding nobody reviewed). Never inlined: `scripts/instructions.sh` counts the instructions
/// inside it by name (the lint stage's share of a render).
#[inline(never)]
pub fn lint(
    merged: &Merged,
    applied: &[Applied],
    scanned: &Scanned,
    files: &[(String, Vec<J>)],
) -> (Vec<Finding>, Vec<Diagnostic>, Vec<Diagnostic>) {
    let objects: Vec<&J> = files.iter().flat_map(|(_, o)| o).collect();
    let known = Known::new(merged, applied, &objects).scanned_by(scanned);
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

#[cfg(test)]
mod tests;
