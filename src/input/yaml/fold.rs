//! Long single-line values folded as `kubectl kustomize` writes them, so the stream and
//! kustomize's build of the files agree line for line.
//!
//! kustomize writes every object through `sigs.k8s.io/yaml`'s `JSONToYAML`, that is go-yaml v2
//! (its fork `goyaml.v2`), whose emitter breaks a plain, single- or double-quoted scalar at a
//! space once the line has passed 80 columns, continuing on the next line at the value's
//! indentation (its key's or its dash's column plus two); a reader joins the lines back with one
//! space, so the value is the same string. Which quoting go-yaml picks, and where it breaks,
//! is ported here from its emitter (`yaml_emitter_analyze_scalar`,
//! `yaml_emitter_select_scalar_style`, `yaml_emitter_write_{plain,single_quoted,
//! double_quoted}_scalar`, and the encoder's `stringv`): a value it would not break is left to
//! the writer's own form, so only long values change. A value with a line break is a block
//! scalar in both writers and never folded.

/// go-yaml's `best_width`: a line is broken at the first eligible space past this column.
const BEST_WIDTH: usize = 80;

/// How go-yaml quotes a string value in block context.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// `s` written as go-yaml v2 writes a mapping value or list item that starts at `column`, its
/// continuation lines at `indent`, when go-yaml would break it over several lines; `None` when
/// it stays on one line (or holds a line break: a block scalar).
pub(super) fn folded(s: &str, column: usize, indent: usize) -> Option<String> {
    // A break needs a space after column 80; no character is written wider than 4 per byte
    // (`\x00`) plus the quotes.
    if !s.contains(' ') || s.contains(is_break) || column + 2 + 4 * s.len() <= BEST_WIDTH {
        return None;
    }
    let (text, broke) = match style(s) {
        Style::Plain => plain(s, column, indent),
        Style::Single => single(s, column, indent),
        Style::Double => double(s, column, indent),
    };
    broke.then_some(text)
}

/// go-yaml's line breaks (`is_break`): LF, CR, NEL, LS, PS.
fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml's `is_printable` (over characters, not bytes): LF, printable ASCII, and U+00A0 to
/// U+FFFD but the byte-order mark and the surrogates; nothing beyond the BMP.
fn printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        && c != '\u{feff}'
}

/// The style go-yaml ends with for a string value in block context: the encoder asks for plain
/// unless the plain text would resolve to another type, then the emitter falls back to single
/// quotes where plain is not allowed and to double quotes where single quotes are not.
fn style(s: &str) -> Style {
    if timestamp(s) {
        return Style::Double;
    }
    let a = analyze(s);
    if a.block_plain {
        Style::Plain
    } else if a.single {
        Style::Single
    } else {
        Style::Double
    }
}

/// Whether go-yaml would resolve the plain text as a timestamp: the only non-string a text
/// with a space can resolve to (`2001-12-14 21:59:43.10`, its format `2006-1-2 15:4:5.999999999`).
fn timestamp(s: &str) -> bool {
    let Some((date, time)) = s.split_once(' ') else {
        return false;
    };
    let nums = |t: &str, sep: char, n: usize, first: usize| {
        let parts: Vec<&str> = t.split(sep).collect();
        parts.len() == n
            && parts.iter().enumerate().all(|(i, p)| {
                let max = if i == 0 { first } else { 2 };
                !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
            })
    };
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    nums(date, '-', 3, 4)
        && date.split('-').next().is_some_and(|y| y.len() == 4)
        && nums(hms, ':', 3, 2)
        && !frac.is_empty()
        && frac.len() <= 9
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// What `yaml_emitter_analyze_scalar` allows, for a value without line breaks.
struct Allowed {
    block_plain: bool,
    single: bool,
}

fn analyze(s: &str) -> Allowed {
    let chars: Vec<char> = s.chars().collect();
    let blank = |c: Option<&char>| matches!(c, Some(' ' | '\t'));
    let mut indicators = s.starts_with("---") || s.starts_with("...");
    let mut special = false;
    let mut preceded_by_whitespace = true;
    for (i, c) in chars.iter().enumerate() {
        let followed_by_whitespace = i + 1 >= chars.len() || blank(chars.get(i + 1));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => indicators = true,
                '#' if preceded_by_whitespace => indicators = true,
                _ => {}
            }
        }
        if !printable(*c) {
            special = true;
        }
        // `is_blankz`: space, tab, a break or NUL.
        preceded_by_whitespace = matches!(c, ' ' | '\t' | '\0') || is_break(*c);
    }
    let edge_space = s.starts_with(' ') || s.ends_with(' ');
    Allowed {
        block_plain: !edge_space && !special && !indicators,
        single: !special,
    }
}

/// The writer's state: the text, the current column (in characters, as go-yaml counts), and
/// whether it broke a line.
struct Out {
    text: String,
    column: usize,
    indent: usize,
    broke: bool,
}

impl Out {
    fn new(column: usize, indent: usize) -> Self {
        Out {
            text: String::new(),
            column,
            indent,
            broke: false,
        }
    }

    fn put(&mut self, c: char) {
        self.text.push(c);
        self.column += 1;
    }

    /// `yaml_emitter_write_indent` past the width: a line break and the indentation.
    fn newline(&mut self) {
        self.text.push('\n');
        self.text.extend(std::iter::repeat_n(' ', self.indent));
        self.column = self.indent;
        self.broke = true;
    }

    fn over(&self) -> bool {
        self.column > BEST_WIDTH
    }
}

/// `yaml_emitter_write_plain_scalar` with breaks allowed (a value, not a key).
fn plain(s: &str, column: usize, indent: usize) -> (String, bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Out::new(column, indent);
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            if !spaces && out.over() && chars.get(i + 1) != Some(&' ') {
                out.newline();
            } else {
                out.put(c);
            }
            spaces = true;
        } else {
            out.put(c);
            spaces = false;
        }
    }
    (out.text, out.broke)
}

/// `yaml_emitter_write_single_quoted_scalar` with breaks allowed.
fn single(s: &str, column: usize, indent: usize) -> (String, bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Out::new(column, indent);
    out.put('\'');
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            // `i > 0 && i < len(value)-1` in bytes: not the first or the last character.
            if !spaces
                && out.over()
                && i > 0
                && i + 1 < chars.len()
                && chars.get(i + 1) != Some(&' ')
            {
                out.newline();
            } else {
                out.put(c);
            }
            spaces = true;
        } else {
            if c == '\'' {
                out.put('\'');
            }
            out.put(c);
            spaces = false;
        }
    }
    out.put('\'');
    (out.text, out.broke)
}

/// `yaml_emitter_write_double_quoted_scalar` with breaks allowed (go-yaml writes Unicode as it
/// is: `yaml_emitter_set_unicode(true)`).
fn double(s: &str, column: usize, indent: usize) -> (String, bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Out::new(column, indent);
    out.put('"');
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        if !printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
            out.put('\\');
            let short = match c {
                '\0' => Some('0'),
                '\u{7}' => Some('a'),
                '\u{8}' => Some('b'),
                '\t' => Some('t'),
                '\n' => Some('n'),
                '\u{b}' => Some('v'),
                '\u{c}' => Some('f'),
                '\r' => Some('r'),
                '\u{1b}' => Some('e'),
                '"' => Some('"'),
                '\\' => Some('\\'),
                '\u{85}' => Some('N'),
                '\u{a0}' => Some('_'),
                '\u{2028}' => Some('L'),
                '\u{2029}' => Some('P'),
                _ => None,
            };
            match short {
                Some(e) => out.put(e),
                None => {
                    let v = u32::from(c);
                    let (letter, digits) = match v {
                        0..=0xff => ('x', 2),
                        0x100..=0xffff => ('u', 4),
                        _ => ('U', 8),
                    };
                    out.put(letter);
                    for d in format!("{v:0digits$X}").chars() {
                        out.put(d);
                    }
                }
            }
            spaces = false;
        } else if c == ' ' {
            if !spaces && out.over() && i > 0 && i + 1 < chars.len() {
                out.newline();
                if chars.get(i + 1) == Some(&' ') {
                    out.put('\\');
                }
            } else {
                out.put(c);
            }
            spaces = true;
        } else {
            out.put(c);
            spaces = false;
        }
    }
    out.put('"');
    (out.text, out.broke)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected texts are go-yaml v2's (sigs.k8s.io/yaml v1.4.0 `JSONToYAML`, as kubectl
    /// kustomize 5.5 prints them), the value after `        - ` (column 10, indent 10).
    #[test]
    fn long_values_break_where_go_yaml_breaks_them() {
        let cases = [
            (
                "echo this is a very long command line that goes on and on and on beyond eighty columns for sure yes",
                Some(
                    "echo this is a very long command line that goes on and on and on beyond\n          eighty columns for sure yes",
                ),
            ),
            (
                "a 'quoted' value with: colons and # hashes that is long enough to wrap past the eighty column limit ok",
                Some(
                    "'a ''quoted'' value with: colons and # hashes that is long enough to wrap\n          past the eighty column limit ok'",
                ),
            ),
            (
                "x  double  spaces  here  and there and a long long long long long long tail value end",
                Some(
                    "x  double  spaces  here  and there and a long long long long long long tail\n          value end",
                ),
            ),
            ("short value", None),
            (&"x".repeat(200), None),
        ];
        for (value, want) in cases {
            assert_eq!(folded(value, 10, 10).as_deref(), want, "{value}");
        }
    }

    #[test]
    fn styles_follow_go_yaml() {
        assert_eq!(style("a b"), Style::Plain);
        assert_eq!(style("a: b"), Style::Single);
        assert_eq!(style(" a b"), Style::Single);
        assert_eq!(style("- a b"), Style::Single);
        assert_eq!(style("a\tb c"), Style::Double);
        assert_eq!(style("emoji \u{1f600} x"), Style::Double);
        assert_eq!(style("2001-12-14 21:59:43.10"), Style::Double);
        assert_eq!(style("2001-12-14 is a date"), Style::Plain);
        assert_eq!(style("a #b"), Style::Single);
        assert_eq!(style("a#b c"), Style::Plain);
    }
}
