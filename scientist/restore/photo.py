"""Reading photos of any common kind, and writing images without ever losing data."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import OutputError, PhotoError
from ..fileio import atomic_path

__all__ = ["MAX_PIXELS", "SUPPORTED", "read_photo", "to_u8", "write_png_atomic"]

#: Formats Pillow reads here; the list shown to users when a file is not one of them.
SUPPORTED = "JPEG, PNG, WebP, TIFF, BMP, GIF"
#: Refuse images whose header declares more pixels than this (decompression bombs).
MAX_PIXELS = 120_000_000


def read_photo(path: str | Path) -> tuple[np.ndarray, dict]:
    """Read a photo as float32 RGB (H, W, 3) in [0, 1], upright per its EXIF orientation.

    Converts greyscale, palette, RGBA (alpha dropped), CMYK and 16-bit images.
    Raises :class:`PhotoError` with one clear sentence for anything unusable.
    """
    p = Path(path)
    if not p.exists():
        raise PhotoError(f"{p}: no such file")
    if p.is_dir():
        raise PhotoError(f"{p}: is a directory, not a photo")
    if p.stat().st_size == 0:
        raise PhotoError(f"{p}: the file is empty")
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
                im.load()
                im = ImageOps.exif_transpose(im) or im
                arr = _to_rgb(im)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise PhotoError(
                f"{p.name}: not an image this tool can read (supported: {SUPPORTED}; convert HEIC or RAW first)"
            ) from None
        raise PhotoError(
            f"{p.name}: declares more pixels than the {MAX_PIXELS / 1e6:.0f} MP this tool accepts "
            "(a possible decompression bomb)"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(f"{p.name}: the image is damaged or truncated ({str(exc).splitlines()[0][:80]})") from None
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise PhotoError(f"{p.name}: the image has no pixels")
    info["size"] = [arr.shape[1], arr.shape[0]]
    return arr, info


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


def to_u8(img: np.ndarray, rows: int = 256) -> np.ndarray:
    """Float RGB in [0, 1] to 8-bit (rounded), in bands so no full-size float temporaries are made.

    8-bit input is returned as it is.
    """
    if img.dtype == np.uint8:
        return img
    out = np.empty(img.shape, np.uint8)
    for y in range(0, img.shape[0], rows):
        band = img[y : y + rows] * np.float32(255)
        np.rint(band, out=band)
        np.clip(band, 0, 255, out=band)
        out[y : y + rows] = band
    return out


def write_png_atomic(img: np.ndarray | Image.Image, path: Path) -> None:
    """Write a PNG through a temporary file in the same folder, then rename it into place.

    An interrupted write leaves no file under the final name.
    """
    if isinstance(img, np.ndarray):
        img = Image.fromarray(to_u8(img))
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{folder}: output folder does not exist")
    try:
        with atomic_path(path, mkdir=False) as tmp:
            with open(tmp, "wb") as fh:
                img.save(fh, format="PNG")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc.__class__.__name__})") from None
