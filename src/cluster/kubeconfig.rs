//! One kubeconfig file read as kubectl reads it, and nothing more: a regular file (a FIFO, a
//! socket or a device is refused before it is read, never waited on; it is opened without
//! blocking and checked again on the handle), not a kernel file (`/proc`, `/sys`, `/dev`: an
//! environment dump is no kubeconfig), at most [`MAX_BYTES`] (kubeconfigs are small: a device
//! such as `/dev/zero` is never read without end), text without control characters. A parse
//! error says where (`file:line:column`) and what was expected, and quotes no line and no value
//! of the file: a kubeconfig holds credentials (`token:`, `password:`, `client-key-data:`) in
//! clear, and a broken line cannot be trusted to mask. Relative paths of its clusters and users
//! are made absolute against its directory, as `kube`'s own reader does.

use std::io::Read;
use std::path::Path;

use kube::config::{Kubeconfig, KubeconfigError};

/// Why a kubeconfig was not read: what happened (naming the file) and the fix; `connect`
/// makes it its `ClusterError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// What happened.
    pub message: String,
    /// The fix.
    pub help: Option<String>,
}

fn fail(message: String, help: impl Into<Option<String>>) -> Unread {
    Unread {
        message,
        help: help.into(),
    }
}

/// The most bytes of one kubeconfig file agentctl reads.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

const CHECK: &str = "check the file with `kubectl config view`";

/// Reads and parses the kubeconfig at `path` (see the module).
pub fn read(path: &Path) -> Result<Kubeconfig, Unread> {
    let shown = crate::term::one_line(&path.display().to_string()).into_owned();
    let text = read_text(path, &shown)?;
    let config = Kubeconfig::from_yaml(&text).map_err(|e| parse_error(&e, &shown))?;
    Ok(absolute(config, path))
}

fn not_regular(shown: &str) -> Unread {
    fail(
        format!(
            "kubeconfig {shown} is not a regular file (a FIFO, socket or device): reading it could wait forever"
        ),
        "pass the kubeconfig file itself (--kubeconfig FILE, or a file in KUBECONFIG)".to_owned(),
    )
}

fn too_big(shown: &str, len: u64) -> Unread {
    fail(
        format!(
            "kubeconfig {shown} is larger than {} MiB ({len} bytes or more): it is not a kubeconfig",
            MAX_BYTES / (1024 * 1024)
        ),
        "pass the cluster's kubeconfig (`kubectl config view --minify --flatten` writes one)"
            .to_owned(),
    )
}

/// The file's text, checked as the module says; no byte of it in an error.
fn read_text(path: &Path, shown: &str) -> Result<String, Unread> {
    let io = |e: std::io::Error| fail(format!("cannot read kubeconfig {shown}: {e}"), None);
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(fail(
            format!("kubeconfig {shown} is a directory"),
            "pass the kubeconfig file itself, e.g. ~/.kube/config".to_owned(),
        ));
    }
    if !meta.is_file() {
        return Err(not_regular(shown));
    }
    let real = path.canonicalize().map_err(io)?;
    if ["/proc", "/sys", "/dev"]
        .iter()
        .any(|p| real.starts_with(p))
    {
        return Err(fail(
            format!(
                "kubeconfig {shown} is a kernel file ({}), not a kubeconfig; none of it is shown",
                real.display()
            ),
            "pass the cluster's kubeconfig, e.g. ~/.kube/config".to_owned(),
        ));
    }
    if meta.len() > MAX_BYTES {
        return Err(too_big(shown, meta.len()));
    }
    let file = open_nonblocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(shown));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_big(shown, bytes.len() as u64));
    }
    let text = decode(bytes).ok_or_else(|| {
        fail(
            format!("kubeconfig {shown} is not text (not UTF-8 or UTF-16); none of it is shown"),
            CHECK.to_owned(),
        )
    })?;
    if text.contains(|c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(fail(
            format!(
                "kubeconfig {shown} holds control characters (binary data or an environment dump?), so it is not a kubeconfig; none of it is shown"
            ),
            CHECK.to_owned(),
        ));
    }
    Ok(text)
}

/// UTF-8 (a byte-order mark dropped), or UTF-16 after its byte-order mark, as `kube` reads a
/// kubeconfig; `None` for anything else.
fn decode(bytes: Vec<u8>) -> Option<String> {
    let utf16 = |le: bool| -> Option<String> {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        String::from_utf16(&units).ok()
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, ..] => utf16(true),
        [0xFE, 0xFF, ..] => utf16(false),
        _ => {
            let text = String::from_utf8(bytes).ok()?;
            Some(
                text.strip_prefix('\u{feff}')
                    .map_or(text.clone(), str::to_owned),
            )
        }
    }
}

/// Opens `path` for reading with `O_NONBLOCK`: a FIFO swapped in after the checks returns at
/// once instead of waiting for a writer (and is refused on the handle).
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        // The flag's bits are a small positive constant; `custom_flags` takes them as a C int.
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

/// A kubeconfig that does not parse: where and what was expected, no line and no value quoted.
fn parse_error(e: &KubeconfigError, shown: &str) -> Unread {
    let (at, why) = match e {
        KubeconfigError::Parse(inner) => {
            let (pos, why) = crate::input::yaml::unquoted_error(inner);
            (pos.map_or_else(String::new, |p| format!(":{p}")), why)
        }
        other => (String::new(), super::foreign::text(other)),
    };
    fail(
        format!(
            "cannot read kubeconfig {shown}{at}: {why} (no line of it is shown: a kubeconfig holds credentials)"
        ),
        CHECK.to_owned(),
    )
}

/// `config` with the relative paths of its clusters and users (certificate authority, client
/// certificate and key, token file, an exec command with a path separator) made absolute
/// against the directory of `path`, as `kube`'s `Kubeconfig::read_from` and kubectl do.
fn absolute(mut config: Kubeconfig, path: &Path) -> Kubeconfig {
    let Some(dir) = path.parent() else {
        return config;
    };
    let abs = |p: &mut Option<String>| {
        if let Some(rel) = p.as_deref()
            && Path::new(rel).is_relative()
            && let Some(joined) = dir.join(rel).to_str()
        {
            *p = Some(joined.to_owned());
        }
    };
    for named in &mut config.clusters {
        if let Some(cluster) = &mut named.cluster {
            abs(&mut cluster.certificate_authority);
        }
    }
    for named in &mut config.auth_infos {
        if let Some(auth) = &mut named.auth_info {
            abs(&mut auth.client_certificate);
            abs(&mut auth.client_key);
            abs(&mut auth.token_file);
            if let Some(exec) = &mut auth.exec
                && exec
                    .command
                    .as_deref()
                    .is_some_and(|c| c.contains(std::path::MAIN_SEPARATOR))
            {
                abs(&mut exec.command);
            }
        }
    }
    config
}
