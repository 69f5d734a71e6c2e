"""How much of the network's change a photo gets: restore only as much as the photo needs.

The network's output differs from the brightened photo in two ways: at fine scales it
removes noise (and, on a photo with little noise, fine detail and grain), and at coarse
scales it re-tones the photo (the exposure and colour corrections it learned).  The restored
image keeps the photo's own coarse tones (``tones`` of the network's coarse change, 0 as
shipped: the brightness step has set the level) and ``strength`` of its fine change, split
by a Gaussian of ``sigma`` px:

    restored = brightened + strength x fine(change) + tones x coarse(change)

The sum is taken in ``domain``: the ``domain``-th power of linear light (None: the sRGB values
themselves).  Where it is taken decides the level a noisy photo keeps: noise is drawn
symmetric in linear light, so a brightened noisy photo's local mean in sRGB (a concave curve)
lies below the clean photo's, and keeping its sRGB coarse tones kept that deficit (4 % of the
level under heavy noise); in linear light the mean is right except where the file clipped
the noise at black, which lifts the darkest parts.  The shipped power lies between the two
and was chosen on the fitting photos (``benchmarks/bench_auto_strength.py``).

With ``strength = auto`` (the default) the strength is chosen from the photo, by a logistic
rule over what a restore measures blind: the noise figure of the brightened photo
(:func:`.compare.noise_sigma`) and how much the network would take away at fine scales (the rms of
``fine(change)``), each as a share of the fine detail the photo itself holds, and the brightening gain.  A clean
photo gets little of the network's change, a noisy one all of it.  The rule's constants are
fitted and validated photo-wise by ``benchmarks/bench_auto_strength.py`` on photos the
brightness step and the network were not tested on, and ship as ``scientist/weights/amount.json``.
A number given as the strength is used as it is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .compare import measurable
from .constants import load_constants, save_constants

__all__ = ["AmountRule", "Decision", "amount_fields", "apply_amount", "compose", "decide", "from_domain",
           "load_amount_rule", "measure", "restore_amount", "to_domain"]

@dataclass(frozen=True)
class AmountRule:
    """``strength = 1 / (1 + exp(-(bias + sum(weights[k] * feature k))))`` over :func:`features`, clipped to
    ``[0, 1]`` and rounded to ``step``; ``sigma`` (px) splits fine from coarse; ``tones`` is the share of the
    network's coarse change that is kept; ``domain``: the power of linear light the change is split and added in
    (None: the sRGB values)."""

    sigma: float
    tones: float
    bias: float
    weights: dict[str, float]
    step: float = 0.05
    domain: float | None = None
    fitted_on: dict = field(default_factory=dict)

    def strength(self, feats: dict[str, float]) -> float:
        z = self.bias + sum(w * feats[k] for k, w in self.weights.items())
        s = 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))
        return round(round(s / self.step) * self.step, 4) if self.step else float(s)


@dataclass(frozen=True)
class Decision:
    """What was decided for one photo: the strength, whether it was chosen from the photo (``auto``), and the
    figures it rested on (0-255 scale)."""

    strength: float
    auto: bool
    noise: float  # noise figure of the brightened photo
    removed: float  # rms of what the network would take away at fine scales
    detail: float  # rms of the brightened photo's own fine detail
    tones: float
    sigma: float
    domain: float | None = None  # the power of linear light the blend is done in (None: sRGB values)


def amount_fields(decision: Decision | None, setting: float | str) -> dict:
    """The demo record's fields for what was decided; without a decision (the brightened photo was not kept, so the
    network's output was written as it is) all of the change was kept and nothing was chosen, whatever the
    setting."""
    if decision is None:
        return {"strength": 1.0, "strength_auto": False}
    return {"strength": decision.strength, "strength_auto": decision.auto, "noise_removed": decision.removed}


def load_amount_rule(path: str | Path | None = None) -> AmountRule:
    """The rule's constants (the bundled ones unless ``path``)."""
    return load_constants(lambda data: AmountRule(**data), "amount.json", path)


def save_amount_rule(rule: AmountRule, path: Path) -> None:
    save_constants(asdict(rule), path)


def _lowpass(a: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return np.stack([gaussian_filter(a[..., c], sigma, mode="reflect") for c in range(a.shape[-1])], -1)


def _crop(a: np.ndarray) -> np.ndarray:
    """The central crop the noise figure is also measured on (:func:`.compare.central_crop`), float32."""
    from .compare import central_crop

    return central_crop(a).astype(np.float32)


def measure(exposed: np.ndarray, restored: np.ndarray, sigma: float) -> dict[str, float]:
    """``removed`` (rms of the network's fine change) and ``detail`` (rms of the brightened photo's own fine
    detail), 0-255, on the central crop."""
    x, o = _crop(exposed), _crop(restored)
    change = o - x
    fine = change - _lowpass(change, sigma)
    own = x - _lowpass(x, sigma)
    return {"removed": float(np.sqrt(np.mean(fine**2))) * 255, "detail": float(np.sqrt(np.mean(own**2))) * 255}


def features(noise: float, removed: float, detail: float, gain: float) -> dict[str, float]:
    """What the rule reads, all free of the photo's own contrast: the noise figure and what the network would take
    away, each as a share of the photo's fine detail (logs; figures floored at 0.1 on the 0-255 scale), and the
    log of the gain."""
    detail = max(detail, 0.1)
    return {"noise_share": math.log(max(noise, 0.1) / detail), "removed_share": math.log(max(removed, 0.1) / detail),
            "log_gain": math.log(max(gain, 1.0))}


def decide(exposed: np.ndarray, restored: np.ndarray, setting: float | str, noise: float, gain: float,
           rule: AmountRule | None = None) -> Decision:
    """The strength for this photo: ``setting`` when it is a number, else chosen by the rule from the figures."""
    rule = rule or load_amount_rule()
    m = measure(exposed, restored, rule.sigma)
    auto = setting == "auto"
    if not auto:
        strength = float(setting)
    elif not measurable(exposed):  # no noise to read: it comes back as it is (brightened if asked)
        strength = 0.0
    else:
        strength = rule.strength(features(noise, m["removed"], m["detail"], gain))
    return Decision(strength, auto, round(noise, 3), round(m["removed"], 3), round(m["detail"], 3), rule.tones,
                    rule.sigma, rule.domain)


def to_domain(img: np.ndarray, domain: float | None) -> np.ndarray:
    """sRGB values in [0, 1] as the ``domain``-th power of linear light (float32; None: a float32 copy).  The sRGB
    decoding and the power are one power per pixel."""
    if domain is None:
        return np.array(img, np.float32)
    x = np.clip(img, 0, 1).astype(np.float32)
    out = np.power((x + np.float32(0.055)) / np.float32(1.055), np.float32(2.4 * domain))
    low = x <= np.float32(0.04045)  # sRGB's linear segment near black
    if low.any():
        out[low] = np.power(x[low] / np.float32(12.92), np.float32(domain))
    return out


def from_domain(a: np.ndarray, domain: float | None) -> np.ndarray:
    """The inverse of :func:`to_domain`, clipped to [0, 1]."""
    a = np.clip(a, 0, 1).astype(np.float32, copy=False)
    if domain is None:
        return a
    out = np.float32(1.055) * np.power(a, np.float32(1 / (2.4 * domain))) - np.float32(0.055)
    low = a <= np.float32(0.0031308**domain)
    if low.any():
        out[low] = np.float32(12.92) * np.power(a[low], np.float32(1 / domain))
    return np.clip(out, 0, 1, out=out)


def compose(base: np.ndarray, change: np.ndarray, coarse: np.ndarray, strength: float, tones: float,
            domain: float | None) -> np.ndarray:
    """The restored pixels from the brightened photo (``base``), the network's change and its coarse part, all in
    ``domain``: ``base + strength x fine(change) + tones x coarse(change)``, back in sRGB values, clipped.  ``change``
    is used as scratch."""
    change -= coarse  # the fine change
    change *= np.float32(strength)
    change += np.float32(tones) * coarse
    change += base
    return from_domain(change, domain)


def apply_amount(restored: np.ndarray, exposed: np.ndarray, decision: Decision, rows: int = 256) -> None:
    """``restored`` becomes ``exposed + strength x fine(change) + tones x coarse(change)``, summed in the decision's
    domain (:func:`to_domain`) and clipped to [0, 1], in place, band by band: beside the two images it needs a few
    bands' worth of memory."""
    sigma, s, t, dom = decision.sigma, decision.strength, decision.tones, decision.domain
    if s == 1 and t == 1:
        return
    h = restored.shape[0]
    margin = int(math.ceil(4 * sigma)) + 1  # scipy's Gaussian reaches 4 sigma
    above = restored[:0].copy()  # the change in the rows just above the current band (already overwritten there)
    for y in range(0, h, rows):
        y1 = min(h, y + rows)
        base = to_domain(exposed[y:y1], dom)
        band = to_domain(restored[y:y1], dom) - base  # the change
        y2 = min(h, y1 + margin)
        below = to_domain(restored[y1:y2], dom) - to_domain(exposed[y1:y2], dom)
        window = np.concatenate([above[max(0, len(above) - (y - max(0, y - margin))):], band, below])
        coarse = _lowpass(window, sigma)[len(window) - len(below) - len(band) : len(window) - len(below)]
        above = band[max(0, len(band) - margin):].copy()
        restored[y:y1] = compose(base, band, coarse, s, t, dom)


def restore_amount(restored: np.ndarray, exposed: np.ndarray, setting: float | str, noise: float,
                   gain: float) -> Decision:
    """Decide the strength for this photo and apply it to ``restored`` in place (the pipeline's one call)."""
    decision = decide(exposed, restored, setting, noise, gain)
    apply_amount(restored, exposed, decision)
    return decision
