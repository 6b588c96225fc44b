//! Ground truth for change impact: the control plane's upgrade matrix
//! (`tests/data/upgrade-matrix.json`, recorded by `scripts/cluster-e2e.sh`: every ordered pair
//! of 14 renders applied with `kubectl apply -k` over each other on a real API server). For
//! every pair, both sides are rendered with the current binary and compared with `agentctl diff
//! --base-dir FROM -o TO --format json`; the prediction agrees with the cluster when `recreate`
//! is predicted for exactly the objects the API server rejected, `rollout` for the agent
//! Deployment and the Redis StatefulSet exactly when the cluster replaced their pods or started
//! to, and `stall` ("stalls for certain") for exactly the workloads whose rollout never
//! completed (the recording's `not_ready`: the agent below its new revision, Redis with no
//! ready pod on it). Every transition must agree.
//!
//! The matrix was recorded with the renders of its day. An object it names that the current
//! renders no longer produce (e.g. `agent-data-pvc`, now an emptyDir by default) cannot be
//! predicted from them: such a disagreement is reported as stale, with the object, and is not
//! counted as a correct prediction; every other disagreement fails the test.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as J;

use crate::support::{self, agentctl, root};

/// (kind, name).
type Obj = (String, String);

/// Renders `args` (the matrix's agentctl arguments) into `dir` with namespace `ns`.
fn render(args: &[String], ns: &str, dir: &Path) {
    let mut a: Vec<String> = vec!["render".into(), "-q".into()];
    a.extend(args.iter().cloned());
    a.extend(["--set".into(), format!("namespace={ns}"), "-o".into()]);
    a.push(dir.display().to_string());
    let r = agentctl(&a).run();
    assert_eq!(r.code, 0, "agentctl {a:?}: {}", r.stderr);
}

/// The (kind, name) of every object rendered into `dir`.
fn objects(dir: &Path) -> BTreeSet<Obj> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for o in support::lib::parse_manifests(&text).unwrap() {
            if let (Some(k), Some(n)) = (o["kind"].as_str(), o["metadata"]["name"].as_str()) {
                out.insert((k.to_owned(), n.to_owned()));
            }
        }
    }
    out
}

#[test]
fn upgrade_matrix_agreement() {
    let text = std::fs::read_to_string(root().join("tests/data/upgrade-matrix.json")).unwrap();
    let matrix: J = serde_json::from_str(&text).unwrap();
    assert!(
        matrix["schema"]
            .as_str()
            .unwrap()
            .starts_with("agentctl upgrade matrix v1"),
        "a matrix of another schema: update this test"
    );
    let work = support::tempdir();
    let renders = matrix["renders"].as_object().unwrap();
    // Each render once, in namespace `m` (the namespace-moved one in `m-mv`, as the recording
    // did for its pair's namespace).
    for (name, args) in renders {
        let (args, ns): (Vec<String>, &str) = if name == "set:namespace-moved" {
            (Vec::new(), "m-mv")
        } else {
            let args = args.as_array().unwrap().iter().map(|a| {
                let a = a.as_str().unwrap();
                if a.starts_with("examples/") {
                    root().join(a).display().to_string()
                } else {
                    a.to_owned()
                }
            });
            (args.collect(), "m")
        };
        render(&args, ns, &work.path().join(dir_name(name)));
    }
    let mut correct = 0;
    let mut stale: Vec<String> = Vec::new();
    let mut stalled_objects = 0;
    let mut may_stall: Vec<String> = Vec::new();
    let mut wrong: Vec<String> = Vec::new();
    let pairs = matrix["pairs"].as_array().unwrap();
    for p in pairs {
        let (from, to) = (p["from"].as_str().unwrap(), p["to"].as_str().unwrap());
        if p.get("error").is_some() {
            wrong.push(format!(
                "{from} -> {to}: the recording failed: {}",
                p["error"]
            ));
            continue;
        }
        let (a, b) = (
            work.path().join(dir_name(from)),
            work.path().join(dir_name(to)),
        );
        let args = [
            "diff",
            "--base-dir",
            &a.display().to_string(),
            "-o",
            &b.display().to_string(),
            "--format",
            "json",
        ]
        .map(str::to_owned);
        let r = agentctl(&args).run();
        assert!(r.code == 0 || r.code == 1, "{from} -> {to}: {}", r.stderr);
        let doc: J = serde_json::from_str(&r.stdout).unwrap();
        let with = |class: &str| -> BTreeSet<Obj> {
            doc["changes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["impact"].as_array().unwrap().iter().any(|x| x == class))
                .map(|c| {
                    (
                        c["kind"].as_str().unwrap().to_owned(),
                        c["name"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let predicted_recreate = with("recreate");
        let predicted_rollout = with("rollout");
        let rejected: BTreeSet<Obj> = p["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["result"] == "rejected")
            .map(|o| {
                (
                    o["kind"].as_str().unwrap().to_owned(),
                    o["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        // An update needs the object on both sides: one the current renders have on one side
        // only cannot reproduce what the recording's renders did.
        let now: BTreeSet<Obj> = objects(&a).intersection(&objects(&b)).cloned().collect();
        let mut problems = Vec::new();
        let mut outdated = Vec::new();
        for o in predicted_recreate.symmetric_difference(&rejected) {
            let what = if rejected.contains(o) {
                "rejected, recreate not predicted"
            } else {
                "recreate predicted, not rejected"
            };
            let line = format!("{}/{}: {what}", o.0, o.1);
            if !now.contains(o) {
                outdated.push(format!("{line} (not rendered on both sides any more)"));
            } else if let Some(why) = render_changed(from, to, o) {
                outdated.push(format!("{line} ({why})"));
            } else {
                problems.push(line);
            }
        }
        // The workloads the cluster could not finish rolling: the agent stuck below its new
        // revision, Redis not ready on its new revision (quota admission refused their pods).
        let not_ready: Vec<&str> = p["not_ready"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
            .collect();
        let stalls_of = |doc: &J, certain: bool| -> BTreeSet<Obj> {
            doc["changes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| {
                    c["reasons"].as_array().unwrap().iter().any(|r| {
                        r["class"] == "stall"
                            && (!certain
                                || r["text"]
                                    .as_str()
                                    .unwrap()
                                    .starts_with("rollout stalls for certain"))
                    })
                })
                .map(|c| {
                    (
                        c["kind"].as_str().unwrap().to_owned(),
                        c["name"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let (certain, possible) = (stalls_of(&doc, true), stalls_of(&doc, false));
        for (kind, name, pods) in [
            ("Deployment", "agent-deployment", "agent_pods"),
            ("StatefulSet", "redis", "redis_pods"),
        ] {
            let obj = (kind.to_owned(), name.to_owned());
            let stalled = not_ready.iter().any(|n| {
                n.starts_with(&format!("{name}: updatedReplicas "))
                    || n.starts_with(&format!("{name}: ready 0, updated 0 of"))
            });
            if stalled {
                stalled_objects += 1;
            }
            // A stalled rollout was started: the cluster replaced pods (Redis's, deleted) or
            // tried to (the agent's, refused).
            let replaced = p[pods]["replaced"].as_u64().unwrap() > 0 || stalled;
            let predicted = predicted_rollout.contains(&obj);
            if replaced != predicted {
                let line = format!(
                    "{kind}/{name}: {} pods replaced{}, rollout {}predicted",
                    p[pods]["replaced"],
                    if stalled { " (stalled)" } else { "" },
                    if predicted { "" } else { "not " }
                );
                match render_changed(from, to, &obj) {
                    Some(why) => outdated.push(format!("{line} ({why})")),
                    None => problems.push(line),
                }
            }
            // A stall is predicted for certain exactly where the cluster stalled; "may stall"
            // (only when scaled out, or in some controller orders) is not a prediction that the
            // matrix, recorded at the autoscaler's minimum, can confirm: it must not be where
            // the cluster stalled (that is a certain stall), and is counted apart elsewhere.
            if stalled && !certain.contains(&obj) {
                problems.push(format!(
                    "{kind}/{name}: the rollout stalled ({}), {}",
                    not_ready.join("; "),
                    if possible.contains(&obj) {
                        "only \"may stall\" predicted"
                    } else {
                        "no stall predicted"
                    }
                ));
            } else if !stalled && certain.contains(&obj) {
                problems.push(format!(
                    "{kind}/{name}: a stall predicted for certain, the rollout completed"
                ));
            } else if !stalled && possible.contains(&obj) {
                may_stall.push(format!("{from} -> {to}: {kind}/{name}"));
            }
        }
        if !problems.is_empty() {
            wrong.push(format!("{from} -> {to}: {}", problems.join("; ")));
        } else if !outdated.is_empty() {
            stale.push(format!("{from} -> {to}: {}", outdated.join("; ")));
        } else {
            correct += 1;
        }
    }
    println!(
        "upgrade matrix: {correct} of {} transitions predicted correctly ({stalled_objects} stalled rollouts among them, each predicted); {} \"may stall\" where the recording (at the autoscaler's minimum) completed; {} stale (only where the renders changed since the recording); {} wrong",
        pairs.len(),
        may_stall.len(),
        stale.len(),
        wrong.len()
    );
    for s in &may_stall {
        println!("  may stall: {s}");
    }
    for s in &stale {
        println!("  stale: {s}");
    }
    assert!(
        wrong.is_empty(),
        "disagreements with the cluster:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        correct,
        pairs.len(),
        "every transition is predicted correctly"
    );
    assert!(stalled_objects > 0, "the matrix holds stalled rollouts");
    // The matrix is recorded with the current renders: nothing may be stale.
    assert!(stale.is_empty(), "stale:\n{}", stale.join("\n"));
}

/// Renders that changed since the matrix was recorded, in a way that changes an outcome: why,
/// or `None`. None today: tests/data holds a matrix recorded with the current renders; when a
/// template change alters an outcome before the matrix is recorded again, name it here.
fn render_changed(_from: &str, _to: &str, _o: &Obj) -> Option<&'static str> {
    None
}

fn dir_name(render: &str) -> String {
    render.replace([':', '+'], "_")
}
