//! `--set PATH=VALUE` flags: one flag read as a layer of its own.
//!
//! Split from [`super`] because a flag is read unlike a file: its path is walked against the
//! schema segment by segment (a key holding dots is written in double quotes), and the value is
//! typed by the schema at that path; every diagnostic points into the flag at its own column.

use super::Layer;
use crate::config::schema;
use crate::diag::{Diagnostic, Origin};
use crate::input::extras::{self, Extras};
use crate::input::yaml::{Key, Node, Pos, Value};
use crate::input::{credentials, schema_check};

/// A `--set PATH=VALUE` flag as a layer, its value typed by the schema at PATH.
/// (Long on purpose: one pass over the flag, in the order a user reads it: the `=`, the path
/// against the schema segment by segment, then the value typed by the schema at that path;
/// each step's diagnostic points into the flag at its own column.)
pub fn set(arg: &str) -> Result<Layer, Vec<Diagnostic>> {
    if let Some(version) = arg.strip_prefix(KUBE_VERSION_FLAG) {
        return kube_version(version);
    }
    let source = credentials::source(Origin::Set(arg.to_owned()), arg);
    // The first `=` outside a quoted key.
    let mut quoted = false;
    let eq = arg.char_indices().find(|&(_, c)| {
        if c == '"' {
            quoted = !quoted;
        }
        c == '=' && !quoted
    });
    let unclosed = |col| {
        vec![
            Diagnostic::new("unclosed quote in --set path")
                .at(&source, Pos { line: 1, col }, 1)
                .help("a key holding dots is written in double quotes: `--set 'agent.podLabels.\"example.com/team\"=agents'`"),
        ]
    };
    if let (None, true, Err(col)) = (eq, quoted, path_keys(arg)) {
        return Err(unclosed(col));
    }
    let Some((path, raw)) = eq.map(|(i, _)| (&arg[..i], &arg[i + 1..])) else {
        return Err(vec![
            Diagnostic::new("--set needs PATH=VALUE")
                .at(&source, Pos { line: 1, col: 1 }, arg.chars().count())
                .help(format!(
                    "e.g. `--set {arg}=VALUE` or `--set agent.replicas.min=3`"
                )),
        ]);
    };
    let keys = match path_keys(path) {
        Ok(keys) => keys,
        Err(col) => return Err(unclosed(col)),
    };
    let segments: Vec<&str> = keys.iter().map(|(k, _, _)| k.as_str()).collect();
    // Column and width of each segment within the argument (1-based), as written.
    let cols: Vec<usize> = keys.iter().map(|(_, c, _)| *c).collect();
    let widths: Vec<usize> = keys.iter().map(|(_, _, w)| *w).collect();
    if let Some(i) = segments.iter().position(|s| s.is_empty()) {
        return Err(vec![
            Diagnostic::new("empty segment in --set path")
                .at(
                    &source,
                    Pos {
                        line: 1,
                        col: cols[i],
                    },
                    1,
                )
                .help("paths are dotted keys such as agent.resources.limits.memory"),
        ]);
    }
    if let Some(first) = segments.first().filter(|s| extras::KEYS.contains(*s)) {
        return Err(vec![
            Diagnostic::new(format!("`{first}` cannot be set with --set"))
                .path(*first)
                .at(&source, Pos { line: 1, col: 1 }, first.chars().count())
                .help(format!(
                    "write `{first}:` in an override file (-f FILE) or a project environment's `set:`; patches and extra objects are YAML documents, not single values"
                )),
        ]);
    }
    let leaf = match schema::lookup(&segments) {
        Ok(s) => s,
        Err((i, names)) => {
            let prefix = segments[..i].join(".");
            let mut d = Diagnostic::new(format!("unknown key `{}`", segments[i]))
                .path(if prefix.is_empty() {
                    "(top level)".into()
                } else {
                    prefix
                })
                .at(
                    &source,
                    Pos {
                        line: 1,
                        col: cols[i],
                    },
                    widths[i],
                )
                .label("unknown key");
            if names.is_empty() {
                d = d.note(format!(
                    "`{}` is not a section; it has no keys",
                    segments[..i].join(".")
                ));
            } else {
                d = d.unknown_key(segments[i], names.iter().map(String::as_str));
                if let Some(h) = crate::config::schema::unknown_key_help(
                    &segments[..i].join("."),
                    segments[i],
                    d.help.is_some(),
                ) {
                    d.help = Some(h);
                }
            }
            return Err(vec![d]);
        }
    };
    let value_pos = Pos {
        line: 1,
        col: path.chars().count() + 2,
    };
    let value = schema_check::typed_set_value(leaf, raw, value_pos).map_err(|msg| {
        vec![
            Diagnostic::new(msg)
                .path(path)
                .at(&source, value_pos, raw.chars().count())
                .label(format!("expected {}", schema::describe(leaf))),
        ]
    })?;
    let mut tree = value;
    for (i, seg) in segments.iter().enumerate().rev() {
        tree = Node {
            pos: Pos {
                line: 1,
                col: cols[i],
            },
            len: widths[i],
            value: Value::Map(vec![(
                Key {
                    name: (*seg).to_owned(),
                    pos: Pos {
                        line: 1,
                        col: cols[i],
                    },
                },
                tree,
            )]),
        };
    }
    checked(source, tree)
}

/// How `--kube-version V` travels among the `--set` flags it comes after (so it wins over a
/// project environment's `kubeVersion:`): `"--kube-version V"`, read by [`set`] as a layer of
/// its own that every message shows as the flag the user typed, never as `--set kubeVersion=`.
pub const KUBE_VERSION_FLAG: &str = "--kube-version ";

/// `--kube-version V` as a layer: `kubeVersion: V`, located in the flag's value.
fn kube_version(version: &str) -> Result<Layer, Vec<Diagnostic>> {
    let source = credentials::source(Origin::Argument(KUBE_VERSION_FLAG.into()), version);
    let at = Pos { line: 1, col: 1 };
    let leaf = schema::lookup(&["kubeVersion"])
        .map_err(|_| vec![Diagnostic::new("the schema has no `kubeVersion`").at(&source, at, 1)])?;
    let value = schema_check::typed_set_value(leaf, version, at).map_err(|msg| {
        vec![
            Diagnostic::new(msg)
                .path("kubeVersion")
                .at(&source, at, version.chars().count())
                .label(format!("expected {}", schema::describe(leaf))),
        ]
    })?;
    let tree = Node {
        pos: at,
        len: version.chars().count().max(1),
        value: Value::Map(vec![(
            Key {
                name: "kubeVersion".into(),
                pos: at,
            },
            value,
        )]),
    };
    checked(source, tree)
}

/// A flag's tree as a layer, once the schema holds nothing against it.
fn checked(
    source: std::sync::Arc<crate::diag::Source>,
    tree: Node,
) -> Result<Layer, Vec<Diagnostic>> {
    let diags = schema_check::check(&tree, &source);
    if diags.is_empty() {
        Ok(Layer {
            source,
            tree,
            extras: Extras::default(),
        })
    } else {
        Err(diags)
    }
}

/// The keys of a `--set` path, each with its column (1-based, in the argument) and width as
/// written: dotted keys, and a key that holds dots in double quotes
/// (`agent.podLabels."example.com/team"`). `Err`: the column of a quote never closed.
fn path_keys(path: &str) -> Result<Vec<(String, usize, usize)>, usize> {
    let mut keys = Vec::new();
    let mut chars = path.chars().peekable();
    let mut col = 1;
    loop {
        let (mut name, mut width) = (String::new(), 0);
        if chars.next_if_eq(&'"').is_some() {
            width += 1;
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => name.push(c),
                    None => return Err(col),
                }
                width += 1;
            }
            width += 1;
        }
        while let Some(c) = chars.next_if(|c| *c != '.') {
            name.push(c);
            width += 1;
        }
        keys.push((name, col, width));
        col += width + 1;
        if chars.next().is_none() {
            return Ok(keys);
        }
    }
}
