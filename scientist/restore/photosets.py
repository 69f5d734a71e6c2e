"""Natural research photos: which are for fitting and training, which are held out.

A folder of natural photos (for instance the 68 colour photos of the Berkeley
segmentation test set that image-restoration papers use) is split once, by a
seeded shuffle of the sorted file names: :data:`HELD_OUT_COUNT` photos are held
out for the blind benchmark and never fitted or trained on; the rest serve the
brightness step's fit (``scientist fit-exposure --natural DIR``) and training
(``scientist train --natural DIR``).  The photos themselves are never part of
the project: a command reads them from the folder it is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import PhotoError

__all__ = ["HELD_OUT_COUNT", "SPLIT_SEED", "load_natural", "split_folder", "split_names"]

#: The seed of the shuffle and the number of photos it holds out.
SPLIT_SEED, HELD_OUT_COUNT = 22, 20
#: What a natural-photo folder may hold.
SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def split_names(names: list[str], seed: int = SPLIT_SEED, held_out: int = HELD_OUT_COUNT
                ) -> tuple[list[str], list[str]]:
    """(fit, held out): the sorted ``names`` shuffled by ``seed``; the first ``held_out`` are held out.

    Depends only on the set of names, so the same folder splits the same way on any machine.
    """
    ordered = sorted(set(names))
    order = np.random.default_rng(seed).permutation(len(ordered))
    held = sorted(ordered[i] for i in order[:held_out])
    return [n for n in ordered if n not in held], held


def split_folder(root: str | Path) -> tuple[list[str], list[str]]:
    """(fit, held out): the names of a natural-photo folder's photos, split by :func:`split_names`."""
    root = Path(root)
    if not root.is_dir():
        raise PhotoError(f"{root}: no such folder of natural photos")
    names = [p.name for p in root.iterdir() if p.suffix.lower() in SUFFIXES and not p.name.startswith(".")]
    if not names:
        raise PhotoError(f"{root}: no photos in this folder")
    return split_names(names)


def load_natural(root: str | Path, part: str) -> dict[str, np.ndarray]:
    """The photos of ``part`` ("fit" or "held-out") of a natural-photo folder, float32 RGB in [0, 1]."""
    from PIL import Image

    root = Path(root)
    fit, held = split_folder(root)
    chosen = {"fit": fit, "held-out": held}[part]
    out = {}
    for name in chosen:
        with Image.open(root / name) as im:
            out[name] = np.asarray(im.convert("RGB"), np.float32) / 255
    return out
