//! Semantic comparison of Kubernetes objects: quantities compared by value (`2000m` is `2`,
//! `1Gi` is `1024Mi`), numbers by value, lists of named items matched by name, and the
//! field-by-field differences ([`Delta`]) that the impact rules read and quote.

use serde_json::Value as J;

use crate::k8s::Quantity;

/// The value of a quantity field, whether written as a string or a number, in nano-units
/// (`1` is 10⁹, `1m` is 10⁶, `1Ki` is 1024·10⁹; [`Quantity`]).
pub fn quantity_of(v: &J) -> Option<i128> {
    Quantity::of_json(v).map(Quantity::nanos)
}

/// Keys whose values (or whose map's values) are quantities.
fn is_quantity_map(key: &str) -> bool {
    matches!(
        key,
        "requests"
            | "limits"
            | "hard"
            | "capacity"
            | "default"
            | "defaultRequest"
            | "max"
            | "min"
            | "maxLimitRequestRatio"
    )
}

/// `v` with quantities, numbers and named lists in a canonical form, so that equal values
/// compare equal however they are written.
pub fn normalize(v: &J) -> J {
    norm(v, "")
}

/// Whether a field's value is the same as leaving it out, as the API server stores it: an
/// empty list (`egress: []`), or a zero that is the default (`initialDelaySeconds: 0`).
fn same_as_absent(key: &str, v: &J) -> bool {
    match v {
        J::Array(items) => items.is_empty(),
        J::Number(n) => {
            matches!(key, "initialDelaySeconds" | "minReadySeconds") && n.as_f64() == Some(0.0)
        }
        J::Null => true,
        _ => false,
    }
}

fn norm(v: &J, key: &str) -> J {
    match v {
        J::Object(map) => J::Object(
            map.iter()
                .filter(|(k, item)| !same_as_absent(k, item))
                .map(|(k, item)| {
                    let quantity_here = is_quantity_map(key) || k == "sizeLimit" || k == "storage";
                    let value = match (quantity_here, quantity_of(item)) {
                        (true, Some(q)) => J::String(format!("quantity:{q}")),
                        _ => norm(item, k),
                    };
                    (k.clone(), value)
                })
                .collect(),
        ),
        J::Array(items) => J::Array(items.iter().map(|i| norm(i, key)).collect()),
        J::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => J::from(f as i64),
            _ => v.clone(),
        },
        _ => v.clone(),
    }
}

/// Whether two values are the same after [`normalize`].
pub fn same(a: &J, b: &J) -> bool {
    a == b || normalize(a) == normalize(b)
}

/// One field that differs: its path (`spec.template.spec.containers[agent].image`), and its old
/// and new values (`None`: absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// Dotted path; list items of named lists as `[name]`, others as `[index]`.
    pub path: String,
    /// The old value.
    pub old: Option<J>,
    /// The new value.
    pub new: Option<J>,
}

impl Delta {
    /// `path: old → new`, values shortened; two long values that would read the same once cut
    /// are both shown from a little before the first character where they differ.
    pub fn describe(&self) -> String {
        let (old, new) = (short(self.old.as_ref()), short(self.new.as_ref()));
        if old != new {
            return format!("{}: {old} → {new}", self.path);
        }
        let (Some(a), Some(b)) = (full(self.old.as_ref()), full(self.new.as_ref())) else {
            return format!("{}: {old} → {new}", self.path);
        };
        let at = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let from = at.saturating_sub(20);
        format!("{}: {} → {}", self.path, window(&a, from), window(&b, from))
    }
}

/// The whole text [`short`] cuts, for a string or a collection.
fn full(v: Option<&J>) -> Option<String> {
    match v {
        Some(J::String(s)) => Some(s.clone()),
        Some(v @ (J::Object(_) | J::Array(_))) => Some(v.to_string()),
        _ => None,
    }
}

/// 57 characters of `text` from character `from`, with `…` where it was cut (a line break
/// shown as `\n`: the report is one line per object).
fn window(text: &str, from: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let from = from.min(chars.len());
    let end = (from + 57).min(chars.len());
    let shown: String = chars[from..end].iter().collect();
    format!(
        "{}{}{}",
        if from > 0 { "…" } else { "" },
        shown.replace('\n', "\\n"),
        if end < chars.len() { "…" } else { "" }
    )
}

/// A value as a reviewer reads it in one line.
pub fn short(v: Option<&J>) -> String {
    match v {
        None | Some(J::Null) => "(none)".into(),
        Some(J::String(s)) if s.chars().count() > 60 => {
            let cut: String = s.chars().take(57).collect();
            format!("{cut}…")
        }
        Some(J::String(s)) => s.clone(),
        Some(J::Object(m)) if m.is_empty() => "{}".into(),
        Some(J::Array(a)) if a.is_empty() => "[]".into(),
        Some(v @ (J::Object(_) | J::Array(_))) => {
            let text = v.to_string();
            if text.chars().count() > 60 {
                let cut: String = text.chars().take(57).collect();
                format!("{cut}…")
            } else {
                text
            }
        }
        Some(v) => v.to_string(),
    }
}

/// The name an item of a list is matched by, when every item has one.
fn item_name(v: &J) -> Option<String> {
    if let Some(n) = v.get("name").and_then(J::as_str) {
        return Some(n.to_owned());
    }
    v.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(J::as_str)
        .map(str::to_owned)
}

fn named(items: &[J]) -> Option<Vec<String>> {
    let names: Option<Vec<String>> = items.iter().map(item_name).collect();
    let names = names?;
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    (unique.len() == names.len() && !names.is_empty()).then_some(names)
}

/// Whether the names both lists hold stand in another order in `b` than in `a`.
fn reordered(a: &[String], b: &[String]) -> bool {
    let common = |x: &[String], y: &[String]| -> Vec<String> {
        x.iter().filter(|n| y.contains(n)).cloned().collect()
    };
    common(a, b) != common(b, a)
}

/// Every field that differs between `old` and `new` (absent on one side: `None`), under
/// `path`, semantically (see [`normalize`]).
pub fn deltas(old: Option<&J>, new: Option<&J>, path: &str) -> Vec<Delta> {
    let mut out = Vec::new();
    walk(
        old.map(normalize).as_ref(),
        new.map(normalize).as_ref(),
        old,
        new,
        path,
        &mut out,
    );
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Walks the normalized values (to decide) and the originals (to quote).
fn walk(
    a: Option<&J>,
    b: Option<&J>,
    ra: Option<&J>,
    rb: Option<&J>,
    path: &str,
    out: &mut Vec<Delta>,
) {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    if a == b {
        return;
    }
    match (a, b) {
        (Some(J::Object(ma)), Some(J::Object(mb))) => {
            let mut keys: Vec<&String> = ma.keys().chain(mb.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(
                    ma.get(k),
                    mb.get(k),
                    ra.and_then(|r| r.get(k)),
                    rb.and_then(|r| r.get(k)),
                    &join(path, k),
                    out,
                );
            }
        }
        (Some(J::Array(la)), Some(J::Array(lb))) => match (named(la), named(lb)) {
            (Some(na), Some(nb)) => {
                // Names in another order (init containers run in list order) are a change of
                // their own, shown as the lists of names, before what changed in the items.
                if reordered(&na, &nb) {
                    out.push(Delta {
                        path: path.to_owned(),
                        old: Some(J::from(na.clone())),
                        new: Some(J::from(nb.clone())),
                    });
                }
                let mut names: Vec<&String> = na.iter().collect();
                names.extend(nb.iter().filter(|n| !na.contains(n)));
                for n in names {
                    let ia = na.iter().position(|x| x == n);
                    let ib = nb.iter().position(|x| x == n);
                    walk(
                        ia.map(|i| &la[i]),
                        ib.map(|i| &lb[i]),
                        ia.and_then(|i| ra.and_then(|r| r.get(i))),
                        ib.and_then(|i| rb.and_then(|r| r.get(i))),
                        &format!("{path}[{n}]"),
                        out,
                    );
                }
            }
            _ if la.len() == lb.len() => {
                for i in 0..la.len() {
                    walk(
                        la.get(i),
                        lb.get(i),
                        ra.and_then(|r| r.get(i)),
                        rb.and_then(|r| r.get(i)),
                        &format!("{path}[{i}]"),
                        out,
                    );
                }
            }
            _ => out.push(Delta {
                path: path.to_owned(),
                old: ra.cloned(),
                new: rb.cloned(),
            }),
        },
        _ => out.push(Delta {
            path: path.to_owned(),
            old: ra.filter(|v| !v.is_null()).cloned(),
            new: rb.filter(|v| !v.is_null()).cloned(),
        }),
    }
}

/// At most `n` deltas described, then how many more.
pub fn describe(deltas: &[Delta], n: usize) -> String {
    let mut parts: Vec<String> = deltas.iter().take(n).map(Delta::describe).collect();
    if deltas.len() > n {
        parts.push(format!("and {} more", deltas.len() - n));
    }
    parts.join(", ")
}

/// The JSON pointer of a delta's dotted path of plain keys (`spec.template` is
/// `/spec/template`), to read the value it names ([`crate::k8s::object::at`]).
pub fn pointer(path: &str) -> String {
    path.split('.').map(|k| format!("/{k}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_compare_by_value() {
        let quantity = |s: &str| quantity_of(&json!(s));
        assert_eq!(quantity("2000m"), quantity("2"));
        assert_eq!(quantity("1Gi"), quantity("1024Mi"));
        assert_eq!(quantity("1.5"), quantity("1500m"));
        assert_eq!(quantity("1e3"), quantity("1k"));
        assert_eq!(quantity_of(&json!(2)), quantity("2"));
        assert!(quantity("10Gi") > quantity("9Gi"));
        assert_eq!(quantity("abc"), None);
        assert_eq!(quantity(""), None);
        assert_eq!(quantity("1Xi"), None);
    }

    #[test]
    fn semantic_equality_ignores_spelling() {
        let a = json!({"resources": {"limits": {"cpu": "2000m", "memory": "2Gi"}}, "n": 1});
        let b = json!({"resources": {"limits": {"cpu": "2", "memory": "2048Mi"}}, "n": 1.0});
        assert!(same(&a, &b));
        assert!(deltas(Some(&a), Some(&b), "").is_empty());
        let c = json!({"resources": {"limits": {"cpu": "3", "memory": "2Gi"}}, "n": 1});
        let d = deltas(Some(&a), Some(&c), "spec");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].describe(), "spec.resources.limits.cpu: 2000m → 3");
    }

    #[test]
    fn stored_forms_are_the_same() {
        let a = json!({"egress": [], "probe": {"initialDelaySeconds": 0, "periodSeconds": 10}});
        let b = json!({"probe": {"periodSeconds": 10}});
        assert!(same(&a, &b));
        assert!(!same(&json!({"replicas": 0}), &json!({})));
    }

    #[test]
    fn names_in_another_order_are_a_change() {
        let a = json!({"initContainers": [{"name": "migrate"}, {"name": "warm"}, {"name": "x"}]});
        let b = json!({"initContainers": [{"name": "warm"}, {"name": "migrate"}]});
        let d = deltas(Some(&a), Some(&b), "");
        assert_eq!(
            describe(&d, 3),
            "initContainers: [\"migrate\",\"warm\",\"x\"] → [\"warm\",\"migrate\"], \
             initContainers[x]: {\"name\":\"x\"} → (none)"
        );
        // One removed, the others in order: that item only.
        let c = json!({"initContainers": [{"name": "migrate"}, {"name": "x"}]});
        let d = deltas(Some(&a), Some(&c), "");
        assert_eq!(
            describe(&d, 3),
            "initContainers[warm]: {\"name\":\"warm\"} → (none)"
        );
    }

    #[test]
    fn named_lists_match_by_name() {
        let a =
            json!({"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]});
        let b =
            json!({"containers": [{"name": "b", "image": "y:2"}, {"name": "a", "image": "x:1"}]});
        let d = deltas(Some(&a), Some(&b), "");
        assert_eq!(
            describe(&d, 3),
            "containers: [\"a\",\"b\"] → [\"b\",\"a\"], containers[b].image: y:1 → y:2"
        );
    }
}

#[cfg(test)]
mod describe_tests {
    use super::*;

    /// Two long values that differ late are not shown as the same text.
    #[test]
    fn a_late_difference_is_shown() {
        let long = "Redis' resident memory is {{ $value | humanize }}% of its limit";
        let d = Delta {
            path: "description".into(),
            old: Some(J::String(format!("{long}, for 5m"))),
            new: Some(J::String(format!("{long}, for 10m\n"))),
        };
        let text = d.describe();
        assert!(!text.contains('\n'), "one line: {text}");
        let (old, new) = text["description: ".len()..].split_once(" → ").unwrap();
        assert_ne!(old, new, "{text}");
        assert!(old.contains("5m") && new.contains("10m"), "{text}");
        assert!(old.starts_with('…'), "{text}");
        // Short values are shown whole, as before.
        let d = Delta {
            path: "p".into(),
            old: Some(J::String("a".into())),
            new: Some(J::String("b".into())),
        };
        assert_eq!(d.describe(), "p: a → b");
    }
}
