"""Where the project keeps its packaged data and its per-user files.

Environment variables (all optional):

- ``SCIENTIST_HOME``: per-user data (records added with ``scientist corpus add``).
- ``SCIENTIST_CACHE``: cache folder for the embedding index.
- ``SCIENTIST_WEIGHTS``: a MIMO-UNet weights file to use instead of the bundled one.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "data_path", "user_dir"]

_PKG = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """A packaged data folder (``corpus`` or ``templates``).

    In a wheel it lies inside the package; in a source checkout, beside it.
    """
    for candidate in (_PKG / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"packaged data folder {name!r} is missing from the installation")


def user_dir() -> Path:
    """Per-user data folder."""
    env = os.environ.get("SCIENTIST_HOME")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("scientist", appauthor=False))


def cache_dir() -> Path:
    """Per-user cache folder."""
    env = os.environ.get("SCIENTIST_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("scientist", appauthor=False))
