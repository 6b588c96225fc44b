//! What the real control plane found (`scripts/cluster-e2e.sh`, issue 15), pinned without it:
//! each test holds one finding of the end-to-end run against kube-apiserver 1.33, checked here on
//! the rendered output with rules written from what the API server did, independent of the
//! library's own normalization. The e2e run stays the ground truth; these fail first, in seconds.
//!
//! - Drift after apply: the API server stores canonical quantities (`2000m` as `2`) and omits
//!   zero values and empty lists (`initialDelaySeconds: 0`, `egress: []`), so output in any other
//!   form never matches the live object.
//! - A label change must not touch an immutable field (a StatefulSet's volumeClaimTemplates,
//!   selectors): the API server rejects the whole update.
//! - Pruning must select one deployment: every object carries `app.kubernetes.io/instance`, and
//!   the documented prune command in `kustomization.yaml` selects by it.
//! - Scheduling needs are reported before they bite: required anti-affinity needs one node per
//!   pod at full scale plus the surge pod, or the rollout never finishes.

use serde_json::Value as J;

use crate::manifests::CASES;
use crate::support::{self, agentctl, lib, root};

fn objects(profiles: &[&str], files: &[&str], sets: &[&str]) -> Vec<(String, J)> {
    let rendered = lib::render(&root(), profiles, files, sets).expect("renders");
    let mut out = Vec::new();
    for (name, text) in rendered {
        for obj in lib::parse_manifests(&text).expect("parses") {
            out.push((name.clone(), obj));
        }
    }
    out
}

fn built_in(obj: &J) -> bool {
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    [
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
    ]
    .contains(&group)
}

/// Why the API server would store `q` differently, from what it did in the e2e run.
fn not_canonical(q: &str) -> Option<&'static str> {
    let digits = q.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &q[digits.len()..];
    if digits.contains('.') {
        return Some("a fraction is stored as a whole number of a smaller unit");
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Some("a leading zero is dropped");
    }
    if q.ends_with("000m") {
        return Some("whole cores are stored without millis (`2000m` is stored as `2`)");
    }
    if suffix.is_empty() && digits.len() > 3 && digits.ends_with("000") {
        return Some("thousands are stored with a `k` (`1000` is stored as `1k`)");
    }
    let n: u128 = digits.parse().ok()?;
    if suffix.ends_with('i') && suffix != "Ei" && n > 0 && n.is_multiple_of(1024) {
        return Some(
            "a binary quantity is stored in its largest unit (`1024Mi` is stored as `1Gi`)",
        );
    }
    None
}

/// Every place of `v` where the API server would store something else; `path` is where `v` is.
fn drift(v: &J, path: &str, parent: &str, out: &mut Vec<String>) {
    match v {
        J::Object(m) => {
            for (k, child) in m {
                let p = format!("{path}.{k}");
                let quantities = match (parent, k.as_str()) {
                    ("resources", "limits" | "requests") | ("spec", "hard") => true,
                    (_, "sizeLimit") => {
                        if let Some(why) = child.as_str().and_then(not_canonical) {
                            out.push(format!("{p}: {child}: {why}"));
                        }
                        false
                    }
                    _ => false,
                };
                if k == "initialDelaySeconds" && child == 0 {
                    out.push(format!("{p}: 0 is the default, which the API server omits"));
                }
                if child.as_array().is_some_and(Vec::is_empty) {
                    out.push(format!("{p}: []: the API server omits an empty list"));
                }
                if quantities && let Some(q) = child.as_object() {
                    for (r, v) in q {
                        if let Some(why) = v.as_str().and_then(not_canonical) {
                            out.push(format!("{p}.{r}: {v}: {why}"));
                        }
                    }
                }
                drift(child, &p, k, out);
            }
        }
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                drift(x, &format!("{path}[{i}]"), parent, out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_object_is_rendered_in_the_form_the_api_server_stores() {
    // e2e: `kubectl diff -k` after apply and live-vs-rendered compares found `cpu: 2000m` stored
    // as `2`, `initialDelaySeconds: 0` and `egress: []`/`ingress: []` dropped.
    let mut found = Vec::new();
    for (case, profiles, files, sets) in CASES {
        for (file, obj) in objects(profiles, files, sets) {
            if !built_in(&obj) {
                continue;
            }
            let id = format!(
                "{case}: {file}: {}/{}",
                obj["kind"].as_str().unwrap_or("?"),
                obj["metadata"]["name"].as_str().unwrap_or("?")
            );
            let mut here = Vec::new();
            drift(&obj, "", "", &mut here);
            found.extend(here.into_iter().map(|d| format!("{id}{d}")));
        }
    }
    assert!(
        found.is_empty(),
        "would drift after apply:\n{}",
        found.join("\n")
    );
    // The checks above catch what they are about.
    let mut caught = Vec::new();
    let bad = serde_json::json!({"resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"}},
        "livenessProbe": {"initialDelaySeconds": 0}, "egress": []});
    drift(&bad, "", "", &mut caught);
    assert_eq!(caught.len(), 4, "{caught:?}");
}

#[test]
fn a_label_change_touches_no_immutable_field() {
    // e2e: applying `--set labels.team=e2e` over the defaults was rejected: the label reached the
    // StatefulSet's volumeClaimTemplates, which cannot change.
    let before = objects(&[], &[], &[]);
    let after = objects(&[], &[], &["labels.team=e2e"]);
    assert_eq!(before.len(), after.len());
    let mut labelled = 0;
    for ((_, a), (_, b)) in before.iter().zip(&after) {
        let id = format!("{}/{}", a["kind"], a["metadata"]["name"]);
        for immutable in ["/spec/volumeClaimTemplates", "/spec/selector"] {
            assert_eq!(
                a.pointer(immutable),
                b.pointer(immutable),
                "{id}{immutable} changed"
            );
        }
        if a["kind"] == "Kustomization" {
            // kustomize's includeTemplates would label the volumeClaimTemplates itself.
            assert_eq!(b["labels"][0]["includeTemplates"], false, "{b}");
            continue;
        }
        if b.pointer("/metadata/labels/team").and_then(J::as_str) == Some("e2e") {
            labelled += 1;
        }
    }
    assert_eq!(
        labelled,
        after.len() - 1,
        "every object (but the kustomization) carries the label"
    );
    // Pod templates do carry it (set by the templates themselves, not by kustomize).
    let sts = after
        .iter()
        .find(|(_, o)| o["kind"] == "StatefulSet")
        .expect("redis");
    assert_eq!(
        sts.1["spec"]["template"]["metadata"]["labels"]["team"],
        "e2e"
    );
}

#[test]
fn every_object_carries_its_instance_and_the_prune_command_selects_it() {
    // e2e: `kubectl apply --prune -l app.kubernetes.io/managed-by=agentctl` deleted the other
    // environment's Namespace (same labels), and left the HPA behind after defaults -> dev.
    for (ns, sets) in [
        ("dev-agents", &[][..]),
        ("staging-agents", &["namespace=staging-agents"][..]),
    ] {
        let objs = objects(&["dev"], &[], sets);
        for (_, o) in objs.iter().filter(|(_, o)| o["kind"] != "Kustomization") {
            assert_eq!(
                o.pointer("/metadata/labels/app.kubernetes.io~1instance")
                    .and_then(J::as_str),
                Some(ns),
                "{}/{}",
                o["kind"],
                o["metadata"]["name"]
            );
        }
    }
    // The documented command, in the kustomization's header: this instance, and the kinds dev
    // no longer renders but the defaults did (the HPA, the PDB) so switching to dev prunes them.
    let rendered =
        lib::render(&root(), &["dev"], &[], &["namespace=staging-agents"]).expect("renders");
    let k = &rendered
        .iter()
        .find(|(n, _)| n == "kustomization.yaml")
        .expect("kustomization")
        .1;
    let command: String = k
        .lines()
        .skip_while(|l| !l.starts_with("#   kubectl apply -k . --prune"))
        .take_while(|l| l.starts_with("#  "))
        .map(|l| l.trim_start_matches('#').trim().trim_end_matches('\\'))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        command.contains(
            "-l app.kubernetes.io/managed-by=agentctl,app.kubernetes.io/instance=staging-agents "
        ),
        "{k}"
    );
    for kind in [
        "autoscaling/v2/HorizontalPodAutoscaler",
        "policy/v1/PodDisruptionBudget",
        "networking.k8s.io/v1/NetworkPolicy",
        "batch/v1/CronJob",
        "core/v1/ConfigMap",
    ] {
        assert!(
            command.contains(&format!("--prune-allowlist={kind}")),
            "{kind} missing: {command}"
        );
    }
    // Never the Namespace: pruning one deletes everything in it.
    assert!(!command.contains("Namespace"), "{command}");
}

#[test]
fn required_anti_affinity_names_a_node_per_pod_plus_the_surge() {
    // e2e: with required anti-affinity and as many matching nodes as replicas, the surge pod of a
    // rollout stays Pending and `kubectl rollout status` never returns.
    let dir = support::tempdir();
    for (profiles, want) in [
        (
            &["low-latency"][..],
            "at least 11 nodes labelled node-type=high-performance",
        ),
        (
            &["high-throughput", "low-latency"][..],
            "at least 51 nodes labelled node-type=high-performance",
        ),
    ] {
        let mut args = vec!["render".to_owned()];
        for p in profiles {
            args.extend(["-p".to_owned(), (*p).to_owned()]);
        }
        args.extend(["-o".to_owned(), format!("out-{}", profiles.join("-"))]);
        let r = agentctl(&args).current_dir(dir.path()).run();
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains(want), "{profiles:?}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("+ maxSurge 1); with fewer nodes pods stay Pending"),
            "{}",
            r.stderr
        );
    }
    // The adopter's PriorityClass and pull Secret: without them no pod is created or runs.
    let r = agentctl([
        "render",
        "-f",
        &root().join("examples/adopter.yaml").display().to_string(),
        "-o",
        "adopter",
    ])
    .current_dir(dir.path())
    .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    for want in [
        "PriorityClass agents-high: the pods of Deployment agent-deployment name it",
        "Secret registry-credentials (type kubernetes.io/dockerconfigjson) in namespace support-agents",
        "nodes labelled dedicated=agents in at least 2 zones",
    ] {
        assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
    }
}

/// The cluster commands that read a kubeconfig, each as a user runs it beside a project.
const READERS: &[&[&str]] = &[&["status"], &["doctor"], &["diff", "--live"]];

/// A kubeconfig is read as kubectl reads it, and nothing more (issue 20, finding 3): a parse
/// error says where and quotes no line of the file, whose `token:`, `password:` and
/// `client-key-data:` values are credentials in clear; a file that is not a regular file (a
/// FIFO, a device) or a kernel file (`/proc/self/environ`, the environment) is refused before it
/// is read, and one past 16 MiB is never read whole. For `--kubeconfig` and each `KUBECONFIG`
/// entry alike, with every command that reads one. No cluster is needed: each fails before.
#[test]
fn a_kubeconfig_is_read_without_quoting_or_waiting() {
    let work = support::tempdir();
    let w = work.path();
    let head = "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user:\n";
    // (file, text, the credential that must never be shown)
    let broken: &[(&str, String, &str)] = &[
        (
            "token-bad-indent",
            format!("{head}    token: tok-3f9a1c2d7e\n   password: pw-9c1e77ab\n"),
            "tok-3f9a1c2d7e",
        ),
        (
            "token-as-list",
            format!("{head}    token: [tok-5e1b9d0c44]\n"),
            "tok-5e1b9d0c44",
        ),
        (
            "password-unterminated",
            format!("{head}    username: admin\n    password: \"pw-hunter2-88a\n"),
            "pw-hunter2-88a",
        ),
        (
            "key-data-as-map",
            format!("{head}    client-key-data: {{k: keydata-0b7c66f1}}\n"),
            "keydata-0b7c66f1",
        ),
        (
            "user-is-a-string",
            head.replace("  user:\n", "  user: \"token: tok-77aa01be\"\n"),
            "tok-77aa01be",
        ),
        (
            "tab-in-token-line",
            format!("{head}    token:\ttok-tab-1d2e3f\n\tpassword: x\n"),
            "tok-tab-1d2e3f",
        ),
    ];
    for (name, text, secret) in broken {
        support::write(w, name, text);
        for cmd in READERS {
            for (how, run) in [
                (
                    "--kubeconfig",
                    agentctl(cmd.iter().copied().chain(["--kubeconfig", name])),
                ),
                (
                    "KUBECONFIG",
                    agentctl(cmd.iter().copied()).env("KUBECONFIG", format!("missing:{name}")),
                ),
            ] {
                let r = run.current_dir(w).run();
                assert_eq!(r.code, 2, "{name} {cmd:?} {how}: {}", r.stderr);
                assert!(
                    r.stderr
                        .contains(&format!("cannot read kubeconfig {name}:")),
                    "{name} {cmd:?} {how}: no located error\n{}",
                    r.stderr
                );
                assert!(
                    !r.stderr.contains(secret) && !r.stdout.contains(secret),
                    "{name} {cmd:?} {how}: the credential is shown\n{}",
                    r.stderr
                );
            }
        }
    }
    // The environment: a regular file to stat, so refused by where it is, none of it shown.
    let r = agentctl(["status", "--kubeconfig", "/proc/self/environ"])
        .env("AGENTCTL_TEST_SECRET", "env-secret-6b1f0e")
        .current_dir(w)
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is a kernel file"), "{}", r.stderr);
    assert!(!r.stderr.contains("env-secret-6b1f0e"), "{}", r.stderr);
    let r = agentctl(["doctor"])
        .env("KUBECONFIG", "/proc/self/environ")
        .env("AGENTCTL_TEST_SECRET", "env-secret-6b1f0e")
        .current_dir(w)
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains("env-secret-6b1f0e"), "{}", r.stderr);
    // A device: refused at once, never read (3.5 GB of /dev/zero before).
    for dev in ["/dev/zero", "/dev/urandom"] {
        let r = agentctl(["status", "--kubeconfig", dev])
            .current_dir(w)
            .run();
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("is not a regular file"), "{}", r.stderr);
    }
    // A regular file past the cap: refused by its size, not read.
    let big = std::fs::File::create(w.join("huge")).expect("create");
    big.set_len(17 * 1024 * 1024).expect("sparse file");
    let r = agentctl(["status", "--kubeconfig", "huge"])
        .current_dir(w)
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("larger than 16 MiB"), "{}", r.stderr);
    // A FIFO: refused, never waited on (`timeout` exits 124 when agentctl hangs).
    let fifo = std::process::Command::new("mkfifo")
        .arg(w.join("fifo"))
        .status()
        .expect("mkfifo runs");
    assert!(fifo.success());
    for (cmd, env) in [
        ("timeout 20 agentctl status --kubeconfig fifo", ""),
        ("timeout 20 agentctl diff --live", "fifo"),
    ] {
        let r = support::shell(cmd)
            .env("KUBECONFIG", env)
            .current_dir(w)
            .run();
        assert_eq!(r.code, 2, "{cmd}: {}", r.stderr);
        assert!(
            r.stderr.contains("is not a regular file"),
            "{cmd}: {}",
            r.stderr
        );
    }
}
