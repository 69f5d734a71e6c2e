"""Natural research photos: which are for fitting and training, which are held out.

A folder of natural photos (for instance the 68 colour photos of the Berkeley
segmentation test set that image-restoration papers use) is split once, by a
seeded shuffle of the sorted file names: :data:`HELD_OUT_COUNT` photos are held
out for the blind benchmark and never fitted or trained on; the rest serve the
brightness step's fit (``scientist fit-exposure --natural DIR``) and training
(``scientist train --natural DIR``).  The shipped constants record the split they
were fitted with, and a photo they name keeps its part in any folder.  The photos themselves are never part of
the project: a command reads them from the folder it is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import PhotoError, shown

__all__ = ["HELD_OUT_COUNT", "SPLIT_SEED", "load_natural", "read_natural", "recorded_split", "split_folder",
           "split_names"]

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


def recorded_split() -> tuple[frozenset[str], frozenset[str]]:
    """(fitted on, held out): the photo names the shipped brightness step's constants record (their
    ``fitted_on``); empty where they record none."""
    from .exposure import load_exposure_model

    fitted = load_exposure_model().fitted_on
    return frozenset(fitted.get("photos", ())), frozenset(fitted.get("held_out", ()))


def split_folder(root: str | Path) -> tuple[list[str], list[str]]:
    """(fit, held out): the names of a natural-photo folder's photos.  A name the shipped constants record keeps
    its part (a photo they were fitted on is never held out, whatever else the folder holds); the others are split
    by :func:`split_names`, so a folder of new photos splits as it always did, and one more file in the folder
    moves no photo from one part to the other."""
    root = Path(root)
    if not root.is_dir():
        raise PhotoError(f"{shown(root)}: no such folder of natural photos")
    names = [p.name for p in root.iterdir()
             if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and p.is_file()]
    if not names:
        raise PhotoError(f"{shown(root)}: no photos in this folder")
    fitted, held_out = recorded_split()
    new_fit, new_held = split_names([n for n in names if n not in fitted and n not in held_out])
    fit = sorted({n for n in names if n in fitted} | set(new_fit))
    return fit, sorted({n for n in names if n in held_out} | set(new_held))


def load_natural(root: str | Path, part: str) -> dict[str, np.ndarray]:
    """The photos of ``part`` ("fit" or "held-out") of a natural-photo folder (:func:`read_natural`)."""
    fit, held = split_folder(root)
    return read_natural(root, {"fit": fit, "held-out": held}[part])


def read_natural(root: str | Path, names: list[str]) -> dict[str, np.ndarray]:
    """The photos ``names`` of a natural-photo folder, float32 RGB in [0, 1], read as ``scientist restore`` reads
    a photo (16 bits kept, turned upright; a file that is no photo: a :class:`PhotoError` naming it)."""
    from .stages import Photo

    return {name: np.asarray(Photo.read(Path(root) / name).rgb(), np.float32) for name in names}
