"""Warnings gathered per thread, for the photo they are about.

Photos are read and restored on several threads at once (a batch, the web app's jobs), and each photo's
warnings belong to it: Pillow's words on a damaged EXIF name no photo, and a web job shows its own photo's
warnings only.  :func:`gathered` collects, on the calling thread and inside its block, the warnings a
``take`` function accepts; every other warning goes on to whatever hook was there (the console, a server's
log, a test's recorder).

One hook is installed process-wide, once, and checked again on each use (something that replaced
``warnings.showwarning`` since is wrapped again).  There is one hook for every kind of gathering, so that two
kinds used in turn never wrap each other over and over.  ``warnings.catch_warnings(record=True)`` is not used:
it swaps the module's hook for every thread at once and restores it in whatever order the blocks end.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Take", "gathered", "install_hook", "package_warnings", "say_always", "say_package_warnings_always"]

#: What a gathering keeps of a warning (its message, category and the file that issued it), or None to leave it.
Take = Callable[[Warning | str, type[Warning], str], Any]

_local = threading.local()
_lock = threading.Lock()


def install_hook() -> None:
    """Install the hook that gathers (once; again if something has replaced it since).  :func:`gathered` does it;
    a server does it ahead, before any request runs, so that a ``warnings.catch_warnings`` block on another
    thread saves and restores the hook rather than its absence."""
    with _lock:
        if getattr(warnings.showwarning, "_scientist_gathered", False):
            return
        previous = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            for take, items in reversed(getattr(_local, "stack", ())):  # the innermost gathering first
                kept = take(message, category, str(filename))
                if kept is not None:
                    items.append(kept)
                    return
            previous(message, category, filename, lineno, file, line)

        show._scientist_gathered = True
        warnings.showwarning = show


@contextmanager
def gathered(take: Take) -> Iterator[list]:
    """What ``take`` keeps of the warnings issued on this thread in the block, in order, rather than shown.

    Gatherings nest: a warning goes to the innermost that takes it.  A warning must still pass the warning
    filters to be issued at all (a message said once is not issued again unless a filter says "always")."""
    install_hook()
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    items: list = []
    stack.append((take, items))
    try:
        yield items
    finally:
        for i in range(len(stack) - 1, -1, -1):  # by identity: another gathering's list may be equal to this one
            if stack[i][1] is items:
                del stack[i]
                break


#: The package's own folder: warnings issued from its files are worded for people (a photo's transparency not kept,
#: only its first frame restored); others are for a log.
_PACKAGE = os.path.dirname(__file__) + os.sep  # as code objects name their files (not resolved)
_OURS = r"scientist\."  # the package's modules, as a warning filter names them


def _package_warning(message, category, filename: str) -> str | None:
    """A warning of the package's own, as one line; None for any other."""
    if issubclass(category, UserWarning) and filename.startswith(_PACKAGE):
        return str(message).splitlines()[0] if str(message) else category.__name__
    return None


def say_always(modules: str) -> None:
    """Issue the warnings of the ``modules`` (a warning filter's pattern) every time, not once per message: each
    photo's warnings are its own, and the same words about another photo are said again.  A filter of the process,
    added once (a filter scoped to a block, ``warnings.catch_warnings``, would change every thread's)."""
    if not any(f[0] == "always" and f[2] is UserWarning and f[3] is not None and f[3].pattern == modules
               for f in warnings.filters):
        warnings.filterwarnings("always", category=UserWarning, module=modules)


def say_package_warnings_always() -> None:
    """The package's warnings said every time (:func:`say_always`), and the hook installed; a server does it once
    before any request."""
    say_always(_OURS)
    install_hook()


@contextmanager
def package_warnings() -> Iterator[list[str]]:
    """The package's warnings issued on this thread in the block, one line each, gathered rather than printed: what
    a web job or a chat app's restore shows of its photo."""
    say_package_warnings_always()
    with gathered(_package_warning) as caught:
        yield caught
