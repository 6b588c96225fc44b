//! The one error family: [`Error`] (input diagnostics, or anything else with its context,
//! typed [`Refusal`]s included) and [`PartialWrite`] (a write interrupted after its first
//! change, exit code 4), with how each is printed and which exit code it ends a run with.

use std::fmt;

use super::diagnostic::Diagnostic;
use super::refusal::Refusal;
use super::safe::safe;

/// Everything that ends a run with exit code 2.
#[derive(Debug)]
pub enum Error {
    /// Problems in the inputs, all of them.
    Input(Vec<Diagnostic>),
    /// Anything else (I/O, refused output), with context.
    Other(anyhow::Error),
}

/// An I/O error after the first file was replaced: some files are new, the rest old (each
/// file is whole, never torn). Exit code 4; the message lists exactly what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialWrite {
    /// What changed before the error, one line each (`updated deploy/prod/service.yaml`).
    pub done: Vec<String>,
    /// The operation that failed and why.
    pub failed: String,
    /// Files whose new content was staged but not put in place (they keep their old content).
    pub pending: Vec<String>,
}

impl fmt::Display for PartialWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; the output is partly written (every file is either old or new, none is torn)",
            self.failed
        )?;
        if self.done.is_empty() {
            f.write_str(
                "
  nothing had changed yet",
            )?;
        } else {
            f.write_str(
                "
  changed before the error:",
            )?;
            for line in &self.done {
                write!(
                    f,
                    "
    {line}"
                )?;
            }
        }
        if !self.pending.is_empty() {
            f.write_str(
                "
  not changed (still the old content):",
            )?;
            for line in &self.pending {
                write!(
                    f,
                    "
    {line}"
                )?;
            }
        }
        f.write_str(
            "
   = help: fix the cause and run the same command again: it completes the write",
        )
    }
}

impl std::error::Error for PartialWrite {}

impl Error {
    /// The exit code this error ends a run with: 4 for a write interrupted after its first
    /// change ([`PartialWrite`]), else 2. (3 is `diff --fail-on`'s, an outcome, not an error.)
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Other(e) if e.chain().any(|c| c.is::<PartialWrite>()) => 4,
            _ => 2,
        }
    }

    /// The refusal this error is, if it is one (wrapped in any context): for tests by kind.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Input(_) => None,
            Error::Other(e) => e.chain().find_map(|c| c.downcast_ref::<Refusal>()),
        }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Error::Other(anyhow::Error::new(r))
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Other(e)
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Input(vec![d])
    }
}

impl From<Vec<Diagnostic>> for Error {
    fn from(d: Vec<Diagnostic>) -> Self {
        Error::Input(d)
    }
}

/// The most diagnostics an error prints; past it, only their count (the first ones are the
/// ones to fix first: a run reports every problem, not an unreadable wall of them).
pub const SHOWN_ERRORS: usize = 100;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(diags) => {
                let total = diags.len() + diags.iter().map(|d| d.more).sum::<usize>();
                for (i, d) in diags.iter().take(SHOWN_ERRORS).enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{d}")?;
                }
                let shown = diags.len().min(SHOWN_ERRORS);
                if total > shown {
                    write!(
                        f,
                        "\n{total} errors, the first {shown} shown; nothing was written\n"
                    )?;
                } else if total > 1 {
                    write!(f, "\n{total} errors; nothing was written\n")?;
                }
                Ok(())
            }
            Error::Other(e) => {
                let mut out = format!("error: {e}");
                for cause in e.chain().skip(1) {
                    out.push_str(&format!("\n  caused by: {cause}"));
                }
                out.push('\n');
                f.write_str(&safe(&out))
            }
        }
    }
}
