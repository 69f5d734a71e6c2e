"""The demo run on small photos (scientist.restore.run): outputs, progress, tiles.  Every test but the one that
is refused before the network loads runs the bundled weights, so is marked slow."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from scientist.errors import OutputError

from .helpers import photo_array as _photo
from .helpers import to_u8 as _u8


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def card_steps():
    """The steps of the packaged model card: what the demo executes."""
    from scientist.workflow import demo_workflow

    return demo_workflow().steps


@pytest.mark.slow  # runs the bundled network
def test_demo_odd_size_writes_outputs_and_keeps_input(tmp_path, card_steps):
    from scientist.restore.run import run_demo

    photo = tmp_path / "IMG_2041.jpg"
    Image.fromarray(_u8(_photo(333, 517) * 0.3)).save(photo, quality=85)
    before = _sha(photo)
    demo = run_demo(photo, steps=card_steps)
    assert _sha(photo) == before
    out = Image.open(demo.output)
    assert out.size == (517, 333) and demo.size == [517, 333]
    assert demo.output.endswith("IMG_2041_restored.png")
    assert Image.open(demo.comparison).size[0] >= 517
    assert demo.gain > 1.0 and demo.brightness == "brightened" and demo.brightness_after > demo.brightness_before
    assert demo.steps[0] == "Load the photo" and demo.steps[-1] == "Crop, clamp and save"
    from scientist.restore.precision import cpu_bf16_native

    # --precision auto: bfloat16 on a CPU that computes it natively, fp32 (onnxruntime) elsewhere
    expected = ("bf16", "torch-bf16-channels-last") if cpu_bf16_native() else ("fp32", "onnxruntime")
    assert (demo.precision, demo.backend) == expected
    assert 0 < demo.model_seconds <= demo.seconds and demo.estimated_seconds > 0
    # a second run never overwrites the first
    again = run_demo(photo, steps=card_steps)
    assert again.output != demo.output and again.output.endswith("_restored-2.png")


@pytest.mark.slow  # runs the bundled network
def test_progress_shows_an_estimate_measured_on_this_machine(tmp_path, monkeypatch, capsys):
    from scientist.progress import ConsoleProgress
    from scientist.restore import speed
    from scientist.restore.run import run_demo

    # pretend the network is slow, so the demo thinks progress is worth showing
    monkeypatch.setitem(speed.SECONDS_PER_MP, "MIMO-UNet", 1000.0)
    photo = tmp_path / "dim.png"
    Image.fromarray(_u8(_photo(120, 200) * 0.3)).save(photo)
    events = []

    def progress(event):
        events.append(event)
        ConsoleProgress()(event)

    demo = run_demo(photo, tile=64, progress=progress)
    err = capsys.readouterr().err
    assert "estimated" in err and "from the speed measured on this machine" in err and "tiles" in err
    # the estimate came from a probe run, not from the (absurd) prior
    assert demo.tiles > 1 and demo.estimated_seconds < 1000.0 * 0.1
    kinds = [e.kind for e in events]
    assert kinds == ["start"] + ["tile"] * demo.tiles + ["done"]
    assert [e.done for e in events[1:-1]] == list(range(1, demo.tiles + 1))
    assert events[0].measured and events[0].estimate == pytest.approx(demo.estimated_seconds, abs=0.1)


def test_output_equal_to_input_and_existing_output_are_refused(tmp_path):
    from scientist.restore.run import run_demo

    photo = tmp_path / "a.png"
    Image.fromarray(_u8(_photo())).save(photo)
    with pytest.raises(OutputError, match="overwrite the input"):
        run_demo(photo, out=photo)
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        run_demo(photo, out=taken)
    assert taken.read_bytes() == b"keep me"


@pytest.mark.slow  # runs the bundled network
def test_a_missing_out_dir_is_made_for_one_photo_as_for_many(tmp_path):
    from scientist.restore.run import run_demo

    photo = tmp_path / "a.png"
    Image.fromarray(_u8(_photo(12, 16))).save(photo)
    demo = run_demo(photo, out_dir=tmp_path / "new" / "sub")
    assert sorted(p.name for p in (tmp_path / "new" / "sub").iterdir()) == ["a_compare.png", "a_restored.png"]
    assert demo.output == str(tmp_path / "new" / "sub" / "a_restored.png")


@pytest.mark.slow  # runs the bundled network
def test_tiles_match_whole_image_within_2_of_255():
    from scientist.restore.blend import restore_array
    from scientist.restore.tiles import plan_tiles
    from scientist.restore.weights import load_model

    model = load_model().model
    img = _photo(512, 512, seed=3).astype(np.float32)
    whole = restore_array(model, img, plan=plan_tiles(512, 512, tile=512))
    tiled_plan = plan_tiles(512, 512, tile=320)
    assert tiled_plan.count == 4
    tiled = restore_array(model, img, plan=tiled_plan)
    assert np.abs(whole - tiled).max() <= 2 / 255


@pytest.mark.slow  # runs the bundled network
def test_tiny_one_pixel_photo(tmp_path):
    from scientist.restore.run import run_demo

    photo = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (10, 20, 30)).save(photo)
    demo = run_demo(photo)
    assert Image.open(demo.output).size == (1, 1)
