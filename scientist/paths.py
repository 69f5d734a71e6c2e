"""Where the packaged data lies (the corpus and the templates).

Per-user folders are settings (:attr:`Settings.user_dir`, :attr:`Settings.cache_dir`).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_path"]

_PKG = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """A packaged data folder (``corpus`` or ``templates``).

    In an installed wheel it lies in ``scientist/data/``; in a source checkout,
    beside the package.
    """
    for candidate in (_PKG / "data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"packaged data folder {name!r} is missing from the installation")
