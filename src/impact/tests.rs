//! The rules, one case per rule, on hand-made objects.

use serde_json::{Value as J, json};

use super::{Change, Class, Impact, Objects, analyze};

fn run(old: Vec<J>, new: Vec<J>) -> Vec<Impact> {
    analyze(&Objects::new(old), &Objects::new(new))
}

fn one(old: J, new: J) -> Impact {
    let mut all = run(vec![old], vec![new]);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.remove(0)
}

fn text(i: &Impact) -> String {
    let mut t: Vec<String> = i.findings.iter().map(|f| f.reason.clone()).collect();
    t.extend(i.fix());
    t.join(" | ")
}

fn deployment(image: &str, cpu: &str) -> J {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "agent-deployment", "namespace": "ns"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "agent"}, "annotations": {"checksum/config": "aaa"}},
                "spec": {
                    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "agent", "image": image,
                        "resources": {"limits": {"cpu": cpu}},
                        "securityContext": {
                            "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                            "capabilities": {"drop": ["ALL"]}
                        }
                    }]
                }
            }
        }
    })
}

fn hpa(min: i64, max: i64) -> J {
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "agent-hpa", "namespace": "ns"},
        "spec": {"minReplicas": min, "maxReplicas": max,
                 "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "agent-deployment"}}
    })
}

fn redis(size: &str, cpu: &str) -> J {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "redis", "namespace": "ns"},
        "spec": {
            "replicas": 1, "serviceName": "redis-service",
            "selector": {"matchLabels": {"app": "redis"}},
            "template": {"metadata": {"labels": {"app": "redis"}},
                         "spec": {"containers": [{"name": "redis", "image": "redis:7", "resources": {"limits": {"cpu": cpu}}}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}]
        }
    })
}

fn pvc(name: &str, class: Option<&str>, size: &str) -> J {
    let mut p = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    });
    if let Some(c) = class {
        p["spec"]["storageClassName"] = json!(c);
    }
    p
}

#[test]
fn equal_quantities_spelled_differently_are_no_change() {
    assert!(
        run(
            vec![deployment("a:1", "2000m")],
            vec![deployment("a:1", "2")]
        )
        .is_empty()
    );
}

#[test]
fn a_pod_template_change_rolls_the_agent_within_its_hpa_bounds() {
    let i = &run(
        vec![deployment("a:1", "2"), hpa(3, 10)],
        vec![deployment("a:1", "4"), hpa(3, 10)],
    )[0];
    assert_eq!(
        (i.change, i.classes()),
        (Change::Update, vec![Class::Rollout])
    );
    let t = text(i);
    assert!(
        t.contains("containers[agent].resources.limits.cpu: 2 → 4"),
        "{t}"
    );
    assert!(
        t.contains("zero-downtime rolling update of 3–10 pods, surge 1"),
        "{t}"
    );
}

#[test]
fn the_configmap_checksum_is_named_as_the_cause() {
    let mut new = deployment("a:1", "2");
    new["spec"]["template"]["metadata"]["annotations"]["checksum/config"] = json!("bbb");
    let i = one(deployment("a:1", "2"), new);
    assert_eq!(i.classes(), [Class::Rollout]);
    assert!(
        text(&i).contains("ConfigMap checksum annotation (checksum/config)"),
        "{}",
        text(&i)
    );
    assert!(
        text(&i).contains("rolling update of 1 pod, surge 1"),
        "{}",
        text(&i)
    );
}

#[test]
fn a_selector_change_must_be_recreated() {
    let mut new = deployment("a:1", "2");
    new["spec"]["selector"]["matchLabels"]["tier"] = json!("web");
    new["spec"]["template"]["metadata"]["labels"]["tier"] = json!("web");
    let i = one(deployment("a:1", "2"), new);
    assert_eq!(i.classes(), [Class::Recreate]);
    assert!(
        text(&i).contains("kubectl delete deployment agent-deployment -n ns --cascade=orphan"),
        "{}",
        text(&i)
    );
}

#[test]
fn redis_restarts_on_a_template_change() {
    let i = one(redis("10Gi", "1"), redis("10Gi", "2"));
    assert_eq!(i.classes(), [Class::Rollout]);
    assert!(
        text(&i)
            .contains("Redis restarts: the agent loses its cache/state connection for the restart")
    );
}

#[test]
fn a_claim_template_change_is_rejected_and_does_not_roll() {
    let i = one(redis("10Gi", "1"), redis("20Gi", "2"));
    assert_eq!(i.classes(), [Class::Recreate]);
    let t = text(&i);
    assert!(
        t.contains("volumeClaimTemplates[data].spec.resources.requests.storage: 10Gi → 20Gi"),
        "{t}"
    );
    assert!(
        t.contains("kubectl delete statefulset redis -n ns --cascade=orphan"),
        "{t}"
    );
    assert!(t.contains("data-redis-0"), "{t}");
    assert!(
        t.contains("redis-0 keeps running (orphaned, no restart)"),
        "{t}"
    );
    assert!(
        t.contains("then redis-0 is replaced on the new template: Redis restarts"),
        "{t}"
    );
}

#[test]
fn scaling_a_statefulset_is_in_place() {
    let mut new = redis("10Gi", "1");
    new["spec"]["replicas"] = json!(2);
    let i = one(redis("10Gi", "1"), new);
    // In place; and with two pods and no PodDisruptionBudget, lint's AGT175 now fires (a drain
    // may evict both), which a reviewer should see: security, as every newly firing rule.
    assert_eq!(i.classes(), [Class::InPlace, Class::Security]);
    assert!(text(&i).contains("lint AGT175"), "{}", text(&i));
}

#[test]
fn a_claims_class_or_shrink_is_rejected_and_replacing_it_loses_data() {
    let i = one(
        pvc("agent-data-pvc", None, "10Gi"),
        pvc("agent-data-pvc", Some("fast"), "10Gi"),
    );
    assert_eq!(i.classes(), [Class::Recreate, Class::DataLoss]);
    assert!(
        text(&i).contains("spec.storageClassName: (none) → fast"),
        "{}",
        text(&i)
    );
    let i = one(
        pvc("agent-data-pvc", None, "10Gi"),
        pvc("agent-data-pvc", None, "5Gi"),
    );
    assert_eq!(i.classes(), [Class::Recreate, Class::DataLoss]);
    assert!(text(&i).contains("cannot shrink"));
    // Growth depends on the class: in place when it allows expansion.
    assert!(
        run(
            vec![pvc("a", None, "10Gi")],
            vec![pvc("a", None, "10240Mi")]
        )
        .is_empty()
    );
    let i = one(
        pvc("agent-data-pvc", None, "10Gi"),
        pvc("agent-data-pvc", None, "20Gi"),
    );
    assert_eq!(i.classes(), [Class::InPlace]);
    assert!(
        text(&i).contains("it depends on the default StorageClass"),
        "{}",
        text(&i)
    );
}

#[test]
fn deleting_a_claim_or_its_namespace_loses_data() {
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}});
    let all = run(
        vec![ns, pvc("redis-backup-pvc", None, "1Gi"), redis("1Gi", "1")],
        vec![],
    );
    assert_eq!(all.len(), 1, "folded into the namespace: {all:#?}");
    assert_eq!(all[0].classes(), [Class::DataLoss]);
    let t = text(&all[0]);
    assert!(
        t.contains("Redis backups") && t.contains("data-redis-0"),
        "{t}"
    );
    let all = run(vec![pvc("redis-backup-pvc", None, "1Gi")], vec![]);
    assert_eq!(
        (all[0].change, all[0].classes()),
        (Change::Delete, vec![Class::DataLoss])
    );
}

#[test]
fn rbac_widening_and_roleref_changes() {
    let role = |verbs: &[&str], resources: &[&str]| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
               "metadata": {"name": "agent", "namespace": "ns"},
               "rules": [{"apiGroups": [""], "resources": resources, "verbs": verbs}]})
    };
    let i = one(
        role(&["get"], &["configmaps"]),
        role(&["get", "list"], &["configmaps", "secrets"]),
    );
    assert_eq!(i.classes(), [Class::InPlace, Class::Security]);
    assert!(text(&i).contains("list secrets (core)"), "{}", text(&i));
    let i = one(
        role(&["*"], &["configmaps"]),
        role(&["get"], &["configmaps"]),
    );
    assert_eq!(
        i.classes(),
        [Class::InPlace],
        "narrowing is not a security finding"
    );
    let binding = |role: &str| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "agent", "namespace": "ns"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
               "subjects": [{"kind": "ServiceAccount", "name": "agent", "namespace": "ns"}]})
    };
    let i = one(binding("agent"), binding("admin"));
    assert!(i.classes().contains(&Class::Recreate));
    assert!(
        text(&i).contains("kubectl delete rolebinding agent -n ns"),
        "{}",
        text(&i)
    );
}

fn policy(egress: J) -> J {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": "p", "namespace": "ns"},
           "spec": {"podSelector": {"matchLabels": {"app": "agent"}},
                    "policyTypes": ["Ingress", "Egress"], "egress": egress}})
}

#[test]
fn network_policies_opened_are_security_findings() {
    let block =
        |cidr: &str, ports: J| json!([{"to": [{"ipBlock": {"cidr": cidr}}], "ports": ports}]);
    let https = json!([{"port": 443, "protocol": "TCP"}]);
    // Widened block.
    let i = one(
        policy(block("10.0.0.0/16", https.clone())),
        policy(block("10.0.0.0/8", https.clone())),
    );
    assert_eq!(i.classes(), [Class::InPlace, Class::Security]);
    assert!(
        text(&i).contains("egress opened: to 10.0.0.0/8 on 443/TCP"),
        "{}",
        text(&i)
    );
    // Narrowed block: not a finding.
    let i = one(
        policy(block("10.0.0.0/8", https.clone())),
        policy(block("10.1.0.0/16", https.clone())),
    );
    assert_eq!(i.classes(), [Class::InPlace]);
    // A port added.
    let both = json!([{"port": 443, "protocol": "TCP"}, {"port": 22, "protocol": "TCP"}]);
    let i = one(
        policy(block("10.0.0.0/8", https.clone())),
        policy(block("10.0.0.0/8", both)),
    );
    assert!(i.classes().contains(&Class::Security));
    // All ports.
    let i = one(
        policy(block("10.0.0.0/8", https.clone())),
        policy(block("10.0.0.0/8", json!([]))),
    );
    assert!(text(&i).contains("on all ports"), "{}", text(&i));
    // Deleted while its pods remain.
    let all = run(
        vec![policy(json!([])), deployment("a:1", "1")],
        vec![deployment("a:1", "1")],
    );
    assert_eq!(all[0].classes(), [Class::Security]);
    // Deleted with its pods: nothing opens.
    let all = run(vec![policy(json!([])), deployment("a:1", "1")], vec![]);
    assert!(
        all.iter().all(|i| !i.classes().contains(&Class::Security)),
        "{all:#?}"
    );
}

#[test]
fn hardening_relaxed_is_a_security_finding() {
    let mut new = deployment("a:1", "2");
    let c = &mut new["spec"]["template"]["spec"]["containers"][0]["securityContext"];
    c["privileged"] = json!(true);
    c["allowPrivilegeEscalation"] = json!(true);
    c["readOnlyRootFilesystem"] = json!(false);
    c["capabilities"] = json!({"add": ["NET_ADMIN"]});
    c["runAsNonRoot"] = json!(false);
    new["spec"]["template"]["spec"]["securityContext"]
        .as_object_mut()
        .unwrap()
        .remove("seccompProfile");
    let i = one(deployment("a:1", "2"), new);
    assert_eq!(i.classes(), [Class::Rollout, Class::Security]);
    let t = text(&i);
    for what in [
        "privileged: true",
        "allowPrivilegeEscalation: false → true",
        "readOnlyRootFilesystem no longer true",
        "capabilities added: NET_ADMIN",
        "capabilities no longer drop ALL",
        "runAsNonRoot no longer true",
        "seccomp profile removed",
    ] {
        assert!(t.contains(what), "{what}: {t}");
    }
}

#[test]
fn an_image_moved_from_a_digest_to_a_tag() {
    let i = one(
        deployment("reg/a@sha256:0123", "2"),
        deployment("reg/a:v2", "2"),
    );
    assert_eq!(i.classes(), [Class::Rollout, Class::Security]);
    assert!(text(&i).contains("image moved from a digest to a tag"));
    let i = one(
        deployment("reg/a:v1", "2"),
        deployment("reg/a@sha256:0123", "2"),
    );
    assert_eq!(i.classes(), [Class::Rollout]);
}

#[test]
fn pod_security_labels_loosened() {
    let ns = |level: &str| {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "ns", "labels": {"pod-security.kubernetes.io/enforce": level}}})
    };
    let i = one(ns("restricted"), ns("baseline"));
    assert_eq!(i.classes(), [Class::InPlace, Class::Security]);
    assert!(text(&i).contains("Pod Security enforce loosened: restricted → baseline"));
    assert_eq!(
        one(ns("baseline"), ns("restricted")).classes(),
        [Class::InPlace]
    );
}

#[test]
fn services_jobs_cronjobs_and_immutable_configmaps() {
    let svc = |ip: Option<&str>, kind: &str| {
        let mut s = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "ns"},
                           "spec": {"type": kind, "ports": [{"port": 80}]}});
        if let Some(ip) = ip {
            s["spec"]["clusterIP"] = json!(ip);
        }
        s
    };
    assert_eq!(
        one(svc(Some("None"), "ClusterIP"), svc(None, "ClusterIP")).classes(),
        [Class::Recreate]
    );
    assert_eq!(
        one(svc(None, "ClusterIP"), svc(None, "LoadBalancer")).classes(),
        [Class::InPlace, Class::Security]
    );
    let job = |image: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "ns"},
               "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}})
    };
    assert_eq!(one(job("a:1"), job("a:2")).classes(), [Class::Recreate]);
    let cron = |image: &str| {
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "ns"},
               "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {
                   "containers": [{"name": "c", "image": image}]}}}}}})
    };
    assert_eq!(one(cron("a:1"), cron("a:2")).classes(), [Class::InPlace]);
    let cm = |v: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"},
               "immutable": true, "data": {"k": v}})
    };
    assert_eq!(one(cm("a"), cm("b")).classes(), [Class::Recreate]);
}

#[test]
fn the_kustomization_namespace_keys_objects_without_one() {
    let side = |objects: &str| {
        let files = [
            (
                "kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ns\nresources: [pvc.yaml]\n",
            ),
            ("pvc.yaml", objects),
        ];
        super::read_side(
            files,
            &[],
            &mut Vec::new(),
            &mut Vec::new(),
            &mut crate::config::credentials::Redactor::default(),
        )
    };
    let spec = "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}";
    let bare = side(&format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: x}}\n{spec}\n"
    ));
    let other = side(&format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: x, namespace: other}}\n{spec}\n"
    ));
    let there = side(&format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: x, namespace: ns}}\n{spec}\n"
    ));
    assert!(analyze(&bare, &there).is_empty());
    // kustomize overrides a namespace the object names.
    assert!(analyze(&other, &there).is_empty());
}
