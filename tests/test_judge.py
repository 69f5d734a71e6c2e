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


def test_cues_name_a_task_whichever_way_round():
    cues = {"speech-recognition": judge.cue_pattern(["voice-to-text", "transcribe"]),
            "text-to-speech": judge.cue_pattern(["text-to-speech", "read aloud"])}
    assert judge.cued_tasks("Why do voice-to-text tools mishear me?", cues) == ["speech-recognition"]
    assert judge.cued_tasks("voice to text, please", cues) == ["speech-recognition"]
    assert judge.cued_tasks("Can it READ ALOUD my essay?", cues) == ["text-to-speech"]
    assert judge.cued_tasks("transcribed by hand", cues) == []  # whole words only
    assert judge.cue_pattern([]) is None


def test_task_probabilities_lift_named_cued_and_context_tasks():
    probs = {"denoising": 0.3, "audio-denoising": 0.6, "segmentation": 0.1}
    flat = S.model_copy(update={"task_temperature": 1.0, "context_boost": 0.0, "cue_boost": 0.0, "name_boost": 0.0})
    assert judge.task_probabilities(probs, [], [], flat) == pytest.approx(probs)
    context = judge.task_probabilities(probs, [], ["denoising", "segmentation"],
                                       flat.model_copy(update={"context_boost": 2.0}))
    assert context["denoising"] > context["audio-denoising"]
    named = judge.task_probabilities(probs, ["segmentation"], [], flat.model_copy(update={"name_boost": 4.0}))
    assert max(named, key=named.get) == "segmentation"
    cued = judge.task_probabilities(probs, [], [], flat.model_copy(update={"cue_boost": 3.0}), ["segmentation"])
    assert max(cued, key=cued.get) == "segmentation"
    sharp = judge.task_probabilities(probs, [], [], flat.model_copy(update={"task_temperature": 0.5}))
    assert sharp["audio-denoising"] > probs["audio-denoising"] and sum(sharp.values()) == pytest.approx(1.0)


def test_named_records_match_exact_titles_and_names():
    titles = {"DnCNN": [0], "Stable Diffusion": [1], "CLIP": [2]}
    assert judge.named_records("What's the idea behind DnCNN?", titles, 2) == [0]
    assert judge.named_records("How does Stable Diffusion draw?", titles, 2) == [1]
    assert judge.named_records("I cut a clip from the video", titles, 2) == []  # case matters
    assert judge.named_records("dncnn", titles, 2) == []
