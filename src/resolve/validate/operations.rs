//! The rule groups of what runs around the deployment (issue 13): backups, the quota (it must
//! hold the deployment at its maximum scale), the VPA (never fighting the HPA), KEDA (never
//! beside the HPA) and the ExternalSecret (a mapping for every key the pods read). Only reads
//! the configuration; never I/O.

use super::*;
use crate::config::quota::{self, Shortfall};
use crate::config::{ComputeResource, VpaUpdateMode};
use crate::suggest::did_you_mean;

/// The backup CronJob.
pub(super) fn backup(k: &mut Checker, c: &Config) {
    let b = &c.backup;
    if !b.enabled {
        return;
    }
    if !c.redis.enabled {
        // Turned off with the in-cluster Redis (`redis::redis_off` refuses an explicit ask).
        return;
    }
    if let Err(why) = cron_schedule(&b.schedule) {
        k.fail(
            "backup.schedule",
            format!("`{}` is not a cron schedule: {why}", b.schedule),
            Some("write five fields, minute hour day-of-month month day-of-week, e.g. `0 */6 * * *`, or a macro such as `@daily`".into()),
        );
    }
    if let Some(tz) = &b.time_zone {
        let ok = !tz.is_empty()
            && !tz.starts_with('/')
            && tz
                .bytes()
                .all(|ch| ch.is_ascii_alphanumeric() || b"/_-+".contains(&ch));
        if !ok {
            k.fail(
                "backup.timeZone",
                format!("`{tz}` is not an IANA time zone name"),
                Some("e.g. `Etc/UTC` or `Europe/Berlin`".into()),
            );
        }
    }
    k.compute(
        "backup.resources",
        &b.resources.requests,
        &b.resources.limits,
    );
    k.storage("backup.storage", &b.storage);
}

/// A cron expression as the CronJob controller reads it: five fields or a macro.
fn cron_schedule(s: &str) -> Result<(), String> {
    const MACROS: &[&str] = &[
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ];
    if s.starts_with('@') {
        return if MACROS.contains(&s) {
            Ok(())
        } else {
            Err(format!("unknown macro; use one of {}", MACROS.join(", ")))
        };
    }
    if s.contains("TZ=") {
        return Err("set the time zone with `backup.timeZone`, not in the schedule".into());
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("{} field(s), 5 expected", fields.len()));
    }
    for (field, name) in
        fields
            .iter()
            .zip(["minute", "hour", "day of month", "month", "day of week"])
    {
        let ok = field
            .bytes()
            .all(|ch| ch.is_ascii_alphanumeric() || b"*/,-?".contains(&ch));
        if !ok {
            return Err(format!(
                "the {name} field `{field}` holds a character cron does not know"
            ));
        }
    }
    Ok(())
}

/// The ResourceQuota and LimitRange: every figure set by hand must hold the deployment at its
/// maximum scale.
pub(super) fn quota(k: &mut Checker, c: &Config) {
    let q = &c.quota;
    if !c.quota_on() {
        return;
    }
    let mut grammar_ok = true;
    if q.limits_cpu.is_some()
        && let Some(unlimited) = quota::cpu_unlimited(c).first()
    {
        k.cross(
            "quota.limitsCpu",
            unlimited,
            format!(
                "`quota.limitsCpu` counts CPU limits, but `{unlimited}` is null (no CPU limit): quota admission would refuse every pod of that container"
            ),
            format!(
                "remove `quota.limitsCpu` (the quota then counts no CPU limits), or give `{unlimited}` a value"
            ),
        );
    }
    for (path, value, kind) in [
        ("quota.requestsCpu", &q.requests_cpu, Kind::Cpu),
        ("quota.requestsMemory", &q.requests_memory, Kind::Memory),
        ("quota.limitsCpu", &q.limits_cpu, Kind::Cpu),
        ("quota.limitsMemory", &q.limits_memory, Kind::Memory),
        ("quota.requestsStorage", &q.requests_storage, Kind::Memory),
    ] {
        if let Some(v) = value {
            grammar_ok &= k.quantity(path, v, kind).is_some();
        }
    }
    let lr = &q.limit_range;
    if lr.enabled {
        let base = "quota.limitRange";
        for (side, v) in [
            ("defaultRequest", &lr.default_request.ephemeral_storage),
            ("default", &lr.default.ephemeral_storage),
        ] {
            if let Some(v) = v {
                grammar_ok &= k
                    .quantity(&format!("{base}.{side}.ephemeral-storage"), v, Kind::Memory)
                    .is_some();
            }
        }
        let rc = k.quantity(
            &format!("{base}.defaultRequest.cpu"),
            &lr.default_request.cpu,
            Kind::Cpu,
        );
        let rm = k.quantity(
            &format!("{base}.defaultRequest.memory"),
            &lr.default_request.memory,
            Kind::Memory,
        );
        let lc = k.quantity(&format!("{base}.default.cpu"), &lr.default.cpu, Kind::Cpu);
        let lm = k.quantity(
            &format!("{base}.default.memory"),
            &lr.default.memory,
            Kind::Memory,
        );
        for (what, r, l, rv, lv) in [
            ("cpu", rc, lc, &lr.default_request.cpu, &lr.default.cpu),
            (
                "memory",
                rm,
                lm,
                &lr.default_request.memory,
                &lr.default.memory,
            ),
        ] {
            grammar_ok &= r.is_some() && l.is_some();
            if let (Some(r), Some(l)) = (r, l)
                && r > l
            {
                k.cross(
                    &format!("{base}.defaultRequest.{what}"),
                    &format!("{base}.default.{what}"),
                    format!("default {what} request {rv} is above the default limit {lv}"),
                    format!("raise `{base}.default.{what}` to at least {rv}, or lower the request"),
                );
            }
        }
    }
    if !grammar_ok {
        return;
    }
    for (what, req, lim, r, l) in [
        (
            "cpu",
            "quota.requestsCpu",
            "quota.limitsCpu",
            &q.requests_cpu,
            &q.limits_cpu,
        ),
        (
            "memory",
            "quota.requestsMemory",
            "quota.limitsMemory",
            &q.requests_memory,
            &q.limits_memory,
        ),
    ] {
        if let (Some(r), Some(l)) = (r, l)
            && quota::milli(r) > quota::milli(l)
        {
            k.cross(
                req,
                lim,
                format!("the quota's {what} requests {r} are above its {what} limits {l}: no pod requests more than its limits, so the requests figure could never be reached"),
                format!("lower `{req}` to at most {l}, raise `{lim}`, or unset `{req}` (derived, at most the limits)"),
            );
        }
    }
    let (workloads, volumes, set) = quota::inputs(c);
    if let Err(short) = quota::fit(&workloads, &volumes, &set) {
        for s in short {
            shortfall(k, c, &s);
        }
    }
}

fn shortfall(k: &mut Checker, c: &Config, s: &Shortfall) {
    let path = crate::config::quota::setting_of(s.resource).unwrap_or("quota");
    let scaled = c.autoscaling.enabled || c.keda.enabled;
    let replicas_path = if scaled {
        "agent.replicas.max"
    } else {
        "agent.replicas.min"
    };
    if let Some(max) = &s.beyond {
        // No quota holds it: the per-pod figure (or the replicas) is what to change.
        let (half, what) = s.resource.split_once('.').unwrap_or(("limits", "cpu"));
        k.cross(
            &format!("agent.resources.{half}.{what}"),
            replicas_path,
            format!(
                "the quota figure `{}` would be {}, more than Kubernetes counts ({max}): {}",
                s.resource, s.need, s.breakdown
            ),
            format!("lower the per-pod `{half}.{what}` figures or the replicas in that sum, so that it stays under {max}"),
        );
        return;
    }
    let mut help = format!(
        "raise `{path}` to at least {}, or remove it to let agentctl derive it",
        s.suggest
    );
    let message = format!(
        "quota `{}: {}` cannot hold this deployment at its maximum scale, which needs {}: {}",
        s.resource, s.set, s.need, s.breakdown
    );
    if s.resource == "persistentvolumeclaims" || s.resource == "requests.storage" {
        help.push_str(", or turn off `backup.enabled` (it adds a claim)");
        k.fail(path, message, Some(help));
        return;
    }
    if let Some(r) = s.max_replicas_that_fit {
        help.push_str(&format!(", or lower `{replicas_path}` to {r}"));
    }
    k.cross(path, replicas_path, message, help);
}

/// The VerticalPodAutoscaler: recommendations only, unless it would not fight the HPA.
pub(super) fn vpa(k: &mut Checker, c: &Config) {
    let v = &c.vpa;
    if !v.enabled {
        return;
    }
    if v.controlled_resources.is_empty() {
        k.fail(
            "vpa.controlledResources",
            "the VPA controls no resource: it would recommend nothing".into(),
            Some("list `cpu`, `memory` or both, or set `vpa.enabled: false`".into()),
        );
    }
    let mut seen = Vec::new();
    for r in &v.controlled_resources {
        if seen.contains(r) {
            k.fail(
                "vpa.controlledResources",
                format!("`{}` is listed more than once", name(*r)),
                Some("list each resource once".into()),
            );
        }
        seen.push(*r);
    }
    for (base, bound) in [
        ("vpa.minAllowed", &v.min_allowed),
        ("vpa.maxAllowed", &v.max_allowed),
    ] {
        if let Some(b) = bound {
            k.quantity(&format!("{base}.cpu"), &b.cpu, Kind::Cpu);
            k.quantity(&format!("{base}.memory"), &b.memory, Kind::Memory);
            if b.ephemeral_storage.is_some() {
                k.fail(
                    &format!("{base}.ephemeral-storage"),
                    "the VerticalPodAutoscaler recommends CPU and memory only".into(),
                    Some(format!("remove `{base}.ephemeral-storage`")),
                );
            }
        }
    }
    if v.update_mode == VpaUpdateMode::Off || !c.autoscaling.enabled {
        return;
    }
    let hpa_on = |r: ComputeResource| match r {
        ComputeResource::Cpu => true,
        ComputeResource::Memory => c.autoscaling.target_memory_utilization.is_some(),
    };
    let fights: Vec<&str> = v
        .controlled_resources
        .iter()
        .filter(|r| hpa_on(**r))
        .map(|r| name(*r))
        .collect();
    if fights.is_empty() {
        return;
    }
    let mode = serde_json::to_value(v.update_mode)
        .ok()
        .and_then(|m| m.as_str().map(str::to_owned))
        .unwrap_or_default();
    let narrow = if c.autoscaling.target_memory_utilization.is_none() {
        ", or let the VPA control only memory (`vpa.controlledResources: [memory]`)"
    } else {
        ", or drop the HPA's memory metric and let the VPA control only memory"
    };
    k.cross(
        "vpa.updateMode",
        "autoscaling.enabled",
        format!(
            "VPA mode `{mode}` changes the agent's {} requests, which the HPA scales on: the two would fight (the HPA's utilization is a percentage of the requests the VPA moves)",
            fights.join(" and ")
        ),
        format!("set `vpa.updateMode: \"Off\"` (recommendations only){narrow}, or scale with KEDA instead of the HPA"),
    );
}

fn name(r: ComputeResource) -> &'static str {
    match r {
        ComputeResource::Cpu => "cpu",
        ComputeResource::Memory => "memory",
    }
}

/// KEDA: instead of the HPA (its triggers are checked on the final ScaledObject: AGT176).
pub(super) fn keda(k: &mut Checker, c: &Config) {
    let e = &c.keda;
    if !e.enabled {
        return;
    }
    if c.autoscaling.enabled {
        k.cross(
            "keda.enabled",
            "autoscaling.enabled",
            "KEDA and the HPA would both scale agent-deployment (KEDA creates its own HPA, `agent-hpa`)".into(),
            "set `autoscaling.enabled: false`: KEDA's HPA replaces it".into(),
        );
    }
    // A ScaledObject with no trigger is lint AGT176's, on the final object: a patch may
    // supply the trigger no typed setting has (`aws-sqs-queue`).
    if e.prometheus.enabled {
        k.quantity(
            "keda.prometheus.threshold",
            &e.prometheus.threshold,
            Kind::Plain,
        );
        if let Some(q) = &e.prometheus.query
            && q.trim().is_empty()
        {
            k.fail(
                "keda.prometheus.query",
                "the Prometheus query is empty".into(),
                Some("write a PromQL expression returning one number, or remove the setting to use the request rate".into()),
            );
        }
        if let Some(a) = &e.prometheus.server_address
            && !(a.starts_with("http://") || a.starts_with("https://"))
        {
            k.fail(
                "keda.prometheus.serverAddress",
                format!("`{a}` is not an http(s) URL"),
                Some("e.g. `http://prometheus-operated.monitoring.svc:9090`".into()),
            );
        }
    }
    if e.redis_list.enabled {
        if c.redis.none {
            k.cross(
                "keda.redisList.enabled",
                "redis.none",
                "the Redis list trigger scales on the length of a Redis list, but `redis.none: true` says the agent uses no Redis".into(),
                "scale on something the agent has: `keda.prometheus` (a query of your own) or a `keda.triggers` scaler (`aws-sqs-queue`, `kafka`, `rabbitmq`, `cron`), or remove `redis.none`".into(),
            );
        } else if !c.redis.enabled && c.redis.external.host.is_none() {
            k.cross(
                "keda.redisList.enabled",
                "redis.external.url",
                "the Redis list trigger needs the managed Redis' host and port, but it is given only as a URL in a Secret (`redis.external.url`), which KEDA cannot read".into(),
                "set `redis.external.host` (and `port`, `tls`, `password`) instead of `url`, or scale on `keda.prometheus`".into(),
            );
        }
        if e.redis_list.list_name.is_empty() {
            k.fail(
                "keda.redisList.listName",
                "the Redis list trigger needs the list's key".into(),
                Some("e.g. `agent-tasks`".into()),
            );
        }
        k.quantity(
            "keda.redisList.listLength",
            &e.redis_list.list_length,
            Kind::Plain,
        );
        k.dns_label("keda.operatorNamespace", &e.operator_namespace);
        match &e.redis_list.authentication_ref {
            Some(a) if a.name.is_empty() => k.fail(
                "keda.redisList.authenticationRef",
                "the trigger authentication has no `name`".into(),
                Some("name the TriggerAuthentication: `authenticationRef: {name: memorystore-tls}`, or remove `authenticationRef`".into()),
            ),
            Some(a) => k.dns_subdomain("keda.redisList.authenticationRef.name", &a.name),
            None => {}
        }
    }
    if let Some(r) = e.fallback.replicas {
        let (min, max) = (c.agent.replicas.min, c.agent.replicas.max);
        if r < min || r > max {
            k.cross(
                "keda.fallback.replicas",
                if r > max { "agent.replicas.max" } else { "agent.replicas.min" },
                format!("fallback replicas {r} is outside the replica bounds {min}-{max}"),
                format!("set `keda.fallback.replicas` between {min} and {max}, or remove it (the minimum)"),
            );
        }
    }
}

/// The ExternalSecret: a store, and a mapping for every key the pods read, and no other.
pub(super) fn external_secret(k: &mut Checker, c: &Config) {
    let x = &c.external_secret;
    if !x.enabled {
        return;
    }
    if x.store_ref.name.is_empty() {
        k.fail(
            "externalSecret.storeRef.name",
            "the ExternalSecret needs the name of the SecretStore or ClusterSecretStore to read from".into(),
            Some("set `externalSecret.storeRef.name` (and `kind: ClusterSecretStore` for a cluster-wide store)".into()),
        );
    } else {
        k.dns_subdomain("externalSecret.storeRef.name", &x.store_ref.name);
    }
    if parse_duration(&x.refresh_interval) == Some(0) {
        k.fail(
            "externalSecret.refreshInterval",
            "a refresh interval of 0 never refreshes the Secret".into(),
            Some("e.g. `1h`".into()),
        );
    } else {
        k.duration("externalSecret.refreshInterval", &x.refresh_interval);
    }
    let keys = c.agent_secret_keys();
    let needed: Vec<&str> = keys.iter().map(String::as_str).collect();
    for &key in &needed {
        // A misspelled entry is reported once, below, with its "did you mean".
        let misspelled = x
            .data
            .keys()
            .any(|k| k != key && did_you_mean(k, [key]).is_some());
        if !x.data.contains_key(key) && !misspelled {
            let from = if c.secret.api_key_key.as_deref() == Some(key) {
                "secret.apiKeyKey"
            } else if c.redis.enabled && c.secret.redis_password_key == key {
                "secret.redisPasswordKey"
            } else {
                "secret.name"
            };
            k.cross(
                "externalSecret.data",
                from,
                format!("no mapping for the Secret key `{key}`, which the pods read: the ExternalSecret would create a Secret without it"),
                format!("add `externalSecret.data.{key}: {{key: <its path in the store>}}`"),
            );
        }
    }
    for (key, remote) in &x.data {
        let path = format!("externalSecret.data.{key}");
        if !needed.contains(&key.as_str()) {
            let hint = did_you_mean(key, needed.iter().copied())
                .map(|m| format!("did you mean `{m}`?"))
                .unwrap_or_else(|| {
                    let read: Vec<String> = needed.iter().map(|n| format!("`{n}`")).collect();
                    format!("the pods read only {}; remove this entry", read.join(", "))
                });
            k.fail_key(
                &path,
                format!("`{key}` is not a key of the Secret the render reads"),
                Some(hint),
            );
        }
        if remote.key.is_empty() {
            k.fail(
                &format!("{path}.key"),
                format!("the mapping of `{key}` names no key in the store"),
                Some("set `key:` to the secret's path in your store".into()),
            );
        }
    }
}
