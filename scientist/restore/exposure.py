"""The brightness step: how much to brighten a dark photo before the network, estimated from the photo.

A blind method cannot know whether a scene was dark to begin with, so the gain
is predicted from statistics of the photo in linear light: its mean and
geometric mean, percentiles of its luminance and of its brightest channel, and
how much of it sits on a plateau at the top (a white sky or snow that was
clipped before the photo was darkened), all on a noise-reduced copy (averaged
over blocks of pixels, then lightly blurred).  A ridge regression over these
statistics and their pairwise products, fitted by ``scientist fit-exposure`` on
synthetic degradations of natural photos (the fitting part of a natural-photo
folder, :mod:`.photosets`, and scikit-image's photos; never the held-out
ones), predicts the level the highlights had before the photo was darkened; the
gain brings them back there, aimed at the true level.

Photos that look about right are left alone: a predicted gain below
``leave[0]`` is not applied at all, and between ``leave[0]`` and ``leave[1]``
only part of it is (a ramp in log gain), so a well-exposed photo or a night
scene with lit windows is not brightened by the small errors of the
regression (on the fitting photos, left as they were, the largest gain that comes through is 1.05).

A low-key photo taken as it is and the same scene under-exposed can have the same histogram, but not the same
noise: under-exposure leaves photon noise at a low signal, a clean photo little noise for its darkness.  So a
second, logistic model (the *quiet-photo test*, fitted on the same samples) reads the photo's noise, that noise
relative to its level, how much its 8x8 blocks show (a JPEG smooths noise away, so low noise counts as evidence
only where the file was not compressed hard) and how its fine variation changes with the level (noise added in
the dark and encoded in sRGB is strongest in the shadows; a photo's own texture and grain grow with the light),
and a photo it takes for one nothing was done to (chance above ``QUIET[0]``) keeps gain 1 unless the regression
asks for ``QUIET[1]`` or more.

A darkening scales white down with everything else, so a photo whose brightest pixels still reach white
(``WHITE_LEVEL`` in the brightest channel, on at least ``white_share`` of its pixels: stars, street lamps, lit
windows, a sky) was exposed for its highlights: the *white test* keeps its gain at 1, as any gain would burn
those highlights.  Among the 3,000 degraded crops of the fitting photos the step is fitted on, the 2,213
darkened to 0.7 or less of their light have at most 0.0072 % of their pixels there; the threshold is 0.05 %
(``benchmarks/cv_exposure.py`` prints the figures).  The constants ship as ``scientist/weights/exposure.json``.

The same holds the other way: the photo held nothing above white before it was darkened, so the gain is never more
than takes its highlights (the 99.9th percentile of the brightest channel, on the noise-reduced copy and on a finer
one that keeps thin highlights) to white (``HEADROOM``; reason ``to-white``). A low-key photo whose statistics look
like a darkened bright one's was brightened up to twice too far; the ceiling stops it where its highlights burn.

:meth:`ExposureModel.decide` says which of these decided (:data:`REASONS`); the run's record carries it.

How far to trust a predicted gain differs from photo to photo: a photo with a white sky or a lamp in it was
darkened by about what its highlights say, one without may be a dark scene or a bright one.  A third model (the
*doubt*, :meth:`ExposureModel.doubt`), a ridge regression on the same terms, predicts the log of the regression's
typical error for photos whose statistics look like the photo's; it is fitted on the regression's errors on photos
that regression was not fitted on (photo-wise folds of the same samples), so it learns how wrong the step is on
new photos, not on the ones it has seen.  A brightened photo's record carries it, and a doubt above
``DOUBT_LIMIT`` is said in the result (photo-wise cross-validation on the fitting photos: it is the median error
of the photos it is predicted for, and flags most of those whose level comes out more than 12 % off,
``benchmarks/cv_exposure.py``; on the held-out photos fewer, BENCHMARKS.md).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import get_args

import numpy as np

from ..errors import CheckpointError, OptionError, OutputError, shown
from ..settings import GAIN_RANGE
from .constants import ConstantsProblem, load_constants, save_constants
from .degrade import LUMA, downscale_8bit, linear_per_srgb, srgb_to_linear
from .record import Brightness

__all__ = ["MIN_SAMPLES", "REASONS", "ExposureModel", "GainDecision", "check_constants", "check_fit",
           "check_fit_output", "decide_gain", "estimate_gain", "exposure_stats", "fit_exposure", "fit_exposure_to",
           "judge_gain", "load_exposure_model", "model_features", "photo_folds"]

#: Every statistic is floored here (linear light), so logarithms stay finite on black photos.
FLOOR = 1e-4
#: The statistics are taken on a copy of at most ``SAMPLE_SIDE`` px: the photo is first sampled with a stride to
#: at most ``BLOCK`` x that, then averaged over blocks in linear light (which lowers the noise, so that noise does
#: not pass for highlights) and blurred by ``BLUR_SIGMA`` px.
SAMPLE_SIDE, BLOCK, BLUR_SIGMA = 256, 4, 1.5
#: The reference statistic the others are divided by, and whose original level the regression predicts.
REFERENCE = "M99.5"
#: A pixel is on the top plateau when its brightest channel is at least this share of the 99.9th percentile.
PLATEAU = 0.93
#: The statistics the regression reads: each as the log of its ratio to the reference, except ``plateau`` (the
#: log of its share plus ``PLATEAU_FLOOR``).  The log of the reference itself as a tenth was measured and left
#: out (photo-wise cross-validation on the fitting photos: median level error 2.97 % without, 3.00 % with).
FEATURES = ("mean", "gmean", "Y50", "Y90", "Y99.5", "M90", "M98", "M99.9", "plateau")
PLATEAU_FLOOR = 0.005
#: The quiet-photo test reads the photo's noise (``sigma``, 0-1 sRGB) and that relative to its mean level
#: (``noise``), each as the log of it plus ``NOISE_FLOOR``, how much its 8x8 blocks show (``block``, a JPEG
#: smooths noise away, so low noise is evidence of a clean photo only in a file that was not compressed hard), and
#: the slope of its fine variation against the level (``slope``).
NOISE_FLOOR = 0.002
#: The noise's slope against the level (:func:`_noise_slope`): level bands from ``SLOPE_BINS[0]`` to
#: ``SLOPE_BINS[1]`` (sRGB, 0-1) in ``SLOPE_BINS[2]`` equal steps of log level; a band counts with at least
#: ``SLOPE_MIN_BLOCKS`` 8x8 blocks, and stands for the ``SLOPE_QUANTILE``-th percentile of their fine variation.
SLOPE_BINS, SLOPE_MIN_BLOCKS, SLOPE_QUANTILE = (0.01, 0.95, 8), 12, 10
#: A pixel reaches white when its brightest channel is at least this (sRGB, 0-1), on the photo as given (not the
#: noise-reduced copy: a star or a lamp is a few pixels wide).
WHITE_LEVEL = 0.98
#: The highlights' ceiling: a predicted gain is at most this over the noise-reduced copy's 99.9th percentile of the
#: brightest channel (linear light), so the highlights come out at most at white.  Photo-wise cross-validation on
#: the fitting photos (``benchmarks/cv_exposure_variants.py``): the largest level error on darkened photos
#: 68.8 -> 25.2 % (light) and 32.2 -> 22.7 % (heavy), no figure worse; at 0.9 photos whose highlights were white
#: came out too dark (heavy median 3.0 -> 4.5 %), at 1.1 the gain error on the pool's samples grew (7.9 -> 9.3 %).
HEADROOM = 1.0
#: How far the noise lifts the noise-reduced copy's 99.9th percentile, per unit of the photo's noise relative to its
#: level (``noise``): on the 48 fitting natural photos darkened as in light-png and heavy-png, those whose highlights
#: were white read up to 1.2 % and 5.2 % above their true level (relative noise about 0.08 and 0.36).
NOISE_HEADROOM = 0.15
#: The ceiling also reads a finer copy: the stride sample in linear light, not averaged over blocks, blurred by
#: ``FINE_SIGMA`` px; its 99.9th percentile of the brightest channel (``H99.9``) keeps thin highlights (a white
#: stripe, a rim of light) that the noise-reduced copy averages away (on the 48 fitting natural photos, clean, that
#: copy reads as little as half their full-resolution highlights: ``175032`` 0.49 of white against 1.00).  Less
#: smoothed, it carries more of the noise, so the ceiling takes the highlights as that percentile less
#: ``FINE_NOISE_HEADROOM`` times the photo's noise (``sigma``) in linear light at their level (never below half of
#: it): the noise that lifts them is the noise there, which on a dark photo the noise relative to its mean level
#: overstates.  Chosen by photo-wise cross-validation on the fitting photos (throwaway grids over the blur 0.7, 1
#: and 1.5 px, the 99.5th and 99.9th percentiles and the allowance, on ``benchmarks/cv_exposure_variants.py``'s
#: test): light-noise level error median 4.4 -> 4.1 %, the pool's gain error median 7.9 -> 7.3 %, well-exposed
#: grainy photos brightened past +15 % 7.7 -> 6.0 %, heavy noise as before or better; smaller allowances cut
#: heavy-noise gains below the exact one.
FINE_SIGMA, FINE_NOISE_HEADROOM = 1.0, 0.5
#: What may decide the gain (the record's :data:`.record.Brightness`): :meth:`ExposureModel.decide` gives the
#: first four; ``given`` and ``not-asked`` come from the expose step.
REASONS = get_args(Brightness)


def _stride_sample(img: np.ndarray) -> np.ndarray:
    """The photo sampled with a stride to at most ``BLOCK * SAMPLE_SIDE`` px (a view; every pixel of a smaller
    photo)."""
    h, w, _ = img.shape
    step = max(1, math.ceil(max(h, w) / (BLOCK * SAMPLE_SIDE)))
    return img[::step, ::step]


def _blurred(lin: np.ndarray, sigma: float) -> np.ndarray:
    """``lin``'s three channels, each blurred by a Gaussian of ``sigma`` px."""
    from scipy.ndimage import gaussian_filter

    return np.stack([gaussian_filter(lin[..., c], sigma) for c in range(3)], -1)


def _noise_reduced(lin: np.ndarray) -> np.ndarray:
    """The :func:`_stride_sample` in linear light (``lin``, float64) at most ``SAMPLE_SIDE`` px, block-averaged and
    blurred."""
    f = max(1, math.ceil(max(lin.shape[:2]) / SAMPLE_SIDE))
    if f > 1:
        hh, ww = lin.shape[0] // f * f, lin.shape[1] // f * f
        if hh and ww:
            lin = lin[:hh, :ww].reshape(hh // f, f, ww // f, f, 3).mean(axis=(1, 3))
    return _blurred(lin, BLUR_SIGMA)


def _fine_highlights(lin: np.ndarray) -> float:
    """``H99.9``: the 99.9th percentile of the brightest channel of the :func:`_stride_sample` in linear light
    (``lin``) blurred by ``FINE_SIGMA`` px, where thin highlights keep their level."""
    return max(float(np.percentile(_blurred(lin, FINE_SIGMA).max(-1), 99.9)), FLOOR)


def fine_highlights_less_noise(stats: dict[str, float]) -> float:
    """The finer copy's highlights (``H99.9``, linear light) less ``FINE_NOISE_HEADROOM`` times the photo's noise
    (``sigma``, in sRGB values) turned into linear light at their level, never below half of them."""
    h = stats["H99.9"]
    return max(h - FINE_NOISE_HEADROOM * stats.get("sigma", 0.0) * linear_per_srgb(h), h / 2)


def exposure_stats(img: np.ndarray, noise: float | None = None, level: float | None = None) -> dict[str, float]:
    """Statistics of an sRGB float photo in linear light, on its noise-reduced copy: ``mean`` (luminance), ``gmean``
    (geometric mean of luminance), ``Y50``/``Y90``/``Y99.5`` (its percentiles), ``M90``...``M99.9`` (percentiles of
    the brightest channel) and ``plateau`` (the share of pixels whose brightest channel is within ``PLATEAU`` of the
    99.9th percentile); ``H99.9`` (:func:`_fine_highlights`, on a finer copy); ``white`` (the share of the photo's
    own pixels whose brightest channel reaches ``WHITE_LEVEL``, on the same stride sample the copy starts from);
    then the quiet-photo test's (:func:`_noise`). ``noise``: the photo's :func:`.compare.noise_sigma` (0-255) and
    ``level`` its mean (0-1), when the caller has them already."""
    sample = _stride_sample(img)
    lin = srgb_to_linear(sample.astype(np.float64))
    blur = _noise_reduced(lin)
    yb, mx = blur @ LUMA, blur.max(-1)
    stats = {"mean": float(yb.mean()), "gmean": float(np.exp(np.log(np.maximum(yb, FLOOR)).mean()))}
    for q in (50, 90, 99.5):
        stats[f"Y{q}"] = float(np.percentile(yb, q))
    for q in (90, 98, 99.5, 99.9):
        stats[f"M{q}"] = float(np.percentile(mx, q))
    stats = {k: max(v, FLOOR) for k, v in stats.items()}
    stats["plateau"] = float((mx >= PLATEAU * stats["M99.9"]).mean())
    stats["H99.9"] = _fine_highlights(lin)
    stats["white"] = _white_share(sample)
    stats.update(_noise(img, noise, level))
    return stats


def _white_share(sample: np.ndarray) -> float:
    """The share of the :func:`_stride_sample`'s pixels whose brightest channel reaches ``WHITE_LEVEL``."""
    if not sample.size:
        return 0.0
    # channel by channel: on a strided view this is several times faster than a maximum over the last axis
    white = (sample[..., 0] >= WHITE_LEVEL) | (sample[..., 1] >= WHITE_LEVEL) | (sample[..., 2] >= WHITE_LEVEL)
    return float(white.mean())


def _noise(img: np.ndarray, noise: float | None = None, level: float | None = None) -> dict[str, float]:
    """``sigma``: the photo's noise (0-1 sRGB, :func:`.compare.noise_sigma` on its central crop, or ``noise`` / 255
    when given); ``noise``: that over its mean sRGB level (``level``, 0-1, when given); ``block``:
    :func:`_blockiness`; ``slope``: :func:`_noise_slope`."""
    if noise is None:
        from .compare import noise_sigma

        noise = noise_sigma(img)
    if level is None:
        level = float(img.mean(dtype=np.float64))
    sigma = noise / 255
    return {"sigma": sigma, "noise": sigma / max(level, FLOOR), "block": _blockiness(img),
            "slope": _noise_slope(img)}


def _noise_slope(img: np.ndarray) -> float:
    """How the photo's fine variation changes with its level: the slope of its log against the log of the level,
    on a central crop.  Each 8x8 block gets the RMS of a 2x2 diagonal difference (fine detail, little of the
    scene's shading) and its mean; in each of ``SLOPE_BINS`` level bands holding at least ``SLOPE_MIN_BLOCKS``
    blocks the ``SLOPE_QUANTILE``-th percentile of that RMS stands for the band (its flattest blocks), and the
    slope is fitted through the bands by least squares (0 when fewer than two bands).  Noise added in linear light
    and then encoded in sRGB is largest in the shadows (negative or flat); a photo's own texture and grain grow
    with the light (positive)."""
    from .compare import central_crop

    c = central_crop(img, 512).astype(np.float64)
    h, w = c.shape[0] // 8 * 8, c.shape[1] // 8 * 8
    if h < 8 or w < 8:
        return 0.0
    c = c[:h, :w]
    d = (c[0::2, 0::2] - c[0::2, 1::2] - c[1::2, 0::2] + c[1::2, 1::2]) / 2
    rms = np.sqrt((d * d).reshape(h // 8, 4, w // 8, 4, 3).mean(axis=(1, 3, 4))).ravel()
    level = c.reshape(h // 8, 8, w // 8, 8, 3).mean(axis=(1, 3, 4)).ravel()
    lo, hi, n = SLOPE_BINS
    edges = np.geomspace(lo, hi, n + 1)
    xs, ys = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        band = rms[(level >= a) & (level < b)]
        if band.size >= SLOPE_MIN_BLOCKS:
            xs.append(0.5 * math.log(a * b))
            ys.append(math.log(float(np.percentile(band, SLOPE_QUANTILE)) + 1e-4))
    if len(xs) < 2:
        return 0.0
    return float(np.polyfit(xs, ys, 1)[0])


def _blockiness(img: np.ndarray) -> float:
    """How much larger the steps between neighbouring pixels are on one 8-px grid than on average (1 for a photo
    never JPEG-compressed, more for one whose 8x8 blocks show): per offset the mean step with every step capped at
    the 90th percentile of all (so that a few strong edges on the grid do not count), the largest offset over their
    mean, across and down, on a central crop."""
    from .compare import central_crop

    y = central_crop(img, 512).astype(np.float64) @ LUMA
    out = 1.0
    for d in (np.abs(np.diff(y, axis=1)), np.abs(np.diff(y, axis=0)).T):
        if d.shape[1] < 16:
            continue
        d = np.minimum(d, np.percentile(d, 90))
        per = np.array([d[:, k::8].mean() for k in range(8)])
        if per.mean() > 1e-6:
            out = max(out, float(per.max() / per.mean()))
    return out


def model_features(stats: dict[str, float]) -> np.ndarray:
    """The regression's inputs (:data:`FEATURES`) from :func:`exposure_stats`."""
    ref = stats[REFERENCE]
    out = []
    for k in FEATURES:
        if k == "plateau":
            out.append(math.log(stats[k] + PLATEAU_FLOOR))
        else:
            out.append(math.log(stats[k] / ref))
    return np.array(out)


def _terms(z: np.ndarray) -> np.ndarray:
    """The standardised features, then every pairwise product (squares included), in a fixed order."""
    n = z.shape[-1]
    pairs = [z[..., i] * z[..., j] for i in range(n) for j in range(i, n)]
    return np.concatenate([z, np.stack(pairs, -1)], -1)


def term_names() -> list[str]:
    n = len(FEATURES)
    return list(FEATURES) + [f"{FEATURES[i]}*{FEATURES[j]}" for i in range(n) for j in range(i, n)]


def quiet_features(stats: dict[str, float]) -> np.ndarray:
    """The quiet-photo test's inputs: log noise relative to the level, log noise, log blockiness, the products
    of the first two with the third, then the noise's slope against the level (:func:`_noise_slope`) and its
    product with the log blockiness."""
    rel, sigma = (math.log(stats[k] + NOISE_FLOOR) for k in ("noise", "sigma"))
    block, slope = math.log(stats["block"]), stats["slope"]
    return np.array([rel, sigma, block, rel * block, sigma * block, slope, slope * block])


@dataclass(frozen=True)
class ExposureModel:
    """``log_white = intercept + sum(coef[t] * term t of the standardised features)``; the gain is
    ``aim * exp(log_white) / stat[REFERENCE]``, then softened by ``leave`` and clipped to the gain range."""

    intercept: float
    coef: dict[str, float]
    center: dict[str, float]
    scale: dict[str, float]
    aim: float = 1.0
    leave: tuple[float, float] = (1.3, 1.7)
    min_gain: float = GAIN_RANGE[0]  # the range a given gain may take too
    max_gain: float = GAIN_RANGE[1]
    fitted_on: dict = field(default_factory=dict)
    quiet: dict = field(default_factory=dict)
    white_share: float | None = None
    doubt_model: dict = field(default_factory=dict)
    headroom: float | None = HEADROOM

    def _z(self, stats: dict[str, float]) -> np.ndarray:
        """The regression's terms of the photo's standardised features."""
        x = model_features(stats)
        return _terms((x - np.array([self.center[k] for k in FEATURES])) / np.array([self.scale[k] for k in FEATURES]))

    def raw_gain(self, stats: dict[str, float]) -> float:
        """The regression's gain, before :attr:`leave` and the clipping."""
        coef = np.array([self.coef[t] for t in term_names()])
        log_white = self.intercept + float(self._z(stats) @ coef)
        return self.aim * math.exp(log_white) / stats[REFERENCE]

    def doubt(self, stats: dict[str, float]) -> float | None:
        """How far off the regression's gain typically is for photos whose statistics look like these, as a
        share (0.2: 20 % too bright or too dark); the median of such photos' errors on photos the regression was
        not fitted on, at most the median error of the tenth of the fitting samples it doubts most.  None when the
        model has no doubt model (constants fitted before it)."""
        d = self.doubt_model
        if not d:
            return None
        coef = np.array([d["coef"][t] for t in term_names()])
        t = min(d["intercept"] + float(self._z(stats) @ coef), 50.0)
        log_error = min(d["scale"] * math.exp(t) - d["floor"], d["ceiling"])
        return float(math.expm1(max(log_error, 0.0)))

    def doubtful(self, doubt: float | None) -> bool:
        """Whether a gain with this :meth:`doubt` is said to be a doubtful guess (above the model's limit)."""
        return doubt is not None and doubt > self.doubt_model["limit"]

    def gain(self, stats: dict[str, float]) -> float:
        return self.decide(stats)[0]

    def decide(self, stats: dict[str, float]) -> tuple[float, str]:
        """The gain and what decided it (one of :data:`REASONS`): the white test first, then the regression's
        gain through :meth:`soften`, and where that would brighten, the quiet-photo test (a bright photo with
        little noise is bright enough, not a dark scene taken as it was), then the highlight :meth:`ceiling`."""
        if self.reaches_white(stats):
            return float(np.clip(1.0, self.min_gain, self.max_gain)), "reaches-white"
        raw = self.raw_gain(stats)
        g = self.soften(raw)
        if g <= 1.0:
            return g, "bright-enough"
        if self.is_quiet(stats) and raw < self.quiet["extreme"]:
            return float(np.clip(1.0, self.min_gain, self.max_gain)), "untouched"
        capped = self.cap(g, stats)
        if capped < g:  # at 1 its highlights already reach white on the noise-reduced copy
            return capped, "reaches-white" if capped <= 1.0 else "to-white"
        return g, "brightened"

    def cap(self, g: float, stats: dict[str, float]) -> float:
        """A brightening gain ``g`` held to the highlights' :meth:`ceiling`, never below 1 (and within the gain
        range); a gain of 1 or less as it is."""
        if g <= 1.0:
            return g
        return float(np.clip(max(1.0, min(g, self.ceiling(stats))), self.min_gain, self.max_gain))

    def ceiling(self, stats: dict[str, float]) -> float:
        """The largest gain that keeps the photo's highlights at most at :attr:`headroom` times white: the photo
        held nothing above white before it was darkened, so a larger gain is too large whatever the scene (infinite
        when the model has no headroom).  The highlights are read twice, on the noise-reduced copy (``M99.9``) and
        on the finer one (``H99.9``, when the statistics have it), and the lower ceiling holds.  Both copies still
        carry some noise, which lifts their percentiles: the coarse ceiling allows ``NOISE_HEADROOM`` times the
        photo's noise relative to its level, the fine one takes off ``FINE_NOISE_HEADROOM`` times its noise at the
        highlights' level (:func:`fine_highlights_less_noise`)."""
        if self.headroom is None:
            return math.inf
        coarse = self.headroom * (1 + NOISE_HEADROOM * stats.get("noise", 0.0)) / stats["M99.9"]
        if "H99.9" not in stats:
            return coarse
        return min(coarse, self.headroom / fine_highlights_less_noise(stats))

    def reaches_white(self, stats: dict[str, float]) -> bool:
        """Whether the white test takes the photo for one exposed for its highlights (none when the model has
        no ``white_share``)."""
        return self.white_share is not None and stats.get("white", 0.0) >= self.white_share

    def quiet_chance(self, stats: dict[str, float]) -> float:
        """How likely the photo is one nothing was done to (no darkening, no noise), from its noise and
        blockiness: the logistic model in :attr:`quiet` (0 when the model has none)."""
        if not self.quiet:
            return 0.0
        coef = np.array(self.quiet["coef"])
        # constants fitted before the slope was read hold the first five coefficients only
        t = self.quiet["intercept"] + float(quiet_features(stats)[: coef.size] @ coef)
        return 1.0 / (1.0 + math.exp(-t))

    def is_quiet(self, stats: dict[str, float]) -> bool:
        """Whether the quiet-photo test takes the photo for one nothing was done to."""
        return bool(self.quiet) and self.quiet_chance(stats) > self.quiet["threshold"]

    def soften(self, g: float) -> float:
        """Leave photos that look about right alone: no gain below ``leave[0]``, the full gain from ``leave[1]``,
        a ramp in log gain between; then clipped to ``[min_gain, max_gain]``."""
        lo, hi = (math.log(v) for v in self.leave)
        lg = math.log(max(g, 1e-9))
        share = min(1.0, max(0.0, (lg - lo) / (hi - lo))) if hi > lo else float(lg >= lo)
        return float(np.clip(math.exp(lg * share), self.min_gain, self.max_gain))


def _number(value: object, name: str, low: float | None = None, high: float | None = None,
            above: float | None = None) -> float:
    """``value`` as a finite float within the bounds given, else :class:`.constants.ConstantsProblem` naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConstantsProblem(f"{name} must be a finite number, not {json.dumps(value)[:40]}")
    if (low is not None and value < low) or (high is not None and value > high) or (
            above is not None and value <= above):
        bound = (f"from {low:g} to {high:g}" if low is not None and high is not None else
                 f"{low:g} or more" if low is not None else f"{high:g} or less" if high is not None else
                 f"more than {above:g}")
        raise ConstantsProblem(f"{name} must be {bound}, not {value:g}")
    return float(value)


def _numbers(value: object, name: str, keys: list[str] | tuple[str, ...] | None = None, size: tuple[int, ...] = (),
             **bounds) -> None:
    """Check a mapping of ``keys`` (exactly those) to finite numbers, or a list of ``size`` of them."""
    if keys is not None:
        if not isinstance(value, dict):
            raise ConstantsProblem(f"{name} must be an object of numbers by name")
        missing, extra = [k for k in keys if k not in value], [k for k in value if k not in keys]
        if missing or extra:
            said = f"{missing[0]!r} is missing" if missing else f"{extra[0]!r} is not one of its names"
            raise ConstantsProblem(f"{name}: {said}")
        for k in keys:
            _number(value[k], f"{name}[{k!r}]", **bounds)
        return
    if not isinstance(value, list) or len(value) not in size:
        raise ConstantsProblem(f"{name} must be a list of {' or '.join(map(str, size))} numbers")
    for i, v in enumerate(value):
        _number(v, f"{name}[{i}]", **bounds)


def check_constants(data: dict) -> None:
    """Refuse constants the brightness step could not use (:class:`.constants.ConstantsProblem`, a few words
    naming the key): the regression's ``intercept``, ``coef``, ``center`` and ``scale`` are required, every number
    finite (a gain times NaN would be no photo), every term and statistic named, the optional parts whole when
    present."""
    fields = {f.name for f in dataclasses.fields(ExposureModel)}
    extra = [k for k in data if k not in fields]
    if extra:
        raise ConstantsProblem(f"{extra[0]!r} is not one of the brightness step's constants")
    for key in ("intercept", "coef", "center", "scale"):
        if key not in data:
            raise ConstantsProblem(f"{key!r} is missing")
    _number(data["intercept"], "intercept")
    _numbers(data["coef"], "coef", term_names())
    _numbers(data["center"], "center", FEATURES)
    _numbers(data["scale"], "scale", FEATURES, above=0.0)
    if "aim" in data:
        _number(data["aim"], "aim", above=0.0)
    if "leave" in data:
        _numbers(data["leave"], "leave", size=(2,), above=0.0)
        if data["leave"][0] > data["leave"][1]:
            raise ConstantsProblem("leave must be two gains, the smaller first")
    low = _number(data.get("min_gain", GAIN_RANGE[0]), "min_gain", above=0.0)
    _number(data.get("max_gain", GAIN_RANGE[1]), "max_gain", low=low)
    if not isinstance(data.get("fitted_on", {}), dict):
        raise ConstantsProblem("fitted_on must be an object")
    quiet = data.get("quiet", {})
    if not isinstance(quiet, dict):
        raise ConstantsProblem("quiet must be an object")
    if quiet:
        for key in ("coef", "intercept", "threshold", "extreme"):
            if key not in quiet:
                raise ConstantsProblem(f"quiet[{key!r}] is missing")
        # constants fitted before the slope was read hold the first five coefficients only
        _numbers(quiet["coef"], "quiet['coef']", size=(5, len(quiet_features(_NEUTRAL))))
        _number(quiet["intercept"], "quiet['intercept']")
        _number(quiet["threshold"], "quiet['threshold']", low=0.0, high=1.0)
        _number(quiet["extreme"], "quiet['extreme']")
    if data.get("white_share") is not None:
        _number(data["white_share"], "white_share", low=0.0, high=1.0)
    if data.get("headroom") is not None:
        _number(data["headroom"], "headroom", above=0.0)
    doubt = data.get("doubt_model", {})
    if not isinstance(doubt, dict):
        raise ConstantsProblem("doubt_model must be an object")
    if doubt:
        for key in ("intercept", "coef", "scale", "floor", "ceiling", "limit"):
            if key not in doubt:
                raise ConstantsProblem(f"doubt_model[{key!r}] is missing")
            if key != "coef":
                _number(doubt[key], f"doubt_model[{key!r}]")
        _numbers(doubt["coef"], "doubt_model['coef']", term_names())


#: Statistics that give every quiet-photo feature a value (only its count is read from them).
_NEUTRAL = {"noise": 0.0, "sigma": 0.0, "block": 1.0, "slope": 0.0}


def _model(data: dict) -> ExposureModel:
    check_constants(data)
    return ExposureModel(**(data | ({"leave": tuple(data["leave"])} if "leave" in data else {})))


def load_exposure_model(path: str | Path | None = None) -> ExposureModel:
    """The fitted constants (the bundled ones unless ``path``); a file that cannot be used (not JSON, a key
    missing, a number that is not finite: :func:`check_constants`) is a
    :class:`~scientist.errors.CheckpointError` naming it."""
    return load_constants(_model, "exposure.json", path)


def estimate_gain(img: np.ndarray, model: ExposureModel | None = None, noise: float | None = None) -> float:
    """The linear-light gain for an sRGB float photo (1 for a photo that is bright enough); ``noise``: its
    :func:`.compare.noise_sigma` when already measured (the pipeline's ``load`` step has)."""
    return decide_gain(img, model, noise)[0]


def decide_gain(img: np.ndarray, model: ExposureModel | None = None, noise: float | None = None,
                level: float | None = None) -> tuple[float, str]:
    """:func:`estimate_gain` and what decided it (one of :data:`REASONS`); ``level``: the photo's mean (0-1) when
    already measured."""
    decision = judge_gain(img, model, noise, level)
    return decision.gain, decision.reason


@dataclass(frozen=True)
class GainDecision:
    """The brightness step's decision: the gain, what decided it (one of :data:`REASONS`) and, for a gain the
    regression predicted (``brightened``), its :meth:`ExposureModel.doubt` and whether that is over the limit."""

    gain: float
    reason: str
    doubt: float | None = None
    doubtful: bool = False


#: A photo whose values all lie within this span (of 1) is one flat colour: the brightness step leaves it.
FLAT_SPAN = 2 / 255


def _flat(img: np.ndarray) -> bool:
    """Whether every value of ``img`` (read on a grid of about 512 x 512 pixels) lies within :data:`FLAT_SPAN`: a
    photo with no detail and no noise at all, which the statistics cannot read (a black frame was brightened
    x12 and said to have looked darkened)."""
    step = max(1, int(max(img.shape[:2]) // 512))
    grid = img[::step, ::step]
    return float(grid.max()) - float(grid.min()) < FLAT_SPAN


def judge_gain(img: np.ndarray, model: ExposureModel | None = None, noise: float | None = None,
               level: float | None = None) -> GainDecision:
    """The brightness step's decision on an sRGB float photo: :meth:`ExposureModel.decide` on its statistics, with
    the doubt about a predicted gain; ``noise``/``level``: its :func:`.compare.noise_sigma` (0-255) and mean (0-1)
    when already measured."""
    model = model or load_exposure_model()
    from .compare import measurable

    if not measurable(img):  # too few pixels: a 1 x 1 dot was brightened x12 as "a doubtful guess"
        return GainDecision(1.0, "too-small")
    if _flat(img):  # nothing in it to see brighter: a black frame, a lens cap, one flat colour
        return GainDecision(1.0, "flat")
    stats = exposure_stats(img, noise, level)
    gain, reason = model.decide(stats)
    if reason != "brightened":
        return GainDecision(gain, reason)
    doubt = model.doubt(stats)
    return GainDecision(gain, reason, doubt, model.doubtful(doubt))


#: The quiet-photo test: a photo more likely than this to be one nothing was done to keeps gain 1 unless the
#: regression asks for at least the second figure (photo-wise cross-validation on the fitting photos,
#: ``benchmarks/cv_exposure.py``: it took the largest gain on clean photos from 2.85 to 1.46 and left the level error
#: of the darkened ones as it was).
QUIET = (0.5, 4.0)
#: The white test: a photo with at least this share of its pixels at ``WHITE_LEVEL`` keeps gain 1 (among the fitting
#: samples darkened to 0.7 or less of their light the largest share is 0.0072 %, ``benchmarks/cv_exposure.py``).
WHITE_SHARE = 0.0005
#: The degradations the brightness step is fitted on: dark phone photos, dim rooms and photos left as they are.
FIT_MIX = "lowlight:0.4,light:0.4,clean:0.2"
#: The doubt model: a ridge regression (``DOUBT_ALPHA``) fitted on the samples that need brightening (darkened to at
#: most 1 / ``leave[0]`` of their light), on the regression's errors in ``DOUBT_FOLDS`` photo-wise folds; it
#: predicts the log of the absolute log error plus ``DOUBT_FLOOR``, and a factor fitted with it turns that into the
#: median; a doubt is at most the median error of the tenth of the samples it doubts most (far from the samples
#: the exponential overshoots).  A doubt above ``DOUBT_LIMIT`` (a share of the gain) is said in the result.  Both
#: chosen by photo-wise cross-validation on the fitting photos (``benchmarks/cv_exposure.py``): the alpha (of 3,
#: 10, 30, 100) and limit with the best F1 at telling the darkened cases that come out more than 12 % off in level
#: (or 28 % off in gain, on the pool) from the rest.
DOUBT_FOLDS, DOUBT_FLOOR, DOUBT_ALPHA, DOUBT_LIMIT = 4, 0.02, 100.0, 0.12


def _training_sample(photos: dict[str, np.ndarray], rng: np.random.Generator, mix
                     ) -> tuple[str, str, dict[str, float], float]:
    """One degraded crop of a fitting photo: the photo's name, the distribution drawn, its statistics and the
    exposure it was darkened by."""
    from .degrade import degrade, draw_from_mix

    name = list(photos)[int(rng.integers(len(photos)))]
    p = photos[name]
    h, w, _ = p.shape
    if rng.random() >= 0.4:  # 60 %: a crop covering 40-100 % of each side
        ch = max(64, int(h * rng.uniform(0.4, 1.0)))
        cw = max(64, int(w * rng.uniform(0.4, 1.0)))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        p = p[y : y + ch, x : x + cw]
    if rng.random() < 0.5:  # colour casts the network also sees in training
        p = p[..., rng.permutation(3)]
    dist, params = draw_from_mix(mix, rng)
    return name, dist, exposure_stats(degrade(p, params, rng)), params.exposure


def fitting_photos(photos_dir: Path | None = None, natural: Path | None = None) -> dict[str, np.ndarray]:
    """The photos the step is fitted on, by name: scikit-image's training photos and the fitting part of a
    natural-photo folder, each at most 512 px."""
    from .train import named_photos

    return {k: downscale_8bit(v, 512) for k, v in named_photos(photos_dir, natural).items()}


def draw_samples(photos: dict[str, np.ndarray], samples: int = 3000, seed: int = 7, mix: str = FIT_MIX,
                 distributions: bool = False) -> list[tuple]:
    """``samples`` synthetic degradations (drawn from ``mix``) of ``photos``: (photo name, statistics, exposure),
    or with ``distributions`` (photo name, distribution, statistics, exposure)."""
    from .degrade import parse_mix

    parts = parse_mix(mix)
    rng = np.random.default_rng(seed)
    drawn = [_training_sample(photos, rng, parts) for _ in range(samples)]
    return drawn if distributions else [(name, stats, e) for name, _dist, stats, e in drawn]


def fit_samples(samples: list[tuple[str, dict[str, float], float]], alpha: float = 3.0,
                leave: tuple[float, float] = (1.3, 1.7), fitted_on: dict | None = None,
                quiet: tuple[float, float] | None = QUIET, white_share: float | None = WHITE_SHARE,
                doubt: bool = True) -> ExposureModel:
    """The ridge regression fitted on :func:`draw_samples`' output (the target is the log of the reference
    highlight level before darkening), and the quiet-photo test (a logistic regression telling the samples left
    as they were from the rest; ``quiet`` = its (threshold, extreme), or None for no test); ``white_share``: the
    white test's threshold (None for no test); ``doubt``: also fit the doubt model (:func:`_fit_doubt`)."""
    from sklearn.linear_model import LogisticRegression, Ridge

    xa = np.array([model_features(stats) for _, stats, _ in samples])
    y = np.array([math.log(stats[REFERENCE] / exposure) for _, stats, exposure in samples])
    center, scale = xa.mean(0), np.maximum(xa.std(0), 1e-6)
    terms = _terms((xa - center) / scale)
    model = Ridge(alpha=alpha).fit(terms, y)
    test = {}
    if quiet is not None:
        left = np.array([exposure >= 1.0 for _, _, exposure in samples])
        logit = LogisticRegression(C=1.0).fit(np.array([quiet_features(s) for _, s, _ in samples]), left)
        test = {"coef": [float(c) for c in logit.coef_[0]], "intercept": float(logit.intercept_[0]),
                "threshold": quiet[0], "extreme": quiet[1]}
    return ExposureModel(
        float(model.intercept_), {t: float(c) for t, c in zip(term_names(), model.coef_, strict=True)},
        center={k: float(v) for k, v in zip(FEATURES, center, strict=True)},
        scale={k: float(v) for k, v in zip(FEATURES, scale, strict=True)}, leave=tuple(leave),
        fitted_on=fitted_on or {}, quiet=test, white_share=white_share,
        doubt_model=_fit_doubt(samples, terms, y, alpha, leave[0]) if doubt else {})


def photo_folds(names, folds: int) -> dict[str, int]:
    """Photo-wise cross-validation folds: each photo name's fold (0 to ``folds`` - 1), dealt in a seeded shuffle of
    the sorted names, so that the same photos always share a fold."""
    names = sorted(names)
    order = np.random.default_rng(0).permutation(len(names))
    return {names[i]: k % folds for k, i in enumerate(order)}


def _fit_doubt(samples: list[tuple[str, dict[str, float], float]], terms: np.ndarray, y: np.ndarray, alpha: float,
               least_gain: float) -> dict:
    """The doubt model's constants: the regression (ridge ``alpha``) refitted without each of ``DOUBT_FOLDS``
    groups of photos and its error measured on them, then a ridge regression of the log of that error (plus
    ``DOUBT_FLOOR``) on the same terms, over the samples that need a gain of at least ``least_gain``.  Empty when
    there are too few photos."""
    from sklearn.linear_model import Ridge

    names = {name for name, _, _ in samples}
    if len(names) < DOUBT_FOLDS:
        return {}
    fold_of = photo_folds(names, DOUBT_FOLDS)
    fold = np.array([fold_of[name] for name, _, _ in samples])
    error = np.zeros(len(samples))
    for f in range(DOUBT_FOLDS):
        out = fold == f
        error[out] = Ridge(alpha=alpha).fit(terms[~out], y[~out]).predict(terms[out]) - y[out]
    need = np.array([exposure * least_gain <= 1.0 for _, _, exposure in samples])
    if need.sum() < 2:
        return {}
    fit = Ridge(alpha=DOUBT_ALPHA).fit(terms[need], np.log(np.abs(error[need]) + DOUBT_FLOOR))
    # the fit gives the geometric mean of the error; the median is larger by a factor read off the samples
    mean = np.exp(fit.predict(terms[need]))
    scale = float(np.median((np.abs(error[need]) + DOUBT_FLOOR) / mean))
    # an exponential of a quadratic overshoots far from the samples: no doubt above the median error of the tenth
    # of the samples it doubts most
    most = mean >= np.percentile(mean, 90)
    ceiling = float(np.median(np.abs(error[need][most])))
    coef = {t: float(c) for t, c in zip(term_names(), fit.coef_, strict=True)}
    return {"intercept": float(fit.intercept_), "coef": coef, "scale": scale, "floor": DOUBT_FLOOR,
            "ceiling": ceiling, "limit": DOUBT_LIMIT}


#: The fewest degraded crops ``fit-exposure`` fits on: the quiet-photo test needs crops left as they are and
#: darkened ones among them, and the fit mix leaves a fifth as they are, so fewer often hold none (at 20, about one
#: draw in a hundred; :func:`fit_exposure` says so when it happens).
MIN_SAMPLES = 20


def check_fit(samples: int, seed: int) -> None:
    """Refuse a fit's settings that could not work, before anything is read
    (:class:`~scientist.errors.OptionError` naming the option)."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < MIN_SAMPLES:
        raise OptionError(f"--samples: must be at least {MIN_SAMPLES} (the quiet-photo test needs crops left as they "
                          f"are and darkened ones among them), not {samples}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise OptionError(f"--seed: must be a whole number, 0 or more, not {seed}")


def fit_exposure(samples: int = 3000, seed: int = 7, photos_dir: Path | None = None, natural: Path | None = None,
                 alpha: float = 3.0, mix: str = FIT_MIX, leave: tuple[float, float] = (1.3, 1.7),
                 photos: dict[str, np.ndarray] | None = None) -> ExposureModel:
    """Fit the regression on ``samples`` synthetic degradations (drawn from ``mix``) of the fitting photos
    (never the held-out ones).  Settings that could not work (:func:`check_fit`), and a ``natural`` folder that
    would add no photo, are refused before anything is drawn."""
    from .degrade import format_mix, parse_mix

    check_fit(samples, seed)
    held = []
    if natural is not None:
        from .photosets import split_folder
        from .train import natural_fit_names

        natural_fit_names(natural)
        held = split_folder(natural)[1]
    photos = photos if photos is not None else fitting_photos(photos_dir, natural)
    drawn = draw_samples(photos, samples, seed, mix)
    kinds = {exposure >= 1.0 for _, _, exposure in drawn}
    if len(kinds) < 2:
        said = "left as they are" if True in kinds else "darkened"
        raise OptionError(f"--samples: the {samples} crops drawn with seed {seed} are all {said}, and the "
                          "quiet-photo test needs both kinds; draw more (--samples) or use another --seed")
    return fit_samples(drawn, alpha, leave,
                       {"photos": sorted(photos), "held_out": held, "samples": samples, "seed": seed,
                        "alpha": alpha, "mix": format_mix(parse_mix(mix))})


def save_exposure_model(model: ExposureModel, path: Path) -> None:
    save_constants(asdict(model), path)  # the tuple ``leave`` is written as a list


def _holds_constants(path: Path) -> bool:
    """Whether ``path`` holds exposure constants this package can load (a fit of its own to replace)."""
    try:
        load_exposure_model(path)
    except CheckpointError:
        return False
    return True


def check_fit_output(out: Path, overwrite: bool = False, inputs: list[Path] = ()) -> None:
    """Refuse a constants file ``fit-exposure`` must not write (:class:`~scientist.errors.OutputError`, one
    sentence): a name not ending in ``.json``, a folder, anything but a regular file (a device such as
    ``/dev/null``, a pipe), one of ``inputs`` (the photos it fits on, links included), or an existing file that
    holds no exposure constants unless ``overwrite``.  An existing file of exposure constants is replaced: that is
    what refitting is (``scientist fit-exposure scientist/weights/exposure.json --natural DIR`` refits the shipped
    ones)."""
    from ..fileio import same_file
    from .outputs import check_output_file

    out = Path(out)
    if out.exists():
        taken = next((p for p in inputs if same_file(out, p)), None)
        if taken is not None:
            what = "" if os.path.abspath(out) == os.path.abspath(taken) else f"it is {shown(taken)}, "
            raise OutputError(f"{shown(out)}: {what}one of the photos the constants are fitted on; write them to a "
                              ".json file of their own")
    check_output_file(out, ".json", "constants file")
    if out.is_symlink() and not out.exists():
        raise OutputError(f"{shown(out)}: a link to a missing file; name a .json file")
    if out.exists() and not overwrite and not _holds_constants(out):
        raise OutputError(f"{shown(out)}: already exists and holds no exposure constants to refit; pass --overwrite "
                          "to replace it, or write to another file")


def _input_photos(photos_dir: Path | None, natural: Path | None) -> list[Path]:
    """The files a fit reads photos from (for :func:`check_fit_output`)."""
    from .photosets import SUFFIXES
    from .train import TRAIN_PHOTOS, photo_root

    found = [photo_root(photos_dir) / name for name in TRAIN_PHOTOS]
    if natural is not None and Path(natural).is_dir():
        found += [p for p in Path(natural).iterdir() if p.suffix.lower() in SUFFIXES]
    return found


def fit_exposure_to(out: Path, *, overwrite: bool = False, samples: int = 3000, seed: int = 7,
                    photos_dir: Path | None = None, natural: Path | None = None) -> ExposureModel:
    """``scientist fit-exposure``: :func:`fit_exposure`, written to ``out`` (atomically).  Everything that can be
    checked -- the settings, the output (:func:`check_fit_output`), the folder being writable, the photos -- is
    checked before the fit; the name is held while it runs (a second fit to the same file is refused), and a
    folder made for it is removed again if the fit fails."""
    from .outputs import claimed_output
    from .train import natural_fit_names

    check_fit(samples, seed)
    out = Path(out)
    inputs = _input_photos(photos_dir, natural)
    check_fit_output(out, overwrite, inputs)
    if natural is not None:
        natural_fit_names(natural)
    with claimed_output(out, "fit-exposure run"):
        check_fit_output(out, overwrite, inputs)  # again, now that the name is held: nobody wrote it meanwhile
        model = fit_exposure(samples=samples, seed=seed, photos_dir=photos_dir, natural=natural)
        data = asdict(model)
        try:
            check_constants(json.loads(json.dumps(data)))
        except ConstantsProblem as exc:
            raise CheckpointError(f"the fit gave constants that cannot be used ({exc}); {shown(out)} was not "
                                  "written") from None
        save_constants(data, out)
    return model
