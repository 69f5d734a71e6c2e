"""MIMO-UNet and MIMO-UNet+ for single-image restoration.

Architecture of "Rethinking Coarse-to-Fine Approach in Single Image Deblurring"
(Cho, Ji, Hong, Jung, Ko; ICCV 2021; arXiv 2108.05054), reimplemented from the
paper's description so that the module tree -- and therefore every state-dict
key and shape -- matches the authors' published checkpoints.

The file follows a fixed order: building blocks, the network, then the
checkpoint helpers that canonicalise a state dict and detect the variant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "MIMOUNet",
    "MIMOUNetPlus",
    "VARIANTS",
    "Variant",
    "build",
    "canonical_state_dict",
    "detect_variant",
]


# --------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------
class ConvUnit(nn.Module):
    """A single (transposed) convolution with bias, optionally followed by ReLU.

    The layers live in ``self.main`` so that the parameter names read
    ``<prefix>.main.0.weight`` like the official checkpoints.
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int,
        stride: int = 1,
        relu: bool = True,
        transpose: bool = False,
    ) -> None:
        super().__init__()
        if transpose:
            conv: nn.Module = nn.ConvTranspose2d(
                cin, cout, kernel, stride=stride, padding=kernel // 2 - 1
            )
        else:
            conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2)
        layers = [conv]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class ResBlock(nn.Module):
    """conv3x3 + ReLU, conv3x3, plus the identity."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            ConvUnit(channels, channels, 3, relu=True),
            ConvUnit(channels, channels, 3, relu=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + x


class ResStage(nn.Module):
    """A stack of residual blocks (an encoder or decoder stage)."""

    def __init__(self, channels: int, blocks: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(*[ResBlock(channels) for _ in range(blocks)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class AFF(nn.Module):
    """Asymmetric feature fusion: concatenate multi-scale encoder features, fuse."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            ConvUnit(cin, cout, 1, relu=True),
            ConvUnit(cout, cout, 3, relu=False),
        )

    def forward(self, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([a, b, c], dim=1))


class SCM(nn.Module):
    """Shallow convolutional module: features from a down-scaled input image."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        q, h = channels // 4, channels // 2
        self.main = nn.Sequential(
            ConvUnit(3, q, 3, relu=True),
            ConvUnit(q, h, 1, relu=True),
            ConvUnit(h, h, 3, relu=True),
            ConvUnit(h, channels - 3, 1, relu=True),
        )
        self.conv = ConvUnit(channels, channels, 1, relu=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([image, self.main(image)], dim=1))


class FAM(nn.Module):
    """Feature attention module: gate encoder features by SCM features."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.merge = ConvUnit(channels, channels, 3, relu=False)

    def forward(self, enc: torch.Tensor, scm: torch.Tensor) -> torch.Tensor:
        return enc + self.merge(enc * scm)


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="nearest")


# --------------------------------------------------------------------------
# the network
# --------------------------------------------------------------------------
class MIMOUNet(nn.Module):
    """Multi-input multi-output U-Net.

    ``forward`` takes an RGB batch in [0, 1] whose height and width are
    multiples of 4 (:attr:`size_multiple`) and returns three restored images:
    1/4 scale, 1/2 scale and full scale, in that order.  Outputs are not
    clamped.
    """

    #: height and width of the input must be multiples of this (the network halves the image
    #: twice with nearest-neighbour resizing); the tiler pads every tile to it
    size_multiple = 4
    #: residual blocks per encoder/decoder stage in the official configuration
    default_blocks = 8

    def __init__(self, num_res: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        n = self.default_blocks if num_res is None else num_res
        c = 32
        self.Encoder = nn.ModuleList([ResStage(c, n), ResStage(c * 2, n), ResStage(c * 4, n)])
        self.feat_extract = nn.ModuleList(
            [
                ConvUnit(3, c, 3, relu=True),
                ConvUnit(c, c * 2, 3, stride=2, relu=True),
                ConvUnit(c * 2, c * 4, 3, stride=2, relu=True),
                ConvUnit(c * 4, c * 2, 4, stride=2, relu=True, transpose=True),
                ConvUnit(c * 2, c, 4, stride=2, relu=True, transpose=True),
                ConvUnit(c, 3, 3, relu=False),
            ]
        )
        self.Decoder = nn.ModuleList([ResStage(c * 4, n), ResStage(c * 2, n), ResStage(c, n)])
        self.Convs = nn.ModuleList(
            [ConvUnit(c * 4, c * 2, 1, relu=True), ConvUnit(c * 2, c, 1, relu=True)]
        )
        self.ConvsOut = nn.ModuleList(
            [ConvUnit(c * 4, 3, 3, relu=False), ConvUnit(c * 2, 3, 3, relu=False)]
        )
        self.AFFs = nn.ModuleList([AFF(c * 7, c), AFF(c * 7, c * 2)])
        self.FAM1 = FAM(c * 4)
        self.SCM1 = SCM(c * 4)
        self.FAM2 = FAM(c * 2)
        self.SCM2 = SCM(c * 2)
        # Dropout on the fused skips (MIMO-UNet+ only); no weights, identity in eval.
        self.drop1 = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        self.drop2 = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()

    #: The network's stages, in order; each reads and extends a state dict.
    #: The workflow in the corpus names these, and the demo runs them by name.
    STAGES = ("pyramid", "encode", "fuse", "decode")

    def pyramid(self, st: dict) -> dict:
        """Multi-input: the image at 1/2 and 1/4 scale, and their SCM features."""
        x = st["x"]
        st["x2"] = _resize(x, 0.5)
        st["x4"] = _resize(st["x2"], 0.5)
        st["s2"] = self.SCM2(st["x2"])
        st["s4"] = self.SCM1(st["x4"])
        return st

    def encode(self, st: dict) -> dict:
        """Single encoder; FAMs merge the SCM features at depths 2 and 3."""
        st["e1"] = self.Encoder[0](self.feat_extract[0](st["x"]))
        z = self.FAM2(self.feat_extract[1](st["e1"]), st["s2"])
        st["e2"] = self.Encoder[1](z)
        z = self.FAM1(self.feat_extract[2](st["e2"]), st["s4"])
        st["e3"] = self.Encoder[2](z)
        return st

    def fuse(self, st: dict) -> dict:
        """Asymmetric feature fusion of all encoder scales for decoder levels 1 and 2."""
        e1, e2, e3 = st["e1"], st["e2"], st["e3"]
        e3_up = _resize(e3, 2)
        st["f2"] = self.drop2(self.AFFs[1](_resize(e1, 0.5), e2, e3_up))
        st["f1"] = self.drop1(self.AFFs[0](e1, _resize(e2, 2), _resize(e3_up, 2)))
        return st

    def decode(self, st: dict) -> dict:
        """Single decoder with three residual outputs (1/4, 1/2, full scale)."""
        z = self.Decoder[0](st["e3"])
        out4 = self.ConvsOut[0](z) + st["x4"]
        z = self.feat_extract[3](z)
        z = self.Convs[0](torch.cat([z, st["f2"]], dim=1))
        z = self.Decoder[1](z)
        out2 = self.ConvsOut[1](z) + st["x2"]
        z = self.feat_extract[4](z)
        z = self.Convs[1](torch.cat([z, st["f1"]], dim=1))
        z = self.Decoder[2](z)
        full = st.get("x_full")  # the input at full precision, when the network runs at a lower one
        out1 = self.feat_extract[5](z) + st["x"] if full is None else self.feat_extract[5](z).to(full.dtype) + full
        st["outputs"] = [out4, out2, out1]
        return st

    def run_stages(self, x: torch.Tensor, stages=STAGES, x_full: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Run the named stages in order (all of :attr:`STAGES` for a full pass).  ``x_full``: ``x`` at a higher
        precision (float32 beside bfloat16), to which the full-scale residual is added instead of ``x``, so that
        the output keeps the input's own precision (bfloat16 rounds a value near 1 to 1/256)."""
        st: dict = {"x": x, "x_full": x_full}
        for name in stages:
            if name not in self.STAGES:
                raise ValueError(f"unknown MIMO-UNet stage {name!r}")
            st = getattr(self, name)(st)
        return st["outputs"]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.run_stages(x)


class MIMOUNetPlus(MIMOUNet):
    """MIMO-UNet+: 20 residual blocks per stage and dropout on the fused skips."""

    default_blocks = 20

    def __init__(self, num_res: int | None = None, dropout: float = 0.1) -> None:
        super().__init__(num_res=num_res, dropout=dropout)


# --------------------------------------------------------------------------
# checkpoint helpers
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """A named configuration, recognised by its number of residual blocks."""

    name: str
    cls: type[MIMOUNet]
    blocks: int


VARIANTS: dict[str, Variant] = {
    "MIMO-UNet": Variant("MIMO-UNet", MIMOUNet, 8),
    "MIMO-UNet+": Variant("MIMO-UNet+", MIMOUNetPlus, 20),
}

_WRAPPERS = ("model", "state_dict", "params", "params_ema", "net")
_PREFIXES = ("module.", "model.", "net.")


def canonical_state_dict(obj: object) -> dict[str, torch.Tensor]:
    """Unwrap a loaded checkpoint into a flat ``{key: tensor}`` state dict.

    Accepts a bare state dict or one nested under a common wrapper key, and
    strips a ``module.`` (DataParallel) or similar prefix.  Raises
    ``ValueError`` when no tensors are found.
    """
    for _ in range(3):
        if isinstance(obj, Mapping) and not _is_tensor_dict(obj):
            for key in _WRAPPERS:
                if key in obj and isinstance(obj[key], Mapping):
                    obj = obj[key]
                    break
            else:
                break
    if not isinstance(obj, Mapping) or not _is_tensor_dict(obj):
        raise ValueError("the file holds no state dict of tensors")
    sd = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    for prefix in _PREFIXES:
        if sd and all(k.startswith(prefix) for k in sd):
            sd = {k[len(prefix) :]: v for k, v in sd.items()}
    return sd


def _is_tensor_dict(obj: Mapping) -> bool:
    return bool(obj) and all(isinstance(v, torch.Tensor) for v in obj.values())


def detect_variant(sd: Mapping[str, torch.Tensor]) -> Variant:
    """Tell MIMO-UNet from MIMO-UNet+ by the residual blocks in the first stage.

    Raises ``ValueError`` when the keys are not those of a MIMO-UNet.
    """
    if "feat_extract.0.main.0.weight" not in sd or "SCM1.conv.main.0.weight" not in sd:
        raise ValueError("the state dict is not a MIMO-UNet (its keys do not match)")
    blocks = {
        int(k.split(".")[3]) for k in sd if k.startswith("Encoder.0.layers.") and k.count(".") >= 4
    }
    n = max(blocks) + 1 if blocks else 0
    for variant in VARIANTS.values():
        if variant.blocks == n:
            return variant
    raise ValueError(f"a MIMO-UNet with {n} residual blocks per stage is not a known variant")


def build(variant: str | Variant) -> MIMOUNet:
    """Construct a variant by name (``"MIMO-UNet"`` or ``"MIMO-UNet+"``)."""
    v = VARIANTS[variant] if isinstance(variant, str) else variant
    return v.cls()
