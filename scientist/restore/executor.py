"""Running a batch in this process: one photo after another, or several at once beside one network.

Both compose the same stages through :func:`.batch.restore_planned` with one
:class:`~.stages.Restorer` for the whole batch (the model loaded and warmed up once,
when the first photo that can be read needs it).

With ``threads`` above 1, that many photos are in flight at once: while the network
runs on one (photos take turns on it, one at a time), the others are read and
brightened, or their results encoded and written.  The pool is the bounded queue:
no more than ``threads`` photos are held in memory, and the results come back in
the plan's order (finished ones wait for those before them, which hold no pixels).
That keeps a GPU busy, where reading and writing take longer than the network; on
a CPU with few cores the network already uses every core, so one photo at a time is
the default there (``batch_threads``).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from .batch import BatchJob, Planned, restore_planned, settled
from .record import BatchItem, ProgressEvent, ProgressFn
from .stages import Restorer

__all__ = ["LazyRestorer", "Stopped", "batch_threads", "restore_here"]

#: Threads beside a GPU when the setting leaves it to us: reading, brightening, noise figures, the comparison
#: and PNG writing take far longer than the network there, and most of them release the GIL.
GPU_THREADS_MAX = 8


class Stopped(BaseException):  # noqa: N818 - not an error: the batch was asked to stop
    """Raised in a photo's thread at its next progress event once the batch is stopping (Ctrl-C)."""


class LazyRestorer:
    """The batch's :class:`Restorer`, made (and warmed up) when a photo first needs it; thread-safe."""

    def __init__(self, make: Callable[[], Restorer]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._restorer: Restorer | None = None

    def __call__(self) -> Restorer:
        with self._lock:
            if self._restorer is None:
                restorer = self._make()
                restorer.warm_up()
                self._restorer = restorer
            return self._restorer


def batch_threads(job: BatchJob, threads: int | None = None) -> int:
    """Photos to work on at once: ``threads``, else the ``batch_threads`` setting, else 1 on a CPU and the CPU
    count (at most :data:`GPU_THREADS_MAX`) beside a GPU."""
    if threads:
        return max(1, threads)
    if job.settings.batch_threads:
        return job.settings.batch_threads
    from .stages import choose_device

    if choose_device(job.options.device or job.settings.device).type == "cuda":
        return max(1, min(os.cpu_count() or 1, GPU_THREADS_MAX))
    return 1


def restore_here(planned: list[Planned], job: BatchJob, progress: ProgressFn | None,
                 threads: int | None = None, restorer: Callable[[], Restorer] | None = None) -> Iterator[BatchItem]:
    """Restore the planned photos in this process; yields one item per photo, in order."""
    if restorer is None:
        from .run import check_steps

        stages = check_steps(job.steps).stages
        restorer = LazyRestorer(lambda: Restorer.for_options(job.options, job.settings, stages=stages))
    n = batch_threads(job, threads) if any(settled(p) is None for p in planned) else 1
    if n == 1:
        for i, p in enumerate(planned):
            item = settled(p)
            if item is None:
                item = restore_planned(p, i, job, restorer, progress)
            elif progress is not None:
                progress(job.finished(i, p, item))
            yield item
        return
    yield from _pooled(planned, job, progress, n, restorer)


def _pooled(planned: list[Planned], job: BatchJob, progress: ProgressFn | None, n: int,
            restorer: Callable[[], Restorer]) -> Iterator[BatchItem]:
    stop = threading.Event()
    said_lock = threading.Lock()

    def said(event: ProgressEvent) -> None:
        """Progress from any thread, one event at a time; the way a stop reaches a photo's thread."""
        if stop.is_set():
            raise Stopped
        if progress is not None:
            with said_lock:
                progress(event)

    pool = ThreadPoolExecutor(n, thread_name_prefix="scientist-photo")
    window: deque[tuple[int, Planned, Future | None]] = deque()
    todo = iter(enumerate(planned))
    try:
        while True:
            while len(window) < 2 * n:  # queued futures hold no pixels: only ``n`` photos run at once
                nxt = next(todo, None)
                if nxt is None:
                    break
                i, p = nxt
                window.append((i, p, None if settled(p) else pool.submit(restore_planned, p, i, job, restorer, said)))
            if not window:
                return
            i, p, future = window.popleft()
            if future is None:
                item = settled(p)
                said(job.finished(i, p, item))
            else:
                item = future.result()
            yield item
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
