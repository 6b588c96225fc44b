//! Accessors over one rendered object that the impact rules share: its kind, name, namespace
//! and pod template (from the shared model, [`crate::k8s::object`]), the `-n` flag of a kubectl
//! command about it, and the role and subjects of a binding for people. A leaf of `impact`: both the
//! kind rules ([`super::rules`]) and the security rules ([`super::security`]) read objects
//! through it, so neither depends on the other's file for them.

use serde_json::Value as J;

use crate::k8s::object::str_at;

pub(super) use crate::k8s::object::{kind, name, namespace, pod_template};

/// ` -n NAMESPACE` for a kubectl command, or nothing.
pub(super) fn ns_flag(o: &J) -> String {
    namespace(o)
        .map(|n| format!(" -n {}", q(n)))
        .unwrap_or_default()
}

/// A value as one shell word of a printed command ([`crate::shell::quote`]).
pub(super) fn q(word: &str) -> std::borrow::Cow<'_, str> {
    crate::shell::quote(word)
}

/// `Kind name` of the role a binding grants.
pub(super) fn role_ref(binding: &J) -> String {
    format!(
        "{} {}",
        str_at(binding, "/roleRef/kind").unwrap_or("Role"),
        str_at(binding, "/roleRef/name").unwrap_or_default()
    )
}

/// The subjects of a binding, for people.
pub(super) fn subjects(binding: &J) -> Vec<String> {
    binding
        .get("subjects")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .map(subject)
        .collect()
}

/// One subject (`Kind namespace/name`), for people.
pub(super) fn subject(s: &J) -> String {
    let kind = str_at(s, "/kind").unwrap_or_default();
    let name = str_at(s, "/name").unwrap_or_default();
    match str_at(s, "/namespace") {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}
