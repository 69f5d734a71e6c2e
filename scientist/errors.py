"""Typed errors.  Every error a user can cause is a :class:`ScientistError`.

The command line turns these into one line on stderr and exit code 2; any
other exception is an internal error (exit code 1).
"""

from __future__ import annotations

__all__ = [
    "AccessError",
    "CheckpointError",
    "CorpusError",
    "OutputError",
    "PhotoError",
    "QuestionError",
    "ScientistError",
]


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


class AccessError(ScientistError):
    """A path lies outside the folders a server was allowed to read."""
