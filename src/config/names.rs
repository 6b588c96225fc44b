//! Kubernetes name rules that the contract and the project file share: what a DNS-1123 label
//! is, and the nearest valid name to suggest. Pure functions; no I/O.

/// Whether `v` is a DNS-1123 label (a namespace, an environment name); the reason if not.
pub fn dns1123_label(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("it is empty");
    }
    if v.len() > 63 {
        return Err("it is longer than 63 characters");
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("only lowercase letters, digits and '-' are allowed");
    }
    if v.starts_with('-') || v.ends_with('-') {
        return Err("it must start and end with a letter or digit");
    }
    Ok(())
}

/// The nearest DNS-1123 label (or, with `dots`, subdomain) to `v`, for a "use e.g." hint.
pub fn suggest_name(v: &str, dots: bool) -> String {
    let s: String = v
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || (dots && c == '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s: String = s.trim_matches('-').chars().take(63).collect();
    let s = s.trim_end_matches('-').to_owned();
    if s.is_empty() { "my-agents".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(dns1123_label("prod-eu-west").is_ok());
        assert!(dns1123_label("Prod").is_err());
        assert!(dns1123_label("-a").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert_eq!(suggest_name("Prod_EU", false), "prod-eu");
        assert_eq!(suggest_name("prod.eu", false), "prod-eu");
    }
}
