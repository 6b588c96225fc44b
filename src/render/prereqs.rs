//! Prerequisites: what a rendered deployment needs from the cluster, derived from the objects
//! rendered (never from the settings), so it cannot drift from the output.
//!
//! [`needs`] reads the rendered objects (plain JSON values) and lists, in a fixed order: the
//! CRDs and operators the custom kinds need, the metrics APIs the autoscalers read, the storage
//! classes and access modes the claims need, a NetworkPolicy-enforcing CNI, and each Secret the
//! pods read with its keys, either with the commands that create it (namespace first) or with the
//! ExternalSecret and store that materialize it. [`text`] formats them for stderr and for the
//! README. No I/O, no configuration types.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use crate::k8s::object::{self, field_str, items, pod_spec};
use crate::k8s::scale;
use crate::render::k8s_check;
use crate::render::objects::{self as table, Served};
use crate::shell::quote as q;

mod csi;
mod referenced;
mod scheduling;
mod secret;

pub use referenced::create_config_map;
use scheduling::scheduling;
pub use secret::{env_vars, secret_command};

/// One thing the cluster must provide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// What to install or provide, e.g. `Prometheus Operator CRDs`.
    pub what: String,
    /// Which rendered objects need it and why, e.g. `ServiceMonitor agent-metrics`.
    pub because: String,
    /// Commands to run, in order (may be empty).
    pub commands: Vec<String>,
}

fn join<I: IntoIterator<Item = String>>(it: I) -> String {
    it.into_iter().collect::<Vec<_>>().join(", ")
}

/// `before` and the items joined (`" with keys a, b"`), or nothing for no item: a printed
/// prerequisite never says "with keys ," or "()".
fn listed<I: IntoIterator<Item = String>>(before: &str, it: I, after: &str) -> String {
    let all = join(it);
    if all.is_empty() {
        String::new()
    } else {
        format!("{before}{all}{after}")
    }
}

/// Everything the rendered objects need from the cluster, in a fixed order.
pub fn needs(objects: &[J]) -> Vec<Need> {
    let mut out = Vec::new();
    let namespace = objects
        .iter()
        .map(|o| field_str(o, "/metadata/namespace"))
        .find(|n| !n.is_empty())
        .unwrap_or_default()
        .to_owned();

    custom_resources(objects, &mut out);
    metrics(objects, &mut out);
    storage(objects, &mut out);
    network_policies(objects, &mut out);
    observability(objects, &mut out);
    scheduling(objects, &namespace, &mut out);
    csi::needs(objects, &mut out);
    secrets(objects, &namespace, &mut out);
    out
}

/// The existing namespace of a render with `createNamespace: false`, and the Pod Security
/// labels the render relies on (the pods are built for that level; the labels make the
/// namespace enforce it), with `namespaceLabels` and `namespaceAnnotations`: the commands that
/// set them, every value shell-quoted.
pub fn existing_namespace(
    namespace: &str,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Need {
    let pairs = |m: &BTreeMap<String, String>| -> String {
        m.iter()
            .map(|(k, v)| format!(" {}", q(&format!("{k}={v}"))))
            .collect()
    };
    let shown = |m: &BTreeMap<String, String>| join(m.iter().map(|(k, v)| format!("{k}={v}")));
    let mut what = format!(
        "namespace {namespace}, existing, labelled {}",
        shown(labels)
    );
    let mut commands = vec![format!(
        "kubectl label namespace {}{} --overwrite",
        q(namespace),
        pairs(labels)
    )];
    if !annotations.is_empty() {
        what.push_str(&format!(", annotated {}", shown(annotations)));
        commands.push(format!(
            "kubectl annotate namespace {}{} --overwrite",
            q(namespace),
            pairs(annotations)
        ));
    }
    Need {
        what,
        because: "createNamespace: false: agentctl renders no Namespace, and its pods are built for the Pod Security level those labels enforce; without them the namespace enforces whatever it has (`agentctl doctor` checks them)".into(),
        commands,
    }
}

/// The operator and CRDs of each custom API group (the prerequisite of its kinds' rows in the
/// table of kinds).
fn custom_resources(objects: &[J], out: &mut Vec<Need>) {
    // 1. Custom resources: the operator and CRDs of each group, before `kubectl apply`.
    let mut groups: BTreeMap<&str, (&str, Vec<String>)> = BTreeMap::new();
    for o in objects {
        if let Some(k) = table::kind(field_str(o, "/apiVersion"), field_str(o, "/kind"))
            && let Served::Crd { operator } = k.served
        {
            groups
                .entry(k.group)
                .or_insert((operator, Vec::new()))
                .1
                .push(format!("{} {}", k.kind, name(o)));
        }
    }
    for (group, (operator, objs)) in &groups {
        out.push(Need {
            what: (*operator).to_owned(),
            because: format!(
                "{} ({group}); without its CRDs `kubectl apply` fails",
                objs.join(", ")
            ),
            commands: Vec::new(),
        });
    }
    // Extra objects of the kinds of CRDs the user listed (`crds:`): neither agentctl's nor
    // built in.
    let mut listed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for o in objects {
        let (api, kind) = (field_str(o, "/apiVersion"), field_str(o, "/kind"));
        if table::kind(api, kind).is_none() && crate::render::builtin::kind(api, kind).is_none() {
            listed
                .entry(api.split_once('/').map_or("", |(g, _)| g))
                .or_default()
                .push(format!("{kind} {}", name(o)));
        }
    }
    for (group, objs) in &listed {
        out.push(Need {
            what: format!(
                "the CRDs of {group} listed under `crds:`, and the controller that acts on them"
            ),
            because: format!(
                "{}; without the CRDs `kubectl apply` fails",
                objs.join(", ")
            ),
            commands: Vec::new(),
        });
    }
}

/// The metrics APIs the autoscalers read.
// Long on purpose: one match arm per HPA metric type, each naming the metrics API it needs.
fn metrics(objects: &[J], out: &mut Vec<Need>) {
    // 2. Metrics the autoscalers read.
    let mut resource_users = Vec::new();
    let mut custom: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in objects
        .iter()
        .filter(|o| field_str(o, "/kind") == "HorizontalPodAutoscaler")
    {
        let mut resources = Vec::new();
        for m in items(o, "/spec/metrics") {
            match field_str(m, "/type") {
                "Resource" | "ContainerResource" => {
                    let r = field_str(m, "/resource/name");
                    let r = if r.is_empty() {
                        field_str(m, "/containerResource/name")
                    } else {
                        r
                    };
                    resources.push(r.to_owned());
                }
                "Pods" => custom
                    .entry(format!(
                        "the pods metric {}",
                        field_str(m, "/pods/metric/name")
                    ))
                    .or_default()
                    .push(name(o)),
                "Object" => custom
                    .entry(format!(
                        "the object metric {}",
                        field_str(m, "/object/metric/name")
                    ))
                    .or_default()
                    .push(name(o)),
                "External" => custom
                    .entry(format!(
                        "the external metric {} (external.metrics.k8s.io)",
                        field_str(m, "/external/metric/name")
                    ))
                    .or_default()
                    .push(name(o)),
                _ => {}
            }
        }
        if !resources.is_empty() {
            resource_users.push(format!(
                "HorizontalPodAutoscaler {} scales on {} utilization",
                name(o),
                resources.join(" and ")
            ));
        }
    }
    if !resource_users.is_empty() {
        out.push(Need {
            what: "metrics-server (metrics.k8s.io)".into(),
            because: resource_users.join("; "),
            commands: Vec::new(),
        });
    }
    for (metric, hpas) in &custom {
        out.push(Need {
            what: format!("Prometheus Adapter serving {metric} (custom.metrics.k8s.io)"),
            because: format!(
                "HorizontalPodAutoscaler {}; without it the HPA cannot compute that metric and will not scale down",
                hpas.join(", ")
            ),
            commands: Vec::new(),
        });
    }
    for o in objects
        .iter()
        .filter(|o| field_str(o, "/kind") == "ScaledObject")
    {
        for t in items(o, "/spec/triggers") {
            if field_str(t, "/type") == "prometheus" {
                out.push(Need {
                    what: format!(
                        "Prometheus at {}, reachable from the KEDA operator",
                        field_str(t, "/metadata/serverAddress")
                    ),
                    because: format!("ScaledObject {} scales on a Prometheus query", name(o)),
                    commands: Vec::new(),
                });
            }
        }
    }
}

/// Storage classes and access modes the claims need.
fn storage(objects: &[J], out: &mut Vec<Need>) {
    // 3. Storage: claims by storage class and access modes.
    let mut claims: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut claim = |spec: &J, claim_name: String| {
        let class = match crate::k8s::object::pointer(spec, "/storageClassName").and_then(J::as_str)
        {
            Some(c) => format!("StorageClass {c}"),
            None => "a default StorageClass".to_owned(),
        };
        let modes = match join(
            items(spec, "/accessModes")
                .filter_map(J::as_str)
                .map(str::to_owned),
        ) {
            m if m.is_empty() => "any access mode of".to_owned(),
            m => m,
        };
        let size = field_str(spec, "/resources/requests/storage");
        claims
            .entry((class, modes))
            .or_default()
            .push(format!("{claim_name} {size}"));
    };
    for o in objects {
        match field_str(o, "/kind") {
            "PersistentVolumeClaim" => claim(
                crate::k8s::object::pointer(o, "/spec").unwrap_or(&J::Null),
                name(o),
            ),
            "StatefulSet" => {
                let replicas = crate::k8s::object::pointer(o, "/spec/replicas")
                    .and_then(J::as_u64)
                    .unwrap_or(1);
                for t in items(o, "/spec/volumeClaimTemplates") {
                    for i in 0..replicas {
                        claim(
                            crate::k8s::object::pointer(t, "/spec").unwrap_or(&J::Null),
                            format!("{}-{}-{i}", field_str(t, "/metadata/name"), name(o)),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    for ((class, modes), list) in &claims {
        out.push(Need {
            what: format!("{class} that provisions {modes} volumes"),
            because: format!("PersistentVolumeClaims {}", list.join(", ")),
            commands: Vec::new(),
        });
    }
}

/// A CNI that enforces the NetworkPolicies.
fn network_policies(objects: &[J], out: &mut Vec<Need>) {
    // 4. NetworkPolicies are only enforced by a CNI that implements them.
    let policies: Vec<String> = objects
        .iter()
        .filter(|o| field_str(o, "/kind") == "NetworkPolicy")
        .map(name)
        .collect();
    if !policies.is_empty() {
        out.push(Need {
            what: "a CNI that enforces NetworkPolicy (e.g. Calico, Cilium)".into(),
            because: format!(
                "NetworkPolicies {}; without one they are silently ignored",
                policies.join(", ")
            ),
            commands: Vec::new(),
        });
    }
}

/// Grafana's dashboard sidecar and the exporters whose series the alerts and dashboard read.
fn observability(objects: &[J], out: &mut Vec<Need>) {
    // 5. Grafana's dashboard sidecar.
    for o in objects.iter().filter(|o| {
        field_str(o, "/kind") == "ConfigMap"
            && crate::k8s::object::pointer(o, "/metadata/labels/grafana_dashboard").is_some()
    }) {
        out.push(Need {
            what: "Grafana with its dashboard sidecar watching this namespace".into(),
            because: format!("ConfigMap {} (label grafana_dashboard)", name(o)),
            commands: Vec::new(),
        });
    }

    // 5b. The series the alerts and the dashboard read, from the cluster's metrics exporters.
    let readers: Vec<(String, String)> = objects
        .iter()
        .filter(|o| {
            field_str(o, "/kind") == "PrometheusRule"
                || (field_str(o, "/kind") == "ConfigMap"
                    && crate::k8s::object::pointer(o, "/data/agent-dashboard.json").is_some())
        })
        .map(|o| {
            (
                format!("{} {}", field_str(o, "/kind"), name(o)),
                o.to_string(),
            )
        })
        .collect();
    for (what, prefixes) in [
        ("kube-state-metrics, scraped by Prometheus", &["kube_"][..]),
        (
            "the kubelet's metrics (cAdvisor, volume stats), scraped by Prometheus",
            &[
                "kubelet_volume_stats_",
                "container_cpu_",
                "container_memory_",
            ][..],
        ),
    ] {
        let users: Vec<&str> = readers
            .iter()
            .filter(|(_, text)| prefixes.iter().any(|p| text.contains(p)))
            .map(|(who, _)| who.as_str())
            .collect();
        if !users.is_empty() {
            out.push(Need {
                what: what.into(),
                because: format!(
                    "{} read its series; without it they stay silent or empty",
                    users.join(", ")
                ),
                commands: Vec::new(),
            });
        }
    }
}

/// The Secrets the pods read: the commands that create them, or the ExternalSecret that does.
// Long on purpose: gathers the Secrets from every pod spec, then writes either the create commands
// or the ExternalSecret's store for each.
fn secrets(objects: &[J], namespace: &str, out: &mut Vec<Need>) {
    // 6. Secrets the pods read: created out of band, or by an ExternalSecret.
    let refs = crate::k8s::refs::of(objects);
    let (secrets, scalers) = (refs.secrets, refs.scalers);
    let external: BTreeMap<&str, &J> = objects
        .iter()
        .filter(|o| field_str(o, "/kind") == "ExternalSecret")
        .map(|o| {
            let target = field_str(o, "/spec/target/name");
            (
                if target.is_empty() {
                    field_str(o, "/metadata/name")
                } else {
                    target
                },
                o,
            )
        })
        .collect();
    let namespace_rendered = objects.iter().any(|o| field_str(o, "/kind") == "Namespace");
    // The namespace is created once, before the first object created out of band.
    let mut create_namespace = namespace_rendered && !namespace.is_empty();
    let synced = csi::synced(objects);
    for (secret, keys) in &secrets {
        let keys_text = join(keys.iter().cloned());
        if let Some(spc) = synced.get(secret.as_str()) {
            // Created by the Secrets Store CSI Driver, as an ExternalSecret's by its operator.
            let keys: Vec<String> = keys.iter().cloned().collect();
            out.push(csi::synced_need(secret, spc, &keys));
        } else if let Some(es) = external.get(secret.as_str()) {
            let store = format!(
                "{} {}",
                field_str(es, "/spec/secretStoreRef/kind"),
                field_str(es, "/spec/secretStoreRef/name")
            );
            let remote = listed(
                ": ",
                items(es, "/spec/data").map(|d| {
                    let property = field_str(d, "/remoteRef/property");
                    let key = field_str(d, "/remoteRef/key");
                    let remote = if property.is_empty() {
                        key.to_owned()
                    } else {
                        format!("{key}.{property}")
                    };
                    format!("{} ← {remote}", field_str(d, "/secretKey"))
                }),
                "",
            );
            out.push(Need {
                what: format!("{store}, readable by the External Secrets Operator"),
                because: format!(
                    "ExternalSecret {} creates Secret {secret}{} from it{remote}",
                    name(es),
                    listed(" (keys ", keys.iter().cloned(), ")"),
                ),
                commands: Vec::new(),
            });
        } else {
            let mut commands = Vec::new();
            if std::mem::take(&mut create_namespace) {
                commands.push(format!("kubectl create namespace {}", q(namespace)));
            }
            let (what, command) = if keys.is_empty() {
                // Read whole (`envFrom`, a volume, a driver's reference): files, one per key.
                (
                    format!(
                        "Secret {secret}, read whole (every key it holds), created out of band (never committed)"
                    ),
                    format!(
                        "{} --from-file=\"${}\"",
                        secret_command(secret, namespace, keys),
                        secret::dir_var(secret)
                    ),
                )
            } else {
                (
                    format!(
                        "Secret {secret} with keys {keys_text}, created out of band (never committed)"
                    ),
                    secret_command(secret, namespace, keys),
                )
            };
            commands.push(command);
            out.push(Need {
                what,
                because: {
                    let who = if scalers.contains(secret) {
                        "KEDA's scalers read it (TriggerAuthentication)"
                    } else {
                        "the pods read it"
                    };
                    if namespace_rendered {
                        format!("{who}; create the namespace first, then the Secret")
                    } else {
                        format!("{who}; namespace {namespace} must exist (createNamespace: false), then the Secret")
                    }
                },
                commands,
            });
        }
    }
    referenced::needs(objects, namespace, create_namespace, out);
}

/// An object's name.
fn name(o: &J) -> String {
    object::name(o).to_owned()
}

/// The apply command that removes what a later render no longer has, in this deployment only:
/// agentctl's labels with the instance (`instance`, or the namespace), and an allowlist of every built-in kind
/// agentctl renders plus the custom kinds of this render (kubectl refuses a kind whose CRD is
/// not installed). Lines of a shell command, continued with `\`.
pub fn prune_command(instance: &str, objects: &[J]) -> Vec<String> {
    let rendered: BTreeSet<String> = objects
        .iter()
        .map(|o| format!("{}/{}", field_str(o, "/apiVersion"), field_str(o, "/kind")))
        .collect();
    let mut kinds: Vec<String> = k8s_check::allowlist_kinds()
        .into_iter()
        .filter(|(built_in, gvk)| *built_in || rendered.contains(gvk))
        .map(|(_, gvk)| format!("--prune-allowlist={gvk}"))
        .collect();
    // Extra objects of built-in kinds agentctl never renders itself (a Job): pruned too.
    let mut extra: Vec<String> = objects
        .iter()
        .filter(|o| table::kind(field_str(o, "/apiVersion"), field_str(o, "/kind")).is_none())
        .filter_map(|o| {
            let (api, kind) = (field_str(o, "/apiVersion"), field_str(o, "/kind"));
            match crate::render::builtin::kind(api, kind) {
                Some(k) if k.namespaced_in_cluster() => Some((k.api, k.kind)),
                Some(_) => None,
                // A listed CRD's kind: only namespaced ones get this far.
                None => Some((api, kind)),
            }
        })
        // Quoted: a listed CRD's group, version and kind come from a file of the user's.
        .map(|(api, kind)| match api.split_once('/') {
            Some((group, version)) => {
                q(&format!("--prune-allowlist={group}/{version}/{kind}")).into_owned()
            }
            None => q(&format!("--prune-allowlist=core/{api}/{kind}")).into_owned(),
        })
        .collect();
    extra.sort();
    extra.dedup();
    kinds.extend(extra);
    let mut lines = vec![format!(
        "kubectl apply -k . --prune -l app.kubernetes.io/managed-by=agentctl,app.kubernetes.io/instance={}",
        q(instance)
    )];
    lines.extend(kinds.chunks(2).map(|c| format!("  {}", c.join(" "))));
    let last = lines.len() - 1;
    for l in &mut lines[..last] {
        l.push_str(" \\");
    }
    lines
}

/// The needs as text: a heading naming the namespace (and the environments, when given), one
/// bullet per need, commands indented.
pub fn text(namespace: &str, environments: &[&str], needs: &[Need]) -> String {
    let envs = match environments {
        [] => String::new(),
        [one] => format!(" (environment {one})"),
        many => format!(" (environments {})", many.join(", ")),
    };
    let mut out = format!("The cluster needs, for namespace {namespace}{envs}:\n");
    for n in needs {
        out.push_str(&format!("  - {}: {}\n", n.what, n.because));
        for c in &n.commands {
            out.push_str(&format!("      {c}\n"));
        }
    }
    out
}

/// The needs of several renders, once: one block per namespace and distinct set of needs, naming
/// the environments when there are several renders. `(environment, namespace, needs)` each.
pub fn report<'a>(renders: &[(Option<&'a str>, &'a str, &'a [Need])]) -> String {
    let mut blocks: Vec<(&str, &[Need], Vec<&str>)> = Vec::new();
    for (env, namespace, needs) in renders {
        match blocks
            .iter_mut()
            .find(|(ns, n, _)| ns == namespace && n == needs)
        {
            Some((_, _, envs)) => envs.extend(env),
            None => blocks.push((namespace, needs, env.iter().copied().collect())),
        }
    }
    let named = renders.len() > 1;
    blocks
        .iter()
        .map(|(ns, needs, envs)| text(ns, if named { envs } else { &[] }, needs))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
