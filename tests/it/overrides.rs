//! Patches over typed settings tell the truth (issue 21): when a patch changes a field a typed
//! setting renders, `render` warns once per setting naming the patch's line and the setting to
//! write instead, `explain` and `config --show-origin` say the final value is the patch's and
//! what the setting alone renders, and what follows the setting follows the patched value (the
//! backup job runs the patched Redis image). Patches are numbered across files, one way in every
//! message.

use crate::support::{self, agentctl, write};

const TYPED_AND_PATCHED: &str = "\
agent:
  image: ghcr.io/acme/agent:1.2.3
  priorityClassName: normal
patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec:
        template:
          spec:
            priorityClassName: critical
            containers:
              - name: agent
                image: ghcr.io/acme/agent:1.2.3
                resources:
                  limits:
                    memory: 3Gi
  - target: {kind: StatefulSet, name: redis}
    patch:
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: redis:7.4-alpine
";

#[test]
fn render_warns_once_per_overridden_setting_at_the_patch_line() {
    let tmp = support::tempdir();
    write(tmp.path(), "o.yaml", TYPED_AND_PATCHED);
    let out = tmp.path().join("out");
    let run = agentctl(["render", "-f", "o.yaml", "-o", out.to_str().unwrap()])
        .current_dir(tmp.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("overrides the setting"))
        .collect();
    // priorityClassName, the memory limit and the Redis image; the agent image the patch
    // writes unchanged is no override.
    assert_eq!(warnings.len(), 3, "{}", run.stderr);
    assert!(run.stderr.contains(
        "warning: patches[0] at o.yaml:10:32 overrides the setting `agent.priorityClassName`: Deployment/agent-deployment spec.template.spec.priorityClassName is critical, not normal (`agent.priorityClassName`, set at o.yaml:3:22)"
    ), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("containers[name=agent].resources.limits.memory is 3Gi, not 2Gi")
            && run
                .stderr
                .contains("set `agent.resources.limits.memory` instead"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("patches[1] at o.yaml:21:16 overrides the setting `redis.image`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("`agent.image`"), "{}", run.stderr);
    // The backup job follows the patched Redis image, and says so.
    let backup = std::fs::read_to_string(out.join("backup.yaml")).unwrap();
    assert!(backup.contains("image: redis:7.4-alpine"), "{backup}");
    assert!(!backup.contains("redis:7.2-alpine"), "{backup}");
    assert!(
        run.stderr
            .contains("CronJob/redis-backup follows patches[1] at o.yaml:21:16"),
        "{}",
        run.stderr
    );
}

#[test]
fn explain_and_show_origin_say_the_value_is_the_patch() {
    let tmp = support::tempdir();
    write(tmp.path(), "o.yaml", TYPED_AND_PATCHED);
    let explain = agentctl(["explain", "agent.priorityClassName", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain.stdout.contains("value: normal (from o.yaml:3:22)")
            && explain.stdout.contains(
                "rendered: critical (from patches[0] at o.yaml:10:32, which overrides this setting)"
            )
            && explain.stdout.contains("the setting alone renders normal"),
        "{}",
        explain.stdout
    );
    // A map setting: the field inside it the patch changed.
    let explain = agentctl(["explain", "agent.resources", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert!(
        explain.stdout.contains(
            "agent.resources.limits.memory: rendered: 3Gi (from patches[0] at o.yaml:16:29"
        ),
        "{}",
        explain.stdout
    );
    // A setting no patch touches says nothing of patches.
    let explain = agentctl(["explain", "agent.port", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert!(!explain.stdout.contains("rendered:"), "{}", explain.stdout);

    let config = agentctl(["config", "--show-origin", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(config.code, 0, "{}", config.stderr);
    let line = |key: &str| {
        config
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("priorityClassName: normal")
            .ends_with("# o.yaml:3:22; overridden by patches[0] at o.yaml:10:32: renders critical"),
        "{}",
        config.stdout
    );
    assert!(
        line("image: redis:7.2-alpine").ends_with(
            "# default; overridden by patches[1] at o.yaml:21:16: renders redis:7.4-alpine"
        ),
        "{}",
        config.stdout
    );
    assert!(
        config.stdout.contains(
            "StatefulSet/redis: spec.template.spec.containers[name=redis].image (overrides redis.image)"
        ),
        "{}",
        config.stdout
    );
}

#[test]
fn a_backup_patch_of_its_own_wins_over_following() {
    let tmp = support::tempdir();
    write(
        tmp.path(),
        "o.yaml",
        &format!(
            "{TYPED_AND_PATCHED}  - target: {{kind: CronJob, name: redis-backup}}
    patch:
      spec:
        jobTemplate:
          spec:
            template:
              spec:
                containers:
                  - name: backup
                    image: redis:7.4.1-alpine
"
        ),
    );
    let run = agentctl(["render", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("image: redis:7.4.1-alpine"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains("CronJob/redis-backup follows"),
        "{}",
        run.stderr
    );
}

#[test]
fn patches_are_numbered_across_files_in_every_message() {
    let tmp = support::tempdir();
    write(
        tmp.path(),
        "a.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch: {spec: {template: {spec: {dnsPolicy: ClusterFirst}}}}
  - target: {kind: Service, name: agent-service}
    patch: {metadata: {annotations: {a: b}}}
",
    );
    write(
        tmp.path(),
        "b.yaml",
        "patches:
  - target: {kind: Deploymnt, name: agent-deployment}
    patch: {spec: {replicas: 2}}
  - target: {kind: Deployment, name: agent-deployment}
    patch: 12
",
    );
    // Read time (a malformed entry) and render time (a target matching nothing) alike.
    let run = agentctl(["render", "-f", "a.yaml", "-f", "b.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("error: patches[3].patch:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error: patches[2].target"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("patches[0]") && !run.stderr.contains("patches[1]"),
        "{}",
        run.stderr
    );
    // The listing and explain number them the same way.
    write(
        tmp.path(),
        "b.yaml",
        "patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch: {spec: {template: {spec: {enableServiceLinks: false}}}}
",
    );
    let config = agentctl(["config", "--show-origin", "-f", "a.yaml", "-f", "b.yaml"])
        .current_dir(tmp.path())
        .run();
    assert!(
        config.stdout.contains(
            "# patches[2] target {kind: Deployment, name: agent-deployment} (strategic merge) from b.yaml:2:5"
        ) && config.stdout.contains("#   patches[2] (b.yaml:2:5) Deployment/agent-deployment: spec.template.spec.enableServiceLinks"),
        "{}",
        config.stdout
    );
    let explain = agentctl(["explain", "patches[2]", "-f", "a.yaml", "-f", "b.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain.stdout.contains(
            "this entry: patches[2] target {kind: Deployment, name: agent-deployment} (strategic merge) from b.yaml:2:5"
        ) && explain.stdout.contains("numbered across all of them")
            && !explain.stdout.contains("Lists replace")
            && !explain.stdout.contains("list of  or"),
        "{}",
        explain.stdout
    );
    let explain = agentctl(["explain", "patches[7]", "-f", "a.yaml", "-f", "b.yaml"])
        .current_dir(tmp.path())
        .run();
    assert!(
        explain
            .stdout
            .contains("this configuration has 3 `patches` entries (patches[0] to patches[2])"),
        "{}",
        explain.stdout
    );
}

#[test]
fn a_patched_sidecar_field_is_said_once_at_its_own_setting() {
    let tmp = support::tempdir();
    write(
        tmp.path(),
        "o.yaml",
        "agent:
  sidecars:
    proxy:
      image: envoyproxy/envoy:v1.31.2
patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec:
        template:
          spec:
            containers:
              - name: proxy
                image: envoyproxy/envoy:v1.32.0
",
    );
    let run = agentctl(["render", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("overrides the setting"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].contains("overrides the setting `agent.sidecars.proxy.image`"),
        "{}",
        run.stderr
    );
}

/// `restore-help`'s reader pod runs the Redis image the StatefulSet runs: a patch's, said at
/// the top; without a patch, the typed one and no such line.
#[test]
fn restore_help_follows_a_patched_redis_image() {
    let tmp = support::tempdir();
    write(tmp.path(), "o.yaml", TYPED_AND_PATCHED);
    let run = agentctl(["restore-help", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("# The Redis image is redis:7.4-alpine, from patches[1] at o.yaml:21:16, which overrides `redis.image` (redis:7.2-alpine)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("--image=redis:7.4-alpine"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("--image=redis:7.2-alpine"));
    write(
        tmp.path(),
        "plain.yaml",
        "agent:\n  image: ghcr.io/acme/agent:1.2.3\n",
    );
    let plain = agentctl(["restore-help", "-f", "plain.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(
        plain.stdout.contains("--image=redis:7.2-alpine"),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains("The Redis image is"));
}

/// A field of a map setting a patch changed is said with its own origin: the default
/// `limits.cpu` is the default's, not the line that set `requests.cpu` beside it.
#[test]
fn a_patched_field_of_a_map_setting_has_its_own_origin() {
    let tmp = support::tempdir();
    write(
        tmp.path(),
        "o.yaml",
        "agent:
  resources:
    requests: {cpu: 250m}
patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      - {op: remove, path: /spec/template/spec/containers/0/resources/limits/cpu}
",
    );
    let run = agentctl(["render", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "resources.limits.cpu is nothing (removed), not 2 (`agent.resources.limits.cpu`, its default)"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("set at o.yaml:3"), "{}", run.stderr);
}

/// The pod's user, its pull secrets and its /tmp size are typed settings a patch can override:
/// warned, and `config --show-origin` names each setting once however many of its fields the
/// patch changed.
#[test]
fn run_as_user_pull_secrets_and_tmp_size_are_overridden_settings() {
    let tmp = support::tempdir();
    write(
        tmp.path(),
        "o.yaml",
        "agent: {imagePullSecrets: [regcred], tmpSizeLimit: 256Mi}
patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      - {op: remove, path: /spec/template/spec/securityContext/runAsUser}
      - {op: remove, path: /spec/template/spec/containers/0/securityContext/runAsUser}
      - {op: replace, path: /spec/template/spec/imagePullSecrets, value: [{name: other}]}
      - {op: replace, path: /spec/template/spec/volumes/0/emptyDir/sizeLimit, value: 2Gi}
",
    );
    let run = agentctl(["render", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    for setting in [
        "agent.runAsUser",
        "agent.imagePullSecrets",
        "agent.tmpSizeLimit",
    ] {
        assert!(
            run.stderr
                .contains(&format!("overrides the setting `{setting}`")),
            "{setting}: {}",
            run.stderr
        );
    }
    let show = agentctl(["config", "--show-origin", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(show.code, 0, "{}", show.stderr);
    let line = show
        .stdout
        .lines()
        .find(|l| l.contains("(overrides "))
        .unwrap_or_else(|| panic!("{}", show.stdout));
    assert_eq!(line.matches("agent.runAsUser").count(), 1, "{line}");
    let explain = agentctl(["explain", "agent.runAsUser", "-f", "o.yaml"])
        .current_dir(tmp.path())
        .run();
    assert!(
        explain
            .stdout
            .contains("rendered: nothing (removed) (from patches[0]"),
        "{}",
        explain.stdout
    );
}
