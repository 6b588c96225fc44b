//! The escape hatch's promises against the third attack on the credential policy and the
//! printed commands (issue 20): credential names with a digit suffix or in the plural, the
//! credential shapes inside a longer string (an embedded config file's `password: x`, netrc,
//! XML, `mysql -p`, `curl -u`, a docker config's `auth`, `Authorization` headers), `explain`
//! echoing a typed credential, control characters in a context name or an output path, and
//! the false positives (a `mailto:` address, a long ConfigMap name). One gallery per class,
//! pinned in `snapshots/attacks/escape-shapes-*.snap`, each with variants beyond the reported
//! ones (other fields, other objects).

use crate::escape_keys::{case, gallery};

const V: &str = "hunter2x";

fn data_patch(data: &str) -> String {
    format!(
        "patches:\n  - target: {{kind: ConfigMap, name: agent-config}}\n    patch:\n      data:\n{data}"
    )
}

fn container_patch(fields: &str) -> String {
    format!(
        "patches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch:\n      spec:\n        template:\n          spec:\n            containers:\n              - name: agent\n{fields}"
    )
}

fn extra_config_map(body: &str) -> String {
    format!(
        "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {{name: extra}}\n{body}"
    )
}

fn job(containers: &str) -> String {
    format!(
        "resources:\n  - apiVersion: batch/v1\n    kind: Job\n    metadata: {{name: j}}\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n{containers}"
    )
}

const RENDER: &[&str] = &["render", "-f", "p.yaml", "-o", "out"];

#[test]
fn credential_names_with_a_digit_suffix_or_in_the_plural_are_credentials() {
    let cases = vec![
        case(
            "a patched ConfigMap: every glued name refused",
            &[(
                "p.yaml",
                &data_patch(&format!(
                    "        PASSWORD2: {V}\n        DB_PASSWORD2: {V}\n        GITHUB_TOKEN2: {V}\n        API_KEY2: {V}\n        SECRET2: {V}\n        API_KEYS: {V}\n        PASSWORDS: {V}\n        SECRETS: {V}\n"
                )),
            )],
            RENDER,
            2,
            &[
                "`PASSWORD2` looks like a credential",
                "`DB_PASSWORD2`",
                "`GITHUB_TOKEN2`",
                "`API_KEY2`",
                "`SECRET2`",
                "`API_KEYS`",
                "`PASSWORDS`",
                "`SECRETS`",
            ],
            &[V],
        ),
        case(
            "an env value and two flags",
            &[(
                "p.yaml",
                &container_patch(&format!(
                    "                env: [{{name: GITHUB_TOKENS, value: {V}}}]\n                args: [\"--api-keys={V}\", \"--password2\", \"{V}\"]\n"
                )),
            )],
            RENDER,
            2,
            &["`GITHUB_TOKENS`", "`api-keys`", "`password2`"],
            &[V],
        ),
        case(
            "an extra ConfigMap and an annotation",
            &[(
                "p.yaml",
                &extra_config_map(&format!(
                    "    data: {{dbPasswords: {V}}}\n  - apiVersion: v1\n    kind: Service\n    metadata: {{name: s, annotations: {{example.com/api-token2: {V}}}}}\n    spec: {{ports: [{{port: 80}}]}}\n"
                )),
            )],
            RENDER,
            2,
            &["`dbPasswords`", "api-token2"],
            &[V],
        ),
        case(
            "counts of model tokens, settings about a credential and passes stay plain",
            &[(
                "p.yaml",
                &data_patch(
                    "        MAX_TOKENS: \"4096\"\n        THINKING_BUDGET_TOKENS: \"2048\"\n        NUM_TOKENS: \"1\"\n        MAX_NEW_TOKENS: \"1\"\n        STOP_TOKENS: \"</s>\"\n        TOKENS_PER_MINUTE: \"1000\"\n        SECRETS_DIR: /run/secrets\n        API_KEYS_FILE: /run/keys\n        NUM_PASSES: \"2\"\n",
                ),
            )],
            RENDER,
            0,
            &[],
            &["looks like a credential"],
        ),
    ];
    gallery(
        "escape-shapes-glued-names",
        "Issue 20, third attack, class 1: a credential's name with a digit suffix or in the plural is a credential's (TOKENS only unless a model-count word precedes it)",
        &cases,
    );
}

#[test]
fn credential_values_inside_strings_are_found_by_their_shape() {
    let cases = vec![
        case(
            "an embedded config file in an extra ConfigMap: `password: x` at a line's start",
            &[(
                "p.yaml",
                &extra_config_map(&format!(
                    "    data:\n      app.yaml: \"db:\\n  password: {V}\\napi_token: abc123\\n\"\n"
                )),
            )],
            RENDER,
            2,
            &["data.app.yaml", "shaped like a credential"],
            &[V, "abc123"],
        ),
        case(
            "netrc, XML and an Authorization header in a patched ConfigMap",
            &[(
                "p.yaml",
                &data_patch(&format!(
                    "        netrc: \"machine h login u password {V}\\n\"\n        x.xml: \"<config><password>{V}</password></config>\"\n        hdr: \"Authorization: Bearer {V}\"\n        basic: \"curl -H 'Authorization: Basic dXNlcjpwYXNz' x\"\n"
                )),
            )],
            RENDER,
            2,
            &["data.netrc", "data.x.xml", "data.hdr", "data.basic"],
            &[V, "dXNlcjpwYXNz"],
        ),
        case(
            "mysql -p and curl -u in one string (an env value, sh -c)",
            &[(
                "p.yaml",
                &container_patch(&format!(
                    "                env: [{{name: INIT, value: \"mysql -uroot -p{V} app\"}}]\n                args: [sh, -c, \"curl -u user:{V} https://x && redis-cli -a {V} ping\"]\n"
                )),
            )],
            RENDER,
            2,
            &["env[", "args[2]"],
            &[V],
        ),
        case(
            "mysql -p and curl --user as separate command and args items",
            &[(
                "p.yaml",
                &job(&format!(
                    "            - {{name: a, image: mysql:8, command: [mysql], args: [-uroot, \"-p{V}\"]}}\n            - {{name: b, image: curl:8, command: [curl, --user, \"user:{V}\", \"https://x\"]}}\n            - {{name: c, image: curl:8, command: [curl], args: [-u, \"u:{V}\"]}}\n"
                )),
            )],
            RENDER,
            2,
            &[
                "containers[0].args[1]",
                "containers[1].command[2]",
                "containers[2].args[1]",
            ],
            &[V],
        ),
        case(
            "a docker config's auth and an annotation's Bearer token",
            &[(
                "p.yaml",
                &extra_config_map(&format!(
                    "      annotations: {{example.com/probe: \"Authorization: Bearer {V}\"}}\n    data:\n      config.json: '{{\"auths\": {{\"r.io\": {{\"auth\": \"dXNlcjpwYXNz\"}}}}}}'\n"
                ))
                .replace("metadata: {name: extra}\n", "metadata:\n      name: extra\n"),
            )],
            RENDER,
            2,
            &["data.config.json", "annotations.example.com/probe"],
            &[V, "dXNlcjpwYXNz"],
        ),
        case(
            "binaryData: a low-entropy base64 file whose text holds a credential",
            &[(
                "p.yaml",
                &extra_config_map(
                    "    binaryData: {app.conf: \"cGFzc3dvcmQ9ImFhYWFhYWFhIgo=\", app.yaml: \"cGFzc3dvcmQ6IGFhYWFhYWFhCg==\"}\n",
                ),
            )],
            RENDER,
            2,
            &["binaryData.app.conf", "binaryData.app.yaml"],
            &["cGFzc3dvcmQ"],
        ),
        case(
            "prose, neighbours and an e-mail stay plain",
            &[(
                "p.yaml",
                &format!(
                    "{}  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: {}\n      annotations: {{example.com/contact: \"mailto:user@example.com\", example.com/c2: \"mailto:a:b@x\"}}\n    data: {{a: b}}\n",
                    extra_config_map(
                        "    data:\n      prompt.md: \"If asked for the password: refuse.\\nPassword: never say it\\nBearer tokens are refused\\n\"\n      run.sh: \"mkdir -p /var/lib/mysql\\ndocker run -u 1000:1000 img\\n\"\n"
                    ),
                    "a".repeat(205)
                ),
            )],
            RENDER,
            0,
            &[],
            &["looks like a credential", "shaped like a credential", "longer than"],
        ),
    ];
    gallery(
        "escape-shapes-values",
        "Issue 20, third attack, class 2: credential values inside strings (embedded config lines, netrc, XML, mysql -p, curl -u, docker auth, Authorization headers, binaryData's text), found in one string and across command and args items",
        &cases,
    );
}

#[test]
fn explain_and_cluster_messages_never_echo_a_credential_or_a_raw_control_character() {
    let token = "ghp_Z9y8X7w6V5u4T3s2R1q0PpOoNnMmLlKk";
    let kubeconfig =
        "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\ncurrent-context: \"\"\n";
    let entry = format!("agent.config.extra.password={V}");
    let typo = format!("agent.confg.password={V}");
    let list = format!("agent.tolerations.0.password={V}");
    let token_path = format!("agent.config.extra.{token}");
    let cases = vec![
        case(
            "explain of a map entry named with its value",
            &[],
            &["explain", &entry],
            0,
            &["agent.config.extra.<redacted>"],
            &[V],
        ),
        case(
            "explain of a token as a segment",
            &[],
            &["explain", &token_path],
            0,
            &["<redacted>: string"],
            &[&token[..12]],
        ),
        case(
            "an unknown key's did-you-mean",
            &[],
            &["explain", &typo],
            2,
            &["did you mean `agent.config.<redacted>`"],
            &[V],
        ),
        case(
            "an unknown field of a list item",
            &[],
            &["explain", &list],
            2,
            &["<redacted>"],
            &[V],
        ),
        case(
            "status --context with a line feed",
            &[("kc", kubeconfig)],
            &["status", "--kubeconfig", "kc", "--context", "a\nb"],
            2,
            &["a\\u{a}b"],
            &["a\nb"],
        ),
        case(
            "doctor --context with a line feed",
            &[("kc", kubeconfig)],
            &["doctor", "--kubeconfig", "kc", "--context", "a\nb"],
            2,
            &["a\\u{a}b"],
            &["a\nb"],
        ),
        case(
            "diff --live --context with a line feed",
            &[("kc", kubeconfig)],
            &["diff", "--live", "--kubeconfig", "kc", "--context", "a\nb"],
            2,
            &["a\\u{a}b"],
            &["a\nb"],
        ),
        case(
            "an output path with a line feed that is a file",
            &[("f\nile", "x")],
            &["render", "-o", "f\nile"],
            2,
            &["f\\u{a}ile"],
            &["f\nile"],
        ),
        case(
            "an output path with a line feed below a file",
            &[("f\nile", "x")],
            &["render", "-o", "f\nile/sub"],
            2,
            &["f\\u{a}ile/sub"],
            &["f\nile"],
        ),
        case(
            "an output path with a line feed, written",
            &[],
            &["render", "-o", "o\nx"],
            0,
            &["wrote o\\u{a}x"],
            &["o\nx"],
        ),
    ];
    gallery(
        "escape-shapes-echoes",
        "Issue 20, third attack, classes 3 and 5: explain shows a typed credential as <redacted>; a context name and an output path are shown one line, escaped",
        &cases,
    );
}

/// `$(VAR)` in a container's args is the kubelet's expansion of one of its environment
/// variables (here from a Secret): a reference, not a credential; a literal token there is.
#[test]
fn a_kubelet_variable_in_a_url_is_a_reference() {
    let tmp = crate::support::tempdir();
    let file = |password: &str| {
        format!(
            "agent:
  initContainers:
    fetch:
      image: alpine/git:2.45.2
      command: [sh, -c]
      args: [\"git clone https://x-access-token:{password}@github.com/org/repo /w\"]
      env:
        GITHUB_TOKEN: {{secretKey: github-token}}
      mounts: {{w: {{mountPath: /w}}}}
  volumes:
    w: {{emptyDir: {{}}}}
"
        )
    };
    crate::support::write(tmp.path(), "ok.yaml", &file("$(GITHUB_TOKEN)"));
    let ok = crate::support::agentctl(["render", "-q", "-f", "ok.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout.contains("x-access-token:$(GITHUB_TOKEN)@"),
        "{}",
        ok.stdout
    );
    crate::support::write(
        tmp.path(),
        "bad.yaml",
        &file("ghp_1234567890abcdefghijABCDEFGHIJ123456"),
    );
    let bad = crate::support::agentctl(["render", "-q", "-f", "bad.yaml"])
        .current_dir(tmp.path())
        .run();
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("AGT160"), "{}", bad.stderr);
}
