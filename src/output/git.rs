//! Reading an output directory as committed at a git revision, for `agentctl diff --base REV`:
//! the generated files under a directory at that revision, through the `git` command
//! (`rev-parse`, `ls-tree`, `cat-file`), with the problems a CI job meets named as refusals
//! (not a repository, an unknown revision, a directory the revision does not have). Reads only:
//! never checks out, never writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow};

use crate::diag::Refusal;
use crate::render::bundle::HEADER;

/// Runs `git ARGS` in `cwd`; its stdout, or its stderr as the error.
fn git(cwd: &Path, args: &[&str]) -> Result<std::result::Result<Vec<u8>, String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(args)
        .output()
        .context("running `git` (is it installed and on PATH?)")?;
    Ok(if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    })
}

/// The first bytes of a blob (as many as [`HEADER`]), without reading the rest.
fn head(top: &Path, hash: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "blob", hash])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("running `git` (is it installed and on PATH?)")?;
    let mut head = Vec::new();
    if let Some(out) = child.stdout.take() {
        let _ = out.take(HEADER.len() as u64).read_to_end(&mut head);
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(head)
}

/// The nearest existing directory at or above `dir` (a directory deleted in the working tree
/// is still compared).
fn existing(dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let mut d = absolute.as_path();
    loop {
        if d.is_dir() {
            return d.to_owned();
        }
        match d.parent() {
            Some(p) => d = p,
            None => return PathBuf::from("."),
        }
    }
}

/// The generated files under `dir` as committed at `rev`, and every kustomization file
/// whoever wrote it (kubectl reads it): each path relative to `dir`, with its content. A
/// directory whose files total more than [`super::MAX_READ_DIR_BYTES`] is an error
/// (`Budget`); a file that is neither is dropped as soon as it is read.
pub fn committed_files(dir: &Path, rev: &str) -> Result<Vec<(String, String)>> {
    let cwd = existing(dir);
    let top = match git(&cwd, &["rev-parse", "--show-toplevel"])? {
        Ok(out) => PathBuf::from(String::from_utf8_lossy(&out).trim()),
        Err(_) => return Err(Refusal::NotAGitRepository(dir.to_owned()).into()),
    };
    let commit = format!("{rev}^{{commit}}");
    if git(&top, &["rev-parse", "--verify", "--quiet", &commit])?.is_err() {
        let refs = git(&top, &["for-each-ref", "--format=%(refname:short)"])?.unwrap_or_default();
        let refs = String::from_utf8_lossy(&refs).into_owned();
        let near = crate::suggest::did_you_mean(rev, refs.lines()).map(str::to_owned);
        return Err(Refusal::UnknownRevision(rev.to_owned(), near).into());
    }
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let canonical_top = top.canonicalize().unwrap_or(top.clone());
    let canonical_dir = match absolute.canonicalize() {
        Ok(c) => c,
        Err(_) => {
            let base = cwd.canonicalize().unwrap_or(cwd.clone());
            base.join(absolute.strip_prefix(&cwd).unwrap_or(Path::new("")))
        }
    };
    let rel = canonical_dir
        .strip_prefix(&canonical_top)
        .map_err(|_| {
            anyhow!(
                "`{}` is not inside the repository {}",
                dir.display(),
                top.display()
            )
        })?
        .to_string_lossy()
        .into_owned();
    let mut listing = vec!["ls-tree", "-r", "-z", "-l", "--full-tree", rev, "--"];
    let spec = if rel.is_empty() {
        ".".to_owned()
    } else {
        rel.clone()
    };
    listing.push(&spec);
    let entries = git(&top, &listing)?.map_err(|e| anyhow!("git ls-tree {rev} -- {spec}: {e}"))?;
    let mut files = Vec::new();
    let mut any = false;
    let mut budget = super::Budget::default();
    let shown_dir = format!("{rev}:{spec}");
    let prefix = if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    };
    for entry in entries.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ').filter(|f| !f.is_empty());
        let (_, kind, hash, size) = (meta.next(), meta.next(), meta.next(), meta.next());
        if kind != Some("blob") {
            continue;
        }
        let Some(hash) = hash else { continue };
        let Some(name) = path
            .strip_prefix(&prefix)
            .or(rel.is_empty().then_some(path))
        else {
            continue;
        };
        let big = size
            .and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|s| s > super::MAX_READ_BYTES);
        if big {
            // Only its first line decides whether it is ours (then it is refused, never read).
            if head(&top, hash)?.starts_with(HEADER.as_bytes()) || super::kustomization_file(name) {
                return Err(super::too_big(&format!("{rev}:{path}")));
            }
            continue;
        }
        let blob = git(&top, &["cat-file", "blob", hash])?
            .map_err(|e| anyhow!("git cat-file {rev}:{path}: {e}"))?;
        any = true;
        // A kustomization file is what `kubectl apply -k` reads, whoever wrote it; any other
        // file not agentctl's is dropped as soon as it is read.
        if !blob.starts_with(HEADER.as_bytes()) && !super::kustomization_file(name) {
            continue;
        }
        budget.take(
            &shown_dir,
            name,
            &format!("{rev}:{path}"),
            blob.len() as u64,
        )?;
        let text = match String::from_utf8(blob) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        files.push((name.to_owned(), text));
    }
    if !any {
        return Err(Refusal::PathNotInRevision(rel, rev.to_owned()).into());
    }
    files.sort();
    Ok(files)
}
