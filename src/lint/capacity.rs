//! The rules about room at maximum scale: required anti-affinity and topology spread against
//! the replicas a workload can run (AGT172), the namespace's ResourceQuota against every pod at
//! once (AGT173), and a scheduled backup beside a Redis that keeps its data (AGT174). Scale is
//! read through `k8s::scale` (autoscaler bounds, rolling-update surge) and a pod's quota usage
//! through `k8s::pod::usage`, as the stall replay of change impact reads them.

use serde_json::Value as J;

use super::workload::{label_selects, map_selects, pod_labels, same_namespace};
use super::{Ctx, Out, Seg, keys};
use crate::k8s::object::{self, field_str, int_at, kind, str_at};
use crate::k8s::quantity::Quantity;
use crate::k8s::{pod, scale};

pub(super) fn check(ctx: &Ctx, o: &J, out: &mut Out) {
    match kind(o) {
        "ResourceQuota" => quota(ctx, o, out),
        "StatefulSet" => backup(ctx, o, out),
        _ => {}
    }
    if matches!(kind(o), "Deployment" | "StatefulSet" | "ReplicaSet") {
        spread(ctx, o, out);
    }
}

/// The most pods of a workload at once ([`scale::most_pods`]).
fn most_pods(ctx: &Ctx, w: &J) -> Option<(i64, i64)> {
    scale::most_pods(ctx.autoscalers.iter().copied(), w)
}

/// How many domains of `key` the pod's node selection allows, when it names them: a
/// `nodeSelector` on the key (one), or every required node-affinity term constraining it
/// `In` a list (the union of the lists).
fn known_domains(spec: &J, key: &str) -> Option<usize> {
    if spec
        .pointer("/nodeSelector")
        .and_then(|s| s.get(key))
        .is_some()
    {
        return Some(1);
    }
    let terms: Vec<&J> = object::items(
        spec,
        "/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
    )
    .collect();
    if terms.is_empty() {
        return None;
    }
    let mut values: Vec<&str> = Vec::new();
    for t in terms {
        // A term that does not constrain the key allows every domain of it.
        let e = object::items(t, "/matchExpressions")
            .find(|e| field_str(e, "/key") == key && field_str(e, "/operator") == "In")?;
        for v in object::items(e, "/values").filter_map(J::as_str) {
            if !values.contains(&v) {
                values.push(v);
            }
        }
    }
    Some(values.len())
}

fn spread(ctx: &Ctx, w: &J, out: &mut Out) {
    let (Some(spec), Some(labels)) = (object::pod_spec(w), pod_labels(w)) else {
        return;
    };
    let base: Vec<Seg> = object::pod_spec_path(object::api_version(w), kind(w))
        .unwrap_or_default()
        .iter()
        .map(|k| Seg::Key((*k).into()))
        .collect();
    // (path, topology key, pods per domain at most, minDomains when it caps)
    let mut caps: Vec<(Vec<Seg>, &str, i64, String)> = Vec::new();
    for (i, t) in object::items(
        spec,
        "/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution",
    )
    .enumerate()
    {
        let own = t
            .get("labelSelector")
            .is_some_and(|s| label_selects(s, labels));
        if own && object::items(t, "/namespaces").next().is_none() {
            let mut at = keys(
                &base,
                &[
                    "affinity",
                    "podAntiAffinity",
                    "requiredDuringSchedulingIgnoredDuringExecution",
                ],
            );
            at.push(Seg::Index(i));
            caps.push((
                at,
                field_str(t, "/topologyKey"),
                1,
                "a required anti-affinity allows one pod".into(),
            ));
        }
    }
    for (i, c) in object::items(spec, "/topologySpreadConstraints").enumerate() {
        let own = c
            .get("labelSelector")
            .is_some_and(|s| label_selects(s, labels));
        let hard = str_at(c, "/whenUnsatisfiable") == Some("DoNotSchedule");
        let (Some(skew), Some(min)) = (int_at(c, "/maxSkew"), int_at(c, "/minDomains")) else {
            continue;
        };
        let key = field_str(c, "/topologyKey");
        if own
            && hard
            && known_domains(spec, key).is_some_and(|d| i64::try_from(d).unwrap_or(i64::MAX) < min)
        {
            let mut at = keys(&base, &["topologySpreadConstraints"]);
            at.push(Seg::Index(i));
            caps.push((
                at,
                key,
                skew,
                format!("`minDomains: {min}` above the domains there are caps the spread at maxSkew {skew}"),
            ));
        }
    }
    if caps.is_empty() {
        return;
    }
    let Some((replicas, surge)) = most_pods(ctx, w) else {
        return;
    };
    for (at, key, per, why) in caps {
        let Some(domains) = known_domains(spec, key) else {
            continue;
        };
        let fit = per.saturating_mul(i64::try_from(domains).unwrap_or(i64::MAX));
        let plural = |n: i64| if n == 1 { "" } else { "s" };
        let what = if replicas > fit {
            format!(
                "{replicas} replica{} at most, but {why} per `{key}` and the node selection allows {domains} (room for {fit}): {} stay Pending",
                plural(replicas),
                replicas.saturating_sub(fit)
            )
        } else if replicas.saturating_add(surge) > fit {
            format!(
                "{replicas} replica{} + {surge} surge at most, but {why} per `{key}` and the node selection allows {domains} (room for {fit}): every rollout stalls",
                plural(replicas)
            )
        } else {
            continue;
        };
        out.fire("AGT172", at, what);
    }
}

/// One workload (or claim) of a namespace at maximum scale, counted once per quota.
struct Counted<'a> {
    object: &'a J,
    /// Pods at once (replicas at their maximum + surge); claims of a StatefulSet: replicas.
    pods: i64,
    usage: Option<pod::Usage>,
    /// Claims per pod (a StatefulSet's templates) or 1 (a claim), and their storage.
    claims: i64,
    storage: Quantity,
}

fn counted<'a>(ctx: &Ctx, here: &[&'a J]) -> Vec<Counted<'a>> {
    let defaults = pod::Defaults::from_limit_ranges(here.iter().copied());
    let mut all = Vec::new();
    for w in here.iter().copied() {
        if kind(w) == "PersistentVolumeClaim" {
            let storage = w
                .pointer("/spec/resources/requests/storage")
                .and_then(Quantity::of_json)
                .unwrap_or_default();
            all.push(Counted {
                object: w,
                pods: 1,
                usage: None,
                claims: 1,
                storage,
            });
            continue;
        }
        let (Some(spec), Some((n, surge))) = (object::pod_spec(w), most_pods(ctx, w)) else {
            continue;
        };
        let (mut claims, mut storage) = (0i64, Quantity::ZERO);
        for t in object::items(w, "/spec/volumeClaimTemplates") {
            claims += 1;
            storage = storage.saturating_add(
                t.pointer("/spec/resources/requests/storage")
                    .and_then(Quantity::of_json)
                    .unwrap_or_default(),
            );
        }
        all.push(Counted {
            object: w,
            pods: n.saturating_add(surge),
            usage: Some(pod::usage(spec, &defaults)),
            claims: claims.saturating_mul(n),
            storage: storage.saturating_mul(n),
        });
    }
    all
}

/// The pods and claims of a namespace at maximum scale against its quota's hard figures.
fn quota(ctx: &Ctx, q: &J, out: &mut Out) {
    let Some(hard) = q.pointer("/spec/hard").and_then(J::as_object) else {
        return;
    };
    if q.pointer("/spec/scopes").is_some() || q.pointer("/spec/scopeSelector").is_some() {
        return; // a scoped quota counts a subset the objects alone do not say
    }
    let here: Vec<&J> = ctx
        .objects
        .iter()
        .copied()
        .filter(|o| same_namespace(o, q))
        .collect();
    let all = counted(ctx, &here);
    for (key, limit) in hard {
        let Some(limit) = Quantity::of_json(limit) else {
            continue;
        };
        let counts = |c: &Counted| -> Option<(i64, Quantity)> {
            let (n, per) = match key.as_str() {
                "persistentvolumeclaims" | "count/persistentvolumeclaims" => {
                    (c.claims, Quantity::units(1))
                }
                "requests.storage" => (1, c.storage),
                _ => (c.pods, c.usage.as_ref().and_then(|u| u.quota(key))?),
            };
            (!per.is_zero() && n > 0).then_some((n, per))
        };
        let need = all
            .iter()
            .filter_map(counts)
            .fold(Quantity::ZERO, |sum, (n, per)| {
                sum.saturating_add(per.saturating_mul(n))
            });
        if need > limit {
            let text = |q: Quantity| {
                if key.ends_with("cpu") {
                    q.cpu_text()
                } else if key.ends_with("memory") || key.ends_with("storage") {
                    q.memory_text()
                } else {
                    q.canonical()
                }
            };
            let parts: Vec<String> = all
                .iter()
                .filter_map(|c| {
                    counts(c).map(|(n, per)| {
                        format!(
                            "{} {n} × {}",
                            crate::config::patches::object_id(c.object),
                            text(per)
                        )
                    })
                })
                .collect();
            out.fire(
                "AGT173",
                keys(&[], &["spec", "hard", key]),
                format!(
                    "`{key}: {}` holds less than the {} needed at maximum scale ({})",
                    text(limit),
                    text(need),
                    parts.join(" + ")
                ),
            );
            for c in all.iter().filter(|c| counts(c).is_some()) {
                blame(ctx, c, key, out);
            }
        }
    }
}

/// The fields of one counted workload or claim a quota finding follows from, to locate it at
/// the override that raised the count: the autoscaler's maximum (else `spec.replicas`) and the
/// rolling update's surge, the pod's containers (their requests and limits), the claims.
fn blame(ctx: &Ctx, c: &Counted, key: &str, out: &mut Out) {
    let w = c.object;
    if kind(w) == "PersistentVolumeClaim" {
        out.cause(w, keys(&[], &["spec", "resources", "requests"]));
        return;
    }
    if key.ends_with("storage") || key.ends_with("persistentvolumeclaims") {
        out.cause(w, keys(&[], &["spec", "volumeClaimTemplates"]));
    }
    match scale::autoscaler_of(ctx.autoscalers.iter().copied(), kind(w), object::name(w)) {
        Some((_, a)) if kind(a) == "ScaledObject" => {
            out.cause(a, keys(&[], &["spec", "maxReplicaCount"]));
        }
        Some((_, a)) => out.cause(a, keys(&[], &["spec", "maxReplicas"])),
        None => out.cause(w, keys(&[], &["spec", "replicas"])),
    }
    if kind(w) == "Deployment" {
        out.cause(w, keys(&[], &["spec", "strategy"]));
    }
    if let (Some(base), Some(spec)) = (
        object::pod_spec_path(object::api_version(w), kind(w)),
        object::pod_spec(w),
    ) {
        for list in ["containers", "initContainers"] {
            for i in 0..object::items(spec, &format!("/{list}")).count() {
                let mut at = keys(&[], base);
                at.extend([
                    Seg::Key(list.into()),
                    Seg::Index(i),
                    Seg::Key("resources".into()),
                ]);
                out.cause(w, at);
            }
        }
        out.cause(w, keys(&keys(&[], base), &["overhead"]));
    }
}

/// The image name without registry, tag or digest: `redis` of `docker.io/library/redis:7`.
fn image_name(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    let last = last.split('@').next().unwrap_or(last);
    last.split(':').next().unwrap_or(last)
}

fn backup(ctx: &Ctx, s: &J, out: &mut Out) {
    let Some(spec) = object::pod_spec(s) else {
        return;
    };
    let redis = object::containers(spec).any(|c| {
        matches!(
            image_name(field_str(c, "/image")),
            "redis" | "valkey" | "redis-stack-server"
        )
    });
    if !redis
        || object::items(s, "/spec/volumeClaimTemplates")
            .next()
            .is_none()
    {
        return;
    }
    // The names clients reach it by: its governing Service and every Service selecting its pods.
    let mut names: Vec<&str> = str_at(s, "/spec/serviceName").into_iter().collect();
    if let Some(labels) = pod_labels(s) {
        for svc in ctx
            .objects
            .iter()
            .filter(|o| kind(o) == "Service" && same_namespace(o, s))
        {
            if svc
                .pointer("/spec/selector")
                .is_some_and(|sel| map_selects(sel, labels))
                && !names.contains(&object::name(svc))
            {
                names.push(object::name(svc));
            }
        }
    }
    let mentions = |c: &J| {
        let texts = object::items(c, "/env")
            .filter_map(|e| str_at(e, "/value"))
            .chain(object::items(c, "/args").filter_map(J::as_str))
            .chain(object::items(c, "/command").filter_map(J::as_str));
        texts
            .into_iter()
            .any(|t| names.iter().any(|n| t.contains(n)))
    };
    let backed_up = ctx.objects.iter().any(|cj| {
        kind(cj) == "CronJob"
            && same_namespace(cj, s)
            && cj.pointer("/spec/suspend") != Some(&J::Bool(true))
            && object::pod_spec(cj).is_some_and(|ps| object::containers(ps).any(mentions))
    });
    if !backed_up {
        out.fire(
            "AGT174",
            keys(&[], &["spec", "volumeClaimTemplates"]),
            format!(
                "Redis keeps its data on a volume and no CronJob reaches {} to back it up",
                if names.is_empty() {
                    "it".to_owned()
                } else {
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                }
            ),
        );
        // What took the backup away: a CronJob of the namespace suspended or no longer
        // reaching the Redis (its containers), or the Redis's names changed.
        for cj in ctx
            .objects
            .iter()
            .filter(|o| kind(o) == "CronJob" && same_namespace(o, s))
        {
            out.cause(cj, keys(&[], &["spec", "suspend"]));
            out.cause(
                cj,
                keys(
                    &[],
                    &[
                        "spec",
                        "jobTemplate",
                        "spec",
                        "template",
                        "spec",
                        "containers",
                    ],
                ),
            );
        }
        out.cause(s, keys(&[], &["spec", "serviceName"]));
    }
}
