//! `agentctl man`: man pages, generated from the clap declarations in [`crate::cli`].
//!
//! Generated, never hand-written, so they cannot drift from the real flags. `agentctl man
//! --out DIR` writes one page per command (`agentctl.1`, `agentctl-render.1`, ...); it
//! overwrites only pages it generated itself (their title line names agentctl) and refuses
//! before writing anything if another file is in the way.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::Cli;

fn man_command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

fn render_page(cmd: clap::Command) -> Result<(String, Vec<u8>)> {
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    man.render(&mut buf).context("rendering a man page")?;
    Ok((
        man.get_filename(),
        keep_examples(&String::from_utf8_lossy(&buf)).into_bytes(),
    ))
}

/// The roff with every run of indented text lines (the examples of the help text, one
/// command a line) in no-fill mode (`.nf` … `.fi`): man would otherwise justify a long
/// command across the page and hyphenate it mid-word, and a copied example would not run.
fn keep_examples(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len() + 64);
    let mut verbatim = false;
    for line in roff.lines() {
        let example = line.starts_with("  ") && !line.trim().is_empty();
        if example && !verbatim {
            out.push_str(".nf\n");
            verbatim = true;
        } else if !example && verbatim {
            out.push_str(".fi\n");
            verbatim = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    if verbatim {
        out.push_str(".fi\n");
    }
    out
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
    crate::output::files::write_pages(dir, pages()?, is_ours)
}

/// Runs `man`: the page on stdout, or every page into `out`.
pub fn run(ctx: super::Ctx, out: Option<&Path>) -> crate::diag::Result<super::Outcome> {
    match out {
        None => crate::output::print(&String::from_utf8_lossy(&page()?))?,
        Some(dir) => {
            let written = write_pages(dir)?;
            if !ctx.quiet {
                crate::sayln!("wrote {} man pages to {}", written.len(), dir.display());
            }
        }
    }
    Ok(super::Outcome::Ok)
}
