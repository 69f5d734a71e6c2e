"""How much of the network's change a photo gets (scientist.restore.amount): little for a clean photo, all of it
for a noisy one, and the photo's own tones kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scientist.restore.amount import (
    Decision,
    _lowpass,
    apply_amount,
    decide,
    from_domain,
    load_amount_rule,
    to_domain,
)
from scientist.restore.compare import noise_sigma
from scientist.restore.degrade import apply_gain, degrade, srgb_to_linear
from scientist.settings import load_settings


def _textured(seed: int = 0, h: int = 200, w: int = 260) -> np.ndarray:
    """A clean photo with shading, edges and fine texture (as grass or fabric has)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / float(max(h, w))
    base = np.stack([0.45 + 0.3 * x, 0.4 + 0.2 * y, 0.3 + 0.2 * x * y], -1)
    base[h // 3 : h // 2] *= 0.6  # an edge
    texture = _lowpass(rng.normal(0, 0.06, (h, w, 1)).repeat(3, -1), 0.8)
    return np.clip(np.round((base + texture) * 255) / 255, 0, 1).astype(np.float32)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / max(np.mean((a.astype(np.float64) - b) ** 2), 1e-12)))


def test_strength_is_auto_or_a_share():
    from scientist.errors import OptionError
    from scientist.restore.options import RestoreOptions

    assert RestoreOptions.of(strength="auto").strength == "auto"
    assert RestoreOptions.of(strength=" AUTO ").strength == "auto"
    assert RestoreOptions.of(strength=0.3).strength == 0.3 and RestoreOptions.of(strength="0.75").strength == 0.75
    assert load_settings().strength == "auto"
    for bad in (1.5, -0.1, "strong", float("nan")):
        with pytest.raises(OptionError, match="auto or a number between 0 and 1"):
            RestoreOptions.of(strength=bad)


def test_gain_is_auto_or_a_number_from_1_to_12():
    from scientist.errors import OptionError
    from scientist.restore.options import RestoreOptions

    assert RestoreOptions.of().gain_in() == "auto" and RestoreOptions.of(gain=" Auto").gain == "auto"
    assert RestoreOptions.of(gain=1).gain == 1.0 and RestoreOptions.of(gain="2.5").gain == 2.5
    for bad in (0.5, 12.5, "bright", float("nan")):
        with pytest.raises(OptionError, match="invalid restore option gain: must be auto or a number from 1 to 12"):
            RestoreOptions.of(gain=bad)


def test_a_clean_photo_the_network_leaves_alone_gets_little_and_comes_back_as_it_is():
    photo = _textured()
    rule = load_amount_rule()
    decision = decide(photo, photo.copy(), "auto", noise_sigma(photo), gain=1.0, rule=rule)
    assert decision.auto and decision.strength <= 0.5 and decision.removed == 0
    out = photo.copy()
    apply_amount(out, photo, decision)
    assert _psnr(out, photo) >= 60
    # the more the network would take away, the more of its change the rule lets through
    smoothed = _lowpass(photo, 1.2)
    assert decide(photo, smoothed, "auto", noise_sigma(photo), gain=1.0, rule=rule).strength > decision.strength


def test_a_noisy_dark_photo_gets_all_of_it():
    clean = _textured(1)
    from scientist.restore.degrade import DegradeParams

    dark = degrade(clean, DegradeParams(0.12, 4e-3, 6e-3, 0.0, 0.0, 101), np.random.default_rng(2))
    exposed = apply_gain(dark, 1 / 0.12)
    decision = decide(exposed, clean, "auto", noise_sigma(exposed), gain=1 / 0.12)  # a perfect denoiser
    assert decision.strength >= 0.9 and decision.removed > 5
    out = clean.copy()
    apply_amount(out, exposed, decision)
    assert _psnr(out, clean) > _psnr(exposed, clean) + 8


def test_a_given_number_is_used_as_it_is():
    photo = _textured(3)
    decision = decide(photo, _lowpass(photo, 1.0), 0.6, noise_sigma(photo), gain=1.0)
    assert decision.strength == 0.6 and not decision.auto


def test_the_blend_keeps_the_photos_tones_and_is_done_in_bands():
    rng = np.random.default_rng(4)
    exposed = rng.random((530, 90, 3)).astype(np.float32)
    restored = np.clip(rng.random((530, 90, 3)) * 0.5 + 0.3, 0, 1).astype(np.float32)
    for strength, tones in ((0.4, 0.0), (0.8, 0.3), (0.0, 0.0)):
        d = Decision(strength, True, 1.0, 1.0, 1.0, tones, 3.0)
        change = restored - exposed
        coarse = _lowpass(change, 3.0)
        expected = np.clip(exposed + strength * (change - coarse) + tones * coarse, 0, 1)
        out = restored.copy()
        apply_amount(out, exposed, d, rows=64)  # bands of 64 rows: the same as all at once
        assert np.abs(out - expected).max() < 1e-5
    # in a power of linear light: the same sum taken there, and the bands still agree with the whole
    for strength, tones, dom in ((0.4, 0.0, 0.6), (0.8, 0.3, 1.0), (0.0, 0.0, 0.6)):
        d = Decision(strength, True, 1.0, 1.0, 1.0, tones, 3.0, dom)
        x = to_domain(exposed, dom)
        change = to_domain(restored, dom) - x
        coarse = _lowpass(change, 3.0)
        expected = from_domain(x + strength * (change - coarse) + tones * coarse, dom)
        out = restored.copy()
        apply_amount(out, exposed, d, rows=64)
        assert np.abs(out - expected).max() < 1e-5
    # a network that only re-tones the photo (a level shift, no fine change) changes nothing
    photo = _textured(5)
    out = np.clip(photo * 1.2, 0, 1)
    apply_amount(out, photo, Decision(1.0, False, 0, 0, 0, load_amount_rule().tones, 3.0))
    assert np.abs(out - photo).mean() < 2 / 255


def test_the_domain_round_trips_and_srgb_is_the_values_themselves():
    img = np.random.default_rng(9).random((20, 30, 3)).astype(np.float32)
    img[0, :4, 0] = (0.0, 0.01, 0.04045, 1.0)  # black, sRGB's linear segment and white
    for dom in (None, 0.6, 1.0):
        assert np.abs(from_domain(to_domain(img, dom), dom) - img).max() < 1e-5
    assert np.array_equal(to_domain(img, None), img)
    # the domain is a power of linear light as sRGB decodes it
    for dom in (0.6, 1.0):
        assert np.abs(to_domain(img, dom) - srgb_to_linear(img.astype(np.float64)) ** dom).max() < 1e-5


def test_a_noisy_photo_keeps_its_level_in_the_shipped_domain():
    # Heavy noise as the blind benchmark draws it (symmetric in linear light, as a sensor's is), brightened by the
    # exact gain: its mean in sRGB (a concave curve) lies below the clean photo's.  A network that takes all of the
    # noise away gives its fine change; the coarse tones kept are the brightened photo's, so the level is what the
    # domain makes of its mean: the sRGB values keep a deficit of about 5 %, the shipped domain less.
    from scientist.restore.degrade import LOSSLESS

    clean = _textured(1)
    params = LOSSLESS["heavy-png"]
    exposed = apply_gain(degrade(clean, params, np.random.default_rng(1)), 1 / params.exposure)
    shipped = load_amount_rule().domain
    assert shipped is not None and 0 < shipped <= 1
    errors = {}
    for dom in (None, shipped):
        out = clean.copy()
        apply_amount(out, exposed, Decision(1.0, True, 1.0, 1.0, 1.0, 0.0, 3.0, dom))
        errors[dom] = abs(float(out.mean() / clean.mean()) - 1)
    assert errors[None] > 0.04
    assert errors[shipped] < 0.7 * errors[None]


def test_the_shipped_rule_is_data_and_keeps_the_photos_tones():
    rule = load_amount_rule()
    assert rule.tones == 0.0 and rule.sigma > 0 and set(rule.weights) == {"noise_share", "removed_share", "log_gain"}
    # the noisier the photo, the more the network would take away and the darker it was, the more of the change
    assert all(w > 0 for w in rule.weights.values())


def test_the_demo_says_what_it_decided(tmp_path):
    from scientist.restore.run import run_demo

    photo = tmp_path / "clean.png"
    Image.fromarray((_textured(6, 64, 80) * 255).round().astype(np.uint8)).save(photo)
    demo = run_demo(photo, out_dir=tmp_path)
    assert demo.strength_auto and 0.0 <= demo.strength <= 1.0 and demo.noise_removed > 0
    with Image.open(demo.output) as im:
        out = np.asarray(im.convert("RGB"), np.float32) / 255
    assert _psnr(out, _textured(6, 64, 80)) >= 35
    fixed = run_demo(photo, out_dir=tmp_path, strength=0.5)
    assert fixed.strength == 0.5 and not fixed.strength_auto
    assert demo.brightness in ("bright-enough", "untouched", "reaches-white") and demo.gain == 1.0
    given = run_demo(photo, out_dir=tmp_path, gain=1.5, overwrite=True)  # the person says how much
    assert (given.gain, given.brightness) == (1.5, "given") and given.brightness_after > demo.brightness_after


@pytest.mark.parametrize("shape", [(1, 1), (3000, 4), (2, 500)])
def test_a_photo_too_small_to_measure_comes_back_as_it_is(tmp_path, shape):
    """A 1 x 1 dot was brightened x12 as "a doubtful guess", and a 4 x 3000 strip of noise was said to have
    "noise 0.00" and given strength 0.40 "chosen from" that figure."""
    from scientist.render import Renderer
    from scientist.restore.exposure import judge_gain
    from scientist.restore.run import run_demo

    img = (np.random.default_rng(5).random((*shape, 3)) * 80).astype(np.uint8)
    assert (judge_gain(img.astype(np.float32) / 255).gain, judge_gain(img.astype(np.float32) / 255).reason) == \
        (1.0, "too-small")
    assert decide(img / 255.0, np.zeros(img.shape), "auto", 0.0, gain=1.0).strength == 0.0
    assert decide(img / 255.0, np.zeros(img.shape), 0.7, 0.0, gain=1.0).strength == 0.7  # a given one stands
    photo = tmp_path / "tiny.png"
    Image.fromarray(img).save(photo)
    demo = run_demo(photo, out_dir=tmp_path)
    assert (demo.gain, demo.brightness, demo.strength) == (1.0, "too-small", 0.0)
    # not measured, and said so in the record as in the text: null, not a noise of 0
    assert (demo.noise_before, demo.noise_brightened, demo.noise_after) == (None, None, None)
    assert '"noise_before":null' in demo.model_dump_json()
    with Image.open(demo.output) as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), img)  # as it was
    text = Renderer().env.get_template("restore.txt.j2").render(d=demo)
    assert "noise:      not measured: the photo has fewer than 8 pixels on a side\n" in text
    assert "too few to read its exposure" in text and "noise σ 0.0" not in text
    given = run_demo(photo, out_dir=tmp_path, strength=1.0, overwrite=True)  # a given strength runs as given
    assert given.strength == 1.0 and given.noise_brightened is None
    from scientist.core import network_change
    assert network_change(given) in ("noise", "negligible")  # nothing to weigh the change against
