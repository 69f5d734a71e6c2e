"""The task classifier: logistic regression and nearest neighbours over question embeddings.

Both learn from the embeddings of every task's label, aliases and user-style
example questions.  The regression is trained when the task space is built
(scikit-learn) and kept as two arrays; the neighbours are the example vectors
themselves.  Answering a question needs only matrix products.  The two views
disagree in useful ways: the regression generalises from words that mark a
task, the neighbours follow the closest examples (and stay sensible on odd
inputs such as one word repeated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["TaskClassifier"]

#: Neighbours consulted, and the temperature that weights them by cosine (measured on the dev half).
NEIGHBOURS = 20
NEIGHBOUR_TEMPERATURE = 0.05


@dataclass
class TaskClassifier:
    """``log softmax(W @ x + b) + knn_weight * log p_neighbours(x)``, renormalised, over ``classes``."""

    classes: list[str]
    weights: np.ndarray  # (classes, dim)
    bias: np.ndarray  # (classes,)
    examples: np.ndarray  # (n, dim) training vectors
    labels: np.ndarray  # (n,) index into classes

    @classmethod
    def train(cls, vectors: np.ndarray, labels: Sequence[str], c: float = 3.0) -> TaskClassifier:
        """Multinomial logistic regression (L2, inverse strength ``c``) on unit vectors; the vectors
        are kept for the neighbours."""
        classes = sorted(set(labels))
        index = np.array([classes.index(x) for x in labels], np.int32)
        if len(classes) < 2:
            return cls(classes, np.zeros((len(classes), vectors.shape[1]), np.float32),
                       np.zeros(len(classes), np.float32), vectors.astype(np.float32), index)
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=c, max_iter=5000).fit(vectors, list(labels))
        assert [str(x) for x in model.classes_] == classes
        return cls(classes, model.coef_.astype(np.float32), model.intercept_.astype(np.float32),
                   vectors.astype(np.float32), index)

    def log_probabilities(self, vectors: np.ndarray, knn_weight: float = 1.0) -> np.ndarray:
        """``(n, classes)`` log-probabilities for ``(n, dim)`` unit vectors."""
        q = np.atleast_2d(np.asarray(vectors, np.float32))
        z = q @ self.weights.T + self.bias
        z = z - z.max(axis=1, keepdims=True)
        z = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        if knn_weight and len(self.examples):
            sims = q @ self.examples.T
            k = min(NEIGHBOURS, sims.shape[1])
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            near = np.take_along_axis(sims, top, axis=1)
            weight = np.exp((near - near.max(axis=1, keepdims=True)) / NEIGHBOUR_TEMPERATURE)
            votes = np.full((len(q), len(self.classes)), 1e-3)
            np.add.at(votes, (np.repeat(np.arange(len(q)), k), self.labels[top].ravel()), weight.ravel())
            z = z + knn_weight * np.log(votes / votes.sum(axis=1, keepdims=True))
        m = z.max(axis=1, keepdims=True)
        return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))

    def probs(self, vector: np.ndarray, knn_weight: float = 1.0) -> dict[str, float]:
        """Task id -> probability for one unit vector."""
        p = np.exp(self.log_probabilities(vector, knn_weight)[0])
        return dict(zip(self.classes, (p / p.sum()).tolist(), strict=True))
