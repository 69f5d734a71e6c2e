"""Writing images without losing what the photo carried.

PNG, TIFF or JPEG, 8 or 16 bits per channel, with the photo's EXIF (Orientation
reset to 1, thumbnail dropped), its ICC profile unchanged (the pixels stay in
the photo's own colour space, so its profile still describes them) and its
resolution (dots per inch).  Every write
goes to a temporary name and is renamed into place (:mod:`scientist.fileio`).
"""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image

from ..errors import OutputError
from ..fileio import atomic_path

__all__ = ["FORMATS", "carried", "exif_for_output", "fitting_exif", "format_for_suffix", "make_grey", "to_u8",
           "to_u16", "write_image_atomic"]

#: Output formats: name -> file ending.
FORMATS = {"png": ".png", "tiff": ".tif", "jpg": ".jpg"}
_SUFFIX_FORMATS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".jpg": "jpg", ".jpeg": "jpg"}
#: The JPEG quality from which colour is kept at full resolution (4:4:4), below it halved both ways (4:2:0).
JPEG_FULL_CHROMA = 90
#: The most EXIF a JPEG can carry (one APP1 segment).
_JPEG_EXIF_MAX = 65533
#: zlib level of 8-bit PNGs.  A 1280x720 restored photo: level 6 (Pillow's default) 0.23 s and 1,240,728 bytes,
#: level 3 0.09 s and 1,272,126 bytes (+2.5 %), level 1 0.06 s and +6 % (AMD EPYC, Pillow's zlib).
PNG_COMPRESS_LEVEL = 3


def format_for_suffix(path: str | Path) -> str | None:
    """The output format a file name asks for (``png``, ``tiff``, ``jpg``), or None."""
    return _SUFFIX_FORMATS.get(Path(path).suffix.lower())


def _quantise(img: np.ndarray, dtype, top: float, rows: int) -> np.ndarray:
    out = np.empty(img.shape, dtype)
    for y in range(0, img.shape[0], rows):
        band = img[y : y + rows] * np.float32(top)
        np.rint(band, out=band)
        np.clip(band, 0, top, out=band)
        out[y : y + rows] = band
    return out


def to_u8(img: np.ndarray, rows: int = 256) -> np.ndarray:
    """Float RGB in [0, 1] to 8-bit (rounded), in bands so no full-size float temporaries are made.

    8-bit input is returned as it is.
    """
    if img.dtype == np.uint8:
        return img
    return _quantise(img, np.uint8, 255.0, rows)


def to_u16(img: np.ndarray, rows: int = 256) -> np.ndarray:
    """Float RGB in [0, 1] to 16-bit (rounded), in bands."""
    if img.dtype == np.uint16:
        return img
    return _quantise(img, np.uint16, 65535.0, rows)


def make_grey(img: np.ndarray, rows: int = 256) -> np.ndarray:
    """``img`` (float RGB, H x W x 3) made grey in place, band by band: each pixel's three channels set to their
    mean.  For a grey photo, whose restored copy the network leaves faintly tinted; returned for convenience."""
    for y in range(0, img.shape[0], rows):
        band = img[y : y + rows]
        band[...] = band.mean(axis=2, keepdims=True)
    return img


# ---------------------------------------------------------------- metadata for the output
#: Tags that describe how a TIFF stores its pixels (a TIFF photo's EXIF is its own first directory),
#: the thumbnail's location and copies of metadata written separately: none of them apply to the output.
_NOT_COPIED = frozenset({256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280, 281, 284, 317, 322, 323, 324, 325,
                         330, 338, 339, 340, 341, 513, 514, 530, 531, 532, 700, 33723, 34377, 34675})


def exif_for_output(exif: bytes | None, width: int, height: int,
                    dpi: tuple[float, float] | None = None) -> bytes | None:
    """The photo's EXIF as the output should carry it, or None when it has none.

    Orientation is set to 1 (the output's pixels are already upright), the
    thumbnail is dropped (it shows the photo before restoration), tags about
    the input file's own layout are removed and the pixel dimensions are
    those of the output; a resolution it gives says ``dpi``, the one the photo's
    file states (a JPEG's JFIF header may say 300 dpi where its EXIF says 72).
    """
    if not exif:
        return None
    try:
        e = Image.Exif()
        e.load(exif)
        for tag in _NOT_COPIED:
            e.pop(tag, None)
        e[ExifTags.Base.Orientation] = 1
        if dpi and (ExifTags.Base.XResolution in e or ExifTags.Base.YResolution in e):
            e[ExifTags.Base.XResolution], e[ExifTags.Base.YResolution] = float(dpi[0]), float(dpi[1])
            e[ExifTags.Base.ResolutionUnit] = 2  # per inch
        if ExifTags.IFD.Exif in e:  # get_ifd would add an empty Exif directory, which TIFF readers refuse
            sub = e.get_ifd(ExifTags.IFD.Exif)
            if ExifTags.Base.ExifImageWidth in sub or ExifTags.Base.ExifImageHeight in sub:
                sub[ExifTags.Base.ExifImageWidth] = width
                sub[ExifTags.Base.ExifImageHeight] = height
        return e.tobytes()
    except Exception as exc:  # noqa: BLE001 - a broken EXIF block must not cost the user the restored photo
        warnings.warn(f"the photo's EXIF could not be copied ({exc.__class__.__name__})", stacklevel=2)
        return None


# ---------------------------------------------------------------- writing
def write_image_atomic(img: np.ndarray | Image.Image, path: Path, *, fmt: str = "png", bit_depth: int = 8,
                       quality: int = 92, exif: bytes | None = None, icc: bytes | None = None,
                       dpi: tuple[float, float] | None = None, grey: bool = False) -> None:
    """Write an image as PNG, TIFF or JPEG through a temporary file, then rename it into place (what metadata it
    then carries: :func:`carried` of :func:`fitting_exif`, as the save step records it before writing).

    ``img``: float RGB in [0, 1] (or 8-bit RGB, or a Pillow image); ``bit_depth``
    16 for PNG and TIFF keeps 16 bits per channel (JPEG is always 8); ``quality``
    is JPEG's; ``exif`` (bytes, as :func:`exif_for_output` makes them) and ``icc``
    (an ICC profile) are embedded unchanged, except an EXIF larger than a JPEG
    can hold (said in a warning); ``dpi`` (dots per inch, horizontal and vertical,
    1 to 65535) is written as the format keeps it: PNG's ``pHYs`` chunk, JPEG's
    header, TIFF's resolution tags (unless the EXIF gives them); ``grey`` writes a grey file of the array's
    first channel (for a grey photo, whose channels :func:`make_grey` made equal; an RGB ``icc`` profile cannot
    describe it and is not written).  An interrupted write leaves no file under the final name.
    """
    if fmt not in FORMATS:
        raise OutputError(f"unknown output format {fmt!r} (use {', '.join(FORMATS)})")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{folder}: output folder does not exist")
    exif = fitting_exif(exif, fmt)
    deep = bit_depth == 16 and fmt != "jpg" and isinstance(img, np.ndarray)
    if grey and isinstance(img, np.ndarray) and img.ndim == 3:
        img, icc = img[..., 0], None
    try:
        with atomic_path(path, mkdir=False) as tmp:
            if fmt == "tiff":
                pixels = np.asarray(img.convert("RGB")) if isinstance(img, Image.Image) else img
                tmp.write_bytes(_tiff(to_u16(pixels) if deep else to_u8(pixels), exif, icc, dpi))
            elif deep:
                tmp.write_bytes(_png16(to_u16(img), exif, icc, dpi))
            else:
                pil = Image.fromarray(to_u8(img)) if isinstance(img, np.ndarray) else img
                with open(tmp, "wb") as fh:
                    pil.save(fh, **_pillow_options(fmt, quality, exif, icc, dpi))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc.__class__.__name__})") from None


def fitting_exif(exif: bytes | None, fmt: str, name: str | None = None) -> bytes | None:
    """The EXIF an output of ``fmt`` can carry: ``exif``, except one larger than a JPEG can hold (said in a
    warning naming the photo, ``name``, as its other warnings do), which a JPEG is written without."""
    if fmt == "jpg" and exif and len(exif) > _JPEG_EXIF_MAX:
        warnings.warn(f"{name or 'the photo'} has an EXIF larger than a JPEG can hold; the restored JPEG is written "
                      "without it", stacklevel=3)
        return None
    return exif


def carried(exif: bytes | None, icc: bytes | None) -> tuple[str, ...]:
    """The metadata an image written with ``exif`` and ``icc`` carries, by name (``exif``, ``icc``)."""
    return tuple(name for name, data in (("exif", exif), ("icc", icc)) if data)


def _pillow_options(fmt: str, quality: int, exif: bytes | None, icc: bytes | None,
                    dpi: tuple[float, float] | None) -> dict:
    opts: dict = {"format": {"png": "PNG", "tiff": "TIFF", "jpg": "JPEG"}[fmt]}
    if fmt == "png":
        opts["compress_level"] = PNG_COMPRESS_LEVEL
    if fmt == "jpg":
        # full-resolution colour from quality 90 up: 4:2:0 halves it, which smears fine saturated detail
        opts["quality"], opts["subsampling"] = quality, 0 if quality >= JPEG_FULL_CHROMA else 2
    if exif:
        opts["exif"] = exif
    if icc:
        opts["icc_profile"] = icc
    if dpi:  # PNG's pHYs chunk, JPEG's JFIF header
        opts["dpi"] = dpi
    return opts


def _png16(rgb: np.ndarray, exif: bytes | None, icc: bytes | None, dpi: tuple[float, float] | None) -> bytes:
    """A 16-bit PNG, encoded by OpenCV with the EXIF and ICC profile in its own chunks, and the resolution in a
    ``pHYs`` chunk added here (OpenCV's encoder writes none)."""
    import cv2

    kinds, chunks = [], []
    if exif:
        kinds.append(cv2.IMAGE_METADATA_EXIF)  # PNG's eXIf chunk holds the TIFF structure without the JPEG prefix
        chunks.append(np.frombuffer(exif.removeprefix(b"Exif\x00\x00"), np.uint8))
    if icc:
        kinds.append(cv2.IMAGE_METADATA_ICCP)
        chunks.append(np.frombuffer(icc, np.uint8))
    bgr = np.ascontiguousarray(rgb[..., ::-1] if rgb.ndim == 3 else rgb)
    if kinds:
        ok, buf = cv2.imencodeWithMetadata(".png", bgr, kinds, chunks)
    else:
        ok, buf = cv2.imencode(".png", bgr)
    if not ok:
        raise OSError("the PNG encoder failed")
    return _with_phys(buf.reshape(-1), dpi)


#: The signature of a PNG file, and the length of its header chunk (IHDR) with the chunk's length, type and CRC.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR_END = len(_PNG_SIGNATURE) + 4 + 4 + 13 + 4


def _with_phys(png: np.ndarray, dpi: tuple[float, float] | None) -> bytes:
    """The encoded PNG ``png`` (its bytes) with a ``pHYs`` chunk saying ``dpi``, as pixels per metre, right after
    its header chunk (pHYs must come before the image data), unless it has one already; as it is without ``dpi``.
    Pixels per metre are rounded as Pillow rounds them, so both encoders' PNGs say the same."""
    data = memoryview(png).cast("B")
    if not dpi or bytes(data[: len(_PNG_SIGNATURE)]) != _PNG_SIGNATURE or bytes(data[12:16]) != b"IHDR" \
            or _png_chunks(data) & {b"pHYs"}:
        return bytes(data)
    body = b"pHYs" + struct.pack(">IIB", *(int(d / 0.0254 + 0.5) for d in dpi), 1)  # 1: the unit is the metre
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return b"".join((data[:_IHDR_END], chunk, data[_IHDR_END:]))


def _png_chunks(data: memoryview) -> set[bytes]:
    """The types of a PNG's chunks before its image data (the first IDAT)."""
    kinds, at = set(), len(_PNG_SIGNATURE)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"IDAT":
            break
        kinds.add(kind)
        at += 12 + length
    return kinds


def _tiff(rgb: np.ndarray, exif: bytes | None, icc: bytes | None, dpi: tuple[float, float] | None) -> bytes:
    """An 8- or 16-bit RGB TIFF (grey when ``rgb`` has two dimensions; Deflate with horizontal prediction) carrying
    the EXIF and the ICC profile.

    Pillow's TIFF directory writer lays out the tags -- the EXIF and GPS
    directories included -- as it does for Pillow's own TIFFs, and the pixel
    strips follow the directory.  (Pillow's own TIFF encoder cannot hold 16-bit colour,
    and through libtiff it refuses an EXIF directory.)
    """
    from PIL import TiffImagePlugin, TiffTags

    h, w = rgb.shape[:2]
    samples = rgb.shape[2] if rgb.ndim == 3 else 1
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    if exif:
        src = Image.Exif()
        src.load(exif)
        for tag, value in src.items():
            if tag in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
                value = dict(src.get_ifd(tag))
                if ExifTags.IFD.Interop in value:
                    value[ExifTags.IFD.Interop] = dict(src.get_ifd(ExifTags.IFD.Interop))
            ifd[tag] = value
    bits = rgb.dtype.itemsize * 8
    predicted = rgb.astype("<u2" if bits == 16 else np.uint8)
    predicted[:, 1:] -= rgb[:, :-1]  # horizontal differencing, modulo 2**bits
    rows = max(1, (256 * 1024) // (w * samples * rgb.dtype.itemsize))
    strips = [zlib.compress(predicted[y : y + rows].tobytes(), 6) for y in range(0, h, rows)]
    starts = tuple(int(n) for n in np.cumsum([0] + [len(s) for s in strips[:-1]]))
    # StripOffsets are given from the end of the directory: Pillow's writer adds where that ends
    # 262, PhotometricInterpretation: 2 RGB, 1 grey with 0 for black
    layout = {256: w, 257: h, 258: (bits,) * samples, 259: 8, 262: 2 if samples == 3 else 1, 274: 1, 277: samples,
              278: rows, 284: 1, 317: 2, 339: (1,) * samples, 273: starts, 279: tuple(len(s) for s in strips)}
    for tag, value in layout.items():
        ifd[tag] = value
    if icc:
        ifd[34675] = icc
    if dpi:  # the resolution the photo's file states (a JPEG's JFIF header before its EXIF), as PNG and JPEG say
        ifd[282], ifd[283], ifd[296] = dpi[0], dpi[1], 2  # 2: per inch
    for tag in (273, 279):
        ifd.tagtype[tag] = TiffTags.LONG
    head = b"II*\x00" + struct.pack("<I", 8)
    directory = ifd.tobytes(8)
    return head + directory + b"".join(strips)
