//! Shell words: the one quoting of every value agentctl puts into a command it prints
//! (`kubectl create secret ...`, the data-loss fix, `agentctl render ...`, the restore runbook).
//!
//! A printed command is meant to be pasted into a shell, so every value in it (a name from a
//! patch, an extra object or a committed file, a path, a `--set` flag) is one word that the
//! shell passes through unchanged: no expansion (`$(...)`, backticks, `$VAR`, globs), no word
//! splitting, no second command (`;`, `&&`, a newline). The quoting itself is `shlex`'s, the
//! well-kept implementation (single quotes, or double quotes around a `'`), not our own.
//!
//! A word holding a control character (a newline, ESC, CR) or one a terminal does not show
//! ([`crate::term::hidden`]: bidirectional, zero-width, BOM) is written in ANSI-C quotes
//! instead (`$'a\x0ab'`, `$'a\xe2\x80\x8bb'`: bash's, zsh's and ksh's), every such character as
//! its escape: the printed command stays one line of visible characters, and what is pasted
//! names exactly that file or object (a raw newline, or the `\u{1b}` the terminal escaping
//! would make of ESC, would name another).

use std::borrow::Cow;

/// `word` as one shell word: unchanged when the shell would read it as it is
/// (`agent-secrets`, `prod/eu`), otherwise quoted. A NUL (which no shell word can carry, and
/// which agentctl refuses on input) becomes a word that names it, never a command.
pub fn quote(word: &str) -> Cow<'_, str> {
    if word
        .chars()
        .any(|c| c.is_control() || crate::term::hidden(c))
    {
        return Cow::Owned(ansi_c(word));
    }
    // shlex also quotes `=` and `,` (for zsh's `=cmd` and brace expansion); in the middle of a
    // word neither means anything to a shell, and `--set a.b=1` reads better bare.
    if word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:@+%,=".contains(&b))
        && word
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        return Cow::Borrowed(word);
    }
    match shlex::try_quote(word) {
        Ok(q) => q,
        Err(_) => Cow::Owned(
            shlex::try_quote(&word.replace('\0', "\\0"))
                .map(Cow::into_owned)
                .unwrap_or_else(|_| "''".to_owned()),
        ),
    }
}

/// `word` in ANSI-C quotes: printable characters as they are (`'` and `\` escaped), a
/// control or hidden character as its UTF-8 bytes, `\xHH` each (locale-independent). A NUL,
/// which no word can carry (and agentctl refuses on input), becomes `\0` spelled out.
fn ansi_c(word: &str) -> String {
    let mut out = String::from("$'");
    for c in word.chars() {
        match c {
            '\0' => out.push_str("\\\\0"),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || crate::term::hidden(c) => {
                // Its UTF-8 bytes, as `\xHH` each: the same bytes in every locale.
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn plain_words_stay_plain_and_the_rest_is_one_word() {
        assert_eq!(quote("agent-secrets"), "agent-secrets");
        assert_eq!(quote("redis:7.2-alpine"), "redis:7.2-alpine");
        assert_eq!(quote("deploy/prod"), "deploy/prod");
        assert_eq!(quote("agent.replicas.max=20"), "agent.replicas.max=20");
        assert_eq!(quote("a=b,c=d"), "a=b,c=d");
        assert_eq!(quote("=cmd"), "'=cmd'");
        assert_eq!(quote(""), "''");
        for hostile in [
            "a b",
            "x$(touch canary)",
            "`touch canary`",
            "a;touch canary",
            "a'b",
            "a\nb",
            "$HOME",
            "*",
            "~",
            "!x",
            "a\"b\\c",
            "{a,b}",
            "a=$(id)",
            "x,y z",
            "#x",
        ] {
            let q = quote(hostile);
            assert_ne!(q, hostile, "{hostile:?} must be quoted");
            let words = shlex::split(&q).unwrap_or_default();
            assert_eq!(words.len(), 1, "{hostile:?} as {q:?}");
        }
    }

    /// A word with a character a terminal would not show as it is: ANSI-C quoted, printed as
    /// visible ASCII, read back by bash as exactly the word.
    #[test]
    fn hidden_characters_are_ansi_c_quoted_and_bash_reads_them_back() {
        let words = [
            "a\nb",
            "a\u{1b}[31mb",
            "a\rb",
            "a\u{7}b",
            "a\u{85}b",
            "x\u{200b}y",
            "\u{feff}bom",
            "r\u{202e}txt.yaml",
            "tag\u{e0041}",
            "it's\u{200d}a\\b\n$(touch canary)`id`",
        ];
        let quoted: Vec<String> = words.iter().map(|w| quote(w).into_owned()).collect();
        for q in &quoted {
            assert!(q.starts_with("$'"), "{q}");
            assert!(
                q.chars().all(|c| c.is_ascii_graphic() || c == ' '),
                "{q:?} is not visible ASCII"
            );
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let script: String = quoted
            .iter()
            .map(|q| format!("printf '%s\\0' {q}\n"))
            .collect();
        let out = std::process::Command::new("bash")
            .arg("--norc")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .output()
            .expect("bash runs (needed by this test)");
        assert!(out.status.success(), "{out:?}");
        let back: Vec<String> = String::from_utf8(out.stdout)
            .expect("utf-8")
            .split_terminator('\0')
            .map(str::to_owned)
            .collect();
        assert_eq!(back, words, "{script}");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            0,
            "something ran"
        );
        assert_eq!(quote("x\0y"), "$'x\\\\0y'");
    }
}
