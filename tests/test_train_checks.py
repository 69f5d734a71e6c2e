"""`scientist train` refuses what could not work, or would lose work, before its first step: outputs it must not
replace, resume states and --init weights it cannot use, photos it cannot read, devices it cannot train on, folders
it cannot write, and a second run on the same weights file.  Every run here stops before training, or trains a
tiny network for a step or two on synthetic photos."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from scientist.errors import CheckpointError, OutputError
from scientist.fileio import hold_name
from scientist.restore.mimo_unet import MIMOUNet, MIMOUNetPlus
from scientist.restore.train import TRAIN_PHOTOS, train

from .helpers import assert_one_line_error, run_cli, tiny_network, unwritable

FAST = ["--steps", "1", "--batch", "1", "--patch", "16"]


def _quiet(_message):
    pass


def _save_state(path: Path, net: torch.nn.Module, step: int = 1) -> Path:
    torch.save({"model": net.state_dict(), "opt": {}, "step": step, "seconds": 1.0, "history": "[]"}, path)
    return path


# ---------------------------------------------------------------- outputs it must not replace
@pytest.mark.parametrize("how", ["the same path", "a link", "a hard link"])
def test_the_init_file_is_never_the_output(tmp_path, photo_dir, how):
    init = tmp_path / "init.safetensors"
    init.write_bytes(b"the weights a run starts from")
    out = {"the same path": init, "a link": tmp_path / "link.safetensors",
           "a hard link": tmp_path / "hard.safetensors"}[how]
    if how == "a link":
        out.symlink_to(init.name)
    elif how == "a hard link":
        os.link(init, out)
    code, _out, lines = run_cli("train", out, "--init", init, *FAST, "--photos", photo_dir, inputs=[init])
    assert_one_line_error(code, lines, "it is the --init file the run starts from")
    assert init.read_bytes() == b"the weights a run starts from"
    assert not out.with_suffix(".state.pt").exists()


def test_an_existing_weights_file_with_no_state_is_replaced_only_when_asked(tmp_path, photo_dir):
    out = tmp_path / "w.safetensors"
    out.write_bytes(b"somebody's weights")
    code, _out, lines = run_cli("train", out, *FAST, "--photos", photo_dir, inputs=[out])
    assert_one_line_error(code, lines, "already exists, with no resume state (w.state.pt)")
    assert "--overwrite" in lines[0] and out.read_bytes() == b"somebody's weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "w.safetensors"]
    s = train(out, max_steps=1, batch=1, patch=32, model=tiny_network(), photos_dir=photo_dir, overwrite=True,
              log=_quiet)
    assert s["steps"] == 1 and out.read_bytes() != b"somebody's weights" and out.with_suffix(".state.pt").is_file()


def test_overwrite_starts_over_where_a_run_would_resume(tmp_path, photo_dir):
    out = tmp_path / "w.safetensors"
    train(out, max_steps=2, batch=1, patch=32, model=tiny_network(), photos_dir=photo_dir, log=_quiet)
    logs = []
    s = train(out, max_steps=1, batch=1, patch=32, model=tiny_network(), photos_dir=photo_dir, overwrite=True,
              log=logs.append)
    assert s["steps"] == 1 and not any("resumed" in m for m in logs)
    with pytest.raises(OutputError, match="a resume state is there"):  # not resuming, not overwriting: refused
        train(out, max_steps=1, batch=1, patch=32, model=tiny_network(), photos_dir=photo_dir, resume=False, log=_quiet)


@pytest.mark.parametrize("beside", ["w.state.pt", "w.train.json"])
def test_a_folder_where_the_run_writes_beside_the_weights_is_refused_before_training(tmp_path, beside):
    (tmp_path / beside).mkdir()
    code, _out, lines = run_cli("train", tmp_path / "w.safetensors", "--steps", "1", "--overwrite")
    assert_one_line_error(code, lines, f"{beside}: not a regular file, so the run could not write it")
    assert sorted(p.name for p in tmp_path.iterdir()) == [beside]


# ---------------------------------------------------------------- states and --init weights it cannot use
def test_a_resume_state_of_the_other_variant_is_refused_naming_both(tmp_path, photo_dir):
    out = tmp_path / "w.safetensors"
    _save_state(out.with_suffix(".state.pt"), MIMOUNet())
    code, _out, lines = run_cli("train", out, *FAST, "--photos", photo_dir, "--variant", "MIMO-UNet+")
    assert_one_line_error(code, lines, "the resume state is of MIMO-UNet, but this run trains MIMO-UNet+")
    assert "--variant MIMO-UNet" in lines[0] and not out.exists()


def test_init_weights_of_the_other_variant_are_refused_naming_both(tmp_path, photo_dir):
    from safetensors.torch import save_file

    init = tmp_path / "plus.safetensors"
    save_file({k: v.half().contiguous() for k, v in MIMOUNetPlus().state_dict().items()}, str(init))
    out = tmp_path / "w.safetensors"
    code, _out, lines = run_cli("train", out, "--init", init, *FAST, "--photos", photo_dir, inputs=[init])
    assert_one_line_error(code, lines, "plus.safetensors: weights of MIMO-UNet+, but this run trains MIMO-UNet")
    assert "--variant MIMO-UNet+" in lines[0] and not out.exists()


def _valid_state_bytes(tmp_path: Path) -> bytes:
    return _save_state(tmp_path / "valid.state.pt", MIMOUNet(num_res=1)).read_bytes()


@pytest.mark.parametrize("damage", ["cut short", "text", "empty", "a state of other things"])
def test_a_damaged_resume_state_is_one_sentence_saying_how_to_start_over(tmp_path, photo_dir, damage):
    out = tmp_path / "w.safetensors"
    state = out.with_suffix(".state.pt")
    if damage == "a state of other things":
        torch.save({"model": {"w": torch.zeros(2)}, "step": "three"}, state)
    else:
        state.write_bytes({"cut short": _valid_state_bytes(tmp_path)[:3000], "text": b"not a state\n",
                           "empty": b""}[damage])
    code, _out, lines = run_cli("train", out, *FAST, "--photos", photo_dir, inputs=[state])
    assert_one_line_error(code, lines, "w.state.pt: the resume state is damaged")
    assert "--overwrite to start over" in lines[0]
    assert "weights_only" not in lines[0] and "Unpickl" not in lines[0] and "PytorchStreamReader" not in lines[0]
    with pytest.raises(CheckpointError, match="damaged"):  # from Python as well
        train(out, max_steps=1, batch=1, patch=32, model=tiny_network(), photos_dir=photo_dir, log=_quiet)


# ---------------------------------------------------------------- photos it cannot read
@pytest.mark.parametrize("bad", ["not a photo", "a PNG cut short"])
def test_a_training_photo_that_cannot_be_read_is_named(tmp_path, photo_dir, bad):
    target = photo_dir / TRAIN_PHOTOS[0]
    target.write_bytes(b"some notes, not a photo" if bad == "not a photo" else target.read_bytes()[:400])
    out = tmp_path / "run" / "w.safetensors"
    code, _out, lines = run_cli("train", out, *FAST, "--photos", photo_dir)
    assert_one_line_error(code, lines, f"{TRAIN_PHOTOS[0]}: cannot be read as a training photo")
    assert not (tmp_path / "run").exists()  # the folder it made is gone again


def test_a_natural_folder_held_out_whole_adds_nothing_and_says_so(tmp_path, photo_dir):
    natural = tmp_path / "natural"
    natural.mkdir()
    for i in range(20):
        Image.new("RGB", (16, 16), (i * 10, 90, 90)).save(natural / f"{i:03d}.png")
    code, _out, lines = run_cli("train", tmp_path / "w.safetensors", *FAST, "--photos", photo_dir,
                                "--natural", natural)
    assert_one_line_error(code, lines, "its 20 photos would add none")
    assert "first 20 of a fixed shuffle" in lines[0] and not (tmp_path / "w.safetensors").exists()


# ---------------------------------------------------------------- options
@pytest.mark.parametrize(("args", "says"), [
    (["--device", "mps"], "--device: cannot train on 'mps' (use cpu, or cuda"),
    (["--device", "meta"], "--device: cannot train on 'meta' (use cpu, or cuda"),
    (["--minutes", "inf"], "--minutes: must be a finite number"),
    (["--minutes", "1e400"], "--minutes: must be a finite number"),
])
def test_devices_it_cannot_train_on_and_endless_budgets_are_refused(tmp_path, args, says):
    out = tmp_path / "w.safetensors"
    budget = [] if "--minutes" in args else ["--steps", "1"]
    code, _out, lines = run_cli("train", out, *budget, *args)
    assert_one_line_error(code, lines, says)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_removes_the_folders_it_made(tmp_path):
    code, _out, lines = run_cli("train", tmp_path / "t3" / "a" / "b" / "w.safetensors", "--steps", "1",
                                "--photos", tmp_path / "nonexistent")
    assert_one_line_error(code, lines, "no training photos found")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- folders it cannot write
def test_a_folder_it_cannot_write_is_refused_before_training(tmp_path, photo_dir):
    locked = tmp_path / "locked"
    with unwritable(locked):
        code, _out, lines = run_cli("train", locked / "w.safetensors", *FAST, "--photos", photo_dir)
        assert_one_line_error(code, lines, "locked: output folder is not writable")
        assert list(locked.iterdir()) == []


# ---------------------------------------------------------------- a second run on the same file
def test_a_second_run_on_the_same_weights_is_refused_naming_the_first(tmp_path, photo_dir):
    out = tmp_path / "w.safetensors"
    second = []

    def log(message):  # while the first run trains (it logs at its first save), a second one starts
        if not second:
            second.append(run_cli("train", out, *FAST, "--photos", photo_dir))

    s = train(out, max_steps=2, batch=1, patch=32, save_every=1, model=tiny_network(), photos_dir=photo_dir, log=log)
    code, _out, lines = second[0]
    assert_one_line_error(code, lines, "w.safetensors: another training run is writing it right now")
    assert f"process {os.getpid()}" in lines[0]
    assert s["steps"] == 2 and torch.load(out.with_suffix(".state.pt"), weights_only=True)["step"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "w.safetensors", "w.state.pt", "w.train.json"]


def test_a_name_held_by_another_writer_is_refused_before_anything_is_read(tmp_path):
    out = tmp_path / "w.safetensors"
    with hold_name(out) as held:
        held.note("process 4242 on elsewhere")
        code, _out, lines = run_cli("train", out, "--steps", "1", "--photos", tmp_path / "nonexistent")
    assert_one_line_error(code, lines, "another training run is writing it right now (process 4242 on elsewhere)")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- stopping with batch processes
def test_a_batch_process_stays_quiet_when_training_stops(monkeypatch):
    """A batch process whose hand-over the training process abandoned (Ctrl-C, SIGTERM) prints no traceback, and
    leaves SIGTERM sent to the whole process group to the training process; other errors are still reported."""
    from scientist.restore.train import _quiet_worker

    reported = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, exc, tb: reported.append(kind))
    before = signal.getsignal(signal.SIGTERM)
    try:
        _quiet_worker(0)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)
    for kind in (BrokenPipeError, ConnectionResetError, EOFError, ValueError):
        sys.excepthook(kind, kind(), None)
    assert reported == [ValueError]
