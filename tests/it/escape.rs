//! The escape hatch attacked (issue 20): what `patches:`, `resources:` and committed files let
//! in must never run a command when a printed line is pasted, reach a terminal or a PR comment
//! raw, or leak a credential. One gallery per class, pinned in `snapshots/attacks/escape-*.snap`
//! (command, exit code, stderr), with variants beyond the ones the issue reported (other fields,
//! other objects, other patch forms).

use std::path::Path;
use std::process::Command;

use crate::support::{self, agentctl};

/// One case: files under a scratch directory (the command runs there), the arguments, the exit
/// code, what stderr shows and what it must never show.
struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    code: i32,
    shows: &'static [&'static str],
    hides: &'static [&'static str],
}

fn gallery(name: &str, description: &str, cases: &[Case]) {
    let mut pinned = String::new();
    for c in cases {
        let dir = support::tempdir();
        for (path, text) in c.files {
            support::write(dir.path(), path, text);
        }
        let run = agentctl(c.args).current_dir(dir.path()).run();
        let shown = &run.stderr;
        assert_eq!(run.code, c.code, "{}: exit code\n{shown}", c.name);
        for s in c.shows {
            assert!(shown.contains(s), "{}: stderr lacks {s:?}\n{shown}", c.name);
        }
        for s in c.hides {
            assert!(
                !shown.contains(s) && !run.stdout.contains(s),
                "{}: output shows {s:?}\n{shown}",
                c.name
            );
        }
        assert!(
            !shown.chars().any(|ch| ch.is_control() && ch != '\n'),
            "{}: a raw control character on stderr\n{shown:?}",
            c.name
        );
        let line: Vec<String> = c.args.iter().map(|a| support::shell_word(a)).collect();
        pinned.push_str(&format!(
            "## {}\n$ agentctl {}\nexit {}\n{}\n\n",
            c.name,
            line.join(" "),
            run.code,
            shown.trim_end()
        ));
    }
    support::snapshot("attacks", name, description, &pinned);
}

/// An override file with one strategic-merge patch of the agent Deployment's pod spec.
macro_rules! pod_patch {
    ($spec:literal) => {
        concat!(
            "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      spec:\n        template:\n          spec:\n",
            $spec
        )
    };
}

#[test]
fn every_name_is_checked_for_its_kind() {
    const NAME_CASES: &[Case] = &[
        // The three the issue reported.
        Case {
            name: "image pull Secret from a patch",
            files: &[(
                "p.yaml",
                pod_patch!("            imagePullSecrets: [{name: \"x$(touch canary)\"}]\n"),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &[
                "p.yaml:7:39",
                "imagePullSecrets[0].name",
                "is not a DNS-1123 subdomain",
            ],
            hides: &[],
        },
        Case {
            name: "secretKeyRef name from a patch",
            files: &[(
                "p.yaml",
                pod_patch!(
                    "            containers:\n              - name: agent\n                env:\n                  - name: X\n                    valueFrom: {secretKeyRef: {name: \"s;touch canary\", key: k}}\n"
                ),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["secretKeyRef.name", "is not a DNS-1123 subdomain"],
            hides: &[],
        },
        Case {
            name: "volume secretName from a patch",
            files: &[(
                "p.yaml",
                pod_patch!(
                    "            volumes:\n              - name: v\n                secret: {secretName: \"`touch canary`\"}\n"
                ),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["secret.secretName", "is not a DNS-1123 subdomain"],
            hides: &[],
        },
        // Held back: other fields, other objects, other patch forms.
        Case {
            name: "a Secret key with a backtick",
            files: &[(
                "p.yaml",
                pod_patch!(
                    "            containers:\n              - name: agent\n                env:\n                  - name: X\n                    valueFrom: {secretKeyRef: {name: agent-secrets, key: \"k`id`\"}}\n"
                ),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["secretKeyRef.key", "is not a ConfigMap or Secret key"],
            hides: &[],
        },
        Case {
            name: "envFrom, projected volume and claim names",
            files: &[(
                "p.yaml",
                pod_patch!(
                    "            containers:\n              - name: agent\n                envFrom: [{configMapRef: {name: \"a b\"}}]\n            volumes:\n              - name: p\n                projected: {sources: [{secret: {name: \"$HOME\"}}]}\n              - name: c\n                persistentVolumeClaim: {claimName: \"c&&id\"}\n"
                ),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &[
                "configMapRef.name",
                "projected.sources[0].secret.name",
                "persistentVolumeClaim.claimName",
            ],
            hides: &[],
        },
        Case {
            name: "service account and priority class",
            files: &[(
                "p.yaml",
                pod_patch!(
                    "            serviceAccountName: \"sa|id\"\n            priorityClassName: \"High\"\n"
                ),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["serviceAccountName", "priorityClassName"],
            hides: &[],
        },
        Case {
            name: "a JSON 6902 patch adds the image pull Secret",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      - {op: add, path: /spec/template/spec/imagePullSecrets, value: [{name: \"r$(id)\"}]}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:4:", "is not a DNS-1123 subdomain"],
            hides: &[],
        },
        Case {
            name: "a label value and an annotation key from a string patch",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: Service}\n    patch: |-\n      metadata:\n        labels: {team: \"a;b\"}\n        annotations: {\"x y\": ok}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["is not a label value", "is not a label or annotation key"],
            hides: &[],
        },
        Case {
            name: "an extra object's name",
            files: &[(
                "p.yaml",
                "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: \"cm$(touch canary)\"}\n    data: {k: v}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:4:", "resources[0].metadata.name"],
            hides: &[],
        },
        Case {
            name: "an extra ConfigMap's data key and an extra Service's name",
            files: &[(
                "p.yaml",
                "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: prompts}\n    data: {\"a;b\": v}\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: 1svc}\n    spec: {ports: [{port: 80}]}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &[
                "resources[0].data",
                "is not a ConfigMap or Secret key",
                "resources[1].metadata.name",
                "is not an RFC 1035 label",
            ],
            hides: &[],
        },
        Case {
            name: "an RBAC name may be a path segment (Kubernetes accepts it)",
            files: &[(
                "p.yaml",
                "resources:\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: RoleBinding\n    metadata: {name: \"system:a;b\"}\n    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: agent-role}\n    subjects: [{kind: ServiceAccount, name: agent}]\n",
            )],
            args: &["render", "-f", "p.yaml", "-o", "out"],
            code: 0,
            shows: &[],
            hides: &[],
        },
    ];
    gallery(
        "escape-names",
        "Every name in the final objects is checked for its kind, whatever produced it: a patch (strategic merge, JSON 6902, a string), an extra object.",
        NAME_CASES,
    );
}

// ------------------------------------------------------------------------- printed commands

/// Every command in `text`: from each `kubectl ` or `agentctl ` at the start of a word to where
/// the shell would end it in prose (an unquoted `,`, `;`, `)`, backtick or line end, outside
/// `$(...)`). Quotes are followed as the shell reads them.
fn commands(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..chars.len().min(i + 9)].iter().collect();
        let starts = rest.starts_with("kubectl ") || rest.starts_with("agentctl ");
        let boundary = i == 0 || matches!(chars[i - 1], ' ' | '(' | '\n' | ':' | '`' | '"');
        if !(starts && boundary) {
            i += 1;
            continue;
        }
        let (mut single, mut double, mut depth) = (false, false, 0usize);
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            match c {
                '\'' if !double => single = !single,
                '"' if !single => double = !double,
                '\\' if !single => j += 1,
                '$' if !single && chars.get(j + 1) == Some(&'(') => {
                    depth += 1;
                    j += 1;
                }
                ')' if !single && depth > 0 => depth -= 1,
                ',' | ';' | ')' | '`' | '\n' if !single && !double && depth == 0 => break,
                _ => {}
            }
            j += 1;
        }
        let cmd: String = chars[i..j.min(chars.len())].iter().collect();
        out.push(cmd.trim_end().to_owned());
        i = j.max(i + 1);
    }
    out
}

/// Runs `cmd` in `bash` in `dir` with stub `kubectl` and `agentctl` on `PATH` that only record
/// their arguments (one per line, `$'...'`-escaped); returns the recorded calls.
fn paste(dir: &Path, stubs: &Path, cmd: &str) -> String {
    let log = stubs.join("calls.log");
    let _ = std::fs::remove_file(&log);
    let out = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", stubs.display()))
        .env("STUB_LOG", &log)
        .output()
        .expect("bash runs (needed by this test)");
    assert!(
        out.status.success(),
        "pasting {cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&log).unwrap_or_default()
}

/// Lists `file` in the committed `kustomization.yaml` of `dir` (`diff --base-dir` compares what
/// `kubectl apply -k` applies: only listed files); `own_namespaces`: without its `namespace:`.
fn ship(dir: &Path, file: Option<&str>, own_namespaces: bool) {
    let k = dir.join("kustomization.yaml");
    let mut text = std::fs::read_to_string(&k).expect("read");
    if let Some(file) = file {
        text = text.replacen("resources:\n", &format!("resources:\n- {file}\n"), 1);
    }
    if own_namespaces {
        text = text
            .lines()
            .filter(|l| !l.starts_with("namespace:"))
            .map(|l| format!("{l}\n"))
            .collect();
    }
    std::fs::write(k, text).expect("write");
}

/// Secret keys named like bash's special and dynamic variables, and the loader's.
const BASH_KEYS: &[&str] = &[
    "EPOCHSECONDS",
    "EPOCHREALTIME",
    "SRANDOM",
    "RANDOM",
    "HISTCMD",
    "DIRSTACK",
    "LINENO",
    "SECONDS",
    "BASH_ARGV0",
    "BASHPID",
    "PATH",
    "IFS",
    "LD_PRELOAD",
    "PS4",
    "PPID",
    "UID",
];

#[test]
fn every_printed_command_pasted_into_bash_runs_only_itself() {
    let stubs = support::tempdir();
    for tool in ["kubectl", "agentctl"] {
        support::write(
            stubs.path(),
            tool,
            &format!(
                "#!/bin/bash\n{{ printf '%s' {tool}; for a in \"$@\"; do printf ' %q' \"$a\"; done; echo; }} >> \"$STUB_LOG\"\necho pv-1\n"
            ),
        );
        let p = stubs.path().join(tool);
        let mut perm = std::fs::metadata(&p).expect("stub").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&p, perm).expect("chmod");
    }
    let work = support::tempdir();
    let w = work.path();
    // Names Kubernetes accepts (an RBAC name is a path segment), each trying to run `touch`.
    support::write(
        w,
        "p.yaml",
        &format!(
            "resources:\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: RoleBinding\n    metadata: {{name: \"a;touch canary-1\"}}\n    roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: agent-role}}\n    subjects: [{{kind: ServiceAccount, name: agent}}]\npatches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch:\n      spec: {{template: {{spec: {{containers: [{{name: agent, env: [{}]}}]}}}}}}\n",
            BASH_KEYS
                .iter()
                .enumerate()
                .map(|(i, k)| format!(
                    "{{name: V{i}, valueFrom: {{secretKeyRef: {{name: bash-vars, key: {k}}}}}}}"
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let set = "agent.config.extra.NOTE=$(touch canary-2)`touch canary-3`";
    let render = agentctl(["render", "-f", "p.yaml", "--set", set, "-o", "out dir"])
        .current_dir(w)
        .run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    // The committed side: the binding's role changed, a claim and a StatefulSet with hostile
    // names and namespace deleted, a Job whose selector changed.
    let extra = w.join("out dir/extra-objects.yaml");
    let text = std::fs::read_to_string(&extra).expect("extra objects");
    let text = text.replace("name: agent-role", "name: other-role")
        + "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: claim-4\n  namespace: ns-5\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n"
        + "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: s6\n  namespace: production-agents\nspec:\n  serviceName: s\n  selector: {matchLabels: {app: s}}\n  template: {metadata: {labels: {app: s}}, spec: {containers: [{name: c, image: i}]}}\n  volumeClaimTemplates: [{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}]\n";
    // A claim, namespace or StatefulSet name the API server refuses (`$(touch canary-4)`,
    // `ns; touch canary-5`, a backquote) is a located error now, before any command is
    // printed (`attacks_outside.rs`); these are the names it takes.
    std::fs::write(&extra, text).expect("write");
    // Each object keeps the namespace it names (kustomize would move them all into the one the
    // committed kustomization.yaml names, as `diff` does now).
    ship(&w.join("out dir"), None, true);
    let mut cmds = commands(&render.stderr);
    let diff = agentctl(["diff", "-f", "p.yaml", "--set", set, "-o", "out dir"])
        .current_dir(w)
        .run();
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    cmds.extend(commands(&diff.stdout));
    cmds.extend(commands(&diff.stderr));
    let json = agentctl([
        "diff", "-f", "p.yaml", "--set", set, "-o", "out dir", "--format", "json",
    ])
    .current_dir(w)
    .run();
    assert_eq!(json.code, 1, "{}", json.stderr);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON report");
    let mut stack = vec![&report];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) => cmds.extend(commands(s)),
            serde_json::Value::Array(a) => stack.extend(a),
            serde_json::Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    cmds.extend(commands(&json.stderr));
    for want in [
        "kubectl create secret generic",
        "kubectl delete rolebinding 'a;touch canary-1'",
        "kubectl patch pv",
        "agentctl render -f p.yaml --set",
    ] {
        assert!(
            cmds.iter().any(|c| c.starts_with(want)),
            "no `{want}` among the printed commands: {cmds:#?}"
        );
    }
    let before = support::tree(w);
    let mut calls = String::new();
    for cmd in &cmds {
        let log = paste(w, stubs.path(), cmd);
        assert!(!log.is_empty(), "{cmd:?} ran no kubectl/agentctl");
        calls.push_str(&log);
    }
    assert_eq!(support::tree(w), before, "a pasted command changed files");
    for n in 1..=6 {
        assert!(
            !w.join(format!("canary-{n}")).exists(),
            "canary-{n} created"
        );
    }
    // A Secret key named like a variable bash fills itself (a clock, a random number, a line
    // number) or gives a meaning (`PATH`, `IFS`, the loader's `LD_PRELOAD`, `PS4`) reads
    // agentctl's own variable, unset here: its value reaches kubectl empty, never bash's.
    let secret = calls
        .lines()
        .find(|l| l.contains("bash-vars"))
        .unwrap_or_else(|| panic!("no command creates Secret bash-vars:\n{calls}"));
    for key in BASH_KEYS {
        let want = format!(" --from-literal={key}=");
        assert!(
            secret.contains(&format!("{want} ")) || secret.ends_with(&want),
            "{key} read a variable agentctl does not own: {secret}"
        );
    }
    // Each hostile name reached the tool as one argument.
    for word in [
        "a\\;touch\\ canary-1",
        "claim-4",
        "ns-5",
        "\\$\\(touch\\ canary-2\\)\\`touch\\ canary-3\\`",
    ] {
        assert!(calls.contains(word), "{word} not one argument in:\n{calls}");
    }
}

/// What a terminal would obey: escape sequences (CSI, OSC 8 links, a title), BEL, CR, C1, DEL
/// and bidirectional controls. `allowed` strips the only sequences agentctl itself writes (its
/// SGR colors) before looking.
fn obeyed(text: &str, colored: bool) -> Vec<char> {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('\x1b') {
        plain.push_str(&rest[..i]);
        let tail = &rest[i..];
        let sgr = tail
            .strip_prefix("\x1b[")
            .and_then(|t| t.find('m').map(|m| (m, t)))
            .filter(|(m, t)| colored && t[..*m].bytes().all(|b| b.is_ascii_digit() || b == b';'));
        match sgr {
            Some((m, _)) => rest = &tail[m + 3..],
            None => {
                plain.push('\x1b');
                rest = &tail[1..];
            }
        }
    }
    plain.push_str(rest);
    plain
        .chars()
        .filter(|&c| {
            (c.is_control() && !matches!(c, '\n' | '\t'))
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{61c}'
                )
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

#[test]
fn every_line_for_a_terminal_shows_control_characters_never_obeys_them() {
    let work = support::tempdir();
    let w = work.path();
    let render = agentctl(["render", "-q", "-o", "old"]).current_dir(w).run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    let payload = r#"x\e]8;;http://evil.example\a click \e]8;;\a\e[2J\e]0;title\a\rhidden\u202Eabc\x9b31m\x7f\u2066\x85"#;
    // The committed side carries the payload where the impact lines quote it (a pod template
    // annotation, and as a key), in a ConfigMap value (diff lines only), in a generated file's
    // name (the diff's file headers and the summary) and in a file no one can parse (the
    // error that refuses the comparison).
    let copy = |name: &str| std::fs::read_to_string(w.join("old").join(name)).expect("rendered");
    std::fs::create_dir(w.join("new")).expect("mkdir");
    for name in support::tree(&w.join("old")).keys() {
        let name = name.to_string_lossy().into_owned();
        std::fs::write(w.join("new").join(&name), copy(&name)).expect("copy");
    }
    let deployment = copy("deployment.yaml").replacen(
        "        checksum/config:",
        &format!("        evil: \"{payload}\"\n        \"\\u202Ekey\\e[8m\": \"\u{202e}raw\u{2067}\"\n        checksum/config:"),
        1,
    );
    std::fs::write(w.join("new/deployment.yaml"), deployment).expect("write");
    let configmap =
        copy("configmap.yaml").replacen("data:\n", &format!("data:\n  EVIL: \"{payload}\"\n"), 1);
    std::fs::write(w.join("new/configmap.yaml"), configmap).expect("write");
    std::fs::write(
        w.join("new/evil\u{1b}]0;pwned\u{7}\u{202e}.yaml"),
        format!("{}apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: e, namespace: production-agents}}\ndata: {{a: \"{payload}\"}}\n", copy("configmap.yaml").lines().next().unwrap_or_default().to_owned() + "\n"),
    )
    .expect("write");
    let mut runs = Vec::new();
    for format in ["text", "json", "markdown"] {
        for color in ["never", "always"] {
            let run = agentctl([
                "diff",
                "--base-dir",
                "old",
                "-o",
                "new",
                "--format",
                format,
                "--color",
                color,
            ])
            .current_dir(w)
            .run();
            assert_eq!(run.code, 1, "{format} {color}: {}", run.stderr);
            runs.push((format!("{format} --color {color}"), run, color == "always"));
        }
    }
    // A terminal, `--color auto`: colored, stdout and stderr on one screen.
    let tty = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(w)
        .code(1)
        .run_on_terminal();
    // (The terminal turns each line feed into CR LF; a lone CR would be agentctl's.)
    let mut tty = tty;
    tty.stdout = tty.stdout.replace("\r\n", "\n");
    runs.push(("a terminal".into(), tty, true));
    // A value a layer or `--set` tries to bring in is refused, and the refusal shows it escaped.
    for set in [
        "agent.config.extra.NOTE=a\u{1b}[2Jb",
        "agent.config.extra.NOTE=a\u{202e}b",
        "agent.config.extra.NOTE=a\rb\u{9b}c",
    ] {
        let run = agentctl(["render", "--set", set, "-o", "x"])
            .current_dir(w)
            .run();
        assert_eq!(run.code, 2, "{set:?} accepted: {}", run.stderr);
        runs.push((format!("--set {set:?}"), run, false));
    }
    for (what, run, colored) in &runs {
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            let bad = obeyed(text, *colored);
            assert!(bad.is_empty(), "{what}: {stream} has raw {bad:?}:\n{text}");
        }
    }
    // A file no one can parse is an error at its place (exit 2), its line shown escaped.
    std::fs::write(
        w.join("new/broken.yaml"),
        format!(
            "{}kind: [\r\u{1b}[2J\u{9b}\n",
            copy("configmap.yaml")
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
                + "\n"
        ),
    )
    .expect("write");
    for color in ["never", "always"] {
        let run = agentctl(["diff", "--base-dir", "old", "-o", "new", "--color", color])
            .current_dir(w)
            .run();
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("broken.yaml:"), "{}", run.stderr);
        let bad = obeyed(&run.stderr, color == "always");
        assert!(bad.is_empty(), "stderr has raw {bad:?}:\n{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    let (_, text, _) = &runs[0];
    for shown in [
        ": \"\\u{202e}raw\\u{2067}\"",
        "+  EVIL: ",
        "evil\\u{1b}]0;pwned\\u{7}\\u{202e}.yaml",
    ] {
        assert!(
            text.stdout.contains(shown),
            "the diff lacks {shown:?}:\n{}",
            text.stdout
        );
    }
    assert!(
        text.stderr
            .contains("annotations.evil: (none) → x\\u{1b}]8;;"),
        "{}",
        text.stderr
    );
    // JSON keeps the value (every unprintable character a JSON escape, not a lost character).
    let (_, json, _) = &runs[2];
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert!(doc.to_string().contains("\\u001b]8;;") || json.stdout.contains("\\u001b]8;;"));
    let texts: String = doc["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["reasons"].as_array().into_iter().flatten())
        .filter_map(|r| r["text"].as_str())
        .collect();
    assert!(
        texts.contains("\u{202e}raw\u{2067}") && texts.contains("\u{1b}]8;;http"),
        "{texts}"
    );
}

/// The tags GFM makes of `markdown` (comrak, GitHub's dialect: tables, autolinks,
/// strikethrough, footnotes, math, raw HTML passed through as GitHub would before its
/// sanitizer), and the rendered text outside code where GitHub looks for `@` mentions.
fn rendered(markdown: &str) -> (String, Vec<String>, String) {
    let mut o = comrak::Options::default();
    o.extension.table = true;
    o.extension.autolink = true;
    o.extension.strikethrough = true;
    o.extension.tasklist = true;
    o.extension.footnotes = true;
    o.extension.math_dollars = true;
    o.render.r#unsafe = true;
    let html = comrak::markdown_to_html(markdown, &o);
    let mut tags = Vec::new();
    let mut text = String::new();
    let mut in_code = 0;
    let mut rest = html.as_str();
    while let Some(i) = rest.find('<') {
        if in_code == 0 {
            text.push_str(&rest[..i]);
        }
        let end = rest[i..].find('>').map_or(rest.len(), |e| i + e + 1);
        let tag = &rest[i + 1..end.saturating_sub(1)];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect();
        match name.as_str() {
            "code" => in_code += 1,
            "/code" => in_code -= 1,
            _ => {}
        }
        tags.push(name);
        rest = &rest[end..];
    }
    text.push_str(rest);
    (html, tags, text)
}

#[test]
fn the_pull_request_comment_shows_values_never_renders_them() {
    let work = support::two_copies();
    let w = work.path();
    let header = "# Generated by agentctl. Do not edit: change the inputs and run `agentctl render` again.\n";
    // Payloads for every rule of GFM and GitHub: HTML, table breakout, links, images,
    // autolinks (www, scheme, email, <...>), mentions, code-span breakout, headings after a
    // line break or a CR, emphasis, strikethrough, entities, math, footnotes, task lists.
    let payloads = [
        "<img src=x onerror=alert(1)>",
        "</td></tr></table><script>x</script>",
        "a | b | c",
        "[click](http://evil.example)",
        "![i](http://evil.example/i.png) [^1]",
        "www.evil.example http://evil.example/x",
        "mail@evil.example a@b.co,x@y.io",
        "<http://evil.example> <a@b.co>",
        "@octocat @org/team cc:@someone (@x)",
        "``` `x` ``a``",
        "x\r# heading\n## two\r\n> quote",
        "- [ ] task\n1. list\n---",
        "**bold** _em_ ~~strike~~ :smile:",
        "&lt;b&gt; &#60;i&#62; $x^2$ \\| \\",
        "<!-- hidden --> <details><summary>s",
        // GitHub's own references, linked after rendering in the text outside code (comrak
        // does not implement them, so the check below reads the rendered text as GitHub would).
        "#123 fix#9 GH-123 gh-7 owner/repo#1 JIRA-42",
        "a5c3f9e owner/repo@a5c3f9e (#4) x,#5. DEADBEEF12",
        "0123456789abcdef0123456789abcdef01234567",
    ];
    // Each payload where a reason quotes it (a pod template annotation of its own Deployment,
    // changed), and as the name of a RoleBinding where the API server takes it (an RBAC name
    // is a path segment: no `/` or `%`); a name it refuses for its kind (a ConfigMap's, a
    // namespace) makes the comparison a located error (`attacks_outside.rs`), never a row.
    let deployment = |n: usize, value: &str| {
        let quoted = serde_json::to_string(value).expect("json");
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{n}, namespace: production-agents}}\nspec:\n  selector: {{matchLabels: {{app: d{n}}}}}\n  template:\n    metadata: {{labels: {{app: d{n}}}, annotations: {{evil: {quoted}}}}}\n    spec: {{containers: [{{name: c, image: i}}]}}\n"
        )
    };
    let (mut old, mut new) = (String::from(header), String::from(header));
    let mut named = 0;
    for (n, p) in payloads.iter().enumerate() {
        old.push_str(&deployment(n, "x"));
        new.push_str(&deployment(n, p));
        if agentctl::config::names::path_segment(p).is_ok() {
            named += 1;
            let quoted = serde_json::to_string(p).expect("json");
            new.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {quoted}, namespace: production-agents}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: agent}}\nsubjects: [{{kind: ServiceAccount, name: agent, namespace: production-agents}}]\n"
            ));
        }
    }
    assert!(named >= 10, "most payloads are names too: {named}");
    std::fs::write(w.join("old/evil.yaml"), old).expect("write");
    std::fs::write(w.join("new/evil.yaml"), new).expect("write");
    for side in ["old", "new"] {
        ship(&w.join(side), Some("evil.yaml"), true);
    }
    let run = agentctl([
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
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (html, tags, text) = rendered(&run.stdout);
    let allowed = [
        "h3", "/h3", "p", "/p", "strong", "/strong", "table", "/table", "thead", "/thead", "tbody",
        "/tbody", "tr", "/tr", "th", "/th", "td", "/td", "code", "/code",
    ];
    let foreign: Vec<&String> = tags
        .iter()
        .filter(|t| !allowed.contains(&t.as_str()))
        .collect();
    assert!(
        foreign.is_empty(),
        "elements from values: {foreign:?}\n{}\n{html}",
        run.stdout
    );
    // One table: a header row and one row per changed object, five cells each.
    let rows = tags.iter().filter(|t| *t == "tr").count();
    assert_eq!(rows, 1 + payloads.len() + named, "{html}");
    assert_eq!(
        tags.iter().filter(|t| *t == "td").count(),
        5 * (payloads.len() + named),
        "{html}"
    );
    assert_eq!(tags.iter().filter(|t| *t == "table").count(), 1, "{html}");
    // No mention outside code: `@` right after a non-word character and before a word one.
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '@' {
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 1);
            assert!(
                before.is_some_and(|b| b.is_ascii_alphanumeric() || b == '_')
                    || !after.is_some_and(|a| a.is_ascii_alphanumeric()),
                "a mention at {i}: {text}"
            );
        }
    }
    // No GitHub reference outside code. comrak renders no issue, pull-request or commit
    // links (GitHub adds them after rendering, in text nodes outside code and links), so the
    // assertion is on that text: no `#` before a letter or digit (`#123`, `owner/repo#1`; a
    // backslash escape would not help, `\#123` renders as `#123`), no `letters-digits`
    // (`GH-123` and the prefixes a repository configures) and no run of 7 or more hex digits
    // standing alone (a short or full commit SHA).
    let words: Vec<&str> = text.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    let t = text.as_bytes();
    for (i, c) in t.iter().enumerate() {
        if *c == b'#' {
            let entity = i > 0 && t[i - 1] == b'&';
            assert!(
                entity || !t.get(i + 1).is_some_and(u8::is_ascii_alphanumeric),
                "a reference at {i}: {}",
                &text[i.saturating_sub(20)..(i + 20).min(text.len())]
            );
        }
    }
    for w in &words {
        assert!(
            w.len() < 7 || !w.bytes().all(|b| b.is_ascii_hexdigit()),
            "a commit SHA outside code: {w}\n{text}"
        );
    }
    for (i, pair) in text.split('-').collect::<Vec<_>>().windows(2).enumerate() {
        let prefix = pair[0]
            .rsplit(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("");
        let letters = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphabetic());
        assert!(
            !(letters && pair[1].starts_with(|c: char| c.is_ascii_digit())),
            "an autolink reference ({prefix}-) at dash {i}: {text}"
        );
    }
    for shown in [
        "<code>#123</code>",
        "<code>GH-123</code>",
        "<code>owner/repo@a5c3f9e</code>",
        "(<code>#4</code>)",
        "<code>x,#5</code>.",
        "<code>0123456789abcdef0123456789abcdef01234567</code>);",
    ] {
        assert!(html.contains(shown), "{shown} not shown:\n{html}");
    }
    // The values are there, as text.
    for shown in [
        "&lt;img src=x onerror=alert(1)&gt;",
        "a | b | c",
        "[click](http://evil.example)",
        "@org/team",
    ] {
        assert!(
            html.contains(shown)
                || text.contains(shown)
                || html.contains(&shown.replace('@', "<code>@</code>")),
            "{shown} not shown:\n{html}"
        );
    }
    assert!(html.contains("\\u{d}# heading"), "{html}");
    // Every reason quotes its payload whole (nothing clipped away from the check).
    for n in 0..payloads.len() {
        let row = format!("`Deployment production-agents/d{n}`");
        assert!(run.stdout.contains(&row), "no {row}:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("more)"), "{}", run.stdout);
}

#[test]
fn the_pull_request_comment_is_capped_and_says_what_it_left_out() {
    let work = support::tempdir();
    let w = work.path();
    let render = agentctl(["render", "-q", "-o", "old"]).current_dir(w).run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    std::fs::create_dir(w.join("new")).expect("mkdir");
    for name in support::tree(&w.join("old")).keys() {
        std::fs::copy(w.join("old").join(name), w.join("new").join(name)).expect("copy");
    }
    let mut text = String::from(
        "# Generated by agentctl. Do not edit: change the inputs and run `agentctl render` again.\n",
    );
    let total = 3000;
    for n in 0..total {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: config-map-with-a-long-name-{n:05}, namespace: production-agents}}\ndata: {{a: b}}\n"
        ));
    }
    std::fs::write(w.join("new/many.yaml"), text).expect("write");
    ship(&w.join("new"), Some("many.yaml"), false);
    let run = agentctl([
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
    assert_eq!(run.code, 1, "{}", run.stderr);
    let comment = &run.stdout;
    assert!(
        comment.chars().count() <= 65_536,
        "{} characters",
        comment.chars().count()
    );
    let shown = comment
        .lines()
        .filter(|l| l.starts_with("| create |"))
        .count();
    assert!(shown > 100 && shown < total, "{shown} rows");
    let left = format!("**{} of {total} changed objects left out**", total - shown);
    assert!(
        comment.contains(&left),
        "no {left:?} in the tail:\n{}",
        &comment[comment.len() - 600..]
    );
    assert!(comment.contains("`--format text`"), "how to see them all");
    let (_, tags, _) = rendered(comment);
    assert_eq!(tags.iter().filter(|t| *t == "tr").count(), shown + 1);
}

/// A patch of the agent ConfigMap's `data`.
macro_rules! config_patch {
    ($data:literal) => {
        concat!(
            "patches:\n  - target: {kind: ConfigMap, name: agent-config}\n    patch:\n      data:\n",
            $data
        )
    };
}

#[test]
fn one_credential_policy_over_every_final_object() {
    const URL: &str = "s3cr3t-Pa55word";
    const TOKEN: &str = "ghp_Z9y8X7w6V5u4T3s2R1q0PpOoNnMmLlKk";
    const CASES: &[Case] = &[
        // The ones the issue reported.
        Case {
            name: "a URL password in a patched ConfigMap",
            files: &[(
                "p.yaml",
                config_patch!("        DB_URL: \"postgres://app:s3cr3t-Pa55word@db:5432/app\"\n"),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:5:", "shaped like a credential", "patches[0]"],
            hides: &[URL],
        },
        Case {
            name: "a token in a container's env value (a harmless name)",
            files: &[(
                "p.yaml",
                pod_patch!(
                    "            containers:\n              - name: agent\n                env:\n                  - {name: GREETING, value: \"ghp_Z9y8X7w6V5u4T3s2R1q0PpOoNnMmLlKk\"}\n"
                ),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:", "shaped like a credential"],
            hides: &[TOKEN],
        },
        Case {
            name: "a password flag in args",
            files: &[(
                "p.yaml",
                pod_patch!(
                    "            containers:\n              - name: agent\n                args: [\"--db-password=hunter2hunter2\"]\n"
                ),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:", "`db-password` looks like a credential"],
            hides: &["hunter2hunter2"],
        },
        Case {
            name: "an extra ConfigMap's binaryData",
            files: &[(
                "p.yaml",
                "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: extra}\n    binaryData: {SIGNING_KEY: \"aHVudGVyMmh1bnRlcjI=\"}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &[
                "p.yaml:",
                "resources[0]",
                "`SIGNING_KEY` looks like a credential",
            ],
            hides: &["aHVudGVyMmh1bnRlcjI="],
        },
        Case {
            name: "an extra object's annotation",
            files: &[(
                "p.yaml",
                "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: extra\n      annotations: {example.com/api-token: \"hunter2hunter2\"}\n    data: {a: b}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:", "`example.com/api-token` looks like a credential"],
            hides: &["hunter2hunter2"],
        },
        // Held back: other fields, objects and shapes.
        Case {
            name: "a JWT in a pod template label",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      spec:\n        template:\n          metadata:\n            annotations: {note: \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\"}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:", "shaped like a credential"],
            hides: &["eyJhbGciOiJIUzI1NiJ9.eyJzdWIi"],
        },
        Case {
            name: "an extra Secret with stringData",
            files: &[(
                "p.yaml",
                "resources:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: extra}\n    stringData: {config: \"plain words\"}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:3:", "never renders a Secret"],
            hides: &["plain words"],
        },
        Case {
            name: "a password as the next argument of command",
            files: &[(
                "p.yaml",
                pod_patch!(
                    "            containers:\n              - name: agent\n                command: [\"agent\", \"--token\", \"hunter2hunter2\"]\n"
                ),
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:", "`token` looks like a credential"],
            hides: &["hunter2hunter2"],
        },
        Case {
            name: "a private key in a JSON 6902 patch",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: ConfigMap, name: agent-config}\n    patch:\n      - {op: add, path: /data/tls.pem, value: \"-----BEGIN RSA PRIVATE KEY-----MIIEowIBAAKCAQEA\"}\n",
            )],
            args: &["render", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:", "shaped like a credential"],
            hides: &["MIIEowIBAAKCAQEA"],
        },
        Case {
            name: "config shows where, never what",
            files: &[(
                "p.yaml",
                config_patch!(
                    "        DB_URL: \"postgres://app:s3cr3t-Pa55word@db:5432/app\"\n        API_KEY: hunter2hunter2\n"
                ),
            )],
            args: &["config", "-f", "p.yaml"],
            code: 0,
            shows: &[],
            hides: &[URL, "hunter2hunter2"],
        },
        Case {
            name: "diff refuses like render",
            files: &[("p.yaml", config_patch!("        API_KEY: hunter2hunter2\n"))],
            args: &["diff", "-f", "p.yaml", "-o", "out", "--format", "markdown"],
            code: 2,
            shows: &["`API_KEY` looks like a credential"],
            hides: &["hunter2hunter2"],
        },
    ];
    gallery(
        "escape-credentials",
        "Issue 20 class 2: a credential in a patched or extra object (by its name or its shape, in any field) is refused at the patch, and no output shows it",
        CASES,
    );
    // `config` prints the entries, with the credential values masked.
    let dir = support::tempdir();
    support::write(
        dir.path(),
        "p.yaml",
        config_patch!(
            "        DB_URL: \"postgres://app:s3cr3t-Pa55word@db:5432/app\"\n        API_KEY: hunter2hunter2\n        PLAIN: shown\n"
        ),
    );
    let config = agentctl(["config", "-f", "p.yaml"])
        .current_dir(dir.path())
        .run();
    assert_eq!(config.code, 0, "{}", config.stderr);
    assert!(
        config.stdout.contains("API_KEY: <redacted>"),
        "{}",
        config.stdout
    );
    assert!(
        config.stdout.contains("DB_URL: <redacted>"),
        "{}",
        config.stdout
    );
    assert!(config.stdout.contains("PLAIN: shown"), "{}", config.stdout);
    // The `--set` note names the flag, not a credential-shaped value it set.
    let set = agentctl([
        "render",
        "--set",
        &format!("agent.config.extra.NOTE={TOKEN}"),
        "-o",
        "out",
    ])
    .current_dir(dir.path())
    .run();
    assert!(
        !set.stderr.contains(TOKEN) && !set.stdout.contains(TOKEN),
        "{}",
        set.stderr
    );
}

#[test]
fn a_run_prints_at_most_a_hundred_errors_then_their_count() {
    let dir = support::tempdir();
    let mut text = String::from("patches:\n");
    for n in 0..150 {
        text.push_str(&format!(
            "  - target: {{kind: ConfigMap, name: missing-{n}}}\n    patch: {{data: {{a: b}}}}\n"
        ));
    }
    support::write(dir.path(), "p.yaml", &text);
    let run = agentctl(["render", "-f", "p.yaml", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    let shown = run.stderr.matches("error:").count();
    assert_eq!(
        shown,
        100,
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(500)..]
    );
    assert!(
        run.stderr
            .ends_with("150 errors, the first 100 shown; nothing was written\n"),
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(300)..]
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_root_patch_directive_is_a_located_error_never_nothing() {
    const CASES: &[Case] = &[
        Case {
            name: "root $patch: delete of the default-deny policy",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: NetworkPolicy, name: agent-network-policy}\n    patch:\n      $patch: delete\n",
            )],
            args: &["render", "-f", "p.yaml", "-o", "out"],
            code: 2,
            shows: &[
                "p.yaml:4:",
                "`$patch: delete` at the root of a patch would delete NetworkPolicy/agent-network-policy",
            ],
            hides: &[],
        },
        Case {
            name: "root $patch: delete with other fields, every Deployment",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: Deployment}\n    patch:\n      metadata: {name: x}\n      $patch: delete\n",
            )],
            args: &["config", "--show-origin", "-f", "p.yaml"],
            code: 2,
            shows: &["p.yaml:5:", "would delete Deployment/agent-deployment"],
            hides: &[],
        },
        Case {
            name: "root $patch: replace",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: ConfigMap, name: agent-config}\n    patch:\n      $patch: replace\n      data: {a: b}\n",
            )],
            args: &["render", "-f", "p.yaml", "-o", "out"],
            code: 2,
            shows: &[
                "p.yaml:4:",
                "would replace the whole of ConfigMap/agent-config",
            ],
            hides: &[],
        },
    ];
    gallery(
        "escape-root-delete",
        "Issue 20 class 8: a root-level `$patch` directive (kustomize deletes or replaces the object) is a located error, never silently nothing",
        CASES,
    );
}

/// A strategic merge's directives on `metadata` (or a root `$retainKeys`) would drop the
/// object's name and namespace: a located error, never a nameless object rendered (it was
/// rendered, exit 0, and `kubectl apply` then refused it).
#[test]
fn a_patch_that_would_drop_an_objects_identity_is_a_located_error() {
    const CASES: &[Case] = &[
        Case {
            name: "$patch: replace on metadata",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: ConfigMap, name: agent-config}\n    patch: {metadata: {$patch: replace, labels: {a: b}}}\n",
            )],
            args: &["render", "-f", "p.yaml", "-o", "out"],
            code: 2,
            shows: &[
                "p.yaml:3:",
                "`$patch: replace` on `metadata` would replace the metadata of ConfigMap/agent-config, its name and namespace with it",
            ],
            hides: &[],
        },
        Case {
            name: "metadata: null, every Deployment",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: Deployment}\n    patch:\n      metadata: null\n",
            )],
            args: &["config", "--show-origin", "-f", "p.yaml"],
            code: 2,
            shows: &[
                "p.yaml:4:",
                "`metadata: null` would delete the metadata of Deployment/agent-deployment",
            ],
            hides: &[],
        },
        Case {
            name: "$retainKeys on metadata without name (held back: a root one)",
            files: &[(
                "p.yaml",
                "patches:\n  - target: {kind: Service, name: agent-service}\n    patch:\n      metadata:\n        $retainKeys: [labels]\n        labels: {a: b}\n  - target: {kind: ConfigMap}\n    patch:\n      $retainKeys: [data]\n      data: {a: b}\n",
            )],
            args: &["render", "-f", "p.yaml", "-o", "out"],
            code: 2,
            shows: &[
                "p.yaml:5:",
                "`$retainKeys` on `metadata` without `name` would drop the name of Service/agent-service",
                "p.yaml:9:",
                "`$retainKeys` at the root of a patch without `apiVersion`, `kind` and `metadata`",
            ],
            hides: &[],
        },
    ];
    gallery(
        "escape-metadata-identity",
        "Issue 20: a patch's directive that would drop an object's name and namespace (`$patch: replace`/`delete` or `$retainKeys` on metadata, `metadata: null`, a root `$retainKeys`) is a located error",
        CASES,
    );
    // Held back: a `$patch: replace` inside metadata's labels replaces the labels alone.
    let dir = support::tempdir();
    std::fs::write(
        dir.path().join("p.yaml"),
        "patches:\n  - target: {kind: ConfigMap, name: agent-config}\n    patch: {metadata: {labels: {$patch: replace, a: b}}}\n",
    )
    .expect("write");
    let run = agentctl(["render", "-q", "-f", "p.yaml", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cm = std::fs::read_to_string(dir.path().join("out/configmap.yaml")).expect("configmap");
    assert!(
        cm.contains("name: agent-config") && cm.contains("a: b"),
        "{cm}"
    );
}

#[test]
fn a_committed_kustomization_is_built_as_kubectl_apply_k_builds_it() {
    let work = support::tempdir();
    let w = work.path();
    let render = agentctl(["render", "-q", "-o", "old"]).current_dir(w).run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    std::fs::create_dir(w.join("new")).expect("mkdir");
    for name in support::tree(&w.join("old")).keys() {
        std::fs::copy(w.join("old").join(name), w.join("new").join(name)).expect("copy");
    }
    // What `kubectl apply -k` would ship besides the files: a patch deleting the default-deny
    // policy (built: the impact shows the delete), a patch making the agent privileged
    // (built: security), a remote base, an image override and a target pattern (not
    // reproduced: not analyzed).
    let k = std::fs::read_to_string(w.join("new/kustomization.yaml")).expect("read");
    let k = k.replacen(
        "resources:\n",
        "resources:\n- https://example.com/cluster-admin-binding\n",
        1,
    ) + "patches:\n- patch: |-\n    $patch: delete\n    apiVersion: networking.k8s.io/v1\n    kind: NetworkPolicy\n    metadata: {name: agent-network-policy}\n- target: {kind: Deployment, name: agent-deployment}\n  patch: |-\n    - op: add\n      path: /spec/template/spec/containers/0/securityContext/privileged\n      value: true\n- target: {kind: Deployment, name: \"agent-.*\"}\n  patch: '[{op: remove, path: /metadata/labels}]'\nimages:\n- name: x\n  newTag: evil\n";
    std::fs::write(w.join("new/kustomization.yaml"), k).expect("write");
    let base = ["diff", "--base-dir", "old", "-o", "new"];
    let text = agentctl(base).current_dir(w).run();
    assert_eq!(text.code, 1, "{}", text.stderr);
    for want in [
        "not analyzed: kustomization.yaml: resources entry `https://example.com/cluster-admin-binding` is not a file agentctl generated here",
        "not analyzed: kustomization.yaml: `images` is not written by agentctl",
        "not analyzed: kustomization.yaml: patches[2]: its target is a pattern",
        "NetworkPolicy production-agents/agent-network-policy",
        "privileged",
    ] {
        assert!(text.stderr.contains(want), "{want}:\n{}", text.stderr);
    }
    assert!(
        !text.stderr.contains("`patches` is not written by agentctl"),
        "{}",
        text.stderr
    );
    let failing = agentctl(base.iter().copied().chain(["--fail-on", "security"]))
        .current_dir(w)
        .run();
    assert_eq!(failing.code, 3, "{}", failing.stderr);
    let json = agentctl(base.iter().copied().chain(["--format", "json"]))
        .current_dir(w)
        .run();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        doc["notAnalyzed"].as_array().map(Vec::len),
        Some(3),
        "{}",
        json.stdout
    );
    let md = agentctl(base.iter().copied().chain(["--format", "markdown"]))
        .current_dir(w)
        .run();
    assert!(md.stdout.contains("**3 not analyzed**"), "{}", md.stdout);
}

/// Issue 20 class 2: what `diff` shows of files it reads back (the unified diff, the impact
/// lines, JSON, Markdown) has every credential value the one policy finds hidden, each
/// distinct value as its own `<redacted N>`, so a changed credential shows as a change.
#[test]
fn credentials_in_compared_files_are_hidden_in_every_diff_format() {
    let work = support::tempdir();
    let w = work.path();
    let render = agentctl(["render", "-q", "-o", "old"]).current_dir(w).run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    std::fs::create_dir(w.join("new")).expect("mkdir");
    for name in support::tree(&w.join("old")).keys() {
        std::fs::copy(w.join("old").join(name), w.join("new").join(name)).expect("copy");
    }
    let header = std::fs::read_to_string(w.join("old/quota.yaml")).expect("read");
    let header = header.lines().next().expect("header").to_owned();
    let token = "ghp_0123456789abcdefghijABCDEFGHIJ";
    let file = |password: &str| {
        format!(
            "{header}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\n  namespace: production-agents\n  annotations:\n    note: {token}\ndata:\n  DB_PASSWORD: {password}\n  MODE: fast\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: production-agents}}\nspec:\n  selector: {{matchLabels: {{app: d}}}}\n  template:\n    metadata: {{labels: {{app: d}}}}\n    spec:\n      containers:\n      - name: c\n        image: i\n        args: [\"--db-password={password}\", \"--api-token\", \"{password}\"]\n        env:\n        - name: API_TOKEN\n          value: \"{password}\"\n"
        )
    };
    std::fs::write(w.join("old/leaky.yaml"), file("hunter2-old-pw")).expect("write");
    std::fs::write(w.join("new/leaky.yaml"), file("hunter2-new-pw")).expect("write");
    for side in ["old", "new"] {
        ship(&w.join(side), Some("leaky.yaml"), false);
    }
    for format in ["text", "json", "markdown"] {
        let run = agentctl(["diff", "--base-dir", "old", "-o", "new", "--format", format])
            .current_dir(w)
            .run();
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        for secret in ["hunter2", "ghp_0123", "old-pw", "new-pw"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format} shows {secret}:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
        if format == "text" {
            // The changed password is a change between two masks; the unchanged token the same
            // mask on both sides (context, not a change).
            let removed = run
                .stdout
                .lines()
                .find(|l| l.starts_with("-  DB_PASSWORD: <redacted "));
            let added = run
                .stdout
                .lines()
                .find(|l| l.starts_with("+  DB_PASSWORD: <redacted "));
            assert!(
                removed.is_some()
                    && added.is_some()
                    && removed.map(|l| &l[1..]) != added.map(|l| &l[1..]),
                "{}",
                run.stdout
            );
            assert!(!run.stdout.contains("+    note:"), "{}", run.stdout);
            assert!(
                run.stdout
                    .contains("+        args: [\"--db-password=<redacted "),
                "{}",
                run.stdout
            );
            // The impact still sees the change: the Deployment rolls out.
            assert!(
                run.stderr.contains("Deployment production-agents/d")
                    || run.stderr.contains("Deployment d"),
                "{}",
                run.stderr
            );
        }
    }
}
