//! `agentctl lint` and the lint stage of `render`: the defaults and every profile lint clean;
//! the attacks of issue 24 (patches and extra objects that break Pod Security, open the
//! network, widen RBAC, move a credential to a ConfigMap) are found, located at the line of
//! the override file, refused by `render` (exit 2, nothing written) and reported in every
//! format; the SARIF output validates against the SARIF 2.1.0 schema (vendored from npm
//! `@microsoft/sarif-multitool`, the official validator's package: scripts/sarif-validate.sh);
//! the lint stage's cost is measured against the whole render.

use serde_json::Value as J;

use crate::support::{agentctl, root, tempdir, write};

const ATTACK: &str = "\
patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec:
        template:
          spec:
            hostNetwork: true
            containers:
              - name: agent
                securityContext:
                  privileged: true
                env:
                  - name: REDIS_PASSWORD
                    valueFrom: {configMapKeyRef: {name: agent-config, key: LOG_LEVEL}}
resources:
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: open}
    spec: {podSelector: {}, ingress: [{}]}
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata: {name: everything}
    rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]
  - apiVersion: v1
    kind: Service
    metadata: {name: public}
    spec: {type: LoadBalancer, selector: {app.kubernetes.io/name: agent}, ports: [{port: 80}]}
";

#[test]
fn the_defaults_and_every_profile_lint_clean() {
    for p in [
        &[][..],
        &["dev"],
        &["high-throughput"],
        &["low-latency"],
        &["high-throughput", "low-latency"],
        // NetworkPolicies off by the typed switch (a cluster whose CNI enforces none): the
        // render means it, so no pod is "not isolated" (AGT131 is about pods a policy set misses).
        &["--set", "networkPolicy.enabled=false"],
    ] {
        let mut args = vec!["lint"];
        if p.first().is_some_and(|x| x.starts_with("--")) {
            args.extend(p);
        } else {
            for x in p {
                args.extend(["-p", x]);
            }
        }
        let run = agentctl(&args).code(0).run();
        assert!(
            run.stdout.contains("lint: no findings"),
            "{p:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn the_attacks_are_found_at_their_lines_and_render_refuses_them() {
    let dir = tempdir();
    write(dir.path(), "attack.yaml", ATTACK);
    let run = agentctl(["lint", "-f", "attack.yaml"])
        .current_dir(dir.path())
        .code(1)
        .run();
    for (id, at) in [
        ("AGT102", "set by patches[0] at attack.yaml:7:26"),
        ("AGT101", "set by patches[0] at attack.yaml:11:31"),
        ("AGT160", "set by patches[0] at attack.yaml:14:50"),
        ("AGT130", "set by resources[0] at attack.yaml:19:"),
        ("AGT150", "set by resources[1] at attack.yaml:23:"),
        ("AGT140", "set by resources[2] at attack.yaml:27:"),
    ] {
        let block = run
            .stdout
            .split("\n\n")
            .find(|b| b.contains(&format!("[{id}]")) && b.contains(at))
            .unwrap_or_else(|| panic!("{id} at {at} in:\n{}", run.stdout));
        assert!(block.contains("= fix: "), "{block}");
    }
    let out = dir.path().join("out");
    let refused = agentctl(["render", "-f", "attack.yaml", "-o", "out"])
        .current_dir(dir.path())
        .code(2)
        .run();
    assert!(
        refused.stderr.contains("AGT101 privileged container"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was written"),
        "{}",
        refused.stderr
    );
    // One error family: the refusal quotes the patch's line with a caret under the value, as
    // every other input error does (diag's renderer).
    assert!(
        refused.stderr.contains(" --> attack.yaml:11:31\n")
            && refused
                .stderr
                .contains("11 |                   privileged: true\n")
            && refused
                .stderr
                .contains("|                               ^^^^\n"),
        "{}",
        refused.stderr
    );
    assert!(!out.exists(), "nothing written");
    agentctl(["render", "-f", "attack.yaml"])
        .current_dir(dir.path())
        .code(2)
        .run();
}

#[test]
fn warnings_do_not_refuse_and_are_printed_once() {
    let dir = tempdir();
    write(
        dir.path(),
        "w.yaml",
        "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch: {spec: {revisionHistoryLimit: 0}}\n",
    );
    let run = agentctl(["render", "-f", "w.yaml", "-o", "out"])
        .current_dir(dir.path())
        .code(0)
        .run();
    assert_eq!(
        run.stderr.matches("warning[AGT171]").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("w.yaml:3:42"), "{}", run.stderr);
    agentctl(["lint", "-f", "w.yaml"])
        .current_dir(dir.path())
        .code(1)
        .run();
}

#[test]
fn bad_input_exits_2() {
    agentctl(["lint", "--set", "agent.replicas=many"])
        .code(2)
        .run();
    agentctl(["lint", "-p", "no-such-profile"]).code(2).run();
}

fn sarif_validator() -> jsonschema::Validator {
    let path = root().join("tests/schemas/sarif-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: the SARIF 2.1.0 schema is vendored from npm @microsoft/sarif-multitool (scripts/sarif-validate.sh checks it is the package's)",
            path.display()
        )
    });
    let schema: J = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
}

#[test]
fn sarif_json_and_junit_hold_the_findings() {
    let dir = tempdir();
    write(dir.path(), "attack.yaml", ATTACK);
    let validator = sarif_validator();
    for args in [
        &["lint", "--format", "sarif"][..],
        &["lint", "-f", "attack.yaml", "--format", "sarif"],
    ] {
        let run = agentctl(args).current_dir(dir.path()).run();
        let log: J = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        let results = log
            .pointer("/runs/0/results")
            .and_then(J::as_array)
            .unwrap();
        let rules = log
            .pointer("/runs/0/tool/driver/rules")
            .and_then(J::as_array)
            .unwrap();
        assert!(rules.len() >= 26);
        if args.len() > 3 {
            assert_eq!(run.code, 1);
            let located = results.iter().find(|r| r["ruleId"] == "AGT101").unwrap();
            assert_eq!(
                located.pointer("/locations/0/physicalLocation/artifactLocation/uri"),
                Some(&J::from("attack.yaml"))
            );
            assert_eq!(
                located.pointer("/locations/0/physicalLocation/region/startLine"),
                Some(&J::from(11))
            );
            for r in results {
                let i = r["ruleIndex"].as_u64().unwrap() as usize;
                assert_eq!(rules[i]["id"], r["ruleId"]);
            }
        } else {
            assert_eq!((run.code, results.len()), (0, 0));
        }
    }
    let json = agentctl(["lint", "-f", "attack.yaml", "--format", "json"])
        .current_dir(dir.path())
        .code(1)
        .run();
    let v: J = serde_json::from_str(&json.stdout).unwrap();
    let first = &v["findings"][0];
    assert!(first["rule"].as_str().unwrap().starts_with("AGT"));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["origin"]["file"] == "attack.yaml")
    );
    let junit = agentctl(["lint", "-f", "attack.yaml", "--format", "junit"])
        .current_dir(dir.path())
        .code(1)
        .run();
    assert!(junit.stdout.starts_with("<?xml"));
    assert!(junit.stdout.contains("<failure type=\"error\""));
    assert!(junit.stdout.contains("name=\"AGT101 privileged\""));
}

fn pod_patch(spec: &str) -> String {
    format!(
        "patches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch: {{spec: {{template: {{spec: {spec}}}}}}}\n"
    )
}

#[test]
fn every_attack_is_a_security_change_for_diff() {
    let dir = tempdir();
    agentctl(["render", "-o", "out"])
        .current_dir(dir.path())
        .code(0)
        .run();
    let attacks: Vec<(&str, String)> = vec![
        ("privileged", pod_patch("{containers: [{name: agent, securityContext: {privileged: true}}]}")),
        ("hostNetwork", pod_patch("{hostNetwork: true}")),
        ("hostPID", pod_patch("{hostPID: true}")),
        ("docker socket", pod_patch("{volumes: [{name: sock, hostPath: {path: /var/run/docker.sock}}]}")),
        ("hostPort", pod_patch("{containers: [{name: agent, ports: [{containerPort: 8000, hostPort: 8000}]}]}")),
        ("procMount", pod_patch("{hostUsers: false, containers: [{name: agent, securityContext: {procMount: Unmasked}}]}")),
        ("AppArmor", pod_patch("{containers: [{name: agent, securityContext: {appArmorProfile: {type: Unconfined}}}]}")),
        ("SELinux", pod_patch("{securityContext: {seLinuxOptions: {type: spc_t}}}")),
        ("sysctls", pod_patch("{securityContext: {sysctls: [{name: kernel.msgmax, value: '65536'}]}}")),
        ("token", pod_patch("{automountServiceAccountToken: true, serviceAccountName: redis}")),
        ("REDIS_PASSWORD", pod_patch("{containers: [{name: agent, env: [{name: REDIS_PASSWORD, valueFrom: {configMapKeyRef: {name: agent-config, key: LOG_LEVEL}}}]}]}")),
        ("misspelled container", pod_patch("{containers: [{name: agnet, image: 'reg/x:v1'}]}")),
        ("allow-all policy", "resources:\n  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: open}, spec: {podSelector: {}, ingress: [{}]}}\n".into()),
        ("LoadBalancer", "resources:\n  - {apiVersion: v1, kind: Service, metadata: {name: public}, spec: {type: LoadBalancer, selector: {app.kubernetes.io/name: agent}, ports: [{port: 80}]}}\n".into()),
        ("Role *", "resources:\n  - {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: all}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]}\n".into()),
        ("privileged Deployment", "resources:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: miner}\n    spec:\n      selector: {matchLabels: {app: miner}}\n      template:\n        metadata: {labels: {app: miner}}\n        spec: {hostNetwork: true, containers: [{name: m, image: 'x/m:v1', securityContext: {privileged: true}}]}\n".into()),
    ];
    for (i, (name, text)) in attacks.iter().enumerate() {
        let out2 = format!("out-{i}");
        write(dir.path(), "a.yaml", text);
        // The newest known cluster: the attacks use fields older versions lack (hostUsers: 1.33,
        // appArmorProfile: 1.30), which would otherwise be refused for the version alone.
        let run = agentctl([
            "diff",
            "-f",
            "a.yaml",
            "-o",
            "out",
            "--fail-on",
            "security",
            "--kube-version",
            "1.33",
        ])
        .current_dir(dir.path())
        .run();
        assert_eq!(
            run.code, 3,
            "{name}: diff --fail-on security\n{}",
            run.stderr
        );
        let render = agentctl([
            "render",
            "-f",
            "a.yaml",
            "-o",
            &out2,
            "--kube-version",
            "1.33",
        ])
        .current_dir(dir.path())
        .run();
        if *name == "token" {
            assert_eq!(render.code, 0, "{name}: a warning\n{}", render.stderr);
            assert!(
                render.stderr.contains("warning[AGT161]"),
                "{}",
                render.stderr
            );
        } else {
            assert_eq!(render.code, 2, "{name}: render refuses\n{}", render.stderr);
            assert!(
                render.stderr.contains("a.yaml:"),
                "{name}: located\n{}",
                render.stderr
            );
            assert!(!dir.path().join(&out2).exists());
        }
    }
}

#[test]
fn an_acceptance_needs_a_reason_and_a_finding_to_accept() {
    let dir = tempdir();
    let patch = "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch: {spec: {template: {spec: {hostPID: true}}}}\n";
    write(
        dir.path(),
        "ok.yaml",
        &format!(
            "{patch}accept:\n  - {{rule: AGT102, object: Deployment/agent-deployment, reason: \"the profiler needs the host PIDs\"}}\n"
        ),
    );
    let lint = agentctl(["lint", "-f", "ok.yaml"])
        .current_dir(dir.path())
        .code(0)
        .run();
    assert!(
        lint.stdout
            .contains("= accepted: the profiler needs the host PIDs (accept[0] at ok.yaml:5:5)"),
        "{}",
        lint.stdout
    );
    assert!(
        lint.stdout.contains("lint: no findings (1 accepted)"),
        "{}",
        lint.stdout
    );
    agentctl(["render", "-f", "ok.yaml", "-o", "out"])
        .current_dir(dir.path())
        .code(0)
        .run();
    let sarif = agentctl(["lint", "-f", "ok.yaml", "--format", "sarif"])
        .current_dir(dir.path())
        .code(0)
        .run();
    let log: J = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(
        log.pointer("/runs/0/results/0/suppressions/0/kind"),
        Some(&J::from("external"))
    );
    assert!(sarif_validator().iter_errors(&log).next().is_none());
    let shown = agentctl(["config", "-f", "ok.yaml", "--show-origin"])
        .current_dir(dir.path())
        .code(0)
        .run();
    assert!(shown.stdout.contains("#   accept[0] (ok.yaml:5:5) AGT102 on Deployment/agent-deployment: the profiler needs the host PIDs"), "{}", shown.stdout);
    // No reason: refused at the entry.
    write(
        dir.path(),
        "noreason.yaml",
        &format!("{patch}accept:\n  - {{rule: AGT102, object: Deployment/agent-deployment}}\n"),
    );
    let r = agentctl(["lint", "-f", "noreason.yaml"])
        .current_dir(dir.path())
        .code(2)
        .run();
    assert!(r.stderr.contains("has no `reason`"), "{}", r.stderr);
    // Matching nothing (a misspelled object): an error naming the likely one.
    write(
        dir.path(),
        "none.yaml",
        &format!(
            "{patch}accept:\n  - {{rule: AGT102, object: Deployment/agent-deploymnt, reason: x}}\n"
        ),
    );
    let r = agentctl(["render", "-f", "none.yaml", "-o", "out2"])
        .current_dir(dir.path())
        .code(2)
        .run();
    assert!(r.stderr.contains("matches no finding"), "{}", r.stderr);
    assert!(
        r.stderr.contains("Deployment/agent-deployment"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("out2").exists());
    // A reason holding a credential: refused where it is written, never printed.
    let token = "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    write(
        dir.path(),
        "leak.yaml",
        &format!(
            "{patch}accept:\n  - {{rule: AGT102, object: Deployment/agent-deployment, reason: \"ok {token}\"}}\n"
        ),
    );
    for args in [
        &["lint", "-f", "leak.yaml"][..],
        &["lint", "-f", "leak.yaml", "--format", "sarif"],
        &["config", "--show-origin", "-f", "leak.yaml"],
        &["explain", "accept", "-f", "leak.yaml"],
    ] {
        let r = agentctl(args.iter().copied())
            .current_dir(dir.path())
            .code(2)
            .run();
        assert!(
            r.stderr
                .contains("this reason holds what looks like a credential"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("leak.yaml:"), "{args:?}: {}", r.stderr);
        assert!(
            !r.stdout.contains(token) && !r.stderr.contains(token),
            "{args:?} printed the token: {}{}",
            r.stdout,
            r.stderr
        );
    }
    // An unknown rule.
    write(
        dir.path(),
        "rule.yaml",
        "accept:\n  - {rule: AGT999, object: Deployment/agent-deployment, reason: x}\n",
    );
    let r = agentctl(["lint", "-f", "rule.yaml"])
        .current_dir(dir.path())
        .code(2)
        .run();
    assert!(
        r.stderr.contains("`AGT999` is not a lint rule"),
        "{}",
        r.stderr
    );
}

/// `lint --format json` of the defaults with one override file: the findings as JSON.
fn lint_json(dir: &std::path::Path, text: &str, extra: &[&str]) -> Vec<J> {
    write(dir, "o.yaml", text);
    let mut args = vec!["lint", "-f", "o.yaml", "--format", "json"];
    args.extend(extra);
    let run = agentctl(&args).current_dir(dir).run();
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let v: J = serde_json::from_str(&run.stdout).expect("json");
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// The rules of issue 24's second round through the real render: each negative control fires
/// its rule (and only the rules named), located at the override file that caused it where the
/// value is written there; each positive control, the same input repaired, does not.
#[test]
fn gallery_of_the_cross_object_rules_through_the_render() {
    let dir = tempdir();
    let agent = |spec: &str| pod_patch(spec);
    let cases: Vec<(&str, String, String, &[&str])> = vec![
        (
            "AGT123",
            agent("{containers: [{name: agent, imagePullPolicy: Never}]}"),
            agent("{containers: [{name: agent, imagePullPolicy: IfNotPresent}]}"),
            &[],
        ),
        (
            "AGT132",
            "resources:\n  - {apiVersion: v1, kind: Service, metadata: {name: side}, spec: {selector: {app.kubernetes.io/name: agent}, ports: [{port: 80, targetPort: htpp}]}}\n".into(),
            "resources:\n  - {apiVersion: v1, kind: Service, metadata: {name: side}, spec: {selector: {app.kubernetes.io/name: agent}, ports: [{port: 80, targetPort: http}]}}\n".into(),
            &[],
        ),
        (
            "AGT133",
            agent("{containers: [{name: agent, ports: [{name: debug, containerPort: 9000}]}]}"),
            format!(
                "{}resources:\n  - {{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {{name: debug}}, spec: {{podSelector: {{matchLabels: {{app.kubernetes.io/name: agent}}}}, policyTypes: [Ingress], ingress: [{{from: [{{podSelector: {{}}}}], ports: [{{port: debug}}]}}]}}}}\n",
                agent("{containers: [{name: agent, ports: [{name: debug, containerPort: 9000}]}]}")
            ),
            &[],
        ),
        (
            "AGT134",
            "resources:\n  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: debug}, spec: {podSelector: {matchLabels: {app.kubernetes.io/name: agent}}, policyTypes: [Ingress], ingress: [{from: [{podSelector: {}}], ports: [{port: 9999}]}]}}\n".into(),
            "resources:\n  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: debug}, spec: {podSelector: {matchLabels: {app.kubernetes.io/name: agent}}, policyTypes: [Ingress], ingress: [{from: [{podSelector: {}}], ports: [{port: http}]}]}}\n".into(),
            &[],
        ),
        (
            "AGT172",
            agent("{nodeSelector: {topology.kubernetes.io/zone: eu-west-1a}, affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app.kubernetes.io/name: agent}}}]}}}"),
            agent("{nodeSelector: {topology.kubernetes.io/zone: eu-west-1a}, affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app.kubernetes.io/name: agent}}}}]}}}"),
            &[],
        ),
        (
            "AGT173",
            "patches:\n  - target: {kind: HorizontalPodAutoscaler}\n    patch: {spec: {maxReplicas: 400}}\n".into(),
            "patches:\n  - target: {kind: HorizontalPodAutoscaler}\n    patch: {spec: {maxReplicas: 8}}\n".into(),
            &[],
        ),
        (
            "AGT174",
            "patches:\n  - target: {kind: CronJob, name: redis-backup}\n    patch: {spec: {suspend: true}}\n".into(),
            "patches:\n  - target: {kind: CronJob, name: redis-backup}\n    patch: {spec: {suspend: false}}\n".into(),
            &[],
        ),
    ];
    for (rule, bad, good, also) in &cases {
        let found = lint_json(dir.path(), bad, &[]);
        let ids: Vec<&str> = found.iter().filter_map(|f| f["rule"].as_str()).collect();
        assert!(ids.contains(rule), "{rule}: negative control\n{found:#?}");
        assert!(
            ids.iter().all(|i| i == rule || also.contains(i)),
            "{rule}: only it fires\n{found:#?}"
        );
        let f = found.iter().find(|f| f["rule"] == *rule).unwrap();
        assert_eq!(f["origin"]["file"], "o.yaml", "{rule}: located\n{f:#}");
        // The quota and the backup rule fire on the object that no longer fits (the quota,
        // the Redis), located at the patch of the one that caused it (the HPA, the CronJob).
        let cause = match *rule {
            "AGT173" => Some((
                "patches[0] on HorizontalPodAutoscaler/",
                " spec.maxReplicas",
                3,
            )),
            "AGT174" => Some(("patches[0] on CronJob/redis-backup spec.suspend", "", 3)),
            _ => None,
        };
        if let Some((entry, field, line)) = cause {
            let e = f["origin"]["entry"].as_str().unwrap_or_default();
            assert!(e.starts_with(entry) && e.ends_with(field), "{rule}: {f:#}");
            assert_eq!(f["origin"]["line"], line, "{rule}: the patch's line\n{f:#}");
        }
        let fixed = lint_json(dir.path(), good, &[]);
        assert!(
            !fixed.iter().any(|f| f["rule"] == *rule),
            "{rule}: positive control\n{fixed:#?}"
        );
    }
    // The opt-in rule: off by default, on with --enable; the digest example satisfies it.
    let plain = lint_json(dir.path(), "{}\n", &[]);
    assert!(plain.is_empty(), "{plain:#?}");
    let strict = lint_json(dir.path(), "{}\n", &["--enable", "AGT124"]);
    assert!(
        !strict.is_empty() && strict.iter().all(|f| f["rule"] == "AGT124"),
        "{strict:#?}"
    );
    let pinned = std::fs::read_to_string(root().join("examples/pinned-digests.yaml")).unwrap();
    let pinned = lint_json(dir.path(), &pinned, &["--enable", "AGT124"]);
    assert!(pinned.is_empty(), "{pinned:#?}");
}

#[test]
fn a_typed_switch_turns_its_rule_off_with_a_note_naming_it() {
    let run = agentctl(["lint", "-p", "dev"]).code(0).run();
    assert!(
        run.stdout
            .contains("= note: off by `backup.enabled: false` at profile dev (profiles/dev.yaml:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("lint: no findings (1 off by a typed setting)"),
        "{}",
        run.stdout
    );
    let run = agentctl([
        "lint",
        "--set",
        "networkPolicy.enabled=false",
        "--format",
        "json",
    ])
    .code(0)
    .run();
    let v: J = serde_json::from_str(&run.stdout).unwrap();
    let found = v["findings"].as_array().unwrap();
    assert!(!found.is_empty());
    for f in found {
        assert_eq!(f["rule"], "AGT131");
        assert_eq!(
            f["intent"],
            "off by `networkPolicy.enabled: false` at --set networkPolicy.enabled=false"
        );
    }
}

/// Issue 21: typed sidecars, native sidecars and init containers run with the agent's hardened
/// security context, so Pod Security `restricted` holds without a finding (also with a UID of
/// their own and a writable root filesystem); a patch that weakens a typed sidecar is found at
/// that container (AGT112), as for any container.
#[test]
fn typed_containers_hold_pod_security_restricted() {
    let dir = tempdir();
    let typed = "\
kubeVersion: \"1.29\"
agent:
  sidecars:
    proxy:
      image: registry.example.com/proxy:1.0
      runAsUser: 20000
      readOnlyRootFilesystem: false
      probes: {liveness: {tcpSocket: {port: 9901}}, readiness: {tcpSocket: {port: 9901}}}
    shipper:
      image: registry.example.com/shipper:1.0
      native: true
      probes: {liveness: {exec: [\"true\"]}, readiness: {exec: [\"true\"]}}
  initContainers:
    migrate: {image: registry.example.com/migrate:1.0}
";
    let clean = lint_json(dir.path(), typed, &[]);
    assert!(clean.is_empty(), "{clean:#?}");
    let weakened = format!(
        "{typed}patches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch:\n      spec: {{template: {{spec: {{containers: [{{name: proxy, securityContext: {{allowPrivilegeEscalation: true}}}}]}}}}}}\n"
    );
    let found = lint_json(dir.path(), &weakened, &[]);
    let text = serde_json::to_string(&found).unwrap();
    assert!(text.contains("AGT112"), "{text}");
    assert!(
        text.contains("proxy"),
        "the finding names the sidecar: {text}"
    );
}

/// `accept:` is a documented key like `patches:`: in the editor schema (rule, object and a
/// non-empty reason, nothing else), explained with every entry and where it is written, and
/// completed; `lint --enable` completes the opt-in rules.
#[test]
fn accept_is_in_the_schema_explain_and_completions() {
    let schema: J = serde_json::from_str(&agentctl(["schema"]).code(0).run().stdout).unwrap();
    let accept = &schema["properties"]["accept"];
    assert_eq!(
        accept["items"]["required"],
        serde_json::json!(["rule", "object", "reason"])
    );
    assert_eq!(accept["items"]["additionalProperties"], false);
    assert_eq!(accept["items"]["properties"]["reason"]["minLength"], 1);
    let dir = tempdir();
    write(
        dir.path(),
        "ok.yaml",
        &format!(
            "{}accept:\n  - {{rule: AGT102, object: Deployment/agent-deployment, reason: \"the profiler needs the host PIDs\"}}\n",
            pod_patch("{hostPID: true}")
        ),
    );
    let run = agentctl(["explain", "accept", "-f", "ok.yaml"])
        .current_dir(dir.path())
        .code(0)
        .run();
    assert!(
        run.stdout.contains("Lint findings accepted on purpose"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "accept[0] AGT102 on Deployment/agent-deployment from ok.yaml:5:5: the profiler needs the host PIDs"
        ),
        "{}",
        run.stdout
    );
    let complete = |words: &[&str]| {
        let mut args = vec!["--", "agentctl"];
        args.extend(words);
        agentctl(&args).env("COMPLETE", "fish").code(0).run().stdout
    };
    assert!(complete(&["explain", "acc"]).starts_with("accept\t"));
    assert_eq!(
        complete(&["lint", "--enable", ""])
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect::<Vec<_>>(),
        ["AGT124"]
    );
}

/// A rule that reads several objects can fire on one the change did not touch (a Service whose
/// `targetPort` names the container port a patch renamed): the impact says so on that object,
/// `affected`, classed `security`, instead of dropping it because the object is unchanged.
#[test]
fn a_finding_on_an_unchanged_object_is_attached_to_it() {
    let dir = tempdir();
    agentctl(["render", "-q", "-o", "out"])
        .current_dir(dir.path())
        .code(0)
        .run();
    write(
        dir.path(),
        "p.yaml",
        &pod_patch("{containers: [{name: agent, ports: [{containerPort: 8000, name: web}]}]}"),
    );
    let run = agentctl(["diff", "-f", "p.yaml", "-o", "out", "--fail-on", "security"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 3, "{}", run.stderr);
    let line = run
        .stderr
        .lines()
        .chain(run.stdout.lines())
        .find(|l| {
            l.trim_start()
                .starts_with("affected Service production-agents/agent-service")
        })
        .unwrap_or_else(|| panic!("{}\n{}", run.stdout, run.stderr));
    assert!(
        line.contains("security") && line.contains("lint AGT132"),
        "{line}"
    );
    // Counted apart from the changed objects: the Service is not a change.
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("impact of 1 changed object and 1 affected: "),
        "{all}"
    );
    let md = agentctl(["diff", "-f", "p.yaml", "-o", "out", "--format", "markdown"])
        .current_dir(dir.path())
        .run();
    assert!(
        md.stdout.contains("1 changed object and 1 affected: "),
        "{}",
        md.stdout
    );
}

/// A finding that typed settings alone cause (required anti-affinity on a node selection of one
/// host, 10 replicas at most) carries the setting's origin: lint says `set by
/// agent.antiAffinity at a.yaml:2:17`, and render refuses it quoting that line.
#[test]
fn a_finding_caused_by_a_typed_setting_is_located_at_it() {
    let dir = tempdir();
    write(
        dir.path(),
        "a.yaml",
        "agent:\n  antiAffinity: required\n  nodeSelector:\n    kubernetes.io/hostname: node-a\n",
    );
    let run = agentctl(["lint", "-f", "a.yaml"])
        .current_dir(dir.path())
        .code(1)
        .run();
    assert!(
        run.stdout.contains("error[AGT172]")
            && run
                .stdout
                .contains("= set by agent.antiAffinity at a.yaml:2:17"),
        "{}",
        run.stdout
    );
    let render = agentctl(["render", "-f", "a.yaml", "-o", "out"])
        .current_dir(dir.path())
        .code(2)
        .run();
    assert!(
        render.stderr.contains(" --> a.yaml:2:17")
            && render.stderr.contains("2 |   antiAffinity: required"),
        "{}",
        render.stderr
    );
    assert!(!dir.path().join("out").exists());
}
