"""Hostile input against the targets of the hostile-input work, each beside the old way measured in the same run.

- clean_question and verify on 1 MB one-word texts (target < 0.5 s), beside the old question pattern
  (a leading \\S* scanned from every position) on a 5,000-letter word;
- a 64,000-page TIFF read by read_photo (target < 1 s), beside counting its pages as the reader used to
  (Pillow's n_frames) on a quarter of the pages;
- a billion-laughs catalog given to `scientist ask --corpus` (target: refused in < 2 s), beside what its
  name field expands to once the aliases are followed (counted without building the text);
- a folder of two photos and a GIF broken in its second frame (target: the others restored, the GIF reported).

    python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bad_input.test_hostile import BILLION_LAUGHS  # noqa: E402
from tests.bad_input.test_hostile_photos import GIF_BROKEN_SECOND_FRAME  # noqa: E402
from tests.helpers import many_page_tiff, photo_array, to_u8  # noqa: E402

OLD_QUESTION_LINKS = re.compile(r"\S*(?:[a-z][a-z0-9+.-]{1,15}:/{0,2}|www\.)\S+", re.I)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def cpu_timed(fn, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): on a shared machine the second is the work itself."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def texts() -> None:
    from scientist.corpus import load_corpus
    from scientist.guard import clean_question, verify_text

    corpus = load_corpus(include_user=False)
    old = timed(OLD_QUESTION_LINKS.sub, "[link removed]", "a" * 5_000)
    print(f"old question pattern on a 5,000-letter word: {old:.2f} s (baseline)")
    worst = worst_cpu = 0.0
    words = {"1 MB of 'a'": "a" * 10**6, "1 MB of 'A'": "A" * 10**6, "AAbbb...b1": "AA" + "b" * 10**6 + "1",
             "A-A-...A-_": "A-" * 500_000 + "_", "a...a:": "a" * 10**6 + ":", "A-A-...A-:": "A-" * 500_000 + ":",
             "www.www...": "www." * 250_000}
    for label, word in words.items():
        (c, c_cpu), (v, v_cpu) = cpu_timed(clean_question, word), cpu_timed(verify_text, corpus, word)
        worst, worst_cpu = max(worst, c, v), max(worst_cpu, c_cpu, v_cpu)
        print(f"  {label:12s} clean_question {c:.3f} s ({c_cpu:.3f} s CPU), verify {v:.3f} s ({v_cpu:.3f} s CPU)")
    print(f"1 MB words: worst {worst:.3f} s wall, {worst_cpu:.3f} s CPU (target < 0.5 s: "
          f"{'met' if worst < 0.5 else 'NOT met'}); the old pattern on 5,000 letters took x{old / worst:.1f} that")


def tiff(folder: Path) -> None:
    from PIL import Image

    from scientist.restore.photo import read_photo

    path = many_page_tiff(folder / "pages.tif", 64_000)
    quarter = many_page_tiff(folder / "quarter.tif", 16_000)

    def count(p):
        with Image.open(p) as im:
            return im.n_frames

    old = timed(count, quarter)
    new = timed(read_photo, path)
    print(f"64,000-page TIFF ({path.stat().st_size / 1e6:.1f} MB): read in {new:.3f} s (target < 1 s: "
          f"{'met' if new < 1 else 'NOT met'}); counting the pages of 16,000 took {old:.2f} s "
          f"(baseline, x{old / new:.0f})")


def laughs(folder: Path) -> None:
    path = folder / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scientist", "ask", "how does it reduce noise?", "--corpus",
                           str(path)], capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "scientist", "--help"], capture_output=True, timeout=120)
    startup = time.perf_counter() - start
    expanded = 9 ** 7 * len("'lol', ")
    print(f"billion laughs ({len(BILLION_LAUGHS)} bytes): exit {proc.returncode} in {seconds:.2f} s "
          f"(the command's own start-up: {startup:.2f} s; target < 2 s: {'met' if seconds < 2 else 'NOT met'}): "
          f"{proc.stderr.strip()}")
    print(f"  each aliased field would expand to about {expanded / 1e6:.0f} million characters (baseline)")


def folder(tmp: Path) -> None:
    from PIL import Image

    trip = tmp / "trip"
    trip.mkdir()
    for name in ("a.png", "c.png"):
        Image.fromarray(to_u8(photo_array(40, 48) * 0.4)).save(trip / name)
    (trip / "b.gif").write_bytes(GIF_BROKEN_SECOND_FRAME)
    proc = subprocess.run([sys.executable, "-m", "scientist", "restore", str(trip), "--out-dir", str(tmp / "out")],
                          capture_output=True, text=True, timeout=600)
    summary = [ln for ln in proc.stdout.splitlines() if "restored," in ln or ln.startswith("  ")]
    print(f"folder with a broken GIF: exit {proc.returncode}; " + " | ".join(s.strip() for s in summary))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        texts()
        tiff(Path(tmp))
        laughs(Path(tmp))
        folder(Path(tmp))


if __name__ == "__main__":
    main()
