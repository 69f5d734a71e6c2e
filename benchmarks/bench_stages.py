"""What a photo costs outside the network: each stage of the pipeline timed alone, and the bytes it reads and writes.

On a GPU the network is the short part (the issue measured 0.032 s warm at 720p on an H200); reading, the
brightness step, the noise figures, the comparison and PNG writing run on the CPU.  These are the figures a plan
for many GPUs rests on: CPU seconds per photo around the network, and bytes through shared storage per photo.

Each stage is timed ``--repeats`` times on one core's worth of work (the stages are single-threaded NumPy,
Pillow, OpenCV and zlib), median reported.  ``--network`` also runs the network here (on this CPU); without it the
save stage writes the brightened photo in its place (PNG sizes of a restored photo are then an upper bound: noise
compresses worse than the network's output).

    python benchmarks/bench_stages.py [--sizes 1280x720 4000x3000] [--repeats 3] [--network]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench_mimo import cpu_name


def timed(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["1280x720", "4000x3000"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--network", action="store_true", help="run the network too (on this CPU: slow at 12 MP)")
    args = ap.parse_args()
    from photos import save_degraded

    from scientist.restore.degrade import STRENGTHS
    from scientist.restore.outputs import reserve_outputs
    from scientist.restore.stages import Photo, Restored, Restorer, expose, load, save
    from scientist.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="scientist-bench-stages-"))
    print(f"{cpu_name()}; medians of {args.repeats}; seconds of one core's work unless said")
    ready = ("import time; t = time.perf_counter(); import torch; from scientist.restore.stages import Restorer; "
             "from scientist.settings import load_settings; r = Restorer(load_settings()); r.warm_up(); "
             "print(time.perf_counter() - t)")
    starts = [float(subprocess.run([sys.executable, "-c", ready], capture_output=True, text=True, check=True).stdout)
              for _ in range(args.repeats)]
    print(f"a worker ready (fresh process: import torch, load the weights, build the runner): "
          f"{statistics.median(starts):.2f} s")
    restorer = Restorer(load_settings()) if args.network else None
    print(f"\n{'photo':10} {'read':>6} {'load':>6} {'expose':>7} {'network':>8} {'save':>6} {'CPU total':>10}  "
          f"{'read MB':>8} {'written MB':>10}")
    for size in args.sizes:
        w, h = map(int, size.lower().split("x"))
        path = work / f"IMG_{size}.jpg"
        save_degraded(path, w, h, STRENGTHS["medium"], 92)
        t_read, photo = timed(lambda p=path: Photo.read(p), args.repeats)
        t_load, loaded = timed(lambda p=photo: load(p), args.repeats)
        t_expose, exposed = timed(lambda x=loaded: expose(x), args.repeats)
        if restorer is not None:
            t_net, restored = timed(lambda x=exposed: restorer.restore(x), 1)
        else:
            t_net, restored = float("nan"), Restored(**{**exposed.__dict__, "img": exposed.img.copy()})

        def saving(r=restored, p=path):
            with reserve_outputs(p, None, work, True) as targets:
                return save(replace(r, img=r.img.copy()), targets, strength=1.0, fmt="png", quality=92)

        t_save, saved = timed(saving, args.repeats)
        written = (saved.output.stat().st_size + saved.comparison.stat().st_size) / 1e6
        cpu = t_read + t_load + t_expose + t_save
        print(f"{size:10} {t_read:6.2f} {t_load:6.2f} {t_expose:7.2f} {t_net:8.2f} {t_save:6.2f} {cpu:10.2f}  "
              f"{path.stat().st_size / 1e6:8.2f} {written:10.2f}")


if __name__ == "__main__":
    main()
