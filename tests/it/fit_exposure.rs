//! Issue 21, part B of the last trial's gaps: one extra port alone on a Service of its own
//! (a public UDP load balancer beside a cluster-internal API) and the NetworkPolicy rule that
//! follows it, the HTTPRoute's further paths and hosts, the agent ServiceMonitor's TLS, and the
//! note of `runAsUser: null` where nothing assigns a user. Each from the built binary's output.

use serde_json::{Value as J, json};

use crate::support::{self, agentctl, write};

fn render(dir: &std::path::Path, file: &str, body: &str) -> (Vec<J>, String) {
    write(dir, file, body);
    let run = agentctl(["render", "-f", file])
        .current_dir(dir)
        .code(0)
        .run();
    (
        support::lib::parse_manifests(&run.stdout).expect("YAML"),
        run.stderr,
    )
}

fn named<'a>(docs: &'a [J], kind: &str, name: &str) -> &'a J {
    docs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name}"))
}

const MEDIA: &str = "agent:
  ports:
    media:
      port: 10000
      protocol: UDP
      service:
        type: LoadBalancer
        annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}
        loadBalancerSourceRanges: [203.0.113.0/24]
        externalTrafficPolicy: Local
    rtc:
      port: 10001
      protocol: UDP
      service: {type: NodePort}
";

#[test]
fn a_port_alone_on_its_own_load_balancer_keeps_the_api_cluster_internal() {
    let tmp = support::tempdir();
    let (docs, stderr) = render(tmp.path(), "media.yaml", MEDIA);
    let api = named(&docs, "Service", "agent-service");
    assert_eq!(api["spec"]["type"], "ClusterIP");
    let api_ports: Vec<&J> = api["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .collect();
    assert!(
        api_ports
            .iter()
            .all(|p| p["name"] != "media" && p["name"] != "rtc"),
        "the API Service carries no media port: {api_ports:?}"
    );
    let media = named(&docs, "Service", "agent-service-media");
    assert_eq!(
        media["spec"],
        json!({
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "loadBalancerSourceRanges": ["203.0.113.0/24"],
            "selector": {"app.kubernetes.io/name": "agent"},
            "ports": [{"name": "media", "port": 10000, "targetPort": "media", "protocol": "UDP"}],
        })
    );
    assert_eq!(
        media["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"],
        "nlb"
    );
    assert_eq!(
        named(&docs, "Service", "agent-service-rtc")["spec"]["type"],
        "NodePort"
    );
    // The NetworkPolicy: the client ranges for the Local load balancer (addresses kept), any
    // address for the NodePort (a node forwards it as its own).
    let ingress = named(&docs, "NetworkPolicy", "agent-network-policy")["spec"]["ingress"]
        .as_array()
        .expect("ingress")
        .clone();
    assert!(
        ingress.contains(&json!({
            "from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}],
            "ports": [{"port": 10000, "protocol": "UDP"}],
        })),
        "{ingress:?}"
    );
    assert!(
        ingress.contains(&json!({
            "from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}],
            "ports": [{"port": 10001, "protocol": "UDP"}],
        })),
        "{ingress:?}"
    );
    // Exposure asked for by the setting: no error, no warning (lint's findings are notes).
    assert!(
        !stderr.contains("AGT140") && !stderr.contains("warning"),
        "{stderr}"
    );
    let lint = agentctl(["lint", "-f", "media.yaml"])
        .current_dir(tmp.path())
        .code(0)
        .run();
    assert!(
        lint.stdout
            .contains("off by `agent.ports.media.service.type: LoadBalancer` at media.yaml:7:15"),
        "{}",
        lint.stdout
    );
    assert!(
        lint.stdout
            .contains("off by `agent.ports.rtc.service.type: NodePort`"),
        "{}",
        lint.stdout
    );
}

#[test]
fn a_patch_that_opens_the_port_service_is_still_refused() {
    let tmp = support::tempdir();
    write(
        tmp.path(),
        "p.yaml",
        "agent:
  ports:
    media: {port: 10000, protocol: UDP, service: {type: ClusterIP}}
patches:
  - target: {kind: Service, name: agent-service-media}
    patch: {spec: {type: LoadBalancer}}
",
    );
    let run = agentctl(["render", "-f", "p.yaml"])
        .current_dir(tmp.path())
        .code(2)
        .run();
    assert!(run.stderr.contains("AGT140"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Service/agent-service-media"),
        "{}",
        run.stderr
    );
}

#[test]
fn http_route_extra_paths_and_hosts() {
    let tmp = support::tempdir();
    let (docs, _) = render(
        tmp.path(),
        "r.yaml",
        "agent:
  ports:
    ws: {port: 8081, service: true}
httpRoute:
  enabled: true
  parentRefs: [{name: gw, namespace: gateways, sectionName: https}]
  hostnames: [agents.example.com]
  extraPaths:
    websocket: {path: /ws, port: ws, pathType: Exact}
  extraHosts:
    internal: {host: agents.corp.example.com, paths: [/api, /v2], sectionName: corp-https}
",
    );
    let main = named(&docs, "HTTPRoute", "agent-route");
    let rules = main["spec"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(
        rules[1],
        json!({
            "matches": [{"path": {"type": "Exact", "value": "/ws"}}],
            "backendRefs": [{"group": "", "kind": "Service", "name": "agent-service", "port": 8081, "weight": 1}],
        })
    );
    let extra = named(&docs, "HTTPRoute", "agent-route-internal");
    assert_eq!(
        extra["spec"]["hostnames"],
        json!(["agents.corp.example.com"])
    );
    assert_eq!(
        extra["spec"]["parentRefs"],
        json!([{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw", "namespace": "gateways", "sectionName": "corp-https"}])
    );
    let matches: Vec<&J> = extra["spec"]["rules"][0]["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| &m["path"]["value"])
        .collect();
    assert_eq!(matches, [&json!("/api"), &json!("/v2")]);
    assert_eq!(extra["spec"]["rules"][0]["backendRefs"][0]["port"], 8000);
}

#[test]
fn service_monitor_tls_from_secret_and_config_map() {
    let tmp = support::tempdir();
    let (docs, stderr) = render(
        tmp.path(),
        "t.yaml",
        "monitoring:
  serviceMonitor:
    scheme: https
    tlsConfig:
      ca: {configMap: {name: agent-metrics-ca, key: ca.crt}}
      cert: {secret: {name: prom-client, key: tls.crt}}
      keySecret: {name: prom-client, key: tls.key}
      serverName: agent-service.production-agents.svc
",
    );
    let sm = named(&docs, "ServiceMonitor", "agent-metrics");
    assert_eq!(
        sm["spec"]["endpoints"][0]["tlsConfig"],
        json!({
            "ca": {"configMap": {"name": "agent-metrics-ca", "key": "ca.crt"}},
            "cert": {"secret": {"name": "prom-client", "key": "tls.crt"}},
            "keySecret": {"name": "prom-client", "key": "tls.key"},
            "serverName": "agent-service.production-agents.svc",
        })
    );
    assert_eq!(sm["spec"]["endpoints"][0]["scheme"], "https");
    // What it reads is a prerequisite: the ConfigMap with its command, the Secret with its keys.
    assert!(
        stderr.contains("ConfigMap agent-metrics-ca with keys ca.crt, created out of band: a ServiceMonitor's tlsConfig reads it"),
        "{stderr}"
    );
    assert!(
        stderr.contains("kubectl create configmap agent-metrics-ca --namespace=production-agents"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Secret prom-client in namespace production-agents with keys tls.crt, tls.key, created out of band"),
        "{stderr}"
    );
    // Written only when set: no tlsConfig key by default.
    let (docs, _) = render(tmp.path(), "none.yaml", "{}\n");
    let sm = named(&docs, "ServiceMonitor", "agent-metrics");
    assert!(sm["spec"]["endpoints"][0].get("tlsConfig").is_none());
    let (docs, _) = render(
        tmp.path(),
        "skip.yaml",
        "monitoring: {serviceMonitor: {scheme: https, tlsConfig: {insecureSkipVerify: true}}}\n",
    );
    let sm = named(&docs, "ServiceMonitor", "agent-metrics");
    assert_eq!(
        sm["spec"]["endpoints"][0]["tlsConfig"],
        json!({"insecureSkipVerify": true})
    );
}

#[test]
fn run_as_user_null_outside_openshift_is_noted_once() {
    let tmp = support::tempdir();
    let (docs, stderr) = render(
        tmp.path(),
        "u.yaml",
        "agent: {runAsUser: null}\nredis: {runAsUser: null}\n",
    );
    assert_eq!(
        stderr.matches("`runAsUser: null` leaves the user").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("`agent.runAsUser: null` (u.yaml:1:20)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the official Redis image's user is root: it will not start"),
        "{stderr}"
    );
    // What the note says runAsNonRoot does: it stays on, with no user to check against.
    let agent = named(&docs, "Deployment", "agent-deployment");
    let sc = &agent["spec"]["template"]["spec"]["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true);
    assert!(sc.get("runAsUser").is_none(), "{sc}");
    // A namespace marked OpenShift: no note.
    let (_, stderr) = render(
        tmp.path(),
        "o.yaml",
        "agent: {runAsUser: null}\nredis: {runAsUser: null}\nnamespaceAnnotations: {openshift.io/node-selector: \"\"}\n",
    );
    assert!(!stderr.contains("runAsUser: null"), "{stderr}");
    // The default (a UID): no note.
    let (_, stderr) = render(tmp.path(), "d.yaml", "{}\n");
    assert!(!stderr.contains("runAsUser"), "{stderr}");
}

#[test]
fn the_new_settings_are_explained_and_completed() {
    let tmp = support::tempdir();
    let r = agentctl(["explain", "agent.ports.NAME.service"])
        .current_dir(tmp.path())
        .code(0)
        .run();
    assert!(r.stdout.contains("boolean or section"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("loadBalancerSourceRanges: list of string"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("externalTrafficPolicy: one of: Cluster, Local"),
        "{}",
        r.stdout
    );
    let r = agentctl(["explain", "httpRoute.extraHosts.NAME.pathType"])
        .current_dir(tmp.path())
        .code(0)
        .run();
    assert!(
        r.stdout.contains("one of: PathPrefix, Exact"),
        "{}",
        r.stdout
    );
    let r = agentctl([
        "--",
        "agentctl",
        "explain",
        "monitoring.serviceMonitor.tlsConfig.",
    ])
    .current_dir(tmp.path())
    .env("COMPLETE", "fish")
    .code(0)
    .run();
    let offered: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect();
    for field in [
        "ca",
        "cert",
        "keySecret",
        "serverName",
        "insecureSkipVerify",
    ] {
        assert!(
            offered.contains(&format!("monitoring.serviceMonitor.tlsConfig.{field}").as_str()),
            "{field}: {offered:?}"
        );
    }
}
