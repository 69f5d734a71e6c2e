"""Evaluate answers over a question set: task accuracy, reference precision, refusal accuracy.

A question set is YAML: a list of items ``{question, task, in_scope, references}``
where ``task`` is a task id (or a list of acceptable ids), ``in_scope`` says
whether the corpus should answer it, and ``references`` lists the record ids a
careful answer would cite.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from . import yamlio
from .errors import CorpusError

__all__ = ["EvalItem", "EvalReport", "evaluate", "load_questions"]


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
    question: str
    expected_task: list[str] | None
    task: str
    task_ok: bool | None
    expected_in_scope: bool
    in_scope: bool
    cited: list[str]
    precision: float | None


class EvalReport(BaseModel):
    """Aggregate metrics and the per-question rows."""

    n: int = Field(description="Questions evaluated.")
    task_accuracy: float = Field(description="Share of questions with an expected task classified correctly.")
    reference_precision: float = Field(
        description="Mean share of cited records that were expected, over answered questions with expected references."
    )
    refusal_accuracy: float = Field(description="Share of questions whose in_scope matched the expectation.")
    rows: list[EvalRow]

    def table(self) -> str:
        lines = [f"{'task':<4} {'scope':<5} {'prec':>5}  question"]
        for r in self.rows:
            t = "-" if r.task_ok is None else ("ok" if r.task_ok else "MISS")
            s = "ok" if r.in_scope == r.expected_in_scope else "MISS"
            p = "-" if r.precision is None else f"{r.precision:.2f}"
            miss = "" if r.task_ok is not False else f"  (got {r.task})"
            lines.append(f"{t:<4} {s:<5} {p:>5}  {r.question[:70]}{miss}")
        lines += [
            "",
            f"questions:            {self.n}",
            f"task accuracy:        {self.task_accuracy:.3f}",
            f"reference precision:  {self.reference_precision:.3f}",
            f"refusal accuracy:     {self.refusal_accuracy:.3f}",
        ]
        return "\n".join(lines)


def load_questions(path: str | Path) -> list[EvalItem]:
    p = Path(path)
    try:
        raw = yamlio.safe_load(p.read_text("utf-8"))
    except OSError as exc:
        raise CorpusError(f"{p}: cannot read ({exc.strerror})") from None
    except yamlio.YAMLError:
        raise CorpusError(f"{p.name}: invalid YAML") from None
    if isinstance(raw, dict):
        raw = raw.get("questions")
    if not isinstance(raw, list) or not raw:
        raise CorpusError(f"{p.name}: expected a list of questions")
    try:
        return [EvalItem.model_validate(x) for x in raw]
    except ValidationError as exc:
        raise CorpusError(f"{p.name}: invalid question item ({exc.errors()[0]['msg']})") from None


def evaluate(scientist, items: list[EvalItem]) -> EvalReport:
    rows = []
    for item in items:
        a = scientist.ask(item.question)
        # records cited as support; loosely related ones are listed but not relied on
        cited = [r.id for r in a.references if r.relevance in ("direct", "related")]
        task_ok = None if item.task is None else a.task.id in item.task
        precision = None
        if a.in_scope and item.references is not None and cited:
            precision = sum(c in item.references for c in cited) / len(cited)
        rows.append(EvalRow(question=item.question, expected_task=item.task, task=a.task.id,
                            task_ok=task_ok, expected_in_scope=item.in_scope, in_scope=a.in_scope,
                            cited=cited, precision=precision))
    tasks = [r.task_ok for r in rows if r.task_ok is not None]
    precs = [r.precision for r in rows if r.precision is not None]
    return EvalReport(
        n=len(rows),
        task_accuracy=sum(tasks) / len(tasks) if tasks else 0.0,
        reference_precision=sum(precs) / len(precs) if precs else 0.0,
        refusal_accuracy=sum(r.in_scope == r.expected_in_scope for r in rows) / len(rows),
        rows=rows,
    )
