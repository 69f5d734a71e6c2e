"""What the question-set benchmarks share: their command line and the run of each set beside its baseline."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml


def measured(doc: str, default: list[Path], run: Callable[[list[dict], bool], list]
             ) -> Iterator[tuple[list[dict], list, list, bool]]:
    """For each set the command line names (``default`` when it names none): its items, ``run(items, True)``,
    ``run(items, False)`` (the baseline, in the same run) and whether the questions missed are to be printed
    (not with ``--no-misses``: a set measured once keeps its questions unread until then); a line naming the set,
    its size and the time both runs took is printed first.  A set holds its items under ``questions`` (or
    ``items``, a set of texts)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=default)
    parser.add_argument("--no-misses", action="store_true", help="print the figures only, not the questions missed "
                        "(for a set measured once: its questions stay unread until then)")
    args = parser.parse_args()
    for path in args.sets:
        data = yaml.safe_load(path.read_text("utf-8"))
        items = data["questions"] if "questions" in data else data["items"]
        start = time.perf_counter()
        now, base = run(items, True), run(items, False)
        what = "questions" if "questions" in data else "items"
        print(f"{path.name}: {len(items)} {what} ({time.perf_counter() - start:.0f} s)")
        yield items, now, base, not args.no_misses
