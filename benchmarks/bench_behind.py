"""Follow-ups asking which papers the model or the answer rests on: are they answered with the model's own paper?

    python benchmarks/bench_behind.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: the three sets below), written by three writers who saw neither the code nor its examples, holds
two lists of follow-ups in a chat whose first answer explained the model and listed the papers:

- ``behind``: which papers, research or sources the model, the method or the answer ("it", "this", "the AI")
  comes from or rests on, naming no title; right when the answer draws on the model (in scope, the model's record
  among its references, so its paper link is given) or lists the records with the model among them;
- ``control``: the same words asking something else (a file type it supports, research on another subject, the
  person's own work, photo paper, who wrote the papers); right when they are not read as asking for the paper the
  model comes from (no fact of the figure ``the paper it comes from``).

The baseline, in the same run, is the same code without that figure (``corpus/figures.yaml``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from question_sets import figure_bench

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data" / name for name in ("behind-dev.yaml", "behind-blind.yaml", "behind-blind2.yaml")]
LABEL = "the paper it comes from"


def right(group: str, answer, model: str) -> bool:
    if group == "control":
        return not any(f.label == LABEL for f in answer.facts)
    if answer.listing:
        return model in {r.id for r in answer.nearest}
    return answer.in_scope and model in {r.id for r in answer.references}


def main() -> int:
    return figure_bench(__doc__, SETS, LABEL, right)


if __name__ == "__main__":
    sys.exit(main())
