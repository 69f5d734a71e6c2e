"""Question -> answer: :class:`Scientist`, a thin façade over the parts that make an answer.

The flow of :meth:`Scientist.ask`: clean the question (:mod:`.guard`), embed it
(:mod:`.embed`), score it against tasks and records (:mod:`.index`), decide the
task, each record's relevance and the scope (:mod:`.judge`), pick the workflow
(:mod:`.workflow`), render (:mod:`.render`) and strip foreign links (:mod:`.guard`).
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import numpy as np

from . import judge
from .answer import Answer, Correction, Evidence, Fact, LanguageInfo, Reference, TaskGuess, TaskResult
from .corpus import (
    WORD,
    Corpus,
    Figure,
    Place,
    load_corpus,
    load_figures,
    load_listing,
    load_photo_asks,
    load_places,
    load_respellings,
    load_tool_asks,
    load_usage,
    plain_words,
    without_alone_pointers,
)
from .embed import Embedder
from .errors import CorpusError, OptionError
from .guard import (
    REMOVED,
    bare_form,
    clean_question,
    find_urls,
    link_key,
    name_links,
    names_in,
    opens_sentence,
    strip_foreign_urls,
    verify_text,
)
from .index import Index
from .language import detect as detect_language
from .naming import CLAUSE_END, Mention, Naming, every_words, model_words, says_nothing_else, variant_pattern
from .records import Record, Task, split_sentences
from .render import Renderer
from .restore.constants import BUNDLED_LABEL, load_constants
from .restore.options import RestoreOptions, as_path, unknown_option
from .settings import ConfigError, Settings, load_settings
from .signature import Reading as SignatureReading
from .signature import normalise
from .spelling import Speller, word_counts
from .views import Queries
from .workflow import demo_record, demo_workflow, workflow_for

if TYPE_CHECKING:
    from .restore.record import Demo

T = TypeVar("T")

#: How many words on either side of "the model" a name stops it naming the corpus's only model.
NAME_REACH = 3
#: Most words beyond the figure's own a question may hold for its task not to be judged before it is read as
#: asking about the corpus's only model ("how deep is the network, really?"; not "how big is the neural network in a
#: self-driving car?"), words that say nothing of their own aside ("where can I download the weights?": "where",
#: "can", "I": :func:`~scientist.naming.says_nothing_else`).
FIGURE_ONLY_MAX = 2
#: Most words a question that names no model may hold for it to be read as a follow-up asking a figure of the
#: corpus's only model ("and how many parameters?": :meth:`Scientist._bare_figures`).
BARE_MAX = 12
#: How close a question's vector must come to one step of the corpus's only model's card (cosine), and by how
#: much more than to any other step, for the question to be read as asking about that step ("after the network
#: runs, is the output cropped back to the original size?" is step 8): :meth:`Scientist._steps_meant`.  Chosen on
#: the first blind set of questions about parts of the network (``tests/data/parts-blind.yaml``, BENCHMARKS.md); a
#: margin of 0.05, not 0.03, keeps "explain like im 5 what the network did to my photo" (0.52 of step 8, 0.49 of
#: step 2) general.
STEP_COSINE_MIN = 0.5
STEP_MARGIN_MIN = 0.05
#: The cosine a question that points at no model at all must reach for a step of the network itself (its card's
#: stage ``model``) to make it about the only model (the less it says, the more it has to show: "how do I pad my
#: photo to a square?" comes to 0.50 of step 3).
STEP_COSINE_ALONE = 0.55
#: The cosine at which a question that asks only about a part of the network the record speaks of comes close
#: enough to a step that speaks of that part for the two to agree (:meth:`Scientist._part_meant`): without it,
#: "is it dishonest to pad my resume?" would be read as asking about the only model's padding.
STEP_COSINE_PART = 0.45
#: Questions whose closest step :meth:`Scientist._steps_meant` keeps (one is read several times while it is
#: answered), and question texts whose vectors :meth:`Scientist._encode` keeps.
QUESTIONS_KEPT = 256


#: Camera RAW endings a usage answer names (of the reader's whole list).
_RAW_SHOWN = (".dng", ".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf", ".rw2")


class _Reading(NamedTuple):
    """A question as the tool reads it (:meth:`Scientist._read`)."""

    q: str  # the clean question
    language: LanguageInfo
    read: str | None  # as classified: misspelt words read as the vocabulary's, titles beside the names of records
    plain: str | None  # the same before any title was put beside a name
    fixes: list[tuple[str, str]]  # misspelt words and the words they were read as
    mentions: list[Mention]  # the records it names by more than their exact titles, or "the model" as the only one
    scored: tuple | None = None  # Scientist._score of ``plain``, when the only-model reading needed it


def _named_beside(question: str, mention: Mention, unknown: list[str], vocabulary: frozenset[str]) -> bool:
    """Whether a name stands within :data:`NAME_REACH` words of ``mention``'s words in ``question``: one of the
    ``unknown`` names (:func:`~scientist.guard.names_in`), or a capitalised word that opens no sentence and is not in
    ``vocabulary`` ("the network that Samsung uses" is Samsung's; "the model on a Raspberry Pi, with 4 GB of RAM"
    is still the corpus's: "Raspberry" is four words away)."""
    start = mention.end - len(mention.words)
    before = list(WORD.finditer(question, 0, start))[-NAME_REACH:]
    after = list(WORD.finditer(question, mention.end))[:NAME_REACH]
    unknown = {n.casefold() for n in unknown}
    return any(m.group().casefold() in unknown or _a_name(question, m, vocabulary) for m in before + after)


def _a_name(question: str, word: re.Match, vocabulary: frozenset[str]) -> bool:
    """Whether ``word`` (a match of :data:`WORD` in ``question``) is capitalised, opens no sentence and is not in
    ``vocabulary`` (nor "I"): a name ("Samsung", "Topaz")."""
    w = word.group()
    return w[0].isupper() and w not in vocabulary and w != "I" and not opens_sentence(question, word.start())


def _names_something(question: str, vocabulary: frozenset[str]) -> bool:
    """Whether ``question`` holds a name anywhere (:func:`_a_name`): "Does Topaz Photo AI also cut large images into
    tiles?" names another tool, whose parts are its own."""
    return any(_a_name(question, m, vocabulary) for m in WORD.finditer(question))


def _said_only(question: str, items: Sequence[T], strip: Callable[[T, str], str]) -> list[T]:
    """The ``items`` (figures, places of links) that ``question`` names when it says nothing else: ``strip(item,
    text)`` takes an item's words out of the question's plain words, and what is left must say nothing of its own
    (:func:`~scientist.naming.says_nothing_else`), in a question of at most :data:`BARE_MAX` words."""
    text = plain_words(question)
    if len(text.split()) > BARE_MAX:
        return []
    found, left = [], list(items)
    while left:  # the item whose words take most of the question first: "batch size" before "size"
        rests = [(len(text) - len(rest), i, rest) for i, item in enumerate(left) if (rest := strip(item, text)) != text]
        if not rests:
            break
        _, i, text = max(rests, key=lambda r: (r[0], -r[1]))
        found.append(left.pop(i))
    found.sort(key=list(items).index)
    return found if found and says_nothing_else(text.split()) else []


def _as_asked(figures: list[Figure], question: str) -> list[Figure]:
    """``figures`` as ``question`` asks for them: a figure of steps, one for each step it names ("explain step 3",
    "steps 2 and 9": a card of 8 steps gives the one and lacks the other); a figure of parts, one for each part it
    names ("what do the encoder and the decoder do?")."""
    plain = plain_words(question)
    return [g for f in figures for g in ([f.for_step(n) for n in f.asked_steps(plain)]
                                         or [f.for_part(p) for p in f.asked_parts(plain)]
                                         or ([] if f.parts else [f]))]


def _numbered(question: str) -> bool:
    """Whether ``question`` asks for a step of a workflow by its number ("explain step 3"), not by what it says."""
    return any(f.asked_steps(plain_words(question)) for f in load_figures())


def _of_steps() -> Figure | None:
    """The figure of a workflow's steps (``{step}`` in figures.yaml), if there is one."""
    return next((f for f in load_figures() if f.of_steps), None)


def _of_parts() -> Figure | None:
    """The figure of a network's parts (``{part}`` in figures.yaml), if there is one."""
    return next((f for f in load_figures() if f.parts), None)


def _pointed(mentions: list[Mention]) -> frozenset[int]:
    """The records of ``mentions`` named only as the model the question means ("the model", "it", no word at all,
    the photo's network): not named by the question itself."""
    return frozenset(m.record for m in mentions if m.sole or m.photo or m.every)


def _weights_tasks(raw: dict) -> dict:
    done = raw["done"]
    return {"bundled": frozenset(raw["bundled"]), "published": frozenset(raw["published"]),
            "done": {"brightened": str(done["brightened"]), "brightened_above": float(done["brightened_above"]),
                     "bundled": str(done["bundled"]), "published": str(done["published"]),
                     "negligible_below": float(done["negligible_below"]), "beyond_ratio": float(done["beyond_ratio"])}}


def demo_tasks(bundled: bool) -> frozenset[str]:
    """The tasks the demo's network does with the bundled weights, or with published ones
    (``scientist/weights/tasks.json``)."""
    return load_constants(_weights_tasks, "tasks.json")["bundled" if bundled else "published"]


def brightened(demo: Demo) -> bool:
    """Whether ``demo``'s brightness step raised its photo's level (by more than ``tasks.json``'s
    ``done.brightened_above``)."""
    return demo.gain > load_constants(_weights_tasks, "tasks.json")["done"]["brightened_above"]


def network_task(demo: Demo) -> str:
    """The task of the taxonomy ``demo``'s network does with the weights that ran (``tasks.json``'s ``done``)."""
    return load_constants(_weights_tasks, "tasks.json")["done"]["bundled" if demo.weights == BUNDLED_LABEL
                                                                else "published"]


def done_tasks(demo: Demo) -> list[str]:
    """The tasks of the taxonomy ``demo`` ran on its photo, in order (``tasks.json``'s ``done``): low-light
    enhancement when its brightness step raised the level by more than ``brightened_above``, then the network's
    task by the weights that ran (how much of its change was kept, none or next to none, is the note's to say)."""
    brightening = load_constants(_weights_tasks, "tasks.json")["done"]["brightened"]
    return [brightening, network_task(demo)] if brightened(demo) else [network_task(demo)]


def network_change(demo: Demo) -> str:
    """What came of the network's change on ``demo``'s photo (``tasks.json``'s ``done``), as kept (its strength times
    what it would take away at fine scales, 0-255): ``none`` (strength 0), ``negligible`` (less than
    ``negligible_below``), ``beyond`` (more than ``beyond_ratio`` times the noise it saw: fine texture went with the
    noise) or ``noise`` (also when the photo was too small for its noise to be read)."""
    done = load_constants(_weights_tasks, "tasks.json")["done"]
    kept = demo.strength * demo.noise_removed  # what stayed of it in the restored image
    if demo.strength <= 0:
        return "none"
    if kept < done["negligible_below"]:
        return "negligible"
    if demo.noise_brightened is None:  # too small to read its noise: nothing to weigh the change against
        return "noise"
    return "beyond" if kept > done["beyond_ratio"] * demo.noise_brightened else "noise"


def _asks_link(question: str) -> bool:
    """Whether ``question`` (as read: a place's ``read_as`` words in place of its name) names a place of links
    (``links.yaml``: "is the model on GitHub?")."""
    return any(p.named_in(question) for p in load_places())


#: Shortest exact title or name read as naming a record in a figure's words (as :meth:`Naming.exact_names` reads).
EXACT_NAME_MIN = 3
#: Most records an answer lists when a question asks what the corpus holds (``scientist corpus list`` lists all).
LIST_MAX = 20
#: The most tasks an answer about the tool names (those most of the corpus's records are about).
ABOUT_TASKS = 6
#: Uses in the English word list (``pyspellchecker``'s counts) from which a word is common: "sit" 437,252, "hmm"
#: 50, "qwerty" 50, "dolor" 69.
COMMON_WORD = 500
#: Path segments a record's link needs for a link under it to name the record ("github.com/owner/repo").
LINK_DEPTH = 2
#: Most lines of one record quoted for one figure or fact a question asks for.
FACT_LINES = 3

__all__ = ["Scientist"]

#: What :meth:`Scientist.warm_up` asks (the seed question, shortened).
WARM_UP_QUESTION = "How does it reduce noise?"


class Scientist:
    """Answers questions from a restricted corpus.  Construct once, reuse; thread-safe.

    ``corpus``: a folder, a catalog, a seed document or a :class:`Corpus` (default: the
    packaged corpus plus user additions).  ``settings`` (default: :func:`load_settings`,
    i.e. ``SCIENTIST_*`` variables and ``$SCIENTIST_CONFIG``); ``cache_dir`` and
    ``device`` override the matching settings; ``weights``, a weights file for the demo.
    """

    def __init__(
        self,
        corpus: str | Path | Corpus | None = None,
        *,
        cache_dir: str | Path | None = None,
        weights: str | Path | None = None,
        device: str | None = None,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        if settings is not None and not isinstance(settings, Settings):
            raise OptionError("settings must be a Settings (load_settings() reads them), "
                              f"not {type(settings).__name__}")
        if corpus is not None and not isinstance(corpus, Corpus):
            as_path(corpus, "the corpus (a folder, catalog or seed, or a Corpus)")
        if weights is not None:
            as_path(weights, "the weights")
        settings = settings or load_settings()
        overrides = {"cache": as_path(cache_dir, "the cache folder") if cache_dir is not None else None,
                     "device": device}
        self.settings = settings.updated(**{k: v for k, v in overrides.items() if v is not None})
        self.weights = weights
        cache = self.settings.cache_dir
        self.embedder = embedder or Embedder(cache_dir=cache, backend=self.settings.embed_backend)
        self.renderer = Renderer(cache=cache)
        self._corpus_arg = corpus
        self._corpus: Corpus | None = corpus if isinstance(corpus, Corpus) else None
        self._index: Index | None = None
        self._lock = threading.RLock()
        self._positions: dict[str, int] | None = None
        self._links: dict[str, Record] | None = None
        self._names: Naming | None = None
        self._speller: Speller | None = None
        self._exact_names: re.Pattern | None = None  # the records' titles and names, as plain words
        self._step_vectors: np.ndarray | None = None  # the only model's card's steps, embedded (:meth:`_steps_meant`)
        self._vectors: dict[str, np.ndarray] = {}  # the last texts embedded for questions (:meth:`_encode`)
        self._steps_read: dict[str, tuple[float, float, int]] = {}  # questions read so (:meth:`_steps_meant`): the
        # best step's cosine, its margin over the next and its number
        self._link_keys: list[tuple[str, str, Record]] | None = None  # Scientist._own_link's

    # ------------------------------------------------------------- loading
    @property
    def corpus(self) -> Corpus:
        with self._lock:
            if self._corpus is None:
                self._corpus = load_corpus(self._corpus_arg, settings=self.settings)
            return self._corpus

    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = Index.open(self.corpus, self.embedder, self.settings.cache_dir, self.settings)
            return self._index

    @classmethod
    def from_seed(cls, path: str | Path, **kwargs) -> tuple[Scientist, str]:
        """A scientist restricted to a seed document's records, and the seed's question.

        Records that are packaged ones (a link and a name in common) borrow their card and summary, as
        :func:`~scientist.corpus.load_corpus` reads a seed (:func:`~scientist.corpus.with_packaged_cards`).
        """
        from .corpus import load_tasks, load_vocabulary, with_packaged_cards
        from .ingest import read_seed

        seed = read_seed(as_path(path, "the seed"))
        if not seed.records:  # answered from nothing, every question would be "the corpus is empty"
            raise CorpusError(f"{seed.source}: holds no records (expected 'Model:' or 'Paper:' lines under a "
                              "'Recommended AI Models' or 'Related Papers' heading)")
        own = Corpus(with_packaged_cards(seed.records), load_tasks(), [seed.source], load_vocabulary())
        return cls(own, **kwargs), seed.question

    # --------------------------------------------------------------- parts
    def _score(self, q: str) -> tuple[np.ndarray, dict[str, float], np.ndarray, list[int]]:
        """A clean question's vector, its task distribution, its cosine to every record and the records it names."""
        index, settings = self.index, self.settings
        # what the classifier and the embedder read of it: not its greetings and thanks ("hi! how does ...?")
        read = load_tool_asks().plain_part(q[: settings.max_question_chars])
        signature = index.view("signature")
        ask = signature.final_ask(read) if signature is not None and settings.ask_weight else None
        vecs = self._encode([read, ask] if ask else [read])  # one batch: the ask costs little more
        qvec = vecs[0]
        named = self._naming().find(q)  # on the question as read: a title put beside its name is found again
        asks = [(ask, vecs[1]) if ask else None]
        probs = index.classify(Queries([read], qvec[None, :], named=[named], asks=asks), settings)[0]
        return qvec, probs, index.cosines(qvec), named

    def _clean(self, question: object) -> str:
        """The question as it is read: its first ``max_question_chars`` characters, normalised, a record's own
        link read as the record's title (so that it names the record), other links removed."""
        if isinstance(question, str):
            question = name_links(question[: self.settings.max_question_chars], self.corpus.allowed_urls(),
                                  lambda link: f'"{own[1].title}"' if (own := self._own_link(link)) else None)
        return clean_question(question, self.settings.max_question_chars)

    def _linked_records(self) -> dict[str, Record]:
        """Each link a record carries -> the record (the first, where two carry one); made once."""
        with self._lock:
            if self._links is None:
                links: dict[str, Record] = {}
                for r in self.corpus.records:
                    for u in r.links():
                        links.setdefault(u, r)
                        links.setdefault(bare_form(u), r)  # written without its scheme
                self._links = links
            return self._links

    def _own_link(self, link: str) -> tuple[str, Record] | None:
        """The record link ``link`` is, or lies under (:func:`~scientist.guard.link_key`: a page of its code's
        repository, ``github.com/owner/repo.git``; a record's link of fewer than :data:`LINK_DEPTH` path segments
        has nothing under it), with its record."""
        records = self._linked_records()
        if link in records:
            return link, records[link]
        key = link_key(link)
        with self._lock:
            if self._link_keys is None:
                self._link_keys = sorted(((k, u, r) for u, r in records.items() if u.lower().startswith("http")
                                          and (k := link_key(u)).count("/") >= LINK_DEPTH),
                                         key=lambda t: -len(t[0]))  # the longest a link lies under first
        return next(((u, r) for k, u, r in self._link_keys if key == k or key.startswith(k + "/")), None)

    def _read(self, question: object) -> _Reading:
        """The question as the tool reads it (:class:`_Reading`; ``read`` is None when the tool does not read it:
        :meth:`_reads`): its misspelt words read as the vocabulary's when the ``spelling`` setting says so, and a
        record it names by part of its title followed by the title in brackets (:meth:`Naming.expand`), or, when
        it names none, "the model" of a question that asks a figure of it as the corpus's only model
        (:meth:`_only_model`); a place of links whose name means something else read as ``links.yaml`` says
        ("Hugging Face" as "model-hub")."""
        q = self._clean(question)
        language = detect_language(q)
        if not self._reads(language):
            return _Reading(q, language, None, None, [], [])
        said = q
        for place in load_places():  # "Hugging Face" is no face
            said = place.read(said)
        plain, fixes = self._spelling().correct(said) if self.settings.spelling else (said, [])
        read, mentions = self._naming().expand(plain)
        if mentions:
            return _Reading(q, language, read, plain, fixes, mentions)
        read, mentions, scored = self._only_model(plain)
        return _Reading(q, language, read, plain, fixes, mentions, scored)

    def _only_model(self, read: str) -> tuple[str, list[Mention], tuple | None]:
        """``read`` as asking about the corpus's only model (:meth:`Naming.sole_mention`: "how many parameters
        does the model have?"), with its title beside the words that name it, unless a name stands beside those
        words (:func:`_named_beside`) or the question read as it is is about a task that model does not address
        with a confidence of ``only_model_unless`` or more ("self-driving cars box pedestrians in real time: how
        is it so fast?" is about object detection).  A question that says little but the figure it asks for ("how
        deep is the network?": :data:`FIGURE_ONLY_MAX`) is not judged so: its task is its figure's words; nor is
        one that names no model and says nothing but a figure's words (:meth:`_bare_figures`: "who are the
        authors?"), read as a follow-up about that model.  Also
        :meth:`_score` of ``read`` when it was needed.
        :meth:`_settle` undoes the reading when the answer, read so, does not rely on that model."""
        naming = self._naming()
        mention = naming.sole_mention(read)
        every = naming.every_paper(read) if mention is None else []
        if every:  # "who wrote the papers?": each of the corpus's papers
            return naming.beside(read, every), every, None
        if mention is None and naming.sole is not None and (self._bare_figures(read) or self._bare_places(read)):
            mention = Mention(naming.sole, "", len(read), sole=True)
            return naming.beside(read, [mention]), [mention], None
        unknown = names_in(self.corpus, read)[0]
        asked = self._asked_figures(read)
        of_network = bool(asked) and all(f.part or f.step is not None for f in asked)  # parts or steps only
        parts_only = of_network and not _numbered(read)
        if mention is not None and unknown and of_network:
            # "how does SwinIR pad the image to fit its window?": a part of the model it names
            return read, [], None
        card = self.corpus.records[naming.sole].card if naming.sole is not None else None
        if (mention is None and naming.sole is not None and asked and not unknown and not naming.find(read)
                and not naming.points_elsewhere(read) and self._sole_figures(read)):
            # "which paper is this from?": the only model's own paper (not "who made the AI in my phone?")
            mention = Mention(naming.sole, "", len(read), sole=True)
        elif (mention is None and card is not None and not unknown and not naming.exact_names(read)
                and not _names_something(read, self.corpus.vocabulary)
                and any(card.workflow[n - 1].stage == "model" for n in self._steps_meant(read, STEP_COSINE_ALONE))):
            # "the features of the small copies are multiplied in where?": a step of the network itself asked by
            # what it says, the model by no word (not the steps around it: "make one photo of a bright and a dark
            # one" comes near the brightness step, and asks about HDR imaging)
            mention = Mention(naming.sole, "", len(read), sole=True)
        elif mention is None or _named_beside(read, mention, unknown, self.corpus.vocabulary):
            return read, [], None
        record = self.corpus.records[mention.record]
        if parts_only and any(f.part and f.lines(record) for f in asked) and not self._part_meant(read, asked):
            return read, [], None  # "is it dishonest to pad my resume?": the words of a part, not its meaning
        of_parts = _of_parts()
        if parts_only and of_parts is not None and of_parts.others.search(plain_words(read)):
            return read, [], None  # "what does the decoder in a transformer predict?": another network's part
        scored = None
        beyond = self._beyond_figures(read)
        if len([w for w in beyond if not says_nothing_else([w])]) > FIGURE_ONLY_MAX:
            scored = self._score(read)
            if self._elsewhere(scored, record):  # unless the clauses that ask a fact of it say otherwise alone
                focus = self._focus(read, mention)
                if focus is None or self._elsewhere(self._score(focus), record):
                    return read, [], scored
        return naming.beside(read, [mention]), [mention], scored

    def _elsewhere(self, scored: tuple, record: Record) -> bool:
        """Whether a text (its :meth:`_score`, ``scored``) is about a task ``record`` does not address, with a
        confidence of ``only_model_unless`` or more."""
        qvec, probs, _, _ = scored
        task = judge.classify(probs, self.index.tasks.cosines(qvec), self._label, self.settings)
        return task.confidence >= self.settings.only_model_unless and task.id not in self.record_tasks(record)

    def _focus(self, read: str, mention: Mention) -> str | None:
        """The clauses of ``read`` that ask a fact of the answer's model (``sole`` in figures.yaml: "who designed
        the architecture you described"), with ``mention``'s record's title beside them, where ``read`` holds other
        clauses too (a preamble: "My professor asked me ... — can you tell me so I can answer her?"); None
        otherwise.  What they ask is read by them alone when the whole reads as another task.  A clause that points
        at the model by a pronoun alone does not count (:func:`~scientist.corpus.without_alone_pointers`): after a
        preamble, "it" or "that" is what the preamble speaks of ("The song playing at the wedding in this photo was
        'Moon River' — who wrote it?", "... super-resolution for satellite images. Any good references for that?")."""
        clauses = [c for c in CLAUSE_END.split(read) if c.strip()]
        sole = [c for c in clauses if self._sole_figures(c)]
        asking = [c.strip() for c in sole if self._sole_figures(without_alone_pointers(c))]
        if not asking or len(sole) == len(clauses):
            return None
        focus = " ".join(asking)
        return self._naming().beside(focus, [Mention(mention.record, "", len(focus), sole=True)])

    def _settle(self, reading: _Reading, k: int | None) -> tuple[_Reading, tuple]:
        """``reading`` and its analysis (:meth:`_analyse`), the only-model reading undone when the answer read so
        does not rely on that model ("what training images did your AI learn from?" still reads as synthetic data,
        and is answered as it was asked)."""
        analysis = self._analyse(reading.read, k, pointed=_pointed(reading.mentions))
        meant = {self.corpus.records[m.record].id for m in reading.mentions if m.sole or m.every}
        if not meant:
            return reading, analysis
        _, _, refs, in_scope = analysis
        if in_scope and any(r.supports and r.id in meant for r in refs):
            return reading, analysis
        sole = next((m for m in reading.mentions if m.sole), None)
        focus = self._focus(reading.plain, sole) if sole is not None else None
        if focus is not None:  # its preamble read as another task: the clauses that ask a fact of the model alone
            focused = self._analyse(focus, k, pointed=_pointed(reading.mentions))
            _, _, refs, in_scope = focused
            if in_scope and any(r.supports and r.id in meant for r in refs):
                return reading, focused
        reading = reading._replace(read=reading.plain, mentions=[])
        return reading, self._analyse(reading.read, k, reading.scored)

    def _of_the_demo(self, reading: _Reading, analysis: tuple, k: int | None,
                     does: frozenset[str]) -> tuple[_Reading, tuple]:
        """With a photo given, a question that names nothing (no record, no name no record mentions), reads clearly
        as a task the demo's network does with its weights (``does``: :func:`demo_tasks`) and was not answered
        ("how did it remove the noise?": the record's cosine just under the relevance cutoff) is read as asking
        about that network, which the demo then runs on the photo; unless the answer read so still does not rely on
        it, or reads as another task ("how did it remove the red eye?" is face restoration, not the network's)."""
        _, task, _, in_scope = analysis
        rec = demo_record(self.corpus)
        if (in_scope or reading.mentions or rec is None or not task.clear or task.both or task.id not in does
                or self._naming().exact_names(reading.plain) or names_in(self.corpus, reading.plain)[0]):
            return reading, analysis
        read, mention = self._beside_demo(reading.plain, rec)
        again = self._analyse(read, k, pointed=_pointed([mention]))
        if not again[3] or again[1].id != task.id:
            return reading, analysis
        return reading._replace(read=read, mentions=[mention]), again

    @staticmethod
    def _unmet_premise(task: TaskResult, demo: Demo) -> str | None:
        """What the demo did not do to the photo that a question read from its words is about: ``brighten`` (its
        task, or its second, is low-light enhancement and the brightness step left the photo's level: "why is it so
        much brighter?"), or ``change`` (it is about a task of the network, and the network's change came to nothing
        or next to nothing: "how did it remove the noise?" of a clean photo); None otherwise."""
        tasks = judge.task_ids(task)
        if load_constants(_weights_tasks, "tasks.json")["done"]["brightened"] in tasks and not brightened(demo):
            return "brighten"
        if network_task(demo) in tasks and network_change(demo) in ("none", "negligible"):
            return "change"
        return None

    def _beside_demo(self, plain: str, rec: Record) -> tuple[str, Mention]:
        """``plain`` with the name of the demo's network (``rec``'s first name, else its title) in brackets after it,
        and the mention that says so: "noise (MIMO-UNet)" reads as the network's noise, where the title's "Deblur"
        turned a one-word question to deblurring."""
        name = rec.names[0] if rec.names else rec.title
        mention = Mention(self.corpus.records.index(rec), "", len(plain), photo=True)
        return (plain if name in plain else f"{plain} ({name})"), mention

    def _spelling(self) -> Speller:
        with self._lock:
            if self._speller is None:
                corpus = self.corpus
                texts = [text for t in corpus.tasks
                         for text in (t.label, t.description, *t.aliases, *t.cues, *t.examples)]
                texts += [name for r in corpus.records for name in (r.title, *r.names)]
                texts += [phrase for f in load_figures() for phrase in f.phrases] + list(load_listing().words)
                self._speller = Speller(texts, corpus.vocabulary, load_respellings())
            return self._speller

    def _naming(self) -> Naming:
        with self._lock:
            if self._names is None:
                asks = (lambda q: bool(self._asked_figures(q)) or _asks_link(q)) if self.settings.only_model else None
                self._names = Naming.of(self.corpus.records, self.settings.partial_names, asks=asks)
            return self._names

    @staticmethod
    def _lacking_links(question: str, drawn_on: list[Reference]) -> list[tuple[str, list[Reference]]]:
        """The places ``question`` asks a link to by name (``links.yaml``: an arXiv paper, GitHub code, a Hugging
        Face page) with the records the answer draws on (``drawn_on``) that have no link there: the answer gives
        the links the records have, and says which they lack."""
        out = []
        for place in load_places():
            if drawn_on and place.words.search(question):
                lacking = [r for r in drawn_on
                           if not any(place.host in (u or "").lower() for u in (r.url, r.github, r.huggingface))]
                if lacking:
                    out.append((place.name, lacking))
        return out

    def _asked_figures(self, question: str) -> list[Figure]:
        """The figures and facts (``figures.yaml``) ``question`` asks for, each record it names read as "the
        model" (so that "how long does MIMO-UNet take?" reads as the figure's "how long does {model} take"); a
        figure asked beside one of its ``not_with`` in the same clause is not ("what GPU was it trained on?" asks no
        training data; "what GPU was it trained on, and on what data?" does)."""
        asked = {label for here in self._figures_read(question) for label, f in here.items()
                 if not set(here).intersection(f.not_with)}
        figures = _as_asked([f for f in load_figures() if f.label in asked], question)
        if any(f.of for f in figures):  # "is this from the histopathology paper?": no paper it comes from is asked
            kinds = {self.corpus.records[i].kind for i in self._naming().find(question)}
            figures = [f for f in figures if not f.of or not kinds or f.of in kinds]
        of_steps = _of_steps()
        if of_steps is not None and not any(f.step is not None or f.part for f in figures):  # a step asked by
            # what it says, not by name
            figures += [of_steps.for_step(n) for n in self._steps_meant(question)]
        return figures

    def _figures_read(self, question: str) -> list[dict[str, Figure]]:
        """The figures and facts each clause of ``question`` holds the words of (each record it names read as "the
        model"), and last those it asks by its bare words ("what is the model trained on?"), by label, before
        any is dropped for another asked beside it (``not_with``: judged in its own clause)."""
        found = [{f.label: f for f in load_figures() if f.asked(self._named_as_model(clause))}
                 for clause in CLAUSE_END.split(question)]
        return found + [{f.label: f for f in self._bare_figures(question)}]

    def _sole_figures(self, question: str) -> list[Figure]:
        """The figures ``question`` asks for whose asking names the corpus's only model (``sole`` in figures.yaml:
        "is any of this backed by published work?", "who came up with this?"), even where another figure it asks
        too is taken for it (its ``not_with``: "the original paper behind the method" asks the paper link)."""
        return [f for here in self._figures_read(question) for f in here.values() if f.sole]

    def _part_meant(self, question: str, asked: list[Figure]) -> bool:
        """Whether of the figures ``question`` asks for (``asked``), a part of the only model's network (``{part}``
        in figures.yaml: "what's asymmetric about its feature fusion?") is one whose step of the card the question
        comes closest to by what it says (:data:`STEP_COSINE_PART`): the words and the meaning agree."""
        naming = self._naming()
        record = self.corpus.records[naming.sole] if naming.sole is not None else None
        if record is None or record.card is None:
            return False
        steps = self._steps_meant(question, STEP_COSINE_PART)
        lines = {("step", record.card.workflow[n - 1].line) for n in steps}
        return any(f.part and lines.intersection(f.lines(record)) for f in asked)

    def _encode(self, texts: list[str]) -> np.ndarray:
        """The embeddings of ``texts``, those of texts embedded for the last few questions taken again (a question
        is embedded to read the step it asks about, :meth:`_steps_meant`, and again to classify it, :meth:`_score`),
        the others embedded in one batch."""
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
        new = [t for t in dict.fromkeys(texts) if t not in known]
        if new:
            made = dict(zip(new, self.embedder.encode(new), strict=True))
            with self._lock:
                if len(self._vectors) + len(made) > QUESTIONS_KEPT:
                    self._vectors.clear()
                self._vectors.update(made)
            known |= made
        return np.stack([known[t] for t in texts])

    def _steps_meant(self, question: str, least: float = STEP_COSINE_MIN) -> tuple[int, ...]:
        """The step of the corpus's only model's card (numbered from 1) that ``question`` speaks of by what the step
        says, not by its number or a part's name ("does it write the result as PNG, TIFF or JPEG next to a
        before/after comparison?": the step that saves): the step its vector comes closest to, when that is
        ``least`` (:data:`STEP_COSINE_MIN`) or more and :data:`STEP_MARGIN_MIN` more than any other step; none
        otherwise, none for a question that tells an operation of a task (:meth:`SignatureView.operation_tasks`: "how
        does it brighten a dark photo?" asks about low-light enhancement, not the card's brightness step), and none
        for a corpus without exactly one model with a card."""
        with self._lock:
            read = self._steps_read.get(question)
        if read is None:
            read = self._closest_step(question)
            with self._lock:
                if len(self._steps_read) >= QUESTIONS_KEPT:
                    self._steps_read.clear()
                self._steps_read[question] = read
        best, margin, step = read
        return (step,) if step and best >= least and margin >= STEP_MARGIN_MIN else ()

    def _closest_step(self, question: str) -> tuple[float, float, int]:
        """For :meth:`_steps_meant`: the cosine of ``question`` to the only model's card's closest step, its margin
        over the next and that step's number; ``(0.0, 0.0, 0)`` where no step can be meant."""
        naming = self._naming()
        card = self.corpus.records[naming.sole].card if naming.sole is not None else None
        if card is None or len(card.workflow) < 2 or not question.strip():
            return 0.0, 0.0, 0
        signature = self.index.view("signature")
        of_parts = _of_parts()
        plain = plain_words(question)
        told = of_parts.words.sub(" ", plain) if of_parts is not None and of_parts.asked(plain) else question
        if signature is not None and signature.operation_tasks(told):  # a part's own words tell no operation:
            return 0.0, 0.0, 0  # "feature fusion" is no HDR merge; "how does it brighten ...?" asks about a task
        with self._lock:
            if self._step_vectors is None:
                vecs = self.embedder.encode([st.line for st in card.workflow])
                self._step_vectors = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            steps = self._step_vectors
        vec = self._encode([load_tool_asks().plain_part(question[: self.settings.max_question_chars])])[0]
        cos = steps @ (vec / max(float(np.linalg.norm(vec)), 1e-12))
        first, second = np.argsort(-cos)[:2]
        return float(cos[first]), float(cos[first] - cos[second]), int(first) + 1

    def _bare_figures(self, question: str) -> list[Figure]:
        """The figures and facts ``question`` asks for when it says nothing else: at most :data:`BARE_MAX` words,
        each one of a figure's ``words`` or ``bare`` words or one that says nothing of its own
        (:func:`~scientist.naming.says_nothing_else`: "and the loss?", "who are the authors?", "how fast?"; not
        "how fast is my phone?").  None otherwise."""
        return _said_only(question, load_figures(), lambda f, text: text if f.parts and not f.words.search(text)
                          else f.bare.sub(" ", f.words.sub(" ", text)))  # a part's bare words only beside a part

    def _bare_places(self, question: str) -> list[Place]:
        """The places of links (``links.yaml``) ``question`` names when it says nothing else (as
        :meth:`_bare_figures`: "github link?"), read as a follow-up about the corpus's only model."""
        return _said_only(question, load_places(), lambda p, text: (
            p.words.sub(" ", text).replace(p.read_as, " ") if p.read_as else p.words.sub(" ", text)))

    def _beyond_figures(self, question: str) -> list[str]:
        """The words of ``question`` (as :meth:`_named_as_model`) that ask for no figure or fact."""
        text = self._named_as_model(question)
        for f in load_figures():
            text = f.words.sub(" ", text)
        return text.split()

    def _named_as_model(self, question: str) -> str:
        """``question`` as :func:`plain_words`, each record it names (by its title or one of its names as the
        record writes it, as :meth:`Naming.exact_names` reads them, or as :meth:`Naming.mentions` reads them)
        written "the model"."""
        naming = self._naming()
        text = question
        for m in sorted(naming.mentions(question), key=lambda m: -m.end):
            text = f"{text[: m.end - len(m.words)]} the model {text[m.end :]}"
        span = every_words(text)  # "who wrote the papers?" asks as "who wrote the model?" does
        if span is not None:
            text = f"{text[: span[0]]} the model {text[span[1] :]}"
        with self._lock:
            if self._exact_names is None:
                names = sorted((n for n in naming.exact if len(n) >= EXACT_NAME_MIN), key=lambda n: (-len(n), n))
                self._exact_names = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w-])"
                                               if names else r"(?!)")
        return plain_words(self._exact_names.sub(" the model ", text))

    def _unreported_figures(self, asked: list[Figure], drawn_on: list[Reference],
                            named: list[Reference]) -> list[tuple[list[Figure], list[Reference]]]:
        """Of the figures and facts a question asks for (``asked``), those a record lacks (has no line for:
        :meth:`Figure.lines`), as ``(figures, records)`` groups: when the question names
        records (``named``, shown in the answer), the figures each named record lacks, grouped by the records
        that lack them; else the figures no record the answer draws on (``drawn_on``) gives, with no records.
        None for an answer that draws on no record."""
        if not drawn_on or not asked:
            return []
        if not named:
            missing = self._given_by_none(asked, drawn_on)
            return [(missing, [])] if missing else []
        groups: dict[tuple[str, ...], tuple[list[Figure], list[Reference]]] = {}
        for f in asked:
            lacking = [r for r in named if not f.lines(self.corpus.get(r.id))]
            if lacking:
                groups.setdefault(tuple(r.id for r in lacking), ([], lacking))[0].append(f)
        return list(groups.values())

    def _given_by_none(self, asked: list[Figure], records: list[Reference]) -> list[Figure]:
        """Of ``asked``, the figures and facts none of ``records`` gives (has a line for: :meth:`Figure.lines`)."""
        return [f for f in asked if all(not f.lines(self.corpus.get(r.id)) for r in records)]

    def _facts(self, asked: list[Figure], named: list[Reference]) -> list[Fact]:
        """The lines that give what a question asks for (``asked``) of the records it names (``named``, shown in
        the answer), at most :data:`FACT_LINES` of each record for each."""
        facts: list[Fact] = []
        for f in asked:  # a line that speaks of two parts asked is quoted once, under the first
            quoted = {(fact.record_id, fact.text) for fact in facts}
            facts += [Fact(label=f.label, record_id=rec.id, where=where, text=text)
                      for rec in (self.corpus.get(r.id) for r in named)
                      for where, text in f.lines(rec)[:FACT_LINES] if not (f.part and (rec.id, text) in quoted)]
        return facts

    def _reads(self, language: LanguageInfo) -> bool:
        """Whether a question in ``language`` is one the tool reads (English) over a corpus with records."""
        return language.english and bool(len(self.corpus))

    def retrieve(self, question: str, k: int | None = None) -> list[tuple[Record, float]]:
        """The best records for a question and their cosine scores, in the order answers list them (none for
        a question the tool does not read)."""
        k = self.settings.k if k is None else _count("k", k)
        reading = self._read(question)
        if reading.read is None:
            return []
        if any(m.sole for m in reading.mentions):  # read as ask reads it
            reading = self._settle(reading, None)[0]
        _, probs, cosines, named = self._score(reading.read)
        index = self.index
        order = judge.rank(cosines, index.record_tasks, probs, self.settings, named, index.task_matrix)
        # copies: a caller that changes one must not change every later answer
        return [(self.corpus.records[i].model_copy(deep=True), float(cosines[i])) for i in order[:k]]

    def _label(self, task_id: str) -> str:
        task = self.corpus.task(task_id)
        return task.label if task is not None else task_id

    def _family(self, task_id: str) -> str | None:
        task = self.corpus.task(task_id)
        return task.family if task is not None else None

    def _tasks(self, ids: list[str]) -> list[Task]:
        return [t for t in (self.corpus.task(x) for x in ids) if t is not None]

    def _position(self, rec: Record) -> int:
        with self._lock:
            if self._positions is None:
                self._positions = {r.id: i for i, r in enumerate(self.corpus.records)}
            return self._positions[rec.id]

    def record_tasks(self, rec: Record) -> list[str]:
        """The record's tasks: declared, named by its catalog category, or classified from its text."""
        return self.index.record_tasks[self._position(rec)]

    def _sentences(self, rec: Record, qvec: np.ndarray) -> list[tuple[str, float]]:
        """The record's summary sentences with their cosine to the question, in the summary's order."""
        sentences = rec.segments() or split_sentences(rec.summary)
        vecs = self.index.record_vectors(self._position(rec))
        if not sentences or len(vecs) != len(sentences):
            return []
        return list(zip(sentences, (vecs @ qvec).tolist(), strict=True))

    def _reference(self, rec: Record, score: float, task: TaskResult, qvec: np.ndarray,
                   named: bool = False, pointed: bool = False, beside_named: bool = False) -> Reference:
        """``rec`` as an answer lists it: how relevant, whether relied on, and why.  ``beside_named``: the question
        names another record by its words, so this one is relied on only when it addresses the question's task
        (else it is listed, ``loose``)."""
        shown = round(score, 4)  # as the reference keeps it, so that its reason prints the same figure
        rtask_ids = self.record_tasks(rec)
        relevance = judge.relevance(score, rtask_ids, task, self._family, self.settings, named, beside_named)
        scored = self._sentences(rec, qvec) if relevance != "direct" else []
        matched = next((t for t in judge.task_ids(task) if t in rtask_ids), None)
        # a record the question names may be asked to do what its card says it cannot ("does the histopathology
        # paper help with denoising my photos?"): the answer says so beside it
        cannot = list(rec.card.cannot) if named and rec.card is not None else []
        ref = Reference(id=rec.id, kind=rec.kind, title=rec.title, url=rec.url, github=rec.github,
                        huggingface=rec.huggingface, score=shown, relevance=relevance, named=named, why="",
                        cannot=cannot)
        supports = judge.supports(ref, task, self.settings, beside_named)
        why = self.renderer.phrase(
            "why", relevance=relevance, record=rec, score=shown,
            task=self.corpus.task(task.id) if task.clear else None, record_tasks=self._tasks(rtask_ids),
            quote=max(scored, key=lambda sv: sv[1])[0] if scored else "",
            matched=self.corpus.task(matched) if matched else None, both=task.both, named=named,
            pointed=pointed, relied=supports,
        )
        return ref.model_copy(update={"supports": supports, "why": why})

    def _listed(self, rec: Record, score: float) -> Reference:
        """``rec`` as a list of the corpus's records shows it: listed, not relied on (``loose``), its reason saying
        so rather than judging it against the question; ``score``, its cosine to the question, orders the list."""
        return Reference(id=rec.id, kind=rec.kind, title=rec.title, url=rec.url, github=rec.github,
                         huggingface=rec.huggingface, score=round(score, 4), relevance="loose", supports=False,
                         why=self.renderer.phrase("why_listed", record=rec,
                                                  record_tasks=self._tasks(self.record_tasks(rec))))

    def _analyse(self, q: str, k: int | None, scored: tuple | None = None, pointed: frozenset[int] = frozenset(),
                 done: Sequence[str] = ()) -> tuple[np.ndarray, TaskResult, list[Reference], bool]:
        """Embed, classify, rank and judge: the shared first half of every answer (``scored``: :meth:`_score` of
        ``q`` when it was already made; ``pointed``: the records of ``q`` that it names only as the model it means,
        "the model", "it" or none, whose reasons say so rather than that the question names them; ``done``: the
        tasks the demo did to the photo a question asks about, which are its tasks, in place of a classification)."""
        with self._lock:
            index = self.index
        qvec, probs, cosines, named = scored or self._score(q)
        if done:  # what the demo did to the photo: measured, not classified
            probs = dict.fromkeys(done, 1.0 / len(done))
            task = self._done_task(done, index.tasks.cosines(qvec))
        else:
            task = judge.classify(probs, index.tasks.cosines(qvec), self._label, self.settings)
        order = judge.rank(cosines, index.record_tasks, probs, self.settings, named, index.task_matrix)
        order = judge.cover(order, index.record_tasks, judge.task_ids(task) if task.both else [],
                            k or self.settings.k)
        # a question that names a record by its words is about it: another is relied on only when it addresses
        # the question's task ("who are the authors of the annotation quality paper?" is no question for the
        # histopathology paper, however close its words)
        beside = bool(set(named) - set(pointed))
        refs = [self._reference(self.corpus.records[i], float(cosines[i]), task, qvec, i in named, i in pointed,
                                beside_named=beside and i not in named)
                for i in order]
        return qvec, task, refs, judge.in_scope(task, refs, self.settings)

    def _done_task(self, done: Sequence[str], cosines: dict[str, float]) -> TaskResult:
        """The task of a question that asks what the demo did to its photo: the first of ``done``, with the second
        (when two were done) as the runner-up, both answered; not a guess (confidence 1)."""
        guesses = [TaskGuess(id=t, label=self._label(t), confidence=1.0, cosine=round(float(cosines.get(t, 0.0)), 4))
                   for t in done]
        return TaskResult(**guesses[0].model_dump(), runner_up=guesses[1] if len(guesses) > 1 else None, clear=True,
                          both=len(guesses) > 1, decided_by="photo")

    def _asks_what_was_done(self, reading: _Reading) -> SignatureReading | None:
        """With a photo given: whether the question asks what was done to it and names nothing that says what
        (``photo_asks.yaml``: "what did you do to my photo?"): no record but the demo's, no name, no operation,
        negated or not, nothing given but a photo (or a question) and nothing asked back but an image.  Its
        signature's reading when it does (what it says was given), else None."""
        plain, rec = reading.plain, demo_record(self.corpus)
        signature = self.index.view("signature")
        if signature is None or rec is None:
            return None
        words, asks = plain_words(plain).split(), load_photo_asks()
        bare = says_nothing_else([w for w in words if w not in asks.alone]) and (  # "how?", "changes?", "huh?", "?"
            not words or asks.alone.intersection(words))
        # "what did MIMO-UNet do to it?" asks as "what did the model do to it?" does
        if not (bare or asks.pattern.search(normalise(self._named_as_model(plain)))):
            return None
        named = {m.record for m in reading.mentions} | set(self._naming().exact_names(plain))
        if not named <= {self.corpus.records.index(rec)} or names_in(self.corpus, plain)[0]:
            return None
        said = signature.read(plain)  # "sorry if this is a dumb question, ...": a question given is no other medium
        done = (not said.does and not said.negated and set(said.gives) <= {"photo", "question"}
                and set(said.gets) <= {"image"})
        return said if done else None

    def _asks_of_a_photo(self, reading: _Reading) -> bool:
        """Without a photo given: whether the question asks what was done to the person's photo, and says it is
        one ("what did you do to my photo?"; not "how does this work?")."""
        said = self._asks_what_was_done(reading)
        return said is not None and "photo" in said.gives

    def _of_what_was_done(self, reading: _Reading, k: int | None, demo: Demo) -> tuple[_Reading, tuple]:
        """The question read as asking what ``demo`` did to its photo: the network that ran named beside it, and
        what was run on the photo (:func:`done_tasks`) as its tasks, whatever came of it (the note says)."""
        read, mention = self._beside_demo(reading.plain, demo_record(self.corpus))
        return (reading._replace(read=read, mentions=[mention]),
                self._analyse(read, k, pointed=_pointed([mention]), done=done_tasks(demo)))

    # ----------------------------------------------------------------- ask
    def ask(self, question: str, photo: str | Path | None = None, *, k: int | None = None, progress=True,
            options: RestoreOptions | None = None, **restore_options) -> Answer:
        """Answer a question; with ``photo``, also run the demo on it.

        ``k``: records to retrieve (default: the ``k`` setting); for the demo, ``options`` (a
        :class:`RestoreOptions`) or its fields as keywords, and ``progress``, as :meth:`demo` takes them.
        Options are checked whether or not a photo is given: an unknown one is an :class:`OptionError`, and
        so is a ``photo`` that is not a path, before the question is answered.
        A question not in English, or a corpus without records, gets an answer that says so, with no task
        guessed.
        """
        unknown = [name for name in restore_options if name not in RestoreOptions.model_fields]
        if unknown:  # "format": said as ask's, not as a restore's (no photo need be given)
            raise OptionError(f"ask takes no option {unknown[0]!r}: it takes question, photo, k, progress, options "
                              f"and the demo's restore options ({unknown_option(unknown[0])})")
        restore = RestoreOptions.of(options, **restore_options)
        if photo is not None:
            as_path(photo)
        k = self._k(k)
        reading, demo = self._read(question), None
        typed = question[: self.settings.max_question_chars]  # as typed, its lines kept: what was pasted
        if reading.read is None:
            answer = self._unread(reading.q, reading.language)
        else:
            reading, analysis = self._settle(reading, k)
            if photo is not None and self._asks_what_was_done(reading) is not None:  # "what did you do to it?": the
                # demo runs first, and what it did is what the answer explains
                demo = self.demo(photo, options=restore, progress=progress)
                reading, analysis = self._of_what_was_done(reading, k, demo)
            elif photo is not None:
                from .restore.weights import resolve_weights  # only with a photo: the demo loads it anyway

                label = resolve_weights(restore.weights or self.weights, self.settings)[1]  # as the demo will
                reading, analysis = self._of_the_demo(reading, analysis, k, demo_tasks(label == BUNDLED_LABEL))
            qvec, task, _, in_scope = analysis
            # "the papers" names no record for the listing's rule ("list the papers" asks a list)
            by_name = bool([m for m in reading.mentions if not (m.sole or m.every or m.photo)]
                           or self._naming().exact_names(reading.plain))  # "MIMO-UNet", not "it" nor "the model"
            named = by_name or any(not m.every for m in reading.mentions)
            kinds = load_listing().kinds(reading.plain, named)
            # "which papers do you have?"; "is MIMO-UNet the only one you have?", however clearly it reads
            if kinds and (not in_scope or not task.clear or named or reading.mentions):
                if any(m.every for m in reading.mentions):  # "list the papers": the list, as asked
                    reading = reading._replace(read=reading.plain, mentions=[])
                answer = self._listing(reading.read, kinds, qvec)
            # "can it open HEIC files?", "does it upload my photos?": the tool's own facts, not the records'
            # "what licence is MIMO-UNet released under?" asks the record's, which its answer says no record gives
            elif (usage := [t for t in load_usage().asked(typed, reading.plain) if not (by_name and t == "licence")]
                  ) and not self._records_too(reading.plain, task, in_scope, usage, named):
                answer = self._usage(reading.read, usage, (typed, reading.plain), restore.weights)
            elif about := self._about_the_tool(reading, named, in_scope, task.clear, typed):  # "what can you
                # do?", "thanks!", "asdfgh", "ls -la": about the tool, or no question, not for its records
                answer = self._about(reading.read, *about, qvec, reading.q)
            else:
                answer = self._answer(reading.read, k, analysis)
                if usage:  # "can it deblur a 50-megapixel photo?": what it asks of the tool, then of the records
                    answer.usage = usage
                    answer.notes.insert(0, self._usage_note(usage, (typed, reading.plain), restore.weights))
        q, read, fixes, mentions = reading.q, reading.read, reading.fixes, reading.mentions
        if read is not None and (fixes or mentions or read != q):  # "Hugging Face" read as "model-hub" too
            answer.question, answer.read_as = q, read
        if answer.about == "usage":  # "how much RAM does it need?": "it" is the tool, and no record is drawn on
            mentions = []
        # a record named by its whole title needs no note; one named by its link is said to be
        naming = self._naming()
        partly = [(m.words, r, naming.written_as(m)) for m in mentions if not (m.sole or m.photo or m.every)
                  and (r := self.corpus.records[m.record]) and m.words.strip('"').casefold() != r.title.casefold()]
        if partly:
            answer.notes.insert(0, self.renderer.phrase("note_named", named=partly))
        every = [self.corpus.records[m.record] for m in mentions if m.every]
        if every:  # "who wrote the papers?": each of the corpus's papers, and said to be
            words = next(m.words for m in mentions if m.every)
            answer.notes.insert(0, self.renderer.phrase("note_every_paper", words=words, records=every))
        # "which papers back it?", "who came up with this?": a fact whose asking names the only model, and whether
        # one is a work it comes from, which the record's paper link gives (read once, for the notes below)
        behind = self._sole_figures(reading.plain) if any(m.sole for m in mentions) else []
        source = any(f.link == "url" for f in behind)
        for m in mentions:  # "how many parameters does the model have?": the only model is meant, and said to be
            if m.sole and m.words:
                answer.notes.insert(0, self.renderer.phrase("note_sole", words=m.words,
                                                            record=self.corpus.records[m.record]))
            elif m.photo and answer.task is not None and answer.task.decided_by == "photo":  # "what did you do?"
                answer.notes.insert(0, self.renderer.phrase("note_photo_done", record=self.corpus.records[m.record],
                                                            demo=demo, brightened=brightened(demo),
                                                            bundled=demo.weights == BUNDLED_LABEL,
                                                            change=network_change(demo)))
            elif m.photo:  # "how did it remove the noise?" of the photo given: the network the demo runs
                answer.notes.insert(0, self.renderer.phrase("note_photo_model", record=self.corpus.records[m.record]))
            elif m.sole and not naming.exact_names(reading.plain):  # "and the loss?": by no word at all (not
                # "who wrote the MIMO-UNet paper?", read the same way, which names it)
                bare = _as_asked(self._bare_figures(reading.plain), reading.plain)
                places = self._bare_places(reading.plain)
                record = self.corpus.records[m.record]
                if bare or places:
                    note = self.renderer.phrase("note_sole_bare", figures=bare, places=places, record=record)
                elif behind:  # "is any of this backed by published work?"
                    note = self.renderer.phrase("note_sole_behind", record=record, source=source,
                                                figures=_as_asked(self._asked_figures(reading.plain), reading.plain))
                else:
                    note = self.renderer.phrase("note_sole_step", record=record,
                                                steps=self._steps_meant(reading.plain))
                answer.notes.insert(0, note)
        sole = next((self.corpus.records[m.record] for m in mentions if m.sole), None)
        if sole is not None and answer.in_scope and source:
            # "which papers back it?": the papers part 3 leaves out are said to be there, and on which tasks
            shown = {r.id for r in answer.references}
            own = set(self.record_tasks(sole))
            others = [(r, self._tasks(tasks), bool(own.intersection(tasks))) for r in self.corpus.records
                      if r.kind == "paper" and r.id not in shown for tasks in [self.record_tasks(r)]]
            if others:
                answer.notes.append(self.renderer.phrase("note_other_papers", record=sole, others=others,
                                                         model_tasks=self._tasks(sorted(own))))
        drawn_on = [r for r in answer.references if r.supports] if answer.in_scope and read is not None else []
        for kind, records in reversed(self._lacking_links(reading.q, drawn_on)):  # "where is its arXiv paper?"
            answer.notes.insert(0, self.renderer.phrase("note_lacking_link", kind=kind, records=records))
        # what the question asks for is read without the titles put beside the names ("is the network fast?")
        asked = self._asked_figures(reading.plain) if drawn_on else []
        named = [r for r in answer.references if r.named] if drawn_on else []
        if not mentions and not named:  # a part, or a step by what it says, only of a question read as about a
            # record ("activation energy chemistry explained" asks about no network's activation function)
            asked = [f for f in asked if not f.part and not (f.step is not None and not _numbered(reading.plain))]
        sole = {self.corpus.records[m.record].id for m in mentions if m.sole}
        unreported = self._unreported_figures(asked, drawn_on, named)
        for figures, lacking in reversed(unreported):
            # "what's its PSNR?": the quotes below give none, and the answer says so first; of the records the
            # question names when it names some (not when they are all that the answer draws on)
            ids, drawn = {r.id for r in lacking}, {r.id for r in drawn_on}
            alike = ids == drawn and {r.id for r in named} <= drawn  # nothing else named to tell them from
            # "explain step 12": how many steps the cards hold that lack it, so the reader knows what there is
            steps = [(r.title, sum(where == "step" for where, _ in self.corpus.get(r.id).lines()))
                     for r in (lacking or drawn_on)] if any(f.step is not None for f in figures) else []
            answer.notes.insert(0, self.renderer.phrase(
                "note_unreported", figures=figures, n=len(drawn_on), named=[] if alike else lacking,
                sole=bool(ids) and ids <= sole, of=len(named), steps=[s for s in steps if s[1]]))
        # "how many parameters does MIMO-UNet have?": the named record's card says, and the answer quotes it first
        answer.facts = self._facts(asked, named)
        quoted = {fact.label for fact in answer.facts}  # no record drawn on gives them, and no fact above does
        answer.not_reported = [f.label for f in self._given_by_none(asked, drawn_on) if f.label not in quoted]
        # names are read as `verify` reads them, a refusal's too: its title echoes the question ("trails near
        # Zurich?"), and what it names that no record mentions is said to be so
        unknown = names_in(self.corpus, q)[0] if read is not None else []
        misspelt = {wrong.casefold() for wrong, _ in fixes}  # read as a word, and said so: "Quailty"
        unknown = [name for name in unknown if name.casefold() not in misspelt]
        if unknown and answer.about != "pasted":  # "explain NAFNet": the answer is about the records, and says
            # so before anything else; a refusal says first why it refuses (a paste holds no question); "is GIMP
            # free for commercial use?" is told first that the licence given is this tool's, not GIMP's
            theirs = answer.about == "usage" and "licence" in answer.usage and not load_usage().names_the_tool(q)
            answer.notes.insert(0 if answer.in_scope or theirs else len(answer.notes),
                                self.renderer.phrase("note_unknown_names", names=unknown, n=len(self.corpus),
                                                     refusal=not answer.in_scope, licence=theirs))
        linked = {(w == own[0], own[0]): (w, *own) for w in find_urls(question, self.corpus.allowed_urls())
                  if (own := self._own_link(w)) is not None}  # links under one record's link said once
        linked = list(linked.values())
        if linked:
            answer.notes.insert(0, self.renderer.phrase("note_linked", linked=linked))
        if fixes:
            answer.corrections = [Correction(written=w, read_as=r) for w, r in fixes]
            if answer.about is None:  # no task nor records were chosen for a message about the tool
                answer.notes.insert(0, self.renderer.phrase("note_spelling", fixes=fixes))
        if REMOVED in q and REMOVED not in question and answer.about != "pasted":  # a link no record carries:
            # never followed
            answer.notes.append(self.renderer.phrase("note_links_removed", n=q.count(REMOVED)))
        limit = self.settings.max_question_chars
        if len(question) > limit:  # a str: _clean refused anything else
            answer.notes.append(self.renderer.phrase("note_cut", limit=limit, length=len(question)))
        # "the AI made them look bright and clean. How does it ...?": the records cannot tell what that tool ran
        if (photo is None and read is not None and answer.in_scope and answer.about is None
                and not any(r.named and r.id not in sole for r in answer.references)
                and load_tool_asks().of_another_tool(reading.plain)):
            answer.notes.append(self.renderer.phrase("note_other_tool"))
        # "what did you do to my photo?" refused for want of the photo (a story the records answer needs no word)
        if photo is None and read is not None and not answer.in_scope and self._asks_of_a_photo(reading):
            answer.notes.insert(0, self.renderer.phrase("note_no_photo"))
        if photo is not None:
            workflow = answer.workflow
            runnable = workflow if workflow is not None and any(s.op for s in workflow.steps) else None
            answer.demo = demo or self.demo(photo, workflow=runnable, options=restore, progress=progress)
            # "how many parameters does the network that ran on my photo have?": the card's line gives each
            # variant's, and the one the demo ran is said
            variant = answer.demo.variant
            if any(variant_pattern(variant).search(f.text)
                   and any(variant_pattern(n).search(f.text) for n in rec.names if n != variant)
                   for f in answer.facts if (rec := self.corpus.get(f.record_id)) is not None):
                answer.notes.insert(0, self.renderer.phrase("note_demo_variant", variant=variant))
            bundled = answer.demo.weights == BUNDLED_LABEL
            if answer.task is not None and answer.task.id not in demo_tasks(bundled):  # "colourise my photo"
                answer.notes.append(self.renderer.phrase("note_demo_task", task=answer.task, bundled=bundled))
            elif answer.task is not None and answer.task.decided_by == "question":  # "why is it so much brighter?"
                unmet = self._unmet_premise(answer.task, answer.demo)
                if unmet:
                    answer.notes.insert(0, self.renderer.phrase("note_demo_premise", unmet=unmet, d=answer.demo))
                # "it's blurry from my hand shaking": the published weights' task, which the bundled do mildly
                published = load_constants(_weights_tasks, "tasks.json")["done"]["published"]
                if bundled and published in judge.task_ids(answer.task):
                    answer.notes.append(self.renderer.phrase("note_demo_mild_blur"))
        return self._render(answer)

    def warm_up(self) -> None:
        """Load and build what the first question needs (corpus, index, task classifier, question encoder) by
        answering a fixed question, so that a server's first real question does not wait for them."""
        self.ask(WARM_UP_QUESTION)

    def _unread(self, q: str, language: LanguageInfo) -> Answer:
        """The answer to a question the tool does not read (another language) or cannot answer from anything
        (an empty corpus): no task is guessed, and the task space is not even built."""
        note = (self.renderer.phrase("note_language", language=language) if not language.english
                else self.renderer.phrase("note_out_of_scope", n=0, task=None))
        return Answer(question=q, in_scope=False, language=language, task=None, workflow=None, references=[],
                      notes=[note])

    def _answer(self, q: str, k: int | None, analysis: tuple | None = None) -> Answer:
        qvec, task, refs, in_scope = analysis or self._analyse(q, k)
        support = [r for r in refs if r.supports] if in_scope else []
        # part 2 explains the record the question names (the first, when it names several), else the best
        # supporting model of the (first) task, else the best supporting model, else the best supporting
        # paper's method
        own = [r for r in support if task.id in self.record_tasks(self.corpus.get(r.id))]
        named = [r for r in support if r.named]  # "does the histopathology paper denoise images?": that paper
        first = named[0] if named else next((r for r in [*own, *support] if r.kind == "model"),
                                            (own or support or [None])[0])
        wf_rec = self.corpus.get(first.id) if first is not None else None
        model_rec = wf_rec if wf_rec is not None and wf_rec.kind == "model" else None
        asked = judge.task_ids(task)
        covered = [t for t in asked if any(t in self.record_tasks(self.corpus.get(r.id)) for r in support)]
        task = task.model_copy(update={"covered": covered})
        if model_rec is not None:
            mtasks = self.record_tasks(model_rec)
            task = task.model_copy(update={"model_task": mtasks[0] if mtasks else None,
                                           "matches_model": not _unmatched(task, mtasks) if task.clear else None})
        # the record's tasks, those the question asks about first: an assembled workflow reads the first one's
        # input and output
        wf_tasks = sorted(self.record_tasks(wf_rec), key=lambda t: t not in asked) if wf_rec else []
        workflow = workflow_for(wf_rec, self._tasks(wf_tasks), self.renderer,
                                [s for s, _ in self._sentences(wf_rec, qvec)] if wf_rec else [])
        candidates = [(r.id, sentence, score) for r in support
                      for sentence, score in self._sentences(self.corpus.get(r.id), qvec)]
        groups = [{r.id for r in support if t in self.record_tasks(self.corpus.get(r.id))}
                  for t in judge.task_ids(task)] if task.both else []
        evidence = [Evidence(record_id=i, sentence=s, score=round(c, 4))
                    for i, s, c in judge.evidence(candidates, self.settings, groups)]
        notes = self._notes(q, task, model_rec, wf_rec, in_scope)
        named = [r for r in refs if r.named] if not in_scope and task.clear else []
        if named:  # "Can MIMO-UNet colourise my photo?": the refusal says what the record named is about
            notes.append(self.renderer.phrase(
                "note_named_refused", task=self.corpus.task(task.id),
                records=[(r, self._tasks(self.record_tasks(self.corpus.get(r.id)))) for r in named]))
        return Answer(question=q, in_scope=in_scope, evidence=evidence, task=task, workflow=workflow,
                      references=[r for r in refs if r.relevance != "none"] if in_scope else [],
                      # a refusal lists its nearest records by how near they are, as it prints their cosines
                      nearest=[] if in_scope else sorted(refs, key=lambda r: -r.score), notes=notes)

    def _listing(self, q: str, kinds: frozenset[str], qvec: np.ndarray) -> Answer:
        """The answer to a question that asks what the corpus holds (``listing.yaml``): a list of its records of
        ``kinds`` (the one the question names, else all), each listed rather than judged against the question
        (:meth:`_listed`), with a note saying how many the corpus holds; no task.  When all of them fit
        (:data:`LIST_MAX`) they keep the corpus's order (the seed's: its recommended model first), as a question
        that asks what is held names no topic to rank them by and their cosines to it are noise ("sources
        please": 0.05-0.07); of more, the nearest the question are listed, nearest first."""
        records = self.corpus.records
        kind = next(iter(kinds)) if len(kinds) == 1 else None
        cosines = self.index.cosines(qvec)
        order = [i for i, r in enumerate(records) if kind is None or r.kind == kind]
        if len(order) > LIST_MAX:
            order.sort(key=lambda i: -cosines[i])
        nearest = [self._listed(records[i], float(cosines[i])) for i in order[:LIST_MAX]]
        note = self.renderer.phrase("note_listing", kind=kind, n=len(order), shown=len(nearest),
                                    counts=sorted(Counter(r.kind for r in records).items()))
        return Answer(question=q, in_scope=False, task=None, workflow=None, references=[], nearest=nearest,
                      listing=True, notes=[note])

    def _about(self, q: str, kind: str, looks: str | None, qvec: np.ndarray, written: str) -> Answer:
        """The answer to a message about the tool itself (``tool_asks.yaml``): for ``tool``, what the tool does
        and holds (its records in the corpus's order, at most :data:`LIST_MAX`, the tasks they are about and
        questions it answers); for ``social``, ``unreadable`` and ``pasted``, one line and where to start (a
        welcome when ``written``, the message as read, thanks; an apology when it complains, a word on small talk;
        for ``pasted``, what it ``looks`` like).  No task."""
        records, n = self.corpus.records, len(self.corpus)
        if kind != "tool":
            tool = load_tool_asks()
            thanks = bool(tool.thanks.intersection(tool.as_listed(w) for w in plain_words(written).split()))
            note = self.renderer.phrase(f"note_about_{kind}", thanks=thanks, n=n, tone=tool.tone(written),
                                        looks=looks)
            return Answer(question=q, in_scope=False, task=None, workflow=None, references=[], about=kind,
                          notes=[note])
        cosines = self.index.cosines(qvec)
        listed = [self._listed(r, float(cosines[i])) for i, r in enumerate(records[:LIST_MAX])]
        counted = Counter(t for r in records for t in dict.fromkeys(self.record_tasks(r)))
        model = next((r for r in records if r.kind == "model"), None)
        examples = ([f"How does {model.names[0] if model.names else model.title} work?"] if model else []) + \
            (["Which papers do you have?"] if any(r.kind == "paper" for r in records) else [])
        note = self.renderer.phrase(
            "note_about_tool", n=n, shown=len(listed), counts=sorted(Counter(r.kind for r in records).items()),
            tasks=[self._label(t) for t, _ in counted.most_common(ABOUT_TASKS)],
            more=max(0, len(counted) - ABOUT_TASKS),
            examples=examples, demo=demo_record(self.corpus) is not None,
            bundled=not (self.weights or self.settings.weights),  # resolved only when a photo is given
            licence=_licence())
        return Answer(question=q, in_scope=False, task=None, workflow=None, references=[], nearest=listed,
                      about="tool", notes=[note])

    def _records_too(self, question: str, task: TaskResult, in_scope: bool, topics: list[str], named: bool) -> bool:
        """Whether a question about using the tool on a photo (its usage ``topics``) also asks something of the
        records, and keeps their answer (the tool's facts among its notes): in scope, it tells an operation of its
        clear task (:meth:`SignatureView.operation_tasks`: "can it deblur a 50-megapixel photo?", not "what format
        does it save the restored photo as?") or asks a figure or a fact of a record ("how much vram does it
        need?", which no record gives; "how long does it take on a laptop, and who developed the model?"); or it
        asks about the weights and is in scope or names a record ("who trained MIMO-UNet's weights?": the records
        tell of the published ones, the facts of those this tool runs); or asks about a licence and names a record
        ("what licence is MIMO-UNet under?") or asks another fact of a model too ("who developed it, and is it open
        source?"), never for being in scope alone ("can I use the restored photos commercially?")."""
        if ("weights" in topics and in_scope) or (("weights" in topics or "licence" in topics) and named):
            return True
        if "licence" in topics:  # in scope alone is no reason: "can I use the restored photos commercially?"
            # "which lab made the net you described? is it open source?": its makers are the records' to tell
            return any(f.label != "licence" for f in self._asked_figures(question))
        if not in_scope:
            return False
        signature = self.index.view("signature")
        return (task.clear and signature is not None and bool(signature.operation_tasks(question))) or bool(
            self._asked_figures(question))

    def _usage(self, q: str, topics: list[str], texts: tuple[str, ...], weights=None) -> Answer:
        """The answer to a question about using the tool on a photo (``usage.yaml``: "which formats can I give
        it?", "does it need a GPU?"): the tool's own facts for each topic asked, and no record, no task."""
        return Answer(question=q, in_scope=False, task=None, workflow=None, references=[], about="usage",
                      usage=topics, notes=[self._usage_note(topics, texts, weights)])

    def _usage_note(self, topics: list[str], texts: tuple[str, ...], weights=None) -> str:
        """The tool's facts for the usage ``topics`` asked in ``texts`` (the message as typed and as read), from
        the photo reader's and writer's constants and the settings in force; the formats named are each said to
        be read or not (and of those named in a question about the output, which no restored image is written as);
        of the weights, those in force, ``weights`` being the ask's own choice of them (:func:`weights_facts`)."""
        from .restore.filetypes import MAX_PIXELS, RAW_SUFFIXES, SUPPORTED
        from .restore.save import FORMATS as WRITTEN
        from .restore.save import format_for_suffix

        named = load_usage().formats_named(*texts)
        facts = None
        if "weights" in topics:  # torch comes with this module: imported only for the question that needs it
            from .restore.weights import weights_facts

            facts = weights_facts(weights or self.weights, self.settings)
        unwritten = [key for key, _ in named if format_for_suffix("." + key) is None]  # "can it save as webp?"
        s = self.settings
        cutoffs = {"floor": s.reference_floor, "cutoff": s.relevance_cutoff, "strong": s.strong_match}
        return self.renderer.phrase(
            "note_usage", topics=topics, supported=SUPPORTED.split(", "), named=named, unwritten=unwritten,
            ending=WRITTEN[s.output_format],
            raw_endings=[e for e in _RAW_SHOWN if e in RAW_SUFFIXES],
            max_mp=MAX_PIXELS / 1e6, output=s.output_format, quality=s.jpeg_quality, upload_mb=s.upload_limit_mb,
            retention_h=s.job_retention_hours, host=s.serve_host, device=s.device, work_mb=s.work_memory_mb,
            preview_kb=s.mcp_preview_kb, weights=facts, licence=_licence() if "licence" in topics else None,
            cutoffs=cutoffs)

    def _about_the_tool(self, reading: _Reading, named: bool, in_scope: bool, clear: bool,
                        typed: str) -> tuple[str, str | None] | None:
        """What a question is, and for a paste what it looks like, when it is about the tool itself
        (:meth:`ToolAsks.kind`), read only when it would be refused or has no clear task, or text pasted by
        mistake, ``typed`` as it was (``pasted``: :meth:`ToolAsks.pasted_as`, "ls -la ~/Downloads"), read only when
        it would be refused and holds no link to a place of links (`links.yaml`: an arXiv page is a pointer, not a
        slip); never when it names a record (``named``) or points at a model in words ("what can you tell me about
        how the model was trained?")."""
        tool = load_tool_asks()
        if named or reading.mentions or _points_at_model(reading.plain, tool.itself):
            return None
        kind = None if in_scope and clear else tool.kind(reading.plain, self._a_word, reading.q)
        if kind or in_scope:
            return (kind, None) if kind else None
        if any(place.host in link.lower() for link in find_urls(typed) for place in load_places()):
            return None
        looks = tool.pasted_as(typed)
        return ("pasted", looks) if looks else None

    def _a_word(self, word: str) -> bool:
        """Whether ``word`` (lower case) is one the tool reads: of its vocabulary, or an English word in common
        use (:data:`COMMON_WORD` uses or more in the spelling check's English list: "qwerty", used 50 times, is
        not)."""
        return word in self._spelling().counts or word_counts().get(word, 0) >= COMMON_WORD

    def _k(self, k):
        """The records an answer lists: None (the ``k`` setting), or a whole number within the setting's range
        (raises :class:`OptionError`; ``True`` and ``2.0`` are no count)."""
        if k is None:
            return None
        whole = isinstance(k, int | np.integer) and not isinstance(k, bool)
        return self._checked("k", int(k) if whole else _count("k", k))  # the setting's range says what k must be

    def _checked(self, name: str, value):
        """An argument that overrides a setting, checked as the setting is (raises :class:`OptionError` naming the
        argument and what is wrong with it, as a command line renames it for its option)."""
        try:
            return getattr(self.settings.updated(**{name: value}), name)
        except ConfigError as exc:
            message = str(exc).replace("invalid setting ", "invalid argument ", 1)
            raise OptionError(message, name, message.partition(": ")[2]) from None

    async def aask(self, question: str, photo: str | Path | None = None, **options) -> Answer:
        """:meth:`ask` for async callers (runs in a worker thread)."""
        import asyncio

        return await asyncio.to_thread(self.ask, question, photo, **options)

    def _notes(self, q: str, task: TaskResult, model_rec: Record | None, wf_rec: Record | None,
               in_scope: bool) -> list[str]:
        notes = []
        qtask = self.corpus.task(task.id)
        if not task.clear:
            notes.append(self.renderer.phrase("note_unclear", task=task, in_scope=in_scope))
        # a refusal of a question that matched no task clearly ("how?", "thanks!") says so, and lectures on no two
        if task.both and task.runner_up is not None and (task.clear or in_scope) and task.decided_by == "question":
            signature = self.index.view("signature")  # told by the person's words, not a title put beside them
            said = self._naming().without_beside(q)
            words = signature.explain(said, [task.id, task.runner_up.id]) if signature is not None else {}
            if len(set(words.values())) < 2:
                words = {}
            # part 2 explains the first of the two tasks its record addresses, else a record of neither
            explains = next((t for t in judge.task_ids(task) if wf_rec is not None
                             and t in self.record_tasks(wf_rec)), None)
            notes.append(self.renderer.phrase(
                "note_two_tasks", task=task, second=task.runner_up, words=words, in_scope=in_scope,
                covered=[self.corpus.task(t) for t in task.covered], workflow=wf_rec,
                explains=self.corpus.task(explains) if explains else None,
                described=self._tasks([task.id, task.runner_up.id])))
        if model_rec is not None and task.matches_model is False and task.clear:
            unmatched = [self.corpus.task(t) for t in _unmatched(task, self.record_tasks(model_rec))]
            mtask = self.corpus.task(task.model_task) if task.model_task else None
            notes.append(self.renderer.phrase("note_mismatch", tasks=unmatched, model=model_rec, model_task=mtask,
                                              also=unmatched[0].id != task.id, done=task.decided_by == "photo"))
        second = task.runner_up
        if (model_rec is not None and task.matches_model and not task.both and second is not None
                and second.confidence >= self.settings.two_tasks_floor
                and second.id not in self.record_tasks(model_rec)):
            # a question of two problems, the second below the two-task rule: still said not to be the model's
            notes.append(self.renderer.phrase("note_runner_up", second=second, model=model_rec))
        if not in_scope:
            notes.append(self.renderer.phrase("note_out_of_scope", n=len(self.corpus), task=qtask,
                                              clear=task.clear))
        return notes

    def _render(self, answer: Answer) -> Answer:
        """Strip foreign links from every field, then render Markdown and text."""
        allowed = self.corpus.allowed_urls()
        answer = Answer.model_validate(_strip_strings(answer.model_dump(), allowed))
        titles = self.evidence_titles(answer)
        answer.markdown = strip_foreign_urls(self.renderer.answer(answer, "md", titles), allowed.markdown)
        answer.text = strip_foreign_urls(self.renderer.answer(answer, "txt", titles), allowed)
        return answer

    def evidence_titles(self, answer: Answer) -> dict[str, str]:
        """Record id -> title of the records the answer's facts and short answer quote (the templates name them)."""
        return {i: self.corpus.get(i).title for i in [*(f.record_id for f in answer.facts),
                                                      *(e.record_id for e in answer.evidence)]}

    # ---------------------------------------------------------------- demo
    def demo(self, photo, workflow=None, *, options: RestoreOptions | None = None, progress=True, **legacy):
        """Restore a photo with MIMO-UNet, executing ``workflow`` (default: the model card's): the one entry
        point of every front end (command line, web app, MCP server, LangChain tool).

        ``photo``: a path, or a :class:`~scientist.restore.stages.Photo` already read;
        ``options``: a :class:`RestoreOptions` (``out_dir``, ``max_side``, ``strength``, ...), or its
        fields as keywords, validated either way; ``progress``: ``True`` for a bar on stderr, ``False``
        for none, or a callback receiving progress events.
        """
        from .restore.run import restore_photo

        options = self._options(options, legacy)
        _check_run_arguments(workflow, progress)
        workflow = workflow or demo_workflow(self.corpus, self.renderer)
        if progress is True:
            from .progress import ConsoleProgress

            progress = ConsoleProgress(self.renderer)
        return restore_photo(photo, options, steps=workflow.steps, progress=progress or None,
                             settings=self.settings)

    def restore_many(self, paths, workflow=None, *, recursive: bool = False, progress=True,
                     options: RestoreOptions | None = None, cluster: str | None = None, **legacy):
        """Restore many photos, and the photos in folders; a generator of one record per photo.

        ``paths``: photos and folders (one path, or an iterable of paths; with ``recursive``, the
        folders' subfolders too).  Each
        photo gets a :class:`~scientist.restore.record.BatchItem`: ``restored``,
        ``skipped`` (its output exists already; ``overwrite=True`` redoes it) or
        ``failed`` with the reason, and the next photo goes ahead.  Outputs go
        beside each photo or under ``out_dir``, mirroring the folders.  Options are
        those of :meth:`demo`; ``progress``: ``True`` for a line per photo and overall
        bars on stderr, ``False`` for none, or a callback.  ``cluster``: restore on a Ray
        cluster instead (``ray://host:port``, or ``auto``; needs the project's ``cluster`` extra),
        whose workers must see the photos' and the outputs' paths.  The paths and options are checked
        when it is called (an :class:`OptionError`), before any photo is looked for.
        """
        from .restore.options import as_paths

        paths = as_paths(paths)
        options = self._options(options, legacy)
        _check_run_arguments(workflow, progress)
        if not isinstance(recursive, bool):  # "no" would read as yes
            raise OptionError(f"invalid argument recursive: must be True or False, not {type(recursive).__name__}")
        if cluster is not None and not isinstance(cluster, str):
            raise OptionError(f"invalid argument cluster: must be an address (a str) or 'auto', not "
                              f"{type(cluster).__name__}")
        workflow = workflow or demo_workflow(self.corpus, self.renderer)
        return self._restore_many(paths, workflow, recursive, progress, options, cluster)

    def _restore_many(self, paths, workflow, recursive: bool, progress, options: RestoreOptions,
                      cluster: str | None):
        from .restore.batch import restore_many

        if progress is True:
            from .progress import BatchProgress

            progress = BatchProgress(self.renderer)
        try:
            yield from restore_many(paths, recursive=recursive, options=options, steps=workflow.steps,
                                    progress=progress or None, settings=self.settings, cluster=cluster)
        finally:
            if hasattr(progress, "close"):
                progress.close()

    def _options(self, options: RestoreOptions | None, legacy: dict) -> RestoreOptions:
        """Validated restore options, with this Scientist's weights unless they name others."""
        options = RestoreOptions.of(options, **legacy)
        if options.weights is None and self.weights is not None:
            options = options.but(weights=self.weights)
        return options

    # ------------------------------------------------------------ chatbots
    def supporting(self, question: str, k: int | None = None) -> list[tuple[Record, float]]:
        """Retrieved records that support an answer (empty when out of scope)."""
        k = self._k(k)
        reading = self._read(question)
        if reading.read is None:
            return []
        _, (_, _, refs, in_scope) = self._settle(reading, k)
        # copies, as retrieve gives: a caller that changes one must not change every later answer
        return [(self.corpus.get(r.id).model_copy(deep=True), r.score) for r in refs if r.supports] if in_scope else []

    def prompt(self, question: str, k: int | None = None) -> str:
        """A seed-shaped prompt holding only the records that cleared the relevance cutoff, and what this tool's
        own answer says of them (its notes: a model built for another task, a language it does not read; the
        lines of a named record that give a figure or fact asked for; the model card's facts and what it says
        the model cannot do), for the LLM to say too."""
        answer = self.ask(question, k=k, progress=False)
        listed = answer.nearest if answer.listing or answer.about else [r for r in answer.references if r.supports]
        recs = [self.corpus.get(r.id) for r in listed]
        wf = answer.workflow
        card = wf if wf is not None and wf.grounded and any(r.id == wf.model_id for r in recs) else None
        text = self.renderer.env.get_template("prompt.j2").render(
            question=answer.question, models=[r for r in recs if r.kind == "model"],
            papers=[r for r in recs if r.kind == "paper"], notes=answer.notes, card=card, answer=answer,
            titles=self.evidence_titles(answer))
        return strip_foreign_urls(text, self.corpus.allowed_urls())

    def verify(self, text: str):
        """Check free text for links, model/paper names and figures of results outside the corpus (a
        :class:`Verdict`)."""
        return verify_text(self.corpus, text)

    def as_retriever(self, k: int = 4):
        """A LangChain ``BaseRetriever`` over this corpus, giving ``k`` records (1 or more) a query."""
        from .chat import make_retriever

        return make_retriever(self, k=_count("k", k))

    def as_tool(self, name: str = "scientist", *, allow=(), out_dir=None):
        """A LangChain ``BaseTool``: Markdown answer as content, the structured answer as artifact.

        Its optional photo is read only inside the folders ``scientist mcp`` allows (the ``mcp_allow``
        setting plus ``allow``; default: the working folder) and written to ``out_dir`` (default: the
        ``mcp_out_dir`` setting), by the same rules as the MCP server's restore_photo.
        """
        from .chat import make_tool
        from .restore.options import as_paths
        from .tools import folders_for

        if not isinstance(name, str):
            raise OptionError(f"invalid argument name: must be a text, not {type(name).__name__}")
        if not name.strip():
            raise OptionError("invalid argument name: must not be empty")
        # one folder is a folder, not its letters
        allow = as_paths(allow, "the folders to allow", "each folder to allow") if allow != () else []
        out_dir = as_path(out_dir, "the output folder") if out_dir is not None else None
        return make_tool(self, name=name, folders=folders_for(self.settings, allow, out_dir))


def _points_at_model(question: str, itself: frozenset[str]) -> bool:
    """Whether ``question`` points at a model in words ("the model", "your neural net"; not "it", nor "this thing",
    whose last word is one of ``itself``, the words for the tool): "what can you tell me about how the model was
    trained?" asks about the model, not about the tool."""
    return any(" " in m.group() and m.group().rsplit(" ", 1)[1] not in itself
               for m in re.finditer(rf"(?<![\w-]){model_words()}(?![\w-])", plain_words(question)))


def _check_run_arguments(workflow, progress) -> None:
    """Refuse, as an :class:`OptionError`, a ``workflow`` that is no :class:`~scientist.answer.Workflow` and a
    ``progress`` that is neither True, False, None nor a function: each failed deep inside the run, untyped."""
    from .answer import Workflow

    if workflow is not None and not isinstance(workflow, Workflow):
        raise OptionError(f"invalid argument workflow: must be a Workflow (an answer's, or demo_workflow()), not "
                          f"{type(workflow).__name__}")
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        raise OptionError(f"invalid argument progress: must be True, False or a function taking progress events, "
                          f"not {type(progress).__name__}")


def _count(name: str, value) -> int:
    """``value`` if it is a whole number of 1 or more (records to list: any number, the whole corpus included);
    raises :class:`OptionError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise OptionError(f"invalid argument {name}: must be a whole number, 1 or more", name,
                          "must be a whole number, 1 or more")
    return int(value)


def _strip_strings(obj, allowed: set[str]):
    if isinstance(obj, str):
        return strip_foreign_urls(obj, allowed)
    if isinstance(obj, dict):
        return {k: _strip_strings(v, allowed) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_strings(v, allowed) for v in obj]
    return obj


@functools.cache
def _licence() -> str | None:
    """The licence this package is distributed under, as its installed metadata gives it (an SPDX expression:
    "MIT"); None where the metadata does not say (run from a source tree that was never installed). Read once (a
    few milliseconds)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        return metadata("scientist").get("License-Expression") or None
    except PackageNotFoundError:
        return None


def _unmatched(task: TaskResult, model_tasks: list[str]) -> list[str]:
    """The question's tasks the recommended model was not built for: its task, and when the answer is about two,
    the runner-up unless records of its own support the answer (part 3 then points to them)."""
    return [t for t in judge.task_ids(task) if t not in model_tasks and (t == task.id or t not in task.covered)]
