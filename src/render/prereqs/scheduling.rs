//! The scheduling prerequisites: what the nodes must offer for every pod the render may run
//! (node labels, zones, taints, priority classes, capacity at the autoscaler's peak), and the
//! peak count of a Deployment's pods they are counted at. Split from the parent for size.

use super::*;

/// The most pods a Deployment runs at once during a rollout at full scale: the largest replica
/// count an autoscaler (HPA, KEDA) may set, else its `replicas`, plus `maxSurge`.
fn peak_pods(dep: &J, objects: &[J]) -> (u64, u64, String) {
    let (max, why) = match scale::autoscaler_of(objects, "Deployment", object::name(dep)) {
        Some((bounds, o)) => (
            bounds.max,
            format!("{} {}'s maximum", object::kind(o), object::name(o)),
        ),
        None => (
            object::int_at(dep, "/spec/replicas").unwrap_or(1),
            "its replicas".to_owned(),
        ),
    };
    let surge = scale::max_surge(dep, max);
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    (count(max), count(surge), why)
}

/// PriorityClasses, RuntimeClasses, image pull Secrets and the nodes the pod specs select.
pub(super) fn scheduling(objects: &[J], namespace: &str, out: &mut Vec<Need>) {
    let mut priority: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut runtime: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut pull: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in objects {
        let Some(spec) = pod_spec(o) else { continue };
        let who = format!(
            "{} {}",
            field_str(o, "/kind"),
            field_str(o, "/metadata/name")
        );
        let class = field_str(spec, "/priorityClassName");
        if !class.is_empty() {
            priority
                .entry(class.to_owned())
                .or_default()
                .push(who.clone());
        }
        let class = field_str(spec, "/runtimeClassName");
        if !class.is_empty() {
            runtime
                .entry(class.to_owned())
                .or_default()
                .push(who.clone());
        }
        for p in items(spec, "/imagePullSecrets") {
            pull.entry(field_str(p, "/name").to_owned())
                .or_default()
                .push(who.clone());
        }
    }
    for (class, users) in &priority {
        out.push(Need {
            what: format!("PriorityClass {class}"),
            because: format!(
                "the pods of {} name it; without it no pod is created (`no PriorityClass with name {class} was found`)",
                users.join(", ")
            ),
            commands: Vec::new(),
        });
    }
    for (class, users) in &runtime {
        out.push(Need {
            what: format!("RuntimeClass {class}"),
            because: format!(
                "the pods of {} run with it; without it the API server refuses every pod (`pod rejected: RuntimeClass \"{class}\" not found`); the nodes it selects need its runtime handler installed",
                users.join(", ")
            ),
            commands: Vec::new(),
        });
    }
    for (secret, users) in &pull {
        out.push(Need {
            what: format!("Secret {secret} (type kubernetes.io/dockerconfigjson) in namespace {namespace}"),
            because: format!(
                "the pods of {} pull their images with it; without it they stay in ImagePullBackOff",
                users.join(", ")
            ),
            commands: vec![format!(
                "kubectl create secret docker-registry {} --namespace={} --docker-server=REGISTRY --docker-username=USER --docker-password=\"$REGISTRY_PASSWORD\"",
                q(secret),
                q(namespace)
            )],
        });
    }
    // Nodes: the labels every workload's pods select (a typed setting's, a patch's or an extra
    // object's: the final objects say), and how many such nodes a Deployment's required
    // anti-affinity (one pod per node) needs for a rollout at full scale to finish.
    for dep in objects {
        let Some(spec) = pod_spec(dep) else { continue };
        let deployment = field_str(dep, "/kind") == "Deployment";
        let mut labels: Vec<String> = crate::k8s::object::pointer(spec, "/nodeSelector")
            .and_then(J::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        for term in items(
            spec,
            "/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
        ) {
            for e in items(term, "/matchExpressions") {
                let values = listed(
                    " (",
                    items(e, "/values").filter_map(J::as_str).map(str::to_owned),
                    ")",
                );
                labels.push(format!(
                    "{} {}{values}",
                    field_str(e, "/key"),
                    field_str(e, "/operator")
                ));
            }
        }
        let per_node = deployment
            && items(
                spec,
                "/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution",
            )
            .any(|t| field_str(t, "/topologyKey") == "kubernetes.io/hostname");
        let zones = deployment
            && items(spec, "/topologySpreadConstraints").any(|t| {
                field_str(t, "/topologyKey") == "topology.kubernetes.io/zone"
                    && field_str(t, "/whenUnsatisfiable") == "DoNotSchedule"
            });
        let taints: Vec<String> = items(spec, "/tolerations")
            .map(|t| {
                let v = field_str(t, "/value");
                let v = if v.is_empty() {
                    String::new()
                } else {
                    format!("={v}")
                };
                format!("{}{v}:{}", field_str(t, "/key"), field_str(t, "/effect"))
            })
            .collect();
        if labels.is_empty() && !per_node && !zones {
            continue;
        }
        let selected = if labels.is_empty() {
            "schedulable nodes".to_owned()
        } else {
            format!("nodes labelled {}", labels.join(", "))
        };
        let (max, surge, why) = if per_node {
            peak_pods(dep, objects)
        } else {
            (0, 0, String::new())
        };
        let mut what = if per_node {
            format!("at least {} {selected}", max + surge)
        } else {
            selected
        };
        if zones {
            what.push_str(" in at least 2 zones (topology.kubernetes.io/zone)");
        }
        if !taints.is_empty() {
            what.push_str(&format!(" (the pods tolerate {})", taints.join(", ")));
        }
        let mut because = format!(
            "{} {}'s pods",
            field_str(dep, "/kind"),
            field_str(dep, "/metadata/name")
        );
        if per_node {
            because.push_str(&format!(
                ": required anti-affinity puts one pod per node, and a rollout at full scale runs {} pods ({max}, {why}, + maxSurge {surge}); with fewer nodes pods stay Pending and the rollout never completes",
                max + surge
            ));
        } else {
            because.push_str(" select them; without them the pods stay Pending");
        }
        out.push(Need {
            what,
            because,
            commands: Vec::new(),
        });
    }
}
