//! Lint findings as text (compiler-grade: rule, object, field path, where the value was
//! written, the fix), JSON, SARIF 2.1.0 (GitHub code scanning: the rules with their docs, the
//! results located in the override files) and JUnit XML (other CI systems).

use serde_json::{Value as J, json};

use super::{Finding, RULES, Severity};

/// A JSON value in a message: a string as itself, anything else as JSON.
pub fn show(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One finding as lines of text, without a trailing newline. `env`: the environment's name
/// (empty for a single render).
pub fn text_one(f: &Finding, env: &str) -> String {
    // A finding that does not count says so where it starts, as the summary counts it: the
    // rule's severity is in its `= note:`/`= accepted:` line's company, never its first word.
    let head = match (&f.accepted, &f.intent) {
        (Some(_), _) => "accepted",
        (None, Some(_)) => "off",
        (None, None) => f.rule.severity.name(),
    };
    let mut s = format!(
        "{}[{}]: {}: {}\n  --> {} {}",
        head,
        f.rule.id,
        f.rule.title,
        f.message,
        f.object,
        f.path_text()
    );
    if !env.is_empty() {
        s.push_str(&format!(" (environment `{env}`)"));
    }
    if let Some(o) = &f.origin {
        s.push_str(&format!("\n  = set by {} at {}", o.entry, o.shown));
    }
    match (&f.accepted, &f.intent) {
        (Some(why), _) => s.push_str(&format!(
            "\n  = accepted: {why} (otherwise {})",
            a_severity(f.rule.severity)
        )),
        (None, Some(setting)) => s.push_str(&format!(
            "\n  = note: {setting} (otherwise {})",
            a_severity(f.rule.severity)
        )),
        (None, None) => s.push_str(&format!("\n  = fix: {}", f.rule.fix_for(&f.object))),
    }
    s
}

/// Every finding, one block each, then a count line.
pub fn text(findings: &[(&str, &Finding)]) -> String {
    let mut s = String::new();
    for (env, f) in findings {
        s.push_str(&text_one(f, env));
        s.push_str("\n\n");
    }
    s.push_str(&summary(findings.iter().map(|(_, f)| *f)));
    s.push('\n');
    s
}

/// `2 errors, 1 warning` or `no findings`.
pub fn summary<'a>(findings: impl Iterator<Item = &'a Finding>) -> String {
    let (mut e, mut w, mut a, mut off) = (0, 0, 0, 0);
    for f in findings {
        if f.accepted.is_some() {
            a += 1;
            continue;
        }
        if f.intent.is_some() {
            off += 1;
            continue;
        }
        match f.rule.severity {
            Severity::Error => e += 1,
            Severity::Warning => w += 1,
        }
    }
    let waived: Vec<String> = [(a, "accepted"), (off, "off by a typed setting")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    let accepted = if waived.is_empty() {
        String::new()
    } else {
        format!(" ({})", waived.join(", "))
    };
    if e + w == 0 {
        return format!("lint: no findings{accepted}");
    }
    let n = |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
    format!("lint: {}, {}{accepted}", n(e, "error"), n(w, "warning"))
}

fn finding_json(env: &str, f: &Finding) -> J {
    json!({
        "environment": if env.is_empty() { J::Null } else { J::String(env.into()) },
        "rule": f.rule.id,
        "name": f.rule.name,
        "severity": f.rule.severity.name(),
        "object": f.object,
        "path": f.path_text(),
        "message": f.message,
        "origin": f.origin.as_ref().map(|o| json!({
            "shown": o.shown, "file": o.file, "line": o.line, "column": o.column, "entry": o.entry,
        })),
        "fix": f.rule.fix_for(&f.object),
        "accepted": f.accepted,
        "intent": f.intent,
    })
}

/// `{"findings": [...]}`, pretty.
pub fn json(findings: &[(&str, &Finding)]) -> String {
    let all: Vec<J> = findings.iter().map(|(e, f)| finding_json(e, f)).collect();
    let mut s = serde_json::to_string_pretty(&json!({ "findings": all })).unwrap_or_default();
    s.push('\n');
    s
}

/// A SARIF 2.1.0 log: one run, the tool's rules, one result per finding; a finding with an
/// origin in a file is located at its line and column, every one names its object as a logical
/// location.
pub fn sarif(findings: &[(&str, &Finding)]) -> String {
    let rules: Vec<J> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.doc},
                "help": {"text": format!("{}\n\nFix: {}", r.doc, r.fix_text())},
                "defaultConfiguration": {"level": level(r.severity), "enabled": !r.opt_in},
            })
        })
        .collect();
    let results: Vec<J> = findings
        .iter()
        .map(|(env, f)| {
            let mut loc = json!({
                "logicalLocations": [{
                    "fullyQualifiedName": format!("{}:{}", f.object, f.path_text()),
                    "kind": "object",
                }]
            });
            if let Some(o) = &f.origin
                && let Some(file) = &o.file
            {
                loc["physicalLocation"] = json!({
                    "artifactLocation": {"uri": uri(file)},
                    "region": {"startLine": o.line, "startColumn": o.column},
                });
            }
            let mut text = format!("{} {}: {}", f.object, f.path_text(), f.message);
            if !env.is_empty() {
                text.push_str(&format!(" (environment `{env}`)"));
            }
            let mut result = json!({
                "ruleId": f.rule.id,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule.id).unwrap_or(0),
                "level": level(f.rule.severity),
                "message": {"text": format!("{text}. Fix: {}", f.rule.fix_for(&f.object))},
                "locations": [loc],
                "partialFingerprints": {
                    "agentctl/v1": format!("{}|{}|{}|{}", f.rule.id, env, f.object, f.path_text()),
                },
            });
            if let Some(why) = f.accepted.as_ref().or(f.intent.as_ref()) {
                result["suppressions"] = json!([{"kind": "external", "justification": why}]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "agentctl",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/agentctl/agentctl",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// `an error`, `a warning`: what a waived finding would otherwise be.
fn a_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "an error",
        Severity::Warning => "a warning",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A path as a URI: an absolute one as a `file://` URI, a relative one as a relative reference
/// (GitHub resolves it against the repository root), percent-encoding what a URI cannot hold.
fn uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.trim_start_matches("./").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn xml(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&apos;".into(),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => format!("&#x{:X};", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML: one test case per rule and environment; a rule that fired fails its case (one
/// `<failure>` listing each finding), a rule that did not passes.
/// An opt-in rule has a case only when `enabled` names it.
pub fn junit(envs: &[&str], findings: &[(&str, &Finding)], enabled: &[&str]) -> String {
    let mut cases = String::new();
    let (mut tests, mut failures) = (0, 0);
    for env in envs {
        for r in RULES
            .iter()
            .filter(|r| !r.opt_in || enabled.contains(&r.id))
        {
            tests += 1;
            let mine: Vec<&Finding> = findings
                .iter()
                .filter(|(e, f)| e == env && f.rule.id == r.id && !f.waived())
                .map(|(_, f)| *f)
                .collect();
            let class = if env.is_empty() {
                "agentctl.lint".to_owned()
            } else {
                format!("agentctl.lint.{env}")
            };
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} {}\">",
                xml(&class),
                r.id,
                r.name
            ));
            if !mine.is_empty() {
                failures += 1;
                let body: Vec<String> = mine.iter().map(|f| text_one(f, env)).collect();
                cases.push_str(&format!(
                    "\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    ",
                    r.severity.name(),
                    xml(&format!("{} finding(s): {}", mine.len(), r.title)),
                    xml(&body.join("\n\n"))
                ));
            }
            cases.push_str("</testcase>\n");
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"agentctl lint\" tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"agentctl lint\" tests=\"{tests}\" failures=\"{failures}\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}
