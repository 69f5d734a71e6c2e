"""Reading photos of every common kind (scientist.restore.photo)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scientist.errors import PhotoError
from scientist.restore.photo import read_photo

from .helpers import photo_array as _photo
from .helpers import to_u8 as _u8


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


def test_preview_jpeg_fits_its_budget(tmp_path):
    import io

    from scientist.restore.compare import preview_jpeg

    rng = np.random.default_rng(0)
    noisy = tmp_path / "noisy.png"  # noise compresses badly: the budget forces lower quality, then a smaller size
    Image.fromarray((rng.random((600, 900, 3)) * 255).astype(np.uint8)).save(noisy)
    before = noisy.read_bytes()
    for budget in (400_000, 60_000):
        data = preview_jpeg(noisy, budget)
        assert len(data) <= budget
        assert Image.open(io.BytesIO(data)).format == "JPEG"
    assert Image.open(io.BytesIO(preview_jpeg(noisy, 60_000))).size[0] < 900
    assert Image.open(io.BytesIO(preview_jpeg(noisy, 10_000_000))).size == (900, 600)
    assert noisy.read_bytes() == before
