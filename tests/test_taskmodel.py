"""The task classifier's learned views: the letter n-gram features, their training, and the views' place in
the task-space cache."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from scientist.index import TaskSpace
from scientist.settings import Settings
from scientist.taskmodel import EmbeddingView, LetterView, NeighbourView, letter_ngrams
from scientist.views import FitData, Queries, combine

from .helpers import HashEmbedder, tiny_tasks

TEXTS = ["Remove the hiss from my cassette tape", "the  tape HISS is gone, a cassette again!",
         "Grainy photo at night: remove the grain", "my photo grain looks like sand", "an ox", "a b c",
         "hiss hiss hiss", "photo of a night sky"]


def test_letter_ngrams_are_scikit_learns_char_wb_ngrams():
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyse = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    for text in TEXTS:
        assert letter_ngrams(text) == Counter(analyse(text)), text


def test_lexical_features_are_scikit_learns_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    labels = ["sound", "sound", "photo", "photo", "other", "other", "sound", "photo"]
    model = LetterView.train(TEXTS, labels)
    ref = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2).fit(TEXTS)
    assert model.vocabulary == sorted(ref.vocabulary_)
    query = "is the hiss on a cassette like grain in a photo?"
    want = ref.transform([query]).toarray()[0][[ref.vocabulary_[g] for g in model.vocabulary]]
    idx, val = model._features(letter_ngrams(query))
    got = np.zeros(len(model.vocabulary), np.float32)
    got[idx] = val
    np.testing.assert_allclose(got, want, atol=1e-6)
    # nothing known: the bias alone, no division by zero
    np.testing.assert_array_equal(model.logits(Queries(["zzzzzz"], np.zeros((1, 1), np.float32)))[0], model.bias)


def _fit(texts, labels):
    vecs = HashEmbedder().encode(texts)
    data = FitData([], sorted(set(labels)), texts, labels, vecs)
    return data.classes, [EmbeddingView.fit(data), NeighbourView.fit(data), LetterView.fit(data)]


def _probs(classes, views, question, settings):
    q = Queries([question], HashEmbedder().encode([question]))
    return dict(zip(classes, np.exp(combine(views, q, settings, len(classes)))[0].tolist(), strict=True))


def test_letter_ngrams_classify_what_the_vectors_cannot():
    """With meaningless (hash) vectors, only the words can tell a new question's task."""
    texts = [f"{w} {x}" for w in ("hiss", "cassette", "tape", "crackle") for x in ("remove", "on my recording")]
    texts += [f"{w} {x}" for w in ("grain", "photo", "speckle", "picture") for x in ("remove", "in my shot")]
    classes, views = _fit(texts, ["audio"] * 8 + ["image"] * 8)
    question = "how does it take the hiss off an old cassette?"
    plain = Settings(task_temperature=1.0)
    with_words = _probs(classes, views, question, plain)
    assert with_words["audio"] > 0.8
    without = _probs(classes, views, question, plain.model_copy(update={"lexical_weight": 0.0}))
    assert without["audio"] < with_words["audio"]
    # the letter view does not read records' texts
    rec = Queries([question], HashEmbedder().encode([question]), records=True)
    assert np.allclose(combine(views, rec, plain, 2), np.log(list(without.values())))


@pytest.mark.parametrize("cached", [False, True])
def test_the_views_are_cached_with_the_task_space(tmp_path, monkeypatch, cached):
    tasks = tiny_tasks()
    built, folder = TaskSpace.open(tasks, HashEmbedder(), tmp_path)
    assert folder is not None
    names = [v.name for v in built.views]
    assert names[:3] == ["embedding", "neighbours", "letters"] and "signature" in names and "cues" in names
    if cached:  # the reopening must come from the cache
        monkeypatch.setattr(TaskSpace, "build", classmethod(lambda *_a: pytest.fail("built again")))
    again, _ = TaskSpace.open(tasks, HashEmbedder(), tmp_path if cached else None)
    assert [v.name for v in again.views] == names
    letters = [v for v in again.views if v.name == "letters"][0]
    assert letters.vocabulary == [v for v in built.views if v.name == "letters"][0].vocabulary
    question = "My grainy night photos came out clean: how?"
    a = _probs(built.classes, built.views, question, Settings())
    b = _probs(again.classes, again.views, question, Settings())
    assert a == pytest.approx(b, abs=1e-6)  # cached, or trained again the same way
