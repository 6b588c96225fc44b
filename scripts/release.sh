#!/usr/bin/env bash
# Builds the release binary we ship and measure, and prints its absolute path on stdout.
#
#   scripts/release.sh                  # build; prints e.g. /src/agentctl/target/x86_64-unknown-linux-gnu/release/agentctl
#   install -m 755 "$(scripts/release.sh)" ~/.local/bin/agentctl
#
# On x86_64/aarch64 Linux with glibc it links the C runtime statically (`+crt-static`, glibc's
# static libraries from libc6-dev): no dynamic loader, no libgcc_s/libm/libc to map and bind at
# start. agentctl is run as a short process, many times per CI job, and that start-up is a large
# share of it: measured with scripts/bench.sh, a whole-process `render -o` takes ~0.5 ms less
# (3.0 -> 2.5 ms on the 2-core CI machines). The flag needs an explicit `--target`: given for the
# host itself it would also apply to proc-macros, which cannot be static. Elsewhere (macOS,
# musl, no static glibc) it is a plain `cargo build --release` (target/release/agentctl).
# STATIC=0 forces the plain build.
set -euo pipefail
cd "$(dirname "$0")/.."

host=$(rustc -vV | sed -n 's/^host: //p')
static=${STATIC:-1}
case "$host" in
x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu) ;;
*) static=0 ;;
esac
if [ "$static" = 1 ] && ! [ -e "$(gcc -print-file-name=libc.a 2>/dev/null || echo missing)" ]; then
    echo "note: glibc's static libraries (libc.a, Debian package libc6-dev) are missing; building a dynamically linked binary" >&2
    static=0
fi

# Where cargo puts its output (CARGO_TARGET_DIR and config files included).
target_dir=$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

if [ "$static" = 1 ]; then
    cargo build --release --locked --target "$host" \
        --config "target.$host.rustflags = ['-C', 'target-feature=+crt-static']" >&2
    echo "$target_dir/$host/release/agentctl"
else
    cargo build --release --locked >&2
    echo "$target_dir/release/agentctl"
fi
