"""Which language a question is written in: the tool reads English, and says so when a question is not.

Two signs are enough for a start, both kept as data in ``corpus/languages.yaml``:
the script of the question's letters (Hangul is Korean, kana Japanese, Han
characters Chinese, Cyrillic Russian, ...), and, for languages written in Latin
letters, their most common short words ("le", "der", "cómo", ...) against
English's.  Quoted text is left out (an English question may quote a French
prompt), and so are capitalised words (names); a question with too few words to
tell is read as English.  A question without one of English's common words needs only one word of the other
language that no English word looks like ("Hoe werkt dit?"), or one of its marks (Spanish's "¿").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from . import yamlio
from .answer import LanguageInfo
from .paths import data_path

__all__ = ["LANGUAGES_FILE", "detect"]

#: The data file of the signs (not a record file: ``corpus.NOT_RECORDS`` leaves it out).
LANGUAGES_FILE = "languages.yaml"
#: Unicode ranges of the scripts ``corpus/languages.yaml`` names.
SCRIPT_RANGES = {
    "hangul": ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7A3)),
    "kana": ((0x3040, 0x30FF), (0x31F0, 0x31FF)),
    "han": ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)),
    "cyrillic": ((0x0400, 0x04FF), (0x0500, 0x052F)),
    "arabic": ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "hebrew": ((0x0590, 0x05FF),),
    "greek": ((0x0370, 0x03FF),),
    "devanagari": ((0x0900, 0x097F),),
    "thai": ((0x0E00, 0x0E7F),),
}
#: Share of a question's letters a script must hold for the question to be in its language.
SCRIPT_SHARE = 0.5
#: Fewest common words of another language, and how many more than English's, for a Latin-script question
#: to be read as that language (in a question with no English word, one that looks like none is enough).
MIN_WORDS, MARGIN = 2, 1

_QUOTED = re.compile("|".join([r"(?<!\w)'[^'\n]{2,200}?'(?!\w)", r'"[^"\n]{2,200}?"', r"“[^”\n]{2,200}?”",
                                 r"‘[^’\n]{2,200}?’", r"«[^»\n]{2,200}?»", r"„[^“”\n]{2,200}?[“”]"]))
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@lru_cache(maxsize=1)
def _table() -> tuple[dict, dict[str, tuple[str, frozenset[str]]], dict[str, str]]:
    raw = yamlio.safe_load((data_path("corpus") / LANGUAGES_FILE).read_text("utf-8"))
    words = {code: (name, frozenset(str(text).split())) for code, (name, text) in raw["words"].items()}
    return raw["scripts"], words, {code: str(marks) for code, marks in (raw.get("marks") or {}).items()}


def _script(ch: str) -> str | None:
    cp = ord(ch)
    for script, ranges in SCRIPT_RANGES.items():
        if any(lo <= cp <= hi for lo, hi in ranges):
            return script
    return "latin" if ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN") else None


def detect(text: str) -> LanguageInfo:
    """The language of ``text`` (English when it cannot tell)."""
    scripts, words, marks = _table()
    english = LanguageInfo(code="en", name=words["en"][0], english=True)
    body = _QUOTED.sub(" ", text)
    if body.isascii():  # Latin letters only: no script to tell, only words
        top, counts, letters = "latin", {}, [1]
    else:
        letters = [s for s in (_script(ch) for ch in body if ch.isalpha()) if s is not None]
        if not letters:
            return english
        counts = {s: letters.count(s) for s in set(letters)}
        top = max(counts, key=counts.get)
    if top != "latin" and counts[top] >= SCRIPT_SHARE * len(letters):
        if top == "han" and counts.get("kana"):
            top = "kana"  # Japanese mixes Han characters with kana
        code, name = scripts.get(top, ["und", "an unknown language"])
        return LanguageInfo(code=code, name=name, english=False)
    tokens = []
    for sentence in re.split(r"(?<=[.!?¿¡])\s+|^[¿¡]", body):
        for i, w in enumerate(_WORD.findall(sentence)):
            if i == 0 or not w[0].isupper():  # capitalised words inside a sentence are names
                tokens.append(w.lower())
    score = {code: sum(t in vocab for t in tokens) for code, (_, vocab) in words.items()}
    best = max((c for c in score if c != "en"), key=lambda c: score[c], default=None)
    if best is not None and score[best] >= MIN_WORDS and score[best] >= score["en"] + MARGIN:
        return LanguageInfo(code=best, name=words[best][0], english=False)
    if score["en"] == 0:
        # a question without one English word ("Hoe werkt dit?", "¿Cómo funciona?"): one word of another
        # language is enough, if no English word looks like it (five letters or more, or a letter English
        # does not write: "come", "era" and "con" are English words too), or one of its marks
        rare = {code: sum(t in vocab and (len(t) >= 5 or not t.isascii()) for t in tokens)
                + any(m in body for m in marks.get(code, "")) for code, (_, vocab) in words.items() if code != "en"}
        best = max(rare, key=lambda c: rare[c], default=None)
        if best is not None and rare[best] >= 1:
            return LanguageInfo(code=best, name=words[best][0], english=False)
    return english
