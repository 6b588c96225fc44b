//! The patch engine against the real `kubectl kustomize`: the same base object and the same
//! `patches:` entry through both, the results equal. Covers strategic merge (containers by
//! name, a new container, `$patch: delete` of an env entry, `$patch: replace` of a list and a
//! map, `null` deleting a key, fields inside list items that do not exist yet, Service ports by
//! `port`, custom-resource lists replaced, finalizers as a set) and JSON 6902. A missing kubectl
//! fails these tests loudly; it never passes them.

use std::process::Command;

use serde_json::{Value as J, json};

use crate::support::{self, Run, agentctl, lib};

/// What `kubectl kustomize` makes of `base` with this one `patches:` entry (a strategic-merge
/// body gets the apiVersion/kind/metadata kustomize insists on).
fn kustomize(base: &J, entry: &J) -> J {
    let tmp = support::tempdir();
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
    let docs = lib::parse_manifests(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(docs.len(), 1);
    docs.into_iter().next().unwrap()
}

fn ours(base: &J, entry: &J) -> J {
    let (selected, obj) = lib::patch(base, entry).unwrap();
    assert_eq!(selected, [0]);
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

// ---------------------------------------------------------------------------------------------
// End to end, from the built binary.

/// The objects of a stream `agentctl render` printed (it must have succeeded).
fn stream_objects(run: &Run) -> Vec<J> {
    assert_eq!(run.code, 0, "agentctl failed: {}", run.stderr);
    lib::parse_manifests(&run.stdout).unwrap()
}

fn find<'a>(objs: &'a [J], kind: &str, name: &str) -> &'a J {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not in the output"))
}

fn env_names(d: &J) -> Vec<String> {
    d["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn patches_accumulate_over_layers_and_a_later_extra_object_replaces_an_earlier_one() {
    let tmp = support::tempdir();
    std::fs::write(
        tmp.path().join("a.yaml"),
        "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      spec: {template: {spec: {containers: [{name: agent, env: [{name: FROM_A, value: a}]}]}}}\nresources:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: prompts}, data: {v: a}}\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("b.yaml"),
        "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      - {op: add, path: /spec/template/spec/containers/0/env/-, value: {name: FROM_B, value: b}}\n  - target: {kind: ConfigMap, name: prompts}\n    patch: {data: {w: b}}\nresources:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: prompts}, data: {v: b}}\n",
    )
    .unwrap();
    let objs = stream_objects(
        &agentctl(["render", "-f", "a.yaml", "-f", "b.yaml"])
            .current_dir(tmp.path())
            .run(),
    );
    let names = env_names(find(&objs, "Deployment", "agent-deployment"));
    assert_eq!(names.first().map(String::as_str), Some("FROM_A"));
    assert_eq!(names.last().map(String::as_str), Some("FROM_B"));
    let cm = find(&objs, "ConfigMap", "prompts");
    assert_eq!(
        cm["data"],
        json!({"v": "b", "w": "b"}),
        "b's object, patched"
    );
    assert_eq!(
        cm["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "agentctl"
    );
    assert_eq!(cm["metadata"]["namespace"], "production-agents");
}

#[test]
fn a_patch_cannot_remove_what_kustomize_would_add_back() {
    // The common labels are kustomization.yaml's: a patch removing one would make the files
    // differ from what kubectl kustomize builds, so they are set again after the patches.
    let tmp = support::tempdir();
    std::fs::write(
        tmp.path().join("p.yaml"),
        "patches:\n  - target: {kind: Service, name: agent-service}\n    patch: {metadata: {labels: {app.kubernetes.io/part-of: null, team: agents}}}\n",
    )
    .unwrap();
    let objs = stream_objects(
        &agentctl(["render", "-f", "p.yaml"])
            .current_dir(tmp.path())
            .run(),
    );
    let labels = &find(&objs, "Service", "agent-service")["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/part-of"], "agent-system");
    assert_eq!(labels["team"], "agents");
}

fn fails(dir: &std::path::Path, file: &str, args: &[&str]) -> String {
    std::fs::write(dir.join("x.yaml"), file).unwrap();
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-f", "x.yaml"]);
    let out = agentctl(&all).current_dir(dir).run();
    assert_eq!(out.code, 2, "expected a failure for:\n{file}");
    out.stderr
}

#[test]
fn extra_objects_are_refused_when_they_cannot_be_what_they_say() {
    let tmp = support::tempdir();
    let d = tmp.path();
    let e = fails(
        d,
        "resources:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: p}}\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: p}}\n",
        &[],
    );
    assert!(
        e.contains("listed twice") && e.contains("x.yaml:3:5"),
        "{e}"
    );
    let e = fails(
        d,
        "resources:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: agent-config}}\n",
        &[],
    );
    assert!(
        e.contains("already rendered") && e.contains("use a patch"),
        "{e}"
    );
    let e = fails(
        d,
        "resources:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: p, namespace: other}}\n",
        &[],
    );
    assert!(e.contains("output's namespace `production-agents`"), "{e}");
    // The target version is the one named (the default 1.27, then 1.30), not the newest known.
    for (args, version) in [(&[][..], "1.27"), (&["--kube-version", "1.30"][..], "1.30")] {
        let e = fails(
            d,
            "resources:\n  - {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}\n",
            args,
        );
        assert!(
            e.contains(&format!("`Widget` (example.com/v1) is neither a built-in kind of Kubernetes {version}, a custom kind agentctl renders, nor the kind of a CRD listed under `crds:`")),
            "{e}"
        );
    }
    // Any built-in kind is accepted (a Job, an EndpointSlice, a Lease: not in agentctl's own
    // table); a cluster-scoped one and a Secret are refused, each with why.
    let ok = "resources:\n  - {apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: leader}}\n  - {apiVersion: v1, kind: PodTemplate, metadata: {name: t}, template: {metadata: {labels: {a: b}}}}\n";
    std::fs::write(d.join("ok.yaml"), ok).expect("write");
    let r = agentctl(["render", "-f", "ok.yaml"]).current_dir(d).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("kind: Lease") && r.stdout.contains("kind: PodTemplate"),
        "{}",
        r.stdout
    );
    let e = fails(
        d,
        "resources:\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: agents-high}, value: 1000}\n",
        &[],
    );
    assert!(e.contains("a PriorityClass is cluster-scoped"), "{e}");
    let e = fails(
        d,
        "resources:\n  - {apiVersion: v1, kind: secret, metadata: {name: s}}\n",
        &[],
    );
    assert!(e.contains("did you mean `kind: Secret`"), "{e}");
    let e = fails(
        d,
        "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: p}\n    dta: {a: b}\n",
        &[],
    );
    assert!(
        e.contains("`dta` is not a field") && e.contains("x.yaml:5:5"),
        "{e}"
    );
    let e = fails(
        d,
        "resources:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: p}, data: {OPENAI_API_KEY: DO-NOT-LEAK}}\n",
        &[],
    );
    assert!(
        e.contains("looks like a credential") && !e.contains("DO-NOT-LEAK"),
        "{e}"
    );
    let e = fails(d, "resources: [prompts.yaml]\n", &[]);
    assert!(e.contains("inline"), "{e}");
}

#[test]
fn patches_are_not_for_set_and_a_patch_applies_to_every_selected_object() {
    let tmp = support::tempdir();
    let out = agentctl(["render", "--set", "patches=[]"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(out.code, 2);
    let e = &out.stderr;
    assert!(e.contains("`patches` cannot be set with --set"), "{e}");

    std::fs::write(
        tmp.path().join("p.yaml"),
        "patches:\n  - target: {kind: NetworkPolicy}\n    patch: {metadata: {annotations: {reviewed-by: sre}}}\n",
    )
    .unwrap();
    let objs = stream_objects(
        &agentctl(["render", "-f", "p.yaml"])
            .current_dir(tmp.path())
            .run(),
    );
    let policies: Vec<&J> = objs
        .iter()
        .filter(|o| o["kind"] == "NetworkPolicy")
        .collect();
    assert!(policies.len() >= 2);
    assert!(
        policies
            .iter()
            .all(|p| p["metadata"]["annotations"]["reviewed-by"] == "sre")
    );
}

/// Patches of one target share its selection until one of them changes what a target reads
/// (a label, a name): the second patch of each file below selects nothing once the first has
/// labelled every object, by a strategic merge or by a JSON 6902 operation.
#[test]
fn a_patch_sees_the_labels_the_patches_before_it_wrote() {
    let tmp = support::tempdir();
    let target = "  - target: {labelSelector: tier!=gone}\n    patch: ";
    for first in [
        "{metadata: {labels: {tier: gone}}}",
        "[{op: add, path: /metadata/labels/tier, value: gone}]",
    ] {
        let e = fails(
            tmp.path(),
            &format!(
                "patches:\n{target}{first}\n{target}{{metadata: {{annotations: {{a: b}}}}}}\n"
            ),
            &[],
        );
        assert!(
            e.contains(
                "patches[1].target: this patch's target {labelSelector: tier!=gone} matches none"
            ),
            "{first}:\n{e}"
        );
        assert!(e.contains("x.yaml:4:13"), "{first}:\n{e}");
    }
}

#[test]
fn a_project_environment_takes_patches_and_its_errors_point_into_the_project_file() {
    let tmp = support::tempdir();
    std::fs::write(
        tmp.path().join("agentctl.yaml"),
        "environments:\n  prod:\n    set:\n      patches:\n        - target: {kind: Deployment, name: agent-deployment}\n          patch: {spec: {template: {spec: {containers: [{name: agent, imagePullPolicyy: Always}]}}}}\n",
    )
    .unwrap();
    let out = agentctl(["render", "--all", "-o", "out"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(out.code, 2);
    let e = &out.stderr;
    assert!(e.contains("agentctl.yaml:6:"), "{e}");
    assert!(e.contains("imagePullPolicyy"), "{e}");
    assert!(!tmp.path().join("out").exists());

    std::fs::write(
        tmp.path().join("agentctl.yaml"),
        "environments:\n  prod:\n    set:\n      patches:\n        - target: {kind: Deployment, name: agent-deployment}\n          patch: {spec: {template: {spec: {containers: [{name: agent, imagePullPolicy: Always}]}}}}\n",
    )
    .unwrap();
    let out = agentctl(["render", "--all", "-o", "out"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Past the 100 errors a run prints, further problems are counted, not built: the count stays
/// exact across the cap (`n` failing patches report `n` times what one reports), the first 100
/// are the ones shown, and nothing is written.
#[test]
fn errors_past_the_printed_cap_are_counted_exactly() {
    let failing = |n: usize| {
        let mut text = String::from("patches:\n");
        for i in 0..n {
            text.push_str("  - target: {labelSelector: app.kubernetes.io/managed-by=agentctl}\n");
            text.push_str(&format!("    patch: {{spec: {{noSuchField{i}: 1}}}}\n"));
        }
        text
    };
    let count = |n: usize| -> (usize, String) {
        let tmp = support::tempdir();
        std::fs::write(tmp.path().join("p.yaml"), failing(n)).unwrap();
        let r = agentctl(["render", "-f", "p.yaml", "-o", "out"])
            .current_dir(tmp.path())
            .run();
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(!tmp.path().join("out").exists(), "written on failure");
        let last = r
            .stderr
            .trim_end()
            .lines()
            .last()
            .unwrap_or_default()
            .to_owned();
        let total = last
            .split(' ')
            .next()
            .unwrap_or_default()
            .parse()
            .unwrap_or(1);
        (total, r.stderr)
    };
    let (one, _) = count(1);
    assert!(one > 1, "one patch fails on several objects");
    let (three, shown) = count(3);
    assert_eq!(three, 3 * one, "{shown}");
    let (many, shown) = count(400);
    assert_eq!(many, 400 * one, "{shown}");
    assert!(
        shown.contains(&format!(
            "{many} errors, the first 100 shown; nothing was written"
        )),
        "{shown}"
    );
    assert_eq!(shown.matches("error: ").count(), 100, "{shown}");
    assert!(shown.contains("noSuchField0"), "the first errors are shown");
    assert!(
        !shown.contains("noSuchField399"),
        "past the cap nothing is built"
    );
}
