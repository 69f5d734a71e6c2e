"""The task classifier: views of a question, and the one combiner that weighs them.

A *view* reads a question (or a record's text) its own way and gives every task a
logit.  Each view is one class behind a small protocol (:class:`View`): its
``name``, the :class:`~scientist.settings.Settings` field holding its ``weight``,
whether it is a hand-written ``rule`` and whether it also reads ``records``, and
``logits`` for a batch of texts (:class:`BaseView` gives the usual declarations as
defaults); views fitted to data add ``arrays``/``meta`` for the cache and ``load``
to put them back.  :data:`scientist.index.VIEWS` registers them, once.

:func:`combine` is the only place weights and the temperature are applied, to
questions and records alike::

    log p(task) = log_softmax( (sum_v weight_v * logits_v  [the rules' sum capped]) / task_temperature )

Two scopes: *task-space* views depend only on the taxonomy and the embedder (built
and cached by :class:`scientist.index.TaskSpace`, shared by every corpus); *corpus*
views depend on a corpus's records (built and cached by :class:`scientist.index.Index`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    from .records import Record, Task
    from .settings import Settings

__all__ = ["ArrayView", "AskView", "BaseView", "ContextView", "CorpusData", "CueView", "FitData", "NameView", "Queries",
           "StaticView", "View", "cap_rules", "combine", "cue_pattern", "cue_strengths", "log_softmax"]


@dataclass
class Queries:
    """A batch of texts the views read: questions, or records' texts (``records``)."""

    texts: list[str]
    vectors: np.ndarray  # (n, dim) unit embeddings of ``texts``
    #: positions of the records each question names (questions only)
    named: list[list[int]] = field(default_factory=list)
    records: bool = False
    #: each question's final ask with its vector, when it tells of two operations (see :class:`AskView`)
    asks: list[tuple[str, np.ndarray] | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows: Sequence[int]) -> Queries:
        """These queries' ``rows``, in that order."""
        pick = list(rows)
        return Queries([self.texts[i] for i in pick], self.vectors[pick] if len(pick) else self.vectors[:0],
                       [self.named[i] for i in pick] if self.named else [], self.records,
                       [self.asks[i] for i in pick] if self.asks else [])


@dataclass
class FitData:
    """What task-space views are fitted on: the taxonomy and its training texts with their labels and vectors.
    ``texts``, ``labels`` and ``vectors`` are empty when a view is only loaded."""

    tasks: list[Task]
    classes: list[str]
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None


@dataclass
class CorpusData:
    """What corpus views are built on: the records, their texts and their tasks, over ``classes``."""

    records: list[Record]
    texts: list[str]
    record_tasks: list[list[str]]
    classes: list[str]
    context_tasks: Collection[str] = ()
    #: the phrasings (``corpus/tasks.yaml``) of what only the tasks of ``other_media_tasks`` are given, do or give
    #: back (a recording, a voice; reading aloud; a transcript)
    off_context_media: str = ""
    #: the tasks of another medium (``context.yaml``'s ``other_media``): a question that names none of
    #: ``off_context_media`` is not about them
    other_media_tasks: Collection[str] = ()


class View(Protocol):
    """One way of reading a question.  ``logits`` returns ``(n, classes)`` or ``None`` when it has nothing
    to say about these texts (then it adds nothing)."""

    name: ClassVar[str]
    weight: ClassVar[str]
    rule: ClassVar[bool]
    records: ClassVar[bool]
    scope: ClassVar[Literal["tasks", "corpus"]]

    def logits(self, q: Queries) -> np.ndarray | None: ...


class BaseView:
    """The :class:`View` declarations' defaults, so that a view declares only its ``name``, its ``weight`` and
    what differs: a learned (not rule) task-space view that does not read records, with no constant that
    shapes its cache (``PARAMS``) and no JSON meta."""

    rule: ClassVar[bool] = False
    records: ClassVar[bool] = False
    scope: ClassVar[Literal["tasks", "corpus"]] = "tasks"
    PARAMS: ClassVar[str] = ""

    def meta(self) -> dict:
        return {}


class StaticView(BaseView):
    """A view with nothing to cache: it is rebuilt from the taxonomy or the corpus when loaded."""

    @classmethod
    def fit(cls, data):
        raise NotImplementedError

    @classmethod
    def load(cls, data, arrays: dict[str, np.ndarray], meta: dict):
        return cls.fit(data)

    def arrays(self) -> dict[str, np.ndarray]:
        return {}


class ArrayView(BaseView):
    """A view kept in the cache as the arrays named in ``ARRAYS`` (its fields of the same names); ``extra``
    gives the rest of its constructor's arguments from the fit data and its JSON meta."""

    ARRAYS: ClassVar[tuple[str, ...]] = ()

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAYS}

    @classmethod
    def extra(cls, data, meta: dict) -> dict:
        return {}

    @classmethod
    def load(cls, data, arrays: dict[str, np.ndarray], meta: dict):
        return cls(**{name: arrays[name] for name in cls.ARRAYS}, **cls.extra(data, meta))


def log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def combine(views: Sequence[View], q: Queries, settings: Settings, n_classes: int) -> np.ndarray:
    """``(n, classes)`` log-probabilities: every view's logits times its weight, the rules' sum capped at
    :attr:`Settings.rule_cap` either way per task from the median task (:func:`cap_rules`: rules alone cannot
    make a task near-certain), divided by :attr:`Settings.task_temperature`.  Records are read only by views
    that read records."""
    learned = np.zeros((len(q), n_classes))
    rules = np.zeros((len(q), n_classes))
    for view in views:
        if q.records and not view.records:
            continue
        w = float(getattr(settings, view.weight))
        if not w:
            continue
        z = view.logits(q)
        if z is not None:
            (rules if view.rule else learned)[...] += w * z
    return log_softmax((learned + cap_rules(rules, settings.rule_cap)) / settings.task_temperature)


def cap_rules(rules: np.ndarray, cap: float) -> np.ndarray:
    """The rules' lifts taken from their median task (a lift every task shares moves nothing) and clipped
    to ``cap`` either way."""
    return np.clip(rules - np.median(rules, axis=-1, keepdims=True), -cap, cap)


def _indicator(classes: Sequence[str], tasks: Collection[str], n: int) -> np.ndarray | None:
    hot = np.array([c in tasks for c in classes], np.float64)
    return np.tile(hot, (n, 1)) if hot.any() else None


# --------------------------------------------------------------------------------------------- rules
def cue_pattern(cues: Sequence[str]) -> re.Pattern | None:
    """One pattern matching any of a task's cues in a text prepared by :func:`cue_strengths`
    (a whole word or phrase, any case, hyphens or spaces alike)."""
    words = [re.escape(c.lower().replace("-", " ")).replace(r"\ ", r"\s+") for c in cues if c.strip()]
    return re.compile(r"(?<![\w])(?:" + "|".join(words) + r")(?![\w])") if words else None


def cue_strengths(text: str, cues: dict[str, re.Pattern]) -> dict[str, float]:
    """Each cued task's strength: 1 for a cue in the final ask (:func:`signature.ask_start`), else
    :data:`signature.TOLD` (a question telling of two operations asks about the one in its ask)."""
    from .signature import ASKED, TOLD, ask_start

    text = text.lower().replace("-", " ")
    start = ask_start(text)
    out: dict[str, float] = {}
    for task, pattern in cues.items():
        hits = [m.start() for m in pattern.finditer(text)]
        if hits:
            out[task] = ASKED if max(hits) >= start else TOLD
    return out


class CueView(StaticView):
    """Words that name a task outright (``cues`` in ``corpus/tasks.yaml``): 1 for each task cued."""

    name, weight, rule = "cues", "cue_boost", True

    def __init__(self, classes: list[str], tasks: Sequence[Task]) -> None:
        self.classes = classes
        patterns = {t.id: cue_pattern(t.cues) for t in tasks}
        self.patterns = {t: p for t, p in patterns.items() if p is not None}

    @classmethod
    def fit(cls, data: FitData) -> CueView:
        return cls(data.classes, data.tasks)

    def logits(self, q: Queries) -> np.ndarray | None:
        rows = [np.array([cued.get(c, 0.0) for c in self.classes], np.float64)
                for cued in (cue_strengths(t, self.patterns) for t in q.texts)]
        return np.array(rows) if any(r.any() for r in rows) else None


class AskView(StaticView):
    """The learned views (embedding, neighbours, letters) read again on the question's final ask alone, for a
    question that tells of two operations ("I enlarged it and removed the grain; how does the grain go?"):
    the ask says which one is meant.  Silent on other questions (``Queries.asks`` holds None for them)."""

    name, weight = "ask", "ask_weight"
    READS = ("embedding", "neighbours", "letters")

    def __init__(self, classes: list[str]) -> None:
        self.classes = classes
        self.learned: list = []

    @classmethod
    def fit(cls, data: FitData) -> AskView:
        return cls(data.classes)

    def bind(self, views: Sequence) -> None:
        """Called with every task-space view once they are built or loaded."""
        self.learned = [v for v in views if v.name in self.READS]

    def logits(self, q: Queries) -> np.ndarray | None:
        if not any(q.asks) or not self.learned:
            return None
        out = np.zeros((len(q), len(self.classes)))
        for i, ask in enumerate(q.asks):
            if ask is not None:
                text, vector = ask
                one = Queries([text], np.atleast_2d(vector))
                out[i] = sum(np.asarray(v.logits(one), np.float64)[0] for v in self.learned)
        return out


class NameView(StaticView):
    """A record the question names (:meth:`naming.Naming.find`: its title, one of its ``names``, or part of its
    title): 1 for each of its tasks."""

    name, weight, rule, scope = "names", "name_boost", True, "corpus"

    def __init__(self, classes: list[str], record_tasks: list[list[str]]) -> None:
        self.classes = classes
        self.record_tasks = record_tasks

    @classmethod
    def fit(cls, data: CorpusData) -> NameView:
        return cls(data.classes, data.record_tasks)

    def logits(self, q: Queries) -> np.ndarray | None:
        if not any(q.named):
            return None
        rows = []
        for named in q.named:
            tasks = {t for i in named for t in self.record_tasks[i]}
            rows.append(np.array([c in tasks for c in self.classes], np.float64))
        return np.array(rows)


#: How far (in units of ``context_boost``) a task of another medium is held back when the question names nothing of
#: its medium: twice the context's own lift, as "how does it clean up noise?" stayed audio noise removal at once.
OTHER_MEDIUM_HOLD = 2.0


class ContextView(StaticView):
    """The tasks a corpus is usually asked about (``context.yaml``: photos for the packaged corpus): 1 each; and,
    for a question that names nothing that only tasks of another medium take, do or give back (no recording, no
    text to read, nothing read aloud: "how did it remove the noise?"), -:data:`OTHER_MEDIUM_HOLD` for each of
    those."""

    name, weight, rule, scope = "context", "context_boost", True, "corpus"

    def __init__(self, classes: list[str], tasks: Collection[str], off_media: str = "",
                 other_media: Collection[str] = ()) -> None:
        from .signature import compile_phrasings

        self.classes = classes
        self.tasks = set(tasks)
        self.off_media = compile_phrasings(off_media) if off_media else None
        self.other_media = np.array([c in set(other_media) for c in classes], np.float64)

    @classmethod
    def fit(cls, data: CorpusData) -> ContextView:
        return cls(data.classes, data.context_tasks, data.off_context_media, data.other_media_tasks)

    def logits(self, q: Queries) -> np.ndarray | None:
        from .signature import normalise

        out = _indicator(self.classes, self.tasks, len(q))
        if out is None or self.off_media is None or q.records or not self.other_media.any():
            return out
        unsaid = np.array([self.off_media.search(normalise(t)) is None for t in q.texts], np.float64)
        return out - OTHER_MEDIUM_HOLD * unsaid[:, None] * self.other_media[None, :]
