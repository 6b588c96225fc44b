//! Extra objects of custom kinds the user's CRDs define (`crds:`): which CRD and version an
//! object's `apiVersion`/`kind` names (with "did you mean" on kind, group and version), and the
//! object checked against that version's `openAPIV3Schema` as the API server checks a
//! structural schema: unknown fields refused (the server prunes them, or refuses them under
//! `kubectl apply`'s strict field validation) unless `x-kubernetes-preserve-unknown-fields`,
//! `x-kubernetes-int-or-string`, `nullable`, `required`, `enum`, types, bounds and patterns.
//! The schema is turned into a JSON Schema (draft 4, whose `exclusiveMinimum` and friends are
//! OpenAPI 3.0's) and checked by the `jsonschema` crate; what it cannot know (CEL
//! `x-kubernetes-validations`, formats) is left to the server.
//!
//! The custom kinds agentctl renders itself are judged the same way when the user lists
//! their CRD (`crds:`); else by agentctl's typed model of them, which knows the fields its
//! templates write (the operators' CRDs are not built in: see the README, "Custom kinds").
//!
//! Must not read files (`input::crds` reads them) or decide where an object lives
//! (`render::patches` does, as for built-in kinds).

use std::sync::Arc;

use serde_json::{Map, Value as J};

use crate::config::patches::{self, PatchError, PathDisplay, Seg};
use crate::input::crds::{Crd, CrdVersion};
use crate::render::builtin::Unknown;
use crate::suggest::did_you_mean;

/// The CRD and served version an object names.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The definition.
    pub crd: &'a Crd,
    /// The version the object's `apiVersion` names (served).
    pub version: &'a CrdVersion,
}

impl Found<'_> {
    /// Where the CRD is, for every message about it: "the CRD `crds/x.yaml` (listed at …)".
    pub fn named(&self) -> String {
        format!(
            "checked against {} {} of the CRD `{}` (listed at {})",
            self.crd.kind, self.version.name, self.crd.file, self.crd.listed_at
        )
    }
}

/// The CRD whose schema judges a patched or extra object of `api`/`kind`, when one does: a
/// listed CRD's kind, or a custom kind agentctl renders whose CRD the user lists (else its
/// typed model judges it). `None` for a kind the API server serves itself (its
/// Kubernetes type judges it) and for an unknown one.
pub fn judged_by<'a>(crds: &'a [Arc<Crd>], api: &str, kind: &str) -> Option<Found<'a>> {
    match crate::render::builtin::lookup(api, kind) {
        Ok(row) if matches!(row.served, crate::render::objects::Served::Crd { .. }) => {
            match lookup(crds, api, kind) {
                Some(Ok(found)) => Some(found),
                _ => None,
            }
        }
        Ok(_) => None,
        Err(_) => lookup(crds, api, kind).and_then(Result::ok),
    }
}

/// The listed CRD and served version of `api`/`kind`: `None` when no listed CRD defines that
/// kind (the built-in "unknown kind" answer stands); `Err` when one does, but not at that
/// group or version (the fix names the served ones).
pub fn lookup<'a>(
    crds: &'a [Arc<Crd>],
    api: &str,
    kind: &str,
) -> Option<Result<Found<'a>, Unknown>> {
    let (group, version) = api.split_once('/').unwrap_or(("", api));
    let same_kind: Vec<&Crd> = crds
        .iter()
        .map(Arc::as_ref)
        .filter(|c| c.kind == kind)
        .collect();
    if same_kind.is_empty() {
        return None;
    }
    if let Some(crd) = same_kind.iter().find(|c| c.group == group) {
        if let Some(v) = crd.versions.iter().find(|v| v.name == version && v.served) {
            return Some(Ok(Found { crd, version: v }));
        }
        let served = crd.served();
        let best = did_you_mean(version, served.iter().copied())
            .or_else(|| served.first().copied())
            .unwrap_or_default();
        let not = if crd.versions.iter().any(|v| v.name == version) {
            "is not served by"
        } else {
            "is not a version of"
        };
        return Some(Err(Unknown {
            message: format!("`{version}` {not} {kind} in the CRD `{}`", crd.file),
            hint: if served.is_empty() {
                format!(
                    "the CRD `{}` serves no version of {kind}: set `served: true` on one",
                    crd.file
                )
            } else {
                format!(
                    "did you mean `apiVersion: {}`? the CRD serves {}",
                    crd.api(best),
                    served
                        .iter()
                        .map(|v| crd.api(v))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            api_at_fault: true,
        }));
    }
    let groups: Vec<&str> = same_kind.iter().map(|c| c.group.as_str()).collect();
    let best = did_you_mean(group, groups.iter().copied()).unwrap_or(groups[0]);
    let crd = same_kind
        .iter()
        .find(|c| c.group == best)
        .unwrap_or(&same_kind[0]);
    let v = crd.served().first().copied().unwrap_or("v1");
    Some(Err(Unknown {
        message: format!(
            "the CRD `{}` defines {kind} in the group `{}`, not `{group}`",
            crd.file, crd.group
        ),
        hint: format!("did you mean `apiVersion: {}`?", crd.api(v)),
        api_at_fault: true,
    }))
}

/// A listed kind near `kind` (another case, a typo), as "did you mean" says it.
pub fn near(crds: &[Arc<Crd>], kind: &str) -> Option<String> {
    let lower = kind.to_ascii_lowercase();
    let c = crds
        .iter()
        .find(|c| c.kind.eq_ignore_ascii_case(kind))
        // A shortened kind (`TriggerAuth`).
        .or_else(|| {
            crds.iter()
                .find(|c| lower.len() >= 4 && c.kind.to_ascii_lowercase().starts_with(&lower))
        })
        .or_else(|| {
            did_you_mean(kind, crds.iter().map(|c| c.kind.as_str()))
                .and_then(|n| crds.iter().find(|c| c.kind == n))
        })?;
    let v = c.served().first().copied().unwrap_or("v1");
    Some(format!(
        "did you mean `kind: {}` (`apiVersion: {}`, from the CRD `{}`)?",
        c.kind,
        c.api(v),
        c.file
    ))
}

/// The object checked against the version's schema: every problem, each at its path in the
/// object. `Err` of the outer result: the schema itself cannot be used (the CRD is at fault).
pub fn validate(found: &Found<'_>, obj: &J) -> Result<Vec<PatchError>, String> {
    let schema = structural(&found.version.schema, Place::Root);
    let validator = jsonschema::draft4::options()
        .should_validate_formats(false)
        .build(&schema)
        .map_err(|e| {
            format!(
                "the openAPIV3Schema of {} {} in the CRD `{}` is not a usable schema: {e}",
                found.crd.kind, found.version.name, found.crd.file
            )
        })?;
    let mut out = Vec::new();
    for e in validator.iter_errors(obj) {
        let path: Vec<Seg> = e
            .instance_path()
            .iter()
            .map(|s| match s {
                jsonschema::paths::LocationSegment::Property(p) => Seg::Key(p.as_ref().into()),
                jsonschema::paths::LocationSegment::Index(i) => Seg::Index(i),
            })
            .collect();
        let shown = PathDisplay(&patches::keyed_path(obj, &path)).to_string();
        let at = if shown.is_empty() {
            "the object".to_owned()
        } else {
            format!("`{shown}`")
        };
        let kind = &found.crd.kind;
        match e.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                // The properties the schema has at that place, for "did you mean".
                let pointer = e.schema_path().as_str();
                let known: Vec<String> = pointer
                    .strip_suffix("/additionalProperties")
                    .and_then(|p| schema.pointer(&format!("{p}/properties")))
                    .and_then(J::as_object)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for field in unexpected {
                    let mut p = path.clone();
                    p.push(Seg::Key(field.as_str().into()));
                    let hint = match did_you_mean(field, known.iter().map(String::as_str)) {
                        Some(n) => format!("did you mean `{n}`?"),
                        None if known.is_empty() => {
                            format!("the schema has no fields at {at}")
                        }
                        None => format!("the fields here are {}", known.join(", ")),
                    };
                    out.push(PatchError {
                        path: p,
                        on_key: true,
                        message: format!(
                            "`{field}` is not a field of {kind} at {at}: the API server would drop it"
                        ),
                        hint: Some(hint),
                    });
                }
            }
            jsonschema::error::ValidationErrorKind::Required { property } => {
                let field = property.as_str().unwrap_or_default();
                out.push(PatchError {
                    on_key: !path.is_empty(),
                    path,
                    message: format!("{kind} requires `{field}` at {at}"),
                    hint: Some(format!("add `{field}:` here")),
                });
            }
            jsonschema::error::ValidationErrorKind::Enum { options } => {
                let shown_options = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|o| o.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let value = e.instance().to_string();
                let hint = match (
                    e.instance().as_str(),
                    options.as_array().map(|a| {
                        a.iter()
                            .filter_map(J::as_str)
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    }),
                ) {
                    (Some(v), Some(opts)) => did_you_mean(v, opts.iter().map(String::as_str))
                        .map(|m| format!("did you mean `{m}`? one of {shown_options}")),
                    _ => None,
                }
                .unwrap_or_else(|| format!("one of {shown_options}"));
                out.push(PatchError {
                    path,
                    on_key: false,
                    message: format!("{value} is not a value {kind} allows at {at}"),
                    hint: Some(hint),
                });
            }
            jsonschema::error::ValidationErrorKind::Type { .. } => {
                let wanted = e.to_string();
                out.push(PatchError {
                    path,
                    on_key: false,
                    message: format!("wrong type at {at} for {kind}: {wanted}"),
                    hint: Some(
                        "numbers unquoted, strings quoted where YAML could misread them".into(),
                    ),
                });
            }
            _ => out.push(PatchError {
                path,
                on_key: false,
                message: format!("{kind} does not allow the value at {at}: {e}"),
                hint: None,
            }),
        }
    }
    Ok(out)
}

/// Whether the validator can use `pattern` (it refuses a whole schema with one it cannot).
fn usable_pattern(pattern: &J) -> bool {
    jsonschema::draft4::options()
        .build(&serde_json::json!({ "pattern": pattern }))
        .is_ok()
}

/// Where a schema node sits, which decides what is added.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// The object itself: `apiVersion`, `kind` and `metadata` always allowed (metadata is
    /// checked as for every object, by `render::names`).
    Root,
    /// A node whose unknown fields are refused (the structural schema's own properties).
    Value,
    /// Inside `allOf`/`anyOf`/`oneOf`/`not`: value validations only, never closing a map.
    Junctor,
}

/// An OpenAPI v3 structural schema as a draft 4 JSON Schema with the API server's rules made
/// explicit (see the module documentation).
fn structural(s: &J, place: Place) -> J {
    let J::Object(m) = s else {
        return s.clone();
    };
    let flag = |k: &str| m.get(k).and_then(J::as_bool).unwrap_or(false);
    let preserve = flag("x-kubernetes-preserve-unknown-fields");
    let nullable = flag("nullable");
    let embedded = flag("x-kubernetes-embedded-resource");
    let inner = if place == Place::Junctor {
        Place::Junctor
    } else {
        Place::Value
    };
    let mut out = Map::new();
    for (k, v) in m {
        let converted = match k.as_str() {
            "properties" => J::Object(
                v.as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(name, s)| (name.clone(), structural(s, inner)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "items" | "additionalProperties" if v.is_object() => structural(v, inner),
            "allOf" | "anyOf" | "oneOf" => J::Array(
                v.as_array()
                    .map(|a| a.iter().map(|s| structural(s, Place::Junctor)).collect())
                    .unwrap_or_default(),
            ),
            "not" => structural(v, Place::Junctor),
            // A pattern in Go's syntax the validator's ECMA 262 dialect cannot read
            // (Prometheus Operator's `^(?i)(abort|warn)?$`) is left to the server.
            "pattern" if !usable_pattern(v) => continue,
            "type" if nullable => match v {
                J::String(t) => J::Array(vec![J::String(t.clone()), J::String("null".into())]),
                other => other.clone(),
            },
            "enum" if nullable => {
                let mut e = v.as_array().cloned().unwrap_or_default();
                e.push(J::Null);
                J::Array(e)
            }
            // Kubernetes' formats are not JSON Schema's; annotations and extensions say
            // nothing a draft 4 validator checks.
            "format" | "nullable" | "description" | "example" | "externalDocs" | "title"
            | "default" => continue,
            // A structural schema has no references (the API server refuses a CRD with one):
            // never resolved, so a listed file cannot make agentctl read or fetch another.
            "$ref" | "$schema" | "$id" | "id" | "definitions" => continue,
            x if x.starts_with("x-kubernetes-") => continue,
            _ => v.clone(),
        };
        out.insert(k.clone(), converted);
    }
    if flag("x-kubernetes-int-or-string") {
        out.insert("type".into(), serde_json::json!(["integer", "string"]));
    }
    if place == Place::Root || embedded {
        let props = out
            .entry("properties")
            .or_insert_with(|| J::Object(Map::new()));
        if let J::Object(p) = props {
            p.insert("apiVersion".into(), serde_json::json!({"type": "string"}));
            p.insert("kind".into(), serde_json::json!({"type": "string"}));
            p.insert("metadata".into(), serde_json::json!({"type": "object"}));
        }
    }
    let is_object =
        m.get("type").and_then(J::as_str) == Some("object") || m.contains_key("properties");
    if place != Place::Junctor && is_object && !preserve && !m.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".into(), J::Bool(false));
        // With no `properties` the validator reports the whole map, not the field: name none.
        out.entry("properties")
            .or_insert_with(|| J::Object(Map::new()));
    }
    J::Object(out)
}

#[cfg(test)]
mod tests;
