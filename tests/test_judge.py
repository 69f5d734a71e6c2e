"""The decision rules (scientist.judge) on made-up scores: no embedding model, no index."""

from __future__ import annotations

import pytest

from scientist import judge
from scientist.answer import Reference, TaskResult
from scientist.settings import Settings

S = Settings(relevance_cutoff=0.20, strong_match=0.45, reference_floor=0.12, task_floor=0.45, temperature=0.05)
FAMILIES = {"denoising": "restoration", "deblurring": "restoration", "segmentation": "analysis",
            "out-of-domain": "none"}


def _task(task_id="denoising", clear=True, cosine=0.6) -> TaskResult:
    return TaskResult(id=task_id, label=task_id.title(), confidence=0.9, cosine=cosine, clear=clear)


def _ref(relevance, score, kind="model") -> Reference:
    return Reference(id=f"r{score}", kind=kind, title="R", url=None, github=None, score=score,
                     relevance=relevance, why="")


def test_classify_ranks_tasks_and_softmaxes_confidences():
    result = judge.classify({"denoising": 0.62, "deblurring": 0.55, "segmentation": 0.10}, str.upper, S)
    assert result.id == "denoising" and result.label == "DENOISING" and result.clear
    assert result.runner_up.id == "deblurring"
    assert 0.5 < result.confidence < 1 and result.runner_up.confidence < result.confidence
    assert result.confidence + result.runner_up.confidence <= 1.0001
    # below the floor the best guess is kept but marked unclear
    low = judge.classify({"denoising": 0.30, "deblurring": 0.29}, str, S)
    assert low.id == "denoising" and not low.clear
    # a lower temperature makes the same scores more confident
    sharp = judge.classify({"denoising": 0.62, "deblurring": 0.55}, str, S.model_copy(update={"temperature": 0.01}))
    assert sharp.confidence > judge.classify({"denoising": 0.62, "deblurring": 0.55}, str, S).confidence
    single = judge.classify({"denoising": 0.5}, str, S)
    assert single.runner_up is None and single.confidence == 1.0


@pytest.mark.parametrize("score,record_tasks,task,expected", [
    (0.05, ["denoising"], _task(), "none"),                          # below the floor: not shown
    (0.13, ["denoising"], _task(), "direct"),                        # the very task, even at a low cosine
    (0.13, ["deblurring"], _task(), "loose"),                        # same family but below the cutoff
    (0.30, ["deblurring"], _task(), "related"),                      # same family above the cutoff
    (0.30, ["segmentation"], _task(), "loose"),                      # another family
    (0.50, ["segmentation"], _task(), "related"),                    # a strong match whatever its task
    (0.50, ["denoising"], _task(clear=False), "loose"),              # an unclear question relies on nothing
])
def test_relevance(score, record_tasks, task, expected):
    assert judge.relevance(score, record_tasks, task, FAMILIES.get, S) == expected


def test_supports_and_scope():
    clear, unclear = _task(), _task(clear=False)
    assert judge.supports(_ref("direct", 0.15), clear, S)
    assert judge.supports(_ref("related", 0.3), clear, S)
    assert not judge.supports(_ref("loose", 0.3), clear, S)
    # with an unclear task, clearing the cutoff is enough
    assert judge.supports(_ref("loose", 0.25), unclear, S)
    assert not judge.supports(_ref("loose", 0.15), unclear, S)

    assert judge.in_scope(clear, [_ref("loose", 0.3), _ref("related", 0.25)], S)
    assert not judge.in_scope(clear, [_ref("loose", 0.4)], S)
    assert judge.in_scope(unclear, [_ref("loose", 0.21)], S)
    assert not judge.in_scope(unclear, [_ref("loose", 0.19)], S)
    assert not judge.in_scope(_task("out-of-domain"), [_ref("direct", 0.9)], S)
    assert not judge.in_scope(clear, [], S)


def test_infer_tasks_from_sentences():
    sentences = [{"denoising": 0.6, "deblurring": 0.3}, {"deblurring": 0.5, "denoising": 0.2},
                 {"out-of-domain": 0.9, "denoising": 0.1}]
    assert judge.infer_tasks(sentences, S) == ["denoising", "deblurring"]
    # nothing clear: the single best match
    assert judge.infer_tasks([{"segmentation": 0.3, "denoising": 0.2}], S) == ["segmentation"]
    assert judge.infer_tasks([], S) == []
