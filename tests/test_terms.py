"""Word matches between questions and records: BM25 scores, the task evidence they lend, and the cache."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scientist.core import Scientist
from scientist.index import Index
from scientist.judge import task_matrix, term_evidence
from scientist.settings import Settings
from scientist.terms import RecordTerms

from .helpers import HashEmbedder, tiny_corpus

TEXTS = ["A detector that assigns training targets with SimOTA, anchor-free, for real-time boxes.",
         "Modular co-attention lets the words of a question and the regions of a photo attend to each other.",
         "Superpixels with flat colours and a texture branch turn photos into cartoons.",
         "A plain network that predicts the noise in a photo and subtracts it from the photo."]


@pytest.mark.parametrize("question", [
    "How does SimOTA assign targets?", "why CO-ATTENTION, and why attention at all??", "photo photo photo",
    "Please explain the photo noise. " * 50,
    "the of and", "nothing in common here", "", "Superpixels: flat colours in a photo (cartoon)"])
def test_scores_are_bm25s_scores(question):
    import bm25s

    terms = RecordTerms.build(TEXTS)
    model = bm25s.BM25()
    model.index(bm25s.tokenize(TEXTS, stopwords="en", show_progress=False), show_progress=False)
    words = [w for w in bm25s.tokenize([question], stopwords="en", return_ids=False, show_progress=False)[0]
             if w in model.vocab_dict]
    words = list(dict.fromkeys(words))  # each distinct word once
    want = model.get_scores(words) if words else np.zeros(len(TEXTS))
    assert np.allclose(terms.scores(question), want, atol=1e-5)
    assert terms.scores(question).shape == (len(TEXTS),)


def test_a_record_that_stands_out_lends_its_task():
    tasks_of = [["object-detection"], ["visual-question-answering"], ["style-transfer"], ["denoising"]]
    ids, has = task_matrix(tasks_of)
    terms = RecordTerms.build(TEXTS)
    rare = term_evidence(terms.scores("what is SimOTA label assignment?"), (ids, has))
    assert list(rare) == ["object-detection"] and rare["object-detection"] > 0.3
    # a word every record shares lends nothing: the median record matches as well as the best
    assert term_evidence(np.full(4, 2.5, np.float32), (ids, has)) == {}
    assert term_evidence(np.zeros(0, np.float32), ([], np.zeros((0, 0)))) == {}


def test_empty_corpus_scores_nothing():
    terms = RecordTerms.build([])
    assert terms.scores("anything at all").shape == (0,)


def test_terms_are_cached_with_the_index(tmp_path, monkeypatch):
    corpus = tiny_corpus()
    built = Index.open(corpus, HashEmbedder(), tmp_path).view("terms").terms
    monkeypatch.setattr(Index, "_build", lambda *_a: pytest.fail("built again instead of read from the cache"))
    again = Index.open(corpus, HashEmbedder(), tmp_path).view("terms").terms
    assert again.vocabulary == built.vocabulary and again.n_records == len(corpus)
    q = "How does a multi-scale network remove motion blur?"
    assert np.array_equal(again.scores(q), built.scores(q)) and again.scores(q).max() > 0


def test_a_question_sharing_a_rare_word_with_a_record_leans_to_its_task(tmp_path):
    # meaningless vectors: only the word match can lean the question one way
    records = [{"Model Unique Name": f"Model{i}", "Category": cat, "Summary": text}
               for i, (cat, text) in enumerate(zip(["Object Detection", "ImgTxt2Txt", "NST", "Denoise"], TEXTS,
                                                   strict=True))]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(records))
    question = "What does SimOTA change in training?"
    from scientist.ingest import load_records

    corpus = tiny_corpus(load_records(path))
    on = Scientist(corpus, cache_dir=tmp_path / "cache", embedder=HashEmbedder(), settings=Settings(term_weight=4.0))
    off = Scientist(corpus, cache_dir=tmp_path / "cache", embedder=HashEmbedder(),
                    settings=Settings(term_weight=0.0))
    assert on.index.record_tasks[0] == ["object-detection"]
    p_on, p_off = on._score(question)[1], off._score(question)[1]
    assert max(p_on, key=p_on.get) == "object-detection" and p_on["object-detection"] > 3 * p_off["object-detection"]
    others = [t for t in p_on if t != "object-detection"]
    assert all(p_on[t] <= p_off[t] + 1e-9 for t in others)
