"""Cutting a photo into overlapping tiles that the network can run on.

The plan keeps each tile within a working-memory budget and makes the network
compute the fewest pixels (the least time lost to overlaps and padding).  Tile
sides are padded to the network's declared size multiple
(:attr:`MIMOUNet.size_multiple`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import OptionError
from ..settings import Settings
from .mimo_unet import MIMOUNet

__all__ = ["BYTES_PER_PIXEL", "CPU_MAX_TILE_PIXELS", "DEFAULT_MEMORY_MB", "DEFAULT_OVERLAP", "TilePlan",
           "plan_tiles", "round_up", "tile_input", "tile_pixels", "tile_pixels_for"]

#: Working memory per input pixel of one forward pass (bytes), by precision.  fp32: measured 2,584
#: (MIMO-UNet) and 2,590 (MIMO-UNet+) with onnxruntime, 2,756 and 2,720 with PyTorch, at 512 px on CPU;
#: bf16 with channels-last: 1,271-1,285 (MIMO-UNet, 512 and 1024 px) and 1,351 (MIMO-UNet+, 768 px).
#: fp16 on CUDA is taken to be as small as bf16.
BYTES_PER_PIXEL = {"fp32": 2_800, "bf16": 1_400, "fp16": 1_400}
#: Largest tile (pixels) worth running on a CPU, by precision, whatever memory allows.  bfloat16 on an AMD EPYC
#: (Zen 4, 2 cores) ran 5.1-5.4 s/MP up to 720x656 (472k px) but 6.0-6.4 s/MP at 768x704 and 776x696
#: (540k px; the activations no longer fit the caches), so a few more tiles cost less than the overlap they add.
CPU_MAX_TILE_PIXELS = {"bf16": 480_000}
#: Defaults of the overlap (pixels) and of the working-memory budget (MiB), defined in the settings.
#: Overlap measured on a heavy-noise crop: 32 px gives a mean difference to the untiled result
#: of 0.37/255 against 0.32/255 for 64 px, at a third less overlap cost.
DEFAULT_OVERLAP: int = Settings.model_fields["tile_overlap"].default
DEFAULT_MEMORY_MB: int = Settings.model_fields["work_memory_mb"].default


def round_up(n: int, multiple: int = MIMOUNet.size_multiple) -> int:
    """``n`` padded to the next multiple of ``multiple``."""
    return n + (-n) % multiple


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
    multiple: int = MIMOUNet.size_multiple

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)

    @property
    def pixels(self) -> int:
        """Pixels the network computes (padded tiles), which is what its time is proportional to."""
        return (self.count * round_up(min(self.tile_h, self.height), self.multiple)
                * round_up(min(self.tile_w, self.width), self.multiple))


def _spread(length: int, size: int, parts: int) -> tuple[int, ...]:
    if parts <= 1 or size >= length:
        return (0,)
    return tuple(round(i * (length - size) / (parts - 1)) for i in range(parts))


def _side(length: int, parts: int, overlap: int, multiple: int) -> int:
    """Tile side that covers ``length`` in ``parts`` tiles overlapping by at least ``overlap``."""
    if parts <= 1:
        return length
    return min(length, round_up(math.ceil((length + (parts - 1) * overlap) / parts), multiple))


def plan_tiles(height: int, width: int, tile: int | None = None, overlap: int = DEFAULT_OVERLAP,
               max_pixels: int | None = None, multiple: int = MIMOUNet.size_multiple) -> TilePlan:
    """Cut an image into overlapping tiles.

    ``tile``: square tiles of this side.  Otherwise the grid of rectangular tiles of at most
    ``max_pixels`` each (default: what :data:`DEFAULT_MEMORY_MB` allows in fp32) that makes the network compute
    the fewest pixels.  Tile sides are multiples of ``multiple``.
    """
    if tile is not None:
        if tile < 64 or tile % multiple:
            raise OptionError(f"invalid restore option tile: must be a multiple of {multiple}, 64 or more")
        overlap = min(overlap, tile // 4)
        rows = 1 if height <= tile else math.ceil((height - tile) / (tile - overlap)) + 1
        cols = 1 if width <= tile else math.ceil((width - tile) / (tile - overlap)) + 1
        return TilePlan(height, width, tile, tile, overlap, _spread(height, tile, rows),
                        _spread(width, tile, cols), multiple)
    if max_pixels is None:
        max_pixels = tile_pixels_for(DEFAULT_MEMORY_MB)
    max_pixels = max(max_pixels, 128 * 128)
    best = None
    for rows in range(1, math.ceil(height / 64) + 1):
        th = _side(height, rows, overlap, multiple)
        if rows > 1 and th < 2 * overlap + multiple:
            break
        cols = max(1, math.ceil(width * th / max_pixels))
        while True:
            tw = _side(width, cols, overlap, multiple)
            if th * tw <= max_pixels or (cols > 1 and tw < 2 * overlap + multiple):
                break
            cols += 1
        if th * tw > max_pixels:
            continue
        plan = TilePlan(height, width, th, tw, overlap if rows * cols > 1 else 0,
                        _spread(height, th, rows), _spread(width, tw, cols), multiple)
        if best is None or (plan.pixels, plan.count) < (best.pixels, best.count):
            best = plan
    if best is None:  # a long thin strip: fall back to square tiles
        side = max(64, int(math.sqrt(max_pixels)) // multiple * multiple)
        return plan_tiles(height, width, tile=side, overlap=overlap, multiple=multiple)
    return best


def tile_pixels_for(memory_mb: float, precision: str = "fp32") -> int:
    """Largest tile (in pixels) whose forward pass in ``precision`` fits a working-memory budget of ``memory_mb``
    MiB (both MIMO-UNet variants need about the same memory per pixel)."""
    return int(memory_mb * 2**20 // BYTES_PER_PIXEL[precision])


def tile_pixels(memory_mb: float, precision: str, device_type: str) -> int:
    """Largest tile (pixels) to plan: what the memory budget allows, capped on CPUs where larger tiles
    run slower per pixel (:data:`CPU_MAX_TILE_PIXELS`)."""
    most = tile_pixels_for(memory_mb, precision)
    if device_type == "cpu":
        most = min(most, CPU_MAX_TILE_PIXELS.get(precision, most))
    return most


def tile_input(crop: np.ndarray, multiple: int = MIMOUNet.size_multiple) -> np.ndarray:
    """An (h, w, 3) crop as the network's NCHW float32 input, padded to a multiple of ``multiple``
    (reflected, or repeated where the crop is too small to reflect)."""
    h, w, _ = crop.shape
    x = torch.from_numpy(np.ascontiguousarray(crop, np.float32)).permute(2, 0, 1)[None]
    ph, pw = round_up(h, multiple) - h, round_up(w, multiple) - w
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect" if ph < h and pw < w else "replicate")
    return x.contiguous().numpy()
