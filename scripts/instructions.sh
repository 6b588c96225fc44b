#!/usr/bin/env bash
# The speed guard that does not flake: instructions counted by valgrind (callgrind) for a
# whole-process render of each profile, held to the budget checked in beside this script.
#
#   scripts/instructions.sh                    # builds the shipped binary (scripts/release.sh)
#   scripts/instructions.sh --agentctl PATH    # counts that binary instead
#   scripts/instructions.sh --update           # prints the budget lines for the counts measured
#   scripts/instructions.sh --install-only     # installs valgrind when missing, and stops
#
# Wall-clock time moves with the machine; an instruction count does not (the same binary and
# inputs count the same to within a few thousand). Each row of scripts/instructions.budget is a
# command and its most instructions; a run that counts more fails with the figure, the budget
# and what to do. A budget is raised on purpose, in the commit that makes rendering costlier,
# with the reason in its message. valgrind is installed from Debian's packages when missing
# (as root); without it the guard fails loudly, it never passes by skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

AGENTCTL=
UPDATE=0
INSTALL_ONLY=0
while [ $# -gt 0 ]; do
    case "$1" in
    --agentctl) AGENTCTL=$2; shift 2 ;;
    --update) UPDATE=1; shift ;;
    --install-only) INSTALL_ONLY=1; shift ;;
    *) echo "usage: scripts/instructions.sh [--agentctl PATH] [--update] [--install-only]" >&2; exit 2 ;;
    esac
done

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing valgrind from Debian's packages..." >&2
        (apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null 2>&1 || true
    fi
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "error: valgrind is missing (apt-get install valgrind); the instruction-count guard needs it" >&2
    exit 2
fi
[ "$INSTALL_ONLY" = 1 ] && exit 0
if [ -z "$AGENTCTL" ]; then
    AGENTCTL=$(bash scripts/release.sh 2>/dev/null)
fi

BUDGET=scripts/instructions.budget
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The memos of single renders (`render -o DIR`'s fast path, see README) go with the scratch
# directories they describe, not into the user's cache.
export XDG_CACHE_HOME="$WORK/cache"

# count ARGS...: the instructions (callgrind's "I refs") of one run of agentctl ARGS; with
# TOGGLE set, only those executed inside that function (callgrind's --toggle-collect).
count() {
    valgrind --tool=callgrind ${TOGGLE:+--toggle-collect="$TOGGLE"} --callgrind-out-file="$WORK/cg.out" \
        "$AGENTCTL" "$@" 2>"$WORK/vg.err" >/dev/null ||
        { cat "$WORK/vg.err" >&2; echo "error: agentctl $* failed under valgrind" >&2; exit 2; }
    sed -n 's/.*I *refs: *//p' "$WORK/vg.err" | tr -d ', '
}

# The lint stage (issue 24: "lint adds under 1 ms to a render"), as a share of the whole render
# in the same binary, so the row means the same for the shipped fat-LTO binary and any other
# optimized build: the instructions inside `agentctl::render::provenance::lint` (kept a
# function of its own, `#[inline(never)]`, for this count), in per mille of the render's.
LINT_FN='agentctl::render::provenance::lint'

# The commands: the process floor, then every profile rendered into a fresh directory and
# re-rendered into an up-to-date one (the everyday case), as `scripts/bench.sh` times them, and
# a project of four environments the same two ways.
rows=()
rows+=("version|--version")
for p in default dev high-throughput low-latency; do
    flags=()
    [ "$p" = default ] || flags=(-p "$p")
    rows+=("render $p fresh|render -q ${flags[*]} -o $WORK/fresh-$p")
    rows+=("render $p up-to-date|render -q ${flags[*]} -o $WORK/fresh-$p")
done
# A project of four environments (scripts/bench.sh's: the four profile lists rotating, a `set:`
# each): `render --all` into a fresh root, and again into the up-to-date root (its memo).
{
    echo "environments:"
    i=0
    for p in "[dev]" "[high-throughput]" "[low-latency]" "[high-throughput, low-latency]"; do
        printf '  env-%d:\n    profiles: %s\n    set: {namespace: agents-%d, agent: {config: {environment: env-%d}}}\n' "$i" "$p" "$i" "$i"
        i=$((i + 1))
    done
} >"$WORK/project4.yaml"
rows+=("project4 fresh|render -q --all --project $WORK/project4.yaml -o $WORK/project4")
rows+=("project4 up-to-date|render -q --all --project $WORK/project4.yaml -o $WORK/project4")
for p in default high-throughput; do
    flags=()
    [ "$p" = default ] || flags=(-p "$p")
    rows+=("lint $p permille|render -q ${flags[*]} -o $WORK/lint-$p")
done

failed=0
[ "$UPDATE" = 1 ] || printf '%-32s %14s %14s\n' command instructions budget
for row in "${rows[@]}"; do
    name=${row%%|*}
    # shellcheck disable=SC2206
    args=(${row#*|})
    key=${name// /_}
    if [[ $name == lint* ]]; then
        rm -rf "$WORK/lint-"*
        total=$(count "${args[@]}")
        rm -rf "$WORK/lint-"*
        lint=$(TOGGLE=$LINT_FN count "${args[@]}")
        if [ "$lint" -eq 0 ]; then
            echo "error: no instruction counted inside $LINT_FN: the function is gone or inlined (it must stay #[inline(never)])" >&2
            exit 2
        fi
        n=$(( (lint * 1000 + total - 1) / total ))
        echo "  $name: $lint of $total instructions" >&2
        if [ "$UPDATE" = 1 ]; then
            # 25% headroom, at least 2 per mille.
            echo "$key $(( n + (n / 4 > 2 ? n / 4 : 2) ))"
            continue
        fi
    else
        n=$(count "${args[@]}")
    fi
    if [ "$UPDATE" = 1 ]; then
        # 10% headroom, rounded up to 0.1M.
        echo "$key $(( (n * 11 / 10 + 99999) / 100000 * 100000 ))"
        continue
    fi
    budget=$(awk -v k="$key" '$1 == k {print $2}' "$BUDGET")
    if [ -z "$budget" ]; then
        echo "error: $BUDGET has no budget for $key (scripts/instructions.sh --update prints one)" >&2
        exit 2
    fi
    printf '%-32s %14s %14s\n' "$name" "$n" "$budget"
    if [ "$n" -gt "$budget" ]; then
        failed=1
        if [[ $name == lint* ]]; then
            echo "error: $name: lint counted $n per mille of the render's instructions, over its budget of $budget: lint got costlier (find what costs: valgrind --tool=callgrind --toggle-collect=$LINT_FN, callgrind_annotate --inclusive=yes)." >&2
            continue
        fi
        awk -v n="$n" -v b="$budget" -v name="$name" 'BEGIN {
            printf "error: %s counted %.2fM instructions, over its budget of %.2fM (+%.1f%%): this change makes it slower.\n", name, n / 1e6, b / 1e6, (n - b) * 100 / b
            printf "  If that is the price of something worth it, raise %s in scripts/instructions.budget in the same commit and say why in its message; otherwise find what costs (valgrind --tool=callgrind, callgrind_annotate).\n", name
        }' >&2
    fi
done
[ "$failed" = 0 ] && [ "$UPDATE" = 0 ] && echo "instruction counts within budget"
exit "$failed"
