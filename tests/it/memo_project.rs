//! The fast path of an up-to-date project render (`render --all -o ROOT`, issue 26): when the
//! project file and every file it reads, the command line, the environment and the binary are
//! those of the memo it left, and the root and every environment directory hold what it
//! wrote, the render prints what the full path would print and writes nothing; any change of
//! an input, of a generated file, of the record or of the way to a directory takes the full
//! path.
//!
//! How a test tells which path a run took: as in `memo.rs`, the memo's recorded text is
//! replaced by a probe line, which only the fast path prints.

use std::path::Path;

use crate::memo::{PROBE, memo_file, plant_probe};
use crate::support::{agentctl, tempdir, tree, write};

/// Two environments; `prod` lists an override whose render warns (AGT171).
const PROJECT: &str = "environments:\n  dev:\n    profiles: [dev]\n  prod:\n    profiles: [high-throughput]\n    overrides: [prod.yaml]\n    set: {namespace: agents-prod}\n";
const PROD: &str = "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch: {spec: {revisionHistoryLimit: 0}}\n";

/// `render ARGS -o deploy` in `dir`, the memos under `dir/cache`, exiting `code`.
fn render(dir: &Path, args: &[&str], code: i32) -> crate::support::Run {
    agentctl(["render"])
        .args(args)
        .args(["-o", "deploy"])
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .current_dir(dir)
        .code(code)
        .run()
}

/// A project rendered once (the render keeps its memo) with a probe planted in the memo.
fn rendered() -> tempfile::TempDir {
    let dir = tempdir();
    write(dir.path(), "agentctl.yaml", PROJECT);
    write(dir.path(), "prod.yaml", PROD);
    let first = render(dir.path(), &["--all"], 0);
    assert!(first.stderr.contains("created"), "{}", first.stderr);
    plant_probe(&dir.path().join("cache"));
    dir
}

fn fast(run: &crate::support::Run) -> bool {
    run.stderr.starts_with(PROBE)
}

#[test]
fn an_up_to_date_project_render_prints_what_the_full_path_prints_and_writes_nothing() {
    let dir = tempdir();
    write(dir.path(), "agentctl.yaml", PROJECT);
    write(dir.path(), "prod.yaml", PROD);
    let cache = dir.path().join("cache");
    render(
        dir.path(),
        &[
            "--all",
            "--set",
            "monitoring.alerts.alertLabels.team=agents",
        ],
        0,
    );
    let before = tree(&dir.path().join("deploy"));
    let memo = std::fs::read(memo_file(&cache)).expect("memo");
    let quick = render(
        dir.path(),
        &[
            "--all",
            "--set",
            "monitoring.alerts.alertLabels.team=agents",
        ],
        0,
    );
    let full = agentctl([
        "render",
        "--all",
        "--set",
        "monitoring.alerts.alertLabels.team=agents",
        "-o",
        "deploy",
    ])
    .env("AGENTCTL_NO_MEMO", "1")
    .env("XDG_CACHE_HOME", &cache)
    .current_dir(dir.path())
    .code(0)
    .run();
    assert_eq!(quick.stderr, full.stderr, "the same words on both paths");
    assert_eq!(quick.stderr.matches("warning[AGT171]").count(), 1);
    assert!(
        quick
            .stderr
            .contains("--set monitoring.alerts.alertLabels.team=agents"),
        "{}",
        quick.stderr
    );
    assert!(
        quick.stderr.contains("2 environments from agentctl.yaml"),
        "{}",
        quick.stderr
    );
    assert_eq!(tree(&dir.path().join("deploy")), before, "nothing written");
    // The full path with AGENTCTL_NO_MEMO forgot the memo; a run without it keeps it again.
    render(
        dir.path(),
        &[
            "--all",
            "--set",
            "monitoring.alerts.alertLabels.team=agents",
        ],
        0,
    );
    assert_eq!(std::fs::read(memo_file(&cache)).expect("memo"), memo);
    plant_probe(&cache);
    let quick = render(
        dir.path(),
        &[
            "--all",
            "--set",
            "monitoring.alerts.alertLabels.team=agents",
        ],
        0,
    );
    assert!(fast(&quick), "{}", quick.stderr);
    assert!(!quick.stderr.contains("AGT171"), "{}", quick.stderr);
    let quiet = render(
        dir.path(),
        &[
            "-q",
            "--all",
            "--set",
            "monitoring.alerts.alertLabels.team=agents",
        ],
        0,
    );
    assert_eq!(quiet.stderr, "", "-q prints nothing on either path");
}

#[test]
fn a_changed_project_file_or_file_it_reads_takes_the_full_path() {
    let dir = rendered();
    let cache = dir.path().join("cache");
    // A comment in the override: the files stay the same, the input does not.
    write(dir.path(), "prod.yaml", &format!("# reviewed\n{PROD}"));
    let run = render(dir.path(), &["--all"], 0);
    assert!(!fast(&run), "{}", run.stderr);
    assert!(
        run.stderr.contains("prod.yaml:4:"),
        "the new line: {}",
        run.stderr
    );
    // A comment in the project file.
    plant_probe(&cache);
    write(
        dir.path(),
        "agentctl.yaml",
        &format!("# reviewed\n{PROJECT}"),
    );
    let run = render(dir.path(), &["--all"], 0);
    assert!(!fast(&run), "{}", run.stderr);
    // An environment gone: its directory is cleaned up by the full path.
    plant_probe(&cache);
    write(
        dir.path(),
        "agentctl.yaml",
        &PROJECT.replace("  dev:\n    profiles: [dev]\n", ""),
    );
    let run = render(dir.path(), &["--all"], 0);
    assert!(!fast(&run), "{}", run.stderr);
    assert!(run.stderr.contains("removed deploy/dev"), "{}", run.stderr);
    assert!(!dir.path().join("deploy/dev").exists());
    // Another selection of the same project into the same root is another command line.
    let run = render(dir.path(), &["--env", "prod"], 0);
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
}

#[test]
fn a_changed_output_takes_the_full_path() {
    let dir = rendered();
    let cache = dir.path().join("cache");
    let deploy = dir.path().join("deploy");
    let quick = render(dir.path(), &["--all"], 0);
    assert!(fast(&quick), "{}", quick.stderr);
    // A generated file edited by hand is repaired.
    let edited = deploy.join("prod/deployment.yaml");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, format!("{text}# edited\n")).unwrap();
    let run = render(dir.path(), &["--all"], 0);
    assert!(!fast(&run), "{}", run.stderr);
    assert!(run.stderr.contains("1 updated"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), text);
    // A file of the user's in an environment directory is left alone by the full path.
    plant_probe(&cache);
    write(&deploy, "dev/notes.txt", "mine\n");
    let run = render(dir.path(), &["--all"], 0);
    assert!(!fast(&run), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(deploy.join("dev/notes.txt")).unwrap(),
        "mine\n"
    );
    std::fs::remove_file(deploy.join("dev/notes.txt")).unwrap();
    // The record edited (a forged entry): the full path reads it and decides.
    render(dir.path(), &["--all"], 0);
    plant_probe(&cache);
    let record = deploy.join(".agentctl-state.json");
    let kept = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, kept.replace("\"dev\"", "\"dev\",\"elsewhere\"")).unwrap();
    let run = render(dir.path(), &["--all"], 0);
    assert!(!fast(&run), "{}", run.stderr);
    // The owner marker removed.
    std::fs::write(&record, &kept).unwrap();
    render(dir.path(), &["--all"], 0);
    plant_probe(&cache);
    std::fs::remove_file(deploy.join("dev/.agentctl-owner")).unwrap();
    let run = render(dir.path(), &["--all"], 0);
    assert!(!fast(&run), "{}", run.stderr);
    // A lock note of a killed run at the root.
    render(dir.path(), &["--all"], 0);
    plant_probe(&cache);
    write(&deploy, ".agentctl.lock", "pid 1: agentctl render --all\n");
    let run = render(dir.path(), &["--all"], 0);
    assert!(!fast(&run), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn an_environment_directory_swapped_for_a_symlink_is_refused_not_vouched_for() {
    let dir = rendered();
    let deploy = dir.path().join("deploy");
    // The same files, reached through a link: a write refuses a link below the root.
    std::fs::rename(deploy.join("dev"), dir.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), deploy.join("dev")).unwrap();
    let run = render(dir.path(), &["--all"], 2);
    assert!(!fast(&run), "{}", run.stderr);
    assert!(run.stderr.contains("symlink"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn the_same_project_text_at_another_real_path_is_another_project() {
    // The record and the owner markers name a project by its real path: the same text moved
    // and linked back is another project to them, and the full path refuses (found by
    // attacking the memo: it vouched for it, exit 0).
    let dir = rendered();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::rename(
        dir.path().join("agentctl.yaml"),
        dir.path().join("sub/agentctl.yaml"),
    )
    .unwrap();
    std::fs::copy(
        dir.path().join("prod.yaml"),
        dir.path().join("sub/prod.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink("sub/agentctl.yaml", dir.path().join("agentctl.yaml")).unwrap();
    let run = render(dir.path(), &["--all"], 2);
    assert!(!fast(&run), "{}", run.stderr);
    assert!(run.stderr.contains("another project"), "{}", run.stderr);
}

#[test]
fn an_environment_directory_locked_by_another_run_is_waited_for_as_on_the_full_path() {
    // A single render or a `diff` of one environment's directory holds that directory's lock:
    // the full path waits for it (and gives up after --lock-timeout), so the memo must not
    // vouch past it (found by attacking the memo: it printed the summary at once, exit 0).
    let dir = rendered();
    let held = std::fs::File::open(dir.path().join("deploy/dev")).unwrap();
    held.lock().unwrap();
    let run = render(dir.path(), &["--all", "--lock-timeout", "1"], 2);
    assert!(!fast(&run), "{}", run.stderr);
    assert!(run.stderr.contains("deploy/dev"), "{}", run.stderr);
    held.unlock().unwrap();
    // Unlocked: this command line's first run keeps its memo, the next one is vouched for.
    render(dir.path(), &["--all", "--lock-timeout", "1"], 0);
    plant_probe(&dir.path().join("cache"));
    let run = render(dir.path(), &["--all", "--lock-timeout", "1"], 0);
    assert!(fast(&run), "{}", run.stderr);
}
