"""Cold and warm `ask` latency, against a naive baseline measured in the same run.

Cold: median wall time of N fresh `ask` processes (index and ONNX export already in the cache).
Baseline: N fresh processes that import sentence-transformers and embed the question.
Warm: p50 of `Scientist.ask()` after the first call, in one process.

    python benchmarks/bench_ask.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

QUESTION = ("I took some grainy indoor photos on an old phone, and the AI made them look bright and clean. "
            "How does it reduce noise so well without losing detail?")
BASELINE = f"""
import os
os.environ["HF_HUB_OFFLINE"] = "1"
from sentence_transformers import SentenceTransformer
from scientist.embed import model_dir
SentenceTransformer(str(model_dir()), device="cpu").encode([{QUESTION!r}])
"""


def timed(cmd, env) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warm-calls", type=int, default=50)
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="scientist-bench-")
    env = dict(os.environ, SCIENTIST_CACHE=cache, HF_HUB_OFFLINE="1")
    ask = shutil.which("ask") or sys.exit("the `ask` command is not installed")
    subprocess.run([ask, QUESTION], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cold = [timed([ask, QUESTION], env) for _ in range(args.runs)]
    base = [timed([sys.executable, "-c", BASELINE], env) for _ in range(args.runs)]

    os.environ["SCIENTIST_CACHE"] = cache
    from scientist import Scientist

    sci = Scientist()
    sci.ask(QUESTION)
    warm = []
    for i in range(args.warm_calls):
        t = time.perf_counter()
        sci.ask(QUESTION if i % 2 else "how does it reduce noise?")
        warm.append(time.perf_counter() - t)
    shutil.rmtree(cache, ignore_errors=True)

    cold_med, base_med = statistics.median(cold), statistics.median(base)
    def runs(xs):
        return ", ".join(f"{x:.2f}" for x in xs)

    print(f"cold ask (median of {args.runs}):              {cold_med:.3f} s   runs: {runs(cold)}")
    print(f"baseline import+embed (median of {args.runs}): {base_med:.3f} s   runs: {runs(base)}")
    print(f"ratio cold/baseline:                  {cold_med / base_med:.3f}")
    print(f"warm Scientist.ask() p50 over {args.warm_calls}:  {1000 * statistics.median(warm):.1f} ms"
          f"  (p90 {1000 * sorted(warm)[int(0.9 * len(warm))]:.1f} ms)")


if __name__ == "__main__":
    main()
