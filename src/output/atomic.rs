//! The one way agentctl puts bytes in a file: a temporary file beside the target (mode 0644,
//! synced), then a rename. Used by the output directory, `init` and `man --out`.

use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

/// The directory a file path lives in (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// `bytes` in a synced temporary file in `dir`, ready to be renamed over a file there.
pub fn stage(dir: &Path, bytes: &[u8]) -> std::io::Result<NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".agentctl-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Writes `bytes` at `path` atomically, replacing whatever file is there.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    stage(parent_of(path), bytes)?
        .persist(path)
        .map_err(|e| e.error)?;
    Ok(())
}

/// Creates `bytes` at `path` atomically, failing with `AlreadyExists` if anything is there.
pub fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    stage(parent_of(path), bytes)?
        .persist_noclobber(path)
        .map_err(|e| e.error)?;
    Ok(())
}
