//! Fuzz target: arbitrary bytes as an override file → layer → merged → validated config, and a
//! configuration that validates must render. Any panic (or abort) is a bug: every bad input must
//! end in a diagnostic.

use std::path::Path;
use std::sync::OnceLock;

use agentctl::diag::Origin;
use agentctl::input::{credentials, layers};
use agentctl::render::{Renderer, bundle};
use agentctl::resolve::{merge, validate};

fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(|| Renderer::new().expect("built-in templates compile"))
}

fn one(data: &[u8]) {
    let path = Path::new("fuzz.yaml");
    let Ok(text) = layers::text_of(path, data.to_vec()) else {
        return;
    };
    let source = credentials::source(Origin::File(path.to_owned()), text);
    let layer = match layers::from_text(source) {
        Ok(l) => l,
        Err(diags) => {
            // Rendering the diagnostics must not panic either.
            for d in diags {
                let _ = d.to_string();
            }
            return;
        }
    };
    let merged = match merge::merge(&[layers::defaults(), layer]) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    if let Err(e) = validate::validate(&merged) {
        let _ = e.to_string();
        return;
    }
    if let Err(e) = bundle::build(renderer(), &merged.config) {
        panic!("a configuration that validates failed to render: {e:#}");
    }
}

fn main() {
    renderer();
    afl::fuzz!(|data: &[u8]| {
        one(data);
    });
}
