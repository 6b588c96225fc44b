//! Issue 21's typed settings, part A, each followed from the built binary: an OpenShift-style
//! security context (`runAsUser: null`), no CPU limit (`limits.cpu: null`) with the quota and
//! LimitRange following, `ephemeral-storage`, the Service's type and session affinity, the
//! Namespace's labels and annotations, and `terminationMessagePolicy`.

use serde_json::Value as J;

use crate::support::{self, agentctl, write};

/// Renders `text` as one override file: (exit code, objects, stdout, stderr).
fn render(text: &str, code: i32) -> (Vec<J>, String, String) {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(dir, "o.yaml", text);
    let run = agentctl(["render", "-f", "o.yaml"])
        .current_dir(dir)
        .code(code)
        .run();
    let docs = if code == 0 {
        support::lib::parse_manifests(&run.stdout).expect("YAML")
    } else {
        Vec::new()
    };
    (docs, run.stdout, run.stderr)
}

fn find<'a>(docs: &'a [J], kind: &str) -> &'a J {
    docs.iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

/// Every `securityContext` of every object, with where it is.
fn contexts(v: &J, at: &str, out: &mut Vec<(String, J)>) {
    match v {
        J::Object(m) => {
            for (k, c) in m {
                if k == "securityContext" {
                    out.push((format!("{at}.{k}"), c.clone()));
                }
                contexts(c, &format!("{at}.{k}"), out);
            }
        }
        J::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                contexts(c, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn run_as_user_null_leaves_the_ids_to_the_platform_and_keeps_the_rest_hardened() {
    let (docs, _, stderr) = render(
        "agent:
  runAsUser: null
  sidecars:
    shipper: {image: fluent/fluent-bit:3.1.9}
  initContainers:
    migrate: {image: registry.example.com/migrate:v1}
redis:
  runAsUser: null
monitoring: {redisExporter: {enabled: true}}
backup: {enabled: true}
",
        0,
    );
    let mut all = Vec::new();
    for o in &docs {
        contexts(
            o,
            &format!("{}/{}", o["kind"], o["metadata"]["name"]),
            &mut all,
        );
    }
    // The agent pod and 3 containers, Redis' pod and 2 containers, the backup pod and container.
    assert!(all.len() >= 9, "{all:#?}");
    for (at, sc) in &all {
        for id in ["runAsUser", "runAsGroup", "fsGroup"] {
            assert!(sc.get(id).is_none(), "{at} has {id}: {sc}");
        }
        assert_eq!(sc["runAsNonRoot"], true, "{at}");
        assert!(sc.get("seccompProfile").is_some(), "{at}");
    }
    assert!(!stderr.contains("AGT110"), "{stderr}");
    // The default still sets them.
    let (docs, _, _) = render("agent: {replicas: {min: 2}}\n", 0);
    let dep = find(&docs, "Deployment");
    assert_eq!(
        dep["spec"]["template"]["spec"]["securityContext"]["fsGroup"],
        10001
    );
}

#[test]
fn no_cpu_limit_takes_the_quota_and_the_limit_range_with_it() {
    let (docs, _, stderr) = render(
        "quota: {enabled: true}
agent:
  resources:
    limits: {cpu: null, ephemeral-storage: 2Gi}
    requests: {ephemeral-storage: 1Gi}
",
        0,
    );
    let dep = find(&docs, "Deployment");
    let res = &dep["spec"]["template"]["spec"]["containers"][0]["resources"];
    assert!(res["limits"].get("cpu").is_none(), "{res}");
    assert_eq!(res["limits"]["memory"], "2Gi");
    assert_eq!(res["limits"]["ephemeral-storage"], "2Gi");
    assert_eq!(res["requests"]["ephemeral-storage"], "1Gi");
    let quota = find(&docs, "ResourceQuota");
    assert!(quota["spec"]["hard"].get("limits.cpu").is_none(), "{quota}");
    assert!(
        quota["spec"]["hard"].get("limits.memory").is_some(),
        "{quota}"
    );
    let lr = find(&docs, "LimitRange");
    let default = &lr["spec"]["limits"][0]["default"];
    assert!(default.get("cpu").is_none(), "{lr}");
    assert!(default.get("memory").is_some(), "{lr}");
    assert!(!stderr.contains("AGT121"), "{stderr}");
    // With every CPU limit set, the quota counts them again.
    let (docs, _, _) = render("quota: {enabled: true}\n", 0);
    assert!(
        find(&docs, "ResourceQuota")["spec"]["hard"]
            .get("limits.cpu")
            .is_some()
    );
    assert!(
        find(&docs, "LimitRange")["spec"]["limits"][0]["default"]
            .get("cpu")
            .is_some()
    );
}

#[test]
fn a_quota_on_cpu_limits_and_a_container_without_one_are_refused_together() {
    let (_, _, stderr) = render(
        "quota: {enabled: true, limitsCpu: '40'}
agent: {resources: {limits: {cpu: null}}}
",
        2,
    );
    assert!(
        stderr.contains(
            "`quota.limitsCpu` counts CPU limits, but `agent.resources.limits.cpu` is null"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("o.yaml:1:"), "{stderr}");
    let (_, _, stderr) = render(
        "agent: {resources: {limits: {ephemeral-storage: lots}}}\n",
        2,
    );
    assert!(
        stderr.contains("agent.resources.limits.ephemeral-storage"),
        "{stderr}"
    );
    assert!(stderr.contains("o.yaml:1:"), "{stderr}");
}

#[test]
fn the_service_type_and_session_affinity_are_settings() {
    let (docs, _, stderr) = render(
        "agent:
  service:
    type: LoadBalancer
    sessionAffinity: ClientIP
    sessionAffinityTimeoutSeconds: 600
",
        0,
    );
    let svc = find(&docs, "Service");
    assert_eq!(svc["metadata"]["name"], "agent-service");
    assert_eq!(svc["spec"]["type"], "LoadBalancer");
    assert_eq!(svc["spec"]["sessionAffinity"], "ClientIP");
    assert_eq!(
        svc["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"],
        600
    );
    assert!(!stderr.contains("AGT140"), "{stderr}");
    // AGT140 is off on purpose for agent-service, said with the setting; exit 0.
    let tmp = support::tempdir();
    write(tmp.path(), "o.yaml", "agent: {service: {type: NodePort}}\n");
    let run = agentctl(["lint", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .code(0)
        .run();
    assert!(
        run.stdout
            .contains("= note: off by `agent.service.type: NodePort` at o.yaml:1:25"),
        "{}",
        run.stdout
    );
    let (_, _, stderr) = render(
        "agent: {service: {sessionAffinityTimeoutSeconds: 600}}\n",
        2,
    );
    assert!(
        stderr.contains("without `sessionAffinity: ClientIP`"),
        "{stderr}"
    );
    let (_, _, stderr) = render("agent: {service: {type: LoadBalancr}}\n", 2);
    assert!(stderr.contains("LoadBalancer"), "{stderr}");
}

#[test]
fn agent_service_takes_source_ranges_and_a_traffic_policy() {
    let (docs, _, _) = render(
        "agent:
  service:
    type: LoadBalancer
    loadBalancerSourceRanges: [203.0.113.0/24, 198.51.100.7/32]
    externalTrafficPolicy: Local
",
        0,
    );
    let svc = find(&docs, "Service");
    assert_eq!(svc["metadata"]["name"], "agent-service");
    assert_eq!(
        svc["spec"]["loadBalancerSourceRanges"],
        serde_json::json!(["203.0.113.0/24", "198.51.100.7/32"])
    );
    assert_eq!(svc["spec"]["externalTrafficPolicy"], "Local");
    // Unset: neither field is written.
    let (docs, _, _) = render("agent: {service: {type: LoadBalancer}}\n", 0);
    let svc = find(&docs, "Service");
    assert!(
        svc["spec"].get("loadBalancerSourceRanges").is_none(),
        "{svc}"
    );
    assert!(svc["spec"].get("externalTrafficPolicy").is_none(), "{svc}");
    // Each refused where Kubernetes would ignore or refuse it, at its line.
    let (_, _, stderr) = render(
        "agent: {service: {loadBalancerSourceRanges: [203.0.113.0/24]}}\n",
        2,
    );
    assert!(
        stderr.contains("agent.service.loadBalancerSourceRanges")
            && stderr.contains("set `agent.service.type: LoadBalancer`"),
        "{stderr}"
    );
    let (_, _, stderr) = render(
        "agent: {service: {type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/33]}}\n",
        2,
    );
    assert!(
        stderr.contains("agent.service.loadBalancerSourceRanges.0") && stderr.contains("o.yaml:1:"),
        "{stderr}"
    );
    let (_, _, stderr) = render("agent: {service: {externalTrafficPolicy: Local}}\n", 2);
    assert!(
        stderr.contains("agent.service.externalTrafficPolicy") && stderr.contains("ClusterIP"),
        "{stderr}"
    );
}

#[test]
fn namespace_metadata_and_termination_message_policy_are_settings() {
    let (docs, _, _) = render(
        "namespaceLabels: {istio-injection: enabled}
namespaceAnnotations: {openshift.io/node-selector: 'pool=agents'}
agent:
  terminationMessagePolicy: FallbackToLogsOnError
  sidecars:
    shipper: {image: fluent/fluent-bit:3.1.9}
",
        0,
    );
    let ns = find(&docs, "Namespace");
    assert_eq!(ns["metadata"]["labels"]["istio-injection"], "enabled");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    assert_eq!(
        ns["metadata"]["annotations"]["openshift.io/node-selector"],
        "pool=agents"
    );
    let dep = find(&docs, "Deployment");
    for c in dep["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
    {
        assert_eq!(
            c["terminationMessagePolicy"], "FallbackToLogsOnError",
            "{c}"
        );
    }
    // In an existing namespace they are prerequisites, with their commands.
    let (_, _, stderr) = render(
        "createNamespace: false
namespaceLabels: {istio-injection: enabled}
namespaceAnnotations: {openshift.io/node-selector: 'pool=agents'}
",
        0,
    );
    assert!(
        stderr.contains("kubectl label namespace production-agents istio-injection=enabled"),
        "{stderr}"
    );
    assert!(stderr.contains("kubectl annotate namespace production-agents openshift.io/node-selector=pool=agents --overwrite"), "{stderr}");
    // The Pod Security labels stay podSecurity's.
    let (_, _, stderr) = render(
        "namespaceLabels: {pod-security.kubernetes.io/enforce: privileged}\n",
        2,
    );
    assert!(stderr.contains("podSecurity"), "{stderr}");
}
