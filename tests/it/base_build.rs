//! `diff --base`/`--base-dir` compares what `kubectl apply -k` would apply (issue 20, class
//! 7): the committed `kustomization.yaml` of each side decides which files count (a generated
//! file it does not list is not applied; one it stops listing is a delete) and moves objects
//! into its `namespace` as kustomize does; what agentctl cannot build is *not analyzed* in
//! every format and fails `--fail-on`. Each case edits a copy of a render and compares it with
//! the render.

use std::path::Path;

use crate::support::{self, agentctl};

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
    let work = support::two_copies();
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
    support::edit(&w.join("new/kustomization.yaml"), |k| {
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
    let work = support::two_copies();
    let w = work.path();
    // Held back: the NetworkPolicy (security: default-deny gone) and the claims (data loss).
    support::edit(&w.join("new/kustomization.yaml"), |k| {
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
    // Listed twice: kustomize refuses the build, so it is an error (exit 2), not a guess.
    support::edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("resources:\n", "resources:\n- quota.yaml\n", 1)
    });
    let (code, _, stderr) = json(w, &["--fail-on", "recreate"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("lists `quota.yaml` again"), "{stderr}");
}

#[test]
fn a_committed_namespace_moves_every_object_as_kustomize_does() {
    let work = support::two_copies();
    let w = work.path();
    support::edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("namespace: production-agents", "namespace: evil", 1)
    });
    let (code, doc, stderr) = json(w, &["--fail-on", "data-loss"]);
    assert_eq!(code, 3, "{stderr}");
    // Every namespaced object leaves production-agents and appears in evil (counted on the
    // Namespace's line), the Namespace renamed with them; none stays behind.
    // The RoleBinding keeps its own line: in the new namespace it is a new grant (security).
    assert_eq!(
        changes(&doc),
        [
            "create Namespace -/evil",
            "create RoleBinding evil/agent",
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
    // The RoleBinding created in evil has its own line, so the Namespace counts one less.
    assert_eq!(
        created.parse::<u32>().ok().map(|n| n + 1),
        deleted.parse::<u32>().ok(),
        "{reasons}"
    );
    assert_eq!(not_analyzed(&doc), Vec::<String>::new());
    // Held back: an override naming the namespace the objects already have changes nothing,
    // even for an object a file names in another namespace.
    let work = support::two_copies();
    let w = work.path();
    for side in ["old", "new"] {
        support::edit(&w.join(side).join("configmap.yaml"), |t| {
            t.replacen("namespace: production-agents", "namespace: elsewhere", 1)
        });
    }
    let (code, doc, stderr) = json(w, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(changes(&doc), Vec::<String>::new());
}

#[test]
fn a_namespace_kustomize_cannot_take_is_not_analyzed_in_every_format() {
    let work = support::two_copies();
    let w = work.path();
    // Not a string: kubectl refuses the kustomization, so it is an error at its line.
    support::edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("namespace: production-agents", "namespace: {name: x}", 1)
    });
    let (code, _, stderr) = json(w, &["--fail-on", "stall"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`namespace` of kustomization.yaml is not a string"),
        "{stderr}"
    );
    // Empty: kubectl builds it, agentctl does not reproduce it.
    support::edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("namespace: {name: x}", "namespace: \"\"", 1)
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

/// A committed kustomization `kubectl kustomize` refuses is an error at its line (exit 2),
/// never built as if kubectl would apply it (issue 20, finding 4); each case checked against
/// `kubectl kustomize` 1.32. What kubectl accepts (no `kind`, a field in another case, a path
/// that leaves and comes back) is still compared.
#[test]
fn a_kustomization_kubectl_refuses_is_an_error_at_its_line() {
    let work = support::two_copies();
    let w = work.path();
    let k = std::fs::read_to_string(w.join("new/kustomization.yaml")).expect("read");
    let lines = k.lines().count();
    let at = |needle: &str| -> usize {
        k.lines().position(|l| l.starts_with(needle)).expect("line") + 1
    };
    let res = at("resources:");
    // (case, the new text, the line the error names, what it says)
    let refused: Vec<(&str, String, usize, &str)> = vec![
        (
            "lists itself",
            k.replacen("resources:\n", "resources:\n- kustomization.yaml\n", 1),
            res + 1,
            "lists the kustomization file itself",
        ),
        (
            "lists itself as ./",
            k.replacen("resources:\n", "resources:\n- ./kustomization.yaml\n", 1),
            res + 1,
            "lists the kustomization file itself",
        ),
        ("empty", String::new(), 1, "is empty"),
        ("comments only", "# nothing\n".into(), 1, "is empty"),
        ("kind alone", "kind: Kustomization\n".into(), 1, "is empty"),
        ("an empty map", "{}\n".into(), 1, "is empty"),
        (
            "an empty first document",
            format!("---\n---\n{k}"),
            1,
            "is empty",
        ),
        (
            "a list",
            "- namespace.yaml\n- quota.yaml\n".into(),
            1,
            "is a list",
        ),
        ("a string", "namespace.yaml\n".into(), 1, "is a string"),
        (
            "a directory without kustomization",
            k.replacen("resources:\n", "resources:\n- sub\n", 1),
            res + 1,
            "is a directory without a kustomization file",
        ),
        (
            "the same file twice",
            k.replacen("resources:\n", "resources:\n- quota.yaml\n", 1),
            res + 3,
            "lists `quota.yaml` again",
        ),
        (
            "the same file twice, spelt another way",
            k.replacen("resources:\n", "resources:\n- ./quota.yaml/\n", 1),
            res + 3,
            "lists `quota.yaml` again",
        ),
        (
            "its own directory",
            k.replacen("resources:\n", "resources:\n- ./\n", 1),
            res + 1,
            "own directory (a cycle)",
        ),
        (
            "a parent's file",
            k.replacen("resources:\n", "resources:\n- ../x.yaml\n", 1),
            res + 1,
            "not below the kustomization's directory",
        ),
        (
            "a parent's file, spelt the long way",
            k.replacen("resources:\n", "resources:\n- sub/../../x.yaml\n", 1),
            res + 1,
            "not below the kustomization's directory",
        ),
        (
            "an empty entry",
            k.replacen("resources:\n", "resources:\n- \"\"\n", 1),
            res + 1,
            "is empty",
        ),
        (
            "a null entry",
            k.replacen("resources:\n", "resources:\n- null\n", 1),
            res + 1,
            "is empty",
        ),
        (
            "`bases` (read as more resources) listing a listed file",
            format!("{k}bases:\n- quota.yaml\n"),
            lines + 2,
            "bases[0] `quota.yaml` of kustomization.yaml lists `quota.yaml` again",
        ),
        (
            "an unknown field",
            format!("{k}resource:\n- quota.yaml\n"),
            lines + 1,
            "unknown field `resource`",
        ),
        (
            "resources not a list",
            k.replacen("resources:\n", "resources: quota.yaml\nxresources:\n", 1),
            res,
            "`resources` of kustomization.yaml is not a list of strings",
        ),
        (
            "another kind",
            k.replacen("kind: Kustomization", "kind: Deployment", 1),
            at("kind:"),
            "kustomize reads only a Kustomization or a Component",
        ),
        (
            "another apiVersion",
            k.replacen(
                "apiVersion: kustomize.config.k8s.io/v1beta1",
                "apiVersion: kustomize.config.k8s.io/v1alpha1",
                1,
            ),
            at("apiVersion:"),
            "kustomize reads a Kustomization only as",
        ),
    ];
    std::fs::create_dir_all(w.join("new/sub")).expect("mkdir");
    for (case, text, line, says) in &refused {
        std::fs::write(w.join("new/kustomization.yaml"), text).expect("write");
        // A directory among the files: `sub/` holds a generated file and no kustomization.
        std::fs::copy(w.join("old/quota.yaml"), w.join("new/sub/q.yaml")).expect("copy");
        let (code, _, stderr) = json(w, &[]);
        assert_eq!(code, 2, "{case}: {stderr}");
        assert!(
            stderr.contains(&format!("new/kustomization.yaml:{line}:")),
            "{case}: not at line {line}\n{stderr}"
        );
        assert!(stderr.contains(says), "{case}: lacks {says:?}\n{stderr}");
    }
    // What kubectl accepts is compared, not refused.
    let accepted: Vec<(&str, String)> = vec![
        (
            "no kind, no apiVersion",
            k.replacen(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
                "",
                1,
            ),
        ),
        ("a second document", format!("{k}---\n- anything\n")),
        (
            "an empty kind",
            k.replacen("kind: Kustomization", "kind: \"\"", 1),
        ),
        (
            "a Component",
            k.replacen("kind: Kustomization", "kind: Component", 1)
                .replacen(
                    "kustomize.config.k8s.io/v1beta1",
                    "kustomize.config.k8s.io/v1alpha1",
                    1,
                ),
        ),
        ("an empty resources list beside the rest", k.clone()),
    ];
    std::fs::remove_dir_all(w.join("new/sub")).expect("rm");
    for (case, text) in &accepted {
        std::fs::write(w.join("new/kustomization.yaml"), text).expect("write");
        let (code, doc, stderr) = json(w, &[]);
        assert_ne!(code, 2, "{case}: {stderr}");
        assert_eq!(changes(&doc), Vec::<String>::new(), "{case}: {doc}");
    }
}

/// Issue 20, M5: an object moved into a new namespace by a committed `namespace:` is checked
/// as any other: a patch that makes it privileged is a security change, not folded away into
/// the Namespace's "objects created in it" line.
#[test]
fn an_object_moved_to_a_new_namespace_is_still_linted() {
    let work = support::two_copies();
    let w = work.path();
    support::edit(&w.join("new/kustomization.yaml"), |k| {
        k.replacen("namespace: production-agents", "namespace: other", 1)
            + "patches:\n- target: {kind: Deployment, name: agent-deployment}\n  patch: |-\n    - {op: add, path: /spec/template/spec/hostPID, value: true}\n"
    });
    let (code, doc, stderr) = json(w, &["--fail-on", "security"]);
    assert_eq!(code, 3, "{stderr}");
    let got = changes(&doc);
    assert!(
        got.contains(&"create Deployment other/agent-deployment".to_owned()),
        "{got:?}"
    );
    let reasons = doc.to_string();
    assert!(reasons.contains("hostPID"), "{reasons}");
    // The Namespace line counts only what it folds: the Deployment has its own line.
    let text = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(w)
        .run();
    assert!(
        text.stderr.contains("Deployment other/agent-deployment"),
        "{}",
        text.stderr
    );
    // Held back: a RoleBinding an extra file adds in the moved namespace is a grant, shown.
    let (code, _, stderr) = json(w, &["--fail-on", "data-loss"]);
    assert_eq!(code, 3, "{stderr}");
}

/// Issue 20, L10: what `kubectl kustomize` refuses in a committed kustomization (checked
/// against kubectl 1.32) is a located error (exit 2), never shown as changes, and a number
/// kubectl reads otherwise than agentctl is an error at its line.
#[test]
fn what_kubectl_refuses_in_a_committed_build_is_an_error() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "kustomization.yaml",
            "patches:\n- target: {kind: Deployment}\n  patch: \"{}\"\n",
            "is a map without `kind`",
        ),
        (
            "kustomization.yaml",
            "patches:\n- target: {kind: Deployment}\n  patch: \"[]\"\n",
            "is an empty JSON 6902 patch",
        ),
        (
            "kustomization.yaml",
            "patches:\n- patch: \"\"\n",
            "is empty",
        ),
        (
            "kustomization.yaml",
            "patches:\n- patch: \"# nothing\"\n",
            "is empty",
        ),
        (
            "kustomization.yaml",
            "patches:\n- patch: '[{op: add, path: /spec/paused, value: true}]'\n",
            "JSON 6902 patch without `target`",
        ),
        (
            "kustomization.yaml",
            "patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: agent-deployment}\n    spec: {paused: true}\n",
            "no object of the build is `apps/v1 Deployment agent-deployment` exactly",
        ),
        (
            // The hint names the object the patch was meant for, and what to add.
            "kustomization.yaml",
            "patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: agent-deployment}\n    spec: {paused: true}\n",
            "the build has `apps/v1 Deployment production-agents/agent-deployment`: give the patch `metadata.namespace: production-agents`, or a `target` naming it",
        ),
        (
            "kustomization.yaml",
            "patches:\n- patch: |-\n    apiVersion: apps/v2\n    kind: Deployment\n    metadata: {name: agent-deployment, namespace: production-agents}\n    spec: {paused: true}\n",
            "give the patch `apiVersion: apps/v1`, or a `target`",
        ),
        (
            "kustomization.yaml",
            "patches:\n- patch: |-\n    kind: Deployment\n    metadata: {name: agent-deployment, namespace: production-agents}\n    spec: {paused: true}\n",
            "(no apiVersion)",
        ),
        (
            "kustomization.yaml",
            "patches:\n- target: {kind: Deployment}\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    spec: {paused: true}\n",
            "without `metadata.name`",
        ),
        (
            "kustomization.yaml",
            "labels:\n- pairs: {team: yes}\n",
            "`labels[0].pairs.team` of kustomization.yaml is `yes`, which kubectl's YAML 1.1 reader takes for a boolean",
        ),
        (
            "kustomization.yaml",
            "commonAnnotations: {build: on}\n",
            "is not a map of strings",
        ),
        (
            "kustomization.yaml",
            "images:\n- name: agent\n  newTag: 1.10\n",
            "`images[0].newTag` of kustomization.yaml is `1.10`, which kubectl's YAML 1.1 reader takes for a number",
        ),
        ("hpa.yaml", "", "kubectl reads `010` as the number 8"),
    ];
    for (file, add, want) in cases {
        let work = support::two_copies();
        let w = work.path();
        if *file == "hpa.yaml" {
            support::edit(&w.join("new/hpa.yaml"), |t| {
                let i = t.find("minReplicas: ").expect("minReplicas");
                let end = t[i..].find('\n').map_or(t.len(), |e| i + e);
                format!("{}minReplicas: 010{}", &t[..i], &t[end..])
            });
        } else {
            support::edit(&w.join("new").join(file), |k| {
                match add.strip_prefix("labels:\n") {
                    Some(item) => k.replacen("labels:\n", &format!("labels:\n{item}"), 1),
                    None => k + add,
                }
            });
        }
        let (code, _, stderr) = json(w, &["--fail-on", "security"]);
        assert_eq!(code, 2, "{add}: {stderr}");
        assert!(stderr.contains(want), "{add}: want {want}:\n{stderr}");
        assert!(
            stderr.contains(&format!("new/{file}:")) || stderr.contains(file),
            "{stderr}"
        );
    }
    // Held back: the same forms kubectl builds are analyzed, not refused.
    for add in [
        "labels:\n- pairs: {team: \"yes\"}\n",
        "patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: agent-deployment, namespace: production-agents}\n    spec: {paused: true}\n",
        "patches:\n- target: {kind: Deployment, name: agent-deployment}\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: any}\n    spec: {paused: true}\n",
    ] {
        let work = support::two_copies();
        let w = work.path();
        support::edit(&w.join("new/kustomization.yaml"), |k| {
            match add.strip_prefix("labels:\n") {
                Some(item) => k.replacen("labels:\n", &format!("labels:\n{item}"), 1),
                None => k + add,
            }
        });
        let (code, _, stderr) = json(w, &[]);
        assert!(code == 0 || code == 1, "{add}: {code} {stderr}");
    }
}

/// Issue 20, L10: kustomize merges container ports by `containerPort` and `protocol`; a
/// patch port that names the port without its protocol is dropped by kubectl (1.32) while a
/// Kubernetes strategic merge would apply it: agentctl does not guess, it says so.
#[test]
fn a_port_patch_kustomize_merges_its_own_way_is_not_analyzed() {
    let work = support::two_copies();
    let w = work.path();
    support::edit(&w.join("new/kustomization.yaml"), |k| {
        k + "patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: agent-deployment, namespace: production-agents}\n    spec: {template: {spec: {containers: [{name: agent, ports: [{containerPort: 8000, hostPort: 8000}]}]}}}\n"
    });
    let (code, doc, stderr) = json(w, &["--fail-on", "security"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        not_analyzed(&doc).iter().any(|n| n.contains("protocol")),
        "{doc}"
    );
    assert!(!doc.to_string().contains("hostPort"), "{doc}");
}
