"""Could the blend strength be chosen automatically?  A measurement, not a feature.

At light noise the bundled network smooths detail, so blending its output back towards the
brightened input (``--strength`` below 1) can raise PSNR a lot, while at heavier noise full
strength is best.  This script asks whether statistics a restore can compute blind (the input's
noise figure, the detail energy of input and output at two wavelet scales, how far the network
moved the level) predict the best strength well enough to use by default.

Cases: the blind benchmark's own cases (:func:`scientist.restore.bench_blind.blind_cases`: its
photos, strengths and noise draws) and the 20 training photos at half the size, each at the three
strengths.  For every case the PSNR of the blend is computed at strengths 0, 0.1 ... 1 (the
baseline is strength 1, today's default).  A ridge regression from the statistics to the best
strength is fitted on the training and tuned photos and scored leave-one-photo-out; it is then
fitted on all of them and scored on the held-out photos.

    python benchmarks/bench_auto_strength.py [--side 640]

Prints, per group, the mean and worst PSNR change against strength 1 (dB), the number of cases
that lose or gain more than 0.5 dB, and the ceiling: the best strength chosen with the clean photo.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from scientist.restore.bench_blind import _psnr, blind_cases
from scientist.restore.compare import noise_sigma

STRENGTH_GRID = np.linspace(0.0, 1.0, 11)


def _statistics(inp: np.ndarray, out: np.ndarray) -> list[float]:
    """What a restore knows blind: noise figure, detail energy of input and output, level change."""
    import pywt

    ci = pywt.wavedec2(inp.mean(-1), "db1", level=2)
    co = pywt.wavedec2(out.mean(-1), "db1", level=2)
    sigma = max(noise_sigma(inp) / 255, 1e-6)

    def energy(bands) -> float:
        return float(np.mean([np.mean(b ** 2) for b in bands[:2]]))

    return [np.log(sigma * 255), np.log(energy(ci[-1]) / sigma ** 2), np.log(energy(ci[-2]) / sigma ** 2),
            np.log(energy(co[-1]) / max(energy(ci[-1]), 1e-12)), np.log(energy(co[-2]) / max(energy(ci[-2]), 1e-12)),
            np.log(noise_sigma(out) + 1e-3), abs(float(out.mean() - inp.mean())) * 255,
            float(np.std(out - inp)) * 255]


def _training_cases(side: int, seed: int = 7):
    """The 20 training photos at the three strengths, in :func:`blind_cases`' form."""
    from scientist.restore.degrade import STRENGTHS, degrade, downscale_8bit
    from scientist.restore.train import load_training_photos

    for p_i, photo in enumerate(load_training_photos()):
        clean = downscale_8bit(photo, side)
        for s_i, (strength, params) in enumerate(STRENGTHS.items()):
            bad = degrade(clean, params, np.random.default_rng(seed + 10 * p_i + s_i))
            yield f"train{p_i}", "training", strength, params, clean, bad


def _cases(side: int) -> list[dict]:
    import itertools
    from pathlib import Path

    from scientist.restore.stages import Photo, Restorer, expose, load
    from scientist.settings import load_settings

    restorer = Restorer(load_settings())  # the shipped stages: precision, back end and tiles as a restore picks
    cases = []
    for name, role, strength, _params, clean, bad in itertools.chain(blind_cases(side), _training_cases(side // 2)):
        exposed = expose(load(Photo(Path(name), bad, {})))
        inp, out = exposed.img, restorer.restore(exposed).img
        psnrs = [_psnr(clean, a * out + (1 - a) * inp) for a in STRENGTH_GRID]
        cases.append({"photo": name, "role": role, "strength": strength, "x": _statistics(inp, out), "psnr": psnrs})
    return cases


def _model():
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), Ridge(1.0))


def _change(model, cases: list[dict]) -> np.ndarray:
    """PSNR at the predicted strength minus PSNR at strength 1, per case."""
    pred = np.clip(model.predict(np.array([c["x"] for c in cases])), 0, 1)
    idx = np.rint(pred * (len(STRENGTH_GRID) - 1)).astype(int)
    return np.array([c["psnr"][i] - c["psnr"][-1] for c, i in zip(cases, idx, strict=True)])


def _best(cases: list[dict]) -> np.ndarray:
    return np.array([float(STRENGTH_GRID[int(np.argmax(c["psnr"]))]) for c in cases])


def _line(label: str, change: np.ndarray, ceiling: np.ndarray) -> str:
    return (f"{label:42} n={len(change):3}  mean {change.mean():+.2f} dB  worst {change.min():+.2f} dB  "
            f"lose>0.5: {(change < -0.5).sum():2}  gain>0.5: {(change > 0.5).sum():2}  "
            f"(ceiling: mean {ceiling.mean():+.2f} dB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--side", type=int, default=640, help="longest side of the benchmark photos (training: half)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    cases = _cases(args.side)
    fit = [c for c in cases if c["role"] != "held out"]
    held = [c for c in cases if c["role"] == "held out"]
    ceiling = {id(c): max(c["psnr"]) - c["psnr"][-1] for c in cases}
    cv = np.zeros(len(fit))
    for photo in sorted({c["photo"] for c in fit}):
        rest = [c for c in fit if c["photo"] != photo]
        mine = [i for i, c in enumerate(fit) if c["photo"] == photo]
        model = _model().fit(np.array([c["x"] for c in rest]), _best(rest))
        cv[mine] = _change(model, [fit[i] for i in mine])
    model = _model().fit(np.array([c["x"] for c in fit]), _best(fit))
    on_held = _change(model, held)
    print(f"{len(cases)} cases ({len(fit)} training/tuned, {len(held)} held out) in {time.perf_counter() - t0:.0f} s")
    print("PSNR change against the baseline (strength 1 everywhere):")
    print(_line("training+tuned, leave one photo out", cv, np.array([ceiling[id(c)] for c in fit])))
    print(_line("held out, fitted on training+tuned", on_held, np.array([ceiling[id(c)] for c in held])))
    for c, d in zip(held, on_held, strict=True):
        best = STRENGTH_GRID[int(np.argmax(c["psnr"]))]
        print(f"  {c['photo']:18} {c['strength']:6} {d:+.2f} dB (best strength {best:.1f})")


if __name__ == "__main__":
    main()
