"""Many photos at once: files and folders in, one result per photo, resumable.

:func:`plan_batch` finds the photos (a folder's own, or its whole tree with
``recursive``) and decides each one's outputs; :func:`restore_many` hands the plan
to an executor -- this process (:mod:`.executor`: one photo after another, or
several in threads beside one network) or a Ray cluster (:mod:`.cluster`) -- which
runs :func:`restore_planned` on each photo and yields a :class:`~.record.BatchItem`
per photo, in the plan's order.

Outputs have fixed names per photo (``<stem>_restored.<ext>``,
``<stem>_compare.png``), so that a second run finds them and skips those photos:
beside each photo, or under ``out_dir`` mirroring the tree (a folder argument
becomes ``out_dir/<its name>/...``, a file argument goes to ``out_dir`` itself).
Two photos of one folder with the same stem (``IMG_1.jpg``, ``IMG_1.heic``) are
told apart by their ending (``IMG_1_jpg_restored.png``).  Files this tool wrote
are never taken as photos.  A photo that fails is reported and the others carry
on; it leaves no file behind.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import OutputError, PhotoError, ScientistError, first_line, shown
from ..fileio import is_dir, os_reason
from ..settings import Settings, load_settings
from .options import RestoreOptions, as_paths
from .outputs import Targets, check_out_dir, make_folders, output_format, remove_empty
from .photo import PHOTO_SUFFIXES, RAW_SUFFIXES, SUPPORTED, is_raw
from .record import BatchItem, Demo, ProgressEvent, ProgressFn
from .save import FORMATS

__all__ = ["BatchJob", "Finishing", "PassedOver", "Planned", "is_output_name", "passed_over", "plan_batch",
           "restore_many", "restore_planned", "settled"]

_OUTPUT_STEM = re.compile(r"_(restored|compare)(-\d+)?$")


def is_output_name(path: Path) -> bool:
    """Whether a file's name is one this tool gives its outputs (``x_restored.png``, ``x_compare-2.png``)."""
    return bool(_OUTPUT_STEM.search(path.stem))


@dataclass(frozen=True)
class Planned:
    """One photo of a batch and what will happen to it."""

    source: Path
    name: str
    restored: Path | None = None
    comparison: Path | None = None
    skip: str | None = None  # why it is skipped without being read
    fail: str | None = None  # why it fails without being read
    folder: bool = False  # not a photo but a folder that could not be read (it fails)
    work: float = 0.0  # megapixels it puts through the network


@dataclass(frozen=True)
class _Found:
    source: Path
    root: Path | None  # the folder argument it was found in (None: named itself)
    explicit: bool
    same_as: Path | None = None  # the photo this one is (a link to it, or the same path again), restored as that


def _walk(folder: Path, recursive: bool, exclude: Path | None
          ) -> tuple[list[Path], int, bool, int, list[tuple[Path, str]]]:
    """The folder's candidate files (sorted), how many other files were passed over, whether it has subfolders
    (not links to folders), how many linked folders the walk did not follow (a link may lead anywhere, or round
    in a loop), and the folders it could not list (the folder itself, or a subfolder of a recursive walk) with
    why."""
    found: list[Path] = []
    ignored = linked = 0
    has_subfolders = False
    unreadable: list[tuple[Path, str]] = []

    def cannot_list(exc: OSError) -> None:  # os.walk would pass over such a folder without a word
        unreadable.append((Path(exc.filename) if exc.filename else folder, os_reason(exc)))

    for top, dirs, files in os.walk(folder, onerror=cannot_list):
        here = Path(top)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (exclude is None or (here / d).resolve() != exclude))
        links = sum((here / d).is_symlink() for d in dirs)
        linked += links
        if not recursive:
            has_subfolders = len(dirs) > links
            dirs[:] = []
        for name in sorted(files):
            p = here / name
            suffix = p.suffix.lower()
            if name.startswith(".") or is_output_name(p) or suffix not in PHOTO_SUFFIXES | RAW_SUFFIXES:
                ignored += not name.startswith(".")
                continue
            found.append(p)
    return found, ignored, has_subfolders, linked, sorted(unreadable)


@dataclass(frozen=True)
class PassedOver:
    """Photos in the subfolders of a batch's folders, which a run without ``recursive`` passes over: how many were
    found, and whether every entry was looked at (else there are at least that many)."""

    photos: int
    complete: bool


def passed_over(paths: str | os.PathLike | Iterable[str | os.PathLike], *, limit: int,
                out_dir: str | Path | None = None) -> PassedOver:
    """The photos in the subfolders of the folders among ``paths`` (not those folders' own photos), counted as
    :func:`plan_batch` with ``recursive`` would find them (hidden entries, outputs of this tool, camera RAW files
    and ``out_dir`` left out), looking at no more than ``limit`` entries of the subfolders in all (the
    ``subfolder_scan_limit`` setting): a huge tree is not walked for a hint.  Links to folders are not followed."""
    exclude = Path(out_dir).resolve() if out_dir is not None else None
    folders = deque(Path(e.path) for arg in as_paths(paths) if arg.is_dir() for e in _entries(arg)
                    if _subfolder(e, exclude))
    photos = seen = 0
    while folders:
        for entry in _entries(folders.popleft()):
            seen += 1
            if seen > limit:
                return PassedOver(photos, False)
            if _subfolder(entry, exclude):
                folders.append(Path(entry.path))
            elif not entry.name.startswith(".") and Path(entry.name).suffix.lower() in PHOTO_SUFFIXES \
                    and not is_output_name(Path(entry.name)) and entry.is_file():
                photos += 1
    return PassedOver(photos, True)


def _entries(folder: Path) -> Iterator[os.DirEntry]:
    """A folder's entries as they are read (a folder of a million files is not listed whole to look at a few);
    none when it cannot be read."""
    try:
        with os.scandir(folder) as it:
            yield from it
    except OSError:  # unreadable: nothing to count there
        return


def _subfolder(entry: os.DirEntry, exclude: Path | None) -> bool:
    try:
        return (not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False)
                and (exclude is None or Path(entry.path).resolve() != exclude))
    except OSError:
        return False


def _find(paths: list[Path], recursive: bool, out_dir: Path | None, scan_limit: int
          ) -> tuple[list[_Found], list[tuple[_Found, str]]]:
    """The photos found, and the folders that could not be listed with why (each as a :class:`_Found`, for its
    name)."""
    exclude = out_dir.resolve() if out_dir is not None else None
    found: list[_Found] = []
    ignored = 0
    empty: list[str] = []
    locked: list[tuple[_Found, str]] = []
    for arg in paths:
        if is_dir(arg):
            files, n, subfolders, linked, unreadable = _walk(arg, recursive, exclude)
            ignored += n
            found += [_Found(p, arg, False) for p in files]
            # a folder named on the command line is shown as it was named
            locked += [(_Found(folder, None if folder == arg else arg, False), why) for folder, why in unreadable]
            if any(folder == arg for folder, _ in unreadable):
                continue  # the folder itself could not be listed: said as such, not as a folder with no photos
            if not files:
                # how many photos its subfolders hold, in a bounded look (none at all when the limit is 0)
                more = passed_over([arg], limit=scan_limit, out_dir=out_dir) if subfolders and scan_limit else None
                why = (" (its subfolders were not looked in: add --recursive to restore what they hold)"
                       if subfolders and not scan_limit else
                       f" (add --recursive for the {'at least ' if not more.complete else ''}{more.photos} "
                       f"photo{'s' if more.photos != 1 else ''} in its subfolders)" if more and more.photos else
                       f" (its {linked} linked folder{'s were' if linked != 1 else ' was'} not followed: name "
                       f"{'them' if linked != 1 else 'it'} on the command line)" if linked else "")
                empty.append(f"{arg}{why}")
        else:
            found.append(_Found(arg, None, True))
    if not found and locked:  # nothing to restore, and a folder that could not be read may be why
        raise PhotoError("; ".join(f"{shown(f.source)}: cannot read the folder ({why})" for f, why in locked))
    if not found:
        others = (f"; the {ignored} other file{'s there are' if ignored != 1 else ' there is'} not "
                  f"{'photos' if ignored != 1 else 'a photo'} this tool reads ({SUPPORTED})") if ignored else ""
        raise PhotoError(f"no photos found in {', '.join(empty) or 'the paths given'}{others}")
    # one photo reached twice (a link to it, or named twice) is restored once, as itself rather than as a link
    # to it, wherever the link comes in the walk; the other way it was reached is listed as the same photo
    keys = [f.source.resolve() for f in found]
    chosen: dict[Path, _Found] = {}
    for f, key in zip(found, keys, strict=True):
        if key not in chosen or (chosen[key].source.is_symlink() and not f.source.is_symlink()):
            chosen[key] = f
    return [f if chosen[key] is f else replace(f, same_as=chosen[key].source)
            for f, key in zip(found, keys, strict=True)], locked


def _not_a_file(path: Path) -> str | None:
    """Why a photo named on the command line cannot be read as a file (None when it can be tried)."""
    try:
        return None if path.is_file() else "no such file"
    except OSError as exc:  # a name over the file system's limit, say: this photo fails, the others go on
        return os_reason(exc)


def _target_folder(f: _Found, out_dir: Path | None) -> Path:
    if out_dir is None:
        return f.source.parent
    if f.root is None:
        return out_dir
    return out_dir / (f.root.resolve().name or "root") / f.source.parent.relative_to(f.root)


def _shown(f: _Found) -> str:
    if f.root is None:
        return str(f.source)
    return str(Path(f.root.resolve().name or "root") / f.source.relative_to(f.root))


def _names(found: list[_Found]) -> list[str]:
    """How each photo is shown: relative to the folder it was found in, named by the folder's own name
    (``trip/IMG_1.jpg``); photos that would be shown alike (``a/trip`` and ``b/trip`` both hold ``IMG_1.jpg``)
    as they were reached from the command line (``a/trip/IMG_1.jpg``, ``b/trip/IMG_1.jpg``)."""
    names = [_shown(f) for f in found]
    alike = {n for n, count in Counter(names).items() if count > 1}
    return [str(f.source) if n in alike else n for f, n in zip(found, names, strict=True)]


def _restored_size(path: Path, max_side: int | None) -> tuple[int, int] | None:
    """The size the photo restores to (scaled down to ``max_side``), from its header; None when unreadable (the
    photo's own reading reports what is wrong with it)."""
    from .photo import photo_size

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w, h, _deep = photo_size(path)
    except Exception:  # noqa: BLE001 - see above
        return None
    if max_side and max(w, h) > max_side:
        s = max_side / max(w, h)
        w, h = max(1, round(w * s)), max(1, round(h * s))
    return w, h


def _work(path: Path, max_side: int | None) -> float:
    """Megapixels the photo will put through the network, from its header (0 when unreadable)."""
    size = _restored_size(path, max_side)
    return size[0] * size[1] / 1e6 if size else 0.0


def plan_batch(paths: str | os.PathLike | Iterable[str | os.PathLike], *, recursive: bool = False,
               out_dir: str | Path | None = None, fmt: str = "png", overwrite: bool = False,
               max_side: int | None = None, scan_limit: int | None = None) -> list[Planned]:
    """The photos under ``paths`` (one path, or an iterable of them) and their outputs (other files are passed over).

    ``scan_limit``: how many entries of a folder's subfolders may be looked through to say, when the folder itself
    holds no photo, how many they hold (default: the ``subfolder_scan_limit`` setting; 0: never look).

    Raises :class:`~scientist.errors.OptionError` when ``paths`` is not a path or paths, :class:`PhotoError`
    when there is no photo at all, :class:`~scientist.errors.OutputError` when ``out_dir`` cannot be a folder
    (a file is there).
    """
    paths = as_paths(paths)
    out_dir = Path(out_dir) if out_dir is not None else None
    if out_dir is not None:
        check_out_dir(out_dir)  # made when the first photo is written; a file there is refused before any work
    if scan_limit is None:
        scan_limit = load_settings().subfolder_scan_limit
    found, locked = _find(paths, recursive, out_dir, scan_limit)
    suffix = FORMATS[fmt]
    by_stem: dict[tuple[Path, str], int] = defaultdict(int)
    by_ending: dict[tuple[Path, str, str], int] = defaultdict(int)
    for f in found:
        if f.same_as is None and (f.explicit or not is_raw(f.source)):
            folder = _target_folder(f, out_dir)
            by_stem[(folder, f.source.stem.casefold())] += 1
            by_ending[(folder, f.source.stem.casefold(), f.source.suffix.lower())] += 1
    planned: list[Planned] = []
    taken: dict[Path, str] = {}
    names = _names(found)
    shown_as = {f.source: name for f, name in zip(found, names, strict=True) if f.same_as is None}
    for f, name in zip(found, names, strict=True):
        if f.same_as is not None:
            planned.append(Planned(f.source, name, skip=f"the same photo as {shown_as[f.same_as]}, restored as that"))
            continue
        if f.explicit and (why := _not_a_file(f.source)):
            planned.append(Planned(f.source, name, fail=why))
            continue
        if not f.explicit and is_raw(f.source):
            planned.append(Planned(f.source, name, skip=(
                "a camera RAW file: export a JPEG or a 16-bit TIFF from the camera app or a raw converter "
                "and restore that")))
            continue
        folder = _target_folder(f, out_dir)
        stem, ending = f.source.stem, f.source.suffix.lstrip(".")
        if by_stem[(folder, stem.casefold())] > 1:
            # photo.jpg beside photo.JPG: the ending as written tells them apart
            same = by_ending[(folder, stem.casefold(), f.source.suffix.lower())] > 1
            stem = f"{stem}_{ending if same else ending.lower()}"
        restored, comparison = folder / f"{stem}_restored{suffix}", folder / f"{stem}_compare.png"
        try:
            key = restored.resolve()
            done = restored.exists()
        except OSError as exc:  # a name over the file system's limit: this photo fails, the others go on
            planned.append(Planned(f.source, name, fail=f"its output's name cannot be made there ({os_reason(exc)})"))
            continue
        if key in taken:
            planned.append(Planned(f.source, name, fail=(
                f"its output {restored} would be the same as that of {taken[key]}; restore it on its own")))
            continue
        taken[key] = name
        if done and not overwrite:
            other = _not_its_output(f.source, restored, max_side)
            if other:
                planned.append(Planned(f.source, name, restored, comparison, fail=other))
            else:
                planned.append(Planned(f.source, name, restored, comparison, skip=f"already restored: {restored}"))
            continue
        planned.append(Planned(f.source, name, restored, comparison, work=_work(f.source, max_side)))
    # a folder that could not be listed fails on its own, shown as a folder
    planned += [Planned(f.source, _shown(f) + "/", fail=f"cannot read this folder ({why}): the photos in it, if any, "
                        "were not restored", folder=True) for f, why in locked]
    return planned


def _not_its_output(source: Path, restored: Path, max_side: int | None) -> str | None:
    """Why an existing output cannot be this photo's (its size is not the size this photo restores to: another
    photo of the same name, say from another folder of the same name mirrored into the same ``out_dir``); None
    when it may be, or when either size cannot be read."""
    from PIL import Image

    size = _restored_size(source, max_side)
    try:
        with Image.open(restored) as im:
            made = im.size
    except Exception:  # noqa: BLE001 - unreadable: the restore itself says what is wrong
        return None
    if size is None or all(abs(a - b) <= 1 for a, b in zip(sorted(made), sorted(size), strict=True)):  # turned too
        return None
    return (f"{restored} exists but is {made[0]}x{made[1]}, where this photo restores to {size[0]}x{size[1]}: it was "
            "made from another photo of the same name (another folder of the same name restored into this --out-dir?) "
            "or with another --max-side; restore into another --out-dir, or pass --overwrite to replace it")


@dataclass(frozen=True)
class BatchJob:
    """What every photo of a batch shares: the options, the settings, the workflow's steps, the output format,
    and the batch's size (for the progress events)."""

    options: RestoreOptions
    settings: Settings
    steps: tuple | None
    fmt: str
    count: int
    work_total: float

    def event(self, kind: str, index: int, p: Planned, **fields) -> ProgressEvent:
        return ProgressEvent(kind, name=p.name, index=index, count=self.count, work=p.work,
                             work_total=self.work_total, **fields)

    def finished(self, index: int, p: Planned, item: BatchItem) -> ProgressEvent:
        """The ``photo-end`` event of a photo."""
        return self.event("photo-end", index, p, status=item.status, reason=item.reason or "",
                          elapsed=item.demo.seconds if item.demo else 0.0)


def restore_many(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    recursive: bool = False,
    options: RestoreOptions | None = None,
    steps: Sequence | None = None,
    progress: ProgressFn | None = None,
    settings: Settings | None = None,
    cluster: str | None = None,
    threads: int | None = None,
    **legacy,
) -> Iterator[BatchItem]:
    """Restore every photo under ``paths`` (one path, or an iterable of them); yield one :class:`BatchItem` per
    photo, in order.

    Photos whose restored image exists already are skipped (``overwrite`` redoes
    them), so an interrupted run resumes where it stopped.  A photo that fails
    is yielded as ``failed`` with its reason and the next one goes ahead.
    ``options``: a :class:`RestoreOptions` (or its fields as keywords: ``out_dir``,
    ``strength``, ``weights``, ...); ``steps``: the workflow to execute; ``progress``
    receives the demo's :class:`ProgressEvent`\\ s marked with the photo, plus ``photo`` and
    ``photo-end`` events.  ``cluster``: a Ray cluster's address (``ray://host:port``, or
    ``auto``) to restore on instead of this process (:mod:`.cluster`); ``threads``: photos
    this process works on at once (default: the ``batch_threads`` setting).
    Raises :class:`PhotoError` when there is no photo.
    """
    settings = settings or load_settings()
    options = RestoreOptions.of(options, **legacy)
    if options.out is not None:
        raise PhotoError("--out names a single output; for several photos or a folder use --out-dir")
    from .run import check_steps

    check_steps(steps)
    fmt = output_format(None, options.image_format, settings.output_format)
    planned = plan_batch(paths, recursive=recursive, out_dir=options.out_dir, fmt=fmt, overwrite=options.overwrite,
                         max_side=options.max_side, scan_limit=settings.subfolder_scan_limit)
    job = BatchJob(options, settings, tuple(steps) if steps is not None else None, fmt, len(planned),
                   sum(p.work for p in planned))
    missing = _missing_folders(planned)
    try:
        if cluster:
            from .cluster import restore_on_cluster

            yield from restore_on_cluster(planned, job, cluster, progress)
        else:
            from .executor import restore_here

            yield from restore_here(planned, job, progress, threads)
    finally:
        # a photo that fails removes the folders it made, but not those another photo made first nor one that
        # still held another photo's names (photos in flight at once): when the batch ends, failed or stopped,
        # every folder it made and wrote nothing in goes again
        for chain in missing:
            remove_empty(chain)


def _missing_folders(planned: list[Planned]) -> list[list[Path]]:
    """The folders the planned outputs go in that are missing before the batch (made when a photo's outputs are
    written), each with its missing parents, deepest first (as :func:`~.outputs.remove_empty` takes them)."""
    chains: list[list[Path]] = []
    seen: set[Path] = set()
    for p in planned:
        if p.restored is None or p.restored.parent in seen:
            continue
        seen.add(p.restored.parent)
        try:
            chain = check_out_dir(p.restored.parent)
        except (OutputError, OSError):  # cannot be made or looked at: its photo fails, making nothing
            continue
        if chain:
            chains.append(chain)
    return chains


def settled(p: Planned) -> BatchItem | None:
    """The item of a photo decided by planning alone (skipped, or failed before being read); None otherwise."""
    if p.fail:
        return _failed(p, p.fail)
    if p.skip:
        return BatchItem(input=str(p.source), name=p.name, status="skipped", reason=p.skip,
                         output=str(p.restored) if p.restored else None,
                         comparison=str(p.comparison) if p.restored else None)
    return None


class Finishing:
    """One photo of a batch restored in the thread a stop (Ctrl-C, SIGTERM) is raised in: one photo at a time, the
    main thread.  The stop comes wherever the photo is, so it may come just after the photo's restored image was
    placed (its outputs complete) and before its record was returned; :meth:`item` is then that record, made
    from what the save step put by before placing the image (:attr:`.outputs.Targets.saved`).  The stop may also
    come as the photo's ``photo-end`` is said (the progress callback runs in that thread): its record is then
    :attr:`made`, whatever the photo's end (restored, skipped, failed)."""

    def __init__(self, p: Planned, job: BatchJob) -> None:
        self.p, self.job = p, job
        self.targets: Targets | None = None  # once the photo's names are held
        self.made: BatchItem | None = None  # once the photo is decided, before its photo-end is said

    def item(self) -> BatchItem | None:
        """The photo's record if it was made, or if its restored image, written last, was placed; None otherwise
        (then the stop came part-way, and the photo left nothing)."""
        if self.made is not None:
            return self.made
        targets = self.targets
        if targets is None or targets.saved is None or not targets.placed():
            return None
        from .run import check_steps

        return _restored(self.p, targets.saved.demo(list(check_steps(self.job.steps).names)))


def restore_planned(p: Planned, index: int, job: BatchJob, restorer, progress: ProgressFn | None,
                    finishing: Finishing | None = None) -> BatchItem:
    """Restore one planned photo of a batch through the stages, reporting ``photo`` and ``photo-end``: what every
    executor runs for each photo.  ``restorer``: the batch's :class:`~.stages.Restorer`, or a function that
    makes it when first needed (so that a photo that cannot be read fails before the network is loaded).
    ``finishing``: given by an executor that runs the photo in the thread a stop is raised in, for the photo's
    record should the stop come once its outputs are placed.

    A failure becomes a ``failed`` item; only a ``BaseException`` (Ctrl-C, a stop) goes through.
    """
    if progress is not None:
        progress(job.event("photo", index, p))
    item = _restore_read(p, index, job, restorer, progress, finishing)
    if finishing is not None:  # a failed or skipped photo has no placed image to make its record from
        finishing.made = item
    if progress is not None:
        progress(job.finished(index, p, item))
    return item


def _restore_read(p: Planned, index: int, job: BatchJob, restorer, progress: ProgressFn | None,
                  finishing: Finishing | None) -> BatchItem:
    from .stages import Photo

    try:  # a photo that cannot be read fails here, before the network (and torch) is loaded
        photo = Photo.read(p.source)
    except Exception as exc:  # noqa: BLE001 - one bad photo must not stop the others; it is reported
        return _failed(p, _reason(exc))
    from .outputs import hold_targets
    from .run import restore_photo

    def marked(event: ProgressEvent) -> None:
        progress(replace(event, name=p.name, index=index, count=job.count, work=p.work, work_total=job.work_total))

    done, created = False, []
    try:
        created = make_folders(p.restored.parent)
        targets = hold_targets(p.restored, p.comparison)
        if targets is None:
            return BatchItem(input=str(p.source), name=p.name, status="skipped",
                             reason=f"another run is restoring it: {p.restored}")
        if finishing is not None:
            finishing.targets = targets
        with targets:
            if p.restored.exists() and not job.options.overwrite:  # finished by another run since planning
                done = True
                return settled(replace(p, skip=f"already restored: {p.restored}"))
            demo = restore_photo(photo, job.options, steps=job.steps, progress=marked if progress else None,
                                 settings=job.settings, restorer=restorer, targets=targets)
        done = True
    except Exception as exc:  # noqa: BLE001 - one bad photo must not stop the others; it is reported
        return _failed(p, _reason(exc))
    finally:
        if not done:
            remove_empty(created)
    return _restored(p, demo)


def _restored(p: Planned, demo: Demo) -> BatchItem:
    return BatchItem(input=str(p.source), name=p.name, status="restored", output=demo.output,
                     comparison=demo.comparison, demo=demo)


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, ScientistError) else (
        f"internal error: {exc.__class__.__name__}: {first_line(exc) if str(exc).strip() else ''}")


def _failed(p: Planned, reason: str) -> BatchItem:
    """A photo that failed, with its reason stripped of the photo's own name (whoever shows it adds the name)."""
    for prefix in (f"{p.source}: ", f"{p.source.name}: "):
        reason = reason.removeprefix(prefix)
    return BatchItem(input=str(p.source), name=p.name, status="failed", reason=reason, folder=p.folder)


