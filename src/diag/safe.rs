//! What may reach a terminal: credential values masked ([`REDACTED`]) and control characters
//! escaped. [`safe`] is applied to everything agentctl prints on stderr; [`redact`] masks the
//! spans a source's masker found in a line, moving the caret with them.

use crate::config::credentials::{key_holds_credential, merge, value_spans};

/// What a masked credential is shown as.
pub const REDACTED: &str = "<redacted>";

/// Whether a character must not reach a terminal as it is: the one rule, [`crate::term`]'s
/// (control, bidirectional and invisible characters), and in a diagnostic the tab too (a
/// quoted line's columns must line up with its carets).
pub(super) fn unprintable(c: char) -> bool {
    c == '\t' || crate::term::hidden(c)
}

/// A text made safe to print, line by line: every value shaped like a credential masked
/// (the policy's [`value_spans`], so a value quoted in a headline, a note or an internal error
/// is masked like one in a source line) and every `unprintable` character but the line
/// breaks escaped as `\u{..}`. Everything agentctl prints on stderr goes through it.
pub fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let chars: Vec<char> = line.chars().collect();
        let mut spans = value_spans(&chars);
        spans.extend(quoted_keys(&chars));
        let (chars, _) = redact(&chars, &merge(spans), (0, 1));
        for c in chars {
            if unprintable(c) {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// The spans of a line's `quoted` words (between backquotes, no space inside) that hold a
/// credential as a key would (`password=hunter2`, `db_token:abc`; the policy's
/// `key_holds_credential`): a message that quotes a key quotes it so.
fn quoted_keys(line: &[char]) -> Vec<Mask> {
    let ticks: Vec<usize> = (0..line.len()).filter(|i| line[*i] == '`').collect();
    ticks
        .chunks_exact(2)
        .map(|p| (p[0] + 1, p[1]))
        .filter(|(a, b)| {
            let word: String = line[*a..*b].iter().collect();
            !word.contains(char::is_whitespace) && key_holds_credential(&word)
        })
        .collect()
}

/// A span of a shown line replaced by [`REDACTED`]: (start, end) in characters, 0-based.
pub type Mask = (usize, usize);

/// The line with its credential values masked, and the caret (0-based start, width) moved to
/// match.
pub fn redact(line: &[char], masks: &[Mask], caret: (usize, usize)) -> (Vec<char>, (usize, usize)) {
    let (mut start, mut width) = caret;
    let mut shown = Vec::with_capacity(line.len());
    let mut prev = 0;
    let mut shift: isize = 0;
    for &(s, e) in masks {
        shown.extend_from_slice(&line[prev..s]);
        let new_start = (s as isize + shift) as usize;
        shown.extend(REDACTED.chars());
        if caret.0 >= s && caret.0 < e {
            start = new_start;
            width = REDACTED.len();
        } else if caret.0 >= e {
            start = (start as isize + REDACTED.len() as isize - (e - s) as isize) as usize;
        }
        shift += REDACTED.len() as isize - (e - s) as isize;
        prev = e;
    }
    shown.extend_from_slice(&line[prev..]);
    (shown, (start, width))
}
