"""A batch through a local Ray cluster against the same batch in one process, on this machine's cores.

The cluster is started first, as an existing cluster would be (``ray start --head`` on this machine with
its CPUs, its time reported apart); then ``scientist restore DIR --out-dir ...`` runs in a fresh process
without and with ``--cluster``, interleaved over ``--repeats``, each timed end to end (for the cluster:
connecting, starting a worker per CPU, each loading the model).  The outputs of both are compared byte for
byte.  Throughput ratio: photos per second through the cluster / in one process (target: >= 0.9).

Needs ``pip install -e '.[cluster]'``.

    python benchmarks/bench_cluster.py [--photos 100] [--size 320x240] [--repeats 2] [--cpus 2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_batch import cpu_name, make_photos, timed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_head(cpus: int, work: Path, env: dict) -> tuple[subprocess.Popen, str, float]:
    """``ray start --head --block`` as a child of this process (ended by SIGTERM, which stops what it started):
    its address and how long it took to start."""
    port = free_port()
    log = work / "head.log"
    start = time.perf_counter()
    head = subprocess.Popen([shutil.which("ray") or "ray", "start", "--head", f"--num-cpus={cpus}", "--num-gpus=0",
                             f"--port={port}", "--include-dashboard=false", "--disable-usage-stats", "--block"],
                            stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)
    try:
        while not (found := re.search(r"ray start --address='([^']+)'", log.read_text())):
            if head.poll() is not None or time.perf_counter() - start > 120:
                raise SystemExit(f"the Ray head did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        address = found.group(1)
        probe = f"import ray; ray.init(address={address!r}, logging_level='ERROR'); ray.shutdown()"
        while subprocess.run([sys.executable, "-c", probe], capture_output=True, env=env).returncode != 0:
            if head.poll() is not None or time.perf_counter() - start > 120:
                raise SystemExit(f"the Ray head does not answer:\n{log.read_text()[-2000:]}")
            time.sleep(1)
    except BaseException:
        stop_head(head, None)
        raise
    return head, address, time.perf_counter() - start


def stop_head(head: subprocess.Popen, address: str | None) -> None:
    """End the head, and the note `ray start` left of it for later ``ray.init()`` calls on this machine."""
    head.send_signal(signal.SIGTERM)
    head.wait(60)
    note = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
    if address is not None and note.is_file() and note.read_text().strip() == address:
        note.unlink()


def compare(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """The restored images and the comparisons of two output folders: (identical, differing, largest difference
    of a pixel channel in 8 bits) for each kind."""
    import numpy as np
    from PIL import Image

    found = {"restored": [0, 0, 0], "compare": [0, 0, 0]}
    for p in sorted(a.rglob("*.png")):
        kind = found["compare" if p.stem.endswith("_compare") else "restored"]
        q = b / p.relative_to(a)
        if hashlib.sha256(p.read_bytes()).digest() == hashlib.sha256(q.read_bytes()).digest():
            kind[0] += 1
            continue
        kind[1] += 1
        x, y = (np.asarray(Image.open(f).convert("RGB"), np.int16) for f in (p, q))
        kind[2] = max(kind[2], int(np.abs(x - y).max()) if x.shape == y.shape else 255)
    return {k: tuple(v) for k, v in found.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=100)
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    w, h = map(int, args.size.lower().split("x"))
    exe = shutil.which("scientist") or sys.exit("the `scientist` command is not installed")
    work = Path(tempfile.mkdtemp(prefix="scientist-bench-cluster-"))
    # `ray start` turns on Ray's token authentication: its clients send the token it saved (~/.ray/auth_token)
    env = dict(os.environ, SCIENTIST_CACHE=str(work / "cache"), RAY_AUTH_MODE="token")
    env.pop("RAY_ADDRESS", None)
    photos = make_photos(work / "photos", args.photos, w, h)
    print(f"{args.photos} photos of {w}x{h}; {cpu_name()}, {args.cpus} CPUs for the cluster; load average "
          f"{os.getloadavg()[0]:.2f} at the start")
    timed([exe, "restore", str(photos[0]), "--json", "--out", str(work / "warm.png")], env)  # speed probe, once
    head, address, started = start_head(args.cpus, work, env)
    print(f"Ray head started in {started:.1f} s at {address}")
    walls: dict[str, list[float]] = {"one process": [], "cluster": []}
    per_photo: dict[str, list[float]] = {"one process": [], "cluster": []}
    checks, driver = [], []
    try:
        for r in range(args.repeats):
            outs = {}
            for label, extra in (("one process", []), ("cluster", ["--cluster", address])):
                out = work / f"out-{label.replace(' ', '-')}-{r}"
                cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall, text = timed([exe, "restore", str(work / "photos"), "--out-dir", str(out), "--json", *extra],
                                   env)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if extra:  # the driver's own CPU time (the workers are the Ray node's processes, not its children)
                    driver.append(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime)
                items = json.loads(text)
                assert all(i["status"] == "restored" for i in items), [i for i in items if i["status"] != "restored"]
                walls[label].append(wall)
                per_photo[label].append(statistics.mean(i["demo"]["seconds"] for i in items))
                outs[label] = out
            checks.append(compare(outs["one process"], outs["cluster"]))
    finally:
        stop_head(head, address)
    print(f"\n{'':14} {'wall s':>8} {'photos/s':>9} {'s a photo (its stages)':>24}   runs (wall s)")
    rates = {}
    for label, values in walls.items():
        t = statistics.median(values)
        rates[label] = args.photos / t
        print(f"{label:14} {t:8.1f} {rates[label]:9.2f} {statistics.median(per_photo[label]):24.2f}   "
              f"{', '.join(f'{v:.1f}' for v in values)}")
    print(f"\nthroughput ratio cluster / one process: {rates['cluster'] / rates['one process']:.3f}")
    start_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import ray, scientist.core, scientist.restore.cluster, torch"], env=env,
                   check=True)
    end_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    imports = end_cpu.ru_utime + end_cpu.ru_stime - start_cpu.ru_utime - start_cpu.ru_stime
    print(f"driver (the cluster run's own process): {statistics.median(driver):.1f} CPU s, of which its imports "
          f"take about {imports:.1f} s: {(statistics.median(driver) - imports) / args.photos * 1000:.0f} ms a photo")
    for kind, (same, differ, worst) in checks[-1].items():
        print(f"{kind} images: {same} identical, {differ} differ (largest difference {worst}/255)")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
