"""Helpers shared by the tests: a fake embedder, a code-running pickle, and running the CLI."""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from scientist.restore.save import to_u8  # noqa: F401 - the tests' 8-bit conversion is the library's


class HashEmbedder:
    """A deterministic stand-in for the embedding model: a random unit vector per text (no model load).

    For tests of logic (caching, scope, links, rendering), never of meaning.
    """

    id = "test/hash-embedder"
    dim = 384

    def encode(self, texts, progress=False):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out


@functools.cache
def _tiny_tasks() -> tuple:
    from scientist.corpus import load_tasks

    return tuple(t.model_copy(update={"examples": t.examples[:2]}) for t in load_tasks())


def tiny_tasks() -> list:
    """The packaged taxonomy with two classifier examples per task: for tests of plumbing (caches, files,
    rendering), whose classifier need not be good, only quick to train."""
    return list(_tiny_tasks())


def tiny_corpus(records=None):
    """The packaged records (or ``records``) over :func:`tiny_tasks`, with the packaged context."""
    from scientist.corpus import Corpus, load_corpus

    packaged = load_corpus(include_user=False)
    return Corpus(packaged.records if records is None else records, tiny_tasks(), packaged.sources,
                  packaged.vocabulary, packaged.context)


class CodeRunner:
    """Unpickling this runs a shell command: what a malicious checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def write_malicious_pickle(path: Path, marker: Path, zipped: bool = False) -> Path:
    """A checkpoint ``{"model": ...}`` whose loading would create ``marker``; plain pickle or torch's zip."""
    payload = {"model": CodeRunner(marker)}
    if zipped:
        import torch

        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    return path


def photo_array(h=40, w=56, seed=0) -> np.ndarray:
    """A smooth gradient with a little noise, float RGB in [0, 1]."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x / w, y / h, 0.5 + 0.0 * x], -1)
    return np.clip(base * 0.6 + rng.normal(0, 0.05, (h, w, 3)), 0, 1)


def strings_in(obj):
    """Every string inside a JSON-like value (dicts and lists walked), e.g. to find every link in a result."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings_in(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings_in(v)


def digest(paths) -> dict[str, str]:
    out = {}
    for p in paths:
        p = Path(p)
        if p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@contextmanager
def unwritable(folder: Path):
    """``folder`` made unwritable: immutable where chattr works (as root), else read-only (as anyone else)."""
    folder.mkdir()
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    if os.geteuid() == 0:
        import pytest

        pytest.skip("as root without chattr a folder cannot be made unwritable")
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(0o755)


def run_cli(*args, inputs=()):
    """Run ``scientist ARGS``; returns (exit code, stdout, stderr lines), asserting inputs are unchanged."""
    from typer.testing import CliRunner

    from scientist.cli import app

    before = digest(inputs)
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert digest(inputs) == before, "an input file was modified"
    lines = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("Loading weights")]
    return result.exit_code, result.stdout, lines


def assert_one_line_error(code, lines, match, exit_code=2):
    assert code == exit_code, (code, lines)
    errors = [ln for ln in lines if not ln.startswith("warning:")]
    assert len(errors) == 1, lines
    assert match.lower() in errors[0].lower(), errors[0]
    assert not any("Traceback" in ln for ln in lines)


# ---------------------------------------------------------------- photos as people keep them
DATE = "2023:07:14 18:42:05"


def exif_bytes(orientation: int = 1, date: str = DATE) -> bytes:
    """EXIF with a camera, the dates and an orientation, as Pillow writes it (with the JPEG prefix)."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 7"
    exif[ExifTags.Base.DateTime] = date
    exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = date
    return exif.tobytes()


@functools.cache
def rgb_profile() -> bytes:
    """An RGB ICC profile (sRGB, made by Pillow's LittleCMS; made once, as its header holds the time)."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_date(path) -> str | None:
    """The DateTimeOriginal of an image file's EXIF (None when it has none)."""
    from PIL import ExifTags, Image

    with Image.open(path) as im:
        return im.getexif().get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)


def save_png16(path, rgb16: np.ndarray, exif: bytes | None = None, icc: bytes | None = None) -> Path:
    """A 16-bit colour PNG (Pillow cannot write one; OpenCV can)."""
    import cv2

    kinds, data = [], []
    if exif:
        kinds.append(cv2.IMAGE_METADATA_EXIF)
        data.append(np.frombuffer(exif.removeprefix(b"Exif\x00\x00"), np.uint8))
    if icc:
        kinds.append(cv2.IMAGE_METADATA_ICCP)
        data.append(np.frombuffer(icc, np.uint8))
    bgr = np.ascontiguousarray(rgb16[..., ::-1])
    ok, buf = cv2.imencodeWithMetadata(".png", bgr, kinds, data) if kinds else cv2.imencode(".png", bgr)
    assert ok
    Path(path).write_bytes(buf.tobytes())
    return Path(path)


def save_heic(path, rgb8: np.ndarray, exif: bytes | None = None, **colour) -> Path:
    """A HEIC as a phone would save it, made with pillow-heif; ``colour``: its colour information (nclx),
    ``color_primaries=12`` and the like, or ``icc_profile``."""
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    Image.fromarray(rgb8).save(path, format="HEIF", quality=90, **({"exif": exif} if exif else {}), **colour)
    return Path(path)


# ---------------------------------------------------------------- hostile files
def many_page_tiff(path, pages: int) -> Path:
    """A TIFF of ``pages`` one-pixel grey pages (114 bytes each), written directly: Pillow takes minutes."""
    import struct

    entries = [(256, 3, 1), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 8), (277, 3, 1),
               (278, 3, 1), (279, 4, 1)]  # width, height, bits, no compression, grey, strip at byte 8, ...
    size = 2 + 12 * len(entries) + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", 10) + b"\x80\x00")  # header, first IFD at 10, the pixel
    for i in range(pages):
        out += struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            out += struct.pack("<HHI", tag, kind, 1) + struct.pack("<I" if kind == 4 else "<HH", *(
                (value,) if kind == 4 else (value, 0)))
        out += struct.pack("<I", 10 + size * (i + 1) if i + 1 < pages else 0)
    Path(path).write_bytes(bytes(out))
    return Path(path)


def gif_cut_in_second_frame(path) -> Path:
    """A two-frame GIF cut short inside its second frame's image data."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    frames = [Image.new("P", (4, 4), i) for i in range(2)]
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    data = buf.getvalue()
    Path(path).write_bytes(data[: len(data) - 4])  # the trailer and the end of the last frame's data go
    return Path(path)


def jpeg_declaring(w: int, h: int) -> bytes:
    """A JPEG of a few hundred bytes whose header declares ``w`` x ``h`` pixels (a decoder fills in grey)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 90, 90)).save(buf, "JPEG", quality=50)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = h.to_bytes(2, "big") + w.to_bytes(2, "big")
    return bytes(data)


# ---------------------------------------------------------------- training
def tiny_network():
    """A MIMO-UNet of one residual block per stage, the same random weights every time: for training steps."""
    import torch

    from scientist.restore.mimo_unet import MIMOUNet

    torch.manual_seed(0)
    return MIMOUNet(num_res=1)


def write_training_photos(folder: Path) -> Path:
    """Two small random photos under the names of scikit-image's training photos, in ``folder`` (made)."""
    from PIL import Image

    from scientist.restore.train import TRAIN_PHOTOS

    rng = np.random.default_rng(0)
    folder.mkdir()
    for name in TRAIN_PHOTOS[:2]:
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(folder / name)
    return folder
