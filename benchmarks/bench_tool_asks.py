"""Messages about the tool itself: "what can you do?", "thanks!", "asdfgh" -- are they read so, and only they?

    python benchmarks/bench_tool_asks.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: ``tests/data/tool-blind.yaml``, ``tool-blind2.yaml`` and ``tool-blind3.yaml``), written by
writers who saw neither the code nor its examples, holds four lists of messages, each asked with no photo:

- ``capability``: what the tool is, can do or knows, how to use it, help, a greeting that opens a chat; right when
  it is answered as such (``about`` ``tool``: what the tool does and its records), or with the list of the records
  it answers from ("where does your information come from?": ``listing``);
- ``social``: thanks, goodbyes, acknowledgements; right when ``about`` is ``social``;
- ``nonsense``: keyboard mashes, stray symbols, text pasted by mistake; right when ``about`` is ``unreadable``
  or ``pasted`` (a message read as another language, so not read at all, counts as right too: nothing was
  guessed of it);
- ``controls``: real questions about photos, models or papers that look like the above ("hi, how does ...?",
  "what can you do about ...?"); right when not read so (``about`` unset, or ``usage``: a question about using the
  tool on a photo, "what's the biggest photo I can attach?", answered with the tool's facts for what it asks).

The baseline, in the same run, is the same code with that reading switched off (``ToolAsks.kind`` and
``ToolAsks.pasted_as`` find nothing); for the controls it shows the same answers.  Also printed: how many
controls each answers in scope.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml
from question_sets import what

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / f"tests/data/tool-blind{n}.yaml" for n in ("", "2", "3")]
WANTED = {"capability": "tool", "social": "social", "nonsense": "unreadable", "controls": None}


def right(group: str, answer) -> bool:
    if group == "nonsense" and (not answer.language.english or answer.about == "pasted"):
        return True
    if group == "capability" and answer.listing:
        return True
    if group == "controls":
        return answer.about in (None, "usage")
    return answer.about == WANTED[group]


def main() -> int:
    from scientist import Scientist
    from scientist.corpus import ToolAsks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=SETS)
    parser.add_argument("--no-misses", action="store_true", help="print the figures only")
    args = parser.parse_args()
    sci, base_sci = Scientist(), Scientist()
    for path in args.sets:
        sets = {g: qs for g, qs in yaml.safe_load(path.read_text("utf-8")).items() if g in WANTED}
        start = time.perf_counter()
        now = {g: [sci.ask(q, progress=False) for q in qs] for g, qs in sets.items()}
        kind, pasted_as = ToolAsks.kind, ToolAsks.pasted_as
        ToolAsks.kind = lambda self, *args, **kwargs: None  # the baseline: no message is about the tool
        ToolAsks.pasted_as = lambda self, *args, **kwargs: None  # nor pasted by mistake
        try:
            base = {g: [base_sci.ask(q, progress=False) for q in qs] for g, qs in sets.items()}
        finally:
            ToolAsks.kind, ToolAsks.pasted_as = kind, pasted_as
        print(f"{path.name}: {sum(map(len, sets.values()))} messages, each asked twice "
              f"({time.perf_counter() - start:.0f} s)")
        print(f"  {'group':<12} {'right':>9} {'baseline':>9}")
        for g, qs in sets.items():
            ok = sum(right(g, a) for a in now[g])
            bok = sum(right(g, a) for a in base[g])
            print(f"  {g:<12} {f'{ok} of {len(qs)}':>9} {f'{bok} of {len(qs)}':>9}")
        if "controls" in sets:
            same = sum(a.markdown == b.markdown for a, b in zip(now["controls"], base["controls"], strict=True))
            print(f"  controls answered in scope: {sum(a.in_scope for a in now['controls'])} "
                  f"(baseline {sum(a.in_scope for a in base['controls'])}); answers identical to the baseline's: "
                  f"{same} of {len(sets['controls'])}")
        if not args.no_misses:
            for g, qs in sets.items():
                for q, a in zip(qs, now[g], strict=True):
                    if not right(g, a):
                        print(f"  miss ({g}: {what(a)}): {' '.join(str(q).split())[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
