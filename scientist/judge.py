"""The decision rules of an answer, as pure functions of scores and settings.

Everything here takes scores (cosine similarities, the task classifier's
probabilities) and the :class:`~scientist.settings.Settings` thresholds, and
decides: which task a question is, which task a record is, the order of the
records, how relevant each is, whether it supports the answer, and whether the
corpus can answer at all.  Nothing here embeds or
searches, so every rule can be tested with made-up scores.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Literal

import numpy as np

from .answer import Reference, TaskGuess, TaskResult
from .settings import Settings

__all__ = [
    "OUT_OF_DOMAIN",
    "Relevance",
    "classify",
    "cue_pattern",
    "cued_tasks",
    "evidence",
    "in_scope",
    "named_records",
    "rank",
    "record_tasks",
    "relevance",
    "supports",
    "task_matrix",
    "task_probabilities",
    "term_evidence",
]

Relevance = Literal["direct", "related", "loose", "none"]
#: The taxonomy's task for everyday questions that no model record can answer.
OUT_OF_DOMAIN = "out-of-domain"


def classify(probs: Mapping[str, float], cosines: Mapping[str, float], label: Callable[[str], str],
             settings: Settings) -> TaskResult:
    """The most probable task and its runner-up, from the task classifier's probabilities.

    ``cosines`` (best cosine to each task's own texts) are reported beside the confidences;
    the classification is *clear* when the top probability reaches
    :attr:`Settings.task_confidence`.
    """
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])

    def guess(i: int) -> TaskGuess:
        task_id, p = ranked[i]
        return TaskGuess(id=task_id, label=label(task_id), confidence=round(float(p), 4),
                         cosine=round(float(cosines.get(task_id, 0.0)), 4))

    top = guess(0)
    return TaskResult(**top.model_dump(), runner_up=guess(1) if len(ranked) > 1 else None,
                      clear=ranked[0][1] >= settings.task_confidence)


def cued_tasks(question: str, cues: Mapping[str, re.Pattern]) -> list[str]:
    """Tasks a cue of which (a whole word or phrase, any case, hyphens or spaces alike) is in the question."""
    text = question.lower().replace("-", " ")
    return [task for task, pattern in cues.items() if pattern.search(text)]


def cue_pattern(cues: Sequence[str]) -> re.Pattern | None:
    """One pattern matching any of a task's cues in a question prepared by :func:`cued_tasks`."""
    words = [re.escape(c.lower().replace("-", " ")).replace(r"\ ", r"\s+") for c in cues if c.strip()]
    return re.compile(r"(?<![\w])(?:" + "|".join(words) + r")(?![\w])") if words else None


def task_probabilities(probs: Mapping[str, float], named_tasks: Sequence[str], context_tasks: Collection[str],
                       settings: Settings, cued: Collection[str] = (),
                       term_evidence: Mapping[str, float] | None = None) -> dict[str, float]:
    """The question's task distribution: the classifier's, in log-probability lifted by
    :attr:`Settings.name_boost` for each task of a record the question names, by
    :attr:`Settings.cue_boost` for each task it names outright (its cues), by
    :attr:`Settings.term_weight` times each task's word-match evidence
    (:func:`term_evidence`) and by :attr:`Settings.context_boost` for the tasks
    the corpus is usually asked about, then sharpened or softened by
    :attr:`Settings.task_temperature` for calibration."""
    ids = list(probs)
    logits = np.log(np.maximum(np.array([probs[t] for t in ids], np.float64), 1e-12))
    if term_evidence:
        logits += settings.term_weight * np.array([term_evidence.get(t, 0.0) for t in ids], np.float64)
    logits += settings.context_boost * np.array([t in context_tasks for t in ids], np.float64)
    logits += settings.cue_boost * np.array([t in cued for t in ids], np.float64)
    for t in set(named_tasks):
        if t in probs:
            logits[ids.index(t)] += settings.name_boost
    logits /= settings.task_temperature
    p = np.exp(logits - logits.max())
    return dict(zip(ids, (p / p.sum()).tolist(), strict=True))


def named_records(question: str, titles: Mapping[str, Sequence[int]], longest: int) -> list[int]:
    """Positions of records whose exact title (case-sensitive, at least 3 characters) is a phrase of the
    question.  ``titles`` maps each title to its records; ``longest`` is the most words in a title."""
    words = [w.strip(".,;:!?()[]\"'“”‘’") for w in question.split()]
    found: list[int] = []
    for n in range(1, longest + 1):
        for i in range(len(words) - n + 1):
            for pos in titles.get(" ".join(words[i : i + n]), ()):
                if pos not in found:
                    found.append(pos)
    return found


def record_tasks(declared: Sequence[str], candidates: Sequence[str],
                 views: Sequence[Mapping[str, float]], clear: float = 0.5) -> list[str]:
    """A record's tasks.

    Those it declares; else, of the tasks its catalog category names (``candidates``), the
    one its text makes most probable; else every task that its whole text or one of its
    sentences makes at least ``clear`` probable (a record may do several things), the whole
    text's best first, or failing that the whole text's best.  ``views`` are task
    distributions: the whole text's first, then each sentence's.  The out-of-domain class
    is never a record's task.
    """
    if declared:
        return list(declared)
    if not views:
        return []
    whole = views[0]
    pool = [t for t in (candidates or dict.fromkeys(t for v in views for t in v)) if t != OUT_OF_DOMAIN]
    if not pool:
        return []
    if candidates:
        return [max(pool, key=lambda t: sum(v.get(t, 0.0) for v in views))]
    found: list[tuple[float, str]] = []
    for view in views:
        best = max(pool, key=lambda t: view.get(t, 0.0))
        if view.get(best, 0.0) >= clear:
            found.append((view[best] + (1.0 if view is whole else 0.0), best))
    tasks = list(dict.fromkeys(t for _, t in sorted(found, reverse=True)))
    return tasks or [max(pool, key=lambda t: whole.get(t, 0.0))]


def task_matrix(tasks_of: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """The tasks that ``tasks_of`` (each record's tasks) names, and a records x tasks 0/1 matrix of
    which record has which: :func:`rank`'s ``matrix``, built once for a fixed set of records."""
    ids = list(dict.fromkeys(t for ts in tasks_of for t in ts))
    column = {t: j for j, t in enumerate(ids)}
    matrix = np.zeros((len(tasks_of), len(ids)), np.float64)
    for i, ts in enumerate(tasks_of):
        matrix[i, [column[t] for t in ts]] = 1.0
    return ids, matrix


def term_evidence(scores: np.ndarray, matrix: tuple[Sequence[str], np.ndarray]) -> dict[str, float]:
    """How far the best-matching record of each task stands out from the typical record, by BM25 score.

    ``scores``: each record's score (:meth:`terms.RecordTerms.scores`); ``matrix``: :func:`task_matrix` of
    the records' tasks.  A task's evidence is ``max(0, best score among its records - median score)``: in a
    catalog most records share no rare word with a question and the median is about zero, while in a
    corpus of two or three records the median is itself a matching record, so a weak match lends little.
    """
    ids, has = matrix
    if not len(scores) or not len(ids):
        return {}
    stand = np.maximum(scores - np.median(scores), 0.0)
    best = (has * stand[:, None]).max(axis=0)
    return {t: float(v) for t, v in zip(ids, best.tolist(), strict=True) if v > 0}


def rank(cosines: np.ndarray, tasks_of: Sequence[Sequence[str]], probs: Mapping[str, float],
         settings: Settings, named: Sequence[int] = (),
         matrix: tuple[Sequence[str], np.ndarray] | None = None) -> np.ndarray:
    """Record positions, best first: records the question names, then the rest by cosine plus
    :attr:`Settings.task_prior` times the probability of the record's own task (so a record whose
    task the question is about rises).  ``matrix``: :func:`task_matrix` of ``tasks_of``, if at hand."""
    ids, has = matrix if matrix is not None else task_matrix(tasks_of)
    p = np.array([probs.get(t, 0.0) for t in ids], np.float64)
    prior = (has * p).max(axis=1, initial=0.0).astype(np.float32)
    score = cosines + settings.task_prior * prior
    if len(named):
        score[list(named)] += 10.0
    return np.argsort(-score, kind="stable")


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


def evidence(candidates: Sequence[tuple[str, str, float]], settings: Settings) -> list[tuple[str, str, float]]:
    """The short answer's sentences, from ``(record id, sentence, cosine)`` candidates in reading order.

    The two best always (when there are two), then every other within 0.15 of the best, at most
    :attr:`Settings.evidence_max` and no sentence twice; returned in the order they were given
    (each record's own order), so the quotes read as the records wrote them.
    """
    ranked = sorted(range(len(candidates)), key=lambda i: -candidates[i][2])
    best = candidates[ranked[0]][2] if ranked else 0.0
    chosen: list[int] = []
    for i in ranked:
        if len(chosen) >= settings.evidence_max or (len(chosen) >= 2 and candidates[i][2] < best - 0.15):
            break
        if all(candidates[i][1] != candidates[j][1] for j in chosen):
            chosen.append(i)
    return [candidates[i] for i in sorted(chosen)]


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
