"""MIMO-UNet CPU throughput: the pipeline's back ends against a plain eager full-frame forward.

For each variant, on a 1280x720 photo: the baseline is one eager PyTorch forward of the whole
frame; the candidates are the tiled pipeline with each back end and tile size.  Prints seconds
per megapixel, the speed-up over the baseline measured in the same run, and the largest
difference between the ONNX and eager outputs on the untiled frame.

    python benchmarks/bench_mimo.py [--variants MIMO-UNet MIMO-UNet+] [--repeats 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from scientist.restore.fast import Runner, make_runner
from scientist.restore.mimo_unet import VARIANTS, MIMOUNet
from scientist.restore.pipeline import plan_tiles, restore_array
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--tiles", nargs="+", type=int, default=[256, 384, 512])
    args = ap.parse_args()
    img = photo()
    mp = img.shape[0] * img.shape[1] / 1e6
    x = torch.from_numpy(img).permute(2, 0, 1)[None].contiguous()
    cpu = torch.device("cpu")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, image 1280x720 ({mp:.2f} MP)")
    for name in args.variants:
        variant = VARIANTS[name]
        model = load_model().model if name == "MIMO-UNet" else variant.cls().eval()
        stages = MIMOUNet.STAGES
        with torch.inference_mode():
            model(x[..., :64, :64])  # warm-up
            base = seconds(lambda m=model: m(x), args.repeats)
            eager_full = model(x)[-1].numpy()
        print(f"\n{name}: baseline eager full frame {base / mp:6.2f} s/MP")
        with tempfile.TemporaryDirectory() as cache:
            onnx = make_runner(model, stages, cpu, "onnx", cache=Path(cache))
            diff = float(np.abs(onnx(x.numpy()) - eager_full).max())
            print(f"  onnxruntime vs eager, untiled frame: max |diff| = {diff:.2e}")
            runners = {"eager": Runner(model, stages, cpu), "channels-last": make_runner(model, stages, cpu, "torch"),
                       "onnxruntime": onnx}
            results = []
            for rname, runner in runners.items():
                for tile in args.tiles:
                    plan = plan_tiles(720, 1280, tile)
                    s = seconds(lambda m=model, r=runner, p=plan: restore_array(m, img, plan=p, runner=r),
                                args.repeats)
                    results.append((s, rname, tile, plan.count))
                    print(f"  {rname:14s} tile {tile:4d} ({plan.count:2d} tiles): {s / mp:6.2f} s/MP"
                          f"   speed-up x{base / s:.2f}")
            best = min(results)
            print(f"  best: {best[1]} tile {best[2]}: {best[0] / mp:.2f} s/MP, x{base / best[0]:.2f} over the baseline")


if __name__ == "__main__":
    main()
