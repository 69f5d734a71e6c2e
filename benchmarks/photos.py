"""The benchmarks' photo: scikit-learn's ``china.jpg`` resized, and degraded copies of it saved as JPEGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def china(w: int, h: int) -> np.ndarray:
    """``china.jpg`` resized to ``w`` x ``h`` (bicubic), float RGB in [0, 1]."""
    from PIL import Image
    from sklearn.datasets import load_sample_image

    img = Image.fromarray(load_sample_image("china.jpg")).resize((w, h), Image.Resampling.BICUBIC)
    return np.asarray(img, np.float32) / 255


def save_degraded(path: Path, w: int, h: int, params, quality: int) -> None:
    """:func:`china` degraded by ``params`` (a :class:`~scientist.restore.degrade.DegradeParams`, seed 0),
    saved as a JPEG of ``quality``."""
    from PIL import Image

    from scientist.restore.degrade import degrade
    from scientist.restore.save import to_u8

    Image.fromarray(to_u8(degrade(china(w, h), params, np.random.default_rng(0)))).save(path, quality=quality)
