//! `agentctl init`: a commented starter override file, or (`--project`) a project file, and
//! the JSON Schema of that file next to it.
//!
//! The starter sets nothing (its one active line, `patches: []`, adds no patch, and patches
//! add up over layers), so with any `-p`, and after any other override file, it renders exactly
//! what they render until edited; it shows the common settings commented out, each valid when
//! uncommented.
//! Its first line is a `yaml-language-server` modeline pointing at `agentctl.schema.json` in
//! the same directory, which `init` writes too unless one is there. Nothing is ever
//! overwritten: each file appears atomically and only if absent, so two racing runs cannot
//! clobber each other or a user's file.

use std::path::Path;

use anyhow::Result;

use crate::input::project::FILE_NAME;
use crate::output::files::{self, Written};

/// The file `agentctl init` creates without a PATH.
pub const DEFAULT_FILE: &str = "overrides.yaml";

/// The schema file written next to it, named by the modeline.
pub const SCHEMA_FILE: &str = "agentctl.schema.json";

/// The schema file written next to a project file, named by its modeline.
pub const PROJECT_SCHEMA_FILE: &str = "agentctl-project.schema.json";

/// The starter override file; `shown` is its path as the user will type it.
/// (Long on purpose: it is the text of the starter file.)
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
# As written it changes nothing, with any profile (-p) and after any other file (-f, or a
# project's `overrides:`): every setting is commented out. Uncomment and edit what you need.

# namespace: production-agents    # default; the dev profile uses dev-agents

# agent:
#   # registry/repository:tag, or pin a digest: registry/repository@sha256:<64 hex digits>
#   image: your-registry/production-agent:v1.0.0
#   replicas:
#     min: 3
#     max: 10
#   resources:
#     requests:
#       cpu: 500m
#       memory: 1Gi
#     limits:
#       cpu: 2000m
#       memory: 2Gi
#   storage:
#     size: 10Gi                    # each pod's emptyDir by default
#     # type: persistentVolumeClaim # the shared agent-data-pvc instead (ReadWriteMany)
#     # storageClass: premium-ssd   # the claim's class: only with persistentVolumeClaim
#   config:
#     logLevel: INFO
#     extra:
#       REGION: eu-west-1

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

# Kustomize patches for what no setting covers (README: Patches). Patches add up over the
# layers, so an empty list adds none: it only keeps this file from being empty (refused).
patches: []
"#
    )
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
    files::write_starter(file, starter, SCHEMA_FILE, schema_json)
}

/// Runs `init`: a starter override file at `path`, or with `project`, a project file there.
pub fn run(
    ctx: super::Ctx,
    path: &Path,
    project: Option<&Path>,
) -> crate::diag::Result<super::Outcome> {
    if let Some(path) = project {
        let written = files::create_project(
            path,
            SCAFFOLD,
            PROJECT_SCHEMA_FILE,
            &super::schema::project_text()?,
        )?;
        if !ctx.quiet {
            let flag = if path == Path::new(FILE_NAME) {
                String::new()
            } else {
                format!(
                    " --project {}",
                    super::shell_word(&path.display().to_string())
                )
            };
            crate::sayln!(
                "created {}: two environments, staging and production; {}\nnext: agentctl render --all{flag} -o deploy/",
                path.display(),
                schema_note(&written.schema, "--project ")
            );
        }
        return Ok(super::Outcome::Ok);
    }
    let written = write(path, &super::schema::text()?)?;
    if !ctx.quiet {
        crate::sayln!(
            "created {}: a starter that changes nothing until you edit it; {}\nnext: agentctl render -f {} -o deploy/out",
            written.file.display(),
            schema_note(&written.schema, ""),
            super::shell_word(&written.file.display().to_string())
        );
    }
    Ok(super::Outcome::Ok)
}

/// What became of the schema file: written, or kept (with how to refresh it).
fn schema_note((schema, wrote): &(std::path::PathBuf, bool), flag: &str) -> String {
    if *wrote {
        format!("created {} for editors", schema.display())
    } else {
        format!(
            "kept the existing {} (refresh it with `agentctl schema {flag}> {}`)",
            schema.display(),
            super::shell_word(&schema.display().to_string())
        )
    }
}

/// The project file `agentctl init --project` writes: two environments, valid as written.
pub fn scaffold() -> &'static str {
    SCAFFOLD
}

const SCAFFOLD: &str = "\
# yaml-language-server: $schema=./agentctl-project.schema.json
#
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
    # The production defaults at a smaller scale (the `dev` profile is for laptops: DEBUG logs,
    # ENVIRONMENT=development, no monitoring).
    set:
      namespace: staging-agents
      agent:
        replicas: {min: 2, max: 4}
        config:
          environment: staging
  production:
    profiles: [high-throughput]
    # overrides: [envs/production.yaml]    # e.g. image digests, written by `agentctl init envs/production.yaml`
    set:
      namespace: production-agents
";

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use crate::diag::Error;
    use crate::input::project::parse;

    #[test]
    fn the_scaffold_names_its_schema_file() {
        assert!(SCAFFOLD.starts_with(&format!(
            "# yaml-language-server: $schema=./{PROJECT_SCHEMA_FILE}\n"
        )));
    }

    #[test]
    fn the_scaffold_is_a_valid_project_with_two_environments() {
        let p = parse(Path::new(FILE_NAME), SCAFFOLD).unwrap_or_else(|d| {
            panic!("{}", Error::Input(d));
        });
        let names: Vec<&str> = p.environments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["staging", "production"]);
        assert!(p.environments[0].inline.is_some());
    }
}
