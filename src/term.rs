//! Terminal styling: whether stdout (data) and stderr (diagnostics) get color, and the few ANSI
//! styles agentctl uses.
//!
//! Color is for people, never for pipes or files: `--color auto` (the default) colors only
//! when stdout is a terminal, and a non-empty `NO_COLOR` (<https://no-color.org>) or
//! `TERM=dumb` turns it off; `--color always|never` overrides all of that. Without color,
//! everything printed through a [`Style`] is exactly the plain text, so CI logs, pipes and
//! tests see the same bytes. Six SGR codes do not justify a dependency.

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
    fn plain_style_is_the_identity() {
        assert_eq!(Style::plain().paint(Paint::Added, "+x\n"), "+x\n");
        assert_eq!(
            Style::colored().paint(Paint::Added, "+x\n"),
            "\x1b[32m+x\x1b[0m\n"
        );
    }
}
