//! `agentctl explain [PATH]`: a setting's documentation, type, default, layers and value.
//! With patches, it also renders, to say which of the settings it shows a patch overrides (the
//! final value is the patch's).

use super::{OneConfiguration, Outcome};
use crate::diag::Result;
use crate::output;
use crate::pipeline;
use crate::render::Renderer;

/// Runs `explain`.
pub fn run(one: &OneConfiguration, path: Option<&str>) -> Result<Outcome> {
    let merged = one.resolve()?;
    let mut text = crate::resolve::explain::explain(&merged, path)?;
    let shown = path.unwrap_or("").trim();
    if !merged.patches.is_empty()
        && !shown.starts_with("patches")
        && !shown.starts_with("resources")
    {
        match pipeline::build(&Renderer::new()?, &one.inputs) {
            Ok((_, bundle)) => {
                // The overrides of this setting, of a field inside it, or of the map it is in.
                let within = |a: &str, b: &str| {
                    a.strip_prefix(b)
                        .is_some_and(|r| r.is_empty() || r.starts_with('.'))
                };
                for o in bundle.overrides.iter().filter(|o| {
                    shown.is_empty() || within(&o.set, shown) || within(shown, &o.set)
                }) {
                    if o.set != shown {
                        text.push_str(&format!("{}: ", o.set));
                    }
                    text.push_str(&o.explain());
                }
            }
            Err(_) => text.push_str(
                "note: the patches do not apply (`agentctl render` says why), so whether one overrides this setting is not known\n",
            ),
        }
    }
    output::print(&text)?;
    Ok(Outcome::Ok)
}
