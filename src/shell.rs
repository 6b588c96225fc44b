//! Shell words: the one quoting of every value agentctl puts into a command it prints
//! (`kubectl create secret ...`, the data-loss fix, `agentctl render ...`, the restore runbook).
//!
//! A printed command is meant to be pasted into a shell, so every value in it (a name from a
//! patch, an extra object or a committed file, a path, a `--set` flag) is one word that the
//! shell passes through unchanged: no expansion (`$(...)`, backticks, `$VAR`, globs), no word
//! splitting, no second command (`;`, `&&`, a newline). The quoting itself is `shlex`'s, the
//! well-kept implementation (single quotes, or double quotes around a `'`), not our own.

use std::borrow::Cow;

/// `word` as one shell word: unchanged when the shell would read it as it is
/// (`agent-secrets`, `prod/eu`), otherwise quoted. A NUL (which no shell word can carry, and
/// which agentctl refuses on input) becomes a word that names it, never a command.
pub fn quote(word: &str) -> Cow<'_, str> {
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
            "x\0y",
        ] {
            let q = quote(hostile);
            assert_ne!(q, hostile, "{hostile:?} must be quoted");
            let words = shlex::split(&q).unwrap_or_default();
            assert_eq!(words.len(), 1, "{hostile:?} as {q:?}");
        }
    }
}
