"""Issue 25's scenarios: an agentctl render applied as the GitOps tools apply it, then pruned and
re-applied, with `agentctl status`, `doctor` and `diff --live` reading the result. Called by
e2e.py (`--only gitops`) with e2e.py itself as `m` (its helpers and its record()).

- Flux: the objects are what `flux build kustomization` makes of the render (Flux's own code,
  the binary scripts/flux.sh caches: it adds `kustomize.toolkit.fluxcd.io/name` and
  `/namespace`), applied as kustomize-controller applies them (server-side apply, field manager
  `kustomize-controller`, no `last-applied-configuration`); Flux's garbage collection deletes
  what the previous build had and the new one lacks, if it still carries Flux's two labels.
- Argo CD: the rendered objects with Argo CD's tracking added as its controller adds it (the
  `argocd.argoproj.io/tracking-id` annotation `APP:GROUP/KIND:NAMESPACE/NAME`, or with label
  tracking `app.kubernetes.io/instance: APP`), applied client-side as its default sync does;
  its prune deletes what it tracks for the Application and the new render lacks.
- agentctl's own documented prune command (kustomization.yaml's header) over objects carrying
  those marks: what it deletes, what it leaves, and that `diff --live` said so beforehand.
"""
import json
import os
import re
import shlex
import shutil

HEALTHY = ["--set", "autoscaling.enabled=false"]  # no metrics API here: an HPA cannot be healthy
# Switched off in the re-render: their objects must go, the rest must stay.
OFF = ["--set", "monitoring.serviceMonitor.enabled=false", "--set", "disruptionBudget.enabled=false",
       "--set", "networkPolicy.enabled=false"]
FLUX_NAME, FLUX_NS = "agents", "flux-system"
FLUX_LABELS = {"kustomize.toolkit.fluxcd.io/name": FLUX_NAME, "kustomize.toolkit.fluxcd.io/namespace": FLUX_NS}
TRACKING = "argocd.argoproj.io/tracking-id"
INSTANCE = "app.kubernetes.io/instance"
LAST = "kubectl.kubernetes.io/last-applied-configuration"


def flux_binary():
    f = os.environ.get("FLUX") or os.path.join(
        os.environ.get("AGENTCTL_TOOLS", os.path.expanduser("~/.cache/agentctl-conformance")), "flux", "flux")
    if not os.access(f, os.X_OK):
        raise RuntimeError(f"!!! NO FLUX at {f}: run scripts/flux.sh --install-only first (CI runs it before this) !!!")
    return f


def key(o):
    return (o["kind"], o["metadata"]["name"])


def parse_stream(text):
    """JSON objects of a YAML stream, converted by kubectl (the e2e uses no YAML library)."""
    rc, js, err = M.k("create", "--dry-run=client", "-o", "json", "-f", "-", "--validate=false", inp=text)
    if rc != 0:
        raise RuntimeError(f"kubectl create --dry-run=client: {err.strip()[:300]}")
    objs, dec, i = [], json.JSONDecoder(), 0
    while True:
        while i < len(js) and js[i].isspace():
            i += 1
        if i >= len(js):
            break
        doc, i = dec.raw_decode(js, i)
        objs += doc["items"] if doc.get("kind") == "List" else [doc]
    return [clean(o) for o in objs]


def clean(o):
    """Without the client dry-run's placeholders (creationTimestamp: null, status: {})."""
    o.pop("status", None)
    o["metadata"].pop("creationTimestamp", None)
    tpl = o.get("spec", {}).get("template", {})
    if isinstance(tpl, dict) and isinstance(tpl.get("metadata"), dict):
        tpl["metadata"].pop("creationTimestamp", None)
    return o


def flux_build(d):
    """What kustomize-controller would apply for the rendered directory d: `flux build
    kustomization --dry-run` with substitution on (as in scripts/flux.sh)."""
    ks = os.path.join(os.path.dirname(d), os.path.basename(d) + "-flux-ks.yaml")
    with open(ks, "w") as f:
        f.write(f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
                f"  name: {FLUX_NAME}\n  namespace: {FLUX_NS}\nspec:\n  interval: 10m\n"
                f"  path: ./{os.path.basename(d)}\n  prune: true\n"
                f"  sourceRef: {{kind: GitRepository, name: agents}}\n"
                f"  postBuild:\n    substitute: {{cluster: e2e, datasource: not-the-dashboard-variable}}\n")
    rc, out, err = M.run([flux_binary(), "build", "kustomization", FLUX_NAME, "--path", d,
                          "--kustomization-file", ks, "--dry-run"], timeout=120)
    if rc != 0:
        raise RuntimeError(f"flux build kustomization: exit {rc}: {err.strip()[:300]}")
    objs = parse_stream(out)
    unmarked = [f"{o['kind']}/{o['metadata']['name']}" for o in objs
                if any(o["metadata"].get("labels", {}).get(l) != v for l, v in FLUX_LABELS.items())]
    if unmarked or not objs:
        raise RuntimeError(f"flux build: objects without Flux's labels: {unmarked[:5]} ({len(objs)} built)")
    return objs


def ssa_as_flux(objs):
    """kustomize-controller's apply: server-side, its field manager, conflicts forced; the
    Namespace first (its own stage, as the controller does)."""
    res = {}
    for stage in ([o for o in objs if o["kind"] == "Namespace"], [o for o in objs if o["kind"] != "Namespace"]):
        if not stage:
            continue
        rc, out, err = M.k("apply", "--server-side", "--field-manager=kustomize-controller", "--force-conflicts",
                           "-f", "-", inp=json.dumps({"apiVersion": "v1", "kind": "List", "items": stage}))
        if rc != 0:
            raise RuntimeError(f"server-side apply as kustomize-controller: {err.strip()[:400]}")
        for kind, name, verb in M.APPLIED.findall(out):
            res[(kind.split(".")[0].lower(), name)] = verb
    return res


def secret(ns, secret_cmd):
    """The Secret the render asks for, created (not applied: no last-applied annotation, as a
    secret manager or `kubectl create secret` leaves it)."""
    if not secret_cmd:
        return
    cmd = shlex.split(re.sub(r"<[^>]*>", "e2e-not-a-secret", secret_cmd))
    rc, out, err = M.k(*cmd[1:])
    if rc != 0 and "AlreadyExists" not in err:
        raise RuntimeError(f"{secret_cmd}: {err.strip()[:300]}")


def live_index(ns):
    """(kind, name) -> live object, for every kind agentctl renders into the namespace."""
    kinds = M.C.built_in_kinds + ("" if M.C.crds_missing else "," + M.C.crd_kinds)
    return {key(o): o for o in M.kjson("get", kinds, "-n", ns)["items"]
            if not o["metadata"].get("ownerReferences")}


def versions(ns):
    return {k_: o["metadata"]["resourceVersion"] for k_, o in live_index(ns).items()}


def agentctl(*args):
    return M.run([M.C.agentctl, *args], timeout=180)


def clean_reads(probs, label, inputs):
    """status 0 (healthy, nothing drifted), doctor 0 (no finding), diff --live 0 (nothing to do)."""
    rc, out, err = agentctl("status", *inputs)
    if rc != 0 or "drifted" in out:
        probs.append(f"{label}: status exit {rc}: {(out + err).strip()[-700:]}")
    rc, out, err = agentctl("doctor", *inputs)
    if rc != 0 or "FINDING" in out:
        probs.append(f"{label}: doctor exit {rc}: {(out + err).strip()[-700:]}")
    rc, out, err = agentctl("diff", "--live", *inputs)
    if rc != 0:
        probs.append(f"{label}: diff --live exit {rc}: {(out + err).strip()[-700:]}")


def live_deletes(inputs):
    """The objects `diff --live` says applying deletes, with their reasons."""
    rc, out, err = agentctl("diff", "--live", *inputs, "--format", "json")
    if rc not in (0, 1):
        raise RuntimeError(f"diff --live: exit {rc}: {err.strip()[:300]}")
    return {(c["kind"], c["name"]): " ".join(r["text"] + " fix: " + (r.get("fix") or "") for r in c.get("reasons", []))
            for c in json.loads(out)["changes"] if c["change"] == "delete"}


def outcome(probs, before, after, gone_want):
    """Exactly gone_want was deleted; everything else kept its UID."""
    left = sorted(f"{k_[0]}/{k_[1]}" for k_ in gone_want if k_ in after)
    if left:
        probs.append(f"left behind (should be gone): {left}")
    lost = sorted(f"{k_[0]}/{k_[1]}" for k_ in before if k_ not in gone_want
                  and (k_ not in after or after[k_]["metadata"]["uid"] != before[k_]["metadata"]["uid"]))
    if lost:
        probs.append(f"pruned or recreated (should stay): {lost}")


def render_into(ns, extra, name):
    d = os.path.join(M.C.work, "gitops", f"{ns}--{name}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    rc, out, err = M.run([M.C.agentctl, "render", *extra, "--set", f"namespace={ns}", "-o", d])
    if rc != 0:
        raise RuntimeError(f"agentctl render {extra}: exit {rc}: {err.strip()[:400]}")
    secret_cmd = [l.strip() for l in err.splitlines() if l.strip().startswith("kubectl create secret")]
    return d, (secret_cmd[0] if secret_cmd else None)


def render_pair(ns):
    """The first render and the re-render with three features off, in their own directories."""
    d1, sec = render_into(ns, HEALTHY, "first")
    d2, _ = render_into(ns, HEALTHY + OFF, "off")
    return d1, d2, sec, [*HEALTHY, "--set", f"namespace={ns}"], [*HEALTHY, *OFF, "--set", f"namespace={ns}"]


def only_unchanged(probs, what, res, v0, v1, notes):
    """A re-apply is idempotent when it writes nothing: every object keeps its resourceVersion.
    kubectl's verb is noted, not judged: it says `configured` whenever it sends a patch, and
    for the StatefulSet it sends one each time (its volumeClaimTemplates, a list kubectl
    replaces whole, differ from the stored ones by the defaults the server adds) that the
    server finds a no-op."""
    written = sorted(f"{k_[0]}/{k_[1]}" for k_ in v0 if v0[k_] != v1.get(k_))
    if written or not res:
        probs.append(f"{what}: not idempotent, it wrote {written or 'nothing applied'}")
    said = sorted(f"{k_[0]}/{k_[1]} {v}" for k_, v in res.items() if v != "unchanged")
    if said:
        notes.append(f"{what}: kubectl said {', '.join(said)} (nothing written)")


# ----------------------------------------------------------------------------- Flux
def flux_deploy(ns):
    d1, d2, sec, in1, in2 = render_pair(ns)
    built1 = flux_build(d1)
    ssa_as_flux([o for o in built1 if o["kind"] == "Namespace"])
    secret(ns, sec)
    ssa_as_flux(built1)
    probs = M.wait_ready(ns, 3, timeout=120)
    return d1, d2, in1, in2, built1, probs


def flux_reconcile_and_prune():
    """Flux applies the render, then a re-render with three features off, its garbage collection
    deleting what it applied before and no longer builds; agentctl's reads stay clean throughout
    and a second reconcile writes nothing."""
    ns = "e2e-gitops-flux"
    probs = []
    d1, d2, in1, in2, built1, p = flux_deploy(ns)
    if p:
        return M.record("gitops:flux:applied-as-kustomize-controller", p)
    live = live_index(ns)
    unmarked = [f"{k_[0]}/{k_[1]}" for k_, o in live.items() if key(o) in {key(b) for b in built1}
                and any(o["metadata"].get("labels", {}).get(l) != v for l, v in FLUX_LABELS.items())]
    with_last = [f"{k_[0]}/{k_[1]}" for k_, o in live.items() if LAST in o["metadata"].get("annotations", {})]
    if unmarked:
        probs.append(f"live objects without Flux's labels: {unmarked}")
    if with_last:
        probs.append(f"objects with kubectl's last-applied annotation (kustomize-controller never writes it): {with_last}")
    clean_reads(probs, "after Flux applied", in1)
    M.record("gitops:flux:applied-as-kustomize-controller-status-doctor-diff-live-clean", probs,
             note=f"{len(built1)} objects built by flux build, Flux's two labels on each; status 0, doctor 0, diff --live 0")

    probs = []
    built2 = flux_build(d2)
    gone_want = {key(o) for o in built1} - {key(o) for o in built2}
    if not gone_want:
        probs.append("the re-render removed nothing (test is broken)")
    said = live_deletes(in2)
    if set(said) != gone_want:
        probs.append(f"diff --live before the reconcile: deletes {sorted(said)}, Flux prunes {sorted(gone_want)}")
    before = live_index(ns)
    ssa_as_flux(built2)
    # Flux's garbage collection: the previous inventory minus the new one, deleted only when the
    # object still carries the Kustomization's labels.
    for kind, name in sorted(gone_want):
        o = before.get((kind, name))
        if o and all(o["metadata"].get("labels", {}).get(l) == v for l, v in FLUX_LABELS.items()):
            M.k("delete", f"{kind}.{o['apiVersion'].split('/')[0]}" if "/" in o["apiVersion"] else kind, name,
                "-n", ns, "--wait=true")
    after = live_index(ns)
    outcome(probs, before, after, gone_want)
    probs += M.wait_ready(ns, 3, timeout=120)
    clean_reads(probs, "after Flux pruned", in2)
    v0 = versions(ns)
    ssa_as_flux(built2)
    v1 = versions(ns)
    changed = sorted(f"{k_[0]}/{k_[1]}" for k_ in v0 if v0[k_] != v1.get(k_))
    if changed:
        probs.append(f"the second reconcile wrote objects (not idempotent): {changed}")
    clean_reads(probs, "after the second reconcile", in2)
    M.record("gitops:flux:re-render-pruned-by-flux-re-applied-idempotent", probs,
             note=f"diff --live named the {len(gone_want)} objects Flux then pruned; the rest kept their UIDs; "
                  f"second reconcile wrote none of {len(v0)} objects")


def flux_then_documented_prune():
    """Flux applied the render; then (Flux suspended, a team moving off it) agentctl's documented
    prune command applies the re-render: kubectl prunes only objects holding its
    last-applied-configuration, which kustomize-controller never writes, so the switched-off
    objects stay. `diff --live` must say that beforehand, not claim a prune."""
    ns = "e2e-gitops-flux-kubectl"
    probs, notes = [], []
    d1, d2, in1, in2, built1, p = flux_deploy(ns)
    if p:
        return M.record("gitops:flux-then-agentctl-prune-command", p)
    gone_want = {key(o) for o in built1} - {key(o) for o in M.objects_of(d2)}
    said = live_deletes(in2)
    before = live_index(ns)
    rc, out, err, res, rej = M.apply_k(d2, *M.documented_prune(d2))
    after = live_index(ns)
    pruned = [l for l in out.splitlines() if l.endswith(" pruned")]
    kept = sorted(k_ for k_ in gone_want if k_ in after)
    if rc != 0:
        probs.append(f"documented prune command: exit {rc}: {err.strip()[:300]}")
    if pruned:
        probs.append(f"kubectl pruned objects it never applied (expected none): {pruned}")
    if set(kept) != gone_want:
        probs.append(f"expected every switched-off object kept by kubectl, kept {kept}")
    wrong = {k_: r for k_, r in said.items() if k_ in gone_want and "`kubectl apply --prune` keeps it" not in r}
    if set(said) != gone_want or wrong:
        probs.append(f"diff --live before: deletes {sorted(said)}, not saying kubectl keeps {sorted(wrong)} "
                     f"(must list {sorted(gone_want)}, each as kept by kubectl apply --prune)")
    lost = sorted(f"{k_[0]}/{k_[1]}" for k_ in before if k_ not in gone_want and k_ not in after)
    if lost:
        probs.append(f"pruned (should stay): {lost}")
    # The leftovers go by the command diff --live printed for each, run as printed.
    for k_ in kept:
        m_ = re.search(r"`(kubectl delete [^`]+)`", said.get(k_, ""))
        if not m_:
            probs.append(f"diff --live printed no delete command for {k_[0]}/{k_[1]}")
            continue
        rc, out, err = M.k(*shlex.split(m_.group(1))[1:])
        if rc != 0:
            probs.append(f"{m_.group(1)}: exit {rc}: {err.strip()[:200]}")
    left = sorted(f"{k_[0]}/{k_[1]}" for k_ in gone_want if k_ in live_index(ns))
    if left:
        probs.append(f"still there after diff --live's delete commands: {left}")
    v0 = versions(ns)
    rc, out, err, res, rej = M.apply_k(d2, *M.documented_prune(d2))
    only_unchanged(probs, f"re-applying the documented command (exit {rc})", res, v0, versions(ns), notes)
    clean_reads(probs, "after the documented command", in2)
    M.record("gitops:flux-then-agentctl-prune-command-kept-and-said", probs,
             note=f"{len(kept)} switched-off Flux-applied objects kept by kubectl's prune, as diff --live said; "
                  f"re-apply wrote nothing" + "".join(f"; {n}" for n in notes))


# ----------------------------------------------------------------------------- Argo CD
def group_of(o):
    return o["apiVersion"].split("/")[0] if "/" in o["apiVersion"] else ""


def argo_marked(objs, app, ns, tracking):
    out = []
    for o in objs:
        o = json.loads(json.dumps(o))
        md = o["metadata"]
        if tracking == "annotation":
            where = "" if o["kind"] == "Namespace" else ns
            md.setdefault("annotations", {})[TRACKING] = f"{app}:{group_of(o)}/{o['kind']}:{where}/{md['name']}"
        else:
            md.setdefault("labels", {})[INSTANCE] = app
        out.append(o)
    return out


def argo_apply(objs):
    """Argo CD's default sync: a client-side `kubectl apply` of the marked manifests."""
    rc, out, err = M.k("apply", "-f", "-", inp=json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    if rc != 0:
        raise RuntimeError(f"apply as Argo CD: {err.strip()[:400]}")
    return {(kind.split(".")[0].lower(), name): verb for kind, name, verb in M.APPLIED.findall(out)}


def argo_tracked(o, app, tracking):
    md = o["metadata"]
    if tracking == "annotation":
        return md.get("annotations", {}).get(TRACKING, "").startswith(app + ":")
    return md.get("labels", {}).get(INSTANCE) == app


def argo_case(tracking, app, tag):
    """Argo CD syncs the render with `tracking`, then the re-render with its prune; agentctl's
    reads stay clean, and a second sync changes nothing. Then agentctl's documented prune
    command over the same marks (on a namespace Argo CD no longer syncs)."""
    ns = f"e2e-gitops-argo-{tag}"
    probs, notes = [], []
    d1, d2, sec, in1, in2 = render_pair(ns)
    objs1, objs2 = [clean(o) for o in M.objects_of(d1)], [clean(o) for o in M.objects_of(d2)]
    argo_apply(argo_marked([o for o in objs1 if o["kind"] == "Namespace"], app, ns, tracking))
    secret(ns, sec)
    argo_apply(argo_marked(objs1, app, ns, tracking))
    p = M.wait_ready(ns, 3, timeout=120)
    if p:
        return M.record(f"gitops:argocd-{tag}", p)
    label = f"gitops:argocd-{tag}"
    clean_reads(probs, "after Argo CD synced", in1)
    gone_want = {key(o) for o in objs1} - {key(o) for o in objs2}
    said = live_deletes(in2)
    instance_kept = app == ns or tracking == "annotation"
    if instance_kept and set(said) != gone_want:
        probs.append(f"diff --live before the re-sync: deletes {sorted(said)}, the re-render drops {sorted(gone_want)}")
    before = live_index(ns)
    argo_apply(argo_marked(objs2, app, ns, tracking))
    for k_ in sorted(gone_want):
        o = before.get(k_)
        if o and argo_tracked(o, app, tracking):
            M.k("delete", f"{k_[0]}.{group_of(o)}" if group_of(o) else k_[0], k_[1], "-n", ns, "--wait=true")
    after = live_index(ns)
    outcome(probs, before, after, gone_want)
    v0 = versions(ns)
    res = argo_apply(argo_marked(objs2, app, ns, tracking))
    only_unchanged(probs, "the second sync", res, v0, versions(ns), notes)
    if instance_kept:
        clean_reads(probs, "after Argo CD re-synced", in2)
    M.record(f"{label}:synced-pruned-re-synced", probs,
             note=f"{len(gone_want)} objects pruned by Argo CD's tracking, the rest kept; second sync wrote nothing"
                  + "".join(f"; {n}" for n in notes))
    return ns, d2, in2


def argo_then_documented_prune(tracking, app, tag):
    """Argo CD synced the first render; then agentctl's documented prune command applies the
    re-render: with annotation tracking, or label tracking under an Application named after the
    namespace, it prunes exactly the switched-off objects; with label tracking under another
    name, its selector (instance=NAMESPACE) matches nothing Argo CD applied: the hazard the
    README names, caught here (negative control)."""
    ns = f"e2e-gitops-argo-{tag}-kubectl"
    probs, notes = [], []
    d1, d2, sec, in1, in2 = render_pair(ns)
    objs1 = [clean(o) for o in M.objects_of(d1)]
    argo_apply(argo_marked([o for o in objs1 if o["kind"] == "Namespace"], app, ns, tracking))
    secret(ns, sec)
    argo_apply(argo_marked(objs1, app, ns, tracking))
    p = M.wait_ready(ns, 3, timeout=120)
    if p:
        return M.record(f"gitops:argocd-{tag}-then-agentctl-prune-command", p)
    gone_want = {key(o) for o in objs1} - {key(o) for o in M.objects_of(d2)}
    before = live_index(ns)
    rc, out, err, res, rej = M.apply_k(d2, *M.documented_prune(d2))
    if rc != 0:
        probs.append(f"documented prune command: exit {rc}: {err.strip()[:300]}")
    after = live_index(ns)
    if app == ns or tracking == "annotation":
        outcome(probs, before, after, gone_want)
        v0 = versions(ns)
        rc, out, err, res, rej = M.apply_k(d2, *M.documented_prune(d2))
        only_unchanged(probs, f"re-applying the documented command (exit {rc})", res, v0, versions(ns), notes)
        clean_reads(probs, "after the documented command", in2)
        M.record(f"gitops:argocd-{tag}-then-agentctl-prune-command", probs,
                 note=f"exactly the {len(gone_want)} switched-off objects pruned; re-apply wrote nothing; reads clean"
                      + "".join(f"; {n}" for n in notes))
    else:
        left = sorted(k_ for k_ in gone_want if k_ in after)
        caught = bool(gone_want) and left == sorted(gone_want) and not probs
        M.record(f"negative:argocd-{tag}-label-tracking-defeats-the-prune-selector",
                 [] if caught else [f"expected every switched-off object left behind: left {left}; {probs}"],
                 note=f"Application {app} on namespace {ns}: {len(left)} switched-off objects left by the prune")


def scenario_gitops(m):
    global M
    M = m
    m.top_up(20)
    for label, fn in [("gitops:flux", flux_reconcile_and_prune),
                      ("gitops:flux-then-agentctl-prune-command", flux_then_documented_prune),
                      ("gitops:argocd-annotation", lambda: argo_case("annotation", "agents-prod", "ann")),
                      ("gitops:argocd-label-same-name", lambda: argo_case("label", "e2e-gitops-argo-lbl", "lbl")),
                      ("gitops:argocd-annotation-then-agentctl-prune-command",
                       lambda: argo_then_documented_prune("annotation", "agents-prod", "ann")),
                      ("gitops:argocd-label-same-name-then-agentctl-prune-command",
                       lambda: argo_then_documented_prune("label", "e2e-gitops-argo-lbl-kubectl", "lbl")),
                      ("negative:argocd-label-other-name",
                       lambda: argo_then_documented_prune("label", "agents-prod", "other"))]:
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - a crash of one scenario is its failure
            m.record(label, [f"crashed: {e}"])


M = None
