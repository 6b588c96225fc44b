//! The renders of many targets brought together: every render kept, or every problem of every
//! environment merged (one diagnostic naming all the environments it applies to), and the bound
//! on what one run writes in all. Apart from `pipeline` so that the pipeline reads as its steps.

use anyhow::anyhow;

use super::{Rendered, Target};
use crate::diag::{Diagnostic, Error, Result};

/// Keeps the renders, or merges the errors: identical diagnostics from several environments
/// become one, naming them all. A single render's errors are returned as they are.
pub(super) fn gather(
    targets: &[Target],
    mut results: Vec<Result<Rendered>>,
) -> Result<Vec<Rendered>> {
    if let [Target { name: None, .. }] = targets {
        return match results.pop() {
            Some(r) => r.map(|r| vec![r]),
            None => Err(Error::Other(anyhow!("a render thread panicked"))),
        };
    }
    let mut ok = Vec::new();
    let mut diags: Vec<(Diagnostic, Vec<&str>)> = Vec::new();
    let mut others = Vec::new();
    for (t, r) in targets.iter().zip(results) {
        let name = t.name.as_deref().unwrap_or_default();
        match r {
            Ok(r) => ok.push(r),
            Err(Error::Input(ds)) => {
                for d in ds {
                    match diags.iter_mut().find(|(seen, _)| *seen == d) {
                        Some((_, names)) => names.push(name),
                        None => diags.push((d, vec![name])),
                    }
                }
            }
            Err(Error::Other(e)) => others.push(format!("environment `{name}`: {e:#}")),
        }
    }
    if !diags.is_empty() {
        return Err(Error::Input(
            diags
                .into_iter()
                .map(|(d, names)| d.note(in_environments(&names)))
                .collect(),
        ));
    }
    if !others.is_empty() {
        return Err(Error::Other(anyhow!(
            "{}\nnothing was written",
            others.join("\n")
        )));
    }
    let total = ok
        .iter()
        .flat_map(|r| &r.bundle.files)
        .map(|f| f.content.len() as u64)
        .sum();
    crate::render::size::refuse_total(total, ok.len())?;
    Ok(ok)
}

/// `in environment `a`` or `in environments `a`, `b`` (five named, then a count).
pub(super) fn in_environments(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut list: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    if names.len() > SHOWN {
        list.push(format!("and {} more", names.len() - SHOWN));
    }
    if names.len() == 1 {
        format!("in environment {}", list.join(", "))
    } else {
        format!("in environments {}", list.join(", "))
    }
}
