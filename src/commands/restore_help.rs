//! `agentctl restore-help`: prints the restore procedure the render stage writes for the
//! resolved deployment ([`crate::render::restore::for_deployment`]) on stdout; exit 2 with a
//! located error when the in-cluster Redis is off.

use super::{OneConfiguration, Outcome};
use crate::diag::{Error, Result};
use crate::output;
use crate::render::restore;

/// Runs `restore-help`.
pub fn run(one: &OneConfiguration) -> Result<Outcome> {
    let merged = one.resolve()?;
    let text = restore::for_deployment(&merged).map_err(|d| Error::Input(vec![d]))?;
    output::print(&text)?;
    Ok(Outcome::Ok)
}
