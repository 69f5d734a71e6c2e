"""The training loop: a few steps on tiny photos, resuming, warm starts and the batch workers."""

from __future__ import annotations

import json

import pytest
import torch

from scientist.errors import PhotoError
from scientist.restore.train import batches, load_training_photos, train
from scientist.restore.weights import load_state_dict

from .helpers import assert_one_line_error, run_cli, tiny_network

# end-to-end: training steps of the real network
pytestmark = pytest.mark.slow



def test_photo_folder_stands_in_for_scikit_image(photo_dir, tmp_path):
    assert len(load_training_photos(photo_dir)) == 2
    with pytest.raises(PhotoError, match="no training photos"):
        load_training_photos(tmp_path / "empty")


def test_batches_are_reproducible_and_in_range(photo_dir):
    photos = load_training_photos(photo_dir)
    a = next(batches(photos, 2, 32, seed=3))
    b = next(batches(photos, 2, 32, seed=3))
    assert a[0].shape == a[1].shape == (2, 3, 32, 32)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert 0 <= float(a[0].min()) and float(a[0].max()) <= 1


def test_train_writes_loadable_weights_and_resumes(photo_dir, tmp_path):
    out = tmp_path / "w.safetensors"
    s = train(out, max_steps=2, batch=1, patch=32, save_every=1, model=tiny_network(), photos_dir=photo_dir,
              log=lambda _: None)
    assert s["steps"] == 2 and out.is_file() and out.with_suffix(".state.pt").is_file()
    sd = load_state_dict(out)
    assert all(v.dtype == torch.float16 for v in sd.values())
    assert json.loads(out.with_suffix(".train.json").read_text())["steps"] == 2
    logs = []
    s = train(out, max_steps=3, batch=1, patch=32, save_every=1, model=tiny_network(), photos_dir=photo_dir,
              log=logs.append)
    assert s["steps"] == 3 and any("resumed at step 2" in m for m in logs)


def test_warm_start_and_batch_workers(photo_dir, tmp_path):
    first = tmp_path / "a.safetensors"
    train(first, max_steps=1, batch=1, patch=32, model=tiny_network(), photos_dir=photo_dir, log=lambda _: None)
    logs = []
    second = tmp_path / "b.safetensors"
    s = train(second, max_steps=1, batch=1, patch=32, model=tiny_network(), photos_dir=photo_dir, init=first,
              workers=1, log=logs.append)
    assert s["init"] == "a.safetensors" and s["steps"] == 1
    assert any("starting from a.safetensors" in m for m in logs)


@pytest.mark.parametrize(("args", "says"), [
    (["--variant", "Foo"], "--variant: unknown network 'Foo'"),
    (["--steps", "0"], "--steps: must be at least 1"),  # 0 once meant the 60-minute budget
    (["--minutes", "0"], "--minutes: must be more than 0"),
    (["--batch", "0"], "--batch: must be at least 1"),
    (["--patch", "7"], "--patch: must be a multiple of 4"),
    (["--lr", "-1"], "--lr: must be a number more than 0"),
    (["--lr", "nan"], "--lr: must be a number more than 0"),
    (["--save-every", "0"], "--save-every: must be at least 1"),
    (["--threads", "0"], "--threads: must be at least 1"),
    (["--workers", "-1"], "--workers: must be 0 or more"),
    (["--device", "gpu"], "--device: unknown device 'gpu'"),
    (["--mix", "foo"], "--mix: unknown distribution"),
    (["--precision", "fp16"], "--precision: must be fp32 or bf16"),
    (["--photos", "{tmp}/nope"], "no training photos found"),
    (["--natural", "{tmp}/nope"], "no such folder of natural photos"),
])
def test_a_training_run_that_could_not_work_is_refused_before_it_starts(tmp_path, args, says):
    out = tmp_path / "w.safetensors"
    budget = [] if "--minutes" in args else ["--steps", "1"]  # a step budget overrides the minutes
    code, _out, lines = run_cli("train", out, *budget, *(a.format(tmp=tmp_path) for a in args))
    assert_one_line_error(code, lines, says)
    assert not out.exists() and not out.with_suffix(".state.pt").exists()


@pytest.mark.parametrize("where", ["a folder", "under a file", "not safetensors"])
def test_a_weights_file_that_cannot_be_written_is_refused_before_training(tmp_path, where):
    (tmp_path / "taken.png").write_bytes(b"keep me")
    (tmp_path / "w.safetensors").mkdir()
    out = {"a folder": tmp_path / "w.safetensors", "under a file": tmp_path / "taken.png" / "w.safetensors",
           "not safetensors": tmp_path / "w.png"}[where]
    code, _out, lines = run_cli("train", out, "--steps", "1")
    assert_one_line_error(code, lines, {"a folder": "a folder, not a weights file", "under a file": "not a folder",
                                        "not safetensors": "must end in .safetensors"}[where])
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["taken.png", "w.safetensors"]
