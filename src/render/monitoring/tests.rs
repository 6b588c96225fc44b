use serde_json::Value as J;

use super::*;

/// Every metric any rule or panel reads is provided by something in the render, for every
/// combination of the switches that change what is rendered.
#[test]
fn every_expression_reads_only_provided_metrics() {
    for bits in 0..16u32 {
        let mut spec = sample();
        spec.agent_metrics = bits & 1 != 0;
        spec.autoscaling = bits & 2 != 0;
        spec.redis_exporter = bits & 4 != 0;
        spec.backup_cronjob = (bits & 8 != 0).then(|| "redis-backup".to_owned());
        let provided: BTreeSet<String> = sources(&spec).into_iter().flat_map(|(_, m)| m).collect();
        let exprs = all_expressions(&spec);
        assert!(!exprs.is_empty());
        for (where_, expr) in exprs {
            let names = metric_names(&expr);
            for name in &names {
                assert!(
                    provided.contains(name),
                    "{where_} reads {name}, which nothing in the render provides (switches {bits:04b}): {expr}"
                );
            }
        }
    }
}

#[test]
fn the_scanner_finds_metrics_and_skips_everything_else() {
    let e = r#"histogram_quantile(0.95, sum by (le) (rate(a_bucket{job="x",le=~"1e3"}[5m]))) / on (pod) group_left() max without (x) (b) > 1e9 and c offset 5m"#;
    let got: Vec<String> = metric_names(e).into_iter().collect();
    assert_eq!(got, ["a_bucket", "b", "c"]);
}

#[test]
fn settings_that_switch_things_off_remove_their_alerts() {
    let full = sample().alert_names();
    assert_eq!(full.len(), 12);
    let mut s = sample();
    s.redis_exporter = false;
    s.backup_cronjob = None;
    s.autoscaling = false;
    s.agent_metrics = false;
    assert_eq!(
        s.alert_names(),
        [
            "AgentPodCrashLooping",
            "AgentPodNotReady",
            "AgentReplicasMismatch",
            "AgentPVCFillingUp"
        ]
    );
}

#[test]
fn promql_strings_cannot_be_ended_early() {
    let mut s = sample();
    s.metrics.error_status_regex = r#"5.."}) or vector(1) #"#.into();
    let groups = s.rule_groups();
    let expr = groups[0]["rules"][1]["expr"].as_str().unwrap_or_default();
    assert!(
        expr.contains(r#"status=~"5..\"}) or vector(1) #""#),
        "{expr}"
    );
}

#[test]
fn dashboard_is_deterministic_valid_json_with_a_stable_short_uid() {
    let a = serde_json::to_string(&sample().dashboard()).unwrap_or_default();
    let b = serde_json::to_string(&sample().dashboard()).unwrap_or_default();
    assert_eq!(a, b);
    assert!(serde_json::from_str::<J>(&a).is_ok());
    assert!(a.len() < 64 * 1024, "dashboard is {} bytes", a.len());
    let mut s = sample();
    s.namespace = "a".repeat(63);
    let uid = s.dashboard_uid();
    assert!(uid.len() <= 40, "{uid}");
    assert_eq!(uid, s.dashboard_uid());
    s.namespace = format!("{}b", "a".repeat(62));
    assert_ne!(uid, s.dashboard_uid());
}

fn sample() -> Spec {
    let cfg = Config::default();
    Spec::from_config(&cfg, &crate::config::Names::of(&cfg), Some("0 */6 * * *"))
}

/// In a shared namespace the pod and claim expressions name only what is rendered: with the
/// in-cluster Redis or the backups off, another team's `redis-0`, `data-redis-0` or
/// `redis-backup-…` is not selected (trial W1).
#[test]
fn shared_namespace_regexes_name_only_rendered_pods() {
    let shared = |f: &dyn Fn(&mut Config)| {
        let mut cfg = Config {
            create_namespace: false,
            ..Config::default()
        };
        f(&mut cfg);
        let backup = cfg.backup_on().then_some("0 */6 * * *");
        let s = Spec::from_config(&cfg, &crate::config::Names::of(&cfg), backup);
        (s.pods.unwrap_or_default(), s.claims.unwrap_or_default())
    };
    let (pods, claims) = shared(&|_| {});
    assert_eq!(
        pods,
        "agent-deployment-[a-z0-9]+-[a-z0-9]+|redis-[0-9]+|redis-backup-[0-9]+-[a-z0-9]+"
    );
    // The agent's data volume is an emptyDir by default: no claim of its own.
    assert_eq!(claims, "data-redis-[0-9]+|redis-backup-pvc");
    let (pods, claims) = shared(&|c| c.backup.enabled = false);
    assert_eq!(pods, "agent-deployment-[a-z0-9]+-[a-z0-9]+|redis-[0-9]+");
    assert_eq!(claims, "data-redis-[0-9]+");
    let (pods, claims) = shared(&|c| {
        c.redis.enabled = false;
        c.agent.storage.kind = crate::config::DataVolume::PersistentVolumeClaim;
    });
    assert_eq!(pods, "agent-deployment-[a-z0-9]+-[a-z0-9]+");
    assert_eq!(claims, "agent-data-pvc");
}
