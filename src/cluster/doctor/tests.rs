//! Doctor's rules over objects shaped as a 1.33 API server (and kwok's kubelet) returns them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as J, json};

use super::*;

fn render_with(sets: &[String]) -> String {
    format!(
        "agentctl render -f prod.yaml --set {} -o OUT",
        sets.join(" --set ")
    )
}

fn deployment() -> J {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent-deployment", "namespace": "ns"},
        "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
          "template": {"spec": {"nodeSelector": {"node-type": "high-performance"},
            "containers": [{"name": "agent", "image": "a:v1",
              "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
              "env": [{"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "agent-secrets", "key": "anthropic-api-key"}}},
                      {"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "agent-secrets", "key": "redis-password"}}}]}]}}}})
}

fn hpa() -> J {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "agent-hpa", "namespace": "ns"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "agent-deployment"}, "minReplicas": 3, "maxReplicas": 5,
          "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}})
}

fn node(name: &str, kind: &str) -> J {
    json!({"metadata": {"name": name, "labels": {"node-type": kind, "kubernetes.io/hostname": name}}})
}

/// A cluster that has everything the render needs.
fn healthy() -> Snapshot {
    Snapshot {
        served: BTreeSet::from(["v1".into(), "apps/v1".into()]),
        api_services: vec![json!({"metadata": {"name": "v1beta1.metrics.k8s.io"},
            "status": {"conditions": [{"type": "Available", "status": "True"}]}})],
        secrets: BTreeMap::from([(
            "agent-secrets".into(),
            Some(BTreeSet::from([
                "anthropic-api-key".into(),
                "redis-password".into(),
            ])),
        )]),
        nodes: vec![node("n1", "high-performance"), node("n2", "general")],
        ..Snapshot::default()
    }
}

fn examine_(snap: &Snapshot) -> Report {
    examine(&[deployment(), hpa()], "ns", snap, &render_with)
}

#[test]
fn a_cluster_with_everything_is_silent() {
    let r = examine_(&healthy());
    assert_eq!(r.findings, vec![], "{r:#?}");
    assert!(r.passed.iter().any(|p| p.detail
        == "Secret agent-secrets has every key the pods read (anthropic-api-key, redis-password)"));
    assert!(
        r.passed
            .iter()
            .any(|p| p.detail == "Deployment agent-deployment: 1 of 2 nodes fit")
    );
}

#[test]
fn a_secret_missing_a_key_names_the_key_and_the_patch_never_a_value() {
    let mut snap = healthy();
    snap.secrets.insert(
        "agent-secrets".into(),
        Some(BTreeSet::from(["anthropic-api-key".into()])),
    );
    let r = examine_(&snap);
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    let f = &r.findings[0];
    assert_eq!(
        (f.check, f.subject.as_str()),
        ("secret", "Secret agent-secrets")
    );
    assert!(
        f.cause.contains("lacks the key redis-password"),
        "{}",
        f.cause
    );
    assert_eq!(
        f.fix,
        vec![
            r#"kubectl patch secret agent-secrets -n ns --type merge -p '{"stringData":{"redis-password":"'"$SECRET_REDIS_PASSWORD"'"}}'"#
        ]
    );
    snap.secrets.insert("agent-secrets".into(), None);
    let f = &examine_(&snap).findings[0];
    assert_eq!(
        f.fix,
        vec![
            r#"kubectl create secret generic agent-secrets --namespace=ns --from-literal=anthropic-api-key="$SECRET_ANTHROPIC_API_KEY" --from-literal=redis-password="$SECRET_REDIS_PASSWORD""#
        ]
    );
}

#[test]
fn no_node_matching_the_selector_and_the_metrics_api_absent() {
    let mut snap = healthy();
    snap.nodes = vec![node("n2", "general")];
    snap.api_services.clear();
    let r = examine_(&snap);
    let checks: Vec<&str> = r.findings.iter().map(|f| f.check).collect();
    assert_eq!(checks, vec!["metrics-api", "nodes"], "{r:#?}");
    assert!(
        r.findings[0]
            .cause
            .starts_with("metrics.k8s.io is not served (no APIService v1beta1.metrics.k8s.io)"),
        "{}",
        r.findings[0].cause
    );
    assert_eq!(
        r.findings[1].fix[0],
        "kubectl label node NODE node-type=high-performance"
    );
    assert_eq!(
        r.findings[1].fix[1],
        "agentctl render -f prod.yaml --set agent.nodeSelector.node-type=null -o OUT"
    );
}

#[test]
fn a_quota_too_small_for_the_next_pod_says_what_to_raise_it_to() {
    let mut snap = healthy();
    snap.workloads = vec![
        json!({"kind": "Deployment", "metadata": {"name": "agent-deployment"}, "status": {"replicas": 3}}),
    ];
    snap.quotas = vec![json!({"metadata": {"name": "agent-quota"},
        "status": {"hard": {"requests.cpu": "2", "pods": "20"}, "used": {"requests.cpu": "1600m", "pods": "3"}}})];
    let r = examine_(&snap);
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    let f = &r.findings[0];
    assert_eq!(f.subject, "ResourceQuota agent-quota");
    assert!(f.cause.starts_with("the next pod does not fit: requests.cpu: one more agent-deployment pod needs 500m, 400m left of 2"), "{}", f.cause);
    // 3 running, max 5 + surge 1: 3 more pods of 500m, 400m left: the hard limit must be 3100m.
    assert_eq!(
        f.fix[1],
        "agentctl render -f prod.yaml --set quota.requestsCpu=3100m -o OUT"
    );
    // Enough for the next pod, not for full scale: headroom, not the next pod.
    snap.quotas[0]["status"]["used"]["requests.cpu"] = json!("1500m");
    let f = &examine_(&snap).findings[0];
    assert!(f.cause.starts_with("no headroom for maximum scale: requests.cpu: agent-deployment at full scale (5 + surge 1, 3 now) needs 1500m more, 500m left of 2"), "{}", f.cause);
}

#[test]
fn pending_pods_are_translated_and_merged() {
    let mut snap = healthy();
    let pending = |n: &str| {
        json!({"metadata": {"name": n, "ownerReferences": [{"kind": "ReplicaSet", "name": "agent-deployment-7c9f"}]},
        "spec": {"nodeSelector": {"node-type": "high-performance"}},
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/16 nodes are available: 16 node(s) didn't match Pod's node affinity/selector. preemption: 0/16 nodes are available: 16 Preemption is not helpful for scheduling."}]}})
    };
    snap.pods = vec![
        pending("agent-deployment-7c9f-a"),
        pending("agent-deployment-7c9f-b"),
    ];
    let r = examine_(&snap);
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    let f = &r.findings[0];
    assert_eq!(
        f.subject,
        "Pod agent-deployment-7c9f-a (Deployment agent-deployment) and 1 more like it"
    );
    assert!(f.cause.starts_with("Pending, not scheduled: 16 nodes lack the labels the pod selects (node-type=high-performance)"), "{}", f.cause);
    assert_eq!(
        f.fix[0],
        "kubectl label node NODE node-type=high-performance"
    );
}

#[test]
fn config_errors_image_pulls_and_oom_kills() {
    let mut snap = healthy();
    let pod = |n: &str, status: J| {
        json!({"metadata": {"name": n},
        "spec": {"containers": [{"name": "agent", "resources": {"limits": {"memory": "512Mi"}}}]},
        "status": {"phase": "Pending", "containerStatuses": [status]}})
    };
    snap.pods = vec![
        pod(
            "p1",
            json!({"name": "agent", "image": "a:v1", "restartCount": 0, "state": {"waiting": {"reason": "CreateContainerConfigError",
            "message": "couldn't find key redis-password in Secret ns/agent-secrets"}}}),
        ),
        pod(
            "p2",
            json!({"name": "agent", "image": "reg/a:nope", "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff",
            "message": "Back-off pulling image \"reg/a:nope\""}}}),
        ),
        pod(
            "p3",
            json!({"name": "agent", "image": "a:v1", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}),
        ),
        pod(
            "p4",
            json!({"name": "agent", "image": "a:v1", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}),
        ),
    ];
    let r = examine_(&snap);
    let got: Vec<(&str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.check, f.fix[0].as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "config-error",
                r#"kubectl patch secret agent-secrets -n ns --type merge -p '{"stringData":{"redis-password":"'"$SECRET_REDIS_PASSWORD"'"}}'"#
            ),
            ("image-pull", "kubectl describe pod p2 -n ns"),
            (
                "oom-killed",
                "agentctl render -f prod.yaml --set agent.resources.limits.memory=1Gi -o OUT"
            ),
            ("crash-loop", "kubectl logs p4 -c agent -n ns --previous"),
        ]
    );
    assert!(
        r.findings[2]
            .cause
            .contains("limit 512Mi (OOMKilled), 4 restarts, now in CrashLoopBackOff"),
        "{}",
        r.findings[2].cause
    );
}

#[test]
fn a_pending_claim_says_why_and_the_cni_is_said_undecidable() {
    let mut snap = healthy();
    snap.claims = vec![
        json!({"metadata": {"name": "data-redis-0"}, "spec": {"storageClassName": "fast", "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "10Gi"}}}, "status": {"phase": "Pending"}}),
    ];
    snap.events = vec![
        json!({"involvedObject": {"kind": "PersistentVolumeClaim", "name": "data-redis-0"}, "reason": "ProvisioningFailed",
        "message": "storageclass.storage.k8s.io \"fast\" not found", "lastTimestamp": "2026-12-06T05:00:00Z"}),
    ];
    snap.system_daemonsets = Some(vec![json!({"metadata": {"name": "kube-proxy"}})]);
    let policy = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny-all", "namespace": "ns"}});
    let r = examine(&[deployment(), hpa(), policy], "ns", &snap, &render_with);
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    assert!(
        r.findings[0]
            .cause
            .starts_with("Pending: its StorageClass fast does not exist"),
        "{}",
        r.findings[0].cause
    );
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0].starts_with("cannot tell whether the NetworkPolicies are enforced"));
}

#[test]
fn a_quota_refusal_event_counts_only_while_a_workload_is_short() {
    let mut snap = healthy();
    snap.events = vec![
        json!({"involvedObject": {"kind": "ReplicaSet", "name": "agent-deployment-6c9"}, "reason": "FailedCreate",
        "message": "Error creating: pods \"agent-deployment-6c9-x\" is forbidden: exceeded quota: agent-quota, requested: limits.memory=2Gi, used: limits.memory=9Gi, limited: limits.memory=10Gi"}),
    ];
    let dep = |available: i64| {
        json!({"kind": "Deployment", "metadata": {"name": "agent-deployment"},
        "spec": {"replicas": 3}, "status": {"replicas": 3, "updatedReplicas": 3, "availableReplicas": available}})
    };
    snap.workloads = vec![dep(3)];
    assert_eq!(
        examine_(&snap).findings,
        vec![],
        "an old event about a finished rollout"
    );
    snap.workloads = vec![dep(2)];
    let r = examine_(&snap);
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    assert_eq!(r.findings[0].subject, "ReplicaSet agent-deployment-6c9");
    assert_eq!(
        r.findings[0].fix,
        vec!["kubectl describe resourcequota agent-quota -n ns"]
    );
}

#[test]
fn anti_affinity_and_spread_count_the_domains_the_nodes_that_fit_offer() {
    use super::capacity::spread_shortfall;
    let zoned = |name: &str, zone: Option<&str>| {
        let mut n = node(name, "general");
        if let Some(z) = zone {
            n["metadata"]["labels"]["topology.kubernetes.io/zone"] = json!(z);
        }
        n
    };
    let nodes = [
        zoned("a1", Some("a")),
        zoned("a2", Some("a")),
        zoned("b1", Some("b")),
    ];
    let fitting: Vec<&J> = nodes.iter().collect();
    let anti = |key: &str| {
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
            [{"topologyKey": key, "labelSelector": {"matchLabels": {"app": "agent"}}}]}}})
    };
    // One pod per node: 3 nodes carry 3 pods, not 4.
    assert!(spread_shortfall(&anti("kubernetes.io/hostname"), &fitting, 3).is_none());
    let short = spread_shortfall(&anti("kubernetes.io/hostname"), &fitting, 4).unwrap();
    let cause = &short.cause;
    assert!(
        cause.contains("one pod per node") && cause.contains("offer only 3"),
        "{cause}"
    );
    assert_eq!(short.set, Some("agent.antiAffinity=preferred"));
    // One pod per zone: two zones.
    let short = spread_shortfall(&anti("topology.kubernetes.io/zone"), &fitting, 3).unwrap();
    let cause = &short.cause;
    assert_eq!(
        short.set, None,
        "agent.antiAffinity is over nodes, not zones"
    );
    assert!(
        cause.contains("one pod per value of node label topology.kubernetes.io/zone")
            && cause.contains("offer only 2"),
        "{cause}"
    );
    // A fitting node without the key is not constrained by the term: no finding.
    let mixed = [zoned("a1", Some("a")), zoned("x", None)];
    let mixed: Vec<&J> = mixed.iter().collect();
    assert!(spread_shortfall(&anti("topology.kubernetes.io/zone"), &mixed, 5).is_none());

    let spread = |when: &str, min_domains: Option<u64>| {
        let mut c = json!({"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": when, "labelSelector": {"matchLabels": {"app": "agent"}}});
        if let Some(m) = min_domains {
            c["minDomains"] = json!(m);
        }
        json!({"topologySpreadConstraints": [c]})
    };
    // Two zones, skew 1: any number of pods can be placed (1/1, 2/1, 2/2, ...).
    assert!(spread_shortfall(&spread("DoNotSchedule", None), &fitting, 9).is_none());
    // minDomains 3 with 2 zones: at most 2 × 1 pods.
    let short = spread_shortfall(&spread("DoNotSchedule", Some(3)), &fitting, 4).unwrap();
    let cause = &short.cause;
    assert!(
        cause.contains("asks for 3 domains") && cause.contains("at most 2 pods"),
        "{cause}"
    );
    assert_eq!(short.set, Some("agent.zoneSpread=preferred"));
    assert!(spread_shortfall(&spread("DoNotSchedule", Some(3)), &fitting, 2).is_none());
    // No node that fits has the zone label: nothing can be placed.
    let bare = [zoned("x", None)];
    let bare: Vec<&J> = bare.iter().collect();
    let short = spread_shortfall(&spread("DoNotSchedule", None), &bare, 1).unwrap();
    assert!(
        short.cause.contains("none of the 1 nodes that fit"),
        "{}",
        short.cause
    );
    assert_eq!(
        short.commands,
        ["kubectl label node NODE topology.kubernetes.io/zone=VALUE"]
    );
    // ScheduleAnyway never keeps a pod Pending.
    assert!(spread_shortfall(&spread("ScheduleAnyway", Some(3)), &bare, 9).is_none());
}

#[test]
fn a_config_map_created_out_of_band_is_checked_with_its_keys() {
    let mut d = deployment();
    d["spec"]["template"]["spec"]["volumes"] = json!([
        {"name": "prompts", "configMap": {"name": "agent-prompts", "items": [{"key": "system.md", "path": "system.md"}]}},
        {"name": "opt", "configMap": {"name": "maybe", "optional": true}},
        {"name": "own", "configMap": {"name": "agent-config"}}]);
    let own = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "agent-config", "namespace": "ns"}});
    let objects = [d, hpa(), own];
    // Neither the optional one nor the one the render creates is a prerequisite.
    assert_eq!(
        out_of_band_config_maps(&objects)
            .into_keys()
            .collect::<Vec<_>>(),
        ["agent-prompts"]
    );
    let mut snap = healthy();
    snap.config_maps.insert("agent-prompts".into(), None);
    let r = examine(&objects, "ns", &snap, &render_with);
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    assert_eq!(r.findings[0].subject, "ConfigMap agent-prompts");
    assert_eq!(
        r.findings[0].fix,
        [
            "kubectl create configmap agent-prompts --namespace=ns --from-file=\"$DIR_AGENT_PROMPTS\""
        ]
    );
    snap.config_maps.insert(
        "agent-prompts".into(),
        Some(BTreeSet::from(["other.md".into()])),
    );
    let r = examine(&objects, "ns", &snap, &render_with);
    assert!(
        r.findings[0].cause.contains("lacks the key system.md"),
        "{r:#?}"
    );
    snap.config_maps.insert(
        "agent-prompts".into(),
        Some(BTreeSet::from(["system.md".into()])),
    );
    let r = examine(&objects, "ns", &snap, &render_with);
    assert_eq!(r.findings, vec![], "{r:#?}");
    assert!(
        r.passed
            .iter()
            .any(|p| p.detail == "ConfigMap agent-prompts exists with every key the pods read")
    );
}

#[test]
fn an_existing_namespace_is_checked_for_the_pod_security_labels_the_render_relies_on() {
    let expect = BTreeMap::from([
        (
            "pod-security.kubernetes.io/enforce".to_owned(),
            "restricted".to_owned(),
        ),
        (
            "pod-security.kubernetes.io/warn".to_owned(),
            "restricted".to_owned(),
        ),
    ]);
    let run = |labels: Option<Option<BTreeMap<String, String>>>| {
        let mut snap = healthy();
        snap.namespace_labels = labels;
        examine_in(
            &[deployment(), hpa()],
            "shared ns",
            &expect,
            &snap,
            &render_with,
        )
    };
    // Carries them: passes.
    let r = run(Some(Some(expect.clone())));
    assert!(r.findings.is_empty(), "{r:#?}");
    assert!(r.passed.iter().any(|p| p.check == "namespace"), "{r:#?}");
    // One label says another level, one is missing: both named, one command sets both.
    let r = run(Some(Some(BTreeMap::from([(
        "pod-security.kubernetes.io/enforce".to_owned(),
        "privileged".to_owned(),
    )]))));
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    let f = &r.findings[0];
    assert!(
        f.cause.contains("enforce=privileged (not restricted)"),
        "{f:#?}"
    );
    assert!(
        f.cause.contains("warn missing (wants restricted)"),
        "{f:#?}"
    );
    assert_eq!(
        f.fix,
        [
            "kubectl label namespace 'shared ns' pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted --overwrite"
        ]
    );
    // Absent: created, then labelled.
    let r = run(Some(None));
    assert_eq!(r.findings[0].fix[0], "kubectl create namespace 'shared ns'");
    // Not readable: a note, no finding.
    let r = run(None);
    assert!(r.findings.is_empty(), "{r:#?}");
    assert!(
        r.notes.iter().any(|n| n.contains("could not be read")),
        "{r:#?}"
    );
    // A render that creates its namespace checks none of this.
    let r = examine(&[deployment(), hpa()], "ns", &healthy(), &render_with);
    assert!(!r.passed.iter().any(|p| p.check == "namespace"));
}

/// The command that adds keys to a Secret, pasted into a real shell: one `-p` argument that is
/// JSON naming each key as it is, each value from its variable (`kubectl` replaced by `printf`).
#[test]
fn the_add_keys_command_is_one_command_with_json_in_a_real_shell() {
    let keys = BTreeSet::from(["redis-password".to_owned(), "x\"y'z$(w)".to_owned()]);
    let cmd = super::prereqs::add_keys("ns;x", "agent-secrets", &keys);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd.replacen("kubectl", "printf '%s\\n'", 1))
        .env("SECRET_REDIS_PASSWORD", "p1")
        .env("SECRET_X_Y_Z__W_", "p2")
        .output()
        .expect("sh");
    assert!(out.status.success(), "{cmd}: {out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let args: Vec<&str> = text.lines().collect();
    assert_eq!(
        args[..6],
        ["patch", "secret", "agent-secrets", "-n", "ns;x", "--type"],
        "{cmd}"
    );
    let patch: J = serde_json::from_str(args[8]).expect("the -p argument is JSON");
    assert_eq!(
        patch,
        json!({"stringData": {"redis-password": "p1", "x\"y'z$(w)": "p2"}}),
        "{cmd}"
    );
}

/// A listed CRD (`crds:`): installed and serving the render's version passes; absent, serving
/// another version, or unreadable is said, each naming the `crds:` entry.
#[test]
fn listed_crds_are_checked_installed_and_serving_the_rendered_version() {
    let crd = ListedCrd {
        name: "triggerauthentications.keda.sh".into(),
        group: "keda.sh".into(),
        kind: "TriggerAuthentication".into(),
        file: "crds/keda auth.yaml".into(),
        listed_at: "agentctl.yaml:7:9".into(),
    };
    let auth = json!({"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
        "metadata": {"name": "redis-auth", "namespace": "ns"}});
    let run = |live: Option<Option<Vec<String>>>| {
        let mut snap = healthy();
        snap.served.insert("keda.sh/v1alpha1".into());
        snap.listed_crds = vec![(crd.clone(), live)];
        examine(
            &[deployment(), hpa(), auth.clone()],
            "ns",
            &snap,
            &render_with,
        )
    };
    let ok = run(Some(Some(vec!["v1alpha1".into()])));
    assert_eq!(ok.findings, vec![], "{ok:#?}");
    assert!(ok.passed.iter().any(|p| p.check == "crd"
        && p.detail == "CustomResourceDefinition triggerauthentications.keda.sh installed (serves v1alpha1)"));
    let absent = run(Some(None));
    assert_eq!(absent.findings.len(), 1, "{absent:#?}");
    let f = &absent.findings[0];
    assert_eq!(f.check, "crd");
    assert!(
        f.cause
            .contains("listed at agentctl.yaml:7:9 is not installed"),
        "{}",
        f.cause
    );
    assert_eq!(
        f.fix,
        [
            "install the operator that owns TriggerAuthentication, or apply its CRD: kubectl apply --server-side -f 'crds/keda auth.yaml'"
        ]
    );
    let other = run(Some(Some(vec!["v1".into()])));
    assert_eq!(other.findings.len(), 1, "{other:#?}");
    assert!(
        other.findings[0]
            .cause
            .contains("serves v1 but the render's TriggerAuthentication objects use v1alpha1")
    );
    let unknown = run(None);
    assert_eq!(unknown.findings, vec![], "{unknown:#?}");
    assert!(
        unknown
            .notes
            .iter()
            .any(|n| n.contains("triggerauthentications.keda.sh: it could not be read"))
    );
}

#[test]
fn with_an_instance_only_its_pods_are_examined_and_its_objects_known_by_name() {
    let mut d = deployment();
    d["metadata"]["name"] = json!("a-agent-deployment");
    d["spec"]["template"]["metadata"] =
        json!({"labels": {"app.kubernetes.io/name": "agent", "app.kubernetes.io/instance": "a"}});
    d["spec"]["template"]["spec"]["nodeSelector"] = json!({"node-type": "gpu"});
    let mut snap = healthy();
    let pod = |n: &str, instance: &str| {
        json!({"metadata": {"name": n, "labels": {"app.kubernetes.io/instance": instance}},
        "spec": {"containers": [{"name": "agent"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "agent", "image": "reg/a:nope",
            "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}})
    };
    // Another agentctl deployment's pod shares the namespace: not this one's to examine.
    snap.pods = vec![
        pod("a-agent-deployment-1-x", "a"),
        pod("b-agent-deployment-1-y", "b"),
    ];
    let r = examine(&[d], "ns", &snap, &render_with);
    let pulls: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.check == "image-pull")
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(pulls, ["Pod a-agent-deployment-1-x"]);
    // The agent Deployment is known under its prefixed name: its setting is the fix.
    let nodes = r
        .findings
        .iter()
        .find(|f| f.check == "nodes")
        .expect("no node fits");
    assert!(
        nodes
            .fix
            .iter()
            .any(|f| f.contains("--set agent.nodeSelector.node-type=null")),
        "{:?}",
        nodes.fix
    );
}

#[test]
fn an_existing_namespace_is_checked_for_its_namespace_labels_too() {
    let mut cfg = crate::config::Config {
        create_namespace: false,
        ..crate::config::Config::default()
    };
    cfg.namespace_labels = BTreeMap::from([
        ("istio-injection".to_owned(), "enabled".to_owned()),
        ("team".to_owned(), "research".to_owned()),
    ]);
    let expect = expected_labels(&cfg);
    assert_eq!(
        expect.get("istio-injection").map(String::as_str),
        Some("enabled")
    );
    assert!(
        expect.contains_key("pod-security.kubernetes.io/enforce"),
        "{expect:?}"
    );
    // The render creates the namespace: nothing to check on a live one.
    let created = crate::config::Config {
        namespace_labels: cfg.namespace_labels.clone(),
        ..crate::config::Config::default()
    };
    assert!(expected_labels(&created).is_empty());
    // A live namespace with the Pod Security labels but a wrong and a missing namespaceLabel:
    // one finding names both, one command sets them.
    let mut live: BTreeMap<String, String> = crate::render::pod_security_labels(&cfg);
    live.insert("istio-injection".to_owned(), "disabled".to_owned());
    let mut snap = healthy();
    snap.namespace_labels = Some(Some(live));
    let r = examine_in(&[deployment(), hpa()], "ns", &expect, &snap, &render_with);
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    let f = &r.findings[0];
    assert!(
        f.cause.contains("istio-injection=disabled (not enabled)"),
        "{f:#?}"
    );
    assert!(f.cause.contains("team missing (wants research)"), "{f:#?}");
    assert_eq!(
        f.fix,
        ["kubectl label namespace ns istio-injection=enabled team=research --overwrite"]
    );
    // All there: passes.
    snap.namespace_labels = Some(Some(expect.clone()));
    let r = examine_in(&[deployment(), hpa()], "ns", &expect, &snap, &render_with);
    assert!(r.findings.is_empty(), "{r:#?}");
}

#[test]
fn a_missing_runtime_class_is_a_finding_and_a_present_one_passes() {
    let mut dep = deployment();
    dep["spec"]["template"]["spec"]["runtimeClassName"] = json!("gvisor");
    let mut snap = healthy();
    snap.runtime_classes.insert("gvisor".into(), false);
    let r = examine(&[dep.clone(), hpa()], "ns", &snap, &render_with);
    let f: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.check == "runtime-class")
        .collect();
    assert_eq!(f.len(), 1, "{:?}", r.findings);
    assert!(
        f[0].cause.contains("RuntimeClass \"gvisor\" not found"),
        "{}",
        f[0].cause
    );
    snap.runtime_classes.insert("gvisor".into(), true);
    let r = examine(&[dep, hpa()], "ns", &snap, &render_with);
    assert!(r.findings.iter().all(|f| f.check != "runtime-class"));
    assert!(r.passed.iter().any(|p| p.check == "runtime-class"));
}
