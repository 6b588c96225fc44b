//! The rules of the in-cluster Redis' placement and memory settings (pull secrets, node
//! selector, tolerations, priority class, `maxmemory` against the container's limit), and of
//! what `redis.enabled: false` turns off: a dependent feature a built-in default or profile
//! turned on goes quietly (render notes it once); one the user asked for in a file or flag
//! beside the switch is a contradiction, refused where it was written.

use super::*;
use crate::config::RedisVolume;

/// Placement, pull secrets and memory policy of the Redis pod.
pub(super) fn redis_fit(k: &mut Checker, c: &Config) {
    let r = &c.redis;
    for (i, s) in r.image_pull_secrets.iter().enumerate() {
        k.dns_subdomain(&format!("redis.imagePullSecrets.{i}"), s);
    }
    k.unique(
        "redis.imagePullSecrets",
        &r.image_pull_secrets,
        "pull secret",
    );
    k.labels("redis.nodeSelector", &r.node_selector);
    super::scheduling::tolerations(k, "redis.tolerations", &r.tolerations);
    if let Some(p) = &r.priority_class_name {
        k.dns_subdomain("redis.priorityClassName", p);
    }
    k.storage("redis.storage", &r.storage.claim());
    if r.storage.kind == RedisVolume::EmptyDir && r.storage.storage_class.is_some() {
        k.cross(
            "redis.storage.storageClass",
            "redis.storage.type",
            "an `emptyDir` has no storage class: `redis.storage.storageClass` would go nowhere"
                .into(),
            "remove `redis.storage.storageClass`, or use `redis.storage.type: persistentVolumeClaim`"
                .into(),
        );
    }
    if let Some(max) = &r.maxmemory {
        let limit = &r.resources.limits.memory;
        if let Some(m) = k.quantity("redis.maxmemory", max, Kind::Memory) {
            let l = parse_quantity(limit, Kind::Memory).ok();
            if m.as_f64() < 1.0 {
                k.fail(
                    "redis.maxmemory",
                    format!("`{max}` is not a memory cap Redis can work with (0 means no cap)"),
                    Some("write a size below the memory limit, e.g. `768Mi`, or remove the setting for no cap".into()),
                );
            } else if let Some(l) = l
                && m > l
            {
                k.cross(
                    "redis.maxmemory",
                    "redis.resources.limits.memory",
                    format!(
                        "Redis' `maxmemory` {max} is above its container's memory limit {limit}: the kernel kills Redis (OOMKilled) before it ever evicts"
                    ),
                    format!("lower `redis.maxmemory` below {limit} (about 75% of it leaves room for Redis' own overhead), or raise the limit"),
                );
            }
        }
    }
    if r.maxmemory_policy
        .is_some_and(|p| p != crate::config::MaxmemoryPolicy::Noeviction)
        && r.maxmemory.is_none()
    {
        k.cross(
            "redis.maxmemoryPolicy",
            "redis.maxmemory",
            "an eviction policy only acts at `redis.maxmemory`, which is unset: Redis would never evict, and the kernel kills it at its memory limit".into(),
            "set `redis.maxmemory` below `redis.resources.limits.memory`, e.g. 75% of it".into(),
        );
    }
}

/// Whether a user's file, flag or project entry (not a built-in default or profile) set the
/// effective value of `path`.
fn user_set(k: &Checker, path: &str) -> bool {
    k.merged.origin(path).is_some_and(|s| {
        !matches!(
            s.source.origin,
            crate::diag::Origin::Default | crate::diag::Origin::Profile(_)
        )
    })
}

/// What `redis.enabled: false` turns off: refused only when the user asked for it explicitly.
pub(super) fn redis_off(k: &mut Checker, c: &Config) {
    if c.redis.enabled {
        return;
    }
    // With `redis.none: true` there is no Redis at all: said as such, and located there.
    let (switch, said, why, instead_backup, instead_exporter) = if c.redis.none {
        (
            "redis.none",
            "redis.none: true",
            "`redis.none` is true (the agent uses no Redis)",
            "there is no Redis to back up",
            "there is no Redis to monitor",
        )
    } else {
        (
            "redis.enabled",
            "redis.enabled: false",
            "`redis.enabled` is false (the agent uses `redis.external`)",
            "use the managed Redis's own snapshots",
            "monitor the managed Redis with its provider's tools",
        )
    };
    if c.backup.enabled && user_set(k, "backup.enabled") {
        k.cross(
            "backup.enabled",
            switch,
            format!("the backup job snapshots the in-cluster Redis, but {why}"),
            format!(
                "remove `backup.enabled: true` (`{said}` turns the backup off): {instead_backup}"
            ),
        );
    }
    if c.monitoring.redis_exporter.enabled && user_set(k, "monitoring.redisExporter.enabled") {
        k.cross(
            "monitoring.redisExporter.enabled",
            switch,
            format!("the redis_exporter sidecar runs in the in-cluster Redis pod, but {why}"),
            format!("remove `monitoring.redisExporter.enabled: true` (`{said}` turns it off): {instead_exporter}"),
        );
    }
}
