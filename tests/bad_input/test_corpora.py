"""Corpora and catalogs through the CLI: malformed files, unsafe links, empty and large corpora."""

from __future__ import annotations

import json
import time

import pytest

from ..helpers import assert_one_line_error, run_cli


@pytest.mark.parametrize("name,content,match", [
    ("bad.yaml", "records: [", "invalid YAML"),
    ("bad.json", "[{]", "invalid JSON"),
    ("bad.jsonl", '{"name": "a"}\n{', "line 2"),
    ("bad.json", '{"records": 5}', "list of records"),
    ("bad.csv", "a,b", "unsupported file type"),
    # values that are no text were stored as Python wrote them: "nan", "True", "{'a': 1}", "['A', 'B']", "b'hello'"
    ("nan.json", '[{"name": NaN}]', "nan.json: holds NaN, which JSON does not allow"),
    ("inf.jsonl", '{"name": "A", "summary": "s", "dataset": -Infinity}', "holds -Infinity, which JSON does not allow"),
    ("bool.json", '[{"name": true}]', "record 1: its title field must be text, not true or false"),
    ("map.json", '[{"name": {"a": 1}}]', "its title field must be text, not a mapping"),
    ("list.json", '[{"name": "A", "summary": ["one", "two"]}]', "its summary field must be text, not a list"),
    ("bin.yaml", "records:\n  - name: !!binary aGVsbG8=\n", "its title field must be text, not binary data"),
    ("nan.yaml", "records:\n  - name: .nan\n", "its title field must be text, not NaN"),
])
def test_malformed_catalogs(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_text(content)
    code, _, lines = run_cli("ask", "how does it reduce noise?", "--corpus", path, inputs=[path])
    assert_one_line_error(code, lines, match)
    code, _, lines = run_cli("corpus", "add", path, inputs=[path])
    assert_one_line_error(code, lines, match)


def test_a_number_given_for_a_text_field_is_read_as_text(tmp_path):
    path = tmp_path / "n.json"
    path.write_text('[{"name": 1984, "id": 17, "summary": "A photo model."}]')
    code, out, _ = run_cli("corpus", "add", path, inputs=[path])
    assert code == 0 and "added 17\tmodel\t1984" in out
    dated = tmp_path / "d.yaml"  # YAML reads it as a date
    dated.write_text("records:\n  - name: 2021-03-01\n    summary: A photo model of that day.\n")
    code, out, _ = run_cli("corpus", "add", dated, inputs=[dated])
    assert code == 0 and "\t2021-03-01" in out


def test_unsafe_links_are_never_rendered(tmp_path, fake_cli_embedder):
    path = tmp_path / "c.json"
    record = {"name": "DenoiseNet", "github": "javascript:alert(1)", "paper": "file:///etc/passwd",
              "summary": "A network that removes noise from photos."}
    spaced = {"name": "Spaced", "github": "https://example.org/a b", "summary": "A network that sharpens photos."}
    path.write_text(json.dumps([record, spaced]))
    code, out, lines = run_cli("ask", "how do networks remove noise from photos?", "--corpus", path, inputs=[path])
    assert code == 0
    assert any("only http(s) links are kept" in ln for ln in lines)
    assert any("'https://example.org/a b': a link holds no spaces" in ln for ln in lines), lines
    assert "javascript" not in out and "file://" not in out and "DenoiseNet" in out


def test_records_without_names_and_duplicates_warn(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps([{"github": "https://github.com/a/b"}, {"id": "x", "name": "Denoiser X"},
                                {"id": "x", "name": "Other"}]))
    code, out, lines = run_cli("corpus", "list", "--corpus", path, inputs=[path])
    assert code == 0
    assert any("without a name" in ln for ln in lines) and any("duplicate" in ln for ln in lines)
    assert out.count("\n") == 1


def test_empty_corpus_refuses_honestly(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, _ = run_cli("ask", "how does it reduce noise?", "--corpus", empty, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["in_scope"] is False and data["references"] == [] and data["nearest"] == []
    assert "corpus is empty" in data["markdown"]


def test_a_task_the_taxonomy_does_not_know_is_left_out_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIENTIST_HOME", str(tmp_path / "home"))
    path = tmp_path / "c.yaml"
    path.write_text("records:\n  - name: Grain Remover\n    summary: A network that removes noise from photos.\n"
                    "    tasks: [not-a-task]\n  - name: Sharpener\n    summary: It sharpens blurry photos.\n"
                    "    tasks: [Image deblurring, deblurrring]\n")
    code, out, lines = run_cli("ask", "how does it remove noise from photos?", "--corpus", path, "--json",
                               inputs=[path])
    assert code == 0, lines
    assert any("grain-remover: the taxonomy has no task 'not-a-task': its tasks are read from its text" in ln
               for ln in lines), lines
    assert any("sharpener: the taxonomy has no task 'deblurrring' (did you mean 'deblurring'?): left out" in ln
               for ln in lines), lines
    assert json.loads(out)["task"]["id"] == "denoising"
    # added to the user's corpus, a record keeps only the tasks the taxonomy knows, so later questions work
    code, _, lines = run_cli("corpus", "add", path, inputs=[path])
    assert code == 0 and any("not-a-task" in ln for ln in lines)
    stored = "".join(p.read_text() for p in (tmp_path / "home" / "corpus").iterdir())
    assert "not-a-task" not in stored and "deblurrring" not in stored and "- deblurring" in stored
    code, out, lines = run_cli("ask", "how does it remove noise from photos?")
    assert code == 0, lines


@pytest.mark.parametrize("content", ["records:\n  - name: the\n", 'records:\n  - name: "???"\n',
                                     "records:\n  - name: a\n    summary: ''\n"])
def test_a_catalog_without_a_word_to_index_is_answered(tmp_path, content):
    path = tmp_path / "c.yaml"
    path.write_text(content)
    code, out, lines = run_cli("ask", "how does it remove noise?", "--corpus", path, "--json", inputs=[path])
    assert code == 0, lines
    assert not any("warning" in ln for ln in lines), lines
    assert json.loads(out)["in_scope"] is False


@pytest.mark.slow
def test_ten_thousand_record_catalog(tmp_path):
    words = ["denoising", "deblurring", "segmentation", "captioning", "speech", "translation", "detection"]
    rows = [{"name": f"Model {i}", "github": f"https://github.com/example/model-{i}",
             "summary": f"Model {i} for {words[i % len(words)]}."} for i in range(10_000)]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    t = time.perf_counter()
    code, out, lines = run_cli("ask", "how does it reduce noise in photos?", "--corpus", path, "--json", inputs=[path])
    elapsed = time.perf_counter() - t
    assert code == 0, lines
    assert any("indexing 10000 records" in ln for ln in lines)
    refs = json.loads(out)["references"]
    assert refs and all(r["github"].startswith("https://github.com/example/") for r in refs)
    assert elapsed < 600
