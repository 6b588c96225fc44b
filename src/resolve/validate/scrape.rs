//! The TLS the agent ServiceMonitor scrapes over (`monitoring.serviceMonitor.tlsConfig`):
//! only with `scheme: https`, each file from exactly one Secret or ConfigMap key, a client
//! certificate with its key, and `insecureSkipVerify` never beside a CA or a server name it
//! would make Prometheus ignore.

use super::Checker;
use crate::config::{Config, KeyRef, Scheme, TlsRef};

/// The rule groups of this file, run after [`super::rules::RULES`].
pub(super) const RULES: &[fn(&mut Checker, &Config)] = &[tls];

fn tls(k: &mut Checker, c: &Config) {
    let sm = &c.monitoring.service_monitor;
    let Some(t) = &sm.tls_config else {
        return;
    };
    let base = "monitoring.serviceMonitor.tlsConfig";
    if sm.scheme != Scheme::Https {
        k.cross(
            base,
            "monitoring.serviceMonitor.scheme",
            "`tlsConfig` is for a scrape over TLS, and the scheme is `http`: Prometheus would ignore it".into(),
            "set `monitoring.serviceMonitor.scheme: https`, or remove `tlsConfig`".into(),
        );
    }
    for (field, r) in [("ca", &t.ca), ("cert", &t.cert)] {
        if let Some(r) = r {
            file_ref(k, &format!("{base}.{field}"), r);
        }
    }
    if let Some(key) = &t.key_secret {
        key_ref(k, &format!("{base}.keySecret"), key, "Secret");
    }
    match (&t.cert, &t.key_secret) {
        (Some(_), None) => k.fail(
            &format!("{base}.cert"),
            "a client certificate without its key (`keySecret`): Prometheus cannot present it"
                .into(),
            Some("add `keySecret: {name: SECRET, key: tls.key}`, or remove `cert`".into()),
        ),
        (None, Some(_)) => k.fail(
            &format!("{base}.keySecret"),
            "a client key without its certificate (`cert`)".into(),
            Some(
                "add `cert: {secret: {name: SECRET, key: tls.crt}}`, or remove `keySecret`".into(),
            ),
        ),
        _ => {}
    }
    if t.insecure_skip_verify {
        for (field, set) in [
            ("ca", t.ca.is_some()),
            ("serverName", t.server_name.is_some()),
        ] {
            if set {
                k.fail(
                    &format!("{base}.insecureSkipVerify"),
                    format!("`insecureSkipVerify: true` skips the check that `{field}` is for: Prometheus would ignore `{field}` and trust any certificate"),
                    Some(format!("remove `insecureSkipVerify` (keep `{field}`), or remove `{field}` if no check is meant")),
                );
            }
        }
    }
    if let Some(name) = &t.server_name {
        k.hostname(&format!("{base}.serverName"), name);
    }
}

/// A file from a Secret or a ConfigMap: exactly one, a valid name and key.
fn file_ref(k: &mut Checker, path: &str, r: &TlsRef) {
    match (&r.secret, &r.config_map) {
        (Some(s), None) => key_ref(k, &format!("{path}.secret"), s, "Secret"),
        (None, Some(m)) => key_ref(k, &format!("{path}.configMap"), m, "ConfigMap"),
        (s, _) => k.fail(
            path,
            format!(
                "`{}` needs exactly one of `secret` and `configMap`, found {}",
                path.rsplit('.').next().unwrap_or(path),
                if s.is_some() { "both" } else { "neither" }
            ),
            Some("e.g. `{secret: {name: agent-metrics-tls, key: ca.crt}}`".into()),
        ),
    }
}

fn key_ref(k: &mut Checker, path: &str, r: &KeyRef, what: &str) {
    if r.name.is_empty() {
        k.fail(
            path,
            format!("the {what} reference has no `name`"),
            Some(format!(
                "add `name: NAME` (a {what} in the agent's namespace)"
            )),
        );
    } else {
        k.dns_subdomain(&format!("{path}.name"), &r.name);
    }
    if r.key.is_empty() {
        k.fail(
            path,
            format!("the {what} reference has no `key`"),
            Some("add `key: KEY`, e.g. `key: ca.crt`".into()),
        );
    } else {
        k.secret_key_name(&format!("{path}.key"), &r.key, &format!("{what} key"));
    }
}
