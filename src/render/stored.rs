//! The stored form: what the API server keeps of a rendered object, so the output is that form.
//!
//! The API server normalizes what it stores: every quantity of a built-in kind is re-serialized
//! in its canonical form (`2000m` becomes `2`, `1024Mi` becomes `1Gi`, `1000` becomes `1k`).
//! An output that writes another form than the stored one never matches the cluster: a GitOps
//! tool that compares the manifest with the live object shows it OutOfSync forever. [`apply`]
//! rewrites the quantities of a checked object in their canonical form ([`quantity`], Go's
//! `resource.Quantity` rules, exactly); custom resources are stored as written and are left
//! alone. The zero values the server omits (`initialDelaySeconds: 0`, empty rule lists) are
//! left out by the templates themselves. Pure functions of JSON values; no I/O.

use serde_json::Value as J;

/// How a quantity was written, which its canonical form keeps (Go's `resource.Format`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `500m`, `2`, `10G`.
    DecimalSi,
    /// `10Gi`, `512Mi`.
    BinarySi,
    /// `1e3`.
    DecimalExponent,
}

/// The canonical form of a Kubernetes quantity, as the API server stores it; `None` when the
/// text is not a quantity (validation reports those) or too large to be exact here.
///
/// Go's rules: the value is rounded up to a multiple of 10⁻⁹; zero is `0`; a binary quantity
/// (`Ki`…`Ei`) stays binary in the largest exact unit when it is a whole number of at least
/// 1024, and is written in decimal otherwise; a decimal one gets the largest SI suffix (`m`,
/// none, `k`, `M`, …) that keeps the number whole; an exponent one keeps an `e` exponent that is
/// a multiple of 3.
pub fn quantity(text: &str) -> Option<String> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let num_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(num_end);
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    let (format, exp10, exp2) = match suffix {
        "" => (Format::DecimalSi, 0, 0),
        "n" => (Format::DecimalSi, -9, 0),
        "u" => (Format::DecimalSi, -6, 0),
        "m" => (Format::DecimalSi, -3, 0),
        "k" => (Format::DecimalSi, 3, 0),
        "M" => (Format::DecimalSi, 6, 0),
        "G" => (Format::DecimalSi, 9, 0),
        "T" => (Format::DecimalSi, 12, 0),
        "P" => (Format::DecimalSi, 15, 0),
        "E" => (Format::DecimalSi, 18, 0),
        "Ki" => (Format::BinarySi, 0, 10),
        "Mi" => (Format::BinarySi, 0, 20),
        "Gi" => (Format::BinarySi, 0, 30),
        "Ti" => (Format::BinarySi, 0, 40),
        "Pi" => (Format::BinarySi, 0, 50),
        "Ei" => (Format::BinarySi, 0, 60),
        s if s.len() > 1 && s.starts_with(['e', 'E']) => {
            (Format::DecimalExponent, s[1..].parse::<i32>().ok()?, 0)
        }
        _ => return None,
    };
    // value = mantissa × 10^scale, exactly.
    let digits = format!("{whole}{frac}");
    let mut mantissa: u128 = digits.parse().ok()?;
    let mut scale = exp10 - i32::try_from(frac.len()).ok()?;
    mantissa = mantissa.checked_mul(1u128.checked_shl(exp2)?)?;
    // Rounded up to nano units (Go: "if you want some resources, you should get some").
    if scale < -9 {
        let div = 10u128.checked_pow(u32::try_from(-9 - scale).ok()?)?;
        mantissa = mantissa.div_ceil(div);
        scale = -9;
    }
    if mantissa == 0 {
        return Some("0".to_owned());
    }
    let sign = if negative { "-" } else { "" };
    let mut format = format;
    if format == Format::BinarySi {
        // Whole and at least 1024: the largest binary unit that keeps it whole.
        let whole_value = if scale >= 0 {
            mantissa.checked_mul(10u128.checked_pow(u32::try_from(scale).ok()?)?)
        } else {
            let div = 10u128.pow(u32::try_from(-scale).ok()?);
            mantissa.is_multiple_of(div).then(|| mantissa / div)
        };
        match whole_value {
            Some(mut n) if n >= 1024 => {
                let mut unit = 0;
                while n.is_multiple_of(1024) && unit < 6 {
                    n /= 1024;
                    unit += 1;
                }
                let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][unit];
                return Some(format!("{sign}{n}{suffix}"));
            }
            _ => format = Format::DecimalSi,
        }
    }
    // The largest exponent that keeps the number whole, then down to a multiple of 3.
    while mantissa.is_multiple_of(10) {
        mantissa /= 10;
        scale += 1;
    }
    let down = scale.rem_euclid(3);
    mantissa = mantissa.checked_mul(10u128.pow(down.unsigned_abs()))?;
    scale -= down;
    let suffix = match (format, scale) {
        (Format::DecimalExponent, 0) => String::new(),
        (Format::DecimalExponent, e) => format!("e{e}"),
        (_, -9) => "n".into(),
        (_, -6) => "u".into(),
        (_, -3) => "m".into(),
        (_, 0) => String::new(),
        (_, 3) => "k".into(),
        (_, 6) => "M".into(),
        (_, 9) => "G".into(),
        (_, 12) => "T".into(),
        (_, 15) => "P".into(),
        (_, 18) => "E".into(),
        (_, e) => format!("e{e}"),
    };
    Some(format!("{sign}{mantissa}{suffix}"))
}

/// Rewrites every quantity of a built-in object in its canonical form (see the module doc):
/// container and claim `resources`, `emptyDir.sizeLimit`, pod `overhead`, a ResourceQuota's
/// `hard`, a LimitRange's bounds and an HPA metric's target values.
pub fn apply(obj: &mut J) {
    let api = obj
        .get("apiVersion")
        .and_then(J::as_str)
        .unwrap_or_default();
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    if !super::k8s_check::BUILT_IN_GROUPS.contains(&group) {
        return;
    }
    match obj.get("kind").and_then(J::as_str).unwrap_or_default() {
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
    if let Some(c) = v.as_str().and_then(quantity) {
        *v = J::String(c);
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
    fn canonical_quantities() {
        for (text, want) in [
            ("2000m", "2"),
            ("1000m", "1"),
            ("500m", "500m"),
            ("0.5", "500m"),
            ("1.5", "1500m"),
            ("1000", "1k"),
            ("1500", "1500"),
            ("1024Mi", "1Gi"),
            ("1536Mi", "1536Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ki", "512"),
            ("1Ki", "1Ki"),
            ("10Gi", "10Gi"),
            ("0", "0"),
            ("0Gi", "0"),
            ("1e3", "1e3"),
            ("0.1m", "100u"),
            ("1n", "1n"),
            ("0.1n", "1n"),
            ("12000000", "12M"),
        ] {
            assert_eq!(quantity(text).as_deref(), Some(want), "{text}");
        }
        for bad in ["", "Gi", "1.2.3", "1GB", "--1", "1e"] {
            assert_eq!(quantity(bad), None, "{bad}");
        }
    }

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
