"""Photo -> restored photo: a workflow's steps, checked against the pipeline's stages, run on one photo.

The steps come from the workflow the answer explains (the model card in the corpus,
handed in by the caller); each names an operation (``op``).  :func:`check_steps` maps
them onto the stages of :mod:`.stages` -- ``load``, ``expose``, ``pad`` and the network's
stages (:attr:`MIMOUNet.STAGES`, run together, tile by tile, by the :class:`~.stages.Restorer`),
``save`` -- and refuses a workflow that names an operation the demo cannot run, leaves one
out that it needs, or puts them out of order.  :func:`restore_photo` is the one entry point
every front end restores through; :func:`run_demo` is its older keyword form.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import ScientistError
from ..fileio import is_file
from ..settings import Settings, load_settings
from .mimo_unet import MIMOUNet
from .options import RestoreOptions, as_path
from .outputs import Targets, check_outputs, hold_targets, make_folders, output_format, remove_empty, reserve_outputs
from .record import Demo, ProgressFn
from .save import FORMATS
from .stages import Photo, Restorer, choose_device, expose, load, memory_budget_mb, save

__all__ = ["DEFAULT_STEPS", "KNOWN_OPS", "OpStep", "Composition", "check_steps", "choose_device",
           "memory_budget_mb", "restore_photo", "run_demo"]


class StepLike(Protocol):
    """What the demo needs of a workflow step: its name and the operation it runs."""

    name: str
    op: str | None


@dataclass(frozen=True)
class OpStep:
    name: str
    op: str


#: The pipeline's operations in their order: each maps to a stage (the network's four run as one).
PIPELINE = ("load", "expose", "pad", *MIMOUNet.STAGES, "save")
#: Operations this module knows how to run, in their natural order.
DEFAULT_STEPS = tuple(OpStep(op, op) for op in PIPELINE)
KNOWN_OPS = frozenset(PIPELINE)
#: Operations a workflow must name: without them there is no photo, no restoration or no output.
REQUIRED_OPS = ("load", *MIMOUNet.STAGES, "save")


@dataclass(frozen=True)
class Composition:
    """What a checked workflow runs: whether it brightens, and the names of its steps, in order."""

    brighten: bool
    names: tuple[str, ...]
    stages: tuple[str, ...] = MIMOUNet.STAGES


def check_steps(steps: Sequence[StepLike] | None = None) -> Composition:
    """Check a workflow's steps against the pipeline; raises :class:`ScientistError` with what is wrong.

    Steps without an operation are explanation only and are skipped; ``expose`` and ``pad`` may be left
    out (no brightening; the tiles are planned anyway); the others must all be there, once each, in order.
    """
    steps = tuple(steps) if steps is not None else DEFAULT_STEPS
    ops = [s.op for s in steps if s.op]
    unknown = [op for op in ops if op not in KNOWN_OPS]
    if unknown:
        raise ScientistError(f"the workflow names operations the demo cannot run: {', '.join(unknown)}")
    if [op for op in ops if op in MIMOUNet.STAGES] != list(MIMOUNet.STAGES):
        raise ScientistError("the workflow does not run every MIMO-UNet stage in order")
    missing = [op for op in REQUIRED_OPS if op not in ops]
    if missing:
        raise ScientistError(f"the workflow has no {' or '.join(missing)} step")
    positions = [PIPELINE.index(op) for op in ops]
    if positions != sorted(set(positions)):
        raise ScientistError(f"the workflow's steps are out of order or repeated (they run as {', '.join(PIPELINE)})")
    return Composition(brighten="expose" in ops, names=tuple(s.name for s in steps if s.op))


def restore_photo(
    photo: Photo | str | Path,
    options: RestoreOptions | None = None,
    *,
    steps: Sequence[StepLike] | None = None,
    progress: ProgressFn | None = None,
    settings: Settings | None = None,
    restorer: Restorer | Callable[[], Restorer] | None = None,
    targets: Targets | None = None,
) -> Demo:
    """Restore one photo: write the restored image and a comparison; the one entry point of every front end.

    ``photo``: a path, or a :class:`~.stages.Photo` already read (then it is not read again); anything else is
    an :class:`~scientist.errors.OptionError`.
    ``options``: what to do (:class:`RestoreOptions`; unset ones follow the settings).
    ``steps``: the workflow to execute (default: the pipeline's own operations).
    ``restorer``: a long-lived :class:`Restorer` (or a function making one when first needed) to reuse;
    by default one is made for ``options``.  ``targets``: outputs already held by the caller (many photos);
    by default they follow ``options.out``/``options.out_dir``, numbered when taken.
    ``progress`` receives :class:`~.record.ProgressEvent`\\ s while the network runs.
    """
    settings = settings or load_settings()
    options = RestoreOptions.of(options)
    plan = check_steps(steps)
    source = as_path(photo)
    fmt = output_format(targets.restored if targets is not None else options.out, options.image_format,
                        settings.output_format)
    if options.quality is not None and fmt != "jpg":
        warnings.warn("--quality applies to JPEG output only", stacklevel=2)
    strength = options.strength_in(settings)
    own = targets is None
    created: list[Path] = []  # output folders made for this photo, removed again if nothing is written
    done = False
    try:
        if own and options.out is None and options.out_dir is not None:
            created = make_folders(Path(options.out_dir))
        if own and (isinstance(photo, Photo) or is_file(source)):  # a bad output is refused before any work
            targets = reserve_outputs(source, options.out, options.out_dir, options.overwrite, FORMATS[fmt])
        loaded = load(photo, options.max_side)  # a bad photo fails here, before the model is loaded
        if targets is None:
            targets = reserve_outputs(source, options.out, options.out_dir, options.overwrite, FORMATS[fmt])
        exposed = expose(loaded, brighten=plan.brighten, gain=options.gain_in())
        del loaded
        if restorer is None:
            network = Restorer.for_options(options, settings, stages=plan.stages)
        else:
            network = restorer if isinstance(restorer, Restorer) else restorer()
        # the brightened photo stays beside the network's output: the save step decides how much of the change to keep
        restored = network.restore(exposed, progress, keep_input=True)
        del exposed
        saved = save(restored, targets, strength=strength, fmt=fmt, quality=options.quality_in(settings))
        done = True
    finally:
        if own and targets is not None:
            targets.release()
        if not done:
            remove_empty(created)
    return saved.demo(list(plan.names))


def run_demo(
    photo: str | Path | Photo,
    *,
    steps: Sequence[StepLike] | None = None,
    options: RestoreOptions | None = None,
    outputs: tuple[Path, Path] | None = None,
    read: tuple | None = None,
    progress: ProgressFn | None = None,
    settings: Settings | None = None,
    **legacy,
) -> Demo:
    """:func:`restore_photo` in its keyword form: ``run_demo(photo, out_dir=..., strength=0.5)``.

    The keywords are :class:`RestoreOptions`' fields, validated (an unknown one is an
    :class:`~scientist.errors.OptionError`); ``options`` may be given instead.  ``outputs``:
    the restored image's and the comparison's paths when the caller has chosen them;
    ``read``: the photo as :func:`~.photo.read_photo` returned it, when already read.
    """
    options = RestoreOptions.of(options, **legacy)
    source = as_path(photo)
    if read is not None:
        photo = Photo(source, read[0], read[1])
    if outputs is None:
        return restore_photo(photo, options, steps=steps, progress=progress, settings=settings)
    restored, comparison = Path(outputs[0]), Path(outputs[1])
    check_outputs(source, restored, comparison)
    targets = hold_targets(restored, comparison)
    if targets is None:
        raise ScientistError(f"{restored}: another restore is writing it right now")
    with targets:
        return restore_photo(photo, options, steps=steps, progress=progress, settings=settings, targets=targets)
