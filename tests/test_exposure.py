"""The brightness step (scientist.restore.exposure): a gain predicted from the photo's own statistics."""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import scientist.restore.constants as constants
import scientist.restore.exposure as exposure
from scientist.errors import CheckpointError, OptionError
from scientist.restore.degrade import STRENGTHS, degrade, linear_to_srgb, mean_key_gain, srgb_to_linear
from scientist.restore.exposure import (
    DOUBT_LIMIT,
    FEATURES,
    QUIET,
    REASONS,
    WHITE_LEVEL,
    WHITE_SHARE,
    ExposureModel,
    _noise_slope,
    decide_gain,
    estimate_gain,
    exposure_stats,
    fit_exposure,
    judge_gain,
    load_exposure_model,
    quiet_features,
    term_names,
)
from scientist.restore.photosets import HELD_OUT_COUNT, split_names
from scientist.restore.train import TRAIN_PHOTOS

from .helpers import assert_one_line_error, photo_array, run_cli, to_u8, unwritable

#: The reasons of a photo brightened from its statistics: as predicted, or up to its highlights' ceiling.
BRIGHTENED = ("brightened", "to-white")


def _scene(seed: int = 0, h: int = 240, w: int = 320) -> np.ndarray:
    """A well-exposed synthetic photo: a sky that reaches near-white, a lit wall with windows, a darker ground,
    soft shading and a little texture (mean level about 0.45, its brightest percent near white)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    img = np.empty((h, w, 3), np.float32)
    img[:] = np.stack([0.55 + 0.2 * x, 0.5 + 0.1 * y, 0.4 + 0.1 * x], -1)
    sky = y < 0.3
    img[sky] = np.array([0.75, 0.85, 0.97])
    img[: int(0.12 * h), int(0.6 * w) :] = 0.98  # a bright cloud
    img[y > 0.75] = (np.stack([0.25 + 0.1 * x, 0.22 + 0.05 * y, 0.12 + 0.0 * x], -1))[y > 0.75]
    img[int(0.4 * h) : int(0.55 * h), int(0.2 * w) : int(0.3 * w)] = np.array([0.15, 0.12, 0.1])  # a window
    img += rng.normal(0, 0.02, img.shape).astype(np.float32)  # texture
    return np.clip(np.round(img * 255) / 255, 0, 1).astype(np.float32)


def _darken(img: np.ndarray, exposure: float) -> np.ndarray:
    return (np.round(linear_to_srgb(srgb_to_linear(img.astype(np.float64)) * exposure) * 255) / 255).astype(
        np.float32)


def _night(seed: int = 1) -> np.ndarray:
    """A night street: the scene at a tenth of the light, with lit windows and street lamps near white."""
    img = _darken(_scene(seed), 0.08)
    h, w, _ = img.shape
    yy, xx = np.mgrid[0:h, 0:w]
    for cy, cx in ((60, 40), (70, 150), (50, 260), (150, 90)):
        glow = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 6.0**2))
        img = np.maximum(img, (np.array([1.0, 0.92, 0.7]) * glow[..., None]).astype(np.float32))
    img[100:125, 200:230] = np.array([0.95, 0.85, 0.55])  # a lit window
    return np.clip(img, 0, 1)


def _graded(h: int = 240, w: int = 320) -> np.ndarray:
    """The layout of :func:`_scene` with soft shading and no grain: a clean photo with nothing to call noise."""
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    img = np.stack([0.55 + 0.2 * x, 0.5 + 0.1 * y, 0.4 + 0.1 * x], -1)
    img[y < 0.3] = np.array([0.75, 0.85, 0.97])
    img[: int(0.12 * h), int(0.6 * w) :] = 0.98
    ground = y > 0.75
    img[ground] = np.stack([0.25 + 0.1 * x, 0.22 + 0.05 * y, 0.12 + 0.0 * x], -1)[ground]
    img[int(0.4 * h) : int(0.55 * h), int(0.2 * w) : int(0.3 * w)] = np.array([0.15, 0.12, 0.1])
    img = img * (1 + 0.08 * np.sin(x[..., None] * 40) * np.sin(y[..., None] * 25))
    return np.clip(np.round(img * 255) / 255, 0, 1).astype(np.float32)


def _lawn(h: int = 240, w: int = 320) -> np.ndarray:
    """A photo filled by one mid-toned texture (a lawn): a narrow histogram with no highlight to go by."""
    from scipy.ndimage import gaussian_filter

    tex = gaussian_filter(np.random.default_rng(0).normal(0, 1, (h, w, 3)), (3, 3, 0))
    return np.clip(0.35 + 0.08 * tex / tex.std(), 0, 1).astype(np.float32)


def _fog(h: int = 240, w: int = 320) -> np.ndarray:
    """A bright, low-contrast scene (fog): light everywhere, nothing near white."""
    from scipy.ndimage import gaussian_filter

    tex = gaussian_filter(np.random.default_rng(1).normal(0, 1, (h, w, 3)), (3, 3, 0))
    y = np.mgrid[0:h, 0:w][0][..., None] / h
    return np.clip(0.55 + 0.1 * y + 0.03 * tex / tex.std(), 0, 1).astype(np.float32)


def test_bundled_constants_load_and_are_the_documented_design():
    model = load_exposure_model()
    assert model.aim == 1.0 and model.leave == (1.3, 1.7) and (model.min_gain, model.max_gain) == (1.0, 12.0)
    assert (model.quiet["threshold"], model.quiet["extreme"]) == QUIET and len(model.quiet["coef"]) == 7
    assert model.white_share == WHITE_SHARE
    assert set(model.coef) == set(term_names()) and set(model.center) == set(FEATURES)
    assert set(model.doubt_model["coef"]) == set(term_names()) and model.doubt_model["limit"] == DOUBT_LIMIT
    fitted = model.fitted_on
    natural = [p for p in fitted["photos"] if p[0].isdigit()]
    assert len(natural) == 48 and "china.jpg" not in fitted["photos"] and "astronaut.png" in fitted["photos"]
    # never fitted on the held-out photos, and the split is the seeded one: the names alone reproduce it
    assert len(fitted["held_out"]) == HELD_OUT_COUNT and not set(fitted["held_out"]) & set(natural)
    assert split_names(natural + fitted["held_out"])[1] == fitted["held_out"]


def test_statistics_are_floored_and_ordered():
    stats = exposure_stats(np.zeros((40, 60, 3), np.float32))
    assert min(v for k, v in stats.items() if k in FEATURES and k != "plateau") == 1e-4
    assert stats["sigma"] == stats["noise"] == 0.0 and stats["block"] == 1.0
    s = exposure_stats(_scene())
    assert s["M90"] <= s["M98"] <= s["M99.5"] <= s["M99.9"] and s["Y50"] <= s["Y90"] <= s["Y99.5"]
    assert 0.2 < s["plateau"] < 0.4  # the sky and the cloud are the brightest, and flat
    ramp = np.repeat(np.linspace(0, 1, 200, dtype=np.float32)[None, :, None], 3, 2).repeat(50, 0)
    assert exposure_stats(ramp)["plateau"] < 0.1  # a gradient has no flat top


def test_well_exposed_and_night_photos_pass_nearly_as_they_are():
    assert estimate_gain(_scene()) <= 1.15
    assert estimate_gain(_scene(seed=3)[::-1]) <= 1.15
    night = _night()
    assert estimate_gain(night) <= 1.15 < 2.5 < mean_key_gain(night)  # the mean alone would brighten it


@pytest.mark.parametrize("exposure", [0.5, 0.35])
def test_a_clean_low_key_photo_keeps_its_level_and_the_same_scene_darkened_with_noise_is_brightened(exposure):
    model = load_exposure_model()
    low_key = _darken(_graded(), exposure)  # a dark scene as it was taken: no noise
    stats = exposure_stats(low_key)
    assert model.raw_gain(stats) > 1.7  # the regression alone takes it for a darkened photo
    assert model.quiet_chance(stats) > 0.9 and estimate_gain(low_key) <= 1.15
    params = replace(STRENGTHS["light"], exposure=exposure, jpeg=101)  # the same scene under-exposed: photon noise
    noisy = degrade(_graded(), params, np.random.default_rng(5))
    assert model.quiet_chance(exposure_stats(noisy)) < 0.5 and estimate_gain(noisy) > 1.7
    jpeg = degrade(_graded(), replace(params, shot=0.0, read=0.0, jpeg=75), np.random.default_rng(5))
    assert exposure_stats(jpeg)["block"] > 1.1 > exposure_stats(low_key)["block"]  # its 8x8 blocks show


def _starry(seed: int = 5, stars: int = 40, colour=(1.0, 1.0, 1.0)) -> np.ndarray:
    """A night sky with photon noise (too noisy for the quiet-photo test) and ``stars`` single pixels of
    ``colour`` (white)."""
    params = replace(STRENGTHS["light"], exposure=0.3, jpeg=101)
    img = degrade(_graded(), params, np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    ys, xs = rng.integers(0, img.shape[0], stars), rng.integers(0, img.shape[1], stars)
    img[ys, xs] = colour
    return img


def test_a_photo_whose_brightest_pixels_reach_white_was_not_darkened_and_keeps_its_level():
    model = load_exposure_model()
    sky = _starry()
    stats = exposure_stats(sky)
    assert stats["white"] == pytest.approx(40 / (240 * 320), rel=0.05) and stats["white"] >= WHITE_SHARE
    assert model.quiet_chance(stats) < 0.5 and model.soften(model.raw_gain(stats)) > 1.7  # without the test: x2+
    assert decide_gain(sky) == (1.0, "reaches-white")
    # the same sky with a few stars only (below the threshold), or none: brightened as a darkened photo
    assert decide_gain(_starry(stars=10))[1] in BRIGHTENED and decide_gain(_starry(stars=0))[0] > 1.7
    assert exposure_stats(_starry(stars=0))["white"] == 0.0
    # white means the brightest channel at WHITE_LEVEL or above: a saturated red star counts, a grey one does not
    red, grey = _starry(colour=(1.0, 0.1, 0.1)), _starry(colour=(WHITE_LEVEL - 0.02,) * 3)
    assert decide_gain(red)[1] == "reaches-white" and decide_gain(grey)[1] in BRIGHTENED
    # a model without the test decides as before
    assert replace(model, white_share=None).decide(stats)[1] in BRIGHTENED


def test_every_decision_is_named_in_the_record():
    from typing import get_args

    from scientist.restore.record import Demo

    assert get_args(Demo.model_fields["brightness"].annotation) == REASONS
    model = load_exposure_model()
    assert model.decide(exposure_stats(_scene()))[1] in ("bright-enough", "untouched", "reaches-white")
    assert model.decide(exposure_stats(_darken(_graded(), 0.35)))[1] == "untouched"


def test_without_the_quiet_test_the_regression_decides_alone():
    model = load_exposure_model()
    stats = exposure_stats(_darken(_graded(), 0.35))
    alone = replace(model, quiet={}).gain(stats)
    assert alone == pytest.approx(min(model.soften(model.raw_gain(stats)), model.ceiling(stats))) and alone > 1.7
    assert replace(model, quiet={**model.quiet, "extreme": 1.5}).gain(stats) > 1.7  # extreme: brightened anyway


@pytest.mark.parametrize("exposure", [0.45, 0.25, 0.12])
def test_a_darkened_photo_is_brought_back_near_its_level(exposure):
    clean = _scene(seed=2)
    params = replace(STRENGTHS["light"], exposure=exposure, jpeg=101)  # light noise, lossless
    dark = degrade(clean, params, np.random.default_rng(4))
    gain = estimate_gain(dark)
    level = linear_to_srgb(srgb_to_linear(clean.astype(np.float64)) * gain * exposure).mean() / clean.mean()
    assert abs(level - 1) < 0.12, (gain, 1 / exposure)


@pytest.mark.parametrize(("scene", "doubtful"), [(_scene, False), (_lawn, True), (_fog, True)])
def test_the_step_says_when_its_gain_is_a_doubtful_guess(scene, doubtful):
    """A darkened photo with a sky near white is brought back near its level, and the step trusts its gain; a lawn
    or a fog darkened the same way has no highlight to go by: the gain is far off, and the step says so."""
    dark = degrade(scene(), replace(STRENGTHS["light"], exposure=0.4, jpeg=101), np.random.default_rng(4))
    model = load_exposure_model()
    decision = judge_gain(dark, replace(model, headroom=None))  # the regression's own gain
    assert decision.reason == "brightened"
    assert decision.doubtful is doubtful and (decision.doubt > DOUBT_LIMIT) is doubtful
    assert (abs(math.log(decision.gain * 0.4)) > 0.25) is doubtful  # the gain is that far off where it says so
    shipped = judge_gain(dark, model)  # the highlights' ceiling, where it stops the gain, carries no doubt
    assert shipped.gain == estimate_gain(dark) and shipped.gain <= decision.gain
    capped = (shipped.reason, shipped.doubt) == ("to-white", None)
    assert shipped == decision if shipped.reason == "brightened" else capped


def test_the_gain_stops_where_the_highlights_reach_white():
    """The photo held nothing above white before it was darkened: however far the regression asks, the gain is at
    most what takes the noise-reduced copy's highlights to white, and the record says when that decided."""
    model = load_exposure_model()
    dark = degrade(_graded(), replace(STRENGTHS["light"], exposure=0.3, jpeg=101), np.random.default_rng(5))
    stats = exposure_stats(dark)
    lift = 1 + exposure.NOISE_HEADROOM * stats["noise"]  # what the noise adds to the copy's highlights
    fine = 1 / exposure.fine_highlights_less_noise(stats)  # the finer copy's ceiling
    assert stats["H99.9"] / 2 <= 1 / fine < stats["H99.9"]  # its highlights less some noise, never below half
    assert 1.005 < lift < 1.05 and model.ceiling(stats) == pytest.approx(min(lift / stats["M99.9"], fine))
    # statistics without the finer copy's highlights (as a caller of an earlier version made them) take the copy's
    assert model.ceiling({k: v for k, v in stats.items() if k != "H99.9"}) == pytest.approx(lift / stats["M99.9"])
    assert 0.9 < model.ceiling(stats) * 0.3 < 1.05  # the scene's highlights were near white: about the true gain
    eager = replace(model, intercept=model.intercept + 1.0)  # a regression that asks e (2.7) times too much
    assert eager.raw_gain(stats) > 2 * model.ceiling(stats)
    assert eager.decide(stats) == (pytest.approx(model.ceiling(stats)), "to-white")
    assert replace(eager, headroom=None).decide(stats) == (pytest.approx(min(eager.soften(eager.raw_gain(stats)),
                                                                             eager.max_gain)), "brightened")
    decision = judge_gain(dark, eager)
    assert (decision.reason, decision.doubt, decision.doubtful) == ("to-white", None, False)
    # a headroom the highlights already pass: nothing to brighten, as for a photo that reaches white
    assert replace(eager, headroom=0.25).decide(stats) == (1.0, "reaches-white")
    # a low-key scene (its brightest parts a light grey) darkened: its ceiling lies above the true gain
    low_key = degrade(_graded() * 0.6, replace(STRENGTHS["light"], exposure=0.3, jpeg=101), np.random.default_rng(5))
    assert model.ceiling(exposure_stats(low_key)) * 0.3 > 1.3
    # bundled constants without the key take the default; a headroom that is not a positive number is refused
    assert model.headroom == exposure.HEADROOM == 1.0
    data = json.loads((Path(exposure.__file__).parent.parent / "weights" / "exposure.json").read_text())
    assert "headroom" not in data and exposure._model(data | {"headroom": None}).ceiling(stats) == math.inf
    for bad in (0, -1.0, "1", float("nan")):
        with pytest.raises(constants.ConstantsProblem, match="headroom"):
            exposure.check_constants(data | {"headroom": bad})


def _stripes(h: int = 240, w: int = 320) -> np.ndarray:
    """A dark scene crossed by thin white stripes (2 px wide, 12 px apart: a striped shirt): its highlights reach
    white only on lines that a blurred, block-averaged copy mixes with the dark between them."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.full((h, w, 3), 0.12, np.float64) + 0.1 * (x / w)[..., None]
    img[(x % 12 < 2) & (y > h // 3)] = 1.0
    return img.astype(np.float32)


def test_thin_highlights_hold_the_ceiling():
    """White on thin lines still says how far a darkened photo may be brightened: the ceiling reads a finer copy
    too, so it lies near the true gain where the noise-reduced copy alone would have allowed half as much again."""
    model = load_exposure_model()
    for exposure_, seed in ((0.4, 3), (0.25, 4)):
        dark = degrade(_stripes(), replace(STRENGTHS["light"], exposure=exposure_, jpeg=101),
                       np.random.default_rng(seed))
        stats = exposure_stats(dark)
        coarse = model.ceiling({k: v for k, v in stats.items() if k != "H99.9"})
        assert coarse * exposure_ > 1.4  # the copy alone: its stripes averaged with the dark between them
        # near the true gain, never below it, and above it only by what the blur takes off a 2 px line (it reads
        # 0.95 of white there) and by what the noise left in the finer copy's highlights
        assert 0.95 < model.ceiling(stats) * exposure_ < 1.12
        assert model.ceiling(stats) < coarse / 1.3
        eager = replace(model, intercept=model.intercept + 1.0)  # a regression that asks far too much
        assert eager.decide(stats) == (pytest.approx(model.ceiling(stats)), "to-white")
    # the photo as it was, clean: the finer copy reads its stripes near white, the noise-reduced one at half of it
    clean = exposure_stats(_stripes())
    assert clean["H99.9"] > 0.9 and clean["M99.9"] < 0.6


def test_only_a_predicted_gain_has_a_doubt():
    model = load_exposure_model()
    assert judge_gain(_scene(), model).doubt is None  # left as it is: nothing was predicted
    stats = exposure_stats(degrade(_lawn(), replace(STRENGTHS["light"], exposure=0.4, jpeg=101),
                                   np.random.default_rng(4)))
    wild = replace(model, doubt_model={**model.doubt_model, "intercept": 1e6})  # far from every fitting sample
    assert wild.doubt(stats) == pytest.approx(math.expm1(model.doubt_model["ceiling"]))
    assert wild.doubtful(wild.doubt(stats))
    old = replace(model, doubt_model={})  # constants fitted before the doubt model
    assert old.doubt(stats) is None and not old.doubtful(old.doubt(stats)) and old.gain(stats) == model.gain(stats)


def test_photos_that_look_about_right_are_left_alone():
    model = load_exposure_model()
    assert model.soften(1.25) == 1.0 and model.soften(0.7) == 1.0
    assert model.soften(2.0) == pytest.approx(2.0) and model.soften(1.7) == pytest.approx(1.7)
    mid = model.soften(1.5)  # part of the way: a ramp in log gain
    assert 1.0 < mid < 1.5 and math.log(mid) == pytest.approx(math.log(1.5) * math.log(1.5 / 1.3) / math.log(1.7 / 1.3))
    assert model.soften(40.0) == 12.0


@pytest.mark.slow
def test_fitting_reproduces_a_model_from_training_photos_only():
    from scientist.restore.train import EVAL_PHOTOS, TRAIN_PHOTOS

    assert not {e.split(":")[-1] for e in EVAL_PHOTOS} & set(TRAIN_PHOTOS)  # what it may read
    model = fit_exposure(samples=150, seed=3)
    assert set(model.coef) == set(load_exposure_model().coef) and np.isfinite(model.intercept)
    assert model.fitted_on["samples"] == 150 and model.fitted_on["held_out"] == []
    dark = degrade(_scene(), STRENGTHS["medium"], np.random.default_rng(0))  # 4x darker
    assert 2.0 < estimate_gain(dark, model) < 7.0 and estimate_gain(_scene(), model) <= 1.15
    assert set(model.doubt_model["coef"]) == set(model.coef) and model.doubt_model["scale"] > 0
    assert 0 <= judge_gain(dark, replace(model, headroom=None)).doubt < 10


def test_the_pipeline_measures_each_images_noise_once(monkeypatch):
    """load measures the photo's noise; expose reuses it for the quiet-photo test and measures only the brightened
    image, and the gain is the one the photo's own measurement gives."""
    import scientist.restore.compare as compare
    import scientist.restore.stages as stages

    dark = degrade(_scene(seed=2), replace(STRENGTHS["light"], exposure=0.25, jpeg=101), np.random.default_rng(4))
    measured = []

    def counting(img):
        measured.append(img.shape)
        return real(img)

    real = compare.noise_sigma
    monkeypatch.setattr(compare, "noise_sigma", counting)
    monkeypatch.setattr(stages, "noise_sigma", counting)
    exposed = stages.expose(stages.load(stages.Photo(Path("dark.png"), dark, {})))
    assert len(measured) == 2  # the photo, then the brightened photo
    assert exposed.gain > 1.0 and exposed.gain == estimate_gain(dark) and exposed.brightness in BRIGHTENED
    assert exposed.gain_doubt == judge_gain(dark).doubt and exposed.gain_doubtful is False


def _log_ramp(h: int = 256, w: int = 512) -> np.ndarray:
    """Grey levels from 0.01 to 0.95 (sRGB) in equal steps of log level across, the same down."""
    row = np.exp(np.linspace(math.log(0.01), math.log(0.95), w))
    return np.repeat(np.repeat(row[None, :, None], h, 0), 3, 2)


def test_noise_added_in_the_dark_falls_with_the_level_and_a_photos_own_grain_grows_with_it():
    rng = np.random.default_rng(3)
    ramp = _log_ramp()
    lin = srgb_to_linear(ramp)

    def added(shot: float, read: float) -> np.ndarray:  # photon and read noise in linear light, then sRGB
        sigma = np.sqrt(shot * lin + read**2)
        return linear_to_srgb(np.clip(lin + rng.normal(0, 1, lin.shape) * sigma, 0, 1))

    light, read_only = added(8e-4, 1.5e-3), added(1e-4, 3e-3)
    grain = np.clip(ramp * (1 + 0.03 * rng.normal(0, 1, ramp.shape)), 0, 1)  # grows with the light
    assert _noise_slope(read_only) < -0.3 < _noise_slope(light) < 0.0 < 0.5 < _noise_slope(grain)
    assert abs(_noise_slope(ramp)) < 1e-6  # nothing to measure in any band
    assert _noise_slope(np.full((64, 64, 3), 0.5)) == 0.0  # one level band: no slope
    assert exposure_stats(light)["slope"] == _noise_slope(light)


def test_constants_fitted_before_the_slope_still_read_their_five_coefficients():
    stats = exposure_stats(_scene())
    old = replace(load_exposure_model(), quiet={"coef": [0.5, -0.2, 1.0, 0.1, -0.3], "intercept": 0.4,
                                                 "threshold": 0.5, "extreme": 4.0})
    t = 0.4 + float(quiet_features(stats)[:5] @ np.array([0.5, -0.2, 1.0, 0.1, -0.3]))
    assert isinstance(old, ExposureModel) and old.quiet_chance(stats) == pytest.approx(1 / (1 + math.exp(-t)))


# ---------------------------------------------------------------- the constants as loaded
def _shipped() -> dict:
    return json.loads(constants.bundled("exposure.json").read_text("utf-8"))


@pytest.mark.parametrize(("text", "says"), [
    ('{"intercept": 1', "not valid JSON"),
    ("{}", "'intercept' is missing"),
    ("[1, 2]", "a JSON object of named constants was expected"),
    ("", "not valid JSON"),
    ("NAN", "intercept must be a finite number"),  # the shipped constants with a NaN intercept
    ("INF", "intercept must be a finite number"),  # 1e400 is read as infinity
    ("NOCOEF", "coef: 'M90*M98' is missing"),
    ("TEXT", "aim must be a finite number"),
    ("NOLIMIT", "doubt_model['limit'] is missing"),
])
def test_constants_that_cannot_be_used_are_one_sentence_naming_the_file(tmp_path, text, says):
    shipped = _shipped()
    made = {"NAN": json.dumps(shipped | {"intercept": float("nan")}),  # json writes NaN
            "INF": json.dumps(shipped).replace(json.dumps(shipped["intercept"]), "1e400", 1),
            "NOCOEF": json.dumps(shipped | {"coef": {k: v for k, v in shipped["coef"].items() if k != "M90*M98"}}),
            "TEXT": json.dumps(shipped | {"aim": "1.0"}),
            "NOLIMIT": json.dumps(shipped | {"doubt_model": {k: v for k, v in shipped["doubt_model"].items()
                                                               if k != "limit"}})}
    path = tmp_path / "exposure.json"
    path.write_text(made.get(text, text))
    with pytest.raises(CheckpointError) as err:
        load_exposure_model(path)
    message = str(err.value)
    assert message.startswith(f"{path}: unusable fitted constants") and says in message and "\n" not in message


def test_the_shipped_constants_pass_the_checks_as_they_are():
    from scientist.restore.exposure import check_constants

    check_constants(_shipped())  # nothing to refuse
    assert load_exposure_model().intercept == _shipped()["intercept"]


def test_a_broken_bundled_file_stops_a_restore_in_one_line_naming_it(tmp_path, monkeypatch):
    broken = tmp_path / "weights" / "exposure.json"
    broken.parent.mkdir()
    broken.write_text("{}")
    real = constants.bundled
    monkeypatch.setattr(constants, "bundled", lambda name: broken if name == "exposure.json" else real(name))
    monkeypatch.setattr(constants, "_LOADED", {})
    photo = tmp_path / "dark.png"
    Image.fromarray(to_u8(photo_array() * 0.2)).save(photo)
    code, _out, lines = run_cli("restore", photo, "--out", tmp_path / "out.png", inputs=[photo])
    assert_one_line_error(code, lines, f"{broken}: unusable fitted constants: 'intercept' is missing")
    assert not (tmp_path / "out.png").exists()


# ---------------------------------------------------------------- fit-exposure's output and settings
@pytest.fixture()
def fit_photos(tmp_path):
    d = tmp_path / "photos"
    d.mkdir()
    for i, name in enumerate(TRAIN_PHOTOS[:3]):
        Image.fromarray((_scene(seed=i, h=72, w=96) * 255).round().astype(np.uint8)).save(d / name)
    return d


def test_fit_exposure_writes_only_a_json_file_of_its_own(tmp_path, fit_photos):
    photo = fit_photos / "chelsea.png"
    link = tmp_path / "link.json"
    link.symlink_to(photo)
    (tmp_path / "folder.json").mkdir()
    cases = [
        ("/dev/null", "/dev/null: the constants file must end in .json"),
        (photo, f"{photo}: one of the photos the constants are fitted on"),
        (link, f"{link}: it is {photo}, one of the photos the constants are fitted on"),
        (tmp_path / "folder.json", "a folder, not a constants file"),
        (photo / "x.json", "not a folder"),
        (tmp_path / "constants.txt", "must end in .json"),
    ]
    if os.path.exists("/dev/zero"):
        (tmp_path / "device.json").symlink_to("/dev/zero")
        cases.append((tmp_path / "device.json", "not a regular file"))
    for out, says in cases:
        code, _out, lines = run_cli("fit-exposure", out, "--samples", "20", "--photos", fit_photos,
                                    inputs=[photo])
        assert_one_line_error(code, lines, says)
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    made = {"folder.json", "link.json", "photos"} | ({"device.json"} if os.path.exists("/dev/zero") else set())
    assert {p.name for p in tmp_path.iterdir()} == made and list((tmp_path / "folder.json").iterdir()) == []


@pytest.mark.parametrize(("args", "says"), [
    (["--samples", "0"], "--samples: must be at least 20"),
    (["--samples", "-5"], "--samples: must be at least 20"),
    (["--samples", "1"], "--samples: must be at least 20"),
    (["--samples", "2"], "--samples: must be at least 20"),
    (["--seed", "-1"], "--seed: must be a whole number, 0 or more"),
])
def test_fit_exposure_settings_that_could_not_work_are_refused_before_anything_is_read(tmp_path, args, says):
    code, _out, lines = run_cli("fit-exposure", tmp_path / "e.json", *args, "--photos", tmp_path / "nonexistent")
    assert_one_line_error(code, lines, says)
    assert list(tmp_path.iterdir()) == []


def test_a_natural_folder_held_out_whole_is_refused_by_fit_exposure(tmp_path, fit_photos):
    natural = tmp_path / "natural"
    natural.mkdir()
    for i in range(20):
        Image.new("RGB", (16, 16), (i * 10, 90, 90)).save(natural / f"{i:03d}.png")
    code, _out, lines = run_cli("fit-exposure", tmp_path / "e.json", "--samples", "20", "--photos", fit_photos,
                                "--natural", natural)
    assert_one_line_error(code, lines, "its 20 photos would add none")
    assert not (tmp_path / "e.json").exists()


def test_fit_exposure_refits_constants_in_place_and_replaces_other_files_only_when_asked(tmp_path, fit_photos):
    other = tmp_path / "notes.json"
    other.write_text('{"mine": true}')
    code, _out, lines = run_cli("fit-exposure", other, "--samples", "20", "--photos", fit_photos, inputs=[other])
    assert_one_line_error(code, lines, "already exists and holds no exposure constants to refit; pass --overwrite")
    out = tmp_path / "new" / "exposure.json"
    code, stdout, _lines = run_cli("fit-exposure", out, "--samples", "20", "--photos", fit_photos)
    assert code == 0 and "over 3 photos," in stdout and load_exposure_model(out).fitted_on["samples"] == 20
    code, stdout, _lines = run_cli("fit-exposure", out, "--samples", "21", "--photos", fit_photos)  # a refit
    assert code == 0 and load_exposure_model(out).fitted_on["samples"] == 21
    code, _out, _lines = run_cli("fit-exposure", other, "--samples", "20", "--photos", fit_photos, "--overwrite")
    assert code == 0 and "coef" in json.loads(other.read_text())
    assert sorted(p.name for p in out.parent.iterdir()) == ["exposure.json"]


def test_fit_exposure_refuses_a_folder_it_cannot_write_before_fitting(tmp_path, fit_photos):
    locked = tmp_path / "locked"
    with unwritable(locked):
        code, _out, lines = run_cli("fit-exposure", locked / "e.json", "--samples", "20", "--photos", fit_photos)
        assert_one_line_error(code, lines, "locked: output folder is not writable")
        assert list(locked.iterdir()) == []


def test_a_draw_with_crops_of_one_kind_only_says_what_to_do(fit_photos, monkeypatch):
    monkeypatch.setattr(exposure, "draw_samples", lambda photos, n, seed, mix: [("a", {}, 0.5)] * n)
    with pytest.raises(OptionError, match="are all darkened, and the quiet-photo test needs both kinds"):
        fit_exposure(samples=20, photos_dir=fit_photos)


def test_a_bright_photo_with_little_noise_is_bright_enough_not_a_dark_scene():
    """A clean photo at a mean level of 209/255 was left 'untouched': 'it has little noise for its darkness, like a
    dark scene taken as it was'.  The quiet-photo test is asked only where the step would brighten."""
    from scientist.restore.exposure import judge_gain

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:192, 0:256]
    base = 209 / 255 * (0.85 + 0.15 * np.sin(xx / 9.0)[..., None] * np.cos(yy / 13.0)[..., None])
    img = np.clip(base + rng.normal(0, 2 / 255, (192, 256, 3)), 0, 0.98).astype(np.float32)
    decision = judge_gain(img)
    assert (decision.gain, decision.reason) == (1.0, "bright-enough")


@pytest.mark.parametrize("level", [0, 12, 200])
def test_a_flat_frame_is_left_as_it_is(level):
    """A black frame, or one flat dark grey, was brightened x12 and 'looked darkened, so it was brought up'."""
    from scientist.restore.exposure import judge_gain

    img = np.full((120, 160, 3), level / 255, np.float32)
    assert (judge_gain(img).gain, judge_gain(img).reason) == (1.0, "flat")
    img[60, 80] = 1.0  # one bright point is something to see: the step reads the photo again
    assert judge_gain(img).reason != "flat"
