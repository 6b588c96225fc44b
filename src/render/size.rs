//! The largest file agentctl writes: [`MAX_FILE_BYTES`], the same bound `output` reads its own
//! files back with (an output directory, `--base-dir`, a commit), so a file it wrote is one it
//! can read. Only the escape hatch can come near it (extra objects, patches: a Kubernetes
//! object is at most 1.5 MiB, but `extra-objects.yaml` holds any number of them); a render
//! that would write a larger file is refused, located at the extra object or patch behind the
//! file's largest object, and naming the largest objects; and so is one whose files together
//! pass [`MAX_DIR_BYTES`], what `output` reads back from one directory. And the API server's limit on one
//! object's annotations, 256 KiB, checked on the final objects (agentctl's own annotations,
//! checksums and markers, added to the typed and patched ones), located at the setting, patch
//! or extra object that holds the largest entry; and its limit on a ConfigMap's data, 1 MiB.

use serde_json::Value as J;

use crate::config::patches::{PatchError, Seg, object_id};
use crate::config::path::ConfigPath;
use crate::diag::Diagnostic;
use crate::resolve::merge::Merged;

use super::bundle::Bundle;
use super::patches::Applied;

/// The largest file agentctl writes and reads back, in bytes (16 MiB).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The most agentctl writes into one directory (every file of one render together) and reads
/// back from one directory of an output, `--base-dir` or a commit, in bytes (32 MiB): twice
/// the largest file, far more than a render without extra objects writes (about 60 KiB), so
/// what `diff` holds in memory is bounded by what a render could have written.
pub const MAX_DIR_BYTES: u64 = 32 << 20;

/// The most agentctl writes in one run (every file of every environment of a project
/// together) and reads back from one side of a comparison (an output root, `--base-dir`, a
/// commit), in bytes (512 MiB): a project of 1,000 environments writes about 60 MiB, so what
/// `diff --all` holds in memory is bounded whatever a pull request commits into how many
/// directories.
pub const MAX_TOTAL_BYTES: u64 = 512 << 20;

/// Refuses a run whose files, every environment's together, would total more than
/// [`MAX_TOTAL_BYTES`] (`total` bytes over `environments` renders).
pub fn refuse_total(total: u64, environments: usize) -> Result<(), Diagnostic> {
    if total <= MAX_TOTAL_BYTES {
        return Ok(());
    }
    Err(Diagnostic::new(format!(
        "the files of these {environments} environments would total {} ({total} bytes), over {} ({MAX_TOTAL_BYTES} bytes), the most agentctl writes in one run (and reads back from one side of a comparison)",
        bytes(usize::try_from(total).unwrap_or(usize::MAX)),
        bytes(MAX_TOTAL_BYTES as usize),
    ))
    .help("render fewer environments at a time (`--env NAME`, each into the same root), or move the largest extra objects out of the overrides the environments share"))
}

/// `n` bytes for people: `17.2 MiB`, `812 KiB`.
fn bytes(n: usize) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", n / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KiB", n / 1024.0)
    }
}

/// A refusal for every file of `bundle` over [`MAX_FILE_BYTES`], else one for all its files
/// together over [`MAX_DIR_BYTES`]; `ids`: the `Kind/name` of each file's objects, in order.
pub fn refuse(
    merged: &Merged,
    patched: &[Applied],
    bundle: &Bundle,
    ids: &[Vec<String>],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (file, ids) in bundle.files.iter().zip(ids) {
        if file.content.len() as u64 <= MAX_FILE_BYTES {
            continue;
        }
        let mut sized: Vec<(usize, &String)> =
            file.document_sizes().into_iter().zip(ids.iter()).collect();
        sized.sort_by_key(|s| std::cmp::Reverse(s.0));
        let largest: Vec<String> = sized
            .iter()
            .take(3)
            .map(|(n, id)| format!("{id} ({})", bytes(*n)))
            .collect();
        let message = format!(
            "`{}` would be {} ({} bytes), over {} ({MAX_FILE_BYTES} bytes), the most agentctl writes (and reads back from its output); its {} objects, largest: {}",
            file.name,
            bytes(file.content.len()),
            file.content.len(),
            bytes(MAX_FILE_BYTES as usize),
            ids.len(),
            largest.join(", ")
        );
        let error = PatchError {
            path: Vec::new(),
            on_key: false,
            message: message.clone(),
            hint: Some("keep large data out of the manifests (a volume, an image, a ConfigMap created out of band), or split the objects over fewer extra entries".into()),
        };
        // Located at what put the largest object there.
        let biggest = sized.first().map(|(_, id)| id.as_str()).unwrap_or_default();
        out.push(located(merged, patched, biggest, message, error));
    }
    let total: usize = bundle.files.iter().map(|f| f.content.len()).sum();
    if out.is_empty() && total as u64 > MAX_DIR_BYTES {
        let mut files: Vec<(&crate::render::bundle::File, &Vec<String>)> =
            bundle.files.iter().zip(ids).collect();
        files.sort_by_key(|(f, _)| std::cmp::Reverse(f.content.len()));
        let largest: Vec<String> = files
            .iter()
            .take(3)
            .map(|(f, _)| format!("`{}` ({})", f.name, bytes(f.content.len())))
            .collect();
        let message = format!(
            "the files of this render would total {} ({total} bytes), over {} ({MAX_DIR_BYTES} bytes), the most agentctl writes into one directory (and reads back from one); largest: {}",
            bytes(total),
            bytes(MAX_DIR_BYTES as usize),
            largest.join(", ")
        );
        let error = PatchError {
            path: Vec::new(),
            on_key: false,
            message: message.clone(),
            hint: Some("split the extra objects over several environments (each renders into its own directory), or keep large data out of the manifests (a volume, an image, a ConfigMap created out of band)".into()),
        };
        // At what put the largest object of the largest file there.
        let biggest = files
            .first()
            .and_then(|(f, ids)| {
                f.document_sizes()
                    .into_iter()
                    .zip(ids.iter())
                    .max_by_key(|(n, _)| *n)
                    .map(|(_, id)| id.as_str())
            })
            .unwrap_or_default();
        out.push(located(merged, patched, biggest, message, error));
    }
    out
}

/// `error` located at what put object `biggest` (`Kind/name`) there: its extra entry, else the
/// last patch that changed it; a typed object has no one line to blame.
fn located(
    merged: &Merged,
    patched: &[Applied],
    biggest: &str,
    message: String,
    error: PatchError,
) -> Diagnostic {
    let extra = merged
        .resources
        .iter()
        .find(|r| object_id(&r.object) == biggest);
    let patch = patched
        .iter()
        .rev()
        .find(|a| a.object == biggest)
        .and_then(|a| merged.patches.iter().find(|p| p.origin() == a.origin));
    match (extra, patch) {
        (Some(r), _) => r.error(&error),
        (None, Some(p)) => p.error(&error),
        (None, None) => Diagnostic::new(message).help(error.hint.unwrap_or_default()),
    }
}

/// The typed settings that write an object's annotations: (kind, whether the pod template's,
/// setting).
const TYPED: &[(&str, bool, &str)] = &[
    ("Deployment", true, "agent.podAnnotations"),
    ("Service", false, "agent.service.annotations"),
    ("ServiceAccount", false, "agent.serviceAccount.annotations"),
    ("Ingress", false, "ingress.annotations"),
    ("HTTPRoute", false, "httpRoute.annotations"),
];

/// A refusal for every final object whose annotations (or its pod template's) total more than
/// the API server accepts, agentctl's own included, or whose data (a ConfigMap's `data` and
/// `binaryData`) does: located at the typed setting that wrote the largest annotation, else
/// the extra object, else the last patch of the object. (Each patched or extra object was
/// already checked, each problem at the patch that wrote it: `patches/check`; this holds what
/// is added after the patches.)
pub fn annotations(
    merged: &Merged,
    patched: &[Applied],
    files: &[(String, Vec<J>)],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for obj in files.iter().flat_map(|(_, o)| o) {
        let over = super::structure::annotations_over(obj);
        let annotated = over.len();
        for (n, e) in over
            .into_iter()
            .chain(super::structure::data_over(obj))
            .enumerate()
        {
            let id = object_id(obj);
            let Some(Seg::Key(biggest)) = e.path.last() else {
                continue;
            };
            let template = e.path.len() > 3;
            let kind = crate::k8s::object::kind(obj);
            let extra = merged.resources.iter().find(|r| object_id(&r.object) == id);
            // A ConfigMap's data from typed settings is held where they are validated.
            let setting = (extra.is_none() && n < annotated)
                .then(|| {
                    TYPED
                        .iter()
                        .filter(|(k, t, _)| *k == kind && *t == template)
                        .map(|(_, _, s)| format!("{s}.{biggest}"))
                        .find(|p| {
                            merged
                                .origin(p)
                                .is_some_and(|s| s.source.origin != crate::diag::Origin::Default)
                        })
                })
                .flatten();
            let message = if n < annotated {
                format!("{} (agentctl's own annotations included)", e.message)
            } else {
                e.message.clone()
            };
            let patch = patched
                .iter()
                .rev()
                .find(|a| a.object == id)
                .and_then(|a| merged.patches.iter().find(|p| p.origin() == a.origin));
            out.push(match (setting, extra, patch) {
                (Some(path), _, _) => {
                    let mut d = Diagnostic::new(message);
                    if let Some(h) = &e.hint {
                        d = d.help(h.clone());
                    }
                    merged.locate(d, &ConfigPath::new(path))
                }
                (None, Some(r), _) => r.error(&PatchError { message, ..e }),
                (None, None, Some(p)) => p.error(&PatchError {
                    message,
                    path: Vec::new(),
                    ..e
                }),
                (None, None, None) => Diagnostic::new(message).help(e.hint.unwrap_or_default()),
            });
        }
    }
    out
}
