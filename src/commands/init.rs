//! `agentctl init`: a commented starter override file, and the JSON Schema next to it.
//!
//! The starter sets only the built-in defaults (so it renders exactly what no file renders,
//! until edited) and shows the common settings commented out, each valid when uncommented.
//! Its first line is a `yaml-language-server` modeline pointing at `agentctl.schema.json` in
//! the same directory, which `init` writes too unless one is there. Nothing is ever
//! overwritten: each file appears atomically and only if absent, so two racing runs cannot
//! clobber each other or a user's file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The file `agentctl init` creates without a PATH.
pub const DEFAULT_FILE: &str = "overrides.yaml";

/// The schema file written next to it, named by the modeline.
pub const SCHEMA_FILE: &str = "agentctl.schema.json";

/// The starter override file; `shown` is its path as the user will type it.
pub fn starter(shown: &str) -> String {
    let examples = [
        (
            format!("agentctl render -f {shown} -o deploy/out"),
            "write the Kustomize directory",
        ),
        (
            format!("agentctl diff -f {shown} -o deploy/out"),
            "exit 1 when deploy/out is out of date",
        ),
        (
            format!("agentctl config --show-origin -f {shown}"),
            "every setting and who set it",
        ),
        (
            format!("agentctl explain agent.replicas -f {shown}"),
            "what a setting does",
        ),
    ];
    let width = examples
        .iter()
        .map(|(c, _)| c.chars().count())
        .max()
        .unwrap_or(0);
    let commands: String = examples
        .iter()
        .map(|(c, what)| format!("#   {c:width$}  # {what}\n"))
        .collect();
    format!(
        r#"# yaml-language-server: $schema=./{SCHEMA_FILE}
#
# agentctl override file: only what differs from the built-in production defaults.
# Layers, later wins: defaults -> -p PROFILE -> -f FILE (this one) -> --set PATH=VALUE.
# Maps merge key by key; lists replace as a whole.
#
{commands}#
# As written it changes nothing; uncomment and edit what you need.

namespace: production-agents

agent:
  # registry/repository:tag, or pin a digest: registry/repository@sha256:<64 hex digits>
  image: your-registry/production-agent:v1.0.0
  # replicas:
  #   min: 3
  #   max: 10
  # resources:
  #   requests:
  #     cpu: 500m
  #     memory: 1Gi
  #   limits:
  #     cpu: 2000m
  #     memory: 2Gi
  # storage:
  #   size: 10Gi
  #   storageClass: premium-ssd
  # config:
  #   logLevel: INFO
  #   extra:
  #     REGION: eu-west-1

# redis:
#   storage:
#     size: 10Gi

# autoscaling:
#   targetCpuUtilization: 70

# networkPolicy:
#   ingressNamespaces: [ingress-nginx]

# monitoring:
#   serviceMonitor:
#     labels:
#       release: prometheus

# labels:
#   team: agents
"#
    )
}

/// What `init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The starter file.
    pub file: PathBuf,
    /// The schema file, and whether it was written (false: one was already there).
    pub schema: (PathBuf, bool),
}

/// Creates `contents` at `path` atomically, failing if anything exists there.
fn create_new(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".agentctl-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(contents.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes the starter file at `path` (a directory gets [`DEFAULT_FILE`] inside it) and the
/// schema next to it if absent. Refuses, with nothing written, if the starter file exists.
pub fn write(path: &Path, schema_json: &str) -> Result<Written> {
    // `deploy/` (a directory, existing or not) gets the default file name inside it.
    let names_a_dir = path
        .as_os_str()
        .to_string_lossy()
        .chars()
        .last()
        .is_some_and(std::path::is_separator);
    let file = if path.is_dir() || names_a_dir {
        path.join(DEFAULT_FILE)
    } else {
        path.to_owned()
    };
    if std::fs::symlink_metadata(&file).is_ok() {
        bail!(
            "`{}` already exists; agentctl init never overwrites a file\n  \
             pick another name (`agentctl init other.yaml`) or edit the existing file",
            file.display()
        );
    }
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating directory `{}`", dir.display()))?;
    }
    let shown = file.display().to_string();
    match create_new(&file, &starter(&shown)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "`{}` already exists; agentctl init never overwrites a file",
            file.display()
        ),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("writing `{}`", file.display())));
        }
    }
    let schema = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.join(SCHEMA_FILE),
        _ => PathBuf::from(SCHEMA_FILE),
    };
    let wrote_schema = if std::fs::symlink_metadata(&schema).is_ok() {
        false
    } else {
        match create_new(&schema, schema_json) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("writing `{}`", schema.display()))
                );
            }
        }
    };
    Ok(Written {
        file,
        schema: (schema, wrote_schema),
    })
}
