//! Terminal styling: whether stdout gets color, and the few ANSI styles agentctl uses.
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
    fn plain_style_is_the_identity() {
        assert_eq!(Style::plain().paint(Paint::Added, "+x\n"), "+x\n");
        assert_eq!(
            Style::colored().paint(Paint::Added, "+x\n"),
            "\x1b[32m+x\x1b[0m\n"
        );
    }
}
