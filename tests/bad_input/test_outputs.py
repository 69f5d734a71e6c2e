"""Outputs: never over the input, never half-written, a safe policy for existing files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scientist.errors import OutputError
from scientist.restore.save import write_image_atomic

from ..helpers import assert_one_line_error, run_cli


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "IMG_1.png"
    Image.fromarray((np.random.default_rng(0).random((24, 32, 3)) * 255).astype(np.uint8)).save(path)
    return path


def test_output_equal_to_input_is_refused(photo):
    code, _, lines = run_cli("restore", photo, "--out", photo, "--overwrite", inputs=[photo])
    assert_one_line_error(code, lines, "overwrite the input")


def test_output_folder_missing_or_unwritable(photo, tmp_path):
    code, _, lines = run_cli("restore", photo, "--out", tmp_path / "no" / "dir" / "o.png", inputs=[photo])
    assert_one_line_error(code, lines, "does not exist")
    code, _, lines = run_cli("restore", photo, "--out", "/proc/scientist_o.png", inputs=[photo])
    assert code == 2 and len([ln for ln in lines if not ln.startswith("warning")]) == 1


@pytest.mark.slow  # runs the bundled network
def test_existing_outputs_are_kept(photo, tmp_path):
    (tmp_path / "IMG_1_restored.png").write_bytes(b"earlier result")
    code, out, lines = run_cli("restore", photo, inputs=[photo])
    assert code == 0, lines
    assert (tmp_path / "IMG_1_restored.png").read_bytes() == b"earlier result"
    assert (tmp_path / "IMG_1_restored-2.png").is_file()
    explicit = tmp_path / "mine.png"
    explicit.write_bytes(b"mine")
    code, _, lines = run_cli("restore", photo, "--out", explicit, inputs=[photo, explicit])
    assert_one_line_error(code, lines, "already exists")
    code, _, lines = run_cli("restore", photo, "--out", explicit, "--overwrite", inputs=[photo])
    assert code == 0 and Image.open(explicit).size == (32, 24)


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "out.png"

    def boom(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        write_image_atomic(np.zeros((4, 4, 3), np.float32), target)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_restore_exits_130_without_outputs(photo, tmp_path, monkeypatch):
    import scientist.restore.blend as blend

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(blend, "restore_array", interrupted)
    code, _, lines = run_cli("restore", photo, inputs=[photo])
    assert code == 130 and "interrupted" in lines[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["IMG_1.png"]  # no outputs, no held names left


def test_write_into_missing_folder_raises_typed_error(tmp_path):
    with pytest.raises(OutputError):
        write_image_atomic(np.zeros((2, 2, 3), np.float32), tmp_path / "missing" / "x.png")
