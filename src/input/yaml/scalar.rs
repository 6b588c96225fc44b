//! Plain scalars: the one rule that turns unquoted text into a value (the YAML 1.2 core
//! schema, with numbers only in the plain decimal form every YAML reader agrees on), the
//! numbers written in a form readers disagree on (hexadecimal, octal, exponents, base 60),
//! and the characters no value may hold. Override files, project files and `--set` values
//! all go through it; owned here, beside the parser, so there is one copy of each rule.

use super::Value;

/// Resolves a plain scalar: the YAML 1.2 core schema, except that a number is only read as a
/// number in the forms every YAML reader agrees on (see [`not_decimal`]): `0x10`, `0o17`,
/// `017`, `1e3` are read as their text, so a setting that wants a number refuses them (with
/// what to write instead) and a string setting keeps exactly what was written. The one rule
/// for plain scalars: override files, project files and `--set` values all go through it.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if not_decimal(text).is_some() {
        return Value::Str(text.to_owned());
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        return Value::Float(text.parse::<f64>().unwrap_or(f64::INFINITY));
    }
    let is_float = {
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        digits.contains('.')
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !(int.is_empty() && frac.is_empty())
    };
    if is_float && let Ok(f) = text.parse::<f64>() {
        return Value::Float(f);
    }
    Value::Str(text.to_owned())
}

/// Why `text` cannot be a value: it holds a control character other than a tab or a line
/// break (`\\u007f` and C1 controls would reach the output raw, where YAML forbids them), or one of the
/// Unicode line breaks of YAML 1.1 (U+0085 NEXT LINE, U+2028 LINE SEPARATOR, U+2029 PARAGRAPH
/// SEPARATOR): agentctl writes those escaped, but `kubectl kustomize`, which `kubectl apply -k`
/// runs, writes them raw and reads them back as a line break and indentation, so the object
/// applied from the directory would hold another value than the stream's. Nor can it hold a
/// bidirectional control (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C): it makes a
/// reader of the files, the diff or a review see another text than the one applied ("Trojan
/// Source"). Refused in every layer and every `--set`.
pub fn unfit_character(text: &str) -> Option<String> {
    let c = text.chars().find(|&c| {
        matches!(c, '\u{2028}' | '\u{2029}')
            || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || (crate::term::unprintable(c) && !c.is_control())
    })?;
    let code = u32::from(c);
    Some(match c {
        _ if !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}') => format!(
            "the value contains U+{code:04X}, a bidirectional control that makes a reader see the text in another order than the one applied (write the text without it)"
        ),
        '\u{85}' | '\u{2028}' | '\u{2029}' => {
            let name = match c {
                '\u{85}' => "NEXT LINE",
                '\u{2028}' => "LINE SEPARATOR",
                _ => "PARAGRAPH SEPARATOR",
            };
            format!(
                "the value contains U+{code:04X} ({name}), which `kubectl apply -k` would change (kustomize writes it raw and reads it back as a line break)"
            )
        }
        _ => format!(
            "the value contains the control character U+{code:04X}, which has no place in a setting (only tabs and line breaks do)"
        ),
    })
}

/// A plain scalar that looks like a number but is not written in the one form every YAML
/// reader agrees on (decimal digits, an optional sign, no leading zero, no `_`, no exponent):
/// what YAML readers make of it and what to write instead.
#[derive(Debug, Clone, PartialEq)]
pub struct NotDecimal {
    /// How YAML 1.2 and YAML 1.1 (Kubernetes, PyYAML) read it, as a sentence.
    pub readings: String,
    /// What to write for the number, e.g. `16`.
    pub write: String,
}

/// Whether `text` is a number written in a form YAML readers disagree on or agentctl does
/// not accept: hexadecimal (`0x10`), octal (`0o17`, and `017`, which YAML 1.2 reads as 17 and
/// YAML 1.1 as 15), binary (`0b11`), digit groups (`1_000`), exponents (`1e3`), base 60
/// (`1:30`). Such a value is never read as a number, in a file or in `--set`.
pub fn not_decimal(text: &str) -> Option<NotDecimal> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    let signed = |v: i128| format!("{sign}{v}");
    let radix = |digits: &str, base: u32| -> Option<i128> {
        let clean: String = digits.chars().filter(|c| *c != '_').collect();
        (!clean.is_empty() && !digits.starts_with('_'))
            .then(|| i128::from_str_radix(&clean, base).ok())
            .flatten()
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let v = radix(hex, 16)?;
        return Some(NotDecimal {
            readings: format!("`{text}` is hexadecimal ({} in decimal)", signed(v)),
            write: signed(v),
        });
    }
    if let Some(oct) = body.strip_prefix("0o") {
        let v = radix(oct, 8)?;
        return Some(NotDecimal {
            readings: format!(
                "YAML 1.2 reads `{text}` as the octal number {}, YAML 1.1 (Kubernetes, PyYAML) as the text \"{text}\"",
                signed(v)
            ),
            write: signed(v),
        });
    }
    if let Some(bin) = body.strip_prefix("0b") {
        let v = radix(bin, 2)?;
        return Some(NotDecimal {
            readings: format!(
                "YAML 1.1 (Kubernetes, PyYAML) reads `{text}` as the binary number {}, YAML 1.2 as the text \"{text}\"",
                signed(v)
            ),
            write: signed(v),
        });
    }
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if body.len() > 1 && body.starts_with('0') && all_digits(body) {
        let decimal = body.trim_start_matches('0');
        let decimal = format!("{sign}{}", if decimal.is_empty() { "0" } else { decimal });
        return Some(match radix(body, 8) {
            Some(v) => NotDecimal {
                readings: format!(
                    "YAML 1.2 reads `{text}` as {decimal}, YAML 1.1 (Kubernetes, PyYAML) as the octal number {} ({} in decimal)",
                    text,
                    signed(v)
                ),
                write: format!("{decimal}, or {} for the octal value", signed(v)),
            },
            None => NotDecimal {
                readings: format!(
                    "YAML 1.2 reads `{text}` as {decimal}; YAML 1.1 readers (Kubernetes, PyYAML) disagree on it (a leading zero means octal to them)"
                ),
                write: decimal,
            },
        });
    }
    if body.contains('_')
        && body.starts_with(|c: char| c.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'_' || b == b'.')
        && body.matches('.').count() <= 1
    {
        let clean: String = text.chars().filter(|c| *c != '_' && *c != '+').collect();
        return Some(NotDecimal {
            readings: format!(
                "YAML 1.1 (Kubernetes, PyYAML) reads `{text}` as the number {clean}, YAML 1.2 as the text \"{text}\""
            ),
            write: clean,
        });
    }
    if let Some((mantissa, exp)) = body.split_once(['e', 'E']) {
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let exp_digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if (all_digits(int) || (int.is_empty() && all_digits(frac)))
            && (frac.is_empty() || all_digits(frac))
            && all_digits(exp_digits)
            && let Ok(v) = text.parse::<f64>()
        {
            let write = if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", v as i64)
            } else {
                format!("{v}")
            };
            return Some(NotDecimal {
                readings: format!(
                    "YAML 1.2 reads `{text}` as the number {write}; YAML 1.1 readers disagree on exponents (PyYAML reads it as text)"
                ),
                write,
            });
        }
    }
    if body.contains(':') {
        let parts: Vec<&str> = body.split(':').collect();
        let first_ok = parts.first().is_some_and(|p| all_digits(p));
        let rest_ok = parts[1..]
            .iter()
            .all(|p| all_digits(p) && p.len() <= 2 && p.parse::<u32>().is_ok_and(|n| n < 60));
        if first_ok && rest_ok {
            let v = parts
                .iter()
                .try_fold(0i128, |acc, p| Some(acc * 60 + p.parse::<i128>().ok()?))?;
            return Some(NotDecimal {
                readings: format!(
                    "YAML 1.1 (Kubernetes, PyYAML) reads `{text}` as the base-60 number {}, YAML 1.2 as the text \"{text}\"",
                    signed(v)
                ),
                write: signed(v),
            });
        }
    }
    None
}
