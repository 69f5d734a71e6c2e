"""Reading photos as people keep them (writing them back: :mod:`scientist.restore.save`).

JPEG, PNG, HEIC/HEIF (through pillow-heif), WebP, TIFF, BMP and GIF,
upright per their orientation, as float RGB in [0, 1].  16-bit PNG and TIFF keep
their 16 bits (Pillow reduces 16-bit colour to 8, so OpenCV decodes those
pixels).  Camera RAW files are refused with what to do instead.
"""

from __future__ import annotations

import functools
import os
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import PIL
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ..errors import PhotoError, first_line, shown
from ..fileio import NOT_REGULAR, os_reason
from ..gathered import gathered, say_always
from .filetypes import FORMATS, MAX_PIXELS, PHOTO_SUFFIXES, RAW_SUFFIXES, SUPPORTED
from .memory import available_bytes, decode_bytes

__all__ = ["FORMATS", "GREY_MODES", "MAX_PIXELS", "PHOTO_SUFFIXES", "RAW_SUFFIXES", "SUPPORTED", "is_grey", "is_raw",
           "photo_size", "read_photo"]

#: Pixels converted to float RGB at a time (:func:`_bands`).  On the way a band is held up to four times over
#: (Pillow's crop of it, its bytes in pieces and joined, and the band before): 16 bytes a pixel of 32-bit grey.  In
#: bands of 256 rows that was 4 KB a column of the photo, which the 2 bytes a pixel :func:`~.memory.decode_bytes`
#: leaves beyond Pillow's pixels and the result cover only in photos of some 2,000 rows or more: a 32-bit grey TIFF
#: of 2000x600 took 19.8 bytes a pixel, one of 6000x400 20.1.  Bands of this size hold a MiB at most, whatever the
#: photo's shape (16.0 bytes a pixel), and convert as fast (12 MP of 32-bit grey: 39 ms, 37 ms in 256 rows).
BAND_PIXELS = 2**16

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


def read_photo(path: str | Path) -> tuple[np.ndarray, dict]:
    """Read a photo as float32 RGB (H, W, 3) in [0, 1], upright per its orientation.

    Converts greyscale, palette, RGBA (alpha dropped), CMYK and 16-bit images.
    ``info`` holds ``format``, ``mode``, ``size``, ``bit_depth`` (16 when the file
    has 16 bits per channel or floating-point grey, else 8), ``exif`` (the photo's EXIF as bytes, or
    None), ``icc_profile`` (its RGB ICC profile, or None), ``dpi`` (its resolution in dots per inch,
    horizontal and vertical, or None), ``grey`` (every pixel is grey: :func:`is_grey`), ``grey_file`` (grey, and
    the file itself of a grey mode, :data:`GREY_MODES`, or a palette) and, for animations, ``animated`` (only the
    first frame is read).  Only the formats of :data:`SUPPORTED` are opened (and of TIFFs, not those of
    floating-point colour, 16-bit grey with transparency or 16-bit planes, said by their kind), and only a regular
    file; a photo is
    refused before decoding when its declared size is over :data:`MAX_PIXELS` or needs more memory than the
    machine has free.  Raises :class:`PhotoError` with one clear sentence for anything unusable,
    whatever the decoder met in the file.
    """
    p = Path(path)
    _check_file(p)
    info: dict = {"path": str(p)}
    with _pillow_warnings() as said, _opened(p) as im:
        w, h = im.size
        info["format"] = im.format
        info["mode"] = im.mode
        deep = _deep_colour(im)  # before anything loads the pixels (and so empties im.tile)
        _check_memory(p.name, w, h, deep)
        # whether a second frame exists, never how many; a phone's MPO JPEG is no animation: the first image is
        # the photo, the others its gain map, depth map or preview
        if getattr(im, "is_animated", False) and im.format != "MPO":
            info["animated"] = True
            warnings.warn(f"{p.name} has several frames: only the first is restored", stacklevel=2)
        # said of a photo with a pixel that is not opaque: an alpha channel or a transparent colour no pixel uses
        # (an export's alpha of 255 everywhere) takes nothing away; 16 bits are not decoded here to look
        clear = im.mode in _ALPHA_MODES or "transparency" in im.info
        if clear and deep:
            _warn_transparency(p.name)
        info["exif"], orientation, exif_problem = _exif_of(im, p.name)
        info["icc_profile"] = _rgb_profile(im.info.get("icc_profile"))
        if info["icc_profile"] is None and (lost := _other_colour(im)):
            warnings.warn(f"{p.name} {lost}, which the restored image does not carry: a viewer reads it as sRGB",
                          stacklevel=2)
        info["dpi"] = _dpi_of(im)
        if not deep:
            # a grey TIFF whose 0 is white: Pillow inverts 8 bits and fewer as it decodes them, never 16 or float
            min_is_white = im.format == "TIFF" and im.tag_v2.get(262) == 0
            im.load()
            if clear and _has_transparent_pixel(im):
                _warn_transparency(p.name)
            ImageOps.exif_transpose(im, in_place=True)  # no upright copy beside it
            arr, info["bit_depth"] = _to_rgb(im, min_is_white)
    if deep:  # Pillow's copy is closed by now: OpenCV decodes the 16 bits
        with _failures(p):
            arr = _read_deep(p)
            if not (info["format"] == "TIFF" and _opencv_turns_tiffs(orientation)):
                arr = _orient(arr, orientation)
        info["bit_depth"] = 16
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise PhotoError(f"{p.name}: the image has no pixels")
    # said only once the pixels are read: a file cut short is refused for that, not warned of
    for problem in ([exif_problem] if exif_problem else []) + _named(p.name, said, exif_problem):
        warnings.warn(problem, stacklevel=2)
    info["size"] = [arr.shape[1], arr.shape[0]]
    info["grey"] = is_grey(arr)
    # a palette of greys too: a palette cannot hold the restored shades, so its grey is written as grey
    info["grey_file"] = info["grey"] and info["mode"] in GREY_MODES | {"P", "PA"}
    return arr, info


#: Pillow's modes of a file that holds grey only (with or without transparency, of any depth).
GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
#: How far apart a grey photo's red, green and blue may lie, 0 to 1: half a step of 8 bits, so that grey that went
#: through a colour JPEG's rounding is still grey and no colour photo is.
GREY_TOLERANCE = 0.5 / 255


def is_grey(rgb: np.ndarray, pixels: int = BAND_PIXELS) -> bool:
    """Whether every pixel of ``rgb`` (float, H x W x 3) is grey: its three channels within :data:`GREY_TOLERANCE`
    of each other.  Read in bands of about ``pixels``, one difference at a time, stopping at the first band that
    holds colour."""
    rows = max(1, pixels // max(1, rgb.shape[1]))
    for y in range(0, rgb.shape[0], rows):
        band = rgb[y : y + rows]
        for a, b in ((0, 1), (1, 2)):
            diff = np.subtract(band[..., a], band[..., b])
            if diff.max() > GREY_TOLERANCE or diff.min() < -GREY_TOLERANCE:
                return False
    return True


#: HEIF's colour primaries (ITU-T H.273) that are not sRGB's, by name; 1 is sRGB's, 2 unspecified.
_PRIMARIES = {4: "BT.470M", 5: "BT.470BG", 6: "BT.601", 7: "SMPTE 240M", 8: "generic film", 9: "BT.2020",
              10: "CIE XYZ", 11: "DCI-P3", 12: "Display P3", 22: "EBU 3213"}


#: sRGB's gamma and chromaticities as a PNG's gAMA and cHRM chunks state them (white, red, green, blue; x, y).
_SRGB_GAMMA, _SRGB_CHROMATICITY = 1 / 2.2, (0.3127, 0.329, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06)


def _other_colour(im: Image.Image) -> str | None:
    """What a photo says of its colours that the restored image (RGB, with only an RGB ICC profile carried) loses,
    in words ("has an ICC profile for grey data"), or None: an ICC profile for other data than RGB, a HEIF's colour
    information stating primaries other than sRGB's (Display P3: the restored image reads less saturated), or a
    PNG's gamma or chromaticities that are not sRGB's (without an sRGB chunk, which says sRGB whatever they say)."""
    if space := _wide_gamut(im.info.get("nclx_profile")):
        return f"states its colours as {space} in its HEIF colour information, with no ICC profile"
    icc = im.info.get("icc_profile")
    if icc and len(icc) >= 20:
        space = {b"GRAY": "grey", b"CMYK": "CMYK", b"Lab ": "Lab"}.get(bytes(icc[16:20]), "non-RGB")
        return f"has an ICC profile for {space} data"
    if im.format != "PNG" or "srgb" in im.info:
        return None
    gamma, chroma = im.info.get("gamma"), im.info.get("chromaticity")
    if isinstance(gamma, (int, float)) and abs(gamma - _SRGB_GAMMA) > 0.01:
        return f"states a gamma of {gamma:g} (sRGB's is about 0.45)"
    if isinstance(chroma, tuple) and len(chroma) == 8 and max(
            abs(a - b) for a, b in zip(chroma, _SRGB_CHROMATICITY, strict=True)) > 0.01:
        return "states primaries other than sRGB's"
    return None


def _wide_gamut(nclx: object) -> str | None:
    """The name of the colour space a HEIF photo's colour information (pillow-heif's ``nclx_profile``) states
    where its primaries are not sRGB's; None for sRGB, unspecified, or none stated."""
    if not isinstance(nclx, dict):
        return None
    return _PRIMARIES.get(nclx.get("color_primaries"))


#: Pillow's modes with an alpha channel (straight or premultiplied).
_ALPHA_MODES = ("RGBA", "LA", "PA", "La", "RGBa")


def _warn_transparency(name: str) -> None:
    warnings.warn(f"{name} has transparency, which the restored image does not keep: its transparent parts come "
                  "out in the colour stored under them", stacklevel=3)


def _has_transparent_pixel(im: Image.Image) -> bool:
    """Whether a pixel of the decoded ``im`` is less than opaque (its alpha, or its colour's in the palette or the
    transparent colour, below the full value)."""
    if im.mode in _ALPHA_MODES:
        alpha = im.getchannel("A")
    else:  # a palette's or a colour key's transparency, read as alpha
        alpha = im.convert("RGBA").getchannel("A")
    return alpha.getextrema()[0] < 255


@contextmanager
def _failures(p: Path) -> Iterator[None]:
    """Whatever a decoder raises in the block becomes a :class:`PhotoError` of one sentence."""
    try:
        yield
    except PhotoError:
        raise
    except UnidentifiedImageError:
        # a TIFF of a kind Pillow has no mode for is said as such: "TIFF" among the formats read would belie it
        kind = _tiff_kind(_tiff_tags(p))
        raise PhotoError(_unread_tiff(p.name, kind) if kind else
                         f"{p.name}: not an image this tool can read (supported: {SUPPORTED})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(
            f"{p.name}: declares more pixels than the {MAX_PIXELS / 1e6:.0f} MP this tool accepts "
            "(a possible decompression bomb)"
        ) from None
    except MemoryError:
        raise PhotoError(f"{p.name}: too large to decode in the memory this machine has free") from None
    except Exception as exc:  # noqa: BLE001 - whatever a decoder meets in a damaged file, it is a bad photo
        if isinstance(exc, OSError) and exc.errno is not None:  # but the system's (no permission to read it, a
            # read error of the disk) says nothing of the photo; a decoder's own ("image file is truncated") has none
            raise PhotoError(f"{shown(p)}: cannot read ({os_reason(exc)})") from None
        raise PhotoError(f"{p.name}: the image is damaged or truncated ({first_line(exc, 80)})") from None


@contextmanager
def _opened(p: Path) -> Iterator[Image.Image]:
    """Pillow's image of a photo, opened only as one of :data:`FORMATS` and refused above :data:`MAX_PIXELS`;
    failures in the block are :class:`PhotoError`\\ s (:func:`_failures`)."""
    _register_heif()
    with _failures(p), warnings.catch_warnings():
        # our own limit (MAX_PIXELS) is checked here; Pillow's warning would only repeat it
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # opened from a stream, not from its path: Pillow 13 memory-maps an uncompressed grey, palette, RGBA or
        # CMYK TIFF from its path at the size it gives after turning it by its Orientation (width and height
        # swapped for 5 to 8), which scrambles its pixels; from a stream they are decoded at their stored size
        # and turned once
        with open(p, "rb") as fh, Image.open(fh, formats=FORMATS) as im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise PhotoError(f"{p.name}: declares {w}x{h} pixels ({w * h / 1e6:.0f} MP), more than the "
                                 f"{MAX_PIXELS / 1e6:.0f} MP this tool accepts")
            if im.format == "TIFF" and _planes_unread(im.tag_v2):
                raise PhotoError(_unread_tiff(p.name, _tiff_kind(im.tag_v2)))
            yield im


def _tiff_tags(p: Path):
    """The tags of a TIFF's first directory, read by Pillow's tag reader alone (for a TIFF its image reader
    refuses); None for a file that is not a TIFF, or whose directory cannot be read."""
    from PIL import TiffImagePlugin

    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
            if head[:4] not in (b"II*\x00", b"MM\x00*"):
                return None
            tags = TiffImagePlugin.ImageFileDirectory_v2(head)
            fh.seek(tags.next)
            tags.load(fh)
            return tags
    except Exception:  # noqa: BLE001 - a damaged directory: the file is said to be unreadable, without its kind
        return None


def _tiff_kind(tags) -> str | None:
    """The kind of TIFF its tags describe, in words, when it is one of more than 8 bits or of floating-point or
    signed samples ("32-bit floating-point colour", "16-bit grey with transparency", "16-bit colour stored as
    separate planes"); None for other TIFFs and for tags that describe no image (a damaged directory)."""
    if tags is None:
        return None
    bits, samples, form = tags.get(258, (1,)), tags.get(277, 1), tags.get(339, 1)
    bits = bits if isinstance(bits, tuple) else (bits,)
    form = form[0] if isinstance(form, tuple) and form else form
    if not (bits and all(isinstance(b, int) and 1 <= b <= 64 for b in bits) and isinstance(samples, int)
            and 1 <= samples <= 16) or (max(bits) <= 8 and form not in (2, 3)):
        return None
    extra = tags.get(338, ())
    extra = extra if isinstance(extra, tuple) else (extra,)
    colour = "grey" if tags.get(262) in (0, 1) else "colour"
    if any(e in (1, 2) for e in extra):  # associated or unassociated alpha
        colour += " with transparency"
    number = {2: " signed-integer", 3: " floating-point"}.get(form, "")
    planes = " stored as separate planes" if tags.get(284) == 2 and samples > 1 else ""
    return f"{max(bits)}-bit{number} {colour}{planes}"


def _planes_unread(tags) -> bool:
    """Whether a TIFF that Pillow opens stores more than 8 bits a sample in separate planes, one per channel: Pillow
    takes each plane's 16-bit samples for 8-bit ones, and OpenCV reads the first plane as if it held them all, so
    its pixels would come out scrambled."""
    bits = tags.get(258, (1,))
    bits = bits if isinstance(bits, tuple) else (bits,)
    return tags.get(284) == 2 and tags.get(277, 1) > 1 and max(bits, default=1) > 8


def _unread_tiff(name: str, kind: str | None) -> str:
    """Why a TIFF of ``kind`` (:func:`_tiff_kind`) is refused, and what to save it as instead."""
    interleaved = " with its channels interleaved" if kind and kind.endswith("separate planes") else ""
    return (f"{name}: a TIFF of {kind or 'a kind'}, which this tool does not read; save it as an 8- or 16-bit "
            f"TIFF{interleaved} or a PNG")


def _check_file(p: Path) -> None:
    """Refuse, in one sentence, anything but a non-empty regular file that is not a camera RAW file."""
    try:
        st = p.stat()
    except FileNotFoundError:
        raise PhotoError(f"{shown(p)}: no such file") from None
    except OSError as exc:
        raise PhotoError(f"{shown(p)}: cannot read ({os_reason(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise PhotoError(f"{shown(p)}: is a directory, not a photo")
    if is_raw(p):
        raise PhotoError(
            f"{shown(p.name)}: a camera RAW file, which this tool does not develop; export a JPEG or a 16-bit TIFF "
            "from the camera app or a raw converter (darktable, RawTherapee, Lightroom) and restore that"
        )
    if not stat.S_ISREG(st.st_mode):
        raise PhotoError(f"{shown(p)}: {NOT_REGULAR}")
    if st.st_size == 0:
        raise PhotoError(f"{shown(p)}: the file is empty")


def photo_size(path: str | Path) -> tuple[int, int, bool]:
    """A photo's declared width and height, and whether it has 16-bit colour, from its header alone
    (the checks of :func:`read_photo` that need no decoding; :class:`PhotoError` when they fail)."""
    p = Path(path)
    _check_file(p)
    with _opened(p) as im:
        return (*im.size, _deep_colour(im))


def _check_memory(name: str, w: int, h: int, deep: bool) -> None:
    """Refuse a photo whose decoding would need more memory than the machine has free."""
    need, free = decode_bytes(w, h, deep), available_bytes()
    if free is not None and need > free:
        raise PhotoError(f"{name}: decoding its {w}x{h} pixels needs about {need / 2**30:.1f} GB of memory and "
                         f"{free / 2**30:.1f} GB are free")


#: Tags of a TIFF's first directory that describe how that file stores its pixels (sizes, strips, tiles,
#: compression, sample layout, its colour table and ICC profile), not the photo: Pillow's ``getexif`` of a TIFF
#: holds them beside its EXIF, and none of them is true of the output.
TIFF_LAYOUT_TAGS = frozenset({254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 317, 320, 322, 323,
                              324, 325, 338, 339, 347, 34675})


#: What a TIFF says of itself beside its layout that Pillow reads as EXIF: its orientation and resolution (read
#: apart, and written again to every output), which make no EXIF of it.
_TIFF_ONLY = frozenset({ExifTags.Base.Orientation, ExifTags.Base.XResolution, ExifTags.Base.YResolution,
                        ExifTags.Base.ResolutionUnit})


def _exif_of(im: Image.Image, name: str) -> tuple[bytes | None, int, str | None]:
    """The photo's EXIF (bytes, or None), its orientation, and what to warn of when a broken EXIF block is left
    behind (None when nothing was)."""
    try:
        exif = im.getexif()
        if im.format == "TIFF":
            for tag in TIFF_LAYOUT_TAGS & set(exif):
                del exif[tag]
        orientation = exif.get(ExifTags.Base.Orientation, 1)
        orientation = orientation if orientation in range(1, 9) else 1
        if im.format == "TIFF" and set(exif) <= _TIFF_ONLY:  # a TIFF's own tags, no EXIF: the output says none
            return None, orientation, None
        return (exif.tobytes() if len(exif) else None), orientation, None
    except Exception as exc:  # noqa: BLE001 - the pixels are still worth restoring
        return None, 1, f"{name}: its EXIF is unreadable and is not copied ({exc.__class__.__name__})"


def _named(name: str, said: list[tuple[str, str]], exif_problem: str | None) -> list[str]:
    """Pillow's warnings while reading the photo ``name`` (``said``: the file of Pillow's that warned, and its words,
    which name no photo) as warnings naming it.  Its TIFF reader's (which reads the EXIF of every format) and its
    words on EXIF become one, that the EXIF is damaged, unless ``exif_problem`` says it is not copied at all."""
    exif = [words for file, words in said if file == "TiffImagePlugin.py" or "EXIF" in words]
    out = [f"{name}: {first_line(words, 120)}" for file, words in said
           if not (file == "TiffImagePlugin.py" or "EXIF" in words)]
    if exif and not exif_problem:
        more = f"; {len(exif) - 1} more such" if len(exif) > 1 else ""
        out.insert(0, f"{name}: its EXIF is damaged ({first_line(exif[0], 80)}{more}): only what could be read of "
                      "it is copied")
    return out


#: Pillow's own folder, as code objects name their files: the warnings issued from there while a photo is read.
_PILLOW = os.path.dirname(PIL.__file__) + os.sep
#: Pillow's modules, as a warning filter names them.
_PIL_MODULES = r"PIL\."


def _pillows(message, category, filename: str) -> tuple[str, str] | None:
    """A warning of Pillow's as the name of its file that issued it and its words; None for any other."""
    if filename.startswith(_PILLOW):
        return os.path.basename(filename), str(message).strip() or category.__name__
    return None


@contextmanager
def _pillow_warnings() -> Iterator[list[tuple[str, str]]]:
    """The warnings Pillow issues on this thread in the block (:func:`_pillows`), gathered rather than printed, so
    that they can be said naming the photo (:func:`scientist.gathered.gathered`: photos read at the same time never
    get each other's).  Pillow's warnings are issued every time, not once per message, so that a second photo
    damaged alike is named too: a filter of the process from the first photo read on
    (:func:`scientist.gathered.say_always`)."""
    say_always(_PIL_MODULES)
    with gathered(_pillows) as said:
        yield said


#: Where a resolution's unit is given as a number (TIFF's ResolutionUnit, EXIF's): 2 inches, 3 centimetres; 1 is
#: no unit (a pixel aspect ratio only); left out, it is inches.
_PER_INCH = {2: 1.0, 3: 2.54}


def _dpi_of(im: Image.Image) -> tuple[float, float] | None:
    """The resolution the photo's file states (:func:`_dpi`), never one Pillow makes up where it states none: a
    TIFF without resolution tags reads as 1 dpi, a JPEG whose EXIF has no resolution as 72 dpi.  A TIFF's comes
    from its tags, a JPEG's from its JFIF header when it gives a unit, else from its EXIF; any other's as Pillow
    reads it (a PNG's pHYs in metres, for one)."""
    if im.format == "TIFF":
        tags = im.tag_v2
        return _stated(tags.get(282), tags.get(283), tags.get(296, 2))
    if im.format in ("JPEG", "MPO") and im.info.get("jfif_unit") not in (1, 2):
        exif = im.getexif()  # a JPEG's EXIF comes from its header: nothing is decoded
        return _stated(exif.get(0x011A), exif.get(0x011B), exif.get(0x0128, 2))
    return _dpi(im.info.get("dpi"))


def _stated(x, y, unit) -> tuple[float, float] | None:
    """A resolution from its tags (horizontal, vertical, unit), None when one is missing or it has no unit."""
    if x is None or y is None or unit not in _PER_INCH:
        return None
    try:
        return _dpi((float(x) * _PER_INCH[unit], float(y) * _PER_INCH[unit]))
    except (TypeError, ValueError, ZeroDivisionError):  # a damaged rational
        return None


def _dpi(value) -> tuple[float, float] | None:
    """The photo's resolution as Pillow read it (dots per inch, horizontal and vertical), when it is one an output
    can carry: 1 to 65535 each way (what a JPEG's header holds); None when the photo gives none, or a damaged
    one (zero, negative, not a number)."""
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (x, y) if all(1 <= v <= 65535 for v in (x, y)) else None


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


@functools.cache
def _opencv_turns_tiffs(orientation: int) -> bool:
    """Whether this OpenCV's TIFF decoder turns a TIFF upright by its Orientation tag itself (OpenCV 5 does, with
    any flags; 4 did not): probed once per orientation on a 2x2 16-bit TIFF made here, so that a photo is never
    turned twice nor left turned, whichever OpenCV is installed."""
    import cv2

    if orientation not in range(2, 9):
        return False
    stored = np.array([[1, 2], [3, 4]], np.uint16)[..., None] * np.array([1000, 0, 0], np.uint16)  # R only
    decoded = cv2.imdecode(np.frombuffer(_tiff16(stored, orientation), np.uint8), cv2.IMREAD_UNCHANGED)
    return decoded is not None and np.array_equal(decoded[..., 2], _orient(stored, orientation)[..., 0])  # BGR


def _tiff16(rgb: np.ndarray, orientation: int) -> bytes:
    """An uncompressed 16-bit RGB TIFF (little-endian) of ``rgb`` with an Orientation tag."""
    import struct

    h, w, _ = rgb.shape
    pixels = rgb.astype("<u2").tobytes()
    entries = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 3, None), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, None), (274, 3, 1, orientation), (277, 3, 1, 3), (278, 3, 1, h),
               (279, 4, 1, len(pixels)), (284, 3, 1, 1)]
    ifd_end = 8 + 2 + 12 * len(entries) + 4
    bits_at, pixels_at = ifd_end, ifd_end + 6
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = {258: bits_at, 273: pixels_at}.get(tag, value)
        packed = struct.pack("<HH", value, 0) if kind == 3 and count == 1 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + struct.pack("<3H", 16, 16, 16) + pixels


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


def _to_rgb(im: Image.Image, min_is_white: bool = False) -> tuple[np.ndarray, int]:
    """The decoded image as float RGB in [0, 1], and its bits per channel: 16 for 16-bit grey, for grey of 32-bit
    integers past 8 bits (:func:`_integer_white`) and for floating-point grey (a 32-bit TIFF, whose shades 8 bits
    would merge), else 8.  ``min_is_white``: a TIFF whose grey says 0 for
    white (PhotometricInterpretation 0), which Pillow leaves as stored in 16 bits and in floating point."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        top = 65535 if mode.startswith("I;16") else _integer_white(im.getextrema()[1])
        return _grey_rgb(im, float(top), min_is_white), 16 if top > 255 else 8
    if mode == "F":
        return _grey_rgb(im, 1.0, min_is_white), 16
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA").convert("RGB")
    elif mode != "RGB":
        im = im.convert("RGB")
    return _float_rgb(im), 8


def _integer_white(brightest: int) -> int:
    """White for grey stored as 32-bit integers (Pillow's mode ``I``), which says nothing of the range its values
    were written in: the smallest of 8, 16 and 24 bits that holds the brightest value, else the largest such an
    integer holds.  Grey of 16 bits in a 32-bit container is read as 16 bits, and 24-bit grey (a scientific camera's)
    as 24, where taking every value past 65535 for white made such a photo all white."""
    for bits in (8, 16, 24):
        if brightest < 1 << bits:
            return (1 << bits) - 1
    return (1 << 31) - 1


def _grey_rgb(im: Image.Image, top: float, min_is_white: bool) -> np.ndarray:
    """A grey image of 16 bits, 32-bit integers or floating point as float RGB in [0, 1] (``top``: its white), band by
    band (:func:`_bands`: a whole float64 copy and its quotient took 16 bytes a pixel more than reading was budgeted,
    :func:`~.memory.decode_bytes`).  Divided in float64, so that every value is as exact as a float32 holds it."""
    out = np.empty((im.size[1], im.size[0], 3), np.float32)
    for rows, band in _bands(im):
        grey = out[rows, :, 0]
        np.divide(band, top, out=grey, dtype=np.float64, casting="unsafe")
        np.clip(grey, 0, 1, out=grey)
        if min_is_white:
            np.subtract(np.float32(1), grey, out=grey)
        out[rows, :, 1] = grey
        out[rows, :, 2] = grey
    return out


def _float_rgb(im: Image.Image) -> np.ndarray:
    """An RGB image as float32 in [0, 1], band by band (:func:`_bands`)."""
    out = np.empty((im.size[1], im.size[0], 3), np.float32)
    for rows, band in _bands(im):
        np.divide(band, np.float32(255), out=out[rows], casting="unsafe")
    return out


def _bands(im: Image.Image, pixels: int = BAND_PIXELS) -> Iterator[tuple[slice, np.ndarray]]:
    """The image's pixels a band of rows at a time (about ``pixels`` each, at least a row), each with the rows it
    covers: converted so, the only full-size array beside Pillow's pixels is the result, and a band's own copies
    (:data:`BAND_PIXELS`) take the same memory whatever the photo's shape."""
    w, h = im.size
    rows = max(1, pixels // w)
    for y in range(0, h, rows):
        yield slice(y, min(y + rows, h)), np.asarray(im.crop((0, y, w, min(y + rows, h))))
