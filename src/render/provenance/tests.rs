//! The typed-origin table against real renders: every row's setting, written in an override
//! file, is rendered where the row says, and a finding there is located at that setting.

use std::collections::BTreeSet;

use serde_json::Value as J;

use super::*;
use crate::input::layers::Inputs;
use crate::render::Renderer;

/// Settings every row of [`TYPED`] names, in three renders (the HPA's bounds, KEDA's and
/// fixed replicas, one spread setting each, cannot share one).
const FIRST: &str = "
kubeVersion: '1.33'
agent:
  imagePullPolicy: Always
  antiAffinity: preferred
  nodeSelector: {kubernetes.io/os: linux}
  nodeAffinity:
    pool: {key: node-pool, operator: In, values: [agents]}
  topologySpreadConstraints:
    - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}
  replicas: {min: 3, max: 9}
  rollingUpdate: {maxSurge: 2}
  probes:
    readiness: {path: /ready}
    liveness: {path: /live}
  resources: {requests: {cpu: 600m}}
  env: {LOG_FORMAT: json}
  priorityClassName: agents
  tolerations: [{key: dedicated, value: agents, effect: NoSchedule}]
  terminationGracePeriodSeconds: 45
  lifecycle: {preStop: {sleep: 5}}
  terminationMessagePolicy: FallbackToLogsOnError
  runAsUser: 10002
  imagePullSecrets: [regcred]
  tmpSizeLimit: 256Mi
  runtimeClassName: gvisor
  hostUsers: false
  serviceAccount: {name: agent-runner}
  service: {annotations: {example.com/team: agents}, type: LoadBalancer, sessionAffinity: ClientIP, sessionAffinityTimeoutSeconds: 600, loadBalancerSourceRanges: [203.0.113.0/24], externalTrafficPolicy: Local}
  sidecars:
    otel-collector: {imagePullPolicy: IfNotPresent, ports: {otlp: {port: 4317}}, command: [otelcol], env: {LOG: info}}
    proxy:
      native: true
      image: envoyproxy/envoy:v1.31.2
      command: [envoy]
      args: [--log-level=info]
      env: {LOG: info}
      imagePullPolicy: IfNotPresent
      ports: {admin: {port: 9901}}
      probes: {readiness: {tcpSocket: {port: 9901}}, liveness: {tcpSocket: {port: 9901}}}
      resources: {requests: {cpu: 60m, memory: 64Mi}, limits: {cpu: 200m, memory: 256Mi}}
  initContainers:
    wait-for-models: {imagePullPolicy: IfNotPresent, env: {LOG: info}, resources: {requests: {cpu: 60m, memory: 64Mi}, limits: {cpu: 200m, memory: 256Mi}}}
rbac: {apiAccess: true}
autoscaling: {scaleDownStabilizationSeconds: 600, behavior: {scaleUp: {selectPolicy: Min}}}
disruptionBudget: {maxUnavailable: 2, unhealthyPodEvictionPolicy: AlwaysAllow}
networkPolicy:
  ingressFrom:
    gateway: {namespaces: {kubernetes.io/metadata.name: gateway}}
redis:
  image: redis:7.4.2
  imagePullPolicy: Always
  resources: {requests: {cpu: 300m}}
  storage: {size: 20Gi}
  priorityClassName: data
  runAsUser: 10003
  nodeSelector: {pool: data}
  tolerations: [{key: dedicated, value: data, effect: NoSchedule}]
monitoring:
  redisExporter:
    enabled: true
    image: oliver006/redis_exporter:v1.67.0
    imagePullPolicy: Always
    resources: {requests: {cpu: 60m}}
  alerts: {runbookBaseUrl: https://runbooks.example.com/agent}
  serviceMonitor:
    scheme: https
    honorLabels: true
    relabelings: [{sourceLabels: [__meta_kubernetes_pod_node_name], targetLabel: node}]
    metricRelabelings: [{sourceLabels: [__name__], regex: 'go_.*', action: drop}]
backup:
  enabled: true
  schedule: '0 */4 * * *'
  resources: {requests: {cpu: 60m}}
  storage: {size: 30Gi}
quota:
  enabled: true
  requestsCpu: '90'
  requestsMemory: 90Gi
  limitsCpu: '90'
  limitsMemory: 90Gi
  requestsStorage: 900Gi
  pods: 90
  persistentVolumeClaims: 9
";

const SECOND: &str = "
agent:
  image: registry.example.com/agents/agent:v2.4.0
  zoneSpread: preferred
  replicas: {min: 2, max: 6}
autoscaling: {enabled: false, behavior: {scaleDown: {selectPolicy: Min}}}
keda:
  enabled: true
  idleReplicaCount: 0
  prometheus: {enabled: true, threshold: '100'}
  triggers:
    queue: {type: aws-sqs-queue, metadata: {queueURL: 'https://sqs.eu-west-1.amazonaws.com/1/tasks', queueLength: '5'}, authenticationRef: {name: sqs-auth}}
networkPolicy:
  ingressNamespaces: [gateway]
";

const THIRD: &str = "
agent:
  replicas: {min: 2}
  ports: {ws: {port: 8081, service: true}}
autoscaling: {enabled: false}
disruptionBudget: {minAvailable: 1}
ingress:
  enabled: true
  hosts: [agents.example.com]
  extraPaths: {websocket: {path: /ws, port: ws}}
  extraHosts: {internal: {host: agents.corp.example.com, tlsSecret: corp-tls}}
httpRoute:
  enabled: true
  parentRefs: [{name: gw, namespace: gateways}]
  extraPaths: {websocket: {path: /ws, port: ws}}
monitoring:
  serviceMonitor:
    scheme: https
    tlsConfig: {ca: {configMap: {name: metrics-ca, key: ca.crt}}}
";

/// The settings (the merged layers) and objects of the defaults with `files` (the examples,
/// relative to the repository) and `text` as one more override file.
fn render(files: &[&str], text: &str) -> (Merged, Vec<(String, Vec<J>)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let own = dir.path().join("typed.yaml");
    std::fs::write(&own, text).expect("write");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = files.iter().map(|f| root.join(f)).collect();
    paths.push(own);
    let inputs = Inputs {
        files: paths,
        ..Inputs::default()
    };
    let merged = match crate::pipeline::resolve(&inputs) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    let renderer = Renderer::new().expect("templates");
    let objects = crate::render::bundle::objects(&renderer, &merged.config).expect("renders");
    (merged, objects)
}

/// Every path of `v` (maps by key, lists by index), `v`'s own included.
fn paths(v: &J, at: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(at.clone());
    match v {
        J::Object(m) => {
            for (k, c) in m {
                at.push(Seg::Key(k.as_str().into()));
                paths(c, at, out);
                at.pop();
            }
        }
        J::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                at.push(Seg::Index(i));
                paths(c, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[test]
fn every_typed_origin_resolves() {
    let renders = [
        render(&["examples/sidecar-agent.yaml"], FIRST),
        render(&["examples/everything.yaml"], SECOND),
        render(&[], THIRD),
    ];
    let mut resolved: BTreeSet<usize> = BTreeSet::new();
    for (merged, files) in &renders {
        let objects: Vec<&J> = files.iter().flat_map(|(_, o)| o).collect();
        let known = Known::new(merged, &[], &objects);
        for o in &objects {
            let id = patches::object_id(o);
            let mut all = Vec::new();
            paths(o, &mut Vec::new(), &mut all);
            for path in all {
                let keyed = PathDisplay(&patches::keyed_path(o, &path)).to_string();
                for (i, r) in TYPED.iter().enumerate().filter(|(_, r)| r.object == id) {
                    let Some(setting) = r.setting_for(&keyed) else {
                        continue;
                    };
                    let written = merged
                        .origin(&setting)
                        .is_some_and(|s| s.source.origin != SourceOrigin::Default);
                    if !written {
                        continue;
                    }
                    // A finding of each of its rules there is located at a setting the user
                    // wrote (this row's, or an earlier row's for the same field).
                    for rule in r.rules {
                        let at = known.typed(rule, &id, &path);
                        assert!(
                            at.is_some(),
                            "{rule} at {id} {keyed}: not located (row {r:?})"
                        );
                    }
                    resolved.insert(i);
                }
            }
        }
    }
    let missing: Vec<&Rendered> = TYPED
        .iter()
        .enumerate()
        .filter(|(i, _)| !resolved.contains(i))
        .map(|(_, r)| r)
        .collect();
    assert!(
        missing.is_empty(),
        "rows whose setting, written in the test's overrides, renders nothing at their field: {missing:#?}"
    );
}

/// Each row names real rules and a setting of the schema; every rule is either reached by a
/// typed setting (a row) or listed with the reason none can make it fire.
#[test]
fn every_rule_has_typed_origins_or_a_reason() {
    for r in TYPED {
        for id in r.rules {
            assert!(lint::rule(id).is_some(), "{id} in {r:?} is not a rule");
        }
        let path: Vec<&str> = r
            .setting
            .split('.')
            .map(|s| if s == "*" { "x" } else { s })
            .collect();
        assert!(
            crate::config::schema::lookup(&path).is_ok(),
            "{} is not a setting",
            r.setting
        );
    }
    for rule in lint::RULES {
        let typed = TYPED.iter().any(|r| r.rules.contains(&rule.id));
        let not = NOT_TYPED.iter().any(|(id, _)| *id == rule.id);
        assert!(
            typed != not,
            "{}: {} (src/render/provenance.rs)",
            rule.id,
            if typed {
                "both in TYPED and NOT_TYPED"
            } else {
                "no typed origin: add a row to TYPED for the setting that renders the field it reads, or list it in NOT_TYPED with the reason no setting can make it fire"
            }
        );
    }
}
