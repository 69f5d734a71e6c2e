"""Questions about a part of the network ("what does the feature fusion do?"): does the answer quote what the record
says of it, and say so when it says nothing?

    python benchmarks/bench_parts.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: the five sets ``tests/data/parts-blind*.yaml``): items ``{question, asks, steps, refers}``,
each written by a writer who saw only an answer's part 2 (the model's steps as a person reads them), never the code,
its examples or the other sets:
``asks`` is ``model-part`` (the question asks what a part, module, term or design choice of the network or its
workflow is, does or is for) or ``none`` (a control: the same words in another sense, another task, the person's
own photo); ``steps`` the numbers of the card's steps whose text speaks of the part (none: the card never mentions
it); ``refers`` how the question points at the model (``bare``: not at all; ``generic``: "it", "the network";
``named``: MIMO-UNet; ``other``: another model or system).  Each question is answered by the packaged corpus, and
counted right:

- *described* (a part of the corpus's model that a step speaks of): one of those steps is quoted
  (``Answer.facts``, from the model's record, its line of that step);
- *not described* (a part of the corpus's model that no step speaks of): the answer draws on the model, a note
  says the question asks about something the record does not report, and nothing of the model is quoted;
- *other model*, and *controls*: the question is not read as asking about the corpus's only model, and nothing of
  the model is quoted.

The baseline, measured in the same run, is the same code without the figure of parts (``figures.yaml``'s
``{part}``) and without steps read by what they say (``Scientist._steps_meant``): what the tool did before a
question could ask about a part or a step but by its number.
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

from question_sets import measured, outside_group, print_groups

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / f"tests/data/parts-blind{n}.yaml" for n in ("", "2", "3", "4", "5")]
GROUPS = ("described", "not described", "other model", "controls")


def group_of(item: dict) -> str:
    return outside_group(item) or ("described" if item["steps"] else "not described")


def right(item: dict, answer, model_id: str, step_names: list[str]) -> bool:
    """Whether ``answer`` does what its group asks (see the module's docstring)."""
    only = any(n.startswith("The question names no model") for n in answer.notes)
    quoted = [f for f in answer.facts if f.record_id == model_id]
    group = group_of(item)
    if group in ("controls", "other model"):
        return not only and not quoted
    if group == "described":
        wanted = tuple(f"{step_names[n - 1]}:" for n in item["steps"] if 0 < n <= len(step_names))
        return any(f.where == "step" and f.text.startswith(wanted) for f in quoted)
    drawn = answer.in_scope and any(r.id == model_id and r.supports for r in answer.references)
    noted = any(n.startswith("The question asks about") for n in answer.notes)
    return drawn and noted and not quoted


def run(items: list[dict], parts: bool) -> list[bool]:
    """Each item's answer judged by :func:`right`, with the figure of parts (``parts``) or without it."""
    import scientist.core
    from scientist import Scientist
    from scientist.corpus import load_figures

    figures = load_figures() if parts else tuple(f for f in load_figures() if not f.parts)
    steps = Scientist._steps_meant if parts else lambda self, question, least=0.0: ()
    with (mock.patch.object(scientist.core, "load_figures", lambda: figures),
          mock.patch.object(Scientist, "_steps_meant", steps)):
        sci = Scientist()
        model = next(r for r in sci.corpus.records if r.kind == "model")
        names = [s.name for s in model.card.workflow] if model.card is not None else []
        return [right(item, sci.ask(item["question"]), model.id, names) for item in items]


def main() -> int:
    for items, now, base, misses in measured(__doc__, SETS, run):
        print_groups(items, now, base, GROUPS, group_of, misses, ("parts read", "not (baseline)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
