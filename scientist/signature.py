"""The question's signature: what the person gave the AI, what it did, and what came back.

People describe what happened ("I brushed over my ex and the app filled in the beach
behind him"), and the nouns they use (a face, a night sky, neon) often belong to
another task than the operation they describe.  This module reads the operation:

- :func:`read` finds, in a text, every phrasing of ``corpus/tasks.yaml``'s
  ``phrasings`` (what is given, what is done, what comes back), marks those the text
  negates ("it didn't brighten it", "forget the enlarging") and weighs those in the
  final ask (the last question, after any "but") above those told on the way;
- :class:`SignatureView` turns a reading into a logit per task: agreement of the
  operation, of what was given and of what came back with the task's declared
  ``signature``, minus what was negated, and minus a task's *subjects* (a face for
  face restoration) when an operation was read and it is not that task's: a subject
  counts for its task only when the operation agrees.

No phrase lives here: the phrasings are data.  The grammar of reading them (how a
phrasing is written, which words negate, which open a question) is below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .views import FitData, Queries, StaticView

if TYPE_CHECKING:
    from .records import Task

__all__ = ["Reading", "SignatureView", "ask_start", "compile_phrasings", "normalise", "read"]

SLOTS = ("gives", "does", "gets")
#: How much a slot's agreement counts, an operation in the final ask against one told on the way (records
#: have no ask: everything counts as asked), a negated operation, and a subject whose operation disagrees.
#: (A subject counting for its task when the operation agrees was measured and left out: it lost a question
#: of the narrative dev set and one of the dev half.)
SLOT_WEIGHT = {"gives": 0.3, "does": 1.0, "gets": 0.4}
ASKED, TOLD = 1.0, 0.5
NEGATED = 1.0
SUBJECT = 1.0
PARAMS = f"{SLOT_WEIGHT},{ASKED},{TOLD},{NEGATED},{SUBJECT}"

#: Words that undo the operation that follows them within :data:`NEGATION_REACH` words of one clause.
NEGATIONS = ("not", "no", "never", "without", "nothing", "neither", "nor", "forget", "ignore", "ignoring", "except",
             "skip", "never mind", "apart from", "aside from", "setting aside", "leaving aside", "putting aside",
             "besides", "other than", "rather than", "instead of", "not asking about")
NEGATION_REACH = 4
#: Words by which an ask points at an operation told before by its order.
ORDINALS = {"first": ("step one", "step 1", "the first step", "first step", "first part", "the first one",
                      "the first", "the former", "part one"),
            "last": ("step two", "step 2", "the second step", "second step", "second part", "the second one",
                     "the second", "the latter", "last step", "the last one", "final step", "part two")}
#: Words that open a question: the final ask is the last sentence that ends with "?" or starts with one.
QUESTION_WORDS = ("how", "why", "what", "which", "where", "when", "who", "is", "are", "can", "could", "does",
                  "do", "did", "was", "will", "would", "explain", "tell")

_QUOTE = re.compile(r"""(?<!\w)'[^'\n]{2,120}?'(?!\w)|"[^"\n]{2,200}?"|“[^”\n]{2,200}?”|‘[^’\n]{2,120}?’""")
QUOTED = "quotedtext"
_TIMES = r"(?:\d+(?:\.\d+)?\s?(?:x|×)(?![a-z])|(?:two|three|four|five|six|eight|ten|\d+)\s+times)"
_SEP = r"[^\w.!?;]+"
#: Words a `~` may skip (`~N`: N words).
GAP_WORDS = 3


def normalise(text: str) -> str:
    """Lower case; curly quotes straight; "n't" as " not"; hyphens as spaces; quoted texts as one word
    (:data:`QUOTED`), so that a prompt's own words are never read as an operation."""
    t = _QUOTE.sub(f" {QUOTED} ", text)
    t = t.lower().replace("’", "'").replace("‘", "'")
    t = re.sub(r"n't\b", " not", t)
    return re.sub(r"[-–—/]", " ", t)


def _token(token: str) -> str:
    if token == "QUOTE":
        return QUOTED
    if token == "TIMES":
        return _TIMES
    alts = []
    for alt in token.split("|"):
        word = re.escape(alt.rstrip("*").replace("_", " ")).replace(r"\ ", _SEP)
        alts.append(word + (r"\w*" if alt.endswith("*") else ""))
    return "(?:" + "|".join(alts) + ")"


def _gap(words: int) -> str:
    return rf"(?:{_SEP}[\w']+){{0,{words}}}"


def _phrase(phrasing: str) -> str:
    out, gap = "", 0
    for token in phrasing.split():
        if re.fullmatch(r"~\d*", token):
            gap = int(token[1:] or GAP_WORDS)
            continue
        piece = _token(token)
        out = piece if not out else out + (_gap(gap) if gap else "") + _SEP + piece
        gap = 0
    return out


@lru_cache(maxsize=1024)
def compile_phrasings(phrasings: str) -> re.Pattern | None:
    """One pattern for ";"-separated phrasings (their grammar: see ``corpus/tasks.yaml``)."""
    parts = [_phrase(p) for p in phrasings.split(";") if p.strip()]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)") if parts else None


@lru_cache(maxsize=1024)
def _first_words(phrasings: str) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The words (and word beginnings, for ``word*``) any of the phrasings must start with; None when one
    starts with QUOTE or TIMES."""
    words, starts = set(), []
    for p in phrasings.split(";"):
        tokens = [t for t in p.split() if not re.fullmatch(r"~\d*", t)]
        if not tokens:
            continue
        if tokens[0] in ("QUOTE", "TIMES"):
            return None
        for alt in tokens[0].split("|"):
            first = alt.split("_")[0]
            if first.endswith("*"):
                starts.append(first[:-1])
            else:
                words.add(first)
    return frozenset(words), tuple(starts)


def _may_match(phrasings: str, words: frozenset[str]) -> bool:
    """Whether a text with these words could hold one of the phrasings (so that a cold process compiles only
    the patterns a question may need: compiling them all costs tens of milliseconds)."""
    first = _first_words(phrasings)
    if first is None:
        return True
    exact, starts = first
    return bool(exact & words) or any(w.startswith(starts) for w in words) if starts else bool(exact & words)


def ask_start(text: str) -> int:
    """Where the final ask starts: the last sentence ending with "?" or opening with a question word (else
    the last sentence), from after its last "but"."""
    sentences = [(m.start(), m.group()) for m in re.finditer(r"[^.!?]+[.!?]*", text) if m.group().strip()]
    if not sentences:
        return 0
    start, sentence = sentences[-1]
    for s, body in reversed(sentences):
        first = body.split()[0] if body.split() else ""
        if body.rstrip().endswith("?") or first in QUESTION_WORDS:
            start, sentence = s, body
            break
    cut = 0
    for word in (" but ", " however "):
        at = sentence.rfind(word)
        if at >= 0:
            cut = max(cut, at + len(word))
    return start + cut


_CLAUSE_END = re.compile(r"[,.;:!?]")
#: Where the telling of one step ends and the next begins.
_STEP_END = re.compile(r"[,.;:!?]|\b(?:and then|then|after that|afterwards|and later|before that|and also)\b")


def _negated(text: str, at: int) -> bool:
    before = _CLAUSE_END.split(text[:at])[-1].split()[-NEGATION_REACH - 2:]
    joined = " " + " ".join(before) + " "
    near = " " + " ".join(before[-NEGATION_REACH:]) + " "
    return any(f" {n} " in (near if " " not in n else joined) for n in NEGATIONS)


@dataclass
class Reading:
    """What a text says was given, done and got back (name -> weight), and the operations it negates."""

    gives: dict[str, float] = field(default_factory=dict)
    does: dict[str, float] = field(default_factory=dict)
    gets: dict[str, float] = field(default_factory=dict)
    negated: set[str] = field(default_factory=set)
    #: ``(slot, name)`` -> the words that read as it (the weightiest occurrence)
    words: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the clause that tells of the operation an ask points at by its order, when it does
    pointed: str | None = None
    #: the text as it was read (:func:`normalise`) and its words, for the subjects' check of :class:`SignatureView`
    text: str = ""
    tokens: frozenset[str] = frozenset()

    def slot(self, name: str) -> dict[str, float]:
        return getattr(self, name)


def read(text: str, phrasings: dict[str, dict[str, str]], asked: bool = True) -> Reading:
    """The signature of ``text``: each phrasing name found, weighted :data:`ASKED` in the final ask and
    :data:`TOLD` elsewhere (everything :data:`ASKED` when ``asked`` is false: a record's text); an operation
    found only negated goes to ``negated``.  An ask that names no operation but points at one by its order
    ("how does step one work?", "the latter") makes that operation the asked one (:func:`_pointed`)."""
    t = normalise(text)
    start = ask_start(t) if asked else 0
    words = frozenset(re.findall(r"\w+", t))
    found: list[tuple[str, str, int, str]] = []  # (slot, name, where, words) of every unnegated phrasing
    negated: set[str] = set()
    for slot in SLOTS:
        for name, ph in phrasings.get(slot, {}).items():
            if not _may_match(ph, words):
                continue
            pattern = compile_phrasings(ph)
            if pattern is None:
                continue
            for m in pattern.finditer(t):
                if _negated(t, m.start()):
                    if slot == "does":
                        negated.add(name)
                    continue
                found.append((slot, name, m.start(), m.group().replace(QUOTED, "'…'")))
    ops = [f for f in found if f[0] == "does"]
    pointed = _pointed(t, start, ops) if asked and not any(f[2] >= start for f in ops) else None
    out = Reading(text=t, tokens=words)
    for slot, name, where, said in found:
        w = ASKED if (not asked or where >= start or (slot, name, where) == pointed) else TOLD
        if w > out.slot(slot).get(name, 0.0):
            out.slot(slot)[name] = w
            out.words[slot, name] = said
    out.negated = negated - set(out.does)
    if pointed is not None:
        cuts = [(m.start(), m.end()) for m in _STEP_END.finditer(t)]
        a = max((e for s, e in cuts if e <= pointed[2]), default=0)
        b = min((s for s, e in cuts if s >= pointed[2]), default=len(t))
        out.pointed = t[a:b].strip().replace(QUOTED, "'…'")
    return out


def _clause(text: str, at: int) -> int:
    """Which clause of ``text`` the position ``at`` is in (clauses end at , ; : . ! ?)."""
    return len(_CLAUSE_END.findall(text, 0, at))


def _pointed(text: str, start: int, ops: list[tuple[str, str, int, str]]) -> tuple[str, str, int] | None:
    """The operation an ask points at by its order: the one told nearest the same words in the story ("step
    one was the face enhancer"), else the first or the last told."""
    ask = text[start:]
    for place, words in ORDINALS.items():
        said = [w for w in words if re.search(rf"(?<!\w){w}(?!\w)", ask)]
        if not said or not ops:
            continue
        told = [m.start() for w in said for m in re.finditer(rf"(?<!\w){w}(?!\w)", text[:start])]
        if told:  # the operation told in the same clause as those words, else the nearest
            clause = {at: _clause(text, at) for at in told}
            near = [f for f in ops if any(clause[at] == _clause(text, f[2]) for at in told)] or ops
            slot, name, where, _ = min(near, key=lambda f: min(abs(f[2] - at) for at in told))
        else:
            slot, name, where, _ = min(ops, key=lambda f: f[2]) if place == "first" else max(ops, key=lambda f: f[2])
        return slot, name, where
    return None


class SignatureView(StaticView):
    """Agreement of a text's signature (:func:`read`) with each task's declared one."""

    name, weight, rule, records = "signature", "signature_weight", True, True
    PARAMS: ClassVar[str] = PARAMS

    def __init__(self, classes: list[str], tasks: Sequence[Task]) -> None:
        self.classes = classes
        self._readings: dict[tuple[str, bool], Reading] = {}  # the last few texts read (an answer reads one thrice)
        by_id = {t.id: t.signature for t in tasks if t.signature is not None}
        self.signatures = [by_id.get(c) for c in classes]
        self.phrasings: dict[str, dict[str, str]] = {s: {} for s in SLOTS}
        for sig in by_id.values():
            for slot, names in sig.phrasings.items():
                self.phrasings.setdefault(slot, {}).update(names)

    @classmethod
    def fit(cls, data: FitData) -> SignatureView | None:
        view = cls(data.classes, data.tasks)
        return view if any(s is not None for s in view.signatures) else None

    def read(self, text: str, asked: bool = True) -> Reading:
        """:func:`read` with this view's phrasings, remembered for the last few texts."""
        key = (text, asked)
        reading = self._readings.get(key)
        if reading is None:
            reading = read(text, self.phrasings, asked)
            if len(self._readings) >= 16:
                self._readings.clear()
            self._readings[key] = reading
        return reading

    def scores(self, text: str, asked: bool = True) -> np.ndarray:
        """One text's logit per class."""
        r = self.read(text, asked)
        out = np.zeros(len(self.classes))
        for i, sig in enumerate(self.signatures):
            if sig is None:
                continue
            agree = {slot: _best(r.slot(slot), getattr(sig, slot)) for slot in SLOTS}
            z = sum(SLOT_WEIGHT[slot] * agree[slot] for slot in SLOTS)
            z -= NEGATED * sum(1 for op in sig.does if op in r.negated)
            subjects = sig.subjects
            if (r.does and not agree["does"] and subjects and _may_match(subjects, r.tokens)
                    and compile_phrasings(subjects).search(r.text)):
                z -= SUBJECT
            out[i] = z
        return out

    def logits(self, q: Queries) -> np.ndarray | None:
        rows = np.array([self.scores(t, asked=not q.records) for t in q.texts])
        return rows if rows.any() else None

    def operation_tasks(self, text: str) -> set[str]:
        """The tasks whose operation the text tells of (not negated)."""
        r = self.read(text)
        return {c for c, sig in zip(self.classes, self.signatures, strict=True)
                if sig is not None and any(op in r.does for op in sig.does)}

    def final_ask(self, text: str) -> str | None:
        """The text's final ask (the last question, from after its last "but") when the text tells of the
        operations of two tasks or more and has more than one sentence: which one the person asks about is
        settled by the ask (:class:`scientist.views.AskView`).  An ask that points at an operation by its order
        gives the clause that told of it instead."""
        if len(self.operation_tasks(text)) < 2:
            return None
        pointed = self.read(text).pointed
        if pointed:  # "how does the first step work?": the clause that told of that step says more
            return pointed
        start = ask_start(text.lower())
        return text[start:].strip() if start > 0 else None

    def explain(self, text: str, task_ids: Sequence[str]) -> dict[str, str]:
        """For each of ``task_ids``, the words of ``text`` that read as its operation (else as what it
        gives back, else as what it takes), when some do."""
        r = self.read(text)
        out = {}
        for task_id in task_ids:
            sig = self.signatures[self.classes.index(task_id)] if task_id in self.classes else None
            if sig is None:
                continue
            for slot in ("does", "gets", "gives"):
                hits = sorted((-r.slot(slot)[n], r.words[slot, n]) for n in getattr(sig, slot) if n in r.slot(slot))
                if hits:
                    out[task_id] = hits[0][1]
                    break
        return out


def _best(found: dict[str, float], names: Iterable[str]) -> float:
    """The best-agreeing of a task's alternatives; ``a+b`` agrees only when both were found, and then by
    their sum (it says more than either alone)."""
    best = 0.0
    for name in names:
        parts = name.split("+")
        if all(p in found for p in parts):
            best = max(best, sum(found[p] for p in parts))
    return best
