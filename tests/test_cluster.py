"""Restoring on a Ray cluster: a real local Ray instance with 2 CPUs, started here; and what happens without Ray."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scientist.errors import ClusterError
from scientist.restore.batch import restore_many
from scientist.restore.executor import torch_threads
from scientist.settings import load_settings

from .helpers import DATE, digest, exif_bytes, exif_date, photo_array, rgb_profile, run_cli, save_png16, to_u8


def _photo(path: Path, h=64, w=64, seed=0, **save) -> Path:
    Image.fromarray(to_u8(photo_array(h, w, seed) * 0.4)).save(path, **save)
    return path


def _album(root: Path) -> list[Path]:
    """Small photos as people keep them, and one that is not a photo."""
    root.mkdir(parents=True)
    (root / "day2").mkdir()
    made = [_photo(root / f"IMG_{i}.jpg", 64, 48 + 8 * i, i, quality=90, exif=exif_bytes(), icc_profile=rgb_profile())
            for i in range(3)]
    made.append(_photo(root / "day2" / "scan.png", 56, 64, 7))
    rng = np.random.default_rng(8)
    made.append(save_png16(root / "day2" / "deep.png", (rng.random((48, 40, 3)) * 20000).astype(np.uint16)))
    (root / "day2" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return made


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _summary(items) -> list[tuple]:
    return [(i.name, i.status, i.reason, Path(i.output).name if i.output else None) for i in items]


# ---------------------------------------------------------------- without Ray
def test_without_ray_the_cluster_option_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed
    photo = _photo(tmp_path / "a.png")
    code, out, lines = run_cli("restore", photo, "--cluster", "auto", inputs=[photo])
    assert code == 2 and out == "" and len(lines) == 1, lines
    # the extra's own requirement, which a wheel's user can install as well as a checkout's
    assert lines[0] == "error: --cluster needs Ray, which is not installed here: pip install 'ray[client]>=2.10'"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_workers_follow_the_clusters_resources():
    from scientist.restore.batch import BatchJob
    from scientist.restore.cluster import plan_workers
    from scientist.restore.options import RestoreOptions

    def job(**settings):
        return BatchJob(RestoreOptions(), load_settings(**settings), None, "png", 10, 1.0)

    cpu = plan_workers({"CPU": 8.0}, job(), photos=100)
    assert (cpu.workers, cpu.device, cpu.cpus, cpu.gpus, cpu.threads) == (8, "cpu", 1.0, 0.0, 1)
    assert plan_workers({"CPU": 8.0}, job(), photos=3).workers == 3
    assert plan_workers({"CPU": 8.0}, job(cluster_workers=2), photos=100).workers == 2
    gpu = plan_workers({"CPU": 32.0, "GPU": 4.0}, job(), photos=100)
    assert (gpu.workers, gpu.device, gpu.cpus, gpu.gpus, gpu.threads) == (4, "cuda", 4.0, 1.0, 4)
    shared = plan_workers({"CPU": 16.0, "GPU": 2.0}, job(cluster_gpus_per_worker=0.5), photos=100)
    assert (shared.workers, shared.cpus, shared.gpus) == (4, 4.0, 0.5)
    forced = BatchJob(RestoreOptions(device="cpu"), load_settings(), None, "png", 10, 1.0)
    assert plan_workers({"CPU": 4.0, "GPU": 1.0}, forced, photos=10).device == "cpu"
    with pytest.raises(ClusterError, match="no GPUs"):
        plan_workers({"CPU": 4.0}, BatchJob(RestoreOptions(device="cuda"), load_settings(), None, "png", 1, 1.0), 1)
    with pytest.raises(ClusterError, match="no room"):
        plan_workers({"CPU": 0.5}, job(), photos=1)


# ---------------------------------------------------------------- on a real local cluster
@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance with 2 CPUs for this module's tests (its workers start on first use)."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_a_folder_restores_on_the_cluster_as_it_does_here_and_resumes(ray_cluster, tmp_path):
    album = tmp_path / "Album"
    inputs = _album(album)
    before = digest(inputs)
    with torch_threads(1):  # as a worker with one CPU runs it
        here = list(restore_many([album], recursive=True, out_dir=tmp_path / "here"))
    events = []
    there = list(restore_many([album], recursive=True, out_dir=tmp_path / "there", cluster="auto",
                              progress=events.append))
    assert digest(inputs) == before
    # the same records, in the same order, and the very same files
    assert _summary(there) == _summary(here)
    assert [i.status for i in there] == ["restored"] * 3 + ["failed", "restored", "restored"]
    assert "not an image" in there[3].reason or "damaged" in there[3].reason
    assert _files(tmp_path / "there") == _files(tmp_path / "here")
    assert len(_files(tmp_path / "there")) == 10 and not list((tmp_path / "there").rglob(".*"))
    assert exif_date(tmp_path / "there" / "Album" / "IMG_0_restored.png") == DATE
    workers = {e.worker for e in events if e.kind == "tile"}
    assert workers and all(w and int(w.rsplit(":", 1)[1]) != os.getpid() for w in workers)
    for i in range(len(there)):  # progress: each photo ends once, after its own events
        mine = [e.kind for e in events if e.index == i]
        assert mine.count("photo-end") == 1 and mine[-1] == "photo-end", (i, mine)

    # resume: what is done is skipped; a removed output is restored again
    (tmp_path / "there" / "Album" / "IMG_1_restored.png").unlink()
    again = list(restore_many([album], recursive=True, out_dir=tmp_path / "there", cluster="auto"))
    assert [i.status for i in again] == ["skipped", "restored", "skipped", "failed", "skipped", "skipped"]
    assert _files(tmp_path / "there") == _files(tmp_path / "here")


@pytest.mark.slow
def test_a_worker_killed_mid_batch_is_replaced_and_a_photo_that_kills_two_is_reported(ray_cluster, tmp_path):
    """A worker killed while it restores a photo: the photo goes to a new worker once; killed twice, it fails."""
    src = tmp_path / "in"
    src.mkdir()
    _photo(src / "a_small.png", seed=1)
    _photo(src / "b_killed_once.png", 320, 320, seed=2)  # 49 tiles of 64: long enough to be killed mid-way
    _photo(src / "c_small.png", seed=3)
    _photo(src / "d_killed_twice.png", 320, 320, seed=4)
    kills = {"b_killed_once.png": 1, "d_killed_twice.png": 2}
    killed: dict[str, list[str]] = {name: [] for name in kills}
    events = []

    def kill_on_first_tile(event):
        events.append(event)
        name = Path(event.name).name
        if event.kind == "tile" and event.done == 1 and name in kills and len(killed[name]) < kills[name]:
            killed[name].append(event.worker)
            os.kill(int(event.worker.rsplit(":", 1)[1]), signal.SIGKILL)

    start = time.monotonic()
    items = {Path(i.name).name: i for i in restore_many([src], out_dir=tmp_path / "out", tile=64, cluster="auto",
                                                        progress=kill_on_first_tile)}
    assert time.monotonic() - start < 240
    assert [len(killed[n]) for n in kills] == [1, 2]
    assert items["b_killed_once.png"].status == "restored"
    assert items["a_small.png"].status == items["c_small.png"].status == "restored"
    assert items["d_killed_twice.png"].status == "failed"
    assert "the worker restoring it stopped, twice" in items["d_killed_twice.png"].reason
    finishing = {e.worker for e in events if e.name.endswith("b_killed_once.png") and e.kind == "done"}
    assert finishing and not finishing & set(killed["b_killed_once.png"])  # finished by another worker
    out = tmp_path / "out" / "in"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["a_small_compare.png", "a_small_restored.png", "b_killed_once_compare.png",
                     "b_killed_once_restored.png", "c_small_compare.png", "c_small_restored.png"], names
    # the photo restored on its second worker is the photo restored here
    with torch_threads(1):  # as a worker with one CPU runs it
        here = list(restore_many([src / "b_killed_once.png"], out_dir=tmp_path / "here", tile=64))
    assert Path(here[0].output).read_bytes() == (out / "b_killed_once_restored.png").read_bytes()


@pytest.mark.slow
def test_ctrl_c_stops_the_cluster_cleanly(ray_cluster, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        _photo(src / f"p{i}.png", 256, 256, seed=i)
    before = digest(src.iterdir())

    stopped, told_after = [], []

    def interrupt(event):
        if stopped:
            told_after.append(event.kind)
        elif event.kind == "tile" and event.done == 2:
            stopped.append(event)
            raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        list(restore_many([src], out_dir=tmp_path / "out", tile=64, cluster="auto", progress=interrupt))
    assert time.monotonic() - start < 120
    assert told_after == []  # while the workers finish their tiles, the caller hears nothing more
    assert digest(src.iterdir()) == before
    out = tmp_path / "out"
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) if out.exists() else []
    assert not [f for f in left if Path(f).name.startswith(".")], left  # no temporaries, no held names
    restored = {f.removesuffix("_restored.png") for f in left if f.endswith("_restored.png")}
    assert {f.removesuffix("_compare.png") for f in left if f.endswith("_compare.png")} == restored
    assert len(restored) < 4
    # the cluster is still usable, and the batch resumes where it stopped
    items = list(restore_many([src], out_dir=out, tile=64, cluster="auto"))
    assert sorted(i.status for i in items) == sorted(["skipped"] * len(restored) + ["restored"] * (4 - len(restored)))


@pytest.mark.slow
def test_a_stop_with_no_grace_leaves_nothing_behind(ray_cluster, tmp_path):
    """Workers ended mid-photo (no time to finish their tile, as after a second Ctrl-C): what they held is
    cleaned up, and the caller hears of no progress after the stop."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        _photo(src / f"p{i}.png", 256, 256, seed=i)
    settings = load_settings().model_copy(update={"cluster_stop_seconds": 0.0})
    told_after = []

    def interrupt(event):
        if told_after or (event.kind == "tile" and event.done == 2):
            told_after.append(event.kind)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(restore_many([src], out_dir=tmp_path / "out", tile=64, cluster="auto", progress=interrupt,
                          settings=settings))
    assert told_after == ["tile"]  # the interrupting event only
    out = tmp_path / "out"
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) if out.exists() else []
    assert not [f for f in left if Path(f).name.startswith(".")], left  # no temporaries, no held names


@pytest.mark.slow
def test_the_command_line_restores_on_the_cluster(ray_cluster, tmp_path, monkeypatch):
    import scientist.restore.cluster as cluster

    real = cluster.plan_workers

    def chatty(*args, **kwargs):  # as Ray's driver thread prints a lost worker's message, to stdout
        print("(raylet) A worker died or was killed while executing a task")
        return real(*args, **kwargs)

    monkeypatch.setattr(cluster, "plan_workers", chatty)
    album = tmp_path / "Album"
    inputs = _album(album)
    code, stdout, lines = run_cli("restore", album, "-r", "--out-dir", tmp_path / "out", "--cluster", "auto",
                                  "--json", inputs=inputs)
    assert code == 1, lines  # the broken photo
    assert any("(raylet)" in line for line in lines)  # on stderr: stdout holds the results only
    items = json.loads(stdout)
    assert [i["status"] for i in items] == ["restored"] * 3 + ["failed", "restored", "restored"]
    assert all(i["demo"]["backend"] for i in items if i["status"] == "restored")
