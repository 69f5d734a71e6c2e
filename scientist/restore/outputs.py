"""Where a restoration writes: never over the input, never over an earlier result unless asked."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import OutputError
from .save import FORMATS, format_for_suffix

__all__ = ["check_outputs", "free_name", "output_format", "output_paths"]

def output_format(out: Path | None, fmt: str | None, default: str = "png") -> str:
    """The restored image's format: from ``out``'s name when given, else ``fmt`` (``jpeg`` and ``tif`` are read
    as the file endings they are), else ``default`` (one of :data:`~.save.FORMATS`, as the settings ensure)."""
    if fmt:
        named = format_for_suffix(f"image.{fmt.lower()}")
        if named is None:
            raise OutputError(f"unknown output format {fmt.lower()!r} (use {', '.join(FORMATS)})")
        fmt = named
    if out is not None:
        named = format_for_suffix(out)
        if named is None:
            raise OutputError(f"{Path(out).name}: the output must end in .png, .tif, .tiff, .jpg or .jpeg")
        if fmt is not None and fmt != named:
            raise OutputError(f"{Path(out).name}: the name says {named}, but the format asked for is {fmt}")
        return named
    return fmt or default


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


def output_paths(photo: Path, out: Path | None, out_dir: Path | None, overwrite: bool,
                 suffix: str = ".png") -> tuple[Path, Path]:
    """The restored image's and the comparison's paths, checked before any work is done.

    ``out``: an explicit output (refused if it exists, unless ``overwrite``); otherwise
    ``<stem>_restored<suffix>`` and ``<stem>_compare.png`` in ``out_dir`` or beside the photo,
    numbered (``_restored-2``) when taken.
    """
    if out is not None:
        out = Path(out)
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
        restored = free_name(folder, f"{photo.stem}_restored{suffix}", overwrite)
        compare = free_name(folder, f"{photo.stem}_compare.png", overwrite)
    check_outputs(photo, restored, compare)
    return restored, compare


def check_outputs(photo: Path, restored: Path, compare: Path) -> None:
    """Refuse outputs in a missing or unwritable folder, or on the photo itself."""
    for p in (restored, compare):
        if not p.parent.is_dir():
            raise OutputError(f"{p.parent}: output folder does not exist")
        if not os.access(p.parent, os.W_OK):
            raise OutputError(f"{p.parent}: output folder is not writable")
        if p.exists() and p.resolve() == photo.resolve():
            raise OutputError(f"{p}: the output would overwrite the input photo")
