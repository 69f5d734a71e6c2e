"""The photo files this tool reads, as constants that import nothing (:mod:`.photo` reads them with NumPy and
Pillow; a question about which files it takes is answered from these without loading either)."""

from __future__ import annotations

__all__ = ["FORMATS", "MAX_PIXELS", "PHOTO_SUFFIXES", "RAW_SUFFIXES", "SUPPORTED"]

#: Formats read here; the list shown to users when a file is not one of them.
SUPPORTED = "JPEG, PNG, HEIC/HEIF, WebP, TIFF, BMP, GIF"
#: The same formats as Pillow's openers name them (JPEG's also opens the MPO JPEGs of cameras that store a
#: second picture).  Only these are opened, whatever a file is called: no other decoder (EPS through
#: Ghostscript, JPEG 2000, TGA, ...) ever sees a photo.
FORMATS = ("JPEG", "PNG", "HEIF", "WEBP", "TIFF", "BMP", "GIF")
#: File name endings taken as photos when a folder is searched (``.jfif``: JPEGs as browsers on Windows save them).
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".heic", ".heif", ".hif", ".webp", ".tif",
                            ".tiff", ".bmp", ".gif"})
#: Camera RAW files: sensor data that needs a raw converter's demosaicing and colour rendering first.
RAW_SUFFIXES = frozenset({".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf", ".orf",
                          ".rw2", ".rwl", ".pef", ".srw", ".x3f", ".3fr", ".fff", ".erf", ".kdc", ".dcr", ".mrw",
                          ".mef", ".mos", ".iiq", ".raw"})
#: Refuse images whose header declares more pixels than this (decompression bombs).
MAX_PIXELS = 120_000_000
