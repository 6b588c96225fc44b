//! The rules about one pod template: Pod Security `restricted` (for every container: init,
//! native sidecar, regular, ephemeral), probes, resources, image tags, credentials in the
//! environment and the token automount. Reads the pod through [`crate::k8s::object`].

use serde_json::Value as J;

use super::{Out, Seg, keys};
use crate::config::credentials;
use crate::k8s::object::{self, api_version, kind, pod_spec_path, str_at};

const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];
const VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Every rule about the pod template of `o`, if it runs pods.
pub(super) fn check(o: &J, out: &mut Out) {
    if !object::runs_pods(o) {
        return;
    }
    let (Some(path), Some(spec)) = (pod_spec_path(api_version(o), kind(o)), object::pod_spec(o))
    else {
        return;
    };
    let base: Vec<Seg> = path.iter().map(|k| Seg::Key((*k).into())).collect();
    let long_running = matches!(
        kind(o),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController"
    );
    pod_level(o, spec, &base, out);
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, c) in object::items(spec, &format!("/{list}")).enumerate() {
            let mut at = keys(&base, &[list]);
            at.push(Seg::Index(i));
            container(spec, c, &at, out);
            let runs = match list {
                "containers" => long_running,
                "initContainers" => long_running && object::is_sidecar(c),
                _ => false,
            };
            if list != "ephemeralContainers" {
                readiness(c, &at, runs, out);
            }
        }
    }
}

fn pod_level(o: &J, spec: &J, base: &[Seg], out: &mut Out) {
    for ns in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec.get(ns) == Some(&J::Bool(true)) {
            out.fire(
                "AGT102",
                keys(base, &[ns]),
                format!("`{ns}: true` shares the node's namespace"),
            );
        }
    }
    for (i, v) in object::items(spec, "/volumes").enumerate() {
        let Some(m) = v.as_object() else { continue };
        if let Some(t) = m
            .keys()
            .find(|k| *k != "name" && !VOLUMES.contains(&k.as_str()))
        {
            let mut at = keys(base, &["volumes"]);
            at.push(Seg::Index(i));
            at.push(Seg::Key(t.as_str().into()));
            let what = match (t.as_str(), str_at(v, "/hostPath/path")) {
                ("hostPath", Some(p)) => format!("a hostPath volume mounts the node's `{p}`"),
                _ => format!("a `{t}` volume is not allowed under `restricted`"),
            };
            out.fire("AGT103", at, what);
        }
    }
    let psc = spec.get("securityContext").unwrap_or(&J::Null);
    let sc_path = keys(base, &["securityContext"]);
    for (i, s) in object::items(psc, "/sysctls").enumerate() {
        let name = object::field_str(s, "/name");
        if !SAFE_SYSCTLS.contains(&name) {
            let mut at = keys(&sc_path, &["sysctls"]);
            at.push(Seg::Index(i));
            out.fire(
                "AGT108",
                at,
                format!("sysctl `{name}` is not in the safe set"),
            );
        }
    }
    security_context(psc, &sc_path, out);
    if let Some(meta) = object::pod_template(o).and_then(|t| t.pointer("/metadata/annotations"))
        && let Some(m) = meta.as_object()
    {
        for (k, v) in m {
            if k.starts_with("container.apparmor.security.beta.kubernetes.io/")
                && v.as_str() == Some("unconfined")
            {
                let mut at = base[..base.len() - 1].to_vec();
                at.extend(keys(&[], &["metadata", "annotations"]));
                at.push(Seg::Key(k.as_str().into()));
                out.fire("AGT106", at, "the AppArmor annotation says `unconfined`");
            }
        }
    }
    match spec.get("automountServiceAccountToken") {
        Some(J::Bool(false)) => {}
        _ => out.fire(
            "AGT161",
            keys(base, &["automountServiceAccountToken"]),
            format!(
                "the pod mounts a token of service account `{}`",
                str_at(spec, "/serviceAccountName").unwrap_or("default")
            ),
        ),
    }
}

/// The checks shared by the pod's and a container's securityContext.
fn security_context(sc: &J, at: &[Seg], out: &mut Out) {
    if str_at(sc, "/appArmorProfile/type") == Some("Unconfined") {
        out.fire(
            "AGT106",
            keys(at, &["appArmorProfile", "type"]),
            "AppArmor profile `Unconfined`",
        );
    }
    if str_at(sc, "/seccompProfile/type") == Some("Unconfined") {
        out.fire(
            "AGT111",
            keys(at, &["seccompProfile", "type"]),
            "seccomp profile `Unconfined`",
        );
    }
    if let Some(se) = sc.get("seLinuxOptions") {
        if let Some(t) = str_at(se, "/type")
            && !SELINUX_TYPES.contains(&t)
        {
            out.fire(
                "AGT107",
                keys(at, &["seLinuxOptions", "type"]),
                format!("SELinux type `{t}`"),
            );
        }
        for k in ["user", "role"] {
            if str_at(se, &format!("/{k}")).is_some_and(|v| !v.is_empty()) {
                out.fire(
                    "AGT107",
                    keys(at, &["seLinuxOptions", k]),
                    format!("SELinux {k} set"),
                );
            }
        }
    }
    if object::int_at(sc, "/runAsUser") == Some(0) {
        out.fire("AGT110", keys(at, &["runAsUser"]), "`runAsUser: 0` is root");
    }
    if sc.get("runAsNonRoot") == Some(&J::Bool(false)) {
        out.fire(
            "AGT110",
            keys(at, &["runAsNonRoot"]),
            "`runAsNonRoot: false`",
        );
    }
}

fn container(spec: &J, c: &J, at: &[Seg], out: &mut Out) {
    let name = object::field_str(c, "/name");
    let sc = c.get("securityContext").unwrap_or(&J::Null);
    let sc_at = keys(at, &["securityContext"]);
    let psc = spec.get("securityContext").unwrap_or(&J::Null);
    if sc.get("privileged") == Some(&J::Bool(true)) {
        out.fire(
            "AGT101",
            keys(&sc_at, &["privileged"]),
            format!("container `{name}` is privileged"),
        );
    }
    if str_at(sc, "/procMount").is_some_and(|p| p != "Default") {
        out.fire(
            "AGT105",
            keys(&sc_at, &["procMount"]),
            format!("container `{name}` unmasks /proc"),
        );
    }
    security_context(sc, &sc_at, out);
    if sc.get("allowPrivilegeEscalation") != Some(&J::Bool(false)) {
        out.fire(
            "AGT112",
            keys(&sc_at, &["allowPrivilegeEscalation"]),
            format!("container `{name}` does not set `allowPrivilegeEscalation: false`"),
        );
    }
    let drops_all = object::items(sc, "/capabilities/drop").any(|d| d.as_str() == Some("ALL"));
    if !drops_all {
        out.fire(
            "AGT109",
            keys(&sc_at, &["capabilities", "drop"]),
            format!("container `{name}` does not drop ALL capabilities"),
        );
    }
    for (i, cap) in object::items(sc, "/capabilities/add").enumerate() {
        if cap.as_str() != Some("NET_BIND_SERVICE") {
            let mut p = keys(&sc_at, &["capabilities", "add"]);
            p.push(Seg::Index(i));
            out.fire(
                "AGT109",
                p,
                format!(
                    "container `{name}` adds capability {}",
                    super::report::show(cap)
                ),
            );
        }
    }
    let non_root = |s: &J| s.get("runAsNonRoot").and_then(J::as_bool);
    if non_root(sc).or(non_root(psc)) != Some(true) {
        out.fire(
            "AGT110",
            keys(&sc_at, &["runAsNonRoot"]),
            format!("container `{name}` may run as root: no `runAsNonRoot: true`"),
        );
    }
    let seccomp = |s: &J| str_at(s, "/seccompProfile/type").map(str::to_owned);
    if !seccomp(sc)
        .or(seccomp(psc))
        .is_some_and(|t| t == "RuntimeDefault" || t == "Localhost")
    {
        out.fire(
            "AGT111",
            keys(&sc_at, &["seccompProfile"]),
            format!("container `{name}` has no RuntimeDefault or Localhost seccomp profile"),
        );
    }
    for (i, p) in object::items(c, "/ports").enumerate() {
        if p.get("hostPort")
            .and_then(J::as_i64)
            .is_some_and(|n| n != 0)
        {
            let mut at = keys(at, &["ports"]);
            at.push(Seg::Index(i));
            at.push(Seg::Key("hostPort".into()));
            out.fire(
                "AGT104",
                at,
                format!("container `{name}` binds a port on the node"),
            );
        }
    }
    credentials_in(c, at, name, out);
}

fn credentials_in(c: &J, at: &[Seg], name: &str, out: &mut Out) {
    for (i, e) in object::items(c, "/env").enumerate() {
        let var = object::field_str(e, "/name");
        if !credentials::is_sensitive(var) {
            continue;
        }
        let mut p = keys(at, &["env"]);
        p.push(Seg::Index(i));
        // A literal value is the credential policy's (`credentials::in_object`, every object).
        if let Some(cm) = e.pointer("/valueFrom/configMapKeyRef") {
            out.fire(
                "AGT160",
                keys(&p, &["valueFrom", "configMapKeyRef"]),
                format!(
                    "`{var}` of container `{name}` comes from ConfigMap `{}`",
                    object::field_str(cm, "/name")
                ),
            );
        }
    }
}

fn readiness(c: &J, at: &[Seg], long_running: bool, out: &mut Out) {
    let name = object::field_str(c, "/name");
    if long_running {
        let missing: Vec<&str> = ["readinessProbe", "livenessProbe"]
            .into_iter()
            .filter(|p| c.get(*p).is_none_or(J::is_null))
            .collect();
        if !missing.is_empty() {
            out.fire(
                "AGT120",
                keys(at, &[missing[0]]),
                format!("container `{name}` has no {}", missing.join(" and ")),
            );
        }
    }
    let mut missing = Vec::new();
    // A CPU limit is a choice (`limits.cpu: null`: never throttled); it is missing only where
    // a ResourceQuota counts it (`limits::quota_cpu`).
    for (side, r) in [
        ("requests", "cpu"),
        ("requests", "memory"),
        ("limits", "memory"),
    ] {
        if c.pointer(&format!("/resources/{side}/{r}")).is_none() {
            missing.push(format!("{side}.{r}"));
        }
    }
    if !missing.is_empty() {
        out.fire(
            "AGT121",
            keys(at, &["resources"]),
            format!("container `{name}` has no {}", missing.join(", ")),
        );
    }
    image(c, at, out);
}

/// The image's tag (`None`: none; a digest-pinned image counts as pinned) and pull policy.
fn image(c: &J, at: &[Seg], out: &mut Out) {
    let image = object::field_str(c, "/image");
    let who = object::field_str(c, "/name");
    let digest = image.contains('@');
    let last = image.rsplit('/').next().unwrap_or(image);
    let last = last.split('@').next().unwrap_or(last);
    let tag = last.split_once(':').map(|(_, t)| t);
    let moving = !digest && matches!(tag, None | Some("latest"));
    if moving {
        out.fire(
            "AGT122",
            keys(at, &["image"]),
            format!("container `{who}` runs `{image}`: no pinned tag"),
        );
    }
    match str_at(c, "/imagePullPolicy") {
        Some(p @ "IfNotPresent") if moving => out.fire(
            "AGT123",
            keys(at, &["imagePullPolicy"]),
            format!("container `{who}` pulls the moving `{image}` only once per node ({p})"),
        ),
        Some("Never") => out.fire(
            "AGT123",
            keys(at, &["imagePullPolicy"]),
            format!(
                "container `{who}` never pulls `{image}`: it starts only where the node has it"
            ),
        ),
        _ => {}
    }
    if !digest && !image.is_empty() {
        out.fire(
            "AGT124",
            keys(at, &["image"]),
            format!("container `{who}` runs `{image}` by tag, not by digest"),
        );
    }
}
