"""Noise in a question about photos: is it read as a photo's noise, and a recording's as a recording's?

    python benchmarks/bench_noise.py [SET.yaml ...]

``SET.yaml`` (default: ``tests/data/noise-blind.yaml``): items ``{question, task}``, ``task`` being ``denoising``
(a photo's noise, however little the question says of a photo) or ``audio-denoising`` (a recording's), written by
a writer who saw neither the code nor its examples.  Each question is asked of the packaged corpus and counted
right when its task is the one written; an audio question answered from the corpus's photo records (``in_scope``)
is counted too, as a wrong answer.  The baseline, in the same run, is the same code with the corpus's
``other_media`` emptied (``corpus/context.yaml``: no family of another medium held back).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from question_sets import measured

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data/noise-blind.yaml"]
TASKS = ("denoising", "audio-denoising")


def run(items: list[dict], other_media: bool) -> list[tuple[bool, bool]]:
    """``(task right, answered)`` for each item."""
    from scientist import Scientist
    from scientist.corpus import load_corpus

    corpus = load_corpus()
    if not other_media:
        corpus = dataclasses.replace(corpus, other_media=frozenset())
    sci = Scientist(corpus)
    out = []
    for item in items:
        answer = sci.ask(item["question"])
        out.append((answer.task is not None and answer.task.id == item["task"], answer.in_scope))
    return out


def main() -> int:
    for items, now, base, misses in measured(__doc__, SETS, run):
        print(f"  {'task':<16} {'right':>9} {'baseline':>9} {'ratio':>6}   audio answered from photo records")
        for task in TASKS:
            at = [i for i, item in enumerate(items) if item["task"] == task]
            a, b = sum(now[i][0] for i in at), sum(base[i][0] for i in at)
            wrong = (f"{sum(now[i][1] for i in at)} (baseline {sum(base[i][1] for i in at)})"
                     if task == "audio-denoising" else "")
            print(f"  {task:<16} {f'{a} of {len(at)}':>9} {f'{b} of {len(at)}':>9} {a / b if b else 0:>6.2f}   {wrong}")
        if misses:
            for i, item in enumerate(items):
                if not now[i][0] or (item["task"] == "audio-denoising" and now[i][1]):
                    print(f"  miss: {item['task']}: {' '.join(item['question'].split())[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
