//! The gallery: per rule, an input that must fire it (negative control) beside the compliant
//! base that must not (positive control).

use serde_json::{Value as J, json};

use super::*;

fn deployment() -> J {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"replicas": 2, "revisionHistoryLimit": 5,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"automountServiceAccountToken": false,
                    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                    "containers": [container("web")]}}}})
}

fn container(name: &str) -> J {
    json!({"name": name, "image": DIGEST,
        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
        "readinessProbe": {"httpGet": {"port": 80}}, "livenessProbe": {"httpGet": {"port": 80}},
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "env": [{"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]})
}

const DIGEST: &str =
    "reg/web:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn deny() -> J {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "ns"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
}

fn others() -> Vec<J> {
    vec![
        deny(),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "namespace": "ns"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "pdb", "namespace": "ns"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": "ns"},
            "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"},
            "data": {"LOG_LEVEL": "info"}}),
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "alerts", "namespace": "ns"},
            "spec": {"groups": [{"name": "g", "rules": [{"alert": "Down", "expr": "up == 0",
                "annotations": {"runbook_url": "https://r/Down"}}]}]}}),
        dns(),
    ]
}

/// The pods `app: web` may look names up (what a Job of theirs needs: AGT136).
fn dns() -> J {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "dns", "namespace": "ns"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}})
}

/// A CronJob whose pods (`app: batch`) only the default deny selects.
fn batch_job() -> J {
    let mut j = backup_job("redis");
    j["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"] = json!({"app": "batch"});
    j
}

/// No typed setting turns anything off.
struct Patched;
impl Provenance for Patched {
    fn intent(&self, _: &Rule, _: &str, _: &[Seg]) -> Option<String> {
        None
    }
}

/// The rules that fire, every opt-in rule on.
fn ids(objects: &[J]) -> Vec<&'static str> {
    let refs: Vec<&J> = objects.iter().collect();
    let mut ids: Vec<&str> = lint(&refs, &Patched).iter().map(|f| f.rule.id).collect();
    ids.dedup();
    ids
}

fn with(change: impl Fn(&mut Vec<J>)) -> Vec<J> {
    let mut all = vec![deployment()];
    all.extend(others());
    change(&mut all);
    all
}

fn set(all: &mut [J], index: usize, pointer: &str, value: J) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let mut here = &mut all[index];
    for k in parent.split('/').skip(1) {
        here = match here {
            J::Array(a) => &mut a[k.parse::<usize>().unwrap()],
            other => other
                .as_object_mut()
                .unwrap()
                .entry(k)
                .or_insert_with(|| json!({})),
        };
    }
    match here {
        J::Array(a) => a[key.parse::<usize>().unwrap()] = value,
        other => {
            other.as_object_mut().unwrap().insert(key.into(), value);
        }
    }
}

/// A policy letting pods of the namespace in to `app: web` on `ports`.
fn allow(ports: J) -> J {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "allow", "namespace": "ns"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {}}], "ports": ports}]}})
}

/// Pinned to zone `a` (one domain), one pod per zone.
fn one_zone_anti_affinity() -> J {
    json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]}]}]}},
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "topology.kubernetes.io/zone", "labelSelector": {"matchLabels": {"app": "web"}}}]}})
}

fn quota(hard: J) -> J {
    json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "ns"},
        "spec": {"hard": hard}})
}

/// A persistent Redis, compliant otherwise.
fn redis() -> J {
    let mut s = deployment();
    s["kind"] = json!("StatefulSet");
    s["metadata"]["name"] = json!("redis");
    s["spec"]["replicas"] = json!(1);
    s["spec"]["serviceName"] = json!("redis-service");
    s["spec"]["selector"] = json!({"matchLabels": {"app": "redis"}});
    s["spec"]["template"]["metadata"]["labels"] = json!({"app": "redis"});
    s["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!(DIGEST.replace("reg/web:v1", "docker.io/library/redis:7.4"));
    s["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]);
    s
}

/// A CronJob that reaches `host` (compliant otherwise).
fn backup_job(host: &str) -> J {
    let d = deployment();
    let mut t = d["spec"]["template"].clone();
    t["spec"]["containers"][0]["env"] = json!([{"name": "REDIS_HOST", "value": host}]);
    json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "ns"},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": t}}}})
}

const C: &str = "/spec/template/spec/containers/0";
const P: &str = "/spec/template/spec";

#[test]
fn the_compliant_base_fires_nothing() {
    assert_eq!(ids(&with(|_| {})), Vec::<&str>::new());
}

#[test]
fn gallery_every_rule_fires_on_its_case() {
    type Case = (&'static str, Box<dyn Fn(&mut Vec<J>)>);
    let cases: Vec<Case> = vec![
        (
            "AGT101",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{C}/securityContext/privileged"),
                    json!(true),
                )
            }),
        ),
        (
            "AGT102",
            Box::new(|a| set(a, 0, &format!("{P}/hostPID"), json!(true))),
        ),
        (
            "AGT103",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{P}/volumes/0"),
                    json!({"name": "d", "hostPath": {"path": "/var/run/docker.sock"}}),
                )
            }),
        ),
        (
            "AGT104",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{C}/ports"),
                    json!([{"containerPort": 80, "hostPort": 80}]),
                );
                a.push(allow(json!([{"port": 80}])));
            }),
        ),
        (
            "AGT105",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{C}/securityContext/procMount"),
                    json!("Unmasked"),
                )
            }),
        ),
        (
            "AGT106",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{C}/securityContext/appArmorProfile"),
                    json!({"type": "Unconfined"}),
                )
            }),
        ),
        (
            "AGT107",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{P}/securityContext/seLinuxOptions"),
                    json!({"type": "spc_t"}),
                )
            }),
        ),
        (
            "AGT108",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{P}/securityContext/sysctls"),
                    json!([{"name": "kernel.msgmax", "value": "1"}]),
                )
            }),
        ),
        (
            "AGT109",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{C}/securityContext/capabilities/add"),
                    json!(["SYS_ADMIN"]),
                )
            }),
        ),
        (
            "AGT110",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{P}/securityContext/runAsNonRoot"),
                    json!(false),
                )
            }),
        ),
        (
            "AGT111",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{P}/securityContext/seccompProfile"),
                    json!({"type": "Unconfined"}),
                )
            }),
        ),
        (
            "AGT112",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{C}/securityContext/allowPrivilegeEscalation"),
                    json!(true),
                )
            }),
        ),
        (
            "AGT120",
            Box::new(|a| set(a, 0, &format!("{C}/readinessProbe"), J::Null)),
        ),
        (
            "AGT121",
            Box::new(|a| set(a, 0, &format!("{C}/resources/limits"), json!({"cpu": "1"}))),
        ),
        (
            "AGT122",
            Box::new(|a| set(a, 0, &format!("{C}/image"), json!("reg:5000/web:latest"))),
        ),
        (
            "AGT123",
            Box::new(|a| set(a, 0, &format!("{C}/imagePullPolicy"), json!("Never"))),
        ),
        (
            "AGT124",
            Box::new(|a| set(a, 0, &format!("{C}/image"), json!("reg:5000/web:v1"))),
        ),
        (
            // A container limit above the LimitRange's maximum.
            "AGT125",
            Box::new(|a| {
                a.push(json!({"apiVersion": "v1", "kind": "LimitRange",
                    "metadata": {"name": "lr", "namespace": "ns"},
                    "spec": {"limits": [{"type": "Container", "max": {"cpu": "500m"}}]}}));
            }),
        ),
        (
            "AGT130",
            Box::new(|a| set(a, 1, "/spec/ingress", json!([{}]))),
        ),
        (
            "AGT131",
            Box::new(|a| {
                set(a, 1, "/spec/policyTypes", json!(["Ingress"]));
                a.retain(|o| o["metadata"]["name"] != "dns");
            }),
        ),
        (
            "AGT132",
            Box::new(|a| set(a, 4, "/spec/selector", json!({"app": "web"}))),
        ),
        (
            "AGT133",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{C}/ports"),
                    json!([{"containerPort": 8080}]),
                )
            }),
        ),
        (
            "AGT134",
            Box::new(|a| a.push(allow(json!([{"port": 9999}])))),
        ),
        (
            "AGT135",
            Box::new(|a| {
                let mut p = allow(json!([]));
                p["spec"]["ingress"][0]["from"] = json!([{"ipBlock": {"cidr": "0.0.0.0/0"}}]);
                a.push(p);
            }),
        ),
        ("AGT136", Box::new(|a| a.push(batch_job()))),
        (
            "AGT140",
            Box::new(|a| set(a, 4, "/spec/type", json!("LoadBalancer"))),
        ),
        (
            "AGT150",
            Box::new(|a| set(a, 2, "/rules/0/resources", json!(["*"]))),
        ),
        (
            "AGT151",
            Box::new(|a| {
                set(
                    a,
                    2,
                    "/rules/0",
                    json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}),
                )
            }),
        ),
        (
            "AGT152",
            Box::new(|a| set(a, 2, "/rules/0/verbs", json!(["get", "impersonate"]))),
        ),
        (
            "AGT153",
            Box::new(|a| {
                a.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": "b", "namespace": "ns"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                    "subjects": [{"kind": "ServiceAccount", "name": "agent", "namespace": "ns"}]}))
            }),
        ),
        (
            "AGT160",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{C}/env/0/valueFrom"),
                    json!({"configMapKeyRef": {"name": "cm", "key": "k"}}),
                )
            }),
        ),
        (
            "AGT161",
            Box::new(|a| {
                set(
                    a,
                    0,
                    &format!("{P}/automountServiceAccountToken"),
                    json!(true),
                )
            }),
        ),
        (
            "AGT170",
            Box::new(|a| {
                set(
                    a,
                    3,
                    "/spec",
                    json!({"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}),
                )
            }),
        ),
        (
            "AGT171",
            Box::new(|a| set(a, 0, "/spec/revisionHistoryLimit", json!(0))),
        ),
        (
            "AGT172",
            Box::new(|a| set(a, 0, &format!("{P}/affinity"), one_zone_anti_affinity())),
        ),
        (
            "AGT173",
            Box::new(|a| a.push(quota(json!({"requests.cpu": "2"})))),
        ),
        ("AGT174", Box::new(|a| a.push(redis()))),
        (
            "AGT175",
            Box::new(|a| {
                set(
                    a,
                    3,
                    "/spec/selector",
                    json!({"matchLabels": {"app": "other"}}),
                )
            }),
        ),
        (
            "AGT176",
            Box::new(|a| {
                a.push(json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
                    "metadata": {"name": "so", "namespace": "ns"},
                    "spec": {"scaleTargetRef": {"name": "web"}, "minReplicaCount": 2, "maxReplicaCount": 4, "triggers": []}}));
            }),
        ),
        (
            "AGT180",
            Box::new(|a| set(a, 6, "/spec/groups/0/rules/0/annotations", json!({}))),
        ),
    ];
    let fired: Vec<&str> = cases.iter().map(|(id, _)| *id).collect();
    let all: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(fired, all, "every rule has its gallery case, in ID order");
    for (id, change) in &cases {
        // An opt-in rule stricter than the case's (a digest beside a moving tag) may fire too.
        let mut got = ids(&with(|a| change(a)));
        got.retain(|g| g == id || !rule(g).is_some_and(|r| r.opt_in));
        assert_eq!(got, [*id], "case {id}");
    }
}

/// AGT135 on each peer of every address or every namespace, and not on narrower ones; a rule
/// AGT130 already reports (every namespace, no ports) is not reported twice.
#[test]
fn ingress_from_anywhere_is_each_open_peer() {
    let fired = |from: J, ports: J| {
        let mut p = allow(ports);
        p["spec"]["ingress"][0]["from"] = from;
        let objects = with(|a| a.push(p.clone()));
        let refs: Vec<&J> = objects.iter().collect();
        lint(&refs, &Patched)
            .into_iter()
            .filter(|f| f.rule.id == "AGT135" || f.rule.id == "AGT130")
            .map(|f| format!("{} {}", f.rule.id, f.path_text()))
            .collect::<Vec<_>>()
    };
    let port = json!([{"port": 80}]);
    assert_eq!(
        fired(
            json!([{"ipBlock": {"cidr": "::/0"}}, {"ipBlock": {"cidr": "10.0.0.0/0", "except": ["10.1.0.0/16"]}},
                {"ipBlock": {"cidr": "10.0.0.0/8"}}, {"ipBlock": {"cidr": "0.0.0.0/1"}}]),
            port.clone()
        ),
        [
            "AGT135 spec.ingress[0].from[0].ipBlock.cidr",
            "AGT135 spec.ingress[0].from[1].ipBlock.cidr"
        ]
    );
    assert_eq!(
        fired(
            json!([{"namespaceSelector": {}}, {"namespaceSelector": {"matchLabels": {}}, "podSelector": {"matchLabels": {"app": "x"}}},
                {"namespaceSelector": {"matchLabels": {"team": "a"}}}, {"podSelector": {}},
                {"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}}]),
            port
        ),
        [
            "AGT135 spec.ingress[0].from[0].namespaceSelector",
            "AGT135 spec.ingress[0].from[1].namespaceSelector"
        ]
    );
    assert_eq!(
        fired(json!([{"namespaceSelector": {}}]), json!([])),
        ["AGT130 spec.ingress[0]"]
    );
}

#[test]
fn init_containers_sidecars_and_every_workload_kind_are_checked() {
    let mut sidecar = container("side");
    sidecar["restartPolicy"] = json!("Always");
    sidecar["securityContext"]["privileged"] = json!(true);
    let got = ids(&with(|a| {
        set(
            a,
            0,
            &format!("{P}/initContainers"),
            json!([sidecar.clone()]),
        )
    }));
    assert_eq!(got, ["AGT101"]);
    let mut side = container("side");
    side["restartPolicy"] = json!("Always");
    side.as_object_mut().unwrap().remove("readinessProbe");
    assert_eq!(
        ids(&with(|a| set(
            a,
            0,
            &format!("{P}/initContainers"),
            json!([side.clone()])
        ))),
        ["AGT120"]
    );
    // A one-shot init container needs no probe.
    let mut init = container("init");
    init.as_object_mut().unwrap().remove("readinessProbe");
    assert!(
        ids(&with(|a| set(
            a,
            0,
            &format!("{P}/initContainers"),
            json!([init.clone()])
        )))
        .is_empty()
    );
    // A CronJob's pod template, three levels down.
    let d = deployment();
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "ns"},
        "spec": {"jobTemplate": {"spec": {"template": d["spec"]["template"].clone()}}}});
    let mut cron_bad = cron.clone();
    cron_bad["spec"]["jobTemplate"]["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    assert!(ids(&[cron, deny(), dns()]).is_empty());
    assert_eq!(ids(&[cron_bad, deny(), dns()]), ["AGT102"]);
}

#[test]
fn the_pdb_reads_the_autoscaler_minimum() {
    let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h", "namespace": "ns"},
        "spec": {"minReplicas": 3, "maxReplicas": 9,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}});
    let pdb = |min: i64| {
        let hpa = hpa.clone();
        move |a: &mut Vec<J>| {
            set(
                a,
                3,
                "/spec",
                json!({"minAvailable": min, "selector": {"matchLabels": {"app": "web"}}}),
            );
            a.push(hpa.clone());
        }
    };
    // replicas 2, but the autoscaler never goes below 3: minAvailable 2 leaves one eviction.
    assert!(ids(&with(pdb(2))).is_empty());
    assert_eq!(ids(&with(pdb(3))), ["AGT170"]);
    // Caused by the autoscaler's minimum: where a patch that raised it is blamed.
    let all = with(pdb(3));
    let refs: Vec<&J> = all.iter().collect();
    let found = lint(&refs, &Typed);
    assert_eq!(
        found[0].causes,
        [(
            "HorizontalPodAutoscaler/h".to_owned(),
            vec![Seg::Key("spec".into()), Seg::Key("minReplicas".into())]
        )]
    );
}

#[test]
fn exposure_is_found_whoever_wrote_it() {
    // No typed setting asks for a LoadBalancer: the finding stands without provenance too.
    let all = with(|a| set(a, 4, "/spec/type", json!("LoadBalancer")));
    let refs: Vec<&J> = all.iter().collect();
    let found = lint(&refs, &Typed);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule.id, "AGT140");
}

#[test]
fn findings_name_the_object_and_path() {
    let all = with(|a| {
        set(
            a,
            0,
            &format!("{C}/securityContext/privileged"),
            json!(true),
        )
    });
    let refs: Vec<&J> = all.iter().collect();
    let f = &lint(&refs, &Typed)[0];
    assert_eq!(f.object, "Deployment/web");
    assert_eq!(
        f.path_text(),
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert!(has_errors(std::slice::from_ref(f)));
}

mod cross;
mod limits;
mod reach;
