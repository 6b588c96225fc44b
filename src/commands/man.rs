//! Shell completions and man pages, generated from the clap declarations in [`crate::cli`].
//!
//! Generated, never hand-written, so they cannot drift from the real flags. `agentctl man
//! --out DIR` writes one page per command (`agentctl.1`, `agentctl-render.1`, ...); it
//! overwrites only pages it generated itself (their title line names agentctl) and refuses
//! before writing anything if another file is in the way.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::CommandFactory;

use crate::cli::Cli;

/// The completion script for a shell.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "agentctl", &mut buf);
    buf
}

fn man_command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

fn render_page(cmd: clap::Command) -> Result<(String, Vec<u8>)> {
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    man.render(&mut buf).context("rendering a man page")?;
    Ok((man.get_filename(), buf))
}

/// The top-level man page (`agentctl.1`).
pub fn page() -> Result<Vec<u8>> {
    Ok(render_page(man_command())?.1)
}

/// Every page: the top level, then each command and subcommand, as (file name, roff).
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        out.push(render_page(cmd.clone())?);
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, out)?;
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(&man_command(), &mut out)?;
    Ok(out)
}

fn is_ours(content: &[u8]) -> bool {
    String::from_utf8_lossy(content).contains("\n.TH agentctl")
}

/// Writes every page into `dir` (created if missing); returns the files written.
pub fn write_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let pages = pages()?;
    if dir.exists() && !dir.is_dir() {
        bail!("`{}` exists and is not a directory", dir.display());
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
        bail!(
            "refusing to overwrite files that are not agentctl man pages; nothing was written:\n  {}",
            refused.join("\n  ")
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let mut written = Vec::new();
    for (name, content) in pages {
        let path = dir.join(&name);
        let mut tmp = tempfile::Builder::new()
            .prefix(".agentctl-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("creating a temporary file in `{}`", dir.display()))?;
        tmp.write_all(&content)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        tmp.persist(&path)
            .with_context(|| format!("writing `{}`", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
