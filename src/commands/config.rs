//! `agentctl config`: the effective configuration as YAML, optionally with each value's origin.

use super::Outcome;
use crate::cli::InputArgs;
use crate::diag::Result;
use crate::input::layers::Inputs;
use crate::output;
use crate::pipeline;

/// Runs `config`.
pub fn run(inputs: &InputArgs, show_origin: bool) -> Result<Outcome> {
    let merged = pipeline::resolve(&Inputs::from(inputs))?;
    output::print(&crate::resolve::explain::config_yaml(&merged, show_origin)?)?;
    Ok(Outcome::Ok)
}
