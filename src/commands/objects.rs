//! `agentctl __objects` (hidden): prints the table of rendered objects and kinds
//! ([`crate::render::objects`]), so the scripts that check agentctl's output against real tools
//! (`scripts/conformance/check.py`, `scripts/cluster/e2e.py`) read the kinds from agentctl
//! instead of keeping their own lists. Not in `--help`, the man pages or the completions.

use serde_json::{Value as J, json};

use super::Outcome;
use crate::cli::ObjectsFormat;
use crate::config::Config;
use crate::diag::Result;
use crate::output;
use crate::render::objects::{KINDS, OBJECTS, Scope, Served};

/// The table as JSON: `objects` (file, kinds, rendered by default) in apply order, and `kinds`.
pub fn json() -> J {
    let defaults = Config::default();
    let objects: Vec<J> = OBJECTS
        .iter()
        .map(|o| {
            json!({
                "file": o.file,
                "kinds": o.kinds.iter().map(|k| k.kind).collect::<Vec<_>>(),
                "default": (o.when)(&defaults),
            })
        })
        .collect();
    let kinds: Vec<J> = KINDS
        .iter()
        .map(|k| {
            let (served, operator) = match k.served {
                Served::BuiltIn => ("built-in", None),
                Served::Crd { operator } => ("crd", Some(operator)),
                Served::Kubectl => ("kubectl", None),
            };
            json!({
                "apiVersion": k.api,
                "group": k.group,
                "kind": k.kind,
                "plural": k.plural,
                "scope": k.scope,
                "served": served,
                "operator": operator,
                "namespacedInCluster": k.namespaced_in_cluster(),
            })
        })
        .collect();
    json!({"objects": objects, "kinds": kinds})
}

/// The table as two aligned text tables.
pub fn text() -> String {
    let defaults = Config::default();
    let mut rows = vec![["FILE".to_owned(), "DEFAULT".to_owned(), "KINDS".to_owned()]];
    rows.extend(OBJECTS.iter().map(|o| {
        [
            o.file.to_owned(),
            if (o.when)(&defaults) { "yes" } else { "no" }.to_owned(),
            o.kinds
                .iter()
                .map(|k| k.kind)
                .collect::<Vec<_>>()
                .join(", "),
        ]
    }));
    let mut out = table(&rows);
    out.push('\n');
    let mut rows = vec![[
        "KIND".to_owned(),
        "API".to_owned(),
        "SCOPE".to_owned(),
        "SERVED BY".to_owned(),
    ]];
    rows.extend(KINDS.iter().map(|k| {
        [
            k.kind.to_owned(),
            k.api.to_owned(),
            match k.scope {
                Scope::Namespaced => "namespaced",
                Scope::Cluster => "cluster",
            }
            .to_owned(),
            match k.served {
                Served::BuiltIn => "the API server".to_owned(),
                Served::Crd { operator } => format!("a CRD: {operator}"),
                Served::Kubectl => "kubectl (never sent)".to_owned(),
            },
        ]
    }));
    out.push_str(&table(&rows));
    out
}

fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Runs `__objects`.
pub fn run(format: ObjectsFormat) -> Result<Outcome> {
    match format {
        ObjectsFormat::Json => output::print_json(&format!("{:#}\n", json()))?,
        ObjectsFormat::Text => output::print(&text())?,
    }
    Ok(Outcome::Ok)
}
