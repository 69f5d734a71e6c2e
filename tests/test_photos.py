"""Reading photos of every common kind, and the demo pipeline on small images."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from scientist.errors import OutputError, PhotoError
from scientist.restore.photo import read_photo


def _photo(h=40, w=56, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x / w, y / h, 0.5 + 0.0 * x], -1)
    return np.clip(base * 0.6 + rng.normal(0, 0.05, (h, w, 3)), 0, 1)


def _u8(a):
    return (np.clip(a, 0, 1) * 255).round().astype(np.uint8)


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK", "LA"])
def test_modes_convert_to_rgb(tmp_path, mode):
    im = Image.fromarray(_u8(_photo())).convert(mode)
    path = tmp_path / ("x.jpg" if mode == "CMYK" else "x.png")
    im.save(path)
    arr, info = read_photo(path)
    assert arr.shape == (40, 56, 3) and arr.dtype == np.float32
    assert 0 <= arr.min() and arr.max() <= 1


def test_16_bit_png(tmp_path):
    a = (np.linspace(0, 65535, 40 * 56).reshape(40, 56)).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(a).save(path)
    arr, _ = read_photo(path)
    assert arr.shape == (40, 56, 3)
    assert arr.max() > 0.99 and arr.min() < 0.01


def test_exif_rotation_is_applied(tmp_path):
    im = Image.fromarray(_u8(_photo(40, 56)))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif)
    arr, _ = read_photo(path)
    assert arr.shape == (56, 40, 3)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("hello, not an image"), "not an image"),
        (lambda p: p.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200), "supported"),
    ],
)
def test_unreadable_files(tmp_path, make, match):
    path = tmp_path / "IMG_0001.jpg"
    make(path)
    with pytest.raises(PhotoError, match=match):
        read_photo(path)


def test_truncated_jpeg(tmp_path):
    full = tmp_path / "full.jpg"
    Image.fromarray(_u8(_photo(200, 200))).save(full, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full.read_bytes()[:600])
    with pytest.raises(PhotoError, match="damaged or truncated"):
        read_photo(cut)


def test_missing_and_directory(tmp_path):
    with pytest.raises(PhotoError, match="no such file"):
        read_photo(tmp_path / "nope.jpg")
    with pytest.raises(PhotoError, match="directory"):
        read_photo(tmp_path)


def test_decompression_bomb_is_refused(tmp_path):
    # a PNG whose header declares 40000 x 40000 pixels
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 100))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")
    path = tmp_path / "bomb.png"
    path.write_bytes(data)
    with pytest.raises(PhotoError, match="MP|too large"):
        read_photo(path)


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.fromarray(_u8(_photo(seed=i))).convert("P") for i in range(3)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    with pytest.warns(UserWarning, match="first"):
        arr, info = read_photo(path)
    assert arr.shape == (40, 56, 3) and info["frames"] == 3


# ---------------------------------------------------------------- the demo
def test_demo_odd_size_writes_outputs_and_keeps_input(tmp_path):
    from scientist.restore.pipeline import run_demo

    photo = tmp_path / "IMG_2041.jpg"
    Image.fromarray(_u8(_photo(333, 517) * 0.3)).save(photo, quality=85)
    before = _sha(photo)
    demo = run_demo(photo, progress=False)
    assert _sha(photo) == before
    out = Image.open(demo.output)
    assert out.size == (517, 333) and demo.size == [517, 333]
    assert demo.output.endswith("IMG_2041_restored.png")
    assert Image.open(demo.comparison).size[0] >= 517
    assert demo.gain > 1.0 and demo.brightness_after > demo.brightness_before
    assert demo.steps[0] == "Load the photo" and demo.steps[-1] == "Crop, clamp and save"
    assert demo.backend in ("onnxruntime", "torch-channels-last", "torch-eager")
    assert 0 < demo.model_seconds <= demo.seconds and demo.estimated_seconds > 0
    # a second run never overwrites the first
    again = run_demo(photo, progress=False)
    assert again.output != demo.output and again.output.endswith("_restored-2.png")


def test_progress_shows_an_estimate_measured_on_this_machine(tmp_path, monkeypatch, capsys):
    from scientist.restore import pipeline

    # pretend the network is slow, so the demo thinks progress is worth showing
    monkeypatch.setitem(pipeline.SECONDS_PER_MP, "MIMO-UNet", 1000.0)
    photo = tmp_path / "dim.png"
    Image.fromarray(_u8(_photo(120, 200) * 0.3)).save(photo)
    demo = pipeline.run_demo(photo, tile=64, progress=True)
    err = capsys.readouterr().err
    assert "estimated" in err and "from the speed measured on this machine" in err and "tiles" in err
    # the estimate came from a probe run, not from the (absurd) prior
    assert demo.tiles > 1 and demo.estimated_seconds < 1000.0 * 0.1


def test_output_equal_to_input_and_existing_output_are_refused(tmp_path):
    from scientist.restore.pipeline import run_demo

    photo = tmp_path / "a.png"
    Image.fromarray(_u8(_photo())).save(photo)
    with pytest.raises(OutputError, match="overwrite the input"):
        run_demo(photo, out=photo, progress=False)
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        run_demo(photo, out=taken, progress=False)
    assert taken.read_bytes() == b"keep me"


def test_tiles_match_whole_image_within_2_of_255():
    from scientist.restore.pipeline import plan_tiles, restore_array
    from scientist.restore.weights import load_model

    model = load_model().model
    img = _photo(512, 512, seed=3).astype(np.float32)
    whole = restore_array(model, img, plan=plan_tiles(512, 512, tile=512))
    tiled_plan = plan_tiles(512, 512, tile=320)
    assert tiled_plan.count == 4
    tiled = restore_array(model, img, plan=tiled_plan)
    assert np.abs(whole - tiled).max() <= 2 / 255


def test_tiny_one_pixel_photo(tmp_path):
    from scientist.restore.pipeline import run_demo

    photo = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (10, 20, 30)).save(photo)
    demo = run_demo(photo, progress=False)
    assert Image.open(demo.output).size == (1, 1)
