#!/usr/bin/env bash
# Conformance gates (issue 5): every profile's output must pass real, independent tools.
#
#   scripts/conformance.sh [--agentctl PATH] [--crds DIR] [--workdir DIR] [--install-only]
#                          [--no-negatives] [--rendered NAME=DIR]...
#
# 1. installs the pinned tools into ${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}
#    (a Python venv from scripts/conformance/{requirements,constraints}.txt and an npm prefix
#    from scripts/conformance/package{,-lock}.json); idempotent, skipped when up to date;
# 2. builds agentctl (target/release/agentctl) when it is missing or older than its sources;
# 3. runs scripts/conformance/run.py: renders every profile and override, runs gates 1-5
#    and their negative controls, prints PASS/FAIL lines, figures and `N passed, N failed`.
#
# Everything after the install runs offline. A tool that cannot be installed is reported as
# `!!! GATE NOT RUN: ... !!!` and counted as a failure, never as a pass.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
conf="$here/conformance"
tools="${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}"
venv="$tools/venv"
node_prefix="$tools/node"

agentctl=""
crds=""
install_only=0
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --agentctl) agentctl="$2"; shift 2 ;;
    --agentctl=*) agentctl="${1#*=}"; shift ;;
    --crds) crds="$2"; shift 2 ;;
    --crds=*) crds="${1#*=}"; shift ;;
    --install-only) install_only=1; shift ;;
    --workdir|--rendered|--jobs) pass+=("$1" "$2"); shift 2 ;;
    --no-negatives) pass+=("$1"); shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
      # Install what can be installed, one tool at a time; run.py reports the rest as NOT RUN.
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
say "tools ready in $(( $(date +%s) - t0 ))s"
[ "$install_only" = 1 ] && exit 0

if [ "$py_ok" != 1 ]; then
  loud "GATE NOT RUN: all gates: the Python tools are missing"
  echo "0 passed, 5 failed"
  exit 1
fi

# ---------------------------------------------------------------- agentctl
is_rendered=0
for a in "${pass[@]:-}"; do [ "$a" = "--rendered" ] && is_rendered=1; done
if [ "$is_rendered" = 0 ]; then
  if [ -z "$agentctl" ]; then
    agentctl="$repo/target/release/agentctl"
    stale=""
    if [ -x "$agentctl" ]; then
      stale="$(find "$repo/src" "$repo/templates" "$repo/profiles" "$repo/Cargo.toml" "$repo/Cargo.lock" \
                -newer "$agentctl" -print -quit 2>/dev/null)"
    fi
    if [ ! -x "$agentctl" ] || [ -n "$stale" ]; then
      say "building agentctl (cargo build --release)"
      (cd "$repo" && cargo build --release --quiet) || { loud "GATE NOT RUN: all gates: cargo build --release failed"; echo "0 passed, 1 failed"; exit 1; }
    fi
  fi
  if [ ! -x "$agentctl" ]; then
    loud "GATE NOT RUN: all gates: no agentctl binary at $agentctl"
    echo "0 passed, 1 failed"
    exit 1
  fi
  agentctl="$(cd "$(dirname "$agentctl")" && pwd)/$(basename "$agentctl")"
  pass+=(--agentctl "$agentctl")
fi

# ---------------------------------------------------------------- CRDs
if [ -z "$crds" ]; then
  for c in "$repo/../shared/reference/crds" "${AGENTCTL_CRDS:-}"; do
    [ -n "$c" ] && [ -d "$c" ] && { crds="$(cd "$c" && pwd)"; break; }
  done
fi
[ -n "$crds" ] && pass+=(--crds "$crds")

exec "$venv/bin/python" "$conf/run.py" --node-prefix "$node_prefix" "${pass[@]}"
