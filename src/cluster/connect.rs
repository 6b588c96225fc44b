//! Where the cluster is and who we are to it, as kubectl decides: `--kubeconfig`, else the files
//! of `KUBECONFIG` merged (missing ones skipped, as kubectl does), else `~/.kube/config`, else the
//! in-cluster service account; `--context` picks a context, else the current one. Every failure
//! (no kubeconfig, no such context, unreachable, refused credentials, forbidden, timeout) becomes
//! one [`ClusterError`] naming the server, the context and the file, with the command that
//! checks or fixes it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{Config, KubeConfigOptions, Kubeconfig};

use crate::term::one_line;

/// How to reach the cluster (the kubectl flags of the cluster commands).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--kubeconfig`: this file only.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`: this context instead of the current one.
    pub context: Option<String>,
    /// `--namespace`: must agree with the rendered namespace (the objects name theirs).
    pub namespace: Option<String>,
    /// Bound on each request (connect and answer).
    pub timeout: Duration,
}

/// Where the connection came from, for every message about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The API server's URL.
    pub server: String,
    /// The context used (`None` in-cluster).
    pub context: Option<String>,
    /// The kubeconfig file(s), or `in-cluster service account`.
    pub source: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(c) => write!(
                f,
                "{} (context `{}` of {})",
                one_line(&self.server),
                one_line(c),
                one_line(&self.source)
            ),
            None => write!(f, "{} ({})", one_line(&self.server), one_line(&self.source)),
        }
    }
}

impl Origin {
    /// `kubectl` with the same file and context, for the commands we suggest.
    pub fn kubectl(&self) -> String {
        let mut cmd = String::from("kubectl");
        if let Some(c) = &self.context {
            cmd.push_str(&format!(" --context {}", crate::shell::quote(c)));
        }
        cmd
    }
}

/// A failure to talk to the cluster: what happened, where, and what to do. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterError {
    /// What happened, naming the server, context and file.
    pub message: String,
    /// The fix, or the command that shows more.
    pub help: Option<String>,
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n   = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ClusterError {}

impl From<ClusterError> for crate::diag::Error {
    fn from(e: ClusterError) -> Self {
        crate::diag::Error::Other(anyhow::Error::new(e))
    }
}

/// A [`ClusterError`], each part one line (`term::one_line`): a context name, a kubeconfig
/// path or a server's message with a line feed or a control character (`--context $'a\nb'`)
/// is shown escaped, never obeyed nor split into a forged line.
pub(crate) fn fail(message: String, help: impl Into<Option<String>>) -> ClusterError {
    let line = |s: String| crate::term::one_line(&s).into_owned();
    ClusterError {
        message: line(message),
        help: help.into().map(line),
    }
}

/// The kubeconfig files kubectl would read: `--kubeconfig`, else `KUBECONFIG`'s existing files,
/// else `~/.kube/config` if it exists; each read by [`super::kubeconfig::read`] (a regular
/// file of at most 16 MiB, no line quoted in an error). Empty: none (in-cluster, or an error).
pub(crate) fn kubeconfig_files(opts: &Options) -> Vec<PathBuf> {
    if let Some(p) = &opts.kubeconfig {
        return vec![p.clone()];
    }
    if let Some(value) = std::env::var_os("KUBECONFIG") {
        let listed: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !listed.is_empty() {
            // A missing file is skipped, as kubectl does; one that exists is read (and refused
            // there if it is no regular file: a FIFO is never skipped silently, nor waited on).
            return listed
                .into_iter()
                .filter(|p| std::fs::symlink_metadata(p).is_ok())
                .collect();
        }
    }
    std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".kube").join("config"))
        .filter(|p| std::fs::symlink_metadata(p).is_ok())
        .into_iter()
        .collect()
}

fn describe(files: &[PathBuf]) -> String {
    match files {
        [one] => one.display().to_string(),
        many => format!(
            "KUBECONFIG ({})",
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":")
        ),
    }
}

/// The client configuration and where it came from, with the request timeout applied.
pub(crate) async fn config(opts: &Options) -> Result<(Config, Origin), ClusterError> {
    let files = kubeconfig_files(opts);
    let (mut config, origin) = if files.is_empty() {
        if opts.kubeconfig.is_none()
            && opts.context.is_none()
            && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        {
            let config = Config::incluster().map_err(|e| {
                fail(
                    format!(
                        "no kubeconfig, and the in-cluster configuration is unusable: {}",
                        super::foreign::text(&e)
                    ),
                    "set KUBECONFIG or pass --kubeconfig FILE".to_owned(),
                )
            })?;
            let server = config.cluster_url.to_string();
            (
                config,
                Origin {
                    server,
                    context: None,
                    source: "in-cluster service account".into(),
                },
            )
        } else {
            let what = match std::env::var_os("KUBECONFIG") {
                Some(v) if !v.is_empty() => {
                    format!("KUBECONFIG={} names no existing file", v.to_string_lossy())
                }
                _ => "no kubeconfig: KUBECONFIG is unset and ~/.kube/config does not exist".into(),
            };
            return Err(fail(
                format!("cannot find the cluster: {what}"),
                "point KUBECONFIG (or --kubeconfig) at the cluster's kubeconfig, e.g. `export KUBECONFIG=$HOME/.kube/config`".to_owned(),
            ));
        }
    } else {
        let source = describe(&files);
        let mut merged = Kubeconfig::default();
        for f in &files {
            let one = super::kubeconfig::read(f).map_err(|e| fail(e.message, e.help))?;
            merged = merged.merge(one).map_err(|e| {
                fail(
                    format!(
                        "cannot merge the kubeconfig files of {source}: {}",
                        super::foreign::text(&e)
                    ),
                    None,
                )
            })?;
        }
        let context = opts
            .context
            .clone()
            .or_else(|| merged.current_context.clone())
            .filter(|c| !c.is_empty());
        let Some(context) = context else {
            return Err(fail(
                format!("{source} sets no current context"),
                "pass --context NAME (`kubectl config get-contexts` lists them)".to_owned(),
            ));
        };
        if !merged.contexts.iter().any(|c| c.name == context) {
            let known: Vec<&str> = merged.contexts.iter().map(|c| c.name.as_str()).collect();
            return Err(fail(
                format!("no context `{context}` in {source}"),
                format!(
                    "pass one of: {} (`kubectl config get-contexts`)",
                    if known.is_empty() {
                        "(none defined)".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        let options = KubeConfigOptions {
            context: Some(context.clone()),
            ..Default::default()
        };
        let config = Config::from_custom_kubeconfig(merged, &options)
            .await
            .map_err(|e| {
                fail(
                    format!(
                        "cannot use context `{context}` of {source}: {}",
                        super::foreign::text(&e)
                    ),
                    format!(
                        "check it with `kubectl config view --minify --context {}`",
                        crate::shell::quote(&context)
                    ),
                )
            })?;
        let server = config.cluster_url.to_string();
        (
            config,
            Origin {
                server: server.trim_end_matches('/').to_owned(),
                context: Some(context),
                source,
            },
        )
    };
    config.connect_timeout = Some(opts.timeout);
    config.read_timeout = Some(opts.timeout);
    config.write_timeout = Some(opts.timeout);
    // A retry would multiply the wait on an unreachable server; the commands poll themselves.
    config.default_retry = false;
    Ok((config, origin))
}

/// A request's failure, said for `what` (`list pods in namespace x`) at `origin`; what the
/// error itself says only through [`super::foreign::text`] (never a credential plugin's
/// output, nothing it quotes).
pub(crate) fn explain(
    e: &kube::Error,
    what: &str,
    origin: &Origin,
    timeout: Duration,
) -> ClusterError {
    let kubectl = origin.kubectl();
    match e {
        kube::Error::Api(status) if status.code == 401 => fail(
            format!("the cluster at {origin} refused our credentials (401 Unauthorized) to {what}"),
            format!(
                "the credentials of that context are missing or expired: log in again, then check with `{kubectl} auth whoami`"
            ),
        ),
        kube::Error::Api(status) if status.code == 403 => fail(
            format!(
                "the cluster at {origin} forbids us to {what}: {}",
                status.message
            ),
            format!(
                "agentctl writes nothing: it needs get and list, and patch for the server-side dry-run of `status` and `diff --live` (a dry run changes nothing); ask for that access and check with `{kubectl} auth can-i --list`"
            ),
        ),
        kube::Error::Api(status) => fail(
            format!(
                "the cluster at {origin} answered {} to {what}: {}",
                status.code, status.message
            ),
            None,
        ),
        other => {
            let mut chain = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                let text = s.to_string();
                if !chain.contains(&text) {
                    chain.push_str(": ");
                    chain.push_str(&text);
                }
                source = s.source();
            }
            let timed_out = chain.to_lowercase().contains("timed out") || chain.contains("elapsed");
            if timed_out {
                fail(
                    format!(
                        "no answer from the cluster at {origin} within {}s to {what}",
                        timeout.as_secs()
                    ),
                    format!(
                        "check that it is up with `{kubectl} cluster-info`, or allow longer with --request-timeout"
                    ),
                )
            } else {
                fail(
                    format!(
                        "cannot reach the cluster at {origin} to {what}: {}",
                        super::foreign::text(other)
                    ),
                    format!(
                        "check that it is up and that the address is right: `{kubectl} cluster-info`"
                    ),
                )
            }
        }
    }
}
