//! Output-directory safety: one test per rule of "nothing is ever lost", each run against the
//! built binary and each comparing file hashes (and, where it matters, mtimes and inode
//! numbers, which a rewrite-by-rename would change) before and after.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::support::{self, agentctl, write};

/// What we know about one entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    sha256: String,
    mtime_ns: i128,
    inode: u64,
}

type Listing = BTreeMap<String, Entry>;

fn listing(dir: &Path) -> Listing {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("list dir") {
        let entry = entry.expect("entry");
        let meta = std::fs::symlink_metadata(entry.path()).expect("metadata");
        let content = if meta.file_type().is_symlink() {
            std::fs::read_link(entry.path())
                .expect("link")
                .to_string_lossy()
                .as_bytes()
                .to_vec()
        } else if meta.is_dir() {
            b"<dir>".to_vec()
        } else {
            std::fs::read(entry.path()).expect("read")
        };
        out.insert(
            entry.file_name().to_string_lossy().into_owned(),
            Entry {
                sha256: format!("{:x}", Sha256::digest(&content)),
                mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
                inode: meta.ino(),
            },
        );
    }
    out
}

/// A directory's own modification time (changed by any entry created, renamed or removed in it).
fn dir_stamp(dir: &Path) -> i128 {
    let meta = std::fs::metadata(dir).expect("metadata");
    i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec())
}

fn hashes(l: &Listing) -> BTreeMap<String, String> {
    l.iter()
        .map(|(k, v)| (k.clone(), v.sha256.clone()))
        .collect()
}

fn no_temp_files(dir: &Path) {
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".agentctl-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn an_input_error_leaves_the_directory_byte_for_byte_unchanged() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    agentctl(["render", "-q", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    let before = listing(&cwd.join("out"));
    assert!(before.contains_key("deployment.yaml"), "{before:?}");

    write(
        cwd,
        "bad.yaml",
        "agent:\n  replicas:\n    min: 12\n    max: 8\n",
    );
    let stderr = agentctl(["render", "-p", "dev", "-f", "bad.yaml", "-o", "out"])
        .current_dir(cwd)
        .code(2)
        .run()
        .stderr;
    assert!(stderr.contains("minimum replicas 12"), "{stderr}");
    assert_eq!(
        before,
        listing(&cwd.join("out")),
        "an input error changed the directory"
    );

    // An error after validation (a patch that does not survive the round trip) changes
    // nothing either.
    write(
        cwd,
        "patch.yaml",
        "patches:\n  - target: {kind: Service, name: agent-service}\n    patch: {spec: {portz: []}}\n",
    );
    let stderr = agentctl(["render", "-p", "dev", "-f", "patch.yaml", "-o", "out"])
        .current_dir(cwd)
        .code(2)
        .run()
        .stderr;
    assert!(stderr.contains("`portz` is not a field"), "{stderr}");
    assert_eq!(
        before,
        listing(&cwd.join("out")),
        "a render error changed the directory"
    );

    // And an error leaves no directory behind when there was none.
    agentctl(["render", "-f", "bad.yaml", "-o", "fresh"])
        .current_dir(cwd)
        .code(2)
        .run();
    assert!(
        !cwd.join("fresh").exists(),
        "a failed run created its output directory"
    );
}

#[test]
fn a_rerun_with_the_same_inputs_writes_nothing() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    let first = agentctl(["render", "-p", "high-throughput", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    assert!(first.stderr.contains("0 unchanged"));
    let before = listing(&cwd.join("out"));
    let dir_before = dir_stamp(&cwd.join("out"));
    std::thread::sleep(std::time::Duration::from_millis(20));

    let again = agentctl(["render", "-p", "high-throughput", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    let stderr = again.stderr;
    assert!(
        stderr.contains(&format!(
            "0 created, 0 updated, {} unchanged, 0 removed",
            before.len()
        )),
        "{stderr}"
    );
    // Same bytes, same mtimes, same inodes: nothing was rewritten, not even in place.
    assert_eq!(before, listing(&cwd.join("out")));
    no_temp_files(&cwd.join("out"));
    // Nor was any entry created, renamed or removed in the directory (the lock note included:
    // an up-to-date run writes none).
    assert_eq!(
        dir_before,
        dir_stamp(&cwd.join("out")),
        "an up-to-date render changed the directory"
    );

    // A change touches only the files it changes.
    agentctl([
        "render",
        "-p",
        "high-throughput",
        "--set",
        "agent.port=9000",
        "-o",
        "out",
    ])
    .current_dir(cwd)
    .code(0)
    .run();
    let after = listing(&cwd.join("out"));
    let changed: Vec<&String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        changed.contains(&&"deployment.yaml".to_owned()),
        "{changed:?}"
    );
    assert!(
        !changed.contains(&&"namespace.yaml".to_owned()),
        "{changed:?}"
    );
    assert!(!changed.contains(&&"rbac.yaml".to_owned()), "{changed:?}");
}

#[test]
fn a_foreign_file_in_the_way_is_refused_and_force_overrides() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    let mine = "# my own deployment, hand-written\napiVersion: apps/v1\nkind: Deployment\n";
    write(cwd, "out/deployment.yaml", mine);
    let before = listing(&cwd.join("out"));

    let stderr = agentctl(["render", "-o", "out"])
        .current_dir(cwd)
        .code(2)
        .run()
        .stderr;
    assert!(stderr.contains("out/deployment.yaml"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(before, listing(&cwd.join("out")), "nothing may be written");

    agentctl(["render", "-q", "-o", "out", "--force"])
        .current_dir(cwd)
        .code(0)
        .run();
    let forced = std::fs::read_to_string(cwd.join("out/deployment.yaml")).expect("read");
    assert!(forced.starts_with("# Generated by agentctl"), "{forced}");
    assert!(listing(&cwd.join("out")).contains_key("service.yaml"));
}

#[test]
fn foreign_files_not_in_the_way_are_left_alone() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    agentctl(["render", "-q", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    let patch =
        "# my patch\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent-deployment\n";
    write(cwd, "out/my-patch.yaml", patch);
    write(cwd, "out/README.md", "notes\n");
    std::fs::create_dir(cwd.join("out/overlays")).expect("mkdir");
    let before = listing(&cwd.join("out"));

    // A different render (dev drops several files) leaves the user's files exactly as they were.
    agentctl(["render", "-q", "-p", "dev", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    let after = listing(&cwd.join("out"));
    for name in ["my-patch.yaml", "README.md", "overlays"] {
        assert_eq!(before.get(name), after.get(name), "{name} was touched");
    }
}

#[test]
fn stale_generated_files_are_removed_when_a_feature_is_switched_off() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    agentctl(["render", "-q", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    let before = listing(&cwd.join("out"));
    assert!(before.contains_key("hpa.yaml"));

    let out = agentctl(["render", "--set", "autoscaling.enabled=false", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    assert!(out.stderr.contains("1 removed"), "{}", out.stderr);
    let after = listing(&cwd.join("out"));
    assert!(!after.contains_key("hpa.yaml"), "{after:?}");
    let kustomization = std::fs::read_to_string(cwd.join("out/kustomization.yaml")).expect("read");
    assert!(!kustomization.contains("hpa.yaml"), "{kustomization}");
    // Files that did not change were not rewritten.
    assert_eq!(before.get("namespace.yaml"), after.get("namespace.yaml"));
    assert_eq!(before.get("service.yaml"), after.get("service.yaml"));

    // The output equals a fresh render of the same inputs: nothing stale is left anywhere.
    agentctl([
        "render",
        "-q",
        "--set",
        "autoscaling.enabled=false",
        "-o",
        "fresh",
    ])
    .current_dir(cwd)
    .code(0)
    .run();
    assert_eq!(hashes(&after), hashes(&listing(&cwd.join("fresh"))));
}

#[test]
fn an_output_path_that_is_a_regular_file_is_refused() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    write(cwd, "out", "not a directory\n");
    let before = listing(cwd);
    let stderr = agentctl(["render", "-o", "out"])
        .current_dir(cwd)
        .code(2)
        .run()
        .stderr;
    assert!(stderr.contains("`out` is an existing file"), "{stderr}");
    assert_eq!(before, listing(cwd));
}

#[test]
fn the_current_directory_is_refused() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    write(cwd, "deploy.yaml", "namespace: agents\n");
    let before = listing(cwd);
    for target in [".", "./", "sub/.."] {
        std::fs::create_dir_all(cwd.join("sub")).expect("mkdir");
        let before = listing(cwd);
        let stderr = agentctl(["render", "-o", target])
            .current_dir(cwd)
            .code(2)
            .run()
            .stderr;
        assert!(stderr.contains("current directory"), "{target}: {stderr}");
        assert_eq!(before, listing(cwd), "{target}");
    }
    std::fs::remove_dir(cwd.join("sub")).expect("rmdir");
    assert_eq!(before, listing(cwd));

    // Nor any directory that contains it.
    std::fs::create_dir_all(cwd.join("work/here")).expect("mkdir");
    let before = listing(cwd);
    let stderr = agentctl(["render", "-o", ".."])
        .current_dir(cwd.join("work/here"))
        .code(2)
        .run()
        .stderr;
    assert!(
        stderr.contains("contains the current directory"),
        "{stderr}"
    );
    assert_eq!(before, listing(cwd));
    assert_eq!(
        listing(&cwd.join("work")).len(),
        1,
        "nothing was written beside `here`"
    );
}

#[test]
fn a_repository_root_is_refused() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    std::fs::create_dir_all(cwd.join("repo/.git")).expect("mkdir");
    write(cwd, "repo/README.md", "# project\n");
    let before = listing(&cwd.join("repo"));
    let stderr = agentctl(["render", "-o", "repo"])
        .current_dir(cwd)
        .code(2)
        .run()
        .stderr;
    assert!(stderr.contains("repository root"), "{stderr}");
    assert_eq!(before, listing(&cwd.join("repo")));
    // --force does not override it: it is about foreign files, not dangerous targets.
    agentctl(["render", "-o", "repo", "--force"])
        .current_dir(cwd)
        .code(2)
        .run();
    assert_eq!(before, listing(&cwd.join("repo")));
    agentctl(["render", "-q", "-o", "repo/deploy"])
        .current_dir(cwd)
        .code(0)
        .run();
}

#[test]
fn a_symlinked_file_inside_the_directory_is_refused_even_with_force() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    let precious = "apiVersion: v1\nkind: Service\n# someone else's file\n";
    write(cwd, "elsewhere/service.yaml", precious);
    std::fs::create_dir(cwd.join("out")).expect("mkdir");
    std::os::unix::fs::symlink("../elsewhere/service.yaml", cwd.join("out/service.yaml"))
        .expect("symlink");
    let before = listing(&cwd.join("out"));
    let target_before = listing(&cwd.join("elsewhere"));

    for args in [
        &["render", "-o", "out"][..],
        &["render", "-o", "out", "--force"][..],
    ] {
        let stderr = agentctl(args).current_dir(cwd).code(2).run().stderr;
        assert!(stderr.contains("out/service.yaml is a symlink"), "{stderr}");
        assert!(!stderr.contains("pass --force"), "{stderr}");
        assert_eq!(before, listing(&cwd.join("out")));
        assert_eq!(target_before, listing(&cwd.join("elsewhere")));
    }
}

#[test]
fn a_generated_file_replaced_by_a_symlink_is_not_followed_on_removal() {
    // Stale removal must not follow a symlink either: swap hpa.yaml for a link, then switch
    // autoscaling off. The link is foreign (not a regular generated file) and is left alone.
    let tmp = support::tempdir();
    let cwd = tmp.path();
    agentctl(["render", "-q", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    let generated = std::fs::read_to_string(cwd.join("out/hpa.yaml")).expect("read");
    write(cwd, "keep/hpa.yaml", &generated);
    std::fs::remove_file(cwd.join("out/hpa.yaml")).expect("rm");
    std::os::unix::fs::symlink("../keep/hpa.yaml", cwd.join("out/hpa.yaml")).expect("symlink");
    agentctl([
        "render",
        "-q",
        "--set",
        "autoscaling.enabled=false",
        "-o",
        "out",
    ])
    .current_dir(cwd)
    .code(0)
    .run();
    assert!(
        std::fs::symlink_metadata(cwd.join("out/hpa.yaml"))
            .expect("still there")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(cwd.join("keep/hpa.yaml")).expect("read"),
        generated
    );
}

#[test]
fn concurrent_runs_never_produce_a_mix() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    // The two complete renders, made apart.
    let a_args = ["render", "-q", "-o", "out"];
    let b_args = [
        "render",
        "-q",
        "-p",
        "dev",
        "--set",
        "agent.port=9000",
        "-o",
        "out",
    ];
    let reference = |args: &[&str], name: &str| {
        let dir = cwd.join(name);
        std::fs::create_dir(&dir).expect("mkdir");
        agentctl(args).current_dir(&dir).code(0).run();
        hashes(&listing(&dir.join("out")))
    };
    let a = reference(&a_args, "ref-a");
    let b = reference(&b_args, "ref-b");
    assert_ne!(a, b);

    let work = cwd.join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let mut seen_a = 0;
    let mut seen_b = 0;
    for i in 0..24 {
        // Alternate which starts first, and which state the directory starts from.
        let (first, second) = if i % 2 == 0 {
            (&a_args[..], &b_args[..])
        } else {
            (&b_args[..], &a_args[..])
        };
        let spawn = |args: &[&str]| agentctl(args).current_dir(&work).spawn();
        let mut p1 = spawn(first);
        let mut p2 = spawn(second);
        assert!(p1.wait().expect("wait").success(), "iteration {i}");
        assert!(p2.wait().expect("wait").success(), "iteration {i}");
        let result = hashes(&listing(&work.join("out")));
        if result == a {
            seen_a += 1;
        } else if result == b {
            seen_b += 1;
        } else {
            panic!("iteration {i}: the directory is a mix of both renders:\n{result:#?}");
        }
        no_temp_files(&work.join("out"));
    }
    assert_eq!(seen_a + seen_b, 24);
}

#[test]
fn diff_reports_drift_and_never_writes() {
    let tmp = support::tempdir();
    let cwd = tmp.path();
    agentctl(["render", "-q", "-o", "out"])
        .current_dir(cwd)
        .code(0)
        .run();
    let before = listing(&cwd.join("out"));
    let same = agentctl(["diff", "-o", "out"]).current_dir(cwd).run();
    assert_eq!(same.code, 0);
    let drift = agentctl(["diff", "-p", "dev", "-o", "out"])
        .current_dir(cwd)
        .run();
    assert_eq!(drift.code, 1);
    assert!(drift.stdout.contains("hpa.yaml"));
    let check = agentctl(["render", "--check", "-p", "dev", "-o", "out"])
        .current_dir(cwd)
        .run();
    assert_eq!(check.code, 1);
    assert_eq!(before, listing(&cwd.join("out")));
}

/// Files whose names are near agentctl's own are the user's (issue 20, finding 2): a file
/// named like a temporary file (`.agentctl-notes.tmp`) is not one unless its name is exactly
/// the one agentctl generates, and a `.agentctl.lock` that is not agentctl's lock note (a file
/// of the user's, a symlink, a directory) is never replaced nor removed; the run then writes no
/// note. agentctl's own stale note (a killed run's) is still replaced and removed. In an
/// environment directory and in a project's root, with a render that changes files and one
/// that removes an environment.
#[test]
fn names_like_agentctls_own_files_are_left_alone() {
    let dir = support::tempdir();
    let w = dir.path();
    write(w, "agentctl.yaml", "environments:\n  a: {}\n  b: {}\n");
    agentctl(["render", "--all", "-q", "-o", "deploy"])
        .current_dir(w)
        .code(0)
        .run();
    write(w, "outside.txt", "the target of a symlink\n");
    let users: &[(&str, &str)] = &[
        ("deploy/a/.agentctl-notes.tmp", "my notes\n"),
        ("deploy/a/.agentctl-.tmp-x", "x\n"),
        (
            "deploy/a/.agentctl-1-2-3.tmp",
            "short nanos: not agentctl's\n",
        ),
        (
            "deploy/a/.agentctl-12-000000001-x.tmp",
            "a counter that is no number\n",
        ),
        ("deploy/.agentctl-backup.tmp", "the root too\n"),
        ("deploy/a/.agentctl.lock", "my lock file, not agentctl's\n"),
        ("deploy/b/.agentctl.lock", "pid 12: but not one line"),
        ("deploy/.agentctl.lock", "{\"mine\": true}\n"),
    ];
    for (path, text) in users {
        write(w, path, text);
    }
    // agentctl's very temporary name, but a symlink: never removed, never followed.
    std::os::unix::fs::symlink(
        "../../outside.txt",
        w.join("deploy/a/.agentctl-9-000000001-1.tmp"),
    )
    .expect("symlink");
    // `b` is removed from the project: its directory is cleaned up, its lock file kept.
    write(w, "agentctl.yaml", "environments:\n  a: {}\n");
    let run = agentctl([
        "render",
        "--all",
        "--set",
        "agent.port=9000",
        "-o",
        "deploy",
    ])
    .current_dir(w)
    .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (path, text) in users {
        assert_eq!(
            std::fs::read_to_string(w.join(path)).ok().as_deref(),
            Some(*text),
            "{path} was changed or removed\n{}",
            run.stderr
        );
    }
    assert!(
        std::fs::symlink_metadata(w.join("deploy/a/.agentctl-9-000000001-1.tmp"))
            .is_ok_and(|m| m.file_type().is_symlink()),
        "the symlink named like a temporary file was removed"
    );
    assert_eq!(
        std::fs::read_to_string(w.join("outside.txt")).expect("kept"),
        "the target of a symlink\n"
    );
    // A symlink named `.agentctl.lock`: neither it nor what it points at is touched.
    std::fs::remove_file(w.join("deploy/a/.agentctl.lock")).expect("rm");
    std::os::unix::fs::symlink("../../outside.txt", w.join("deploy/a/.agentctl.lock"))
        .expect("symlink");
    let run = agentctl([
        "render",
        "--all",
        "--set",
        "agent.port=9001",
        "-o",
        "deploy",
    ])
    .current_dir(w)
    .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_link(w.join("deploy/a/.agentctl.lock")).expect("still a symlink"),
        Path::new("../../outside.txt")
    );
    assert_eq!(
        std::fs::read_to_string(w.join("outside.txt")).expect("kept"),
        "the target of a symlink\n"
    );
    // agentctl's own stale note and temporary file (a killed run's) are replaced and removed.
    std::fs::remove_file(w.join("deploy/a/.agentctl.lock")).expect("rm");
    write(
        w,
        "deploy/a/.agentctl.lock",
        "pid 4242: agentctl render --all -o deploy\n",
    );
    write(
        w,
        "deploy/a/.agentctl-4242-000000007-3.tmp",
        "half-written\n",
    );
    let run = agentctl([
        "render",
        "--all",
        "--set",
        "agent.port=9002",
        "-o",
        "deploy",
    ])
    .current_dir(w)
    .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !w.join("deploy/a/.agentctl.lock").exists(),
        "the stale note stays"
    );
    assert!(
        !w.join("deploy/a/.agentctl-4242-000000007-3.tmp").exists(),
        "the stale temporary file stays"
    );
}
