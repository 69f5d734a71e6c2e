"""Reading photos as people keep them, and writing images without losing what they carried.

Reading: JPEG, PNG, HEIC/HEIF (through pillow-heif), WebP, TIFF, BMP and GIF,
upright per their orientation, as float RGB in [0, 1].  16-bit PNG and TIFF keep
their 16 bits (Pillow reduces 16-bit colour to 8, so OpenCV decodes those
pixels).  Camera RAW files are refused with what to do instead.

Writing: PNG, TIFF or JPEG, 8 or 16 bits per channel, with the photo's EXIF
(Orientation reset to 1, thumbnail dropped) and its ICC profile unchanged: the
pixels stay in the photo's own colour space, so its profile still describes them.
Every write goes to a temporary name and is renamed into place (:mod:`scientist.fileio`).
"""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ..errors import OutputError, PhotoError
from ..fileio import atomic_path

__all__ = [
    "FORMATS",
    "MAX_PIXELS",
    "PHOTO_SUFFIXES",
    "RAW_SUFFIXES",
    "SUPPORTED",
    "exif_for_output",
    "format_for_suffix",
    "is_raw",
    "read_photo",
    "to_u8",
    "to_u16",
    "write_image_atomic",
    "write_png_atomic",
]

#: Formats read here; the list shown to users when a file is not one of them.
SUPPORTED = "JPEG, PNG, HEIC/HEIF, WebP, TIFF, BMP, GIF"
#: File name endings taken as photos when a folder is searched.
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".heic", ".heif", ".hif", ".webp", ".tif", ".tiff",
                            ".bmp", ".gif"})
#: Camera RAW files: sensor data that needs a raw converter's demosaicing and colour rendering first.
RAW_SUFFIXES = frozenset({".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf", ".orf",
                          ".rw2", ".rwl", ".pef", ".srw", ".x3f", ".3fr", ".fff", ".erf", ".kdc", ".dcr", ".mrw",
                          ".mef", ".mos", ".iiq", ".raw"})
#: Output formats: name -> file ending.
FORMATS = {"png": ".png", "tiff": ".tif", "jpg": ".jpg"}
_SUFFIX_FORMATS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".jpg": "jpg", ".jpeg": "jpg"}
#: Refuse images whose header declares more pixels than this (decompression bombs).
MAX_PIXELS = 120_000_000
#: The most EXIF a JPEG can carry (one APP1 segment).
_JPEG_EXIF_MAX = 65533

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def is_raw(path: str | Path) -> bool:
    """Whether the file's name says it is a camera RAW file."""
    return Path(path).suffix.lower() in RAW_SUFFIXES


def format_for_suffix(path: str | Path) -> str | None:
    """The output format a file name asks for (``png``, ``tiff``, ``jpg``), or None."""
    return _SUFFIX_FORMATS.get(Path(path).suffix.lower())


def read_photo(path: str | Path) -> tuple[np.ndarray, dict]:
    """Read a photo as float32 RGB (H, W, 3) in [0, 1], upright per its orientation.

    Converts greyscale, palette, RGBA (alpha dropped), CMYK and 16-bit images.
    ``info`` holds ``format``, ``mode``, ``size``, ``bit_depth`` (16 when the file
    has 16 bits per channel, else 8), ``exif`` (the photo's EXIF as bytes, or
    None), ``icc_profile`` (its RGB ICC profile, or None) and, for animations,
    ``frames``.  Raises :class:`PhotoError` with one clear sentence for anything unusable.
    """
    p = Path(path)
    if not p.exists():
        raise PhotoError(f"{p}: no such file")
    if p.is_dir():
        raise PhotoError(f"{p}: is a directory, not a photo")
    if is_raw(p):
        raise PhotoError(
            f"{p.name}: a camera RAW file, which this tool does not develop; export a JPEG or a 16-bit TIFF from "
            "the camera app or a raw converter (darktable, RawTherapee, Lightroom) and restore that"
        )
    if p.stat().st_size == 0:
        raise PhotoError(f"{p}: the file is empty")
    _register_heif()
    info: dict = {"path": str(p)}
    try:
        with warnings.catch_warnings():
            # our own limit (MAX_PIXELS) is checked below; Pillow's warning would only repeat it
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise PhotoError(
                        f"{p.name}: declares {w}x{h} pixels ({w * h / 1e6:.0f} MP), more than the "
                        f"{MAX_PIXELS / 1e6:.0f} MP this tool accepts"
                    )
                info["format"] = im.format
                info["mode"] = im.mode
                frames = getattr(im, "n_frames", 1)
                if frames > 1:
                    info["frames"] = frames
                    warnings.warn(f"{p.name} has {frames} frames: only the first is restored", stacklevel=2)
                    im.seek(0)
                info["exif"], orientation = _exif_of(im, p.name)
                info["icc_profile"] = _rgb_profile(im.info.get("icc_profile"))
                if _deep_colour(im):
                    arr = _orient(_read_deep(p), orientation)
                    info["bit_depth"] = 16
                else:
                    im.load()
                    im = ImageOps.exif_transpose(im) or im
                    arr = _to_rgb(im)
                    info["bit_depth"] = 16 if im.mode.startswith("I;16") or im.mode == "I" and _is_16(im) else 8
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise PhotoError(f"{p.name}: not an image this tool can read (supported: {SUPPORTED})") from None
        raise PhotoError(
            f"{p.name}: declares more pixels than the {MAX_PIXELS / 1e6:.0f} MP this tool accepts "
            "(a possible decompression bomb)"
        ) from None
    except (OSError, SyntaxError, ValueError, RuntimeError) as exc:
        raise PhotoError(f"{p.name}: the image is damaged or truncated ({_first_line(exc)})") from None
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise PhotoError(f"{p.name}: the image has no pixels")
    info["size"] = [arr.shape[1], arr.shape[0]]
    return arr, info


def _exif_of(im: Image.Image, name: str) -> tuple[bytes | None, int]:
    """The photo's EXIF (bytes, or None) and its orientation; a broken EXIF block is left behind."""
    try:
        exif = im.getexif()
        orientation = exif.get(ExifTags.Base.Orientation, 1)
        return (exif.tobytes() if len(exif) else None), orientation if orientation in range(1, 9) else 1
    except Exception as exc:  # noqa: BLE001 - the pixels are still worth restoring
        warnings.warn(f"{name}: its EXIF is unreadable and is not copied ({exc.__class__.__name__})", stacklevel=3)
        return None, 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else exc.__class__.__name__)[:80]


def _rgb_profile(icc: bytes | None) -> bytes | None:
    """The ICC profile if it describes RGB data (the output is RGB), else None."""
    if icc and len(icc) >= 20 and icc[16:20] == b"RGB ":
        return bytes(icc)
    return None


def _rawmode(im: Image.Image) -> str:
    if not im.tile:
        return ""
    args = im.tile[0].args
    return args if isinstance(args, str) else str(args[0]) if isinstance(args, tuple) and args else ""


def _deep_colour(im: Image.Image) -> bool:
    """16 bits per channel of colour, which Pillow would reduce to 8 when decoding."""
    return im.format in ("PNG", "TIFF") and im.mode in ("RGB", "RGBA") and ";16" in _rawmode(im)


def _is_16(im: Image.Image) -> bool:
    lo, hi = im.getextrema()
    return hi > 255


def _read_deep(p: Path) -> np.ndarray:
    """A 16-bit colour PNG or TIFF as float RGB, decoded by OpenCV (which keeps the 16 bits)."""
    import cv2

    a = cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_UNCHANGED)  # as stored: no rotation, BGR(A)
    if a is None:
        raise ValueError("the 16-bit decoder could not read it")
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=-1)
    elif a.shape[2] == 2:
        a = np.repeat(a[..., :1], 3, axis=-1)
    else:
        a = a[..., 2::-1]
    top = 65535.0 if a.dtype == np.uint16 else 255.0
    out = np.empty(a.shape, np.float32)
    np.multiply(a, np.float32(1 / top), out=out, casting="unsafe")
    return out


#: EXIF orientation -> how to make the stored pixels upright (numpy, matching Pillow's exif_transpose).
def _orient(a: np.ndarray, orientation: int) -> np.ndarray:
    ops = {
        2: lambda x: x[:, ::-1],
        3: lambda x: x[::-1, ::-1],
        4: lambda x: x[::-1],
        5: lambda x: x.transpose(1, 0, 2),
        6: lambda x: np.rot90(x, -1),
        7: lambda x: x[::-1, ::-1].transpose(1, 0, 2),
        8: lambda x: np.rot90(x, 1),
    }
    op = ops.get(orientation)
    return np.ascontiguousarray(op(a)) if op else a


def _to_rgb(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if a.max() > 255 or mode.startswith("I;16") else 255.0
        g = np.clip(a / top, 0, 1).astype(np.float32)
        return np.repeat(g[..., None], 3, axis=-1)
    if mode == "F":
        g = np.clip(np.asarray(im, dtype=np.float32), 0, 1)
        return np.repeat(g[..., None], 3, axis=-1)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA").convert("RGB")
    elif mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im, dtype=np.float32) / 255.0


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


# ---------------------------------------------------------------- metadata for the output
#: Tags that describe how a TIFF stores its pixels (a TIFF photo's EXIF is its own first directory),
#: the thumbnail's location and copies of metadata written separately: none of them apply to the output.
_NOT_COPIED = frozenset({256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280, 281, 284, 317, 322, 323, 324, 325,
                         330, 338, 339, 340, 341, 513, 514, 530, 531, 532, 700, 33723, 34377, 34675})


def exif_for_output(exif: bytes | None, width: int, height: int) -> bytes | None:
    """The photo's EXIF as the output should carry it, or None when it has none.

    Orientation is set to 1 (the output's pixels are already upright), the
    thumbnail is dropped (it shows the photo before restoration), tags about
    the input file's own layout are removed and the pixel dimensions are
    those of the output.
    """
    if not exif:
        return None
    try:
        e = Image.Exif()
        e.load(exif)
        for tag in _NOT_COPIED:
            e.pop(tag, None)
        e[ExifTags.Base.Orientation] = 1
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
                       quality: int = 92, exif: bytes | None = None, icc: bytes | None = None) -> None:
    """Write an image as PNG, TIFF or JPEG through a temporary file, then rename it into place.

    ``img``: float RGB in [0, 1] (or 8-bit RGB, or a Pillow image); ``bit_depth``
    16 for PNG and TIFF keeps 16 bits per channel (JPEG is always 8); ``quality``
    is JPEG's; ``exif`` (bytes, as :func:`exif_for_output` makes them) and ``icc``
    (an ICC profile) are embedded unchanged.  An interrupted write leaves no
    file under the final name.
    """
    if fmt not in FORMATS:
        raise OutputError(f"unknown output format {fmt!r} (use {', '.join(FORMATS)})")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{folder}: output folder does not exist")
    deep = bit_depth == 16 and fmt != "jpg" and isinstance(img, np.ndarray)
    try:
        with atomic_path(path, mkdir=False) as tmp:
            if fmt == "tiff":
                pixels = np.asarray(img.convert("RGB")) if isinstance(img, Image.Image) else img
                tmp.write_bytes(_tiff(to_u16(pixels) if deep else to_u8(pixels), exif, icc))
            elif deep:
                tmp.write_bytes(_png16(to_u16(img), exif, icc))
            else:
                pil = Image.fromarray(to_u8(img)) if isinstance(img, np.ndarray) else img
                with open(tmp, "wb") as fh:
                    pil.save(fh, **_pillow_options(fmt, quality, exif, icc))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc.__class__.__name__})") from None


def write_png_atomic(img: np.ndarray | Image.Image, path: Path) -> None:
    """Write an 8-bit PNG through a temporary file in the same folder, then rename it into place."""
    write_image_atomic(img, path)


def _pillow_options(fmt: str, quality: int, exif: bytes | None, icc: bytes | None) -> dict:
    opts: dict = {"format": {"png": "PNG", "tiff": "TIFF", "jpg": "JPEG"}[fmt]}
    if fmt == "jpg":
        opts["quality"] = quality
        if exif and len(exif) > _JPEG_EXIF_MAX:
            warnings.warn("the photo's EXIF is larger than a JPEG can hold; the JPEG is written without it",
                          stacklevel=3)
            exif = None
    if exif:
        opts["exif"] = exif
    if icc:
        opts["icc_profile"] = icc
    return opts


def _png16(rgb: np.ndarray, exif: bytes | None, icc: bytes | None) -> bytes:
    """A 16-bit PNG, encoded by OpenCV with the EXIF and ICC profile in its own chunks."""
    import cv2

    kinds, chunks = [], []
    if exif:
        kinds.append(cv2.IMAGE_METADATA_EXIF)  # PNG's eXIf chunk holds the TIFF structure without the JPEG prefix
        chunks.append(np.frombuffer(exif.removeprefix(b"Exif\x00\x00"), np.uint8))
    if icc:
        kinds.append(cv2.IMAGE_METADATA_ICCP)
        chunks.append(np.frombuffer(icc, np.uint8))
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    if kinds:
        ok, buf = cv2.imencodeWithMetadata(".png", bgr, kinds, chunks)
    else:
        ok, buf = cv2.imencode(".png", bgr)
    if not ok:
        raise OSError("the PNG encoder failed")
    return buf.tobytes()


def _tiff(rgb: np.ndarray, exif: bytes | None, icc: bytes | None) -> bytes:
    """An 8- or 16-bit RGB TIFF (Deflate with horizontal prediction) carrying the EXIF and the ICC profile.

    Pillow's TIFF directory writer lays out the tags -- the EXIF and GPS
    directories included -- as it does for Pillow's own TIFFs, and the pixel
    strips follow the directory.  (Pillow's own TIFF encoder cannot hold 16-bit colour,
    and through libtiff it refuses an EXIF directory.)
    """
    from PIL import TiffImagePlugin, TiffTags

    h, w, _ = rgb.shape
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
    rows = max(1, (256 * 1024) // (w * 3 * rgb.dtype.itemsize))
    strips = [zlib.compress(predicted[y : y + rows].tobytes(), 6) for y in range(0, h, rows)]
    starts = tuple(int(n) for n in np.cumsum([0] + [len(s) for s in strips[:-1]]))
    # StripOffsets are given from the end of the directory: Pillow's writer adds where that ends
    layout = {256: w, 257: h, 258: (bits,) * 3, 259: 8, 262: 2, 274: 1, 277: 3, 278: rows, 284: 1, 317: 2,
              339: (1, 1, 1), 273: starts, 279: tuple(len(s) for s in strips)}
    for tag, value in layout.items():
        ifd[tag] = value
    if icc:
        ifd[34675] = icc
    for tag in (273, 279):
        ifd.tagtype[tag] = TiffTags.LONG
    head = b"II*\x00" + struct.pack("<I", 8)
    directory = ifd.tobytes(8)
    return head + directory + b"".join(strips)
