//! Restore help: the commands that restore Redis from a backup, for one resolved deployment.
//!
//! `agentctl restore-help` prints [`for_deployment`]: the procedure for the user's namespace,
//! port, image and autoscaler. The in-pod step is [`RESTORE_SCRIPT`] verbatim (the same text
//! `scripts/test-redis-restore.sh` runs against a real redis-server), so what is printed is what
//! is tested. With the in-cluster Redis off there is no `redis-0` to restore into: that is a
//! located error (exit 2) saying so and pointing at the managed Redis's own restore, never a
//! runbook for a pod that does not exist. No I/O: the command prints what this returns.

use crate::config::path::ConfigPath;
use crate::diag::Diagnostic;
use crate::render::provenance::Override;
use crate::resolve::merge::Merged;
use serde_json::json;

/// The in-pod restore script (run in `redis-0` with `sh -s`).
pub const RESTORE_SCRIPT: &str = include_str!("../../templates/scripts/redis-restore.sh");
/// The backup claim `backup.yaml` renders.
/// The backup CronJob's script (its container runs `sh -c` on it).
pub const BACKUP_SCRIPT: &str = include_str!("../../templates/scripts/redis-backup.sh");

/// How the agent Deployment is scaled, which decides how the writers are stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaler {
    /// An HPA (it leaves a Deployment scaled to 0 alone).
    Hpa,
    /// A KEDA ScaledObject (paused with an annotation).
    Keda,
    /// A fixed replica count.
    Fixed,
}

/// The resolved values the commands depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct Params<'a> {
    /// Namespace of the deployment.
    pub namespace: &'a str,
    /// The deployment's object names (`instance`'s prefix when set).
    pub names: crate::config::Names,
    /// Redis port.
    pub redis_port: u16,
    /// Redis image (the reader pod uses it too).
    pub redis_image: &'a str,
    /// User and group the Redis pods run as; `None`: assigned by the platform (OpenShift).
    pub run_as_user: Option<u32>,
    /// The backup claim, when backups are rendered.
    pub backup_pvc: Option<&'a str>,
    /// How the agent is scaled.
    pub scaler: Scaler,
    /// Replicas to return to after the restore (the minimum).
    pub replicas: u32,
    /// Whether Redis runs with `appendonly yes` (the explanation differs).
    pub append_only: bool,
}

/// The restore procedure for a resolved deployment; with `redis.enabled: false` a diagnostic at
/// the layer that turned it off, naming the managed Redis the agent uses instead. `overrides`:
/// the typed settings the render's patches overrode; a patched Redis image is the one the
/// reader pod runs (as the StatefulSet and the backup job do), said in the procedure's head.
pub fn for_deployment(merged: &Merged, overrides: &[Override]) -> Result<String, Diagnostic> {
    let c = &merged.config;
    if c.redis.none {
        let d = Diagnostic::new(
            "restore-help restores the in-cluster Redis (`redis-0`), but `redis.none` is true: the agent uses no Redis, and there is nothing to restore",
        )
        .help("to restore a Redis, render one: remove `redis.none` (the in-cluster Redis, or `redis.enabled: false` with `redis.external`)");
        return Err(merged.locate(d, &ConfigPath::new("redis.none")));
    }
    if !c.redis.enabled {
        let external = &c.redis.external;
        let at = match (&external.url, &external.host) {
            (Some(url), _) => format!(
                "the URL in Secret `{}` key `{}`",
                url.name.as_deref().unwrap_or(&c.secret.name),
                url.key
            ),
            (None, Some(host)) => format!("`{host}:{}`", external.port),
            (None, None) => "`redis.external` (no host set)".to_owned(),
        };
        let d = Diagnostic::new(
            "restore-help restores the in-cluster Redis (`redis-0`), but `redis.enabled` is false: this deployment renders no Redis to restore into",
        )
        .note(format!("the agent uses the managed Redis at {at}"))
        .help(format!(
            "restore the managed Redis with its provider's own snapshot restore (ElastiCache, Memorystore, Azure Cache for Redis), then restart the agent: `kubectl -n {} rollout restart deployment/{}`",
            sh(&c.namespace),
            crate::config::Names::of(c).get("agent-deployment")
        ));
        let d = merged.locate(d, &ConfigPath::new("redis.enabled"));
        return Err(d);
    }
    let scaler = if c.keda.enabled {
        Scaler::Keda
    } else if c.autoscaling.enabled {
        Scaler::Hpa
    } else {
        Scaler::Fixed
    };
    let names = crate::config::Names::of(c);
    let redis_id = format!("StatefulSet/{}", names.get("redis"));
    let backup_pvc = names.get("redis-backup-pvc");
    let patched = overrides
        .iter()
        .filter(|o| o.setting == "redis.image" && o.object == redis_id)
        .find_map(|o| Some((o.now.as_ref()?.as_str()?, o)));
    let text = text(&Params {
        namespace: &c.namespace,
        names: names.clone(),
        redis_port: c.redis.port,
        redis_image: patched.map_or(c.redis.image.as_str(), |(image, _)| image),
        run_as_user: c.redis.run_as_user,
        backup_pvc: c.backup_on().then_some(backup_pvc.as_str()),
        scaler,
        replicas: c.agent.replicas.min,
        append_only: c.redis.append_only,
    });
    Ok(match patched {
        None => text,
        Some((image, o)) => format!(
            "# The Redis image is {image}, from {} at {}, which overrides `redis.image` ({}):\n# the StatefulSet runs it, so the reader pod below does too.\n{text}",
            o.entry,
            o.at,
            o.typed_text()
        ),
    })
}

/// Quotes a word for a POSIX shell.
fn sh(word: &str) -> String {
    crate::shell::quote(word).into_owned()
}

/// The pod that mounts the backup claim read-only, as `kubectl run --overrides` JSON:
/// Pod-Security-restricted, no network, no token, small resources.
fn reader_overrides(p: &Params, pvc: &str) -> String {
    let mut hardened = json!({
        "runAsNonRoot": true,
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"}
    });
    let mut pod_context = json!({
        "runAsNonRoot": true,
        "seccompProfile": {"type": "RuntimeDefault"}
    });
    // Unset (`redis.runAsUser: null`): the platform assigns them, as for the StatefulSet.
    if let Some(uid) = p.run_as_user {
        hardened["runAsUser"] = json!(uid);
        hardened["runAsGroup"] = json!(uid);
        pod_context["runAsUser"] = json!(uid);
        pod_context["fsGroup"] = json!(uid);
    }
    json!({
        "apiVersion": "v1",
        "spec": {
            "automountServiceAccountToken": false,
            "securityContext": pod_context,
            "containers": [{
                "name": "redis-backup-reader",
                "image": p.redis_image,
                "command": ["sleep", "3600"],
                "securityContext": hardened,
                "resources": {
                    "requests": {"cpu": "50m", "memory": "32Mi"},
                    "limits": {"cpu": "200m", "memory": "64Mi"}
                },
                "volumeMounts": [{"name": "backup", "mountPath": "/backup", "readOnly": true}]
            }],
            "volumes": [{"name": "backup", "persistentVolumeClaim": {"claimName": pvc, "readOnly": true}}]
        }
    })
    .to_string()
}

/// The restore procedure for these values, as copy-pasteable shell with comments.
// Long on purpose: the restore runbook, step by step, as the text the user reads.
pub fn text(p: &Params) -> String {
    let k = format!("kubectl -n {}", sh(p.namespace));
    let n = &p.names;
    let (deployment, scaled, cronjob) = (
        n.get("agent-deployment"),
        n.get("agent-scaledobject"),
        n.get("redis-backup"),
    );
    let redis0 = format!("{}-0", n.get("redis"));
    let reader = n.get("redis-backup-reader");
    let agent_pods = match n.instance() {
        Some(i) => format!("app.kubernetes.io/name=agent,app.kubernetes.io/instance={i}"),
        None => "app.kubernetes.io/name=agent".to_owned(),
    };
    let restore_port = if p.redis_port == u16::MAX {
        p.redis_port - 1
    } else {
        p.redis_port + 1
    };
    let mut o = String::new();
    let mut line = |s: &str| {
        o.push_str(s);
        o.push('\n');
    };
    line(&format!(
        "# Restore Redis ({redis0}, namespace {}) from an RDB snapshot.",
        p.namespace
    ));
    line("#");
    if p.append_only {
        line(
            "# Redis runs with appendonly on: it loads its append-only file at start and ignores a",
        );
        line(
            "# dump.rdb copied into /data, so \"copy dump.rdb and restart\" restores nothing. Instead a",
        );
        line(
            "# temporary Redis inside the pod loads the snapshot, the running Redis replicates it (its",
        );
        line(
            "# whole dataset is replaced) and rewrites its append-only file, then is detached again.",
        );
    } else {
        line(
            "# A temporary Redis inside the pod loads the snapshot, the running Redis replicates it",
        );
        line(
            "# (its whole dataset is replaced) and saves it as its dump.rdb, then is detached again.",
        );
        line(
            "# (\"Copy dump.rdb and SHUTDOWN SAVE\" would save the live data over the copied file.)",
        );
    }
    line("# Redis needs memory for about twice the dataset while this runs.");
    line("");
    line("# 1. Stop the writers.");
    match p.scaler {
        Scaler::Keda => line(&format!(
            "{k} annotate scaledobject {scaled} autoscaling.keda.sh/paused-replicas=0 --overwrite"
        )),
        Scaler::Hpa => {
            line(
                "#    (the HPA leaves a Deployment scaled to 0 alone until it is scaled up again)",
            );
            line(&format!("{k} scale deployment {deployment} --replicas=0"));
        }
        Scaler::Fixed => line(&format!("{k} scale deployment {deployment} --replicas=0")),
    }
    line(&format!(
        "{k} wait --for=delete pod -l {agent_pods} --timeout=300s"
    ));
    line("");
    line("# 2. Put the snapshot on the Redis data volume as /data/restore.rdb.");
    if let Some(pvc) = p.backup_pvc {
        line(&format!(
            "#    From the backup volume {pvc} (CronJob {cronjob}), through a read-only reader pod:"
        ));
        line(&format!(
            "{k} run {reader} --restart=Never --image={} --overrides={}",
            sh(p.redis_image),
            sh(&reader_overrides(p, pvc))
        ));
        line(&format!(
            "{k} wait --for=condition=Ready pod/{reader} --timeout=180s"
        ));
        line(&format!(
            "{k} exec {reader} -- ls -l /backup    # newest last"
        ));
        line("SNAPSHOT=redis-YYYYMMDDTHHMMSSZ.rdb    # pick one of the names listed");
        line(&format!(
            "{k} exec {reader} -- cat \"/backup/$SNAPSHOT\" | {k} exec -i {redis0} -- sh -c 'cat > /data/restore.rdb'"
        ));
        line(&format!("{k} delete pod {reader}"));
        line("#    Or from a file on your machine:");
    }
    line(&format!(
        "#    {k} exec -i {redis0} -- sh -c 'cat > /data/restore.rdb' < ./redis-backup.rdb"
    ));
    line("");
    line("# 3. Load it (checks the file, replaces the dataset, rewrites the append-only file).");
    line(&format!(
        "{k} exec -i {redis0} -- env REDIS_PORT={} RESTORE_PORT={restore_port} RESTORE_FILE=/data/restore.rdb DATA_DIR=/data sh -s <<'RESTORE'",
        p.redis_port
    ));
    o.push_str(RESTORE_SCRIPT);
    if !RESTORE_SCRIPT.ends_with('\n') {
        o.push('\n');
    }
    let mut line = |s: &str| {
        o.push_str(s);
        o.push('\n');
    };
    line("RESTORE");
    line("");
    line("# 4. Start the writers again.");
    match p.scaler {
        Scaler::Keda => line(&format!(
            "{k} annotate scaledobject {scaled} autoscaling.keda.sh/paused-replicas-"
        )),
        Scaler::Hpa => line(&format!(
            "{k} scale deployment {deployment} --replicas={}    # the HPA takes over from here",
            p.replicas
        )),
        Scaler::Fixed => line(&format!(
            "{k} scale deployment {deployment} --replicas={}",
            p.replicas
        )),
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params<'static> {
        Params {
            namespace: "production-agents",
            names: crate::config::Names::of(&crate::config::Config::default()),
            redis_port: 6379,
            redis_image: "redis:7.2-alpine",
            run_as_user: Some(10001),
            backup_pvc: Some("redis-backup-pvc"),
            scaler: Scaler::Hpa,
            replicas: 3,
            append_only: true,
        }
    }

    #[test]
    fn carries_the_tested_script_verbatim_for_the_namespace() {
        let t = text(&params());
        assert!(t.contains(RESTORE_SCRIPT));
        assert!(t.contains("kubectl -n production-agents exec -i redis-0 -- env REDIS_PORT=6379 RESTORE_PORT=6380 RESTORE_FILE=/data/restore.rdb DATA_DIR=/data sh -s <<'RESTORE'\n"));
        assert!(t.contains("\nRESTORE\n"));
        assert!(t.contains("scale deployment agent-deployment --replicas=0"));
        assert!(t.contains("--replicas=3"));
        // The heredoc must not end early: no line of the script is the terminator.
        assert!(!RESTORE_SCRIPT.lines().any(|l| l == "RESTORE"));
    }

    #[test]
    fn reader_pod_is_restricted_and_quoted() {
        let t = text(&params());
        let json_line = t
            .lines()
            .find(|l| l.contains("run redis-backup-reader"))
            .unwrap();
        let start = json_line.find("--overrides='").unwrap() + "--overrides='".len();
        let v: serde_json::Value =
            serde_json::from_str(&json_line[start..json_line.len() - 1]).unwrap();
        assert_eq!(
            v.pointer("/spec/containers/0/securityContext/readOnlyRootFilesystem"),
            Some(&json!(true))
        );
        assert_eq!(
            v.pointer("/spec/volumes/0/persistentVolumeClaim/claimName"),
            Some(&json!("redis-backup-pvc"))
        );
        assert_eq!(
            v.pointer("/spec/automountServiceAccountToken"),
            Some(&json!(false))
        );
    }

    #[test]
    fn keda_is_paused_not_scaled_and_no_backups_means_local_file() {
        let p = Params {
            scaler: Scaler::Keda,
            backup_pvc: None,
            redis_port: u16::MAX,
            ..params()
        };
        let t = text(&p);
        assert!(t.contains("paused-replicas=0"));
        assert!(t.contains("paused-replicas-\n"));
        assert!(!t.contains("scale deployment"));
        assert!(!t.contains("redis-backup-reader"));
        assert!(t.contains("RESTORE_PORT=65534"));
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(sh("redis:7.2-alpine"), "redis:7.2-alpine");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), "\"it's\"");
        assert_eq!(sh(""), "''");
    }
}
