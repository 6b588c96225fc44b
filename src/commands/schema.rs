//! `agentctl schema`: the JSON Schema of override files, or with `--project`, of project files.

use anyhow::Context;

use super::Outcome;
use crate::diag::Result;
use crate::input::profiles::PROFILES;
use crate::output;

/// The JSON Schema of override files, pretty-printed, with a final newline.
pub fn text() -> Result<String> {
    pretty(crate::config::schema::schema())
}

/// The JSON Schema of project files (`agentctl.yaml`), pretty-printed, with a final newline.
pub fn project_text() -> Result<String> {
    let names: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
    pretty(&crate::config::project::schema(&names))
}

fn pretty(schema: &serde_json::Value) -> Result<String> {
    let text = serde_json::to_string_pretty(schema).context("serializing the schema")?;
    Ok(format!("{text}\n"))
}

/// Runs `schema`.
pub fn run(project: bool) -> Result<Outcome> {
    output::print_json(&if project { project_text()? } else { text()? })?;
    Ok(Outcome::Ok)
}
