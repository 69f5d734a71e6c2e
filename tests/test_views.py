"""The views of the task classifier and the one combiner: weights, temperature, the rules' cap, the registry."""

from __future__ import annotations

import numpy as np
import pytest

from scientist.index import VIEWS
from scientist.settings import Settings
from scientist.views import (
    ContextView,
    CorpusData,
    CueView,
    NameView,
    Queries,
    combine,
    cue_pattern,
    cue_strengths,
)

CLASSES = ["audio-denoising", "denoising", "segmentation"]


class Fixed:
    """A view that says the same logits for every text (a stand-in for a fitted model)."""

    name, weight, rule, records, scope = "fixed", "embedding_weight", False, True, "tasks"

    def __init__(self, logits):
        self.z = np.array(logits, np.float64)

    def logits(self, q):
        return np.tile(self.z, (len(q), 1))


def _q(text="how does it reduce noise?", named=None, records=False):
    return Queries([text], np.zeros((1, 4), np.float32), named=[named or []], records=records)


def _p(views, settings, q=None):
    return dict(zip(CLASSES, np.exp(combine(views, q or _q(), settings, len(CLASSES)))[0].tolist(), strict=True))


FLAT = Settings(task_temperature=1.0, context_boost=0.0, cue_boost=0.0, name_boost=0.0)


def test_every_weight_and_the_temperature_are_applied_in_one_place():
    base = Fixed(np.log([0.6, 0.3, 0.1]))
    assert _p([base], FLAT) == pytest.approx({"audio-denoising": 0.6, "denoising": 0.3, "segmentation": 0.1})
    context = ContextView(CLASSES, ["denoising", "segmentation"])
    lifted = _p([base, context], FLAT.model_copy(update={"context_boost": 2.0}))
    assert lifted["denoising"] > lifted["audio-denoising"]
    assert _p([base, context], FLAT) == _p([base], FLAT)  # weight 0: the view adds nothing
    sharp = _p([base], FLAT.model_copy(update={"task_temperature": 0.5}))
    assert sharp["audio-denoising"] > 0.6 and sum(sharp.values()) == pytest.approx(1.0)
    half = _p([base], FLAT.model_copy(update={"embedding_weight": 0.5}))
    assert half["audio-denoising"] == pytest.approx(0.6 ** 0.5 / sum(x ** 0.5 for x in (0.6, 0.3, 0.1)))


def test_named_and_cued_tasks_are_lifted():
    base = Fixed(np.log([0.6, 0.3, 0.1]))
    names = NameView(CLASSES, [["segmentation"], ["denoising"]])
    named = _p([base, names], FLAT.model_copy(update={"name_boost": 4.0}), _q(named=[0]))
    assert max(named, key=named.get) == "segmentation"
    assert names.logits(_q()) is None  # nothing named: nothing to say
    from scientist.records import Task

    tasks = [Task(id="segmentation", label="Segmentation", family="vision", description="d", cues=["cut out"])]
    cues = CueView(CLASSES, tasks)
    cued = _p([base, cues], FLAT.model_copy(update={"cue_boost": 3.0}), _q("can it CUT-OUT my cat?"))
    assert max(cued, key=cued.get) == "segmentation"


def test_rules_alone_cannot_make_a_task_near_certain():
    """An undecided classifier over the packaged taxonomy and every rule pointing one way: the cap keeps the
    top task below 0.9."""
    from scientist.corpus import load_tasks

    classes = [t.id for t in load_tasks()]
    even = Fixed(np.zeros(len(classes)))
    rules = [ContextView(classes, ["segmentation"]), NameView(classes, [["segmentation"]])]
    loud = Settings(context_boost=10.0, name_boost=10.0)
    p = np.exp(combine([even, *rules], _q(named=[0]), loud, len(classes)))[0]
    top = np.exp(loud.rule_cap / loud.task_temperature)
    assert p.max() == p[classes.index("segmentation")] == pytest.approx(top / (top + len(classes) - 1))
    assert p.max() < 0.9
    # the learned views are not capped: a confident model stays confident
    sure = Fixed([0.0, 0.0, 20.0])
    assert _p([sure], Settings())["segmentation"] > 0.99


def test_records_are_read_only_by_views_that_read_records():
    base = Fixed(np.log([0.6, 0.3, 0.1]))
    context = ContextView(CLASSES, ["segmentation"])
    settings = FLAT.model_copy(update={"context_boost": 3.0})
    assert _p([base, context], settings, _q(records=True)) == pytest.approx(_p([base], settings))
    assert _p([base, context], settings)["segmentation"] > 0.5


def test_tasks_of_another_medium_are_held_back_unless_the_question_names_it():
    """"how did it remove the noise?" was read as audio noise removal (67 %) and refused, a photo attached or not:
    a task of another medium is held back when the question names nothing only such tasks take or give."""
    base = Fixed(np.log([0.6, 0.3, 0.1]))
    context = ContextView(CLASSES, ["denoising", "segmentation"], "record*; podcast*; my voice", ["audio-denoising"])
    settings = FLAT.model_copy(update={"context_boost": 2.0})
    unsaid = _p([base, context], settings, _q("how did it remove the noise?"))
    said = _p([base, context], settings, _q("how did it remove the noise from my podcast?"))
    assert max(unsaid, key=unsaid.get) == "denoising"
    assert said["audio-denoising"] > unsaid["audio-denoising"] and said["denoising"] < unsaid["denoising"]
    plain = ContextView(CLASSES, ["denoising", "segmentation"])  # no other medium declared: as before
    assert _p([base, plain], settings, _q("how did it remove the noise?")) == pytest.approx(
        _p([base, plain], settings, _q("how did it remove the noise from my podcast?")))


def test_cues_name_a_task_whichever_way_round():
    cues = {"speech-recognition": cue_pattern(["voice-to-text", "transcribe"]),
            "text-to-speech": cue_pattern(["text-to-speech", "read aloud"])}
    assert list(cue_strengths("Why do voice-to-text tools mishear me?", cues)) == ["speech-recognition"]
    assert list(cue_strengths("voice to text, please", cues)) == ["speech-recognition"]
    assert list(cue_strengths("Can it READ ALOUD my essay?", cues)) == ["text-to-speech"]
    assert list(cue_strengths("transcribed by hand", cues)) == []  # whole words only
    assert cue_pattern([]) is None


def test_every_view_keeps_to_the_protocol():
    from scientist.settings import Settings as S

    assert len({v.name for v in VIEWS}) == len(VIEWS)
    for view in VIEWS:
        assert view.weight in S.model_fields, view
        assert view.scope in ("tasks", "corpus") and isinstance(view.rule, bool) and isinstance(view.records, bool)
        for method in ("fit", "load", "arrays", "meta", "logits"):
            assert callable(getattr(view, method)), (view, method)
    data = CorpusData([], [], [], CLASSES, ["denoising"])
    assert ContextView.fit(data).tasks == {"denoising"}
