use std::collections::BTreeSet;

use super::*;

#[test]
fn every_kind_once_every_file_once_kustomization_last() {
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.kind).collect();
    let unique: BTreeSet<&str> = kinds.iter().copied().collect();
    assert_eq!(unique.len(), kinds.len(), "a kind has two rows: {kinds:?}");
    let files: Vec<&str> = OBJECTS.iter().map(|o| o.file).collect();
    let unique: BTreeSet<&str> = files.iter().copied().collect();
    assert_eq!(unique.len(), files.len(), "a file has two rows: {files:?}");
    assert_eq!(files.last(), Some(&KUSTOMIZATION));
    assert!(
        OBJECTS.iter().all(|o| !o.kinds.is_empty()),
        "every file renders some kind"
    );
}

#[test]
fn every_kind_is_rendered_by_some_file() {
    for k in KINDS {
        assert!(
            OBJECTS
                .iter()
                .any(|o| o.kinds.iter().any(|r| r.kind == k.kind)),
            "{} has a row in KINDS but no file renders it",
            k.kind
        );
    }
}

#[test]
fn every_template_file_has_a_row() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("templates/")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.ends_with(".yaml").then_some(name)
        })
        .collect();
    on_disk.sort();
    let mut rows: Vec<String> = OBJECTS.iter().map(|o| o.file.to_owned()).collect();
    rows.sort();
    assert_eq!(on_disk, rows, "templates/*.yaml and the rows of OBJECTS");
}

#[test]
fn the_types_say_scope_and_identity() {
    let ns = kind("v1", "Namespace").expect("registered");
    assert_eq!(
        (ns.scope, ns.served, ns.plural),
        (Scope::Cluster, Served::BuiltIn, "namespaces")
    );
    let dep = kind("apps/v1", "Deployment").expect("registered");
    assert_eq!(
        (dep.group, dep.scope, dep.plural),
        ("apps", Scope::Namespaced, "deployments")
    );
    let sm = kind("monitoring.coreos.com/v1", "ServiceMonitor").expect("registered");
    assert_eq!(
        sm.served,
        Served::Crd {
            operator: "Prometheus Operator"
        }
    );
    assert_eq!(sm.plural, "servicemonitors");
    assert!(
        kind("apps/v1", "DaemonSet").is_none(),
        "not rendered, not registered"
    );
    assert!(!kind("v1", "Namespace").unwrap().namespaced_in_cluster());
    assert!(
        !kind("kustomize.config.k8s.io/v1beta1", "Kustomization")
            .unwrap()
            .namespaced_in_cluster()
    );
    assert!(built_in("v1", "ConfigMap"));
    assert!(!built_in("autoscaling.k8s.io/v1", "VerticalPodAutoscaler"));
}

#[test]
fn one_operator_per_custom_group() {
    for a in KINDS {
        for b in KINDS {
            if let (Served::Crd { operator: x }, Served::Crd { operator: y }) = (a.served, b.served)
                && a.group == b.group
            {
                assert_eq!(
                    x, y,
                    "{} and {} of {} name two operators",
                    a.kind, b.kind, a.group
                );
            }
        }
    }
}

#[test]
fn conditions_follow_their_settings() {
    let mut cfg = Config::default();
    let on = |cfg: &Config, file: &str| (object(file).expect("row").when)(cfg);
    cfg.autoscaling.enabled = false;
    assert!(!on(&cfg, "hpa.yaml"));
    cfg.autoscaling.enabled = true;
    assert!(on(&cfg, "hpa.yaml"));
    cfg.monitoring.service_monitor.enabled = false;
    cfg.monitoring.redis_exporter.enabled = true;
    assert!(
        on(&cfg, "servicemonitor.yaml"),
        "the exporter's monitor alone"
    );
    cfg.monitoring.redis_exporter.enabled = false;
    assert!(!on(&cfg, "servicemonitor.yaml"));
    cfg.redis.enabled = false;
    assert!(!on(&cfg, "redis-statefulset.yaml"));
    for always in [
        "namespace.yaml",
        "configmap.yaml",
        "rbac.yaml",
        "service.yaml",
        "deployment.yaml",
        KUSTOMIZATION,
    ] {
        assert!(on(&cfg, always), "{always}");
    }
}
