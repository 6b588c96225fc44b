//! The build of a committed directory against what kustomize does with the same files
//! (kustomize v5's `api/filters/namespace`, `nameref` and the resources list).

#![allow(clippy::unwrap_used)]

use serde_json::{Value as J, json};

use super::{build, resolve};

fn kustomization(extra: J) -> J {
    let mut k = json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"});
    for (key, v) in extra.as_object().unwrap() {
        k[key] = v.clone();
    }
    k
}

fn built(files: Vec<(&str, Vec<J>)>) -> (Vec<J>, Vec<String>) {
    let mut notes = Vec::new();
    let out = build(
        files.into_iter().map(|(n, d)| (n.to_owned(), d)).collect(),
        &mut notes,
    );
    (out, notes)
}

fn find<'a>(objects: &'a [J], kind: &str, name: &str) -> Option<&'a J> {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

#[test]
fn only_the_files_resources_lists_are_built() {
    let cm = |name: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "n"}});
    let (out, notes) = built(vec![
        (
            "env/kustomization.yaml",
            vec![kustomization(
                json!({"resources": ["./a.yaml", "sub/../b.yaml", "sub/c.yaml"]}),
            )],
        ),
        ("env/a.yaml", vec![cm("a")]),
        ("env/b.yaml", vec![cm("b")]),
        ("env/sub/c.yaml", vec![cm("c")]),
        ("env/unlisted.yaml", vec![cm("unlisted")]),
        ("other/d.yaml", vec![cm("d")]),
    ]);
    assert!(notes.is_empty(), "{notes:?}");
    for name in ["a", "b", "c", "d"] {
        assert!(find(&out, "ConfigMap", name).is_some(), "{name}");
    }
    assert!(find(&out, "ConfigMap", "unlisted").is_none());
    // c.yaml is built once, by the kustomization that lists it.
    assert_eq!(
        out.iter().filter(|o| o["metadata"]["name"] == "c").count(),
        1
    );
}

#[test]
fn a_file_listed_twice_or_two_objects_with_one_name_are_not_analyzed() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}});
    let (_, notes) = built(vec![
        (
            "kustomization.yaml",
            vec![kustomization(json!({"resources": ["a.yaml", "./a.yaml"]}))],
        ),
        ("a.yaml", vec![cm.clone()]),
    ]);
    assert!(
        notes.iter().any(|n| n.contains("lists `a.yaml` twice")),
        "{notes:?}"
    );
    let (_, notes) = built(vec![
        (
            "kustomization.yaml",
            vec![kustomization(json!({"resources": ["a.yaml", "b.yaml"]}))],
        ),
        ("a.yaml", vec![cm.clone()]),
        ("b.yaml", vec![cm]),
    ]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("holds ConfigMap n/a twice")),
        "{notes:?}"
    );
}

#[test]
fn paths_resolve_as_kustomize_reads_them() {
    assert_eq!(resolve("d", "./x.yaml").as_deref(), Some("d/x.yaml"));
    assert_eq!(resolve("", "a/./b/../x.yaml").as_deref(), Some("a/x.yaml"));
    for outside in [
        "../x.yaml",
        "/etc/x.yaml",
        "https://e.com/x",
        "",
        ".",
        "a/../..",
    ] {
        assert_eq!(resolve("d", outside), None, "{outside}");
    }
}

/// kustomize v5, `namespace: evil` over these objects moves every namespaced object (custom
/// kinds too, whatever namespace they named), renames the Namespace, sets the namespace of a
/// binding subject named `default`, of an APIService's service (created), of a CRD's
/// conversion webhook service (only where it names one), and moves the ServiceAccount subjects
/// after their account; cluster-scoped objects keep none.
#[test]
fn the_namespace_is_applied_as_kustomize_applies_it() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "agent", "namespace": "prod"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bare"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "elsewhere", "namespace": "other"}}),
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m", "namespace": "prod"}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb", "namespace": "prod"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
               "subjects": [{"kind": "ServiceAccount", "name": "agent", "namespace": "prod"},
                            {"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"},
                            {"kind": "ServiceAccount", "name": "stranger", "namespace": "prod"},
                            {"kind": "User", "name": "alice"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "ServiceAccount", "name": "agent", "namespace": "prod"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "view"}}),
        json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.x.io"}, "spec": {}}),
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "a.x.io"},
               "spec": {"conversion": {"webhook": {"clientConfig": {"service": {"name": "s", "namespace": "prod"}}}}}}),
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "b.x.io"},
               "spec": {"conversion": {"webhook": {"clientConfig": {"service": {"name": "s"}}}}}}),
    ];
    let (out, notes) = built(vec![
        (
            "kustomization.yaml",
            vec![kustomization(
                json!({"namespace": "evil", "resources": ["all.yaml"]}),
            )],
        ),
        ("all.yaml", objects),
    ]);
    assert!(notes.is_empty(), "{notes:?}");
    let ns =
        |kind: &str, name: &str| find(&out, kind, name).unwrap()["metadata"]["namespace"].clone();
    assert!(find(&out, "Namespace", "evil").is_some());
    assert!(find(&out, "Namespace", "prod").is_none());
    assert_eq!(
        find(&out, "Namespace", "evil").unwrap()["metadata"].get("namespace"),
        None
    );
    for (kind, name) in [
        ("ServiceAccount", "agent"),
        ("ConfigMap", "bare"),
        ("ConfigMap", "elsewhere"),
        ("ServiceMonitor", "m"),
        ("RoleBinding", "rb"),
    ] {
        assert_eq!(ns(kind, name), "evil", "{kind} {name}");
    }
    for (kind, name) in [("ClusterRoleBinding", "crb"), ("ClusterRole", "view")] {
        assert_eq!(ns(kind, name), J::Null, "{kind} {name}");
    }
    let rb = find(&out, "RoleBinding", "rb").unwrap();
    assert_eq!(
        rb["subjects"][0]["namespace"], "evil",
        "follows its account"
    );
    assert_eq!(rb["subjects"][1]["namespace"], "evil", "named default");
    assert_eq!(
        rb["subjects"][2]["namespace"], "prod",
        "no such account in the build"
    );
    assert_eq!(rb["subjects"][3].get("namespace"), None);
    let crb = find(&out, "ClusterRoleBinding", "crb").unwrap();
    assert_eq!(crb["subjects"][0]["namespace"], "evil");
    assert_eq!(
        find(&out, "APIService", "v1.x.io").unwrap()["spec"]["service"]["namespace"],
        "evil"
    );
    let hook = |name: &str| {
        find(&out, "CustomResourceDefinition", name).unwrap()["spec"]["conversion"]["webhook"]
            ["clientConfig"]["service"]
            .clone()
    };
    assert_eq!(hook("a.x.io")["namespace"], "evil");
    assert_eq!(hook("b.x.io").get("namespace"), None);
}

#[test]
fn each_kustomization_applies_its_own_namespace() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    let (out, _) = built(vec![
        (
            "a/kustomization.yaml",
            vec![kustomization(
                json!({"namespace": "na", "resources": ["c.yaml"]}),
            )],
        ),
        ("a/c.yaml", vec![cm.clone()]),
        (
            "b/kustomization.yaml",
            vec![kustomization(
                json!({"namespace": "nb", "resources": ["c.yaml"]}),
            )],
        ),
        ("b/c.yaml", vec![cm.clone()]),
        (
            "c/kustomization.yaml",
            vec![kustomization(json!({"resources": ["c.yaml"]}))],
        ),
        ("c/c.yaml", vec![cm]),
    ]);
    let namespaces: Vec<&J> = out
        .iter()
        .filter(|o| o["kind"] == "ConfigMap")
        .map(|o| &o["metadata"]["namespace"])
        .collect();
    assert_eq!(namespaces, [&json!("na"), &json!("nb"), &J::Null]);
}

#[test]
fn accounts_of_one_name_in_two_namespaces_make_kustomize_refuse() {
    let sa = |ns: &str| json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "agent", "namespace": ns}});
    let crb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "agent"}]});
    let (_, notes) = built(vec![
        (
            "kustomization.yaml",
            vec![kustomization(json!({"resources": ["all.yaml"]}))],
        ),
        ("all.yaml", vec![sa("a"), sa("b"), crb]),
    ]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("ClusterRoleBinding crb names ServiceAccount agent")),
        "{notes:?}"
    );
}

#[test]
fn a_namespace_that_is_no_name_is_not_analyzed() {
    let (_, notes) = built(vec![(
        "kustomization.yaml",
        vec![kustomization(json!({"namespace": {"a": 1}}))],
    )]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`namespace` is not a namespace name")),
        "{notes:?}"
    );
}
