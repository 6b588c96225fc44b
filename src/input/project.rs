//! Project file: many environments (clusters, regions, stages) from one `agentctl.yaml`.
//!
//! A project file declares environments, each a list of profiles, override files (relative to
//! the project file) and inline `set:` settings, rendered into `-o DIR/<env>/` (or the
//! environment's own `output:` subdirectory). It is checked as strictly as any layer and every
//! problem is located in it: unknown keys (with "did you mean"), unknown profiles, missing
//! override files, duplicate or non-DNS environment names, two environments sharing or nesting
//! output directories; the `set:` maps go through the config schema at their own line and
//! column. A multi-environment run validates and renders every selected environment in memory
//! (in parallel, with one [`Renderer`] whose templates are compiled once) and checks every
//! output directory before the first file is written: one bad environment means nothing is
//! written anywhere. Writing and comparing go through [`output`], like a single render.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow};

use crate::cli::ProjectArgs;
use crate::commands::Outcome;
use crate::diag::{Diagnostic, Error, Origin, Result, Source, did_you_mean};
use crate::input::layers::{self, Inputs, Layer};
use crate::input::profiles;
use crate::input::yaml::{self, Key, Node, Pos, Value};
use crate::output;
use crate::render::Renderer;
use crate::render::bundle::{self, Bundle};
use crate::resolve::validate::{dns1123_label, suggest_name};
use crate::term::Style;

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
    let source = Source::new(Origin::Project(path.to_owned()), text);
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

fn syntax_error(source: &Arc<Source>, e: yaml::SyntaxError) -> Diagnostic {
    // A duplicated environment name is a YAML duplicate key one level under `environments`.
    if let Some(name) = e
        .message
        .strip_prefix("duplicate key `")
        .and_then(|r| r.strip_suffix('`'))
        && let Some((_, first)) = &e.related
        && is_environment_key(&source.text, e.pos.line, name, *first)
    {
        return Diagnostic::new(format!("duplicate environment `{name}`"))
            .path(format!("environments.{name}"))
            .at(source, e.pos, e.len)
            .label("declared again here")
            .related("first declared here", Some(source), *first)
            .help("environment names must be unique; rename one of them or merge the two");
    }
    let mut d = Diagnostic::new(e.message).at(source, e.pos, e.len);
    if let Some((label, pos)) = e.related {
        d = d.related(label, Some(source), pos);
    }
    if e.pos.line > 0 && d.message.starts_with("a second YAML document") {
        d = d.help(
            "a project file is one document; declare every environment under `environments:`",
        );
    } else if d.message.starts_with("the file is empty") {
        d = d.help(
            "declare environments, e.g. `environments:\\n  dev:\\n    profiles: [dev]`, or scaffold one with `agentctl init --project`",
        );
    } else if let Some(h) = e.hint {
        d = d.help(h);
    }
    d
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
        let mut d = Diagnostic::new(format!("unknown key `{}`", key.name))
            .path(path)
            .label("unknown key")
            .note(format!("valid keys here: {}", valid.join(", ")));
        d = self.at(d, key.pos, key.name.chars().count());
        if let Some(m) = did_you_mean(&key.name, valid.iter().copied()) {
            d = d.help(format!("did you mean `{m}`?"));
        }
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
                        let mut d = Diagnostic::new(format!("unknown profile `{item}`"))
                            .path(&here)
                            .label("unknown profile")
                            .note(format!(
                                "available profiles: {}",
                                names.clone().collect::<Vec<_>>().join(", ")
                            ));
                        if let Some(m) = did_you_mean(&item, names) {
                            d = d.help(format!("did you mean `{m}`?"));
                        } else if item.contains('/') || item.contains('.') {
                            d = d.help("a profile is a built-in name; list override files under `overrides:`");
                        } else {
                            d = d.help("see `agentctl profiles`");
                        }
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
            let mut d = Diagnostic::new(format!(
                "unknown environment `{n}` (not in {})",
                project.path.display()
            ))
            .note(format!("environments: {}", known.join(", ")));
            if let Some(m) = did_you_mean(n, known.iter().copied()) {
                d = d.help(format!("did you mean `--env {m}`?"));
            } else {
                d = d.help("use --all for every environment");
            }
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

/// One environment rendered in memory.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The environment's name.
    pub name: String,
    /// Its output directory (`-o DIR` joined with its `output`).
    pub dir: PathBuf,
    /// The files.
    pub bundle: Bundle,
    /// The command that creates the Secret it needs.
    pub secret: String,
}

/// Builds every environment (in parallel over the available cores, one shared renderer) and
/// returns them in order, or every problem of every environment.
pub fn build_all(
    renderer: &Renderer,
    envs: &[&Environment],
    sets: &[String],
    root: &Path,
) -> Result<Vec<Rendered>> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let one = |env: &Environment| -> Result<Rendered> {
        let (merged, bundle) = crate::commands::build(renderer, &env.inputs(sets))?;
        Ok(Rendered {
            name: env.name.clone(),
            dir: root.join(&env.output),
            bundle,
            secret: bundle::secret_command(&merged.config),
        })
    };
    let threads = cores.min(envs.len());
    let results: Vec<Result<Rendered>> = if threads <= 1 {
        envs.iter().map(|e| one(e)).collect()
    } else {
        let chunk = envs.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = envs
                .chunks(chunk)
                .map(|part| s.spawn(|| part.iter().map(|e| one(e)).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        vec![Err(Error::Other(anyhow!("a render thread panicked")))]
                    })
                })
                .collect()
        })
    };
    gather(envs, results)
}

/// Keeps the renders, or merges the errors: identical diagnostics from several environments
/// become one, naming them all.
fn gather(envs: &[&Environment], results: Vec<Result<Rendered>>) -> Result<Vec<Rendered>> {
    let mut ok = Vec::new();
    let mut diags: Vec<(Diagnostic, Vec<&str>)> = Vec::new();
    let mut others = Vec::new();
    for (env, r) in envs.iter().zip(results) {
        match r {
            Ok(r) => ok.push(r),
            Err(Error::Input(ds)) => {
                for d in ds {
                    match diags.iter_mut().find(|(seen, _)| *seen == d) {
                        Some((_, names)) => names.push(&env.name),
                        None => diags.push((d, vec![&env.name])),
                    }
                }
            }
            Err(Error::Other(e)) => others.push(format!("environment `{}`: {e:#}", env.name)),
        }
    }
    if !diags.is_empty() {
        return Err(Error::Input(
            diags
                .into_iter()
                .map(|(d, names)| d.note(in_environments(&names)))
                .collect(),
        ));
    }
    if !others.is_empty() {
        return Err(Error::Other(anyhow!(
            "{}\nnothing was written",
            others.join("\n")
        )));
    }
    Ok(ok)
}

fn in_environments(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut list: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    if names.len() > SHOWN {
        list.push(format!("and {} more", names.len() - SHOWN));
    }
    if names.len() == 1 {
        format!("in environment {}", list.join(", "))
    } else {
        format!("in environments {}", list.join(", "))
    }
}

/// Writes every rendered environment after checking that every directory may be written
/// (a foreign file in the way of any environment refuses them all, with nothing written).
pub fn write_all(rendered: &[Rendered], force: bool) -> Result<Vec<output::Report>> {
    let mut refused = Vec::new();
    for r in rendered {
        if let Err(e) = output::plan(&r.dir, &r.bundle, force) {
            refused.push(format!("environment `{}`: {e:#}", r.name));
        }
    }
    if !refused.is_empty() {
        return Err(Error::Other(anyhow!(
            "{}\nnothing was written to any environment",
            refused.join("\n")
        )));
    }
    // Writing is waiting on the disk (every file is synced before its rename), not computing,
    // so more threads than cores overlap those waits.
    let threads = WRITE_THREADS.min(rendered.len()).max(1);
    let chunk = rendered.len().div_ceil(threads).max(1);
    let results: Vec<anyhow::Result<output::Report>> = std::thread::scope(|s| {
        let handles: Vec<_> = rendered
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|r| output::write(&r.dir, &r.bundle, force))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err(anyhow!("a writer thread panicked"))])
            })
            .collect()
    });
    let mut reports = Vec::with_capacity(rendered.len());
    let mut failed = Vec::new();
    for (r, result) in rendered.iter().zip(results) {
        match result {
            Ok(report) => reports.push(report),
            Err(e) => failed.push(format!("environment `{}`: {e:#}", r.name)),
        }
    }
    if !failed.is_empty() {
        return Err(Error::Other(anyhow!(
            "{}\n{} of {} environments were written; fix the problem and render again",
            failed.join("\n"),
            rendered.len() - failed.len(),
            rendered.len()
        )));
    }
    Ok(reports)
}

/// Writer threads for a multi-environment render.
const WRITE_THREADS: usize = 8;

/// One environment's difference from its directory.
#[derive(Debug, Clone)]
pub struct Drift {
    /// The environment.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// The unified diff (empty: up to date).
    pub text: String,
    /// Which files differ.
    pub summary: crate::output::diff::Summary,
}

/// Compares every rendered environment with its directory under `root` (which must exist; an
/// environment directory that does not exist yet is all drift).
pub fn diff_all(rendered: &[Rendered], root: &Path, style: Style) -> Result<Vec<Drift>> {
    if !root.is_dir() {
        return Err(Error::Other(anyhow!(
            "`{}` is not a directory; render it first with `agentctl render --all -o {}`",
            root.display(),
            root.display()
        )));
    }
    let mut drifts = Vec::with_capacity(rendered.len());
    for r in rendered {
        let changes = output::compare(&r.dir, &r.bundle)
            .with_context(|| format!("environment `{}`", r.name))?;
        let (text, summary) = crate::output::diff::unified(&r.dir, &changes, style);
        drifts.push(Drift {
            name: r.name.clone(),
            dir: r.dir.clone(),
            text,
            summary,
        });
    }
    Ok(drifts)
}

/// `agentctl render --all|--env ...`: every selected environment into `root/<env>/` (or, for
/// one environment and no `-o`, its stream on stdout; with `check`, a diff).
#[allow(clippy::too_many_arguments)]
pub fn render_command(
    renderer: &Renderer,
    args: &ProjectArgs,
    sets: &[String],
    root: Option<&Path>,
    check: bool,
    force: bool,
    style: Style,
    quiet: bool,
) -> Result<Outcome> {
    let project = load(&locate(args.project.as_deref())?)?;
    let envs = selection(&project, args)?;
    let Some(root) = root else {
        let [env] = envs.as_slice() else {
            return Err(Error::Other(anyhow!(
                "rendering {} environments needs an output directory: add `-o DIR` (each goes into DIR/<environment>/)",
                envs.len()
            )));
        };
        let rendered = build_all(renderer, &[*env], sets, Path::new(""))?;
        let stream = rendered
            .first()
            .map(|r| r.bundle.stream())
            .unwrap_or_default();
        crate::commands::out(&stream)?;
        return Ok(Outcome::Ok);
    };
    if check {
        return diff_command_with(renderer, args.all, &envs, sets, root, style, quiet);
    }
    let rendered = build_all(renderer, &envs, sets, root)?;
    if root.exists() && !root.is_dir() {
        return Err(Error::Other(anyhow!(
            "output path `{}` is an existing file, not a directory; each environment is written to a directory inside it (pick another -o path)",
            root.display()
        )));
    }
    let reports = write_all(&rendered, force)?;
    let mut removed_envs = Vec::new();
    if args.all {
        let keep: Vec<PathBuf> = rendered.iter().map(|r| r.dir.clone()).collect();
        for dir in output::orphans(root, &keep)? {
            let report = output::remove_orphan(&dir)?;
            removed_envs.push((dir, report.removed.len()));
        }
    }
    if !quiet {
        let mut text = String::new();
        for (dir, n) in &removed_envs {
            text.push_str(&format!(
                "removed {}: {n} generated file{} of an environment no longer in the project\n",
                dir.display(),
                if *n == 1 { "" } else { "s" }
            ));
        }
        for (r, report) in rendered.iter().zip(&reports) {
            text.push_str(&report.summary(&r.dir));
            text.push('\n');
        }
        text.push_str(&format!(
            "{} environment{} from {}; each needs its Secret, created out of band, e.g.:\n  {}\n",
            rendered.len(),
            if rendered.len() == 1 { "" } else { "s" },
            project.path.display(),
            rendered.first().map_or("", |r| r.secret.as_str())
        ));
        eprint!("{text}");
    }
    Ok(Outcome::Ok)
}

/// `agentctl diff --all|--env ... -o DIR`: every selected environment against its directory.
pub fn diff_command(
    renderer: &Renderer,
    args: &ProjectArgs,
    sets: &[String],
    root: &Path,
    style: Style,
    quiet: bool,
) -> Result<Outcome> {
    let project = load(&locate(args.project.as_deref())?)?;
    let envs = selection(&project, args)?;
    diff_command_with(renderer, args.all, &envs, sets, root, style, quiet)
}

fn diff_command_with(
    renderer: &Renderer,
    all: bool,
    envs: &[&Environment],
    sets: &[String],
    root: &Path,
    style: Style,
    quiet: bool,
) -> Result<Outcome> {
    let rendered = build_all(renderer, envs, sets, root)?;
    let mut drifts = diff_all(&rendered, root, style)?;
    if all {
        let keep: Vec<PathBuf> = rendered.iter().map(|r| r.dir.clone()).collect();
        for dir in output::orphans(root, &keep)? {
            let changes = output::plan_removal(&dir)?;
            let (text, summary) = crate::output::diff::unified(&dir, &changes, style);
            drifts.push(Drift {
                name: "(no longer in the project)".into(),
                dir,
                text,
                summary,
            });
        }
    }
    let text: String = drifts.iter().map(|d| d.text.as_str()).collect();
    crate::commands::out(&text)?;
    let drifted: Vec<&Drift> = drifts.iter().filter(|d| !d.summary.is_empty()).collect();
    if !quiet {
        let mut msg = String::new();
        for d in &drifted {
            msg.push_str(&format!(
                "drifted: {} ({}): {} file{} differ{}\n",
                d.name,
                d.dir.display(),
                d.summary.len(),
                if d.summary.len() == 1 { "" } else { "s" },
                if d.summary.len() == 1 { "s" } else { "" },
            ));
        }
        if drifted.is_empty() {
            msg.push_str(&format!(
                "{} environment{} up to date under {}\n",
                drifts.len(),
                if drifts.len() == 1 { "" } else { "s" },
                root.display()
            ));
        } else {
            msg.push_str(&format!(
                "{} of {} environments drifted; update them with `agentctl render --all -o {}`\n",
                drifted.len(),
                drifts.len(),
                root.display()
            ));
        }
        eprint!("{msg}");
    }
    Ok(if drifted.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Found
    })
}

fn selection<'p>(project: &'p Project, args: &ProjectArgs) -> Result<Vec<&'p Environment>> {
    if !args.all && args.envs.is_empty() {
        return Err(Error::Other(anyhow!(
            "--project needs --all or --env NAME to say which environments to render"
        )));
    }
    select(project, args.all, &args.envs)
}

/// `agentctl init --project [FILE]`.
pub fn init_command(path: &Path, quiet: bool) -> Result<Outcome> {
    init(path)?;
    if !quiet {
        let flag = if path == Path::new(FILE_NAME) {
            String::new()
        } else {
            format!(" --project {}", path.display())
        };
        eprintln!(
            "created {}: two environments, staging and production\nnext: agentctl render --all{flag} -o deploy/",
            path.display()
        );
    }
    Ok(Outcome::Ok)
}

/// The project file `agentctl init --project` writes: two environments, valid as written.
pub fn scaffold() -> &'static str {
    SCAFFOLD
}

const SCAFFOLD: &str = "\
# agentctl project file: one entry per environment (cluster, region, stage).
#
#   agentctl render --all -o deploy/       # writes deploy/<environment>/ for each
#   agentctl diff --all -o deploy/         # CI: exit 1 if any environment drifted
#   agentctl render --env staging -o deploy/
#
# Each environment: `profiles` (built-in, in order; see `agentctl profiles`), `overrides`
# (override files, relative to this file, in order), `set` (settings applied after the
# override files) and `output` (its directory under -o DIR; default: its name).
# Names are DNS-1123 labels. Precedence: defaults, profiles, overrides, set, --set flags.
environments:
  staging:
    profiles: [dev]
    set:
      namespace: staging-agents
      agent:
        config:
          environment: staging
  production:
    profiles: [high-throughput]
    # overrides: [envs/production.yaml]    # e.g. image digests, written by `agentctl init envs/production.yaml`
    set:
      namespace: production-agents
";

/// Writes the scaffold at `path`; never overwrites anything.
pub fn init(path: &Path) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating directory `{}`", dir.display()))?;
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Other(anyhow!(
                "`{}` already exists; agentctl init never overwrites a file\n  edit it, or pass another path: `agentctl init --project other.yaml`",
                path.display()
            )));
        }
        Err(e) => {
            return Err(Error::Other(
                anyhow::Error::new(e).context(format!("creating `{}`", path.display())),
            ));
        }
    };
    file.write_all(SCAFFOLD.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing `{}`", path.display()))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn the_scaffold_is_a_valid_project_with_two_environments() {
        let p = parse(Path::new(FILE_NAME), SCAFFOLD).unwrap_or_else(|d| {
            panic!("{}", Error::Input(d));
        });
        let names: Vec<&str> = p.environments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["staging", "production"]);
        assert!(p.environments[0].inline.is_some());
    }

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
