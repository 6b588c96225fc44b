//! Validate: the rules a schema cannot express, checked on the merged configuration.
//!
//! Value grammars (Kubernetes quantities, durations, DNS-1123 names, label values, image
//! references, CIDRs, percentages) and cross-field rules (min ≤ max replicas, requests ≤ limits,
//! probe timeouts below periods, a disruption budget that leaves pods running, storage that can
//! be shared by the replicas, ...). Every problem is collected; each names the field, and the
//! layer and `line:column` that set it, and cross-field problems point at both places. Values
//! of fields that may hold credentials are never echoed.
//!
//! Owns the `Checker` (located failures), the rule groups (`rules`) and the string grammars
//! (`grammar`). Must not read files, parse YAML or render.

use crate::config::credentials::{is_sensitive, looks_like_credential};
use crate::config::names::{dns1123_label, suggest_name};
use crate::config::path::ConfigPath;
use crate::config::{
    AccessMode, AntiAffinity, Compute, Config, IntOrPercent, Limits, Probe, Storage,
};
use crate::diag::{Diagnostic, Error};
use crate::resolve::merge::Merged;

mod around;
mod dns;
mod env;
mod exposure;
mod fit;
mod front;
mod grammar;
mod keda;
mod lifecycle;
mod monitoring;
mod operations;
mod pod;
mod policy;
mod redis;
mod rules;
mod scheduling;
mod scrape;
mod version;

pub use grammar::{Kind, check_image, parse_cidr, parse_duration, parse_quantity};
use grammar::{
    cidr_within, label_key, label_key_suggestion, label_value, metric_name, prometheus_label_name,
};
use rules::RULES;

struct Checker<'a> {
    merged: &'a Merged,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// A Secret or ConfigMap key (`what` names which, for the message): see [`secret_key_ok`].
    fn secret_key_name(&mut self, path: &str, key: &str, what: &str) {
        if !secret_key_ok(key) {
            self.fail(
                path,
                format!("`{key}` is not a valid {what}"),
                Some("use letters, digits, '-', '_' and '.' (not `.` or `..` alone)".into()),
            );
        }
    }

    fn fail(&mut self, path: &str, message: String, help: Option<String>) {
        let d = self
            .merged
            .locate(Diagnostic::new(message), &ConfigPath::new(path));
        self.push(d, help);
    }

    /// Like [`Checker::fail`], for a problem with the key of `path` (a user-chosen name): the
    /// caret goes on the key.
    fn fail_key(&mut self, path: &str, message: String, help: Option<String>) {
        let d = self
            .merged
            .locate_key(Diagnostic::new(message), &ConfigPath::new(path));
        self.push(d, help);
    }

    fn push(&mut self, d: Diagnostic, help: Option<String>) {
        self.diags.push(match help {
            Some(h) => d.help(h),
            None => d,
        });
    }

    /// Whether a layer other than the built-in defaults wrote `path` (a value a default fills
    /// in is never the user's mistake).
    fn written(&self, path: &str) -> bool {
        self.merged
            .origin(path)
            .is_some_and(|s| s.source.origin != crate::diag::Origin::Default)
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
        let d = self
            .merged
            .locate(Diagnostic::new(message), &ConfigPath::new(first));
        let d = self.merged.relate(d, &ConfigPath::new(second)).help(help);
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

    fn quantity(&mut self, path: &str, value: &str, kind: Kind) -> Option<crate::k8s::Quantity> {
        // A bare number YAML readers disagree on (`017`: 17 or the octal 15) is not taken for a
        // quantity either, whatever Kubernetes would make of the text.
        if let Some(nd) = crate::input::yaml::not_decimal(value)
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
        {
            self.fail(
                path,
                format!("`{value}` is not a plain decimal number: {}", nd.readings),
                Some(format!(
                    "write the number in plain decimal digits: {}",
                    nd.write
                )),
            );
            return None;
        }
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

    fn compute(&mut self, base: &str, req: &Compute, lim: &Limits) {
        let rc = self.quantity(&format!("{base}.requests.cpu"), &req.cpu, Kind::Cpu);
        let rm = self.quantity(
            &format!("{base}.requests.memory"),
            &req.memory,
            Kind::Memory,
        );
        let lc = lim
            .cpu
            .as_ref()
            .and_then(|v| self.quantity(&format!("{base}.limits.cpu"), v, Kind::Cpu));
        let lm = self.quantity(&format!("{base}.limits.memory"), &lim.memory, Kind::Memory);
        let mut disk = |side: &str, v: &Option<String>| {
            v.as_ref().and_then(|v| {
                self.quantity(&format!("{base}.{side}.ephemeral-storage"), v, Kind::Memory)
            })
        };
        let (rd, ld) = (
            disk("requests", &req.ephemeral_storage),
            disk("limits", &lim.ephemeral_storage),
        );
        let none = String::new();
        for (what, r, l, rv, lv) in [
            ("cpu", rc, lc, &req.cpu, lim.cpu.as_ref().unwrap_or(&none)),
            ("memory", rm, lm, &req.memory, &lim.memory),
            (
                "ephemeral-storage",
                rd,
                ld,
                req.ephemeral_storage.as_ref().unwrap_or(&none),
                lim.ephemeral_storage.as_ref().unwrap_or(&none),
            ),
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

    /// A probe's timing: its timeout below its period. A default timeout follows the period
    /// (`merge::follow_probe_periods`): only one the user wrote can overlap.
    fn probe_timing(&mut self, base: &str, p: &Probe) {
        if p.timeout_seconds >= p.period_seconds && self.written(&format!("{base}.timeoutSeconds"))
        {
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

    /// A UID or GID: Kubernetes reads `runAsUser` as an int64 but the runtimes and Pod Security
    /// take only 0..=2147483647 (int32); a larger one is rejected or wraps to another user.
    fn uid(&mut self, path: &str, uid: u32) {
        if i32::try_from(uid).is_err() {
            self.fail(
                path,
                format!("UID {uid} is beyond 2147483647 (a 32-bit signed integer), which container runtimes reject or wrap"),
                Some("use a UID of 10000 to 2147483647, e.g. 10001".into()),
            );
        }
    }

    /// Label keys of an object's labels (`path`) that agentctl or Kubernetes own: the
    /// `app.kubernetes.io/*` labels agentctl sets (the selectors depend on them), the Pod
    /// Security labels (`pod-security.kubernetes.io/*`: a common label would override the
    /// namespace's enforcement level), and the `kubernetes.io` / `k8s.io` prefixes.
    fn reserved_labels(&mut self, path: &str, labels: &std::collections::BTreeMap<String, String>) {
        for key in labels.keys() {
            if let Some(why) = reserved_label(key) {
                self.fail_key(
                    &format!("{path}.{key}"),
                    format!("the label `{key}` is reserved: {why}"),
                    Some(if key.starts_with("pod-security.kubernetes.io/") {
                        "set the level with `podSecurity` (e.g. `podSecurity: baseline`)".into()
                    } else {
                        "choose another key (e.g. with your own prefix, `example.com/team`)".into()
                    }),
                );
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

/// Whether a Secret or ConfigMap key is valid: 1-253 of letters, digits, `-`, `_`, `.`, and
/// not `.` or `..` (which Kubernetes rejects: they would be path components when mounted).
fn secret_key_ok(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

/// Why a namespace is not one to deploy into: Kubernetes' own namespaces, `default`, and the
/// `kube-` prefix Kubernetes reserves.
fn reserved_namespace(ns: &str) -> Option<&'static str> {
    match ns {
        "default" => Some("Kubernetes' default namespace"),
        "kube-system" | "kube-public" | "kube-node-lease" => Some("a Kubernetes system namespace"),
        _ if ns.starts_with("kube-") => Some("under the `kube-` prefix Kubernetes reserves"),
        _ => None,
    }
}

/// Why a label key on agentctl's objects is reserved, if it is (see
/// [`Checker::reserved_labels`]).
fn reserved_label(key: &str) -> Option<&'static str> {
    let prefix = key.rsplit_once('/').map(|(p, _)| p);
    if fit::RESERVED_LABELS.contains(&key) || key == "app.kubernetes.io/instance" {
        Some("agentctl sets it, and the selectors depend on it")
    } else if prefix == Some("pod-security.kubernetes.io") {
        Some("it would override the namespace's Pod Security level (`podSecurity`)")
    } else if prefix.is_some_and(|p| {
        ["kubernetes.io", "k8s.io"]
            .iter()
            .any(|r| p == *r || p.ends_with(&format!(".{r}")))
    }) && !key.starts_with("app.kubernetes.io/")
    {
        Some("the `kubernetes.io` and `k8s.io` prefixes are reserved for Kubernetes")
    } else {
        None
    }
}

/// Checks the cross-field and grammar rules of a merged configuration; reports every
/// violation, located at the layer that set the value, in source order.
pub fn validate(merged: &Merged) -> Result<(), Error> {
    let mut k = Checker {
        merged,
        diags: Vec::new(),
    };
    for group in RULES.iter().chain(exposure::RULES).chain(scrape::RULES) {
        group(&mut k, &merged.config);
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
