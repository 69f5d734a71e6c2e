"""Command line: ``scientist`` and ``ask``.  A thin layer over the library.

Every :class:`~scientist.errors.ScientistError` becomes one line on stderr and
exit code 2; anything else is an internal error (exit code 1).  ``--debug``
shows the traceback.  This is done in one place, :meth:`ScientistGroup.invoke`.
"""

from __future__ import annotations

import sys

from .app import app, leave

# importing the command modules registers their commands on the app
from . import answers, chat_cmds, photos, serve_cmd  # noqa: E402,F401  isort: skip

__all__ = ["app", "ask_main", "main"]


def ask_main() -> None:
    """Entry point of the ``ask`` console script: the same command as ``scientist ask``."""
    try:
        app(args=["ask", *sys.argv[1:]], prog_name="")
    except SystemExit as stop:
        leave(stop)


def main() -> None:
    """Entry point of the ``scientist`` console script."""
    try:
        app(prog_name="scientist")
    except SystemExit as stop:
        leave(stop)
