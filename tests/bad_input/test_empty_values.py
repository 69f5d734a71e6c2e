"""Empty values, as an unset shell variable gives them: a path that is "" is never the current folder, and a
setting set to "" is no setting."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from ..helpers import assert_one_line_error, run_cli


@pytest.fixture
def photo_here(tmp_path, monkeypatch):
    """A photo in the working folder, which an empty path would have meant."""
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.full((24, 32, 3), 40, np.uint8)).save(tmp_path / "a.png")
    return tmp_path


@pytest.mark.parametrize("args, name", [
    (["restore", ""], "photos"),
    (["restore", "a.png", ""], "photos"),
    (["restore", "a.png", "--out-dir", ""], "--out-dir"),
    (["restore", "a.png", "--out", ""], "--out"),
    (["restore", "a.png", "--weights", "  "], "--weights"),
    (["ask", "how does it reduce noise?", "--photo", ""], "--photo"),
    (["ask", "how does it reduce noise?", "--corpus", ""], "--corpus"),
    (["corpus", "add", ""], "files"),
    (["--config", "", "settings"], "--config"),
])
def test_an_empty_path_on_the_command_line_is_refused(photo_here, args, name):
    code, _, lines = run_cli(*args, inputs=[photo_here / "a.png"])
    assert_one_line_error(code, lines, f"'{name}': an empty path")
    assert sorted(p.name for p in photo_here.iterdir()) == ["a.png"]  # nothing restored or written here


def test_an_empty_path_in_the_library_is_refused(photo_here):
    from scientist import OptionError, Scientist

    sci = Scientist()
    for call in (lambda: sci.restore_many(""), lambda: sci.restore_many(["a.png", " "]),
                 lambda: sci.demo("a.png", out_dir=""), lambda: sci.ask("how does it reduce noise?", photo=""),
                 lambda: Scientist(corpus="")):
        with pytest.raises(OptionError, match="empty path"):
            call()
    assert sorted(p.name for p in photo_here.iterdir()) == ["a.png"]


def test_an_empty_folder_setting_means_its_default(photo_here, monkeypatch):
    from scientist import ConfigError, Settings

    monkeypatch.setenv("SCIENTIST_CACHE", "")
    monkeypatch.setenv("SCIENTIST_HOME", " ")
    settings = Settings()
    assert settings.cache is None and settings.home is None
    assert settings.cache_dir != photo_here and photo_here not in settings.cache_dir.parents
    assert settings.user_dir != photo_here
    monkeypatch.setenv("SCIENTIST_MCP_ALLOW", '["", "x"]')
    with pytest.raises(ConfigError, match="SCIENTIST_MCP_ALLOW must not be an empty path"):
        Settings()


@pytest.mark.parametrize("variable, value, match", [
    ("SCIENTIST_EMBEDDING_WEIGHT", "inf", "finite"),
    ("SCIENTIST_RELEVANCE_CUTOFF", "nan", "finite"),
    ("SCIENTIST_STRONG_MATCH", "5", "from -1 to 1"),
    ("SCIENTIST_REFERENCE_FLOOR", "-1.5", "from -1 to 1"),
])
def test_numbers_that_no_setting_can_hold_are_refused(monkeypatch, variable, value, match):
    monkeypatch.setenv(variable, value)
    code, _, lines = run_cli("ask", "how does it reduce noise?")
    assert_one_line_error(code, lines, f"{variable} must be")
    assert match in lines[-1]


def test_settings_made_in_code_raise_config_errors():
    from scientist import ConfigError, Scientist, Settings, load_settings
    from scientist.errors import OptionError

    for values, match in (({"k": 0}, "invalid setting k"), ({"k": "x"}, "invalid setting k"),
                          ({"bogus": 1}, "no such setting"), ({"relevance_cutoff": float("inf")}, "finite")):
        with pytest.raises(ConfigError, match=match):
            Settings(**values)
    with pytest.raises(ConfigError, match="must be a path"):
        load_settings(5)
    with pytest.raises(OptionError, match="must be a Settings"):
        Scientist(settings=os.environ)
    with pytest.raises(OptionError, match="must be a path"):
        Scientist(corpus=5)
    sci = Scientist()
    for k in (0, -1, "x", 2.5, True):
        with pytest.raises(OptionError, match="invalid argument k"):
            sci.as_retriever(k=k)
        with pytest.raises(OptionError, match="invalid argument k"):
            sci.retrieve("how does it reduce noise?", k)
    assert len(sci.as_retriever(k=1).invoke("how does it reduce noise?")) == 1
    assert len(sci.retrieve("how does it reduce noise?", 500)) == len(sci.corpus)  # the whole ranking
