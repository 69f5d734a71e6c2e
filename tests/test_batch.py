"""Photos as people keep them: folders of mixed formats, metadata kept, resumable runs, strength."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PIL import ExifTags, Image

from .helpers import (
    DATE,
    digest,
    exif_bytes,
    exif_date,
    photo_array,
    rgb_profile,
    run_cli,
    save_heic,
    save_png16,
    to_u8,
)


def _dim(h, w, seed):
    """A dim, grainy photo, 8-bit RGB."""
    return to_u8(photo_array(h, w, seed) * 0.4)


def _dim16(h, w, seed):
    rng = np.random.default_rng(seed)
    return (_dim(h, w, seed).astype(np.uint16) * 257 + rng.integers(0, 200, (h, w, 3))).astype(np.uint16)


def _folder_of_20(root):
    """20 photos as a phone and a scanner leave them: JPEGs with EXIF and a profile, 16-bit PNGs, HEICs, one
    8-bit PNG in a subfolder, and one damaged file.  Returns {kind: [paths]}."""
    kinds = {"jpeg": [], "png16": [], "heic": [], "png": [], "broken": []}
    (root / "2023").mkdir(parents=True)
    for i in range(8):
        p = root / f"IMG_{i:04d}.jpg"
        Image.fromarray(_dim(64 + 4 * i, 96 - 2 * i, i)).save(p, quality=90, exif=exif_bytes(6 if i % 2 else 1),
                                                              icc_profile=rgb_profile())
        kinds["jpeg"].append(p)
    for i in range(5):
        kinds["png16"].append(save_png16(root / "2023" / f"scan_{i}.png", _dim16(72, 88, 10 + i),
                                         exif=exif_bytes(), icc=rgb_profile()))
    for i in range(5):
        kinds["heic"].append(save_heic(root / f"IMG_{i + 100:04d}.HEIC", _dim(80, 64, 20 + i),
                                       exif=exif_bytes(6)))
    p = root / "2023" / "screenshot.png"
    Image.fromarray(_dim(70, 90, 30)).save(p)
    kinds["png"].append(p)
    good = root / "whole.jpg"
    Image.fromarray(_dim(200, 200, 40)).save(good, quality=90)
    broken = root / "broken.jpg"
    broken.write_bytes(good.read_bytes()[:700])  # the header is fine, the pixels are cut off
    good.unlink()
    kinds["broken"].append(broken)
    return kinds


def _outputs(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.slow  # runs the bundled network
def test_folder_of_20_mixed_photos_restores_in_one_command_and_resumes(tmp_path):
    import cv2

    photos = tmp_path / "Phone"
    kinds = _folder_of_20(photos)
    every = [p for ps in kinds.values() for p in ps]
    assert len(every) == 20
    out = tmp_path / "restored"

    code, stdout, lines = run_cli("restore", photos, "--recursive", "--out-dir", out, inputs=every)
    assert code == 1, lines  # one photo failed; the 19 others were restored
    assert "19 restored, 0 skipped, 1 failed of 20 photos" in stdout
    assert "broken.jpg: the image is damaged or truncated" in stdout
    assert any("broken.jpg" in ln and "failed" in ln for ln in lines)  # reported as it happened too
    mirror = out / "Phone"
    restored = sorted(mirror.rglob("*_restored.png"))
    assert len(restored) == 19 and len(list(mirror.rglob("*_compare.png"))) == 19
    assert not list(mirror.rglob("broken*")) and not list(out.rglob(".*"))  # nothing partial, no temporaries

    for p in kinds["jpeg"] + kinds["heic"]:  # EXIF kept, Orientation 1: the pixels are upright
        result = mirror / f"{p.stem}_restored.png"
        assert exif_date(result) == DATE, result
        with Image.open(result) as im, Image.open(p) as src:
            assert im.getexif()[ExifTags.Base.Orientation] == 1
            upright = src.size[::-1] if p.suffix == ".jpg" and src.getexif().get(274) == 6 else src.size
            assert im.size == upright
    for p in kinds["jpeg"] + kinds["png16"]:  # the profile embedded unchanged
        rel = p.relative_to(photos)
        with Image.open(mirror / rel.parent / f"{p.stem}_restored.png") as im:
            assert im.info.get("icc_profile") == rgb_profile()
    for p in kinds["png16"]:  # 16 bits in, 16 bits out
        deep = cv2.imread(str(mirror / "2023" / f"{p.stem}_restored.png"), cv2.IMREAD_UNCHANGED)
        assert deep.dtype == np.uint16 and np.any(deep % 257)
    assert (mirror / "2023" / "screenshot_restored.png").is_file()

    before = digest(_outputs(out))
    start = time.perf_counter()
    code, stdout, lines = run_cli("restore", photos, "--recursive", "--out-dir", out, inputs=every)
    seconds = time.perf_counter() - start
    assert code == 1 and "0 restored, 19 skipped, 1 failed of 20 photos" in stdout
    assert seconds < 5, seconds
    assert digest(_outputs(out)) == before  # the earlier results are left as they are


@pytest.mark.slow  # runs the bundled network
def test_same_stem_photos_beside_each_other_and_a_rerun(tmp_path):
    Image.fromarray(_dim(40, 48, 1)).save(tmp_path / "IMG_1.jpg", quality=90)
    save_heic(tmp_path / "IMG_1.heic", _dim(40, 48, 2))
    Image.fromarray(_dim(40, 48, 3)).save(tmp_path / "IMG_2.png")
    inputs = sorted(tmp_path.iterdir())
    code, stdout, lines = run_cli("restore", *inputs, inputs=inputs)
    assert code == 0, lines
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["IMG_1.heic", "IMG_1.jpg", "IMG_1_heic_compare.png", "IMG_1_heic_restored.png",
                     "IMG_1_jpg_compare.png", "IMG_1_jpg_restored.png", "IMG_2.png", "IMG_2_compare.png",
                     "IMG_2_restored.png"]
    # the folder itself: outputs of this tool are never taken as photos, and all three are done already
    code, stdout, lines = run_cli("restore", tmp_path, inputs=inputs)
    assert code == 0 and "0 restored, 3 skipped, 0 failed of 3 photos" in stdout, stdout
    code, stdout, lines = run_cli("restore", tmp_path, "--overwrite", "--json", inputs=inputs)
    assert code == 0 and [i["status"] for i in json.loads(stdout)] == ["restored"] * 3


@pytest.mark.slow  # runs the bundled network
def test_subfolders_only_with_recursive_and_raw_files_are_skipped(tmp_path):
    (tmp_path / "trip" / "day1").mkdir(parents=True)
    Image.fromarray(_dim(40, 48, 1)).save(tmp_path / "trip" / "day1" / "a.jpg")
    (tmp_path / "trip" / "day1" / "a.dng").write_bytes(b"II*\x00" + b"\x00" * 32)
    (tmp_path / "trip" / "notes.txt").write_text("not a photo")
    code, _, lines = run_cli("restore", tmp_path / "trip", "--out-dir", tmp_path / "out")
    assert code == 2 and "no photos found" in lines[-1] and "--recursive" in lines[-1]
    code, stdout, lines = run_cli("restore", tmp_path / "trip", "-r", "--out-dir", tmp_path / "out", "--json")
    assert code == 0, lines
    items = {i["name"]: i for i in json.loads(stdout)}
    assert items["trip/day1/a.jpg"]["status"] == "restored"
    assert items["trip/day1/a.dng"]["status"] == "skipped" and "camera RAW" in items["trip/day1/a.dng"]["reason"]
    assert (tmp_path / "out" / "trip" / "day1" / "a_restored.png").is_file()


def test_out_names_one_output_only(tmp_path):
    for n in (1, 2):
        Image.fromarray(_dim(20, 24, n)).save(tmp_path / f"{n}.png")
    code, _, lines = run_cli("restore", tmp_path / "1.png", tmp_path / "2.png", "--out", tmp_path / "x.png")
    assert code == 2 and len(lines) == 1 and "--out-dir" in lines[0]


@pytest.mark.slow  # runs the bundled network
def test_a_photo_that_fails_while_saving_leaves_nothing(tmp_path, monkeypatch):
    import scientist.restore.stages as stages

    real = stages.write_image_atomic

    def failing(img, path, **kwargs):
        if path.name == "b_restored.png":
            raise OSError("disk full")
        return real(img, path, **kwargs)

    monkeypatch.setattr(stages, "write_image_atomic", failing)
    (tmp_path / "in" / "sub").mkdir(parents=True)
    Image.fromarray(_dim(20, 24, 1)).save(tmp_path / "in" / "a.png")
    Image.fromarray(_dim(20, 24, 2)).save(tmp_path / "in" / "sub" / "b.png")
    code, stdout, lines = run_cli("restore", tmp_path / "in", "-r", "--out-dir", tmp_path / "out")
    assert code == 1 and "1 restored, 0 skipped, 1 failed" in stdout
    assert "internal error: OSError: disk full" in stdout
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")) == [
        "in", "in/a_compare.png", "in/a_restored.png"]  # no comparison and no folder left for b


@pytest.mark.slow  # runs the bundled network
def test_library_restore_many_yields_records_and_progress(tmp_path, fake_sci):
    Image.fromarray(_dim(30, 40, 1)).save(tmp_path / "a.png")
    (tmp_path / "b.jpg").write_text("not a photo")
    events = []
    items = list(fake_sci.restore_many([tmp_path / "a.png", tmp_path / "b.jpg"], out_dir=tmp_path / "out",
                                       progress=events.append, strength=0.5))
    assert [i.status for i in items] == ["restored", "failed"]
    assert items[0].demo.strength == 0.5 and items[0].output.endswith("a_restored.png")
    assert "not an image" in items[1].reason
    for index, expected in ((0, ["photo", "start", "done", "photo-end"]), (1, ["photo", "photo-end"])):
        # each photo's events in order (photos in flight at once interleave theirs)
        assert [e.kind for e in events if e.index == index and e.kind != "tile"] == expected
    assert all(e.count == 2 and e.name for e in events)
    assert events[0].work == pytest.approx(30 * 40 / 1e6) and events[0].work_total == events[0].work


def test_batch_progress_on_a_terminal_shows_both_bars():
    import io

    from rich.console import Console

    from scientist.progress import BatchProgress
    from scientist.restore.record import ProgressEvent

    out = io.StringIO()
    bar = BatchProgress(console=Console(file=out, force_terminal=True, width=120))
    common = {"count": 2, "work_total": 3.0}
    bar(ProgressEvent("photo", name="a.jpg", index=0, work=1.0, **common))
    bar(ProgressEvent("start", 0, 4, name="a.jpg", index=0, work=1.0, **common))
    bar(ProgressEvent("tile", 2, 4, name="a.jpg", index=0, work=1.0, **common))
    bar(ProgressEvent("photo-end", name="a.jpg", index=0, work=1.0, status="restored", elapsed=1.5, **common))
    bar(ProgressEvent("photo", name="b.jpg", index=1, work=2.0, **common))
    bar(ProgressEvent("photo-end", name="b.jpg", index=1, work=2.0, status="failed", reason="b.jpg: damaged",
                      **common))
    text = out.getvalue()
    assert "all photos" in text and "2/4 tiles" in text and "1/2 photos" in text and "ETA" in text
    assert "[1/2] a.jpg: restored in 1.5 s" in text and "[2/2] b.jpg: failed (b.jpg: damaged)" in text
    assert bar._bar is None  # stopped after the last photo


def test_a_photos_line_spells_its_name_as_the_file_does():
    """'a  b.jpg' (two spaces) was printed '[1/2] a b.jpg': the line's white space was collapsed, the name's too."""
    import io

    from rich.console import Console

    from scientist.progress import BatchProgress
    from scientist.restore.record import ProgressEvent

    out = io.StringIO()
    bar = BatchProgress(console=Console(file=out, width=120))
    common = {"count": 1, "work_total": 1.0, "index": 0, "work": 1.0}
    bar(ProgressEvent("photo", name="a  b.jpg", **common))
    bar(ProgressEvent("photo-end", name="a  b.jpg", status="restored", elapsed=1.5, **common))
    assert "[1/1] a  b.jpg: restored in 1.5 s" in out.getvalue()


@pytest.mark.slow  # runs the bundled network
def test_strength_blends_the_restoration_with_the_brightened_photo(tmp_path):
    from scientist.restore.amount import from_domain, load_amount_rule, to_domain
    from scientist.restore.degrade import apply_gain
    from scientist.restore.exposure import estimate_gain
    from scientist.restore.photo import read_photo
    from scientist.restore.run import run_demo

    photo = tmp_path / "dim.png"
    Image.fromarray(_dim(40, 56, 5)).save(photo)
    results = {}
    for s in (0.0, 0.5, 1.0):
        demo = run_demo(photo, strength=s, out_dir=tmp_path)
        assert demo.strength == s
        results[s] = read_photo(demo.output)[0]
    img, _ = read_photo(photo)
    brightened = apply_gain(img, estimate_gain(img))
    assert np.abs(results[0.0] - brightened).max() <= 1 / 255
    # half the change: half-way between the two in the blend's domain (a power of linear light)
    dom = load_amount_rule().domain
    halfway = from_domain((to_domain(results[0.0], dom) + to_domain(results[1.0], dom)) / 2, dom)
    assert np.abs(results[0.5] - halfway).max() <= 1.5 / 255
    assert np.abs(results[1.0] - results[0.0]).mean() > 1 / 255  # the network did change something


@pytest.mark.slow  # runs the bundled network
def test_output_formats_and_quality_through_the_cli(tmp_path):
    photo = tmp_path / "IMG_7.jpg"
    Image.fromarray(_dim(40, 56, 7)).save(photo, quality=90, exif=exif_bytes(), icc_profile=rgb_profile())
    code, stdout, lines = run_cli("restore", photo, "--format", "jpg", "--quality", "80", "--json", inputs=[photo])
    assert code == 0, lines
    demo = json.loads(stdout)
    assert demo["output"].endswith("IMG_7_restored.jpg") and demo["format"] == "jpg"
    assert demo["metadata"] == ["exif", "icc"] and demo["bit_depth"] == 8
    with Image.open(demo["output"]) as im:
        assert im.format == "JPEG" and im.info.get("icc_profile") == rgb_profile()
    assert exif_date(demo["output"]) == DATE
    code, _, lines = run_cli("restore", photo, "--out", tmp_path / "x.tif", inputs=[photo])
    assert code == 0, lines
    with Image.open(tmp_path / "x.tif") as im:
        assert im.format == "TIFF"
    code, _, lines = run_cli("restore", photo, "--out", tmp_path / "y.tif", "--format", "png", inputs=[photo])
    assert code == 2 and "the name says tiff" in lines[-1]
    code, _, lines = run_cli("restore", photo, "--strength", "1.5", inputs=[photo])
    assert code == 2
    code, _, lines = run_cli("restore", photo, "--gain", "0.5", inputs=[photo])
    assert code == 2 and "gain: must be auto or a number from 1 to 12" in lines[-1]
    code, out, lines = run_cli("restore", photo, "--gain", "1", "--out", tmp_path / "as-is.png", inputs=[photo])
    assert code == 0 and "brightness: ×1.00 in linear light: as given" in out, (out, lines)


def test_ask_and_restore_list_the_demo_options_in_their_help():
    code, out, _ = run_cli("ask", "--help")
    assert code == 0
    assert "--image-format" in out and "--strength" in out and "--quality" in out and "md (default)" in out
    assert "--gain" in out
    def flat(text):  # the help's boxes wrap their text between borders
        return " ".join(text.replace("│", " ").replace("|", " ").split())

    assert "restored image and its comparison" in flat(out) and "mirrored" not in out  # ask takes one photo
    code, out, _ = run_cli("restore", "--help")
    assert "--format" in out and "--recursive" in out and "folders are mirrored" in flat(out)


@pytest.mark.slow  # runs the bundled network
def test_readme_restore_many_example_runs(tmp_path, monkeypatch, capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Photos as people keep them", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```python\n(.*?)```", section, re.S)
    (tmp_path / "Trip" / "day1").mkdir(parents=True)
    Image.fromarray(_dim(24, 32, 1)).save(tmp_path / "Trip" / "day1" / "IMG_1.jpg")
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README restore_many example", "exec"), {})
    assert capsys.readouterr().out.split() == ["restored", "Trip/day1/IMG_1.jpg",
                                               "Restored/Trip/day1/IMG_1_restored.png"]


@pytest.mark.slow  # runs the bundled network
def test_a_failed_photo_is_named_once(tmp_path):
    """Reasons carry no name of their own: the summary and the progress line put it in front, once."""
    Image.fromarray(_dim(20, 24, 1)).save(tmp_path / "good.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    code, stdout, lines = run_cli("restore", tmp_path / "good.png", tmp_path / "broken.jpg", tmp_path / "gone.jpg")
    assert code == 1 and "1 restored, 0 skipped, 2 failed" in stdout
    failed = stdout.split("Failed:", 1)[1].strip().splitlines()
    assert len(failed) == 2 and all(line.count("broken.jpg") + line.count("gone.jpg") == 1 for line in failed)
    assert any(line.strip().endswith("gone.jpg: no such file") for line in failed)
    progress = [line for line in lines if "failed (" in line]
    assert len(progress) == 2 and all(line.count("broken.jpg") + line.count("gone.jpg") == 1 for line in progress)


def test_one_path_is_one_photo_and_what_is_not_paths_is_refused(tmp_path, monkeypatch, fake_sci):
    """A single str or path names one photo (as demo takes one), never the characters of its name, of which '.'
    would be the working folder; anything that is not paths is an OptionError, from restore_many when called."""
    from pathlib import Path

    from scientist.errors import OptionError
    from scientist.restore.batch import plan_batch

    Image.fromarray(_dim(20, 24, 1)).save(tmp_path / "other.png")
    monkeypatch.chdir(tmp_path)
    for one in ("holiday.jpg", Path("holiday.jpg")):
        assert [(p.name, p.fail) for p in plan_batch(one)] == [("holiday.jpg", "no such file")]
    [item] = fake_sci.restore_many("holiday.jpg", progress=False)
    assert (item.name, item.status, item.reason) == ("holiday.jpg", "failed", "no such file")
    assert [p.name for p in plan_batch(iter(["other.png"]))] == ["other.png"]  # any iterable of paths
    for bad, said in ((5, "a path or a list of paths, not int"), (None, "not None"), (b"holiday.jpg", "not bytes"),
                      (["other.png", 5], r"each photo or folder to restore must be a path \(a str or os.PathLike\), "
                                         "not int")):
        with pytest.raises(OptionError, match=said):
            plan_batch(bad)
        with pytest.raises(OptionError, match=said):
            fake_sci.restore_many(bad)  # raised by the call itself, before any photo is looked for
    for one_photo in (lambda: fake_sci.ask("how does it reduce noise?", photo=5), lambda: fake_sci.demo(5)):
        with pytest.raises(OptionError, match=r"^the photo must be a path \(a str or os.PathLike\), not int$"):
            one_photo()  # a TypeError from deep inside once
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.png"]  # nothing was restored or held


def test_photos_shown_alike_are_shown_as_given(tmp_path, monkeypatch):
    """a/trip and b/trip both hold IMG_1.jpg: each is shown as reached from the command line, so the clash of
    their outputs under one --out-dir tells them apart (both read trip/IMG_1.jpg once)."""
    from scientist.restore.batch import plan_batch, settled

    for side in ("a", "b"):
        (tmp_path / side / "trip").mkdir(parents=True)
        Image.fromarray(_dim(20, 24, 1)).save(tmp_path / side / "trip" / "IMG_1.jpg")
    Image.fromarray(_dim(20, 24, 2)).save(tmp_path / "a" / "trip" / "IMG_2.jpg")
    monkeypatch.chdir(tmp_path)
    first, other, second = plan_batch(["a/trip", "b/trip"], out_dir="R")
    assert (first.name, first.fail) == ("a/trip/IMG_1.jpg", None)
    assert other.name == "trip/IMG_2.jpg"  # shown alike by nothing else: as before
    item = settled(second)
    assert (item.name, item.status) == ("b/trip/IMG_1.jpg", "failed")
    assert item.reason == ("its output R/trip/IMG_1_jpg_restored.png would be the same as that of a/trip/IMG_1.jpg; "
                           "restore it on its own")
    assert [p.name for p in plan_batch(["a/trip"], out_dir="R")] == ["trip/IMG_1.jpg", "trip/IMG_2.jpg"]


def test_photos_passed_over_in_subfolders_are_said_once_after_the_run(tmp_path):
    """A folder restored without --recursive whose subfolders hold photos: the summary says how many were passed
    over, once, from a look bounded by the subfolder_scan_limit setting."""
    from scientist.restore.batch import PassedOver, passed_over

    trip = tmp_path / "Trip"
    for sub in ("day1/deeper", "day2", ".hidden"):
        (trip / sub).mkdir(parents=True)
    (trip / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")  # the top's one photo: fails unread
    for name in ("day1/a.jpg", "day1/deeper/b.png", "day2/c.jpg", "day2/c_restored.png", ".hidden/d.jpg"):
        Image.fromarray(_dim(16, 16, 1)).save(trip / name)
    (trip / "day2" / "notes.txt").write_text("not a photo")
    (trip / "day2" / "e.dng").write_bytes(b"II*\x00" + b"\x00" * 32)
    code, stdout, lines = run_cli("restore", trip, "--out-dir", tmp_path / "out")
    assert code == 1 and "0 restored, 0 skipped, 1 failed of 1 photo" in stdout, lines
    said = "3 more photos in subfolders were not restored; pass --recursive (-r) to restore them too."
    assert stdout.count("in subfolders") == 1 and said in stdout
    # with --json, stdout holds the JSON alone and the hint is a note on stderr
    code, stdout, lines = run_cli("restore", trip, "--out-dir", tmp_path / "out", "--json")
    assert code == 1 and [i["status"] for i in json.loads(stdout)] == ["failed"]
    assert f"note: {said}" in lines, lines
    # the count: hidden folders, this tool's outputs, RAW files and other files left out, as --recursive does
    assert passed_over(trip, limit=1000) == PassedOver(3, True)
    assert passed_over([trip], out_dir=trip / "day1", limit=1000) == PassedOver(1, True)  # nor the output folder
    assert passed_over([trip / "broken.jpg"], limit=1000) == PassedOver(0, True)  # a file has no subfolders
    bounded = passed_over([trip], limit=2)  # day1 and day2 hold 6 entries: it stops at 2
    assert not bounded.complete and bounded.photos <= 2
    # one photo passed over; nothing said with --recursive, nor when the look is turned off
    broken = tmp_path / "Broken"
    (broken / "sub").mkdir(parents=True)
    for name in ("top.jpg", "sub/below.jpg"):
        (broken / name).write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    code, stdout, _ = run_cli("restore", broken)
    assert code == 1 and "1 more photo in subfolders was not restored; pass --recursive (-r) to restore it too." \
        in stdout
    code, stdout, _ = run_cli("restore", broken, "-r")
    assert code == 1 and "0 restored, 0 skipped, 2 failed of 2 photos" in stdout and "in subfolders" not in stdout
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCIENTIST_SUBFOLDER_SCAN_LIMIT", "0")
        code, stdout, _ = run_cli("restore", broken)
    assert code == 1 and "0 restored, 0 skipped, 1 failed of 1 photo" in stdout and "in subfolders" not in stdout


def _photo_at(path, h=20, w=24, seed=1):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(_dim(h, w, seed)).save(path)
    return path


def test_jpegs_saved_as_jfif_or_jpe_are_photos_in_a_folder(tmp_path):
    """Browsers on Windows save JPEGs as .jfif: restored when named, they were passed over in a folder."""
    from scientist.restore.batch import plan_batch

    for name in ("download.jfif", "scan.JPE", "IMG_1.jpg"):
        _photo_at(tmp_path / "Downloads" / name)
    (tmp_path / "Downloads" / "notes.txt").write_text("not a photo")
    planned = plan_batch([tmp_path / "Downloads"])
    assert [p.name for p in planned] == ["Downloads/IMG_1.jpg", "Downloads/download.jfif", "Downloads/scan.JPE"]
    assert all(p.skip is None and p.fail is None and p.work > 0 for p in planned)


@pytest.mark.slow  # runs the bundled network
@pytest.mark.parametrize("failure", [OSError, KeyboardInterrupt])
def test_a_batch_that_writes_nothing_leaves_no_out_dir(tmp_path, monkeypatch, failure):
    """Two photos in flight at once both fail (a full disk), or the run is stopped: the photo that made the new
    --out-dir failed first and could not remove it (it held the other's names), and the other had made no folder,
    so the --out-dir stayed behind, empty."""
    import threading

    import scientist.restore.batch as batch
    import scientist.restore.stages as stages

    lock, both, cleaned = threading.Lock(), threading.Barrier(2, timeout=60), threading.Event()
    maker = []

    def make_folders(folder):
        with lock:  # one photo makes the folders, the other finds them made
            made = real_make(folder)
            if made:
                maker.append(threading.get_ident())
            return made

    def remove_empty(folders):
        real_remove(folders)
        cleaned.set()

    def failing(img, path, **kwargs):
        both.wait()  # both photos hold their names in the folders
        if threading.get_ident() not in maker:
            cleaned.wait(60)  # fails once the photo that made the folders has failed and cleaned up
        raise failure("disk full")

    real_make, real_remove = batch.make_folders, batch.remove_empty
    monkeypatch.setattr(batch, "make_folders", make_folders)
    monkeypatch.setattr(batch, "remove_empty", remove_empty)
    monkeypatch.setattr(stages, "write_image_atomic", failing)
    for n in (1, 2):
        _photo_at(tmp_path / "in" / f"{n}.png", seed=n)
    run = batch.restore_many([tmp_path / "in"], out_dir=tmp_path / "new" / "out", threads=2)
    if failure is KeyboardInterrupt:
        with pytest.raises(KeyboardInterrupt):
            list(run)
    else:
        assert [(i.status, i.reason) for i in run] == [("failed", "internal error: OSError: disk full")] * 2
    assert not (tmp_path / "new").exists()


def test_an_output_of_another_photo_of_the_same_name_is_not_taken_for_this_ones(tmp_path, monkeypatch):
    """a/trip and b/trip restored into one --out-dir in two runs share R/trip/: b's photo was skipped as
    'already restored' by a's output (and --overwrite replaced a's)."""
    from scientist.restore.batch import plan_batch

    monkeypatch.chdir(tmp_path)
    _photo_at(tmp_path / "a" / "trip" / "IMG_1.jpg", 20, 24)
    _photo_at(tmp_path / "b" / "trip" / "IMG_1.jpg", 30, 40)
    _photo_at(tmp_path / "R" / "trip" / "IMG_1_restored.png", 20, 24)  # a's result, from an earlier run
    (p,) = plan_batch(["b/trip"], out_dir="R")
    assert p.skip is None and p.fail.startswith("R/trip/IMG_1_restored.png exists but is 24x20, where this photo "
                                                "restores to 40x30: it was made from another photo of the same name")
    (same,) = plan_batch(["a/trip"], out_dir="R")
    assert same.skip == "already restored: R/trip/IMG_1_restored.png"
    (turned,) = plan_batch(["a/trip"], out_dir="R", max_side=12)  # another --max-side: said, not skipped
    assert turned.fail and "with another --max-side" in turned.fail
    assert plan_batch(["b/trip"], out_dir="R", overwrite=True)[0].fail is None  # --overwrite redoes it


def test_a_link_to_a_photo_does_not_stand_in_for_it(tmp_path):
    """Favorites/x.jpg -> ../day1/x.jpg sorts first, and the photo itself was dropped as its duplicate."""
    from scientist.restore.batch import plan_batch

    real = _photo_at(tmp_path / "Trip" / "day1" / "x.jpg")
    _photo_at(tmp_path / "Trip" / "day1" / "y.jpg", seed=2)
    (tmp_path / "Trip" / "Favorites").mkdir()
    (tmp_path / "Trip" / "Favorites" / "x.jpg").symlink_to(real)
    planned = {p.name: p for p in plan_batch([tmp_path / "Trip"], recursive=True, out_dir=tmp_path / "R")}
    assert planned["Trip/day1/x.jpg"].restored == tmp_path / "R" / "Trip" / "day1" / "x_restored.png"
    assert planned["Trip/Favorites/x.jpg"].skip == "the same photo as Trip/day1/x.jpg, restored as that"
    assert planned["Trip/day1/y.jpg"].work > 0


def test_endings_that_differ_by_case_only_get_outputs_of_their_own(tmp_path):
    from scientist.restore.batch import plan_batch

    _photo_at(tmp_path / "s" / "photo.jpg")
    _photo_at(tmp_path / "s" / "photo.JPG", seed=2)
    outputs = sorted(p.restored.name for p in plan_batch([tmp_path / "s"]))
    assert outputs == ["photo_JPG_restored.png", "photo_jpg_restored.png"]


def test_a_name_too_long_for_the_file_system_fails_that_photo_alone(tmp_path):
    from scientist.restore.batch import plan_batch

    _photo_at(tmp_path / "n" / ("L" * 244 + ".jpg"))  # 248 bytes: its output's name would pass 255
    _photo_at(tmp_path / "n" / "ok.jpg", seed=2)
    long, ok = sorted(plan_batch([tmp_path / "n"]), key=lambda p: len(p.name))[::-1]
    assert long.fail.startswith("its output's name cannot be made there") and ok.fail is None and ok.work > 0


def test_linked_folders_not_followed_are_said_to_be(tmp_path):
    from scientist.errors import PhotoError
    from scientist.restore.batch import plan_batch

    _photo_at(tmp_path / "only" / "sub" / "a.jpg")
    (tmp_path / "lnk").mkdir()
    (tmp_path / "lnk" / "album").symlink_to(tmp_path / "only" / "sub")
    with pytest.raises(PhotoError, match=r"its 1 linked folder was not followed: name it on the command line"):
        plan_batch([tmp_path / "lnk"], recursive=True)


def test_escape_sequences_in_file_names_never_reach_the_terminal(tmp_path):
    from scientist.render import Renderer
    from scientist.restore.record import BatchItem, ProgressEvent

    renderer = Renderer(cache=tmp_path / "jinja")
    name = "esc\x1b[31mRED\x1b[0m.jpg"
    event = ProgressEvent("photo-end", 1, 1, 0, 0, "", "cpu", 0.0, False, False, 0.0, index=0, count=2, name=name,
                          status="failed", reason=f"{name}: not an image")
    line = renderer.phrase("batch_line", e=event, n=1)
    items = [BatchItem(input=name, name=name, status="failed", reason="bad\x1b]0;TITLE\x07"),
             BatchItem(input="ok.jpg", name="ok.jpg", status="skipped", reason="already restored: ok_restored.png")]
    table = renderer.env.get_template("restore_many.txt.j2").render(items=items, seconds=1.0, more=None)
    for text in (line, table):
        assert "\x1b" not in text and "\x07" not in text
    rows = [ln for ln in table.splitlines() if ln.startswith(("esc", "ok.jpg"))]
    assert len({ln.index("failed") if "failed" in ln else ln.index("skipped") for ln in rows}) == 1  # aligned


def test_an_interrupted_json_run_still_prints_the_photos_done(tmp_path, monkeypatch):
    """Ctrl-C after the first photo: stdout held nothing, so a script lost the records of the photos done."""
    import scientist.core as core
    from scientist.restore.record import BatchItem

    def restore_many(self, paths, workflow=None, **kwargs):
        yield BatchItem(input="a.jpg", name="a.jpg", status="restored", output="a_restored.png")
        raise KeyboardInterrupt

    monkeypatch.setattr(core.Scientist, "restore_many", restore_many)
    (tmp_path / "photos").mkdir()
    code, out, lines = run_cli("restore", tmp_path / "photos", "--json")
    assert code == 130 and lines[-1] == "interrupted: nothing was left half-written"
    assert [r["output"] for r in json.loads(out)] == ["a_restored.png"]


@pytest.mark.parametrize(("sig", "code", "said"), [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted")])
def test_a_photo_saving_when_a_json_run_is_stopped_still_has_its_record_printed(tmp_path, monkeypatch, sig, code,
                                                                                   said):
    """A signal while one photo of two in flight saves: the batch let that photo finish, its outputs whole on disk,
    but dropped its record (its last progress event raised the stop in its thread), so --json printed nothing.  The
    other photo, stopped in its network, leaves nothing and has no record."""
    import signal
    import threading

    import scientist.restore.stages as stages

    stopping = _b_in_its_network_until_stopped(monkeypatch)

    def write(img, path, **kwargs):
        if path.name == "a_restored.png":  # a.png: the signal comes as its restored image is being written
            signal.pthread_kill(threading.main_thread().ident, getattr(signal, sig))
            stopping.wait(60)
        return real_write(img, path, **kwargs)

    real_write = stages.write_image_atomic
    monkeypatch.setattr(stages, "write_image_atomic", write)
    _a_alone_kept(_stopped_json_run(tmp_path, code, said), tmp_path)


def _b_in_its_network_until_stopped(monkeypatch):
    """Two photos side by side, the network a stand-in: b.png (30 rows) stays in its network until the batch stops
    (and waits for the photos in flight), then is stopped there.  Returns the event set as the batch stops."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import scientist.restore.blend as blend
    import scientist.restore.executor as executor

    stopping = threading.Event()

    class Watched(ThreadPoolExecutor):
        def shutdown(self, *args, **kwargs):  # the batch is stopping: it waits here for the photos in flight
            stopping.set()
            super().shutdown(*args, **kwargs)

    def network(model, img, *, plan, runner, progress):
        if img.shape[0] == 30:  # b.png: still in the network when the stop comes
            stopping.wait(60)
            progress()
        return img.copy()

    monkeypatch.setattr(executor, "ThreadPoolExecutor", Watched)
    monkeypatch.setattr(blend, "restore_array", network)
    monkeypatch.setenv("SCIENTIST_BATCH_THREADS", "2")
    return stopping


def _a_alone_kept(records, tmp_path):
    """a.png's record printed once, its outputs complete; b.png, stopped part-way, has neither."""
    assert [(r["name"], r["status"]) for r in records] == [("in/a.png", "restored")]
    assert sorted(f.name for f in (tmp_path / "R" / "in").iterdir()) == ["a_compare.png", "a_restored.png"]


def _stopped_json_run(tmp_path, code, said):
    """``scientist restore in --json --out-dir R`` over two photos, a.png (20x24) and b.png, which the test stops (a
    signal its stand-ins send): checks the exit code and the last line, and returns the records printed."""
    import signal

    # Python's own Ctrl-C handler, as in a terminal: a process started in the background by a shell ignores SIGINT
    # from the start (CI may run the suite so), and then no KeyboardInterrupt would come
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    a, b = _photo_at(tmp_path / "in" / "a.png", 20, 24), _photo_at(tmp_path / "in" / "b.png", 30, 40, seed=2)
    try:
        got, out, lines = run_cli("restore", tmp_path / "in", "--json", "--out-dir", tmp_path / "R", inputs=[a, b])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert got == code and lines[-1] == f"{said}: nothing was left half-written", lines
    return json.loads(out) if out.strip() else []


@pytest.mark.parametrize(("sig", "code", "said"), [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted")])
@pytest.mark.parametrize(("placed", "kept"), [("a_restored.png", True), ("a_compare.png", False)])
def test_a_stop_just_after_a_photo_s_outputs_are_placed_one_at_a_time_keeps_its_record(tmp_path, monkeypatch, sig,
                                                                                       code, said, placed, kept):
    """One photo at a time, the stop is raised in the thread running the photo, wherever it is: one that came just
    after the restored image was renamed into place (the outputs complete, the record not yet returned) dropped the
    record, so --json printed nothing, and removed the comparison beside the restored image.  One that came just
    after the comparison, before the restored image, left the comparison behind: now it leaves nothing, and has no
    record."""
    import signal

    import scientist.restore.blend as blend
    import scientist.restore.stages as stages

    def write(img, path, **kwargs):
        metadata = real_write(img, path, **kwargs)
        if path.name == placed:  # the signal comes as soon as the file is in place
            signal.raise_signal(getattr(signal, sig))
        return metadata

    real_write = stages.write_image_atomic
    monkeypatch.setattr(blend, "restore_array", lambda model, img, *, plan, runner, progress: img.copy())
    monkeypatch.setattr(stages, "write_image_atomic", write)
    monkeypatch.setenv("SCIENTIST_BATCH_THREADS", "1")
    records = _stopped_json_run(tmp_path, code, said)
    assert [(r["name"], r["status"]) for r in records] == ([("in/a.png", "restored")] if kept else [])
    made = sorted(f.name for f in (tmp_path / "R").rglob("*") if f.is_file())
    assert made == (["a_compare.png", "a_restored.png"] if kept else [])
    if kept:  # the record is the photo's own, as a run that was not stopped gives it
        assert records[0]["output"] == str(tmp_path / "R" / "in" / "a_restored.png")
        assert records[0]["demo"]["size"] == [24, 20] and records[0]["demo"]["comparison"].endswith("a_compare.png")


@pytest.mark.parametrize(("sig", "code", "said"), [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted")])
def test_a_stop_as_a_finished_photo_is_handed_over_side_by_side_keeps_its_record(tmp_path, monkeypatch, sig, code,
                                                                                said):
    """Photos side by side: a stop that came once a finished photo was taken off the batch's window, before its
    record was yielded, lost the record (its outputs complete on disk), so --json printed nothing.  The record is
    printed once; the other photo, stopped in its network, has none."""
    import signal
    from collections import deque

    import scientist.restore.executor as executor

    stopping = _b_in_its_network_until_stopped(monkeypatch)

    class Window(deque):
        def popleft(self):  # the signal comes as the first finished photo (a.png) is taken off
            taken = super().popleft()
            if not stopping.is_set():
                signal.raise_signal(getattr(signal, sig))
            return taken

    monkeypatch.setattr(executor, "deque", Window)
    _a_alone_kept(_stopped_json_run(tmp_path, code, said), tmp_path)


@pytest.mark.parametrize(("threads", "stopped_at"), [(1, "in/a.png"), (1, "in/b.cr2"), (2, "in/b.cr2")])
def test_a_stop_as_a_failed_or_skipped_photo_s_end_is_said_keeps_its_record(tmp_path, threads, stopped_at):
    """The progress callback runs in the thread a stop is raised in (one photo at a time; side by side, for the
    photos planning decided): a stop raised there as the photo-end of a photo that failed (a.png, damaged) or was
    skipped (b.cr2, a camera RAW file) was said dropped that photo's record, where a restored photo kept its own.
    The record is yielded once, and the stop still comes through."""
    from scientist.restore.batch import restore_many

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (tmp_path / "in" / "b.cr2").write_bytes(b"II*\x00" + b"\x00" * 32)

    def progress(event):
        if event.kind == "photo-end" and event.name == stopped_at:
            raise KeyboardInterrupt

    items = []
    with pytest.raises(KeyboardInterrupt):
        for item in restore_many([tmp_path / "in"], out_dir=tmp_path / "R", progress=progress, threads=threads):
            items.append(item)
    done = [("in/a.png", "failed"), ("in/b.cr2", "skipped")]
    assert [(i.name, i.status) for i in items] == done[:[n for n, _ in done].index(stopped_at) + 1]
    assert not (tmp_path / "R").exists()


def test_an_empty_folder_says_what_its_subfolders_and_links_hold(tmp_path):
    from scientist.errors import PhotoError
    from scientist.restore.batch import plan_batch

    photos = tmp_path / "photos"
    (photos / "day1").mkdir(parents=True)
    Image.fromarray(_dim(20, 24, 1)).save(photos / "day1" / "a.jpg")
    Image.fromarray(_dim(20, 24, 2)).save(photos / "day1" / "b.png")
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "sub" / "readme.txt").write_text("not a photo")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "trip").symlink_to(photos / "day1", target_is_directory=True)
    with pytest.raises(PhotoError, match=r"no photos found in .*photos \(add --recursive for the 2 photos in its "
                                         r"subfolders\)$"):
        plan_batch(photos)
    with pytest.raises(PhotoError) as notes_error:
        plan_batch(notes)
    assert "--recursive" not in str(notes_error.value)  # its subfolder holds no photo: no hint to walk it
    for recursive in (False, True):
        with pytest.raises(PhotoError, match=r"its 1 linked folder was not followed: name it on the command line"):
            plan_batch(linked, recursive=recursive)


def test_the_empty_folder_hint_looks_no_further_than_the_scan_limit(tmp_path):
    """The hint counted the subfolders' photos whatever the subfolder_scan_limit setting said ("0: never look")."""
    from scientist.errors import PhotoError
    from scientist.restore.batch import plan_batch

    (tmp_path / "photos" / "day1").mkdir(parents=True)
    Image.fromarray(_dim(20, 24, 1)).save(tmp_path / "photos" / "day1" / "a.jpg")
    with pytest.raises(PhotoError, match=r"its subfolders were not looked in: add --recursive to restore what they "
                                         r"hold\)$"):
        plan_batch(tmp_path / "photos", scan_limit=0)
    with pytest.raises(PhotoError, match=r"add --recursive for the 1 photo in its subfolders\)$"):
        plan_batch(tmp_path / "photos", scan_limit=10)
