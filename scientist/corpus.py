"""A corpus: the records that may be cited, plus the task taxonomy."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import re
import stat
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from . import yamlio
from .errors import CorpusError, OutputError, shown
from .fileio import os_reason, write_atomic
from .ingest import _norm, is_seed_file, load_records, parse_catalog, read_text
from .language import LANGUAGES_FILE
from .naming import (
    CLAUSE_END,
    NAMING_FILE,
    Naming,
    alternation,
    base_words_pattern,
    model_words,
    says_nothing_else,
    spelling_of,
    variant_pattern,
)
from .paths import data_path
from .records import Record, Task
from .settings import Settings, load_settings

if TYPE_CHECKING:  # pragma: no cover
    from .guard import AllowedLinks

__all__ = ["Corpus", "add_to_user_corpus", "load_corpus", "load_tasks", "load_vocabulary", "read_yaml"]

_RECORD_SUFFIXES = {".yaml", ".yml", ".json", ".jsonl", ".ndjson", ".txt", ".md"}
TASKS_FILE = "tasks.yaml"
EXAMPLES_FILE = "task_examples.yaml"
VOCABULARY_FILE = "vocabulary.yaml"
RESPELLINGS_FILE = "respellings.yaml"
FIGURES_FILE = "figures.yaml"
CONTEXT_FILE = "context.yaml"
LINKS_FILE = "links.yaml"
LISTING_FILE = "listing.yaml"
PHOTO_ASKS_FILE = "photo_asks.yaml"
TOOL_ASKS_FILE = "tool_asks.yaml"
USAGE_FILE = "usage.yaml"
#: Data files of a corpus folder that hold no records.
NOT_RECORDS = {TASKS_FILE, EXAMPLES_FILE, VOCABULARY_FILE, FIGURES_FILE, CONTEXT_FILE, LANGUAGES_FILE, NAMING_FILE,
               LINKS_FILE, LISTING_FILE, PHOTO_ASKS_FILE, TOOL_ASKS_FILE, USAGE_FILE, RESPELLINGS_FILE, "README.md"}


def read_yaml(path: str | Path, what: str):
    """One YAML file of plain data; a file that cannot be parsed is a :class:`CorpusError` naming ``what`` it
    should have been."""
    path = Path(path)
    text = read_text(path)
    try:
        return yamlio.safe_load(text)
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path.name}: cannot read the {what}: {yamlio.problem(exc)}") from None
    except RecursionError:
        raise CorpusError(f"{path.name}: cannot read the {what}: nested too deeply") from None


def load_vocabulary(path: Path | None = None) -> frozenset[str]:
    """Words the citation checker accepts without a record (the packaged list unless ``path``)."""
    path = path or data_path("corpus") / VOCABULARY_FILE
    raw = read_yaml(path, "vocabulary")
    words = raw.get("vocabulary") if isinstance(raw, dict) else None
    if not isinstance(words, list):
        raise CorpusError(f"{path.name}: expected a list under 'vocabulary'")
    return frozenset(str(w) for w in words)


@functools.cache
def load_respellings() -> dict[str, str]:
    """Misspellings the spelling step cannot reach by itself, and the words they are read as (``respellings.yaml``,
    packaged; :class:`~scientist.spelling.Speller`)."""
    path = data_path("corpus") / RESPELLINGS_FILE
    raw = read_yaml(path, "respellings")
    found = raw.get("respellings") if isinstance(raw, dict) else None
    if not isinstance(found, dict) or not all(isinstance(k, str) and k.isalpha() and k.islower() and isinstance(v, str)
                                              and v.strip() for k, v in found.items()):
        raise CorpusError(f"{path.name}: expected 'respellings': a misspelling in small letters -> the word meant")
    return {k: v.strip() for k, v in found.items()}


#: A word as the figures' words are matched (letters, digits, hyphens).
WORD = re.compile(r"[\w-]+")
_DIGIT = re.compile(r"\d")


def plain_words(text: str) -> str:
    """``text`` as the figures' patterns read it: its lower-case words (letters, digits, hyphens) joined by single
    spaces."""
    return " ".join(WORD.findall(text.lower()))


#: How a question numbers a step of a workflow ("step 3", "step three", "the third step"): ``{step}`` in figures.yaml.
STEP_NUMBERS = {w: i + 1 for i, w in enumerate("one two three four five six seven eight nine ten".split())} | {
    w: i + 1 for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth".split())} | {
    "last": -1, "final": -1}  # counted from the end of the record's steps
_ONE_STEP = "|".join([r"\d{1,2}", *STEP_NUMBERS])
#: Steps named together, as :func:`plain_words` writes them: "steps 2 and 3", "steps 2, 3 and 5", "steps 2 to 4",
#: "steps 2-4".
STEP = rf"(?:{_ONE_STEP})(?:(?: and | or | to | through |-| )(?:{_ONE_STEP}))*"
_STEP_WORD = re.compile(rf"(?<![\w])(?:{_ONE_STEP})(?![\w])|(?<=\d)-(?=\d)| to | through ")


@dataclass(frozen=True)
class Part:
    """A part of a network a question may ask about by name (``parts`` of a figure in ``figures.yaml``): the encoder,
    the feature fusion, skip connections."""

    label: str  # how the answer names it
    words: _LazyPattern  # the words that ask about it, read in plain_words of a question (a plural too)
    says: _LazyPattern  # the words a record's line holds when it speaks of it


class _Screened:
    """A regular expression searched only in a text that could hold a match (:meth:`_could_match`, a cheap test of
    words it needs), and so compiled (:meth:`_regex`) only when a text first could: the figures' and the usage
    phrasings' patterns, most of which a question never needs."""

    __slots__ = ()

    def _could_match(self, text: str) -> bool:
        raise NotImplementedError

    def _regex(self) -> re.Pattern:
        raise NotImplementedError

    def search(self, text: str) -> re.Match | None:
        return self._regex().search(text) if self._could_match(text) else None

    def finditer(self, text: str) -> Iterator[re.Match]:
        return self._regex().finditer(text) if self._could_match(text) else iter(())

    def sub(self, repl: str, text: str) -> str:
        return self._regex().sub(repl, text) if self._could_match(text) else text


class _LazyPattern(_Screened):
    """A regular expression compiled on its first use, and searched only in a text that holds one of its ``needs``
    whole: the literal words of one of its alternatives ("who {any} made {this}": "who" and "made"), so that a text
    without them cannot match and none is compiled for it (None: every text is searched).  Compiling
    the figures' patterns cost every process a third of a second (``the paper it comes from`` says what its
    words ask, a pattern of 170,000 characters), most of them for questions that ask for no figure at all."""

    __slots__ = ("_by_longest", "_compiled", "needs", "pattern")

    def __init__(self, source: str, needs: tuple[tuple[str, ...], ...] | None = None) -> None:
        self.pattern = source
        self.needs = needs
        self._compiled: re.Pattern | None = None
        # each need by its longest run, the one least often in a text: looked for first, the others only beside it
        self._by_longest: dict[str, list[tuple[str, ...]]] = {}
        for need in needs or ():
            longest = max(need, key=len)
            self._by_longest.setdefault(longest, []).append(tuple(run for run in need if run != longest))

    def _could_match(self, text: str) -> bool:
        return self.needs is None or any(
            longest in text and any(all(run in text for run in rest) for rest in others)
            for longest, others in self._by_longest.items())

    def _regex(self) -> re.Pattern:
        if self._compiled is None:  # two threads may both compile it: the same pattern either way
            self._compiled = re.compile(self.pattern)
        return self._compiled

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _LazyPattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)


#: A pattern that matches nothing, and so is never compiled (no text holds one of its needs: it has none).
_NEVER = _LazyPattern(r"(?!)", ())
#: What ``figures.yaml`` writes in a figure's words for other words (see :func:`load_figures`).
_PLACEHOLDER = re.compile(r"\{(?:model|this|paper|maker|any|step)\}")


def _needs(phrasings: Iterable[str]) -> tuple[tuple[str, ...], ...] | None:
    """What a text must hold for a pattern of ``phrasings`` to match it: every run of words outside the ``{...}`` of
    one of them (None when one has none, or holds ``{step}`` twice: only the first is filled).  One whose runs hold a
    phrasing's only run is left out, since that run is in the text wherever they are."""
    found = set()
    for phrasing in phrasings:
        runs = tuple(sorted({run.strip() for run in _PLACEHOLDER.split(phrasing.lower()) if run.strip()}))
        if not runs or phrasing.count("{step}") > 1:
            return None
        found.add(runs)
    alone = {runs[0] for runs in found if len(runs) == 1}
    return tuple(sorted(runs for runs in found
                        if not any(one in run and (one,) != runs for one in alone for run in runs)))


@dataclass(frozen=True)
class Figure:
    """A figure or fact a question may ask of a model (``figures.yaml``)."""

    label: str
    kind: str  # "figure" or "fact"
    words: _LazyPattern  # the words that ask for it, read in plain_words of a question
    says: _LazyPattern  # the words a record's line holds when it gives it
    fields: tuple[str, ...]  # the record's lines (Record.lines' names) that give it whatever their words
    phrases: tuple[str, ...] = ()  # the words that ask for it as figures.yaml writes them ({model} left out)
    not_with: tuple[str, ...] = ()  # labels of figures whose being asked too means this one is not
    bare: _LazyPattern = _NEVER  # words that ask for it in a question that says nothing else ("how fast?")
    is_link: bool = False  # it is a link the records might give: where none does, the answer says what part 3 holds
    step: int | None = None  # a figure of a workflow's step (``{step}`` in its words): the step asked for, from 1
    # (-1: the last)
    link: str | None = None  # the record's link field that gives it ("github": where its code is)
    parts: tuple[Part, ...] = ()  # the parts of a network a question may ask about by name (``parts`` in figures.yaml)
    part: bool = False  # a figure of parts for one part asked about (:meth:`for_part`)
    others: _LazyPattern = _NEVER  # other networks or systems whose parts its words may name ("others")
    sole: bool = False  # asked in a question that names no record, it is asked of the corpus's only model ("which
    # paper is this from?": ``sole`` in figures.yaml)
    of: str | None = None  # the kind of record it is asked of: in a question naming records of other kinds only, it
    # is not asked ("is this from the histopathology paper?" asks no paper the histopathology paper comes from)

    def asked_parts(self, question: str) -> tuple[Part, ...]:
        """The parts of a network ``question`` (as :func:`plain_words`) asks about by one of their words, in the
        order it names them (the longest words first where two parts' words overlap: "feature fusion" before
        "fusion"), each once; none for a figure of no parts."""
        spans = sorted(((m.start(), m.end(), part) for part in self.parts for m in part.words.finditer(question)),
                       key=lambda span: (span[0] - span[1], span[0]))  # the longest first
        kept: list[tuple[int, int, Part]] = []
        for start, end, part in spans:
            if all(end <= s or e <= start for s, e, _ in kept):
                kept.append((start, end, part))
        return tuple(dict.fromkeys(part for _, _, part in sorted(kept, key=lambda k: k[0])))

    def for_part(self, part: Part) -> Figure:
        """This figure of parts for one part asked about: its label names it ("the feature fusion"), and its lines
        are the record's lines that hold the part's ``says`` words."""
        return dataclasses.replace(self, label=part.label, words=part.words, says=part.says, parts=(), part=True)

    @property
    def of_steps(self) -> bool:
        """Whether it is the figure of a workflow's steps asked for by number (``{step}`` in its words)."""
        return "(?P<step" in self.words.pattern

    def asked_steps(self, question: str) -> tuple[int, ...]:
        """The steps of a workflow ``question`` (as :func:`plain_words`) asks for by number ("explain step 3",
        "what does the second step do"), in order, each once; none for a figure of no steps."""
        if not self.of_steps:
            return ()
        steps: list[int] = []
        for said in (v for m in self.words.finditer(question) for k, v in m.groupdict().items()
                     if k.startswith("step") and v):
            upto = False
            for word in (w.group().strip() for w in _STEP_WORD.finditer(said)):
                if word in ("-", "to", "through"):
                    upto = True
                    continue
                n = STEP_NUMBERS[word] if word in STEP_NUMBERS else int(word)
                steps += range(steps[-1] + 1, n + 1) if upto and steps and 0 < steps[-1] < n <= steps[-1] + 20 else [n]
                upto = False
        return tuple(dict.fromkeys(steps))

    def for_step(self, step: int) -> Figure:
        """This figure of steps for one step asked for (as the answer asks for each: :func:`scientist.core._as_asked`):
        its label names it ("step 3", "the last step"), and its line is that step's."""
        return dataclasses.replace(self, label="the last step" if step == -1 else f"step {step}", step=step)

    def asked(self, question: str) -> bool:
        """Whether ``question`` (as :func:`plain_words`) asks for it."""
        return bool(self.words.search(question))

    def lines(self, record: Record) -> list[tuple[str, str]]:
        """The ``(where, text)`` lines of ``record`` (:meth:`Record.lines`, its title and other names aside: they
        name it, and give nothing) that give it: one of its ``fields``, or a line that holds its words (and, for a
        figure, a number: "to improve the algorithms' accuracy" reports none)."""
        if self.link:  # given by a link of the record's, not a line ("where is the code?")
            return [(self.link, getattr(record, self.link))] if getattr(record, self.link, None) else []
        if self.step is not None:  # a workflow's step asked for by number: the record's card's, if it has it
            own = [(where, text) for where, text in record.lines() if where == "step"]
            n = self.step
            return [own[n - 1 if n > 0 else n]] if 0 < n <= len(own) or (own and n == -1) else []
        found = [(where, text) for where, text in record.lines() if where not in ("title", "name")
                 and (where in self.fields or (self.says.search(plain_words(text))
                                               and (self.kind != "figure" or _DIGIT.search(text))))]
        if self.part:  # a part: the card's step named after it first, then the steps that speak of it, then the rest
            found.sort(key=lambda line: 2 if line[0] != "step" else int(
                not self.says.search(plain_words(line[1].split(":", 1)[0]))))
        return found


_ALONE_POINTERS = re.compile(r"(?<![\w-])(?:it(?![\w'’-])|(?:this|that|these|those)(?![\w'’-])(?! +\w))",
                             re.IGNORECASE)


def without_alone_pointers(text: str) -> str:
    """``text`` with its pointing words that stand alone read as "something": "it", and "this", "that", "these" or
    "those" before punctuation or the end ("who came up with this?", "who wrote it?"; not "this approach"). What it
    asks when its pronouns point at nothing in particular."""
    return _ALONE_POINTERS.sub("something", text)


@functools.cache
def load_figures() -> tuple[Figure, ...]:
    """The figures and facts a question may ask for (``figures.yaml``, packaged), their patterns matched in a text
    of lower-case words joined by single spaces (:func:`plain_words`), ``{model}`` in their words read as
    :func:`~scientist.naming.model_words`."""
    path = data_path("corpus") / FIGURES_FILE
    raw = read_yaml(path, "figures")
    items = raw.get("figures") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("label") and i.get("words")
                                              and i.get("kind", "figure") in ("figure", "fact") for i in items):
        raise CorpusError(f"{path.name}: expected a list of figures, each with a label, words and a kind of "
                          "figure or fact")
    for i in items:  # a figure of parts asks by its parts' words: its words are "{part}", which stands for them
        parts = i.get("parts") or []
        if not isinstance(parts, list) or not all(isinstance(p, dict) and p.get("label") and p.get("words")
                                                  and p.get("says") for p in parts) or (
                bool(parts) != (i["words"] == ["{part}"])):
            raise CorpusError(f"{path.name}: {i['label']}: expected parts, each with a label, words and says, and "
                              "'{part}' as the words of a figure of parts and of no other")
    after = "".join(rf"(?! {re.escape(str(w).lower())}\b)" for w in raw.get("not_before") or [])

    model = model_words()
    lists = {}
    for key in ("this", "this_then", "paper", "maker"):  # "{this}", "{paper}" and "{maker}" in a figure's words
        words = raw.get(key) or []
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise CorpusError(f"{path.name}: expected '{key}' to be a list of words")
        lists[key] = [w.lower() for w in words]
    ends = ("this", "that", "these", "those")  # a pointing word alone: only before the clause's end or `this_then`
    alone = [w for w in lists["this"] if w.split()[-1] in ends]
    pointers = [w for w in lists["this"] if w.split()[-1] not in ends]
    this = "(?:" + "|".join(filter(None, [model, alternation(pointers), alone and (
        rf"(?:{alternation(alone)})(?= (?:{alternation(lists['this_then'])})\b|$)")])) + ")"
    paper = f"(?:{alternation(lists['paper']) or '(?!)'})"
    maker = f"(?:{alternation(lists['maker']) or '(?!)'})"
    labels = [str(i["label"]) for i in items]

    def pattern(words: list, not_before: list, not_after: list = (), plural: str = "") -> _LazyPattern:
        own = "".join(rf"(?! {re.escape(str(w).lower())}\b)" for w in not_before)
        before = "".join(rf"(?<!\b{re.escape(str(w).lower())} )" for w in not_after)  # "turing test result"
        def filled(i: int, w: str) -> str:
            return (re.escape(w.lower()).replace(re.escape("{model}"), model)
                    .replace(re.escape("{this}"), this).replace(re.escape("{paper}"), paper)
                    .replace(re.escape("{maker}"), maker)
                    .replace(r"\ " + re.escape("{any}"), r"(?: [\w-]+){0,3}")
                    .replace(re.escape("{step}"), f"(?P<step{i}>{STEP})", 1))

        # the words that end or begin with "{this}" share one copy of it, each group where its first one stood: a
        # copy in each of 150 of them made a pattern of 290,000 characters, half a second to compile
        alternatives, ends, begins = [], [], []
        for i, w in enumerate(str(w) for w in words):
            if w.count("{this}") == 1 and w.endswith(" {this}") and "{step}" not in w:
                if not ends:
                    alternatives.append(ends)
                ends.append(filled(i, w[: -len("{this}")]))  # its spaces kept: "{any}" is filled with the one before
            elif w.count("{this}") == 1 and w.startswith("{this} ") and "{step}" not in w:
                if not begins:
                    alternatives.append(begins)
                begins.append(filled(i, w[len("{this}"):]))
            else:
                alternatives.append(filled(i, w) + plural)
        joined = "|".join(a if isinstance(a, str) else (f"(?:{'|'.join(a)}){this}{plural}" if a is ends
                                                         else f"{this}(?:{'|'.join(a)}){plural}")
                          for a in alternatives)
        source = before + r"(?<![\w-])(?:" + joined + r")(?![\w-])" + after + own
        return _LazyPattern(source, _needs(str(w) for w in words))

    def longest(words: list) -> list[str]:  # the longest words first, so "multi-input pyramid" is not "multi-input"
        return sorted((str(w) for w in words), key=lambda w: -len(w))

    def parts(item: dict) -> tuple[Part, ...]:  # a part's words asked in the plural too ("residual blocks")
        own = list(item.get("words_not_after") or [])  # the figure's, for each of its parts too
        return tuple(Part(str(p["label"]), pattern(longest(p["words"]), [], [*own, *(p.get("not_after") or [])],
                                                   "(?:e?s)?"),
                          pattern(longest(p["says"]), [], plural="(?:e?s)?")) for p in item.get("parts") or ())

    def asking(item: dict, own: tuple[Part, ...]) -> _LazyPattern:  # a figure of parts asks by any of its parts' words
        if not own:
            return pattern(item["words"], item.get("words_not_before") or [], item.get("words_not_after") or [])
        needs = [p.words.needs for p in own]
        return _LazyPattern("|".join(f"(?:{p.words.pattern})" for p in own),
                            None if None in needs else tuple(sorted({n for each in needs for n in each})))

    def words(item: dict) -> list[str]:  # the words that ask, as written: a figure of parts', its parts'
        return [str(w) for p in item["parts"] for w in p["words"]] if item.get("parts") else item["words"]

    return tuple(Figure(str(i["label"]), str(i.get("kind", "figure")),
                        asking(i, own := parts(i)),
                        pattern(i.get("says") or words(i), i.get("not_before") or []),
                        tuple(str(f) for f in i.get("fields") or ()),
                        tuple(" ".join(re.sub(r"\{(?:model|any|this|paper|maker)\}", " ", str(w)).split())
                              for w in words(i)),
                        tuple(label for label in labels if label != i["label"]) if i.get("not_with") == "any"
                        else tuple(str(f) for f in i.get("not_with") or ()),
                        bare=pattern(i["bare"], []) if i.get("bare") else Figure.bare,
                        is_link=bool(i.get("is_link", False)), link=str(i["link"]) if i.get("link") else None,
                        parts=own, others=pattern(i["others"], []) if i.get("others") else Figure.others,
                        sole=bool(i.get("sole", False)), of=str(i["of"]) if i.get("of") else None)
                 for i in items)


@dataclass(frozen=True)
class Place:
    """A place a question may ask a record's link to (``links.yaml``): arXiv, GitHub, Hugging Face."""

    name: str
    words: re.Pattern  # how a question writes its name
    host: str  # what a record's link there holds
    read_as: str | None  # the words a question is read with in place of its name, when they mean something else

    def read(self, question: str) -> str:
        """``question`` with this place's name in it written as ``read_as`` (as it is when unset)."""
        return self.words.sub(self.read_as, question) if self.read_as else question

    def named_in(self, question: str) -> bool:
        """Whether ``question``, as written or as :meth:`read`, names this place."""
        return bool(self.words.search(question)) or (self.read_as is not None and self.read_as in question.lower())


@functools.cache
def load_places() -> tuple[Place, ...]:
    """The places a question may ask a record's link to (``links.yaml``, packaged)."""
    path = data_path("corpus") / LINKS_FILE
    raw = read_yaml(path, "places of links")
    items = raw.get("places") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("name") and i.get("words")
                                              and i.get("host") for i in items):
        raise CorpusError(f"{path.name}: expected a list of places, each with a name, words and a host")
    return tuple(Place(str(i["name"]), re.compile(r"(?<![\w-])(?:" + "|".join(
        re.escape(str(w)).replace(r"\ ", r"\s+") for w in i["words"]) + r")(?![\w-])", re.I), str(i["host"]).lower(),
        str(i["read_as"]) if i.get("read_as") else None) for i in items)


@dataclass(frozen=True)
class Listing:
    """How a question asks what the corpus holds (``listing.yaml``), read in a text of lower-case words joined by
    single spaces (:func:`plain_words`)."""

    holding: re.Pattern  # a holder and a verb of holding ("do you have")
    named: re.Pattern  # "your" before a word for records ("your corpus"), or a command before one ("list the studies")
    nouns: re.Pattern  # words for records of any kind
    papers: re.Pattern  # words for papers
    models: re.Pattern  # words for models
    beside_named: re.Pattern  # words that make a question naming a record ask what else the corpus holds
    topical: re.Pattern  # a topic after the words: "what does your database say about noise"
    owned: re.Pattern  # the person's own after a word for records: "the links to my photos", "documents I need"
    words: tuple[str, ...]  # every word of it, for the spelling step

    def kinds(self, question: str, names: bool = False) -> frozenset[str] | None:
        """None when no clause of ``question`` (``names``: it names a record) asks what the corpus holds; else the
        kinds of record it asks for: ``{"paper"}`` or ``{"model"}`` when it names one of the two, else both.  A
        clause asks with a word for records and a holder and verb of holding, "your" before such a word or a
        command before one in the plural (or, naming a record, with a holder, a verb and "only", "other" or
        "else": "what else do you know besides MIMO-UNet?"); not when it names a topic after them ("what does your
        database say about noise?") or the person's own ("give me all the links to my photos").  A question of
        such words and words that say nothing else asks too ("which papers?", "papers?", "the other paper?":
        :func:`~scientist.naming.says_nothing_else`), as does a holder and verb beside "else" or "other" and nothing
        else ("what else do you have?")."""
        asking, whole = [], plain_words(question)
        alone = self.nouns.sub(" ", self.beside_named.sub(" ", whole)).split()
        if not names and self.nouns.search(whole) and says_nothing_else(alone):  # "which papers?", "sources?"
            asking.append(whole)
        for clause in CLAUSE_END.split(question) if not asking else ():
            words = plain_words(clause)
            holds = self.holding.search(words)
            if names:  # "is MIMO-UNet the only one you have?", not "do you know other uses of MIMO-UNet?"
                asks = (self.beside_named.search(words) and (holds or self.named.search(words))
                        and (self.nouns.search(words) or re.search(r"\bones?\b", words)))
            else:  # the word for records may stand in another clause: "what it knows about, models and papers"
                asks = self.named.search(words) or (holds and self.nouns.search(whole)) or (
                    # "what else do you have?": no word for records, and nothing else said
                    holds and self.beside_named.search(words)
                    and says_nothing_else(self.beside_named.sub(" ", self.holding.sub(" ", words)).split()))
            if asks and not self.topical.search(words) and not self.owned.search(words):
                asking.append(words)
        if not asking:
            return None
        said = " ".join(asking)
        kinds = frozenset(k for k, p in (("paper", self.papers), ("model", self.models)) if p.search(said))
        return kinds if len(kinds) == 1 else frozenset({"paper", "model"})


@dataclass(frozen=True)
class PhotoAsks:
    """How a question given with a photo asks what was done to it (``photo_asks.yaml``)."""

    pattern: re.Pattern  # its phrasings, searched in a text as :func:`~scientist.signature.normalise` writes it
    alone: frozenset[str]  # words that ask so in a question that says nothing else ("how?", "huh?")


@functools.cache
def load_photo_asks() -> PhotoAsks:
    """How a question given with a photo asks what was done to it (``photo_asks.yaml``, packaged)."""
    from .signature import compile_phrasings  # the phrasings' grammar is the signature's

    path = data_path("corpus") / PHOTO_ASKS_FILE
    raw = read_yaml(path, "photo questions")
    asks = raw.get("asks") if isinstance(raw, dict) else None
    alone = raw.get("alone") if isinstance(raw, dict) else None
    pattern = compile_phrasings(asks) if isinstance(asks, str) else None
    if pattern is None or not isinstance(alone, list) or not all(isinstance(w, str) for w in alone):
        raise CorpusError(f"{path.name}: expected 'asks': phrasings separated by ';', and 'alone': a list of words")
    return PhotoAsks(pattern, frozenset(w.lower() for w in alone))


#: What a usage question may be about (``usage.yaml``'s topics, in the order an answer gives them).
USAGE_TOPICS = ("formats", "raw", "output", "size", "depth", "privacy", "hardware", "weights", "licence", "trust")
#: ``usage.yaml``'s word lists too common in questions to tell a phrasing by (see :class:`_Phrasings`).
COMMON_USAGE_LISTS = frozenset({"tool", "aux", "who", "mine", "send", "take", "accepted", "photo"})


@dataclass(frozen=True)
class Usage:
    """How a message asks about using the tool on a photo (``usage.yaml``): its topics' phrasings, what rules a
    message out, and the names of the file formats read, of camera RAW files and of other formats."""

    topics: tuple[tuple[str, _Phrasings | None, _Phrasings | None], ...]  # each of USAGE_TOPICS, its phrasings and
    # those that ask it even beside `not_when` (a topic may have only these)
    not_when: re.Pattern  # a message about a model's training or a paper
    named_frames: _Phrasings  # what asks about a format only beside its name ("is it able to open them?"), or
    # about bit depth or size beside words of it
    bits: re.Pattern  # words of bit depth ("16-bit", "bit depth")
    names: tuple[tuple[str, str], ...]  # a format's name (lower case, as in the text) and "read", "raw" or "other"
    units: re.Pattern  # words of a photo's size ("1.2 GB", "50 MP")
    word_names: re.Pattern  # names that are also words ("it fits"): a name only in capitals ("FITS", the group
    # `capitals`) or as a file ending (".fits", `dotted`); "<name> format" is among `names`
    file_words: re.Pattern  # words for a file format itself ("file types", "formats")
    weights_words: re.Pattern  # words for the network's weights as a file ("weights", "checkpoint")
    licence_words: re.Pattern  # words for a licence ("licence", "open source")
    tool_words: re.Pattern  # words for the tool ("it", "this", "scientist", "your app")

    @functools.cached_property
    def _name_patterns(self) -> tuple[tuple[str, str, re.Pattern], ...]:
        """Each of `names` (the longest first), its verdict and how a text writes it (a plural too: "pdfs")."""
        return tuple((name, verdict, re.compile(rf"(?<!\w){re.escape(name)}s?(?!\w)")) for name, verdict in self.names)

    def _read(self, text: str) -> str:
        """``text`` as the phrasings read it (:func:`_usage_text`), a name that is also a word written as
        "<name> format" where it stands as a name."""
        return _usage_text(self.word_names.sub(
            lambda m: f" {(m.group('dotted') or m.group('capitals')).lower()} format ", text))

    def _unnamed(self, text: str) -> str:
        """``text`` (as :meth:`_read` writes it) without its formats' names, its words of bit depth, its words for
        a format or for the weights and what is not a word: what else a message that names them says ("NEF?", "bit
        depth", "file types?", "checkpoint?": nothing)."""
        text = self.licence_words.sub(" ", self.weights_words.sub(" ", text))  # first: "weights file" is not "file"
        for _, _, written in self._name_patterns:  # the longest first
            text = written.sub(" ", text)
        return " ".join(re.findall(r"[\w']+", self.file_words.sub(" ", self.bits.sub(" ", text))))

    def asked(self, *texts: str) -> list[str]:
        """The topics any of ``texts`` (the message as typed, as read) asks about, in :data:`USAGE_TOPICS`' order;
        when one of them holds ``not_when``, only those asked by their ``despite`` phrasings."""
        read = [self._read(t) for t in texts if t]
        ruled_out = any(self.not_when.search(t) for t in read)
        # the answer's own labels in quotes ("what does 'loosely related' mean?") are what a question of trust asks
        # about: read without the quotes for that topic (quoted text is otherwise left out, as a file's name)
        unquoted = [self._read(_QUOTES.sub(" ", t)) for t in texts if t and _QUOTES.search(t)]
        asked = {topic for topic, asks, despite in self.topics
                 if any(p is not None and p.search(t) for p in ((despite,) if ruled_out else (asks, despite))
                        for t in read + (unquoted if topic == "trust" else []))}
        verdicts = {verdict for _, verdict in self._formats_in(read)} if not ruled_out else set()
        bits = not ruled_out and any(self.bits.search(t) for t in read)
        sized = not ruled_out and any(self.units.search(t) for t in read)
        framed = (verdicts or bits or sized) and any(self.named_frames.search(t) for t in read)
        if framed and verdicts and not asked & {"formats", "raw"}:
            asked |= {"raw"} if "raw" in verdicts else {"formats"}
        if framed and bits:  # "My stacks are 32-bit float. Will it accept them?"
            asked.add("depth")
        if framed and sized:  # "my scan is a 1.2 GB tiff. will it even open?"
            asked.add("size")
        worded = not ruled_out and any(self.file_words.search(t) for t in read)
        weighty = not ruled_out and any(self.weights_words.search(t) for t in read)
        licensed = not ruled_out and any(self.licence_words.search(t) for t in read)
        if not asked and (verdicts or bits or worded or weighty or licensed) and any(
                says_nothing_else(self._unnamed(t).split()) for t in read):
            # the names, or the words for them, alone: "NEF?", "bit depth", "file types?", "which formats",
            # "checkpoint?", "licence?"
            asked |= {"raw"} if "raw" in verdicts else {"formats"} if verdicts or worded else set()
            asked |= {"depth"} if bits else set()
            asked |= {"weights"} if weighty else set()
            asked |= {"licence"} if licensed else set()
        if "formats" in asked and "raw" in verdicts:  # "CR2 ... will the AI take JPEGs only?"
            asked.add("raw")
        return [topic for topic in USAGE_TOPICS if topic in asked]

    def names_the_tool(self, text: str) -> bool:
        """Whether ``text`` holds a word for the tool ("it", "this", "scientist", "your app"): "is scientist as free
        as GIMP?" asks of the tool, "is GIMP free for commercial use?" of GIMP."""
        return bool(self.tool_words.search(self._read(text)))

    def formats_named(self, *texts: str) -> list[tuple[str, str]]:
        """The file formats ``texts`` name, each once, in the order first named, with "read", "raw" or
        "other" (an ending of a photo the tool reads, of a camera RAW file, or neither)."""
        return self._formats_in([self._read(text or "") for text in texts])

    def _formats_in(self, read: list[str]) -> list[tuple[str, str]]:
        """:meth:`formats_named` of texts already :meth:`_read`."""
        found: dict[str, tuple[int, str]] = {}
        for t in read:
            taken = []
            # the longest first: "raw files" is one name, not "raw" again
            for name, verdict, written in self._name_patterns:
                for m in written.finditer(t):
                    if any(a < m.end() and m.start() < b for a, b in taken):
                        continue
                    taken.append(m.span())
                    key = _FORMAT_KEY.get(name, name)
                    if key not in found or m.start() < found[key][0]:
                        found[key] = (m.start(), verdict)
        return [(key, verdict) for key, (_, verdict) in sorted(found.items(), key=lambda kv: kv[1][0])]


class _Phrasings(_Screened):
    """A list of phrasings compiled only for a text that could hold one (a cold process would otherwise spend a
    fifth of a second on all of them).  Each phrasing needs a word of its key: of its tokens whose alternatives each
    hold a word that is not common (of ``common`` lists or :data:`_COMMON_WORDS`), the one whose words are rarest (a
    word of :data:`_FREQUENT_WORDS` or a short one counts as common).  A list with a phrasing that has no such token
    is compiled for every text."""

    def __init__(self, phrasings: str, source: str, fill: dict[str, list[str]], common: frozenset[str]) -> None:
        self.source = source  # with the lists' words in place of their names
        self.keys: frozenset[str] | None = frozenset()
        self.starts: tuple[str, ...] = ()
        for phrasing in (p for p in phrasings.split(";") if p.strip()):
            candidates = [alts for token in phrasing.split() if not re.fullmatch(r"~\d*", token)
                          if (alts := _token_words(token, fill, common)) is not None]
            if not candidates:
                self.keys = None
                break
            best = min(candidates, key=lambda words: sum(
                200 if w.rstrip("*") in _FREQUENT_WORDS else (3 if len(w.rstrip("*")) < 5 else 1) for w in words))
            self.keys |= {w for w in best if not w.endswith("*")}
            self.starts += tuple(w[:-1] for w in best if w.endswith("*"))
        self._pattern: re.Pattern | None = None

    @property
    def pattern(self) -> re.Pattern:
        if self._pattern is None:
            from .signature import compile_phrasings

            self._pattern = compile_phrasings(self.source)
        return self._pattern

    def could_hold(self, text: str) -> bool:
        if self.keys is None:
            return True
        words = re.findall(r"[\w']+", text)
        return bool(self.keys.intersection(words)) or bool(self.starts) and any(w.startswith(self.starts)
                                                                                 for w in words)

    _could_match = could_hold

    def _regex(self) -> re.Pattern:
        return self.pattern


#: Words too common to tell a phrasing by: a token holding one (or a word of a `common` list) is never its key.
_COMMON_WORDS = frozenset("""a an and are as at be but by can could did do does for from get has have how i if in is it
    its may my no not of on or our should so that the their them these they this those to u up us was we what whats
    when where which who why will with would you your""".split())
#: Words common in questions about photos: a key may hold them, at a cost (see :class:`_Phrasings`).
_FREQUENT_WORDS = frozenset("""work works run runs use need get make go keep one photo photos picture pictures image
    images file files""".split())


def _token_words(token: str, fill: dict[str, list[str]], common: frozenset[str]) -> list[str] | None:
    """For each alternative of a phrasing's token (``a|the_b|{list}|d*``), a word the text must hold for it: its first
    word not in :data:`_COMMON_WORDS` ("a", "b", each of the list's words', "d*": a beginning); None when one has none
    or is a `common` list, so that the token cannot be a key."""
    words = []
    for alt in token.split("|"):
        if alt.startswith("{") and alt.endswith("}"):
            if alt[1:-1] in common:
                return None
            alts = [w.replace(" ", "_") for w in fill[alt[1:-1]]]
        else:
            alts = [alt]
        for a in alts:  # a word of it the text must hold (the last one a beginning when it ends in "*")
            parts = a.split("_")
            rare = next((w for w in parts if w.rstrip("*") and w.rstrip("*") not in _COMMON_WORDS), None)
            if rare is None:
                return None
            words.append(rare if rare is parts[-1] else rare.rstrip("*"))
    return words


#: A file's name in quotes ("unsupported file type 'IMG_4471.PSD'"): a usage phrasing reads the name, not a quote.
_QUOTED_FILE = re.compile(r"""(?<!\w)['"“‘]([^\s'"”’]{1,100}\.[A-Za-z0-9]{2,4})['"”’](?!\w)""")


#: Quotation marks, straight or curly (an apostrophe inside a word is none).
_QUOTES = re.compile(r"[\"\u201c\u201d\u2018\u2019]|(?<!\w)'|'(?!\w)")


def _usage_text(text: str) -> str:
    """A message as usage phrasings read it: without its links (a link's ".jpg" names no file of the person's), as
    :func:`~scientist.signature.normalise` writes it (a file's name in quotes taken out of them first), and a file
    ending's dot a space ("does it support .NEF?", "IMG_2034.HEIC", "my own .safetensors")."""
    from .signature import normalise

    text = _QUOTED_FILE.sub(r" \1 ", re.sub(r"(?i)\b(?:https?://|www\.)\S+", " ", text))
    return re.sub(r"\.(?=(?:[a-z0-9]{2,4}|safetensors)\b)", " ", normalise(text))


#: A format's plural or spelling named as one ("jpegs", "jpg": JPEG), so that a message naming both says it once.
_FORMAT_KEY = {"jpg": "jpeg", "jpe": "jpeg", "jfif": "jpeg", "tif": "tiff", "hif": "heif", "bitmap": "bmp",
               "raws": "raw", "raw file": "raw", "raw files": "raw", "raw photo": "raw", "raw photos": "raw",
               "raw image": "raw", "raw images": "raw", "camera raw": "raw", "raw format": "raw", "raw formats": "raw",
               "jpeg xl": "jxl", "jpeg 2000": "jp2", "videos": "video", "live photos": "live photo",
               "fits file": "fits", "fits files": "fits", "fits image": "fits", "fits images": "fits",
               "fits format": "fits", "photo cd": "pcd", "kodak photo cd": "pcd"}


@functools.cache
def load_usage() -> Usage:
    """How a message asks about using the tool on a photo (``usage.yaml``, packaged), with the photo reader's own
    lists of file endings (:data:`~scientist.restore.filetypes.PHOTO_SUFFIXES`, ``RAW_SUFFIXES``)."""
    from .restore.filetypes import PHOTO_SUFFIXES, RAW_SUFFIXES
    from .signature import compile_phrasings  # the phrasings' grammar is the signature's

    path = data_path("corpus") / USAGE_FILE
    raw = read_yaml(path, "usage questions")
    if not isinstance(raw, dict):
        raise CorpusError(f"{path.name}: expected a mapping with 'words', 'topics', 'not_when' and format names")
    words, topics = raw.get("words"), raw.get("topics")
    lists = {key: raw.get(key, []) for key in ("other_formats", "read_names", "raw_names", "word_names")}
    if not (isinstance(words, dict) and all(isinstance(v, list) and v and all(isinstance(w, str) for w in v)
                                            for v in words.values())):
        raise CorpusError(f"{path.name}: expected 'words': a name -> a list of words")
    if not all(isinstance(v, list) and all(isinstance(w, str) for w in v) for v in lists.values()):
        raise CorpusError(f"{path.name}: expected lists of words under {', '.join(lists)}")
    read = sorted({s.lstrip(".") for s in PHOTO_SUFFIXES} | {w.lower() for w in lists["read_names"]})
    rawn = sorted({s.lstrip(".") for s in RAW_SUFFIXES} | {w.lower() for w in lists["raw_names"]})
    other = sorted({w.lower() for w in lists["other_formats"]} - set(read) - set(rawn))
    if any(f"{w.lower()} format" not in other for w in lists["word_names"]):
        raise CorpusError(f"{path.name}: each of 'word_names' needs its '<name> format' among 'other_formats'")
    spelt = "|".join(re.escape(w.upper()) for w in lists["word_names"]) or "(?!)"  # "FITS", or ".fits" in any case
    word_names = re.compile(rf"(?:\.(?i:(?P<dotted>{spelt.lower()}))|(?<![\w.])(?P<capitals>{spelt}))(?!\w)")
    plural = [n + "s" for n in read + other + rawn if not n.endswith("s")]  # "pdfs", "nefs"
    fill = {key: [str(w).lower() for w in v] for key, v in words.items()} | {
        "format": read + other + [p for p in plural if p[:-1] not in rawn], "raw": rawn + [p for p in plural
                                                                                             if p[:-1] in rawn]}

    def filled(phrasings: str, where: str, lazy: bool = True) -> _Phrasings | re.Pattern:
        def one(m: re.Match) -> str:
            if m.group(1) not in fill:
                raise CorpusError(f"{path.name}: {where} names {{{m.group(1)}}}, which 'words' does not list")
            return "|".join(w.replace(" ", "_") for w in fill[m.group(1)])

        if not isinstance(phrasings, str) or not phrasings.strip(";").strip():
            raise CorpusError(f"{path.name}: expected {where}: phrasings separated by ';'")
        source = re.sub(r"\{(\w+)\}", one, phrasings)
        return compile_phrasings(source) if not lazy else _Phrasings(phrasings, source, fill, COMMON_USAGE_LISTS)

    if not isinstance(topics, dict) or set(topics) != set(USAGE_TOPICS):
        raise CorpusError(f"{path.name}: expected 'topics': phrasings for each of {', '.join(USAGE_TOPICS)}")
    found = []
    for topic in USAGE_TOPICS:
        given = topics[topic] if isinstance(topics[topic], dict) else {"asks": topics[topic]}
        if not set(given) <= {"asks", "despite"}:
            raise CorpusError(f"{path.name}: the topic {topic!r} takes 'asks' and 'despite' only")
        despite = filled(given["despite"], f"the topic {topic!r}'s 'despite'") if "despite" in given else None
        # a topic of `despite` phrasings alone is read whatever else the message holds
        asks = filled(given.get("asks"), f"the topic {topic!r}") if "asks" in given or despite is None else None
        found.append((topic, asks, despite))
    found = tuple(found)
    names = [(n, "read") for n in read] + [(n, "raw") for n in rawn] + [(n, "other") for n in other]
    names.sort(key=lambda nv: -len(nv[0]))  # "raw files" before "raw", "jpeg xl" before "jpeg"
    return Usage(found, filled(raw.get("not_when"), "'not_when'", lazy=False),
                 filled(raw.get("named_frames"), "'named_frames'"), filled("{bits}", "'words' (bits)", lazy=False),
                 tuple(names), filled("{units}", "'words' (units)", lazy=False), word_names,
                 filled("{file}", "'words' (file)", lazy=False), filled("{weights}", "'words' (weights)", lazy=False),
                 filled("{licensing}", "'words' (licensing)", lazy=False),
                 filled("{tool}", "'words' (tool)", lazy=False))


@dataclass(frozen=True)
class ToolAsks:
    """How a message is about the tool itself rather than a question for its records (``tool_asks.yaml``)."""

    pattern: re.Pattern  # `asks`, searched in a text as :func:`~scientist.signature.normalise` writes it
    whole: re.Pattern  # `whole`, matched by a clause (as its plain words) but for filler around it
    whole_within: int  # the most words a message read by `whole` may hold
    alone: frozenset[str]  # words that ask for the introduction in a message that says nothing else ("help")
    social: frozenset[str]  # words that acknowledge, thank or take leave ("thanks", "ok cool", "bye")
    thanks: frozenset[str]  # those of them that thank
    filler: frozenset[str]  # words that may stand beside either
    itself: frozenset[str]  # words for the tool itself, not a model, after "this" ("this thing", "this ai")
    pleasantries: frozenset[str]  # greetings and the like, which a question's first or last clause may be alone
    others: re.Pattern  # another tool at work on the person's photos ("the AI made them bright")
    smalltalk: re.Pattern  # small talk, read as a whole clause ("how are you", "sorry, wrong window")
    help_asks: re.Pattern  # a call for help, read as a whole clause ("can you help me?")
    complaints: re.Pattern  # complaints about an answer, searched in a clause ("that didn't help")
    pasted: tuple[tuple[str, re.Pattern], ...]  # what text pasted by mistake looks like, and its spans
    requests: frozenset[str]  # words that make a message a question or request wherever they stand
    auxiliaries: frozenset[str]  # words that make a clause a question when they open it ("is there ...")
    around: frozenset[str]  # words that may stand around small talk or a call for help (`social`, `alone`, `around`)
    symptoms: frozenset[str]  # what a run came out like: in a command or a log line, the words of one who tells
    outcomes: frozenset[str]  # what a command, code or error line came to, or when: the words of one who tells

    def kind(self, message: str, known: Callable[[str], bool], written: str | None = None) -> str | None:
        """What ``message`` (as read: misspellings corrected) is when it is about the tool: ``tool``, ``social``,
        ``unreadable`` (see ``tool_asks.yaml``), else None.  ``known``: whether a word (lower case) is one the tool
        reads; ``written``: the message as typed, whose words are weighed (a misspelling's correction is no word of
        the writer's: "rty" read as "try", "Danke" as "dance"), each that no dictionary holds as the list's word it
        was typed for (:meth:`as_listed`: "thnaks", "helo"); the phrasings are read in the message as read."""
        from .signature import normalise

        typed = (w.strip("-") for w in plain_words(written or message).split())  # "--help"
        words = [w if known(w) else self.as_listed(w) for w in typed if w]
        if not words:
            if "?" in message:
                return "tool"
            return "social" if any(unicodedata.category(c) == "So" for c in message) else "unreadable"
        clauses = [ws for c in CLAUSE_END.split(message) if (ws := [w.strip("-") for w in plain_words(c).split()])]
        # "how does it work?" alone, or after a few words ("ok so how does this work?"), not after a story of
        # some other tool ("... the program makes a 3D room where I can walk. How it works?")
        whole = len(words) <= self.whole_within and any(self._whole(c) for c in clauses)
        if whole or self.pattern.search(normalise(message)):
            return "tool"
        # "how are you?", "that didn't help at all", "sorry, wrong window": small talk and complaints, each clause
        # one or words of the lists (not "that was useless. what about GANs?", which asks something)
        phatic = [self._phatic(c) for c in clauses]
        if all(phatic) and "help" in phatic:  # "hello how are you, can you help me"
            return "tool"
        if all(phatic) and {"smalltalk", "complaint"}.intersection(phatic):
            return "social"
        rest = [w for w in words if w not in self.filler]
        if not rest:  # "hello?", "hey you"; not "how?" nor "why?", which ask what they do not say
            return "tool" if self.alone.intersection(words) else None
        if all(w in self.social or w in self.alone for w in rest) and self.social.intersection(rest):
            return "social"
        if all(w in self.alone for w in rest):
            return "tool"
        if not any(_LETTER.search(w) and (known(w) or self._in_lists(w)) for w in words):
            return "unreadable"
        return None

    def _phatic(self, words: list[str]) -> str | None:
        """What a clause (its plain words) says when it asks nothing of the records: ``help`` (one of `help_asks`,
        but for words of `social`, `alone` and `around` around it), ``smalltalk`` (one of `smalltalk`, but for
        words of `social`, `alone` and `around` around it), ``complaint`` (one of `complaints`, and beside it no
        word that asks and none but words of the lists), ``words`` (nothing but words of the lists); else
        None."""
        if self._whole(words, pattern=self.help_asks, beside=self.around):
            return "help"
        if self._whole(words, pattern=self.smalltalk, beside=self.around):
            return "smalltalk"
        said = " ".join(words)
        rest = self.complaints.sub(" ", said).split() if self.complaints.search(said) else None
        # "not what I asked" holds "what", which asks nothing there; "I don't understand inpainting" and "tl;dr of
        # a long email thread" are no complaint
        if rest is not None and not _ASKING.intersection(rest) and all(self._in_lists(w) for w in rest):
            return "complaint"
        return "words" if all(self._in_lists(w) or self.as_listed(w) != w for w in words) else None

    def tone(self, message: str) -> str | None:
        """``complaint`` when a clause of ``message`` complains about an answer (`complaints`: "that didn't
        help"), else ``smalltalk`` when one is small talk (`smalltalk`: "how are you?"), else None."""
        said = {self._phatic(ws) for c in CLAUSE_END.split(message)
                if (ws := [w.strip("-") for w in plain_words(c).split()])}
        return next((t for t in ("complaint", "smalltalk") if t in said), None)

    def pasted_as(self, typed: str) -> str | None:
        """What ``typed`` (the message as typed, its lines kept) looks like when it is text pasted by mistake
        rather than a question (`pasted`: "a command", "code", "a file path"...): no part of it but the spans those
        patterns find holds a word (but for `filler`), none of its commands has more than two words beside its
        first two (but for `filler` and `social`), none of its commands and log lines holds a word of `symptoms`
        ("git clone takes forever") nor, with its code lines, of `outcomes` ("pip install torch error"), no word
        of it is one of `requests`, no clause of it (a line, or a sentence) opens with one of `auxiliaries` and,
        outside its links, it holds no question mark; None otherwise.  Words in capitals are not weighed as
        requests (SQL's ``WHERE``)."""
        opens = (ws[0] for c in re.split(r"[\n.!;:,]| --? ", typed) if (ws := plain_words(c).split()))
        if self.requests.intersection(_unshouted(typed)) or self.auxiliaries.intersection(opens):
            return None  # "git pull fails, how do I fix it", "Kind regards. Can you explain ...", "is there ...?"
        spans = {label: [m.span() for m in pattern.finditer(typed) if m.end() > m.start()]
                 for label, pattern in self.pasted}
        cover = bytearray(len(typed))
        for found in spans.values():
            for a, b in found:
                cover[a:b] = b"\x01" * (b - a)
        if not any(cover):
            return None
        patterns = dict(self.pasted)
        for line in patterns[PASTED_COMMAND].finditer(typed):  # "git push origin main", not "git log is empty"
            beside = [w for w in line.group(0).split()[2:] if w.isalpha() and w.lower() not in self.filler
                      and w.lower() not in self.social]
            if len(beside) > 2:
                return None

        def said_in(*labels: str) -> list[str]:  # a log's ERROR is its level, no outcome
            return _unshouted(" ".join(typed[a:b] for label in labels for a, b in spans[label]))

        told, coded = said_in(PASTED_COMMAND, PASTED_LOG), said_in(PASTED_CODE)
        if self.symptoms.intersection(told) or self.outcomes.intersection(told + coded):  # "[ERROR] faces plastic",
            return None  # "npm install fails", "pip install torch error", "... out of memory even with --tile 256"
        rest = "".join(" " if cover[i] else c for i, c in enumerate(typed))
        if "?" in patterns[PASTED_LINK].sub(" ", typed):
            return None
        words = plain_words(rest).split()
        if any(w not in self.filler for w in words):  # "~/scans/photo.png faded", "colorize ~/photos/x.jpg"
            return None
        return max(spans, key=lambda label: sum(b - a for a, b in spans[label]))

    def of_another_tool(self, message: str) -> bool:
        """Whether ``message`` tells of another tool at work on the person's photos (`others`: "the AI made them
        look bright", "the app removed the grain")."""
        from .signature import normalise

        return bool(self.others.search(normalise(message)))

    def _in_lists(self, word: str) -> bool:
        return word in self.social or word in self.alone or word in self.filler

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one ToolAsks, loaded once
    def as_listed(self, word: str) -> str:
        """``word`` as the word of `alone`, `thanks` or `social` it was typed for, when it is none of the lists'
        words itself: a letter held down ("hiii", "thxxx") or one slip ("thnaks", "helo", "halp", "tnx": two
        letters swapped, one left out, added or changed; for a word of 3 letters, swapped or changed only); else
        ``word``."""
        if len(word) < 3 or self._in_lists(word):
            return word
        for held in (re.sub(r"(.)\1{2,}", r"\1\1", word), re.sub(r"(.)\1+", r"\1", word)):
            if self._in_lists(held):
                return held
        letters = "abcdefghijklmnopqrstuvwxyz"
        swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
        changed = {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in letters}
        edits = swapped | changed if len(word) == 3 else swapped | changed | {
            word[:i] + word[i + 1:] for i in range(len(word))} | {
            word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters}
        meant = sorted(w for w in edits if w in self.social or w in self.alone)
        return meant[0] if meant else word

    def plain_part(self, text: str) -> str:
        """``text`` without the clauses at its start and end that say nothing but greetings and thanks (a word of
        `pleasantries` or `thanks`, the others of `filler`: "hi!", "thanks in advance"), so that they do
        not move what it is read as ("hi! how does it remove noise?" was read further from the records than "how
        does it remove noise?"); ``text`` as it is when nothing else is left."""
        bounds = [0, *(e for m in CLAUSE_END.finditer(text) for e in (m.start(), m.end())), len(text)]
        parts = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]

        def pleasant(a: int, b: int) -> bool:  # "hi there!", "thanks in advance"; not "how?", "why so?", "work?"
            words = [w.strip("-") for w in plain_words(text[a:b]).split()]
            said = [w for w in words if w in self.pleasantries or w in self.thanks]
            return bool(said) and not _ASKING.intersection(words) and all(
                w in said or w in self.filler for w in words)

        said = [i for i, (a, b) in enumerate(parts) if plain_words(text[a:b]) and not pleasant(a, b)]
        if not said:
            return text
        first, last = said[0], said[-1]
        return text[parts[first][0] : parts[last][1] + (1 if parts[last][1] < len(text) else 0)].strip()

    def _whole(self, words: list[str], around: int = 3, pattern: re.Pattern | None = None,
               beside: frozenset[str] | None = None) -> bool:
        """Whether ``words`` are one of `whole` (or of ``pattern``) but for up to ``around`` words of `filler` or
        `social` (or of ``beside``) before and after ("ok so how does this work")."""
        pattern = pattern or self.whole

        def around_words(w: str) -> bool:
            return w in beside if beside is not None else (w in self.filler or w in self.social)

        lead = next((i for i, w in enumerate(words[:around]) if not around_words(w)), min(around, len(words)))
        tail = next((i for i, w in enumerate(reversed(words[-around:])) if not around_words(w)),
                    min(around, len(words)))
        return any(pattern.fullmatch(" ".join(words[i : len(words) - j]))
                   for i in range(lead + 1) for j in range(tail + 1) if i < len(words) - j)


_LETTER = re.compile(r"[^\W\d_]")
#: The labels of tool_asks.yaml's `pasted` that :meth:`ToolAsks.pasted_as` reads by name.
PASTED_COMMAND, PASTED_CODE, PASTED_LOG, PASTED_LINK = "a command", "code", "an error message or a log", "a link"


def _unshouted(text: str) -> list[str]:
    """The plain words of ``text`` but for those written in capitals (SQL's ``WHERE``, a log's ``ERROR``)."""
    return plain_words(" ".join(w for w in text.split() if not (w.isupper() and len(w) > 1))).split()


#: Words that ask: a clause that holds one is never a mere greeting ("ok, how?").
_ASKING = frozenset({"how", "what", "whats", "why", "which", "who", "where", "when", "whose"})


@functools.cache
def load_tool_asks() -> ToolAsks:
    """How a message is about the tool itself (``tool_asks.yaml``, packaged)."""
    from .signature import compile_phrasings  # the phrasings' grammar is the signature's

    path = data_path("corpus") / TOOL_ASKS_FILE
    raw = read_yaml(path, "messages about the tool")
    keys = ("alone", "social", "thanks", "filler", "itself", "pleasantries")
    asks = raw.get("asks") if isinstance(raw, dict) else None
    whole = raw.get("whole") if isinstance(raw, dict) else None
    pattern = compile_phrasings(asks) if isinstance(asks, str) else None
    whole = compile_phrasings(whole) if isinstance(whole, str) else None
    lists = isinstance(raw, dict) and all(isinstance(raw.get(k), list) and all(isinstance(w, str) for w in raw[k])
                                          for k in keys)
    if pattern is None or whole is None or not lists:
        raise CorpusError(f"{path.name}: expected 'asks' and 'whole': phrasings separated by ';', and lists of "
                          f"words under {', '.join(keys)}")
    words = {k: frozenset(w.lower() for w in raw[k]) for k in keys}
    within = raw.get("whole_within")
    if not isinstance(within, int) or within < 1:
        raise CorpusError(f"{path.name}: expected 'whole_within': a whole number of words, 1 or more")
    phrasings = {}
    for key in ("others", "smalltalk", "help_asks", "complaints"):
        phrasings[key] = compile_phrasings(raw[key]) if isinstance(raw.get(key), str) else None
        if phrasings[key] is None:
            raise CorpusError(f"{path.name}: expected '{key}': phrasings separated by ';'")
    for key in ("requests", "auxiliaries", "around", "symptoms", "outcomes"):
        if not (isinstance(raw.get(key), list) and all(isinstance(w, str) for w in raw[key])):
            raise CorpusError(f"{path.name}: expected '{key}': a list of words")
    pasted = raw.get("pasted")
    if not (isinstance(pasted, dict) and pasted and all(
            isinstance(k, str) and isinstance(v, list) and v and all(isinstance(r, str) for r in v)
            for k, v in pasted.items())):
        raise CorpusError(f"{path.name}: expected 'pasted': what pasted text looks like -> a list of patterns")
    try:
        found = tuple((label, re.compile("|".join(f"(?:{r})" for r in rules), re.IGNORECASE | re.MULTILINE))
                      for label, rules in pasted.items())
    except re.error as exc:
        raise CorpusError(f"{path.name}: a pattern under 'pasted' is not a regular expression ({exc})") from None
    missing = [label for label in (PASTED_COMMAND, PASTED_CODE, PASTED_LOG, PASTED_LINK) if label not in pasted]
    if missing:
        raise CorpusError(f"{path.name}: 'pasted' needs the labels {', '.join(repr(m) for m in missing)}")
    return ToolAsks(pattern, whole, within, words["alone"], words["social"] | words["thanks"], words["thanks"],
                    words["filler"], words["itself"], words["pleasantries"], phrasings["others"],
                    phrasings["smalltalk"], phrasings["help_asks"], phrasings["complaints"], found,
                    frozenset(w.lower() for w in raw["requests"]), frozenset(w.lower() for w in raw["auxiliaries"]),
                    words["social"] | words["thanks"] | words["alone"] | {w.lower() for w in raw["around"]},
                    frozenset(w.lower() for w in raw["symptoms"]),
                    frozenset(str(w).lower() for w in raw["outcomes"]))


@functools.cache
def load_listing() -> Listing:
    """How a question asks what the corpus holds (``listing.yaml``, packaged)."""
    path = data_path("corpus") / LISTING_FILE
    raw = read_yaml(path, "listing words")
    keys = ("papers", "models", "records", "holders", "verbs", "commands", "plurals", "beside_named", "topics",
            "not_topics", "the", "owners")
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), list) and raw[k]
                                            and all(isinstance(w, str) for w in raw[k]) for k in keys):
        raise CorpusError(f"{path.name}: expected lists of words under {', '.join(keys)} (quote a word YAML reads "
                          "otherwise, such as \"on\")")

    def alt(*lists: str) -> str:
        return "(?:" + alternation(str(w).lower() for k in lists for w in raw[k]) + ")"

    def whole(pattern: str) -> re.Pattern:
        return re.compile(rf"(?<![\w-]){pattern}(?![\w-])")

    gap = r"(?: [\w-]+){0,%d}"
    noun = alt("papers", "models", "records")
    return Listing(whole(rf"{alt('holders')}{gap % 2} {alt('verbs')}"),
                   whole(rf"(?:(?:your|ur){gap % 2} {noun}|the {alt('the')}"
                         rf"|{alt('commands')}{gap % 3} {alt('plurals')})"),
                   whole(noun), whole(alt("papers")), whole(alt("models")), whole(alt("beside_named")),
                   whole(rf"{alt('topics')} (?:(?:the|a|an|my|your) )?(?!{alt('not_topics')}(?![\w-]))[\w-]+"),
                   whole(rf"{noun}{gap % 2} {alt('owners')}"),
                   tuple(sorted({str(w).lower() for k in keys for w in raw[k]})))


def load_context(folder: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The task families a corpus folder's questions are usually about, and those of another medium that a
    question must name something of to be about them (``context.yaml``'s ``context`` and ``other_media``; none
    without one)."""
    path = folder / CONTEXT_FILE
    if not path.is_file():
        return frozenset(), frozenset()
    raw = read_yaml(path, "context")
    families = raw.get("context") if isinstance(raw, dict) else None
    other = raw.get("other_media", []) if isinstance(raw, dict) else None
    if not isinstance(families, list) or not isinstance(other, list):
        raise CorpusError(f"{path.name}: expected a list of task families under 'context' (and under "
                          "'other_media', if given)")
    return frozenset(str(f) for f in families), frozenset(str(f) for f in other)


def load_tasks(path: Path | None = None) -> list[Task]:
    """The task taxonomy (the packaged one unless ``path`` is given), with its classifier examples.

    Examples and category codes come from ``task_examples.yaml`` beside the taxonomy,
    else from the packaged file (for the task ids both share).
    """
    path = path or data_path("corpus") / TASKS_FILE
    raw = read_yaml(path, "task taxonomy")
    examples_path = path.parent / EXAMPLES_FILE
    if not examples_path.is_file():
        examples_path = data_path("corpus") / EXAMPLES_FILE
    extra = read_yaml(examples_path, "task examples") if examples_path.is_file() else {}
    extra = extra.get("examples") if isinstance(extra, dict) else None
    extra = extra if isinstance(extra, dict) else {}
    try:
        phrasings = raw.get("phrasings") or {}
        tasks = []
        for item in raw["tasks"]:
            more = extra.get(item.get("id")) or {}
            item = {**item, "examples": more.get("questions") or [], "categories": more.get("categories") or []}
            if item.get("signature"):
                item["signature"] = _with_phrasings(item["signature"], phrasings)
            tasks.append(Task.model_validate(item))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CorpusError(f"{path.name}: cannot read the task taxonomy ({exc.__class__.__name__})") from None
    return tasks


def _with_phrasings(signature: dict, phrasings: dict) -> dict:
    """A task's ``signature`` with the phrasings of the names it uses (a name without phrasings is an error)."""
    own = {}
    for slot in ("gives", "does", "gets"):
        for entry in signature.get(slot) or []:
            for name in str(entry).split("+"):  # "photo+prompt": both given
                if name not in (phrasings.get(slot) or {}):
                    raise ValueError(f"no phrasings for {slot} {name!r}")
                own.setdefault(slot, {})[name] = str(phrasings[slot][name])
    return {**signature, "phrasings": own}


@dataclass
class Corpus:
    """Records and taxonomy, de-duplicated by id."""

    records: list[Record]
    tasks: list[Task]
    sources: list[str] = field(default_factory=list)
    vocabulary: frozenset[str] = field(default_factory=frozenset)
    #: families of the tasks people usually ask this corpus about (see ``context.yaml``)
    context: frozenset[str] = field(default_factory=frozenset)
    #: families of another medium, not asked about unless the question names something of theirs (``context.yaml``)
    other_media: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self._tasks_by_id = {t.id: t for t in self.tasks}
        #: normalised code, id, label or alias -> the tasks it names, in taxonomy order
        self._tasks_by_name: dict[str, list[str]] = {}
        for t in self.tasks:
            for name in dict.fromkeys(_norm(c) for c in [*t.categories, t.id, t.label, *t.aliases]):
                self._tasks_by_name.setdefault(name, []).append(t.id)
        seen: dict[str, Record] = {}
        unique = []
        for rec in self.records:
            if rec.id in seen:
                if seen[rec.id].links() != rec.links() or seen[rec.id].title != rec.title:
                    warnings.warn(f"duplicate record id {rec.id!r} from {rec.source}: kept the first", stacklevel=2)
                continue
            rec = self.with_known_tasks(rec)
            seen[rec.id] = rec
            unique.append(rec)
        self.records = unique
        self._by_id = seen
        self._allowed = None
        self._names_text: tuple[str, list[tuple[str, str]]] | None = None

    def with_known_tasks(self, rec: Record) -> Record:
        """``rec`` with its declared tasks read against the taxonomy: a task's label, alias or category code
        stands for the task, and a name the taxonomy does not know is dropped with a warning (the record is then
        classified from its text, as one that declares none)."""
        if all(t in self._tasks_by_id for t in rec.tasks):
            return rec
        read = {name: self.tasks_named(name) for name in rec.tasks}
        known = [t for ids in read.values() for t in ids]
        for name in (name for name, ids in read.items() if not ids):
            then = "left out" if known else "its tasks are read from its text instead"
            warnings.warn(f"{rec.id}: {self.unknown_task(name)}: {then}", stacklevel=3)
        return rec.model_copy(update={"tasks": list(dict.fromkeys(known))})

    def tasks_named(self, name: str) -> list[str]:
        """The task ids ``name`` stands for: itself when it is an id, else the tasks whose label, alias or category
        code it is (:meth:`category_tasks`); empty for a name the taxonomy does not know."""
        return [name] if name in self._tasks_by_id else self.category_tasks(name)

    def unknown_task(self, name: str) -> str:
        """A name the taxonomy does not know, said with the closest task id ("the taxonomy has no task 'x' (did
        you mean 'y'?)")."""
        close = difflib.get_close_matches(name, list(self._tasks_by_id), n=1)
        return f"the taxonomy has no task {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")

    def __len__(self) -> int:
        return len(self.records)

    def get(self, record_id: str) -> Record | None:
        return self._by_id.get(record_id)

    def task(self, task_id: str) -> Task | None:
        return self._tasks_by_id.get(task_id)

    def category_tasks(self, category: str | None) -> list[str]:
        """Task ids a catalog category names: tasks listing the code, or whose id, label or alias it is."""
        if not category:
            return []
        return list(self._tasks_by_name.get(_norm(category), ()))

    def allowed_urls(self) -> AllowedLinks:
        """Every link a record of this corpus carries: the only links an answer may show."""
        if self._allowed is None:
            from .guard import AllowedLinks

            self._allowed = AllowedLinks.of(u for r in self.records for u in r.links())
        return self._allowed

    def names_text(self) -> tuple[str, list[tuple[str, str]]]:
        """What a name is looked for in (:func:`~scientist.guard.names_in`): what every record writes
        (:meth:`~scientist.records.Record.written`), its id and every task's label as spaced words, and each
        record's (id, spaced title)."""
        if self._names_text is None:
            from .guard import _spaced

            text = _spaced(" ".join([f"{r.written()} {r.id}" for r in self.records] + [t.label for t in self.tasks]))
            self._names_text = text, [(r.id, _spaced(r.title)) for r in self.records]
        return self._names_text

    @functools.cached_property
    def figures(self) -> frozenset[tuple[str, float]]:
        """The figures the records write (titles, names, summaries, data sets, cards) as (kind, value): what grounds
        a figure in a text :func:`~scientist.guard.verify_text` checks."""
        from .guard import figures_in

        return figures_in(" ".join(r.written() for r in self.records))

    @functools.cached_property
    def figures_by_record(self) -> dict[str, frozenset[tuple[str, float]]]:
        """The figures each record writes (:attr:`figures`, record by record), by its id: what grounds a figure in
        a clause of a checked text that names records (:func:`~scientist.guard.verify_text`)."""
        from .guard import figures_in

        return {r.id: figures_in(r.written()) for r in self.records}

    @functools.cached_property
    def variants(self) -> dict[str, tuple[tuple[str, re.Pattern, frozenset[tuple[str, float]], re.Pattern | None],
                                          ...]]:
        """For each record whose title and other names hold two variants or more (told apart by more than case,
        spaces and hyphens: "MIMO-UNet" and "MIMO-UNet+"; "MIMOUNet" is "MIMO-UNet"), how a text names each
        variant and the figures the record writes beside it of the kinds it writes for two variants with
        different values ("MIMO-UNet+ (16.1 M parameters); MIMO-UNet has 6.8 M parameters"), as (name, pattern,
        figures, base): what a checked text must not swap (:func:`~scientist.guard.verify_text`).  A name that
        begins another variant's that has figures ("MIMO-UNet" of "MIMO-UNet+") may name them all: ``base`` is
        then how a text names it as the one variant (after a word of naming.yaml's ``base_words``: "the base
        MIMO-UNet"); None for the others.  A piece of the record's text (a sentence, or
        what a semicolon ends) that names no variant, or several, gives no variant its figures."""
        from .guard import figures_in

        out = {}
        for r in self.records:
            keys = {}
            for name in (r.title, *r.names):
                keys.setdefault(spelling_of(name), name)
            if len(keys) < 2:
                continue
            patterns = {k: variant_pattern(n) for k, n in keys.items()}
            beside: dict[str, set[tuple[str, float]]] = {}
            for _, line in r.lines():
                for part in re.split(r"(?<=[.!?;])\s", line):
                    said = [k for k, p in patterns.items() if p.search(part)]
                    if len(said) == 1:
                        beside.setdefault(said[0], set()).update(figures_in(part))
            values: dict[str, set[float]] = {}
            for figures in beside.values():
                for kind, value in figures:
                    values.setdefault(kind, set()).add(value)
            told = {kind for kind, vs in values.items() if len(vs) > 1}
            kept = {k: frozenset(f for f in fs if f[0] in told) for k, fs in beside.items()}
            # a name that begins another's ("MIMO-UNet" of "MIMO-UNet+") may stand for them all: "MIMO-UNet has
            # 16.1 million parameters" is said of the family; only the others name one variant
            family = {k for k in keys if any(o != k and o.startswith(k) and kept.get(o) for o in keys)}
            family.add(spelling_of(r.title))  # the record's title names it whole: "Deblur-MIMO-UNet-RealBlur | 16.1 M"
            if sum(bool(fs) for fs in kept.values()) >= 2:
                before = rf"{base_words_pattern()}[ \t]+(?:(?:model|network|version|variant)[ \t]+)?"
                out[r.id] = tuple((keys[k], patterns[k], fs, variant_pattern(keys[k], before) if k in family else None)
                                  for k, fs in kept.items())
        return out

    @functools.cached_property
    def naming(self) -> Naming:
        """How a checked text names records (by title, other names or title words: "the histopathology paper"),
        as a question's are read without its settings (:class:`~scientist.naming.Naming`)."""
        return Naming.of(self.records)

    @functools.cached_property
    def ordinary_words(self) -> frozenset[str]:
        """The words the tasks' example questions, descriptions and other names write in lower case: the words
        people use about photos, "selfie" and "colourising" among them, which a dictionary may lack but which are
        no names when a sentence opens with them (:func:`~scientist.guard.names_in`)."""
        texts = [s for t in self.tasks for s in (t.description, *t.aliases, *t.examples)]
        return frozenset(m.group(0) for text in texts for m in re.finditer(r"(?<![\w-])[a-z]{4,}(?![\w-])", text))

    def fingerprint(self) -> str:
        """A hash of the content that the index depends on."""
        h = hashlib.sha256()
        for rec in self.records:
            h.update(rec.model_dump_json(exclude={"source"}).encode())
        for task in self.tasks:
            h.update(task.model_dump_json().encode())
        return h.hexdigest()

    def with_cards_from(self, other: Corpus) -> Corpus:
        """Attach the model card, tasks and summary of ``other``'s record to ours that shares a link with it and
        has its name (its title or one of its names): a record that only shares a paper's link is not that
        paper's model, and is not described as it."""
        by_link = {u: r for r in other.records for u in r.links()}
        enriched = []
        for rec in self.records:
            match = next((by_link[u] for u in rec.links() if u in by_link and _same_name(rec, by_link[u])), None)
            if match is not None:
                update = {}
                if rec.card is None and match.card is not None:
                    update["card"] = match.card
                if not rec.tasks and match.tasks:
                    update["tasks"] = match.tasks
                if not rec.summary and match.summary:
                    update["summary"] = match.summary
                rec = rec.model_copy(update=update)
            enriched.append(rec)
        return Corpus(enriched, self.tasks, self.sources, self.vocabulary, self.context, self.other_media)


def with_packaged_cards(records: list[Record]) -> list[Record]:
    """A seed document's ``records`` as every command reads them (``ask --seed``, ``--corpus``, ``verify
    --corpus``, ``eval --corpus``): one that is a packaged record (a link and a name in common) takes what the seed
    cannot say of it, that record's summary and card (:meth:`Corpus.with_cards_from`).  The packaged corpus only
    enriches: unreadable, it adds nothing."""
    try:
        packaged = load_corpus(include_user=False)
    except Exception:  # noqa: BLE001 - the packaged corpus only enriches
        return records
    return Corpus(records, packaged.tasks).with_cards_from(packaged).records


def _names(rec: Record) -> set[str]:
    """A record's names as compared (:func:`~scientist.ingest._norm`; case-folded where that leaves nothing)."""
    return {_norm(n) or n.casefold() for n in (rec.title, *rec.names)} - {""}


def _same_name(a: Record, b: Record) -> bool:
    return bool(_names(a) & _names(b))


def _files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _RECORD_SUFFIXES
                  and p.name not in NOT_RECORDS and not p.name.startswith("."))


def load_corpus(path: str | Path | None = None, *, include_user: bool = True,
                settings: Settings | None = None) -> Corpus:
    """Load a corpus.

    With no ``path``: the packaged records plus those added by the user.  With
    a folder: every record file in it (its own ``tasks.yaml`` and ``vocabulary.yaml``
    if present).  With a file: the records of that one catalog or seed document.
    """
    tasks_path = vocabulary_path = None
    context: frozenset[str] = frozenset()
    other_media: frozenset[str] = frozenset()
    if path is None:
        folder = data_path("corpus")
        files = _files_in(folder)
        context, other_media = load_context(folder)
        udir = (settings or load_settings()).user_dir / "corpus"
        if include_user and udir.is_dir():
            files += _files_in(udir)
    else:
        p = Path(path)
        try:
            is_dir = stat.S_ISDIR(p.stat().st_mode)
        except FileNotFoundError:
            raise CorpusError(f"{shown(p)}: no such corpus file or folder") from None
        except OSError as exc:
            raise CorpusError(f"{shown(p)}: cannot read ({os_reason(exc)})") from None
        if is_dir:
            files = _files_in(p)
            if (p / TASKS_FILE).is_file():
                tasks_path = p / TASKS_FILE
            if (p / VOCABULARY_FILE).is_file():
                vocabulary_path = p / VOCABULARY_FILE
            context, other_media = load_context(p)
        else:
            files = [p]
    records: list[Record] = []
    for f in files:
        recs = load_records(f)
        records += with_packaged_cards(recs) if path is not None and is_seed_file(f) and recs else recs
    return Corpus(records, load_tasks(tasks_path), [str(f.name) for f in files], load_vocabulary(vocabulary_path),
                  context, other_media)


def add_to_user_corpus(files: list[Path], settings: Settings | None = None) -> list[Record]:
    """Validate catalog or seed files and store their records in the user corpus.

    All or nothing: every file is read and checked before any is stored, so that a bad second file leaves the
    first unstored too, and a file that cannot be written (a full disk) takes the ones written before it away.
    Two additions at once take turns (a lock beside the stored records): each reads what the other stored, so
    that neither stores a record the other did.
    """
    settings = settings or load_settings()
    folder = settings.user_dir / "corpus"
    with _corpus_lock(folder):
        corpus = load_corpus(settings=settings)
        planned = _records_to_add(files, corpus)
        added: list[Record] = []
        written: list[Path] = []
        try:
            for f, fresh, text in planned:
                target = folder / f"{Path(f).stem}.yaml"
                n = 1
                while target.exists():
                    n += 1
                    target = target.with_name(f"{Path(f).stem}-{n}.yaml")
                write_atomic(target, text.encode())
                written.append(target)
                added += fresh
        except OSError as exc:  # the data folder is a file, read-only, on a full disk ...: none stays stored
            for path in written:
                path.unlink(missing_ok=True)
            raise _cannot_store(folder, exc) from None
    return added


def _cannot_store(folder: Path, exc: OSError) -> OutputError:
    return OutputError(f"{shown(folder)}: cannot store the records there ({os_reason(exc)}); set SCIENTIST_HOME to a "
                       "folder you can write")


#: How long `corpus add` waits for another to finish adding (seconds).
CORPUS_LOCK_SECONDS = 600


@contextmanager
def _corpus_lock(folder: Path) -> Iterator[None]:
    """Held while the user corpus is read and added to (a file lock beside its folder)."""
    from filelock import FileLock, Timeout

    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder.parent / "corpus.lock"), timeout=CORPUS_LOCK_SECONDS)
        lock.acquire()
    except Timeout:  # an OSError too: said apart, it is no fault of the folder
        raise OutputError(f"{shown(folder)}: another `scientist corpus add` has been adding records there for "
                          f"{CORPUS_LOCK_SECONDS // 60} minutes; try again once it has finished") from None
    except OSError as exc:
        raise _cannot_store(folder, exc) from None
    try:
        yield
    finally:
        lock.release()


def _records_to_add(files: list[Path], corpus: Corpus) -> list[tuple[Path, list[Record], str]]:
    """Each file's records that are new to ``corpus`` (and to the files before it), as the YAML they are stored
    as; warns of the records left out.  Raises :class:`CorpusError` for a file that cannot be read, or holds
    no records, before anything is stored."""
    existing = {r.id for r in corpus.records}
    # a record named as one of the corpus is refused: an answer would show two records of one name, and a
    # catalog could pass its own links off as a known model's
    named = {n: r.id for r in corpus.records for n in _names(r)}
    links = {r.id: set(r.links()) for r in corpus.records}
    planned = []
    for f in files:
        recs = load_records(f)
        if not recs:
            raise CorpusError(f"{shown(f)}: holds no records")
        fresh: list[Record] = []
        ids: set[str] = set()
        for r in recs:
            r = corpus.with_known_tasks(r)
            twin = next((named[n] for n in _names(r) if n in named), None)
            if r.id in existing:
                warnings.warn(f"{r.id}: already in the corpus, not added again", stacklevel=3)
            elif r.id in ids:
                warnings.warn(f"{r.id}: more than once in {shown(Path(f).name)}: the first kept", stacklevel=3)
            elif twin is not None and set(r.links()) & links.get(twin, set()):  # the same record, by name and link
                warnings.warn(f"{r.id}: already in the corpus as {twin}, not added again", stacklevel=3)
            elif twin is not None:
                warnings.warn(f"{r.id}: the corpus has a record of the same name ({twin}), not added; give it a "
                              "name of its own", stacklevel=3)
            else:
                fresh.append(r)
                ids.add(r.id)
                named.update((n, r.id) for n in _names(r))
                links[r.id] = set(r.links())
        if not fresh:
            continue
        payload = {"records": [r.model_dump(exclude_none=True, exclude={"source"}) for r in fresh]}
        text = yaml.safe_dump(payload, sort_keys=False, allow_unicode=True)
        parse_catalog(text, "yaml", f"{Path(f).stem}.yaml")  # round-trips before it is written
        existing.update(r.id for r in fresh)
        planned.append((f, fresh, text))
    return planned

