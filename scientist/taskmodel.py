"""The task classifier's learned views: logistic regression and nearest neighbours over question
embeddings, and a logistic regression over the question's letter n-grams.

Each is a view of :mod:`scientist.views` (their weights and the temperature are applied by
:func:`scientist.views.combine`).  All three learn from every task's label, aliases and user-style
example questions.  The embedding regression is trained when the task space is built
(scikit-learn) and kept as two arrays; the neighbours are the example vectors
themselves.  Answering a question needs only matrix products.  The two embedding
views disagree in useful ways: the regression generalises from words that mark a
task, the neighbours follow the closest examples (and stay sensible on odd
inputs such as one word repeated).  The letter n-grams catch what a sentence
embedding blurs: the words themselves ("layers", "fly-through", "sentence"),
and their stems in any inflection.

The n-gram features are computed here rather than with scikit-learn's
``TfidfVectorizer``: importing ``sklearn.feature_extraction.text`` takes about
0.7 s, more than a cold ``ask`` is allowed, while the features are a few lines.
scikit-learn fits the regressions when the task space is built.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .views import ArrayView, FitData, Queries

__all__ = ["EmbeddingView", "LetterView", "NeighbourView", "dot_rows", "letter_ngrams"]

#: Neighbours consulted, and the temperature that weights them by cosine (measured on the dev half).
NEIGHBOURS = 20
NEIGHBOUR_TEMPERATURE = 0.05
#: Letter n-gram lengths, the fewest training texts an n-gram must occur in, and the regression's inverse
#: strength (chosen on the dev half).
NGRAMS = (3, 5)
MIN_TEXTS = 2
LEXICAL_C = 10.0
#: Inverse strength of the embedding regression.
EMBEDDING_C = 3.0


def letter_ngrams(text: str) -> Counter:
    """Counts of the letter n-grams (lengths :data:`NGRAMS`) of each lower-cased word padded with a space on
    both sides; a word shorter than n counts once, whole."""
    counts: Counter = Counter()
    lo, hi = NGRAMS
    for word in text.lower().split():
        w = f" {word} "
        for n in range(lo, hi + 1):
            if len(w) <= n:
                counts[w] += 1
                break
            counts.update(w[i : i + n] for i in range(len(w) - n + 1))
    return counts


def dot_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T``; for a few rows (a question) without BLAS threads, which on busy cores wait their turn:
    one question against the ~4,000 examples took 12 ms through BLAS and 0.4 ms through einsum on 2 busy
    cores."""
    return np.einsum("ij,kj->ik", a, b) if len(a) <= 8 else a @ b.T


def _softmax_form(fit) -> tuple[np.ndarray, np.ndarray]:
    """A fitted scikit-learn logistic regression as float32 (classes, dim) weights and (classes,) biases of a
    softmax, in ``fit.classes_`` order (with two classes scikit-learn keeps one row: the second class's logit)."""
    coef, intercept = fit.coef_, fit.intercept_
    if len(fit.classes_) == 2:
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return coef.astype(np.float32), intercept.astype(np.float32)


def _tfidf(index: dict[str, int], idf: np.ndarray, counts: Counter) -> tuple[np.ndarray, np.ndarray]:
    """(indices, unit-length TF-IDF values) of the n-grams of ``counts`` that ``index`` knows."""
    pairs = [(index[g], k) for g, k in counts.items() if g in index]
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx = np.array([i for i, _ in pairs], np.int64)
    val = (1 + np.log(np.array([k for _, k in pairs], np.float32))) * idf[idx]
    return idx, val / np.linalg.norm(val)


@dataclass
class EmbeddingView(ArrayView):
    """Multinomial logistic regression (L2, :data:`EMBEDDING_C`) over the MiniLM embedding."""

    name, weight, records = "embedding", "embedding_weight", True
    PARAMS: ClassVar[str] = f"C={EMBEDDING_C},newton-cg"
    ARRAYS: ClassVar[tuple[str, ...]] = ("weights", "bias")

    weights: np.ndarray  # (classes, dim)
    bias: np.ndarray  # (classes,)

    @classmethod
    def fit(cls, data: FitData) -> EmbeddingView:
        dim = data.vectors.shape[1]
        if len(data.classes) < 2:
            return cls(np.zeros((len(data.classes), dim), np.float32), np.zeros(len(data.classes), np.float32))
        from sklearn.linear_model import LogisticRegression

        # newton-cg: 8 s against lbfgs's 17 s on the ~4,000 example vectors (2 busy cores), the same
        # predictions for 99.85 % of them (log-probabilities within 0.13: lbfgs stops short of the optimum)
        model = LogisticRegression(C=EMBEDDING_C, solver="newton-cg", max_iter=5000).fit(data.vectors,
                                                                                          list(data.labels))
        assert [str(x) for x in model.classes_] == data.classes
        return cls(*_softmax_form(model))

    def logits(self, q: Queries) -> np.ndarray:
        return np.atleast_2d(np.asarray(q.vectors, np.float32)) @ self.weights.T + self.bias


@dataclass
class NeighbourView(ArrayView):
    """The :data:`NEIGHBOURS` example questions nearest the text, each voting for its task by
    ``exp(cosine / NEIGHBOUR_TEMPERATURE)``: logits are the log of the votes."""

    name, weight, records = "neighbours", "knn_weight", True
    PARAMS: ClassVar[str] = f"{NEIGHBOURS},{NEIGHBOUR_TEMPERATURE}"
    ARRAYS: ClassVar[tuple[str, ...]] = ("examples", "labels")

    examples: np.ndarray  # (n, dim) training vectors
    labels: np.ndarray  # (n,) index into the classes
    n_classes: int

    @classmethod
    def fit(cls, data: FitData) -> NeighbourView:
        index = np.array([data.classes.index(x) for x in data.labels], np.int32)
        return cls(np.asarray(data.vectors, np.float32), index, len(data.classes))

    @classmethod
    def extra(cls, data: FitData, meta: dict) -> dict:
        return {"n_classes": len(data.classes)}

    def logits(self, q: Queries) -> np.ndarray | None:
        if not len(self.examples):
            return None
        vecs = np.atleast_2d(np.asarray(q.vectors, np.float32))
        sims = dot_rows(vecs, self.examples)
        k = min(NEIGHBOURS, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        near = np.take_along_axis(sims, top, axis=1)
        weight = np.exp((near - near.max(axis=1, keepdims=True)) / NEIGHBOUR_TEMPERATURE)
        votes = np.full((len(vecs), self.n_classes), 1e-3)
        np.add.at(votes, (np.repeat(np.arange(len(vecs)), k), self.labels[top].ravel()), weight.ravel())
        return np.log(votes)


@dataclass
class LetterView(ArrayView):
    """Multinomial logistic regression over TF-IDF weighted letter n-grams (sublinear counts, smoothed
    IDF, unit length): it reads the words an embedding blurs."""

    name, weight = "letters", "lexical_weight"  # records: no (fitted to questions; unmeasured on records' texts)
    PARAMS: ClassVar[str] = f"{NGRAMS},{MIN_TEXTS},{LEXICAL_C}"
    ARRAYS: ClassVar[tuple[str, ...]] = ("idf", "weights", "bias")

    vocabulary: list[str]
    idf: np.ndarray  # (V,)
    weights: np.ndarray  # (classes, V)
    bias: np.ndarray  # (classes,)
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {g: i for i, g in enumerate(self.vocabulary)}

    @classmethod
    def fit(cls, data: FitData) -> LetterView | None:
        """Fitted on the training texts; its classes are the sorted set of the labels (``None`` with fewer
        than two)."""
        if len(data.classes) < 2:
            return None
        return cls.train(data.texts, data.labels)

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str]) -> LetterView:
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression

        counts = [letter_ngrams(t) for t in texts]
        df = Counter(g for cnt in counts for g in cnt)
        vocabulary = sorted(g for g, k in df.items() if k >= MIN_TEXTS)
        index = {g: i for i, g in enumerate(vocabulary)}
        idf = np.log((1 + len(texts)) / (1 + np.array([df[g] for g in vocabulary], np.float64))) + 1
        idf = idf.astype(np.float32)
        rows, cols, vals = [], [], []
        for r, cnt in enumerate(counts):
            idx, val = _tfidf(index, idf, cnt)
            rows += [r] * len(idx)
            cols += idx.tolist()
            vals += val.tolist()
        x = csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vocabulary)), dtype=np.float64)
        fit = LogisticRegression(C=LEXICAL_C, solver="newton-cg", max_iter=5000).fit(x, list(labels))
        return cls(vocabulary, idf, *_softmax_form(fit))

    def meta(self) -> dict:
        return {"vocabulary": self.vocabulary}

    @classmethod
    def extra(cls, data: FitData, meta: dict) -> dict:
        return {"vocabulary": meta["vocabulary"]}

    def _features(self, counts: Counter) -> tuple[np.ndarray, np.ndarray]:
        return _tfidf(self._index, self.idf, counts)

    def logits(self, q: Queries) -> np.ndarray:
        """``(n, classes)`` unnormalised log-probabilities of the texts."""
        out = np.tile(self.bias, (len(q), 1))
        for r, text in enumerate(q.texts):
            idx, val = self._features(letter_ngrams(text))
            if len(idx):
                out[r] += self.weights[:, idx] @ val
        return out
