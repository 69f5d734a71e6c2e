"""How much memory a photo takes, known from its declared size before anything is decoded.

:func:`read_photo <.photo.read_photo>` refuses a photo whose decoding the machine
cannot hold; the web app budgets decoding and restoring with the same figures
(:class:`scientist.web.jobs.MemoryBudget`).  The figures per pixel are measured slopes of peak
resident memory over pixels, rounded up (``benchmarks/bench_photo_memory.py``, 3 MP against 12 MP on
2 cores of an AMD EPYC with bfloat16): reading 16.0 bytes per pixel (+5 MiB; a 32-bit grey TIFF 16.1, photos
of any shape alike), a 16-bit PNG 18.0 (+50 MiB), a whole restore 35.5 (+598 MiB, under the tile budget this
model adds instead).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DECODE_BYTES_PER_PIXEL", "DEEP_DECODE_BYTES_PER_PIXEL", "RESTORE_BYTES_PER_PIXEL", "available_bytes",
           "decode_bytes", "restore_bytes"]

#: Reading an 8-bit photo: Pillow's pixels (4 bytes) and the float RGB copy (12), converted band by band.
DECODE_BYTES_PER_PIXEL = 18
#: Reading a 16-bit colour photo: the file, OpenCV's pixels (6-8 bytes) and the float RGB copy (12).
DEEP_DECODE_BYTES_PER_PIXEL = 24
#: Restoring, beyond the tiles' working memory: the float photo, its 8-bit copy for the comparison, the
#: network's float output, and the 8-bit output and comparison as they are saved.
RESTORE_BYTES_PER_PIXEL = 40


def decode_bytes(width: int, height: int, deep: bool = False) -> int:
    """Peak memory of reading a photo of this size (:func:`~.photo.read_photo`)."""
    return width * height * (DEEP_DECODE_BYTES_PER_PIXEL if deep else DECODE_BYTES_PER_PIXEL)


def restore_bytes(width: int, height: int, work_memory_mb: float) -> int:
    """Peak memory of restoring a photo of this size whose tiles have ``work_memory_mb`` MiB of working memory."""
    return width * height * RESTORE_BYTES_PER_PIXEL + int(work_memory_mb * 2**20)


def available_bytes() -> int | None:
    """Memory the machine can give without swapping (Linux's ``MemAvailable``); None where it is not known."""
    try:
        with Path("/proc/meminfo").open("rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
