//! What `kubectl kustomize` refuses in a committed kustomization file (`kustomization.yaml`,
//! `kustomization.yml`, `Kustomization`) of one side of `diff --base`/`--base-dir`, so that
//! side is a located error (exit 2), never built as if kubectl would apply it. Each rule is
//! kustomize's own, checked against `kubectl kustomize` 1.32: only the first YAML document is
//! read, and one without a field set (`{}`, `kind: Kustomization` alone, comments) "is empty";
//! the document must be a map whose fields are Kustomization's (matched as Go's JSON decoder
//! matches them, without regard to case), each of its type; `kind` is `Kustomization` or
//! `Component` and `apiVersion` the one of that kind; every `resources` entry is a non-empty
//! string, does not name the kustomization's own directory or file, stays in or below its
//! directory (kustomize's root-only loader), names a directory only if that holds a
//! kustomization, and no file is listed twice. What cannot be decided from the side's files
//! (an absolute path, a URL, a path that leaves the side, a file not among them) stays a
//! *not analyzed* line (`foreign_entries`).

use serde_json::Value as J;

use crate::input::yaml::{self, Node, Pos, SyntaxError, SyntaxKind, Value};

/// The names kustomize reads a directory's kustomization from.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Whether `name` (a side's file, `/`-separated) is a kustomization file.
pub fn is_kustomization(name: &str) -> bool {
    FILE_NAMES.contains(&name.rsplit('/').next().unwrap_or(name))
}

/// The type of a Kustomization field, as Go's JSON decoder takes it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// A string.
    Str,
    /// A list of strings.
    Strs,
    /// A list of objects.
    Objects,
    /// A map of strings.
    StrMap,
    /// An object.
    Object,
}

/// Kustomization's fields (kustomize's `types.Kustomization`) and their types.
const FIELDS: &[(&str, Ty)] = &[
    ("apiVersion", Ty::Str),
    ("kind", Ty::Str),
    ("metadata", Ty::Object),
    ("openapi", Ty::StrMap),
    ("namePrefix", Ty::Str),
    ("nameSuffix", Ty::Str),
    ("namespace", Ty::Str),
    ("commonLabels", Ty::StrMap),
    ("labels", Ty::Objects),
    ("commonAnnotations", Ty::StrMap),
    ("patchesStrategicMerge", Ty::Strs),
    ("patchesJson6902", Ty::Objects),
    ("patches", Ty::Objects),
    ("images", Ty::Objects),
    ("imageTags", Ty::Objects),
    ("replacements", Ty::Objects),
    ("replicas", Ty::Objects),
    ("vars", Ty::Objects),
    ("sortOptions", Ty::Object),
    ("resources", Ty::Strs),
    ("components", Ty::Strs),
    ("crds", Ty::Strs),
    ("bases", Ty::Strs),
    ("configMapGenerator", Ty::Objects),
    ("secretGenerator", Ty::Objects),
    ("helmGlobals", Ty::Object),
    ("helmCharts", Ty::Objects),
    ("helmChartInflationGenerator", Ty::Objects),
    ("generatorOptions", Ty::Object),
    ("configurations", Ty::Strs),
    ("generators", Ty::Strs),
    ("transformers", Ty::Strs),
    ("validators", Ty::Strs),
    ("inventory", Ty::Object),
    ("buildMetadata", Ty::Strs),
];

const HINT: &str = "`kubectl apply -k` refuses this directory: fix the kustomization (or run `agentctl render` again to write it afresh)";

fn refusal(message: String, pos: Pos) -> SyntaxError {
    SyntaxError {
        message,
        pos,
        len: 1,
        hint: Some(HINT.to_owned()),
        related: None,
        kind: SyntaxKind::Other,
    }
}

/// Where the first YAML document of `text` ends (byte offset) and starts (its position): a
/// leading `---` with nothing but comments before it opens the first document, the next
/// `---` or `...` line ends it.
fn first_document(text: &str) -> (usize, Pos) {
    let mut offset = 0;
    let (mut content, mut opened) = (false, false);
    let mut start = Pos { line: 1, col: 1 };
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let marker = bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t");
        if marker || bare == "..." {
            if content || opened || bare == "..." {
                return (offset, start);
            }
            opened = true;
            content = bare.len() > 3 && !bare[3..].trim_start().starts_with('#');
            start = Pos {
                line: i + 1,
                col: 1,
            };
        } else if !content {
            let t = bare.trim_start();
            if !t.is_empty() && !t.starts_with('#') && !t.starts_with('%') {
                content = true;
                start = Pos {
                    line: i + 1,
                    col: 1,
                };
            }
        }
        offset += line.len();
    }
    (text.len(), start)
}

/// Why `kubectl kustomize` refuses the kustomization file `name` (its text) of a side whose
/// files are `files` (name, documents; `tree`: every file of the side, other directories'
/// too), or `None`.
pub fn refused(
    name: &str,
    text: &str,
    files: &[(String, Vec<J>)],
    tree: &[&str],
) -> Option<SyntaxError> {
    let (end, start) = first_document(text);
    let first = &text[..end];
    let docs = yaml::read_manifests(first).ok()?;
    let shown = name.rsplit('/').next().unwrap_or(name);
    let empty = || {
        refusal(
            format!(
                "{shown} is empty: it sets no field (kustomize reads its first document only), and `kubectl kustomize` refuses it"
            ),
            start,
        )
    };
    let doc = match docs.first() {
        None | Some(J::Null) => return Some(empty()),
        Some(J::Object(m)) => m,
        Some(other) => {
            return Some(refusal(
                format!(
                    "{shown} is {}, not a map of Kustomization fields: `kubectl kustomize` refuses it",
                    match other {
                        J::Array(_) => "a list",
                        J::String(_) => "a string",
                        _ => "a scalar",
                    }
                ),
                start,
            ));
        }
    };
    // Positions from the located tree where agentctl's reader takes the text; else the start.
    let located = yaml::parse_layer(first).ok();
    let at = |key: &str, item: Option<usize>| -> Pos {
        let Some(Node {
            value: Value::Map(entries),
            ..
        }) = &located
        else {
            return start;
        };
        let Some((k, v)) = entries.iter().find(|(k, _)| k.name == key) else {
            return start;
        };
        match (item, &v.value) {
            (Some(i), Value::Seq(items)) => items.get(i).map_or(k.pos, |n| n.pos),
            _ => k.pos,
        }
    };
    let mut set = false;
    for (key, value) in doc {
        let Some((field, ty)) = FIELDS
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(key))
            .copied()
        else {
            return Some(refusal(
                format!(
                    "unknown field `{}` in {shown}: `kubectl kustomize` refuses a field Kustomization does not have",
                    crate::term::one_line(key)
                ),
                at(key, None),
            ));
        };
        let fits = match (ty, value) {
            (_, J::Null) => true,
            (Ty::Str, J::String(_)) => true,
            (Ty::Strs, J::Array(items)) => items.iter().all(|i| i.is_string() || i.is_null()),
            (Ty::Objects, J::Array(items)) => items.iter().all(|i| i.is_object() || i.is_null()),
            (Ty::StrMap, J::Object(m)) => m.values().all(|v| v.is_string() || v.is_null()),
            (Ty::Object, J::Object(_)) => true,
            _ => false,
        };
        if !fits {
            let what = match ty {
                Ty::Str => "a string",
                Ty::Strs => "a list of strings",
                Ty::Objects => "a list of maps",
                Ty::StrMap => "a map of strings",
                Ty::Object => "a map",
            };
            return Some(refusal(
                format!("`{field}` of {shown} is not {what}: `kubectl kustomize` refuses it"),
                at(key, None),
            ));
        }
        if !matches!(field, "apiVersion" | "kind") {
            set |= match value {
                J::Null => false,
                J::String(s) => !s.is_empty(),
                _ => true,
            };
        }
    }
    if !set {
        return Some(empty());
    }
    let text_of = |field: &str| -> &str {
        doc.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let kind = text_of("kind");
    if !matches!(kind, "" | "Kustomization" | "Component") {
        return Some(refusal(
            format!(
                "`kind` of {shown} is `{}`: kustomize reads only a Kustomization or a Component",
                crate::term::one_line(kind)
            ),
            at("kind", None),
        ));
    }
    let want = if kind == "Component" {
        "kustomize.config.k8s.io/v1alpha1"
    } else {
        "kustomize.config.k8s.io/v1beta1"
    };
    let api = text_of("apiVersion");
    if !api.is_empty() && api != want {
        return Some(refusal(
            format!(
                "`apiVersion` of {shown} is `{}`: kustomize reads a {} only as `{want}`",
                crate::term::one_line(api),
                if kind.is_empty() {
                    "Kustomization"
                } else {
                    kind
                }
            ),
            at("apiVersion", None),
        ));
    }
    if let Some(e) = typed_as_yaml11(first, shown) {
        return Some(e);
    }
    patches(name, doc, files, &at).or_else(|| resources(name, doc, files, tree, &at))
}

/// Whether a Kustomization field at `path` holds a string (a map of strings' values, a list
/// of strings' items, the string fields of `labels`, `patches`, `images` and `metadata`).
fn string_at(path: &[yaml::PathSeg]) -> bool {
    use yaml::PathSeg::{Index, Key};
    let field = |k: &str| {
        FIELDS
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(k))
            .map(|(_, ty)| *ty)
    };
    match path {
        [Key(k)] => field(k) == Some(Ty::Str),
        [Key(k), _] => matches!(field(k), Some(Ty::StrMap | Ty::Strs)),
        [Key(k), Index(_), Key(f), ..] => match (field(k), k.to_ascii_lowercase().as_str()) {
            (Some(Ty::Objects), "labels") => f == "pairs" && path.len() == 4,
            (Some(Ty::Objects), "patches" | "patchesjson6902") => {
                (path.len() == 3 && (f == "path" || f == "patch"))
                    || (path.len() == 4 && f == "target")
            }
            (Some(Ty::Objects), "images") => {
                path.len() == 3 && ["name", "newName", "newTag", "digest"].contains(&f.as_str())
            }
            _ => false,
        },
        [Key(k), Key(f), ..] if k.eq_ignore_ascii_case("metadata") => {
            matches!(
                (f.as_str(), path.len()),
                ("name" | "namespace", 2) | ("labels" | "annotations", 3)
            )
        }
        _ => false,
    }
}

/// kubectl reads a kustomization file with YAML 1.1 (`sigs.k8s.io/yaml`), then Go's JSON
/// decoder: a plain `yes`, `on`, `010` or `1.0` where Kustomization wants a string is a bool
/// or a number to it, and it refuses the file. agentctl's YAML 1.2 reader would take the text.
fn typed_as_yaml11(first: &str, shown: &str) -> Option<SyntaxError> {
    for (path, value, pos) in yaml::plain_values(first).ok()? {
        if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL") || !string_at(&path) {
            continue;
        }
        let b = value.as_bytes();
        let date = b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
        let what = if yaml::YAML11_BOOLS.contains(&value.as_str()) {
            "a boolean"
        } else if yaml::yaml11_retypes(&value) && !date {
            "a number"
        } else {
            continue;
        };
        let at = path
            .iter()
            .map(|p| match p {
                yaml::PathSeg::Key(k) => crate::term::one_line(k).into_owned(),
                yaml::PathSeg::Index(i) => format!("[{i}]"),
            })
            .collect::<Vec<_>>()
            .join(".")
            .replace(".[", "[");
        return Some(SyntaxError {
            len: value.chars().count().max(1),
            hint: Some(format!(
                "quote it (`\"{}\"`) if it is meant as text",
                crate::term::one_line(&value)
            )),
            ..refusal(
                format!(
                    "`{at}` of {shown} is `{}`, which kubectl's YAML 1.1 reader takes for {what}, not the string Kustomization wants: `kubectl kustomize` refuses it",
                    crate::term::one_line(&value)
                ),
                pos,
            )
        });
    }
    None
}

/// The `patches` rules of [`refused`]: what kustomize refuses in an entry it reads itself
/// (checked against `kubectl kustomize` 1.32): an empty patch (nothing, `null`, `[]`,
/// comments); a map without `kind` or `metadata.name` (kustomize reads a strategic merge only
/// as an object; without a kind it tries JSON 6902 and fails); a JSON 6902 list, or an empty
/// patch file, without `target`; a strategic merge without `target` that no object of the
/// build has the exact identity of (`apiVersion`, `kind`, `metadata.name`, and namespace:
/// none matches none, `default` matches none).
fn patches(
    name: &str,
    doc: &serde_json::Map<String, J>,
    files: &[(String, Vec<J>)],
    at: &dyn Fn(&str, Option<usize>) -> Pos,
) -> Option<SyntaxError> {
    let shown = name.rsplit('/').next().unwrap_or(name);
    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
    let entries = doc.get("patches").and_then(J::as_array)?;
    // The objects of the build, when every `resources` entry is a file among the compared
    // ones (else which objects there are is not known here, and no match is refused).
    let mut objects: Option<Vec<&J>> = Some(Vec::new());
    for r in doc
        .get("resources")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let found = super::resolve(dir, r.as_str().unwrap_or_default())
            .and_then(|path| files.iter().find(|(n, _)| *n == path));
        match (found, objects.as_mut()) {
            (Some((_, docs)), Some(list)) => {
                list.extend(
                    docs.iter()
                        .filter(|d| d.is_object() && d["kind"] != "Kustomization"),
                );
            }
            _ => objects = None,
        }
    }
    for (i, entry) in entries.iter().enumerate() {
        let Some(m) = entry.as_object() else {
            continue;
        };
        let target = m.get("target").is_some_and(|t| !t.is_null());
        let (docs, inline) = match (
            m.get("patch").and_then(J::as_str),
            m.get("path").and_then(J::as_str),
        ) {
            (Some(text), None) => match yaml::read_manifests(text) {
                Ok(docs) => (docs, true),
                Err(_) => continue,
            },
            (None, Some(file)) => match super::resolve(dir, file)
                .and_then(|path| files.iter().find(|(n, _)| *n == path))
            {
                Some((_, docs)) => (docs.clone(), false),
                None => continue,
            },
            _ => continue,
        };
        let refuse = |why: String| {
            Some(refusal(
                format!("patches[{i}] of {shown} {why}: `kubectl kustomize` refuses it"),
                at("patches", Some(i)),
            ))
        };
        let body = docs.iter().find(|d| !d.is_null());
        match body {
            None if inline || !target => {
                return refuse(if inline {
                    "is empty".into()
                } else {
                    "names an empty file and has no `target` (kustomize then reads it as a JSON 6902 patch, which needs one)".into()
                });
            }
            Some(J::Array(ops)) if ops.is_empty() => {
                return refuse("is an empty JSON 6902 patch".into());
            }
            Some(J::Array(_)) if !target => {
                return refuse("is a JSON 6902 patch without `target`".into());
            }
            Some(J::Object(b)) => {
                let text = |v: Option<&J>| v.and_then(J::as_str).map(str::to_owned);
                let kind = text(b.get("kind"));
                let meta = b.get("metadata");
                let pname = text(meta.and_then(|m| m.get("name")));
                if kind.is_none() {
                    return refuse("is a map without `kind`: kustomize reads a strategic-merge patch only as an object (`apiVersion`, `kind`, `metadata.name`), and tries it as a JSON 6902 patch".into());
                }
                if pname.is_none() {
                    return refuse("is a strategic-merge patch without `metadata.name`".into());
                }
                if !target && let Some(objects) = &objects {
                    let pns = text(meta.and_then(|m| m.get("namespace")));
                    let ns_of =
                        |n: Option<String>| n.filter(|n| n != "default").unwrap_or_default();
                    let found = objects.iter().any(|o| {
                        o.get("apiVersion") == b.get("apiVersion")
                            && text(o.get("kind")) == kind
                            && text(o["metadata"].get("name")) == pname
                            && ns_of(text(o["metadata"].get("namespace"))) == ns_of(pns.clone())
                    });
                    if !found {
                        let ns = pns.as_deref().map_or(String::new(), |n| format!("{n}/"));
                        let mut refused = refuse(crate::term::one_line(&format!(
                            "has no `target`, and no object of the build is `{} {} {ns}{}` exactly (kustomize matches such a patch by its `apiVersion`, `kind`, name and namespace; a patch without a namespace matches only an object without one)",
                            b.get("apiVersion").and_then(J::as_str).unwrap_or("(no apiVersion)"),
                            kind.as_deref().unwrap_or_default(),
                            pname.as_deref().unwrap_or_default(),
                        ))
                        .into_owned());
                        // The object the patch was most likely meant for: its kind and name,
                        // in another namespace or API version.
                        let near = objects.iter().find(|o| {
                            text(o.get("kind")) == kind && text(o["metadata"].get("name")) == pname
                        });
                        if let (Some(o), Some(e)) = (near, refused.as_mut()) {
                            let api = text(o.get("apiVersion")).unwrap_or_default();
                            let ons = text(o["metadata"].get("namespace"));
                            let mut fix = Vec::new();
                            if b.get("apiVersion") != o.get("apiVersion") {
                                fix.push(format!("`apiVersion: {api}`"));
                            }
                            if ns_of(ons.clone()) != ns_of(pns.clone()) {
                                fix.push(match &ons {
                                    Some(n) => format!("`metadata.namespace: {n}`"),
                                    None => "no `metadata.namespace`".to_owned(),
                                });
                            }
                            e.hint = Some(crate::term::one_line(&format!(
                                "the build has `{api} {} {}{}`: give the patch {}, or a `target` naming it",
                                kind.as_deref().unwrap_or_default(),
                                ons.as_deref().map_or(String::new(), |n| format!("{n}/")),
                                pname.as_deref().unwrap_or_default(),
                                fix.join(" and "),
                            ))
                            .into_owned());
                        }
                        return refused;
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// The `resources` rules of [`refused`] (see the module).
fn resources(
    name: &str,
    doc: &serde_json::Map<String, J>,
    files: &[(String, Vec<J>)],
    tree: &[&str],
    at: &dyn Fn(&str, Option<usize>) -> Pos,
) -> Option<SyntaxError> {
    let shown = name.rsplit('/').next().unwrap_or(name);
    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
    let depth = if dir.is_empty() {
        0
    } else {
        dir.split('/').count()
    };
    // `bases` (deprecated) is appended to `resources` before the build.
    let mut entries: Vec<(&str, usize, &J)> = Vec::new();
    for field in ["resources", "bases"] {
        for (k, v) in doc.iter().filter(|(k, _)| k.eq_ignore_ascii_case(field)) {
            for (i, e) in v.as_array().into_iter().flatten().enumerate() {
                entries.push((k.as_str(), i, e));
            }
        }
    }
    let mut seen: Vec<(String, &str, usize)> = Vec::new();
    for &(key, i, entry) in &entries {
        let pos = at(key, Some(i));
        let entry = entry.as_str().unwrap_or_default();
        let quoted = crate::term::one_line(entry);
        if entry.is_empty() {
            return Some(refusal(
                format!(
                    "{key}[{i}] of {shown} is empty: `kubectl kustomize` refuses an empty path"
                ),
                pos,
            ));
        }
        if entry.starts_with('/') || entry.contains("://") || entry.starts_with("git@") {
            continue;
        }
        // Below the kustomization's directory: where the path ends, and how far up it went.
        let (mut below, mut lowest) = (0i64, 0i64);
        for part in entry.split('/') {
            match part {
                "" | "." => {}
                ".." => below -= 1,
                _ => below += 1,
            }
            lowest = lowest.min(below);
        }
        if below <= 0 {
            let why = if below == 0 && lowest == 0 {
                "the kustomization's own directory (a cycle)".to_owned()
            } else {
                "a path that is not below the kustomization's directory: kustomize loads only files in or below it".to_owned()
            };
            return Some(refusal(
                format!(
                    "{key}[{i}] `{quoted}` of {shown} names {why}: `kubectl kustomize` refuses it"
                ),
                pos,
            ));
        }
        // Above the side's own directory: where it lands is not among the files compared.
        if lowest < -(depth as i64) {
            continue;
        }
        let Some(path) = super::resolve(dir, entry) else {
            continue;
        };
        let inside = dir.is_empty() || path.starts_with(&format!("{dir}/"));
        if !inside {
            return Some(refusal(
                format!(
                    "{key}[{i}] `{quoted}` of {shown} leads out of its directory, to `{}`: kustomize loads only files in or below the kustomization's directory, and `kubectl kustomize` refuses it",
                    crate::term::one_line(&path)
                ),
                pos,
            ));
        }
        if path == name {
            return Some(refusal(
                format!(
                    "{key}[{i}] `{quoted}` of {shown} lists the kustomization file itself: `kubectl kustomize` refuses it (a kustomization is no resource)"
                ),
                pos,
            ));
        }
        let prefix = format!("{path}/");
        let names = files
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(tree.iter().copied());
        let is_dir = names.clone().any(|n| n.starts_with(&prefix));
        if is_dir
            && !names.clone().any(|n| {
                n.strip_prefix(&prefix)
                    .is_some_and(|rest| FILE_NAMES.contains(&rest))
            })
        {
            return Some(refusal(
                format!(
                    "{key}[{i}] `{quoted}` of {shown} is a directory without a kustomization file: `kubectl kustomize` refuses it (list its files instead)"
                ),
                pos,
            ));
        }
        let objects = files
            .iter()
            .find(|(n, _)| *n == path)
            .is_some_and(|(_, docs)| docs.iter().any(|d| d.is_object()));
        if let Some((_, first_key, first)) = seen.iter().find(|(p, _, _)| *p == path)
            && objects
        {
            return Some(SyntaxError {
                related: Some((
                    format!("`{}` first listed here", crate::term::one_line(&path)),
                    at(first_key, Some(*first)),
                )),
                ..refusal(
                    format!(
                        "{key}[{i}] `{quoted}` of {shown} lists `{}` again: kustomize adds its objects twice and `kubectl kustomize` refuses the build",
                        crate::term::one_line(&path)
                    ),
                    pos,
                )
            });
        }
        seen.push((path, key, i));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_document_is_found_as_kustomize_reads_it() {
        assert_eq!(first_document("a: 1\n---\nb: 2\n").0, 5);
        assert_eq!(first_document("---\na: 1\n---\n").0, 9);
        assert_eq!(first_document("# c\n---\n---\na: 1\n").0, 8);
        assert_eq!(first_document("a: 1\n").0, 5);
    }

    #[test]
    fn an_empty_kustomization_is_refused() {
        for text in [
            "",
            "# only\n",
            "{}\n",
            "kind: Kustomization\n",
            "namespace: \"\"\n",
            "resources:\n",
            "---\n---\nresources: [a.yaml]\n",
        ] {
            let e = refused("kustomization.yaml", text, &[], &[]);
            assert!(
                e.as_ref().is_some_and(|e| e.message.contains("is empty")),
                "{text:?}: {e:?}"
            );
        }
        assert!(refused("kustomization.yaml", "resources: []\n", &[], &[]).is_none());
    }
}
