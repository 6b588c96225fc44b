// Phase-1 draft of the monitoring settings, to be merged into the config module in phase 2.
// (Not compiled on its own: it uses the config module's Resources, PullPolicy, INT32_MAX.)

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
    /// The PrometheusRule `agent-alerts` (`prometheusrule.yaml`; needs the Prometheus Operator).
    pub alerts: Alerts,
    /// The Grafana dashboard ConfigMap `agent-dashboard` (`dashboard-configmap.yaml`).
    pub dashboard: Dashboard,
}

/// The metrics the agent exposes on its metrics endpoint (assumed; name yours here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentMetrics {
    /// Counter of handled HTTP requests. The Prometheus Adapter's default rule serves it to the
    /// HPA as `<name without _total>_per_second` (`autoscaling.requestRate.metricName`).
    /// Default: `http_requests_total`.
    pub requests_total: String,
    /// Label of `requestsTotal` holding the HTTP status code. Default: `status`.
    pub status_label: String,
    /// Regular expression (RE2, anchored) on `statusLabel` matching a failed request.
    /// Default: `5..`.
    pub error_status_regex: String,
    /// Histogram of request durations in seconds, without the `_bucket` suffix.
    /// Default: `http_request_duration_seconds`.
    pub duration_histogram: String,
}

/// The `redis_exporter` sidecar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RedisExporter {
    /// Render the sidecar, port `metrics` on `redis-service`, the ServiceMonitor
    /// `redis-metrics` and the NetworkPolicy rule that lets Prometheus scrape it.
    /// Default: `true` (`false` in `dev`).
    pub enabled: bool,
    /// Container image. Default: `oliver006/redis_exporter:v1.88.0`.
    pub image: String,
    /// Image pull policy. Default (unset): `Always` for a tag, `IfNotPresent` for a digest.
    pub image_pull_policy: Option<PullPolicy>,
    /// Port of the metrics endpoint (container and Service). Default: `9121`.
    pub port: u16,
    /// CPU and memory. Default: requests 10m/32Mi, limits 100m/128Mi.
    pub resources: Resources,
}

/// The alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Alerts {
    /// Render `prometheusrule.yaml`. Default: `true` (`false` in `dev`).
    pub enabled: bool,
    /// Labels on the PrometheusRule so your Prometheus' `ruleSelector` picks it up
    /// (e.g. `release: prometheus`). Default: none.
    pub labels: BTreeMap<String, String>,
    /// Labels added to every alert, for Alertmanager routing (e.g. `team: agents`); each
    /// alert also has `severity` and `namespace`. Default: none.
    pub alert_labels: BTreeMap<String, String>,
    /// Every alert's `runbook_url` is this, `/`, and the alert name.
    /// Default: `https://runbooks.example.com/agent-system` (point it at your runbooks).
    pub runbook_base_url: String,
    /// Window of the request `rate()`s (error ratio, latency). Default: `5m`.
    pub rate_window: String,
    /// `AgentDown`: no agent target scraped successfully. Default: for `5m`.
    pub agent_down: ForOnly,
    /// `AgentHighErrorRatio`: share of failed requests. Default: over `5`% for `10m`.
    pub error_ratio: PercentAlert,
    /// `AgentHighLatency`: a request-latency quantile. Default: p95 over `10s` for `10m`.
    pub latency: LatencyAlert,
    /// `AgentPodCrashLooping`: a container in the namespace in CrashLoopBackOff. Default: `15m`.
    pub pod_crash_looping: ForOnly,
    /// `AgentPodNotReady`: a pod pending or not ready. Default: for `15m`.
    pub pod_not_ready: ForOnly,
    /// `AgentReplicasMismatch`: fewer available agent replicas than wanted, no rollout
    /// running. Default: for `15m`.
    pub replicas_mismatch: ForOnly,
    /// `AgentHPAMaxedOut`: the HPA at its maximum (only with autoscaling). Default: `15m`.
    pub hpa_maxed_out: ForOnly,
    /// `AgentPVCFillingUp`: a volume in the namespace below a share of free space.
    /// Default: under `10`% free for `5m`.
    pub pvc_filling_up: PvcAlert,
    /// `RedisDown`: Redis (or its exporter) down. Default: for `5m`.
    pub redis_down: ForOnly,
    /// `RedisMemoryNearLimit`: Redis' resident memory as a share of its container memory
    /// limit. Default: over `90`% for `5m`.
    pub redis_memory: PercentAlert,
    /// `RedisBackupStale` / `RedisBackupMissing` (only with backups).
    pub redis_backup: BackupAlert,
}
