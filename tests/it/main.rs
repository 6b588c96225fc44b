//! The integration tests: one test binary (one link, one process to start), one module per
//! area, and one [`support`] module every module uses to run the built binary (the
//! `support::agentctl` builder, with a fixed environment), write a run into a snapshot
//! (`Run::transcript`), make scratch directories and pin snapshots.
//!
//! Snapshots live under the top-level `snapshots/`, grouped by what they pin:
//! `manifests/CASE/FILE.snap` (every output file of every profile, combination and example),
//! `errors/` (the gallery of every user-facing error; `errors/project/` for project files),
//! `cli/` (runs of the everyday commands) and `resolved/` (effective settings: `config`,
//! `explain`). Run the suite as the README says, `scripts/test.sh` (`cargo insta test --check
//! --unreferenced=reject`, installing the pinned cargo-insta when missing): besides every
//! test, that fails on a snapshot no test pins.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

mod attacks;
mod attacks_claims;
mod attacks_final;
mod attacks_output;
mod attacks_outside;
mod attacks_owner;
mod attacks_state;
mod base_build;
mod batched_write;
mod cli;
mod cluster;
mod complete_fields;
mod crds;
mod e2e;
mod errors;
mod escape;
mod escape_encoded;
mod escape_fields;
mod escape_keys;
mod escape_limits;
mod escape_shapes;
mod fit_around;
mod fit_exposure;
mod fit_trial;
mod fit_trial2;
mod fit_typed;
mod gitops;
mod impact;
mod instance;
mod keda;
mod kubectl;
mod lint;
mod manifests;
mod matrix;
mod memo;
mod memo_project;
mod merge_props;
mod output_safety;
mod overrides;
mod patches;
mod project;
mod quota;
mod readme;
mod reattack;
mod render_check;
mod schema;
mod typed_gates;
