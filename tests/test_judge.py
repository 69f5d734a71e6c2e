"""The decision rules (scientist.judge) on made-up scores: no embedding model, no index."""

from __future__ import annotations

import numpy as np
import pytest

from scientist import judge
from scientist.answer import Reference, TaskResult
from scientist.settings import Settings

S = Settings(relevance_cutoff=0.20, strong_match=0.45, reference_floor=0.12, task_confidence=0.35, task_prior=0.5,
             evidence_max=4)
FAMILIES = {"denoising": "restoration", "deblurring": "restoration", "segmentation": "analysis",
            "out-of-domain": "none"}


def _task(task_id="denoising", clear=True, confidence=0.9) -> TaskResult:
    return TaskResult(id=task_id, label=task_id.title(), confidence=confidence, cosine=0.5, clear=clear)


def _ref(relevance, score, kind="model") -> Reference:
    return Reference(id=f"r{score}", kind=kind, title="R", url=None, github=None, score=score,
                     relevance=relevance, why="")


def test_classify_ranks_tasks_by_probability():
    probs = {"denoising": 0.7, "deblurring": 0.2, "segmentation": 0.1}
    result = judge.classify(probs, {"denoising": 0.41}, str.upper, S)
    assert result.id == "denoising" and result.label == "DENOISING" and result.clear
    assert result.confidence == 0.7 and result.cosine == 0.41
    assert result.runner_up.id == "deblurring" and result.runner_up.cosine == 0.0
    # below the confidence floor the best guess is kept but marked unclear
    low = judge.classify({"denoising": 0.30, "deblurring": 0.29, "segmentation": 0.41 - 0.3}, {}, str, S)
    assert low.id == "denoising" and not low.clear
    single = judge.classify({"denoising": 1.0}, {}, str, S)
    assert single.runner_up is None and single.confidence == 1.0


def test_record_tasks_declared_then_category_then_text():
    whole = {"denoising": 0.2, "deblurring": 0.3, "segmentation": 0.1, "out-of-domain": 0.4}
    assert judge.record_tasks(["segmentation"], ["denoising"], [whole]) == ["segmentation"]
    # an ambiguous category code: the candidate the record's text makes most probable
    assert judge.record_tasks([], ["denoising", "segmentation"], [whole]) == ["denoising"]
    # no category and nothing clear: the most probable task that is not "out of domain"
    assert judge.record_tasks([], [], [whole]) == ["deblurring"]
    # a record that does several things: every task a sentence makes clear, the whole text's first
    sentences = [{"segmentation": 0.7, "deblurring": 0.2}, {"denoising": 0.8, "deblurring": 0.1}]
    clear_whole = {"deblurring": 0.6, "denoising": 0.3}
    assert judge.record_tasks([], [], [clear_whole, *sentences]) == ["deblurring", "denoising", "segmentation"]
    assert judge.record_tasks([], [], [{"out-of-domain": 1.0}]) == []
    assert judge.record_tasks([], [], []) == []


def test_rank_lifts_records_of_the_question_task():
    cosines = np.array([0.50, 0.45, 0.30], np.float32)
    tasks_of = [["segmentation"], ["denoising"], ["denoising"]]
    assert judge.rank(cosines, tasks_of, {"denoising": 0.9, "segmentation": 0.05}, S).tolist() == [1, 2, 0]
    no_prior = S.model_copy(update={"task_prior": 0.0})
    assert judge.rank(cosines, tasks_of, {"denoising": 0.9}, no_prior).tolist() == [0, 1, 2]
    # an unsure classifier barely moves the cosine order
    assert judge.rank(cosines, tasks_of, {"denoising": 0.1, "segmentation": 0.1}, S).tolist() == [0, 1, 2]


def test_rank_with_a_precomputed_task_matrix_orders_alike():
    rng = np.random.default_rng(0)
    ids = ["denoising", "deblurring", "segmentation", "out-of-domain"]
    tasks_of = [list(rng.choice(ids, rng.integers(0, 3), replace=False)) for _ in range(200)]
    cosines = rng.random(200).astype(np.float32)
    probs = dict(zip(ids[:3], rng.dirichlet(np.ones(3)).tolist(), strict=True))
    matrix = judge.task_matrix(tasks_of)
    assert matrix[1].shape == (200, len(matrix[0]))
    for named in ((), [7, 3]):
        assert judge.rank(cosines, tasks_of, probs, S, named, matrix).tolist() == \
            judge.rank(cosines, tasks_of, probs, S, named).tolist()
    assert judge.rank(np.zeros(0, np.float32), [], probs, S).tolist() == []


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


def test_evidence_keeps_the_best_sentences_in_reading_order():
    cands = [("a", "first", 0.30), ("a", "second", 0.62), ("a", "third", 0.55), ("b", "fourth", 0.60),
             ("b", "fifth", 0.10), ("b", "second", 0.58), ("c", "sixth", 0.50)]
    chosen = judge.evidence(cands, S)
    # the two best, then those within 0.15 of the best, at most four, no sentence twice, in the given order
    assert [c[1] for c in chosen] == ["second", "third", "fourth", "sixth"]
    assert judge.evidence(cands, S.model_copy(update={"evidence_max": 2})) == [cands[1], cands[3]]
    # two sentences are given even when the second is far below the first
    assert judge.evidence([("a", "x", 0.9), ("a", "y", 0.1)], S) == [("a", "x", 0.9), ("a", "y", 0.1)]
    assert judge.evidence([], S) == []


def test_two_tasks_when_the_top_is_not_clearly_ahead():
    s = S.model_copy(update={"two_tasks_below": 0.6, "two_tasks_ratio": 3.0, "two_tasks_floor": 0.15})
    assert judge.two_tasks(("super-resolution", 0.55), ("denoising", 0.30), s)           # below 0.6
    assert judge.two_tasks(("super-resolution", 0.70), ("denoising", 0.25), s)           # under 3x the runner-up
    assert not judge.two_tasks(("super-resolution", 0.80), ("denoising", 0.20), s)       # clearly ahead
    assert not judge.two_tasks(("super-resolution", 0.40), ("denoising", 0.10), s)       # runner-up too weak
    assert not judge.two_tasks(("out-of-domain", 0.50), ("denoising", 0.45), s)          # never with out of domain
    result = judge.classify({"super-resolution": 0.5, "denoising": 0.4, "deblurring": 0.1}, {}, str, s)
    assert result.both and judge.task_ids(result) == ["super-resolution", "denoising"]
    assert judge.task_ids(judge.classify({"denoising": 0.9, "deblurring": 0.1}, {}, str, s)) == ["denoising"]
    assert judge.task_ids(None) == []


def test_a_record_of_either_task_is_direct_when_both_are_answered():
    both = _task(confidence=0.5).model_copy(update={
        "both": True, "runner_up": _task("segmentation", confidence=0.4)})
    assert judge.relevance(0.2, ["segmentation"], both, FAMILIES.get, S) == "direct"
    assert judge.relevance(0.2, ["segmentation"], _task(), FAMILIES.get, S) == "loose"


def test_the_references_cover_both_tasks():
    tasks_of = [["denoising"], ["denoising"], ["denoising"], ["segmentation"], ["deblurring"]]
    assert judge.cover([0, 1, 2, 3, 4], tasks_of, [], 3) == [0, 1, 2]
    assert judge.cover([0, 1, 2, 3, 4], tasks_of, ["denoising", "segmentation"], 3) == [0, 1, 3]
    assert judge.cover([3, 0, 1, 2], tasks_of, ["denoising", "segmentation"], 2) == [3, 0]
    assert judge.cover([0, 1], tasks_of, ["denoising", "deblurring"], 2) == [0, 1]  # none further down


def test_evidence_quotes_each_task_of_a_two_task_answer():
    cands = [("a", "one", 0.60), ("a", "two", 0.58), ("a", "three", 0.55), ("a", "four", 0.52), ("b", "five", 0.30)]
    s = S.model_copy(update={"evidence_max": 4})
    assert [c[1] for c in judge.evidence(cands, s)] == ["one", "two", "three", "four"]
    both = judge.evidence(cands, s, groups=[{"a"}, {"b"}])
    assert [c[1] for c in both] == ["one", "two", "three", "five"]  # the weakest of a's gives way to b's best
    assert judge.evidence(cands, s, groups=[{"a"}, {"c"}]) == judge.evidence(cands, s)  # c has nothing to quote


def test_a_record_beside_one_the_question_names_is_relied_on_only_when_it_addresses_the_task():
    unclear = _task(clear=False)
    assert judge.relevance(0.50, ["segmentation"], _task(), FAMILIES.get, S, beside_named=True) == "loose"
    assert judge.relevance(0.15, ["denoising"], _task(), FAMILIES.get, S, beside_named=True) == "direct"
    assert judge.relevance(0.01, ["segmentation"], _task(), FAMILIES.get, S, beside_named=True) == "none"
    assert not judge.supports(_ref("loose", 0.3), unclear, S, beside_named=True)
    assert judge.supports(_ref("direct", 0.15), _task(), S, beside_named=True)
