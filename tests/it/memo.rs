//! The fast path of an up-to-date single render (issue 26): a render whose inputs, command
//! line, environment and binary are those of the memo it left, into a directory holding
//! exactly the files it wrote, prints what it printed then and writes nothing; any change of
//! an input of any kind, and any change in the directory, takes the full path.
//!
//! How a test tells which path a run took: the memo's recorded text (what the render printed
//! before its summary) is replaced by a probe line; the fast path prints the probe, the full
//! path prints the render's own warnings (and writes a new memo).

use std::path::{Path, PathBuf};

use crate::support::{agentctl, tempdir, tree, write};

pub(crate) const PROBE: &str = "probe: printed from the memo\n";

/// An override whose render prints a lint warning (AGT171) and the override's note.
const WARNS: &str = "patches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch: {spec: {revisionHistoryLimit: 0}}\n";

/// The single memo file under `cache`.
pub(crate) fn memo_file(cache: &Path) -> PathBuf {
    let dir = cache.join("agentctl/render");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the memo directory")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "one memo: {files:?}");
    files.pop().expect("one")
}

/// Replaces the memo's recorded text by [`PROBE`].
pub(crate) fn plant_probe(cache: &Path) {
    let path = memo_file(cache);
    let mut memo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("memo")).expect("memo JSON");
    memo["said"] = PROBE.into();
    std::fs::write(&path, serde_json::to_vec(&memo).expect("JSON")).expect("write memo");
}

/// `render ARGS -o out` in `dir` with the memos under `cache`.
fn render(dir: &Path, cache: &Path, args: &[&str]) -> crate::support::Run {
    agentctl(["render"])
        .args(args)
        .args(["-o", "out"])
        .env("XDG_CACHE_HOME", cache)
        .current_dir(dir)
        .code(0)
        .run()
}

/// A rendered directory with a probe planted in its memo, and the stderr of its second render
/// (up to date).
fn rendered(files: &[(&str, &str)], args: &[&str]) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempdir();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    let cache = dir.path().join("cache");
    let first = render(dir.path(), &cache, args);
    assert!(first.stderr.contains("created"), "{}", first.stderr);
    let full = render(dir.path(), &cache, args);
    assert!(
        full.stderr.contains("0 created, 0 updated"),
        "{}",
        full.stderr
    );
    plant_probe(&cache);
    (dir, cache, full.stderr)
}

#[test]
fn an_up_to_date_render_prints_what_the_full_path_prints_and_writes_nothing() {
    let dir = tempdir();
    write(dir.path(), "w.yaml", WARNS);
    let cache = dir.path().join("cache");
    render(dir.path(), &cache, &["-f", "w.yaml"]);
    let before = tree(&dir.path().join("out"));
    let memo = std::fs::read(memo_file(&cache)).expect("memo");
    let fast = render(dir.path(), &cache, &["-f", "w.yaml"]);
    let full = agentctl(["render", "-f", "w.yaml", "-o", "out"])
        .env("AGENTCTL_NO_MEMO", "1")
        .env("XDG_CACHE_HOME", &cache)
        .current_dir(dir.path())
        .code(0)
        .run();
    assert_eq!(
        fast.stderr, full.stderr,
        "the same words, warnings included"
    );
    assert_eq!(fast.stderr.matches("warning[AGT171]").count(), 1);
    assert!(
        fast.stderr
            .contains("0 created, 0 updated, 15 unchanged, 0 removed")
    );
    assert_eq!(tree(&dir.path().join("out")), before, "nothing written");
    assert_eq!(std::fs::read(memo_file(&cache)).expect("memo"), memo);
    // And it is the memo that spoke.
    plant_probe(&cache);
    let fast = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(fast.stderr.starts_with(PROBE), "{}", fast.stderr);
    assert!(!fast.stderr.contains("AGT171"), "{}", fast.stderr);
    let quiet = agentctl(["render", "-q", "-f", "w.yaml", "-o", "out"])
        .env("XDG_CACHE_HOME", &cache)
        .current_dir(dir.path())
        .code(0)
        .run();
    assert_eq!(quiet.stderr, "", "-q prints nothing on either path");
}

#[test]
fn a_byte_changed_in_an_override_file_takes_the_full_path() {
    let (dir, cache, second) = rendered(&[("w.yaml", WARNS)], &["-f", "w.yaml"]);
    // A comment: the files stay the same, the input does not.
    write(dir.path(), "w.yaml", &format!("# reviewed\n{WARNS}"));
    let run = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
    assert!(run.stderr.contains("warning[AGT171]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("w.yaml:4:42"),
        "the new line: {}",
        run.stderr
    );
    assert_ne!(run.stderr, second);
    // A value: the files change.
    plant_probe(&cache);
    write(dir.path(), "w.yaml", &WARNS.replace("0}", "1}"));
    let run = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
    assert!(run.stderr.contains("1 updated"), "{}", run.stderr);
}

#[test]
fn a_byte_changed_in_a_listed_crd_file_takes_the_full_path() {
    let crd = std::fs::read_to_string(
        crate::support::root().join("tests/data/crds/healthcheckpolicy.yaml"),
    )
    .expect("CRD");
    let over = "crds: [crds/h.yaml]\nresources:\n  - apiVersion: networking.gke.io/v1\n    kind: HealthCheckPolicy\n    metadata: {name: agent-health}\n    spec:\n      default: {checkIntervalSec: 15, config: {type: HTTP, httpHealthCheck: {port: 8080, requestPath: /healthz}}}\n      targetRef: {group: \"\", kind: Service, name: agent-service}\n";
    let (dir, cache, _) = rendered(
        &[("crds/h.yaml", &crd), ("o.yaml", over)],
        &["-f", "o.yaml"],
    );
    let unchanged = render(dir.path(), &cache, &["-f", "o.yaml"]);
    assert!(unchanged.stderr.starts_with(PROBE), "{}", unchanged.stderr);
    write(dir.path(), "crds/h.yaml", &format!("{crd}\n"));
    let run = render(dir.path(), &cache, &["-f", "o.yaml"]);
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
    std::fs::remove_file(dir.path().join("crds/h.yaml")).unwrap();
    agentctl(["render", "-f", "o.yaml", "-o", "out"])
        .env("XDG_CACHE_HOME", &cache)
        .current_dir(dir.path())
        .code(2)
        .run();
}

#[test]
fn a_changed_flag_takes_the_full_path() {
    let (dir, cache, _) = rendered(&[], &["-p", "dev"]);
    let more = ["-p", "dev", "--set", "namespace=dev-two"];
    let run = render(dir.path(), &cache, &more);
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
    assert!(!run.stderr.contains(" 0 updated"), "{}", run.stderr);
    plant_probe(&cache);
    // A flag that changes no file is still another command line.
    let run = render(
        dir.path(),
        &cache,
        &["-p", "dev", "--set", "namespace=dev-two", "--force"],
    );
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
    assert!(run.stderr.contains("0 updated"), "{}", run.stderr);
}

#[test]
fn a_changed_environment_variable_takes_the_full_path() {
    let (dir, cache, _) = rendered(&[], &["-p", "dev"]);
    let run = agentctl(["render", "-p", "dev", "-o", "out"])
        .env("XDG_CACHE_HOME", &cache)
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .code(0)
        .run();
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
    assert!(run.stderr.contains("0 updated"), "{}", run.stderr);
}

#[test]
fn another_binary_s_memo_takes_the_full_path() {
    // A memo left by another build (another version, or the same version rebuilt) has another
    // context: the binary's version and file identity are part of it (`memo_context`).
    let (dir, cache, _) = rendered(&[], &["-p", "dev"]);
    let path = memo_file(&cache);
    let mut memo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    memo["context"] = "0".repeat(64).into();
    std::fs::write(&path, serde_json::to_vec(&memo).unwrap()).unwrap();
    let run = render(dir.path(), &cache, &["-p", "dev"]);
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
}

#[test]
fn a_hand_edited_or_added_file_takes_the_full_path() {
    let (dir, cache, _) = rendered(&[], &["-p", "dev"]);
    let out = dir.path().join("out");
    let edited = out.join("deployment.yaml");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, text.replace("replicas: 1", "replicas: 9")).unwrap();
    let run = render(dir.path(), &cache, &["-p", "dev"]);
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
    assert!(
        run.stderr.contains("1 updated"),
        "drift repaired: {}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), text);
    // A file agentctl did not write: the full path decides (and leaves it alone).
    plant_probe(&cache);
    write(&out, "notes.txt", "mine\n");
    let run = render(dir.path(), &cache, &["-p", "dev"]);
    assert!(!run.stderr.contains("probe"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine\n"
    );
}

#[test]
fn standard_input_keeps_no_memo() {
    let dir = tempdir();
    let cache = dir.path().join("cache");
    for _ in 0..2 {
        agentctl(["render", "-f", "-", "-o", "out"])
            .stdin("namespace: other-agents\n")
            .env("XDG_CACHE_HOME", &cache)
            .current_dir(dir.path())
            .code(0)
            .run();
    }
    assert!(!cache.join("agentctl/render").exists());
}

#[test]
fn a_memo_another_user_could_write_vouches_for_nothing() {
    use std::os::unix::fs::PermissionsExt as _;
    // Writable by the group or others (a shared cache; a render under sudo reading the
    // invoking user's): the full path, as if there were no memo.
    let (dir, cache, _) = rendered(&[("w.yaml", WARNS)], &["-f", "w.yaml"]);
    let memo = memo_file(&cache);
    std::fs::set_permissions(&memo, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let run = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(!run.stderr.contains(PROBE), "{}", run.stderr);
    assert!(run.stderr.contains("warning[AGT171]"), "{}", run.stderr);
    // The same for the memo directory.
    plant_probe(&cache);
    let parent = cache.join("agentctl/render");
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let run = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(!run.stderr.contains(PROBE), "{}", run.stderr);
    // And for the directory above it (`agentctl/`), where `render/` could be swapped.
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    plant_probe(&cache);
    let above = cache.join("agentctl");
    std::fs::set_permissions(&above, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let run = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(!run.stderr.contains(PROBE), "{}", run.stderr);
    std::fs::set_permissions(&above, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    // Once the directories are this user's alone again, the memo speaks.
    let memo = memo_file(&cache);
    std::fs::set_permissions(&memo, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    plant_probe(&cache);
    let run = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(run.stderr.starts_with(PROBE), "{}", run.stderr);
}

#[test]
fn a_fifo_in_place_of_the_memo_is_not_waited_on() {
    let (dir, cache, full) = rendered(&[("w.yaml", WARNS)], &["-f", "w.yaml"]);
    let memo = memo_file(&cache);
    std::fs::remove_file(&memo).expect("rm");
    let made = std::process::Command::new("mkfifo")
        .arg(&memo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // Without O_NONBLOCK this open never returns (no writer): the run would hang.
    let run = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert_eq!(run.stderr, full, "the full path's words");
}

#[test]
fn a_cache_inside_the_output_directory_gets_no_memo() {
    let dir = tempdir();
    write(dir.path(), "w.yaml", WARNS);
    // XDG_CACHE_HOME inside `out`: a memo there could be committed with the files.
    let cache = dir.path().join("out/.cache");
    render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(
        !cache.exists(),
        "no memo written inside the output directory"
    );
    let again = render(dir.path(), &cache, &["-f", "w.yaml"]);
    assert!(
        again.stderr.contains("0 created, 0 updated"),
        "{}",
        again.stderr
    );
    assert!(!cache.exists());
}
