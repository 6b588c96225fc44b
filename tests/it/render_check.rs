//! The render stage's guarantees, from the built binary: template bugs are caught by the
//! round trip through the Kubernetes types (never written), strict undefined variables, and
//! values can never inject YAML structure into a manifest.

use crate::support::{self, agentctl};

fn template(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates")
            .join(name),
    )
    .expect("template")
}

/// Renders the defaults with one template replaced; the error, if any.
fn render_with(name: &str, text: &str) -> Option<String> {
    support::lib::render_with_template(name, text)
}

#[test]
fn a_misspelled_field_in_a_template_is_an_error_naming_template_and_path() {
    let err = render_with(
        "deployment.yaml",
        &template("deployment.yaml").replace("revisionHistoryLimit:", "revisionHistoryLimt:"),
    )
    .expect("a misspelled field is caught");
    assert!(err.contains("template deployment.yaml"), "{err}");
    assert!(err.contains(".spec.revisionHistoryLimt (dropped)"), "{err}");
}

#[test]
fn a_value_of_the_wrong_type_in_a_template_is_an_error() {
    let err = render_with(
        "service.yaml",
        &template("service.yaml").replace(
            "port: {{ cfg.agent.port }}",
            "port: {{ cfg.agent.port|string }}",
        ),
    )
    .expect("a wrong type is caught");
    assert!(
        err.contains("template service.yaml") && err.contains("Service/agent-service"),
        "{err}"
    );
}

#[test]
fn an_undefined_template_variable_is_an_error() {
    let err = render_with(
        "deployment.yaml",
        &template("deployment.yaml").replace("cfg.agent.storage.size", "cfg.agent.storage.sise"),
    )
    .expect("an undefined variable is caught");
    assert!(
        err.contains("`cfg.agent.storage.sise` is undefined (in deployment.yaml:"),
        "{err}"
    );
}

/// The same round trip guards what users add: a misspelled field or a wrong type in a patch
/// is an error at the patch's line, and nothing is written (this replaces the undocumented
/// `--templates DIR`, which let a private template copy bypass nothing but drift).
#[test]
fn a_misspelled_field_or_a_wrong_type_in_a_patch_is_caught_by_the_same_round_trip() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (body, needle) in [
        (
            "{spec: {revisionHistoryLimt: 3}}",
            "`revisionHistoryLimt` is not a field",
        ),
        (
            "{spec: {revisionHistoryLimit: three}}",
            "wrong type for `revisionHistoryLimit`",
        ),
    ] {
        std::fs::write(
            tmp.path().join("p.yaml"),
            format!("patches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch: {body}\n"),
        )
        .unwrap();
        let out = agentctl(["render", "-f", "p.yaml", "-o", "out"])
            .current_dir(tmp.path())
            .run();
        assert_eq!(out.code, 2);
        let err = &out.stderr;
        assert!(err.contains(needle) && err.contains("p.yaml:3:"), "{err}");
        assert!(
            !tmp.path().join("out").exists(),
            "nothing may be written on a patch error"
        );
    }
}

#[test]
fn values_cannot_inject_yaml_keys_or_documents() {
    let tmp = support::tempdir();
    let evil = "x\"\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: pwned}\n";
    let file = format!(
        "agent:\n  config:\n    environment: {}\n    extra:\n      INJECT: {}\n",
        serde_json::to_string("prod\nkind: Secret").unwrap(),
        serde_json::to_string(evil).unwrap()
    );
    std::fs::write(tmp.path().join("evil.yaml"), file).unwrap();
    let out = agentctl(["render", "-f", "evil.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stream = out.stdout;
    let docs = support::lib::parse_manifests(&stream).expect("parses");
    assert!(
        docs.iter().all(|d| d["kind"] != "Secret"),
        "a value injected an object"
    );
    let cm = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("configmap");
    assert_eq!(cm["data"]["INJECT"], evil);
    assert_eq!(cm["data"]["ENVIRONMENT"], "prod\nkind: Secret");
}

#[test]
fn a_settings_change_rolls_the_pods() {
    let tmp = support::tempdir();
    let checksum = |args: &[&str]| {
        let out = agentctl(args).current_dir(tmp.path()).run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        let docs = support::lib::parse_manifests(&out.stdout).unwrap();
        let d = docs
            .iter()
            .find(|d| d["kind"] == "Deployment")
            .unwrap()
            .clone();
        d["spec"]["template"]["metadata"]["annotations"]["checksum/config"].clone()
    };
    let base = checksum(&["render"]);
    assert!(base.as_str().is_some_and(|s| s.len() == 64), "{base}");
    assert_eq!(base, checksum(&["render"]));
    assert_ne!(
        base,
        checksum(&["render", "--set", "agent.config.logLevel=DEBUG"])
    );
    assert_ne!(
        base,
        checksum(&["render", "--set", "agent.config.extra.NEW=1"])
    );
}

/// An empty `networkPolicy.egressPorts` must close external egress, not open it: a
/// NetworkPolicy rule with no `ports` allows every port, so the rule itself must go.
#[test]
fn empty_egress_ports_render_no_external_rule() {
    let tmp = support::tempdir();
    let egress = |args: &[&str]| {
        let out = agentctl(args).current_dir(tmp.path()).run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        let docs = support::lib::parse_manifests(&out.stdout).unwrap();
        let policy = docs
            .iter()
            .find(|d| {
                d["kind"] == "NetworkPolicy" && d["metadata"]["name"] == "agent-network-policy"
            })
            .expect("agent network policy")
            .clone();
        policy["spec"]["egress"]
            .as_array()
            .expect("egress rules")
            .clone()
    };
    let external = |rules: &[serde_json::Value]| {
        rules
            .iter()
            .filter(|r| r["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0")
            .cloned()
            .collect::<Vec<_>>()
    };
    let default = egress(&["render"]);
    let open = external(&default);
    assert_eq!(open.len(), 1, "{default:#?}");
    assert_eq!(open[0]["ports"][0]["port"], 443);

    let closed = egress(&["render", "--set", "networkPolicy.egressPorts=[]"]);
    assert_eq!(external(&closed), Vec::<serde_json::Value>::new());
    assert_eq!(
        closed.len(),
        default.len() - 1,
        "only the external rule goes"
    );
    assert!(
        closed
            .iter()
            .all(|r| r["ports"].as_array().is_some_and(|p| !p.is_empty())),
        "every remaining egress rule names its ports: {closed:#?}"
    );
}

/// Each monitoring switch removes its object and everything that only served it.
#[test]
fn disabling_each_monitoring_part_removes_it_and_what_only_served_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let render = |sets: &[&str]| {
        let mut args = vec!["render", "-q"];
        for s in sets {
            args.extend(["--set", s]);
        }
        let out = agentctl(&args).current_dir(tmp.path()).run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    let all = render(&[]);
    for present in [
        "kind: PrometheusRule",
        "name: agent-dashboard",
        "grafana_dashboard: \"1\"",
        "name: redis-exporter",
        "name: redis-metrics",
        "containerPort: 9121",
        "port: 9121",
        "alert: RedisDown",
        "alert: AgentHighErrorRatio",
        "alert: AgentHPAMaxedOut",
    ] {
        assert!(all.contains(present), "default render lacks {present}");
    }

    let no_exporter = render(&["monitoring.redisExporter.enabled=false"]);
    for gone in [
        "redis-exporter",
        "redis-metrics",
        "9121",
        "alert: RedisDown",
        "alert: RedisMemoryNearLimit",
        "redis_memory",
    ] {
        assert!(!no_exporter.contains(gone), "exporter off, still: {gone}");
    }
    assert!(no_exporter.contains("name: agent-metrics"));

    let no_alerts = render(&["monitoring.alerts.enabled=false"]);
    assert!(!no_alerts.contains("PrometheusRule"));
    assert!(no_alerts.contains("name: agent-dashboard"));

    let no_dashboard = render(&["monitoring.dashboard.enabled=false"]);
    assert!(!no_dashboard.contains("agent-dashboard"));
    assert!(no_dashboard.contains("kind: PrometheusRule"));

    // Without the agent ServiceMonitor, no alert or panel reads the agent's own metrics.
    let no_sm = render(&["monitoring.serviceMonitor.enabled=false"]);
    assert!(!no_sm.contains("name: agent-metrics"));
    assert!(
        !no_sm.contains("http_requests_total"),
        "agent metrics read without a ServiceMonitor"
    );
    assert!(!no_sm.contains("alert: AgentDown"));

    // Without the HPA, no HPA alert or panel.
    let no_hpa = render(&["autoscaling.enabled=false"]);
    assert!(!no_hpa.contains("horizontalpodautoscaler"));

    // Both ServiceMonitors off: no servicemonitor.yaml at all, and nothing lists it.
    let out = agentctl([
        "render",
        "-q",
        "-o",
        "out",
        "--set",
        "monitoring.serviceMonitor.enabled=false",
        "--set",
        "monitoring.redisExporter.enabled=false",
        "--set",
        "monitoring.alerts.enabled=false",
        "--set",
        "monitoring.dashboard.enabled=false",
    ])
    .current_dir(tmp.path())
    .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out_dir = tmp.path().join("out");
    for f in [
        "servicemonitor.yaml",
        "prometheusrule.yaml",
        "dashboard-configmap.yaml",
    ] {
        assert!(!out_dir.join(f).exists(), "{f} written");
    }
    let k = std::fs::read_to_string(out_dir.join("kustomization.yaml")).unwrap();
    assert!(
        !k.contains("servicemonitor") && !k.contains("prometheusrule") && !k.contains("dashboard"),
        "{k}"
    );
}
