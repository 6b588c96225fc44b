//! Two agentctl deployments in one namespace (`instance`): rendered with `instance: a` and
//! `instance: b` into one existing namespace (`createNamespace: false`), they share no object
//! (kind, namespace, name), no pod (every selector of one selects none of the other's pods),
//! no prune selector and no default deny, and every reference inside one names its own
//! objects. Each directory builds with the real `kubectl kustomize` into the stream.

use std::collections::BTreeSet;

use serde_json::Value as J;

use crate::support::{self, agentctl, lib};

const INSTANCE: &str = "app.kubernetes.io/instance";
const NAMESPACE: &str = "shared-agents";

/// Every feature that renders an object of its own, on, in a namespace of another team's.
const SETS: &[&str] = &[
    "createNamespace=false",
    "namespace=shared-agents",
    "quota.enabled=true",
    "vpa.enabled=true",
    "agent.antiAffinity=preferred",
    "agent.zoneSpread=preferred",
    "agent.storage.type=persistentVolumeClaim",
    "agent.storage.accessMode=ReadWriteMany",
];

/// The render of `instance` (none: the built-in names), with `extra` settings.
struct Render {
    objects: Vec<J>,
    kustomization: String,
    stderr: String,
}

fn args(instance: Option<&str>, extra: &[&str]) -> Vec<String> {
    let mut args = Vec::new();
    for s in SETS.iter().chain(extra) {
        args.extend(["--set".to_owned(), (*s).to_owned()]);
    }
    if let Some(i) = instance {
        args.extend(["--set".to_owned(), format!("instance={i}")]);
    }
    args
}

use crate::kubectl::kubectl_kustomize;

/// Renders into a directory (the prerequisites on stderr), builds it with kubectl and checks
/// the build is the stream.
fn render(instance: Option<&str>, extra: &[&str]) -> Render {
    let tmp = support::tempdir();
    let dir = tmp.path().join("out");
    let mut a = vec!["render".to_owned()];
    a.extend(args(instance, extra));
    let stream = agentctl(&a).run();
    assert_eq!(stream.code, 0, "render {instance:?}: {}", stream.stderr);
    a.extend(["-o".to_owned(), dir.to_str().expect("utf-8").to_owned()]);
    let written = agentctl(&a).run();
    assert_eq!(
        written.code, 0,
        "render -o {instance:?}: {}",
        written.stderr
    );
    assert_eq!(
        kubectl_kustomize(&dir),
        stream.stdout,
        "kubectl kustomize of {instance:?}'s directory differs from its stream"
    );
    Render {
        objects: lib::parse_manifests(&stream.stdout).expect("manifests"),
        kustomization: std::fs::read_to_string(dir.join("kustomization.yaml")).expect("read"),
        stderr: written.stderr,
    }
}

fn s<'a>(o: &'a J, pointer: &str) -> &'a str {
    o.pointer(pointer).and_then(J::as_str).unwrap_or_default()
}

fn ids(objects: &[J]) -> BTreeSet<(String, String, String)> {
    objects
        .iter()
        .map(|o| {
            (
                s(o, "/kind").to_owned(),
                s(o, "/metadata/namespace").to_owned(),
                s(o, "/metadata/name").to_owned(),
            )
        })
        .collect()
}

/// Every pod template's labels: (object, labels).
fn pods(objects: &[J]) -> Vec<(String, serde_json::Map<String, J>)> {
    let mut out = Vec::new();
    for o in objects {
        for p in [
            "/spec/template/metadata/labels",
            "/spec/jobTemplate/spec/template/metadata/labels",
        ] {
            if let Some(l) = o.pointer(p).and_then(J::as_object) {
                out.push((
                    format!("{}/{}", s(o, "/kind"), s(o, "/metadata/name")),
                    l.clone(),
                ));
            }
        }
    }
    out
}

/// Every pod selector of an object: its `matchLabels` maps outside a `namespaceSelector`, and
/// a Service's `spec.selector`; (where, labels).
fn selectors(o: &J) -> Vec<(String, serde_json::Map<String, J>)> {
    fn walk(v: &J, at: &str, out: &mut Vec<(String, serde_json::Map<String, J>)>) {
        match v {
            J::Object(m) => {
                for (k, child) in m {
                    if k == "namespaceSelector" {
                        continue;
                    }
                    let here = format!("{at}/{k}");
                    if k == "matchLabels"
                        && let Some(l) = child.as_object()
                    {
                        out.push((here.clone(), l.clone()));
                    }
                    walk(child, &here, out);
                }
            }
            J::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(o, "", &mut out);
    if s(o, "/kind") == "Service"
        && let Some(l) = o.pointer("/spec/selector").and_then(J::as_object)
    {
        out.push(("/spec/selector".into(), l.clone()));
    }
    out
}

fn matches(selector: &serde_json::Map<String, J>, labels: &serde_json::Map<String, J>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Every string value of `v`.
fn strings<'a>(v: &'a J, out: &mut Vec<&'a str>) {
    match v {
        J::String(s) => out.push(s),
        J::Object(m) => m.values().for_each(|c| strings(c, out)),
        J::Array(a) => a.iter().for_each(|c| strings(c, out)),
        _ => {}
    }
}

/// The built-in names that are only ever object names (not container or label values).
const NAMES: &[&str] = &[
    "agent-alerts",
    "agent-config",
    "agent-dashboard",
    "agent-data-pvc",
    "agent-default-deny",
    "agent-deployment",
    "agent-hpa",
    "agent-limits",
    "agent-metrics",
    "agent-network-policy",
    "agent-pdb",
    "agent-quota",
    "agent-scaledobject",
    "agent-secrets",
    "agent-service",
    "agent-vpa",
    "redis-backup-network-policy",
    "redis-backup-pvc",
    "redis-metrics",
    "redis-network-policy",
    "redis-service",
];

/// Checks one instance against the other (and against the render without `instance`).
fn disjoint(me: &str, mine: &Render, theirs: &Render, default: &Render) {
    let (a, b) = (&mine.objects, &theirs.objects);
    assert!(a.len() > 20, "{me}: {} objects", a.len());
    for other in [ids(b), ids(default.objects.as_slice())] {
        let shared: Vec<_> = ids(a).intersection(&other).cloned().collect();
        assert!(shared.is_empty(), "{me}: objects named alike: {shared:?}");
    }
    // Every object is the instance's, by name and by the prune label.
    for o in a {
        let name = s(o, "/metadata/name");
        assert!(
            name.starts_with(&format!("{me}-")) || name.starts_with(&format!("data-{me}-")),
            "{me}: {} {name} has no prefix",
            s(o, "/kind")
        );
        assert_eq!(
            s(
                o,
                &format!("/metadata/labels/{}", INSTANCE.replace('/', "~1"))
            ),
            me,
            "{me}: {} {name} is not labelled as the instance",
            s(o, "/kind")
        );
    }
    // Every pod carries the instance; every selector requires it and selects no pod of theirs.
    let (my_pods, their_pods) = (pods(a), pods(b));
    assert!(my_pods.len() >= 3, "{me}: pods {my_pods:?}");
    for (what, labels) in &my_pods {
        assert_eq!(labels.get(INSTANCE), Some(&J::from(me)), "{me}: {what}");
    }
    let mut deny = 0;
    for o in a {
        let id = format!("{}/{}", s(o, "/kind"), s(o, "/metadata/name"));
        for (at, sel) in selectors(o) {
            assert_eq!(
                sel.get(INSTANCE),
                Some(&J::from(me)),
                "{me}: {id} {at} does not select the instance: {sel:?}"
            );
            for (what, labels) in &their_pods {
                assert!(
                    !matches(&sel, labels),
                    "{me}: {id} {at} selects {what} of the other instance"
                );
            }
        }
        if s(o, "/kind") == "NetworkPolicy" && s(o, "/metadata/name").ends_with("default-deny") {
            deny += 1;
            let sel = o
                .pointer("/spec/podSelector/matchLabels")
                .and_then(J::as_object)
                .expect("the default deny selects by labels");
            assert!(
                my_pods.iter().all(|(_, l)| matches(sel, l)),
                "{me}: the default deny misses a pod of its own"
            );
            assert!(
                their_pods.iter().all(|(_, l)| !matches(sel, l)),
                "{me}: the default deny selects the other's pods"
            );
        }
        // Targets and references are the instance's own objects.
        for p in ["/spec/scaleTargetRef/name", "/spec/targetRef/name"] {
            if let Some(t) = o.pointer(p).and_then(J::as_str) {
                assert_eq!(
                    t,
                    format!("{me}-agent-deployment"),
                    "{me}: {id} targets {t}"
                );
            }
        }
        let mut all = Vec::new();
        strings(o, &mut all);
        for text in all {
            for name in NAMES {
                for (i, _) in text.match_indices(name) {
                    let before = &text[..i];
                    assert!(
                        before.ends_with(&format!("{me}-")),
                        "{me}: {id} names the built-in {name} in {text:?}"
                    );
                }
            }
        }
    }
    assert_eq!(deny, 1, "{me}: one default deny");
    // The prune selector is the instance's; the prerequisites name its Secret.
    assert!(
        mine.kustomization.contains(&format!(
            "--prune -l app.kubernetes.io/managed-by=agentctl,app.kubernetes.io/instance={me} "
        )),
        "{me}: {}",
        mine.kustomization
    );
    assert!(
        mine.stderr.contains(&format!(
            "kubectl create secret generic {me}-agent-secrets --namespace={NAMESPACE}"
        )),
        "{me}: {}",
        mine.stderr
    );
    assert!(
        mine.kustomization
            .contains(&format!("Secret `{me}-agent-secrets`"))
    );
}

#[test]
fn two_instances_in_one_namespace_share_no_name_no_pod_and_no_prune_selector() {
    let default = render(None, &[]);
    let a = render(Some("a"), &[]);
    let b = render(Some("b"), &[]);
    disjoint("a", &a, &b, &default);
    disjoint("b", &b, &a, &default);
    // The render without `instance` is today's: the built-in names, the namespace's label.
    assert!(ids(&default.objects).contains(&(
        "Deployment".into(),
        NAMESPACE.into(),
        "agent-deployment".into()
    )));
    assert!(
        default
            .kustomization
            .contains("app.kubernetes.io/instance=shared-agents ")
    );
}

#[test]
fn keda_ingress_and_httproute_follow_the_instance() {
    let extra = [
        "keda.enabled=true",
        "autoscaling.enabled=false",
        "ingress.enabled=true",
        "ingress.hosts=[agents.example.com]",
        "httpRoute.enabled=true",
        "httpRoute.parentRefs=[{name: gw, namespace: gateways}]",
    ];
    let default = render(None, &extra);
    let a = render(Some("a"), &extra);
    let b = render(Some("b"), &extra);
    disjoint("a", &a, &b, &default);
    let scaled = a
        .objects
        .iter()
        .find(|o| s(o, "/kind") == "ScaledObject")
        .expect("a ScaledObject");
    assert_eq!(
        s(scaled, "/spec/advanced/horizontalPodAutoscalerConfig/name"),
        "a-agent-hpa"
    );
    for (kind, backend) in [
        ("Ingress", "/spec/rules/0/http/paths/0/backend/service/name"),
        ("HTTPRoute", "/spec/rules/0/backendRefs/0/name"),
    ] {
        let o = a
            .objects
            .iter()
            .find(|o| s(o, "/kind") == kind)
            .unwrap_or_else(|| panic!("a {kind}"));
        assert_eq!(s(o, backend), "a-agent-service", "{kind}");
    }
}

#[test]
fn a_name_set_by_hand_is_kept_and_the_restore_runbook_names_the_instance() {
    let out = agentctl([
        "render",
        "--set",
        "instance=a",
        "--set",
        "secret.name=shared-credentials",
    ])
    .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("name: shared-credentials\n"));
    assert!(!out.stdout.contains("a-shared-credentials"));
    let help = agentctl(["restore-help", "--set", "instance=a"]).run();
    assert_eq!(help.code, 0, "{}", help.stderr);
    for want in [
        "scale deployment a-agent-deployment --replicas=0",
        "exec -i a-redis-0 --",
        "-l app.kubernetes.io/name=agent,app.kubernetes.io/instance=a ",
        "(CronJob a-redis-backup)",
        "run a-redis-backup-reader ",
    ] {
        assert!(
            help.stdout.contains(want),
            "restore-help lacks {want:?}:\n{}",
            help.stdout
        );
    }
    // Every command names the instance's pod (the restore script's own comments excepted).
    for line in help.stdout.lines().filter(|l| !l.starts_with('#')) {
        assert!(!line.contains(" redis-0 "), "{line}");
    }
}

#[test]
fn explain_and_the_schema_know_the_setting() {
    let out = agentctl(["explain", "instance"]).run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("NAME-agent-deployment"),
        "{}",
        out.stdout
    );
    let schema = agentctl(["schema"]).run();
    assert!(
        schema.stdout.contains("\"instance\""),
        "the schema has no instance"
    );
}
