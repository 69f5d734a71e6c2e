"""Question -> answer: :class:`Scientist`, a thin façade over the parts that make an answer.

The flow of :meth:`Scientist.ask`: clean the question (:mod:`.guard`), embed it
(:mod:`.embed`), score it against tasks and records (:mod:`.index`), decide the
task, each record's relevance and the scope (:mod:`.judge`), pick the workflow
(:mod:`.workflow`), render (:mod:`.render`) and strip foreign links (:mod:`.guard`).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from . import judge
from .answer import Answer, Reference, TaskResult
from .corpus import Corpus, load_corpus
from .embed import Embedder
from .guard import clean_question, strip_foreign_urls, verify_text
from .index import Index
from .records import Record, Task, split_sentences
from .render import Renderer
from .settings import Settings, load_settings
from .workflow import demo_workflow, workflow_for

__all__ = ["Scientist"]


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
        settings = settings or load_settings()
        overrides = {"cache": Path(cache_dir) if cache_dir is not None else None, "device": device}
        self.settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
        self.weights = weights
        cache = self.settings.cache_dir
        self.embedder = embedder or Embedder(cache_dir=cache, backend=self.settings.embed_backend)
        self.renderer = Renderer(cache=cache)
        self._corpus_arg = corpus
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
                self._corpus = load_corpus(self._corpus_arg, settings=self.settings)
            return self._corpus

    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = Index.open(self.corpus, self.embedder, self.settings.cache_dir)
            return self._index

    @classmethod
    def from_seed(cls, path: str | Path, **kwargs) -> tuple[Scientist, str]:
        """A scientist restricted to a seed document's records, and the seed's question.

        Records that share a link with a packaged record borrow its model card.
        """
        from .corpus import load_tasks, load_vocabulary
        from .ingest import read_seed

        seed = read_seed(path)
        own = Corpus(seed.records, load_tasks(), [seed.source], load_vocabulary())
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
        return judge.classify(self.index.task_scores(qvec), self._label, self.settings)

    def retrieve(self, question: str, k: int | None = None) -> list[tuple[Record, float]]:
        """The nearest records and their cosine scores, best first."""
        q = clean_question(question)
        hits = self.index.search(self.embed_question(q), k or self.settings.k)
        return [(self.corpus.get(h.record_id), h.score) for h in hits]

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
        """The record's tasks; inferred from its sentences (and cached) when it declares none."""
        if rec.tasks:
            return rec.tasks
        with self._lock:
            cached = self._inferred.get(rec.id)
        if cached is not None:
            return cached
        vectors = self.index.record_vectors(self._position(rec))
        tasks = judge.infer_tasks([self.index.task_scores(v) for v in vectors], self.settings)
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

    def _reference(self, rec: Record, score: float, task: TaskResult, qvec: np.ndarray) -> Reference:
        rtask_ids = self.record_tasks(rec)
        relevance = judge.relevance(score, rtask_ids, task, self._family, self.settings)
        why = self.renderer.phrase(
            "why", relevance=relevance, record=rec, score=score,
            task=self.corpus.task(task.id) if task.clear else None, record_tasks=self._tasks(rtask_ids),
            quote=self._closest_sentence(rec, qvec) if relevance != "direct" else "",
        )
        return Reference(id=rec.id, kind=rec.kind, title=rec.title, url=rec.url, github=rec.github,
                         score=round(score, 4), relevance=relevance, why=why)

    def _analyse(self, q: str, k: int | None) -> tuple[TaskResult, list[Reference], bool]:
        """Embed, classify, retrieve and judge: the shared first half of every answer."""
        with self._lock:
            index = self.index
        qvec = self.embed_question(q)
        task = self.classify(qvec)
        hits = index.search(qvec, k or self.settings.k)
        refs = [self._reference(self.corpus.get(h.record_id), h.score, task, qvec) for h in hits]
        return task, refs, judge.in_scope(task, refs, self.settings)

    # ----------------------------------------------------------------- ask
    def ask(self, question: str, photo: str | Path | None = None, **options) -> Answer:
        """Answer a question; with ``photo``, also run the demo on it.

        Options: ``k`` (records to retrieve), and for the demo those of :meth:`demo`.
        """
        q = clean_question(question)
        task, refs, in_scope = self._analyse(q, options.pop("k", None))
        model_rec = None
        if in_scope:
            supporting = [r for r in refs if r.kind == "model" and judge.supports(r, task, self.settings)]
            model_rec = self.corpus.get(supporting[0].id) if supporting else None
        if model_rec is not None:
            mtasks = self.record_tasks(model_rec)
            task = task.model_copy(update={"model_task": mtasks[0] if mtasks else None,
                                           "matches_model": task.id in mtasks if task.clear else None})
        references = [r for r in refs if r.relevance != "none"] if in_scope else []
        nearest = [] if in_scope else refs
        workflow = workflow_for(model_rec, self._tasks(self.record_tasks(model_rec)) if model_rec else [],
                                self.renderer)
        answer = Answer(question=q, in_scope=in_scope, task=task, workflow=workflow, references=references,
                        nearest=nearest, notes=self._notes(task, model_rec, in_scope))
        if photo is not None:
            runnable = workflow if workflow is not None and any(s.op for s in workflow.steps) else None
            answer.demo = self.demo(photo, workflow=runnable, **options)
        return self._render(answer)

    async def aask(self, question: str, photo: str | Path | None = None, **options) -> Answer:
        """:meth:`ask` for async callers (runs in a worker thread)."""
        import asyncio

        return await asyncio.to_thread(self.ask, question, photo, **options)

    def _notes(self, task: TaskResult, model_rec: Record | None, in_scope: bool) -> list[str]:
        notes = []
        qtask = self.corpus.task(task.id)
        if not task.clear:
            notes.append(self.renderer.phrase("note_unclear", task=task))
        if model_rec is not None and task.matches_model is False and task.clear:
            mtask = self.corpus.task(task.model_task) if task.model_task else None
            notes.append(self.renderer.phrase("note_mismatch", task=qtask, model=model_rec, model_task=mtask))
        if not in_scope:
            notes.append(self.renderer.phrase("note_out_of_scope", n=len(self.corpus), task=qtask))
        return notes

    def _render(self, answer: Answer) -> Answer:
        """Strip foreign links from every field, then render Markdown and text."""
        allowed = self.corpus.allowed_urls()
        answer = Answer.model_validate(_strip_strings(answer.model_dump(), allowed))
        answer.markdown = strip_foreign_urls(self.renderer.answer(answer, "md"), allowed)
        answer.text = strip_foreign_urls(self.renderer.answer(answer, "txt"), allowed)
        return answer

    # ---------------------------------------------------------------- demo
    def demo(self, photo: str | Path, workflow=None, *, progress=True, **options):
        """Run the MIMO-UNet demo on a photo, executing ``workflow`` (default: the model card's).

        Options are those of :func:`scientist.restore.run.run_demo` (``out_dir``, ``max_side``,
        ``tile``, ``backend``, ``overwrite``, ...); ``progress``: ``True`` for a bar on stderr,
        ``False`` for none, or a callback receiving progress events.
        """
        from .restore.run import run_demo

        workflow = workflow or demo_workflow(self.corpus, self.renderer)
        if progress is True:
            from .progress import ConsoleProgress

            progress = ConsoleProgress(self.renderer)
        options.setdefault("weights", self.weights)
        return run_demo(photo, steps=workflow.steps, progress=progress or None, settings=self.settings,
                        **options)

    # ------------------------------------------------------------ chatbots
    def supporting(self, question: str, k: int | None = None) -> list[tuple[Record, float]]:
        """Retrieved records that support an answer (empty when out of scope)."""
        task, refs, in_scope = self._analyse(clean_question(question), k)
        if not in_scope:
            return []
        return [(self.corpus.get(r.id), r.score) for r in refs if judge.supports(r, task, self.settings)]

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
        return verify_text(self.corpus, text)

    def as_retriever(self, k: int = 4):
        """A LangChain ``BaseRetriever`` over this corpus."""
        from .chat import make_retriever

        return make_retriever(self, k=k)

    def as_tool(self, name: str = "scientist"):
        """A LangChain ``BaseTool``: Markdown answer as content, the structured answer as artifact."""
        from .chat import make_tool

        return make_tool(self, name=name)


def _strip_strings(obj, allowed: set[str]):
    if isinstance(obj, str):
        return strip_foreign_urls(obj, allowed)
    if isinstance(obj, dict):
        return {k: _strip_strings(v, allowed) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_strings(v, allowed) for v in obj]
    return obj
