"""Part 2 of an answer (scientist.workflow): card workflows, assembled ones, and the demo's steps."""

from __future__ import annotations

import pytest

from scientist.corpus import Corpus, load_corpus, load_tasks
from scientist.errors import ScientistError
from scientist.records import Record
from scientist.render import Renderer
from scientist.restore.mimo_unet import MIMOUNet
from scientist.restore.run import KNOWN_OPS
from scientist.workflow import demo_record, demo_workflow, workflow_for


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    return Renderer(cache=tmp_path_factory.mktemp("jinja"))


def test_card_workflow_is_the_card(renderer):
    rec = load_corpus(include_user=False).get("deblur-mimo-unet-realblur")
    wf = workflow_for(rec, [], renderer)
    assert wf.grounded and [s.name for s in wf.steps] == [s.name for s in rec.card.workflow]
    assert wf.cannot == rec.card.cannot and wf.mermaid.startswith("flowchart LR")
    # the card's operations are exactly what the demo can run, with every network stage in order
    assert {s.op for s in wf.steps if s.op} <= KNOWN_OPS
    assert tuple(s.op for s in wf.steps if s.op in MIMOUNet.STAGES) == MIMOUNet.STAGES


def test_record_without_card_gets_an_assembled_workflow(renderer):
    tasks = {t.id: t for t in load_tasks()}
    rec = Record(id="swinir", kind="model", title="SwinIR", summary="A Swin Transformer that upscales images.")
    wf = workflow_for(rec, [tasks["super-resolution"]], renderer)
    assert not wf.grounded and len(wf.steps) == 3
    assert [s.stage for s in wf.steps] == ["input", "model", "output"]
    assert wf.input == tasks["super-resolution"].input and "upscales images" in wf.steps[1].detail
    assert workflow_for(None, [], renderer) is None


def test_demo_workflow_falls_back_to_the_packaged_card(renderer):
    plain = Corpus([Record(id="x", kind="model", title="X")], load_tasks())
    assert demo_record(plain) is None
    wf = demo_workflow(plain, renderer)
    assert wf.model_id == "deblur-mimo-unet-realblur" and any(s.op == "expose" for s in wf.steps)


def test_demo_refuses_a_workflow_it_cannot_run(tmp_path):
    from scientist.records import Step
    from scientist.restore.run import run_demo

    steps = [Step(name="Load", detail="", op="load"), Step(name="Teleport", detail="", op="teleport")]
    with pytest.raises(ScientistError, match="cannot run: teleport"):
        run_demo(tmp_path / "p.png", steps=steps)
    partial = [Step(name="Load", detail="", op="load"), Step(name="Encode", detail="", op="encode")]
    with pytest.raises(ScientistError, match="every MIMO-UNet stage"):
        run_demo(tmp_path / "p.png", steps=partial)


def test_assembled_steps_are_named_by_what_their_sentence_says(renderer):
    from scientist.workflow import gist

    tasks = {t.id: t for t in load_tasks()}
    rec = Record(id="dncnn", kind="model", title="DnCNN", summary="")
    sentences = ["DnCNN is a plain deep CNN with batch normalisation that predicts the noise in an image.",
                 "A blind variant handles a range of Gaussian noise levels, and one model also deblocks."]
    wf = workflow_for(rec, [tasks["denoising"]], renderer, sentences)
    assert [s.name for s in wf.steps[1:3]] == ["A plain deep CNN with batch normalisation…",
                                              "A blind variant handles a range of Gaussian…"]
    assert "What it does" not in wf.mermaid and "A plain deep CNN" in wf.mermaid
    assert gist("It is trained on pairs.", "X") == ("Trained on pairs", False)
    assert gist("FFDNet takes a noise map.", "FFDNet") == ("Takes a noise map", False)


def test_a_sentence_that_holds_a_link_is_no_step(renderer):
    tasks = {t.id: t for t in load_tasks()}
    rec = Record(id="grainy", kind="model", title="Grainy", summary="")
    sentences = ["A network that removes noise from photos.", "See https://elsewhere.example/x and www.example.org.",
                 "Code: https://github.com/a/b", "It is trained on pairs.", "A third sentence."]
    wf = workflow_for(rec, [tasks["denoising"]], renderer, sentences)
    assert [s.name for s in wf.steps[1:-1]] == ["A network…", "Trained on pairs"]
    assert "http" not in wf.mermaid and not any("http" in s.name or "www" in s.name for s in wf.steps)


def test_a_sentence_that_reports_a_result_is_no_step(renderer):
    tasks = {t.id: t for t in load_tasks()}
    rec = Record(id="dncnn", kind="model", title="DnCNN", summary="")
    sentences = ["DnCNN learns the residual noise of a photo and removes Gaussian noise.",
                 "It reaches 29.23 dB PSNR on BSD68 at sigma 25.", "It runs at 30 ms per photo.",
                 "It stacks 17 layers of convolution, batch normalisation and ReLU."]
    wf = workflow_for(rec, [tasks["denoising"]], renderer, sentences)
    assert [s.detail for s in wf.steps[1:-1]] == [sentences[0], sentences[3]]  # how well is not what it does
