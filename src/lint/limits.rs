//! The namespace's LimitRange as its admission applies it to every container of every pod
//! template (AGT125): the defaults filled in first (`k8s::pod::container`, as quota admission
//! counts them), then each `Container` item's `min`, `max` and `maxLimitRequestRatio`, then
//! the pod's own validation, a request no greater than its limit. A container that fails is
//! refused when its pods are created: the Deployment applies, its pods never start.

use serde_json::Value as J;

use super::workload::same_namespace;
use super::{Ctx, Out, Seg, keys};
use crate::k8s::object::{self, items, kind, str_at};
use crate::k8s::pod;
use crate::k8s::quantity::Quantity;

pub(super) fn check(ctx: &Ctx, o: &J, out: &mut Out) {
    let (Some(spec), Some(base)) = (
        object::pod_spec(o),
        object::pod_spec_path(object::api_version(o), kind(o)),
    ) else {
        return;
    };
    let ranges: Vec<&J> = ctx
        .limit_ranges
        .iter()
        .copied()
        .filter(|l| same_namespace(l, o))
        .collect();
    if ranges.is_empty() {
        return;
    }
    let defaults = pod::Defaults::from_limit_ranges(ranges.iter().copied());
    for list in ["initContainers", "containers"] {
        for (i, c) in items(spec, &format!("/{list}")).enumerate() {
            let mut at = keys(&[], base);
            at.extend([Seg::Key(list.into()), Seg::Index(i)]);
            container(&ranges, &defaults, c, &at, out);
        }
    }
}

/// AGT121 for a container without a CPU limit (none of its own, none from a LimitRange's
/// default) in a namespace whose ResourceQuota counts `limits.cpu`: quota admission refuses
/// its pods. Elsewhere no CPU limit is a choice (`resources.limits.cpu: null`).
pub(super) fn quota_cpu(ctx: &Ctx, o: &J, out: &mut Out) {
    let (Some(spec), Some(base)) = (
        object::pod_spec(o),
        object::pod_spec_path(object::api_version(o), kind(o)),
    ) else {
        return;
    };
    let Some(quota) = ctx.objects.iter().copied().find(|q| {
        kind(q) == "ResourceQuota"
            && same_namespace(q, o)
            && object::pointer(q, "/spec/hard/limits.cpu").is_some()
    }) else {
        return;
    };
    let ranges = ctx
        .objects
        .iter()
        .copied()
        .filter(|l| kind(l) == "LimitRange" && same_namespace(l, o));
    let defaults = pod::Defaults::from_limit_ranges(ranges);
    for list in ["initContainers", "containers"] {
        for (i, c) in items(spec, &format!("/{list}")).enumerate() {
            let (_, limits) = pod::container(c, &defaults);
            if limits.contains_key("cpu") {
                continue;
            }
            let mut at = keys(&[], base);
            at.extend([Seg::Key(list.into()), Seg::Index(i)]);
            out.fire(
                "AGT121",
                keys(&at, &["resources"]),
                format!(
                    "container `{}` has no limits.cpu, which ResourceQuota {} counts: quota admission refuses its pods",
                    object::field_str(c, "/name"),
                    object::name(quota)
                ),
            );
        }
    }
}

/// Whether the container wrote `which` (`limits`, `requests`) of `r` itself.
fn own(c: &J, which: &str, r: &str) -> bool {
    object::pointer(c, &format!("/resources/{which}/{r}")).is_some()
}

fn container(ranges: &[&J], defaults: &pod::Defaults, c: &J, at: &[Seg], out: &mut Out) {
    let name = object::field_str(c, "/name");
    let (requests, limits) = pod::container(c, defaults);
    let field = |which: &str, r: &str| keys(at, &["resources", which, r]);
    let text = |q: &Quantity| q.canonical();
    // Where a value came from, for people: the container's own, or the LimitRange's default.
    let said = |which: &str, r: &str, q: &Quantity| {
        if own(c, which, r) {
            text(q)
        } else {
            format!("{} (the LimitRange's default)", text(q))
        }
    };
    let mut fire = |path: Vec<Seg>, why: String, cause: Option<(&J, Vec<Seg>)>| {
        out.fire(
            "AGT125",
            path,
            format!("container `{name}`: {why}: Kubernetes refuses its pods at admission"),
        );
        if let Some((lr, p)) = cause {
            out.cause(lr, p);
        }
    };
    // The pod's validation after the defaults: a request no greater than its limit.
    for (r, req) in &requests {
        if let Some(lim) = limits.get(r)
            && req > lim
        {
            let path = if own(c, "limits", r) {
                field("requests", r)
            } else {
                field("limits", r)
            };
            fire(
                path,
                format!(
                    "its {r} request {} is above its {r} limit {}",
                    said("requests", r, req),
                    said("limits", r, lim)
                ),
                None,
            );
        }
    }
    for lr in ranges {
        for (j, item) in items(lr, "/spec/limits").enumerate() {
            if str_at(item, "/type") != Some("Container") {
                continue;
            }
            let bound = |key: &str, r: &str| {
                keys(&[], &["spec", "limits"])
                    .into_iter()
                    .chain([Seg::Index(j), Seg::Key(key.into()), Seg::Key(r.into())])
                    .collect::<Vec<Seg>>()
            };
            let lr_name = object::name(lr);
            for (r, min) in list(item.get("min")) {
                for (which, got) in [("requests", requests.get(&r)), ("limits", limits.get(&r))] {
                    match got {
                        None if which == "requests" => fire(
                            field(which, &r),
                            format!(
                                "no {r} request, and LimitRange {lr_name} sets a minimum of {}",
                                text(&min)
                            ),
                            Some((lr, bound("min", &r))),
                        ),
                        Some(q) if *q < min => fire(
                            field(which, &r),
                            format!(
                                "its {r} {} {} is below the minimum {} of LimitRange {lr_name}",
                                &which[..which.len() - 1],
                                said(which, &r, q),
                                text(&min)
                            ),
                            Some((lr, bound("min", &r))),
                        ),
                        _ => {}
                    }
                }
            }
            for (r, max) in list(item.get("max")) {
                match limits.get(&r) {
                    None => fire(
                        field("limits", &r),
                        format!(
                            "no {r} limit, and LimitRange {lr_name} sets a maximum of {}",
                            text(&max)
                        ),
                        Some((lr, bound("max", &r))),
                    ),
                    Some(q) if *q > max => fire(
                        field("limits", &r),
                        format!(
                            "its {r} limit {} is above the maximum {} of LimitRange {lr_name}",
                            said("limits", &r, q),
                            text(&max)
                        ),
                        Some((lr, bound("max", &r))),
                    ),
                    _ => {}
                }
                if let Some(q) = requests.get(&r)
                    && *q > max
                {
                    fire(
                        field("requests", &r),
                        format!(
                            "its {r} request {} is above the maximum {} of LimitRange {lr_name}",
                            said("requests", &r, q),
                            text(&max)
                        ),
                        Some((lr, bound("max", &r))),
                    );
                }
            }
            for (r, ratio) in list(item.get("maxLimitRequestRatio")) {
                let (req, lim) = (requests.get(&r), limits.get(&r));
                match (req, lim) {
                    (Some(q), Some(l)) if !q.is_zero() && !l.is_zero() => {
                        if l.as_f64() > ratio.as_f64() * q.as_f64() {
                            fire(
                                field("limits", &r),
                                format!(
                                    "its {r} limit {} is more than {} times its request {}, the most LimitRange {lr_name} allows",
                                    said("limits", &r, l),
                                    text(&ratio),
                                    said("requests", &r, q)
                                ),
                                Some((lr, bound("maxLimitRequestRatio", &r))),
                            );
                        }
                    }
                    _ => fire(
                        field(
                            if req.is_none_or(|q| q.is_zero()) {
                                "requests"
                            } else {
                                "limits"
                            },
                            &r,
                        ),
                        format!(
                            "no {r} request and limit to hold to the ratio {} of LimitRange {lr_name}",
                            text(&ratio)
                        ),
                        Some((lr, bound("maxLimitRequestRatio", &r))),
                    ),
                }
            }
        }
    }
}

/// A LimitRange item's map of quantities (unreadable ones left out: the API server refuses
/// them when the LimitRange itself is applied).
fn list(v: Option<&J>) -> Vec<(String, Quantity)> {
    v.and_then(J::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, q)| Some((k.clone(), Quantity::of_json(q)?)))
        .collect()
}
