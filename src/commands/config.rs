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
    let bundle = if show_origin && !merged.patches.is_empty() {
        let renderer = Renderer::new()?;
        Some(pipeline::build(&renderer, inputs)?.1)
    } else {
        None
    };
    let overridden: Vec<(String, String, String)> = bundle
        .iter()
        .flat_map(|b| &b.overrides)
        .map(|o| (o.set.clone(), o.origin_note(true), o.origin_note(false)))
        .collect();
    let mut text = crate::resolve::explain::config_yaml_with(&merged, show_origin, &overridden)?;
    if let Some(bundle) = &bundle {
        text.push_str("# what the patches changed in the rendered objects:\n");
        for a in &bundle.patched {
            let mut over: Vec<&str> = Vec::new();
            // A setting with several fields the patch changed is named once.
            for o in bundle
                .overrides
                .iter()
                .filter(|o| o.object == a.object && o.entry == format!("patches[{}]", a.index))
            {
                if !over.contains(&o.setting.as_str()) {
                    over.push(&o.setting);
                }
            }
            let over = if over.is_empty() {
                String::new()
            } else {
                format!(" (overrides {})", over.join(", "))
            };
            let changes = if a.located.is_empty() {
                "no change (the object already had what it writes)".to_owned()
            } else {
                a.changes().join(", ")
            };
            text.push_str(&format!(
                "#   patches[{}] ({}) {}: {changes}{over}\n",
                a.index, a.origin, a.object,
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
