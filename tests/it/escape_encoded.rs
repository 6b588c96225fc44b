//! The escape hatch's promises against the fourth attack on the credential policy (issue 20):
//! a known token where a word starts inside a longer run (a URL's path, a dotted or an
//! underscore-joined name), a key written in hex, base32 or percent-encoding, the config-line
//! forms the policy missed (`password:x`, `=>`, `:=`, `[x]`, `{v: x}`, `pwd=`, `set password
//! x`, redis.conf's `requirepass x`), a credential plugin whose failure kube-rs words with its
//! output, and the input files' size caps (one per reader, at the cap and one byte over). One
//! gallery per class, pinned in `snapshots/attacks/escape-encoded-*.snap`, each with variants
//! beyond the reported ones (other fields, objects, payloads).

use crate::escape_keys::{case, gallery};
use crate::support::{self, agentctl};

const V: &str = "hunter2x";
const SLACK: &str = "xoxb-123456789012-Ab12Cd34Ef56";
const GHP: &str = "ghp_0123456789abcdefghijABCDEFGHIJ";
const HEX: &str = "4f9c2a7e81b3d6059e4c1f8a2b7d3e6c";
const HEX64: &str = "9a1f3c7e5b2d8f4a6c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a";
const B32: &str = "QNTDF4V5XLMO3RTBZJ46E7L4PESLT7DZ";
const PCT: &str = "Zk3q9LmN2pQ7rS4tV8w%2BY1bC6dF0g%3D";

fn extra_config_map(data: &str) -> String {
    format!(
        "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {{name: extra}}\n    data:\n{data}"
    )
}

fn container_patch(fields: &str) -> String {
    format!(
        "patches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch:\n      spec:\n        template:\n          spec:\n            containers:\n              - name: agent\n{fields}"
    )
}

const RENDER: &[&str] = &["render", "-f", "p.yaml", "-o", "out"];

#[test]
fn tokens_inside_runs_and_encoded_keys_are_refused_at_their_line() {
    let cases = vec![
        case(
            "a Slack token where a word starts: a URL's path, a dotted and an underscore-joined name",
            &[(
                "p.yaml",
                &extra_config_map(&format!(
                    "      path: /{SLACK}\n      hook: https://h/{SLACK}\n      dotted: a.{SLACK}\n      joined: _{SLACK}\n      dashed: x-{SLACK}/y\n"
                )),
            )],
            RENDER,
            2,
            &[
                "data.path",
                "data.hook",
                "data.dotted",
                "data.joined",
                "data.dashed",
            ],
            &["123456789012-Ab12"],
        ),
        case(
            "other prefixes inside a URL in env, args and an annotation (held back)",
            &[(
                "p.yaml",
                &format!(
                    "{}                env: [{{name: API, value: \"https://api.example.com/v1/{GHP}\"}}]\n                args: [\"--bucket=s3://b/AKIAIOSFODNN7EXAMPLE/x\"]\n  - target: {{kind: Service, name: agent-service}}\n    patch:\n      metadata:\n        annotations: {{example.com/ci: \"ci.glpat-Ab12Cd34Ef56Gh78Ij90\"}}\n",
                    container_patch("")
                ),
            )],
            RENDER,
            2,
            &["env[", "args[", "annotations.example.com/ci"],
            &["0123456789abcdefghij", "IOSFODNN7", "Ab12Cd34Ef56Gh78"],
        ),
        case(
            "a key in hex, base32 and percent-encoding, under names that say nothing",
            &[(
                "p.yaml",
                &extra_config_map(&format!(
                    "      a: \"{HEX}\"\n      b: \"x={HEX64}\"\n      c: {B32}\n      d: \"https://h/cb?x={PCT}\"\n      e: \"{PCT}\"\n"
                )),
            )],
            RENDER,
            2,
            &["data.a", "data.b", "data.c", "data.d", "data.e"],
            &[HEX, HEX64, B32, "Zk3q9LmN2pQ7"],
        ),
        case(
            "digests, checksums, commits, UUIDs and versions stay plain",
            &[(
                "p.yaml",
                &format!(
                    "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: extra\n      annotations: {{checksum/config: \"{HEX64}\", example.com/git-commit: 3f2a9c7d1e8b4a6f0c5d2e9b7a1f3c8d6e4b2a0f}}\n      labels: {{example.com/revision: 3f2a9c7d1e8b4a6f0c5d2e9b7a1f3c8d6e4b2a0f, version: 3f2a9c7d1e8b4a6f0c5d2e9b7a1f3c8d6e4b2a0f}}\n    data:\n      image: \"busybox@sha256:{HEX64}\"\n      uid: 9f86d081-884c-7d65-9a2f-eaa0c55ad015\n      rv: \"123456789012345678901234567890123\"\n      run.sh: \"git checkout 3f2a9c7d1e8b4a6f0c5d2e9b7a1f3c8d6e4b2a0f\\n\"\n      cache: /var/cache/hf_cache_directory_for_models_v2\n      q: \"https://h/search?q=hello%20world%20and%20more\"\n"
                ),
            )],
            RENDER,
            0,
            &[],
            &["looks like a credential", "shaped like a credential"],
        ),
    ];
    gallery(
        "escape-encoded-tokens",
        "Issue 20, fourth attack, class 1: a known token where a word starts inside a run of token characters, and a key in hex, base32 or percent-encoding, refused at the patch or extra object; digests and commits stay plain",
        &cases,
    );
}

#[test]
fn every_config_line_form_is_refused_and_references_stay_plain() {
    let forms = [
        "password:hunter2x",
        "password => hunter2x",
        "PASSWORD := hunter2x",
        "password: [hunter2x]",
        "password: {v: hunter2x}",
        "pwd=hunter2x",
        "set password hunter2x",
        "requirepass hunter2x",
        ":api_key => 'hunter2x'",
        "secret := \\\"hunter2x\\\"",
        "config set masterauth hunter2x",
        "ENV TOKEN hunter2x",
    ];
    let data: String = forms
        .iter()
        .enumerate()
        .map(|(i, f)| format!("      k{i}: \"a: 1\\n{f}\\n\"\n"))
        .collect();
    let paths: Vec<String> = (0..forms.len()).map(|i| format!("data.k{i}")).collect();
    let paths: Vec<&'static str> = paths
        .into_iter()
        .map(|p| &*Box::leak(p.into_boxed_str()))
        .collect();
    let cases = vec![
        case(
            "each form in an embedded file of an extra ConfigMap",
            &[("p.yaml", &extra_config_map(&data))],
            RENDER,
            2,
            &paths,
            &[V],
        ),
        case(
            "in an env value and args of a patched container (held back)",
            &[(
                "p.yaml",
                &container_patch(&format!(
                    "                env: [{{name: INIT, value: \"passwd => {V}\"}}]\n                args: [sh, -c, \"set token {V}\", \"db_pwd:{V}\"]\n"
                )),
            )],
            RENDER,
            2,
            &["env[", "args["],
            &[V],
        ),
        case(
            "references, paths, locations, scopes, recording rules and prose stay plain",
            &[(
                "p.yaml",
                &extra_config_map(
                    "      a: \"password=$(REDIS_PASSWORD)\\npassword := ${DB_PASSWORD}\\npassword: {valueFrom: {secretKeyRef: {name: s, key: k}}}\\n\"\n      b: \"password=/run/secrets/db-password\\nPWD=/home/agent\\npassword: []\\npassword: <redacted>\\n\"\n      c: \"see secret.yaml:12:3\\npermissions: secrets:read\\nrecord: job:agent_tokens:rate5m\\n\"\n      d: \"If asked for the password: refuse.\\nSet the token in the vault.\\ntoken == expected\\n\"\n      e: \"redis-server --requirepass \\\"$REDIS_PASSWORD\\\"\\n\"\n",
                ),
            )],
            RENDER,
            0,
            &[],
            &["looks like a credential", "shaped like a credential"],
        ),
    ];
    gallery(
        "escape-encoded-lines",
        "Issue 20, fourth attack, class 1: every config-line form of a credential's name given a value (YAML, TOML, INI, Ruby, Go, shell, redis.conf) refused at the patch or extra object; references and prose stay plain",
        &cases,
    );
}

/// No output of `config`, `explain` or `diff` (text, JSON, Markdown) shows a value of the new
/// shapes: not in a patch as written, not in a typed setting, not in a committed file read back.
#[test]
fn config_explain_and_diff_never_print_the_new_shapes() {
    let secrets = [
        format!("https://h/{SLACK}"),
        format!("x={HEX64}"),
        format!("password => {V}"),
        format!("https://h/cb?x={PCT}"),
    ];
    let hidden = ["123456789012-Ab12", HEX64, V, "Zk3q9LmN2pQ7"];
    let data: String = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| format!("        K{i}: \"{s}\"\n"))
        .collect();
    let w = support::tempdir();
    let dir = w.path();
    support::write(
        dir,
        "p.yaml",
        &format!(
            "patches:\n  - target: {{kind: ConfigMap, name: agent-config}}\n    patch:\n      data:\n{data}"
        ),
    );
    support::write(
        dir,
        "typed.yaml",
        &format!("agent:\n  config:\n    extra:\n      NOTE: \"https://h/{SLACK}\"\n"),
    );
    let mut runs = vec![
        agentctl(["config", "-f", "p.yaml"]).current_dir(dir).run(),
        agentctl(["explain", "agent.config.extra.NOTE", "-f", "typed.yaml"])
            .current_dir(dir)
            .run(),
        agentctl(["config", "-f", "typed.yaml"])
            .current_dir(dir)
            .run(),
    ];
    for format in ["text", "json", "markdown"] {
        let run = agentctl(["diff", "-f", "p.yaml", "-o", "out", "--format", format])
            .current_dir(dir)
            .run();
        assert_eq!(run.code, 2, "{format}: {}", run.stderr);
        assert!(run.stderr.contains("data.K0"), "{format}: {}", run.stderr);
        runs.push(run);
    }
    // A committed directory holding them, compared.
    let r = agentctl(["render", "-q", "-o", "old"])
        .current_dir(dir)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::create_dir(dir.join("new")).expect("mkdir");
    for name in support::tree(&dir.join("old")).keys() {
        std::fs::copy(dir.join("old").join(name), dir.join("new").join(name)).expect("copy");
    }
    let header = std::fs::read_to_string(dir.join("old/quota.yaml")).expect("read");
    let header = header.lines().next().expect("header").to_owned();
    let leaky = |n: usize| {
        let data: String = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| format!("  K{i}: \"{s}{n}\"\n"))
            .collect();
        format!(
            "{header}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\n  namespace: production-agents\ndata:\n{data}"
        )
    };
    for (side, n) in [("old", 1), ("new", 2)] {
        std::fs::write(dir.join(side).join("leaky.yaml"), leaky(n)).expect("write");
        let k = dir.join(side).join("kustomization.yaml");
        let text = std::fs::read_to_string(&k).expect("read");
        std::fs::write(
            &k,
            text.replacen("resources:\n", "resources:\n- leaky.yaml\n", 1),
        )
        .expect("write");
    }
    for format in ["text", "json", "markdown"] {
        let run = agentctl(["diff", "--base-dir", "old", "-o", "new", "--format", format])
            .current_dir(dir)
            .run();
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        // The unified diff shows the values' lines, masked (JSON and Markdown name the keys).
        assert!(
            format != "text" || run.stdout.contains("K1: \"<redacted"),
            "{format}: {}",
            run.stdout
        );
        runs.push(run);
    }
    for run in &runs {
        for h in hidden {
            assert!(
                !run.stdout.contains(h) && !run.stderr.contains(h),
                "shows {h}:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
}

/// A kubeconfig whose user runs `plugin` (a script in the scratch directory) as its credential
/// plugin, never interactive.
fn exec_kubeconfig(plugin: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: \"https://127.0.0.1:1\"}}}}]\nusers: [{{name: u, user: {{exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: ./{plugin}, args: [\"--secret=arg-{V}\"], env: [{{name: TOKEN, value: env-{V}}}], interactiveMode: Never}}}}}}]\ncontexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n"
    )
}

#[test]
fn a_credential_plugin_s_failure_never_shows_its_output() {
    use std::os::unix::fs::PermissionsExt;
    let plugins = [
        (
            "wrong-type.sh",
            format!(
                "#!/bin/sh\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":[\"tok-{V}\"]}}}}'\n"
            ),
            "is not an ExecCredential at 1:",
        ),
        (
            "yaml.sh",
            format!("#!/bin/sh\nprintf 'status:\\n  token: {{a: tok-{V}}}\\n'\n"),
            "is not an ExecCredential",
        ),
        (
            "fails.sh",
            format!("#!/bin/sh\necho 'tok-{V}'; echo 'err-{V}' >&2; exit 4\n"),
            "failed with exit status: 4",
        ),
        (
            "no-status.sh",
            format!("#!/bin/sh\necho '{{\"kind\":\"ExecCredential\",\"token\":\"tok-{V}\"}}'\n"),
            "has no `status`",
        ),
    ];
    let w = support::tempdir();
    let dir = w.path();
    let mut pinned = String::new();
    for (name, script, says) in &plugins {
        support::write(dir, name, script);
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let kc = format!("kc-{name}");
        support::write(dir, &kc, &exec_kubeconfig(name));
        for cmd in [
            vec!["status", "--kubeconfig", &kc],
            vec!["doctor", "--kubeconfig", &kc],
            vec!["diff", "--live", "--kubeconfig", &kc],
        ] {
            let run = agentctl(&cmd).current_dir(dir).run();
            assert_eq!(run.code, 2, "{cmd:?}: {}", run.stderr);
            assert!(run.stderr.contains(says), "{cmd:?}: {}", run.stderr);
            assert!(
                run.stderr.contains("context `x`"),
                "{cmd:?}: {}",
                run.stderr
            );
            for h in [V, "tok-", "err-", "KUBERNETES_EXEC_INFO"] {
                assert!(
                    !run.stderr.contains(h) && !run.stdout.contains(h),
                    "{cmd:?} shows {h}:\n{}",
                    run.stderr
                );
            }
            pinned.push_str(&format!(
                "## {name}\n$ agentctl {}\nexit {}\n{}\n",
                cmd.join(" "),
                run.code,
                run.stderr.trim_end()
            ));
        }
    }
    support::snapshot(
        "attacks",
        "escape-encoded-plugin",
        "Issue 20, fourth attack, class 2: a credential plugin's failure (wrong type, YAML, a failing exit, no status) is said from its kind, never with its command line, environment or output, for status, doctor and diff --live",
        &pinned,
    );
}

/// Each reader's cap, at the cap and one byte over: the project file (4 MiB), an override file
/// by `-f`, by `-f -` and by a project's `overrides:` entry (1 MiB; its `patches:` and
/// `resources:` are inside it), a CRD file (8 MiB).
#[test]
fn every_input_file_is_refused_one_byte_over_its_cap_and_read_at_it() {
    const MIB: usize = 1 << 20;
    /// `head` padded with a comment to exactly `size` bytes.
    fn padded(head: &str, size: usize) -> String {
        let mut text = head.to_owned();
        text.push('#');
        while text.len() + 1 < size {
            let n = (size - 1 - text.len()).min(1000);
            text.push_str(&"x".repeat(n));
            if text.len() + 1 < size {
                text.push_str("\n#");
            }
        }
        text.push('\n');
        assert_eq!(text.len(), size);
        text
    }
    let w = support::tempdir();
    let dir = w.path();
    let patch = "patches:\n  - target: {kind: ConfigMap, name: agent-config}\n    patch:\n      data: {X: y}\n";
    let project = |files: &str| format!("environments:\n  prod:\n    output: deploy/prod\n{files}");
    let crd = std::fs::read_to_string(support::root().join("tests/data/crds/grpcroute.yaml"))
        .expect("a CRD of the test data");
    let mut pinned = String::new();
    for (size, over) in [(4 * MIB, false), (4 * MIB + 1, true)] {
        support::write(dir, "agentctl.yaml", &padded(&project(""), size));
        let run = agentctl(["render", "-q", "--all"]).current_dir(dir).run();
        check(
            &run,
            over,
            "project file `",
            "4 MiB (4194304 bytes)",
            &mut pinned,
        );
    }
    for (size, over) in [(MIB, false), (MIB + 1, true)] {
        support::write(dir, "o.yaml", &padded(patch, size));
        let run = agentctl(["render", "-q", "-f", "o.yaml", "-o", "out"])
            .current_dir(dir)
            .run();
        check(
            &run,
            over,
            "override file `o.yaml`",
            "1 MiB (1048576 bytes)",
            &mut pinned,
        );
        let stdin = agentctl(["render", "-q", "-f", "-", "-o", "out"])
            .current_dir(dir)
            .stdin(padded(patch, size))
            .run();
        check(
            &stdin,
            over,
            "override file `",
            "1 MiB (1048576 bytes)",
            &mut pinned,
        );
        support::write(dir, "agentctl.yaml", &project("    overrides: [o.yaml]\n"));
        let run = agentctl(["render", "-q", "--all"]).current_dir(dir).run();
        check(
            &run,
            over,
            "agentctl.yaml:",
            "1 MiB (1048576 bytes)",
            &mut pinned,
        );
    }
    support::write(dir, "c.yaml", "crds: [crd.yaml]\n");
    for (size, over) in [(8 * MIB, false), (8 * MIB + 1, true)] {
        support::write(dir, "crd.yaml", &padded(&crd, size));
        let run = agentctl(["render", "-q", "-f", "c.yaml", "-o", "out"])
            .current_dir(dir)
            .run();
        check(&run, over, "c.yaml:1", "8 MiB (8388608 bytes)", &mut pinned);
    }
    support::snapshot(
        "attacks",
        "escape-encoded-caps",
        "Issue 20, fourth attack, class 3: each input reader's cap, at the cap (read) and one byte over (refused, located, naming the cap)",
        &pinned,
    );
}

fn check(run: &support::Run, over: bool, at: &str, cap: &str, pinned: &mut String) {
    if over {
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(at), "{at}: {}", run.stderr);
        assert!(run.stderr.contains(cap), "{cap}: {}", run.stderr);
        let head: Vec<&str> = run.stderr.lines().take(12).collect();
        pinned.push_str(&format!("## over {cap}\n{}\n\n", head.join("\n")));
    } else {
        assert!(
            !run.stderr.contains("over the limit"),
            "at the cap {cap}: {}",
            run.stderr
        );
        assert_eq!(run.code, 0, "at the cap {cap}: {}", run.stderr);
    }
}
