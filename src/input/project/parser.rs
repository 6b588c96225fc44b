//! The checks of a project file's tree: top level, each environment, profiles, override
//! files, `set:` maps, output directories and their overlaps. Every problem is collected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{ENV_KEYS, Environment, TOP_KEYS};
use crate::config::names::{dns1123_label, suggest_name};
use crate::diag::{Diagnostic, Source};
use crate::input::beneath::{self, Refused};
use crate::input::layers::{self, Checked};
use crate::input::profiles;
use crate::input::yaml::{Key, Node, Pos, Value};

/// The environment keys read as the first entries of its `set:` layer.
const LIFTED: &[&str] = &["kubeVersion", "crds"];
use crate::suggest::did_you_mean;

pub(super) struct Parser {
    pub(super) source: Arc<Source>,
    pub(super) dir: PathBuf,
    pub(super) diags: Vec<Diagnostic>,
    /// Whether override files may lie outside [`Parser::dir`] (`--allow-outside-project`).
    pub(super) outside: bool,
    /// Override files read so far, by identity (device, inode): each is read once.
    pub(super) read: BTreeMap<(u64, u64), Arc<Source>>,
    /// How many of [`Parser::diags`] are problems of `set:` entries the schema refuses, each
    /// kept with its environment (whose layer is the rest) to be reported when it is rendered.
    pub(super) deferred: usize,
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

    pub(super) fn top(&mut self, tree: &Node) -> Vec<Environment> {
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
    /// (Long on purpose: one match arm per environment key, each a few lines delegating to a
    /// helper: `known_profile`, `override_file`, `inline_set`, `output_dir`.)
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
            read: BTreeMap::new(),
            root: self.dir.clone(),
        };
        let mut at = Some(OutputAt {
            parts: vec![name.clone()],
            pos: key.pos,
            len: name.chars().count(),
            explicit: false,
        });
        // `kubeVersion:` and `crds:` are read as the first entries of the `set:` layer (the
        // same checks, the same place in the order of layers, `crds:` paths relative to the
        // project file); `set:` may not set them too.
        let lifted: Vec<(&Key, &Node)> = entries
            .iter()
            .filter(|(k, _)| LIFTED.contains(&k.name.as_str()))
            .map(|(k, v)| (k, v))
            .collect();
        let has_set = entries.iter().any(|(k, _)| k.name == "set");
        let first_lifted = lifted.first().map(|(k, _)| k.name.clone());
        for (k, v) in entries {
            let here = format!("{path}.{}", k.name);
            match k.name.as_str() {
                "profiles" => {
                    for (item, node) in self.strings(v, &here, "profile names", "[dev]") {
                        if self.known_profile(&item, &here, node) {
                            env.profiles.push(item);
                        } else {
                            ok = false;
                        }
                    }
                }
                "overrides" => {
                    for (item, node) in self.strings(v, &here, "file paths", "[envs/prod.yaml]") {
                        match self.override_file(&item, &here, node) {
                            Some((p, source)) => {
                                env.read.insert(p.clone(), source);
                                env.overrides.push(p);
                            }
                            None => ok = false,
                        }
                    }
                }
                // `set:` is read with `kubeVersion:` and `crds:`; without a `set:`, they alone
                // (once, at the first of them).
                "set" | "kubeVersion" | "crds"
                    if k.name == "set" || (!has_set && first_lifted.as_ref() == Some(&k.name)) =>
                {
                    let set = (k.name == "set").then_some(v);
                    let here = format!("{path}.set");
                    match self.inline_set(set, &lifted, &here, &name) {
                        Ok(layer) => env.inline = layer,
                        Err(()) => ok = false,
                    }
                }
                "kubeVersion" | "crds" => {}
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

    /// Whether a profile named in an environment exists (else reported).
    fn known_profile(&mut self, item: &str, here: &str, node: &Node) -> bool {
        if profiles::find(item).is_some() {
            return true;
        }
        let names = profiles::PROFILES.iter().map(|p| p.name);
        let d = Diagnostic::new(format!("unknown profile `{item}`"))
            .path(here)
            .label("unknown profile")
            .note(format!(
                "available profiles: {}",
                names.clone().collect::<Vec<_>>().join(", ")
            ))
            .suggest(item, names, |m| format!("did you mean `{m}`?"))
            .unwrap_or_else(|d| {
                if item.contains('/') || item.contains('.') {
                    d.help("a profile is a built-in name; list override files under `overrides:`")
                } else {
                    d.help("see `agentctl profiles`")
                }
            });
        let d = self.at(d, node.pos, node.len);
        self.error(d);
        false
    }

    /// An environment's `set:` map, its `kubeVersion:` and `crds:` first, as a layer located
    /// in the project file (`None`: empty);
    /// `Err` when it is not valid (reported, each problem naming the environment `env`).
    /// When its only problems are entries the schema refuses, it is kept without them, with
    /// those problems: they are reported (as here) when this file is not valid for another
    /// reason, else when the environment is rendered, together with what the rules find in
    /// the rest ([`super::parse_with`]).
    fn inline_set(
        &mut self,
        v: Option<&Node>,
        lifted: &[(&Key, &Node)],
        here: &str,
        env: &str,
    ) -> Result<Option<Checked>, ()> {
        let empty = Node {
            value: Value::Null,
            pos: lifted
                .first()
                .map_or(Pos { line: 1, col: 1 }, |(k, _)| k.pos),
            len: 1,
        };
        let v = v.unwrap_or(&empty);
        if let Value::Map(entries) = &v.value {
            for (key, _) in lifted {
                let Some((twice, _)) = entries.iter().find(|(k, _)| k.name == key.name) else {
                    continue;
                };
                let (what, verb) = match key.name.as_str() {
                    "crds" => ("crds", "lists"),
                    _ => ("kubeVersion", "sets"),
                };
                let d = Diagnostic::new(format!(
                    "environment `{env}` {verb} {what} twice: as `{what}:` and in `set:`"
                ))
                .path(format!("environments.{env}.{what}"))
                .label(format!(
                    "{} again in `set:`",
                    if what == "crds" { "listed" } else { "set" }
                ))
                .help(format!("keep one: `{what}:` of the environment"));
                let d = self.at(d, twice.pos, twice.name.chars().count());
                let d = d.related(
                    if what == "crds" {
                        "first listed here"
                    } else {
                        "first set here"
                    },
                    Some(&self.source),
                    key.pos,
                );
                self.error(d);
                return Err(());
            }
        }
        let with_lifted = |entries: &[(Key, Node)]| -> Node {
            let mut all: Vec<(Key, Node)> = lifted
                .iter()
                .map(|(k, n)| ((*k).clone(), (*n).clone()))
                .collect();
            all.extend(entries.iter().cloned());
            Node {
                value: Value::Map(all),
                pos: v.pos,
                len: v.len,
            }
        };
        let tree = match &v.value {
            Value::Map(entries) => Some(with_lifted(entries)),
            Value::Null if !lifted.is_empty() => Some(with_lifted(&[])),
            _ => None,
        };
        match (tree, &v.value) {
            (Some(tree), _) => {
                let checked = layers::node_checked(Arc::clone(&self.source), tree);
                let note = format!("in environment `{env}` (its `set:`)");
                self.diags
                    .extend(checked.diags.iter().map(|d| d.clone().note(note.clone())));
                if checked.layer.is_none() {
                    return Err(());
                }
                self.deferred += checked.diags.len();
                Ok(Some(checked))
            }
            (None, Value::Null) => Ok(None),
            (None, other) => {
                let d = Diagnostic::new(format!(
                    "`set` is a map of settings, not {}",
                    other.type_name()
                ))
                .path(here)
                .label("expected a map")
                .help("e.g. `set: {namespace: agents-eu, agent: {replicas: {min: 5}}}`");
                let d = self.at(d, v.pos, v.len);
                self.error(d);
                Err(())
            }
        }
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

    /// Opens an override path below the project's directory, never leaving it (unless
    /// `--allow-outside-project`): [`beneath::open`] walks it from the directory's handle and
    /// refuses an absolute path, a `..` that climbs out and a symbolic link that leads out,
    /// before anything is read. Then reads it, once per file however many environments list it.
    fn override_file(
        &mut self,
        rel: &str,
        path: &str,
        node: &Node,
    ) -> Option<(PathBuf, Arc<Source>)> {
        if let Some(d) = super::hidden_in_path(rel, path) {
            let d = self.at(d, node.pos, node.len);
            self.error(d);
            return None;
        }
        let resolved = self.dir.join(rel);
        let opened = if self.outside {
            beneath::open_anywhere(&resolved)
        } else {
            beneath::open(&self.dir, Path::new(rel))
        };
        // What is wrong, and whether it is that nothing is there (then a name may be mistyped).
        let (problem, missing) = match opened {
            Ok(opened) => {
                let kind = opened.file.metadata().map(|m| (m.is_file(), m.is_dir()));
                match kind {
                    Ok((true, _)) => {
                        if let Some(source) = self.read.get(&opened.id) {
                            return Some((resolved, Arc::clone(source)));
                        }
                        return match layers::read_source_opened(opened.file, &resolved) {
                            Ok(source) => {
                                self.read.insert(opened.id, Arc::clone(&source));
                                Some((resolved, source))
                            }
                            Err(d) => {
                                // Too large, not text: at the entry that names the file.
                                let d = self.at(d.path(path), node.pos, node.len);
                                self.error(d);
                                None
                            }
                        };
                    }
                    Ok((false, true)) => (format!("override file `{rel}` is a directory"), false),
                    Ok(_) => (
                        format!(
                            "override file `{rel}` is not a regular file (a FIFO, socket or device)"
                        ),
                        false,
                    ),
                    Err(e) => (format!("cannot read override file `{rel}`: {e}"), false),
                }
            }
            Err(Refused::Escapes(why)) => {
                let d = Diagnostic::new(format!(
                    "override file `{rel}` is outside the project's directory: {why}"
                ))
                .path(path)
                .label("outside the project")
                .note("a project file (perhaps from a pull request) may only read files in its own directory tree; nothing was read")
                .help("move the file into the project's directory, or pass --allow-outside-project if you trust this project file");
                let d = self.at(d, node.pos, node.len);
                self.error(d);
                return None;
            }
            Err(Refused::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                (format!("override file `{rel}` does not exist"), true)
            }
            Err(Refused::Io(e)) => {
                let d = Diagnostic::new(format!("cannot read override file `{rel}`: {e}"))
                    .path(path)
                    .label("cannot be read")
                    .help("fix the path or the file's permissions");
                let d = self.at(d, node.pos, node.len);
                self.error(d);
                return None;
            }
        };
        let mut d = Diagnostic::new(problem)
            .path(path)
            .label(if missing {
                "no such file"
            } else {
                "not a file"
            })
            .note(format!(
                "paths in a project file are relative to its directory; this one is `{}`",
                resolved.display()
            ));
        if let Some(m) = self.similar_file(&resolved).filter(|_| missing) {
            d = d.help(format!("did you mean `{m}`?"));
        } else if !missing {
            d = d.help("name a YAML file");
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
}

mod output;
