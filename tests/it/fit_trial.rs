//! What issue 21's latest new-team trial met that was patch-only or wrong, each said right:
//! a patched extended resource (`nvidia.com/gpu`) is warned about without suggesting a key no
//! setting has; an Ingress controller whose traffic does not come from a namespace
//! (`ingress.controllerNamespace: null`); sidecar and init images pulled as the agent's image
//! is when it sets a policy; `explain` of a map entry lists its fields; AGT140 names `accept:`;
//! the agent's `dnsConfig` is a setting.

use serde_json::Value as J;

use crate::support::{self, agentctl, write};

fn objects(dir: &std::path::Path, args: &[&str]) -> (Vec<J>, String) {
    let run = agentctl(["render"].iter().chain(args))
        .current_dir(dir)
        .code(0)
        .run();
    (
        support::lib::parse_manifests(&run.stdout).expect("YAML"),
        run.stderr,
    )
}

#[test]
fn a_patched_gpu_limit_is_said_without_a_key_that_is_refused() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(
        dir,
        "gpu.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec: {template: {spec: {containers: [{name: agent, resources: {limits: {nvidia.com/gpu: '1'}}}]}}}
",
    );
    let (docs, stderr) = objects(dir, &["-f", "gpu.yaml"]);
    let dep = docs
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("Deployment");
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "1"
    );
    assert!(
        stderr.contains("= help: no setting has `agent.resources.limits.nvidia.com/gpu`: the patch is the way to write it"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("set `agent.resources.limits.nvidia.com/gpu` instead"),
        "{stderr}"
    );
    // A field a setting has keeps its suggestion.
    write(
        dir,
        "mem.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec: {template: {spec: {containers: [{name: agent, resources: {limits: {memory: 3Gi}}}]}}}
",
    );
    let (_, stderr) = objects(dir, &["-f", "mem.yaml"]);
    assert!(
        stderr
            .contains("= help: set `agent.resources.limits.memory` instead of patching the field"),
        "{stderr}"
    );
}

#[test]
fn an_ingress_controller_namespace_can_be_unset() {
    let tmp = support::tempdir();
    let policy = |args: &[&str]| {
        let (docs, _) = objects(tmp.path(), args);
        docs.into_iter()
            .find(|o| o["metadata"]["name"] == "agent-network-policy")
            .expect("policy")
            .to_string()
    };
    let on = [
        "--set",
        "ingress.enabled=true",
        "--set",
        "ingress.hosts=[agent.example.com]",
    ];
    assert!(policy(&on).contains("\"ingress-nginx\""));
    let off = policy(&[&on[..], &["--set", "ingress.controllerNamespace=null"]].concat());
    assert!(!off.contains("ingress-nginx"), "{off}");
}

#[test]
fn sidecars_follow_the_agent_s_pull_policy() {
    let tmp = support::tempdir();
    let sidecar = [
        "--set",
        "kubeVersion=1.29",
        "--set",
        "agent.sidecars={proxy: {image: registry.example.com/proxy:1.0}}",
        "--set",
        "agent.initContainers={migrate: {image: registry.example.com/migrate:1.0}}",
    ];
    let policies = |args: &[&str]| {
        let (docs, _) = objects(tmp.path(), args);
        let spec = docs
            .iter()
            .find(|o| o["kind"] == "Deployment")
            .expect("Deployment")["spec"]["template"]["spec"]
            .clone();
        let of = |list: &str, name: &str| {
            spec[list]
                .as_array()
                .and_then(|a| a.iter().find(|c| c["name"] == name))
                .map(|c| c["imagePullPolicy"].clone())
                .expect("container")
        };
        (of("containers", "proxy"), of("initContainers", "migrate"))
    };
    // Tags, nothing set: Always, as the agent's.
    assert_eq!(policies(&sidecar), (J::from("Always"), J::from("Always")));
    let agent = [
        &sidecar[..],
        &["--set", "agent.imagePullPolicy=IfNotPresent"],
    ]
    .concat();
    assert_eq!(
        policies(&agent),
        (J::from("IfNotPresent"), J::from("IfNotPresent"))
    );
    // Its own policy wins.
    let own = [
        &agent[..],
        &["--set", "agent.sidecars.proxy.imagePullPolicy=Never"],
    ]
    .concat();
    assert_eq!(policies(&own).0, J::from("Never"));
}

#[test]
fn explain_lists_a_map_entry_s_fields_and_agt140_names_accept() {
    let r = agentctl(["explain", "agent.sidecars.proxy"]).code(0).run();
    assert!(r.stdout.contains("\nfields:\n"), "{}", r.stdout);
    for field in [
        "  image: string",
        "  native: boolean",
        "  resources: section",
    ] {
        assert!(r.stdout.contains(field), "{field}:\n{}", r.stdout);
    }
    let tmp = support::tempdir();
    write(
        tmp.path(),
        "lb.yaml",
        "patches:\n  - target: {kind: Service, name: agent-service}\n    patch: {spec: {type: LoadBalancer}}\n",
    );
    let r = agentctl(["render", "-f", "lb.yaml"])
        .current_dir(tmp.path())
        .code(2)
        .run();
    assert!(r.stderr.contains("AGT140"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("accept: [{rule: AGT140, object: Service/agent-service"),
        "{}",
        r.stderr
    );
}

/// `agent.dnsConfig`: rendered in the pod spec as Kubernetes lists it (a bare option without
/// `value`), merged with the cluster DNS (no `dnsPolicy` change).
#[test]
fn the_agent_s_dns_config_is_typed() {
    let tmp = support::tempdir();
    write(
        tmp.path(),
        "dns.yaml",
        "agent:\n  dnsConfig:\n    nameservers: [10.0.0.10]\n    searches: [corp.example.com]\n    options: {ndots: '2', single-request-reopen: ''}\n",
    );
    let (docs, _) = objects(tmp.path(), &["-f", "dns.yaml"]);
    let spec = &docs
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("Deployment")["spec"]["template"]["spec"];
    assert_eq!(
        spec["dnsConfig"],
        serde_json::json!({
            "nameservers": ["10.0.0.10"],
            "searches": ["corp.example.com"],
            "options": [{"name": "ndots", "value": "2"}, {"name": "single-request-reopen"}],
        })
    );
    assert!(spec.get("dnsPolicy").is_none(), "{spec}");
    let (docs, _) = objects(tmp.path(), &[]);
    let spec = &docs
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("Deployment")["spec"]["template"]["spec"];
    assert!(spec.get("dnsConfig").is_none(), "unset by default");
}

/// Issue 21's trial (W6): a patch that scales the agent to zero was told to set
/// `agent.replicas.min` instead, which refuses 0. The help names the setting only when the
/// setting can hold the value.
#[test]
fn a_patched_value_the_setting_refuses_keeps_the_patch() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(
        dir,
        "zero.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec: {replicas: 0}
",
    );
    let (docs, stderr) = objects(dir, &["-p", "dev", "-f", "zero.yaml"]);
    let dep = docs
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("Deployment");
    assert_eq!(dep["spec"]["replicas"], 0, "{stderr}");
    assert!(
        stderr.contains("overrides the setting `agent.replicas.min`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("= help: `agent.replicas.min` cannot be 0: it is at least 1; the patch is the way to write it"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("set `agent.replicas.min` instead"),
        "{stderr}"
    );
    // A value the setting takes keeps the suggestion.
    write(
        dir,
        "two.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec: {replicas: 2}
",
    );
    let (_, stderr) = objects(dir, &["-p", "dev", "-f", "two.yaml"]);
    assert!(
        stderr.contains("set `agent.replicas.min` instead of patching the field"),
        "{stderr}"
    );
}

/// Issue 21's trial (W3): a patch that sets a figure of `agent-quota` the quota recount derives
/// (`pods`) was replaced by the recount silently, while `config --show-origin` said the patch
/// set it. A patched figure is now the patch's: kept when it holds the deployment, refused
/// when it does not.
#[test]
fn a_patched_quota_figure_is_kept_or_refused() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let patch = |pods: &str| {
        format!(
            "patches:
  - target: {{kind: ResourceQuota, name: agent-quota}}
    patch:
      spec: {{hard: {{pods: '{pods}'}}}}
"
        )
    };
    write(dir, "many.yaml", &patch("100"));
    let (docs, _) = objects(dir, &["-f", "many.yaml"]);
    let q = docs
        .iter()
        .find(|o| o["kind"] == "ResourceQuota")
        .expect("ResourceQuota");
    assert_eq!(q["spec"]["hard"]["pods"], "100");
    write(dir, "few.yaml", &patch("2"));
    let run = agentctl(["render", "-f", "few.yaml"])
        .current_dir(dir)
        .code(2)
        .run();
    assert!(
        run.stderr
            .contains("quota `pods: 2` cannot hold this deployment"),
        "{}",
        run.stderr
    );
}

/// Issue 21's trial (W4): a whole number written unquoted where Kubernetes takes a quantity
/// (`cpu: 4`, as kubectl and every chart accept) was refused in patches and extra objects as
/// a value that "did not survive" the round trip. It is the quantity "4", in both.
#[test]
fn an_unquoted_whole_number_quantity_is_a_quantity() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(
        dir,
        "cpu.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec: {template: {spec: {containers: [{name: agent, resources: {requests: {cpu: 1}, limits: {cpu: 4, memory: 4Gi}}}]}}}
resources:
  - apiVersion: v1
    kind: ResourceQuota
    metadata: {name: jobs-quota}
    spec: {hard: {count/configmaps: 20, count/jobs.batch: 5}}
",
    );
    let (docs, stderr) = objects(dir, &["-f", "cpu.yaml"]);
    let dep = docs
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("Deployment");
    let res = &dep["spec"]["template"]["spec"]["containers"][0]["resources"];
    assert_eq!(res["limits"]["cpu"], "4", "{stderr}");
    assert_eq!(res["requests"]["cpu"], "1", "{stderr}");
    let q = docs
        .iter()
        .find(|o| o["metadata"]["name"] == "jobs-quota")
        .expect("the extra quota");
    assert_eq!(q["spec"]["hard"]["count/configmaps"], "20");
    assert_eq!(q["spec"]["hard"]["count/jobs.batch"], "5");
    // A number where Kubernetes takes a string is still refused (an env value).
    write(
        dir,
        "env.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec: {template: {spec: {containers: [{name: agent, env: [{name: WORKERS, value: 4}]}]}}}
",
    );
    agentctl(["render", "-f", "env.yaml"])
        .current_dir(dir)
        .code(2)
        .run();
}

/// Issue 21, trial W4/W5: in a shared namespace (`createNamespace: false`) the pod and volume
/// alerts and panels select this deployment's pods and claims only (another team's crash
/// loop pages nobody here); with no claim rendered there is no volume alert or panel.
#[test]
fn alerts_and_panels_follow_what_is_rendered_and_whose_it_is() {
    let tmp = support::tempdir();
    let rules = |docs: &[J]| -> String {
        docs.iter()
            .find(|d| d["kind"] == "PrometheusRule")
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let dashboard = |docs: &[J]| -> String {
        docs.iter()
            .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == "agent-dashboard")
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let (own, _) = objects(tmp.path(), &[]);
    let (shared, _) = objects(tmp.path(), &["--set", "createNamespace=false"]);
    // Our own namespace: the namespace is the selector.
    assert!(!rules(&own).contains("pod=~"), "{}", rules(&own));
    for (what, text) in [("rules", rules(&shared)), ("dashboard", dashboard(&shared))] {
        assert!(text.contains("pod=~"), "{what}: {text}");
        assert!(text.contains("persistentvolumeclaim=~"), "{what}: {text}");
        assert!(
            text.contains("agent-deployment-[a-z0-9]+"),
            "{what}: {text}"
        );
    }
    let crash = rules(&shared);
    let at = crash
        .find("reason=\\\"CrashLoopBackOff")
        .expect("crash loop rule");
    assert!(crash[..at].rfind("pod=~").is_some(), "{crash}");
    // No claim: no volume alert, no volume panel; with one, both.
    let none = [
        "--set",
        "redis.storage.type=emptyDir",
        "--set",
        "backup.enabled=false",
    ];
    let (docs, _) = objects(tmp.path(), &none);
    assert!(
        !rules(&docs).contains("AgentPVCFillingUp"),
        "{}",
        rules(&docs)
    );
    assert!(!dashboard(&docs).contains("Volume free space"));
    assert!(rules(&own).contains("AgentPVCFillingUp"));
    assert!(dashboard(&own).contains("Volume free space"));
    let (backup_only, _) = objects(tmp.path(), &none[..2]);
    assert!(rules(&backup_only).contains("AgentPVCFillingUp"));
}
