"""Photos, folders and output places the system will not let this tool read or look into: one line naming the
path and the system's reason, exit code 2; in a batch, a folder that cannot be listed is a failure of its own.

The denials are made by patching the file system calls (``chmod 000`` means nothing to root, who runs CI)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scientist.errors import PhotoError
from scientist.restore import photo as photo_mod

from ..helpers import assert_one_line_error, run_cli


def _photo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.random.default_rng(0).random((24, 32, 3)) * 90).astype(np.uint8)).save(path)
    return path


def _denied(path) -> OSError:
    return PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))


@pytest.fixture
def locked(monkeypatch):
    """Any path with a part named ``locked`` below it cannot be looked at, as under a folder of mode 000; the folder
    ``locked`` itself cannot be listed."""
    def below(p) -> bool:
        parts = Path(p).parts
        return "locked" in parts[:-1]

    for name in ("stat", "exists", "is_dir", "is_file"):
        original = getattr(Path, name)

        def patched(self, *args, _original=original, **kwargs):
            if below(self):
                raise _denied(self)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Path, name, patched)
    scandir = os.scandir

    def no_listing(path="."):
        if Path(path).name == "locked":
            raise _denied(path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", no_listing)


def test_a_photo_in_a_folder_that_cannot_be_looked_into(tmp_path, locked, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _photo(tmp_path / "locked" / "c.png")
    code, _, lines = run_cli("restore", "locked/c.png")
    assert_one_line_error(code, lines, "locked/c.png: cannot read (Permission denied)")


def test_outputs_in_a_folder_that_cannot_be_looked_into(tmp_path, locked, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok = _photo(tmp_path / "ok.png")
    code, _, lines = run_cli("restore", "ok.png", "--out-dir", "locked/sub", inputs=[ok])
    assert_one_line_error(code, lines, "locked/sub: cannot use this output folder (Permission denied)")
    code, _, lines = run_cli("restore", "ok.png", "--out", "locked/x.png", inputs=[ok])
    assert_one_line_error(code, lines, "locked/x.png: cannot write there (Permission denied)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.png"]  # nothing made


def test_a_folder_that_cannot_be_listed_is_said_so_not_empty(tmp_path, locked, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "locked").mkdir()
    code, _, lines = run_cli("restore", "locked", "--out-dir", "out")
    assert_one_line_error(code, lines, "locked: cannot read the folder (Permission denied)")
    assert "no photos found" not in lines[0]


def test_a_subfolder_that_cannot_be_listed_fails_and_the_others_are_restored(tmp_path, locked, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = _photo(tmp_path / "trip" / "a.png")
    (tmp_path / "trip" / "locked").mkdir()
    code, out, _ = run_cli("restore", "trip", "-r", "--out-dir", "out", inputs=[a])
    assert code == 1  # something the person asked for was not done
    assert "trip/locked/" in out and "cannot read this folder (Permission denied)" in out
    assert "1 restored, 0 skipped, 0 failed of 1 photo in" in out and "1 folder could not be read" in out
    assert (tmp_path / "out" / "trip" / "a_restored.png").is_file()
    # the JSON records say which entry is a folder
    code, out, _ = run_cli("restore", "trip", "-r", "--out-dir", "out", "--json", inputs=[a])
    records = {r["name"]: r for r in json.loads(out)}
    assert records["trip/a.png"]["status"] == "skipped" and records["trip/a.png"]["folder"] is False
    assert records["trip/locked/"]["status"] == "failed" and records["trip/locked/"]["folder"] is True
    # named on the command line beside a photo, the folder is shown as it was named
    code, out, _ = run_cli("restore", "trip/locked", "trip/a.png", "--out-dir", "out2", inputs=[a])
    assert code == 1 and "trip/locked/" in out and "1 restored" in out


def test_a_photo_the_system_will_not_read_is_not_called_damaged(tmp_path):
    p = _photo(tmp_path / "unread.png")
    with pytest.raises(PhotoError, match=r"unread.png: cannot read \(Permission denied\)"):
        with photo_mod._failures(p):
            raise _denied(p)
    with pytest.raises(PhotoError, match="damaged or truncated"):  # a decoder's own complaint has no errno
        with photo_mod._failures(p):
            raise OSError("image file is truncated")
