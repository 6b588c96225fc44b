//! The structural rules of the API server that the Kubernetes types do not hold, checked on a
//! patched or extra object: a pod spec (of every kind that holds one: Deployment, StatefulSet,
//! DaemonSet, ReplicaSet, Job, CronJob's job template, Pod; not a PodTemplate, which runs
//! nothing) has at least one
//! container, and each volume mount's `mountPath` follows the API server's rule
//! ([`crate::config::names::mount_path`]) and is unique in its container; an object's
//! annotations, and its pod template's, total at most [`ANNOTATIONS_LIMIT`]; a ConfigMap's data
//! (or a Secret's) at most [`DATA_LIMIT`]. A type keeps
//! `containers: []` or a second mount at one path as valid: without this the output would be
//! written and fail only at `kubectl apply`. Every problem of an object is returned at once.

use serde_json::Value as J;

use crate::config::names;
use crate::config::patches::{PatchError, Seg};
use crate::k8s::object::{self, ANNOTATIONS_LIMIT, DATA_LIMIT, annotations_size};

/// The object's annotations, and its pod template's, over [`ANNOTATIONS_LIMIT`]: at the
/// largest entry of each map over it.
pub fn annotations_over(obj: &J) -> Vec<PatchError> {
    let mut out = Vec::new();
    let id = crate::config::patches::object_id(obj);
    let key = |k: &str| Seg::Key(k.into());
    annotations(obj, vec![key("metadata")], &id, &mut out);
    if let Some(path) = object::pod_spec_path(object::api_version(obj), object::kind(obj))
        && path.len() >= 2
    {
        let mut meta: Vec<Seg> = path[..path.len() - 1].iter().map(|k| key(k)).collect();
        meta.push(key("metadata"));
        annotations(obj, meta, &format!("the pod template of {id}"), &mut out);
    }
    out
}

/// A ConfigMap's data (or a Secret's) over [`DATA_LIMIT`], the most the API server accepts:
/// at the largest entry (the one that took it over, in practice).
pub fn data_over(obj: &J) -> Option<PatchError> {
    let entries = object::data_entries(obj);
    let size: usize = entries.iter().map(|(_, _, n)| n).sum();
    if size <= DATA_LIMIT {
        return None;
    }
    let (field, biggest, _) = entries.iter().max_by_key(|(_, _, n)| *n)?;
    Some(PatchError {
        path: vec![Seg::Key((*field).into()), Seg::Key((*biggest).into())],
        on_key: false,
        message: format!(
            "the data of {} total {size} bytes (every value, base64 ones decoded), over the API server's limit of {DATA_LIMIT} (1 MiB)",
            crate::config::patches::object_id(obj)
        ),
        hint: Some("keep large content out of the manifests (a volume, an image), or split it over several ConfigMaps of at most 1 MiB each".into()),
    })
}

/// Every structural problem of `obj`, as errors at their paths in the object.
pub fn unfit(obj: &J) -> Vec<PatchError> {
    let mut out = Vec::new();
    let id = crate::config::patches::object_id(obj);
    let key = |k: &str| Seg::Key(k.into());
    annotations(obj, vec![key("metadata")], &id, &mut out);
    out.extend(data_over(obj));
    let Some(path) = object::pod_spec_path(object::api_version(obj), object::kind(obj))
        .filter(|_| object::runs_pods(obj))
    else {
        return out;
    };
    let path: Vec<Seg> = path.iter().map(|k| key(k)).collect();
    if path.len() >= 2 {
        let mut meta = path[..path.len() - 1].to_vec();
        meta.push(key("metadata"));
        annotations(obj, meta, &format!("the pod template of {id}"), &mut out);
    }
    // The pod spec, or the deepest part of the way to it that is there.
    let mut here = obj;
    let mut at = Vec::new();
    for seg in &path {
        let Seg::Key(k) = seg else { break };
        match here.get(k.as_str()) {
            Some(next) if next.is_object() => {
                here = next;
                at.push(seg.clone());
            }
            _ => {
                at.push(seg.clone());
                out.push(PatchError {
                    path: at,
                    on_key: false,
                    message: format!(
                        "{id} has no pod spec at `{}`: Kubernetes requires one",
                        shown(&path)
                    ),
                    hint: Some(
                        "keep the pod template; change its fields instead of removing it".into(),
                    ),
                });
                return out;
            }
        }
    }
    let containers = here.get("containers").and_then(J::as_array);
    if containers.is_none_or(Vec::is_empty) {
        let mut p = at.clone();
        p.push(key("containers"));
        out.push(PatchError {
            path: p,
            on_key: false,
            message: format!(
                "{id} would have no containers: Kubernetes requires at least one in `{}.containers` (`kubectl apply` would fail)",
                shown(&path)
            ),
            hint: Some("keep the container and change its fields instead; to stop the workload, scale it to zero".into()),
        });
    }
    for list in ["initContainers", "containers"] {
        for (i, c) in here
            .get(list)
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let mut seen = std::collections::BTreeMap::new();
            for (j, m) in c
                .get("volumeMounts")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some(mp) = m.get("mountPath").and_then(J::as_str) else {
                    continue;
                };
                let mut p = at.clone();
                p.extend([
                    key(list),
                    Seg::Index(i),
                    key("volumeMounts"),
                    Seg::Index(j),
                    key("mountPath"),
                ]);
                if let Err(why) = names::mount_path(mp) {
                    out.push(PatchError {
                        path: p,
                        on_key: false,
                        message: format!("mountPath {mp:?} is refused by Kubernetes: {why}"),
                        hint: Some("write an absolute path below `/`, such as `/data`".into()),
                    });
                } else if let Some(first) = seen.insert(mp.trim_end_matches('/').to_owned(), j) {
                    out.push(PatchError {
                        path: p,
                        on_key: false,
                        message: format!(
                            "mountPath {mp:?} is already mounted by volumeMounts[{first}] of the same container: Kubernetes refuses two mounts at one path"
                        ),
                        hint: Some("mount the second volume at another path".into()),
                    });
                }
            }
        }
    }
    out
}

/// The annotations at `meta`'s `annotations` over the API server's limit.
fn annotations(obj: &J, mut meta: Vec<Seg>, whose: &str, out: &mut Vec<PatchError>) {
    let mut here = Some(obj);
    for seg in &meta {
        if let Seg::Key(k) = seg {
            here = here.and_then(|v| v.get(k.as_str()));
        }
    }
    let Some(J::Object(map)) = here.and_then(|m| m.get("annotations")) else {
        return;
    };
    let size = annotations_size(
        map.iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default())),
    );
    if size <= ANNOTATIONS_LIMIT {
        return;
    }
    // Located at the largest entry: the one that pushed it over, in practice.
    let Some((biggest, _)) = map
        .iter()
        .max_by_key(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
    else {
        return;
    };
    meta.extend([
        Seg::Key("annotations".into()),
        Seg::Key(biggest.as_str().into()),
    ]);
    out.push(PatchError {
        path: meta,
        on_key: false,
        message: format!(
            "the annotations of {whose} total {size} bytes (keys and values), over the API server's limit of {ANNOTATIONS_LIMIT} (256 KiB)"
        ),
        hint: Some("keep large data in a ConfigMap and reference it; an annotation is not storage".into()),
    });
}

fn shown(path: &[Seg]) -> String {
    path.iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}
