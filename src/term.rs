//! Terminal styling: whether stdout (data) and stderr (diagnostics) get color, and the few ANSI
//! styles agentctl uses.
//!
//! Color is for people, never for pipes or files: `--color auto` (the default) colors only
//! when stdout is a terminal, and a non-empty `NO_COLOR` (<https://no-color.org>) or
//! `TERM=dumb` turns it off; `--color always|never` overrides all of that. Without color,
//! everything printed through a [`Style`] is exactly the plain text, so CI logs, pipes and
//! tests see the same bytes. Six SGR codes do not justify a dependency.
//!
//! What reaches a terminal is printable: [`visible`] escapes every control character (ESC, BEL,
//! CR, C1, ...), the Unicode line separators, the bidirectional controls ("Trojan Source") and
//! the invisible characters (zero-width space, BOM, every format character: [`invisible`]) of
//! a text as `\u{..}`, and [`json_visible`] does the same losslessly inside JSON strings
//! (`\u202e`). Every line agentctl prints goes through one of them (`commands`' `say!`
//! macros for stderr, `output::print` for stdout), colored or not; color is added after.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io::IsTerminal;

use crate::cli::ColorChoice;

/// What a piece of text is, for coloring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// A removed line (red).
    Removed,
    /// An added line (green).
    Added,
    /// A hunk header `@@ ... @@` (cyan).
    Hunk,
    /// A file header `--- a/...` / `+++ b/...` (bold).
    Header,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Removed => "31",
            Paint::Added => "32",
            Paint::Hunk => "36",
            Paint::Header => "1",
        }
    }
}

/// Whether to color; [`Style::paint`] is the identity when not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    color: bool,
}

impl Style {
    /// No color.
    pub fn plain() -> Self {
        Style { color: false }
    }

    /// Color.
    pub fn colored() -> Self {
        Style { color: true }
    }

    /// The style for stdout under a `--color` choice and the environment.
    pub fn for_stdout(choice: ColorChoice) -> Self {
        Style {
            color: decide(
                choice,
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
                std::env::var_os("TERM").as_deref(),
            ),
        }
    }

    /// The style for stderr (diagnostics), decided like stdout's but on stderr's terminal.
    pub fn for_stderr(choice: ColorChoice) -> Self {
        Style {
            color: decide(
                choice,
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
                std::env::var_os("TERM").as_deref(),
            ),
        }
    }

    /// Rendered diagnostics (the text of `diag`'s one renderer) with the colors rustc and
    /// clap use: `error:` bold red, the location arrows and gutters bold blue, the carets
    /// and their label bold red, `note`/`help` bold. Only line starts are looked at, so the
    /// text itself (a user's source line) is never changed; plain when not colored.
    pub fn paint_diagnostics(self, text: &str) -> String {
        if !self.color {
            return text.to_owned();
        }
        const RED: &str = "\x1b[1;31m";
        const BLUE: &str = "\x1b[1;34m";
        const BOLD: &str = "\x1b[1m";
        const GREEN: &str = "\x1b[1;32m";
        const RESET: &str = "\x1b[0m";
        let mut out = String::with_capacity(text.len() + text.len() / 4);
        for line in text.split_inclusive('\n') {
            let (body, newline) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            let indent = body.len() - body.trim_start().len();
            let (pad, rest) = body.split_at(indent);
            if let Some(msg) = body.strip_prefix("error:") {
                out.push_str(&format!("{RED}error{RESET}{BOLD}:{msg}{RESET}"));
            } else if let Some(msg) = rest
                .strip_prefix("-->")
                .map(|m| ("-->", m))
                .or_else(|| rest.strip_prefix(":::").map(|m| (":::", m)))
            {
                out.push_str(&format!("{pad}{BLUE}{}{RESET}{}", msg.0, msg.1));
            } else if let Some(kind) = ["= note:", "= help:"]
                .into_iter()
                .find(|k| rest.starts_with(k))
            {
                let color = if kind == "= help:" { GREEN } else { BOLD };
                out.push_str(&format!("{pad}{color}{kind}{RESET}{}", &rest[kind.len()..]));
            } else if let Some(bar) = gutter(body) {
                let (gutter, source) = body.split_at(bar + 1);
                out.push_str(&format!("{BLUE}{gutter}{RESET}"));
                if source.trim_start().starts_with('^') {
                    out.push_str(&format!("{RED}{source}{RESET}"));
                } else {
                    out.push_str(source);
                }
            } else {
                out.push_str(body);
            }
            out.push_str(newline);
        }
        out
    }

    /// Whether this style colors.
    pub fn is_colored(self) -> bool {
        self.color
    }

    /// `text` wrapped in the paint's color (the color ends before a trailing newline, so a
    /// pager never sees an open color across lines).
    pub fn paint(self, paint: Paint, text: &str) -> String {
        if !self.color || text.is_empty() {
            return text.to_owned();
        }
        let (body, newline) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (text, ""),
        };
        format!("\x1b[{}m{body}\x1b[0m{newline}", paint.code())
    }
}

/// Whether a character must not reach a terminal as it is: control characters (C0, DEL, C1
/// such as U+0085) but the tab, line and paragraph separators, and the bidirectional marks,
/// overrides and isolates that reorder what a reader sees ("Trojan Source"). The line feed is
/// a control character too: [`visible`] keeps it as the line break it is.
pub fn unprintable(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Whether a character is invisible or changes how its neighbours show without a glyph of its
/// own: Unicode's default-ignorable code points (zero-width space and joiners, word joiner,
/// the byte order mark U+FEFF, soft hyphen, Hangul fillers, tag characters, invisible
/// operators) and the other format characters (Cf) such as U+0600..0605. The variation
/// selectors U+FE00..FE0F are not: they pick a glyph's style (agentctl's own ⚠️ has one) and
/// hide no text.
/// `@\u{200b}octocat` reads as `@octocat`, `exam\u{200b}ple.com` as `example.com`: what
/// agentctl shows a person names them ([`visible`]); values may hold them (a prompt's emoji
/// needs U+200D), and the files and the manifest stream keep them as they are.
pub fn invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// A name from a committed file or a value in a one-line message (a `resources` entry, a file
/// name): every [`hidden`] character and the line feed escaped, so the line stays one line and
/// names exactly what the file says.
pub fn one_line(text: &str) -> Cow<'_, str> {
    escape_if_all(text)
}

/// A path as a message shows it: [`one_line`] of its display, so a line feed or an escape
/// sequence in a directory name (`-o $'out\nx'`) is written `\u{a}`, never obeyed nor split
/// into a forged line. A path in a printed command is quoted by `shell::quote` instead.
pub fn path_line(p: &std::path::Path) -> String {
    one_line(&p.display().to_string()).into_owned()
}

fn escape_if_all(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\n' || hidden(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c == '\n' || hidden(c) {
                    format!("\\u{{{:x}}}", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Whether a character is shown escaped to a person: [`unprintable`] or [`invisible`].
pub fn hidden(c: char) -> bool {
    unprintable(c) || invisible(c)
}

/// `text` safe to show on a terminal: every [`hidden`] character but the line feed
/// written as `\u{1b}` (Rust's notation, which is what a reader of a diagnostic already
/// sees), so an escape sequence, a carriage return or a right-to-left override in a value is
/// shown, never obeyed. Borrowed when there is nothing to escape.
pub fn visible(text: &str) -> Cow<'_, str> {
    escape(text, |c, out| {
        out.push_str(&format!("\\u{{{:x}}}", u32::from(c)))
    })
}

/// A manifest stream (`render` without `-o`) safe for a terminal and exact for a pipe: only
/// the [`unprintable`] characters escaped (which no value can hold: the input refuses them),
/// an [`invisible`] one written as it is, as in the files (`kubectl apply -f -` must get the
/// same value).
pub fn visible_data(text: &str) -> Cow<'_, str> {
    escape_if(text, unprintable, |c, out| {
        out.push_str(&format!("\\u{{{:x}}}", u32::from(c)))
    })
}

/// A JSON text safe to show on a terminal, with the same value: every [`hidden`]
/// character (serde_json leaves DEL, C1 and the bidirectional controls raw) written as the
/// JSON escape `\u202e`. Such characters only occur inside JSON strings, where that escape
/// is the character itself.
pub fn json_visible(text: &str) -> Cow<'_, str> {
    escape(text, |c, out| {
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    })
}

/// `text` with each [`hidden`] character but the line feed replaced by `write`.
fn escape(text: &str, write: impl Fn(char, &mut String)) -> Cow<'_, str> {
    escape_if(text, hidden, write)
}

/// `text` with each character `bad` finds but the line feed replaced by `write`.
fn escape_if(text: &str, bad: fn(char) -> bool, write: impl Fn(char, &mut String)) -> Cow<'_, str> {
    let bad = |c: char| c != '\n' && bad(c);
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if bad(c) {
            write(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes `text` to stderr through [`visible`]: the one way agentctl's account of what it
/// did reaches a terminal (the [`say!`](crate::say) and [`sayln!`](crate::sayln) macros). A
/// closed stderr is not an error.
pub fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(visible(text).as_bytes());
}

/// `eprint!` through [`visible`] ([`say`]).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::term::say(&::std::format!($($arg)*)) };
}

/// `eprintln!` through [`visible`] ([`say`]).
#[macro_export]
macro_rules! sayln {
    ($($arg:tt)*) => {
        $crate::term::say(&::std::format!("{}\n", ::std::format!($($arg)*)))
    };
}

/// The index of the `|` of a snippet line's gutter (`12 | source`, `  | ^^^`), if it is one.
fn gutter(line: &str) -> Option<usize> {
    let bar = line.find('|')?;
    let before = &line[..bar];
    let is_gutter = before.ends_with(' ')
        && before.trim().chars().all(|c| c.is_ascii_digit())
        && (line.len() == bar + 1 || line[bar + 1..].starts_with(' '));
    is_gutter.then_some(bar)
}

/// The color decision, from the choice and the facts about the environment.
pub fn decide(
    choice: ColorChoice,
    stdout_is_terminal: bool,
    no_color: Option<&OsStr>,
    term: Option<&OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stdout_is_terminal
                && no_color.is_none_or(OsStr::is_empty)
                && term != Some(OsStr::new("dumb"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colors_only_a_terminal_without_no_color() {
        let on = Some(OsStr::new("1"));
        let xterm = Some(OsStr::new("xterm-256color"));
        assert!(decide(ColorChoice::Auto, true, None, xterm));
        assert!(!decide(ColorChoice::Auto, false, None, xterm));
        assert!(!decide(ColorChoice::Auto, true, on, xterm));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(decide(ColorChoice::Auto, true, Some(OsStr::new("")), xterm));
        assert!(!decide(
            ColorChoice::Auto,
            true,
            None,
            Some(OsStr::new("dumb"))
        ));
        assert!(decide(ColorChoice::Always, false, on, None));
        assert!(!decide(ColorChoice::Never, true, None, xterm));
    }

    #[test]
    fn diagnostics_are_painted_at_line_starts_only() {
        let text = "error: agent.port: bad\n  --> my.yaml:2:9\n  |\n2 |   port: x | y\n  |         ^ here\n   = help: write a number\n";
        assert_eq!(Style::plain().paint_diagnostics(text), text);
        let painted = Style::colored().paint_diagnostics(text);
        assert!(painted.starts_with("\x1b[1;31merror\x1b[0m\x1b[1m: agent.port: bad\x1b[0m\n"));
        assert!(
            painted.contains("\x1b[1;34m2 |\x1b[0m   port: x | y\n"),
            "{painted:?}"
        );
        assert!(
            painted.contains("\x1b[1;31m         ^ here\x1b[0m"),
            "{painted:?}"
        );
        assert!(
            painted.contains("\x1b[1;32m= help:\x1b[0m write a number"),
            "{painted:?}"
        );
        let stripped = painted
            .split('\x1b')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('m').map_or(part, |(_, r)| r)
                }
            })
            .collect::<String>();
        assert_eq!(stripped, text, "color adds codes, never changes the text");
    }

    #[test]
    fn visible_escapes_what_a_terminal_would_obey() {
        let attack = "a\x1b]8;;http://x\x07link\x1b]8;;\x07\rb\u{202e}c\u{9b}d\u{2066}\u{7f}\u{85}";
        let shown = visible(attack);
        assert!(
            !shown.chars().any(|c| c != '\n' && unprintable(c)),
            "{shown}"
        );
        assert_eq!(
            shown,
            "a\\u{1b}]8;;http://x\\u{7}link\\u{1b}]8;;\\u{7}\\u{d}b\\u{202e}c\\u{9b}d\\u{2066}\\u{7f}\\u{85}"
        );
        // Line feeds and tabs stay; plain text is borrowed, unchanged.
        assert!(matches!(visible("a\tb\nc"), Cow::Borrowed("a\tb\nc")));
        assert_eq!(visible("name: \u{fc}ber\n"), "name: \u{fc}ber\n");
    }

    #[test]
    fn json_visible_keeps_the_value() {
        let value = "x\u{202e}y\u{85}z\u{7f}\u{2028}";
        let text = serde_json::to_string(&serde_json::json!({ "v": value })).unwrap();
        let shown = json_visible(&text);
        assert!(!shown.chars().any(unprintable), "{shown}");
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(back["v"], value);
    }

    #[test]
    fn plain_style_is_the_identity() {
        assert_eq!(Style::plain().paint(Paint::Added, "+x\n"), "+x\n");
        assert_eq!(
            Style::colored().paint(Paint::Added, "+x\n"),
            "\x1b[32m+x\x1b[0m\n"
        );
    }
}
