#!/usr/bin/env python3
"""What each peer finds, beside `agentctl lint` (scripts/peers.sh runs the tools; this reads
their reports).

    compare.py WORK REPO

WORK/raw/<subject>.<tool>.json: the reports (agentctl lint --format json, kube-score
--output-format json, Checkov -o json, a Kyverno PolicyReport). Subjects are the renderings of
scripts/conformance/renderings (render-<name>) and the gallery cases (gallery-<name>).

1. Renderings: every (tool, check) a peer reports must be in scripts/peers/triage.tsv: a rule
   of ours that covers it, or `fp` (or `design`) with the reason. An unlisted one fails.
2. Gallery: per case, what each tool reports that it does not report on the defaults (the
   case's bad patch is all that changed): the table between the `peers:begin`/`peers:end`
   markers of README.md must be exactly this table; a difference fails and prints the table.
Exit 0 when both hold, 1 otherwise.
"""

import json
import os
import sys

TOOLS = ["agentctl", "kube-score", "checkov", "kyverno"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def agentctl(report):
    return {(f["rule"], f["object"]) for f in report.get("findings", [])}


def kube_score(report):
    out = set()
    for o in report or []:
        kind = o["type_meta"]["kind"]
        name = o["object_name"].rsplit("/", 1)[-1]
        for c in o["checks"] or []:
            # grade 1 critical, 5 warning, 10 ok; skipped: optional or not applicable
            if not c["skipped"] and c["grade"] < 10:
                out.add((c["check"]["id"], f"{kind}/{name}"))
    return out


def checkov(report):
    out = set()
    reports = report if isinstance(report, list) else [report]
    for r in reports:
        for f in r.get("results", {}).get("failed_checks", []):
            # resource: Kind.namespace.name (or Kind.name)
            parts = f["resource"].split(".")
            out.add((f["check_id"], f"{parts[0]}/{parts[-1]}"))
    return out


def kyverno(report):
    out = set()
    for r in report.get("results", []) or []:
        if r.get("result") in ("fail", "error"):
            for res in r.get("resources", []) or [{}]:
                out.add((f"{r.get('policy')}/{r.get('rule')}", f"{res.get('kind')}/{res.get('name')}"))
    return out


PARSE = {"agentctl": agentctl, "kube-score": kube_score, "checkov": checkov, "kyverno": kyverno}


def findings(raw, subject, tool):
    p = os.path.join(raw, f"{subject}.{tool}.json")
    if not os.path.exists(p):
        return None
    return PARSE[tool](load(p))


def triage(repo):
    known = {}
    with open(os.path.join(repo, "scripts/peers/triage.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            tool, check, verdict, reason = (line.rstrip("\n").split("\t") + ["", "", ""])[:4]
            known[(tool, check)] = (verdict, reason)
    return known


def cell(items):
    if not items:
        return "—"
    checks = sorted({c for c, _ in items})
    return ", ".join(f"`{c}`" for c in checks)


def main(work, repo):
    raw = os.path.join(work, "raw")
    subjects = sorted({f.rsplit(".", 2)[0] for f in os.listdir(raw) if f.endswith(".json")})
    tools = [t for t in TOOLS if any(os.path.exists(os.path.join(raw, f"{s}.{t}.json")) for s in subjects)]
    ok = True
    known = triage(repo)
    seen = {}
    for s in (s for s in subjects if s.startswith("render-")):
        for t in tools:
            if t == "agentctl":
                continue
            for check, obj in findings(raw, s, t) or set():
                seen.setdefault((t, check), set()).add(f"{s[len('render-'):]}: {obj}")
    print("== peers on our renderings (every finding triaged in scripts/peers/triage.tsv)")
    for (t, check), where in sorted(seen.items()):
        verdict = known.get((t, check))
        if verdict is None:
            ok = False
            print(f"FAIL {t} {check}: not in triage.tsv ({len(where)} objects, e.g. {sorted(where)[0]})")
        else:
            print(f"ok   {t} {check} -> {verdict[0]} ({len(where)} findings)")
    for (t, check), (verdict, _) in sorted(known.items()):
        if (t, check) not in seen and not verdict.startswith("gallery"):
            print(f"note {t} {check}: triaged but not reported on any rendering any more")
    base = {t: findings(raw, "render-defaults", t) or set() for t in tools}
    rows = []
    header = "| case | " + " | ".join(tools) + " |"
    rows.append(header)
    rows.append("|" + " --- |" * (len(tools) + 1))
    for s in (s for s in subjects if s.startswith("gallery-")):
        cells = []
        for t in tools:
            got = findings(raw, s, t)
            if got is None:
                ok = False
                cells.append("(no report)")
            else:
                cells.append(cell(got - base[t]))
        rows.append(f"| {s[len('gallery-'):]} | " + " | ".join(cells) + " |")
    table = "\n".join(rows)
    print("\n== the gallery of bad patches: what each tool finds beyond the defaults\n")
    print(table)
    with open(os.path.join(repo, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    begin, end = "<!-- peers:begin -->\n", "<!-- peers:end -->"
    if begin in readme and end in readme:
        current = readme.split(begin, 1)[1].split(end, 1)[0].strip()
        if current != table:
            ok = False
            print("\nFAIL README.md's peers table differs from this run (replace it with the table above)")
        else:
            print("\nok   README.md's peers table is this run's")
    else:
        ok = False
        print("\nFAIL README.md has no peers table (markers <!-- peers:begin --> / <!-- peers:end -->)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
