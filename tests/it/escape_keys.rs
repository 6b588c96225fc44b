//! The credential policy's remaining gaps (issue 20, second attack): a key that itself holds a
//! credential, `user:password@host` without a scheme, typed sidecars and init containers
//! located like every typed setting, every credential of a patch in one run. One gallery per
//! class, pinned in `snapshots/attacks/escape-keys-*.snap` (command, exit code, stderr), with
//! variants beyond the ones the attacker reported (other fields, objects, payloads).

use crate::support::{self, agentctl};

/// One case: files under a scratch directory (the command runs there), the arguments, the exit
/// code, what stderr shows and what no output (stdout or stderr) may show.
pub(crate) struct Case {
    pub name: &'static str,
    pub files: Vec<(&'static str, String)>,
    pub args: Vec<String>,
    pub code: i32,
    pub shows: Vec<&'static str>,
    pub hides: Vec<&'static str>,
}

/// `Case` from string slices.
pub(crate) fn case(
    name: &'static str,
    files: &[(&'static str, &str)],
    args: &[&str],
    code: i32,
    shows: &[&'static str],
    hides: &[&'static str],
) -> Case {
    Case {
        name,
        files: files.iter().map(|(p, t)| (*p, (*t).to_owned())).collect(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code,
        shows: shows.to_vec(),
        hides: hides.to_vec(),
    }
}

/// Runs every case, checks it, and pins the runs (stderr; stdout when `pin_stdout`).
pub(crate) fn gallery(name: &str, description: &str, cases: &[Case]) {
    let mut pinned = String::new();
    for c in cases {
        let dir = support::tempdir();
        for (path, text) in &c.files {
            support::write(dir.path(), path, text);
        }
        let run = agentctl(&c.args).current_dir(dir.path()).run();
        let shown = &run.stderr;
        assert_eq!(run.code, c.code, "{}: exit code\n{shown}", c.name);
        for s in &c.shows {
            assert!(
                shown.contains(s) || run.stdout.contains(s),
                "{}: output lacks {s:?}\n{shown}\n{}",
                c.name,
                run.stdout
            );
        }
        for s in &c.hides {
            assert!(
                !shown.contains(s) && !run.stdout.contains(s),
                "{}: output shows {s:?}\n{shown}\n{}",
                c.name,
                run.stdout
            );
        }
        let line: Vec<String> = c.args.iter().map(|a| support::shell_word(a)).collect();
        // A long stderr (a large input's excerpt) is pinned by its first lines.
        let head: Vec<&str> = shown.trim_end().lines().take(40).collect();
        pinned.push_str(&format!(
            "## {}\n$ agentctl {}\nexit {}\n{}\n\n",
            c.name,
            line.join(" "),
            run.code,
            head.join("\n")
        ));
    }
    support::snapshot("attacks", name, description, &pinned);
}

const TOKEN: &str = "ghp_Z9y8X7w6V5u4T3s2R1q0PpOoNnMmLlKk";

fn data_patch(data: &str) -> String {
    format!(
        "patches:\n  - target: {{kind: ConfigMap, name: agent-config}}\n    patch:\n      data:\n{data}"
    )
}

fn pod_patch(spec: &str) -> String {
    format!(
        "patches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch:\n      spec:\n        template:\n          spec:\n{spec}"
    )
}

#[test]
fn a_key_that_holds_a_credential_is_never_printed() {
    let keyed = data_patch("        \"password=hunter2hunter2\": \"x\"\n");
    let token_key = data_patch(&format!("        {TOKEN}: \"1\"\n"));
    let env_key = pod_patch(
        "            containers:\n              - name: agent\n                env:\n                  - {name: \"DB_TOKEN=hunter2hunter2\", value: \"x\"}\n",
    );
    let url_label = "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: extra\n      annotations: {\"app:hunter2hunter2@db.internal\": \"x\"}\n    data: {a: b}\n";
    let cases = vec![
        // The ones reported: a data key, its config path, lint's JSON, `config`.
        case(
            "a ConfigMap data key `password=...` (render)",
            &[("p.yaml", &keyed)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:5:", "<redacted>", "looks like a credential"],
            &["hunter2hunter2"],
        ),
        case(
            "the same key in lint --format json",
            &[("p.yaml", &keyed)],
            &["lint", "-f", "p.yaml", "--format", "json"],
            2,
            &["<redacted>"],
            &["hunter2hunter2"],
        ),
        case(
            "the same key in config",
            &[("p.yaml", &keyed)],
            &["config", "-f", "p.yaml"],
            0,
            &["<redacted>: <redacted>"],
            &["hunter2hunter2"],
        ),
        // Held back: a token as a key, an env name, an annotation key with a URL password,
        // config --show-origin, diff's formats, a typed key, a `--set` key.
        case(
            "a token as a ConfigMap data key",
            &[("p.yaml", &token_key)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:5:", "shaped like a credential"],
            &[TOKEN, "ghp_Z9y8"],
        ),
        case(
            "a token key in config --show-origin (which applies the patches: refused)",
            &[("p.yaml", &token_key)],
            &["config", "-f", "p.yaml", "--show-origin"],
            2,
            &["<redacted>"],
            &[TOKEN, "ghp_Z9y8"],
        ),
        case(
            "an env variable named `DB_TOKEN=...`",
            &[("p.yaml", &env_key)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:"],
            &["hunter2hunter2"],
        ),
        case(
            "an annotation key holding a URL password (extra object)",
            &[("p.yaml", url_label)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:"],
            &["hunter2hunter2"],
        ),
        case(
            "diff --format json of a token key",
            &[("p.yaml", &token_key)],
            &["diff", "-f", "p.yaml", "-o", "out", "--format", "json"],
            2,
            &["p.yaml:5:"],
            &[TOKEN, "ghp_Z9y8"],
        ),
        case(
            "a typed annotation key `api_token=...`",
            &[(
                "p.yaml",
                "agent:\n  podAnnotations: {\"api_token=hunter2hunter2\": x}\n",
            )],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:2:"],
            &["hunter2hunter2"],
        ),
        case(
            "a typed ConfigMap key that is a token",
            &[(
                "p.yaml",
                &format!("agent:\n  config:\n    extra: {{{TOKEN}: x}}\n"),
            )],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:3:"],
            &[TOKEN, "ghp_Z9y8"],
        ),
        case(
            "an accept: reason with `password=...` (printed by lint, config, explain)",
            &[(
                "p.yaml",
                "accept: [{rule: AGT102, object: Deployment/agent-deployment, reason: \"rotated, was password=hunter2hunter2\"}]\n",
            )],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:1:", "looks like a credential"],
            &["hunter2hunter2"],
        ),
        case(
            "a --set key that is a token: the note and any error",
            &[],
            &[
                "render",
                "--set",
                &format!("agent.podAnnotations.{TOKEN}=x"),
                "-o",
                "out",
            ],
            2,
            &["<redacted>"],
            &[TOKEN, "ghp_Z9y8"],
        ),
    ];
    gallery(
        "escape-keys-credential-keys",
        "Issue 20, second attack, class 1: a map key that itself holds a credential (a token, `password=...`, a URL password) is shown as <redacted> in every path, headline, note and format",
        &cases,
    );
}

#[test]
fn user_password_at_host_without_a_scheme_is_a_credential() {
    let cases = vec![
        case(
            "`user:password@host:port/db` in a patched ConfigMap",
            &[(
                "p.yaml",
                &data_patch("        DB_ADDR: \"app:s3cr3tPa55@db:5432/app\"\n"),
            )],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:5:", "shaped like a credential"],
            &["s3cr3tPa55"],
        ),
        case(
            "`user:password@host` in a typed setting",
            &[(
                "p.yaml",
                "agent:\n  config:\n    extra: {REDIS_ADDR: \"default:s3cr3tPa55@redis\"}\n",
            )],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:3:", "looks like a credential"],
            &["s3cr3tPa55"],
        ),
        case(
            "in an args flag of a patch",
            &[(
                "p.yaml",
                &pod_patch(
                    "            containers:\n              - name: agent\n                args: [\"--upstream\", \"svc:s3cr3tPa55@10.0.0.7:8080\"]\n",
                ),
            )],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:", "shaped like a credential"],
            &["s3cr3tPa55"],
        ),
        case(
            "in a --set value: refused, the note and the error hide it",
            &[],
            &[
                "render",
                "--set",
                "agent.config.extra.DB_ADDR=app:s3cr3tPa55@db:5432/app",
                "-o",
                "out",
            ],
            2,
            &["looks like a credential"],
            &["s3cr3tPa55"],
        ),
        // Not credentials: an e-mail, an image digest (with and without a tag), a host:port,
        // a git remote.
        case(
            "e-mails, digests, host:port and a git remote render",
            &[(
                "p.yaml",
                &data_patch(
                    "        CONTACT: ops@example.com\n        IMAGE: \"ghcr.io/acme/agent:1.2@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n        BASE: \"busybox@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n        UPSTREAM: \"redis:6379\"\n        REMOTE: \"git@github.com:acme/agent.git\"\n",
                ),
            )],
            &["render", "-f", "p.yaml", "-o", "out"],
            0,
            &[],
            &["looks like a credential", "shaped like a credential"],
        ),
    ];
    gallery(
        "escape-keys-bare-userinfo",
        "Issue 20, second attack, class 2: `user:password@host` without a scheme is a credential's shape (not an e-mail, an image digest, host:port or a git remote)",
        &cases,
    );
}

#[test]
fn typed_sidecar_and_init_container_credentials_are_located() {
    let sidecar = |field: &str| {
        format!(
            "agent:\n  sidecars:\n    proxy:\n      image: ghcr.io/acme/proxy:1.0\n      {field}\n"
        )
    };
    let args = sidecar("args: [\"--api-token=hunter2hunter2\"]");
    let command = sidecar("command: [\"proxy\", \"--password\", \"hunter2hunter2\"]");
    let shaped = sidecar(&format!("args: [\"--upstream\", \"{TOKEN}\"]"));
    let env = sidecar("env: {DB_PASSWORD: {configMap: proxy-settings, key: db}}");
    let init = "agent:\n  initContainers:\n    migrate:\n      image: ghcr.io/acme/migrate:1.0\n      command: [\"migrate\", \"--db-password=hunter2hunter2\"]\n";
    let cases = vec![
        case(
            "a password flag in a sidecar's args",
            &[("p.yaml", &args)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:5:", "agent.sidecars.proxy.args"],
            &["hunter2hunter2"],
        ),
        case(
            "the next argument of a sidecar's command",
            &[("p.yaml", &command)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:5:", "agent.sidecars.proxy.command"],
            &["hunter2hunter2"],
        ),
        case(
            "a token shape in a sidecar's args",
            &[("p.yaml", &shaped)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:5:", "agent.sidecars.proxy.args"],
            &[TOKEN],
        ),
        case(
            "a credential's name read from a ConfigMap in a sidecar's env",
            &[("p.yaml", &env)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:5:", "agent.sidecars.proxy.env.DB_PASSWORD"],
            &[],
        ),
        case(
            "an init container's command",
            &[("p.yaml", init)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:5:", "agent.initContainers.migrate.command"],
            &["hunter2hunter2"],
        ),
        case(
            "lint locates it too",
            &[("p.yaml", init)],
            &["lint", "-f", "p.yaml"],
            1,
            &["p.yaml:5:"],
            &["hunter2hunter2"],
        ),
    ];
    gallery(
        "escape-keys-typed-containers",
        "Issue 20, second attack, class 3: a credential in a typed sidecar's or init container's args, command or env is located at its setting",
        &cases,
    );
}

#[test]
fn every_credential_of_a_patch_is_reported_in_one_run() {
    let three = data_patch(
        "        API_KEY: hunter2hunter2\n        DB_URL: \"postgres://app:s3cr3tPa55@db/app\"\n        NOTE: \"ghp_Z9y8X7w6V5u4T3s2R1q0PpOoNnMmLlKk\"\n",
    );
    let pod = pod_patch(
        "            containers:\n              - name: agent\n                args: [\"--db-password=hunter2hunter2\", \"--token\", \"hunter3hunter3\"]\n                env:\n                  - {name: API_TOKEN, value: hunter4hunter4}\n",
    );
    let extra = "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: extra}\n    data: {API_KEY: hunter2hunter2, DB_PASSWORD: hunter3hunter3, SECRET: hunter4hunter4}\n";
    let cases = [
        ("three in one ConfigMap patch", three.as_str(), 3),
        (
            "args, the next argument and env in one pod patch",
            pod.as_str(),
            3,
        ),
        ("three in one extra object", extra, 3),
    ];
    let mut gallery_cases = Vec::new();
    for (name, text, n) in cases {
        let dir = support::tempdir();
        support::write(dir.path(), "p.yaml", text);
        let run = agentctl(["render", "-f", "p.yaml", "-o", "out"])
            .current_dir(dir.path())
            .run();
        assert_eq!(run.code, 2, "{name}\n{}", run.stderr);
        let found = run.stderr.matches("looks like a credential").count()
            + run.stderr.matches("shaped like a credential").count();
        assert_eq!(found, n, "{name}\n{}", run.stderr);
        gallery_cases.push(case(
            name,
            &[("p.yaml", text)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &[],
            &[
                "hunter2hunter2",
                "hunter3hunter3",
                "hunter4hunter4",
                "s3cr3tPa55",
                TOKEN,
            ],
        ));
    }
    gallery(
        "escape-keys-every-credential",
        "Issue 20, second attack, class 4: every credential a patch or extra object adds is reported in one run",
        &gallery_cases,
    );
    // Bounded: 150 in one patch give 100 errors and a count.
    let mut data = String::new();
    for n in 0..150 {
        data.push_str(&format!("        API_KEY_{n}: hunter2hunter2\n"));
    }
    let dir = support::tempdir();
    support::write(dir.path(), "p.yaml", &data_patch(&data));
    let run = agentctl(["render", "-f", "p.yaml", "-o", "out"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.matches("error:").count(), 100, "{}", run.stderr);
    assert!(
        run.stderr
            .ends_with("150 errors, the first 100 shown; nothing was written\n"),
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(300)..]
    );
}
