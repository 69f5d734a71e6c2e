"""Typed errors.  Every error a user can cause is a :class:`ScientistError`.

The command line turns these into one line on stderr and exit code 2; any
other exception is an internal error (exit code 1).  The web app turns them
into an HTTP 4xx status with the same sentence (503 for a server that is stopping).
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Mapping
from typing import Any

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # the backport (anyio, the MCP server's event loop, raises its groups on 3.10)
    from exceptiongroup import BaseExceptionGroup

__all__ = [
    "AccessError",
    "BaseExceptionGroup",
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
    "StoppingError",
    "UnfinishedJobError",
    "first_line",
    "shown",
    "value_problem",
]


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message (its class name when it has none), at most ``limit`` characters:
    what a one-line error says about a library's failure."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else exc.__class__.__name__)[:limit]


# control characters, invisible formatting (bidirectional overrides: "photo\u202egpj.exe"), and lone surrogates
# (a file name of bytes that are not UTF-8), which no terminal, JSON encoder or chat app takes as they are
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
                      "\ud800-\udfff]")


def shown(text: object, limit: int = 120) -> str:
    """A path or other user text as an error message shows it: control characters (escape sequences
    included), invisible formatting characters and lone surrogates become ``?`` and a long one is cut in the
    middle, so that a message stays one readable line."""
    text = _CONTROL.sub("?", str(text))
    if len(text) > limit:
        keep = (limit - 1) // 2
        text = f"{text[:keep]}…{text[-keep:]}"
    return text


#: The start of a validation message (pydantic's), and how a sentence about the value says it.
_SAID = ((re.compile(r"^Value error, "), ""), (re.compile(r"^Input should be "), "must be "),
         (re.compile(r"^Input is not a valid path.*"), "must be a path"),
         (re.compile(r"^Field required$"), "is missing"),
         (re.compile(r"^String should have "), "must have "),
         (re.compile(r"^Extra inputs are not permitted$"), "is not one of the names taken"))
#: What a validation message calls a kind of value (with what may follow it), and its name in a sentence.
_KINDS = ((re.compile(r"a valid integer(, (unable|got) .*)?$"), "a whole number"),
          (re.compile(r"a valid number(, (unable|got) .*)?$"), "a number"),
          (re.compile(r"a valid boolean(, (unable|got) .*)?$"), "true or false"),
          (re.compile(r"a valid string$"), "text"), (re.compile(r"a valid list$"), "a list"),
          (re.compile(r"a valid dictionary or object to extract fields from$"), "a mapping of names to values"))
#: A number's bounds: the constraint's name, how a validation message says it, how a sentence does.
_BOUNDS = (("ge", "greater than or equal to", "{} or more"), ("gt", "greater than", "more than {}"),
           ("le", "less than or equal to", "{} or less"), ("lt", "less than", "less than {}"))


def value_problem(error: Mapping[str, Any], model: type | None = None) -> str:
    """What is wrong with a value, as the end of a sentence about it ("must be a whole number from 1 to 50"), from
    one of a validation error's entries (pydantic's ``ValidationError.errors()``) and the model it validated.

    A number out of its range, or not a number, is said with the whole range of its field; other messages are
    put in plain words (``Input should be ...`` becomes ``must be ...``), never more than their first line."""
    loc = tuple(error.get("loc") or ())
    field = getattr(model, "model_fields", {}).get(loc[0]) if len(loc) == 1 and isinstance(loc[0], str) else None
    expected = _number_range(field) if field is not None else None
    if expected and str(error.get("type", "")).startswith(("int_", "float_", "greater_than", "less_than",
                                                           "multiple_of")):
        return f"must be {expected}"
    text = first_line(Exception(error.get("msg") or "is not valid"), 300)
    for pattern, said in _SAID:
        if pattern.search(text):
            text = pattern.sub(said, text, count=1)
            break
    else:
        text = text[:1].lower() + text[1:]
    for pattern, said in _KINDS:
        text = pattern.sub(said, text)
    for _key, words, said in _BOUNDS:
        text = re.sub(rf"{words} (\S+)$", lambda m, said=said: said.format(m[1]), text)
    return text


def _number_range(field: Any) -> str | None:
    """A number field's values in words ("a whole number from 1 to 50", "a whole number, 8 or more"); None for
    fields of other kinds."""
    types = set(typing.get_args(field.annotation)) or {field.annotation}
    if not types <= {int, float, type(None)} or not types & {int, float}:
        return None
    kind = "a whole number" if float not in types else "a number"
    multiple = next((m.multiple_of for m in field.metadata if getattr(m, "multiple_of", None) is not None), None)
    if multiple is not None:  # "a multiple of 4, 64 or more"
        kind = f"a multiple of {multiple:g}"
    bounds = {key: getattr(m, key) for m in field.metadata for key, _, _ in _BOUNDS
              if getattr(m, key, None) is not None}
    if "ge" in bounds and "le" in bounds:
        return f"{kind} from {bounds['ge']:g} to {bounds['le']:g}"
    said = [text.format(f"{bounds[key]:g}") for key, _, text in _BOUNDS if key in bounds]
    return f"{kind}, {' and '.join(said)}" if said else kind


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
    """A restore was given an option it does not have, or a value out of range.  ``option`` and ``problem``: the
    option whose value is wrong and what is wrong with it, where one is (a command line names its flag)."""

    def __init__(self, message: str, option: str | None = None, problem: str | None = None) -> None:
        super().__init__(message)
        self.option, self.problem = option, problem


class ClusterError(ScientistError):
    """A Ray cluster cannot be used: Ray is not installed, or the cluster cannot be reached or has no room."""


class JobError(ScientistError):
    """The web app has no such job (it never existed, or it has expired)."""


class UnfinishedJobError(JobError):
    """A web job's results were asked for before the job finished."""


class BusyError(ScientistError):
    """Too many photos are already waiting for the web app's restore."""


class StoppingError(BusyError):
    """The web app is stopping: an upload it had not queued yet is refused, to be sent again once it runs."""


class AccessError(ScientistError):
    """A path lies outside the folders a server was allowed to read."""
