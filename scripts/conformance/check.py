"""The checks of scripts/conformance.sh that are a library, not a command line.

    check.py crd CRD_DIR BUILT         Prometheus Operator objects vs their real CRD's schema (jsonschema)
    check.py crs BUILT                 those objects as a JSON array (input of validate-crds.mjs)
    check.py same BUILT STREAM         the same objects (YAML 1.1), when the bytes differ
    check.py readable BUILT            prints BUILT, or a re-serialized copy if plain PyYAML cannot read it
    check.py checkov BUILT             Checkov, kubernetes framework; fails on any finding
    check.py roundtrip DIR BUILT [STREAM...]   YAML 1.1 (PyYAML) reads the files as kubectl kustomize does
    check.py values EXPECTED.yaml SETS BUILT FILE...   the tricky values reach agent-config intact

Each prints its problems, one a line, and exits 1 if there are any (0 when clean).
Run with the pinned venv's python (scripts/conformance.sh does).
"""
import copy, glob, json, os, subprocess, sys
import yaml


class Loader(yaml.SafeLoader):
    """YAML 1.1 like kubectl's go-yaml, except that a bare `=`/`<<` value is a string (go-yaml
    reads them so; PyYAML alone cannot construct them)."""


for _t in ("tag:yaml.org,2002:value", "tag:yaml.org,2002:merge"):
    Loader.add_constructor(_t, lambda l, n: l.construct_scalar(n))


def load(path):
    with open(path) as f:
        return [d for d in yaml.load_all(f, Loader=Loader) if d is not None]


def oid(d):
    return f"{d.get('kind')}/{(d.get('metadata') or {}).get('name')}" if isinstance(d, dict) else repr(d)


def crs(built):
    return [d for d in load(built) if str(d.get("apiVersion", "")).startswith("monitoring.coreos.com/")]


def strict(s):
    """The API server prunes (and strict field validation rejects) fields a structural schema
    does not declare: close every object schema that lists properties."""
    if not isinstance(s, dict):
        return s
    s = {k: ([strict(x) for x in v] if k in ("allOf", "anyOf", "oneOf") else
             {p: strict(x) for p, x in v.items()} if k == "properties" else
             strict(v) if k in ("items", "additionalProperties", "not") else v) for k, v in s.items()}
    if "properties" in s and "additionalProperties" not in s and not s.get("x-kubernetes-preserve-unknown-fields"):
        s["additionalProperties"] = False
    if s.get("nullable") and isinstance(s.get("type"), str):
        s["type"] = [s["type"], "null"]
    return s


def crd(crd_dir, built):
    import jsonschema
    import kubernetes_validate.utils as kvu
    from referencing import Registry, Resource
    schemas = {}
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.y*ml"))):
        for c in load(path):
            if c.get("kind") == "CustomResourceDefinition":
                for v in c["spec"]["versions"]:
                    if v.get("served"):
                        key = (f"{c['spec']['group']}/{v['name']}", c["spec"]["names"]["kind"])
                        schemas[key] = strict(copy.deepcopy(v["schema"]["openAPIV3Schema"]))
    # metadata: the strict ObjectMeta of Kubernetes (kubernetes-validate's schemas)
    defs = kvu.schema_contents("kubernetes-json-schema/v1.33.0-local-strict/_definitions.json", "1.33")
    meta = jsonschema.Draft202012Validator(
        {"$ref": "/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
         "$id": "https://kubernetes.io/api/crd-objectmeta.json"},
        registry=Resource.from_contents(defs) @ Registry())
    errs, objs = [], crs(built)
    for o in objs:
        s = schemas.get((o.get("apiVersion"), o.get("kind")))
        if s is None:
            errs.append(f"{oid(o)}: no CRD in {crd_dir} serves {o.get('apiVersion')} {o.get('kind')}")
            continue
        for e in list(jsonschema.Draft7Validator(s).iter_errors(o)) + list(meta.iter_errors(o.get("metadata") or {})):
            errs.append(f"{oid(o)}: {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}")
    print(f"{len(objs)} object(s) against {len(schemas)} served CRD version(s)" if not errs else "\n".join(errs))
    return errs


def readable(built):
    """kubectl writes a value `=` or `<<` bare; go-yaml reads a string, PyYAML cannot construct it,
    so kubernetes-validate fails to read the file and Checkov silently skips it. Give those a
    re-serialized copy of the same objects."""
    try:
        list(yaml.safe_load_all(open(built)))
        return built
    except yaml.YAMLError:
        with open(built + ".pyyaml.yaml", "w") as f:
            yaml.safe_dump_all(load(built), f, sort_keys=False, width=10_000)
        return built + ".pyyaml.yaml"


def checkov(built):
    exe = os.path.join(os.path.dirname(sys.executable), "checkov")  # the pinned one, never PATH's
    built = os.path.abspath(readable(built))
    env = dict(os.environ, LOG_LEVEL="ERROR", BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    p = subprocess.run([exe, "-f", built, "--framework", "kubernetes", "--skip-download", "-o", "json", "--compact"],
                       capture_output=True, text=True, env=env, cwd=os.path.dirname(built))
    try:
        r = json.loads(p.stdout[min(i for i in (p.stdout.find("{"), p.stdout.find("[")) if i >= 0):])
    except ValueError:
        return [f"checkov exit {p.returncode}, no JSON report: {(p.stderr or p.stdout)[-300:]}"]
    if isinstance(r, list):  # one report per framework
        r = next((x for x in r if x.get("check_type") == "kubernetes"), {})
    s, res = r.get("summary", r), r.get("results", {})
    errs = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in res.get("failed_checks", [])]
    errs += [f"{s['parsing_errors']} parsing error(s)"] * bool(s.get("parsing_errors"))
    errs += ["checkov found no resources"] * (not s.get("resource_count"))
    for c in res.get("skipped_checks", []):
        why = ((c.get("check_result") or {}).get("suppress_comment") or "").strip()
        if not why or why.lower() == "no comment provided":
            errs.append(f"{c['check_id']} skipped on {c['resource']} without a reason")
        else:
            print(f"  skipped {c['check_id']} {c['resource']}: {why}")
    print("\n".join(errs + [f"{s.get('passed')} passed, {s.get('failed')} failed, {s.get('skipped')} skipped, "
                            f"{s.get('resource_count')} resources"]))
    return errs


STRING_MAPS = {"labels", "annotations", "matchLabels", "nodeSelector"}


def string_errors(docs, where):
    """Kubernetes string maps (labels, annotations, selectors, ConfigMap data) and env values must
    read as strings to a YAML 1.1 reader: a bare on/012/~ there is a type error."""
    errs = []

    def walk(d, x, path):
        if isinstance(x, dict):
            for k, v in x.items():
                p = f"{path}.{k}"
                smap = (k in STRING_MAPS or (path == "" and k in ("data", "stringData")
                                             and d.get("kind") in ("ConfigMap", "Secret")))
                if smap and isinstance(v, dict):
                    errs.extend(f"{where}: {oid(d)} {p}: {a!r}: {b!r} is not string: string"
                                for a, b in v.items() if not (isinstance(a, str) and isinstance(b, str)))
                elif k == "env" and isinstance(v, list):
                    errs.extend(f"{where}: {oid(d)} {p}[{i}].value: {e['value']!r} is not a string"
                                for i, e in enumerate(v) if isinstance(e, dict) and "value" in e
                                and not isinstance(e["value"], str))
                else:
                    walk(d, v, p)
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(d, v, f"{path}[{i}]")

    for d in docs:
        walk(d, d, "")
    return errs


def leaves(x, path=""):
    if isinstance(x, dict) and x:
        for k, v in x.items():
            yield from leaves(v, f"{path}.{k}")
    elif isinstance(x, list) and x:
        for i, v in enumerate(x):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, x


def roundtrip(d, built, *streams):
    files = [f for f in sorted(glob.glob(os.path.join(d, "*.yaml"))) if not os.path.basename(f).startswith("kustom")]
    raw = [(os.path.basename(f), o) for f in files for o in load(f)]
    out = load(built)
    key = lambda o: (o.get("apiVersion"), o.get("kind"), (o.get("metadata") or {}).get("name"))
    by = {key(o): dict(leaves(o)) for o in out}
    errs, n = [], 0
    for f, o in raw:
        b = by.get(key(o))
        if b is None:
            errs.append(f"{f}: {oid(o)} is missing from the kubectl kustomize output")
            continue
        for p, v in leaves(o):
            n += 1
            if p not in b:
                errs.append(f"{f}: {oid(o)} {p} = {v!r} is gone after kubectl kustomize")
            elif b[p] != v or type(b[p]) is not type(v):
                errs.append(f"{f}: {oid(o)} {p}: file reads {v!r}, kubectl kustomize gives {b[p]!r}")
    errs += string_errors([o for _, o in raw], "files") + string_errors(out, "kubectl kustomize")
    for s in streams:
        errs += string_errors(load(s), "stdout")
    print(f"{n} scalars read back identically" if not errs else "\n".join(errs))
    return errs


def same(a, b):
    key = lambda o: json.dumps(o, sort_keys=True, default=repr)
    da, db = load(a), load(b)
    if sorted(map(key, da)) == sorted(map(key, db)):
        print(f"not byte-identical, but the same {len(da)} objects{'' if da == db else ' (in another order)'} to a YAML 1.1 reader")
        return []
    return [f"{oid(o)} differs" for o in da if key(o) not in set(map(key, db))] or ["object count differs"]


def values(expected, sets, built, *files):
    with open(expected) as f:
        want = {str(k): v for k, v in yaml.safe_load(f)["agent"]["config"]["extra"].items()}
    with open(sets) as f:
        want.update(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
    errs = []
    for src in (built,) + files:
        cm = [o for o in load(src) if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == "agent-config"]
        if not cm:
            continue
        data = cm[0].get("data") or {}
        errs += [f"{os.path.basename(src)}: {k}: expected {v!r}, got {data.get(k, '<missing>')!r}"
                 for k, v in want.items() if data.get(k) != v]
    print(f"{len(want)} values identical in kubectl kustomize output, files and stdout" if not errs else "\n".join(errs))
    return errs


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd in ("crs", "readable"):
        print(json.dumps(crs(*args), default=str) if cmd == "crs" else readable(*args))
        sys.exit(0)
    sys.exit(1 if {"crd": crd, "checkov": checkov, "roundtrip": roundtrip, "values": values,
                     "same": same}[cmd](*args) else 0)
