"""What a restoration reports: the run record, and the progress events sent while it runs.

Kept free of torch and NumPy so that the answer schema can include a demo
record without loading the network's dependencies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["BatchItem", "Brightness", "Demo", "ProgressEvent", "ProgressFn"]

#: What decided the brightness step's gain: ``brightened`` (the photo looked darkened: the gain predicted from its
#: statistics), ``to-white`` (brightened less than predicted, until its highlights reach white), ``bright-enough``
#: (the predicted gain was too small to apply), ``untouched`` (the quiet-photo test: little noise for its darkness),
#: ``reaches-white`` (the white test), ``flat`` (one flat colour, nothing in it to brighten), ``too-small`` (under
#: ``MEASURABLE_SIDE`` pixels on a side: nothing to read), ``given`` (the ``gain`` option) or ``not-asked`` (a
#: workflow without the step).
Brightness = Literal["brightened", "to-white", "bright-enough", "untouched", "reaches-white", "flat", "too-small",
                     "given", "not-asked"]


class Demo(BaseModel):
    """What the demo ran on the user's photo."""

    input: str = Field(description="Path of the user's photo (never modified).")
    output: str = Field(description="Path of the restored image.")
    comparison: str = Field(description="Path of the before/after comparison image.")
    weights: str = Field(description="Which weights ran (bundled, a file, or an environment setting).")
    variant: str = Field(description="MIMO-UNet or MIMO-UNet+.")
    device: str = Field(description="cpu or cuda.")
    backend: str = Field(
        description="What ran the network: onnxruntime, torch-channels-last, torch-eager, torch-bf16-channels-last "
                    "(CPU bfloat16) or torch-fp16 / torch-bf16 (CUDA autocast).")
    precision: str = Field(default="fp32", description="The number format the network ran in: fp32, bf16 or fp16.")
    tiles: int = Field(description="Number of tiles the photo was cut into.")
    size: list[int] = Field(description="Width and height of the restored image.")
    seconds: float = Field(description="Wall time of the whole demo (reading, brightening, network, saving).")
    model_seconds: float = Field(description="Wall time of the network alone.")
    estimated_seconds: float = Field(
        description="The network's time as estimated before it ran (from the speed measured on this machine)."
    )
    gain: float = Field(description="Linear-light brightness gain applied before the network (1 = none).")
    brightness: Brightness = Field(
        default="not-asked",
        description="What decided the gain: brightened (the photo looked darkened; the gain predicted from its "
                    "statistics); to-white (the photo looked darkened, and was brightened only until its brightest "
                    "parts reach white, less than its statistics predicted; schema 1.21); bright-enough (the "
                    "predicted gain was too small to apply); untouched (little noise for its darkness: a dark scene "
                    "taken as it is); reaches-white (its brightest pixels reach white, "
                    "so it was not darkened and a gain would burn them); flat (one flat colour, with no detail "
                    "or noise to read: nothing to brighten); too-small (fewer than 8 pixels on a side: its noise and "
                    "exposure cannot be read, and it comes back as it is unless a gain or strength is given); "
                    "given (the gain was given: the `gain` "
                    "option); not-asked (a workflow without the step).")
    gain_doubt: float | None = Field(
        default=None,
        description="For a predicted gain (brightness 'brightened'): how far off such a gain typically is for photos "
                    "whose statistics look like this one's, as a share (0.2: 20 % too bright or too dark), the "
                    "median error of such photos on photos the brightness step was not fitted on; null otherwise.")
    gain_doubtful: bool = Field(
        default=False,
        description="Whether gain_doubt is above the brightness step's limit, so that the result calls the gain a "
                    "doubtful guess (its level may well be off: give the gain to keep a level of your choosing).")
    noise_before: float | None = Field(
        description="Estimated noise standard deviation of the input (0-255 scale); null when the photo has fewer "
                    "than 8 pixels on a side, too few to read its noise (schema 1.20).")
    noise_brightened: float | None = Field(
        description="Estimated noise of the input after the brightness correction, i.e. what the network sees; "
                    "null as noise_before.")
    noise_after: float | None = Field(
        description="Estimated noise standard deviation of the output (0-255 scale); null as noise_before.")
    brightness_before: float = Field(description="Mean brightness of the input (0-255).")
    brightness_after: float = Field(description="Mean brightness of the output (0-255).")
    steps: list[str] = Field(description="Names of the workflow steps that ran, in order.")
    strength: float = Field(
        default=1.0,
        description="Share of the network's fine-scale change (the noise and fine detail it removes) kept in the "
                    "restored image; the photo's own coarse tones are kept (0 = the brightened photo).")
    strength_auto: bool = Field(
        default=False,
        description="Whether the strength was chosen from the photo (the `auto` setting) rather than given.")
    noise_removed: float = Field(
        default=0.0,
        description="How much the network would take away at fine scales (rms, 0-255): with noise_brightened, "
                    "what an automatic strength rests on.")
    format: str = Field(default="png", description="Format of the restored image: png, tiff or jpg.")
    bit_depth: int = Field(default=8, description="Bits per channel of the restored image (8 or 16).")
    grey: bool = Field(
        default=False,
        description="Whether the photo was grey, so the restored image is too: its three channels set to their "
                    "mean (the network leaves a faint tint), and written as a grey file when the photo's file was "
                    "one.")
    metadata: list[str] = Field(
        default_factory=list,
        description="What the restored image carries over from the photo: exif (with Orientation 1 and no "
                    "thumbnail) and icc (the photo's colour profile, unchanged).")


class BatchItem(BaseModel):
    """What happened to one photo of a folder or a list of photos."""

    input: str = Field(description="Path of the photo (never modified).")
    name: str = Field(description="The photo's path as shown: relative to the folder it was found in.")
    status: Literal["restored", "skipped", "failed"] = Field(
        description="restored; skipped (its output exists already, or a camera RAW file found in a folder); "
                    "or failed (the reason says why; the other photos carry on).")
    reason: str | None = Field(default=None, description="Why the photo was skipped or failed, in one sentence.")
    output: str | None = Field(default=None, description="Path of the restored image (written, or found existing).")
    comparison: str | None = Field(default=None, description="Path of the before/after comparison.")
    demo: Demo | None = Field(default=None, description="The run's record when the photo was restored.")
    folder: bool = Field(default=False, description="True for a folder that could not be read rather than a photo "
                                                    "(failed: the photos in it, if any, were not restored).")


@dataclass(frozen=True)
class ProgressEvent:
    """Where a restoration stands.

    ``kind`` is ``start`` (once, before the network runs), ``tile`` (after each tile)
    or ``done`` (after the last); ``done``/``total`` count tiles; ``estimate`` is the
    network's expected seconds, ``measured`` whether it comes from a speed measured on
    this machine; ``long_run`` says the run is long enough for a progress display.

    Restoring many photos adds ``photo`` (one begins) and ``photo-end`` (it was
    ``status`` restored, skipped or failed, for ``reason``) and marks every event with the photo's
    ``name`` and its ``index`` (from 0) among ``count`` photos; ``work`` is the
    megapixels this photo puts through the network and ``work_total`` those of
    every photo to restore, so that an overall estimate can be made.  On a cluster,
    ``worker`` names the worker restoring the photo (``host:pid``).
    """

    kind: str
    done: int = 0
    total: int = 0
    width: int = 0
    height: int = 0
    backend: str = ""
    device: str = ""
    estimate: float = 0.0
    measured: bool = False
    long_run: bool = False
    elapsed: float = 0.0
    name: str = ""
    index: int = 0
    count: int = 1
    status: str = ""
    reason: str = ""
    work: float = 0.0
    work_total: float = 0.0
    worker: str = ""


#: A callback that receives :class:`ProgressEvent`\ s.
ProgressFn = Callable[[ProgressEvent], None]
