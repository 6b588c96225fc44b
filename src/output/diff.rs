//! Unified diffs: what a render would change in an output directory, file by file.
//!
//! `agentctl diff` and `render --check` print one section per file that differs: changed,
//! to be created (`--- /dev/null`) or to be removed as stale (`+++ /dev/null`), in the unified
//! format `git apply` and `patch -p1` read, computed by `similar` (Myers, three lines of
//! context). Color comes from a [`Style`] and never changes the text itself. The caller gets a
//! [`Summary`] for the one-line report on stderr.

use std::path::Path;

use similar::{ChangeTag, TextDiff};

use crate::output::Change;
use crate::term::{Paint, Style, visible};

/// Which files differ, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files whose content would change.
    pub changed: Vec<String>,
    /// Files the render has and the directory lacks.
    pub added: Vec<String>,
    /// Generated files the render no longer has.
    pub removed: Vec<String>,
    /// Files already identical.
    pub same: usize,
}

impl Summary {
    /// Whether anything differs.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }

    /// Number of files that differ.
    pub fn len(&self) -> usize {
        self.changed.len() + self.added.len() + self.removed.len()
    }
}

/// `a/<path>` / `b/<path>` as git writes them (an absolute path loses its leading `/`).
fn side(prefix: &str, dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    let shown = path.display().to_string();
    format!("{prefix}/{}", shown.trim_start_matches('/'))
}

/// The unified diff of every change against `dir`, and what kinds of change there are.
pub fn unified(dir: &Path, changes: &[Change], style: Style) -> (String, Summary) {
    let mut text = String::new();
    let mut summary = Summary::default();
    for c in changes {
        if c.old == c.new {
            summary.same += 1;
            continue;
        }
        let (a, b) = match (&c.old, &c.new) {
            (None, _) => {
                summary.added.push(c.name.clone());
                ("/dev/null".to_owned(), side("b", dir, &c.name))
            }
            (_, None) => {
                summary.removed.push(c.name.clone());
                (side("a", dir, &c.name), "/dev/null".to_owned())
            }
            _ => {
                summary.changed.push(c.name.clone());
                (side("a", dir, &c.name), side("b", dir, &c.name))
            }
        };
        text.push_str(&texts(
            &a,
            &b,
            c.old.as_deref().unwrap_or(""),
            c.new.as_deref().unwrap_or(""),
            style,
        ));
    }
    (text, summary)
}

/// A unified diff of two texts with the given header names; empty when they are equal.
pub fn texts(a: &str, b: &str, old: &str, new: &str, style: Style) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    let unified = diff.unified_diff();
    let mut unified = unified;
    unified.context_radius(3);
    for (i, hunk) in unified.iter_hunks().enumerate() {
        if i == 0 {
            out.push_str(&style.paint(Paint::Header, &format!("--- {}\n", visible(a))));
            out.push_str(&style.paint(Paint::Header, &format!("+++ {}\n", visible(b))));
        }
        out.push_str(&style.paint(Paint::Hunk, &format!("{}\n", hunk.header())));
        for change in hunk.iter_changes() {
            // Made visible before the paint: a control character in a file is shown, never
            // obeyed, colored or not.
            // A lone CR ends a line too (`similar` splits there); it is shown as `\u{d}`.
            let value = change.value();
            let mut line = format!("{}{}", change.tag(), visible(value));
            let missing_newline = !value.ends_with(['\n', '\r']);
            if !line.ends_with('\n') {
                line.push('\n');
            }
            line = match change.tag() {
                ChangeTag::Delete => style.paint(Paint::Removed, &line),
                ChangeTag::Insert => style.paint(Paint::Added, &line),
                ChangeTag::Equal => line,
            };
            out.push_str(&line);
            if missing_newline {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(name: &str, old: Option<&str>, new: Option<&str>) -> Change {
        Change {
            name: name.into(),
            old: old.map(str::to_owned),
            new: new.map(str::to_owned),
        }
    }

    #[test]
    fn changed_added_and_removed_files() {
        let changes = [
            change("same.yaml", Some("a\n"), Some("a\n")),
            change("changed.yaml", Some("a\nb\nc\n"), Some("a\nB\nc\n")),
            change("added.yaml", None, Some("new\n")),
            change("removed.yaml", Some("old\n"), None),
        ];
        let (text, summary) = unified(Path::new("out"), &changes, Style::plain());
        assert_eq!(
            text,
            "--- a/out/changed.yaml\n+++ b/out/changed.yaml\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n\
             --- /dev/null\n+++ b/out/added.yaml\n@@ -0,0 +1 @@\n+new\n\
             --- a/out/removed.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\n"
        );
        assert_eq!(summary.changed, ["changed.yaml"]);
        assert_eq!(summary.added, ["added.yaml"]);
        assert_eq!(summary.removed, ["removed.yaml"]);
        assert_eq!(summary.same, 1);
        assert_eq!(summary.len(), 3);
    }

    #[test]
    fn a_missing_final_newline_is_marked() {
        let text = texts("a", "b", "x\ny", "x\nz\n", Style::plain());
        assert_eq!(
            text,
            "--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+z\n"
        );
    }

    #[test]
    fn color_wraps_lines_without_changing_them() {
        let plain = texts("a", "b", "x\n", "y\n", Style::plain());
        let colored = texts("a", "b", "x\n", "y\n", Style::colored());
        assert!(colored.contains("\x1b[31m-x\x1b[0m\n"), "{colored:?}");
        assert!(colored.contains("\x1b[32m+y\x1b[0m\n"), "{colored:?}");
        let stripped = colored
            .replace("\x1b[0m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[32m", "")
            .replace("\x1b[36m", "")
            .replace("\x1b[1m", "");
        assert_eq!(stripped, plain);
    }
}
