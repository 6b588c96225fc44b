//! Layers: each configuration source read and checked on its own, straight from its text.
//!
//! The sources are the built-in defaults, profiles (`-p`), override files (`-f`) and `--set`
//! flags. Each becomes a [`Layer`]: a located YAML tree plus the source it came from, checked
//! against the schema before anything is merged, so every error points at that source's own
//! line and column. Files are capped in size and must be UTF-8 text before they are parsed.
//! All problems of all layers are collected and reported together.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::config::schema;
use crate::diag::{Diagnostic, Error, Origin, Source};
use crate::input::extras::{self, Extras};
use crate::input::profiles;
use crate::input::yaml::{self, Key, Node, Pos, Value};
use crate::input::{credentials, schema_check};

mod set;
pub use set::{KUBE_VERSION_FLAG, set};

/// Largest override file accepted, in bytes (a real one is a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// One configuration source, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Where it came from, with its text.
    pub source: Arc<Source>,
    /// Its tree (settings only: `patches:` and `resources:` are taken out into `extras`).
    pub tree: Node,
    /// Its patches and extra objects (files and project environments only).
    pub extras: Extras,
}

/// The sources a render is made of, in command-line order per kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    /// Profile names, applied in order after the defaults.
    pub profiles: Vec<String>,
    /// Override files, applied in order after the profiles.
    pub files: Vec<PathBuf>,
    /// `PATH=VALUE` assignments, applied last, in order.
    pub sets: Vec<String>,
    /// Inline settings of a project environment (its `set:` map, located in the project
    /// file), applied after the override files and before the `--set` flags; as checked, so
    /// the problems of its entries are reported with those the rules find in the rest.
    pub inline: Option<Checked>,
    /// Files already read this run (a project's override files, read once when the project
    /// file is checked and shared by every environment that lists them): their text is taken
    /// from here, so every environment sees the same version of a file.
    pub read: std::collections::BTreeMap<PathBuf, Arc<Source>>,
    /// The project's directory, when the inputs are a project environment's: a `crds:` path
    /// may go anywhere inside it (else only below the listing file's directory).
    pub root: Option<PathBuf>,
}

/// How an override file given as `-f -` is named: standard input.
pub const STDIN: &str = "-";

/// How standard input is shown in messages.
const STDIN_SHOWN: &str = "<stdin>";

/// The defaults as a layer.
pub fn defaults() -> Layer {
    let json = serde_json::to_value(Config::default()).unwrap_or(serde_json::Value::Null);
    Layer {
        source: Source::new(Origin::Default, ""),
        tree: from_json(&json),
        extras: Extras::default(),
    }
}

fn from_json(value: &serde_json::Value) -> Node {
    use serde_json::Value as J;
    let v = match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0)), Value::Int),
        J::String(s) => Value::Str(s.clone()),
        J::Array(a) => Value::Seq(a.iter().map(from_json).collect()),
        J::Object(m) => Value::Map(
            m.iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k.clone(),
                            pos: Pos::default(),
                        },
                        from_json(v),
                    )
                })
                .collect(),
        ),
    };
    Node {
        value: v,
        pos: Pos::default(),
        len: 1,
    }
}

/// Whether a top-level key is one of agentctl's, or a likely typo of one.
fn known_top_key(name: &str) -> bool {
    extras::KEYS.contains(&name)
        || schema::lookup(&[name]).is_ok()
        || crate::suggest::did_you_mean(
            name,
            schema::property_names(schema::schema())
                .iter()
                .map(String::as_str),
        )
        .is_some()
}

/// Whether a file may be quoted in messages: it is plausibly an agentctl settings file. Its
/// top level (`tree`; `None` when it did not parse) is a map with one of agentctl's top-level
/// keys (or a likely typo of one), or, when it did not parse, some line starts with one (or
/// it holds nothing but comments).
/// Anything else (a `.env` file, `/etc/passwd`, a Kubernetes Secret, a CI environment dump)
/// is never quoted: its diagnostics keep their message and position but show no line.
/// Files only; a profile is built in and a `--set` flag is the user's own argument.
pub fn plausible(source: &Source, tree: Option<&Node>) -> bool {
    if !matches!(source.origin, Origin::File(_)) {
        return true;
    }
    match tree.map(|t| &t.value) {
        Some(Value::Map(entries)) => entries.iter().any(|(k, _)| known_top_key(&k.name)),
        Some(_) => false,
        None => {
            source.text.lines().all(|l| {
                let l = l.trim();
                l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
            }) || source.text.lines().any(|l| {
                l.split_once(':')
                    .is_some_and(|(k, _)| known_top_key(k.trim_matches(['"', '\''])))
            })
        }
    }
}

/// A diagnostic about a file that is not plausibly agentctl's, without the quoted line: its
/// place is given in a note instead.
pub fn unquoted(mut d: Diagnostic) -> Diagnostic {
    if let Some(source) = d.source.take() {
        let at = source.locate(d.pos);
        d.notes.push(format!(
            "at {at}; no line of it is shown: it does not look like agentctl settings (it may be a .env file, an environment dump, ...)"
        ));
    }
    d.related.clear();
    d
}

/// A layer as checked: its problems, and (when its only problems are entries the schema
/// refuses) the layer without those entries, with their paths, so that the rules can still
/// check the rest and every problem is reported in one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    /// The layer, whole when `diags` is empty, else without the refused entries.
    pub layer: Option<Layer>,
    /// Its problems.
    pub diags: Vec<Diagnostic>,
    /// Config paths of the entries taken out.
    pub pruned: Vec<String>,
    /// How many `patches:`, `resources:` and `accept:` entries it has, malformed included (a
    /// layer dropped whole still counts its entries in the numbering).
    pub entries: [usize; 3],
}

impl Checked {
    fn failed(diags: Vec<Diagnostic>) -> Checked {
        Checked {
            layer: None,
            diags,
            pruned: Vec::new(),
            entries: [0; 3],
        }
    }

    fn into_result(self) -> Result<Layer, Vec<Diagnostic>> {
        match self.layer {
            Some(layer) if self.diags.is_empty() => Ok(layer),
            _ => Err(self.diags),
        }
    }
}

/// Parses and checks a text as a layer. The diagnostics of a file that is not plausibly
/// agentctl's YAML (see [`plausible`]) quote none of its lines.
pub fn from_text(source: Arc<Source>) -> Result<Layer, Vec<Diagnostic>> {
    text_checked(source, Listed::Flag).into_result()
}

/// Where an override file was listed, for the way out of a file that sets nothing.
#[derive(Debug, Clone, Copy)]
enum Listed {
    /// `-f FILE`.
    Flag,
    /// A project environment's `overrides:`.
    Project,
}

fn text_checked(source: Arc<Source>, listed: Listed) -> Checked {
    let (mut checked, ours) = match yaml::parse_layer(&source.text) {
        Ok(tree) => {
            let ours = plausible(&source, Some(&tree));
            (node_checked(Arc::clone(&source), tree), ours)
        }
        Err(mut e) => {
            if e.kind == yaml::SyntaxKind::Empty {
                let drop = match listed {
                    Listed::Flag => "drop this -f",
                    Listed::Project => "remove it from the environment's `overrides:`",
                };
                e.hint = Some(format!(
                    "add the settings to override (e.g. `agent: {{image: registry/agent:v2}}`), or {drop}"
                ));
            }
            (
                Checked::failed(vec![e.into_diagnostic(&source)]),
                plausible(&source, None),
            )
        }
    };
    if !ours {
        checked.diags = checked.diags.into_iter().map(unquoted).collect();
    }
    checked
}

/// Checks an already parsed tree as a layer: a part of a larger file (an environment's `set:`
/// map in the project file), so its diagnostics point into that file.
pub fn from_node(source: Arc<Source>, tree: Node) -> Result<Layer, Vec<Diagnostic>> {
    node_checked(source, tree).into_result()
}

/// [`from_node`], keeping the layer without the entries the schema refuses (see [`Checked`]),
/// so a project environment's `set:` with an unknown key is still validated for the rest.
///
/// A malformed `patches:` or `resources:` entry is left out of the layer (with its problem),
/// and the settings are still checked: one run reports both. A layer kept with problems but
/// nothing pruned has only such entries wrong (see [`load_partial`]).
pub fn node_checked(source: Arc<Source>, mut tree: Node) -> Checked {
    let (extras, mut diags) = extras::split(&mut tree, &source);
    schema_check::coerce_quantities(&mut tree, &source);
    let settings = schema_check::check(&tree, &source);
    let pruned = if settings.is_empty() || !matches!(tree.value, Value::Map(_)) {
        Vec::new()
    } else {
        schema_check::prune(&mut tree, &source)
    };
    let partial = settings.is_empty() || !pruned.is_empty();
    diags.extend(settings);
    let entries = extras.entries;
    Checked {
        layer: partial.then_some(Layer {
            source,
            tree,
            extras,
        }),
        diags,
        pruned,
        entries,
    }
}

/// A built-in profile as a layer.
pub fn profile(name: &str) -> Result<Layer, Vec<Diagnostic>> {
    let Some(p) = profiles::find(name) else {
        let names: Vec<&str> = profiles::PROFILES.iter().map(|p| p.name).collect();
        // `-p dev,high-throughput`: a list where one name is expected.
        let parts: Vec<&str> = name.split(',').map(str::trim).collect();
        if parts.len() > 1 && parts.iter().all(|p| profiles::find(p).is_some()) {
            let flags: Vec<String> = parts.iter().map(|p| format!("-p {p}")).collect();
            return Err(vec![
                Diagnostic::new(format!("unknown profile `{name}`"))
                    .note("-p takes one profile; repeat it to compose profiles, in order")
                    .help(format!("write `{}`", flags.join(" "))),
            ]);
        }
        let d = Diagnostic::new(format!("unknown profile `{name}`"))
            .note(format!("available profiles: {}", names.join(", ")))
            .suggest(name, names.iter().copied(), |m| format!("did you mean `-p {m}`?"))
            .unwrap_or_else(|d| {
                if name.contains('/') || name.contains('.') {
                    d.help(format!(
                        "a profile is a built-in name, not a path; pass your own file with `-f {name}`"
                    ))
                } else {
                    d.help("see `agentctl profiles`")
                }
            });
        return Err(vec![d]);
    };
    built_in(credentials::source(Origin::Profile(p.name.into()), p.text))
}

/// A built-in profile's text as a layer, parsed without the schema check: the text is part of
/// the binary and `built_in_profiles_need_no_check` (below) holds every profile to that check
/// and to quantity coercion changing nothing, so at run time they could only find nothing.
/// Skipping them leaves the schema (generated from the types on first use: 11% of a render)
/// ungenerated for a render that reads no file of the user's. Should a profile ever fail to
/// read, it is checked as any file is, so the error is still located.
fn built_in(source: Arc<Source>) -> Result<Layer, Vec<Diagnostic>> {
    let read = yaml::parse_layer(&source.text).ok().and_then(|mut tree| {
        let (extras, diags) = extras::split(&mut tree, &source);
        diags.is_empty().then_some((tree, extras))
    });
    match read {
        Some((tree, extras)) => Ok(Layer {
            source,
            tree,
            extras,
        }),
        None => from_text(source),
    }
}

/// Reads an override file: capped in size (checked before reading), then [`text_of`].
pub fn read_file(path: &Path) -> Result<String, Diagnostic> {
    read_text(
        path,
        "override file",
        MAX_FILE_BYTES,
        &format!(
            "check the path (it is relative to the current directory), or start the file with `agentctl init {}`",
            crate::shell::quote(&path.display().to_string())
        ),
    )
}

/// Reads a YAML input of agentctl's (`what`: "override file", "project file") of at most
/// `limit` bytes (its kind's: [`MAX_FILE_BYTES`] for an override file,
/// `project::MAX_FILE_BYTES` for a project file) with the same checks as [`text_of`];
/// `missing_help` is the hint when it cannot be read.
pub fn read_text(
    path: &Path,
    what: &str,
    limit: u64,
    missing_help: &str,
) -> Result<String, Diagnostic> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "it does not exist".to_owned()
        } else {
            e.to_string()
        };
        Diagnostic::new(format!("cannot read {what} `{shown}`: {why}")).help(missing_help)
    })?;
    if meta.is_dir() {
        return Err(Diagnostic::new(format!("{what} `{shown}` is a directory"))
            .help("pass a YAML file with -f"));
    }
    let not_regular = || {
        Diagnostic::new(format!(
            "{what} `{shown}` is not a regular file (a FIFO, socket or device): reading it could wait forever"
        ))
        .help("pass a YAML file; to read standard input, say so with `-f -`")
    };
    if !meta.is_file() {
        return Err(not_regular());
    }
    if meta.len() > limit {
        return Err(too_big(what, &shown.to_string(), meta.len(), limit));
    }
    // Opened without blocking (a FIFO swapped in after the check above must not hang the open),
    // then checked again on the open handle.
    let file = open_nonblocking(path)
        .map_err(|e| Diagnostic::new(format!("cannot read {what} `{shown}`: {e}")))?;
    read_opened(file, path, what, limit)
}

/// Reads a YAML input already opened (without blocking), checking on the handle that it is a
/// regular file of at most `limit` bytes; then [`text_of`]'s checks. `path` names it.
pub fn read_opened(
    file: std::fs::File,
    path: &Path,
    what: &str,
    limit: u64,
) -> Result<String, Diagnostic> {
    use std::io::Read;
    let shown = path.display();
    let meta = file
        .metadata()
        .map_err(|e| Diagnostic::new(format!("cannot read {what} `{shown}`: {e}")))?;
    if meta.is_dir() {
        return Err(
            Diagnostic::new(format!("{what} `{shown}` is a directory")).help("name a YAML file")
        );
    }
    if !meta.is_file() {
        return Err(Diagnostic::new(format!(
            "{what} `{shown}` is not a regular file (a FIFO, socket or device): reading it could wait forever"
        ))
        .help("name a YAML file"));
    }
    if meta.len() > limit {
        return Err(too_big(what, &shown.to_string(), meta.len(), limit));
    }
    // Read at most one byte over the cap, so a file that grows meanwhile cannot make us read
    // without bound.
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Diagnostic::new(format!("cannot read {what} `{shown}`: {e}")))?;
    checked_text(path, bytes, what, limit)
}

/// Opens a file for reading with `O_NONBLOCK` where there is one, so opening a FIFO returns at
/// once instead of waiting for a writer.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The flag's bits are a small positive constant; `custom_flags` takes them as a C int.
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)
}

/// Reads standard input (`-f -`), with the same cap and checks as a file.
fn read_stdin() -> Result<String, Diagnostic> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Diagnostic::new(format!("cannot read standard input: {e}")))?;
    checked_text(
        Path::new(STDIN_SHOWN),
        bytes,
        "override file",
        MAX_FILE_BYTES,
    )
}

/// A file over its kind's limit: its size (or `limit + 1`, as far as it was read) and the
/// limit, in MiB and in bytes.
fn too_big(what: &str, shown: &str, len: u64, limit: u64) -> Diagnostic {
    let more = if len > limit + 1 { "" } else { " or more" };
    Diagnostic::new(format!(
        "{what} `{shown}` is {len} bytes{more}, over the {} MiB ({limit} bytes) limit for {what}s",
        limit >> 20
    ))
    .help(format!(
        "{what}s hold a few settings; is this the right file?"
    ))
}

/// Checks that the bytes of an override file are text agentctl can parse: at most
/// [`MAX_FILE_BYTES`], UTF-8 (a leading byte-order mark is dropped), and free of control
/// characters other than newlines and tabs (binary data). `path` names the file in messages.
pub fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    checked_text(path, bytes, "override file", MAX_FILE_BYTES)
}

fn checked_text(path: &Path, bytes: Vec<u8>, what: &str, limit: u64) -> Result<String, Diagnostic> {
    let shown = path.display().to_string();
    if bytes.len() as u64 > limit {
        return Err(too_big(what, &shown, bytes.len() as u64, limit));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            // Located, but no line of it quoted: it is not plausibly agentctl's YAML.
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let byte = e.as_bytes().get(valid.len()).copied().unwrap_or_default();
            let pos = pos_at(&String::from_utf8_lossy(valid));
            return Err(Diagnostic::new(format!(
                "{what} `{shown}` is not UTF-8 text: invalid byte 0x{byte:02X} at {pos}"
            ))
            .help("save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"));
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    if let Some(offset) = text.find(|c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        // Located, but no line of it quoted (`/proc/self/environ` is NUL-separated secrets).
        let code = u32::from(text[offset..].chars().next().unwrap_or('\0'));
        let pos = pos_at(&text[..offset]);
        return Err(Diagnostic::new(format!(
            "{what} `{shown}` contains the control character U+{code:04X} at {pos}: it is binary data, not YAML"
        ))
        .help("pass a YAML text file; is this the right file?"));
    }
    Ok(text)
}

/// The position just after `before` (a prefix of a text).
fn pos_at(before: &str) -> Pos {
    Pos {
        line: before.matches('\n').count() + 1,
        col: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
    }
}

/// An override file as a layer (`-`: standard input).
pub fn file(path: &Path) -> Result<Layer, Vec<Diagnostic>> {
    file_checked(path).into_result()
}

fn file_checked(path: &Path) -> Checked {
    match read_source(path) {
        Ok(source) => text_checked(source, Listed::Flag),
        Err(d) => Checked::failed(vec![d]),
    }
}

/// Reads an override file already opened (see [`read_opened`]) as a source named `path`.
pub fn read_source_opened(file: std::fs::File, path: &Path) -> Result<Arc<Source>, Diagnostic> {
    let text = read_opened(file, path, "override file", MAX_FILE_BYTES)?;
    super::reads::unrepeatable();
    Ok(credentials::source(Origin::File(path.to_owned()), text))
}

/// Reads an override file as a source (`-`: standard input, shown as `<stdin>`).
pub fn read_source(path: &Path) -> Result<Arc<Source>, Diagnostic> {
    if path == Path::new(STDIN) {
        super::reads::unrepeatable();
        let text = read_stdin()?;
        return Ok(credentials::source(
            Origin::File(PathBuf::from(STDIN_SHOWN)),
            text,
        ));
    }
    let text = read_file(path)?;
    super::reads::note(
        super::reads::Reached::File {
            path: path.to_owned(),
        },
        &text,
    );
    Ok(credentials::source(Origin::File(path.to_owned()), text))
}

/// Loads every layer of `inputs`, defaults first; reports all problems of all layers at once.
pub fn load(inputs: &Inputs) -> Result<Vec<Layer>, Error> {
    let (layers, diags, _) = load_partial(inputs);
    if diags.is_empty() {
        Ok(layers)
    } else {
        Err(Error::Input(diags))
    }
}

/// Loads every layer of `inputs`, defaults first, and every problem of every layer; a layer
/// whose only problems are entries the schema refuses is kept without them (their paths are
/// the third part), so the merged rest can still be validated in the same run. The third
/// part is `None` when a layer could not be kept at all (unreadable, not YAML, an unknown
/// profile): the rest would then not be what the user meant to validate. Problems with the
/// third part `Some` and empty are all in `patches:` or `resources:` entries, left out: every
/// setting was read.
pub fn load_partial(inputs: &Inputs) -> (Vec<Layer>, Vec<Diagnostic>, Option<Vec<String>>) {
    let mut layers = vec![defaults()];
    let mut diags = Vec::new();
    let mut pruned = Some(Vec::new());
    // The entries of `patches:`, `resources:` and `accept:` before this layer: numbering is
    // across layers, in layer order.
    let mut offsets = [0usize; 3];
    let mut push = |mut c: Checked| {
        let entries = c.layer.as_ref().map_or(c.entries, |l| l.extras.entries);
        extras::renumber(
            c.layer.as_mut().map(|l| &mut l.extras),
            &mut c.diags,
            offsets,
        );
        for (o, n) in offsets.iter_mut().zip(entries) {
            *o += n;
        }
        match c.layer {
            Some(l) => layers.push(l),
            // Dropped whole, but known to set only the pruned paths (a refused `--set`).
            None if !c.pruned.is_empty() => {}
            None => pruned = None,
        }
        diags.extend(c.diags);
        if let Some(p) = &mut pruned {
            p.extend(c.pruned);
        }
    };
    for p in &inputs.profiles {
        push(match profile(p) {
            Ok(l) => Checked {
                layer: Some(l),
                ..Checked::default()
            },
            Err(d) => Checked::failed(d),
        });
    }
    let mut stdin_read = false;
    for f in &inputs.files {
        let again = f == Path::new(STDIN) && std::mem::replace(&mut stdin_read, true);
        push(match inputs.read.get(f) {
            // Read by the project file's reader, whose digest vouches for it (a project
            // render's memo, `commands::render`); a single render has none of these.
            Some(source) => text_checked(Arc::clone(source), Listed::Project),
            None if again => Checked::failed(vec![
                Diagnostic::new("`-f -` (standard input) is given more than once")
                    .help("standard input can be read once; save the other input to a file"),
            ]),
            None => file_checked(f),
        });
    }
    if let Some(inline) = &inputs.inline {
        push(inline.clone());
    }
    for s in &inputs.sets {
        push(match set(s) {
            Ok(l) => Checked {
                layer: Some(l),
                ..Checked::default()
            },
            // A refused flag sets nothing: the other layers are still validated, leaving out
            // what the rules say about its path (the flag is the problem, not its absence).
            Err(diags) => Checked {
                layer: None,
                diags,
                pruned: vec![s.split_once('=').map_or(s.as_str(), |(p, _)| p).to_owned()],
                entries: [0; 3],
            },
        });
    }
    // The CRD files listed by every layer, read once each layer is known.
    for l in &mut layers {
        for c in &mut l.extras.crds {
            if let Err(d) = super::crds::read(c, inputs.root.as_deref()) {
                diags.push(d);
            }
        }
    }
    (layers, diags, pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What lets [`built_in`] skip the schema check: every profile passes it, and coercing
    /// its quantities changes nothing (a bare `cpu: 2` in a profile would fail here).
    #[test]
    fn built_in_profiles_need_no_check() {
        for p in profiles::PROFILES {
            let source = credentials::source(Origin::Profile(p.name.into()), p.text);
            let fast = profile(p.name).unwrap_or_else(|d| panic!("{}: {d:?}", p.name));
            let checked =
                from_text(Arc::clone(&source)).unwrap_or_else(|d| panic!("{}: {d:?}", p.name));
            assert_eq!(fast, checked, "{}", p.name);
            assert!(
                matches!(&fast.tree.value, Value::Map(m) if !m.is_empty()),
                "{} sets something",
                p.name
            );
        }
        // A built-in text that does not read is checked as a file is: located.
        let broken = credentials::source(Origin::Profile("broken".into()), "agent: [\n");
        let diags = built_in(broken).expect_err("broken YAML");
        assert!(
            diags[0].source.is_some() && diags[0].pos.line >= 1,
            "located: {diags:?}"
        );
    }
}
