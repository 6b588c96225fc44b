//! The files of a render's [`super::reads`] log read again, each the way the input stage
//! reached it (the same functions, checks and bounds), to tell whether its text is still the
//! same: the input half of `render -o DIR`'s fast path. Apart from `reads` so that the log
//! stays below the readers that write into it. Must not decide what a render is.

use super::reads::{Reached, Read, sha256_hex};

/// Whether every file of `reads` reads again, the same way, to the same text (a file that no
/// longer reads, or reads only through a path the input stage now refuses, is a change).
pub fn unchanged(reads: &[Read]) -> bool {
    reads.iter().all(|r| {
        let text = match &r.reached {
            Reached::File { path } => super::layers::read_file(path).ok(),
            Reached::Crd { root, rel, entry } => super::crds::read_again(root, rel, entry),
        };
        text.is_some_and(|t| sha256_hex(t.as_bytes()) == r.sha256)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_changes_by_one_byte_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.yaml");
        std::fs::write(&path, "replicas: 2\n").unwrap();
        let text = super::super::layers::read_file(&path).unwrap();
        let reads = vec![Read {
            reached: Reached::File { path: path.clone() },
            sha256: sha256_hex(text.as_bytes()),
        }];
        assert!(unchanged(&reads));
        std::fs::write(&path, "replicas: 3\n").unwrap();
        assert!(!unchanged(&reads));
        std::fs::remove_file(&path).unwrap();
        assert!(!unchanged(&reads), "a file gone is a change");
    }
}
