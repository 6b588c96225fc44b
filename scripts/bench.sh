#!/usr/bin/env bash
# Whole-process timings of the release binary, side by side with `kubectl kustomize`, in one run.
#
#   scripts/bench.sh            # build the release binary, then measure; prints a report
#   RUNS=50 scripts/bench.sh    # fewer timed runs per command (default 200; 100 environments
#                               # take at most 20 runs, 1000 take 5)
#
# 1. Every profile: `agentctl render -q [-p P] -o DIR` (DIR up to date, the everyday
#    re-render), `agentctl --version` (the process floor) and `kubectl kustomize DIR`, in one
#    hyperfine run, REPS times (default 3): medians, the slowest profile against the floor and
#    kubectl against the slowest profile.
# 2. Projects of 1, 10, 100 and 1000 environments: `agentctl render --all -o DIR` into a fresh
#    directory and into an up-to-date one, `agentctl diff --all`: medians, per-environment cost.
# 3. Peak memory (max RSS, `/usr/bin/time -v`) of 100 environments.
# 4. The escape hatch at scale (issue 20): 100 and 1,500 patches over every object, the 100
#    against `kubectl kustomize` in the same run, and 10 x 1,000 failing patches (time, RSS).
# Uses hyperfine (installed from Debian's packages when missing and we are root); without it,
# falls back to a loop timed with `date +%s%N` (force it with NO_HYPERFINE=1). Needs kubectl.
# AGENTCTL=PATH measures that binary instead of the one scripts/release.sh builds (the shipped,
# statically linked one on Linux; `AGENTCTL=target/release/agentctl` for a plain cargo build).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-200}
AGENTCTL=${AGENTCTL:-}

need_pkg() { # command, Debian package
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $2 from Debian's packages..." >&2
        (apt-get update -qq && apt-get install -y -qq "$2") >/dev/null 2>&1 || true
    fi
    command -v "$1" >/dev/null 2>&1
}

if ! command -v kubectl >/dev/null; then
    echo "error: kubectl is not on PATH; the comparison needs it" >&2
    exit 2
fi
HAVE_HYPERFINE=0
if [ "${NO_HYPERFINE:-0}" != 1 ] && need_pkg hyperfine hyperfine; then HAVE_HYPERFINE=1; fi
if ! [ -x /usr/bin/time ]; then
    need_pkg /usr/bin/time time || { echo "error: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
fi

if [ -z "$AGENTCTL" ]; then
    AGENTCTL=$(bash scripts/release.sh 2>/dev/null)
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The memos of single renders (`render -o DIR`'s fast path, see README) go with the scratch
# directories they describe, not into the user's cache.
export XDG_CACHE_HOME="$WORK/cache"

# median_ms CMD...: the median wall time of RUNS runs, in milliseconds (3 decimals).
median_ms() {
    if [ "$HAVE_HYPERFINE" = 1 ]; then
        hyperfine -N --style none --warmup 5 --runs "$RUNS" --export-json "$WORK/h.json" "$*" >/dev/null 2>&1
        sed -n 's/.*"median": *\([0-9.e+-]*\).*/\1/p' "$WORK/h.json" | head -1 | awk '{printf "%.3f", $1 * 1000}'
    else
        local i t0 t1
        for ((i = 0; i < 5; i++)); do "$@" >/dev/null 2>&1; done
        for ((i = 0; i < RUNS; i++)); do
            t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
            echo $(((t1 - t0) / 1000))
        done | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.3f", m / 1000}'
    fi
}

# same_run WARMUP: the medians (ms) of the commands in the array `cmds`, into the array `med`, from
# one hyperfine run of them all (interleaved conditions); without hyperfine, one after another.
same_run() {
    if [ "$HAVE_HYPERFINE" = 1 ]; then
        hyperfine -N --style none --warmup "$1" --runs "$RUNS" --export-json "$WORK/r.json" "${cmds[@]}" >/dev/null 2>&1
        mapfile -t med < <(sed -n 's/.*"median": *\([0-9.e+-]*\).*/\1/p' "$WORK/r.json" | awk '{printf "%.3f\n", $1 * 1000}')
    else
        med=()
        local c
        # shellcheck disable=SC2086
        for c in "${cmds[@]}"; do med+=("$(median_ms $c)"); done
    fi
}

# pair_ms A B: both medians from one hyperfine run (same conditions), "a b".
pair_ms() {
    if [ "$HAVE_HYPERFINE" = 1 ]; then
        hyperfine -N --style none --warmup 10 --runs "$RUNS" --export-json "$WORK/p.json" "$1" "$2" >/dev/null 2>&1
        sed -n 's/.*"median": *\([0-9.e+-]*\).*/\1/p' "$WORK/p.json" | awk '{printf "%.3f ", $1 * 1000}'
    else
        # shellcheck disable=SC2086
        echo "$(median_ms $1) $(median_ms $2)"
    fi
}

project() { # N: a project file with N environments, profiles rotating, each with an inline set
    local n=$1 i
    local profiles=("[dev]" "[high-throughput]" "[low-latency]" "[high-throughput, low-latency]")
    echo "environments:"
    for ((i = 0; i < n; i++)); do
        printf '  env-%d:\n    profiles: %s\n    set: {namespace: agents-%d, agent: {config: {environment: env-%d}}}\n' \
            "$i" "${profiles[$((i % 4))]}" "$i" "$i"
    done
}

echo "# agentctl performance ($(date -u +%Y-%m-%d), $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
if ldd "$AGENTCTL" 2>&1 | grep -q "statically linked\|not a dynamic"; then LINK=static; else LINK=dynamic; fi
echo "agentctl: ${AGENTCTL#"$PWD"/} ($LINK)"
echo "kubectl: $(kubectl version --client 2>/dev/null | sed -n 's/^Client Version: //p' | head -1); tool: $([ "$HAVE_HYPERFINE" = 1 ] && hyperfine --version || echo 'date loop'); runs per command: $RUNS"
echo

ONE=$WORK/one
"$AGENTCTL" render -q -o "$ONE"
# Against the process floor (`agentctl --version`) and `kubectl kustomize`, every profile, in
# one hyperfine run (interleaved conditions), REPS times (default 3): the figures quoted.
PROFILES=(default dev high-throughput low-latency)
for p in "${PROFILES[@]}"; do
    flags=""
    [ "$p" = default ] || flags="-p $p"
    # shellcheck disable=SC2086
    "$AGENTCTL" render -q $flags -o "$WORK/up-$p"
done
echo "## Every profile against the process floor and kubectl kustomize, same run"
echo
echo "\`render -q [-p P] -o DIR\`, DIR up to date; \`kubectl kustomize DIR\` on the high-throughput directory."
echo
echo "| rep | --version | $(printf '%s | ' "${PROFILES[@]}")kubectl kustomize | worst / --version | kubectl / worst |"
echo "|---|---|$(printf -- '---|%.0s' "${PROFILES[@]}")---|---|---|"
for ((rep = 1; rep <= ${REPS:-3}; rep++)); do
    cmds=("$AGENTCTL --version")
    for p in "${PROFILES[@]}"; do
        flags=""
        [ "$p" = default ] || flags="-p $p "
        cmds+=("$AGENTCTL render -q ${flags}-o $WORK/up-$p")
    done
    cmds+=("kubectl kustomize $WORK/up-high-throughput")
    same_run 10
    echo "${med[*]}" | awk -v rep="$rep" '{
        worst = 0; for (i = 2; i < NF; i++) if ($i > worst) worst = $i
        line = "| " rep " |"; for (i = 1; i <= NF; i++) line = line " " $i " ms |"
        printf "%s %.2f× | %.1f× |\n", line, worst / $1, $NF / worst
    }'
done
echo
# The same commands on the full path (AGENTCTL_NO_MEMO=1: no memo read or written), what a
# render costs when an input changed: parse, merge, render, lint, compare, write nothing.
echo "The same, every render on the full path (\`AGENTCTL_NO_MEMO=1\`: what a render costs when an input changed), one repetition:"
echo
echo "| --version | $(printf '%s | ' "${PROFILES[@]}")kubectl kustomize | worst / --version | kubectl / worst |"
echo "|---|$(printf -- '---|%.0s' "${PROFILES[@]}")---|---|---|"
export AGENTCTL_NO_MEMO=1
same_run 5
unset AGENTCTL_NO_MEMO
echo "${med[*]}" | awk '{
    worst = 0; for (i = 2; i < NF; i++) if ($i > worst) worst = $i
    line = "|"; for (i = 1; i <= NF; i++) line = line " " $i " ms |"
    printf "%s %.2f× | %.1f× |\n", line, worst / $1, $NF / worst
}'
echo

# aside.sh DIR: moves DIR (if any) into $WORK/aside/ under a name of its own.
mkdir -p "$WORK/aside"
printf '%s\n' '[ -e "$1" ] || exit 0' "mv \"\$1\" \"$WORK/aside/\$(date +%s%N)\"" >"$WORK/aside.sh"
echo "## Environments (\`agentctl.yaml\` with N environments)"
echo
echo "| N | render --all, fresh dir | per env | render --all, up to date | per env | up to date, full path | diff --all |"
echo "|---|---|---|---|---|---|---|"
for n in 1 10 100 1000; do
    P=$WORK/p$n.yaml
    project "$n" >"$P"
    D=$WORK/d$n
    saved=$RUNS
    if [ "$n" -ge 1000 ]; then RUNS=5; elif [ "$n" -ge 100 ]; then RUNS=$(( saved < 20 ? saved : 20 )); fi
    # A fresh root each run: the last one moved aside, not deleted (on ext4 with `discard`, a
    # VM's disk, deleting 15,000 files just before made the next run's file creations several
    # times slower: that measured the deletion, not the render); removed with $WORK at exit.
    if [ "$HAVE_HYPERFINE" = 1 ]; then
        hyperfine -N --style none --warmup 1 --runs "$RUNS" --prepare "bash $WORK/aside.sh $D" --export-json "$WORK/f.json" \
            "$AGENTCTL render -q --all --project $P -o $D" >/dev/null 2>&1
        FRESH=$(sed -n 's/.*"median": *\([0-9.e+-]*\).*/\1/p' "$WORK/f.json" | head -1 | awk '{printf "%.3f", $1 * 1000}')
    else
        FRESH=$(median_ms bash -c "bash $WORK/aside.sh $D && $AGENTCTL render -q --all --project $P -o $D")
    fi
    "$AGENTCTL" render -q --all --project "$P" -o "$D"
    WARM=$(median_ms "$AGENTCTL" render -q --all --project "$P" -o "$D")
    # `env` puts the variable in front without a shell (the memo of the root is then dropped).
    FULL=$(median_ms env AGENTCTL_NO_MEMO=1 "$AGENTCTL" render -q --all --project "$P" -o "$D")
    DIFF=$(median_ms "$AGENTCTL" diff -q --all --project "$P" -o "$D")
    RUNS=$saved
    awk -v n="$n" -v f="$FRESH" -v w="$WARM" -v u="$FULL" -v d="$DIFF" \
        'BEGIN {printf "| %d | %.1f ms | %.2f ms | %.1f ms | %.2f ms | %.1f ms | %.1f ms |\n", n, f, f / n, w, w / n, u, d}'
done
echo

echo "## Peak memory, 100 environments (max RSS)"
echo
D=$WORK/mem
rm -rf "$D"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
R1=$(rss "$AGENTCTL" render -q --all --project "$WORK/p100.yaml" -o "$D")
R2=$(rss env AGENTCTL_NO_MEMO=1 "$AGENTCTL" render -q --all --project "$WORK/p100.yaml" -o "$D")
R3=$(rss "$AGENTCTL" diff -q --all --project "$WORK/p100.yaml" -o "$D")
R4=$(rss "$AGENTCTL" render -q -o "$ONE")
echo "| run | max RSS |"
echo "|---|---|"
awk -v a="$R1" -v b="$R2" -v c="$R3" -v d="$R4" 'BEGIN {
    printf "| render --all, fresh dir | %.1f MiB |\n", a / 1024
    printf "| render --all, up to date (full path) | %.1f MiB |\n", b / 1024
    printf "| diff --all | %.1f MiB |\n", c / 1024
    printf "| one profile, for scale | %.1f MiB |\n", d / 1024
}'

echo "## The escape hatch at scale (issue 20), same run"
echo
# Strategic-merge patches that each select every rendered object (25), through agentctl (-f;
# 1,500 in three override files of 500: an override file holds at most 1 MiB) and, as the peer,
# 100 of them in a kustomization over agentctl's own output, built by `kubectl kustomize` (it
# takes about 40 ms per such patch: 1,500 would take a minute a run); then 10 x 1,000 patches
# that each fail on every object (250,000 errors, 100 printed; exit 2).
# Every render here takes the full path (AGENTCTL_NO_MEMO): the memo of an up-to-date render
# would otherwise skip the very patch work measured.
export AGENTCTL_NO_MEMO=1
H=$WORK/hatch
mkdir -p "$H/peer"
"$AGENTCTL" render -q -o "$H/base"
hatch() { # FIRST COUNT FAILING: override file text of COUNT patches numbered from FIRST
    local first=$1 n=$2 failing=$3 i
    echo "patches:"
    for ((i = first; i < first + n; i++)); do
        echo "  - target: {labelSelector: app.kubernetes.io/managed-by=agentctl}"
        if [ "$failing" = 1 ]; then
            echo "    patch: {spec: {noSuchField$i: 1}}"
        else
            echo "    patch: {metadata: {annotations: {example.com/p$i: v}}}"
        fi
    done
}
hatch 0 100 0 >"$H/ok100.yaml"
OK_FLAGS=""
for c in 0 1 2; do hatch $((c * 500)) 500 0 >"$H/ok$c.yaml"; OK_FLAGS="$OK_FLAGS -f $H/ok$c.yaml"; done
BAD_FLAGS=""
for c in 0 1 2 3 4 5 6 7 8 9; do hatch $((c * 1000)) 1000 1 >"$H/bad$c.yaml"; BAD_FLAGS="$BAD_FLAGS -f $H/bad$c.yaml"; done
{
    echo "resources: [../base]"
    echo "patches:"
    for ((i = 0; i < 100; i++)); do
        echo "  - target: {labelSelector: app.kubernetes.io/managed-by=agentctl}"
        echo "    patch: '{\"apiVersion\": \"v1\", \"kind\": \"Any\", \"metadata\": {\"name\": \"any\", \"annotations\": {\"example.com/p$i\": \"v\"}}}'"
    done
} >"$H/peer/kustomization.yaml"
# shellcheck disable=SC2086
"$AGENTCTL" render -q $OK_FLAGS -o "$H/out"
saved=$RUNS
RUNS=$(( saved < 10 ? saved : 10 ))
"$AGENTCTL" render -q -f "$H/ok100.yaml" -o "$H/out100"
cmds=("$AGENTCTL render -q -o $H/base" "$AGENTCTL render -q -f $H/ok100.yaml -o $H/out100" "kubectl kustomize $H/peer" "$AGENTCTL render -q $OK_FLAGS -o $H/out" "$AGENTCTL render -q $BAD_FLAGS -o $H/never")
if [ "$HAVE_HYPERFINE" = 1 ]; then
    hyperfine -N -i --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/e.json" "${cmds[@]}" >/dev/null 2>&1
    mapfile -t med < <(sed -n 's/.*"median": *\([0-9.e+-]*\).*/\1/p' "$WORK/e.json" | awk '{printf "%.3f\n", $1 * 1000}')
else
    med=()
    # shellcheck disable=SC2086
    for c in "${cmds[@]}"; do med+=("$(median_ms $c)"); done
fi
RUNS=$saved
# shellcheck disable=SC2086
BAD_RSS=$(rss "$AGENTCTL" render -q $BAD_FLAGS -o "$H/never" || true) # exit 2 is the point
echo "| run | median |"
echo "|---|---|"
echo "${med[*]} $BAD_RSS" | awk '{
    printf "| no patch (defaults, up to date) | %.1f ms |\n", $1
    printf "| 100 patches x 25 objects | %.1f ms |\n", $2
    printf "| the same 100 patches, kubectl kustomize | %.1f ms (%.1f× agentctl) |\n", $3, $3 / $2
    printf "| 1,500 patches x 25 objects | %.1f ms |\n", $4
    printf "| 10 x 1,000 failing patches (250,000 errors, exit 2) | %.1f ms, max RSS %.1f MiB |\n", $5, $6 / 1024
}'
echo

# 5. Extra objects at scale: 900 and 2,700 ConfigMaps in `resources:` (merge and render are
# linear in them; per-object cost should stay flat from the first row to the second).
echo "## Extra objects"
echo
extras() { # first, count
    echo "resources:"
    for ((i = $1; i < $1 + $2; i++)); do
        echo "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: cm-$i}, data: {k: v}}"
    done
}
extras 0 900 >"$H/cm0.yaml"
extras 900 900 >"$H/cm1.yaml"
extras 1800 900 >"$H/cm2.yaml"
saved=$RUNS
RUNS=$(( saved < 10 ? saved : 10 ))
CM900=$(median_ms "$AGENTCTL" render -q -f "$H/cm0.yaml" -o "$H/cm900")
CM2700=$(median_ms "$AGENTCTL" render -q -f "$H/cm0.yaml" -f "$H/cm1.yaml" -f "$H/cm2.yaml" -o "$H/cm2700")
RUNS=$saved
unset AGENTCTL_NO_MEMO
echo "| run | median | per object |"
echo "|---|---|---|"
echo "$CM900 $CM2700" | awk '{
    printf "| 900 extra ConfigMaps | %.1f ms | %.1f us |\n", $1, $1 * 1000 / 900
    printf "| 2,700 extra ConfigMaps | %.1f ms | %.1f us |\n", $2, $2 * 1000 / 2700
}'
echo
