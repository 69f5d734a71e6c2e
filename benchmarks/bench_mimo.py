"""MIMO-UNet on CPU: eager fp32, the project's fp32 path and its reduced-precision path, side by side.

For each variant, on a 1280x720 photo, in one run and interleaved (A, B, C, A, B, C, ...):

- baseline: plain eager PyTorch fp32 forward of the whole frame (the official way to run it);
- fp32: onnxruntime (the project's fp32 path), whole frame and with the demo's tile plan;
- bf16: bfloat16 weights and activations, channels-last (the path ``--precision auto`` picks on CPUs with
  native bfloat16), whole frame and with the demo's tile plan.

Prints seconds per megapixel of the photo (median of ``--repeats``), the speed-up over the baseline,
and the largest 8-bit difference of each output from the baseline's, plus the CPU and what PyTorch
reports of its bfloat16 support.  MIMO-UNet uses the bundled weights; MIMO-UNet+ random ones (speed only).

    python benchmarks/bench_mimo.py [--repeats 3] [--variants MIMO-UNet MIMO-UNet+]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from photos import china

from scientist.restore.blend import restore_array
from scientist.restore.mimo_unet import VARIANTS
from scientist.restore.precision import cpu_bf16_native
from scientist.restore.runners import Runner, make_runner
from scientist.restore.tiles import DEFAULT_MEMORY_MB, plan_tiles, tile_pixels
from scientist.restore.weights import load_model


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def capability() -> str:
    try:
        caps = torch.cpu.get_capabilities()
        flags = [k for k in ("avx512_bf16", "amx_bf16", "avx512_f", "avx2") if caps.get(k)]
    except AttributeError:
        flags = []
    onednn = torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    return (f"{', '.join(flags) or 'no capability report'}; oneDNN bf16 {'yes' if onednn else 'no'}; "
            f"native bfloat16: {'yes' if cpu_bf16_native() else 'NO (bf16 is emulated here: slow)'}")


def u8(a: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(a, 0, 1) * 255).astype(np.int16)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    img = china(1280, 720)
    h, w, _ = img.shape
    mp = h * w / 1e6
    x = np.ascontiguousarray(img.transpose(2, 0, 1)[None])
    cpu = torch.device("cpu")
    print(f"{cpu_name()}, torch {torch.__version__}, {torch.get_num_threads()} threads; image {w}x{h} ({mp:.2f} MP)")
    print(f"bfloat16: {capability()}")
    for name in args.variants:
        model = load_model().model if name == "MIMO-UNet" else VARIANTS[name].cls().eval()
        with tempfile.TemporaryDirectory() as cache:
            paths = {
                "baseline: eager PyTorch fp32, whole frame": (Runner(model, cpu), None),
                "fp32: onnxruntime, whole frame": (make_runner(model, cpu, "onnx", cache=Path(cache)), None),
                "bf16: channels-last, whole frame": (make_runner(model, cpu, "torch", precision="bf16"), None),
            }
            for precision, runner_key in (("fp32", "fp32: onnxruntime, whole frame"),
                                          ("bf16", "bf16: channels-last, whole frame")):
                plan = plan_tiles(h, w, max_pixels=tile_pixels(DEFAULT_MEMORY_MB, precision, "cpu"))
                label = f"{precision}: the demo's plan, {plan.count} tiles of {plan.tile_h}x{plan.tile_w}"
                paths[label] = (paths[runner_key][0], plan)
            outputs, times = {}, {label: [] for label in paths}
            for runner, _ in paths.values():
                runner(x[..., :64, :64])  # warm-up (oneDNN prepares its kernels on first use)
            for _ in range(args.repeats):
                for label, (runner, plan) in paths.items():
                    t = time.perf_counter()
                    out = (runner(x)[0].transpose(1, 2, 0) if plan is None
                           else restore_array(model, img, plan=plan, runner=runner))
                    times[label].append(time.perf_counter() - t)
                    outputs[label] = out
        base_label = next(iter(paths))
        base, ref = statistics.median(times[base_label]), u8(outputs[base_label])
        print(f"\n{name}")
        print(f"  {'path':58s} {'s/MP':>6}  {'speed-up':>8}  max 8-bit diff")
        for label in paths:
            s = statistics.median(times[label])
            diff = int(np.abs(u8(outputs[label]) - ref).max())
            runs = ", ".join(f"{t / mp:.1f}" for t in times[label])
            print(f"  {label:58s} {s / mp:6.2f}  x{base / s:7.2f}  {diff:3d}/255   (runs: {runs})")


if __name__ == "__main__":
    main()
