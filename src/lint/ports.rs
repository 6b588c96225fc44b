//! The rules about ports across objects: every Service port reaches a container port of the
//! pods it selects (AGT132), every declared container port of a pod an ingress NetworkPolicy
//! isolates is let in by some rule (AGT133), and no ingress rule opens a port that no selected
//! container declares (AGT134). What the render exposes is reachable, and nothing else is open.

use serde_json::Value as J;

use super::workload::{label_selects, map_selects, pod_labels, same_namespace};
use super::{Ctx, Out, Seg, keys};
use crate::k8s::object::{self, kind, str_at};

pub(super) fn check(ctx: &Ctx, o: &J, out: &mut Out) {
    match kind(o) {
        "Service" => service(ctx, o, out),
        "NetworkPolicy" => unused(ctx, o, out),
        _ if object::runs_pods(o) => blocked(ctx, o, out),
        _ => {}
    }
}

/// A declared container port, with the container and where it is (list, container index,
/// port index).
pub(super) struct Port<'a> {
    name: &'a str,
    number: i64,
    protocol: &'a str,
    container: &'a str,
    at: (&'static str, usize, usize),
}

/// A pod template of the render, read once per lint: its object, pod labels and declared
/// ports (containers and native sidecars: what keeps running).
pub(super) struct Pod<'a> {
    object: &'a J,
    labels: &'a J,
    ports: Vec<Port<'a>>,
}

/// Every pod template among `objects`.
pub(super) fn pods<'a>(objects: &[&'a J]) -> Vec<Pod<'a>> {
    let mut all = Vec::new();
    for o in objects.iter().copied().filter(|o| object::runs_pods(o)) {
        let (Some(labels), Some(spec)) = (pod_labels(o), object::pod_spec(o)) else {
            continue;
        };
        let mut ports = Vec::new();
        for list in ["initContainers", "containers"] {
            let Some(cs) = spec.get(list).and_then(J::as_array) else {
                continue;
            };
            for (i, c) in cs.iter().enumerate() {
                if list == "initContainers" && !object::is_sidecar(c) {
                    continue;
                }
                let Some(ps) = c.get("ports").and_then(J::as_array) else {
                    continue;
                };
                for (j, p) in ps.iter().enumerate() {
                    let Some(number) = p.get("containerPort").and_then(J::as_i64) else {
                        continue;
                    };
                    ports.push(Port {
                        name: p.get("name").and_then(J::as_str).unwrap_or_default(),
                        number,
                        protocol: p.get("protocol").and_then(J::as_str).unwrap_or("TCP"),
                        container: c.get("name").and_then(J::as_str).unwrap_or_default(),
                        at: (list, i, j),
                    });
                }
            }
        }
        all.push(Pod {
            object: o,
            labels,
            ports,
        });
    }
    all
}

/// Whether a NetworkPolicy port entry (`{port, endPort, protocol}`) matches a container port.
fn matches(entry: &J, p: &Port) -> bool {
    if str_at(entry, "/protocol").unwrap_or("TCP") != p.protocol {
        return false;
    }
    match entry.get("port") {
        None => true,
        Some(J::String(name)) => name == p.name,
        Some(v) => v.as_i64().is_some_and(|from| {
            let to = entry.get("endPort").and_then(J::as_i64).unwrap_or(from);
            (from..=to).contains(&p.number)
        }),
    }
}

/// The ingress NetworkPolicies of `o`'s namespace that select pods with `labels`.
fn ingress_policies<'a>(ctx: &'a Ctx, o: &'a J, labels: &'a J) -> impl Iterator<Item = &'a J> {
    ctx.objects.iter().copied().filter(move |p| {
        kind(p) == "NetworkPolicy"
            && same_namespace(p, o)
            && p.pointer("/spec/podSelector")
                .is_some_and(|s| label_selects(s, labels))
            && applies_to_ingress(p)
    })
}

/// Whether a policy governs ingress: `policyTypes` lists it, or (absent) always.
fn applies_to_ingress(p: &J) -> bool {
    match p.pointer("/spec/policyTypes").and_then(J::as_array) {
        Some(types) => types.iter().any(|t| t.as_str() == Some("Ingress")),
        None => true,
    }
}

fn pod_spec_base(o: &J) -> Vec<Seg> {
    object::pod_spec_path(object::api_version(o), kind(o))
        .unwrap_or_default()
        .iter()
        .map(|k| Seg::Key((*k).into()))
        .collect()
}

fn blocked(ctx: &Ctx, o: &J, out: &mut Out) {
    let Some(pod) = ctx.pods.iter().find(|p| std::ptr::eq(p.object, o)) else {
        return;
    };
    if pod.ports.is_empty() {
        return;
    }
    let policies: Vec<&J> = ingress_policies(ctx, o, pod.labels).collect();
    if policies.is_empty() {
        return;
    }
    let base = pod_spec_base(o);
    for p in &pod.ports {
        let let_in = policies.iter().any(|pol| {
            object::items(pol, "/spec/ingress").any(|rule| {
                let entries: Vec<&J> = object::items(rule, "/ports").collect();
                entries.is_empty() || entries.iter().any(|e| matches(e, p))
            })
        });
        if !let_in {
            let (list, i, j) = p.at;
            let mut path = base.clone();
            path.extend([
                Seg::Key(list.into()),
                Seg::Index(i),
                Seg::Key("ports".into()),
                Seg::Index(j),
                Seg::Key("containerPort".into()),
            ]);
            let shown = if p.name.is_empty() {
                format!("{}/{}", p.number, p.protocol)
            } else {
                format!("{}/{} (`{}`)", p.number, p.protocol, p.name)
            };
            out.fire(
                "AGT133",
                path,
                format!(
                    "port {shown} of container `{}`: no ingress rule of the NetworkPolicies selecting the pod ({}) allows it",
                    p.container,
                    policies
                        .iter()
                        .map(|p| object::name(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
}

fn service(ctx: &Ctx, o: &J, out: &mut Out) {
    let Some(selector) = o
        .pointer("/spec/selector")
        .filter(|s| s.as_object().is_some_and(|m| !m.is_empty()))
    else {
        return; // No selector: endpoints managed by hand (or ExternalName).
    };
    let pods: Vec<&Pod> = ctx
        .pods
        .iter()
        .filter(|p| map_selects(selector, p.labels) && same_namespace(p.object, o))
        .collect();
    if pods.is_empty() {
        out.fire(
            "AGT132",
            keys(&[], &["spec", "selector"]),
            "the selector picks no pod of the render",
        );
        return;
    }
    for (i, sp) in object::items(o, "/spec/ports").enumerate() {
        let protocol = str_at(sp, "/protocol").unwrap_or("TCP");
        let target = sp.get("targetPort").or_else(|| sp.get("port"));
        let hit = |p: &Port| {
            p.protocol == protocol
                && match target {
                    Some(J::String(n)) => n == p.name,
                    Some(v) => v.as_i64() == Some(p.number),
                    None => false,
                }
        };
        let reached = pods.iter().any(|w| w.ports.iter().any(hit));
        if !reached {
            let field = if sp.get("targetPort").is_some() {
                "targetPort"
            } else {
                "port"
            };
            out.fire(
                "AGT132",
                vec![
                    Seg::Key("spec".into()),
                    Seg::Key("ports".into()),
                    Seg::Index(i),
                    Seg::Key(field.into()),
                ],
                format!(
                    "{field} {} ({protocol}) is no container port of {}",
                    super::report::show(target.unwrap_or(&J::Null)),
                    pods.iter()
                        .map(|w| crate::config::patches::object_id(w.object))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
}

fn unused(ctx: &Ctx, o: &J, out: &mut Out) {
    if !applies_to_ingress(o) {
        return;
    }
    let Some(selector) = o.pointer("/spec/podSelector") else {
        return;
    };
    let pods: Vec<&Pod> = ctx
        .pods
        .iter()
        .filter(|p| label_selects(selector, p.labels) && same_namespace(p.object, o))
        .collect();
    if pods.is_empty() {
        return;
    }
    for (r, rule) in object::items(o, "/spec/ingress").enumerate() {
        for (e, entry) in object::items(rule, "/ports").enumerate() {
            if entry.get("port").is_none() {
                continue; // every port of a protocol: AGT130's concern when peers are open too
            }
            let served = pods
                .iter()
                .any(|pod| pod.ports.iter().any(|p| matches(entry, p)));
            if !served {
                out.fire(
                    "AGT134",
                    vec![
                        Seg::Key("spec".into()),
                        Seg::Key("ingress".into()),
                        Seg::Index(r),
                        Seg::Key("ports".into()),
                        Seg::Index(e),
                    ],
                    format!(
                        "ingress rule {r} allows port {} that no container of the pods it selects declares",
                        super::report::show(entry.get("port").unwrap_or(&J::Null))
                    ),
                );
            }
        }
    }
}
