//! Values written into GitHub-flavoured Markdown (the pull-request comment of
//! `diff --format markdown`) so that they stay text: no HTML element, link, mention, heading,
//! emphasis or table cell comes from an object's name, an annotation or a committed file.
//!
//! Two forms, both one line, both safe inside a table cell:
//! - [`text`]: prose. Control characters are shown as `\u{..}` ([`crate::term::visible`]),
//!   every ASCII punctuation character that means something in GFM is backslash-escaped
//!   (HTML `<`, entities `&`, links `[]()`, autolinks `www.` and `http:`, emphasis, code spans,
//!   `#`, `|`, `~`, `$` math, `:` emoji), and an `@` that could start a mention is set as code
//!   (`` `@` ``): GitHub looks for `@user` and `@org/team` in the rendered text, where a
//!   backslash escape is gone, but never inside code.
//! - [`code`]: a code span whose fence is longer than any run of backticks in the value, so it
//!   cannot be closed early; `|` escaped as the table needs it.

use crate::term::visible;

/// The punctuation [`text`] backslash-escapes: every character GFM's inline and block rules
/// (and GitHub's extensions: autolinks, emoji shortcodes, math) give a meaning. Quotes,
/// commas, `;`, `/`, `=`, `?`, `%`, `+` and `-` mean nothing inside a table cell.
const SPECIAL: &[char] = &[
    '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '<', '>', '#', '!', '|', '&', '~', '.', ':',
    '$', '^', '@',
];

/// `value` as prose in one table cell or line: shown, never interpreted.
pub fn text(value: &str) -> String {
    let shown = visible(value);
    let mut out = String::with_capacity(shown.len() + shown.len() / 4);
    let mut after_word = false;
    for c in shown.chars() {
        match c {
            '\n' | '\t' => out.push(' '),
            // A mention needs `@` at the start or after a non-word character; elsewhere
            // (`redis@sha256`) the escape is enough to keep an email autolink out.
            '@' if !after_word => out.push_str("`@`"),
            c if SPECIAL.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        after_word = c.is_alphanumeric() || c == '_';
    }
    out
}

/// `value` as a code span in one table cell: monospace, literal, never closed early.
pub fn code(value: &str) -> String {
    let shown = visible(value).replace(['\n', '\t'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in shown.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A value that starts or ends with a backtick (or a space, which CommonMark would strip)
    // is padded with one space each side, which the code span drops again.
    let pad = if shown.starts_with(['`', ' ']) || shown.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    // Inside a table even a code span's `|` ends the cell unless escaped; the table takes the
    // backslash away again (and only that one: a backslash before it stays the value's).
    let body = shown.replace('|', "\\|");
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_what_markdown_would_interpret() {
        assert_eq!(text("a <b> & @org/team"), "a \\<b\\> \\& `@`org/team");
        assert_eq!(text("redis@sha256"), "redis\\@sha256");
        assert_eq!(text("x\ry\u{1b}"), "x\\\\u\\{d\\}y\\\\u\\{1b\\}");
        assert_eq!(text("plain words, 3 pods"), "plain words, 3 pods");
    }

    #[test]
    fn code_fence_outlasts_the_value() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
