//! The container names the render and the tools around it depend on, kept through the
//! patches: the agent container `agent` of `agent-deployment` (the typed settings render into
//! it by name, the dashboard's CPU and memory panels and `doctor` find the agent by it), the
//! `redis` container of the Redis StatefulSet (the dashboard charts it, `doctor` reads it) and the `backup` container of the backup CronJob. A patch that
//! renames or removes one is refused at the patch's line (objects in, diagnostics out, pure):
//! what depends on the name would silently stop working.

use serde_json::Value as J;

use crate::config::patches::{self, Seg};
use crate::diag::Diagnostic;
use crate::k8s::object;
use crate::render::patches::Applied;
use crate::render::provenance::Known;
use crate::resolve::merge::Merged;

/// `(kind, built-in name, container, what depends on its name)`; the object's name is the
/// deployment's ([`crate::config::Names`]: `instance`'s prefix when set).
const KEPT: &[(&str, &str, &str, &str)] = &[
    (
        "Deployment",
        "agent-deployment",
        "agent",
        "the typed `agent.*` settings are rendered into it by name (and a later patch by `name: agent` would add a second container), the dashboard's CPU and memory panels select `container=\"agent\"`, and `doctor` finds the agent's restarts and OOM kills by it",
    ),
    (
        "StatefulSet",
        "redis",
        "redis",
        "the typed `redis.*` settings are rendered into it by name, the dashboard's Redis panels select `container=\"redis\"`, and `doctor` names `redis.resources` for its OOM kills by it",
    ),
    (
        "CronJob",
        "redis-backup",
        "backup",
        "the typed `backup.*` settings are rendered into it by name, it follows a patched Redis image by that name, and `doctor` names `backup.resources` for its OOM kills by it",
    ),
];

/// Every kept container a patch renamed or removed, located at the patch.
pub fn check(merged: &Merged, applied: &[Applied], files: &[(String, Vec<J>)]) -> Vec<Diagnostic> {
    if applied.is_empty() {
        return Vec::new();
    }
    let objects: Vec<&J> = files.iter().flat_map(|(_, o)| o).collect();
    let known = Known::new(merged, applied, &objects);
    let mut out = Vec::new();
    let names = crate::config::Names::of(&merged.config);
    for (kind, base, name, depends) in KEPT {
        let id = &format!("{kind}/{}", names.get(base));
        let Some(obj) = objects.iter().find(|o| patches::object_id(o) == *id) else {
            continue;
        };
        let Some(spec) = object::pod_template_pointer(object::api_version(obj), object::kind(obj))
            .map(|t| format!("{t}/spec"))
        else {
            continue;
        };
        let containers: Vec<&str> = obj
            .pointer(&format!("{spec}/containers"))
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(J::as_str))
            .collect();
        if containers.contains(name) {
            continue;
        }
        let mut list: Vec<Seg> = spec
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| Seg::Key(s.into()))
            .collect();
        list.push(Seg::Key("containers".into()));
        // Where the patch wrote: the first container's name (ours is rendered first), the
        // container, the list.
        let first = [list.clone(), vec![Seg::Index(0)]].concat();
        let site = known
            .site(id, &[first.clone(), vec![Seg::Key("name".into())]].concat())
            .or_else(|| known.site(id, &first))
            .or_else(|| known.site(id, &list));
        let what = if containers.is_empty() {
            format!("removes the container `{name}` of {id} (it has no container now)")
        } else {
            format!(
                "renames or removes the container `{name}` of {id} (its containers are now {})",
                containers
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        // The entry (`patches[0]`) is the diagnostic's path, said before the message.
        let mut d = Diagnostic::new(match &site {
            Some(_) => format!("this patch {what}"),
            None => format!("a patch {what}"),
        })
        .note(format!("what depends on the name `{name}`: {depends}"))
        .help(format!(
            "keep the name `{name}`: patch the container's fields by name (`containers: [{{name: {name}, ...}}]`), or use the typed settings; add another container as a sidecar (`agent.sidecars`) instead of replacing it"
        ));
        if let Some((source, pos, len, entry)) = site {
            d = d
                .path(entry)
                .at(&source, pos, len.max(1))
                .label("renames the container");
        }
        out.push(d);
    }
    out
}
