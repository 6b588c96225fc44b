//! The lifecycle hooks of the agent pod's containers (`agent.lifecycle`, a sidecar's
//! `lifecycle`): exactly one action per hook, a command that is not empty, a `sleep` the
//! target Kubernetes version runs and that ends before the grace period does
//! (`agent.terminationGracePeriodSeconds`: after it the kubelet kills the container, so a
//! `sleep` as long as the grace period leaves the process no time to finish after SIGTERM);
//! no hook on an init container, which runs to completion (the API server refuses one).

use super::Checker;
use crate::config::{Config, Hook, Lifecycle};
use crate::k8s::version::Feature;

const GRACE: &str = "agent.terminationGracePeriodSeconds";

/// Every container's hooks.
pub(super) fn hooks(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    lifecycle(k, c, "agent.lifecycle", &a.lifecycle);
    for (name, ct) in &a.sidecars {
        lifecycle(
            k,
            c,
            &format!("agent.sidecars.{name}.lifecycle"),
            &ct.lifecycle,
        );
    }
    for (name, ct) in &a.init_containers {
        if ct.lifecycle.pre_stop.is_some() {
            k.fail(
                &format!("agent.initContainers.{name}.lifecycle.preStop"),
                "an init container takes no lifecycle hook: it runs to completion before the agent starts, and the API server refuses one".into(),
                Some(format!(
                    "remove `lifecycle`; for a container that runs beside the agent and stops with it, move `{name}` to `agent.sidecars` (`native: true` keeps it starting first)"
                )),
            );
        }
    }
}

fn lifecycle(k: &mut Checker, c: &Config, path: &str, l: &Lifecycle) {
    if let Some(h) = &l.pre_stop {
        hook(k, c, &format!("{path}.preStop"), h);
    }
}

fn hook(k: &mut Checker, c: &Config, path: &str, h: &Hook) {
    let grace = c.agent.termination_grace_period_seconds;
    match (&h.exec, h.sleep) {
        (None, None) => k.fail(
            path,
            "a hook needs an action: `exec` (a command) or `sleep` (seconds)".into(),
            Some("e.g. `preStop: {sleep: 5}`, or `preStop: {exec: [/app/drain]}`; remove `preStop` for none".into()),
        ),
        (Some(_), Some(_)) => k.fail(
            &format!("{path}.sleep"),
            "a hook has one action: both `exec` and `sleep` are set".into(),
            Some("keep one; to wait and then run a command: `exec: [/bin/sh, -c, \"sleep 5; /app/drain\"]`".into()),
        ),
        (Some(cmd), None) => {
            if cmd.first().is_none_or(|c| c.trim().is_empty()) {
                k.fail(
                    &format!("{path}.exec"),
                    "the command is empty: the kubelet has nothing to run".into(),
                    Some("name the command and its arguments, e.g. `exec: [/app/drain, --timeout=20s]`".into()),
                );
            }
            if grace == 0 {
                k.cross(
                    &format!("{path}.exec"),
                    GRACE,
                    "the grace period is 0 seconds: the container is killed before the hook can run".into(),
                    "give the pod time to stop: `agent.terminationGracePeriodSeconds: 30`".into(),
                );
            }
        }
        (None, Some(seconds)) => {
            let target = c.kube_version();
            if !target.supports(Feature::SleepAction) {
                k.cross(
                    &format!("{path}.sleep"),
                    "kubeVersion",
                    Feature::SleepAction.refusal(target),
                    format!(
                        "{}; else wait with a command of the image: `exec: [/bin/sh, -c, \"sleep {seconds}\"]`",
                        Feature::SleepAction.help().trim_end_matches("; else remove it")
                    ),
                );
            }
            if seconds >= grace {
                k.cross(
                    &format!("{path}.sleep"),
                    GRACE,
                    format!(
                        "the preStop sleep of {seconds}s is not below the grace period of {grace}s: the kubelet kills the container before the process gets SIGTERM, so in-flight requests are cut"
                    ),
                    format!(
                        "raise `agent.terminationGracePeriodSeconds` above the sleep plus the time the agent needs to finish after SIGTERM (e.g. {}), or shorten the sleep",
                        seconds.saturating_add(30)
                    ),
                );
            }
        }
    }
}
