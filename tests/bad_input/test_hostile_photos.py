"""Hostile photos: thousands of pages, a broken later frame, formats nobody named, the decoder's memory.

The two damaged files below were found by mutating small GIF and TIFF files until reading their frame
count failed (IndexError in a GIF's second frame, TypeError "Missing dimensions" in a TIFF's).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from scientist.errors import PhotoError
from scientist.restore.photo import read_photo

from ..helpers import assert_one_line_error, many_page_tiff, photo_array, run_cli, save_png16, to_u8

#: A two-frame GIF whose second frame is cut short: counting its frames raised IndexError.
GIF_BROKEN_SECOND_FRAME = bytes.fromhex(
    "474946383761040004008000000000000000002c00000000040004000008090001081c48b02080800021f904010000")
#: A two-page TIFF whose second page has a broken width tag: counting its pages raised TypeError.
TIFF_BROKEN_SECOND_PAGE = bytes.fromhex(
    "49492a000800000009000001040001000000020000000101040001000000020000000201030001000000080000000301030001"
    "000000010000000601030001000000010000001101040001000000"
    "7a0000001601040001000000020000001701040001000000040000001c0103000100000001000000880000000000000000"
    "0049492a000800000009000001046401000000020000000101040001000000")


def test_a_64000_page_tiff_is_read_in_well_under_a_second(tmp_path):
    """Reading the page count cost the square of the pages (42 s here); only the first page is used."""
    path = many_page_tiff(tmp_path / "pages.tif", 64_000)
    assert path.stat().st_size > 7_000_000
    start = time.perf_counter()
    with pytest.warns(UserWarning, match="several frames: only the first"):
        arr, info = read_photo(path)
    assert time.perf_counter() - start < 3.0  # measured 0.07 s; loose for a loaded machine
    assert arr.shape == (1, 1, 3) and info["animated"]


def test_a_broken_later_frame_is_a_bad_photo_or_ignored(tmp_path):
    gif = tmp_path / "broken.gif"
    gif.write_bytes(GIF_BROKEN_SECOND_FRAME)
    with pytest.raises(PhotoError, match="broken.gif: the image is damaged or truncated"):
        read_photo(gif)
    tif = tmp_path / "broken.tif"
    tif.write_bytes(TIFF_BROKEN_SECOND_PAGE)
    arr, _ = read_photo(tif)  # the first page is whole, and only the first page is read
    assert arr.shape == (2, 2, 3)
    code, _out, lines = run_cli("restore", gif)
    assert_one_line_error(code, lines, "damaged or truncated")


def test_any_decoder_failure_is_a_photo_error(tmp_path, monkeypatch):
    from PIL import ImageFile

    path = tmp_path / "a.png"
    Image.fromarray(to_u8(photo_array(8, 8))).save(path)
    for exc in (IndexError("index out of range"), KeyError(256), TypeError("Missing dimensions"),
                __import__("struct").error("unpack requires a buffer")):
        def broken(self, *args, exc=exc):
            raise exc

        monkeypatch.setattr(ImageFile.ImageFile, "load", broken)
        with pytest.raises(PhotoError, match="damaged or truncated"):
            read_photo(path)


def test_a_folder_with_a_broken_gif_restores_the_others_and_reports_it(tmp_path):
    folder = tmp_path / "trip"
    folder.mkdir()
    for name in ("a.png", "c.png"):
        Image.fromarray(to_u8(photo_array(20, 24) * 0.4)).save(folder / name)
    (folder / "b.gif").write_bytes(GIF_BROKEN_SECOND_FRAME)
    code, out, lines = run_cli("restore", folder, "--out-dir", tmp_path / "out")
    assert code == 1, lines
    assert "2 restored, 0 skipped, 1 failed of 3 photos" in out
    assert "trip/b.gif: the image is damaged or truncated" in out
    assert (tmp_path / "out" / "trip" / "c_restored.png").is_file()


def test_a_batch_goes_on_whatever_the_reader_raises(tmp_path, monkeypatch):
    import scientist.restore.batch as batch
    import scientist.restore.photo as photo  # a batch reads its photos through it (stages.Photo.read)

    real = photo.read_photo

    def reader(path):
        if path.name == "a.png":
            raise IndexError("a decoder bug")
        return real(path)

    monkeypatch.setattr(photo, "read_photo", reader)
    for name in ("a.png", "b.png"):
        Image.fromarray(to_u8(photo_array(20, 24) * 0.4)).save(tmp_path / name)
    items = list(batch.restore_many([tmp_path], out_dir=tmp_path / "out", backend="eager"))
    assert [(i.name.split("/")[-1], i.status) for i in items] == [("a.png", "failed"), ("b.png", "restored")]
    assert items[0].reason == "internal error: IndexError: a decoder bug"


@pytest.mark.parametrize("fmt,save", [
    ("EPS", lambda im, p: im.save(p, "EPS")),
    ("TGA", lambda im, p: im.save(p, "TGA")),
    ("XBM", lambda im, p: im.convert("1").save(p, "XBM")),
    ("JPEG2000", lambda im, p: im.save(p, "JPEG2000")),
    ("PPM", lambda im, p: im.save(p, "PPM")),
])
def test_formats_the_readme_does_not_name_are_never_decoded(tmp_path, monkeypatch, fmt, save):
    """Uploaded as photo.jpg, an EPS would have been handed to Ghostscript; now no such decoder is even asked."""
    from PIL import Image as PILImage

    path = tmp_path / "photo.jpg"
    try:
        save(PILImage.new("RGB", (16, 16), (200, 30, 30)), path)
    except (OSError, KeyError) as exc:  # a Pillow built without the encoder
        pytest.skip(f"Pillow cannot write {fmt}: {exc}")
    with PILImage.open(path) as im:  # Pillow itself would read it
        assert im.format == fmt
    opened = []
    real_open = PILImage.OPEN[fmt][0]
    monkeypatch.setitem(PILImage.OPEN, fmt, (lambda *a, **k: opened.append(fmt) or real_open(*a, **k),
                                             PILImage.OPEN[fmt][1]))
    with pytest.raises(PhotoError, match="not an image this tool can read"):
        read_photo(path)
    assert opened == []


def test_a_16_bit_png_without_exif_keeps_its_16_bits(tmp_path):
    """A PNG of only IHDR, IDAT and IEND: reading its (absent) EXIF decoded it, which used to hide its depth."""
    rng = np.random.default_rng(3)
    deep = ((rng.integers(0, 65536, (18, 26, 3)) | 1) // 3).astype(np.uint16)
    path = save_png16(tmp_path / "scan.png", deep)
    chunks = path.read_bytes()
    assert b"eXIf" not in chunks and b"IDAT" in chunks
    arr, info = read_photo(path)
    assert info["bit_depth"] == 16 and info["exif"] is None
    assert np.array_equal(np.rint(arr * 65535).astype(np.uint16), deep)


def test_a_16_bit_png_without_exif_is_restored_with_16_bits(tmp_path):
    import cv2

    from scientist.restore.run import run_demo

    rng = np.random.default_rng(4)
    deep = (to_u8(photo_array(24, 32) * 0.4).astype(np.uint16) * 257 + rng.integers(0, 200, (24, 32, 3)))
    path = save_png16(tmp_path / "scan.png", deep.astype(np.uint16))
    demo = run_demo(path, out_dir=tmp_path, backend="eager")
    assert demo.bit_depth == 16
    out = cv2.imread(demo.output, cv2.IMREAD_UNCHANGED)
    assert out.dtype == np.uint16 and out.shape == (24, 32, 3)
    assert len(np.unique(out % 257)) > 1  # values 8 bits could not hold


def test_a_photo_the_machine_cannot_hold_is_refused_before_decoding(tmp_path, monkeypatch):
    from PIL import ImageFile

    import scientist.restore.photo as photo

    path = tmp_path / "big.png"
    Image.fromarray(to_u8(photo_array(40, 50))).save(path)
    monkeypatch.setattr(photo, "available_bytes", lambda: 40 * 50 * 10)
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
    with pytest.raises(PhotoError, match=r"big.png: decoding its 50x40 pixels needs about .* GB are free"):
        read_photo(path)


def test_photos_that_are_not_regular_files_or_have_names_too_long(tmp_path):
    import os

    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    for path, match in ((fifo, "not a regular file"), ("/dev/zero", "not a regular file"),
                        (tmp_path / ("x" * 5000 + ".jpg"), "the file name is too long")):
        with pytest.raises(PhotoError, match=match) as err:
            read_photo(path)
        assert len(str(err.value)) < 300


def test_a_pipe_named_like_a_photo_in_a_folder_does_not_hold_up_the_plan(tmp_path):
    import os
    import threading

    from scientist.restore.batch import plan_batch

    Image.fromarray(to_u8(photo_array(30, 40))).save(tmp_path / "a.png")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    result: list = []
    planner = threading.Thread(target=lambda: result.append(plan_batch([tmp_path])), daemon=True)
    planner.start()
    planner.join(20)
    if planner.is_alive():  # opened as a photo: a writer lets it go before the test fails
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("planning waited for a writer on a pipe")
    works = {p.source.name: p.work for p in result[0]}
    assert works == {"a.png": pytest.approx(30 * 40 / 1e6), "pipe.jpg": 0.0}


# ------------------------------------------------------------------ an output folder that cannot be one
@pytest.mark.parametrize("how", ["one photo", "two photos", "a folder", "under a file"])
def test_an_out_dir_that_is_a_file_is_one_line_and_touches_nothing(tmp_path, how):
    # a batch's folder was made with mkdir, whose FileExistsError / NotADirectoryError was an internal error
    album = tmp_path / "album"
    album.mkdir()
    for name in ("a.png", "b.png"):
        Image.fromarray(to_u8(photo_array(12, 16))).save(album / name)
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"keep me")
    args = {"one photo": [album / "a.png", "--out-dir", taken],
            "two photos": [album / "a.png", album / "b.png", "--out-dir", album / "a.png"],
            "a folder": [album, "-r", "--out-dir", taken],
            "under a file": [album / "a.png", "--out-dir", taken / "sub"]}[how]
    before = {p: p.read_bytes() for p in (taken, album / "a.png", album / "b.png")}
    code, _out, lines = run_cli("restore", *args)
    assert_one_line_error(code, lines, "not a folder")
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.png", "album", "b.png", "taken.png"]


def test_a_missing_out_dir_is_not_left_behind_when_the_photo_fails(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("not a photo")
    code, _out, lines = run_cli("restore", bad, "--out-dir", tmp_path / "new" / "sub")
    assert_one_line_error(code, lines, "not an image")
    assert not (tmp_path / "new").exists()


def test_a_png_cut_short_is_refused_without_a_warning_about_its_exif(tmp_path):
    """A PNG's EXIF may follow its pixels, so looking for it reads a file cut short to its end: that is the
    photo's fault, said once as the refusal, not first as a warning that its EXIF is unreadable."""
    import warnings

    whole = tmp_path / "whole.png"
    Image.fromarray(to_u8(photo_array(64, 64))).save(whole)
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(PhotoError, match="cut.png: the image is damaged or truncated"):
            read_photo(cut)
    assert not [w for w in caught if "EXIF" in str(w.message)], [str(w.message) for w in caught]
