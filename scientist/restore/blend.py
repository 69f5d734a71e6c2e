"""Running the network tile by tile and blending the tiles back with linear ramps.

Memory beyond the input and the output is one tile's worth: the blending
weights are separable, so only their row and column profiles are kept, and the
output is normalised in place.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .tiles import TilePlan, plan_tiles, tile_input

__all__ = ["restore_array"]


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
    model,
    img: np.ndarray,
    *,
    plan: TilePlan | None = None,
    runner: Callable[[np.ndarray], np.ndarray] | None = None,
    progress: Callable[[], None] | None = None,
) -> np.ndarray:
    """Restore an RGB float image (H, W, 3) in [0, 1]; returns a new float32 array, clamped.

    ``runner`` runs the network on one padded NCHW tile and returns its full-scale
    output (see :mod:`.runners`); by default the eager PyTorch ``model`` does, on CPU.
    ``progress`` is called after each tile.
    """
    if runner is None:
        import torch

        from .runners import Runner

        runner = Runner(model, torch.device("cpu"))
    h, w, _ = img.shape
    plan = plan or plan_tiles(h, w)
    wys = _weights_1d(h, plan.tile_h, plan.ys, plan.overlap)
    wxs = _weights_1d(w, plan.tile_w, plan.xs, plan.overlap)
    out = np.zeros((h, w, 3), np.float32)
    for y, wy in zip(plan.ys, wys, strict=True):
        for x, wx in zip(plan.xs, wxs, strict=True):
            th, tw = len(wy), len(wx)
            res = runner(tile_input(img[y : y + th, x : x + tw], plan.multiple))[0, :, :th, :tw]
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
