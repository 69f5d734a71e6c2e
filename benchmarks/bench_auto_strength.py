"""Choosing the strength from the photo: fit the rule of ``scientist/restore/amount.py`` and validate it photo-wise.

The restored image is ``brightened + strength x fine(change) + tones x coarse(change)``, where ``change`` is the
network's output minus the brightened photo, split by a Gaussian and summed in a domain (a power of linear
light, or the sRGB values; :mod:`scientist.restore.amount`).  This script asks which strength each photo should
get, and whether a rule over what a restore knows blind (the noise figure of the brightened photo, the rms of
the network's fine change, each as a share of the photo's own fine detail, and the brightening gain) can choose
it.

Cases: every photo of a natural-photo folder (``--natural``, split by
:mod:`scientist.restore.photosets`) in the blind benchmark's conditions (light, medium and heavy
noise with JPEG, light and heavy noise lossless, the clean photo) and one seeded draw from each of
the named distributions light, grainy and faint; each goes through the shipped brightness
step and network (precision auto), and the PSNR against the clean photo is recorded at strengths
0, 0.05 ... 1.  The rule (a logistic function of the logs of the figures; clean photos' PSNR capped at
45 dB so that they do not outweigh the rest) is fitted on the fitting part only: scored by 4-fold
photo-wise cross-validation there, then fitted on all of it and scored on the held-out photos.
Baselines: strength 1 everywhere, and the best strength known from the clean photo (the ceiling).

Each case's curve is measured in every domain of ``--domains`` from the same network run; each domain gets its
rule by the same cross-validation (with the level error of the lossless noisy conditions at the rule's strength:
the mean level over the clean photo's), and ``--write`` writes the rule fitted in ``--domain`` (default: the
shipped rule's).

    python benchmarks/bench_auto_strength.py --natural ../shared/photos/natural [--weights W]
        [--write scientist/weights/amount.json] [--cases FILE.pkl] [--fit-only] [--jobs 2]
        [--domains srgb,0.6,0.65,0.7] [--domain 0.65]

``--cases`` keeps the measured cases in a file (the network runs take most of the time) and reuses
them when the file exists.  ``--fit-only`` measures and reports the fitting photos only (the held-out ones are
never loaded: for choosing between weights or rules without looking at them); ``--jobs`` splits the photos
between processes, each running PyTorch on one thread.
"""

from __future__ import annotations

import argparse
import math
import pickle
import time
from pathlib import Path

import numpy as np

from scientist.restore.amount import (
    AmountRule,
    _lowpass,
    compose,
    features,
    load_amount_rule,
    measure,
    save_amount_rule,
    to_domain,
)
from scientist.restore.bench_blind import CONDITIONS, _psnr

GRID = np.linspace(0.0, 1.0, 21)
#: The rule's inputs (see :func:`scientist.restore.amount.features`).
NAMES = ("noise_share", "removed_share", "log_gain")
#: Named distributions each photo also gets one draw from.
DRAWS = ("light", "grainy", "faint")
#: Clean photos' PSNR is capped here while fitting (so that they do not outweigh the rest), and every PSNR at
#: 100 dB (the clean photo left as it is has none).
CLEAN_CAP, PSNR_CAP, FOLDS = 45.0, 100.0, 4


def _conditions(i: int) -> dict:
    from scientist.restore.degrade import DISTRIBUTIONS

    rng = np.random.default_rng(500 + i)
    return {**CONDITIONS, **{f"draw-{d}": DISTRIBUTIONS[d].sample(rng) for d in DRAWS}}


def _domain(name: str) -> float | None:
    return None if name == "srgb" else float(name)


def measure_cases(photos: dict[str, np.ndarray], weights, sigma: float, tones: float, domains: tuple[str, ...],
                  log=print, share: tuple[int, int] = (0, 1)) -> list[dict]:
    """Every photo in every condition through the shipped stages (the brightness step, then the network with the
    precision, back end and tiles a restore picks here): the figures and the PSNR curve over :data:`GRID` in each
    of ``domains`` ("srgb" or a power of linear light).
    ``share`` (k, n): only every n-th photo from the k-th (to split the work between processes; the draws stay
    those of the whole set)."""
    from scientist.restore.degrade import degrade
    from scientist.restore.stages import Photo, Restorer, expose, load
    from scientist.settings import load_settings

    restorer = Restorer(load_settings(), weights=weights)
    cases, t0 = [], time.perf_counter()
    for i, (name, clean) in enumerate(sorted(photos.items())):
        if i % share[1] != share[0]:
            continue
        for j, (cond, params) in enumerate(_conditions(i).items()):
            bad = degrade(clean, params, np.random.default_rng(2021 + 10 * i + j))
            exposed = expose(load(Photo(Path(name), bad, {})))
            out = restorer.restore(exposed).img
            curves, levels = {}, {}
            level = float(clean.mean(dtype=np.float64))
            for d in domains:  # the pipeline's own blend (amount.compose) at each strength
                x = to_domain(exposed.img, _domain(d))
                change = to_domain(out, _domain(d)) - x
                coarse = _lowpass(change, sigma)
                results = [compose(x, change.copy(), coarse, b, tones, _domain(d)) for b in GRID]
                curves[d] = [min(_psnr(clean, r), PSNR_CAP) for r in results]
                levels[d] = [float(r.mean(dtype=np.float64)) / level - 1 for r in results]
            figures = {"noise": exposed.noise_brightened, **measure(exposed.img, out, sigma), "gain": exposed.gain}
            cases.append({"photo": name, "condition": cond, **figures, "curves": curves, "levels": levels})
        log(f"{i + 1}/{len(photos)} photos, {time.perf_counter() - t0:.0f} s")
    return cases


def _measure_share(args: tuple) -> list[dict]:
    """One process's share of :func:`measure_cases` (PyTorch on one thread)."""
    import torch

    torch.set_num_threads(1)
    photos, weights, sigma, tones, domains, share = args
    return measure_cases(photos, weights, sigma, tones, domains, share=share)


def measure_parallel(photos: dict[str, np.ndarray], weights, sigma: float, tones: float, domains: tuple[str, ...],
                     jobs: int) -> list[dict]:
    """:func:`measure_cases` split between ``jobs`` processes; the cases in the order one process gives them."""
    if jobs <= 1:
        return measure_cases(photos, weights, sigma, tones, domains)
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs) as pool:
        shares = list(pool.map(_measure_share, [(photos, weights, sigma, tones, domains, (k, jobs))
                                                for k in range(jobs)]))
    order = {name: i for i, name in enumerate(sorted(photos))}
    return sorted((c for part in shares for c in part), key=lambda c: order[c["photo"]])


def _x(cases: list[dict]) -> np.ndarray:
    return np.array([[features(c["noise"], c["removed"], c["detail"], c["gain"])[n] for n in NAMES] for c in cases])


def _strength(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(theta[0] + x @ theta[1:], -60, 60)))


def _psnr_at(cases: list[dict], s: np.ndarray, cap: float = math.inf) -> np.ndarray:
    return np.array([np.interp(si, GRID, np.minimum(c["curve"], cap)) for c, si in zip(cases, s, strict=True)])


def fit_theta(cases: list[dict], starts: int = 6) -> np.ndarray:
    """The rule's bias and weights that maximise the mean PSNR (clean photos capped) over ``cases``."""
    from scipy.optimize import minimize

    x = _x(cases)
    caps = [CLEAN_CAP if c["condition"] == "clean" else math.inf for c in cases]
    curves = [np.minimum(c["curve"], cap) for c, cap in zip(cases, caps, strict=True)]

    def loss(theta: np.ndarray) -> float:
        s = _strength(theta, x)
        return -float(np.mean([np.interp(si, GRID, c) for si, c in zip(s, curves, strict=True)])) \
            + 1e-3 * float(theta[1:] @ theta[1:])

    rng = np.random.default_rng(0)
    best = None
    for _ in range(starts):
        res = minimize(loss, rng.normal(0, 1, len(NAMES) + 1), method="Nelder-Mead",
                       options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-6})
        if best is None or res.fun < best.fun:
            best = res
    return best.x


def cross_validate(cases: list[dict]) -> np.ndarray:
    """Each case's strength from a rule fitted without its photo (4 folds of photos)."""
    photos = sorted({c["photo"] for c in cases})
    fold = {p: k % FOLDS for k, p in enumerate(np.random.default_rng(1).permutation(photos))}
    s = np.zeros(len(cases))
    for k in range(FOLDS):
        train = [c for c in cases if fold[c["photo"]] != k]
        test = [i for i, c in enumerate(cases) if fold[c["photo"]] == k]
        s[test] = _strength(fit_theta(train), _x([cases[i] for i in test]))
    return s


def report(label: str, cases: list[dict], s: np.ndarray) -> None:
    """Per condition: mean PSNR at the rule's strength, at strength 1 and at the best strength, the mean strength;
    then the change against strength 1 over the noisy cases and the clean photos' PSNR."""
    print(f"\n{label} ({len({c['photo'] for c in cases})} photos, {len(cases)} cases)")
    print(f"{'condition':15} {'rule':>7} {'s=1':>7} {'ceiling':>8} {'strength':>9}")
    rule = _psnr_at(cases, s)
    for cond in dict.fromkeys(c["condition"] for c in cases):
        idx = [i for i, c in enumerate(cases) if c["condition"] == cond]
        one = np.mean([cases[i]["curve"][-1] for i in idx])
        best = np.mean([max(cases[i]["curve"]) for i in idx])
        print(f"{cond:15} {rule[idx].mean():7.2f} {one:7.2f} {best:8.2f} {s[idx].mean():9.2f}")
    noisy = [i for i, c in enumerate(cases) if c["condition"] != "clean"]
    change = rule[noisy] - np.array([cases[i]["curve"][-1] for i in noisy])
    ceiling = np.array([max(cases[i]["curve"]) for i in noisy]) - rule[noisy]
    clean = [rule[i] for i, c in enumerate(cases) if c["condition"] == "clean"]
    print(f"noisy cases against strength 1: mean {change.mean():+.2f} dB, worst {change.min():+.2f} dB, "
          f"{(change < -0.5).sum()} lose > 0.5 dB; below the ceiling by {ceiling.mean():.2f} dB on average")
    if clean:
        print(f"clean photos: mean {np.mean(clean):.2f} dB, worst {np.min(clean):.2f} dB "
              f"(strength 1: mean {np.mean([c['curve'][-1] for c in cases if c['condition'] == 'clean']):.2f})")
    for cond in ("light-png", "heavy-png"):
        idx = [i for i, c in enumerate(cases) if c["condition"] == cond]
        if idx:
            lv = np.array([np.interp(s[i], GRID, cases[i]["level"]) for i in idx])
            print(f"{cond} level error (the mean level over the clean photo's): median {np.median(lv):+.1%}, "
                  f"|median| {np.median(np.abs(lv)):.1%}, max |error| {np.abs(lv).max():.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--natural", type=Path, required=True, help="folder of natural photos (split by photosets)")
    ap.add_argument("--weights", type=Path, default=None, help="weights to run (default: the bundled ones)")
    ap.add_argument("--cases", type=Path, default=None, help="keep the measured cases here and reuse them")
    ap.add_argument("--write", type=Path, default=None, help="write the rule fitted on the fitting part here")
    ap.add_argument("--fit-only", action="store_true", help="measure and report the fitting photos only")
    ap.add_argument("--jobs", type=int, default=1, help="processes to measure the photos in")
    ap.add_argument("--domains", default=None,
                    help="comma-separated domains to measure and compare: srgb or powers of linear light "
                         "(default: srgb and the shipped rule's)")
    ap.add_argument("--domain", default=None, help="the domain whose rule is reported last and written "
                                                   "(default: the shipped rule's)")
    args = ap.parse_args()
    from scientist.restore.photosets import load_natural

    shipped = load_amount_rule()
    shipped_domain = "srgb" if shipped.domain is None else f"{shipped.domain:g}"
    chosen = args.domain or shipped_domain
    domains = tuple(dict.fromkeys((args.domains or f"srgb,{shipped_domain}").split(",") + [chosen]))
    t0 = time.perf_counter()
    if args.cases is not None and args.cases.is_file():
        parts = pickle.loads(args.cases.read_bytes())
    else:
        parts = {part: measure_parallel(load_natural(args.natural, part), args.weights, shipped.sigma,
                                        shipped.tones, domains, args.jobs)
                 for part in (("fit",) if args.fit_only else ("fit", "held-out"))}
        if args.cases is not None:
            args.cases.write_bytes(pickle.dumps(parts))
    fit, held = parts["fit"], parts.get("held-out", [])
    print(f"cases measured or read in {time.perf_counter() - t0:.0f} s; sigma {shipped.sigma}, tones {shipped.tones}")
    for d in [d for d in domains if d != chosen] + [chosen]:
        for c in fit + held:
            c["curve"] = list(np.minimum(c["curves"][d], PSNR_CAP))
            c["level"] = c["levels"][d]
        print(f"\n=== domain {d}")
        if d == shipped_domain and shipped.weights.keys() == set(NAMES):
            s = np.array([shipped.strength(dict(zip(NAMES, row, strict=True))) for row in _x(fit)])
            report("fitting photos, the rule as shipped", fit, s)
        report("fitting photos, leave a fold of photos out", fit, cross_validate(fit))
    theta = fit_theta(fit)
    if held:
        report("held-out photos, rule fitted on the fitting photos", held, _strength(theta, _x(held)))
    if held and chosen == shipped_domain and shipped.weights.keys() == set(NAMES):
        x = _x(held)
        s = np.array([shipped.strength(dict(zip(NAMES, row, strict=True))) for row in x])
        report("held-out photos, the rule as shipped", held, s)
    print(f"\nfitted (domain {chosen}):", {"bias": round(float(theta[0]), 4),
                                         **{n: round(float(w), 4) for n, w in zip(NAMES, theta[1:], strict=True)}})
    if args.write is not None:
        rule = AmountRule(sigma=shipped.sigma, tones=shipped.tones, bias=float(theta[0]),
                          weights={n: float(w) for n, w in zip(NAMES, theta[1:], strict=True)},
                          step=shipped.step, domain=_domain(chosen),
                          fitted_on={"photos": sorted({c["photo"] for c in fit}), "cases": len(fit),
                                     "conditions": sorted({c["condition"] for c in fit}), "clean_cap": CLEAN_CAP})
        save_amount_rule(rule, args.write)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
