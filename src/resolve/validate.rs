//! Validate: the rules a schema cannot express, checked on the merged configuration.
//!
//! Value grammars (Kubernetes quantities, durations, DNS-1123 names, label values, image
//! references, CIDRs, percentages) and cross-field rules (min ≤ max replicas, requests ≤ limits,
//! probe timeouts below periods, a disruption budget that leaves pods running, storage that can
//! be shared by the replicas, ...). Every problem is collected; each names the field, and the
//! layer and `line:column` that set it, and cross-field problems point at both places. Values
//! of fields that may hold credentials are never echoed.

mod fit;

use crate::config::credentials::is_sensitive;
use crate::config::names::{dns1123_label, suggest_name};
use crate::config::{AccessMode, AntiAffinity, Compute, IntOrPercent, Probe, Storage};
use crate::diag::{Diagnostic, Error};
use crate::resolve::merge::Merged;

struct Checker<'a> {
    merged: &'a Merged,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn fail(&mut self, path: &str, message: String, help: Option<String>) {
        let d = self.merged.locate(Diagnostic::new(message), path);
        self.push(d, help);
    }

    /// Like [`Checker::fail`], for a problem with the key of `path` (a user-chosen name): the
    /// caret goes on the key.
    fn fail_key(&mut self, path: &str, message: String, help: Option<String>) {
        let d = self.merged.locate_key(Diagnostic::new(message), path);
        self.push(d, help);
    }

    fn push(&mut self, d: Diagnostic, help: Option<String>) {
        self.diags.push(match help {
            Some(h) => d.help(h),
            None => d,
        });
    }

    /// A rule between two settings: the diagnostic points at `path` and relates `other`, or
    /// the other way round when only `other` was set by the user (the caret belongs on what
    /// the user wrote; a built-in default or profile is named as the second place).
    fn cross(&mut self, path: &str, other: &str, message: String, help: String) {
        let is_builtin = |p: &str| {
            self.merged.origin(p).is_none_or(|s| {
                matches!(
                    s.source.origin,
                    crate::diag::Origin::Default | crate::diag::Origin::Profile(_)
                )
            })
        };
        let (first, second) = if is_builtin(path) && !is_builtin(other) {
            (other, path)
        } else {
            (path, other)
        };
        let d = self.merged.locate(Diagnostic::new(message), first);
        let d = self.merged.relate(d, second).help(help);
        self.diags.push(d);
    }

    fn dns_label(&mut self, path: &str, value: &str) {
        if let Err(why) = dns1123_label(value) {
            self.fail(
                path,
                format!("`{value}` is not a valid DNS-1123 label: {why}"),
                Some(format!(
                    "use lowercase letters, digits and '-', e.g. `{}`",
                    suggest_name(value, false)
                )),
            );
        }
    }

    fn dns_subdomain(&mut self, path: &str, value: &str) {
        let ok = !value.is_empty()
            && value.len() <= 253
            && value.split('.').all(|l| dns1123_label(l).is_ok());
        if !ok {
            self.fail(
                path,
                format!("`{value}` is not a valid DNS-1123 subdomain name"),
                Some(format!(
                    "use lowercase letters, digits, '-' and '.', e.g. `{}`",
                    suggest_name(value, true)
                )),
            );
        }
    }

    fn quantity(&mut self, path: &str, value: &str, kind: Kind) -> Option<f64> {
        match parse_quantity(value, kind) {
            Ok(v) => Some(v),
            Err(why) => {
                let example = match kind {
                    Kind::Cpu => "`500m`, `2` or `.5`",
                    Kind::Memory => "`512Mi`, `2Gi` or `1G`",
                    Kind::Plain => "`100` or `1500m`",
                };
                self.fail(
                    path,
                    format!("`{value}` is not a valid {} quantity: {why}", kind.name()),
                    Some(format!("write it like {example}")),
                );
                None
            }
        }
    }

    fn compute(&mut self, base: &str, req: &Compute, lim: &Compute) {
        let rc = self.quantity(&format!("{base}.requests.cpu"), &req.cpu, Kind::Cpu);
        let rm = self.quantity(
            &format!("{base}.requests.memory"),
            &req.memory,
            Kind::Memory,
        );
        let lc = self.quantity(&format!("{base}.limits.cpu"), &lim.cpu, Kind::Cpu);
        let lm = self.quantity(&format!("{base}.limits.memory"), &lim.memory, Kind::Memory);
        for (what, r, l, rv, lv) in [
            ("cpu", rc, lc, &req.cpu, &lim.cpu),
            ("memory", rm, lm, &req.memory, &lim.memory),
        ] {
            if let (Some(r), Some(l)) = (r, l)
                && r > l
            {
                self.cross(
                    &format!("{base}.requests.{what}"),
                    &format!("{base}.limits.{what}"),
                    format!("{what} request {rv} is above the limit {lv}"),
                    format!("raise `{base}.limits.{what}` to at least {rv}, or lower the request"),
                );
            }
        }
    }

    fn image(&mut self, path: &str, value: &str) {
        if let Err(why) = check_image(value) {
            self.fail(
                path,
                format!("`{value}` is not a valid image reference: {why}"),
                Some("write `registry/repository:tag` or `registry/repository@sha256:<64 hex digits>`".into()),
            );
        }
    }

    fn percent_or_int(&mut self, path: &str, value: &IntOrPercent) -> Option<IntOrPercent> {
        if let IntOrPercent::Percent(p) = value {
            let ok = p
                .strip_suffix('%')
                .and_then(|n| {
                    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| n.parse::<u32>().ok())
                })
                .flatten()
                .is_some_and(|n| n <= 100);
            if !ok {
                self.fail(
                    path,
                    format!("`{p}` is neither a pod count nor a percentage"),
                    Some("write a whole number of pods (`1`) or a percentage from 0% to 100% (`25%`)".into()),
                );
                return None;
            }
        }
        Some(value.clone())
    }

    fn labels(&mut self, path: &str, labels: &std::collections::BTreeMap<String, String>) {
        for (k, v) in labels {
            if let Err(why) = label_key(k) {
                let help = label_key_suggestion(k).map(|fixed| format!("did you mean `{fixed}`?"));
                self.fail_key(
                    &format!("{path}.{k}"),
                    format!("`{k}` is not a valid label key: {why}"),
                    help,
                );
            }
            if let Err(why) = label_value(v) {
                self.fail(
                    &format!("{path}.{k}"),
                    format!("`{v}` is not a valid label value: {why}"),
                    Some("at most 63 characters: letters, digits, '-', '_', '.', starting and ending alphanumeric".into()),
                );
            }
        }
    }

    fn storage(&mut self, base: &str, s: &Storage) {
        self.quantity(&format!("{base}.size"), &s.size, Kind::Memory);
        if let Some(class) = &s.storage_class {
            self.dns_subdomain(&format!("{base}.storageClass"), class);
        }
    }

    fn probe(&mut self, base: &str, p: &Probe) {
        if let Some(path) = &p.path {
            self.http_path(&format!("{base}.path"), path, "probe path");
        }
        if p.timeout_seconds >= p.period_seconds {
            self.cross(
                &format!("{base}.timeoutSeconds"),
                &format!("{base}.periodSeconds"),
                format!(
                    "probe timeout {}s is not below its period {}s: probes would overlap",
                    p.timeout_seconds, p.period_seconds
                ),
                format!(
                    "lower `{base}.timeoutSeconds` below {}s or raise the period",
                    p.period_seconds
                ),
            );
        }
    }

    fn http_path(&mut self, path: &str, value: &str, what: &str) {
        if !value.starts_with('/') {
            self.fail(
                path,
                format!("{what} `{value}` must start with '/'"),
                Some(format!("write `/{value}`")),
            );
        }
    }

    fn duration(&mut self, path: &str, value: &str) -> Option<u64> {
        match parse_duration(value) {
            Some(ms) => Some(ms),
            None => {
                self.fail(
                    path,
                    format!("`{value}` is not a valid duration"),
                    Some("write a Prometheus duration such as `30s`, `1m` or `1m30s`".into()),
                );
                None
            }
        }
    }

    fn cidr(&mut self, path: &str, value: &str) {
        let ok = value.split_once('/').is_some_and(|(ip, bits)| {
            let max = match ip.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(_)) => 32,
                Ok(std::net::IpAddr::V6(_)) => 128,
                Err(_) => return false,
            };
            bits.parse::<u32>().is_ok_and(|b| b <= max)
        });
        if !ok {
            self.fail(
                path,
                format!("`{value}` is not a CIDR"),
                Some("write an address and prefix length, e.g. `10.0.0.0/8`".into()),
            );
        }
    }
}

/// Checks every rule; returns all problems at once.
pub fn validate(merged: &Merged) -> Result<(), Error> {
    let c = &merged.config;
    let mut k = Checker {
        merged,
        diags: Vec::new(),
    };
    k.dns_label("namespace", &c.namespace);
    k.labels("labels", &c.labels);
    k.dns_subdomain("secret.name", &c.secret.name);
    for (path, key) in [
        ("secret.apiKeyKey", c.secret.api_key_key.as_ref()),
        ("secret.redisPasswordKey", Some(&c.secret.redis_password_key)),
    ] {
        let Some(key) = key else { continue };
        let ok = !key.is_empty()
            && key.len() <= 253
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
        if !ok {
            k.fail(
                path,
                format!("`{key}` is not a valid Secret key"),
                Some("use letters, digits, '-', '_' and '.'".into()),
            );
        }
    }
    if c.secret.api_key_key.as_ref() == Some(&c.secret.redis_password_key) {
        k.cross(
            "secret.redisPasswordKey",
            "secret.apiKeyKey",
            "the API key and the Redis password use the same Secret key".into(),
            "give each credential its own key".into(),
        );
    }

    // Agent.
    let a = &c.agent;
    k.image("agent.image", &a.image);
    if a.replicas.min > a.replicas.max {
        k.cross(
            "agent.replicas.min",
            "agent.replicas.max",
            format!(
                "minimum replicas {} is above the maximum {}",
                a.replicas.min, a.replicas.max
            ),
            format!(
                "raise `agent.replicas.max` to at least {} or lower the minimum",
                a.replicas.min
            ),
        );
    }
    if a.port == 0 {
        k.fail(
            "agent.port",
            "port 0 is not a valid port".into(),
            Some("use 1-65535, e.g. 8000".into()),
        );
    }
    k.compute(
        "agent.resources",
        &a.resources.requests,
        &a.resources.limits,
    );
    k.probe("agent.probes.liveness", &a.probes.liveness);
    k.probe("agent.probes.readiness", &a.probes.readiness);
    k.probe("agent.probes.startup", &a.probes.startup);
    let surge = k.percent_or_int("agent.rollingUpdate.maxSurge", &a.rolling_update.max_surge);
    let unavail = k.percent_or_int(
        "agent.rollingUpdate.maxUnavailable",
        &a.rolling_update.max_unavailable,
    );
    if let (Some(s), Some(u)) = (surge, unavail)
        && is_zero(&s)
        && is_zero(&u)
    {
        k.cross(
            "agent.rollingUpdate.maxSurge",
            "agent.rollingUpdate.maxUnavailable",
            "maxSurge and maxUnavailable are both 0: a rollout could never make progress".into(),
            "set `agent.rollingUpdate.maxSurge` to 1 (zero downtime) or allow one unavailable pod"
                .into(),
        );
    }
    k.labels("agent.nodeSelector", &a.node_selector);
    if a.run_as_user == 0 {
        k.fail(
            "agent.runAsUser",
            "the agent must not run as root (UID 0)".into(),
            Some("use a UID of 10000 or more, e.g. 10001".into()),
        );
    }
    k.quantity("agent.tmpSizeLimit", &a.tmp_size_limit, Kind::Memory);
    k.quantity("agent.storage.size", &a.storage.size, Kind::Memory);
    if let Some(class) = &a.storage.storage_class {
        k.dns_subdomain("agent.storage.storageClass", class);
    }
    if a.storage.kind == crate::config::DataVolume::PersistentVolumeClaim
        && a.storage.access_mode != AccessMode::ReadWriteMany
        && a.replicas.max > 1
    {
        let spread = if a.anti_affinity == AntiAffinity::None {
            ""
        } else {
            " (and anti-affinity spreads them over nodes)"
        };
        k.cross(
            "agent.storage.accessMode",
            "agent.replicas.max",
            format!(
                "agent-data-pvc is {:?} but up to {} agent pods mount it{spread}: pods on a second node could never start",
                a.storage.access_mode, a.replicas.max
            ),
            "use `ReadWriteMany` (a storage class that supports it), `agent.storage.type: emptyDir`, or a single replica".into(),
        );
    }
    for key in a.config.extra.keys() {
        let path = format!("agent.config.extra.{key}");
        if k.env_name(&path, key, c) && is_sensitive(key) {
            // On the value, which the source excerpt then shows redacted (a caret on the key
            // would redact the key's own line from the key on).
            k.fail(
                &path,
                format!("`{key}` looks like a credential; the ConfigMap is not the place for it (value not shown)"),
                Some(format!("add it to the Secret `{}` and read it with `agent.env.{key}: {{secretKey: <key>}}`", c.secret.name)),
            );
        }
    }
    fit::check(&mut k, c);

    // Redis.
    let r = &c.redis;
    k.image("redis.image", &r.image);
    if r.port == 0 {
        k.fail(
            "redis.port",
            "port 0 is not a valid port".into(),
            Some("use 1-65535, e.g. 6379".into()),
        );
    }
    k.compute(
        "redis.resources",
        &r.resources.requests,
        &r.resources.limits,
    );
    if r.run_as_user == 0 {
        k.fail(
            "redis.runAsUser",
            "Redis must not run as root (UID 0)".into(),
            Some("use a UID of 10000 or more, e.g. 10001".into()),
        );
    }
    k.storage("redis.storage", &r.storage);

    // Autoscaling.
    let h = &c.autoscaling;
    if h.enabled {
        if h.request_rate.enabled {
            if h.request_rate.metric_name.is_empty() {
                k.fail(
                    "autoscaling.requestRate.metricName",
                    "the custom metric needs a name".into(),
                    Some("e.g. http_requests_per_second".into()),
                );
            }
            k.quantity(
                "autoscaling.requestRate.targetAverageValue",
                &h.request_rate.target_average_value,
                Kind::Plain,
            );
        }
        if a.replicas.min == a.replicas.max {
            k.cross(
                "agent.replicas.max",
                "autoscaling.enabled",
                format!("autoscaling is on but min and max replicas are both {}: the HPA could never scale", a.replicas.min),
                "raise `agent.replicas.max`, or set `autoscaling.enabled: false`".into(),
            );
        }
    }

    // Disruption budget.
    let p = &c.disruption_budget;
    if p.enabled
        && let Some(mu) = k.percent_or_int("disruptionBudget.maxUnavailable", &p.max_unavailable)
    {
        if is_zero(&mu) {
            k.fail(
                "disruptionBudget.maxUnavailable",
                "maxUnavailable 0 blocks every node drain and cluster upgrade".into(),
                Some("allow at least 1 pod to be disrupted".into()),
            );
        } else if let IntOrPercent::Int(n) = mu
            && n >= a.replicas.min
        {
            k.cross(
                "disruptionBudget.maxUnavailable",
                "agent.replicas.min",
                format!("the budget allows {n} of {} agent pods down at once: it protects nothing", a.replicas.min),
                if a.replicas.min <= 1 {
                    "with a single replica set `disruptionBudget.enabled: false`, or run at least 2 replicas".into()
                } else {
                    format!("lower `disruptionBudget.maxUnavailable` below {}", a.replicas.min)
                },
            );
        }
    }

    // Network policy.
    let n = &c.network_policy;
    if n.enabled {
        for (i, ns) in n.ingress_namespaces.iter().enumerate() {
            k.dns_label(&format!("networkPolicy.ingressNamespaces.{i}"), ns);
        }
        k.cidr("networkPolicy.egressCidr", &n.egress_cidr);
        for (i, e) in n.egress_except.iter().enumerate() {
            k.cidr(&format!("networkPolicy.egressExcept.{i}"), e);
        }
        if n.egress_ports.contains(&0) {
            k.fail(
                "networkPolicy.egressPorts",
                "port 0 is not a valid port".into(),
                Some("use 1-65535, e.g. 443".into()),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = n.egress_ports.iter().find(|p| !seen.insert(**p)) {
            k.fail(
                "networkPolicy.egressPorts",
                format!("port {dup} is listed more than once"),
                Some("list each port once".into()),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = n.ingress_namespaces.iter().find(|ns| !seen.insert(*ns)) {
            k.fail(
                "networkPolicy.ingressNamespaces",
                format!("namespace `{dup}` is listed more than once"),
                Some("list each namespace once".into()),
            );
        }
        if c.rbac.api_access {
            k.cidr("rbac.apiServerCidr", &c.rbac.api_server_cidr);
        }
    }

    // Monitoring.
    let m = &c.monitoring;
    k.dns_label("monitoring.prometheusNamespace", &m.prometheus_namespace);
    let sm = &m.service_monitor;
    if sm.enabled {
        if !sm.path.starts_with('/') {
            k.fail(
                "monitoring.serviceMonitor.path",
                format!("metrics path `{}` must start with '/'", sm.path),
                Some(format!("write `/{}`", sm.path)),
            );
        }
        let interval = k.duration("monitoring.serviceMonitor.interval", &sm.interval);
        let timeout = k.duration(
            "monitoring.serviceMonitor.scrapeTimeout",
            &sm.scrape_timeout,
        );
        if let (Some(i), Some(t)) = (interval, timeout)
            && t > i
        {
            k.cross(
                "monitoring.serviceMonitor.scrapeTimeout",
                "monitoring.serviceMonitor.interval",
                format!(
                    "scrape timeout {} is longer than the interval {}",
                    sm.scrape_timeout, sm.interval
                ),
                "keep the timeout at or below the interval".into(),
            );
        }
        k.labels("monitoring.serviceMonitor.labels", &sm.labels);
    }

    if k.diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(in_source_order(k.diags)))
    }
}

/// Orders diagnostics the way a reader meets them: grouped by source (in the order the sources
/// first appear among the diagnostics), and by line and column within one source.
fn in_source_order(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut sources: Vec<Option<&std::sync::Arc<crate::diag::Source>>> = Vec::new();
    let mut keyed: Vec<(usize, crate::input::yaml::Pos, usize)> = Vec::new();
    for (i, d) in diags.iter().enumerate() {
        let group = sources
            .iter()
            .position(|s| match (s, &d.source) {
                (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            })
            .unwrap_or_else(|| {
                sources.push(d.source.as_ref());
                sources.len() - 1
            });
        keyed.push((group, d.pos, i));
    }
    keyed.sort();
    let mut slots: Vec<Option<Diagnostic>> = diags.into_iter().map(Some).collect();
    keyed
        .into_iter()
        .filter_map(|(_, _, i)| slots[i].take())
        .collect()
}

fn is_zero(v: &IntOrPercent) -> bool {
    match v {
        IntOrPercent::Int(n) => *n == 0,
        IntOrPercent::Percent(p) => p.trim_end_matches('%').parse::<u32>().is_ok_and(|n| n == 0),
    }
}

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
    fn name(self) -> &'static str {
        match self {
            Kind::Cpu => "CPU",
            Kind::Memory => "memory",
            Kind::Plain => "",
        }
    }
}

/// Parses a Kubernetes quantity into its value (cores, bytes or plain units).
pub fn parse_quantity(text: &str, kind: Kind) -> Result<f64, String> {
    if text.is_empty() {
        return Err("it is empty".into());
    }
    let num_end = text
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '+' || *c == '-'))))
        .map_or(text.len(), |(i, _)| i);
    let (num, suffix) = text.split_at(num_end);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 || num == "+" || num == "-" {
        return Err(format!("`{num}` is not a number"));
    }
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{num}` is not a number"))?;
    if value < 0.0 {
        return Err("it is negative".into());
    }
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) && s[1..].parse::<i32>().is_ok() => {
            10f64.powi(s[1..].parse().unwrap_or(0))
        }
        other => {
            let lower = other.to_ascii_lowercase();
            let fix = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .into_iter()
                .find(|s| s.to_ascii_lowercase() == lower);
            return Err(match fix {
                Some(f) => format!(
                    "unknown suffix `{other}` (suffixes are case-sensitive: did you mean `{num}{f}`?)"
                ),
                None => format!("unknown suffix `{other}`"),
            });
        }
    };
    match kind {
        Kind::Cpu if !matches!(suffix, "" | "m") => {
            return Err(format!(
                "CPU is counted in cores (`2`, `.5`) or millicores (`500m`), not `{suffix}`"
            ));
        }
        Kind::Memory if suffix == "m" => {
            return Err(
                "`m` means thousandths of a byte; you probably meant `Mi` (mebibytes)".into(),
            );
        }
        Kind::Cpu | Kind::Memory if value == 0.0 => return Err("it is zero".into()),
        _ => {}
    }
    Ok(value * factor)
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

fn label_value(v: &str) -> Result<(), &'static str> {
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

fn label_key(k: &str) -> Result<(), &'static str> {
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
fn label_key_suggestion(k: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("500m", Kind::Cpu), Ok(0.5));
        assert_eq!(parse_quantity(".5", Kind::Cpu), Ok(0.5));
        assert_eq!(
            parse_quantity("2Gi", Kind::Memory),
            Ok(2.0 * 1024f64.powi(3))
        );
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
