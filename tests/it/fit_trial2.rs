//! What issue 21's second new-team trial met, each followed from the built binary: the alerts
//! and dashboard name only the pods that are rendered (W1); a stateless agent with no Redis at
//! all, `redis.none: true` (I1); `agent.hostUsers` (A28); a lint finding a typed setting turns
//! off says so where it starts (L1); a probe's default timeout follows the period the user
//! wrote (L2); `config --show-origin` marks every line of a setting a patch overrides (L3); the
//! RuntimeClass is a prerequisite.

use serde_json::Value as J;

use crate::support::{self, agentctl, write};

fn render(dir: &std::path::Path, args: &[&str]) -> (Vec<J>, String) {
    let run = agentctl(["render"].iter().chain(args))
        .current_dir(dir)
        .code(0)
        .run();
    (
        support::lib::parse_manifests(&run.stdout).expect("YAML"),
        run.stderr,
    )
}

fn refused(dir: &std::path::Path, args: &[&str]) -> String {
    agentctl(["render"].iter().chain(args))
        .current_dir(dir)
        .code(2)
        .run()
        .stderr
}

fn find<'a>(docs: &'a [J], kind: &str, name: &str) -> Option<&'a J> {
    docs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

/// The alert rules and the dashboard, as text.
fn monitoring(docs: &[J]) -> String {
    let rules = find(docs, "PrometheusRule", "agent-alerts").expect("rules");
    let board = find(docs, "ConfigMap", "agent-dashboard").expect("dashboard");
    format!("{rules}\n{board}")
}

#[test]
fn alerts_and_panels_name_only_rendered_pods_in_a_shared_namespace() {
    let tmp = support::tempdir();
    let shared = ["--set", "createNamespace=false"];
    let (docs, _) = render(tmp.path(), &shared);
    let all = monitoring(&docs);
    assert!(all.contains("redis-[0-9]+"), "in-cluster Redis is followed");
    assert!(all.contains("redis-backup-[0-9]+"), "backups are followed");
    // Redis managed elsewhere: no regex matches another team's `redis-0` or its backups.
    let (docs, _) = render(
        tmp.path(),
        &[
            &shared[..],
            &[
                "--set",
                "redis.enabled=false",
                "--set",
                "redis.external.host=r.example.com",
                "--set",
                "redis.external.cidr=10.0.0.1/32",
            ],
        ]
        .concat(),
    );
    let off = monitoring(&docs);
    assert!(!off.contains("redis-[0-9]+"), "{off}");
    assert!(!off.contains("redis-backup"), "{off}");
    assert!(
        off.contains("agent-deployment-[a-z0-9]+-[a-z0-9]+"),
        "{off}"
    );
    // Backups off: Redis' pods are still this deployment's, the backup job's are not.
    let (docs, _) = render(
        tmp.path(),
        &[&shared[..], &["--set", "backup.enabled=false"]].concat(),
    );
    let no_backup = monitoring(&docs);
    assert!(no_backup.contains("redis-[0-9]+"), "{no_backup}");
    assert!(!no_backup.contains("redis-backup"), "{no_backup}");
}

#[test]
fn a_stateless_agent_has_no_redis_at_all() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(dir, "none.yaml", "redis: {none: true}\n");
    let (docs, stderr) = render(dir, &["-f", "none.yaml"]);
    let text = J::Array(docs.clone()).to_string();
    assert!(!text.contains("REDIS_"), "a REDIS_* variable is rendered");
    assert!(find(&docs, "StatefulSet", "redis").is_none());
    assert!(find(&docs, "CronJob", "redis-backup").is_none());
    let policy = find(&docs, "NetworkPolicy", "agent-network-policy").expect("policy");
    let egress = policy["spec"]["egress"].to_string();
    assert!(!egress.contains("6379"), "a Redis egress rule: {egress}");
    assert!(
        !monitoring(&docs).contains("redis"),
        "a Redis alert or panel"
    );
    assert!(
        stderr.contains("`redis.none: true` (none.yaml:1:15): the agent uses no Redis"),
        "{stderr}"
    );
    // The Secret the pods read holds no Redis password.
    assert!(!stderr.contains("redis-password"), "{stderr}");
    // What needs a Redis is refused, located at the line that asked for it.
    write(
        dir,
        "backup.yaml",
        "redis: {none: true}\nbackup: {enabled: true}\n",
    );
    let e = refused(dir, &["-f", "backup.yaml"]);
    assert!(e.contains("backup.yaml:2:19"), "{e}");
    assert!(
        e.contains("`redis.none` is true (the agent uses no Redis)"),
        "{e}"
    );
    write(
        dir,
        "keda.yaml",
        "redis: {none: true}\nautoscaling: {enabled: false}\nkeda:\n  enabled: true\n  redisList: {enabled: true, listName: jobs}\n",
    );
    let e = refused(dir, &["-f", "keda.yaml"]);
    assert!(
        e.contains(
            "the Redis list trigger scales on the length of a Redis list, but `redis.none: true`"
        ),
        "{e}"
    );
    assert!(e.contains("keda.yaml:5:"), "{e}");
    write(
        dir,
        "both.yaml",
        "redis: {none: true, external: {host: r.example.com}}\n",
    );
    let e = refused(dir, &["-f", "both.yaml"]);
    assert!(e.contains("redis.external.host"), "{e}");
    assert!(e.contains("says the agent uses no Redis"), "{e}");
    write(dir, "on.yaml", "redis: {none: true, enabled: true}\n");
    let e = refused(dir, &["-f", "on.yaml"]);
    assert!(e.contains("but the in-cluster Redis is on"), "{e}");
    // Off without a managed one: the error names the way to no Redis at all.
    let e = refused(dir, &["--set", "redis.enabled=false"]);
    assert!(e.contains("`redis.none: true`"), "{e}");
    // With no Redis, the REDIS_* names are the user's.
    write(
        dir,
        "own.yaml",
        "redis: {none: true}\nagent: {env: {REDIS_URL: redis://cache.example.com:6379}}\n",
    );
    let (docs, _) = render(dir, &["-f", "own.yaml"]);
    let dep = find(&docs, "Deployment", "agent-deployment").expect("Deployment");
    assert!(dep.to_string().contains("redis://cache.example.com:6379"));
    // Nothing to restore: said at the line, exit 2.
    let run = agentctl(["restore-help", "-f", "none.yaml"])
        .current_dir(dir)
        .code(2)
        .run();
    assert!(
        run.stderr
            .contains("`redis.none` is true: the agent uses no Redis"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("none.yaml:1:15"), "{}", run.stderr);
}

#[test]
fn host_users_is_typed_and_version_gated() {
    let tmp = support::tempdir();
    let (docs, _) = render(
        tmp.path(),
        &["--set", "agent.hostUsers=false", "--kube-version", "1.33"],
    );
    let dep = find(&docs, "Deployment", "agent-deployment").expect("Deployment");
    assert_eq!(dep["spec"]["template"]["spec"]["hostUsers"], false);
    let (docs, _) = render(tmp.path(), &[]);
    let dep = find(&docs, "Deployment", "agent-deployment").expect("Deployment");
    assert!(dep["spec"]["template"]["spec"].get("hostUsers").is_none());
    let e = refused(
        tmp.path(),
        &["--set", "agent.hostUsers=false", "--kube-version", "1.32"],
    );
    assert!(e.contains("agent.hostUsers"), "{e}");
    assert!(e.contains("needs Kubernetes 1.33"), "{e}");
}

#[test]
fn a_finding_a_typed_setting_turns_off_says_so_where_it_starts() {
    let tmp = support::tempdir();
    let run = agentctl([
        "lint",
        "--set",
        "agent.service.type=LoadBalancer",
        "--format",
        "text",
    ])
    .current_dir(tmp.path())
    .run();
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(
        out.contains("off[AGT140]: Service exposed outside the cluster:"),
        "{out}"
    );
    assert!(!out.contains("error[AGT140]"), "{out}");
    assert!(!out.contains("by a patch or extra object"), "{out}");
    assert!(out.contains("(otherwise an error)"), "{out}");
    assert!(
        out.contains("lint: no findings (1 off by a typed setting)"),
        "{out}"
    );
}

#[test]
fn a_default_probe_timeout_follows_the_period_written() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(
        dir,
        "probes.yaml",
        "agent:
  probes:
    liveness: {periodSeconds: 5}
    startup: {timeoutSeconds: 7}
  sidecars:
    proxy:
      image: envoyproxy/envoy:v1.30.1
      ports:
        admin: {port: 9901}
      probes:
        readiness: {tcpSocket: {port: 9901}, periodSeconds: 5}
        liveness: {tcpSocket: {port: 9901}, periodSeconds: 1}
",
    );
    let (docs, _) = render(dir, &["-f", "probes.yaml"]);
    let spec = &find(&docs, "Deployment", "agent-deployment").expect("Deployment")["spec"]["template"]
        ["spec"];
    let of = |name: &str, probe: &str| {
        let c = spec["containers"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["name"] == name))
            .expect("container");
        (
            c[probe]["periodSeconds"].as_u64(),
            c[probe]["timeoutSeconds"].as_u64(),
        )
    };
    assert_eq!(of("agent", "livenessProbe"), (Some(5), Some(4)));
    assert_eq!(of("agent", "startupProbe"), (Some(8), Some(7)));
    assert_eq!(of("proxy", "readinessProbe"), (Some(5), Some(4)));
    assert_eq!(of("proxy", "livenessProbe"), (Some(1), Some(1)));
    // Both written and overlapping: still refused, at the timeout.
    write(
        dir,
        "both.yaml",
        "agent:\n  probes:\n    liveness: {periodSeconds: 5, timeoutSeconds: 5}\n",
    );
    let e = refused(dir, &["-f", "both.yaml"]);
    assert!(
        e.contains("probe timeout 5s is not below its period 5s"),
        "{e}"
    );
    assert!(e.contains("both.yaml:3:50"), "{e}");
}

#[test]
fn show_origin_marks_every_line_of_a_setting_a_patch_overrides() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(
        dir,
        "exec.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec:
        template:
          spec:
            containers:
              - name: agent
                livenessProbe:
                  httpGet: null
                  exec: {command: [/app/health]}
",
    );
    let run = agentctl(["config", "--show-origin", "-f", "exec.yaml"])
        .current_dir(dir)
        .code(0)
        .run();
    // The probe's handlers are typed fields (`httpGet`, `exec`, ...): the lines the patch
    // writes are marked, once each, with what it renders; the timing it leaves is not.
    let liveness: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| l.trim() != "liveness:")
        .skip(1)
        .take(9)
        .collect();
    assert_eq!(liveness.len(), 9);
    for line in &liveness {
        let field = line.trim_start().split(':').next().unwrap_or_default();
        let marked = line.matches("overridden by patches[0]").count();
        let written = matches!(field, "httpGet" | "exec");
        assert_eq!(marked, usize::from(written), "{line}\n{}", run.stdout);
    }
    assert!(
        liveness
            .iter()
            .any(|l| l.contains("renders {\"command\":[\"/app/health\"]}")),
        "{}",
        run.stdout
    );
    let readiness = run
        .stdout
        .lines()
        .skip_while(|l| l.trim() != "readiness:")
        .nth(2)
        .unwrap_or_default();
    assert!(!readiness.contains("overridden"), "{readiness}");
}

#[test]
fn the_runtime_class_is_a_prerequisite() {
    let tmp = support::tempdir();
    let (_, stderr) = render(tmp.path(), &["--set", "agent.runtimeClassName=gvisor"]);
    assert!(
        stderr.contains(
            "  - RuntimeClass gvisor: the pods of Deployment agent-deployment run with it"
        ),
        "{stderr}"
    );
}
