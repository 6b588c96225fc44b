//! Every name in a final object checked for its kind, whatever produced it: the object's own name
//! and namespace, its label and annotation keys and label values, and every name a pod spec or
//! another object uses to reference something (a Secret and its keys, a ConfigMap and its keys,
//! a claim, a ServiceAccount, a PriorityClass, an image pull Secret, a scale target, a role).
//!
//! The rules are the API server's ([`crate::config::names`]): what fails here, `kubectl apply`
//! would refuse anyway, so nothing valid is lost. Checking them before the objects are written
//! or printed is what keeps such a name out of the commands agentctl prints (`kubectl create
//! secret NAME`, the data-loss fix) and out of the reports, where the shell or a markdown
//! renderer would read it as something else. The typed settings are checked when they are
//! read; this is the check of what the escape hatch (`patches:`, `resources:`) produced.

use serde_json::Value as J;

use crate::config::credentials::key_holds_credential;
use crate::config::names;
use crate::config::patches::{PatchError, PathDisplay, Seg};

/// Which rule a name follows.
#[derive(Clone, Copy)]
enum Rule {
    Subdomain,
    /// A Job's name: a subdomain that fits the `job-name` label its pods get (63).
    JobName,
    /// A CronJob's name: a subdomain that leaves room for its Jobs' suffix (52).
    CronJobName,
    Label,
    Rfc1035,
    PathSegment,
    ConfigKey,
    LabelValue,
    QualifiedName,
    PortName,
    DescendingPath,
    LocalPath,
    DevicePath,
    Ip,
    OsName,
    EnvName,
}

impl Rule {
    fn check(self, v: &str) -> Result<(), &'static str> {
        match self {
            Rule::Subdomain => names::dns1123_subdomain(v),
            Rule::JobName | Rule::CronJobName => {
                names::dns1123_subdomain(v)?;
                let most = if matches!(self, Rule::JobName) {
                    63
                } else {
                    52
                };
                if v.len() > most {
                    return Err(if most == 63 {
                        "it is longer than 63 characters (its pods' `job-name` label)"
                    } else {
                        "it is longer than 52 characters (the API server's limit for a CronJob)"
                    });
                }
                Ok(())
            }
            Rule::Label => names::dns1123_label(v),
            Rule::Rfc1035 => names::dns1035_label(v),
            Rule::PathSegment => names::path_segment(v),
            Rule::ConfigKey => names::config_key(v),
            Rule::LabelValue => names::label_value(v),
            Rule::QualifiedName => names::qualified_name(v),
            Rule::PortName => names::port_name(v),
            Rule::DescendingPath => names::descending_path(v),
            Rule::LocalPath => names::local_path(v),
            Rule::DevicePath => names::device_path(v),
            Rule::Ip => names::ip_address(v),
            Rule::OsName => names::os_name(v),
            Rule::EnvName => names::env_var_name(v),
        }
    }

    /// Whether the nearest DNS name is a fix worth suggesting (not for a path, an address or an
    /// environment variable, whose case matters).
    fn suggests(self) -> bool {
        !matches!(
            self,
            Rule::DescendingPath
                | Rule::LocalPath
                | Rule::DevicePath
                | Rule::Ip
                | Rule::OsName
                | Rule::EnvName
        )
    }

    fn what(self) -> &'static str {
        match self {
            Rule::Subdomain => {
                "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253)"
            }
            Rule::JobName => "a Job's name (a DNS-1123 subdomain of at most 63 characters)",
            Rule::CronJobName => "a CronJob's name (a DNS-1123 subdomain of at most 52 characters)",
            Rule::Label => "a DNS-1123 label (lowercase letters, digits and '-', at most 63)",
            Rule::Rfc1035 => {
                "an RFC 1035 label (a lowercase letter, then lowercase letters, digits and '-', at most 63)"
            }
            Rule::PathSegment => "a path segment name (not '.' or '..', no '/' or '%')",
            Rule::ConfigKey => {
                "a ConfigMap or Secret key (letters, digits, '-', '_' and '.', at most 253)"
            }
            Rule::LabelValue => {
                "a label value (letters, digits, '-', '_' and '.', at most 63, starting and ending with a letter or digit)"
            }
            Rule::QualifiedName => {
                "a label or annotation key (an optional DNS-1123 subdomain and '/', then letters, digits, '-', '_' and '.', at most 63)"
            }
            Rule::PortName => {
                "an IANA service name, the name of a port (at most 15 lowercase letters, digits and '-', at least one letter)"
            }
            Rule::DescendingPath => "a path inside the volume (relative, no '..' element)",
            Rule::LocalPath => {
                "a file path inside the volume (relative, no '..' element, not starting with '..')"
            }
            Rule::DevicePath => "a device path (no '..' element)",
            Rule::Ip => "an IP address",
            Rule::OsName => "an operating system Kubernetes runs pods on (`linux` or `windows`)",
            Rule::EnvName => {
                "an environment variable name (printable ASCII characters other than '=')"
            }
        }
    }
}

/// The rule for an object's own `metadata.name`, by kind (the API server's).
fn own_name_rule(kind: &str) -> Rule {
    match kind {
        "Service" => Rule::Rfc1035,
        "Namespace" => Rule::Label,
        "Job" => Rule::JobName,
        "CronJob" => Rule::CronJobName,
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => Rule::PathSegment,
        _ => Rule::Subdomain,
    }
}

/// Every name in `obj` that does not follow its rule, as an error at its path in the object (a
/// map key's error is on the key). Values are shown escaped (`{:?}`), never raw.
pub fn unfit(obj: &J) -> Vec<PatchError> {
    let kind = obj.get("kind").and_then(J::as_str).unwrap_or_default();
    let mut out = Vec::new();
    let mut push = |path: Vec<Seg>, on_key: bool, value: &str, rule: Rule, why: &str| {
        out.push(PatchError {
            path,
            on_key,
            message: format!("{} is not {}: {why}", shown(value), rule.what()),
            hint: Some({
                let e = names::suggest_name(
                    value,
                    matches!(rule, Rule::Subdomain | Rule::JobName | Rule::CronJobName),
                );
                // A name that holds a credential: no suggestion (it would spell it out).
                if rule.suggests() && rule.check(&e).is_ok() && !key_holds_credential(value) {
                    format!("Kubernetes refuses it (`kubectl apply` would fail); use e.g. `{e}`")
                } else {
                    "Kubernetes refuses it (`kubectl apply` would fail)".to_owned()
                }
            }),
        });
    };
    let mut stack: Vec<(&J, Vec<Seg>)> = vec![(obj, Vec::new())];
    while let Some((v, path)) = stack.pop() {
        match v {
            J::Object(m) => {
                // The key this map sits under (for a list item: the list's key).
                let context = path.iter().rev().find_map(|s| match s {
                    Seg::Key(k) => Some(k.as_str()),
                    _ => None,
                });
                let in_list = matches!(path.last(), Some(Seg::Index(_)));
                for (k, child) in m {
                    let mut p = path.clone();
                    p.push(Seg::Key(k.clone()));
                    if let Some(rule) = rule_for(kind, context, in_list, &path, k, m)
                        && let J::String(value) = child
                        && let Err(why) = rule.check(value)
                    {
                        push(p.clone(), false, value, rule, why);
                    }
                    match (context, k.as_str()) {
                        (Some("metadata"), "labels" | "annotations") => {
                            if let J::Object(entries) = child {
                                for (lk, lv) in entries {
                                    let mut q = p.clone();
                                    q.push(Seg::Key(lk.clone()));
                                    if let Err(why) = names::qualified_name(lk) {
                                        push(q.clone(), true, lk, Rule::QualifiedName, why);
                                    }
                                    if k == "labels"
                                        && let J::String(lv) = lv
                                        && let Err(why) = names::label_value(lv)
                                    {
                                        push(q, false, lv, Rule::LabelValue, why);
                                    }
                                }
                            }
                            continue;
                        }
                        // The names a pod's /etc/hosts gives an address.
                        (Some("hostAliases"), "hostnames") => {
                            if let J::Array(hosts) = child {
                                for (h, host) in hosts.iter().enumerate() {
                                    if let J::String(host) = host
                                        && let Err(why) = names::dns1123_subdomain(host)
                                    {
                                        let mut q = p.clone();
                                        q.push(Seg::Index(h));
                                        push(q, false, host, Rule::Subdomain, why);
                                    }
                                }
                            }
                            continue;
                        }
                        (_, "nodeSelector") => {
                            if let J::Object(entries) = child {
                                for (lk, lv) in entries {
                                    let mut q = p.clone();
                                    q.push(Seg::Key(lk.clone()));
                                    if let Err(why) = names::qualified_name(lk) {
                                        push(q.clone(), true, lk, Rule::QualifiedName, why);
                                    }
                                    if let J::String(lv) = lv
                                        && let Err(why) = names::label_value(lv)
                                    {
                                        push(q, false, lv, Rule::LabelValue, why);
                                    }
                                }
                            }
                            continue;
                        }
                        (None, "data" | "binaryData") if matches!(kind, "ConfigMap" | "Secret") => {
                            if let J::Object(entries) = child {
                                for dk in entries.keys() {
                                    if let Err(why) = names::config_key(dk) {
                                        let mut q = p.clone();
                                        q.push(Seg::Key(dk.clone()));
                                        push(q, true, dk, Rule::ConfigKey, why);
                                    }
                                }
                            }
                            continue;
                        }
                        _ => {}
                    }
                    stack.push((child, p));
                }
            }
            J::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let mut p = path.clone();
                    p.push(Seg::Index(i));
                    stack.push((child, p));
                }
            }
            _ => {}
        }
    }
    out.sort_by(|a, b| {
        PathDisplay(&a.path)
            .to_string()
            .cmp(&PathDisplay(&b.path).to_string())
    });
    out
}

/// The rule for the string field `field` of a map at `path` (under `context`), if it is a name.
fn rule_for(
    kind: &str,
    context: Option<&str>,
    in_list: bool,
    path: &[Seg],
    field: &str,
    map: &serde_json::Map<String, J>,
) -> Option<Rule> {
    let grand = || {
        path.iter().rev().filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            _ => None,
        })
    };
    // A map of a container's list (`ports`, `env`): the list's key, then the containers'.
    let in_container = || {
        grand()
            .nth(1)
            .is_some_and(|g| matches!(g, "containers" | "initContainers" | "ephemeralContainers"))
    };
    Some(match (context, field) {
        (Some("metadata"), "name") if path.len() == 1 => own_name_rule(kind),
        (Some("metadata"), "name") => Rule::Subdomain,
        (Some("metadata"), "namespace") => Rule::Label,
        (
            Some(
                "imagePullSecrets" | "secretKeyRef" | "configMapKeyRef" | "secretRef"
                | "configMapRef" | "scaleTargetRef",
            ),
            "name",
        ) => Rule::Subdomain,
        (Some("secretKeyRef" | "configMapKeyRef"), "key") => Rule::ConfigKey,
        (Some("secret"), "secretName") => Rule::Subdomain,
        // A volume's or a projected source's ConfigMap / Secret.
        (Some("configMap" | "secret"), "name") => Rule::Subdomain,
        (Some("items"), "key")
            if grand()
                .nth(1)
                .is_some_and(|g| matches!(g, "secret" | "configMap")) =>
        {
            Rule::ConfigKey
        }
        (Some("persistentVolumeClaim"), "claimName") => Rule::Subdomain,
        // A Secret named by a volume source (`csi.nodePublishSecretRef`, a PersistentVolume's
        // `csi.nodeStageSecretRef`, `cephfs.secretRef`, ...), and its namespace where it has
        // one; `azureFile.secretName`.
        (Some(ctx), "name") if ctx.ends_with("SecretRef") => Rule::Subdomain,
        (Some(ctx), "namespace") if ctx.ends_with("SecretRef") || ctx == "secretRef" => Rule::Label,
        (Some("azureFile"), "secretName") => Rule::Subdomain,
        (Some("csi"), "driver") => Rule::Subdomain,
        (Some("clusterTrustBundle" | "dataSource" | "dataSourceRef"), "name") => Rule::Subdomain,
        // Names the API server checks only when set: empty means "none" (`storageClassName:
        // ""` is no class at all).
        (
            _,
            "serviceAccountName"
            | "priorityClassName"
            | "schedulerName"
            | "nodeName"
            | "storageClassName"
            | "volumeName"
            | "resourceClaimName"
            | "resourceClaimTemplateName",
        ) if matches!(map.get(field), Some(J::String(v)) if v.is_empty()) => return None,
        (
            _,
            "serviceAccountName"
            | "priorityClassName"
            | "runtimeClassName"
            | "schedulerName"
            | "nodeName"
            | "storageClassName"
            | "ingressClassName"
            | "resourceClaimName"
            | "resourceClaimTemplateName",
        ) => Rule::Subdomain,
        (Some("spec"), "volumeName") => Rule::Subdomain,
        // `serviceAccount`, the deprecated spelling of `serviceAccountName` the API server
        // still reads; a ServiceAccount's `secrets`.
        (Some("spec"), "serviceAccount") if !matches!(map.get(field), Some(J::String(v)) if v.is_empty()) => {
            Rule::Subdomain
        }
        (Some("secrets"), "name") if in_list && kind == "ServiceAccount" => Rule::Subdomain,
        // A pod's own DNS name parts.
        (Some("spec"), "hostname" | "subdomain") if !matches!(map.get(field), Some(J::String(v)) if v.is_empty()) => {
            Rule::Label
        }
        // The Service a StatefulSet, an Ingress backend or a webhook names (a Service's name is
        // an RFC 1035 label; the looser DNS-1123 label is what every older Service has).
        (Some("spec"), "serviceName") if kind == "StatefulSet" => Rule::Label,
        (Some("service"), "name") => Rule::Label,
        (Some("volumeDevices" | "resourceClaims"), "name") if in_list => Rule::Label,
        (Some("schedulingGates"), "name") if in_list => Rule::QualifiedName,
        (_, "topologyKey") => Rule::QualifiedName,
        (Some("containers" | "initContainers" | "ephemeralContainers" | "volumes"), "name")
            if in_list =>
        {
            Rule::Label
        }
        (Some("volumeMounts"), "name") if in_list => Rule::Label,
        (Some("roleRef"), "name") => Rule::PathSegment,
        // Ports by name: a container's, the one a Service, a probe, a hook, a NetworkPolicy or
        // an Ingress backend names (a string; a number is a port number).
        (Some("ports"), "name") if in_list && in_container() => Rule::PortName,
        (Some("ports"), "name") if in_list && kind == "Service" && path.len() == 3 => Rule::Label,
        (Some("ports"), "targetPort") if in_list && kind == "Service" => Rule::PortName,
        (Some("ports"), "port") if in_list && kind == "NetworkPolicy" => Rule::PortName,
        (Some("httpGet" | "tcpSocket"), "port") => Rule::PortName,
        (Some("port"), "name") if grand().nth(1) == Some("service") => Rule::PortName,
        // Paths inside a volume: a projected file's, a mount's below its volume's root.
        (Some("items"), "path")
            if in_list
                && grand()
                    .nth(1)
                    .is_some_and(|g| matches!(g, "secret" | "configMap" | "downwardAPI")) =>
        {
            Rule::LocalPath
        }
        (Some("serviceAccountToken" | "clusterTrustBundle"), "path") => Rule::LocalPath,
        (Some("volumeMounts"), "subPath" | "subPathExpr")
            if in_list && !matches!(map.get(field), Some(J::String(v)) if v.is_empty()) =>
        {
            Rule::DescendingPath
        }
        (Some("volumeDevices"), "devicePath") if in_list => Rule::DevicePath,
        (Some("hostAliases"), "ip") if in_list => Rule::Ip,
        (Some("os"), "name") if grand().nth(1) == Some("spec") => Rule::OsName,
        (Some("env"), "name") if in_list && in_container() => Rule::EnvName,
        (Some("envFrom"), "prefix")
            if in_list && !matches!(map.get(field), Some(J::String(v)) if v.is_empty()) =>
        {
            Rule::EnvName
        }
        (Some("subjects"), "name")
            if in_list && map.get("kind").and_then(J::as_str) == Some("ServiceAccount") =>
        {
            Rule::Subdomain
        }
        (Some("subjects"), "namespace") if in_list => Rule::Label,
        _ => return None,
    })
}

/// A value as a message shows it: quoted, control characters and quotes escaped.
/// A name as a message shows it: escaped, cut, or `<redacted>` when it holds a credential.
fn shown(v: &str) -> String {
    if key_holds_credential(v) {
        return crate::config::credentials::REDACTED_KEY.to_owned();
    }
    let cut: String = v.chars().take(80).collect();
    let more = if cut.len() < v.len() { "..." } else { "" };
    format!("{cut:?}{more}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(o: &J) -> Vec<String> {
        unfit(o)
            .iter()
            .map(|e| PathDisplay(&e.path).to_string())
            .collect()
    }

    #[test]
    fn a_valid_object_has_no_unfit_name() {
        let o = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "agent", "namespace": "ns", "labels": {"app.kubernetes.io/name": "agent"},
                         "annotations": {"note": "anything at all $(x)"}},
            "spec": {"template": {"spec": {
                "serviceAccountName": "agent",
                "imagePullSecrets": [{"name": "regcred"}],
                "containers": [{"name": "agent", "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "agent-secrets", "key": "api.key"}}}],
                                "volumeMounts": [{"name": "cfg", "mountPath": "/x"}]}],
                "volumes": [{"name": "cfg", "secret": {"secretName": "s", "items": [{"key": "ca.crt", "path": "ca"}]}},
                            {"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}}});
        assert_eq!(paths(&o), Vec::<String>::new());
        let rb = json!({"kind": "RoleBinding", "metadata": {"name": "system:x"},
            "roleRef": {"kind": "ClusterRole", "name": "system:aggregate-to-view"},
            "subjects": [{"kind": "User", "name": "Jane Doe"}]});
        assert_eq!(paths(&rb), Vec::<String>::new());
    }

    #[test]
    fn every_reference_is_checked() {
        let evil = "x$(touch canary)";
        let o = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": evil, "namespace": "a b", "labels": {"k": "v;v"}, "annotations": {"a b": "ok"}},
            "spec": {"scaleTargetRef": {"name": evil}, "template": {"spec": {
                "serviceAccountName": evil, "priorityClassName": evil,
                "imagePullSecrets": [{"name": evil}],
                "containers": [{"name": "Agent", "envFrom": [{"secretRef": {"name": evil}}, {"configMapRef": {"name": evil}}],
                    "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": evil, "key": "k`id`"}}},
                            {"name": "L", "valueFrom": {"configMapKeyRef": {"name": "ok", "key": "a b"}}}]}],
                "volumes": [{"name": "v", "secret": {"secretName": evil, "items": [{"key": "$(id)", "path": "p"}]}},
                            {"name": "w", "configMap": {"name": evil}},
                            {"name": "x", "persistentVolumeClaim": {"claimName": evil}},
                            {"name": "y", "projected": {"sources": [{"secret": {"name": evil}}]}}]}}}});
        let p = paths(&o);
        for want in [
            "metadata.name",
            "metadata.namespace",
            "metadata.labels.k",
            "metadata.annotations.a b",
            "spec.scaleTargetRef.name",
            "spec.template.spec.serviceAccountName",
            "spec.template.spec.priorityClassName",
            "spec.template.spec.imagePullSecrets[0].name",
            "spec.template.spec.containers[0].name",
            "spec.template.spec.containers[0].envFrom[0].secretRef.name",
            "spec.template.spec.containers[0].envFrom[1].configMapRef.name",
            "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name",
            "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key",
            "spec.template.spec.containers[0].env[1].valueFrom.configMapKeyRef.key",
            "spec.template.spec.volumes[0].secret.secretName",
            "spec.template.spec.volumes[0].secret.items[0].key",
            "spec.template.spec.volumes[1].configMap.name",
            "spec.template.spec.volumes[2].persistentVolumeClaim.claimName",
            "spec.template.spec.volumes[3].projected.sources[0].secret.name",
        ] {
            assert!(p.iter().any(|x| x == want), "{want} not in {p:#?}");
        }
        let e = unfit(&o);
        let name = e
            .iter()
            .find(|e| PathDisplay(&e.path).to_string() == "metadata.name");
        let msg = name.map(|e| e.message.as_str()).unwrap_or_default();
        assert!(msg.starts_with("\"x$(touch canary)\" is not "), "{msg}");
    }

    #[test]
    fn names_follow_their_kind() {
        let svc = json!({"kind": "Service", "metadata": {"name": "1redis"}});
        assert_eq!(paths(&svc), ["metadata.name"]);
        // A subdomain is 253 in all (a long dotless ConfigMap name is valid); a Job's and a
        // CronJob's name are held to what their pods' label and Jobs' suffix leave.
        let long = "a".repeat(205);
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": long}});
        assert!(paths(&cm).is_empty());
        let job = json!({"kind": "Job", "metadata": {"name": "a".repeat(64)}});
        assert_eq!(paths(&job), ["metadata.name"]);
        let cj = json!({"kind": "CronJob", "metadata": {"name": "a".repeat(53)}});
        assert_eq!(paths(&cj), ["metadata.name"]);
        let cj = json!({"kind": "CronJob", "metadata": {"name": "a".repeat(52)}});
        assert!(paths(&cj).is_empty());
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "a.b"}, "data": {"ok.key": "", "bad key": ""}, "binaryData": {"$(x)": ""}});
        assert_eq!(paths(&cm), ["binaryData.$(x)", "data.bad key"]);
        let rb = json!({"kind": "ClusterRoleBinding", "metadata": {"name": "a/b"},
            "roleRef": {"name": "%"}, "subjects": [{"kind": "ServiceAccount", "name": "A", "namespace": "x y"}]});
        assert_eq!(
            paths(&rb),
            [
                "metadata.name",
                "roleRef.name",
                "subjects[0].name",
                "subjects[0].namespace"
            ]
        );
    }

    /// Every name or reference field of a pod spec and of the objects around it, with the
    /// rule the API server applies (held back from the findings: other secret references,
    /// scheduling names, DNS parts, node selectors), set through one object as a patch would.
    #[test]
    fn every_name_of_a_pod_spec_is_checked_with_its_rule() {
        let evil = "x$(touch canary)";
        let o = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "redis"},
            "spec": {"serviceName": evil, "template": {"spec": {
                "runtimeClassName": evil, "schedulerName": evil, "nodeName": evil,
                "serviceAccount": evil,
                "hostname": "a.b", "subdomain": "Sub",
                "nodeSelector": {"a b": "ok", "zone": "x;y"},
                "schedulingGates": [{"name": "a b"}],
                "resourceClaims": [{"name": "A", "resourceClaimName": evil}],
                "topologySpreadConstraints": [{"topologyKey": "a b", "maxSkew": 1}],
                "containers": [{"name": "c", "volumeDevices": [{"name": "D", "devicePath": "/d"}]}],
                "volumes": [
                    {"name": "v", "csi": {"driver": "D!", "nodePublishSecretRef": {"name": evil}}},
                    {"name": "w", "cephfs": {"monitors": ["m"], "secretRef": {"name": evil}}},
                    {"name": "x", "azureFile": {"secretName": evil, "shareName": "s"}},
                    {"name": "y", "projected": {"sources": [{"clusterTrustBundle": {"name": evil, "path": "p"}}]}}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"storageClassName": evil, "volumeName": evil,
                             "dataSource": {"kind": "VolumeSnapshot", "name": evil}}}]}});
        let p = paths(&o);
        for want in [
            "spec.serviceName",
            "spec.template.spec.runtimeClassName",
            "spec.template.spec.schedulerName",
            "spec.template.spec.serviceAccount",
            "spec.template.spec.nodeName",
            "spec.template.spec.hostname",
            "spec.template.spec.subdomain",
            "spec.template.spec.nodeSelector.a b",
            "spec.template.spec.nodeSelector.zone",
            "spec.template.spec.schedulingGates[0].name",
            "spec.template.spec.resourceClaims[0].name",
            "spec.template.spec.resourceClaims[0].resourceClaimName",
            "spec.template.spec.topologySpreadConstraints[0].topologyKey",
            "spec.template.spec.containers[0].volumeDevices[0].name",
            "spec.template.spec.volumes[0].csi.driver",
            "spec.template.spec.volumes[0].csi.nodePublishSecretRef.name",
            "spec.template.spec.volumes[1].cephfs.secretRef.name",
            "spec.template.spec.volumes[2].azureFile.secretName",
            "spec.template.spec.volumes[3].projected.sources[0].clusterTrustBundle.name",
            "spec.volumeClaimTemplates[0].spec.storageClassName",
            "spec.volumeClaimTemplates[0].spec.volumeName",
            "spec.volumeClaimTemplates[0].spec.dataSource.name",
        ] {
            assert!(p.iter().any(|x| x == want), "{want} not in {p:#?}");
        }
        // A label is the rule of a pod's DNS parts: a subdomain's dot is refused there.
        let msg = |path: &str| {
            unfit(&o)
                .into_iter()
                .find(|e| PathDisplay(&e.path).to_string() == path)
                .map(|e| e.message)
                .unwrap_or_default()
        };
        assert!(msg("spec.template.spec.hostname").contains("DNS-1123 label"));
        assert!(msg("spec.template.spec.runtimeClassName").contains("DNS-1123 subdomain"));
        // Valid values, and the empty ones that mean "none", pass.
        let ok = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {
            "runtimeClassName": "gvisor", "schedulerName": "my.scheduler", "hostname": "h-1",
            "subdomain": "", "storageClassName": "", "nodeName": "node-1.example",
            "nodeSelector": {"kubernetes.io/os": "linux", "empty": ""},
            "volumes": [{"name": "v", "csi": {"driver": "secrets-store.csi.k8s.io",
                "nodePublishSecretRef": {"name": "vault.creds"}}}]}});
        assert_eq!(paths(&ok), Vec::<String>::new());
        let sa = json!({"kind": "ServiceAccount", "metadata": {"name": "agent"},
            "secrets": [{"name": evil}], "imagePullSecrets": [{"name": evil}]});
        assert_eq!(paths(&sa), ["imagePullSecrets[0].name", "secrets[0].name"]);
    }

    /// Ports by name, paths inside volumes, addresses, the OS and environment variable names:
    /// each with the API server's rule and words (issue 20's attack: unchecked via patches).
    #[test]
    fn ports_paths_and_addresses_of_a_pod_spec_are_checked() {
        let o = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {
                "os": {"name": "plan9"},
                "hostAliases": [{"ip": "10.0.0.300", "hostnames": ["ok.example", "Bad Host"]}],
                "containers": [{"name": "c",
                    "ports": [{"name": "much-too-long-name", "containerPort": 80}],
                    "env": [{"name": "A=B", "value": "x"}],
                    "envFrom": [{"prefix": "P=", "configMapRef": {"name": "cm"}}],
                    "readinessProbe": {"httpGet": {"port": "HTTP"}},
                    "livenessProbe": {"tcpSocket": {"port": 8080}},
                    "volumeMounts": [{"name": "v", "mountPath": "/v", "subPath": "../etc"},
                                     {"name": "w", "mountPath": "/w", "subPathExpr": "/abs"}],
                    "volumeDevices": [{"name": "b", "devicePath": "/dev/../x"}]}],
                "volumes": [
                    {"name": "v", "configMap": {"name": "cm", "items": [{"key": "k", "path": "/etc/passwd"}]}},
                    {"name": "w", "secret": {"secretName": "s", "items": [{"key": "k", "path": "..data"}]}},
                    {"name": "x", "projected": {"sources": [
                        {"serviceAccountToken": {"path": "../token"}},
                        {"downwardAPI": {"items": [{"path": "a/../b", "fieldRef": {"fieldPath": "metadata.name"}}]}}]}}]}}}});
        let p = paths(&o);
        let want = [
            "spec.template.spec.containers[0].env[0].name",
            "spec.template.spec.containers[0].envFrom[0].prefix",
            "spec.template.spec.containers[0].ports[0].name",
            "spec.template.spec.containers[0].readinessProbe.httpGet.port",
            "spec.template.spec.containers[0].volumeDevices[0].devicePath",
            "spec.template.spec.containers[0].volumeMounts[0].subPath",
            "spec.template.spec.containers[0].volumeMounts[1].subPathExpr",
            "spec.template.spec.hostAliases[0].hostnames[1]",
            "spec.template.spec.hostAliases[0].ip",
            "spec.template.spec.os.name",
            "spec.template.spec.volumes[0].configMap.items[0].path",
            "spec.template.spec.volumes[1].secret.items[0].path",
            "spec.template.spec.volumes[2].projected.sources[0].serviceAccountToken.path",
            "spec.template.spec.volumes[2].projected.sources[1].downwardAPI.items[0].path",
        ];
        let mut sorted = want.to_vec();
        sorted.sort_unstable();
        assert_eq!(p, sorted);
        let msg = |path: &str| {
            unfit(&o)
                .into_iter()
                .find(|e| PathDisplay(&e.path).to_string() == path)
                .map(|e| format!("{} / {}", e.message, e.hint.unwrap_or_default()))
                .unwrap_or_default()
        };
        assert!(
            msg(want[2]).contains("must be no more than 15 characters"),
            "{}",
            msg(want[2])
        );
        assert!(msg(want[5]).contains("must not contain '..'"));
        assert!(msg(want[6]).contains("must be a relative path"));
        assert!(msg(want[8]).contains("must be a valid IP address"));
        assert!(msg(want[9]).contains("supported values: \"linux\", \"windows\""));
        assert!(msg(want[11]).contains("must not start with '..'"));
        // No DNS name suggested for a path.
        assert!(!msg(want[10]).contains("use e.g."), "{}", msg(want[10]));
        // A Service's port names are DNS labels, its targetPort a port name; valid ones pass.
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"name": "Web", "port": 80, "targetPort": "http--x"},
                               {"name": "metrics-endpoint-long", "port": 81, "targetPort": 8080},
                               {"name": "m", "port": 82, "targetPort": "metrics"}]}});
        assert_eq!(
            paths(&svc),
            ["spec.ports[0].name", "spec.ports[0].targetPort"]
        );
        let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"},
            "spec": {"ingress": [{"ports": [{"port": "Redis"}, {"port": 6379}, {"port": "redis"}]}]}});
        assert_eq!(paths(&np), ["spec.ingress[0].ports[0].port"]);
        let ok = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {
            "os": {"name": "linux"}, "hostAliases": [{"ip": "fe80::1", "hostnames": ["db.local"]}],
            "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 80}],
                "env": [{"name": "lower.case-ok", "value": "v"}], "envFrom": [{"prefix": ""}],
                "volumeMounts": [{"name": "v", "mountPath": "/v", "subPath": "a/b", "subPathExpr": ""}]}],
            "volumes": [{"name": "v", "secret": {"secretName": "s", "items": [{"key": "k", "path": "dir/file..txt"}]}}]}});
        assert_eq!(paths(&ok), Vec::<String>::new());
    }

    /// Every reference `k8s::refs` reads (what the prerequisites print) is a checked name.
    #[test]
    fn every_reference_the_prerequisites_print_is_checked() {
        let evil = "a b";
        let o = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {
                "imagePullSecrets": [{"name": evil}],
                "containers": [{"name": "c",
                    "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": evil, "key": evil}}},
                            {"name": "L", "valueFrom": {"configMapKeyRef": {"name": evil, "key": evil}}}],
                    "envFrom": [{"secretRef": {"name": evil}}, {"configMapRef": {"name": evil}}]}],
                "volumes": [{"name": "v1", "secret": {"secretName": evil, "items": [{"key": evil, "path": "p"}]}},
                            {"name": "v2", "configMap": {"name": evil, "items": [{"key": evil, "path": "p"}]}},
                            {"name": "v3", "projected": {"sources": [{"secret": {"name": evil}}, {"configMap": {"name": evil}}]}},
                            {"name": "v4", "csi": {"driver": "d", "nodePublishSecretRef": {"name": evil}}},
                            {"name": "v5", "persistentVolumeClaim": {"claimName": evil}}]}}}});
        let refs = crate::k8s::refs::of(std::slice::from_ref(&o));
        let named = refs.secrets.len() + refs.config_maps.len() + refs.claims.len();
        assert!(named > 0 && !refs.pull_secrets.is_empty(), "{refs:?}");
        assert_eq!(paths(&o).len(), 15, "{:#?}", paths(&o));
    }
}
