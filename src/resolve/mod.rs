//! Resolve: from layers to one effective, valid configuration.
//!
//! Owns the merge with the origin of every value ([`merge`]), the cross-field rules
//! ([`validate`]) and the read-only views of a merged configuration ([`explain`]: `config`,
//! `explain`, `profiles diff`). Must not read files, render templates or write anything.

pub mod explain;
pub mod merge;
pub mod validate;
