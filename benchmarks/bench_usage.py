"""Questions about using the tool on a photo: "can it open HEIC?", "does it upload my photos?" -- are they read so,
and only they?

    python benchmarks/bench_usage.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: ``tests/data/usage-blind.yaml`` and ``usage-blind2.yaml``), written by writers who saw
neither the code nor its examples, holds a list of messages for each topic of ``corpus/usage.yaml`` (``formats``,
``raw``, ``output``, ``size``, ``depth``, ``privacy``, ``hardware``, ``weights``, ``licence``, ``trust``) and
``controls``: real questions
about models, papers or photography that share their words ("does shooting RAW give less noise?", "what GPU was it
trained on?").  Each is asked with no photo.  Right: a topic's message when the answer gives that topic's facts
(``usage`` holds it, alone or beside other topics, as the whole answer or among the notes of one from the records); a
control when it gives none.  Also printed: of the topics' messages, how many got the facts as the whole answer
(``about`` "usage") and how many among the notes of an answer from the records.

The baseline, in the same run, is the same code with that reading switched off (``Usage.asked`` finds nothing);
for the controls it shows whether their answers changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from question_sets import measured_groups, print_right

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / f"tests/data/usage-blind{n}.yaml" for n in ("", "2")]
TOPICS = ("formats", "raw", "output", "size", "depth", "privacy", "hardware", "weights", "licence", "trust")


def right(group: str, answer) -> bool:
    return not answer.usage if group == "controls" else group in answer.usage


def main() -> int:
    from scientist import Scientist
    from scientist.corpus import Usage

    sci, base_sci = Scientist(), Scientist()
    asked = Usage.asked

    def run(groups: dict[str, list[str]], reading: bool) -> dict[str, list]:
        if not reading:  # the baseline: no message asks about using the tool
            Usage.asked = lambda self, *texts: []
        try:
            return {g: [(sci if reading else base_sci).ask(q, progress=False) for q in qs]
                    for g, qs in groups.items() if g in (*TOPICS, "controls")}
        finally:
            Usage.asked = asked

    for groups, now, base, misses in measured_groups(__doc__, SETS, run):
        sets = {g: groups[g] for g in now}
        print_right(sets, now, base, right, misses, width=10)
        topical = [a for g in TOPICS for a in now.get(g, [])]
        print(f"  topics together: {sum(right(g, a) for g in TOPICS for a in now.get(g, []))} of {len(topical)} "
              f"(baseline {sum(right(g, a) for g in TOPICS for a in base.get(g, []))}); the facts alone: "
              f"{sum(a.about == 'usage' for a in topical)}, among the notes of an answer from the records: "
              f"{sum(bool(a.usage) and a.about != 'usage' for a in topical)}")
        if "controls" in now:
            same = sum(a.markdown == b.markdown for a, b in zip(now["controls"], base["controls"], strict=True))
            print(f"  controls answered in scope: {sum(a.in_scope for a in now['controls'])} "
                  f"(baseline {sum(a.in_scope for a in base['controls'])}); answers identical to the baseline's: "
                  f"{same} of {len(now['controls'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
