//! One side of a comparison built as `kubectl apply -k` builds a directory agentctl wrote, so
//! the impact is about what was (or will be) applied, not only about the files: for each
//! `kustomization.yaml`, exactly the files its `resources` lists (a generated file beside it
//! that it does not list is not applied, so not compared; an entry that is no compared file is
//! noted by `foreign_entries`), then, in kustomize's order, its `patches` (strategic merge and
//! JSON 6902, kustomize's targets, through `config::patches`; a root `$patch: delete` deletes
//! the object, as kustomize does), its `namespace` (`namespace`: every namespaced object moved,
//! the Namespace renamed, the references kustomize rewrites), its `labels` (agentctl writes
//! them), and the ServiceAccount subjects kustomize's name references point at their account.
//! What agentctl cannot reproduce (a patch file not among the compared files, a target name
//! kustomize would read as a regular expression, `options`, a selector or template label, a
//! patch that fails, a build kustomize refuses) is a "not analyzed" line, never guessed; so are
//! the other fields (`images`, generators, `components`, `namePrefix`, ...: see
//! `foreign_entries`).

use serde_json::Value as J;

use crate::config::patches;

mod namespace;
mod refused;

pub use refused::{is_kustomization, refused};

/// The objects `kubectl apply -k` applies from `files` (name, documents), with a line in
/// `notes` for each part of a `kustomization.yaml` agentctl cannot reproduce. Files in a
/// directory without a `kustomization.yaml`, and listed by none, are taken as they are.
pub fn build(files: Vec<(String, Vec<J>)>, notes: &mut Vec<String>) -> Vec<J> {
    let kustomizations: Vec<(String, String, J)> = files
        .iter()
        .filter_map(|(name, docs)| {
            let k = docs.iter().find(|d| d["kind"] == "Kustomization")?;
            Some((dir_of(name).to_owned(), name.clone(), k.clone()))
        })
        .collect();
    // Every file some kustomization lists, by its path among `files`.
    let listed: Vec<Vec<String>> = kustomizations
        .iter()
        .map(|(dir, _, k)| {
            k["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| resolve(dir, r.as_str()?))
                .collect()
        })
        .collect();
    // A file's documents are moved into the build at their last use, not copied (a side is up
    // to `output::MAX_READ_DIR_BYTES` of text), unless a patch may read a file by its `path`.
    let mut files = files;
    let movable = !kustomizations.iter().any(|(_, _, k)| {
        k["patches"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e.get("path").is_some())
    });
    let mut out = Vec::new();
    for (name, docs) in &mut files {
        if !kustomizations.iter().any(|(d, _, _)| d == dir_of(name))
            && !listed.iter().flatten().any(|l| l == name)
        {
            if movable {
                out.append(docs);
            } else {
                out.extend(docs.iter().cloned());
            }
        }
    }
    for (ki, ((dir, kname, k), listed_here)) in kustomizations.iter().zip(&listed).enumerate() {
        let path = |entry: &str| resolve(dir, entry).unwrap_or_else(|| entry.to_owned());
        // The files it lists, in file order (the report's order); one listed twice makes
        // kustomize refuse the build.
        let mut objects: Vec<J> = Vec::new();
        for (name, docs) in &mut files {
            if name != kname && listed_here.contains(name) {
                let last = movable && !listed.iter().skip(ki + 1).any(|l| l.contains(name));
                let not_kustomization = |d: &J| d["kind"] != "Kustomization";
                if last {
                    objects.extend(std::mem::take(docs).into_iter().filter(not_kustomization));
                } else {
                    objects.extend(docs.iter().filter(|d| not_kustomization(d)).cloned());
                }
            }
        }
        let listed = listed_here;
        for (i, l) in listed.iter().enumerate() {
            if listed[..i].contains(l) {
                notes.push(format!(
                    "{kname}: resources lists `{l}` twice: kustomize refuses the build, so it is not analyzed"
                ));
            }
        }
        for (i, entry) in k["patches"].as_array().into_iter().flatten().enumerate() {
            if let Err(why) = patch(&mut objects, entry, &files, &path) {
                notes.push(format!(
                    "{kname}: patches[{i}]: {why}, so it is not analyzed"
                ));
            }
        }
        let before = namespace::original(&objects);
        match k.get("namespace") {
            None | Some(J::Null) => {}
            Some(J::String(ns)) if !ns.is_empty() => namespace::set(&mut objects, ns),
            Some(_) => notes.push(format!(
                "{kname}: `namespace` is not a namespace name, so it is not analyzed"
            )),
        }
        for (i, entry) in k["labels"].as_array().into_iter().flatten().enumerate() {
            // Anything but `false` or nothing: kubectl's YAML 1.1 reader takes `yes`, `on`, ...
            // for `true`, which agentctl's reader keeps as text.
            let set =
                |field: &str| !matches!(entry.get(field), None | Some(J::Null | J::Bool(false)));
            if set("includeSelectors") || set("includeTemplates") || entry.get("fields").is_some() {
                notes.push(format!(
                    "{kname}: labels[{i}] sets selector, template or other fields' labels, which agentctl does not write, so it is not analyzed"
                ));
                continue;
            }
            for o in &mut objects {
                let Some(meta) = o.get_mut("metadata").and_then(J::as_object_mut) else {
                    continue;
                };
                let labels = meta
                    .entry("labels")
                    .or_insert_with(|| J::Object(serde_json::Map::new()));
                if let (Some(labels), Some(pairs)) =
                    (labels.as_object_mut(), entry["pairs"].as_object())
                {
                    for (key, value) in pairs {
                        labels.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        if let Err(why) = namespace::subjects_follow_accounts(&mut objects, &before) {
            notes.push(format!("{kname}: {why}, so it is not analyzed"));
        }
        if let Some(twice) = namespace::duplicate(&objects) {
            notes.push(format!(
                "{kname}: the build holds {twice} twice: kustomize refuses it, so it is not analyzed"
            ));
        }
        out.push(k.clone());
        out.extend(objects);
    }
    out
}

/// The directory of a file's name (`""` at the root).
fn dir_of(name: &str) -> &str {
    name.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The name among the compared files of a `resources` entry of the kustomization in `dir`,
/// read as kustomize reads a path (`./a.yaml` and `b/../a.yaml` are `a.yaml`), or `None` for one
/// that is no file below the kustomization's directory (a URL, an absolute path, a `..` that
/// leaves it: kustomize's root-only loader refuses it, or it is not agentctl's).
pub fn resolve(dir: &str, entry: &str) -> Option<String> {
    if entry.is_empty() || entry.starts_with('/') || entry.contains("://") {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in entry.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return None;
    }
    let rel = parts.join("/");
    Some(if dir.is_empty() {
        rel
    } else {
        format!("{dir}/{rel}")
    })
}

/// Applies one `patches:` entry of a committed `kustomization.yaml` to `objects`; `Err`: why
/// agentctl cannot reproduce what kustomize does with it.
fn patch(
    objects: &mut Vec<J>,
    entry: &J,
    files: &[(String, Vec<J>)],
    path: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let Some(m) = entry.as_object() else {
        return Err("not a map".into());
    };
    if let Some(extra) = m
        .keys()
        .find(|k| !["patch", "path", "target"].contains(&k.as_str()))
    {
        return Err(format!(
            "`{}` is not reproduced",
            crate::term::one_line(extra)
        ));
    }
    let body: J = match (
        m.get("patch").and_then(J::as_str),
        m.get("path").and_then(J::as_str),
    ) {
        (Some(text), None) => {
            let mut docs = crate::input::yaml::read_manifests(text).map_err(|e| {
                format!(
                    "the patch is not read as kustomize reads it ({})",
                    e.message
                )
            })?;
            if docs.len() != 1 {
                return Err("the patch is not one document".into());
            }
            docs.remove(0)
        }
        (None, Some(file)) => {
            let name = path(file);
            let (_, docs) = files.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                format!(
                    "its file `{}` is not among the compared files",
                    crate::term::one_line(file)
                )
            })?;
            match docs.as_slice() {
                [one] => one.clone(),
                _ => {
                    return Err(format!(
                        "its file `{}` is not one document",
                        crate::term::one_line(file)
                    ));
                }
            }
        }
        _ => return Err("it needs exactly one of `patch` and `path`".into()),
    };
    // kustomize reads a target's group, version, kind, name and namespace as anchored regular
    // expressions; agentctl matches them literally, so a pattern is not analyzed. A group's
    // dots are the one metacharacter a literal has (`networking.k8s.io`): a pattern only when
    // a dot would let it match another group of the objects (`app.` matches `apps`).
    let regex = |v: Option<&J>, dots: bool| {
        v.and_then(J::as_str).is_some_and(|s| {
            s.contains(|c: char| "^$*+?()[]{}|\\".contains(c) || (c == '.' && !dots))
        })
    };
    let target = m.get("target");
    let wider_group = |t: &J| {
        let Some(g) = t
            .get("group")
            .and_then(J::as_str)
            .filter(|g| g.contains('.'))
        else {
            return false;
        };
        objects.iter().any(|o| {
            let api = o.get("apiVersion").and_then(J::as_str).unwrap_or_default();
            let group = api.rsplit_once('/').map_or("", |(g, _)| g);
            group != g
                && group.len() == g.len()
                && group
                    .bytes()
                    .zip(g.bytes())
                    .all(|(a, b)| a == b || b == b'.')
        })
    };
    if target.is_some_and(|t| {
        regex(t.get("name"), false)
            || regex(t.get("namespace"), false)
            || regex(t.get("kind"), false)
            || regex(t.get("version"), false)
            || regex(t.get("group"), true)
            || wider_group(t)
            || t.get("annotationSelector").is_some()
    }) {
        return Err("its target is a pattern or an annotation selector".into());
    }
    let delete = body.get("$patch").and_then(J::as_str) == Some("delete");
    let mut parsed_entry = serde_json::Map::new();
    if let Some(t) = target {
        parsed_entry.insert("target".into(), t.clone());
    }
    let mut probe = body.clone();
    if delete && let Some(b) = probe.as_object_mut() {
        b.remove("$patch");
    }
    parsed_entry.insert("patch".into(), probe);
    let parsed = patches::parse(&J::Object(parsed_entry)).map_err(|e| e.message)?;
    let selected = patches::select(&parsed.target, objects.iter());
    if delete {
        let mut i = 0;
        objects.retain(|_| {
            i += 1;
            !selected.contains(&(i - 1))
        });
        return Ok(());
    }
    let parsed = patches::parse(&J::Object(
        [("patch".to_owned(), body)]
            .into_iter()
            .chain(target.map(|t| ("target".to_owned(), t.clone())))
            .collect(),
    ))
    .map_err(|e| e.message)?;
    for i in selected {
        if let Some(o) = objects.get_mut(i) {
            if let patches::Body::Strategic(body) = &parsed.body
                && let Some(why) = port_protocols(o, body)
            {
                return Err(why);
            }
            patches::apply(o, &parsed).map_err(|e| e.message)?;
        }
    }
    Ok(())
}

/// kustomize merges container ports by `containerPort` and `protocol`, and Service ports by
/// `port` and `protocol` (the lists' map keys): a patch item with an object item's port but
/// not its protocol (written on one side only, or another) is not merged as a Kubernetes
/// strategic merge would (kubectl 1.32 drops it). Such a patch is not reproduced.
fn port_protocols(object: &J, body: &J) -> Option<String> {
    let api = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let at = |v: &J, path: &[&str]| path.iter().try_fold(v, |v, k| v.get(*k)).cloned();
    let clash = |old: &J, new: &J, key: &str| {
        let items = |l: &J| l.as_array().cloned().unwrap_or_default();
        items(new).iter().find_map(|p| {
            let port = p.get(key)?;
            let o = items(old).into_iter().find(|o| o.get(key) == Some(port))?;
            (o.get("protocol") != p.get("protocol")).then(|| {
                format!(
                    "a patch port `{key}: {port}` without the protocol the object's port has: kustomize merges ports by `{key}` and `protocol`, not as Kubernetes does"
                )
            })
        })
    };
    if api == "v1" && kind == "Service" {
        return clash(
            &at(object, &["spec", "ports"])?,
            &at(body, &["spec", "ports"])?,
            "port",
        );
    }
    let spec = crate::k8s::object::pod_spec_path(api, kind)?;
    let (old_spec, new_spec) = (at(object, spec)?, at(body, spec)?);
    ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .find_map(|list| {
            new_spec[*list].as_array()?.iter().find_map(|c| {
                let old = old_spec[*list]
                    .as_array()?
                    .iter()
                    .find(|o| o.get("name").is_some() && o.get("name") == c.get("name"))?;
                clash(&old["ports"], &c["ports"], "containerPort")
            })
        })
}

#[cfg(test)]
mod tests;
