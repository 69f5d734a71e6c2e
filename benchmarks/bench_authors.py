"""Follow-ups asking who made the model or the method an answer described: are they answered with its authors?

    python benchmarks/bench_authors.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: ``tests/data/authors-blind.yaml`` to ``authors-blind6.yaml``, each written by a different
writer who saw neither the code nor its examples, each frozen before it was first measured)
holds two lists of follow-ups in a chat whose first answer explained the model and listed the papers:

- ``authors``: who made, invented or developed the model, the method or the approach ("it", "this", "the
  technique you described"), naming no title; right when the answer quotes the model record's line that gives its
  authors (a fact ``authors`` or ``its authors`` of the model);
- ``control``: the same words asking something else (who invented photography, who took the photo, who made the
  person's phone, who should be credited in a family album); right when no authors of the model are quoted.

The baseline, in the same run, is the same code without the fact ``its authors`` (``corpus/figures.yaml``: who made
the model or the method, asked of ``{this}`` and, in a question naming no record, of the only model); the fact
``authors``, asked of a model by name or by "it" ("who made it?"), is in both.
"""

from __future__ import annotations

import sys
from pathlib import Path

from question_sets import figure_bench

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data" / name for name in ("authors-blind.yaml", "authors-blind2.yaml", "authors-blind3.yaml",
                                                "authors-blind4.yaml", "authors-blind5.yaml", "authors-blind6.yaml")]
LABEL = "its authors"


def right(group: str, answer, model: str) -> bool:
    quoted = any(f.label in ("authors", LABEL) and f.record_id == model for f in answer.facts)
    return not quoted if group == "control" else quoted


def main() -> int:
    return figure_bench(__doc__, SETS, LABEL, right)


if __name__ == "__main__":
    sys.exit(main())
