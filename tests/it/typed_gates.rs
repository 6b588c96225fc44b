//! Typed conformance gates: properties of the objects agentctl renders, checked on every
//! rendering of `scripts/conformance/renderings` (every profile, the profile combination and
//! every example, alone and with `dev`: the list `scripts/conformance.sh` checks too).
//!
//! Pod Security Standards `restricted` (policy "latest", Kubernetes 1.33; it includes every
//! `baseline` control), plus agentctl's house rules: `runAsUser`, when set, is >= 10000,
//! every container has a read-only root filesystem, and every namespace that holds a pod is
//! rendered with `pod-security.kubernetes.io/enforce: restricted`. Pod templates are read
//! into k8s-openapi's `PodTemplateSpec`, so a check names typed fields, not strings.
//!
//! Every control has a negative twin (`each_control_rejects_its_broken_object`): the rendered
//! defaults with one field broken, which the checker must reject, naming that control.
//! (External tools — kubectl, kubernetes-validate, the CRD schemas, Checkov, yamllint — stay in
//! `scripts/conformance.sh`.)

use k8s_openapi::api::core::v1::{Namespace, PodSpec, PodTemplateSpec, SecurityContext};
use serde_json::{Value, json};

use crate::support::{self, lib};

const MIN_UID: i64 = 10_000;
const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
/// Baseline: the only sysctls a pod may set.
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
/// Restricted: the only volume types allowed.
const VOLUME_TYPES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];
const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// The renderings of `scripts/conformance/renderings` (shared with `scripts/conformance.sh`):
/// (name, profiles, override files). The `yaml-safety` rendering's `--set` values only reach
/// the ConfigMap, so they are left out here.
fn renderings() -> Vec<(String, Vec<String>, Vec<String>)> {
    let list = std::fs::read_to_string(support::root().join(RENDERINGS)).expect("the list");
    let mut out = Vec::new();
    for line in list
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut words = line.split_whitespace();
        let name = words.next().expect("a name").to_owned();
        let (mut profiles, mut files) = (Vec::new(), Vec::new());
        while let Some(flag) = words.next() {
            let value = words
                .next()
                .unwrap_or_else(|| panic!("{RENDERINGS}: {line}"));
            match flag {
                "-p" => profiles.push(value.to_owned()),
                "-f" => files.push(value.to_owned()),
                _ => panic!("{RENDERINGS}: only -p and -f are allowed: {line}"),
            }
        }
        out.push((name, profiles, files));
    }
    out
}

const RENDERINGS: &str = "scripts/conformance/renderings";

/// The objects `agentctl render -p P… -f F…` writes (what `kubectl kustomize` builds from them).
fn render(profiles: &[String], files: &[String]) -> Vec<Value> {
    let p: Vec<&str> = profiles.iter().map(String::as_str).collect();
    let f: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = lib::render(&support::root(), &p, &f, &[])
        .unwrap_or_else(|e| panic!("render -p {p:?} -f {f:?}: {e}"));
    out.iter()
        .filter(|(name, _)| name != "kustomization.yaml")
        .flat_map(|(name, text)| {
            lib::parse_manifests(text).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect()
}

/// Names of the `*.yaml` files in a folder of the repository, without the extension.
fn stems(dir: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(support::root().join(dir))
        .expect("list")
        .filter_map(|e| {
            let name = e.expect("entry").file_name().into_string().expect("UTF-8");
            name.strip_suffix(".yaml").map(str::to_owned)
        })
        .collect();
    out.sort();
    out
}

/// Every pod template in an object: (where, typed template).
fn pod_templates(doc: &Value) -> Vec<(String, PodTemplateSpec)> {
    let path = match doc["kind"].as_str() {
        Some("Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job") => "/spec/template",
        Some("CronJob") => "/spec/jobTemplate/spec/template",
        Some("Pod") => {
            return vec![(
                id(doc),
                PodTemplateSpec {
                    metadata: None,
                    spec: typed(&doc["spec"]),
                },
            )];
        }
        _ => return vec![],
    };
    let t = doc.pointer(path).cloned().unwrap_or(Value::Null);
    vec![(format!("{} {path}", id(doc)), typed(&t))]
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).expect("a well-typed Kubernetes object")
}

fn id(doc: &Value) -> String {
    format!(
        "{}/{}",
        doc["kind"].as_str().unwrap_or("?"),
        doc["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// Every violation of one pod template, each prefixed with its control's name.
fn check_pod(t: &PodTemplateSpec) -> Vec<String> {
    let mut v = Vec::new();
    let Some(p) = &t.spec else {
        return vec!["containers: pod template has no spec".into()];
    };
    let psc = p.security_context.clone().unwrap_or_default();
    let containers = containers(p);
    // --- baseline
    for (name, on) in [
        ("hostNetwork", p.host_network),
        ("hostPID", p.host_pid),
        ("hostIPC", p.host_ipc),
    ] {
        if on == Some(true) {
            v.push(format!("hostNamespaces: {name}: true"));
        }
    }
    for vol in p.volumes.iter().flatten() {
        let j = serde_json::to_value(vol).unwrap_or_default();
        for ty in j
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|k| *k != "name")
        {
            let control = if ty == "hostPath" {
                "hostPathVolumes"
            } else {
                "volumeTypes"
            };
            if !VOLUME_TYPES.contains(&ty.as_str()) {
                v.push(format!("{control}: volume {} has type {ty}", vol.name));
            }
        }
    }
    for (k, val) in t
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .into_iter()
        .flatten()
    {
        if k.starts_with("container.apparmor.security.beta.kubernetes.io/")
            && val != "runtime/default"
            && !val.starts_with("localhost/")
        {
            v.push(format!("appArmor: annotation {k}={val}"));
        }
    }
    for s in psc.sysctls.iter().flatten() {
        if !SAFE_SYSCTLS.contains(&s.name.as_str()) {
            v.push(format!("sysctls: unsafe sysctl {}", s.name));
        }
    }
    if psc.windows_options.as_ref().and_then(|w| w.host_process) == Some(true) {
        v.push("windowsHostProcess: pod".into());
    }
    let pod_view = SecurityContext {
        app_armor_profile: psc.app_armor_profile.clone(),
        se_linux_options: psc.se_linux_options.clone(),
        run_as_user: psc.run_as_user,
        seccomp_profile: psc.seccomp_profile.clone(),
        ..Default::default()
    };
    for (where_, sc) in std::iter::once(("pod".to_string(), &pod_view))
        .chain(containers.iter().map(|(w, _, s)| (w.clone(), s)))
    {
        if let Some(ap) = &sc.app_armor_profile
            && !matches!(ap.type_.as_str(), "RuntimeDefault" | "Localhost")
        {
            v.push(format!(
                "appArmor: {where_} appArmorProfile.type={}",
                ap.type_
            ));
        }
        if let Some(se) = &sc.se_linux_options {
            if !SELINUX_TYPES.contains(&se.type_.as_deref().unwrap_or("")) {
                v.push(format!(
                    "seLinux: {where_} seLinuxOptions.type={:?}",
                    se.type_
                ));
            }
            if se.user.is_some() || se.role.is_some() {
                v.push(format!("seLinux: {where_} seLinuxOptions.user/role set"));
            }
        }
        if let Some(s) = &sc.seccomp_profile
            && !matches!(s.type_.as_str(), "RuntimeDefault" | "Localhost")
        {
            v.push(format!("seccomp: {where_} seccompProfile.type={}", s.type_));
        }
        match sc.run_as_user {
            Some(0) => v.push(format!("runAsUser: {where_} runAsUser=0 (root)")),
            Some(uid) if uid < MIN_UID => {
                v.push(format!("runAsUser: {where_} runAsUser={uid} < {MIN_UID}"))
            }
            _ => {}
        }
    }
    // --- restricted, per container
    if psc.run_as_non_root == Some(false) {
        v.push("runAsNonRoot: pod runAsNonRoot: false".into());
    }
    if containers.is_empty() {
        v.push("containers: pod has no containers".into());
    }
    for (w, ports, sc) in &containers {
        if sc.privileged == Some(true) {
            v.push(format!("privileged: {w} privileged: true"));
        }
        if let Some(port) = ports.iter().find(|p| p.unwrap_or(0) != 0) {
            v.push(format!("hostPorts: {w} hostPort {port:?}"));
        }
        if sc.proc_mount.as_deref().is_some_and(|m| m != "Default") {
            v.push(format!("procMount: {w} procMount={:?}", sc.proc_mount));
        }
        if sc.windows_options.as_ref().and_then(|o| o.host_process) == Some(true) {
            v.push(format!("windowsHostProcess: {w}"));
        }
        if sc.allow_privilege_escalation != Some(false) {
            v.push(format!(
                "allowPrivilegeEscalation: {w} must set allowPrivilegeEscalation: false"
            ));
        }
        if sc.run_as_non_root == Some(false)
            || (sc.run_as_non_root.is_none() && psc.run_as_non_root != Some(true))
        {
            v.push(format!(
                "runAsNonRoot: {w} (or the pod) must set runAsNonRoot: true"
            ));
        }
        if sc.seccomp_profile.is_none() && psc.seccomp_profile.is_none() {
            v.push(format!(
                "seccomp: {w} (or the pod) must set seccompProfile RuntimeDefault"
            ));
        }
        let caps = sc.capabilities.clone().unwrap_or_default();
        if !caps.drop.iter().flatten().any(|c| c == "ALL") {
            v.push(format!("capabilities: {w} must drop ALL"));
        }
        for a in caps
            .add
            .iter()
            .flatten()
            .filter(|a| *a != "NET_BIND_SERVICE")
        {
            v.push(format!("capabilities: {w} adds {a}"));
        }
        if sc.read_only_root_filesystem != Some(true) {
            v.push(format!(
                "readOnlyRootFilesystem: {w} must set readOnlyRootFilesystem: true"
            ));
        }
    }
    v
}

/// (where, hostPorts, securityContext) of every container, init and ephemeral container.
fn containers(p: &PodSpec) -> Vec<(String, Vec<Option<i32>>, SecurityContext)> {
    let ports = |c: &k8s_openapi::api::core::v1::Container| {
        c.ports.iter().flatten().map(|p| p.host_port).collect()
    };
    let mut out = Vec::new();
    for (field, cs) in [
        (
            "initContainers",
            p.init_containers.as_deref().unwrap_or_default(),
        ),
        ("containers", &p.containers),
    ] {
        for c in cs {
            out.push((
                format!("{field}[{}]", c.name),
                ports(c),
                c.security_context.clone().unwrap_or_default(),
            ));
        }
    }
    for c in p.ephemeral_containers.iter().flatten() {
        let ports = c.ports.iter().flatten().map(|p| p.host_port).collect();
        out.push((
            format!("ephemeralContainers[{}]", c.name),
            ports,
            c.security_context.clone().unwrap_or_default(),
        ));
    }
    out
}

/// All violations in a stream: (pod templates checked, violations).
fn check_stream(docs: &[Value]) -> (usize, Vec<String>) {
    let mut v = Vec::new();
    let mut n = 0;
    let mut pod_namespaces = std::collections::BTreeSet::new();
    for d in docs {
        for (where_, t) in pod_templates(d) {
            n += 1;
            pod_namespaces.insert(
                d["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            );
            v.extend(check_pod(&t).into_iter().map(|m| format!("{where_}: {m}")));
        }
    }
    let namespaces: Vec<Namespace> = docs
        .iter()
        .filter(|d| d["kind"] == "Namespace")
        .map(typed)
        .collect();
    for ns in &namespaces {
        let labels = ns.metadata.labels.clone().unwrap_or_default();
        let name = ns.metadata.name.as_deref().unwrap_or("?");
        if labels.get(ENFORCE).map(String::as_str) != Some("restricted") {
            v.push(format!(
                "namespaceEnforceLabel: Namespace/{name} lacks {ENFORCE}: restricted (has {:?})",
                labels.get(ENFORCE)
            ));
        }
        if let Some(ver) = labels.get(&format!("{ENFORCE}-version"))
            && ver != "latest"
            && !ver.starts_with("v1.")
        {
            v.push(format!(
                "namespaceEnforceLabel: Namespace/{name} has bad {ENFORCE}-version {ver:?}"
            ));
        }
    }
    for ns in pod_namespaces {
        if !namespaces
            .iter()
            .any(|n| n.metadata.name.as_deref() == Some(ns.as_str()))
        {
            v.push(format!(
                "namespaceEnforceLabel: pods in namespace {ns:?}, which the output does not create"
            ));
        }
    }
    (n, v)
}

#[test]
fn every_rendering_meets_pod_security_restricted() {
    let mut report = Vec::new();
    for (name, profiles, files) in renderings() {
        let (n, violations) = check_stream(&render(&profiles, &files));
        assert!(n >= 1, "{name}: no pod template found, nothing was checked");
        println!("PASS pss-restricted {name}: {n} pod templates");
        report.extend(violations.into_iter().map(|m| format!("{name}: {m}")));
    }
    assert!(
        report.is_empty(),
        "Pod Security restricted violations:\n{}",
        report.join("\n")
    );
}

/// One broken object per control: (control that must report it, JSON pointer into the
/// defaults' agent Deployment (or Namespace), value to put there). `C/` is short for the first
/// container's securityContext, `P/` for the pod spec.
#[rustfmt::skip] // a table: one broken object per line
fn breakages() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("hostNamespaces", "P/hostNetwork", json!(true)),
        ("hostNamespaces", "P/hostPID", json!(true)),
        ("privileged", "C/privileged", json!(true)),
        ("capabilities", "C/capabilities", json!({"drop": ["NET_RAW"]})),
        ("capabilities", "C/capabilities", json!({"drop": ["ALL"], "add": ["SYS_ADMIN"]})),
        ("hostPathVolumes", "P/volumes/-", json!({"name": "h", "hostPath": {"path": "/var/run"}})),
        ("volumeTypes", "P/volumes/-", json!({"name": "n", "nfs": {"server": "x", "path": "/"}})),
        ("hostPorts", "P/containers/0/ports/0/hostPort", json!(8080)),
        ("appArmor", "C/appArmorProfile", json!({"type": "Unconfined"})),
        ("appArmor", APPARMOR_ANNOTATION, json!("unconfined")),
        ("seLinux", "C/seLinuxOptions", json!({"type": "spc_t"})),
        ("procMount", "C/procMount", json!("Unmasked")),
        ("seccomp", "P/securityContext/seccompProfile", json!({"type": "Unconfined"})),
        ("sysctls", "P/securityContext/sysctls", json!([{"name": "kernel.msgmax", "value": "1"}])),
        ("windowsHostProcess", "C/windowsOptions", json!({"hostProcess": true})),
        ("allowPrivilegeEscalation", "C/allowPrivilegeEscalation", json!(true)),
        ("runAsNonRoot", "C/runAsNonRoot", json!(false)),
        ("runAsUser", "C/runAsUser", json!(0)),
        ("runAsUser", "P/securityContext/runAsUser", json!(1000)),
        ("readOnlyRootFilesystem", "C/readOnlyRootFilesystem", json!(false)),
        ("namespaceEnforceLabel", "/metadata/labels/pod-security.kubernetes.io~1enforce", json!("baseline")),
        // removed everywhere, not just set wrong
        ("seccomp", "-/seccompProfile", Value::Null),
        ("runAsNonRoot", "-/runAsNonRoot", Value::Null),
    ]
}

const APPARMOR_ANNOTATION: &str =
    "/spec/template/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1agent";

/// Sets `ptr` in `doc` (creating maps; `/-` appends to an array); `-/KEY` removes KEY from the
/// pod's and every container's securityContext.
fn apply(doc: &mut Value, ptr: &str, v: Value) {
    if let Some(key) = ptr.strip_prefix("-/") {
        let pod = doc
            .pointer_mut("/spec/template/spec")
            .expect("a pod template");
        if let Some(sc) = pod["securityContext"].as_object_mut() {
            sc.remove(key);
        }
        for c in pod["containers"].as_array_mut().into_iter().flatten() {
            if let Some(sc) = c["securityContext"].as_object_mut() {
                sc.remove(key);
            }
        }
        return;
    }
    let ptr = match ptr.split_at(2) {
        ("C/", rest) => format!("/spec/template/spec/containers/0/securityContext/{rest}"),
        ("P/", rest) => format!("/spec/template/spec/{rest}"),
        _ => ptr.to_string(),
    };
    let (parent, last) = ptr.rsplit_once('/').expect("a JSON pointer");
    let mut cur = doc;
    for seg in parent.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Value::Array(a) => &mut a[seg.parse::<usize>().expect("an index")],
            _ => {
                if cur.is_null() {
                    *cur = json!({});
                }
                cur.as_object_mut()
                    .expect("a map")
                    .entry(seg)
                    .or_insert(Value::Null)
            }
        };
    }
    let last = last.replace("~1", "/").replace("~0", "~");
    match cur {
        Value::Array(a) if last == "-" => a.push(v),
        Value::Array(a) => a[last.parse::<usize>().expect("an index")] = v,
        _ => {
            if cur.is_null() {
                *cur = json!({});
            }
            cur.as_object_mut().expect("a map").insert(last, v);
        }
    }
}

#[test]
fn each_control_rejects_its_broken_object() {
    let good = render(&[], &[]);
    assert!(
        check_stream(&good).1.is_empty(),
        "the defaults must pass before they are broken"
    );
    let mut missed = Vec::new();
    for (control, ptr, v) in breakages() {
        let kind = if control == "namespaceEnforceLabel" {
            "Namespace"
        } else {
            "Deployment"
        };
        let mut docs = good.clone();
        let doc = docs
            .iter_mut()
            .find(|d| d["kind"] == kind)
            .expect("the defaults render this kind");
        apply(doc, ptr, v.clone());
        let (_, violations) = check_stream(&docs);
        if violations
            .iter()
            .any(|m| m.contains(&format!("{control}: ")))
        {
            println!("PASS pss-negative {control} {ptr} = {v}");
        } else {
            missed.push(format!(
                "{control}: {ptr} = {v} went unnoticed (violations: {violations:?})"
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "negative controls not caught:\n{}",
        missed.join("\n")
    );
}

/// The shared list covers every profile alone, the profiles together, and every example alone
/// and with `dev`: a new profile or example fails here until the gates check it.
#[test]
fn the_renderings_cover_every_profile_and_example() {
    let list: Vec<(Vec<String>, Vec<String>)> =
        renderings().into_iter().map(|(_, p, f)| (p, f)).collect();
    let has = |p: &[&str], f: &[String]| {
        list.iter()
            .any(|(lp, lf)| lp.iter().map(String::as_str).eq(p.iter().copied()) && lf == f)
    };
    let mut missing = Vec::new();
    let profiles = stems("profiles");
    assert!(profiles.len() >= 3, "profiles/ lists {profiles:?}");
    for p in &profiles {
        if !has(&[p.as_str()], &[]) {
            missing.push(format!("-p {p}"));
        }
    }
    let all: Vec<&str> = profiles
        .iter()
        .map(String::as_str)
        .filter(|p| *p != "dev")
        .collect();
    if !has(&all, &[]) {
        missing.push(format!("-p {}", all.join(" -p ")));
    }
    let examples = stems("examples");
    assert!(examples.len() >= 5, "examples/ lists {examples:?}");
    for e in &examples {
        let f = vec![format!("examples/{e}.yaml")];
        for p in [&[][..], &["dev"][..]] {
            if !has(p, &f) {
                missing.push(format!(
                    "{} -f {}",
                    p.iter()
                        .map(|p| format!("-p {p}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    f[0]
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{RENDERINGS} lacks: {missing:?}");
}
