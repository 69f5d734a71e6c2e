"""Seed documents and catalogs: parsing, field spellings, bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scientist.corpus import Corpus, load_corpus, load_tasks
from scientist.errors import CorpusError
from scientist.guard import AllowedLinks
from scientist.ingest import load_records, parse_catalog, parse_seed, read_seed

from .conftest import FIXTURES


def test_default_seed_is_parsed():
    seed = read_seed(FIXTURES / "seed_default.txt")
    assert seed.question.startswith("I took some grainy indoor photos")
    assert [r.kind for r in seed.records] == ["model", "paper", "paper"]
    model = seed.records[0]
    assert model.title == "Deblur-MIMO-UNet-RealBlur"
    assert model.github == "https://github.com/chosj95/MIMO-UNet"
    assert model.url.endswith("Cho_Rethinking_Coarse-To-Fine_Approach_in_Single_Image_Deblurring_ICCV_2021_paper.pdf")
    assert seed.records[1].url == "http://arxiv.org/pdf/2302.06549v1.pdf"
    assert seed.records[1].summary.startswith("Artificial intelligence and machine learning")
    assert seed.records[2].summary.endswith("conduct internal QA.")


def test_packaged_corpus_is_exactly_the_seed_records():
    seed = read_seed(FIXTURES / "seed_default.txt")
    corpus = load_corpus(include_user=False)
    assert len(corpus) == 3
    assert {u for r in seed.records for u in r.links()} == {u for r in corpus.records for u in r.links()}
    assert corpus.allowed_urls() == AllowedLinks.of(u for r in seed.records for u in r.links())  # and bare forms
    model = corpus.records[0]
    assert model.card is not None and model.card.workflow


def test_taxonomy_is_broad():
    tasks = load_tasks()
    ids = {t.id for t in tasks}
    assert len(tasks) >= 25
    assert {"denoising", "deblurring", "low-light-enhancement", "super-resolution", "inpainting",
            "synthetic-data-generation", "annotation-quality", "text-to-image"} <= ids


def test_catalog_field_spellings_and_extra_fields(tmp_path):
    rows = [
        {"Model Unique Name": "NAFNet", "Github": "https://github.com/megvii-research/NAFNet",
         "paper": "https://arxiv.org/abs/2204.04676", "Detailed Category": "Image denoising",
         "summary": "Simple baselines for image restoration.", "example_queries": ["ignore me"]},
        {"name": "Restormer", "GitHub": "https://github.com/swz30/Restormer", "dataset": "SIDD",
         "huggingface": "https://huggingface.co/spaces/swzamir/Restormer"},
    ]
    (tmp_path / "c.json").write_text(json.dumps(rows))
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    import yaml

    (tmp_path / "c.yaml").write_text(yaml.safe_dump(rows))
    for ext in ("json", "jsonl", "yaml"):
        recs = load_records(tmp_path / f"c.{ext}")
        assert [r.title for r in recs] == ["NAFNet", "Restormer"]
        assert recs[0].github == "https://github.com/megvii-research/NAFNet"
        assert recs[0].category == "Image denoising"
        assert "ignore me" not in recs[0].embed_text()
        assert recs[1].huggingface.startswith("https://huggingface.co/")
        assert recs[1].dataset == "SIDD"


def test_unsafe_links_are_dropped_with_a_warning():
    text = json.dumps([{"name": "X", "github": "javascript:alert(1)", "paper": "file:///etc/passwd"}])
    with pytest.warns(UserWarning, match="only http"):
        (rec,) = parse_catalog(text, "json")
    assert rec.github is None and rec.url is None


@pytest.mark.parametrize(
    "text,fmt,match",
    [
        ("[{", "json", "invalid JSON"),
        ("a: [b", "yaml", "invalid YAML"),
        ('{"name": "x"}\n{oops', "jsonl", "line 2"),
        ("42", "json", "list of records"),
        ("[1, 2]", "json", "not a mapping"),
    ],
)
def test_malformed_catalogs(text, fmt, match):
    with pytest.raises(CorpusError, match=match):
        parse_catalog(text, fmt)


def test_record_without_name_is_skipped_with_warning():
    with pytest.warns(UserWarning, match="without a name"):
        recs = parse_catalog(json.dumps([{"github": "https://github.com/a/b"}, {"name": "ok"}]), "json")
    assert [r.title for r in recs] == ["ok"]


def test_duplicate_ids_keep_the_first():
    recs = parse_catalog(json.dumps([{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]), "json")
    with pytest.warns(UserWarning, match="duplicate"):
        corpus = Corpus(recs, load_tasks())
    assert [r.title for r in corpus.records] == ["A"]


def test_category_tasks_match_codes_ids_labels_and_aliases_in_taxonomy_order():
    tasks = load_tasks()
    corpus = Corpus([], tasks)
    for t in tasks:
        for name in (*t.categories, t.id, t.label.upper(), *t.aliases):
            expected = [u.id for u in tasks if any(
                "".join(ch for ch in x.lower() if ch.isascii() and ch.isalnum()) ==
                "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())
                for x in (*u.categories, u.id, u.label, *u.aliases))]
            assert corpus.category_tasks(name) == expected
    assert corpus.category_tasks(None) == corpus.category_tasks("") == corpus.category_tasks("no such code") == []


@pytest.mark.parametrize("line", ["A user asked:", "The user wrote:", "Someone wants to know:",
                                  "A user has asked the following question:"])
def test_a_seed_may_say_who_asked_without_the_word_question(line):
    """"A user asked:" was "no question found": the line had to hold the word "question"."""
    seed = parse_seed(f'{line}\n"My night photos are grainy. How?"\n\n### Recommended AI Models:\nModel: X\n')
    assert seed.question == "My night photos are grainy. How?"


def test_seed_without_question_and_binary_files(tmp_path):
    with pytest.raises(CorpusError, match="no question"):
        parse_seed("### Recommended AI Models:\nModel: X\n")
    binary = tmp_path / "seed.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CorpusError):
        read_seed(binary)
    with pytest.raises(CorpusError, match="no such file"):
        read_seed(tmp_path / "missing.txt")
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(CorpusError, match="unsupported file type"):
        load_records(tmp_path / "x.csv")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_seed_parser_never_crashes(text):
    try:
        seed = parse_seed(text)
    except CorpusError:
        return
    assert seed.question
    for rec in seed.records:
        assert rec.title.strip()


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4),
                    max_leaves=20))
def test_catalog_parser_only_raises_corpus_errors(obj):
    try:
        recs = parse_catalog(json.dumps(obj), "json")
    except CorpusError:
        return
    for rec in recs:
        assert rec.title.strip()
        assert all(u.startswith(("http://", "https://")) for u in rec.links())
