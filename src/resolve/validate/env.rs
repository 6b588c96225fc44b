//! The rules of environment variables ([`crate::config::EnvValue`], `agent.env`,
//! `agent.envFrom`, a sidecar's or init container's `env`): names, the variables agentctl sets
//! itself, exactly one source each, no literal credential. Part of [`super`]'s one pass: every
//! problem is collected and located.

use std::collections::BTreeMap;

use super::{Checker, is_sensitive, looks_like_credential};
use crate::config::{Config, EnvValue};

/// Environment variables agentctl sets on the agent container, and where to change them.
pub(super) fn reserved_env(c: &Config) -> Vec<(&'static str, &'static str)> {
    let mut r = vec![
        ("LOG_LEVEL", "agent.config.logLevel"),
        ("ENVIRONMENT", "agent.config.environment"),
        ("MAX_RETRIES", "agent.config.maxRetries"),
        (
            "CIRCUIT_BREAKER_THRESHOLD",
            "agent.config.circuitBreakerThreshold",
        ),
        (
            "TOKEN_BUDGET_PER_REQUEST",
            "agent.config.tokenBudgetPerRequest",
        ),
    ];
    // With `redis.none: true` agentctl sets no Redis variable: they are the user's.
    if c.uses_redis() {
        r.extend([
            ("REDIS_HOST", "redis.external.host"),
            ("REDIS_PORT", "redis.port or redis.external.port"),
            ("REDIS_URL", "redis.external.url"),
            ("REDIS_TLS", "redis.external.tls"),
            ("REDIS_PASSWORD", "redis.external.password"),
        ]);
    }
    if c.secret.api_key_key.is_some() {
        r.push(("ANTHROPIC_API_KEY", "secret.apiKeyKey"));
    }
    r
}

/// How messages name the keys a Secret or ConfigMap reference points at.
pub(super) const KEY: &str = "Secret or ConfigMap key";

impl Checker<'_> {
    /// An environment variable name: its grammar, then whether agentctl sets it itself.
    /// Returns whether it is acceptable.
    pub(super) fn env_name(&mut self, path: &str, key: &str, c: &Config) -> bool {
        self.env_var_name(path, key, c, true)
    }

    /// An environment variable name; `agent`: of the agent container, where agentctl sets
    /// some itself.
    fn env_var_name(&mut self, path: &str, key: &str, c: &Config, agent: bool) -> bool {
        let valid = key
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
            && key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !valid {
            self.fail_key(
                path,
                format!("`{key}` is not a valid environment variable name"),
                Some("use letters, digits and '_', not starting with a digit".into()),
            );
            return false;
        }
        if let Some((_, field)) = reserved_env(c).iter().find(|(r, _)| agent && *r == key) {
            self.fail_key(
                path,
                format!("`{key}` is set by agentctl itself"),
                Some(format!("use `{field}` instead")),
            );
            return false;
        }
        true
    }
}

/// `agent.env`: names, exactly one source each, no literal credentials.
pub(super) fn env(k: &mut Checker, c: &Config) {
    k.env_map("agent.env", &c.agent.env, c, true);
}

impl Checker<'_> {
    /// A map of environment variables in the forms of `agent.env` at `base` (the agent's, or a
    /// sidecar's or init container's, `agent` telling which): names, exactly one source each,
    /// no literal credentials (the credential policy of `agent.env`).
    pub(super) fn env_map(
        &mut self,
        base: &str,
        map: &BTreeMap<String, EnvValue>,
        c: &Config,
        agent: bool,
    ) {
        let k = self;
        for (name, value) in map {
            let path = format!("{base}.{name}");
            if !k.env_var_name(&path, name, c, agent) {
                continue;
            }
            k.env_value(&path, name, value, c, agent);
        }
    }

    fn env_value(&mut self, path: &str, name: &str, value: &EnvValue, c: &Config, agent: bool) {
        let k = self;
        let path = path.to_owned();
        if agent && c.agent.config.extra.contains_key(name) {
            k.fail_key(
                &path,
                format!("`{name}` is also a ConfigMap setting (`agent.config`)"),
                Some("set it in one place: `agent.config.extra` for a plain setting, `agent.env` for a reference".into()),
            );
        }
        match value {
            EnvValue::Value(v) if !is_sensitive(name) && looks_like_credential(v) => k.fail(
                &path,
                format!("the value of `{name}` looks like a credential (a token, a key, a password in a URL); a literal value would sit in the manifest (value not shown)"),
                Some(format!(
                    "put it in the Secret `{}` and write `{name}: {{secretKey: <key>}}`",
                    c.secret.name
                )),
            ),
            EnvValue::Value(_) if is_sensitive(name) => k.fail(
                &path,
                format!("`{name}` looks like a credential; a literal value would sit in the manifest (value not shown)"),
                Some(format!(
                    "put it in the Secret `{}` and write `{name}: {{secretKey: <key>}}`",
                    c.secret.name
                )),
            ),
            EnvValue::Value(_) => {}
            EnvValue::From(src) => {
                let sources = [
                    src.secret_key.is_some(),
                    src.secret.is_some(),
                    src.config_map.is_some(),
                ]
                .iter()
                .filter(|b| **b)
                .count();
                if sources != 1 {
                    k.fail(
                        &path,
                        format!("`{name}` needs exactly one source, found {sources}"),
                        Some("write one of `{secretKey: KEY}`, `{secret: NAME, key: KEY}`, `{configMap: NAME, key: KEY}` (a later layer that changes the source sets the old one to `null`)".into()),
                    );
                    return;
                }
                if let Some(key) = &src.secret_key {
                    k.secret_key_name(&format!("{path}.secretKey"), key, KEY);
                    if src.key.is_some() {
                        k.fail(
                            &format!("{path}.key"),
                            "`key` goes with `secret` or `configMap`; `secretKey` already names the key".into(),
                            Some("remove `key`".into()),
                        );
                    }
                } else {
                    let (field, name_value) = match (&src.secret, &src.config_map) {
                        (Some(s), _) => ("secret", s),
                        (_, Some(m)) => ("configMap", m),
                        _ => return,
                    };
                    k.dns_subdomain(&format!("{path}.{field}"), name_value);
                    match &src.key {
                        Some(key) => k.secret_key_name(&format!("{path}.key"), key, KEY),
                        None => k.fail(
                            &format!("{path}.{field}"),
                            format!("`{name}` names a {field} but not the key to read"),
                            Some(format!("add `key: <key in {name_value}>`")),
                        ),
                    }
                }
            }
        }
    }
}

/// `agent.envFrom`: exactly one of a Secret and a ConfigMap, a valid prefix.
pub(super) fn env_from(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    for (i, e) in a.env_from.iter().enumerate() {
        let path = format!("agent.envFrom.{i}");
        match (&e.secret, &e.config_map) {
            (Some(n), None) => k.dns_subdomain(&format!("{path}.secret"), n),
            (None, Some(n)) => k.dns_subdomain(&format!("{path}.configMap"), n),
            _ => k.fail(
                &path,
                "an envFrom entry needs exactly one of `secret` and `configMap`".into(),
                Some("write `{secret: NAME}` or `{configMap: NAME}`".into()),
            ),
        }
        if let Some(p) = &e.prefix
            && !(p
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
                && p.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'))
        {
            k.fail(
                &format!("{path}.prefix"),
                format!("`{p}` is not a valid environment variable prefix"),
                Some("use letters, digits and '_', e.g. `DB_`".into()),
            );
        }
    }
}
