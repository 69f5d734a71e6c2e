"""Writing files so that nobody ever sees half of one: the project's one atomic-write helper.

Everything the project writes -- restored photos, caches, exports, weights, the
user's corpus -- goes to a temporary name in the destination folder first and
is renamed into place when complete.  An interrupted write leaves no file (or
folder) under the final name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_atomic"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path, *, directory: bool = False, mkdir: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed onto ``path`` when the block succeeds.

    Write the file (or, with ``directory=True``, fill the folder) at the yielded
    path.  On success it is renamed into place with the permissions of a newly
    created file; on any error it is removed and the error propagates.  A folder
    whose target already exists (another process got there first) is kept as it
    is and the new one discarded.  ``mkdir`` creates missing parent folders.
    """
    path = Path(path)
    if mkdir:
        path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}."
    if directory:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=prefix, suffix=".part"))
    else:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".part")
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        if directory:
            try:
                os.replace(tmp, path)
            except OSError:
                if not path.is_dir():
                    raise
        else:
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
    finally:
        if directory:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes, *, mkdir: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path, mkdir=mkdir) as tmp:
        tmp.write_bytes(data)
