"""Reading photos of every common kind (scientist.restore.photo)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scientist.errors import PhotoError
from scientist.restore.photo import read_photo

from .helpers import photo_array as _photo
from .helpers import to_u8 as _u8


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK", "LA"])
def test_modes_convert_to_rgb(tmp_path, mode):
    im = Image.fromarray(_u8(_photo())).convert(mode)
    path = tmp_path / ("x.jpg" if mode == "CMYK" else "x.png")
    im.save(path)
    arr, info = read_photo(path)
    assert arr.shape == (40, 56, 3) and arr.dtype == np.float32
    assert 0 <= arr.min() and arr.max() <= 1


def test_16_bit_png(tmp_path):
    a = (np.linspace(0, 65535, 40 * 56).reshape(40, 56)).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(a).save(path)
    arr, _ = read_photo(path)
    assert arr.shape == (40, 56, 3)
    assert arr.max() > 0.99 and arr.min() < 0.01


def test_exif_rotation_is_applied(tmp_path):
    im = Image.fromarray(_u8(_photo(40, 56)))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif)
    arr, _ = read_photo(path)
    assert arr.shape == (56, 40, 3)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("hello, not an image"), "not an image"),
        (lambda p: p.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200), "supported"),
    ],
)
def test_unreadable_files(tmp_path, make, match):
    path = tmp_path / "IMG_0001.jpg"
    make(path)
    with pytest.raises(PhotoError, match=match):
        read_photo(path)


def test_truncated_jpeg(tmp_path):
    full = tmp_path / "full.jpg"
    Image.fromarray(_u8(_photo(200, 200))).save(full, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full.read_bytes()[:600])
    with pytest.raises(PhotoError, match="damaged or truncated"):
        read_photo(cut)


def test_missing_and_directory(tmp_path):
    with pytest.raises(PhotoError, match="no such file"):
        read_photo(tmp_path / "nope.jpg")
    with pytest.raises(PhotoError, match="directory"):
        read_photo(tmp_path)


def test_decompression_bomb_is_refused(tmp_path):
    # a PNG whose header declares 40000 x 40000 pixels
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 100))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")
    path = tmp_path / "bomb.png"
    path.write_bytes(data)
    with pytest.raises(PhotoError, match="MP|too large"):
        read_photo(path)


def test_a_16_bit_png_of_only_ihdr_idat_and_iend_stays_16_bits(tmp_path):
    # no eXIf or other chunk: looking for EXIF must not load the image before its bit depth is known
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    deep = (np.random.default_rng(5).integers(0, 65536, (6, 5, 3)) | 1).astype(np.uint16)
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in deep)
    path = tmp_path / "bare16.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 6, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    arr, info = read_photo(path)
    assert info["bit_depth"] == 16 and info["exif"] is None
    assert np.array_equal(np.rint(arr * 65535).astype(np.uint16), deep)


def test_a_floating_point_grey_tiff_is_restored_at_16_bits(tmp_path):
    # 8 bits would merge shades a 32-bit float TIFF tells apart
    grey = np.linspace(0.2, 0.2 + 40 / 65535, 41 * 3, dtype=np.float32).reshape(3, 41)
    path = tmp_path / "float.tif"
    Image.fromarray(grey, mode="F").save(path)
    arr, info = read_photo(path)
    assert info["bit_depth"] == 16 and arr.shape == (3, 41, 3)
    assert len(np.unique(np.rint(arr[..., 0] * 65535))) == 41


@pytest.mark.parametrize(("brightest", "white"), [(200, 255), (60000, 65535), (16_000_000, 2**24 - 1),
                                                  (2_000_000_000, 2**31 - 1)])
def test_a_32_bit_integer_grey_tiff_is_read_in_the_range_its_values_need(tmp_path, brightest, white):
    # every value past 65535 was white: a 24-bit scientific camera's grey came out a white sheet
    ramp = np.linspace(0, brightest, 4 * 50).reshape(4, 50).astype(np.int32)
    path = tmp_path / "int32.tif"
    Image.fromarray(ramp).save(path)
    arr, info = read_photo(path)
    assert info["bit_depth"] == (8 if white == 255 else 16)
    np.testing.assert_allclose(arr[..., 0], ramp / white, atol=1e-6)
    assert (arr[..., 0] >= 1).sum() <= 1


def test_a_tiff_without_exif_has_none_and_one_with_exif_keeps_only_its_exif(tmp_path):
    # Pillow's getexif of a TIFF holds the file's layout tags (sizes, strips), so every TIFF seemed to have EXIF
    plain = tmp_path / "plain.tif"
    Image.fromarray(_u8(_photo(12, 10))).save(plain)
    assert read_photo(plain)[1]["exif"] is None
    dated = tmp_path / "dated.tif"
    im = Image.fromarray(_u8(_photo(12, 10)))
    exif = im.getexif()
    exif[0x0132] = "2023:07:14 18:42:05"
    im.save(dated, exif=exif)
    kept = Image.Exif()
    kept.load(read_photo(dated)[1]["exif"])
    assert dict(kept) == {0x0132: "2023:07:14 18:42:05"}


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.fromarray(_u8(_photo(seed=i))).convert("P") for i in range(3)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    with pytest.warns(UserWarning, match="first"):
        arr, info = read_photo(path)
    assert arr.shape == (40, 56, 3) and info["animated"]  # the frames are not counted: only the first is read


def test_preview_jpeg_fits_its_budget(tmp_path):
    import io

    from scientist.restore.compare import preview_jpeg

    rng = np.random.default_rng(0)
    noisy = tmp_path / "noisy.png"  # noise compresses badly: the budget forces lower quality, then a smaller size
    Image.fromarray((rng.random((600, 900, 3)) * 255).astype(np.uint8)).save(noisy)
    before = noisy.read_bytes()
    for budget in (400_000, 60_000):
        data = preview_jpeg(noisy, budget)
        assert len(data) <= budget
        assert Image.open(io.BytesIO(data)).format == "JPEG"
    assert Image.open(io.BytesIO(preview_jpeg(noisy, 60_000))).size[0] < 900
    assert Image.open(io.BytesIO(preview_jpeg(noisy, 10_000_000))).size == (900, 600)
    assert noisy.read_bytes() == before


# ---------------------------------------------------------------- photos as people keep them
from PIL import ExifTags  # noqa: E402

from scientist.restore.photo import _orient  # noqa: E402
from scientist.restore.save import exif_for_output, write_image_atomic  # noqa: E402

from .helpers import DATE, exif_bytes, exif_date, rgb_profile, save_heic, save_png16  # noqa: E402


def _deep(h=30, w=50, seed=0):
    """16-bit colour whose values are not multiples of 257 (so 8 bits could not hold them)."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 65536, (h, w, 3)) | 1).astype(np.uint16)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_own_orientation_matches_pillow(tmp_path, orientation):
    from PIL import ImageOps

    path = tmp_path / "o.png"
    Image.fromarray(_u8(_photo(5, 7))).save(path, exif=exif_bytes(orientation))
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im))
        stored = np.asarray(im.convert("RGB"))
    assert np.array_equal(_orient(stored, orientation), expected)


def test_16_bit_colour_png_keeps_16_bits_and_turns_upright(tmp_path):
    deep = _deep()
    path = save_png16(tmp_path / "scan.png", deep, exif=exif_bytes(6), icc=rgb_profile())
    arr, info = read_photo(path)
    assert info["bit_depth"] == 16 and arr.shape == (50, 30, 3)
    assert np.array_equal(np.rint(arr * 65535).astype(np.uint16), np.rot90(deep, -1))
    assert info["icc_profile"] == rgb_profile() and info["exif"]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_16_bit_colour_tiff_is_turned_upright_once(tmp_path, orientation):
    """OpenCV 5 turns a TIFF by its Orientation tag itself (4 did not): the photo is turned once, as an 8-bit one
    is, whichever OpenCV decodes it (it was turned twice: a quarter turn became upside down)."""
    tifffile = pytest.importorskip("tifffile")
    deep = _deep(6, 10, seed=orientation)
    path = tmp_path / "scan.tif"
    tifffile.imwrite(path, deep, photometric="rgb", extratags=[(274, "H", 1, orientation, True)])
    arr, info = read_photo(path)
    assert info["bit_depth"] == 16
    assert np.array_equal(np.rint(arr * 65535).astype(np.uint16), _orient(deep, orientation))


def test_a_heic_in_display_p3_without_a_profile_is_warned_of(tmp_path):
    """A HEIC stating Display P3 in its colour information (nclx) and with no ICC profile came out untagged, read
    as sRGB and less saturated, without a word; one with a profile, or in sRGB, is not warned of."""
    img = _u8(_photo())
    p3 = dict(color_primaries=12, transfer_characteristics=13, matrix_coefficients=6, full_range_flag=1)
    with pytest.warns(UserWarning, match="p3.heic states its colours as Display P3 in its HEIF colour information"):
        read_photo(save_heic(tmp_path / "p3.heic", img, **p3))
    for name, colour in (("srgb.heic", {}), ("tagged.heic", {**p3, "icc_profile": rgb_profile()})):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            read_photo(save_heic(tmp_path / name, img, **colour))


def test_heic_from_a_phone_is_read_upright_with_its_exif(tmp_path):
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, :30] = 200  # left half bright
    path = save_heic(tmp_path / "IMG_0420.HEIC", img, exif=exif_bytes(6))
    arr, info = read_photo(path)
    assert info["format"] == "HEIF" and arr.shape == (60, 40, 3)  # rotated a quarter turn clockwise
    assert arr[:30].mean() > 0.6 and arr[30:].mean() < 0.1  # the bright half is now on top
    e = Image.Exif()
    e.load(info["exif"])
    assert e.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == DATE


@pytest.mark.parametrize("suffix", [".dng", ".CR2", ".nef", ".arw", ".raf", ".orf", ".rw2", ".cr3"])
def test_camera_raw_is_refused_with_what_to_do(tmp_path, suffix):
    path = tmp_path / f"IMG_0001{suffix}"
    path.write_bytes(b"II*\x00" + b"\x00" * 64)
    with pytest.raises(PhotoError, match="camera RAW.*export a JPEG or a 16-bit TIFF"):
        read_photo(path)


@pytest.mark.parametrize("fmt,suffix", [("png", ".png"), ("tiff", ".tif"), ("jpg", ".jpg")])
@pytest.mark.parametrize("bits", [8, 16])
def test_written_images_keep_exif_profile_and_depth(tmp_path, fmt, suffix, bits):
    import cv2

    deep = _deep()
    arr = deep.astype(np.float32) / 65535
    exif = exif_for_output(exif_bytes(6), 50, 30)
    out = tmp_path / f"out{suffix}"
    write_image_atomic(arr, out, fmt=fmt, bit_depth=bits, quality=90, exif=exif, icc=rgb_profile())
    with Image.open(out) as im:
        assert im.size == (50, 30)
        e = im.getexif()
        assert e[ExifTags.Base.Orientation] == 1 and e[ExifTags.Base.Model] == "Phone 7"
        assert im.info.get("icc_profile") == rgb_profile()
    assert exif_date(out) == DATE
    stored = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., ::-1]  # another decoder than the writer's
    if fmt != "jpg" and bits == 16:
        assert stored.dtype == np.uint16 and np.array_equal(stored, deep)
        assert read_photo(out)[1]["bit_depth"] == 16
    elif fmt != "jpg":
        assert stored.dtype == np.uint8 and np.array_equal(stored, np.rint(arr * 255).astype(np.uint8))
    else:
        assert stored.dtype == np.uint8


def test_output_exif_loses_orientation_and_thumbnail_keeps_the_rest():
    import struct

    # EXIF as cameras write it: IFD0 (orientation 8) linked to IFD1, the thumbnail's directory
    thumb = b"\xff\xd8thumbnail\xff\xd9"
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, 8) + struct.pack("<I", 26)
    ifd1 = (struct.pack("<H", 2) + struct.pack("<HHII", 0x0201, 4, 1, 56) + struct.pack("<HHII", 0x0202, 4, 1,
                                                                                           len(thumb))
            + struct.pack("<I", 0))
    raw = b"II*\x00" + struct.pack("<I", 8) + ifd0 + ifd1 + thumb
    src = Image.Exif()
    src.load(raw)
    assert src.get_ifd(ExifTags.IFD.IFD1)  # the input has a thumbnail
    out = Image.Exif()
    out.load(exif_for_output(raw, 10, 20))
    assert out[ExifTags.Base.Orientation] == 1
    assert not out.get_ifd(ExifTags.IFD.IFD1) and thumb not in exif_for_output(raw, 10, 20)


def test_transparency_that_is_not_kept_is_warned_of(tmp_path):
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[:, :3, 3] = 255  # the right half transparent
    Image.fromarray(rgba).save(tmp_path / "cutout.png")
    with pytest.warns(UserWarning, match="cutout.png has transparency, which the restored image does not keep"):
        arr, _ = read_photo(tmp_path / "cutout.png")
    assert arr.shape == (4, 6, 3)
    pal = Image.fromarray(np.arange(24, dtype=np.uint8).reshape(4, 6), "L").convert("P")
    pal.save(tmp_path / "keyed.png", transparency=5)  # pixel 5 takes the transparent entry
    with pytest.warns(UserWarning, match="keyed.png has transparency"):
        read_photo(tmp_path / "keyed.png")


def test_an_alpha_channel_or_transparent_colour_no_pixel_uses_is_not_warned_of(tmp_path):
    """An export's alpha of 255 everywhere, or a palette entry marked transparent that no pixel takes, was
    warned of as transparency the restored image does not keep."""
    rgba = np.full((4, 6, 4), 200, np.uint8)
    rgba[..., 3] = 255
    Image.fromarray(rgba).save(tmp_path / "opaque.png")
    pal = Image.fromarray(np.arange(24, dtype=np.uint8).reshape(4, 6), "L").convert("P")
    pal.save(tmp_path / "unused.png", transparency=200)  # no pixel is 200
    for name in ("opaque.png", "unused.png"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            arr, _ = read_photo(tmp_path / name)
        assert arr.shape == (4, 6, 3)


def test_exif_without_an_exif_directory_gets_none_in_the_output():
    """Pillow's get_ifd adds the directory it is asked for; an empty one is invalid TIFF (libtiff refuses it)."""
    src = Image.Exif()
    src[ExifTags.Base.Make], src[ExifTags.Base.Orientation] = "Camera", 6
    out = Image.Exif()
    out.load(exif_for_output(src.tobytes(), 10, 20))
    assert dict(out) == {ExifTags.Base.Orientation: 1, ExifTags.Base.Make: "Camera"}


@pytest.mark.parametrize(("quality", "sampling"), [(92, 0), (100, 0), (90, 0), (89, 2), (50, 2)])
def test_a_high_quality_jpeg_keeps_its_colour_at_full_resolution(tmp_path, quality, sampling):
    from PIL import JpegImagePlugin

    from scientist.restore.save import write_image_atomic

    img = np.zeros((16, 16, 3), np.float32)
    img[..., 2], img[:, ::2, 0] = 0.8, 1.0  # one-pixel red stripes on blue: what 4:2:0 smears
    path = tmp_path / "out.jpg"
    write_image_atomic(img, path, fmt="jpg", quality=quality)
    with Image.open(path) as im:
        assert JpegImagePlugin.get_sampling(im) == sampling


def test_a_profile_for_another_colour_model_is_not_carried(tmp_path):
    from PIL import ImageCms

    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    path = tmp_path / "lab.png"
    Image.fromarray(_u8(_photo())).save(path, icc_profile=lab)
    with pytest.warns(UserWarning, match="lab.png has an ICC profile for Lab data, which the restored image does "
                                         "not carry"):  # it was dropped without a word
        assert read_photo(path)[1]["icc_profile"] is None


def test_a_png_gamma_or_primaries_not_srgb_s_are_warned_of(tmp_path):
    """A PNG whose gAMA says 1.0 (linear) came out read as sRGB, with no word."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    Image.fromarray(_u8(_photo())).save(tmp_path / "plain.png")
    raw = (tmp_path / "plain.png").read_bytes()
    at = raw.index(b"IDAT") - 4
    cases = {"linear.png": chunk(b"gAMA", struct.pack(">I", 100000)),
             "wide.png": chunk(b"cHRM", struct.pack(">8I", 31270, 32900, 68000, 32000, 26500, 69000, 15000, 6000)),
             "srgb_gamma.png": chunk(b"gAMA", struct.pack(">I", 45455))}
    for name, extra in cases.items():
        (tmp_path / name).write_bytes(raw[:at] + extra + raw[at:])
    with pytest.warns(UserWarning, match="linear.png states a gamma of 1 "):
        read_photo(tmp_path / "linear.png")
    with pytest.warns(UserWarning, match="wide.png states primaries other than sRGB's"):
        read_photo(tmp_path / "wide.png")
    for name in ("srgb_gamma.png", "plain.png"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            read_photo(tmp_path / name)


@pytest.mark.parametrize("dtype", ["float", "uint8"])
def test_noise_estimate_agrees_with_scikit_image(dtype):
    """The demo's noise figure is scikit-image's estimate_sigma, computed without importing it."""
    from skimage.restoration import estimate_sigma

    from scientist.restore.compare import noise_sigma

    rng = np.random.default_rng(3)
    img = np.clip(rng.random((300, 900, 3)) * 0.6 + rng.normal(0, 0.04, (300, 900, 3)), 0, 1).astype(np.float32)
    img[:40] = 0.5  # a flat band: zero detail coefficients are left out by both
    if dtype == "uint8":
        img = (img * 255).round().astype(np.uint8)
    as_float = img.astype(np.float32) / 255 if dtype == "uint8" else img
    y0, x0 = 0, (900 - 768) // 2
    expected = float(estimate_sigma(as_float[y0:, x0 : x0 + 768], channel_axis=-1, average_sigmas=True)) * 255
    assert noise_sigma(img) == pytest.approx(expected, abs=1e-4)
    assert noise_sigma(np.zeros((4, 4, 3), np.float32)) == 0.0


def _stored(mode: str, h: int, w: int, seed: int) -> tuple[Image.Image, np.ndarray]:
    """A small image of ``mode`` as a file stores it, and its pixels as float RGB in [0, 1]."""
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        grey = (rng.integers(0, 65536, (h, w)) | 1).astype(np.uint16)  # not multiples of 257
        return Image.fromarray(grey), np.repeat(grey[..., None] / np.float32(65535), 3, axis=-1)
    bands = {"L": 1, "P": 1, "RGBA": 4, "CMYK": 4}[mode]
    im = Image.frombytes(mode, (w, h), rng.integers(0, 256, (h, w, bands)).astype(np.uint8).tobytes())
    if mode == "P":
        im.putpalette(rng.integers(0, 256, 768).astype(np.uint8).tobytes())
    return im, np.asarray(im.convert("RGB")) / np.float32(255)


@pytest.mark.filterwarnings("ignore:.*transparency")
@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("mode", ["L", "I;16", "P", "RGBA", "CMYK"])
def test_an_uncompressed_tiff_of_any_mode_is_turned_upright_once(tmp_path, mode, orientation):
    """Pillow 13 memory-mapped an uncompressed grey, 16-bit grey, palette, RGBA or CMYK TIFF at its turned size:
    a quarter turn (Orientation 5 to 8) came out scrambled in stripes, and on its side."""
    im, rgb = _stored(mode, 6, 10, seed=orientation)
    path = tmp_path / "scan.tif"
    im.save(path, tiffinfo={ExifTags.Base.Orientation: orientation})  # uncompressed, as Pillow writes by default
    arr, info = read_photo(path)
    assert info["mode"] == mode and arr.shape == _orient(rgb, orientation).shape
    assert np.allclose(arr, _orient(rgb, orientation), atol=1e-6)


def test_a_16_bit_grey_tiff_whose_0_is_white_is_not_a_negative(tmp_path):
    """PhotometricInterpretation 0 (MinIsWhite): Pillow inverts 8 bits as it decodes them, never 16."""
    grey = np.array([[0, 1000, 40000, 65535]], np.uint16)
    for name, compression in (("raw.tif", None), ("deflate.tif", "tiff_adobe_deflate")):
        Image.fromarray(grey).save(tmp_path / name, tiffinfo={262: 0}, compression=compression)
        arr, info = read_photo(tmp_path / name)
        assert info["bit_depth"] == 16
        assert np.allclose(arr[0, :, 0], 1 - grey[0] / 65535, atol=1e-6)  # 0 is white


def test_an_exif_too_large_for_a_jpeg_is_not_recorded_as_kept(tmp_path):
    """The JPEG is written without it (a warning says so); the record said the EXIF was kept."""
    from scientist.restore.outputs import reserve_outputs
    from scientist.restore.stages import Restored, _carry, expose, load, save

    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "BigCam"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.UserComment: b"ASCII\0\0\0" + b"x" * 80_000}
    photo = tmp_path / "bigexif.png"
    Image.fromarray(_u8(_photo())).save(photo, exif=exif.tobytes(), icc_profile=rgb_profile())
    restored = _carry(expose(load(photo), gain=1.0), Restored)  # the network's output as the photo itself
    for out, kept in (("out.jpg", ("icc",)), ("out.png", ("exif", "icc"))):
        with reserve_outputs(photo, tmp_path / out, None, False) as targets:
            if out.endswith(".jpg"):
                # named as the photo's other warnings are: in a batch it came beside the next photo's line
                with pytest.warns(UserWarning, match="bigexif.png has an EXIF larger than a JPEG can hold"):
                    saved = save(restored, targets, strength=1.0, fmt="jpg", quality=92)
            else:
                saved = save(restored, targets, strength=1.0, fmt="png", quality=92)
        assert saved.metadata == kept and saved.demo([]).metadata == list(kept)
        with Image.open(saved.output) as im:
            assert (ExifTags.Base.Model in im.getexif()) == ("exif" in kept)


def _damaged_exif() -> bytes:
    """EXIF whose camera maker (tag 271) says its text lies past the end of the block."""
    import struct

    ifd = (struct.pack("<H", 2) + struct.pack("<HHII", ExifTags.Base.Make, 2, 1000, 500)
           + struct.pack("<HHIHH", ExifTags.Base.Orientation, 3, 1, 6, 0) + struct.pack("<I", 0))
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd


def test_pillows_words_on_a_damaged_exif_name_the_photo(tmp_path, recwarn):
    """Pillow's own warning ("Tag data larger than file. Skipping tag 271") named no photo: in a folder nobody
    knew which it was about.  One warning names the photo, each time such a photo is read."""
    import warnings

    warnings.simplefilter("default")  # as a run shows them: Pillow's, once per message
    for name in ("x1.jpg", "x2.jpg"):
        Image.fromarray(_u8(_photo(8, 10))).save(tmp_path / name, exif=_damaged_exif())
        arr, info = read_photo(tmp_path / name)
        assert arr.shape == (10, 8, 3) and info["exif"]  # what could be read is kept: its orientation
    said = [str(w.message) for w in recwarn]
    assert said == [f"{name}: its EXIF is damaged (Tag data larger than file. Skipping tag 271): only what could be "
                    "read of it is copied" for name in ("x1.jpg", "x2.jpg")], said


def test_a_phones_second_image_is_no_animation(tmp_path, recwarn):
    """A phone's MPO JPEG (an Ultra HDR gain map, a depth map, a preview after the photo) is one photo."""
    path = tmp_path / "PXL_0001.jpg"
    second = Image.fromarray(np.zeros((4, 5, 3), np.uint8))
    Image.fromarray(_u8(_photo())).save(path, format="MPO", save_all=True, append_images=[second])
    arr, info = read_photo(path)
    assert info["format"] == "MPO" and "animated" not in info and arr.shape == (40, 56, 3)
    assert not [w for w in recwarn if "frames" in str(w.message)]


def _raw_tiff(path, pixels: np.ndarray, photometric: int, *, planar: bool = False, **tags) -> Path:
    """An uncompressed TIFF of ``pixels`` (height x width x samples; 16-bit or float32), laid out as Pillow's tag
    writer lays out the library's own TIFFs; ``planar``: its channels stored as separate planes, one strip each;
    ``tags``: more tags, by number (``t338=(2,)``)."""
    import struct

    from PIL import TiffImagePlugin, TiffTags

    h, w, c = pixels.shape
    little = pixels.astype(pixels.dtype.newbyteorder("<"))
    strips = [p.tobytes() for p in np.moveaxis(little, -1, 0)] if planar else [little.tobytes()]
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    layout = {256: w, 257: h, 258: (pixels.dtype.itemsize * 8,) * c, 259: 1, 262: photometric, 277: c, 278: h,
              284: 2 if planar else 1, 339: (3 if pixels.dtype.kind == "f" else 1,) * c,
              273: tuple(int(n) for n in np.cumsum([0] + [len(s) for s in strips[:-1]])),  # from the directory's end
              279: tuple(len(s) for s in strips)}
    for tag, value in {**layout, **{int(k[1:]): v for k, v in tags.items()}}.items():
        ifd[tag] = value
    for tag in (273, 279):
        ifd.tagtype[tag] = TiffTags.LONG
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + ifd.tobytes(8) + b"".join(strips))
    return path


@pytest.mark.parametrize(("make", "kind"), [
    (lambda p, px: _raw_tiff(p, px.astype(np.float32) / 65535, 2), "32-bit floating-point colour"),
    (lambda p, px: _raw_tiff(p, px, 2, planar=True), "16-bit colour stored as separate planes"),
    (lambda p, px: _raw_tiff(p, px[..., :2], 1, t338=(2,)), "16-bit grey with transparency"),
])
def test_a_tiff_of_a_kind_not_read_is_named_as_such(tmp_path, make, kind):
    """A float colour TIFF and a 16-bit grey one with transparency were 'not an image this tool can read
    (supported: ... TIFF ...)', which reads as if TIFFs were not read at all; a 16-bit TIFF whose channels are
    stored as separate planes was read as 8-bit noise (Pillow and OpenCV both misread its planes)."""
    path = make(tmp_path / "scan.tif", _deep(6, 10))
    with pytest.raises(PhotoError) as refused:
        read_photo(path)
    assert str(refused.value).startswith(f"scan.tif: a TIFF of {kind}, which this tool does not read; save it as "
                                         "an 8- or 16-bit TIFF")


def test_tiffs_of_the_kinds_read_are_not_refused_by_the_kinds_check(tmp_path):
    """Separate planes of 8 bits and an interleaved 16-bit colour TIFF laid out alike are read, and exactly."""
    deep = _deep(6, 10)
    arr, info = read_photo(_raw_tiff(tmp_path / "deep.tif", deep, 2))
    assert info["bit_depth"] == 16 and np.array_equal(np.rint(arr * 65535).astype(np.uint16), deep)
    eight = (deep >> 8).astype(np.uint8)
    arr, info = read_photo(_raw_tiff(tmp_path / "planes.tif", eight, 2, planar=True))
    assert info["bit_depth"] == 8 and np.array_equal(np.rint(arr * 255).astype(np.uint8), eight)


def test_the_photo_s_dpi_is_kept_in_png_outputs(tmp_path):
    """A 300-dpi JPEG restored to an 8-bit PNG, and a 16-bit TIFF of 300 by 150 dpi restored to a 16-bit PNG, came
    out with no pHYs chunk: no resolution for a PNG reader (the JPEG and TIFF outputs had it)."""
    from scientist.restore.outputs import reserve_outputs
    from scientist.restore.stages import Restored, _carry, expose, load, save

    jpeg = tmp_path / "scan.jpg"
    Image.fromarray(_u8(_photo())).save(jpeg, dpi=(300, 300))
    tiff = _raw_tiff(tmp_path / "deep.tif", _deep(), 2, t282=300.0, t283=150.0, t296=2)
    for photo, bits, dpi in ((jpeg, 8, (300, 300)), (tiff, 16, (300, 150))):
        restored = _carry(expose(load(photo), gain=1.0), Restored)  # the network's output as the photo itself
        with reserve_outputs(photo, tmp_path / f"{photo.stem}_out.png", None, False) as targets:
            saved = save(restored, targets, strength=1.0, fmt="png", quality=92)
        assert saved.bit_depth == bits
        with Image.open(saved.output) as im:
            assert im.info["dpi"] == pytest.approx(dpi, abs=0.013)  # PNG holds whole pixels per metre


@pytest.mark.parametrize("fmt", ["png", "jpg", "tiff"])
def test_a_jpeg_whose_jfif_and_exif_disagree_keeps_one_resolution_in_every_format(tmp_path, fmt):
    """A scan app's JPEG saying 300 dpi in its JFIF header and 72 in its EXIF was read as 300 dpi and written so
    in PNG and JPEG, but the TIFF took the EXIF's 72."""
    from scientist.restore.outputs import reserve_outputs
    from scientist.restore.stages import Restored, _carry, expose, load, save

    photo = tmp_path / "scan.jpg"
    Image.fromarray(_u8(_photo())).save(photo, dpi=(300, 300), exif=_exif(x11a=72.0, x11b=72.0, x128=2))
    restored = _carry(expose(load(photo), gain=1.0), Restored)
    with reserve_outputs(photo, tmp_path / f"out.{fmt}", None, False) as targets:
        saved = save(restored, targets, strength=1.0, fmt=fmt, quality=92)
    with Image.open(saved.output) as im:
        assert read_photo(photo)[1]["dpi"] == pytest.approx((300, 300))
        assert tuple(im.info["dpi"]) == pytest.approx((300, 300), abs=0.013)
        exif = im.getexif()
        assert (exif[ExifTags.Base.XResolution], exif[ExifTags.Base.YResolution]) == (300, 300)  # its EXIF too


def test_a_tiff_without_exif_is_not_said_to_carry_one(tmp_path):
    """A TIFF with resolution tags and no EXIF was restored 'with the photo's EXIF', and its PNG gained an eXIf
    chunk holding only those tags; its orientation is still read, and one with camera tags keeps them."""
    from scientist.restore.outputs import reserve_outputs
    from scientist.restore.stages import Restored, _carry, expose, load, save

    plain = tmp_path / "plain.tif"
    Image.fromarray(_u8(_photo())).save(plain, dpi=(300, 300), tiffinfo={274: 6})
    arr, info = read_photo(plain)
    assert info["exif"] is None and info["dpi"] == pytest.approx((300, 300)) and arr.shape[0] > arr.shape[1]
    restored = _carry(expose(load(plain), gain=1.0), Restored)
    with reserve_outputs(plain, tmp_path / "out.png", None, False) as targets:
        saved = save(restored, targets, strength=1.0, fmt="png", quality=92)
    assert "exif" not in saved.metadata
    with Image.open(saved.output) as im:
        assert "exif" not in im.info and im.info["dpi"] == pytest.approx((300, 300), abs=0.013)
    camera = tmp_path / "camera.tif"
    Image.fromarray(_u8(_photo())).save(camera, tiffinfo={271: "Cam"})
    assert read_photo(camera)[1]["exif"]


def test_a_16_bit_png_without_a_dpi_gets_no_phys_chunk(tmp_path):
    out = tmp_path / "o.png"
    write_image_atomic(np.zeros((4, 5, 3), np.float32), out, bit_depth=16)
    assert b"pHYs" not in out.read_bytes()[:200]
    with Image.open(out) as im:
        assert "dpi" not in im.info


def _exif(**tags) -> bytes:
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[int(tag[1:], 16)] = value
    return exif.tobytes()


@pytest.mark.parametrize(("name", "save", "dpi"), [
    # stated nowhere: Pillow reads 1 dpi for the TIFF and 72 for the JPEG, and the outputs carried it (a 160 px
    # photo restored from the TIFF printed 160 inches wide)
    ("none.tif", {}, None),
    ("exif_without_resolution.jpg", {"exif": _exif(x112=6, x10f="Cam")}, None),
    ("no_unit.tif", {"tiffinfo": {282: 300.0, 283: 300.0, 296: 1}}, None),  # 1: an aspect ratio, no size
    ("stated.tif", {"dpi": (300, 150)}, (300, 150)),
    ("jfif.jpg", {"dpi": (300, 300)}, (300, 300)),
    ("exif_inches.jpg", {"exif": _exif(x11a=240.0, x11b=240.0, x128=2)}, (240, 240)),
    ("exif_centimetres.jpg", {"exif": _exif(x11a=100.0, x11b=100.0, x128=3)}, (254, 254)),
    ("exif_no_unit_tag.jpg", {"exif": _exif(x11a=200.0, x11b=200.0)}, (200, 200)),  # inches, as EXIF says
])
def test_only_a_resolution_the_file_states_is_read(tmp_path, name, save, dpi):
    photo = tmp_path / name
    Image.fromarray(_u8(_photo())).save(photo, **save)
    got = read_photo(photo)[1]["dpi"]
    assert got == (pytest.approx(dpi) if dpi else None)


@pytest.mark.parametrize("dpi", [(0, 0), (float("nan"), 300), (1e9, 1e9), "300", None])
def test_a_damaged_dpi_is_not_carried_over(dpi):
    from scientist.restore.photo import _dpi

    assert _dpi(dpi) is None and _dpi((300, 299.9994)) == (300.0, 299.9994)


def _within_estimate(path: Path, save, pillow_bytes: int) -> tuple[np.ndarray, dict]:
    """``read_photo(path)`` of a photo, checked against :func:`decode_bytes`: what Python and numpy held at their peak
    (tracemalloc) and the decoded pixels Pillow holds beside them (``pillow_bytes`` each).  A tiny photo of the same
    kind (``save(path, pixels)`` writes one) is read first: what a process pays once, on its first photo
    (pillow_heif's opener registered, Pillow's TIFF reader first used: about 1 MB), is not this photo's, and left in
    the measure it failed the 16-bit test when that test ran on its own (19.1 bytes a pixel)."""
    import tracemalloc

    from scientist.restore.memory import decode_bytes

    tiny = path.with_name(f"tiny{path.suffix}")
    save(tiny, np.ones((8, 8)))
    read_photo(tiny)
    tracemalloc.start()
    try:
        arr, info = read_photo(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    used = peak + pillow_bytes * arr.shape[0] * arr.shape[1]
    assert used <= decode_bytes(arr.shape[1], arr.shape[0]), f"{used / (arr.shape[0] * arr.shape[1]):.1f} bytes a pixel"
    return arr, info


def test_a_16_bit_grey_photo_is_read_within_its_memory_estimate(tmp_path):
    """Read through a float64 copy and its quotient, a 16-bit grey PNG took about 27 bytes a pixel where 18 were
    budgeted (24 MP: 412 MB estimated, 655 MB used).  Pillow holds its pixels at 2 bytes each."""
    w, h = 640, 480
    grey = (np.random.default_rng(0).random((h, w)) * 65535).astype(np.uint16)
    path = tmp_path / "grey16.png"
    Image.fromarray(grey).save(path)
    arr, info = _within_estimate(path, lambda p, px: Image.fromarray(px.astype(np.uint16)).save(p), 2)
    assert info["mode"] == "I;16" and info["bit_depth"] == 16
    assert np.array_equal(np.rint(arr * 65535).astype(np.uint16), np.repeat(grey[..., None], 3, axis=-1))


@pytest.mark.parametrize(("mode", "dtype", "top"), [("F", np.float32, 1.0), ("I", np.int32, 65535.0)])
def test_a_32_bit_grey_tiff_is_read_within_its_memory_estimate(tmp_path, mode, dtype, top):
    """A floating-point (or 32-bit integer) grey TIFF was converted in bands of 256 rows, each held up to four times
    over on the way at 4 bytes a pixel: a strip of film scanned at 2000x600 took about 21 bytes a pixel where
    :func:`decode_bytes` budgets 18.  Pillow holds its pixels at 4 bytes each."""
    w, h = 2000, 600
    grey = (np.random.default_rng(0).random((h, w)) * 0.3 * top).astype(dtype)
    path = tmp_path / "strip.tif"
    Image.fromarray(grey, mode=mode).save(path)
    arr, info = _within_estimate(path, lambda p, px: Image.fromarray(px.astype(dtype), mode=mode).save(p), 4)
    assert info["mode"] == mode and info["bit_depth"] == 16 and arr.shape == (h, w, 3)
    assert np.array_equal(arr[..., 1], arr[..., 0]) and np.allclose(arr[..., 0], grey / top, atol=1e-7)


@pytest.mark.parametrize(("make", "grey", "grey_file"), [
    (lambda g: Image.fromarray(g), True, True),
    (lambda g: Image.fromarray(g).convert("LA"), True, True),
    (lambda g: Image.fromarray(np.stack([g] * 3, -1)), True, False),
    (lambda g: Image.fromarray(g).convert("P"), True, True),  # a palette of greys is written as grey
    (lambda g: Image.fromarray(_u8(_photo())).convert("P"), False, False),
    (lambda g: Image.fromarray(np.stack([g, g, np.clip(g.astype(int) + 1, 0, 255).astype(np.uint8)], -1)), False,
     False),
    (lambda g: Image.fromarray(_u8(_photo())), False, False),
])
def test_a_grey_photo_is_told_from_a_colour_one(tmp_path, make, grey, grey_file):
    # one step of 8 bits apart in one channel is colour: a faint tint is the photo's, not a grey file's rounding
    g = _u8(_photo())[..., 0]
    make(g).save(tmp_path / "x.png")
    _, info = read_photo(tmp_path / "x.png")
    assert info["grey"] is grey and info["grey_file"] is grey_file


def test_the_grey_check_reads_every_band():
    from scientist.restore.photo import is_grey

    img = np.zeros((600, 8, 3), np.float32)  # 75 bands of 64 pixels
    assert is_grey(img, pixels=64)
    img[599, 7, 2] = 1 / 255
    assert not is_grey(img, pixels=64)  # the last band's one pixel is found
    img[599, 7, 2] = 0.4 / 255
    assert is_grey(img, pixels=64)
