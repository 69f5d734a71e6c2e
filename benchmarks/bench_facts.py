"""Questions that ask a figure or fact of a model: does the answer give what the records say, and say what they lack?

    python benchmarks/bench_facts.py [SET.yaml ...]

``SET.yaml`` (default: ``tests/data/facts-blind1.yaml``, ``facts-blind2.yaml`` and ``facts-blind3.yaml``): items
``{question, asks, refers}``, written by writers who saw neither the code nor its examples: ``asks`` is what the
question asks for (``model-size``, ``training-data``, ``training-loss``, ``authors``, ``publication``,
``architecture``, ``code``, ``workflow-step``, ``speed``, ``accuracy-score``, ``memory``, ``license``,
``weights-download``, ``hardware``, ``video`` or ``none``),
``refers`` how it points at the model (``bare``: not at all, "and the loss?"; ``generic``: "the model", "it";
``named``: MIMO-UNet; ``other``: some other model or models in general).  Each question is answered by the packaged
corpus, and counted right:

- *given* (size, training data, loss, authors, publication, architecture, its code's link or a numbered step of its
  workflow, of the corpus's model, whose record gives them all): a line of the model's record that gives it is
  quoted (``Answer.facts``, under the label the question asks for; a
  question of size also by a line of its layers and blocks);
- *not given* (speed, a score, memory, a licence, a download link for its weights, what hardware it runs on or its
  use on video, which the record does not give): the answer draws on the model and a
  note says the question asks for that figure, which the record does not report; no line is quoted;
- *other model*, and *controls* (``asks: none``): the question is not read as asking about the corpus's only
  model, and nothing of it is quoted.

The baseline, measured in the same run, is the same code with the ``only_model`` setting off ("the model" names
nothing, so only a question that names MIMO-UNet gets its facts).
"""

from __future__ import annotations

import sys
from pathlib import Path

from question_sets import measured, only_model_run, outside_group, print_groups

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / f"tests/data/facts-blind{n}.yaml" for n in (1, 2, 3)] + [
    ROOT / f"tests/data/followup-blind{n}.yaml" for n in ("", "2")]
#: What each kind of question asks for, as ``corpus/figures.yaml`` labels it.
LABELS = {"model-size": {"model size", "layers and blocks"}, "training-data": {"training data"},
          "training-loss": {"training loss"}, "authors": {"authors"}, "publication": {"publication"},
          "speed": {"speed"}, "accuracy-score": {"PSNR", "SSIM", "LPIPS", "FID", "accuracy", "benchmark results"},
          "memory": {"memory use"}, "license": {"licence"}, "weights-download": {"weights download link"},
          "architecture": {"architecture"}, "code": {"code"}, "hardware": {"hardware"}, "video": {"use on video"},
          "workflow-step": set()}  # a step's label names it: "step 3"
GIVEN = {"model-size", "training-data", "training-loss", "authors", "publication", "architecture", "code",
         "workflow-step"}
GROUPS = ("given", "not given", "other model", "controls")


def group_of(item: dict) -> str:
    return outside_group(item) or ("given" if item["asks"] in GIVEN else "not given")


def right(item: dict, answer, model_id: str) -> bool:
    """Whether ``answer`` does what its group asks (see the module's docstring)."""
    only = any(n.startswith("The question names no model") for n in answer.notes)
    quoted = [f for f in answer.facts if f.record_id == model_id]
    group = group_of(item)
    if group in ("controls", "other model"):
        return not only and not quoted
    labels = LABELS[item["asks"]]
    if group == "given":
        return any(f.label in labels or (item["asks"] == "workflow-step" and f.label.startswith("step "))
                   for f in quoted)
    drawn = answer.in_scope and any(r.id == model_id and r.supports for r in answer.references)
    noted = any(n.startswith("The question asks about") and any(label in n for label in labels)
                for n in answer.notes)
    return drawn and noted and not quoted


def main() -> int:
    for items, now, base, misses in measured(__doc__, SETS, only_model_run(right)):
        print_groups(items, now, base, GROUPS, group_of, misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
