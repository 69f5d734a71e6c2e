"""Fitted constants shipped as JSON beside the bundled weights (``scientist/weights/*.json``): where they lie,
reading them (the bundled ones once per process) and writing refitted ones.

A constants file that cannot be used -- missing, not JSON, cut short, a key missing, a number that is not finite --
is a :class:`~scientist.errors.CheckpointError` of one sentence naming the file, never a Python error from deep
inside a restore."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import CheckpointError, first_line, shown
from ..fileio import read_input

__all__ = ["BUNDLED_LABEL", "ConstantsProblem", "bundled", "load_constants", "save_constants"]

#: What a result says of the weights that ran when they are the bundled ones (``Demo.weights``), however they were
#: chosen: by default, or given as a file that is the bundled one.
BUNDLED_LABEL = "the bundled weights (trained by this project on synthetic low-light noise)"

T = TypeVar("T")

_LOADED: dict[str, object] = {}

#: What to do about a damaged file of constants, said after what is wrong with it.
REMEDY = "reinstall the package, or refit the constants"


class ConstantsProblem(ValueError):
    """Raised by a ``make`` given to :func:`load_constants`: what is wrong with the constants, in a few words."""


def bundled(name: str) -> Path:
    """A file shipped in ``scientist/weights/``."""
    return Path(__file__).resolve().parent.parent / "weights" / name


def load_constants(make: Callable[[dict], T], name: str, path: str | Path | None = None) -> T:
    """``make`` applied to the JSON object in ``path``, or in the bundled file ``name`` (read and made once).

    Raises :class:`~scientist.errors.CheckpointError` naming the file when it cannot be read, is not a JSON object,
    or ``make`` refuses it (a :class:`ConstantsProblem`, or the ``KeyError``/``TypeError``/``ValueError`` of a
    missing or unexpected key)."""
    if path is not None:
        return _read(make, Path(path))
    if name not in _LOADED:
        _LOADED[name] = _read(make, bundled(name))
    return _LOADED[name]  # type: ignore[return-value]


def _read(make: Callable[[dict], T], path: Path) -> T:
    def bad(why: str) -> CheckpointError:
        return CheckpointError(f"{shown(path)}: unusable fitted constants: {why}; {REMEDY}")

    data = read_input(path, CheckpointError)  # a missing file, a folder, a device: one sentence naming it
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise bad("nested too deeply") from None
    if not isinstance(obj, dict):
        raise bad("a JSON object of named constants was expected")
    where = _not_finite(obj)
    if where is not None:  # JSON's NaN and Infinity, or a number too large for a float: no fitted constant is one
        raise bad(f"{where} must be a finite number")
    try:
        return make(obj)
    except KeyError as exc:
        raise bad(f"{exc.args[0]!r} is missing") from None
    except (TypeError, ValueError) as exc:  # ConstantsProblem included
        raise bad(first_line(exc)) from None


def _not_finite(value: object, where: str = "") -> str | None:
    """Where in a JSON value the first number that is not finite lies (``coef['mean']``), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where or "a value"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _not_finite(item, f"{where}[{key!r}]" if where else str(key))
        if found is not None:
            return found
    return None


def save_constants(data: dict, path: Path) -> None:
    """Write constants as indented JSON, atomically."""
    from ..fileio import write_atomic

    write_atomic(path, (json.dumps(data, indent=1) + "\n").encode())
