//! The guide's troubleshooting, from what the cluster shows: pods Pending (the scheduler's
//! reason, translated), CreateContainerConfigError (a missing Secret or key),
//! ImagePullBackOff, CrashLoopBackOff and OOMKilled (restarts against the memory limit), claims
//! Pending, pods refused by the quota, an autoscaler that cannot scale, Redis unreachable
//! (Service, endpoints, NetworkPolicy), and whether NetworkPolicies are enforced at all.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use super::prereqs::{add_keys, create_secret};
use super::{Cx, Finding, Report, items, s, secret_refs};
use crate::config::quota::milli;
use crate::shell::quote;

pub(super) fn check(cx: &Cx, r: &mut Report) {
    let mut found: Vec<Finding> = Vec::new();
    pods(cx, &mut found);
    claims(cx, r, &mut found);
    refused(cx, r, &mut found);
    autoscalers(cx, r, &mut found);
    redis(cx, &mut found);
    cni(cx, r);
    // One finding per (check, cause): the same reason on many pods is said once.
    let mut merged: Vec<(Finding, usize)> = Vec::new();
    for f in found {
        match merged
            .iter_mut()
            .find(|(m, _)| m.check == f.check && m.cause == f.cause)
        {
            Some((_, n)) => *n += 1,
            None => merged.push((f, 1)),
        }
    }
    for (mut f, n) in merged {
        if n > 1 {
            f.subject = format!("{} and {} more like it", f.subject, n - 1);
        }
        r.findings.push(f);
    }
}

/// The workload a pod belongs to: `Deployment agent-deployment` (its ReplicaSet's name minus
/// the hash), `StatefulSet redis`; empty for a pod of its own.
fn owner(pod: &J) -> String {
    let Some(o) = items(pod, "/metadata/ownerReferences").next() else {
        return String::new();
    };
    match s(o, "/kind") {
        "ReplicaSet" => {
            let rs = s(o, "/name");
            format!("Deployment {}", rs.rsplit_once('-').map_or(rs, |(d, _)| d))
        }
        kind => format!("{kind} {}", s(o, "/name")),
    }
}

/// The setting of a container's memory limit, by container name.
fn memory_setting(container: &str) -> Option<&'static str> {
    match container {
        "agent" => Some("agent.resources.limits.memory"),
        "redis" => Some("redis.resources.limits.memory"),
        "backup" | "redis-backup" => Some("backup.resources.limits.memory"),
        _ => None,
    }
}

fn pods(cx: &Cx, found: &mut Vec<Finding>) {
    for pod in cx.snap.pods.iter().filter(|p| cx.ours(p)) {
        let name = s(pod, "/metadata/name");
        let subject = match owner(pod) {
            o if o.is_empty() => format!("Pod {name}"),
            o => format!("Pod {name} ({o})"),
        };
        if s(pod, "/status/phase") == "Pending"
            && let Some(c) = items(pod, "/status/conditions")
                .find(|c| s(c, "/type") == "PodScheduled" && s(c, "/status") == "False")
        {
            found.push(unschedulable(cx, pod, &subject, s(c, "/message")));
        }
        let statuses = items(pod, "/status/containerStatuses")
            .chain(items(pod, "/status/initContainerStatuses"));
        for cs in statuses {
            let cname = s(cs, "/name");
            let waiting = s(cs, "/state/waiting/reason");
            let message = s(cs, "/state/waiting/message");
            let restarts = cs.get("restartCount").and_then(J::as_u64).unwrap_or(0);
            let last = s(cs, "/lastState/terminated/reason");
            match waiting {
                "CreateContainerConfigError" | "CreateContainerError" => {
                    found.push(config_error(cx, &subject, cname, message));
                    continue;
                }
                "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" => {
                    let image = s(cs, "/image");
                    let setting = match cname {
                        "agent" => Some("agent.image"),
                        "redis" => Some("redis.image"),
                        _ => None,
                    };
                    let mut fix = vec![format!("kubectl describe pod {} {}", quote(name), cx.ns())];
                    if let Some(setting) = setting {
                        fix.push(cx.render1(&format!("{setting}=REGISTRY/IMAGE:TAG")));
                    }
                    found.push(Finding {
                        check: "image-pull",
                        subject: subject.clone(),
                        cause: format!(
                            "container {cname} cannot pull its image {image} ({waiting}{}): a wrong name or tag, or a private registry without an image pull Secret",
                            if message.is_empty() { String::new() } else { format!(": {message}") }
                        ),
                        fix,
                    });
                    continue;
                }
                _ => {}
            }
            if last == "OOMKilled" && (restarts > 0 || waiting == "CrashLoopBackOff") {
                let limit = pod_container(pod, cname)
                    .and_then(|c| c.pointer("/resources/limits/memory"))
                    .and_then(J::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let mut fix = Vec::new();
                if let (Some(setting), Some(m)) = (memory_setting(cname), milli(&limit)) {
                    fix.push(cx.render1(&format!(
                        "{setting}={}",
                        crate::k8s::quantity::memory_text(m * 2)
                    )));
                }
                fix.push(format!(
                    "kubectl logs {} -c {} {} --previous",
                    quote(name),
                    quote(cname),
                    cx.ns()
                ));
                found.push(Finding {
                    check: "oom-killed",
                    subject: subject.clone(),
                    cause: format!(
                        "container {cname} was killed for using more memory than its limit {} (OOMKilled), {restarts} restart{}{}",
                        if limit.is_empty() { "(none)" } else { &limit },
                        if restarts == 1 { "" } else { "s" },
                        if waiting == "CrashLoopBackOff" { ", now in CrashLoopBackOff" } else { "" }
                    ),
                    fix,
                });
            } else if waiting == "CrashLoopBackOff" {
                found.push(Finding {
                    check: "crash-loop",
                    subject: subject.clone(),
                    cause: format!(
                        "container {cname} keeps exiting ({restarts} restarts, last: {}{}): CrashLoopBackOff",
                        if last.is_empty() { "unknown" } else { last },
                        cs.pointer("/lastState/terminated/exitCode")
                            .and_then(J::as_i64)
                            .map(|c| format!(", exit code {c}"))
                            .unwrap_or_default()
                    ),
                    fix: vec![format!(
                        "kubectl logs {} -c {} {} --previous",
                        quote(name),
                        quote(cname),
                        cx.ns()
                    )],
                });
            }
        }
    }
}

fn pod_container<'a>(pod: &'a J, name: &str) -> Option<&'a J> {
    items(pod, "/spec/containers")
        .chain(items(pod, "/spec/initContainers"))
        .find(|c| s(c, "/name") == name)
}

/// The Secret named in a kubelet message: `secret "x" not found`, `couldn't find key k in
/// Secret ns/x`.
fn config_error(cx: &Cx, subject: &str, container: &str, message: &str) -> Finding {
    let refs = secret_refs(cx.objects);
    let quoted = |m: &str| m.split('"').nth(1).map(str::to_owned);
    if message.starts_with("secret ")
        && message.ends_with("not found")
        && let Some(secret) = quoted(message)
    {
        let keys = refs.get(&secret).cloned().unwrap_or_default();
        return Finding {
            check: "config-error",
            subject: subject.to_owned(),
            cause: format!(
                "container {container} cannot start (CreateContainerConfigError): Secret {secret} does not exist"
            ),
            fix: vec![create_secret(cx, &secret, &keys)],
        };
    }
    if let Some(rest) = message.strip_prefix("couldn't find key ")
        && let Some((key, secret)) = rest.split_once(" in Secret ")
    {
        let secret = secret.rsplit('/').next().unwrap_or(secret).to_owned();
        return Finding {
            check: "config-error",
            subject: subject.to_owned(),
            cause: format!(
                "container {container} cannot start (CreateContainerConfigError): Secret {secret} has no key {key}"
            ),
            fix: vec![add_keys(
                cx.namespace,
                &secret,
                &BTreeSet::from([key.to_owned()]),
            )],
        };
    }
    Finding {
        check: "config-error",
        subject: subject.to_owned(),
        cause: format!("container {container} cannot start: {message}"),
        fix: vec![format!(
            "kubectl describe {} {}",
            subject
                .split(' ')
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
            cx.ns()
        )],
    }
}

/// The scheduler's reason for a Pending pod, in words and fixes.
fn unschedulable(cx: &Cx, pod: &J, subject: &str, message: &str) -> Finding {
    let body = message
        .split_once("available: ")
        .map_or(message, |(_, b)| b)
        .split(". preemption:")
        .next()
        .unwrap_or(message)
        .trim_end_matches('.');
    let mut causes = Vec::new();
    let mut fix = Vec::new();
    let spec = pod.pointer("/spec").unwrap_or(&J::Null);
    let agent = owner(pod)
        .strip_prefix("Deployment ")
        .is_some_and(|d| cx.base(d) == "agent-deployment");
    for part in body.split(", ") {
        let (n, what) = part.split_once(' ').unwrap_or(("", part));
        let n = if n.chars().all(|c| c.is_ascii_digit()) {
            n
        } else {
            ""
        };
        let what = if n.is_empty() { part } else { what };
        if what.contains("didn't match Pod's node affinity/selector") {
            let labels: Vec<String> = spec
                .pointer("/nodeSelector")
                .and_then(J::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            causes.push(format!(
                "{n} nodes lack the labels the pod selects{}",
                if labels.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", labels.join(", "))
                }
            ));
            if !labels.is_empty() {
                fix.push(format!(
                    "kubectl label node NODE {}",
                    labels
                        .iter()
                        .map(|l| quote(l).into_owned())
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
                if agent {
                    for l in &labels {
                        let key = l.split('=').next().unwrap_or_default();
                        fix.push(cx.render1(&format!("agent.nodeSelector.{key}=null")));
                    }
                }
            }
        } else if let Some(res) = what.strip_prefix("Insufficient ") {
            causes.push(format!(
                "{n} nodes have too little free {res} for the pod's requests"
            ));
            if agent {
                fix.push(cx.render1(&format!("agent.resources.requests.{res}=SMALLER")));
            }
        } else if what.contains("untolerated taint") {
            causes.push(format!(
                "{n} nodes have a taint the pod does not tolerate ({})",
                what.split_once("taint").map_or("", |x| x.1).trim()
            ));
            if agent {
                fix.push(
                    "agent.tolerations in an override file (a list: `--set` cannot add to it)"
                        .to_owned(),
                );
            }
        } else if what.contains("didn't match pod anti-affinity rules") {
            causes.push(format!(
                "{n} nodes already run such a pod (required anti-affinity: one per node)"
            ));
            if agent {
                fix.push(cx.render1("agent.antiAffinity=preferred"));
            }
        } else if what.contains("topology spread constraints") {
            // The pod's DoNotSchedule constraints: which labels they spread over.
            let keys: Vec<&str> = items(spec, "/topologySpreadConstraints")
                .filter(|c| matches!(s(c, "/whenUnsatisfiable"), "" | "DoNotSchedule"))
                .map(|c| s(c, "/topologyKey"))
                .collect();
            if what.contains("missing required label") {
                causes.push(format!(
                    "{n} nodes lack the label a topology spread constraint (DoNotSchedule) spreads over ({})",
                    keys.join(", ")
                ));
                for k in &keys {
                    fix.push(format!(
                        "kubectl label node NODE {}",
                        quote(&format!("{k}=VALUE"))
                    ));
                }
            } else {
                causes.push(format!(
                    "{n} nodes would unbalance the domains of a topology spread constraint (DoNotSchedule over {})",
                    keys.join(", ")
                ));
            }
            // `agent.zoneSpread` is the constraint over zones; another is the user's own.
            if agent && keys.contains(&"topology.kubernetes.io/zone") {
                fix.push(cx.render1("agent.zoneSpread=preferred"));
            }
        } else if what.contains("unbound immediate PersistentVolumeClaims") {
            causes.push(
                "its PersistentVolumeClaim is not bound (see the claim's finding)".to_owned(),
            );
        } else if what.contains("were unschedulable") {
            causes.push(format!("{n} nodes are cordoned"));
            fix.push("kubectl uncordon NODE".to_owned());
        } else if !what.is_empty() {
            causes.push(what.to_owned());
        }
    }
    fix.push(format!(
        "kubectl describe pod {} {}",
        quote(s(pod, "/metadata/name")),
        cx.ns()
    ));
    Finding {
        check: "pod-pending",
        subject: subject.to_owned(),
        cause: format!(
            "Pending, not scheduled: {} (the scheduler: `{message}`)",
            if causes.is_empty() {
                "no reason given".to_owned()
            } else {
                causes.join("; ")
            }
        ),
        fix,
    }
}

/// The latest Event message about an object.
fn event<'a>(cx: &'a Cx, kind: &str, name: &str) -> Option<(&'a str, &'a str)> {
    cx.snap
        .events
        .iter()
        .filter(|e| s(e, "/involvedObject/kind") == kind && s(e, "/involvedObject/name") == name)
        .max_by_key(|e| {
            let t = s(e, "/lastTimestamp");
            if t.is_empty() {
                s(e, "/eventTime").to_owned()
            } else {
                t.to_owned()
            }
        })
        .map(|e| (s(e, "/reason"), s(e, "/message")))
}

fn covered(r: &Report, subject: &str) -> bool {
    r.findings.iter().any(|f| f.subject == subject)
}

fn claims(cx: &Cx, r: &Report, found: &mut Vec<Finding>) {
    for pvc in cx.snap.claims.iter().filter(|c| cx.ours(c)) {
        if s(pvc, "/status/phase") != "Pending" {
            continue;
        }
        let name = s(pvc, "/metadata/name");
        let subject = format!("PersistentVolumeClaim {name}");
        if covered(r, &subject) {
            continue;
        }
        let class = pvc.pointer("/spec/storageClassName").and_then(J::as_str);
        let (reason, message) = event(cx, "PersistentVolumeClaim", name).unwrap_or(("", ""));
        if reason == "WaitForFirstConsumer" {
            continue;
        }
        let why = if message.contains("not found") && message.contains("storageclass") {
            format!(
                "its StorageClass {} does not exist",
                class.unwrap_or_default()
            )
        } else if message.contains("no storage class is set") {
            "it names no StorageClass and no volume fits it (the cluster has no default StorageClass)".to_owned()
        } else if message.contains("no persistent volumes available") {
            format!(
                "no PersistentVolume fits it and StorageClass {} provisions none",
                class.unwrap_or("(default)")
            )
        } else if message.contains("external provisioner") {
            format!("the StorageClass's provisioner has not created a volume: {message}")
        } else if message.is_empty() {
            "no event says why (the provisioner may not run)".to_owned()
        } else {
            message.to_owned()
        };
        found.push(Finding {
            check: "pvc-pending",
            subject,
            cause: format!(
                "Pending: {why}; the pods that mount it stay Pending (requested {} {})",
                s(pvc, "/spec/resources/requests/storage"),
                items(pvc, "/spec/accessModes")
                    .filter_map(J::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            fix: vec![
                format!("kubectl describe pvc {} {}", quote(name), cx.ns()),
                "kubectl get storageclass,pv".to_owned(),
            ],
        });
    }
}

/// ReplicaSets and StatefulSets whose pods the API server refuses (quota), while a workload
/// is still short of pods (an event outlives the refusal it reports by up to an hour).
fn refused(cx: &Cx, r: &Report, found: &mut Vec<Finding>) {
    let short = cx.snap.workloads.iter().filter(|w| cx.ours(w)).any(|w| {
        let want = w.pointer("/spec/replicas").and_then(J::as_i64).unwrap_or(1);
        let int = |p: &str| w.pointer(p).and_then(J::as_i64).unwrap_or(0);
        int("/status/updatedReplicas") < want || int("/status/availableReplicas") < want
    });
    if !short || r.findings.iter().any(|f| f.check == "quota") {
        return;
    }
    let mut seen = BTreeSet::new();
    for e in cx.snap.events.iter().filter(|e| {
        s(e, "/reason") == "FailedCreate" && s(e, "/message").contains("exceeded quota")
    }) {
        let kind = s(e, "/involvedObject/kind");
        let name = s(e, "/involvedObject/name");
        if !seen.insert((kind, name)) {
            continue;
        }
        let quota = s(e, "/message")
            .split("exceeded quota: ")
            .nth(1)
            .and_then(|m| m.split(',').next())
            .unwrap_or_default();
        found.push(Finding {
            check: "quota",
            subject: format!("{kind} {name}"),
            cause: format!("the API server refuses its new pods: {}", s(e, "/message")),
            fix: vec![format!(
                "kubectl describe resourcequota {} {}",
                quote(quota),
                cx.ns()
            )],
        });
    }
}

fn autoscalers(cx: &Cx, r: &Report, found: &mut Vec<Finding>) {
    for hpa in cx.snap.autoscalers.iter().filter(|h| cx.ours(h)) {
        let name = s(hpa, "/metadata/name");
        let subject = format!("HorizontalPodAutoscaler {name}");
        let Some(c) = items(hpa, "/status/conditions").find(|c| {
            matches!(s(c, "/type"), "ScalingActive" | "AbleToScale") && s(c, "/status") == "False"
        }) else {
            continue;
        };
        let message = s(c, "/message");
        if message.contains("missing request for") {
            let res = message
                .split("missing request for ")
                .nth(1)
                .and_then(|m| m.split([' ', ',']).next())
                .unwrap_or("cpu");
            found.push(Finding {
                check: "hpa",
                subject,
                cause: format!("it cannot compute {res} utilization: a container of its pods has no {res} request ({message})"),
                fix: vec![cx.render1(&format!("agent.resources.requests.{res}=VALUE"))],
            });
            continue;
        }
        // A metrics API that is not served is already a finding of its own.
        if covered(r, &subject) {
            continue;
        }
        let young = cx
            .snap
            .now
            .zip(
                hpa.pointer("/metadata/creationTimestamp")
                    .and_then(J::as_str)
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok()),
            )
            .is_some_and(|(now, t)| now.as_second() - t.as_second() < 120);
        if young {
            continue;
        }
        found.push(Finding {
            check: "hpa",
            subject,
            cause: format!("it cannot scale ({}): {message}", s(c, "/reason")),
            fix: vec![format!("kubectl describe hpa {} {}", quote(name), cx.ns())],
        });
    }
}

/// Redis as the agent reaches it: its Service, endpoints behind it, and the NetworkPolicy
/// that admits the agent when everything else is denied.
fn redis(cx: &Cx, found: &mut Vec<Finding>) {
    let Some(svc) = cx.objects.iter().find(|o| {
        s(o, "/kind") == "Service" && cx.base(s(o, "/metadata/name")).starts_with("redis")
    }) else {
        return;
    };
    let name = s(svc, "/metadata/name");
    let slices: Vec<&J> = cx
        .snap
        .endpoint_slices
        .iter()
        .filter(|e| {
            e.pointer("/metadata/labels")
                .and_then(|l| l.get("kubernetes.io/service-name"))
                .and_then(J::as_str)
                == Some(name)
        })
        .collect();
    let ready = slices
        .iter()
        .flat_map(|e| items(e, "/endpoints"))
        .filter(|ep| ep.pointer("/conditions/ready").and_then(J::as_bool) != Some(false))
        .count();
    let redis_pods: Vec<&J> = cx
        .snap
        .pods
        .iter()
        .filter(|p| {
            svc.pointer("/spec/selector")
                .and_then(J::as_object)
                .is_some_and(|sel| {
                    sel.iter().all(|(k, v)| {
                        p.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v)
                    })
                })
        })
        .collect();
    if ready == 0 && !cx.snap.workloads.is_empty() {
        let why = if redis_pods.is_empty() {
            format!(
                "no pod matches its selector (is the StatefulSet running? `kubectl get statefulset,pods {}`)",
                cx.ns()
            )
        } else {
            format!(
                "its pod{} {} {} not ready",
                if redis_pods.len() == 1 { "" } else { "s" },
                redis_pods
                    .iter()
                    .map(|p| s(p, "/metadata/name"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if redis_pods.len() == 1 { "is" } else { "are" }
            )
        };
        found.push(Finding {
            check: "redis",
            subject: format!("Service {name}"),
            cause: format!("Redis is unreachable: the Service has no ready endpoint, {why}; the agent cannot connect"),
            fix: vec![
                format!("kubectl get endpointslices -l kubernetes.io/service-name={} {}", quote(name), cx.ns()),
                format!("kubectl describe pod redis-0 {}", cx.ns()),
            ],
        });
    }
    let live: BTreeMap<&str, &J> = cx
        .snap
        .network_policies
        .iter()
        .map(|p| (s(p, "/metadata/name"), p))
        .collect();
    let denies_all = live.values().any(|p| {
        p.pointer("/spec/podSelector")
            .and_then(J::as_object)
            .is_some_and(|m| {
                m.is_empty()
                    || m.get("matchLabels")
                        .and_then(J::as_object)
                        .is_some_and(|l| l.is_empty())
            })
            && items(p, "/spec/ingress").next().is_none()
    });
    for rendered in cx.objects.iter().filter(|o| {
        s(o, "/kind") == "NetworkPolicy" && cx.base(s(o, "/metadata/name")).starts_with("redis")
    }) {
        let pname = s(rendered, "/metadata/name");
        if denies_all && !live.contains_key(pname) {
            found.push(Finding {
                check: "redis",
                subject: format!("NetworkPolicy {pname}"),
                cause: "Redis is unreachable: a default-deny NetworkPolicy is applied but the policy that admits the agent to Redis is not".to_owned(),
                fix: vec!["kubectl apply -k OUT   # the rendered directory (it has networkpolicy.yaml)".to_owned()],
            });
        }
    }
}

/// Whether anything enforces the NetworkPolicies: a known CNI in kube-system, else said as
/// undecidable.
fn cni(cx: &Cx, r: &mut Report) {
    if !cx.objects.iter().any(|o| s(o, "/kind") == "NetworkPolicy") {
        return;
    }
    const KNOWN: &[(&str, &str)] = &[
        ("calico", "Calico"),
        ("cilium", "Cilium"),
        ("antrea", "Antrea"),
        ("kube-router", "kube-router"),
        ("weave", "Weave Net"),
        ("canal", "Canal"),
    ];
    let Some(ds) = &cx.snap.system_daemonsets else {
        r.notes.push("cannot tell whether the NetworkPolicies are enforced: the DaemonSets of kube-system are not readable".into());
        return;
    };
    match ds.iter().find_map(|d| {
        let n = s(d, "/metadata/name");
        KNOWN.iter().find(|(k, _)| n.contains(k)).map(|(_, v)| (*v, n))
    }) {
        Some((cni, ds)) => r.passed.push(super::Passed {
            check: "network-policy",
            detail: format!("NetworkPolicies enforced by {cni} (DaemonSet kube-system/{ds})"),
        }),
        None => r.notes.push(
            "cannot tell whether the NetworkPolicies are enforced: no DaemonSet of a known enforcing CNI (Calico, Cilium, Antrea, kube-router, Weave Net, Canal) in kube-system; with a CNI that does not enforce them they are silently ignored".into(),
        ),
    }
}
