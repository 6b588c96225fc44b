//! The batched write (issue 26): every new file of every environment (and each directory's
//! owner marker, and the project's record) is staged as a temporary file, the whole batch is
//! synced to disk at once, and only then is anything renamed into place. A failure anywhere in
//! that batch (staging any one of its files, or the sync of the whole batch) must leave every
//! directory byte for byte as it was: no file half-written, no temporary file left, no
//! directory the run created. The faults are injected with `AGENTCTL_TEST_FAULT` (debug
//! builds): `stage:N` fails the N-th temporary file, `sync:1` the batch's sync.

use std::path::Path;

use crate::support::{self, agentctl, tree};

/// Two environments that exist, and a third (nested) that the failing run would create.
const TWO: &str =
    "environments:\n  a:\n    profiles: [dev]\n  b:\n    profiles: [high-throughput]\n";
const THREE: &str = "environments:\n  a:\n    profiles: [dev]\n  b:\n    profiles: [high-throughput]\n  c:\n    profiles: [low-latency]\n    output: nested/c\n";

fn render(root: &Path, out: &str, fault: Option<&str>) -> support::Run {
    let mut cmd = agentctl(["render", "--all", "--set", "agent.port=9000", "-o", out]);
    if let Some(f) = fault {
        cmd = cmd.env("AGENTCTL_TEST_FAULT", f);
    }
    cmd.current_dir(root).run()
}

#[test]
fn a_failure_anywhere_in_a_batched_write_changes_nothing() {
    let scratch = support::tempdir();
    let root = scratch.path();
    support::write(root, "agentctl.yaml", TWO);
    let first = agentctl(["render", "--all", "-q", "-o", "deploy"])
        .current_dir(root)
        .run();
    assert_eq!(first.code, 0, "{}", first.stderr);
    support::write(root, "agentctl.yaml", THREE);
    let before = tree(&root.join("deploy"));
    assert!(before.contains_key(Path::new(".agentctl-state.json")));

    // The whole batch staged, then its sync fails: nothing changed.
    let r = render(root, "deploy", Some("sync:1"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("nothing was changed"), "{}", r.stderr);
    assert_eq!(
        tree(&root.join("deploy")),
        before,
        "the failed sync changed deploy/"
    );

    // Every file of the batch in turn fails to stage; the first N that does not fail is past
    // the end of the batch, and that run writes everything.
    let mut failed = 0;
    for n in 1..=200 {
        let r = render(root, "deploy", Some(&format!("stage:{n}")));
        if r.code == 0 {
            break;
        }
        assert_eq!(r.code, 2, "stage:{n}: {}", r.stderr);
        assert!(r.stderr.contains("nothing was changed"), "{}", r.stderr);
        assert_eq!(
            tree(&root.join("deploy")),
            before,
            "a failure staging file {n} of the batch changed deploy/"
        );
        failed += 1;
    }
    // The batch: the updated files of a and b, the new files of c, c's marker and the record.
    assert!(failed > 15, "only {failed} files were staged");
    let after = tree(&root.join("deploy"));
    assert_ne!(after, before, "the run past the batch wrote nothing");
    assert!(after.contains_key(Path::new("nested/c/.agentctl-owner")));
    assert!(
        !after.keys().any(|p| p.to_string_lossy().ends_with(".tmp")),
        "temporary files left: {after:?}"
    );

    // Into a directory that does not exist yet: a failed sync leaves no directory behind.
    let r = render(root, "fresh/deploy", Some("sync:1"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!root.join("fresh").exists(), "the failed run left fresh/");

    // Up to date: nothing is staged or synced at all (a sync fault cannot fire).
    let r = render(root, "deploy", Some("sync:1"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(tree(&root.join("deploy")), after);
}
