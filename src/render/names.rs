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

/// The rule for an object's own `metadata.name`, by kind (the API server's: `names::own_name`).
fn own_name_rule(kind: &str) -> Rule {
    match names::own_name(kind) {
        names::OwnName::Rfc1035 => Rule::Rfc1035,
        names::OwnName::Label => Rule::Label,
        names::OwnName::JobName => Rule::JobName,
        names::OwnName::CronJobName => Rule::CronJobName,
        names::OwnName::PathSegment => Rule::PathSegment,
        names::OwnName::Subdomain => Rule::Subdomain,
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
                    // The child's path, built only where it is kept (a problem, a map or list
                    // to walk): not once per scalar of the object.
                    let p = || {
                        let mut p = path.clone();
                        p.push(Seg::Key(k.as_str().into()));
                        p
                    };
                    if let Some(rule) = rule_for(kind, context, in_list, &path, k, m)
                        && let J::String(value) = child
                        && let Err(why) = rule.check(value)
                    {
                        push(p(), false, value, rule, why);
                    }
                    match (context, k.as_str()) {
                        (Some("metadata"), "labels" | "annotations") => {
                            if let J::Object(entries) = child {
                                for (lk, lv) in entries {
                                    let q = || {
                                        let mut q = p();
                                        q.push(Seg::Key(lk.as_str().into()));
                                        q
                                    };
                                    if let Err(why) = names::qualified_name(lk) {
                                        push(q(), true, lk, Rule::QualifiedName, why);
                                    }
                                    if k == "labels"
                                        && let J::String(lv) = lv
                                        && let Err(why) = names::label_value(lv)
                                    {
                                        push(q(), false, lv, Rule::LabelValue, why);
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
                                        let mut q = p();
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
                                    let q = || {
                                        let mut q = p();
                                        q.push(Seg::Key(lk.as_str().into()));
                                        q
                                    };
                                    if let Err(why) = names::qualified_name(lk) {
                                        push(q(), true, lk, Rule::QualifiedName, why);
                                    }
                                    if let J::String(lv) = lv
                                        && let Err(why) = names::label_value(lv)
                                    {
                                        push(q(), false, lv, Rule::LabelValue, why);
                                    }
                                }
                            }
                            continue;
                        }
                        (None, "data" | "binaryData") if matches!(kind, "ConfigMap" | "Secret") => {
                            if let J::Object(entries) = child {
                                for dk in entries.keys() {
                                    if let Err(why) = names::config_key(dk) {
                                        let mut q = p();
                                        q.push(Seg::Key(dk.as_str().into()));
                                        push(q, true, dk, Rule::ConfigKey, why);
                                    }
                                }
                            }
                            continue;
                        }
                        _ => {}
                    }
                    // A scalar has nothing below it to walk.
                    if matches!(child, J::Object(_) | J::Array(_)) {
                        stack.push((child, p()));
                    }
                }
            }
            J::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    if matches!(child, J::Object(_) | J::Array(_)) {
                        let mut p = path.clone();
                        p.push(Seg::Index(i));
                        stack.push((child, p));
                    }
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
mod tests;
