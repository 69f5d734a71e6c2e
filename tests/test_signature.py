"""The question's signature: phrasings read from the taxonomy's data, the final ask, negations, subjects."""

from __future__ import annotations

import numpy as np
import pytest

from scientist.corpus import load_tasks
from scientist.records import Task, TaskSignature
from scientist.signature import SignatureView, ask_start, compile_phrasings, normalise, read
from scientist.views import FitData, Queries


@pytest.fixture(scope="module")
def view():
    tasks = load_tasks()
    return SignatureView.fit(FitData(tasks, sorted(t.id for t in tasks)))


def scores(view, text, records=False):
    z = view.logits(Queries([text], np.zeros((1, 4), np.float32), records=records))
    return dict(zip(view.classes, z[0] if z is not None else np.zeros(len(view.classes)), strict=True))


def top(view, text, n=1):
    s = view.scores(text)
    return [view.classes[i] for i in np.argsort(-s)[:n]]


def test_phrasing_grammar():
    p = compile_phrasings("enlarg*; make|made ~ bigger; TIMES; fill|filled in; typed QUOTE; trash_can")
    t = normalise
    assert p.search(t("I enlarged it")) and p.search(t("it made the photo much bigger"))
    assert not p.search(t("it made the photo of my uncle and his dog much bigger"))  # more than 3 words between
    assert p.search(t("blew it up 4x")) and p.search(t("three times")) and p.search(t("filled in the gap"))
    assert p.search(t("I typed 'a cat' and")) and p.search(t("the trash-can was gone"))
    assert not p.search(t("largest"))  # whole words: enlarg* does not match inside a word
    assert compile_phrasings("") is None


def test_quoted_words_and_contractions_are_normalised():
    assert "quotedtext" in normalise("I typed 'remove the noise' and got a picture")
    assert "remove the noise" not in normalise("I typed 'remove the noise' and got a picture")
    assert "did not" in normalise("It didn't brighten it") and "it's" in normalise("It's grainy")


def test_the_final_ask_is_the_last_question_after_its_but():
    text = normalise("I enlarged it and removed the grain. The enlarging I get, but how does the grain go?")
    assert text[ask_start(text):].startswith("how does the grain go")
    text = normalise("How does it work? I ask because my photo was dark.")
    assert ask_start(text) == 0  # the question, not the sentence told after it


def test_operation_in_the_ask_outweighs_one_told_on_the_way(view):
    r = read("I cut the product out and then enlarged it 4x. How does the enlarging invent detail?", view.phrasings)
    assert r.does["enlarge"] == 1.0 and r.does["outline"] == 0.5
    assert top(view, "I cut the product out and then enlarged it 4x. How does the enlarging invent detail?") == [
        "super-resolution"]
    assert top(view, "I enlarged it 4x and then cut the product out. How does the cutting out find the edge?") == [
        "segmentation"]


def test_negated_operations_count_against_their_task(view):
    r = read("The app said 'red fox'. It did not brighten the photo, it only identified the animal.",
             view.phrasings)
    assert "brighten" in r.negated and "recognise" in r.does
    s = scores(view, "The app said 'red fox'. It didn't brighten the photo. How?")
    assert s["low-light-enhancement"] < 0 < s["image-classification"]


def test_a_subject_counts_only_when_the_operation_agrees(view):
    face_erased = "I brushed over my ex's face in the photo and the app filled in the beach. How?"
    face_fixed = "The app fixed the blurry faces in my old photo. How does it restore faces?"
    s1, s2 = scores(view, face_erased), scores(view, face_fixed)
    assert top(view, face_erased) == ["inpainting"] and s1["face-restoration"] < 0
    assert top(view, face_fixed) == ["face-restoration"] and s2["face-restoration"] > 0
    # a subject alone, with no operation read, says nothing either way
    assert not view.scores("what about faces at night?").any()


@pytest.mark.parametrize("question,task", [
    ("I typed 'neon city at dusk' and got a picture. How does it make it?", "text-to-image"),
    ("I enlarged a noisy, heavily compressed photo 3x and it looked clean. How?", "super-resolution"),
    ("The app swapped my face with my brother's. How?", "image-editing"),
    ("The AI rewrote my vague prompt into a detailed one. How does it expand prompts?", "question-answering"),
    ("I pasted my dog into a beach photo and it matched the light. How?", "image-harmonization"),
    ("My phone sorted my photos into albums. How does it decide?", "image-classification"),
    ("The app split my face into lips, skin and hair regions. How?", "segmentation"),
])
def test_what_was_done_names_the_task(view, question, task):
    assert top(view, question) == [task]


def test_records_are_read_without_an_ask(view):
    record = "A network that fills masked regions of a photo. It does not enlarge images."
    z = scores(view, record, records=True)
    assert max(z, key=z.get) == "inpainting" and z["super-resolution"] < 0


def test_a_taxonomy_without_signatures_has_no_signature_view():
    tasks = [Task(id="a", label="A", family="f", description="d"), Task(id="b", label="B", family="f", description="d")]
    assert SignatureView.fit(FitData(tasks, ["a", "b"])) is None
    grows = TaskSignature(does=["grow"], phrasings={"does": {"grow": "grow*"}})
    signed = tasks[0].model_copy(update={"signature": grows})
    view = SignatureView.fit(FitData([signed, tasks[1]], ["a", "b"]))
    assert view.scores("it grows").tolist() == [1.0, 0.0]
    assert view.explain("how did it grow so?", ["a", "b"]) == {"a": "grow"}


def test_every_signature_name_has_phrasings_and_every_phrasing_compiles():
    tasks = load_tasks()
    signed = [t for t in tasks if t.signature is not None]
    assert len(signed) == len(tasks)
    for t in signed:
        for slot in ("gives", "does", "gets"):
            for entry in getattr(t.signature, slot):
                for name in entry.split("+"):
                    assert compile_phrasings(t.signature.phrasings[slot][name]) is not None, (t.id, slot, name)


def test_an_ask_that_points_by_order_takes_that_operation(view):
    told = "Colourising grandma's wedding photo was step two; step one was the face enhancer. "
    assert top(view, told + "Can you explain step one?") == ["face-restoration"]  # the words beside "step one"
    assert top(view, told + "Can you explain step two?") == ["colorization"]
    plain = "The app removed the grain and then enlarged my photo 4x. "
    assert top(view, plain + "How does the first step work?") == ["denoising"]  # no such words told: by order
    assert top(view, plain + "How does the latter work?") == ["super-resolution"]


def test_setting_an_operation_aside_negates_it(view):
    r = read("I use an enlarger and a grain remover on scanned film. Setting aside the enlarging, what does the "
             "grain remover learn?", view.phrasings)
    assert r.does == {"remove-noise": 1.0, "enlarge": 0.5}  # the enlarging set aside in the ask is not asked
    assert "brighten" in read("Setting aside the brightening, how does it work?", view.phrasings).negated


def test_skipping_phrasings_a_text_cannot_hold_changes_nothing(view, monkeypatch):
    """A cold process compiles only the patterns a question's words may need; the reading is the same."""
    import yaml

    import scientist.signature as signature

    from .conftest import DATA

    texts = [q["question"] for q in yaml.safe_load((DATA / "narrative-dev.yaml").read_text())[::4]]
    quick = [view.scores(t) for t in texts]
    monkeypatch.setattr(signature, "_may_match", lambda phrasings, words: True)
    slow = SignatureView.fit(FitData(load_tasks(), view.classes))
    assert all(np.array_equal(a, slow.scores(t)) for a, t in zip(quick, texts, strict=True))


def test_the_final_ask_read_alone_is_the_pointed_step_when_the_ask_points_by_order(view):
    story = "I generated a picture of a teapot from text and the app then turned the picture into a 3D object. "
    assert view.final_ask(story + "How does the first step work?").startswith("i generated a picture")
    assert view.final_ask(story + "How does the second step work?") == "turned the picture into a 3d object"
    assert view.final_ask(story + "How does the 3D part work?") == "How does the 3D part work?"
    assert view.final_ask("How does it reduce noise?") is None  # one operation: nothing to settle
