"""The brightness step (scientist.restore.exposure): a gain predicted from the photo's own statistics."""

from __future__ import annotations

import numpy as np
import pytest

from scientist.restore.degrade import STRENGTHS, degrade, mean_key_gain
from scientist.restore.exposure import estimate_gain, exposure_stats, fit_exposure, load_exposure_model


def _scene(bright_highlights: bool) -> np.ndarray:
    """A smooth scene: a mid-grey gradient, with or without a near-white window."""
    y, x = np.mgrid[0:120, 0:160] / 160.0
    img = np.stack([0.3 + 0.2 * x, 0.3 + 0.1 * y, 0.25 + 0.1 * x], -1).astype(np.float32)
    if bright_highlights:
        img[20:50, 100:140] = 0.97
    return img


def test_bundled_constants_load_and_are_the_documented_design():
    model = load_exposure_model()
    assert model.aim == 0.9 and (model.min_gain, model.max_gain) == (1.0, 12.0)
    assert set(model.coef) == {"mean", "gmean", "Y50", "Y90", "M98", "M99.9", "Y99.5", "M90"}
    assert model.fitted_on["samples"] == 1500 and "china.jpg" not in model.fitted_on["photos"]


def test_statistics_are_floored_and_ordered():
    stats = exposure_stats(np.zeros((40, 60, 3), np.float32))
    assert min(stats.values()) == 1e-4
    s = exposure_stats(_scene(True))
    assert s["M90"] <= s["M98"] <= s["M99.5"] <= s["M99.9"] and s["Y50"] <= s["Y90"] <= s["Y99.5"]


def test_gain_recovers_darkening_and_leaves_bright_photos_alone():
    rng = np.random.default_rng(0)
    clean = _scene(True)
    assert estimate_gain(clean) == 1.0  # already well exposed: nothing to do
    dark = degrade(clean, STRENGTHS["medium"], rng)  # darkened to 0.25 of the light
    assert 2.0 < estimate_gain(dark) < 4.5  # 4 would undo the darkening exactly; it aims a little low
    # a scene without near-white is taken for a darker one (a blind method cannot know better), but the
    # gain still grows with the darkening
    plain = _scene(False)
    assert 1.0 < estimate_gain(plain) < estimate_gain(degrade(plain, STRENGTHS["medium"], rng))
    # a night scene with a lit window is dark on purpose: its highlights say so, while the mean alone
    # would brighten it several times over
    night = (_scene(False) * 0.25).astype(np.float32)
    night[20:50, 100:140] = 0.97
    assert estimate_gain(night) < 1.2 < 2.5 < mean_key_gain(night)


@pytest.mark.slow
def test_fitting_reproduces_a_model_from_training_photos_only():
    from scientist.restore.train import EVAL_PHOTOS, TRAIN_PHOTOS

    assert not {e.split(":")[-1] for e in EVAL_PHOTOS} & set(TRAIN_PHOTOS)  # what it may read
    model = fit_exposure(samples=60, seed=3)
    assert set(model.coef) == set(load_exposure_model().coef) and np.isfinite(model.intercept)
    assert model.fitted_on["samples"] == 60
    # a small refit does the bundled model's job: it undoes a darkening by roughly the right gain
    dark = degrade(_scene(True), STRENGTHS["medium"], np.random.default_rng(0))  # 4x darker
    assert 2.0 < estimate_gain(dark, model) < 6.0 and estimate_gain(_scene(True), model) == 1.0
