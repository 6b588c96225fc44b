//! The PrometheusRule's alerts: one table of rules (expression, duration, severity, runbook
//! text) built from the [`Spec`], grouped as the Prometheus Operator expects.

use serde_json::{Value as J, json};

use super::*;

pub(super) struct Rule {
    pub(super) alert: &'static str,
    pub(super) expr: String,
    pub(super) for_: String,
    pub(super) severity: &'static str,
    pub(super) summary: String,
    pub(super) description: String,
}

impl Spec {
    pub(super) fn ns(&self) -> (&'static str, &'static str, &str) {
        ("namespace", "=", self.namespace.as_str())
    }

    pub(super) fn agent(&self, metric: &str, extra: &[(&str, &str, &str)]) -> String {
        let mut m = vec![("job", "=", self.agent_job.as_str()), self.ns()];
        m.extend_from_slice(extra);
        sel(metric, &m)
    }

    pub(super) fn redis(&self, metric: &str) -> String {
        sel(metric, &[("job", "=", self.redis_job.as_str()), self.ns()])
    }

    /// A series of this deployment's pods: in the namespace, and with `instance` set, of its
    /// pods only (another deployment's pods share the namespace).
    pub(super) fn in_pods(&self, metric: &str, extra: &[(&str, &str, &str)]) -> String {
        let mut m = vec![self.ns()];
        if let Some(p) = &self.pods {
            m.push(("pod", "=~", p.as_str()));
        }
        m.extend_from_slice(extra);
        sel(metric, &m)
    }

    /// A series of this deployment's claims (as [`Spec::in_pods`]).
    pub(super) fn in_claims(&self, metric: &str) -> String {
        let mut m = vec![self.ns()];
        if let Some(c) = &self.claims {
            m.push(("persistentvolumeclaim", "=~", c.as_str()));
        }
        sel(metric, &m)
    }

    pub(super) fn in_ns(&self, metric: &str, extra: &[(&str, &str, &str)]) -> String {
        let mut m = vec![self.ns()];
        m.extend_from_slice(extra);
        sel(metric, &m)
    }

    pub(super) fn requests(&self, errors: bool) -> String {
        let m = &self.metrics;
        let w = &self.alerts.rate_window;
        if errors {
            let e = [(m.status_label.as_str(), "=~", m.error_status_regex.as_str())];
            format!("sum(rate({}[{w}]))", self.agent(&m.requests_total, &e))
        } else {
            format!("sum(rate({}[{w}]))", self.agent(&m.requests_total, &[]))
        }
    }

    pub(super) fn latency(&self, quantile: f64) -> String {
        let m = &self.metrics;
        format!(
            "histogram_quantile({}, sum by (le) (rate({}[{}])))",
            num(quantile),
            self.agent(&format!("{}_bucket", m.duration_histogram), &[]),
            self.alerts.rate_window
        )
    }

    /// `AgentDown`: no agent target scraped. Scaled to zero by design (KEDA idle), only while
    /// the Deployment wants pods (kube-state-metrics' `kube_deployment_spec_replicas` above
    /// 0: a trigger has work, or the fallback holds replicas): an idle agent at 0 is not down.
    fn agent_down(&self) -> Rule {
        let a = &self.alerts;
        let ns = &self.namespace;
        let absent = format!("absent({} == 1)", self.agent("up", &[]));
        let (expr, wanted) = if self.scale_to_zero {
            (
                format!(
                    "{absent} and on () ({} > 0)",
                    self.in_ns(
                        "kube_deployment_spec_replicas",
                        &[("deployment", "=", self.deployment.as_str())]
                    )
                ),
                format!(
                    " while Deployment {} wants pods (it scales to zero when idle; at 0 this alert stays silent)",
                    self.deployment
                ),
            )
        } else {
            (absent, String::new())
        };
        Rule {
            alert: "AgentDown",
            expr,
            for_: a.agent_down.r#for.clone(),
            severity: "critical",
            summary: "No agent pod is up and scraped.".into(),
            description: format!(
                "Prometheus has had no successful scrape of job {} in namespace {ns} for {}{wanted}: every agent pod is down, or the ServiceMonitor {} has no target (Prometheus' serviceMonitorSelector, the Service's endpoints, the NetworkPolicy).",
                self.agent_job, a.agent_down.r#for, self.agent_monitor
            ),
        }
    }

    // Long on purpose: a table: one entry per alert, with its expression, duration, severity and
    // runbook text.
    pub(super) fn rules(&self) -> Vec<(&'static str, Vec<Rule>)> {
        let a = &self.alerts;
        let ns = &self.namespace;
        let m = &self.metrics;
        let mut groups = Vec::new();

        if self.agent_metrics {
            groups.push((
                "agent",
                vec![
                    self.agent_down(),
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

        let deploy = [("deployment", "=", self.deployment.as_str())];
        let mut workload = vec![
            Rule {
                alert: "AgentPodCrashLooping",
                expr: format!(
                    "max_over_time({}[5m]) >= 1",
                    self.in_pods(
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
                    self.in_pods("kube_pod_status_ready", &[("condition", "=", "false")]),
                    self.in_pods(
                        "kube_pod_status_phase",
                        &[("phase", "=~", "Succeeded|Failed")]
                    ),
                    self.in_pods(
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
                summary: format!(
                    "{} has fewer available replicas than wanted.",
                    self.deployment
                ),
                description: format!(
                    "Deployment {ns}/{} has wanted more replicas than are available for {} with no rollout in progress (unschedulable pods, a failing probe, a quota).",
                    self.deployment, a.replicas_mismatch.r#for
                ),
            },
        ];
        if self.autoscaling {
            let hpa = [("horizontalpodautoscaler", "=", self.hpa.as_str())];
            workload.push(Rule {
                alert: "AgentHPAMaxedOut",
                expr: format!(
                    "{} >= {}",
                    self.in_ns("kube_horizontalpodautoscaler_status_current_replicas", &hpa),
                    self.in_ns("kube_horizontalpodautoscaler_spec_max_replicas", &hpa),
                ),
                for_: a.hpa_maxed_out.r#for.clone(),
                severity: "warning",
                summary: format!("{} has been at its maximum replicas.", self.hpa),
                description: format!(
                    "HPA {ns}/{} has run at its maximum of {{{{ $value }}}} replicas for {}: the agent cannot scale further. Raise agent.replicas.max (and check the quota), or find what drives the load.",
                    self.hpa,
                    a.hpa_maxed_out.r#for
                ),
            });
        }
        if self.has_claims {
            workload.push(Rule {
            alert: "AgentPVCFillingUp",
            expr: format!(
                "100 * {} / {} < {}",
                self.in_claims("kubelet_volume_stats_available_bytes"),
                self.in_claims("kubelet_volume_stats_capacity_bytes"),
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
        }
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
                    "redis_exporter has not reported Redis up (redis_up == 1) in namespace {ns} for {}: Redis is down, or its exporter sidecar or ServiceMonitor {} is not scraped.",
                    a.redis_down.r#for,
                    self.redis_monitor
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
                        if let Some(i) = &self.instance {
                            labels.insert(INSTANCE_ALERT_LABEL.into(), i.clone().into());
                        }
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
}

/// The labels of every rule of a PrometheusRule (agentctl's, patched, or an extra object's)
/// that hold `{{` or `}}`: Prometheus expands an alert's labels as Go templates (which can run
/// queries and read other series), and no label agentctl writes is one. An alert's annotations
/// are its templates (`{{ $labels.pod }}` in agentctl's own descriptions), so they stay free.
/// The typed settings that land in labels are refused the same way when they are read
/// (`resolve::validate`).
pub fn templated_labels(obj: &J) -> Vec<crate::config::patches::PatchError> {
    use crate::config::patches::{PatchError, Seg};
    let mut out = Vec::new();
    if obj.get("kind").and_then(J::as_str) != Some("PrometheusRule") {
        return out;
    }
    let key = |k: &str| Seg::Key(k.into());
    let groups = crate::k8s::object::pointer(obj, "/spec/groups").and_then(J::as_array);
    for (g, group) in groups.into_iter().flatten().enumerate() {
        let rules = group.get("rules").and_then(J::as_array);
        for (r, rule) in rules.into_iter().flatten().enumerate() {
            let labels = rule.get("labels").and_then(J::as_object);
            for (name, v) in labels.into_iter().flatten() {
                let text = v.as_str().unwrap_or_default();
                if text.contains("{{") || text.contains("}}") {
                    out.push(PatchError {
                        path: vec![key("spec"), key("groups"), Seg::Index(g), key("rules"), Seg::Index(r), key("labels"), key(name)],
                        on_key: false,
                        message: format!("`{{{{` or `}}}}` in the label `{name}` of an alert rule: Prometheus would expand it as a template (it can run queries and read other labels); an alert's labels are never templates"),
                        hint: Some("remove the braces; to show a series' labels, use the rule's annotations (`description`, `summary`), which are templates".into()),
                    });
                }
            }
        }
    }
    out
}
