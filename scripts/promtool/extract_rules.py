#!/usr/bin/env python3
"""Extract the Prometheus rules file from agentctl's rendered output.

Reads a rendered YAML stream (`agentctl render` without -o) on stdin, finds the one
PrometheusRule object and writes its `spec` (`{"groups": [...]}`, the rules-file format
promtool reads) as JSON to the path given. Exit 0 when written, 3 when the stream holds no
PrometheusRule (alerts off), 2 on any other problem. The rules promtool checks are thus the
ones agentctl renders, never a hand-made copy.
"""
import json
import sys

try:
    import yaml
except ImportError:  # loud: the caller counts this as a gate not run
    sys.exit("extract_rules.py: PyYAML is missing (pip install PyYAML)")


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: extract_rules.py OUT.yaml < rendered-stream.yaml", file=sys.stderr)
        return 2
    rules = [d for d in yaml.safe_load_all(sys.stdin) if isinstance(d, dict) and d.get("kind") == "PrometheusRule"]
    if not rules:
        return 3
    if len(rules) != 1:
        print(f"extract_rules.py: expected one PrometheusRule, found {len(rules)}", file=sys.stderr)
        return 2
    spec = rules[0].get("spec")
    if not isinstance(spec, dict) or not spec.get("groups"):
        print("extract_rules.py: the PrometheusRule has no spec.groups", file=sys.stderr)
        return 2
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=2, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
