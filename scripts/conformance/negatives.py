"""Negative controls: deliberately broken renderings that a gate MUST fail.

Each control copies a good rendered directory (agentctl's output for the defaults, or for
the YAML-safety override) and breaks it in one way, by editing the YAML objects or, where the
point is how the text is written (an unquoted `on`), the text itself. A gate that passes one
of these is not a gate: run.py counts such a control as a failure.

`expect` names the checks that must fail: "gate:tool" -> description. For gate2-schema,
`versions` lists the Kubernetes versions that must fail (and all others must pass), which
proves the per-version schemas are really in use.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Callable

import yaml


# ---------------------------------------------------------------- helpers

class _Loader(yaml.SafeLoader):
    """SafeLoader, with a bare `=` read as a string (see run.Loader)."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _load(d: str, fname: str) -> list:
    with open(os.path.join(d, fname)) as f:
        return [x for x in yaml.load_all(f, Loader=_Loader) if x is not None]


class _Dumper(yaml.SafeDumper):
    """Double-quotes every string, so a re-written file means the same to YAML 1.1 readers
    (kubectl) and YAML 1.2 readers (kustomize): PyYAML alone leaves e.g. `0o17` or `1e3`
    bare, which kustomize reads as numbers. Only the intended breakage may differ."""


_Dumper.add_representer(str, lambda dumper, v: dumper.represent_scalar("tag:yaml.org,2002:str", v, style='"'))


def _save(d: str, fname: str, docs: list) -> None:
    with open(os.path.join(d, fname), "w") as f:
        yaml.dump_all(docs, f, Dumper=_Dumper, sort_keys=False, explicit_start=True, allow_unicode=True,
                      width=10_000)


def _file_with_kind(d: str, kind: str, name: str | None = None) -> tuple[str, list, dict]:
    for fname in sorted(os.listdir(d)):
        if not fname.endswith((".yaml", ".yml")) or fname.startswith("kustomization"):
            continue
        docs = _load(d, fname)
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == kind and (
                    name is None or (doc.get("metadata") or {}).get("name") == name):
                return fname, docs, doc
    raise LookupError(f"no {kind} {name or ''} in {d}")


def _edit(d: str, kind: str, fn: Callable[[dict], None], name: str | None = None) -> None:
    fname, docs, doc = _file_with_kind(d, kind, name)
    fn(doc)
    _save(d, fname, docs)


def _kustomization(d: str) -> str:
    for n in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if os.path.exists(os.path.join(d, n)):
            return n
    raise LookupError(f"no kustomization in {d}")


def _add_resource(d: str, fname: str, docs: list) -> None:
    _save(d, fname, docs)
    k = _kustomization(d)
    kd = _load(d, k)[0]
    kd.setdefault("resources", []).append(fname)
    _save(d, k, [kd])


def _pod(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]


def _c0(doc: dict) -> dict:
    return _pod(doc)["containers"][0]


def _sm_endpoint(doc: dict) -> dict:
    return doc["spec"]["endpoints"][0]


def _insert_configmap_line(d: str, line: str, cm_name: str = "agent-config") -> None:
    """Insert `KEY: value` as raw text as the first entry of the ConfigMap's data map."""
    fname, _, _ = _file_with_kind(d, "ConfigMap", cm_name)
    path = os.path.join(d, fname)
    with open(path) as f:
        lines = f.read().split("\n")
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*)data:\s*$", l)
        if m:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            ind = re.match(r"^(\s*)", nxt).group(1)
            if len(ind) <= len(m.group(1)):
                ind = m.group(1) + "  "
            lines.insert(i + 1, ind + line)
            with open(path, "w") as f:
                f.write("\n".join(lines))
            return
    raise LookupError(f"no block 'data:' line in {fname}")


def _duplicate_configmap_key(d: str) -> None:
    fname, _, _ = _file_with_kind(d, "ConfigMap", "agent-config")
    path = os.path.join(d, fname)
    with open(path) as f:
        lines = f.read().split("\n")
    for i, l in enumerate(lines):
        if re.match(r"^\s*data:\s*$", l):
            lines.insert(i + 1, lines[i + 1])  # the first data entry, twice
            with open(path, "w") as f:
                f.write("\n".join(lines))
            return
    raise LookupError("no data: line")


# ---------------------------------------------------------------- mutations

def m_missing_resource(d):
    k = _kustomization(d)
    kd = _load(d, k)[0]
    kd.setdefault("resources", []).append("does-not-exist.yaml")
    _save(d, k, [kd])


def m_duplicate_object(d):
    fname, docs, doc = _file_with_kind(d, "Deployment")
    _add_resource(d, "duplicate-deployment.yaml", [doc])


def m_unknown_field(d):
    _edit(d, "Deployment", lambda o: _c0(o).setdefault("securityContext", {}).__setitem__("runAsNonRot", True))


def m_wrong_type(d):
    _edit(d, "Deployment", lambda o: o["spec"].__setitem__("replicas", "three"))


def m_missing_required(d):
    def fn(o):
        del o["spec"]["ports"][0]["port"]
    _edit(d, "Service", fn)


def m_unknown_kind(d):
    _add_resource(d, "widget.yaml", [{
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "stray", "namespace": "production-agents"}, "spec": {"size": 1}}])


def m_removed_api(d):
    def fn(o):
        o["apiVersion"] = "policy/v1beta1"
    _edit(d, "PodDisruptionBudget", fn)


def m_field_too_new(d):
    # securityContext.appArmorProfile exists from Kubernetes 1.30 on.
    _edit(d, "Deployment", lambda o: _c0(o).setdefault("securityContext", {}).__setitem__(
        "appArmorProfile", {"type": "RuntimeDefault"}))


def m_sm_bad_enum(d):
    _edit(d, "ServiceMonitor", lambda o: _sm_endpoint(o).__setitem__("scheme", "htttp"))


def m_sm_bad_pattern(d):
    _edit(d, "ServiceMonitor", lambda o: _sm_endpoint(o).__setitem__("interval", "30 seconds"))


def m_sm_unknown_field(d):
    _edit(d, "ServiceMonitor", lambda o: _sm_endpoint(o).__setitem__("scrapeIntervall", "30s"))


def m_sm_wrong_type(d):
    _edit(d, "ServiceMonitor", lambda o: o["spec"].__setitem__("selector", ["app=agent"]))


def m_unknown_monitoring_kind(d):
    _add_resource(d, "foomonitor.yaml", [{
        "apiVersion": "monitoring.coreos.com/v1", "kind": "FooMonitor",
        "metadata": {"name": "stray", "namespace": "production-agents"}, "spec": {}}])


def m_privileged(d):
    _edit(d, "Deployment", lambda o: _c0(o).setdefault("securityContext", {}).__setitem__("privileged", True))


def m_run_as_root(d):
    def fn(o):
        p = _pod(o)
        p.setdefault("securityContext", {})["runAsUser"] = 0
        p["securityContext"].pop("runAsNonRoot", None)
        for c in p["containers"]:
            sc = c.setdefault("securityContext", {})
            sc["runAsUser"] = 0
            sc.pop("runAsNonRoot", None)
    _edit(d, "Deployment", fn)


def m_hostpath(d):
    def fn(o):
        p = _pod(o)
        p.setdefault("volumes", []).append({"name": "host", "hostPath": {"path": "/var/run"}})
        _c0(o).setdefault("volumeMounts", []).append({"name": "host", "mountPath": "/host"})
    _edit(d, "Deployment", fn)


def m_host_network(d):
    _edit(d, "StatefulSet", lambda o: _pod(o).__setitem__("hostNetwork", True))


def m_no_seccomp(d):
    def fn(o):
        p = _pod(o)
        (p.get("securityContext") or {}).pop("seccompProfile", None)
        for c in p["containers"] + p.get("initContainers", []):
            (c.get("securityContext") or {}).pop("seccompProfile", None)
    _edit(d, "Deployment", fn)


def m_writable_root(d):
    _edit(d, "Deployment", lambda o: _c0(o).setdefault("securityContext", {}).__setitem__(
        "readOnlyRootFilesystem", False))


def m_namespace_not_enforced(d):
    def fn(o):
        labels = o.setdefault("metadata", {}).setdefault("labels", {})
        labels["pod-security.kubernetes.io/enforce"] = "baseline"
    _edit(d, "Namespace", fn)


def m_image_latest(d):
    def fn(o):
        c = _c0(o)
        c["image"] = "registry.example.com/agent:latest"
        c["imagePullPolicy"] = "IfNotPresent"
    _edit(d, "Deployment", fn)


def m_unquoted_on(d):
    _insert_configmap_line(d, "NEG_FEATURE_FLAG: on")


def m_implicit_octal(d):
    _insert_configmap_line(d, "NEG_FILE_MODE: 0644")


def m_bare_null(d):
    _insert_configmap_line(d, "NEG_EMPTY: ~")


def m_bare_date(d):
    _insert_configmap_line(d, "NEG_RELEASE_DATE: 2024-01-01")


def m_duplicate_key(d):
    _duplicate_configmap_key(d)


def m_value_changed(d):
    def fn(o):
        data = o.setdefault("data", {})
        for k in list(data):
            if k.endswith("LEADING_SPACE"):
                data[k] = data[k].lstrip()
                return
        raise LookupError("no *LEADING_SPACE key in the yaml-safety ConfigMap")
    _edit(d, "ConfigMap", fn, "agent-config")


@dataclass
class Negative:
    name: str
    base: str                      # rendering to copy: "defaults" or "yaml-safety"
    mutate: Callable[[str], None]
    expect: dict[str, str]         # check id -> what it must catch
    versions: list[str] = field(default_factory=list)  # gate2: versions that must fail
    note: str = ""


NEGATIVES: list[Negative] = [
    Negative("missing-resource", "defaults", m_missing_resource,
             {"gate1-kustomize": "kustomization lists a file that does not exist"}),
    Negative("duplicate-object", "defaults", m_duplicate_object,
             {"gate1-kustomize": "two objects with the same id"}),
    Negative("unknown-field", "defaults", m_unknown_field,
             {"gate2-schema": "securityContext.runAsNonRot (typo) in the Deployment"}),
    Negative("wrong-type", "defaults", m_wrong_type,
             {"gate2-schema": "Deployment spec.replicas: \"three\""}),
    Negative("missing-required", "defaults", m_missing_required,
             {"gate2-schema": "Service spec.ports[0] without port"}),
    Negative("unknown-kind", "defaults", m_unknown_kind,
             {"gate2-schema": "example.com/v1 Widget, a kind with no schema"}),
    Negative("removed-api", "defaults", m_removed_api,
             {"gate2-schema": "policy/v1beta1 PodDisruptionBudget (removed in 1.25)"}),
    Negative("field-too-new-for-1.27", "defaults", m_field_too_new,
             {"gate2-schema": "securityContext.appArmorProfile (exists from 1.30)"},
             versions=["1.27", "1.28", "1.29"]),
    Negative("servicemonitor-bad-enum", "defaults", m_sm_bad_enum,
             {"gate3-crd-schema": "endpoints[0].scheme: htttp",
              "gate3-kubernetes-models": "endpoints[0].scheme: htttp"}),
    Negative("servicemonitor-bad-pattern", "defaults", m_sm_bad_pattern,
             {"gate3-crd-schema": "endpoints[0].interval: 30 seconds",
              "gate3-kubernetes-models": "endpoints[0].interval: 30 seconds"}),
    Negative("servicemonitor-wrong-type", "defaults", m_sm_wrong_type,
             {"gate3-crd-schema": "spec.selector is a list",
              "gate3-kubernetes-models": "spec.selector is a list"}),
    Negative("servicemonitor-unknown-field", "defaults", m_sm_unknown_field,
             {"gate3-crd-schema": "endpoints[0].scrapeIntervall (typo)"},
             note="kubernetes-models does not reject unknown fields; the CRD schema check does"),
    Negative("unknown-monitoring-kind", "defaults", m_unknown_monitoring_kind,
             {"gate3-crd-schema": "monitoring.coreos.com/v1 FooMonitor",
              "gate3-kubernetes-models": "monitoring.coreos.com/v1 FooMonitor"}),
    Negative("privileged", "defaults", m_privileged,
             {"gate4-pss": "privileged: true", "gate4-checkov": "privileged: true (CKV_K8S_16)"}),
    Negative("run-as-root", "defaults", m_run_as_root,
             {"gate4-pss": "runAsUser: 0", "gate4-checkov": "runAsUser: 0 (CKV_K8S_23/40)"}),
    Negative("no-seccomp", "defaults", m_no_seccomp,
             {"gate4-pss": "no seccompProfile", "gate4-checkov": "no seccompProfile (CKV_K8S_31)"}),
    Negative("hostpath-volume", "defaults", m_hostpath,
             {"gate4-pss": "hostPath volume"}),
    Negative("host-network", "defaults", m_host_network,
             {"gate4-pss": "hostNetwork: true", "gate4-checkov": "hostNetwork: true (CKV_K8S_19)"}),
    Negative("writable-root-fs", "defaults", m_writable_root,
             {"gate4-pss": "readOnlyRootFilesystem: false",
              "gate4-checkov": "readOnlyRootFilesystem: false (CKV_K8S_22)"}),
    Negative("namespace-not-restricted", "defaults", m_namespace_not_enforced,
             {"gate4-pss": "namespace enforces baseline, not restricted"}),
    Negative("image-latest-tag", "defaults", m_image_latest,
             {"gate4-checkov": "image :latest, not pinned by digest (CKV_K8S_14/43)"}),
    Negative("unquoted-on", "defaults", m_unquoted_on,
             {"gate5-yamllint": "bare `on` (truthy)", "gate5-roundtrip": "bare `on` reads back as true"}),
    Negative("implicit-octal", "defaults", m_implicit_octal,
             {"gate5-yamllint": "bare `0644` (octal-values)", "gate5-roundtrip": "bare 0644 reads back as 420"}),
    Negative("bare-null", "defaults", m_bare_null,
             {"gate5-roundtrip": "bare `~` reads back as null"}),
    Negative("bare-date", "defaults", m_bare_date,
             {"gate5-roundtrip": "bare 2024-01-01 reads back as a date"}),
    Negative("duplicate-key", "defaults", m_duplicate_key,
             {"gate5-yamllint": "duplicate key in the ConfigMap"}),
    Negative("value-changed", "yaml-safety", m_value_changed,
             {"gate5-values": "a leading space lost on the way to the ConfigMap"}),
]


def make(neg: Negative, base_dir: str, out_dir: str) -> None:
    shutil.copytree(base_dir, out_dir)
    neg.mutate(out_dir)
