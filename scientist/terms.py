"""Word matches between a question and the records: BM25 over each record's text.

A sentence embedding reads a question's gist; it blurs the rare words that tie a
question to one record ("co-attention", "Objaverse", "SimOTA", "superpixels").
BM25 weighs exactly those.  Its scores serve as one more view of the question's
task (:class:`TermView`): a record that matches the question far better than the
typical record lends its own task weight (:func:`scientist.judge.term_evidence`).

The index is built with ``bm25s`` (its tokenizer, English stop words, BM25 weights)
and kept as the three arrays of its sparse term x record score matrix plus the
vocabulary.  Scoring a question only sums columns of that matrix, so it is done
here with NumPy: importing ``bm25s`` (and through it ``scipy.sparse``) costs about
0.13 s, which a cold ``ask`` does not need to pay.  ``tests/test_terms.py``
proves the scores equal ``bm25s``'s own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .judge import task_matrix, term_evidence
from .views import BaseView, CorpusData, Queries

__all__ = ["RecordTerms", "TermView"]

#: bm25s's default tokenizer: lower-cased runs of two or more word characters.
TOKEN = re.compile(r"(?u)\b\w\w+\b")


@dataclass
class RecordTerms:
    """BM25 scores of ``vocabulary`` terms per record, as a compressed sparse column matrix."""

    vocabulary: list[str]
    data: np.ndarray  # (nnz,) float32 scores
    indices: np.ndarray  # (nnz,) record of each score
    indptr: np.ndarray  # (len(vocabulary) + 1,) where each term's column starts
    n_records: int
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._ids = {t: i for i, t in enumerate(self.vocabulary)}

    @classmethod
    def build(cls, texts: Sequence[str]) -> RecordTerms:
        """BM25 (bm25s's defaults: k1 1.5, b 0.75, Lucene IDF) over ``texts``, English stop words removed."""
        empty = cls([], np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), len(texts))
        if not texts:
            return empty
        import bm25s

        # bm25s sets its own logger to DEBUG as it is imported: a server's log handler printed its progress lines
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        tokens = bm25s.tokenize(list(texts), stopwords="en", show_progress=False)
        if not tokens.vocab:  # only stop words and single letters ("the", "???"): no term to weigh
            return empty
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        s = model.scores
        columns = len(s["indptr"]) - 1  # bm25s's vocabulary ends with "" (the empty text's token), no column
        vocabulary = [t for t, i in sorted(model.vocab_dict.items(), key=lambda kv: kv[1]) if i < columns]
        assert len(vocabulary) == columns and "" not in vocabulary
        return cls(vocabulary, np.asarray(s["data"], np.float32), np.asarray(s["indices"], np.int32),
                   np.asarray(s["indptr"], np.int64), int(s["num_docs"]))

    def arrays(self) -> dict[str, np.ndarray]:
        """The matrix as named arrays (for the cache); the vocabulary goes in the manifest."""
        return {"terms_data": self.data, "terms_indices": self.indices, "terms_indptr": self.indptr}

    @classmethod
    def from_arrays(cls, vocabulary: list[str], arrays: dict[str, np.ndarray], n_records: int) -> RecordTerms:
        return cls(vocabulary, arrays["terms_data"], arrays["terms_indices"], arrays["terms_indptr"], n_records)

    def scores(self, question: str) -> np.ndarray:
        """``(n_records,)`` BM25 score of each record for the question, each distinct word counted once (a
        question that repeats a word must not multiply its weight)."""
        out = np.zeros(self.n_records, np.float32)
        for word in dict.fromkeys(TOKEN.findall(question.lower())):
            i = self._ids.get(word)
            if i is not None:
                a, b = self.indptr[i], self.indptr[i + 1]
                out[self.indices[a:b]] += self.data[a:b]
        return out



class TermView(BaseView):
    """The records' word matches: each task gets how far its best-matching record's BM25 score stands above
    the median record's (:func:`scientist.judge.term_evidence`)."""

    name, weight, scope = "terms", "term_weight", "corpus"
    PARAMS: ClassVar[str] = "bm25s"

    def __init__(self, terms: RecordTerms, classes: list[str], record_tasks: list[list[str]]) -> None:
        self.terms = terms
        self.classes = classes
        self.matrix = task_matrix(record_tasks)

    @classmethod
    def fit(cls, data: CorpusData) -> TermView:
        return cls(RecordTerms.build(data.texts), data.classes, data.record_tasks)

    def arrays(self) -> dict[str, np.ndarray]:
        return self.terms.arrays()

    def meta(self) -> dict:
        return {"vocabulary": self.terms.vocabulary}

    @classmethod
    def load(cls, data: CorpusData, arrays: dict[str, np.ndarray], meta: dict) -> TermView:
        terms = RecordTerms.from_arrays(meta["vocabulary"], arrays, len(data.records))
        if len(terms.indptr) != len(terms.vocabulary) + 1:
            raise ValueError("the term matrix does not match its vocabulary")
        return cls(terms, data.classes, data.record_tasks)

    def logits(self, q: Queries) -> np.ndarray | None:
        rows = []
        for text in q.texts:
            evidence = term_evidence(self.terms.scores(text), self.matrix)
            rows.append(np.array([evidence.get(c, 0.0) for c in self.classes], np.float64))
        return np.array(rows) if any(r.any() for r in rows) else None
