//! Files outside the output directory that agentctl writes on request: `init`'s starter file
//! and schema, `init --project`'s project file and its schema, `man --out`'s pages. Each appears atomically
//! through [`super::atomic`]; nothing a user wrote is ever overwritten.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::atomic;
use crate::diag::Refusal;

/// What `init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The starter file.
    pub file: PathBuf,
    /// The schema file, and whether it was written (false: one was already there).
    pub schema: (PathBuf, bool),
}

/// Writes the starter file `file` (its text made from the path as shown) and `schema_file`
/// next to it if absent. Refuses, with nothing written, if the starter file exists.
pub fn write_starter(
    file: PathBuf,
    starter: impl FnOnce(&str) -> String,
    schema_file: &str,
    schema_json: &str,
) -> Result<Written> {
    if std::fs::symlink_metadata(&file).is_ok() {
        bail!(Refusal::InitExists(file));
    }
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating directory `{}`", dir.display()))?;
    }
    let shown = file.display().to_string();
    match atomic::create_new(&file, starter(&shown).as_bytes()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(Refusal::InitRaced(file))
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("writing `{}`", file.display())));
        }
    }
    let schema = write_schema_beside(&file, schema_file, schema_json)?;
    Ok(Written { file, schema })
}

/// Writes `schema_file` with `schema_json` in `file`'s directory unless a file of that name is
/// there; returns its path and whether it was written.
fn write_schema_beside(
    file: &Path,
    schema_file: &str,
    schema_json: &str,
) -> Result<(PathBuf, bool)> {
    let schema = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.join(schema_file),
        _ => PathBuf::from(schema_file),
    };
    let wrote = if std::fs::symlink_metadata(&schema).is_ok() {
        false
    } else {
        match atomic::create_new(&schema, schema_json.as_bytes()) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("writing `{}`", schema.display()))
                );
            }
        }
    };
    Ok((schema, wrote))
}

/// Creates the project file `path` with `text`, and `schema_file` next to it if absent (as
/// [`write_starter`]); never overwrites anything.
pub fn create_project(
    path: &Path,
    text: &str,
    schema_file: &str,
    schema_json: &str,
) -> Result<Written> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating directory `{}`", dir.display()))?;
    }
    match atomic::create_new(path, text.as_bytes()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(Refusal::ProjectInitExists(path.to_owned()))
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("creating `{}`", path.display())));
        }
    }
    let schema = write_schema_beside(path, schema_file, schema_json)?;
    Ok(Written {
        file: path.to_owned(),
        schema,
    })
}

/// Writes man `pages` (name, content) into `dir` (created if missing), overwriting only files
/// `is_ours` recognizes; returns the files written.
pub fn write_pages(
    dir: &Path,
    pages: Vec<(String, Vec<u8>)>,
    is_ours: impl Fn(&[u8]) -> bool,
) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        bail!(Refusal::ManNotADirectory(dir.to_owned()));
    }
    let mut refused = Vec::new();
    for (name, _) in &pages {
        let path = dir.join(name);
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            let ours = meta.is_file() && std::fs::read(&path).is_ok_and(|c| is_ours(&c));
            if !ours {
                refused.push(path.display().to_string());
            }
        }
    }
    if !refused.is_empty() {
        bail!(Refusal::ManForeignFiles(refused));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let mut written = Vec::new();
    for (name, content) in pages {
        let path = dir.join(&name);
        atomic::write_atomic(&path, &content)
            .with_context(|| format!("writing `{}`", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
