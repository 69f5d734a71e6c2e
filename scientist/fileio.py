"""Writing files so that nobody ever sees half of one: the project's one atomic-write helper.

Everything the project writes -- restored photos, caches, exports, weights, the
user's corpus -- goes to a temporary name in the destination folder first and
is renamed into place when complete.  An interrupted write leaves no file (or
folder) under the final name.  A name about to be written can be held
(:func:`hold_name`), so that writers running at the same time -- threads, processes,
machines sharing the folder -- never choose the same one.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: names are held by creating their lock file exclusively
    fcntl = None

__all__ = ["MAX_INPUT_MB", "NOT_REGULAR", "NameHold", "atomic_path", "hold_name", "holder_note", "is_dir", "is_file",
           "os_reason", "read_input", "write_atomic"]

#: Largest corpus, catalog, seed or text file read (MiB): ten times a 10,000-record catalog with long summaries.
MAX_INPUT_MB = 64


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


class NameHold:
    """A name held for a file about to be written: an exclusive lock on the hidden ``.<name>.lock`` beside it.

    The system releases the lock if the process dies, so a crash never keeps a name taken.
    """

    def __init__(self, lock: Path, fd: int) -> None:
        self.lock, self._fd = lock, fd

    def note(self, text: str) -> None:
        """Say in the lock file who holds the name (read by :func:`holder_note`), so that a writer refused the name
        can say which run has it."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, text.encode("utf-8", "replace"), 0)

    def release(self) -> None:
        """Give the name up (the lock file is removed while still locked, then unlocked)."""
        if self._fd is None:
            return
        self.lock.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> NameHold:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def hold_name(path: str | Path) -> NameHold | None:
    """Hold ``path``'s name for a write about to happen, or None when another writer holds it now.

    Whether a file exists under the name is the caller's question (ask it after holding the name).
    Raises :class:`OSError` when the folder cannot be written.
    """
    lock = _lock_file(path)
    while True:
        if fcntl is None:  # pragma: no cover
            try:
                return NameHold(lock, os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                return None
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:  # the holder before us may have removed the file between our open and our lock: open it anew
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                return NameHold(lock, fd)
        except FileNotFoundError:
            pass
        os.close(fd)


def _lock_file(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def holder_note(path: str | Path) -> str:
    """What the holder of ``path``'s name said of itself (:meth:`NameHold.note`); empty when it said nothing or the
    name is free."""
    try:
        return _lock_file(path).read_text("utf-8", "replace").strip()[:200]
    except OSError:
        return ""


#: What is said of a path that names a FIFO, a device or a socket where a file was expected.
NOT_REGULAR = "not a regular file (a pipe, device or socket), so it is not read"


def read_input(path: str | Path, error: type[Exception], limit_mb: float = MAX_INPUT_MB) -> bytes:
    """The bytes of a file the user named, raising ``error`` with one sentence for anything but a readable
    regular file of at most ``limit_mb`` MiB: a FIFO, a device (``/dev/zero``) or a socket is refused
    before it is read (a link is followed first), so nothing here waits for a writer or reads forever."""
    from .errors import shown

    p = Path(path)
    limit = int(limit_mb * 1024 * 1024)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the descriptor's own status is checked
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise error(f"{shown(p)}: no such file") from None
    except IsADirectoryError:
        raise error(f"{shown(p)}: is a directory, expected a file") from None
    except OSError as exc:
        raise error(f"{shown(p)}: cannot read ({os_reason(exc)})") from None
    st = os.fstat(fd)  # before a file object is made: Python's refuses a folder with an error of its own
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise error(f"{shown(p)}: " + ("is a directory, expected a file" if stat.S_ISDIR(st.st_mode) else NOT_REGULAR))
    with os.fdopen(fd, "rb") as f:
        if st.st_size > limit:
            raise error(f"{shown(p)}: {st.st_size / 2**20:.0f} MiB, more than the {limit_mb:g} MiB this tool reads")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise error(f"{shown(p)}: cannot read ({os_reason(exc)})") from None
    if len(data) > limit:  # it grew while being read
        raise error(f"{shown(p)}: more than the {limit_mb:g} MiB this tool reads")
    return data


def os_reason(exc: OSError) -> str:
    """Why a file could not be used, in a few words (for a one-line error)."""
    if exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    return exc.strerror or exc.__class__.__name__


def is_file(path: Path) -> bool:
    """``path.is_file()``, False where the path cannot name a file at all (a name over the file system's limit,
    which ``Path.is_file`` raises for, or a NUL in it): the read that follows says why."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    """``path.is_dir()``, False where the path cannot name a folder at all (as :func:`is_file`)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (links and other spellings included); False when either is missing."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False
