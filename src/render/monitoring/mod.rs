//! Monitoring content: the Prometheus alerting rules and the Grafana dashboard, built from the
//! effective configuration, and the catalogue of metrics the rendered system makes available.
//!
//! It owns what the alerts and dashboard *say*: every PromQL expression, every rule's labels and
//! annotations, every panel. It builds plain JSON values; the templates place them in the
//! `PrometheusRule` and the dashboard `ConfigMap`, and the quoting filter turns them into YAML.
//! It reads no files and knows no YAML. The expressions only use metrics listed in [`sources`]
//! (what the render makes available: the agent's metrics scraped by its ServiceMonitor, the
//! `redis_exporter` sidecar, and the cluster add-ons the output lists as prerequisites), and a
//! test holds every expression, alert or panel, to that list.

use std::collections::BTreeSet;

use serde_json::Map;

use crate::config::{AgentMetrics, Alerts, Config, Names};

mod dashboard;
mod rules;
use crate::resolve::validate::{Kind, parse_duration, parse_quantity};
pub use rules::templated_labels;

/// The label every alert of an instance carries (`instance` set): which deployment of the
/// namespace it is about (Prometheus' own `instance` label is a target's address).
pub const INSTANCE_ALERT_LABEL: &str = "agent_instance";

/// Everything the rules and the dashboard depend on: what is rendered, and the monitoring
/// settings (assumed validated), with the values the expressions need already resolved.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Namespace of every object (and of every series the rules select).
    pub namespace: String,
    /// `instance`, when set: every series is also narrowed to this deployment's pods, claims,
    /// Services and workloads, and every alert carries [`INSTANCE_ALERT_LABEL`].
    pub instance: Option<String>,
    /// The Prometheus `job` label of the agent's targets: the Prometheus Operator names a
    /// ServiceMonitor's job after the Service it scrapes (`agent-service`).
    pub agent_job: String,
    /// The `job` label of the `redis_exporter` sidecar's target (a port of `redis-service`).
    pub redis_job: String,
    /// The agent's and Redis' ServiceMonitors' names.
    pub agent_monitor: String,
    /// See `agent_monitor`.
    pub redis_monitor: String,
    /// The agent Deployment's name.
    pub deployment: String,
    /// The HPA's name (rendered, or KEDA's).
    pub hpa: String,
    /// With `instance` set or in a shared namespace (`createNamespace: false`), a regular
    /// expression of this deployment's pod names: the namespace holds others' pods.
    pub pods: Option<String>,
    /// The same for this deployment's claim names.
    pub claims: Option<String>,
    /// Whether the render has a PersistentVolumeClaim of its own (the agent's, Redis' data,
    /// the backups'): without one, no volume alert or panel.
    pub has_claims: bool,
    /// The agent's metrics are scraped (the agent ServiceMonitor is rendered).
    pub agent_metrics: bool,
    /// The HPA `agent-hpa` exists (rendered, or created by KEDA's ScaledObject).
    pub autoscaling: bool,
    /// KEDA scales the agent to zero while idle (`keda.idleReplicaCount: 0`): no agent target
    /// is then the design, and `AgentDown` fires only while the Deployment wants pods.
    pub scale_to_zero: bool,
    /// The `redis_exporter` sidecar and its ServiceMonitor are rendered.
    pub redis_exporter: bool,
    /// The in-cluster Redis StatefulSet is rendered (its container's panels make sense).
    pub redis_in_cluster: bool,
    /// The Redis backup CronJob's name, when backups are rendered.
    pub backup_cronjob: Option<String>,
    /// The agent's metric names.
    pub metrics: AgentMetrics,
    /// Redis' container memory limit as configured (`1Gi`).
    pub redis_memory_limit: String,
    /// The same in bytes.
    pub redis_memory_limit_bytes: f64,
    /// Alert settings.
    pub alerts: Alerts,
    /// `alerts.latency.threshold` in seconds.
    pub latency_threshold_seconds: f64,
    /// `alerts.redisBackup.maxAge`, or the one derived from the backup schedule.
    pub backup_max_age: String,
    /// The same in seconds.
    pub backup_max_age_seconds: u64,
    /// Dashboard title.
    pub dashboard_title: String,
}

impl Spec {
    /// The specification for a configuration. `backup` is the Redis backup CronJob's schedule
    /// when backups are rendered. Values are assumed validated (an unparsable one falls back
    /// to a neutral number rather than failing: validation has reported it).
    pub fn from_config(cfg: &Config, names: &Names, backup: Option<&str>) -> Spec {
        let m = &cfg.monitoring;
        let a = &m.alerts;
        let seconds = |d: &str| parse_duration(d).unwrap_or(0);
        let limit = &cfg.redis.resources.limits.memory;
        let backup_max_age_seconds = match (&a.redis_backup.max_age, backup) {
            (Some(age), _) => seconds(age) / 1000,
            (None, Some(schedule)) => 2 * schedule_period_seconds(schedule) + 3600,
            (None, None) => 49 * 3600,
        };
        let backup_max_age = match &a.redis_backup.max_age {
            Some(age) => age.clone(),
            None => duration_text(backup_max_age_seconds),
        };
        let instance = names.instance().map(str::to_owned);
        // Another deployment's pods and claims may share the namespace.
        let shared = instance.is_some() || !cfg.create_namespace;
        // Only what is rendered: with the in-cluster Redis or the backups off, another team's
        // `redis-0` or `redis-backup-…` in a shared namespace is not this deployment's.
        let redis_pods = cfg.in_cluster_redis();
        let backup_pods = backup.is_some();
        let pods = shared.then(|| {
            let mut alts = vec![format!(
                "{}-[a-z0-9]+-[a-z0-9]+",
                regex_text(&names.get("agent-deployment"))
            )];
            if redis_pods {
                alts.push(format!("{}-[0-9]+", regex_text(&names.get("redis"))));
            }
            if backup_pods {
                alts.push(format!(
                    "{}-[0-9]+-[a-z0-9]+",
                    regex_text(&names.get("redis-backup"))
                ));
            }
            alts.join("|")
        });
        let claims = shared.then(|| {
            let mut alts = Vec::new();
            if cfg.agent.storage.kind == crate::config::DataVolume::PersistentVolumeClaim {
                alts.push(regex_text(&names.get("agent-data-pvc")));
            }
            if redis_pods
                && cfg.redis.storage.kind == crate::config::RedisVolume::PersistentVolumeClaim
            {
                alts.push(format!("data-{}-[0-9]+", regex_text(&names.get("redis"))));
            }
            if backup_pods {
                alts.push(regex_text(&names.get("redis-backup-pvc")));
            }
            alts.join("|")
        });
        let dashboard_title = match &instance {
            Some(i) => format!("Agent system ({}, {i})", cfg.namespace),
            None => format!("Agent system ({})", cfg.namespace),
        };
        Spec {
            namespace: cfg.namespace.clone(),
            instance,
            agent_job: names.get("agent-service"),
            redis_job: names.get("redis-service"),
            agent_monitor: names.get("agent-metrics"),
            redis_monitor: names.get("redis-metrics"),
            deployment: names.get("agent-deployment"),
            hpa: names.get("agent-hpa"),
            pods,
            claims,
            has_claims: cfg.agent.storage.kind == crate::config::DataVolume::PersistentVolumeClaim
                || (redis_pods
                    && cfg.redis.storage.kind == crate::config::RedisVolume::PersistentVolumeClaim)
                || backup_pods,
            agent_metrics: m.service_monitor.enabled,
            // KEDA's ScaledObject creates its HPA under the same name, `agent-hpa`.
            autoscaling: cfg.autoscaling.enabled || cfg.keda.enabled,
            scale_to_zero: cfg.keda.enabled && cfg.keda.idle_replica_count == Some(0),
            redis_exporter: cfg.redis_exporter_on(),
            redis_in_cluster: cfg.in_cluster_redis(),
            backup_cronjob: backup.map(|_| names.get("redis-backup")),
            metrics: m.agent_metrics.clone(),
            redis_memory_limit: limit.clone(),
            redis_memory_limit_bytes: parse_quantity(limit, Kind::Memory)
                .map_or(1.0, |q| q.as_f64()),
            alerts: a.clone(),
            latency_threshold_seconds: seconds(&a.latency.threshold) as f64 / 1000.0,
            backup_max_age,
            backup_max_age_seconds,
            dashboard_title,
        }
    }
}

/// Long text as a block: with a final newline it is written as a `|` literal, which neither
/// agentctl's emitter nor `kubectl kustomize` folds, so both print it byte for byte alike
/// (kustomize folds one-line strings wider than 80 columns at spaces).
fn block(text: String) -> String {
    if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    }
}

/// A one-line text that stays one line when it fits the 80 columns of a rule annotation
/// (8 spaces of indentation and the key), else a block.
fn short_or_block(text: String) -> String {
    if text.len() <= 60 && !text.contains('\n') {
        text
    } else {
        block(text)
    }
}

/// A PromQL string literal: double-quoted, with `\` and `"` escaped (PromQL strings follow
/// Go's escaping), so no setting can end the string early.
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A name as a regular expression matching only itself (the names agentctl renders hold
/// letters, digits, `-` and `.`; a `.` is escaped).
fn regex_text(name: &str) -> String {
    name.replace('.', "\\.")
}

/// A selector: `metric{a="x",b=~"y"}`; each matcher is (label, operator, value).
fn sel(metric: &str, matchers: &[(&str, &str, &str)]) -> String {
    let inner: Vec<String> = matchers
        .iter()
        .map(|(l, op, v)| format!("{l}{op}{}", lit(v)))
        .collect();
    format!("{metric}{{{}}}", inner.join(","))
}

/// A number as PromQL writes it: integral values without a fraction.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Where the metrics the rules and the dashboard read come from, given what is rendered:
/// (source, how it reaches Prometheus, metric names). A metric in an expression that no
/// source lists is a bug (checked by a test).
pub fn sources(spec: &Spec) -> Vec<(&'static str, Vec<String>)> {
    let mut out = Vec::new();
    // Every scrape target gets `up` from Prometheus itself.
    out.push(("Prometheus (every scrape target)", vec!["up".to_owned()]));
    if spec.agent_metrics {
        let m = &spec.metrics;
        out.push((
            "the agent's metrics endpoint (ServiceMonitor agent-metrics)",
            vec![
                m.requests_total.clone(),
                format!("{}_bucket", m.duration_histogram),
                format!("{}_count", m.duration_histogram),
                format!("{}_sum", m.duration_histogram),
            ],
        ));
    }
    if spec.redis_exporter {
        out.push((
            "the redis_exporter sidecar (ServiceMonitor redis-metrics)",
            REDIS_EXPORTER_METRICS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        ));
    }
    out.push((
        "kube-state-metrics (cluster prerequisite)",
        KUBE_STATE_METRICS
            .iter()
            .map(|s| (*s).to_owned())
            .chain(
                spec.backup_cronjob
                    .as_ref()
                    .map(|_| spec.alerts.redis_backup.metric.clone()),
            )
            .collect(),
    ));
    out.push((
        "the kubelet and its cAdvisor (cluster prerequisite)",
        KUBELET_METRICS.iter().map(|s| (*s).to_owned()).collect(),
    ));
    out
}

/// `redis_exporter` metrics the rules and dashboard may read (all exported for any Redis 7).
pub const REDIS_EXPORTER_METRICS: &[&str] = &[
    "redis_up",
    "redis_memory_used_bytes",
    "redis_memory_used_rss_bytes",
    "redis_memory_max_bytes",
    "redis_connected_clients",
    "redis_commands_processed_total",
];

/// kube-state-metrics (v2) series the rules and dashboard may read.
pub const KUBE_STATE_METRICS: &[&str] = &[
    "kube_pod_container_status_waiting_reason",
    "kube_pod_container_status_restarts_total",
    "kube_pod_status_ready",
    "kube_pod_status_phase",
    "kube_deployment_spec_replicas",
    "kube_deployment_status_replicas_available",
    "kube_deployment_status_replicas_updated",
    "kube_horizontalpodautoscaler_spec_min_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_status_desired_replicas",
    "kube_pod_container_resource_requests",
    "kube_pod_container_resource_limits",
];

/// Kubelet (volume stats) and cAdvisor (container usage) series.
pub const KUBELET_METRICS: &[&str] = &[
    "kubelet_volume_stats_available_bytes",
    "kubelet_volume_stats_capacity_bytes",
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
];

/// PromQL words that look like metric names but are not: keywords and aggregation modifiers.
const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
];

/// The metric names an expression reads: identifiers outside `{...}`, `[...]` and strings that
/// are not a function call or a keyword. (A small scanner, enough for the expressions built
/// here: it is a test oracle, not a PromQL parser.)
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let b = expr.as_bytes();
    let mut out = BTreeSet::new();
    let (mut i, mut brace, mut bracket) = (0, 0i32, 0i32);
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => {
                let q = c;
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'{' => brace += 1,
            b'}' => brace -= 1,
            b'[' => bracket += 1,
            b']' => bracket -= 1,
            _ => {}
        }
        if c.is_ascii_digit() {
            // A number (`0.95`, `1e9`, `0x1f`): not a name.
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            continue;
        }
        if brace == 0 && bracket == 0 && (c.is_ascii_alphabetic() || c == b'_' || c == b':') {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let word = &expr[start..i];
            let mut j = i;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            // A function call, or an aggregation with its modifier first: `sum by (le) (...)`.
            let call = j < b.len()
                && (b[j] == b'('
                    || expr[j..].starts_with("by ")
                    || expr[j..].starts_with("by(")
                    || expr[j..].starts_with("without"));
            let keyword = KEYWORDS.contains(&word.to_ascii_lowercase().as_str());
            if keyword
                && matches!(
                    word,
                    "by" | "without" | "on" | "ignoring" | "group_left" | "group_right"
                )
            {
                // skip the label list that follows: `by (le)`, `on (namespace, pod)`
                if call {
                    while j < b.len() && b[j] != b')' {
                        j += 1;
                    }
                    i = j + 1;
                }
                continue;
            }
            if !call && !keyword {
                out.insert(word.to_owned());
            }
            continue;
        }
        i += 1;
    }
    out
}

/// Every PromQL expression of the rules and the dashboard, with where it is.
pub fn all_expressions(spec: &Spec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (group, rules) in spec.rules() {
        for r in rules {
            out.push((format!("rule {group}/{}", r.alert), r.expr));
        }
    }
    if let Some(panels) = spec.dashboard()["panels"].as_array() {
        for p in panels {
            for t in p["targets"].as_array().into_iter().flatten() {
                out.push((
                    format!(
                        "panel {:?} {}",
                        p["title"].as_str().unwrap_or(""),
                        t["refId"]
                    ),
                    t["expr"].as_str().unwrap_or("").to_owned(),
                ));
            }
        }
    }
    out
}

/// Seconds as the shortest Prometheus duration (`13h`, `90m`, `45s`).
fn duration_text(secs: u64) -> String {
    match secs {
        s if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        s if s.is_multiple_of(60) => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The longest gap between two runs of a CronJob schedule, in seconds, for the shapes
/// schedules usually take (`@daily`, `0 */6 * * *`, `30 2 * * *`, `0 1,13 * * *`,
/// `*/15 * * * *`, a weekly or monthly day); a day for anything else.
pub fn schedule_period_seconds(schedule: &str) -> u64 {
    const H: u64 = 3600;
    let macro_period = match schedule.trim() {
        "@hourly" => Some(H),
        "@daily" | "@midnight" => Some(24 * H),
        "@weekly" => Some(7 * 24 * H),
        "@monthly" => Some(31 * 24 * H),
        "@yearly" | "@annually" => Some(366 * 24 * H),
        _ => None,
    };
    if let Some(p) = macro_period {
        return p;
    }
    let f: Vec<&str> = schedule.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = f.as_slice() else {
        return 24 * H;
    };
    if *month != "*" || *dom != "*" {
        return 31 * 24 * H;
    }
    if *dow != "*" {
        return 7 * 24 * H;
    }
    // The largest gap between the values of a field over its cycle (`*/N`, `a,b,c`, `a`).
    let gap = |field: &str, cycle: u64| -> Option<u64> {
        if field == "*" {
            return Some(1);
        }
        if let Some(n) = field.strip_prefix("*/") {
            return n.parse::<u64>().ok().filter(|n| *n > 0 && *n <= cycle);
        }
        let mut v: Vec<u64> = field
            .split(',')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        v.sort_unstable();
        let first = *v.first()?;
        let last = *v.last()?;
        let wrap = first + cycle - last;
        Some(
            v.windows(2)
                .map(|w| w[1] - w[0])
                .chain([wrap])
                .max()
                .unwrap_or(cycle),
        )
    };
    match (*hour, gap(minute, 60)) {
        ("*", Some(m)) => m * 60,
        (h, Some(_)) => gap(h, 24).map_or(24 * H, |g| g * H),
        _ => 24 * H,
    }
}

#[cfg(test)]
mod schedule_tests {
    use super::schedule_period_seconds as p;

    #[test]
    fn periods_of_usual_schedules() {
        assert_eq!(p("0 */6 * * *"), 6 * 3600);
        assert_eq!(p("30 */4 * * *"), 4 * 3600);
        assert_eq!(p("30 2 * * *"), 24 * 3600);
        assert_eq!(p("0 1,13 * * *"), 12 * 3600);
        assert_eq!(p("0 1,5 * * *"), 20 * 3600);
        assert_eq!(p("*/15 * * * *"), 15 * 60);
        assert_eq!(p("0 * * * *"), 3600);
        assert_eq!(p("@daily"), 24 * 3600);
        assert_eq!(p("0 3 * * 0"), 7 * 24 * 3600);
        assert_eq!(p("0 3 1 * *"), 31 * 24 * 3600);
        assert_eq!(p("nonsense"), 24 * 3600);
    }
}

#[cfg(test)]
mod tests;
