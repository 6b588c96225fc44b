#!/usr/bin/env bash
# Conformance gates: every rendering of every profile goes through real, independent tools,
# and every gate must also catch its negative controls (checked-in broken fixtures).
#
#   scripts/conformance.sh [--agentctl PATH] [--crds DIR] [--workdir DIR] [--install-only]
#
# 1. installs the pinned tools into ${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}
#    (a Python venv from scripts/conformance/{requirements,constraints}.txt and an npm prefix
#    from scripts/conformance/package{,-lock}.json); idempotent, skipped when up to date;
# 2. renders every rendering of scripts/conformance/renderings (every profile, the profile
#    combination, every example alone and with dev; tests/it/typed_gates.rs checks that list is
#    complete) with agentctl (default: target/release/agentctl);
# 3. per rendering: kubectl kustomize 1.27..1.33 (byte-identical, and to agentctl's stdout),
#    kubernetes-validate --strict per version (a kind it has no schema for fails unless a CRD
#    serves it), every custom kind against its CRD's schema (../shared/reference/crds; a kind
#    no CRD there serves fails; so does a kind agentctl registers, from `agentctl __objects`,
#    whose CRD is missing or disagrees with it), the Prometheus Operator's objects also with kubernetes-models,
#    Checkov (a skip README's exceptions table does not justify fails), yamllint, and a YAML 1.1
#    round trip (check.py); then the same gates on scripts/conformance/negatives/*, each of which
#    must FAIL with the message its `expect` file names. An `expect` line is
#    `GATE REGEX` (grep -E on the tool's output), or `schema@1.27,1.28 REGEX`: fail on exactly
#    those Kubernetes versions, pass on the others. A kustomize fixture must fail on every kubectl;
#    a `stream` fixture's stream.yaml must differ from its build (as agentctl's stdout must not).
# 4. per target version 1.27..1.33 (--kube-version): every rendering renders the same stream, and
#    a native sidecar patch is refused below 1.29 and from 1.29 builds with kubectl.1.xx and
#    validates against that version's schema.
# Prints PASS/FAIL lines and a final `N passed, N failed`; exits 1 on any failure. A tool or
# input that is missing is a loud `!!! GATE NOT RUN: ... !!!` and counts as a failure.
# (Pod Security `restricted` is a property of the typed objects: tests/it/typed_gates.rs;
# the alert rules go through promtool in scripts/promtool.sh.)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
conf="$here/conformance"
tools="${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}"
venv="$tools/venv"
node_prefix="$tools/node"
agentctl="" crds="" work="" install_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --agentctl) agentctl="$2"; shift 2 ;;
    --crds) crds="$2"; shift 2 ;;
    --workdir) work="$2"; shift 2 ;;
    --install-only) install_only=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "conformance.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '== %s\n' "$*"; }
loud() { printf '\n!!! %s !!!\n\n' "$*"; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

mkdir -p "$tools"
t0=$(date +%s)

# ---------------------------------------------------------------- Python venv
py_ok=0
python="${PYTHON:-$(command -v python3 || true)}"
py_stamp_want="$(hash_of "$conf/requirements.txt" "$conf/constraints.txt")-$("$python" -c 'import sys;print(sys.version.split()[0])' 2>/dev/null)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.agentctl-stamp" 2>/dev/null)" = "$py_stamp_want" ]; then
  say "python tools up to date in $venv"
  py_ok=1
elif [ -z "$python" ]; then
  loud "GATE NOT RUN: no python3 on PATH: cannot install checkov, kubernetes-validate, yamllint, jsonschema"
else
  say "installing python tools into $venv (pinned: requirements.txt + constraints.txt)"
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    # Debian's python3 without ensurepip: install python3-venv, or fall back to virtualenv.
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      apt-get install -y -q python3-venv >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q python3-venv >/dev/null 2>&1; }
    fi
    rm -rf "$venv"
    "$python" -m venv "$venv" >/dev/null 2>&1 || { "$python" -m pip install -q --user virtualenv >/dev/null 2>&1 && "$python" -m virtualenv -q "$venv"; }
  fi
  if [ -x "$venv/bin/python" ]; then
    pipq=("$venv/bin/python" -m pip -q --disable-pip-version-check --no-input)
    if "${pipq[@]}" install -r "$conf/requirements.txt" -c "$conf/constraints.txt"; then
      echo "$py_stamp_want" > "$venv/.agentctl-stamp"
      py_ok=1
    else
      # Install what can be installed, one tool at a time; the gates report the rest as NOT RUN.
      echo "conformance.sh: pip could not install the full set; trying tool by tool" >&2
      while read -r req; do
        case "$req" in ''|'#'*) continue ;; esac
        "${pipq[@]}" install "$req" -c "$conf/constraints.txt" ||
          { loud "WARNING: $req does not install with constraints.txt on this Python; trying with its own (unpinned) dependencies";
            "${pipq[@]}" install "$req"; } ||
          loud "GATE NOT RUN: pip install $req failed"
      done < "$conf/requirements.txt"
      "$venv/bin/python" -c 'import yaml' 2>/dev/null && py_ok=1
    fi
  fi
  [ "$py_ok" = 1 ] || loud "GATE NOT RUN: could not create the Python venv in $venv"
fi

# ---------------------------------------------------------------- npm prefix
npm_stamp_want="$(hash_of "$conf/package.json" "$conf/package-lock.json")-$(node --version 2>/dev/null)"
if [ "$(cat "$node_prefix/.agentctl-stamp" 2>/dev/null)" = "$npm_stamp_want" ] && [ -d "$node_prefix/node_modules" ]; then
  say "npm tools up to date in $node_prefix"
elif ! command -v npm >/dev/null 2>&1; then
  loud "GATE NOT RUN: gate3-kubernetes-models: npm is not on PATH"
else
  say "installing npm tools into $node_prefix (npm ci, package-lock.json)"
  rm -rf "$node_prefix"; mkdir -p "$node_prefix"
  cp "$conf/package.json" "$conf/package-lock.json" "$node_prefix/"
  if (cd "$node_prefix" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --engine-strict=false >/dev/null); then
    echo "$npm_stamp_want" > "$node_prefix/.agentctl-stamp"
  else
    loud "GATE NOT RUN: gate3-kubernetes-models: npm ci failed in $node_prefix"
  fi
fi
# ---------------------------------------------------------------- KEDA's own CRDs
# The shared reference set has KEDA's ScaledObject CRD only; keda.authentications renders a
# TriggerAuthentication. Its CRD comes from KEDA's release itself, the module of the same version
# as the reference set's ScaledObject (v2.20.2) through the Go module proxy (checksummed by
# go.sum's database), never hand-written: config/crd/bases/keda.sh_triggerauthentications.yaml.
keda_version=v2.20.2
if keda_crds="$(bash "$here/keda-crds.sh")"; then
  say "KEDA $keda_version CRDs in $keda_crds"
else
  keda_crds="$tools/keda-$keda_version"
  loud "WARNING: KEDA's TriggerAuthentication CRD could not be fetched (scripts/keda-crds.sh): its rendering's crd-schema gate will fail"
fi
say "tools ready in $(( $(date +%s) - t0 ))s"
[ "$install_only" = 1 ] && exit 0

npass=0 nfail=0 failures=()
result() { # RC CHECK SUBJECT DETAIL: one PASS/FAIL line
  local d; d="$(printf '%s' "${*:4}" | tr '\n' ' ' | cut -c1-400)"
  if [ "$1" = 0 ]; then npass=$((npass + 1)); echo "PASS $2 $3${d:+ ($d)}"
  else nfail=$((nfail + 1)); echo "FAIL $2 $3${d:+ ($d)}"; failures+=("$2 $3"); fi
}
notrun() { loud "GATE NOT RUN: $*"; nfail=$((nfail + 1)); failures+=("GATE NOT RUN: $*"); }
finish() { [ ${#failures[@]} = 0 ] || { say failures; printf '  %s\n' "${failures[@]}"; }
           say "work dir: $work"; echo "$npass passed, $nfail failed"; [ "$nfail" = 0 ]; exit; }
py="$venv/bin/python"
check() { "$py" "$conf/check.py" "$@"; }
[ "$py_ok" = 1 ] || { notrun "all gates: the Python tools are missing"; finish; }

# ---------------------------------------------------------------- inputs
[ -n "$agentctl" ] || { agentctl="$repo/target/release/agentctl"; say "building agentctl (cargo build --release)"
  (cd "$repo" && cargo build --release --quiet) || { notrun "all gates: cargo build --release failed"; finish; }; }
[ -x "$agentctl" ] || { notrun "all gates: no agentctl binary at $agentctl"; finish; }
agentctl="$(readlink -f "$agentctl")"
if [ -z "$crds" ]; then
  for c in "$repo/../shared/reference/crds" "${AGENTCTL_CRDS:-}"; do [ -n "$c" ] && [ -d "$c" ] && { crds="$c"; break; }; done
fi
versions=(1.27 1.28 1.29 1.30 1.31 1.32 1.33)
kdir="$(dirname "$(readlink -f "$(command -v kubectl || echo /nonexistent/kubectl)")")"
declare -A kubectl=()
command -v kubectl >/dev/null && kubectl[PATH]="$(command -v kubectl)"
for v in "${versions[@]}"; do
  if [ -x "$kdir/kubectl.$v" ]; then kubectl[$v]="$kdir/kubectl.$v"
  else notrun "kustomize k8s-$v: no kubectl.$v next to $kdir/kubectl"; fi
done
[ -n "${kubectl[PATH]:-}" ] || { notrun "all gates: no kubectl on PATH"; finish; }
labels=(PATH "${versions[@]}")
work="${work:-$(mktemp -d "${TMPDIR:-/tmp}/agentctl-conformance.XXXXXX")}"
rm -rf "$work/render" "$work/neg" "$work/out" "$work/target"; mkdir -p "$work/render" "$work/neg" "$work/out" "$work/target"
# KEDA's TriggerAuthentication (keda.authentications) needs its CRD too: a CRD directory
# without one (the shared reference set has KEDA's ScaledObject only) is used with KEDA's own
# (fetched above, the same release as the reference ScaledObject: checked byte for byte), said
# loudly; without it the crd-schema gate fails on the kind as on any kind no CRD serves.
if [ -n "$crds" ] && ! grep -qs 'name: triggerauthentications.keda.sh' "$crds"/*.y*ml; then
  if [ -s "$keda_crds/keda.sh_triggerauthentications.yaml" ]; then
    if [ -f "$crds/keda.sh_scaledobjects.yaml" ] && ! cmp -s "$crds/keda.sh_scaledobjects.yaml" "$keda_crds/keda.sh_scaledobjects.yaml"; then
      loud "WARNING: $crds/keda.sh_scaledobjects.yaml is not KEDA $keda_version's: the TriggerAuthentication CRD added may be of another release"
    fi
    rm -rf "$work/crds"; mkdir -p "$work/crds"; cp "$crds"/*.y*ml "$work/crds/"
    cp "$keda_crds/keda.sh_triggerauthentications.yaml" "$work/crds/"
    echo "!!! NOTE: $crds has no TriggerAuthentication CRD: KEDA $keda_version's added to it (in $work/crds)"
    crds="$work/crds"
  else
    loud "WARNING: $crds has no TriggerAuthentication CRD and KEDA's could not be fetched"
  fi
fi
say "agentctl conformance: $agentctl ($("$agentctl" --version 2>&1)), work dir $work"
for l in "${labels[@]}"; do [ -n "${kubectl[$l]:-}" ] && echo "   kubectl $l: $("${kubectl[$l]}" version --client 2>/dev/null | tr '\n' ' ')"; done
echo "   $("$venv/bin/kubernetes-validate" --version 2>&1 | sed 's/^/kubernetes-validate /'), checkov $("$venv/bin/checkov" --version 2>&1), $("$venv/bin/yamllint" --version 2>&1), jsonschema $("$py" -c 'import importlib.metadata as m; print(m.version("jsonschema"))'), CRDs: ${crds:-none}"

# Every tool run is a background job writing out/KEY.log and out/KEY.rc; reports read them in order.
jobs_max=$(( $(nproc 2>/dev/null || echo 2) * 2 ))
spawn() { local key=$1; shift
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  ( "$@" >"$work/out/$key.log" 2>&1; echo $? >"$work/out/$key.rc" ) &
}
rc_of() { cat "$work/out/$1.rc" 2>/dev/null || echo 99; }
log_of() { cat "$work/out/$1.log" 2>/dev/null; }

# ---------------------------------------------------------------- render (the list: scripts/conformance/renderings)
mapfile -t sets < <(grep -v '^#' "$conf/overrides/yaml-safety.set")   # KEY=value, given with --set
declare -A args=()
renderings=()
while read -r n rest; do case "$n" in ''|'#'*) continue ;; esac
  renderings+=("$n"); args[$n]="$rest"
done < "$conf/renderings"
args[yaml-safety-keys]="-f scripts/conformance/overrides/yaml-safety-keys.yaml"
say "render: ${#renderings[@]} renderings (scripts/conformance/renderings)"
for n in "${renderings[@]}" yaml-safety-keys; do
  read -ra a <<<"${args[$n]}"
  [ "$n" = yaml-safety ] && for s in "${sets[@]}"; do a+=(--set "agent.config.extra.$s"); done
  spawn "render-$n" sh -c 'cd "$1" && shift && "$@" -o "$0" && "$@" > "$0.stdout.yaml"' "$work/render/$n" "$repo" "$agentctl" render -q "${a[@]}"
done; wait
rendered=()
for n in "${renderings[@]}" yaml-safety-keys; do
  if [ "$(rc_of "render-$n")" = 0 ]; then rendered+=("$n"); result 0 render "$n" "$(ls "$work/render/$n" | wc -l) files"
  elif [ "$n" = yaml-safety-keys ] && [ "$(rc_of "render-$n")" = 2 ]; then echo "NOTE render $n refused (exit 2), not counted: $(log_of "render-$n" | head -c 300)"
  else result 1 render "$n" "$(log_of "render-$n")"; fi
done

# ---------------------------------------------------------------- kustomize (every rendering and fixture, every kubectl)
say "kubectl kustomize ${labels[*]}"
negs=("$conf"/negatives/*/)
for d in "${rendered[@]/#/$work/render/}" "${negs[@]}"; do
  k=$(basename "$d")
  for l in "${labels[@]}"; do [ -n "${kubectl[$l]:-}" ] || continue
    # a fixture for another gate is built once (that gate reads it); a kustomize one by every kubectl
    [ "$d" != "${d#"$conf"}" ] && [ "$l" != PATH ] && ! grep -q '^kustomize ' "$d/expect" && continue
    spawn "build-$k-$l" sh -c '"$1" kustomize "$2" > "$3"' - "${kubectl[$l]}" "$d" "$work/out/$k.built.$l.yaml"; done
done; wait
for n in "${rendered[@]}"; do ref="$work/out/$n.built.PATH.yaml"
  for l in "${labels[@]}"; do [ -n "${kubectl[$l]:-}" ] || continue
    if [ "$(rc_of "build-$n-$l")" != 0 ]; then result 1 kustomize "k8s-$l $n" "$(log_of "build-$n-$l")"
    else result "$(cmp -s "$ref" "$work/out/$n.built.$l.yaml"; echo $?)" kustomize "k8s-$l $n" "$(grep -c '^kind:' "$work/out/$n.built.$l.yaml") objects, identical to kubectl (PATH)"; fi
  done
  s="$work/render/$n.stdout.yaml"
  if cmp -s "$ref" "$s"; then result 0 kustomize "stream $n" "agentctl's stdout byte-identical to kubectl kustomize"
  else out=$(check same "$ref" "$s"); result $? kustomize "stream $n" "$out"; fi
done

# ---------------------------------------------------------------- target versions (--kube-version)
# Rendered for each target version, every rendering is the same stream (the target changes what
# is refused, never what is written). A native sidecar from a patch (overrides/native-sidecar.yaml)
# is refused below 1.29, naming 1.29; from 1.29 it renders, builds with that version's kubectl
# and its Deployment validates against that version's schema (kubernetes-validate --strict -k).
say "target versions: ${versions[*]}"
for v in "${versions[@]}"; do
  for n in "${rendered[@]}"; do [ "$n" = yaml-safety-keys ] && continue
    read -ra a <<<"${args[$n]}"
    [ "$n" = yaml-safety ] && for s in "${sets[@]}"; do a+=(--set "agent.config.extra.$s"); done
    spawn "target-$v-$n" sh -c 'ref=$0 mine=$1; shift; cd "$1" && shift && "$@" > "$mine" && cmp "$ref" "$mine"' "$work/render/$n.stdout.yaml" "$work/target/$n.$v.yaml" "$repo" "$agentctl" render -q "${a[@]}" --kube-version "$v"
  done
  spawn "sidecar-$v" sh -c 'cd "$1" && shift && "$@"' - "$repo" "$agentctl" render -q -f scripts/conformance/overrides/native-sidecar.yaml --kube-version "$v" -o "$work/target/sidecar-$v"
done; wait
for v in "${versions[@]}"; do
  bad=(); same=0
  for n in "${rendered[@]}"; do [ "$n" = yaml-safety-keys ] && continue
    if [ "$(rc_of "target-$v-$n")" = 0 ]; then same=$((same + 1)); else bad+=("$n"); fi
  done
  result "${#bad[@]}" target "k8s-$v" "$same renderings identical to the default target${bad[*]:+; differ: ${bad[*]}}"
  if [ "${v#1.}" -lt 29 ]; then
    if [ "$(rc_of "sidecar-$v")" = 2 ] && log_of "sidecar-$v" | grep -q 'needs Kubernetes 1.29; the target is '"$v"; then
      result 0 target "sidecar k8s-$v" "native sidecar refused, naming 1.29"
    else result 1 target "sidecar k8s-$v" "expected exit 2 naming 1.29: $(log_of "sidecar-$v" | head -c 300)"; fi
  elif [ "$(rc_of "sidecar-$v")" != 0 ]; then result 1 target "sidecar k8s-$v" "$(log_of "sidecar-$v")"
  elif [ -z "${kubectl[$v]:-}" ] || [ ! -x "$venv/bin/kubernetes-validate" ]; then notrun "target sidecar k8s-$v: kubectl.$v or kubernetes-validate missing"
  elif ! out=$("${kubectl[$v]}" kustomize "$work/target/sidecar-$v" 2>&1 >/dev/null); then result 1 target "sidecar k8s-$v" "kubectl.$v kustomize: $out"
  else out=$("$venv/bin/kubernetes-validate" --strict -k "$v.0" "$work/target/sidecar-$v/deployment.yaml" 2>&1)
    result $? target "sidecar k8s-$v" "native sidecar renders, kubectl.$v builds it, $(printf '%s' "$out" | tail -n 1)"; fi
done

# ---------------------------------------------------------------- the other gates
# A subject is a rendering (render/NAME, built as out/NAME.built.PATH.yaml) or a negative
# fixture (negatives/CASE, as neg-CASE). Tools that start slowly (kubernetes-validate, Checkov,
# the CRD schemas) run once over every subject, and check.py files their findings per subject;
# the others run once per subject. Either way out/GATE-SUBJECT.{log,rc} is the verdict.
dir_of() { case $1 in neg-*) echo "$conf/negatives/${1#neg-}" ;; *) echo "$work/render/$1" ;; esac; }
built_of() { echo "$work/out/$(basename "$(dir_of "$1")").built.PATH.yaml"; }
gate() { # GATE SUBJECT: one tool on one subject (the per-subject gates)
  local g=$1 s=$2 dir built stream=""; dir=$(dir_of "$s"); built=$(built_of "$s")
  [ "$s" = "${s#neg-}" ] && stream="$work/render/$s.stdout.yaml"
  case $g in
    kubernetes-models) check crs "$built" > "$built.crs.json" && node "$conf/validate-crds.mjs" "$node_prefix" "$built.crs.json" ;;
    yamllint) "$venv/bin/yamllint" --strict -c "$conf/yamllint.yaml" -f parsable "$dir"/*.yaml ${stream:+"$stream"} && echo "clean" ;;
    roundtrip) check roundtrip "$dir" "$built" ${stream:+"$stream"} ;;
    values) # the yaml-safety rendering against its override file; a negative fixture against yaml-safety's
      local o="$conf/overrides/yaml-safety"
      check values "$o.yaml" "$o.set" "$built" "$dir"/configmap.yaml ${stream:+"$stream"} ;;
  esac
}
batch() { # GATE SUBJECT...: one run of a slow tool over every subject
  local g=$1 pairs=() s; shift
  for s in "$@"; do pairs+=("$s=$(built_of "$s")"); done
  case $g in
    schema@*) check schema "$work/out" "${g#schema@}" "$crds" "${pairs[@]}" ;;
    crd-schema) check crd "$work/out" "$crds" "${pairs[@]}" ;;
    checkov) check checkov "$work/out" "$repo/README.md" "${pairs[@]}" ;;
  esac
}
have() { # GATE: is its tool (and input) here? else one loud NOT RUN
  case $1 in
    crd-schema) [ -n "$crds" ] && ls "$crds"/*.y*ml >/dev/null 2>&1 ||
      { notrun "crd-schema: no CRDs in ${crds:-$repo/../shared/reference/crds or \$AGENTCTL_CRDS} (pass --crds DIR); every custom kind needs its CRD"; return 1; } ;;
    kubernetes-models) command -v node >/dev/null && [ -f "$node_prefix/node_modules/@kubernetes-models/prometheus-operator/package.json" ] ||
      { notrun "kubernetes-models: node or the npm package in $node_prefix is missing"; return 1; } ;;
    schema) [ -x "$venv/bin/kubernetes-validate" ] || { notrun "schema: kubernetes-validate is not installed"; return 1; } ;;
    *) [ "$1" = roundtrip ] || [ "$1" = values ] || [ -x "$venv/bin/$1" ] || { notrun "$1: $1 is not installed"; return 1; } ;;
  esac
}
gates=()
for g in schema crd-schema kubernetes-models checkov yamllint roundtrip values; do have "$g" && gates+=("$g"); done
expand() { if [ "$1" = schema ]; then printf 'schema@%s\n' "${versions[@]}"; else echo "$1"; fi; }
subjects_of() { # GATE: the renderings it checks, then the fixtures whose expect file names it
  local n d; for n in "${rendered[@]}"; do
    [ "$1" = values ] && [ "$n" != yaml-safety ] && continue; echo "$n"; done
  for d in "${negs[@]}"; do grep -Eq "^$1(@| )" "$d/expect" && echo "neg-$(basename "$d")"; done
}

say "${gates[*]}: every rendering, then the negative controls"
for g0 in "${gates[@]}"; do mapfile -t subj < <(subjects_of "$g0")
  case $g0 in
    schema|crd-schema|checkov) for g in $(expand "$g0"); do spawn "batch-$g" batch "$g" "${subj[@]}"; done ;;
    *) for s in "${subj[@]}"; do spawn "$g0-$s" gate "$g0" "$s"; done ;;
  esac
done; wait
for g0 in "${gates[@]}"; do for g in $(expand "$g0"); do
  case $g0 in schema|crd-schema|checkov) [ "$(rc_of "batch-$g")" = 0 ] ||
    result 1 "$g" "(one run over every subject)" "$(log_of "batch-$g" | tail -n 8)" ;; esac
  for n in "${rendered[@]}"; do [ "$g0" = values ] && [ "$n" != yaml-safety ] && continue
    result "$(rc_of "$g-$n")" "${g/@/ k8s-}" "$n" "$(log_of "$g-$n" | tail -n 8)"; done
done; done

# ---------------------------------------------------------------- the kinds agentctl registers
# Every kind agentctl may render (from `agentctl __objects`, its table), rendered here or not:
# a custom kind is served by a CRD as agentctl declares it, a built-in one by Kubernetes.
if [[ " ${gates[*]} " == *" crd-schema "* ]]; then
  out=$(check registry "$crds" "$agentctl"); result $? crd-schema "registered kinds" "$out"
fi

# ---------------------------------------------------------------- negative controls: each must FAIL, saying why
say "negative controls (scripts/conformance/negatives/*: one defect each; the gate must fail on it)"
for d in "${negs[@]}"; do c=$(basename "$d")
  while read -r g pat; do
    if [ "$g" = kustomize ]; then   # must fail on every kubectl
      bad=0; for l in "${labels[@]}"; do [ -n "${kubectl[$l]:-}" ] || continue
        [ "$(rc_of "build-$c-$l")" != 0 ] && log_of "build-$c-$l" | grep -Eq -- "$pat" || bad=1; done
      result $bad "negative kustomize" "$c" "$([ $bad = 0 ] && echo "every kubectl fails: " || echo "NOT CAUGHT by every kubectl: ")$(log_of "build-$c-PATH" | grep -Eo -- ".{0,60}$pat.{0,60}" | head -1)"
      continue
    fi
    if [ "$g" = stream ]; then   # the stream check of the kustomize gate: stream.yaml vs the build
      out=$(check same "$work/out/$c.built.PATH.yaml" "$d/stream.yaml"); rc=$?
      [ $rc != 0 ] && grep -Eq -- "$pat" <<<"$out"; result $? "negative stream" "$c" "$([ $rc != 0 ] && echo caught || echo NOT CAUGHT): $out"
      continue
    fi
    [[ " ${gates[*]} " == *" ${g%@*} "* ]] || { notrun "negative $c: gate ${g%@*} is not available"; continue; }
    if [ "$g" != yamllint ] && [ "$(rc_of "build-$c-PATH")" != 0 ]; then result 1 "negative $g" "$c" "the fixture does not build, so it tests nothing: $(log_of "build-$c-PATH")"; continue; fi
    must=$(expand "${g%@*}" | sed 's/^schema@//'); [ "$g" != "${g#schema@}" ] && must="$(tr , '\n' <<<"${g#schema@}")"
    bad=0 why="" seen=""
    for v in $(expand "${g%@*}"); do
      key="$v-neg-$c"; want_fail=1
      [[ $v == schema@* ]] && ! grep -qx "${v#schema@}" <<<"$must" && want_fail=0
      if [ $want_fail = 1 ]; then
        if [ "$(rc_of "$key")" != 0 ] && log_of "$key" | grep -Eq -- "$pat"; then
          [ -n "$seen" ] || seen="${v/schema@/k8s-}: $(log_of "$key" | grep -Eo -- ".{0,60}$pat.{0,80}" | head -1)"
        else bad=1; why+=" ${v}: NOT CAUGHT ($(log_of "$key" | head -c 200));"; fi
      else [ "$(rc_of "$key")" = 0 ] || { bad=1; why+=" ${v}: fails, but the field exists there;"; }; fi
    done
    result $bad "negative ${g%@*}" "$c" "${why:-caught on $(wc -w <<<"$must") of $(expand "${g%@*}" | wc -l), $seen}"
  done < "$d/expect"
done
say "conformance took $(( $(date +%s) - t0 ))s"
finish
