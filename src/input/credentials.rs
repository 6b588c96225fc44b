//! Credentials in sources: a source is read with the scanner that finds its credential values
//! in a line, stored on the [`Source`]; diagnostics only apply it. It finds the values of
//! credential-like keys (`KEY: value` in block style, `{KEY: value, ...}` in flow style,
//! `--set PATH=value`, `KEY=value` in a `.env` file, `key = value` in an INI file) and every
//! value shaped like a credential whatever its key (a token, a JWT, a private key, ...). What
//! counts as a credential, by name and by shape, is [`crate::config::credentials`]'s policy.

use std::sync::Arc;

use crate::config::credentials::{
    encoded_spans, is_credential, is_sensitive, key_holds_credential, merge, value_spans,
};
use crate::diag::{Mask, Origin, Source};

/// A source read from `origin`, whose credential values diagnostics mask (found by [`masks`]
/// in the lines they show: scanning every line of a large file up front would cost more than
/// the whole parse).
pub fn source(origin: Origin, text: impl Into<Arc<str>>) -> Arc<Source> {
    Source::with_masker(origin, text, masks)
}

/// Finds the credential values in one source line: those of credential-like keys (see
/// `key_masks`), those shaped like a credential (`value_spans`), and base64 whose text holds
/// one (`encoded_spans`: a `binaryData` value beside the one an error is about).
pub fn masks(origin: &Origin, line: &[char]) -> Vec<Mask> {
    let mut out = key_masks(origin, line);
    out.extend(value_spans(line));
    out.extend(encoded_spans(line));
    out.extend(assignment_masks(line));
    out.extend(flag_masks(line));
    out.extend(embedded_lines(line));
    merge(out)
}

/// The lines a quoted scalar embeds (`"a: 1\nset password x\n"`, `'requirepass x'`): each piece
/// after an opening quote or a `\n` escape, up to the next quote or escape, read by the value
/// shapes as a line of its own (a config line's key starts its line: `set password x` is one
/// only there).
fn embedded_lines(line: &[char]) -> Vec<Mask> {
    let escape = |k: usize| {
        line[k] == '\\'
            && matches!(line.get(k + 1), Some('n' | 'r'))
            && (k == 0 || line[k - 1] != '\\')
    };
    let mut out = Vec::new();
    let mut k = 0;
    while k < line.len() {
        let quote = |k: usize| matches!(line[k], '"' | '\'') && (k == 0 || line[k - 1] != '\\');
        let start = if quote(k) {
            k + 1
        } else if escape(k) {
            k + 2
        } else {
            k += 1;
            continue;
        };
        let mut end = start;
        while end < line.len() && !quote(end) && !escape(end) {
            end += 1;
        }
        out.extend(
            value_spans(&line[start..end])
                .into_iter()
                .map(|(a, b)| (a + start, b + start)),
        );
        k = end.max(k + 1);
    }
    out
}

/// `--password hunter2` and `--password=hunter2` as a line writes an `args`/`command` list
/// (`["--token", "abc"]`, `- --token=abc`): the value of every flag the policy calls a
/// credential, whichever flag of the line a diagnostic is about (a `$(VAR)` reference is not
/// a value). The flags are the policy's, as `credentials::in_object` reads `args`.
fn flag_masks(line: &[char]) -> Vec<Mask> {
    let separator = |c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '"' | '\'');
    // The words of the line: (start, end) in characters.
    let mut words = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if separator(line[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < line.len() && !separator(line[i]) {
            i += 1;
        }
        words.push((start, i));
    }
    let word = |(s, e): (usize, usize)| line[s..e].iter().collect::<String>();
    let value = |w: &str| !w.is_empty() && !w.starts_with('-') && !w.starts_with("$(");
    let mut out = Vec::new();
    for (n, &(s, e)) in words.iter().enumerate() {
        let w = word((s, e));
        let Some(flag) = w.strip_prefix("--").or_else(|| w.strip_prefix('-')) else {
            // A credential's name with its value glued on (`password=hunter2` in a sentence).
            if w.contains('=')
                && key_holds_credential(&w)
                && let Some((name, v)) = w.split_once('=')
                && !v.is_empty()
            {
                out.push((s + name.chars().count() + 1, e));
            }
            continue;
        };
        match flag.split_once('=') {
            Some((name, v)) if is_sensitive(name) && value(v) => {
                out.push((e - v.chars().count(), e));
            }
            None if is_sensitive(flag) => {
                if let Some(&next) = words.get(n + 1)
                    && value(&word(next))
                {
                    out.push(next);
                }
            }
            _ => {}
        }
    }
    out
}

/// `KEY=value` (a `.env` line, with or without `export`) and `key = value` (an INI line): the
/// value when the key names a credential. A file that is not YAML is not quoted at all, but a
/// YAML value may hold such a line too.
fn assignment_masks(line: &[char]) -> Vec<Mask> {
    let Some(eq) = line.iter().position(|c| *c == '=') else {
        return Vec::new();
    };
    let key: String = line[..eq].iter().collect();
    let key = key.trim().trim_start_matches("export ").trim();
    let key = key
        .rsplit([' ', '{', ',', ':', '"', '\''])
        .next()
        .unwrap_or(key);
    if key.is_empty() || !is_credential(key) {
        return Vec::new();
    }
    // `password => x` (Ruby, Perl): the arrow is no part of the value.
    let start = (eq + 1..line.len())
        .find(|j| !matches!(line[*j], ' ' | '>'))
        .unwrap_or(line.len());
    let end = (start..line.len())
        .find(|j| matches!(line[*j], ' ' | ',' | '}' | '"' | '\''))
        .filter(|j| *j > start)
        .unwrap_or(line.len());
    if start < end {
        vec![(start, end)]
    } else {
        Vec::new()
    }
}

/// The values of credential-like keys in one source line: `KEY: value` in block style,
/// `{KEY: value, ...}` in flow style, `--set PATH=value` for flags.
fn key_masks(origin: &Origin, line: &[char]) -> Vec<Mask> {
    if let Origin::Argument(_) = origin {
        return Vec::new();
    }
    if let Origin::Set(arg) = origin {
        let prefix = "--set ".len();
        return match arg.split_once('=') {
            Some((path, _)) if is_credential(path) => {
                let start = prefix + path.chars().count() + 1;
                (start < line.len())
                    .then_some((start, line.len()))
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        };
    }
    let mut out = Vec::new();
    let mut key_start = 0;
    let mut flow = 0usize;
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        match c {
            '{' | '[' => {
                flow += 1;
                key_start = i + 1;
            }
            '}' | ']' => flow = flow.saturating_sub(1),
            ',' if flow > 0 => key_start = i + 1,
            '#' if i == 0 || line[i - 1] == ' ' => break,
            ':' if line.get(i + 1).is_none_or(|n| *n == ' ') => {
                let key: String = line[key_start..i].iter().collect();
                let key = key
                    .trim()
                    .trim_start_matches("- ")
                    .trim_matches(['"', '\'', ' ']);
                // A key that itself holds a credential (`password=hunter2: x`): the key too.
                if key_holds_credential(key) {
                    let from = (key_start..i)
                        .find(|j| !matches!(line[*j], ' ' | '-' | '"' | '\''))
                        .unwrap_or(i);
                    let to = (from..i)
                        .rev()
                        .find(|j| !matches!(line[*j], ' ' | '"' | '\''))
                        .map_or(from, |j| j + 1);
                    if from < to {
                        out.push((from, to));
                    }
                }
                if is_credential(key) {
                    let start = (i + 1..line.len())
                        .find(|j| line[*j] != ' ')
                        .unwrap_or(line.len());
                    let end = if flow > 0 {
                        (start..line.len())
                            .find(|j| matches!(line[*j], ',' | '}'))
                            .unwrap_or(line.len())
                    } else {
                        line.len()
                    };
                    if start < end {
                        out.push((start, end));
                        i = end;
                        key_start = end;
                        continue;
                    }
                }
                key_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::redact;

    fn shown(line: &str, origin: &Origin) -> String {
        let chars: Vec<char> = line.chars().collect();
        let (out, _) = redact(&chars, &masks(origin, &chars), (0, 1));
        out.into_iter().collect()
    }

    #[test]
    fn credential_values_are_masked_in_every_shape() {
        let file = Origin::File("f.yaml".into());
        assert_eq!(shown("  API_TOKEN: abc", &file), "  API_TOKEN: <redacted>");
        assert_eq!(
            shown("  \"db-password\": 'x y'", &file),
            "  \"db-password\": <redacted>"
        );
        assert_eq!(
            shown("extra: {SECRET_KEY: abc, MODE: x}", &file),
            "extra: {SECRET_KEY: <redacted>, MODE: x}"
        );
        assert_eq!(shown("- token: abc", &file), "- token: <redacted>");
        // Not credentials: a setting of agentctl's own, a comment, a plain key.
        assert_eq!(
            shown("  apiKeyKey: anthropic-api-key", &file),
            "  apiKeyKey: anthropic-api-key"
        );
        assert_eq!(
            shown("  mode: x # token: abc", &file),
            "  mode: x # token: abc"
        );
        assert_eq!(shown("  MODE: token", &file), "  MODE: token");
        let set = Origin::Set("agent.config.extra.PASSWORD=hunter2".into());
        assert_eq!(
            shown("--set agent.config.extra.PASSWORD=hunter2", &set),
            "--set agent.config.extra.PASSWORD=<redacted>"
        );
    }
}
