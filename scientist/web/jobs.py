"""Restore jobs of the web app: a private folder each, one restore at a time, old ones deleted.

A job's folder is ``<cache>/web-jobs/server-<sid>/<id>`` with a random 32-hex-digit id, in the folder of the
server that made it; the upload inside it is always called ``photo`` and the results have fixed names, so nothing
a client sends ever becomes part of a path.  Jobs wait in one queue and a single worker thread restores them in
turn; finished jobs are deleted after the retention time.  A job that a page follows (``watched``) is cancelled
once the page is gone: it said it was leaving and did not come back within a grace period, or it stopped asking how
the job stands; a job of any other client is never cancelled for not asking.

Each server holds the name of its own folder for as long as it runs (:func:`~scientist.fileio.hold_name`: a lock
the system releases when the process ends, however it ends).  A server's jobs can be reached only through it, so
the folders of a server that no longer runs are deleted as soon as another starts on the same cache (and at each
of its sweeps), while those of a server still running beside it, on another port, are never touched.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import shutil
import threading
import time
import unicodedata
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..errors import BusyError, JobError, OutputError, ScientistError, StoppingError, UnfinishedJobError, shown
from ..fileio import NameHold, hold_name
from ..gathered import package_warnings, say_package_warnings_always
from ..restore.record import Demo, ProgressEvent, ProgressFn

__all__ = ["FILES", "Crop", "Job", "JobProgress", "JobStatus", "Jobs", "MemoryBudget", "RestoreFn",
           "ascii_label", "internal_error", "safe_label", "safe_name", "sentence"]

log = logging.getLogger(__name__)

#: A restoration: (the photo, folder for the results, progress callback, the brightness gain: "auto" or a number)
#: -> the demo record.  The photo is the upload as it was read when it arrived (a
#: :class:`~scientist.restore.stages.Photo`, a path-like object).
RestoreFn = Callable[[Path, Path, ProgressFn, "float | str"], Demo]

_JOB_ID = re.compile(r"[0-9a-f]{32}")
#: A server's own folder under ``web-jobs``, and the lock file that holds its name while the server runs.
_SERVER = re.compile(r"server-[0-9a-f]{16}")
_SERVER_LOCK = re.compile(r"\.(server-[0-9a-f]{16})\.lock")
_STOPPED = "the server stopped before this photo was restored"
#: A photo that waited for memory held by other photos as long as it may.
BUSY = "the server is busy with other photos; try again in a minute"
#: An upload not yet queued when the server began to stop.
STOPPING = "the server is stopping; send the photo again once it runs"
#: The files of a finished job a client may fetch, by their public names.
FILES = ("before.png", "restored.png", "compare.png")
#: The error of a job cancelled because its page said it was leaving and did not come back.
PAGE_CLOSED = "cancelled: its page was closed"
#: Where a job stands until it has finished.
_UNFINISHED = ("queued", "running")


class JobProgress(BaseModel):
    """Where the network stands on a running job (from the restore's progress events)."""

    done: int = Field(description="Tiles finished.")
    total: int = Field(description="Tiles in all.")
    elapsed: float = Field(description="Seconds since the network started, counted on to the time of asking.")
    estimate: float = Field(description="The network's time as estimated before it started (seconds).")
    measured: bool = Field(description="Whether the estimate comes from a speed measured on this machine.")
    remaining: float = Field(description="Seconds still expected, from the tiles done so far (or the estimate).")
    width: int = Field(description="Width of the photo (pixels).")
    height: int = Field(description="Height of the photo (pixels).")
    backend: str = Field(description="What runs the network.")
    device: str = Field(description="cpu or cuda.")


class Crop(BaseModel):
    """A square of the photo worth a closer look (the comparison's zoomed crops)."""

    name: str = Field(description="detail (the most detailed square) or flat/dark (the flattest, darkest one).")
    x: int = Field(description="Left edge (pixels).")
    y: int = Field(description="Top edge (pixels).")
    size: int = Field(description="Side of the square (pixels).")


class JobStatus(BaseModel):
    """A restore job as the API reports it."""

    id: str = Field(description="The job's id.")
    state: Literal["queued", "running", "done", "failed"] = Field(description="Where the job stands.")
    position: int | None = Field(
        default=None, description="While queued: the place in the queue (1 = next to run).")
    progress: JobProgress | None = Field(default=None, description="While running: the network's progress.")
    message: str | None = Field(
        default=None, description="The time estimate, in the words the command line prints.")
    error: str | None = Field(default=None, description="When failed: what went wrong, in one sentence.")
    demo: Demo | None = Field(
        default=None,
        description="When done: the demo record; its input, output and comparison are the URLs of the "
                    "photo as read, the restored image and the comparison.")
    crops: list[Crop] = Field(default_factory=list, description="When done: the two zoomed crops.")
    label: str = Field(description="A name for downloads, made from the uploaded file's name.")
    warnings: list[str] = Field(
        default_factory=list,
        description="What the photo loses or what was done differently, one sentence each, naming the uploaded file "
                    "(its transparency, frames after the first, an EXIF block that could not be copied...): the "
                    "warnings of the check on arrival and of the restore.")


#: What a browser writes in a form's file name for the three characters the form's encoding cannot carry
#: (HTML's multipart/form-data: a double quote, a line feed, a carriage return); "%" itself is sent as it is.
_FORM_ESCAPES = {"%22": '"', "%0A": "\n", "%0D": "\r"}


def _base_name(filename: str | None) -> str:
    """The last part of a client's file name (a browser may send a whole Windows path), as the person named it
    (a browser's ``%22`` is the ``"`` it stands for), its letters composed (NFC: an ``é`` sent as ``e`` and an
    accent is one letter)."""
    name = re.sub("%22|%0A|%0D", lambda m: _FORM_ESCAPES[m.group(0).upper()], str(filename or ""), flags=re.I)
    return unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])


def safe_label(filename: str | None) -> str:
    """A download name from a client's file name: its stem, letters and digits of any script, ``-`` and ``_``
    only (``Été à Nîmes.jpg`` -> ``Été_à_Nîmes``): never a path separator, a control or formatting character."""
    stem = Path(_base_name(filename)).stem
    label = re.sub(r"[^\w-]+", "_", stem).strip("_")[:60]
    return label or "photo"


def ascii_label(label: str) -> str:
    """:func:`safe_label`'s name in ASCII, for clients that cannot read a UTF-8 file name (accents dropped:
    ``Ünïcødé_写真_café`` -> ``Unicde_cafe``; ``photo`` when nothing is left)."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"_{2,}", "_", re.sub(r"[^A-Za-z0-9_-]+", "_", plain)).strip("_") or "photo"


def safe_name(filename: str | None) -> str:
    """What errors call the upload: the client's file name as the person named it (its last part, without the
    folders before it), made safe to show (:func:`~scientist.errors.shown`: control and invisible characters as
    ``?``, a long one cut in the middle); ``photo`` when it has none."""
    return shown(_base_name(filename)) if _base_name(filename).strip() else "photo"


@dataclass
class Job:
    id: str
    folder: Path
    label: str = "photo"
    name: str = "photo"  # the upload as errors name it (the client's file name, made safe)
    created: float = field(default_factory=time.time)
    state: str = "new"
    event: ProgressEvent | None = None
    event_at: float = 0.0  # time.monotonic() when the event came: the clock runs on between two tiles
    demo: Demo | None = None
    crops: list[Crop] = field(default_factory=list)
    error: str | None = None
    finished: float | None = None
    memory: int = 0  # bytes its restore needs (known once the upload is checked)
    read: object | None = None  # the upload as read on arrival (a restore.stages.Photo), until it is restored
    gain: float | str = "auto"  # the brightness gain asked for with the upload
    warnings: list[str] = field(default_factory=list)  # of its check and its restore, naming the upload as `name`
    # why it was cancelled (by its client, or as its page is gone): out of the queue, or stopped at its next tile
    cancelled: str | None = None
    watched: bool = False  # followed by a page: cancelled once the page is gone (Jobs._given_up)
    polled: float = 0.0  # when its status was last asked for (time.monotonic()), or it was queued
    leaving: float | None = None  # when its page said it was leaving, unless another asked about it since
    left_by: str | None = None  # the name of that page (Jobs.leaving)

    def warned(self, texts: list[str]) -> None:
        """Keep the warnings of the photo's check or restore, each once, naming the upload as the client named it."""
        for text in texts:
            text = named(text, self.folder, self.name)
            if text not in self.warnings:
                self.warnings.append(text)

    @property
    def photo(self) -> Path:
        """The upload, under a name of our own."""
        return self.folder / "photo"

    @property
    def before(self) -> Path:
        """The photo as the network reads it (upright, 8-bit), for the page's slider."""
        return self.folder / "before.png"

    def file(self, name: str) -> Path:
        """One of :data:`FILES` of a finished job."""
        if name not in FILES:
            raise JobError(f"a job has no file named {name[:40]!r}")
        if name == "before.png" and self.before.is_file():
            return self.before
        if self.state == "failed":
            raise JobError(f"this job failed, so it has no {name} (its status says why)")
        if self.state != "done" or self.demo is None:
            raise UnfinishedJobError("this job has not finished yet")
        return Path(self.demo.output if name == "restored.png" else self.demo.comparison)


class MemoryBudget:
    """Memory that photos share (bytes): checking an upload and restoring a photo each take what
    their size needs for as long as they run; one that does not fit waits its turn, first come first
    served.  Nothing may ask for more than :attr:`total` (check :meth:`fits` first).

    A thread waits with :meth:`reserve`, a coroutine with :meth:`reserve_async` (on its event loop, holding no
    thread while it waits); both take their turns in the same line.  Once :meth:`stop` is called, every wait ends
    at once with :class:`~scientist.errors.StoppingError`."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0
        self.stopped = False
        self._cv = threading.Condition()
        self._turns: deque[object] = deque()
        self._wakers: dict[object, Callable[[], None]] = {}  # of the coroutines waiting, by their turn

    def fits(self, amount: int) -> bool:
        return amount <= self.total

    def _changed(self) -> None:
        """Tell every waiter, thread or coroutine, that the budget or the line has changed (hold ``_cv``)."""
        self._cv.notify_all()
        for wake in self._wakers.values():
            wake()

    def stop(self) -> None:
        """End every wait, now and to come, with :class:`~scientist.errors.StoppingError` (the server is stopping:
        nothing waiting for memory could finish before it ends); memory held is given back as usual."""
        with self._cv:
            self.stopped = True
            self._changed()

    def _take(self, turn: object, amount: int) -> bool:
        """Take ``amount`` if it is ``turn``'s turn and it fits (hold ``_cv``)."""
        if self._turns[0] is turn and self.used + amount <= self.total:
            self.used += amount
            return True
        return False

    @contextmanager
    def _held(self, got: bool, amount: int) -> Iterator[None]:
        """The block, holding the ``amount`` a wait took (``got``), given back after it; :class:`BusyError` when the
        wait ran out instead, :class:`StoppingError` when :meth:`stop` ended it."""
        if not got:
            raise StoppingError(STOPPING) if self.stopped else BusyError(BUSY)
        try:
            yield
        finally:
            with self._cv:
                self.used -= amount
                self._changed()

    @contextmanager
    def reserve(self, amount: int, wait: float | None = None,
                given_up: Callable[[], bool] | None = None) -> Iterator[None]:
        """Hold ``amount`` bytes for the block, waiting up to ``wait`` seconds (None: as long as it takes)
        for others to give theirs back; :class:`BusyError` when the wait runs out.  ``given_up``: whether the
        waiter no longer wants the memory (a cancelled job), asked whenever :meth:`wake` is called; the wait then
        ends at once with :class:`~scientist.errors.StoppingError`, taking nothing."""
        amount = min(amount, self.total)
        turn, took = object(), []

        def over() -> bool:  # stopped or given up first: a wait that ends so takes nothing
            if self.stopped or (given_up is not None and given_up()):
                return True
            if self._take(turn, amount):
                took.append(amount)
                return True
            return False

        with self._cv:
            self._turns.append(turn)
            ended = self._cv.wait_for(over, wait)
            self._turns.remove(turn)
            self._changed()
        if ended and not took and not self.stopped:
            raise StoppingError("the wait for memory was given up")
        with self._held(bool(took), amount):
            yield

    def wake(self) -> None:
        """Have every thread waiting in :meth:`reserve` ask again whether it has given up."""
        with self._cv:
            self._cv.notify_all()

    @asynccontextmanager
    async def reserve_async(self, amount: int, wait: float) -> AsyncIterator[None]:
        """:meth:`reserve` for a coroutine: it waits (up to ``wait`` seconds) on its event loop, woken when memory
        is given back, so that no thread is held while it waits; :class:`BusyError` when the wait runs out."""
        amount = min(amount, self.total)
        loop = asyncio.get_running_loop()
        turn = asyncio.Event()
        deadline = loop.time() + wait
        got = False
        with self._cv:
            self._turns.append(turn)
            self._wakers[turn] = lambda: loop.call_soon_threadsafe(turn.set)
        try:
            while True:
                turn.clear()  # before looking: a change after the look sets it again
                with self._cv:
                    got = not self.stopped and self._take(turn, amount)
                if got or self.stopped or loop.time() >= deadline:
                    break
                with suppress(asyncio.TimeoutError):  # TimeoutError itself from Python 3.11
                    await asyncio.wait_for(turn.wait(), deadline - loop.time())
        finally:
            with self._cv:
                self._turns.remove(turn)
                del self._wakers[turn]
                self._changed()
        with self._held(got, amount):
            yield


class _Stopped(Exception):
    """Raised from a restore's progress once the server shuts down: the restore stops at its next tile."""


class Jobs:
    """The job folders, the queue and the one worker thread that restores photos in turn.

    ``root`` is the folder servers sharing a cache keep their jobs in; this server's are in a folder of its own
    there (:attr:`own`), whose name it holds until :meth:`close`.  ``restore`` does the work; ``describe`` turns
    the first progress event into the estimate sentence; ``retention`` (seconds) is how long finished jobs are
    kept; ``budget``, the memory restores share with the checking of uploads (a job's restore holds
    :attr:`Job.memory` of it); ``leave_grace`` and ``poll_timeout`` (seconds), when a job its page has left is
    cancelled (:meth:`_given_up`).
    """

    def __init__(self, root: Path, restore: RestoreFn, *, retention: float, max_waiting: int,
                 budget: MemoryBudget, leave_grace: float, poll_timeout: float,
                 describe: Callable[[ProgressEvent], str] | None = None) -> None:
        self.root = Path(root)
        self.restore = restore
        self.retention = retention
        self.leave_grace, self.poll_timeout = leave_grace, poll_timeout
        self.max_waiting = max_waiting
        self.describe = describe
        self.budget = budget
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[str] = deque()
        self._cv = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False
        say_package_warnings_always()  # before any request runs (see there)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            os.chmod(self.root, 0o700)
            self._claim, self.own = _claim_folder(self.root)
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot make the web app's job folder ({exc.strerror or exc})") from None
        self.sweep()  # what servers that no longer run have left: nobody can reach it any more

    # ------------------------------------------------------------ jobs
    def new(self, filename: str | None = None) -> Job:
        """A job with a fresh private folder, not yet queued (see :meth:`submit`, :meth:`discard`).

        The queue is checked here, before an upload is read, and again at :meth:`submit`.
        """
        self.check_open()
        self.sweep()
        job_id = secrets.token_hex(16)
        folder = self.own / job_id
        folder.mkdir(mode=0o700)
        return Job(job_id, folder, label=safe_label(filename), name=safe_name(filename))

    def discard(self, job: Job) -> None:
        """Remove a job that was never submitted, and its folder."""
        shutil.rmtree(job.folder, ignore_errors=True)

    def submit(self, job: Job) -> None:
        """Queue a job whose photo is in place; starts the worker, and the watch over jobs left by their pages, on
        first use."""
        with self._cv:
            self._check_open()
            job.state, job.polled = "queued", time.monotonic()  # its client has just been told where it stands
            self._jobs[job.id] = job
            self._waiting.append(job.id)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="scientist-restore", daemon=True)
                self._worker.start()
                threading.Thread(target=self._watch, name="scientist-left-jobs", daemon=True).start()
            self._cv.notify_all()

    def check_open(self) -> None:
        """Refuse a job (:class:`BusyError`) while the server shuts down or ``max_waiting`` photos wait already."""
        with self._cv:
            self._check_open()

    def _check_open(self) -> None:
        """:meth:`check_open`, holding ``_cv``."""
        if self._closed:
            raise StoppingError(STOPPING)
        if len(self._waiting) >= self.max_waiting:
            n = len(self._waiting)
            raise BusyError(f"{n} photo{'s are' if n != 1 else ' is'} already waiting; try again in a few minutes")

    def cancel(self, job_id: str) -> None:
        """Cancel the job with this id (and no other; :class:`JobError` for an unknown one): a queued job leaves
        the queue, a running one's restore stops at its next tile (the next job starts then), and the job and its
        folder are deleted, its results too when it had finished."""
        with self._cv:
            job = self.get(job_id)
            del self._jobs[job.id]
            now = self._stop(job, "cancelled")
        if now:
            shutil.rmtree(job.folder, ignore_errors=True)

    def _stop(self, job: Job, why: str) -> bool:
        """Cancel ``job`` (hold ``_cv``), ``why`` being its error: a queued job leaves the queue and has failed at
        once, a running one's restore stops at its next tile (the worker then fails it and deletes its folder,
        :meth:`_finish`).  Whether its folder is to be deleted now, as it does not run."""
        job.cancelled = why
        if job.state == "queued":
            self._waiting.remove(job.id)
            job.state, job.error, job.finished, job.read = "failed", why, time.time(), None
        self._cv.notify_all()
        self.budget.wake()  # a running job may still wait for its memory: it stops waiting now
        return job.state != "running"

    def polled(self, job_id: str, page: str | None = None) -> Job:
        """The job of this id (:meth:`get`), noted as asked about now by ``page`` (the name a page gave itself, None
        for a client that gave none): its page is still there or, if this is not the page that said it was leaving,
        has come back (a reload).  The page that left may still be heard from: a poll it sent just before it
        went can arrive after it said so, and would otherwise keep the job for nobody."""
        with self._cv:
            job = self.get(job_id)
            job.polled = time.monotonic()
            if page is None or page != job.left_by:
                job.leaving = job.left_by = None
        return job

    def leaving(self, job_id: str, page: str | None = None) -> None:
        """The page that follows the job of this id (named ``page``, as in its polls) says it is going (closed,
        another page opened in its place, or a reload): unless another asks about the job within ``leave_grace``
        seconds (:meth:`polled`), the job is cancelled if it has not finished by then (:meth:`_watch`); a finished
        job is kept as usual."""
        with self._cv:
            job = self.get(job_id)
            job.leaving, job.left_by = time.monotonic(), page
            self._cv.notify_all()  # the watch's next time may be sooner

    def _given_up(self, job: Job) -> tuple[float, str] | None:
        """When the job is to be cancelled as left by its page (``time.monotonic()``), and why: ``leave_grace``
        after its page said it was leaving, or, for a job a page follows, ``poll_timeout`` after its status was
        last asked for (its browser crashed or its tab was dropped without a word; a browser asks from a hidden tab
        once a minute).  None for a job that has finished or was cancelled already, and for another client's job
        that nobody said was left: an API client may ask as seldom as it likes."""
        if job.state not in _UNFINISHED or job.cancelled:
            return None
        times = []
        if job.leaving is not None:
            times.append((job.leaving + self.leave_grace, PAGE_CLOSED))
        if job.watched:
            times.append((job.polled + self.poll_timeout, f"cancelled: its page had not asked about it for "
                                                          f"{self.poll_timeout:g} s (closed, or its browser gone)"))
        return min(times, default=None)

    def get(self, job_id: str) -> Job:
        """The job with this id, unless it expired; :class:`JobError` for anything else (ids are never used as
        paths)."""
        job = self._jobs.get(job_id) if _JOB_ID.fullmatch(job_id or "") else None
        # a job past its retention is gone at once, whenever the sweep comes to delete its files
        if job is None or (job.finished is not None and time.time() - job.finished > self.retention):
            raise JobError("no such job (it may have expired, or been cancelled)")
        return job

    def status(self, job: Job) -> JobStatus:
        with self._cv:
            state = job.state
            position = self._waiting.index(job.id) + 1 if state == "queued" else None
        event = job.event if state == "running" else None
        progress = _progress(event, time.monotonic() - job.event_at) if event is not None else None
        message = self.describe(event) if event is not None and self.describe is not None else None
        demo = None
        if state == "done" and job.demo is not None:
            base = f"/api/jobs/{job.id}/"
            demo = job.demo.model_copy(update={"input": base + "before.png", "output": base + "restored.png",
                                               "comparison": base + "compare.png"})
        return JobStatus(id=job.id, state=state, position=position, progress=progress, message=message,
                         error=job.error, demo=demo, crops=job.crops if state == "done" else [], label=job.label,
                         warnings=list(job.warnings))

    # ------------------------------------------------------------ cleaning up
    def sweep(self, now: float | None = None) -> None:
        """Delete finished jobs older than the retention time and stale entries of this server's folder that no job
        owns; the folders of servers that no longer run, whatever their age (their jobs cannot be reached: their
        results could not even be deleted on request); and other stale entries nobody owns.  This server's own
        folder and claim, and those of every server still running, are never touched."""
        now = time.time() if now is None else now
        with self._cv:
            old = [j for j in self._jobs.values() if j.finished is not None and now - j.finished > self.retention]
            for j in old:
                del self._jobs[j.id]
            known = set(self._jobs)
        for j in old:
            shutil.rmtree(j.folder, ignore_errors=True)
        for p in _entries(self.own):
            if p.name not in known and _older(p, now - self.retention):
                _delete(p)
        own_lock = f".{self.own.name}.lock"
        for p in _entries(self.root):
            if p.name in (self.own.name, own_lock):
                continue
            lock = _SERVER_LOCK.fullmatch(p.name)
            if _SERVER.fullmatch(p.name) or lock:  # a server's: by whether it runs, never by age
                _delete_if_ended(self.root / (lock.group(1) if lock else p.name))
            elif _older(p, now - self.retention):  # e.g. a job folder of an earlier version of the server
                _delete(p)

    def stop(self) -> None:
        """Stop taking jobs as soon as the server begins to stop (before it waits for the requests under way): the
        restore under way stops at its next tile, and every upload waiting for memory is refused at once
        (:meth:`MemoryBudget.stop`) rather than cut off when that wait runs out.  :meth:`close` does the rest."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self.budget.stop()

    @property
    def working(self) -> bool:
        """Whether the worker thread is alive: waiting for a job, or restoring one (after :meth:`close`, still
        restoring)."""
        worker = self._worker
        return worker is not None and worker.is_alive()

    def close(self, wait: float = 0.0) -> None:
        """Stop taking jobs and stop the restore under way at its next tile (waited for up to ``wait`` s, so that
        the process does not end while the network runs); the photos that were never restored are deleted, as
        no later server can restore them, and once nothing runs, the finished jobs too (no later server can serve
        them) and this server's folder, its claim given up."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
            worker = self._worker
        if worker is not None and wait > 0:
            worker.join(wait)
        with self._cv:
            unfinished = [j for j in self._jobs.values() if j.state == "queued" or j.error == _STOPPED]
            for j in unfinished:
                del self._jobs[j.id]
            self._waiting.clear()
        for j in unfinished:
            shutil.rmtree(j.folder, ignore_errors=True)
        if worker is None or not worker.is_alive():
            # a restore still running writes there: then the claim ends with the process, and the next server to
            # start deletes the folder
            shutil.rmtree(self.own, ignore_errors=True)
            self._claim.release()

    # ------------------------------------------------------------ the worker, and the watch over left jobs
    def _watch(self) -> None:
        """Cancel each job when its page has left it (:meth:`_given_up`), its folder deleted as :meth:`cancel`
        deletes it; the job stays, failed, so that its status says why.  Sleeps until the next such time, or until
        the jobs change; ends when the server stops."""
        while True:
            with self._cv:
                if self._closed:
                    return
                now, wake, gone = time.monotonic(), float("inf"), []
                for job in list(self._jobs.values()):
                    if (plan := self._given_up(job)) is None:
                        continue
                    if plan[0] > now:
                        wake = min(wake, plan[0])
                    elif self._stop(job, plan[1]):
                        gone.append(job)
                if not gone:
                    self._cv.wait(None if wake == float("inf") else wake - now)
                    continue
            for job in gone:
                shutil.rmtree(job.folder, ignore_errors=True)

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._waiting and not self._closed:
                    if not self._cv.wait(timeout=60):
                        break
                if self._closed:
                    return
                if not self._waiting:
                    job = None
                else:
                    job = self._jobs[self._waiting.popleft()]
                    job.state = "running"
            if job is None:
                self.sweep()
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        def progress(event: ProgressEvent) -> None:
            if self._closed or job.cancelled:
                raise _Stopped
            job.event_at = time.monotonic()  # first: a status read in between pairs the old event with a new time,
            job.event = event  # never a new event with the time of none (0: hours "so far")

        photo, job.read = job.read or job.photo, None
        try:
            with self.budget.reserve(job.memory, given_up=lambda: job.cancelled is not None), \
                    package_warnings() as caught:
                if job.cancelled:  # just as it got its memory
                    raise _Stopped
                try:
                    demo = self.restore(photo, job.folder, progress, job.gain)
                finally:
                    job.warned(caught)
            del photo
            crops = _crops(job.before, Path(demo.output))
        # StoppingError: the server stopped, or the job was cancelled, while it waited for memory
        except (_Stopped, StoppingError):
            state, fields = "failed", {"error": _STOPPED}  # a cancelled job's error is why it was (_finish)
        except ScientistError as exc:
            state, fields = "failed", {"error": sentence(exc, job.folder, job.name)}
        except Exception as exc:  # noqa: BLE001 - reported on the job, logged in full here
            log.exception("restore job %s failed", job.id)
            state, fields = "failed", {"error": internal_error(exc)}
        else:
            state, fields = "done", {"demo": demo, "crops": crops}
        finally:
            # the results and before.png are all the page needs; the upload goes before the job says it has
            # finished, so that a finished job's folder holds only those
            with suppress(OSError):
                job.photo.unlink(missing_ok=True)
        self._finish(job, state, **fields)

    def _finish(self, job: Job, state: str, **fields) -> None:
        with self._cv:
            gone = job.cancelled is not None  # while it ran: cancel left its folder to be deleted here
            if gone:  # its restore may have ended before it came to another tile: its results go all the same
                state, fields = "failed", {"error": job.cancelled}
            for k, v in fields.items():
                setattr(job, k, v)
            job.state = state
            job.finished = time.time()
        if gone:
            shutil.rmtree(job.folder, ignore_errors=True)


def _claim_folder(root: Path) -> tuple[NameHold, Path]:
    """A folder of this server's own under ``root``, made under a fresh name that it holds from before the folder
    exists: another server never takes it for one left behind."""
    while True:
        own = root / f"server-{secrets.token_hex(8)}"
        claim = hold_name(own)
        if claim is not None and not own.exists():
            own.mkdir(mode=0o700)
            claim.note(f"scientist serve, process {os.getpid()}")
            return claim, own
        if claim is not None:
            claim.release()


def _delete_if_ended(folder: Path) -> None:
    """Delete a server's folder and its lock file when that server no longer runs (its name is free); nothing when
    it runs."""
    try:
        claim = hold_name(folder)
    except OSError:
        return
    if claim is not None:
        with claim:
            _delete(folder)


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _older(p: Path, since: float) -> bool:
    """Whether ``p`` was last changed before ``since`` (False when it is gone)."""
    try:
        return p.lstat().st_mtime < since
    except OSError:
        return False


def _delete(p: Path) -> None:
    """Delete a folder and what it holds, or a file or link (never what a link points to)."""
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def _progress(e: ProgressEvent, since: float = 0.0) -> JobProgress:
    """Where the job stands ``since`` seconds after the event ``e`` came: the time spent counts on between two
    tiles (a photo of one tile showed "0.0 s so far, about 2.6 s to go" until it was done), and what remains
    counts down, to 0 once the tiles take longer than expected."""
    since = max(0.0, since)
    if e.done > 0:
        remaining = e.elapsed / e.done * (e.total - e.done) - since
    else:
        remaining = e.estimate - e.elapsed - since
    return JobProgress(done=e.done, total=e.total, elapsed=round(e.elapsed + since, 1), estimate=round(e.estimate, 1),
                       measured=e.measured, remaining=round(max(0.0, remaining), 1), width=e.width, height=e.height,
                       backend=e.backend, device=e.device)


def _crops(before: Path, restored: Path) -> list[Crop]:
    """The comparison's two zoomed squares, chosen the same way (:func:`crop_boxes`)."""
    import numpy as np
    from PIL import Image

    from ..restore.compare import crop_boxes

    with Image.open(before) as b, Image.open(restored) as a:
        b_arr, a_arr = np.asarray(b.convert("RGB")), np.asarray(a.convert("RGB"))
    h, w = a_arr.shape[:2]
    crops = []
    for name, (y, x, s) in crop_boxes(b_arr, a_arr):
        # the page zooms a square: none past the photo (a 5x3 one had squares of 8, mostly empty space)
        side = min(s, h, w)
        crops.append(Crop(name=name, x=min(x, w - side), y=min(y, h - side), size=side))
    return crops


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s/:'\"]+)+/?")


def internal_error(exc: BaseException) -> str:
    """What a client is told of an unexpected failure: its kind only (the details go to the server's log)."""
    return f"internal error ({exc.__class__.__name__}); the server's log has the details"


def sentence(exc: BaseException, folder: Path, name: str | None = None) -> str:
    """The error's first line as a client may see it (:func:`named`)."""
    return named(str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__, folder, name)


def named(text: str, folder: Path, name: str | None = None) -> str:
    """A sentence about a job's photo as a client may see it: the upload called ``name`` (the file name the client
    sent, made safe; else by the name it is kept under), any other server path cut down to its last part."""
    if name:  # the photo's errors and warnings name it by its path or, often, by its file name alone
        kept = folder / "photo"
        text = text.replace(str(kept), name)
        if text.startswith((kept.name + ": ", kept.name + " has ")):
            text = name + text[len(kept.name):]
    text = text.replace(str(folder) + os.sep, "")
    return _ABSOLUTE_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)
