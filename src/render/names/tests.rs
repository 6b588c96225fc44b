//! The name rules of patched and extra objects, field by field.

use super::*;
use serde_json::json;

fn paths(o: &J) -> Vec<String> {
    unfit(o)
        .iter()
        .map(|e| PathDisplay(&e.path).to_string())
        .collect()
}

#[test]
fn a_valid_object_has_no_unfit_name() {
    let o = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "agent", "namespace": "ns", "labels": {"app.kubernetes.io/name": "agent"},
                     "annotations": {"note": "anything at all $(x)"}},
        "spec": {"template": {"spec": {
            "serviceAccountName": "agent",
            "imagePullSecrets": [{"name": "regcred"}],
            "containers": [{"name": "agent", "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "agent-secrets", "key": "api.key"}}}],
                            "volumeMounts": [{"name": "cfg", "mountPath": "/x"}]}],
            "volumes": [{"name": "cfg", "secret": {"secretName": "s", "items": [{"key": "ca.crt", "path": "ca"}]}},
                        {"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}}});
    assert_eq!(paths(&o), Vec::<String>::new());
    let rb = json!({"kind": "RoleBinding", "metadata": {"name": "system:x"},
        "roleRef": {"kind": "ClusterRole", "name": "system:aggregate-to-view"},
        "subjects": [{"kind": "User", "name": "Jane Doe"}]});
    assert_eq!(paths(&rb), Vec::<String>::new());
}

#[test]
fn every_reference_is_checked() {
    let evil = "x$(touch canary)";
    let o = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": evil, "namespace": "a b", "labels": {"k": "v;v"}, "annotations": {"a b": "ok"}},
        "spec": {"scaleTargetRef": {"name": evil}, "template": {"spec": {
            "serviceAccountName": evil, "priorityClassName": evil,
            "imagePullSecrets": [{"name": evil}],
            "containers": [{"name": "Agent", "envFrom": [{"secretRef": {"name": evil}}, {"configMapRef": {"name": evil}}],
                "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": evil, "key": "k`id`"}}},
                        {"name": "L", "valueFrom": {"configMapKeyRef": {"name": "ok", "key": "a b"}}}]}],
            "volumes": [{"name": "v", "secret": {"secretName": evil, "items": [{"key": "$(id)", "path": "p"}]}},
                        {"name": "w", "configMap": {"name": evil}},
                        {"name": "x", "persistentVolumeClaim": {"claimName": evil}},
                        {"name": "y", "projected": {"sources": [{"secret": {"name": evil}}]}}]}}}});
    let p = paths(&o);
    for want in [
        "metadata.name",
        "metadata.namespace",
        "metadata.labels.k",
        "metadata.annotations.a b",
        "spec.scaleTargetRef.name",
        "spec.template.spec.serviceAccountName",
        "spec.template.spec.priorityClassName",
        "spec.template.spec.imagePullSecrets[0].name",
        "spec.template.spec.containers[0].name",
        "spec.template.spec.containers[0].envFrom[0].secretRef.name",
        "spec.template.spec.containers[0].envFrom[1].configMapRef.name",
        "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name",
        "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key",
        "spec.template.spec.containers[0].env[1].valueFrom.configMapKeyRef.key",
        "spec.template.spec.volumes[0].secret.secretName",
        "spec.template.spec.volumes[0].secret.items[0].key",
        "spec.template.spec.volumes[1].configMap.name",
        "spec.template.spec.volumes[2].persistentVolumeClaim.claimName",
        "spec.template.spec.volumes[3].projected.sources[0].secret.name",
    ] {
        assert!(p.iter().any(|x| x == want), "{want} not in {p:#?}");
    }
    let e = unfit(&o);
    let name = e
        .iter()
        .find(|e| PathDisplay(&e.path).to_string() == "metadata.name");
    let msg = name.map(|e| e.message.as_str()).unwrap_or_default();
    assert!(msg.starts_with("\"x$(touch canary)\" is not "), "{msg}");
}

#[test]
fn names_follow_their_kind() {
    let svc = json!({"kind": "Service", "metadata": {"name": "1redis"}});
    assert_eq!(paths(&svc), ["metadata.name"]);
    // A subdomain is 253 in all (a long dotless ConfigMap name is valid); a Job's and a
    // CronJob's name are held to what their pods' label and Jobs' suffix leave.
    let long = "a".repeat(205);
    let cm = json!({"kind": "ConfigMap", "metadata": {"name": long}});
    assert!(paths(&cm).is_empty());
    let job = json!({"kind": "Job", "metadata": {"name": "a".repeat(64)}});
    assert_eq!(paths(&job), ["metadata.name"]);
    let cj = json!({"kind": "CronJob", "metadata": {"name": "a".repeat(53)}});
    assert_eq!(paths(&cj), ["metadata.name"]);
    let cj = json!({"kind": "CronJob", "metadata": {"name": "a".repeat(52)}});
    assert!(paths(&cj).is_empty());
    let cm = json!({"kind": "ConfigMap", "metadata": {"name": "a.b"}, "data": {"ok.key": "", "bad key": ""}, "binaryData": {"$(x)": ""}});
    assert_eq!(paths(&cm), ["binaryData.$(x)", "data.bad key"]);
    let rb = json!({"kind": "ClusterRoleBinding", "metadata": {"name": "a/b"},
        "roleRef": {"name": "%"}, "subjects": [{"kind": "ServiceAccount", "name": "A", "namespace": "x y"}]});
    assert_eq!(
        paths(&rb),
        [
            "metadata.name",
            "roleRef.name",
            "subjects[0].name",
            "subjects[0].namespace"
        ]
    );
}

/// Every name or reference field of a pod spec and of the objects around it, with the
/// rule the API server applies (held back from the findings: other secret references,
/// scheduling names, DNS parts, node selectors), set through one object as a patch would.
#[test]
fn every_name_of_a_pod_spec_is_checked_with_its_rule() {
    let evil = "x$(touch canary)";
    let o = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "redis"},
        "spec": {"serviceName": evil, "template": {"spec": {
            "runtimeClassName": evil, "schedulerName": evil, "nodeName": evil,
            "serviceAccount": evil,
            "hostname": "a.b", "subdomain": "Sub",
            "nodeSelector": {"a b": "ok", "zone": "x;y"},
            "schedulingGates": [{"name": "a b"}],
            "resourceClaims": [{"name": "A", "resourceClaimName": evil}],
            "topologySpreadConstraints": [{"topologyKey": "a b", "maxSkew": 1}],
            "containers": [{"name": "c", "volumeDevices": [{"name": "D", "devicePath": "/d"}]}],
            "volumes": [
                {"name": "v", "csi": {"driver": "D!", "nodePublishSecretRef": {"name": evil}}},
                {"name": "w", "cephfs": {"monitors": ["m"], "secretRef": {"name": evil}}},
                {"name": "x", "azureFile": {"secretName": evil, "shareName": "s"}},
                {"name": "y", "projected": {"sources": [{"clusterTrustBundle": {"name": evil, "path": "p"}}]}}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"storageClassName": evil, "volumeName": evil,
                         "dataSource": {"kind": "VolumeSnapshot", "name": evil}}}]}});
    let p = paths(&o);
    for want in [
        "spec.serviceName",
        "spec.template.spec.runtimeClassName",
        "spec.template.spec.schedulerName",
        "spec.template.spec.serviceAccount",
        "spec.template.spec.nodeName",
        "spec.template.spec.hostname",
        "spec.template.spec.subdomain",
        "spec.template.spec.nodeSelector.a b",
        "spec.template.spec.nodeSelector.zone",
        "spec.template.spec.schedulingGates[0].name",
        "spec.template.spec.resourceClaims[0].name",
        "spec.template.spec.resourceClaims[0].resourceClaimName",
        "spec.template.spec.topologySpreadConstraints[0].topologyKey",
        "spec.template.spec.containers[0].volumeDevices[0].name",
        "spec.template.spec.volumes[0].csi.driver",
        "spec.template.spec.volumes[0].csi.nodePublishSecretRef.name",
        "spec.template.spec.volumes[1].cephfs.secretRef.name",
        "spec.template.spec.volumes[2].azureFile.secretName",
        "spec.template.spec.volumes[3].projected.sources[0].clusterTrustBundle.name",
        "spec.volumeClaimTemplates[0].spec.storageClassName",
        "spec.volumeClaimTemplates[0].spec.volumeName",
        "spec.volumeClaimTemplates[0].spec.dataSource.name",
    ] {
        assert!(p.iter().any(|x| x == want), "{want} not in {p:#?}");
    }
    // A label is the rule of a pod's DNS parts: a subdomain's dot is refused there.
    let msg = |path: &str| {
        unfit(&o)
            .into_iter()
            .find(|e| PathDisplay(&e.path).to_string() == path)
            .map(|e| e.message)
            .unwrap_or_default()
    };
    assert!(msg("spec.template.spec.hostname").contains("DNS-1123 label"));
    assert!(msg("spec.template.spec.runtimeClassName").contains("DNS-1123 subdomain"));
    // Valid values, and the empty ones that mean "none", pass.
    let ok = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "runtimeClassName": "gvisor", "schedulerName": "my.scheduler", "hostname": "h-1",
        "subdomain": "", "storageClassName": "", "nodeName": "node-1.example",
        "nodeSelector": {"kubernetes.io/os": "linux", "empty": ""},
        "volumes": [{"name": "v", "csi": {"driver": "secrets-store.csi.k8s.io",
            "nodePublishSecretRef": {"name": "vault.creds"}}}]}});
    assert_eq!(paths(&ok), Vec::<String>::new());
    let sa = json!({"kind": "ServiceAccount", "metadata": {"name": "agent"},
        "secrets": [{"name": evil}], "imagePullSecrets": [{"name": evil}]});
    assert_eq!(paths(&sa), ["imagePullSecrets[0].name", "secrets[0].name"]);
}

/// Ports by name, paths inside volumes, addresses, the OS and environment variable names:
/// each with the API server's rule and words (issue 20's attack: unchecked via patches).
#[test]
fn ports_paths_and_addresses_of_a_pod_spec_are_checked() {
    let o = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"spec": {
            "os": {"name": "plan9"},
            "hostAliases": [{"ip": "10.0.0.300", "hostnames": ["ok.example", "Bad Host"]}],
            "containers": [{"name": "c",
                "ports": [{"name": "much-too-long-name", "containerPort": 80}],
                "env": [{"name": "A=B", "value": "x"}],
                "envFrom": [{"prefix": "P=", "configMapRef": {"name": "cm"}}],
                "readinessProbe": {"httpGet": {"port": "HTTP"}},
                "livenessProbe": {"tcpSocket": {"port": 8080}},
                "volumeMounts": [{"name": "v", "mountPath": "/v", "subPath": "../etc"},
                                 {"name": "w", "mountPath": "/w", "subPathExpr": "/abs"}],
                "volumeDevices": [{"name": "b", "devicePath": "/dev/../x"}]}],
            "volumes": [
                {"name": "v", "configMap": {"name": "cm", "items": [{"key": "k", "path": "/etc/passwd"}]}},
                {"name": "w", "secret": {"secretName": "s", "items": [{"key": "k", "path": "..data"}]}},
                {"name": "x", "projected": {"sources": [
                    {"serviceAccountToken": {"path": "../token"}},
                    {"downwardAPI": {"items": [{"path": "a/../b", "fieldRef": {"fieldPath": "metadata.name"}}]}}]}}]}}}});
    let p = paths(&o);
    let want = [
        "spec.template.spec.containers[0].env[0].name",
        "spec.template.spec.containers[0].envFrom[0].prefix",
        "spec.template.spec.containers[0].ports[0].name",
        "spec.template.spec.containers[0].readinessProbe.httpGet.port",
        "spec.template.spec.containers[0].volumeDevices[0].devicePath",
        "spec.template.spec.containers[0].volumeMounts[0].subPath",
        "spec.template.spec.containers[0].volumeMounts[1].subPathExpr",
        "spec.template.spec.hostAliases[0].hostnames[1]",
        "spec.template.spec.hostAliases[0].ip",
        "spec.template.spec.os.name",
        "spec.template.spec.volumes[0].configMap.items[0].path",
        "spec.template.spec.volumes[1].secret.items[0].path",
        "spec.template.spec.volumes[2].projected.sources[0].serviceAccountToken.path",
        "spec.template.spec.volumes[2].projected.sources[1].downwardAPI.items[0].path",
    ];
    let mut sorted = want.to_vec();
    sorted.sort_unstable();
    assert_eq!(p, sorted);
    let msg = |path: &str| {
        unfit(&o)
            .into_iter()
            .find(|e| PathDisplay(&e.path).to_string() == path)
            .map(|e| format!("{} / {}", e.message, e.hint.unwrap_or_default()))
            .unwrap_or_default()
    };
    assert!(
        msg(want[2]).contains("must be no more than 15 characters"),
        "{}",
        msg(want[2])
    );
    assert!(msg(want[5]).contains("must not contain '..'"));
    assert!(msg(want[6]).contains("must be a relative path"));
    assert!(msg(want[8]).contains("must be a valid IP address"));
    assert!(msg(want[9]).contains("supported values: \"linux\", \"windows\""));
    assert!(msg(want[11]).contains("must not start with '..'"));
    // No DNS name suggested for a path.
    assert!(!msg(want[10]).contains("use e.g."), "{}", msg(want[10]));
    // A Service's port names are DNS labels, its targetPort a port name; valid ones pass.
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"ports": [{"name": "Web", "port": 80, "targetPort": "http--x"},
                           {"name": "metrics-endpoint-long", "port": 81, "targetPort": 8080},
                           {"name": "m", "port": 82, "targetPort": "metrics"}]}});
    assert_eq!(
        paths(&svc),
        ["spec.ports[0].name", "spec.ports[0].targetPort"]
    );
    let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"},
        "spec": {"ingress": [{"ports": [{"port": "Redis"}, {"port": 6379}, {"port": "redis"}]}]}});
    assert_eq!(paths(&np), ["spec.ingress[0].ports[0].port"]);
    let ok = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "os": {"name": "linux"}, "hostAliases": [{"ip": "fe80::1", "hostnames": ["db.local"]}],
        "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 80}],
            "env": [{"name": "lower.case-ok", "value": "v"}], "envFrom": [{"prefix": ""}],
            "volumeMounts": [{"name": "v", "mountPath": "/v", "subPath": "a/b", "subPathExpr": ""}]}],
        "volumes": [{"name": "v", "secret": {"secretName": "s", "items": [{"key": "k", "path": "dir/file..txt"}]}}]}});
    assert_eq!(paths(&ok), Vec::<String>::new());
}

/// Every reference `k8s::refs` reads (what the prerequisites print) is a checked name.
#[test]
fn every_reference_the_prerequisites_print_is_checked() {
    let evil = "a b";
    let o = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"spec": {
            "imagePullSecrets": [{"name": evil}],
            "containers": [{"name": "c",
                "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": evil, "key": evil}}},
                        {"name": "L", "valueFrom": {"configMapKeyRef": {"name": evil, "key": evil}}}],
                "envFrom": [{"secretRef": {"name": evil}}, {"configMapRef": {"name": evil}}]}],
            "volumes": [{"name": "v1", "secret": {"secretName": evil, "items": [{"key": evil, "path": "p"}]}},
                        {"name": "v2", "configMap": {"name": evil, "items": [{"key": evil, "path": "p"}]}},
                        {"name": "v3", "projected": {"sources": [{"secret": {"name": evil}}, {"configMap": {"name": evil}}]}},
                        {"name": "v4", "csi": {"driver": "d", "nodePublishSecretRef": {"name": evil}}},
                        {"name": "v5", "persistentVolumeClaim": {"claimName": evil}}]}}}});
    let refs = crate::k8s::refs::of(std::slice::from_ref(&o));
    let named = refs.secrets.len() + refs.config_maps.len() + refs.claims.len();
    assert!(named > 0 && !refs.pull_secrets.is_empty(), "{refs:?}");
    assert_eq!(paths(&o).len(), 15, "{:#?}", paths(&o));
}
