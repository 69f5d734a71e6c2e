"""The decision rules of an answer, as pure functions of scores and settings.

Everything here takes scores (cosine similarities, the task classifier's
probabilities, :mod:`scientist.views` combines them) and the
:class:`~scientist.settings.Settings` thresholds, and decides: which task a
question is (and whether a second one fits as well), which task a record is, the order of the
records, how relevant each is, whether it supports the answer, and whether the
corpus can answer at all.  Nothing here embeds or
searches, so every rule can be tested with made-up scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Literal

import numpy as np

from .answer import Reference, TaskGuess, TaskResult
from .settings import Settings

__all__ = [
    "OUT_OF_DOMAIN",
    "Relevance",
    "classify",
    "cover",
    "evidence",
    "in_scope",
    "rank",
    "record_tasks",
    "relevance",
    "supports",
    "task_ids",
    "task_matrix",
    "two_tasks",
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
    :attr:`Settings.task_confidence`, and names *both* tasks when :func:`two_tasks` says the top
    one is not clearly ahead of the runner-up.
    """
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])

    def guess(i: int) -> TaskGuess:
        task_id, p = ranked[i]
        return TaskGuess(id=task_id, label=label(task_id), confidence=round(float(p), 4),
                         cosine=round(float(cosines.get(task_id, 0.0)), 4))

    top = guess(0)
    runner_up = guess(1) if len(ranked) > 1 else None
    both = runner_up is not None and two_tasks(ranked[0], ranked[1], settings)
    return TaskResult(**top.model_dump(), runner_up=runner_up, clear=ranked[0][1] >= settings.task_confidence,
                      both=both)


def two_tasks(top: tuple[str, float], second: tuple[str, float], settings: Settings) -> bool:
    """Whether a question could be about either of its two most probable tasks: the top one is below
    :attr:`Settings.two_tasks_below`, or less than :attr:`Settings.two_tasks_ratio` times the runner-up.
    Never with the out-of-domain class, and never when the runner-up is below
    :attr:`Settings.two_tasks_floor` (a spread-out distribution is unclear, not two-sided)."""
    (t1, p1), (t2, p2) = top, second
    if OUT_OF_DOMAIN in (t1, t2) or p2 < settings.two_tasks_floor:
        return False
    return p1 < settings.two_tasks_below or p1 < settings.two_tasks_ratio * p2


def task_ids(task: TaskResult | None) -> list[str]:
    """The tasks an answer is about: the task, and its runner-up when both are answered."""
    if task is None:
        return []
    return [task.id, task.runner_up.id] if task.both and task.runner_up is not None else [task.id]


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


def cover(order: Sequence[int], tasks_of: Sequence[Sequence[str]], wanted: Sequence[str], k: int) -> list[int]:
    """The first ``k`` of ``order``, except that each task of ``wanted`` that a record further down has
    gets its best such record in, in place of the last record no wanted task needs."""
    top = list(order[:k])
    for task in wanted:
        if any(task in tasks_of[i] for i in top):
            continue
        extra = next((i for i in order[k:] if task in tasks_of[i]), None)
        if extra is None:
            continue
        needed = {i for t in wanted for i in top if t in tasks_of[i]
                  and sum(t in tasks_of[j] for j in top) == 1}
        spare = [i for i in reversed(top) if i not in needed]
        if spare:
            top[top.index(spare[0])] = extra
    return top


def relevance(score: float, record_tasks: Sequence[str], task: TaskResult,
              family: Callable[[str], str | None], settings: Settings, named: bool = False,
              beside_named: bool = False) -> Relevance:
    """direct, related, loose or none -- from the record's tasks and its cosine.

    direct: the record addresses the (clear) task of the question (either, when the answer is
    about two tasks); related: it addresses a task of the same family, or scores a strong
    match, above the relevance cutoff; loose: listed but not relied on; none: below the floor.
    ``family`` maps a task id to its family.  A record the question ``named`` is judged by its tasks alone:
    its cosine was taken with its title beside its name in the question (:meth:`naming.Naming.expand`), so
    it is never below the floor (the person asked about it) and never related by a strong match alone.  A record
    ``beside_named`` (the question names another by its words) is direct or else at most loose: the question is
    about the one it names ("who are the authors of the annotation quality paper?" is no question for the
    histopathology paper, however close its words).
    """
    wanted = task_ids(task)
    if task.clear and any(t in record_tasks for t in wanted):
        return "direct" if named or score >= settings.reference_floor else "none"
    if beside_named:
        return "none" if score < settings.reference_floor else "loose"
    families = {family(t) for t in record_tasks} - {None}
    neighbour = task.clear and any(family(t) in families for t in wanted)
    if named:
        return "related" if neighbour else "loose"
    if score < settings.reference_floor:
        return "none"
    if score < settings.relevance_cutoff or not task.clear:
        return "loose"
    return "related" if neighbour or score >= settings.strong_match else "loose"


def supports(ref: Reference, task: TaskResult, settings: Settings, beside_named: bool = False) -> bool:
    """Whether a retrieved record is relied on (not merely listed) in an answer; one ``beside_named`` (see
    :func:`relevance`) only when it addresses the question's task."""
    if beside_named:
        return ref.relevance == "direct"
    return ref.relevance in ("direct", "related") or (
        not task.clear and ref.score >= settings.relevance_cutoff)


def evidence(candidates: Sequence[tuple[str, str, float]], settings: Settings,
             groups: Sequence[Collection[str]] = ()) -> list[tuple[str, str, float]]:
    """The short answer's sentences, from ``(record id, sentence, cosine)`` candidates in reading order.

    The two best always (when there are two), then every other within 0.15 of the best, at most
    :attr:`Settings.evidence_max` and no sentence twice; each of ``groups`` (sets of record ids: the
    records of each task an answer is about) that has candidates gets its best one in, in place of the
    weakest chosen sentence of a group already represented.  Returned in the order they were given (each
    record's own order), so the quotes read as the records wrote them.
    """
    ranked = sorted(range(len(candidates)), key=lambda i: -candidates[i][2])
    best = candidates[ranked[0]][2] if ranked else 0.0
    chosen: list[int] = []
    for i in ranked:
        if len(chosen) >= settings.evidence_max or (len(chosen) >= 2 and candidates[i][2] < best - 0.15):
            break
        if all(candidates[i][1] != candidates[j][1] for j in chosen):
            chosen.append(i)
    def group_of(i: int) -> int | None:
        return next((g for g, ids in enumerate(groups) if candidates[i][0] in ids), None)

    for g in range(len(groups)):
        if any(group_of(j) == g for j in chosen):
            continue
        mine = next((i for i in ranked if group_of(i) == g
                     and all(candidates[i][1] != candidates[j][1] for j in chosen)), None)
        if mine is None:
            continue
        if len(chosen) >= settings.evidence_max:
            count = Counter(group_of(j) for j in chosen)
            spare = [j for j in chosen if group_of(j) is None or count[group_of(j)] > 1]
            if not spare:
                continue
            chosen.remove(min(spare, key=lambda j: candidates[j][2]))
        chosen.append(mine)
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
