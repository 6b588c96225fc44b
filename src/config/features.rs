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
    /// Seconds of lower recommendations before scaling down (avoids flapping). Default: `300`.
    #[schemars(range(max = 3600))]
    pub scale_down_stabilization_seconds: u32,
}

impl Default for Autoscaling {
    fn default() -> Self {
        Autoscaling {
            enabled: true,
            target_cpu_utilization: 70,
            target_memory_utilization: Some(80),
            request_rate: RequestRate::default(),
            scale_down_stabilization_seconds: 300,
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
    /// Agent pods a voluntary disruption (drain, upgrade) may take down at once. Default: `1`.
    pub max_unavailable: IntOrPercent,
}

impl Default for DisruptionBudget {
    fn default() -> Self {
        DisruptionBudget {
            enabled: true,
            max_unavailable: IntOrPercent::Int(1),
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
}

impl Default for ServiceMonitor {
    fn default() -> Self {
        ServiceMonitor {
            enabled: true,
            path: "/metrics".into(),
            interval: "30s".into(),
            scrape_timeout: "10s".into(),
            labels: BTreeMap::new(),
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
