#!/usr/bin/env bash
# The test command: the README's Quick start and .ci/run both run exactly this script. It runs
# the whole suite (`cargo test`) with the two snapshot rules: `--check` fails on a snapshot that
# differs (instead of leaving a `.snap.new` to review) and `--unreferenced=reject` fails on a
# file under `snapshots/` that no test pins any more. Extra arguments go to `cargo insta test`
# (e.g. `scripts/test.sh -- cli::` runs one module).
#
# It needs cargo-insta, at the version of the insta dev-dependency (Cargo.lock; a test in
# tests/it/cli.rs holds the two equal). A `cargo-insta` of that version on PATH is used; else
# that version is installed (`--locked`) into target/tools/, once, and used from there, so a
# cargo-insta of another version you installed yourself is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.49.0
if [ "$(cargo-insta --version 2>/dev/null)" = "cargo-insta $version" ]; then
  insta=cargo-insta
else
  tools="${CARGO_TARGET_DIR:-target}/tools/cargo-insta-$version"
  insta="$tools/bin/cargo-insta"
  if [ "$("$insta" --version 2>/dev/null)" != "cargo-insta $version" ]; then
    echo "installing cargo-insta $version into $tools (once)" >&2
    cargo install --locked --quiet --root "$tools" "cargo-insta@$version"
  fi
fi
# `cargo insta test …`, with the cargo-insta chosen above (called directly: cargo would look in
# ~/.cargo/bin first, whatever its version).
exec "$insta" test --check --unreferenced=reject "$@"
