//! The grammars of string settings: Kubernetes quantities, Prometheus durations, label keys
//! and values, image references. Pure functions of a string.

use crate::config::names::dns1123_label;
use crate::k8s::Quantity;
use crate::k8s::quantity::{self, Base, Format};

/// What a quantity measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CPU: cores or millicores.
    Cpu,
    /// Memory or storage: bytes with binary or decimal suffixes.
    Memory,
    /// Any quantity (custom metric values).
    Plain,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Cpu => "CPU",
            Kind::Memory => "memory",
            Kind::Plain => "",
        }
    }
}

/// Parses a Kubernetes quantity ([`Quantity`]) for a setting of this kind: a CPU figure in
/// cores or millicores, a memory figure not in thousandths of a byte, neither zero nor
/// negative. The error says why, for the user.
pub fn parse_quantity(text: &str, kind: Kind) -> Result<Quantity, String> {
    let (num, suffix) = quantity::split(text);
    if !text.is_empty() && (num.is_empty() || num == "+" || num == "-") {
        return Err("it does not start with a number".into());
    }
    if num == "." || num.matches('.').count() > 1 {
        return Err(format!("`{num}` is not a number"));
    }
    if num.starts_with('-') && num.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        return Err("it is negative".into());
    }
    let value = Quantity::parse(text).map_err(|e| match e {
        quantity::Error::UnknownSuffix(num, other) => {
            match quantity::binary_suffix_ignoring_case(&other) {
                Some(f) => format!(
                    "unknown suffix `{other}` (suffixes are case-sensitive: did you mean `{num}{f}`?)"
                ),
                None => format!("unknown suffix `{other}`"),
            }
        }
        e => e.to_string(),
    })?;
    let thousandths = Some((Base::Decimal(-3), Format::DecimalSi));
    match kind {
        Kind::Cpu
            if !matches!(
                quantity::suffix(suffix),
                Some((Base::Decimal(0), Format::DecimalSi))
            ) && quantity::suffix(suffix) != thousandths =>
        {
            return Err(format!(
                "CPU is counted in cores (`2`, `.5`) or millicores (`500m`), not `{suffix}`"
            ));
        }
        Kind::Memory if quantity::suffix(suffix) == thousandths => {
            return Err(
                "`m` means thousandths of a byte; you probably meant `Mi` (mebibytes)".into(),
            );
        }
        Kind::Cpu | Kind::Memory if value.is_zero() => return Err("it is zero".into()),
        _ => {}
    }
    Ok(value)
}

/// Parses a Prometheus duration (`1h30m`, `30s`, `500ms`) into milliseconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let ms = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            "y" => 31_536_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(n.checked_mul(ms)?)?;
    }
    (total > 0).then_some(total)
}

pub(super) fn label_value(v: &str) -> Result<(), &'static str> {
    if v.len() > 63 {
        return Err("it is longer than 63 characters");
    }
    if v.is_empty() {
        return Ok(());
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err("only letters, digits, '-', '_' and '.' are allowed");
    }
    if !v.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !v.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err("it must start and end with a letter or digit");
    }
    Ok(())
}

pub(super) fn label_key(k: &str) -> Result<(), &'static str> {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix
        && (p.is_empty() || p.len() > 253 || !p.split('.').all(|l| dns1123_label(l).is_ok()))
    {
        return Err("the prefix before '/' must be a DNS subdomain");
    }
    if name.is_empty() {
        return Err("the name is empty");
    }
    label_value(name)
}

/// A valid label key close to `k` (other characters as '-', trimmed to alphanumeric ends),
/// when there is one and it differs.
pub(super) fn label_key_suggestion(k: &str) -> Option<String> {
    // A key that holds a credential: no suggestion (it would spell the credential out).
    if crate::config::credentials::key_holds_credential(k) {
        return None;
    }
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let fixed = match prefix {
        Some(p) => format!("{p}/{name}"),
        None => name.to_owned(),
    };
    (fixed != k && label_key(&fixed).is_ok()).then_some(fixed)
}

/// Checks an image reference: `[host[:port]/]path[:tag][@sha256:hex]`.
pub fn check_image(image: &str) -> Result<(), String> {
    if image.is_empty() {
        return Err("it is empty".into());
    }
    if image.chars().any(char::is_whitespace) {
        return Err("it contains whitespace".into());
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let hex = d
            .strip_prefix("sha256:")
            .ok_or("the digest must start with `sha256:`")?;
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err("a sha256 digest is 64 lowercase hex digits".into());
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].split_once(':') {
        Some((n, t)) => (&rest[..last_slash + n.len()], Some(t)),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !ok {
            return Err(format!("`{t}` is not a valid tag"));
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        parts.remove(0);
    }
    for p in &parts {
        let ok = !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && p.starts_with(|c: char| c.is_ascii_alphanumeric())
            && p.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return Err(format!(
                "repository component `{p}` must be lowercase letters, digits and separators"
            ));
        }
    }
    match (tag, digest) {
        (None, None) => {
            Err("it has neither a tag nor a digest, so it would silently float to `latest`".into())
        }
        (Some("latest"), None) => {
            Err("the `latest` tag is mutable; pods would run whatever was pushed last".into())
        }
        _ => Ok(()),
    }
}

/// A Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(super) fn metric_name(v: &str) -> Result<(), &'static str> {
    prometheus_name(v, true)
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*` (names starting with `__` are reserved).
pub(super) fn prometheus_label_name(v: &str) -> Result<(), &'static str> {
    if v.starts_with("__") {
        return Err("names starting with `__` are reserved for Prometheus");
    }
    prometheus_name(v, false)
}

fn prometheus_name(v: &str, colon: bool) -> Result<(), &'static str> {
    let ok_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || (colon && c == b':');
    match v.as_bytes().first() {
        None => Err("it is empty"),
        Some(c) if c.is_ascii_digit() => Err("it must not start with a digit"),
        Some(_) if v.bytes().all(ok_char) => Ok(()),
        Some(_) if colon => Err("only letters, digits, '_' and ':' are allowed"),
        Some(_) => Err("only letters, digits and '_' are allowed"),
    }
}

/// A CIDR as (network address, prefix length), or `None` when it is not one.
pub fn parse_cidr(value: &str) -> Option<(std::net::IpAddr, u32)> {
    let (ip, bits) = value.split_once('/')?;
    let ip: std::net::IpAddr = ip.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// The first `bits` bits of an address, as a 128-bit number (IPv4 in the low 32 bits).
fn prefix_of(ip: std::net::IpAddr, bits: u32) -> u128 {
    let (n, width) = match ip {
        std::net::IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        std::net::IpAddr::V6(a) => (u128::from(a), 128),
    };
    if bits == 0 { 0 } else { n >> (width - bits) }
}

/// Whether the CIDR `inner` lies inside `outer` (same IP family, at least as long a prefix,
/// same leading bits): what Kubernetes requires of a NetworkPolicy's `ipBlock.except`.
pub(super) fn cidr_within(outer: (std::net::IpAddr, u32), inner: (std::net::IpAddr, u32)) -> bool {
    outer.0.is_ipv4() == inner.0.is_ipv4()
        && inner.1 >= outer.1
        && prefix_of(outer.0, outer.1) == prefix_of(inner.0, outer.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        assert_eq!(parse_quantity("500m", Kind::Cpu), Ok(q("0.5")));
        assert_eq!(parse_quantity(".5", Kind::Cpu), Ok(q("500m")));
        assert_eq!(parse_quantity("2Gi", Kind::Memory), Ok(q("2048Mi")));
        assert_eq!(parse_quantity("", Kind::Cpu), Err("it is empty".into()));
        assert_eq!(
            parse_quantity("-1", Kind::Plain),
            Err("it is negative".into())
        );
        assert_eq!(parse_quantity("0", Kind::Cpu), Err("it is zero".into()));
        assert_eq!(parse_quantity("0", Kind::Plain), Ok(Quantity::ZERO));
        assert_eq!(
            parse_quantity("2gi", Kind::Memory),
            Err("unknown suffix `gi` (suffixes are case-sensitive: did you mean `2Gi`?)".into())
        );
        assert!(
            parse_quantity("1e-3", Kind::Cpu).is_err(),
            "cores or millicores only"
        );
        assert!(parse_quantity("1e3", Kind::Memory).is_ok());
        assert!(parse_quantity("500mi", Kind::Memory).is_err());
        assert!(parse_quantity("1.5.0Gi", Kind::Memory).is_err());
        assert!(parse_quantity("500m", Kind::Memory).is_err());
        assert!(parse_quantity("1Gi", Kind::Cpu).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1m30s"), Some(90_000));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("5x"), None);
    }

    #[test]
    fn images() {
        assert!(check_image("redis:7.2-alpine").is_ok());
        assert!(check_image("registry.example.com:5000/team/agent:v2").is_ok());
        assert!(check_image(&format!("reg/agent@sha256:{}", "a".repeat(64))).is_ok());
        assert!(check_image("Reg/Agent:v1").is_err());
        assert!(check_image("agent").is_err());
        assert!(check_image("agent:latest").is_err());
        assert!(check_image("agent@sha256:abc").is_err());
    }
}
