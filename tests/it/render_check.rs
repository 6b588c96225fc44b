//! The render stage's guarantees, from the built binary: template bugs are caught by the
//! round trip through the Kubernetes types (never written), strict undefined variables, and
//! values can never inject YAML structure into a manifest.

use crate::support::{self, Run};

fn agentctl(args: &[&str], cwd: &std::path::Path) -> Run {
    support::agentctl(args).current_dir(cwd).run()
}

fn template(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates")
            .join(name),
    )
    .expect("template")
}

#[test]
fn a_misspelled_field_in_a_template_is_an_error_naming_template_and_path() {
    let tmp = support::tempdir();
    let tpl = tmp.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("deployment.yaml"),
        template("deployment.yaml").replace("revisionHistoryLimit:", "revisionHistoryLimt:"),
    )
    .unwrap();
    let out = agentctl(&["render", "--templates", "tpl", "-o", "out"], tmp.path());
    assert_eq!(out.code, 2);
    let err = &out.stderr;
    assert!(err.contains("template deployment.yaml"), "{err}");
    assert!(err.contains(".spec.revisionHistoryLimt (dropped)"), "{err}");
    assert!(
        !tmp.path().join("out").exists(),
        "nothing may be written on a template error"
    );
}

#[test]
fn a_value_of_the_wrong_type_in_a_template_is_an_error() {
    let tmp = support::tempdir();
    let tpl = tmp.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("service.yaml"),
        template("service.yaml").replace(
            "port: {{ cfg.agent.port }}",
            "port: {{ cfg.agent.port|string }}",
        ),
    )
    .unwrap();
    let out = agentctl(&["render", "--templates", "tpl"], tmp.path());
    assert_eq!(out.code, 2);
    let err = &out.stderr;
    assert!(
        err.contains("template service.yaml") && err.contains("Service/agent-service"),
        "{err}"
    );
}

#[test]
fn an_undefined_template_variable_is_an_error() {
    let tmp = support::tempdir();
    let tpl = tmp.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("pvc.yaml"),
        template("pvc.yaml").replace("cfg.agent.storage.size", "cfg.agent.storage.sise"),
    )
    .unwrap();
    let out = agentctl(&["render", "--templates", "tpl"], tmp.path());
    assert_eq!(out.code, 2);
    let err = &out.stderr;
    assert!(
        err.contains("`cfg.agent.storage.sise` is undefined (in pvc.yaml:"),
        "{err}"
    );
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
    let out = agentctl(&["render", "-f", "evil.yaml"], tmp.path());
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
        let out = agentctl(args, tmp.path());
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
        let out = agentctl(args, tmp.path());
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
