"""Coarse colour noise: what the restore leaves of it, and whether a colour step could take it away without harm.

An outside look at restored real-noise photos found coarse, streaky colour noise left in (``Boy``, ``Singer``,
``Glass``, ``Pattern3``): the restore keeps the photo's coarse tones and takes only the network's fine-scale change
(:mod:`scientist.restore.amount`).  This script asks two things on the *fitting* natural photos (never the held-out
ones):

1. Does the network remove coarse colour noise at all?  Candidate "network colour": the shipped result plus the
   network's coarse change in colour only (its coarse change minus that change's mean over the three channels, in the
   blend's domain), so the coarse tones stay the photo's.
2. Would a classical colour step do it?  Candidate "guided colour": the shipped result's chroma (YCbCr) smoothed by a
   guided filter (He, Sun and Tang, 2010; box windows of radius ``RADIUS``, ``EPS``) with its luma as the guide, at
   half and full amount.  And can the photo say whether it needs one?  The figure tried is the colour residual: the
   chroma minus its guided-filtered copy, rms in each 16 x 16 block, the median over the flattest third of the blocks
   (ranked by the luma's spread after a 2 px blur), 0-255.

Conditions: the blind benchmark's ``clean``, ``light-png``, ``heavy-png`` and ``medium`` (JPEG 85, blur), and two
with coarse colour noise made here (:data:`COLOUR`: colour noise blurred by ``sigma`` px, drawn in linear light with
a standard deviation of ``chroma`` times the square root of the level, beside luma noise of ``luma`` times it, after
darkening to ``exposure``; ``jpeg`` 101 is lossless).  Each case goes through the shipped stages (the brightness step,
the network at the precision a restore picks, the strength rule); the baseline is that shipped result, measured in
the same run.  Printed: per condition, the shipped PSNR and each candidate's change (mean and lowest); the colour
residual's range per condition, on the clean fitting photos themselves (all of them, no network), and on
``--real`` photos' shipped results.

    python benchmarks/bench_colour_noise.py --natural ../shared/photos/natural [--every 2] [--real DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from bench_real_noise import blocks

#: The coarse colour-noise conditions: (exposure, chroma, luma, sigma px, jpeg quality; 101 = lossless).
COLOUR = {"colour-jpeg": (0.5, 0.02, 0.006, 2.0, 92), "colour-png": (0.3, 0.03, 0.01, 3.0, 101)}
#: The guided filter's window radius (px) and regulariser (luma variance, 0-1 scale).
RADIUS, EPS = 4, 1e-3
#: Full-range YCbCr (BT.601) from RGB.
YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


def colour_noise(clean: np.ndarray, rng: np.random.Generator, exposure: float, chroma: float, luma: float,
                 sigma: float, jpeg: int) -> np.ndarray:
    """``clean`` darkened to ``exposure`` in linear light, with coarse colour noise and fine luma noise, 8-bit."""
    import io

    from PIL import Image
    from scipy.ndimage import gaussian_filter

    from scientist.restore.degrade import linear_to_srgb, srgb_to_linear

    lin = srgb_to_linear(clean.astype(np.float64)) * exposure
    spread = np.sqrt(np.clip(lin, 1e-4, None))
    colour = rng.standard_normal(lin.shape)
    colour = np.stack([gaussian_filter(colour[..., c], sigma) for c in range(3)], -1)
    colour /= colour.std()
    colour -= colour.mean(-1, keepdims=True)  # no change of luminance: colour only
    lin = lin + chroma * colour * spread + luma * rng.standard_normal(lin.shape[:2] + (1,)) * spread
    u8 = np.round(linear_to_srgb(np.clip(lin, 0, 1)) * 255).astype(np.uint8)
    if jpeg <= 100:
        buf = io.BytesIO()
        Image.fromarray(u8).save(buf, format="JPEG", quality=jpeg)
        u8 = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return u8.astype(np.float32) / 255


def _box(a: np.ndarray) -> np.ndarray:
    from scipy.ndimage import uniform_filter

    return uniform_filter(a, 2 * RADIUS + 1, mode="reflect")


def _guided(guide: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``p`` filtered by a guided filter with ``guide`` (both 2-D)."""
    mg, mp = _box(guide), _box(p)
    a = (_box(guide * p) - mg * mp) / (_box(guide * guide) - mg * mg + EPS)
    b = mp - a * mg
    return _box(a) * guide + _box(b)


def guided_colour(img: np.ndarray, amount: float) -> np.ndarray:
    """``img`` (float RGB in [0, 1]) with ``amount`` of its chroma replaced by the guided-filtered chroma."""
    ycc = img.astype(np.float64) @ YCC.T
    for c in (1, 2):
        ycc[..., c] += amount * (_guided(ycc[..., 0], ycc[..., c]) - ycc[..., c])
    return np.clip(ycc @ np.linalg.inv(YCC).T, 0, 1).astype(np.float32)


def colour_residual(img: np.ndarray) -> float:
    """The colour residual figure (see the module's text), 0-255."""
    from scipy.ndimage import gaussian_filter

    ycc = img.astype(np.float64) @ YCC.T
    resid = np.sqrt(sum((ycc[..., c] - _guided(ycc[..., 0], ycc[..., c])) ** 2 for c in (1, 2)) / 2)
    spread = blocks(gaussian_filter(ycc[..., 0], 2.0)).std(axis=1)
    rms = np.sqrt((blocks(resid) ** 2).mean(axis=1))
    flat = np.argsort(spread)[: max(1, len(spread) // 3)]
    return float(np.median(rms[flat])) * 255


def network_colour(exposed: np.ndarray, network: np.ndarray, strength: float) -> np.ndarray:
    """The shipped blend (:func:`~scientist.restore.amount.compose`, in its domain and split) with the network's
    coarse change in colour only added to the photo's coarse tones."""
    from scientist.restore.amount import _lowpass, compose, load_amount_rule, to_domain

    rule = load_amount_rule()
    base = to_domain(exposed, rule.domain)
    change = to_domain(network, rule.domain) - base
    coarse = _lowpass(change, rule.sigma)
    return compose(base + coarse - coarse.mean(-1, keepdims=True), change, coarse, strength, 0.0, rule.domain)


def shipped(restorer, photo) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The brightened photo, the network's output and the shipped result (strength rule applied), and the strength,
    for a :class:`~scientist.restore.stages.Photo`."""
    from scientist.restore.amount import restore_amount
    from scientist.restore.stages import expose, load

    exposed = expose(load(photo))
    network = restorer.restore(exposed).img
    result = network.copy()
    decision = restore_amount(result, exposed.img, "auto", exposed.noise_brightened, exposed.gain)
    return exposed.img, network, result, decision.strength


def main() -> None:
    from scientist.restore.bench_blind import CONDITIONS, _psnr
    from scientist.restore.degrade import degrade
    from scientist.restore.photosets import load_natural
    from scientist.restore.stages import Photo, Restorer
    from scientist.settings import load_settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--natural", required=True, help="the natural-photo folder (its fitting part is used)")
    ap.add_argument("--every", type=int, default=2, help="every n-th fitting photo goes through the network")
    ap.add_argument("--real", help="a folder of real noisy photos: their shipped results' colour residual")
    args = ap.parse_args()

    photos = load_natural(args.natural, "fit")
    names = sorted(photos)[:: args.every]
    conditions = {k: CONDITIONS[k] for k in ("clean", "light-png", "heavy-png", "medium")} | COLOUR
    restorer = Restorer(load_settings())
    candidates = ("network colour", "guided colour 0.5", "guided colour 1")
    rows: dict[str, list] = {c: [] for c in conditions}
    start = time.perf_counter()
    for i, name in enumerate(names):
        clean = photos[name]
        for j, (cond, params) in enumerate(conditions.items()):
            rng = np.random.default_rng(77 + 10 * i + j)
            bad = colour_noise(clean, rng, *params) if cond in COLOUR else degrade(clean, params, rng)
            exposed, network, result, strength = shipped(restorer, Photo(Path(name), bad, {}))
            outs = (network_colour(exposed, network, strength), guided_colour(result, 0.5), guided_colour(result, 1))
            base = min(_psnr(clean, result), 100.0)
            rows[cond].append((base, [min(_psnr(clean, o), 100.0) - base for o in outs], colour_residual(result)))
        print(f"{i + 1}/{len(names)} photos, {time.perf_counter() - start:.0f} s", flush=True)

    print(f"\n{len(names)} fitting photos; shipped PSNR mean (lowest), and each candidate's change against it: mean "
          "(lowest change; lowest PSNR), dB")
    print(f"| condition | shipped | {' | '.join(candidates)} | colour residual (min-max) |")
    print("|---|---|" + "---|" * len(candidates) + "---|")
    for cond, rs in rows.items():
        base, d = np.array([r[0] for r in rs]), np.array([r[1] for r in rs])
        cells = " | ".join(f"{d[:, k].mean():+.2f} ({d[:, k].min():+.2f}; {(base + d[:, k]).min():.2f})"
                           for k in range(len(candidates)))
        res = [r[2] for r in rs]
        print(f"| {cond} | {base.mean():.2f} ({base.min():.2f}) | {cells} | {min(res):.2f}-{max(res):.2f} |")
    own = sorted((colour_residual(a), n) for n, a in photos.items())
    print(f"\ncolour residual of the {len(own)} clean fitting photos themselves: median {own[len(own) // 2][0]:.2f}, "
          f"highest " + ", ".join(f"{n} {v:.2f}" for v, n in own[-4:][::-1]))
    if args.real:
        figures = []
        for path in sorted(p for p in Path(args.real).iterdir() if p.is_file()):
            figures.append(f"{path.stem} {colour_residual(shipped(restorer, Photo.read(path))[2]):.2f}")
        print("real photos' shipped results: " + ", ".join(figures))


if __name__ == "__main__":
    main()
