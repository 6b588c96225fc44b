//! The stored form: what the API server keeps of a rendered object, so the output is that form.
//!
//! The API server normalizes what it stores: every quantity of a built-in kind is re-serialized
//! in its canonical form (`2000m` becomes `2`, `1024Mi` becomes `1Gi`, `1000` becomes `1k`).
//! An output that writes another form than the stored one never matches the cluster: a GitOps
//! tool that compares the manifest with the live object shows it OutOfSync forever. [`apply`]
//! rewrites the quantities of a checked object in their canonical form
//! ([`Quantity::canonical`], Go's `resource.Quantity` rules); custom resources are stored as written and are left
//! alone (which kinds the API server serves itself: the table of kinds, [`objects`]). The zero values the server omits (`initialDelaySeconds: 0`, empty rule lists) are
//! left out by the templates themselves. Pure functions of JSON values; no I/O.

use serde_json::Value as J;

use crate::k8s::Quantity;
use crate::render::objects;

/// Rewrites every quantity of a built-in object in its canonical form (see the module doc):
/// container and claim `resources`, `emptyDir.sizeLimit`, pod `overhead`, a ResourceQuota's
/// `hard`, a LimitRange's bounds and an HPA metric's target values.
pub fn apply(obj: &mut J) {
    let api = obj
        .get("apiVersion")
        .and_then(J::as_str)
        .unwrap_or_default();
    let kind = obj.get("kind").and_then(J::as_str).unwrap_or_default();
    if !objects::built_in(api, kind) {
        return;
    }
    match kind {
        "ResourceQuota" => {
            if let Some(hard) = obj.pointer_mut("/spec/hard") {
                each(hard);
            }
        }
        "LimitRange" => {
            if let Some(J::Array(limits)) = obj.pointer_mut("/spec/limits") {
                for l in limits {
                    for key in [
                        "max",
                        "min",
                        "default",
                        "defaultRequest",
                        "maxLimitRequestRatio",
                    ] {
                        if let Some(m) = l.get_mut(key) {
                            each(m);
                        }
                    }
                }
            }
        }
        _ => walk(obj),
    }
}

/// Every value of a map of quantities, canonical.
fn each(map: &mut J) {
    if let J::Object(m) = map {
        for v in m.values_mut() {
            one(v);
        }
    }
}

fn one(v: &mut J) {
    if let Some(c) = v.as_str().and_then(|t| Quantity::parse(t).ok()) {
        *v = J::String(c.canonical());
    }
}

/// The quantities below an object, found by the keys that hold them in the built-in kinds.
fn walk(v: &mut J) {
    match v {
        J::Object(m) => {
            for (key, child) in m.iter_mut() {
                match key.as_str() {
                    "resources" => {
                        for part in ["limits", "requests"] {
                            if let Some(q) = child.get_mut(part) {
                                each(q);
                            }
                        }
                    }
                    "sizeLimit" => one(child),
                    "overhead" => each(child),
                    // An HPA metric's target: `value` and `averageValue` are quantities.
                    "target" if child.get("type").is_some() => {
                        for part in ["value", "averageValue"] {
                            if let Some(q) = child.get_mut(part) {
                                one(q);
                            }
                        }
                    }
                    _ => walk(child),
                }
            }
        }
        J::Array(a) => a.iter_mut().for_each(walk),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn built_in_objects_only() {
        let mut dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
            "containers": [{"resources": {"limits": {"cpu": "2000m", "memory": "2048Mi"}}}],
            "volumes": [{"emptyDir": {"sizeLimit": "1024Mi"}}]}}}});
        apply(&mut dep);
        assert_eq!(
            dep.pointer("/spec/template/spec/containers/0/resources/limits/cpu"),
            Some(&json!("2"))
        );
        assert_eq!(
            dep.pointer("/spec/template/spec/containers/0/resources/limits/memory"),
            Some(&json!("2Gi"))
        );
        assert_eq!(
            dep.pointer("/spec/template/spec/volumes/0/emptyDir/sizeLimit"),
            Some(&json!("1Gi"))
        );
        let mut vpa = json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
            "spec": {"resourcePolicy": {"containerPolicies": [{"maxAllowed": {"cpu": "2000m"}}]}}});
        let before = vpa.clone();
        apply(&mut vpa);
        assert_eq!(vpa, before, "a custom resource is stored as written");
    }
}
