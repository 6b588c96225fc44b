//! The Grafana dashboard model the dashboard ConfigMap carries, built from the [`Spec`]:
//! one table of panels with their queries and layout.

use serde_json::{Value as J, json};

use super::*;

impl Spec {
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
        let deploy = [("deployment", "=", self.deployment.as_str())];
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
            let hpa = [("horizontalpodautoscaler", "=", self.hpa.as_str())];
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
                    self.in_pods("kube_pod_container_status_restarts_total", &[])
                ),
            )],
        );
        // No in-cluster Redis (a managed one): no Redis container to chart.
        let containers: &[(&str, &str)] = if self.redis_in_cluster {
            &[("agent", "Agent"), ("redis", "Redis")]
        } else {
            &[("agent", "Agent")]
        };
        for (i, &(container, label)) in containers.iter().enumerate() {
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
                            self.in_pods("container_cpu_usage_seconds_total", &c)
                        ),
                    ),
                    (
                        "request",
                        format!(
                            "max({})",
                            self.in_pods("kube_pod_container_resource_requests", &cpu_req)
                        ),
                    ),
                    (
                        "limit",
                        format!(
                            "max({})",
                            self.in_pods("kube_pod_container_resource_limits", &cpu_req)
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
                            self.in_pods("container_memory_working_set_bytes", &c)
                        ),
                    ),
                    (
                        "request",
                        format!(
                            "max({})",
                            self.in_pods("kube_pod_container_resource_requests", &mem_req)
                        ),
                    ),
                    (
                        "limit",
                        format!(
                            "max({})",
                            self.in_pods("kube_pod_container_resource_limits", &mem_req)
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
        if self.has_claims {
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
                        self.in_claims("kubelet_volume_stats_available_bytes"),
                        self.in_claims("kubelet_volume_stats_capacity_bytes")
                    ),
                )],
            );
        }
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

    /// A stable dashboard uid (Grafana allows at most 40 characters): `agentctl-<namespace>`
    /// (`agentctl-<namespace>-<instance>` with `instance` set), shortened with a hash of it when
    /// that is too long.
    pub fn dashboard_uid(&self) -> String {
        let key = match &self.instance {
            Some(i) => format!("{}-{i}", self.namespace),
            None => self.namespace.clone(),
        };
        let uid = format!("agentctl-{key}");
        if uid.len() <= 40 {
            return uid;
        }
        // FNV-1a, 32 bits: stable across platforms and releases (unlike std's hasher).
        let hash = key.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        format!("agentctl-{}-{hash:08x}", &key[..22])
    }
}
