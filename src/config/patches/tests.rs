use super::*;
use serde_json::json;

fn deployment() -> J {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "agent-deployment", "namespace": "production-agents", "labels": {"app": "agent"}},
        "spec": {
            "replicas": 3,
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "containers": [{
                        "name": "agent",
                        "image": "agent:1",
                        "args": ["a", "b"],
                        "env": [
                            {"name": "A", "value": "1"},
                            {"name": "B", "value": "2"},
                            {"name": "C", "value": "3"}
                        ],
                        "ports": [{"containerPort": 8000, "name": "http"}],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        "resources": {"limits": {"cpu": "2", "memory": "2Gi"}}
                    }],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "agent-data-pvc"}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                    "nodeSelector": {"node-type": "x", "zone": "y"}
                }
            }
        }
    })
}

fn smp(body: J) -> Patch {
    parse(&json!({"target": {"kind": "Deployment", "name": "agent-deployment"}, "patch": body}))
        .unwrap()
}

fn patched(body: J) -> J {
    let mut d = deployment();
    apply(&mut d, &smp(body)).unwrap();
    d
}

fn pod(d: &J) -> &J {
    d.pointer("/spec/template/spec").unwrap()
}

fn names(list: &J) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| key_text(i.get("name").unwrap()))
        .collect()
}

fn container(body: J) -> J {
    json!({"spec": {"template": {"spec": {"containers": [body]}}}})
}

#[test]
fn a_container_merges_by_name() {
    let d = patched(container(json!({"name": "agent", "image": "agent:2"})));
    let c = &pod(&d)["containers"];
    assert_eq!(names(c), ["agent"]);
    assert_eq!(c[0]["image"], "agent:2");
    assert_eq!(c[0]["args"], json!(["a", "b"]), "untouched fields stay");
}

#[test]
fn a_new_container_comes_first_as_kustomize_orders_it() {
    let d = patched(container(json!({"name": "sidecar", "image": "side:1"})));
    assert_eq!(names(&pod(&d)["containers"]), ["sidecar", "agent"]);
}

#[test]
fn env_entry_deleted_with_patch_delete_and_order_is_patch_first() {
    let d = patched(container(json!({"name": "agent", "env": [
        {"name": "B", "$patch": "delete"},
        {"name": "D", "value": "4"},
        {"name": "A", "value": "one"}
    ]})));
    let env = &pod(&d)["containers"][0]["env"];
    assert_eq!(names(env), ["D", "A", "C"]);
    assert_eq!(env[1]["value"], "one");
}

#[test]
fn deleting_an_item_that_is_not_there_is_a_no_op() {
    let d = patched(container(
        json!({"name": "agent", "env": [{"name": "NOPE", "$patch": "delete"}]}),
    ));
    assert_eq!(names(&pod(&d)["containers"][0]["env"]), ["A", "B", "C"]);
}

#[test]
fn patch_replace_item_replaces_the_whole_list() {
    let d = patched(json!({"spec": {"template": {"spec": {"volumes": [
        {"$patch": "replace"},
        {"name": "only", "emptyDir": {}}
    ]}}}}));
    assert_eq!(
        pod(&d)["volumes"],
        json!([{"name": "only", "emptyDir": {}}])
    );
}

#[test]
fn patch_replace_on_a_map_replaces_it() {
    let d = patched(container(
        json!({"name": "agent", "resources": {"$patch": "replace", "requests": {"cpu": "100m"}}}),
    ));
    assert_eq!(
        pod(&d)["containers"][0]["resources"],
        json!({"requests": {"cpu": "100m"}})
    );
}

#[test]
fn patch_delete_on_a_map_removes_it() {
    let d =
        patched(json!({"spec": {"template": {"spec": {"nodeSelector": {"$patch": "delete"}}}}}));
    assert!(pod(&d).get("nodeSelector").is_none());
}

#[test]
fn null_deletes_a_map_key() {
    let d = patched(
        json!({"spec": {"template": {"spec": {"nodeSelector": {"zone": null}, "tolerations": null}}}}),
    );
    assert_eq!(pod(&d)["nodeSelector"], json!({"node-type": "x"}));
    assert!(pod(&d).get("tolerations").is_none());
}

#[test]
fn null_inside_a_list_item_deletes_its_field() {
    let d = patched(container(json!({"name": "agent", "env": [
        {"name": "A", "value": null, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    ]})));
    assert_eq!(
        pod(&d)["containers"][0]["env"][0],
        json!({"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
    );
}

#[test]
fn a_field_inside_a_list_item_that_does_not_exist_yet() {
    // The init container does not exist: it is created, with its nested env list, and
    // directives inside it are resolved (a delete of nothing disappears).
    let d = patched(json!({"spec": {"template": {"spec": {"initContainers": [{
        "name": "init", "image": "busybox",
        "env": [{"name": "Q", "value": "1"}, {"name": "Z", "$patch": "delete"}],
        "securityContext": {"runAsUser": null, "runAsNonRoot": true}
    }]}}}}));
    assert_eq!(
        pod(&d)["initContainers"],
        json!([{"name": "init", "image": "busybox", "env": [{"name": "Q", "value": "1"}], "securityContext": {"runAsNonRoot": true}}])
    );
}

#[test]
fn container_ports_merge_by_container_port_and_mounts_by_mount_path() {
    let d = patched(container(json!({"name": "agent",
        "ports": [{"containerPort": 8000, "name": "web"}, {"containerPort": 9090, "name": "metrics"}],
        "volumeMounts": [{"name": "data2", "mountPath": "/data"}]
    })));
    let c = &pod(&d)["containers"][0];
    assert_eq!(
        c["ports"],
        json!([{"containerPort": 8000, "name": "web"}, {"containerPort": 9090, "name": "metrics"}])
    );
    assert_eq!(
        c["volumeMounts"],
        json!([{"name": "data2", "mountPath": "/data"}])
    );
}

#[test]
fn lists_without_a_merge_key_are_replaced() {
    let d = patched(json!({"spec": {"template": {"spec": {
        "tolerations": [{"key": "b", "operator": "Exists"}],
        "containers": [{"name": "agent", "args": ["c"]}]
    }}}}));
    assert_eq!(
        pod(&d)["tolerations"],
        json!([{"key": "b", "operator": "Exists"}])
    );
    assert_eq!(pod(&d)["containers"][0]["args"], json!(["c"]));
}

#[test]
fn custom_resource_lists_are_replaced_and_service_ports_merge_by_port() {
    let mut sm = json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"},
        "spec": {"endpoints": [{"port": "http", "path": "/metrics"}, {"port": "other"}]}});
    let p = parse(&json!({"target": {"kind": "ServiceMonitor"}, "patch": {"spec": {"endpoints": [{"port": "other", "path": "/m3"}]}}})).unwrap();
    apply(&mut sm, &p).unwrap();
    assert_eq!(
        sm["spec"]["endpoints"],
        json!([{"port": "other", "path": "/m3"}])
    );

    let mut svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8000}, {"name": "grpc", "port": 90}]}});
    let p = parse(&json!({"target": {"kind": "Service"}, "patch": {"spec": {"ports": [{"name": "http2", "port": 80, "targetPort": 8080}]}}})).unwrap();
    apply(&mut svc, &p).unwrap();
    assert_eq!(
        svc["spec"]["ports"],
        json!([{"name": "http2", "port": 80, "targetPort": 8080}, {"name": "grpc", "port": 90}])
    );
}

#[test]
fn an_item_without_its_merge_key_is_a_located_error() {
    let mut d = deployment();
    let e = apply(&mut d, &smp(container(json!({"image": "nokey"})))).unwrap_err();
    assert_eq!(
        PathDisplay(&e.path).to_string(),
        "patch.spec.template.spec.containers[0]"
    );
    assert!(e.message.contains("has no `name`"), "{}", e.message);
}

#[test]
fn unsupported_and_unknown_directives_are_errors() {
    let mut d = deployment();
    let e = apply(&mut d, &smp(json!({"spec": {"$retainKeys": ["replicas"]}}))).unwrap_err();
    assert_eq!(PathDisplay(&e.path).to_string(), "patch.spec.$retainKeys");
    let e = apply(&mut d, &smp(json!({"spec": {"$patch": "remove"}}))).unwrap_err();
    assert!(e.message.contains("unknown directive"), "{}", e.message);
}

#[test]
fn changes_name_the_patch_line_by_merge_key() {
    let mut d = deployment();
    let ch = apply(
        &mut d,
        &smp(container(json!({"name": "sidecar", "image": "s"}))),
    )
    .unwrap();
    assert_eq!(ch.len(), 1);
    assert_eq!(
        PathDisplay(&ch[0].object_path).to_string(),
        "spec.template.spec.containers[name=sidecar]"
    );
    assert_eq!(
        PathDisplay(&ch[0].patch_path).to_string(),
        "patch.spec.template.spec.containers[0]"
    );
}

#[test]
fn a_dropped_field_is_located_in_the_patch() {
    let p = smp(json!({"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "s", "ports": [{"containerPort": 1, "nmae": "x"}]},
        {"name": "agent", "imagePullPolicyy": "Always"}
    ]}}}}));
    let mut d = deployment();
    let ch = apply(&mut d, &p).unwrap();
    // As a round trip reports them: indices into the patched object.
    let at = locate(
        &d,
        &p,
        &ch,
        &[
            key("spec"),
            key("template"),
            key("spec"),
            key("containers"),
            Seg::Index(1),
            key("imagePullPolicyy"),
        ],
    );
    assert_eq!(
        PathDisplay(&at).to_string(),
        "patch.spec.template.spec.containers[1].imagePullPolicyy"
    );
    let at = locate(
        &d,
        &p,
        &ch,
        &[
            key("spec"),
            key("template"),
            key("spec"),
            key("containers"),
            Seg::Index(0),
            key("ports"),
            Seg::Index(0),
            key("nmae"),
        ],
    );
    assert_eq!(
        PathDisplay(&at).to_string(),
        "patch.spec.template.spec.containers[0].ports[0].nmae"
    );
}

#[test]
fn json6902_ops_apply_and_are_located() {
    let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "E", "value": "5"}},
        {"op": "remove", "path": "/spec/template/spec/tolerations"}
    ]})).unwrap();
    let mut d = deployment();
    let ch = apply(&mut d, &p).unwrap();
    assert_eq!(d["spec"]["replicas"], 5);
    assert_eq!(
        names(&pod(&d)["containers"][0]["env"]),
        ["A", "B", "C", "E"]
    );
    assert!(pod(&d).get("tolerations").is_none());
    assert_eq!(
        PathDisplay(&ch[1].object_path).to_string(),
        "spec.template.spec.containers[name=agent].env[name=E]"
    );
    assert_eq!(PathDisplay(&ch[1].patch_path).to_string(), "patch[1].value");
    assert!(ch[2].removed);
}

#[test]
fn a_bad_json_pointer_names_the_missing_step_with_a_suggestion() {
    let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [
        {"op": "add", "path": "/spec/template/spec/containers/0/evn/-", "value": {"name": "E"}}
    ]}))
    .unwrap();
    let e = apply(&mut deployment(), &p).unwrap_err();
    assert_eq!(PathDisplay(&e.path).to_string(), "patch[0].path");
    assert!(e.message.contains("has no `evn`"), "{}", e.message);
    assert_eq!(
        e.hint.as_deref(),
        Some("did you mean `/spec/template/spec/containers/0/env`?")
    );
    // Not a pointer at all.
    let e = parse(&json!({"target": {"kind": "Deployment"}, "patch": [{"op": "remove", "path": "spec.replicas"}]})).unwrap_err();
    assert_eq!(PathDisplay(&e.path).to_string(), "patch[0].path");
    assert_eq!(e.hint.as_deref(), Some("write `/spec/replicas`"));
}

#[test]
fn malformed_operations_are_located() {
    let t = json!({"kind": "Deployment"});
    for (op, at, needle) in [
        (
            json!({"op": "ad", "path": "/a", "value": 1}),
            "patch[0].op",
            "did you mean `add`",
        ),
        (
            json!({"op": "add", "path": "/a"}),
            "patch[0]",
            "needs `value`",
        ),
        (
            json!({"op": "remove", "path": "/a", "value": 1}),
            "patch[0].value",
            "unknown key",
        ),
        (json!({"path": "/a"}), "patch[0]", "needs `op`"),
        (json!("add /a"), "patch[0]", "must be a map"),
    ] {
        let e = parse(&json!({"target": t, "patch": [op]})).unwrap_err();
        assert_eq!(PathDisplay(&e.path).to_string(), at);
        assert!(
            format!("{} {:?}", e.message, e.hint).contains(needle),
            "{e:?}"
        );
    }
}

#[test]
fn entry_shape_errors() {
    let e = parse(&json!({"patch": {"spec": {"replicas": 2}}})).unwrap_err();
    assert!(e.message.contains("without `target:`"), "{}", e.message);
    let e = parse(&json!({"patch": [{"op": "remove", "path": "/spec"}]})).unwrap_err();
    assert!(e.message.contains("needs `target:`"));
    let e = parse(&json!({"targte": {}, "patch": {}})).unwrap_err();
    assert_eq!(
        e.hint
            .as_deref()
            .map(|h| h.starts_with("did you mean `target`")),
        Some(true)
    );
    let e =
        parse(&json!({"target": {"kind": "Deployment", "nmae": "x"}, "patch": {}})).unwrap_err();
    assert_eq!(PathDisplay(&e.path).to_string(), "target.nmae");
    let e = parse(&json!({"target": {"kind": "Deployment"}, "patch": "spec: {}"})).unwrap_err();
    assert!(e.message.contains("must be a map"));
}

#[test]
fn target_from_the_body_and_selection() {
    let p = parse(&json!({"patch": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent-deployment"}}})).unwrap();
    let objs = vec![
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "agent-service"}}),
        deployment(),
    ];
    assert_eq!(select(&p.target, &objs), [1]);
    let p = parse(
        &json!({"target": {"kind": "Deployment", "labelSelector": "app=agent"}, "patch": {}}),
    )
    .unwrap();
    assert_eq!(select(&p.target, &objs), [1]);
    let p = parse(
        &json!({"target": {"kind": "Deployment", "labelSelector": "app!=agent"}, "patch": {}}),
    )
    .unwrap();
    assert!(select(&p.target, &objs).is_empty());
}

#[test]
fn no_match_suggests_the_nearest_object() {
    let objs = vec![
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "agent-service"}}),
        deployment(),
    ];
    let p =
        parse(&json!({"target": {"kind": "Deployment", "name": "agent-deploymnet"}, "patch": {}}))
            .unwrap();
    let e = no_match(&p, &objs);
    assert_eq!(e.path, [key("target"), key("name")]);
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `Deployment/agent-deployment`?"),
        "{:?}",
        e.hint
    );
}

#[test]
fn a_patch_never_changes_kind_or_name() {
    let mut d = deployment();
    let e = apply(
        &mut d,
        &smp(json!({"kind": "Secret", "stringData": {"k": "v"}})),
    )
    .unwrap_err();
    assert_eq!(PathDisplay(&e.path).to_string(), "patch.kind");
    let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [{"op": "replace", "path": "/kind", "value": "Secret"}]})).unwrap();
    let e = apply(&mut deployment(), &p).unwrap_err();
    assert_eq!(PathDisplay(&e.path).to_string(), "patch[0].path");
    let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [{"op": "replace", "path": "/metadata/name", "value": "x"}]})).unwrap();
    assert!(apply(&mut deployment(), &p).is_err());
    // With a target, the body's name only identifies, as in kustomize: it never renames.
    let d = patched(json!({"metadata": {"name": "placeholder"}, "spec": {"replicas": 1}}));
    assert_eq!(d["metadata"]["name"], "agent-deployment");
    assert_eq!(d["spec"]["replicas"], 1);
}

/// Every JSON 6902 operation that reaches the identity, whatever its shape (the whole object,
/// `metadata` as a whole, a `move` away from the name, a `copy` onto it), is refused; the
/// identity is compared only after those, so an operation beside it still applies.
#[test]
fn every_operation_that_reaches_the_identity_is_refused() {
    let cases = [
        json!({"op": "add", "path": "/metadata", "value": {"labels": {}}}),
        json!({"op": "remove", "path": "/metadata/namespace"}),
        json!({"op": "move", "from": "/metadata/name", "path": "/metadata/labels/n"}),
        json!({"op": "copy", "from": "/metadata/labels/app", "path": "/metadata/name"}),
        json!({"op": "replace", "path": "", "value": {"kind": "Deployment"}}),
        json!({"op": "add", "path": "/apiVersion", "value": "v1"}),
    ];
    for op in cases {
        let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [op.clone()]})).unwrap();
        let mut d = deployment();
        let e = apply_in_place(&mut d, &p, &mut Carried::default()).unwrap_err();
        assert!(
            e.message.contains("a patch cannot change an object's"),
            "{op}: {}",
            e.message
        );
        assert_eq!(d, deployment(), "{op}");
    }
    // Beside the identity (a key spelled like one one level down, or escaped): applied.
    let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": [
        {"op": "add", "path": "/metadata/labels/name", "value": "x"},
        {"op": "add", "path": "/metadata~1name", "value": "y"}
    ]}))
    .unwrap();
    let mut d = deployment();
    assert_eq!(apply(&mut d, &p).unwrap().len(), 2);
    assert_eq!(d["metadata"]["labels"]["name"], "x");
    assert_eq!(d["metadata/name"], "y");
    assert_eq!(d["metadata"]["name"], deployment()["metadata"]["name"]);
}

#[test]
fn extra_objects_are_whole_and_never_secrets() {
    assert!(
        check_extra(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}}))
            .is_ok()
    );
    let e = check_extra(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "p"}}))
        .unwrap_err();
    assert_eq!(e.path, [key("kind")]);
    assert!(check_extra(&json!({"apiVersion": "v1", "kind": "ConfigMap"})).is_err());
    assert!(check_extra(&json!({"kind": "ConfigMap", "metadata": {"name": "p"}})).is_err());
}

#[test]
fn lost_reports_paths_with_indices() {
    let a = json!({"spec": {"c": [{"x": 1, "y": 2}]}});
    let b = json!({"spec": {"c": [{"x": 1}]}});
    assert_eq!(
        lost(&a, &b),
        [(
            vec![key("spec"), key("c"), Seg::Index(0), key("y")],
            "dropped".into()
        )]
    );
}

#[test]
fn finalizers_merge_as_a_set() {
    let mut d = deployment();
    d["metadata"]["finalizers"] = json!(["a"]);
    apply(
        &mut d,
        &smp(json!({"metadata": {"finalizers": ["b", "a"]}})),
    )
    .unwrap();
    assert_eq!(d["metadata"]["finalizers"], json!(["b", "a"]));
}

/// A JSON 6902 patch is applied in place, operation by operation; one that fails takes back
/// every operation before it (adds to maps and lists, `-` appends, removes, replaces, moves,
/// copies, the root), so the object is exactly as it was, and the copy budget too.
#[test]
fn a_failing_json6902_patch_takes_back_every_operation_before_it() {
    let ops = json!([
        {"op": "add", "path": "/metadata/labels/new", "value": "x"},
        {"op": "add", "path": "/metadata/labels/app", "value": "replaced"},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "D"}},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/0", "value": {"name": "Z"}},
        {"op": "remove", "path": "/spec/template/spec/containers/0/env/2"},
        {"op": "remove", "path": "/spec/template/spec/tolerations"},
        {"op": "replace", "path": "/spec/template/spec/containers/0/args/1", "value": "c"},
        {"op": "replace", "path": "/spec/replicas", "value": 9},
        {"op": "move", "from": "/spec/template/spec/nodeSelector/zone", "path": "/spec/template/spec/nodeSelector/node-type"},
        {"op": "move", "from": "/spec/template/spec/containers/0/args/0", "path": "/spec/template/spec/containers/0/args/-"},
        {"op": "copy", "from": "/spec/template/spec/containers/0/env/0", "path": "/spec/template/spec/containers/0/env/1"},
        {"op": "copy", "from": "/metadata/labels", "path": "/spec/template/metadata/labels"},
        {"op": "test", "path": "/spec/replicas", "value": 9}
    ]);
    for failing in [
        json!({"op": "test", "path": "/spec/replicas", "value": 3}),
        json!({"op": "remove", "path": "/spec/nothing"}),
        json!({"op": "replace", "path": "/metadata/name", "value": "renamed"}),
        json!({"op": "move", "from": "/spec", "path": "/spec/inside"}),
    ] {
        let mut all = ops.as_array().unwrap().clone();
        all.push(failing.clone());
        let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": all})).unwrap();
        let mut d = deployment();
        let mut carried = Carried::default();
        assert!(
            apply_in_place(&mut d, &p, &mut carried).is_err(),
            "{failing}"
        );
        assert_eq!(d, deployment(), "{failing}");
        assert_eq!(carried.copied, MAX_COPIED, "{failing}");
    }
    // Without the failing one, every operation took effect.
    let p = parse(&json!({"target": {"kind": "Deployment"}, "patch": ops})).unwrap();
    let mut d = deployment();
    assert_eq!(apply(&mut d, &p).unwrap().len(), 12);
    assert_eq!(
        d["spec"]["template"]["spec"]["nodeSelector"],
        json!({"node-type": "y"})
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["args"],
        json!(["c", "a"])
    );
    assert_eq!(d["spec"]["template"]["metadata"]["labels"]["new"], "x");
}

/// A strategic merge whose body cannot fail is applied in place, lists included; one that can
/// (an item without its merge key, an unknown directive) leaves the object as it was.
#[test]
fn a_strategic_merge_that_fails_leaves_the_object_as_it_was() {
    let ok = smp(container(
        json!({"name": "agent", "env": [{"name": "E", "value": "5"}]}),
    ));
    let Body::Strategic(b) = &ok.body else {
        panic!()
    };
    assert!(!inplace_may_fail(b));
    for bad in [
        container(json!({"name": "agent", "env": [{"value": "no name"}]})),
        container(json!({"name": "agent", "env": ["not a map"]})),
        json!({"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "x"}], "volumes": [{"$patch": "remove", "name": "data"}]}}}}),
        json!({"spec": {"replicas": 1, "template": {"$retainKeys": ["spec"]}}}),
    ] {
        let p = smp(bad.clone());
        let Body::Strategic(b) = &p.body else {
            panic!()
        };
        assert!(inplace_may_fail(b), "{bad}");
        let mut d = deployment();
        assert!(
            apply_in_place(&mut d, &p, &mut Carried::default()).is_err(),
            "{bad}"
        );
        assert_eq!(d, deployment(), "{bad}");
    }
}

fn inplace_may_fail(b: &J) -> bool {
    inplace::may_fail(b, "apps/v1", "Deployment", &mut Vec::new())
}
