"""Questions that name a record by part of its title: does the answer come from the record meant?

    python benchmarks/bench_naming.py [SET.yaml] [--json OUT] [--against BEFORE.json]

``SET.yaml`` (default ``tests/data/naming-blind.yaml``): items ``{question, named: [record id], covered, way}``.
Each question is answered by the packaged corpus.  Printed, by the writer's labels:

- *named, covered*: the named record supports the answer (the answer is drawn from it), and it is listed first;
- *named, not covered*: the named record is shown (a reference or a nearest record) and not said to address the
  question's task (its relevance is not ``direct``: a model of a neighbouring task may still be relied on, with
  the answer's note that it was built for another);
- *none*: the answer names no record (no reference carries ``named``: exact titles included);
- the naming rule itself: of the records the answers mark ``named`` (a reference, or one of a refusal's nearest
  records), how many the writer meant (precision), and of those the writer meant, how many were marked (recall).

The baseline, measured in the same run, is the same code with the ``partial_names`` setting off (a record is
named only by its exact title or ``names``).  With ``--against`` (this script's ``--json`` from another version of
the code; run on a version without the setting, the script only writes that file) it also prints that version's
figures and how many answers to the questions that name nothing changed against it (scope, first record or the
records relied on).  That version may predate the ``named`` field: its figures then read only scope and
references.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run(items: list[dict], partial: bool | None = True) -> list[dict]:
    """Each answer's figures; ``partial``: the ``partial_names`` setting (None: a version of the code without
    it)."""
    from scientist import Scientist
    from scientist.settings import load_settings

    sci = Scientist() if partial is None else Scientist(settings=load_settings().updated(partial_names=partial))
    out = []
    for item in items:
        a = sci.ask(item["question"], progress=False)
        refs = [{"id": r.id, "supports": r.supports, "relevance": r.relevance,
                 "named": bool(getattr(r, "named", False))} for r in a.references]
        out.append({"question": item["question"], "in_scope": a.in_scope, "references": refs,
                    "nearest": [r.id for r in a.nearest], "read_as": a.read_as,
                    "nearest_named": [r.id for r in a.nearest if getattr(r, "named", False)]})
    return out


def figures(items: list[dict], rows: list[dict]) -> dict:
    covered = [(i, r) for i, r in zip(items, rows, strict=True) if i["named"] and i.get("covered")]
    uncovered = [(i, r) for i, r in zip(items, rows, strict=True) if i["named"] and i.get("covered") is False]
    none = [(i, r) for i, r in zip(items, rows, strict=True) if not i["named"]]

    def supported(i, r):
        return r["in_scope"] and any(x["id"] in i["named"] and x["supports"] for x in r["references"])

    def first(i, r):
        return bool(r["references"]) and r["references"][0]["id"] in i["named"]

    def shown_not_claimed(i, r):
        shown = {x["id"] for x in r["references"]} | set(r["nearest"])
        direct = {x["id"] for x in r["references"] if x["relevance"] == "direct"}
        return all(n in shown and n not in direct for n in i["named"])

    # marked named in a reference, or, in a refusal, among the nearest records it lists
    marked = [(i, x) for i, r in zip(items, rows, strict=True)
              for x in [x["id"] for x in r["references"] if x["named"]] + r.get("nearest_named", [])]
    meant = [(i, n) for i in items for n in i["named"]]
    hits = sum(n in i["named"] for i, n in marked)
    found = sum(any(x["id"] == n and x["named"] for x in r["references"]) or n in r.get("nearest_named", [])
                for i, r in zip(items, rows, strict=True) for n in i["named"])
    return {
        "named_covered": len(covered),
        "covered_supported": sum(supported(i, r) for i, r in covered),
        "covered_first": sum(first(i, r) for i, r in covered),
        "named_uncovered": len(uncovered),
        "uncovered_shown_not_claimed": sum(shown_not_claimed(i, r) for i, r in uncovered),
        "none": len(none),
        "none_marked": sum(any(x["named"] for x in r["references"]) for _, r in none),
        "rule_precision": hits / len(marked) if marked else None,
        "rule_recall": found / len(meant) if meant else None,
    }


def by_way(items: list[dict], rows: list[dict]) -> dict[str, str]:
    out = {}
    for way in sorted({i.get("way", "?") for i in items if i["named"]}):
        pairs = [(i, r) for i, r in zip(items, rows, strict=True) if i.get("way") == way and i["named"]]
        ok = sum(any(x["id"] == n and x["named"] for x in r["references"]) or n in r.get("nearest_named", [])
                 for i, r in pairs for n in i["named"])
        out[way] = f"{ok}/{sum(len(i['named']) for i, _ in pairs)}"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set", nargs="?", default=str(ROOT / "tests" / "data" / "naming-blind.yaml"))
    ap.add_argument("--json", help="write each answer's figures here")
    ap.add_argument("--against", help="the --json of another version of the code, to compare with")
    args = ap.parse_args()
    items = yaml.safe_load(Path(args.set).read_text("utf-8"))
    from scientist.settings import Settings

    if "partial_names" not in Settings.model_fields:  # a version of the code from before the rule
        rows = run(items, None)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1), "utf-8")
        print(f"{len(items)} questions answered (a version without partial names): figures with --against")
        return 0
    t0 = time.perf_counter()
    base_rows = run(items, False)
    took_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = run(items, True)
    took = time.perf_counter() - t0
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), "utf-8")
    now = figures(items, rows)
    print(f"{len(items)} questions; baseline (partial_names off) {took_base:.1f} s, partial names {took:.1f} s")
    cols = [("baseline: exact names only", figures(items, base_rows)), ("partial names", now)]
    if args.against:
        before_rows = json.loads(Path(args.against).read_text("utf-8"))
        cols.insert(0, ("before (other code)", figures(items, before_rows)))
    print("| figure | " + " | ".join(c for c, _ in cols) + " |")
    print("|---|" + "---|" * len(cols))
    n_cov, n_unc = now["named_covered"], now["named_uncovered"]
    lines = [("named, covered: the named record supports the answer", "covered_supported", n_cov),
             ("named, covered: the named record listed first", "covered_first", n_cov),
             ("named, not covered: shown, not said to address the task", "uncovered_shown_not_claimed", n_unc),
             ("names nothing: a reference marked named", "none_marked", now["none"])]
    for label, key, n in lines:
        print(f"| {label} | " + " | ".join(f"{f[key]} of {n}" for _, f in cols) + " |")
    for key in ("rule_precision", "rule_recall"):
        print(f"| naming rule: {key.split('_')[1]} | " + " | ".join(
            "-" if f[key] is None else f"{f[key]:.3f}" for _, f in cols) + " |")
    base = cols[-2][1]
    if base["covered_supported"]:
        print(f"ratio to the baseline, named and covered, the named record supports the answer: "
              f"{now['covered_supported'] / base['covered_supported']:.2f}")
    print("recall by way of naming:", by_way(items, rows))
    if args.against:
        changed = [i["question"] for i, a, b in zip(items, before_rows, rows, strict=True) if not i["named"] and (
            a["in_scope"] != b["in_scope"]
            or [x["id"] for x in a["references"][:1]] != [x["id"] for x in b["references"][:1]]
            or {x["id"] for x in a["references"] if x["supports"]} != {x["id"] for x in b["references"]
                                                                       if x["supports"]})]
        print(f"questions that name nothing whose answer changed: {len(changed)} of {now['none']}")
        for q in changed:
            print("  -", q)
    return 0


if __name__ == "__main__":
    sys.exit(main())
