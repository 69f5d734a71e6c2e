"""Where a restoration writes: never over the input, never over an earlier result unless asked."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import OutputError

__all__ = ["free_name", "output_paths"]


def free_name(folder: Path, name: str, overwrite: bool) -> Path:
    """``folder/name``, or a numbered variant (``name-2``...) when that exists and ``overwrite`` is off."""
    path = folder / name
    if overwrite or not path.exists():
        return path
    stem, suffix = path.stem, path.suffix
    for n in range(2, 10_000):
        cand = folder / f"{stem}-{n}{suffix}"
        if not cand.exists():
            return cand
    raise OutputError(f"{folder}: too many earlier outputs named {name}")


def output_paths(photo: Path, out: Path | None, out_dir: Path | None, overwrite: bool) -> tuple[Path, Path]:
    """The restored image's and the comparison's paths, checked before any work is done.

    ``out``: an explicit output (refused if it exists, unless ``overwrite``); otherwise
    ``<stem>_restored.png`` and ``<stem>_compare.png`` in ``out_dir`` or beside the photo.
    """
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
        compare = free_name(folder, f"{out.stem.removesuffix('_restored')}_compare.png", overwrite)
        restored = out
    else:
        folder = Path(out_dir) if out_dir is not None else photo.parent
        restored = free_name(folder, f"{photo.stem}_restored.png", overwrite)
        compare = free_name(folder, f"{photo.stem}_compare.png", overwrite)
    if not folder.is_dir():
        raise OutputError(f"{folder}: output folder does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{folder}: output folder is not writable")
    for p in (restored, compare):
        if p.exists() and p.resolve() == photo.resolve():
            raise OutputError(f"{p}: the output would overwrite the input photo")
    return restored, compare
