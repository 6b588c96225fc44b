#!/usr/bin/env bash
# The module graph of src/: one edge `from to` per module reference, at the level of the
# top-level modules (the pipeline stages) or, with `--files`, of the files (every module). Exits
# 1, naming the cycle, if the graph has one (tsort finds it). Cheap: perl + tsort, no cargo plugin.
# A reference is a path that starts with `crate::`, `super::` (also `super::super::`) or
# `self::`, `use` groups included (`use super::{a, b::{c, d}}` is three references); it names the
# longest module prefix it has (`super::Renderer` in render/bundle.rs is an edge to `render`).
# A parent's unqualified use of a child it declares (`mod view;` ... `view::x`) is containment,
# not an edge. Test code (from the first `#[cfg(test)]` line on, and every `tests.rs` file) is
# left out: tests may use anything.
#   scripts/module-graph.sh            # stage graph
#   scripts/module-graph.sh --files    # file graph
set -euo pipefail
cd "$(dirname "$0")/../src"
level=1
[ "${1:-}" = "--files" ] && level=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
find . -name '*.rs' ! -name main.rs ! -name lib.rs ! -name tests.rs | sort |
  perl -e '
    use strict; use warnings;
    my $level = shift;
    my @files = map { chomp; $_ } <STDIN>;
    my %module;                                   # module path -> 1
    my %of;                                       # file -> module path
    for my $f (@files) {
      (my $m = $f) =~ s{^\./}{}; $m =~ s{\.rs$}{}; $m =~ s{/mod$}{}; $m =~ s{/}{::}g;
      $of{$f} = $m; $module{$m} = 1;
    }
    my %edges;
    # The module a path names: at stage level its first segment, else the longest prefix that
    # is a module (an item such as render::Renderer belongs to render).
    sub target {
      my ($segs) = @_;
      return $segs->[0] if $level == 1;
      for (my $n = @$segs; $n > 0; $n--) {
        my $p = join "::", @$segs[0 .. $n - 1];
        return $p if $module{$p};
      }
      return undef;
    }
    # Expands the path at the start of $s (after its root) into full paths, groups included;
    # returns them and what it consumed.
    sub expand {
      my ($s) = @_;
      my @out; my $pos = 0;
      my @segs;
      while (1) {
        if (substr($s, $pos) =~ /^\s*([A-Za-z_][A-Za-z0-9_]*|\*)/) {
          my $w = $1; $pos += length $&;
          push @segs, $w unless $w eq "*";
          if (substr($s, $pos) =~ /^\s*::\s*/) { $pos += length $&; next }
          push @out, [@segs]; return (\@out, $pos);
        } elsif (substr($s, $pos) =~ /^\s*\{/) {
          $pos += length $&;
          while (1) {
            my ($sub, $used) = expand(substr($s, $pos));
            $pos += $used;
            push @out, [@segs, @$_] for @$sub;
            if (substr($s, $pos) =~ /^\s*,/) { $pos += length $&; next if substr($s, $pos) !~ /^\s*\}/ }
            if (substr($s, $pos) =~ /^\s*\}/) { $pos += length $&; last }
            last;
          }
          return (\@out, $pos);
        } else {
          push @out, [@segs]; return (\@out, $pos);
        }
      }
    }
    for my $f (@files) {
      my $m = $of{$f};
      open my $fh, "<", $f or die "$f: $!";
      my $code = "";
      while (<$fh>) { last if /^#\[cfg\(test\)\]/; s{//.*}{}; $code .= $_ }
      close $fh;
      $code =~ s{"(?:[^"\\]|\\.)*"}{""}g;          # string literals say nothing about modules
      my @here = split /::/, $m;
      while ($code =~ /(?<![A-Za-z0-9_:])((?:crate|super|self)(?:::super)*)::/g) {
        my $root = $1; my $after = pos($code);
        my ($paths) = expand(substr($code, $after));
        my @base;
        if ($root eq "crate") { @base = () }
        elsif ($root eq "self") { @base = @here }
        else {
          my $up = () = $root =~ /super/g;
          # A mod.rs or a file module: super is the parent of the module the file is.
          @base = @here[0 .. $#here - $up];
        }
        for my $p (@$paths) {
          my @full = (@base, @$p);
          next unless @full;
          my $to = target(\@full); my $from = $level == 1 ? $here[0] : $m;
          next unless defined $to;
          $edges{"$from $to"} = 1 if $from ne $to;
        }
      }
    }
    print "$_\n" for sort keys %edges;
  ' "$level" >"$tmp/graph"
cat "$tmp/graph"
if ! tsort <"$tmp/graph" >/dev/null 2>"$tmp/err"; then
  echo "CYCLE:" >&2; cat "$tmp/err" >&2; exit 1
fi
echo "no cycles" >&2
