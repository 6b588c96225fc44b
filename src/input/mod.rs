//! Input: every source agentctl reads, turned into located layer trees.
//!
//! Owns reading files (bounded, checked reads), the YAML parser (only [`yaml`] names the YAML
//! crate), the built-in [`profiles`], the layer loader ([`layers`]: defaults, profiles, `-f`
//! files, `--set` flags, project `set:` entries), the strict schema check of each layer tree
//! ([`schema_check`]), the credential scanner handed to every source read ([`credentials`])
//! and the project file parser ([`project`]). Must not merge, validate across fields, render
//! or write anything.

pub mod again;
pub mod beneath;
pub mod crds;
pub mod credentials;
pub mod extras;
pub mod layers;
pub mod profiles;
pub mod project;
pub mod reads;
pub mod schema_check;
pub mod yaml;
