//! What the last outside attack on issue 20's escape hatch found, each with held-back
//! variants: an environment's `output:` named like one of agentctl's own files (a panic, or a
//! half-written tree), a command-line error that repeats a credential, and a committed
//! credential in a double-quoted multi-line value shown by `diff`'s text. (A CRD's names
//! reaching the prune command: `crds::a_crd_s_names_are_checked_before_they_are_printed`.)

use crate::support::{self, agentctl, tree, write};

/// The defaults rendered twice, into `old` (the committed side) and `new`.
fn two_renders(dir: &std::path::Path) {
    for out in ["old", "new"] {
        agentctl(["render", "-q", "-o", out])
            .current_dir(dir)
            .code(0)
            .run();
    }
}

const KEY: &str = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefGHIJ";

#[test]
fn an_output_named_like_agentctl_s_own_files_is_refused_before_anything_is_written() {
    for name in [
        ".agentctl.lock",
        ".agentctl-state.json",
        ".agentctl-owner",
        "eu/.AGENTCTL-1-000000000-0.tmp",
        ".agentctl",
    ] {
        let tmp = support::tempdir();
        let dir = tmp.path();
        write(
            dir,
            "agentctl.yaml",
            &format!(
                "environments:\n  a: {{profiles: [dev]}}\n  b: {{profiles: [dev], output: {name:?}}}\n"
            ),
        );
        let before = tree(dir);
        for args in [
            &["render", "--all", "-o", "deploy"][..],
            &["render", "--env", "b", "-o", "deploy"][..],
        ] {
            let run = agentctl(args).current_dir(dir).run();
            assert_eq!(run.code, 2, "{name} {args:?}: {}", run.stderr);
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            assert!(
                run.stderr.contains("one of agentctl's own files"),
                "{name}: {}",
                run.stderr
            );
            assert_eq!(before, tree(dir), "{name} {args:?}: a refused run wrote");
        }
    }
}

#[test]
fn a_command_line_error_never_repeats_a_credential() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    let cases: Vec<Vec<String>> = vec![
        vec![
            "diff".into(),
            "-o".into(),
            "x".into(),
            "--fail-on".into(),
            KEY.into(),
        ],
        vec!["render".into(), "--lock-timeout".into(), KEY.into()],
        vec!["render".into(), "--color".into(), KEY.into()],
        vec!["lint".into(), "--format".into(), KEY.into()],
        vec![KEY.into()],
        vec!["render".into(), format!("--{KEY}")],
    ];
    for args in &cases {
        let run = agentctl(args).current_dir(dir).run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("AbCdEfGh"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("<redacted>"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = agentctl(["render", "-q", "-o", "out"])
        .current_dir(dir)
        .env("AGENTCTL_LOCK_TIMEOUT", KEY)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("AbCdEfGh"), "{}", run.stderr);
    // An error with nothing to hide keeps clap's words.
    let run = agentctl(["render", "--fail-on", "rolout"])
        .current_dir(dir)
        .run();
    assert!(run.stderr.contains("'rolout'"), "{}", run.stderr);
}

#[test]
fn diff_text_hides_a_committed_credential_in_a_double_quoted_multi_line_value() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    two_renders(dir);
    let path = dir.join("old/configmap.yaml");
    let text = std::fs::read_to_string(&path).expect("configmap");
    let text = text.replacen(
        "data:\n",
        "data:\n  c1: \"x\\npassword = hunter41\\n\"\n  c2: \"[db]\\nhost = db\\npassword = hunter43\"\n  c3: \"user: a\\ntoken = ghp_0123456789abcdefABCDEF0123456789abcd\\n\"\n",
        1,
    );
    std::fs::write(&path, text).expect("write");
    let run = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(dir)
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    for secret in ["hunter41", "hunter43", "ghp_0123456789"] {
        assert!(!all.contains(secret), "{secret}: {all}");
    }
    assert!(all.contains("c1"), "{all}");
}

/// A committed kustomization whose patch target kustomize reads as a pattern (`kind:
/// Deployment|StatefulSet`, `version: v.`, a `group` whose dot matches another group) or
/// whose `labels` entry writes other fields (`fields:` into a selector): agentctl cannot say
/// what `kubectl apply -k` applies, so it is *not analyzed* (exit 3 under `--fail-on`), never
/// "no object changes". A literal group with dots stays analyzed.
#[test]
fn a_committed_pattern_target_or_label_fields_is_not_analyzed() {
    let cases = [
        "patches:\n  - target: {kind: \"Deployment|StatefulSet\"}\n    patch: '[{\"op\": \"add\", \"path\": \"/spec/template/spec/hostNetwork\", \"value\": true}]'\n",
        "patches:\n  - target: {kind: \"Deploy.*\"}\n    patch: '[{\"op\": \"add\", \"path\": \"/spec/template/spec/hostNetwork\", \"value\": true}]'\n",
        "patches:\n  - target: {version: \"v.\", kind: Deployment}\n    patch: '[{\"op\": \"add\", \"path\": \"/spec/template/spec/hostNetwork\", \"value\": true}]'\n",
        "patches:\n  - target: {group: \"app.\", kind: Deployment}\n    patch: '[{\"op\": \"add\", \"path\": \"/spec/template/spec/hostNetwork\", \"value\": true}]'\n",
        "LABELS",
    ];
    for (i, extra) in cases.iter().enumerate() {
        let tmp = support::tempdir();
        let dir = tmp.path();
        two_renders(dir);
        let k = dir.join("old/kustomization.yaml");
        let text = std::fs::read_to_string(&k).expect("kustomization");
        // A second `labels` entry (the render writes the first) that writes a selector.
        let text = if *extra == "LABELS" {
            text.replacen(
                "labels:\n",
                "labels:\n- pairs: {zz: v1}\n  fields: [{path: spec/selector/matchLabels, create: true, kind: Deployment}]\n",
                1,
            )
        } else {
            text + extra
        };
        std::fs::write(&k, text).expect("write");
        let run = agentctl([
            "diff",
            "--base-dir",
            "old",
            "-o",
            "new",
            "--fail-on",
            "security",
        ])
        .current_dir(dir)
        .run();
        assert_eq!(run.code, 3, "case {i}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("not analyzed"),
            "case {i}: {}",
            run.stderr
        );
    }
    // A literal group, dots and all, is matched as written: analyzed.
    let tmp = support::tempdir();
    let dir = tmp.path();
    two_renders(dir);
    let k = dir.join("old/kustomization.yaml");
    let text = std::fs::read_to_string(&k).expect("kustomization")
        + "patches:\n  - target: {group: networking.k8s.io, kind: NetworkPolicy, name: agent-network-policy}\n    patch: '[{\"op\": \"add\", \"path\": \"/metadata/annotations\", \"value\": {\"x\": \"y\"}}]'\n";
    std::fs::write(&k, text).expect("write");
    let run = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(dir)
        .run();
    assert!(!run.stderr.contains("not analyzed"), "{}", run.stderr);
}

/// The update command `diff --all` and `render --check` print names the project file when it
/// is not the default one: without it, the command renders another project, or fails.
#[test]
fn the_printed_update_command_names_the_project_file() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    write(
        dir,
        "sub/proj.yaml",
        "environments:\n  a: {profiles: [dev]}\n",
    );
    agentctl([
        "render",
        "--all",
        "-q",
        "--project",
        "sub/proj.yaml",
        "-o",
        "deploy",
    ])
    .current_dir(dir)
    .code(0)
    .run();
    write(
        dir,
        "sub/proj.yaml",
        "environments:\n  a: {profiles: [dev], set: {agent: {port: 9000}}}\n",
    );
    for args in [
        &[
            "diff",
            "--all",
            "--project",
            "sub/proj.yaml",
            "-o",
            "deploy",
        ][..],
        &[
            "render",
            "--check",
            "--all",
            "--project",
            "sub/proj.yaml",
            "-o",
            "deploy",
        ][..],
    ] {
        let run = agentctl(args).current_dir(dir).code(1).run();
        assert!(
            run.stderr.contains(
                "update them with `agentctl render --project sub/proj.yaml --all -o deploy`"
            ),
            "{args:?}: {}",
            run.stderr
        );
    }
}

/// The same names as a single render's `-o` (or below it): refused by the output guard that
/// every write root goes through, before anything is written.
#[test]
fn a_single_render_into_a_name_of_agentctl_s_own_files_is_refused() {
    for out in [
        ".agentctl.lock",
        "o/.agentctl-owner",
        "o/.AGENTCTL-state.json/x",
    ] {
        let tmp = support::tempdir();
        let dir = tmp.path();
        let run = agentctl(["render", "-q", "-o", out]).current_dir(dir).run();
        assert_eq!(run.code, 2, "{out}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("is named like one of agentctl's own files"),
            "{out}: {}",
            run.stderr
        );
        assert!(tree(dir).is_empty(), "{out}: a refused run wrote");
        // `diff` against it suggests no render that would be refused.
        let diff = agentctl(["diff", "-o", out]).current_dir(dir).run();
        assert_eq!(diff.code, 2, "{out}: {}", diff.stderr);
        assert!(
            diff.stderr
                .contains("is named like one of agentctl's own files")
                && !diff.stderr.contains("render it first"),
            "{out}: {}",
            diff.stderr
        );
    }
}
