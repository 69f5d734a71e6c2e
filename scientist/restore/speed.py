"""How long the network will take: measured on this machine and remembered for the next estimate.

The first long run on a machine times a 256 x 256 probe; every run of at least
0.2 megapixels stores its measured speed (seconds per megapixel of tiles) in
``speed.json`` in the cache folder, keyed by variant, back end, device and threads.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import torch

from ..fileio import write_atomic
from .tiles import tile_input

__all__ = ["SECONDS_PER_MP", "known_speed", "prior_seconds", "probe_speed", "remember_speed", "speed_key"]

#: Prior CPU cost per megapixel of tiles, used only to decide whether to probe and show progress
#: before the speed on this machine is known (2 cores, fp32 onnxruntime; see benchmarks/bench_mimo.py).
SECONDS_PER_MP = {"MIMO-UNet": 28.0, "MIMO-UNet+": 66.0}
#: The same cost relative to fp32, by precision (bfloat16 on a CPU that has it: measured 0.5-0.65).
PRECISION_FACTOR = {"bf16": 0.6}
SPEED_FILE = "speed.json"
_THREADS = threading.Lock()


def prior_seconds(variant: str, work_mp: float, device: torch.device, precision: str = "fp32") -> float:
    """A rough guess of the network's time before anything was measured."""
    factor = 0.05 if device.type == "cuda" else PRECISION_FACTOR.get(precision, 1.0)
    return work_mp * SECONDS_PER_MP.get(variant, 60.0) * factor


def speed_key(variant: str, runner, device: torch.device) -> str:
    """The path a speed belongs to: variant, back end and precision (the runner's name), device, threads."""
    return f"{variant}|{runner.name}|{device.type}|{torch.get_num_threads()} threads"


def _speeds(cache: Path) -> dict:
    """The speeds remembered in the cache; an unreadable or damaged file counts as none."""
    try:
        data = json.loads((cache / SPEED_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def known_speed(cache: Path, key: str) -> float | None:
    """Seconds per megapixel of tiles measured by earlier runs on this machine, if any."""
    value = _speeds(cache).get(key)
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def remember_speed(cache: Path, key: str, seconds_per_mp: float) -> None:
    """Store a measured speed.  The file is read, changed and written under a lock (threads of this process and
    other processes sharing the cache, such as a cluster's workers), so that no speed overwrites another."""
    from filelock import FileLock, Timeout

    try:
        cache.mkdir(parents=True, exist_ok=True)
        with _THREADS, FileLock(str(cache / f"{SPEED_FILE}.lock"), timeout=10):
            data = _speeds(cache)
            data[key] = round(seconds_per_mp, 3)
            write_atomic(cache / SPEED_FILE, json.dumps(data, indent=1, sort_keys=True).encode())
    except (OSError, Timeout):
        pass  # an estimate is a courtesy; never fail a restore over it


def probe_speed(runner, img: np.ndarray, multiple: int) -> float:
    """Seconds per megapixel on a 256 x 256 crop of the photo, timed on a second run: the first warms
    the back end up (oneDNN prepares its bfloat16 kernels on first use, which alone takes as long as a run)."""
    x = tile_input(img[:256, :256], multiple)
    runner(x)
    start = time.perf_counter()
    runner(x)
    return (time.perf_counter() - start) / (x.shape[2] * x.shape[3] / 1e6)
