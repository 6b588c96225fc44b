//! The files a render read, as a log a single `render -o DIR` keeps to know, on its next run,
//! whether its inputs are still the same (the fast path of `commands::render`, issue 26).
//!
//! While a log is open ([`open`]), every override file (`-f FILE`) and every CRD file
//! (`crds:`) the input stage reads is noted with how it was reached and the SHA-256 of the text
//! it gave. [`super::again::unchanged`] reads each again the same way (the same functions, checks and
//! bounds: a file that now fails to read, or reads through a path the input stage would now
//! refuse, is a change) and compares. Input that cannot be read twice (standard input, `-f -`)
//! or a read this log does not know how to repeat makes the log unusable ([`Log::repeatable`]
//! false), so such a render always takes the full path. Only one log is open per process: a
//! second render meanwhile keeps none (its reads, noted in the first log too, only make that
//! one stricter). Must not decide what a render is; it only says what was read.

use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How a file was reached, so it can be read again the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Reached {
    /// An override file by its path (`-f FILE`, relative to the current directory).
    File {
        /// As given.
        path: PathBuf,
    },
    /// A CRD file below `root` (`beneath::open(root, rel)`), named `entry` in messages.
    Crd {
        /// The directory the file must stay inside.
        root: PathBuf,
        /// Its path below `root`.
        rel: PathBuf,
        /// The `crds:` entry as written.
        entry: String,
    },
}

/// One file read, and the SHA-256 of its text (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    /// How it was reached.
    #[serde(flatten)]
    pub reached: Reached,
    /// The SHA-256 of the text the input stage used, in hex.
    pub sha256: String,
}

/// What a render read while its log was open.
#[derive(Debug, Default)]
pub struct Log {
    /// The files, in the order read (a file read twice is noted twice).
    pub reads: Vec<Read>,
    /// False when something was read that cannot be read again the same way.
    pub repeatable: bool,
}

static LOG: Mutex<Option<Log>> = Mutex::new(None);

/// The open log's guard: [`Open::close`] takes what was noted.
#[derive(Debug)]
pub struct Open(());

impl Open {
    /// Closes the log and returns it.
    pub fn close(self) -> Log {
        let log = LOG.lock().ok().and_then(|mut l| l.take());
        std::mem::forget(self);
        log.unwrap_or_default()
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        if let Ok(mut l) = LOG.lock() {
            *l = None;
        }
    }
}

/// Opens the log of this process's reads; `None` when one is open already (another render
/// of this process keeps it).
pub fn open() -> Option<Open> {
    let mut l = LOG.lock().ok()?;
    if l.is_some() {
        return None;
    }
    *l = Some(Log {
        reads: Vec::new(),
        repeatable: true,
    });
    Some(Open(()))
}

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

/// Notes a file read and the text it gave.
pub(crate) fn note(reached: Reached, text: &str) {
    let Ok(mut l) = LOG.lock() else { return };
    if let Some(log) = l.as_mut() {
        log.reads.push(Read {
            reached,
            sha256: sha256_hex(text.as_bytes()),
        });
    }
}

/// Notes a read that cannot be repeated (standard input, a file opened another way).
pub(crate) fn unrepeatable() {
    if let Ok(mut l) = LOG.lock()
        && let Some(log) = l.as_mut()
    {
        log.repeatable = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_sha256_in_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
