"""Evaluate answers over a question set: the task, the records, the refusals, and how honest the confidence is.

A question set is YAML: a list of items ``{question, task, in_scope, references, also, kind}``
where ``task`` is a task id (or a list of acceptable ids), ``in_scope`` says
whether the corpus should answer it, ``references`` lists the record ids a
careful answer would cite, ``also`` (on questions that tell of two operations)
names the other operation's task, and ``kind`` groups questions (``plain``,
``mixed``, ``subject``...) for figures per kind.  Only ``question`` is required.
An optional *key* (YAML ``record id -> task id``) says what task each record of
the corpus is for; without one, the tool's own idea of each record's task is used.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .corpus import read_yaml
from .errors import CorpusError, shown, value_problem

__all__ = ["EvalItem", "EvalReport", "Figures", "evaluate", "expected_calibration_error", "known_tasks",
           "load_key", "load_questions"]

#: Confidence at or above which a wrong task counts as a confident mistake.
CONFIDENT = 0.9


class EvalItem(BaseModel):
    """One question of a question set (a key it does not know, a misspelt ``taks:``, is refused)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, description="The question.")
    task: list[str] | None = Field(default=None, description="Acceptable task ids.")
    in_scope: bool = Field(default=True, description="Whether the corpus should answer it.")
    references: list[str] | None = Field(default=None, description="Record ids a careful answer cites.")
    also: list[str] | None = Field(
        default=None, description="The other task a question telling of two operations mentions (informative).")
    kind: str | None = Field(default=None, description="A group for figures per kind (plain, mixed, subject...).")

    @field_validator("task", "also", mode="before")
    @classmethod
    def _listify(cls, v):
        return [v] if isinstance(v, str) else v


class EvalRow(BaseModel):
    """How one question was answered."""

    question: str = Field(description="The question.")
    expected_task: list[str] | None = Field(description="Acceptable task ids.")
    kind: str | None = Field(default=None, description="The question's kind, if the set gives one.")
    task: str | None = Field(description="The task the tool chose (None when it did not read the question).")
    confidence: float = Field(description="The tool's confidence in that task.")
    runner_up: str | None = Field(default=None, description="The tool's second task.")
    both: bool = Field(default=False, description="Whether the answer named and answered two tasks.")
    task_ok: bool | None = Field(description="Whether the task is acceptable (None when none is expected).")
    top2_ok: bool | None = Field(default=None, description="Whether the task or the runner-up is acceptable.")
    also_second: bool | None = Field(
        default=None, description="For a question with `also`: whether the runner-up is that task.")
    expected_in_scope: bool = Field(description="Whether the corpus should answer.")
    in_scope: bool = Field(description="Whether the tool answered.")
    cited: list[str] = Field(description="Records the answer relies on.")
    precision: float | None = Field(description="Share of the cited records that were expected.")
    top_record: str | None = Field(description="The first record of the ranking.")
    rank: int | None = Field(description="Rank (1 = first) of the first record of an expected task.")


class Figures(BaseModel):
    """The task and ranking figures of a group of questions."""

    n: int = Field(description="Questions with an expected task.")
    task_accuracy: float | None = Field(description="Share classified to an expected task (None when no question "
                                                    "expects one, as for every figure below that reads them).")
    top2_accuracy: float | None = Field(description="Share whose task or runner-up is an expected task.")
    calibration_error: float | None = Field(
        description="Expected calibration error of the task confidence (10 equal-width bins): the mean gap "
                    "between stated confidence and accuracy, weighted by questions.")
    confident_wrong: float | None = Field(
        description=f"Share answered with a wrong task at confidence >= {CONFIDENT}.")
    two_tasks: float | None = Field(description="Share of answers that named two tasks.")
    two_tasks_top1: float | None = Field(description="Task accuracy among those (None when there are none).")
    two_tasks_top2: float | None = Field(description="Top-2 accuracy among those.")
    also_second: float | None = Field(
        description="Among questions with `also`: share whose runner-up is that task (None when there are none).")
    category_at_1: float | None = Field(description="Share whose first record is for an expected task.")
    mrr: float | None = Field(description="Mean reciprocal rank of the first record for an expected task.")

    @classmethod
    def of(cls, rows: Sequence[EvalRow]) -> Figures:
        judged = [r for r in rows if r.task_ok is not None]
        n = len(judged)

        def share(items, test) -> float | None:  # of no question, no figure: not 0 (the text report prints "-")
            return sum(1 for r in items if test(r)) / len(items) if items else None

        both = [r for r in judged if r.both]
        also = [r for r in judged if r.also_second is not None]
        return cls(
            n=n, task_accuracy=share(judged, lambda r: r.task_ok), top2_accuracy=share(judged, lambda r: r.top2_ok),
            calibration_error=expected_calibration_error([r.confidence for r in judged],
                                                         [bool(r.task_ok) for r in judged]) if n else None,
            confident_wrong=share(judged, lambda r: not r.task_ok and r.confidence >= CONFIDENT),
            two_tasks=share(judged, lambda r: r.both),
            two_tasks_top1=share(both, lambda r: r.task_ok), two_tasks_top2=share(both, lambda r: r.top2_ok),
            also_second=share(also, lambda r: r.also_second), category_at_1=share(judged, lambda r: r.rank == 1),
            mrr=sum(1 / r.rank for r in judged if r.rank) / n if n else None)

    def lines(self, indent: str = "") -> list[str]:
        def f(x: float | None) -> str:  # no question with an expected task: no figure (not 0.000)
            return "-" if x is None or not self.n else f"{x:.3f}"

        return [
            f"{indent}task accuracy:        {f(self.task_accuracy)}",
            f"{indent}top-2 accuracy:       {f(self.top2_accuracy)}",
            f"{indent}calibration error:    {f(self.calibration_error)} (ECE, 10 bins)",
            f"{indent}wrong at >= {CONFIDENT}:      {f(self.confident_wrong)}",
            f"{indent}two tasks named:      {f(self.two_tasks)} (top-1 {f(self.two_tasks_top1)}, "
            f"top-2 {f(self.two_tasks_top2)} among them)",
            *([f"{indent}runner-up = also:     {f(self.also_second)}"] if self.also_second is not None else []),
            f"{indent}category@1:           {f(self.category_at_1)}",
            f"{indent}MRR:                  {f(self.mrr)}",
        ]


class EvalReport(Figures):
    """The figures over all questions, the same figures per kind of question, and the per-question rows."""

    questions: int = Field(description="Questions evaluated (with an expected task or not).")
    reference_precision: float | None = Field(
        description="Mean share of cited records that were expected, over answered questions with expected references "
                    "(None when there are none: the set gives no references, or no such question was answered)."
    )
    refusal_accuracy: float = Field(description="Share of questions whose in_scope matched the expectation.")
    by_kind: dict[str, Figures] = Field(default_factory=dict, description="The same figures per kind of question.")
    rows: list[EvalRow] = Field(description="One row per question.")

    def table(self) -> str:
        lines = [f"{'task':<4} {'conf':>5} {'rank':>4} {'scope':<5} {'prec':>5}  question"]
        for r in self.rows:
            t = "-" if r.task_ok is None else ("ok" if r.task_ok else ("2nd" if r.top2_ok else "MISS"))
            s = "ok" if r.in_scope == r.expected_in_scope else "MISS"
            p = "-" if r.precision is None else f"{r.precision:.2f}"
            rank = "-" if r.rank is None else str(r.rank)
            miss = "" if r.task_ok is not False else f"  (got {r.task}, then {r.runner_up})"
            lines.append(f"{t:<4} {r.confidence:5.2f} {rank:>4} {s:<5} {p:>5}  {r.question[:70]}{miss}")
        precision = "-" if self.reference_precision is None else f"{self.reference_precision:.3f}"
        lines += ["", f"questions:            {self.questions}", *self.lines(),
                  f"reference precision:  {precision}",
                  f"refusal accuracy:     {self.refusal_accuracy:.3f}"]
        for kind, figures in self.by_kind.items():
            lines += ["", f"{kind} ({figures.n} questions):", *figures.lines("  ")]
        return "\n".join(lines)


def load_questions(path: str | Path) -> list[EvalItem]:
    raw = read_yaml(path, "question set")
    if isinstance(raw, dict):
        raw = raw.get("questions")
    if not isinstance(raw, list) or not raw:
        raise CorpusError(f"{Path(path).name}: expected a list of questions")
    items = []
    for n, x in enumerate(raw, 1):
        try:
            items.append(EvalItem.model_validate(x))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise CorpusError(f"{shown(Path(path).name)}: question {n}: {where + ': ' if where else ''}"
                              f"{value_problem(err)}") from None
        if not items[-1].question.strip():
            raise CorpusError(f"{shown(Path(path).name)}: question {n}: the question is empty")
    return items


def known_tasks(items: Sequence[EvalItem], corpus, source: str = "the question set") -> list[EvalItem]:
    """``items`` with their task names (``task``, ``also``) read against the taxonomy as a catalog's are (an id,
    label, alias or category code stands for its task: "Image denoising" is ``denoising``); a name the taxonomy
    does not have is a :class:`CorpusError` naming the closest id (every question would otherwise be a miss), and so
    is a ``references`` id no record of ``corpus`` has."""
    def read(n: int, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        out = []
        for name in names:
            found = corpus.tasks_named(name)
            if not found:
                raise CorpusError(f"{source}: question {n}: {corpus.unknown_task(name)}")
            out += found
        return list(dict.fromkeys(out))

    ids = {r.id for r in corpus.records}
    for n, item in enumerate(items, 1):  # a reference no record has would count every answer citing as a miss
        for ref in item.references or ():
            if ref not in ids:
                close = difflib.get_close_matches(ref, sorted(ids), n=1)
                raise CorpusError(f"{source}: question {n}: no record of the corpus has the id {shown(ref)!r}"
                                  + (f" (did you mean {close[0]!r}?)" if close else ""))
    return [item.model_copy(update={"task": read(n, item.task), "also": read(n, item.also)})
            for n, item in enumerate(items, 1)]


def load_key(path: str | Path) -> dict[str, str]:
    """An answer key: ``record id -> task id``."""
    raw = read_yaml(path, "answer key")
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise CorpusError(f"{Path(path).name}: expected a mapping of record ids to task ids")
    return {str(k): v for k, v in raw.items()}


def expected_calibration_error(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by their share of questions."""
    if not confidences:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [i for i, c in enumerate(confidences) if lo < c <= hi or (b == 0 and c == 0)]
        if members:
            acc = sum(correct[i] for i in members) / len(members)
            conf = sum(confidences[i] for i in members) / len(members)
            total += len(members) / len(confidences) * abs(acc - conf)
    return total


def evaluate(scientist, items: list[EvalItem], key: dict[str, str] | None = None) -> EvalReport:
    """Ask every question of ``items`` (read against the taxonomy with :func:`known_tasks` first) and judge it."""
    rows = []
    every = len(scientist.corpus)
    for item in items:
        a = scientist.ask(item.question)
        t = a.task
        cited = [r.id for r in a.references if r.supports]
        task_ok = top2_ok = None
        if item.task is not None:
            task_ok = t is not None and t.id in item.task
            top2_ok = task_ok or (t is not None and t.runner_up is not None and t.runner_up.id in item.task)
        precision = None
        if a.in_scope and item.references is not None and cited:
            precision = sum(c in item.references for c in cited) / len(cited)
        ranking = [rec for rec, _ in scientist.retrieve(item.question, every)] if item.task and t else []
        rank = None
        for i, rec in enumerate(ranking, 1):
            tasks = [key[rec.id]] if key and rec.id in key else scientist.record_tasks(rec)
            if any(x in item.task for x in tasks):
                rank = i
                break
        runner_up = t.runner_up.id if t is not None and t.runner_up is not None else None
        rows.append(EvalRow(
            question=item.question, kind=item.kind, expected_task=item.task, task=t.id if t else None,
            confidence=t.confidence if t else 0.0, runner_up=runner_up, both=bool(t and t.both), task_ok=task_ok,
            top2_ok=top2_ok, also_second=None if not item.also else runner_up in item.also,
            expected_in_scope=item.in_scope, in_scope=a.in_scope, cited=cited, precision=precision,
            top_record=ranking[0].id if ranking else None, rank=rank))
    kinds = list(dict.fromkeys(r.kind for r in rows if r.kind))
    precs = [r.precision for r in rows if r.precision is not None]
    return EvalReport(
        **Figures.of(rows).model_dump(), questions=len(rows),
        reference_precision=sum(precs) / len(precs) if precs else None,
        refusal_accuracy=sum(r.in_scope == r.expected_in_scope for r in rows) / len(rows),
        by_kind={k: Figures.of([r for r in rows if r.kind == k]) for k in kinds}, rows=rows)
