//! Which directories agentctl refuses to write into, decided on the path the kernel would
//! reach, not the words the user typed.
//!
//! Every write root (`-o DIR`, and each environment's directory below it) is first resolved:
//! its longest existing ancestor is canonicalized (symlinks and `..` resolved by the file
//! system), and the rest, which does not exist yet, is applied lexically (`nothere/..` is the
//! directory it is in). The resolved path is then refused if it is the filesystem root, the
//! current directory or one containing it, the home directory or one containing it, or a
//! repository root of any common version control system (`.git` directory or file, `.hg`,
//! `.jj`, `.svn`, `.bzr`), or inside one's metadata directory (any component `.git`, ...).
//! Must not write anything.

use std::path::{Component, Path, PathBuf};

use crate::diag::Refusal;

/// The markers of a repository root.
pub const REPOSITORY_MARKERS: &[&str] = crate::config::names::VCS_METADATA_DIRS;

/// The absolute path `path` names, with every existing part resolved by the file system and
/// the part that does not exist yet resolved lexically.
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()?.join(path)
    };
    // The longest prefix that exists (as the kernel resolves it).
    let parts: Vec<Component> = absolute.components().collect();
    let mut split = parts.len();
    let mut base = None;
    while split > 0 {
        let prefix: PathBuf = parts[..split].iter().collect();
        if let Ok(canonical) = prefix.canonicalize() {
            base = Some(canonical);
            break;
        }
        split -= 1;
    }
    let mut resolved = base.unwrap_or_else(|| PathBuf::from("/"));
    for part in &parts[split..] {
        match part {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => resolved.push(name),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Ok(resolved)
}

/// Refuses a write root that is dangerous to manage; `shown` is the path as the user wrote it
/// (for the message), `resolved` what [`resolve`] made of it.
pub fn check(shown: &Path, resolved: &Path) -> Result<(), Refusal> {
    if resolved.parent().is_none() {
        return Err(Refusal::FilesystemRoot);
    }
    if let Ok(cwd) = std::env::current_dir().and_then(|c| c.canonicalize()) {
        if resolved == cwd {
            return Err(Refusal::CurrentDirectory(shown.to_owned()));
        }
        if cwd.starts_with(resolved) {
            return Err(Refusal::ContainsCurrentDirectory(shown.to_owned()));
        }
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
        && let Ok(home) = home.canonicalize()
        && home.starts_with(resolved)
    {
        return Err(Refusal::HomeDirectory(shown.to_owned()));
    }
    if let Some(dir) = resolved
        .components()
        .find_map(|c| crate::config::names::vcs_metadata(&c.as_os_str().to_string_lossy()))
    {
        return Err(Refusal::VcsMetadata(shown.to_owned(), dir.to_owned()));
    }
    if let Some(own) = resolved.components().find_map(|c| {
        let name = c.as_os_str().to_string_lossy();
        crate::config::names::agentctl_file(&name).map(|_| name.into_owned())
    }) {
        return Err(Refusal::AgentctlFile(shown.to_owned(), own));
    }
    if let Some(marker) = REPOSITORY_MARKERS
        .iter()
        .find(|m| std::fs::symlink_metadata(resolved.join(m)).is_ok())
    {
        return Err(Refusal::RepositoryRoot(
            shown.to_owned(),
            (*marker).to_owned(),
        ));
    }
    Ok(())
}

/// The path from directory `from` to `to` (both resolved, absolute): `../agentctl.yaml`.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to[common..] {
        out.push(part.as_os_str());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_path_resolves_lexically_after_its_existing_part() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        assert_eq!(resolve(&base.join("nothere/..")).unwrap(), base);
        assert_eq!(resolve(&base.join("a/b/../c")).unwrap(), base.join("a/c"));
        std::fs::create_dir(base.join("real")).unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        assert_eq!(resolve(&base.join("link/x/..")).unwrap(), base.join("real"));
    }

    #[test]
    fn relative_paths_climb_and_descend() {
        assert_eq!(
            relative(Path::new("/a/b/deploy"), Path::new("/a/b/agentctl.yaml")),
            PathBuf::from("../agentctl.yaml")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a/x/p.yaml")),
            PathBuf::from("x/p.yaml")
        );
    }
}
