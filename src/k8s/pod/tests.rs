use serde_json::json;

use super::*;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

fn c(name: &str, requests: J, limits: J) -> J {
    json!({"name": name, "resources": {"requests": requests, "limits": limits}})
}

#[test]
fn containers_sum_and_init_containers_peak() {
    let spec = json!({
    "initContainers": [c("migrate", json!({"cpu": "3"}), json!({"cpu": "3"}))],
    "containers": [
        c("a", json!({"cpu": "500m", "memory": "1Gi"}), json!({"cpu": "1", "memory": "1Gi"})),
        c("b", json!({"cpu": "500m", "memory": "1Gi"}), json!({"cpu": "1", "memory": "1Gi"})),
    ]});
    let u = usage(&spec, &Defaults::default());
    // A plain init container runs alone: the larger of it and the containers' sum.
    assert_eq!(u.request("cpu"), q("3"));
    assert_eq!(u.limit("cpu"), q("3"));
    assert_eq!(u.request("memory"), q("2Gi"));
    assert_eq!(u.quota("requests.cpu"), Some(q("3")));
    assert_eq!(u.quota("cpu"), Some(q("3")));
    assert_eq!(u.quota("limits.memory"), Some(q("2Gi")));
    assert_eq!(u.quota("pods"), Some(q("1")));
    assert_eq!(u.quota("count/pods"), Some(q("1")));
    assert_eq!(u.quota("requests.ephemeral-storage"), None);
    assert_eq!(
        u.quota("limits.example.com/gpu"),
        None,
        "quota tracks no such limit"
    );
}

/// The case of issue 23: a native sidecar of 4 CPU / 8Gi counts in every pod, beside the
/// regular containers, not just while the pod starts.
#[test]
fn a_native_sidecar_adds_to_the_containers() {
    let spec = json!({
        "initContainers": [
            c("proxy", json!({"cpu": "4", "memory": "8Gi"}), json!({"cpu": "4", "memory": "8Gi"}))
                .as_object().unwrap().clone().into_iter()
                .chain([("restartPolicy".to_owned(), json!("Always"))]).collect::<serde_json::Map<_, _>>(),
        ],
        "containers": [c("agent", json!({"cpu": "500m", "memory": "1Gi"}), json!({"cpu": "1", "memory": "2Gi"}))]});
    let u = usage(&spec, &Defaults::default());
    assert_eq!(u.request("cpu"), q("4500m"));
    assert_eq!(u.limit("cpu"), q("5"));
    assert_eq!(u.request("memory"), q("9Gi"));
    assert_eq!(u.limit("memory"), q("10Gi"));
}

#[test]
fn an_init_container_counts_the_sidecars_started_before_it() {
    let side = |cpu: &str| {
        let mut s = c("s", json!({"cpu": cpu}), json!({}));
        s["restartPolicy"] = json!("Always");
        s
    };
    let spec = json!({
        "initContainers": [side("1"), c("i1", json!({"cpu": "2"}), json!({})), side("1"),
                           c("i2", json!({"cpu": "1500m"}), json!({}))],
        "containers": [c("main", json!({"cpu": "100m"}), json!({}))]});
    // i1 runs beside one sidecar (3), i2 beside two (3.5); the steady state is 2.1.
    assert_eq!(
        usage(&spec, &Defaults::default()).request("cpu"),
        q("3500m")
    );
    let spec = json!({
        "initContainers": [c("i1", json!({"cpu": "2"}), json!({})), side("1")],
        "containers": [c("main", json!({"cpu": "100m"}), json!({}))]});
    // The sidecar started after i1 does not run beside it.
    assert_eq!(usage(&spec, &Defaults::default()).request("cpu"), q("2"));
}

#[test]
fn defaults_requests_to_limits_then_the_limit_range() {
    let lr = json!({"kind": "LimitRange", "spec": {"limits": [
        {"type": "Pod", "max": {"cpu": "64"}},
        {"type": "Container", "default": {"cpu": "1", "memory": "1Gi"},
         "defaultRequest": {"cpu": "250m"}, "max": {"ephemeral-storage": "2Gi"},
         "min": {"example.com/x": "1"}}]}});
    let d = Defaults::from_limit_ranges([&lr, &json!({"kind": "ConfigMap"})]);
    assert_eq!(d.limits.get("cpu"), Some(&q("1")));
    assert_eq!(
        d.limits.get("ephemeral-storage"),
        Some(&q("2Gi")),
        "default ← max"
    );
    assert_eq!(
        d.requests.get("memory"),
        Some(&q("1Gi")),
        "defaultRequest ← default"
    );
    assert_eq!(d.requests.get("ephemeral-storage"), Some(&q("2Gi")));
    assert_eq!(
        d.requests.get("example.com/x"),
        Some(&q("1")),
        "defaultRequest ← min"
    );
    assert_eq!(d.limits.get("example.com/x"), None);
    assert!(
        !d.limits.contains_key("cpu") || d.limits["cpu"] != q("64"),
        "a Pod item is no default"
    );

    // Own limit → own request; LimitRange fills only what is missing.
    let (req, lim) = container(&c("x", json!({}), json!({"cpu": "2"})), &d);
    assert_eq!((req["cpu"], lim["cpu"]), (q("2"), q("2")));
    assert_eq!((req["memory"], lim["memory"]), (q("1Gi"), q("1Gi")));
    let (req, lim) = container(&json!({"name": "bare"}), &d);
    assert_eq!((req["cpu"], lim["cpu"]), (q("250m"), q("1")));
    let (req, _) = container(&c("y", json!({"cpu": "100m"}), json!({})), &d);
    assert_eq!(req["cpu"], q("100m"), "an own request stays");

    // The first LimitRange that defaults a resource wins; a later item of one LimitRange wins.
    let a = json!({"kind": "LimitRange", "spec": {"limits": [
        {"type": "Container", "default": {"cpu": "1"}}, {"type": "Container", "default": {"cpu": "2"}}]}});
    let b = json!({"kind": "LimitRange", "spec": {"limits": [
        {"type": "Container", "default": {"cpu": "3", "memory": "3Gi"}}]}});
    let d = Defaults::from_limit_ranges([&a, &b]);
    assert_eq!((d.limits["cpu"], d.limits["memory"]), (q("2"), q("3Gi")));
    assert_eq!(d.requests["cpu"], q("2"));
}

#[test]
fn overhead_and_pod_level_resources() {
    let spec = json!({"overhead": {"cpu": "250m", "memory": "120Mi"},
        "containers": [c("a", json!({"cpu": "1"}), json!({"cpu": "2"}))]});
    let u = usage(&spec, &Defaults::default());
    assert_eq!(u.request("cpu"), q("1250m"));
    assert_eq!(u.limit("cpu"), q("2250m"));
    assert_eq!(
        u.request("memory"),
        q("120Mi"),
        "requests always get the overhead"
    );
    assert_eq!(u.limits.get("memory"), None, "an unset limit stays unset");

    let spec = json!({"resources": {"limits": {"cpu": "4", "memory": "4Gi"}, "requests": {"cpu": "2"}},
        "containers": [c("a", json!({"cpu": "1", "memory": "1Gi"}), json!({"cpu": "1", "memory": "1Gi"}))]});
    let u = usage(&spec, &Defaults::default());
    assert_eq!((u.request("cpu"), u.request("memory")), (q("2"), q("4Gi")));
    assert_eq!((u.limit("cpu"), u.limit("memory")), (q("4"), q("4Gi")));
}

#[test]
fn odd_specs_count_nothing_and_never_panic() {
    for spec in [
        json!(null),
        json!({}),
        json!({"containers": "x"}),
        json!({"containers": [{"resources": {"requests": {"cpu": "bogus"}}}]}),
        json!({"containers": [{"resources": {"limits": {"cpu": "1e29"}}}, {"resources": {"limits": {"cpu": "1e29"}}}]}),
    ] {
        let u = usage(&spec, &Defaults::default());
        assert!(u.request("cpu") <= q("1e29"), "{spec}");
        assert_eq!(u.quota("pods"), Some(q("1")));
    }
}

#[test]
fn unreadable_quantities_are_listed_with_where_they_are() {
    let spec = json!({
        "initContainers": [{"name": "p", "resources": {"limits": {"cpu": "1e40"}}}],
        "containers": [{"name": "a", "resources": {"requests": {"cpu": "lots", "memory": "1Gi"}}}],
        "overhead": {"cpu": true}});
    let found: Vec<(String, String)> = unreadable(&spec)
        .into_iter()
        .map(|(at, text, _)| (at, text))
        .collect();
    assert_eq!(
        found,
        [
            (
                "initContainers[0].resources.limits.cpu".to_owned(),
                "1e40".to_owned()
            ),
            (
                "containers[0].resources.requests.cpu".to_owned(),
                "lots".to_owned()
            ),
            ("overhead.cpu".to_owned(), "true".to_owned()),
        ]
    );
    let (_, _, why) = &unreadable(&spec)[0];
    assert_eq!(*why, crate::k8s::quantity::Error::TooLarge);
    assert!(
        unreadable(&json!({"containers": [c("a", json!({"cpu": 2}), json!({"cpu": " 2 "}))]}))
            .is_empty()
    );
}
