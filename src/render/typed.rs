//! The typed round trip of one value: deserialize it into a serde type, serialize it back, and
//! say where it did not fit.
//!
//! [`through`] is what every row of the table of kinds ([`super::objects`]) calls with its type;
//! [`TypeError`] carries the path of a value that does not fit (as serde saw it), so the round
//! trip ([`super::k8s_check`]) and the patches ([`super::patches`]) can point at it. A leaf:
//! no knowledge of kinds, files or the stored form.

use anyhow::Result;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as J;

/// A value that does not fit its Kubernetes type, at a path (`spec.template.spec.containers[0].ports[0].containerPort`).
#[derive(Debug)]
pub struct TypeError {
    /// Where, as serde saw it (map keys and list indices).
    pub path: Vec<PathStep>,
    /// What serde said (`invalid type: string "x", expected i32`).
    pub message: String,
}

/// One step of a [`TypeError`] path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

impl std::fmt::Display for TypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for TypeError {}

/// `doc` through the type `T` and back: the value as `T` serializes it, or a [`TypeError`].
pub fn through<T: DeserializeOwned + Serialize>(doc: &J) -> Result<J> {
    let typed: T = serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(PathStep::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(PathStep::Key(key.clone())),
                _ => None,
            })
            .collect();
        anyhow::Error::new(TypeError {
            path,
            message: e.into_inner().to_string(),
        })
    })?;
    Ok(serde_json::to_value(typed)?)
}
