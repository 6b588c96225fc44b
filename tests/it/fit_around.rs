//! Issue 21, typed settings part B: what was only reachable through a patch around the agent
//! workload, now typed and rendered: the HPA's `behavior` (and KEDA's HPA's), the
//! PodDisruptionBudget's `minAvailable` and `unhealthyPodEvictionPolicy`, the agent
//! ServiceMonitor's scheme, `honorLabels` and relabelings, the Ingress's further paths (to an
//! extra port) and hosts (with their own TLS); the agent container's probes of every handler.
//! Each from the built binary's output.

use serde_json::{Value as J, json};

use crate::support::{self, agentctl, write};

fn render(dir: &std::path::Path, file: &str, body: &str) -> Vec<J> {
    write(dir, file, body);
    let run = agentctl(["render", "-f", file])
        .current_dir(dir)
        .code(0)
        .run();
    support::lib::parse_manifests(&run.stdout).expect("YAML")
}

fn find<'a>(docs: &'a [J], kind: &str) -> &'a J {
    docs.iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn hpa_behavior_is_typed_and_the_default_is_unchanged() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    // Unset: agentctl's behavior, as before the setting existed.
    let docs = render(dir, "none.yaml", "{}\n");
    assert_eq!(
        find(&docs, "HorizontalPodAutoscaler")["spec"]["behavior"],
        json!({
            "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
            "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 30}]},
        })
    );
    let docs = render(
        dir,
        "b.yaml",
        "autoscaling:
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      selectPolicy: Min
      policies:
        - {type: Pods, value: 4, periodSeconds: 15}
        - {type: Percent, value: 50, periodSeconds: 15}
    scaleDown:
      selectPolicy: Disabled
",
    );
    assert_eq!(
        find(&docs, "HorizontalPodAutoscaler")["spec"]["behavior"],
        json!({
            "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Disabled", "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
            "scaleUp": {"stabilizationWindowSeconds": 60, "selectPolicy": "Min", "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 50, "periodSeconds": 15},
            ]},
        })
    );
    // KEDA's HPA: the same behavior; its scale-up only when one was written.
    let keda = "autoscaling: {enabled: false, behavior: {scaleDown: {stabilizationWindowSeconds: 120}}}\nkeda: {enabled: true}\n";
    let docs = render(dir, "k.yaml", keda);
    assert_eq!(
        find(&docs, "ScaledObject")["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"],
        json!({"scaleDown": {"stabilizationWindowSeconds": 120, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}})
    );
    let docs = render(
        dir,
        "k2.yaml",
        "autoscaling: {enabled: false, behavior: {scaleUp: {selectPolicy: Disabled}}}\nkeda: {enabled: true}\n",
    );
    assert_eq!(
        find(&docs, "ScaledObject")["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
            ["scaleUp"],
        json!({"stabilizationWindowSeconds": 0, "selectPolicy": "Disabled", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 30}]})
    );
}

#[test]
fn the_budget_takes_min_available_and_the_eviction_policy() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let docs = render(
        dir,
        "p.yaml",
        "disruptionBudget: {minAvailable: 50%, unhealthyPodEvictionPolicy: AlwaysAllow}\n",
    );
    let spec = &find(&docs, "PodDisruptionBudget")["spec"];
    assert_eq!(spec["minAvailable"], "50%");
    assert!(spec.get("maxUnavailable").is_none(), "{spec}");
    assert_eq!(spec["unhealthyPodEvictionPolicy"], "AlwaysAllow");
    // Both written by the user: refused, located at both.
    write(
        dir,
        "both.yaml",
        "disruptionBudget:\n  maxUnavailable: 1\n  minAvailable: 2\n",
    );
    let r = agentctl(["render", "-f", "both.yaml"])
        .current_dir(dir)
        .code(2)
        .run();
    assert!(r.stderr.contains("not both"), "{}", r.stderr);
    assert!(r.stderr.contains("both.yaml:3:"), "{}", r.stderr);
    // minAvailable keeping every pod at the minimum scale blocks drains.
    write(dir, "all.yaml", "disruptionBudget: {minAvailable: 3}\n");
    let r = agentctl(["render", "-f", "all.yaml"])
        .current_dir(dir)
        .code(2)
        .run();
    assert!(r.stderr.contains("blocks every node drain"), "{}", r.stderr);
}

#[test]
fn the_service_monitor_endpoint_is_typed() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let docs = render(
        dir,
        "m.yaml",
        "monitoring:
  serviceMonitor:
    scheme: https
    honorLabels: true
    relabelings:
      - {sourceLabels: [__meta_kubernetes_pod_node_name], targetLabel: node}
    metricRelabelings:
      - {sourceLabels: [__name__], regex: 'agent_debug_.*', action: drop}
",
    );
    let sm = docs
        .iter()
        .find(|o| o["metadata"]["name"] == "agent-metrics")
        .expect("ServiceMonitor");
    let e = &sm["spec"]["endpoints"][0];
    assert_eq!(e["scheme"], "https");
    assert_eq!(e["honorLabels"], true);
    assert_eq!(
        e["relabelings"],
        json!([{"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"}])
    );
    assert_eq!(
        e["metricRelabelings"],
        json!([{"sourceLabels": ["__name__"], "regex": "agent_debug_.*", "action": "drop"}])
    );
    // The Redis exporter's endpoint keeps its own scheme.
    let redis = docs
        .iter()
        .find(|o| o["metadata"]["name"] == "redis-metrics")
        .expect("redis ServiceMonitor");
    assert_eq!(redis["spec"]["endpoints"][0]["scheme"], "http");
}

#[test]
fn the_ingress_takes_extra_paths_and_hosts_with_their_tls() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let docs = render(
        dir,
        "i.yaml",
        "agent:
  ports:
    ws: {port: 8081, service: true}
ingress:
  enabled: true
  hosts: [agents.example.com]
  tlsSecret: public-tls
  extraPaths:
    websocket: {path: /ws, port: ws}
  extraHosts:
    internal: {host: agents.corp.example.com, paths: [/v1], pathType: Exact, tlsSecret: corp-tls}
",
    );
    let spec = &find(&docs, "Ingress")["spec"];
    assert_eq!(
        spec["tls"],
        json!([
            {"hosts": ["agents.example.com"], "secretName": "public-tls"},
            {"hosts": ["agents.corp.example.com"], "secretName": "corp-tls"},
        ])
    );
    let backend =
        |port: &str| json!({"service": {"name": "agent-service", "port": {"name": port}}});
    assert_eq!(
        spec["rules"],
        json!([
            {"host": "agents.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": backend("http")},
                {"path": "/ws", "pathType": "Prefix", "backend": backend("ws")},
            ]}},
            {"host": "agents.corp.example.com", "http": {"paths": [
                {"path": "/v1", "pathType": "Exact", "backend": backend("http")},
            ]}},
        ])
    );
}

#[test]
fn keda_takes_triggers_of_any_scaler() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let docs = render(
        dir,
        "t.yaml",
        "autoscaling: {enabled: false}
keda:
  enabled: true
  prometheus: {enabled: false}
  triggers:
    orders:
      type: aws-sqs-queue
      metadata: {queueURL: 'https://sqs.eu-west-1.amazonaws.com/1/orders', queueLength: '5', awsRegion: eu-west-1}
      authenticationRef: {name: sqs-auth}
",
    );
    assert_eq!(
        find(&docs, "ScaledObject")["spec"]["triggers"],
        json!([{
            "type": "aws-sqs-queue",
            "name": "orders",
            "metadata": {"queueURL": "https://sqs.eu-west-1.amazonaws.com/1/orders", "queueLength": "5", "awsRegion": "eu-west-1"},
            "authenticationRef": {"name": "sqs-auth", "kind": "TriggerAuthentication"},
        }])
    );
    write(
        dir,
        "bad.yaml",
        "autoscaling: {enabled: false}\nkeda:\n  enabled: true\n  triggers:\n    Orders: {type: AWS_SQS}\n",
    );
    let r = agentctl(["render", "-f", "bad.yaml"])
        .current_dir(dir)
        .code(2)
        .run();
    assert!(
        r.stderr.contains("`Orders` is not a trigger name"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`AWS_SQS` is not a KEDA scaler name"),
        "{}",
        r.stderr
    );
}

/// The agent container's probes take the handlers a sidecar's do (one probe type): `exec`,
/// `grpc`, `tcpSocket` by port name, and `httpGet` with its `scheme` (its port unset: the
/// serving port); a probe without a handler stays the HTTP GET of `healthPath` on `http`.
#[test]
fn the_agent_probes_take_every_handler() {
    let tmp = support::tempdir();
    let docs = render(
        tmp.path(),
        "probes.yaml",
        "agent:
  healthPath: /healthz
  ports: {grpc: {port: 50051, appProtocol: grpc}}
  probes:
    startup: {httpGet: {path: /started, scheme: HTTPS}, failureThreshold: 60}
    liveness: {exec: [/app/healthcheck, --live]}
    readiness: {grpc: {port: 50051, service: agent.v1.Health}}
",
    );
    let agent = |docs: &[J]| -> J {
        find(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == "agent")
            .cloned()
            .expect("the agent container")
    };
    let a = agent(&docs);
    assert_eq!(
        a["startupProbe"],
        json!({"httpGet": {"path": "/started", "port": "http", "scheme": "HTTPS"},
            "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 60})
    );
    assert_eq!(
        a["livenessProbe"]["exec"],
        json!({"command": ["/app/healthcheck", "--live"]})
    );
    assert!(a["livenessProbe"].get("httpGet").is_none(), "{a}");
    assert_eq!(
        a["readinessProbe"]["grpc"],
        json!({"port": 50051, "service": "agent.v1.Health"})
    );
    let docs = render(
        tmp.path(),
        "tcp.yaml",
        "agent:
  ports: {grpc: {port: 50051}}
  probes:
    readiness: {tcpSocket: {port: grpc}}
    liveness: {path: /live}
",
    );
    let a = agent(&docs);
    assert_eq!(a["readinessProbe"]["tcpSocket"], json!({"port": "grpc"}));
    assert_eq!(
        a["livenessProbe"]["httpGet"],
        json!({"path": "/live", "port": "http"})
    );
    assert_eq!(
        a["startupProbe"]["httpGet"],
        json!({"path": "/health", "port": "http"})
    );
}
