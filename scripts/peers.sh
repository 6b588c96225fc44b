#!/usr/bin/env bash
# The peers (issue 24): kube-score, Checkov and the Kyverno CLI with Kyverno's best-practice
# policies, beside `agentctl lint`, on every rendering of scripts/conformance/renderings and on
# the gallery of bad patches (scripts/peers/gallery/*.yaml).
#
#   scripts/peers.sh [--agentctl PATH] [--workdir DIR] [--no-kyverno] [--install-only]
#
# 1. Tools. kube-score (github.com/zegl/kube-score v1.20.0) and, unless --no-kyverno, the Kyverno
#    CLI (github.com/kyverno/kyverno v1.19.1, cmd/cli/kubectl-kyverno) are built with `go build`
#    from the Go module proxy at the versions pinned in scripts/peers/<tool>/go.{mod,sum}, each
#    into ${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}/peers/<tool>-<stamp> (stamp: its
#    go.mod, go.sum and the Go version): a warm run builds nothing; the build time is kept in the
#    directory's .complete. Checkov is the conformance venv's (scripts/conformance.sh installs it;
#    this script runs `scripts/conformance.sh --install-only` when it is missing). Kyverno's
#    policies are scripts/peers/kyverno/policies (copied from github.com/kyverno/policies; SOURCE
#    says which commit). A tool that is missing or does not build fails loudly (exit 1).
# 2. Renders every rendering and every gallery case with agentctl (a case's `accept:` entries
#    let `render` write what lint refuses; lint still reports them), and runs every tool on each.
# 3. scripts/peers/compare.py: every finding of a peer on our renderings must be triaged in
#    scripts/peers/triage.tsv (a rule of ours, or a false positive with its reason), and the
#    gallery table (what each tool finds beyond the defaults) must be README's peers table.
# Exit 0 when both hold; 1 otherwise (a tool missing included).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
peers="$here/peers"
tools="${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}"
agentctl="" work="" kyverno=1 install_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --agentctl) agentctl="$2"; shift 2 ;;
    --workdir) work="$2"; shift 2 ;;
    --no-kyverno) kyverno=0; shift ;;
    --install-only) install_only=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "peers.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi

say() { printf '== peers: %s\n' "$*"; }
die() { printf '\n!!! PEERS NOT RUN: %s !!!\n\n' "$*"; exit 1; }

# ------------------------------------------------------------------------------------ build
stamp() { { cat "$peers/$1/go.mod" "$peers/$1/go.sum"; go env GOVERSION 2>/dev/null || echo nogo; } | sha256sum | cut -c1-16; }
build() { # TOOL PACKAGE BINARY: prints the binary's path
  local tool=$1 pkg=$2 bin=$3 dir tmp t0
  command -v go >/dev/null 2>&1 || die "$tool: no Go toolchain on PATH (needed to build it from the module proxy)"
  dir="$tools/peers/$tool-$(stamp "$tool")"
  if [ -f "$dir/.complete" ] && [ -x "$dir/$bin" ]; then say "$tool up to date in $dir ($(cat "$dir/.complete"))" >&2; echo "$dir/$bin"; return; fi
  tmp="$dir.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
  say "building $tool into $dir" >&2
  t0=$(date +%s)
  if ! (cd "$peers/$tool" && nice -n "${AGENTCTL_BUILD_NICE:-19}" env GOFLAGS=-mod=readonly go build -trimpath -ldflags='-s -w' -o "$tmp/$bin" "$pkg") >"$tmp/build.log" 2>&1; then
    tail -n 20 "$tmp/build.log" >&2; die "go build of $tool failed (log: $tmp/build.log)"
  fi
  echo "built in $(( $(date +%s) - t0 ))s at $(date -u +%FT%TZ)" >"$tmp/.complete"
  rm -rf "$dir"; mv "$tmp" "$dir"
  say "$tool $(cat "$dir/.complete")" >&2
  echo "$dir/$bin"
}
kube_score=$(build kube-score github.com/zegl/kube-score/cmd/kube-score kube-score) || exit 1
kyverno_bin=""
[ "$kyverno" = 1 ] && { kyverno_bin=$(build kyverno github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno kyverno) || exit 1; }
# --install-only: the Go builds only (Checkov is scripts/conformance.sh --install-only's).
[ "$install_only" = 1 ] && exit 0
checkov="$tools/venv/bin/checkov"
if ! [ -x "$checkov" ]; then
  say "Checkov missing: scripts/conformance.sh --install-only"
  bash "$repo/scripts/conformance.sh" --install-only >&2 || true
fi
[ -x "$checkov" ] || die "checkov: not in $tools/venv (scripts/conformance.sh --install-only could not install it)"

[ -n "$agentctl" ] || agentctl="$repo/target/release/agentctl"
[ -x "$agentctl" ] || die "agentctl: no binary at $agentctl (pass --agentctl PATH)"
agentctl="$(readlink -f "$agentctl")"
work="${work:-$(mktemp -d "${TMPDIR:-/tmp}/agentctl-peers.XXXXXX")}"
rm -rf "$work/raw" "$work/yaml" "$work/checkov"; mkdir -p "$work/raw" "$work/yaml" "$work/checkov"
say "agentctl $("$agentctl" --version), kube-score v1.20.0, checkov $("$checkov" --version 2>&1)${kyverno_bin:+, kyverno $("$kyverno_bin" version 2>/dev/null | sed -n 's/^Version: //p')}; work dir $work"

# ------------------------------------------------------------------------------------ subjects
subjects=()
while read -r n rest; do case "$n" in ''|'#'*|yaml-safety) continue ;; esac
  read -ra a <<<"$rest"
  (cd "$repo" && "$agentctl" render -q "${a[@]}" >"$work/yaml/render-$n.yaml") || die "render of $n failed"
  (cd "$repo" && "$agentctl" lint -q "${a[@]}" --format json >"$work/raw/render-$n.agentctl.json"; [ $? -le 1 ]) || die "lint of $n failed"
  subjects+=("render-$n")
done < "$repo/scripts/conformance/renderings"
for g in "$peers"/gallery/*.yaml; do n=$(basename "$g" .yaml)
  (cd "$repo" && "$agentctl" render -q -f "$g" >"$work/yaml/gallery-$n.yaml") || die "render of gallery case $n failed"
  (cd "$repo" && "$agentctl" lint -q -f "$g" --format json >"$work/raw/gallery-$n.agentctl.json"; [ $? -le 1 ]) || die "lint of gallery case $n failed"
  subjects+=("gallery-$n")
done
say "${#subjects[@]} subjects rendered"

# ------------------------------------------------------------------------------------ the peers
t0=$(date +%s)
for s in "${subjects[@]}"; do
  # exit 1: findings (the report is still written)
  "$kube_score" score --output-format json --kubernetes-version v1.27 "$work/yaml/$s.yaml" >"$work/raw/$s.kube-score.json" 2>"$work/raw/$s.kube-score.err"
  [ -s "$work/raw/$s.kube-score.json" ] || die "kube-score wrote no report for $s: $(head -c 300 "$work/raw/$s.kube-score.err")"
done
say "kube-score: $(( $(date +%s) - t0 ))s"
t0=$(date +%s)
# One Checkov run over every subject (it starts slowly); its report is split per file.
for s in "${subjects[@]}"; do cp "$work/yaml/$s.yaml" "$work/checkov/$s.yaml"; done
"$checkov" -d "$work/checkov" --framework kubernetes -o json --quiet --compact >"$work/checkov.json" 2>"$work/checkov.err"
python3 - "$work" <<'EOF' || die "checkov: no report ($(head -c 300 "$work/checkov.err"))"
import json, os, sys
work = sys.argv[1]
rep = json.load(open(os.path.join(work, "checkov.json")))
rep = rep if isinstance(rep, list) else [rep]
per = {}
for r in rep:
    for f in r.get("results", {}).get("failed_checks", []):
        s = os.path.basename(f["file_path"]).rsplit(".", 1)[0]
        per.setdefault(s, []).append(f)
for s in [f[:-5] for f in os.listdir(os.path.join(work, "checkov"))]:
    json.dump({"results": {"failed_checks": per.get(s, [])}}, open(os.path.join(work, "raw", s + ".checkov.json"), "w"))
EOF
say "checkov: $(( $(date +%s) - t0 ))s"
if [ -n "$kyverno_bin" ]; then
  t0=$(date +%s)
  for s in "${subjects[@]}"; do
    "$kyverno_bin" apply "$peers/kyverno/policies" --resource "$work/yaml/$s.yaml" --policy-report --output-format json \
      >"$work/raw/$s.kyverno.out" 2>"$work/raw/$s.kyverno.err"
    python3 - "$work/raw/$s.kyverno.out" "$work/raw/$s.kyverno.json" <<'EOF' || die "kyverno: no policy report for $s ($(head -c 300 "$work/raw/$s.kyverno.err"))"
import json, sys
text = open(sys.argv[1]).read()
start = text.index("{")
rep = json.JSONDecoder().raw_decode(text[start:])[0]
items = rep.get("items", [rep])
json.dump({"results": [r for i in items for r in i.get("results", [])]}, open(sys.argv[2], "w"))
EOF
  done
  say "kyverno: $(( $(date +%s) - t0 ))s"
fi

python3 "$peers/compare.py" "$work" "$repo"
rc=$?
say "work dir: $work"
exit $rc
