//! The names and selectors of one deployment's objects, from `instance` ([`Config::instance`]):
//! the one place that says what every object agentctl renders is called, which labels select
//! its pods, and which value `app.kubernetes.io/instance` (the prune selector) carries. Unset,
//! every name is the built-in one (`agent-deployment`, `redis`, ...) and the instance label is
//! the namespace; set to `NAME`, every name is `NAME-` followed by the built-in one, every
//! selector also matches `app.kubernetes.io/instance: NAME`, and the pods carry that label, so
//! two deployments in one namespace share no name, no pod and no prune selector. Templates read
//! the names as `n["agent-deployment"]`; Rust code calls [`Names::of`]. Pure; no I/O.

use std::collections::BTreeMap;

use super::Config;

/// The label that tells one deployment's objects from another's (`kubectl apply --prune -l`).
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// Every built-in object name a template or Rust code asks [`Names`] for: the name of each
/// object agentctl renders when `instance` is unset (also the Role, RoleBinding and Redis
/// ServiceAccount, `agent` and `redis`, the Secret and agent ServiceAccount defaults, and the
/// restore runbook's reader pod).
pub const BASES: &[&str] = &[
    "agent",
    "agent-alerts",
    "agent-config",
    "agent-dashboard",
    "agent-data-pvc",
    "agent-default-deny",
    "agent-deployment",
    "agent-hpa",
    "agent-ingress",
    "agent-limits",
    "agent-metrics",
    "agent-network-policy",
    "agent-pdb",
    "agent-quota",
    "agent-route",
    "agent-scaledobject",
    "agent-secrets",
    "agent-service",
    "agent-vpa",
    "default-deny-all",
    "redis",
    "redis-backup",
    "redis-backup-network-policy",
    "redis-backup-reader",
    "redis-backup-pvc",
    "redis-metrics",
    "redis-network-policy",
    "redis-service",
];

/// The names whose length Kubernetes bounds below a DNS-1123 subdomain's 253, with the bound,
/// the reason, and whether the configuration renders the object: `(kind, base, limit, why, on)`.
type Limit = (
    &'static str,
    &'static str,
    usize,
    &'static str,
    fn(&Config) -> bool,
);

const LIMITS: &[Limit] = &[
    (
        "CronJob",
        "redis-backup",
        52,
        "the API server refuses a longer CronJob name: its Jobs add 11 characters to it",
        Config::backup_on,
    ),
    (
        "StatefulSet",
        "redis",
        52,
        "its controller-revision-hash label (the name and an 11-character suffix) must fit a 63-character label value",
        |c| c.redis.enabled,
    ),
    (
        "Service",
        "redis-service",
        63,
        "a Service name is an RFC 1035 label",
        |c| c.redis.enabled,
    ),
    (
        "Service",
        "agent-service",
        63,
        "a Service name is an RFC 1035 label",
        |_| true,
    ),
];

/// One deployment's object names and selectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// `NAME-` with `instance` set, empty otherwise.
    prefix: String,
    /// `instance`, when set.
    instance: Option<String>,
    /// The value of `app.kubernetes.io/instance` on every object: `instance`, or the namespace.
    label: String,
}

impl Names {
    /// The names of `cfg`'s objects.
    pub fn of(cfg: &Config) -> Self {
        match &cfg.instance {
            Some(i) => Names {
                prefix: format!("{i}-"),
                instance: Some(i.clone()),
                label: i.clone(),
            },
            None => Names {
                prefix: String::new(),
                instance: None,
                label: cfg.namespace.clone(),
            },
        }
    }

    /// The name of the object whose built-in name is `base` (one of [`BASES`]).
    pub fn get(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    /// The Service of the extra port `port` alone (`agent.ports.<port>.service: {...}`):
    /// `agent-service-<port>`.
    pub fn port_service(&self, port: &str) -> String {
        format!("{}-{port}", self.get("agent-service"))
    }

    /// `instance`, when set.
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// The value of `app.kubernetes.io/instance` on every object (what prune selects).
    pub fn instance_label(&self) -> &str {
        &self.label
    }

    /// The pod selector of the workload `app` (`agent`, `redis`, `redis-backup`): its
    /// `app.kubernetes.io/name`, and with `instance` set its `app.kubernetes.io/instance`.
    pub fn selector(&self, app: &str) -> BTreeMap<String, String> {
        let mut s = BTreeMap::from([("app.kubernetes.io/name".to_owned(), app.to_owned())]);
        if let Some(i) = &self.instance {
            s.insert(INSTANCE_LABEL.to_owned(), i.clone());
        }
        s
    }

    /// The labels a pod template carries besides the settings' own: the instance, when set
    /// (unset, pod templates carry no instance label, as before the setting existed).
    pub fn pod_labels(&self) -> BTreeMap<String, String> {
        self.instance
            .iter()
            .map(|i| (INSTANCE_LABEL.to_owned(), i.clone()))
            .collect()
    }

    /// The claim of the Redis pod `ordinal` (`data-redis-0`, `data-NAME-redis-0`).
    pub fn redis_claim(&self, ordinal: u32) -> String {
        format!("data-{}-{ordinal}", self.get("redis"))
    }

    /// An object's `Kind/name` from its built-in one (`Deployment/agent-deployment`).
    pub fn id(&self, id: &str) -> String {
        match id.split_once('/') {
            Some((kind, base)) => format!("{kind}/{}", self.get(base)),
            None => id.to_owned(),
        }
    }

    /// Every built-in name with this deployment's, for the templates (`n["agent-service"]`).
    pub fn table(&self) -> BTreeMap<&'static str, String> {
        BASES.iter().map(|b| (*b, self.get(b))).collect()
    }

    /// The first object of `cfg` whose name `instance` makes longer than Kubernetes allows:
    /// `(message, help)`, for a diagnostic at `instance`.
    pub fn too_long(&self, cfg: &Config) -> Option<(String, String)> {
        let i = self.instance.as_deref()?;
        LIMITS
            .iter()
            .filter(|(.., on)| on(cfg))
            .filter(|(_, base, limit, ..)| self.get(base).len() > *limit)
            .min_by_key(|(_, base, limit, ..)| limit - base.len())
            .map(|(kind, base, limit, why, _)| {
                let name = self.get(base);
                (
                    format!(
                        "`{i}` makes the {kind} name `{name}` {} characters long, over the {limit} Kubernetes allows: {why}",
                        name.len()
                    ),
                    format!(
                        "use an instance name of at most {} characters",
                        limit - base.len() - 1
                    ),
                )
            })
    }
}

/// With `instance` set, the name settings left at their built-in default (`secret.name:
/// agent-secrets`, `agent.serviceAccount.name: agent`) get the prefix too; `defaulted(path)`
/// says whether a setting has its built-in default. A name a layer wrote is used as written
/// (two instances may share one Secret on purpose).
pub fn follow_defaults(cfg: &mut Config, defaulted: impl Fn(&str) -> bool) {
    let Some(i) = cfg.instance.clone() else {
        return;
    };
    if defaulted("secret.name") {
        cfg.secret.name = format!("{i}-{}", cfg.secret.name);
    }
    if defaulted("agent.serviceAccount.name") {
        cfg.agent.service_account.name = format!("{i}-{}", cfg.agent.service_account.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(instance: Option<&str>) -> Config {
        Config {
            instance: instance.map(str::to_owned),
            ..Config::default()
        }
    }

    #[test]
    fn unset_is_the_built_in_names_and_the_namespace() {
        let n = Names::of(&with(None));
        assert_eq!(n.get("agent-deployment"), "agent-deployment");
        assert_eq!(n.redis_claim(0), "data-redis-0");
        assert_eq!(n.instance_label(), "production-agents");
        assert_eq!(n.selector("agent").len(), 1);
        assert!(n.pod_labels().is_empty());
        assert!(n.too_long(&with(None)).is_none());
    }

    #[test]
    fn set_prefixes_every_name_and_selects_the_instance() {
        let n = Names::of(&with(Some("support")));
        assert_eq!(n.get("redis-service"), "support-redis-service");
        assert_eq!(n.redis_claim(2), "data-support-redis-2");
        assert_eq!(n.instance_label(), "support");
        assert_eq!(
            n.selector("redis").get(INSTANCE_LABEL).map(String::as_str),
            Some("support")
        );
        assert_eq!(n.table().len(), BASES.len());
    }

    #[test]
    fn a_name_over_its_kind_limit_is_told_with_the_longest_instance_that_fits() {
        let long = "a".repeat(40);
        let cfg = with(Some(&long));
        let (message, help) = Names::of(&cfg).too_long(&cfg).expect("too long");
        assert!(message.contains("CronJob"), "{message}");
        assert!(message.contains("52"), "{message}");
        assert!(help.contains("at most 39"), "{help}");
        let fits = with(Some(&"a".repeat(39)));
        assert!(Names::of(&fits).too_long(&fits).is_none());
    }

    #[test]
    fn defaulted_names_follow_and_written_ones_stay() {
        let mut cfg = with(Some("b"));
        follow_defaults(&mut cfg, |p| p == "secret.name");
        assert_eq!(cfg.secret.name, "b-agent-secrets");
        assert_eq!(cfg.agent.service_account.name, "agent");
    }
}
