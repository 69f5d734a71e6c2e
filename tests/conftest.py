"""Shared fixtures.  Every test runs offline with its user and cache folders in a temp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
DATA = Path(__file__).parent / "data"

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# Tests hold tiny tensors and matrices: one PyTorch/OpenBLAS thread each (set before either is loaded; the CLI's
# subprocesses inherit it).  On cores shared with other work a second thread waits at every step for a partner
# that is not running: the MIMO-UNet+ parity test took 12-14 s on two threads against 2.4 s on one.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_dirs(cache_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SCIENTIST_CACHE", str(cache_dir))
    monkeypatch.setenv("SCIENTIST_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SCIENTIST_WEIGHTS", raising=False)


@pytest.fixture(scope="session")
def embedder():
    """The real MiniLM embedder: for tests where the meaning of a question is the point."""
    from scientist.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def fake_embedder():
    """A hash embedder: for tests of logic that must not depend on (or wait for) the real model."""
    from .helpers import HashEmbedder

    return HashEmbedder()


@pytest.fixture
def fake_cli_embedder(monkeypatch, fake_embedder):
    """Make the CLI's Scientist use the hash embedder and the tiny taxonomy (for CLI tests of logic, not of
    meaning: its classifier trains in a fraction of a second)."""
    import scientist.core as core
    import scientist.corpus as corpus

    from .helpers import tiny_tasks

    tiny = tiny_tasks()  # made before load_tasks is replaced: it is made from the real one
    monkeypatch.setattr(core, "Embedder", lambda *args, **kwargs: fake_embedder)
    monkeypatch.setattr(corpus, "load_tasks", lambda path=None: list(tiny))
    return fake_embedder


@pytest.fixture(scope="session")
def fake_sci(cache_dir, fake_embedder):
    """A Scientist over the packaged records and the tiny taxonomy with the hash embedder (logic, not meaning)."""
    from scientist.core import Scientist

    from .helpers import tiny_corpus

    return Scientist(tiny_corpus(), cache_dir=cache_dir, embedder=fake_embedder)


@pytest.fixture(scope="session")
def sci(cache_dir, embedder):
    from scientist.core import Scientist

    return Scientist(cache_dir=cache_dir, embedder=embedder)


@pytest.fixture(scope="session")
def seed_answer(sci):
    from scientist.ingest import read_seed

    return sci.ask(read_seed(FIXTURES / "seed_default.txt").question)


@pytest.fixture()
def photo_dir(tmp_path):
    """A folder of two small photos named as the training photos (tests of ``scientist train``)."""
    from .helpers import write_training_photos

    return write_training_photos(tmp_path / "photos")
