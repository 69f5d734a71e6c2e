"""`verify` on chatbot answers written blind: does it flag the one unsupported item, and pass grounded answers?

    python benchmarks/bench_verify.py [SET.yaml ...] [--no-misses]

``SET.yaml`` (default: ``tests/data/verify-blind.yaml``): items ``{id, text, grounded, kind, bad, note}``, each a
chatbot's answer about the packaged corpus's records, written by a writer who saw the records but neither the code
nor its tests: a grounded answer (every link, name and figure supported by the records), or one with exactly one
unsupported item, ``bad`` (the words as written), of a ``kind``: ``wrong_figure``, ``figure_from_other_record``,
``wrong_author_or_name``, ``wrong_venue_or_year``, ``invented_link``, ``wrong_count_or_size``, or
``unsupported_claim_prose`` (a false claim with no number, name or link: outside what `verify` checks, counted to
show it).  An ungrounded answer is *caught* when the verdict is not grounded and one of the items it flags is its
``bad`` (the one within the other, or the same number in both); *flagged otherwise* when the verdict flags other
items only.  A grounded answer flagged is a false alarm.  The baseline, in the same run, is `verify` reading a
figure as grounded by any record's (``by_record=False``: no clause's records asked).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from question_sets import measured

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data/verify-blind.yaml"]
KINDS = ("wrong_figure", "figure_from_other_record", "wrong_author_or_name", "wrong_venue_or_year", "invented_link",
         "wrong_count_or_size", "unsupported_claim_prose")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _flags(verdict) -> list[str]:
    return [*verdict.foreign_urls, *verdict.unknown_names, *verdict.unknown_figures,
            *(f.split(", said of ")[0] for f in verdict.others_figures)]


def _is_bad(flag: str, bad: str) -> bool:
    a, b = " ".join(flag.lower().split()).rstrip("/"), " ".join(bad.lower().split()).rstrip("/")
    return a in b or b in a or bool(set(_NUMBER.findall(a)) & set(_NUMBER.findall(b)))


def run(items: list[dict], by_record: bool) -> list[tuple[bool, bool, list[str]]]:
    """``(grounded, caught, flags)`` for each item."""
    from scientist import Scientist
    from scientist.guard import verify_text

    corpus = Scientist().corpus
    out = []
    for item in items:
        verdict = verify_text(corpus, item["text"], by_record=by_record)
        flags = _flags(verdict)
        bad = item.get("bad") or ""
        out.append((verdict.grounded, bool(bad) and any(_is_bad(f, bad) for f in flags), flags))
    return out


def main() -> int:
    for items, now, base, misses in measured(__doc__, SETS, run):
        print(f"  {'kind':<26} {'caught':>9} {'baseline':>9}   flagged otherwise (baseline)")
        for kind in KINDS:
            at = [i for i, item in enumerate(items) if item.get("kind") == kind]
            a, b = sum(now[i][1] for i in at), sum(base[i][1] for i in at)
            other = sum(not now[i][0] and not now[i][1] for i in at)
            other_b = sum(not base[i][0] and not base[i][1] for i in at)
            print(f"  {kind:<26} {f'{a} of {len(at)}':>9} {f'{b} of {len(at)}':>9}   {other} ({other_b})")
        checked = [i for i, item in enumerate(items) if not item["grounded"] and item["kind"] in KINDS[:-1]]
        a, b = sum(now[i][1] for i in checked), sum(base[i][1] for i in checked)
        print(f"  {'all kinds it checks':<26} {f'{a} of {len(checked)}':>9} {f'{b} of {len(checked)}':>9}   "
              f"ratio {a / b if b else 0:.2f}")
        good = [i for i, item in enumerate(items) if item["grounded"]]
        print(f"  grounded answers passed: {sum(now[i][0] for i in good)} of {len(good)} "
              f"(baseline {sum(base[i][0] for i in good)} of {len(good)})")
        if misses:
            for i, item in enumerate(items):
                wrong = (not now[i][0]) if item["grounded"] else not now[i][1]
                if wrong:
                    print(f"  miss: {item['id']} {item.get('kind') or 'grounded'}: bad={item.get('bad')!r} "
                          f"flags={now[i][2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
