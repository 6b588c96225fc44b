//! The Redis settings: the in-cluster StatefulSet (image, resources, placement, memory policy,
//! data volume) or, with `enabled: false`, the managed Redis the agent uses instead. One switch
//! (`redis.enabled`) decides whether the in-cluster Redis and everything that depends on it
//! (exporter, backup CronJob, Redis panels and alerts, its NetworkPolicy rules and quota share)
//! exist; `redis.none: true` means no Redis at all (a stateless agent: no managed one either);
//! [`Config::in_cluster_redis`] and friends are the one place that says so, read by
//! the templates' context, the quota, the monitoring and the restore runbook alike.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fit::{ExternalRedis, Toleration};
use super::{AccessMode, Config, PullPolicy, Resources, Storage};

/// The Redis cache and state store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Redis {
    /// Run Redis in the cluster (`redis-statefulset.yaml`). `false` turns off the in-cluster
    /// Redis and everything that depends on it, with one note saying so: the StatefulSet,
    /// Service, ServiceAccount and NetworkPolicy, the exporter sidecar, the backup CronJob, the
    /// Redis dashboard panels and alerts, and its share of the quota; the agent uses
    /// `redis.external`. Default: `true`.
    pub enabled: bool,
    /// A managed Redis the agent uses when `enabled` is `false`.
    pub external: ExternalRedis,
    /// `true`: the agent uses no Redis at all (a stateless agent). It turns the in-cluster
    /// Redis off (with everything that depends on it, as `enabled: false`) and needs no
    /// `external`: no `REDIS_*` variable, no Redis egress rule, no Redis object, panel or
    /// alert. A backup or the redis_exporter asked for (`enabled: true` written), `redis.external`
    /// and KEDA's Redis list trigger are refused with it. Default: `false`.
    pub none: bool,
    /// Container image. Default: `redis:7.2-alpine`.
    pub image: String,
    /// Image pull policy. Default (unset): `Always` for an image pinned by tag, `IfNotPresent`
    /// for one pinned by digest.
    pub image_pull_policy: Option<PullPolicy>,
    /// Secrets the Redis pod (and the backup job, which runs the same image) pulls its images
    /// with (`imagePullSecrets`), by name. Default: none.
    pub image_pull_secrets: Vec<String>,
    /// Port of Redis and of `redis-service`. Default: `6379`.
    pub port: u16,
    /// CPU and memory. Default: requests 250m/512Mi, limits 1000m/1Gi.
    pub resources: Resources,
    /// Redis' own memory cap (`maxmemory`), a memory quantity such as `768Mi`; at most
    /// `resources.limits.memory` (leave room for Redis' overhead: at the container limit the
    /// kernel kills it). Unset: Redis' default, no cap.
    #[schemars(with = "Option<super::Quantity>")]
    pub maxmemory: Option<String>,
    /// What Redis does at `maxmemory` (`maxmemory-policy`): `noeviction` (writes fail),
    /// `allkeys-lru`, `allkeys-lfu`, `allkeys-random`, `volatile-lru`, `volatile-lfu`,
    /// `volatile-random` or `volatile-ttl`. Unset: Redis' default, `noeviction`.
    pub maxmemory_policy: Option<MaxmemoryPolicy>,
    /// Append-only file persistence (`--appendonly`). Default: `true`.
    pub append_only: bool,
    /// User, group and filesystem group Redis (its exporter sidecar and the backup job) runs
    /// as. `null` leaves them unset for the platform to assign (OpenShift's `restricted-v2`
    /// SCC), as `agent.runAsUser: null`; `runAsNonRoot: true` stays. Default: `10001`.
    pub run_as_user: Option<u32>,
    /// Node labels the Redis pod must run on (`nodeSelector`). Default: none.
    pub node_selector: BTreeMap<String, String>,
    /// Node taints the Redis pod tolerates, as in Kubernetes. Default: none.
    pub tolerations: Vec<Toleration>,
    /// PriorityClass of the Redis pod. Unset: the cluster's default priority.
    pub priority_class_name: Option<String>,
    /// The data volume mounted at `/data`: the StatefulSet's volumeClaimTemplate `data`, or an
    /// `emptyDir`. Default: a 10Gi `persistentVolumeClaim`, ReadWriteOnce, cluster default class.
    pub storage: RedisStorage,
}

impl Default for Redis {
    fn default() -> Self {
        Redis {
            enabled: true,
            external: ExternalRedis::default(),
            none: false,
            image: "redis:7.2-alpine".into(),
            image_pull_policy: None,
            image_pull_secrets: Vec::new(),
            port: 6379,
            resources: Resources::new("250m", "512Mi", "1000m", "1Gi"),
            maxmemory: None,
            maxmemory_policy: None,
            append_only: true,
            run_as_user: Some(10001),
            node_selector: BTreeMap::new(),
            tolerations: Vec::new(),
            priority_class_name: None,
            storage: RedisStorage::default(),
        }
    }
}

/// Redis' eviction policy at `maxmemory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MaxmemoryPolicy {
    /// Evict nothing: writes fail with an error at the cap (a state store's choice).
    Noeviction,
    /// Evict the least recently used keys.
    AllkeysLru,
    /// Evict the least frequently used keys.
    AllkeysLfu,
    /// Evict random keys.
    AllkeysRandom,
    /// Evict the least recently used keys that have an expiry.
    VolatileLru,
    /// Evict the least frequently used keys that have an expiry.
    VolatileLfu,
    /// Evict random keys that have an expiry.
    VolatileRandom,
    /// Evict the keys with an expiry closest to it.
    VolatileTtl,
}

impl MaxmemoryPolicy {
    /// The name Redis reads (`allkeys-lru`).
    pub fn as_str(self) -> &'static str {
        match self {
            MaxmemoryPolicy::Noeviction => "noeviction",
            MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
            MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
        }
    }
}

/// Redis' data volume at `/data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RedisStorage {
    /// `persistentVolumeClaim` (the StatefulSet's claim `data-redis-0`: the data outlives the
    /// pod) or `emptyDir` (node-local scratch space with `sizeLimit: size`, lost with the pod:
    /// for a cache only, or a cluster without a storage class). Default: `persistentVolumeClaim`.
    #[serde(rename = "type")]
    pub kind: RedisVolume,
    /// Requested size, a memory-style quantity such as `10Gi` (the claim's request, or the
    /// emptyDir's `sizeLimit`). Default: `10Gi`.
    #[schemars(with = "super::Quantity")]
    pub size: String,
    /// StorageClass of the claim; unset uses the cluster's default class.
    pub storage_class: Option<String>,
    /// Access mode of the claim. Default: `ReadWriteOnce`.
    pub access_mode: AccessMode,
}

impl Default for RedisStorage {
    fn default() -> Self {
        let claim = Storage::default();
        RedisStorage {
            kind: RedisVolume::PersistentVolumeClaim,
            size: claim.size,
            storage_class: claim.storage_class,
            access_mode: claim.access_mode,
        }
    }
}

impl RedisStorage {
    /// The claim's part, for the rules every claim shares.
    pub fn claim(&self) -> Storage {
        Storage {
            size: self.size.clone(),
            storage_class: self.storage_class.clone(),
            access_mode: self.access_mode,
        }
    }
}

/// The kind of Redis' data volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RedisVolume {
    /// The StatefulSet's PersistentVolumeClaim `data-redis-0`.
    PersistentVolumeClaim,
    /// Per-pod scratch space (`emptyDir` with `sizeLimit: size`), lost when the pod goes.
    EmptyDir,
}

/// `redis.none: true` turns the in-cluster Redis off when `redis.enabled` is at its default
/// (`defaulted(path)`); an `enabled: true` the user wrote stays, and validation refuses it.
pub fn follow_redis_none(cfg: &mut Config, defaulted: impl Fn(&str) -> bool) {
    if cfg.redis.none && defaulted("redis.enabled") {
        cfg.redis.enabled = false;
    }
}

impl Config {
    /// Whether the agent uses a Redis at all (the in-cluster one or a managed one): `false`
    /// with `redis.none: true`.
    pub fn uses_redis(&self) -> bool {
        !self.redis.none
    }

    /// Whether the in-cluster Redis StatefulSet is rendered.
    pub fn in_cluster_redis(&self) -> bool {
        self.redis.enabled
    }

    /// Whether the `redis_exporter` sidecar (and its ServiceMonitor) is rendered: asked for,
    /// and there is an in-cluster Redis to export.
    pub fn redis_exporter_on(&self) -> bool {
        self.monitoring.redis_exporter.enabled && self.redis.enabled
    }

    /// Whether the backup CronJob is rendered: asked for, and there is an in-cluster Redis to
    /// snapshot.
    pub fn backup_on(&self) -> bool {
        self.backup.enabled && self.redis.enabled
    }

    /// What `redis.enabled: false` turned off that the other settings asked for, for the one
    /// note render prints (empty when Redis is in the cluster).
    pub fn redis_off_effects(&self) -> Vec<&'static str> {
        if self.redis.enabled {
            return Vec::new();
        }
        let mut off = vec![
            "the StatefulSet `redis` with its Service, ServiceAccount, NetworkPolicy rules and quota share",
        ];
        if self.monitoring.redis_exporter.enabled {
            off.push(
                "the redis_exporter sidecar and its ServiceMonitor (`monitoring.redisExporter`)",
            );
        }
        if self.backup.enabled {
            off.push("the backup CronJob `redis-backup` (`backup`)");
        }
        if self.monitoring.alerts.enabled || self.monitoring.dashboard.enabled {
            off.push("the Redis dashboard panels and alerts");
        }
        off
    }
}
