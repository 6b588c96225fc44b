//! `agentctl explain [PATH]`: a setting's documentation, type, default, layers and value.

use super::Outcome;
use crate::cli::InputArgs;
use crate::diag::Result;
use crate::input::layers::Inputs;
use crate::output;
use crate::pipeline;

/// Runs `explain`.
pub fn run(inputs: &InputArgs, path: Option<&str>) -> Result<Outcome> {
    let merged = pipeline::resolve(&Inputs::from(inputs))?;
    output::print(&crate::resolve::explain::explain(&merged, path)?)?;
    Ok(Outcome::Ok)
}
