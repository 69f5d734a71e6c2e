"""Showing a restoration's progress on the terminal (stderr): the estimate, then a bar over the tiles.

Restorations report :class:`~scientist.restore.record.ProgressEvent`\\ s; this turns
them into what a person at a terminal sees.  The wording is in ``templates/phrases.j2``.
"""

from __future__ import annotations

import sys

from .render import Renderer
from .restore.record import ProgressEvent

__all__ = ["ConsoleProgress"]


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

            console = Console(stderr=True)
            console.print(self.renderer.phrase("restore_start", e=event))
            self._bar = Progress(TextColumn("tiles"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console)
            self._task = self._bar.add_task("restore", total=event.total)
            self._bar.start()
        elif self._bar is not None:
            self._bar.update(self._task, completed=event.done)
            if event.kind == "done":
                self._bar.stop()
                self._bar = None
