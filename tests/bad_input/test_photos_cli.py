"""Photos through `scientist restore`: every bad file gets one line and exit code 2; good odd ones work."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ..helpers import assert_one_line_error, run_cli


def _png_header_only(path, w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + chunk(b"IEND", b""))


def _jpeg(path, size=(120, 90)):
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((size[1], size[0], 3)) * 255).astype(np.uint8)).save(path, quality=90)


BAD = {
    "missing": (lambda d: d / "nope.jpg", "no such file"),
    "directory without photos": (lambda d: d, "no photos found"),
    "text named jpg": (lambda d: _write(d / "a.jpg", b"hello, not an image"), "not an image"),
    "zero bytes": (lambda d: _write(d / "z.jpg", b""), "empty"),
    "truncated jpeg": (lambda d: _truncated(d), "damaged or truncated"),
    "decompression bomb": (lambda d: _png_header_only(d / "bomb.png", 60000, 60000) or d / "bomb.png", "MP"),
    "heic without an image": (lambda d: _write(d / "IMG.HEIC", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64),
                              "supported: JPEG, PNG, HEIC"),
    "camera raw": (lambda d: _write(d / "IMG_0001.CR2", b"II*\x00\x10\x00\x00\x00CR\x02\x00"), "export a JPEG"),
}


def _write(path, data):
    path.write_bytes(data)
    return path


def _truncated(d):
    full = d / "full.jpg"
    _jpeg(full, (400, 300))
    cut = d / "cut.jpg"
    cut.write_bytes(full.read_bytes()[:700])
    return cut


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_photos(tmp_path, case):
    make, match = BAD[case]
    sub = tmp_path / "in"
    sub.mkdir()
    path = make(sub)
    inputs = [path] if path.is_file() else []
    code, _, lines = run_cli("restore", path, "--device", "cpu", inputs=inputs)
    assert_one_line_error(code, lines, match)
    assert not list(tmp_path.rglob("*_restored*.png"))


@pytest.mark.parametrize("mode,name", [("RGBA", "a.png"), ("P", "p.png"), ("L", "g.png"), ("CMYK", "c.jpg"),
                                       ("I;16", "deep.png")])
@pytest.mark.slow  # runs the bundled network
def test_odd_modes_restore(tmp_path, mode, name):
    rng = np.random.default_rng(1)
    if mode == "I;16":
        im = Image.fromarray((rng.random((40, 48)) * 65535).astype(np.uint16))
    else:
        im = Image.fromarray((rng.random((40, 48, 3)) * 255).astype(np.uint8)).convert(mode)
    path = tmp_path / name
    im.save(path)
    code, out, lines = run_cli("restore", path, inputs=[path])
    assert code == 0, lines
    assert Image.open(tmp_path / f"{path.stem}_restored.png").size == (48, 40)


@pytest.mark.slow  # runs the bundled network
def test_one_pixel_and_extreme_aspect(tmp_path):
    tiny = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (40, 40, 40)).save(tiny)
    code, _, lines = run_cli("restore", tiny, inputs=[tiny])
    assert code == 0, lines
    assert Image.open(tmp_path / "dot_restored.png").size == (1, 1)
    strip = tmp_path / "strip.png"
    Image.new("RGB", (20000, 2), (40, 40, 40)).save(strip)
    code, _, lines = run_cli("restore", strip, inputs=[strip])
    assert code == 0, lines
    assert Image.open(tmp_path / "strip_restored.png").size == (20000, 2)


@pytest.mark.slow  # runs the bundled network
def test_animated_gif_warns_and_uses_first_frame(tmp_path):
    frames = [Image.new("RGB", (32, 24), (i * 60, 20, 20)).convert("P") for i in range(3)]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    code, _, lines = run_cli("restore", gif, inputs=[gif])
    assert code == 0
    assert any("first" in ln for ln in lines if ln.startswith("warning:"))


@pytest.mark.slow  # runs the bundled network
def test_exif_rotated_output_is_upright(tmp_path):
    im = Image.fromarray(np.zeros((30, 50, 3), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 8
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif)
    code, _, lines = run_cli("restore", path, inputs=[path])
    assert code == 0, lines
    assert Image.open(tmp_path / "rot_restored.png").size == (30, 50)
