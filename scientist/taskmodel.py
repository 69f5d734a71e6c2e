"""The task classifier: logistic regression and nearest neighbours over question embeddings,
and a logistic regression over the question's letter n-grams.

All three learn from every task's label, aliases and user-style example
questions.  The embedding regression is trained when the task space is built
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

import numpy as np

__all__ = ["LexicalModel", "TaskClassifier", "letter_ngrams"]

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
#: Everything above that shapes a trained classifier (a cached one is rebuilt when it changes).
TRAINING = (EMBEDDING_C, NGRAMS, MIN_TEXTS, LEXICAL_C)


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


def _softmax_form(fit) -> tuple[np.ndarray, np.ndarray]:
    """A fitted scikit-learn logistic regression as float32 (classes, dim) weights and (classes,) biases of a
    softmax, in ``fit.classes_`` order (with two classes scikit-learn keeps one row: the second class's logit)."""
    coef, intercept = fit.coef_, fit.intercept_
    if len(fit.classes_) == 2:
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return coef.astype(np.float32), intercept.astype(np.float32)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def _tfidf(index: dict[str, int], idf: np.ndarray, counts: Counter) -> tuple[np.ndarray, np.ndarray]:
    """(indices, unit-length TF-IDF values) of the n-grams of ``counts`` that ``index`` knows."""
    pairs = [(index[g], k) for g, k in counts.items() if g in index]
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx = np.array([i for i, _ in pairs], np.int64)
    val = (1 + np.log(np.array([k for _, k in pairs], np.float32))) * idf[idx]
    return idx, val / np.linalg.norm(val)


@dataclass
class LexicalModel:
    """Multinomial logistic regression over TF-IDF weighted letter n-grams (sublinear counts, smoothed
    IDF, unit length)."""

    vocabulary: list[str]
    idf: np.ndarray  # (V,)
    weights: np.ndarray  # (classes, V)
    bias: np.ndarray  # (classes,)
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {g: i for i, g in enumerate(self.vocabulary)}

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str]) -> LexicalModel:
        """Fitted on ``texts``; its classes are the sorted set of ``labels``."""
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

    def _features(self, counts: Counter) -> tuple[np.ndarray, np.ndarray]:
        return _tfidf(self._index, self.idf, counts)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, classes)`` unnormalised log-probabilities."""
        out = np.tile(self.bias, (len(texts), 1))
        for r, text in enumerate(texts):
            idx, val = self._features(letter_ngrams(text))
            if len(idx):
                out[r] += self.weights[:, idx] @ val
        return out


@dataclass
class TaskClassifier:
    """``log softmax(W @ x + b) + knn_weight * log p_neighbours(x) + lexical_weight * log p_lexical(text)``,
    renormalised, over ``classes``."""

    classes: list[str]
    weights: np.ndarray  # (classes, dim)
    bias: np.ndarray  # (classes,)
    examples: np.ndarray  # (n, dim) training vectors
    labels: np.ndarray  # (n,) index into classes
    lexical: LexicalModel | None = None

    @classmethod
    def train(cls, vectors: np.ndarray, labels: Sequence[str], texts: Sequence[str]) -> TaskClassifier:
        """Multinomial logistic regression (L2, :data:`EMBEDDING_C`) on unit vectors, the vectors kept
        for the neighbours, and the letter n-gram regression on ``texts`` (the texts of ``vectors``)."""
        classes = sorted(set(labels))
        index = np.array([classes.index(x) for x in labels], np.int32)
        if len(classes) < 2:
            return cls(classes, np.zeros((len(classes), vectors.shape[1]), np.float32),
                       np.zeros(len(classes), np.float32), vectors.astype(np.float32), index)
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=EMBEDDING_C, max_iter=5000).fit(vectors, list(labels))
        assert [str(x) for x in model.classes_] == classes
        return cls(classes, *_softmax_form(model), vectors.astype(np.float32), index, LexicalModel.train(texts, labels))

    def arrays(self) -> dict[str, np.ndarray]:
        """The classifier as named arrays (for the cache); :meth:`from_arrays` puts it back together."""
        out = {"weights": self.weights, "bias": self.bias, "examples": self.examples, "labels": self.labels}
        if self.lexical is not None:
            out |= {"lexical_idf": self.lexical.idf, "lexical_weights": self.lexical.weights,
                    "lexical_bias": self.lexical.bias}
        return out

    @classmethod
    def from_arrays(cls, classes: list[str], arrays: dict[str, np.ndarray],
                    vocabulary: list[str] | None) -> TaskClassifier:
        lexical = None if vocabulary is None else LexicalModel(
            vocabulary, arrays["lexical_idf"], arrays["lexical_weights"], arrays["lexical_bias"])
        return cls(classes, arrays["weights"], arrays["bias"], arrays["examples"], arrays["labels"], lexical)

    def log_probabilities(self, vectors: np.ndarray, knn_weight: float = 1.0, texts: Sequence[str] | None = None,
                          lexical_weight: float = 1.0) -> np.ndarray:
        """``(n, classes)`` log-probabilities for ``(n, dim)`` unit vectors; ``texts`` (the texts of the
        vectors) add the letter n-gram view, weighted by ``lexical_weight``."""
        # each view's own normalisation is a constant per row, which the final log-softmax removes
        q = np.atleast_2d(np.asarray(vectors, np.float32))
        z = q @ self.weights.T + self.bias
        if knn_weight and len(self.examples):
            sims = q @ self.examples.T
            k = min(NEIGHBOURS, sims.shape[1])
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            near = np.take_along_axis(sims, top, axis=1)
            weight = np.exp((near - near.max(axis=1, keepdims=True)) / NEIGHBOUR_TEMPERATURE)
            votes = np.full((len(q), len(self.classes)), 1e-3)
            np.add.at(votes, (np.repeat(np.arange(len(q)), k), self.labels[top].ravel()), weight.ravel())
            z = z + knn_weight * np.log(votes)
        if lexical_weight and texts is not None and self.lexical is not None:
            z = z + lexical_weight * self.lexical.logits(texts)
        return _log_softmax(z)

    def probs(self, vector: np.ndarray, knn_weight: float = 1.0, text: str | None = None,
              lexical_weight: float = 1.0) -> dict[str, float]:
        """Task id -> probability for one unit vector (and its text, for the letter n-gram view)."""
        p = np.exp(self.log_probabilities(vector, knn_weight, None if text is None else [text], lexical_weight)[0])
        return dict(zip(self.classes, (p / p.sum()).tolist(), strict=True))
