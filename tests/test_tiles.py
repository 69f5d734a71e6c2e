"""Tile planning, blending and the remembered speed, without running the network."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scientist.restore import speed
from scientist.restore.blend import restore_array
from scientist.restore.mimo_unet import MIMOUNet
from scientist.restore.save import to_u8
from scientist.restore.tiles import DEFAULT_MEMORY_MB, DEFAULT_OVERLAP, plan_tiles, tile_pixels_for


def _check_plan(plan, max_pixels=None):
    h, w = plan.height, plan.width
    covered = np.zeros((h, w), np.int32)
    for y in plan.ys:
        for x in plan.xs:
            covered[y : y + plan.tile_h, x : x + plan.tile_w] += 1
    assert covered.min() >= 1, "a pixel is in no tile"
    for starts, size, length in ((plan.ys, plan.tile_h, h), (plan.xs, plan.tile_w, w)):
        assert starts[0] == 0 and starts[-1] + min(size, length) == length
        for a, b in zip(starts, starts[1:], strict=False):
            assert a + size - b >= plan.overlap, "neighbours overlap less than promised"
    if max_pixels is not None and plan.count > 1:
        assert plan.tile_h * plan.tile_w <= max_pixels


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 5000), w=st.integers(1, 5000), budget=st.sampled_from([128 * 128, 200_000, 287_609]))
def test_auto_plans_cover_the_image_within_budget(h, w, budget):
    _check_plan(plan_tiles(h, w, max_pixels=budget), budget)


@pytest.mark.parametrize("tile", [64, 320, 512])
def test_square_plans_cover_the_image(tile):
    for h, w in ((1, 1), (512, 512), (700, 1300), (3000, 4000)):
        plan = plan_tiles(h, w, tile=tile)
        assert plan.tile_h == plan.tile_w == tile
        _check_plan(plan)


def test_auto_plan_wastes_less_than_square_tiles():
    budget = tile_pixels_for(DEFAULT_MEMORY_MB)
    for h, w in ((720, 1280), (3000, 4000), (1080, 1920)):
        auto = plan_tiles(h, w, max_pixels=budget)
        square = plan_tiles(h, w, tile=512, overlap=DEFAULT_OVERLAP)
        assert auto.pixels <= square.pixels
        assert auto.pixels / (h * w) < 1.2, "more than 20% of the work lost to overlaps"
    small = plan_tiles(480, 590, max_pixels=budget)
    assert small.count == 1 and small.overlap == 0


def test_tile_size_follows_the_memory_budget():
    assert tile_pixels_for(memory_mb=100) < tile_pixels_for(memory_mb=1000)
    assert tile_pixels_for(768, "bf16") >= 2 * tile_pixels_for(768, "fp32")  # bfloat16 needs half the memory
    with pytest.raises(Exception, match="multiple of"):
        plan_tiles(100, 100, tile=102)


class _Identity:
    name = "identity"

    def __call__(self, x):
        m = MIMOUNet.size_multiple
        assert x.shape[2] % m == 0 and x.shape[3] % m == 0
        return x.copy()


@pytest.mark.parametrize("shape,tile", [((300, 410), 64), ((257, 129), 96), ((64, 64), 64)])
def test_blending_reproduces_an_identity_network_exactly(shape, tile):
    rng = np.random.default_rng(1)
    img = rng.random((*shape, 3), dtype=np.float32)
    calls = []
    out = restore_array(None, img, plan=plan_tiles(*shape, tile=tile), runner=_Identity(),
                        progress=lambda: calls.append(1))
    assert out.dtype == np.float32 and out.shape == img.shape
    assert np.abs(out - img).max() < 1e-6
    assert len(calls) == plan_tiles(*shape, tile=tile).count


def test_to_u8_rounds_like_numpy():
    x = np.random.default_rng(2).random((300, 7, 3), dtype=np.float32) * 1.2 - 0.1
    ref = np.clip(np.round(x * 255), 0, 255).astype(np.uint8)
    assert np.array_equal(to_u8(x, rows=64), ref)
    assert to_u8(ref) is ref


def test_measured_speed_is_remembered_and_a_damaged_file_ignored(tmp_path):
    key = "MIMO-UNet|onnxruntime|cpu|2 threads"
    assert speed.known_speed(tmp_path, key) is None
    speed.remember_speed(tmp_path, key, 27.5)
    assert speed.known_speed(tmp_path, key) == 27.5
    assert json.loads((tmp_path / "speed.json").read_text()) == {key: 27.5}
    (tmp_path / "speed.json").write_text("[not json")
    assert speed.known_speed(tmp_path, key) is None
    speed.remember_speed(tmp_path, key, 30.0)
    assert speed.known_speed(tmp_path, key) == 30.0
