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

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::config::names::{dns1123_label, suggest_name};
use crate::diag::{Diagnostic, Error, Origin, Result, Source, did_you_mean};
use crate::input::layers::{self, Inputs, Layer};
use crate::input::profiles;
use crate::input::yaml::{self, Key, Node, Pos, SyntaxKind, Value};

/// The project file looked for in the current directory.
pub const FILE_NAME: &str = "agentctl.yaml";

/// Largest project file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Keys of the project file's top level.
const TOP_KEYS: &[&str] = &["environments"];

/// Keys of one environment.
const ENV_KEYS: &[&str] = &["profiles", "overrides", "set", "output"];

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
    /// The `set:` map as a layer located in the project file.
    pub inline: Option<Layer>,
    /// Output subdirectory, relative to `-o DIR` (default: the name).
    pub output: PathBuf,
}

impl Environment {
    /// The environment's inputs, with `--set` flags from the command line applied last.
    pub fn inputs(&self, sets: &[String]) -> Inputs {
        Inputs {
            profiles: self.profiles.clone(),
            files: self.overrides.clone(),
            sets: sets.to_vec(),
            inline: self.inline.clone(),
        }
    }
}

/// The project file to use: `explicit`, else [`FILE_NAME`] in the current directory.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(p) => Ok(p.to_owned()),
        None if Path::new(FILE_NAME).is_file() => Ok(PathBuf::from(FILE_NAME)),
        None => Err(Diagnostic::new(format!(
            "no project file: `{FILE_NAME}` is not in the current directory"
        ))
        .note("--all and --env render the environments of a project file")
        .help(format!(
            "create one with `agentctl init --project`, run from the directory that has `{FILE_NAME}`, or pass `--project FILE`"
        ))
        .into()),
    }
}

/// Reads and checks a project file.
pub fn load(path: &Path) -> Result<Project> {
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
    let text = layers::read_text(path, "project file", "check the path given with --project")?;
    parse(path, &text).map_err(Error::Input)
}

/// Checks the text of a project file at `path` (override paths resolve against its directory).
/// Reports every problem found.
pub fn parse(path: &Path, text: &str) -> Result<Project, Vec<Diagnostic>> {
    let source = crate::input::credentials::source(Origin::Project(path.to_owned()), text);
    let tree = match yaml::parse_layer(text) {
        Ok(tree) => tree,
        Err(e) => return Err(vec![syntax_error(&source, e)]),
    };
    let mut p = Parser {
        source: Arc::clone(&source),
        dir: path.parent().map(Path::to_owned).unwrap_or_default(),
        diags: Vec::new(),
    };
    let environments = p.top(&tree);
    if p.diags.is_empty() {
        Ok(Project {
            path: path.to_owned(),
            source,
            environments,
        })
    } else {
        Err(p.diags)
    }
}

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

struct Parser {
    source: Arc<Source>,
    dir: PathBuf,
    diags: Vec<Diagnostic>,
}

/// An environment's output directory with where it was decided (its `output:` or its name).
struct OutputAt {
    parts: Vec<String>,
    pos: Pos,
    len: usize,
    explicit: bool,
}

impl Parser {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn at(&self, d: Diagnostic, pos: Pos, len: usize) -> Diagnostic {
        d.at(&self.source, pos, len)
    }

    fn unknown_key(&mut self, key: &Key, path: &str, valid: &[&str]) {
        let d = Diagnostic::new(format!("unknown key `{}`", key.name))
            .path(path)
            .label("unknown key")
            .unknown_key(&key.name, valid.iter().copied());
        let d = self.at(d, key.pos, key.name.chars().count());
        self.error(d);
    }

    fn top(&mut self, tree: &Node) -> Vec<Environment> {
        let Value::Map(entries) = &tree.value else {
            let d = Diagnostic::new(format!(
                "a project file is a map with an `environments:` key, not {}",
                tree.value.type_name()
            ))
            .help("e.g. `environments:\\n  dev:\\n    profiles: [dev]`");
            let d = self.at(d, tree.pos, tree.len);
            self.error(d);
            return Vec::new();
        };
        let mut environments = None;
        for (key, value) in entries {
            match key.name.as_str() {
                "environments" => environments = Some((key, value)),
                name if ENV_KEYS.contains(&name) => {
                    let d = Diagnostic::new(format!("unknown key `{name}`"))
                        .path("(top level)")
                        .label("belongs to an environment")
                        .note(format!("valid keys here: {}", TOP_KEYS.join(", ")))
                        .help(format!(
                            "`{name}` is set per environment: `environments:\\n  prod:\\n    {name}: ...`"
                        ));
                    let d = self.at(d, key.pos, name.chars().count());
                    self.error(d);
                }
                _ => self.unknown_key(key, "(top level)", TOP_KEYS),
            }
        }
        let Some((key, envs)) = environments else {
            let d = Diagnostic::new("the project file declares no `environments:`")
                .help("add `environments:` with one entry per environment, e.g. `environments:\\n  dev:\\n    profiles: [dev]`");
            let d = self.at(d, tree.pos, 1);
            self.error(d);
            return Vec::new();
        };
        let entries = match &envs.value {
            Value::Map(e) if !e.is_empty() => e,
            Value::Null => {
                let d = Diagnostic::new("`environments` is empty")
                    .path("environments")
                    .help("declare at least one environment, e.g. `dev: {profiles: [dev]}`");
                let d = self.at(d, key.pos, key.name.len());
                self.error(d);
                return Vec::new();
            }
            Value::Map(_) => {
                let d = Diagnostic::new("`environments` is empty")
                    .path("environments")
                    .help("declare at least one environment, e.g. `dev: {profiles: [dev]}`");
                let d = self.at(d, envs.pos, envs.len);
                self.error(d);
                return Vec::new();
            }
            other => {
                let d = Diagnostic::new(format!(
                    "`environments` must be a map of environment names, not {}",
                    other.type_name()
                ))
                .path("environments")
                .label("expected a map")
                .help("e.g. `environments:\\n  dev:\\n    profiles: [dev]`");
                let d = self.at(d, envs.pos, envs.len);
                self.error(d);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        let mut outputs: Vec<(String, OutputAt)> = Vec::new();
        for (key, value) in entries {
            let (env, at) = self.environment(key, value);
            if let Some(at) = at {
                self.check_overlap(&key.name, &at, &outputs);
                outputs.push((key.name.clone(), at));
            }
            out.extend(env);
        }
        out
    }

    fn check_overlap(&mut self, name: &str, at: &OutputAt, earlier: &[(String, OutputAt)]) {
        for (other, o) in earlier {
            let (shorter, longer) = if o.parts.len() <= at.parts.len() {
                (&o.parts, &at.parts)
            } else {
                (&at.parts, &o.parts)
            };
            if !longer.starts_with(shorter) {
                continue;
            }
            let dir = at.parts.join("/");
            let message = if o.parts == at.parts {
                format!(
                    "environments `{other}` and `{name}` render into the same directory `{dir}`"
                )
            } else if o.parts.len() < at.parts.len() {
                format!(
                    "environment `{name}` renders into `{dir}`, inside the directory of environment `{other}` (`{}`)",
                    o.parts.join("/")
                )
            } else {
                format!(
                    "environment `{name}` renders into `{dir}`, which contains the directory of environment `{other}` (`{}`)",
                    o.parts.join("/")
                )
            };
            let label = if at.explicit {
                "this output directory"
            } else {
                "renders into its own name"
            };
            let other_label = if o.explicit {
                format!("`{other}` renders here")
            } else {
                format!("`{other}` renders into `{}`", o.parts.join("/"))
            };
            let path = if at.explicit {
                format!("environments.{name}.output")
            } else {
                format!("environments.{name}")
            };
            let d = Diagnostic::new(message)
                .path(path)
                .label(label)
                .related(other_label, Some(&self.source), o.pos)
                .help("give each environment a directory of its own with `output:` (a path under -o DIR), or rename one");
            let d = self.at(d, at.pos, at.len);
            self.error(d);
            return;
        }
    }

    /// The environment, if it is valid, and its output directory, if that is.
    fn environment(&mut self, key: &Key, value: &Node) -> (Option<Environment>, Option<OutputAt>) {
        let name = key.name.clone();
        let path = format!("environments.{name}");
        let mut ok = true;
        if let Err(why) = dns1123_label(&name) {
            let d = Diagnostic::new(format!(
                "environment name `{name}` is not a DNS-1123 label: {why}"
            ))
            .path(&path)
            .label("not a DNS-1123 label")
            .note("the name becomes a directory name and usually part of namespaces and cluster names")
            .help(format!("rename it, e.g. `{}`", suggest_name(&name, false)));
            let d = self.at(d, key.pos, name.chars().count());
            self.error(d);
            ok = false;
        }
        let entries: &[(Key, Node)] = match &value.value {
            Value::Map(e) => e,
            Value::Null => &[],
            other => {
                let d = Diagnostic::new(format!(
                    "an environment is a map of {}, not {}",
                    ENV_KEYS.join(", "),
                    other.type_name()
                ))
                .path(&path)
                .label("expected a map")
                .help(format!(
                    "e.g. `{name}: {{profiles: [dev], overrides: [envs/{name}.yaml]}}`"
                ));
                let d = self.at(d, value.pos, value.len);
                self.error(d);
                return (None, None);
            }
        };
        let mut env = Environment {
            name: name.clone(),
            pos: key.pos,
            profiles: Vec::new(),
            overrides: Vec::new(),
            inline: None,
            output: PathBuf::from(&name),
        };
        let mut at = Some(OutputAt {
            parts: vec![name.clone()],
            pos: key.pos,
            len: name.chars().count(),
            explicit: false,
        });
        for (k, v) in entries {
            let here = format!("{path}.{}", k.name);
            match k.name.as_str() {
                "profiles" => {
                    for (item, node) in self.strings(v, &here, "profile names", "[dev]") {
                        let names = profiles::PROFILES.iter().map(|p| p.name);
                        if profiles::find(&item).is_some() {
                            env.profiles.push(item);
                            continue;
                        }
                        let d = Diagnostic::new(format!("unknown profile `{item}`"))
                            .path(&here)
                            .label("unknown profile")
                            .note(format!(
                                "available profiles: {}",
                                names.clone().collect::<Vec<_>>().join(", ")
                            ))
                            .suggest(&item, names, |m| format!("did you mean `{m}`?"))
                            .unwrap_or_else(|d| {
                                if item.contains('/') || item.contains('.') {
                                    d.help("a profile is a built-in name; list override files under `overrides:`")
                                } else {
                                    d.help("see `agentctl profiles`")
                                }
                            });
                        let d = self.at(d, node.pos, node.len);
                        self.error(d);
                        ok = false;
                    }
                }
                "overrides" => {
                    for (item, node) in self.strings(v, &here, "file paths", "[envs/prod.yaml]") {
                        match self.override_file(&item, &here, node) {
                            Some(p) => env.overrides.push(p),
                            None => ok = false,
                        }
                    }
                }
                "set" => match &v.value {
                    Value::Map(_) => match layers::from_node(Arc::clone(&self.source), v.clone()) {
                        Ok(layer) => env.inline = Some(layer),
                        Err(diags) => {
                            self.diags.extend(diags);
                            ok = false;
                        }
                    },
                    Value::Null => {}
                    other => {
                        let d = Diagnostic::new(format!(
                            "`set` is a map of settings, not {}",
                            other.type_name()
                        ))
                        .path(&here)
                        .label("expected a map")
                        .help("e.g. `set: {namespace: agents-eu, agent: {replicas: {min: 5}}}`");
                        let d = self.at(d, v.pos, v.len);
                        self.error(d);
                        ok = false;
                    }
                },
                "output" => match self.output_dir(v, &here) {
                    Some(parts) => {
                        env.output = parts.iter().collect();
                        at = Some(OutputAt {
                            parts,
                            pos: v.pos,
                            len: v.len,
                            explicit: true,
                        });
                    }
                    None => {
                        at = None;
                        ok = false;
                    }
                },
                _ => {
                    self.unknown_key(k, &path, ENV_KEYS);
                    ok = false;
                }
            }
        }
        (ok.then_some(env), at)
    }

    /// A list of strings (a single string is refused with the list form as the fix).
    fn strings<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        what: &str,
        example: &str,
    ) -> Vec<(String, &'n Node)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Str(s) => out.push((s.clone(), item)),
                        other => {
                            let d = Diagnostic::new(format!(
                                "expected a string, found {}",
                                other.type_name()
                            ))
                            .path(path)
                            .label("expected a string");
                            let d = self.at(d, item.pos, item.len);
                            self.error(d);
                        }
                    }
                }
                out
            }
            Value::Str(s) => {
                let d = Diagnostic::new(format!("expected a list of {what}, found a string"))
                    .path(path)
                    .label("expected a list")
                    .help(format!("write it as a list: `[{s}]`"));
                let d = self.at(d, node.pos, node.len);
                self.error(d);
                Vec::new()
            }
            other => {
                let d = Diagnostic::new(format!(
                    "expected a list of {what}, found {}",
                    other.type_name()
                ))
                .path(path)
                .label("expected a list")
                .help(format!("e.g. `{example}`"));
                let d = self.at(d, node.pos, node.len);
                self.error(d);
                Vec::new()
            }
        }
    }

    /// Resolves an override path against the project's directory and checks it is a file.
    fn override_file(&mut self, rel: &str, path: &str, node: &Node) -> Option<PathBuf> {
        let resolved = self.dir.join(rel);
        let problem = match std::fs::metadata(&resolved) {
            Ok(m) if m.is_file() => return Some(resolved),
            Ok(_) => format!("override file `{rel}` is a directory"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                format!("override file `{rel}` does not exist")
            }
            Err(e) => format!("cannot read override file `{rel}`: {e}"),
        };
        let mut d = Diagnostic::new(problem)
            .path(path)
            .label("no such file")
            .note(format!(
                "paths in a project file are relative to its directory; this one is `{}`",
                resolved.display()
            ));
        if let Some(m) = self.similar_file(&resolved) {
            d = d.help(format!("did you mean `{m}`?"));
        } else {
            d = d.help("create the file (`agentctl init FILE` writes a starter) or fix the path");
        }
        let d = self.at(d, node.pos, node.len);
        self.error(d);
        None
    }

    /// A file next to `missing` whose name is a plausible typo of it, as the user would write it.
    fn similar_file(&self, missing: &Path) -> Option<String> {
        let parent = missing.parent()?;
        let wanted = missing.file_name()?.to_str()?;
        let dir = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let names: Vec<String> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        let m = did_you_mean(wanted, names.iter().map(String::as_str))?;
        let rel = parent.strip_prefix(&self.dir).unwrap_or(parent).join(m);
        Some(rel.display().to_string())
    }

    /// `output:`: a relative path under `-o DIR`, as its components.
    fn output_dir(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        let Value::Str(text) = &node.value else {
            let d = Diagnostic::new(format!(
                "`output` is a directory path, not {}",
                node.value.type_name()
            ))
            .path(path)
            .label("expected a string");
            let d = self.at(d, node.pos, node.len);
            self.error(d);
            return None;
        };
        let mut parts = Vec::new();
        let mut problem = None;
        if Path::new(text).is_absolute() {
            problem = Some("it is an absolute path");
        }
        for c in Path::new(text).components() {
            match c {
                Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => problem = Some("it leaves the output directory (`..`)"),
                Component::RootDir | Component::Prefix(_) => {
                    problem = Some("it is an absolute path");
                }
            }
        }
        if problem.is_none() && parts.is_empty() {
            problem = Some("it names the output directory itself, not a subdirectory of it");
        }
        match problem {
            None => Some(parts),
            Some(why) => {
                let d = Diagnostic::new(format!(
                    "`output` must be a subdirectory of -o DIR: {why}"
                ))
                .path(path)
                .label("not a subdirectory")
                .help("write a relative path such as `prod/eu-west`; it is joined to the -o directory");
                let d = self.at(d, node.pos, node.len);
                self.error(d);
                None
            }
        }
    }
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
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(dns1123_label("prod-eu-west").is_ok());
        assert!(dns1123_label("Prod").is_err());
        assert!(dns1123_label("-a").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert_eq!(suggest_name("Prod_EU", false), "prod-eu");
        assert_eq!(suggest_name("prod.eu", false), "prod-eu");
    }
}
