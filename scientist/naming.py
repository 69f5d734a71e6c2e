"""Which records a question names.

A person who read an answer names a record the way people do in conversation: by its exact title or one of its
``names`` ("MIMO-UNet"); whatever the case, by its short title before a colon ("the quality assured paper"), by a
name of two words or more or one that is no English word ("mimo unet"), or by three words of its title in a row,
none of them generic ("rethinking annotation strategies"); or by words of its title before a word for its kind
("the histopathology paper", "that annotation one"), or after one and a preposition ("the study about
annotation strategies").  The last two ask for a pointing word before them ("the", "that", "your"): "is there a
paper about noise?" names nothing.  A partial name counts only when one of its words belongs to no other record's
title, and its kind word fits the record (a paper word for a paper, a model word for a model); after a word that
fits any kind ("one") it must also be no everyday English word ("the pathology one" names a paper, "the noise
one" may be a slider).  The English words the rule reads are data (``corpus/naming.yaml``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from . import yamlio
from .paths import data_path
from .spelling import word_counts

__all__ = ["CLAUSE_END", "NAMING_FILE", "Mention", "Naming", "alternation", "base_words_pattern", "model_words",
           "spelling_of", "variant_pattern"]

NAMING_FILE = "naming.yaml"
#: Most title words read before or after a kind word.
RUN_MAX = 4
#: Characters that join words into one name ("Real-ESRGAN", "img2img_v1").
_JOINERS = "-_/."
#: Title words in a row that name a record whatever the case ("rethinking annotation strategies").
RUN_MIN = 3
_TOKEN = re.compile(r"[a-z0-9]+", re.IGNORECASE)
#: Most describing words read between a pointing word and a word for a model ("your little neural net").
SOLE_BETWEEN_MAX = 3
#: Most words of the clause after "the model that ..." read for a word that makes it this tool's model.
RESTRICTED_MAX = 8
#: The end of a clause of a question: a comma, colon, semicolon, dash or sentence end.
CLAUSE_END = re.compile(r"[,;:.!?](?=\s|$)|\s[-\u2013\u2014]\s")


@dataclass(frozen=True)
class _Words:
    pointers: frozenset[str]
    nouns: dict[str, str]  # word -> the kind it fits: paper, model or any
    joins: frozenset[str]
    generic: frozenset[str]
    endings: frozenset[str]
    everyday: int
    sole: frozenset[str]
    sole_pointers: frozenset[str]
    sole_between: frozenset[str]
    sole_pronouns: frozenset[str]
    sole_not_before: frozenset[str]
    openers: frozenset[str]
    sole_restrictors: tuple[tuple[str, ...], ...]
    sole_ours: frozenset[str]
    bare_words: frozenset[str]
    sole_not_after: frozenset[str]
    base_words: frozenset[str]
    every_pointers: frozenset[str]
    every_between: frozenset[str]
    every_plurals: frozenset[str]
    every_one: frozenset[str]
    every_not_before: frozenset[str]


@lru_cache(maxsize=1)
def _words() -> _Words:
    raw = yamlio.safe_load((data_path("corpus") / NAMING_FILE).read_text("utf-8"))
    nouns = {word: kind for kind, words in raw["nouns"].items() for word in words}
    return _Words(frozenset(raw["pointers"]), nouns, frozenset(raw["joins"]), frozenset(raw["generic"]),
                  frozenset(str(e) for e in raw["endings"]) | {""}, int(raw["everyday"]), frozenset(raw["sole"]),
                  frozenset(raw["sole_pointers"]), frozenset(raw["sole_between"]), frozenset(raw["sole_pronouns"]),
                  frozenset(raw["sole_not_before"]), frozenset(raw["openers"]),
                  tuple(tuple(str(r).split()) for r in raw["sole_restrictors"]), frozenset(raw["sole_ours"]),
                  frozenset(str(w) for w in raw["bare_words"]), frozenset(raw.get("sole_not_after") or ()),
                  frozenset(str(w) for w in raw.get("base_words") or ()),
                  *(frozenset(str(w) for w in raw.get(k) or ())
                    for k in ("every_pointers", "every_between", "every_plurals", "every_one", "every_not_before")))


@lru_cache(maxsize=1)
def base_words_pattern() -> str:
    """A pattern of the words before a model's name that make it the smallest of its variants ("the base
    MIMO-UNet"): naming.yaml's ``base_words``, as one group of alternatives."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(_words().base_words)) + ")"


def spelling_of(name: str) -> str:
    """``name`` without case, white space, hyphens and underscores: how :meth:`Naming.written_as` compares names,
    and how a record's variants are told apart ("MIMOUNet" is "MIMO-UNet", "MIMO-UNet+" is not)."""
    return re.sub(r"[\s_-]+", "", name.casefold())


def variant_pattern(name: str, before: str = "") -> re.Pattern:
    """How a text names a model's variant ``name`` as such (whatever its case): "MIMO-UNet" in "MIMO-UNet has 8
    blocks", not in "MIMO-UNet+" nor "Deblur-MIMO-UNet-RealBlur"; ``before``: a pattern of words that must come
    first."""
    return re.compile(rf"(?<![\w+-]){before}{re.escape(name)}(?![\w+-])", re.I)


def _spans(text: str) -> list[tuple[str, int, int]]:
    """``text``'s words (:data:`_TOKEN`): each lower-cased, with where it starts and ends."""
    return [(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def every_words(question: str) -> tuple[int, int] | None:
    """Where ``question`` points at a corpus's papers all at once ("who wrote the papers?", "both studies", "the two
    articles": naming.yaml's ``every_pointers``, at most two ``every_between``, ``every_plurals``) or at one of them
    without saying which ("the other paper", "each study": ``every_one``, then a word for a paper); None if
    nowhere."""
    vocab = _words()
    tokens = _spans(question)
    singular = {w for w, kind in vocab.nouns.items() if kind == "paper"} - vocab.every_plurals
    for i, (word, _, end) in enumerate(tokens):
        first = i - 1
        while first >= max(0, i - 3) and tokens[first][0] in vocab.every_between:
            first -= 1
        if i + 1 < len(tokens) and tokens[i + 1][0] in vocab.every_not_before:  # "the papers on denoising"
            continue
        if word in vocab.every_plurals and first >= 0 and tokens[first][0] in vocab.every_pointers:
            return tokens[first][1], end
        if word in singular and i > 0 and tokens[i - 1][0] in vocab.every_one:  # "the other paper"
            first = i - 2 if i > 1 and tokens[i - 2][0] in vocab.every_pointers else i - 1
            return tokens[first][1], end
    return None


def opening_words() -> frozenset[str]:
    """Words of a question's opening clause that say nothing of it (``openers``: "hi", "bonjour", "quick one")."""
    return _words().openers


def says_nothing_else(words: Sequence[str]) -> bool:
    """Whether ``words`` (what a question holds beside the words of the figures it asks for) say nothing of their
    own, each one of ``bare_words`` or ``openers`` ("and the", "who are the"; not "of my photo")."""
    v = _words()
    return all(w in v.bare_words or w in v.openers for w in words)


def _first_clause_end(question: str) -> int:
    """Where ``question``'s first clause ends (:data:`CLAUSE_END`), past opening ones of ``openers`` words only
    ("quick one - was it trained with a GAN loss?", "hi there, ...")."""
    start, openers = 0, _words().openers
    for end in CLAUSE_END.finditer(question):
        if not all(w.lower() in openers for w in _TOKEN.findall(question, start, end.start())):
            return end.start()
        start = end.end()
    return len(question)


def alternation(words) -> str:
    """A regular expression's alternatives for ``words`` (each once, escaped), the longest first so that a longer
    phrase wins over a word it starts with ("research paper" before "research")."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def model_words() -> str:
    """A pattern of the words that point at a model without naming it, in a text of lower-case words joined by
    single spaces (:func:`~scientist.corpus.plain_words`): a pronoun of ``sole_pronouns`` ("it"), or a pointing
    word, at most ``SOLE_BETWEEN_MAX`` describing words and one or two words for a model ("your neural net", "the
    AI model").  ``figures.yaml`` writes it ``{model}`` ("how big is {model}")."""
    v = _words()
    alt = alternation
    model = f"(?:{alt(v.sole)})"
    return (rf"(?:(?:{alt(v.sole_pronouns)})|(?:{alt(v.sole_pointers)})(?: (?:{alt(v.sole_between)})){{0,"
            rf"{SOLE_BETWEEN_MAX}}} {model}(?: {model})?)")


@lru_cache(maxsize=1)
def _everyday() -> frozenset[str]:
    """The ``everyday`` most frequent English words of ``pyspellchecker``'s list (loaded on first use)."""
    counts = word_counts()
    return frozenset(sorted(counts, key=counts.__getitem__, reverse=True)[: _words().everyday])


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def _same(word: str, title_word: str) -> bool:
    """One word in two forms: equal, or a shared stem of five letters or more followed in each by one of the
    ``endings`` of ``naming.yaml`` (a doubled last letter allowed): "annotations", "deblurring", "synthesis"
    for "annotation", "deblur", "synthetic"; not "transformer" for "transfer"."""
    if word == title_word:
        return True
    endings = _words().endings
    for stem in range(len(os.path.commonprefix([word, title_word])), 4, -1):
        rests = [w[stem:] for w in (word, title_word)]
        rests = [r[1:] if r and r[0] == w[stem - 1] else r for r, w in zip(rests, (word, title_word), strict=True)]
        if all(r in endings for r in rests):
            return True
    return False


@dataclass(frozen=True)
class Mention:
    """A record named in a question by more than its exact name: which, the words as written, and where they
    end."""

    record: int
    words: str
    end: int
    sole: bool = False  # named as the corpus's only model ("the model"), not by its title
    # (``words`` empty: by no word at all, in a question that asks for a figure and says nothing else)
    photo: bool = False  # by no word: the model of the network the demo runs on the photo given with the question
    every: bool = False  # one of the corpus's papers, named with the others ("the papers", "the other paper")


@dataclass(frozen=True)
class Naming:
    """The names of a corpus's records, as :meth:`find` reads them in a question."""

    exact: dict[str, list[int]]  # exact title or alias (case-sensitive) -> record positions
    longest: int  # most words in an exact name
    phrases: dict[tuple[str, ...], list[int]]  # lower-case words of a short title (before a colon) or of a name
    #                                            of two words or more
    phrase_lengths: tuple[int, ...]  # the numbers of words of the phrases
    singles: dict[str, list[int]]  # one-word names (lower case), read whatever the case if no English word
    runs: dict[tuple[str, ...], list[int]]  # RUN_MIN words in a row of a title, none generic, one its own
    words: dict[str, dict[str, list[int]]]  # title and alias words (lower case) by their first five letters
    own: tuple[frozenset[str], ...]  # each record's words that name it: in no other record's, not generic
    kinds: tuple[str, ...]
    papers: tuple[bool, ...]  # whether each record has a paper link
    titles: tuple[str, ...]
    partial: bool = True  # whether more than exact names count (the ``partial_names`` setting)
    sole: int | None = None  # the corpus's only model, when it has one and ``asks`` is given
    asks: Callable[[str], bool] | None = None  # whether a question asks a figure or fact of a model
    # each record's names (its title too) by how they are spelt without case, spaces, hyphens and underscores:
    # "mimounet" and "mimo unet" are "MIMO-UNet" (:meth:`written_as`)
    spelt: dict[str, dict[int, str]] = field(default_factory=dict)
    # the first word of each exact name -> the numbers of words of those it begins (:meth:`exact_names`)
    firsts: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Sequence, partial: bool = True, asks: Callable[[str], bool] | None = None) -> Naming:
        """From records with ``title``, ``names``, ``kind`` and ``url``; ``partial``: whether anything but a
        record's exact title or names names it; ``asks``: whether a question asks for a figure or fact of a
        model, so that "the model" in it names the corpus's only model (none without it)."""
        generic = _words().generic
        exact: dict[str, list[int]] = {}
        phrases: dict[tuple[str, ...], list[int]] = {}
        singles: dict[str, list[int]] = {}
        words: list[frozenset[str]] = []
        spelt: dict[str, dict[int, str]] = {}
        for i, r in enumerate(records):
            for name in (r.title, *r.names):
                spelt.setdefault(spelling_of(name), {}).setdefault(i, name)
                if len(name) >= 3:
                    exact.setdefault(name, []).append(i)
                tokens = tuple(_tokens(name))
                if len(tokens) >= 2:
                    phrases.setdefault(tokens, []).append(i)
                elif len(tokens) == 1 and len(tokens[0]) >= 4 and not tokens[0].isdigit():
                    singles.setdefault(tokens[0], []).append(i)
            head, colon, _ = r.title.partition(":")
            head_words = tuple(_tokens(head))
            if colon and len(head) >= 8 and len(head_words) >= 2:
                phrases.setdefault(head_words, []).append(i)
            words.append(frozenset(w for name in (r.title, *r.names) for w in _tokens(name)))
        seen: dict[str, int] = {}
        for ws in words:
            for w in ws:
                seen[w] = seen.get(w, 0) + 1
        own = tuple(frozenset(w for w in ws if seen[w] == 1 and w not in generic and len(w) >= 4 and
                              not w.isdigit()) for ws in words)
        runs: dict[tuple[str, ...], list[int]] = {}
        for i, r in enumerate(records):
            tokens = _tokens(r.title)
            for j in range(len(tokens) - RUN_MIN + 1):
                run = tuple(tokens[j : j + RUN_MIN])
                if not any(w in generic for w in run) and any(w in own[i] for w in run):
                    runs.setdefault(run, []).append(i)
        by_start: dict[str, dict[str, list[int]]] = {}
        for i, ws in enumerate(words):
            for w in ws:
                by_start.setdefault(w[:5], {}).setdefault(w, []).append(i)
        models = [i for i, r in enumerate(records) if r.kind == "model"]
        lengths: dict[str, set[int]] = {}
        for name in exact:
            lengths.setdefault(name.split()[0], set()).add(len(name.split()))
        firsts = {w: tuple(sorted(ns)) for w, ns in lengths.items()}
        return cls(exact, max((len(t.split()) for t in exact), default=0), phrases,
                   tuple(sorted({len(p) for p in phrases})), singles, runs, by_start, own,
                   tuple(r.kind for r in records), tuple(bool(r.url) for r in records),
                   tuple(r.title for r in records), partial,
                   models[0] if len(models) == 1 and asks is not None else None, asks,
                   {k: dict(v) for k, v in spelt.items()}, firsts)

    def find(self, question: str) -> list[int]:
        """Positions of the records ``question`` names: exact names first, then short titles and partial
        names, each record once."""
        found = self.exact_names(question)
        found += [m.record for m in self.mentions(question) if m.record not in found]
        return list(dict.fromkeys(found))

    def mentions(self, question: str) -> list[Mention]:
        """The names in ``question`` read whatever their case (short titles, names of two words or more, three
        title words in a row) and the partial names, in reading order, each record once and its overlapping
        names as one; a record also named exactly (its title or one of its ``names`` as it writes them) is left
        out: the question already says what it is.  None without :attr:`partial`."""
        if not self.partial:
            return []
        tokens = _spans(question)
        words = [t for t, _, _ in tokens]
        spans: list[tuple[int, int, int]] = []  # first token, last token, record

        def whole(first: int, last: int) -> bool:  # not part of a longer name: "ESRGAN" in "Real-ESRGAN"
            start, end = tokens[first][1], tokens[last][2]
            return not (start > 1 and question[start - 1] in _JOINERS and question[start - 2].isalnum()) and not (
                end + 1 < len(question) and question[end] in _JOINERS and question[end + 1].isalnum())

        for n in self.phrase_lengths:
            for i in range(len(words) - n + 1):
                spans += [(i, i + n - 1, r) for r in self.phrases.get(tuple(words[i : i + n]), ())
                          if whole(i, i + n - 1)]
        for i, w in enumerate(words):  # the English word list is loaded only when a one-word name is met
            if w in self.singles and whole(i, i) and w not in word_counts():
                spans += [(i, i, r) for r in self.singles[w]]
        for i in range(len(words) - RUN_MIN + 1):
            spans += [(i, i + RUN_MIN - 1, r) for r in self.runs.get(tuple(words[i : i + RUN_MIN]), ())
                      if whole(i, i + RUN_MIN - 1)]
        spans += self._partial(words)
        exact = set(self.exact_names(question))  # written as the record writes it: nothing to add
        merged: dict[int, tuple[int, int]] = {}  # each record's first span, grown by those that overlap it
        for first, last, r in sorted(spans):
            if r in exact:
                continue
            if r not in merged:
                merged[r] = (first, last)
            elif first <= merged[r][1] + 1:
                merged[r] = (merged[r][0], max(last, merged[r][1]))
        return [Mention(r, question[tokens[first][1] : tokens[last][2]], tokens[last][2])
                for r, (first, last) in sorted(merged.items(), key=lambda kv: kv[1])]

    def every_paper(self, question: str) -> list[Mention]:
        """"the papers", "both studies", "the other paper" (:func:`every_words`) as naming every paper of the
        corpus, in a question that names no record (with the ``only_model`` setting: :attr:`asks` given): a mention
        of each (``every``) at those words; none otherwise."""
        papers = [i for i, kind in enumerate(self.kinds) if kind == "paper"]
        span = every_words(question) if papers and self.asks is not None else None
        if span is None or self.exact_names(question) or self.mentions(question):
            return []
        return [Mention(p, question[span[0] : span[1]], span[1], every=True) for p in papers]

    def _pointed_model(self, question: str, tokens: list[tuple[str, int, int]]
                       ) -> tuple[tuple[int, int] | None, bool]:
        """The first word for a model after a pointing word in ``question`` (its ``tokens``: lower-case word, start,
        end), with only ``sole_between`` words between them and not the first part of a compound (the span of token
        indices, or None), and whether words after it make it another (``sole_restrictors`` whose clause holds no
        word of ``sole_ours``: "the AI that detects faces", "the AI in my phone"; not "the AI that processed my
        photo")."""
        vocab = _words()
        words = [t for t, _, _ in tokens]

        def pointed(i: int) -> int | None:  # the pointing word before a model word, past describing words only
            first = i - 1
            while first >= max(0, i - 1 - SOLE_BETWEEN_MAX) and words[first] in vocab.sole_between:
                first -= 1
            return first if first >= 0 and words[first] in vocab.sole_pointers else None

        def last_of(i: int) -> int:  # "the AI model": the words for a model that follow are part of it
            while i + 1 < len(words) and words[i + 1] in vocab.sole and question[tokens[i][2]] != "-":
                i += 1
            return i

        def elses(last: int) -> bool:  # "the AI that detects faces", "the network inside a self-driving car"
            after = words[last + 1 :]
            end = CLAUSE_END.search(question, tokens[last][2])
            if not after or (end is not None and end.start() < tokens[last + 1][1]):  # "the model, which I ..."
                return False
            if not any(tuple(after[: len(r)]) == r for r in vocab.sole_restrictors):
                return False
            clause = [w for w, start, _ in tokens[last + 1 :] if end is None or start < end.start()]
            return not vocab.sole_ours.intersection(clause[:RESTRICTED_MAX])

        compound = lambda i: question[tokens[i][2] : tokens[i][2] + 1] == "-"  # noqa: E731
        span = next(((first, last) for i, w in enumerate(words) if w in vocab.sole
                     and (first := pointed(i)) is not None and not compound(last := last_of(i))), None)
        return span, span is not None and elses(span[1])

    def points_elsewhere(self, question: str) -> bool:
        """Whether ``question`` points at a model that words after it make another's ("who made the AI in my
        phone?"), so that no reading may take it for the corpus's only model."""
        return self._pointed_model(question, _spans(question))[1]

    def sole_mention(self, question: str) -> Mention | None:
        """"the model" as naming the corpus's only model (:attr:`sole`), in a question that names no record and
        asks for a figure or fact of a model (:attr:`asks`): its first word for a model after a pointing word,
        with only ``sole_between`` words between them ("the neural net"; not "the histopathology model"), not
        the first part of a compound ("the AI-made photo"), and not followed by words that make it another
        (``sole_restrictors`` whose clause holds no word of ``sole_ours``: "the AI that detects faces", not "the
        AI that processed my photo"); or else a pronoun of its first clause not followed by a
        verb of being or a word that makes it stand for nothing (``sole_not_before``: "what was it trained on?";
        not "my photo is 12 MP; how big is it?", "is it possible to know ...").  Whether the question is about that
        model at all is the caller's to judge."""
        if (self.sole is None or self.asks is None or not self.asks(question) or self.exact_names(question)
                or self.mentions(question)):
            return None
        vocab = _words()
        tokens = _spans(question)
        words = [t for t, _, _ in tokens]
        span, restricted = self._pointed_model(question, tokens)
        if restricted:
            return None
        if span is None:
            end = _first_clause_end(question)
            span = next(((i, i) for i, (w, start, _) in enumerate(tokens) if w in vocab.sole_pronouns
                         and start < end
                         and (i + 1 == len(words) or words[i + 1] not in vocab.sole_not_before)
                         and (i == 0 or words[i - 1] not in vocab.sole_not_after)), None)
        if span is None:
            return None
        first, last = span
        return Mention(self.sole, question[tokens[first][1] : tokens[last][2]], tokens[last][2], sole=True)

    def expand(self, question: str) -> tuple[str, list[Mention]]:
        """``question`` with each mentioned record's title in brackets after the words that name it, so that what
        reads the question reads the title the person meant, and the mentions."""
        mentions = self.mentions(question)
        return self.beside(question, mentions), mentions

    def beside(self, question: str, mentions: Sequence[Mention]) -> str:
        """``question`` with each of ``mentions``' record's title in brackets after the words that name it, or the
        name they spell otherwise (:meth:`written_as`: "mimounet (MIMO-UNet)", as a question that names it so is
        read, not with the title's words, "Deblur", beside a question about noise)."""
        text = question
        for m in sorted(mentions, key=lambda m: -m.end):
            put = self.written_as(m) or self.titles[m.record]
            if put not in question:
                text = f"{text[: m.end]} ({put}){text[m.end :]}"
        return text

    def written_as(self, mention: Mention) -> str | None:
        """The record's name (or title) that ``mention``'s words spell but for case, spaces, hyphens and
        underscores ("mimounet", "mimo unet": "MIMO-UNet"); None when they spell none of its names."""
        return self.spelt.get(spelling_of(mention.words), {}).get(mention.record) if mention.words else None

    def without_beside(self, text: str) -> str:
        """``text`` without what :meth:`beside` put in it: the person's own words."""
        return re.sub(r" \(([^()\n]{1,500})\)", lambda m: "" if m.group(1) in self.exact else m.group(0), text)

    def exact_names(self, question: str) -> list[int]:
        """Positions of the records ``question`` names by their exact title or one of their ``names``."""
        words = [w.strip(".,;:!?()[]\"'“”‘’") for w in question.split()]
        hits = sorted((n, i, pos) for i, w in enumerate(words) for n in self.firsts.get(w, ())
                      for pos in self.exact.get(" ".join(words[i : i + n]), ()))  # shorter names first, as read
        return list(dict.fromkeys(pos for _, _, pos in hits))

    def _partial(self, tokens: list[str]) -> list[tuple[int, int, int]]:
        """(first token, last token, record) of each partial name: title words before a kind word, or a kind
        word, a joining word and title words, after a pointing word."""
        vocab = _words()
        found: list[tuple[int, int, int]] = []
        for j, noun in enumerate(tokens):
            kind = vocab.nouns.get(noun)
            if kind is None:
                continue
            candidates: list[tuple[int, int, list[str], set[int]]] = []
            before = self._run(tokens[max(0, j - RUN_MAX) : j][::-1], vocab)
            if before:
                start = j - len(before[0])
                if start == 0:
                    candidates.append((start, j, *before))
                elif tokens[start - 1] in vocab.pointers:
                    candidates.append((start - 1, j, *before))
            if j > 0 and tokens[j - 1] in vocab.pointers and j + 1 < len(tokens) and tokens[j + 1] in vocab.joins:
                skipped = j + 2
                while skipped < len(tokens) and tokens[skipped] in vocab.pointers:
                    skipped += 1
                after = self._run(tokens[skipped : skipped + RUN_MAX], vocab)
                if after:
                    candidates.append((j - 1, skipped + len(after[0]) - 1, *after))
            for first, last, run, records in candidates:
                for r in sorted(records):
                    naming = [w for w in run if any(_same(w, o) for o in self.own[r])]
                    if kind == "any":  # "the noise one" is a slider as often as a paper
                        naming = [w for w in naming if w not in _everyday()]
                    if naming and self._fits(kind, r):
                        found.append((first, last, r))
        return found

    def _fits(self, kind: str, r: int) -> bool:
        """Whether a kind word fits record ``r``: a paper word a paper or a model with a paper link."""
        return kind in ("any", self.kinds[r]) or (kind == "paper" and self.papers[r])

    def _run(self, seq: list[str], vocab: _Words) -> tuple[list[str], set[int]] | None:
        """The longest leading run of ``seq`` whose words are all title words of one or more records, and those
        records (it stops at a pointing word, or at the first word of no such title: "the paper on synthetic
        tissue images" reads "synthetic")."""
        run: list[str] = []
        records: set[int] | None = None
        for w in seq:
            if w in vocab.pointers:
                break
            mine = {r for t, rs in self.words.get(w[:5], {}).items() if _same(w, t) for r in rs}
            keep = mine if records is None else records & mine
            if not keep:
                break
            records = keep
            run.append(w)
        return (run, records) if run and records else None
