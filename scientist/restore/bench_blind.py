"""The whole pipeline run blind, against a classical baseline: does the restored photo look bright and clean?

Photos held out from training (never in ``train.TRAIN_PHOTOS``, neither for the
network nor for the brightness regression) are darkened and degraded with the
benchmark's three strengths.  Two pipelines see only the degraded photo:

- **ours:** the demo's own stages: its brightness step (:func:`.exposure.estimate_gain`) and MIMO-UNet as a
  restore runs it here (precision, back end, tiles);
- **baseline:** the old mean-to-mid-grey brightening and OpenCV non-local means at the
  strength that scores best against the clean photo (its best case; 13 strengths tried).

Reported per photo and strength: PSNR of both against the clean photo, our margin,
the mean level (0-255) of ours against the original's, and, for comparison, the PSNR
of the network after the old brightening (the demo's step before this one).  The targets: a margin of
at least 1 dB and a mean level within 25 % of the original on every photo.
"""

from __future__ import annotations

import numpy as np

from .bench import _nlm, eval_photos
from .degrade import STRENGTHS, apply_gain, degrade, downscale_8bit, mean_key_gain

__all__ = ["HELD_OUT", "blind_cases", "held_out_photos", "run_blind_bench"]

#: Photo -> role: "tuned" photos chose the brightness step's design (aim, statistics); "held out" ones only report.
HELD_OUT = {"china.jpg": "tuned", "flower.jpg": "tuned", "cell": "tuned", "grace_hopper.jpg": "held out",
            "faces": "held out", "mri": "held out", "relief": "held out"}
NLM_STRENGTHS = (3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20, 24, 30)
MARGIN_DB, LEVEL_TOLERANCE = 1.0, 0.25


def _grey(a: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(a, 0, 1).astype(np.float32)[..., None], 3, -1)


def held_out_photos(side: int = 640) -> dict[str, np.ndarray]:
    """The held-out photos installed with scikit-learn, matplotlib and scikit-image, at most ``side`` px."""
    import skimage.data
    from matplotlib import cbook, cm
    from matplotlib.colors import LightSource

    photos = dict(eval_photos())
    photos["cell"] = _grey(skimage.data.cell() / 255.0)  # a dark microscopy scene with no near-white
    faces = skimage.data.lfw_subset()[:100]  # 100 small face photos as one mosaic
    mosaic = faces.reshape(10, 10, 25, 25).transpose(0, 2, 1, 3).reshape(250, 250)
    photos["faces"] = _grey(np.kron(mosaic, np.ones((2, 2))))
    with cbook.get_sample_data("s1045.ima.gz") as fh:  # an MRI slice (matplotlib opens the .gz itself)
        scan = np.frombuffer(fh.read(), np.uint16).reshape(256, 256).astype(np.float32)
    photos["mri"] = np.round(_grey(scan / np.percentile(scan, 99.9)) * 255) / 255
    dem = cbook.get_sample_data("jacksboro_fault_dem.npz")  # an elevation map, shaded as relief
    relief = LightSource(azdeg=315, altdeg=45).shade(dem["elevation"], cmap=cm.gist_earth, vert_exag=0.05,
                                                     blend_mode="overlay", dx=float(dem["dx"]), dy=float(dem["dy"]))
    photos["relief"] = (np.round(relief[..., :3] * 255) / 255).astype(np.float32)
    return {k: downscale_8bit(v.astype(np.float32), side) for k, v in photos.items() if k in HELD_OUT}


def blind_cases(side: int = 640, seed: int = 2021):
    """``(photo, role, strength, params, clean, degraded)`` for every photo of :data:`HELD_OUT` and every
    strength, each degraded with its own seeded draw (so any benchmark sees the same cases)."""
    for p_i, (name, clean) in enumerate(held_out_photos(side).items()):
        for s_i, (strength, params) in enumerate(STRENGTHS.items()):
            bad = degrade(clean, params, np.random.default_rng(seed + 10 * p_i + s_i))
            yield name, HELD_OUT[name], strength, params, clean, bad


def _psnr(clean: np.ndarray, img: np.ndarray) -> float:
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(clean, np.clip(img, 0, 1).astype(np.float32), data_range=1.0))


def _nlm_best(img: np.ndarray, clean: np.ndarray) -> tuple[float, int]:
    """Non-local means at the strength (of :data:`NLM_STRENGTHS`) that scores best against ``clean``:
    (PSNR, strength)."""
    return max((_psnr(clean, _nlm(img, h)), h) for h in NLM_STRENGTHS)


def run_blind_bench(weights=None, side: int = 640, seed: int = 2021, settings=None) -> dict:
    """Run the blind comparison; returns the rows, a summary and a Markdown table.

    Ours runs through the shipped stages (:mod:`.stages`): the brightness step, then the network with the
    precision, back end and tiles a restore picks on this machine.
    """
    from pathlib import Path

    from ..settings import load_settings
    from .stages import Photo, Restorer, expose, load

    restorer = Restorer(settings or load_settings(), weights=weights)

    def pipeline(img: np.ndarray, name: str, brighten: bool = True) -> tuple[np.ndarray, float]:
        """The restored image and the gain the brightness step chose (``brighten=False``: the photo as given)."""
        exposed = expose(load(Photo(Path(name), img, {})), brighten=brighten)
        return restorer.restore(exposed).img, exposed.gain

    rows = []
    for name, role, strength, params, clean, bad in blind_cases(side, seed):
        original = float(clean.mean(dtype=np.float64) * 255)
        old_bright = apply_gain(bad, mean_key_gain(bad))
        base_psnr, h = _nlm_best(old_bright, clean)
        ours, gain = pipeline(bad, name)
        old_psnr = _psnr(clean, pipeline(old_bright, name, brighten=False)[0])
        level = float(ours.mean(dtype=np.float64) * 255)
        ours_psnr = _psnr(clean, ours)
        rows.append({"photo": name, "role": role, "strength": strength, "gain": round(gain, 2),
                     "exact_gain": round(1 / params.exposure, 2), "baseline_psnr": round(base_psnr, 2),
                     "baseline_h": h, "psnr": round(ours_psnr, 2), "margin": round(ours_psnr - base_psnr, 2),
                     "old_step_psnr": round(old_psnr, 2), "old_step_margin": round(old_psnr - base_psnr, 2),
                     "level": round(level, 1), "original_level": round(original, 1),
                     "level_error": round(level / original - 1, 3)})
    for r in rows:
        r["ok"] = r["margin"] >= MARGIN_DB and abs(r["level_error"]) <= LEVEL_TOLERANCE
    summary = {"cases": len(rows), "passed": sum(r["ok"] for r in rows),
               "old_step_min_margin": min(r["old_step_margin"] for r in rows),
               "min_margin": min(r["margin"] for r in rows), "mean_margin": round(float(np.mean(
                   [r["margin"] for r in rows])), 2), "worst_level_error": max(abs(r["level_error"]) for r in rows)}
    return {"weights": restorer.loaded.label, "precision": restorer.precision, "backend": restorer.runner.name,
            "rows": rows, "summary": summary, "table": _table(rows, summary)}


def _table(rows: list[dict], summary: dict) -> str:
    lines = ["Blind pipeline vs blind brightening + OpenCV NLM at its best strength (PSNR in dB against the clean "
             "photo; levels 0-255)", "",
             "| photo | role | strength | gain (exact) | baseline PSNR (h) | ours PSNR | margin | level (original) | | "
             "old step: PSNR (margin) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['photo']} | {r['role']} | {r['strength']} | {r['gain']:.2f} ({r['exact_gain']:.2f}) | "
                     f"{r['baseline_psnr']:.2f} ({r['baseline_h']}) | {r['psnr']:.2f} | {r['margin']:+.2f} | "
                     f"{r['level']:.0f} ({r['original_level']:.0f}, {100 * r['level_error']:+.0f}%) | "
                     f"{'ok' if r['ok'] else 'MISS'} | {r['old_step_psnr']:.2f} ({r['old_step_margin']:+.2f}) |")
    lines += ["", f"{summary['passed']} of {summary['cases']} cases meet both targets (margin >= {MARGIN_DB:.0f} dB, "
              f"level within {100 * LEVEL_TOLERANCE:.0f}%); margin min {summary['min_margin']:+.2f} dB, mean "
              f"{summary['mean_margin']:+.2f} dB; worst level error {100 * summary['worst_level_error']:.0f}%",
              f"With the old brightening step the network's margin was at least "
              f"{summary['old_step_min_margin']:+.2f} dB."]
    return "\n".join(lines)
