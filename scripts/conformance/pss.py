"""Pod Security Standards `restricted` checker (gate 4) for a built Kubernetes stream.

Implements the controls of the "restricted" profile of the Kubernetes Pod Security
Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/, policy
version "latest" as of Kubernetes 1.33), which include all "baseline" controls, plus the
house rules of agentctl's output:

  * runAsUser, when set, is >= 10000 (PSS itself only forbids 0),
  * readOnlyRootFilesystem: true on every container,
  * every namespace that holds a pod template is rendered with the label
    pod-security.kubernetes.io/enforce: restricted (so the cluster enforces the same).

Usage as a script: python pss.py BUILT.yaml   (exit 1 on any violation)
"""
from __future__ import annotations

import sys
from typing import Any, Iterable

import yaml

MIN_UID = 10000

# Baseline: the only sysctls that may be set.
SAFE_SYSCTLS = {
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
}
# Restricted: the only volume types allowed.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
}
ALLOWED_SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
NS_LABEL = "pod-security.kubernetes.io/enforce"

# Number of distinct controls evaluated per pod template (reported as figures).
CONTROLS = [
    "hostNamespaces", "privileged", "capabilities", "hostPathVolumes", "hostPorts",
    "appArmor", "seLinux", "procMount", "seccomp", "sysctls", "windowsHostProcess",
    "volumeTypes", "allowPrivilegeEscalation", "runAsNonRoot", "runAsUser",
    "readOnlyRootFilesystem", "namespaceEnforceLabel",
]


def pod_templates(doc: dict) -> Iterable[tuple[str, dict, dict]]:
    """Yield (where, pod_metadata, pod_spec) for every pod template in an object."""
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        yield "spec", doc.get("metadata") or {}, spec
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"):
        t = spec.get("template") or {}
        yield "spec.template.spec", t.get("metadata") or {}, t.get("spec") or {}
    elif kind == "CronJob":
        t = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        yield "spec.jobTemplate.spec.template.spec", t.get("metadata") or {}, t.get("spec") or {}
    elif kind == "PodTemplate":
        t = doc.get("template") or {}
        yield "template.spec", t.get("metadata") or {}, t.get("spec") or {}


def check_pod(pmeta: dict, pspec: dict) -> list[str]:
    """Return a list of violations for one pod spec (empty when compliant)."""
    v: list[str] = []
    psc = pspec.get("securityContext") or {}
    containers = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in pspec.get(field) or []:
            containers.append((f"{field}[{c.get('name')}]", c, c.get("securityContext") or {}))

    # --- baseline -------------------------------------------------------
    for h in ("hostNetwork", "hostPID", "hostIPC"):
        if pspec.get(h):
            v.append(f"hostNamespaces: {h}: true")
    if pspec.get("hostUsers") is False:
        pass  # user namespaces are allowed (stricter, not looser)
    for where, c, sc in containers:
        if sc.get("privileged"):
            v.append(f"privileged: {where}.securityContext.privileged: true")
        for p in c.get("ports") or []:
            if p.get("hostPort") not in (None, 0):
                v.append(f"hostPorts: {where} hostPort {p.get('hostPort')}")
        if sc.get("procMount") not in (None, "Default"):
            v.append(f"procMount: {where}.securityContext.procMount={sc.get('procMount')}")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            v.append(f"windowsHostProcess: {where}")
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        v.append("windowsHostProcess: pod securityContext")
    for vol in pspec.get("volumes") or []:
        if "hostPath" in vol:
            v.append(f"hostPathVolumes: volume {vol.get('name')} is hostPath")
        types = [k for k in vol if k != "name"]
        for t in types:
            if t not in RESTRICTED_VOLUME_TYPES:
                v.append(f"volumeTypes: volume {vol.get('name')} has type {t}")
    # AppArmor (annotations and, from 1.30, securityContext.appArmorProfile)
    for k, val in ((pmeta.get("annotations") or {}).items()):
        if str(k).startswith("container.apparmor.security.beta.kubernetes.io/"):
            if not (val == "runtime/default" or str(val).startswith("localhost/")):
                v.append(f"appArmor: annotation {k}={val}")
    for where, sc_ in [("pod", psc)] + [(w, s) for w, _, s in containers]:
        ap = (sc_.get("appArmorProfile") or {}).get("type")
        if ap not in (None, "RuntimeDefault", "Localhost"):
            v.append(f"appArmor: {where} appArmorProfile.type={ap}")
        se = sc_.get("seLinuxOptions") or {}
        if se.get("type", "") not in ALLOWED_SELINUX_TYPES:
            v.append(f"seLinux: {where} seLinuxOptions.type={se.get('type')}")
        if se.get("user") or se.get("role"):
            v.append(f"seLinux: {where} seLinuxOptions.user/role set")
    for s in psc.get("sysctls") or []:
        if s.get("name") not in SAFE_SYSCTLS:
            v.append(f"sysctls: unsafe sysctl {s.get('name')}")

    # --- restricted -----------------------------------------------------
    pod_nonroot = psc.get("runAsNonRoot")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        v.append(f"seccomp: pod seccompProfile.type={pod_seccomp}")
    if pod_nonroot is False:
        v.append("runAsNonRoot: pod securityContext.runAsNonRoot: false")
    for where, sc_ in [("pod", psc)] + [(w, s) for w, _, s in containers]:
        uid = sc_.get("runAsUser")
        if uid is not None:
            if not isinstance(uid, int) or isinstance(uid, bool) or uid == 0:
                v.append(f"runAsUser: {where} runAsUser={uid!r} (root)")
            elif uid < MIN_UID:
                v.append(f"runAsUser: {where} runAsUser={uid} < {MIN_UID}")
    if not containers:
        v.append("pod has no containers")
    for where, c, sc in containers:
        if sc.get("allowPrivilegeEscalation") is not False:
            v.append(f"allowPrivilegeEscalation: {where} must set allowPrivilegeEscalation: false")
        nr = sc.get("runAsNonRoot")
        if nr is False or (nr is None and pod_nonroot is not True):
            v.append(f"runAsNonRoot: {where} (and the pod) must set runAsNonRoot: true")
        st = (sc.get("seccompProfile") or {}).get("type")
        if st is not None and st not in ("RuntimeDefault", "Localhost"):
            v.append(f"seccomp: {where} seccompProfile.type={st}")
        if st is None and pod_seccomp is None:
            v.append(f"seccomp: {where} (and the pod) must set seccompProfile.type RuntimeDefault")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            v.append(f"capabilities: {where} must drop ALL")
        for a in caps.get("add") or []:
            if a != "NET_BIND_SERVICE":
                v.append(f"capabilities: {where} adds {a}")
        if sc.get("readOnlyRootFilesystem") is not True:
            v.append(f"readOnlyRootFilesystem: {where} must set readOnlyRootFilesystem: true")
    return v


def check_stream(docs: list[dict]) -> tuple[int, list[str]]:
    """Return (number of pod templates checked, violations) for a list of objects."""
    nss = {}
    for d in docs:
        if d.get("kind") == "Namespace":
            nss[(d.get("metadata") or {}).get("name")] = d
    violations: list[str] = []
    n = 0
    pod_namespaces = set()
    for d in docs:
        meta = d.get("metadata") or {}
        for where, pmeta, pspec in pod_templates(d):
            n += 1
            pod_namespaces.add(meta.get("namespace"))
            for msg in check_pod(pmeta, pspec):
                violations.append(f"{d.get('kind')}/{meta.get('name')} {where}: {msg}")
    if not nss:
        violations.append("namespaceEnforceLabel: no Namespace object in the output")
    for name, ns in sorted(nss.items(), key=lambda x: str(x[0])):
        labels = (ns.get("metadata") or {}).get("labels") or {}
        if labels.get(NS_LABEL) != "restricted":
            violations.append(f"namespaceEnforceLabel: Namespace/{name} lacks label {NS_LABEL}: restricted "
                              f"(has {labels.get(NS_LABEL)!r})")
        ver = labels.get(NS_LABEL + "-version")
        if ver is not None and ver != "latest" and not str(ver).startswith("v1."):
            violations.append(f"namespaceEnforceLabel: Namespace/{name} has bad {NS_LABEL}-version {ver!r}")
    for ns in sorted(pod_namespaces, key=str):
        if ns not in nss:
            violations.append(f"namespaceEnforceLabel: pods in namespace {ns!r}, which the output does not "
                              "create with the restricted label")
    return n, violations


def main(argv: list[str]) -> int:
    rc = 0
    for path in argv[1:]:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        n, vs = check_stream(docs)
        for msg in vs:
            print(f"{path}: {msg}")
        print(f"{path}: {n} pod templates, {len(vs)} violations")
        rc |= 1 if vs else 0
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
