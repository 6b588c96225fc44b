//! The notes render prints once per deployment (beside the lint warnings): what a switch
//! turned off that other settings asked for (`redis.enabled: false`), so a user who turned the
//! in-cluster Redis off reads in one place what went with it; and what a setting meant for
//! another platform does here (`runAsUser: null` outside OpenShift). Pure: a merged
//! configuration in, text out.

use crate::resolve::merge::Merged;

/// The one note of `redis.enabled: false` (none when Redis is in the cluster): where it was
/// set, what it turned off, and the managed Redis the agent uses instead.
pub fn redis_off(merged: &Merged) -> Option<String> {
    let c = &merged.config;
    let off = c.redis_off_effects();
    if off.is_empty() {
        return None;
    }
    let switch = if c.redis.none {
        "redis.none"
    } else {
        "redis.enabled"
    };
    let at = merged
        .origin(switch)
        .map(|s| format!(" ({})", s.source.locate(s.pos)))
        .unwrap_or_default();
    if c.redis.none {
        let mut text = format!(
            "`redis.none: true`{at}: the agent uses no Redis (no REDIS_* variable, no Redis egress rule); turned off with it:"
        );
        for what in off {
            text.push_str("\n  - ");
            text.push_str(what);
        }
        return Some(text);
    }
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

/// The one note of `agent.runAsUser: null` or `redis.runAsUser: null` where nothing says the
/// platform assigns a user (no `openshift.io/` key among the namespace's labels and
/// annotations): the containers then run as their image's `USER`, and `runAsNonRoot: true`
/// (which stays) makes the kubelet refuse to start one whose user is root or a name.
pub fn platform_user(merged: &Merged) -> Option<String> {
    let c = &merged.config;
    let marked = c
        .namespace_labels
        .keys()
        .chain(c.namespace_annotations.keys())
        .any(|k| k.contains("openshift.io/"));
    if marked {
        return None;
    }
    let mut unset = Vec::new();
    if c.agent.run_as_user.is_none() {
        unset.push(("agent.runAsUser", c.agent.image.as_str(), "the agent"));
    }
    if c.redis.enabled && c.redis.run_as_user.is_none() {
        unset.push(("redis.runAsUser", c.redis.image.as_str(), "Redis"));
    }
    if unset.is_empty() {
        return None;
    }
    let mut text = String::from(
        "`runAsUser: null` leaves the user to the platform, and nothing here marks one that assigns it (OpenShift's SCC; a namespace with an `openshift.io/` label or annotation): the containers run as their image's `USER`, and `runAsNonRoot: true` stays, so the kubelet refuses to start one whose user is root or a name (CreateContainerConfigError):",
    );
    for (path, image, who) in unset {
        let at = merged
            .origin(path)
            .map(|s| format!(" ({})", s.source.locate(s.pos)))
            .unwrap_or_default();
        let root = if official_redis(image) {
            " (the official Redis image's user is root: it will not start)"
        } else {
            ""
        };
        text.push_str(&format!(
            "\n  - `{path}: null`{at}: {who} runs as the `USER` of `{image}`{root}; set `{path}` to a UID (e.g. 10001) unless the platform assigns one"
        ));
    }
    Some(text)
}

/// Whether `image` is Docker's official Redis image, whose default user is root.
fn official_redis(image: &str) -> bool {
    let repo = image.split(['@', ':']).next().unwrap_or(image);
    matches!(
        repo,
        "redis" | "library/redis" | "docker.io/redis" | "docker.io/library/redis"
    )
}

#[cfg(test)]
mod tests {
    use super::official_redis;

    #[test]
    fn the_official_redis_image_is_known_by_its_repository() {
        assert!(official_redis("redis:7.2-alpine"));
        assert!(official_redis("docker.io/library/redis@sha256:00"));
        assert!(!official_redis("bitnami/redis:7.2"));
        assert!(!official_redis("registry.example.com/redis:7"));
    }
}
