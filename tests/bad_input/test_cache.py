"""Cache and index: corruption is detected and repaired, concurrent builds are safe, read-only caches work."""

from __future__ import annotations

import multiprocessing as mp
import warnings
from pathlib import Path

import pytest

from scientist.index import Index

from ..helpers import HashEmbedder, assert_one_line_error, run_cli, tiny_corpus


def test_corrupt_or_truncated_index_is_rebuilt(tmp_path):
    corpus = tiny_corpus()
    first = Index.open(corpus, HashEmbedder(), tmp_path)
    faiss_file = first.path / "records.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:40])
    with pytest.warns(UserWarning, match="corrupt") as said:
        again = Index.open(corpus, HashEmbedder(), tmp_path)
    assert again.records.ntotal == len(corpus)
    assert len([w for w in said if "corrupt" in str(w.message)]) == 1  # read twice (before and under the lock)
    faiss_file.write_bytes(faiss_file.read_bytes()[:40])  # corrupt again after the rebuild: said again
    with pytest.warns(UserWarning, match="corrupt") as said:
        assert Index.open(corpus, HashEmbedder(), tmp_path).records.ntotal == len(corpus)
    assert len([w for w in said if "corrupt" in str(w.message)]) == 1
    (again.path / "manifest.json").write_text("{not json")
    third = Index.open(corpus, HashEmbedder(), tmp_path)
    assert third.records.ntotal == len(corpus)


def test_changed_corpus_gets_a_new_index(tmp_path):
    corpus = tiny_corpus()
    a = Index.open(corpus, HashEmbedder(), tmp_path)
    from scientist.corpus import Corpus

    smaller = Corpus(corpus.records[:2], corpus.tasks)
    b = Index.open(smaller, HashEmbedder(), tmp_path)
    assert a.key != b.key and b.records.ntotal == 2


class _CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts, progress=False):
        self.texts += list(texts)
        return super().encode(texts, progress)


def test_a_grown_corpus_embeds_only_its_new_texts(tmp_path):
    """One record added to a catalog embedded every record again (a 10,000-record catalog took minutes)."""
    import numpy as np

    from scientist.corpus import Corpus
    from scientist.records import Record

    corpus = tiny_corpus()
    embedder = _CountingEmbedder()
    Index.open(corpus, embedder, tmp_path)
    new = Record(id="added", kind="paper", title="A new study of photo noise",
                 summary="It measures sensor noise in phone photos. It compares two filters on them.")
    grown = Corpus([*corpus.records, new], corpus.tasks, corpus.sources, corpus.vocabulary, corpus.context)
    embedder.texts = []
    built = Index.open(grown, embedder, tmp_path)
    assert embedder.texts == [new.embed_text(), *new.segments()]
    fresh = Index.open(grown, HashEmbedder(), tmp_path / "fresh")
    assert np.array_equal(built.matrix, fresh.matrix) and np.array_equal(built.seg_vecs, fresh.seg_vecs)
    assert built.record_tasks == fresh.record_tasks and built.seg_spans == fresh.seg_spans
    other = _CountingEmbedder()
    other.id = "test/another-embedder"  # vectors of another embedder are never taken
    Index.open(grown, other, tmp_path)
    assert {r.embed_text() for r in grown.records} <= set(other.texts)


def _build(cache: str, q) -> None:
    corpus = tiny_corpus()
    idx = Index.open(corpus, HashEmbedder(), Path(cache))
    q.put(idx.records.ntotal)


@pytest.mark.slow
def test_two_processes_build_at_once(tmp_path):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_build, args=(str(tmp_path), q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted([q.get(timeout=5), q.get(timeout=5)]) == [3, 3]
    assert len(list((tmp_path / "index").glob("*/manifest.json"))) == 1


def test_unwritable_cache_works_and_says_so_once(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    corpus = tiny_corpus()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        idx = Index.open(corpus, HashEmbedder(), blocker / "cache")
    assert idx.records.ntotal == 3
    assert sum("not writable" in str(w.message) for w in caught) == 1


def test_cli_with_unwritable_cache(tmp_path, monkeypatch, fake_cli_embedder):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("SCIENTIST_CACHE", str(blocker / "cache"))
    code, out, lines = run_cli("ask", "how does it reduce noise?")
    assert code == 0 and out.startswith("# how does it reduce noise?")  # an answer (the hash embedder's)
    assert sum("not writable" in ln for ln in lines) == 1


def test_internal_errors_exit_1_and_traceback_only_with_debug(monkeypatch):
    import scientist.core as core

    def broken(self, question, photo=None, **options):
        raise RuntimeError("boom")

    monkeypatch.setattr(core.Scientist, "ask", broken)
    code, _, lines = run_cli("ask", "anything")
    assert_one_line_error(code, lines, "internal error: RuntimeError: boom", exit_code=1)
    code, _, lines = run_cli("ask", "anything", "--debug")
    assert code == 1 and any("Traceback" in ln for ln in lines)


def test_usage_errors_exit_2():
    code, _, _ = run_cli("ask", "x", "--format", "pdf")
    assert code == 2
    code, _, _ = run_cli("no-such-command")
    assert code == 2


def _never(*_args, **_kwargs):
    raise AssertionError("built again instead of read from the cache")


def test_large_catalogs_embed_sentences_when_first_quoted(tmp_path, monkeypatch):
    """Above SENTENCES_AT_BUILD_MAX records the build skips sentence vectors; quoting gets the same ones later."""
    import numpy as np

    import scientist.index as index_module

    corpus = tiny_corpus()
    embedder = HashEmbedder()
    eager = Index.open(corpus, embedder, tmp_path / "eager")
    monkeypatch.setattr(index_module, "SENTENCES_AT_BUILD_MAX", 1)
    lazy = Index.open(corpus, embedder, tmp_path / "lazy")
    assert eager.sentences_built and not lazy.sentences_built and len(lazy.seg_vecs) == 0
    quoted = [i for i, r in enumerate(corpus.records) if r.segments()]
    assert quoted, "the packaged corpus has records with several sentences"
    for i in quoted:
        assert np.allclose(lazy.record_vectors(i), eager.record_vectors(i))
        assert lazy.record_vectors(i) is lazy.record_vectors(i)  # embedded once, then kept
    monkeypatch.setattr(Index, "_build", _never)  # the reopening must come from the cache
    reopened = Index.open(corpus, embedder, tmp_path / "lazy")  # from the cache: still lazy, still answers
    assert not reopened.sentences_built and np.allclose(reopened.record_vectors(quoted[0]),
                                                        eager.record_vectors(quoted[0]))
