"""Where a restoration writes: never over the input, never over an earlier result unless asked."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OutputError, shown
from ..fileio import NameHold, hold_name, holder_note, os_reason
from .save import FORMATS, format_for_suffix

if TYPE_CHECKING:  # pragma: no cover
    from .stages import Saved

__all__ = ["Targets", "check_out_dir", "check_output_file", "check_outputs", "claimed_output", "hold_targets",
           "make_folders", "output_format", "remove_empty", "reserve_outputs"]


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
            raise OutputError(f"{shown(out)}: the output must end in .png, .tif, .tiff, .jpg or .jpeg")
        if fmt is not None and fmt != named:
            raise OutputError(f"{Path(out).name}: the name says {named}, but the format asked for is {fmt}")
        return named
    return fmt or default


class Targets:
    """Where one restore writes: the restored image and the comparison, their names held until :meth:`release`
    (:func:`~scientist.fileio.hold_name`), so that restores running at the same time never pick the same names.

    The save step puts the photo's record in :attr:`saved` before it places the restored image, its last file;
    :meth:`placed` says whether it did.  A stop raised in the thread that runs the photo (Ctrl-C, one photo at a
    time) may come just after that, before the record is returned: the photo is finished whole, and its record
    is here."""

    def __init__(self, restored: Path, comparison: Path, holds: list[NameHold]) -> None:
        self.restored, self.comparison, self._holds = restored, comparison, holds
        self._there = _file_id(restored)  # the file under the restored image's name when it was held (--overwrite)
        self.saved: Saved | None = None

    def placed(self) -> bool:
        """Whether a restored image was placed under :attr:`restored` since its name was held: another file is there
        than was then (the new one was made while the old one still existed, so it cannot have the old one's
        number)."""
        return _file_id(self.restored) not in (None, self._there)

    def release(self) -> None:
        for h in self._holds:
            h.release()
        self._holds = []

    def __enter__(self) -> Targets:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _file_id(path: Path) -> tuple[int, int] | None:
    """Which file is under ``path`` (its device and inode numbers); None when there is none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _hold(path: Path) -> NameHold | None:
    try:
        return hold_name(path)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot write there ({exc.strerror or exc.__class__.__name__})") from None


def _hold_free(folder: Path, names: tuple[str, ...], overwrite: bool) -> list[tuple[Path, NameHold]]:
    """``folder/name`` for each of ``names``, or the first numbered variant (``name-2``...) under which none exists
    and nobody holds any -- one number for all, so a restored image and its comparison keep matching names; held.
    ``overwrite`` takes the names themselves even when they exist (unless another restore holds one right now)."""
    for n in range(1, 10_000):
        paths = [folder / (m if n == 1 else f"{Path(m).stem}-{n}{Path(m).suffix}") for m in names]
        replace = overwrite and n == 1
        if not replace and any(p.exists() for p in paths):
            continue
        holds: list[NameHold] = []
        try:
            for p in paths:
                held = _hold(p)
                if held is None:
                    break
                holds.append(held)
        except BaseException:
            for h in holds:
                h.release()
            raise
        # all held, and none written by someone who released it a moment ago
        if len(holds) == len(paths) and (replace or not any(p.exists() for p in paths)):
            return list(zip(paths, holds, strict=True))
        for h in holds:
            h.release()
    raise OutputError(f"{folder}: too many earlier outputs named {names[0]}")


def reserve_outputs(photo: Path, out: Path | None, out_dir: Path | None, overwrite: bool,
                    suffix: str = ".png") -> Targets:
    """One photo's outputs, checked and held before any work is done.

    ``out``: an explicit output (refused if it exists, unless ``overwrite``, or while another restore writes
    it); otherwise ``<stem>_restored<suffix>`` and ``<stem>_compare.png`` in ``out_dir`` or beside the
    photo, numbered together (``_restored-2`` and ``_compare-2``) when either is taken -- by a file, or by a
    restore running at the same time.
    """
    holds: list[NameHold] = []
    try:
        if out is not None:
            out = Path(out)
            if _looked(out):
                if out.resolve() == photo.resolve():
                    raise OutputError(f"{out}: the output would overwrite the input photo")
                if not overwrite:
                    raise OutputError(f"{out}: already exists (pass --overwrite to replace it)")
            folder = out.parent if str(out.parent) else Path(".")
            compare_name = f"{out.stem.removesuffix('_restored')}_compare.png"
            check_outputs(photo, out, folder / compare_name)
            held = _hold(out)
            if held is None:
                raise OutputError(f"{out}: another restore is writing it right now")
            holds.append(held)
            if _looked(out) and not overwrite:
                raise OutputError(f"{out}: already exists (pass --overwrite to replace it)")
            [(compare, held)] = _hold_free(folder, (compare_name,), overwrite)
            holds.append(held)
            restored = out
        else:
            folder = Path(out_dir) if out_dir is not None else photo.parent
            names = (f"{photo.stem}_restored{suffix}", f"{photo.stem}_compare.png")
            check_outputs(photo, folder / names[0], folder / names[1])
            (restored, held), (compare, held_compare) = _hold_free(folder, names, overwrite)
            holds += [held, held_compare]
        check_outputs(photo, restored, compare)
    except BaseException:
        for h in holds:
            h.release()
        raise
    return Targets(restored, compare, holds)


def hold_targets(restored: Path, comparison: Path) -> Targets | None:
    """Fixed names (many photos), held; None when another restore holds one of them right now."""
    first = _hold(restored)
    if first is None:
        return None
    second = _hold(comparison)
    if second is None:
        first.release()
        return None
    return Targets(restored, comparison, [first, second])


def check_outputs(photo: Path, restored: Path, compare: Path) -> None:
    """Refuse outputs in a missing or unwritable folder, or on the photo itself."""
    for p in (restored, compare):
        if not _looked(p.parent, Path.is_dir):
            why = "not a folder" if _looked(p.parent) else "output folder does not exist"
            raise OutputError(f"{p.parent}: {why}")
        if not os.access(p.parent, os.W_OK):
            raise OutputError(f"{p.parent}: output folder is not writable")
        try:
            same = p.exists() and p.resolve() == photo.resolve()
        except OSError as exc:  # a name over the file system's limit (a long photo name plus "_restored")
            raise OutputError(f"{shown(p)}: {os_reason(exc)}") from None
        if same:
            raise OutputError(f"{p}: the output would overwrite the input photo")


def _looked(p: Path, look: Callable[[Path], bool] = Path.exists) -> bool:
    """``look(p)`` (``Path.exists``, ``Path.is_dir``); an :class:`OutputError` where the system will not say (no
    permission to look in its folder)."""
    try:
        return look(p)
    except OSError as exc:
        raise OutputError(f"{shown(p)}: cannot write there ({os_reason(exc)})") from None


def check_out_dir(out_dir: Path, writable: bool = True) -> list[Path]:
    """Refuse an output folder (``--out-dir``) that cannot be one: it, or the nearest of its parents that exists,
    is a file, or (unless ``writable`` is false) cannot be written in.  A missing folder is fine:
    :func:`make_folders` makes it.  Returns the folders that are missing, deepest first."""
    missing: list[Path] = []
    f = Path(out_dir)
    try:
        while not f.exists() and f != f.parent:
            if f.is_symlink():  # a link to nothing
                raise OutputError(f"{f}: a link to a missing folder")
            missing.append(f)
            f = f.parent
        if not f.is_dir():
            raise OutputError(f"{f}: not a folder")
    except OSError as exc:  # no permission to look inside a parent, say
        raise OutputError(f"{shown(out_dir)}: cannot use this output folder ({os_reason(exc)})") from None
    if writable and not os.access(f, os.W_OK):  # an existing one too: each photo of a batch failed on it
        raise OutputError(f"{f}: output folder is not writable")
    return missing


def make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents (an output folder, as the person named it or mirroring a
    tree); returns those created, deepest first, for :func:`remove_empty` when nothing is written in them."""
    missing = check_out_dir(folder)
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        remove_empty(missing)
        raise OutputError(f"{folder}: cannot create the output folder ({os_reason(exc)})") from None
    return missing


def remove_empty(folders: list[Path]) -> None:
    """Remove folders :func:`make_folders` created, deepest first, stopping at the first that is not empty."""
    for f in folders:
        try:
            f.rmdir()
        except OSError:
            break


def check_output_file(out: Path, suffix: str, kind: str) -> None:
    """Refuse ``out`` as the name a ``kind`` ("weights file", "constants file") is written to: one not ending in
    ``suffix``, a folder, or something other than a regular file (a pipe, a device such as ``/dev/null``)."""
    if out.suffix.lower() != suffix:
        raise OutputError(f"{shown(out)}: the {kind} must end in {suffix}")
    if out.is_dir():
        raise OutputError(f"{shown(out)}: a folder, not a {kind}")
    if out.exists() and not out.is_file():
        raise OutputError(f"{shown(out)}: not a regular file (a pipe, device or socket); name a {kind}")


@contextmanager
def claimed_output(out: Path, what: str) -> Iterator[None]:
    """Hold the name ``out`` for the whole block: its missing folders are made, and its name is held
    (:func:`~scientist.fileio.hold_name`, which also shows the folder can be written in, before any work), so that
    a second ``what`` on the same file is refused in one sentence naming the first.  If the block fails, the
    folders made for it are removed again when nothing was written in them."""
    made = make_folders(out.parent)
    try:
        try:
            held = hold_name(out)
        except OSError as exc:
            raise OutputError(f"{shown(out.parent)}: cannot write there ({os_reason(exc)})") from None
        if held is None:
            who = holder_note(out)
            raise OutputError(f"{shown(out)}: another {what} is writing it right now"
                              f"{f' ({shown(who)})' if who else ''}; wait for it to end, or write to another file")
        with held:
            held.note(f"process {os.getpid()} on {socket.gethostname()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
            yield
    except BaseException:
        remove_empty(made)
        raise
