"""Memory per pixel of reading and of restoring a photo: the figures behind scientist/restore/memory.py.

Each measurement runs in a fresh process: the photo is made, the imports are done, the peak
resident memory (Linux's VmHWM) is reset to the resident memory (``/proc/self/clear_refs``), and
its rise over the call is what the call itself took.  Two sizes give a
slope (bytes per pixel) and an intercept; the constants in memory.py must lie above the slope,
and the restore's intercept must stay under the tile budget it is modelled with.  The baseline
is what ``read_photo`` did before the band-by-band conversion: Pillow's pixels and two float copies.

    python benchmarks/bench_photo_memory.py [--sizes 1000x750 2000x1500] [--restore]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys, tempfile
from pathlib import Path
import numpy as np
from PIL import Image

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

kind, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
folder = Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)
if kind == "read16":  # a 16-bit colour PNG, which OpenCV decodes
    import cv2
    photo = folder / "photo.png"
    cv2.imwrite(str(photo), rng.integers(0, 20000, (h, w, 3), dtype=np.uint16))
elif kind == "read32":  # a floating-point grey TIFF, which Pillow decodes at 4 bytes a pixel
    photo = folder / "photo.tif"
    Image.fromarray((rng.random((h, w)) * 0.3).astype(np.float32), mode="F").save(photo)
else:
    photo = folder / "photo.jpg"
    Image.fromarray((rng.random((h, w, 3)) * 80).astype(np.uint8)).save(photo, quality=90)
from scientist.restore.photo import read_photo
if kind == "restore":
    from scientist.restore.run import run_demo
def reset():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    return status("VmRSS")

if kind == "baseline":
    with Image.open(photo) as im:
        before = reset()
        im.load()
        arr = np.asarray(im, dtype=np.float32) / 255.0
else:
    before = reset()
    if kind in ("read", "read16", "read32"):
        arr, _ = read_photo(photo)
    else:
        run_demo(photo, out_dir=folder)
print(json.dumps({"rise": status("VmHWM") - before}))
"""


def measure(kind: str, w: int, h: int) -> int:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(w), str(h)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["rise"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs=2, default=["2000x1500", "4000x3000"])
    ap.add_argument("--restore", action="store_true", help="also measure a whole restore (minutes on a CPU)")
    args = ap.parse_args()
    from scientist.restore import memory

    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes]
    kinds = ["baseline", "read", "read16", "read32"] + (["restore"] if args.restore else [])
    for kind in kinds:
        rises = [measure(kind, w, h) for w, h in sizes]
        (w0, h0), (w1, h1) = sizes
        slope = (rises[1] - rises[0]) / (w1 * h1 - w0 * h0)
        intercept = rises[0] - slope * w0 * h0
        print(f"{kind:8s}: " + ", ".join(f"{w}x{h} +{r / 2**20:.0f} MiB ({r / (w * h):.1f} B/px)"
                                          for (w, h), r in zip(sizes, rises, strict=True))
              + f"; slope {slope:.1f} B/px, intercept {intercept / 2**20:.0f} MiB")
    print(f"memory.py: read {memory.DECODE_BYTES_PER_PIXEL} B/px (16-bit: {memory.DEEP_DECODE_BYTES_PER_PIXEL}), "
          f"restore {memory.RESTORE_BYTES_PER_PIXEL} B/px + the tile budget")


if __name__ == "__main__":
    main()
