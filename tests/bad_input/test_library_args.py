"""The library as a chatbot calls it, with the arguments a chatbot may pass: every bad one is a typed error of
one sentence (never an OSError, ValueError or TypeError from inside), and a photo that cannot be read in a batch
fails alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scientist.errors import OptionError, PhotoError
from scientist.language import detect
from scientist.restore.stages import Photo

TOO_LONG = "a" * 300 + ".png"


def _png(path: Path) -> Path:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("photo,error,match", [
    (TOO_LONG, PhotoError, "file name is too long"),
    ("a\x00.jpg", OptionError, "NUL character"),
])
def test_a_photo_path_that_names_no_file_is_a_typed_error(fake_sci, tmp_path, photo, error, match):
    with pytest.raises(error, match=match):
        fake_sci.demo(str(tmp_path / photo) if "\x00" not in photo else photo, progress=False)
    if error is OptionError:  # refused before the question is answered
        with pytest.raises(error, match=match):
            fake_sci.ask("how does it reduce noise?", photo=photo)


def test_a_name_too_long_fails_alone_in_a_batch(fake_sci, tmp_path):
    photos = [_png(tmp_path / "p0.png"), tmp_path / TOO_LONG, _png(tmp_path / "p1.png")]
    items = list(fake_sci.restore_many(photos, progress=False, out_dir=tmp_path / "out", max_side=16))
    assert [i.status for i in items] == ["restored", "failed", "restored"]
    assert "too long" in items[1].reason


@pytest.mark.parametrize("k", [2.0, "x", True, 0, -5])
def test_supporting_checks_k_as_ask_does(fake_sci, k):
    for call in (fake_sci.supporting, fake_sci.ask):
        with pytest.raises(OptionError, match="invalid argument k"):
            call("how does it reduce noise?", k=k)


@pytest.mark.parametrize("kwargs,match", [
    ({"allow": None}, "folders to allow must be a path"),
    ({"out_dir": 5}, "output folder must be a path"),
    ({"name": 5}, "invalid argument name"),
])
def test_as_tool_arguments_are_checked(fake_sci, kwargs, match):
    with pytest.raises(OptionError, match=match):
        fake_sci.as_tool(**kwargs)


def test_as_tool_takes_one_folder_as_a_folder(fake_sci, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pics").mkdir()
    assert fake_sci.as_tool(allow="pics") is not None  # was split into "p", "i", "c", "s"


@pytest.mark.parametrize("path", [None, 5, "\x00"])
def test_from_seed_refuses_what_is_not_a_path(path):
    from scientist.core import Scientist

    with pytest.raises(OptionError, match="the seed"):
        Scientist.from_seed(path)


@pytest.mark.parametrize("pixels,match", [
    (np.zeros((4, 4), np.float32), "height x width x 3"),
    (np.zeros((4, 4, 4), np.float32), "height x width x 3"),
    (np.zeros((0, 0, 3), np.float32), "no pixels"),
    (np.full((4, 4, 3), np.nan, np.float32), "finite and within"),
    (np.zeros((4, 4, 3), np.float64), "uint8 or float32"),
])
def test_a_photo_made_by_hand_is_checked(fake_sci, tmp_path, pixels, match):
    with pytest.raises(PhotoError, match=match):
        fake_sci.demo(Photo(tmp_path / "x.png", pixels, {}), progress=False)


def test_an_empty_photo_from_an_llm_means_no_photo(fake_sci, tmp_path):
    tool = fake_sci.as_tool(allow=[tmp_path], out_dir=tmp_path / "out")
    for photo in ("", "  "):
        content = tool.invoke({"question": "how does it reduce noise?", "photo": photo})
        assert "Demo" not in content and not (tmp_path / "out").exists()


@pytest.mark.parametrize("question,code", [
    ("¿Cómo funciona?", "es"), ("Como funciona isso?", "pt"), ("Hoe werkt dit?", "nl"),
    ("Comment ça marche ?", "fr"), ("Come funziona?", "it"), ("Wie funktioniert das?", "de"),
    # English with no common English word, or one that another language writes too
    ("Denoise grainy night shots", "en"), ("Sharpen blurry foto", "en"), ("Come fix grain?", "en"),
    ("Era-specific film grain look", "en"), ("Deblur", "en"), ("Como lake photos denoise", "en"),
])
def test_short_questions_in_other_languages_are_told_apart(question, code):
    assert detect(question).code == code


@pytest.mark.parametrize("name", ["quality", "tile", "max_side"])
def test_true_or_false_is_no_count_for_a_restore_option(name):
    from scientist.restore.options import RestoreOptions

    with pytest.raises(OptionError, match=f"{name}: expected a whole number, not true or false"):
        RestoreOptions(**{name: True})
    assert RestoreOptions(quality=90).quality == 90
