"""Run MIMO-UNet on a photo: the workflow of the model card, executed step by step.

The steps come from the workflow that the answer explains (the model card in
the corpus); each step names an operation (``op``) that is dispatched here, and
the model stages are :attr:`MIMOUNet.STAGES`, run by name.  Large photos are cut
into overlapping tiles that are blended back with linear ramps, so memory stays
bounded and seams do not show.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..answer import Demo, Step, Workflow
from ..errors import OutputError, PhotoError, ScientistError
from .degrade import apply_gain, auto_exposure_gain
from .mimo_unet import MIMOUNet
from .photo import read_photo, write_png_atomic
from .weights import load_model

__all__ = ["TilePlan", "choose_device", "plan_tiles", "restore_array", "run_demo"]

#: Height and width fed to the network are padded to a multiple of this.
PAD_MULTIPLE = 8
#: Default tile side and overlap (pixels); photos up to TILE x TILE run whole.
TILE = 512
OVERLAP = 64
#: CPU cost used for the up-front estimate (seconds per megapixel on 2 cores, measured with
#: benchmarks/bench_mimo.py at 512-pixel tiles; MIMO-UNet+ scaled by its 2.4x parameter count).
SECONDS_PER_MP = {"MIMO-UNet": 50.0, "MIMO-UNet+": 120.0}
#: Ops of the workflow that this module knows how to run.
KNOWN_OPS = {"load", "expose", "pad", "save", *MIMOUNet.STAGES}


def choose_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ScientistError("--device cuda was requested but no CUDA device is available")
        return torch.device("cuda")
    if device == "cpu":
        return torch.device("cpu")
    raise ScientistError(f"unknown device {device!r} (use auto, cpu or cuda)")


# --------------------------------------------------------------------------
# tiling
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class TilePlan:
    """Where the tiles of an image lie."""

    height: int
    width: int
    tile: int
    overlap: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)


def _starts(length: int, tile: int, overlap: int) -> tuple[int, ...]:
    if length <= tile:
        return (0,)
    step = tile - overlap
    n = math.ceil((length - tile) / step) + 1
    # spread the tiles evenly so every overlap is at least `overlap`
    return tuple(round(i * (length - tile) / (n - 1)) for i in range(n))


def plan_tiles(height: int, width: int, tile: int | None = None, overlap: int = OVERLAP) -> TilePlan:
    tile = tile or TILE
    if tile < 64 or tile % PAD_MULTIPLE:
        raise ScientistError(f"tile size must be a multiple of {PAD_MULTIPLE} and at least 64")
    overlap = min(overlap, tile // 4)
    return TilePlan(height, width, tile, overlap, _starts(height, tile, overlap), _starts(width, tile, overlap))


def _pad(x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
    h, w = x.shape[-2:]
    ph, pw = (-h) % PAD_MULTIPLE, (-w) % PAD_MULTIPLE
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, h, w


def _ramp(length: int, overlap: int, lead: bool, trail: bool) -> np.ndarray:
    r = np.ones(length, np.float32)
    if overlap > 0:
        ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        if lead:
            r[:overlap] = np.minimum(r[:overlap], ramp)
        if trail:
            r[-overlap:] = np.minimum(r[-overlap:], ramp[::-1])
    return r


def restore_array(
    model: MIMOUNet,
    img: np.ndarray,
    *,
    stages: tuple[str, ...] = MIMOUNet.STAGES,
    plan: TilePlan | None = None,
    device: torch.device | None = None,
    progress=None,
    runner=None,
) -> np.ndarray:
    """Restore an RGB float image (H, W, 3) in [0, 1]; returns the same shape, clamped.

    ``runner`` runs the network on one padded tile (see :mod:`.fast`); by default
    the eager PyTorch module does.
    """
    from .fast import Runner

    device = device or torch.device("cpu")
    runner = runner or Runner(model, stages, device)
    h, w, _ = img.shape
    plan = plan or plan_tiles(h, w)
    out = np.zeros((h, w, 3), np.float32)
    weight = np.zeros((h, w, 1), np.float32)
    for y in plan.ys:
        for x in plan.xs:
            th, tw = min(plan.tile, h - y), min(plan.tile, w - x)
            crop = img[y : y + th, x : x + tw]
            t = torch.from_numpy(np.ascontiguousarray(crop, np.float32)).permute(2, 0, 1)[None]
            t, ch, cw = _pad(t)
            res = runner(t.contiguous().numpy())[0, :, :ch, :cw]
            res = np.clip(res, 0, 1).transpose(1, 2, 0)
            wy = _ramp(th, plan.overlap, y > 0, y + th < h)
            wx = _ramp(tw, plan.overlap, x > 0, x + tw < w)
            wgt = (wy[:, None] * wx[None, :])[..., None]
            out[y : y + th, x : x + tw] += res * wgt
            weight[y : y + th, x : x + tw] += wgt
            if progress is not None:
                progress()
    return np.clip(out / np.maximum(weight, 1e-8), 0, 1)


# --------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------
def _free_name(folder: Path, name: str, overwrite: bool) -> Path:
    path = folder / name
    if overwrite or not path.exists():
        return path
    stem, suffix = path.stem, path.suffix
    for n in range(2, 10_000):
        cand = folder / f"{stem}-{n}{suffix}"
        if not cand.exists():
            return cand
    raise OutputError(f"{folder}: too many earlier outputs named {name}")


def _output_paths(photo: Path, out: Path | None, out_dir: Path | None, overwrite: bool) -> tuple[Path, Path]:
    if out is not None:
        out = Path(out)
        if out.suffix.lower() != ".png":
            raise OutputError(f"{out.name}: the output must be a .png file")
        if out.exists():
            if out.resolve() == photo.resolve():
                raise OutputError(f"{out}: the output would overwrite the input photo")
            if not overwrite:
                raise OutputError(f"{out}: already exists (pass --overwrite to replace it)")
        folder = out.parent if str(out.parent) else Path(".")
        compare = _free_name(folder, f"{out.stem.removesuffix('_restored')}_compare.png", overwrite)
        restored = out
    else:
        folder = Path(out_dir) if out_dir is not None else photo.parent
        restored = _free_name(folder, f"{photo.stem}_restored.png", overwrite)
        compare = _free_name(folder, f"{photo.stem}_compare.png", overwrite)
    if not folder.is_dir():
        raise OutputError(f"{folder}: output folder does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{folder}: output folder is not writable")
    for p in (restored, compare):
        if p.exists() and p.resolve() == photo.resolve():
            raise OutputError(f"{p}: the output would overwrite the input photo")
    return restored, compare


def noise_sigma(img: np.ndarray) -> float:
    """No-reference noise estimate (wavelet, scikit-image) on a central crop, 0-255 scale."""
    from skimage.restoration import estimate_sigma

    h, w, _ = img.shape
    s = 768
    y0, x0 = max(0, (h - s) // 2), max(0, (w - s) // 2)
    crop = img[y0 : y0 + s, x0 : x0 + s]
    if min(crop.shape[:2]) < 8:
        return 0.0
    return float(estimate_sigma(crop, channel_axis=-1, average_sigmas=True)) * 255


def _crop_boxes(before: np.ndarray, after: np.ndarray) -> list[tuple[str, tuple[int, int, int]]]:
    """A detail-rich and a flat/dark crop (y, x, size), chosen on a coarse grid."""
    h, w, _ = after.shape
    size = max(8, min(160, h // 3, w // 3))
    lum = after.mean(axis=2)
    gy, gx = np.abs(np.diff(lum, axis=0))[:, :-1], np.abs(np.diff(lum, axis=1))[:-1, :]
    grad = gy + gx
    inlum = before.mean(axis=2)
    best_detail, best_flat = None, None
    step = max(1, size // 2)
    for y in range(0, max(1, h - size + 1), step):
        for x in range(0, max(1, w - size + 1), step):
            g = float(grad[y : y + size, x : x + size].mean()) if grad.size else 0.0
            dark = float(inlum[y : y + size, x : x + size].mean())
            if best_detail is None or g > best_detail[0]:
                best_detail = (g, y, x)
            flat_score = g + dark
            if best_flat is None or flat_score < best_flat[0]:
                best_flat = (flat_score, y, x)
    return [("detail", (best_detail[1], best_detail[2], size)), ("flat/dark", (best_flat[1], best_flat[2], size))]


def comparison_image(before: np.ndarray, after: np.ndarray) -> Image.Image:
    """Side-by-side before/after plus two zoomed crops, labelled."""
    from PIL import ImageDraw

    def pil(a: np.ndarray) -> Image.Image:
        return Image.fromarray(np.clip(np.round(a * 255), 0, 255).astype(np.uint8))

    h, w, _ = before.shape
    scale = min(1.0, 640 / max(h, w))
    pw, ph = max(1, round(w * scale)), max(1, round(h * scale))
    b_small = pil(before).resize((pw, ph), Image.Resampling.LANCZOS)
    a_small = pil(after).resize((pw, ph), Image.Resampling.LANCZOS)
    zoom = 256
    boxes = _crop_boxes(before, after)
    label_h, gap = 18, 6
    width = max(2 * pw + gap, 4 * zoom + 3 * gap)
    height = label_h + ph + gap + label_h + zoom
    canvas = Image.new("RGB", (width, height), (32, 32, 32))
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 3), "before", fill=(230, 230, 230))
    draw.text((pw + gap + 4, 3), "after", fill=(230, 230, 230))
    canvas.paste(b_small, (0, label_h))
    canvas.paste(a_small, (pw + gap, label_h))
    top = label_h + ph + gap
    for i, (name, (y, x, s)) in enumerate(boxes):
        for j, (tag, arr) in enumerate((("before", before), ("after", after))):
            crop = pil(arr[y : y + s, x : x + s]).resize((zoom, zoom), Image.Resampling.NEAREST)
            px = (2 * i + j) * (zoom + gap)
            canvas.paste(crop, (px, top + label_h))
            draw.text((px + 4, top + 3), f"{name} {tag} (x{zoom / s:.1f})", fill=(230, 230, 230))
    return canvas


# --------------------------------------------------------------------------
# the demo
# --------------------------------------------------------------------------
def default_workflow() -> Workflow:
    """The workflow of the packaged MIMO-UNet model card."""
    from ..corpus import load_corpus

    rec = next((r for r in load_corpus(include_user=False).records if r.card), None)
    if rec is None:
        raise ScientistError("the packaged corpus has no model card with a workflow")
    steps = [Step(name=s.name, detail=s.detail, stage=s.stage, op=s.op) for s in rec.card.workflow]
    return Workflow(model_id=rec.id, model=rec.title, input=rec.card.input, steps=steps,
                    output=rec.card.output, mermaid="", grounded=True)


def _downscale(img: np.ndarray, max_side: int) -> np.ndarray:
    h, w, _ = img.shape
    if max(h, w) <= max_side:
        return img
    s = max_side / max(h, w)
    im = Image.fromarray(np.clip(np.round(img * 255), 0, 255).astype(np.uint8))
    im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.LANCZOS)
    return np.asarray(im, np.float32) / 255


def run_demo(
    photo: str | Path,
    *,
    workflow: Workflow | None = None,
    out: str | Path | None = None,
    out_dir: str | Path | None = None,
    weights: str | Path | None = None,
    device: str = "auto",
    max_side: int | None = None,
    tile: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    backend: str = "auto",
) -> Demo:
    """Execute the workflow's steps on a photo; write the restored image and a comparison."""
    photo = Path(photo)
    workflow = workflow or default_workflow()
    unknown = [s.op for s in workflow.steps if s.op and s.op not in KNOWN_OPS]
    if unknown:
        raise ScientistError(f"the workflow names operations the demo cannot run: {', '.join(unknown)}")
    stages = tuple(s.op for s in workflow.steps if s.op in MIMOUNet.STAGES)
    if stages != MIMOUNet.STAGES:
        raise ScientistError("the workflow does not run every MIMO-UNet stage in order")
    if max_side is not None and max_side < 8:
        raise ScientistError("--max-side must be at least 8")

    if photo.is_file():  # refuse a bad output before the model loads; a bad photo fails in "load"
        restored_path, compare_path = _output_paths(photo, Path(out) if out else None,
                                                    Path(out_dir) if out_dir else None, overwrite)
    dev = choose_device(device)
    loaded = load_model(weights)
    ran: list[str] = []
    img = before = brightened = None
    plan = None
    gain = 1.0
    t0 = time.perf_counter()
    model_done = False
    for step in workflow.steps:
        if step.op == "load":
            img, _info = read_photo(photo)
            if max_side:
                img = _downscale(img, max_side)
            before = img
        elif step.op == "expose":
            gain = auto_exposure_gain(img)
            if gain > 1.0:
                img = apply_gain(img, gain)
            brightened = img
        elif step.op == "pad":
            plan = plan_tiles(img.shape[0], img.shape[1], tile)
        elif step.op in MIMOUNet.STAGES:
            if not model_done:
                plan = plan or plan_tiles(img.shape[0], img.shape[1], tile)
                img = _run_model(loaded, img, stages, plan, dev, progress, backend)
                model_done = True
        elif step.op == "save":
            write_png_atomic(img, restored_path)
            write_png_atomic(comparison_image(before, img), compare_path)
        if step.op:
            ran.append(step.name)
    seconds = time.perf_counter() - t0
    if img is None or not model_done:
        raise ScientistError("the workflow did not load a photo and run the model")
    return Demo(
        input=str(photo), output=str(restored_path), comparison=str(compare_path),
        weights=loaded.label, variant=loaded.variant.name, device=dev.type, tiles=plan.count,
        size=[img.shape[1], img.shape[0]], seconds=round(seconds, 2), gain=round(gain, 3),
        noise_before=round(noise_sigma(before), 3), noise_after=round(noise_sigma(img), 3),
        noise_brightened=round(noise_sigma(brightened if brightened is not None else before), 3),
        brightness_before=round(float(before.mean()) * 255, 2),
        brightness_after=round(float(img.mean()) * 255, 2), steps=ran,
    )


def _run_model(loaded, img, stages, plan: TilePlan, dev, progress: bool, backend: str) -> np.ndarray:
    from .fast import make_runner

    runner = make_runner(loaded.model, stages, dev, backend)
    mp = img.shape[0] * img.shape[1] / 1e6
    estimate = mp * SECONDS_PER_MP.get(loaded.variant.name, 20.0) * (0.05 if dev.type == "cuda" else 1)
    if progress and estimate > 2 and plan.count > 1 and sys.stderr is not None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        console = Console(stderr=True)
        console.print(f"Restoring {img.shape[1]}x{img.shape[0]} ({mp:.1f} MP) in {plan.count} tiles; "
                      f"estimated {estimate:.0f} s on {dev.type}. Use --max-side for a quick preview.")
        with Progress(TextColumn("tiles"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                      transient=False) as bar:
            task = bar.add_task("restore", total=plan.count)
            return restore_array(loaded.model, img, stages=stages, plan=plan, device=dev,
                                 progress=lambda: bar.advance(task), runner=runner)
    try:
        return restore_array(loaded.model, img, stages=stages, plan=plan, device=dev, runner=runner)
    except RuntimeError as exc:  # e.g. out of memory on a device
        raise PhotoError(f"the model failed on this photo ({str(exc).splitlines()[0][:100]})") from None
