use super::*;

fn pod(rc: &str, rm: &str, lc: &str, lm: &str) -> PodResources {
    PodResources {
        requests_cpu: vec![rc.into()],
        requests_memory: vec![rm.into()],
        limits_cpu: vec![lc.into()],
        limits_memory: vec![lm.into()],
    }
}

fn system(max: u64, surge: Surge, agent_limits: (&str, &str)) -> Vec<Workload> {
    vec![
        Workload {
            name: "agent".into(),
            pods: max + surge.pods(max),
            why: format!("{max} max replicas + {} surge", surge.pods(max)),
            per_pod: pod("500m", "1Gi", agent_limits.0, agent_limits.1),
            surge: Some(surge),
        },
        Workload {
            name: "redis".into(),
            pods: 1,
            why: String::new(),
            per_pod: pod("250m", "512Mi", "1000m", "1Gi"),
            surge: None,
        },
        Workload {
            name: "backup job".into(),
            pods: 1,
            why: String::new(),
            per_pod: pod("50m", "64Mi", "500m", "256Mi"),
            surge: None,
        },
        Workload {
            name: "ad-hoc pod".into(),
            pods: 1,
            why: String::new(),
            per_pod: pod("100m", "128Mi", "500m", "512Mi"),
            surge: None,
        },
    ]
}

fn vols() -> Volumes {
    Volumes {
        sizes: vec!["10Gi".into(), "10Gi".into(), "20Gi".into()],
        names: vec!["a".into(), "b".into(), "c".into()],
    }
}

#[test]
fn quantities() {
    assert_eq!(milli("500m"), Some(500));
    assert_eq!(milli("2"), Some(2000));
    assert_eq!(milli(".5"), Some(500));
    assert_eq!(milli("1.5"), Some(1500));
    assert_eq!(milli("1Gi"), Some((1 << 30) * 1000));
    assert_eq!(milli("1.5Gi"), Some((1 << 30) * 1500));
    assert_eq!(milli("1k"), Some(1_000_000));
    assert_eq!(milli("1n"), Some(1)); // rounded up
    assert_eq!(milli("abc"), None);
    assert_eq!(milli("1Zi"), None);
    assert_eq!(milli(""), None);
    assert_eq!(milli("."), None);
    assert_eq!(milli("99999999999999999999999Ei"), None); // overflow, no panic
    assert_eq!(milli("-1"), None);
    assert_eq!(
        milli("1e3"),
        Some(1_000_000),
        "an exponent, as Kubernetes reads it"
    );
}

#[test]
fn default_profile_gets_the_guide_figures() {
    let hard = fit(
        &system(10, Surge::Pods(1), ("2000m", "2Gi")),
        &vols(),
        &Requested::default(),
    )
    .unwrap();
    assert_eq!(hard["requests.cpu"], "20"); // needs 11 × 500m + 400m = 5.9
    assert_eq!(hard["requests.memory"], "40Gi");
    // 11 × 2 + 1 + 0.5 + 0.5 = 24 cores; 11 × 2Gi + 1Gi + 256Mi + 512Mi = 23.75Gi → 24Gi,
    // raised to the requests' 40Gi (a quota's requests are never above its limits)
    assert_eq!(hard["limits.cpu"], "24");
    assert_eq!(hard["limits.memory"], "40Gi");
    assert_eq!(hard["pods"], "14");
    assert_eq!(hard["persistentvolumeclaims"], "10");
    assert!(!hard.contains_key("requests.storage"));
}

#[test]
fn high_throughput_outgrows_the_guide() {
    let hard = fit(
        &system(50, Surge::Pods(1), ("4000m", "4Gi")),
        &vols(),
        &Requested::default(),
    )
    .unwrap();
    // 51 × 500m + 250m + 50m + 100m = 25.9 → 26
    assert_eq!(hard["requests.cpu"], "26");
    // 51Gi + 512Mi + 64Mi + 128Mi → 52Gi
    assert_eq!(hard["requests.memory"], "52Gi");
    assert_eq!(hard["limits.cpu"], "206");
    assert_eq!(hard["pods"], "54");
}

#[test]
fn percent_surge_rounds_up() {
    assert_eq!(Surge::Percent(25).pods(50), 13);
    assert_eq!(Surge::Percent(25).pods(4), 1);
    assert_eq!(Surge::Percent(0).pods(4), 0);
    let hard = fit(
        &system(50, Surge::Percent(25), ("4000m", "4Gi")),
        &vols(),
        &Requested::default(),
    )
    .unwrap();
    assert_eq!(hard["pods"], "66");
}

#[test]
fn guide_quota_refused_for_high_throughput_with_numbers_and_fix() {
    let set = Requested {
        requests_cpu: Some("20".into()),
        ..Requested::default()
    };
    let short = fit(&system(50, Surge::Pods(1), ("4000m", "4Gi")), &vols(), &set).unwrap_err();
    assert_eq!(short.len(), 1);
    let s = &short[0];
    assert_eq!(s.resource, "requests.cpu");
    assert_eq!(s.need, "25900m");
    assert_eq!(s.suggest, "26");
    assert_eq!(
        s.breakdown,
        "agent 51 × 500m (50 max replicas + 1 surge) + redis 250m + backup job 50m + ad-hoc pod 100m"
    );
    // 20 - 0.4 = 19.6 → 39 agent pods → 38 replicas + 1 surge
    assert_eq!(s.max_replicas_that_fit, Some(38));
}

#[test]
fn enough_quota_set_by_hand_is_kept_as_written() {
    let set = Requested {
        requests_cpu: Some("30000m".into()),
        pods: Some(60),
        requests_storage: Some("40Gi".into()),
        ..Requested::default()
    };
    let hard = fit(&system(50, Surge::Pods(1), ("4000m", "4Gi")), &vols(), &set).unwrap();
    assert_eq!(hard["requests.cpu"], "30000m");
    assert_eq!(hard["pods"], "60");
    assert_eq!(hard["requests.storage"], "40Gi");
}

#[test]
fn every_shortfall_is_reported() {
    let set = Requested {
        limits_memory: Some("8Gi".into()),
        pods: Some(10),
        persistent_volume_claims: Some(2),
        requests_storage: Some("30Gi".into()),
        ..Requested::default()
    };
    let short = fit(&system(10, Surge::Pods(1), ("2000m", "2Gi")), &vols(), &set).unwrap_err();
    let names: Vec<_> = short.iter().map(|s| s.resource).collect();
    assert_eq!(
        names,
        [
            "limits.memory",
            "pods",
            "persistentvolumeclaims",
            "requests.storage"
        ]
    );
    // pods: 10 - 3 others = 7 agent pods → 6 replicas + 1 surge
    assert_eq!(short[1].max_replicas_that_fit, Some(6));
    assert_eq!(short[1].need, "14");
    assert_eq!(short[3].need, "40Gi");
    // limits.memory 8Gi - 1.75Gi = 6.25Gi → 3 pods → 2 replicas + 1 surge
    assert_eq!(short[0].max_replicas_that_fit, Some(2));
}

#[test]
fn nothing_fits_gives_no_replica_suggestion() {
    let set = Requested {
        requests_cpu: Some("100m".into()),
        ..Requested::default()
    };
    let short = fit(&system(10, Surge::Pods(1), ("2000m", "2Gi")), &vols(), &set).unwrap_err();
    assert_eq!(short[0].max_replicas_that_fit, None);
}

/// The request figures' floors (the guide's 20 cores, 40Gi) over a small deployment's limits:
/// a derived figure never leaves the requests above the limits, whichever side was derived.
#[test]
fn requests_never_above_limits() {
    let small = system(2, Surge::Pods(1), ("1", "2Gi"));
    let le = |h: &BTreeMap<String, String>, what: &str| {
        let r = milli(&h[&format!("requests.{what}")]).expect("requests");
        let l = milli(&h[&format!("limits.{what}")]).expect("limits");
        assert!(r <= l, "requests.{what} {r} above limits.{what} {l}: {h:?}");
    };
    let derived = fit(&small, &vols(), &Requested::default()).expect("fits");
    le(&derived, "cpu");
    le(&derived, "memory");
    assert_eq!(
        derived["limits.memory"], "40Gi",
        "raised to the requests' floor"
    );
    let limits_set = Requested {
        limits_memory: Some("12Gi".into()),
        limits_cpu: Some("8".into()),
        ..Requested::default()
    };
    let h = fit(&small, &vols(), &limits_set).expect("fits");
    le(&h, "cpu");
    le(&h, "memory");
    assert_eq!(
        h["requests.memory"], "12Gi",
        "lowered to the limits set by hand"
    );
    assert_eq!(h["limits.memory"], "12Gi", "the hand-set figure is kept");
}
