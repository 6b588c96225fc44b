//! `agentctl config`: the effective configuration as YAML, optionally with each value's origin.
//! With `--show-origin` and patches, it also renders, to say what each patch changed.

use super::{OneConfiguration, Outcome};
use crate::diag::Result;
use crate::output;
use crate::pipeline;
use crate::render::Renderer;

/// Runs `config`.
pub fn run(one: &OneConfiguration, show_origin: bool) -> Result<Outcome> {
    let inputs = &one.inputs;
    let merged = one.resolve()?;
    let mut text = crate::resolve::explain::config_yaml(&merged, show_origin)?;
    if show_origin && !merged.patches.is_empty() {
        let renderer = Renderer::new()?;
        let (_, bundle) = pipeline::build(&renderer, inputs)?;
        text.push_str("# what the patches changed in the rendered objects:\n");
        for a in &bundle.patched {
            text.push_str(&format!(
                "#   patches[{}] ({}) {}: {}\n",
                a.index,
                a.origin,
                a.object,
                a.changes.join(", ")
            ));
        }
    }
    if show_origin && !merged.accepts.is_empty() {
        text.push_str("# lint findings accepted (agentctl lint shows each one):\n");
        for a in &merged.accepts {
            text.push_str(&format!(
                "#   accept[{}] ({}) {} on {}: {}\n",
                a.index,
                a.origin(),
                a.rule,
                a.object,
                a.reason
            ));
        }
    }
    output::print(&text)?;
    Ok(Outcome::Ok)
}
