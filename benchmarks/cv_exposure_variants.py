"""Alternatives to the shipped brightness step, compared by photo-wise cross-validation on the fitting photos only.

Where ``cv_exposure.py`` scores the shipped design against its own parts, this script tries designs that were
considered and not adopted, on a broader test than the blind benchmark's two fixed exposures:

- a pool of ``--samples`` degraded crops of the fitting photos (scikit-image's 20 and the fitting part of
  ``--natural``; seed 11) drawn from a broader mix than the step is fitted on (``lowlight``, ``light``,
  ``faint``, ``grainy``, ``clean``), each remembering its distribution;
- each natural fitting photo, whole, darkened as in ``light-png`` at exposures 0.25, 0.4 and 0.6 and as in
  ``heavy-png`` at 0.08, 0.12 and 0.2 (lossless, seeded per photo), left clean, and with faint noise.

The photos are dealt into four groups; each variant is fitted on the samples of the other photos (of the
distributions it is fitted on) and scored on the group's photos:

- level error: the mean sRGB level of the *clean* photo darkened by the exposure and brightened by the gain,
  over the original's, minus 1 (the brightness part of the level error, free of the noise a network removes);
- what the level error costs a restored photo: the PSNR of that darkened and brightened clean photo against the
  original with a restored photo's own error added (its mean square error plus that of ``FLOOR`` dB, the shipped
  pipeline's typical PSNR at the right level: 35 dB under light noise, 26 dB under heavy), mean over the light and
  over the heavy conditions, and how many photos come out better and worse than under the shipped step (their mean
  over the six darkened conditions, by more than 0.05 dB);
- the largest gain on the clean and the faint photos, and how many get more than 1.15;
- on the pool's samples of those photos: the gain error ``|gain * exposure - 1|`` (median, p90, and for the
  ``light`` samples), the share of ``clean`` samples given more than 1.15 and of ``grainy``/``faint`` samples
  brightened more than 15 % past their level.

The variants: the shipped design (``fit_samples``: a ridge regression over the histogram's shape, the quiet-photo
and white tests, the leave ramp); the same with the leave ramp only for photos the quiet-photo test gives a chance
of at least 0.2 (``ramp if quiet``) or with no ramp; a ridge regression predicting the log gain from the shape,
the log of the reference level and the quiet-photo test's noise statistics (``ridge + level + noise``); and a
gradient-boosted tree model (scikit-learn's ``HistGradientBoostingRegressor``) over the same inputs; and the shipped
design with its gain capped at a multiple of the mean-key gain (the blind baseline's brightening, which takes the
mean luminance to mid-grey: a low-key photo that the regression brightens too far is brightened less by it); and
the shipped design with a gain its doubt model doubts (above the doubt limit) drawn part of the way toward that
mean-key gain, in log gain, by a weight that grows from 0 at the limit to ``weight`` at a doubt of ``full``
(``pull``).
Every variant has the quiet-photo and the white tests and the highlights' ceiling (``HEADROOM``: no gain takes the
highlights past white, read on the noise-reduced copy and on the finer one), but the one without it, the two with
it elsewhere and the one that reads it on the noise-reduced copy only (as before the finer copy).  The held-out
natural photos are never loaded.

    python benchmarks/cv_exposure_variants.py --natural ../shared/photos/natural [--samples 6000]
"""

from __future__ import annotations

import argparse
import math
import time
import zlib
from dataclasses import replace

import numpy as np

from scientist.restore.degrade import LOSSLESS, DegradeParams, degrade, key_gain, linear_to_srgb, srgb_to_linear
from scientist.restore.exposure import (
    HEADROOM,
    QUIET,
    REFERENCE,
    _terms,
    draw_samples,
    exposure_stats,
    fit_samples,
    fitting_photos,
    model_features,
    photo_folds,
    quiet_features,
)

MIX = "lowlight:0.3,light:0.35,faint:0.1,grainy:0.1,clean:0.15"
FIT_ON = ("lowlight", "light", "clean")  # the distributions the shipped step is fitted on
LIGHT, HEAVY = LOSSLESS["light-png"], LOSSLESS["heavy-png"]
#: A restored photo's own error at the right level, as a PSNR (dB): light and heavy noise.
FLOOR = {"light": 35.0, "heavy": 26.0}


def conditions() -> dict[str, DegradeParams]:
    out = {f"light{e}": replace(LIGHT, exposure=e) for e in (0.25, 0.4, 0.6)}
    out |= {f"heavy{e}": replace(HEAVY, exposure=e) for e in (0.08, 0.12, 0.2)}
    out["clean"] = DegradeParams(1.0, 0.0, 0.0, 0.0, 0.0, 101)
    out["faint"] = DegradeParams(1.0, 5e-5, 2e-4, 0.0, 0.0, 101)
    return out


def _inputs(stats: dict, extended: bool) -> np.ndarray:
    x = list(model_features(stats))
    if extended:
        x.append(math.log(stats[REFERENCE]))
        x += list(quiet_features(stats)[:3])
    return np.array(x)


class Shipped:
    """``fit_samples`` as ``fit-exposure`` runs it; ``ramp_if``: apply the leave ramp only to photos the quiet-photo
    test gives at least this chance (None: always, as shipped); ``leave``: the ramp; ``headroom``: the highlights'
    ceiling (None: none)."""

    def __init__(self, ramp_if: float | None = None, leave: tuple[float, float] = (1.3, 1.7),
                 headroom: float | None = HEADROOM):
        self.ramp_if, self.leave, self.headroom = ramp_if, leave, headroom

    def fit(self, pool):
        self.m = replace(fit_samples([(n, s, e) for n, d, s, e in pool if d in FIT_ON], leave=self.leave),
                         headroom=self.headroom)
        return self

    def gain(self, stats: dict) -> float:
        if self.ramp_if is None:
            return self.m.gain(stats)
        if self.m.reaches_white(stats):
            return 1.0
        raw, q = self.m.raw_gain(stats), self.m.quiet_chance(stats)
        if q > self.m.quiet["threshold"] and raw < self.m.quiet["extreme"]:
            return 1.0
        return self.m.cap(self.m.soften(raw) if q >= self.ramp_if else float(np.clip(raw, 1.0, 12.0)), stats)


class CoarseCeiling(Shipped):
    """The shipped design with its highlights' ceiling read on the noise-reduced copy only (as before the finer
    copy's ``H99.9``)."""

    def gain(self, stats: dict) -> float:
        return super().gain({k: v for k, v in stats.items() if k != "H99.9"})


class LogGain:
    """A regression of the log gain on the shape, the level and the noise, with the shipped tests and ramp."""

    def __init__(self, kind: str):
        self.kind = kind

    def fit(self, pool):
        from sklearn.ensemble import HistGradientBoostingRegressor
        from sklearn.linear_model import Ridge

        rows = [(s, e) for _, d, s, e in pool if d in FIT_ON]
        x = np.array([_inputs(s, True) for s, _ in rows])
        y = np.array([-math.log(e) for _, e in rows])
        self.center, self.scale = x.mean(0), x.std(0) + 1e-6
        if self.kind == "ridge":
            self.model = Ridge(alpha=3.0).fit(_terms((x - self.center) / self.scale), y)
        else:
            self.model = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, max_leaf_nodes=15,
                                                       min_samples_leaf=20, random_state=0).fit(x, y)
        self.tests = fit_samples([(n, s, e) for n, d, s, e in pool if d in FIT_ON])  # the quiet and white tests
        return self

    def gain(self, stats: dict) -> float:
        t = self.tests
        if t.reaches_white(stats):
            return 1.0
        x = _inputs(stats, True)[None]
        if self.kind == "ridge":
            x = _terms((x - self.center) / self.scale)
        raw = math.exp(float(self.model.predict(x)[0]))
        if t.quiet_chance(stats) > QUIET[0] and raw < QUIET[1]:
            return 1.0
        return t.cap(t.soften(raw), stats)


class MeanKeyCap(Shipped):
    """The shipped design, its gain (when it brightens) capped at ``factor`` times the mean-key gain."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def gain(self, stats: dict) -> float:
        g = super().gain(stats)
        return g if g <= 1.0 else max(1.0, min(g, self.factor * key_gain(stats["mean"])))


class PullToKey(Shipped):
    """The shipped design, a brightening gain it doubts by more than its doubt limit drawn (in log gain) toward the
    mean-key gain: by ``weight`` times the doubt's place on a ramp from the limit to ``full``."""

    def __init__(self, weight: float, full: float):
        super().__init__()
        self.weight, self.full = weight, full

    def gain(self, stats: dict) -> float:
        g, reason = self.m.decide(stats)
        doubt = self.m.doubt(stats) if reason == "brightened" else None
        if doubt is None:
            return g
        start = self.m.doubt_model["limit"]
        w = self.weight * min(1.0, max(0.0, (doubt - start) / (self.full - start)))
        return self.m.cap(math.exp((1 - w) * math.log(g) + w * math.log(key_gain(stats["mean"]))), stats)


VARIANTS = {
    "shipped": lambda: Shipped(),
    "shipped, ramp if quiet >= 0.2": lambda: Shipped(ramp_if=0.2),
    "shipped, no ramp": lambda: Shipped(leave=(1.0, 1.0)),
    "ridge + level + noise": lambda: LogGain("ridge"),
    "gradient-boosted trees + level + noise": lambda: LogGain("trees"),
    "shipped, capped at 1x the mean-key gain": lambda: MeanKeyCap(1.0),
    "shipped, capped at 1.5x the mean-key gain": lambda: MeanKeyCap(1.5),
    "shipped, capped at 2x the mean-key gain": lambda: MeanKeyCap(2.0),
    **{f"shipped, pull {w:g} from doubt {full:g}": (lambda w=w, full=full: PullToKey(w, full))
       for w, full in ((0.3, 0.3), (0.5, 0.3), (0.6, 0.3), (0.7, 0.3), (1.0, 0.3), (0.6, 0.2), (0.6, 0.4))},
    "shipped without the highlights' ceiling": lambda: Shipped(headroom=None),
    "shipped, the ceiling on the noise-reduced copy only": lambda: CoarseCeiling(),
    "shipped, the ceiling at 0.9x white": lambda: Shipped(headroom=0.9),
    "shipped, the ceiling at 1.1x white": lambda: Shipped(headroom=1.1),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--natural", required=True)
    ap.add_argument("--samples", type=int, default=6000)
    ap.add_argument("--folds", type=int, default=4)
    args = ap.parse_args()

    t0 = time.perf_counter()
    photos = fitting_photos(natural=args.natural)
    pool = draw_samples(photos, args.samples, seed=11, mix=MIX, distributions=True)
    natural = sorted(n for n in photos if n[0].isdigit())
    linear = {n: srgb_to_linear(photos[n].astype(np.float64)) for n in natural}
    level = {n: float(photos[n].astype(np.float64).mean()) for n in natural}
    cases = {}
    for n in natural:
        for cond, params in conditions().items():
            img = degrade(photos[n], params, np.random.default_rng(zlib.crc32(f"{n}/{cond}".encode())))
            cases[n, cond] = (exposure_stats(img), params.exposure)
    print(f"{len(photos)} fitting photos, {len(pool)} samples and {len(cases)} cases "
          f"in {time.perf_counter() - t0:.0f} s")

    names = sorted(photos)
    fold_of = photo_folds(names, args.folds)
    print(f"\n{args.folds}-fold photo-wise CV on {len(natural)} natural fitting photos; level error of the clean photo "
          "darkened and brightened by the gain (light: exposures 0.25/0.4/0.6, heavy: 0.08/0.12/0.2)")
    print("| variant | light: median / p90 / max | heavy: median / p90 / max | clean: largest gain, > 1.15 | "
          "faint: largest gain, > 1.15 | PSNR light / heavy; photos better, worse | pool gain error median / p90 | "
          "light samples median | clean samples > 1.15 | grainy/faint samples > +15 % |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    shipped_raw, shipped_photo = "", {}
    for name, make in VARIANTS.items():
        err, psnr, per_photo = {"light": [], "heavy": []}, {"light": [], "heavy": []}, {}
        gains = {"clean": [], "faint": []}
        pool_err, light_err, clean_over, grain_over, raw_clean = [], [], [], [], {}
        for fold in range(args.folds):
            model = make().fit([s for s in pool if fold_of[s[0]] != fold])
            for n in (n for n in natural if fold_of[n] == fold):
                for cond in conditions():
                    stats, e = cases[n, cond]
                    g = model.gain(stats)
                    if cond in gains:
                        gains[cond].append(g)
                        if cond == "clean" and isinstance(model, Shipped):
                            raw_clean[n] = model.m.raw_gain(stats)
                    else:
                        img = linear_to_srgb(np.clip(linear[n] * e * g, 0, 1))
                        err[cond[:5]].append(abs(float(img.mean() / level[n] - 1)))
                        mse = float(((img - photos[n]) ** 2).mean()) + 10 ** (-FLOOR[cond[:5]] / 10)
                        psnr[cond[:5]].append(-10 * math.log10(mse))
                        per_photo.setdefault(n, []).append(psnr[cond[:5]][-1])
            for photo, dist, stats, e in pool:
                if fold_of[photo] != fold or photo not in level:
                    continue
                g = model.gain(stats)
                pool_err.append(abs(g * e - 1))
                if dist == "light":
                    light_err.append(abs(g * e - 1))
                elif dist == "clean":
                    clean_over.append(g > 1.15)
                elif dist in ("grainy", "faint"):
                    grain_over.append(g * e > 1.15)
        cells = []
        for k in ("light", "heavy"):
            a = np.array(err[k])
            cells.append(f"{np.median(a):.1%} / {np.percentile(a, 90):.1%} / {a.max():.1%}")
        for k in ("clean", "faint"):
            a = np.array(gains[k])
            cells.append(f"{a.max():.2f}, {(a > 1.15).sum()} of {a.size}")
        per_photo = {n: float(np.mean(v)) for n, v in per_photo.items()}
        shipped_photo = shipped_photo or per_photo
        moved = [per_photo[n] - shipped_photo[n] for n in per_photo]
        cells.append(f"{np.mean(psnr['light']):.2f} / {np.mean(psnr['heavy']):.2f} dB; "
                     f"{sum(d > 0.05 for d in moved)}, {sum(d < -0.05 for d in moved)}")
        cells += [f"{np.median(pool_err):.1%} / {np.percentile(pool_err, 90):.1%}", f"{np.median(light_err):.1%}",
                  f"{np.mean(clean_over):.1%}", f"{np.mean(grain_over):.1%}"]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        if raw_clean and name == "shipped":
            order = sorted(raw_clean, key=raw_clean.get)
            shipped_raw = ", ".join(f"{n} {raw_clean[n]:.2f}" for n in order[:3] + order[-3:])
    print(f"\nthe shipped regression's own gain on the undarkened photos (before the tests and the ramp): "
          f"lowest and highest three: {shipped_raw}")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
