"""Photo -> restored photo: execute a workflow's steps on a photo.

The steps come from the workflow the answer explains (the model card in the
corpus, handed in by the caller); each names an operation (``op``) dispatched
here, and the model stages are :attr:`MIMOUNet.STAGES`, run by name.  Called
without steps, the operations run in their own order under their own names.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image

from ..errors import PhotoError, ScientistError, first_line
from ..settings import Settings, load_settings
from .amount import amount_fields, check_strength, restore_amount
from .blend import restore_array
from .compare import comparison_image, mean_brightness, noise_sigma
from .degrade import apply_gain
from .exposure import estimate_gain
from .mimo_unet import MIMOUNet
from .outputs import check_outputs, output_format, output_paths
from .photo import read_photo
from .precision import choose_precision
from .record import Demo, ProgressEvent, ProgressFn
from .save import FORMATS, exif_for_output, to_u8, write_image_atomic
from .speed import known_speed, prior_seconds, probe_speed, remember_speed, speed_key
from .tiles import TilePlan, plan_tiles, tile_pixels
from .weights import LoadedModel, load_model

__all__ = ["DEFAULT_STEPS", "KNOWN_OPS", "OpStep", "choose_device", "memory_budget_mb", "run_demo"]


class StepLike(Protocol):
    """What the demo needs of a workflow step: its name and the operation it runs."""

    name: str
    op: str | None


@dataclass(frozen=True)
class OpStep:
    name: str
    op: str


#: Operations this module knows how to run, in their natural order.
DEFAULT_STEPS = tuple(OpStep(op, op) for op in ("load", "expose", "pad", *MIMOUNet.STAGES, "save"))
KNOWN_OPS = frozenset(s.op for s in DEFAULT_STEPS)


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


def _downscale(img: np.ndarray, max_side: int) -> np.ndarray:
    """Lanczos downscaling of float RGB, channel by channel in floating point (16-bit photos stay 16-bit)."""
    h, w, _ = img.shape
    if max(h, w) <= max_side:
        return img
    s = max_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    channels = [np.asarray(Image.fromarray(np.ascontiguousarray(img[..., c], dtype=np.float32)).resize(
        size, Image.Resampling.LANCZOS), np.float32) for c in range(3)]
    return np.clip(np.stack(channels, axis=-1), 0, 1)


def _check_steps(steps: Sequence[StepLike]) -> tuple[str, ...]:
    unknown = [s.op for s in steps if s.op and s.op not in KNOWN_OPS]
    if unknown:
        raise ScientistError(f"the workflow names operations the demo cannot run: {', '.join(unknown)}")
    stages = tuple(s.op for s in steps if s.op in MIMOUNet.STAGES)
    if stages != MIMOUNet.STAGES:
        raise ScientistError("the workflow does not run every MIMO-UNet stage in order")
    return stages


def run_demo(
    photo: str | Path,
    *,
    steps: Sequence[StepLike] | None = None,
    out: str | Path | None = None,
    out_dir: str | Path | None = None,
    weights: str | Path | None = None,
    device: str | None = None,
    backend: str | None = None,
    precision: str | None = None,
    max_side: int | None = None,
    tile: int | None = None,
    overwrite: bool = False,
    strength: float | str | None = None,
    image_format: str | None = None,
    quality: int | None = None,
    outputs: tuple[Path, Path] | None = None,
    read: tuple[np.ndarray, dict] | None = None,
    progress: ProgressFn | None = None,
    settings: Settings | None = None,
) -> Demo:
    """Execute the steps on a photo; write the restored image and a comparison.

    ``device``, ``backend``, ``precision``, the tiling budget, ``strength``, ``image_format``
    (png, tiff, jpg) and ``quality`` (JPEG's) default to the settings;
    ``outputs``: the restored image's and the comparison's paths when the caller
    has chosen them (many photos), else they follow ``out``/``out_dir``;
    ``read``: the photo as :func:`~.photo.read_photo` returned it, when the caller
    has read it already (then the load step uses it instead of reading again);
    ``progress`` receives :class:`ProgressEvent`\\ s while the network runs.
    The restored image keeps the photo's EXIF (Orientation 1, no thumbnail), its
    ICC profile and, in PNG and TIFF, its 16 bits per channel.
    """
    settings = settings or load_settings()
    photo = Path(photo)
    steps = tuple(steps) if steps is not None else DEFAULT_STEPS
    stages = _check_steps(steps)
    if max_side is not None and max_side < 8:
        raise ScientistError("--max-side must be at least 8")
    strength = check_strength(settings.strength if strength is None else strength)
    fmt = output_format(Path(outputs[0]) if outputs else Path(out) if out else None, image_format,
                        settings.output_format)
    if quality is not None and not 1 <= quality <= 100:
        raise ScientistError("--quality must be between 1 and 100")
    if quality is not None and fmt != "jpg":
        warnings.warn("--quality applies to JPEG output only", stacklevel=2)
    quality = quality or settings.jpeg_quality

    if photo.is_file():  # refuse a bad output before the model loads; a bad photo fails in "load"
        if outputs is not None:
            restored_path, compare_path = Path(outputs[0]), Path(outputs[1])
            check_outputs(photo, restored_path, compare_path)
        else:
            restored_path, compare_path = output_paths(photo, Path(out) if out else None,
                                                       Path(out_dir) if out_dir else None, overwrite, FORMATS[fmt])
    dev = choose_device(device or settings.device)
    backend = backend or settings.backend
    prec = choose_precision(precision or settings.precision, dev, backend)
    loaded = load_model(weights, settings)
    ran: list[str] = []
    img = before = exposed = None
    info: dict = {}
    bit_depth, metadata = 8, []
    plan = None
    gain, noise_before, noise_brightened, brightness_before = 1.0, 0.0, 0.0, 0.0
    run = amount = None
    t0 = time.perf_counter()
    for step in steps:
        if step.op == "load":
            img, info = read if read is not None else read_photo(photo)
            read = None
            if max_side:
                img = _downscale(img, max_side)
            # the input is kept as 8 bits for the comparison: a quarter of a float copy
            before = to_u8(img)
            noise_before, brightness_before = noise_sigma(img), mean_brightness(img)
        elif step.op == "expose":
            gain = estimate_gain(img)
            if gain > 1.0:
                img = apply_gain(img, gain)
            noise_brightened = noise_sigma(img) if gain > 1.0 else noise_before
        elif step.op == "pad":
            plan = _plan_for(img, tile, loaded, settings, dev, prec)
        elif step.op in MIMOUNet.STAGES:
            if run is None:
                plan = plan or _plan_for(img, tile, loaded, settings, dev, prec)
                exposed = img  # the network returns a new array; how much of its change to keep is decided at save
                img, run = _run_model(loaded, img, stages, plan, dev, backend, prec, progress, settings.cache_dir)
        elif step.op == "save":
            if exposed is not None:
                amount = restore_amount(img, exposed, strength, noise_brightened, gain)
                exposed = None
            bit_depth, metadata = _save(img, before, info, restored_path, compare_path, fmt, quality)
        if step.op:
            ran.append(step.name)
    seconds = time.perf_counter() - t0
    if img is None or run is None:
        raise ScientistError("the workflow did not load a photo and run the model")
    return Demo(
        input=str(photo), output=str(restored_path), comparison=str(compare_path),
        weights=loaded.label, variant=loaded.variant.name, device=dev.type, backend=run.backend, precision=prec,
        tiles=plan.count, size=[img.shape[1], img.shape[0]], seconds=round(seconds, 2),
        model_seconds=round(run.seconds, 2), estimated_seconds=round(run.estimate, 1),
        gain=round(gain, 3), noise_before=round(noise_before, 3), noise_after=round(noise_sigma(img), 3),
        noise_brightened=round(noise_brightened, 3), brightness_before=round(brightness_before, 2),
        brightness_after=round(mean_brightness(img), 2), steps=ran, format=fmt,
        bit_depth=bit_depth, metadata=metadata, **amount_fields(amount, strength),
    )


def _save(img: np.ndarray, before: np.ndarray, info: dict, restored: Path, compare: Path, fmt: str,
          quality: int) -> tuple[int, list[str]]:
    """Write the comparison, then the restored image with the photo's metadata; returns (bit depth, metadata kept).

    The restored image is written last, so that its presence means both are complete;
    if it cannot be written, the comparison written here is removed again.
    """
    h, w, _ = img.shape
    exif = exif_for_output(info.get("exif"), w, h)
    icc = info.get("icc_profile")
    bit_depth = 16 if info.get("bit_depth") == 16 and fmt != "jpg" else 8
    existed = compare.exists()
    if bit_depth == 8:  # one 8-bit copy serves the comparison and the output
        img = to_u8(img)
    write_image_atomic(comparison_image(before, img), compare, icc=icc)
    try:
        write_image_atomic(img, restored, fmt=fmt, bit_depth=bit_depth, quality=quality, exif=exif, icc=icc)
    except BaseException:
        if not existed:
            compare.unlink(missing_ok=True)
        raise
    return bit_depth, [name for name, data in (("exif", exif), ("icc", icc)) if data]


def memory_budget_mb(device: torch.device, settings: Settings) -> float:
    """Working memory for one tile: the setting on CPU; on CUDA, most of the device's free memory
    (so a photo runs as one whole frame whenever it fits)."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return max(settings.work_memory_mb, 0.8 * free / 2**20)
    return settings.work_memory_mb


def _plan_for(img: np.ndarray, tile: int | None, loaded: LoadedModel, settings: Settings, device: torch.device,
              precision: str) -> TilePlan:
    return plan_tiles(img.shape[0], img.shape[1], tile, overlap=settings.tile_overlap,
                      max_pixels=tile_pixels(memory_budget_mb(device, settings), precision, device.type),
                      multiple=loaded.variant.cls.size_multiple)


@dataclass(frozen=True)
class ModelRun:
    """How the network ran: back end, wall time, and the time that was estimated up front."""

    backend: str
    seconds: float
    estimate: float


def _run_model(loaded: LoadedModel, img: np.ndarray, stages: tuple[str, ...], plan: TilePlan,
               dev: torch.device, backend: str, precision: str, progress: ProgressFn | None,
               cache: Path) -> tuple[np.ndarray, ModelRun]:
    from .runners import make_runner

    runner = make_runner(loaded.model, dev, backend, stages=stages, cache=cache, precision=precision)
    variant = loaded.variant.name
    work_mp = plan.pixels / 1e6
    prior = prior_seconds(variant, work_mp, dev, precision)
    key = speed_key(variant, runner, dev)
    rate = known_speed(cache, key)
    measured = rate is not None
    if rate is None and prior > 5 and dev.type == "cpu":
        rate, measured = probe_speed(runner, img, plan.multiple), True
    estimate = work_mp * rate if rate is not None else prior
    long_run = max(prior, estimate) > 5
    h, w, _ = img.shape
    start = time.perf_counter()
    done = 0

    def event(kind: str) -> None:
        if progress is not None:
            progress(ProgressEvent(kind, done, plan.count, w, h, runner.name, dev.type, estimate, measured,
                                   long_run, time.perf_counter() - start))

    def tile_done() -> None:
        nonlocal done
        done += 1
        event("tile")

    event("start")
    try:
        out = restore_array(loaded.model, img, plan=plan, runner=runner, progress=tile_done)
    except RuntimeError as exc:  # e.g. out of memory on a device
        raise PhotoError(f"the model failed on this photo ({first_line(exc, 100)})") from None
    seconds = time.perf_counter() - start
    event("done")
    if work_mp >= 0.2:  # small runs measure mostly overheads
        remember_speed(cache, key, seconds / work_mp)
    return out, ModelRun(runner.name, seconds, estimate)
