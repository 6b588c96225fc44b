//! The prerequisites, live: the API groups of the custom kinds served, the metrics APIs the
//! autoscalers read (and the custom pods metric itself), the StorageClasses the claims name
//! (or a default one), every Secret and key the pods read, the PriorityClasses and RuntimeClasses; then the
//! capacity checks of [`super::capacity`] (nodes, quota headroom).

use std::collections::BTreeSet;

use serde_json::Value as J;

use super::{Cx, Finding, Report, items, out_of_band_config_maps, pass, s, secret_refs};
use crate::render::objects as table;
use crate::render::prereqs::env_vars;
use crate::shell::quote;

pub(super) fn check(cx: &Cx, r: &mut Report) {
    namespace(cx, r);
    listed_crds(cx, r);
    groups(cx, r);
    metrics(cx, r);
    storage(cx, r);
    secrets(cx, r);
    config_maps(cx, r);
    priority(cx, r);
    runtime(cx, r);
}

/// The existing namespace of a render that does not create it, and the labels the render
/// relies on: the Pod Security ones and `namespaceLabels` (a policy or mesh selecting on them).
fn namespace(cx: &Cx, r: &mut Report) {
    if cx.expect.is_empty() {
        return;
    }
    let ns = cx.namespace;
    let label = |pairs: &[(&String, &String)]| {
        let words: String = pairs
            .iter()
            .map(|(k, v)| format!(" {}", quote(&format!("{k}={v}"))))
            .collect();
        format!("kubectl label namespace {}{words} --overwrite", quote(ns))
    };
    let all: Vec<(&String, &String)> = cx.expect.iter().collect();
    match &cx.snap.namespace_labels {
        None => r.notes.push(format!(
            "namespace {ns}: its labels could not be read (reading a Namespace needs a cluster-wide `get namespaces`); it must carry {}",
            all.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        )),
        Some(None) => r.findings.push(Finding {
            check: "namespace",
            subject: format!("Namespace {ns}"),
            cause: format!("namespace {ns} does not exist, and the render does not create it (createNamespace: false)"),
            fix: vec![format!("kubectl create namespace {}", quote(ns)), label(&all)],
        }),
        Some(Some(live)) => {
            let wrong: Vec<(&String, &String)> = all
                .iter()
                .filter(|(k, v)| live.get(*k) != Some(*v))
                .copied()
                .collect();
            if wrong.is_empty() {
                pass(r, "namespace", format!("namespace {ns} carries the labels the render relies on (Pod Security, namespaceLabels)"));
            } else {
                let what: Vec<String> = wrong
                    .iter()
                    .map(|(k, v)| match live.get(*k) {
                        Some(has) => format!("{k}={has} (not {v})"),
                        None => format!("{k} missing (wants {v})"),
                    })
                    .collect();
                r.findings.push(Finding {
                    check: "namespace",
                    subject: format!("Namespace {ns}"),
                    cause: format!(
                        "the existing namespace does not carry the labels the render relies on (Pod Security, namespaceLabels): {}",
                        what.join(", ")
                    ),
                    fix: vec![label(&wrong)],
                });
            }
        }
    }
}

/// The CRDs the user listed (`crds:`): installed, serving the versions the render's objects
/// of their kinds use.
fn listed_crds(cx: &Cx, r: &mut Report) {
    for (c, live) in &cx.snap.listed_crds {
        let used: BTreeSet<&str> = cx
            .objects
            .iter()
            .filter(|o| s(o, "/kind") == c.kind)
            .filter_map(|o| s(o, "/apiVersion").split_once('/'))
            .filter(|(g, _)| *g == c.group)
            .map(|(_, v)| v)
            .collect();
        match live {
            None => r.notes.push(format!(
                "CustomResourceDefinition {}: it could not be read (reading a CRD needs a cluster-wide `get customresourcedefinitions`); {} objects need it installed (listed at {})",
                c.name, c.kind, c.listed_at
            )),
            Some(None) => r.findings.push(Finding {
                check: "crd",
                subject: format!("CustomResourceDefinition {}", c.name),
                cause: format!(
                    "the CRD `{}` listed at {} is not installed: `kubectl apply` of {} objects fails (no matches for kind \"{}\")",
                    c.file, c.listed_at, c.kind, c.kind
                ),
                fix: vec![format!(
                    "install the operator that owns {}, or apply its CRD: kubectl apply --server-side -f {}",
                    c.kind,
                    quote(&c.file)
                )],
            }),
            Some(Some(served)) => {
                let missing: Vec<&str> = used
                    .iter()
                    .copied()
                    .filter(|v| !served.iter().any(|s| s == v))
                    .collect();
                if missing.is_empty() {
                    pass(
                        r,
                        "crd",
                        format!(
                            "CustomResourceDefinition {} installed (serves {})",
                            c.name,
                            served.join(", ")
                        ),
                    );
                } else {
                    r.findings.push(Finding {
                        check: "crd",
                        subject: format!("CustomResourceDefinition {}", c.name),
                        cause: format!(
                            "the installed CRD serves {} but the render's {} objects use {}: `kubectl apply` of them fails",
                            if served.is_empty() { "no version".to_owned() } else { served.join(", ") },
                            c.kind,
                            missing.join(", ")
                        ),
                        fix: vec![format!(
                            "upgrade the installed CRD to the one listed at {} (`{}`), or write the objects in a version it serves",
                            c.listed_at, c.file
                        )],
                    });
                }
            }
        }
    }
}

/// The custom kinds' API groups, served or not.
fn groups(cx: &Cx, r: &mut Report) {
    let mut by_version: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for o in cx.objects {
        let api = s(o, "/apiVersion");
        let group = api.split_once('/').map_or("", |(g, _)| g);
        if !crate::render::objects::built_in(api, s(o, "/kind"))
            && group != "kustomize.config.k8s.io"
        {
            by_version.entry(api.to_owned()).or_default().push(format!(
                "{} {}",
                s(o, "/kind"),
                s(o, "/metadata/name")
            ));
        }
    }
    for (api, users) in by_version {
        // What serves the group, from the table of kinds (the same row the render's
        // prerequisites name).
        let operator = table::KINDS
            .iter()
            .find(|k| k.api == api)
            .and_then(|k| match k.served {
                table::Served::Crd { operator } => Some(operator),
                _ => None,
            });
        if cx.snap.served.contains(&api) {
            pass(
                r,
                "api-group",
                format!("{api} served ({})", users.join(", ")),
            );
        } else {
            r.findings.push(Finding {
                check: "api-group",
                subject: users.join(", "),
                cause: format!(
                    "{api} is not served: {} not installed, so `kubectl apply` of these objects fails",
                    operator.unwrap_or("its CRDs are")
                ),
                fix: operator
                    .map(table::install)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect(),
            });
        }
    }
}

/// The APIService of `name` (`v1beta1.metrics.k8s.io`) and whether it is Available.
fn api_service<'a>(cx: &'a Cx, name: &str) -> Option<(&'a J, bool)> {
    let svc = cx
        .snap
        .api_services
        .iter()
        .find(|a| s(a, "/metadata/name") == name)?;
    let available = items(svc, "/status/conditions")
        .any(|c| s(c, "/type") == "Available" && s(c, "/status") == "True");
    Some((svc, available))
}

fn api_service_state(cx: &Cx, name: &str) -> Result<(), String> {
    match api_service(cx, name) {
        None => Err(format!(
            "{} is not served (no APIService {name})",
            name.split_once('.').map_or(name, |x| x.1)
        )),
        Some((svc, false)) => {
            let why = items(svc, "/status/conditions")
                .find(|c| s(c, "/type") == "Available")
                .map(|c| format!("{}: {}", s(c, "/reason"), s(c, "/message")))
                .unwrap_or_else(|| "no Available condition".into());
            Err(format!("APIService {name} is not available ({why})"))
        }
        Some((_, true)) => Ok(()),
    }
}

/// The metrics APIs the autoscalers read.
fn metrics(cx: &Cx, r: &mut Report) {
    for hpa in cx
        .objects
        .iter()
        .filter(|o| s(o, "/kind") == "HorizontalPodAutoscaler")
    {
        let name = s(hpa, "/metadata/name");
        let resources: Vec<&str> = items(hpa, "/spec/metrics")
            .filter(|m| matches!(s(m, "/type"), "Resource" | "ContainerResource"))
            .map(|m| {
                let n = s(m, "/resource/name");
                if n.is_empty() {
                    s(m, "/containerResource/name")
                } else {
                    n
                }
            })
            .collect();
        if !resources.is_empty() {
            match api_service_state(cx, "v1beta1.metrics.k8s.io") {
                Ok(()) => pass(r, "metrics-api", "metrics.k8s.io served (metrics-server)".into()),
                Err(why) => r.findings.push(Finding {
                    check: "metrics-api",
                    subject: format!("HorizontalPodAutoscaler {name}"),
                    cause: format!(
                        "{why}: the autoscaler cannot compute {} utilization, so it never scales on it",
                        resources.join(" and ")
                    ),
                    fix: vec![
                        "kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml".into(),
                    ],
                }),
            }
        }
        for m in items(hpa, "/spec/metrics").filter(|m| s(m, "/type") == "Pods") {
            let metric = s(m, "/pods/metric/name");
            let state = api_service_state(cx, "v1beta1.custom.metrics.k8s.io").and_then(|()| {
                match cx.snap.pods_metrics.get(metric) {
                    Some(true) => Ok(()),
                    _ => Err(format!(
                        "custom.metrics.k8s.io does not serve the pods metric {metric} in namespace {}",
                        cx.namespace
                    )),
                }
            });
            match state {
                Ok(()) => pass(r, "custom-metric", format!("custom.metrics.k8s.io serves {metric}")),
                Err(why) => r.findings.push(Finding {
                    check: "custom-metric",
                    subject: format!("HorizontalPodAutoscaler {name}"),
                    cause: format!(
                        "{why}: the autoscaler cannot compute {metric}, and with one metric missing it does not scale down"
                    ),
                    fix: vec![
                        "helm repo add prometheus-community https://prometheus-community.github.io/helm-charts".into(),
                        format!(
                            "helm install prometheus-adapter prometheus-community/prometheus-adapter --namespace monitoring --create-namespace  # with a rule that serves {metric}"
                        ),
                        cx.render1("autoscaling.requestRate.enabled=false"),
                    ],
                }),
            }
        }
    }
}

/// The claims of the render: (claim name, storage class named or None, setting that names it).
fn claims(cx: &Cx) -> Vec<(String, Option<String>, &'static str)> {
    let mut out = Vec::new();
    for o in cx.objects {
        match s(o, "/kind") {
            "PersistentVolumeClaim" => {
                let name = s(o, "/metadata/name").to_owned();
                let setting = match cx.base(&name) {
                    "redis-backup-pvc" => "backup.storage.storageClass",
                    "agent-data-pvc" => "agent.storage.storageClass",
                    _ => "",
                };
                let class = o
                    .pointer("/spec/storageClassName")
                    .and_then(J::as_str)
                    .map(str::to_owned);
                out.push((name, class, setting));
            }
            "StatefulSet" => {
                for t in items(o, "/spec/volumeClaimTemplates") {
                    let setting = if cx.base(s(o, "/metadata/name")) == "redis" {
                        "redis.storage.storageClass"
                    } else {
                        ""
                    };
                    let class = t
                        .pointer("/spec/storageClassName")
                        .and_then(J::as_str)
                        .map(str::to_owned);
                    out.push((
                        format!("{}-{}-0", s(t, "/metadata/name"), s(o, "/metadata/name")),
                        class,
                        setting,
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

fn storage(cx: &Cx, r: &mut Report) {
    let classes: Vec<&str> = cx
        .snap
        .storage_classes
        .iter()
        .map(|c| s(c, "/metadata/name"))
        .collect();
    let default = cx.snap.storage_classes.iter().find(|c| {
        [
            "storageclass.kubernetes.io/is-default-class",
            "storageclass.beta.kubernetes.io/is-default-class",
        ]
        .iter()
        .any(|a| {
            c.pointer("/metadata/annotations")
                .and_then(|m| m.get(*a))
                .and_then(J::as_str)
                == Some("true")
        })
    });
    let mut reported = BTreeSet::new();
    for (claim, class, setting) in claims(cx) {
        match class {
            Some(c) if classes.contains(&c.as_str()) => {
                pass(
                    r,
                    "storage-class",
                    format!("StorageClass {c} exists (claim {claim})"),
                );
            }
            Some(c) => {
                if !reported.insert(c.clone()) {
                    continue;
                }
                let mut fix = Vec::new();
                if !setting.is_empty()
                    && let Some(other) = default
                        .map(|d| s(d, "/metadata/name"))
                        .or(classes.first().copied())
                {
                    fix.push(cx.render1(&format!("{setting}={other}")));
                }
                fix.push("kubectl get storageclass".into());
                r.findings.push(Finding {
                    check: "storage-class",
                    subject: format!("PersistentVolumeClaim {claim}"),
                    cause: format!(
                        "it names StorageClass {c}, which does not exist (the cluster has: {}); the claim stays Pending and its pods with it",
                        if classes.is_empty() { "none".to_owned() } else { classes.join(", ") }
                    ),
                    fix,
                });
            }
            None => match default {
                Some(d) => pass(
                    r,
                    "storage-class",
                    format!(
                        "default StorageClass {} (claim {claim})",
                        s(d, "/metadata/name")
                    ),
                ),
                None => {
                    if !reported.insert(String::new()) {
                        continue;
                    }
                    let mut fix = Vec::new();
                    if let Some(first) = classes.first() {
                        fix.push(format!(
                            "kubectl patch storageclass {} -p '{{\"metadata\":{{\"annotations\":{{\"storageclass.kubernetes.io/is-default-class\":\"true\"}}}}}}'",
                            quote(first)
                        ));
                        if !setting.is_empty() {
                            fix.push(cx.render1(&format!("{setting}={first}")));
                        }
                    }
                    r.findings.push(Finding {
                        check: "storage-class",
                        subject: format!("PersistentVolumeClaim {claim}"),
                        cause: format!(
                            "it names no StorageClass and the cluster has no default one (classes: {}); the claim stays Pending",
                            if classes.is_empty() { "none".to_owned() } else { classes.join(", ") }
                        ),
                        fix,
                    });
                }
            },
        }
    }
}

/// The command that adds `keys` to an existing Secret (values from the environment).
pub(super) fn add_keys(namespace: &str, secret: &str, keys: &BTreeSet<String>) -> String {
    // `{"stringData":{"KEY":"` quoted as a word, then `"$VAR"`, and so on: a key is JSON- and
    // shell-quoted, the value comes from the shell variable.
    let mut parts = String::new();
    let mut open = String::from("{\"stringData\":{");
    let vars = env_vars(keys);
    for (i, (k, var)) in keys.iter().zip(&vars).enumerate() {
        if i > 0 {
            open.push(',');
        }
        open.push_str(&format!("{}:\"", J::String(k.clone())));
        parts.push_str(&quote(&open));
        parts.push_str(&format!("\"${var}\""));
        open = String::from("\"");
    }
    open.push_str("}}");
    parts.push_str(&quote(&open));
    format!(
        "kubectl patch secret {} -n {} --type merge -p {parts}",
        quote(secret),
        quote(namespace)
    )
}

pub(super) fn create_secret(cx: &Cx, secret: &str, keys: &BTreeSet<String>) -> String {
    crate::render::prereqs::secret_command(secret, cx.namespace, keys)
}

fn secrets(cx: &Cx, r: &mut Report) {
    let external: BTreeSet<&str> = cx
        .objects
        .iter()
        .filter(|o| s(o, "/kind") == "ExternalSecret")
        .map(|o| {
            let t = s(o, "/spec/target/name");
            if t.is_empty() {
                s(o, "/metadata/name")
            } else {
                t
            }
        })
        .collect();
    for (name, keys) in secret_refs(cx.objects) {
        let by_eso = external.contains(name.as_str());
        match cx.snap.secrets.get(&name) {
            Some(Some(have)) => {
                let missing: BTreeSet<String> = keys.difference(have).cloned().collect();
                if missing.is_empty() {
                    pass(r, "secret", format!("Secret {name} has every key the pods read ({})", keys.iter().cloned().collect::<Vec<_>>().join(", ")));
                } else {
                    r.findings.push(Finding {
                        check: "secret",
                        subject: format!("Secret {name}"),
                        cause: format!(
                            "it lacks the key{} {} the pods read: they cannot start (CreateContainerConfigError)",
                            if missing.len() == 1 { "" } else { "s" },
                            missing.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        fix: if by_eso {
                            vec![format!("kubectl describe externalsecret {} {}", quote(&name), cx.ns())]
                        } else {
                            vec![add_keys(cx.namespace, &name, &missing)]
                        },
                    });
                }
            }
            _ => r.findings.push(Finding {
                check: "secret",
                subject: format!("Secret {name}"),
                cause: if by_eso {
                    "it does not exist: the ExternalSecret that creates it has not synced, so the pods cannot start".to_owned()
                } else {
                    "it does not exist: it is created out of band (never rendered), and the pods that read it cannot start (CreateContainerConfigError)".to_owned()
                },
                fix: if by_eso {
                    vec![format!("kubectl describe externalsecret {} {}", quote(&name), cx.ns())]
                } else {
                    vec![create_secret(cx, &name, &keys)]
                },
            }),
        }
    }
}

/// The ConfigMaps the pods read that the render does not create: present, with every key read.
fn config_maps(cx: &Cx, r: &mut Report) {
    for (name, keys) in out_of_band_config_maps(cx.objects) {
        let create = crate::render::prereqs::create_config_map(&name, cx.namespace);
        match cx.snap.config_maps.get(&name) {
            Some(Some(have)) => {
                let missing: Vec<String> = keys.difference(have).cloned().collect();
                if missing.is_empty() {
                    pass(r, "config-map", format!("ConfigMap {name} exists with every key the pods read"));
                } else {
                    r.findings.push(Finding {
                        check: "config-map",
                        subject: format!("ConfigMap {name}"),
                        cause: format!(
                            "it lacks the key{} {} the pods read: they cannot start (CreateContainerConfigError) or mount it",
                            if missing.len() == 1 { "" } else { "s" },
                            missing.join(", ")
                        ),
                        fix: vec![format!("kubectl edit configmap {} {}", quote(&name), cx.ns())],
                    });
                }
            }
            _ => r.findings.push(Finding {
                check: "config-map",
                subject: format!("ConfigMap {name}"),
                cause: "it does not exist: it is created out of band (never rendered), and the pods that read it cannot start".to_owned(),
                fix: vec![create],
            }),
        }
    }
}

fn priority(cx: &Cx, r: &mut Report) {
    for (class, exists) in &cx.snap.priority_classes {
        if *exists {
            pass(r, "priority-class", format!("PriorityClass {class} exists"));
        } else {
            r.findings.push(Finding {
                check: "priority-class",
                subject: format!("PriorityClass {class}"),
                cause: format!("the pods name it and it does not exist: no pod is created (`no PriorityClass with name {class} was found`)"),
                fix: vec![format!(
                    "kubectl create priorityclass {} --value=1000 --description='agent workloads'",
                    quote(class)
                )],
            });
        }
    }
}

fn runtime(cx: &Cx, r: &mut Report) {
    for (class, exists) in &cx.snap.runtime_classes {
        if *exists {
            pass(r, "runtime-class", format!("RuntimeClass {class} exists"));
        } else {
            r.findings.push(Finding {
                check: "runtime-class",
                subject: format!("RuntimeClass {class}"),
                cause: format!("the pods name it and it does not exist: the API server refuses every pod (`pod rejected: RuntimeClass \"{class}\" not found`)"),
                fix: vec![format!(
                    "install the runtime (gVisor, Kata) on the nodes and create RuntimeClass {} with its handler, or unset `agent.runtimeClassName`",
                    quote(class)
                )],
            });
        }
    }
}
