#!/usr/bin/env bash
# Alert-rule gates: the PrometheusRule agentctl renders, through Prometheus' own promtool.
#
#   scripts/promtool.sh [--agentctl PATH] [--install-only]
#
# 1. finds promtool: $PROMTOOL, else the tools cache
#    (${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}/promtool), else installs it there from
#    Debian's `prometheus` package (`apt-get download` + `dpkg-deb -x`: only the promtool binary
#    is used, no service is installed or started), else promtool on PATH;
# 2. renders every rendering of scripts/conformance/renderings (every profile, the combination,
#    every example alone and with dev) with agentctl, extracts the PrometheusRule's spec to a
#    rules file (scripts/promtool/extract_rules.py) and runs `promtool check rules` on it;
# 3. runs `promtool test rules` with tests/promtool/*.test.yaml against the rules rendered
#    from examples/everything.yaml (every alert on, one case that fires and one that stays
#    silent per alert);
# 4. runs tests/promtool/NAME/*.test.yaml against the rules of the rendering NAME (alerts that
#    differ from everything's: AgentDown under scale to zero; the pod alerts of a shared
#    namespace with Redis or the backups off), rendered from tests/promtool/NAME/render.args
#    when that file exists, else from scripts/conformance/renderings, and requires them to fail
#    against everything's rules;
# 5. negative controls: a rules file with a broken expression must be rejected by `check
#    rules`, and rules rendered with a different error-ratio threshold must fail `test rules`
#    (so the tests really read the rendered rules).
#
# Prints PASS/FAIL lines and `N passed, N failed`; exits 1 on any failure. A promtool that
# cannot be found or installed is `!!! GATE NOT RUN !!!` and a failure, never a pass.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
tools="${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}"
agentctl=""
install_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --agentctl) agentctl="$2"; shift 2 ;;
    --agentctl=*) agentctl="${1#*=}"; shift ;;
    --install-only) install_only=1; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "promtool.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

loud() { printf '\n!!! %s !!!\n\n' "$*"; }
passed=0; failed=0
pass() { printf 'PASS %s\n' "$*"; passed=$((passed + 1)); }
fail() { printf 'FAIL %s\n' "$*"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

# ---------------------------------------------------------------- promtool
install_promtool() {
  local dest="$tools/promtool"
  if [ -x "$dest/usr/bin/promtool" ] && "$dest/usr/bin/promtool" --version >/dev/null 2>&1; then
    echo "$dest/usr/bin/promtool"; return 0
  fi
  command -v apt-get >/dev/null 2>&1 || return 1
  # The package lists: without them apt knows no `prometheus` (a fresh container).
  if ! apt-cache policy prometheus 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    [ "$(id -u)" = 0 ] || return 1
    apt-get update -q >&2 || return 1
  fi
  local tmp; tmp="$(mktemp -d)" || return 1
  # `apt-get download` writes into the current directory; _apt cannot write to a private
  # mktemp directory, which only costs a warning.
  (cd "$tmp" && apt-get download -q prometheus >&2) || { rm -rf "$tmp"; return 1; }
  rm -rf "$dest"; mkdir -p "$dest"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$dest" || { rm -rf "$tmp"; return 1; }
  rm -rf "$tmp"
  # Only promtool is kept: the Prometheus server binary is not needed.
  find "$dest" -type f ! -path '*/usr/bin/promtool' -delete 2>/dev/null
  "$dest/usr/bin/promtool" --version >/dev/null 2>&1 || return 1
  echo "$dest/usr/bin/promtool"
}

promtool="${PROMTOOL:-}"
if [ -z "$promtool" ]; then
  promtool="$(install_promtool)" || promtool="$(command -v promtool || true)"
fi
if [ -z "$promtool" ] || ! "$promtool" --version >/dev/null 2>&1; then
  loud "GATE NOT RUN: promtool: not found and could not be installed (Debian package prometheus; or set PROMTOOL=/path/to/promtool)"
  fail "promtool: not installed"
  finish
fi
echo "== promtool: $promtool ($("$promtool" --version 2>&1 | head -1))"
[ "$install_only" = 1 ] && exit 0

# ---------------------------------------------------------------- Python + PyYAML (extractor)
python=""
for p in "$tools/venv/bin/python" "$(command -v python3 || true)"; do
  [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import yaml' 2>/dev/null && { python="$p"; break; }
done
if [ -z "$python" ]; then
  loud "GATE NOT RUN: promtool: no Python with PyYAML to extract the rules (run scripts/conformance.sh --install-only first)"
  fail "promtool: no rules extractor"
  finish
fi

# ---------------------------------------------------------------- agentctl
if [ -z "$agentctl" ]; then
  agentctl="$(cd "$repo" && bash scripts/release.sh)" || { loud "GATE NOT RUN: promtool: agentctl does not build"; fail "promtool: no agentctl"; finish; }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# render NAME ARGS... -> $work/NAME/rules.yaml; returns extract_rules.py's status (3: no rules).
render_rules() {
  local name="$1"; shift
  mkdir -p "$work/$name"
  if ! (cd "$repo" && "$agentctl" render -q "$@") > "$work/$name/stream.yaml" 2> "$work/$name/stderr"; then
    sed 's/^/    /' "$work/$name/stderr"
    return 2
  fi
  "$python" "$here/promtool/extract_rules.py" "$work/$name/rules.yaml" < "$work/$name/stream.yaml"
}

# ---------------------------------------------------------------- gate: check rules
# Every rendering the conformance gates check (scripts/conformance/renderings), and the one the
# tests below read (examples/everything.yaml, as `everything`, which must render alerts).
while read -r target rest; do
  case "$target" in ''|'#'*) continue ;; esac
  read -ra args <<<"$rest"
  [ "$target" = yaml-safety ] && continue   # only the ConfigMap differs from the defaults
  render_rules "$target" "${args[@]}"
  rc=$?
  if [ "$rc" = 3 ]; then
    if [ "$target" = everything ]; then
      fail "check-rules $target: examples/everything.yaml renders no PrometheusRule"
    else
      pass "check-rules $target: alerts off, no PrometheusRule rendered"
    fi
  elif [ "$rc" != 0 ]; then
    fail "check-rules $target: render or extraction failed"
  elif out="$("$promtool" check rules "$work/$target/rules.yaml" 2>&1)"; then
    pass "check-rules $target: $(printf '%s' "$out" | grep -o 'SUCCESS: [0-9]* rules found')"
  else
    fail "check-rules $target"; printf '%s\n' "$out" | sed 's/^/    /'
  fi
done < "$here/conformance/renderings"
grep -q '^everything  *-f examples/everything.yaml$' "$here/conformance/renderings" ||
  fail "check-rules: scripts/conformance/renderings has no 'everything -f examples/everything.yaml', which the tests read"

# ---------------------------------------------------------------- gate: test rules
# The test files whose alerts are all rendered by examples/everything.yaml (a file about
# objects not rendered yet, e.g. backups before they exist, is named loudly and not run; the
# coverage check below still requires a firing and a silent case for every rendered alert).
test_files=()
for f in "$repo"/tests/promtool/*.test.yaml; do
  missing=$("$python" - "$work/everything/rules.yaml" "$f" <<'PY'
import json, sys, yaml
rendered = {r["alert"] for g in json.load(open(sys.argv[1]))["groups"] for r in g["rules"]}
tested = {a["alertname"] for t in yaml.safe_load(open(sys.argv[2]))["tests"] for a in t.get("alert_rule_test", [])}
print(" ".join(sorted(tested - rendered)))
PY
) || missing="(unreadable)"
  if [ -z "$missing" ]; then
    test_files+=("$(basename "$f")")
  else
    printf '!!! NOTE: %s not run: examples/everything.yaml renders no %s\n' "$(basename "$f")" "$missing"
  fi
done
run_tests() {  # DIR -> promtool test rules output, status
  cp "$repo"/tests/promtool/*.test.yaml "$1/"
  (cd "$1" && "$promtool" test rules "${test_files[@]}" 2>&1)
}
if [ -s "$work/everything/rules.yaml" ] && [ "${#test_files[@]}" -gt 0 ]; then
  cases=$(cd "$repo/tests/promtool" && cat "${test_files[@]}" | grep -c '^  - name:')
  alerts=$("$python" -c 'import json,sys; print(sum(len(g["rules"]) for g in json.load(open(sys.argv[1]))["groups"]))' "$work/everything/rules.yaml")
  if out="$(run_tests "$work/everything")"; then
    pass "test-rules: $cases test cases in ${#test_files[@]} files over $alerts alerts"
  else
    fail "test-rules"; printf '%s\n' "$out" | sed 's/^/    /'
  fi
  # Every alert rendered has a test that fires (a case with exp_alerts for it that is not []).
  untested=$("$python" - "$work/everything/rules.yaml" "$repo"/tests/promtool/*.test.yaml <<'PY'
import json, sys, yaml
alerts = [r["alert"] for g in json.load(open(sys.argv[1]))["groups"] for r in g["rules"]]
fires, silent = set(), set()
for path in sys.argv[2:]:
    for t in yaml.safe_load(open(path))["tests"]:
        for a in t.get("alert_rule_test", []):
            (fires if a.get("exp_alerts") else silent).add(a["alertname"])
print(" ".join(f"{a}({'fires' if a not in fires else ''}{'/' if a not in fires and a not in silent else ''}{'silent' if a not in silent else ''})" for a in alerts if a not in fires or a not in silent))
PY
)
  if [ -z "$untested" ]; then
    pass "test-rules coverage: every alert has a firing and a silent case"
  else
    fail "test-rules coverage: missing cases: $untested"
  fi
else
  fail "test-rules: no rules rendered from examples/everything.yaml"
fi

# ---------------------------------------------------------------- per-rendering tests
# tests/promtool/NAME/*.test.yaml test the rules of the rendering NAME (alerts that differ from
# examples/everything.yaml's, e.g. AgentDown under scale to zero); each directory's tests must
# also fail against everything's rules (so they read what differs).
for dir in "$repo"/tests/promtool/*/; do
  [ -d "$dir" ] || continue
  name="$(basename "$dir")"
  # A directory with `render.args` is a rendering of its own (the promtool tests only: e.g. a
  # shared namespace, which the Pod Security gate of the conformance renderings cannot take).
  if [ -f "$dir/render.args" ]; then
    read -ra own_args < "$dir/render.args"
    if render_rules "$name" "${own_args[@]}" && out="$("$promtool" check rules "$work/$name/rules.yaml" 2>&1)"; then
      pass "check-rules $name (tests/promtool/$name/render.args): $(printf '%s' "$out" | grep -o 'SUCCESS: [0-9]* rules found')"
    else
      fail "check-rules $name (tests/promtool/$name/render.args)"; printf '%s\n' "${out:-}" | sed 's/^/    /'
      continue
    fi
  fi
  if [ ! -s "$work/$name/rules.yaml" ]; then
    fail "test-rules $name: no rendering $name with alerts in scripts/conformance/renderings (or tests/promtool/$name/render.args)"
    continue
  fi
  files=()
  for f in "$dir"*.test.yaml; do files+=("$(basename "$f")"); done
  cp "$dir"*.test.yaml "$work/$name/"
  if out="$(cd "$work/$name" && "$promtool" test rules "${files[@]}" 2>&1)"; then
    pass "test-rules $name: $(cat "$dir"*.test.yaml | grep -c '^  - name:') test cases in ${#files[@]} files"
  else
    fail "test-rules $name"; printf '%s\n' "$out" | sed 's/^/    /'
  fi
  mkdir -p "$work/$name-control"
  cp "$work/everything/rules.yaml" "$dir"*.test.yaml "$work/$name-control/"
  if (cd "$work/$name-control" && "$promtool" test rules "${files[@]}" >/dev/null 2>&1); then
    fail "negative control: the $name tests pass on examples/everything.yaml's rules too"
  else
    pass "negative control: the $name tests fail on examples/everything.yaml's rules"
  fi
done

# ---------------------------------------------------------------- negative controls
if [ -s "$work/everything/rules.yaml" ]; then
  mkdir -p "$work/broken"
  "$python" - "$work/everything/rules.yaml" "$work/broken/rules.yaml" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["groups"][0]["rules"][0]["expr"] += " + on("  # unbalanced: not PromQL
json.dump(spec, open(sys.argv[2], "w"))
PY
  if "$promtool" check rules "$work/broken/rules.yaml" >/dev/null 2>&1; then
    fail "negative control: promtool check rules accepted a broken expression"
  else
    pass "negative control: promtool check rules rejects a broken expression"
  fi
  if render_rules mutated -f examples/everything.yaml --set monitoring.alerts.errorRatio.percent=50; then
    if run_tests "$work/mutated" >/dev/null; then
      fail "negative control: the tests pass on rules rendered with another error-ratio threshold"
    else
      pass "negative control: the tests fail on rules rendered with another error-ratio threshold"
    fi
  else
    fail "negative control: render with --set monitoring.alerts.errorRatio.percent=50 failed"
  fi
fi

finish
