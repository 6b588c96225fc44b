//! The `agentctl` binary: parse the command line, run, map the outcome to an exit code.
//!
//! Completion requests from a shell (`COMPLETE=...`, see `agentctl completions`) are answered
//! first.
//! 0: success. 1: the thing asked about was found (drift in `diff` / `render --check`; not
//! healthy in `status`; findings in `doctor`).
//! 2: any error (usage, bad input, refused output, I/O), and nothing was written.
//! 3: drift with a change of an impact class named by `--fail-on` (`diff`, `render --check`).
//! 4: a write interrupted by an I/O error after the output directory started changing; the
//! message lists exactly which files changed (each file is old or new, never torn).
//! A panic is a bug, never an exit path.

use std::process::ExitCode;

use agentctl::commands::{self, Outcome};

/// mimalloc: a render is millions of small allocations (why, and what it measured: `Cargo.toml`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `COMPLETE=<shell> agentctl -- WORDS`: answer the shell's TAB and exit.
    clap_complete::CompleteEnv::with_factory(commands::completions::command)
        .var(commands::completions::VAR)
        .complete();
    let cli = match commands::parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            commands::print_parse_error(&e);
            return ExitCode::from(code);
        }
    };
    match commands::run(&cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Found) => ExitCode::from(1),
        Ok(Outcome::Blocked) => ExitCode::from(3),
        Err(e) => {
            commands::report(&e, cli.color);
            ExitCode::from(e.exit_code())
        }
    }
}
