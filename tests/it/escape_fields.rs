//! Issue 20's third attack on names and printed commands: every name or reference field of a
//! pod spec checked with the API server's rule for it, whatever wrote it (a strategic merge
//! patch, a JSON 6902 patch, an extra object, a typed setting), and the variables of the
//! printed `kubectl create secret` command valid and distinct whatever the keys. Pinned in
//! `snapshots/attacks/escape-fields-*.snap` (command, exit code, stderr), with variants beyond
//! the ones the attacker reported.

use crate::escape_keys::{case, gallery};

fn pod_patch(spec: &str) -> String {
    format!(
        "patches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch:\n      spec:\n        template:\n          spec:\n{spec}"
    )
}

#[test]
fn every_name_field_of_a_pod_spec_is_checked() {
    let csi = pod_patch(
        "            volumes:\n              - name: vault\n                csi:\n                  driver: secrets-store.csi.k8s.io\n                  nodePublishSecretRef: {name: \"creds;touch canary\"}\n",
    );
    let scheduling = "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      - {op: add, path: /spec/template/spec/runtimeClassName, value: \"gvisor $(id)\"}\n      - {op: add, path: /spec/template/spec/schedulerName, value: \"My Scheduler\"}\n      - {op: add, path: /spec/template/spec/nodeName, value: \"node_1\"}\n";
    let dns = pod_patch("            hostname: agent.internal\n            subdomain: Agents\n");
    let selector = pod_patch(
        "            nodeSelector: {\"zone name\": eu, pool: \"a;b\"}\n            topologySpreadConstraints:\n              - {maxSkew: 1, topologyKey: \"zone name\", whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: agent}}}\n",
    );
    let extra = "resources:\n  - apiVersion: v1\n    kind: PersistentVolumeClaim\n    metadata: {name: scratch}\n    spec:\n      storageClassName: \"fast`id`\"\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n";
    let ok = pod_patch(
        "            runtimeClassName: gvisor\n            schedulerName: my-scheduler\n            hostname: agent-0\n            nodeSelector: {kubernetes.io/os: linux}\n            volumes:\n              - name: vault\n                csi:\n                  driver: secrets-store.csi.k8s.io\n                  readOnly: true\n                  nodePublishSecretRef: {name: vault-creds}\n",
    );
    let cases = vec![
        case(
            "a CSI volume's nodePublishSecretRef (printed in the prerequisites)",
            &[("p.yaml", &csi)],
            &["render", "-f", "p.yaml"],
            2,
            &[
                "nodePublishSecretRef.name",
                "\"creds;touch canary\" is not a DNS-1123 subdomain",
            ],
            &[],
        ),
        case(
            "runtimeClassName, schedulerName and nodeName from a JSON 6902 patch",
            &[("p.yaml", scheduling)],
            &["render", "-f", "p.yaml"],
            2,
            &[
                "p.yaml:4:",
                "p.yaml:5:",
                "p.yaml:6:",
                "is not a DNS-1123 subdomain",
            ],
            &[],
        ),
        case(
            "a pod's hostname and subdomain are DNS-1123 labels",
            &[("p.yaml", &dns)],
            &["render", "-f", "p.yaml"],
            2,
            &["hostname", "subdomain", "is not a DNS-1123 label"],
            &[],
        ),
        case(
            "a node selector and a topology key",
            &[("p.yaml", &selector)],
            &["render", "-f", "p.yaml"],
            2,
            &[
                "nodeSelector",
                "is not a label or annotation key",
                "is not a label value",
                "topologyKey",
            ],
            &[],
        ),
        case(
            "an extra claim's storageClassName",
            &[("p.yaml", extra)],
            &["render", "-f", "p.yaml"],
            2,
            &[
                "resources[0].spec.storageClassName",
                "is not a DNS-1123 subdomain",
            ],
            &[],
        ),
        case(
            "a typed runtimeClassName",
            &[],
            &["render", "--set", "agent.runtimeClassName=a b"],
            2,
            &["agent.runtimeClassName"],
            &[],
        ),
        case(
            "valid names of the same fields render",
            &[("p.yaml", &ok)],
            &["render", "-f", "p.yaml", "-o", "out"],
            0,
            &[],
            &[],
        ),
    ];
    gallery(
        "escape-fields-names",
        "Every name or reference field of a pod spec is checked with the API server's rule for it, whatever wrote it",
        &cases,
    );
}

/// Issue 20's attack on fields the API server checks by rule but agentctl did not, via patches:
/// ports by name, paths inside volumes, addresses, the OS, environment variable names. Each is
/// located at the patch line that set it and worded as the API server words it.
#[test]
fn ports_paths_addresses_and_env_names_are_checked() {
    let port = pod_patch(
        "            containers:\n              - name: agent\n                ports:\n                  - {name: agent-http-metrics, containerPort: 9100}\n                readinessProbe: {httpGet: {path: /ready, port: Http}}\n",
    );
    let target = "patches:\n  - target: {kind: Service, name: agent-service}\n    patch:\n      - {op: replace, path: /spec/ports/0/targetPort, value: http--alt}\n";
    let paths = "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      - {op: add, path: /spec/template/spec/containers/0/volumeMounts/0/subPath, value: /etc}\n      - {op: add, path: /spec/template/spec/containers/0/volumeMounts/1/subPathExpr, value: \"../$(POD_NAME)\"}\n      - op: add\n        path: /spec/template/spec/volumes/-\n        value: {name: prompts, configMap: {name: agent-prompts, items: [{key: system, path: ../../etc/cron.d/x}]}}\n";
    let host = pod_patch(
        "            os: {name: Linux}\n            hostAliases:\n              - {ip: 10.0.0.256, hostnames: [db.internal, \"Bad Host\"]}\n",
    );
    let env = pod_patch(
        "            containers:\n              - name: agent\n                env:\n                  - {name: \"A=B\", value: x}\n                envFrom:\n                  - {prefix: \"CFG=\", configMapRef: {name: agent-config}}\n",
    );
    let ok = pod_patch(
        "            os: {name: linux}\n            hostAliases:\n              - {ip: 10.0.0.7, hostnames: [db.internal]}\n            containers:\n              - name: agent\n                ports:\n                  - {name: extra-metrics, containerPort: 9100}\n                env:\n                  - {name: my.setting, value: x}\n",
    );
    let cases = vec![
        case(
            "a container port's name over 15 characters, a probe's port by an invalid name",
            &[("p.yaml", &port)],
            &["render", "-f", "p.yaml"],
            2,
            &[
                "p.yaml:10:",
                "\"agent-http-metrics\" is not an IANA service name",
                "must be no more than 15 characters",
                "p.yaml:11:",
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            ],
            &[],
        ),
        case(
            "a Service's targetPort by a name with consecutive hyphens (JSON 6902)",
            &[("p.yaml", target)],
            &["render", "-f", "p.yaml"],
            2,
            &["p.yaml:4:", "must not contain consecutive hyphens"],
            &[],
        ),
        case(
            "subPath absolute, subPathExpr and a ConfigMap item's path with '..'",
            &[("p.yaml", paths)],
            &["render", "-f", "p.yaml"],
            2,
            &[
                "p.yaml:4:",
                "must be a relative path",
                "p.yaml:5:",
                "must not contain '..'",
                "configMap.items[0].path",
            ],
            &["use e.g."],
        ),
        case(
            "a pod's os.name and a host alias's address and hostname",
            &[("p.yaml", &host)],
            &["render", "-f", "p.yaml"],
            2,
            &[
                "p.yaml:7:",
                "supported values: \"linux\", \"windows\"",
                "p.yaml:9:",
                "must be a valid IP address",
                "\"Bad Host\" is not a DNS-1123 subdomain",
            ],
            &[],
        ),
        case(
            "an environment variable's name and an envFrom prefix with '='",
            &[("p.yaml", &env)],
            &["render", "-f", "p.yaml"],
            2,
            &[
                "p.yaml:10:",
                "p.yaml:12:",
                "must consist only of printable ASCII characters other than '='",
            ],
            &[],
        ),
        case(
            "valid values of the same fields render",
            &[("p.yaml", &ok)],
            &["render", "-f", "p.yaml", "-o", "out"],
            0,
            &[],
            &[],
        ),
    ];
    gallery(
        "escape-fields-ports-paths",
        "Ports by name, paths inside volumes, addresses, the OS and environment variable names a patch sets are checked with the API server's rule, at the patch's line",
        &cases,
    );
}

#[test]
fn printed_secret_variables_are_valid_and_distinct() {
    // Keys a patch can give a Secret reference: each must read its own variable.
    let keys = pod_patch(
        "            containers:\n              - name: agent\n                env:\n                  - {name: A, valueFrom: {secretKeyRef: {name: agent-secrets, key: \"-\"}}}\n                  - {name: B, valueFrom: {secretKeyRef: {name: agent-secrets, key: \"0\"}}}\n                  - {name: C, valueFrom: {secretKeyRef: {name: agent-secrets, key: 1PATH}}}\n                  - {name: D, valueFrom: {secretKeyRef: {name: agent-secrets, key: a-b}}}\n                  - {name: E, valueFrom: {secretKeyRef: {name: agent-secrets, key: a.b}}}\n                  - {name: F, valueFrom: {secretKeyRef: {name: agent-secrets, key: path}}}\n",
    );
    let cases = vec![case(
        "keys `-`, `0`, `1PATH`, `a-b`, `a.b`, `path`",
        &[("p.yaml", &keys)],
        &["render", "-f", "p.yaml", "-o", "out"],
        0,
        &[
            "--from-literal=-=\"$SECRET__\"",
            "--from-literal=0=\"$SECRET_0\"",
            "--from-literal=1PATH=\"$SECRET_1PATH\"",
            "--from-literal=a-b=\"$SECRET_A_B\"",
            "--from-literal=a.b=\"$SECRET_A_B_2\"",
            "--from-literal=path=\"$SECRET_PATH\"",
        ],
        &["\"$_\"", "\"$0\"", "\"$1PATH\"", "\"$PATH\""],
    )];
    gallery(
        "escape-fields-secret-variables",
        "The printed `kubectl create secret` reads each key's value from a valid variable of its own",
        &cases,
    );
}

#[test]
fn names_with_hidden_characters_in_committed_files_are_located_errors() {
    let cases = vec![
        case(
            "a project environment's `output:` with a newline",
            &[(
                "agentctl.yaml",
                "environments:\n  prod:\n    output: \"p\\nx\"\n",
            )],
            &["render", "--all", "-o", "deploy"],
            2,
            &[
                "agentctl.yaml:3:13",
                "it contains U+000A, a control or invisible character",
            ],
            &[],
        ),
        case(
            "a project environment's `output:` with a zero-width space",
            &[(
                "agentctl.yaml",
                "environments:\n  prod:\n    output: \"prod\\u200b\"\n",
            )],
            &["render", "--all", "-o", "deploy"],
            2,
            &["it contains U+200B", "agentctl.yaml:3:13"],
            &["prod\u{200b}"],
        ),
        case(
            "an override file name with a word joiner",
            &[(
                "agentctl.yaml",
                "environments:\n  prod:\n    overrides: [\"o\\u2060.yaml\"]\n",
            )],
            &["render", "--all", "-o", "deploy"],
            2,
            &["agentctl.yaml:3:17", "override file path contains U+2060"],
            &["\u{2060}"],
        ),
        case(
            "a `crds:` path with a byte order mark",
            &[("l.yaml", "crds: [\"\\ufeffcrd.yaml\"]\n")],
            &["render", "-f", "l.yaml"],
            2,
            &["l.yaml:1:8", "a `crds:` path contains U+FEFF"],
            &["\u{feff}"],
        ),
    ];
    gallery(
        "escape-fields-hidden-names",
        "A file or directory name with a control or invisible character in a committed file is a located error",
        &cases,
    );
}

/// Invisible characters (zero-width space, BOM, soft hyphen, word joiner, a tag character) in a
/// value reach no terminal line and no PR comment as they are, and a printed command naming a
/// file with ESC or a zero-width space, pasted into bash, names exactly that file.
#[test]
fn hidden_characters_are_shown_escaped_and_pasted_exactly() {
    const HIDDEN: &[char] = &['\u{200b}', '\u{feff}', '\u{ad}', '\u{2060}', '\u{e0041}'];
    let tmp = crate::support::tempdir();
    let dir = tmp.path();
    let r = crate::support::agentctl(["render", "-q", "-o", "out"])
        .current_dir(dir)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let names = ["p\u{1b}[31m.yaml", "p\u{200b}.yaml", "p\r.yaml"];
    for (i, name) in names.iter().enumerate() {
        crate::support::write(
            dir,
            name,
            &format!(
                "agent:\n  podAnnotations:\n    note: \"@\\u200Boctocat \\uFEFF x\\u00ADy \\u2060 \\U000E0041 {i}\"\n"
            ),
        );
        for format in ["text", "markdown", "json"] {
            let r = crate::support::agentctl(["diff", "-f", name, "-o", "out", "--format", format])
                .current_dir(dir)
                .run();
            assert_eq!(r.code, 1, "{format}: {}", r.stderr);
            let all = format!("{}{}", r.stdout, r.stderr);
            assert!(all.contains("octocat"), "{format}: {all}");
            for c in HIDDEN {
                assert!(!all.contains(*c), "{format}: {c:?} shown raw:\n{all}");
            }
            assert!(
                !all.contains('\u{1b}') && !all.contains('\r'),
                "{format}: {all:?}"
            );
        }
        // The command `diff` prints to update the directory names the file exactly.
        let r = crate::support::agentctl(["diff", "-f", name, "-o", "out"])
            .current_dir(dir)
            .run();
        let line = r
            .stderr
            .lines()
            .chain(r.stdout.lines())
            .find(|l| l.trim_start().starts_with("agentctl render -f"))
            .unwrap_or_else(|| panic!("no command printed:\n{}", r.stderr))
            .trim()
            .to_owned();
        let script = format!("agentctl() {{ printf '%s\\0' \"$@\"; }}\n{line}\n");
        let out = std::process::Command::new("bash")
            .arg("--norc")
            .arg("-c")
            .arg(&script)
            .current_dir(dir)
            .output()
            .expect("bash runs (needed by this test)");
        assert!(out.status.success(), "{line}: {out:?}");
        let args: Vec<String> = String::from_utf8(out.stdout)
            .expect("utf-8")
            .split_terminator('\0')
            .map(str::to_owned)
            .collect();
        assert_eq!(args, ["render", "-f", name, "-o", "out"], "{line}");
    }
}
