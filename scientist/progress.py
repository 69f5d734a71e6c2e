"""Showing a restoration's progress on the terminal (stderr): the estimate, then a bar over the tiles;
for many photos, a line per photo and an overall bar with the time left.

Restorations report :class:`~scientist.restore.record.ProgressEvent`\\ s; this turns
them into what a person at a terminal sees.  The wording is in ``templates/phrases.j2``.
"""

from __future__ import annotations

import sys

from .errors import shown
from .render import Renderer
from .restore.record import ProgressEvent

__all__ = ["BatchProgress", "ConsoleProgress"]


class ConsoleProgress:
    """A progress callback drawing a rich progress bar on stderr for runs long enough to need one."""

    def __init__(self, renderer: Renderer | None = None) -> None:
        self.renderer = renderer or Renderer()
        self._bar = None
        self._task = None

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "start":
            if not (event.long_run and event.total > 1 and sys.stderr is not None):
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            console = Console(stderr=True, highlight=False)  # "900x600" is no hex number to colour
            console.print(self.renderer.phrase("restore_start", e=event), markup=False)
            self._bar = Progress(TextColumn("tiles"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console)
            self._task = self._bar.add_task("restore", total=event.total)
            self._bar.start()
        elif self._bar is not None:
            self._bar.update(self._task, completed=event.done)
            if event.kind == "done":
                self._bar.stop()
                self._bar = None


class BatchProgress:
    """A progress callback for many photos, drawn on stderr.

    A line for each photo restored or failed; on a terminal also an overall bar
    whose estimate of the time left weighs each photo by its pixels, and under it
    the current photo's tiles.  Built on the same events as :class:`ConsoleProgress`,
    marked with the photo (see :class:`~scientist.restore.record.ProgressEvent`).
    """

    def __init__(self, renderer: Renderer | None = None, console=None) -> None:
        self.renderer = renderer or Renderer()
        self._console = console  # a rich Console; default: one on stderr
        self._bar = None
        self._overall = self._current = None
        self._finished = 0  # photos done, whatever became of them
        self._base = 0.0  # megapixels of the photos done
        self._active: dict[int, float] = {}  # megapixels done so far of each photo under way (several at once
        # when photos are restored in threads or on a cluster)

    def _start_bar(self, event: ProgressEvent) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
                             TimeElapsedColumn(), TextColumn("{task.fields[eta]}"), TimeRemainingColumn(),
                             console=self._console)
        self._overall = self._bar.add_task(self.renderer.phrase("batch_overall"), total=max(event.work_total, 1e-6),
                                           count=self._photos(event), eta="ETA")
        self._current = self._bar.add_task("", total=1, count="", eta="", visible=False)
        self._bar.start()

    def _photos(self, event: ProgressEvent) -> str:
        return self.renderer.phrase("batch_count", done=self._finished, total=event.count)

    def __call__(self, event: ProgressEvent) -> None:
        if self._console is None:
            if sys.stderr is None:
                return
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
        if event.kind == "photo":
            self._active[event.index] = 0.0
            if self._bar is None and self._console.is_terminal and event.work_total > 0:
                self._start_bar(event)
            if self._bar is not None:
                self._bar.update(self._current, description=shown(event.name), total=1, completed=0, count="",
                                 visible=True)
        elif event.kind in ("start", "tile", "done"):
            if self._bar is not None and event.total:
                self._active[event.index] = event.work * event.done / event.total
                self._bar.update(self._current, description=shown(event.name), total=event.total, completed=event.done,
                                 count=self.renderer.phrase("batch_tiles", done=event.done, total=event.total))
                self._bar.update(self._overall, completed=self._base + sum(self._active.values()), refresh=True)
        elif event.kind == "photo-end":
            self._active.pop(event.index, None)
            self._finished += 1
            self._base += event.work
            if event.status != "skipped":
                self._console.print(self.renderer.phrase("batch_line", e=event, n=self._finished), markup=False,
                                    highlight=False, soft_wrap=True)
            if self._bar is not None:
                self._bar.update(self._overall, completed=self._base + sum(self._active.values()),
                                 count=self._photos(event), refresh=True)
                self._bar.update(self._current, visible=bool(self._active))
                if self._finished >= event.count:
                    self.close()

    def close(self) -> None:
        """Stop the bars (after the last photo, or when the run is cut short)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
