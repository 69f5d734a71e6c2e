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

import sys
from pathlib import Path

from question_sets import measured_groups, print_right

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

    sci = Scientist()
    papers = {r.id for r in sci.corpus.records if r.kind == "paper"}

    def run(groups: dict[str, list[str]], reading: bool) -> dict[str, list]:
        if reading:
            return {g: [sci.ask(q) for q in qs] for g, qs in groups.items()}
        found = naming.every_words
        naming.every_words = core.every_words = lambda question: None  # the baseline: no question names them
        try:
            return {g: [Scientist().ask(q) for q in qs] for g, qs in groups.items()}
        finally:
            naming.every_words = core.every_words = found

    for groups, now, base, misses in measured_groups(__doc__, SETS, run):
        print_right(groups, now, base, lambda g, a: right(g, a, papers), misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
