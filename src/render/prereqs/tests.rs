use super::*;
use serde_json::json;

fn default_render() -> Vec<J> {
    let env = json!([
        {"name": "ANTHROPIC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "agent-secrets", "key": "anthropic-api-key"}}},
        {"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "agent-secrets", "key": "redis-password"}}}
    ]);
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "production-agents"}}),
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "agent-data-pvc", "namespace": "production-agents"},
               "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "10Gi"}}}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent-deployment", "namespace": "production-agents"},
               "spec": {"template": {"spec": {"containers": [{"name": "agent", "env": env}]}}}}),
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis", "namespace": "production-agents"},
               "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "redis", "env": [
                   {"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "agent-secrets", "key": "redis-password"}}}]}]}},
               "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "premium-ssd", "resources": {"requests": {"storage": "10Gi"}}}}]}}),
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "agent-hpa", "namespace": "production-agents"},
               "spec": {"metrics": [
                   {"type": "Resource", "resource": {"name": "cpu"}},
                   {"type": "Resource", "resource": {"name": "memory"}},
                   {"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"}}}]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny-all", "namespace": "production-agents"}}),
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "agent-metrics", "namespace": "production-agents"}}),
    ]
}

#[test]
fn default_render_needs() {
    let n = needs(&default_render());
    let whats: Vec<&str> = n.iter().map(|n| n.what.as_str()).collect();
    assert_eq!(
        whats,
        [
            "Prometheus Operator",
            "metrics-server (metrics.k8s.io)",
            "Prometheus Adapter serving the pods metric http_requests_per_second (custom.metrics.k8s.io)",
            "StorageClass premium-ssd that provisions ReadWriteOnce volumes",
            "a default StorageClass that provisions ReadWriteMany volumes",
            "a CNI that enforces NetworkPolicy (e.g. Calico, Cilium)",
            "Secret agent-secrets with keys anthropic-api-key, redis-password, created out of band (never committed)",
        ]
    );
    assert_eq!(
        n[1].because,
        "HorizontalPodAutoscaler agent-hpa scales on cpu and memory utilization"
    );
    assert_eq!(n[3].because, "PersistentVolumeClaims data-redis-0 10Gi");
    assert_eq!(
        n[6].commands,
        [
            "kubectl create namespace production-agents",
            "kubectl create secret generic agent-secrets --namespace=production-agents --from-literal=anthropic-api-key=\"$SECRET_ANTHROPIC_API_KEY\" --from-literal=redis-password=\"$SECRET_REDIS_PASSWORD\"",
        ]
    );
    let t = text("production-agents", &[], &n);
    assert!(t.starts_with("The cluster needs, for namespace production-agents:\n  - Prometheus Operator: ServiceMonitor agent-metrics (monitoring.coreos.com); without its CRDs"));
}

#[test]
fn report_groups_by_namespace_and_needs() {
    let a = needs(&default_render());
    let b: Vec<Need> = a[..2].to_vec();
    let r = report(&[
        (Some("prod-eu"), "production-agents", &a),
        (Some("prod-us"), "production-agents", &a),
        (Some("staging"), "production-agents", &b),
    ]);
    assert_eq!(r.matches("The cluster needs").count(), 2, "{r}");
    assert!(r.contains("for namespace production-agents (environments prod-eu, prod-us):"));
    assert!(r.contains("for namespace production-agents (environment staging):"));
    let single = report(&[(None, "production-agents", &a)]);
    assert!(single.starts_with("The cluster needs, for namespace production-agents:\n"));
}

#[test]
fn external_secret_replaces_the_commands() {
    let mut objs = default_render();
    objs.push(json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "agent-secrets", "namespace": "production-agents"},
        "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"}, "target": {"name": "agent-secrets"},
                 "data": [{"secretKey": "anthropic-api-key", "remoteRef": {"key": "prod/agent", "property": "api-key"}},
                          {"secretKey": "redis-password", "remoteRef": {"key": "prod/redis"}}]}}));
    let n = needs(&objs);
    let last = n.last().unwrap();
    assert_eq!(
        last.what,
        "ClusterSecretStore vault, readable by the External Secrets Operator"
    );
    // The ExternalSecret's name, then the Secret it creates with the keys the pods read.
    assert!(
        last.because
            .starts_with("ExternalSecret agent-secrets creates Secret agent-secrets (keys "),
        "{}",
        last.because
    );
    assert!(
        last.because
            .contains("anthropic-api-key ← prod/agent.api-key, redis-password ← prod/redis"),
        "{}",
        last.because
    );
    assert!(last.commands.is_empty());
    assert!(n.iter().any(|n| n.what == "External Secrets Operator"));
    assert!(!n.iter().any(|n| n.what.starts_with("Secret ")));
}

#[test]
fn nothing_custom_nothing_said() {
    // dev: no HPA, no ServiceMonitor, no policies: only storage and the Secret.
    let objs: Vec<J> = default_render()
        .into_iter()
        .filter(|o| {
            !matches!(
                field_str(o, "/kind"),
                "HorizontalPodAutoscaler" | "ServiceMonitor" | "NetworkPolicy"
            )
        })
        .collect();
    let n = needs(&objs);
    assert_eq!(n.len(), 3, "{n:?}");
    assert!(
        n.iter()
            .all(|n| !n.what.contains("metrics") && !n.what.contains("Operator"))
    );
}

#[test]
fn keda_prometheus_and_cronjob_secrets() {
    let objs = vec![
        json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "agent-scaledobject", "namespace": "ns"},
               "spec": {"triggers": [{"type": "prometheus", "metadata": {"serverAddress": "http://prom:9090"}}]}}),
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "redis-backup", "namespace": "ns"},
               "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "backup", "env": [
                   {"name": "REDISCLI_AUTH", "valueFrom": {"secretKeyRef": {"name": "s", "key": "redis-password"}}}]}]}}}}}}),
    ];
    let n = needs(&objs);
    assert_eq!(n[0].what, "KEDA (CRDs, operator and metrics API server)");
    assert_eq!(
        n[1].what,
        "Prometheus at http://prom:9090, reachable from the KEDA operator"
    );
    // No Namespace rendered: no namespace step.
    assert_eq!(
        n[2].commands,
        [
            "kubectl create secret generic s --namespace=ns --from-literal=redis-password=\"$SECRET_REDIS_PASSWORD\""
        ]
    );
}

#[test]
fn referenced_config_maps_and_claims_are_prerequisites_and_the_namespace_is_created_once() {
    let mut objects = default_render();
    objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "agent-config", "namespace": "production-agents"}}));
    objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "other", "namespace": "production-agents"},
        "spec": {"template": {"spec": {
            "initContainers": [{"name": "fetch", "env": [{"name": "MODEL", "valueFrom": {"configMapKeyRef": {"name": "models", "key": "default"}}}]}],
            "containers": [{"name": "agent", "envFrom": [{"configMapRef": {"name": "agent-config"}}]}],
            "volumes": [
                {"name": "prompts", "configMap": {"name": "agent-prompts", "items": [{"key": "system.md", "path": "system.md"}]}},
                {"name": "cache", "persistentVolumeClaim": {"claimName": "models-cache"}},
                {"name": "data", "persistentVolumeClaim": {"claimName": "agent-data-pvc"}},
                {"name": "both", "projected": {"sources": [{"secret": {"name": "tls-client"}}]}}
            ]}}}}));
    let all: Vec<String> = needs(&objects)
        .iter()
        .map(|n| format!("{} | {}", n.what, n.commands.join(" ; ")))
        .collect();
    let all = all.join("\n");
    assert!(
        all.contains("ConfigMap agent-prompts with keys system.md"),
        "{all}"
    );
    assert!(all.contains("kubectl create configmap agent-prompts --namespace=production-agents --from-file=\"$DIR_AGENT_PROMPTS\""), "{all}");
    assert!(all.contains("ConfigMap models with keys default"), "{all}");
    assert!(all.contains("PersistentVolumeClaim models-cache"), "{all}");
    assert!(all.contains("Secret tls-client"), "{all}");
    assert!(
        !all.contains("ConfigMap agent-config"),
        "a rendered ConfigMap is no prerequisite: {all}"
    );
    assert!(
        !all.contains("PersistentVolumeClaim agent-data-pvc in"),
        "a rendered claim is no prerequisite: {all}"
    );
    assert_eq!(all.matches("kubectl create namespace").count(), 1, "{all}");
}

/// The Secret command pasted into a real shell: each key stays one argument whatever it holds,
/// each value comes from its variable, and nothing else runs or is redirected (`kubectl`
/// replaced by `printf` to show the arguments).
#[test]
fn the_secret_command_is_one_command_in_a_real_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = [
        "anthropic-api-key",
        "a';touch pwned;'",
        "b$(touch pwned2)",
        "<x>",
    ];
    let cmd = secret_command("agent secrets", "ns;rm", keys);
    let printf = cmd.replacen("kubectl", "printf '%s\\n'", 1);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&printf)
        .current_dir(dir.path())
        .env("SECRET_ANTHROPIC_API_KEY", "k1")
        .env("SECRET_A__TOUCH_PWNED__", "v2")
        .env("SECRET_B__TOUCH_PWNED2_", "v3")
        .env("SECRET__X_", "v4")
        .output()
        .expect("sh");
    assert!(out.status.success(), "{cmd}: {out:?}");
    let args: Vec<&str> = std::str::from_utf8(&out.stdout)
        .expect("utf-8")
        .lines()
        .collect();
    assert_eq!(
        args,
        [
            "create",
            "secret",
            "generic",
            "agent secrets",
            "--namespace=ns;rm",
            "--from-literal=anthropic-api-key=k1",
            "--from-literal=a';touch pwned;'=v2",
            "--from-literal=b$(touch pwned2)=v3",
            "--from-literal=<x>=v4",
        ],
        "{cmd}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(left.is_empty(), "the command wrote files: {left:?}");
}

/// Keys whose upper-cased names are not valid, free and distinct shell variables (`-` → `$_`,
/// `0` → `$0`, `1PATH`, `a-b` and `a.b` both `$A_B`, `path` → the user's `$PATH`): the command
/// pasted into bash (`kubectl` a function that prints its arguments) passes each key its own
/// value, read from the variable the command names.
#[test]
fn every_key_reads_its_own_variable() {
    let keys = [
        "-",
        "0",
        "1PATH",
        "a-b",
        "a.b",
        "a_b",
        "A_B",
        "A_B_2",
        "path",
        "home",
        "bash_env",
        "lc_all",
        "secret_0",
        "_",
        "__",
        ".x",
        "x",
        "X",
        "shellopts",
        "ifs",
        "ps1",
        "random",
        // bash's dynamic and special variables, and the loader's: each would read bash's
        // value (a clock, a random number, a line number) or change how programs run.
        "epochseconds",
        "EPOCHREALTIME",
        "srandom",
        "histcmd",
        "dirstack",
        "lineno",
        "seconds",
        "bash-argv0",
        "BASH_XTRACEFD",
        "ld_preload",
        "ld-library-path",
        "ps4",
        "prompt_command",
        "globignore",
    ];
    let vars = super::env_vars(keys);
    for v in &vars {
        assert!(v.starts_with("SECRET_"), "{v} is not agentctl's own");
    }
    let distinct: std::collections::BTreeSet<&String> = vars.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "{vars:?}");
    for v in &vars {
        assert!(
            v.starts_with(|c: char| c.is_ascii_uppercase())
                && v.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            "{v}"
        );
    }
    let cmd = secret_command("s", "ns", keys);
    let script = format!("kubectl() {{ printf '%s\\n' \"$@\"; }}\n{cmd}\n");
    let mut run = std::process::Command::new("bash");
    run.arg("--norc").arg("-c").arg(&script).env_clear();
    run.env("PATH", "/usr/bin:/bin").env("HOME", "/nonexistent");
    for (i, v) in vars.iter().enumerate() {
        run.env(v, format!("value-{i}"));
    }
    let out = run.output().expect("bash runs (needed by this test)");
    assert!(out.status.success(), "{cmd}: {out:?}");
    let args: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(5)
        .map(str::to_owned)
        .collect();
    let want: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("--from-literal={k}=value-{i}"))
        .collect();
    assert_eq!(args, want, "{cmd}");
}

/// A CSI volume needs its driver on the nodes; the Secrets Store CSI Driver's also the
/// SecretProviderClass it names (out of band unless rendered), and a Secret that class syncs is
/// the driver's, not created out of band.
#[test]
fn a_csi_volume_needs_its_driver_and_its_secret_provider_class() {
    let mut objs = default_render();
    let agent = objs
        .iter_mut()
        .find(|o| o["kind"] == "Deployment")
        .expect("the agent");
    let spec = &mut agent["spec"]["template"]["spec"];
    spec["volumes"] = json!([{"name": "kv",
        "csi": {"driver": "secrets-store.csi.k8s.io", "volumeAttributes": {"secretProviderClass": "kv"}}}]);
    spec["containers"][0]["env"]
        .as_array_mut()
        .expect("env")
        .push(json!({"name": "SPEECH_KEY",
        "valueFrom": {"secretKeyRef": {"name": "kv-synced", "key": "speech-key"}}}));
    let n = needs(&objs);
    let find = |what: &str| n.iter().find(|n| n.what.starts_with(what));
    let driver =
        find("the Secrets Store CSI Driver `secrets-store.csi.k8s.io`").expect("the driver");
    assert!(
        driver
            .because
            .starts_with("Deployment agent-deployment mounts a CSI volume"),
        "{}",
        driver.because
    );
    assert!(
        find("SecretProviderClass kv, created out of band").is_some(),
        "{n:#?}"
    );
    assert!(
        find("Secret kv-synced").is_some(),
        "out of band without the class: {n:#?}"
    );
    objs.push(json!({"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
        "metadata": {"name": "kv", "namespace": "production-agents"},
        "spec": {"provider": "azure", "secretObjects": [{"secretName": "kv-synced", "type": "Opaque",
            "data": [{"key": "speech-key", "objectName": "speech-key"}]}]}}));
    let n = needs(&objs);
    let find = |what: &str| n.iter().find(|n| n.what.starts_with(what));
    assert!(find("SecretProviderClass kv").is_none(), "{n:#?}");
    assert!(find("Secret kv-synced").is_none(), "{n:#?}");
    assert!(
        find("the Secrets Store CSI Driver `secrets-store.csi.k8s.io` installed on the nodes, with its azure provider").is_some(),
        "{n:#?}"
    );
    let synced = find("the Secrets Store CSI Driver with secret sync").expect("the synced Secret");
    assert_eq!(
        synced.because,
        "SecretProviderClass kv syncs Secret kv-synced (keys speech-key) while a pod mounts it; the pods read it"
    );
}
