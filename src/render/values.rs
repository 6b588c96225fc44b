//! The values of a patched or extra object checked by the rules the typed settings follow:
//! every Kubernetes quantity (container requests and limits, a claim's size, an emptyDir's
//! `sizeLimit`, a quota's `hard`, a LimitRange's bounds) parsed by [`crate::k8s::quantity`]
//! (the one suffix table), every NetworkPolicy CIDR by the CIDR grammar of the settings
//! ([`crate::resolve::validate::parse_cidr`]), every numeric port in 1-65535. The Kubernetes
//! types take a quantity or a port as any string or integer, so without this `cpu: 2 cores`
//! would be written, collapse the quota recount, and fail only at `kubectl apply`. Names have
//! their own checks ([`super::names`]). Every problem of an object is returned at once.

use serde_json::Value as J;

use crate::config::patches::{PatchError, Step};
use crate::k8s::quantity::Quantity;

/// Every quantity, CIDR and port in `obj` that its rule refuses, as errors at their paths.
pub fn unfit(obj: &J) -> Vec<PatchError> {
    let mut out = Vec::new();
    walk(obj, &mut Vec::new(), &mut out);
    out
}

fn key<'a>(path: &[Step<'a>], back: usize) -> Option<&'a str> {
    let i = path.len().checked_sub(back + 1)?;
    match path.get(i)? {
        Step::Key(k) => Some(*k),
        Step::Index(_) => None,
    }
}

/// Whether the value at `path` is a quantity: under `resources.requests`/`limits` (pods and
/// claims), `sizeLimit`, a ResourceQuota's `hard`, a LimitRange's bounds.
fn is_quantity(path: &[Step<'_>]) -> bool {
    let parent = key(path, 1);
    let grand = key(path, 2);
    let last = key(path, 0);
    matches!(
        (grand, parent),
        (Some("resources"), Some("requests" | "limits"))
    ) || last == Some("sizeLimit")
        || (parent == Some("hard") && grand == Some("spec"))
        || matches!(
            parent,
            Some("default" | "defaultRequest" | "max" | "min" | "maxLimitRequestRatio")
        ) && path
            .iter()
            .any(|s| matches!(s, Step::Key(k) if *k == "limits"))
}

fn walk<'a>(v: &'a J, path: &mut Vec<Step<'a>>, out: &mut Vec<PatchError>) {
    match v {
        J::Object(m) => {
            for (k, child) in m {
                path.push(Step::Key(k));
                walk(child, path, out);
                path.pop();
            }
        }
        J::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(child, path, out);
                path.pop();
            }
        }
        J::String(s) if is_quantity(path) => {
            if let Err(why) = Quantity::parse(s) {
                out.push(PatchError {
                    path: Step::owned(path),
                    on_key: false,
                    message: format!("{s:?} is not a Kubernetes quantity: {why}"),
                    hint: Some("write it like `500m` or `2` (CPU), `512Mi` or `2Gi` (memory, storage); Kubernetes refuses anything else at `kubectl apply`".into()),
                });
            }
        }
        J::Number(n) if is_quantity(path) && n.as_f64().is_some_and(|f| f < 0.0) => {
            out.push(PatchError {
                path: Step::owned(path),
                on_key: false,
                message: format!("{n} is a negative quantity"),
                hint: Some("a request, limit or size is zero or more".into()),
            });
        }
        J::String(s)
            if (key(path, 0) == Some("cidr") && key(path, 1) == Some("ipBlock")
                || key(path, 1) == Some("except") && key(path, 2) == Some("ipBlock"))
                && crate::resolve::validate::parse_cidr(s).is_none() =>
        {
            out.push(PatchError {
                path: Step::owned(path),
                on_key: false,
                message: format!("{s:?} is not a CIDR"),
                hint: Some("write an address and prefix length, e.g. `10.0.0.0/8` (IPv4 up to /32, IPv6 up to /128)".into()),
            });
        }
        J::Number(n)
            if matches!(
                key(path, 0),
                Some("containerPort" | "hostPort" | "port" | "targetPort" | "nodePort" | "endPort")
            ) =>
        {
            let ok = n.as_i64().is_some_and(|p| (1..=65535).contains(&p));
            if !ok {
                out.push(PatchError {
                    path: Step::owned(path),
                    on_key: false,
                    message: format!("{n} is not a port"),
                    hint: Some("use 1-65535".into()),
                });
            }
        }
        _ => {}
    }
}
