//! `agent.dnsConfig`, as the API server validates a pod's `dnsConfig`: at most 3 name servers,
//! each an IP address; at most 32 search domains, each a DNS subdomain (a trailing dot
//! allowed); options named.

use super::Checker;
use crate::config::Config;

/// The agent pods' DNS settings.
pub(super) fn dns(k: &mut Checker, c: &Config) {
    let Some(d) = &c.agent.dns_config else {
        return;
    };
    if d.nameservers.len() > 3 {
        k.fail(
            "agent.dnsConfig.nameservers",
            format!(
                "{} name servers: a pod takes at most 3",
                d.nameservers.len()
            ),
            Some("keep three; the cluster DNS resolves the rest".into()),
        );
    }
    for (i, ns) in d.nameservers.iter().enumerate() {
        if ns.parse::<std::net::IpAddr>().is_err() {
            k.fail(
                &format!("agent.dnsConfig.nameservers.{i}"),
                format!("`{ns}` is not an IP address"),
                Some("a name server is an address, e.g. `10.0.0.10` (a name would need DNS to resolve it)".into()),
            );
        }
    }
    if d.searches.len() > 32 {
        k.fail(
            "agent.dnsConfig.searches",
            format!(
                "{} search domains: a pod takes at most 32",
                d.searches.len()
            ),
            None,
        );
    }
    for (i, s) in d.searches.iter().enumerate() {
        k.dns_subdomain(
            &format!("agent.dnsConfig.searches.{i}"),
            s.strip_suffix('.').unwrap_or(s),
        );
    }
    for name in d.options.keys() {
        if name.trim().is_empty() {
            k.fail(
                "agent.dnsConfig.options",
                "a resolver option has an empty name".into(),
                Some("e.g. `ndots: \"2\"`".into()),
            );
        }
    }
}
