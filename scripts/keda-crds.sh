#!/usr/bin/env bash
# Prints the directory holding KEDA v2.20.2's own TriggerAuthentication and ScaledObject CRDs
# (config/crd/bases/ of the release module), fetching the module through the Go module proxy
# into the tool cache the first time. The shared reference set has KEDA's ScaledObject only;
# `keda.authentications` renders a TriggerAuthentication, which the conformance gates and the
# control plane need a CRD for. Exit 1 (and nothing printed) when it cannot be fetched.
#
#   scripts/keda-crds.sh        # e.g. /root/.cache/agentctl-conformance/keda-v2.20.2
set -uo pipefail
version=v2.20.2
dir="${AGENTCTL_TOOLS:-$HOME/.cache/agentctl-conformance}/keda-$version"
if [ ! -s "$dir/keda.sh_triggerauthentications.yaml" ]; then
  command -v go >/dev/null 2>&1 || { echo "keda-crds.sh: go is not on PATH" >&2; exit 1; }
  mkdir -p "$(dirname "$dir")"
  mod="$(cd "$(dirname "$dir")" && GOFLAGS=-mod=mod go mod download -json "github.com/kedacore/keda/v2@$version" 2>/dev/null |
    "${PYTHON:-python3}" -c 'import json,sys; print(json.load(sys.stdin).get("Dir",""))' 2>/dev/null)"
  bases="$mod/config/crd/bases"
  [ -n "$mod" ] && [ -s "$bases/keda.sh_triggerauthentications.yaml" ] ||
    { echo "keda-crds.sh: could not fetch github.com/kedacore/keda/v2@$version" >&2; exit 1; }
  mkdir -p "$dir"
  cp "$bases/keda.sh_triggerauthentications.yaml" "$bases/keda.sh_scaledobjects.yaml" "$dir/"
fi
echo "$dir"
