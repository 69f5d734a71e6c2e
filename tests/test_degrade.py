"""The named degradation distributions and the training mix (scientist.restore.degrade)."""

from __future__ import annotations

import numpy as np
import pytest

from scientist.restore.degrade import (
    DEFAULT_MIX,
    DISTRIBUTIONS,
    degrade,
    draw_from_mix,
    format_mix,
    linear_per_srgb,
    linear_to_srgb,
    parse_mix,
    sample_params,
    srgb_to_linear,
)


def test_mix_parsing_fills_in_shares_and_spells_them_out():
    assert parse_mix("lowlight:0.5,light") == (("lowlight", 0.5), ("light", 0.5))
    assert parse_mix(" light , clean ") == (("light", 0.5), ("clean", 0.5))
    assert parse_mix("lowlight:0.3,light:0.4,faint,clean") == (
        ("lowlight", 0.3), ("light", 0.4), ("faint", 0.15000000000000002), ("clean", 0.15000000000000002))
    assert format_mix(parse_mix("light")) == "light:1"
    assert parse_mix(DEFAULT_MIX) == (("lowlight", 1.0),)


@pytest.mark.parametrize("text, message", [
    ("", "empty"), ("dark", "unknown distribution 'dark'"), ("light:x", "not a number"),
    ("light:0.7,clean:0.6", "add up to 1.3"), ("light:0.5,clean:0.4", "add up to 0.9"),
    ("light,light", "twice"), ("light:0,clean", r"\(0, 1\]"), ("light:1,clean", "nothing is left"),
])
def test_bad_mixes_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_mix(text)


def test_the_light_recipe_is_the_documented_one():
    light = DISTRIBUTIONS["light"]
    assert (light.exposure, light.shot, light.read) == ((0.25, 0.9), (1e-4, 2.5e-3), (4e-4, 3e-3))
    assert (light.blur_len, light.blur_share) == ((0.0, 2.0), 0.15)
    assert (light.jpeg, light.jpeg_share) == ((85, 98), 0.4)  # qualities 85-97, upper bound exclusive
    rng = np.random.default_rng(0)
    draws = [light.sample(rng) for _ in range(2000)]
    assert all(0.25 <= d.exposure <= 0.9 and 1e-4 <= d.shot <= 2.5e-3 and 4e-4 <= d.read <= 3e-3 for d in draws)
    assert 0.35 < np.mean([d.jpeg <= 100 for d in draws]) < 0.45
    assert 0.12 < np.mean([d.blur_len > 0 for d in draws]) < 0.18
    assert all(85 <= d.jpeg <= 97 for d in draws if d.jpeg <= 100) and max(d.blur_len for d in draws) <= 2.0
    # log-uniform: the median is the geometric mean of the bounds
    assert np.median([d.shot for d in draws]) == pytest.approx(np.sqrt(1e-4 * 2.5e-3), rel=0.1)


def test_a_mix_draws_by_its_shares_and_a_single_name_draws_as_its_distribution():
    mix = parse_mix("lowlight:0.2,light:0.5,clean:0.3")
    rng = np.random.default_rng(1)
    names = [draw_from_mix(mix, rng)[0] for _ in range(3000)]
    for name, share in mix:
        assert abs(names.count(name) / len(names) - share) < 0.03
    a = [draw_from_mix(parse_mix("lowlight"), np.random.default_rng(5))[1] for _ in range(1)]
    assert a == [sample_params(np.random.default_rng(5))]  # the bundled weights' draws are unchanged


def test_the_clean_distribution_leaves_the_photo_as_it_is():
    rng = np.random.default_rng(2)
    photo = np.round(rng.random((16, 20, 3)) * 255).astype(np.float32) / 255
    params = DISTRIBUTIONS["clean"].sample(rng)
    assert params.exposure == 1.0 and params.shot == params.read == 0.0 and params.jpeg == 101
    assert np.array_equal(degrade(photo, params, rng), photo)


def test_the_training_command_names_every_distribution():
    from scientist.cli.photos import MIX_HELP

    assert all(name in MIX_HELP for name in DISTRIBUTIONS)


@pytest.mark.parametrize("level", [0.0, 0.002, 0.01, 0.1, 0.38, 0.9, 1.0])
def test_the_slope_of_linear_light_per_srgb_value_is_that_of_the_decoding(level):
    """A small change in sRGB values at a linear level, decoded, changes linear light by the slope times it."""
    d = 1e-6
    s = float(linear_to_srgb(np.array(level)))
    lo, hi = max(s - d, 0.0), min(s + d, 1.0)
    numeric = float(srgb_to_linear(np.array(hi)) - srgb_to_linear(np.array(lo))) / (hi - lo)
    assert linear_per_srgb(level) == pytest.approx(numeric, rel=1e-3)
