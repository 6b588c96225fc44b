//! agentctl: typed profiles and overrides in, a production Kubernetes deployment out.
//!
//! The modules are the pipeline stages, in data-flow order:
//! [`layers`] (each source parsed and checked on its own, via [`yaml`] and [`schema`]) →
//! [`merge`] (one [`config::Config`], with the origin of every value) → [`validate`]
//! (cross-field rules) → [`render`] (templates) → [`check`] (round trip through the Kubernetes
//! types) → [`bundle`] (canonical files) → [`output`] (directory, stream or diff).
//! [`diag`] renders errors; [`app`] wires the commands; [`cli`] declares them.
//! Around the pipeline: [`diff`] (unified diffs against a directory), [`explain`] (`config`,
//! `explain`, `profiles diff`), [`init`] (starter files), [`manual`] (completions, man pages)
//! and [`term`] (color).

pub mod app;
pub mod bundle;
pub mod check;
pub mod check_httproute;
pub mod cli;
pub mod config;
pub mod config_fit;
pub mod diag;
pub mod diff;
pub mod explain;
pub mod init;
pub mod layers;
pub mod manual;
pub mod merge;
pub mod output;
pub mod profiles;
pub mod project;
pub mod render;
pub mod render_fit;
pub mod schema;
pub mod term;
pub mod validate;
pub mod yaml;
