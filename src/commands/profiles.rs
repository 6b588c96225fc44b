//! `agentctl profiles`: list the built-in profiles, show one, or diff two.

use anyhow::Context;

use super::Outcome;
use crate::cli::ProfilesAction;
use crate::diag::{Error, Result};
use crate::input::layers::{self, Inputs};
use crate::input::profiles;
use crate::output;
use crate::pipeline;

/// Runs `profiles`.
pub fn run(action: Option<&ProfilesAction>) -> Result<Outcome> {
    match action {
        None => {
            let width = profiles::PROFILES
                .iter()
                .map(|p| p.name.len())
                .max()
                .unwrap_or(0);
            let mut text = String::new();
            for p in profiles::PROFILES {
                text.push_str(&format!("{:width$}  {}\n", p.name, p.description()));
            }
            output::print(&text)?;
        }
        Some(ProfilesAction::Show { name }) => {
            // Through the layer loader, so an unknown name gets the same diagnostic as -p.
            layers::profile(name).map_err(Error::Input)?;
            let p = profiles::find(name).context("profile vanished")?;
            output::print(p.text)?;
        }
        Some(ProfilesAction::Diff { a, b }) => {
            let one = |name: &str| {
                pipeline::resolve(&Inputs {
                    profiles: vec![name.to_owned()],
                    ..Inputs::default()
                })
            };
            let (left, right) = match (one(a), one(b)) {
                (Ok(l), Ok(r)) => (l, r),
                (Err(Error::Input(mut d)), Err(Error::Input(e))) => {
                    d.extend(e);
                    return Err(Error::Input(d));
                }
                (Err(e), _) | (_, Err(e)) => return Err(e),
            };
            output::print(&crate::resolve::explain::profiles_diff(
                (a, &left),
                (b, &right),
            )?)?;
        }
    }
    Ok(Outcome::Ok)
}
