"""The task classifier's letter n-gram view: its features, its training and its place in the cache."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from scientist.corpus import load_corpus
from scientist.index import TaskSpace
from scientist.taskmodel import LexicalModel, TaskClassifier, letter_ngrams

from .helpers import HashEmbedder

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
    model = LexicalModel.train(TEXTS, labels)
    ref = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2).fit(TEXTS)
    assert model.vocabulary == sorted(ref.vocabulary_)
    query = "is the hiss on a cassette like grain in a photo?"
    want = ref.transform([query]).toarray()[0][[ref.vocabulary_[g] for g in model.vocabulary]]
    idx, val = model._features(letter_ngrams(query))
    got = np.zeros(len(model.vocabulary), np.float32)
    got[idx] = val
    np.testing.assert_allclose(got, want, atol=1e-6)
    # nothing known: the bias alone, no division by zero
    np.testing.assert_array_equal(model.logits(["zzzzzz"])[0], model.bias)


def test_letter_ngrams_classify_what_the_vectors_cannot():
    """With meaningless (hash) vectors, only the words can tell a new question's task."""
    texts = [f"{w} {x}" for w in ("hiss", "cassette", "tape", "crackle") for x in ("remove", "on my recording")]
    texts += [f"{w} {x}" for w in ("grain", "photo", "speckle", "picture") for x in ("remove", "in my shot")]
    labels = ["audio"] * 8 + ["image"] * 8
    clf = TaskClassifier.train(HashEmbedder().encode(texts), labels, texts=texts)
    question = "how does it take the hiss off an old cassette?"
    qvec = HashEmbedder().encode([question])[0]
    with_words = clf.probs(qvec, text=question)
    assert with_words["audio"] > 0.8
    assert clf.probs(qvec, text=question, lexical_weight=0.0)["audio"] < with_words["audio"]
    assert clf.probs(qvec) == clf.probs(qvec, text=question, lexical_weight=0.0)  # no text: the vectors alone


@pytest.mark.parametrize("cached", [False, True])
def test_the_lexical_view_is_cached_with_the_task_space(tmp_path, monkeypatch, cached):
    tasks = load_corpus(include_user=False).tasks
    built, folder = TaskSpace.open(tasks, HashEmbedder(), tmp_path)
    assert folder is not None and built.classifier.lexical is not None
    if cached:  # the reopening must come from the cache
        monkeypatch.setattr(TaskSpace, "build", classmethod(lambda *_a: pytest.fail("built again")))
    again, _ = TaskSpace.open(tasks, HashEmbedder(), tmp_path if cached else None)
    assert again.classifier.lexical.vocabulary == built.classifier.lexical.vocabulary
    question = "My grainy night photos came out clean: how?"
    qvec = HashEmbedder().encode([question])[0]
    a, b = built.classifier.probs(qvec, text=question), again.classifier.probs(qvec, text=question)
    assert max(a, key=a.get) == max(b, key=b.get) == "denoising"
    if cached:
        assert a == pytest.approx(b, abs=1e-6)
