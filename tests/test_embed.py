"""The ONNX query embedder is the same model as sentence-transformers."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from scientist.embed import Embedder

from .conftest import DATA


@pytest.mark.slow
def test_onnx_matches_sentence_transformers(tmp_path, capfd):
    questions = [q["question"] for q in yaml.safe_load((DATA / "questions.yaml").read_text())]
    questions += [f"How does the AI fix photo problem number {i} without losing detail?" for i in range(20)]
    assert len(questions) >= 50
    torch_backend = Embedder(cache_dir=tmp_path, backend="torch")
    ref = torch_backend.encode(questions)
    assert "Loading weights" not in capfd.readouterr().err, "a progress bar leaked into the output"
    assert torch_backend.export_onnx() is not None
    onnx_backend = Embedder(cache_dir=tmp_path, backend="onnx")
    fast = onnx_backend.encode(questions)
    cos = (ref * fast).sum(axis=1)
    assert cos.min() >= 0.999, cos.min()
    assert np.allclose(np.linalg.norm(fast, axis=1), 1, atol=1e-5)
    # the optimised copy (weights in a mapped side file) is what was used, and is reused
    opt = onnx_backend.optimized_dir()
    assert (opt / "model.onnx").is_file() and (opt / "model.data").is_file()
    again = Embedder(cache_dir=tmp_path, backend="onnx").encode(questions[:5])
    assert np.allclose(again, fast[:5], atol=1e-6)


@pytest.mark.slow
def test_damaged_optimised_copy_falls_back_to_the_export(tmp_path):
    ref = Embedder(cache_dir=tmp_path, backend="torch")
    vec = ref.encode(["how does it reduce noise?"])
    assert ref.export_onnx() is not None
    first = Embedder(cache_dir=tmp_path, backend="onnx")
    first.encode(["warm up"])
    (first.optimized_dir() / "model.onnx").write_bytes(b"not a model")
    second = Embedder(cache_dir=tmp_path, backend="onnx")
    again = second.encode(["how does it reduce noise?"])
    assert float((vec * again).sum()) >= 0.999


@pytest.mark.slow
def test_bulk_bfloat16_path_matches_the_query_path(tmp_path, monkeypatch):
    """Indexes built through the bfloat16 bulk path land where the fp32 query path would put them."""
    import scientist.embed as embed

    texts = [f"Model {i} removes noise and blur from dark phone photos, keeping fine detail number {i}."
             for i in range(12)] + [q["question"] for q in yaml.safe_load((DATA / "questions.yaml").read_text())[:12]]
    fp32 = Embedder(cache_dir=tmp_path)  # auto: exports ONNX after its first (sentence-transformers) batch
    fp32.encode(texts[:2])
    onnx_vecs = fp32.encode(texts)
    monkeypatch.setattr(embed, "BULK_MIN", 8)
    monkeypatch.setattr(embed, "_cpu_bf16_native", lambda: True)  # bf16 runs everywhere (emulated: slowly)
    short = Embedder(cache_dir=tmp_path)
    assert np.allclose(short.encode(texts), onnx_vecs, atol=1e-5) and short._st is None  # short texts: ONNX
    monkeypatch.setattr(embed, "BULK_MIN_CHARS", 40)
    monkeypatch.setattr(embed, "BULK_CHUNK", 5)  # five chunks, shortest first, on one thread and on all
    monkeypatch.setattr(embed, "BULK_PROBE_EVERY", 3)
    bulk = Embedder(cache_dir=tmp_path)
    vecs = bulk.encode(texts)
    assert bulk._st is not None and vecs.dtype == np.float32 and vecs.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-3)
    assert float((vecs * onnx_vecs).sum(axis=1).min()) >= 0.999
    assert bulk.encode(texts[:3]).shape == (3, 384) and bulk._ort is not None  # small batches: the ONNX path


def test_the_bulk_path_keeps_the_faster_thread_count_and_tries_the_other_again():
    from scientist.embed import BULK_PROBE_EVERY, ThreadPace

    pace = ThreadPace(2)
    assert [pace.choose(0), pace.choose(1)] == [2, 1]  # both are tried first
    pace.record(2, 5e-5)
    pace.record(1, 1e-5)  # another program holds a core: one thread is faster
    chosen = [pace.choose(n) for n in range(2, 2 + 2 * BULK_PROBE_EVERY)]
    assert chosen.count(2) == 2 and chosen[BULK_PROBE_EVERY - 2] == 2  # all threads tried again now and then
    pace.record(2, 0.5e-5)  # the core is free again
    assert pace.choose(BULK_PROBE_EVERY + 1) == 2
    assert ThreadPace(1).choose(0) == ThreadPace(1).choose(5) == 1
