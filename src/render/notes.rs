//! The notes render prints once per deployment (beside the lint warnings): what a switch
//! turned off that other settings asked for (`redis.enabled: false`), so a user who turned the
//! in-cluster Redis off reads in one place what went with it. Pure: a merged configuration in,
//! text out.

use crate::resolve::merge::Merged;

/// The one note of `redis.enabled: false` (none when Redis is in the cluster): where it was
/// set, what it turned off, and the managed Redis the agent uses instead.
pub fn redis_off(merged: &Merged) -> Option<String> {
    let c = &merged.config;
    let off = c.redis_off_effects();
    if off.is_empty() {
        return None;
    }
    let at = merged
        .origin("redis.enabled")
        .map(|s| format!(" ({})", s.source.locate(s.pos)))
        .unwrap_or_default();
    let e = &c.redis.external;
    let uses = match (&e.host, &e.url) {
        (Some(h), _) => format!("the managed Redis at {h}:{}", e.port),
        (None, Some(u)) => format!(
            "the managed Redis whose URL is in the Secret `{}` (key `{}`)",
            u.name.as_deref().unwrap_or(&c.secret.name),
            u.key
        ),
        (None, None) => "`redis.external`".to_owned(),
    };
    let mut text = format!(
        "`redis.enabled: false`{at}: the agent uses {uses}; turned off with the in-cluster Redis:"
    );
    for what in off {
        text.push_str("\n  - ");
        text.push_str(what);
    }
    Some(text)
}

/// The one note of `createNamespace: false` (none when agentctl creates the namespace): what a
/// shared namespace changes in the render, so nothing of another team's is bound by it.
pub fn shared_namespace(merged: &Merged) -> Option<String> {
    let c = &merged.config;
    if c.create_namespace {
        return None;
    }
    let at = merged
        .origin("createNamespace")
        .map(|s| format!(" ({})", s.source.locate(s.pos)))
        .unwrap_or_default();
    let mut text = format!(
        "`createNamespace: false`{at}: namespace {} exists and may hold other teams' pods; only this deployment's pods are bound:",
        c.namespace
    );
    let names = crate::config::Names::of(c);
    if c.network_policy.enabled {
        text.push_str(&format!(
            "\n  - the default-deny NetworkPolicy `{}` selects only this deployment's pods (not `podSelector: {{}}`); other pods of the namespace keep their own policies",
            names.get(crate::render::DEFAULT_DENY_SHARED)
        ));
    }
    let (quota, limits) = (names.get("agent-quota"), names.get("agent-limits"));
    if c.quota.enabled.is_none() {
        text.push_str(&format!("\n  - no ResourceQuota `{quota}` nor LimitRange `{limits}` (namespace-wide, they would bind every pod of the namespace); `quota.enabled: true` renders them when the namespace is yours alone"));
    } else if c.quota_on() {
        text.push_str(&format!("\n  - `quota.enabled: true`: the ResourceQuota `{quota}` and LimitRange `{limits}` bind every pod of the namespace, other teams' included"));
    }
    if let Some(i) = names.instance() {
        text.push_str(&format!("\n  - `instance: {i}`: every object is named `{i}-...` and selects only the pods labelled `app.kubernetes.io/instance: {i}`"));
    }
    Some(text)
}
