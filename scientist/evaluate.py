"""Evaluate answers over a question set: the task, the records, the refusals, and how honest the confidence is.

A question set is YAML: a list of items ``{question, task, in_scope, references}``
where ``task`` is a task id (or a list of acceptable ids), ``in_scope`` says
whether the corpus should answer it, and ``references`` lists the record ids a
careful answer would cite.  An optional *key* (YAML ``record id -> task id``)
says what task each record of the corpus is for; without one, the tool's own
idea of each record's task is used.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from . import yamlio
from .errors import CorpusError
from .ingest import read_text

__all__ = ["EvalItem", "EvalReport", "evaluate", "expected_calibration_error", "load_key", "load_questions"]


class EvalItem(BaseModel):
    """One question of a question set."""

    question: str = Field(description="The question.")
    task: list[str] | None = Field(default=None, description="Acceptable task ids.")
    in_scope: bool = Field(default=True, description="Whether the corpus should answer it.")
    references: list[str] | None = Field(default=None, description="Record ids a careful answer cites.")

    @field_validator("task", mode="before")
    @classmethod
    def _listify(cls, v):
        return [v] if isinstance(v, str) else v


class EvalRow(BaseModel):
    """How one question was answered."""

    question: str = Field(description="The question.")
    expected_task: list[str] | None = Field(description="Acceptable task ids.")
    task: str = Field(description="The task the tool chose.")
    confidence: float = Field(description="The tool's confidence in that task.")
    task_ok: bool | None = Field(description="Whether the task is acceptable (None when none is expected).")
    expected_in_scope: bool = Field(description="Whether the corpus should answer.")
    in_scope: bool = Field(description="Whether the tool answered.")
    cited: list[str] = Field(description="Records the answer relies on.")
    precision: float | None = Field(description="Share of the cited records that were expected.")
    top_record: str | None = Field(description="The first record of the ranking.")
    rank: int | None = Field(description="Rank (1 = first) of the first record of an expected task.")


class EvalReport(BaseModel):
    """Aggregate metrics and the per-question rows."""

    n: int = Field(description="Questions evaluated.")
    task_accuracy: float = Field(description="Share of questions with an expected task classified correctly.")
    calibration_error: float = Field(
        description="Expected calibration error of the task confidence (10 equal-width bins): the mean gap "
                    "between stated confidence and accuracy, weighted by questions.")
    category_at_1: float = Field(description="Share of questions whose first record is for an expected task.")
    mrr: float = Field(description="Mean reciprocal rank of the first record for an expected task.")
    reference_precision: float = Field(
        description="Mean share of cited records that were expected, over answered questions with expected references."
    )
    refusal_accuracy: float = Field(description="Share of questions whose in_scope matched the expectation.")
    rows: list[EvalRow] = Field(description="One row per question.")

    def table(self) -> str:
        lines = [f"{'task':<4} {'conf':>5} {'rank':>4} {'scope':<5} {'prec':>5}  question"]
        for r in self.rows:
            t = "-" if r.task_ok is None else ("ok" if r.task_ok else "MISS")
            s = "ok" if r.in_scope == r.expected_in_scope else "MISS"
            p = "-" if r.precision is None else f"{r.precision:.2f}"
            rank = "-" if r.rank is None else str(r.rank)
            miss = "" if r.task_ok is not False else f"  (got {r.task})"
            lines.append(f"{t:<4} {r.confidence:5.2f} {rank:>4} {s:<5} {p:>5}  {r.question[:70]}{miss}")
        lines += [
            "",
            f"questions:            {self.n}",
            f"task accuracy:        {self.task_accuracy:.3f}",
            f"calibration error:    {self.calibration_error:.3f} (ECE, 10 bins)",
            f"category@1:           {self.category_at_1:.3f}",
            f"MRR:                  {self.mrr:.3f}",
            f"reference precision:  {self.reference_precision:.3f}",
            f"refusal accuracy:     {self.refusal_accuracy:.3f}",
        ]
        return "\n".join(lines)


def _read_yaml(path: str | Path):
    p = Path(path)
    text = read_text(p)
    try:
        return yamlio.safe_load(text)
    except (yamlio.YAMLError, RecursionError):
        raise CorpusError(f"{p.name}: invalid YAML") from None


def load_questions(path: str | Path) -> list[EvalItem]:
    raw = _read_yaml(path)
    if isinstance(raw, dict):
        raw = raw.get("questions")
    if not isinstance(raw, list) or not raw:
        raise CorpusError(f"{Path(path).name}: expected a list of questions")
    try:
        return [EvalItem.model_validate(x) for x in raw]
    except ValidationError as exc:
        raise CorpusError(f"{Path(path).name}: invalid question item ({exc.errors()[0]['msg']})") from None


def load_key(path: str | Path) -> dict[str, str]:
    """An answer key: ``record id -> task id``."""
    raw = _read_yaml(path)
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
    rows = []
    every = len(scientist.corpus)
    for item in items:
        a = scientist.ask(item.question)
        cited = [r.id for r in a.references if r.supports]
        task_ok = None if item.task is None else a.task.id in item.task
        precision = None
        if a.in_scope and item.references is not None and cited:
            precision = sum(c in item.references for c in cited) / len(cited)
        ranking = [rec for rec, _ in scientist.retrieve(item.question, every)] if item.task else []
        rank = None
        for i, rec in enumerate(ranking, 1):
            tasks = [key[rec.id]] if key and rec.id in key else scientist.record_tasks(rec)
            if any(t in item.task for t in tasks):
                rank = i
                break
        rows.append(EvalRow(question=item.question, expected_task=item.task, task=a.task.id,
                            confidence=a.task.confidence, task_ok=task_ok, expected_in_scope=item.in_scope,
                            in_scope=a.in_scope, cited=cited, precision=precision,
                            top_record=ranking[0].id if ranking else None, rank=rank))
    judged = [r for r in rows if r.task_ok is not None]
    precs = [r.precision for r in rows if r.precision is not None]
    return EvalReport(
        n=len(rows),
        task_accuracy=sum(r.task_ok for r in judged) / len(judged) if judged else 0.0,
        calibration_error=expected_calibration_error([r.confidence for r in judged], [r.task_ok for r in judged]),
        category_at_1=sum(r.rank == 1 for r in judged) / len(judged) if judged else 0.0,
        mrr=sum(1 / r.rank for r in judged if r.rank) / len(judged) if judged else 0.0,
        reference_precision=sum(precs) / len(precs) if precs else 0.0,
        refusal_accuracy=sum(r.in_scope == r.expected_in_scope for r in rows) / len(rows),
        rows=rows,
    )
