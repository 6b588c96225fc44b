//! Diagnostics: located, explained errors, laid out the way rustc lays them out.
//!
//! Every problem agentctl reports about its inputs is a [`Diagnostic`]: what is wrong, the
//! config path, the layer and `line:column` it came from, the source line with a caret under
//! the culprit, what was expected and, where one exists, a fix ("did you mean `min`?"). Stages
//! collect all the problems they find and return them together, so one run shows them all.
//! Rendering keeps messages safe and short whatever the input: values of keys that look like
//! credentials are masked in quoted lines and `--set` flags, long lines are cut to a window
//! around the caret (measured in display columns), and long quoted values are clipped.
//!
//! Owns the one error family ([`Error`]: input diagnostics, typed [`Refusal`]s, other errors
//! with context) and its one renderer (`Display`). Must not decide what is wrong or what a
//! credential's span is (the stages and `input::credentials` do), parse YAML, or touch files:
//! it only renders what it is given. Files: `source` (where), `diagnostic` (what, and the
//! builder), `safe` (masking and escaping), `render` (the one renderer), `error` (the error
//! family and exit codes), `refusal` (the typed refusals).

pub mod refusal;

mod diagnostic;
mod error;
mod render;
mod safe;
mod source;

pub use diagnostic::{Diagnostic, Related};
pub use error::{Error, PartialWrite, SHOWN_ERRORS};
pub use refusal::Refusal;
pub use safe::{Mask, REDACTED, redact, safe};
pub(crate) use source::key_len;
pub use source::{Masker, Origin, Pos, Source};

/// Result alias for the pipeline.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
