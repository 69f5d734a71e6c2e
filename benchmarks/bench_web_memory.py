"""Peak memory of `scientist serve` when three photo uploads arrive at once.

Starts the real server (its own process, on 127.0.0.1, the cache given by SCIENTIST_CACHE), waits for
its warm-up, and posts three uploads at the same moment from three threads:

- ``huge``: three 10,900x10,900 JPEGs of 630 bytes each (the decoder would fill in grey pixels), as an
  attacker would send them;
- ``accepted``: three photos of ``--side`` x ``--side`` * 3/4 (default 4000x3000, 12 MP) that the
  memory budget accepts: checked within the budget, then restored one after the other by the
  network; the run waits for the first restore to finish (``--wait`` seconds at most).

Prints each upload's answer and time, and the server's peak resident memory (Linux's VmHWM) against
its resident memory once warm (the baseline of the same run) and against the 4 GB target.

    python benchmarks/bench_web_memory.py [--scenario huge accepted] [--side 4000] [--wait 900]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.helpers import jpeg_declaring  # noqa: E402 - the hostile JPEG the tests send too


def status(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def photo(w: int, h: int) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    small = (rng.random((h // 8, w // 8, 3)) * 70).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(small).resize((w, h)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def post(url: str, name: str, data: bytes) -> tuple[int, dict, float]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url + "/api/restore", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, json.loads(r.read()), time.perf_counter() - start
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), time.perf_counter() - start


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


def run(scenario: str, side: int, wait: float) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "scientist", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                urllib.request.urlopen(url + "/", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        ask = urllib.request.Request(url + "/api/ask", data=b'{"question": "how does it reduce noise?"}',
                                     headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(ask, timeout=600).read()  # answered once the warm-up has loaded everything
        idle = status(server.pid, "VmRSS")
        with open(f"/proc/{server.pid}/clear_refs", "w") as f:
            f.write("5")  # peak := now
        if scenario == "huge":
            data, label = jpeg_declaring(10_900, 10_900), "10900x10900 (630-byte JPEG)"
        else:
            data, label = photo(side, side * 3 // 4), f"{side}x{side * 3 // 4}"
        results: list = [None] * 3
        barrier = threading.Barrier(3)

        def upload(i: int) -> None:
            barrier.wait()
            results[i] = post(url, f"photo{i}.jpg", data)

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(3)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        answered = time.perf_counter() - start
        print(f"{scenario}: three {label} uploads at once, all answered in {answered:.2f} s")
        for code, body, seconds in results:
            print(f"  {code} in {seconds:.2f} s: {body.get('detail') or body.get('state')}")
        accepted = [body["id"] for code, body, _ in results if code == 202]
        if accepted:
            deadline = time.time() + wait
            while time.time() < deadline:
                states = [get(f"{url}/api/jobs/{job}")["state"] for job in accepted]
                if states[0] in ("done", "failed") or all(s in ("done", "failed") for s in states):
                    break
                time.sleep(2)
            print(f"  after {time.perf_counter() - start:.0f} s: jobs {states}")
        peak = status(server.pid, "VmHWM")
        print(f"  server resident memory: idle {idle / 2**30:.2f} GB, peak {peak / 2**30:.2f} GB "
              f"(x{peak / idle:.2f} the idle server); target < 4 GB in all: {'met' if peak < 4 * 2**30 else 'NOT met'}")
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", nargs="+", default=["huge", "accepted"], choices=["huge", "accepted"])
    ap.add_argument("--side", type=int, default=4000)
    ap.add_argument("--wait", type=float, default=900)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; cache {os.environ.get('SCIENTIST_CACHE', '(default)')}")
    for scenario in args.scenario:
        run(scenario, args.side, args.wait)


if __name__ == "__main__":
    main()
