//! The rules about the network: NetworkPolicy rules that allow everything, pods no policy
//! isolates, and Services a patch or extra object exposes outside the cluster.

use serde_json::Value as J;

use super::workload::{label_selects, pod_labels, same_namespace};
use super::{Ctx, Out, Seg, keys};
use crate::k8s::object::{self, kind, str_at};

pub(super) fn check(ctx: &Ctx, o: &J, out: &mut Out) {
    match kind(o) {
        "NetworkPolicy" => allow_all(o, out),
        "Service" => exposure(o, out),
        _ if object::runs_pods(o) => isolated(ctx, o, out),
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

fn isolated(ctx: &Ctx, o: &J, out: &mut Out) {
    let Some(labels) = pod_labels(o) else { return };
    let covered = |ty: &str| {
        ctx.objects.iter().any(|p| {
            kind(p) == "NetworkPolicy"
                && same_namespace(p, o)
                && p.pointer("/spec/podSelector")
                    .is_some_and(|s| label_selects(s, labels))
                && object::items(p, "/spec/policyTypes").any(|t| t.as_str() == Some(ty))
        })
    };
    let missing: Vec<&str> = ["Ingress", "Egress"]
        .into_iter()
        .filter(|t| !covered(t))
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
