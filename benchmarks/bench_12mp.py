"""Peak memory and the honesty of the time estimate on a 12-megapixel photo (4000x3000).

Builds a dim, noisy 12 MP JPEG from scikit-learn's china.jpg, then runs
`scientist restore PHOTO --json` in a fresh process under `/usr/bin/time -v`
with an empty cache (so the estimate comes from this machine's speed, as a
first-time user gets it).  Prints the peak resident memory against the 2 GB
target and the network's real time against the estimate shown before it ran, once per
``--precision`` asked for (each path plans its own tiles from its own memory per pixel).

    python benchmarks/bench_12mp.py [--precision auto fp32 bf16] [--weights FILE] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def make_photo(path: Path, w: int = 4000, h: int = 3000) -> None:
    from photos import save_degraded

    from scientist.restore.degrade import DegradeParams

    save_degraded(path, w, h, DegradeParams(0.2, 2e-3, 4e-3, 0.0, 0.0, 101), 90)


def run_one(photo: Path, work: Path, precision: str, weights: str | None) -> None:
    cache = tempfile.mkdtemp(prefix="scientist-cache-")
    env = dict(os.environ, SCIENTIST_CACHE=cache)
    exe = shutil.which("scientist") or "scientist"
    cmd = ["/usr/bin/time", "-v", exe, "restore", str(photo), "--json", "--overwrite",
           "--precision", precision, "--out", str(work / "IMG_12MP_restored.png")]
    if weights:
        cmd += ["--weights", weights]
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    shutil.rmtree(cache, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"restore failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    demo = json.loads(proc.stdout)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    rss_gb = rss_kb * 1024 / 1e9
    ratio = demo["model_seconds"] / demo["estimated_seconds"]
    print(f"--precision {precision}: photo {demo['size'][0]}x{demo['size'][1]}, {demo['variant']} via "
          f"{demo['backend']} {demo.get('precision', '?')}, {demo['tiles']} tiles")
    print(f"  peak RSS:     {rss_gb:.2f} GB ({rss_kb} kB)   target <= 2 GB: {'met' if rss_gb <= 2 else 'NOT met'}")
    print(f"  network time: {demo['model_seconds']:.1f} s ({demo['model_seconds'] / 12:.1f} s/MP)")
    print(f"  estimated up front: {demo['estimated_seconds']:.1f} s   real/estimate {ratio:.2f}   "
          f"within +-30%: {'yes' if 0.7 <= ratio <= 1.3 else 'NO'}")
    print(f"  whole command:  {wall:.1f} s wall (demo {demo['seconds']:.1f} s)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", help="weights file (default: the bundled MIMO-UNet)")
    ap.add_argument("--keep", help="keep the photo and outputs in this folder")
    ap.add_argument("--precision", nargs="+", default=["auto"], choices=["auto", "fp32", "bf16", "fp16"],
                    help="the paths to measure, one fresh process each (default: auto)")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="scientist-12mp-"))
    work.mkdir(parents=True, exist_ok=True)
    photo = work / "IMG_12MP.jpg"
    if not photo.is_file():
        make_photo(photo)
    for precision in args.precision:
        run_one(photo, work, precision, args.weights)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
