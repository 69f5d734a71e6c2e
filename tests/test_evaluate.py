"""scientist eval: calibration error, category@1 and MRR, the answer key; the held-out figures (slow)."""

from __future__ import annotations

import pytest

from scientist.evaluate import evaluate, expected_calibration_error, load_key, load_questions

from .conftest import DATA

CATALOG = DATA / "catalog-eval"


def test_expected_calibration_error():
    assert expected_calibration_error([], []) == 0.0
    # stated 90% and right 9 times in 10: perfectly calibrated
    assert expected_calibration_error([0.9] * 10, [True] * 9 + [False]) == pytest.approx(0.0)
    # stated 90% and right half the time: 0.4 off
    assert expected_calibration_error([0.9] * 10, [True] * 5 + [False] * 5) == pytest.approx(0.4)
    # two bins, weighted by their share of questions
    ece = expected_calibration_error([0.95, 0.95, 0.35, 0.35], [True, True, False, False])
    assert ece == pytest.approx(0.5 * 0.05 + 0.5 * 0.35)


def test_evaluation_set_is_split_by_record_and_keyed():
    key = load_key(CATALOG / "key.yaml")
    dev, held = load_questions(CATALOG / "dev.yaml"), load_questions(CATALOG / "heldout.yaml")
    assert len(dev) + len(held) >= 300 and len(set(key)) >= 100 and len(set(key.values())) >= 20
    dev_records = {r for q in dev for r in q.references}
    held_records = {r for q in held for r in q.references}
    assert not dev_records & held_records, "a record has questions in both halves"
    for q in dev + held:
        assert q.task == [key[q.references[0]]]


def test_ranks_and_key_on_the_seed_corpus(sci):
    items = load_questions(DATA / "questions.yaml")[:6]
    report = evaluate(sci, items, {"deblur-mimo-unet-realblur": "denoising"})
    noise = report.rows[0]
    assert noise.task_ok and noise.rank == 1 and noise.top_record == "deblur-mimo-unet-realblur"
    assert 0 <= report.calibration_error <= 1 and 0 <= report.mrr <= 1
    assert "category@1" in report.table() and "calibration error" in report.table()


@pytest.mark.slow
def test_held_out_half(cache_dir, embedder):
    """Regression guard on the held-out half (the README reports the exact figures)."""
    from scientist.core import Scientist

    sci = Scientist(CATALOG / "catalog.yaml", cache_dir=cache_dir, embedder=embedder)
    report = evaluate(sci, load_questions(CATALOG / "heldout.yaml"), load_key(CATALOG / "key.yaml"))
    assert report.task_accuracy >= 0.85 and report.category_at_1 >= 0.85 and report.mrr >= 0.85
    assert report.calibration_error <= 0.10
