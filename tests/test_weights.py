"""Loading weights: official checkpoints, safetensors, and refusing anything unsafe or foreign."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from scientist.errors import CheckpointError
from scientist.restore import MIMOUNet, MIMOUNetPlus
from scientist.restore.weights import load_model, load_state_dict, resolve_weights

from .helpers import write_malicious_pickle


def _official(tmp_path: Path, cls=MIMOUNet, name="MIMO-UNet.pkl") -> Path:
    path = tmp_path / name
    torch.save({"model": cls().state_dict()}, path)
    return path


def test_official_checkpoint_loads_and_variant_is_detected(tmp_path):
    loaded = load_model(_official(tmp_path))
    assert loaded.variant.name == "MIMO-UNet"
    plus = load_model(_official(tmp_path, MIMOUNetPlus, "MIMO-UNetPlus-RealBlur.pkl"))
    assert plus.variant.name == "MIMO-UNet+"
    assert isinstance(plus.model, MIMOUNetPlus) and not plus.model.training


def test_safetensors_and_prefixed_bare_state_dicts_load(tmp_path):
    sd = MIMOUNet().state_dict()
    st = tmp_path / "w.safetensors"
    save_file({k: v.half().contiguous() for k, v in sd.items()}, str(st))
    assert load_model(st).variant.name == "MIMO-UNet"
    pth = tmp_path / "w.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in sd.items()}}, pth)
    loaded = load_model(pth)
    assert torch.equal(loaded.model.state_dict()["SCM1.conv.main.0.bias"], sd["SCM1.conv.main.0.bias"])


def test_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = write_malicious_pickle(tmp_path / "evil.pkl", marker)
    with pytest.raises(CheckpointError, match="unsafe"), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_state_dict(evil)
    assert not seen, [str(w.message) for w in seen]  # the refusal is the one line the person sees
    evil_zip = write_malicious_pickle(tmp_path / "evil.pth", marker, zipped=True)
    with pytest.raises(CheckpointError, match="unsafe"):
        load_state_dict(evil_zip)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage" * 100])
def test_empty_and_random_files_are_refused(tmp_path, content):
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(content)
    with pytest.raises(CheckpointError):
        load_model(bad)


def test_truncated_checkpoint_is_refused(tmp_path):
    good = _official(tmp_path)
    cut = tmp_path / "cut.pkl"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError):
        load_model(cut)


def test_other_network_partial_and_wrong_shapes_are_refused(tmp_path):
    other = tmp_path / "resnet.pth"
    torch.save({"model": torch.nn.Conv2d(3, 8, 3).state_dict()}, other)
    with pytest.raises(CheckpointError, match="not a MIMO-UNet"):
        load_model(other)
    sd = MIMOUNet().state_dict()
    partial = tmp_path / "partial.pth"
    torch.save({k: v for i, (k, v) in enumerate(sd.items()) if i % 3}, partial)
    with pytest.raises(CheckpointError, match="partial"):
        load_model(partial)
    wrong = dict(sd)
    wrong["SCM1.conv.main.0.bias"] = torch.zeros(7)
    ws = tmp_path / "wrong.safetensors"
    save_file({k: v.contiguous() for k, v in wrong.items()}, str(ws))
    with pytest.raises(CheckpointError, match="shape"):
        load_model(ws)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such"):
        load_model(tmp_path / "nope.pkl")


def test_choice_order_flag_then_env_then_bundled(tmp_path, monkeypatch):
    assert "bundled" in resolve_weights(None)[1]
    monkeypatch.setenv("SCIENTIST_WEIGHTS", str(tmp_path / "env.pkl"))
    assert resolve_weights(None)[0] == tmp_path / "env.pkl"
    assert resolve_weights(tmp_path / "flag.pkl")[0] == tmp_path / "flag.pkl"


def test_bundled_weights_load():
    loaded = load_model()
    assert loaded.variant.name == "MIMO-UNet"
    assert all(torch.isfinite(p).all() for p in loaded.model.parameters())


def test_fast_runners_leave_the_shared_model_alone():
    import numpy as np

    from scientist.restore.runners import Runner, make_runner

    loaded = load_model()
    model = loaded.model
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    runner = make_runner(model, torch.device("cpu"), "torch")
    assert runner.model is not model
    assert conv.weight.is_contiguous() and next(model.parameters()).device.type == "cpu"
    assert load_model().model is model  # still the cached one, untouched
    x = np.random.default_rng(0).random((1, 3, 32, 32), dtype=np.float32)
    assert np.abs(runner(x) - Runner(model, torch.device("cpu"))(x)).max() < 1e-4


@pytest.mark.parametrize("data", [
    b"hello world",  # the unpickler's KeyError: 101
    b"M\x01",  # struct.error: unpack requires a buffer of 2 bytes (an internal error once)
    b"e",  # IndexError: pop from empty list
    b"\x80\x02",  # EOFError, whose message is empty
])
def test_bad_data_is_one_sentence_saying_what_the_file_is_not(tmp_path, data):
    path = tmp_path / "weights.pth"
    path.write_bytes(data)
    with pytest.raises(CheckpointError) as info:
        load_state_dict(path)
    assert str(info.value) == ("weights.pth: not a readable PyTorch checkpoint; its data is damaged, cut short or "
                               "of another kind")
    st = tmp_path / "weights.safetensors"
    st.write_bytes(data)
    with pytest.raises(CheckpointError, match=r"^weights.safetensors: not a readable safetensors file; its data is "
                                              r"damaged, cut short or of another kind$"):
        load_state_dict(st)


def test_the_bundled_weights_are_named_so_however_they_were_chosen(tmp_path):
    """A file named bundled_x.pth counted as the bundled weights (the word "bundled" in its label), and the
    bundled file given with --weights as published deblurring weights."""
    from scientist.restore.constants import BUNDLED_LABEL
    from scientist.restore.weights import bundled_weights, resolve_weights

    assert resolve_weights(None)[1] == BUNDLED_LABEL
    assert resolve_weights(bundled_weights())[1] == BUNDLED_LABEL
    other = tmp_path / "bundled_x.pth"
    other.write_bytes(b"x")
    assert resolve_weights(other)[1] == "weights file bundled_x.pth" != BUNDLED_LABEL
