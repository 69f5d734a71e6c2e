"""Template rendering: compiled templates are cached between processes, never at the cost of an answer."""

from __future__ import annotations

import os

import pytest

from scientist.render import Renderer


def test_compiled_templates_are_cached_and_reused(tmp_path):
    first = Renderer(cache=tmp_path)
    text = first.phrase("note_out_of_scope", n=3, task=None)
    assert text and list((tmp_path / "jinja").iterdir()), "no compiled template was cached"
    assert Renderer(cache=tmp_path).phrase("note_out_of_scope", n=3, task=None) == text


def test_an_edited_template_is_not_served_from_the_cache(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "phrases.j2").write_text("{% macro hello(x) %}hello {{ x }}{% endmacro %}")
    assert Renderer(folder, cache=tmp_path).phrase("hello", x="a") == "hello a"
    (folder / "phrases.j2").write_text("{% macro hello(x) %}goodbye {{ x }}{% endmacro %}")
    assert Renderer(folder, cache=tmp_path).phrase("hello", x="a") == "goodbye a"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_cache_is_skipped(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert Renderer(cache=ro).phrase("note_out_of_scope", n=3, task=None)
    finally:
        ro.chmod(0o700)


def test_cache_path_that_is_a_file_is_skipped(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = Renderer(cache=blocker)
    assert r.env.bytecode_cache is None
    assert r.phrase("note_out_of_scope", n=3, task=None)
