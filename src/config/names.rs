//! Kubernetes name rules that the contract, the project file and the checks of the final objects
//! share: what a DNS-1123 label or subdomain, an RFC 1035 label, a path segment, a ConfigMap or
//! Secret key, a label key and value are (the API server's rules, so a name agentctl prints is
//! one Kubernetes would accept), and the nearest valid name to suggest. Also the one list of
//! version control metadata directory names, which the project file's `output:` and the output
//! directory's guard both refuse to write into. Pure functions; no I/O.

/// The metadata directories of the common version control systems: a repository root holds
/// one, and nothing agentctl renders may be written into one.
pub const VCS_METADATA_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj", ".bzr"];

/// The version control metadata directory `component` names, if it does (compared without
/// case: `.GIT` is `.git` on a case-insensitive file system).
pub fn vcs_metadata(component: &str) -> Option<&'static str> {
    VCS_METADATA_DIRS
        .iter()
        .find(|d| d.eq_ignore_ascii_case(component))
        .copied()
}

/// Why a path component is one of agentctl's own files (`.agentctl.lock`,
/// `.agentctl-state.json`, `.agentctl-owner`, a staged `.agentctl-*.tmp`), compared without
/// case: no directory agentctl writes may take such a name.
pub fn agentctl_file(component: &str) -> Option<&'static str> {
    component
        .get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case(".agentctl"))
        .then_some("a name starting `.agentctl` is one of agentctl's own files (its lock note, record, owner marker, staged files)")
}

/// Whether `p` is a container's `mountPath` Kubernetes runs: set, absolute (the kubelet and the
/// runtime refuse a relative one), without a `..` element (the API server refuses it), and not
/// `/` itself (the container's root file system); the reason if not.
pub fn mount_path(p: &str) -> Result<(), &'static str> {
    if p.is_empty() {
        return Err("it is empty");
    }
    if !p.starts_with('/') {
        return Err("it is not an absolute path");
    }
    if p.split('/').any(|part| part == "..") {
        return Err("it contains a `..` element");
    }
    if p.split('/').all(|part| part.is_empty() || part == ".") {
        return Err("it is the container's root `/`");
    }
    Ok(())
}

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

/// Whether `v` is a DNS-1123 subdomain (most objects' names, a Secret a pod references); the
/// reason if not. As the API server's `IsDNS1123Subdomain`: at most 253 characters in all, parts
/// between dots of any length (a 205-character ConfigMap name without a dot is valid; only a
/// label is held to 63).
pub fn dns1123_subdomain(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("it is empty");
    }
    if v.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    for part in v.split('.') {
        if part.is_empty() {
            return Err("it has an empty part between dots");
        }
        if !part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err("only lowercase letters, digits, '-' and '.' are allowed");
        }
        if part.starts_with('-') || part.ends_with('-') {
            return Err("each part between dots must start and end with a letter or digit");
        }
    }
    Ok(())
}

/// Whether `v` is an RFC 1035 label (a Service's name: a DNS label that starts with a letter).
pub fn dns1035_label(v: &str) -> Result<(), &'static str> {
    dns1123_label(v)?;
    if !v.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("it must start with a lowercase letter");
    }
    Ok(())
}

/// The rule the API server holds an object's own `metadata.name` to, by its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnName {
    /// A DNS-1123 subdomain (most kinds).
    Subdomain,
    /// A Job's: a subdomain that fits its pods' `job-name` label (63).
    JobName,
    /// A CronJob's: a subdomain that leaves room for its Jobs' suffix (52).
    CronJobName,
    /// A Namespace's: a DNS-1123 label.
    Label,
    /// A Service's: an RFC 1035 label.
    Rfc1035,
    /// An RBAC object's: a path segment (`system:aggregate-to-view`; `--all` is one too).
    PathSegment,
}

/// The rule for the `metadata.name` of an object of `kind` (the one table: the render's check
/// of patched and extra objects and `diff`'s of committed files both read it).
pub fn own_name(kind: &str) -> OwnName {
    match kind {
        "Service" => OwnName::Rfc1035,
        "Namespace" => OwnName::Label,
        "Job" => OwnName::JobName,
        "CronJob" => OwnName::CronJobName,
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => OwnName::PathSegment,
        _ => OwnName::Subdomain,
    }
}

/// Whether `name` is a valid `metadata.name` for an object of `kind` ([`own_name`]); the
/// reason if not.
pub fn object_name(kind: &str, name: &str) -> Result<(), &'static str> {
    match own_name(kind) {
        OwnName::Subdomain => dns1123_subdomain(name),
        OwnName::JobName | OwnName::CronJobName => {
            dns1123_subdomain(name)?;
            match own_name(kind) {
                OwnName::JobName if name.len() > 63 => {
                    Err("it is longer than 63 characters (its pods' `job-name` label)")
                }
                OwnName::CronJobName if name.len() > 52 => {
                    Err("it is longer than 52 characters (the API server's limit for a CronJob)")
                }
                _ => Ok(()),
            }
        }
        OwnName::Label => dns1123_label(name),
        OwnName::Rfc1035 => dns1035_label(name),
        OwnName::PathSegment => path_segment(name),
    }
}

/// Whether `v` is a path segment name (RBAC objects: `system:aggregate-to-view` is one).
pub fn path_segment(v: &str) -> Result<(), &'static str> {
    match v {
        "" => Err("it is empty"),
        "." | ".." => Err("it may not be '.' or '..'"),
        _ if v.contains(['/', '%']) => Err("it may not contain '/' or '%'"),
        _ => Ok(()),
    }
}

/// Whether `v` is a ConfigMap or Secret key (also the `key` a pod reads from one).
pub fn config_key(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("it is empty");
    }
    if v.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    {
        return Err("only letters, digits, '-', '_' and '.' are allowed");
    }
    if v == "." || v == ".." {
        return Err("it may not be '.' or '..'");
    }
    Ok(())
}

/// A label value or the name part of a label or annotation key: at most 63 letters, digits,
/// `-`, `_`, `.`, starting and ending with a letter or digit (`empty_ok`: a label value may be
/// empty).
fn qualified_part(v: &str, empty_ok: bool) -> Result<(), &'static str> {
    if v.is_empty() {
        return if empty_ok { Ok(()) } else { Err("it is empty") };
    }
    if v.len() > 63 {
        return Err("it is longer than 63 characters");
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
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

/// Whether `v` is a label value.
pub fn label_value(v: &str) -> Result<(), &'static str> {
    qualified_part(v, true)
}

/// Whether `v` is a label or annotation key: an optional DNS-1123 subdomain prefix and `/`,
/// then a name.
pub fn qualified_name(v: &str) -> Result<(), &'static str> {
    match v.split_once('/') {
        Some((prefix, name)) => {
            dns1123_subdomain(prefix)
                .map_err(|_| "its prefix (before '/') must be a DNS-1123 subdomain")?;
            qualified_part(name, false)
        }
        None => qualified_part(v, false),
    }
}

/// Whether `v` is an IANA service name, the API server's rule for a port's name (a container
/// port's `name`, a Service's `targetPort`, a probe's or a NetworkPolicy's `port` given by
/// name): the reason in its words if not.
pub fn port_name(v: &str) -> Result<(), &'static str> {
    if v.len() > 15 {
        return Err("must be no more than 15 characters");
    }
    if v.is_empty()
        || !v
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if !v.bytes().any(|b| b.is_ascii_lowercase()) {
        return Err("must contain at least one letter (a-z)");
    }
    if v.contains("--") {
        return Err("must not contain consecutive hyphens");
    }
    if v.starts_with('-') || v.ends_with('-') {
        return Err("must not begin or end with a hyphen");
    }
    Ok(())
}

/// Whether `v` is a path below a volume's root (a mount's `subPath` or `subPathExpr`): the API
/// server's `validateLocalDescendingPath`, its words.
pub fn descending_path(v: &str) -> Result<(), &'static str> {
    if v.starts_with('/') {
        return Err("must be a relative path");
    }
    if v.split('/').any(|part| part == "..") {
        return Err("must not contain '..'");
    }
    Ok(())
}

/// Whether `v` is the path of a file a volume projects (a ConfigMap's, Secret's or downward
/// API item's `path`, a service account token's): the API server's
/// `validateLocalNonReservedPath`, its words.
pub fn local_path(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("it is empty");
    }
    descending_path(v)?;
    if v.starts_with("..") {
        return Err("must not start with '..'");
    }
    Ok(())
}

/// Whether `v` is a block device's `devicePath` in a container: set and without a `..`
/// element, the API server's words.
pub fn device_path(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("it is empty");
    }
    if v.split('/').any(|part| part == "..") {
        return Err("can not contain backsteps ('..')");
    }
    Ok(())
}

/// Whether `v` is an IP address as the API server reads one (IPv4 parts may have leading
/// zeros, which it still accepts), its words if not.
pub fn ip_address(v: &str) -> Result<(), &'static str> {
    const WHY: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
    if v.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let parts: Vec<&str> = v.split('.').collect();
    let legacy_v4 = parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        });
    if legacy_v4 { Ok(()) } else { Err(WHY) }
}

/// Whether `v` is a pod's `os.name`, the API server's words if not.
pub fn os_name(v: &str) -> Result<(), &'static str> {
    match v {
        "linux" | "windows" => Ok(()),
        "" => Err("cannot be empty"),
        _ => Err("Unsupported value: supported values: \"linux\", \"windows\""),
    }
}

/// Whether `v` is an environment variable name (a container's `env[].name`, an `envFrom`'s
/// `prefix`) every Kubernetes version accepts: printable ASCII other than `=` (the rule of
/// 1.32 and later; older versions also refuse a name that starts with a digit or holds other
/// punctuation, which `kubectl apply` then reports).
pub fn env_var_name(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("it is empty");
    }
    if !v.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'=') {
        return Err(
            "a valid environment variable name must consist only of printable ASCII characters other than '='",
        );
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
    let most = if dots { 253 } else { 63 };
    let s: String = s.trim_matches('-').chars().take(most).collect();
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

    #[test]
    fn the_api_servers_rules_of_ports_paths_addresses() {
        for ok in ["http", "metrics", "h2c", "a-1", "abcdefghijklmno"] {
            assert_eq!(port_name(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("abcdefghijklmnop", "no more than 15"),
            ("Http", "only alpha-numeric"),
            ("8080", "at least one letter"),
            ("a--b", "consecutive hyphens"),
            ("-http", "begin or end"),
        ] {
            assert!(port_name(bad).is_err_and(|e| e.contains(why)), "{bad}");
        }
        assert_eq!(descending_path("a/b..c"), Ok(()));
        assert_eq!(descending_path(""), Ok(()));
        assert_eq!(descending_path("/etc"), Err("must be a relative path"));
        assert_eq!(descending_path("a/../b"), Err("must not contain '..'"));
        assert_eq!(local_path("..a"), Err("must not start with '..'"));
        assert_eq!(local_path("a..").map_err(|_| ()), Ok(()));
        assert!(local_path("").is_err());
        assert_eq!(device_path("/dev/xvda"), Ok(()));
        assert!(device_path("/dev/../etc").is_err());
        for ok in [
            "10.9.8.7",
            "010.009.8.7",
            "2001:db8::ffff",
            "::ffff:1.2.3.4",
        ] {
            assert_eq!(ip_address(ok), Ok(()), "{ok}");
        }
        for bad in ["", "1.2.3", "256.1.1.1", "example.com", "1.2.3.4/32"] {
            assert!(ip_address(bad).is_err(), "{bad}");
        }
        assert_eq!(os_name("linux"), Ok(()));
        assert!(os_name("Linux").is_err());
        assert_eq!(env_var_name("my.var-1"), Ok(()));
        assert!(env_var_name("A=B").is_err() && env_var_name("A\tB").is_err());
    }

    #[test]
    fn kubernetes_name_rules() {
        assert!(dns1123_subdomain("agent-secrets.v1").is_ok());
        for bad in [
            "",
            "a..b",
            "A",
            "a_b",
            "x$(touch c)",
            "-a",
            "a.",
            &"a".repeat(254),
        ] {
            assert!(dns1123_subdomain(bad).is_err(), "{bad:?}");
        }
        // The API server holds a subdomain to 253 in all, not each part to 63.
        assert!(dns1123_subdomain(&"a".repeat(205)).is_ok());
        assert!(dns1123_subdomain(&format!("{}.b", "a".repeat(100))).is_ok());
        assert!(dns1035_label("redis").is_ok());
        assert!(dns1035_label("1redis").is_err());
        assert!(path_segment("system:aggregate-to-view").is_ok());
        for bad in ["", ".", "..", "a/b", "a%2f"] {
            assert!(path_segment(bad).is_err(), "{bad:?}");
        }
        assert!(config_key("ca.crt").is_ok());
        assert!(config_key("REDIS_URL").is_ok());
        for bad in ["", ".", "..", "a b", "a$(x)", "a/b", "k`id`"] {
            assert!(config_key(bad).is_err(), "{bad:?}");
        }
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2_x").is_ok());
        assert!(label_value("a b").is_err());
        assert!(label_value("-a").is_err());
        assert!(qualified_name("app.kubernetes.io/name").is_ok());
        assert!(qualified_name("name").is_ok());
        for bad in ["", "/a", "A_/b", "a/", "a/b/c", "a b", "x;y"] {
            assert!(qualified_name(bad).is_err(), "{bad:?}");
        }
    }
}
