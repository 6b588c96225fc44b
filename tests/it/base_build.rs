//! `diff --base`/`--base-dir` compares what `kubectl apply -k` would apply (issue 20, class
//! 7): the committed `kustomization.yaml` of each side decides which files count (a generated
//! file it does not list is not applied; one it stops listing is a delete) and moves objects
//! into its `namespace` as kustomize does; what agentctl cannot build is *not analyzed* in
//! every format and fails `--fail-on`. Each case edits a copy of a render and compares it with
//! the render.

use std::path::Path;

use crate::support::{self, agentctl};

/// A render in `old/` and a copy in `new/`.
fn two_copies() -> tempfile::TempDir {
    let work = support::tempdir();
    let w = work.path();
    let render = agentctl(["render", "-q", "-o", "old"]).current_dir(w).run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    std::fs::create_dir(w.join("new")).expect("mkdir");
    for name in support::tree(&w.join("old")).keys() {
        std::fs::copy(w.join("old").join(name), w.join("new").join(name)).expect("copy");
    }
    work
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).expect("read");
    std::fs::write(path, f(text)).expect("write");
}

/// `diff --base-dir old -o new --format json`: (exit code, the report, stderr).
fn json(w: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let run = agentctl(
        ["diff", "--base-dir", "old", "-o", "new", "--format", "json"]
            .iter()
            .chain(extra)
            .copied(),
    )
    .current_dir(w)
    .run();
    let doc = serde_json::from_str(&run.stdout).unwrap_or(serde_json::Value::Null);
    (run.code, doc, run.stderr)
}

/// `change kind namespace/name` of every change of a report (not the unchanged objects a
/// change affects).
fn changes(doc: &serde_json::Value) -> Vec<String> {
    doc["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["change"] != "affected")
        .map(|c| {
            format!(
                "{} {} {}/{}",
                c["change"].as_str().unwrap_or_default(),
                c["kind"].as_str().unwrap_or_default(),
                c["namespace"].as_str().unwrap_or("-"),
                c["name"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn not_analyzed(doc: &serde_json::Value) -> Vec<String> {
    doc["notAnalyzed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// A privileged Deployment in a generated file (agentctl's header) nothing lists.
fn planted(header: &str) -> String {
    format!(
        "{header}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: miner, namespace: production-agents}}\nspec:\n  selector: {{matchLabels: {{app: miner}}}}\n  template:\n    metadata: {{labels: {{app: miner}}}}\n    spec:\n      containers:\n      - name: c\n        image: evil:1\n        securityContext: {{privileged: true}}\n"
    )
}

#[test]
fn a_generated_file_kustomization_yaml_does_not_list_is_not_compared() {
    let work = two_copies();
    let w = work.path();
    let header = std::fs::read_to_string(w.join("old/quota.yaml")).expect("read");
    let header = header.lines().next().expect("header").to_owned();
    // Unlisted on the new side: kubectl apply -k would not ship it.
    std::fs::write(w.join("new/miner.yaml"), planted(&header)).expect("write");
    let (code, doc, stderr) = json(w, &["--fail-on", "security"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(changes(&doc), Vec::<String>::new(), "{doc}");
    assert_eq!(not_analyzed(&doc), Vec::<String>::new());
    // Listed (with `./`, as kustomize reads it): shipped, so compared: a privileged workload.
    edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("resources:\n", "resources:\n- ./miner.yaml\n", 1)
    });
    let (code, doc, stderr) = json(w, &["--fail-on", "security"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(changes(&doc), ["create Deployment production-agents/miner"]);
    assert_eq!(not_analyzed(&doc), Vec::<String>::new());
    // Listed on both sides but only in the new one's kustomization: old `miner.yaml` exists
    // unlisted, so it is a create all the same.
    std::fs::write(w.join("old/miner.yaml"), planted(&header)).expect("write");
    let (_, doc, _) = json(w, &[]);
    assert_eq!(changes(&doc), ["create Deployment production-agents/miner"]);
}

#[test]
fn a_file_no_longer_listed_is_a_delete() {
    let work = two_copies();
    let w = work.path();
    // Held back: the NetworkPolicy (security: default-deny gone) and the claims (data loss).
    edit(&w.join("new/kustomization.yaml"), |k| {
        k.lines()
            .filter(|l| !l.contains("networkpolicy.yaml") && !l.contains("backup.yaml"))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    let (code, doc, stderr) = json(w, &["--fail-on", "security,data-loss"]);
    assert_eq!(code, 3, "{stderr}");
    let got = changes(&doc);
    assert!(
        got.iter()
            .any(|c| c.starts_with("delete NetworkPolicy production-agents/")),
        "{got:?}"
    );
    assert!(
        got.iter().all(|c| c.starts_with("delete ")),
        "only deletes: {got:?}"
    );
    let text = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(w)
        .run();
    assert!(
        text.stderr.contains("delete NetworkPolicy"),
        "{}",
        text.stderr
    );
    // Listed twice: kustomize refuses the build.
    edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("resources:\n", "resources:\n- quota.yaml\n", 1)
    });
    let (code, doc, _) = json(w, &["--fail-on", "recreate"]);
    assert_eq!(code, 3);
    assert!(
        not_analyzed(&doc)
            .iter()
            .any(|n| n.contains("resources lists `quota.yaml` twice")),
        "{doc}"
    );
}

#[test]
fn a_committed_namespace_moves_every_object_as_kustomize_does() {
    let work = two_copies();
    let w = work.path();
    edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("namespace: production-agents", "namespace: evil", 1)
    });
    let (code, doc, stderr) = json(w, &["--fail-on", "data-loss"]);
    assert_eq!(code, 3, "{stderr}");
    // Every namespaced object leaves production-agents and appears in evil (counted on the
    // Namespace's line), the Namespace renamed with them; none stays behind.
    assert_eq!(
        changes(&doc),
        [
            "create Namespace -/evil",
            "delete Namespace -/production-agents"
        ],
        "{doc}"
    );
    let reasons = doc.to_string();
    let moved = |verb: &str| {
        let at = reasons
            .find(verb)
            .map(|i| &reasons[..i])
            .unwrap_or_default();
        at.rsplit('"').next().unwrap_or_default().trim().to_owned()
    };
    let created = moved("objects created in it");
    let deleted = moved("objects no longer rendered in it");
    assert!(created.parse::<u32>().is_ok_and(|n| n >= 20), "{reasons}");
    assert_eq!(created, deleted, "{reasons}");
    assert_eq!(not_analyzed(&doc), Vec::<String>::new());
    // Held back: an override naming the namespace the objects already have changes nothing,
    // even for an object a file names in another namespace.
    let work = two_copies();
    let w = work.path();
    for side in ["old", "new"] {
        edit(&w.join(side).join("configmap.yaml"), |t| {
            t.replacen("namespace: production-agents", "namespace: elsewhere", 1)
        });
    }
    let (code, doc, stderr) = json(w, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(changes(&doc), Vec::<String>::new());
}

#[test]
fn a_namespace_kustomize_cannot_take_is_not_analyzed_in_every_format() {
    let work = two_copies();
    let w = work.path();
    edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("namespace: production-agents", "namespace: {name: x}", 1)
    });
    let (code, doc, stderr) = json(w, &["--fail-on", "stall"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        not_analyzed(&doc)
            .iter()
            .any(|n| n.contains("kustomization.yaml: `namespace` is not a namespace name")),
        "{doc}"
    );
    let text = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(w)
        .run();
    assert!(
        text.stderr
            .contains("not analyzed: kustomization.yaml: `namespace` is not a namespace name"),
        "{}",
        text.stderr
    );
    let md = agentctl([
        "diff",
        "--base-dir",
        "old",
        "-o",
        "new",
        "--format",
        "markdown",
    ])
    .current_dir(w)
    .run();
    assert!(md.stdout.contains("not analyzed"), "{}", md.stdout);
}
