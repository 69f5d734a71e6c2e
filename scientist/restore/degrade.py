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
    "DEFAULT_MIX",
    "DISTRIBUTIONS",
    "DegradeParams",
    "Distribution",
    "LOSSLESS",
    "STRENGTHS",
    "degrade",
    "draw_from_mix",
    "format_mix",
    "linear_to_srgb",
    "sample_params",
    "apply_gain",
    "key_gain",
    "mean_key_gain",
    "parse_mix",
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


def linear_per_srgb(level: float) -> float:
    """How fast linear light rises per unit of sRGB value at the linear ``level`` (the slope of
    :func:`srgb_to_linear` there): a change of ``d`` in sRGB values is about ``d`` times this in linear light."""
    level = min(max(level, 0.0), 1.0)
    return 1 / 12.92 if level <= 0.0031308 else 2.4 / 1.055 * level ** (1.4 / 2.4)


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


@dataclass(frozen=True)
class Distribution:
    """A named distribution of degradations: what the network is trained on and what the brightness step is
    fitted on.  Exposure, shot and read noise are drawn log-uniformly from their ranges (a range of zeros: none),
    the blur length uniformly in ``blur_share`` of the draws, the JPEG quality uniformly in ``jpeg_share`` of them
    (the rest stay lossless 8-bit).  ``gain_error``: in training, the brightening before the network is the exact
    inverse of the exposure times an error drawn log-uniformly in [1/gain_error, gain_error], as a blind
    brightness step is never exact."""

    description: str
    exposure: tuple[float, float]
    shot: tuple[float, float]
    read: tuple[float, float]
    blur_len: tuple[float, float] = (0.0, 0.0)
    blur_share: float = 0.0
    jpeg: tuple[int, int] = (70, 96)
    jpeg_share: float = 0.0
    gain_error: float = 1.0

    def sample(self, rng: np.random.Generator) -> DegradeParams:
        """One draw of degradation parameters."""
        exposure, shot, read = (_log_uniform(rng, r) for r in (self.exposure, self.shot, self.read))
        blur = float(rng.uniform(*self.blur_len)) if rng.random() < self.blur_share else 0.0
        jpeg = int(rng.integers(*self.jpeg)) if rng.random() < self.jpeg_share else 101
        return DegradeParams(exposure, shot, read, blur, float(rng.uniform(0, np.pi)), jpeg)


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    if hi <= 0:
        return 0.0
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if hi > lo else float(lo)


#: The named training distributions (``scientist train --mix NAME[:share],...``), documented in the model card.
DISTRIBUTIONS: dict[str, Distribution] = {
    "lowlight": Distribution(
        "a dark phone photo: strong shot and read noise, camera shake in half, JPEG 70-95 in 80 % "
        "(the bundled weights' first two stages)",
        exposure=(0.08, 0.6), shot=(2e-4, 6e-3), read=(1e-3, 8e-3), blur_len=(0.0, 4.0), blur_share=0.5,
        jpeg=(70, 96), jpeg_share=0.8, gain_error=1.4),
    "light": Distribution(
        "a dim room: light noise, little shake (15 %), JPEG 85-97 in 40 % and lossless otherwise",
        exposure=(0.25, 0.9), shot=(1e-4, 2.5e-3), read=(4e-4, 3e-3), blur_len=(0.0, 2.0), blur_share=0.15,
        jpeg=(85, 98), jpeg_share=0.4, gain_error=1.15),
    "faint": Distribution(
        "a nearly clean photo: bright enough, faint noise, JPEG 90-99 in 30 %",
        exposure=(0.7, 1.0), shot=(1e-5, 1e-4), read=(1e-4, 4e-4), jpeg=(90, 100), jpeg_share=0.3,
        gain_error=1.05),
    "grainy": Distribution(
        "a bright enough photo with visible grain (high ISO in fair light): JPEG 85-97 in half",
        exposure=(0.8, 1.0), shot=(5e-4, 4e-3), read=(1e-3, 4e-3), jpeg=(85, 98), jpeg_share=0.5,
        gain_error=1.05),
    "clean": Distribution("the photo as it is: nothing to remove (the target is the input)",
                          exposure=(1.0, 1.0), shot=(0.0, 0.0), read=(0.0, 0.0)),
}
#: The mix ``scientist train`` uses unless told otherwise.
DEFAULT_MIX = "lowlight"


def parse_mix(text: str) -> tuple[tuple[str, float], ...]:
    """``"lowlight:0.5,light"`` -> ``(("lowlight", 0.5), ("light", 0.5))``: names of :data:`DISTRIBUTIONS`, each
    with its share of the samples; names without a share split what the others leave equally.  Raises
    ``ValueError`` with the reason."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError("the mix is empty")
    named: dict[str, float | None] = {}
    for part in parts:
        name, sep, share = part.partition(":")
        name = name.strip()
        if name not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {name!r} (known: {', '.join(DISTRIBUTIONS)})")
        if name in named:
            raise ValueError(f"{name!r} appears twice in the mix")
        try:
            value = float(share) if sep else None
        except ValueError:
            raise ValueError(f"the share of {name!r} is not a number: {share!r}") from None
        if value is not None and not 0 < value <= 1:
            raise ValueError(f"the share of {name!r} must be in (0, 1], not {share}")
        named[name] = value
    given = sum(v for v in named.values() if v is not None)
    free = [k for k, v in named.items() if v is None]
    if given > 1 + 1e-9 or (not free and abs(given - 1) > 1e-6):
        raise ValueError(f"the shares add up to {given:g}, not 1")
    rest = (1 - given) / len(free) if free else 0.0
    if free and rest <= 0:
        raise ValueError(f"nothing is left for {', '.join(free)}: the other shares add up to 1")
    return tuple((k, v if v is not None else rest) for k, v in named.items())


def format_mix(mix: tuple[tuple[str, float], ...]) -> str:
    """The canonical spelling of a parsed mix (every share written out)."""
    return ",".join(f"{name}:{share:g}" for name, share in mix)


def draw_from_mix(mix: tuple[tuple[str, float], ...], rng: np.random.Generator) -> tuple[str, DegradeParams]:
    """Pick a distribution by its share, then draw parameters from it; a mix of one draws no extra number
    (so a one-name mix gives the same draws as its distribution alone)."""
    if len(mix) == 1:
        name = mix[0][0]
    else:
        u, acc, name = rng.random(), 0.0, mix[-1][0]
        for k, share in mix:
            acc += share
            if u < acc:
                name = k
                break
    return name, DISTRIBUTIONS[name].sample(rng)


#: Fixed settings of the benchmark's three strengths.
STRENGTHS: dict[str, DegradeParams] = {
    "light": DegradeParams(0.45, 6e-4, 1.5e-3, 0.0, 0.0, 92),
    "medium": DegradeParams(0.25, 1.5e-3, 3e-3, 2.0, 0.6, 85),
    "heavy": DegradeParams(0.12, 4e-3, 6e-3, 3.0, 2.0, 75),
}
#: Lossless conditions of the blind benchmark (saved as PNG, as a phone's dim-room or night shot in a lossless
#: format would be), and the clean photo itself.
LOSSLESS: dict[str, DegradeParams] = {
    "light-png": DegradeParams(0.4, 8e-4, 1.5e-3, 0.0, 0.0, 101),
    "heavy-png": DegradeParams(0.12, 4e-3, 6e-3, 0.0, 0.0, 101),
    "clean": DegradeParams(1.0, 0.0, 0.0, 0.0, 0.0, 101),
}


def sample_params(rng: np.random.Generator, distribution: str = DEFAULT_MIX) -> DegradeParams:
    """Draw degradation parameters from a named distribution (by default the bundled weights' one)."""
    return DISTRIBUTIONS[distribution].sample(rng)


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
    return key_gain(float((srgb_to_linear(sample) @ LUMA).mean()))


def key_gain(mean: float) -> float:
    """The mean-key rule's gain for a photo whose mean linear luminance is ``mean``."""
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
