//! The monitoring settings beyond the agent's ServiceMonitor: the metric names the agent is
//! assumed to expose, the `redis_exporter` sidecar, the alerts (PrometheusRule) and the Grafana
//! dashboard, and the TLS the agent ServiceMonitor scrapes over (`tlsConfig`). Types,
//! documentation and defaults only (see the module above).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{PullPolicy, Resources};

/// The metrics the agent exposes on its metrics endpoint. They are assumptions about the
/// agent's image: name yours here, and the alerts and the dashboard follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentMetrics {
    /// Counter of handled HTTP requests, labelled with the status code. The Prometheus
    /// Adapter's default rule serves the same counter to the HPA as `<name without
    /// _total>_per_second` (`autoscaling.requestRate.metricName`).
    /// Default: `http_requests_total`.
    pub requests_total: String,
    /// Label of `requestsTotal` that holds the HTTP status code. Default: `status`.
    pub status_label: String,
    /// Regular expression (RE2, anchored) on `statusLabel` that a failed request matches.
    /// Default: `5..`. Not a template: `{{` and `}}` are refused (the regex lands in an alert's
    /// description, which Prometheus expands).
    pub error_status_regex: String,
    /// Histogram of request durations in seconds, without its `_bucket` suffix.
    /// Default: `http_request_duration_seconds`.
    pub duration_histogram: String,
}

impl Default for AgentMetrics {
    fn default() -> Self {
        AgentMetrics {
            requests_total: "http_requests_total".into(),
            status_label: "status".into(),
            error_status_regex: "5..".into(),
            duration_histogram: "http_request_duration_seconds".into(),
        }
    }
}

/// The port `redis_exporter` listens on: its default (another would need a listen address such
/// as `:9121`, a string YAML 1.1 readers can misread).
pub const REDIS_EXPORTER_PORT: u16 = 9121;

/// The `redis_exporter` sidecar, so the Redis alerts and dashboard panels have data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RedisExporter {
    /// Render the sidecar `redis-exporter` in the Redis pod (metrics on its default port
    /// 9121), port `metrics` on `redis-service`, the ServiceMonitor `redis-metrics` (needs the Prometheus Operator) and
    /// the NetworkPolicy rule that lets `monitoring.prometheusNamespace` scrape it. It runs as
    /// `redis.runAsUser`, hardened like Redis, and reads the password from the Secret.
    /// Default: `true` (`false` in `dev`).
    pub enabled: bool,
    /// Container image. Default: `oliver006/redis_exporter:v1.88.0`.
    pub image: String,
    /// Image pull policy. Default (unset): `Always` for an image pinned by tag,
    /// `IfNotPresent` for one pinned by digest.
    pub image_pull_policy: Option<PullPolicy>,
    /// CPU and memory. Default: requests 10m/32Mi, limits 100m/128Mi.
    pub resources: Resources,
}

impl Default for RedisExporter {
    fn default() -> Self {
        RedisExporter {
            enabled: true,
            image: "oliver006/redis_exporter:v1.88.0".into(),
            image_pull_policy: None,
            resources: Resources::new("10m", "32Mi", "100m", "128Mi"),
        }
    }
}

/// The alerts: the PrometheusRule `agent-alerts` (`prometheusrule.yaml`). Each alert is only
/// rendered when what it watches is: the agent-metric alerts need the agent ServiceMonitor,
/// `AgentHPAMaxedOut` the HPA, the Redis alerts the exporter, the backup alerts the backups.
/// Every alert has the labels `severity` and `namespace` (plus `alertLabels`) and the
/// annotations `summary`, `description` and `runbook_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Alerts {
    /// Render `prometheusrule.yaml` (needs the Prometheus Operator, kube-state-metrics and the
    /// kubelet's metrics in Prometheus). Default: `true` (`false` in `dev`).
    pub enabled: bool,
    /// Labels on the PrometheusRule so your Prometheus' `ruleSelector` picks it up (e.g.
    /// `release: prometheus`). Default: none.
    pub labels: BTreeMap<String, String>,
    /// Labels added to every alert, for Alertmanager routing (e.g. `team: agents`). Not
    /// templates: `{{` and `}}` are refused (Prometheus expands alert labels). Default: none.
    pub alert_labels: BTreeMap<String, String>,
    /// Every alert's `runbook_url` is this URL, `/` and the alert name. Not a template: `{{` and
    /// `}}` are refused (Prometheus expands annotations). Default: `https://runbooks.example.com/agent-system` (point it at your runbooks).
    pub runbook_base_url: String,
    /// Window of the request `rate()`s (error ratio, latency), a Prometheus duration; at least
    /// two scrape intervals. Default: `5m`.
    pub rate_window: String,
    /// `AgentDown` (critical): no agent target scraped successfully (every pod down, or no
    /// target at all); with scale to zero (`keda.idleReplicaCount: 0`), only while the
    /// Deployment wants pods (an idle agent at 0 is not down). Default: for `5m`.
    pub agent_down: AlertFor,
    /// `AgentHighErrorRatio` (critical): the share of requests that fail.
    /// Default: over `5`% for `10m`.
    pub error_ratio: PercentAlert,
    /// `AgentHighLatency`: a quantile of the request latency. Default: p95 above `10s` for `10m`.
    pub latency: LatencyAlert,
    /// `AgentPodCrashLooping`: a container in the namespace in CrashLoopBackOff.
    /// Default: for `15m`.
    pub pod_crash_looping: AlertFor,
    /// `AgentPodNotReady`: a pod in the namespace pending or not ready (finished Jobs
    /// excepted). Default: for `15m`.
    pub pod_not_ready: AlertFor,
    /// `AgentReplicasMismatch`: fewer available agent replicas than wanted while no rollout
    /// makes progress. Default: for `15m`.
    pub replicas_mismatch: AlertFor,
    /// `AgentHPAMaxedOut`: `agent-hpa` at its maximum replicas. Default: for `15m`.
    pub hpa_maxed_out: AlertFor,
    /// `AgentPVCFillingUp`: a volume in the namespace short of free space.
    /// Default: under `10`% free for `5m`.
    pub pvc_filling_up: PvcAlert,
    /// `RedisDown` (critical): the exporter does not report Redis up. Default: for `5m`.
    pub redis_down: AlertFor,
    /// `RedisMemoryNearLimit`: Redis' resident memory as a share of its container memory
    /// limit (`redis.resources.limits.memory`). Default: over `90`% for `5m`.
    pub redis_memory: PercentAlert,
    /// `RedisBackupStale` / `RedisBackupMissing`: the backup CronJob's last success.
    pub redis_backup: BackupAlert,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            enabled: true,
            labels: BTreeMap::new(),
            alert_labels: BTreeMap::new(),
            runbook_base_url: "https://runbooks.example.com/agent-system".into(),
            rate_window: "5m".into(),
            agent_down: AlertFor::new("5m"),
            error_ratio: PercentAlert {
                percent: 5,
                r#for: "10m".into(),
            },
            latency: LatencyAlert::default(),
            pod_crash_looping: AlertFor::new("15m"),
            pod_not_ready: AlertFor::new("15m"),
            replicas_mismatch: AlertFor::new("15m"),
            hpa_maxed_out: AlertFor::new("15m"),
            pvc_filling_up: PvcAlert::default(),
            redis_down: AlertFor::new("5m"),
            redis_memory: PercentAlert {
                percent: 90,
                r#for: "5m".into(),
            },
            redis_backup: BackupAlert::default(),
        }
    }
}

/// How long an alert's condition must hold before it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AlertFor {
    /// A Prometheus duration (`5m`, `1h`).
    pub r#for: String,
}

impl AlertFor {
    fn new(d: &str) -> Self {
        AlertFor { r#for: d.into() }
    }
}

impl Default for AlertFor {
    fn default() -> Self {
        AlertFor::new("5m")
    }
}

/// An alert on a percentage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PercentAlert {
    /// Fires above this percentage (1-100).
    #[schemars(range(min = 1, max = 100))]
    pub percent: u32,
    /// How long it must hold, a Prometheus duration.
    pub r#for: String,
}

impl Default for PercentAlert {
    fn default() -> Self {
        PercentAlert {
            percent: 90,
            r#for: "5m".into(),
        }
    }
}

/// The latency alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LatencyAlert {
    /// The quantile watched, in percent (`95` = p95, 1-99). Default: `95`.
    #[schemars(range(min = 1, max = 99))]
    pub quantile: u32,
    /// Fires above this latency, a Prometheus duration (`10s`, `500ms`). Default: `10s`.
    #[schemars(with = "super::Quantity")]
    pub threshold: String,
    /// How long it must hold. Default: `10m`.
    pub r#for: String,
}

impl Default for LatencyAlert {
    fn default() -> Self {
        LatencyAlert {
            quantile: 95,
            threshold: "10s".into(),
            r#for: "10m".into(),
        }
    }
}

/// The volume alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PvcAlert {
    /// Fires when a volume has less than this percentage free (1-99). Default: `10`.
    #[schemars(range(min = 1, max = 99))]
    pub free_percent: u32,
    /// How long it must hold. Default: `5m`.
    pub r#for: String,
}

impl Default for PvcAlert {
    fn default() -> Self {
        PvcAlert {
            free_percent: 10,
            r#for: "5m".into(),
        }
    }
}

/// The backup alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupAlert {
    /// Oldest acceptable last successful backup, a Prometheus duration; `RedisBackupMissing`
    /// also waits this long for a first success. Default (unset): twice the longest gap of
    /// `backup.schedule` plus an hour (one failed run is tolerated, two are not): `13h` for
    /// the default `0 */6 * * *`.
    pub max_age: Option<String>,
    /// The kube-state-metrics gauge holding a CronJob's last successful completion time (Unix
    /// seconds), labelled `namespace` and `cronjob`.
    /// Default: `kube_cronjob_status_last_successful_time`.
    pub metric: String,
}

impl Default for BackupAlert {
    fn default() -> Self {
        BackupAlert {
            max_age: None,
            metric: "kube_cronjob_status_last_successful_time".into(),
        }
    }
}

/// The Grafana dashboard: a ConfigMap `agent-dashboard` (`dashboard-configmap.yaml`) that the
/// Grafana dashboard sidecar (kube-prometheus-stack, the Grafana Helm chart) loads. The
/// sidecar must watch this namespace (`searchNamespace: ALL` or the namespace's name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Dashboard {
    /// Render `dashboard-configmap.yaml`. Default: `true` (`false` in `dev`).
    pub enabled: bool,
    /// Label key the sidecar looks for (its `label` setting). Default: `grafana_dashboard`.
    pub label: String,
    /// Value of that label (its `labelValue`). Default: `"1"`.
    pub label_value: String,
    /// Annotation key naming the Grafana folder (the sidecar's `folderAnnotation`).
    /// Default: `grafana_folder`.
    pub folder_annotation: String,
    /// Grafana folder the dashboard goes into. Default: `AI agents`.
    pub folder: String,
}

impl Default for Dashboard {
    fn default() -> Self {
        Dashboard {
            enabled: true,
            label: "grafana_dashboard".into(),
            label_value: "1".into(),
            folder_annotation: "grafana_folder".into(),
            folder: "AI agents".into(),
        }
    }
}

/// How Prometheus checks the agent's metrics endpoint over TLS (the agent ServiceMonitor
/// endpoint's `tlsConfig`; needs `scheme: https`). Every file it names comes from a Secret or
/// ConfigMap in the agent's namespace, which the Prometheus Operator reads.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ScrapeTls {
    /// The CA that signed the agent's certificate: `{secret: {name, key}}` or `{configMap:
    /// {name, key}}`. Unset: Prometheus' system CAs.
    pub ca: Option<TlsRef>,
    /// A client certificate for mutual TLS (with `keySecret`): `{secret: ...}` or
    /// `{configMap: ...}`. Default: unset.
    pub cert: Option<TlsRef>,
    /// The client certificate's private key, from a Secret: `{name, key}`. Default: unset.
    pub key_secret: Option<KeyRef>,
    /// The name the agent's certificate must carry, when it is not the address scraped (a pod
    /// IP), e.g. `agent-service.agents.svc`. Default: unset.
    pub server_name: Option<String>,
    /// Skip checking the agent's certificate (anyone on the path can read and change the
    /// scrape). Refused with `ca` or `serverName` (they would be ignored); written only when
    /// set `true` here. Default: `false`.
    pub insecure_skip_verify: bool,
}

/// A file for TLS from a Secret or a ConfigMap (exactly one).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct TlsRef {
    /// A key of a Secret.
    pub secret: Option<KeyRef>,
    /// A key of a ConfigMap.
    pub config_map: Option<KeyRef>,
}

/// A key of a Secret or ConfigMap in the agent's namespace.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct KeyRef {
    /// The Secret's or ConfigMap's name (required).
    pub name: String,
    /// The key in it, e.g. `ca.crt` (required).
    pub key: String,
}
