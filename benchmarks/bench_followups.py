"""Short follow-ups in a chat, scored by what the answer does, whatever the label of what they ask for.

    python benchmarks/bench_followups.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: ``tests/data/followup-blind3.yaml``): items ``{question, group, asks}``, written by a writer
who saw neither the code nor its examples, only what the records give and do not give.  ``asks`` is the writer's
own words for what is asked (free text), so the groups are scored by what the answer does, not by a label:

- *given* (something the model's record gives: authors, venue, size, blocks, training data, loss, architecture, its
  code's or paper's link, a workflow step): a line of the model's record is quoted (``Answer.facts``), or the answer
  lists the records with the model's links (``listing``: a link asked for);
- *not_given* (something it does not give: a score, speed, memory, hardware, training time or settings, licence,
  weights, video, a comparison): the answer draws on the model, says the question asks for something the record
  does not report (``not_reported``), and quotes nothing;
- *listing* (what records the tool has): the records are listed (``listing``);
- *control* (the person's own phone, camera or app, photography, small talk): nothing of the model is quoted, no
  note reads it as a follow-up about the model, and nothing is said to be unreported of it.

The baseline, in the same run, is the same code with the ``only_model`` setting off ("the model" names nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path

from question_sets import measured, only_model_run, print_groups

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data/followup-blind3.yaml"]
GROUPS = ("given", "not_given", "listing", "control")


def right(item: dict, answer, model_id: str) -> bool:
    """Whether ``answer`` does what its group asks (see the module's docstring)."""
    quoted = [f for f in answer.facts if f.record_id == model_id]
    group = item["group"]
    if group == "listing":
        return bool(answer.listing)
    if group == "control":
        only = any(n.startswith("The question names no model") for n in answer.notes)
        return not quoted and not only and not (answer.in_scope and answer.not_reported)
    if group == "given":
        return bool(quoted) or (bool(answer.listing) and any(r.id == model_id for r in answer.nearest))
    drawn = answer.in_scope and any(r.id == model_id and r.supports for r in answer.references)
    return drawn and bool(answer.not_reported) and not quoted


def main() -> int:
    for items, now, base, misses in measured(__doc__, SETS, only_model_run(right)):
        print_groups(items, now, base, GROUPS, lambda item: item["group"], misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
