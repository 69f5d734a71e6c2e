"""Misspelt words of a question, read as the words of this tool's own vocabulary they were meant to be.

The task classifier's word view and the sentence embedder read "nosie" and "remvoe" as unknown words, so a
question typed in a hurry can be classified as something else entirely.  A word is read as another when all of
this holds: it is written in small letters (a capital may start it; names such as "SwinIR" are left alone) and
has ``MIN_LETTERS`` to ``MAX_LETTERS`` letters; it is neither an English word (the word list that ships with
``pyspellchecker``) nor a word of the vocabulary, nor one of those with a common ending or spelt the British
way; and one edit (two neighbouring letters swapped, or a letter written as one that sounds like it: "noize",
"reduse"; for a word of ``ANY_EDIT`` letters or more also a letter left out, added or changed before its last two
letters, which are grammar more often than typos) turns it into
a vocabulary word used at least ``MIN_USES`` times.  Of several such words the most used is taken.  The
vocabulary is the words of the task taxonomy (labels, descriptions, aliases, cues and the classifier's example
questions), of the records' titles and names, and of the corpus's ``vocabulary.yaml``: the words people use
about what this tool explains.  A word is corrected only towards that vocabulary, never towards English at
large, so "foto" stays as it is (two edits from "photo") and "nose" stays a nose.  Misspellings that no edit
reaches, or that are words themselves ("wich", "foto", "wher"), are read as the word meant only where they are
listed (the corpus's ``respellings.yaml``, given as ``respellings``).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable

__all__ = ["Speller", "word_counts"]

#: Words shorter than this are never corrected ("teh" is; "th" is not), nor longer than ``MAX_LETTERS`` (one edit
#: of a 2,000-letter word is some 100,000 strings of 2,000 letters: 0.24 s and 190 MB for nothing).
MIN_LETTERS, MAX_LETTERS = 3, 30
#: A vocabulary word must be used at least this often in the vocabulary's texts to be a correction.
MIN_USES = 2
#: Shorter words are corrected only by swapping two neighbouring letters ("teh", "nosie"): one changed, added or
#: left-out letter turns too many short abbreviations ("conv", "seq") into other words.
ANY_EDIT = 6
#: Endings (and what they replace) that make a known word of an unknown one: such a word is taken as written.
_ENDINGS = (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""), ("ing", "e"),
            ("er", ""), ("r", ""), ("ers", ""), ("ly", ""), ("y", ""), ("ness", ""))

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

_counts: dict[str, int] | None = None
_counts_lock = threading.Lock()


def word_counts() -> dict[str, int]:
    """The English words of ``pyspellchecker`` and their counts (loaded once, on first use: about 0.13 s)."""
    global _counts
    with _counts_lock:
        if _counts is None:
            from spellchecker import SpellChecker

            _counts = dict(SpellChecker(distance=1).word_frequency.dictionary)
        return _counts


def _swaps(word: str) -> set[str]:
    """Every string made from ``word`` by swapping two neighbouring letters."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)} - {word}


#: Letters people write for one another because they sound alike ("reduse", "noize"): changed anywhere in a word of
#: ``MIN_LETTERS`` or more, its last two letters too.
_SOUND_ALIKE = {"s": "cz", "c": "sk", "z": "s", "k": "c"}


def _sound_alike(word: str) -> set[str]:
    """Every string made from ``word`` by writing one letter as one that sounds like it ("reduse": "reduce")."""
    return {word[:i] + c + word[i + 1:] for i, letter in enumerate(word) for c in _SOUND_ALIKE.get(letter, "")}


def _one_edit(word: str) -> set[str]:
    """Every string one edit from ``word``: a letter deleted, two neighbours swapped, a letter changed or added."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(word)
    return out


class Speller:
    """Reads the misspelt words of a text as words of ``texts``' vocabulary (see the module's docstring)."""

    def __init__(self, texts: Iterable[str], words: Iterable[str] = (), respellings: dict[str, str] | None = None):
        self.respellings = dict(respellings or {})  # misspellings no edit reaches, and the words meant
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(w.lower() for w in _WORD.findall(text))
        counts.update(part.lower() for word in words for part in _WORD.findall(word))
        self.counts = counts

    def _known(self, word: str) -> bool:
        """A word of the vocabulary or of English, or one made from such a word by a common ending ("cityscapes",
        "latents", "speckly": word lists miss many of those) or spelt the British way ("synthesise")."""
        def known(w: str) -> bool:  # the English list is loaded only for a word the vocabulary lacks
            return len(w) >= MIN_LETTERS and (w in self.counts or w in word_counts())

        if known(word):
            return True
        for end, back in _ENDINGS:
            if word.endswith(end) and known(word[: len(word) - len(end)] + back):
                return True
        return "is" in word and known(word.replace("is", "iz"))  # a British spelling: "synthesise", "colorise"

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """``text`` with its misspelt words replaced, and the (as written, read as) pairs, in order of
        appearance (a word written several times is listed once, as first written)."""
        fixes: dict[str, str] = {}
        first: dict[str, str] = {}  # each misspelt word as first written

        def fix(m: re.Match) -> str:
            written = m.group(0)
            word = written.lower()
            plain = written.islower() or written[1:].islower()  # no capital but perhaps the first
            if plain and word in self.respellings:  # "wich", "foto": listed, not found by an edit
                first.setdefault(word, written)
                fixes[word] = self.respellings[word]
            elif not MIN_LETTERS <= len(word) <= MAX_LETTERS or "'" in word or not plain or self._known(word):
                return written
            if word not in fixes:
                first[word] = written
                edits = _swaps(word) | _sound_alike(word)
                if len(word) >= ANY_EDIT:  # other edits only before a word's last two letters: its ending is
                    edits |= {w for w in _one_edit(word) if w[-2:] == word[-2:]}  # grammar, not a typo
                found = [(self.counts[w], w) for w in edits if self.counts.get(w, 0) >= MIN_USES]
                fixes[word] = max(found)[1] if found else ""  # the most used; of equals, the last in order
            read = fixes[word]
            if not read:
                return written
            return read.capitalize() if written[0].isupper() else read

        out = _WORD.sub(fix, text)
        pairs = [(first[w], r) for w, r in fixes.items() if r]
        return out, pairs
