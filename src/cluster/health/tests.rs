//! `status` lines over API objects shaped as a 1.33 API server returns them.

use serde_json::{Value as J, json};

use super::*;

fn now() -> jiff::Timestamp {
    "2026-12-06T05:00:00Z".parse().unwrap_or_default()
}

fn seen<'a>(
    live: Option<&'a J>,
    applied: Option<&'a Result<J, String>>,
    jobs: &'a [J],
) -> Seen<'a> {
    Seen {
        live,
        applied,
        jobs,
        now: now(),
    }
}

fn dep(status: J) -> J {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "agent-deployment", "namespace": "ns", "generation": 2},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "agent", "image": "a:v1"}]}}},
        "status": status})
}

#[test]
fn a_completed_rollout_is_ok_and_a_missing_object_is_missing() {
    let live = dep(
        json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}),
    );
    let applied = Ok(live.clone());
    let line = assess(&live, &seen(Some(&live), Some(&applied), &[]));
    assert_eq!(
        (line.state, line.summary.as_str()),
        (State::Ok, "rolled out: 3/3 ready")
    );
    let line = assess(&live, &seen(None, None, &[]));
    assert_eq!(line.state, State::Missing);
}

#[test]
fn a_rollout_part_way_progresses_and_a_deadline_exceeded_fails() {
    let live = dep(
        json!({"observedGeneration": 2, "replicas": 4, "updatedReplicas": 1, "readyReplicas": 3, "availableReplicas": 3}),
    );
    let line = assess(&live, &seen(Some(&live), None, &[]));
    assert_eq!(line.state, State::Progressing);
    assert_eq!(
        line.summary,
        "rolling out: 1/3 updated, 3 ready, 3 available"
    );
    let stuck = dep(
        json!({"observedGeneration": 2, "replicas": 4, "updatedReplicas": 1,
        "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
            "message": "ReplicaSet \"agent-deployment-7c\" has timed out progressing."}]}),
    );
    let line = assess(&stuck, &seen(Some(&stuck), None, &[]));
    assert_eq!(line.state, State::Failing);
    assert!(
        line.summary
            .starts_with("rollout stuck (ProgressDeadlineExceeded)"),
        "{}",
        line.summary
    );
}

#[test]
fn a_hand_edit_is_drift_naming_the_field_and_both_values() {
    let live = dep(
        json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}),
    );
    let mut edited = live.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("a:hotfix");
    let applied = Ok(live.clone());
    let line = assess(&live, &seen(Some(&edited), Some(&applied), &[]));
    assert_eq!(line.state, State::Drifted);
    assert_eq!(
        line.drift,
        vec!["spec.template.spec.containers[agent].image: \"a:hotfix\" → \"a:v1\""]
    );
    let refused: Result<J, String> = Err("spec.selector: field is immutable".into());
    let line = assess(&live, &seen(Some(&live), Some(&refused), &[]));
    assert_eq!(line.state, State::Failing);
    assert!(line.summary.contains("field is immutable"));
}

#[test]
fn an_autoscaler_without_its_metrics_fails_and_one_with_them_is_ok() {
    let hpa = |conditions: J| {
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "agent-hpa", "namespace": "ns"},
        "spec": {"minReplicas": 3, "maxReplicas": 20},
        "status": {"currentReplicas": 3, "desiredReplicas": 3, "conditions": conditions,
            "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 41}}}]}})
    };
    let broken = hpa(
        json!([{"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale"},
        {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
         "message": "the HPA was unable to compute the replica count: unable to get metrics for resource cpu: no metrics returned from resource metrics API"}]),
    );
    let line = assess(&broken, &seen(Some(&broken), None, &[]));
    assert_eq!(line.state, State::Failing);
    assert!(
        line.summary.starts_with(
            "current 3, desired 3 (min 3, max 20); cannot scale (FailedGetResourceMetric)"
        ),
        "{}",
        line.summary
    );
    let fine =
        hpa(json!([{"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"}]));
    let line = assess(&fine, &seen(Some(&fine), None, &[]));
    assert_eq!(
        (line.state, line.summary.as_str()),
        (State::Ok, "current 3, desired 3 (min 3, max 20); cpu 41%")
    );
}

#[test]
fn claims_budgets_and_the_backup_cronjob() {
    let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c", "namespace": "ns"},
        "spec": {"volumeName": "pv-1"}, "status": {"phase": "Pending"}});
    assert_eq!(
        assess(&pvc, &seen(Some(&pvc), None, &[])).state,
        State::Progressing
    );
    let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p", "namespace": "ns"},
        "status": {"disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 2, "expectedPods": 2}});
    let line = assess(&pdb, &seen(Some(&pdb), None, &[]));
    assert_eq!(line.state, State::Warning);
    assert!(line.state.healthy());
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "redis-backup", "namespace": "ns"},
        "spec": {"schedule": "0 2 * * *"}, "status": {"lastSuccessfulTime": "2026-12-06T02:00:07Z"}});
    let line = assess(&cron, &seen(Some(&cron), None, &[]));
    assert_eq!(
        (line.state, line.summary.as_str()),
        (State::Ok, "last success 2h59m ago (schedule 0 2 * * *)")
    );
    let failed = [
        json!({"metadata": {"name": "redis-backup-29", "creationTimestamp": "2026-12-06T02:00:00Z",
        "ownerReferences": [{"kind": "CronJob", "name": "redis-backup"}]},
        "status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}}),
    ];
    let line = assess(&cron, &seen(Some(&cron), None, &failed));
    assert_eq!(line.state, State::Failing);
    assert!(
        line.summary
            .contains("redis-backup-29, failed (BackoffLimitExceeded)"),
        "{}",
        line.summary
    );
}

#[test]
fn the_verdict_counts_what_is_not_healthy() {
    let line = |state| Line {
        kind: "K".into(),
        namespace: None,
        name: "n".into(),
        state,
        summary: String::new(),
        drift: vec![],
    };
    assert_eq!(
        verdict(&[line(State::Ok), line(State::Warning)]),
        (true, "healthy: 2 objects (1 warning)".into())
    );
    assert_eq!(
        verdict(&[
            line(State::Ok),
            line(State::Missing),
            line(State::Progressing)
        ]),
        (
            false,
            "not healthy: 1 missing, 1 progressing of 3 objects".into()
        )
    );
}
