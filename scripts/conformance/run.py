#!/usr/bin/env python3
"""agentctl conformance driver: renders every profile and runs the five gates of issue 5.

Started by scripts/conformance.sh with the tools' venv (PyYAML, jsonschema,
kubernetes-validate, yamllint, checkov). Prints one line per gate and rendering:

    PASS gate2-schema k8s-1.29 high-throughput
    FAIL gate4-checkov defaults (CKV_K8S_35 Deployment/agent-deployment: ...)
    !!! GATE NOT RUN: gate3-kubernetes-models: ... !!!        (counted as a failure)

then figures and a final `N passed, N failed` line. Exit 1 on any failure.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crd_validate  # noqa: E402
import negatives  # noqa: E402
import pss  # noqa: E402

K8S_VERSIONS = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]
CRD_GROUP = "monitoring.coreos.com"
OVR = os.path.join(HERE, "overrides")
REPO = os.path.dirname(os.path.dirname(HERE))
# The project's own example of digest pinning, if present; else ours.
DIGESTS = next(p for p in (os.path.join(REPO, "examples", "pinned-digests.yaml"), os.path.join(OVR, "digests.yaml"))
               if os.path.exists(p))
# Values given with --set (typed by the schema: strings here), checked like the file's.
SET_VALUES = {"YS_SET_ON": "on", "YS_SET_OCTAL": "012", "YS_SET_DATE": "2024-01-01", "YS_SET_TILDE": "~",
              "YS_SET_SPACE": " x", "YS_SET_COLON": "1:20", "YS_SET_EMPTY": ""}
PROFILES: list[tuple[str, list[str]]] = [
    ("defaults", []),
    ("dev", ["-p", "dev"]),
    ("high-throughput", ["-p", "high-throughput"]),
    ("low-latency", ["-p", "low-latency"]),
    ("high-throughput+low-latency", ["-p", "high-throughput", "-p", "low-latency"]),
    ("digests", ["-f", DIGESTS]),
    ("high-throughput+low-latency+digests",
     ["-p", "high-throughput", "-p", "low-latency", "-f", DIGESTS]),
    ("yaml-safety", ["-f", os.path.join(OVR, "yaml-safety.yaml")]
     + [a for k, v in SET_VALUES.items() for a in ("--set", f"agent.config.extra.{k}={v}")]),
]
# Renderings that agentctl may legitimately refuse (exit 2): reported as a NOTE then.
OPTIONAL_PROFILES: list[tuple[str, list[str]]] = [
    ("yaml-safety-keys", ["-f", os.path.join(OVR, "yaml-safety-keys.yaml")]),
]
EXPECTED_FROM = {
    "yaml-safety": os.path.join(OVR, "yaml-safety.yaml"),
    "yaml-safety-keys": os.path.join(OVR, "yaml-safety-keys.yaml"),
}


# ------------------------------------------------------------------ reporting

class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.fail_lines: list[str] = []
        self.figures: dict[str, Counter] = defaultdict(Counter)
        self.neg_figures: dict[str, Counter] = defaultdict(Counter)
        self.times: dict[str, float] = defaultdict(float)
        self.versions: dict[str, str] = {}
        self.skips: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self.errs: dict[tuple[str, str], list[str]] = {}  # (check, rendering) -> problems
        self.subjects: Counter = Counter()  # rendering subject -> lines printed
        self.per_check: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])

    def line(self, ok: bool, check: str, subject: str, detail: str = "") -> None:
        s = f"{'PASS' if ok else 'FAIL'} {check} {subject}" + (f" ({detail})" if detail else "")
        print(s, flush=True)
        self.subjects[subject.split()[-1]] += 1
        kind = "negative controls" if subject.split()[-1].startswith("negative:") else "renderings"
        self.per_check[(check, kind)][0 if ok else 1] += 1
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.fail_lines.append(s)

    def not_run(self, check: str, why: str) -> None:
        s = f"!!! GATE NOT RUN: {check}: {why} !!!"
        print(s, flush=True)
        self.failed += 1
        self.fail_lines.append(s)

    def note(self, msg: str) -> None:
        print(f"NOTE {msg}", flush=True)


def F(rep: "Report", r: "Rendering") -> dict[str, Counter]:
    """Figures are about agentctl's real output: negative controls count apart."""
    return rep.figures if r.neg is None else rep.neg_figures


def short(s: str, n: int = 400) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 3] + "..."


# ------------------------------------------------------------------ renderings

@dataclass
class Rendering:
    name: str
    dir: str
    neg: negatives.Negative | None = None
    stream: str | None = None                  # agentctl stdout (no -o)
    expected: dict[str, str] | None = None     # gate 5 values: ConfigMap data that must arrive
    builds: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # kubectl label -> rc, out, err
    docs: list | None = None                   # reference build, parsed (YAML 1.1)
    built_path: str | None = None

    @property
    def subject(self) -> str:
        return f"negative:{self.neg.name}" if self.neg else self.name

    def wants(self, check: str) -> bool:
        return self.neg is None or check in self.neg.expect


def run(cmd: list[str], timeout: int = 300, **kw) -> tuple[int, str, str]:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
        return p.returncode, p.stdout, p.stderr
    except FileNotFoundError as e:
        return 127, "", str(e)
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout}s"


class Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader (YAML 1.1, like kubectl's go-yaml v2), except that a bare `=` or
    `<<` in value position is a string. `kubectl kustomize` writes both bare; go-yaml reads
    them as strings, while PyYAML alone resolves them to the draft YAML 1.1 `value` type and
    the merge key and then cannot construct them (kubernetes-validate does the same for `=`).
    `<<` as a mapping key still merges."""


for _tag in ("tag:yaml.org,2002:value", "tag:yaml.org,2002:merge"):
    Loader.add_constructor(_tag, lambda loader, node: loader.construct_scalar(node))


def load_docs(text: str) -> list:
    return [d for d in yaml.load_all(text, Loader=Loader) if d is not None]


def obj_id(d: Any) -> str:
    if not isinstance(d, dict):
        return f"<non-object {type(d).__name__}>"
    m = d.get("metadata") or {}
    return f"{d.get('kind')}/{m.get('name')}"


# ------------------------------------------------------------------ gate 1

def find_kubectls() -> tuple[dict[str, str], list[str]]:
    """Map label -> kubectl path: 'kubectl' (PATH) and each K8S version."""
    found: dict[str, str] = {}
    missing = []
    main = shutil.which("kubectl")
    kdir = os.environ.get("AGENTCTL_KUBECTL_DIR") or (os.path.dirname(os.path.realpath(main)) if main else "")
    if main:
        found["kubectl"] = main
    for v in K8S_VERSIONS:
        p = os.path.join(kdir, f"kubectl.{v}") if kdir else ""
        if p and os.access(p, os.X_OK):
            found[v] = p
        elif shutil.which(f"kubectl.{v}"):
            found[v] = shutil.which(f"kubectl.{v}")
        else:
            missing.append(v)
    return found, missing


def gate1(rep: Report, rs: list[Rendering], kubectls: dict[str, str], jobs: int) -> None:
    t0 = time.time()
    ref_label = "kubectl" if "kubectl" in kubectls else (max(kubectls, key=lambda v: v) if kubectls else None)
    if ref_label is None:
        rep.not_run("gate1-kustomize", "no kubectl found on PATH")
        return
    tasks = []
    for r in rs:
        labels = [ref_label] if (r.neg and "gate1-kustomize" not in r.neg.expect) else list(kubectls)
        for lab in labels:
            tasks.append((r, lab))
    with cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        futs = {ex.submit(run, [kubectls[lab], "kustomize", r.dir], 120): (r, lab) for r, lab in tasks}
        for f in cf.as_completed(futs):
            r, lab = futs[f]
            r.builds[lab] = f.result()
    rep.figures["kubectl kustomize"]["builds run"] += sum(1 for r, _ in tasks if r.neg is None)
    for r in rs:
        rc, out, err = r.builds[ref_label]
        if rc == 0:
            r.built_path = os.path.join(os.path.dirname(r.dir), f"{os.path.basename(r.dir)}.built.yaml")
            with open(r.built_path, "w") as f:
                f.write(out)
            try:
                r.docs = load_docs(out)
            except yaml.YAMLError as e:
                r.docs = None
                rc, err = 1, f"kubectl kustomize output is not YAML 1.1: {short(e, 300)}"
                if r.neg is None:
                    rep.line(False, "gate1-kustomize", f"parse {r.subject}", err)
        results = []  # (ok, subject-suffix, detail)
        for lab in [l for l in kubectls if l in r.builds]:
            brc, bout, berr = r.builds[lab]
            tag = "kubectl(PATH)" if lab == "kubectl" else f"k8s-{lab}"
            if brc != 0:
                results.append((False, tag, f"{os.path.basename(kubectls[lab])} kustomize exit {brc}: {short(berr, 300)}"))
            elif rc == 0 and bout != out:
                a, b = out.splitlines(), bout.splitlines()
                i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
                results.append((False, tag, f"output differs from {ref_label} at line {i + 1}: "
                                            f"{(a[i] if i < len(a) else '<eof>')!r} vs {(b[i] if i < len(b) else '<eof>')!r}"))
            else:
                results.append((True, tag, f"{len(r.docs or [])} objects" if lab == ref_label else "identical"))
        ok_n = sum(1 for ok, *_ in results if ok)
        F(rep, r)["kubectl kustomize"]["builds passed"] += ok_n
        if r.neg is None:
            for ok, tag, detail in results:
                rep.line(ok, "gate1-kustomize", f"{tag} {r.subject}", detail)
            if r.docs is not None:
                F(rep, r)["kubectl kustomize"]["objects built"] += len(r.docs)
        elif "gate1-kustomize" in r.neg.expect:
            bad = [d for ok, _, d in results if not ok]
            rep.line(bool(bad), "gate1-kustomize", r.subject,
                     f"failed as required on {len(bad)}/{len(results)} kubectls: {short(bad[0], 200)}" if bad
                     else f"DID NOT FAIL: {r.neg.expect['gate1-kustomize']} went unnoticed")
        elif rc != 0 and any(c in NEEDS_BUILD for c in r.neg.expect):
            rep.line(False, "negative-control", r.subject, f"broken rendering does not build, so it cannot test "
                                                           f"{', '.join(r.neg.expect)}: {short(err, 200)}")
        # gate1-stream: agentctl's stdout is what `kubectl kustomize DIR` prints
        if r.neg is None and r.stream is not None and r.docs is not None:
            with open(r.stream) as f:
                stext = f.read()
            if stext == out:
                rep.line(True, "gate1-stream", r.subject, "stdout byte-identical to kubectl kustomize")
            else:
                try:
                    sdocs = load_docs(stext)
                except yaml.YAMLError as e:
                    rep.line(False, "gate1-stream", r.subject, f"stdout is not YAML: {short(e, 200)}")
                    continue
                key = lambda d: json.dumps(d, sort_keys=True, default=str)
                if sdocs == r.docs:
                    rep.line(True, "gate1-stream", r.subject, "same objects in the same order as kubectl kustomize "
                                                              "(formatting differs)")
                elif sorted(map(key, sdocs)) == sorted(map(key, r.docs)):
                    rep.line(True, "gate1-stream", r.subject, "same objects as kubectl kustomize, different order")
                else:
                    sd = {obj_id(d): d for d in sdocs}
                    bd = {obj_id(d): d for d in r.docs}
                    diff = [k for k in sorted(set(sd) | set(bd)) if sd.get(k) != bd.get(k)]
                    rep.line(False, "gate1-stream", r.subject,
                             f"agentctl stdout differs from `kubectl kustomize DIR` in {len(diff)} object(s): "
                             f"{', '.join(diff[:5])}; first: {first_difference(bd.get(diff[0]), sd.get(diff[0]))}")
    rep.times["gate1-kustomize"] += time.time() - t0


NEEDS_BUILD = {"gate2-schema", "gate3-crd-schema", "gate3-kubernetes-models", "gate4-checkov", "gate4-pss",
               "gate5-roundtrip", "gate5-values"}


def first_difference(a: Any, b: Any, path: str = "") -> str:
    if type(a) is not type(b):
        return f"{path or '<root>'}: {short(repr(a), 80)} (kustomize) vs {short(repr(b), 80)} (stdout)"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k, "<absent>") != b.get(k, "<absent>"):
                return first_difference(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: list of {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path or '<root>'}: {short(repr(a), 80)} (kustomize) vs {short(repr(b), 80)} (stdout)"


# ------------------------------------------------------------------ gate 2

def gate2(rep: Report, rs: list[Rendering]) -> None:
    t0 = time.time()
    try:
        import functools

        import kubernetes_validate.utils as kvu
        from kubernetes_validate.version import __version__ as kv_version
    except Exception as e:  # pragma: no cover
        rep.not_run("gate2-schema", f"kubernetes-validate is not installed ({e})")
        return
    rep.versions["kubernetes-validate"] = kv_version
    # Same validation, but each schema file is parsed once instead of once per object.
    kvu.schema_contents = functools.lru_cache(maxsize=None)(kvu.schema_contents)
    supported = set(kvu.major_minor(v) for v in kvu.all_versions())
    rep.versions["kubernetes-validate schemas"] = f"Kubernetes {min(supported, key=lambda v: tuple(map(int, v.split('.'))))}.." \
        f"{max(supported, key=lambda v: tuple(map(int, v.split('.'))))} (strict)"
    missing = [v for v in K8S_VERSIONS if v not in supported]
    if missing:
        for v in missing:
            rep.not_run(f"gate2-schema k8s-{v}", f"kubernetes-validate {kv_version} bundles no schema for "
                                                 f"Kubernetes {v} (it has {min(supported)}..{max(supported)})")
    versions = [v for v in K8S_VERSIONS if v in supported]
    for r in rs:
        if not r.wants("gate2-schema") or r.docs is None:
            continue
        per_version: dict[str, list[str]] = {}
        routed = 0
        for v in versions:
            errs = []
            for d in r.docs:
                if not isinstance(d, dict) or not d.get("apiVersion") or not d.get("kind"):
                    errs.append(f"{obj_id(d)}: not a Kubernetes object (apiVersion/kind missing)")
                    continue
                if str(d["apiVersion"]).split("/")[0] == CRD_GROUP:
                    routed += 1  # Prometheus Operator CRD: validated by gate 3
                    continue
                try:
                    kvu.validate(d, v, strict=True)
                    F(rep, r)["kubernetes-validate"]["object validations passed"] += 1
                except kvu.ValidationError as e:
                    path = ".".join(str(p) for p in e.path) or "<root>"
                    errs.append(f"{obj_id(d)}: {path}: {short(e.message, 200)}")
                except kvu.SchemaNotFoundError as e:
                    errs.append(f"{obj_id(d)}: unexpected kind, no schema for {d['apiVersion']} {d['kind']} "
                                f"in Kubernetes {v}")
                except Exception as e:
                    errs.append(f"{obj_id(d)}: {type(e).__name__}: {short(e, 200)}")
                F(rep, r)["kubernetes-validate"]["object validations"] += 1
            per_version[v] = errs
        if r.neg is None:
            for v in versions:
                rep.errs[(f"gate2-schema {v}", r.name)] = per_version[v]
        else:
            per_version = {v: new_errors(rep, r, f"gate2-schema {v}", per_version[v]) for v in versions}
        if r.neg is None:
            n = sum(1 for d in r.docs if isinstance(d, dict) and str(d.get("apiVersion", "")).split("/")[0] != CRD_GROUP)
            for v in versions:
                errs = per_version[v]
                rep.line(not errs, "gate2-schema", f"k8s-{v} {r.subject}",
                         f"{n} objects strict-valid" + (f", {routed // max(1, len(versions))} CRD object(s) routed "
                                                        "to gate 3" if routed else "")
                         if not errs else f"{len(errs)} error(s): " + "; ".join(errs[:3]))
        else:
            failing = [v for v in versions if per_version[v]]
            want = r.neg.versions or versions
            want = [v for v in want if v in versions]
            ok = failing == want
            first = next((per_version[v][0] for v in failing), "")
            if ok:
                detail = f"failed as required on {'k8s ' + ', '.join(failing) if r.neg.versions else 'all versions'}: {short(first, 200)}"
                if r.neg.versions:
                    detail += f"; passed on {', '.join(v for v in versions if v not in failing)}"
            else:
                detail = (f"DID NOT FAIL as required ({r.neg.expect['gate2-schema']}): failed on "
                          f"[{', '.join(failing)}], expected [{', '.join(want)}] {short(first, 150)}")
            rep.line(ok, "gate2-schema", r.subject, detail)
    rep.times["gate2-schema"] += time.time() - t0


# ------------------------------------------------------------------ gate 3

def crd_objects(r: Rendering) -> list[dict]:
    return [d for d in (r.docs or []) if isinstance(d, dict)
            and str(d.get("apiVersion", "")).split("/")[0] == CRD_GROUP]


def objectmeta_defs() -> dict | None:
    try:
        import kubernetes_validate.utils as kvu
        return kvu.schema_contents(f"kubernetes-json-schema/v{K8S_VERSIONS[-1]}.0-local-strict/_definitions.json",
                                   K8S_VERSIONS[-1])
    except Exception:
        return None


def gate3(rep: Report, rs: list[Rendering], crd_dir: str | None, node_prefix: str, workdir: str) -> None:
    # --- jsonschema against the real CRD openAPIV3Schema
    t0 = time.time()
    check = "gate3-crd-schema"
    if not crd_dir or not os.path.isdir(crd_dir):
        print(f"!!! NOTE: {check} not run: no CRD directory ({crd_dir or '../shared/reference/crds'} absent); "
              "Prometheus Operator objects are validated by kubernetes-models only, which does not reject "
              "unknown fields !!!", flush=True)
    else:
        try:
            import jsonschema
            import importlib.metadata
            rep.versions["jsonschema"] = importlib.metadata.version("jsonschema")
            schemas = crd_validate.CrdSchemas(crd_dir, objectmeta_defs())
        except Exception as e:
            rep.not_run(check, f"cannot load jsonschema or the CRDs in {crd_dir}: {e}")
            schemas = None
        if schemas is not None:
            rep.versions["Prometheus Operator CRDs"] = ", ".join(sorted(schemas.operator_versions)) or "?"
            if schemas.meta_validator is None:
                rep.note(f"{check}: metadata not validated (kubernetes-validate's ObjectMeta schema unavailable)")
            for r in rs:
                if not r.wants(check) or r.docs is None:
                    continue
                objs = crd_objects(r)
                errs = []
                for o in objs:
                    e = schemas.validate(o)
                    F(rep, r)["jsonschema (CRD)"]["objects validated"] += 1
                    if e:
                        errs.append(f"{obj_id(o)}: " + "; ".join(e[:3]))
                    else:
                        F(rep, r)["jsonschema (CRD)"]["objects passed"] += 1
                report_check(rep, r, check, errs,
                             f"{len(objs)} object(s) valid against {', '.join(sorted({schemas.files.get(schemas.key(o), '?') for o in objs})) or 'their CRD'}"
                             if objs else "no Prometheus Operator objects in this rendering")
    rep.times["gate3-crd (jsonschema)"] += time.time() - t0

    # --- kubernetes-models (npm)
    t0 = time.time()
    check = "gate3-kubernetes-models"
    script = os.path.join(HERE, "validate-crds.mjs")
    pkg = os.path.join(node_prefix, "node_modules", "@kubernetes-models", "prometheus-operator", "package.json")
    node = shutil.which("node")
    if not node or not os.path.exists(pkg):
        rep.not_run(check, f"{'node is not on PATH' if not node else 'npm package not installed in ' + node_prefix}")
        return
    items = []
    for r in rs:
        if r.wants(check) and r.docs is not None:
            for i, o in enumerate(crd_objects(r)):
                items.append({"id": f"{r.subject}#{i}", "object": o})
    inp = os.path.join(workdir, "crd-objects.json")
    with open(inp, "w") as f:
        json.dump(items, f, default=str)
    rc, out, err = run([node, script, node_prefix, inp], 120)
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except Exception:
        rep.not_run(check, f"validate-crds.mjs failed (exit {rc}): {short(err or out, 300)}")
        return
    rep.versions["@kubernetes-models/prometheus-operator"] = res["version"]
    by_id = {x["id"]: x for x in res["results"]}
    for r in rs:
        if not r.wants(check) or r.docs is None:
            continue
        objs = crd_objects(r)
        errs = []
        for i, o in enumerate(objs):
            x = by_id.get(f"{r.subject}#{i}", {"ok": False, "errors": ["no result"]})
            F(rep, r)["kubernetes-models"]["objects validated"] += 1
            if x["ok"]:
                F(rep, r)["kubernetes-models"]["objects passed"] += 1
            else:
                errs.append(f"{obj_id(o)}: " + "; ".join(x["errors"][:3]))
        report_check(rep, r, check, errs, f"{len(objs)} object(s) valid" if objs
                     else "no Prometheus Operator objects in this rendering")
    rep.times["gate3-crd (kubernetes-models)"] += time.time() - t0


def new_errors(rep: Report, r: Rendering, check: str, errs: list[str]) -> list[str]:
    """For a negative control: the problems that its base rendering does not have, so that a
    control only counts when the check caught the breakage it was given."""
    base = set(rep.errs.get((check, r.neg.base), [])) if r.neg else set()
    return [e for e in errs if e not in base]


def report_check(rep: Report, r: Rendering, check: str, errs: list[str], ok_detail: str) -> None:
    """One PASS/FAIL line; a negative control passes only when the check failed on it."""
    if r.neg is None:
        rep.errs[(check, r.name)] = list(errs)
        rep.line(not errs, check, r.subject, ok_detail if not errs else f"{len(errs)} problem(s): " + "; ".join(
            short(e, 300) for e in errs[:4]))
    else:
        new = new_errors(rep, r, check, errs)
        rep.line(bool(new), check, r.subject,
                 f"failed as required: {short(new[0], 250)}" if new
                 else f"DID NOT FAIL: {r.neg.expect[check]} went unnoticed"
                 + (f" (only the base rendering's own {len(errs)} problem(s))" if errs else ""))


# ------------------------------------------------------------------ gate 4

def checkov_bin() -> str | None:
    # Only the pinned one in the tools venv, never whatever checkov is on PATH.
    p = os.path.join(os.path.dirname(sys.executable), "checkov")
    return p if os.access(p, os.X_OK) else None


def run_checkov(exe: str, built: str, cwd: str) -> dict:
    env = dict(os.environ, LOG_LEVEL="ERROR", BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    rc, out, err = run([exe, "-f", built, "--framework", "kubernetes", "--skip-download", "-o", "json",
                        "--compact"], 300, cwd=cwd, env=env)
    start = out.find("{")
    try:
        data = json.loads(out[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        data = None
    if isinstance(data, list):
        data = next((x for x in data if x.get("check_type") == "kubernetes"), None)
    if not isinstance(data, dict) or "summary" not in data:
        return {"error": f"checkov exit {rc}, no JSON report: {short(err or out, 300)}"}
    return data


def gate4(rep: Report, rs: list[Rendering], jobs: int, workdir: str) -> None:
    t0 = time.time()
    check = "gate4-checkov"
    exe = checkov_bin()
    if exe is None:
        rep.not_run(check, "checkov is not installed")
    else:
        rc, out, _ = run([exe, "--version"], 60)
        rep.versions["checkov"] = out.strip() or "?"
        todo = [r for r in rs if r.wants(check) and r.built_path and r.docs is not None]
        inputs, notes = {}, {}
        for r in todo:
            inputs[r.subject] = r.built_path
            with open(r.built_path) as f:
                text = f.read()
            try:
                list(yaml.safe_load_all(text))
            except yaml.YAMLError:
                # Checkov reads YAML with PyYAML and silently drops a whole file it cannot
                # construct (0 resources, 0 parsing errors), e.g. a ConfigMap value `=` or `<<`
                # that kubectl writes bare. Scan the same objects, re-serialized, instead.
                p = r.built_path[:-5] + ".for-checkov.yaml"
                with open(p, "w") as f:
                    yaml.safe_dump_all(r.docs, f, sort_keys=False, allow_unicode=True, width=10_000)
                inputs[r.subject] = p
                notes[r.subject] = "scanned a re-serialized copy: PyYAML cannot read kubectl's bare `=`/`<<`"
        with cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            results = dict(zip([r.subject for r in todo],
                               ex.map(lambda r: run_checkov(exe, inputs[r.subject], workdir), todo)))
        for r in todo:
            data = results[r.subject]
            if "error" in data:
                rep.line(False, check, r.subject, data["error"])
                continue
            s = data["summary"]
            res = data.get("results", {})
            fig = F(rep, r)["checkov"]
            fig["checks passed"] += s.get("passed", 0)
            fig["checks failed"] += s.get("failed", 0)
            fig["checks skipped (annotations)"] += s.get("skipped", 0)
            fig["resources scanned"] += s.get("resource_count", 0)
            errs = [f"{c['check_id']} {c.get('resource')}: {c.get('check_name')}" for c in res.get("failed_checks", [])]
            if s.get("parsing_errors"):
                errs.append(f"{s['parsing_errors']} parsing error(s)")
            if s.get("resource_count", 0) == 0:
                errs.append("checkov found no resources to scan")
            skipped = []
            for c in res.get("skipped_checks", []):
                reason = (c.get("check_result") or {}).get("suppress_comment") or ""
                resource = c.get("resource", "")
                skipped.append(c["check_id"])
                if r.neg is None:
                    rep.skips[(c["check_id"], resource, reason)].add(r.subject)
                if not reason.strip() or reason.strip().lower() == "no comment provided":
                    errs.append(f"{c['check_id']} skipped on {resource} without a reason")
            if r.neg is None:
                rep.errs[(check, r.name)] = list(errs)
                detail = (f"{s.get('passed', 0)} passed, {s.get('failed', 0)} failed, {s.get('skipped', 0)} skipped"
                          + (f" [{', '.join(sorted(set(skipped)))}]" if skipped else "")
                          + f", {s.get('resource_count', 0)} resources"
                          + (f"; {notes[r.subject]}" if r.subject in notes else ""))
                rep.line(not errs, check, r.subject, detail if not errs else
                         f"{len(errs)} finding(s): " + "; ".join(errs[:6]) + f" | {detail}")
            else:
                report_check(rep, r, check, errs, "")
    rep.times["gate4-checkov"] += time.time() - t0

    t0 = time.time()
    check = "gate4-pss"
    for r in rs:
        if not r.wants(check) or r.docs is None:
            continue
        n, vs = pss.check_stream([d for d in r.docs if isinstance(d, dict)])
        F(rep, r)["PSS restricted (pss.py)"]["pod templates checked"] += n
        F(rep, r)["PSS restricted (pss.py)"]["control checks passed"] += n * len(pss.CONTROLS) - len(vs)
        report_check(rep, r, check, vs, f"{n} pod template(s) meet restricted; namespace enforces restricted")
    rep.times["gate4-pss"] += time.time() - t0


# ------------------------------------------------------------------ gate 5

def yaml_files(d: str) -> list[str]:
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith((".yaml", ".yml")))


def gate5(rep: Report, rs: list[Rendering], workdir: str) -> None:
    t0 = time.time()
    check = "gate5-yamllint"
    cfg = os.path.join(HERE, "yamllint.yaml")
    exe = os.path.join(os.path.dirname(sys.executable), "yamllint")  # the pinned one in the venv
    if not os.access(exe, os.X_OK):
        rep.not_run(check, "yamllint is not installed")
    else:
        rc, out, _ = run([exe, "--version"], 60)
        rep.versions["yamllint"] = out.strip().split()[-1] if out.strip() else "?"
        targets = {}
        for r in rs:
            if r.wants(check):
                targets[r.subject] = yaml_files(r.dir) + ([r.stream] if r.stream else [])
        allfiles = [f for fs in targets.values() for f in fs]
        rc, out, err = run([exe, "--strict", "-c", cfg, "-f", "parsable"] + allfiles, 300)
        if rc not in (0, 1, 2):
            rep.not_run(check, f"yamllint exit {rc}: {short(err, 300)}")
        else:
            problems = defaultdict(list)
            for l in out.splitlines():
                m = re.match(r"^(.*?):(\d+):(\d+): \[(\w+)\] (.*)$", l)
                if m:
                    problems[m.group(1)].append(f"{os.path.basename(m.group(1))}:{m.group(2)}:{m.group(3)} "
                                                f"{m.group(4)} {m.group(5)}")
            for r in rs:
                if r.subject not in targets:
                    continue
                errs = [p for f in targets[r.subject] for p in problems.get(f, [])]
                F(rep, r)["yamllint"]["files linted"] += len(targets[r.subject])
                F(rep, r)["yamllint"]["files clean"] += sum(1 for f in targets[r.subject] if not problems.get(f))
                report_check(rep, r, check, errs, f"{len(targets[r.subject])} files clean")
    rep.times["gate5-yamllint"] += time.time() - t0

    t0 = time.time()
    for r in rs:
        if r.wants("gate5-roundtrip") and r.docs is not None:
            errs = roundtrip(rep, r)
            report_check(rep, r, "gate5-roundtrip", errs,
                         f"{r._scalars} scalars read back identically after kubectl kustomize"
                         + (" and in agentctl's stdout" if r.stream else ""))
        if r.wants("gate5-values") and r.expected is not None and r.docs is not None:
            errs = expected_values(rep, r)
            report_check(rep, r, "gate5-values", errs,
                         f"all {len(r.expected)} tricky values arrive as the same strings (files, "
                         f"kubectl kustomize{', stdout' if r.stream else ''})")
    rep.times["gate5-roundtrip"] += time.time() - t0


def leaves(x: Any, path: str = ""):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from leaves(v, f"{path}.{k}" if path else str(k))
        if not x:
            yield path, x
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from leaves(v, f"{path}[{i}]")
        if not x:
            yield path, x
    else:
        yield path, x


# Maps whose values Kubernetes types as map[string]string, wherever they occur.
STRING_MAP_KEYS = {"labels", "annotations", "matchLabels", "nodeSelector"}


def string_type_errors(docs: list, where: str) -> list[str]:
    """Kubernetes string maps (labels, annotations, selectors, ConfigMap data) and env values
    must hold strings as read by a YAML 1.1 loader: a bare on/012/~ there is a type error."""
    errs: list[str] = []

    def check_map(d: dict, path: str, m: Any) -> None:
        if not isinstance(m, dict):
            errs.append(f"{where}: {obj_id(d)} {path} is not a map")
            return
        for k, v in m.items():
            if not isinstance(k, str) or not isinstance(v, str):
                errs.append(f"{where}: {obj_id(d)} {path}: {k!r}: {v!r} reads as "
                            f"{type(k).__name__}: {type(v).__name__}, not string: string")

    def walk(d: dict, x: Any, path: str) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                p = f"{path}.{k}" if path else str(k)
                if k in STRING_MAP_KEYS and v is not None:
                    check_map(d, p, v)
                elif k == "env" and isinstance(v, list):
                    for i, e in enumerate(v):
                        if isinstance(e, dict) and "value" in e and not isinstance(e["value"], str):
                            errs.append(f"{where}: {obj_id(d)} {p}[{i}].value: {e['value']!r} is not a string")
                    walk(d, v, p)
                else:
                    walk(d, v, p)
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(d, v, f"{path}[{i}]")

    for d in docs:
        if not isinstance(d, dict):
            continue
        if d.get("kind") in ("ConfigMap", "Secret"):
            for key in ("data", "stringData"):
                if d.get(key) is not None:
                    check_map(d, key, d[key])
        walk(d, d, "")
    return errs


def roundtrip(rep: Report, r: Rendering) -> list[str]:
    errs: list[str] = []
    raw_docs = []
    for f in yaml_files(r.dir):
        if os.path.basename(f).startswith("kustomization"):
            continue
        try:
            with open(f) as fh:
                raw_docs += [(os.path.basename(f), d) for d in load_docs(fh.read())]
        except yaml.YAMLError as e:
            errs.append(f"{os.path.basename(f)} is not YAML 1.1: {short(e, 200)}")
    built = {}
    for d in r.docs or []:
        if isinstance(d, dict):
            built[(d.get("apiVersion"), d.get("kind"), (d.get("metadata") or {}).get("name"))] = d
    n = 0
    for fname, d in raw_docs:
        if not isinstance(d, dict):
            errs.append(f"{fname}: a document is not an object")
            continue
        key = (d.get("apiVersion"), d.get("kind"), (d.get("metadata") or {}).get("name"))
        b = built.get(key)
        if b is None:
            errs.append(f"{fname}: {obj_id(d)} is missing from the kubectl kustomize output")
            continue
        bl = dict(leaves(b))
        for path, v in leaves(d):
            n += 1
            if path not in bl:
                errs.append(f"{fname}: {obj_id(d)} {path} = {v!r} is gone after kubectl kustomize")
            elif bl[path] != v or type(bl[path]) is not type(v):
                errs.append(f"{fname}: {obj_id(d)} {path}: file reads {v!r} ({type(v).__name__}), "
                            f"kubectl kustomize gives {bl[path]!r} ({type(bl[path]).__name__})")
    errs += string_type_errors([d for _, d in raw_docs], "files")
    errs += string_type_errors(r.docs or [], "kubectl kustomize")
    if r.stream:
        try:
            with open(r.stream) as fh:
                errs += string_type_errors(load_docs(fh.read()), "stdout")
        except yaml.YAMLError as e:
            errs.append(f"stdout is not YAML 1.1: {short(e, 200)}")
    r._scalars = n  # type: ignore[attr-defined]
    F(rep, r)["round trip (PyYAML, YAML 1.1)"]["scalars compared"] += n
    F(rep, r)["round trip (PyYAML, YAML 1.1)"]["mismatches"] += len(errs)
    return errs


def expected_values(rep: Report, r: Rendering) -> list[str]:
    errs = []
    sources = [("kubectl kustomize", r.docs or [])]
    raw = []
    for f in yaml_files(r.dir):
        if not os.path.basename(f).startswith("kustomization"):
            with open(f) as fh:
                try:
                    raw += load_docs(fh.read())
                except yaml.YAMLError:
                    pass
    sources.append(("files", raw))
    if r.stream:
        with open(r.stream) as fh:
            try:
                sources.append(("stdout", load_docs(fh.read())))
            except yaml.YAMLError as e:
                errs.append(f"stdout: not YAML: {e}")
    for where, docs in sources:
        cm = next((d for d in docs if isinstance(d, dict) and d.get("kind") == "ConfigMap"
                   and (d.get("metadata") or {}).get("name") == "agent-config"), None)
        if cm is None:
            errs.append(f"{where}: no ConfigMap agent-config")
            continue
        data = cm.get("data") or {}
        for k, v in r.expected.items():
            F(rep, r)["YAML-safety values"]["values checked"] += 1
            if k not in data:
                errs.append(f"{where}: key {k!r} missing from agent-config")
            elif data[k] != v or not isinstance(data[k], str):
                errs.append(f"{where}: {k}: expected {v!r}, got {data[k]!r}")
            else:
                F(rep, r)["YAML-safety values"]["values identical"] += 1
    return errs


# ------------------------------------------------------------------ main

def render_all(rep: Report, args, workdir: str) -> list[Rendering]:
    rs: list[Rendering] = []
    if args.rendered:
        for spec in args.rendered:
            name, _, d = spec.partition("=")
            dst = os.path.join(workdir, "render", name)
            shutil.copytree(d, dst)
            r = Rendering(name, dst)
            if name in EXPECTED_FROM:
                r.expected = load_expected(EXPECTED_FROM[name])
            rs.append(r)
        return rs
    t0 = time.time()
    os.makedirs(os.path.join(workdir, "render"), exist_ok=True)

    def one(item):
        name, pargs = item
        d = os.path.join(workdir, "render", name)
        rc, out, err = run([args.agentctl, "render", *pargs, "-o", d], 120)
        if rc != 0:
            return name, pargs, d, None, rc, err or out
        src, sout, serr = run([args.agentctl, "render", *pargs], 120)
        s = os.path.join(workdir, "render", f"{name}.stdout.yaml")
        with open(s, "w") as f:
            f.write(sout)
        if src != 0:
            return name, pargs, d, None, src, f"(stdout mode) {serr}"
        return name, pargs, d, s, 0, ""

    items = PROFILES + OPTIONAL_PROFILES
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(one, items))
    for (name, pargs, d, stream, rc, err) in results:
        optional = name in dict(OPTIONAL_PROFILES)
        cmd = " ".join(["agentctl", "render", *[os.path.relpath(a, REPO) if os.path.isabs(a) else a for a in pargs]])
        if rc != 0:
            if optional and rc == 2:
                rep.note(f"render {name}: `{cmd}` refused (exit 2), not counted: {short(err, 300)}")
            else:
                rep.line(False, "render", name, f"`{cmd} -o DIR` exit {rc}: {short(err, 400)}")
            continue
        files = sorted(os.listdir(d))
        rep.line(True, "render", name, f"{len(files)} files: {' '.join(f.rsplit('.', 1)[0] for f in files)}")
        r = Rendering(name, d, stream=stream)
        if name in EXPECTED_FROM:
            r.expected = load_expected(EXPECTED_FROM[name])
        rs.append(r)
    rep.times["render (agentctl)"] += time.time() - t0
    return rs


def load_expected(path: str) -> dict[str, str]:
    with open(path) as f:
        exp = {str(k): v for k, v in yaml.safe_load(f)["agent"]["config"]["extra"].items()}
    if os.path.basename(path) == "yaml-safety.yaml":
        exp.update(SET_VALUES)
    return exp


def make_negatives(rep: Report, rs: list[Rendering], workdir: str) -> list[Rendering]:
    by = {r.name: r for r in rs}
    out = []
    os.makedirs(os.path.join(workdir, "negative"), exist_ok=True)
    for n in negatives.NEGATIVES:
        base = by.get(n.base)
        if base is None:
            rep.line(False, "negative-control", f"negative:{n.name}", f"base rendering {n.base!r} is missing")
            continue
        d = os.path.join(workdir, "negative", n.name)
        try:
            negatives.make(n, base.dir, d)
        except Exception as e:
            rep.line(False, "negative-control", f"negative:{n.name}",
                     f"could not break the {n.base} rendering ({type(e).__name__}: {e})")
            continue
        r = Rendering(n.name, d, neg=n, expected=base.expected)
        out.append(r)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agentctl", default=None, help="agentctl binary")
    ap.add_argument("--rendered", action="append", default=[], metavar="NAME=DIR",
                    help="use an already rendered Kustomize dir instead of running agentctl (repeatable)")
    ap.add_argument("--crds", default=None, help="directory of Prometheus Operator CRD YAMLs")
    ap.add_argument("--node-prefix", required=True, help="npm prefix holding kubernetes-models")
    ap.add_argument("--workdir", default=None, help="keep all renderings and reports here")
    ap.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2))
    ap.add_argument("--no-negatives", action="store_true", help="skip the negative controls")
    args = ap.parse_args()

    t_start = time.time()
    rep = Report()
    workdir = args.workdir or tempfile.mkdtemp(prefix="agentctl-conformance.")
    os.makedirs(workdir, exist_ok=True)
    print(f"== agentctl conformance (work dir {workdir})", flush=True)

    kubectls, missing = find_kubectls()
    for v in missing:
        rep.not_run(f"gate1-kustomize k8s-{v}", f"kubectl.{v} not found next to "
                                                f"{os.path.realpath(shutil.which('kubectl') or 'kubectl')}")
    for lab, p in sorted(kubectls.items()):
        rc, out, _ = run([p, "version", "--client", "-o", "json"], 30)
        try:
            cv = json.loads(out)
            rep.versions[f"kubectl {'(PATH)' if lab == 'kubectl' else lab}"] = (f"{cv['clientVersion']['gitVersion']} (kustomize "
                                              f"{cv.get('kustomizeVersion', '?')})")
        except Exception:
            rep.versions[f"kubectl {lab}"] = "?"

    print("== render", flush=True)
    rs = render_all(rep, args, workdir)
    if not rs:
        rep.line(False, "render", "all", "nothing rendered; no gate can run")
    negs = [] if args.no_negatives or not rs else make_negatives(rep, rs, workdir)
    allr = rs + negs
    print("== gate 1: kubectl kustomize 1.27..1.33, identical output", flush=True)
    gate1(rep, allr, kubectls, args.jobs * 2)
    print("== gate 2: strict schema validation (kubernetes-validate)", flush=True)
    gate2(rep, allr)
    print("== gate 3: Prometheus Operator CRDs (jsonschema vs CRD, kubernetes-models)", flush=True)
    gate3(rep, allr, args.crds, args.node_prefix, workdir)
    print("== gate 4: security policy (checkov, Pod Security Standards restricted)", flush=True)
    gate4(rep, allr, args.jobs, workdir)
    print("== gate 5: YAML safety (yamllint, YAML 1.1 round trip)", flush=True)
    gate5(rep, allr, workdir)

    # negative controls whose expected checks produced no line (a tool missing, or no CRD dir) prove nothing
    for r in negs:
        if rep.subjects[r.subject] == 0:
            print(f"!!! NOTE: negative control {r.neg.name} was not run ({', '.join(r.neg.expect)} did not run) !!!",
                  flush=True)
    print("== figures", flush=True)
    for k, v in sorted(rep.versions.items()):
        print(f"  version  {k}: {v}")
    print(f"  renderings: {len(rs)} ({', '.join(r.name for r in rs)}); negative controls: {len(negs)}")
    objs = sum(len(r.docs or []) for r in rs)
    print(f"  objects checked (built stream of the {len(rs)} renderings; negative controls not counted): {objs}")
    for tool, c in rep.figures.items():
        print(f"  {tool}: " + ", ".join(f"{k} {v}" for k, v in c.items()))
    for (check, kind), (p, f) in rep.per_check.items():
        print(f"  lines  {check} ({kind}): {p} passed, {f} failed")
    for g, t in rep.times.items():
        print(f"  time  {g}: {t:.1f}s")
    print(f"  time  total: {time.time() - t_start:.1f}s")
    if rep.skips:
        print("== checkov exceptions (checkov.io/skip annotations in the rendered objects)")
        for (cid, res, reason), profs in sorted(rep.skips.items()):
            print(f"  {cid} on {res}: {reason}  [{', '.join(sorted(profs))}]")
    else:
        print("== checkov exceptions: none (no checkov.io/skip annotation was seen)")
    if rep.fail_lines:
        print("== failures")
        for l in rep.fail_lines:
            print("  " + l)
    summary = {
        "passed": rep.passed, "failed": rep.failed, "versions": rep.versions,
        "figures": {k: dict(v) for k, v in rep.figures.items()},
        "lines": {f"{c} ({k})": {"passed": p, "failed": f} for (c, k), (p, f) in rep.per_check.items()},
        "seconds": {k: round(v, 1) for k, v in rep.times.items()},
        "checkov_skips": [{"check": c, "resource": res, "reason": why, "renderings": sorted(ps)}
                          for (c, res, why), ps in sorted(rep.skips.items())],
        "failures": rep.fail_lines,
    }
    with open(os.path.join(workdir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    if args.workdir is None and not rep.failed:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"== renderings, built streams and summary.json kept in {workdir}")
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
