"""Checkpoints through `scientist restore --weights`: one line, exit code 2, nothing executed or written."""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from scientist.restore import MIMOUNet

from ..helpers import assert_one_line_error, run_cli, write_malicious_pickle


def _missing(d):
    return d / "none.pkl"


def _random(d):
    (d / "r.pkl").write_bytes(bytes(range(256)) * 40)
    return d / "r.pkl"


def _truncated(d):
    full = d / "full.pkl"
    torch.save({"model": MIMOUNet().state_dict()}, full)
    cut = d / "cut.pkl"
    cut.write_bytes(full.read_bytes()[:100_000])
    return cut


def _evil(d):
    return write_malicious_pickle(d / "evil.pkl", d / "code-ran")


def _other(d):
    path = d / "other.pth"
    torch.save({"model": torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3)).state_dict()}, path)
    return path


def _partial(d):
    sd = MIMOUNet().state_dict()
    path = d / "partial.pth"
    torch.save({"model": dict(list(sd.items())[: len(sd) // 2])}, path)
    return path


def _wrong_shapes(d):
    sd = {k: v.contiguous() for k, v in MIMOUNet().state_dict().items()}
    sd["feat_extract.5.main.0.weight"] = torch.zeros(3, 32, 5, 5)
    path = d / "wrong.safetensors"
    save_file(sd, str(path))
    return path


CASES = {
    "missing": (_missing, "no such weights file"),
    "random bytes": (_random, "not a readable PyTorch checkpoint"),
    "truncated": (_truncated, "not a readable PyTorch checkpoint"),
    "code-executing pickle": (_evil, "unsafe unpickling"),
    "another network": (_other, "not a MIMO-UNet"),
    "partial state dict": (_partial, "partial"),
    "safetensors with wrong shapes": (_wrong_shapes, "has shape"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_checkpoints(tmp_path, case):
    make, match = CASES[case]
    weights = make(tmp_path)
    photo = tmp_path / "p.png"
    Image.new("RGB", (16, 16), (50, 60, 70)).save(photo)
    inputs = [photo] + ([weights] if weights.exists() else [])
    code, _, lines = run_cli("restore", photo, "--weights", weights, inputs=inputs)
    assert_one_line_error(code, lines, match)
    assert not (tmp_path / "code-ran").exists()
    assert not list(tmp_path.glob("*_restored*.png"))
