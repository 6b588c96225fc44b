//! Limits the escape hatch could step over (issue 20, second attack): a generated file larger
//! than agentctl reads back, a StatefulSet's claim mounted by a second writer, and an object's
//! annotations over the API server's total once agentctl's own are added. Each is refused at
//! render, located at the setting, patch or extra object; pinned in
//! `snapshots/attacks/escape-limits-*.snap`.

use crate::escape_keys::{case, gallery};
use crate::support::{self, agentctl};

fn pod_patch(spec: &str) -> String {
    format!(
        "patches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch:\n      spec:\n        template:\n          spec:\n{spec}"
    )
}

/// `n` override files (`b0.yaml`, ...) of one extra ConfigMap of `size` bytes of data each
/// (less 100 per file; an override file is at most 1 MiB, a ConfigMap too), written in `dir`;
/// their `-f` flags.
fn extras(dir: &std::path::Path, n: usize, size: usize) -> Vec<String> {
    let mut args = Vec::new();
    for i in 0..n {
        // The first the largest: the refusal is located at it.
        let blob = "x".repeat(size - i * 100);
        let name = format!("b{i}.yaml");
        support::write(
            dir,
            &name,
            &format!(
                "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {{name: blob-{i}}}\n    data: {{blob: {blob}}}\n"
            ),
        );
        args.extend(["-f".to_owned(), name]);
    }
    args
}

fn render(dir: &std::path::Path, files: &[String]) -> support::Run {
    let mut args = vec!["render".to_owned()];
    args.extend(files.iter().cloned());
    args.extend(["-o".to_owned(), "out".to_owned()]);
    agentctl(&args).current_dir(dir).run()
}

/// Grows each of `files` of `dir` (generated files) by a comment line of `size` bytes.
fn grow(dir: &std::path::Path, files: &[&str], size: usize) {
    for f in files {
        support::edit(&dir.join(f), |t| format!("{t}# {}\n", "y".repeat(size)));
    }
}

#[test]
fn what_diff_reads_back_from_one_directory_is_bounded() {
    // Six files of 15 MiB each side used 718 MB and 10.6 s of CPU: one directory's files are
    // read back up to 32 MiB together (what render writes at most), the error naming the
    // file that passes it, the total and the cap, and how to split. Held back: files agentctl
    // might have written (a grown deployment.yaml), the render's own comparison (`render -o`,
    // the directory left unchanged), and the old side.
    let work = support::two_copies();
    let w = work.path();
    grow(
        &w.join("new"),
        &["deployment.yaml", "service.yaml", "configmap.yaml"],
        12 << 20,
    );
    let run = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(w)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    for want in [
        "new/",
        "brings the files agentctl reads back from new to",
        "over 32 MiB (33554432 bytes)",
        "split the extra objects over several environments",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    // Under the cap (two such files), the same comparison is made.
    let work = support::two_copies();
    let w = work.path();
    grow(
        &w.join("new"),
        &["deployment.yaml", "service.yaml"],
        12 << 20,
    );
    let run = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(w)
        .run();
    assert_eq!(run.code, 1, "{}", &run.stderr[..run.stderr.len().min(2000)]);
    // The old side, and a render into the directory: refused, nothing written.
    grow(
        &w.join("old"),
        &["deployment.yaml", "service.yaml", "configmap.yaml"],
        12 << 20,
    );
    let run = agentctl(["diff", "--base-dir", "old", "-o", "new"])
        .current_dir(w)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("reads back from old to"),
        "{}",
        run.stderr
    );
    let before = support::tree(&w.join("old"));
    let run = agentctl(["render", "-q", "-o", "old"]).current_dir(w).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("over 32 MiB"), "{}", run.stderr);
    assert!(
        support::tree(&w.join("old")) == before,
        "the directory is unchanged"
    );
}

#[test]
fn a_render_whose_files_together_diff_would_not_read_back_is_refused() {
    // Each file under 16 MiB, together over 32 MiB: JSON 6902 copies of one 900 KB
    // environment variable grow three workloads to 14.6 MiB each (the copies' own bound is
    // per object and per render, 16 and 64 MiB). Refused at the patch behind the largest
    // object of the largest file, naming the files; nothing written.
    let dir = support::tempdir();
    let value = "x".repeat(900_000);
    let mut args = vec!["render".to_owned(), "-q".to_owned()];
    for (i, (kind, name, base)) in [
        (
            "Deployment",
            "agent-deployment",
            "/spec/template/spec/containers/0",
        ),
        ("StatefulSet", "redis", "/spec/template/spec/containers/0"),
        (
            "CronJob",
            "redis-backup",
            "/spec/jobTemplate/spec/template/spec/containers/0",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut text = format!(
            "patches:\n  - target: {{kind: {kind}, name: {name}}}\n    patch:\n      - {{op: add, path: {base}/env/0, value: {{name: BIG, value: {value}}}}}\n"
        );
        for _ in 0..16 {
            text.push_str(&format!(
                "      - {{op: copy, from: {base}/env/0, path: {base}/env/0}}\n"
            ));
        }
        support::write(dir.path(), &format!("p{i}.yaml"), &text);
        args.extend(["-f".to_owned(), format!("p{i}.yaml")]);
    }
    args.extend(["-o".to_owned(), "out".to_owned()]);
    let run = agentctl(&args).current_dir(dir.path()).run();
    assert_eq!(run.code, 2, "{}", &run.stderr[..run.stderr.len().min(2000)]);
    for want in [
        "the files of this render would total",
        "over 32.0 MiB (33554432 bytes)",
        "`redis-statefulset.yaml` (14.6 MiB)",
        "p1.yaml:2:5",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_file_agentctl_would_not_read_back_is_never_written() {
    // 18 extra ConfigMaps of 1,000,000 bytes: each file and object under its limit, the
    // rendered extra-objects.yaml over 16 MiB.
    let dir = support::tempdir();
    let files = extras(dir.path(), 18, 1_000_000);
    let run = render(dir.path(), &files);
    assert_eq!(run.code, 2, "{}", &run.stderr[..run.stderr.len().min(2000)]);
    for want in [
        "b0.yaml:2:5",
        "resources[0]",
        "`extra-objects.yaml` would be",
        "over 16.0 MiB",
        "ConfigMap/blob-",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    assert!(!dir.path().join("out").exists());
    // Under the limit it renders.
    let dir = support::tempdir();
    let files = extras(dir.path(), 15, 1_000_000);
    let run = render(dir.path(), &files);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A file grown past it by hand: the refusal says what is true.
    let grown = dir.path().join("out/extra-objects.yaml");
    let mut text = std::fs::read_to_string(&grown).unwrap();
    text.push_str(&format!("# {}\n", "y".repeat(3 << 20)));
    std::fs::write(&grown, text).unwrap();
    let run = render(dir.path(), &files);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("agentctl refuses to write a file that large")
            && !run
                .stderr
                .contains("no file agentctl generates is that large"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_statefulset_s_claim_is_never_mounted_by_a_second_writer() {
    let mount = |claim: &str| {
        pod_patch(&format!(
            "            volumes:\n              - name: stolen\n                persistentVolumeClaim: {{claimName: {claim}}}\n"
        ))
    };
    let redis = "redis: {enabled: true}\n";
    let extra_deployment = "resources:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: reader}\n    spec:\n      selector: {matchLabels: {app: reader}}\n      template:\n        metadata: {labels: {app: reader}}\n        spec:\n          containers: [{name: r, image: \"busybox:1.36\"}]\n          volumes: [{name: d, persistentVolumeClaim: {claimName: data-redis-1}}]\n";
    let extra_claim = "resources:\n  - apiVersion: v1\n    kind: PersistentVolumeClaim\n    metadata: {name: data-redis-0}\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n";
    let json6902 = "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      - {op: add, path: /spec/template/spec/volumes/-, value: {name: stolen, persistentVolumeClaim: {claimName: data-redis-0}}}\n";
    let cases = vec![
        case(
            "a patch mounts data-redis-0 into the agent",
            &[("r.yaml", redis), ("p.yaml", &mount("data-redis-0"))],
            &["render", "-f", "r.yaml", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:9:", "StatefulSet/redis", "second writer"],
            &[],
        ),
        // Held back: another ordinal, a JSON 6902 patch, an extra workload, an extra claim of
        // that name; and what stays allowed.
        case(
            "another ordinal",
            &[("r.yaml", redis), ("p.yaml", &mount("data-redis-2"))],
            &["render", "-f", "r.yaml", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:9:", "`data-redis-2`"],
            &[],
        ),
        case(
            "a JSON 6902 patch",
            &[("r.yaml", redis), ("p.yaml", json6902)],
            &["render", "-f", "r.yaml", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:4:", "StatefulSet/redis"],
            &[],
        ),
        case(
            "an extra Deployment",
            &[("r.yaml", redis), ("p.yaml", extra_deployment)],
            &["render", "-f", "r.yaml", "-f", "p.yaml", "-o", "out"],
            2,
            &[
                "p.yaml:",
                "resources[0]",
                "Deployment/reader mounts `data-redis-1`",
            ],
            &[],
        ),
        case(
            "an extra claim named data-redis-0",
            &[("r.yaml", redis), ("p.yaml", extra_claim)],
            &["render", "-f", "r.yaml", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:4:", "would be adopted"],
            &[],
        ),
        case(
            "a claim of another name renders",
            &[("r.yaml", redis), ("p.yaml", &mount("data-redis-archive"))],
            &["render", "-f", "r.yaml", "-f", "p.yaml", "-o", "out"],
            0,
            &[],
            &["second writer"],
        ),
    ];
    gallery(
        "escape-limits-claims",
        "Issue 20, second attack, class 6: a StatefulSet's claim (Redis's data-redis-N) mounted by another pod, or an extra claim of that name, is refused at the patch or extra object",
        &cases,
    );
}

#[test]
fn annotations_count_agentctl_s_own_against_the_api_server_limit() {
    // Just under 256 KiB of typed annotations: under the limit alone, over it with agentctl's
    // own (the pod template's checksums; the Flux marker on a value with `${`).
    let just_under = 256 * 1024 - 40;
    let typed = format!(
        "agent:\n  podAnnotations:\n    example.com/blob: {}\n",
        "x".repeat(just_under - "example.com/blob".len())
    );
    let service = format!(
        "agent:\n  service:\n    annotations:\n      example.com/blob: \"${{x}}{}\"\n",
        "x".repeat(just_under - "example.com/blob".len() - 4)
    );
    let patched = format!(
        "patches:\n  - target: {{kind: ConfigMap, name: agent-config}}\n    patch:\n      metadata:\n        annotations:\n          example.com/blob: \"${{x}}{}\"\n",
        "x".repeat(256 * 1024 - "example.com/blob".len() - 4 - 10)
    );
    let cases = vec![
        case(
            "typed pod annotations plus agentctl's checksums",
            &[("p.yaml", &typed)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:3:", "agentctl's own annotations included", "262144"],
            &[],
        ),
        case(
            "typed Service annotations plus the Flux marker",
            &[("p.yaml", &service)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:4:", "Service/agent-service"],
            &[],
        ),
        case(
            "a patched ConfigMap's annotation plus the Flux marker",
            &[("p.yaml", &patched)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:2:", "ConfigMap/agent-config"],
            &[],
        ),
    ];
    gallery(
        "escape-limits-annotations",
        "Issue 20, second attack, class 7: an object's annotations are checked against the API server's 256 KiB with agentctl's own added, located at the setting or patch",
        &cases,
    );
}

#[test]
fn a_configmap_s_data_over_the_api_server_s_1_mib_is_refused_where_it_grows() {
    const MIB: usize = 1 << 20;
    let extra = |name: &str, key: &str, n: usize| {
        format!(
            "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {{name: {name}}}\n    data: {{{key}: {}}}\n",
            "x".repeat(n)
        )
    };
    let data_patch = |name: &str, key: &str, n: usize| {
        format!(
            "patches:\n  - target: {{kind: ConfigMap, name: {name}}}\n    patch: {{data: {{{key}: {}}}}}\n",
            "y".repeat(n)
        )
    };
    // The attack: one value written once, then copied by JSON 6902 operations (each copy far
    // under the 16 MiB the copies may add).
    let copies = format!(
        "patches:\n  - target: {{kind: ConfigMap, name: agent-config}}\n    patch: {{data: {{big: {}}}}}\n  - target: {{kind: ConfigMap, name: agent-config}}\n    patch:\n      - {{op: copy, from: /data/big, path: /data/big2}}\n",
        "z".repeat(600_000)
    );
    // binaryData counts decoded: 800,000 bytes of base64 are 600,000 bytes.
    let binary = "resources:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: bin}\n    binaryData: {blob: BLOB}\n"
        .replace("BLOB", &"QUJD".repeat(200_000));
    let cases = vec![
        case(
            "JSON 6902 copies grow agent-config past 1 MiB",
            &[("p.yaml", &copies)],
            &["render", "-f", "p.yaml", "-o", "out"],
            2,
            &[
                "patches[1].patch[0].from",
                "p.yaml:6:",
                "the data of ConfigMap/agent-config total 1200",
                "over the API server's limit of 1048576 (1 MiB)",
            ],
            &[],
        ),
        // Held back: an extra ConfigMap grown by a patch of another file, at the patch.
        case(
            "a patch grows an extra ConfigMap past 1 MiB",
            &[
                ("e.yaml", &extra("blob", "a", 600_000)),
                ("p.yaml", &data_patch("blob", "b", 600_001)),
            ],
            &["render", "-f", "e.yaml", "-f", "p.yaml", "-o", "out"],
            2,
            &[
                "p.yaml:3:",
                "patches[0].patch.data.b",
                "ConfigMap/blob total 1200001 bytes",
            ],
            &["e.yaml:"],
        ),
        case(
            "binaryData counts decoded",
            &[
                ("e.yaml", &binary),
                ("p.yaml", &data_patch("bin", "text", 500_000)),
            ],
            &["render", "-f", "e.yaml", "-f", "p.yaml", "-o", "out"],
            2,
            &["p.yaml:3:", "ConfigMap/bin total 1100000 bytes"],
            &[],
        ),
        case(
            "binaryData decoded under the limit renders",
            &[
                ("e.yaml", &binary),
                ("p.yaml", &data_patch("bin", "text", 400_000)),
            ],
            &["render", "-f", "e.yaml", "-f", "p.yaml", "-o", "out"],
            0,
            &[],
            &["1 MiB"],
        ),
        // The bound itself: exactly 1 MiB of values (keys not counted) renders, a byte more
        // does not.
        case(
            "exactly 1 MiB renders",
            &[
                ("e.yaml", &extra("blob", "a", 600_000)),
                ("p.yaml", &data_patch("blob", "b", MIB - 600_000)),
            ],
            &["render", "-f", "e.yaml", "-f", "p.yaml", "-o", "out"],
            0,
            &[],
            &["1 MiB"],
        ),
        case(
            "a byte more does not",
            &[
                ("e.yaml", &extra("blob", "a", 600_000)),
                ("p.yaml", &data_patch("blob", "b", MIB - 600_000 + 1)),
            ],
            &["render", "-f", "e.yaml", "-f", "p.yaml", "-o", "out"],
            2,
            &["total 1048577 bytes", "p.yaml:3:"],
            &[],
        ),
    ];
    gallery(
        "escape-limits-data",
        "Issue 20, L11: a ConfigMap's data (every value, binaryData decoded) is held to the API server's 1 MiB, refused at the patch or extra object that makes it too big",
        &cases,
    );
}
