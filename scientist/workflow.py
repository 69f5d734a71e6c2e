"""Part 2 of an answer: the input -> model -> output workflow, and the steps the demo executes.

A model record with a card in the corpus gives its own steps (each naming the
operation the demo runs for it); a record without one gets a three-step
workflow assembled from its task and its own description.  The demo runs the
very steps an answer explains: :func:`demo_workflow` hands them to
:func:`scientist.restore.run.run_demo`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .answer import Workflow
from .corpus import Corpus, load_corpus
from .errors import ScientistError
from .guard import figures_in, find_urls
from .records import Record, Step, Task, split_sentences
from .render import Renderer

__all__ = ["demo_record", "demo_workflow", "gist", "workflow_for"]

#: Most words of a step's name when it is taken from the record's own sentence.
GIST_WORDS = 8
_SUBJECT = re.compile(r"^(?:it|this model|the model|this network|the network|this method|the method)\s+", re.I)
_CLAUSE = re.compile(r"[,;:(]|\s(?:that|which|so|and then|because|while|whereas)\s")


def gist(sentence: str, title: str) -> tuple[str, bool]:
    """A short name for a step that a record's sentence describes: the sentence's first clause, without
    the record's own name as its subject, at most :data:`GIST_WORDS` words; and whether it was cut short.
    "DnCNN is a plain deep CNN with batch normalisation that predicts..." -> ("A plain deep CNN with batch
    normalisation", False)."""
    text = sentence.strip().rstrip(".")
    for name in (title, title.split()[0] if title.split() else ""):
        if name and text.lower().startswith(name.lower() + " "):
            text = text[len(name):].lstrip()
            break
    text = _SUBJECT.sub("", text)
    text = re.sub(r"^(?:is|are|was)\s+", "", text)
    clause = _CLAUSE.split(text, maxsplit=1)[0].strip()
    words = clause.split()
    cut = len(words) > GIST_WORDS or clause != text
    words = words[:GIST_WORDS]
    while len(words) > 2 and words[-1].lower() in ("a", "an", "the", "of", "to", "and", "or", "with", "for", "in",
                                                   "on", "by", "from", "at", "as"):
        words.pop()
    name = " ".join(words)
    return (name[:1].upper() + name[1:], cut) if name else (title, False)


def _steps_of(sentences: Sequence[str]) -> list[str]:
    """The sentences an assembled workflow makes its model steps of: the first two that hold no link (a pointer
    to elsewhere is no step, and a link cut into a step's short name would pass for one) and report no result ("It
    reaches 29.23 dB PSNR on BSD68" says how well, not what is done: :func:`_reports_result`)."""
    return [s for s in sentences if not find_urls(s) and not _reports_result(s)][:2]


#: Kinds of figure (:func:`~scientist.guard.figures_in`) that say how well or how fast a model does, or how it was
#: trained, not what it does ("29.23 dB PSNR", "30 ms", "3 times faster", "3000 epochs"); a count of its scales or
#: blocks is a step's.  A percentage ("95% accuracy") is one too.
_RESULTS = frozenset({"PSNR", "SSIM", "LPIPS", "FID", "ms", "fps", "seconds", "times", "ratio", "epoch", "batch size",
                      "training time"})


def _reports_result(sentence: str) -> bool:
    """Whether ``sentence`` reports a result: a figure of :data:`_RESULTS`, or a percentage."""
    return any(kind in _RESULTS or kind.startswith("%") for kind, _ in figures_in(sentence))


def workflow_for(rec: Record | None, tasks: Sequence[Task], renderer: Renderer,
                 sentences: Sequence[str] = ()) -> Workflow | None:
    """The workflow of a record: its card when it has one, else one assembled from its task's input
    and output (``tasks``: the record's tasks) and its own ``sentences`` (at most two, without links)."""
    if rec is None:
        return None
    if rec.card is not None:
        c = rec.card
        steps = [s.model_copy() for s in c.workflow]
        wf_in, wf_out, grounded, can, cannot = c.input, c.output, True, c.can, c.cannot
        facts = {"architecture": c.architecture, "trained_for": c.trained_for}
    else:
        wf_in = tasks[0].input if tasks else "The data the model takes"
        wf_out = tasks[0].output if tasks else "The model's prediction"
        middle = [Step(name=renderer.phrase("assembled_step", **dict(zip(("gist", "cut"), gist(sentence, rec.title),
                                                                          strict=True))),
                       detail=sentence, stage="model") for sentence in _steps_of(sentences)]
        if not middle:
            said = " ".join(s for s in split_sentences(rec.summary, min_chars=1) if not find_urls(s))
            middle = [Step(name=rec.title, detail=renderer.phrase("generic_model", record=rec, summary=said),
                           stage="model")]
        steps = [Step(name="Input", detail=wf_in, stage="input"), *middle,
                 Step(name="Output", detail=wf_out, stage="output")]
        grounded, can, cannot, facts = False, [], [], {}
    return Workflow(model_id=rec.id, model=rec.title, kind=rec.kind, input=wf_in, steps=steps, output=wf_out,
                    mermaid=renderer.mermaid(wf_in, steps, wf_out, rec.kind), grounded=grounded, can=can,
                    cannot=cannot, **facts)


def demo_record(corpus: Corpus) -> Record | None:
    """The record whose model card the demo can execute (its steps name operations)."""
    return next((r for r in corpus.records if r.card and any(s.op for s in r.card.workflow)), None)


def demo_workflow(corpus: Corpus | None = None, renderer: Renderer | None = None) -> Workflow:
    """The executable workflow: from ``corpus`` when it holds a runnable card, else the packaged one."""
    rec = demo_record(corpus) if corpus is not None else None
    if rec is None:
        rec = demo_record(load_corpus(include_user=False))
    if rec is None:
        raise ScientistError("the packaged corpus has no model card with a runnable workflow")
    return workflow_for(rec, [], renderer or Renderer())
