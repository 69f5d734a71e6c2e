"""What changed: the before/after comparison picture and the figures reported beside it.

The comparison shows both images side by side plus two zoomed crops, one rich
in detail and one flat or dark, where noise and lost detail show first.
Noise is a no-reference wavelet estimate (scikit-image); brightness a mean.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from ..settings import MEASURABLE_SIDE
from .save import to_u8

__all__ = ["central_crop", "comparison_image", "comparison_layout", "crop_boxes", "mean_brightness", "noise_sigma",
           "preview_jpeg"]


def _as_float(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32) / 255 if a.dtype == np.uint8 else a


#: Figures read from a photo (its noise, what a restore would take away) are measured on a central crop of at most
#: this side, so that they cost the same on any size of photo.
MEASURE_SIDE = 768


def central_crop(img: np.ndarray, side: int = MEASURE_SIDE) -> np.ndarray:
    """The central ``side`` x ``side`` part of ``img`` (a view; all of a smaller side)."""
    h, w = img.shape[:2]
    y0, x0 = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return img[y0 : y0 + side, x0 : x0 + side]


#: The 75th percentile of the standard normal distribution: median(|x|) of N(0, sigma^2) noise is sigma times this.
_NORMAL_Q75 = 0.6744897501960817


def measurable(img: np.ndarray) -> bool:
    """Whether ``img`` has :data:`~scientist.settings.MEASURABLE_SIDE` pixels or more on each side, so that its
    noise and exposure can be read (a 1 x 1 or 4 x 3000 image reads as noise 0, and was brightened x12)."""
    return min(img.shape[:2]) >= MEASURABLE_SIDE


def noise_sigma(img: np.ndarray) -> float:
    """No-reference noise estimate on a central crop, 0-255 scale: Donoho and Johnstone's robust median
    estimator (median |diagonal detail coefficient| of a one-level db2 wavelet transform / 0.6745, zeros left
    out), per channel and averaged, as scikit-image's ``estimate_sigma`` computes it.  Done here with
    PyWavelets directly because importing ``skimage.restoration`` costs 0.4 s (it loads ``scipy.stats``)
    in every ``scientist restore``; a test checks both agree.

    ``img``: float RGB in [0, 1] or 8-bit RGB.
    """
    import pywt

    if not measurable(img):
        return 0.0
    crop = _as_float(central_crop(img)).astype(np.float64)
    sigmas = []
    for c in range(crop.shape[2]):
        diagonal = pywt.dwtn(crop[..., c], "db2")["dd"]
        diagonal = np.abs(diagonal[diagonal != 0])
        sigmas.append(float(np.median(diagonal)) / _NORMAL_Q75 if diagonal.size else 0.0)
    return float(np.mean(sigmas)) * 255


def mean_brightness(img: np.ndarray) -> float:
    """Mean of all channels on the 0-255 scale (float in [0, 1] or 8-bit input)."""
    m = float(img.mean(dtype=np.float64))
    return m if img.dtype == np.uint8 else m * 255


def crop_boxes(before: np.ndarray, after: np.ndarray) -> list[tuple[str, tuple[int, int, int]]]:
    """A detail-rich and a flat/dark crop (y, x, size), chosen on a coarse grid; the flat/dark one among the squares
    that do not overlap the detail one, where the photo has any (two crops of nearly the same place show nothing
    new).

    Scored on a subsample of at most about 2 megapixels, so big photos need little memory.
    """
    h, w, _ = after.shape
    size = max(8, min(160, h // 3, w // 3))
    sub = max(1, min(size // 8, math.ceil(math.sqrt(h * w / 2e6))))
    lum = _as_float(after[::sub, ::sub]).mean(axis=2)
    grad = np.zeros_like(lum)
    grad[:-1, :-1] = np.abs(np.diff(lum, axis=0))[:, :-1] + np.abs(np.diff(lum, axis=1))[:-1, :]
    inlum = _as_float(before[::sub, ::sub]).mean(axis=2)
    squares = []  # (detail, flat/dark score, y, x)
    step = max(1, size // 2)
    for y in range(0, max(1, h - size + 1), step):
        for x in range(0, max(1, w - size + 1), step):
            ys, xs = slice(y // sub, (y + size) // sub), slice(x // sub, (x + size) // sub)
            cell = grad[ys, xs]
            g = float(cell.mean()) if cell.size else 0.0
            dark = float(inlum[ys, xs].mean()) if cell.size else 0.0
            squares.append((g, g + dark, y, x))
    _, _, dy, dx = max(squares, key=lambda sq: sq[0])  # the first of equals, as the grid is read
    apart = [sq for sq in squares if abs(sq[2] - dy) >= size or abs(sq[3] - dx) >= size] or squares
    _, _, fy, fx = min(apart, key=lambda sq: sq[1])
    return [("detail", (dy, dx, size)), ("flat/dark", (fy, fx, size))]


#: The comparison's geometry: the before/after pair's longer side (before growing to the row's width), the
#: smallest side of a zoomed crop, the gap between pictures, the label band, and the tallest the pair may grow to.
PREVIEW_SIDE, ZOOM, GAP, LABEL_H, MAX_PAIR_HEIGHT = 640, 256, 6, 18, 800
BACKGROUND = (32, 32, 32)


def comparison_layout(h: int, w: int) -> tuple[int, int, int, int]:
    """(pair width, pair height, zoom, canvas width) for an ``h`` x ``w`` photo: both rows span the canvas.

    The before/after pair is at most :data:`PREVIEW_SIDE` on its longer side; when that leaves it narrower than
    the four zoomed crops, it grows to their width (up to :data:`MAX_PAIR_HEIGHT` tall, so only a very tall, thin
    photo stays narrower); when the pair is the wider row, the crops grow to its width instead.
    """
    scale = min(1.0, PREVIEW_SIDE / max(h, w))
    crops = 4 * ZOOM + 3 * GAP
    if 2 * w * scale + GAP < crops:
        scale = max(scale, min((crops - GAP) // 2 / w, MAX_PAIR_HEIGHT / h))
    pw, ph = max(1, round(w * scale)), max(1, round(h * scale))
    width = max(2 * pw + GAP, crops)
    return pw, ph, (width - 3 * GAP) // 4, width


def comparison_image(before: np.ndarray, after: np.ndarray) -> Image.Image:
    """Side-by-side before/after plus two zoomed crops, labelled (float or 8-bit RGB input); both rows span the
    picture's width (:func:`comparison_layout`)."""
    from PIL import ImageDraw

    def pil(a: np.ndarray) -> Image.Image:
        return Image.fromarray(to_u8(a))

    h, w, _ = before.shape
    pw, ph, zoom, width = comparison_layout(h, w)
    b_small = pil(before).resize((pw, ph), Image.Resampling.LANCZOS)
    a_small = pil(after).resize((pw, ph), Image.Resampling.LANCZOS)
    boxes = crop_boxes(before, after)
    height = LABEL_H + ph + GAP + LABEL_H + zoom
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    x0 = (width - (2 * pw + GAP)) // 2  # centred when a very tall photo leaves the pair narrower
    draw.text((x0 + 4, 3), "before", fill=(230, 230, 230))
    draw.text((x0 + pw + GAP + 4, 3), "after", fill=(230, 230, 230))
    canvas.paste(b_small, (x0, LABEL_H))
    canvas.paste(a_small, (x0 + pw + GAP, LABEL_H))
    top = LABEL_H + ph + GAP
    for i, (name, (y, x, s)) in enumerate(boxes):
        for j, (tag, arr) in enumerate((("before", before), ("after", after))):
            part = arr[y : y + s, x : x + s]  # a photo smaller than the crop gives less than s x s
            scale = zoom / max(part.shape[:2])  # one zoom both ways: a thin photo is not stretched square
            crop = pil(part).resize((max(1, round(part.shape[1] * scale)), max(1, round(part.shape[0] * scale))),
                                    Image.Resampling.NEAREST)
            px = (2 * i + j) * (zoom + GAP)
            canvas.paste(crop, (px, top + LABEL_H))
            draw.text((px + 4, top + 3), f"{name} {tag} (x{scale:.1f})", fill=(230, 230, 230))
    return canvas


def preview_jpeg(path: str | Path, max_bytes: int) -> bytes:
    """A JPEG of the image at ``path`` no larger than ``max_bytes``: lower quality first, then smaller.

    For sending a comparison where messages are limited in size (a chat app's tool result).
    """
    import io

    with Image.open(path) as im:
        im = im.convert("RGB")
    quality = 85
    while True:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=quality, optimize=True)
        if buf.tell() <= max_bytes or max(im.size) <= 16:
            return buf.getvalue()
        if quality > 60:
            quality -= 10
        else:
            im = im.resize((max(1, round(im.width * 0.75)), max(1, round(im.height * 0.75))),
                           Image.Resampling.LANCZOS)
