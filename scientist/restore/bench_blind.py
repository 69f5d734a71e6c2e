"""The pipeline as it ships, run blind, against classical baselines: does the restored photo look bright and clean?

Photos never fitted or trained on are darkened and degraded in each condition of
:data:`CONDITIONS` (the benchmark's three strengths, lossless light and heavy noise, and
the clean photo itself), saved as lossless PNGs and restored by :func:`.run.run_demo` with
the settings in force (by default: the brightness step, the network at precision auto and
the strength chosen from the photo), exactly as ``scientist restore`` runs.  Beside it:

- **blind baseline:** the old mean-to-mid-grey brightening and OpenCV non-local means at the
  strength that scores best against the clean photo (its best case; 13 strengths tried);
- **told baseline:** the exact gain (the inverse of the darkening, which a blind method cannot
  know) and non-local means at its best strength.

Photos: natural photos held out by :mod:`.photosets` (with ``natural``: a folder of them), and
those installed with scikit-learn, matplotlib and scikit-image (``china.jpg``, ``flower.jpg`` and
``cell`` chose the old brightness step's design and are marked "tuned").  Reported per photo and
condition: PSNR of ours and of both baselines against the clean photo, the margins, the gain and
strength the pipeline chose, and the mean level (0-255) of ours against the original's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..errors import OptionError, ScientistError
from .bench import BENCH_INSTALL, _nlm, eval_photos
from .degrade import LOSSLESS, STRENGTHS, apply_gain, degrade, downscale_8bit, mean_key_gain

__all__ = ["CONDITIONS", "HELD_OUT", "NATURAL_PARTS", "PSNR_CAP", "ROLES", "TARGETS", "benchmark_photos", "blind_cases",
           "installed_photos", "run_blind_bench"]

#: Photo -> role: "tuned" photos chose the old brightness step's design; "held out" ones only report.  In the order
#: their degradations were first seeded (:data:`SEED_ORDER`).
HELD_OUT = {"china.jpg": "tuned", "flower.jpg": "tuned", "grace_hopper.jpg": "held out", "cell": "tuned",
            "faces": "held out", "mri": "held out", "relief": "held out"}
#: The installed photos in the order their degradations were first seeded: each keeps its seed, and a natural photo
#: is seeded after all of them, whether they are installed or not (so a run of natural photos alone, which needs
#: none of them, restores the same cases).
SEED_ORDER = tuple(HELD_OUT)
#: The role of the held-out natural photos, and of the fitting ones (the brightness step was fitted and the network
#: trained on them: for telling the step's errors from the network's, never for the targets).
NATURAL_ROLE, FITTED_ROLE = "natural", "natural-fitted"
#: Natural photos' part -> their role.
NATURAL_PARTS = {"held-out": NATURAL_ROLE, "fit": FITTED_ROLE}
#: Every role a photo may have.
ROLES = tuple(dict.fromkeys([*HELD_OUT.values(), NATURAL_ROLE, FITTED_ROLE]))
#: A noisy case whose level is within this of the original's counts as brightened right (a diagnosis: how the
#: network fares against the told baseline where the brightness step did not miss).
LEVEL_OK = 0.03
#: Every condition a photo is restored in: the old three strengths first (so their seeds stay as they were).
CONDITIONS = {**STRENGTHS, **LOSSLESS}
#: The highest PSNR a case is given (dB): an output equal to its original counts as this.
PSNR_CAP = 100.0
#: Which conditions count as heavy and light noise for the targets.
HEAVY, LIGHT = ("heavy", "heavy-png"), ("light", "light-png")
NLM_STRENGTHS = (3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20, 24, 30)
#: The targets, on the held-out natural photos: mean margin over a baseline on heavy and on light noise (dB),
#: the worst any heavy or light case may fall below it (dB), the level error's median and maximum, and the clean
#: photos' mean and worst PSNR (dB).
TARGETS = {"heavy_margin": 2.0, "light_margin": 0.5, "worst_margin": -1.0, "level_median": 0.04,
           "level_max": 0.12, "clean_mean": 35.0, "clean_min": 32.0}


def _grey(a: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(a, 0, 1).astype(np.float32)[..., None], 3, -1)


def installed_photos() -> dict[str, np.ndarray]:
    """The benchmark's photos installed with scikit-learn, matplotlib and scikit-image (:data:`HELD_OUT`)."""
    import skimage.data

    try:
        from matplotlib import cbook, cm
        from matplotlib.colors import LightSource
    except ImportError:
        raise ScientistError(
            f"bench-restore needs matplotlib for the blind benchmark's photos; {BENCH_INSTALL}") from None

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
    return {k: v for k, v in photos.items() if k in HELD_OUT}


def benchmark_photos(side: int = 640, natural: str | Path | None = None, part: str = "held-out",
                     installed: bool = True) -> dict[str, np.ndarray]:
    """:func:`installed_photos` (unless not ``installed``), then (with ``natural``) the held-out part of that folder
    of natural photos (or ``part`` "fit", the photos fitted and trained on), each at most ``side`` px."""
    photos = installed_photos() if installed else {}
    if natural is not None:
        from .photosets import load_natural

        photos.update(load_natural(natural, part))
    return {k: downscale_8bit(v.astype(np.float32), side) for k, v in photos.items()}


def blind_cases(side: int = 640, seed: int = 2021, natural: str | Path | None = None,
                conditions: dict | None = None, wanted=lambda role, cond: True, part: str = "held-out"):
    """``(photo, role, condition, params, clean, degraded)`` for every photo and condition that ``wanted(role,
    condition)``, each degraded with its own seeded draw (seeded by its place among all of them, so any benchmark
    and any selection see the same cases); ``conditions`` defaults to :data:`STRENGTHS`, the three the earlier
    benchmarks used; ``part``: which part of ``natural`` (:data:`NATURAL_PARTS`)."""
    conditions = STRENGTHS if conditions is None else conditions
    natural_role = NATURAL_PARTS[part]
    installed = any(wanted(role, cond) for role in set(HELD_OUT.values()) for cond in conditions)
    photos = benchmark_photos(side, natural, part, installed)
    seeded = {name: i for i, name in enumerate([*SEED_ORDER, *(n for n in photos if n not in HELD_OUT)])}
    for name, clean in photos.items():
        role, p_i = HELD_OUT.get(name, natural_role), seeded[name]
        for s_i, (cond, params) in enumerate(conditions.items()):
            if not wanted(role, cond):
                continue
            bad = degrade(clean, params, np.random.default_rng(seed + 10 * p_i + s_i))
            yield name, role, cond, params, clean, bad


def _psnr(clean: np.ndarray, img: np.ndarray) -> float:
    """PSNR in dB, at most :data:`PSNR_CAP` (an image equal to the original would be infinite, which JSON cannot
    hold and a mean cannot take)."""
    from skimage.metrics import peak_signal_noise_ratio

    with np.errstate(divide="ignore"):
        psnr = float(peak_signal_noise_ratio(clean, np.clip(img, 0, 1).astype(np.float32), data_range=1.0))
    return min(psnr, PSNR_CAP)


def _nlm_best(img: np.ndarray, clean: np.ndarray) -> tuple[float, int]:
    """Non-local means at the strength (of :data:`NLM_STRENGTHS`) that scores best against ``clean``:
    (PSNR, strength)."""
    return max((_psnr(clean, _nlm(img, h)), h) for h in NLM_STRENGTHS)


def _shipped(bad: np.ndarray, folder: Path, weights, settings):
    """``bad`` through :func:`.run.run_demo` as ``scientist restore`` runs it: saved as a lossless PNG, restored
    with the settings, read back from the restored PNG.  Returns (restored float image, demo record)."""
    from PIL import Image

    from .run import run_demo

    src = folder / "photo.png"
    Image.fromarray(np.round(np.clip(bad, 0, 1) * 255).astype(np.uint8)).save(src)
    demo = run_demo(src, outputs=(folder / "restored.png", folder / "compare.png"), weights=weights,
                    settings=settings)
    with Image.open(demo.output) as im:
        out = np.asarray(im.convert("RGB"), np.float32) / 255
    return out, demo


def run_blind_bench(weights=None, side: int = 640, seed: int = 2021, settings=None,
                    natural: str | Path | None = None, conditions: tuple[str, ...] | None = None,
                    roles: tuple[str, ...] | None = None, progress=None, part: str = "held-out") -> dict:
    """Run the blind comparison; returns the rows, a summary and a Markdown table.  ``conditions``: names of
    :data:`CONDITIONS` to run, ``roles``: the roles of the photos to run (all by default); ``progress`` is called
    with each finished row; ``part``: which part of ``natural`` joins (:data:`NATURAL_PARTS`; "fit" only to
    diagnose)."""
    from ..settings import load_settings

    settings = settings or load_settings()
    if part not in NATURAL_PARTS:
        raise OptionError(f"invalid natural part {part!r}: use {' or '.join(NATURAL_PARTS)}")
    _known("condition", conditions, CONDITIONS)
    _known("role", roles, ROLES)
    chosen = {k: v for k, v in CONDITIONS.items() if conditions is None or k in conditions}
    rows = []
    with tempfile.TemporaryDirectory(prefix="scientist-bench-") as tmp:
        def wanted(role: str, cond: str) -> bool:
            return cond in chosen and (roles is None or role in roles)

        for name, role, cond, params, clean, bad in blind_cases(side, seed, natural, CONDITIONS, wanted, part):
            original = float(clean.mean(dtype=np.float64) * 255)
            blind_psnr, blind_h = _nlm_best(apply_gain(bad, mean_key_gain(bad)), clean)
            exact = 1 / params.exposure
            told_psnr, told_h = _nlm_best(apply_gain(bad, exact) if exact > 1 else bad, clean)
            ours, demo = _shipped(bad, Path(tmp), weights, settings)
            psnr = _psnr(clean, ours)
            level = float(ours.mean(dtype=np.float64) * 255)
            rows.append({"photo": name, "role": role, "condition": cond, "gain": demo.gain,
                         "brightness": demo.brightness, "gain_doubt": demo.gain_doubt,
                         "gain_doubtful": demo.gain_doubtful, "exact_gain": round(exact, 2), "strength": demo.strength,
                         "noise": demo.noise_brightened, "psnr": round(psnr, 2),
                         "blind_psnr": round(blind_psnr, 2), "blind_h": blind_h,
                         "told_psnr": round(told_psnr, 2), "told_h": told_h,
                         "margin": round(psnr - blind_psnr, 2), "told_margin": round(psnr - told_psnr, 2),
                         "level": round(level, 1), "original_level": round(original, 1),
                         "level_error": round(level / original - 1, 3), "weights": demo.weights,
                         "precision": demo.precision, "backend": demo.backend})
            if progress is not None:
                progress(rows[-1])
    summary = summarize(rows)
    return {"weights": rows[0]["weights"] if rows else "", "rows": rows, "summary": summary,
            "table": _table(rows, summary)}


def _known(what: str, given: tuple[str, ...] | None, taken) -> None:
    """Raise :class:`OptionError` for a name of ``given`` that is none of ``taken`` (a typo ran nothing, exit 0)."""
    unknown = [g for g in given or () if g not in taken]
    if unknown:
        raise OptionError(f"unknown {what} {unknown[0]!r}: use {', '.join(taken)}")


def summarize(rows: list[dict]) -> dict:
    """Per role: the targets' figures (margins over both baselines on heavy and light noise, the worst margin, the
    level error of the noisy cases, the clean photos' PSNR) and whether each target is met."""
    out = {}
    for role in dict.fromkeys(r["role"] for r in rows):
        mine = [r for r in rows if r["role"] == role]
        noisy = [r for r in mine if r["condition"] != "clean"]
        clean = [r for r in mine if r["condition"] == "clean"]
        s: dict = {"photos": len({r["photo"] for r in mine}), "cases": len(mine)}
        for key, base in (("margin", "blind"), ("told_margin", "told")):
            for group, conds in (("heavy", HEAVY), ("light", LIGHT)):
                vals = [r[key] for r in noisy if r["condition"] in conds]
                if vals:
                    s[f"{base}_{group}_mean"] = round(float(np.mean(vals)), 2)
            named = [r[key] for r in noisy if r["condition"] in HEAVY + LIGHT]
            if named:
                s[f"{base}_worst"] = min(named)
            medium = [r[key] for r in noisy if r["condition"] == "medium"]
            if medium:
                s[f"{base}_medium_mean"] = round(float(np.mean(medium)), 2)
        for group, conds in (("heavy", HEAVY), ("light", LIGHT)):  # a diagnosis, not a target
            right = [r["told_margin"] for r in noisy if r["condition"] in conds and abs(r["level_error"]) <= LEVEL_OK]
            if right:
                s[f"told_{group}_level_ok"] = {"mean": round(float(np.mean(right)), 2), "cases": len(right),
                                               "lowest": min(right)}
        if noisy:
            errs = np.abs([r["level_error"] for r in noisy])
            s["level_median"], s["level_max"] = round(float(np.median(errs)), 3), round(float(errs.max()), 3)
            # a diagnosis: how many of the cases off in level the result calls a doubtful guess, and the other way
            limit = TARGETS["level_max"]
            off = [r.get("gain_doubtful", False) for r in noisy if abs(r["level_error"]) > limit]
            said = [abs(r["level_error"]) > limit for r in noisy if r.get("gain_doubtful", False)]
            s["doubt"] = {"off": len(off), "off_said": int(sum(off)), "said": len(said), "said_off": int(sum(said))}
        if clean:
            s["clean_mean"] = round(float(np.mean([r["psnr"] for r in clean])), 2)
            s["clean_min"] = min(r["psnr"] for r in clean)
            s["clean_gain_max"] = max(r["gain"] for r in clean)
        t = TARGETS
        # a target no case of the run measures is not met: it is None ("-"), not True
        checks = {
            "heavy": all(s[f"{b}_heavy_mean"] >= t["heavy_margin"] for b in ("blind", "told"))
                     if "blind_heavy_mean" in s else None,
            "light": all(s[f"{b}_light_mean"] >= t["light_margin"] for b in ("blind", "told"))
                     if "blind_light_mean" in s else None,
            "worst": all(s[f"{b}_worst"] >= t["worst_margin"] for b in ("blind", "told")) if "blind_worst" in s
                     else None,
            "level": s["level_median"] <= t["level_median"] and s["level_max"] <= t["level_max"]
                     if "level_median" in s else None,
            "clean": s["clean_mean"] >= t["clean_mean"] and s["clean_min"] >= t["clean_min"] if clean else None,
        }
        s["met"] = checks
        out[role] = s
    return out


def _pair(s: dict, a: str, b: str, fmt: str = "{:+.2f}") -> str:
    return " / ".join(fmt.format(s[k]) if k in s else "-" for k in (a, b))


def _table(rows: list[dict], summary: dict) -> str:
    lines = ["The pipeline as shipped (run_demo, default settings) against blind brightening + OpenCV NLM at its best "
             "strength (blind) and the exact gain + NLM at its best strength (told); PSNR in dB against the clean "
             "photo; levels 0-255", "",
             "| photo | role | condition | gain (exact; what decided) | strength | ours PSNR | blind PSNR (h) | "
             "margin | told PSNR (h) | margin | level (original) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['photo']} | {r['role']} | {r['condition']} | "
                     f"{r['gain']:.2f} ({r['exact_gain']:.2f}; {r['brightness']}"
                     f"{'; doubtful' if r.get('gain_doubtful') else ''}) | "
                     f"{r['strength']:.2f} | {r['psnr']:.2f} | {r['blind_psnr']:.2f} ({r['blind_h']}) | "
                     f"{r['margin']:+.2f} | {r['told_psnr']:.2f} ({r['told_h']}) | {r['told_margin']:+.2f} | "
                     f"{r['level']:.0f} ({r['original_level']:.0f}, {100 * r['level_error']:+.0f}%) |")
    lines += ["", "| role | photos | heavy: blind / told margin | light: blind / told margin | worst margin blind / "
              "told | level error median / max | clean PSNR mean / min | targets met |",
              "|---|---|---|---|---|---|---|---|"]
    for role, s in summary.items():
        met = ", ".join(f"{k} {'-' if v is None else 'yes' if v else 'NO'}" for k, v in s["met"].items())
        lines.append(f"| {role} | {s['photos']} | {_pair(s, 'blind_heavy_mean', 'told_heavy_mean')} | "
                     f"{_pair(s, 'blind_light_mean', 'told_light_mean')} | {_pair(s, 'blind_worst', 'told_worst')} | "
                     f"{_pair(s, 'level_median', 'level_max', '{:.1%}')} | "
                     f"{_pair(s, 'clean_mean', 'clean_min', '{:.2f}')} | {met} |")
    for role, s in summary.items():
        right = [f"{g} {s[k]['mean']:+.2f} dB ({s[k]['cases']} cases, lowest {s[k]['lowest']:+.2f})"
                 for g in ("heavy", "light") if (k := f"told_{g}_level_ok") in s]
        if right:
            lines += ["", f"{role}: where the level came out within {LEVEL_OK:.0%} of the original's, the margin over "
                          f"the told baseline is {'; '.join(right)}."]
        if "doubt" in s:
            d, limit = s["doubt"], TARGETS["level_max"]
            lines += ["", f"{role}: the result called the gain a doubtful guess in {d['off_said']} of the {d['off']} "
                          f"noisy cases more than {limit:.0%} off in level, and in {d['said']} cases in all "
                          f"({d['said_off']} of them that far off)."]
    t = TARGETS
    lines += ["", f"Targets: heavy >= +{t['heavy_margin']:.1f} dB and light >= +{t['light_margin']:.1f} dB mean over "
              f"each baseline, no heavy or light case below {t['worst_margin']:+.1f} dB, level error median <= "
              f"{t['level_median']:.0%} and max <= {t['level_max']:.0%}, clean photos >= {t['clean_mean']:.0f} dB "
              f"mean and >= {t['clean_min']:.0f} dB each."]
    return "\n".join(lines)
