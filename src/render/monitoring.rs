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

use serde_json::{Map, Value as J, json};

use crate::config::{AgentMetrics, Alerts, Config};
use crate::resolve::validate::{Kind, parse_duration, parse_quantity};

/// The Prometheus `job` label of the agent's targets: the Prometheus Operator names a
/// ServiceMonitor's job after the Service it scrapes.
pub const AGENT_JOB: &str = "agent-service";
/// The `job` label of the `redis_exporter` sidecar's target (a port of `redis-service`).
pub const REDIS_JOB: &str = "redis-service";

/// Everything the rules and the dashboard depend on: what is rendered, and the monitoring
/// settings (assumed validated), with the values the expressions need already resolved.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Namespace of every object (and of every series the rules select).
    pub namespace: String,
    /// The agent's metrics are scraped (the agent ServiceMonitor is rendered).
    pub agent_metrics: bool,
    /// The HPA `agent-hpa` exists (rendered, or created by KEDA's ScaledObject).
    pub autoscaling: bool,
    /// The `redis_exporter` sidecar and its ServiceMonitor are rendered.
    pub redis_exporter: bool,
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
    /// The specification for a configuration. `backup` is the Redis backup CronJob's name and
    /// schedule when backups are rendered. Values are assumed validated (an unparsable one
    /// falls back to a neutral number rather than failing: validation has reported it).
    pub fn from_config(cfg: &Config, backup: Option<(&str, &str)>) -> Spec {
        let m = &cfg.monitoring;
        let a = &m.alerts;
        let seconds = |d: &str| parse_duration(d).unwrap_or(0);
        let limit = &cfg.redis.resources.limits.memory;
        let backup_max_age_seconds = match (&a.redis_backup.max_age, backup) {
            (Some(age), _) => seconds(age) / 1000,
            (None, Some((_, schedule))) => 2 * schedule_period_seconds(schedule) + 3600,
            (None, None) => 49 * 3600,
        };
        let backup_max_age = match &a.redis_backup.max_age {
            Some(age) => age.clone(),
            None => duration_text(backup_max_age_seconds),
        };
        Spec {
            namespace: cfg.namespace.clone(),
            agent_metrics: m.service_monitor.enabled,
            // KEDA's ScaledObject creates its HPA under the same name, `agent-hpa`.
            autoscaling: cfg.autoscaling.enabled || cfg.keda.enabled,
            redis_exporter: m.redis_exporter.enabled,
            backup_cronjob: backup.map(|(name, _)| name.to_owned()),
            metrics: m.agent_metrics.clone(),
            redis_memory_limit: limit.clone(),
            redis_memory_limit_bytes: parse_quantity(limit, Kind::Memory).unwrap_or(1.0),
            alerts: a.clone(),
            latency_threshold_seconds: seconds(&a.latency.threshold) as f64 / 1000.0,
            backup_max_age,
            backup_max_age_seconds,
            dashboard_title: format!("Agent system ({})", cfg.namespace),
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

struct Rule {
    alert: &'static str,
    expr: String,
    for_: String,
    severity: &'static str,
    summary: String,
    description: String,
}

impl Spec {
    fn ns(&self) -> (&'static str, &'static str, &str) {
        ("namespace", "=", self.namespace.as_str())
    }

    fn agent(&self, metric: &str, extra: &[(&str, &str, &str)]) -> String {
        let mut m = vec![("job", "=", AGENT_JOB), self.ns()];
        m.extend_from_slice(extra);
        sel(metric, &m)
    }

    fn redis(&self, metric: &str) -> String {
        sel(metric, &[("job", "=", REDIS_JOB), self.ns()])
    }

    fn in_ns(&self, metric: &str, extra: &[(&str, &str, &str)]) -> String {
        let mut m = vec![self.ns()];
        m.extend_from_slice(extra);
        sel(metric, &m)
    }

    fn requests(&self, errors: bool) -> String {
        let m = &self.metrics;
        let w = &self.alerts.rate_window;
        if errors {
            let e = [(m.status_label.as_str(), "=~", m.error_status_regex.as_str())];
            format!("sum(rate({}[{w}]))", self.agent(&m.requests_total, &e))
        } else {
            format!("sum(rate({}[{w}]))", self.agent(&m.requests_total, &[]))
        }
    }

    fn latency(&self, quantile: f64) -> String {
        let m = &self.metrics;
        format!(
            "histogram_quantile({}, sum by (le) (rate({}[{}])))",
            num(quantile),
            self.agent(&format!("{}_bucket", m.duration_histogram), &[]),
            self.alerts.rate_window
        )
    }

    // Long on purpose: a table: one entry per alert, with its expression, duration, severity and
    // runbook text.
    fn rules(&self) -> Vec<(&'static str, Vec<Rule>)> {
        let a = &self.alerts;
        let ns = &self.namespace;
        let m = &self.metrics;
        let mut groups = Vec::new();

        if self.agent_metrics {
            groups.push((
                "agent",
                vec![
                    Rule {
                        alert: "AgentDown",
                        expr: format!("absent({} == 1)", self.agent("up", &[])),
                        for_: a.agent_down.r#for.clone(),
                        severity: "critical",
                        summary: "No agent pod is up and scraped.".into(),
                        description: format!(
                            "Prometheus has had no successful scrape of job {AGENT_JOB} in namespace {ns} for {}: every agent pod is down, or the ServiceMonitor agent-metrics has no target (Prometheus' serviceMonitorSelector, the Service's endpoints, the NetworkPolicy).",
                            a.agent_down.r#for
                        ),
                    },
                    Rule {
                        alert: "AgentHighErrorRatio",
                        expr: format!(
                            "{} / {} * 100 > {}",
                            self.requests(true),
                            self.requests(false),
                            a.error_ratio.percent
                        ),
                        for_: a.error_ratio.r#for.clone(),
                        severity: "critical",
                        summary: format!(
                            "More than {}% of agent requests fail.",
                            a.error_ratio.percent
                        ),
                        description: format!(
                            "{{{{ $value | humanize }}}}% of the agent's requests (rate over {}) have a {} matching {} (threshold {}%).",
                            a.rate_window,
                            m.status_label,
                            lit(&m.error_status_regex),
                            a.error_ratio.percent
                        ),
                    },
                    Rule {
                        alert: "AgentHighLatency",
                        expr: format!(
                            "{} > {}",
                            self.latency(f64::from(a.latency.quantile) / 100.0),
                            num(self.latency_threshold_seconds)
                        ),
                        for_: a.latency.r#for.clone(),
                        severity: "warning",
                        summary: format!(
                            "Agent p{} latency is above {}s.",
                            a.latency.quantile,
                            num(self.latency_threshold_seconds)
                        ),
                        description: format!(
                            "The {}th percentile of {} over {} is {{{{ $value | humanizeDuration }}}} (threshold {}s).",
                            a.latency.quantile,
                            m.duration_histogram,
                            a.rate_window,
                            num(self.latency_threshold_seconds)
                        ),
                    },
                ],
            ));
        }

        let deploy = [("deployment", "=", "agent-deployment")];
        let mut workload = vec![
            Rule {
                alert: "AgentPodCrashLooping",
                expr: format!(
                    "max_over_time({}[5m]) >= 1",
                    self.in_ns(
                        "kube_pod_container_status_waiting_reason",
                        &[("reason", "=", "CrashLoopBackOff")]
                    )
                ),
                for_: a.pod_crash_looping.r#for.clone(),
                severity: "warning",
                summary: "Pod {{ $labels.pod }} is crash looping.".into(),
                description: format!(
                    "Pod {ns}/{{{{ $labels.pod }}}} container {{{{ $labels.container }}}} has been in CrashLoopBackOff for {}. Look at `kubectl logs --previous -n {ns} {{{{ $labels.pod }}}} -c {{{{ $labels.container }}}}`.",
                    a.pod_crash_looping.r#for
                ),
            },
            Rule {
                alert: "AgentPodNotReady",
                expr: format!(
                    "(max by (namespace, pod) ({} == 1) unless on (namespace, pod) max by (namespace, pod) ({} == 1)) or max by (namespace, pod) ({} == 1)",
                    self.in_ns("kube_pod_status_ready", &[("condition", "=", "false")]),
                    self.in_ns(
                        "kube_pod_status_phase",
                        &[("phase", "=~", "Succeeded|Failed")]
                    ),
                    self.in_ns(
                        "kube_pod_status_phase",
                        &[("phase", "=~", "Pending|Unknown")]
                    ),
                ),
                for_: a.pod_not_ready.r#for.clone(),
                severity: "warning",
                summary: "Pod {{ $labels.pod }} is not ready.".into(),
                description: format!(
                    "Pod {ns}/{{{{ $labels.pod }}}} has been pending or not ready for more than {}. `kubectl describe pod -n {ns} {{{{ $labels.pod }}}}` shows why.",
                    a.pod_not_ready.r#for
                ),
            },
            Rule {
                alert: "AgentReplicasMismatch",
                expr: format!(
                    "({} > {}) and (changes({}[10m]) == 0)",
                    self.in_ns("kube_deployment_spec_replicas", &deploy),
                    self.in_ns("kube_deployment_status_replicas_available", &deploy),
                    self.in_ns("kube_deployment_status_replicas_updated", &deploy),
                ),
                for_: a.replicas_mismatch.r#for.clone(),
                severity: "warning",
                summary: "agent-deployment has fewer available replicas than wanted.".into(),
                description: format!(
                    "Deployment {ns}/agent-deployment has wanted more replicas than are available for {} with no rollout in progress (unschedulable pods, a failing probe, a quota).",
                    a.replicas_mismatch.r#for
                ),
            },
        ];
        if self.autoscaling {
            let hpa = [("horizontalpodautoscaler", "=", "agent-hpa")];
            workload.push(Rule {
                alert: "AgentHPAMaxedOut",
                expr: format!(
                    "{} >= {}",
                    self.in_ns("kube_horizontalpodautoscaler_status_current_replicas", &hpa),
                    self.in_ns("kube_horizontalpodautoscaler_spec_max_replicas", &hpa),
                ),
                for_: a.hpa_maxed_out.r#for.clone(),
                severity: "warning",
                summary: "agent-hpa has been at its maximum replicas.".into(),
                description: format!(
                    "HPA {ns}/agent-hpa has run at its maximum of {{{{ $value }}}} replicas for {}: the agent cannot scale further. Raise agent.replicas.max (and check the quota), or find what drives the load.",
                    a.hpa_maxed_out.r#for
                ),
            });
        }
        workload.push(Rule {
            alert: "AgentPVCFillingUp",
            expr: format!(
                "100 * {} / {} < {}",
                self.in_ns("kubelet_volume_stats_available_bytes", &[]),
                self.in_ns("kubelet_volume_stats_capacity_bytes", &[]),
                a.pvc_filling_up.free_percent
            ),
            for_: a.pvc_filling_up.r#for.clone(),
            severity: "warning",
            summary: format!(
                "PVC {{{{ $labels.persistentvolumeclaim }}}} has under {}% free space.",
                a.pvc_filling_up.free_percent
            ),
            description: format!(
                "PersistentVolumeClaim {ns}/{{{{ $labels.persistentvolumeclaim }}}} has {{{{ $value | humanize }}}}% free space left. Expand it (if its storage class allows) or free space."
            ),
        });
        groups.push(("agent-workload", workload));

        let mut redis = Vec::new();
        if self.redis_exporter {
            redis.push(Rule {
                alert: "RedisDown",
                expr: format!("absent({} == 1)", self.redis("redis_up")),
                for_: a.redis_down.r#for.clone(),
                severity: "critical",
                summary: "Redis is down or not scraped.".into(),
                description: format!(
                    "redis_exporter has not reported Redis up (redis_up == 1) in namespace {ns} for {}: Redis is down, or its exporter sidecar or ServiceMonitor redis-metrics is not scraped.",
                    a.redis_down.r#for
                ),
            });
            redis.push(Rule {
                alert: "RedisMemoryNearLimit",
                expr: format!(
                    "100 * {} / {} > {}",
                    self.redis("redis_memory_used_rss_bytes"),
                    num(self.redis_memory_limit_bytes),
                    a.redis_memory.percent
                ),
                for_: a.redis_memory.r#for.clone(),
                severity: "warning",
                summary: format!(
                    "Redis uses more than {}% of its memory limit.",
                    a.redis_memory.percent
                ),
                description: format!(
                    "Redis' resident memory is {{{{ $value | humanize }}}}% of its container limit {}: at the limit the kernel kills it (OOMKilled). Raise redis.resources.limits.memory or store less.",
                    self.redis_memory_limit
                ),
            });
        }
        if let Some(cronjob) = &self.backup_cronjob {
            let cj = [("cronjob", "=", cronjob.as_str())];
            redis.push(Rule {
                alert: "RedisBackupStale",
                expr: format!(
                    "time() - {} > {}",
                    self.in_ns(&a.redis_backup.metric, &cj),
                    self.backup_max_age_seconds
                ),
                for_: "10m".into(),
                severity: "warning",
                summary: format!("The last Redis backup is older than {}.", self.backup_max_age),
                description: format!(
                    "CronJob {ns}/{cronjob} last completed successfully {{{{ $value | humanizeDuration }}}} ago (limit {}). Check its recent Jobs: `kubectl get jobs -n {ns}`.",
                    self.backup_max_age
                ),
            });
            redis.push(Rule {
                alert: "RedisBackupMissing",
                expr: format!("absent({})", self.in_ns(&a.redis_backup.metric, &cj)),
                for_: self.backup_max_age.clone(),
                severity: "warning",
                summary: "No successful Redis backup is known.".into(),
                description: format!(
                    "kube-state-metrics has reported no successful run of CronJob {ns}/{cronjob} for {}: it has never succeeded, or kube-state-metrics does not see it.",
                    self.backup_max_age
                ),
            });
        }
        if !redis.is_empty() {
            groups.push(("redis", redis));
        }
        groups
    }

    /// The `spec.groups` of the `PrometheusRule`.
    pub fn rule_groups(&self) -> J {
        let groups = self
            .rules()
            .into_iter()
            .map(|(name, rules)| {
                let rules: Vec<J> = rules
                    .into_iter()
                    .map(|r| {
                        let mut labels = Map::new();
                        for (k, v) in &self.alerts.alert_labels {
                            labels.insert(k.clone(), J::String(v.clone()));
                        }
                        // Every alert names its namespace (an `absent()` result has no labels).
                        labels.insert("namespace".into(), self.namespace.clone().into());
                        labels.insert("severity".into(), r.severity.into());
                        json!({
                            "alert": r.alert,
                            "expr": block(r.expr),
                            "for": r.for_,
                            "labels": labels,
                            "annotations": {
                                "summary": short_or_block(r.summary),
                                "description": block(r.description),
                                "runbook_url": format!(
                                    "{}/{}",
                                    self.alerts.runbook_base_url.trim_end_matches('/'),
                                    r.alert
                                ),
                            },
                        })
                    })
                    .collect();
                json!({"name": name, "rules": rules})
            })
            .collect();
        J::Array(groups)
    }

    /// The names of the alerts, in rule order.
    pub fn alert_names(&self) -> Vec<&'static str> {
        self.rules()
            .into_iter()
            .flat_map(|(_, rules)| rules.into_iter().map(|r| r.alert))
            .collect()
    }

    /// The Grafana dashboard model (schema version 39), with a `datasource` variable so it
    /// works with whichever Prometheus data source the Grafana has.
    // Long on purpose: a table: one entry per dashboard panel, with its query and layout.
    pub fn dashboard(&self) -> J {
        let mut panels: Vec<J> = Vec::new();
        let mut y = 0;
        let row = |title: &str, panels: &mut Vec<J>, y: &mut u32| {
            panels.push(json!({
                "type": "row", "title": title, "collapsed": false,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": *y},
                "id": panels.len() + 1, "panels": [],
            }));
            *y += 1;
        };
        // (title, unit, [(legend, expr)]) per panel, two per row.
        let add = |panels: &mut Vec<J>,
                   y: &mut u32,
                   x: u32,
                   title: &str,
                   unit: &str,
                   targets: &[(&str, String)]| {
            let targets: Vec<J> = targets
                .iter()
                .enumerate()
                .map(|(i, (legend, expr))| {
                    json!({
                        "refId": ((b'A' + i as u8) as char).to_string(),
                        "expr": expr,
                        "legendFormat": legend,
                        "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    })
                })
                .collect();
            panels.push(json!({
                "type": "timeseries",
                "title": title,
                "id": panels.len() + 1,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": 12, "x": x, "y": *y},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
                "targets": targets,
            }));
            if x == 12 {
                *y += 8;
            }
        };
        let m = &self.metrics;
        let w = &self.alerts.rate_window;
        if self.agent_metrics {
            row("Requests", &mut panels, &mut y);
            add(
                &mut panels,
                &mut y,
                0,
                "Request rate",
                "reqps",
                &[
                    ("all", self.requests(false)),
                    ("errors", self.requests(true)),
                ],
            );
            add(
                &mut panels,
                &mut y,
                12,
                "Error ratio",
                "percent",
                &[(
                    "errors",
                    format!("{} / {} * 100", self.requests(true), self.requests(false)),
                )],
            );
            add(
                &mut panels,
                &mut y,
                0,
                "Latency",
                "s",
                &[
                    ("p50", self.latency(0.5)),
                    ("p95", self.latency(0.95)),
                    ("p99", self.latency(0.99)),
                ],
            );
            add(
                &mut panels,
                &mut y,
                12,
                "Requests by status",
                "reqps",
                &[(
                    &format!("{{{{{}}}}}", m.status_label),
                    format!(
                        "sum by ({}) (rate({}[{w}]))",
                        m.status_label,
                        self.agent(&m.requests_total, &[])
                    ),
                )],
            );
        }
        row("Agent pods", &mut panels, &mut y);
        let deploy = [("deployment", "=", "agent-deployment")];
        let mut pods = vec![
            (
                "available",
                self.in_ns("kube_deployment_status_replicas_available", &deploy),
            ),
            (
                "wanted",
                self.in_ns("kube_deployment_spec_replicas", &deploy),
            ),
        ];
        if self.autoscaling {
            let hpa = [("horizontalpodautoscaler", "=", "agent-hpa")];
            pods.push((
                "HPA min",
                self.in_ns("kube_horizontalpodautoscaler_spec_min_replicas", &hpa),
            ));
            pods.push((
                "HPA max",
                self.in_ns("kube_horizontalpodautoscaler_spec_max_replicas", &hpa),
            ));
            pods.push((
                "HPA desired",
                self.in_ns("kube_horizontalpodautoscaler_status_desired_replicas", &hpa),
            ));
        }
        add(
            &mut panels,
            &mut y,
            0,
            "Pods vs autoscaling bounds",
            "short",
            &pods,
        );
        add(
            &mut panels,
            &mut y,
            12,
            "Container restarts",
            "short",
            &[(
                "{{pod}}/{{container}}",
                format!(
                    "increase({}[1h])",
                    self.in_ns("kube_pod_container_status_restarts_total", &[])
                ),
            )],
        );
        for (i, (container, label)) in [("agent", "Agent"), ("redis", "Redis")]
            .into_iter()
            .enumerate()
        {
            let c = [("container", "=", container)];
            let cpu_req = [("container", "=", container), ("resource", "=", "cpu")];
            let mem_req = [("container", "=", container), ("resource", "=", "memory")];
            if i == 1 {
                row("Redis", &mut panels, &mut y);
            }
            add(
                &mut panels,
                &mut y,
                0,
                &format!("{label} CPU vs requests and limits"),
                "short",
                &[
                    (
                        "{{pod}}",
                        format!(
                            "sum by (pod) (rate({}[{w}]))",
                            self.in_ns("container_cpu_usage_seconds_total", &c)
                        ),
                    ),
                    (
                        "request",
                        format!(
                            "max({})",
                            self.in_ns("kube_pod_container_resource_requests", &cpu_req)
                        ),
                    ),
                    (
                        "limit",
                        format!(
                            "max({})",
                            self.in_ns("kube_pod_container_resource_limits", &cpu_req)
                        ),
                    ),
                ],
            );
            add(
                &mut panels,
                &mut y,
                12,
                &format!("{label} memory vs requests and limits"),
                "bytes",
                &[
                    (
                        "{{pod}}",
                        format!(
                            "sum by (pod) ({})",
                            self.in_ns("container_memory_working_set_bytes", &c)
                        ),
                    ),
                    (
                        "request",
                        format!(
                            "max({})",
                            self.in_ns("kube_pod_container_resource_requests", &mem_req)
                        ),
                    ),
                    (
                        "limit",
                        format!(
                            "max({})",
                            self.in_ns("kube_pod_container_resource_limits", &mem_req)
                        ),
                    ),
                ],
            );
        }
        if self.redis_exporter {
            add(
                &mut panels,
                &mut y,
                0,
                "Redis memory",
                "bytes",
                &[
                    ("used", self.redis("redis_memory_used_bytes")),
                    ("resident", self.redis("redis_memory_used_rss_bytes")),
                    ("container limit", num(self.redis_memory_limit_bytes)),
                ],
            );
            add(
                &mut panels,
                &mut y,
                12,
                "Redis clients and operations",
                "short",
                &[
                    ("connected clients", self.redis("redis_connected_clients")),
                    (
                        "commands/s",
                        format!(
                            "rate({}[{w}])",
                            self.redis("redis_commands_processed_total")
                        ),
                    ),
                ],
            );
        }
        add(
            &mut panels,
            &mut y,
            0,
            "Volume free space",
            "percent",
            &[(
                "{{persistentvolumeclaim}}",
                format!(
                    "100 * {} / {}",
                    self.in_ns("kubelet_volume_stats_available_bytes", &[]),
                    self.in_ns("kubelet_volume_stats_capacity_bytes", &[])
                ),
            )],
        );
        json!({
            "title": self.dashboard_title,
            "uid": self.dashboard_uid(),
            "tags": ["agentctl", "agent-system"],
            "timezone": "browser",
            "schemaVersion": 39,
            "version": 1,
            "editable": true,
            "graphTooltip": 1,
            "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "annotations": {"list": []},
            "links": [],
            "templating": {"list": [{
                "name": "datasource",
                "label": "Data source",
                "type": "datasource",
                "query": "prometheus",
                "current": {},
                "hide": 0,
                "refresh": 1,
                "options": [],
            }]},
            "panels": panels,
        })
    }

    /// A stable dashboard uid (Grafana allows at most 40 characters): `agentctl-<namespace>`,
    /// shortened with a hash of the namespace when that is too long.
    pub fn dashboard_uid(&self) -> String {
        let uid = format!("agentctl-{}", self.namespace);
        if uid.len() <= 40 {
            return uid;
        }
        // FNV-1a, 32 bits: stable across platforms and releases (unlike std's hasher).
        let hash = self.namespace.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        format!("agentctl-{}-{hash:08x}", &self.namespace[..22])
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every metric any rule or panel reads is provided by something in the render, for every
    /// combination of the switches that change what is rendered.
    #[test]
    fn every_expression_reads_only_provided_metrics() {
        for bits in 0..16u32 {
            let mut spec = sample();
            spec.agent_metrics = bits & 1 != 0;
            spec.autoscaling = bits & 2 != 0;
            spec.redis_exporter = bits & 4 != 0;
            spec.backup_cronjob = (bits & 8 != 0).then(|| "redis-backup".to_owned());
            let provided: BTreeSet<String> =
                sources(&spec).into_iter().flat_map(|(_, m)| m).collect();
            let exprs = all_expressions(&spec);
            assert!(!exprs.is_empty());
            for (where_, expr) in exprs {
                let names = metric_names(&expr);
                for name in &names {
                    assert!(
                        provided.contains(name),
                        "{where_} reads {name}, which nothing in the render provides (switches {bits:04b}): {expr}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_scanner_finds_metrics_and_skips_everything_else() {
        let e = r#"histogram_quantile(0.95, sum by (le) (rate(a_bucket{job="x",le=~"1e3"}[5m]))) / on (pod) group_left() max without (x) (b) > 1e9 and c offset 5m"#;
        let got: Vec<String> = metric_names(e).into_iter().collect();
        assert_eq!(got, ["a_bucket", "b", "c"]);
    }

    #[test]
    fn settings_that_switch_things_off_remove_their_alerts() {
        let full = sample().alert_names();
        assert_eq!(full.len(), 12);
        let mut s = sample();
        s.redis_exporter = false;
        s.backup_cronjob = None;
        s.autoscaling = false;
        s.agent_metrics = false;
        assert_eq!(
            s.alert_names(),
            [
                "AgentPodCrashLooping",
                "AgentPodNotReady",
                "AgentReplicasMismatch",
                "AgentPVCFillingUp"
            ]
        );
    }

    #[test]
    fn promql_strings_cannot_be_ended_early() {
        let mut s = sample();
        s.metrics.error_status_regex = r#"5.."}) or vector(1) #"#.into();
        let groups = s.rule_groups();
        let expr = groups[0]["rules"][1]["expr"].as_str().unwrap_or_default();
        assert!(
            expr.contains(r#"status=~"5..\"}) or vector(1) #""#),
            "{expr}"
        );
    }

    #[test]
    fn dashboard_is_deterministic_valid_json_with_a_stable_short_uid() {
        let a = serde_json::to_string(&sample().dashboard()).unwrap_or_default();
        let b = serde_json::to_string(&sample().dashboard()).unwrap_or_default();
        assert_eq!(a, b);
        assert!(serde_json::from_str::<J>(&a).is_ok());
        assert!(a.len() < 64 * 1024, "dashboard is {} bytes", a.len());
        let mut s = sample();
        s.namespace = "a".repeat(63);
        let uid = s.dashboard_uid();
        assert!(uid.len() <= 40, "{uid}");
        assert_eq!(uid, s.dashboard_uid());
        s.namespace = format!("{}b", "a".repeat(62));
        assert_ne!(uid, s.dashboard_uid());
    }

    fn sample() -> Spec {
        Spec::from_config(&Config::default(), Some(("redis-backup", "0 */6 * * *")))
    }
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
