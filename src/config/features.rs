//! The optional objects around the workloads: autoscaling, disruption budget, network
//! policy, monitoring, RBAC.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AgentMetrics, Alerts, Dashboard, IntOrPercent, RedisExporter};

/// The HorizontalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Autoscaling {
    /// Render `hpa.yaml`. Off: the Deployment runs `agent.replicas.min` pods. Default: `true`.
    pub enabled: bool,
    /// Target average CPU utilization, percent of requests. Default: `70`.
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization: u32,
    /// Target average memory utilization, percent of requests; unset drops the metric.
    /// Default: `80`.
    #[schemars(range(min = 1, max = 100))]
    pub target_memory_utilization: Option<u32>,
    /// Custom Pods metric served by the Prometheus Adapter (request rate per pod).
    pub request_rate: RequestRate,
    /// Seconds of lower recommendations before scaling down (avoids flapping); the shorthand
    /// of `behavior.scaleDown.stabilizationWindowSeconds`, which wins when set. Default: `300`.
    #[schemars(range(max = 3600))]
    pub scale_down_stabilization_seconds: u32,
    /// How fast the HPA scales up and down (`spec.behavior`); the same behavior is KEDA's HPA's
    /// (`keda.enabled`: `advanced.horizontalPodAutoscalerConfig.behavior`). Default: up at once
    /// by up to 100% every 30s, down after `scaleDownStabilizationSeconds` by one pod a minute.
    pub behavior: Behavior,
}

/// The HPA's scaling behavior, per direction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Behavior {
    /// Scaling up. Unset fields: window `0`, policies `[{type: Percent, value: 100,
    /// periodSeconds: 30}]` (with KEDA, unset altogether: Kubernetes' own scale-up behavior).
    pub scale_up: ScalingRules,
    /// Scaling down. Unset fields: window `autoscaling.scaleDownStabilizationSeconds`,
    /// policies `[{type: Pods, value: 1, periodSeconds: 60}]`.
    pub scale_down: ScalingRules,
}

/// The rules of one scaling direction (`HPAScalingRules`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingRules {
    /// Seconds of past recommendations the HPA considers before changing the count (the
    /// highest for scaling down, the lowest for scaling up), 0 to 3600. Default: unset.
    #[schemars(range(max = 3600))]
    pub stabilization_window_seconds: Option<u32>,
    /// Which policy applies when several do: `Max` (the largest change, Kubernetes'
    /// default), `Min` (the smallest), or `Disabled` (never scale in this direction).
    /// Default: unset (`Max`).
    pub select_policy: Option<SelectPolicy>,
    /// How much may change per period, at least one (a list: a layer replaces it whole).
    /// Default: unset (see the direction).
    pub policies: Option<Vec<ScalingPolicy>>,
}

/// Which scaling policy applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SelectPolicy {
    /// The policy allowing the largest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One scaling policy: at most `value` pods (or percent of the current count) per
/// `periodSeconds`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingPolicy {
    /// `Pods` (a number of pods) or `Percent` (of the current replicas). Required.
    #[serde(rename = "type")]
    pub kind: Option<ScalingPolicyKind>,
    /// Pods or percent per period, at least 1. Required.
    #[schemars(range(max = super::INT32_MAX))]
    pub value: u32,
    /// The period, 1 to 1800 seconds. Required.
    #[schemars(range(max = 1800))]
    pub period_seconds: u32,
}

/// The unit of a scaling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ScalingPolicyKind {
    /// A number of pods.
    Pods,
    /// A percentage of the current replicas.
    Percent,
}

impl ScalingPolicy {
    /// A policy of `value` `kind` per `period_seconds`.
    pub const fn new(kind: ScalingPolicyKind, value: u32, period_seconds: u32) -> Self {
        ScalingPolicy {
            kind: Some(kind),
            value,
            period_seconds,
        }
    }
}

impl Autoscaling {
    /// The behavior as rendered: each direction with its unset fields filled from agentctl's
    /// defaults (`None` for a KEDA scale-up nobody set: KEDA's HPA then scales up as
    /// Kubernetes does by default).
    pub fn effective_behavior(&self, keda: bool) -> (Option<ScalingRules>, ScalingRules) {
        let b = &self.behavior;
        let up =
            (!keda || b.scale_up != ScalingRules::default()).then(|| ScalingRules {
                stabilization_window_seconds: Some(
                    b.scale_up.stabilization_window_seconds.unwrap_or(0),
                ),
                select_policy: b.scale_up.select_policy,
                policies: Some(b.scale_up.policies.clone().unwrap_or_else(|| {
                    vec![ScalingPolicy::new(ScalingPolicyKind::Percent, 100, 30)]
                })),
            });
        let down = ScalingRules {
            stabilization_window_seconds: Some(
                b.scale_down
                    .stabilization_window_seconds
                    .unwrap_or(self.scale_down_stabilization_seconds),
            ),
            select_policy: b.scale_down.select_policy,
            policies: Some(
                b.scale_down
                    .policies
                    .clone()
                    .unwrap_or_else(|| vec![ScalingPolicy::new(ScalingPolicyKind::Pods, 1, 60)]),
            ),
        };
        (up, down)
    }
}

impl Default for Autoscaling {
    fn default() -> Self {
        Autoscaling {
            enabled: true,
            target_cpu_utilization: 70,
            target_memory_utilization: Some(80),
            request_rate: RequestRate::default(),
            scale_down_stabilization_seconds: 300,
            behavior: Behavior::default(),
        }
    }
}

/// Custom request-rate metric for the HPA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestRate {
    /// Add the Pods metric (needs the Prometheus Adapter). Default: `true`.
    pub enabled: bool,
    /// Metric name exposed by the adapter. Default: `http_requests_per_second`.
    pub metric_name: String,
    /// Target average value per pod, a quantity. Default: `100`.
    #[schemars(with = "super::Quantity")]
    pub target_average_value: String,
}

impl Default for RequestRate {
    fn default() -> Self {
        RequestRate {
            enabled: true,
            metric_name: "http_requests_per_second".into(),
            target_average_value: "100".into(),
        }
    }
}

/// PodDisruptionBudget for the agent. (Redis runs one replica; a budget there could only
/// block node drains, so none is rendered.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct DisruptionBudget {
    /// Render `pdb.yaml`. Default: `true`.
    pub enabled: bool,
    /// Agent pods a voluntary disruption (drain, upgrade) may take down at once, a count or a
    /// percentage; `null` with `minAvailable`. Default: `1`.
    pub max_unavailable: Option<IntOrPercent>,
    /// Agent pods that must stay available through a voluntary disruption, a count or a
    /// percentage: the alternative to `maxUnavailable` (exactly one; set, it replaces the
    /// built-in `maxUnavailable: 1`). Default: unset.
    pub min_available: Option<IntOrPercent>,
    /// Whether running pods that are not ready may be evicted while the budget is exhausted:
    /// `IfHealthyBudget` (only while it is not; Kubernetes' default) or `AlwaysAllow` (a
    /// crash-looping pod never blocks a drain). Default: unset (Kubernetes' default).
    pub unhealthy_pod_eviction_policy: Option<UnhealthyPodEvictionPolicy>,
}

/// A PodDisruptionBudget's `unhealthyPodEvictionPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum UnhealthyPodEvictionPolicy {
    /// Unready pods may be evicted only while the application is not disrupted.
    IfHealthyBudget,
    /// Unready pods may always be evicted.
    AlwaysAllow,
}

impl DisruptionBudget {
    /// The field the budget renders and its value: `minAvailable` when set, else
    /// `maxUnavailable` (validation refuses neither, and both written by the user).
    pub fn rendered(&self) -> Option<(&'static str, &IntOrPercent)> {
        match (&self.min_available, &self.max_unavailable) {
            (Some(m), _) => Some(("minAvailable", m)),
            (None, Some(m)) => Some(("maxUnavailable", m)),
            (None, None) => None,
        }
    }
}

impl Default for DisruptionBudget {
    fn default() -> Self {
        DisruptionBudget {
            enabled: true,
            max_unavailable: Some(IntOrPercent::Int(1)),
            min_available: None,
            unhealthy_pod_eviction_policy: None,
        }
    }
}

/// NetworkPolicies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicy {
    /// Render `networkpolicy.yaml`. Default: `true`.
    pub enabled: bool,
    /// Namespaces (by name) whose pods may call the agent on its port, besides the agent's own
    /// namespace (e.g. an ingress controller's). Default: none.
    pub ingress_namespaces: Vec<String>,
    /// CIDR the agent may reach on the external API ports. Default: `0.0.0.0/0`.
    pub egress_cidr: String,
    /// CIDRs excluded from `egressCidr` (e.g. private ranges). Default: none.
    pub egress_except: Vec<String>,
    /// TCP ports the agent may reach outside the cluster (the model APIs). `[]` renders no
    /// external egress rule at all (never a rule without ports, which would open every port).
    /// Default: `[443]`.
    pub egress_ports: Vec<u16>,
    /// Further callers of the agent, by a rule name of your choosing: `namespaces` and/or
    /// `pods` (labels) or `cidr`, and the agent ports they may reach (default: `agent.port`).
    /// Default: none.
    pub ingress_from: BTreeMap<String, super::PolicyRule>,
    /// Further destinations the agent may reach, by a rule name of your choosing: an
    /// in-cluster model server (`namespaces` + `pods`), a subnet (`cidr`), on the `ports`
    /// listed (at least one). DNS, Redis and `egressPorts` are already allowed. Default: none.
    pub egress_to: BTreeMap<String, super::PolicyRule>,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        NetworkPolicy {
            enabled: true,
            ingress_namespaces: Vec::new(),
            egress_cidr: "0.0.0.0/0".into(),
            egress_except: Vec::new(),
            egress_ports: vec![443],
            ingress_from: BTreeMap::new(),
            egress_to: BTreeMap::new(),
        }
    }
}

/// Prometheus integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    /// Namespace Prometheus runs in; the NetworkPolicies let it scrape the agent (and the
    /// Redis exporter). Default: `monitoring`.
    pub prometheus_namespace: String,
    /// The ServiceMonitor `agent-metrics` (needs the Prometheus Operator).
    pub service_monitor: ServiceMonitor,
    /// Names of the metrics the agent exposes, which the alerts and the dashboard read.
    pub agent_metrics: AgentMetrics,
    /// The `redis_exporter` sidecar in the Redis pod and its ServiceMonitor `redis-metrics`.
    pub redis_exporter: RedisExporter,
    /// The alerts: PrometheusRule `agent-alerts` (needs the Prometheus Operator).
    pub alerts: Alerts,
    /// The Grafana dashboard: ConfigMap `agent-dashboard`, for Grafana's dashboard sidecar.
    pub dashboard: Dashboard,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            prometheus_namespace: "monitoring".into(),
            service_monitor: ServiceMonitor::default(),
            agent_metrics: AgentMetrics::default(),
            redis_exporter: RedisExporter::default(),
            alerts: Alerts::default(),
            dashboard: Dashboard::default(),
        }
    }
}

/// ServiceMonitor settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceMonitor {
    /// Render `servicemonitor.yaml`. Default: `true`.
    pub enabled: bool,
    /// HTTP path of the metrics endpoint on the agent port. Default: `/metrics`.
    pub path: String,
    /// Scrape interval, a Prometheus duration such as `30s` or `1m`. Default: `30s`.
    pub interval: String,
    /// Scrape timeout, below `interval`. Default: `10s`.
    pub scrape_timeout: String,
    /// Labels on the ServiceMonitor so your Prometheus' `serviceMonitorSelector` picks it up
    /// (e.g. `release: prometheus`). Default: none.
    pub labels: BTreeMap<String, String>,
    /// Scheme of the agent's metrics endpoint: `http` or `https`. Default: `http`.
    pub scheme: Scheme,
    /// Keep the labels of the scraped metrics when they clash with the target's (`job`,
    /// `namespace`, `pod`, ...) instead of renaming them `exported_*`. Default: `false`.
    pub honor_labels: bool,
    /// Relabelings of the agent's targets before the scrape (`relabelings`), in order (a list:
    /// a layer replaces it whole). Default: none.
    pub relabelings: Vec<Relabeling>,
    /// Relabelings of the agent's scraped series before they are stored
    /// (`metricRelabelings`), in order, e.g. dropping a costly metric. Default: none.
    pub metric_relabelings: Vec<Relabeling>,
    /// TLS of the scrape, with `scheme: https`: the CA (`ca`), a client certificate (`cert`,
    /// `keySecret`), `serverName`, `insecureSkipVerify`. Default: unset (Prometheus' system
    /// CAs, the scraped address as the name).
    pub tls_config: Option<super::ScrapeTls>,
}

/// A scrape scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// One Prometheus relabeling step (`relabel_config`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Relabeling {
    /// What the step does. Default: `replace`.
    pub action: Option<RelabelAction>,
    /// Labels whose values, joined by `separator`, the regex is matched against.
    /// Default: none.
    pub source_labels: Vec<String>,
    /// Separator between the source labels' values. Default: unset (`;`).
    pub separator: Option<String>,
    /// A regular expression (RE2, anchored at both ends). Default: unset (`(.*)`).
    pub regex: Option<String>,
    /// Label the result is written to (`replace`, `hashmod`, `lowercase`, `uppercase`) or
    /// compared with (`keepequal`, `dropequal`). Default: unset.
    pub target_label: Option<String>,
    /// The value written by `replace` (`$1` is the regex's first group), or the label name
    /// template of `labelmap`. Default: unset (`$1`).
    pub replacement: Option<String>,
    /// The modulus of `hashmod` (required with it). Default: unset.
    #[schemars(range(min = 1))]
    pub modulus: Option<u64>,
}

/// A relabeling action, as Prometheus names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelabelAction {
    /// Write `replacement` (with the regex's groups) to `targetLabel` when the regex matches.
    Replace,
    /// Keep the target or series when the regex matches.
    Keep,
    /// Drop the target or series when the regex matches.
    Drop,
    /// Write the hash of the source labels modulo `modulus` to `targetLabel`.
    Hashmod,
    /// Copy the labels whose names match to names given by `replacement`.
    Labelmap,
    /// Remove the labels whose names match.
    Labeldrop,
    /// Keep only the labels whose names match.
    Labelkeep,
    /// Write the source labels' value in lower case to `targetLabel`.
    Lowercase,
    /// Write the source labels' value in upper case to `targetLabel`.
    Uppercase,
    /// Keep the target when the source labels' value equals `targetLabel`'s.
    Keepequal,
    /// Drop the target when the source labels' value equals `targetLabel`'s.
    Dropequal,
}

impl RelabelAction {
    /// Whether the action writes or compares `targetLabel`, which it then needs.
    pub fn needs_target(self) -> bool {
        matches!(
            self,
            RelabelAction::Replace
                | RelabelAction::Hashmod
                | RelabelAction::Lowercase
                | RelabelAction::Uppercase
                | RelabelAction::Keepequal
                | RelabelAction::Dropequal
        )
    }
}

impl Default for ServiceMonitor {
    fn default() -> Self {
        ServiceMonitor {
            enabled: true,
            path: "/metrics".into(),
            interval: "30s".into(),
            scrape_timeout: "10s".into(),
            labels: BTreeMap::new(),
            scheme: Scheme::Http,
            honor_labels: false,
            relabelings: Vec::new(),
            metric_relabelings: Vec::new(),
            tls_config: None,
        }
    }
}

/// RBAC for the agent's ServiceAccount `agent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Rbac {
    /// The agent talks to the Kubernetes API: mount the ServiceAccount token and allow the
    /// NetworkPolicy egress to the API server. Off, the token is not mounted. The Role only ever
    /// grants reading the agent's own ConfigMap. Default: `false`.
    pub api_access: bool,
    /// CIDR of the Kubernetes API server, reachable when `apiAccess` is on.
    /// Default: `0.0.0.0/0` (narrow it to your control plane).
    pub api_server_cidr: String,
}

impl Default for Rbac {
    fn default() -> Self {
        Rbac {
            api_access: false,
            api_server_cidr: "0.0.0.0/0".into(),
        }
    }
}
