"""The blind benchmark's summary and table (scientist.restore.bench_blind), on rows made by hand: the targets of
the restoration issue are judged per role from the per-photo figures, and the table says what decided each gain."""

from __future__ import annotations

import pytest

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


def test_the_told_margin_where_the_level_came_out_right_is_told_apart():
    rows = _rows(light_told=(4.0, -6.0), level=(0.01, 0.09))  # the second light case missed its level by 9 %
    s = summarize(rows)["natural"]
    assert s["told_light_mean"] == -1.0
    assert s["told_light_level_ok"] == {"mean": 4.0, "cases": 1, "lowest": 4.0}
    assert s["told_heavy_level_ok"]["cases"] == 1  # heavy p1 is 9 % off too
    assert "where the level came out within 3% of the original's, the margin over the told baseline is heavy " \
           "+3.00 dB (1 cases, lowest +3.00); light +4.00 dB (1 cases, lowest +4.00)" in _table(rows, summarize(rows))


def test_the_fitting_part_of_a_natural_folder_gets_its_own_role(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    import scientist.restore.bench_blind as bench
    from scientist.restore.bench_blind import NATURAL_PARTS, blind_cases
    from scientist.restore.photosets import split_folder

    monkeypatch.setattr(bench, "installed_photos", dict)  # only the natural folder's photos (no matplotlib needed)

    for i in range(6):
        Image.fromarray(np.full((24, 32, 3), 40 * i, np.uint8)).save(tmp_path / f"{i}.png")
    fit, held = split_folder(tmp_path)

    def naturals(part):
        return {(name, role) for name, role, *_ in blind_cases(64, natural=tmp_path, part=part)}

    assert naturals("held-out") == {(n, "natural") for n in held}
    assert naturals("fit") == {(n, "natural-fitted") for n in fit}
    assert set(NATURAL_PARTS) == {"held-out", "fit"}


def test_natural_photos_alone_need_no_installed_photo_and_keep_their_draws(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    import scientist.restore.bench_blind as bench
    from scientist.restore.bench_blind import HELD_OUT, SEED_ORDER, blind_cases

    assert set(SEED_ORDER) == set(HELD_OUT)
    for i in range(24):
        Image.fromarray(np.full((24, 32, 3), 8 * i + 20, np.uint8)).save(tmp_path / f"{i:02d}.png")
    fake = {name: np.full((40, 40, 3), 0.5, np.float32) for name in SEED_ORDER}
    monkeypatch.setattr(bench, "installed_photos", lambda: dict(fake))
    every = {(name, cond): bad for name, role, cond, _p, _c, bad in blind_cases(64, natural=tmp_path)
             if role == "natural"}

    def missing():
        raise AssertionError("the installed photos were loaded for a run of natural photos only")

    monkeypatch.setattr(bench, "installed_photos", missing)  # as without matplotlib
    alone = {(name, cond): bad for name, _r, cond, _p, _c, bad in
             blind_cases(64, natural=tmp_path, wanted=lambda role, cond: role == "natural")}
    assert alone.keys() == every.keys() and len(alone) == 20 * 3  # 20 of 24 new photos held out, 3 conditions
    assert all(np.array_equal(alone[k], every[k]) for k in alone)


def test_the_command_lines_parts_are_the_benchmarks():
    from scientist.cli.photos import NaturalPart
    from scientist.restore.bench_blind import NATURAL_PARTS

    assert {p.value for p in NaturalPart} == set(NATURAL_PARTS)


@pytest.mark.parametrize("blind", [True, False])
def test_bench_restore_without_the_bench_extra_says_what_to_install(monkeypatch, blind):
    import sys

    from .helpers import assert_one_line_error, run_cli

    # the blind benchmark needs matplotlib's photos; the other runs on scikit-learn's when matplotlib is missing
    for module in ("matplotlib",) if blind else ("matplotlib", "sklearn.datasets"):
        monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    code, _out, lines = run_cli("bench-restore", *(["--blind"] if blind else []))
    needs = "matplotlib" if blind else "scikit-learn or matplotlib"
    assert_one_line_error(code, lines, f"bench-restore needs {needs}")
    assert "pip install 'matplotlib>=3.7' 'bm3d>=4.0'" in lines[-1]  # the extra's own requirements


def test_a_target_no_case_measured_is_not_called_met():
    rows = [r for r in _rows() if r["condition"] == "light-png"]  # light noise only: no heavy, no clean case
    s = summarize(rows)["natural"]
    assert s["met"]["light"] is True and s["met"]["heavy"] is None and s["met"]["clean"] is None
    assert "heavy -, light yes, worst yes, level yes, clean -" in _table(rows, summarize(rows))


@pytest.mark.parametrize("kwargs,match", [
    ({"conditions": ("bogus",)}, "unknown condition 'bogus'"),
    ({"roles": ("held-out",)}, "unknown role 'held-out'"),
    ({"part": "all"}, "invalid natural part"),
])
def test_a_name_the_benchmark_does_not_know_is_refused_before_any_work(kwargs, match):
    from scientist.errors import OptionError
    from scientist.restore.bench_blind import run_blind_bench

    with pytest.raises(OptionError, match=match):
        run_blind_bench(**kwargs)


def test_an_output_equal_to_its_original_has_a_finite_psnr():
    import numpy as np

    from scientist.restore.bench_blind import PSNR_CAP, _psnr

    img = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    assert _psnr(img, img) == PSNR_CAP


def test_the_held_out_part_keeps_the_recorded_split_whatever_else_a_folder_holds(tmp_path):
    import numpy as np
    from PIL import Image

    from scientist.restore.photosets import load_natural, recorded_split, split_folder

    fitted, held = recorded_split()
    assert len(fitted) > len(held) > 0
    names = sorted(fitted)[:30] + sorted(held)[:10] + ["zzz_new.png"]
    for n in names:
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / n)
    (tmp_path / "sub.png").mkdir()  # a folder with a photo's name is no photo
    fit_part, held_part = split_folder(tmp_path)
    assert not set(held_part) & fitted and set(held_part) >= set(sorted(held)[:10])
    assert "zzz_new.png" in held_part and "sub.png" not in fit_part + held_part
    # a 16-bit photo is read as 16 bits, not clipped to white by an 8-bit conversion
    deep = tmp_path / sorted(held)[0]
    Image.fromarray(np.full((4, 4), 32768, np.uint16)).save(deep)
    assert abs(float(load_natural(tmp_path, "held-out")[deep.name].mean()) - 0.5) < 0.01


@pytest.mark.parametrize("args,match", [
    (["--natural", "somewhere"], "--natural applies to the blind benchmark only"),
    (["--condition", "heavy"], "--condition applies to the blind benchmark only"),
    (["--size", "7"], "--size must be 32 pixels or more"),
    (["--blind", "--side", "0"], "--side must be 32 pixels or more"),
    (["--blind", "--size", "64"], "--size applies without --blind only"),
    (["--blind", "--condition", "bogus"], "unknown condition 'bogus'"),
])
def test_bench_restore_options_it_would_not_use_are_refused(args, match):
    from .helpers import assert_one_line_error, run_cli

    code, _, lines = run_cli("bench-restore", *args)
    assert_one_line_error(code, lines, match)


def test_the_plain_benchmark_says_which_photos_and_methods_it_left_out(monkeypatch):
    import sys

    from scientist.restore.bench import run_bench

    for module in ("matplotlib", "bm3d"):
        monkeypatch.setitem(sys.modules, module, None)  # as without the bench extra
    monkeypatch.setattr("scientist.restore.bench._has", lambda module: module != "bm3d")
    report = run_bench(size=32)
    assert {r["photo"] for r in report["rows"]} == {"china.jpg", "flower.jpg"}
    assert report["left_out"] == ["grace_hopper.jpg (needs matplotlib)", "BM3D (needs bm3d)"]
    assert "Left out, as not installed: grace_hopper.jpg (needs matplotlib), BM3D (needs bm3d)" in report["table"]
    assert "pip install 'matplotlib>=3.7' 'bm3d>=4.0'" in report["table"]
