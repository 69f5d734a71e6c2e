"""The shipped embeddings of the classifier examples: complete, used, and the real embedder's."""

from __future__ import annotations

import numpy as np
import pytest

from scientist.corpus import load_tasks
from scientist.embed import EMBEDDER_ID
from scientist.paths import data_path
from scientist.vectors import VECTORS_FILE, _load, digest, example_vectors, write_example_vectors

from .helpers import HashEmbedder


def test_the_packaged_vectors_cover_every_example():
    made_by, index, vecs = _load(data_path("corpus") / VECTORS_FILE)
    assert made_by == EMBEDDER_ID and vecs.shape[1] == 384
    missing = [t for task in load_tasks() for t in task.training_texts() if digest(t) not in index]
    assert not missing, f"{len(missing)} examples have no stored vector: run `python -m scientist.vectors`"


class Counting(HashEmbedder):
    def __init__(self):
        self.seen = []

    def encode(self, texts, progress=False):
        self.seen += list(texts)
        return super().encode(texts)


def test_stored_vectors_are_used_and_only_new_texts_embedded(tmp_path, monkeypatch):
    import scientist.corpus as corpus

    tasks = [t.model_copy(update={"examples": t.examples[:1], "aliases": []}) for t in load_tasks()[:3]]
    monkeypatch.setattr(corpus, "load_tasks", lambda path=None: tasks)
    path = write_example_vectors(tmp_path / "v.npz", Counting())
    known = tasks[0].training_texts()
    embedder = Counting()
    vecs = example_vectors([*known, "a text nobody stored"], embedder, path)
    assert embedder.seen == ["a text nobody stored"]
    np.testing.assert_allclose(vecs[: len(known)], HashEmbedder().encode(known), atol=2e-3)  # float16 kept
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    other = Counting()
    other.id = "another/embedder"
    example_vectors(known, other, path)
    assert other.seen == known  # vectors of another embedder are never borrowed


@pytest.mark.slow
def test_the_stored_vectors_are_the_embedders(embedder):
    texts = [t for task in load_tasks()[::5] for t in task.training_texts()[::40]]
    stored = example_vectors(texts, embedder)
    fresh = embedder.encode(texts)
    assert float((stored * fresh).sum(axis=1).min()) >= 0.999


def test_help_is_help_not_a_file_to_write(tmp_path, monkeypatch, capsys):
    from scientist.vectors import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0 and "where to write them" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
