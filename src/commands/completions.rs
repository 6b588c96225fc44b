//! `agentctl completions SHELL`: a completion script generated from the clap declarations.

use clap::CommandFactory;

use super::Outcome;
use crate::cli::Cli;
use crate::diag::Result;
use crate::output;

/// The completion script for a shell.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "agentctl", &mut buf);
    buf
}

/// Runs `completions`.
pub fn run(shell: clap_complete::Shell) -> Result<Outcome> {
    output::print(&String::from_utf8_lossy(&script(shell)))?;
    Ok(Outcome::Ok)
}
