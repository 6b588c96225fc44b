//! The patch engine against the real `kubectl kustomize`: the same base object and the same
//! `patches:` entry through both, the results equal. Covers strategic merge (containers by
//! name, a new container, `$patch: delete` of an env entry, `$patch: replace` of a list and a
//! map, `null` deleting a key, fields inside list items that do not exist yet, Service ports by
//! `port`, custom-resource lists replaced, finalizers as a set) and JSON 6902. A missing kubectl
//! fails these tests loudly; it never passes them.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use agentctl::config::patches;
use agentctl::input::yaml;
use std::process::Command;

use serde_json::{Value as J, json};

/// What `kubectl kustomize` makes of `base` with this one `patches:` entry (a strategic-merge
/// body gets the apiVersion/kind/metadata kustomize insists on).
fn kustomize(base: &J, entry: &J) -> J {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("base.yaml"), base.to_string()).unwrap();
    let mut entry = entry.clone();
    if let Some(body @ J::Object(_)) = entry.get_mut("patch") {
        body["apiVersion"] = base["apiVersion"].clone();
        body["kind"] = base["kind"].clone();
        body["metadata"]["name"] = base["metadata"]["name"].clone();
    }
    let patch_text = entry["patch"].to_string();
    entry["patch"] = J::String(patch_text);
    let k = json!({"resources": ["base.yaml"], "patches": [entry]});
    std::fs::write(tmp.path().join("kustomization.yaml"), k.to_string()).unwrap();
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(tmp.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("!!! kubectl is required for this test and could not be run ({e}) !!!")
        });
    assert!(
        out.status.success(),
        "kubectl kustomize failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = yaml::parse_manifests(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(docs.len(), 1);
    docs.into_iter().next().unwrap()
}

fn ours(base: &J, entry: &J) -> J {
    let p = patches::parse(entry).unwrap();
    let mut obj = base.clone();
    assert_eq!(patches::select(&p.target, std::slice::from_ref(&obj)), [0]);
    patches::apply(&mut obj, &p).unwrap();
    obj
}

fn deployment() -> J {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "agent-deployment", "labels": {"app": "agent"}, "finalizers": ["a", "c"]},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "agent"}}, "template": {
            "metadata": {"labels": {"app": "agent"}},
            "spec": {
                "containers": [{
                    "name": "agent", "image": "agent:1", "args": ["a", "b"],
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}],
                    "ports": [{"containerPort": 8000, "name": "http"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    "resources": {"limits": {"cpu": "2", "memory": "2Gi"}}
                }],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "agent-data-pvc"}}],
                "tolerations": [{"key": "a", "operator": "Exists"}],
                "nodeSelector": {"node-type": "x", "zone": "y"},
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}},
                "securityContext": {"runAsNonRoot": true}
            }
        }}
    })
}

#[test]
fn strategic_merge_matches_kubectl_kustomize() {
    let target = json!({"kind": "Deployment", "name": "agent-deployment"});
    let cases = [
        json!({"spec": {"template": {"spec": {
            "nodeSelector": {"zone": null},
            "tolerations": [{"key": "b", "operator": "Exists"}],
            "containers": [
                {"name": "sidecar", "image": "side:1"},
                {"name": "agent",
                 "env": [{"name": "B", "$patch": "delete"}, {"name": "D", "value": "4"}, {"name": "A", "value": "one"}],
                 "ports": [{"containerPort": 9090, "name": "metrics"}],
                 "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
                 "resources": {"limits": {"memory": null}},
                 "args": ["c"]}
            ],
            "volumes": [{"name": "cache", "emptyDir": {}}]
        }}}}),
        json!({"spec": {"template": {"spec": {
            "containers": [{"name": "agent",
                "env": [{"name": "C", "value": "x"}, {"name": "A", "value": "y"}, {"name": "X", "value": "z"}],
                "ports": [{"containerPort": 8000, "name": "web"}],
                "resources": {"$patch": "replace", "requests": {"cpu": "100m"}}}],
            "volumes": [{"$patch": "replace"}, {"name": "only", "emptyDir": {}}]
        }}}}),
        json!({"metadata": {"finalizers": ["b", "a"]}, "spec": {"template": {"spec": {
            "affinity": {"$patch": "delete"},
            "securityContext": null,
            "tolerations": null,
            "initContainers": [{"name": "init", "image": "busybox",
                "env": [{"name": "Q", "value": "1"}, {"name": "Z", "$patch": "delete"}]}],
            "containers": [
                {"name": "agent",
                 "env": [{"name": "NOPE", "$patch": "delete"},
                         {"name": "A", "value": null, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                 "ports": [{"containerPort": 9000, "protocol": "UDP"}]},
                {"name": "ghost", "$patch": "delete"}
            ]
        }}}}),
    ];
    for body in cases {
        let entry = json!({"target": target, "patch": body});
        assert_eq!(
            ours(&deployment(), &entry),
            kustomize(&deployment(), &entry),
            "patch: {body}"
        );
    }
}

#[test]
fn service_ports_and_custom_resources_match_kubectl_kustomize() {
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "agent-service"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8000}, {"name": "grpc", "port": 90, "targetPort": 9000}]}});
    let entry = json!({"target": {"kind": "Service"}, "patch": {"spec": {"ports": [{"name": "http2", "port": 80, "targetPort": 8080}, {"name": "m", "port": 9090}]}}});
    assert_eq!(ours(&svc, &entry), kustomize(&svc, &entry));
    let sm = json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "agent-monitor"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "endpoints": [{"port": "http", "path": "/metrics"}, {"port": "other", "path": "/m2"}]}});
    let entry = json!({"target": {"kind": "ServiceMonitor"}, "patch": {"spec": {"endpoints": [{"port": "other", "path": "/m3"}]}}});
    assert_eq!(ours(&sm, &entry), kustomize(&sm, &entry));
}

#[test]
fn json6902_matches_kubectl_kustomize() {
    let entry = json!({"target": {"kind": "Deployment"}, "patch": [
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "E", "value": "5"}},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/0", "value": {"name": "F", "value": "6"}},
        {"op": "remove", "path": "/spec/template/spec/tolerations"},
        {"op": "copy", "from": "/spec/template/metadata/labels", "path": "/metadata/annotations"},
        {"op": "move", "from": "/spec/template/spec/nodeSelector/zone", "path": "/spec/template/spec/nodeSelector/topology.kubernetes.io~1zone"},
        {"op": "test", "path": "/spec/replicas", "value": 5}
    ]});
    assert_eq!(
        ours(&deployment(), &entry),
        kustomize(&deployment(), &entry)
    );
}
