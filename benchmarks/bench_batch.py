"""A photo's time in a batch against one photo on its own, and one photo at a time against two in threads.

Every run is a fresh ``scientist restore`` process, timed end to end, runs interleaved over ``--repeats``:

- baseline: ``scientist restore PHOTO`` -- one photo, as a new user runs it (start-up, imports, model, photo);
- ``scientist restore DIR`` over ``--photos`` photos with ``batch_threads`` 1 (one photo after another, the
  network on every core) and 2 (two photos in flight: on a CPU their networks side by side, one core's threads
  each), as wall time per photo, with the network's own seconds and the CPU seconds (user + system) per photo.

The photos: the benchmarks' degraded ``china.jpg`` at ``--size`` (default 1280x720), the three noise strengths
in turn.  The cache is warmed by one untimed run.

    python benchmarks/bench_batch.py [--photos 8] [--size 1280x720] [--repeats 2] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench_mimo import cpu_name
from bench_restore import timed


def make_photos(folder: Path, n: int, w: int, h: int) -> list[Path]:
    import numpy as np
    from photos import china
    from PIL import Image

    from scientist.restore.degrade import STRENGTHS, degrade
    from scientist.restore.save import to_u8

    folder.mkdir(parents=True)
    clean = china(w, h)
    params = list(STRENGTHS.values())
    paths = []
    for i in range(n):
        path = folder / f"IMG_{i:04d}.jpg"
        Image.fromarray(to_u8(degrade(clean, params[i % len(params)], np.random.default_rng(i)))).save(path, quality=92)
        paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU time (user + system) of this process's finished children so far."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    w, h = map(int, args.size.lower().split("x"))
    exe = shutil.which("scientist") or sys.exit("the `scientist` command is not installed")
    work = Path(tempfile.mkdtemp(prefix="scientist-bench-batch-"))
    env = dict(os.environ, SCIENTIST_CACHE=str(work / "cache"))
    photos = make_photos(work / "photos", args.photos, w, h)
    print(f"{args.photos} photos of {w}x{h}; {cpu_name()}, {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.2f} at the start")
    one = [exe, "restore", str(photos[0]), "--json", "--overwrite", "--out", str(work / "one.png")]
    timed(one, env)  # warm the cache: ONNX export or speed probe, once per machine
    times: dict[str, list[float]] = {"one photo": []}
    seconds: dict[str, list[float]] = {"one photo": []}
    cpu: dict[str, list[float]] = {"one photo": []}
    for t in args.threads:
        times[f"batch, {t} thread{'s' if t > 1 else ''}"] = []
    for r in range(args.repeats):
        before = cpu_seconds()
        wall, out = timed(one, env)
        cpu["one photo"].append(cpu_seconds() - before)
        times["one photo"].append(wall)
        seconds["one photo"].append(json.loads(out)["model_seconds"])
        for t in args.threads:
            label = f"batch, {t} thread{'s' if t > 1 else ''}"
            out_dir = work / f"out-{t}-{r}"
            before = cpu_seconds()
            wall, out = timed([exe, "restore", str(work / "photos"), "--out-dir", str(out_dir), "--json"],
                              dict(env, SCIENTIST_BATCH_THREADS=str(t)))
            items = json.loads(out)
            cpu.setdefault(label, []).append((cpu_seconds() - before) / len(items))
            assert all(i["status"] == "restored" for i in items), items
            times[label].append(wall / len(items))
            seconds.setdefault(label, []).append(statistics.mean(i["demo"]["model_seconds"] for i in items))
    base = statistics.median(times["one photo"])
    print(f"\n{'':28} {'s per photo':>12} {'x one photo':>12} {'network s':>10} {'CPU s':>7}   runs")
    for label, values in times.items():
        t = statistics.median(values)
        print(f"{label:28} {t:12.2f} {base / t:12.2f} {statistics.median(seconds[label]):10.2f} "
              f"{statistics.median(cpu[label]):7.2f}   {', '.join(f'{v:.2f}' for v in values)}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
