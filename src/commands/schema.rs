//! `agentctl schema`: the JSON Schema of override files.

use anyhow::Context;

use super::Outcome;
use crate::diag::Result;
use crate::output;

/// The JSON Schema of override files, pretty-printed, with a final newline.
pub fn text() -> Result<String> {
    let text = serde_json::to_string_pretty(crate::config::schema::schema())
        .context("serializing the schema")?;
    Ok(format!("{text}\n"))
}

/// Runs `schema`.
pub fn run() -> Result<Outcome> {
    output::print(&text()?)?;
    Ok(Outcome::Ok)
}
