//! Where typed settings are rendered, one row per setting and field a lint rule reads: for
//! locating a finding that typed settings alone cause at the setting's line (the rules see
//! objects, not settings), and the rules no typed setting can make fire, with the reason. The
//! same rows (and a few for fields no rule reads) say which setting a patch overrides
//! (`provenance::overrides`).
//! Held to real renders by `provenance::tests` (every row's setting, written, renders at its
//! field and locates a finding there).

/// A row of [`TYPED`]: where a typed setting is rendered, for locating a finding that typed
/// settings alone cause (the rules see objects, not settings).
#[derive(Debug)]
pub struct Rendered {
    /// The rules whose findings, or whose findings' causes, can sit on this field.
    pub rules: &'static [&'static str],
    /// `Kind/name` of the object.
    pub object: &'static str,
    /// The field: a prefix of the finding's path with list items by merge key
    /// (`spec.template.spec.containers[name=agent].image`); `*` stands for an item's name,
    /// which the setting repeats.
    pub field: &'static str,
    /// The setting's path (`*`: the item's name).
    pub setting: &'static str,
}

const fn row(
    rules: &'static [&'static str],
    object: &'static str,
    field: &'static str,
    setting: &'static str,
) -> Rendered {
    Rendered {
        rules,
        object,
        field,
        setting,
    }
}

const AGENT: &str = "Deployment/agent-deployment";
const REDIS: &str = "StatefulSet/redis";
const QUOTA: &str = "ResourceQuota/agent-quota";
const IMAGE: &[&str] = &["AGT122", "AGT124"];
const PULL: &[&str] = &["AGT123"];
const PROBES: &[&str] = &["AGT120"];
/// A container's resources: missing ones, the LimitRange's bounds, and the quota at maximum
/// scale they add to.
const RESOURCES: &[&str] = &["AGT121", "AGT125", "AGT173"];
const PORTS: &[&str] = &["AGT132", "AGT133", "AGT134"];
/// The replicas at most and the surge: the quota and the spread they must fit.
const SCALE: &[&str] = &["AGT172", "AGT173"];
/// Everything a sidecar or init container entry renders (the entry itself, last).
const ENTRY: &[&str] = &[
    "AGT120", "AGT121", "AGT122", "AGT123", "AGT124", "AGT132", "AGT133", "AGT134", "AGT160",
    "AGT173",
];

/// Where typed settings are rendered: every setting that writes a field a rule reads, first
/// match with a value the user wrote wins (a built-in default is nowhere to point at).
/// `tests::every_typed_origin_resolves` renders each row's setting and locates a finding on
/// its field at it; a rule no typed setting reaches is in [`NOT_TYPED`] with the reason.
#[rustfmt::skip]
pub const TYPED: &[Rendered] = &[
    // The agent's scheduling and scale.
    row(&["AGT172"], AGENT, "spec.template.spec.affinity.podAntiAffinity", "agent.antiAffinity"),
    row(&["AGT172"], AGENT, "spec.template.spec.affinity.nodeAffinity", "agent.nodeAffinity"),
    row(&["AGT172"], AGENT, "spec.template.spec.nodeSelector", "agent.nodeSelector"),
    row(&["AGT172"], AGENT, "spec.template.spec.topologySpreadConstraints", "agent.topologySpreadConstraints"),
    row(&["AGT172"], AGENT, "spec.template.spec.topologySpreadConstraints", "agent.zoneSpread"),
    row(&["AGT161"], AGENT, "spec.template.spec.automountServiceAccountToken", "rbac.apiAccess"),
    row(&["AGT172", "AGT173", "AGT175"], AGENT, "spec.replicas", "agent.replicas.min"),
    row(SCALE, AGENT, "spec.strategy", "agent.rollingUpdate"),
    row(&["AGT170", "AGT175"], "HorizontalPodAutoscaler/agent-hpa", "spec.minReplicas", "agent.replicas.min"),
    row(SCALE, "HorizontalPodAutoscaler/agent-hpa", "spec.maxReplicas", "agent.replicas.max"),
    row(&["AGT170", "AGT175"], "ScaledObject/agent-scaledobject", "spec.minReplicaCount", "agent.replicas.min"),
    row(SCALE, "ScaledObject/agent-scaledobject", "spec.maxReplicaCount", "agent.replicas.max"),
    row(&["AGT176"], "ScaledObject/agent-scaledobject", "spec.triggers", "keda.enabled"),
    row(&["AGT176"], "ScaledObject/agent-scaledobject", "spec.triggers", "keda.triggers"),
    row(&["AGT170"], "PodDisruptionBudget/agent-pdb", "spec.maxUnavailable", "disruptionBudget.maxUnavailable"),
    // The agent container.
    row(IMAGE, AGENT, "spec.template.spec.containers[name=agent].image", "agent.image"),
    row(PULL, AGENT, "spec.template.spec.containers[name=agent].imagePullPolicy", "agent.imagePullPolicy"),
    row(PROBES, AGENT, "spec.template.spec.containers[name=agent].readinessProbe", "agent.probes.readiness"),
    row(PROBES, AGENT, "spec.template.spec.containers[name=agent].livenessProbe", "agent.probes.liveness"),
    row(RESOURCES, AGENT, "spec.template.spec.containers[name=agent].resources", "agent.resources"),
    row(PORTS, AGENT, "spec.template.spec.containers[name=agent].ports", "agent.ports"),
    row(&["AGT160"], AGENT, "spec.template.spec.containers[name=agent].env", "agent.env"),
    // Sidecars (regular and native) and init containers, field by field, then the entry.
    row(IMAGE, AGENT, "spec.template.spec.containers[name=*].image", "agent.sidecars.*.image"),
    row(PULL, AGENT, "spec.template.spec.containers[name=*].imagePullPolicy", "agent.sidecars.*.imagePullPolicy"),
    row(PROBES, AGENT, "spec.template.spec.containers[name=*].readinessProbe", "agent.sidecars.*.probes"),
    row(PROBES, AGENT, "spec.template.spec.containers[name=*].livenessProbe", "agent.sidecars.*.probes"),
    row(RESOURCES, AGENT, "spec.template.spec.containers[name=*].resources", "agent.sidecars.*.resources"),
    row(PORTS, AGENT, "spec.template.spec.containers[name=*].ports", "agent.sidecars.*.ports"),
    row(&["AGT160"], AGENT, "spec.template.spec.containers[name=*].args", "agent.sidecars.*.args"),
    row(&["AGT160"], AGENT, "spec.template.spec.containers[name=*].command", "agent.sidecars.*.command"),
    row(&["AGT160"], AGENT, "spec.template.spec.containers[name=*].env", "agent.sidecars.*.env"),
    row(ENTRY, AGENT, "spec.template.spec.containers[name=*]", "agent.sidecars.*"),
    row(IMAGE, AGENT, "spec.template.spec.initContainers[name=*].image", "agent.sidecars.*.image"),
    row(PULL, AGENT, "spec.template.spec.initContainers[name=*].imagePullPolicy", "agent.sidecars.*.imagePullPolicy"),
    row(PROBES, AGENT, "spec.template.spec.initContainers[name=*].readinessProbe", "agent.sidecars.*.probes"),
    row(PROBES, AGENT, "spec.template.spec.initContainers[name=*].livenessProbe", "agent.sidecars.*.probes"),
    row(RESOURCES, AGENT, "spec.template.spec.initContainers[name=*].resources", "agent.sidecars.*.resources"),
    row(PORTS, AGENT, "spec.template.spec.initContainers[name=*].ports", "agent.sidecars.*.ports"),
    row(&["AGT160"], AGENT, "spec.template.spec.initContainers[name=*].args", "agent.sidecars.*.args"),
    row(&["AGT160"], AGENT, "spec.template.spec.initContainers[name=*].command", "agent.sidecars.*.command"),
    row(&["AGT160"], AGENT, "spec.template.spec.initContainers[name=*].env", "agent.sidecars.*.env"),
    row(ENTRY, AGENT, "spec.template.spec.initContainers[name=*]", "agent.sidecars.*"),
    row(IMAGE, AGENT, "spec.template.spec.initContainers[name=*].image", "agent.initContainers.*.image"),
    row(PULL, AGENT, "spec.template.spec.initContainers[name=*].imagePullPolicy", "agent.initContainers.*.imagePullPolicy"),
    row(RESOURCES, AGENT, "spec.template.spec.initContainers[name=*].resources", "agent.initContainers.*.resources"),
    row(&["AGT160"], AGENT, "spec.template.spec.initContainers[name=*].args", "agent.initContainers.*.args"),
    row(&["AGT160"], AGENT, "spec.template.spec.initContainers[name=*].command", "agent.initContainers.*.command"),
    row(&["AGT160"], AGENT, "spec.template.spec.initContainers[name=*].env", "agent.initContainers.*.env"),
    row(ENTRY, AGENT, "spec.template.spec.initContainers[name=*]", "agent.initContainers.*"),
    // Where the agent is reached.
    row(PORTS, "Service/agent-service", "spec.ports", "agent.ports"),
    row(&["AGT140"], "Service/agent-service", "spec.type", "agent.service.type"),
    row(&["AGT130", "AGT133", "AGT134", "AGT135"], "NetworkPolicy/agent-network-policy", "spec.ingress", "networkPolicy.ingressFrom"),
    row(&["AGT130", "AGT133", "AGT134"], "NetworkPolicy/agent-network-policy", "spec.ingress", "networkPolicy.ingressNamespaces"),
    // Redis, its exporter and its backup.
    row(IMAGE, REDIS, "spec.template.spec.containers[name=redis].image", "redis.image"),
    row(PULL, REDIS, "spec.template.spec.containers[name=redis].imagePullPolicy", "redis.imagePullPolicy"),
    row(RESOURCES, REDIS, "spec.template.spec.containers[name=redis].resources", "redis.resources"),
    row(IMAGE, REDIS, "spec.template.spec.containers[name=redis-exporter].image", "monitoring.redisExporter.image"),
    row(PULL, REDIS, "spec.template.spec.containers[name=redis-exporter].imagePullPolicy", "monitoring.redisExporter.imagePullPolicy"),
    row(RESOURCES, REDIS, "spec.template.spec.containers[name=redis-exporter].resources", "monitoring.redisExporter.resources"),
    row(&["AGT173", "AGT174"], REDIS, "spec.volumeClaimTemplates", "redis.storage"),
    row(RESOURCES, "CronJob/redis-backup", "spec.jobTemplate.spec.template.spec.containers[name=backup].resources", "backup.resources"),
    row(&["AGT173"], "PersistentVolumeClaim/redis-backup-pvc", "spec.resources.requests", "backup.storage.size"),
    // The quota's figures, when the user sets them.
    row(&["AGT173"], QUOTA, "spec.hard.requests.cpu", "quota.requestsCpu"),
    row(&["AGT173"], QUOTA, "spec.hard.requests.memory", "quota.requestsMemory"),
    row(&["AGT173"], QUOTA, "spec.hard.limits.cpu", "quota.limitsCpu"),
    row(&["AGT173"], QUOTA, "spec.hard.limits.memory", "quota.limitsMemory"),
    row(&["AGT173"], QUOTA, "spec.hard.requests.storage", "quota.requestsStorage"),
    row(&["AGT173"], QUOTA, "spec.hard.pods", "quota.pods"),
    row(&["AGT173"], QUOTA, "spec.hard.persistentvolumeclaims", "quota.persistentVolumeClaims"),
    // Alerts.
    row(&["AGT180"], "PrometheusRule/agent-alerts", "spec.groups", "monitoring.alerts.runbookBaseUrl"),
    // Fields no rule reads, for what a patch overrides (`provenance::overrides`).
    row(&[], AGENT, "spec.template.spec.priorityClassName", "agent.priorityClassName"),
    row(&[], AGENT, "spec.template.spec.tolerations", "agent.tolerations"),
    row(&[], AGENT, "spec.template.spec.terminationGracePeriodSeconds", "agent.terminationGracePeriodSeconds"),
    row(&[], AGENT, "spec.template.spec.containers[name=agent].lifecycle", "agent.lifecycle"),
    row(&[], AGENT, "spec.template.spec.containers[name=agent].terminationMessagePolicy", "agent.terminationMessagePolicy"),
    row(&[], AGENT, "spec.template.spec.securityContext.runAsUser", "agent.runAsUser"),
    row(&[], AGENT, "spec.template.spec.securityContext.runAsGroup", "agent.runAsUser"),
    row(&[], AGENT, "spec.template.spec.securityContext.fsGroup", "agent.runAsUser"),
    row(&[], AGENT, "spec.template.spec.containers[name=agent].securityContext.runAsUser", "agent.runAsUser"),
    row(&[], AGENT, "spec.template.spec.containers[name=agent].securityContext.runAsGroup", "agent.runAsUser"),
    row(&[], AGENT, "spec.template.spec.imagePullSecrets", "agent.imagePullSecrets"),
    row(&[], AGENT, "spec.template.spec.volumes[name=tmp].emptyDir.sizeLimit", "agent.tmpSizeLimit"),
    row(&[], AGENT, "spec.template.spec.runtimeClassName", "agent.runtimeClassName"),
    row(&[], AGENT, "spec.template.spec.hostUsers", "agent.hostUsers"),
    row(&[], AGENT, "spec.template.spec.serviceAccountName", "agent.serviceAccount.name"),
    row(&[], "Service/agent-service", "metadata.annotations", "agent.service.annotations"),
    row(&[], "Service/agent-service", "spec.sessionAffinity", "agent.service.sessionAffinity"),
    row(&[], "Service/agent-service", "spec.sessionAffinityConfig", "agent.service.sessionAffinityTimeoutSeconds"),
    row(&[], "Service/agent-service", "spec.loadBalancerSourceRanges", "agent.service.loadBalancerSourceRanges"),
    row(&[], "Service/agent-service", "spec.externalTrafficPolicy", "agent.service.externalTrafficPolicy"),
    row(&[], REDIS, "spec.template.spec.securityContext.runAsUser", "redis.runAsUser"),
    row(&[], REDIS, "spec.template.spec.containers[name=redis].securityContext.runAsUser", "redis.runAsUser"),
    row(&[], "HorizontalPodAutoscaler/agent-hpa", "spec.behavior.scaleDown.stabilizationWindowSeconds", "autoscaling.scaleDownStabilizationSeconds"),
    // Around the agent workload: scaling behavior, the budget, the ServiceMonitor, the Ingress.
    row(&[], "HorizontalPodAutoscaler/agent-hpa", "spec.behavior", "autoscaling.behavior"),
    row(&[], "ScaledObject/agent-scaledobject", "spec.advanced.horizontalPodAutoscalerConfig.behavior", "autoscaling.behavior"),
    row(&[], "ScaledObject/agent-scaledobject", "spec.idleReplicaCount", "keda.idleReplicaCount"),
    row(&["AGT170"], "PodDisruptionBudget/agent-pdb", "spec.minAvailable", "disruptionBudget.minAvailable"),
    row(&[], "PodDisruptionBudget/agent-pdb", "spec.unhealthyPodEvictionPolicy", "disruptionBudget.unhealthyPodEvictionPolicy"),
    row(&[], "ServiceMonitor/agent-metrics", "spec.endpoints[0].scheme", "monitoring.serviceMonitor.scheme"),
    row(&[], "ServiceMonitor/agent-metrics", "spec.endpoints[0].honorLabels", "monitoring.serviceMonitor.honorLabels"),
    row(&[], "ServiceMonitor/agent-metrics", "spec.endpoints[0].relabelings", "monitoring.serviceMonitor.relabelings"),
    row(&[], "ServiceMonitor/agent-metrics", "spec.endpoints[0].metricRelabelings", "monitoring.serviceMonitor.metricRelabelings"),
    row(&[], "Ingress/agent-ingress", "spec.tls", "ingress.extraHosts"),
    row(&[], "Ingress/agent-ingress", "spec.rules", "ingress.extraHosts"),
    row(&[], "Ingress/agent-ingress", "spec.rules", "ingress.extraPaths"),
    row(&[], "HTTPRoute/agent-route", "spec.rules", "httpRoute.extraPaths"),
    row(&[], "ServiceMonitor/agent-metrics", "spec.endpoints[0].tlsConfig", "monitoring.serviceMonitor.tlsConfig"),
    row(&[], REDIS, "spec.template.spec.priorityClassName", "redis.priorityClassName"),
    row(&[], REDIS, "spec.template.spec.nodeSelector", "redis.nodeSelector"),
    row(&[], REDIS, "spec.template.spec.tolerations", "redis.tolerations"),
    row(&[], "CronJob/redis-backup", "spec.schedule", "backup.schedule"),
];

/// The rules no typed setting can make fire, and why: their findings come from a patch or an
/// extra object, located there.
pub const NOT_TYPED: &[(&str, &str)] = &[
    (
        "AGT101",
        "every container the render writes has the hardened security context",
    ),
    ("AGT102", "the render sets no host namespace"),
    (
        "AGT103",
        "typed volumes are configMap, secret, projected, csi, emptyDir and claims",
    ),
    ("AGT104", "typed ports are never host ports"),
    ("AGT105", "the render sets no procMount"),
    ("AGT106", "the render sets no AppArmor profile"),
    ("AGT107", "the render sets no SELinux options"),
    ("AGT108", "the render sets no sysctls"),
    ("AGT109", "every container the render writes drops ALL"),
    (
        "AGT110",
        "every container the render writes runs as non-root (runAsUser is validated)",
    ),
    ("AGT111", "every pod the render writes has RuntimeDefault"),
    (
        "AGT112",
        "every container the render writes sets allowPrivilegeEscalation: false",
    ),
    (
        "AGT131",
        "networkPolicy.enabled: false turns it off on purpose (INTENTS), a note",
    ),
    (
        "AGT136",
        "the only Job the render writes, the backup CronJob, has its own egress policy",
    ),
    ("AGT150", "the render's Role names its verbs and resources"),
    ("AGT151", "the render's Role reads named objects only"),
    (
        "AGT152",
        "the render's Role has no escalate, bind or impersonate",
    ),
    (
        "AGT153",
        "the render binds its own Role to its own ServiceAccount",
    ),
    ("AGT171", "the render sets revisionHistoryLimit: 10"),
];

impl Rendered {
    /// The setting behind `path` (a keyed path, as people read it) when this row's field holds
    /// it: the field is a prefix of the path, up to a boundary, `*` matching one item's name.
    pub fn setting_for(&self, path: &str) -> Option<String> {
        let (name, rest) = match self.field.split_once('*') {
            None => ("", path.strip_prefix(self.field)?),
            Some((before, after)) => {
                let tail = path.strip_prefix(before)?;
                let end = tail.find(']')?;
                let rest = tail[end..].strip_prefix(after)?;
                (&tail[..end], rest)
            }
        };
        if !(rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')) {
            return None;
        }
        let setting = self.setting.replace('*', name);
        // An item of a map setting rendered as a list by name (`env[name=X]` of `...env.X`).
        match rest.strip_prefix("[name=").and_then(|r| r.split_once(']')) {
            Some((item, _)) if setting.ends_with(".env") => Some(format!("{setting}.{item}")),
            _ => Some(setting),
        }
    }
}
