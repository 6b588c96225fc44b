//! Typed settings a patch overrode: where a typed setting renders a value ([`TYPED`], the one
//! table of where settings land in the objects), the value before the patches, compared with
//! the final objects. A difference a patch made is an [`Override`]: `render` warns once per
//! setting, `explain` and `config --show-origin` say the final value comes from the patch, and
//! [`follow`] carries the patched value to the objects that must run the same thing (the
//! backup job runs the patched Redis image).

use serde_json::Value as J;

use crate::config::patches::{self, PathDisplay, Seg};
use crate::diag::Origin as SourceOrigin;
use crate::render::patches::Applied;
use crate::resolve::merge::{Merged, compact};

use super::{Known, TYPED};

/// A typed setting's rendered value that a patch changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The setting (`agent.image`, `agent.resources`, `agent.sidecars.otel.image`).
    pub setting: String,
    /// The setting to write instead of the patch: the setting, or the field inside a map
    /// setting (`agent.resources.limits.memory`).
    pub set: String,
    /// Whether [`Override::set`] is a setting (`false`: the patch writes a field no setting
    /// has, and the help says to keep the patch).
    pub set_exists: bool,
    /// Why the setting cannot hold the patched value (`agent.replicas.min` is at least 1, the
    /// patch writes 0): the help then keeps the patch instead of naming a value that is refused.
    pub refused: Option<String>,
    /// Where it is rendered: `Kind/name` and the path in the object.
    pub object: String,
    /// The path (`spec.template.spec.containers[name=agent].image`).
    pub path: String,
    /// The patch (`patches[0]`) and where it wrote the value (`file:line:col`).
    pub entry: String,
    /// Where the patch wrote the value.
    pub at: String,
    /// What the setting rendered there, before the patches (`null`: nothing, a field the
    /// patch added inside a map setting).
    pub typed: J,
    /// What the object holds after them (`None`: the patch removed it).
    pub now: Option<J>,
    /// Where the setting itself was written (`None`: its default).
    pub set_at: Option<String>,
}

impl Override {
    /// One value on one line: strings bare, anything else as flow YAML/JSON.
    fn shown(v: Option<&J>) -> String {
        match v {
            None => "nothing (removed)".to_owned(),
            Some(v) => compact(v),
        }
    }

    /// The final value, for people.
    pub fn now_text(&self) -> String {
        Self::shown(self.now.as_ref())
    }

    /// The typed value, for people.
    pub fn typed_text(&self) -> String {
        Self::shown(Some(&self.typed))
    }

    /// `render`'s warning (once per setting).
    pub fn warning(&self) -> String {
        let set = self
            .set_at
            .as_ref()
            .map_or_else(|| "its default".to_owned(), |s| format!("set at {s}"));
        let help = if let Some(why) = &self.refused {
            format!(
                "`{}` cannot be {}: {why}; the patch is the way to write it",
                self.set,
                self.now_text()
            )
        } else if self.set_exists {
            format!(
                "set `{}` instead of patching the field: explain, diff and what follows the setting then see the value",
                self.set
            )
        } else {
            format!(
                "no setting has `{}`: the patch is the way to write it (`{}` types the rest; `agentctl explain {}` lists its fields)",
                self.set, self.setting, self.setting
            )
        };
        format!(
            "warning: {} at {} overrides the setting `{}`: {} {} is {}, not {} (`{}`, {set})\n  = help: {help}\n",
            self.entry,
            self.at,
            self.setting,
            self.object,
            self.path,
            self.now_text(),
            self.typed_text(),
            if self.set_exists {
                &self.set
            } else {
                &self.setting
            },
        )
    }

    /// `explain`'s lines for the setting.
    pub fn explain(&self) -> String {
        let instead = if let Some(why) = &self.refused {
            format!(
                "`{}` cannot hold it ({why}): the patch is the way",
                self.set
            )
        } else if self.set_exists {
            format!("set `{}` instead of patching the field", self.set)
        } else {
            format!("no setting has `{}`: the patch is the way", self.set)
        };
        format!(
            "rendered: {} (from {} at {}, which overrides this setting)\n  {} {}: the setting alone renders {}; {instead}\n",
            self.now_text(),
            self.entry,
            self.at,
            self.object,
            self.path,
            self.typed_text(),
        )
    }

    /// `config --show-origin`'s note on the setting's line(s).
    pub fn origin_note(&self, leaf: bool) -> String {
        if leaf {
            format!(
                "overridden by {} at {}: renders {}",
                self.entry,
                self.at,
                self.now_text()
            )
        } else {
            format!(
                "overridden by {} at {} ({})",
                self.entry, self.at, self.setting
            )
        }
    }
}

/// A path of [`TYPED`] (`spec.template.spec.containers[name=agent].image`) as segments, list
/// items by merge key as [`patches::keyed_path`] writes them.
pub(super) fn segs(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        match part.split_once('[') {
            Some((name, item)) => {
                out.push(Seg::Key(name.into()));
                let item = item.trim_end_matches(']');
                match item.split_once('=') {
                    Some((key, value)) => out.push(Seg::item(key, value)),
                    None => out.push(Seg::Index(item.parse().unwrap_or(0))),
                }
            }
            None => out.push(Seg::Key(part.into())),
        }
    }
    out
}

/// The value at a keyed path of `obj`.
pub(super) fn value_at<'a>(obj: &'a J, path: &[Seg]) -> Option<&'a J> {
    let mut here = obj;
    for seg in path {
        here = match (seg, here) {
            (Seg::Key(k), J::Object(m)) => m.get(k.as_str())?,
            (Seg::Index(i), J::Array(a)) => a.get(*i)?,
            (Seg::Item(it), J::Array(a)) => {
                a.iter().find(|item| is_item(item, &it.key, &it.value))?
            }
            _ => return None,
        };
    }
    Some(here)
}

fn find<'a>(files: &'a [(String, Vec<J>)], id: &str) -> Option<&'a J> {
    files
        .iter()
        .flat_map(|(_, o)| o)
        .find(|o| patches::object_id(o) == id)
}

/// Rows of [`TYPED`] that locate findings but do not own their field: the alert groups hold
/// every alert setting, not only the runbook URL; the triggers are the trigger settings', not
/// `keda.enabled`'s.
const NOT_OWNED: &[&str] = &["monitoring.alerts.runbookBaseUrl", "keda.enabled"];

/// One field a typed setting rendered, before the patches: the object, the field (keyed), the
/// setting, the value; and the row's setting (`agent.sidecars.*.image`).
type Held = ((String, String, String, J), &'static str);

/// Before the patches: the value of every field [`TYPED`] says a setting rendered (a row's
/// `*` expanded to each item that setting has; one setting per field: the first the user
/// wrote, else the first).
#[derive(Debug, Clone, Default)]
pub struct Before(Vec<Held>);

/// Reads [`Before`] from the rendered objects (nothing when no layer has a patch).
pub fn before(merged: &Merged, files: &[(String, Vec<J>)]) -> Before {
    if merged.patches.is_empty() {
        return Before::default();
    }
    let written = |s: &str| {
        merged
            .origin(s)
            .is_some_and(|o| o.source.origin != SourceOrigin::Default)
    };
    let mut out: Vec<Held> = Vec::new();
    let names = crate::config::Names::of(&merged.config);
    for r in TYPED.iter().filter(|r| !NOT_OWNED.contains(&r.setting)) {
        let id = names.id(r.object);
        let Some(obj) = find(files, &id) else {
            continue;
        };
        let fields: Vec<(String, String)> = match r.field.split_once("[name=*]") {
            None => vec![(r.field.to_owned(), r.setting.to_owned())],
            Some((list, _)) => value_at(obj, &segs(list))
                .and_then(J::as_array)
                .into_iter()
                .flatten()
                .filter_map(|item| item.get("name").and_then(J::as_str))
                .map(|n| (r.field.replace('*', n), r.setting.replace('*', n)))
                // Only items the setting has (the agent's own container is no sidecar).
                .filter(|(_, setting)| merged.origin(setting).is_some())
                .collect(),
        };
        for (field, setting) in fields {
            let Some(v) = value_at(obj, &segs(&field)) else {
                continue;
            };
            match out
                .iter_mut()
                .find(|((o, f, ..), _)| *o == id && *f == field)
            {
                // A later row for the same field wins only when the user wrote it and the
                // earlier one is a default.
                Some(((_, _, s, _), row)) => {
                    if !written(s) && written(&setting) {
                        *s = setting;
                        *row = r.setting;
                    }
                }
                None => out.push(((id.clone(), field, setting, v.clone()), r.setting)),
            }
        }
    }
    Before(out)
}

/// The typed values the patches changed, each located at the patch that changed it; one per
/// row of [`TYPED`], in its order.
pub fn overrides(
    merged: &Merged,
    applied: &[Applied],
    before: &Before,
    files: &[(String, Vec<J>)],
) -> Vec<Override> {
    let objects: Vec<&J> = files.iter().flat_map(|(_, o)| o).collect();
    let known = Known::new(merged, applied, &objects);
    let mut out = Vec::new();
    for ((object, at, setting, was), _) in &before.0 {
        let row = segs(at);
        let path = row.clone();
        let now = find(files, object).and_then(|o| value_at(o, &path));
        if now == Some(was) {
            continue;
        }
        let set_at = merged
            .origin(setting)
            .filter(|s| s.source.origin != SourceOrigin::Default)
            .map(|s| s.source.locate(s.pos));
        // A map setting (resources, nodeSelector): each field the patches changed, said alone.
        let mut changed = Vec::new();
        leaves(&path, Some(was), now, &mut changed);
        for (path, was, now) in changed {
            let shown = PathDisplay(&path).to_string();
            // A field an earlier, narrower row already said (a sidecar's image, then the
            // sidecar's entry): said once.
            if out
                .iter()
                .any(|o: &Override| o.object == *object && o.path == shown)
            {
                continue;
            }
            let Some(l) = known.patch_keyed(object, &path) else {
                continue;
            };
            let mut set = (*setting).to_owned();
            let mut typed: Vec<&str> = setting.split('.').collect();
            for seg in &path[row.len()..] {
                if let Seg::Key(k) = seg {
                    set.push('.');
                    set.push_str(k);
                    typed.push(k);
                }
            }
            // A field no setting has (an extended resource such as `nvidia.com/gpu` under
            // `agent.resources.limits`): the patch stays the way, never a key that is refused.
            let schema = crate::config::schema::lookup(&typed).ok();
            let set_exists = schema.is_some();
            // Where the field's own setting was written (`agent.resources.limits.cpu`, its
            // default), not the map's: another field of the map may be the user's.
            let set_at = if set == *setting {
                set_at.clone()
            } else {
                merged.origin(&set).map_or_else(
                    || set_at.clone(),
                    |s| (s.source.origin != SourceOrigin::Default).then(|| s.source.locate(s.pos)),
                )
            };
            let refused = schema.zip(now).and_then(|(s, v)| refusal(s, v));
            out.push(Override {
                setting: setting.clone(),
                set,
                set_exists,
                refused,
                object: object.clone(),
                path: shown,
                entry: l.entry.clone(),
                at: l.source.locate(l.pos),
                typed: was.cloned().unwrap_or(J::Null),
                now: now.cloned(),
                set_at,
            });
        }
    }
    out
}

/// The places where `was` and `now` differ: below `path` key by key where both are maps, else
/// `path` itself.
fn leaves<'a>(
    path: &[Seg],
    was: Option<&'a J>,
    now: Option<&'a J>,
    out: &mut Vec<(Vec<Seg>, Option<&'a J>, Option<&'a J>)>,
) {
    if was == now {
        return;
    }
    if let (Some(J::Object(a)), Some(J::Object(b))) = (was, now) {
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for k in keys {
            let mut p = path.to_vec();
            p.push(Seg::Key(k.as_str().into()));
            leaves(&p, a.get(k), b.get(k), out);
        }
        return;
    }
    out.push((path.to_vec(), was, now));
}

/// Objects that must run what a typed setting's object runs, each with the path that follows
/// the setting: the backup job's container is the Redis image (its redis-cli and
/// redis-check-rdb must match the server).
const FOLLOWS: &[(&str, &str, &str)] = &[(
    "redis.image",
    "CronJob/redis-backup",
    "spec.jobTemplate.spec.template.spec.containers[name=backup].image",
)];

/// Carries each overridden value to the objects that follow its setting (`FOLLOWS`), where
/// they still hold the setting's own value (a patch of their own wins). Returns a note for
/// each.
pub fn follow(
    names: &crate::config::Names,
    overrides: &[Override],
    files: &mut [(String, Vec<J>)],
) -> Vec<String> {
    let mut notes = Vec::new();
    for (setting, object, at) in FOLLOWS {
        let object = &names.id(object);
        let Some(o) = overrides.iter().find(|o| o.setting == *setting) else {
            continue;
        };
        let Some(now) = &o.now else { continue };
        let path = segs(at);
        let Some(obj) = files
            .iter_mut()
            .flat_map(|(_, objs)| objs.iter_mut())
            .find(|x| patches::object_id(x) == *object)
        else {
            continue;
        };
        let Some(slot) = value_at_mut(obj, &path) else {
            continue;
        };
        if *slot != o.typed {
            continue;
        }
        *slot = now.clone();
        notes.push(format!(
            "{object} follows {} at {}: {} is {} as in {} (it runs what `{setting}` runs)",
            o.entry,
            o.at,
            PathDisplay(&path),
            o.now_text(),
            o.object,
        ));
    }
    notes
}

/// Whether a list item is the one whose merge key `key` is `value` (as [`Seg::Item`] writes it:
/// a name, or a number such as a port).
fn is_item(item: &J, key: &str, value: &str) -> bool {
    match item.get(key) {
        Some(J::String(s)) => s == value,
        Some(J::Number(n)) => n.as_i64().is_some() && n.as_i64() == value.parse::<i64>().ok(),
        _ => false,
    }
}

fn value_at_mut<'a>(obj: &'a mut J, path: &[Seg]) -> Option<&'a mut J> {
    let mut here = obj;
    for seg in path {
        here = match (seg, here) {
            (Seg::Key(k), J::Object(m)) => m.get_mut(k.as_str())?,
            (Seg::Index(i), J::Array(a)) => a.get_mut(*i)?,
            (Seg::Item(it), J::Array(a)) => a
                .iter_mut()
                .find(|item| is_item(item, &it.key, &it.value))?,
            _ => return None,
        };
    }
    Some(here)
}

/// Why a setting whose JSON Schema is `schema` refuses `value`, by the bounds and choices the
/// schema states (`minimum`, `maximum`, `enum`); `None` when it says nothing against it. The
/// cross-field rules are not replayed: this keeps the help from naming a value the schema
/// check refuses outright (a patched `replicas: 0` against `agent.replicas.min`, at least 1).
fn refusal(schema: &J, value: &J) -> Option<String> {
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(J::as_f64)
            && n < min
        {
            return Some(format!("it is at least {}", compact(&schema["minimum"])));
        }
        if let Some(max) = schema.get("maximum").and_then(J::as_f64)
            && n > max
        {
            return Some(format!("it is at most {}", compact(&schema["maximum"])));
        }
    }
    if let Some(choices) = schema.get("enum").and_then(J::as_array)
        && !choices.contains(value)
    {
        let listed: Vec<String> = choices.iter().map(compact).collect();
        return Some(format!("it is one of {}", listed.join(", ")));
    }
    None
}
