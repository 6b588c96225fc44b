//! Reading a Kubernetes object held as JSON: its kind, API version and group, name, namespace
//! (and whether its kind has one: [`CLUSTER_SCOPED`]) and labels, any field by JSON pointer, and the pod template and pod spec of every workload
//! kind (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob,
//! Pod; a PodTemplate holds one too but runs nothing). The one place that knows where those
//! live; a missing field reads as absent, never as an error.

use serde_json::Value as J;

/// The value at a JSON pointer, exactly as [`J::pointer`] finds it (RFC 6901: `""` is the
/// value itself, `~1` is a `/` and `~0` a `~` in a key, an array index is a plain decimal
/// without leading zeros), without allocating: `J::pointer` builds a `String` for every
/// segment, and the stages read some 1,300 fields of a render this way. A pointer holding `~`
/// (rare: an escaped key) is handed to `J::pointer` itself.
pub fn pointer<'a>(v: &'a J, pointer: &str) -> Option<&'a J> {
    if pointer.is_empty() {
        return Some(v);
    }
    if pointer.contains('~') {
        return v.pointer(pointer);
    }
    pointer
        .strip_prefix('/')?
        .split('/')
        .try_fold(v, |target, token| match target {
            J::Object(map) => map.get(token),
            J::Array(list) => index(token).and_then(|i| list.get(i)),
            _ => None,
        })
}

/// An array index as RFC 6901 (and `serde_json`) reads one: `0`, or digits without a leading
/// zero or sign.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// The value at a JSON pointer (`/spec/template/metadata/labels`; `~1` is a `/` in a key), if
/// there is one; a `null` is none, as the API server reads an explicit null as unset.
pub fn at<'a>(v: &'a J, pointer: &str) -> Option<&'a J> {
    self::pointer(v, pointer).filter(|v| !v.is_null())
}

/// The string at a JSON pointer (`/spec/template/metadata/name`), if there is one.
pub fn str_at<'a>(v: &'a J, pointer: &str) -> Option<&'a str> {
    self::pointer(v, pointer).and_then(J::as_str)
}

/// The string at a JSON pointer, or `""`.
pub fn field_str<'a>(v: &'a J, pointer: &str) -> &'a str {
    str_at(v, pointer).unwrap_or_default()
}

/// The items of the list at a JSON pointer (none when it is absent or not a list).
pub fn items<'a>(v: &'a J, pointer: &str) -> impl Iterator<Item = &'a J> + use<'a> {
    self::pointer(v, pointer)
        .and_then(J::as_array)
        .into_iter()
        .flatten()
}

/// The whole number at a JSON pointer, if it is one.
pub fn int_at(v: &J, pointer: &str) -> Option<i64> {
    self::pointer(v, pointer).and_then(J::as_i64)
}

/// `kind`, or `""`.
pub fn kind(o: &J) -> &str {
    field_str(o, "/kind")
}

/// `apiVersion`, or `""`.
pub fn api_version(o: &J) -> &str {
    field_str(o, "/apiVersion")
}

/// The API group of `apiVersion` (`apps` of `apps/v1`; `""`, the core group, of `v1`).
pub fn group(o: &J) -> &str {
    api_version(o).rsplit_once('/').map_or("", |(g, _)| g)
}

/// `metadata.name`, or `""`.
pub fn name(o: &J) -> &str {
    field_str(o, "/metadata/name")
}

/// `metadata.namespace`, if set.
pub fn namespace(o: &J) -> Option<&str> {
    str_at(o, "/metadata/namespace")
}

/// `metadata.labels` with string values, in key order.
pub fn labels(o: &J) -> impl Iterator<Item = (&str, &str)> {
    pointer(o, "/metadata/labels")
        .and_then(J::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
}

/// The most the API server accepts in one object's annotations (or a pod template's): the
/// bytes of every key and value together, 256 KiB (`TotalAnnotationSizeLimitB`).
pub const ANNOTATIONS_LIMIT: usize = 256 * 1024;

/// The size the API server counts against [`ANNOTATIONS_LIMIT`]: every key's and value's bytes.
pub fn annotations_size<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> usize {
    entries.into_iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// The most the API server accepts in a ConfigMap's `data` and `binaryData` together, and in a
/// Secret's data: the bytes of every value (not the keys), base64 values decoded, 1 MiB
/// (`MaxSecretSize`; `ValidateConfigMap`'s `totalSize`).
pub const DATA_LIMIT: usize = 1 << 20;

/// The entries the API server counts against [`DATA_LIMIT`] for a ConfigMap (`data`,
/// `binaryData`) or a Secret (`data`, `stringData`), each `(field, key, bytes)` with a base64
/// value counted decoded; none for any other kind.
pub fn data_entries(o: &J) -> Vec<(&'static str, &str, usize)> {
    let fields: &[(&'static str, bool)] = match (api_version(o), kind(o)) {
        ("v1", "ConfigMap") => &[("data", false), ("binaryData", true)],
        ("v1", "Secret") => &[("data", true), ("stringData", false)],
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for &(field, base64) in fields {
        let Some(J::Object(m)) = o.get(field) else {
            continue;
        };
        for (k, v) in m {
            let s = v.as_str().unwrap_or_default();
            let n = if base64 { decoded_len(s) } else { s.len() };
            out.push((field, k.as_str(), n));
        }
    }
    out
}

/// The length of what a base64 text decodes to (its padding left out).
fn decoded_len(s: &str) -> usize {
    let padding = s.bytes().rev().take(2).take_while(|b| *b == b'=').count();
    (s.len() * 3 / 4).saturating_sub(padding)
}

/// The path from the object's root to its pod spec, by API version and kind, for every built-in
/// kind that holds one (a PodTemplate included).
pub fn pod_spec_path(api_version: &str, kind: &str) -> Option<&'static [&'static str]> {
    match (api_version, kind) {
        ("v1", "Pod") => Some(&["spec"]),
        ("v1", "PodTemplate") => Some(&["template", "spec"]),
        ("v1", "ReplicationController")
        | ("apps/v1", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch/v1", "Job") => Some(&["spec", "template", "spec"]),
        ("batch/v1", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// Whether an object of this kind runs pods (a workload or a Pod; a PodTemplate does not).
pub fn runs_pods(o: &J) -> bool {
    kind(o) != "PodTemplate" && pod_spec_path(api_version(o), kind(o)).is_some()
}

fn follow<'a>(o: &'a J, path: &[&str]) -> Option<&'a J> {
    path.iter().try_fold(o, |v, key| v.get(key))
}

/// The pod template (`metadata` and `spec`) of a workload: `spec.template`, a CronJob's
/// `spec.jobTemplate.spec.template`; `None` for a Pod and for other kinds.
pub fn pod_template(o: &J) -> Option<&J> {
    let path = pod_spec_path(api_version(o), kind(o))?;
    if path.len() < 2 {
        return None;
    }
    follow(o, &path[..path.len() - 1])
}

/// The pod spec of an object that runs pods: a workload's template's, a Pod's own.
pub fn pod_spec(o: &J) -> Option<&J> {
    if !runs_pods(o) {
        return None;
    }
    follow(o, pod_spec_path(api_version(o), kind(o))?)
}

/// The JSON pointer of a workload's pod template (`/spec/template`), for messages and patches.
pub fn pod_template_pointer(api_version: &str, kind: &str) -> Option<String> {
    let path = pod_spec_path(api_version, kind)?;
    (path.len() >= 2).then(|| {
        path[..path.len() - 1]
            .iter()
            .map(|k| format!("/{k}"))
            .collect()
    })
}

/// Every container of a pod spec, init containers (native sidecars among them) first, then
/// the regular ones.
pub fn containers(spec: &J) -> impl Iterator<Item = &J> {
    items(spec, "/initContainers").chain(items(spec, "/containers"))
}

/// Whether an init container is a native sidecar (`restartPolicy: Always`): it starts before
/// the containers after it and keeps running beside the regular containers.
pub fn is_sidecar(init_container: &J) -> bool {
    str_at(init_container, "/restartPolicy") == Some("Always")
}

/// The kinds that have no namespace: every cluster-scoped built-in kind a supported Kubernetes
/// version serves (k8s-openapi's types: a test in `render::builtin` holds this list to that
/// table), and the cluster-scoped custom kinds agentctl's objects name (cert-manager's
/// `ClusterIssuer`, External Secrets' `ClusterSecretStore`). Any other kind is namespaced, as
/// kustomize reads an unknown kind.
pub const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterTrustBundle",
    "ComponentStatus",
    "CustomResourceDefinition",
    "DeviceClass",
    "DeviceTaintRule",
    "FlowSchema",
    "IPAddress",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "ResourceSlice",
    "RuntimeClass",
    "ServiceCIDR",
    "StorageClass",
    "StorageVersion",
    "StorageVersionMigration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeAttributesClass",
    // Custom kinds agentctl's settings name (not rendered by it).
    "ClusterIssuer",
    "ClusterSecretStore",
];

/// Whether objects of `kind` have no namespace ([`CLUSTER_SCOPED`]).
pub fn cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workload(api: &str, kind: &str, at: &[&str]) -> J {
        let mut spec = json!({"containers": [{"name": kind}]});
        let mut o = json!({});
        for key in at.iter().rev() {
            spec = json!({ *key: spec });
        }
        o.as_object_mut()
            .unwrap()
            .extend(spec.as_object().unwrap().clone());
        o["apiVersion"] = json!(api);
        o["kind"] = json!(kind);
        o["metadata"] = json!({"name": "n", "namespace": "ns", "labels": {"a": "1", "b": 2}});
        o
    }

    #[test]
    fn every_workload_kind_has_its_pod_spec() {
        for (api, kind, at) in [
            ("apps/v1", "Deployment", &["spec", "template", "spec"][..]),
            ("apps/v1", "StatefulSet", &["spec", "template", "spec"]),
            ("apps/v1", "DaemonSet", &["spec", "template", "spec"]),
            ("apps/v1", "ReplicaSet", &["spec", "template", "spec"]),
            ("v1", "ReplicationController", &["spec", "template", "spec"]),
            ("batch/v1", "Job", &["spec", "template", "spec"]),
            (
                "batch/v1",
                "CronJob",
                &["spec", "jobTemplate", "spec", "template", "spec"],
            ),
            ("v1", "Pod", &["spec"]),
        ] {
            let o = workload(api, kind, at);
            let spec = pod_spec(&o).unwrap_or_else(|| panic!("{kind}"));
            assert_eq!(spec.pointer("/containers/0/name"), Some(&json!(kind)));
            assert!(runs_pods(&o), "{kind}");
            if kind == "Pod" {
                assert_eq!(pod_template(&o), None);
            } else {
                assert_eq!(pod_template(&o).and_then(|t| t.get("spec")), Some(spec));
            }
        }
        let cron = workload(
            "batch/v1",
            "CronJob",
            &["spec", "jobTemplate", "spec", "template", "spec"],
        );
        assert_eq!(
            pod_template_pointer(api_version(&cron), kind(&cron)).as_deref(),
            Some("/spec/jobTemplate/spec/template")
        );
    }

    #[test]
    fn a_pod_template_or_a_custom_kind_runs_nothing() {
        let t = workload("v1", "PodTemplate", &["template", "spec"]);
        assert!(!runs_pods(&t));
        assert_eq!(pod_spec(&t), None);
        assert_eq!(
            pod_spec_path("v1", "PodTemplate"),
            Some(&["template", "spec"][..])
        );
        // A custom resource named like a built-in kind is not one.
        let custom = workload(
            "example.com/v1",
            "Deployment",
            &["spec", "template", "spec"],
        );
        assert_eq!(pod_spec(&custom), None);
        assert_eq!(pod_spec(&json!({"kind": "Deployment"})), None);
        assert_eq!(pod_spec(&json!(null)), None);
    }

    #[test]
    fn metadata() {
        let o = workload("apps/v1", "Deployment", &["spec", "template", "spec"]);
        assert_eq!(
            (kind(&o), api_version(&o), group(&o)),
            ("Deployment", "apps/v1", "apps")
        );
        assert_eq!((name(&o), namespace(&o)), ("n", Some("ns")));
        assert_eq!(
            labels(&o).collect::<Vec<_>>(),
            [("a", "1")],
            "a non-string value is no label"
        );
        assert_eq!(group(&json!({"apiVersion": "v1"})), "");
        assert_eq!(
            (kind(&json!(1)), name(&json!({})), namespace(&json!({}))),
            ("", "", None)
        );
        assert_eq!(items(&o, "/spec/template/spec/containers").count(), 1);
        assert_eq!(items(&o, "/spec/nothing").count(), 0);
        assert_eq!(int_at(&json!({"a": 3}), "/a"), Some(3));
        assert_eq!(at(&json!({"a": null}), "/a"), None, "null is unset");
        assert_eq!(
            at(&json!({"a": {"b.c/d": 1}}), "/a/b.c~1d"),
            Some(&json!(1))
        );
    }

    #[test]
    fn pointer_finds_what_serde_json_finds() {
        let doc = json!({
            "": {"": 1, "x": [10, 11]}, "a": {"b": [{"c": "d"}, null, [true]], "e/f": 2, "g~h": 3,
            "0": "zero", "01": "one"}, "list": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            "n": null, "s": "text", "k": {"~1": 4, "/": 5}
        });
        let mut checked = 0;
        for p in [
            "",
            "/",
            "//",
            "//x",
            "//x/1",
            "/a",
            "/a/",
            "/a/b",
            "/a/b/0",
            "/a/b/0/c",
            "/a/b/1",
            "/a/b/2/0",
            "/a/b/3",
            "/a/b/-",
            "/a/b/00",
            "/a/b/01",
            "/a/b/+1",
            "/a/b/-1",
            "/a/b/ 1",
            "/a/b/1 ",
            "/a/b/0x1",
            "/a/b/18446744073709551616",
            "/a/e~1f",
            "/a/e/f",
            "/a/g~0h",
            "/a/g~h",
            "/a/0",
            "/a/01",
            "/list/11",
            "/list/12",
            "/list/010",
            "/n",
            "/n/x",
            "/s",
            "/s/0",
            "/k/~01",
            "/k/~1",
            "/k/~",
            "/k/~2",
            "a",
            "a/b",
            "/a/b/0/c/",
            "/nothing/deeper",
            "/list/1/x",
        ] {
            assert_eq!(pointer(&doc, p), doc.pointer(p), "pointer {p:?}");
            checked += 1;
        }
        assert_eq!(pointer(&doc, "/a/b/0/c"), Some(&json!("d")));
        assert_eq!(pointer(&doc, "/a/b/01"), None, "a leading zero is no index");
        assert_eq!(pointer(&doc, "/a/e~1f"), Some(&json!(2)));
        assert_eq!(checked, 44);
    }

    #[test]
    fn sidecars() {
        let spec = json!({"initContainers": [{"name": "s", "restartPolicy": "Always"}, {"name": "i"}],
            "containers": [{"name": "c"}]});
        let names: Vec<&str> = containers(&spec).map(|c| field_str(c, "/name")).collect();
        assert_eq!(names, ["s", "i", "c"]);
        let inits: Vec<bool> = items(&spec, "/initContainers").map(is_sidecar).collect();
        assert_eq!(inits, [true, false]);
    }
}
