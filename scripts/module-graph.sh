#!/usr/bin/env bash
# The module graph of src/: one edge `from to` per `crate::` reference, at the level of the
# top-level modules (the pipeline stages) or, with `--files`, of the files. Exits 1, naming the
# cycle, if the graph has one (tsort finds it). Cheap: grep + awk + tsort, no cargo plugin.
# Test code (a `#[cfg(test)]` tail, a `tests.rs` file) is left out: tests may use anything.
#   scripts/module-graph.sh            # stage graph
#   scripts/module-graph.sh --files    # file graph
set -euo pipefail
cd "$(dirname "$0")/../src"
level=1
[ "${1:-}" = "--files" ] && level=2
edges=$(
  for f in $(find . -name '*.rs' ! -name main.rs ! -name lib.rs ! -name tests.rs | sort); do
    m=${f#./}; m=${m%.rs}; m=${m%/mod}; m=${m//\//::}
    # Only code: drop comments (doc links would otherwise count as dependencies).
    awk '/^#\[cfg\(test\)\]/{exit} {print}' "$f" | sed -e 's#//.*##' | grep -o 'crate::[a-z0-9_:]*[a-z0-9_]' | sed 's/^crate:://' |
      awk -v from="$m" -v level="$level" -F'::' '
        function cut(path,   n, parts, out, i) {
          n = split(path, parts, "::"); out = parts[1]
          for (i = 2; i <= level && i <= n; i++) out = out "::" parts[i]
          return out
        }
        { to = cut($0); f = cut(from); if (f != to) print f, to }'
  done | sort -u
)
# A reference to an item (crate::input::yaml::Pos) cut at file level may name an item; keep
# only edges to modules that exist.
mods=$(find . -name '*.rs' ! -name main.rs ! -name lib.rs ! -name tests.rs | sed 's#^\./##; s#\.rs$##; s#/mod$##; s#/#::#g')
echo "$edges" | while read -r a b; do
  if [ "$level" = 1 ] || grep -qx "$b" <<<"$mods"; then echo "$a $b"; else echo "$a ${b%::*}"; fi
done | awk '$1 != $2' | sort -u >/tmp/module-graph.$$
cat /tmp/module-graph.$$
if ! tsort </tmp/module-graph.$$ >/dev/null 2>/tmp/module-graph.err.$$; then
  echo "CYCLE:" >&2; cat /tmp/module-graph.err.$$ >&2; rm -f /tmp/module-graph.*.$$ /tmp/module-graph.$$; exit 1
fi
rm -f /tmp/module-graph.$$ /tmp/module-graph.err.$$
echo "no cycles" >&2
