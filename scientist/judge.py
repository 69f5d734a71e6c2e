"""The decision rules of an answer, as pure functions of scores and settings.

Everything here takes cosine similarities (or ranked scores) and the
:class:`~scientist.settings.Settings` thresholds, and decides: which task a
question is, how relevant a retrieved record is, whether it supports the
answer, and whether the corpus can answer at all.  Nothing here embeds or
searches, so every rule can be tested with made-up scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np

from .answer import Reference, TaskGuess, TaskResult
from .settings import Settings

__all__ = ["OUT_OF_DOMAIN", "Relevance", "classify", "in_scope", "infer_tasks", "relevance", "supports"]

Relevance = Literal["direct", "related", "loose", "none"]
#: The taxonomy's task for everyday questions that no model record can answer.
OUT_OF_DOMAIN = "out-of-domain"


def classify(scores: Mapping[str, float], label: Callable[[str], str], settings: Settings) -> TaskResult:
    """The best task, its runner-up and softmax confidences, from each task's best cosine.

    ``label`` names a task id.  The classification is *clear* when the best cosine
    reaches :attr:`Settings.task_floor`.
    """
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    z = np.array([s for _, s in ranked]) / settings.temperature
    probs = np.exp(z - z.max())
    probs /= probs.sum()

    def guess(i: int) -> TaskGuess:
        task_id, cosine = ranked[i]
        return TaskGuess(id=task_id, label=label(task_id), confidence=round(float(probs[i]), 4),
                         cosine=round(cosine, 4))

    top = guess(0)
    return TaskResult(**top.model_dump(), runner_up=guess(1) if len(ranked) > 1 else None,
                      clear=ranked[0][1] >= settings.task_floor)


def infer_tasks(sentence_scores: Sequence[Mapping[str, float]], settings: Settings) -> list[str]:
    """The tasks a record without declared tasks addresses, from its sentences' task cosines.

    Every task that some sentence matches clearly counts (a record may do several
    things); with none clear, the single best match.
    """
    tasks: list[str] = []
    best: tuple[float, str] = (-2.0, "")
    for scores in sentence_scores:
        task_id, score = max(scores.items(), key=lambda kv: kv[1])
        best = max(best, (score, task_id))
        if score >= settings.task_floor and task_id not in tasks and task_id != OUT_OF_DOMAIN:
            tasks.append(task_id)
    return tasks or ([best[1]] if best[1] else [])


def relevance(score: float, record_tasks: Sequence[str], task: TaskResult,
              family: Callable[[str], str | None], settings: Settings) -> Relevance:
    """direct, related, loose or none -- from the record's tasks and its cosine.

    direct: the record addresses the (clear) task of the question; related: it
    addresses a task of the same family, or scores a strong match, above the
    relevance cutoff; loose: listed but not relied on; none: below the floor.
    ``family`` maps a task id to its family.
    """
    if score < settings.reference_floor:
        return "none"
    if task.clear and task.id in record_tasks:
        return "direct"
    if score < settings.relevance_cutoff or not task.clear:
        return "loose"
    families = {family(t) for t in record_tasks} - {None}
    if family(task.id) in families or score >= settings.strong_match:
        return "related"
    return "loose"


def supports(ref: Reference, task: TaskResult, settings: Settings) -> bool:
    """Whether a retrieved record is relied on (not merely listed) in an answer."""
    return ref.relevance in ("direct", "related") or (
        not task.clear and ref.score >= settings.relevance_cutoff)


def in_scope(task: TaskResult, refs: Sequence[Reference], settings: Settings) -> bool:
    """Whether some record supports an answer.

    With a clear task, a record must address it or a task of the same family (and
    clear the relevance cutoff unless it addresses the very task); with an unclear
    task, clearing the cutoff is enough.  Everyday questions are never in scope.
    """
    if task.clear and task.id == OUT_OF_DOMAIN:
        return False
    if task.clear:
        return any(r.relevance in ("direct", "related") for r in refs)
    return any(r.score >= settings.relevance_cutoff for r in refs)
