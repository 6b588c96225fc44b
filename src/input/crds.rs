//! User-listed CustomResourceDefinitions (`crds: [path, ...]` in an override file or a project
//! environment's `set:`): the files read, each document checked to be an
//! `apiextensions.k8s.io/v1` CustomResourceDefinition, and what an extra object of its kind
//! needs kept (group, kind, plural, scope, each version's `served` and `openAPIV3Schema`).
//!
//! A path is relative to the file that lists it and never leaves the project: the project's
//! directory when rendering a project, else the listing file's own directory; it is opened
//! through [`super::beneath`] (no `..` climbing out, no symbolic link leading out). Every
//! problem of a file (missing, a directory, not YAML, not a CRD, a CRD without the fields a
//! server requires) is an error at the `crds:` entry that names it. Validating objects against
//! the schemas is the render's (`render::custom`); this module only reads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as J;

use crate::diag::{Diagnostic, Origin, Source};
use crate::input::beneath::{self, Refused};
use crate::input::yaml::{self, Node};

/// Largest CRD file accepted, in bytes (Gateway API's whole standard install is under 1 MiB;
/// a generated CRD with many versions can be a few).
pub const MAX_CRD_BYTES: u64 = 8 * 1024 * 1024;

/// One `crds:` entry as written: the path and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedCrds {
    /// The layer that lists it.
    pub source: Arc<Source>,
    /// Its index in that layer's `crds:` list.
    pub index: usize,
    /// The entry as written.
    pub node: Node,
    /// The path as written.
    pub rel: String,
    /// The definitions of the file, once read ([`read`]).
    pub defs: Vec<Arc<Crd>>,
}

impl LocatedCrds {
    /// `file:line:col` of the entry.
    pub fn origin(&self) -> String {
        self.source.locate(self.node.pos)
    }

    fn error(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(message)
            .path(format!("crds[{}]", self.index))
            .at(&self.source, self.node.pos, self.node.len)
    }
}

/// One CustomResourceDefinition of a listed file: what an extra object of its kind is checked
/// against.
#[derive(Debug, Clone, PartialEq)]
pub struct Crd {
    /// `spec.group` (`networking.gke.io`).
    pub group: String,
    /// `spec.names.kind` (`HealthCheckPolicy`).
    pub kind: String,
    /// `spec.names.plural` (`healthcheckpolicies`).
    pub plural: String,
    /// `spec.scope` is `Namespaced`.
    pub namespaced: bool,
    /// `spec.versions`, in file order.
    pub versions: Vec<CrdVersion>,
    /// The file, as the `crds:` entry names it (relative to the listing file).
    pub file: String,
    /// `file:line:col` of the `crds:` entry.
    pub listed_at: String,
}

impl Crd {
    /// The served versions' names, in file order.
    pub fn served(&self) -> Vec<&str> {
        self.versions
            .iter()
            .filter(|v| v.served)
            .map(|v| v.name.as_str())
            .collect()
    }

    /// `group/version` of a version.
    pub fn api(&self, version: &str) -> String {
        format!("{}/{version}", self.group)
    }
}

/// One version of a [`Crd`].
#[derive(Debug, Clone, PartialEq)]
pub struct CrdVersion {
    /// `name` (`v1`).
    pub name: String,
    /// `served`.
    pub served: bool,
    /// `schema.openAPIV3Schema`.
    pub schema: J,
}

/// A `crds:` entry of a layer, checked for shape (a string naming a file).
pub fn entry(node: Node, source: &Arc<Source>, index: usize) -> Result<LocatedCrds, Diagnostic> {
    match &node.value {
        yaml::Value::Str(s)
            if let Some(c) = s
                .chars()
                .find(|c| c.is_control() || crate::term::hidden(*c)) =>
        {
            Err(Diagnostic::new(format!(
                "a `crds:` path contains U+{:04X}, a control or invisible character",
                u32::from(c)
            ))
            .path(format!("crds[{index}]"))
            .at(source, node.pos, node.len)
            .label("a file name a terminal, a review and a pasted command would show as another")
            .help("rename the file to a name of visible characters and list that name"))
        }
        yaml::Value::Str(s) if !s.trim().is_empty() => Ok(LocatedCrds {
            source: Arc::clone(source),
            index,
            rel: s.clone(),
            node,
            defs: Vec::new(),
        }),
        other => Err(Diagnostic::new(format!(
            "a `crds:` entry must be the path of a CRD file, found {}",
            other.type_name()
        ))
        .path(format!("crds[{index}]"))
        .at(source, node.pos, node.len)
        .label("expected a path")
        .help("list CRD files relative to this file: `crds: [crds/healthcheckpolicy.yaml]`")),
    }
}

/// Reads the file of a `crds:` entry and keeps its definitions in `entry.defs`. `project`:
/// the project's directory when rendering a project (the path may then go anywhere inside
/// it); else the listing file's directory bounds it.
pub fn read(entry: &mut LocatedCrds, project: Option<&Path>) -> Result<(), Diagnostic> {
    let listing = match &entry.source.origin {
        // Standard input lists paths relative to the current directory.
        Origin::File(p) if p != Path::new("<stdin>") => p.clone(),
        Origin::Project(p) => p.clone(),
        _ => PathBuf::from("-"),
    };
    // The listing file's directory as given (empty: the current directory).
    let listing_dir = listing.parent().map(Path::to_owned).unwrap_or_default();
    let dot = |p: &Path| {
        if p.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            p.to_owned()
        }
    };
    let inside_project = project.and_then(|root| {
        let inner = if root.as_os_str().is_empty() {
            (!listing_dir.has_root()).then(|| listing_dir.clone())
        } else {
            listing_dir.strip_prefix(root).ok().map(Path::to_owned)
        };
        inner.map(|inner| (dot(root), inner.join(&entry.rel)))
    });
    let (root, rel) = inside_project
        .clone()
        .unwrap_or_else(|| (dot(&listing_dir), PathBuf::from(&entry.rel)));
    let project = inside_project.map(|_| ());
    let shown = dot(&listing_dir).join(&entry.rel);
    let where_ = if project.is_some() {
        "the project's directory"
    } else {
        "the directory of the file that lists it"
    };
    let opened = match beneath::open(&root, &rel) {
        Ok(o) => o,
        Err(Refused::Escapes(why)) => {
            return Err(entry
                .error(format!(
                    "CRD file `{}` is outside {where_}: {why}",
                    entry.rel
                ))
                .label("outside")
                .note("nothing was read: a listed file may only be read from inside the project, so a reviewed change cannot pull in a file from elsewhere")
                .help("copy the CRD into the project (e.g. `crds/`) and list it relative to this file"));
        }
        Err(Refused::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(entry
                .error(format!("CRD file `{}` does not exist", entry.rel))
                .label("no such file")
                .note(format!(
                    "a `crds:` path is relative to the file that lists it; this one is `{}`",
                    shown.display()
                ))
                .help("fix the path, or save the CRD there (`kubectl get crd NAME -o yaml > FILE` from a cluster that has it)"));
        }
        Err(Refused::Io(e)) => {
            return Err(entry
                .error(format!("cannot read CRD file `{}`: {e}", entry.rel))
                .label("cannot be read")
                .help("fix the path or the file's permissions"));
        }
    };
    let text = read_opened(opened.file, &entry.rel).map_err(|(m, h)| {
        entry
            .error(format!("CRD file `{}` {m}", entry.rel))
            .label("not a CRD file")
            .help(h)
    })?;
    super::reads::note(
        super::reads::Reached::Crd {
            root: root.clone(),
            rel: rel.clone(),
            entry: entry.rel.clone(),
        },
        &text,
    );
    let docs = yaml::parse_manifests(&text).map_err(|e| {
        // The parser's first line says where (`line 2 column 7: ...`); its excerpt is of the
        // CRD file, not of the file this diagnostic quotes.
        let first = e.lines().next().unwrap_or_default();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        entry
            .error(format!(
                "CRD file `{}` is not valid YAML: {first}",
                entry.rel
            ))
            .label("not YAML")
            .help("fix the file (a CRD as `kubectl get crd NAME -o yaml` prints it)")
    })?;
    let docs: Vec<&J> = docs.iter().filter(|d| !d.is_null()).collect();
    if docs.is_empty() {
        return Err(entry
            .error(format!("CRD file `{}` holds no document", entry.rel))
            .label("empty")
            .help("save a CustomResourceDefinition in it, or remove the entry"));
    }
    let listed_at = entry.origin();
    let mut defs = Vec::new();
    for (n, doc) in docs.into_iter().enumerate() {
        let crd = definition(doc).map_err(|(m, h)| {
            entry
                .error(format!(
                    "document {} of CRD file `{}` {m}",
                    n + 1,
                    entry.rel
                ))
                .label("not a usable CRD")
                .help(h)
        })?;
        defs.push(Arc::new(Crd {
            file: entry.rel.clone(),
            listed_at: listed_at.clone(),
            ..crd
        }));
    }
    entry.defs = defs;
    Ok(())
}

/// The text of a CRD file read again as [`read`] read it (below `root`, the same checks), for
/// [`super::reads::unchanged`]; `None` when it no longer reads.
pub(crate) fn read_again(root: &Path, rel: &Path, entry: &str) -> Option<String> {
    let opened = beneath::open(root, rel).ok()?;
    read_opened(opened.file, entry).ok()
}

fn read_opened(file: std::fs::File, rel: &str) -> Result<String, (String, String)> {
    use std::io::Read;
    let meta = file
        .metadata()
        .map_err(|e| (format!("cannot be read: {e}"), "check the file".to_owned()))?;
    if meta.is_dir() {
        return Err((
            "is a directory".into(),
            "name a YAML file; list each CRD file of the directory".into(),
        ));
    }
    if !meta.is_file() {
        return Err((
            "is not a regular file (a FIFO, socket or device)".into(),
            "name a YAML file".into(),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CRD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| (format!("cannot be read: {e}"), "check the file".to_owned()))?;
    if bytes.len() as u64 > MAX_CRD_BYTES {
        return Err((
            format!(
                "is {} bytes or more, over the {} MiB ({MAX_CRD_BYTES} bytes) limit for CRD files",
                MAX_CRD_BYTES + 1,
                MAX_CRD_BYTES >> 20
            ),
            format!("keep only the CRDs this project's objects use in `{rel}`"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        (
            "is not UTF-8 text".to_owned(),
            "save it as UTF-8 YAML".to_owned(),
        )
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned())
}

/// The definition in one document, or what is wrong (message after "document N of FILE", fix).
fn definition(doc: &J) -> Result<Crd, (String, String)> {
    let s = |p: &str| doc.pointer(p).and_then(J::as_str).unwrap_or_default();
    let (api, kind) = (s("/apiVersion"), s("/kind"));
    if kind != "CustomResourceDefinition" || !api.starts_with("apiextensions.k8s.io/") {
        let what = if kind.is_empty() {
            "has no `kind`".to_owned()
        } else {
            format!("is a {kind} ({api}), not a CustomResourceDefinition")
        };
        return Err((
            what,
            "list only CustomResourceDefinition files under `crds:`; the objects themselves go under `resources:`".into(),
        ));
    }
    if api != "apiextensions.k8s.io/v1" {
        return Err((
            format!("is an {api} CustomResourceDefinition"),
            "apiextensions.k8s.io/v1beta1 is not served since Kubernetes 1.22: use the v1 CRD (`kubectl get crd NAME -o yaml` from a cluster prints it)".into(),
        ));
    }
    let missing = |field: &str| {
        (
            format!("has no `{field}`"),
            "a v1 CustomResourceDefinition needs spec.group, spec.names.kind, spec.names.plural, spec.scope and spec.versions".to_owned(),
        )
    };
    let need = |p: &str, field: &str| -> Result<String, (String, String)> {
        let v = s(p);
        if v.is_empty() {
            Err(missing(field))
        } else {
            Ok(v.to_owned())
        }
    };
    let group = need("/spec/group", "spec.group")?;
    let kind = need("/spec/names/kind", "spec.names.kind")?;
    let plural = need("/spec/names/plural", "spec.names.plural")?;
    // The API server's rules for these names: they reach `apiVersion`/`kind` of the objects and
    // the prune command agentctl prints, so nothing else may be in them.
    let named = |field: &str, value: &str, ok: Result<(), &str>| {
        ok.map_err(|why| {
            (
                format!("has `{field}: {value:?}`, which the API server refuses: {why}"),
                format!("`{field}` is what `kubectl apply` of the CRD accepts: a group is a DNS subdomain with a dot (`example.com`), a kind, plural or version a DNS-1035 label (`Widget`, `widgets`, `v1`)"),
            )
        })
    };
    named(
        "spec.group",
        &group,
        crate::config::names::dns1123_subdomain(&group).and_then(|()| {
            if group.contains('.') {
                Ok(())
            } else {
                Err("it needs at least one dot")
            }
        }),
    )?;
    named(
        "spec.names.kind",
        &kind,
        crate::config::names::dns1035_label(&kind.to_ascii_lowercase()),
    )?;
    named(
        "spec.names.plural",
        &plural,
        crate::config::names::dns1035_label(&plural),
    )?;
    let namespaced = match s("/spec/scope") {
        "Namespaced" => true,
        "Cluster" => false,
        "" => return Err(missing("spec.scope")),
        other => {
            return Err((
                format!("has `spec.scope: {other}`"),
                "the scope is `Namespaced` or `Cluster`".into(),
            ));
        }
    };
    let mut versions = Vec::new();
    for v in doc
        .pointer("/spec/versions")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let name = v.get("name").and_then(J::as_str).unwrap_or_default();
        if name.is_empty() {
            return Err(missing("spec.versions[].name"));
        }
        named(
            "spec.versions[].name",
            name,
            crate::config::names::dns1035_label(name),
        )?;
        let Some(schema) = v.pointer("/schema/openAPIV3Schema") else {
            return Err((
                format!("has no `schema.openAPIV3Schema` for version {name}"),
                "a v1 CRD has a structural schema for every version: without one agentctl cannot check the objects".into(),
            ));
        };
        versions.push(CrdVersion {
            name: name.to_owned(),
            served: v.get("served").and_then(J::as_bool).unwrap_or(false),
            schema: schema.clone(),
        });
    }
    if versions.is_empty() {
        return Err(missing("spec.versions"));
    }
    Ok(Crd {
        group,
        kind,
        plural,
        namespaced,
        versions,
        file: String::new(),
        listed_at: String::new(),
    })
}
