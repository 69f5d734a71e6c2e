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


def test_an_existing_unwritable_out_dir_is_refused_for_many_photos_as_for_one(photo, tmp_path, monkeypatch):
    """An --out-dir that exists but cannot be written in was refused for one photo (exit 2) but not for a folder or
    several photos: each was tried and failed, exit 1.  (Root writes through permission bits, so the folder is made
    unwritable where the check asks.)"""
    import os

    import scientist.restore.outputs as outputs

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(outputs.os, "access", lambda p, mode: False if os.fspath(p) == str(locked)
                        else real_access(p, mode))
    second = tmp_path / "IMG_2.png"
    second.write_bytes(photo.read_bytes())
    for args in ([photo, second], [tmp_path], [photo]):
        code, _, lines = run_cli("restore", *args, "--out-dir", locked, inputs=[photo, second])
        assert_one_line_error(code, lines, f"{locked}: output folder is not writable")
    assert list(locked.iterdir()) == []


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


#: `scientist restore PHOTO` in a process of its own, whose network holds the outputs' names until a signal comes.
_HELD_RESTORE = """
import pathlib, sys, time
import scientist.restore.blend as blend
photo, started = sys.argv[1], pathlib.Path(sys.argv[2])

def held(*args, **kwargs):
    started.write_text("the network is running")
    time.sleep(60)

blend.restore_array = held
from scientist.cli import main
sys.argv = ["scientist", "restore", photo]
main()
"""


def test_sigterm_during_restore_exits_143_and_leaves_nothing(tmp_path):
    """kill -TERM cleans up as Ctrl-C does: the names held for the outputs are given up (their hidden .lock files
    were left behind once), nothing else is written, and the exit code is 143."""
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "photos"
    folder.mkdir()
    photo = folder / "IMG_1.png"
    Image.fromarray((np.random.default_rng(0).random((24, 32, 3)) * 255).astype(np.uint8)).save(photo)
    started = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", _HELD_RESTORE, str(photo), str(started)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.exists(), proc.communicate(timeout=30)[1] if proc.poll() is not None else "no start in 60 s"
        held = [".IMG_1_compare.png.lock", ".IMG_1_restored.png.lock", "IMG_1.png"]
        assert sorted(p.name for p in folder.iterdir()) == held  # the outputs' names are held while it runs
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "terminated: nothing was left half-written"
    assert sorted(p.name for p in folder.iterdir()) == ["IMG_1.png"]


def test_sigterm_is_taken_only_while_a_command_runs():
    """The handler is put in place for the command and the one before is put back after (the test process's own
    here), so that a program running the CLI in-process keeps its own SIGTERM handling."""
    import signal

    before = signal.getsignal(signal.SIGTERM)
    code, _, _ = run_cli("settings")
    assert code == 0 and signal.getsignal(signal.SIGTERM) is before


def test_write_into_missing_folder_raises_typed_error(tmp_path):
    with pytest.raises(OutputError):
        write_image_atomic(np.zeros((2, 2, 3), np.float32), tmp_path / "missing" / "x.png")
