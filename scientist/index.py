"""The retrieval index: record and task embeddings in FAISS, cached on disk.

Vectors are unit-length and searched by inner product, so every score is a
cosine similarity.  The cache is keyed by a hash of the corpus content and the
embedder id; a changed corpus or embedder gets a fresh index, a corrupt one is
rebuilt, and a file lock lets two processes build at the same time safely.
Nothing is pickled: FAISS's own file format plus a JSON manifest.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .corpus import Corpus
from .embed import Embedder
from .fileio import write_atomic

__all__ = ["Hit", "Index"]

FORMAT_VERSION = 2


@dataclass(frozen=True)
class Hit:
    """A retrieved record and its cosine score."""

    record_id: str
    score: float


class Index:
    """Record vectors (FAISS inner-product index) and task vectors."""

    def __init__(self, corpus: Corpus, embedder: Embedder, record_index, task_vecs: np.ndarray,
                 task_owner: list[str], key: str, path: Path | None, seg_vecs: np.ndarray,
                 seg_spans: list[list[int]]) -> None:
        self.corpus = corpus
        self.seg_vecs = seg_vecs
        self.seg_spans = seg_spans
        self.embedder = embedder
        self.records = record_index
        self.task_vecs = task_vecs
        self.task_owner = task_owner
        self.key = key
        self.path = path

    # ------------------------------------------------------------------ build
    @staticmethod
    def cache_key(corpus: Corpus, embedder: Embedder) -> str:
        h = hashlib.sha256(f"{FORMAT_VERSION}|{embedder.id}|{corpus.fingerprint()}".encode())
        return h.hexdigest()[:24]

    @classmethod
    def open(cls, corpus: Corpus, embedder: Embedder, cache: Path | None,
             progress: bool = False) -> Index:
        """Load the cached index for ``corpus``, building (and caching) it if needed."""
        key = cls.cache_key(corpus, embedder)
        if cache is None:
            return cls._build(corpus, embedder, key, None, progress)
        folder = cache / "index" / key
        loaded = cls._load(corpus, embedder, key, folder)
        if loaded is not None:
            return loaded
        try:
            folder.mkdir(parents=True, exist_ok=True)
            from filelock import FileLock

            lock = FileLock(str(cache / "index" / f"{key}.lock"), timeout=600)
            lock.acquire()
        except OSError:
            warnings.warn(f"cache folder {cache} is not writable: the index is kept in memory only",
                          stacklevel=2)
            return cls._build(corpus, embedder, key, None, progress)
        try:
            loaded = cls._load(corpus, embedder, key, folder)  # another process may have built it
            if loaded is not None:
                return loaded
            index = cls._build(corpus, embedder, key, folder, progress)
            index._save(folder)
            return index
        finally:
            lock.release()

    @classmethod
    def _build(cls, corpus: Corpus, embedder: Embedder, key: str, path: Path | None,
               progress: bool) -> Index:
        import faiss

        texts = [r.embed_text() for r in corpus.records]
        show = progress or len(texts) > 500
        if show and len(texts) > 500:
            print(f"indexing {len(texts)} records...", file=sys.stderr)
        vecs = embedder.encode(texts, progress=show and sys.stderr.isatty())
        rec_index = faiss.IndexFlatIP(vecs.shape[1])
        if len(vecs):
            rec_index.add(vecs)
        owner, ttexts = [], []
        for t in corpus.tasks:
            for text in t.texts():
                owner.append(t.id)
                ttexts.append(text)
        task_vecs = embedder.encode(ttexts)
        segs, spans = [], []
        for r in corpus.records:
            parts = r.segments()
            spans.append([len(segs), len(segs) + len(parts)])
            segs += parts
        seg_vecs = embedder.encode(segs)
        return cls(corpus, embedder, rec_index, task_vecs, owner, key, path, seg_vecs, spans)

    def _save(self, folder: Path) -> None:
        import faiss

        write_atomic(folder / "records.faiss", faiss.serialize_index(self.records).tobytes())
        buf = _npy_bytes(self.task_vecs)
        write_atomic(folder / "tasks.npy", buf)
        seg_buf = _npy_bytes(self.seg_vecs)
        write_atomic(folder / "segments.npy", seg_buf)
        manifest = {
            "format": FORMAT_VERSION,
            "key": self.key,
            "embedder": self.embedder.id,
            "record_ids": [r.id for r in self.corpus.records],
            "task_owner": self.task_owner,
            "segment_spans": self.seg_spans,
            "sha256": {
                "segments.npy": hashlib.sha256(seg_buf).hexdigest(),
                "records.faiss": hashlib.sha256((folder / "records.faiss").read_bytes()).hexdigest(),
                "tasks.npy": hashlib.sha256(buf).hexdigest(),
            },
        }
        write_atomic(folder / "manifest.json", json.dumps(manifest).encode())
        self.path = folder

    @classmethod
    def _load(cls, corpus: Corpus, embedder: Embedder, key: str, folder: Path) -> Index | None:
        """Load a cached index; ``None`` when it is missing, stale or corrupt."""
        import faiss

        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            if manifest.get("key") != key or manifest["record_ids"] != [r.id for r in corpus.records]:
                return None
            raw = (folder / "records.faiss").read_bytes()
            tasks_raw = (folder / "tasks.npy").read_bytes()
            seg_raw = (folder / "segments.npy").read_bytes()
            sums = manifest["sha256"]
            if (hashlib.sha256(raw).hexdigest() != sums["records.faiss"]
                    or hashlib.sha256(tasks_raw).hexdigest() != sums["tasks.npy"]
                    or hashlib.sha256(seg_raw).hexdigest() != sums["segments.npy"]):
                warnings.warn("the cached index is corrupt: rebuilding it", stacklevel=3)
                return None
            rec_index = faiss.deserialize_index(np.frombuffer(raw, dtype=np.uint8))
            import io

            task_vecs = np.load(io.BytesIO(tasks_raw), allow_pickle=False)
            seg_vecs = np.load(io.BytesIO(seg_raw), allow_pickle=False)
            spans = manifest["segment_spans"]
            if (rec_index.ntotal != len(corpus.records) or len(task_vecs) != len(manifest["task_owner"])
                    or len(spans) != len(corpus.records)):
                return None
        except (OSError, ValueError, KeyError, TypeError, RuntimeError):
            return None
        return cls(corpus, embedder, rec_index, task_vecs, manifest["task_owner"], key, folder, seg_vecs, spans)

    # ----------------------------------------------------------------- query
    def search(self, qvec: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` records nearest to a unit query vector, best first."""
        n = min(k, self.records.ntotal)
        if n <= 0:
            return []
        scores, ids = self.records.search(qvec.reshape(1, -1).astype(np.float32), n)
        return [Hit(self.corpus.records[i].id, float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    def record_vectors(self, i: int) -> np.ndarray:
        """Vectors of record ``i``'s summary sentences, or its own vector when it has none."""
        a, b = self.seg_spans[i]
        if b > a:
            return self.seg_vecs[a:b]
        return self.records.reconstruct(i)[None, :]

    def task_scores(self, qvec: np.ndarray) -> dict[str, float]:
        """Best cosine between the query and any text of each task."""
        sims = self.task_vecs @ qvec.astype(np.float32)
        best: dict[str, float] = {}
        for owner, s in zip(self.task_owner, sims, strict=True):
            if s > best.get(owner, -2.0):
                best[owner] = float(s)
        return best


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()
