#!/usr/bin/env python3
"""Writes src/render/custom/reference/*.json: the openAPIV3Schema of the CRD of each custom kind
agentctl renders, at the version agentctl renders, from ../shared/reference/crds (or the
directory given), with what the check never reads left out (descriptions, formats, defaults,
examples, the x-kubernetes- extensions other than the three render::custom reads). The
releases are those of ../shared/reference/README.md. A unit test
(render::custom::reference) holds the files to the reference CRDs when they are there.

    scripts/reference-crds.py [CRD_DIR]
"""
import json, os, sys
import yaml

# kind -> (CRD file, version agentctl renders, release)
KINDS = {
    "ServiceMonitor": ("monitoring.coreos.com_servicemonitors.yaml", "v1", "Prometheus Operator v0.93.0"),
    "PrometheusRule": ("monitoring.coreos.com_prometheusrules.yaml", "v1", "Prometheus Operator v0.93.0"),
    "VerticalPodAutoscaler": ("vpa-v1-crd-gen.yaml", "v1", "vertical-pod-autoscaler 1.7.1"),
    "ScaledObject": ("keda.sh_scaledobjects.yaml", "v1alpha1", "KEDA v2.20.2"),
    "ExternalSecret": ("external-secrets.io_externalsecrets.yaml", "v1", "External Secrets Operator v2.9.0"),
    "HTTPRoute": ("gateway.networking.k8s.io_httproutes.yaml", "v1", "Gateway API v1.6.1"),
}
KEEP_X = {"x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource"}
DROP = {"description", "format", "default", "example", "externalDocs", "title"}


def trim(s):
    if isinstance(s, dict):
        out = {}
        for k, v in s.items():
            if k in DROP or (k.startswith("x-kubernetes-") and k not in KEEP_X):
                continue
            out[k] = {n: trim(x) for n, x in v.items()} if k == "properties" else trim(v)
        return out
    if isinstance(s, list):
        return [trim(x) for x in s]
    return s


here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "reference", "crds")
if not os.path.isdir(src):
    sys.exit(f"no CRDs at {src}: pass the directory of ../shared/reference/crds")
dst = os.path.join(here, "..", "src", "render", "custom", "reference")
for kind, (file, version, release) in KINDS.items():
    for d in yaml.safe_load_all(open(os.path.join(src, file))):
        if not d or d["spec"]["names"]["kind"] != kind:
            continue
        sp = d["spec"]
        (v,) = [v for v in sp["versions"] if v["name"] == version and v.get("served")]
        out = {
            "file": file,
            "release": release,
            "group": sp["group"],
            "kind": kind,
            "plural": sp["names"]["plural"],
            "namespaced": sp["scope"] == "Namespaced",
            "version": version,
            "schema": trim(v["schema"]["openAPIV3Schema"]),
        }
        with open(os.path.join(dst, kind.lower() + ".json"), "w") as f:
            json.dump(out, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")
