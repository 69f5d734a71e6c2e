"""Questions about what the corpus holds: are they answered with its records, and only they?

    python benchmarks/bench_listing.py [SET.yaml ...]

``SET.yaml`` (default: ``tests/data/listing-blind.yaml`` and ``listing-blind2.yaml``): items ``{question,
lists}``, written by two writers who saw neither the code nor its examples: ``lists`` is ``all`` (the question asks
what records, sources or knowledge the tool has), ``papers`` or ``models`` (only that kind), or ``none`` (a control:
the same words in another sense, or an ordinary question).  Each question is answered by the packaged corpus and
counted right when a question that asks is answered with a list (``Answer.listing``) of exactly the corpus's records
of the kind it asks for, and a control is not answered with one.  (A question that asks is listed when it would be
refused, has no clear task, or names a record and says "only" or "other".)  Before this step every such question
was refused or answered as a task, so the baseline lists nothing: its right counts are the controls alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data/listing-blind.yaml", ROOT / "tests/data/listing-blind2.yaml"]


def right(item: dict, answer, corpus) -> bool:
    if item["lists"] == "none":
        return not answer.listing
    kinds = {"all": {"model", "paper"}, "papers": {"paper"}, "models": {"model"}}[item["lists"]]
    expected = sorted(r.id for r in corpus.records if r.kind in kinds)
    return answer.listing and sorted(r.id for r in answer.nearest) == expected


def main() -> int:
    from scientist import Scientist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=SETS)
    args = parser.parse_args()
    sci = Scientist()
    for path in args.sets:
        items = yaml.safe_load(path.read_text("utf-8"))["questions"]
        start = time.perf_counter()
        answers = [sci.ask(item["question"]) for item in items]
        print(f"{path.name}: {len(items)} questions ({time.perf_counter() - start:.0f} s)")
        print(f"  {'asks for':<10} {'right':>10} {'listed, wrong kind':>19} {'baseline':>9}")
        for group in ("all", "papers", "models", "none"):
            at = [i for i, item in enumerate(items) if item["lists"] == group]
            ok = sum(right(items[i], answers[i], sci.corpus) for i in at)
            off_kind = sum(answers[i].listing and not right(items[i], answers[i], sci.corpus) for i in at
                           if group != "none")
            base = len(at) if group == "none" else 0
            print(f"  {group:<10} {f'{ok} of {len(at)}':>10} {off_kind:>19} {f'{base} of {len(at)}':>9}")
        for item, answer in zip(items, answers, strict=True):
            if not right(item, answer, sci.corpus):
                what = "listed" if answer.listing else ("answered" if answer.in_scope else "refused")
                print(f"  miss ({item['lists']}, {what}): {' '.join(item['question'].split())[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
