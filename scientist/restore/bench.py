"""Quality benchmark: the bundled MIMO-UNet against classical baselines.

The three evaluation photos (scikit-learn's ``china.jpg`` and ``flower.jpg``,
matplotlib's ``grace_hopper.jpg``; never used for training) are degraded with
fixed seeds at three strengths.  Reported per photo and strength: PSNR/SSIM of
the degraded input, of the input after the exact brightness correction, of
OpenCV non-local means, BM3D and MIMO-UNet, each applied after that same
correction (the exposure the degradation used), so all three are compared on
removing noise, blur and JPEG artefacts.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import ScientistError
from ..paths import install_hint
from .blend import restore_array
from .degrade import STRENGTHS, apply_gain, degrade
from .weights import load_model

__all__ = ["BENCH_INSTALL", "EVAL_PHOTOS", "eval_photos", "run_bench"]

#: Where the benchmarks' optional packages come from (the photos of scikit-learn and matplotlib, BM3D).
BENCH_INSTALL = f"they come with the project's bench extra: {install_hint('bench')}"


#: The evaluation photos and the package each comes with.
EVAL_PHOTOS = {"china.jpg": "scikit-learn", "flower.jpg": "scikit-learn", "grace_hopper.jpg": "matplotlib"}


def eval_photos(size: int = 0) -> dict[str, np.ndarray]:
    """The evaluation photos that are installed (of :data:`EVAL_PHOTOS`), float32 RGB in [0, 1]."""
    photos: dict[str, np.ndarray] = {}
    try:
        from sklearn.datasets import load_sample_image

        for name in ("china.jpg", "flower.jpg"):
            photos[name] = load_sample_image(name).astype(np.float32) / 255
    except ImportError:
        pass
    try:
        from matplotlib import cbook
        from PIL import Image

        with cbook.get_sample_data("grace_hopper.jpg") as fh:
            photos["grace_hopper.jpg"] = np.asarray(Image.open(fh).convert("RGB"), np.float32) / 255
    except (ImportError, OSError, ValueError):
        pass
    if size:
        out = {}
        for k, v in photos.items():
            h, w, _ = v.shape
            s = min(size, h, w)
            y, x = (h - s) // 2, (w - s) // 2
            out[k] = v[y : y + s, x : x + s]
        photos = out
    return photos


def _metrics(ref: np.ndarray, img: np.ndarray) -> tuple[float, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    img = np.clip(img, 0, 1).astype(np.float32)
    return (float(peak_signal_noise_ratio(ref, img, data_range=1.0)),
            float(structural_similarity(ref, img, data_range=1.0, channel_axis=-1)))


def _nlm(img: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    u8 = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    h = float(np.clip(sigma, 3, 30))
    bgr = cv2.fastNlMeansDenoisingColored(u8[..., ::-1].copy(), None, h, h, 7, 21)
    return bgr[..., ::-1].astype(np.float32) / 255


def _bm3d(img: np.ndarray, sigma: float) -> np.ndarray:
    import bm3d

    return np.asarray(bm3d.bm3d_rgb(img.astype(np.float64), sigma_psd=max(sigma, 1.0) / 255), np.float32)


def run_bench(weights=None, size: int = 0, seed: int = 2021, settings=None) -> dict:
    """Run the benchmark; returns rows, per-method means and a Markdown table."""
    from skimage.restoration import estimate_sigma

    photos = eval_photos(size)
    if not photos:
        raise ScientistError(f"bench-restore needs scikit-learn or matplotlib for its photos; {BENCH_INSTALL}")
    loaded = load_model(weights, settings)
    methods = ["degraded input", "brightness-corrected input", "OpenCV NLM", "BM3D", loaded.variant.name]
    have = {"OpenCV NLM": _has("cv2"), "BM3D": _has("bm3d")}
    rows = []
    times: dict[str, float] = {m: 0.0 for m in methods}
    for p_i, (name, clean) in enumerate(photos.items()):
        for s_i, (strength, params) in enumerate(STRENGTHS.items()):
            rng = np.random.default_rng(seed + 10 * p_i + s_i)
            bad = degrade(clean, params, rng)
            bright = apply_gain(bad, 1 / params.exposure)
            sigma = float(estimate_sigma(bright, channel_axis=-1, average_sigmas=True)) * 255
            outputs = {"degraded input": bad, "brightness-corrected input": bright}
            if have["OpenCV NLM"]:
                t = time.perf_counter()
                outputs["OpenCV NLM"] = _nlm(bright, sigma)
                times["OpenCV NLM"] += time.perf_counter() - t
            if have["BM3D"]:
                t = time.perf_counter()
                outputs["BM3D"] = _bm3d(bright, sigma)
                times["BM3D"] += time.perf_counter() - t
            t = time.perf_counter()
            outputs[loaded.variant.name] = restore_array(loaded.model, bright)
            times[loaded.variant.name] += time.perf_counter() - t
            for m, out in outputs.items():
                psnr, ssim = _metrics(clean, out)
                rows.append({"photo": name, "strength": strength, "method": m,
                             "psnr": round(psnr, 2), "ssim": round(ssim, 4)})
    present = [m for m in methods if any(r["method"] == m for r in rows)]
    means = {m: {"psnr": round(float(np.mean([r["psnr"] for r in rows if r["method"] == m])), 2),
                 "ssim": round(float(np.mean([r["ssim"] for r in rows if r["method"] == m])), 4),
                 "seconds": round(times[m], 1)} for m in present}
    left_out = [f"{name} (needs {package})" for name, package in EVAL_PHOTOS.items() if name not in photos]
    left_out += [f"{m} (needs {'bm3d' if m == 'BM3D' else 'opencv-python-headless'})"
                 for m, ok in have.items() if not ok]
    table = _table(rows, present, means, loaded.variant.name)
    if left_out:
        table += f"\n\nLeft out, as not installed: {', '.join(left_out)}; {BENCH_INSTALL}."
    return {"weights": loaded.label, "variant": loaded.variant.name, "rows": rows, "means": means,
            "left_out": left_out, "table": table}


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _table(rows, methods, means, model_name) -> str:
    head = "| photo | strength | " + " | ".join(methods) + " |"
    lines = ["PSNR (dB) / SSIM against the clean photo", "", head,
             "|" + "---|" * (len(methods) + 2)]
    order = list(STRENGTHS)
    keys = sorted({(r["photo"], r["strength"]) for r in rows}, key=lambda k: (k[0], order.index(k[1])))
    for photo, strength in keys:
        cells = []
        for m in methods:
            r = next(r for r in rows if r["photo"] == photo and r["strength"] == strength and r["method"] == m)
            cells.append(f"{r['psnr']:.2f} / {r['ssim']:.3f}")
        lines.append(f"| {photo} | {strength} | " + " | ".join(cells) + " |")
    mean_cells = [f"**{means[m]['psnr']:.2f} / {means[m]['ssim']:.3f}**" for m in methods]
    lines.append("| **mean** | | " + " | ".join(mean_cells) + " |")
    base = means.get("degraded input", {}).get("psnr")
    best_classic = max((means[m]["psnr"] for m in ("OpenCV NLM", "BM3D") if m in means), default=None)
    lines.append("")
    if base is not None:
        lines.append(f"{model_name} vs degraded input: {means[model_name]['psnr'] - base:+.2f} dB mean PSNR")
    if best_classic is not None:
        gap = means[model_name]["psnr"] - best_classic
        lines.append(f"{model_name} vs best classical baseline: {gap:+.2f} dB mean PSNR")
    lines.append("seconds (all photos): " + ", ".join(f"{m} {means[m]['seconds']}" for m in methods))
    return "\n".join(lines)
