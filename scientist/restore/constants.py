"""Fitted constants shipped as JSON beside the bundled weights (``scientist/weights/*.json``): where they lie,
reading them (the bundled ones once per process) and writing refitted ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["bundled", "load_constants", "save_constants"]

T = TypeVar("T")

_LOADED: dict[str, object] = {}


def bundled(name: str) -> Path:
    """A file shipped in ``scientist/weights/``."""
    return Path(__file__).resolve().parent.parent / "weights" / name


def load_constants(make: Callable[[dict], T], name: str, path: str | Path | None = None) -> T:
    """``make`` applied to the JSON object in ``path``, or in the bundled file ``name`` (read and made once)."""
    if path is not None:
        return make(json.loads(Path(path).read_text("utf-8")))
    if name not in _LOADED:
        _LOADED[name] = make(json.loads(bundled(name).read_text("utf-8")))
    return _LOADED[name]  # type: ignore[return-value]


def save_constants(data: dict, path: Path) -> None:
    """Write constants as indented JSON, atomically."""
    from ..fileio import write_atomic

    write_atomic(path, (json.dumps(data, indent=1) + "\n").encode())
