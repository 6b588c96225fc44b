//! The rule table: every rule's stable ID, severity, title, doc and fix, in ID order. IDs are
//! never reused or renumbered (SARIF results and acceptances name them); a retired rule keeps
//! its row.

use super::Severity::{self, Error, Warning};

/// One rule.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable ID, `AGT1xx`.
    pub id: &'static str,
    /// Short kebab-case name.
    pub name: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One line.
    pub title: &'static str,
    /// One paragraph: what it checks and why.
    pub doc: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    /// Off unless asked for (`agentctl lint --enable ID`): a stricter policy than the render
    /// promises, for teams that want it.
    pub opt_in: bool,
}

impl Rule {
    /// The fix for a finding on `object` (`Kind/name`): a fix that names the object an
    /// `accept:` entry takes writes `{object}`, filled in here with the finding's own.
    pub fn fix_for(&self, object: &str) -> String {
        self.fix.replace("{object}", object)
    }

    /// The fix as the rule's documentation shows it, for no object in particular.
    pub fn fix_text(&self) -> String {
        self.fix.replace("{object}", "KIND/NAME")
    }
}

const PSS: &str = "The namespace enforces Pod Security `restricted`: admission refuses a pod (and \
the controller of a Deployment, StatefulSet, DaemonSet, Job or CronJob keeps failing to create \
it) whose spec breaks it. Checked for every pod template of every workload kind, init \
containers and native sidecars included.";

macro_rules! opt {
    () => {
        false
    };
    (opt_in) => {
        true
    };
}

macro_rules! rules {
    ($($id:literal $name:literal $sev:ident $(+ $opt:ident)? $title:literal, $doc:expr, $fix:literal;)*) => {
        /// Every rule, in ID order.
        pub const RULES: &[Rule] = &[$(Rule {
            id: $id, name: $name, severity: $sev, title: $title, doc: $doc, fix: $fix,
            opt_in: opt!($($opt)?),
        },)*];
    };
}

rules! {
    "AGT101" "privileged" Error "privileged container",
        PSS,
        "remove `privileged: true` from the container's securityContext (or set it to false)";
    "AGT102" "host-namespaces" Error "host network, PID or IPC namespace",
        PSS,
        "remove `hostNetwork`, `hostPID` and `hostIPC` from the pod spec";
    "AGT103" "host-path" Error "hostPath or other non-restricted volume",
        PSS,
        "use an emptyDir, configMap, secret, projected, persistentVolumeClaim or ephemeral volume instead";
    "AGT104" "host-port" Error "hostPort on a container port",
        PSS,
        "remove `hostPort`; expose the port through a Service";
    "AGT105" "proc-mount" Error "procMount other than Default",
        PSS,
        "remove `procMount` from the securityContext";
    "AGT106" "apparmor-unconfined" Error "AppArmor profile Unconfined",
        PSS,
        "remove the AppArmor override (or use `RuntimeDefault` / `Localhost`)";
    "AGT107" "selinux" Error "SELinux type, user or role overridden",
        PSS,
        "remove `seLinuxOptions.type`/`user`/`role` (only container_t, container_init_t, container_kvm_t and container_engine_t are allowed)";
    "AGT108" "sysctls" Error "unsafe sysctl",
        PSS,
        "remove the sysctl, or keep to the safe set (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_*)";
    "AGT109" "capabilities" Error "capabilities not dropped, or added",
        PSS,
        "set `capabilities: {drop: [ALL]}` and add nothing but NET_BIND_SERVICE";
    "AGT110" "run-as-non-root" Error "may run as root",
        PSS,
        "set `runAsNonRoot: true` (pod or container securityContext) and never `runAsUser: 0`";
    "AGT111" "seccomp" Error "no seccomp profile, or Unconfined",
        PSS,
        "set `seccompProfile: {type: RuntimeDefault}` in the pod's securityContext";
    "AGT112" "privilege-escalation" Error "privilege escalation allowed",
        PSS,
        "set `allowPrivilegeEscalation: false` in the container's securityContext";
    "AGT120" "probes" Warning "long-running container without readiness or liveness probe",
        "A container of a Deployment, StatefulSet or DaemonSet (or a native sidecar) runs until it \
is replaced. Without a readiness probe it gets traffic before it can serve it, and a rollout \
goes on over broken pods; without a liveness probe a hung process is never restarted.",
        "add `readinessProbe` and `livenessProbe` to the container";
    "AGT121" "resources" Warning "container without CPU and memory requests and a memory limit",
        "Every container needs CPU and memory requests (scheduling, the autoscaler's utilization) \
and a memory limit (the namespace's ResourceQuota counts it; one container without it either takes \
the LimitRange default, which was sized for someone else, or is refused by quota admission). A CPU \
limit is a choice (without one the container is never throttled; its request still reserves its \
share), except where the namespace's ResourceQuota counts `limits.cpu` and no LimitRange default \
gives one: quota admission then refuses the pod.",
        "set `resources.requests` for cpu and memory and `resources.limits.memory`; where the quota counts `limits.cpu`, a CPU limit too (or a quota without `limits.cpu`)";
    "AGT122" "image-tag" Warning "image without a pinned tag",
        "An image without a tag or with `:latest` changes under the same manifest: a rollback \
brings back the new code, and two pods of one ReplicaSet can run different builds. Pinning a \
digest (`@sha256:`) is stronger still.",
        "use an immutable version tag (`:v1.2.3`) or a digest";
    "AGT123" "pull-policy" Warning "image pull policy incoherent with the tag",
        "With `:latest` (or no tag) and `imagePullPolicy: IfNotPresent`, each node keeps the \
build it pulled first: pods of one ReplicaSet run different code, and a new push reaches only \
new nodes. `Never` starts a pod only on a node that already holds the image: on any other node \
it stays in ErrImageNeverPull.",
        "pin the tag (then `IfNotPresent` is right), or use `imagePullPolicy: Always` with a moving tag; do not use `Never` outside a single-node test cluster";
    "AGT124" "digest" Warning + opt_in "image not pinned by digest (opt-in)",
        "A tag can be pushed again; a digest (`image@sha256:...`) names exactly one build, so \
what was reviewed is what runs. Off by default (a version tag is the render's promise); \
`agentctl lint --enable AGT124` turns it on.",
        "reference the image by digest: `registry/name:v1.2.3@sha256:<digest>` (`docker buildx imagetools inspect` prints it)";
    "AGT125" "limit-range" Error "container the namespace's LimitRange refuses",
        "The namespace's LimitRange admission fills in a container's missing limits and \
requests with its defaults, then refuses a pod whose container is below a `min`, above a `max` \
or past a `maxLimitRequestRatio`, and the pod's own validation refuses a request above its \
limit. A patch that removes a limit (`limits.cpu`) leaves the LimitRange's default, which may be \
below the container's request: the workload applies, and its controller never creates a pod.",
        "set the container's limit (at least its request) instead of removing it, or change the LimitRange's bounds";
    "AGT130" "allow-all-rule" Error "NetworkPolicy rule that allows everything",
        "NetworkPolicies add up: one rule with no `from`/`to` and no ports (`ingress: [{}]`) \
allows every source on every port for the pods it selects, which cancels the default-deny \
policy the render promises.",
        "name the peers (`from`/`to` with a podSelector or namespaceSelector) and the ports";
    "AGT131" "default-deny" Error "pod not isolated by a NetworkPolicy",
        "Every pod the render runs is meant to be selected by a NetworkPolicy for both ingress and \
egress (the default-deny policy selects them all): a pod no policy selects accepts any \
connection and reaches anything. Checked where the render has NetworkPolicies in the pod's \
namespace (with `networkPolicy.enabled: false` it has none, on purpose).",
        "keep the default-deny policy (`default-deny-all`, podSelector: {}; with `createNamespace: false`, `agent-default-deny`, which selects only the pods labelled `app.kubernetes.io/managed-by: agentctl` and `app.kubernetes.io/part-of: agent-system`: give an extra workload's pods those labels) or add a policy selecting the pod";
    "AGT132" "service-port" Warning "Service port that reaches no container port",
        "A Service sends each port to its `targetPort` (the `port` when absent) on the pods its \
selector picks. A named targetPort that no container of those pods declares leaves the Service \
without endpoints; a number no container declares, or a selector that picks no pod of the \
render, means the port serves nothing the render knows of.",
        "make `targetPort` the name or number of a `containerPort` of the selected pods (or fix the selector)";
    "AGT133" "port-blocked" Warning "container port no NetworkPolicy lets in",
        "A pod selected by an ingress NetworkPolicy accepts only what some policy's rule \
allows. A declared `containerPort` (a sidecar's, a port a patch added) that no rule of a policy \
selecting the pod allows is unreachable from everywhere, Services and probes from other pods \
included, with no error anywhere but timeouts.",
        "allow the port in a NetworkPolicy rule naming the peers that need it (or remove the port if nothing should reach it)";
    "AGT134" "port-open-unused" Warning "NetworkPolicy allows a port no selected container declares",
        "An ingress rule's port that no container of the pods the policy selects declares opens \
the pods wider than the render serves: whatever listens there later (a debug endpoint, a \
process an attacker starts) is reachable with no review.",
        "remove the port from the rule, or declare the container port that serves it";
    "AGT135" "ingress-from-anywhere" Warning "NetworkPolicy lets in every address or every namespace",
        "An ingress rule whose peer is an `ipBlock` of every address (`0.0.0.0/0`, `::/0`: any \
prefix length 0, with or without `except`) lets in anything that can route to the pods, the \
internet included where a load balancer or node port forwards; a `namespaceSelector: {}` \
(`namespaces: {}` in `networkPolicy.ingressFrom`) lets in pods of every namespace, present and \
future, so anyone who can run a pod anywhere in the cluster reaches the agent (with a \
`podSelector` beside it, any pod that carries those labels). Default-deny then guards only the \
ports the rule does not list. (A rule that also lists no ports is AGT130.)",
        "name the callers: `namespaces: {kubernetes.io/metadata.name: NAME}` (and `pods:` labels), or the CIDR of the networks that call the agent";
    "AGT136" "egress-blocked" Warning "Job or CronJob whose pods can send nothing",
        "A pod selected by an egress NetworkPolicy sends only what some policy's rule allows. \
The default deny (`agent-default-deny`) selects every pod of the namespace it renders (or every \
pod agentctl labels, in a shared one): the pods of a Job or CronJob an extra object or a patch \
adds are isolated too, and with no policy whose egress rules select them they cannot reach \
anything, the cluster DNS included. A batch job that calls nothing is rare: the run fails on its \
first lookup, with no error anywhere but the job's own log.",
        "add a NetworkPolicy (an extra object) selecting the job's pods with the egress they need (at least DNS: UDP and TCP 53 to kube-system), or accept it if the job really sends nothing";
    "AGT140" "exposure" Error "Service exposed outside the cluster",
        "A Service of type LoadBalancer or NodePort, or with externalIPs, opens the workload to \
networks outside the cluster. The typed settings expose the agent through the Ingress or \
Gateway they render, or through `agent.service.type` (the finding is then off by that \
setting, located at it, and not counted); exposure that a patch or extra object adds bypasses \
that intent, and the finding is located at the patch or object that wrote it.",
        "expose through the typed `ingress`/`httpRoute` settings, or keep the Service ClusterIP; a \
LoadBalancer or NodePort meant (an internal load balancer, its annotations in \
`agent.service.annotations`): accept it in an override file, `accept: [{rule: AGT140, object: \
{object}, reason: \"internal load balancer\"}]`";
    "AGT150" "rbac-wildcard" Error "RBAC rule with a wildcard",
        "A `*` in apiGroups, resources or verbs grants every present and future permission of \
that dimension, including ones that lead to cluster admin.",
        "list the exact apiGroups, resources and verbs the workload needs";
    "AGT151" "rbac-secrets" Error "RBAC list or watch on Secrets",
        "`list` and `watch` on secrets return every Secret's value in the namespace, not only \
the one the workload needs.",
        "grant `get` on the named Secret (`resourceNames`) instead";
    "AGT152" "rbac-escalation" Error "RBAC escalate, bind or impersonate",
        "`escalate`, `bind` and `impersonate` let the holder grant itself or act with \
permissions it does not have.",
        "remove the verb; grant the needed permissions directly";
    "AGT153" "rbac-broad-binding" Error "RoleBinding to a broad role or to everyone",
        "A RoleBinding or ClusterRoleBinding that grants the built-in `cluster-admin`, `admin` \
or `edit` ClusterRole hands its subjects every Secret of the namespace and the power to run any \
pod there (and, for `cluster-admin`, the whole cluster); one whose subjects include \
`system:authenticated`, `system:unauthenticated`, `system:anonymous` or all service accounts \
(`system:serviceaccounts`) grants its role to everyone. Neither shows in the rules of a Role \
the render writes, which AGT150-AGT152 read.",
        "bind a Role that lists the exact verbs and resources, to the named ServiceAccount that needs them";
    "AGT160" "credential-source" Error "credential not from a Secret",
        "A credential must come from a Secret (`secretKeyRef`, `secretRef`): a ConfigMap or a \
literal value is readable by anyone who can read the namespace's configuration, and is committed \
to Git. The one credential policy (the same that refuses patches and extra objects) finds it by \
name (a ConfigMap key, an env variable, an annotation or label, a `--flag=value` or `--flag \
value` argument whose name says password, token, key, ...) and by value, whatever the name: a \
known token prefix, a JWT, a private key, a URL with a password, in every string of every \
object; and any value of a Secret. A short ordinary-looking value under an ordinary name is not \
caught.",
        "reference the Secret: `valueFrom: {secretKeyRef: {name: agent-secrets, key: <key>}}`";
    "AGT161" "token-automount" Warning "service account token mounted",
        "A pod that does not call the Kubernetes API should not carry a service account token: \
the render sets `automountServiceAccountToken: false`; a token mounted anyway is a credential \
an attacker in the container can use.",
        "set `automountServiceAccountToken: false` in the pod spec";
    "AGT170" "pdb-blocks-drain" Error "PodDisruptionBudget that blocks every drain",
        "A PodDisruptionBudget that allows no disruption at the workload's lowest replica count \
while it runs (the autoscaler's minimum, at least 1: a KEDA ScaledObject that scales to 0 \
runs at least one pod whenever it runs any, and at 0 there is nothing to evict; else \
spec.replicas) makes every node drain hang: cluster upgrades and autoscaler scale-downs stall.",
        "lower minAvailable (or raise maxUnavailable) so at least one pod may be evicted at the minimum replica count";
    "AGT171" "revision-history" Warning "no rollout history kept",
        "`revisionHistoryLimit: 0` deletes every old ReplicaSet: `kubectl rollout undo` has \
nothing to go back to.",
        "keep `revisionHistoryLimit` above 0 (the default is 10)";
    "AGT172" "spread-capacity" Error "required anti-affinity or topology spread the replicas cannot meet",
        "A required pod anti-affinity against the workload's own pods places at most one pod per \
topology domain; a `DoNotSchedule` spread whose `minDomains` exceeds the domains there are \
places at most `maxSkew` per domain. Where the pod's node selection names the domains (a \
`nodeSelector` or a required node affinity `In` a list of zones or hosts), the render knows \
how many there are: more replicas than fit stay Pending forever, and with rolling-update surge \
on top, every rollout stalls on the pod that has nowhere to go.",
        "use preferred anti-affinity (or `ScheduleAnyway`), allow more domains, or keep the maximum replicas (plus surge) within what fits";
    "AGT173" "quota-max-scale" Error "ResourceQuota smaller than the maximum scale",
        "The namespace's ResourceQuota must hold every pod at once at maximum scale: each \
workload's autoscaler maximum (else its replicas) plus rolling-update surge, times what quota \
admission counts of one pod (containers, native sidecars, init containers, LimitRange \
defaults, overhead). Below that, the autoscaler's scale-up and rollouts are refused pods at \
the moment load is highest.",
        "raise the quota's figure (or leave agentctl to derive it: unset `quota.*`), or lower the autoscaler's maximum";
    "AGT174" "backup" Warning "persistent Redis without a backup",
        "A Redis that keeps its data on a volume (a StatefulSet with volumeClaimTemplates) holds \
state the agent relies on; without a scheduled backup (a CronJob that reaches its Service) a \
lost volume or a bad write is unrecoverable.",
        "enable `backup` (the CronJob `redis-backup`), or add a CronJob that snapshots the Redis Service";
    "AGT175" "no-pdb" Warning "several replicas and no PodDisruptionBudget",
        "A Deployment or StatefulSet that runs more than one pod (its replicas, or its \
autoscaler's maximum) and that no PodDisruptionBudget selects can lose every pod at once to a \
node drain or a cluster upgrade: nothing tells the eviction API to keep any of them.",
        "add a PodDisruptionBudget selecting its pods with `maxUnavailable: 1` (the typed `disruptionBudget.enabled: true` renders it)";
    "AGT176" "keda-no-trigger" Error "ScaledObject without a trigger",
        "KEDA scales a workload on its ScaledObject's triggers; with none it never scales it \
(and KEDA reports the object not ready): the autoscaling the render promises does not happen.",
        "turn on `keda.prometheus.enabled` or `keda.redisList.enabled`, or add the trigger with a patch of `spec.triggers`";
    "AGT180" "runbook" Warning "alert without a runbook",
        "Every alert must say what to do when it fires: an `annotations.runbook_url` the \
on-call can open from the notification.",
        "add `annotations: {runbook_url: https://...}` to the alert";
}

/// The rule of an ID in [`RULES`] (the gallery test fires every ID, so a misspelled one in a
/// rule's code fails it).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
