"""What an answer says of its own limits: the card's facts and limits whatever the task, the runner-up task the
model was not built for, the task a refusal read, links in the question, and notes that do not contradict
themselves when a question could be about two tasks of different kinds."""

from __future__ import annotations

import pytest

from scientist.corpus import load_corpus, load_tasks
from scientist.render import Renderer


def test_the_card_is_shown_whatever_the_task(sci):
    answer = sci.ask("How does it sharpen photos blurred by a shaking hand?")
    assert answer.task.id == "deblurring" and answer.task.matches_model is True
    md = answer.markdown
    assert "from its model card (about its published weights)" in md
    assert "- Cannot: It was not trained to remove sensor noise or grain" in md
    assert "- **Architecture:** MIMO-UNet+ (20 residual blocks per stage, 16.1 M parameters)" in md
    assert "- **Published weights trained for:** Removing motion and camera-shake blur" in md
    assert "weights of its own, trained on dark, noisy photos" in md and "weights of its own" in answer.text
    assert answer.workflow.architecture.startswith("MIMO-UNet+") and "GoPro" in answer.workflow.trained_for


def test_a_second_problem_the_model_was_not_built_for_is_named(sci):
    answer = sci.ask("My photo is blurry AND noisy, taken at night while walking. Which model fixes both?")
    assert answer.task.id == "deblurring" and not answer.task.both
    assert answer.task.runner_up.id == "denoising" and answer.task.runner_up.confidence >= 0.15
    assert any(n.startswith("The question may also be about image denoising (") and
               n.endswith("which Deblur-MIMO-UNet-RealBlur was not built for.") for n in answer.notes), answer.notes


def test_a_refusal_names_the_task_it_read(sci):
    answer = sci.ask("ok and for the grain?")
    assert not answer.in_scope
    assert any(n.startswith("The question reads as being about image denoising, but none of the 3 provided "
                            "records covers it") for n in answer.notes), answer.notes


def test_a_records_own_link_names_it_and_another_link_is_said_to_be_dropped(sci):
    link = "http://arxiv.org/pdf/2302.06549v1.pdf"
    answer = sci.ask(f"I read {link} - can this method denoise my microscope images?")
    named = [r for r in answer.references if r.named]
    assert [r.url for r in named] == [link]
    assert answer.notes[0].startswith(f"Read the link {link} as naming the paper \"Between Generating Noise")
    assert "[link removed]" not in answer.question
    other = sci.ask("Look at https://example.org/paper and tell me how it removes grain from photos.")
    assert "[link removed]" in other.question and "example.org" not in other.markdown
    assert any("does not follow links" in n for n in other.notes)
    exact = sci.ask("What does Quality Assured: Rethinking Annotation Strategies in Imaging AI find?")
    assert not any(n.startswith("Read ") for n in exact.notes)  # its whole title needs no note


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    return Renderer(cache=tmp_path_factory.mktemp("jinja"))


def test_a_mismatch_of_two_tasks_of_different_kinds_says_which_is_which(renderer):
    tasks = {t.id: t for t in load_tasks()}
    model = load_corpus(include_user=False).get("deblur-mimo-unet-realblur")
    both = renderer.phrase("note_mismatch", tasks=[tasks["audio-denoising"], tasks["denoising"]], model=model,
                           model_task=tasks["deblurring"])
    assert "Image denoising is, like image deblurring, a restoration task" in both
    assert "audio noise removal is a different kind of task" in both and "These are different kinds" not in both
    one = renderer.phrase("note_mismatch", tasks=[tasks["denoising"]], model=model, model_task=tasks["deblurring"])
    assert "Both are restoration tasks" in one


def test_two_tasks_one_likelier_is_not_called_a_tie(renderer):
    from scientist.answer import TaskResult

    first = TaskResult(id="denoising", label="Image denoising", confidence=0.71, cosine=0.5, clear=True)
    second = TaskResult(id="low-light-enhancement", label="Low-light enhancement", confidence=0.28, cosine=0.4,
                        clear=True)
    said = renderer.phrase("note_two_tasks", task=first, second=second, words={})
    assert "the first is likelier, but not by enough to leave the second out" in said
    close = first.model_copy(update={"confidence": 0.38})
    assert "neither is clearly ahead" in renderer.phrase("note_two_tasks", task=close, second=second, words={})


def test_a_named_record_without_code_says_so(sci):
    answer = sci.ask("Give me the GitHub link for the histopathology paper's code.")
    named = next(r for r in answer.references if r.named)
    assert named.github is None and "Histopathology" in named.title
    part3 = answer.markdown.split("## 3.", 1)[1]
    block = part3.split(f"- **{named.title}**", 1)[1].split("\n- **", 1)[0]
    assert "- Code: none in its record" in block


def test_two_tasks_are_told_apart_by_the_taxonomys_words(renderer):
    from scientist.answer import TaskResult

    tasks = {t.id: t for t in load_tasks()}
    first = TaskResult(id="denoising", label="Image denoising", confidence=0.59, cosine=0.5, clear=True)
    second = TaskResult(id="deblurring", label="Image deblurring", confidence=0.41, cosine=0.5, clear=True)
    said = renderer.phrase("note_two_tasks", task=first, second=second, words={},
                           described=[tasks["denoising"], tasks["deblurring"]])
    assert said.endswith("The two, as the taxonomy tells them apart: image denoising is removing sensor noise and "
                         "grain from a photo while keeping real detail and texture; image deblurring is making a "
                         "blurry photo sharp again after camera shake, motion blur or defocus.")
    off = renderer.phrase("note_two_tasks", task=first, second=second, words={},
                          described=[tasks["denoising"], tasks["out-of-domain"]])
    assert "as the taxonomy tells them apart" not in off
