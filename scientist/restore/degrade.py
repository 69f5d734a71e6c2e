"""Synthetic low-light phone-photo degradations, used for training and for the benchmark.

A clean, well-exposed sRGB image is taken to linear light, dimmed, optionally
blurred by a small camera-shake kernel, given signal-dependent shot noise and
signal-independent read noise, quantised back to 8-bit sRGB and JPEG-compressed.
All randomness comes from a ``numpy.random.Generator`` so every sample is
reproducible from its seed.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image
from scipy.ndimage import convolve

__all__ = [
    "DegradeParams",
    "STRENGTHS",
    "degrade",
    "linear_to_srgb",
    "sample_params",
    "apply_gain",
    "mean_key_gain",
    "srgb_to_linear",
]


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB decoding, float array in [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB encoding, float array in [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055)


@dataclass(frozen=True)
class DegradeParams:
    """One draw of the degradation model."""

    exposure: float  # linear-light gain applied to the clean image (< 1 dims)
    shot: float  # shot-noise gain: variance = shot * signal
    read: float  # read-noise standard deviation in linear light
    blur_len: float  # camera-shake path length in pixels (0 = none)
    blur_angle: float  # direction of the shake, radians
    jpeg: int  # JPEG quality, 101 = no JPEG

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


#: Ranges (low, high) of the training distribution.
TRAIN_RANGES = {
    "exposure": (0.08, 0.6),
    "shot": (2e-4, 6e-3),
    "read": (1e-3, 8e-3),
    "blur_len": (0.0, 4.0),
    "jpeg": (70, 96),
}

#: Fixed settings of the benchmark's three strengths.
STRENGTHS: dict[str, DegradeParams] = {
    "light": DegradeParams(0.45, 6e-4, 1.5e-3, 0.0, 0.0, 92),
    "medium": DegradeParams(0.25, 1.5e-3, 3e-3, 2.0, 0.6, 85),
    "heavy": DegradeParams(0.12, 4e-3, 6e-3, 3.0, 2.0, 75),
}


def sample_params(rng: np.random.Generator) -> DegradeParams:
    """Draw degradation parameters from the training ranges."""
    lo, hi = TRAIN_RANGES["exposure"]
    exposure = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    lo, hi = TRAIN_RANGES["shot"]
    shot = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    lo, hi = TRAIN_RANGES["read"]
    read = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    blur = float(rng.uniform(*TRAIN_RANGES["blur_len"])) if rng.random() < 0.5 else 0.0
    jpeg = int(rng.integers(*TRAIN_RANGES["jpeg"])) if rng.random() < 0.8 else 101
    return DegradeParams(exposure, shot, read, blur, float(rng.uniform(0, np.pi)), jpeg)


def shake_kernel(length: float, angle: float) -> np.ndarray | None:
    """A short linear motion kernel, anti-aliased by sub-sampling the path."""
    if length < 0.5:
        return None
    size = int(np.ceil(length)) | 1
    size = max(size, 3)
    k = np.zeros((size, size), np.float64)
    c = (size - 1) / 2
    for t in np.linspace(-length / 2, length / 2, 8 * size):
        x, y = c + t * np.cos(angle), c + t * np.sin(angle)
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        fx, fy = x - x0, y - y0
        for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                          (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
            if 0 <= y0 + dy < size and 0 <= x0 + dx < size:
                k[y0 + dy, x0 + dx] += w
    return k / k.sum()


def degrade(clean: np.ndarray, params: DegradeParams, rng: np.random.Generator) -> np.ndarray:
    """Degrade an sRGB float image (H, W, 3) in [0, 1]; returns float32 in [0, 1]."""
    lin = srgb_to_linear(clean.astype(np.float64)) * params.exposure
    k = shake_kernel(params.blur_len, params.blur_angle)
    if k is not None:
        lin = np.stack([convolve(lin[..., c], k, mode="reflect") for c in range(3)], -1)
    var = params.shot * np.clip(lin, 0, None) + params.read**2
    lin = lin + rng.standard_normal(lin.shape) * np.sqrt(var)
    u8 = np.round(linear_to_srgb(lin) * 255).astype(np.uint8)
    if params.jpeg <= 100:
        buf = io.BytesIO()
        Image.fromarray(u8).save(buf, format="JPEG", quality=params.jpeg)
        u8 = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return (u8.astype(np.float32) / 255.0)


#: Mean linear luminance the mean-key rule aims for (a mid-grey scene key), and its largest gain.
TARGET_KEY = 0.18
MAX_GAIN = 12.0
LUMA = np.array([0.2126, 0.7152, 0.0722])


def apply_gain(img: np.ndarray, gain: float, rows: int = 256) -> np.ndarray:
    """Multiply an sRGB image by ``gain`` in linear light (clipped to [0, 1]).

    Works in float32 bands of ``rows`` rows, so a 12-megapixel photo needs
    little memory beyond its output.
    """
    out = np.empty(img.shape, np.float32)
    for y in range(0, img.shape[0], rows):
        band = img[y : y + rows].astype(np.float32)
        out[y : y + rows] = linear_to_srgb(srgb_to_linear(band) * np.float32(gain))
    return out


def mean_key_gain(img: np.ndarray) -> float:
    """The linear-light gain that brings the mean luminance to :data:`TARGET_KEY` (never below 1).

    The demo's brightness step before :mod:`.exposure`; kept as the blind brightening of the
    classical baseline in ``scientist bench-restore``.
    """
    step = max(1, int(np.sqrt(img.shape[0] * img.shape[1] / 1e6)))  # about a megapixel is plenty
    sample = img[::step, ::step].astype(np.float64)
    mean = float((srgb_to_linear(sample) @ LUMA).mean())
    return float(np.clip(TARGET_KEY / max(mean, 1e-4), 1.0, MAX_GAIN))


def downscale_8bit(img: np.ndarray, side: int) -> np.ndarray:
    """Float RGB scaled down (Lanczos, through 8 bits) so its longer side is at most ``side``: how the
    benchmark and exposure-fit photos are prepared."""
    h, w, _ = img.shape
    if max(h, w) <= side:
        return img
    s = side / max(h, w)
    im = Image.fromarray((np.clip(img, 0, 1) * 255).round().astype(np.uint8))
    return np.asarray(im.resize((round(w * s), round(h * s)), Image.Resampling.LANCZOS), np.float32) / 255
