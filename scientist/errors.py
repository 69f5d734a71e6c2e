"""Typed errors.  Every error a user can cause is a :class:`ScientistError`.

The command line turns these into one line on stderr and exit code 2; any
other exception is an internal error (exit code 1).  The web app turns them
into an HTTP 4xx status with the same sentence.
"""

from __future__ import annotations

import re

__all__ = [
    "AccessError",
    "BusyError",
    "CheckpointError",
    "ClusterError",
    "CorpusError",
    "JobError",
    "OptionError",
    "OutputError",
    "PhotoError",
    "QuestionError",
    "ScientistError",
    "UnfinishedJobError",
    "first_line",
    "shown",
]


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message (its class name when it has none), at most ``limit`` characters:
    what a one-line error says about a library's failure."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else exc.__class__.__name__)[:limit]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(text: object, limit: int = 120) -> str:
    """A path or other user text as an error message shows it: control characters (escape sequences
    included) become ``?`` and a long one is cut in the middle, so that a message stays one readable line."""
    text = _CONTROL.sub("?", str(text))
    if len(text) > limit:
        keep = (limit - 1) // 2
        text = f"{text[:keep]}…{text[-keep:]}"
    return text


class ScientistError(Exception):
    """Base class: a problem with the user's input, files or settings."""


class QuestionError(ScientistError, ValueError):
    """The question is empty or unusable."""


class CorpusError(ScientistError):
    """A seed document, catalog or corpus cannot be read or is malformed."""


class PhotoError(ScientistError):
    """A photo cannot be read or processed."""


class CheckpointError(ScientistError):
    """A weights file is missing, unsafe, or not a MIMO-UNet."""


class OutputError(ScientistError):
    """An output path cannot be written safely."""


class OptionError(ScientistError, ValueError):
    """A restore was given an option it does not have, or a value out of range."""


class ClusterError(ScientistError):
    """A Ray cluster cannot be used: Ray is not installed, or the cluster cannot be reached or has no room."""


class JobError(ScientistError):
    """The web app has no such job (it never existed, or it has expired)."""


class UnfinishedJobError(JobError):
    """A web job's results were asked for before the job finished."""


class BusyError(ScientistError):
    """Too many photos are already waiting for the web app's restore."""


class AccessError(ScientistError):
    """A path lies outside the folders a server was allowed to read."""
