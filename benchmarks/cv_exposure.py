"""The brightness step's statistics, compared by photo-wise cross-validation on the fitting photos only.

One pool of synthetic degradations (``scientist fit-exposure``'s: 3,000 crops, seed 7, its mix) of the
fitting photos (scikit-image's 20 and the fitting part of ``--natural``) is drawn once; the photos are dealt
into ``--folds`` groups, and for each group the step is fitted on the samples of the other photos: the regression
alone, with the quiet-photo test (:data:`scientist.restore.exposure.QUIET`), with the white test as well
(:data:`scientist.restore.exposure.WHITE_SHARE`), and with the highlights' ceiling
(:data:`scientist.restore.exposure.HEADROOM`, as shipped), then scored on the natural photos of the group,
which it did not see:

- each photo in the blind benchmark's lossless conditions (light-png, heavy-png, clean; seeded per photo):
  the level error is the mean sRGB level after the gain (in linear light, clipped) over the original's, minus 1
  (the brightness part of ``bench-restore --blind``'s level error, without the network);
- the largest gain through the step on the clean photos;
- the pool's own samples of those photos: the error of the gain times the exposure, in the mix the step is fitted
  on.

Then the doubt about a predicted gain (:meth:`~scientist.restore.exposure.ExposureModel.doubt`, fitted inside each
fold's training photos only): of the darkened conditions the shipped step brightens, how well a doubt above each
limit picks out those whose level comes out more than 12 % off (the limit with the best F1 is the one shipped, as
``DOUBT_LIMIT``), and how the doubt compares with the errors it stands for (median error per doubt band), on the
conditions and on the pool's samples of the photos.

Then the white test's margin on the whole pool: the largest share of pixels at white among the samples darkened
to 0.7 or less of their light (a darkening scales white down, so there should be none), and how many samples
of each exposure band it stops.

The held-out natural photos are never loaded.

    python benchmarks/cv_exposure.py --natural ../shared/photos/natural [--folds 4]
"""

from __future__ import annotations

import argparse
import math
import pickle
import time
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np

from scientist.restore.degrade import LOSSLESS, degrade, linear_to_srgb, srgb_to_linear
from scientist.restore.exposure import (
    DOUBT_LIMIT,
    HEADROOM,
    QUIET,
    WHITE_SHARE,
    draw_samples,
    exposure_stats,
    fit_samples,
    fitting_photos,
    photo_folds,
)


def _level_error(clean: np.ndarray, degraded: np.ndarray, gain: float) -> float:
    out = linear_to_srgb(np.clip(srgb_to_linear(degraded.astype(np.float64)) * gain, 0, 1))
    return float(out.mean() / clean.astype(np.float64).mean() - 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--natural", required=True)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--pool", help="keep the drawn samples in this file and reuse them when it exists")
    args = ap.parse_args()

    t0 = time.perf_counter()
    photos = fitting_photos(natural=args.natural)
    names = sorted(photos)
    cache = Path(args.pool) if args.pool else None
    if cache is not None and cache.exists():
        pool = pickle.loads(cache.read_bytes())
    else:
        pool = draw_samples(photos, args.samples, 7)
        if cache is not None:
            cache.write_bytes(pickle.dumps(pool))
    print(f"{len(names)} fitting photos, {len(pool)} samples drawn in {time.perf_counter() - t0:.0f} s")
    natural = [n for n in names if n[0].isdigit()]
    fold_of = photo_folds(names, args.folds)

    # The conditions of each natural photo, degraded once (seeded by its name) and measured once.
    cases = {}
    for n in natural:
        for cond, params in LOSSLESS.items():
            rng = np.random.default_rng(zlib.crc32(f"{n}/{cond}".encode()))
            img = degrade(photos[n], params, rng)
            cases[n, cond] = (img, exposure_stats(img), params.exposure)

    # only the shipped step's doubt is read: the others are fitted without it
    variants = {"regression alone": {"quiet": None, "white_share": None, "doubt": False},
                f"+ quiet-photo test {QUIET}": {"quiet": QUIET, "white_share": None, "doubt": False},
                f"+ white test {WHITE_SHARE:.2%}": {"quiet": QUIET, "white_share": WHITE_SHARE, "doubt": False},
                f"+ highlights' ceiling {HEADROOM:g} (shipped)": {"quiet": QUIET, "white_share": WHITE_SHARE,
                                                                  "doubt": True, "headroom": HEADROOM}}
    results = {v: {"level": [], "clean_gain": [], "pool": [], "rows": []} for v in variants}
    doubts, pool_doubts = [], []  # (doubt, level error, gain error) of the shipped step's brightened cases
    for fold in range(args.folds):
        train = [s for s in pool if fold_of[s[0]] != fold]
        for v, tests in variants.items():
            fit = {k: v for k, v in tests.items() if k != "headroom"}
            model = replace(fit_samples(train, **fit), headroom=tests.get("headroom"))
            r = results[v]
            for n in (n for n in natural if fold_of[n] == fold):
                for cond in LOSSLESS:
                    img, stats, exposure = cases[n, cond]
                    g, why = model.decide(stats)
                    if why == "brightened" and cond != "clean" and tests["doubt"]:
                        doubts.append((model.doubt(stats), abs(_level_error(photos[n], img, g)),
                                       abs(math.log(g * exposure))))
                    if cond == "clean":
                        r["clean_gain"].append((g, n))
                    else:
                        r["level"].append(abs(_level_error(photos[n], img, g)))
                    r["rows"].append((n, cond, g, 1 / exposure))
            for _name, stats, exposure in (s for s in pool if fold_of[s[0]] == fold and s[0] in natural):
                g, why = model.decide(stats)
                r["pool"].append(abs(g * exposure - 1))
                if why == "brightened" and tests["doubt"] and exposure < 1:
                    pool_doubts.append((model.doubt(stats), abs(math.log(g * exposure))))

    print(f"\n{args.folds}-fold photo-wise CV on {len(natural)} natural fitting photos "
          f"(conditions {', '.join(LOSSLESS)}; pool: the fit mix)")
    print("| statistics | level error median | p90 | max | clean: largest gain (photo) | clean gains > 1.15 |"
          " pool gain error median | p90 |")
    print("|---|---|---|---|---|---|---|---|")
    for v, r in results.items():
        lv, pg = np.array(r["level"]), np.array(r["pool"])
        cg = max(r["clean_gain"])
        n_over = sum(g > 1.15 for g, _ in r["clean_gain"])
        print(f"| {v} | {np.median(lv):.1%} | {np.percentile(lv, 90):.1%} | {lv.max():.1%} | {cg[0]:.2f} ({cg[1]}) | "
              f"{n_over} of {len(r['clean_gain'])} | {np.median(pg):.1%} | {np.percentile(pg, 90):.1%} |")
    print("\nworst cases (photo, condition, gain: regression alone / as shipped, exact):")
    old, new = (results[v]["rows"] for v in (list(variants)[0], list(variants)[-1]))
    worst = sorted(range(len(old)), key=lambda i: -max(abs(np.log(r[i][2] / r[i][3])) for r in (old, new)))[:12]
    for i in worst:
        print(f"  {old[i][0]} {old[i][1]}: {old[i][2]:.2f} / {new[i][2]:.2f} (exact {old[i][3]:.2f})")
    _print_doubt(doubts, pool_doubts)
    exposures = np.array([e for _, _, e in pool])
    shares = np.array([s.get("white", 0.0) for _, s, _ in pool])
    dark = exposures <= 0.7
    print(f"\nwhite test (threshold {WHITE_SHARE:.2%} of the pixels at white): largest share among the {dark.sum()} "
          f"samples darkened to <= 0.7 of their light: {shares[dark].max():.4%}")
    for lo, hi in ((0.0, 0.7), (0.7, 0.87), (0.87, 1.01)):
        band = (exposures > lo) & (exposures <= hi) if lo else exposures <= hi
        print(f"  exposure {lo:.2f}-{min(hi, 1.0):.2f}: stopped {(shares[band] >= WHITE_SHARE).sum()} of {band.sum()}")
    print(f"\n{time.perf_counter() - t0:.0f} s")


def _print_doubt(cases: list[tuple[float, float, float]], pool: list[tuple[float, float]]) -> None:
    d, level, gerr = (np.array(c) for c in zip(*cases, strict=True))
    pd, pe = (np.array(c) for c in zip(*pool, strict=True))
    off = level > 0.12
    print(f"\ndoubt about a predicted gain (shipped step; {len(d)} darkened conditions it brightened, {off.sum()} of "
          f"them more than 12 % off in level; the pool: {len(pd)} brightened samples of these photos):")
    print("| limit | flagged | of them > 12 % off | > 12 % off flagged | flagged within 5 % | F1 |"
          " pool: flagged | pool: gain > 28 % off flagged | pool F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    wrong = pe > math.log(1.28)  # about 12 % in the mean sRGB level
    for limit in (0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.25, 0.30):
        fl, pf = d > limit, pd > limit
        hit = int((fl & off).sum())
        f1 = 2 * hit / max(fl.sum() + off.sum(), 1)
        mark = " (shipped)" if abs(limit - DOUBT_LIMIT) < 1e-9 else ""
        print(f"| {limit:.2f}{mark} | {fl.sum()} | {hit} | {hit} of {off.sum()} | {(fl & (level < 0.05)).sum()} of "
              f"{(level < 0.05).sum()} | {f1:.2f} | {pf.sum()} of {len(pd)} | {(pf & wrong).sum()} of {wrong.sum()} | "
              f"{2 * (pf & wrong).sum() / max(pf.sum() + wrong.sum(), 1):.2f} |")
    print("doubt band -> median gain error (conditions; pool), as shares:")
    for lo, hi in ((0, 0.1), (0.1, 0.16), (0.16, 0.25), (0.25, 0.4), (0.4, 10)):
        sel, psel = (d >= lo) & (d < hi), (pd >= lo) & (pd < hi)
        cond = f"{np.expm1(np.median(gerr[sel])):.2f} (n={sel.sum()})" if sel.any() else "-"
        pooled = f"{np.expm1(np.median(pe[psel])):.2f} (n={psel.sum()})" if psel.any() else "-"
        print(f"  {lo:.2f}-{min(hi, 9.99):.2f}: {cond}; {pooled}")


if __name__ == "__main__":
    main()
