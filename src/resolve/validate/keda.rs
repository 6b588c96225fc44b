//! The rules of KEDA's scale to zero (`keda.idleReplicaCount`) and of the TriggerAuthentications
//! agentctl renders (`keda.authentications`, and every trigger's `authenticationRef` that names
//! one). Part of [`super`]'s one pass: every problem is collected and located.

use super::Checker;
use crate::config::{Config, KedaAuthenticationKind, KedaAuthenticationRef};

/// Scale to zero: with KEDA only, `0` only (KEDA supports no other idle count), and with a
/// trigger that still reads something while no agent pod runs.
pub(super) fn scale_to_zero(k: &mut Checker, c: &Config) {
    let e = &c.keda;
    let Some(idle) = e.idle_replica_count else {
        return;
    };
    let path = "keda.idleReplicaCount";
    if idle != 0 {
        k.fail(
            path,
            format!("idle replica count {idle}: KEDA supports only 0 (the HPA it drives cannot hold any other count below its minimum)"),
            Some("write `keda.idleReplicaCount: 0` to scale to zero, or remove it (the fewest pods are `agent.replicas.min`)".into()),
        );
        return;
    }
    if !e.enabled {
        let hpa = if c.autoscaling.enabled {
            " (the HPA cannot scale to 0)"
        } else {
            ""
        };
        k.cross(
            path,
            "keda.enabled",
            format!("scale to zero needs KEDA, which is off{hpa}"),
            "set `keda.enabled: true` (and `autoscaling.enabled: false`), or remove `keda.idleReplicaCount`".into(),
        );
        return;
    }
    let t = &e.triggers;
    let wakes = e.redis_list.enabled
        || (e.prometheus.enabled && e.prometheus.query.is_some())
        || t.values()
            .any(|t| !matches!(t.kind.as_str(), "cpu" | "memory" | ""));
    if wakes {
        return;
    }
    let help = "scale on something that exists while no agent pod runs: `keda.redisList.enabled: true` (the queue's length), a `keda.prometheus.query` of your own (e.g. the ingress controller's request rate), or a `keda.triggers` scaler such as `aws-sqs-queue`, `kafka`, `rabbitmq`, `cron`".to_owned();
    if e.prometheus.enabled {
        k.cross(
            path,
            "keda.prometheus.enabled",
            "at 0 pods nothing would ever wake the agent: the only trigger is the default Prometheus query, the agent's own request rate, which no pod reports while none runs".into(),
            help,
        );
    } else if let Some((name, _)) = t.iter().next() {
        k.cross(
            path,
            &format!("keda.triggers.{name}.type"),
            "at 0 pods nothing would ever wake the agent: KEDA's `cpu` and `memory` scalers read the pods' own usage, and there is none at 0".into(),
            help,
        );
    }
    // No trigger at all: lint AGT176 on the final ScaledObject (a patch may add one).
}

/// `keda.authentications` (each a TriggerAuthentication with at least one Secret reference,
/// used by a trigger) and every `authenticationRef` of a trigger.
pub(super) fn authentications(k: &mut Checker, c: &Config) {
    let e = &c.keda;
    if e.authentications.is_empty() {
        // A reference is then one created out of band (its name is checked with its trigger).
        return;
    }
    if !e.enabled {
        let first = e.authentications.keys().next().map_or("", String::as_str);
        k.cross(
            &format!("keda.authentications.{first}"),
            "keda.enabled",
            "a TriggerAuthentication is rendered only with KEDA, which is off".into(),
            "set `keda.enabled: true`, or remove `keda.authentications`".into(),
        );
        return;
    }
    let refs = references(c);
    for (name, a) in &e.authentications {
        let path = format!("keda.authentications.{name}");
        let full = e.authentication_name(c.instance.as_deref(), name);
        if crate::config::names::dns1123_subdomain(&full).is_err() {
            k.fail_key(
                &path,
                format!("`{full}` is not a valid TriggerAuthentication name"),
                Some("use lowercase letters, digits, '-' and '.', e.g. `sqs-credentials`".into()),
            );
        }
        if a.secret_target_ref.is_empty() {
            k.fail(
                &path,
                "the TriggerAuthentication reads nothing: `secretTargetRef` is empty".into(),
                Some("add the scaler parameters it gives, e.g. `secretTargetRef: {password: {name: redis-auth, key: password}}`".into()),
            );
        }
        for (param, r) in &a.secret_target_ref {
            let p = format!("{path}.secretTargetRef.{param}");
            let ok = param
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_alphabetic())
                && param
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' || ch == '.');
            if !ok {
                k.fail_key(
                    &p,
                    format!("`{param}` is not a scaler parameter name"),
                    Some("write the parameter as the scaler's documentation names it, e.g. `password`, `awsAccessKeyID`, `host`".into()),
                );
            }
            if let Some(n) = &r.name {
                k.dns_subdomain(&format!("{p}.name"), n);
            }
            if r.key.is_empty() {
                k.fail(
                    &format!("{p}.key"),
                    format!("`{param}` names no key of the Secret"),
                    Some(format!(
                        "add `key: <key in {}>`",
                        r.name.as_deref().unwrap_or(&c.secret.name)
                    )),
                );
            } else {
                k.secret_key_name(&format!("{p}.key"), &r.key, "Secret key");
            }
        }
        // A misspelled reference is reported once, with its "did you mean".
        // (So is a reference of the wrong kind, at its `kind`.)
        let used = refs.iter().any(|(_, r)| {
            r.name == *name
                || (typed(r)
                    && !e.authentications.contains_key(&r.name)
                    && crate::suggest::did_you_mean(
                        &r.name,
                        e.authentications.keys().map(String::as_str),
                    ) == Some(name.as_str()))
        });
        if !used {
            k.fail_key(
                &path,
                format!("no trigger uses the TriggerAuthentication `{name}`: it would do nothing"),
                Some(format!("reference it from a trigger: `keda.triggers.<trigger>.authenticationRef: {{name: {name}}}` (or `keda.redisList.authenticationRef`), or remove it")),
            );
        }
    }
    for (path, r) in &refs {
        let known = e.authentications.contains_key(&r.name);
        if typed(r) && !known {
            // Not ours: one created out of band, unless it is a misspelling of ours.
            if let Some(close) =
                crate::suggest::did_you_mean(&r.name, e.authentications.keys().map(String::as_str))
            {
                k.fail(
                    &format!("{path}.name"),
                    format!(
                        "`{}` is not one of `keda.authentications` ({})",
                        r.name,
                        e.authentications
                            .keys()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some(format!("did you mean `{close}`?")),
                );
            }
        } else if !typed(r) && known {
            k.cross(
                &format!("{path}.kind"),
                &format!("keda.authentications.{}", r.name),
                format!(
                    "`{}` is a TriggerAuthentication agentctl renders in the namespace, but the reference asks for a ClusterTriggerAuthentication",
                    r.name
                ),
                "remove `kind` (a TriggerAuthentication is the default)".into(),
            );
        }
    }
}

/// Whether a reference names a namespaced TriggerAuthentication (the kind agentctl renders).
fn typed(r: &KedaAuthenticationRef) -> bool {
    r.kind == KedaAuthenticationKind::TriggerAuthentication
}

/// Every trigger's `authenticationRef`, with the setting's path.
fn references(c: &Config) -> Vec<(String, &KedaAuthenticationRef)> {
    let e = &c.keda;
    let mut out: Vec<(String, &KedaAuthenticationRef)> = e
        .triggers
        .iter()
        .filter_map(|(n, t)| {
            t.authentication_ref
                .as_ref()
                .map(|r| (format!("keda.triggers.{n}.authenticationRef"), r))
        })
        .collect();
    if e.redis_list.enabled
        && let Some(r) = &e.redis_list.authentication_ref
    {
        out.push(("keda.redisList.authenticationRef".into(), r));
    }
    out
}
