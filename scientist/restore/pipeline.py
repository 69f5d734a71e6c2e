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
from .photo import read_photo, to_u8, write_png_atomic
from .weights import load_model

__all__ = ["TilePlan", "choose_device", "plan_tiles", "restore_array", "run_demo"]

#: Height and width fed to the network are padded to a multiple of this.
PAD_MULTIPLE = 8
#: Overlap between neighbouring tiles (pixels), blended with linear ramps.  Measured on a
#: heavy-noise crop: 32 px gives a mean difference to the untiled result of 0.37/255
#: against 0.32/255 for 64 px, at a third less overlap cost.
OVERLAP = 32
#: Memory the network may use for one tile (MiB).  The tile size follows from it, so a
#: photo of any size runs in bounded memory; photos that fit run whole.
WORK_MEMORY_MB = 768
#: Working memory per input pixel of one forward pass (bytes): measured 2,584 (MIMO-UNet) and
#: 2,590 (MIMO-UNet+) with onnxruntime, 2,756 and 2,720 with PyTorch, at 512 px on CPU.
BYTES_PER_PIXEL = {"MIMO-UNet": 2_800, "MIMO-UNet+": 2_800}
#: Prior CPU cost per megapixel of tiles, used only to decide whether to show progress
#: before the speed on this machine is known (2 cores, onnxruntime; see benchmarks/bench_mimo.py).
SECONDS_PER_MP = {"MIMO-UNet": 28.0, "MIMO-UNet+": 66.0}
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
    """Where the tiles of an image lie (every tile is ``tile_h`` x ``tile_w`` or the image, if smaller)."""

    height: int
    width: int
    tile_h: int
    tile_w: int
    overlap: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)

    @property
    def pixels(self) -> int:
        """Pixels the network computes (padded tiles), which is what its time is proportional to."""
        return self.count * _round_up(min(self.tile_h, self.height)) * _round_up(min(self.tile_w, self.width))


def _round_up(n: int) -> int:
    """``n`` padded to the next multiple of :data:`PAD_MULTIPLE`."""
    return n + (-n) % PAD_MULTIPLE


def _spread(length: int, size: int, parts: int) -> tuple[int, ...]:
    if parts <= 1 or size >= length:
        return (0,)
    return tuple(round(i * (length - size) / (parts - 1)) for i in range(parts))


def _side(length: int, parts: int, overlap: int) -> int:
    """Tile side that covers ``length`` in ``parts`` tiles overlapping by at least ``overlap``."""
    if parts <= 1:
        return length
    return min(length, _round_up(math.ceil((length + (parts - 1) * overlap) / parts)))


def plan_tiles(height: int, width: int, tile: int | None = None, overlap: int = OVERLAP,
               max_pixels: int | None = None) -> TilePlan:
    """Cut an image into overlapping tiles.

    ``tile``: square tiles of this side.  Otherwise the grid of rectangular tiles of at most
    ``max_pixels`` each (default: what :data:`WORK_MEMORY_MB` allows MIMO-UNet) that makes the
    network compute the fewest pixels, i.e. the least time lost to overlaps and padding.
    """
    if tile is not None:
        if tile < 64 or tile % PAD_MULTIPLE:
            raise ScientistError(f"tile size must be a multiple of {PAD_MULTIPLE} and at least 64")
        overlap = min(overlap, tile // 4)
        rows = 1 if height <= tile else math.ceil((height - tile) / (tile - overlap)) + 1
        cols = 1 if width <= tile else math.ceil((width - tile) / (tile - overlap)) + 1
        return TilePlan(height, width, tile, tile, overlap, _spread(height, tile, rows), _spread(width, tile, cols))
    if max_pixels is None:
        max_pixels = tile_pixels_for("MIMO-UNet")
    max_pixels = max(max_pixels, 128 * 128)
    best = None
    for rows in range(1, math.ceil(height / 64) + 1):
        th = _side(height, rows, overlap)
        if rows > 1 and th < 2 * overlap + PAD_MULTIPLE:
            break
        cols = max(1, math.ceil(width * th / max_pixels))
        while True:
            tw = _side(width, cols, overlap)
            if th * tw <= max_pixels or (cols > 1 and tw < 2 * overlap + PAD_MULTIPLE):
                break
            cols += 1
        if th * tw > max_pixels:
            continue
        plan = TilePlan(height, width, th, tw, overlap if rows * cols > 1 else 0,
                        _spread(height, th, rows), _spread(width, tw, cols))
        if best is None or (plan.pixels, plan.count) < (best.pixels, best.count):
            best = plan
    if best is None:  # a long thin strip: fall back to square tiles
        side = max(64, int(math.sqrt(max_pixels)) // PAD_MULTIPLE * PAD_MULTIPLE)
        return plan_tiles(height, width, tile=side, overlap=overlap)
    return best


def tile_pixels_for(variant: str, memory_mb: float | None = None) -> int:
    """Largest tile (in pixels) whose forward pass fits the working-memory budget."""
    budget = (memory_mb if memory_mb is not None else WORK_MEMORY_MB) * 2**20
    return int(budget // BYTES_PER_PIXEL.get(variant, max(BYTES_PER_PIXEL.values())))


def _tile_input(crop: np.ndarray) -> np.ndarray:
    """An (h, w, 3) crop as the network's NCHW float32 input, padded to a multiple of 8
    (reflected, or repeated where the crop is too small to reflect)."""
    h, w, _ = crop.shape
    x = torch.from_numpy(np.ascontiguousarray(crop, np.float32)).permute(2, 0, 1)[None]
    ph, pw = _round_up(h) - h, _round_up(w) - w
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect" if ph < h and pw < w else "replicate")
    return x.contiguous().numpy()


def _ramp(length: int, overlap: int, lead: bool, trail: bool) -> np.ndarray:
    r = np.ones(length, np.float32)
    if overlap > 0:
        ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        if lead:
            r[:overlap] = np.minimum(r[:overlap], ramp)
        if trail:
            r[-overlap:] = np.minimum(r[-overlap:], ramp[::-1])
    return r


def _weights_1d(length: int, size: int, starts: tuple[int, ...], overlap: int) -> list[np.ndarray]:
    """The blending ramp of each tile along one axis."""
    out = []
    for start in starts:
        n = min(size, length - start)
        out.append(_ramp(n, overlap, start > 0, start + n < length))
    return out


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
    """Restore an RGB float image (H, W, 3) in [0, 1]; returns a new float32 array, clamped.

    ``runner`` runs the network on one padded tile (see :mod:`.fast`); by default
    the eager PyTorch module does.  Memory beyond the input and the output is one
    tile's worth: the blending weights are separable, so only their row and
    column profiles are kept, and the output is normalised in place.
    """
    from .fast import Runner

    device = device or torch.device("cpu")
    runner = runner or Runner(model, stages, device)
    h, w, _ = img.shape
    plan = plan or plan_tiles(h, w)
    wys = _weights_1d(h, plan.tile_h, plan.ys, plan.overlap)
    wxs = _weights_1d(w, plan.tile_w, plan.xs, plan.overlap)
    out = np.zeros((h, w, 3), np.float32)
    for y, wy in zip(plan.ys, wys, strict=True):
        for x, wx in zip(plan.xs, wxs, strict=True):
            th, tw = len(wy), len(wx)
            res = runner(_tile_input(img[y : y + th, x : x + tw]))[0, :, :th, :tw]
            res = np.clip(res, 0, 1).transpose(1, 2, 0)
            res *= (wy[:, None] * wx[None, :])[..., None]
            out[y : y + th, x : x + tw] += res
            if progress is not None:
                progress()
    # every pixel's weights sum to (sum of row ramps) x (sum of column ramps)
    col_sum = np.zeros(w, np.float32)
    for x, wx in zip(plan.xs, wxs, strict=True):
        col_sum[x : x + len(wx)] += wx
    row_sum = np.zeros(h, np.float32)
    for y, wy in zip(plan.ys, wys, strict=True):
        row_sum[y : y + len(wy)] += wy
    band = 256
    for y in range(0, h, band):
        part = out[y : y + band]
        part /= np.maximum(row_sum[y : y + band, None, None] * col_sum[None, :, None], 1e-8)
        np.clip(part, 0, 1, out=part)
    return out


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


def _as_float(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32) / 255 if a.dtype == np.uint8 else a


def noise_sigma(img: np.ndarray) -> float:
    """No-reference noise estimate (wavelet, scikit-image) on a central crop, 0-255 scale.

    ``img``: float RGB in [0, 1] or 8-bit RGB.
    """
    from skimage.restoration import estimate_sigma

    h, w, _ = img.shape
    s = 768
    y0, x0 = max(0, (h - s) // 2), max(0, (w - s) // 2)
    crop = _as_float(img[y0 : y0 + s, x0 : x0 + s])
    if min(crop.shape[:2]) < 8:
        return 0.0
    return float(estimate_sigma(crop, channel_axis=-1, average_sigmas=True)) * 255


def mean_brightness(img: np.ndarray) -> float:
    """Mean of all channels on the 0-255 scale (float in [0, 1] or 8-bit input)."""
    m = float(img.mean(dtype=np.float64))
    return m if img.dtype == np.uint8 else m * 255


def _crop_boxes(before: np.ndarray, after: np.ndarray) -> list[tuple[str, tuple[int, int, int]]]:
    """A detail-rich and a flat/dark crop (y, x, size), chosen on a coarse grid.

    Scored on a subsample of at most about 2 megapixels, so big photos need little memory.
    """
    h, w, _ = after.shape
    size = max(8, min(160, h // 3, w // 3))
    sub = max(1, min(size // 8, math.ceil(math.sqrt(h * w / 2e6))))
    lum = _as_float(after[::sub, ::sub]).mean(axis=2)
    grad = np.zeros_like(lum)
    grad[:-1, :-1] = np.abs(np.diff(lum, axis=0))[:, :-1] + np.abs(np.diff(lum, axis=1))[:-1, :]
    inlum = _as_float(before[::sub, ::sub]).mean(axis=2)
    best_detail, best_flat = None, None
    step = max(1, size // 2)
    for y in range(0, max(1, h - size + 1), step):
        for x in range(0, max(1, w - size + 1), step):
            ys, xs = slice(y // sub, (y + size) // sub), slice(x // sub, (x + size) // sub)
            cell = grad[ys, xs]
            g = float(cell.mean()) if cell.size else 0.0
            dark = float(inlum[ys, xs].mean()) if cell.size else 0.0
            if best_detail is None or g > best_detail[0]:
                best_detail = (g, y, x)
            flat_score = g + dark
            if best_flat is None or flat_score < best_flat[0]:
                best_flat = (flat_score, y, x)
    return [("detail", (best_detail[1], best_detail[2], size)), ("flat/dark", (best_flat[1], best_flat[2], size))]


def comparison_image(before: np.ndarray, after: np.ndarray) -> Image.Image:
    """Side-by-side before/after plus two zoomed crops, labelled (float or 8-bit RGB input)."""
    from PIL import ImageDraw

    def pil(a: np.ndarray) -> Image.Image:
        return Image.fromarray(to_u8(a))

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
    im = Image.fromarray(to_u8(img)).resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.LANCZOS)
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
    img = before = None
    plan = None
    gain, noise_before, noise_brightened, brightness_before = 1.0, 0.0, 0.0, 0.0
    run = None
    t0 = time.perf_counter()
    for step in workflow.steps:
        if step.op == "load":
            img, _info = read_photo(photo)
            if max_side:
                img = _downscale(img, max_side)
            # the input is kept as 8 bits for the comparison: a quarter of a float copy
            before = to_u8(img)
            noise_before, brightness_before = noise_sigma(img), mean_brightness(img)
        elif step.op == "expose":
            gain = auto_exposure_gain(img)
            if gain > 1.0:
                img = apply_gain(img, gain)
            noise_brightened = noise_sigma(img)
        elif step.op == "pad":
            plan = _plan_for(img, tile, loaded.variant.name)
        elif step.op in MIMOUNet.STAGES:
            if run is None:
                plan = plan or _plan_for(img, tile, loaded.variant.name)
                img, run = _run_model(loaded, img, stages, plan, dev, progress, backend)
        elif step.op == "save":
            write_png_atomic(img, restored_path)
            write_png_atomic(comparison_image(before, img), compare_path)
        if step.op:
            ran.append(step.name)
    seconds = time.perf_counter() - t0
    if img is None or run is None:
        raise ScientistError("the workflow did not load a photo and run the model")
    return Demo(
        input=str(photo), output=str(restored_path), comparison=str(compare_path),
        weights=loaded.label, variant=loaded.variant.name, device=dev.type, backend=run.backend,
        tiles=plan.count, size=[img.shape[1], img.shape[0]], seconds=round(seconds, 2),
        model_seconds=round(run.seconds, 2), estimated_seconds=round(run.estimate, 1),
        gain=round(gain, 3), noise_before=round(noise_before, 3), noise_after=round(noise_sigma(img), 3),
        noise_brightened=round(noise_brightened, 3), brightness_before=round(brightness_before, 2),
        brightness_after=round(mean_brightness(img), 2), steps=ran,
    )


def _plan_for(img: np.ndarray, tile: int | None, variant: str) -> TilePlan:
    return plan_tiles(img.shape[0], img.shape[1], tile, max_pixels=tile_pixels_for(variant))


# --------------------------------------------------------------------------
# speed: measured on this machine, remembered for the next estimate
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelRun:
    """How the network ran: back end, wall time, and the time that was estimated up front."""

    backend: str
    seconds: float
    estimate: float


def _speed_file() -> Path:
    from ..paths import cache_dir

    return cache_dir() / "speed.json"


def _speed_key(variant: str, runner, dev: torch.device) -> str:
    return f"{variant}|{runner.name}|{dev.type}|{torch.get_num_threads()} threads"


def _speeds() -> dict:
    """The speeds remembered in the cache; an unreadable or damaged file counts as none."""
    import json

    try:
        data = json.loads(_speed_file().read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _known_speed(key: str) -> float | None:
    """Seconds per megapixel of tiles measured by earlier runs on this machine, if any."""
    value = _speeds().get(key)
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _remember_speed(key: str, seconds_per_mp: float) -> None:
    import json

    from ..corpus import write_atomic

    data = _speeds()
    data[key] = round(seconds_per_mp, 3)
    path = _speed_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, indent=1, sort_keys=True).encode())
    except OSError:
        pass  # an estimate is a courtesy; never fail a restore over it


def _probe_speed(runner, img: np.ndarray) -> float:
    """Seconds per megapixel on a 256 x 256 crop of the photo (also warms the back end up)."""
    x = _tile_input(img[:256, :256])
    start = time.perf_counter()
    runner(x)
    return (time.perf_counter() - start) / (x.shape[2] * x.shape[3] / 1e6)


def _run_model(loaded, img, stages, plan: TilePlan, dev, progress: bool,
               backend: str) -> tuple[np.ndarray, ModelRun]:
    from .fast import make_runner

    runner = make_runner(loaded.model, stages, dev, backend)
    variant = loaded.variant.name
    mp = img.shape[0] * img.shape[1] / 1e6
    work_mp = plan.pixels / 1e6
    prior = work_mp * SECONDS_PER_MP.get(variant, 60.0) * (0.05 if dev.type == "cuda" else 1)
    key = _speed_key(variant, runner, dev)
    rate = _known_speed(key)
    show = progress and prior > 5 and sys.stderr is not None
    if rate is None and prior > 5 and dev.type == "cpu":
        rate = _probe_speed(runner, img)
    estimate = work_mp * rate if rate is not None else prior
    start = time.perf_counter()
    try:
        if show and plan.count > 1:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            console = Console(stderr=True)
            console.print(f"Restoring {img.shape[1]}x{img.shape[0]} ({mp:.1f} MP) in {plan.count} tiles "
                          f"with {runner.name}; estimated {_duration(estimate)} on {dev.type}"
                          f"{' (from the speed measured on this machine)' if rate is not None else ''}. "
                          f"Use --max-side for a quick preview.")
            with Progress(TextColumn("tiles"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                          TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                          transient=False) as bar:
                task = bar.add_task("restore", total=plan.count)
                out = restore_array(loaded.model, img, stages=stages, plan=plan, device=dev,
                                    progress=lambda: bar.advance(task), runner=runner)
        else:
            out = restore_array(loaded.model, img, stages=stages, plan=plan, device=dev, runner=runner)
    except RuntimeError as exc:  # e.g. out of memory on a device
        raise PhotoError(f"the model failed on this photo ({str(exc).splitlines()[0][:100]})") from None
    seconds = time.perf_counter() - start
    if work_mp >= 0.2:  # small runs measure mostly overheads
        _remember_speed(key, seconds / work_mp)
    return out, ModelRun(runner.name, seconds, estimate)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
