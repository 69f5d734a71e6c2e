"""Running a batch in this process: one photo after another, or several at once beside one network.

Both compose the same stages through :func:`.batch.restore_planned` with one
:class:`~.stages.Restorer` for the whole batch (the model loaded and warmed up once,
when the first photo that can be read needs it).

With ``threads`` above 1, that many photos are in flight at once, and the pool is the
bounded queue: no more than ``threads`` photos are held in memory -- fewer when the
largest photo's estimated memory (:func:`in_flight_mb`) would pass ``batch_memory_mb``
-- and the results come back in the plan's order (finished ones wait for those before
them, which hold no pixels).

- Beside a GPU, photos take turns on the network, one at a time, while the others are
  read and brightened or their results encoded and written: reading and writing take
  longer than the network there, so they are what keeps the GPU waiting.
- On a CPU, the photos in flight also run their networks side by side, each with its
  share of PyTorch's threads (cores / photos) and of the working-memory budget: one
  thread per photo on 2 cores.  Several small networks keep the cores busier than one
  network split across them (a network on its own leaves them idle in its
  single-threaded parts and at every synchronisation), and the reading and writing of
  one photo overlap the networks of the others (``BENCHMARKS.md``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from .batch import BatchJob, Finishing, Planned, restore_planned, settled
from .record import BatchItem, ProgressEvent, ProgressFn
from .stages import Restorer

__all__ = ["LazyRestorer", "Stopped", "batch_threads", "fit_in_memory", "in_flight_mb", "restore_here",
           "torch_threads"]

#: Threads beside a GPU when the setting leaves it to us: reading, brightening, noise figures, the comparison
#: and PNG writing take far longer than the network there, and most of them release the GIL.
GPU_THREADS_MAX = 8
#: Photos at once on a CPU when the setting leaves it to us: one per core, at most this many (each holds its
#: photo's arrays; the networks share the working-memory budget).
CPU_THREADS_MAX = 4
#: Memory a photo in flight holds beyond its network's tiles, per pixel, and the process's own (PyTorch, the
#: weights, the runner), in MiB: from the peaks of two 12 MP photos restored one at a time (1.47 GB, tiles of
#: 480,000 px) and side by side (2.20 GB, tiles of 274,000 px) on a CPU in bfloat16, 1,400 bytes a tile pixel.
IN_FLIGHT_BYTES_PER_PIXEL = 56
PROCESS_MB = 200
#: The memory cap when the ``batch_memory_mb`` setting leaves it to us (MiB): on a CPU, what one 12 MP photo's
#: restore was held to; beside a GPU (whose tiles live on the device) enough for eight 12 MP photos in flight.
BATCH_MEMORY_MB = {"cpu": 2048, "cuda": 8192}


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


def batch_threads(job: BatchJob, threads: int | None = None) -> tuple[int, bool]:
    """Photos to work on at once -- ``threads``, else the ``batch_threads`` setting, else one per core (at most
    :data:`CPU_THREADS_MAX`) on a CPU and the CPU count (at most :data:`GPU_THREADS_MAX`) beside a GPU -- and
    whether the network runs on a CPU (then they run their networks side by side)."""
    import torch

    from .stages import choose_device

    cpu = choose_device(job.options.device or job.settings.device).type == "cpu"
    if threads or job.settings.batch_threads:
        return max(1, threads or job.settings.batch_threads), cpu
    if cpu:
        return max(1, min(torch.get_num_threads(), CPU_THREADS_MAX)), cpu
    return max(1, min(os.cpu_count() or 1, GPU_THREADS_MAX)), cpu


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """PyTorch's threads set to ``n`` for a while (its thread count is the process's).  oneDNN splits bfloat16
    work by thread count, which moves a few pixels by 1/255: compare results made with the same count."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def in_flight_mb(n: int, megapixels: float, cpu: bool, settings) -> float:
    """Estimated memory of the process with ``n`` photos of ``megapixels`` in flight (MiB): each photo's arrays
    and, on a CPU, its network's tiles (the working-memory budget shared by ``n``; fp32's bytes per pixel, the
    larger)."""
    from .tiles import BYTES_PER_PIXEL

    pixels = megapixels * 1e6
    tiles = min(settings.work_memory_mb / n, pixels * BYTES_PER_PIXEL["fp32"] / 2**20) if cpu else 0.0
    return PROCESS_MB + n * (pixels * IN_FLIGHT_BYTES_PER_PIXEL / 2**20 + tiles)


def fit_in_memory(n: int, megapixels: float, cpu: bool, settings) -> int:
    """The most photos at once, up to ``n``, whose estimated memory stays within ``batch_memory_mb`` (at least 1:
    a photo larger than the cap runs alone)."""
    cap = settings.batch_memory_mb or BATCH_MEMORY_MB["cpu" if cpu else "cuda"]
    while n > 1 and in_flight_mb(n, megapixels, cpu, settings) > cap:
        n -= 1
    return n


def restore_here(planned: list[Planned], job: BatchJob, progress: ProgressFn | None,
                 threads: int | None = None, restorer: Callable[[], Restorer] | None = None) -> Iterator[BatchItem]:
    """Restore the planned photos in this process; yields one item per photo, in order."""
    todo = [p for p in planned if settled(p) is None]
    n, cpu = batch_threads(job, threads) if todo else (1, False)
    if n > 1:  # memory capped: as many at once as the largest photo allows
        n = fit_in_memory(n, max(p.work for p in todo), cpu, job.settings)
    side_by_side = n > 1 and cpu and restorer is None
    if restorer is None:
        from .run import check_steps

        stages = check_steps(job.steps).stages
        slots = n if side_by_side else 1
        restorer = LazyRestorer(lambda: Restorer.for_options(job.options, job.settings, stages=stages, slots=slots))
    if side_by_side:
        import torch

        with torch_threads(max(1, torch.get_num_threads() // n)):
            yield from _pooled(planned, job, progress, n, restorer)
        return
    if n == 1:
        for i, p in enumerate(planned):
            item = settled(p)
            if item is None:
                finishing = Finishing(p, job)
                try:
                    item = restore_planned(p, i, job, restorer, progress, finishing)
                except KeyboardInterrupt:
                    # Ctrl-C or SIGTERM, raised in this thread wherever the photo was: one whose restored image was
                    # already placed is finished whole, and one that failed or was skipped may be stopped as its
                    # photo-end is said: their records are the caller's, as in the pooled path
                    kept = finishing.item()
                    if kept is not None:
                        yield kept
                    raise
                del finishing  # it holds the photo's pixels (the save step's record): not while others are read
            elif progress is not None:
                try:
                    progress(job.finished(i, p, item))
                except KeyboardInterrupt:  # raised as its photo-end was said: planning decided it, its record stands
                    yield item
                    raise
            yield item
        return
    yield from _pooled(planned, job, progress, n, restorer)


def _pooled(planned: list[Planned], job: BatchJob, progress: ProgressFn | None, n: int,
            restorer: Callable[[], Restorer]) -> Iterator[BatchItem]:
    stop = threading.Event()
    said_lock = threading.Lock()

    def said(event: ProgressEvent) -> None:
        """Progress from any thread, one event at a time; the way a stop reaches a photo's thread.  Once stopping,
        a photo's ``photo-end`` is not said and stops nothing: the photo is whole (its outputs are written, or it
        failed), and its record is still yielded (below)."""
        if stop.is_set():
            if event.kind == "photo-end":
                return
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
            i, p, future = window[0]  # left in the window until its record is handed over: a stop may come meanwhile
            if future is None:
                item = settled(p)
                said(job.finished(i, p, item))
            else:
                item = future.result()
            try:
                yield item
            finally:
                # taken off once the caller has it, not before (a stop in between would lose the record), and as well
                # when a stop is raised at the yield as the caller asks for the next one (it would be yielded twice)
                window.popleft()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the photos in flight stop at their next progress event
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        # the photo whose turn it was, when planning decided it (the stop may come as its photo-end is said), and
        # those that were saving, which have finished whole: their records are the caller's (a script reading --json
        # learns what was done), in order; photos stopped part-way left nothing and have none
        for k, (_i, p, future) in enumerate(window):
            if future is None and k == 0:
                yield settled(p)
            elif future is not None and future.done() and not future.cancelled() and future.exception() is None:
                yield future.result()
        raise
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
