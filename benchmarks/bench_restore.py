"""The whole `scientist restore` of a 1280x720 photo against the official way to run the network, side by side.

Both are fresh processes, timed end to end, same weights, same photo, interleaved over ``--repeats``:

- baseline: a script that loads the weights into the network, reads the photo, runs one eager fp32
  PyTorch forward of the whole frame and saves the result (how the official code runs it);
- ours: ``scientist restore PHOTO`` with everything it does (brightness step, noise figures, tiles,
  the comparison picture), with ``--precision auto`` (and, for comparison, ``--precision fp32``).
  The cache is warmed by one untimed run first (an ONNX export and a speed probe happen once per machine).

MIMO-UNet runs the bundled weights; MIMO-UNet+ random weights saved to a temporary file.

    python benchmarks/bench_restore.py [--repeats 3] [--variants MIMO-UNet MIMO-UNet+]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import sys
import numpy as np
import torch
from PIL import Image
from scientist.restore.mimo_unet import detect_variant
from scientist.restore.weights import load_state_dict
sd = load_state_dict(sys.argv[1])
model = detect_variant(sd).cls()
model.load_state_dict({k: v.float() for k, v in sd.items()})
model.eval()
img = np.asarray(Image.open(sys.argv[2]).convert("RGB"), np.float32) / 255
with torch.no_grad():
    out = model(torch.from_numpy(img).permute(2, 0, 1)[None])[-1].clamp(0, 1)
Image.fromarray((out[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(sys.argv[3])
"""


def make_photo(path: Path) -> None:
    from photos import save_degraded

    from scientist.restore.degrade import STRENGTHS

    save_degraded(path, 1280, 720, STRENGTHS["medium"], 92)


def timed(cmd: list[str], env: dict) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", nargs="+", default=["MIMO-UNet", "MIMO-UNet+"])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import torch

    from scientist.restore.mimo_unet import VARIANTS
    from scientist.restore.weights import bundled_weights

    work = Path(tempfile.mkdtemp(prefix="scientist-bench-"))
    env = dict(os.environ, SCIENTIST_CACHE=str(work / "cache"))
    exe = shutil.which("scientist") or sys.exit("the `scientist` command is not installed")
    photo = work / "IMG_720p.jpg"
    make_photo(photo)
    print(f"{photo.name}: 1280x720; torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name in args.variants:
        if name == "MIMO-UNet":
            weights = bundled_weights()
        else:
            weights = work / "plus.pth"
            torch.save({"model": VARIANTS[name].cls().state_dict()}, weights)
        runs = {
            "baseline: load + eager fp32 forward + save": [sys.executable, "-c", BASELINE, str(weights), str(photo),
                                                          str(work / "base.png")],
            "scientist restore --precision auto": [exe, "restore", str(photo), "--weights", str(weights), "--json",
                                                   "--overwrite", "--out", str(work / "auto.png")],
            "scientist restore --precision fp32": [exe, "restore", str(photo), "--weights", str(weights), "--json",
                                                   "--overwrite", "--out", str(work / "fp32.png"),
                                                   "--precision", "fp32"],
        }
        for label, cmd in runs.items():  # warm the cache: ONNX export, speed probe
            if label.startswith("scientist"):
                timed(cmd, env)
        times = {label: [] for label in runs}
        demos = {}
        for _ in range(args.repeats):
            for label, cmd in runs.items():
                seconds, out = timed(cmd, env)
                times[label].append(seconds)
                if out.strip():
                    demos[label] = json.loads(out)
        base = statistics.median(times[next(iter(runs))])
        print(f"\n{name} ({'bundled weights' if name == 'MIMO-UNet' else 'random weights'})")
        for label in runs:
            t = statistics.median(times[label])
            d = demos.get(label)
            path = f"  [{d['backend']}, {d['precision']}, {d['tiles']} tiles, network {d['model_seconds']:.1f} s]" \
                if d else ""
            print(f"  {label:45s} {t:6.1f} s  x{base / t:5.2f}{path}   (runs: "
                  f"{', '.join(f'{x:.1f}' for x in times[label])})")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
