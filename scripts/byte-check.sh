#!/usr/bin/env bash
# Byte-identity check for refactors: runs the same command lines with two agentctl binaries
# (BEFORE, AFTER) and compares stdout, stderr, exit codes and written directories.
#   scripts/byte-check.sh /path/to/agentctl-before target/debug/agentctl
set -u
BEFORE=$(realpath "$1"); AFTER=$(realpath "$2")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d); [ -n "${KEEP:-}" ] || trap "rm -rf $WORK" EXIT; echo "work: $WORK" >&2
cases=()
P=(dev high-throughput low-latency)
cases+=("render")
for a in "${P[@]}"; do cases+=("render -p $a"); for b in "${P[@]}"; do [ "$a" != "$b" ] && cases+=("render -p $a -p $b"); done; done
cases+=("render -p dev -p high-throughput -p low-latency")
for e in examples/*.yaml; do cases+=("render -f $e" "render -p dev -f $e" "config -f $e --show-origin" "config -p low-latency -f $e"); done
cases+=("render -f examples/override.yaml -f examples/pinned-digests.yaml --set replicas.min=4")
cases+=("config --show-origin" "config -p dev --show-origin --set agent.config.extra.API_TOKEN=x" "schema" "profiles" "profiles show dev" "profiles diff dev low-latency")
cases+=("explain" "explain agent" "explain agent.resources.limits.memory -p dev" "explain agent.resurces" "explain redis.image -f examples/override.yaml")
cases+=("render -p nope" "render --set agent.replicas=x" "render --set agent.config.extra.PASSWORD=1 --set replicas.min=0" "render -f /nonexistent.yaml" "render --set namespace=UPPER" "diff -o /nonexistent" "profiles show nope" "profiles diff nope nada" "completions bash" "man" "render --set 'autoscaling.enabled=maybe'")
run() { # bin outdir case
  local bin=$1 out=$2; shift 2
  mkdir -p "$out/cwd"; cp -r "$ROOT/examples" "$out/cwd/"; cp -r "$WORK/fixture/." "$out/cwd/" 2>/dev/null
  (cd "$out/cwd" && NO_COLOR=1 COLUMNS=100 eval "\"$bin\" $*" >"$out/stdout" 2>"$out/stderr"; echo $? >"$out/rc")
  sed -i "s#$bin#BIN#g" "$out/stderr" "$out/stdout"
}
mkdir -p "$WORK/fixture/envs"
cat >"$WORK/fixture/agentctl.yaml" <<'Y'
environments:
  staging:
    profiles: [dev]
    set: {namespace: staging-agents}
  production:
    profiles: [high-throughput]
    overrides: [envs/prod.yaml]
  eu:
    profiles: [low-latency]
    output: europe
Y
printf 'agent:\n  replicas: {min: 3}\n' >"$WORK/fixture/envs/prod.yaml"
printf 'agent:\n  config:\n    extra: {API_TOKEN: [1, 2], MODE: x}\n    extra2: 1\n  replicas: {min: x, API_KEY: y}\n  image: "a b"  # token: t\nredis:\n  password: hunter2\n' >"$WORK/fixture/creds.yaml"
cases+=("render -f creds.yaml" "config --show-origin -f creds.yaml" "render --set 'agent.config.extra.API_TOKEN=[1'" "render --set 'agent.config.extra.SECRET={a: 1}'" "render --set agent.config.extra.PASSWORD=x --set agent.replicas.min=x" "explain agent.config.extra --set agent.config.extra.TOKEN=abc")
cases+=("render --all -o out" "render --env staging" "render --env stagng -o out" "render --all" "render --all -o out && \"\$bin\" diff --all -o out" "render --all -o out && rm out/eu/* && \"\$bin\" render --all --check -o out" "render --all -o out && \"\$bin\" render --env staging -o out --set replicas.min=3")
cases+=("render -o out" "render -p dev -o out && \"\$bin\" diff -p low-latency -o out" "render -o out --check" "init" "init o.yaml && cat o.yaml" "init --project && cat agentctl.yaml" "init examples/override.yaml" "init --project agentctl.yaml" "man -o m && ls m")
fail=0; i=0; KEEP=${KEEP:-}
for c in "${cases[@]}"; do
  i=$((i+1))
  run "$BEFORE" "$WORK/b$i" "$c"; run "$AFTER" "$WORK/a$i" "$c"
  sed -i "s#$WORK/a$i#W#g; s#$WORK/b$i#W#g" "$WORK/a$i/stderr" "$WORK/b$i/stderr" "$WORK/a$i/stdout" "$WORK/b$i/stdout"
  if ! diff -r "$WORK/b$i" "$WORK/a$i" >"$WORK/d" 2>&1; then echo "DIFFERS: $c"; head -20 "$WORK/d"; fail=1; fi
done
echo "$i cases; $([ $fail = 0 ] && echo all identical || echo SOME DIFFER)"
exit $fail
