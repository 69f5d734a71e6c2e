"""The embeddings of the packaged classifier examples, shipped so that a first build need not compute them.

Building the task space embeds every task's label, aliases and example questions
(about 4,000 texts): 23 s of CPU time on an AMD EPYC, most of a fresh install's
first answer and of a fresh test run.  ``corpus/task_vectors.npz`` keeps those
vectors, keyed by a digest of each text and by the embedder that made them; a
build takes the vectors of the texts it knows and embeds only the others, so an
edited example costs one embedding, not a stale answer.  Refresh the file after
editing the examples::

    python -m scientist.vectors
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

from .paths import data_path

__all__ = ["VECTORS_FILE", "digest", "example_vectors", "with_known", "write_example_vectors"]

VECTORS_FILE = "task_vectors.npz"


def digest(text: str) -> bytes:
    """The 16-byte key of a text in the file."""
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


@lru_cache(maxsize=2)
def _load(path: Path) -> tuple[str, dict[bytes, int], np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            keys, vecs, made_by = z["digests"], z["vectors"], str(z["embedder"])
    except (OSError, KeyError, ValueError):
        return None
    return made_by, {bytes(k): i for i, k in enumerate(keys)}, vecs


def with_known(texts: list[str], embedder, known: Mapping[bytes, np.ndarray], progress: bool = False) -> np.ndarray:
    """``(n, dim)`` float32 vectors of ``texts``: those ``known`` holds by :func:`digest`, the others embedded now,
    in one batch."""
    rows = [known.get(digest(t)) for t in texts]
    missing = [i for i, r in enumerate(rows) if r is None]
    if len(missing) == len(texts):
        return np.asarray(embedder.encode(texts, progress=progress), np.float32)
    out = np.empty((len(texts), len(next(r for r in rows if r is not None))), np.float32)
    for i, r in enumerate(rows):
        if r is not None:
            out[i] = r
    if missing:
        out[missing] = embedder.encode([texts[i] for i in missing], progress=progress)
    return out


def example_vectors(texts: list[str], embedder, path: Path | None = None) -> np.ndarray:
    """``(n, dim)`` float32 unit vectors of ``texts``: from the file for the texts it holds (made by the same
    embedder), the rest embedded now."""
    stored = _load(path or data_path("corpus") / VECTORS_FILE)
    known: dict[bytes, np.ndarray] = {}
    if stored is not None and stored[0] == getattr(embedder, "id", None):
        _, index, vecs = stored
        known = {key: vecs[row] for key, row in index.items()}
    out = with_known(texts, embedder, known)
    out /= np.linalg.norm(out, axis=1, keepdims=True)  # float16 storage: back to unit length
    return out


def write_example_vectors(path: Path | None = None, embedder=None) -> Path:
    """Embed every packaged task text and keep the vectors (float16) in ``path`` (the packaged file)."""
    import io

    from .corpus import load_tasks
    from .embed import Embedder
    from .fileio import write_atomic

    embedder = embedder or Embedder()
    texts = list(dict.fromkeys(t for task in load_tasks() for t in task.training_texts()))
    vecs = embedder.encode(texts)
    buf = io.BytesIO()
    np.savez_compressed(buf, digests=np.array([list(digest(t)) for t in texts], np.uint8),
                        vectors=vecs.astype(np.float16), embedder=np.array(embedder.id))
    path = path or data_path("corpus") / VECTORS_FILE
    write_atomic(path, buf.getvalue())
    _load.cache_clear()
    return path


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m scientist.vectors",
                                 description="Embed the packaged classifier examples and write their vectors.")
    ap.add_argument("out", nargs="?", type=Path, help=f"where to write them (default: corpus/{VECTORS_FILE})")
    print(write_example_vectors(ap.parse_args(argv).out))


if __name__ == "__main__":
    main()
