//! The rules about the network: NetworkPolicy rules that allow everything, ingress rules that
//! let in every address or every namespace, pods no policy isolates, Job and CronJob pods no
//! policy lets send anything, and Services a patch or extra object exposes outside the cluster.

use serde_json::Value as J;

use super::workload::{label_selects, pod_labels, same_namespace};
use super::{Ctx, Out, Seg, keys};
use crate::k8s::object::{self, kind, str_at};

pub(super) fn check(ctx: &Ctx, o: &J, out: &mut Out) {
    match kind(o) {
        "NetworkPolicy" => {
            allow_all(o, out);
            from_anywhere(o, out);
        }
        "Service" => exposure(o, out),
        _ if object::runs_pods(o) => {
            isolated(ctx, o, out);
            if matches!(kind(o), "Job" | "CronJob") {
                egress_blocked(ctx, o, out);
            }
        }
        _ => {}
    }
}

fn allow_all(o: &J, out: &mut Out) {
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, r) in object::items(o, &format!("/spec/{dir}")).enumerate() {
            let empty = |k: &str| r.get(k).and_then(J::as_array).is_none_or(Vec::is_empty);
            let any_peer = object::items(r, &format!("/{peers}")).any(|p| {
                p.as_object().is_some_and(|m| {
                    m.len() == 1
                        && m.get("namespaceSelector")
                            .is_some_and(|s| s.as_object().is_some_and(|s| s.is_empty()))
                })
            });
            if (empty(peers) || any_peer) && empty("ports") {
                out.fire(
                    "AGT130",
                    vec![Seg::Key("spec".into()), Seg::Key(dir.into()), Seg::Index(i)],
                    format!("{dir} rule {i} allows every peer on every port"),
                );
            }
        }
    }
}

/// Whether a label selector selects everything: no `matchLabels` and no `matchExpressions`
/// (absent or empty).
fn selects_all(s: &J) -> bool {
    s.as_object().is_some_and(|m| {
        ["matchLabels", "matchExpressions"].iter().all(|k| {
            m.get(*k).is_none_or(|v| {
                v.is_null()
                    || v.as_object().is_some_and(|o| o.is_empty())
                    || v.as_array().is_some_and(|a| a.is_empty())
            })
        })
    })
}

/// A CIDR of every address: prefix length 0 (`0.0.0.0/0`, `::/0`, `10.0.0.0/0`).
fn every_address(cidr: &str) -> bool {
    cidr.split_once('/')
        .is_some_and(|(_, len)| len.trim().parse::<u8>() == Ok(0))
}

/// AGT135: an ingress peer of every address or every namespace (a rule that also lists no
/// ports is AGT130's, not reported twice).
fn from_anywhere(o: &J, out: &mut Out) {
    for (i, r) in object::items(o, "/spec/ingress").enumerate() {
        let no_ports = r
            .get("ports")
            .and_then(J::as_array)
            .is_none_or(Vec::is_empty);
        for (j, p) in object::items(r, "/from").enumerate() {
            let at = |k: &[&str]| {
                let mut path = vec![
                    Seg::Key("spec".into()),
                    Seg::Key("ingress".into()),
                    Seg::Index(i),
                    Seg::Key("from".into()),
                    Seg::Index(j),
                ];
                path.extend(k.iter().map(|k| Seg::Key((*k).into())));
                path
            };
            if let Some(cidr) = str_at(p, "/ipBlock/cidr")
                && every_address(cidr)
            {
                let except = object::items(p, "/ipBlock/except").count();
                out.fire(
                    "AGT135",
                    at(&["ipBlock", "cidr"]),
                    format!(
                        "ingress rule {i} lets in every address ({cidr}{})",
                        if except > 0 {
                            format!(", but {except} range(s) of `except`")
                        } else {
                            String::new()
                        }
                    ),
                );
            }
            let Some(ns) = p.get("namespaceSelector") else {
                continue;
            };
            if !selects_all(ns) {
                continue;
            }
            let pods = p.get("podSelector");
            match pods {
                // `{namespaceSelector: {}}` alone with no ports: AGT130.
                None if no_ports => {}
                None => out.fire(
                    "AGT135",
                    at(&["namespaceSelector"]),
                    format!("ingress rule {i} lets in every pod of every namespace"),
                ),
                Some(s) if selects_all(s) => out.fire(
                    "AGT135",
                    at(&["namespaceSelector"]),
                    format!("ingress rule {i} lets in every pod of every namespace"),
                ),
                Some(_) => out.fire(
                    "AGT135",
                    at(&["namespaceSelector"]),
                    format!(
                        "ingress rule {i} lets in pods of every namespace that carry its podSelector's labels (anyone who can run a pod anywhere can set them)"
                    ),
                ),
            }
        }
    }
}

/// The pods' labels, `null` when the template has none: `podSelector: {}` still selects them
/// (a CronJob whose pod template has no labels is isolated by the default deny all the same).
fn labels_or_none(o: &J) -> &J {
    const NONE: &J = &J::Null;
    pod_labels(o).unwrap_or(NONE)
}

/// The NetworkPolicies of `o`'s namespace that select its pods (`labels`) for `ty`
/// (`Ingress`/`Egress`).
fn isolating<'a>(
    ctx: &'a Ctx,
    o: &'a J,
    labels: &'a J,
    ty: &'a str,
) -> impl Iterator<Item = &'a J> + 'a {
    ctx.objects.iter().copied().filter(move |p| {
        kind(p) == "NetworkPolicy"
            && same_namespace(p, o)
            && p.pointer("/spec/podSelector")
                .is_some_and(|s| label_selects(s, labels))
            && object::items(p, "/spec/policyTypes").any(|t| t.as_str() == Some(ty))
    })
}

/// AGT136: the pods of a Job or CronJob isolated for egress by some policy while no policy
/// selecting them has an egress rule: they can send nothing, DNS included.
fn egress_blocked(ctx: &Ctx, o: &J, out: &mut Out) {
    let labels = labels_or_none(o);
    let policies: Vec<&J> = isolating(ctx, o, labels, "Egress").collect();
    if !policies.is_empty()
        && policies
            .iter()
            .all(|p| object::items(p, "/spec/egress").next().is_none())
    {
        let names: Vec<&str> = policies.iter().map(|p| object::name(p)).collect();
        out.fire(
            "AGT136",
            super::template_labels(o),
            format!(
                "{} isolate{} them for egress with no egress rule, and no other policy lets any traffic out (the cluster DNS included)",
                names.join(", "),
                if names.len() == 1 { "s" } else { "" }
            ),
        );
    }
}

fn isolated(ctx: &Ctx, o: &J, out: &mut Out) {
    let labels = labels_or_none(o);
    let missing: Vec<&str> = ["Ingress", "Egress"]
        .into_iter()
        .filter(|t| isolating(ctx, o, labels, t).next().is_none())
        .collect();
    if !missing.is_empty() {
        out.fire(
            "AGT131",
            super::template_labels(o),
            format!(
                "no NetworkPolicy isolates its pods for {}",
                missing.join(" and ")
            ),
        );
    }
}

fn exposure(o: &J, out: &mut Out) {
    let ty = str_at(o, "/spec/type").unwrap_or("ClusterIP");
    if matches!(ty, "LoadBalancer" | "NodePort") {
        out.fire(
            "AGT140",
            keys(&[], &["spec", "type"]),
            format!("type {ty} opens it outside the cluster"),
        );
    }
    if o.pointer("/spec/externalIPs")
        .and_then(J::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        out.fire(
            "AGT140",
            keys(&[], &["spec", "externalIPs"]),
            "externalIPs route outside traffic to it",
        );
    }
}
