"""The restore pipeline's stages: functions over explicit records, shared by every way of running it.

    Photo --load--> Loaded --expose--> Exposed --Restorer.restore--> Restored --save--> Saved --> Demo

Each stage takes the record the one before made and returns a new one; a record holds
one full-size image (the stage's result) and the figures measured so far, so memory
stays what one photo needs.  :class:`Restorer` is the long-lived part: it holds the
loaded weights and the runner on its device, in its precision, so that many photos load
and warm them once.  :func:`.run.restore_photo` composes the stages for one photo (the
workflow's steps checked against them); the batch executors (:mod:`.executor`,
:mod:`.cluster`) compose the very same functions for many photos, in one thread,
in several threads beside one network, or in Ray actors.

torch is imported by :class:`Restorer` only, so reading and checking photos does not load it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ..errors import OptionError, PhotoError, ScientistError, first_line, shown
from ..settings import Settings
from . import photo as photos
from .amount import amount_fields, restore_amount
from .compare import comparison_image, mean_brightness, measurable, noise_sigma
from .degrade import apply_gain
from .exposure import judge_gain
from .record import Brightness, Demo, ProgressEvent, ProgressFn
from .save import carried, exif_for_output, fitting_exif, make_grey, to_u8, write_image_atomic

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from .outputs import Targets
    from .tiles import TilePlan

__all__ = ["Exposed", "Loaded", "Photo", "Restored", "Restorer", "Saved", "choose_device", "expose",
           "load", "memory_budget_mb", "save"]


# ---------------------------------------------------------------- records
@dataclass(frozen=True, eq=False)
class Photo:
    """A photo as read (:func:`~.photo.read_photo`): its path, its pixels (float RGB in [0, 1], upright) and
    ``info`` (format, bit depth, EXIF, ICC profile...).  A path-like object: it names its file."""

    path: Path
    pixels: np.ndarray
    info: dict
    seconds: float = 0.0  # how long reading took

    def __fspath__(self) -> str:
        return str(self.path)

    @classmethod
    def read(cls, path: str | Path) -> Photo:
        """Read a photo; raises :class:`PhotoError` with one sentence."""
        start = time.perf_counter()
        pixels, info = photos.read_photo(path)  # looked up when called: one place to stand in for the reader
        return cls(Path(path), pixels, info, time.perf_counter() - start)

    def compact(self) -> Photo:
        """The same photo holding its pixels as 8 bits when that loses nothing (a quarter of the memory), for
        photos that wait before they are restored."""
        if self.pixels.dtype == np.uint8:
            return self
        small = to_u8(self.pixels)
        if not np.array_equal(small.astype(np.float32) / np.float32(255), self.pixels):
            return self
        return Photo(self.path, small, self.info, self.seconds)

    def rgb(self) -> np.ndarray:
        """The pixels as float RGB in [0, 1]."""
        if self.pixels.dtype == np.uint8:
            return self.pixels.astype(np.float32) / np.float32(255)
        return self.pixels

    def check(self) -> Photo:
        """This photo, if its pixels are what :meth:`read` gives (a height x width x 3 array, 8-bit or float32
        within [0, 1]); raises :class:`PhotoError` for a photo made by hand that is not."""
        px = self.pixels
        where = shown(self.path)
        if not isinstance(px, np.ndarray) or px.ndim != 3 or px.shape[2] != 3:
            got = f"an array of shape {px.shape}" if isinstance(px, np.ndarray) else type(px).__name__
            raise PhotoError(f"{where}: the pixels must be an array of height x width x 3 (RGB), not {got}")
        if px.shape[0] < 1 or px.shape[1] < 1:
            raise PhotoError(f"{where}: the photo has no pixels ({px.shape[1]}x{px.shape[0]})")
        if px.dtype != np.uint8 and px.dtype != np.float32:
            raise PhotoError(f"{where}: the pixels must be uint8 or float32 in [0, 1], not {px.dtype}")
        if px.dtype == np.float32 and not (np.isfinite(px).all() and px.min() >= 0 and px.max() <= 1):
            raise PhotoError(f"{where}: the pixels must be finite and within [0, 1]")
        return self


@dataclass(frozen=True, eq=False, kw_only=True)
class Loaded:
    """The photo ready for the pipeline: scaled to ``max_side``, its 8-bit copy for the comparison, its figures."""

    source: Path
    info: dict
    img: np.ndarray  # float RGB in [0, 1]
    before: np.ndarray  # 8-bit RGB, as the comparison shows the input
    noise_before: float
    brightness_before: float
    seconds: float  # of the stages so far


@dataclass(frozen=True, eq=False, kw_only=True)
class Exposed(Loaded):
    """After the brightness correction: ``img`` is what the network sees."""

    gain: float = 1.0
    brightness: Brightness = "not-asked"  # what decided the gain
    gain_doubt: float | None = None  # for a predicted gain: how far off such a gain typically is
    gain_doubtful: bool = False
    noise_brightened: float = 0.0


@dataclass(frozen=True, eq=False, kw_only=True)
class Restored(Exposed):
    """After the network: ``img`` is its output; ``base`` the brightened photo, kept for the save step, which
    decides how much of the network's change to keep (:mod:`.amount`)."""

    base: np.ndarray | None = None
    tiles: int = 0
    device: str = "cpu"
    backend: str = ""
    precision: str = "fp32"
    weights: str = ""
    variant: str = ""
    model_seconds: float = 0.0
    estimated_seconds: float = 0.0


@dataclass(frozen=True, eq=False, kw_only=True)
class Saved(Restored):
    """Written: the restored image and the comparison, and what the restored image is."""

    output: Path
    comparison: Path
    strength: float = 1.0
    strength_auto: bool = False
    noise_removed: float = 0.0
    format: str = "png"
    bit_depth: int = 8
    grey: bool = False
    metadata: tuple[str, ...] = ()
    noise_after: float = 0.0
    brightness_after: float = 0.0

    def demo(self, steps: list[str]) -> Demo:
        """The run's record; ``steps``: the names of the workflow's steps that ran."""
        h, w, _ = self.img.shape
        read = measurable(self.img)  # too few pixels to read noise from: not measured, rather than 0
        return Demo(
            input=str(self.source), output=str(self.output), comparison=str(self.comparison), weights=self.weights,
            variant=self.variant, device=self.device, backend=self.backend, precision=self.precision,
            tiles=self.tiles, size=[w, h], seconds=round(self.seconds, 2), model_seconds=round(self.model_seconds, 2),
            estimated_seconds=round(self.estimated_seconds, 1), gain=round(self.gain, 3), brightness=self.brightness,
            gain_doubt=None if self.gain_doubt is None else round(self.gain_doubt, 3), gain_doubtful=self.gain_doubtful,
            noise_before=round(self.noise_before, 3) if read else None,
            noise_after=round(self.noise_after, 3) if read else None,
            noise_brightened=round(self.noise_brightened, 3) if read else None,
            brightness_before=round(self.brightness_before, 2),
            brightness_after=round(self.brightness_after, 2), steps=steps, strength=self.strength,
            strength_auto=self.strength_auto, noise_removed=self.noise_removed, format=self.format,
            bit_depth=self.bit_depth, grey=self.grey, metadata=list(self.metadata))


def _carry(record, cls, **changes):
    """``record``'s fields as a ``cls`` (the next stage's record), with ``changes``."""
    kept = {f.name: getattr(record, f.name) for f in fields(record)}
    return cls(**(kept | changes))


# ---------------------------------------------------------------- stages
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


def load(photo: Photo | str | Path, max_side: int | None = None) -> Loaded:
    """The ``load`` step: the photo (read here unless already read), scaled down to ``max_side``."""
    photo = Photo.read(photo) if not isinstance(photo, Photo) else photo.check()
    start = time.perf_counter()
    img = photo.rgb()
    if max_side:
        img = _downscale(img, max_side)
    # the input is kept as 8 bits for the comparison: a quarter of a float copy
    return Loaded(source=photo.path, info=photo.info, img=img, before=to_u8(img), noise_before=noise_sigma(img),
                  brightness_before=mean_brightness(img), seconds=photo.seconds + time.perf_counter() - start)


def expose(loaded: Loaded, *, brighten: bool = True, gain: float | str = "auto") -> Exposed:
    """The ``expose`` step: brightness correction in linear light, the gain predicted from the photo
    (:func:`~.exposure.judge_gain`, with the doubt about it) or ``gain`` when it is a number.  ``brighten=False``
    (a workflow without the step) passes it on as it is."""
    start = time.perf_counter()
    img, reason, doubt, doubtful = loaded.img, "not-asked", None, False
    if not brighten:
        gain = 1.0
    elif gain != "auto":
        gain, reason = float(gain), "given"
    else:
        # the load step measured its noise and its mean level
        decision = judge_gain(img, noise=loaded.noise_before, level=loaded.brightness_before / 255)
        gain, reason, doubt, doubtful = decision.gain, decision.reason, decision.doubt, decision.doubtful
    if gain > 1.0:
        img = apply_gain(img, gain)
    noise = noise_sigma(img) if gain > 1.0 else loaded.noise_before
    return _carry(loaded, Exposed, img=img, gain=gain, brightness=reason, gain_doubt=doubt, gain_doubtful=doubtful,
                  noise_brightened=noise, seconds=loaded.seconds + time.perf_counter() - start)


def save(restored: Restored, targets: Targets, *, strength: float | str, fmt: str, quality: int) -> Saved:
    """The ``save`` step: keep the brightened photo's coarse tones and ``strength`` of the network's fine change
    (``"auto"``: chosen from the photo; :func:`.amount.restore_amount`, in place), then write the comparison and
    the restored image with the photo's metadata (EXIF with Orientation 1 and no thumbnail, the ICC profile, its
    resolution in dots per inch, 16 bits in PNG and TIFF).  Without ``restored.base`` (not kept) the network's
    output is written as it is.

    The restored image is written last, so that its presence means both are complete; if it cannot be
    written, or a stop comes before it is in place, the comparison written here is removed again.  The record
    is made before the restored image is placed and put in ``targets.saved`` (:class:`~.outputs.Targets`): a stop
    that comes once it is placed finds the photo finished, and its record there.
    """
    start = time.perf_counter()
    img = restored.img
    decision = None
    if restored.base is not None:
        decision = restore_amount(img, restored.base, strength, restored.noise_brightened, restored.gain)
    h, w, _ = img.shape
    info = restored.info
    if info.get("grey"):  # a grey photo comes back grey: the network leaves a faint tint the photo never had
        make_grey(img)
    # what the file holds: not too much for a JPEG
    exif = fitting_exif(exif_for_output(info.get("exif"), w, h, info.get("dpi")), fmt,
                        Path(restored.source).name if restored.source else None)
    grey_file = bool(info.get("grey_file"))  # written grey, as the photo's file was: no RGB profile describes it
    icc = None if grey_file else info.get("icc_profile")
    bit_depth = 16 if info.get("bit_depth") == 16 and fmt != "jpg" else 8
    pixels = to_u8(img) if bit_depth == 8 else img  # one 8-bit copy serves the comparison and the output
    existed = targets.comparison.exists()
    try:
        write_image_atomic(comparison_image(restored.before, pixels), targets.comparison, icc=icc)
        targets.saved = _carry(restored, Saved, base=None, output=targets.restored, comparison=targets.comparison,
                               **amount_fields(decision, strength), format=fmt, bit_depth=bit_depth,
                               grey=bool(info.get("grey")), metadata=carried(exif, icc), noise_after=noise_sigma(img),
                               brightness_after=mean_brightness(img),
                               seconds=restored.seconds + time.perf_counter() - start)
        write_image_atomic(pixels, targets.restored, fmt=fmt, bit_depth=bit_depth, quality=quality, exif=exif,
                           icc=icc, dpi=info.get("dpi"), grey=grey_file)
    except BaseException:
        # a stop (Ctrl-C in this thread) may come just after either file is in place: the comparison alone is
        # removed, and once the restored image is placed too, both are whole and stay
        if not existed and not targets.placed():
            targets.comparison.unlink(missing_ok=True)
        raise
    del pixels
    return _carry(targets.saved, Saved, seconds=restored.seconds + time.perf_counter() - start)


# ---------------------------------------------------------------- the network
def choose_device(device: str) -> torch.device:
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda":
        if not torch.cuda.is_available():
            raise OptionError("the device 'cuda' was asked for, but this machine has no CUDA device PyTorch can "
                              "use; use 'auto' or 'cpu'")
        return torch.device("cuda")
    if device == "cpu":
        return torch.device("cpu")
    raise ScientistError(f"unknown device {device!r} (use auto, cpu or cuda)")


def memory_budget_mb(device: torch.device, settings: Settings, share: float = 1.0) -> float:
    """Working memory for one tile: the setting on CPU; on CUDA, most of the device's free memory
    (so a photo runs as one whole frame whenever it fits), or ``share`` of it when processes share the device."""
    if device.type == "cuda":
        import torch

        free, _total = torch.cuda.mem_get_info(device)
        return max(settings.work_memory_mb, 0.8 * share * free / 2**20)
    return settings.work_memory_mb


class Restorer:
    """The network ready to run: weights loaded, device and precision chosen (as :func:`choose_device` and
    :func:`~.precision.choose_precision` decide on the machine it runs on), the runner built once.

    Long-lived: a batch, a web server or a cluster worker keeps one and restores photo after photo
    with it.  Thread-safe: photos prepared in several threads take turns on the network, ``slots`` at a time
    (1 on a GPU; on a CPU a batch may run one network per core group, each planning its tiles within its share
    of the working-memory budget).
    """

    def __init__(self, settings: Settings, *, weights: str | Path | None = None, device: str | None = None,
                 backend: str | None = None, precision: str | None = None, tile: int | None = None,
                 stages: tuple[str, ...] | None = None, gpu_share: float = 1.0, slots: int = 1) -> None:
        from .mimo_unet import MIMOUNet
        from .precision import choose_precision
        from .weights import load_model

        self.settings = settings
        self.device = choose_device(device or settings.device)
        self.backend_choice = backend or settings.backend
        self.precision = choose_precision(precision or settings.precision, self.device, self.backend_choice)
        self.loaded = load_model(weights, settings)
        self.tile = tile
        self.gpu_share = gpu_share  # of the device's free memory its tiles may plan for (workers sharing a GPU)
        self.stages = tuple(stages) if stages is not None else MIMOUNet.STAGES
        self._runner = None
        self._rate: float | None = None  # seconds per megapixel of tiles, once known
        self._warm = False
        self.slots = max(1, slots)
        self._turns = threading.BoundedSemaphore(self.slots)  # networks running at once
        self._lock = threading.Lock()  # building the runner, warming up

    @classmethod
    def for_options(cls, options, settings: Settings, stages: tuple[str, ...] | None = None,
                    gpu_share: float = 1.0, slots: int = 1) -> Restorer:
        """A restorer for a :class:`~.options.RestoreOptions` (its weights, device, back end, precision, tile)."""
        return cls(settings, weights=options.weights, device=options.device, backend=options.backend,
                   precision=options.precision, tile=options.tile, stages=stages, gpu_share=gpu_share, slots=slots)

    @property
    def runner(self):
        """The callable that runs the network on one padded tile (built on first use)."""
        if self._runner is None:
            from .runners import make_runner

            with self._lock:
                if self._runner is None:
                    self._runner = make_runner(self.loaded.model, self.device, self.backend_choice,
                                               stages=self.stages, cache=self.settings.cache_dir,
                                               precision=self.precision)
        return self._runner

    def plan(self, img: np.ndarray) -> TilePlan:
        """The tiles of an image, under the working-memory budget of this device and precision."""
        from .tiles import plan_tiles, tile_pixels

        budget = memory_budget_mb(self.device, self.settings, self.gpu_share) / self.slots
        return plan_tiles(img.shape[0], img.shape[1], self.tile, overlap=self.settings.tile_overlap,
                          max_pixels=tile_pixels(budget, self.precision, self.device.type),
                          multiple=self.loaded.variant.cls.size_multiple)

    def warm_up(self) -> None:
        """Build the runner and, on a GPU, run it once (CUDA context, kernels), so that a batch pays for it once
        instead of on its first photo.  (On a CPU a first run of one tile shape prepares nothing for the next.)"""
        runner = self.runner
        with self._lock:
            if self._warm:
                return
            if self.device.type == "cuda":
                import torch

                runner(np.zeros((1, 3, 64, 64), np.float32))
                torch.cuda.synchronize(self.device)
            self._warm = True

    def restore(self, exposed: Exposed, progress: ProgressFn | None = None, *, keep_input: bool = False) -> Restored:
        """The network's stages (pyramid, encode, fuse, decode) on the photo, tile by tile, blended back with
        linear ramps.  ``keep_input``: keep the brightened photo in the record (for the save step's amount)."""
        with self._turns:
            start = time.perf_counter()
            plan = self.plan(exposed.img)
            out, seconds, estimate, backend = self._run(exposed.img, plan, progress)
            spent = time.perf_counter() - start
        return _carry(exposed, Restored, img=out, base=exposed.img if keep_input else None, tiles=plan.count,
                      device=self.device.type, backend=backend, precision=self.precision,
                      weights=self.loaded.label, variant=self.loaded.variant.name, model_seconds=seconds,
                      estimated_seconds=estimate, seconds=exposed.seconds + spent)

    def _run(self, img: np.ndarray, plan: TilePlan, progress: ProgressFn | None) -> tuple[np.ndarray, float, float,
                                                                                          str]:
        from .blend import restore_array
        from .speed import known_speed, prior_seconds, probe_speed, remember_speed, speed_key

        runner, dev, cache = self.runner, self.device, self.settings.cache_dir
        variant = self.loaded.variant.name
        work_mp = plan.pixels / 1e6
        prior = prior_seconds(variant, work_mp, dev, self.precision)
        key = speed_key(variant, runner, dev)
        if self._rate is None:
            self._rate = known_speed(cache, key)
        rate = self._rate
        if rate is None and prior > 5 and dev.type == "cpu":
            rate = self._rate = probe_speed(runner, img, plan.multiple)
        measured = rate is not None
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
            out = restore_array(self.loaded.model, img, plan=plan, runner=runner, progress=tile_done)
        except RuntimeError as exc:  # e.g. out of memory on a device
            raise PhotoError(f"the model failed on this photo ({first_line(exc, 100)})") from None
        seconds = time.perf_counter() - start
        event("done")
        if work_mp >= 0.2:  # small runs measure mostly overheads
            self._rate = seconds / work_mp
            remember_speed(cache, key, self._rate)
        return out, seconds, estimate, runner.name

