//! The rules of the agent pod's extra parts ([`crate::config::pod`]): sidecar and init
//! container names, images, environment (the credential policy of `agent.env`), mounts,
//! probes and resources; volume sources and mount paths; extra ports (names and numbers unique
//! in the pod, the Service and the NetworkPolicy follow them); the NetworkPolicy's own rules
//! (peers, CIDRs, ports). Part of [`super`]'s one pass: every problem is collected and located,
//! with "did you mean" on a name that refers to another setting.

use std::collections::{BTreeMap, BTreeSet};

use super::{Checker, Kind, dns1123_label, label_key};
use crate::config::{
    Config, Container, ContainerProbe, DataVolume, PolicyRule, Port, PortFrom, PortValue, Protocol,
    Volume,
};
use crate::k8s::version::Feature;
use crate::suggest::did_you_mean;

/// The agent's own volumes, mounted at these paths in the agent container.
fn own_volumes(c: &Config) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("tmp", "/tmp")];
    if c.agent.storage.kind != DataVolume::None {
        v.push(("data", "/app/data"));
    }
    v
}

/// Whether `name` is a valid port name (`IANA_SVC_NAME`): 1-15 lowercase letters, digits and
/// '-', at least one letter, no '-' at either end and no "--".
pub(super) fn port_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

impl Checker<'_> {
    fn port_name(&mut self, path: &str, name: &str) -> bool {
        if port_name_ok(name) {
            return true;
        }
        self.fail_key(
            path,
            format!("`{name}` is not a valid port name"),
            Some("use at most 15 lowercase letters, digits and '-', with at least one letter, e.g. `grpc`".into()),
        );
        false
    }

    pub(super) fn port_number(&mut self, path: &str, port: u16) {
        if port == 0 {
            self.fail(
                path,
                "port 0 is not a valid port".into(),
                Some("use 1-65535".into()),
            );
        }
    }

    fn mount_path(&mut self, path: &str, value: &str) -> bool {
        let why = match crate::config::names::mount_path(value) {
            Err(why) => Some(why),
            Ok(()) if value.contains(':') => Some("it contains `:`"),
            Ok(()) => None,
        };
        if let Some(why) = why {
            self.fail(
                path,
                format!("`{value}` is not a path a volume can be mounted at: {why}"),
                Some(
                    "write an absolute path below `/`, without `..` or `:`, e.g. `/app/prompts`"
                        .into(),
                ),
            );
        }
        why.is_none()
    }
}

/// Which of agentctl's own PersistentVolumeClaims `claim` is, if it is one: the Redis
/// StatefulSet's per-replica claims (`data-redis-N`, from its `data` claim template), the
/// agent's `agent-data-pvc`, the backup's `redis-backup-pvc`, each with `instance`'s prefix
/// when set (names reserved even while the setting that renders them is off, so turning it on
/// later never takes over a claim).
fn own_claim(claim: &str, names: &crate::config::Names) -> Option<&'static str> {
    if claim
        .strip_prefix(&format!("data-{}-", names.get("redis")))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some("the Redis StatefulSet's, `data-redis-N` for replica N");
    }
    if claim == names.get("agent-data-pvc") {
        Some("the agent's data volume, `agent.storage`")
    } else if claim == names.get("redis-backup-pvc") {
        Some("the Redis backup's, `backup.storage`")
    } else {
        None
    }
}

/// Sidecars, init containers, volumes and extra ports.
// Long on purpose: one pass over the pod's parts, in the order of `explain agent`.
pub(super) fn parts(k: &mut Checker, c: &Config) {
    let a = &c.agent;
    let own = own_volumes(c);
    // Volumes.
    let mut agent_paths: BTreeMap<String, String> = own
        .iter()
        .map(|(n, p)| ((*p).to_owned(), format!("the agent's `{n}` volume")))
        .collect();
    for (name, v) in &a.volumes {
        let path = format!("agent.volumes.{name}");
        if let Err(why) = dns1123_label(name) {
            k.fail_key(
                &path,
                format!("`{name}` is not a valid volume name (a DNS-1123 label): {why}"),
                Some("use at most 63 lowercase letters, digits and '-', e.g. `prompts`".into()),
            );
        }
        if name == "tmp" || name == "data" {
            k.fail_key(
                &path,
                format!("`{name}` is the agent's own volume"),
                Some(format!(
                    "choose another name; mount the agent's `{name}` in a sidecar with `mounts: {{{name}: ...}}`"
                )),
            );
        }
        volume(k, &path, v, &crate::config::Names::of(c));
        if let Some(mp) = &v.mount_path
            && k.mount_path(&format!("{path}.mountPath"), mp)
        {
            if let Some(other) = agent_paths.get(mp) {
                k.fail(
                    &format!("{path}.mountPath"),
                    format!("`{mp}` is already where {other} is mounted in the agent"),
                    Some("mount it at another path".into()),
                );
            } else {
                agent_paths.insert(mp.clone(), format!("volume `{name}`"));
            }
        }
        let mounted = v.mount_path.is_some()
            || a.sidecars
                .values()
                .chain(a.init_containers.values())
                .flat_map(|ct| ct.mounts.keys())
                // A misspelled mount is reported once, with its "did you mean" this volume.
                .any(|m| {
                    m == name
                        || (!a.volumes.contains_key(m)
                            && did_you_mean(m, [name.as_str()]).is_some())
                });
        if !mounted {
            k.fail_key(
                &path,
                format!("volume `{name}` is mounted nowhere"),
                Some("set its `mountPath` (the agent), or list it in a sidecar's or init container's `mounts`".into()),
            );
        }
    }

    // Containers.
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (group, map, init) in [
        ("agent.sidecars", &a.sidecars, false),
        ("agent.initContainers", &a.init_containers, true),
    ] {
        for (name, ct) in map {
            let path = format!("{group}.{name}");
            if let Err(why) = dns1123_label(name) {
                k.fail_key(
                    &path,
                    format!("`{name}` is not a valid container name (a DNS-1123 label): {why}"),
                    Some(
                        "use at most 63 lowercase letters, digits and '-', e.g. `otel-collector`"
                            .into(),
                    ),
                );
            } else if name == "agent" {
                k.fail_key(
                    &path,
                    "`agent` is the agent container's name".into(),
                    Some("choose another name, e.g. `agent-proxy`".into()),
                );
            } else if !names.insert(name) {
                k.fail_key(
                    &path,
                    format!("`{name}` is both a sidecar and an init container"),
                    Some("give each container of the pod its own name".into()),
                );
            }
            container(k, c, &path, ct, init);
        }
    }

    // Ports: names and numbers unique in the pod (its containers share one network).
    let mut by_name: BTreeMap<&str, String> = BTreeMap::from([("http", "agent.port".to_owned())]);
    let mut by_number: BTreeMap<(u16, Protocol), String> =
        BTreeMap::from([((a.port, Protocol::Tcp), "agent.port".to_owned())]);
    if let Some(m) = a.metrics_port {
        by_name.insert("metrics", "agent.metricsPort".into());
        by_number.insert((m, Protocol::Tcp), "agent.metricsPort".into());
    }
    let every: Vec<(String, &String, &Port)> = a
        .ports
        .iter()
        .map(|(n, p)| (format!("agent.ports.{n}"), n, p))
        .chain(a.sidecars.iter().flat_map(|(s, ct)| {
            ct.ports
                .iter()
                .map(move |(n, p)| (format!("agent.sidecars.{s}.ports.{n}"), n, p))
        }))
        .collect();
    for (path, name, p) in &every {
        k.port_number(&format!("{path}.port"), p.port);
        if !k.port_name(path, name) {
            continue;
        }
        if matches!(name.as_str(), "http" | "metrics") {
            let (owner, help) = if *name == "http" {
                (
                    "the agent's serving port (`agent.port`)",
                    "choose another name, e.g. `grpc`",
                )
            } else {
                (
                    "the metrics port (`agent.metricsPort`)",
                    "choose another name, e.g. `admin`",
                )
            };
            k.fail_key(path, format!("`{name}` is {owner}"), Some(help.into()));
            continue;
        }
        if let Some(other) = by_name.get(name.as_str()) {
            k.cross(
                path,
                other,
                format!("the port name `{name}` is taken by `{other}`"),
                "give each port of the pod its own name".into(),
            );
        } else {
            by_name.insert(name, path.clone());
        }
        if let Some(other) = by_number.get(&(p.port, p.protocol)) {
            k.cross(
                &format!("{path}.port"),
                other,
                format!(
                    "port {}/{} is already `{other}`: the pod's containers share one network",
                    p.port, p.protocol
                ),
                "use another port number".into(),
            );
        } else {
            by_number.insert((p.port, p.protocol), path.clone());
        }
        if let Some(ap) = &p.app_protocol
            && let Err(why) = label_key(ap)
        {
            k.fail(
                &format!("{path}.appProtocol"),
                format!("`{ap}` is not a valid application protocol: {why}"),
                Some("e.g. `grpc`, `http`, `kubernetes.io/h2c`".into()),
            );
        }
        if p.from == PortFrom::IngressFrom
            && p.service.exposed()
            && c.network_policy.enabled
            && !c
                .network_policy
                .ingress_from
                .values()
                .any(|r| lists_port(r, name, p.port))
        {
            k.fail(
                &format!("{path}.from"),
                format!("port `{name}` is on the Service but no `networkPolicy.ingressFrom` rule lets anyone in to it"),
                Some(format!(
                    "list `{name}` in the `ports` of a `networkPolicy.ingressFrom` rule, or set `from: callers`"
                )),
            );
        }
    }
}

/// Whether an ingress rule lists a port by name or number.
fn lists_port(r: &PolicyRule, name: &str, number: u16) -> bool {
    r.ports.iter().any(|p| match p.parts().0 {
        PortValue::Name(n) => n == name,
        PortValue::Number(n) => *n == number,
    })
}

fn volume(k: &mut Checker, path: &str, v: &Volume, names: &crate::config::Names) {
    let sources = v.sources();
    if sources.len() != 1 {
        k.fail(
            path,
            format!(
                "a volume needs exactly one source, found {}{}",
                sources.len(),
                if sources.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", sources.join(", "))
                }
            ),
            Some("write one of `configMap`, `secret`, `emptyDir`, `persistentVolumeClaim`, `csi`, `projected` (a later layer that changes the source sets the old one to `null`)".into()),
        );
    }
    let keys = |k: &mut Checker, base: &str, kv: &crate::config::KeysVolume| {
        k.dns_subdomain(&format!("{base}.name"), &kv.name);
        for (key, file) in &kv.items {
            k.secret_key_name(&format!("{base}.items.{key}"), key, "key");
            if file.is_empty() || file.starts_with('/') || file.split('/').any(|s| s == "..") {
                k.fail(
                    &format!("{base}.items.{key}"),
                    format!("`{file}` is not a relative file path inside the volume"),
                    Some("write a relative path without `..`, e.g. `system.md`".into()),
                );
            }
        }
    };
    if let Some(kv) = &v.config_map {
        keys(k, &format!("{path}.configMap"), kv);
    }
    if let Some(kv) = &v.secret {
        keys(k, &format!("{path}.secret"), kv);
    }
    if let Some(e) = &v.empty_dir
        && let Some(l) = &e.size_limit
    {
        k.quantity(&format!("{path}.emptyDir.sizeLimit"), l, Kind::Memory);
    }
    if let Some(pvc) = &v.persistent_volume_claim {
        let at = format!("{path}.persistentVolumeClaim.claimName");
        k.dns_subdomain(&at, &pvc.claim_name);
        if let Some(whose) = own_claim(&pvc.claim_name, names) {
            k.fail(
                &at,
                format!(
                    "`{}` is one of agentctl's own claims ({whose}): the agent pods must not mount it",
                    pvc.claim_name
                ),
                Some("mount a claim of your own, created out of band, with another name".into()),
            );
        }
    }
    if let Some(csi) = &v.csi {
        k.dns_subdomain(&format!("{path}.csi.driver"), &csi.driver);
        if let Some(s) = &csi.node_publish_secret {
            k.dns_subdomain(&format!("{path}.csi.nodePublishSecret"), s);
        }
    }
    if let Some(p) = &v.projected {
        if p.sources.is_empty() {
            k.fail(
                &format!("{path}.projected.sources"),
                "a projected volume needs at least one source".into(),
                Some("list `{configMap: {name: ...}}`, `{secret: {name: ...}}` or `{serviceAccountToken: {audience: ...}}`".into()),
            );
        }
        for (i, s) in p.sources.iter().enumerate() {
            let at = format!("{path}.projected.sources.{i}");
            let n = [
                s.config_map.is_some(),
                s.secret.is_some(),
                s.service_account_token.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if n != 1 {
                k.fail(
                    &at,
                    format!("a projected source needs exactly one of `configMap`, `secret` and `serviceAccountToken`, found {n}"),
                    Some("write one source per entry".into()),
                );
            }
            if let Some(kv) = &s.config_map {
                keys(k, &format!("{at}.configMap"), kv);
            }
            if let Some(kv) = &s.secret {
                keys(k, &format!("{at}.secret"), kv);
            }
        }
    }
}

fn container(k: &mut Checker, c: &Config, path: &str, ct: &Container, init: bool) {
    let a = &c.agent;
    if ct.image.is_empty() {
        k.fail(
            path,
            "no `image`".into(),
            Some("add `image: registry/repository:tag`".into()),
        );
    } else {
        k.image(&format!("{path}.image"), &ct.image);
    }
    if init && ct.native {
        k.fail(
            &format!("{path}.native"),
            "`native` makes a sidecar a native sidecar; an init container runs to completion"
                .into(),
            Some("move it to `agent.sidecars`, or remove `native`".into()),
        );
    }
    if !init && !ct.native && ct.order != 0 {
        k.fail(
            &format!("{path}.order"),
            "`order` places init containers and native sidecars; a regular sidecar starts with the agent".into(),
            Some("remove `order`, or set `native: true`".into()),
        );
    }
    // Native sidecars (`restartPolicy: Always` on an init container) need the target version.
    let target = c.kube_version();
    if ct.native && !init && !target.supports(Feature::NativeSidecars) {
        k.cross(
            &format!("{path}.native"),
            "kubeVersion",
            Feature::NativeSidecars.refusal(target),
            format!(
                "{}; else remove `native` (a regular sidecar runs on every version)",
                Feature::NativeSidecars
                    .help()
                    .trim_end_matches("; else remove it")
            ),
        );
    }
    k.env_map(&format!("{path}.env"), &ct.env, c, false);
    if init && !ct.native && !ct.ports.is_empty() {
        k.fail(
            &format!("{path}.ports"),
            "an init container runs to completion before the agent: nothing can reach its ports"
                .into(),
            Some("remove `ports`, or make it a sidecar".into()),
        );
    }
    k.compute(
        &format!("{path}.resources"),
        &ct.resources.requests,
        &ct.resources.limits,
    );
    if let Some(uid) = ct.run_as_user {
        if uid == 0 {
            k.fail(
                &format!("{path}.runAsUser"),
                "a container must not run as root (UID 0): Pod Security `restricted` refuses it"
                    .into(),
                Some(
                    "use a UID of 10000 or more, e.g. 10001, or leave it unset (`agent.runAsUser`)"
                        .into(),
                ),
            );
        }
        k.uid(&format!("{path}.runAsUser"), uid);
    }
    // Mounts.
    let mut known: Vec<&str> = own_volumes(c).iter().map(|(n, _)| *n).collect();
    known.extend(a.volumes.keys().map(String::as_str));
    let mut paths: BTreeMap<&str, &str> = BTreeMap::new();
    for (vol, m) in &ct.mounts {
        let at = format!("{path}.mounts.{vol}");
        if !known.contains(&vol.as_str()) {
            let help = match did_you_mean(vol, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it under `agent.volumes`; known volumes: {}",
                    known.join(", ")
                ),
            };
            k.fail_key(&at, format!("no volume named `{vol}`"), Some(help));
        }
        if m.mount_path.is_empty() {
            k.fail(
                &at,
                "no `mountPath`".into(),
                Some("add `mountPath: /absolute/path`".into()),
            );
        } else if k.mount_path(&format!("{at}.mountPath"), &m.mount_path)
            && let Some(other) = paths.insert(&m.mount_path, vol)
        {
            k.fail(
                &format!("{at}.mountPath"),
                format!("`{}` is already where `{other}` is mounted", m.mount_path),
                Some("mount each volume at its own path".into()),
            );
        }
        if let Some(sp) = &m.sub_path
            && (sp.starts_with('/') || sp.split('/').any(|s| s == ".."))
        {
            k.fail(
                &format!("{at}.subPath"),
                format!("`{sp}` is not a relative path inside the volume"),
                Some("write a relative path without `..`".into()),
            );
        }
    }
    // Probes.
    for (kind, p) in [
        ("liveness", &ct.probes.liveness),
        ("readiness", &ct.probes.readiness),
        ("startup", &ct.probes.startup),
    ] {
        let Some(p) = p else { continue };
        let at = format!("{path}.probes.{kind}");
        if init && !ct.native {
            k.fail(
                &at,
                "an init container takes no probes: it runs to completion".into(),
                Some("remove `probes`".into()),
            );
            continue;
        }
        probe(k, &at, p, ct);
    }
}

fn probe(k: &mut Checker, at: &str, p: &ContainerProbe, ct: &Container) {
    let handlers = [
        p.http_get.is_some(),
        p.tcp_socket.is_some(),
        p.grpc.is_some(),
        p.exec.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if handlers != 1 {
        k.fail(
            at,
            format!("a probe needs exactly one of `httpGet`, `tcpSocket`, `grpc` and `exec`, found {handlers}"),
            Some("e.g. `{httpGet: {path: /healthz, port: 8080}}`".into()),
        );
    }
    let port = p
        .http_get
        .as_ref()
        .map(|h| (&h.port, "httpGet.port"))
        .or(p.tcp_socket.as_ref().map(|t| (&t.port, "tcpSocket.port")));
    if let Some(h) = &p.http_get {
        k.http_path(&format!("{at}.httpGet.path"), &h.path, "probe path");
    }
    match port {
        Some((PortValue::Name(n), field)) if !ct.ports.contains_key(n) => {
            let help = match did_you_mean(n, ct.ports.keys().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "use a port number, or a name from this container's `ports`".into(),
            };
            k.fail(
                &format!("{at}.{field}"),
                format!("this container has no port named `{n}`"),
                Some(help),
            );
        }
        Some((PortValue::Number(0), field)) => k.port_number(&format!("{at}.{field}"), 0),
        _ => {}
    }
    if let Some(g) = &p.grpc {
        k.port_number(&format!("{at}.grpc.port"), g.port);
    }
    if p.exec.as_ref().is_some_and(Vec::is_empty) {
        k.fail(
            &format!("{at}.exec"),
            "an empty command".into(),
            Some("write the command and its arguments, e.g. `[cat, /tmp/healthy]`".into()),
        );
    }
    // A default timeout follows the period (`merge::follow_probe_periods`): only one the user
    // wrote can overlap.
    if p.timeout_seconds >= p.period_seconds && k.written(&format!("{at}.timeoutSeconds")) {
        k.cross(
            &format!("{at}.timeoutSeconds"),
            &format!("{at}.periodSeconds"),
            format!(
                "probe timeout {}s is not below its period {}s: probes would overlap",
                p.timeout_seconds, p.period_seconds
            ),
            format!(
                "lower `{at}.timeoutSeconds` below {}s or raise the period",
                p.period_seconds
            ),
        );
    }
}
