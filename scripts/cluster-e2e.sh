#!/usr/bin/env bash
# End-to-end scenarios against a real control plane (issue 15), run by .ci/run:
#
#   scripts/cluster-e2e.sh [--agentctl BIN] [--only apply,fit,ops,neg,stall,live,gitops,prune,matrix] [--full-matrix] [--keep]
#
# The upgrade matrix tries every render's upgrade from and to the defaults (26 pairs, CI);
# --full-matrix (or AGENTCTL_E2E_FULL_MATRIX=1) tries every ordered pair (182), which is what
# tests/data/upgrade-matrix.json holds.
# Brings the cluster up (scripts/cluster.sh up: builds it once into the tool cache), runs
# scripts/cluster/e2e.py (one PASS/FAIL/XFAIL line per scenario, figures, `N passed, N failed`)
# and ALWAYS brings it down again (trap), even on failure or Ctrl-C; --keep leaves it running.
# The upgrade matrix is written to ${AGENTCTL_E2E_OUT:-target/cluster-e2e}/upgrade-matrix.{json,md}.
# kubectl: the 1.33 client next to the kubectl on PATH if there is one (closest to the 1.33
# server), else the kubectl on PATH; KUBECTL overrides.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
agentctl="" only="" keep=0 pairs=0 full="${AGENTCTL_E2E_FULL_MATRIX:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    --agentctl) agentctl="$2"; shift 2 ;;
    --agentctl=*) agentctl="${1#*=}"; shift ;;
    --only) only="$2"; shift 2 ;;
    --matrix-pairs) pairs="$2"; shift 2 ;;
    --full-matrix) full=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster-e2e.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
loud() { printf '\n!!! %s !!!\n\n' "$*"; }
t0=$(date +%s)

if [ -z "$agentctl" ]; then
  agentctl="$(bash "$repo/scripts/release.sh")" || { loud "E2E NOT RUN: could not build agentctl"; echo "0 passed, 1 failed"; exit 1; }
fi
[ -x "$agentctl" ] || { loud "E2E NOT RUN: no agentctl binary at $agentctl"; echo "0 passed, 1 failed"; exit 1; }
agentctl="$(cd "$(dirname "$agentctl")" && pwd)/$(basename "$agentctl")"

kubectl="${KUBECTL:-}"
if [ -z "$kubectl" ]; then
  kubectl="$(command -v kubectl || true)"
  if [ -n "$kubectl" ]; then
    v133="$(dirname "$(readlink -f "$kubectl")")/kubectl.1.33"
    [ -x "$v133" ] && kubectl="$v133"
  fi
fi
{ [ -n "$kubectl" ] && [ -x "$kubectl" ]; } || { loud "E2E NOT RUN: no kubectl on PATH"; echo "0 passed, 1 failed"; exit 1; }
command -v python3 >/dev/null 2>&1 || { loud "E2E NOT RUN: no python3 on PATH"; echo "0 passed, 1 failed"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/agentctl-e2e.XXXXXX")"
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  if [ "$keep" = 1 ]; then
    echo "== cluster left running (--keep): scripts/cluster.sh down stops it" >&2
  else
    KUBECTL="$kubectl" bash "$repo/scripts/cluster.sh" down >&2 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh cluster every run: stop one left running (by --keep or a killed run) first.
KUBECTL="$kubectl" bash "$repo/scripts/cluster.sh" down >&2 || true
set +e
up_out="$(KUBECTL="$kubectl" bash "$repo/scripts/cluster.sh" up)"
up_rc=$?
set -e
if [ "$up_rc" != 0 ]; then
  loud "E2E NOT RUN: the control plane did not come up (scripts/cluster.sh up exit $up_rc; see above)"
  echo "0 passed, 1 failed"
  exit 1
fi
t_up=$(date +%s)
kubeconfig="$(printf '%s\n' "$up_out" | sed -n 's/^export KUBECONFIG=//p' | tail -n 1)"
export KUBECONFIG="$kubeconfig"
crds_flag=()
state_dir="$(dirname "$kubeconfig")"
[ -f "$state_dir/crds-missing" ] && crds_flag=(--crds-missing)
echo "== e2e: agentctl $agentctl, kubectl $("$kubectl" version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\([^"]*\)".*/\1/p' | head -n1), cluster up in $((t_up - t0))s"

set +e
python3 "$here/cluster/e2e.py" --agentctl "$agentctl" --kubectl "$kubectl" --repo "$repo" \
  --work "$work" --out "${AGENTCTL_E2E_OUT:-$repo/target/cluster-e2e}" --only "$only" \
  --matrix-pairs "$pairs" "${crds_flag[@]}" $([ "$full" = 1 ] && echo --full-matrix)
rc=$?
set -e
if [ "$rc" -gt 1 ]; then
  loud "E2E CRASHED: scripts/cluster/e2e.py exit $rc before its closing line"
  echo "0 passed, 1 failed"
fi
echo "== e2e: whole run $(( $(date +%s) - t0 ))s (cluster up $((t_up - t0))s)" >&2
exit "$rc"
