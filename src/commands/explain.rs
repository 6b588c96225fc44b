//! `agentctl explain [PATH]`: a setting's documentation, type, default, layers and value.

use super::{OneConfiguration, Outcome};
use crate::diag::Result;
use crate::output;

/// Runs `explain`.
pub fn run(one: &OneConfiguration, path: Option<&str>) -> Result<Outcome> {
    let merged = one.resolve()?;
    output::print(&crate::resolve::explain::explain(&merged, path)?)?;
    Ok(Outcome::Ok)
}
