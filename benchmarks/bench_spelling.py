"""Misspelt questions: task accuracy with the spelling step against the same questions read as written.

Each question of a set gets ``--typos`` typing slips in words of four letters or more (seeded): two neighbouring
letters swapped, a letter left out, a letter doubled, or a letter changed to a neighbour on the keyboard. The
figures: task and top-2 accuracy, category@1 and MRR (``scientist eval``'s) on the questions as written, on the
slipped ones read as written (the baseline: ``spelling`` off) and on the slipped ones with the spelling step, and
how many questions as written had a word corrected (each one a chance to break a right answer).

    python benchmarks/bench_spelling.py [tests/data/narrative-dev.yaml ...] [--typos 2] [--seed 1]
        [--corpus tests/data/catalog-eval/catalog.yaml] [--key tests/data/catalog-eval/key.yaml]
"""

from __future__ import annotations

import argparse
import random
import re
import time

from scientist.core import Scientist
from scientist.evaluate import evaluate, load_key, load_questions

NEIGHBOURS = {c: n for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm") for c, n in
              zip(row, (row[1:] + row[-2]), strict=True)}


def slip(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "swap", "drop", "double", "near"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + NEIGHBOURS.get(word[i], word[i]) + word[i + 1:]


def misspell(question: str, typos: int, rng: random.Random) -> str:
    spans = [m.span() for m in re.finditer(r"\b[a-z]{4,}\b", question)]
    out = question
    for a, b in sorted(rng.sample(spans, min(typos, len(spans))), reverse=True):
        out = out[:a] + slip(out[a:b], rng) + out[b:]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="*", default=["tests/data/narrative-dev.yaml"])
    ap.add_argument("--typos", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", default="tests/data/catalog-eval/catalog.yaml")
    ap.add_argument("--key", default="tests/data/catalog-eval/key.yaml")
    args = ap.parse_args()
    on = Scientist(args.corpus)
    off = Scientist(on.corpus, embedder=on.embedder, settings=on.settings.updated(spelling=False))
    key = load_key(args.key) if args.key else None
    for path in args.sets:
        items = load_questions(path)
        rng = random.Random(args.seed)
        slipped = [it.model_copy(update={"question": misspell(it.question, args.typos, rng)}) for it in items]
        t = time.perf_counter()
        written = evaluate(on, items, key)
        base = evaluate(off, slipped, key)
        fixed = evaluate(on, slipped, key)
        touched = sum(bool(on.ask(it.question).corrections) for it in items)
        took = time.perf_counter() - t
        print(f"{path}: {len(items)} questions, {args.typos} slips each (seed {args.seed}), {took:.0f} s")
        print("| questions | read | task | top-2 | category@1 | MRR |\n|---|---|---|---|---|---|")
        for label, how, r in (("as written", "with the spelling step", written),
                              ("slipped", "as written (baseline)", base), ("slipped", "with the spelling step", fixed)):
            print(f"| {label} | {how} | {r.task_accuracy:.3f} | {r.top2_accuracy:.3f} | {r.category_at_1:.3f} | "
                  f"{r.mrr:.3f} |")
        print(f"ratio of errors, slipped, with the step / baseline: "
              f"{(1 - fixed.task_accuracy) / max(1 - base.task_accuracy, 1e-9):.2f}; questions as written with a "
              f"word corrected: {touched} of {len(items)}")


if __name__ == "__main__":
    main()
