#!/usr/bin/env bash
# A real Kubernetes control plane on loopback, for scripts/cluster-e2e.sh and for people (issue 15).
#
#   scripts/cluster.sh up       build (once) and start etcd, kube-apiserver, kube-controller-manager,
#                               kube-scheduler and kwok; create fake nodes, StorageClasses,
#                               PersistentVolumes and the CRDs; last line: export KUBECONFIG=...
#   scripts/cluster.sh down     stop every process `up` started (by PID) and remove the state
#   scripts/cluster.sh build    only build the binaries (skipped when the cache is up to date)
#   scripts/cluster.sh status   say whether it runs, and where
#   scripts/cluster.sh pvs N    make sure N Available PersistentVolumes exist per StorageClass
#
# Binaries are built with `go build` from the Go module proxy, at the versions pinned in
# scripts/cluster/{kube,etcd,kwok}/go.{mod,sum}, each into its own
# ${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}/cluster/parts/<part>-<stamp>, where <stamp>
# hashes that part's files, the Go version and (Kubernetes) the version stamped into it: a warm
# re-run does not rebuild, and a change rebuilds only its part. Builds run under `nice -n 19`
# (`AGENTCTL_BUILD_NICE` sets another niceness: .ci/run builds at 0, beside cargo).
# The Kubernetes binaries report v1.33.13 (`kubectl version`), stamped as Kubernetes' release does.
# The state (certificates, etcd data, logs, PIDs) lives in
# ${AGENTCTL_CLUSTER_STATE:-$tools/cluster/state}. Everything listens on 127.0.0.1 only, on the
# ports AGENTCTL_CLUSTER_PORT (API server, default 26443) and the five after it.
# Versions: Kubernetes v1.33.13 (the oldest minor >= 1.33 the proxy serves), etcd v3.6.16, kwok v0.8.0.
#
# kwok plays the kubelet for every Node annotated `kwok.x-k8s.io/node: fake`: the real scheduler
# places pods on them and kwok reports them running and ready (no containers). CRDs come from
# ../shared/reference/crds (or AGENTCTL_CRDS); without them `up` says so loudly and writes
# `crds-missing` into the state directory so the e2e scenarios that need them fail.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
mods="$here/cluster"
tools="${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}"
state="${AGENTCTL_CLUSTER_STATE:-$tools/cluster/state}"
port="${AGENTCTL_CLUSTER_PORT:-26443}"
api_port=$port etcd_port=$((port + 1)) peer_port=$((port + 2)) kcm_port=$((port + 3))
sched_port=$((port + 4)) kwok_port=$((port + 5))
nodes="${AGENTCTL_CLUSTER_NODES:-16}"          # 3 of every 4 are node-type=high-performance
pv_pool="${AGENTCTL_CLUSTER_PVS:-40}"          # Available PVs per StorageClass after `up`

K8S_VERSION=v1.33.13 ETCD_VERSION=v3.6.16 KWOK_VERSION=v0.8.0
# Go's default install location, for shells whose PATH lacks it (e.g. a CI runner's).
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi

say() { printf '== cluster: %s\n' "$*" >&2; }
loud() { printf '\n!!! %s !!!\n\n' "$*" >&2; }
die() { loud "CLUSTER NOT STARTED: $*"; exit 3; }

# The version the Kubernetes binaries report (`kubectl version`, /version, Helm's capabilities):
# a module build has no git tree, so without these they say `v0.0.0-master+$Format:%H$`.
# What Kubernetes' own hack/lib/version.sh stamps, for a build from a source archive: the tag,
# its major/minor, tree state `archive`, the tag's time as the build date (from the module
# proxy's .info, so the build is reproducible). The commit is left empty: the module zip
# carries no git metadata, and a made-up hash would be worse than none.
kube_ldflags() {
  local info date minor
  info="$(cd "$mods/kube" && GOFLAGS=-mod=readonly go mod download -json k8s.io/kubernetes 2>/dev/null |
    sed -n 's/.*"Info": "\(.*\)",*/\1/p')"
  date="$( [ -n "$info" ] && sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info")"
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local v=k8s.io/component-base/version
  printf -- '-s -w -X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitCommit= -X %s.gitTreeState=archive -X %s.buildDate=%s' \
    "$v" "$K8S_VERSION" "$v" "$v" "$minor" "$v" "$v" "$v" "${date:-1970-01-01T00:00:00Z}"
}

# One cache directory per component, keyed by what builds it (its go.mod/go.sum, sources, the
# Go version and, for the Kubernetes binaries, the version stamp): changing one rebuilds only
# that one. The bin directory the processes run from hard-links the three together.
part_stamp() { # kube|etcd|kwok
  local go_v
  go_v="$(go env GOVERSION 2>/dev/null || echo nogo)"
  { cat "$mods/$1"/go.mod "$mods/$1"/go.sum; [ "$1" = etcd ] && cat "$mods"/etcd/main.go
    [ "$1" = kube ] && kube_ldflags; echo "$go_v"; } | sha256sum | cut -c1-16
}
part_dir() { printf '%s/cluster/parts/%s-%s' "$tools" "$1" "$(part_stamp "$1")"; }
# The single-directory layout used before the parts (every file hashed together): its etcd and
# kwok are reused rather than rebuilt (their inputs are the same).
legacy_dir() {
  local go_v
  go_v="$(go env GOVERSION 2>/dev/null || echo nogo)"
  printf '%s/cluster/%s-%s/bin' "$tools" "$K8S_VERSION" "$( { cat "$mods"/kube/go.mod "$mods"/kube/go.sum \
    "$mods"/etcd/go.mod "$mods"/etcd/go.sum "$mods"/etcd/main.go "$mods"/kwok/go.mod "$mods"/kwok/go.sum
    echo "$go_v"; } | sha256sum | cut -c1-16)"
}
bin_dir() {
  printf '%s/cluster/%s-%s/bin' "$tools" "$K8S_VERSION" \
    "$(printf '%s\n' "$(part_stamp kube)" "$(part_stamp etcd)" "$(part_stamp kwok)" | sha256sum | cut -c1-16)"
}
want_bins=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok kwok-stages.yaml)
part_files() { case "$1" in kube) echo kube-apiserver kube-controller-manager kube-scheduler ;;
                            etcd) echo etcd ;; kwok) echo kwok kwok-stages.yaml ;; esac; }

# ------------------------------------------------------------------------------------ build
part_complete() { # dir part
  local f
  [ -f "$1/.complete" ] || return 1
  for f in $(part_files "$2"); do [ -s "$1/$f" ] || return 1; done
}

build_part() { # kube|etcd|kwok
  local part="$1" dir tmp t0 f legacy
  dir="$(part_dir "$part")"
  if part_complete "$dir" "$part"; then say "$part up to date in $dir"; return 0; fi
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  legacy="$(legacy_dir)"
  if [ "$part" != kube ] && [ -f "$legacy/.complete" ]; then
    for f in $(part_files "$part"); do cp -p "$legacy/$f" "$tmp/$f"; done
    echo "reused from $legacy at $(date -u +%FT%TZ)" >"$tmp/.complete"
    rm -rf "$dir"; mv "$tmp" "$dir"
    say "$part reused from the previous cache layout ($legacy)"
    return 0
  fi
  t0=$(date +%s)
  local gob=(nice -n "${AGENTCTL_BUILD_NICE:-19}" env GOFLAGS=-mod=readonly go build -trimpath)
  say "building $part into $dir (cold: the Kubernetes binaries take tens of minutes on 2 cores)"
  local ok=1
  case "$part" in
    kube) (cd "$mods/kube" && "${gob[@]}" -ldflags="$(kube_ldflags)" -o "$tmp/" k8s.io/kubernetes/cmd/kube-apiserver \
            k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler) >"$tmp/build.log" 2>&1 || ok=0 ;;
    etcd) (cd "$mods/etcd" && "${gob[@]}" -ldflags='-s -w' -o "$tmp/etcd" .) >"$tmp/build.log" 2>&1 || ok=0 ;;
    kwok) (cd "$mods/kwok" && "${gob[@]}" -ldflags='-s -w' -o "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok) >"$tmp/build.log" 2>&1 || ok=0 ;;
  esac
  if [ "$ok" = 0 ]; then
    tail -n 30 "$tmp/build.log" >&2
    if grep -qiE 'dial tcp|no such host|connection refused|i/o timeout|proxyconnect|TLS handshake|403 Forbidden|404 Not Found|module lookup disabled' "$tmp/build.log"; then
      die "the Go module proxy could not be reached and the module cache lacks what the build needs (log: $tmp/build.log)"
    fi
    die "go build of $part failed (log: $tmp/build.log)"
  fi
  if [ "$part" = kwok ]; then
    # kwok's own Stage definitions (node initialize + lease heartbeat, fast pod lifecycle), from
    # the kwok module the proxy served; kwok runs with no stages otherwise.
    local kdir
    kdir="$(cd "$mods/kwok" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
    { for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
               pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
        echo '---'; cat "$kdir/kustomize/stage/$f"
      done; } >"$tmp/kwok-stages.yaml" || die "kwok's stage files are missing from $kdir"
  fi
  echo "built in $(( $(date +%s) - t0 ))s at $(date -u +%FT%TZ)" >"$tmp/.complete"
  rm -rf "$dir"; mkdir -p "$(dirname "$dir")"; mv "$tmp" "$dir"
  say "$part built in $(( $(date +%s) - t0 ))s"
}

build() {
  command -v go >/dev/null 2>&1 ||
    die "no Go toolchain on PATH: cannot build kube-apiserver, etcd and kwok (install Go >= 1.26)"
  local bin tmp ok=1 f part
  bin="$(bin_dir)"
  for f in "${want_bins[@]}"; do [ -s "$bin/$f" ] || ok=0; done
  if [ "$ok" = 1 ] && [ -f "$bin/.complete" ]; then
    say "binaries up to date in $bin"
    return 0
  fi
  for part in kube etcd kwok; do build_part "$part"; done
  tmp="$bin.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  for part in kube etcd kwok; do
    for f in $(part_files "$part"); do
      ln "$(part_dir "$part")/$f" "$tmp/$f" 2>/dev/null || cp -p "$(part_dir "$part")/$f" "$tmp/$f"
    done
  done
  echo "assembled at $(date -u +%FT%TZ) from $(for part in kube etcd kwok; do part_dir "$part"; echo; done | tr '\n' ' ')" >"$tmp/.complete"
  rm -rf "$bin"; mkdir -p "$(dirname "$bin")"; mv "$tmp" "$bin"
  say "binaries in $bin"
}

# ------------------------------------------------------------------------------------ helpers
pid_alive() { [ -f "$state/pids/$1" ] && kill -0 "$(cat "$state/pids/$1")" 2>/dev/null; }
# The PID still runs the binary we started (not a recycled PID after a reboot).
pid_ours() { # name pid
  local exe
  exe="$(readlink "/proc/$2/exe" 2>/dev/null || true)"
  [ -n "$exe" ] && [ "$exe" = "$(cat "$state/bin" 2>/dev/null)/$1" ]
}
kc() { "${KUBECTL:-kubectl}" --kubeconfig "$state/admin.kubeconfig" "$@"; }

readyz() {
  curl -fsS --max-time 3 --cacert "$state/pki/ca.crt" --cert "$state/pki/admin.crt" \
    --key "$state/pki/admin.key" "https://127.0.0.1:$api_port/readyz" >/dev/null 2>&1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

gen_pki() {
  local p="$state/pki"
  mkdir -p "$p"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=agentctl-test-ca" -keyout "$p/ca.key" -out "$p/ca.crt" >/dev/null 2>&1
  # name  subject  extensions
  cert() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
      -keyout "$p/$1.key" -out "$p/$1.csr" >/dev/null 2>&1
    printf '%s\n' "$3" >"$p/$1.ext"
    openssl x509 -req -in "$p/$1.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
      -days 30 -extfile "$p/$1.ext" -out "$p/$1.crt" >/dev/null 2>&1
  }
  cert apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth
keyUsage=digitalSignature"
  local client="extendedKeyUsage=clientAuth
keyUsage=digitalSignature"
  cert admin "/O=system:masters/CN=agentctl-admin" "$client"
  cert kcm "/CN=system:kube-controller-manager" "$client"
  cert scheduler "/CN=system:kube-scheduler" "$client"
  # kwok updates the status of many nodes and pods: an admin identity (Node authorization
  # would need one system:node:<name> credential per fake node).
  cert kwok "/O=system:masters/CN=kwok" "$client"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$p/sa.key" >/dev/null 2>&1
  openssl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub" >/dev/null 2>&1
  local who
  for who in admin kcm scheduler kwok; do
    cat >"$state/$who.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: agentctl-test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $p/ca.crt
users:
- name: $who
  user:
    client-certificate: $p/$who.crt
    client-key: $p/$who.key
contexts:
- name: agentctl-test
  context: {cluster: agentctl-test, user: $who}
current-context: agentctl-test
EOF
  done
}

start() { # name args...
  local name="$1"; shift
  "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/pids/$name"
}

wait_for() { # what seconds command...
  local what="$1" secs="$2" i; shift 2
  for ((i = 0; i < secs * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    local n
    for n in "$state"/pids/*; do
      [ -e "$n" ] || continue
      if ! kill -0 "$(cat "$n")" 2>/dev/null; then
        tail -n 25 "$state/logs/$(basename "$n").log" >&2 || true
        die "$(basename "$n") exited while waiting for $what"
      fi
    done
    sleep 0.5
  done
  die "timed out after ${secs}s waiting for $what (logs: $state/logs)"
}

node_yaml() {
  local i zone hp
  for ((i = 0; i < nodes; i++)); do
    zone=$([ $((i % 2)) = 0 ] && echo zone-a || echo zone-b)
    hp=$([ $((i % 4)) = 3 ] && echo general || echo high-performance)
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: $zone
    node-type: $hp
    type: kwok
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "250", ephemeral-storage: 1Ti}
  capacity: {cpu: "64", memory: 256Gi, pods: "250", ephemeral-storage: 1Ti}
EOF
  done
}

storage_yaml() {
  cat <<'EOF'
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
allowVolumeExpansion: true
reclaimPolicy: Retain
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: premium-ssd
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
allowVolumeExpansion: true
reclaimPolicy: Retain
EOF
}

# Pre-created volumes (kwok provisions nothing). Both access modes, so the agent's
# ReadWriteMany claim binds here as it would on an NFS/CephFS/EFS-backed class.
ensure_pvs() { # per-class target of Available PVs
  local want="$1" class have n i docs
  for class in standard premium-ssd; do
    have="$(kc get pv -o jsonpath='{range .items[*]}{.spec.storageClassName}/{.status.phase}{"\n"}{end}' |
      grep -c "^$class/Available$" || true)"
    n="$(kc get pv -o name | grep -c "pv-$class-" || true)"
    docs=""
    for ((i = n; i < n + want - have; i++)); do
      docs+="---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-$class-$i, labels: {type: kwok}}
spec:
  storageClassName: $class
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /nonexistent/agentctl-test-pv/$class-$i}
"
    done
    [ -n "$docs" ] && printf '%s' "$docs" | kc apply -f - >/dev/null
  done
  return 0
}

crds_dir() {
  local c
  for c in "${AGENTCTL_CRDS:-}" "$repo/../shared/reference/crds"; do
    [ -n "$c" ] && [ -d "$c" ] && ls "$c"/*.yaml >/dev/null 2>&1 && { (cd "$c" && pwd); return 0; }
  done
  return 1
}

# ------------------------------------------------------------------------------------ up / down
up() {
  if [ -f "$state/up" ] && pid_alive kube-apiserver && readyz; then
    say "already running (state: $state)"
    echo "export KUBECONFIG=$state/admin.kubeconfig"
    return 0
  fi
  [ -d "$state" ] && { say "stale state in $state: cleaning it first"; down >/dev/null 2>&1 || true; }
  command -v openssl >/dev/null 2>&1 || die "openssl is not on PATH"
  command -v curl >/dev/null 2>&1 || die "curl is not on PATH"
  build
  local bin p t0
  bin="$(bin_dir)"
  for p in "$api_port" "$etcd_port" "$peer_port" "$kcm_port" "$sched_port" "$kwok_port"; do
    port_free "$p" || die "port 127.0.0.1:$p is in use (set AGENTCTL_CLUSTER_PORT to move the six ports)"
  done
  t0=$(date +%s%N)
  mkdir -p "$state/logs" "$state/pids" "$state/etcd"
  echo "$bin" >"$state/bin"
  gen_pki
  start etcd "$bin/etcd" --name agentctl-test --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "agentctl-test=http://127.0.0.1:$peer_port" --listen-metrics-urls "" \
    --unsafe-no-fsync --quota-backend-bytes 4294967296 --log-level warn
  wait_for etcd 30 curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health"
  local pki="$state/pki"
  start kube-apiserver "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range 10.96.0.0/16 \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction,PodSecurity \
    --allow-privileged=true --profiling=false --event-ttl 10m --endpoint-reconciler-type none
  wait_for "the API server's /readyz" 120 readyz
  start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$state/kcm.kubeconfig" \
    --authentication-kubeconfig "$state/kcm.kubeconfig" --authorization-kubeconfig "$state/kcm.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=true --kube-api-qps 200 --kube-api-burst 400 \
    --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 --concurrent-statefulset-syncs 10 \
    --concurrent-gc-syncs 40 --concurrent-namespace-syncs 10 \
    --horizontal-pod-autoscaler-sync-period 5s --pvclaimbinder-sync-period 5s --profiling=false
  cat >"$state/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: $state/scheduler.kubeconfig, qps: 200, burst: 400}
leaderElection: {leaderElect: false}
EOF
  start kube-scheduler "$bin/kube-scheduler" --config "$state/scheduler.yaml" \
    --authentication-kubeconfig "$state/scheduler.kubeconfig" --authorization-kubeconfig "$state/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$sched_port" --profiling=false
  start kwok "$bin/kwok" --config "$bin/kwok-stages.yaml" --kubeconfig "$state/kwok.kubeconfig" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --manage-nodes-with-label-selector "" \
    --disregard-status-with-annotation-selector kwok.x-k8s.io/status=custom \
    --disregard-status-with-label-selector "" \
    --server-address "127.0.0.1:$kwok_port" --cidr 10.244.0.1/16 --node-ip 10.255.0.1 \
    --node-lease-duration-seconds 40
  # The default ServiceAccount must exist before pods can be created in a namespace.
  wait_for "the controller-manager's service accounts" 90 kc get serviceaccount default -n default -o name
  node_yaml | kc apply -f - >/dev/null
  storage_yaml | kc apply -f - >/dev/null
  ensure_pvs "$pv_pool"
  local crds
  if crds="$(crds_dir)"; then
    kc apply --server-side -f "$crds" >/dev/null
    # KEDA's TriggerAuthentication (keda.authentications; in the prune allowlist), from KEDA's
    # release when the reference set lacks it (scripts/keda-crds.sh).
    if ! grep -qs 'name: triggerauthentications.keda.sh' "$crds"/*.y*ml; then
      local keda
      if keda="$(bash "$here/keda-crds.sh")"; then
        kc apply --server-side -f "$keda/keda.sh_triggerauthentications.yaml" >/dev/null
        say "KEDA's TriggerAuthentication CRD installed from $keda"
      else
        loud "KEDA's TriggerAuthentication CRD NOT INSTALLED (scripts/keda-crds.sh failed): the prune scenarios will FAIL"
      fi
    fi
    kc wait --for condition=established --timeout 60s crd --all >/dev/null
    rm -f "$state/crds-missing"
    say "CRDs installed from $crds"
  else
    echo "no ../shared/reference/crds" >"$state/crds-missing"
    loud "CRDS NOT INSTALLED: ../shared/reference/crds is missing: the ServiceMonitor scenarios CANNOT run and will FAIL"
  fi
  wait_for "$nodes Ready fake nodes" 90 nodes_ready
  date +%s >"$state/up"
  say "up in $(( ($(date +%s%N) - t0) / 1000000 )) ms (state: $state, API server https://127.0.0.1:$api_port)"
  echo "export KUBECONFIG=$state/admin.kubeconfig"
}

nodes_ready() {
  local n
  n="$(kc get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c '^True$' || true)"
  [ "$n" -ge "$nodes" ]
}

down() {
  local f pid name i
  if [ ! -d "$state" ]; then say "not running (no $state)"; return 0; fi
  # Reverse order of start: the clients first, etcd last.
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    f="$state/pids/$name"
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null && pid_ours "$name" "$pid"; then
      kill "$pid" 2>/dev/null || true
      for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && { kill -9 "$pid" 2>/dev/null || true; }
    fi
    rm -f "$f"
  done
  rm -rf "$state"
  say "down (state removed)"
}

status() {
  if [ -f "$state/up" ] && pid_alive kube-apiserver && readyz; then
    echo "running: https://127.0.0.1:$api_port (state $state)"
    echo "export KUBECONFIG=$state/admin.kubeconfig"
  else
    echo "not running"; return 1
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  build) build; bin_dir; echo ;;
  status) status ;;
  pvs) ensure_pvs "${2:?pvs N}" ;;
  -h|--help|help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) echo "usage: scripts/cluster.sh up|down|build|status|pvs N (see --help)" >&2; exit 2 ;;
esac
