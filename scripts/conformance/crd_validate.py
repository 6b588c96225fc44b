"""Validate custom resources (Prometheus Operator objects) against the openAPIV3Schema of
their real CustomResourceDefinition, with the `jsonschema` package (gate 3).

The API server treats a CRD's schema as *structural*: fields that the schema does not
declare are pruned (and rejected under `kubectl apply --validate=strict`, the default since
1.25 for server-side field validation). A plain JSON-Schema validator would accept them, so
every object schema that declares `properties` and neither `additionalProperties` nor
`x-kubernetes-preserve-unknown-fields: true` is closed here (additionalProperties: false).
`metadata` is validated against the strict ObjectMeta schema that kubernetes-validate ships.
"""
from __future__ import annotations

import copy
import glob
import os
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource


def _strictify(s: Any) -> Any:
    """Close every structural object schema (see module doc); s is a schema node."""
    if not isinstance(s, dict):
        return s
    out = dict(s)
    if isinstance(s.get("properties"), dict):
        out["properties"] = {k: _strictify(v) for k, v in s["properties"].items()}
    if isinstance(s.get("items"), dict):
        out["items"] = _strictify(s["items"])
    if isinstance(s.get("additionalProperties"), dict):
        out["additionalProperties"] = _strictify(s["additionalProperties"])
    for comb in ("allOf", "anyOf", "oneOf"):
        if isinstance(s.get(comb), list):
            out[comb] = [_strictify(x) for x in s[comb]]
    if isinstance(s.get("not"), dict):
        out["not"] = _strictify(s["not"])
    if ("properties" in s and "additionalProperties" not in s
            and not s.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    if s.get("nullable") and isinstance(s.get("type"), str):
        out["type"] = [s["type"], "null"]
    return out


class CrdSchemas:
    """Index of (group, version, kind) -> closed JSON schema, from a directory of CRD YAMLs."""

    def __init__(self, crd_dir: str, objectmeta_defs: dict | None):
        self.dir = crd_dir
        self.schemas: dict[tuple[str, str, str], dict] = {}
        self.files: dict[tuple[str, str, str], str] = {}
        self.operator_versions: set[str] = set()
        for path in sorted(glob.glob(os.path.join(crd_dir, "*.yaml")) + glob.glob(os.path.join(crd_dir, "*.yml"))):
            with open(path) as f:
                for crd in yaml.safe_load_all(f):
                    if not crd or crd.get("kind") != "CustomResourceDefinition":
                        continue
                    ann = (crd.get("metadata") or {}).get("annotations") or {}
                    if "operator.prometheus.io/version" in ann:
                        self.operator_versions.add(ann["operator.prometheus.io/version"])
                    group = crd["spec"]["group"]
                    kind = crd["spec"]["names"]["kind"]
                    for ver in crd["spec"]["versions"]:
                        if not ver.get("served", False):
                            continue
                        schema = _strictify(copy.deepcopy(ver["schema"]["openAPIV3Schema"]))
                        schema.setdefault("properties", {})
                        self.schemas[(group, ver["name"], kind)] = schema
                        self.files[(group, ver["name"], kind)] = os.path.basename(path)
        self.meta_validator = None
        if objectmeta_defs is not None:
            defs = Resource.from_contents(objectmeta_defs)
            reg = defs @ Registry()
            meta_schema = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": "https://kubernetes.io/api/crd-objectmeta.json",
                "$ref": "/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            }
            self.meta_validator = jsonschema.Draft202012Validator(meta_schema, registry=reg)

    def key(self, obj: dict) -> tuple[str, str, str]:
        api = str(obj.get("apiVersion", ""))
        group, _, version = api.rpartition("/")
        return group, version, str(obj.get("kind"))

    def validate(self, obj: dict) -> list[str]:
        """Return every error for one object (empty list when valid)."""
        k = self.key(obj)
        schema = self.schemas.get(k)
        if schema is None:
            return [f"no CRD in {self.dir} serves {k[0]}/{k[1]} {k[2]}"]
        errors = []
        v = jsonschema.Draft7Validator(schema)
        for e in sorted(v.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
            path = ".".join(str(p) for p in e.absolute_path) or "<root>"
            errors.append(f"{path}: {e.message[:300]}")
        if self.meta_validator is not None and isinstance(obj.get("metadata"), dict):
            for e in self.meta_validator.iter_errors(obj["metadata"]):
                path = ".".join(["metadata"] + [str(p) for p in e.absolute_path])
                errors.append(f"{path}: {e.message[:300]}")
        return errors
