"""MIMO-UNet architecture: checkpoint layout and parity with the official network."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from scientist.restore import MIMOUNet, MIMOUNetPlus
from scientist.restore.mimo_unet import canonical_state_dict, detect_variant

from .conftest import FIXTURES

CASES = [(MIMOUNet, "MIMO-UNet", 6_807_171), (MIMOUNetPlus, "MIMO-UNetPlus", 16_107_651)]


def _keys(name):
    rows = (FIXTURES / f"{name}.keys.tsv").read_text().splitlines()[1:]
    return [(k, tuple(int(x) for x in s.strip("()").split(",") if x.strip())) for k, s in
            (r.split("\t") for r in rows)]


def _parity_weights(model, name):
    g = torch.Generator().manual_seed(1234)
    sd = {}
    for key, shape in _keys(name):
        numel = math.prod(shape)
        if len(shape) >= 2:
            sd[key] = torch.randn(shape, generator=g, dtype=torch.float32) / math.sqrt(numel / shape[0])
        else:
            sd[key] = torch.randn(shape, generator=g, dtype=torch.float32) * 0.01
    model.load_state_dict(sd, strict=True)
    return model


@pytest.mark.parametrize("cls,name,params", CASES)
def test_state_dict_matches_official_keys_and_shapes(cls, name, params):
    model = cls()
    sd = model.state_dict()
    assert [(k, tuple(v.shape)) for k, v in sd.items()] == _keys(name)
    assert sum(p.numel() for p in model.parameters()) == params


@pytest.mark.parametrize("cls,name,params", CASES)
def test_parity_with_official_outputs(cls, name, params):
    ref = np.load(FIXTURES / f"{name}.parity.npz")
    model = _parity_weights(cls(), name).eval()
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(7))
    np.testing.assert_array_equal(x.numpy(), ref["input"])
    with torch.no_grad():
        outs = model(x)
    assert [tuple(o.shape) for o in outs] == [(1, 3, 16, 16), (1, 3, 32, 32), (1, 3, 64, 64)]
    for i, out in enumerate(outs):
        expected = ref[f"out{i}"]
        err = np.abs(out.numpy() - expected).max() / np.abs(expected).max()
        assert err < 1e-4, f"output {i}: relative error {err}"


def test_stages_compose_to_forward():
    model = MIMOUNet(num_res=1).eval()
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        full = model(x)
        staged = model.run_stages(x, MIMOUNet.STAGES)
    for a, b in zip(full, staged, strict=True):
        assert torch.equal(a, b)
    with pytest.raises(ValueError):
        model.run_stages(x, ("pyramid", "teleport"))


@pytest.mark.parametrize("cls,variant", [(MIMOUNet, "MIMO-UNet"), (MIMOUNetPlus, "MIMO-UNet+")])
def test_variant_detected_from_keys_through_wrappers(cls, variant):
    sd = cls().state_dict()
    for wrapped in (sd, {"model": sd}, {"state_dict": sd}, {"params": sd},
                    {"model": {f"module.{k}": v for k, v in sd.items()}}):
        canon = canonical_state_dict(wrapped)
        assert list(canon) == list(sd)
        assert detect_variant(canon).name == variant


def test_other_networks_are_not_detected():
    with pytest.raises(ValueError):
        detect_variant(torch.nn.Linear(3, 3).state_dict())
    with pytest.raises(ValueError):
        canonical_state_dict({"model": "not tensors"})
