#!/usr/bin/env bash
# SARIF gate: `agentctl lint --format sarif` checked by the official SARIF validator, the SARIF
# Multitool's `validate` (npm @microsoft/sarif-multitool, pinned), on a clean render and on a
# render whose patches fire rules (results located in the override file). Also checks that the
# schema the test suite validates against (tests/schemas/sarif-2.1.0.json, vendored from the
# same package) is byte for byte the package's. Installs the tool into the tools cache
# (${AGENTCTL_TOOLS:-~/.cache/agentctl-conformance}/sarif-multitool). Fails loudly when it cannot.
# Usage: scripts/sarif-validate.sh [--agentctl BIN | --install-only]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/agentctl install_only=0
case "${1:-}" in
--agentctl) bin=$2 ;;
--install-only) install_only=1 ;; # install the validator and stop (.ci/run installs tools early)
esac
version=5.7.0
tools="${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}/sarif-multitool-$version"
pkg="$tools/node_modules/@microsoft/sarif-multitool-linux"
if [ ! -x "$pkg/Sarif.Multitool" ]; then
  command -v npm >/dev/null || { echo "sarif-validate: npm is missing (install Node.js)" >&2; exit 2; }
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund "@microsoft/sarif-multitool@$version" >&2
  chmod u+x "$pkg/Sarif.Multitool"
fi
[ "$install_only" = 1 ] && exit 0
bin=$(realpath "$bin")
cmp "$pkg/sarif-2.1.0.json" tests/schemas/sarif-2.1.0.json ||
  { echo "sarif-validate: tests/schemas/sarif-2.1.0.json differs from the package's schema" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/attack.yaml" <<'YAML'
patches:
  - target: {kind: Deployment, name: agent-deployment}
    patch:
      spec:
        template:
          spec:
            hostNetwork: true
            containers:
              - name: agent
                securityContext: {privileged: true}
resources:
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: open}
    spec: {podSelector: {}, ingress: [{}]}
YAML
"$bin" lint --format sarif > "$work/clean.sarif"
set +e
(cd "$work" && "$bin" lint -f attack.yaml --format sarif) > "$work/attack.sarif" 2>/dev/null
code=$?
set -e
[ "$code" = 1 ] || { echo "sarif-validate: lint of the attack exited $code, not 1" >&2; exit 1; }
grep -q '"uri": "attack.yaml"' "$work/attack.sarif" ||
  { echo "sarif-validate: the results are not located in attack.yaml" >&2; exit 1; }
fail=0
for f in clean attack; do
  out=$("$pkg/Sarif.Multitool" validate "$work/$f.sarif" -o "$work/$f.validation.sarif" 2>&1) || fail=1
  if grep -E ': (error|warning) [A-Z]+[0-9]+' <<<"$out"; then fail=1; fi
  echo "sarif-validate: $f.sarif: $(grep -c '"ruleId"' "$work/$f.sarif") results; validator: $(tail -1 <<<"$out")"
done
exit $fail
