"""An answer that names two tasks, and the reasons a reference gives: the wording and the JSON."""

from __future__ import annotations

import pytest

from scientist.corpus import load_tasks
from scientist.records import Record
from scientist.render import Renderer, lower_words
from scientist.settings import Settings


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    return Renderer(cache=tmp_path_factory.mktemp("jinja"))


def test_a_direct_record_names_the_task_it_matches_in_the_question(renderer):
    tasks = {t.id: t for t in load_tasks()}
    rec = Record(id="swinir", kind="model", title="SwinIR")
    why = renderer.phrase("why", relevance="direct", record=rec, score=0.41, task=tasks["denoising"],
                          record_tasks=[tasks["super-resolution"], tasks["denoising"]], quote="",
                          matched=tasks["denoising"])
    assert why == ("Directly relevant (cosine 0.41): this super-resolution model also addresses image denoising, "
                   "the task of the question.")
    own = renderer.phrase("why", relevance="direct", record=rec, score=0.41, task=tasks["super-resolution"],
                          record_tasks=[tasks["super-resolution"]], quote="", matched=tasks["super-resolution"],
                          both=True)
    assert own.endswith("this model addresses super-resolution, one of the two tasks the question could be about.")


def test_a_two_task_answer_says_so_everywhere(tmp_path, fake_embedder):
    """Settings that make every answer two-sided: the notes, part 1 and part 2, the HTML and the JSON say so."""
    from scientist.core import Scientist

    from .helpers import tiny_corpus, tiny_tasks

    # one model per task, each with two sentences to quote: whichever two tasks come first, both have records
    records = [Record(id=t.id, kind="model", title=f"Model for {t.label}", tasks=[t.id],
                      summary=f"This model does {t.label.lower()} on photos. It was trained on many examples.")
               for t in tiny_tasks() if t.id != "out-of-domain"]
    loose = Settings(two_tasks_below=1.0, two_tasks_ratio=100.0, two_tasks_floor=0.0, task_confidence=0.0,
                     reference_floor=-1.0, relevance_cutoff=-1.0, k=3)
    sci = Scientist(tiny_corpus(records), cache_dir=tmp_path, embedder=fake_embedder, settings=loose)
    question = "I enlarged my grainy photo and it came out clean. How does the enlarging work?"
    a = sci.ask(question)
    assert a.task.both and a.task.runner_up is not None and a.in_scope
    first, second = lower_words(a.task.label), lower_words(a.task.runner_up.label)  # "JPEG" kept
    assert any(n.startswith(f"The question could be about either {first}") and second in n for n in a.notes)
    assert f"or **{a.task.runner_up.label}**" in a.markdown and "this answer covers both" in a.markdown
    assert f"could also be about {second}" in a.markdown and f"could also be about {second}" in a.text
    assert a.workflow.model_id == a.task.id  # part 2 explains the first task
    # part 3 and the short answer have records of both tasks
    assert {a.task.id, a.task.runner_up.id} <= {r.id for r in a.references if r.supports}
    assert {a.task.id, a.task.runner_up.id} <= {e.record_id for e in a.evidence}
    data = a.model_dump()
    assert data["task"]["both"] is True and data["task"]["runner_up"]["id"] == a.task.runner_up.id
    html = sci.renderer.html("answer.html.j2", a=a, diagram="", titles=sci.evidence_titles(a))
    assert f"<strong>{a.task.runner_up.label}</strong>; this answer covers both" in html
    assert f"could also be about {second}" in html
    strict = Scientist(tiny_corpus(records), cache_dir=tmp_path, embedder=fake_embedder,
                       settings=loose.model_copy(update={"two_tasks_below": 0.0, "two_tasks_ratio": 1.0}))
    plain = strict.ask(question)
    assert not plain.task.both and "could be about either" not in plain.markdown


def test_a_two_task_answer_says_which_task_no_record_covers(tmp_path, fake_embedder):
    """Records of one of the two tasks only: the notes say the other has none, part 1 does not claim both, part 2
    does not point to records that are not there, and the model's mismatch with the other task is said (its card's
    limits follow, as for a one-task mismatch, when it has a card: matches_model is False)."""
    from scientist.core import Scientist

    from .helpers import tiny_corpus, tiny_tasks

    loose = Settings(two_tasks_below=1.0, two_tasks_ratio=100.0, two_tasks_floor=0.0, task_confidence=0.0,
                     reference_floor=-1.0, relevance_cutoff=-1.0, k=3)
    question = "I enlarged my grainy photo and it came out clean. How does the enlarging work?"
    every = [Record(id=t.id, kind="model", title=f"Model for {t.label}", tasks=[t.id],
                    summary=f"This model does {t.label.lower()} on photos. It was trained on many examples.")
             for t in tiny_tasks() if t.id != "out-of-domain"]
    first = Scientist(tiny_corpus(every), cache_dir=tmp_path / "all", embedder=fake_embedder,
                      settings=loose).ask(question).task.id
    records = [r for r in every if r.id == first] + [
        Record(id="study", kind="paper", title="A study", tasks=["out-of-domain"],
               summary="A study of something else entirely. It has two sentences.")]
    sci = Scientist(tiny_corpus(records), cache_dir=tmp_path / "one", embedder=fake_embedder, settings=loose)
    a = sci.ask(question)
    assert a.task.both and a.in_scope and a.task.id == first
    other = a.task.runner_up
    assert a.task.covered == [first] and a.task.matches_model is False
    label, other_label = lower_words(a.task.label), lower_words(other.label)
    assert any(f"The records cover {label} only: none of them is about {other_label}; part 2 explains {label}."
               in n for n in a.notes), a.notes
    assert any(n.startswith(f"The question is also about {other_label}, but the recommended model, Model for")
               for n in a.notes), a.notes
    for text in (a.markdown, a.text):
        assert "covers both" not in text and "cover both" not in text and "could also be about" not in text


def test_an_out_of_scope_two_task_answer_claims_no_records(renderer):
    tasks = {t.id: t for t in load_tasks()}
    note = renderer.phrase("note_two_tasks", task=tasks["denoising"].model_copy(update={"confidence": 0.6}),
                           second=tasks["super-resolution"].model_copy(update={"confidence": 0.4}),
                           words={}, in_scope=False, covered=[], workflow=None, explains=None)
    assert note.endswith("neither is clearly ahead of the other.")
    unclear = renderer.phrase("note_unclear", task=tasks["denoising"].model_copy(update={"cosine": 0.19}),
                              in_scope=False)
    assert "below" not in unclear and "languages" not in unclear


def test_part_2_does_not_point_to_part_3_for_the_task_it_has_just_explained(sci):
    """Read as face restoration or image deblurring, with part 2 explaining the deblurring model, part 2 closed
    with 'The question could also be about image deblurring: its records are listed in part 3.'"""
    a = sci.ask("My daughter took a picture at her school play with my phone and the app made it less blurry. "
                "How did it know what the picture was supposed to look like?")
    assert a.task.both and a.task.runner_up.id == "deblurring" == a.task.model_task, a.task
    assert "could also be about image deblurring" not in a.markdown + a.text
