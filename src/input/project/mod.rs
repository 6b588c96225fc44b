//! Project file: many environments (clusters, regions, stages) from one `agentctl.yaml`.
//!
//! A project file declares environments, each a list of profiles, override files (relative to
//! the project file) and inline `set:` settings, rendered into `-o DIR/<env>/` (or the
//! environment's own `output:` subdirectory). It is checked as strictly as any layer and every
//! problem is located in it: unknown keys (with "did you mean"), unknown profiles, missing
//! override files, duplicate or non-DNS environment names, two environments sharing or nesting
//! output directories; the `set:` maps go through the config schema at their own line and
//! column. Rendering the environments is [`crate::pipeline`]'s job; this module only reads
//! and checks the file. Must not render, write or know the command line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Error, Origin, Result, Source};
use crate::input::layers::{self, Checked, Inputs};
use crate::input::yaml::{self, Pos, SyntaxKind, Value};

mod parser;

use parser::Parser;

/// The project file looked for in the current directory.
pub const FILE_NAME: &str = "agentctl.yaml";

/// Largest project file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The longest directory name in an environment's `output:` (bytes; a file system's limit).
pub const MAX_OUTPUT_NAME: usize = 255;
/// The longest environment `output:` (bytes; the record of the output root names it).
pub const MAX_OUTPUT_PATH: usize = 1024;

/// Keys of the project file's top level.
const TOP_KEYS: &[&str] = &["environments"];

/// Keys of one environment.
const ENV_KEYS: &[&str] = &[
    "profiles",
    "overrides",
    "kubeVersion",
    "crds",
    "set",
    "output",
];

/// A parsed and checked project file.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project file, as given or found.
    pub path: PathBuf,
    /// Its text, for diagnostics.
    pub source: Arc<Source>,
    /// The environments, in file order.
    pub environments: Vec<Environment>,
}

/// One environment of a project.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Its name (a DNS-1123 label).
    pub name: String,
    /// Where the name is written.
    pub pos: Pos,
    /// Profiles, in order.
    pub profiles: Vec<String>,
    /// Override files, resolved against the project file's directory.
    pub overrides: Vec<PathBuf>,
    /// The `set:` map as a layer located in the project file, as checked: without the entries
    /// the schema refuses, and their problems, if it has any (see [`select`]).
    pub inline: Option<Checked>,
    /// Output subdirectory, relative to `-o DIR` (default: the name).
    pub output: PathBuf,
    /// Its override files, read once when the project file was checked (shared with every
    /// other environment that lists the same file).
    pub read: std::collections::BTreeMap<PathBuf, Arc<Source>>,
    /// The project file's directory: a `crds:` path listed by its files stays inside it.
    pub root: PathBuf,
}

impl Environment {
    /// The environment's inputs, with `--set` flags from the command line applied last.
    pub fn inputs(&self, sets: &[String]) -> Inputs {
        Inputs {
            profiles: self.profiles.clone(),
            files: self.overrides.clone(),
            sets: sets.to_vec(),
            inline: self.inline.clone(),
            read: self.read.clone(),
            root: Some(self.root.clone()),
        }
    }
}

/// The project file to use: `explicit`, else [`FILE_NAME`] in the current directory.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(p) => Ok(p.to_owned()),
        None if Path::new(FILE_NAME).is_file() => Ok(PathBuf::from(FILE_NAME)),
        None => {
            let d = Diagnostic::new(format!(
                "no project file: `{FILE_NAME}` is not in the current directory"
            ))
            .note("--all and --env render the environments of a project file");
            let d = match in_a_parent() {
                // Run from a subdirectory of a project: name it, but never use it silently
                // (`-o` and every path on the command line are relative to where you are).
                Some(up) => d.help(format!(
                    "`{}` is in a parent directory: run from there (`cd {}`), or pass `--project {}`",
                    up.display(),
                    up.parent().map_or(Path::new(".."), |p| p).display(),
                    up.display()
                )),
                None => d.help(format!(
                    "create one with `agentctl init --project`, run from the directory that has `{FILE_NAME}`, or pass `--project FILE`"
                )),
            };
            Err(d.into())
        }
    }
}

/// The nearest [`FILE_NAME`] above the current directory, as a relative path (`../agentctl.yaml`).
fn in_a_parent() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    let mut up = PathBuf::new();
    for dir in here.ancestors().skip(1) {
        up.push("..");
        if dir.join(FILE_NAME).is_file() {
            return Some(up.join(FILE_NAME));
        }
    }
    None
}

/// Reads and checks a project file. Its `overrides:` must stay inside its directory unless
/// `outside` (the command line's `--allow-outside-project`).
pub fn load(path: &Path, outside: bool) -> Result<Project> {
    if path.is_dir() {
        return Err(
            Diagnostic::new(format!("project file `{}` is a directory", path.display()))
                .help(format!(
                    "pass the file: `--project {}`",
                    path.join(FILE_NAME).display()
                ))
                .into(),
        );
    }
    let text = layers::read_text(
        path,
        "project file",
        MAX_FILE_BYTES,
        "check the path given with --project",
    )?;
    parse_with(path, &text, outside).map_err(Error::Input)
}

/// Checks the text of a project file at `path` (override paths resolve against its directory,
/// and must stay inside it). Reports every problem found.
pub fn parse(path: &Path, text: &str) -> Result<Project, Vec<Diagnostic>> {
    parse_with(path, text, false)
}

/// [`parse`], letting override files lie outside the project's directory when `outside`.
pub fn parse_with(path: &Path, text: &str, outside: bool) -> Result<Project, Vec<Diagnostic>> {
    let source = crate::input::credentials::source(Origin::Project(path.to_owned()), text);
    let tree = match yaml::parse_layer(text) {
        Ok(tree) => tree,
        Err(e) if !plausible(text) => {
            return Err(vec![
                layers::unquoted(syntax_error(&source, e)).note(NOT_A_PROJECT),
            ]);
        }
        Err(e) => return Err(vec![syntax_error(&source, e)]),
    };
    let ours = matches!(tree.value, Value::Map(_) | Value::Null) || plausible(text);
    let mut p = Parser {
        source: Arc::clone(&source),
        dir: path.parent().map(Path::to_owned).unwrap_or_default(),
        diags: Vec::new(),
        outside,
        read: std::collections::BTreeMap::new(),
        deferred: 0,
    };
    let environments = p.top(&tree);
    if !ours {
        p.diags = p
            .diags
            .into_iter()
            .map(|d| layers::unquoted(d).note(NOT_A_PROJECT))
            .collect();
    }
    // Problems of `set:` entries alone: each environment keeps its own, reported with what the
    // rules find in the rest of it when it is rendered.
    if p.diags.len() == p.deferred {
        Ok(Project {
            path: path.to_owned(),
            source,
            environments,
        })
    } else {
        Err(p.diags)
    }
}

/// Whether a text that is not a project file's map is still plausibly meant as one (a line
/// starts with `environments:`), so its lines may be quoted.
fn plausible(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("environments:"))
}

/// Why a `--project` file's lines are not shown.
const NOT_A_PROJECT: &str = "it has no `environments:` map: is it a project file? (`agentctl init --project` scaffolds one)";

fn syntax_error(source: &Arc<Source>, mut e: yaml::SyntaxError) -> Diagnostic {
    let help = match &e.kind {
        // A duplicated environment name is a YAML duplicate key one level under `environments`.
        SyntaxKind::DuplicateKey(name)
            if let Some((_, first)) = &e.related
                && is_environment_key(&source.text, e.pos.line, name, *first) =>
        {
            return Diagnostic::new(format!("duplicate environment `{name}`"))
                .path(format!("environments.{name}"))
                .at(source, e.pos, e.len)
                .label("declared again here")
                .related("first declared here", Some(source), *first)
                .help("environment names must be unique; rename one of them or merge the two");
        }
        SyntaxKind::SecondDocument if e.pos.line > 0 => {
            "a project file is one document; declare every environment under `environments:`"
        }
        SyntaxKind::Empty => {
            "declare environments, e.g. `environments:\\n  dev:\\n    profiles: [dev]`, or scaffold one with `agentctl init --project`"
        }
        _ => return e.into_diagnostic(source),
    };
    e.hint = Some(help.to_owned());
    e.into_diagnostic(source)
}

/// Whether `name`, first written at `first`, is a direct child of the top-level
/// `environments` map: the text before the duplicate's line parses on its own (block YAML
/// does), and there `environments` has `name` at `first`.
fn is_environment_key(text: &str, line: usize, name: &str, first: Pos) -> bool {
    let end = text
        .match_indices('\n')
        .nth(line.saturating_sub(2))
        .map_or(0, |(i, _)| i + 1);
    let Ok(prefix) = yaml::parse_layer(&text[..end]) else {
        return false;
    };
    let Value::Map(top) = &prefix.value else {
        return false;
    };
    top.iter()
        .find(|(k, _)| k.name == "environments")
        .is_some_and(|(_, envs)| match &envs.value {
            Value::Map(entries) => entries
                .iter()
                .any(|(k, _)| k.name == name && k.pos == first),
            _ => false,
        })
}

/// The environments of a project file's text and the output directory each renders into (its
/// `output:`, else its name), as `/`-separated components below `-o DIR`, with where each
/// environment is declared: read from the YAML alone, with none of [`parse`]'s checks, so a
/// project file that does not render now (an override file missing, a bad `set:`) still says
/// where its environments write. `None` when the text has no `environments:` map.
pub fn outputs(text: &str) -> Option<Vec<(String, Pos, Vec<String>)>> {
    let tree = yaml::parse_layer(text).ok()?;
    let Value::Map(top) = &tree.value else {
        return None;
    };
    let (_, envs) = top.iter().find(|(k, _)| k.name == "environments")?;
    let Value::Map(envs) = &envs.value else {
        return None;
    };
    Some(
        envs.iter()
            .map(|(k, env)| {
                let output = match &env.value {
                    Value::Map(fields) => fields.iter().find_map(|(f, v)| match &v.value {
                        Value::Str(s) if f.name == "output" => Some(s.clone()),
                        _ => None,
                    }),
                    _ => None,
                };
                let parts = output
                    .unwrap_or_else(|| k.name.clone())
                    .split('/')
                    .filter(|p| !p.is_empty() && *p != ".")
                    .map(str::to_owned)
                    .collect();
                (k.name.clone(), k.pos, parts)
            })
            .collect(),
    )
}

/// The error of an override file path `rel` (at config path `path`) holding a control or
/// invisible character ([`crate::term::hidden`]), if it holds one.
fn hidden_in_path(rel: &str, path: &str) -> Option<Diagnostic> {
    let c = rel
        .chars()
        .find(|c| c.is_control() || crate::term::hidden(*c))?;
    Some(
        Diagnostic::new(format!(
            "override file path contains U+{:04X}, a control or invisible character",
            u32::from(c)
        ))
        .path(path)
        .label("a file name a terminal, a review and a pasted command would show as another")
        .help("rename the file to a name of visible characters and list that name"),
    )
}

/// The environments to render: all of them, or those named (in project order, once each).
pub fn select<'p>(
    project: &'p Project,
    all: bool,
    names: &[String],
) -> Result<Vec<&'p Environment>> {
    if all {
        return Ok(project.environments.iter().collect());
    }
    let selected = named(project, names)?;
    // The file is checked whole: a refused `set:` entry of an environment not rendered now is
    // still an error (a selected one's are reported when it is rendered, with the rest).
    let others: Vec<Diagnostic> = project
        .environments
        .iter()
        .filter(|e| !names.contains(&e.name))
        .flat_map(|e| {
            let note = format!("in environment `{}` (its `set:`)", e.name);
            e.inline
                .iter()
                .flat_map(|c| c.diags.iter())
                .map(move |d| d.clone().note(note.clone()))
        })
        .collect();
    if others.is_empty() {
        Ok(selected)
    } else {
        Err(Error::Input(others))
    }
}

/// The environments named, in project order, once each.
fn named<'p>(project: &'p Project, names: &[String]) -> Result<Vec<&'p Environment>> {
    let known: Vec<&str> = project
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let mut diags = Vec::new();
    for n in names {
        if !known.contains(&n.as_str()) {
            let d = Diagnostic::new(format!(
                "unknown environment `{n}` (not in {})",
                project.path.display()
            ))
            .note(format!("environments: {}", known.join(", ")))
            .suggest(n, known.iter().copied(), |m| {
                format!("did you mean `--env {m}`?")
            })
            .unwrap_or_else(|d| d.help("use --all for every environment"));
            diags.push(d);
        }
    }
    if !diags.is_empty() {
        return Err(Error::Input(diags));
    }
    Ok(project
        .environments
        .iter()
        .filter(|e| names.contains(&e.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{ENV_KEYS, TOP_KEYS};

    /// The keys this reader accepts are the keys of the project file's types, from which its
    /// schema is generated (`agentctl schema --project`): neither can gain a key alone.
    #[test]
    fn the_keys_read_are_the_keys_of_the_schema() {
        let (top, env) = crate::config::project::keys();
        let sorted = |k: &[&str]| {
            let mut k: Vec<String> = k.iter().map(|s| (*s).to_owned()).collect();
            k.sort();
            k
        };
        assert_eq!(sorted(TOP_KEYS), top);
        assert_eq!(sorted(ENV_KEYS), env);
    }
}
