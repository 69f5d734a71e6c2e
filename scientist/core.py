"""The library entry point: :class:`Scientist` answers questions from a corpus."""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .answer import Answer, Reference, Step, TaskGuess, TaskResult, Workflow
from .corpus import Corpus, load_corpus
from .embed import Embedder
from .errors import QuestionError
from .guard import REMOVED, strip_foreign_urls
from .index import Index
from .paths import cache_dir as default_cache_dir
from .records import Record, split_sentences
from .render import Renderer

__all__ = ["Scientist", "Settings"]

_URL_IN_QUESTION = re.compile(r"\S*(?:[a-z][a-z0-9+.-]{1,15}:/{0,2}|www\.)\S+", re.I)


@dataclass(frozen=True)
class Settings:
    """Thresholds of retrieval and classification (cosine similarities)."""

    k: int = 5
    #: a record must score at least this to support an answer
    relevance_cutoff: float = 0.20
    #: a record scoring at least this supports an answer whatever its task
    strong_match: float = 0.45
    #: records below this are not shown as references at all
    reference_floor: float = 0.12
    #: a task must score at least this for the classification to count as clear
    task_floor: float = 0.45
    #: softmax temperature turning task cosines into confidences
    temperature: float = 0.05
    #: the longest question (characters) that is embedded; the rest is ignored
    max_question_chars: int = 2000


def clean_question(question: object) -> str:
    """Normalise a question; raises :class:`QuestionError` when nothing is left."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = unicodedata.normalize("NFC", question)
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    text = _URL_IN_QUESTION.sub(REMOVED, text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty")
    return text


class Scientist:
    """Answers questions from a restricted corpus.  Construct once, reuse; thread-safe.

    Parameters fall back to environment variables (see :mod:`scientist.paths`):
    ``corpus`` (a folder, a catalog, a seed document or a :class:`Corpus`; default:
    the packaged corpus plus user additions), ``cache_dir`` (``SCIENTIST_CACHE``),
    ``weights`` (``SCIENTIST_WEIGHTS``) and ``device`` for the demo.
    """

    def __init__(
        self,
        corpus: str | Path | Corpus | None = None,
        *,
        cache_dir: str | Path | None = None,
        weights: str | Path | None = None,
        device: str = "auto",
        settings: Settings | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self._corpus_arg = corpus
        self._cache = Path(cache_dir) if cache_dir is not None else None
        self.weights = weights
        self.device = device
        self.settings = settings or Settings()
        self.embedder = embedder or Embedder(cache_dir=self._cache)
        self.renderer = Renderer(cache=self._cache)
        self._corpus: Corpus | None = corpus if isinstance(corpus, Corpus) else None
        self._index: Index | None = None
        self._lock = threading.RLock()
        self._inferred: dict[str, list[str]] = {}
        self._positions: dict[str, int] | None = None

    # ------------------------------------------------------------- loading
    @property
    def corpus(self) -> Corpus:
        with self._lock:
            if self._corpus is None:
                self._corpus = load_corpus(self._corpus_arg)
            return self._corpus

    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                cache = self._cache if self._cache is not None else default_cache_dir()
                self._index = Index.open(self.corpus, self.embedder, cache)
            return self._index

    @classmethod
    def from_seed(cls, path: str | Path, **kwargs) -> tuple[Scientist, str]:
        """A scientist restricted to a seed document's records, and the seed's question.

        Records that share a link with a packaged record borrow its model card.
        """
        from .ingest import read_seed

        seed = read_seed(path)
        from .corpus import load_tasks

        own = Corpus(seed.records, load_tasks(), [seed.source])
        try:
            own = own.with_cards_from(load_corpus(include_user=False))
        except Exception:  # noqa: BLE001 - the packaged corpus only enriches
            pass
        return cls(own, **kwargs), seed.question

    # --------------------------------------------------------------- parts
    def embed_question(self, question: str) -> np.ndarray:
        return self.embedder.encode([question[: self.settings.max_question_chars]])[0]

    def classify(self, qvec: np.ndarray) -> TaskResult:
        """Zero-shot task classification against the taxonomy."""
        scores = self.index.task_scores(qvec)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        t = self.settings.temperature
        z = np.array([s for _, s in ranked]) / t
        probs = np.exp(z - z.max())
        probs /= probs.sum()

        def guess(i: int) -> TaskGuess:
            task = self.corpus.task(ranked[i][0])
            return TaskGuess(id=task.id, label=task.label, confidence=round(float(probs[i]), 4),
                             cosine=round(ranked[i][1], 4))

        top = guess(0)
        return TaskResult(**top.model_dump(), runner_up=guess(1) if len(ranked) > 1 else None,
                          clear=ranked[0][1] >= self.settings.task_floor)

    def retrieve(self, question: str, k: int | None = None) -> list[tuple[Record, float]]:
        """The nearest records and their cosine scores, best first."""
        q = clean_question(question)
        hits = self.index.search(self.embed_question(q), k or self.settings.k)
        return [(self.corpus.get(h.record_id), h.score) for h in hits]

    def _position(self, rec: Record) -> int:
        with self._lock:
            if self._positions is None:
                self._positions = {r.id: i for i, r in enumerate(self.corpus.records)}
            return self._positions[rec.id]

    def _record_tasks(self, rec: Record) -> list[str]:
        """The record's tasks; inferred zero-shot (and cached) when the record has none.

        Each sentence of the summary is classified on its own (vectors from the
        index), so a record that does several things gets several tasks.
        """
        if rec.tasks:
            return rec.tasks
        with self._lock:
            cached = self._inferred.get(rec.id)
        if cached is not None:
            return cached
        tasks: list[str] = []
        best: tuple[float, str] = (-2.0, "")
        for vec in self.index.record_vectors(self._position(rec)):
            task_id, score = max(self.index.task_scores(vec).items(), key=lambda kv: kv[1])
            best = max(best, (score, task_id))
            if score >= self.settings.task_floor and task_id not in tasks and task_id != "out-of-domain":
                tasks.append(task_id)
        tasks = tasks or [best[1]]
        with self._lock:
            self._inferred[rec.id] = tasks
        return tasks

    def _closest_sentence(self, rec: Record, qvec: np.ndarray) -> str:
        """The summary sentence most similar to the question (from the index's vectors)."""
        sentences = rec.segments() or split_sentences(rec.summary)
        if not sentences:
            return ""
        vecs = self.index.record_vectors(self._position(rec))
        if len(vecs) != len(sentences):
            return sentences[0]
        return sentences[int(np.argmax(vecs @ qvec))]

    def _relevance(self, rec: Record, score: float, task: TaskResult) -> str:
        """direct, related, loose or none -- from the record's tasks and its cosine."""
        s = self.settings
        if score < s.reference_floor:
            return "none"
        rec_tasks = self._record_tasks(rec)
        if task.clear and task.id in rec_tasks:
            return "direct"
        if score < s.relevance_cutoff or not task.clear:
            return "loose"
        qtask = self.corpus.task(task.id)
        families = {t.family for t in (self.corpus.task(x) for x in rec_tasks) if t is not None}
        if (qtask is not None and qtask.family in families) or score >= s.strong_match:
            return "related"
        return "loose"

    def _reference(self, rec: Record, score: float, task: TaskResult, qvec: np.ndarray) -> Reference:
        relevance = self._relevance(rec, score, task)
        qtask = self.corpus.task(task.id)
        rtasks = [t for t in (self.corpus.task(x) for x in self._record_tasks(rec)) if t is not None]
        why = self.renderer.phrase(
            "why", relevance=relevance, record=rec, score=score, task=qtask if task.clear else None,
            record_tasks=rtasks, quote=self._closest_sentence(rec, qvec) if relevance != "direct" else "",
        )
        return Reference(id=rec.id, kind=rec.kind, title=rec.title, url=rec.url, github=rec.github,
                         score=round(score, 4), relevance=relevance, why=why)

    def workflow_for(self, rec: Record | None) -> Workflow | None:
        """The input -> model -> output workflow of a model record (its card when it has one)."""
        if rec is None:
            return None
        if rec.card is not None:
            c = rec.card
            steps = [Step(name=s.name, detail=s.detail, stage=s.stage, op=s.op) for s in c.workflow]
            wf_in, wf_out, grounded = c.input, c.output, True
            can, cannot = c.can, c.cannot
        else:
            tasks = [t for t in (self.corpus.task(x) for x in self._record_tasks(rec)) if t is not None]
            wf_in = tasks[0].input if tasks else "The data the model takes"
            wf_out = tasks[0].output if tasks else "The model's prediction"
            steps = [
                Step(name="Input", detail=wf_in, stage="input"),
                Step(name=rec.title, detail=self.renderer.phrase("generic_model", record=rec), stage="model"),
                Step(name="Output", detail=wf_out, stage="output"),
            ]
            grounded = False
            can, cannot = [], []
        mermaid = self.renderer.mermaid(wf_in, steps, wf_out)
        return Workflow(model_id=rec.id, model=rec.title, input=wf_in, steps=steps, output=wf_out,
                        mermaid=mermaid, grounded=grounded, can=can, cannot=cannot)

    # ----------------------------------------------------------------- ask
    def ask(self, question: str, photo: str | Path | None = None, **options) -> Answer:
        """Answer a question; with ``photo``, also run the demo on it.

        Options: ``k`` (records to retrieve), and for the demo ``out_dir``,
        ``max_side``, ``overwrite``, ``progress``.
        """
        q = clean_question(question)
        _, task, refs, in_scope = self._analyse(q, options.pop("k", None))
        model_rec = None
        if in_scope:
            supporting = [r for r in refs if r.kind == "model" and self._supports(r, task)]
            model_rec = self.corpus.get(supporting[0].id) if supporting else None
        if model_rec is not None:
            mtasks = self._record_tasks(model_rec)
            task = task.model_copy(update={"model_task": mtasks[0] if mtasks else None,
                                           "matches_model": task.id in mtasks if task.clear else None})
        references = [r for r in refs if r.relevance != "none"] if in_scope else []
        nearest = [] if in_scope else refs
        workflow = self.workflow_for(model_rec)
        notes = self._notes(task, model_rec, in_scope, len(self.corpus))
        answer = Answer(question=q, in_scope=in_scope, task=task, workflow=workflow,
                        references=references, nearest=nearest, notes=notes)
        if photo is not None:
            answer.demo = self.demo(photo, workflow=workflow, **options)
        return self._render(answer)

    def _in_scope(self, task: TaskResult, refs: list[Reference]) -> bool:
        """Whether some record supports an answer.

        With a clear task, a record must address it or a task of the same family
        (and clear the relevance cutoff unless it addresses the very task); with
        an unclear task, clearing the cutoff is enough.  Everyday questions are
        never in scope.
        """
        if task.clear and task.id == "out-of-domain":
            return False
        if task.clear:
            return any(r.relevance in ("direct", "related") for r in refs)
        return any(r.score >= self.settings.relevance_cutoff for r in refs)

    # ------------------------------------------------------------ chatbots
    def _analyse(self, q: str, k: int | None) -> tuple[np.ndarray, TaskResult, list[Reference], bool]:
        """Embed, classify, retrieve and judge: the shared first half of every answer."""
        with self._lock:
            index = self.index
        qvec = self.embed_question(q)
        task = self.classify(qvec)
        hits = index.search(qvec, k or self.settings.k)
        refs = [self._reference(self.corpus.get(h.record_id), h.score, task, qvec) for h in hits]
        return qvec, task, refs, self._in_scope(task, refs)

    def _supports(self, ref: Reference, task: TaskResult) -> bool:
        """Whether a retrieved record is relied on (not merely listed) in an answer."""
        return ref.relevance in ("direct", "related") or (
            not task.clear and ref.score >= self.settings.relevance_cutoff)

    def supporting(self, question: str, k: int | None = None) -> list[tuple[Record, float]]:
        """Retrieved records that support an answer (empty when out of scope)."""
        _, task, refs, in_scope = self._analyse(clean_question(question), k)
        if not in_scope:
            return []
        return [(self.corpus.get(r.id), r.score) for r in refs if self._supports(r, task)]

    def prompt(self, question: str, k: int | None = None) -> str:
        """A seed-shaped prompt holding only the records that cleared the relevance cutoff."""
        q = clean_question(question)
        recs = [r for r, _ in self.supporting(q, k)]
        text = self.renderer.env.get_template("prompt.j2").render(
            question=q, models=[r for r in recs if r.kind == "model"],
            papers=[r for r in recs if r.kind == "paper"])
        return strip_foreign_urls(text, self.corpus.allowed_urls())

    def verify(self, text: str):
        """Check free text for links and model/paper names outside the corpus (a :class:`Verdict`)."""
        from .chat import verify_text

        return verify_text(self, text)

    def as_retriever(self, k: int = 4):
        """A LangChain ``BaseRetriever`` over this corpus."""
        from .chat import make_retriever

        return make_retriever(self, k=k)

    def as_tool(self, name: str = "scientist"):
        """A LangChain ``BaseTool``: Markdown answer as content, the structured answer as artifact."""
        from .chat import make_tool

        return make_tool(self, name=name)

    async def aask(self, question: str, photo: str | Path | None = None, **options) -> Answer:
        """:meth:`ask` for async callers (runs in a worker thread)."""
        import asyncio

        return await asyncio.to_thread(self.ask, question, photo, **options)

    def demo(self, photo: str | Path, workflow: Workflow | None = None, **options):
        """Run the MIMO-UNet demo on a photo and describe what ran."""
        from .restore.pipeline import run_demo

        if workflow is None or not any(s.op for s in workflow.steps):
            card_rec = next((r for r in self.corpus.records if r.card), None)
            workflow = self.workflow_for(card_rec) if card_rec is not None else None
        return run_demo(photo, workflow=workflow, weights=self.weights, device=self.device,
                        **options)

    def _notes(self, task: TaskResult, model_rec: Record | None, in_scope: bool, n: int) -> list[str]:
        notes = []
        qtask = self.corpus.task(task.id)
        if not task.clear:
            notes.append(self.renderer.phrase("note_unclear", task=task))
        if model_rec is not None and task.matches_model is False and task.clear:
            mtask = self.corpus.task(task.model_task) if task.model_task else None
            notes.append(self.renderer.phrase("note_mismatch", task=qtask, model=model_rec,
                                              model_task=mtask))
        if not in_scope:
            notes.append(self.renderer.phrase("note_out_of_scope", n=n, task=qtask))
        return notes

    def _render(self, answer: Answer) -> Answer:
        """Strip foreign links from every field, then render Markdown and text."""
        allowed = self.corpus.allowed_urls()
        answer = Answer.model_validate(_strip_strings(answer.model_dump(), allowed))
        answer.markdown = strip_foreign_urls(self.renderer.answer(answer, "md"), allowed)
        answer.text = strip_foreign_urls(self.renderer.answer(answer, "txt"), allowed)
        return answer


def _strip_strings(obj, allowed: set[str]):
    if isinstance(obj, str):
        return strip_foreign_urls(obj, allowed)
    if isinstance(obj, dict):
        return {k: _strip_strings(v, allowed) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_strings(v, allowed) for v in obj]
    return obj
