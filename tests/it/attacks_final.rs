//! What the final objects and the files read back are held to, attacked past the outside
//! attack's examples (issue 20, F5 F7 F8 F10 F11): patches checked once on the object they
//! leave, each problem at the patch that wrote it (also one no patch's path leads to); JSON
//! 6902 copies bounded; a template in an alert's labels refused whatever wrote it; a committed
//! document kubectl cannot build an error, never a delete; quota sums past what Kubernetes
//! counts refused; no empty list in a printed prerequisite.

use crate::support::{self, agentctl};

fn render(dir: &std::path::Path, file: &str, text: &str) -> support::Run {
    support::write(dir, file, text);
    agentctl(["render", "-f", file, "-o", "out"])
        .current_dir(dir)
        .run()
}

/// `n` strategic-merge patches, each over every rendered object, each adding one annotation.
fn growing(n: usize) -> String {
    let mut text = String::from("patches:\n");
    for i in 0..n {
        text.push_str("  - target: {labelSelector: app.kubernetes.io/managed-by=agentctl}\n");
        text.push_str(&format!(
            "    patch: {{metadata: {{annotations: {{example.com/p{i}: v{i}}}}}}}\n"
        ));
    }
    text
}

#[test]
fn many_patches_over_every_object_all_land_in_one_check() {
    let dir = support::tempdir();
    let run = render(dir.path(), "p.yaml", &growing(300));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(dir.path().join("out/deployment.yaml")).unwrap();
    for i in [0, 150, 299] {
        assert!(text.contains(&format!("example.com/p{i}: v{i}")), "p{i}");
    }
    // The objects are in the form the API server stores, as without patches: the same
    // quantities and order of the rendered spec.
    let plain = dir.path().join("plain");
    let r = agentctl(["render", "-o", "plain"])
        .current_dir(dir.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plain = std::fs::read_to_string(plain.join("deployment.yaml")).unwrap();
    let spec = |t: &str| t[t.find("\nspec:").expect("spec")..].to_owned();
    assert_eq!(spec(&text), spec(&plain));
}

#[test]
fn a_problem_no_patch_path_leads_to_is_put_on_the_patch_that_made_it() {
    // Patches of 100 pod-template annotations of 50 bytes each: the template's total passes
    // 256 KiB at one of them, and the problem is located at its largest entry, agentctl's own
    // `checksum/config`, which no patch wrote: the patch after which it appears is found by
    // replaying the patches.
    let patch = |i: usize| {
        let ann: Vec<String> = (0..100)
            .map(|j| format!("e.com/p{i}k{j}: {}", "y".repeat(40)))
            .collect();
        format!(
            "  - target: {{kind: Deployment, name: agent-deployment}}\n    patch: {{spec: {{template: {{metadata: {{annotations: {{{}}}}}}}}}}}\n",
            ann.join(", ")
        )
    };
    let all = |n: usize| {
        let mut t = String::from("patches:\n");
        (0..n).for_each(|i| t.push_str(&patch(i)));
        t
    };
    let dir = support::tempdir();
    let run = render(dir.path(), "p.yaml", &all(60));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("the annotations of the pod template"),
        "{}",
        run.stderr
    );
    let at: Vec<usize> = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: patches["))
        .filter_map(|l| l.split(']').next()?.parse().ok())
        .collect();
    assert_eq!(at.len(), 1, "{}", run.stderr);
    let k = at[0];
    assert!(k < 59, "not the last patch, the one that crossed: {k}");
    // The patches before it fit; with it they do not.
    assert_eq!(render(dir.path(), "p.yaml", &all(k)).code, 0);
    let with = render(dir.path(), "p.yaml", &all(k + 1));
    assert_eq!(with.code, 2);
    assert!(
        with.stderr.contains(&format!("patches[{k}]")),
        "{}",
        with.stderr
    );
}

#[test]
fn copies_cannot_double_an_object_past_the_bound() {
    // One operation a patch, 30 patches, each doubling the ConfigMap's data (as many
    // patches of several operations): refused at the copy that passes 16 MiB, in well under
    // the memory the doubling would take (2^30 times the data).
    for per_patch in [1, 3] {
        let mut text = String::from("patches:\n");
        for i in 0..30 {
            let ops: Vec<String> = (0..per_patch)
                .map(|j| format!("{{op: copy, from: /data, path: /data/c{i}x{j}}}"))
                .collect();
            text.push_str(&format!(
                "  - target: {{kind: ConfigMap, name: agent-config}}\n    patch: [{}]\n",
                ops.join(", ")
            ));
        }
        let dir = support::tempdir();
        let run = render(dir.path(), "p.yaml", &text);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains(
                "what the copies of all patches add to ConfigMap/agent-config more than 16.0 MiB"
            ),
            "{}",
            run.stderr
        );
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn a_value_a_later_patch_replaces_is_not_rendered_so_not_refused() {
    // What is checked is the object the patches leave, as `kubectl kustomize` would build it.
    let dir = support::tempdir();
    let run = render(
        dir.path(),
        "p.yaml",
        "patches:\n  - target: {kind: Deployment}\n    patch: {spec: {replicas: \"abc\"}}\n  - target: {kind: Deployment}\n    patch: {spec: {replicas: 3}}\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(dir.path().join("out/deployment.yaml")).unwrap();
    assert!(text.contains("replicas: 3"), "{text}");
}

#[test]
fn several_wrong_types_in_one_object_are_all_reported() {
    let dir = support::tempdir();
    let run = render(
        dir.path(),
        "p.yaml",
        "patches:\n  - target: {kind: Deployment}\n    patch: {spec: {replicas: \"abc\", minReadySeconds: \"x\"}}\n  - target: {kind: Deployment}\n    patch: {spec: {revisionHistoryLimit: [1]}}\n",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    for want in [
        "patches[0].patch.spec.replicas",
        "patches[0].patch.spec.minReadySeconds",
        "patches[1].patch.spec.revisionHistoryLimit",
        "3 errors",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
}

/// A template in an alert rule's labels, whatever writes it (held-back variants of F7: a
/// strategic merge, a replaced label, only closing braces, an extra PrometheusRule); an
/// annotation stays a template.
#[test]
fn a_template_in_alert_labels_is_refused_from_every_path() {
    let rule_patch = |patch: &str| {
        format!(
            "patches:\n  - target: {{kind: PrometheusRule, name: agent-alerts}}\n    patch: {patch}\n"
        )
    };
    let cases = [
        (
            "strategic",
            rule_patch("{spec: {groups: [{name: agent, rules: [{alert: X, expr: up == 0, labels: {team: '{{ $labels.pod }}'}}]}]}}"),
        ),
        (
            "replaced",
            rule_patch("[{op: replace, path: /spec/groups/0/rules/0/labels/severity, value: '{{ $value }}'}]"),
        ),
        (
            "closing",
            rule_patch("[{op: add, path: /spec/groups/0/rules/1/labels/x, value: 'a }} b'}]"),
        ),
        (
            "extra",
            "resources:\n  - apiVersion: monitoring.coreos.com/v1\n    kind: PrometheusRule\n    metadata: {name: mine}\n    spec: {groups: [{name: g, rules: [{alert: Y, expr: up == 0, labels: {who: '{{ query \"up\" }}'}}]}]}\n".to_owned(),
        ),
    ];
    for (what, text) in cases {
        let dir = support::tempdir();
        let run = render(dir.path(), "p.yaml", &text);
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains("an alert's labels are never templates"),
            "{what}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("p.yaml:"), "{what}: {}", run.stderr);
    }
    let dir = support::tempdir();
    let run = render(
        dir.path(),
        "p.yaml",
        &rule_patch(
            "[{op: add, path: /spec/groups/0/rules/0/annotations/extra, value: 'pod {{ $labels.pod }}'}]",
        ),
    );
    assert_eq!(run.code, 0, "an annotation is a template: {}", run.stderr);
}

/// F5 and held-back variants: a committed document kubectl cannot build is an error at its
/// place (exit 2, nothing on stdout), never a delete or a difference.
#[test]
fn a_committed_document_kubectl_cannot_build_is_an_error() {
    let dir = support::tempdir();
    let d = dir.path();
    let r = agentctl(["render", "-q", "-o", "deploy"])
        .current_dir(d)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cm = std::fs::read_to_string(d.join("deploy/configmap.yaml")).unwrap();
    let cases = [
        (
            "split",
            cm.replacen("kind: ConfigMap\n", "kind: ConfigMap\n---\n", 1),
            "(an object split by `---`?)",
        ),
        (
            "nul",
            cm.replacen("kind: ConfigMap", "kind: \"Config\\0Map\"", 1),
            "its `kind` is not",
        ),
        (
            "space",
            cm.replacen("kind: ConfigMap", "kind: Config Map", 1),
            "its `kind` is not",
        ),
        (
            "str",
            format!("{cm}--- !!str\nhello\n"),
            "a document is a string",
        ),
        (
            "list",
            format!("{cm}---\n- 1\n- 2\n"),
            "a document is a list",
        ),
        (
            "number",
            cm.replacen("apiVersion: v1", "apiVersion: 1", 1),
            "`apiVersion` is not",
        ),
        (
            "nameless",
            cm.replacen("  name: agent-config\n", "", 1),
            "has no `metadata.name`",
        ),
    ];
    for (what, text, why) in cases {
        let base = d.join(format!("base-{what}"));
        std::fs::create_dir_all(&base).unwrap();
        for f in std::fs::read_dir(d.join("deploy")).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, base.join(f.file_name().unwrap())).unwrap();
        }
        std::fs::write(base.join("configmap.yaml"), &text).unwrap();
        for format in ["text", "json", "markdown"] {
            let run = agentctl([
                "diff",
                "--base-dir",
                &format!("base-{what}"),
                "-o",
                "deploy",
                "--format",
                format,
            ])
            .current_dir(d)
            .run();
            assert_eq!(run.code, 2, "{what} {format}: {}{}", run.stdout, run.stderr);
            assert!(run.stdout.is_empty(), "{what} {format}: {}", run.stdout);
            assert!(
                run.stderr.contains("not an object kubectl can build") && run.stderr.contains(why),
                "{what}: {}",
                run.stderr
            );
            assert!(
                run.stderr.contains("configmap.yaml:"),
                "{what}: {}",
                run.stderr
            );
        }
    }
}

/// F10 and held-back variants: a quota figure past what Kubernetes counts (64-bit millicores,
/// 64-bit bytes) is refused, located, whether derived from typed settings or recounted after
/// a patch; never rendered as a wrapped or absurd number.
#[test]
fn quota_sums_past_what_kubernetes_counts_are_refused() {
    for (what, text, figure) in [
        (
            "limits.cpu",
            "agent:\n  resources:\n    limits:\n      cpu: \"9223372036854775807\"\n",
            "limits.cpu",
        ),
        (
            "requests.cpu",
            "agent:\n  resources:\n    requests:\n      cpu: \"999999999999999\"\n    limits:\n      cpu: \"999999999999999\"\n",
            "requests.cpu",
        ),
        (
            "limits.memory",
            "agent:\n  resources:\n    limits:\n      memory: 8Ei\n",
            "limits.memory",
        ),
        (
            "patch",
            "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch: {spec: {template: {spec: {containers: [{name: agent, resources: {limits: {cpu: \"9223372036854775\"}}}]}}}}\n",
            "limits.cpu",
        ),
    ] {
        let dir = support::tempdir();
        let run = render(dir.path(), "q.yaml", text);
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("the quota figure `{figure}` would be"))
                && run.stderr.contains("more than Kubernetes counts"),
            "{what}: {}",
            run.stderr
        );
        assert!(!dir.path().join("out").exists(), "{what}");
    }
}

/// F11 and held-back variants: a Secret read whole (`envFrom`, a volume without items), a node
/// selector term without values: the printed prerequisites never hold an empty list.
#[test]
fn printed_prerequisites_never_hold_an_empty_list() {
    let dir = support::tempdir();
    let run = render(
        dir.path(),
        "p.yaml",
        "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      spec:\n        template:\n          spec:\n            containers: [{name: agent, envFrom: [{secretRef: {name: whole-env}}]}]\n            volumes: [{name: certs, secret: {secretName: whole-volume}}]\n            affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: gpu, operator: Exists}]}]}}}\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    for secret in ["whole-env", "whole-volume"] {
        assert!(
            all.contains(&format!("Secret {secret}, read whole (every key it holds)")),
            "{secret}: {all}"
        );
    }
    for empty in [
        "with keys ,",
        "with keys  ",
        "keys )",
        "()",
        ", ,",
        ": \n",
        "(keys )",
    ] {
        assert!(!all.contains(empty), "{empty:?} in:\n{all}");
    }
    assert!(all.contains("gpu Exists"), "{all}");
}
