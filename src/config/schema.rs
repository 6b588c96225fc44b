//! The JSON Schema of the configuration, and checking a located layer tree against it.
//!
//! The schema is generated from the [`Config`] types by schemars, so the
//! docs, defaults and the set of valid keys can never drift from the code. The same schema is
//! what `agentctl schema` prints (for editors), what a layer is checked against (every unknown
//! key, wrong type, bad enum value and out-of-range number in one pass, each located, with the
//! valid keys and a "did you mean"), what types a `--set` value, and what `explain` documents.

use std::sync::OnceLock;

use serde_json::Value as J;

use crate::config::Config;

/// The schema document, generated once per process.
pub fn schema() -> &'static J {
    static SCHEMA: OnceLock<J> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = schemars::schema_for!(Config).to_value();
        removable_entries(&mut schema);
        if let Some(obj) = schema.as_object_mut() {
            obj.insert(
                "$id".into(),
                J::String("https://agentctl.dev/schema/override.json".into()),
                // A stable identifier; the schema is always taken from `agentctl schema`.
            );
            obj.insert("title".into(), J::String("agentctl override file".into()));
            if let Some(J::Object(props)) = obj.get_mut("properties") {
                props.extend(super::patches::schema());
            }
        }
        schema
    })
}

/// Lets every map entry be `null` (the removal rule, [`Removal::Entry`]), so an editor reading
/// the schema accepts `node-type: null` under `agent.nodeSelector` as agentctl does.
fn removable_entries(schema: &mut J) {
    match schema {
        J::Object(obj) => {
            let is_map = obj.get("properties").is_none()
                && matches!(obj.get("additionalProperties"), Some(J::Object(_)));
            for v in obj.values_mut() {
                removable_entries(v);
            }
            if is_map && let Some(entry) = obj.get_mut("additionalProperties") {
                let inner = entry.take();
                // `x-removable`: the `null` is the removal rule, not an optional value
                // (`describe` leaves "(optional)" out).
                *entry =
                    serde_json::json!({"anyOf": [inner, {"type": "null"}], "x-removable": true});
            }
        }
        J::Array(items) => items.iter_mut().for_each(removable_entries),
        _ => {}
    }
}

/// Follows a local `$ref` (`#/$defs/Name`).
pub(crate) fn resolve(schema: &J) -> &J {
    let mut current = schema;
    for _ in 0..8 {
        match current.get("$ref").and_then(J::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                match schema_defs().and_then(|d| d.get(name)) {
                    Some(target) => current = target,
                    None => return current,
                }
            }
            None => return current,
        }
    }
    current
}

fn schema_defs() -> Option<&'static serde_json::Map<String, J>> {
    schema().get("$defs").and_then(J::as_object)
}

/// The alternatives of a schema (`anyOf` / `oneOf`), or the schema itself.
pub(crate) fn branches(schema: &J) -> Vec<&J> {
    let schema = resolve(schema);
    for key in ["anyOf", "oneOf"] {
        if let Some(list) = schema.get(key).and_then(J::as_array) {
            return list.iter().flat_map(branches).collect();
        }
    }
    vec![schema]
}

pub(crate) fn types_of(schema: &J) -> Vec<&str> {
    match schema.get("type") {
        Some(J::String(t)) => vec![t.as_str()],
        Some(J::Array(ts)) => ts.iter().filter_map(J::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The allowed constant values, if the schema is an enumeration.
pub(crate) fn consts_of(schema: &J) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for b in branches(schema) {
        if types_of(b) == ["null"] {
            continue;
        }
        if let Some(c) = b.get("const").and_then(J::as_str) {
            out.push(c.to_owned());
        } else if let Some(e) = b.get("enum").and_then(J::as_array) {
            out.extend(e.iter().filter_map(J::as_str).map(str::to_owned));
        } else {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Every JSON type a value of this schema may have.
pub(crate) fn all_types(schema: &J) -> Vec<&str> {
    let mut out: Vec<&str> = branches(schema).into_iter().flat_map(types_of).collect();
    out.dedup();
    out
}

/// A human description of a schema's type, for messages and `explain`.
pub fn describe(schema: &J) -> String {
    if let Some(values) = consts_of(schema) {
        return format!("one of: {}", values.join(", "));
    }
    let parts: Vec<String> = branches(schema)
        .into_iter()
        .flat_map(|b| {
            types_of(b)
                .into_iter()
                .filter(|t| *t != "null")
                .map(|t| describe_type(b, t))
                .collect::<Vec<_>>()
        })
        .collect();
    let nullable = all_types(schema).contains(&"null") && schema.get("x-removable").is_none();
    let mut text = parts.join(" or ");
    if nullable {
        text.push_str(" (optional)");
    }
    text
}

fn describe_type(schema: &J, t: &str) -> String {
    match t {
        "object" => match schema.get("additionalProperties") {
            Some(J::Object(_)) if schema.get("properties").is_none() => {
                let inner = schema
                    .get("additionalProperties")
                    .map(describe)
                    .unwrap_or_default();
                if inner.is_empty() {
                    // `additionalProperties: {}`: free-form, e.g. a whole Kubernetes object.
                    "map of any values".into()
                } else {
                    format!("map of {inner}")
                }
            }
            _ => "section".into(),
        },
        "array" => {
            let inner = schema.get("items").map(describe).unwrap_or_default();
            if inner.is_empty() {
                // `items: {}` (JSON 6902 operations, whole objects): anything.
                "list of any values".into()
            } else {
                format!("list of {inner}")
            }
        }
        "integer" => {
            let min = schema.get("minimum").and_then(J::as_i64);
            let max = schema.get("maximum").and_then(J::as_i64);
            match (min, max) {
                // Kubernetes int32 fields: the lower bound is the news, the cap a footnote.
                (Some(a), Some(b)) if b == i64::from(i32::MAX) => {
                    format!("integer ≥ {a} (at most {b})")
                }
                (Some(a), Some(b)) => format!("integer {a}..={b}"),
                (Some(a), None) if a > 0 => format!("integer ≥ {a}"),
                _ => "integer".into(),
            }
        }
        other => other.into(),
    }
}

/// Looks up the schema of a config path (`agent.resources.limits`), descending through
/// sections and map values.
pub fn lookup(path: &[&str]) -> Result<&'static J, (usize, Vec<String>)> {
    let mut current = schema();
    for (i, seg) in path.iter().enumerate() {
        let obj = branches(current)
            .into_iter()
            .find(|b| types_of(b).contains(&"object"));
        let Some(obj) = obj else {
            return Err((i, Vec::new()));
        };
        if let Some(p) = obj.get("properties").and_then(|p| p.get(*seg)) {
            current = p;
        } else if let Some(ap @ J::Object(_)) = obj.get("additionalProperties") {
            current = ap;
        } else {
            return Err((i, property_names(obj)));
        }
    }
    Ok(current)
}

/// Whether a config path names one of agentctl's own fields (a property of its section), not
/// an entry of a user-keyed map (`agent.config.extra.NAME`).
pub fn is_property(path: &[&str]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    lookup(parent).is_ok_and(|s| {
        branches(s)
            .into_iter()
            .any(|b| b.get("properties").and_then(|p| p.get(*last)).is_some())
    })
}

/// What `null` does at a path: the one removal rule, for files, project `set:` and `--set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// An entry of a map (`agent.nodeSelector.node-type`): the entry goes away.
    Entry,
    /// A whole map (`agent.nodeSelector`): every entry earlier layers set goes away.
    Map,
    /// An optional setting (`agent.priorityClassName`): it goes back to unset.
    Unset,
    /// Nothing can be removed here (a section, a list, a required value).
    No,
}

/// Whether the schema is a map (named entries of one type), not a section.
fn is_map(schema: &J) -> bool {
    branches(schema).into_iter().any(|b| {
        types_of(b).contains(&"object")
            && b.get("properties").is_none()
            && matches!(b.get("additionalProperties"), Some(J::Object(_)))
    })
}

/// What `null` means at `path` (see [`Removal`]).
pub fn removal(path: &[&str]) -> Removal {
    let Some((last, parent)) = path.split_last() else {
        return Removal::No;
    };
    let Ok(parent_schema) = lookup(parent) else {
        return Removal::No;
    };
    let in_props = branches(parent_schema)
        .into_iter()
        .any(|b| b.get("properties").and_then(|p| p.get(*last)).is_some());
    if !in_props && is_map(parent_schema) {
        return Removal::Entry;
    }
    match lookup(path) {
        Ok(s) if is_map(s) => Removal::Map,
        Ok(s) if all_types(s).contains(&"null") => Removal::Unset,
        _ => Removal::No,
    }
}

/// Kubernetes (and Helm-chart) names users write under a pod-shaped section, and the typed
/// setting that says the same thing.
const POD_FIELD_SETTINGS: &[(&str, &str)] = &[
    (
        "affinity",
        "`agent.nodeAffinity` (node rules) and `agent.antiAffinity`",
    ),
    ("annotations", "`agent.podAnnotations`"),
    ("labels", "`agent.podLabels`"),
    ("containerPort", "`agent.port` (and `agent.metricsPort`)"),
    ("ports", "`agent.port` (and `agent.metricsPort`)"),
    (
        "livenessProbe",
        "`agent.probes.liveness` (path: `agent.healthPath`)",
    ),
    (
        "readinessProbe",
        "`agent.probes.readiness` (path: `agent.healthPath`)",
    ),
    (
        "startupProbe",
        "`agent.probes.startup` (path: `agent.healthPath`)",
    ),
    ("healthCheckPath", "`agent.healthPath`"),
    (
        "terminationMessagePolicy",
        "`agent.terminationMessagePolicy`",
    ),
    ("serviceAccountName", "`agent.serviceAccount.name`"),
    ("extraEnv", "`agent.env`"),
    ("extraEnvVars", "`agent.env`"),
    (
        "environment",
        "`agent.env` (or `agent.config.extra` for plain settings)",
    ),
    (
        "replicaCount",
        "`agent.replicas.min` / `agent.replicas.max`",
    ),
    ("strategy", "`agent.rollingUpdate`"),
    (
        "securityContext",
        "`agent.runAsUser` (`null` leaves runAsUser, runAsGroup and fsGroup to the platform, \
         as OpenShift's restricted-v2 SCC wants; the rest of the hardened context is fixed)",
    ),
    ("ingress", "the top-level `ingress` section"),
    ("persistence", "`agent.storage`"),
    ("volume", "`agent.storage`"),
    (
        "extraContainers",
        "`agent.sidecars` (a map keyed by container name; `native: true` for a native sidecar)",
    ),
    (
        "extraVolumes",
        "`agent.volumes` (a map keyed by volume name)",
    ),
    (
        "extraVolumeMounts",
        "`agent.volumes` (each one's `mountPath`) and the sidecars' `mounts`",
    ),
    ("extraPorts", "`agent.ports` (a map keyed by port name)"),
];

/// Kubernetes field names written in a section that is not a pod, by section, and the typed
/// setting that renders them (a chart's values, a KEDA ScaledObject's or an HPA's spec).
const SECTION_FIELD_SETTINGS: &[(&str, &str, &str)] = &[
    ("autoscaling", "minReplicas", "`agent.replicas.min`"),
    ("autoscaling", "maxReplicas", "`agent.replicas.max`"),
    ("autoscaling", "scaleUp", "`autoscaling.behavior.scaleUp`"),
    (
        "autoscaling",
        "scaleDown",
        "`autoscaling.behavior.scaleDown`",
    ),
    ("keda", "minReplicaCount", "`agent.replicas.min`"),
    ("keda", "maxReplicaCount", "`agent.replicas.max`"),
    (
        "keda",
        "advanced",
        "`autoscaling.behavior` (the behavior of the HPA KEDA creates)",
    ),
    (
        "keda",
        "behavior",
        "`autoscaling.behavior` (the behavior of the HPA KEDA creates)",
    ),
    (
        "monitoring.serviceMonitor",
        "endpoints",
        "the section's own fields: `path`, `interval`, `scrapeTimeout`, `scheme`, `honorLabels`, `relabelings`, `metricRelabelings`",
    ),
    (
        "monitoring.serviceMonitor",
        "tls",
        "`scheme: https` (a TLS client configuration is a patch)",
    ),
    (
        "ingress",
        "rules",
        "`ingress.hosts` with `ingress.paths`, `ingress.extraPaths` and `ingress.extraHosts`",
    ),
    (
        "ingress",
        "tls",
        "`ingress.tlsSecret` (for `ingress.hosts`) and `ingress.extraHosts.NAME.tlsSecret`",
    ),
];

/// The object the fields of a settings section land on, as a patch's target names it, and
/// whether it is a pod (whose Kubernetes field names have typed settings,
/// [`POD_FIELD_SETTINGS`]). A hint names the object the field lives on: a Service field is
/// patched on the Service, not the Deployment.
fn section_object(parent: &str) -> Option<(String, bool)> {
    let under = |s: &str| parent == s || parent.starts_with(&format!("{s}."));
    // The entry of a map keyed by name whose entry renders an object of its own.
    let entry = |s: &str| {
        parent
            .strip_prefix(s)
            .and_then(|rest| rest.strip_prefix('.'))
            .map(|rest| rest.split('.').next().unwrap_or(rest).to_owned())
    };
    if let Some(name) = entry("keda.authentications") {
        return Some((format!("TriggerAuthentication, name: {name}"), false));
    }
    // A port's own Service (`agent.ports.P.service`, `agent.sidecars.S.ports.P.service`).
    let segs: Vec<&str> = parent.split('.').collect();
    if let [.., "ports", port, "service"] = segs.as_slice() {
        return Some((format!("Service, name: agent-service-{port}"), false));
    }
    let (object, pod) = if under("agent.service") {
        ("Service, name: agent-service", false)
    } else if under("agent") {
        ("Deployment, name: agent-deployment", true)
    } else if under("redis") {
        ("StatefulSet, name: redis", true)
    } else if under("disruptionBudget") {
        ("PodDisruptionBudget, name: agent-pdb", false)
    } else if under("autoscaling") {
        ("HorizontalPodAutoscaler, name: agent-hpa", false)
    } else if under("keda") {
        ("ScaledObject, name: agent-scaledobject", false)
    } else {
        return None;
    };
    Some((object.to_owned(), pod))
}

/// The help for an unknown key `key` in the section `parent`, replacing (`Some`) the "did you
/// mean" (`suggested`) when it knows better: under a pod-shaped section (`agent`, `redis`), the
/// typed setting that covers a Kubernetes field name, else (with no suggestion) how to say it
/// with a patch; under `agent.config`, the `extra` map.
pub fn unknown_key_help(parent: &str, key: &str, suggested: bool) -> Option<String> {
    if parent == "agent.config" && !suggested {
        return Some(format!(
            "settings the agent reads go under `agent.config.extra`: `agent.config.extra.{key}`"
        ));
    }
    // An extra port's entry: its own `port` is the container's and the Service's.
    if parent.starts_with("agent.ports.")
        && parent.matches('.').count() == 2
        && matches!(key, "containerPort" | "targetPort" | "number")
    {
        return Some(format!(
            "the typed setting for this is the entry's own `port` (`{parent}.port`)"
        ));
    }
    if let Some((_, _, setting)) = SECTION_FIELD_SETTINGS
        .iter()
        .find(|(p, k, _)| *p == parent && *k == key)
    {
        return Some(format!("the typed setting for this is {setting}"));
    }
    let (object, pod) = section_object(parent)?;
    // The agent pod's own fields (not a sidecar's, an init container's or a port entry's).
    if let Some((_, setting)) = POD_FIELD_SETTINGS.iter().find(|(k, _)| *k == key)
        && parent == "agent"
    {
        return Some(format!("the typed setting for this is {setting}"));
    }
    if suggested || (pod && is_field_name(key)) {
        // A near miss, or a setting of another section (`replicas` under `redis`): a patch
        // is not the answer.
        return None;
    }
    Some(format!(
        "no typed setting covers `{key}`: say it with a patch, a `patches:` entry with \
         `target: {{kind: {object}}}` (README \"Patches\", examples/patches.yaml)"
    ))
}

/// Whether `name` is the name of some setting anywhere in the schema.
pub fn is_field_name(name: &str) -> bool {
    static NAMES: OnceLock<std::collections::BTreeSet<String>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let mut names = std::collections::BTreeSet::new();
            let defs = schema_defs().into_iter().flat_map(|d| d.values());
            for s in std::iter::once(schema()).chain(defs) {
                names.extend(property_names(s));
            }
            names
        })
        .contains(name)
}

/// The valid keys of a section schema.
pub fn property_names(schema: &J) -> Vec<String> {
    resolve(schema)
        .get("properties")
        .and_then(J::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Documentation of a schema node.
pub fn description(schema: &J) -> Option<String> {
    let own = schema.get("description").and_then(J::as_str);
    own.or_else(|| resolve(schema).get("description").and_then(J::as_str))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::unknown_key_help;

    /// A hint names the object the field lives on, and the typed setting of the section it is in.
    #[test]
    fn a_hint_names_the_object_the_field_lives_on() {
        let help =
            |parent: &str, key: &str| unknown_key_help(parent, key, false).unwrap_or_default();
        for (parent, key, object) in [
            (
                "agent.service",
                "ipFamilyPolicy",
                "kind: Service, name: agent-service",
            ),
            (
                "agent.service",
                "allocateLoadBalancerNodePorts",
                "kind: Service, name: agent-service",
            ),
            (
                "disruptionBudget",
                "selector",
                "kind: PodDisruptionBudget, name: agent-pdb",
            ),
            (
                "keda.authentications.sqs",
                "podIdentityy",
                "kind: TriggerAuthentication, name: sqs",
            ),
            (
                "agent.ports.webhook.service",
                "healthCheckNodePort",
                "kind: Service, name: agent-service-webhook",
            ),
            (
                "agent.sidecars.proxy.ports.admin.service",
                "healthCheckNodePort",
                "kind: Service, name: agent-service-admin",
            ),
            (
                "autoscaling",
                "metrics",
                "kind: HorizontalPodAutoscaler, name: agent-hpa",
            ),
            (
                "agent",
                "hostAliases",
                "kind: Deployment, name: agent-deployment",
            ),
        ] {
            assert!(
                help(parent, key).contains(object),
                "{parent}.{key}: {}",
                help(parent, key)
            );
        }
        assert!(help("agent", "extraContainers").contains("`agent.sidecars`"));
        // A did-you-mean (`initContainers`) does not win over the typed setting.
        assert!(
            unknown_key_help("agent", "extraContainers", true)
                .is_some_and(|h| h.contains("`agent.sidecars`"))
        );
        assert_eq!(
            help("agent.ports.ws", "containerPort"),
            "the typed setting for this is the entry's own `port` (`agent.ports.ws.port`)"
        );
        // The agent's own `containerPort` is still `agent.port`.
        assert!(help("agent", "containerPort").contains("`agent.port`"));
    }

    /// A field of an HPA, a ScaledObject, a ServiceMonitor or an Ingress spec written in its
    /// section names the typed setting, not a patch.
    #[test]
    fn a_spec_field_in_its_section_names_the_typed_setting() {
        for (parent, key, setting) in [
            (
                "autoscaling",
                "scaleDown",
                "`autoscaling.behavior.scaleDown`",
            ),
            ("keda", "minReplicaCount", "`agent.replicas.min`"),
            ("keda", "advanced", "`autoscaling.behavior`"),
            ("monitoring.serviceMonitor", "endpoints", "`relabelings`"),
            ("ingress", "tls", "`ingress.extraHosts.NAME.tlsSecret`"),
        ] {
            let help = unknown_key_help(parent, key, false).unwrap_or_default();
            assert!(help.contains(setting), "{parent}.{key}: {help}");
            assert!(!help.contains("patches:"), "{parent}.{key}: {help}");
        }
    }
}
