"""Restoring a batch on a Ray cluster: the same plan, stages and results, with the photos restored by Ray actors.

This process (the driver) plans the batch exactly as :func:`.batch.restore_many` does --
which photos, their output names, which are done already -- and hands the photos to
workers: Ray actors that each keep one :class:`~.stages.Restorer` (the model loaded once per
worker, on a GPU where the cluster has GPUs, else on its CPUs) and run
:func:`.batch.restore_planned` on each photo, the very function a batch runs in one
process.  The workers read the photos and write the outputs themselves (atomically, under
held names), so the paths must be the same on every machine (shared storage); they send
back the progress events and the photo's record, which the driver yields in the plan's
order.

A photo whose worker died while restoring it (a crashed or killed process, a lost
machine) is given to a new worker once; if that one dies on it too, the photo is reported
failed and the batch goes on.  Photos that were only waiting in a dead worker's queue are
handed on without counting.  Ctrl-C asks the workers to stop at their next tile, waits up to
``cluster_stop_seconds`` for them, then stops them; nothing half-written remains.

Ray is an optional extra (``pip install '.[cluster]'`` in the project's folder), imported only here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..errors import ClusterError, first_line
from ..paths import install_hint
from .batch import BatchItem, BatchJob, Planned, _failed, restore_planned, settled
from .record import ProgressEvent, ProgressFn

__all__ = ["INSTALL", "ClusterPlan", "import_ray", "plan_workers", "restore_on_cluster"]

INSTALL = install_hint("cluster")
#: How often the driver looks up from waiting (seconds): how soon Ctrl-C is noticed.
_POLL = 0.5
#: After its workers are ended mid-photo, how long the driver waits for their processes to end so that it can
#: remove what they left (temporary files, lock files; seconds).
_CLEAN_WAIT = 5.0


def import_ray():
    """The ``ray`` module, or a :class:`ClusterError` saying in one line how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError(f"--cluster needs Ray, which is not installed here: {INSTALL}") from None
    return ray


@dataclass(frozen=True)
class ClusterPlan:
    """How many workers, on which device, asking the cluster for what."""

    workers: int
    device: str  # cpu or cuda: what each worker runs the network on
    cpus: float  # per worker
    gpus: float  # per worker
    threads: int  # photos each worker works on at once (the network runs one at a time)


def plan_workers(resources: dict, job: BatchJob, photos: int) -> ClusterPlan:
    """Workers for the cluster's ``resources`` (``ray.cluster_resources()``): one per GPU (or share of one,
    ``cluster_gpus_per_worker``) where it has GPUs and the device allows, else one per
    ``cluster_cpus_per_worker`` CPUs; at most ``cluster_workers`` and one per photo to restore."""
    s = job.settings
    want = job.options.device or s.device
    gpus, cpus = float(resources.get("GPU", 0)), float(resources.get("CPU", 0))
    if want == "cuda" and gpus < s.cluster_gpus_per_worker:
        raise ClusterError("--device cuda was asked for, but the cluster has no GPUs")
    if want != "cpu" and gpus >= s.cluster_gpus_per_worker:
        n = int(gpus / s.cluster_gpus_per_worker + 1e-9)
        each = min(s.cluster_cpus_per_gpu_worker, cpus / n) if cpus else 0.0
        threads = s.batch_threads or max(1, int(each))
        device, gpu_each = "cuda", s.cluster_gpus_per_worker
    else:
        each = s.cluster_cpus_per_worker
        n = int(cpus / each + 1e-9)
        threads = s.batch_threads or 1
        device, gpu_each = "cpu", 0.0
    n = min(n, s.cluster_workers or n, max(photos, 1))
    if n < 1:
        raise ClusterError(f"the cluster has no room for a worker ({cpus:g} CPUs, {gpus:g} GPUs; a worker asks for "
                           f"{each:g} CPUs{f' and {gpu_each:g} GPUs' if gpu_each else ''})")
    return ClusterPlan(n, device, each, gpu_each, threads)


# ---------------------------------------------------------------- the worker
class _Stop(BaseException):  # noqa: N818 - not an error: the driver asked the worker to stop
    pass


def _worker_class(ray):
    """The actor class (made once Ray is imported)."""

    class RestoreWorker:
        """A Ray actor: one restorer (the model loaded once, when its first photo needs it) and its threads."""

        def __init__(self, job: BatchJob, device: str, gpu_share: float) -> None:
            from .executor import LazyRestorer
            from .run import check_steps
            from .stages import Restorer

            self.job = job
            self.where = f"{socket.gethostname()}:{os.getpid()}"
            self.stopping = threading.Event()
            options, stages = job.options.but(device=device), check_steps(job.steps).stages
            self.restorer = LazyRestorer(lambda: Restorer.for_options(options, job.settings, stages, gpu_share))

        @ray.method(concurrency_group="control")
        def ready(self) -> str:
            return self.where

        @ray.method(concurrency_group="control")
        def halt(self) -> None:
            self.stopping.set()

        @ray.method(concurrency_group="photos")
        def restore(self, p: Planned, index: int):
            """Restore one photo: yields its progress events, then its :class:`BatchItem` (nothing when stopped)."""
            events: queue.Queue = queue.Queue()
            box: dict = {}

            def said(event: ProgressEvent) -> None:
                if self.stopping.is_set():
                    raise _Stop
                events.put(replace(event, worker=self.where))

            def work() -> None:
                try:
                    box["item"] = restore_planned(p, index, self.job, self.restorer, said)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                    box["error"] = exc
                finally:
                    events.put(None)

            thread = threading.Thread(target=work, name=f"scientist-photo-{index}", daemon=True)
            thread.start()
            while (event := events.get()) is not None:
                yield event
            thread.join()
            error = box.get("error")
            if isinstance(error, _Stop):
                return
            if error is not None:
                raise error
            yield box["item"]

    return RestoreWorker


# ---------------------------------------------------------------- the driver
def _connect(ray, address: str) -> bool:
    """Connect to the cluster at ``address``; True when this call started the connection (and ends it)."""
    if ray.is_initialized():
        return False
    common = {"log_to_driver": False, "logging_level": logging.WARNING}
    try:
        if address != "auto":
            ray.init(address=address, **common)
        elif os.environ.get("RAY_ADDRESS"):
            ray.init(**common)
        else:
            try:
                ray.init(address="auto", **common)  # a cluster started on this machine (`ray start --head`)
            except ConnectionError:
                ray.init(address="local", include_dashboard=False, **common)  # none: a local one, for this batch
    except Exception as exc:  # noqa: BLE001 - Ray raises assorted errors for an unreachable cluster
        raise ClusterError(f"cannot use the Ray cluster at {address} ({first_line(exc, 120)})") from None
    return True


@dataclass
class _Slot:
    """A worker and how many photos it holds."""

    actor: object
    busy: int = 0
    dead: bool = False


def restore_on_cluster(planned: list[Planned], job: BatchJob, address: str,
                       progress: ProgressFn | None) -> Iterator[BatchItem]:
    """Restore the planned photos on the Ray cluster at ``address``; yields one item per photo, in order."""
    todo = deque(i for i, p in enumerate(planned) if settled(p) is None)
    if not todo:  # nothing to restore: no cluster needed
        for i, p in enumerate(planned):
            item = settled(p)
            if progress is not None:
                progress(job.finished(i, p, item))
            yield item
        return
    ray = import_ray()
    started = _connect(ray, address)
    driver = None
    try:
        plan = plan_workers(ray.cluster_resources(), job, len(todo))
        driver = _Driver(ray, plan, planned, job, todo, progress)
        yield from driver.run()
    finally:
        if driver is not None:
            driver.stop(job.settings.cluster_stop_seconds)
        if started:
            ray.shutdown()


class _Driver:
    """Hands the photos to the workers, replaces dead ones, collects events and records, yields in order."""

    def __init__(self, ray, plan: ClusterPlan, planned: list[Planned], job: BatchJob, todo: deque,
                 progress: ProgressFn | None) -> None:
        self.ray, self.plan, self.planned, self.job, self.todo, self.progress = ray, plan, planned, job, todo, progress
        self.worker = ray.remote(num_cpus=plan.cpus, num_gpus=plan.gpus, max_restarts=0, max_task_retries=0,
                                 concurrency_groups={"control": 1, "photos": plan.threads})(_worker_class(ray))
        self.per_worker = plan.threads + 1  # one waiting in each worker's queue, so it never idles between photos
        self.slots = [self._new_slot() for _ in range(plan.workers)]
        self.running: dict[object, tuple[int, _Slot]] = {}  # generator -> (photo index, its worker)
        self.results: dict[int, BatchItem] = {}
        self.attempts: dict[int, int] = {}  # times each photo was started on a worker
        self.started: set = set()  # generators whose photo has begun (the worker sent its ``photo`` event)
        self.stopping = False

    def _new_slot(self) -> _Slot:
        return _Slot(self.worker.remote(self.job, self.plan.device, self.plan.gpus or 1.0))

    def _tell(self, event: ProgressEvent) -> None:
        if self.progress is not None:
            self.progress(event)

    def _decided(self, i: int, item: BatchItem) -> None:
        self.results[i] = item
        self._tell(self.job.finished(i, self.planned[i], item))

    def _submit(self) -> None:
        while self.todo:
            free = [s for s in self.slots if not s.dead and s.busy < self.per_worker]
            if not free:
                return
            slot = min(free, key=lambda s: s.busy)
            i = self.todo.popleft()
            self.attempts[i] = self.attempts.get(i, 0) + 1
            slot.busy += 1
            self.running[slot.actor.restore.remote(self.planned[i], i)] = (i, slot)

    def _worker_died(self, i: int, slot: _Slot, exc: Exception, started: bool) -> None:
        if self.stopping:
            slot.dead = True
            return
        if not slot.dead:
            slot.dead = True
            with contextlib.suppress(Exception):
                self.ray.kill(slot.actor)
            self.slots[self.slots.index(slot)] = self._new_slot()
        if not started:  # it was waiting in the dead worker's queue: not an attempt
            self.attempts[i] -= 1
            self.todo.appendleft(i)
            return
        _remove_partial(self.planned[i])
        if self.attempts[i] < 2:
            self.todo.appendleft(i)
        else:
            reason = f"the worker restoring it stopped, twice ({first_line(exc, 80)})"
            self._decided(i, _failed(self.planned[i], reason))

    def _receive(self, gen) -> None:
        from ray.exceptions import RayActorError

        i, slot = self.running[gen]
        try:
            value = self.ray.get(next(gen))
        except StopIteration:  # a worker that was asked to stop
            value = None
        except RayActorError as exc:
            del self.running[gen]
            slot.busy -= 1
            started = gen in self.started
            self.started.discard(gen)
            self._worker_died(i, slot, exc, started)
            return
        except Exception as exc:  # noqa: BLE001 - a fault of the worker's code: this photo fails, the rest go on
            value = _failed(self.planned[i], f"internal error on the cluster: {first_line(exc, 120)}")
            self._tell(self.job.finished(i, self.planned[i], value))
        if isinstance(value, ProgressEvent):
            if value.kind == "photo":
                self.started.add(gen)
            if not self.stopping:  # once stopping, the caller hears of no more progress
                self._tell(value)
            return
        self.started.discard(gen)
        del self.running[gen]
        slot.busy -= 1
        if value is not None:
            self.results[i] = value

    def run(self) -> Iterator[BatchItem]:
        self._submit()
        shown = 0
        while shown < len(self.planned):
            p = self.planned[shown]
            item = settled(p)
            if item is not None:
                self._tell(self.job.finished(shown, p, item))
            elif shown in self.results:
                item = self.results.pop(shown)
            else:
                if not self.running and not self.todo:
                    raise ClusterError("the cluster stopped restoring photos")
                ready, _ = self.ray.wait(list(self.running), num_returns=1, timeout=_POLL)
                for gen in ready:
                    self._receive(gen)
                self._submit()
                continue
            shown += 1
            yield item

    def stop(self, grace: float) -> None:
        """Ask every worker to stop at its next tile, wait up to ``grace`` seconds for the photos they hold to
        end (each ends whole or not at all), then end the workers."""
        self.stopping = True
        live = [s for s in self.slots if not s.dead]
        deadline = time.monotonic() + grace
        try:
            for s in live:
                s.actor.halt.remote()
            while self.running and time.monotonic() < deadline:
                ready, _ = self.ray.wait(list(self.running), num_returns=1, timeout=_POLL)
                for gen in ready:
                    self._receive(gen)
        except KeyboardInterrupt:  # a second Ctrl-C: stop now
            pass
        finally:
            cut = sorted({i for i, _ in self.running.values()})  # photos whose workers are ended mid-photo
            for s in self.slots:
                with contextlib.suppress(Exception):
                    self.ray.kill(s.actor)
            self._clean_after(cut)

    def _clean_after(self, indices: list[int], wait: float = _CLEAN_WAIT) -> None:
        """Remove what the ended workers left of ``indices``' outputs, waiting up to ``wait`` seconds for their
        processes to end (a name an ended worker held is free only then)."""
        deadline = time.monotonic() + wait
        pending = indices
        while pending:
            pending = [i for i in pending if not _remove_partial(self.planned[i])]
            if not pending or time.monotonic() >= deadline:
                return
            time.sleep(_POLL)


def _remove_partial(p: Planned) -> bool:
    """What a dead worker left beside the photo's outputs: temporary files (the final names are never
    half-written) and the lock files of the names it held (the system released the locks themselves).
    False when a name is still held (its worker has not ended yet): then nothing of that name is touched."""
    from ..fileio import hold_name

    done = True
    for target in (p.restored, p.comparison):
        if target is None:
            continue
        try:
            held = hold_name(target)  # None: someone alive holds it; leave it
        except OSError:
            continue
        if held is None:
            done = False
            continue
        for tmp in target.parent.glob(f".{target.name}.*.part"):
            tmp.unlink(missing_ok=True)
        held.release()
    return done
