"""Where the packaged data lies (the corpus and the templates).

Per-user folders are settings (:attr:`Settings.user_dir`, :attr:`Settings.cache_dir`).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["data_path", "install_hint"]

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


def install_hint(extra: str) -> str:
    """How to install what an extra of this package brings: the extra's own requirements, read from the installed
    package's metadata (``pip install 'ray[client]>=2.10'``), which works from a wheel and a checkout alike."""
    from importlib import metadata

    marker = re.compile(rf"""extra\s*==\s*["']{re.escape(extra)}["']""")
    try:
        reqs = [r.split(";")[0].strip() for r in metadata.requires("scientist") or () if marker.search(r)]
    except metadata.PackageNotFoundError:  # run from a source tree without installing it
        reqs = []
    if not reqs:
        return f"pip install -e '.[{extra}]' in a checkout of the project"
    return "pip install " + " ".join(f"'{r}'" for r in reqs)
