"""The comparison picture: both of its rows span its width, whatever the photo's shape."""

from __future__ import annotations

import numpy as np
import pytest

from scientist.restore.compare import BACKGROUND, GAP, LABEL_H, comparison_image, comparison_layout


def _photo(h: int, w: int) -> np.ndarray:
    rng = np.random.default_rng(h * 7 + w)
    img = np.full((h, w, 3), 0.9, np.float32)  # bright, so the dark background shows wherever nothing is drawn
    img[h // 4 : h // 2, w // 4 : w // 2] = rng.uniform(0.6, 1.0, (h // 2 - h // 4, w // 2 - w // 4, 3))
    return img


def _covered(row: np.ndarray) -> float:
    """Share of a band's columns where some picture is drawn (not the background colour throughout)."""
    drawn = (np.abs(row.astype(int) - BACKGROUND).sum(-1) > 30).any(0)
    return float(drawn.mean())


@pytest.mark.parametrize("h, w", [(3000, 4000), (4000, 3000), (720, 1280), (20, 2000)])
def test_layout_rows_match(h, w):
    pw, ph, zoom, width = comparison_layout(h, w)
    assert 2 * pw + GAP >= 0.97 * width and 4 * zoom + 3 * GAP >= 0.97 * width and zoom >= 256
    assert max(pw, ph) <= 800


@pytest.mark.parametrize("h, w", [(427, 640), (321, 481), (481, 321), (256, 256), (80, 100)])
def test_both_rows_span_the_picture(h, w):
    pw, ph, zoom, width = comparison_layout(h, w)
    assert 2 * pw + GAP >= 0.97 * width and 4 * zoom + 3 * GAP >= 0.97 * width
    canvas = np.asarray(comparison_image(_photo(h, w), _photo(h, w)))
    assert canvas.shape[1] == width
    pair = canvas[LABEL_H : LABEL_H + ph]
    crops = canvas[LABEL_H + ph + GAP + LABEL_H :]
    assert _covered(pair) >= 0.97 and _covered(crops) >= 0.97  # before the fix a portrait left a third empty


def test_a_very_tall_photo_keeps_a_sensible_height_and_is_centred():
    pw, ph, zoom, width = comparison_layout(20000, 2)
    assert ph <= 800 and zoom >= 256 and width == 4 * zoom + 3 * GAP
    canvas = np.asarray(comparison_image(_photo(400, 4)[:400], _photo(400, 4)[:400]))
    assert canvas.shape[0] <= 2 * LABEL_H + 800 + GAP + 256 + 1
