//! The Kubernetes model every stage shares: what a quantity is ([`quantity`]: the one suffix
//! table, parsing, comparison, addition, the stored and the human text), how to read an object
//! held as JSON ([`object`]: kind, name, namespace, labels, the pod spec of every workload
//! kind), what one pod counts against a ResourceQuota ([`pod`]: containers, native sidecars,
//! init containers, LimitRange defaults, overhead, as quota admission computes it) and how many
//! pods a workload runs ([`scale`]: autoscaler bounds, rolling-update surge and unavailable),
//! what a cluster version runs ([`version`]: the target version, its features) and what the pods
//! read from their namespace by name ([`refs`]: Secrets, ConfigMaps, claims, pull Secrets).
//!
//! A leaf: depends on nothing else in the crate (std and `serde_json` only), so config, input,
//! resolve, render and the impact analysis all read Kubernetes the same way. The semantics are
//! the API server's (each file names the Go code it follows); no I/O.

pub mod object;
pub mod pod;
pub mod quantity;
pub mod refs;
pub mod scale;
pub mod version;

pub use quantity::Quantity;
