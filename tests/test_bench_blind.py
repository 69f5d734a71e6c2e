"""The blind benchmark's summary and table (scientist.restore.bench_blind), on rows made by hand: the targets of
the restoration issue are judged per role from the per-photo figures, and the table says what decided each gain."""

from __future__ import annotations

from scientist.restore.bench_blind import TARGETS, _table, summarize


def _row(photo, condition, margin, told_margin, level_error=0.0, psnr=30.0, gain=2.5, brightness="brightened"):
    return {"photo": photo, "role": "natural", "condition": condition, "gain": gain, "brightness": brightness,
            "exact_gain": 2.5 if condition != "clean" else 1.0, "strength": 1.0, "noise": 3.0, "psnr": psnr,
            "blind_psnr": psnr - margin, "blind_h": 5, "told_psnr": psnr - told_margin, "told_h": 5,
            "margin": margin, "told_margin": told_margin, "level": 100.0, "original_level": 100.0,
            "level_error": level_error, "weights": "bundled", "precision": "bf16", "backend": "torch"}


def _rows(light_told=(0.9, 0.7), level=(0.02, 0.03), clean=(40.0, 45.0)):
    rows = []
    for i, (told, err) in enumerate(zip(light_told, level, strict=True)):
        rows.append(_row(f"p{i}", "heavy-png", 5.0, 3.0, level_error=err))
        rows.append(_row(f"p{i}", "light-png", 8.0, told, level_error=-err))
    for i, psnr in enumerate(clean):
        rows.append(_row(f"p{i}", "clean", 0.0, 0.0, psnr=psnr, gain=1.0, brightness="reaches-white"))
    return rows


def test_every_target_is_met_when_every_figure_clears_it():
    s = summarize(_rows())["natural"]
    assert s["photos"] == 2 and s["cases"] == 6
    assert (s["blind_heavy_mean"], s["told_heavy_mean"], s["told_light_mean"]) == (5.0, 3.0, 0.8)
    assert s["level_median"] == 0.025 and s["level_max"] == 0.03 and s["clean_min"] == 40.0
    assert all(s["met"].values()), s["met"]


def test_each_target_fails_on_its_own_figure():
    light = summarize(_rows(light_told=(0.9, -1.5)))["natural"]["met"]  # mean -0.3 dB, one case below -1 dB
    assert not light["light"] and not light["worst"] and light["heavy"] and light["level"] and light["clean"]
    level = summarize(_rows(level=(0.02, TARGETS["level_max"] + 0.01)))["natural"]["met"]
    assert not level["level"] and level["light"]
    clean = summarize(_rows(clean=(50.0, TARGETS["clean_min"] - 0.5)))["natural"]["met"]
    assert not clean["clean"] and clean["level"]  # the mean clears 35 dB, the lowest does not clear 32 dB


def test_the_table_says_what_decided_each_gain():
    rows = _rows()
    table = _table(rows, summarize(rows))
    assert "| p0 | natural | light-png | 2.50 (2.50; brightened) |" in table
    assert "| p1 | natural | clean | 1.00 (1.00; reaches-white) |" in table
    assert "heavy yes, light yes, worst yes, level yes, clean yes" in table
