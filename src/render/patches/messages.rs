//! The wording of the escape hatch's errors: what a field lost in the round trip through its
//! Kubernetes type means (a misspelled field, a value of the wrong type, a number written as
//! text), and where and why a credential a patch or extra object holds is refused, shown by a
//! readable path (`…args[0] (--db-password=…)`), never by its value.

use serde_json::Value as J;

use crate::config::credentials;
use crate::config::patches::{self, PatchError, PathDisplay, Seg};

/// `read`: the object as its type read it back (what survived), where the suggestions come
/// from: the fields that survived at that place, never the other dropped ones (10,000 patches
/// each adding an unknown field would make every suggestion cost 10,000 comparisons).
pub(super) fn lost_message(
    obj: &J,
    path: &[Seg],
    what: &str,
    read: Option<&J>,
) -> (String, Option<String>) {
    let shown = PathDisplay(&patches::keyed_path(obj, path)).to_string();
    let id = patches::object_id(obj);
    match what {
        "dropped" => {
            let field = match path.last() {
                Some(Seg::Key(k)) => k.to_string(),
                _ => shown.clone(),
            };
            // k8s-openapi cannot list the fields a type has; the fields the object already has
            // at that place are the likeliest intent (`imagePullPolicyy` → `imagePullPolicy`).
            let parent = path.get(..path.len().saturating_sub(1)).unwrap_or_default();
            let mut here = Some(read.unwrap_or(obj));
            for seg in parent {
                here = match (seg, here) {
                    (Seg::Key(k), Some(J::Object(m))) => m.get(k.as_str()),
                    (Seg::Index(i), Some(J::Array(a))) => a.get(*i),
                    _ => None,
                };
            }
            let siblings: Vec<&str> = match here {
                Some(J::Object(m)) => m
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != field)
                    .collect(),
                _ => Vec::new(),
            };
            let kind = obj
                .get("kind")
                .and_then(J::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let mut explain = vec![kind];
            explain.extend(parent.iter().filter_map(|s| match s {
                Seg::Key(k) => Some(k.to_string()),
                _ => None,
            }));
            let check = format!(
                "check the spelling and the nesting with `kubectl explain {}`",
                explain.join(".")
            );
            let mut hint = match crate::suggest::did_you_mean(&field, siblings.iter().copied()) {
                Some(n) => format!("did you mean `{n}`? {check}"),
                None => check,
            };
            // A custom kind agentctl renders is judged by its typed model of the fields the
            // templates write, unless the user lists the operator's CRD.
            let custom = obj
                .get("apiVersion")
                .and_then(J::as_str)
                .zip(obj.get("kind").and_then(J::as_str))
                .and_then(|(api, kind)| crate::render::builtin::lookup(api, kind).ok())
                .is_some_and(|row| {
                    matches!(row.served, crate::render::objects::Served::Crd { .. })
                });
            if custom {
                hint.push_str(
                    "; agentctl knows the fields of this kind that it renders itself: for the operator's other fields, list its CRD under `crds:` (README, \"Custom kinds\"), and the object is checked against the CRD's schema instead",
                );
                // Whether the operator's API server keeps it is the CRD's to say, not ours.
                return (
                    format!(
                        "`{field}` is not a field agentctl's model of {id} has at `{shown}` (its CRD is not listed)"
                    ),
                    Some(hint),
                );
            }
            (
                format!("`{field}` is not a field of {id} at `{shown}`: Kubernetes would drop it"),
                Some(hint),
            )
        }
        "added" => (
            format!("{id}: `{shown}` appeared in the round trip through its Kubernetes type"),
            None,
        ),
        other if path.is_empty() => (format!("{id}: {other}"), None),
        other => {
            // A number written in a form YAML readers disagree on (`0644`, `0x1F`) is read as
            // its text: say what to write.
            let mut value = Some(obj);
            for seg in path {
                value = match (seg, value) {
                    (Seg::Key(k), Some(J::Object(m))) => m.get(k.as_str()),
                    (Seg::Index(i), Some(J::Array(a))) => a.get(*i),
                    _ => None,
                };
            }
            let help = match value.and_then(J::as_str).and_then(crate::input::yaml::not_decimal) {
                Some(nd) => format!(
                    "{}; write the number in plain decimal digits: {}",
                    nd.readings, nd.write
                ),
                None => "check the value's type against `kubectl explain` (numbers unquoted, strings quoted where YAML could misread them)".to_owned(),
            };
            (
                format!(
                    "wrong type for `{}` in {id}: {other}",
                    match path.last() {
                        Some(Seg::Key(k)) => k.to_string(),
                        _ => shown.clone(),
                    }
                ),
                Some(help),
            )
        }
    }
}

/// The diagnostic's path for a credential: for a named one `...env.NAME` or `...data.NAME`,
/// whose last segment the credential policy recognizes, so the shown source line has the value
/// masked; for one known by its shape, the value's own path (the shape masks it).
pub(super) fn credential_path(
    list: &str,
    index: usize,
    at: &[Seg],
    hit: &credentials::Hit,
) -> String {
    // An argument: its index, and the argument as it reads without the value.
    if let Some(argument) = hit.argument() {
        return format!("{list}[{index}].{} ({argument})", PathDisplay(at));
    }
    let Some(name) = hit.name() else {
        let inner = PathDisplay(at).to_string();
        let sep = if inner.is_empty() || inner.starts_with('[') {
            ""
        } else {
            "."
        };
        return format!("{list}[{index}]{sep}{inner}");
    };
    let env = match at.last() {
        Some(Seg::Key(k)) if k == "value" => at.len().saturating_sub(2),
        // A ConfigMap entry, an annotation, an argument: its key is already the last segment.
        _ => at.len().saturating_sub(1),
    };
    let inner = PathDisplay(at.get(..env).unwrap_or_default()).to_string();
    let sep = if inner.is_empty() || inner.starts_with('[') {
        ""
    } else {
        "."
    };
    // A name the policy would not call a credential on its own (a Secret's key): the path
    // still ends in one it does, so the line is masked.
    let name = if credentials::is_sensitive(name) {
        name.to_owned()
    } else {
        "secret".to_owned()
    };
    format!("{list}[{index}]{sep}{inner}.{name}")
}

/// The error for a credential in a patched or extra object: what it is, never its value.
pub(super) fn credential_error(path: Vec<Seg>, hit: &credentials::Hit) -> PatchError {
    let hint = match (&hit.why, path.iter().rev().nth(1)) {
        (credentials::Why::Named(name), Some(Seg::Index(_))) if matches!(path.last(), Some(Seg::Key(k)) if k == "value") => format!(
            "create it in a Secret out of band and reference it: `- name: {name}` with `valueFrom: {{secretKeyRef: {{name: agent-secrets, key: <key>}}}}`"
        ),
        (credentials::Why::SecretValue(_), _) => "create the Secret out of band (kubectl create secret, an ExternalSecret): agentctl's output is committed".to_owned(),
        _ => "keep the value in a Secret created out of band and reference it (`valueFrom.secretKeyRef` for a variable, `$(VAR)` in args, a Secret volume for a file)".to_owned(),
    };
    PatchError {
        path,
        on_key: false,
        message: format!(
            "{}: agentctl never puts a credential's value into the output",
            hit.describe()
        ),
        hint: Some(hint),
    }
}
