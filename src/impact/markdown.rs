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
//!   backslash escape is gone, but never inside code. For the same reason a word GitHub could
//!   turn into a reference ([`linkable`]: `#123`, `GH-123`, `owner/repo#1`, `JIRA-42` (a
//!   repository's own autolink prefix), a commit SHA of 7 to 40 hex digits) is set as code
//!   whole: an escaped `\#123` still renders as the text `#123`, which GitHub links.
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
    let shown = visible(value).replace(['\n', '\t'], " ");
    let mut out = String::with_capacity(shown.len() + shown.len() / 4);
    for (n, word) in shown.split(' ').enumerate() {
        if n > 0 {
            out.push(' ');
        }
        if linkable(word) {
            // Only the word itself in code: the punctuation around it stays prose.
            let core = word.trim_matches(AROUND);
            let (lead, rest) = word.split_at(word.find(core).unwrap_or(0));
            let tail = rest.get(core.len()..).unwrap_or_default();
            escaped(lead, &mut out);
            out.push_str(&code(core));
            escaped(tail, &mut out);
        } else {
            escaped(word, &mut out);
        }
    }
    out
}

/// Punctuation around a word that is not part of it (`(#4),`).
const AROUND: &[char] = &[
    '(', ')', '[', ']', '{', '}', '"', '\'', ',', ';', '.', ':', '!', '?',
];

/// One word of prose, every GFM punctuation backslash-escaped.
fn escaped(word: &str, out: &mut String) {
    let mut after_word = false;
    for c in word.chars() {
        match c {
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
}

/// Whether GitHub could make a reference (a link to an issue, pull request or commit, or a
/// repository's own autolink) of something in `word`, as it reads rendered text outside code:
/// `#` before a letter or digit (`#123`, `owner/repo#1`, `GH#1`), a prefix and a number
/// (`GH-123`, `JIRA-42`: GitHub's `GH-` and any prefix a repository configures, which agentctl
/// cannot know, so every `letters-digits`), and a run of 7 to 40 hex digits standing alone (a
/// commit SHA, short or full; `owner/repo@sha` too). Longer hex runs are no SHA GitHub links;
/// they are set as code all the same, as nothing is lost.
pub fn linkable(word: &str) -> bool {
    let b = word.as_bytes();
    let alnum = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphanumeric);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'#' && alnum(i + 1) {
            return true;
        }
        // A run of letters and digits, bounded by anything else.
        if alnum(i) && (i == 0 || !alnum(i - 1)) {
            let end = (i..b.len()).find(|&j| !alnum(j)).unwrap_or(b.len());
            let run = &b[i..end];
            if run.len() >= 7 && run.iter().all(u8::is_ascii_hexdigit) {
                return true;
            }
            let letters = run.iter().all(u8::is_ascii_alphabetic);
            let numbered =
                b.get(end) == Some(&b'-') && b.get(end + 1).is_some_and(u8::is_ascii_digit);
            if letters && numbered {
                return true;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    false
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
    fn words_github_could_link_are_code() {
        for word in [
            "#123",
            "(#7)",
            "GH-123",
            "gh-9,",
            "owner/repo#1",
            "JIRA-42",
            "a5c3f9e",
            "0123456789abcdef0123456789abcdef01234567",
            "owner/repo@a5c3f9e",
            "sha256:deadbeefcafe",
            "1073741824",
        ] {
            assert!(linkable(word), "{word}");
            let core = word.trim_matches(AROUND);
            assert!(text(word).contains(&code(core)), "{word}: {}", text(word));
        }
        for word in [
            "#",
            "a#",
            "pods",
            "3",
            "v1.2.3",
            "agent-deployment",
            "abc123",
            "x-y",
            "decade",
            "rollout",
        ] {
            assert!(!linkable(word), "{word}");
        }
        assert_eq!(
            text("see #12 and GH-3 in 3 pods"),
            "see `#12` and `GH-3` in 3 pods"
        );
        assert_eq!(text("(x: a5c3f9e)."), "\\(x\\: `a5c3f9e`\\)\\.");
    }

    #[test]
    fn code_fence_outlasts_the_value() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
