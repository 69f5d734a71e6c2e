"""MIMO-UNet CPU throughput: the pipeline's back ends against a plain eager full-frame forward.

For each variant, on a 1280x720 photo, all in one run:

- baseline: one eager PyTorch forward of the whole frame (after a small warm-up);
- onnxruntime on the untiled frame, with the largest difference to the eager output;
- the demo's pipeline as it runs by default (tiles planned under the memory budget,
  onnxruntime), and the same plan with PyTorch in channels-last layout and eager;
- optionally square tiles of the given sides (``--tiles``).

It also prints what bounds any implementation on this machine: the network's
arithmetic (counted from its convolutions), the machine's dense fp32 matrix-product
rate (a 2048^3 product, the best case for convolution kernels), and from them the
least time per megapixel and the largest possible speed-up over the baseline for
a direct (non-Winograd, fp32) convolution of this network.

    python benchmarks/bench_mimo.py [--variants MIMO-UNet MIMO-UNet+] [--repeats 1] [--tiles 256 512]
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

from scientist.restore.blend import restore_array
from scientist.restore.mimo_unet import VARIANTS
from scientist.restore.runners import Runner, make_runner
from scientist.restore.tiles import DEFAULT_MEMORY_MB, plan_tiles, tile_pixels_for
from scientist.restore.weights import load_model


def photo(w: int = 1280, h: int = 720) -> np.ndarray:
    from PIL import Image
    from sklearn.datasets import load_sample_image

    img = Image.fromarray(load_sample_image("china.jpg")).resize((w, h), Image.Resampling.BICUBIC)
    return np.asarray(img, np.float32) / 255


def seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def gflop_per_mp(model: torch.nn.Module) -> float:
    """Multiply-adds of every convolution (x2), per megapixel of input."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1]
        if isinstance(mod, torch.nn.ConvTranspose2d):
            total += inp[0][0].numel() * mod.out_channels * k // mod.groups
        else:
            total += out[0].numel() * mod.in_channels // mod.groups * k

    hooks = [m.register_forward_hook(hook) for m in model.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    with torch.inference_mode():
        model(torch.rand(1, 3, 256, 256))
    for h in hooks:
        h.remove()
    return 2 * total / 1e9 / (256 * 256 / 1e6)


def gemm_gflops() -> float:
    a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
    a @ b
    t = seconds(lambda: a @ b, 5)
    return 2 * 2048**3 / t / 1e9


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--tiles", nargs="*", type=int, default=[])
    args = ap.parse_args()
    img = photo()
    h, w, _ = img.shape
    mp = h * w / 1e6
    x = torch.from_numpy(img).permute(2, 0, 1)[None].contiguous()
    cpu = torch.device("cpu")
    peak = gemm_gflops()
    print(f"{cpu_name()}, torch {torch.__version__}, {torch.get_num_threads()} threads; image {w}x{h} ({mp:.2f} MP)")
    print(f"fp32 matrix product (2048^3): {peak:.0f} GFLOP/s")
    for name in args.variants:
        variant = VARIANTS[name]
        model = load_model().model if name == "MIMO-UNet" else variant.cls().eval()
        work = gflop_per_mp(model)
        with torch.inference_mode():
            model(x[..., :64, :64])  # warm-up
            base = seconds(lambda m=model: m(x), args.repeats)
            eager_full = model(x)[-1].numpy()
        floor = work / peak
        print(f"\n{name}: {work:.0f} GFLOP per MP; at {peak:.0f} GFLOP/s no direct fp32 convolution can beat "
              f"{floor:.1f} s/MP, i.e. x{base / mp / floor:.2f} over the baseline")
        print(f"  {'baseline: eager PyTorch, full frame':52s} {base / mp:6.2f} s/MP  ({work * mp / base:.0f} GFLOP/s)")
        rows = []
        with tempfile.TemporaryDirectory() as cache:
            onnx = make_runner(model, cpu, "onnx", cache=Path(cache))
            onnx(x[..., :64, :64].numpy())  # warm-up
            s = seconds(lambda r=onnx: r(x.numpy()), args.repeats)
            diff = float(np.abs(onnx(x.numpy()) - eager_full).max())
            rows.append(("onnxruntime, untiled frame", s))
            plan = plan_tiles(h, w, max_pixels=tile_pixels_for(name, DEFAULT_MEMORY_MB))
            runners = {"onnxruntime": onnx, "torch channels-last": make_runner(model, cpu, "torch"),
                       "torch eager": Runner(model, cpu)}
            for rname, runner in runners.items():
                s = seconds(lambda m=model, r=runner, p=plan: restore_array(m, img, plan=p, runner=r), args.repeats)
                rows.append((f"pipeline, {rname}, {plan.count} tiles of {plan.tile_h}x{plan.tile_w}", s))
            for tile in args.tiles:
                p = plan_tiles(h, w, tile)
                s = seconds(lambda m=model, r=onnx, p=p: restore_array(m, img, plan=p, runner=r), args.repeats)
                rows.append((f"onnxruntime, {p.count} square tiles of {tile}", s))
        for label, s in rows:
            print(f"  {label:52s} {s / mp:6.2f} s/MP  x{base / s:.2f}")
        print(f"  onnxruntime vs eager on the untiled frame: max |diff| = {diff:.1e}")
        print(f"  the pipeline's default plan computes {plan.pixels / (h * w):.3f}x the photo's pixels "
              f"(overlaps and padding)")


if __name__ == "__main__":
    main()
