//! `status`'s judgement of one rendered object against the cluster: present, matching the
//! render (the server's dry-run of applying it changes nothing), and for the kinds that run
//! something, how far along they are: rollouts (Deployment, StatefulSet), the autoscaler's
//! replicas and whether it can compute each metric, claims Bound, the disruption budget's
//! allowance, the backup CronJob's last success. Pure over the objects read, so it is tested
//! over recorded API objects.

use serde::Serialize;
use serde_json::Value as J;

use super::live::{self, Ref};

fn s<'a>(v: &'a J, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(J::as_str).unwrap_or_default()
}

fn int(v: &J, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(J::as_i64)
}

/// How an object stands, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Present, matching, done.
    Ok,
    /// Healthy, with something worth knowing (no disruption allowed right now, no backup yet).
    Warning,
    /// On its way (a rollout, a claim binding): `--wait` waits for it.
    Progressing,
    /// Present but different from the render: applying it would change it.
    Drifted,
    /// Not working (a stuck rollout, an autoscaler that cannot compute a metric, a failed
    /// backup, a claim lost), or the server refuses the render.
    Failing,
    /// Not in the cluster.
    Missing,
}

impl State {
    /// The word printed for it.
    pub fn word(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Warning => "warning",
            State::Progressing => "progressing",
            State::Drifted => "drifted",
            State::Failing => "failing",
            State::Missing => "missing",
        }
    }

    /// Whether the deployment is healthy with this object so.
    pub fn healthy(self) -> bool {
        matches!(self, State::Ok | State::Warning)
    }
}

/// One object's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Its kind.
    pub kind: String,
    /// Its namespace, if namespaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// How it stands.
    pub state: State,
    /// What was seen, in a few words.
    pub summary: String,
    /// The fields applying the render would change (`spec.replicas: 5 → 3`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<String>,
}

/// What the cluster says about one rendered object.
pub struct Seen<'a> {
    /// The live object, if there is one.
    pub live: Option<&'a J>,
    /// The server's dry-run of applying the rendered object: the object it would store, or
    /// why it refuses.
    pub applied: Option<&'a Result<J, String>>,
    /// The Jobs in the namespace (for a CronJob's runs).
    pub jobs: &'a [J],
    /// Now.
    pub now: jiff::Timestamp,
}

/// The line of one rendered object.
pub fn assess(rendered: &J, seen: &Seen) -> Line {
    let r = Ref::of(rendered);
    let mut line = Line {
        kind: r.kind.clone(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        state: State::Ok,
        summary: String::new(),
        drift: Vec::new(),
    };
    let Some(live) = seen.live else {
        line.state = State::Missing;
        line.summary = "not in the cluster (apply the render)".into();
        return line;
    };
    let (state, summary) = match r.kind.as_str() {
        "Deployment" => deployment(live),
        "StatefulSet" => statefulset(live),
        "HorizontalPodAutoscaler" => autoscaler(live),
        "PersistentVolumeClaim" => claim(live),
        "PodDisruptionBudget" => budget(live),
        "CronJob" => cronjob(live, seen.jobs, seen.now),
        _ => (State::Ok, "present".to_owned()),
    };
    line.state = state;
    line.summary = summary;
    match seen.applied {
        Some(Ok(applied)) => {
            let show = |v: Option<&J>| v.map_or("(none)".to_owned(), J::to_string);
            line.drift = live::differences(live, applied)
                .iter()
                .map(|d| {
                    format!(
                        "{}: {} → {}",
                        d.path,
                        show(d.old.as_ref()),
                        show(d.new.as_ref())
                    )
                })
                .collect();
            if !line.drift.is_empty() && line.state < State::Drifted {
                line.state = State::Drifted;
            }
        }
        Some(Err(why)) => {
            line.state = State::Failing;
            line.summary = format!("the server refuses the render: {why}");
        }
        None => {}
    }
    line
}

fn condition<'a>(o: &'a J, kind: &str) -> Option<&'a J> {
    o.pointer("/status/conditions")
        .and_then(J::as_array)?
        .iter()
        .find(|c| s(c, "/type") == kind)
}

fn observed(o: &J) -> bool {
    match (
        int(o, "/status/observedGeneration"),
        int(o, "/metadata/generation"),
    ) {
        (Some(seen), Some(generation)) => seen >= generation,
        (None, Some(_)) => false,
        _ => true,
    }
}

fn deployment(o: &J) -> (State, String) {
    let want = int(o, "/spec/replicas").unwrap_or(1);
    let updated = int(o, "/status/updatedReplicas").unwrap_or(0);
    let ready = int(o, "/status/readyReplicas").unwrap_or(0);
    let available = int(o, "/status/availableReplicas").unwrap_or(0);
    let total = int(o, "/status/replicas").unwrap_or(0);
    let counts = format!("{updated}/{want} updated, {ready} ready, {available} available");
    if let Some(c) = condition(o, "Progressing")
        && s(c, "/status") == "False"
    {
        return (
            State::Failing,
            format!(
                "rollout stuck ({}): {}; {counts}",
                s(c, "/reason"),
                s(c, "/message")
            ),
        );
    }
    if !observed(o) {
        return (
            State::Progressing,
            format!("rolling out: the controller has not seen the latest change yet; {counts}"),
        );
    }
    if updated < want {
        return (State::Progressing, format!("rolling out: {counts}"));
    }
    if total > updated {
        return (
            State::Progressing,
            format!(
                "rolling out: {} old pods still running; {counts}",
                total - updated
            ),
        );
    }
    if available < want {
        return (State::Progressing, format!("not all available: {counts}"));
    }
    (State::Ok, format!("rolled out: {ready}/{want} ready"))
}

fn statefulset(o: &J) -> (State, String) {
    let want = int(o, "/spec/replicas").unwrap_or(1);
    let ready = int(o, "/status/readyReplicas").unwrap_or(0);
    let updated = int(o, "/status/updatedReplicas").unwrap_or(0);
    let (current, update) = (
        s(o, "/status/currentRevision"),
        s(o, "/status/updateRevision"),
    );
    let counts = format!("{updated}/{want} updated, {ready}/{want} ready");
    if !observed(o) {
        return (
            State::Progressing,
            format!("rolling out: the controller has not seen the latest change yet; {counts}"),
        );
    }
    if !update.is_empty() && current != update && updated < want {
        return (State::Progressing, format!("rolling out: {counts}"));
    }
    if ready < want {
        return (State::Progressing, format!("not all ready: {counts}"));
    }
    (State::Ok, format!("rolled out: {ready}/{want} ready"))
}

fn autoscaler(o: &J) -> (State, String) {
    let current = int(o, "/status/currentReplicas").unwrap_or(0);
    let desired = int(o, "/status/desiredReplicas").unwrap_or(0);
    let bounds = format!(
        "min {}, max {}",
        int(o, "/spec/minReplicas").unwrap_or(1),
        int(o, "/spec/maxReplicas").unwrap_or(0)
    );
    let replicas = format!("current {current}, desired {desired} ({bounds})");
    let metrics: Vec<String> = o
        .pointer("/status/currentMetrics")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| match s(m, "/type") {
            "Resource" => Some(format!(
                "{} {}",
                s(m, "/resource/name"),
                int(m, "/resource/current/averageUtilization")
                    .map(|u| format!("{u}%"))
                    .unwrap_or_else(|| s(m, "/resource/current/averageValue").to_owned())
            )),
            "Pods" => Some(format!(
                "{} {}",
                s(m, "/pods/metric/name"),
                s(m, "/pods/current/averageValue")
            )),
            _ => None,
        })
        .collect();
    for kind in ["AbleToScale", "ScalingActive"] {
        if let Some(c) = condition(o, kind)
            && s(c, "/status") == "False"
        {
            return (
                State::Failing,
                format!(
                    "{replicas}; cannot scale ({}): {}",
                    s(c, "/reason"),
                    s(c, "/message")
                ),
            );
        }
    }
    if condition(o, "ScalingActive").is_none() {
        return (
            State::Progressing,
            format!("{replicas}; the autoscaler has not reported yet"),
        );
    }
    let mut summary = replicas;
    if !metrics.is_empty() {
        summary.push_str(&format!("; {}", metrics.join(", ")));
    }
    if let Some(c) = condition(o, "ScalingLimited")
        && s(c, "/status") == "True"
    {
        summary.push_str(&format!("; limited ({})", s(c, "/reason")));
    }
    (State::Ok, summary)
}

fn claim(o: &J) -> (State, String) {
    match s(o, "/status/phase") {
        "Bound" => (
            State::Ok,
            format!(
                "Bound to {} ({})",
                s(o, "/spec/volumeName"),
                s(o, "/status/capacity/storage")
            ),
        ),
        "Lost" => (
            State::Failing,
            format!("Lost: its volume {} is gone", s(o, "/spec/volumeName")),
        ),
        other => (
            State::Progressing,
            format!(
                "{}: not bound yet (`agentctl doctor` says why)",
                if other.is_empty() { "Pending" } else { other }
            ),
        ),
    }
}

fn budget(o: &J) -> (State, String) {
    let allowed = int(o, "/status/disruptionsAllowed").unwrap_or(0);
    let healthy = int(o, "/status/currentHealthy").unwrap_or(0);
    let desired = int(o, "/status/desiredHealthy").unwrap_or(0);
    let expected = int(o, "/status/expectedPods").unwrap_or(0);
    let counts = format!("{healthy} healthy of {expected}, {desired} required");
    if allowed == 0 && expected > 0 {
        (
            State::Warning,
            format!("no disruption allowed now ({counts}): a node drain waits"),
        )
    } else {
        (
            State::Ok,
            format!("{allowed} disruptions allowed ({counts})"),
        )
    }
}

/// `3h12m`, `45s`.
pub fn ago(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86400, (s % 86400) / 3600),
    }
}

fn since(now: jiff::Timestamp, at: &str) -> Option<i64> {
    let t: jiff::Timestamp = at.parse().ok()?;
    Some(now.as_second() - t.as_second())
}

fn cronjob(o: &J, jobs: &[J], now: jiff::Timestamp) -> (State, String) {
    let name = s(o, "/metadata/name");
    let mut runs: Vec<&J> = jobs
        .iter()
        .filter(|j| {
            j.pointer("/metadata/ownerReferences")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
                .any(|r| s(r, "/kind") == "CronJob" && s(r, "/name") == name)
        })
        .collect();
    runs.sort_by_key(|j| s(j, "/metadata/creationTimestamp").to_owned());
    let last_success = s(o, "/status/lastSuccessfulTime");
    let success = since(now, last_success).map(|a| format!("last success {} ago", ago(a)));
    if let Some(last) = runs.last()
        && let Some(c) = condition(last, "Failed")
        && s(c, "/status") == "True"
    {
        return (
            State::Failing,
            format!(
                "its last run, Job {}, failed ({}): {}{}",
                s(last, "/metadata/name"),
                s(c, "/reason"),
                s(c, "/message"),
                success.map(|s| format!("; {s}")).unwrap_or_default()
            ),
        );
    }
    if o.pointer("/spec/suspend").and_then(J::as_bool) == Some(true) {
        return (State::Warning, "suspended: no backup runs".into());
    }
    match success {
        Some(text) => (
            State::Ok,
            format!("{text} (schedule {})", s(o, "/spec/schedule")),
        ),
        None => (
            State::Warning,
            format!(
                "no successful run yet (schedule {}{})",
                s(o, "/spec/schedule"),
                since(now, s(o, "/status/lastScheduleTime"))
                    .map(|a| format!(", last started {} ago", ago(a)))
                    .unwrap_or_default()
            ),
        ),
    }
}

/// The verdict over the lines: healthy, and the one-line account.
pub fn verdict(lines: &[Line]) -> (bool, String) {
    let count = |st: State| lines.iter().filter(|l| l.state == st).count();
    let bad: Vec<String> = [
        State::Missing,
        State::Failing,
        State::Drifted,
        State::Progressing,
    ]
    .iter()
    .filter_map(|&st| {
        let n = count(st);
        (n > 0).then(|| format!("{n} {}", st.word()))
    })
    .collect();
    if bad.is_empty() {
        let w = count(State::Warning);
        let warn = if w > 0 {
            format!(" ({w} warning{})", if w == 1 { "" } else { "s" })
        } else {
            String::new()
        };
        (true, format!("healthy: {} objects{warn}", lines.len()))
    } else {
        (
            false,
            format!("not healthy: {} of {} objects", bad.join(", "), lines.len()),
        )
    }
}

#[cfg(test)]
mod tests;
