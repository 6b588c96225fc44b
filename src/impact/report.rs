//! The impact findings for people (one line per changed object, under the diff's summary), as
//! JSON (`--format json`, schema `agentctl impact v1`) and as Markdown (`--format markdown`, a
//! pull-request comment).

use serde_json::{Value as J, json};

use super::markdown as md;
use super::{Class, Impact};

/// The schema name of the JSON output.
pub const SCHEMA: &str = "agentctl impact v1";

fn reasons(i: &Impact) -> String {
    i.findings
        .iter()
        .map(|f| f.reason.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn classes(i: &Impact) -> String {
    i.classes()
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line per changed object, indented, with the environment when there is one.
pub fn human(impacts: &[Impact]) -> String {
    let mut out = String::new();
    for i in impacts {
        let env = i
            .environment
            .as_deref()
            .map(|e| format!("[{e}] "))
            .unwrap_or_default();
        out.push_str(&format!("  {env}{} {}", i.change.name(), i.object()));
        let (c, r) = (classes(i), reasons(i));
        if !c.is_empty() {
            out.push_str(&format!(": {c}"));
        }
        if !r.is_empty() {
            out.push_str(&format!(" — {r}"));
        }
        if let Some(fix) = i.fix() {
            out.push_str(&format!("; fix: {fix}"));
        }
        out.push('\n');
    }
    out
}

/// How many changes carry each class, in [`Class::ALL`] order (classes with none left out).
pub fn counts(impacts: &[Impact]) -> Vec<(Class, usize)> {
    Class::ALL
        .iter()
        .map(|c| {
            (
                *c,
                impacts.iter().filter(|i| i.classes().contains(c)).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// How many objects the impacts are about: `3 changed objects`, `2 changed objects and 1
/// affected` (an unchanged object a lint rule now fires on, counted apart: it is not a change).
pub fn objects(impacts: &[Impact]) -> String {
    let affected = impacts
        .iter()
        .filter(|i| i.change == super::Change::Affected)
        .count();
    let changed = impacts.len() - affected;
    let mut text = format!(
        "{changed} changed object{}",
        if changed == 1 { "" } else { "s" }
    );
    if affected > 0 {
        text.push_str(&format!(" and {affected} affected"));
    }
    text
}

/// The heading line of the human report: `impact of 3 changed objects: 1 rollout, 1 recreate`.
pub fn heading(impacts: &[Impact]) -> String {
    let mut text = format!("impact of {}", objects(impacts));
    let c = counts(impacts);
    if !c.is_empty() {
        let parts: Vec<String> = c.iter().map(|(c, n)| format!("{n} {}", c.name())).collect();
        text.push_str(&format!(": {}", parts.join(", ")));
    }
    text
}

/// The JSON document: `{schema, counts, changes: [...], notAnalyzed: [...]}` (what could not be
/// read, so was not analyzed).
pub fn json(impacts: &[Impact], not_analyzed: &[String]) -> String {
    let changes: Vec<J> = impacts
        .iter()
        .map(|i| {
            json!({
                "environment": i.environment,
                "kind": i.kind,
                "namespace": i.namespace,
                "name": i.name,
                "change": i.change.name(),
                "impact": i.classes().iter().map(|c| c.name()).collect::<Vec<_>>(),
                "reasons": i.findings.iter().map(|f| json!({
                    "class": f.class.map(Class::name),
                    "text": f.reason,
                    "fix": f.fix,
                })).collect::<Vec<_>>(),
                "fix": i.fix(),
            })
        })
        .collect();
    let mut counts = serde_json::Map::new();
    for c in Class::ALL {
        let n = impacts.iter().filter(|i| i.classes().contains(&c)).count();
        counts.insert(c.name().to_owned(), J::from(n));
    }
    let doc = json!({
        "schema": SCHEMA,
        "counts": counts,
        "changes": changes,
        "notAnalyzed": not_analyzed,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The most a pull-request comment may hold (GitHub refuses a longer one), in bytes, which is
/// never fewer than its characters.
pub const COMMENT_CAP: usize = 65_536;

/// The Markdown report for a pull-request comment: a summary, one table row per changed
/// object, the files not analyzed. Every value is escaped (`super::markdown`); past
/// [`COMMENT_CAP`] the rows that do not fit are left out and a last line says how many and how
/// to see them all.
pub fn markdown(impacts: &[Impact], not_analyzed: &[String]) -> String {
    let mut out = String::from("### agentctl: what this change does to the running system\n\n");
    let notes: String = not_analyzed
        .iter()
        .map(|u| format!("- not analyzed: {}\n", md::text(u)))
        .collect();
    let notes = if notes.is_empty() {
        notes
    } else {
        format!("\n**{} not analyzed** ⚠️\n\n{notes}", not_analyzed.len())
    };
    if impacts.is_empty() {
        out.push_str("No object changes.\n");
        push_capped(&mut out, &notes);
        return out;
    }
    let c = counts(impacts);
    let warn = |c: Class| {
        matches!(
            c,
            Class::Stall | Class::Recreate | Class::DataLoss | Class::Security
        )
    };
    let summary: Vec<String> = c
        .iter()
        .map(|(c, n)| {
            if warn(*c) {
                format!("**{n} {}** ⚠️", c.name())
            } else {
                format!("{n} {}", c.name())
            }
        })
        .collect();
    out.push_str(&format!(
        "{}{}\n\n",
        objects(impacts),
        if summary.is_empty() {
            String::new()
        } else {
            format!(": {}", summary.join(", "))
        }
    ));
    let envs = impacts.iter().any(|i| i.environment.is_some());
    if envs {
        out.push_str(
            "| environment | change | object | impact | why | fix |\n|---|---|---|---|---|---|\n",
        );
    } else {
        out.push_str("| change | object | impact | why | fix |\n|---|---|---|---|---|\n");
    }
    // Room kept for the notes and the truncation line.
    let room = COMMENT_CAP.saturating_sub(notes.len().min(COMMENT_CAP / 2) + TRUNCATION_ROOM);
    let mut shown = 0;
    for i in impacts {
        let impact: Vec<String> = i
            .classes()
            .iter()
            .map(|c| {
                if warn(*c) {
                    format!("**{}**", c.name())
                } else {
                    c.name().to_owned()
                }
            })
            .collect();
        let env = if envs {
            format!("| {} ", md::text(i.environment.as_deref().unwrap_or("")))
        } else {
            String::new()
        };
        let row = format!(
            "{env}| {} | {} | {} | {} | {} |\n",
            i.change.name(),
            md::code(&i.object()),
            impact.join(", "),
            md::text(&reasons(i)),
            i.fix().map(|f| md::text(&f)).unwrap_or_default()
        );
        if out.len() + row.len() > room {
            break;
        }
        out.push_str(&row);
        shown += 1;
    }
    if shown < impacts.len() {
        let left = impacts.len() - shown;
        out.push_str(&format!(
            "\n**{left} of {} changed objects left out**: a comment holds at most {COMMENT_CAP} characters. \
             Run the same `agentctl diff` with `--format text` (or `--format json`) to see every change.\n",
            impacts.len()
        ));
    }
    push_capped(&mut out, &notes);
    out
}

/// Room the truncation line needs.
const TRUNCATION_ROOM: usize = 512;

/// `text` appended as far as the cap allows, whole lines only.
fn push_capped(out: &mut String, text: &str) {
    for line in text.split_inclusive('\n') {
        if out.len() + line.len() + "- …\n".len() > COMMENT_CAP {
            out.push_str("- …\n");
            break;
        }
        out.push_str(line);
    }
}
