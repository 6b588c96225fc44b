//! Render: the one configured template environment, and the files it produces.
//!
//! One minijinja template per output file, compiled into the binary (a `--templates DIR`
//! option existed, undocumented; patches replaced it: they change the output with every check
//! kept, where a private template copy silently drifts from the settings). The environment is strict: an undefined variable is an error, not an
//! empty string. Output is auto-escaped as JSON, so every `{{ value }}` becomes a quoted scalar
//! (or a flow map/list) and no value can inject YAML keys, whatever characters it holds. The
//! context is the effective configuration (`cfg`) plus the few values derived from it here:
//! labels, selectors, the ConfigMap data and its checksum, and the policy-exception
//! annotations. Templates decide nothing about which files exist; their rows in the table of
//! objects ([`objects`]: template, condition, kinds, apply order) do, through [`files`].
//!
//! Owns the one minijinja environment, the table of what it renders ([`objects`]), the round
//! trip through the Kubernetes types ([`k8s_check`]) and the canonical [`bundle`]. Must not
//! write files, read configuration sources or apply rules about settings.

pub mod around;
pub mod builtin;
pub mod bundle;
pub mod claims;
pub mod crds;
pub mod custom;
pub mod exposure;
pub mod fit;
pub mod flux;
pub mod httproute;
pub mod k8s_check;
pub mod keda;
pub mod kept;
pub mod monitoring;
pub mod names;
pub mod notes;
pub mod objects;
pub mod parts;
pub mod patches;
pub mod prereqs;
pub mod provenance;
pub mod recount;
pub mod restore;
pub mod size;
pub mod stored;
pub mod structure;
pub mod typed;
pub mod values;
pub mod version;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Value as J, json};
use sha2::{Digest, Sha256};

use crate::config::{Config, Names, quota};
use crate::render::objects::OBJECTS;

/// Labels every object carries (also set by `kustomization.yaml`).
const PART_OF: &str = "agent-system";

/// The default-deny NetworkPolicy's name in an existing namespace (`createNamespace: false`),
/// where it selects only this deployment's pods; `default-deny-all` (every pod) in a namespace
/// agentctl creates. A platform's own `default-deny-all` there is never overwritten. With
/// `instance` set, both take its prefix ([`Names`]).
pub const DEFAULT_DENY_SHARED: &str = "agent-default-deny";

/// The template filter `present`: a map without its unset (`null`) entries, at every depth, as
/// Kubernetes takes it (`resources.limits.cpu: null` is no CPU limit, not a null quantity).
fn present(v: minijinja::Value) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(parts::present_json(&v)))
}

/// The configured template environment. Build it once per process and reuse it.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// The environment with the built-in templates.
    pub fn new() -> Result<Self> {
        Self::with_templates(&[])
    }

    /// The environment with some templates replaced (`(file name, text)`): the seam tests use
    /// to show that a template bug (a misspelled field, a wrong type, an undefined variable)
    /// is caught before anything is written. Not reachable from the command line.
    pub fn with_templates(replaced: &[(&str, &str)]) -> Result<Self> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Json);
        env.add_filter("present", present);
        for (name, text) in replaced {
            env.add_template_owned((*name).to_owned(), (*text).to_owned())
                .with_context(|| format!("template {name} does not compile"))?;
        }
        // The built-in templates are compiled when a render first needs them (once per
        // process, then kept): a render compiles only its own files' templates (compiling all
        // of them was 7% of a whole-process render). `tests`: every one compiles.
        env.set_loader(|name| {
            Ok(OBJECTS
                .iter()
                .find(|row| row.file == name)
                .map(|row| row.template.to_owned()))
        });
        Ok(Renderer { env })
    }

    /// Renders every file the configuration calls for, in output order.
    pub fn render(&self, cfg: &Config) -> Result<Vec<(String, String)>> {
        let names = files(cfg);
        let ctx = minijinja::Value::from(minijinja::value::Serde(context(cfg, &names)?));
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let text = self
                .env
                .get_template(name)
                .and_then(|t| t.render(ctx.clone()))
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
            out.push((name.to_owned(), text));
        }
        Ok(out)
    }
}

/// The output files for a configuration, in the order they are applied: the rows of the table
/// of objects ([`objects::OBJECTS`]) whose condition holds; a disabled feature's file is absent
/// (and absent from `kustomization.yaml`).
pub fn files(cfg: &Config) -> Vec<&'static str> {
    OBJECTS
        .iter()
        .filter(|row| (row.when)(cfg))
        .map(|row| row.file)
        .collect()
}

/// The Pod Security labels of the namespace (`podSecurity` for enforce, audit and warn, at the
/// latest version): on the rendered Namespace, or, with `createNamespace: false`, what the
/// existing namespace must carry (a prerequisite render prints and `doctor` checks).
pub fn pod_security_labels(cfg: &Config) -> BTreeMap<String, String> {
    let level = serde_json::to_value(cfg.pod_security).unwrap_or(J::Null);
    let level = level.as_str().unwrap_or("restricted");
    let mut out: BTreeMap<String, String> = ["enforce", "audit", "warn"]
        .iter()
        .map(|mode| {
            (
                format!("pod-security.kubernetes.io/{mode}"),
                level.to_owned(),
            )
        })
        .collect();
    out.insert(
        "pod-security.kubernetes.io/enforce-version".into(),
        "latest".into(),
    );
    out
}

/// The ConfigMap data: the typed settings under their environment names, then the extras.
pub fn config_data(cfg: &Config) -> BTreeMap<String, String> {
    let s = &cfg.agent.config;
    let level = serde_json::to_value(s.log_level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut data = BTreeMap::from([
        ("LOG_LEVEL".to_owned(), level),
        ("ENVIRONMENT".to_owned(), s.environment.clone()),
        ("MAX_RETRIES".to_owned(), s.max_retries.to_string()),
        (
            "CIRCUIT_BREAKER_THRESHOLD".to_owned(),
            s.circuit_breaker_threshold.to_string(),
        ),
        (
            "TOKEN_BUDGET_PER_REQUEST".to_owned(),
            s.token_budget_per_request.to_string(),
        ),
    ]);
    data.extend(s.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    data
}

/// Checkov exceptions, each with its reason; they are listed in the README too.
/// `uncapped`: a container of the pod has no CPU limit on purpose (`limits.cpu: null`).
fn skips(image: &str, workload: &str, uncapped: bool) -> BTreeMap<String, String> {
    // Kept short: kubectl kustomize folds scalars longer than 80 columns.
    let mut reasons = vec![format!(
        "CKV_K8S_35={workload} reads the Secret as env vars"
    )];
    if !parts::is_digest(image) {
        reasons.push("CKV_K8S_43=pinned by tag; pin digests with -f".to_owned());
    }
    if uncapped {
        reasons.push("CKV_K8S_11=no CPU limit on purpose, limits.cpu null".to_owned());
    }
    reasons
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("checkov.io/skip{}", i + 1), r))
        .collect()
}

// Long on purpose: the template context is one JSON literal, one line per variable the templates
// read.
/// The LimitRange's `default` (limits): `quota.limitRange.default`, without its CPU when a
/// container the render writes has no CPU limit on purpose (`quota::cpu_unlimited`): the
/// LimitRange would give it this one.
fn limit_range_default(cfg: &Config) -> J {
    let d = &cfg.quota.limit_range.default;
    let mut j = json!({"memory": d.memory});
    if quota::cpu_unlimited(cfg).is_empty() {
        j["cpu"] = json!(d.cpu);
    }
    if let Some(e) = &d.ephemeral_storage {
        j["ephemeral-storage"] = json!(e);
    }
    j
}

fn context(cfg: &Config, names: &[&str]) -> Result<J> {
    let mut common = BTreeMap::from([
        ("app.kubernetes.io/part-of".to_owned(), PART_OF.to_owned()),
        (
            "app.kubernetes.io/managed-by".to_owned(),
            "agentctl".to_owned(),
        ),
    ]);
    // The labels no setting changes: what an immutable field (a StatefulSet's
    // volumeClaimTemplates) may carry, so no later label change is rejected by the API server.
    let nm = Names::of(cfg);
    let mut fixed = common.clone();
    // Pod templates: the settings' labels, not the namespace's instance label (below), so
    // adding that label restarted no pod, and a label change rolls pods but never touches an
    // immutable field. With `instance` set the pods carry it: the selectors match it.
    let mut pod = common.clone();
    pod.extend(nm.pod_labels());
    fixed.extend(nm.pod_labels());
    pod.extend(cfg.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    // The deployment's identity in the cluster: one namespace, one instance (`instance`, or
    // the namespace). `kubectl apply --prune -l app.kubernetes.io/instance=NAME` selects this
    // deployment's objects and no other's (agentctl's other labels are the same everywhere).
    common.insert(
        crate::config::instance::INSTANCE_LABEL.into(),
        nm.instance_label().to_owned(),
    );
    common.extend(cfg.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    let named = |base: &BTreeMap<String, String>, name: &str, component: &str| {
        let mut l = base.clone();
        l.insert("app.kubernetes.io/name".into(), name.into());
        l.insert("app.kubernetes.io/component".into(), component.into());
        l
    };
    let with = |name: &str, component: &str| named(&common, name, component);
    let agent_labels = with("agent", "agent");
    let redis_labels = with("redis", "cache");
    let mut ns_labels = common.clone();
    ns_labels.extend(cfg.namespace_labels.clone());
    ns_labels.insert("kubernetes.io/metadata.name".into(), cfg.namespace.clone());
    ns_labels.extend(pod_security_labels(cfg));
    let mut sm_labels = agent_labels.clone();
    sm_labels.extend(cfg.monitoring.service_monitor.labels.clone());
    let mut redis_sm_labels = redis_labels.clone();
    redis_sm_labels.extend(cfg.monitoring.service_monitor.labels.clone());
    let m = &cfg.monitoring;
    let exporter = &m.redis_exporter;
    // Redis' Checkov exceptions cover the exporter sidecar too: its image is in the same pod.
    let redis_images = if cfg.redis_exporter_on() && !parts::is_digest(&exporter.image) {
        exporter.image.as_str()
    } else {
        cfg.redis.image.as_str()
    };
    let monitoring = (m.alerts.enabled || m.dashboard.enabled).then(|| {
        monitoring::Spec::from_config(
            cfg,
            &nm,
            cfg.backup_on().then_some(cfg.backup.schedule.as_str()),
        )
    });
    let mut rule_labels = agent_labels.clone();
    rule_labels.extend(m.alerts.labels.clone());
    let mut dashboard_labels = agent_labels.clone();
    dashboard_labels.insert(m.dashboard.label.clone(), m.dashboard.label_value.clone());
    let dashboard_data = match (&monitoring, m.dashboard.enabled) {
        (Some(spec), true) => json!({
            // Pretty-printed, so the value is multi-line: a `|` block that no tool folds.
            "agent-dashboard.json": serde_json::to_string_pretty(&spec.dashboard()).unwrap_or_default() + "\n",
        }),
        _ => J::Null,
    };

    let data = config_data(cfg);
    let mut hasher = Sha256::new();
    for (k, v) in &data {
        hasher.update(k.as_bytes());
        hasher.update([0]);
        hasher.update(v.as_bytes());
        hasher.update([0]);
    }
    let checksum: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let append = if cfg.redis.append_only { "yes" } else { "no" };
    let mut memory = String::new();
    if let Some(bytes) = cfg.redis.maxmemory.as_deref().and_then(|m| {
        crate::resolve::validate::parse_quantity(m, crate::resolve::validate::Kind::Memory).ok()
    }) {
        // In bytes: Redis' own units (`mb`, `gb`) are not Kubernetes' (`Mi`, `G`).
        memory.push_str(&format!(" --maxmemory {}", bytes.as_f64().ceil() as u64));
    }
    if let Some(p) = cfg.redis.maxmemory_policy {
        memory.push_str(&format!(" --maxmemory-policy {}", p.as_str()));
    }
    let redis_script = format!(
        "set -eu\numask 077\nprintf 'requirepass %s\\n' \"$REDIS_PASSWORD\" > /tmp/redis.conf\nexec redis-server /tmp/redis.conf --port {} --dir /data --appendonly {append}{memory}\n",
        cfg.redis.port
    );
    let (workloads, volumes, set) = quota::inputs(cfg);
    let quota_hard = match quota::fit(&workloads, &volumes, &set) {
        Ok(hard) => hard,
        // validate refuses these first, with their location; this is a second line of defence.
        Err(short) => anyhow::bail!(
            "quota.{} {} cannot hold this deployment (it needs {})",
            short[0].resource,
            short[0].set,
            short[0].need
        ),
    };
    let keda = &cfg.keda;
    let keda_prometheus_server = keda.prometheus.server_address.clone().unwrap_or_else(|| {
        format!(
            "http://prometheus-operated.{}.svc:9090",
            cfg.monitoring.prometheus_namespace
        )
    });
    let keda_prometheus_query =
        keda.prometheus
            .query
            .clone()
            .unwrap_or_else(|| match nm.instance() {
                None => format!(
                    "sum(rate(http_requests_total{{namespace=\"{}\"}}[2m]))",
                    cfg.namespace
                ),
                // One instance's requests: its Service is its targets' job.
                Some(_) => format!(
                    "sum(rate(http_requests_total{{namespace=\"{}\",job=\"{}\"}}[2m]))",
                    cfg.namespace,
                    nm.get("agent-service")
                ),
            });
    let fit = crate::render::fit::context(
        cfg,
        &nm,
        &agent_labels,
        &named(&pod, "agent", "agent"),
        &checksum,
    );
    // The settings of the containers without a CPU limit, by the workload that runs them
    // (`agent.sidecars.x.resources.limits.cpu` is the agent pod's).
    let unlimited = quota::cpu_unlimited(cfg);
    let uncapped = |roots: &[&str]| {
        unlimited.iter().any(|p| {
            roots
                .iter()
                .any(|r| p.strip_prefix(r).is_some_and(|rest| rest.starts_with('.')))
        })
    };
    let mut ctx = json!({
        "cfg": cfg,
        "backup_labels": with("redis-backup", "backup"),
        "backup_selector": nm.selector("redis-backup"),
        "backup_script": restore::BACKUP_SCRIPT,
        "backup_checkov_skips": skips(&cfg.redis.image, "the backup job", uncapped(&["backup"])),
        "quota_hard": quota_hard,
        "keda_fallback_replicas": keda.fallback.replicas.unwrap_or(cfg.agent.replicas.min),
        "keda_prometheus_server": keda_prometheus_server,
        "keda_prometheus_query": keda_prometheus_query,
        "common_labels": common,
        "namespace_labels": ns_labels,
        "agent_labels": agent_labels,
        "redis_labels": redis_labels,
        "redis_claim_labels": named(&fixed, "redis", "cache"),
        "redis_pod_labels": named(&pod, "redis", "cache"),
        "backup_pod_labels": named(&pod, "redis-backup", "backup"),
        "servicemonitor_labels": sm_labels,
        "agent_selector": nm.selector("agent"),
        // createNamespace: false: the default deny selects the labels every pod agentctl
        // renders carries, not every pod of a namespace shared with others.
        "default_deny": default_deny(cfg, &nm),
        "redis_selector": nm.selector("redis"),
        "n": nm.table(),
        "config_data": data,
        "config_checksum": checksum,
        "checkov_skips": skips(&cfg.agent.image, "the agent", uncapped(&["agent"])),
        "redis_checkov_skips": skips(redis_images, "Redis", uncapped(&["redis", "monitoring.redisExporter"])),
        "redis_servicemonitor_labels": redis_sm_labels,
        "redis_exporter_pull_policy": parts::pull_policy(&exporter.image, exporter.image_pull_policy),
        "redis_exporter_addr": format!("redis://localhost:{}", cfg.redis.port),
        "redis_exporter_port": crate::config::REDIS_EXPORTER_PORT,
        "redis_exporter_on": cfg.redis_exporter_on(),
        "redis_tolerations": cfg.redis.tolerations.iter().map(|t| fit::strip_nulls(serde_json::to_value(t).unwrap_or(J::Null))).collect::<Vec<_>>(),
        "backup_on": cfg.backup_on(),
        "prometheusrule_labels": rule_labels,
        "alert_groups": monitoring.as_ref().filter(|_| m.alerts.enabled).map(monitoring::Spec::rule_groups),
        "dashboard_labels": dashboard_labels,
        "dashboard_annotations": {m.dashboard.folder_annotation.clone(): m.dashboard.folder.clone()},
        "dashboard_data": dashboard_data,
        "redis_script": redis_script,
        "agent_pull_policy": parts::pull_policy(&cfg.agent.image, cfg.agent.image_pull_policy),
        "redis_pull_policy": parts::pull_policy(&cfg.redis.image, cfg.redis.image_pull_policy),
        "resources": names.iter().filter(|n| **n != objects::KUSTOMIZATION).collect::<Vec<_>>(),
    });
    if let J::Object(m) = &mut ctx {
        m.extend(fit);
        m.extend(around::context(cfg, &nm));
        m.extend(exposure::context(cfg, &nm));
        m.insert("limit_range_default".into(), limit_range_default(cfg));
    }
    Ok(ctx)
}

/// The default deny: every pod of a namespace agentctl creates (`default-deny-all`); in an
/// existing one (`createNamespace: false`) the pods of this deployment only, by the labels
/// every pod agentctl renders carries, and the instance's label when `instance` is set.
fn default_deny(cfg: &Config, nm: &Names) -> J {
    if cfg.create_namespace {
        return json!({"name": nm.get("default-deny-all"), "selector": {}});
    }
    let mut labels = BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_owned(),
            "agentctl".to_owned(),
        ),
        ("app.kubernetes.io/part-of".to_owned(), PART_OF.to_owned()),
    ]);
    labels.extend(nm.pod_labels());
    json!({"name": nm.get(DEFAULT_DENY_SHARED), "selector": {"matchLabels": labels}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_compiles() {
        let renderer = Renderer::new().expect("environment");
        for row in OBJECTS {
            if let Err(e) = renderer.env.get_template(row.file) {
                panic!("built-in template {} does not compile: {e}", row.file);
            }
        }
        let broken = Renderer::with_templates(&[("pdb.yaml", "{% if %}")]);
        assert!(broken.is_err(), "a replaced template is compiled at once");
    }
}
