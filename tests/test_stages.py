"""The restore pipeline as stages: validated options, the checked workflow, the executors, and the races fixed on
the way (held output names, the ONNX fallback, the speed file)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scientist.errors import OptionError, OutputError, ScientistError
from scientist.restore.executor import torch_threads
from scientist.restore.options import RestoreOptions
from scientist.settings import ConfigError, load_settings

from .helpers import digest, photo_array, to_u8


def _dim(path: Path, h=40, w=56, seed=0) -> Path:
    Image.fromarray(to_u8(photo_array(h, w, seed) * 0.4)).save(path)
    return path


# ---------------------------------------------------------------- options, validated once
def test_unknown_options_and_bad_values_are_refused_with_a_clear_sentence(fake_sci):
    with pytest.raises(OptionError, match=r"no option 'strenght': .* \(did you mean 'strength'\?\)"):
        fake_sci.ask("how does it reduce noise?", strenght=0.5)
    # found by an outside review: "a restore has no option 'format'", of a question asked without a photo
    with pytest.raises(OptionError, match=r"^ask takes no option 'format': it takes question, photo, k, progress, "
                                          r"options and the demo's restore options \(did you mean 'image_format'\?\)$"):
        fake_sci.ask("how does it reduce noise?", format="text")
    with pytest.raises(OptionError, match="invalid restore option strength"):
        fake_sci.ask("how does it reduce noise?", strength=1.5)
    with pytest.raises(OptionError, match="invalid argument k"):
        fake_sci.ask("how does it reduce noise?", k=0)
    with pytest.raises(OptionError, match="no option 'colour'"):
        list(fake_sci.restore_many(["nowhere"], colour="red"))
    with pytest.raises(OptionError, match="invalid restore option device"):
        RestoreOptions.of(device="gpu")
    with pytest.raises(OptionError, match="invalid restore option max_side"):
        RestoreOptions.of(max_side=4)
    assert RestoreOptions.of(image_format="JPEG").image_format == "jpg"
    assert RestoreOptions.of({"strength": 0.5}, quality=80).given() == {"strength": 0.5, "quality": 80}


def test_options_made_directly_raise_the_typed_error_too():
    """RestoreOptions(...) as well as RestoreOptions.of(...): an OptionError of one sentence (still a ValueError,
    as pydantic's ValidationError was), never pydantic's report with its links."""
    cases = [({"strenght": 1}, r"^a restore has no option 'strenght' \(did you mean 'strength'\?\)$"),
             ({"strength": 2}, r"^invalid restore option strength: must be auto or a number between 0 and 1$"),
             ({"max_side": 4}, r"^invalid restore option max_side: must be a whole number, 8 or more$"),
             ({"quality": "best"}, r"^invalid restore option quality: must be a whole number from 1 to 100$"),
             ({"device": "gpu"}, r"^invalid restore option device: must be 'auto', 'cpu' or 'cuda'$"),
             # out won and out_dir was dropped without a word
             ({"out": "a.png", "out_dir": "b"}, r"^out and out_dir cannot both be given: out is the restored")]
    for values, said in cases:
        with pytest.raises(OptionError, match=said) as info:
            RestoreOptions(**values)
        assert isinstance(info.value, ValueError)
        with pytest.raises(OptionError, match=said):
            RestoreOptions.of(values)
    assert RestoreOptions(strength=0.5, image_format="JPEG").given() == {"strength": 0.5, "image_format": "jpg"}


def test_settings_overrides_are_validated(fake_embedder, tmp_path):
    from scientist.core import Scientist

    settings = load_settings()
    for bad in ({"device": "gpu"}, {"k": 0}, {"strength": 2}, {"no_such": 1}):
        with pytest.raises(ConfigError):
            settings.updated(**bad)
    assert settings.updated(k=7).k == 7 and settings.k == 5
    with pytest.raises(ConfigError, match="invalid setting device"):
        Scientist(device="gpu", embedder=fake_embedder)


def test_options_take_the_strengths_the_settings_take():
    """The blend strength's type is spelled once (settings.Strength): whatever the setting accepts, a
    restore's option accepts, and nothing else."""
    settings = load_settings()
    for value in (-0.1, 0, 0.35, 1, 1.01, "auto", "half"):
        try:
            settings.updated(strength=value)
            as_setting = True
        except ConfigError:
            as_setting = False
        try:
            RestoreOptions.of(strength=value)
            as_option = True
        except OptionError:
            as_option = False
        assert as_setting == as_option, value


# ---------------------------------------------------------------- the workflow, checked against the stages
@pytest.mark.parametrize("ops,match", [
    (["load", "expose", "save", "pyramid", "encode", "fuse", "decode"], "out of order"),
    (["load", "load", "pyramid", "encode", "fuse", "decode", "save"], "out of order or repeated"),
    (["load", "pyramid", "encode", "fuse", "decode"], "no save step"),
    (["expose", "pyramid", "encode", "fuse", "decode", "save"], "no load step"),
])
def test_a_workflow_must_compose_the_stages(ops, match):
    from scientist.restore.run import OpStep, check_steps

    with pytest.raises(ScientistError, match=match):
        check_steps([OpStep(op, op) for op in ops])


def test_a_workflow_may_leave_out_brightening_and_explanation_steps():
    from scientist.restore.run import OpStep, check_steps
    from scientist.workflow import demo_workflow

    card = check_steps(demo_workflow().steps)
    assert card.brighten and card.names[0] == "Load the photo" and len(card.names) == 8
    plain = check_steps([OpStep("Read", "load"), OpStep("Why", None), *(OpStep(s, s) for s in
                         ("pyramid", "encode", "fuse", "decode")), OpStep("Write", "save")])
    assert not plain.brighten and plain.names == ("Read", "pyramid", "encode", "fuse", "decode", "Write")


def test_stages_compose_to_what_the_entry_point_writes(tmp_path):
    """load -> expose -> Restorer.restore -> save by hand gives the entry point's very file."""
    from scientist.restore.outputs import reserve_outputs
    from scientist.restore.run import restore_photo
    from scientist.restore.stages import Photo, Restorer, expose, load, save

    photo = _dim(tmp_path / "a.png")
    settings = load_settings()
    (tmp_path / "x").mkdir()
    demo = restore_photo(photo, RestoreOptions(out_dir=tmp_path / "x"), settings=settings)
    read = Photo.read(photo)
    exposed = expose(load(read))
    assert exposed.gain > 1 and exposed.img.shape == (40, 56, 3) and exposed.before.dtype == np.uint8
    restored = Restorer(settings).restore(exposed, keep_input=True)  # the save step decides the amount beside it
    assert restored.base is exposed.img and restored.tiles == 1 and restored.img is not exposed.img
    with reserve_outputs(photo, None, tmp_path, False) as targets:
        saved = save(restored, targets, strength=settings.strength, fmt="png", quality=92)
    assert Path(demo.output).read_bytes() == saved.output.read_bytes()
    mine = saved.demo(["a"])
    assert mine.noise_after == demo.noise_after and mine.strength == demo.strength and mine.strength_auto


# ---------------------------------------------------------------- output names held, never shared
def test_two_concurrent_restores_of_photos_with_the_same_name_get_their_own_outputs(tmp_path, monkeypatch):
    import scientist.restore.stages as stages
    from scientist.restore.run import run_demo

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    photos = [_dim(tmp_path / "a" / "IMG_1.png", seed=1), _dim(tmp_path / "b" / "IMG_1.png", seed=2)]
    out = tmp_path / "out"
    out.mkdir()
    both_chose = threading.Barrier(2, timeout=60)
    real_save = stages.save

    def save_when_both_have_chosen(*args, **kwargs):
        both_chose.wait()  # both restores hold their names before either writes
        return real_save(*args, **kwargs)

    monkeypatch.setattr(stages, "save", save_when_both_have_chosen)
    monkeypatch.setattr("scientist.restore.run.save", save_when_both_have_chosen)
    demos: dict[int, object] = {}

    def restore(i: int) -> None:
        demos[i] = run_demo(photos[i], out_dir=out)

    threads = [threading.Thread(target=restore, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    outputs = {demos[i].output for i in range(2)}
    assert {Path(o).name for o in outputs} == {"IMG_1_restored.png", "IMG_1_restored-2.png"}
    assert len({demos[i].comparison for i in range(2)}) == 2
    for i in range(2):  # each restored image beside the comparison of the same number
        assert Path(demos[i].comparison).name == Path(demos[i].output).name.replace("_restored", "_compare")
    for i in range(2):  # each output is its own photo's restoration
        restored = np.asarray(Image.open(demos[i].output), np.float32)
        other = np.asarray(Image.open(demos[1 - i].output), np.float32)
        assert np.abs(restored - other).mean() > 1
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["IMG_1_restored.png", "IMG_1_restored-2.png", "IMG_1_compare.png", "IMG_1_compare-2.png"])


def test_a_restored_image_and_its_comparison_are_numbered_together(tmp_path):
    # a comparison left by an earlier run in another format once made dark_restored.jpg beside dark_compare-2.png
    from scientist.restore.outputs import reserve_outputs

    photo = _dim(tmp_path / "IMG_1.png")
    (tmp_path / "IMG_1_compare.png").write_bytes(b"earlier")
    with reserve_outputs(photo, None, None, False, ".jpg") as targets:
        assert (targets.restored.name, targets.comparison.name) == ("IMG_1_restored-2.jpg", "IMG_1_compare-2.png")
    (tmp_path / "IMG_1_restored-3.jpg").write_bytes(b"earlier")
    (tmp_path / "IMG_1_restored-2.jpg").write_bytes(b"earlier")
    with reserve_outputs(photo, None, None, False, ".jpg") as targets:
        assert (targets.restored.name, targets.comparison.name) == ("IMG_1_restored-4.jpg", "IMG_1_compare-4.png")
    assert (tmp_path / "IMG_1_compare.png").read_bytes() == b"earlier"


def test_a_name_held_by_another_process_is_not_taken(tmp_path):
    """While another process holds a name, a restore picks the next one (or refuses an explicit --out)."""
    from scientist.restore.outputs import reserve_outputs

    photo = _dim(tmp_path / "IMG_1.png")
    hold = ("import sys, time\nfrom scientist.fileio import hold_name\n"
            "h = hold_name(sys.argv[1]); print('held', flush=True); time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(tmp_path / "IMG_1_restored.png")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with reserve_outputs(photo, None, None, False) as targets:
            # one number for both names, so that they keep matching
            assert (targets.restored.name, targets.comparison.name) == ("IMG_1_restored-2.png", "IMG_1_compare-2.png")
        with pytest.raises(OutputError, match="another restore is writing it"):
            reserve_outputs(photo, tmp_path / "IMG_1_restored.png", None, True)
    finally:
        holder.kill()
        holder.wait()
    # the holder died without releasing: the system dropped its lock, so the name is free again
    from scientist.fileio import hold_name

    again = hold_name(tmp_path / "IMG_1_restored.png")
    assert again is not None
    again.release()
    assert not any(p.name.endswith(".lock") for p in tmp_path.iterdir())


# ---------------------------------------------------------------- the ONNX fallback and the speed file
def test_a_failed_onnx_export_falls_back_to_pytorch_and_finishes(tmp_path, monkeypatch):
    import torch

    from scientist.restore import runners
    from scientist.restore.runners import OnnxRunner, make_runner
    from scientist.restore.weights import load_model

    def export_fails(*args) -> None:  # an operator the exporter does not know, say
        raise RuntimeError("the export failed")

    monkeypatch.setattr(runners, "_export", export_fails)
    model = load_model().model
    result: dict = {}

    def build() -> None:
        with pytest.warns(UserWarning, match="onnxruntime could not run the model"):
            result["runner"] = make_runner(model, torch.device("cpu"), "onnx", cache=tmp_path / "cache")

    t = threading.Thread(target=build, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the fallback hung"
    runner = result["runner"]
    assert not isinstance(runner, OnnxRunner) and runner.name == "torch-channels-last"
    assert runner(np.zeros((1, 3, 16, 16), np.float32)).shape == (1, 3, 16, 16)


def test_a_damaged_cached_onnx_export_is_exported_again_once(tmp_path, monkeypatch):
    """A cut-short export in the cache is replaced by a fresh one (not fallen back from on every run); only when
    the fresh one does not load either is PyTorch used, with the warning, and not exported again for every photo."""
    import warnings

    import torch

    import scientist.restore.runners as runners
    from scientist.restore.weights import load_model

    cpu, model = torch.device("cpu"), load_model().model
    monkeypatch.setattr(runners, "_SESSIONS", {})  # as a new process: nothing loaded, nothing failed yet
    monkeypatch.setattr(runners, "_FAILED", {}, raising=False)
    first = runners.make_runner(model, cpu, "onnx", cache=tmp_path)
    [export] = (tmp_path / "onnx").iterdir()
    whole = export.read_bytes()
    export.write_bytes(whole[: len(whole) // 3])  # cut short
    monkeypatch.setattr(runners, "_SESSIONS", {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "using PyTorch"
        again = runners.make_runner(model, cpu, "onnx", cache=tmp_path)
    assert isinstance(again, runners.OnnxRunner) and again is not first
    assert [p.name for p in (tmp_path / "onnx").iterdir()] == [export.name]  # in its place, nothing else left
    assert export.read_bytes() == whole
    x = np.random.default_rng(0).random((1, 3, 32, 32), dtype=np.float32)
    assert np.allclose(again(x), first(x), atol=1e-5)

    exports = []
    monkeypatch.setattr(runners, "_export", lambda m, s, path: exports.append(path.write_bytes(b"not a model")))
    monkeypatch.setattr(runners, "_SESSIONS", {})
    export.write_bytes(b"damaged")
    for _ in range(3):  # three photos of a batch
        with pytest.warns(UserWarning, match="onnxruntime could not run the model"):
            runner = runners.make_runner(model, cpu, "onnx", cache=tmp_path)
        assert runner.name == "torch-channels-last"
    assert len(exports) == 1


def _remember(args) -> None:
    from scientist.restore.speed import remember_speed

    cache, worker = args
    for i in range(15):
        remember_speed(Path(cache), f"{worker}-{i}", 1.0 + i)


#: One process remembering 15 speeds, as a restore run beside others does.
_REMEMBER = ("import sys\nfrom pathlib import Path\nfrom scientist.restore.speed import remember_speed\n"
             "for i in range(15):\n    remember_speed(Path(sys.argv[1]), f'{sys.argv[2]}-{i}', 1.0 + i)\n")


def test_speeds_remembered_at_once_are_all_kept(tmp_path):
    """Three processes and three threads write the speed file at once; none loses another's.  The processes are
    started fresh: forked from this one (a multiprocessing pool), a child could hang for ever on a lock that one of
    the many threads here (PyTorch's, ONNX Runtime's, a Ray driver's left by an earlier test) held at the fork."""
    from scientist.restore.speed import SPEED_FILE

    procs = [subprocess.Popen([sys.executable, "-c", _REMEMBER, str(tmp_path), f"p{w}"]) for w in range(3)]
    threads = [threading.Thread(target=_remember, args=((str(tmp_path), f"t{w}"),)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    assert len(json.loads((tmp_path / SPEED_FILE).read_text())) == 6 * 15


# ---------------------------------------------------------------- one process, several photos at once
def test_on_a_cpu_photos_run_their_networks_side_by_side(tmp_path, monkeypatch):
    """Two photos in flight on a CPU: both networks run at once, each on its share of PyTorch's threads."""
    import torch

    import scientist.restore.blend as blend
    from scientist.restore.batch import restore_many

    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        _dim(src / f"p{i}.png", seed=i)
    both_in = threading.Barrier(2, timeout=60)
    threads_seen = []
    real = blend.restore_array

    def together(*args, **kwargs):
        threads_seen.append(torch.get_num_threads())
        both_in.wait()  # the second photo's network starts while the first one's runs
        return real(*args, **kwargs)

    monkeypatch.setattr(blend, "restore_array", together)
    prior = torch.get_num_threads()
    torch.set_num_threads(4)  # the test session runs on one thread: give the batch threads to share
    try:
        items = list(restore_many([src], out_dir=tmp_path / "out", threads=2, device="cpu"))
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(prior)
    assert [i.status for i in items] == ["restored", "restored"]
    assert threads_seen == [2, 2] and after == 4
def test_threads_give_the_same_files_and_order_as_one_at_a_time(tmp_path, fake_sci):
    from scientist.restore.batch import restore_many

    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        _dim(src / f"p{i}.png", 32 + 8 * i, 48, seed=i)
    (src / "broken.jpg").write_text("not a photo")
    runs = {}
    for threads in (1, 3):
        events = []
        out = tmp_path / f"out{threads}"
        with torch_threads(1):  # side by side, each network runs on one thread: compare like with like
            items = list(restore_many([src], out_dir=out, threads=threads, progress=events.append))
        runs[threads] = (items, {p.relative_to(out): p.read_bytes() for p in out.rglob("*.png")})
        for i, item in enumerate(items):  # each photo: photo, its network events, then photo-end last
            mine = [e.kind for e in events if e.index == i]
            assert mine[-1] == "photo-end" and mine[0] == ("photo" if item.status != "skipped" else "photo-end")
    one, three = runs[1], runs[3]
    assert [(i.name, i.status, i.reason) for i in one[0]] == [(i.name, i.status, i.reason) for i in three[0]]
    assert [i.status for i in one[0]] == ["failed"] + ["restored"] * 4
    assert one[1] == three[1] and len(one[1]) == 8
    assert not list((tmp_path / "out3").rglob(".*"))  # no held names or temporaries left


def test_stopping_a_threaded_batch_leaves_nothing_half_done(tmp_path):
    from scientist.restore.batch import restore_many

    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        _dim(src / f"p{i}.png", 64, 64, seed=i)
    before = digest(src.iterdir())
    seen = []

    def interrupt(event):
        seen.append(event.kind)
        if event.kind == "tile" and len(seen) > 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(restore_many([src], out_dir=tmp_path / "out", threads=2, tile=64, progress=interrupt))
    assert digest(src.iterdir()) == before
    out = tmp_path / "out" / "in"
    files = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert not [f for f in files if f.startswith(".")], files  # no temporaries, no held names
    restored = {f.removesuffix("_restored.png") for f in files if f.endswith("_restored.png")}
    compared = {f.removesuffix("_compare.png") for f in files if f.endswith("_compare.png")}
    assert restored <= compared and len(restored) < 6  # whole photos only, and it did stop


def test_photos_in_flight_are_capped_by_memory():
    """Side by side only while the largest photo's estimated memory fits: 12 MP photos on a CPU run one at a time
    (two side by side peaked at 2.20 GB against 1.47 GB alone), 720p ones two at a time."""
    from scientist.restore.executor import fit_in_memory, in_flight_mb

    settings = load_settings()
    assert fit_in_memory(2, 12.0, True, settings) == 1
    assert fit_in_memory(2, 0.92, True, settings) == 2 and fit_in_memory(4, 0.92, True, settings) == 4
    assert fit_in_memory(8, 12.0, False, settings) == 8  # beside a GPU the tiles are on the device
    assert 1400 < in_flight_mb(1, 12.0, True, settings) < 1800 and 2000 < in_flight_mb(2, 12.0, True, settings) < 2500
    assert fit_in_memory(4, 0.92, True, settings.updated(batch_memory_mb=1100)) == 2


def test_an_output_name_over_the_file_systems_limit_is_a_typed_error(tmp_path):
    """A photo whose (legal) name is near the limit gets outputs whose names are over it: one sentence, not an
    OSError a chatbot front end reports as an unexpected failure."""
    from scientist.errors import OutputError
    from scientist.restore.outputs import check_outputs

    photo = tmp_path / ("L" * 250 + ".jpg")
    photo.write_bytes(b"")
    with pytest.raises(OutputError, match="the file name is too long"):
        check_outputs(photo, tmp_path / ("L" * 250 + "_restored.png"), tmp_path / ("L" * 250 + "_compare.png"))


# ---------------------------------------------------------------- a grey photo comes back grey
@pytest.mark.parametrize(("name", "fmt", "mode"), [("g.png", "png", "L"), ("g.png", "tiff", "L"),
                                                   ("g.png", "jpg", "L"), ("g16.png", "png", "I;16"),
                                                   ("g16.png", "tiff", "I;16"), ("rgb.jpg", "png", "RGB")])
def test_a_grey_photo_comes_back_grey(tmp_path, name, fmt, mode):
    """The network leaves a faint tint on a grey photo: the restored image is grey again, in a grey file when the
    photo's file was one (8 or 16 bits), else in an RGB one with its three channels equal."""
    import cv2

    from scientist.restore.run import restore_photo

    grey = to_u8(photo_array(40, 56))[..., 1] // 4  # dark, so the brightness step and the network both act
    if name == "g.png":
        Image.fromarray(grey).save(tmp_path / name)
    elif name == "g16.png":
        cv2.imwrite(str(tmp_path / name), grey.astype(np.uint16) * 257)
    else:
        Image.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / name, quality=95)
    (tmp_path / "out").mkdir()
    options = RestoreOptions(out_dir=tmp_path / "out", image_format=fmt)
    demo = restore_photo(tmp_path / name, options, settings=load_settings())
    assert demo.grey and demo.gain > 1
    with Image.open(demo.output) as im:
        assert im.mode == mode
        out = np.asarray(im)
    if mode == "RGB":
        assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    assert out.mean() > grey.mean() * (257 if mode == "I;16" else 1)  # brightened, not blanked
    assert "grey as the photo was" in restored_as(demo)


def test_a_colour_photo_is_not_taken_for_grey(tmp_path):
    from scientist.restore.run import restore_photo

    photo = _dim(tmp_path / "a.png")
    (tmp_path / "out").mkdir()
    demo = restore_photo(photo, RestoreOptions(out_dir=tmp_path / "out"), settings=load_settings())
    assert not demo.grey and "grey" not in restored_as(demo)
    with Image.open(demo.output) as im:
        assert im.mode == "RGB"


def restored_as(demo) -> str:
    from scientist.render import Renderer

    return Renderer().phrase("restored_as", d=demo)
