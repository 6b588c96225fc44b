"""The checks of scripts/conformance.sh that are a library, not a command line.

One run over many subjects (a tool that starts slowly runs once; its findings are filed per
subject as OUT/GATE-SUBJECT.log and .rc, rc 1 when there is any; the command itself exits 0
unless the tool could not run):

    check.py schema OUT VERSION CRD_DIR SUBJECT=BUILT...   kubernetes-validate --strict -k VERSION
    check.py crd OUT CRD_DIR SUBJECT=BUILT...    every custom kind vs its CRD's schema (jsonschema)
    check.py checkov OUT README SUBJECT=BUILT... Checkov, kubernetes framework; a finding fails, and
                                                 so does a skip the README's exceptions table lacks

The kinds agentctl can render come from agentctl (`agentctl __objects --format json`, its table
in src/render/objects.rs), never from a list kept here:

    check.py registry CRD_DIR AGENTCTL   every kind agentctl registers is served: a custom one by a
                                         CRD of CRD_DIR (group, served version, kind, plural,
                                         scope as agentctl says), a built-in one by Kubernetes

One subject (prints its problems, one a line; exits 1 if there are any, 0 when clean):

    check.py crs BUILT                 the monitoring.coreos.com objects as a JSON array (validate-crds.mjs)
    check.py same BUILT STREAM         the same objects (YAML 1.1), when the bytes differ
    check.py roundtrip DIR BUILT [STREAM...]   YAML 1.1 (PyYAML) reads the files as kubectl kustomize does
    check.py values EXPECTED.yaml SETS BUILT FILE...   the tricky values reach agent-config intact

Run with the pinned venv's python (scripts/conformance.sh does).
"""
import copy, glob, json, os, re, subprocess, sys
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


def served(crd_dir):
    """(apiVersion, kind) -> closed schema, for every served version of every CRD in crd_dir."""
    schemas = {}
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.y*ml"))):
        with open(path) as f:  # ~700 KB: libyaml's loader, the pure-Python one takes seconds
            crds = [c for c in yaml.load_all(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if c]
        for c in crds:
            if c.get("kind") == "CustomResourceDefinition":
                for v in c["spec"]["versions"]:
                    if v.get("served"):
                        key = (f"{c['spec']['group']}/{v['name']}", c["spec"]["names"]["kind"])
                        schemas[key] = strict(copy.deepcopy(v["schema"]["openAPIV3Schema"]))
    return schemas


def builtin(o):
    """Whether Kubernetes itself serves this kind (kubernetes-validate has its schema)."""
    import kubernetes_validate.utils as kvu
    try:
        kvu.validate(o, "1.33", strict=True)
    except kvu.SchemaNotFoundError:
        return False
    except Exception:
        pass
    return True


def file_by_subject(out, gate, subject, errs, ok):
    with open(os.path.join(out, f"{gate}-{subject}.log"), "w") as f:
        f.write("\n".join(errs or [ok]) + "\n")
    with open(os.path.join(out, f"{gate}-{subject}.rc"), "w") as f:
        f.write("1\n" if errs else "0\n")


def subjects(pairs):
    return [tuple(p.split("=", 1)) for p in pairs]


def crd(out, crd_dir, *pairs):
    """Every object Kubernetes does not serve itself must be served by a CRD of crd_dir and
    satisfy its schema (closed to unknown fields, as the API server's pruning and strict field
    validation are); an unknown group is a failure, never a skip. Its metadata must be a
    strict ObjectMeta. (CEL rules, x-kubernetes-validations, are not evaluated here.)"""
    import jsonschema
    import kubernetes_validate.utils as kvu
    from referencing import Registry, Resource
    schemas = served(crd_dir)
    defs = kvu.schema_contents("kubernetes-json-schema/v1.33.0-local-strict/_definitions.json", "1.33")
    meta = jsonschema.Draft202012Validator(
        {"$ref": "/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
         "$id": "https://kubernetes.io/api/crd-objectmeta.json"},
        registry=Resource.from_contents(defs) @ Registry())
    for subject, built in subjects(pairs):
        errs, kinds = [], []
        for o in load(built):
            key = (o.get("apiVersion"), o.get("kind"))
            s = schemas.get(key)
            if s is None:
                if not builtin(o):
                    errs.append(f"{oid(o)}: no CRD in {crd_dir} serves {key[0]} {key[1]}, and Kubernetes does not either")
                continue
            kinds.append(key[1])
            for e in list(jsonschema.Draft7Validator(s).iter_errors(o)) + list(meta.iter_errors(o.get("metadata") or {})):
                errs.append(f"{oid(o)}: {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}")
        file_by_subject(out, "crd-schema", subject, errs,
                        f"{len(kinds)} custom object(s) valid: {', '.join(sorted(kinds)) or 'none rendered'}")


def registry(crd_dir, agentctl):
    """Whether every kind agentctl may render (whether or not a rendering turns it on) is served
    where agentctl says: a custom kind by a CRD of crd_dir with the same group, a served version,
    kind, plural and scope (what its Rust type declares: src/render/crds.rs), a built-in kind by
    Kubernetes itself (kubernetes-validate has its schema). Prints one line per problem."""
    p = subprocess.run([agentctl, "__objects", "--format", "json"], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"{agentctl} __objects --format json: exit {p.returncode}: {p.stderr.strip()[:300]}")
        return ["no table"]
    kinds = json.loads(p.stdout)["kinds"]
    crds = {}
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.y*ml"))):
        with open(path) as f:
            for c in yaml.load_all(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
                if c and c.get("kind") == "CustomResourceDefinition":
                    s = c["spec"]
                    crds[(s["group"], s["names"]["kind"])] = (
                        s["names"]["plural"], s["scope"].lower(),
                        {v["name"] for v in s["versions"] if v.get("served")}, os.path.basename(path))
    errs, custom, built_in = [], [], []
    for k in kinds:
        name = f"{k['kind']} ({k['apiVersion']})"
        if k["served"] == "crd":
            custom.append(k["kind"])
            c = crds.get((k["group"], k["kind"]))
            if c is None:
                errs.append(f"{name}: no CRD in {crd_dir} serves it")
                continue
            plural, scope, versions, path = c
            version = k["apiVersion"].split("/", 1)[1]
            if version not in versions:
                errs.append(f"{name}: {path} serves versions {sorted(versions)}, not {version}")
            if plural != k["plural"]:
                errs.append(f"{name}: agentctl says plural {k['plural']}, {path} says {plural}")
            if scope != k["scope"]:
                errs.append(f"{name}: agentctl says {k['scope']}, {path} says {scope}")
        elif k["served"] == "built-in":
            built_in.append(k["kind"])
            if not builtin({"apiVersion": k["apiVersion"], "kind": k["kind"], "metadata": {"name": "x"}}):
                errs.append(f"{name}: agentctl says Kubernetes serves it; kubernetes-validate 1.33 has no schema for it")
    if not custom or not built_in:
        errs.append(f"agentctl's table lists {len(custom)} custom and {len(built_in)} built-in kinds: not a table")
    print("\n".join(errs) if errs else
          f"{len(custom)} custom kinds served by the CRDs as agentctl declares them ({', '.join(custom)}); "
          f"{len(built_in)} built-in kinds known to Kubernetes 1.33")
    return errs


def schema(out, version, crd_dir, *pairs):
    """kubernetes-validate --strict over every subject at once. A kind it has no schema for is
    only a warning to it; here that fails, unless a CRD of crd_dir serves the kind (then the
    crd-schema gate checks it)."""
    exe = os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")
    pairs = subjects(pairs)
    files = {readable(b): s for s, b in pairs}
    p = subprocess.run([exe, "--strict", "--quiet", "-k", version, *files], capture_output=True, text=True)
    ok = {f"Couldn't find schema for kind {k} with api version {a} " for a, k in (served(crd_dir) if crd_dir else {})}
    found = {s: [] for s, _ in pairs}
    cur = None
    for line in (p.stdout + p.stderr).splitlines():
        named = [f for f in files if f" {f} " in f" {line} " or f" {f}:" in f" {line}"]
        if named:
            cur = files[max(named, key=len)]
        if cur is None:
            found.setdefault("?", []).append(line)
        elif not any(x in line for x in ok):
            found[cur].append(line)
    if p.returncode != 0 and not any(found.values()):
        found["?"] = [f"kubernetes-validate exited {p.returncode} naming no file: {(p.stderr or p.stdout)[-300:]}"]
    for s, _ in pairs:
        file_by_subject(out, f"schema@{version}", s, found[s] + found.get("?", []), "valid")


def readable(built):
    """kubectl writes a value `=` or `<<` bare; go-yaml reads a string, PyYAML cannot construct it,
    so kubernetes-validate fails to read the file and Checkov silently skips it. Give those a
    re-serialized copy of the same objects."""
    try:
        list(yaml.safe_load_all(open(built)))
        return built
    except yaml.YAMLError:
        copy_ = built + ".pyyaml.yaml"
        with open(f"{copy_}.{os.getpid()}", "w") as f:  # gates run in parallel: write, then rename
            yaml.safe_dump_all(load(built), f, sort_keys=False, width=10_000)
        os.replace(f"{copy_}.{os.getpid()}", copy_)
        return copy_


def readme_skips(readme):
    """{(check, object)} that README's "Checkov exceptions" table justifies: the one place."""
    text = open(readme).read()
    table = text[text.index("### Checkov exceptions"):]
    table = table[:table.index("\n## ")]
    ok = set()
    for row in table.splitlines():
        cells = row.split("|")
        if len(cells) > 3 and re.match(r"\s*CKV_", cells[1]):
            check = cells[1].split()[0]
            ok |= {(check, name) for name in re.findall(r"`([^`]+)`", cells[2])}
    return ok


def checkov(out, readme, *pairs):
    """Checkov over every subject in one run (it takes seconds to start); findings filed per file."""
    exe = os.path.join(os.path.dirname(sys.executable), "checkov")  # the pinned one, never PATH's
    pairs = subjects(pairs)
    files = {os.path.abspath(readable(b)): s for s, b in pairs}
    cwd = os.path.commonpath(list(files))
    env = dict(os.environ, LOG_LEVEL="ERROR", BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    p = subprocess.run([exe, "-f", *files, "--framework", "kubernetes", "--skip-download", "-o", "json", "--compact"],
                       capture_output=True, text=True, env=env, cwd=cwd)
    try:
        r = json.loads(p.stdout[min(i for i in (p.stdout.find("{"), p.stdout.find("[")) if i >= 0):])
    except ValueError:
        print(f"checkov exit {p.returncode}, no JSON report: {(p.stderr or p.stdout)[-300:]}")
        return ["no report"]
    if isinstance(r, list):  # one report per framework
        r = next((x for x in r if x.get("check_type") == "kubernetes"), {})
    res, justified = r.get("results", {}), readme_skips(readme)
    # With `instance: NAME` every object agentctl renders is `NAME-<name>`: the README's table
    # names the built-in name; the instances are the `app.kubernetes.io/instance` values of
    # the objects checked (a name is justified only as exactly `NAME-` + a justified name).
    instances = set()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            instances.update(re.findall(r"app\.kubernetes\.io/instance: (\S+)", fh.read()))

    def justifies(check, name):
        return (check, name) in justified or any(
            (check, name[len(i) + 1:]) in justified for i in instances if name.startswith(i + "-"))
    per = {s: {"errs": [], "passed": 0, "skipped": [], "resources": set()} for s in files.values()}

    def subject(c):
        return files.get(os.path.normpath(cwd + "/" + c["file_path"].lstrip("/")), "?")

    for kind in ("passed_checks", "failed_checks", "skipped_checks"):
        for c in res.get(kind, []):
            x = per.setdefault(subject(c), {"errs": [], "passed": 0, "skipped": [], "resources": set()})
            x["resources"].add(c["resource"])
            if kind == "passed_checks":
                x["passed"] += 1
            elif kind == "failed_checks":
                x["errs"].append(f"{c['check_id']} {c['resource']}: {c['check_name']}")
            else:
                why = ((c.get("check_result") or {}).get("suppress_comment") or "").strip()
                name = c["resource"].split(".")[-1]
                if not why or why.lower() == "no comment provided":
                    x["errs"].append(f"{c['check_id']} skipped on {c['resource']} without a reason")
                elif not justifies(c["check_id"], name):
                    x["errs"].append(f"{c['check_id']} skipped on {c['resource']} ({why}), but README's "
                                     f"Checkov exceptions table does not justify it for {name}")
                else:
                    x["skipped"].append(c["check_id"])
    if r.get("summary", {}).get("parsing_errors"):
        per.setdefault("?", {"errs": []})["errs"].append(f"{r['summary']['parsing_errors']} parsing error(s)")
    for s in files.values():
        x = per[s]
        errs = x["errs"] + per.get("?", {"errs": []})["errs"]
        if not x["resources"]:
            errs.append("checkov found no resources")
        file_by_subject(out, "checkov", s, errs, f"{x['passed']} passed, 0 failed, {len(x['skipped'])} skipped "
                        f"({', '.join(sorted(set(x['skipped'])))}: justified in README), {len(x['resources'])} resources")
    return []


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
    errs = [f"{oid(o)} differs" for o in da if key(o) not in set(map(key, db))] or ["object count differs"]
    print("\n".join(errs))
    return errs


def values(expected, sets, built, *files):
    with open(expected) as f:
        want = {str(k): v for k, v in yaml.safe_load(f)["agent"]["config"]["extra"].items()}
    with open(sets) as f:
        for k, v in (l.rstrip("\n").split("=", 1) for l in f if "=" in l and not l.startswith("#")):
            want[k] = json.loads(v) if v.startswith('"') else v  # "~": quoted as --set needs
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
    if cmd in ("crd", "schema", "checkov"):
        sys.exit(2 if {"crd": crd, "schema": schema, "checkov": checkov}[cmd](*args) else 0)
    sys.exit(1 if {"roundtrip": roundtrip, "values": values, "same": same, "registry": registry}[cmd](*args) else 0)
