"""Questions given with a photo: is one that asks what was done to it answered with what the demo did?

    python benchmarks/bench_photo_asks.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: ``tests/data/photo-blind.yaml``) holds three lists of questions, written by a writer who saw
neither the code nor its examples, each asked with a photo (a small dark, noisy picture drawn here: the brightness
step raises it and the network removes noise):

- ``what_was_done``: asks what was done to the photo, or how or why the result came out so, naming no operation;
  right when the answer is read as what the demo did (``TaskResult.decided_by`` "photo") and in scope;
- ``names_operation``: the same, naming what was done (the noise, the brightening, the blur); right when it is
  answered (in scope) with a task the demo's network does;
- ``not_about_the_result``: asks something else (what is in the photo, another edit, small talk); right when it is
  not read as asking what was done.

For each list it prints how many are answered in scope with a task the demo does, and how many are right, beside
the same Scientist with the what-was-done reading switched off (the baseline: each question classified from its
words, as before this reading).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data/photo-blind.yaml"]
GROUPS = ("what_was_done", "names_operation", "not_about_the_result")


def dark_photo(folder: Path) -> Path:
    """A 96×64 dark, grainy gradient: dark enough that the brightness step raises it."""
    from PIL import Image

    rng = np.random.default_rng(0)
    ramp = np.linspace(0.05, 0.3, 96)[None, :, None] * np.array([1.0, 0.9, 0.8])
    pixels = np.clip(ramp + rng.normal(0, 0.03, (64, 96, 3)), 0, 1)
    path = folder / "dark.png"
    Image.fromarray((pixels * 255).astype(np.uint8)).save(path)
    return path


def right(group: str, answer, does: frozenset[str]) -> bool:
    done = answer.task is not None and getattr(answer.task, "decided_by", "question") == "photo"
    if group == "what_was_done":
        return done and answer.in_scope
    if group == "names_operation":
        return answer.in_scope and answer.task.id in does
    return not done


def main() -> int:
    from scientist import Scientist
    from scientist.core import demo_tasks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=SETS)
    parser.add_argument("--no-misses", action="store_true", help="print the figures only")
    args = parser.parse_args()
    does = demo_tasks(True)
    with tempfile.TemporaryDirectory() as tmp:
        photo = dark_photo(Path(tmp))
        out = Path(tmp) / "out"
        sci, base = Scientist(), Scientist()
        base._asks_what_was_done = lambda reading: None  # the baseline: every question classified from its words
        for path in args.sets:
            sets = yaml.safe_load(path.read_text("utf-8"))
            start = time.perf_counter()
            got = {name: {g: [s.ask(q, photo, progress=False, out_dir=out) for q in sets[g]] for g in GROUPS}
                   for name, s in (("reading", sci), ("baseline", base))}
            print(f"{path.name}: {sum(len(sets[g]) for g in GROUPS)} questions, each asked twice "
                  f"({time.perf_counter() - start:.0f} s)")
            print(f"  {'group':<22} {'in scope, a task the demo does':>32} {'right':>9} {'baseline: in scope':>19}"
                  f" {'right':>9}")
            for g in GROUPS:
                n = len(sets[g])
                a, b = got["reading"][g], got["baseline"][g]
                scope = sum(x.in_scope and x.task is not None and x.task.id in does for x in a)
                bscope = sum(x.in_scope and x.task is not None and x.task.id in does for x in b)
                ok, bok = sum(right(g, x, does) for x in a), sum(right(g, x, does) for x in b)
                print(f"  {g:<22} {f'{scope} of {n}':>32} {f'{ok} of {n}':>9} {f'{bscope} of {n}':>19}"
                      f" {f'{bok} of {n}':>9}")
            if not args.no_misses:
                for g in GROUPS:
                    for q, x in zip(sets[g], got["reading"][g], strict=True):
                        if not right(g, x, does):
                            what = (f"{x.task.id} ({x.task.decided_by})" if x.task else "no task") + (
                                "" if x.in_scope else ", refused")
                            print(f"  miss ({g}: {what}): {' '.join(q.split())[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
