"""The brightness step: how much to brighten a dark photo before the network, estimated from the photo.

A blind method cannot know whether a scene was dark to begin with, so the gain
is predicted from statistics of the photo in linear light: its mean and
geometric mean, and percentiles of its (lightly blurred) luminance and of its
brightest channel.  A ridge regression, fitted on synthetic degradations of the
training photos only (:func:`fit_exposure`, ``scientist fit-exposure``),
predicts the level the highlights had before the photo was darkened; the gain
brings them back there.  It aims a little low because the network brightens
dark, flat scenes a little on its own.  The fitted constants ship as
``scientist/weights/exposure.json``.

Measured against the mean-to-mid-grey rule this replaces, on photos held out
from training, in ``scientist bench-restore``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .degrade import LUMA, downscale_8bit, srgb_to_linear

__all__ = ["ExposureModel", "estimate_gain", "exposure_stats", "fit_exposure", "load_exposure_model"]

#: Every statistic is floored here (linear light), so logarithms stay finite on black photos.
FLOOR = 1e-4
#: The statistics are taken on a subsample of at most this side (plain striding), blurred by this sigma (px).
SAMPLE_SIDE, BLUR_SIGMA = 512, 1.5
#: The reference statistic the others are divided by, and whose original level the regression predicts.
REFERENCE = "M99.5"


def exposure_stats(img: np.ndarray) -> dict[str, float]:
    """Statistics of an sRGB float photo in linear light: ``mean`` (luminance), ``gmean`` (geometric mean of
    blurred luminance), ``Y50``/``Y90``/``Y99.5`` (its percentiles) and ``M90``...``M99.9`` (percentiles of
    the blurred brightest channel)."""
    from scipy.ndimage import gaussian_filter

    h, w, _ = img.shape
    step = max(1, math.ceil(max(h, w) / SAMPLE_SIDE))
    lin = srgb_to_linear(img[::step, ::step].astype(np.float64))
    blur = np.stack([gaussian_filter(lin[..., c], BLUR_SIGMA) for c in range(3)], -1)
    yb, mx = blur @ LUMA, blur.max(-1)
    stats = {"mean": float((lin @ LUMA).mean()), "gmean": float(np.exp(np.log(np.maximum(yb, FLOOR)).mean()))}
    for q in (50, 90, 99.5):
        stats[f"Y{q}"] = float(np.percentile(yb, q))
    for q in (90, 98, 99.5, 99.9):
        stats[f"M{q}"] = float(np.percentile(mx, q))
    return {k: max(v, FLOOR) for k, v in stats.items()}


@dataclass(frozen=True)
class ExposureModel:
    """``gain = clip(aim * exp(intercept + sum(coef[s] * ln(stat[s] / stat[REFERENCE]))) / stat[REFERENCE])``."""

    intercept: float
    coef: dict[str, float]
    aim: float = 0.9
    min_gain: float = 1.0
    max_gain: float = 12.0
    fitted_on: dict = field(default_factory=dict)

    def gain(self, stats: dict[str, float]) -> float:
        ref = stats[REFERENCE]
        log_white = self.intercept + sum(c * math.log(stats[k] / ref) for k, c in self.coef.items())
        return float(np.clip(self.aim * math.exp(log_white) / ref, self.min_gain, self.max_gain))


def _bundled() -> Path:
    return Path(__file__).resolve().parent.parent / "weights" / "exposure.json"


_MODEL: ExposureModel | None = None


def load_exposure_model(path: str | Path | None = None) -> ExposureModel:
    """The fitted constants (the bundled ones unless ``path``)."""
    global _MODEL
    if path is None and _MODEL is not None:
        return _MODEL
    model = ExposureModel(**json.loads(Path(path or _bundled()).read_text("utf-8")))
    if path is None:
        _MODEL = model
    return model


def estimate_gain(img: np.ndarray, model: ExposureModel | None = None) -> float:
    """The linear-light gain for an sRGB float photo (1 for a photo that is bright enough)."""
    return (model or load_exposure_model()).gain(exposure_stats(img))


def _training_sample(photos: list[np.ndarray], rng: np.random.Generator) -> tuple[dict[str, float], float]:
    """One degraded crop of a training photo: its statistics and the exposure it was darkened by."""
    from .degrade import degrade, sample_params

    p = photos[int(rng.integers(len(photos)))]
    h, w, _ = p.shape
    if rng.random() >= 0.4:  # 60 %: a crop covering 40-100 % of each side
        ch = max(64, int(h * rng.uniform(0.4, 1.0)))
        cw = max(64, int(w * rng.uniform(0.4, 1.0)))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        p = p[y : y + ch, x : x + cw]
    if rng.random() < 0.5:  # colour casts the network also sees in training
        p = p[..., rng.permutation(3)]
    params = sample_params(rng)
    return exposure_stats(degrade(p, params, rng)), params.exposure


def fit_exposure(samples: int = 1500, seed: int = 7, aim: float = 0.9, photos_dir: Path | None = None,
                 alpha: float = 1.0) -> ExposureModel:
    """Fit the regression on ``samples`` synthetic degradations of the training photos (never the evaluation
    photos): the target is the log of the reference highlight level before darkening."""
    from sklearn.linear_model import Ridge

    from .train import TRAIN_PHOTOS, load_training_photos

    photos = [downscale_8bit(p, SAMPLE_SIDE) for p in load_training_photos(photos_dir)]
    rng = np.random.default_rng(seed)
    keys = ["mean", "gmean", "Y50", "Y90", "M98", "M99.9", "Y99.5", "M90"]
    x, y = [], []
    for _ in range(samples):
        stats, exposure = _training_sample(photos, rng)
        ref = stats[REFERENCE]
        x.append([math.log(stats[k] / ref) for k in keys])
        y.append(math.log(ref / exposure))
    model = Ridge(alpha=alpha).fit(np.array(x), np.array(y))
    return ExposureModel(float(model.intercept_), {k: float(c) for k, c in zip(keys, model.coef_, strict=True)},
                         aim=aim, fitted_on={"photos": list(TRAIN_PHOTOS), "samples": samples, "seed": seed,
                                             "alpha": alpha})


def save_exposure_model(model: ExposureModel, path: Path) -> None:
    from ..fileio import write_atomic

    write_atomic(path, (json.dumps(asdict(model), indent=1) + "\n").encode())
