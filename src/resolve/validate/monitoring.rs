//! The rules of monitoring ([`crate::config::monitoring`]): the ServiceMonitor, the agent
//! metric names, the `redis_exporter` sidecar, the alerts (PrometheusRule) and the Grafana
//! dashboard ConfigMap. Part of [`super`]'s one pass: every problem is collected and located.

use super::{
    Checker, label_key, label_key_suggestion, label_value, metric_name, parse_duration,
    prometheus_label_name,
};
use crate::config::Config;

/// Monitoring: the Prometheus namespace and the ServiceMonitor.
pub(super) fn monitoring(k: &mut Checker, c: &Config) {
    // Monitoring.
    let m = &c.monitoring;
    k.dns_label("monitoring.prometheusNamespace", &m.prometheus_namespace);
    let sm = &m.service_monitor;
    if sm.enabled {
        if !sm.path.starts_with('/') {
            k.fail(
                "monitoring.serviceMonitor.path",
                format!("metrics path `{}` must start with '/'", sm.path),
                Some(format!("write `/{}`", sm.path)),
            );
        }
        let interval = k.duration("monitoring.serviceMonitor.interval", &sm.interval);
        let timeout = k.duration(
            "monitoring.serviceMonitor.scrapeTimeout",
            &sm.scrape_timeout,
        );
        if let (Some(i), Some(t)) = (interval, timeout)
            && t > i
        {
            k.cross(
                "monitoring.serviceMonitor.scrapeTimeout",
                "monitoring.serviceMonitor.interval",
                format!(
                    "scrape timeout {} is longer than the interval {}",
                    sm.scrape_timeout, sm.interval
                ),
                "keep the timeout at or below the interval".into(),
            );
        }
        k.labels("monitoring.serviceMonitor.labels", &sm.labels);
        k.reserved_labels("monitoring.serviceMonitor.labels", &sm.labels);
    }
}

/// The agent metric names the alerts and the dashboard read.
fn agent_metrics(k: &mut Checker, c: &Config) {
    let m = &c.monitoring.agent_metrics;
    for (path, v) in [
        ("monitoring.agentMetrics.requestsTotal", &m.requests_total),
        (
            "monitoring.agentMetrics.durationHistogram",
            &m.duration_histogram,
        ),
    ] {
        if let Err(why) = metric_name(v) {
            k.fail(
                path,
                format!("`{v}` is not a valid Prometheus metric name: {why}"),
                Some("use letters, digits, '_' and ':', e.g. `http_requests_total`".into()),
            );
        }
    }
    if let Err(why) = prometheus_label_name(&m.status_label) {
        k.fail(
            "monitoring.agentMetrics.statusLabel",
            format!(
                "`{}` is not a valid Prometheus label name: {why}",
                m.status_label
            ),
            Some("use letters, digits and '_', e.g. `status` or `code`".into()),
        );
    }
    if m.error_status_regex.is_empty() {
        k.fail(
            "monitoring.agentMetrics.errorStatusRegex",
            "the error status pattern is empty: it would match only requests without a status"
                .into(),
            Some("e.g. `5..` (server errors) or `5..|429`".into()),
        );
    }
}

/// The `redis_exporter` sidecar.
pub(super) fn redis_exporter(k: &mut Checker, c: &Config) {
    let e = &c.monitoring.redis_exporter;
    if !e.enabled {
        return;
    }
    if !c.redis.enabled {
        // Turned off with the in-cluster Redis (`redis::redis_off` refuses an explicit ask).
        return;
    }
    k.image("monitoring.redisExporter.image", &e.image);
    let exporter_port = crate::config::REDIS_EXPORTER_PORT;
    if c.redis.port == exporter_port {
        k.cross(
            "redis.port",
            "monitoring.redisExporter.enabled",
            format!("Redis uses port {exporter_port}, which its exporter sidecar listens on in the same pod"),
            "give Redis another port (6379 is usual), or turn the exporter off".into(),
        );
    }
    k.compute(
        "monitoring.redisExporter.resources",
        &e.resources.requests,
        &e.resources.limits,
    );
}

/// The PrometheusRule: selector labels, alert labels, runbook URL, durations, thresholds.
// Long on purpose: the alert settings' rules in the order of `explain monitoring.alerts`.
pub(super) fn alerts(k: &mut Checker, c: &Config) {
    let a = &c.monitoring.alerts;
    if !a.enabled {
        return;
    }
    if c.monitoring.service_monitor.enabled {
        agent_metrics(k, c);
    }
    k.labels("monitoring.alerts.labels", &a.labels);
    k.reserved_labels("monitoring.alerts.labels", &a.labels);
    for key in a.alert_labels.keys() {
        let path = format!("monitoring.alerts.alertLabels.{key}");
        if let Err(why) = prometheus_label_name(key) {
            k.fail_key(
                &path,
                format!("`{key}` is not a valid Prometheus label name: {why}"),
                Some("use letters, digits and '_', e.g. `team`".into()),
            );
        } else if matches!(key.as_str(), "severity" | "namespace" | "alertname") {
            k.fail_key(
                &path,
                format!("`{key}` is set on every alert by agentctl itself"),
                Some("route on it as it is, or choose another label name".into()),
            );
        }
    }
    // Prometheus expands `{{ ... }}` in every alert's labels and annotations as a Go template
    // (`{{ $labels.pod }}`, and also `{{ query "..." }}`): none of these settings is a template.
    let mut untemplated: Vec<(String, &str)> = a
        .alert_labels
        .iter()
        .map(|(k, v)| (format!("monitoring.alerts.alertLabels.{k}"), v.as_str()))
        .collect();
    untemplated.push((
        "monitoring.alerts.runbookBaseUrl".into(),
        &a.runbook_base_url,
    ));
    if c.monitoring.service_monitor.enabled {
        untemplated.push((
            "monitoring.agentMetrics.errorStatusRegex".into(),
            &c.monitoring.agent_metrics.error_status_regex,
        ));
    }
    for (path, v) in untemplated {
        if v.contains("{{") || v.contains("}}") {
            k.fail(
                &path,
                "`{{` or `}}` in a value that lands in an alert's labels or annotations: Prometheus would expand it as a template (it can run queries and read other labels)".into(),
                Some("remove the braces; this setting is not a template (agentctl's own alert texts are the only templates, see README \"Alerts and dashboards\")".into()),
            );
        }
    }
    let url = &a.runbook_base_url;
    let scheme_ok = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
    if !scheme_ok {
        k.fail(
            "monitoring.alerts.runbookBaseUrl",
            format!("`{url}` is not an http(s) URL"),
            Some("e.g. `https://runbooks.example.com/agent-system`; each alert links `<url>/<AlertName>`".into()),
        );
    }
    let window = k.duration("monitoring.alerts.rateWindow", &a.rate_window);
    for (path, d) in [
        ("monitoring.alerts.agentDown.for", &a.agent_down.r#for),
        ("monitoring.alerts.errorRatio.for", &a.error_ratio.r#for),
        ("monitoring.alerts.latency.threshold", &a.latency.threshold),
        ("monitoring.alerts.latency.for", &a.latency.r#for),
        (
            "monitoring.alerts.podCrashLooping.for",
            &a.pod_crash_looping.r#for,
        ),
        ("monitoring.alerts.podNotReady.for", &a.pod_not_ready.r#for),
        (
            "monitoring.alerts.replicasMismatch.for",
            &a.replicas_mismatch.r#for,
        ),
        ("monitoring.alerts.hpaMaxedOut.for", &a.hpa_maxed_out.r#for),
        (
            "monitoring.alerts.pvcFillingUp.for",
            &a.pvc_filling_up.r#for,
        ),
        ("monitoring.alerts.redisDown.for", &a.redis_down.r#for),
        ("monitoring.alerts.redisMemory.for", &a.redis_memory.r#for),
    ] {
        k.duration(path, d);
    }
    if let Some(age) = &a.redis_backup.max_age {
        k.duration("monitoring.alerts.redisBackup.maxAge", age);
    }
    if let Err(why) = metric_name(&a.redis_backup.metric) {
        k.fail(
            "monitoring.alerts.redisBackup.metric",
            format!(
                "`{}` is not a valid Prometheus metric name: {why}",
                a.redis_backup.metric
            ),
            Some("e.g. `kube_cronjob_status_last_successful_time`".into()),
        );
    }
    // A rate needs two samples in its window, or the error and latency alerts never fire.
    let sm = &c.monitoring.service_monitor;
    if sm.enabled
        && let (Some(w), Some(i)) = (window, parse_duration(&sm.interval))
        && w < 2 * i
    {
        k.cross(
            "monitoring.alerts.rateWindow",
            "monitoring.serviceMonitor.interval",
            format!(
                "the rate window {} holds fewer than two scrapes at an interval of {}: rate() would return nothing",
                a.rate_window, sm.interval
            ),
            format!(
                "make `monitoring.alerts.rateWindow` at least twice the interval (four times is usual), e.g. `{}`",
                fmt_ms(4 * i)
            ),
        );
    }
}

/// A duration in milliseconds as the shortest Prometheus duration (`2m`, `90s`, `1500ms`).
fn fmt_ms(ms: u64) -> String {
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
        if ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// The Grafana dashboard ConfigMap: the sidecar's label and folder annotation.
pub(super) fn dashboard(k: &mut Checker, c: &Config) {
    let d = &c.monitoring.dashboard;
    if !d.enabled {
        return;
    }
    if c.monitoring.service_monitor.enabled && !c.monitoring.alerts.enabled {
        agent_metrics(k, c);
    }
    for (path, key) in [
        ("monitoring.dashboard.label", &d.label),
        (
            "monitoring.dashboard.folderAnnotation",
            &d.folder_annotation,
        ),
    ] {
        if let Err(why) = label_key(key) {
            k.fail(
                path,
                format!("`{key}` is not a valid label or annotation key: {why}"),
                label_key_suggestion(key).map(|f| format!("did you mean `{f}`?")),
            );
        }
    }
    if let Err(why) = label_value(&d.label_value) {
        k.fail(
            "monitoring.dashboard.labelValue",
            format!("`{}` is not a valid label value: {why}", d.label_value),
            Some("at most 63 characters: letters, digits, '-', '_', '.', e.g. `1`".into()),
        );
    }
    if d.folder.trim().is_empty() {
        k.fail(
            "monitoring.dashboard.folder",
            "the Grafana folder name is empty".into(),
            Some("e.g. `AI agents`".into()),
        );
    }
}
