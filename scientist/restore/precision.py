"""Which number format the network runs in: the fastest one the machine offers, within an accuracy contract.

- CPUs whose PyTorch build reports native bfloat16 matrix support (AVX-512 BF16 or
  AMX, read from PyTorch's own CPU capability report and from oneDNN, never from the
  CPU's name) run the network in bfloat16 with channels-last memory layout;
- other CPUs run it in float32 (onnxruntime when installed);
- CUDA devices run float16 autocast (bfloat16 where the device supports it and it is asked for).

The contract, checked by ``tests/test_precision.py`` on any CPU and by
``benchmarks/bench_mimo.py``: the 8-bit output of a reduced-precision path is within
2/255 of the float32 path everywhere, and the PSNR between them is at least 50 dB.
"""

from __future__ import annotations

import torch

from ..errors import ScientistError

__all__ = ["PRECISIONS", "choose_precision", "cpu_bf16_native"]

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def cpu_bf16_native() -> bool:
    """Whether this CPU computes bfloat16 matrix products in hardware, as PyTorch and oneDNN see it."""
    try:
        caps = torch.cpu.get_capabilities()
        hardware = bool(caps.get("avx512_bf16") or caps.get("amx_bf16"))
    except (AttributeError, RuntimeError):  # older PyTorch builds have no capability report
        hardware = True
    try:
        onednn = bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        onednn = False
    return hardware and onednn


def choose_precision(precision: str, device: torch.device, backend: str = "auto") -> str:
    """The precision a run will use: ``precision`` itself, or for ``auto`` the fastest the device offers
    with ``backend`` (the ``onnx`` back end runs fp32 only, and ``eager`` is the fp32 reference, on any device)."""
    if precision not in PRECISIONS:
        raise ScientistError(f"unknown precision {precision!r} (use {', '.join(PRECISIONS)})")
    if precision == "fp16" and device.type != "cuda":
        raise ScientistError("fp16 runs on a CUDA device only; on this CPU use --precision bf16 or fp32")
    if precision != "auto":
        return precision
    if backend in ("onnx", "eager"):
        return "fp32"
    if device.type == "cuda":
        return "fp16"
    return "bf16" if cpu_bf16_native() else "fp32"
