"""Issue 22's scenarios: `agentctl status`, `doctor` and `diff --live` against the real control
plane, each fault created for real, with negative controls where the commands must stay silent.
Called by e2e.py (`--only live`) with e2e.py itself as `m` (its helpers and its record())."""
import json
import os
import re
import shlex
import statistics
import subprocess
import time

HEALTHY = ["--set", "autoscaling.enabled=false"]  # no metrics API here: an HPA cannot be healthy
TIMES = {"status": [], "doctor": [], "diff --live": []}


def agentctl(m, *args, timeout=120):
    t0 = time.time()
    rc, out, err = m.run([m.C.agentctl, *args], timeout=timeout)
    return rc, out, err, time.time() - t0


def deploy(m, ns, extra, secret_keys=None, wait=True):
    """Render the defaults with `extra` into namespace ns, create the namespace and the Secret
    (only `secret_keys` of it when given), apply; returns (inputs for agentctl, problems)."""
    d, ns, secret = m.render("defaults", ns, extra)
    if secret and secret_keys is not None:
        keep = [w for w in shlex.split(secret) if not w.startswith("--from-literal=")
                or w.split("=", 2)[1] in secret_keys]
        secret = " ".join(shlex.quote(w) for w in keep)
    m.prepare(d, ns, secret)
    rc, out, err, res, rej = m.apply_k(d)
    probs = [] if rc == 0 else [f"apply: {err.strip()[:300]}"]
    if wait and not probs:
        probs += m.wait_ready(ns, 3, timeout=120)
    return [*extra, "--set", f"namespace={ns}"], d, probs


def timed(m, what, *args):
    rc, out, err, dt = agentctl(m, *args)
    TIMES[what].append(dt)
    return rc, out, err


def expect(probs, label, rc, want_rc, out, err, must=(), must_not=()):
    if rc != want_rc:
        probs.append(f"{label}: exit {rc}, expected {want_rc}: {(out + err).strip()[-600:]}")
    for pat in must:
        if not re.search(pat, out):
            probs.append(f"{label}: output lacks /{pat}/: {out.strip()[-800:]}")
    for pat in must_not:
        hit = re.search(pat, out)
        if hit:
            probs.append(f"{label}: output has /{pat}/ but must not: "
                         f"...{out[max(0, hit.start() - 400):hit.end() + 400]}...")


def healthy(m):
    """A healthy deployment: status 0 (a completed rollout), doctor silent, diff --live empty;
    then a hand edit (set image, scale) and an object no longer rendered, seen by all three."""
    ns = "e2e-live-ok"
    inputs, d, probs = deploy(m, ns, HEALTHY)
    if probs:
        m.record("live:healthy-deployment", probs)
        return
    probs = []
    for _ in range(3):
        rc, out, err = timed(m, "status", "status", *inputs)
    expect(probs, "status", rc, 0, out, err, must=[r"ok\s+Deployment agent-deployment\s+rolled out: 3/3 ready",
                                                   r"healthy: \d+ objects"])
    rc, out, err, _ = agentctl(m, "status", *inputs, "--wait", "--timeout", "30")
    expect(probs, "status --wait", rc, 0, out, err)
    rc, out, err, _ = agentctl(m, "status", *inputs, "--format", "json")
    try:
        doc = json.loads(out)
        if doc.get("healthy") is not True or doc.get("version") != "v1.33.13":
            probs.append(f"status json: healthy {doc.get('healthy')}, version {doc.get('version')}")
        # Each target names its namespace and its `instance:` (null when unset).
        t = (doc.get("targets") or [{}])[0]
        if "instance" not in t or t.get("namespace") is None:
            probs.append(f"status json: a target without namespace or instance: {sorted(t)}")
    except ValueError as e:
        probs.append(f"status json: {e}")
    for _ in range(3):
        rc, out, err = timed(m, "doctor", "doctor", *inputs)
    # Negative control: nothing is wrong, so no finding (the CNI is undecidable: a note).
    expect(probs, "doctor", rc, 0, out, err, must=[r"clean: \d+ checks passed", r"note: cannot tell whether the NetworkPolicies"],
           must_not=[r"FINDING"])
    for _ in range(3):
        rc, out, err = timed(m, "diff --live", "diff", "--live", *inputs)
    expect(probs, "diff --live (nothing changed)", rc, 0, out, err)
    m.record("live:healthy-deployment-status-0-doctor-silent-diff-empty", probs)

    # Hand edits: what applying reverts.
    probs = []
    m.k("set", "image", "deployment/agent-deployment", "agent=e2e.invalid/agent:hotfix", "-n", ns)
    m.k("scale", "deployment/agent-deployment", "--replicas=4", "-n", ns)
    m.k("create", "configmap", "leftover", "-n", ns)
    m.k("label", "configmap", "leftover", "-n", ns, "app.kubernetes.io/managed-by=agentctl",
        f"app.kubernetes.io/instance={ns}")
    rc, out, err, _ = agentctl(m, "diff", "--live", *inputs)
    expect(probs, "diff --live (hand edits)", rc, 1, out, err,
           must=[r"reverts a change made in the cluster.*image \"e2e.invalid/agent:hotfix\" → ",
                 r"spec.replicas 4 → 3", r"ConfigMap .*leftover"])
    rc, out, err, _ = agentctl(m, "status", *inputs)
    expect(probs, "status (hand edits)", rc, 1, out, err,
           must=[r"drifted\s+Deployment agent-deployment", r"containers\[agent\]\.image: \"e2e.invalid/agent:hotfix\" → "])
    m.k("delete", "configmap", "leftover", "-n", ns)
    rc, out, err, _, _ = m.apply_k(d)
    probs += m.wait_ready(ns, 3, timeout=120)
    rc, out, err, _ = agentctl(m, "diff", "--live", *inputs)
    expect(probs, "diff --live (after apply)", rc, 0, out, err)
    m.record("live:diff-live-hand-edit-reverted-and-prune-listed", probs)


def stuck(m):
    """nodeSelector no node satisfies: pods Pending, status a stuck rollout, doctor names the
    scheduler's reason and the label command."""
    ns = "e2e-live-nodes"
    inputs, d, probs = deploy(m, ns, [*HEALTHY, "--set", "agent.nodeSelector.node-type=gpu"], wait=False)
    time.sleep(5)
    rc, out, err, _ = agentctl(m, "status", *inputs)
    expect(probs, "status (stuck)", rc, 1, out, err,
           must=[r"progressing\s+Deployment agent-deployment\s+not all available: 3/3 updated, 0 ready, 0 available"])
    rc, out, err, _ = agentctl(m, "status", *inputs, "--wait", "--timeout", "4")
    expect(probs, "status --wait (stuck)", rc, 1, out, err)
    if "gave up after 4s" not in err:
        probs.append(f"status --wait: no 'gave up' progress line: {err[-300:]}")
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (nodes)", rc, 1, out, err,
           must=[r"none of the \d+ nodes satisfies nodeSelector node-type=gpu",
                 r"nodes lack the labels the pod selects \(node-type=gpu\)",
                 r"kubectl label node NODE node-type=gpu"])
    m.record("live:nodeselector-unsatisfiable-pending-named", probs)


def secret_key(m):
    ns = "e2e-live-secret"
    inputs, d, probs = deploy(m, ns, HEALTHY, secret_keys={"anthropic-api-key"})
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (secret key)", rc, 1, out, err,
           must=[r"FINDING Secret agent-secrets \[secret\]", r"lacks the key redis-password",
                 r"kubectl patch secret agent-secrets -n e2e-live-secret --type merge"])
    # The fix, run as printed (its value from the environment), clears the finding.
    fix = [l.split("fix:", 1)[1].strip() for l in out.splitlines() if "kubectl patch secret" in l]
    if fix:
        env = dict(os.environ, SECRET_REDIS_PASSWORD="e2e-not-a-secret", PATH=os.path.dirname(m.C.kubectl) + ":" + os.environ["PATH"])
        import subprocess
        subprocess.run(["bash", "-c", fix[0].replace("kubectl ", shlex.quote(m.C.kubectl) + " ", 1)], env=env, capture_output=True)
        rc, out, err, _ = agentctl(m, "doctor", *inputs)
        expect(probs, "doctor after the fix", rc, 0, out, err, must_not=[r"\[secret\]"])
    if "e2e-not-a-secret" in out:
        probs.append("doctor printed a Secret value")
    m.record("live:secret-missing-key-cause-and-fix", probs)


def storage_class(m):
    ns = "e2e-live-sc"
    inputs, d, probs = deploy(m, ns, [*HEALTHY, "--set", "redis.storage.storageClass=no-such-class"], wait=False)
    time.sleep(3)
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (storage class)", rc, 1, out, err,
           must=[r"names StorageClass no-such-class, which does not exist",
                 r"--set redis.storage.storageClass=standard"])
    rc, out, err, _ = agentctl(m, "status", *inputs)
    expect(probs, "status (claim pending)", rc, 1, out, err, must=[r"StatefulSet redis"])
    m.record("live:storageclass-missing-claim-pending", probs)


def quota(m):
    ns = "e2e-live-quota"
    inputs, d, probs = deploy(m, ns, HEALTHY)
    if probs:
        m.record("live:quota-too-small-for-the-next-pod", probs)
        return
    used = m.kjson("get", "pods", "-n", ns)["items"]
    m.k("create", "quota", "tight", "-n", ns, f"--hard=pods={len(used)}")
    time.sleep(3)
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (quota)", rc, 1, out, err,
           must=[r"FINDING ResourceQuota tight \[quota\]", r"pods: ", r"--set quota.pods="])
    m.record("live:quota-too-small-for-the-next-pod", probs)


def metrics_api(m):
    ns = "e2e-live-hpa"
    inputs, d, probs = deploy(m, ns, [])
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (metrics API)", rc, 1, out, err,
           must=[r"metrics.k8s.io is not served \(no APIService v1beta1.metrics.k8s.io\)",
                 r"metrics-server/releases/latest/download/components.yaml",
                 r"custom.metrics.k8s.io is not served"])
    m.record("live:metrics-api-absent-said-truthfully", probs)


def pod_states(m):
    """CrashLoopBackOff/OOMKilled and ImagePullBackOff as a kubelet reports them: kwok leaves
    a pod annotated kwok.x-k8s.io/status=custom alone, so its status is written here."""
    ns = "e2e-live-ok"
    probs = []
    node = m.kjson("get", "nodes", "-l", "type=kwok")["items"][0]["metadata"]["name"]
    for name, status in [
        ("oom", {"name": "agent", "image": "a:v1", "imageID": "", "ready": False, "restartCount": 5, "started": False,
                 "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
                 "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                              "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:01Z"}}}),
        ("pull", {"name": "agent", "image": "e2e.invalid/nope:1", "imageID": "", "ready": False, "restartCount": 0, "started": False,
                  "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"e2e.invalid/nope:1\""}}}),
        # The kubelet's words when a secretKeyRef names a key the Secret lacks.
        ("config", {"name": "agent", "image": "a:v1", "imageID": "", "ready": False, "restartCount": 0, "started": False,
                    "state": {"waiting": {"reason": "CreateContainerConfigError",
                                          "message": f"couldn't find key redis-password in Secret {ns}/agent-secrets"}}}),
    ]:
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"e2e-{name}", "namespace": ns,
               "annotations": {"kwok.x-k8s.io/status": "custom"}},
               "spec": {"nodeName": node, "containers": [{"name": "agent", "image": status["image"],
                        "resources": {"limits": {"memory": "512Mi", "cpu": "100m"}},
                        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 1000,
                                            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}]}}
        rc, out, err = m.k("apply", "-f", "-", inp=json.dumps(pod))
        if rc != 0:
            probs.append(f"create pod {name}: {err.strip()[:200]}")
            continue
        patch = {"status": {"phase": "Running", "containerStatuses": [status]}}
        rc, out, err = m.k("patch", "pod", f"e2e-{name}", "-n", ns, "--subresource=status", "--type=merge", "-p", json.dumps(patch))
        if rc != 0:
            probs.append(f"patch pod status {name}: {err.strip()[:200]}")
    time.sleep(2)
    rc, out, err, _ = agentctl(m, "doctor", *HEALTHY, "--set", f"namespace={ns}")
    expect(probs, "doctor (pod states)", rc, 1, out, err,
           must=[r"FINDING Pod e2e-oom \[oom-killed\]", r"limit 512Mi \(OOMKilled\), 5 restarts",
                 r"--set agent.resources.limits.memory=1Gi",
                 r"FINDING Pod e2e-pull \[image-pull\]", r"cannot pull its image e2e.invalid/nope:1",
                 r"FINDING Pod e2e-config \[config-error\]",
                 r"cannot start \(CreateContainerConfigError\): Secret agent-secrets has no key redis-password",
                 r"kubectl patch secret agent-secrets"])
    # kwok leaves these pods alone, so no kubelet confirms their deletion: force it.
    m.k("delete", "pod", "e2e-oom", "e2e-pull", "e2e-config", "-n", ns, "--grace-period=0", "--force")
    m.record("live:crashloop-oomkilled-imagepull-configerror-named", probs)


def unreachable(m):
    probs = []
    kc = os.path.join(m.C.work, "unreachable.kubeconfig")
    with open(kc, "w") as f:
        f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\n"
                "users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
                "current-context: x\n")
    rc, out, err, _ = agentctl(m, "status", "--kubeconfig", kc, "--request-timeout", "3")
    if rc != 2 or "cannot reach the cluster at https://127.0.0.1:9 (context `x` of" not in err:
        probs.append(f"unreachable: exit {rc}: {err.strip()[:300]}")
    bad = os.path.join(m.C.work, "unauthorised.kubeconfig")
    with open(os.environ["KUBECONFIG"]) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(re.sub(r"client-certificate: .*\n\s*client-key: .*", "token: not-a-valid-token", text))
    rc, out, err, _ = agentctl(m, "doctor", "--kubeconfig", bad)
    if rc != 2 or "refused our credentials (401 Unauthorized)" not in err:
        probs.append(f"unauthorised: exit {rc}: {err.strip()[:300]}")
    m.record("live:unreachable-and-unauthorised-exit-2-located", probs)


def live_stall(m):
    """diff --live counts what runs now: another team's pod holds the quota's last CPU, so the
    agent's next rollout (maxUnavailable 0: a surge pod first) stalls for certain; the same
    change compared as directories (no cluster) cannot see it. Negative control: without that
    pod, diff --live predicts no stall."""
    ns = "e2e-live-stall"
    inputs, d, probs = deploy(m, ns, HEALTHY)
    if probs:
        m.record("live:diff-live-stall-from-quota-held-by-others", probs)
        return
    change = ["--set", "agent.image=your-registry/production-agent:v1.0.1"]
    rc, out, err, _ = agentctl(m, "diff", "--live", *inputs, *change)
    expect(probs, "diff --live (room for a surge pod)", rc, 1, out, err,
           must=[r"Deployment agent-deployment"], must_not=[r"stalls for certain|may stall|, stall"])
    q = m.kjson("get", "resourcequota", "agent-quota", "-n", ns)
    hard = q["spec"]["hard"]["limits.cpu"]
    used = q.get("status", {}).get("used", {}).get("limits.cpu", "0")
    def milli(v):
        return int(v[:-1]) if v.endswith("m") else int(float(v) * 1000)
    free = milli(hard) - milli(used)
    node = m.kjson("get", "nodes", "-l", "type=kwok")["items"][0]["metadata"]["name"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "other-team", "namespace": ns},
           "spec": {"nodeName": node, "containers": [{"name": "c", "image": "e2e.invalid/other:1",
                    "resources": {"limits": {"cpu": f"{free}m", "memory": "64Mi"},
                                  "requests": {"cpu": "10m", "memory": "64Mi"}},
                    "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 1000,
                                        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}]}}
    rc, out, err = m.k("apply", "-f", "-", inp=json.dumps(pod))
    if rc != 0:
        probs.append(f"create the other team's pod ({free}m CPU): {err.strip()[:300]}")
    # The quota controller counts the pod in its status asynchronously (seconds under load):
    # diff --live reads that status, so wait until it holds the whole quota, at most 60 s.
    for _ in range(60):
        used_now = m.kjson("get", "resourcequota", "agent-quota", "-n", ns).get("status", {}).get("used", {})
        if milli(used_now.get("limits.cpu", "0")) >= milli(hard):
            break
        time.sleep(1)
    else:
        probs.append(f"the quota's status never counted the other team's pod: used {used_now}")
    rc, out, err, _ = agentctl(m, "diff", "--live", *inputs, *change, "--fail-on", "stall")
    expect(probs, "diff --live (quota held by another pod)", rc, 3, out, err,
           must=[r"rollout stalls for certain with 3 pods of Deployment agent-deployment running now",
                 r"the quota already counts [^;]*limits.cpu " + (f"{free // 1000}," if free % 1000 == 0 else f"{free}m,"),
                 r"for pods the render does not own",
                 r"ResourceQuota agent-quota .*refuses its new pod: limits.cpu would be"])
    if probs:  # what the cluster held when it failed (it flaked once under load: 3900m for 5000m)
        used_now = m.kjson("get", "resourcequota", "agent-quota", "-n", ns).get("status", {}).get("used", {})
        _, pods, _ = m.k("get", "pods", "-n", ns, "-o", "custom-columns=N:.metadata.name,P:.status.phase,"
                         "L:.spec.containers[*].resources.limits.cpu,D:.metadata.deletionTimestamp")
        probs.append(f"free was {free}m of {hard} (used {used}); quota used now {used_now}; pods:\n{pods}")
    # The directory diff compares renders, not the cluster: no stall there.
    base = os.path.join(m.C.work, "stall-base")
    rc1, _, err1, _ = agentctl(m, "render", "-q", *inputs, "-o", base)
    rc2, out2, err2, _ = agentctl(m, "diff", "-o", base, *inputs, *change, "--format", "json")
    if rc1 != 0 or rc2 != 1 or '"class": "stall"' in out2 or "agent-deployment" not in out2:
        probs.append(f"directory diff: render {rc1} {err1[-200:]}, diff {rc2}: {(out2 + err2)[-400:]}")
    m.k("delete", "pod", "other-team", "-n", ns, "--grace-period=0", "--force")
    m.record("live:diff-live-stall-from-quota-held-by-others", probs)


def in_cluster(m):
    """No kubeconfig, a pod's service account (as in a CI job running in the cluster): the
    token, CA and namespace files at the path every client reads, mounted in a private mount
    namespace (unshare) for agentctl alone. Without RBAC the account is forbidden: exit 2 naming
    the request and the check command; bound to a role it reads the deployment: status exit 0."""
    ns = "e2e-live-ok"
    probs = []
    with open(os.environ["KUBECONFIG"]) as f:
        text = f.read()
    server = re.search(r"server: https://([^:\s]+):(\d+)", text)
    ca = re.search(r"certificate-authority: (\S+)", text)
    if not server or not ca:
        m.record("live:in-cluster-service-account", [f"cannot read server/CA from {os.environ['KUBECONFIG']}"])
        return
    sa = os.path.join(m.C.work, "serviceaccount")
    os.makedirs(sa, exist_ok=True)
    m.k("create", "serviceaccount", "agentctl-ci", "-n", ns)
    rc, token, err = m.k("create", "token", "agentctl-ci", "-n", ns, "--duration", "1h")
    if rc != 0:
        m.record("live:in-cluster-service-account", [f"kubectl create token: {err.strip()[:300]}"])
        return
    with open(os.path.join(sa, "token"), "w") as f:
        f.write(token.strip())
    with open(ca.group(1)) as src, open(os.path.join(sa, "ca.crt"), "w") as dst:
        dst.write(src.read())
    with open(os.path.join(sa, "namespace"), "w") as f:
        f.write(ns)
    home = os.path.join(m.C.work, "empty-home")
    os.makedirs(home, exist_ok=True)
    env = {"PATH": os.environ["PATH"], "HOME": home,
           "KUBERNETES_SERVICE_HOST": server.group(1), "KUBERNETES_SERVICE_PORT": server.group(2)}
    mount = ('mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && '
             'mount --bind "$0" /run/secrets/kubernetes.io/serviceaccount && exec "$@"')

    def pod_agentctl(*args):
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, sa,
               m.C.agentctl, *args]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=m.C.repo)
            return p.returncode, p.stdout, p.stderr
        except (OSError, subprocess.TimeoutExpired) as e:
            return 125, "", f"{e}"

    inputs = [*HEALTHY, "--set", f"namespace={ns}"]
    rc, out, err = pod_agentctl("status", *inputs)
    if rc != 2 or "(in-cluster service account) forbids us to" not in err or "auth can-i --list" not in err:
        probs.append(f"status without RBAC: exit {rc}, expected 2 forbidden: {err.strip()[-400:]}")
    m.k("create", "clusterrolebinding", "agentctl-ci", "--clusterrole=cluster-admin",
        f"--serviceaccount={ns}:agentctl-ci")
    time.sleep(1)
    rc, out, err = pod_agentctl("status", *inputs)
    expect(probs, "status in-cluster", rc, 0, out, err, must=[r"healthy: \d+ objects"])
    m.k("delete", "clusterrolebinding", "agentctl-ci")
    m.record("live:in-cluster-service-account-and-forbidden", probs)


def spread(m):
    """A DoNotSchedule spread constraint over a node label no node carries: the scheduler keeps
    every pod Pending (checked on the cluster), doctor names the constraint and the fix."""
    ns = "e2e-live-spread"
    f = os.path.join(m.C.work, "spread.yaml")
    with open(f, "w") as fh:
        fh.write("agent:\n  topologySpreadConstraints:\n"
                 "    - topologyKey: topology.example.com/rack\n"
                 "      whenUnsatisfiable: DoNotSchedule\n")
    inputs, d, probs = deploy(m, ns, [*HEALTHY, "-f", f], wait=False)
    time.sleep(5)
    pods = m.kjson("get", "pods", "-n", ns, "-l", "app.kubernetes.io/name=agent")["items"]
    pending = [p for p in pods if p.get("status", {}).get("phase") == "Pending"]
    if not pods or len(pending) != len(pods):
        probs.append(f"expected every agent pod Pending, got {[p.get('status', {}).get('phase') for p in pods]}")
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (spread)", rc, 1, out, err,
           must=[r"FINDING Deployment agent-deployment \[nodes\]",
                 r"spread constraint over node label topology.example.com/rack \(DoNotSchedule\) needs nodes that carry the label",
                 r"kubectl label node NODE topology.example.com/rack=VALUE"],
           must_not=[r"agent.zoneSpread=preferred"])
    m.record("live:spread-over-a-label-no-node-has-pending-named", probs)


def redis_unreachable(m):
    """Redis as the agent reaches it, broken two ways on a healthy deployment: the policy that
    admits the agent to Redis deleted (default-deny still applied), then the Redis StatefulSet
    scaled to 0 (its Service has no ready endpoint). Negative control: before, doctor is
    silent about Redis."""
    ns = "e2e-live-redis"
    inputs, d, probs = deploy(m, ns, HEALTHY)
    if probs:
        m.record("live:redis-unreachable-policy-and-endpoints", probs)
        return
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (redis healthy)", rc, 0, out, err, must_not=[r"Redis is unreachable"])
    m.k("delete", "networkpolicy", "redis-network-policy", "-n", ns)
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (redis policy gone)", rc, 1, out, err,
           must=[r"FINDING NetworkPolicy redis-network-policy \[redis\]",
                 r"default-deny NetworkPolicy is applied but the policy that admits the agent to Redis is not"])
    m.apply_k(d)
    m.k("scale", "statefulset", "redis", "--replicas=0", "-n", ns)
    for _ in range(30):
        if not m.kjson("get", "pods", "-n", ns, "-l", "app.kubernetes.io/name=redis")["items"]:
            break
        time.sleep(1)
    rc, out, err, _ = agentctl(m, "doctor", *inputs)
    expect(probs, "doctor (redis scaled to 0)", rc, 1, out, err,
           must=[r"FINDING Service redis\S* \[redis\]", r"Redis is unreachable: the Service has no ready endpoint",
                 r"kubectl get endpointslices -l kubernetes.io/service-name="],
           must_not=[r"FINDING NetworkPolicy redis-network-policy"])
    m.record("live:redis-unreachable-policy-and-endpoints", probs)


def scenario_live(m):
    m.top_up(20)
    for fn in (healthy, pod_states, stuck, spread, secret_key, storage_class, quota, live_stall, redis_unreachable, metrics_api,
               unreachable, in_cluster):
        try:
            fn(m)
        except Exception as e:  # a crash of one scenario is its failure, not the run's
            m.record(f"live:{fn.__name__}", [f"crashed: {e}"])
    med = {k: statistics.median(v) for k, v in TIMES.items() if v}
    m.log("figures (live): median " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in med.items())
          + f" against this cluster ({', '.join(f'{len(v)} runs' for v in TIMES.values())})")
