"""The comparison picture: both of its rows span its width, whatever the photo's shape."""

from __future__ import annotations

import numpy as np
import pytest

from scientist.restore.compare import BACKGROUND, GAP, LABEL_H, comparison_image, comparison_layout, crop_boxes


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


@pytest.mark.parametrize("h, w", [(5, 5), (3, 150), (150, 3)])
def test_a_photo_smaller_than_a_crop_is_zoomed_alike_both_ways(h, w):
    """A crop is 8 px at least; a photo with a side under 8 gives a smaller one, which was stretched to a square
    and labelled with the 8-px crop's zoom."""
    from PIL import ImageDraw

    drawn = []
    real_text = ImageDraw.ImageDraw.text

    def text(self, xy, label, *args, **kwargs):
        drawn.append(label)
        return real_text(self, xy, label, *args, **kwargs)

    photo = np.zeros((h, w, 3), np.float32)
    photo[0, 0] = 1.0  # one white pixel: its zoomed square shows the zoom both ways
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ImageDraw.ImageDraw, "text", text)
        canvas = np.asarray(comparison_image(photo, photo))
    _, ph, zoom, _ = comparison_layout(h, w)
    top = LABEL_H + ph + GAP + LABEL_H
    white = np.argwhere(canvas[top : top + zoom, :zoom].min(-1) > 200)
    side_y, side_x = white[:, 0].max() + 1, white[:, 1].max() + 1
    assert side_y == side_x  # square pixels: not stretched
    crop_side = min(8, max(h, w))
    labels = [t for t in drawn if t.startswith(("detail", "flat"))]
    assert labels and all(f"(x{zoom / max(min(h, crop_side), min(w, crop_side)):.1f})" in t for t in labels), labels


def test_the_two_crops_show_two_places():
    """The flattest, darkest square lay half over the most detailed one, and the two crops showed nearly the same
    place (a reviewer found them 10 px apart): the flat/dark crop is now taken among the squares that do not
    overlap the detail one."""
    h, w = 480, 640
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.full((h, w, 3), 0.8, np.float32)
    img[240:, :240] = 0.05  # a dark corner ...
    texture = 0.05 + 0.04 * np.sign(np.sin(xx / 2.0) * np.sin(yy / 2.0))
    img[240:400, :160] = texture[240:400, :160, None]  # ... with the photo's most detailed square in it
    (_, (dy, dx, size)), (name, (fy, fx, fsize)) = crop_boxes(img, img)
    assert name == "flat/dark" and size == fsize == 160 and (dy, dx) == (240, 0)
    assert abs(fy - dy) >= size or abs(fx - dx) >= size  # no overlap (before: (320, 80), three quarters over it)
    assert img[fy : fy + size, fx : fx + size].mean() < 0.5  # still as dark a square as there is apart from it
    tiny = np.zeros((24, 24, 3), np.float32)  # 3 x 3 squares of 8 px: there is always one apart
    (_, (dy, dx, size)), (_, (fy, fx, _)) = crop_boxes(tiny, tiny)
    assert abs(fy - dy) >= size or abs(fx - dx) >= size
