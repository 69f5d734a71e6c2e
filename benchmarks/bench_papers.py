"""Follow-ups about "the papers": are they answered from the corpus's papers, and only they?

    python benchmarks/bench_papers.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: ``tests/data/papers-blind.yaml``), written by a writer who saw neither the code nor its
examples, holds two lists of follow-ups in a chat whose first answer showed the model and listed the two papers:

- ``both_papers``: a fact about the two papers together, or about one without saying which ("who wrote the
  papers?", "the other paper"), naming no title word; right when the answer draws on both papers (each a reference
  the question is read as naming) or lists them (a list of records, ``listing``, holding both);
- ``controls``: about the model, "the paper" meaning the model's, a list of sources, the person's photos, or
  papers in general; right when it is not read as naming every paper (no "The question names no paper" note).

The baseline, in the same run, is the same code with that reading switched off (``every_words`` finds nothing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data/papers-blind.yaml"]
NOTE = "The question names no paper"


def right(group: str, answer, papers: set[str]) -> bool:
    if group == "controls":
        return not any(n.startswith(NOTE) for n in answer.notes)
    named = {r.id for r in answer.references if r.named} if answer.in_scope else set()
    listed = {r.id for r in answer.nearest} if answer.listing else set()
    return papers <= named or papers <= listed


def main() -> int:
    import scientist.core as core
    import scientist.naming as naming
    from scientist import Scientist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=SETS)
    parser.add_argument("--no-misses", action="store_true", help="print the figures only")
    args = parser.parse_args()
    sci = Scientist()
    papers = {r.id for r in sci.corpus.records if r.kind == "paper"}
    for path in args.sets:
        sets = yaml.safe_load(path.read_text("utf-8"))
        start = time.perf_counter()
        now = {g: [sci.ask(q) for q in qs] for g, qs in sets.items()}
        found = naming.every_words
        naming.every_words = core.every_words = lambda question: None  # the baseline: no question names them
        try:
            base = {g: [Scientist().ask(q) for q in qs] for g, qs in sets.items()}
        finally:
            naming.every_words = core.every_words = found
        print(f"{path.name}: {sum(map(len, sets.values()))} questions, each asked twice "
              f"({time.perf_counter() - start:.0f} s)")
        print(f"  {'group':<12} {'right':>9} {'baseline':>9}")
        for g, qs in sets.items():
            ok = sum(right(g, a, papers) for a in now[g])
            bok = sum(right(g, a, papers) for a in base[g])
            print(f"  {g:<12} {f'{ok} of {len(qs)}':>9} {f'{bok} of {len(qs)}':>9}")
        if not args.no_misses:
            for g, qs in sets.items():
                for q, a in zip(qs, now[g], strict=True):
                    if not right(g, a, papers):
                        what = "listed" if a.listing else (f"{a.task.id}" if a.task else "no task") + (
                            "" if a.in_scope else ", refused")
                        print(f"  miss ({g}: {what}): {' '.join(q.split())[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
